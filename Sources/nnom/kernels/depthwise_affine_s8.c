/*
 * int8 depthwise convolution with a 1x1 kernel, stride 1, depth multiplier 1
 * and no padding: a per-channel affine map (what a BatchNormalization the
 * converter could not fold into a convolution, or a Rescaling, becomes). Each
 * output element depends only on the input element at the same index:
 *   out[p][c] = clamp(requant((in[p][c] - in_zp) * w[c] + bias[c]) + out_zp).
 * Shared by the portable and the Cortex-M kernels (same results bit for bit:
 * the same function), serves in == out.
 *
 * One channel at a time (its constants in registers), its elements C bytes
 * apart, in one of two forms (kernels/affine_s8.h, the same values):
 *  - each element computed: a multiply-add, the 32-bit requantisation and a
 *    clamp, nnom_requant32() of kernels/requant.h, where that one's
 *    preconditions hold for every input value of the channel (the shift in
 *    [-22, -1] and |(x - in_zp) * w + bias| < 2^30 for every int8 x and
 *    in_zp: checked once per channel on |bias|, see AFFINE_BIAS_MAX);
 *  - on planes of at least AFFINE_TABLE_MIN_PIXELS pixels, the same values
 *    first written into a table of the channel's 256 outputs (on the stack),
 *    then each element is one lookup.
 * Other channels (rare: a shift outside [-22, -1], a huge bias) compute each
 * element with nnom_conv_quant_out() of kernels/conv.h, the reference
 * requantisation of every int8 convolution, equal to nnom_requant32() where
 * both apply.
 * The setup of a channel is a few 32-bit operations, so that a call on
 * a few pixels (the bands of a tiled stage, a 1 x 1 map) costs about its
 * elements.
 */
#include <stddef.h>

#include "kernels/affine_s8.h"
#include "kernels/conv.h"
#include "kernels/requant.h"

/* Pixels from which a channel's table costs less than computing each element (on the Cortex-M4
 * about 11 estimated cycles an element computed, 5 looked up, 2,200 a table). */
enum { AFFINE_TABLE_MIN_PIXELS = 384 };

int nnom_depthwise_is_affine(const nnom_conv_args *a)
{
    return a->k_h == 1 && a->k_w == 1 && a->stride_h == 1 && a->stride_w == 1 && a->depth_mult == 1 &&
           a->pad_top == 0 && a->pad_left == 0 && a->out_h == a->in_h && a->out_w == a->in_w &&
           a->out_c == a->in_c;
}

/* A bias from which a channel may leave nnom_requant32's domain: |x * w + bias - in_zp * w| <=
 * |bias| + 255 * 128 for int8 x and in_zp, below 2^30 when |bias| <= AFFINE_BIAS_MAX. */
#define AFFINE_BIAS_MAX (NNOM_REQUANT32_MAX_ACC - 255 * 128)

/* 1 when channel @p ch's every value is nnom_requant32's (shift in [-22, -1], |bias| bounded above). */
static inline int affine_fast(const nnom_conv_args *a, int32_t bias, int32_t ch)
{
    const int32_t e = -a->shift[ch];
    return e >= 1 && e <= NNOM_REQUANT32_MAX_E && bias >= -AFFINE_BIAS_MAX && bias <= AFFINE_BIAS_MAX;
}

/* The general form of channel @p ch (kernels/conv.h), each element on its own. */
static void affine_general(const nnom_conv_args *a, int32_t ch, int32_t bias, const int8_t *i, int8_t *o, ptrdiff_t n)
{
    const ptrdiff_t step = a->in_c;
    const int32_t w = ((const int8_t *)a->weights)[ch], in_zp = a->in_zp, zp = a->out_zp;
    const nnom_conv_quant q = nnom_conv_quant_init(bias, a->multiplier[ch], a->shift[ch]);
    for (ptrdiff_t p = 0; p < n; p++) o[p * step] = nnom_conv_quant_out(q, (i[p * step] - in_zp) * w, zp, a->act_min, a->act_max);
}

/* The four forms of a channel's computed run: the multiplier above 2^30 or not (the DSP form), a
 * clamp or not, each its own function (its loop's registers its own). */
#if defined(__GNUC__)
#define AFFINE_NOINLINE __attribute__((noinline))
#else
#define AFFINE_NOINLINE
#endif
#define AFFINE_FORM(name, above, clamp)                                                                          \
    static AFFINE_NOINLINE void name(const nnom_affine_chan *k, const int8_t *i, int8_t *o, ptrdiff_t n,          \
                                     ptrdiff_t step, int32_t lo, int32_t hi)                                     \
    {                                                                                                           \
        nnom_affine_span_k(k, i, o, n, step, lo, hi, above, clamp);                                             \
    }
