/* The float32 transposed convolution (see transpose_conv.h). */
#include <stddef.h>

#include "kernels/transpose_conv.h"

void nnom_transpose_conv_f32(const nnom_transpose_conv_args *a, const float *in, float *out)
{
    const float *w = (const float *)a->weights;
    const float *bias = (const float *)a->bias;
    const size_t in_row = (size_t)a->in_w * (size_t)a->in_c, k_row = (size_t)a->k_w * (size_t)a->in_c;
    for (int32_t oh = 0; oh < a->out_h; oh++) {
        const nnom_transpose_taps th = nnom_transpose_taps_of(oh, a->crop_top, a->stride_h, a->k_h, a->in_h);
        for (int32_t ow = 0; ow < a->out_w; ow++) {
            const nnom_transpose_taps tw = nnom_transpose_taps_of(ow, a->crop_left, a->stride_w, a->k_w, a->in_w);
            for (int32_t oc = 0; oc < a->out_c; oc++) {
                float acc = bias ? bias[oc] : 0.0f;
                const float *wo = w + (size_t)oc * (size_t)a->k_h * k_row;
                for (int32_t y = 0; y < th.count; y++) {
                    const int32_t ky = th.first_k + y * a->stride_h, ih = th.first_i - y;
                    for (int32_t x = 0; x < tw.count; x++) {
                        const int32_t kx = tw.first_k + x * a->stride_w, iw = tw.first_i - x;
                        const float *src = in + (size_t)ih * in_row + (size_t)iw * (size_t)a->in_c;
                        const float *wk = wo + (size_t)ky * k_row + (size_t)kx * (size_t)a->in_c;
                        for (int32_t ic = 0; ic < a->in_c; ic++) acc += src[ic] * wk[ic];
                    }
                }
                acc = acc < a->act_min_f ? a->act_min_f : (acc > a->act_max_f ? a->act_max_f : acc);
                out[((size_t)oh * (size_t)a->out_w + (size_t)ow) * (size_t)a->out_c + (size_t)oc] = acc;
            }
        }
    }
}
