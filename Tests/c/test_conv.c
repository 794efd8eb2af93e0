/*
 * CONV1D / CONV2D: the int8 and float32 kernels against references written
 * here (exact int64 accumulator then the TFLite rounding of test_util.h;
 * double precision for float), on random shapes, strides, dilations,
 * paddings, zero points and clamps; the per-channel requantisation helper;
 * and the layer through the public API (graphs, and every infer error).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/requant.h"
#include "test_util.h"

/* ------------------------------------------------------------------ geometry (test's own) */

static int32_t ref_out_size(int32_t in, int32_t k, int32_t s, int32_t d, int same)
{
    if (same) return (in + s - 1) / s;
    const int32_t span = (k - 1) * d + 1;
    return span > in ? 0 : (in - span) / s + 1;
}

static int32_t ref_pad_before(int32_t in, int32_t out, int32_t k, int32_t s, int32_t d, int same)
{
    if (!same) return 0;
    const int32_t total = (out - 1) * s + (k - 1) * d + 1 - in;
    return total > 0 ? total / 2 : 0;
}

/* ------------------------------------------------------------------ references */

static void ref_conv_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out)
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

/* Also returns, per output, the sum of |terms| (for the tolerance). */
static void ref_conv_f32(const nnom_conv_args *a, const float *in, double *out, double *mag)
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

/* Fused activation bounds of a float model, written here. */
static void ref_act_f32(int act, float *lo, float *hi)
{
    *lo = act == NNOM_ACT_NONE ? -FLT_MAX : 0.0f;
    *hi = act == NNOM_ACT_RELU6 ? 6.0f : FLT_MAX;
}

/* ------------------------------------------------------------------ random cases */

typedef struct {
    int32_t in_h, in_w, in_c, out_c, kh, kw, sh, sw, dh, dw, same;
} shape_spec;

/* Fills the geometry of @p a; returns 0 when the window does not fit. */
static int make_geometry(nnom_conv_args *a, const shape_spec *s)
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

static void random_spec(shape_spec *s, int one_d)
{
    static const int32_t channels[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17, 24, 31, 33};
    s->in_c = channels[tu_rand_int(0, (int32_t)(sizeof channels / sizeof channels[0]) - 1)];
    s->out_c = tu_rand_int(0, 3) == 0 ? tu_rand_int(1, 3) : tu_rand_int(1, 21);
    s->kh = one_d ? 1 : tu_rand_int(1, 5);
    s->kw = tu_rand_int(1, 5);
    s->sh = one_d ? 1 : tu_rand_int(1, 3);
    s->sw = tu_rand_int(1, 3);
    s->dh = one_d ? 1 : (tu_rand_int(0, 3) == 0 ? 2 : 1);
    s->dw = tu_rand_int(0, 3) == 0 ? 2 : 1;
    s->same = tu_rand_int(0, 1);
    s->in_h = one_d ? 1 : tu_rand_int(1, 11);
    s->in_w = tu_rand_int(1, one_d ? 23 : 11);
}

/* Clamp bounds: none, relu, relu6-like, or arbitrary. */
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

/* Multiplier and shift for a real scale; mostly the range a quantiser produces, sometimes extremes. */
static void random_requant(double typical, int32_t *m, int32_t *s)
{
    const int r = tu_rand_int(0, 19);
    if (r == 0) {
        *m = tu_rand_int(0, 1) ? 0 : INT32_MAX;
        *s = tu_rand_int(-31, 2);
        return;
    }
    if (r == 1) { /* a gain above 1: positive shift (saturates the product at int32) */
        tu_ref_multiplier(tu_rand_float(1.0f, 300.0f), m, s);
        return;
    }
    if (r == 2) { /* tiny scale: large right shifts */
        *m = tu_rand_int(1 << 30, INT32_MAX);
        *s = tu_rand_int(-31, -25);
        return;
    }
    tu_ref_multiplier(typical * pow(2.0, tu_rand_float(-2.0f, 2.0f)), m, s);
}

static int cases_s8, cases_f32, cases_dense; /* cases that ran (a window that fits) */

typedef struct {
    int fails;
    int first_index;
    int got, want;
} compare_result;

static compare_result compare_s8(const int8_t *got, const int8_t *want, int64_t n)
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

/* Runs one int8 case. Buffers are allocated to their exact sizes, so that
 * AddressSanitizer reports any read or write outside them. */
/* 1: the input one row (or column) shorter than the windows reach, so that the last taps fall in
 * implicit padding after the input, as in a window of rows the layers compute in place */
static int cut_last;

