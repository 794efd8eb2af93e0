/* The convolution references of test_conv.c and test_conv_layer.c (see conv_ref.h). */
#include "conv_ref.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "test_util.h"

int32_t ref_out_size(int32_t in, int32_t k, int32_t s, int32_t d, int same)
{
    if (same) return (in + s - 1) / s;
    const int32_t span = (k - 1) * d + 1;
    return span > in ? 0 : (in - span) / s + 1;
}

int32_t ref_pad_before(int32_t in, int32_t out, int32_t k, int32_t s, int32_t d, int same)
{
    if (!same) return 0;
    const int32_t total = (out - 1) * s + (k - 1) * d + 1 - in;
    return total > 0 ? total / 2 : 0;
}

void ref_conv_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    const int8_t *w = (const int8_t *)a->weights;
    const int32_t *bias = (const int32_t *)a->bias;
    for (int32_t oy = 0; oy < a->out_h; oy++)
        for (int32_t ox = 0; ox < a->out_w; ox++)
            for (int32_t oc = 0; oc < a->out_c; oc++) {
                int64_t acc = bias ? bias[oc] : 0;
                for (int32_t ky = 0; ky < a->k_h; ky++) {
                    const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dil_h;
                    if (iy < 0 || iy >= a->in_h) continue;
                    for (int32_t kx = 0; kx < a->k_w; kx++) {
                        const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dil_w;
                        if (ix < 0 || ix >= a->in_w) continue;
                        for (int32_t ic = 0; ic < a->in_c; ic++) {
                            const int64_t x = in[((int64_t)iy * a->in_w + ix) * a->in_c + ic];
                            const int64_t wv = w[(((int64_t)oc * a->k_h + ky) * a->k_w + kx) * a->in_c + ic];
                            acc += (x - a->in_zp) * wv;
                        }
                    }
                }
                const int64_t v = (int64_t)tu_ref_requantize(acc, a->multiplier[oc], a->shift[oc]) + a->out_zp;
                out[((int64_t)oy * a->out_w + ox) * a->out_c + oc] = (int8_t)tu_clamp(v, a->act_min, a->act_max);
            }
}

void ref_conv_f32(const nnom_conv_args *a, const float *in, double *out, double *mag)
{
    const float *w = (const float *)a->weights;
    const float *bias = (const float *)a->bias;
    for (int32_t oy = 0; oy < a->out_h; oy++)
        for (int32_t ox = 0; ox < a->out_w; ox++)
            for (int32_t oc = 0; oc < a->out_c; oc++) {
                double acc = bias ? bias[oc] : 0.0, m = fabs(acc);
                for (int32_t ky = 0; ky < a->k_h; ky++) {
                    const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dil_h;
                    if (iy < 0 || iy >= a->in_h) continue;
                    for (int32_t kx = 0; kx < a->k_w; kx++) {
                        const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dil_w;
                        if (ix < 0 || ix >= a->in_w) continue;
                        for (int32_t ic = 0; ic < a->in_c; ic++) {
                            const double t = (double)in[((int64_t)iy * a->in_w + ix) * a->in_c + ic] *
                                             (double)w[(((int64_t)oc * a->k_h + ky) * a->k_w + kx) * a->in_c + ic];
                            acc += t;
                            m += fabs(t);
                        }
                    }
                }
                const int64_t o = ((int64_t)oy * a->out_w + ox) * a->out_c + oc;
                if (acc < a->act_min_f) acc = a->act_min_f;
                if (acc > a->act_max_f) acc = a->act_max_f;
                out[o] = acc;
                mag[o] = m;
            }
}

void ref_act_f32(int act, float *lo, float *hi)
{
    *lo = act == NNOM_ACT_NONE ? -FLT_MAX : 0.0f;
    *hi = act == NNOM_ACT_RELU6 ? 6.0f : FLT_MAX;
}


int make_geometry(nnom_conv_args *a, const shape_spec *s)
{
    memset(a, 0, sizeof *a);
    a->in_h = s->in_h;
    a->in_w = s->in_w;
    a->in_c = s->in_c;
    a->out_c = s->out_c;
    a->k_h = s->kh;
    a->k_w = s->kw;
    a->stride_h = s->sh;
    a->stride_w = s->sw;
    a->dil_h = s->dh;
    a->dil_w = s->dw;
    a->out_h = ref_out_size(s->in_h, s->kh, s->sh, s->dh, s->same);
    a->out_w = ref_out_size(s->in_w, s->kw, s->sw, s->dw, s->same);
    if (a->out_h <= 0 || a->out_w <= 0) return 0;
    a->pad_top = ref_pad_before(s->in_h, a->out_h, s->kh, s->sh, s->dh, s->same);
    a->pad_left = ref_pad_before(s->in_w, a->out_w, s->kw, s->sw, s->dw, s->same);
    return 1;
}


compare_result compare_s8(const int8_t *got, const int8_t *want, int64_t n)
{
    compare_result r = {0, -1, 0, 0};
    for (int64_t i = 0; i < n; i++)
        if (got[i] != want[i]) {
            if (r.fails++ == 0) {
                r.first_index = (int)i;
                r.got = got[i];
                r.want = want[i];
            }
        }
    return r;
}
