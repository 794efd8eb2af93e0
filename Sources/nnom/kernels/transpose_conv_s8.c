/* The portable int8 transposed convolution (see transpose_conv.h). */
#include "kernels/arm/arm_dsp.h" /* Cortex-M with DSP: kernels/arm/transpose_conv_s8.c replaces this file */
#if NNOM_USE_ARM_DSP
#define NNOM_ARM_DSP_TWIN 1
#include "kernels/arm/transpose_conv_s8.c"
#else

#include <stddef.h>

#include "kernels/requant.h"
#include "kernels/transpose_conv.h"

void nnom_transpose_conv_s8(const nnom_transpose_conv_args *a, const int8_t *in, int8_t *out)
{
    const int8_t *w = (const int8_t *)a->weights;
    const int32_t *bias = (const int32_t *)a->bias;
    const size_t in_row = (size_t)a->in_w * (size_t)a->in_c, k_row = (size_t)a->k_w * (size_t)a->in_c;
    for (int32_t oh = 0; oh < a->out_h; oh++) {
        const nnom_transpose_taps th = nnom_transpose_taps_of(oh, a->crop_top, a->stride_h, a->k_h, a->in_h);
        for (int32_t ow = 0; ow < a->out_w; ow++) {
            const nnom_transpose_taps tw = nnom_transpose_taps_of(ow, a->crop_left, a->stride_w, a->k_w, a->in_w);
            for (int32_t oc = 0; oc < a->out_c; oc++) {
                int32_t dot = 0; /* |dot| < 2^30: at most NNOM_CONV_MAX_PATCH products of |255 x 127| */
                const int8_t *wo = w + (size_t)oc * (size_t)a->k_h * k_row;
                for (int32_t y = 0; y < th.count; y++) {
                    const int32_t ky = th.first_k + y * a->stride_h, ih = th.first_i - y;
                    for (int32_t x = 0; x < tw.count; x++) {
                        const int32_t kx = tw.first_k + x * a->stride_w, iw = tw.first_i - x;
                        const int8_t *src = in + (size_t)ih * in_row + (size_t)iw * (size_t)a->in_c;
                        const int8_t *wk = wo + (size_t)ky * k_row + (size_t)kx * (size_t)a->in_c;
                        for (int32_t ic = 0; ic < a->in_c; ic++) dot += ((int32_t)src[ic] - a->in_zp) * wk[ic];
                    }
                }
                /* the bias (any int32) added in 64 bits, the sum saturated to int32 */
                const int64_t sum = (int64_t)dot + (bias ? bias[oc] : 0);
                const int32_t acc = sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum);
                const int32_t r = nnom_requantize(acc, a->multiplier[oc], a->shift[oc]) + a->out_zp;
                out[((size_t)oh * (size_t)a->out_w + (size_t)ow) * (size_t)a->out_c + (size_t)oc] =
                    nnom_clamp_s8(r, a->act_min, a->act_max);
            }
        }
    }
}

#endif /* NNOM_USE_ARM_DSP */
