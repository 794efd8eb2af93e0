/*
 * Transposed convolution (Keras' Conv1DTranspose / Conv2DTranspose), channel-last (HWC).
 *
 * Every input position (ih, iw) spreads its C input values, times the kernel, over a
 * kh x kw window of the full output that starts at (ih * stride_h, iw * stride_w); the full
 * output, (in_h - 1) * stride_h + kh rows by (in_w - 1) * stride_w + kw columns, is then cropped
 * by crop_top rows and crop_left columns and taken out_h x out_w from there (rows or columns past
 * the full output, which Keras' output_padding asks for, receive no contribution: bias only).
 * So output (oh, ow, oc) sums over the kernel taps (y, x) and input channels ic with
 * oh + crop_top - y = ih * stride_h and ow + crop_left - x = iw * stride_w (ih, iw inside the input):
 *
 *   acc = bias[oc] + sum w[oc][y][x][ic] * in[ih][iw][ic]
 *
 * Weights [out_c][kh][kw][in_c], as CONV2D's; no dilation.
 *
 * int8: in[] is (x - in_zp); the products summed in int32 (at most kh * kw * in_c <= NNOM_CONV_MAX_PATCH
 * of |255 x 127|: below 2^30), the bias added in 64 bits and the sum saturated to int32 (acc);
 * out = clamp(rq(acc, multiplier[oc], shift[oc]) + out_zp, act_min, act_max). float32: out = clamp(acc, act_min_f, act_max_f). No scratch.
 */
#ifndef NNOM_KERNELS_TRANSPOSE_CONV_H
#define NNOM_KERNELS_TRANSPOSE_CONV_H

#include <stdint.h>

typedef struct nnom_transpose_conv_args {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t crop_top, crop_left;   /* >= 0 */
    const void *weights;           /* int8 or float [out_c][k_h][k_w][in_c] */
    const void *bias;              /* int32 or float [out_c], or NULL */
    int32_t in_zp, out_zp;         /* int8 */
    const int32_t *multiplier, *shift; /* int8: per output channel */
    int32_t act_min, act_max;      /* int8 clamp */
    float act_min_f, act_max_f;    /* float32 clamp */
} nnom_transpose_conv_args;

/* What every kernel of this file walks (the portable ones and the Cortex-M DSP twin): the taps reaching
 * output coordinate o along one axis, kernel offsets k = o + crop - i * stride for inputs i in [0, n), as the
 * first tap, the matching first input and how many; the taps step by stride, the inputs down by 1. */
typedef struct nnom_transpose_taps {
    int32_t first_k, first_i, count;
} nnom_transpose_taps;

static inline nnom_transpose_taps nnom_transpose_taps_of(int32_t o, int32_t crop, int32_t stride, int32_t k, int32_t n)
{
    nnom_transpose_taps t = {0, 0, 0};
    const int32_t full = o + crop;          /* position in the full output */
    /* the largest input i with i * stride <= full, then down while the tap stays inside the kernel */
    int32_t i = full / stride;
    if (i > n - 1) i = n - 1;
    int32_t kk = full - i * stride;
    if (kk >= k || i < 0) return t;
    t.first_k = kk;
    t.first_i = i;
    while (i >= 0 && kk < k) {
        t.count++;
        i--;
        kk += stride;
    }
    return t;
}

void nnom_transpose_conv_s8(const nnom_transpose_conv_args *a, const int8_t *in, int8_t *out);
void nnom_transpose_conv_f32(const nnom_transpose_conv_args *a, const float *in, float *out);

#endif /* NNOM_KERNELS_TRANSPOSE_CONV_H */
