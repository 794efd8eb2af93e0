/*
 * The Cortex-M DSP convolution of an image or keyword-spotting model's first
 * layer, whole: the patches of conv_first.h's passes (3x3 on three channels
 * or 3x9 on one: 27 elements; DS-CNN's 10x4 on one channel: 40), every output
 * channel of a fast requantisation form. Part of kernels/arm/conv_s8.c
 * (included after conv_narrow.h, whose helpers it shares), which hands it the
 * layers first_layer_takes() accepts before conv_narrow.h would take them;
 * same results as the portable kernel bit for bit.
 *
 * Why a loop of its own: conv_narrow.h serves any narrow layer (runs of
 * channels of every form, eight-pixel passes, a staged gather); on these
 * layers its per-pass bookkeeping, its C gather of windows at the padding
 * (about 500 estimated cycles a window) and its per-output narrower clamp
 * cost as much as a quarter of the multiply-accumulates. Here a call checks
 * once that the pass of conv_first.h takes every channel and builds the
 * pass's table of constants (and, 27-element patches, a copy of the weights
 * with each pair's interleaved: one load for both channels, and every weight
 * load word-aligned, where in place three channels in four are read at odd
 * or half-word addresses, about 35 cycles of unaligned penalty per pair and
 * pass on the Cortex-M4); then per pass of four pixels: their columns
 * (windows inside the input: 3x3x3 by first_gather_27_run4, 10x4 rows a word
 * each, straight; at the padding a window's bytes staged with the zero
 * point, then widened), one call of the pass (two for 27-element patches of
 * more than 24 channels: in place, the last pair's weights on a padded
 * copy), and at the end a narrower clamp four bytes at a time (SSUB8 / SEL).
 *
 * Measured (kernel_bench, -O2, est. Cortex-M4 cycles per MAC, against
 * conv_narrow.h's): DS-CNN's 10x4 stride 2 on 49x10x1 -> 64 1.530 (1.688),
 * MobileNet's 3x3 stride 2 on 96x96x3 -> 8 2.013 (2.299), ResNet-8's 3x3 on
 * 32x32x3 -> 16 1.821 (2.252). Per pair of channels and pass the
 * multiply-accumulates take 238 cycles (27 taps, interleaved) or 360 (40) of
 * about 325 or 445; a pass's columns about 55 cycles a pixel.
 *
 * Takes (first_layer_takes): 27-element patches as 3 kernel rows of 9 bytes
 * or 40 as 10 rows of 4, dil_w == 1 (any dil_h, strides, padding), 2 to
 * FIRST_LAYER_CHANNELS channels (an odd count's last one as a pair
 * overlapping the one before), each of conv_narrow.h's fast forms
 * (NARROW_ZP / NARROW_U), or constant (multiplier 0, or all-zero weights of
 * any form: an entry of the table gives the constant, the channel's sums
 * unused), or, up to one channel in FIRST_GENERAL_SHARE, of the general form
 * (shift >= 0, e > 22, a large bias: the pass gives 0, then first_general()
 * redoes them in C), a bias or none, at least four output pixels, and, when
 * the pixel count is not a multiple of four, an output apart from the input
 * (the last pass runs again over the last four pixels); the scratch holds
 * four pixels' columns (conv_shape np 4 or 8). Refused, to conv_narrow.h:
 * other patches (the pass's code is per patch length); more general
 * channels; more than FIRST_LAYER_CHANNELS channels (the table on the
 * stack); one channel, fewer than four pixels, or a short last pass in
 * place (rare; conv_narrow.h's per-pixel paths).
 * Such layers (kernel_bench, -O2, est. cycles/MAC, conv_narrow.h's before):
 * 10x4 s2 49x10x1 -> 64 with dead channels 1.557 (3.631), -> 63 1.564
 * (1.744), with 60 % all-zero filters of 2^30, shift 1 1.620 (5.073), with
 * two channels of a left shift 1.719 (2.936); 3x3 s2 96x96x3 -> 8 with dead
 * channels 2.060 (2.645), with one of a left shift 2.991 (3.953).
 * Stack: about 1.45 KB (the table of 64 channels and the copy after it, the general channels'
 * list and a last channel's copy; conv_narrow.h: 1.1 KB).
 */
