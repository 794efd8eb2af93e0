/*
 * The scratch a convolution plans: the least its kernels need, those of the
 * build (nnom_conv_build_kernels) or of the kernel set a host asks about
 * (nnom_model_arena_size_for), or, for a plan valid for both, the larger of
 * the two. Where the plan has free room during the layer, the layer is given
 * more, up to the kernels' full-speed size (nnom_layer_ops.scratch_fast_bytes), and there
 * up to all they can use (the DSP kernel's eight-pixel passes), which no plan reserves.
 */
#include "kernels/arm/arm_dsp.h"
#include "kernels/arm/conv_shape.h"
#include "kernels/conv.h"

static uint32_t larger(uint32_t a, uint32_t b) { return a > b ? a : b; }

uint32_t nnom_conv2d_s8_scratch_bytes(const nnom_conv_args *a)
{
    return larger(nnom_conv2d_s8_portable_scratch_bytes(a), nnom_conv2d_s8_dsp_scratch_bytes(a));
}

uint32_t nnom_conv2d_s8_scratch_fast_bytes(const nnom_conv_args *a)
{
    return larger(nnom_conv2d_s8_scratch_bytes(a),
                  larger(nnom_conv2d_s8_portable_fast_bytes(a), nnom_conv2d_s8_dsp_fast_bytes(a)));
}

uint32_t nnom_conv2d_s8_scratch_room_bytes(const nnom_conv_args *a)
{
    return larger(nnom_conv2d_s8_scratch_fast_bytes(a), nnom_conv2d_s8_dsp_room_bytes(a));
}

uint32_t nnom_conv2d_s8_scratch_for(const nnom_conv_args *a, int32_t kernels, int fast)
{
    if (kernels == NNOM_CONV_KERNELS_PORTABLE)
        return fast ? nnom_conv2d_s8_portable_fast_bytes(a) : nnom_conv2d_s8_portable_scratch_bytes(a);
    if (kernels == NNOM_CONV_KERNELS_DSP)
        return fast == NNOM_CONV_SCRATCH_ROOM ? nnom_conv2d_s8_dsp_room_bytes(a)
                                              : (fast ? nnom_conv2d_s8_dsp_fast_bytes(a) : nnom_conv2d_s8_dsp_scratch_bytes(a));
    if (fast == NNOM_CONV_SCRATCH_ROOM) return nnom_conv2d_s8_scratch_room_bytes(a);
    return fast ? nnom_conv2d_s8_scratch_fast_bytes(a) : nnom_conv2d_s8_scratch_bytes(a);
}

int32_t nnom_conv_build_kernels(void) { return NNOM_USE_ARM_DSP ? NNOM_CONV_KERNELS_DSP : NNOM_CONV_KERNELS_PORTABLE; }
