/*
 * Which int8 convolutions the converter writes in channel pairs (kernels/conv.h): those that the
 * Cortex-M DSP kernel runs from pairs in its strips (kernels/arm/conv_pairs.c). Elsewhere the
 * pairs would only cost: the portable kernel reads them as fast as rows on x86-64, but a Cortex-M
 * layer that the strips do not take would run the portable form.
 *
 * The strips take 3x3 windows without dilation at stride 1 or 2 on 16 to 128 input channels, a
 * multiple of 16, an even output width and channel count, a bias, and every channel in the
 * fast requantisation form of kernels/arm/conv_channels.h: shift in [-PAIRS_MAX_E, -1], a positive
 * multiplier and |bias| small enough that |dot + bias| < 2^30 (|dot| <= k 255 128).
 */
#include "kernels/conv.h"

enum {
    PAIRS_K = 3,        /* the window */
    PAIRS_MAX_E = 22,   /* the largest right shift of the fast form */
    DOT_STEP = 255 * 128, /* the largest |x w| */
    PAIRS_C_STEP = 16,  /* input channels: a multiple of this (the strips' unit of widening) */
    PAIRS_MAX_C = 128   /* at most (the strips' slots in the least scratch) */
};

static int takes_channels(int32_t stride, int32_t in_c)
{
    return (stride == 1 || stride == 2) && in_c % PAIRS_C_STEP == 0 && in_c >= PAIRS_C_STEP && in_c <= PAIRS_MAX_C;
}

int nnom_conv_pairs_fit(const nnom_conv_args *a)
{
    if (a->k_h != PAIRS_K || a->k_w != PAIRS_K || a->dil_h != 1 || a->dil_w != 1 || a->stride_h != a->stride_w ||
        !takes_channels(a->stride_h, a->in_c) || (a->out_w & 1) || (a->out_c & 1) || !a->bias)
        return 0;
    const int32_t k = PAIRS_K * PAIRS_K * a->in_c;
    const int32_t bias_room = (int32_t)((1 << 30) - 1 - k * DOT_STEP);
    const int32_t *const bias = (const int32_t *)a->bias;
    for (int32_t c = 0; c < a->out_c; c++)
        if (a->multiplier[c] <= 0 || a->shift[c] > -1 || a->shift[c] < -PAIRS_MAX_E || bias[c] > bias_room ||
            bias[c] < -bias_room)
            return 0;
    return 1;
}
