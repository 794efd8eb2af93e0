/*
 * int8 depthwise convolution for Cortex-M cores with the DSP extension, the
 * twin of kernels/depthwise_conv_s8.c: same function, same results bit for bit.
 *
 * One output channel at a time ("planar"). The input rows that a strip of
 * output rows reads, of the channel's input channel only, are gathered into a
 * small buffer on the stack as int16 (as many rows as fit: the rows shared by
 * two strips are gathered twice), with the columns and rows in the padding
 * holding the input zero point. Two neighbouring taps of a kernel row
 * are then one 32-bit load, and one SMLAD does both multiply-accumulates. For
 * the common 3-wide kernel (dil_w 1):
 *   stride 1, outputs j and j+1 of a kernel row from the two words
 *   Q0 = (x0, x1), Q1 = (x2, x3), weights A = (w0, w1), B = (w2, w1):
 *     s_j   += SMLAD(Q0, A) + SMLABB(Q1, B)        x0 w0 + x1 w1 + x2 w2
 *     s_j+1 += SMLATB(Q0, A) + SMLADX(Q1, B)       x1 w0 + x2 w1 + x3 w2
 *   stride 2, output j from Q_j = (x_2j, x_2j+1) and Q_j+1:
 *     s_j   += SMLAD(Q_j, A) + SMLABB(Q_j+1, B)
 * so that a 3x3 output costs 6 multiply instructions and 1.5 loads, and the
 * requantisation constants of the channel stay in registers for a whole row.
 * 3x3 kernels of strides 1 and 2 with no clamp beyond int8 run in assembly
 * loops of four outputs per pass (depthwise_quad3.h: at stride 1, 61
 * instructions, an estimated 69 cycles, for 36 multiply-accumulates when the
 * output zero point is -128 and a channel's lines hold DW_E_MIN_QUADS quads
 * (66 and 74 when fewer), 70 for other zero points; at stride 2, 59 and 63
 * instructions; the same at -Os and -O2), a
 * line's last one to three outputs in the same call.
 * 5x5 kernels (dil_w 1, stride 1 or 2: MobileNetV3, EfficientNet) run four
 * outputs per pass in row5() (then two, then one), every kernel row's three
 * weight words loaded once for the four (stride 1: 16 multiply instructions
 * and 4 input words for 20 multiply-accumulates; stride 2: 12 and 6).
 * Other kernels (any k_w, stride, dilation) use SMLAD on pairs of taps
 * (dil_w 1) or one tap at a time.
 *
 * Why padding holds the zero point instead of zero: the sums are over the raw
 * inputs, sum x * w, and the zero point's share, -in_zp * sum w over every
 * tap, is folded into the starting value once per channel; a padding tap then
 * adds in_zp * w, which that share cancels, as (in_zp - in_zp) * w = 0 would.
 * The sum is exact in int32: |sum x * w| <= k_h * k_w * 128 * 128 < 2^30 for
 * patches of at most NNOM_CONV_MAX_PATCH taps.
 *
 * Requantisation, per channel (same values as nnom_conv_quant_out()):
 *  - shift in [-22, -1], and |dot + bias| < 2^30 guaranteed by a bound on the
 *    bias: 32-bit forms of arm_dsp.h with the output zero point folded in,
 *    on sums doubled at the source (weights and bias times 2, so that the
 *    LSL of 2 * acc is free): nnom_arm_requant_zp() when the multiplier is
 *    above 2^30 (SMMLAR, ADD, ASR), nnom_arm_requant() otherwise (any
 *    multiplier: zero for a dead channel, below 2^30);
 *  - otherwise nnom_conv_quant_out() of conv.h on the exact dot product.
 *
 * A tall and narrow plane is walked transposed, so that a line of outputs is
 * long (fixed costs per line and per channel spread over more outputs); except
 * on the group-plane path a 3x3 stride-1 plane five outputs wide (DS-CNN's
 * 25 x 5), whose rows of five are one loop pass each (depthwise_hex3.h) and
 * one assembly pass of the gather (depthwise_gather4.h); with padding 1 and
 * the E forms (DS-CNN's layers) four channels at a time in one interleaved
 * image without the padding columns (depthwise_pent4.h).
 *
 * Which path, with depth multiplier 1, for the channels of whole groups of four:
 *  - 3x3 stride-1 layers whose lines (transposed or not) are 4 outputs or
 *    longer: the group-plane path (group_planes()): the padded input plane of
 *    four channels gathered once into four int16 images
 *    (depthwise_gather4.h, 15 instructions per two pixels of four channels,
 *    where the planar path gathers each channel on its own at 3 per value),
 *    in strips of lines when it does not fit DW_GP_BUF, then each channel's
 *    lines by the loops above (lines of six, MobileNet's 6 x 6 planes: one
 *    pass per line, depthwise_hex3.h; measured 6 x 6 x 128, 3.30 -> 2.78
 *    instructions per multiply-accumulate; lines of five, DS-CNN's 25 x 5 x 64,
 *    2.14 -> 1.93, and depthwise_pent4.h's 2.77 -> 2.10 estimated cycles);
 *    not where a strip would gather half again as
 *    many rows as its lines need (48 x 48: the planar path is faster);
 *  - 3x3 planes of lines of three outputs at stride 1 or 2 (MobileNets' 3 x 3
 *    planes), no clamp: the group-plane path too, a group's four channels in
 *    one call of depthwise_tri3.h (group_tri(); measured 3 x 3 x 256, 7.39 ->
 *    6.17 estimated cycles per multiply-accumulate; from 6 x 6 x 128 at
 *    stride 2, 8.24 -> 7.59, against the channel groups' padded copy);
 *  - 5x5 kernels of strides 1 and 2 without vertical dilation, output planes
 *    of DW_FIVE_MIN_SIDE a side and more (see there) that the channel groups' padded copy does not
 *    hold (dw_g_pad5_fits()): this planar path and row5() (measured -O2 on
 *    24 x 24 x 72: 4.82 -> 1.96 instructions per multiply-accumulate at
 *    stride 1, 4.89 -> 2.82 at stride 2, against the channel groups' C loop);
 *  - every other shape: the channel groups of depthwise_group4.h (four
 *    channels per SIMD step on the HWC input, from a padded copy of small
 *    planes), or this planar path for 3x3 stride-1 planes too large for that
 *    copy.
 * Channels past the last whole group of four, and multipliers above 1, take
 * the planar path (or pixel_major(), depthwise_pixels.h, on tiny planes).
 * Measured instructions per multiply-accumulate on the Cortex-M4 (-O2):
 * benchmarks/firmware/kernels (benchmarks/results/kernels.md).
 *
 * The stack holds the row buffer (DW_BUF int16) and the packed weights of one
 * channel, or the group-plane path's images (DW_GP_BUF int16) and packed
 * weights of four channels; no scratch. Shapes whose rows do not fit (a kernel taller than the
 * buffer allows, or more than DW_MAX_PAIRS packed weights) run the direct
 * per-tap loop at the end of this file.
 */
