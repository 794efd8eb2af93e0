/* float32 transposed convolution, by gathering (see transpose_conv.h). */
#include "kernels/transpose_conv.h"

void nnom_transpose_conv_f32(const nnom_transpose_conv_args *a, const float *in, float *out)
{
    const float *w = (const float *)a->weights;
    const float *bias = (const float *)a->bias;
    for (int32_t oy = 0; oy < a->out_h; oy++)
        for (int32_t ox = 0; ox < a->out_w; ox++)
            for (int32_t oc = 0; oc < a->out_c; oc++) {
                float acc = bias ? bias[oc] : 0.0f;
                for (int32_t ky = 0; ky < a->k_h; ky++) {
                    const int32_t iy = nnom_transpose_conv_source(oy, a->pad_top, ky, a->stride_h, a->in_h);
                    if (iy < 0) continue;
                    for (int32_t kx = 0; kx < a->k_w; kx++) {
                        const int32_t ix = nnom_transpose_conv_source(ox, a->pad_left, kx, a->stride_w, a->in_w);
                        if (ix < 0) continue;
                        const float *px = in + ((int64_t)iy * a->in_w + ix) * a->in_c;
                        const float *wk = w + (((int64_t)oc * a->k_h + ky) * a->k_w + kx) * a->in_c;
                        for (int32_t ic = 0; ic < a->in_c; ic++) acc += px[ic] * wk[ic];
                    }
                }
                acc = acc < a->act_min_f ? a->act_min_f : (acc > a->act_max_f ? a->act_max_f : acc);
                out[((int64_t)oy * a->out_w + ox) * a->out_c + oc] = acc;
            }
}
