/*
 * DEPTHWISE_CONV1D / DEPTHWISE_CONV2D: the int8 and float32 kernels against
 * references written here (exact int64 accumulator then the TFLite rounding
 * of test_util.h; double precision for float) on random shapes, depth
 * multipliers, strides, dilations, paddings, zero points and clamps; and the
 * layer through the public API (graphs, and infer errors).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv_layer_util.h"
#include "conv_ref.h"
#include "kernels/conv.h"
#include "model_util.h"
#include "test_util.h"

/* ------------------------------------------------------------------ references */

/* Output channel oc reads input channel oc / mult; weights [kh][kw][out_c]. */
static void ref_dw_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out)
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
                        const int64_t x = in[((int64_t)iy * a->in_w + ix) * a->in_c + oc / a->depth_mult];
                        acc += (x - a->in_zp) * w[((int64_t)ky * a->k_w + kx) * a->out_c + oc];
                    }
                }
                const int64_t v = (int64_t)tu_ref_requantize(acc, a->multiplier[oc], a->shift[oc]) + a->out_zp;
                out[((int64_t)oy * a->out_w + ox) * a->out_c + oc] = (int8_t)tu_clamp(v, a->act_min, a->act_max);
            }
}

static void ref_dw_f32(const nnom_conv_args *a, const float *in, double *out, double *mag)
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
                        const double t = (double)in[((int64_t)iy * a->in_w + ix) * a->in_c + oc / a->depth_mult] *
                                         (double)w[((int64_t)ky * a->k_w + kx) * a->out_c + oc];
                        acc += t;
                        m += fabs(t);
                    }
                }
                const int64_t o = ((int64_t)oy * a->out_w + ox) * a->out_c + oc;
                if (acc < a->act_min_f) acc = a->act_min_f;
                if (acc > a->act_max_f) acc = a->act_max_f;
                out[o] = acc;
                mag[o] = m;
            }
}

/* ------------------------------------------------------------------ random cases */

/* A case's shape: conv_ref.h's, with a depth multiplier instead of output channels. */
typedef struct {
    int32_t in_h, in_w, in_c, mult, kh, kw, sh, sw, dh, dw, same;
} dw_spec;

/* conv_ref.h's make_geometry() for @p s: out_c = in_c * mult. */
static int dw_geometry(nnom_conv_args *a, const dw_spec *s)
{
    const shape_spec g = {s->in_h, s->in_w, s->in_c, s->in_c * s->mult, s->kh, s->kw, s->sh, s->sw, s->dh, s->dw, s->same};
    const int ok = make_geometry(a, &g);
    a->depth_mult = s->mult;
    return ok;
}

static void random_spec(dw_spec *s, int one_d)
{
    static const int32_t channels[] = {1, 2, 3, 4, 5, 7, 8, 11, 15, 16, 17, 19, 32, 33};
    s->in_c = channels[tu_rand_int(0, (int32_t)(sizeof channels / sizeof channels[0]) - 1)];
    s->mult = tu_rand_int(0, 2) ? 1 : tu_rand_int(2, 3);
    s->kh = one_d ? 1 : tu_rand_int(1, 5);
    s->kw = tu_rand_int(1, 5);
    s->sh = one_d ? 1 : tu_rand_int(1, 3);
    s->sw = tu_rand_int(1, 3);
    s->dh = one_d ? 1 : (tu_rand_int(0, 3) == 0 ? 2 : 1);
    s->dw = tu_rand_int(0, 3) == 0 ? 2 : 1;
    s->same = tu_rand_int(0, 1);
    s->in_h = one_d ? 1 : tu_rand_int(1, 10);
    s->in_w = tu_rand_int(1, one_d ? 21 : 10);
}

static void random_clamp(int32_t zp, int32_t *lo, int32_t *hi)
{
    switch (tu_rand_int(0, 3)) {
    case 0: *lo = -128; *hi = 127; break;
    case 1: *lo = zp; *hi = 127; break;
    case 2: *lo = zp; *hi = zp + tu_rand_int(0, 127 - zp); break;
    default:
        *lo = tu_rand_int(-128, 127);
        *hi = tu_rand_int(*lo, 127);
        break;
    }
}

