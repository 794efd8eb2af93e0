/*
 * int8 convolution over weights in channel pairs (kernels/conv.h) for Cortex-M cores with the DSP
 * extension: nnom_conv2d_pairs_s8. Part of kernels/conv_pairs_s8.c (included there on such cores).
 * The layers that nnom_conv_pairs_fit() accepts run in the strips of kernels/arm/conv_pairs_rows.h
 * (two SXTB16 and eight SMLAD per group of four input channels, two output channels and two
 * pixels); what they do not take (an output over the input, too little scratch, another shape)
 * runs the portable form, nnom_conv2d_pairs_s8_c.
 */
#include "kernels/arm/arm_dsp.h"

#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)

#include "kernels/conv.h"
#include "kernels/arm/conv_pairs_strips.h"

void nnom_conv2d_pairs_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                          uint32_t scratch_bytes)
{
    if (!nnom_arm_conv2d_pairs_strips(a, in, out, scratch, scratch_bytes))
        nnom_conv2d_pairs_s8_c(a, in, out, scratch, scratch_bytes);
}

#endif