#ifndef NNOM_KERNELS_ARM_CONV_FIRST_RUN_H
#define NNOM_KERNELS_ARM_CONV_FIRST_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/arm/arm_dsp.h"
#include "kernels/arm/conv_first.h"
#include "kernels/arm/conv_narrow.h"

enum {
    FIRST_ROW27 = 9,   /* bytes of a kernel row of a 27-element patch (3 rows) */
    FIRST_ROWS27 = 3,
    FIRST_ROW40 = 4,   /* bytes of a kernel row of a 40-element patch (10 rows, one group each) */
    FIRST_ROWS40 = 10,
    FIRST_GROUP_WORDS = 2 * FIRST_PIXELS, /* words of one group of a pass's four columns */
    FIRST_STAGE27 = 28, /* a staged 27-element patch and the zero point past it: 7 words */
    FIRST_LAYER_CHANNELS = 64, /* the most channels it takes: their table of constants on its stack
                                  (DS-CNN's 64: 1 KB) */
    FIRST_COPY_SPARE = 64,     /* bytes past a full table: the copy of a last pair's 27-element weights */
    FIRST_CONST_E = 1,         /* e of a constant channel's table entry (first_const_entry()) */
    /* the most channels of the general form with live weights it takes: one in FIRST_GENERAL_SHARE
     * (each redone per pass in C, about 800 estimated cycles a channel and pass (10x4), as in
     * conv_narrow.h, the pass's work on it lost: 10x4 s2 49x10x1 -> 64 with a quarter of them 2.87
     * est. cycles/MAC against conv_narrow.h's 4.75, with all of them 6.81 against 5.50) */
    FIRST_GENERAL_SHARE = 4,
    FIRST_GENERAL_MAX = FIRST_LAYER_CHANNELS / FIRST_GENERAL_SHARE
};
typedef char first_copy_check[FIRST_COPY_SPARE >= 2 * FIRST_K27 + 4 && FIRST_COPY_SPARE % 4 == 0 &&
                                      FIRST_PAIR_BYTES % 4 == 0
                                  ? 1
                                  : -1];
typedef char first_run_check[FIRST_ROW27 * FIRST_ROWS27 == FIRST_K27 && FIRST_ROW40 * FIRST_ROWS40 == FIRST_K40 &&
                                     FIRST_STAGE27 == 4 * ((FIRST_K27 + 3) / 4)
                                 ? 1
                                 : -1];

/* Whether the layer's patch is one of the passes' (27 as 3 rows of 9 bytes, 40 as 10 rows of 4). */
static inline int first_layer_shape(const nnom_conv_args *a)
{
    const int32_t run = a->k_w * a->in_c;
    return a->dil_w == 1 && ((run == FIRST_ROW27 && a->k_h == FIRST_ROWS27) || (run == FIRST_ROW40 && a->k_h == FIRST_ROWS40));
}

/* Channel c's entry of the passes' table (FIRST_TABLE_ENTRY words at t) when its every output is
 * one constant v (a dead channel, multiplier 0: the zero point; any form with all-zero weights:
 * the requantisation of the bias alone): constants under which the pass's nnom_arm_requant() form
 * gives v: multiplier 0, e = 1, the rounding constant 2 v + 1 ((2 v + 1) >> 1 = v), bias 0.
 * Returns 0 when the channel is not constant (a general form with live weights: first_layer()
 * does not take the layer); check 0: the weights not tested (first_layer_takes() did). */