static void run_case_s8(const shape_spec *s, int case_no)
{
    nnom_conv_args a;
    if (!make_geometry(&a, s)) return;
    if (cut_last && a.in_h > 1) a.in_h--;
    else if (cut_last && a.in_w > 1) a.in_w--;
    const int64_t k = (int64_t)s->kh * s->kw * s->in_c;
    const int64_t n_in = (int64_t)s->in_h * s->in_w * s->in_c;
    const int64_t n_out = (int64_t)a.out_h * a.out_w * a.out_c;
    const int64_t n_w = (int64_t)s->out_c * k;
    const int misalign = tu_rand_int(0, 1);
    int8_t *in_buf = (int8_t *)malloc((size_t)n_in + 1);
    int8_t *w_buf = (int8_t *)malloc((size_t)n_w + 1);
    int8_t *in = in_buf + misalign, *w = w_buf + misalign;
    int32_t *bias = tu_rand_int(0, 3) ? (int32_t *)malloc((size_t)s->out_c * 4) : NULL;
    int32_t *mult = (int32_t *)malloc((size_t)s->out_c * 4), *shift = (int32_t *)malloc((size_t)s->out_c * 4);
    int8_t *got = (int8_t *)malloc((size_t)n_out), *want = (int8_t *)malloc((size_t)n_out);

    /* small weights and inputs sometimes, so that positive shifts stay in range */
    const int small = tu_rand_int(0, 4) == 0;
    a.in_zp = tu_rand_int(-128, 127);
    a.out_zp = tu_rand_int(-128, 127);
    if (small) tu_fill_s8(in, (size_t)n_in, a.in_zp - 2 < -128 ? -128 : a.in_zp - 2, a.in_zp + 2 > 127 ? 127 : a.in_zp + 2);
    else tu_fill_s8(in, (size_t)n_in, -128, 127);
    tu_fill_s8(w, (size_t)n_w, small ? -2 : -127, small ? 2 : 127);
    if (tu_rand_int(0, 9) == 0) tu_fill_s8(w, (size_t)n_w, -128, -128); /* the extreme weight */
    const double typical = 40.0 / (sqrt((double)k) * (small ? 2.0 : 110.0) * (small ? 1.5 : 74.0));
    for (int32_t c = 0; c < s->out_c; c++) {
        random_requant(typical, &mult[c], &shift[c]);
        if (bias) bias[c] = tu_rand_int(0, 9) == 0 ? tu_rand_int(-2000000000, 2000000000)
                                                   : tu_rand_int(-(int32_t)k * 3000, (int32_t)k * 3000);
    }
    random_clamp(a.out_zp, &a.act_min, &a.act_max);
    a.weights = w;
    a.bias = bias;
    a.multiplier = mult;
    a.shift = shift;

    /* any scratch from the least to the full-speed size (the plan gives that much where it has room) */
    const uint32_t least = nnom_conv2d_s8_scratch_bytes(&a), fast = nnom_conv2d_s8_scratch_fast_bytes(&a);
    const int pick = tu_rand_int(0, 2);
    const uint32_t sb = pick == 0 ? least : (pick == 1 ? fast : least + (uint32_t)tu_rand_int(0, (int32_t)(fast - least)) / 4 * 4);
    void *scratch = malloc(sb ? sb : 1);
    cases_s8++;
    memset(got, 0x5a, (size_t)n_out);
    nnom_conv2d_s8(&a, in, got, scratch, sb);
    ref_conv_s8(&a, in, want);
    const compare_result r = compare_s8(got, want, n_out);
    TU_CHECK(r.fails == 0,
             "s8 case %d: in %dx%dx%d, %d filters %dx%d, stride %dx%d, dilation %dx%d, %s, zp %d/%d, clamp [%d, %d]%s: "
             "%d of %ld outputs differ, first at %d: %d, expected %d",
             case_no, (int)s->in_h, (int)s->in_w, (int)s->in_c, (int)s->out_c, (int)s->kh, (int)s->kw, (int)s->sh,
             (int)s->sw, (int)s->dh, (int)s->dw, s->same ? "same" : "valid", (int)a.in_zp, (int)a.out_zp,
             (int)a.act_min, (int)a.act_max, bias ? "" : ", no bias", r.fails, (long)n_out, r.first_index, r.got,
             r.want);
    /* the dense form the Cortex-M DSP kernel takes for few pixels, where it applies */
    int8_t *dense = (int8_t *)malloc((size_t)n_out);
    for (int64_t i = 0; i < n_out; i++) dense[i] = 0x5a;
    if (nnom_conv2d_s8_as_dense(&a, in, dense)) {
        const compare_result d = compare_s8(dense, want, n_out);
        TU_CHECK(d.fails == 0, "s8 case %d as dense: %d of %ld outputs differ, first at %d: %d, expected %d", case_no,
                 d.fails, (long)n_out, d.first_index, d.got, d.want);
        cases_dense++;
    }
    free(dense);
    /* the plan reserves what the larger of the portable and the Cortex-M DSP
     * kernels needs: at least one padded int16 column, at most four pixels'
     * columns within the DSP kernel's 4 KiB budget or a single column */
    const uint32_t column = (uint32_t)((k + 15) / 16 * 16 * 2);
    TU_CHECK(sb >= column && sb <= (column > 4096u ? column : 4096u) + (uint32_t)(k / 4 * 8 + 64),
             "scratch %u bytes for a patch of %ld", (unsigned)sb, (long)k);
    free(in_buf);
    free(w_buf);
    free(bias);
    free(mult);
    free(shift);
    free(got);
    free(want);
    free(scratch);
}

static void test_conv_s8_random(void)
{
    tu_seed(0xC0DE0001u);
    for (int i = 0; i < 700; i++) {
        shape_spec s;
        random_spec(&s, i % 4 == 3);
        run_case_s8(&s, i);
    }
}

/* Hand-picked shapes: the benchmark's layers, long patches (one pixel per
 * pass), patch lengths at the 16-element block edges, few channels. */