/* set: every channel's pair as a trained model's (no extreme or dead channels), so that whole
 * blocks of 16 channels take the kernels' 32-bit requantisation */
static int trained_requant;

static void random_requant(double typical, int32_t *m, int32_t *s)
{
    const int r = trained_requant ? 19 : tu_rand_int(0, 19);
    if (r == 0) {
        *m = tu_rand_int(0, 1) ? 0 : INT32_MAX;
        *s = tu_rand_int(-31, 2);
        return;
    }
    if (r == 1) {
        tu_ref_multiplier(tu_rand_float(1.0f, 300.0f), m, s);
        return;
    }
    if (r == 2) { /* a multiplier below 2^30 (not normalised), or a dead channel */
        *m = tu_rand_int(0, 3) ? tu_rand_int(1, (1 << 30) - 1) : 0;
        *s = tu_rand_int(-24, -1);
        return;
    }
    tu_ref_multiplier(typical * pow(2.0, tu_rand_float(-2.0f, 2.0f)), m, s);
}

static int cases_s8, cases_f32, cases_in_place;
/* 1: inputs and weights all at extreme values (see run_case_s8) */
static int extreme_fill;
/* 1: every bias within 2^16 of +-2^30 */
static int near_limit_bias;

static void run_case_s8(const dw_spec *s, int case_no)
{
    nnom_conv_args a;
    if (!dw_geometry(&a, s)) return;
    const int64_t taps = (int64_t)s->kh * s->kw;
    const int64_t n_in = (int64_t)s->in_h * s->in_w * s->in_c;
    const int64_t n_out = (int64_t)a.out_h * a.out_w * a.out_c;
    const int64_t n_w = taps * a.out_c;
    const int misalign = tu_rand_int(0, 1);
    int8_t *in_buf = (int8_t *)malloc((size_t)n_in + 1), *w_buf = (int8_t *)malloc((size_t)n_w + 1);
    int8_t *in = in_buf + misalign, *w = w_buf + misalign;
    int32_t *bias = tu_rand_int(0, 3) ? (int32_t *)malloc((size_t)a.out_c * 4) : NULL;
    int32_t *mult = (int32_t *)malloc((size_t)a.out_c * 4), *shift = (int32_t *)malloc((size_t)a.out_c * 4);
    int8_t *got = (int8_t *)malloc((size_t)n_out), *want = (int8_t *)malloc((size_t)n_out);
    const int small = tu_rand_int(0, 4) == 0;
    a.in_zp = tu_rand_int(-128, 127);
    a.out_zp = tu_rand_int(-128, 127);
    tu_fill_s8(in, (size_t)n_in, -128, 127);
    tu_fill_s8(w, (size_t)n_w, small ? -2 : -128, small ? 2 : 127);
    if (extreme_fill) { /* the largest products: x * w at the ends of both ranges, at every tap */
        static const int8_t xs[] = {-128, -128, 127, -128}, ws[] = {-128, 127, -128, -127};
        const int v = tu_rand_int(0, 3);
        memset(in, (uint8_t)xs[v], (size_t)n_in);
        memset(w, (uint8_t)ws[v], (size_t)n_w);
    }
    const double typical = 40.0 / (sqrt((double)taps) * 110.0 * (small ? 1.5 : 74.0));
    for (int32_t c = 0; c < a.out_c; c++) {
        random_requant(typical, &mult[c], &shift[c]);
        if (bias && near_limit_bias) {
            bias[c] = (1 << 30) - tu_rand_int(0, 1 << 16);
            if (tu_rand_int(0, 1)) bias[c] = -bias[c];
        } else if (bias) bias[c] = tu_rand_int(0, 9) == 0 ? tu_rand_int(-2000000000, 2000000000)
                                                   : tu_rand_int(-(int32_t)taps * 3000, (int32_t)taps * 3000);
    }
    random_clamp(a.out_zp, &a.act_min, &a.act_max);
    a.weights = w;
    a.bias = bias;
    a.multiplier = mult;
    a.shift = shift;
    cases_s8++;
    memset(got, 0x5a, (size_t)n_out);
    nnom_depthwise_conv2d_s8(&a, in, got);
    ref_dw_s8(&a, in, want);
    int fails = 0, first = -1;
    for (int64_t i = 0; i < n_out; i++)
        if (got[i] != want[i] && fails++ == 0) first = (int)i;
    TU_CHECK(fails == 0,
             "s8 case %d: in %dx%dx%d, multiplier %d, kernel %dx%d, stride %dx%d, dilation %dx%d, %s, zp %d/%d, "
             "clamp [%d, %d]%s: %d of %ld outputs differ, first at %d: %d, expected %d",
             case_no, (int)s->in_h, (int)s->in_w, (int)s->in_c, (int)s->mult, (int)s->kh, (int)s->kw, (int)s->sh,
             (int)s->sw, (int)s->dh, (int)s->dw, s->same ? "same" : "valid", (int)a.in_zp, (int)a.out_zp,
             (int)a.act_min, (int)a.act_max, bias ? "" : ", no bias", fails, (long)n_out, first,
             first >= 0 ? got[first] : 0, first >= 0 ? want[first] : 0);
    if (nnom_depthwise_conv2d_s8_in_place(&a)) { /* the same outputs with the output over the input */
        int8_t *buf = (int8_t *)malloc((size_t)(n_in > n_out ? n_in : n_out));
        memcpy(buf, in, (size_t)n_in);
        nnom_depthwise_conv2d_s8(&a, buf, buf);
        TU_CHECK(memcmp(buf, want, (size_t)n_out) == 0, "s8 case %d: in %dx%dx%d, kernel %dx%d: in place, outputs differ",
                 case_no, (int)s->in_h, (int)s->in_w, (int)s->in_c, (int)s->kh, (int)s->kw);
        cases_in_place++;
        free(buf);
    }
    free(in_buf);
    free(w_buf);
    free(bias);
    free(mult);
    free(shift);
    free(got);
    free(want);
}

