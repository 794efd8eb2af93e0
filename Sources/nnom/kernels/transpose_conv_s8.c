/* int8 transposed convolution, by gathering (see transpose_conv.h). */
#include "kernels/requant.h"
#include "kernels/transpose_conv.h"

void nnom_transpose_conv_s8(const nnom_transpose_conv_args *a, const int8_t *in, int8_t *out)
{
    const int8_t *w = (const int8_t *)a->weights;
    const int32_t *bias = (const int32_t *)a->bias;
    for (int32_t oy = 0; oy < a->out_h; oy++)
        for (int32_t ox = 0; ox < a->out_w; ox++)
            for (int32_t oc = 0; oc < a->out_c; oc++) {
                int32_t acc = bias ? bias[oc] : 0;
                for (int32_t ky = 0; ky < a->k_h; ky++) {
                    const int32_t iy = nnom_transpose_conv_source(oy, a->pad_top, ky, a->stride_h, a->in_h);
                    if (iy < 0) continue;
                    for (int32_t kx = 0; kx < a->k_w; kx++) {
                        const int32_t ix = nnom_transpose_conv_source(ox, a->pad_left, kx, a->stride_w, a->in_w);
                        if (ix < 0) continue;
                        const int8_t *px = in + ((int64_t)iy * a->in_w + ix) * a->in_c;
                        const int8_t *wk = w + (((int64_t)oc * a->k_h + ky) * a->k_w + kx) * a->in_c;
                        for (int32_t ic = 0; ic < a->in_c; ic++) acc += ((int32_t)px[ic] - a->in_zp) * wk[ic];
                    }
                }
                const int32_t y = nnom_requantize(acc, a->multiplier[oc], a->shift[oc]) + a->out_zp;
                out[((int64_t)oy * a->out_w + ox) * a->out_c + oc] = nnom_clamp_s8(y, a->act_min, a->act_max);
            }
}