static void test_conv_s8_shapes(void)
{
    static const shape_spec specs[] = {
        {28, 28, 1, 12, 3, 3, 1, 1, 1, 1, 1},  {14, 14, 12, 24, 3, 3, 1, 1, 1, 1, 1},
        {7, 7, 24, 48, 3, 3, 1, 1, 1, 1, 1},   {5, 6, 16, 3, 1, 1, 1, 1, 1, 1, 0},
        {5, 6, 32, 1, 1, 1, 1, 1, 1, 1, 0},    {4, 4, 64, 2, 1, 1, 1, 1, 1, 1, 1},
        {6, 5, 7, 5, 3, 3, 2, 2, 1, 1, 1},     {1, 40, 33, 9, 1, 5, 1, 2, 1, 2, 1},
        {9, 9, 200, 3, 1, 1, 1, 1, 1, 1, 0},   {3, 3, 1, 1, 3, 3, 1, 1, 1, 1, 0},
        {3, 3, 1, 20, 1, 1, 1, 1, 1, 1, 0},    {8, 8, 2, 17, 5, 5, 3, 1, 2, 1, 1},
        {2, 2, 16, 2, 2, 2, 1, 1, 1, 1, 0},    {11, 7, 48, 7, 3, 3, 1, 1, 1, 1, 1},
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},     {1, 1, 3, 2, 5, 5, 1, 1, 1, 1, 1},
        /* MobileNet's: 3-channel first layers (rows of 9: two overlapping runs of 8), pointwise layers of
         * 8 input channels (patches of at most 8: int16 weights, several blocks of 16 outputs, odd counts),
         * of 16 and 32, a DS-CNN-like first layer; window rows of 8 to 15 at the borders */
        {13, 13, 3, 8, 3, 3, 2, 2, 1, 1, 1},   {10, 11, 3, 16, 3, 3, 1, 1, 1, 1, 1},
        {12, 12, 8, 16, 1, 1, 1, 1, 1, 1, 0},  {5, 7, 8, 45, 1, 1, 1, 1, 1, 1, 0},
        {6, 6, 3, 33, 1, 1, 1, 1, 1, 1, 0},    {7, 5, 5, 63, 1, 1, 1, 1, 1, 1, 0},
        {4, 9, 7, 17, 1, 1, 1, 1, 1, 1, 0},    {8, 8, 16, 32, 1, 1, 1, 1, 1, 1, 0},
        {6, 6, 32, 52, 1, 1, 1, 1, 1, 1, 0},   {11, 10, 1, 64, 5, 4, 2, 2, 1, 1, 1},
        {7, 9, 5, 17, 3, 2, 1, 1, 1, 1, 1},    {9, 6, 4, 13, 2, 3, 2, 1, 1, 1, 1},
        /* windows that are contiguous runs of the input on at most 3 output pixels (run as dense
         * layers: kernels/conv_dense_s8.c), and near misses */
        {1, 1, 576, 40, 1, 1, 1, 1, 1, 1, 0}, {1, 1, 96, 24, 1, 1, 1, 1, 1, 1, 1},
        {1, 3, 20, 7, 1, 1, 1, 1, 1, 1, 0},    {3, 1, 21, 6, 1, 1, 1, 1, 1, 1, 1},
        {1, 5, 9, 5, 1, 1, 1, 2, 1, 1, 0},     {5, 1, 9, 5, 1, 1, 2, 1, 1, 1, 0},
        {4, 4, 16, 5, 4, 4, 1, 1, 1, 1, 0},    {3, 5, 6, 9, 2, 5, 1, 1, 1, 1, 0},
        {5, 4, 3, 4, 2, 4, 2, 1, 1, 1, 0},     {5, 4, 3, 4, 2, 4, 1, 1, 2, 1, 0},
        {2, 2, 8, 3, 1, 1, 1, 1, 1, 1, 0},     {1, 4, 8, 3, 3, 3, 1, 1, 1, 1, 1},
    };
    tu_seed(0xC0DE0002u);
    for (int rep = 0; rep < 6; rep++) {
        cut_last = rep >= 4;
        for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++) run_case_s8(&specs[i], 1000 + rep * 100 + i);
    }
    cut_last = 0;
}

static void run_case_f32(const shape_spec *s, int case_no)
{
    nnom_conv_args a;
    if (!make_geometry(&a, s)) return;
    const int64_t k = (int64_t)s->kh * s->kw * s->in_c;
    const int64_t n_in = (int64_t)s->in_h * s->in_w * s->in_c;
    const int64_t n_out = (int64_t)a.out_h * a.out_w * a.out_c;
    const int64_t n_w = (int64_t)s->out_c * k;
    float *in = (float *)malloc((size_t)n_in * 4), *w = (float *)malloc((size_t)n_w * 4);
    float *bias = tu_rand_int(0, 3) ? (float *)malloc((size_t)s->out_c * 4) : NULL;
    float *got = (float *)malloc((size_t)n_out * 4);
    double *want = (double *)malloc((size_t)n_out * 8), *mag = (double *)malloc((size_t)n_out * 8);
    tu_fill_f32(in, (size_t)n_in, -2.0f, 2.0f);
    tu_fill_f32(w, (size_t)n_w, -1.0f, 1.0f);
    if (bias) tu_fill_f32(bias, (size_t)s->out_c, -3.0f, 3.0f);
    ref_act_f32(tu_rand_int(0, 2), &a.act_min_f, &a.act_max_f);
    a.weights = w;
    a.bias = bias;
    cases_f32++;
    nnom_conv2d_f32(&a, in, got);
    ref_conv_f32(&a, in, want, mag);
    int fails = 0, first = -1;
    for (int64_t i = 0; i < n_out; i++)
        if (!(fabs((double)got[i] - want[i]) <= 1e-5 * (mag[i] + 1e-3))) {
            if (fails++ == 0) first = (int)i;
        }
    TU_CHECK(fails == 0, "f32 case %d: in %dx%dx%d, %d filters %dx%d, stride %dx%d, dilation %dx%d, %s: %d of %ld differ, "
             "first at %d: %g, expected %g",
             case_no, (int)s->in_h, (int)s->in_w, (int)s->in_c, (int)s->out_c, (int)s->kh, (int)s->kw, (int)s->sh,
             (int)s->sw, (int)s->dh, (int)s->dw, s->same ? "same" : "valid", fails, (long)n_out, first,
             first >= 0 ? (double)got[first] : 0.0, first >= 0 ? want[first] : 0.0);
    free(in);
    free(w);
    free(bias);
    free(got);
    free(want);
    free(mag);
}

static void test_conv_f32_random(void)
{
    tu_seed(0xC0DE0003u);
    for (int i = 0; i < 400; i++) {
        shape_spec s;
        random_spec(&s, i % 4 == 3);
        run_case_f32(&s, i);
    }
}

