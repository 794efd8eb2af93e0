/*
 * CONV1D / CONV2D: the int8 and float32 kernels against the references of
 * support/conv_ref.c (exact int64 accumulator then the TFLite rounding of test_util.h;
 * double precision for float), on random shapes, strides, dilations,
 * paddings, zero points and clamps; and the per-channel requantisation
 * helper (the layer through the public API: test_conv_layer.c).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv_ref.h"
#include "kernels/conv.h"
#include "kernels/requant.h"
#include "test_util.h"

/* ------------------------------------------------------------------ random cases */

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


/* Runs one int8 case. Buffers are allocated to their exact sizes, so that
 * AddressSanitizer reports any read or write outside them. */
/* 1: the input one row (or column) shorter than the windows reach, so that the last taps fall in
 * implicit padding after the input, as in a window of rows the layers compute in place */
static int cut_last;
/* 1: many dead output channels (DEAD_FILTER_PERCENT all-zero filters, DEAD_MULT_PERCENT multipliers 0, the
 * rest live), as in a MobileNet imported with its dead filters kept; also run with the output over the
 * input where the kernel allows it (a pointwise layer of at most as many output channels as input) */
static int dead_channels;
static int cases_dead, cases_in_place;
#define DEAD_FILTER_PERCENT 60
#define DEAD_MULT_PERCENT 15

static int cases_pairs, cases_pairs_in_place;

/* The weights of @p a (OHWI, k per channel) in channel pairs, packed here from the layout's
 * definition in kernels/conv.h: pair p's word 2g + h (h 0 or 1) holds patch elements 4g + h and
 * 4g + h + 2, each as channel A's byte with its top bit flipped, then channel B's. */
static uint8_t *pack_pairs(const int8_t *w, int32_t k, int32_t out_c)
{
    const int32_t k4 = (k + 3) / 4 * 4, n_pairs = (out_c + 1) / 2;
    uint8_t *pairs = (uint8_t *)malloc((size_t)(2 * n_pairs * k4));
    for (int32_t p = 0; p < n_pairs; p++)
        for (int32_t g = 0; g < k4 / 4; g++)
            for (int32_t h = 0; h < 2; h++)
                for (int32_t e = 0; e < 2; e++) { /* element 4g + h + 2e */
                    const int32_t i = 4 * g + h + 2 * e;
                    uint8_t *word = pairs + (ptrdiff_t)2 * k4 * p + 8 * g + 4 * h + 2 * e;
                    const int8_t wa = i < k ? w[(ptrdiff_t)(2 * p) * k + i] : 0;
                    const int8_t wb = i < k && 2 * p + 1 < out_c ? w[(ptrdiff_t)(2 * p + 1) * k + i] : 0;
                    word[0] = (uint8_t)(wa + 128); /* (w ^ 0x80 read unsigned is w + 128) */
                    word[1] = (uint8_t)wb;
                }
    return pairs;
}

/* The same case with its weights in channel pairs (nnom_conv2d_pairs_s8), where the patch allows it,
 * against the reference's outputs; and over its input for a pointwise layer. */
