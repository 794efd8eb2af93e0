/*
 * float32 convolution: reference code, written for clarity.
 * Same geometry and weight layout as the int8 kernel (see conv.h).
 */
#include <stddef.h>

#include "kernels/conv.h"

void nnom_conv2d_f32(const nnom_conv_args *a, const float *in, float *out)
{
    const float *w = (const float *)a->weights;
    const float *bias = (const float *)a->bias;
    const int32_t k = a->k_h * a->k_w * a->in_c;

    for (int32_t oy = 0; oy < a->out_h; oy++) {
        for (int32_t ox = 0; ox < a->out_w; ox++) {
            const int32_t iy0 = oy * a->stride_h - a->pad_top;
            const int32_t ix0 = ox * a->stride_w - a->pad_left;
            float *o = out + ((ptrdiff_t)oy * a->out_w + ox) * a->out_c;
            for (int32_t oc = 0; oc < a->out_c; oc++) {
                const float *wc = w + (ptrdiff_t)oc * k;
                float acc = bias ? bias[oc] : 0.0f;
                for (int32_t ky = 0; ky < a->k_h; ky++) {
                    const int32_t iy = iy0 + ky * a->dil_h;
                    if (iy < 0 || iy >= a->in_h) continue; /* padding contributes zero */
                    for (int32_t kx = 0; kx < a->k_w; kx++) {
                        const int32_t ix = ix0 + kx * a->dil_w;
                        if (ix < 0 || ix >= a->in_w) continue;
                        const float *x = in + ((ptrdiff_t)iy * a->in_w + ix) * a->in_c;
                        const float *wt = wc + ((ptrdiff_t)ky * a->k_w + kx) * a->in_c;
                        for (int32_t ic = 0; ic < a->in_c; ic++) acc += x[ic] * wt[ic];
                    }
                }
                o[oc] = acc < a->act_min_f ? a->act_min_f : (acc > a->act_max_f ? a->act_max_f : acc);
            }
        }
    }
}
