/*
 * int8 transposed convolution for Cortex-M cores with the DSP extension, the twin of
 * kernels/transpose_conv_s8.c: same function, same results bit for bit.
 *
 * The same walk over outputs and their taps; the dot product over the input channels of one tap
 * takes four channels at a time: the four inputs widened to two int16 pairs with the zero point
 * subtracted (SXTAB16), the four weights to the same (c0, c2) / (c1, c3) pairing (SXTB16), two
 * SMLAD. The last in_c % 4 channels one by one. The sum is the portable kernel's integer sum
 * (|dot| < 2^30, no rounding anywhere), so the results are identical.
 */
#include "kernels/arm/arm_dsp.h"

/* Compiled only as part of kernels/transpose_conv_s8.c, which includes this file on cores with DSP. */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)
#include <stddef.h>

#include "kernels/requant.h"
#include "kernels/transpose_conv.h"

/* sum over c < n of (x[c] - zp) * w[c]; neg_zp holds -zp in both int16 lanes */
static int32_t dot_channels(const int8_t *x, const int8_t *w, int32_t n, uint32_t neg_zp, int32_t zp)
{
    int32_t s = 0, c = 0;
    for (; c + 4 <= n; c += 4) {
        const uint32_t xw = nnom_arm_load4(x + c), ww = nnom_arm_load4(w + c);
        s = __smlad(nnom_arm_widen_lo(neg_zp, xw), nnom_arm_pairs_lo(ww), s);
        s = __smlad(nnom_arm_widen_hi(neg_zp, xw), nnom_arm_pairs_hi(ww), s);
    }
    for (; c < n; c++) s += ((int32_t)x[c] - zp) * w[c];
    return s;
}

void nnom_transpose_conv_s8(const nnom_transpose_conv_args *a, const int8_t *in, int8_t *out)
{
    const int8_t *w = (const int8_t *)a->weights;
    const int32_t *bias = (const int32_t *)a->bias;
    const uint32_t neg_zp = (uint32_t)(uint16_t)(int16_t)(-a->in_zp) * 0x00010001u;
    const size_t in_row = (size_t)a->in_w * (size_t)a->in_c, k_row = (size_t)a->k_w * (size_t)a->in_c;
    for (int32_t oh = 0; oh < a->out_h; oh++) {
        const nnom_transpose_taps th = nnom_transpose_taps_of(oh, a->crop_top, a->stride_h, a->k_h, a->in_h);
        for (int32_t ow = 0; ow < a->out_w; ow++) {
            const nnom_transpose_taps tw = nnom_transpose_taps_of(ow, a->crop_left, a->stride_w, a->k_w, a->in_w);
            int8_t *dst = out + ((size_t)oh * (size_t)a->out_w + (size_t)ow) * (size_t)a->out_c;
            for (int32_t oc = 0; oc < a->out_c; oc++) {
                int32_t dot = 0;
                const int8_t *wo = w + (size_t)oc * (size_t)a->k_h * k_row;
                for (int32_t y = 0; y < th.count; y++) {
                    const int32_t ky = th.first_k + y * a->stride_h, ih = th.first_i - y;
                    for (int32_t x = 0; x < tw.count; x++) {
                        const int32_t kx = tw.first_k + x * a->stride_w, iw = tw.first_i - x;
                        dot += dot_channels(in + (size_t)ih * in_row + (size_t)iw * (size_t)a->in_c,
                                            wo + (size_t)ky * k_row + (size_t)kx * (size_t)a->in_c, a->in_c, neg_zp,
                                            a->in_zp);
                    }
                }
                const int64_t sum = (int64_t)dot + (bias ? bias[oc] : 0);
                const int32_t acc = sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum);
                dst[oc] = nnom_clamp_s8(nnom_requantize(acc, a->multiplier[oc], a->shift[oc]) + a->out_zp, a->act_min,
                                        a->act_max);
            }
        }
    }
}

#endif /* NNOM_USE_ARM_DSP && NNOM_ARM_DSP_TWIN */
