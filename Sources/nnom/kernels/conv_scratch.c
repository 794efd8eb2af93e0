/*
 * The scratch a convolution plans: the larger of what the portable kernel and
 * the Cortex-M DSP kernel need at least, whichever of the two this build runs,
 * so that a model has the same memory plan, and reports the same arena size,
 * on the PC where it is validated and on the device where it ships. Where the
 * plan has free room during the layer, the layer is given more, up to the
 * larger of the two kernels' full-speed sizes (see nnom_layer_ops.scratch_fast_bytes).
 */
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

uint32_t nnom_conv2d_s8_scratch_for(const nnom_conv_args *a, int32_t kernels, int fast)
{
    if (kernels == NNOM_CONV_KERNELS_PORTABLE)
        return fast ? nnom_conv2d_s8_portable_fast_bytes(a) : nnom_conv2d_s8_portable_scratch_bytes(a);
    if (kernels == NNOM_CONV_KERNELS_DSP) return fast ? nnom_conv2d_s8_dsp_fast_bytes(a) : nnom_conv2d_s8_dsp_scratch_bytes(a);
    return fast ? nnom_conv2d_s8_scratch_fast_bytes(a) : nnom_conv2d_s8_scratch_bytes(a);
}