#include "kernels/arm/arm_dsp.h"

/* Compiled only as part of kernels/depthwise_conv_s8.c, which includes this file on cores with DSP. */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)
#include <stddef.h>
#include <string.h>

#include "kernels/conv.h"

#include "kernels/arm/depthwise_chan.h"
#include "kernels/arm/depthwise_gather4.h"
#include "kernels/arm/depthwise_group4.h"
#include "kernels/arm/depthwise_hex3.h"
#include "kernels/arm/depthwise_pixels.h"
#include "kernels/arm/depthwise_quad3.h"
#include "kernels/arm/depthwise_tri3.h"
#include "kernels/arm/depthwise_uniform.h"

enum {
    DW_BUF = 768,        /* int16 elements of the row buffer (1.5 KB of stack) */
    DW_MAX_PAIRS = 64,   /* packed weight words of one channel: k_h * ceil(k_w / 2) */
    DW_MAX_ROWS = 32,    /* tallest kernel served by the row buffer */
    DW_MIN_COLS = 8,     /* a tile narrower than this: the direct loop */
    DW_MIN_PLANE = 16,   /* output planes smaller than this: pixel by pixel */
    /* 5x5 output planes (that the channel groups' padded copy does not hold) on which the planar
     * path's row5() beats the channel groups' C loop, which skips the taps in the padding: at least
     * DW_FIVE_MIN_SIDE a side and DW_FIVE_MIN_SPAN rows and columns together (measured per
     * multiply-accumulate, C loop against planar: 4 x 12 3.90 and 2.89, 3 x 14 3.57 and 3.06,
     * 4 x 8 3.90 and 3.47, 7 x 7 of stride 2 4.79 and 4.00; 3 x 7 3.64 and 4.48, 4 x 4 3.89 and
     * 5.20, 2 x 16 2.87 and 3.30) */
    DW_FIVE_MIN_SIDE = 3,
    DW_FIVE_MIN_SPAN = 12,
    DW_NARROW = 8,       /* output planes narrower than this and taller than wide: walked transposed */
    DW_GP_BUF = 1074,    /* int16 of the group-plane path's four images (2.1 KB of stack; 27 rows of
                          * 8 and the slack: DS-CNN's 25 x 5 plane, walked along its rows of five, in
                          * one strip; four rows of 50: a window of two lines of a 48-wide plane; ten
                          * rows of 26: a 24 x 24 plane in three strips of eight lines, where 866 int16
                          * took four of six, measured 24 x 24 x 32 2.68 -> 2.61 estimated cycles per
                          * multiply-accumulate) */
    DW_GP_SLACK = 2      /* int16 after the last image: the row loops' word loads past a row's last tap */
};

/* The output clamp: none beyond int8 (act_min -128, act_max 127: e.g. a ReLU whose output zero
 * point is -128, as the quantiser makes it), or act_min and act_max. */
typedef enum { DW_CLAMP_NONE, DW_CLAMP_BOTH } dw_clamp;

/* What an output row needs, in locals (so that the stores of int8 outputs, which may alias
 * anything, do not make the compiler reload them). */
typedef struct {
    int32_t init, mult, c, e, lo, hi, zp;
    nnom_conv_quant q;
} dw_k;

/* A channel's row constants into @p k: its set-up @p q and the layer's clamp and output zero point. */
static inline __attribute__((always_inline)) void dw_k_set(dw_k *k, const dw_chan *q, const nnom_conv_args *a)
{
    k->init = q->init;
    k->mult = q->mult;
    k->c = q->c;
    k->e = q->e;
    k->lo = a->act_min;
    k->hi = a->act_max;
    k->zp = a->out_zp;
    k->q = q->q;
}