static void run_case_f32(const dw_spec *s, int case_no)
{
    nnom_conv_args a;
    if (!dw_geometry(&a, s)) return;
    const int64_t n_in = (int64_t)s->in_h * s->in_w * s->in_c;
    const int64_t n_out = (int64_t)a.out_h * a.out_w * a.out_c;
    const int64_t n_w = (int64_t)s->kh * s->kw * a.out_c;
    float *in = (float *)malloc((size_t)n_in * 4), *w = (float *)malloc((size_t)n_w * 4);
    float *bias = tu_rand_int(0, 3) ? (float *)malloc((size_t)a.out_c * 4) : NULL;
    float *got = (float *)malloc((size_t)n_out * 4);
    double *want = (double *)malloc((size_t)n_out * 8), *mag = (double *)malloc((size_t)n_out * 8);
    tu_fill_f32(in, (size_t)n_in, -2.0f, 2.0f);
    tu_fill_f32(w, (size_t)n_w, -1.0f, 1.0f);
    if (bias) tu_fill_f32(bias, (size_t)a.out_c, -3.0f, 3.0f);
    ref_act_f32(tu_rand_int(0, 2), &a.act_min_f, &a.act_max_f);
    a.weights = w;
    a.bias = bias;
    cases_f32++;
    nnom_depthwise_conv2d_f32(&a, in, got);
    ref_dw_f32(&a, in, want, mag);
    int fails = 0, first = -1;
    for (int64_t i = 0; i < n_out; i++)
        if (!(fabs((double)got[i] - want[i]) <= 1e-5 * (mag[i] + 1e-3)) && fails++ == 0) first = (int)i;
    TU_CHECK(fails == 0, "f32 case %d: in %dx%dx%d, multiplier %d, kernel %dx%d, stride %dx%d, dilation %dx%d, %s: "
             "%d of %ld differ, first at %d: %g, expected %g",
             case_no, (int)s->in_h, (int)s->in_w, (int)s->in_c, (int)s->mult, (int)s->kh, (int)s->kw, (int)s->sh,
             (int)s->sw, (int)s->dh, (int)s->dw, s->same ? "same" : "valid", fails, (long)n_out, first,
             first >= 0 ? (double)got[first] : 0.0, first >= 0 ? want[first] : 0.0);
    free(in);
    free(w);
    free(bias);
    free(got);
    free(want);
    free(mag);
}