/* ------------------------------------------------------------------ requantisation helper */

static void check_quant(int32_t dot, int32_t bias, int32_t m, int32_t s)
{
    const nnom_conv_quant q = nnom_conv_quant_init(bias, m, s);
    const int64_t got = nnom_conv_quant_apply(q, dot);
    const int64_t acc = (int64_t)dot + bias;
    if (acc >= INT32_MIN && acc <= INT32_MAX) {
        /* TFLite's rounding, as the test support computes it independently */
        const int64_t want = tu_ref_requantize(acc, m, s);
        TU_CHECK(got == want || (got == 2147483648LL && want == INT32_MAX),
                 "requant(%ld, %d, %d): %ld, expected %ld", (long)acc, (int)m, (int)s, (long)got, (long)want);
        /* and the runtime's own form in requant.h (the only difference: its saturating x = m = INT32_MIN) */
        const int64_t rt = nnom_requantize((int32_t)acc, m, s);
        TU_CHECK(got == rt || (got == 2147483648LL && rt == INT32_MAX), "requant(%ld, %d, %d): %ld, requant.h %ld",
                 (long)acc, (int)m, (int)s, (long)got, (long)rt);
    } else if (s > 0) {
        /* a positive shift saturates acc * 2^s like TFLite, whatever acc */
        const int64_t want = tu_ref_requantize(acc, m, s);
        TU_CHECK(got == want, "requant(%ld, %d, %d): %ld, expected %ld", (long)acc, (int)m, (int)s, (long)got,
                 (long)want);
    }
    /* int8 output with a zero point and clamp, as the kernels use it */
    const int32_t zp = (int32_t)(acc & 0xff) - 128;
    const int8_t o = nnom_conv_quant_out(q, dot, zp, -128, 127);
    TU_CHECK(o == (int8_t)tu_clamp(got + zp, -128, 127), "requant out(%ld): %d", (long)acc, (int)o);
}

/* nnom_rounding_shr at every exponent of its domain (up to NNOM_ROUNDING_SHR_MAX; the TFLite softmax handles its
 * larger ones itself, test_softmax), against x / 2^e worked exactly in long double and rounded half away from zero
 * by roundl(). */
static void test_rounding_shr(void)
{
    static const int32_t fixed[] = {0, 1, -1, 2, -2, 3, -3, INT32_MAX, INT32_MIN, INT32_MIN + 1, 1 << 30, -(1 << 30)};
    for (int32_t e = -2; e <= NNOM_ROUNDING_SHR_MAX; e++) {
        for (int k = 0; k < 64; k++) {
            const int32_t x = k < (int)(sizeof fixed / sizeof fixed[0]) ? fixed[k] : (int32_t)tu_rand_u32();
            const long double want = e <= 0 ? (long double)x : roundl(ldexpl((long double)x, -e));
            const int32_t got = nnom_rounding_shr(x, e);
            TU_CHECK((long double)got == want, "rounding_shr(%d, %d): %d, expected %.0Lf", (int)x, (int)e, (int)got,
                     want);
        }
    }
}

static void test_requant_helper(void)
{
    static const int32_t dots[] = {0, 1, -1, 2, -2, 3, -3, 1 << 20, -(1 << 20), 1069547520, -1069547520,
                                   12345678, -12345678};
    static const int32_t biases[] = {0, 1, -1, INT32_MAX, INT32_MIN, 1 << 30, -(1 << 30), 77};
    static const int32_t mults[] = {0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MAX - 1, 1518500250, 1 << 29};
    for (size_t i = 0; i < sizeof dots / sizeof dots[0]; i++)
        for (size_t j = 0; j < sizeof biases / sizeof biases[0]; j++)
            for (size_t k = 0; k < sizeof mults / sizeof mults[0]; k++)
                for (int32_t s = -31; s <= 30; s++) check_quant(dots[i], biases[j], mults[k], s);
    /* exact ties: acc * m / 2^(31+e) = n + 1/2 */
    for (int32_t e = 1; e <= 20; e++)
        for (int32_t n = -5; n <= 5; n++) {
            /* m = 2^30 halves acc exactly; (2n+1) * 2^e / 2 / 2^e = n + 1/2 */
            const int64_t acc = (int64_t)(2 * n + 1) * ((int64_t)1 << e);
            check_quant((int32_t)acc, 0, 1 << 30, -e);
            check_quant((int32_t)(acc / 2), 0, 1 << 30, -e);
        }
    tu_seed(0xC0DE0004u);
    for (int i = 0; i < 300000; i++) {
        const int32_t magnitude = tu_rand_int(0, 30); /* separate statements: a fixed order of draws */
        const int32_t dot = tu_rand_int(-1069547520, 1069547520) >> magnitude;
        const int32_t bias = tu_rand_int(0, 3) ? tu_rand_int(-100000, 100000) : (int32_t)tu_rand_u32();
        const int32_t m = tu_rand_int(0, 7) ? tu_rand_int(1 << 30, INT32_MAX) : tu_rand_int(0, INT32_MAX);
        check_quant(dot, bias, m, tu_rand_int(-31, 30));
    }
}

/* ------------------------------------------------------------------ graphs through the public API */

typedef struct {
    int32_t in_h, in_w, in_c, filters, kh, kw, sh, sw, dh, dw, padding, activation;
    int one_d, with_bias;
} layer_spec;

typedef struct {
    int8_t *w;
    int32_t *bias, *mult, *shift;
    float *wf, *bf;
    size_t n_w;
} blobs_t;

static void free_blobs(blobs_t *b)
{
    free(b->w);
    free(b->bias);
    free(b->mult);
    free(b->shift);
    free(b->wf);
    free(b->bf);
    memset(b, 0, sizeof *b);
}

