/*
 * Transposed convolution (TFLite's TRANSPOSE_CONV, Keras' Conv2DTranspose),
 * int8 and float32, HWC.
 *
 * Definition (TFLite's, a scatter): input pixel (iy, ix) adds x * w[oc][ky][kx]
 * to output (iy * stride_h - pad_top + ky, ix * stride_w - pad_left + kx) when
 * that lies inside the output. The kernels gather instead: output (oy, ox)
 * takes every tap (ky, kx) with oy + pad_top - ky a multiple of stride_h whose
 * quotient iy is a valid input row (likewise for columns) - the same terms,
 * so the same integer sum.
 *
 * int8 (TFLite): acc = bias[oc] + sum (x - in_zp) w;
 *   out = clamp(requantize(acc, multiplier[oc], shift[oc]) + out_zp, act_min, act_max).
 * Weights [out_c][k_h][k_w][in_c], symmetric int8; bias int32 or NULL.
 * Preconditions: sizes >= 1, pad_top < k_h, pad_left < k_w, pad >= 0,
 * k_h * k_w * in_c <= NNOM_CONV_MAX_PATCH (kernels/conv.h; the sum fits int32),
 * zero points in [-128, 127], shifts in [-31, 30]. Not in place.
 */
#ifndef NNOM_KERNELS_TRANSPOSE_CONV_H
#define NNOM_KERNELS_TRANSPOSE_CONV_H

#include <stdint.h>

typedef struct nnom_transpose_conv_args {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;  /* >= 1 */
    int32_t pad_top, pad_left;
    /* int8 */
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;
    const int32_t *multiplier, *shift;
    /* float32 */
    float act_min_f, act_max_f;
    const void *weights;
    const void *bias;            /* or NULL */
} nnom_transpose_conv_args;

/* The input index that output index @p o reaches through tap @p k, or -1 (none). */
static inline int32_t nnom_transpose_conv_source(int32_t o, int32_t pad, int32_t k, int32_t stride, int32_t in)
{
    const int32_t t = o + pad - k;
    if (t < 0 || t % stride != 0) return -1;
    const int32_t i = t / stride;
    return i < in ? i : -1;
}

void nnom_transpose_conv_s8(const nnom_transpose_conv_args *a, const int8_t *in, int8_t *out);
void nnom_transpose_conv_f32(const nnom_transpose_conv_args *a, const float *in, float *out);

#endif /* NNOM_KERNELS_TRANSPOSE_CONV_H */