static void test_dw_random(void)
{
    tu_seed(0xD3A70001u);
    for (int i = 0; i < 700; i++) {
        dw_spec s;
        random_spec(&s, i % 4 == 3);
        run_case_s8(&s, i);
    }
    tu_seed(0xD3A70002u);
    for (int i = 0; i < 400; i++) {
        dw_spec s;
        random_spec(&s, i % 4 == 3);
        run_case_f32(&s, i);
    }
    /* a few larger ones: many channels (several blocks of 16), long kernels */
    static const dw_spec big[] = {
        {12, 12, 64, 1, 3, 3, 1, 1, 1, 1, 1}, {9, 9, 40, 2, 3, 3, 2, 2, 1, 1, 1}, {1, 50, 48, 1, 1, 9, 1, 1, 1, 3, 1},
        {7, 7, 32, 3, 5, 5, 1, 1, 1, 1, 0},   {1, 1, 17, 2, 1, 1, 1, 1, 1, 1, 0}, {4, 4, 16, 1, 7, 7, 1, 1, 1, 1, 1},
        /* the planar path: rows longer than a tile (several column tiles), both strides, dilations, a
         * kernel taller than its row buffer serves, a 1D kernel with more taps than it packs */
        {3, 300, 3, 1, 3, 3, 1, 1, 1, 1, 1},  {5, 301, 2, 2, 3, 3, 2, 2, 1, 1, 1}, {6, 250, 5, 1, 3, 5, 1, 3, 2, 2, 1},
        {1, 200, 2, 1, 1, 70, 1, 1, 1, 1, 1}, {40, 6, 3, 1, 34, 3, 1, 1, 1, 1, 1}, {20, 20, 8, 1, 3, 3, 1, 1, 1, 1, 1},
        {21, 19, 7, 2, 3, 3, 2, 2, 1, 1, 1},  {9, 30, 24, 1, 3, 3, 1, 1, 3, 1, 0},
    };
    tu_seed(0xD3A70003u);
    for (int i = 0; i < (int)(sizeof big / sizeof big[0]); i++) {
        run_case_s8(&big[i], 1000 + i);
        run_case_f32(&big[i], 1000 + i);
    }
    /* MobileNet / DS-CNN-like layers with trained requantisation: whole rows of pixels whose taps
     * all fall inside the input (3x3 and other kernels, both strides, dilation), and their borders */
    static const dw_spec trained[] = {
        {12, 12, 64, 1, 3, 3, 1, 1, 1, 1, 1}, {25, 5, 64, 1, 3, 3, 1, 1, 1, 1, 1}, {24, 24, 32, 1, 3, 3, 2, 2, 1, 1, 1},
        {13, 11, 16, 1, 3, 3, 2, 1, 1, 1, 0}, {12, 12, 32, 1, 5, 5, 1, 1, 1, 1, 1}, {10, 10, 16, 1, 3, 3, 1, 1, 2, 2, 1},
        {7, 9, 48, 1, 3, 2, 1, 3, 1, 1, 1},   {6, 6, 16, 1, 3, 3, 1, 1, 1, 1, 0},
        /* 8 channels at stride 1 (MobileNet's first depthwise): the interior two pixels at a time,
         * odd and even interior widths, other kernels, dilation, a taller stride */
        {48, 48, 8, 1, 3, 3, 1, 1, 1, 1, 1}, {9, 11, 8, 1, 3, 3, 1, 1, 1, 1, 1},  {10, 13, 8, 1, 3, 3, 2, 1, 1, 1, 0},
        {12, 12, 8, 1, 5, 5, 1, 1, 1, 1, 1}, {11, 12, 8, 1, 3, 3, 1, 1, 2, 2, 1}, {8, 10, 8, 1, 2, 4, 1, 1, 1, 1, 0},
    };
    /* 1x1, stride 1, multiplier 1: per-channel affine maps (kernels/depthwise_affine_s8.c), planes
     * below and above the size from which each channel's outputs come from a table */
    static const dw_spec affine[] = {
        {96, 96, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {32, 32, 24, 1, 1, 1, 1, 1, 1, 1, 0}, {20, 20, 5, 1, 1, 1, 1, 1, 1, 1, 1},
        {19, 20, 1, 1, 1, 1, 1, 1, 1, 1, 0}, {6, 6, 64, 1, 1, 1, 1, 1, 1, 1, 1},   {1, 383, 7, 1, 1, 1, 1, 1, 1, 1, 0},
        {1, 384, 7, 1, 1, 1, 1, 1, 1, 1, 0},
        /* small calls: one pixel (a 1 x 1 map), a few, the bands of a tiled stage; around 512 pixels */
        {1, 1, 64, 1, 1, 1, 1, 1, 1, 1, 0},    {1, 1, 3, 1, 1, 1, 1, 1, 1, 1, 1},   {1, 2, 33, 1, 1, 1, 1, 1, 1, 1, 0},
        {3, 1, 9, 1, 1, 1, 1, 1, 1, 1, 1},     {6, 32, 40, 1, 1, 1, 1, 1, 1, 1, 0}, {1, 511, 5, 1, 1, 1, 1, 1, 1, 1, 0},
        {1, 512, 5, 1, 1, 1, 1, 1, 1, 1, 1},
    };
    tu_seed(0xD3A70005u);
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < (int)(sizeof affine / sizeof affine[0]); i++) {
            trained_requant = rep == 0;
            run_case_s8(&affine[i], 3000 + i);
        }
    /* biases near 2^30 (either sign): where an accumulator of some input values leaves 30 bits */
    trained_requant = 1;
    near_limit_bias = 1;
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < (int)(sizeof affine / sizeof affine[0]); i++) run_case_s8(&affine[i], 3100 + i);
    near_limit_bias = 0;
    trained_requant = 1;
    tu_seed(0xD3A70004u);
    for (int rep = 0; rep < 4; rep++)
        for (int i = 0; i < (int)(sizeof trained / sizeof trained[0]); i++) run_case_s8(&trained[i], 2000 + i);
    /* the same with every input and weight at an extreme value: an interior pixel's taps add by pairs in
     * int16 (x * -w down to -32768 for a pair), the borders and the other paths as well */
    extreme_fill = 1;
    for (int rep = 0; rep < 8; rep++)
        for (int i = 0; i < (int)(sizeof trained / sizeof trained[0]); i++) run_case_s8(&trained[i], 3000 + i);
    extreme_fill = 0;
    trained_requant = 0;
}