__attribute__((noinline)) static int first_const_entry(const nnom_conv_args *a, int32_t c, int32_t *t, int check)
{
    const int32_t m = a->multiplier[c], b = a->bias ? ((const int32_t *)a->bias)[c] : 0;
    if (m && check) {
        const int32_t k = a->k_h * a->k_w * a->in_c;
        const int8_t *w = (const int8_t *)a->weights + (ptrdiff_t)c * k;
        uint32_t any = 0; /* (the weights' OR, a word at a time, then the bytes past the last word) */
        int32_t i = 0;
        for (; i + 4 <= k; i += 4) any |= nnom_arm_load4(w + i);
        for (; i < k; i++) any |= (uint8_t)w[i];
        if (any) return 0;
    }
    /* the portable kernel's output for a dot product of 0 (a dead channel's: its zero point) */
    const int32_t v = nnom_conv_quant_out(nnom_conv_quant_init(b, m, a->shift[c]), 0, a->out_zp, a->act_min,
                                          a->act_max);
    t[0] = 0;
    t[1] = FIRST_CONST_E;
    t[2] = 2 * v + 1;
    t[3] = 0;
    return 1;
}

/* Whether channel c (multiplier m, shift -e, bias b) is of a fast form (conv_narrow.h's
 * narrow_form(): NARROW_ZP or NARROW_U). */
static inline int first_fast(int32_t m, int32_t e, int32_t b, int32_t bias_room)
{
    return m != 0 && e >= 1 && e <= 22 && b <= bias_room && b >= -bias_room;
}

/* first_layer_takes()'s answers besides 0 (first_layer()'s `takes`): every channel of a fast
 * form; some constant, none of the general form; some of the general form */
enum { FIRST_ALL_FAST = 1, FIRST_SOME_CONST = 2, FIRST_SOME_GENERAL = 3 };

/* Whether first_layer() takes the convolution (see the file comment): 0, FIRST_ALL_FAST or
 * FIRST_SOME_CONST or FIRST_SOME_GENERAL. */
static int first_layer_takes(const nnom_conv_args *a, const conv_shape *s, const int8_t *in, const int8_t *out)
{
    const int32_t n_pix = a->out_h * a->out_w;
    if (!first_layer_shape(a) || a->out_c < 2 || a->out_c > FIRST_LAYER_CHANNELS || n_pix < FIRST_PIXELS ||
        (s->np != NARROW_PIXELS && s->np != NARROW_EIGHT))
        return 0;
    const int apart = out + (ptrdiff_t)n_pix * a->out_c <= in || in + (ptrdiff_t)a->in_h * a->in_w * a->in_c <= out;
    if ((n_pix % FIRST_PIXELS) && !apart) return 0;
    const int32_t bias_room = (int32_t)((1 << 30) - 1 - s->k * 32640);
    const int32_t *const bias = (const int32_t *)a->bias;
    int32_t t[FIRST_TABLE_ENTRY];
    int answer = FIRST_ALL_FAST;
    int32_t n_general = 0;
    for (int32_t c = 0; c < a->out_c; c++)
        if (!first_fast(a->multiplier[c], -a->shift[c], bias ? bias[c] : 0, bias_room)) {
            if (first_const_entry(a, c, t, 1)) {
                if (answer == FIRST_ALL_FAST) answer = FIRST_SOME_CONST;
            } else {
                if (++n_general * FIRST_GENERAL_SHARE > a->out_c) return 0;
                answer = FIRST_SOME_GENERAL;
            }
        }
    return answer;
}

/* What the gathers read. */
typedef struct {
    const nnom_conv_args *a;
    const int8_t *in, *in_end;
    ptrdiff_t row_step;     /* input bytes between kernel rows: dil_h * in_w * in_c */
    uint32_t zp_bytes;      /* in_zp in all four bytes */
    uint32_t neg_zp;        /* -in_zp in both int16 lanes */
    int32_t ix_max, iy_max; /* windows from input column ix0 in [0, ix_max], row iy0 in [0, iy_max] are inside */
} first_geo;

/* The column of a 27-element window reaching into the padding: its bytes staged with the zero
 * point in the padding and past the patch (which widens to 0), then widened into dst's seven
 * groups (FIRST_GROUP_WORDS words apart). */