/* int8 clamp of a fused activation, computed here: zero point, 6 / scale rounded. */
static void ref_act_bounds(int act, nnom_quant q, int32_t *lo, int32_t *hi)
{
    *lo = -128;
    *hi = 127;
    if (act == NNOM_ACT_RELU || act == NNOM_ACT_RELU6) *lo = q.zero_point > -128 ? q.zero_point : -128;
    if (act == NNOM_ACT_RELU6) {
        const int64_t top = tu_round_away(6.0 / (double)q.scale) + q.zero_point;
        if (top < *hi) *hi = (int32_t)top;
        if (*hi < *lo) *hi = *lo;
    }
}

static nnom_layer_desc conv_desc(const layer_spec *s, const char *name, int32_t input, nnom_dtype dtype, blobs_t *b)
{
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = s->one_d ? NNOM_LAYER_CONV1D : NNOM_LAYER_CONV2D;
    d.name = name;
    d.n_inputs = 1;
    d.inputs[0] = input;
    d.params.kernel[0] = s->kh;
    d.params.kernel[1] = s->kw;
    d.params.stride[0] = s->sh;
    d.params.stride[1] = s->sw;
    d.params.dilation[0] = s->dh;
    d.params.dilation[1] = s->dw;
    d.params.padding = s->padding;
    d.params.units = s->filters;
    d.params.activation = s->activation;
    b->n_w = (size_t)s->filters * (size_t)(s->kh * s->kw * s->in_c);
    if (dtype == NNOM_DTYPE_S8) {
        b->w = (int8_t *)malloc(b->n_w + 4);
        b->bias = (int32_t *)malloc((size_t)s->filters * 4);
        b->mult = (int32_t *)malloc((size_t)s->filters * 4);
        b->shift = (int32_t *)malloc((size_t)s->filters * 4);
        tu_fill_s8(b->w, b->n_w, -127, 127);
        tu_fill_s32(b->bias, (size_t)s->filters, -20000, 20000);
        for (int32_t c = 0; c < s->filters; c++)
            tu_ref_multiplier(0.9 / (sqrt((double)(s->kh * s->kw * s->in_c)) * 74.0) * tu_rand_float(0.5f, 2.0f),
                              &b->mult[c], &b->shift[c]);
        d.blobs[0] = (nnom_blob){b->w, (uint32_t)b->n_w};
        if (s->with_bias) d.blobs[1] = (nnom_blob){b->bias, (uint32_t)s->filters * 4u};
        d.blobs[2] = (nnom_blob){b->mult, (uint32_t)s->filters * 4u};
        d.blobs[3] = (nnom_blob){b->shift, (uint32_t)s->filters * 4u};
        d.quant.scale = 0.05f;
        d.quant.zero_point = -7;
    } else {
        b->wf = (float *)malloc(b->n_w * 4 + 4);
        b->bf = (float *)malloc((size_t)s->filters * 4);
        tu_fill_f32(b->wf, b->n_w, -0.5f, 0.5f);
        tu_fill_f32(b->bf, (size_t)s->filters, -1.0f, 1.0f);
        d.blobs[0] = (nnom_blob){b->wf, (uint32_t)b->n_w * 4u};
        if (s->with_bias) d.blobs[1] = (nnom_blob){b->bf, (uint32_t)s->filters * 4u};
    }
    return d;
}

static nnom_shape input_shape(const layer_spec *s)
{
    nnom_shape sh;
    memset(&sh, 0, sizeof sh);
    if (s->one_d) {
        sh.rank = 2;
        sh.dims[0] = s->in_w;
        sh.dims[1] = s->in_c;
    } else {
        sh.rank = 3;
        sh.dims[0] = s->in_h;
        sh.dims[1] = s->in_w;
        sh.dims[2] = s->in_c;
    }
    return sh;
}

/* Input -> conv -> Output; returns the compile status (model in *out). */
static nnom_status build_model(const layer_spec *s, nnom_dtype dtype, blobs_t *b, nnom_quant in_q,
                               void (*tweak)(nnom_layer_desc *), nnom_model **out)
{
    nnom_model *m = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(dtype, NULL, &m, &err) == NNOM_OK, "create: %s", err.message);
    int32_t id = -1;
    TU_OK(m, nnom_model_add_input(m, "image", input_shape(s), in_q, &id));
    nnom_layer_desc d = conv_desc(s, "c1", id, dtype, b);
    if (tweak) tweak(&d);
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    nnom_layer_desc o;
    nnom_layer_desc_init(&o);
    o.type = NNOM_LAYER_OUTPUT;
    o.name = "out";
    o.n_inputs = 1;
    o.inputs[0] = id;
    TU_OK(m, nnom_model_add_layer(m, &o, NULL));
    *out = m;
    return nnom_model_compile(m);
}

static void kernel_args_of(const layer_spec *s, nnom_conv_args *a)
{
    shape_spec g = {s->one_d ? 1 : s->in_h, s->in_w, s->in_c, s->filters, s->one_d ? 1 : s->kh, s->kw,
                    s->sh ? s->sh : 1, s->sw ? s->sw : 1, s->dh ? s->dh : 1, s->dw ? s->dw : 1,
                    s->padding == NNOM_PADDING_SAME};
    TU_REQUIRE(make_geometry(a, &g), "geometry");
}