static inline int32_t smlabb_(uint32_t a, uint32_t b, int32_t s) { return __smlabb(a, b, s); }

/* The output of sum s (doubled in the fast modes). */
static inline __attribute__((always_inline)) int8_t dw_out(int32_t s, dw_k k, dw_mode mode, dw_clamp clamp)
{
    int32_t v;
    if (mode == DW_GEN) return nnom_conv_quant_out(k.q, s, k.zp, k.lo, k.hi);
    if (mode == DW_ZP) {
        v = (nnom_arm_smmlar(s, k.mult, k.c) + (s >> 31)) >> k.e;
    } else {
        const int32_t u = nnom_arm_smmulr(s, k.mult);
        v = (u + (u >> 31) + k.c) >> k.e;
    }
    v = __ssat(v, 8);
    if (clamp == DW_CLAMP_BOTH) {
        v = v < k.lo ? k.lo : v;
        v = v > k.hi ? k.hi : v;
    }
    return (int8_t)v;
}

/* One output row of a 3-wide kernel (dil_w 1), stride 1: n outputs, every kernel row r of
 * the k_h in rows[r] (the buffer at the first tap of output 0), weights wp[2r], wp[2r+1]
 * = A, B (see the file comment), output j at o[j * step]. */
static inline __attribute__((always_inline)) void row3_s1(const int16_t *const *rows, int32_t k_h, const uint32_t *wp,
                                                          int32_t n, int8_t *o, int32_t step, dw_k k,
                                                          dw_mode mode, dw_clamp clamp)
{
    int32_t j = 0;
    if (k_h == 3) {
        const uint32_t a0 = wp[0], b0 = wp[1], a1 = wp[2], b1 = wp[3], a2 = wp[4], b2 = wp[5];
        const int16_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
        for (; j + 2 <= n; j += 2, o += 2 * step) {
            int32_t s0 = k.init, s1 = k.init;
            uint32_t x0 = nnom_arm_load4(r0 + j), x1 = nnom_arm_load4(r0 + j + 2);
            s0 = __smlad(x0, a0, s0);
            s1 = __smlatb(x0, a0, s1);
            s0 = smlabb_(x1, b0, s0);
            s1 = __smladx(x1, b0, s1);
            x0 = nnom_arm_load4(r1 + j);
            x1 = nnom_arm_load4(r1 + j + 2);
            s0 = __smlad(x0, a1, s0);
            s1 = __smlatb(x0, a1, s1);
            s0 = smlabb_(x1, b1, s0);
            s1 = __smladx(x1, b1, s1);
            x0 = nnom_arm_load4(r2 + j);
            x1 = nnom_arm_load4(r2 + j + 2);
            s0 = __smlad(x0, a2, s0);
            s1 = __smlatb(x0, a2, s1);
            s0 = smlabb_(x1, b2, s0);
            s1 = __smladx(x1, b2, s1);
            o[0] = dw_out(s0, k, mode, clamp);
            o[step] = dw_out(s1, k, mode, clamp);
        }
    } else {
        for (; j + 2 <= n; j += 2, o += 2 * step) {
            int32_t s0 = k.init, s1 = k.init;
            for (int32_t r = 0; r < k_h; r++) {
                const uint32_t x0 = nnom_arm_load4(rows[r] + j), x1 = nnom_arm_load4(rows[r] + j + 2);
                s0 = __smlad(x0, wp[2 * r], s0);
                s1 = __smlatb(x0, wp[2 * r], s1);
                s0 = smlabb_(x1, wp[2 * r + 1], s0);
                s1 = __smladx(x1, wp[2 * r + 1], s1);
            }
            o[0] = dw_out(s0, k, mode, clamp);
            o[step] = dw_out(s1, k, mode, clamp);
        }
    }
    if (j < n) {
        int32_t s0 = k.init;
        for (int32_t r = 0; r < k_h; r++) {
            s0 = __smlad(nnom_arm_load4(rows[r] + j), wp[2 * r], s0);
            s0 = smlabb_(nnom_arm_load4(rows[r] + j + 2), wp[2 * r + 1], s0);
        }
        o[0] = dw_out(s0, k, mode, clamp);
    }
}