__attribute__((noinline)) static void first_edge27(const first_geo *g, int32_t iy0, int32_t ix0, uint32_t *dst)
{
    const nnom_conv_args *a = g->a;
    const int32_t in_c = a->in_c, in_w = a->in_w;
    /* the kernel row's bytes [b0, b1) inside the input (dil_w == 1) */
    const int32_t kx0 = ix0 < 0 ? -ix0 : 0, kx1 = in_w - ix0 < a->k_w ? in_w - ix0 : a->k_w;
    const int32_t b0 = kx0 * in_c, b1 = kx1 > kx0 ? kx1 * in_c : b0;
    union {
        uint32_t w[FIRST_STAGE27 / 4];
        int8_t b[FIRST_STAGE27];
    } st;
    for (int32_t i = 0; i < FIRST_STAGE27 / 4; i++) st.w[i] = g->zp_bytes;
    for (int32_t ky = 0, iy = iy0; ky < FIRST_ROWS27; ky++, iy += a->dil_h) {
        if ((uint32_t)iy >= (uint32_t)a->in_h) continue;
        const int8_t *src = g->in + ((ptrdiff_t)iy * in_w + ix0) * in_c;
        for (int32_t b = b0; b < b1; b++) st.b[ky * FIRST_ROW27 + b] = src[b];
    }
    const uint32_t neg_zp = g->neg_zp;
    for (int32_t i = 0; i < FIRST_STAGE27 / 4; i++, dst += FIRST_GROUP_WORDS) {
        dst[0] = nnom_arm_widen_lo(neg_zp, st.w[i]);
        dst[1] = nnom_arm_widen_hi(neg_zp, st.w[i]);
    }
}

/* The column of a 40-element window (10 kernel rows of 4 bytes on one channel) whose rows are
 * inside the input into dst's ten groups (FIRST_GROUP_WORDS words apart): a word a row, its bytes
 * outside the window's columns (keep 0) replaced by fill's (the zero point), widened (the rows
 * written out: about 7 estimated cycles a row). Each row's word inside the input tensor. */
static inline __attribute__((always_inline)) void first_inside40(const int8_t *src, ptrdiff_t step, uint32_t neg_zp,
                                                                 uint32_t keep, uint32_t fill, uint32_t *dst)
{
#define FIRST_ROW40_AT(I)                                                    \
    do {                                                                     \
        const uint32_t v = (nnom_arm_load4(src + (I) * step) & keep) | fill; \
        dst[(I) * FIRST_GROUP_WORDS] = nnom_arm_widen_lo(neg_zp, v);         \
        dst[(I) * FIRST_GROUP_WORDS + 1] = nnom_arm_widen_hi(neg_zp, v);     \
    } while (0)
    FIRST_ROW40_AT(0);
    FIRST_ROW40_AT(1);
    FIRST_ROW40_AT(2);
    FIRST_ROW40_AT(3);
    FIRST_ROW40_AT(4);
    FIRST_ROW40_AT(5);
    FIRST_ROW40_AT(6);
    FIRST_ROW40_AT(7);
    FIRST_ROW40_AT(8);
    FIRST_ROW40_AT(9);
#undef FIRST_ROW40_AT
}
typedef char first_rows40_check[FIRST_ROWS40 == 10 ? 1 : -1];

/* The same for a window reaching into the padding: the rows in the padding zero (the zero point
 * widens to 0), each row inside the input built from one word load (the bytes outside the
 * window's columns replaced by the zero point), or byte by byte where that word would leave the
 * input tensor (the first row inside at its start, the last at its end). */