static void test_graph_s8(void)
{
    static const layer_spec specs[] = {
        {28, 28, 1, 12, 3, 3, 0, 0, 0, 0, NNOM_PADDING_SAME, NNOM_ACT_RELU, 0, 1},
        {9, 7, 5, 6, 3, 2, 2, 1, 1, 2, NNOM_PADDING_VALID, NNOM_ACT_NONE, 0, 1},
        {6, 6, 16, 9, 3, 3, 1, 2, 0, 0, NNOM_PADDING_SAME, NNOM_ACT_RELU6, 0, 0},
        {1, 30, 3, 4, 1, 5, 1, 2, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU, 1, 1},
        {1, 17, 24, 5, 1, 3, 0, 1, 0, 2, NNOM_PADDING_VALID, NNOM_ACT_NONE, 1, 0},
    };
    tu_seed(0xC0DE0005u);
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++) {
        const layer_spec *s = &specs[i];
        blobs_t b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        const nnom_quant in_q = {0.02f, 5};
        nnom_status st = build_model(s, NNOM_DTYPE_S8, &b, in_q, NULL, &m);
        TU_REQUIRE(st == NNOM_OK, "compile: %s", nnom_model_last_error(m));
        nnom_conv_args a;
        kernel_args_of(s, &a);
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, 1, &info));
        const int64_t k = (int64_t)s->kh * s->kw * s->in_c;
        TU_CHECK(info.macs == (uint64_t)a.out_h * (uint64_t)a.out_w * (uint64_t)s->filters * (uint64_t)k,
                 "graph %d: macs %lu", i, (unsigned long)info.macs);
        TU_CHECK(info.shape.rank == (s->one_d ? 2 : 3), "graph %d: output rank %d", i, (int)info.shape.rank);
        TU_CHECK(s->one_d ? (info.shape.dims[0] == a.out_w && info.shape.dims[1] == s->filters)
                          : (info.shape.dims[0] == a.out_h && info.shape.dims[1] == a.out_w &&
                             info.shape.dims[2] == s->filters),
                 "graph %d: output shape (%d, %d, %d)", i, (int)info.shape.dims[0], (int)info.shape.dims[1],
                 (int)info.shape.dims[2]);
        TU_CHECK(info.scratch_bytes > 0 && info.scratch_bytes <= 4096, "graph %d: scratch %u", i,
                 (unsigned)info.scratch_bytes);
        TU_OK(m, nnom_model_alloc_arena(m));
        const int64_t n_in = (int64_t)a.in_h * a.in_w * a.in_c, n_out = (int64_t)a.out_h * a.out_w * a.out_c;
        int8_t *x = (int8_t *)malloc((size_t)n_in), *got = (int8_t *)malloc((size_t)n_out),
               *want = (int8_t *)malloc((size_t)n_out);
        a.in_zp = in_q.zero_point;
        a.out_zp = -7;
        ref_act_bounds(s->activation, (nnom_quant){0.05f, -7}, &a.act_min, &a.act_max);
        a.weights = b.w;
        a.bias = s->with_bias ? b.bias : NULL;
        a.multiplier = b.mult;
        a.shift = b.shift;
        for (int rep = 0; rep < 3; rep++) {
            tu_fill_s8(x, (size_t)n_in, -128, 127);
            TU_OK(m, nnom_model_set_input_s8(m, 0, x, (size_t)n_in));
            TU_OK(m, nnom_model_run(m));
            TU_OK(m, nnom_model_get_output_s8(m, 0, got, (size_t)n_out));
            ref_conv_s8(&a, x, want);
            const compare_result r = compare_s8(got, want, n_out);
            TU_CHECK(r.fails == 0, "graph %d run %d: %d of %ld outputs differ, first at %d: %d, expected %d", i, rep,
                     r.fails, (long)n_out, r.first_index, r.got, r.want);
        }
        free(x);
        free(got);
        free(want);
        nnom_model_destroy(m);
        free_blobs(&b);
    }
}

static void test_graph_f32(void)
{
    static const layer_spec specs[] = {
        {10, 9, 3, 8, 3, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU6, 0, 1},
        {8, 8, 2, 3, 2, 3, 2, 3, 2, 1, NNOM_PADDING_VALID, NNOM_ACT_NONE, 0, 0},
        {1, 25, 4, 6, 1, 4, 1, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU, 1, 1},
    };
    tu_seed(0xC0DE0006u);
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++) {
        const layer_spec *s = &specs[i];
        blobs_t b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        nnom_status st = build_model(s, NNOM_DTYPE_F32, &b, (nnom_quant){1.0f, 0}, NULL, &m);
        TU_REQUIRE(st == NNOM_OK, "compile: %s", nnom_model_last_error(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        nnom_conv_args a;
        kernel_args_of(s, &a);
        a.weights = b.wf;
        a.bias = s->with_bias ? b.bf : NULL;
        ref_act_f32(s->activation, &a.act_min_f, &a.act_max_f);
        const int64_t n_in = (int64_t)a.in_h * a.in_w * a.in_c, n_out = (int64_t)a.out_h * a.out_w * a.out_c;
        float *x = (float *)malloc((size_t)n_in * 4), *got = (float *)malloc((size_t)n_out * 4);
        double *want = (double *)malloc((size_t)n_out * 8), *mag = (double *)malloc((size_t)n_out * 8);
        tu_fill_f32(x, (size_t)n_in, -3.0f, 3.0f);
        TU_OK(m, nnom_model_set_input_f32(m, 0, x, (size_t)n_in));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, got, (size_t)n_out));
        ref_conv_f32(&a, x, want, mag);
        int fails = 0;
        for (int64_t j = 0; j < n_out; j++) fails += !(fabs((double)got[j] - want[j]) <= 1e-5 * (mag[j] + 1e-3));
        TU_CHECK(fails == 0, "f32 graph %d: %d of %ld outputs differ", i, fails, (long)n_out);
        free(x);
        free(got);
        free(want);
        free(mag);
        nnom_model_destroy(m);
        free_blobs(&b);
    }
}

/* ------------------------------------------------------------------ infer errors */