/* The same for stride 2: output j reads (x_2j, x_2j+1) and x_2j+2. */
static inline __attribute__((always_inline)) void row3_s2(const int16_t *const *rows, int32_t k_h, const uint32_t *wp,
                                                          int32_t n, int8_t *o, int32_t step, dw_k k,
                                                          dw_mode mode, dw_clamp clamp)
{
    if (k_h == 3) {
        const uint32_t a0 = wp[0], b0 = wp[1], a1 = wp[2], b1 = wp[3], a2 = wp[4], b2 = wp[5];
        const int16_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
        uint32_t p0 = nnom_arm_load4(r0), p1 = nnom_arm_load4(r1), p2 = nnom_arm_load4(r2);
        for (int32_t j = 0; j < n; j++, o += step) {
            int32_t s = k.init;
            const uint32_t n0 = nnom_arm_load4(r0 + 2 * j + 2), n1 = nnom_arm_load4(r1 + 2 * j + 2);
            const uint32_t n2 = nnom_arm_load4(r2 + 2 * j + 2);
            s = __smlad(p0, a0, s);
            s = smlabb_(n0, b0, s);
            s = __smlad(p1, a1, s);
            s = smlabb_(n1, b1, s);
            s = __smlad(p2, a2, s);
            s = smlabb_(n2, b2, s);
            p0 = n0;
            p1 = n1;
            p2 = n2;
            o[0] = dw_out(s, k, mode, clamp);
        }
        return;
    }
    for (int32_t j = 0; j < n; j++, o += step) {
        int32_t s = k.init;
        for (int32_t r = 0; r < k_h; r++) {
            s = __smlad(nnom_arm_load4(rows[r] + 2 * j), wp[2 * r], s);
            s = smlabb_(nnom_arm_load4(rows[r] + 2 * j + 2), wp[2 * r + 1], s);
        }
        o[0] = dw_out(s, k, mode, clamp);
    }
}

/* Any kernel: output j's taps start at rows[r] + j * stride, dil apart; weights in pairs of
 * taps wp[r * pairs + t] = (w_2t, w_2t+1) (the odd last one with 0). */
static inline __attribute__((always_inline)) void row_any(const int16_t *const *rows, int32_t k_h, int32_t k_w,
                                                          int32_t stride, int32_t dil, const uint32_t *wp,
                                                          int32_t n, int8_t *o, int32_t step, dw_k k,
                                                          dw_mode mode, dw_clamp clamp)
{
    const int32_t pairs = (k_w + 1) >> 1, whole = k_w >> 1;
    for (int32_t j = 0; j < n; j++, o += step) {
        int32_t s = k.init;
        for (int32_t r = 0; r < k_h; r++) {
            const int16_t *x = rows[r] + j * stride;
            const uint32_t *w = wp + r * pairs;
            if (dil == 1) {
                int32_t t = 0;
                for (; t < whole; t++) s = __smlad(nnom_arm_load4(x + 2 * t), w[t], s);
                if (t < pairs) s = smlabb_((uint16_t)x[2 * t], w[t], s);
            } else {
                for (int32_t t = 0; t < pairs; t++) {
                    s = smlabb_((uint16_t)x[2 * t * dil], w[t], s);
                    if (2 * t + 1 < k_w) s = __smlabt((uint16_t)x[(2 * t + 1) * dil], w[t], s);
                }
            }
        }
        o[0] = dw_out(s, k, mode, clamp);
    }
}

/* Input row iy, channel ic, columns [ix0, ix0 + len) into d as int16, the zero point outside the input. */
/* Input rows [iy0, iy0 + count) of channel ic, columns [ix0, ix0 + len), into rows of the
 * buffer row_len apart, as int16; the zero point outside the input. The columns inside the
 * input, [c0, c1) of each row, are the same for every row. */
__attribute__((noinline)) static void gather_rows(const dw_geom *g, const int8_t *in, int32_t ic, int32_t iy0, int32_t count, int32_t ix0,
                        int32_t len, int16_t *d, int32_t row_len)
{
    const nnom_conv_args *a = &g->a;
    const uint32_t zp2 = (uint32_t)(uint16_t)a->in_zp * 0x00010001u;
    const int16_t zp = (int16_t)a->in_zp;
    int32_t c0 = ix0 < 0 ? -ix0 : 0, c1 = a->in_w - ix0 < len ? a->in_w - ix0 : len;
    if (c1 < c0) c1 = c0;
    const ptrdiff_t in_c = g->in_cs;
    const int32_t quads = (c1 - c0) >> 2;
    for (int32_t r = 0; r < count; r++, d += row_len) {
        const int32_t iy = iy0 + r;
        if (iy < 0 || iy >= a->in_h) {
            int32_t i = 0;
            for (; i + 2 <= len; i += 2) memcpy(d + i, &zp2, 4);
            if (i < len) d[i] = zp;
            continue;
        }
        for (int32_t i = 0; i < c0; i++) d[i] = zp;
        const int8_t *s = in + (ptrdiff_t)iy * g->in_rs + (ptrdiff_t)(ix0 + c0) * in_c + ic;
        int16_t *e = d + c0;
        if (quads) { /* four columns per pass, two per word store (STR takes any alignment): 12 instructions */
            uint32_t v0, v1, t;
            int32_t q = quads;
            __asm__ volatile("1:\n\t"
                             "ldrsb  %[v0], [%[s]]\n\t"
                             "ldrsb  %[v1], [%[s], %[c]]\n\t"
                             "add    %[s], %[s], %[c], lsl #1\n\t"
                             "pkhbt  %[v0], %[v0], %[v1], lsl #16\n\t"
                             "ldrsb  %[v1], [%[s]]\n\t"
                             "ldrsb  %[t], [%[s], %[c]]\n\t"
                             "add    %[s], %[s], %[c], lsl #1\n\t"
                             "pkhbt  %[v1], %[v1], %[t], lsl #16\n\t"
                             "str    %[v0], [%[e]], #4\n\t"
                             "str    %[v1], [%[e]], #4\n\t"
                             "subs   %[q], %[q], #1\n\t"
                             "bne    1b\n\t"
                             : [s] "+r"(s), [e] "+r"(e), [q] "+r"(q), [v0] "=&r"(v0), [v1] "=&r"(v1), [t] "=&r"(t)
                             : [c] "r"(in_c)
                             : "cc", "memory");
        }
        for (int16_t *end = d + c1; e < end; e++, s += in_c) *e = *s;
        for (int32_t i = c1; i < len; i++) d[i] = zp;
    }
}

