/*
 * float32 depthwise convolution: reference code, written for clarity.
 * Weights [k_h][k_w][in_c * mult]; output channel oc reads input channel oc / mult.
 */
#include <stddef.h>

#include "kernels/conv.h"

void nnom_depthwise_conv2d_f32(const nnom_conv_args *a, const float *in, float *out)
{
    const float *w = (const float *)a->weights;
    const float *bias = (const float *)a->bias;
    const int32_t mult = a->depth_mult, out_c = a->out_c;

    for (int32_t oy = 0; oy < a->out_h; oy++) {
        for (int32_t ox = 0; ox < a->out_w; ox++) {
            const int32_t iy0 = oy * a->stride_h - a->pad_top;
            const int32_t ix0 = ox * a->stride_w - a->pad_left;
            float *o = out + ((ptrdiff_t)oy * a->out_w + ox) * out_c;
            for (int32_t oc = 0; oc < out_c; oc++) {
                const int32_t ic = oc / mult;
                float acc = bias ? bias[oc] : 0.0f;
                for (int32_t ky = 0; ky < a->k_h; ky++) {
                    const int32_t iy = iy0 + ky * a->dil_h;
                    if (iy < 0 || iy >= a->in_h) continue;
                    for (int32_t kx = 0; kx < a->k_w; kx++) {
                        const int32_t ix = ix0 + kx * a->dil_w;
                        if (ix < 0 || ix >= a->in_w) continue;
                        const float x = in[((ptrdiff_t)iy * a->in_w + ix) * a->in_c + ic];
                        acc += x * w[((ptrdiff_t)ky * a->k_w + kx) * out_c + oc];
                    }
                }
                o[oc] = acc < a->act_min_f ? a->act_min_f : (acc > a->act_max_f ? a->act_max_f : acc);
            }
        }
    }
}