static void t_weights_short(nnom_layer_desc *d) { d->blobs[0].size -= 1; }
static void t_weights_long(nnom_layer_desc *d) { d->blobs[0].size += 4; }
static void t_bias_size(nnom_layer_desc *d) { d->blobs[1].size = 8; }
static void t_mult_size(nnom_layer_desc *d) { d->blobs[2].size -= 4; }
static void t_shift_missing(nnom_layer_desc *d) { d->blobs[3] = (nnom_blob){NULL, 0}; }
static void t_shift_31(nnom_layer_desc *d) { ((int32_t *)d->blobs[3].data)[2] = 31; }
static void t_shift_m32(nnom_layer_desc *d) { ((int32_t *)d->blobs[3].data)[0] = -32; }
static void t_mult_negative(nnom_layer_desc *d) { ((int32_t *)d->blobs[2].data)[1] = -5; }
static void t_units_zero(nnom_layer_desc *d) { d->params.units = 0; }
static void t_kernel_zero(nnom_layer_desc *d) { d->params.kernel[1] = 0; }
static void t_kernel_big(nnom_layer_desc *d) { d->params.kernel[0] = 9; }
static void t_stride_negative(nnom_layer_desc *d) { d->params.stride[1] = -1; }
static void t_dilation_huge(nnom_layer_desc *d) { d->params.dilation[0] = 2000000000; }
static void t_padding_bad(nnom_layer_desc *d) { d->params.padding = 3; }
static void t_act_bad(nnom_layer_desc *d) { d->params.activation = 3; }
static void t_extra_blob(nnom_layer_desc *d) { d->blobs[4] = d->blobs[2]; }
static void t_as_1d(nnom_layer_desc *d) { d->type = NNOM_LAYER_CONV1D; }
static void t_weights_misaligned(nnom_layer_desc *d) { d->blobs[0].data = (const int8_t *)d->blobs[0].data + 1; }

typedef struct {
    const char *what;
    void (*tweak)(nnom_layer_desc *);
    nnom_status want;
    const char *needle; /* must appear in the message */
} error_case;