AFFINE_FORM(affine_run_a1c1, 1, 1)
AFFINE_FORM(affine_run_a1c0, 1, 0)
AFFINE_FORM(affine_run_a0c1, 0, 1)
AFFINE_FORM(affine_run_a0c0, 0, 0)

/* A channel through its table, tm (the middle of the caller's 256 bytes; an argument, so that it stays
 * in a register); two forms (a clamp or not): the table's 256 entries cost little next to the pixels. */
#define AFFINE_TABLE_FORM(name, clamp)                                                                           \
    static AFFINE_NOINLINE void name(const nnom_affine_chan *k, const int8_t *i, int8_t *o, ptrdiff_t n,          \
                                     ptrdiff_t step, int8_t *tm, int32_t lo, int32_t hi)                         \
    {                                                                                                           \
        nnom_affine_table_k(k, tm, lo, hi, 0, clamp);                                                           \
        nnom_lookup_strided_s8(tm, i, o, n, step);                                                              \
    }
AFFINE_TABLE_FORM(affine_table_c1, 1)
AFFINE_TABLE_FORM(affine_table_c0, 0)

/* A call on one pixel (a 1 x 1 map): each element computed with its channel's constants as they are
 * loaded, no per-channel preparation; the channels of the general form afterwards (no call in the
 * loop). */
NNOM_AFFINE_INLINE void affine_one_k(const nnom_conv_args *a, const int8_t *in, int8_t *out, const int clamp)
{
    const int32_t *bias = (const int32_t *)a->bias, *mult = a->multiplier, *shift = a->shift;
    const int8_t *weights = (const int8_t *)a->weights;
    const int32_t in_zp = a->in_zp, zp = a->out_zp, lo = a->act_min, hi = a->act_max, C = a->in_c;
    int general = 0;
    for (int32_t ch = 0; ch < C; ch++) {
        const int32_t b = bias ? bias[ch] : 0;
        if (!affine_fast(a, b, ch)) {
            general = 1;
            continue;
        }
        const int32_t e = -shift[ch], acc2 = 2 * ((in[ch] - in_zp) * weights[ch] + b);
        out[ch] = nnom_affine_clamp(nnom_affine_requant(acc2, mult[ch], e, nnom_requant32_const(e, zp), 0), lo, hi, clamp);
    }
    for (int32_t ch = 0; general && ch < C; ch++) {
        const int32_t b = bias ? bias[ch] : 0;
        if (!affine_fast(a, b, ch)) affine_general(a, ch, b, in + ch, out + ch, 1);
    }
}
static void affine_one(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    if (a->act_min > INT8_MIN || a->act_max < INT8_MAX) affine_one_k(a, in, out, 1);
    else affine_one_k(a, in, out, 0);
}

void nnom_depthwise_affine_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    const ptrdiff_t pixels = (ptrdiff_t)a->in_h * a->in_w, step = a->in_c;
    if (pixels == 1) {
        affine_one(a, in, out);
        return;
    }
    const int32_t lo = a->act_min, hi = a->act_max, in_zp = a->in_zp, zp = a->out_zp;
    const int clamp = lo > INT8_MIN || hi < INT8_MAX, tables = pixels >= AFFINE_TABLE_MIN_PIXELS;
    int8_t table[NNOM_AFFINE_VALUES];
    const int32_t *bias = (const int32_t *)a->bias;
    const int8_t *weights = (const int8_t *)a->weights;
    for (int32_t ch = 0; ch < a->in_c; ch++) {
        const int32_t b = bias ? bias[ch] : 0;
        if (!affine_fast(a, b, ch)) {
            affine_general(a, ch, b, in + ch, out + ch, pixels);
            continue;
        }
        nnom_affine_chan k;
        const int32_t w = weights[ch];
        k.w2 = 2 * w;
        k.base2 = 2 * (b - in_zp * w); /* |.| < 2^31: see AFFINE_BIAS_MAX */
        k.m = a->multiplier[ch];
        k.e = -a->shift[ch];
        k.c = nnom_requant32_const(k.e, zp);
        const int above = NNOM_USE_ARM_DSP && k.m > (1 << 30);
        if (tables && clamp) affine_table_c1(&k, in + ch, out + ch, pixels, step, table - INT8_MIN, lo, hi);
        else if (tables) affine_table_c0(&k, in + ch, out + ch, pixels, step, table - INT8_MIN, lo, hi);
        else if (above && clamp) affine_run_a1c1(&k, in + ch, out + ch, pixels, step, lo, hi);
        else if (above) affine_run_a1c0(&k, in + ch, out + ch, pixels, step, lo, hi);
        else if (clamp) affine_run_a0c1(&k, in + ch, out + ch, pixels, step, lo, hi);
        else affine_run_a0c0(&k, in + ch, out + ch, pixels, step, lo, hi);
    }
}