/* The rows of a tile: where they are in the buffer, which input rows they hold. */
typedef struct {
    int16_t *buf;
    int32_t row_len;   /* int16 per buffered row */
    int32_t ix0, len;  /* the tile's first input column and its columns */
    int32_t ic;
    int32_t strip;     /* output lines per gathering of input rows */
} dw_tile;

#define DW_NOINLINE __attribute__((noinline))
/* n_rows output lines (see row3_s1 ...) for a shape, requantisation and clamp, each next line's
 * kernel rows row_step int16 further in the buffer: one copy each of the common combinations
 * (DW_ROW), the constants copied to locals; 3x3 lines without a narrower clamp in the
 * assembly loops of depthwise_quad3.h. */
typedef void (*dw_row_fn)(const dw_geom *g, const int16_t *const *rows, const uint32_t *wp, int32_t n,
                          int8_t *o, const dw_k *k, int32_t n_rows, int32_t row_step);
#define DW_ROW(name, shape, mode, clamp)                                                                           \
    DW_NOINLINE static void name(const dw_geom *g, const int16_t *const *rows_in, const uint32_t *wp,              \
                                 int32_t n, int8_t *o, const dw_k *kp, int32_t n_rows, int32_t row_step)          \
    {                                                                                                             \
        const dw_k k = *kp;                                                                                       \
        const nnom_conv_args *a = &g->a;                                                                          \
        const int32_t step = (int32_t)g->out_cs;                                                                  \
        const int16_t *rows[DW_MAX_ROWS];                                                                         \
        const ptrdiff_t o_row = g->out_rs;                                                                        \
        for (int32_t r = 0; r < a->k_h; r++) rows[r] = rows_in[r];                                                \
        for (; n_rows > 0; n_rows--, o += o_row) {                                                                \
            if (shape == DW_SHAPE_S1) row3_s1(rows, a->k_h, wp, n, o, step, k, mode, clamp);                      \
            else if (shape == DW_SHAPE_S2) row3_s2(rows, a->k_h, wp, n, o, step, k, mode, clamp);                 \
            else row_any(rows, a->k_h, a->k_w, a->stride_w, a->dil_w, wp, n, o, step, k, mode, clamp);           \
            for (int32_t r = 0; r < a->k_h; r++) rows[r] += row_step;                                             \
        }                                                                                                         \
    }
/* (the DW_ZP channels in C take DW_U's form too: the same values, one instruction more) */
DW_ROW(row_s1_u, DW_SHAPE_S1, DW_U, DW_CLAMP_BOTH)
DW_ROW(row_s2_u, DW_SHAPE_S2, DW_U, DW_CLAMP_BOTH)
DW_ROW(row_any_u, DW_SHAPE_ANY, DW_U, DW_CLAMP_BOTH)
/* (the DW_GEN channels of every shape, their weights packed as for any kernel: the 64-bit
 * requantisation dominates anyway) */
DW_ROW(row_any_gen, DW_SHAPE_ANY, DW_GEN, DW_CLAMP_BOTH)

/* 5x5 kernels: row5() and its lines */
#include "kernels/arm/depthwise_row5.h"

/* The line loops' requantisation form of a channel's mode (not DW_GEN), right shift e and output
 * zero point zp. */
static inline quad3_form quad3_form_of(dw_mode mode, int32_t e, int32_t zp)
{
    if (mode == DW_E) return quad3_e_form(e);
    if (mode == DW_L) return QUAD3_L;
    return zp == -128 ? QUAD3_Z : (mode == DW_U ? QUAD3_U : QUAD3_ZP);
}

/* No clamp beyond int8, 3x3 kernels of four outputs and more per line: the assembly loops of
 * depthwise_quad3.h (whole quads, then the last four outputs once more when n is not a multiple
 * of 4); other lines: the C rows above (their clamp to [-128, 127] changes nothing). */
#define DW_ROW_QUAD(name, stride, mode, c_rows)                                                                       \
    DW_NOINLINE static void name(const dw_geom *g, const int16_t *const *rows, const uint32_t *wp, int32_t n,     \
                                 int8_t *o, const dw_k *kp, int32_t n_rows, int32_t row_step)                     \
    {                                                                                                             \
        if (g->a.k_h != 3 || n < 4) {                                                                             \
            c_rows(g, rows, wp, n, o, kp, n_rows, row_step);                                                      \
            return;                                                                                               \
        }                                                                                                         \
        const quad3_form form = quad3_form_of(mode, kp->e, kp->zp);                                                      \
        quad3_lines(stride, form, rows, wp, n, o, (int32_t)g->out_cs, kp->init, kp->mult, kp->c, kp->e, n_rows,    \
                    row_step, g->out_rs);                                                                         \
    }
