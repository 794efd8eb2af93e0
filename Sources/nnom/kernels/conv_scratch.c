/*
 * The scratch a convolution plans: the larger of what the portable kernel and
 * the Cortex-M DSP kernel need, whichever of the two this build runs. A model
 * thus has the same memory plan, and reports the same arena size, on the PC
 * where it is validated and on the device where it ships.
 */
#include "kernels/arm/conv_shape.h"
#include "kernels/conv.h"

uint32_t nnom_conv2d_s8_scratch_bytes(const nnom_conv_args *a)
{
    const uint32_t portable = nnom_conv2d_s8_portable_scratch_bytes(a);
    const uint32_t dsp = nnom_conv2d_s8_dsp_scratch_bytes(a);
    return portable > dsp ? portable : dsp;
}