/* ------------------------------------------------------------------ graphs through the public API */

static void kernel_args_of(const conv_layer_spec *s, nnom_conv_args *a)
{
    dw_spec g = {s->one_d ? 1 : s->in_h, s->in_w, s->in_c, s->units, s->one_d ? 1 : s->kh, s->kw,
                 s->sh ? s->sh : 1, s->sw ? s->sw : 1, s->dh ? s->dh : 1, s->dw ? s->dw : 1,
                 s->padding == NNOM_PADDING_SAME};
    TU_REQUIRE(dw_geometry(a, &g), "geometry");
}

static void test_graphs(void)
{
    static const conv_layer_spec specs[] = {
        {10, 10, 8, 1, 3, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU6, 0, 1},
        {9, 8, 5, 2, 3, 2, 2, 1, 1, 2, NNOM_PADDING_VALID, NNOM_ACT_NONE, 0, 0},
        {7, 7, 20, 1, 5, 5, 2, 2, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU, 0, 1},
        {1, 30, 6, 3, 1, 5, 0, 2, 0, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU, 1, 1},
    };
    tu_seed(0xD3A70004u);
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++) {
        const conv_layer_spec *s = &specs[i];
        nnom_conv_args a;
        kernel_args_of(s, &a);
        const int64_t n_in = (int64_t)a.in_h * a.in_w * a.in_c, n_out = (int64_t)a.out_h * a.out_w * a.out_c;

        /* int8 */
        conv_blobs b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        const nnom_quant in_q = {0.03f, -9};
        nnom_status st = conv_layer_model(s, &conv_layer_depthwise, NNOM_DTYPE_S8, &b, in_q, NULL, &m);
        TU_REQUIRE(st == NNOM_OK, "compile: %s", nnom_model_last_error(m));
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, 1, &info));
        TU_CHECK(info.macs == (uint64_t)n_out * (uint64_t)(s->kh * s->kw), "graph %d: macs %lu", i,
                 (unsigned long)info.macs);
        TU_CHECK(info.shape.rank == (s->one_d ? 2 : 3) && info.shape.dims[info.shape.rank - 1] == a.out_c,
                 "graph %d: output rank %d, channels %d", i, (int)info.shape.rank,
                 (int)info.shape.dims[info.shape.rank - 1]);
        TU_CHECK(info.scratch_bytes == 0, "graph %d: scratch %u", i, (unsigned)info.scratch_bytes);
        TU_OK(m, nnom_model_alloc_arena(m));
        int8_t *x = (int8_t *)malloc((size_t)n_in), *got = (int8_t *)malloc((size_t)n_out),
               *want = (int8_t *)malloc((size_t)n_out);
        a.in_zp = in_q.zero_point;
        a.out_zp = conv_layer_depthwise.out_q.zero_point;
        tu_ref_act_bounds_s8(s->activation, conv_layer_depthwise.out_q, &a.act_min, &a.act_max);
        a.weights = b.w;
        a.bias = s->with_bias ? b.bias : NULL;
        a.multiplier = b.mult;
        a.shift = b.shift;
        for (int rep = 0; rep < 3; rep++) {
            tu_fill_s8(x, (size_t)n_in, -128, 127);
            TU_OK(m, nnom_model_set_input_s8(m, 0, x, (size_t)n_in));
            TU_OK(m, nnom_model_run(m));
            TU_OK(m, nnom_model_get_output_s8(m, 0, got, (size_t)n_out));
            ref_dw_s8(&a, x, want);
            int fails = 0;
            for (int64_t j = 0; j < n_out; j++) fails += got[j] != want[j];
            TU_CHECK(fails == 0, "s8 graph %d run %d: %d of %ld outputs differ", i, rep, fails, (long)n_out);
        }
        free(x);
        free(got);
        free(want);
        nnom_model_destroy(m);
        conv_blobs_free(&b);

        /* float32 */
        st = conv_layer_model(s, &conv_layer_depthwise, NNOM_DTYPE_F32, &b, (nnom_quant){1.0f, 0}, NULL, &m);
        TU_REQUIRE(st == NNOM_OK, "compile: %s", nnom_model_last_error(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        a.weights = b.wf;
        a.bias = s->with_bias ? b.bf : NULL;
        ref_act_f32(s->activation, &a.act_min_f, &a.act_max_f);
        float *xf = (float *)malloc((size_t)n_in * 4), *gotf = (float *)malloc((size_t)n_out * 4);
        double *wantf = (double *)malloc((size_t)n_out * 8), *mag = (double *)malloc((size_t)n_out * 8);
        tu_fill_f32(xf, (size_t)n_in, -3.0f, 3.0f);
        TU_OK(m, nnom_model_set_input_f32(m, 0, xf, (size_t)n_in));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, gotf, (size_t)n_out));
        ref_dw_f32(&a, xf, wantf, mag);
        int fails = 0;
        for (int64_t j = 0; j < n_out; j++) fails += !(fabs((double)gotf[j] - wantf[j]) <= 1e-5 * (mag[j] + 1e-3));
        TU_CHECK(fails == 0, "f32 graph %d: %d of %ld outputs differ", i, fails, (long)n_out);
        free(xf);
        free(gotf);
        free(wantf);
        free(mag);
        nnom_model_destroy(m);
        conv_blobs_free(&b);
    }
}