__attribute__((noinline)) static void first_edge40(const first_geo *g, int32_t iy0, int32_t ix0, uint32_t *dst)
{
    const nnom_conv_args *a = g->a;
    const int32_t in_w = a->in_w, in_h = a->in_h, dil_h = a->dil_h;
    const ptrdiff_t step = g->row_step;
    const uint32_t neg_zp = g->neg_zp, zp_bytes = g->zp_bytes;
    /* the bytes [b0, b1) of a row inside the input */
    const int32_t b0 = ix0 < 0 ? -ix0 : 0, b1 = in_w - ix0 < FIRST_ROW40 ? in_w - ix0 : FIRST_ROW40;
    const uint32_t keep = b1 > b0 ? (0xFFFFFFFFu >> (8 * (FIRST_ROW40 - b1))) & (0xFFFFFFFFu << (8 * b0)) : 0u;
    const uint32_t fill = zp_bytes & ~keep;
    /* the kernel rows [ky0, ky1) inside the input */
    int32_t ky0 = 0, ky1 = FIRST_ROWS40;
    if (iy0 < 0) ky0 = (-iy0 + dil_h - 1) / dil_h;
    if (iy0 + (FIRST_ROWS40 - 1) * dil_h >= in_h) ky1 = in_h - iy0 > 0 ? (in_h - iy0 + dil_h - 1) / dil_h : 0;
    if (ky1 > FIRST_ROWS40) ky1 = FIRST_ROWS40;
    if (!keep || ky0 > ky1) ky0 = ky1 = FIRST_ROWS40;
    for (int32_t ky = 0; ky < ky0; ky++) dst[ky * FIRST_GROUP_WORDS] = dst[ky * FIRST_GROUP_WORDS + 1] = 0;
    for (int32_t ky = ky1; ky < FIRST_ROWS40; ky++) dst[ky * FIRST_GROUP_WORDS] = dst[ky * FIRST_GROUP_WORDS + 1] = 0;
    if (ky0 == ky1) return;
    const int8_t *const in = g->in, *const in_end = g->in_end;
    const int8_t *src = in + ((ptrdiff_t)iy0 + (ptrdiff_t)ky0 * dil_h) * in_w + ix0;
    uint32_t *d = dst + ky0 * FIRST_GROUP_WORDS;
    const int8_t *const last = src + (ky1 - 1 - ky0) * step;
    /* (rows whose word leaves the tensor: byte by byte; only the first and the last can) */
    const int first_out = src < in || src + FIRST_ROW40 > in_end;
    const int last_out = last < in || last + FIRST_ROW40 > in_end;
    for (; src <= last; src += step, d += FIRST_GROUP_WORDS) {
        uint32_t v;
        if ((src == last && last_out) || (d == dst + ky0 * FIRST_GROUP_WORDS && first_out)) {
            v = zp_bytes;
            for (int32_t b = b0; b < b1; b++) v = (v & ~(0xFFu << (8 * b))) | (uint32_t)(uint8_t)src[b] << (8 * b);
        } else {
            v = (nnom_arm_load4(src) & keep) | fill;
        }
        d[0] = nnom_arm_widen_lo(neg_zp, v);
        d[1] = nnom_arm_widen_hi(neg_zp, v);
    }
}

/* out[0, n) clamped to [lo, hi], four bytes at a time (SSUB8 sets the lanes' GE flags, SEL picks),
 * four words a loop pass where out is word-aligned. */
static inline uint32_t first_clamp4(uint32_t v, uint32_t lo4, uint32_t hi4)
{
    (void)__ssub8(v, lo4);
    v = __sel(v, lo4); /* max(v, lo) */
    (void)__ssub8(v, hi4);
    return __sel(hi4, v); /* min(v, hi) */
}
__attribute__((noinline)) static void first_clamp(int8_t *out, int32_t n, int32_t lo, int32_t hi)
{
    const uint32_t lo4 = (uint32_t)(uint8_t)lo * 0x01010101u, hi4 = (uint32_t)(uint8_t)hi * 0x01010101u;
    int32_t i = 0;
    if (((uintptr_t)out & 3) == 0) {
        uint32_t *w = (uint32_t *)(void *)out;
        for (; i + 16 <= n; i += 16, w += 4) {
            const uint32_t a = w[0], b = w[1], c = w[2], d = w[3];
            w[0] = first_clamp4(a, lo4, hi4);
            w[1] = first_clamp4(b, lo4, hi4);
            w[2] = first_clamp4(c, lo4, hi4);
            w[3] = first_clamp4(d, lo4, hi4);
        }
    }
    for (; i + 4 <= n; i += 4) {
        uint32_t v;
        memcpy(&v, out + i, 4);
        v = first_clamp4(v, lo4, hi4);
        memcpy(out + i, &v, 4);
    }
    for (; i < n; i++) out[i] = (int8_t)(out[i] < lo ? lo : (out[i] > hi ? hi : out[i]));
}

