/*
 * int8 depthwise convolution, portable C.
 *
 * Output channel oc = ic * mult + m reads input channel ic; the weights are
 * in Keras' order [k_h][k_w][in_c * mult], so for one tap the weights of
 * consecutive output channels are contiguous. Each output pixel accumulates
 * blocks of up to 16 channels in a small local array, tap by tap (taps in
 * the padding are skipped: their x - in_zp is 0), then requantises them.
 * No scratch.
 */
#include <stddef.h>

#include "kernels/conv.h"

#define DW_BLOCK 16

void nnom_depthwise_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    const int8_t *w = (const int8_t *)a->weights;
    const int32_t *bias = (const int32_t *)a->bias;
    const int32_t mult = a->depth_mult, out_c = a->out_c, in_c = a->in_c, zp = a->in_zp;
    int32_t acc[DW_BLOCK];

    for (int32_t oy = 0; oy < a->out_h; oy++) {
        const int32_t iy0 = oy * a->stride_h - a->pad_top;
        for (int32_t ox = 0; ox < a->out_w; ox++) {
            const int32_t ix0 = ox * a->stride_w - a->pad_left;
            int8_t *o = out + ((ptrdiff_t)oy * a->out_w + ox) * out_c;
            for (int32_t oc0 = 0; oc0 < out_c; oc0 += DW_BLOCK) {
                const int32_t n = out_c - oc0 < DW_BLOCK ? out_c - oc0 : DW_BLOCK;
                for (int32_t j = 0; j < DW_BLOCK; j++) acc[j] = 0;
                for (int32_t ky = 0; ky < a->k_h; ky++) {
                    const int32_t iy = iy0 + ky * a->dil_h;
                    if (iy < 0 || iy >= a->in_h) continue;
                    for (int32_t kx = 0; kx < a->k_w; kx++) {
                        const int32_t ix = ix0 + kx * a->dil_w;
                        if (ix < 0 || ix >= a->in_w) continue;
                        const int8_t *x = in + ((ptrdiff_t)iy * a->in_w + ix) * in_c;
                        const int8_t *wt = w + ((ptrdiff_t)ky * a->k_w + kx) * out_c + oc0;
                        if (mult == 1 && n == DW_BLOCK) {
                            /* the common case: fixed trip count, vectorisable */
                            const int8_t *xb = x + oc0;
                            for (int32_t j = 0; j < DW_BLOCK; j++) acc[j] += (xb[j] - zp) * wt[j];
                        } else {
                            int32_t ic = oc0 / mult, m = oc0 % mult;
                            for (int32_t j = 0; j < n; j++) {
                                acc[j] += (x[ic] - zp) * wt[j];
                                if (++m == mult) {
                                    m = 0;
                                    ic++;
                                }
                            }
                        }
                    }
                }
                for (int32_t j = 0; j < n; j++) {
                    const int32_t oc = oc0 + j;
                    const nnom_conv_quant q =
                        nnom_conv_quant_init(bias ? bias[oc] : 0, a->multiplier[oc], a->shift[oc]);
                    o[oc] = nnom_conv_quant_out(q, acc[j], a->out_zp, a->act_min, a->act_max);
                }
            }
        }
    }
}