/* ------------------------------------------------------------------ infer errors */

static void t_weights_short(nnom_layer_desc *d) { d->blobs[0].size -= 4; }
static void t_bias_size(nnom_layer_desc *d) { d->blobs[1].size -= 4; }
static void t_shift_30(nnom_layer_desc *d) { ((int32_t *)d->blobs[3].data)[5] = 31; }
static void t_mult_size(nnom_layer_desc *d) { d->blobs[2].size = 4; }
static void t_units_zero(nnom_layer_desc *d) { d->params.units = 0; }
static void t_units_negative(nnom_layer_desc *d) { d->params.units = -2; }
static void t_kernel_big(nnom_layer_desc *d) { d->params.kernel[1] = 8; }
static void t_act_bad(nnom_layer_desc *d) { d->params.activation = 9; }
static void t_as_1d(nnom_layer_desc *d) { d->type = NNOM_LAYER_DEPTHWISE_CONV1D; }
static void t_extra_blob(nnom_layer_desc *d) { d->blobs[5] = d->blobs[2]; }

static void test_infer_errors(void)
{
    static const struct {
        const char *what;
        void (*tweak)(nnom_layer_desc *);
        nnom_status want;
        const char *needle;
    } cases[] = {
        {"weights short", t_weights_short, NNOM_ERR_SHAPE, "weights"},
        {"bias short", t_bias_size, NNOM_ERR_SHAPE, "bias"},
        {"shift 31", t_shift_30, NNOM_ERR_ARGUMENT, "shift[5]"},
        {"one multiplier", t_mult_size, NNOM_ERR_SHAPE, "multipliers"},
        {"multiplier 0", t_units_zero, NNOM_ERR_SHAPE, "depth multiplier"},
        {"multiplier -2", t_units_negative, NNOM_ERR_SHAPE, "units"},
        {"kernel wider than the input (valid)", t_kernel_big, NNOM_ERR_SHAPE, "does not fit"},
        {"activation 9", t_act_bad, NNOM_ERR_UNSUPPORTED, "activation"},
        {"1D layer on a rank-3 input", t_as_1d, NNOM_ERR_SHAPE, "rank 2"},
        {"blob 5 given", t_extra_blob, NNOM_ERR_SHAPE, "blob 5"},
    };
    const conv_layer_spec s = {6, 6, 4, 2, 3, 3, 1, 1, 1, 1, NNOM_PADDING_VALID, NNOM_ACT_NONE, 0, 1};
    tu_seed(0xD3A70005u);
    for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        conv_blobs b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        const nnom_status st = conv_layer_model(&s, &conv_layer_depthwise, NNOM_DTYPE_S8, &b, (nnom_quant){0.1f, 0}, cases[i].tweak, &m);
        const char *msg = nnom_model_last_error(m);
        TU_CHECK(st == cases[i].want && strstr(msg, "'dw'") && strstr(msg, cases[i].needle),
                 "%s: %s: %s (expected %s mentioning '%s')", cases[i].what, nnom_status_name(st), msg,
                 nnom_status_name(cases[i].want), cases[i].needle);
        nnom_model_destroy(m);
        conv_blobs_free(&b);
    }
    /* DEPTHWISE_CONV1D needs kernel[0] = stride[0] = dilation[0] = 1 */
    {
        const conv_layer_spec s1 = {1, 12, 3, 1, 1, 3, 2, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE, 1, 1};
        conv_blobs b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        const nnom_status st = conv_layer_model(&s1, &conv_layer_depthwise, NNOM_DTYPE_F32, &b, (nnom_quant){1.0f, 0}, NULL, &m);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "stride[0]"), "dw1d stride[0] 2: %s: %s",
                 nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
        conv_blobs_free(&b);
    }
}

int main(void)
{
    test_dw_random();
    test_graphs();
    test_infer_errors();
    printf("test_depthwise_conv: %d int8 (%d also in place) and %d float32 kernel cases\n", cases_s8, cases_in_place,
           cases_f32);
    return tu_finish("test_depthwise_conv");
}
