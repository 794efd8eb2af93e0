/*
 * int8 convolution over weights in channel pairs (kernels/conv.h) for Cortex-M cores with the DSP
 * extension: nnom_conv2d_pairs_s8. Part of kernels/conv_pairs_s8.c (included there on such cores),
 * whose portable form, nnom_conv2d_pairs_s8_c, runs every layer for now.
 */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)

void nnom_conv2d_pairs_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                          uint32_t scratch_bytes)
{
    nnom_conv2d_pairs_s8_c(a, in, out, scratch, scratch_bytes);
}

#endif