DW_ROW_QUAD(row_s1_zp_none, 1, DW_ZP, row_s1_u)
DW_ROW_QUAD(row_s1_u_none, 1, DW_U, row_s1_u)
DW_ROW_QUAD(row_s2_zp_none, 2, DW_ZP, row_s2_u)
DW_ROW_QUAD(row_s2_u_none, 2, DW_U, row_s2_u)
/* (DW_L and DW_E: their lines are all of 3x3 kernels and 4 outputs or more, see channel_quant()) */
DW_ROW_QUAD(row_s1_l_none, 1, DW_L, row_s1_u)
DW_ROW_QUAD(row_s2_l_none, 2, DW_L, row_s2_u)
DW_ROW_QUAD(row_s1_e_none, 1, DW_E, row_s1_u)

static dw_row_fn row_fn(dw_shape shape, dw_mode mode, int no_clamp)
{
    if (mode == DW_L) return shape == DW_SHAPE_S1 ? row_s1_l_none : row_s2_l_none;
    if (mode == DW_E) return row_s1_e_none; /* (stride 1 only: see planar()) */
    if (shape == DW_SHAPE_S1)
        return mode == DW_GEN ? row_any_gen
                              : (!no_clamp ? row_s1_u : (mode == DW_ZP ? row_s1_zp_none : row_s1_u_none));
    if (shape == DW_SHAPE_S2)
        return mode == DW_GEN ? row_any_gen
                              : (!no_clamp ? row_s2_u : (mode == DW_ZP ? row_s2_zp_none : row_s2_u_none));
    return mode == DW_GEN ? row_any_gen : row_any_u;
}

/* Every output line of a channel over the tile's n columns starting at o, in strips of
 * t->strip lines: the input rows of a strip gathered into the buffer one after the other, then
 * the strip's lines computed by fn in one call (the rows a kernel row reads for the next line
 * are stride_h rows further). */
static void channel_rows(const dw_geom *g, const int8_t *in, const dw_tile *t, const uint32_t *wp, int32_t n,
                         int8_t *o, const dw_k *k, dw_row_fn fn)
{
    const nnom_conv_args *a = &g->a;
    const int16_t *rows[DW_MAX_ROWS];
    for (int32_t oy0 = 0; oy0 < a->out_h; oy0 += t->strip) {
        const int32_t lines = a->out_h - oy0 < t->strip ? a->out_h - oy0 : t->strip;
        const int32_t iy0 = oy0 * a->stride_h - a->pad_top;
        const int32_t span = (lines - 1) * a->stride_h + (a->k_h - 1) * a->dil_h + 1;
        gather_rows(g, in, t->ic, iy0, span, t->ix0, t->len, t->buf, t->row_len);
        for (int32_t r = 0; r < a->k_h; r++) rows[r] = t->buf + r * a->dil_h * t->row_len;
        fn(g, rows, wp, n, o + oy0 * g->out_rs, k, lines, a->stride_h * t->row_len);
    }
}

/* Shapes the row buffer cannot serve: every output of channel oc, tap by tap. */
static void direct_channel(const nnom_conv_args *a, const int8_t *in, int8_t *out, int32_t oc)
{
    const int8_t *w = (const int8_t *)a->weights;
    const int32_t ic = oc / a->depth_mult;
    const nnom_conv_quant q =
        nnom_conv_quant_init(a->bias ? ((const int32_t *)a->bias)[oc] : 0, a->multiplier[oc], a->shift[oc]);
    for (int32_t oy = 0; oy < a->out_h; oy++)
        for (int32_t ox = 0; ox < a->out_w; ox++) {
            int32_t s = 0;
            for (int32_t ky = 0; ky < a->k_h; ky++) {
                const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dil_h;
                if (iy < 0 || iy >= a->in_h) continue;
                for (int32_t kx = 0; kx < a->k_w; kx++) {
                    const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dil_w;
                    if (ix < 0 || ix >= a->in_w) continue;
                    s += (in[((ptrdiff_t)iy * a->in_w + ix) * a->in_c + ic] - a->in_zp) *
                         w[((ptrdiff_t)ky * a->k_w + kx) * a->out_c + oc];
                }
            }
            out[((ptrdiff_t)oy * a->out_w + ox) * a->out_c + oc] =
                nnom_conv_quant_out(q, s, a->out_zp, a->act_min, a->act_max);
        }
}

/* The planar path's tiles of walk g: outputs per tile line (0: the row buffer cannot serve the
 * shape, the direct loop does), the buffer's int16 per row, the output lines per gathering of
 * input rows (a strip). */
static int32_t planar_tiles(const dw_geom *g, int32_t *row_len, int32_t *strip)
{
    const nnom_conv_args *a = &g->a;
    const int32_t k_h = a->k_h, s_w = a->stride_w, out_w = a->out_w;
    const int32_t pairs = a->k_w == 3 && a->dil_w == 1 && s_w <= 2 ? 2 * k_h : k_h * ((a->k_w + 1) >> 1);
    /* a row of a tile of n outputs: (n - 1) * stride + (k_w - 1) * dil + 1 columns, one more for the
     * word loads that read past the last tap, rounded up to keep rows word aligned */
    const int32_t reach = (a->k_w - 1) * a->dil_w + 2;
    const int32_t row_max = (DW_BUF / ((k_h - 1) * a->dil_h + 1)) & ~1;
    int32_t tile = row_max >= reach ? (row_max - reach) / s_w + 1 : 0;
    if (tile > out_w) tile = out_w;
    if (pairs > DW_MAX_PAIRS || k_h > DW_MAX_ROWS || tile < (out_w < DW_MIN_COLS ? out_w : DW_MIN_COLS)) return 0;
    *row_len = ((tile - 1) * s_w + reach + 1) & ~1;
    /* output lines whose input rows fit in the buffer at once */
    *strip = (DW_BUF / *row_len - ((k_h - 1) * a->dil_h + 1)) / a->stride_h + 1;
    if (*strip > a->out_h) *strip = a->out_h;
    return tile;
}