/* The n channels general[] of the general form of a pass of four pixels (their columns at cols)
 * to o (channel 0 of pixel 0): their sums in narrow_dot4 (the weights in place, a last channel's
 * 27 on the zero-padded copy last_w), requantised with nnom_conv_quant_out()'s arithmetic. */
__attribute__((noinline)) static void first_general(const nnom_conv_args *a, const uint32_t *cols,
                                                    const uint8_t *general, int32_t n, const uint32_t *last_w,
                                                    int8_t *o)
{
    const int32_t k = a->k_h * a->k_w * a->in_c;
    const int32_t *const bias = (const int32_t *)a->bias;
    for (int32_t i = 0; i < n; i++) {
        const int32_t c = general[i];
        int32_t sum[FIRST_PIXELS];
        const int8_t *w = k == FIRST_K27 && c == a->out_c - 1 ? (const int8_t *)last_w
                                                              : (const int8_t *)a->weights + (ptrdiff_t)c * k;
        narrow_dot4(cols, w, (k + 3) / 4, 0, sum);
        narrow_quant_any(a, NARROW_GENERAL, bias ? bias[c] : 0, c, sum, FIRST_PIXELS, o + c);
    }
}

/* The convolution (first_layer_takes() gave `takes`); scratch: four pixels' columns. */
__attribute__((noinline)) static void first_layer(const nnom_conv_args *a, const conv_shape *s, const int8_t *in,
                                                  int8_t *out, void *scratch, int takes)
{
    const int32_t out_c = a->out_c, out_w = a->out_w, n_pix = a->out_h * out_w, k = s->k;
    const int32_t stride_w = a->stride_w, stride_h = a->stride_h, pad_left = a->pad_left;
    const int is40 = k == FIRST_K40;
    uint32_t *cols = (uint32_t *)scratch;
    first_geo g;
    g.a = a;
    g.in = in;
    g.in_end = in + (ptrdiff_t)a->in_h * a->in_w * a->in_c;
    g.row_step = (ptrdiff_t)a->dil_h * a->in_w * a->in_c;
    g.zp_bytes = (uint32_t)(uint8_t)a->in_zp * 0x01010101u;
    g.neg_zp = (uint32_t)(uint16_t)(int16_t)(-a->in_zp) * 0x00010001u;
    g.ix_max = a->in_w - a->k_w;
    g.iy_max = a->in_h - 1 - (a->k_h - 1) * a->dil_h;
    first_run27 r27;
    r27.pix_step = stride_w * a->in_c;
    r27.zp_top = g.zp_bytes & 0xFF000000u;
    r27.neg_zp = g.neg_zp;

    /* the constants in the passes' table; after them, for 27-element patches (whose last group
     * reads a byte past its channel), a copy of all the weights, the pairs' interleaved (one load
     * for both channels, every load word-aligned: FIRST_KIND_PAIRS) when it fits, else a
     * zero-padded copy of the last pair of channels (the others read in place). An odd channel
     * count: the pairs of channels [0, out_c - 1), then the last as a pair overlapping the one
     * before (channels out_c - 2 and out_c - 1: channel out_c - 2's bytes written twice, the same) */
    int32_t buf[FIRST_LAYER_CHANNELS * FIRST_TABLE_ENTRY + FIRST_COPY_SPARE / 4];
    int32_t *const table = buf;
    int8_t *const tail = (int8_t *)(buf + out_c * FIRST_TABLE_ENTRY);
    const int32_t room = (int32_t)sizeof buf - out_c * FIRST_TABLE_ENTRY * 4;
    const int32_t odd = out_c & 1, last = out_c - 2; /* the last pair's first channel */
    int32_t kind = is40 ? FIRST_KIND_40 : FIRST_KIND_27;
    const int pairs = !is40 && (out_c / 2 + odd) * FIRST_PAIR_BYTES <= room;
    /* channels [0, n0) from w0 (in place, or the interleaved copy), then, unless n0 == out_c, the
     * last pair (from channel `last`) from w1: an odd count's, or, 27-element weights in place,
     * the pair reading past the weights, on the zero-padded copy */
    const int32_t n0 = odd ? out_c - 1 : (is40 || pairs ? out_c : out_c - 2);
    const int8_t *const weights = (const int8_t *)a->weights;
    const int8_t *w0 = weights, *w1 = weights + (ptrdiff_t)last * k;
    if (pairs) {
        kind = FIRST_KIND_PAIRS;
        for (int32_t c = 0; c < n0; c += 2)
            first_interleave((uint32_t *)(void *)(tail + c / 2 * FIRST_PAIR_BYTES), weights + c * k);
        w0 = tail;
        w1 = tail + n0 / 2 * FIRST_PAIR_BYTES;
        if (odd) first_interleave((uint32_t *)(void *)w1, weights + last * k);
    } else if (!is40) {
        memset(tail, 0, (size_t)(2 * k + 4));
        memcpy(tail, w1, (size_t)(2 * k));
        w1 = tail;
    }
    const int32_t zz = 2 * a->out_zp + 1;
    const int32_t bias_room = (int32_t)((1 << 30) - 1 - k * 32640);
    const int32_t *const bias = (const int32_t *)a->bias;
    /* the channels of the general form with live weights: the pass gives them 0 (a constant
     * channel's entry), then each pass they are redone in C (narrow_dot4, nnom_conv_quant_out()'s
     * arithmetic); a last channel's 27 weights on a zero-padded copy (its last group reads 28) */
    uint8_t general[FIRST_GENERAL_MAX];
    int32_t n_general = 0;
    uint32_t last_w[(FIRST_K27 + 3) / 4];
    for (int32_t c = 0; c < out_c; c++) {
        const int32_t m = a->multiplier[c], shift = a->shift[c], b = bias ? bias[c] : 0;
        int32_t *const t = table + FIRST_TABLE_ENTRY * c;
        if (takes == FIRST_ALL_FAST || first_fast(m, -shift, b, bias_room)) {
            first_table_entry(t, m, shift, b, zz);
        } else if (!first_const_entry(a, c, t, takes == FIRST_SOME_GENERAL)) {
            t[0] = t[3] = 0;
            t[1] = FIRST_CONST_E;
            t[2] = 1;
            general[n_general++] = (uint8_t)c;
        }
    }
    if (!is40 && n_general && general[n_general - 1] == out_c - 1) {
        memset(last_w, 0, sizeof last_w);
        memcpy(last_w, weights + (ptrdiff_t)(out_c - 1) * k, (size_t)k);
    }
    const int more = n0 < out_c || n_general; /* a pass is more than f0's call */
    first_args f0, f1; /* channels [0, n0), the last pair */
    f0.cols = cols;
    f0.mult = a->multiplier;
    f0.shift = a->shift;
    f0.bias = bias;
    f0.zz = zz;
    f0.out_c = out_c;
    f0.n4 = 4 * n0;
    f0.kind = kind;
    f0.table = table;
    f1 = f0;
    f1.mult += last;
    f1.shift += last;
    f1.bias = NULL;
    f1.n4 = 4 * 2;
    f1.table = table + FIRST_TABLE_ENTRY * last;

    /* the output columns whose windows' columns are inside: ox * stride_w - pad_left in [0, ix_max] */
    const int32_t ox_lo = (pad_left + stride_w - 1) / stride_w;
    int32_t ox_hi = g.ix_max + pad_left >= 0 ? (g.ix_max + pad_left) / stride_w : -1;
    if (ox_hi > out_w - 1) ox_hi = out_w - 1;
    const ptrdiff_t pix_step = (ptrdiff_t)stride_w * a->in_c, in_row = (ptrdiff_t)a->in_w * a->in_c;
    int32_t ox = 0, iy0 = -a->pad_top;
    for (int32_t pix = 0;;) {
        /* the four pixels' columns */
        int32_t ix0 = ox * stride_w - pad_left;
        int row_in = iy0 >= 0 && iy0 <= g.iy_max;
        const int8_t *src = in + (ptrdiff_t)iy0 * in_row + (ptrdiff_t)ix0 * a->in_c;
        int32_t p = 0;
        if (!is40 && row_in && ox >= ox_lo && ox + (FIRST_PIXELS - 1) <= ox_hi) {
            /* (the usual pass: four windows inside the input on one output row) */
            r27.end = cols + 2 * FIRST_PIXELS;
            first_gather_27_run4(src, g.row_step, cols, &r27);
            p = FIRST_PIXELS;
            ox += FIRST_PIXELS;
            if (ox == out_w) {
                ox = 0;
                iy0 += stride_h;
            }
        }
        for (; p < FIRST_PIXELS;) {
            int32_t m = 1;
            const int inside = row_in && ox >= ox_lo && ox <= ox_hi;
            if (is40) {
                if (inside) {
                    first_inside40(src, g.row_step, g.neg_zp, 0xFFFFFFFFu, 0, cols + 2 * p);
                } else if (row_in && ix0 > -FIRST_ROW40 && ix0 < a->in_w && src >= in &&
                           src + (FIRST_ROWS40 - 1) * g.row_step + FIRST_ROW40 <= g.in_end) {
                    /* at the left or right padding only: each row's word masked */
                    const int32_t b0 = ix0 < 0 ? -ix0 : 0, b1 = a->in_w - ix0 < FIRST_ROW40 ? a->in_w - ix0 : FIRST_ROW40;
                    const uint32_t keep = (0xFFFFFFFFu >> (8 * (FIRST_ROW40 - b1))) & (0xFFFFFFFFu << (8 * b0));
                    first_inside40(src, g.row_step, g.neg_zp, keep, g.zp_bytes & ~keep, cols + 2 * p);
                } else {
                    first_edge40(&g, iy0, ix0, cols + 2 * p);
                }
            } else if (inside) {
                /* windows inside the input from here on this output row */
                m = ox_hi - ox + 1;
                if (m > FIRST_PIXELS - p) m = FIRST_PIXELS - p;
                r27.end = cols + 2 * (p + m);
                first_gather_27_run4(src, g.row_step, cols + 2 * p, &r27);
            } else {
                first_edge27(&g, iy0, ix0, cols + 2 * p);
            }
            p += m;
            ox += m;
            ix0 += m * stride_w;
            src += m * pix_step;
            if (ox == out_w) {
                ox = 0;
                ix0 = -pad_left;
                iy0 += stride_h;
                row_in = iy0 >= 0 && iy0 <= g.iy_max;
                src = in + (ptrdiff_t)iy0 * in_row + (ptrdiff_t)ix0 * a->in_c;
            }
        }
        int8_t *const o = out + (ptrdiff_t)pix * out_c;
        if (n0) {
            f0.out = o;
            first_pass(&f0, w0);
        }
        if (__builtin_expect(more, 0)) { /* (the usual layers: one call a pass, no taken branch) */
            if (n0 < out_c) {
                f1.out = o + last;
                first_pass(&f1, w1);
            }
            if (n_general) first_general(a, cols, general, n_general, last_w, o);
        }
        pix += FIRST_PIXELS;
        if (pix >= n_pix) break;
        if (pix + FIRST_PIXELS > n_pix) {
            /* the last pixels, fewer than a pass: a whole pass again over the layer's last four
             * (those computed before get the same bytes again) */
            pix = n_pix - FIRST_PIXELS;
            ox = pix % out_w;
            iy0 = pix / out_w * stride_h - a->pad_top;
        }
    }
    if (a->act_min != -128 || a->act_max != 127) first_clamp(out, n_pix * out_c, a->act_min, a->act_max);
}

#endif