static void check_pairs(const nnom_conv_args *a, const int8_t *in, const int8_t *want, int64_t n_out, void *scratch,
                        uint32_t sb, int case_no)
{
    const int32_t k = a->k_h * a->k_w * a->in_c;
    if (k > NNOM_CONV_PAIRS_MAX_PATCH) return;
    uint8_t *pairs = pack_pairs((const int8_t *)a->weights, k, a->out_c);
    nnom_conv_args b = *a;
    b.weights = pairs;
    int8_t *got = (int8_t *)malloc((size_t)n_out);
    memset(got, 0x5a, (size_t)n_out);
    nnom_conv2d_pairs_s8(&b, in, got, scratch, sb);
    const compare_result r = compare_s8(got, want, n_out);
    TU_CHECK(r.fails == 0, "s8 case %d in channel pairs: %d of %ld outputs differ, first at %d: %d, expected %d",
             case_no, r.fails, (long)n_out, r.first_index, r.got, r.want);
    cases_pairs++;
    const int pointwise = a->k_h == 1 && a->k_w == 1 && a->stride_h == 1 && a->stride_w == 1 && a->pad_top == 0 &&
                          a->pad_left == 0 && a->out_h == a->in_h && a->out_w == a->in_w;
    if (pointwise && a->out_c <= a->in_c) {
        const size_t n_in = (size_t)a->in_h * (size_t)a->in_w * (size_t)a->in_c;
        int8_t *buf = (int8_t *)malloc(n_in);
        memcpy(buf, in, n_in);
        nnom_conv2d_pairs_s8(&b, buf, buf, scratch, sb);
        const compare_result d = compare_s8(buf, want, n_out);
        TU_CHECK(d.fails == 0, "s8 case %d in channel pairs, in place: %d of %ld outputs differ, first at %d: %d, "
                 "expected %d", case_no, d.fails, (long)n_out, d.first_index, d.got, d.want);
        cases_pairs_in_place++;
        free(buf);
    }
    free(got);
    free(pairs);
}

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
    if (dead_channels)
        for (int32_t c = 0; c < s->out_c; c++) {
            const int r = tu_rand_int(0, 99);
            if (r < DEAD_FILTER_PERCENT) memset(w + (ptrdiff_t)c * k, 0, (size_t)k);
            else if (r < DEAD_FILTER_PERCENT + DEAD_MULT_PERCENT) mult[c] = 0;
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
    check_pairs(&a, in, want, n_out, scratch, sb, case_no);
    /* the output over the input: a pointwise layer (stride 1, no padding) of no more output channels */
    const int pointwise = s->kh == 1 && s->kw == 1 && s->sh == 1 && s->sw == 1 && a.pad_top == 0 &&
                          a.pad_left == 0 && a.out_h == a.in_h && a.out_w == a.in_w && !cut_last;
    if (dead_channels) cases_dead++;
    if (dead_channels && pointwise && a.out_c <= a.in_c) {
        int8_t *buf = (int8_t *)malloc((size_t)n_in);
        memcpy(buf, in, (size_t)n_in);
        nnom_conv2d_s8(&a, buf, buf, scratch, sb);
        const compare_result d = compare_s8(buf, want, n_out);
        TU_CHECK(d.fails == 0, "s8 case %d in place: %d of %ld outputs differ, first at %d: %d, expected %d", case_no,
                 d.fails, (long)n_out, d.first_index, d.got, d.want);
        cases_in_place++;
        free(buf);
    }
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
        /* in channel pairs over the input with more than 16 pairs (one sweep, constants per output) */
        {4, 5, 40, 37, 1, 1, 1, 1, 1, 1, 0},   {3, 3, 64, 64, 1, 1, 1, 1, 1, 1, 0},
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

/* Dead output channels (dead_channels): random shapes, and pointwise layers of several chunks of 16
 * channels, more than 256 channels, few or many input channels (a patch of at most 8 too), in place. */
static void test_conv_s8_dead(void)
{
    static const shape_spec specs[] = {
        {6, 6, 128, 128, 1, 1, 1, 1, 1, 1, 0}, {3, 3, 128, 256, 1, 1, 1, 1, 1, 1, 0},
        {5, 7, 64, 48, 1, 1, 1, 1, 1, 1, 0},   {4, 5, 40, 40, 1, 1, 1, 1, 1, 1, 0},
        {3, 4, 33, 21, 1, 1, 1, 1, 1, 1, 0},   {2, 3, 16, 300, 1, 1, 1, 1, 1, 1, 0},
        {7, 5, 8, 8, 1, 1, 1, 1, 1, 1, 0},     {6, 6, 8, 45, 1, 1, 1, 1, 1, 1, 0},
        {9, 9, 200, 37, 1, 1, 1, 1, 1, 1, 0},  {7, 7, 24, 48, 3, 3, 1, 1, 1, 1, 1},
        {11, 7, 48, 33, 3, 3, 1, 1, 1, 1, 1},  {6, 5, 7, 17, 3, 3, 2, 2, 1, 1, 1},
        {1, 1, 96, 24, 1, 1, 1, 1, 1, 1, 1},   {1, 3, 20, 7, 1, 1, 1, 1, 1, 1, 0},
    };
    tu_seed(0xC0DE0003u);
    dead_channels = 1;
    for (int rep = 0; rep < 8; rep++)
        for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++) run_case_s8(&specs[i], 2000 + rep * 100 + i);
    for (int i = 0; i < 300; i++) {
        shape_spec s;
        random_spec(&s, i % 4 == 3);
        run_case_s8(&s, 3000 + i);
    }
    dead_channels = 0;
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

int main(void)
{
    test_rounding_shr();
    test_requant_helper();
    test_conv_s8_random();
    test_conv_s8_shapes();
    test_conv_s8_dead();
    test_conv_f32_random();
    printf("test_conv: %d int8 (%d also as dense layers; %d in channel pairs, %d of them in place; %d with dead "
           "channels, %d of them in place) and %d float32 kernel cases\n",
           cases_s8, cases_dense, cases_pairs, cases_pairs_in_place, cases_dead, cases_in_place, cases_f32);
    TU_CHECK(cases_pairs > 500 && cases_pairs_in_place > 10, "channel pairs ran %d cases, %d in place", cases_pairs,
             cases_pairs_in_place);
    return tu_finish("test_conv");
}