/* The planar path for output channels [c_first, out_c) (its own frame: the row buffer). */
__attribute__((noinline)) static void planar(const nnom_conv_args *layer, const int8_t *in, int8_t *out,
                                             int32_t c_first)
{
    int16_t buf[DW_BUF] __attribute__((aligned(4)));
    uint32_t wp[DW_MAX_PAIRS];
    /* tall and narrow planes (e.g. 25 x 5) are walked transposed: lines of outputs along the height */
    const dw_geom g = geom_of(layer, layer->out_w < DW_NARROW && layer->out_h > layer->out_w);
    const nnom_conv_args *a = &g.a;
    const int32_t k_h = a->k_h, s_w = a->stride_w, out_c = a->out_c, out_w = a->out_w;
    const dw_shape shape = a->k_w == 3 && a->dil_w == 1 && s_w <= 2 ? (s_w == 1 ? DW_SHAPE_S1 : DW_SHAPE_S2)
                                                                     : DW_SHAPE_ANY;
    const int32_t reach = (a->k_w - 1) * a->dil_w + 2;
    dw_tile t;
    const int32_t tile = planar_tiles(&g, &t.row_len, &t.strip);
    if (tile == 0) {
        for (int32_t oc = c_first; oc < out_c; oc++) direct_channel(layer, in, out, oc);
        return;
    }
    t.buf = buf;
    const int no_clamp = a->act_min == -128 && a->act_max == 127, five = dw_five(a);
    /* DW_L channels where every line of every tile goes to the assembly loops */
    const int32_t last_tile = out_w % tile;
    const int allow = no_clamp && shape != DW_SHAPE_ANY && k_h == 3 && tile >= 4 && (last_tile == 0 || last_tile >= 4)
                          ? (shape == DW_SHAPE_S1 ? dw_allow(tile / 4 * a->out_h) : DW_ALLOW_L)
                          : 0;

    for (int32_t oc = c_first; oc < out_c; oc++) {
        dw_chan q;
        channel_setup(&g, shape, oc, &q, wp, allow);
#if NNOM_DW_5X5_KERNELS
        const dw_row_fn fn = five ? row5_fn(s_w, q.mode, no_clamp) : row_fn(shape, q.mode, no_clamp);
#else
        const dw_row_fn fn = row_fn(shape, q.mode, no_clamp);
        (void)five;
#endif
        dw_k k;
        dw_k_set(&k, &q, a);
        t.ic = oc / a->depth_mult;
        for (int32_t ox0 = 0; ox0 < out_w; ox0 += tile) {
            const int32_t n = out_w - ox0 < tile ? out_w - ox0 : tile;
            t.ix0 = ox0 * s_w - a->pad_left;
            t.len = (n - 1) * s_w + reach;
            channel_rows(&g, in, &t, wp, n, out + ox0 * g.out_cs + oc, &k, fn);
        }
    }
}

/* the group-plane path: group_planes(), and its planes of five: pent4_layer() */
#include "kernels/arm/depthwise_pent4.h"
#include "kernels/arm/depthwise_group_planes.h"

/* The planar path computes every output of a channel from one gathering of its input rows (one
 * strip of one tile): it reads the channel's input before it writes the channel's output. */
static int planar_once(const nnom_conv_args *layer)
{
    const dw_geom g = geom_of(layer, layer->out_w < DW_NARROW && layer->out_h > layer->out_w);
    const nnom_conv_args *a = &g.a;
    const int32_t k_h = a->k_h, s_w = a->stride_w;
    const int32_t pairs = a->k_w == 3 && a->dil_w == 1 && s_w <= 2 ? 2 * k_h : k_h * ((a->k_w + 1) >> 1);
    const int32_t reach = (a->k_w - 1) * a->dil_w + 2, span = (k_h - 1) * a->dil_h + 1;
    const int32_t row_len = ((a->out_w - 1) * s_w + reach + 1) & ~1;
    return pairs <= DW_MAX_PAIRS && k_h <= DW_MAX_ROWS && row_len * ((a->out_h - 1) * a->stride_h + span) <= DW_BUF;
}

/* In place in one call: the channel groups each read their own channels (from a padded copy of
 * a 3x3 or 5x5 plane, or in the group-plane path's one strip) before writing them, and the last
 * out_c % 4 channels go to the planar path in one strip of one tile (not pixel_major(), which
 * reads neighbouring pixels of a channel after writing some). */