static void test_infer_errors(void)
{
    static const error_case cases[] = {
        {"weights one byte short", t_weights_short, NNOM_ERR_SHAPE, "weights"},
        {"weights too long", t_weights_long, NNOM_ERR_SHAPE, "weights"},
        {"bias of 2", t_bias_size, NNOM_ERR_SHAPE, "bias"},
        {"multipliers short", t_mult_size, NNOM_ERR_SHAPE, "multipliers"},
        {"no shifts", t_shift_missing, NNOM_ERR_SHAPE, "shifts"},
        {"shift 31", t_shift_31, NNOM_ERR_ARGUMENT, "shift[2]"},
        {"shift -32", t_shift_m32, NNOM_ERR_ARGUMENT, "shift[0]"},
        {"negative multiplier", t_mult_negative, NNOM_ERR_ARGUMENT, "multiplier[1]"},
        {"no filters", t_units_zero, NNOM_ERR_SHAPE, "units"},
        {"kernel 0", t_kernel_zero, NNOM_ERR_SHAPE, "kernel[1]"},
        {"kernel larger than the input (valid)", t_kernel_big, NNOM_ERR_SHAPE, "does not fit"},
        {"negative stride", t_stride_negative, NNOM_ERR_SHAPE, "stride[1]"},
        {"huge dilation", t_dilation_huge, NNOM_ERR_SHAPE, "dilation[0]"},
        {"padding 3", t_padding_bad, NNOM_ERR_SHAPE, "padding"},
        {"activation 3", t_act_bad, NNOM_ERR_UNSUPPORTED, "activation"},
        {"blob 4 given", t_extra_blob, NNOM_ERR_SHAPE, "blob 4"},
        {"CONV1D on a rank-3 input", t_as_1d, NNOM_ERR_SHAPE, "rank 2"},
        {"misaligned weights", t_weights_misaligned, NNOM_ERR_FORMAT, "aligned"},
    };
    const layer_spec s = {6, 6, 3, 4, 3, 3, 1, 1, 1, 1, NNOM_PADDING_VALID, NNOM_ACT_RELU, 0, 1};
    for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        blobs_t b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        const nnom_status st = build_model(&s, NNOM_DTYPE_S8, &b, (nnom_quant){0.1f, 0}, cases[i].tweak, &m);
        const char *msg = nnom_model_last_error(m);
        TU_CHECK(st == cases[i].want && strstr(msg, "'c1'") && strstr(msg, cases[i].needle),
                 "%s: %s: %s (expected %s mentioning '%s')", cases[i].what, nnom_status_name(st), msg,
                 nnom_status_name(cases[i].want), cases[i].needle);
        nnom_model_destroy(m);
        free_blobs(&b);
    }

    /* a 1D conv needs kernel[0] = 1 */
    {
        const layer_spec s1 = {1, 12, 3, 2, 2, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE, 1, 1};
        blobs_t b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        const nnom_status st = build_model(&s1, NNOM_DTYPE_S8, &b, (nnom_quant){0.1f, 0}, NULL, &m);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "kernel[0]"), "conv1d kernel[0] 2: %s: %s",
                 nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
        free_blobs(&b);
    }
    /* a 2D conv on a rank-2 input */
    {
        const layer_spec s2 = {1, 12, 3, 2, 1, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE, 1, 1};
        blobs_t b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        nnom_error err;
        TU_REQUIRE(nnom_model_create(NNOM_DTYPE_S8, NULL, &m, &err) == NNOM_OK, "create");
        int32_t id;
        TU_OK(m, nnom_model_add_input(m, "seq", input_shape(&s2), (nnom_quant){0.1f, 0}, &id));
        nnom_layer_desc d = conv_desc(&s2, "c1", id, NNOM_DTYPE_S8, &b);
        d.type = NNOM_LAYER_CONV2D;
        TU_OK(m, nnom_model_add_layer(m, &d, &id));
        nnom_layer_desc o;
        nnom_layer_desc_init(&o);
        o.type = NNOM_LAYER_OUTPUT;
        o.n_inputs = 1;
        o.inputs[0] = id;
        TU_OK(m, nnom_model_add_layer(m, &o, NULL));
        const nnom_status st = nnom_model_compile(m);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "rank 3"), "conv2d on (W, C): %s: %s",
                 nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
        free_blobs(&b);
    }
    /* an int8 window beyond NNOM_CONV_MAX_PATCH */
    {
        const layer_spec s3 = {1, 1, 40000, 1, 1, 1, 1, 1, 1, 1, NNOM_PADDING_VALID, NNOM_ACT_NONE, 0, 0};
        blobs_t b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        const nnom_status st = build_model(&s3, NNOM_DTYPE_S8, &b, (nnom_quant){0.1f, 0}, NULL, &m);
        TU_CHECK(st == NNOM_ERR_UNSUPPORTED && strstr(nnom_model_last_error(m), "40000"), "patch 40000: %s: %s",
                 nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
        free_blobs(&b);
    }
    /* limits checked before any blob is looked at */
    {
        static const struct {
            const char *what;
            nnom_layer_type type;
            nnom_dtype dtype;
            int32_t in_rank, in_c, units, k, dilation;
            nnom_status want;
            const char *needle;
        } limits[] = {
            {"rank-1 input", NNOM_LAYER_CONV2D, NNOM_DTYPE_S8, 1, 8, 2, 1, 1, NNOM_ERR_SHAPE, "shape (8)"},
            {"dilated span beyond 2^24", NNOM_LAYER_CONV2D, NNOM_DTYPE_S8, 3, 2, 2, 5, 1 << 23, NNOM_ERR_UNSUPPORTED,
             "spans"},
            {"weights beyond 4 GB", NNOM_LAYER_CONV2D, NNOM_DTYPE_F32, 3, 4096, 1 << 20, 1, 1, NNOM_ERR_SHAPE,
             "too many"},
            {"2^25 depthwise channels", NNOM_LAYER_DEPTHWISE_CONV2D, NNOM_DTYPE_F32, 3, 4, 1 << 23, 1, 1,
             NNOM_ERR_SHAPE, "output channels"},
        };
        for (int i = 0; i < (int)(sizeof limits / sizeof limits[0]); i++) {
            nnom_model *m = NULL;
            nnom_error err;
            TU_REQUIRE(nnom_model_create(limits[i].dtype, NULL, &m, &err) == NNOM_OK, "create");
            nnom_shape sh;
            memset(&sh, 0, sizeof sh);
            sh.rank = limits[i].in_rank;
            for (int32_t r = 0; r < sh.rank; r++) sh.dims[r] = r == sh.rank - 1 ? limits[i].in_c : 6;
            int32_t id;
            TU_OK(m, nnom_model_add_input(m, "x", sh, (nnom_quant){0.1f, 0}, &id));
            nnom_layer_desc d;
            nnom_layer_desc_init(&d);
            d.type = limits[i].type;
            d.name = "c1";
            d.n_inputs = 1;
            d.inputs[0] = id;
            d.params.kernel[0] = d.params.kernel[1] = limits[i].k;
            d.params.dilation[0] = d.params.dilation[1] = limits[i].dilation;
            d.params.padding = NNOM_PADDING_SAME;
            d.params.units = limits[i].units;
            d.quant = (nnom_quant){0.1f, 0};
            TU_OK(m, nnom_model_add_layer(m, &d, &id));
            nnom_layer_desc o;
            nnom_layer_desc_init(&o);
            o.type = NNOM_LAYER_OUTPUT;
            o.n_inputs = 1;
            o.inputs[0] = id;
            TU_OK(m, nnom_model_add_layer(m, &o, NULL));
            const nnom_status st = nnom_model_compile(m);
            const char *msg = nnom_model_last_error(m);
            TU_CHECK(st == limits[i].want && strstr(msg, "'c1'") && strstr(msg, limits[i].needle),
                     "%s: %s: %s (expected %s mentioning '%s')", limits[i].what, nnom_status_name(st), msg,
                     nnom_status_name(limits[i].want), limits[i].needle);
            nnom_model_destroy(m);
        }
    }
    /* a float model takes no requantisation blobs */
    {
        const layer_spec s4 = {5, 5, 2, 3, 3, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE, 0, 1};
        blobs_t b;
        memset(&b, 0, sizeof b);
        static int32_t junk[3];
        nnom_model *m = NULL;
        nnom_error err;
        TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, NULL, &m, &err) == NNOM_OK, "create");
        int32_t id;
        TU_OK(m, nnom_model_add_input(m, "image", input_shape(&s4), (nnom_quant){1.0f, 0}, &id));
        nnom_layer_desc d = conv_desc(&s4, "c1", id, NNOM_DTYPE_F32, &b);
        d.blobs[2] = (nnom_blob){junk, sizeof junk};
        TU_OK(m, nnom_model_add_layer(m, &d, &id));
        nnom_layer_desc o;
        nnom_layer_desc_init(&o);
        o.type = NNOM_LAYER_OUTPUT;
        o.n_inputs = 1;
        o.inputs[0] = id;
        TU_OK(m, nnom_model_add_layer(m, &o, NULL));
        const nnom_status st = nnom_model_compile(m);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "blob 2"), "f32 with blob 2: %s: %s",
                 nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
        free_blobs(&b);
    }
}

int main(void)
{
    test_rounding_shr();
    test_requant_helper();
    test_conv_s8_random();
    test_conv_s8_shapes();
    test_conv_f32_random();
    test_graph_s8();
    test_graph_f32();
    test_infer_errors();
    printf("test_conv: %d int8 (%d also as dense layers) and %d float32 kernel cases\n", cases_s8, cases_dense, cases_f32);
    return tu_finish("test_conv");
}