int nnom_depthwise_conv2d_s8_in_place(const nnom_conv_args *a)
{
    if (nnom_depthwise_is_affine(a)) return 1;
    return a->depth_mult == 1 && a->out_h * a->out_w <= a->in_h * a->in_w && (dw_g_pad_fits(a) || dw_g_pad5_fits(a)) &&
           (a->out_c % 4 == 0 || planar_once(a));
}

/* The group-plane path's choice (see nnom_depthwise_conv2d_s8) for a layer not run in place in one
 * call: 3x3 kernels of stride 1 along lines of 4 outputs and more (the assembly line loops), the
 * rows gathered again for the next strip at most half as many as a strip needs (measured: slower
 * than the channel groups at stride 2, and than the planar path on 48 x 48), or the whole plane in
 * one strip (the windows of a few rows that the in-place layer and tiled stages hand over, whose
 * halo every path reads: 2 x 48 x 8 2.90 -> 2.34 instructions per multiply-accumulate against the
 * channel groups' padded copy, 2 x 24 x 32 3.12 -> 2.74, 3 x 12 x 64 3.30 -> 3.04); its view,
 * strip, images' pitch and rows (gp_geom()). */
static int gp_wins(const nnom_conv_args *a, dw_geom *g, int32_t *strip, int32_t *pitch, int32_t *ph)
{
    /* (not a stride of 1 either way, nor a side of TRI3_OUT outputs: neither the lines of quads nor
     * those of three, without the view's copy of the arguments) */
    if (a->stride_h != 1 && a->stride_w != 1 && a->out_w != TRI3_OUT && a->out_h != TRI3_OUT) return 0;
    return gp_geom(a, g, pitch, strip, ph) && g->a.k_h == 3 && g->a.k_w == 3 && g->a.dil_w == 1 &&
           ((g->a.stride_w == 1 && g->a.out_w >= 4) || gp_tri(&g->a, *pitch)) &&
           (2 * *ph <= 3 * *strip * g->a.stride_h || *strip == g->a.out_h);
}

/* The planar path's choice over the channel groups for depth multiplier 1: large planes of 3x3
 * kernels of stride 1 (measured faster there), and 5x5 planes the channel groups' copy does not
 * hold. */
static int planar_wins(const nnom_conv_args *a)
{
    return (a->k_h == 3 && a->k_w == 3 && a->stride_w == 1 && !dw_g_pad_fits(a)) ||
           (dw_five(a) && a->dil_h == 1 && a->stride_h <= 2 && !dw_g_pad5_fits(a) &&
            a->out_h >= DW_FIVE_MIN_SIDE && a->out_w >= DW_FIVE_MIN_SIDE && a->out_h + a->out_w >= DW_FIVE_MIN_SPAN);
}

/* Blocks of whole strips: a window of rows that ends in a strip of one or two lines gathers their
 * input rows (and sets up every channel) for few outputs. A plane walked transposed (its strips
 * run along the width): no preference. */
int32_t nnom_depthwise_conv2d_s8_block_rows(const nnom_conv_args *a, int32_t most)
{
    int32_t strip = 0, row_len, pitch, ph;
    dw_geom g;
    if (nnom_depthwise_is_affine(a) || a->depth_mult != 1 || (a->out_w < DW_NARROW && a->out_h > a->out_w))
        return most;
    if (!gp_wins(a, &g, &strip, &pitch, &ph)) {
        strip = 0;
        g = geom_of(a, 0);
        if (planar_wins(a) && planar_tiles(&g, &row_len, &strip) == 0) strip = 0;
    }
    return strip > 0 && most >= strip ? most / strip * strip : most;
}

typedef char nnom_dw_tiny_plane_ok[(int)DW_G_TINY_PLANE == (int)DW_MIN_PLANE ? 1 : -1];

void nnom_depthwise_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    if (nnom_depthwise_is_affine(a)) {
        dw_affine(a, in, out);
        return;
    }
    int32_t c_first = 0; /* channels before it done by the channel-group path */
    dw_geom g;
    int32_t strip, pitch, ph;
    /* the group-plane path, in place only in one strip */
    if (gp_wins(a, &g, &strip, &pitch, &ph) && (strip == g.a.out_h || in != out)) {
        c_first = a->out_c & ~3;
        /* planes of five with padding 1: the groups in the E forms first (depthwise_pent4.h) */
        const int32_t c_pent = pent4_fits(a, PENT4_BUF_WORDS) ? pent4_layer(&g, in, out, c_first) : 0;
        if (c_pent < c_first) group_planes(&g, pitch, strip, ph, in, out, c_pent, c_first);
        if (c_first == a->out_c) return;
        if (a->out_h * a->out_w < DW_MIN_PLANE && in != out) pixel_major(a, in, out, c_first);
        else planar(a, in, out, c_first);
        return;
    }
    /* the planar path or the channel groups (depth multiplier 1) */
    if (a->depth_mult == 1 && a->k_h * a->k_w <= DW_G_MAX_TAPS && !planar_wins(a)) {
        c_first = dw_groups4(a, in, out, a->out_c & ~3);
        if (c_first == a->out_c) return;
    }
    if (a->out_h * a->out_w < DW_MIN_PLANE && in != out) pixel_major(a, in, out, c_first);
    else planar(a, in, out, c_first);
}

#else
typedef int nnom_arm_depthwise_conv_s8_unused; /* compiled on its own: empty (see above) */
#endif
