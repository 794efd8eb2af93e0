/*
 * The channel-group path of the Cortex-M DSP depthwise convolution
 * (kernels/arm/depthwise_conv_s8.c, which includes this file): depth
 * multiplier 1, four neighbouring channels at a time, pixel by pixel.
 *
 * SIMD within a register: the four channels of a tap are one 32-bit word of
 * the HWC input, x = (x0..x3); SXTB16 makes the int16 pairs (x0, x2) and
 * (x1, x3), and the tap's weights, widened once per group into (w0, w2),
 * (w1, w3), are one LDRD: SMLABB / SMLATT add the four products.
 *
 * Small planes (3x3 kernel, no dilation, strides 1 or 2, the plane's input
 * with its padding within DW_G_PAD_WORDS words once widened, DW_G_PAD_S1_WORDS
 * at stride 1; 5x5 kernels likewise, depthwise_five4.h): each group's
 * input plane is first copied to the stack, widened to two words per pixel,
 * the padding holding the input zero point (so there are no border pixels
 * and no bounds tests; a tall plane, DS-CNN's 25 x 5, is copied transposed
 * so that a line of outputs is long). The assembly then runs two pixels per
 * pass, sharing each tap's weights: per tap two words of weights and two of
 * each pixel's inputs by single loads (neighbouring loads pipeline) and 8
 * multiply-accumulates, the loads of a kernel row chained so that each step
 * keeps the weights or the pixel of the step before (14 words a row at
 * stride 1, 16 at stride 2, where 18: depthwise_group4_asm.h); per pair 18 x 4 = 72 multiply-accumulates in 184 instructions, an estimated
 * 212 Cortex-M4 cycles in the Z form at stride 2 (a tap at a time: 195 and
 * 225; with three LDRD a tap and each output stored as it was made: 163 and
 * 248). As every group reads its own
 * channels from its copy only (the groups the assembly cannot serve too, in
 * C from the copy), such a layer may write its output over its input in one
 * call (nnom_depthwise_conv2d_s8_in_place() of conv.h).
 * Larger 3x3 planes of stride 2: in strips of DW_G_MIN_STRIP_LINES output
 * lines and more, each strip's input rows copied widened and padded as above
 * (dw_g_strips(), depthwise_group4_copy.h); planes too wide for such strips
 * and other kernels (up to DW_G_MAX_TAPS taps):
 * a 3x3 kernel in assembly on the raw input (SXTB16 per tap), the border rows
 * and columns from small padded copies of the input they read (dw_g_banded(),
 * in the stack of the padded copy: measured 48x48x16 stride 2, 3.42 -> 3.27
 * instructions per multiply-accumulate; a border column's band copied down by
 * three pointers, 12 instructions a row: 3.27 -> 3.18, and 24x24x32 stride 2
 * 3.64 -> 3.45); other kernels' border pixels in C
 * over the taps inside the input. 5x5 kernels on planes of DW_G_FIVE_MIN
 * outputs a side and more whose input fits the padded copy (MobileNetV3's
 * 6 x 6) run from it widened, in C: per tap two LDRD and 4 multiply-
 * accumulates (dw_g_five()).
 *
 * The sums on raw inputs start at bias - in_zp * sum w (a padding tap adds
 * in_zp * w, which that cancels); the C loops subtract the zero point
 * instead (SXTAB16) and skip padding taps.
 *
 * Requantisation, per channel, set up once per group (dw_g_quant's forms),
 * with the output zero point folded into the rounding constant:
 *  - shift in [-DW_G_MAX_E, -1] and |bias| small enough that the sums stay
 *    below 2^30 (and the assembly's partial sums below 2^31): weights and
 *    bias doubled at the source, so that nnom_arm_requant()'s doubling is
 *    free; nnom_arm_requant_zp() when the multiplier is above 2^30, the
 *    SMMULR form otherwise;
 *  - shift in [0, DW_G_MAX_LSHIFT] (an output scale close to the input's
 *    times the weights', common in MobileNets): weights and bias times
 *    2^(shift + 1) (at most 256 x 128, still int16), and the doubling high
 *    multiply is one SMMLAR with the zero point;
 *  - a dead channel (multiplier 0): its outputs are the zero point;
 *  - otherwise nnom_conv_quant_out() of conv.h on the exact dot product.
 * The same values as nnom_conv_quant_out() in every case (arm_dsp.h), and so
 * as the portable kernel (Tests/firmware checks it on random cases).
 * Stack: the padded copy (DW_G_PAD_WORDS words) and 2 words per tap.
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_GROUP4_H
#define NNOM_KERNELS_ARM_DEPTHWISE_GROUP4_H

#include "kernels/arm/arm_dsp.h"

#if NNOM_USE_ARM_DSP
#include <stddef.h>
#include <stdint.h>

#include "kernels/conv.h"

enum {
    DW_G_MAX_TAPS = 49,  /* largest k_h * k_w of the channel-group path (7x7) */
    DW_G_MAX_E = 22,     /* largest right shift of its 32-bit requantisation */
    DW_G_MAX_LSHIFT = 7, /* largest left shift (positive shift) of it: weights times 2^(shift + 1) */
    /* words of the padded copy of a group's input plane (1.8 KB of stack): MobileNetV3's 5x5
     * stride-2 layer from 12 x 12 needs 15 x 15 pixels of two words (measured 12 x 12 x 96, 4.77 ->
     * 3.17 instructions per multiply-accumulate against the C loop over the input; 3x3 stride 2 from
     * 14 x 14, 4.33 -> 3.88) */
    DW_G_PAD_WORDS = 450,
    /* 3x3 stride-1 planes: at most this many (13 x 13 from the copy, in place in one call, 2.80
     * against 2.37 by the group-plane path, which the in-place layer's windows of rows keep) */
    DW_G_PAD_S1_WORDS = 400,
    /* fewest output lines of a strip of dw_g_strips() (planes whose padded copy does not fit):
     * fewer gather too many input rows again (measured against dw_g_banded(), estimated cycles per
     * multiply-accumulate: 48 x 48 x 16 stride 2 in strips of one line 4.31 -> 4.87; 24 x 24 x 32
     * stride 2 in strips of four 4.73 -> 4.69) */
    DW_G_MIN_STRIP_LINES = 2
};

/* How a channel's sum s (acc = dot + bias times 2, or times 2^(shift + 1) for a shift >= 0: the
 * weights and bias are scaled at the source) becomes its output:
 *  ZP:  (SMMLAR(s, m, c) + (s >> 31)) >> e         e >= 1, m > 2^30 (nnom_arm_requant_zp)
 *  U:   u = SMMULR(s, m), (u + (u >> 31) + c) >> e  e >= 1, any m (nnom_arm_requant + zp)
 *  ZM:  (SMMLAR(s, m, c) + ((s >> 31) & mask)) >> e  the ZP form (mask -1) or, for shift >= 0 and for
 *       m = 0, e = 0 and mask 0: c + SMMULR(s, m), s = acc * 2^(shift + 1)
 *  GEN: nnom_conv_quant_out() on the exact dot product.
 * A group runs one form for its four channels (MIXED: each channel its own, in C). */
typedef enum { DW_G_ZP, DW_G_U, DW_G_ZM, DW_G_MIXED } dw_g_mode;
typedef enum { DW_F_GEN, DW_F_U, DW_F_ZM } dw_g_form;

typedef struct {
    int32_t init[4];        /* the sums' start: scale * bias (32-bit forms) or 0 */
    int32_t mult[4], c[4], e[4], mask[4];
    dw_g_form form[4];      /* MIXED: the channel's form (U where it can, else ZM, else GEN) */
    nnom_conv_quant q[4];   /* the general form */
    int32_t zp, lo, hi;
} dw_g_quant;

/* Channel j's output from its sum s. */
static inline __attribute__((always_inline)) int8_t dw_g_out(const dw_g_quant *k, int32_t j, int32_t s, dw_g_mode mode,
                                                             int clamp)
{
    int32_t v;
    if (mode == DW_G_ZP) {
        v = (nnom_arm_smmlar(s, k->mult[j], k->c[j]) + (s >> 31)) >> k->e[j];
    } else if (mode == DW_G_U || (mode == DW_G_MIXED && k->form[j] == DW_F_U)) {
        const int32_t u = nnom_arm_smmulr(s, k->mult[j]);
        v = (u + (u >> 31) + k->c[j]) >> k->e[j];
    } else if (mode == DW_G_ZM || k->form[j] == DW_F_ZM) {
        v = (nnom_arm_smmlar(s, k->mult[j], k->c[j]) + ((s >> 31) & k->mask[j])) >> k->e[j];
    } else {
        return nnom_conv_quant_out(k->q[j], s, k->zp, k->lo, k->hi);
    }
    v = __ssat(v, 8);
    if (clamp) {
        v = v < k->lo ? k->lo : v;
        v = v > k->hi ? k->hi : v;
    }
    return (int8_t)v;
}

/* One tap of four channels: inputs at xp, widened weights wp[0] = (w0, w2), wp[1] = (w1, w3). */
#define DW_G_TAP(xp, wp)                                        \
    do {                                                        \
        const uint32_t x_ = nnom_arm_load4(xp);                 \
        const uint32_t lo_ = nnom_arm_widen_lo(neg_zp, x_);     \
        const uint32_t hi_ = nnom_arm_widen_hi(neg_zp, x_);     \
        s0 = __smlabb(lo_, (wp)[0], s0);                        \
        s2 = __smlatt(lo_, (wp)[0], s2);                        \
        s1 = __smlabb(hi_, (wp)[1], s1);                        \
        s3 = __smlatt(hi_, (wp)[1], s3);                        \
    } while (0)


#include "kernels/arm/depthwise_group4_asm.h"

/* First k in [0, n) with start + k * step >= 0 (*k0), and the end of those with
 * start + k * step < size (*k1); *k0 == *k1 when none. Without dilation (step 1, as nearly every
 * layer) no division: two of them cost an estimated 24 Cortex-M4 cycles a border pixel (measured
 * 5x5 on 3 x 3 x 576, 5.49 -> 5.20 estimated cycles per multiply-accumulate). */
static inline void dw_g_taps(int32_t start, int32_t step, int32_t size, int32_t n, int32_t *k0, int32_t *k1)
{
    int32_t lo, hi;
    if (step == 1) {
        lo = start >= 0 ? 0 : -start;
        hi = start >= size ? 0 : size - start;
    } else {
        lo = start >= 0 ? 0 : (-start + step - 1) / step;
        hi = start >= size ? 0 : (size - start + step - 1) / step;
    }
    if (hi > n) hi = n;
    if (lo > hi) lo = hi;
    *k0 = lo;
    *k1 = hi;
}

/* Every output pixel of channels c0 .. c0 + 3 (of the input: ic0 .. ic0 + 3); @p g (NULL: none) for the assembly loop over
 * the interior of rows whose taps all lie inside the input (3x3, no clamp, 32-bit form). */
static inline __attribute__((always_inline)) void dw_g_pixels(const nnom_conv_args *a, const int8_t *in, int32_t ic0, int8_t *out,
                                                              int32_t c0, const uint32_t *wv, const dw_g_quant *k,
                                                              dw_g_args *g, dw_g_mode asm_mode, dw_g_mode mode,
                                                              int clamp)
{
    const int32_t k_h = a->k_h, k_w = a->k_w, in_c = a->in_c, out_c = a->out_c;
    const ptrdiff_t in_rs = (ptrdiff_t)a->in_w * in_c, cs = (ptrdiff_t)a->dil_w * in_c;
    const uint32_t neg_zp = (uint32_t)(uint16_t)(int16_t)(-a->in_zp) * 0x00010001u;
    /* output columns whose taps all lie inside the input: [ox_in0, ox_in1) */
    const int32_t reach_w = (k_w - 1) * a->dil_w;
    int32_t ox_in0 = (a->pad_left + a->stride_w - 1) / a->stride_w;
    int32_t ox_in1 = a->in_w - reach_w + a->pad_left > 0 ? (a->in_w - reach_w + a->pad_left - 1) / a->stride_w + 1 : 0;
    if (ox_in1 > a->out_w) ox_in1 = a->out_w;
    if (ox_in0 > ox_in1) ox_in0 = ox_in1;
    for (int32_t oy = 0; oy < a->out_h; oy++) {
        const int32_t iy0 = oy * a->stride_h - a->pad_top;
        int32_t ky0, ky1;
        dw_g_taps(iy0, a->dil_h, a->in_h, k_h, &ky0, &ky1);
        const int8_t *row0 = in + (ptrdiff_t)(iy0 + ky0 * a->dil_h) * in_rs + ic0;
        const ptrdiff_t row_step = (ptrdiff_t)a->dil_h * in_rs;
        int8_t *o_row = out + (ptrdiff_t)oy * a->out_w * out_c + c0;
        /* the row's assembly run: [skip0, skip1) */
        int32_t skip0 = a->out_w, skip1 = a->out_w;
        if (g && ky0 == 0 && ky1 == k_h && ox_in0 < ox_in1) {
            skip0 = ox_in0;
            skip1 = ox_in1;
            g->p = row0 + ((ptrdiff_t)ox_in0 * a->stride_w - a->pad_left) * in_c;
            g->o = o_row + (ptrdiff_t)ox_in0 * out_c;
            g->n = ox_in1 - ox_in0;
            dw_g_asm(asm_mode, g);
        }
        for (int32_t ox = 0; ox < a->out_w; ox++) {
            if (ox == skip0) ox = skip1;
            if (ox >= a->out_w) break;
            int8_t *o = o_row + (ptrdiff_t)ox * out_c;
            const int32_t ix0 = ox * a->stride_w - a->pad_left;
            int32_t s0 = k->init[0], s1 = k->init[1], s2 = k->init[2], s3 = k->init[3];
            int32_t kx0, kx1;
            dw_g_taps(ix0, a->dil_w, a->in_w, k_w, &kx0, &kx1);
            const int8_t *p = row0 + (ptrdiff_t)(ix0 + kx0 * a->dil_w) * in_c;
            for (int32_t ky = ky0; ky < ky1; ky++, p += row_step) {
                const uint32_t *w = wv + 2 * (ky * k_w + kx0);
                const int8_t *x = p;
                for (int32_t kx = kx0; kx < kx1; kx++, x += cs, w += 2) DW_G_TAP(x, w);
            }
            o[0] = dw_g_out(k, 0, s0, mode, clamp);
            o[1] = dw_g_out(k, 1, s1, mode, clamp);
            o[2] = dw_g_out(k, 2, s2, mode, clamp);
            o[3] = dw_g_out(k, 3, s3, mode, clamp);
        }
    }
}

/* GCC at -Os spills the four sums and the widened inputs of dw_g_pixels() to the stack (measured:
 * twice the instructions of -O2 on a 5x5 layer), so the C loop is compiled for speed there. */
#if defined(__GNUC__) && !defined(__clang__)
#define DW_G_SPEED __attribute__((optimize("O2")))
#else
#define DW_G_SPEED
#endif

/* In C, each channel by its own form and clamped (one variant: the C path serves only the border
 * pixels of planes too large for the padded copy and its bands, clamps and groups of mixed forms); the
 * interior of rows by the assembly of asm_mode when g is given. */
DW_G_SPEED __attribute__((noinline)) static void dw_g_c(const nnom_conv_args *a, const int8_t *in, int32_t ic0, int8_t *out,
                                             int32_t c0, const uint32_t *wv, const dw_g_quant *k, dw_g_args *g,
                                             dw_g_mode asm_mode)
{
    dw_g_pixels(a, in, ic0, out, c0, wv, k, g, asm_mode, DW_G_MIXED, 1);
}

/* The same without a clamp beyond int8 and with the four channels in one form (mode: not
 * DW_G_MIXED), as the border pixels of large planes and kernels other than 3x3 mostly are
 * (measured: 24x24x32 stride 2, 4.21 -> 3.98 instructions per multiply-accumulate). */
DW_G_SPEED __attribute__((noinline)) static void dw_g_c_one_form(const nnom_conv_args *a, const int8_t *in, int8_t *out,
                                                                 int32_t c0, const uint32_t *wv, const dw_g_quant *k,
                                                                 dw_g_args *g, dw_g_mode mode)
{
    dw_g_pixels(a, in, c0, out, c0, wv, k, g, mode, mode, 0);
}

#include "kernels/arm/depthwise_group4_copy.h"

/* Every output line of channels c0 .. c0 + 3 by the assembly loops, from the widened padded copy
 * (transposed: rows of ph pixels, one per input column): no border pixels. Pairs of pixels,
 * the odd last one alone. */
static inline __attribute__((always_inline)) void dw_g_padded(const nnom_conv_args *a, int8_t *out, int32_t c0, dw_g_args *g,
                                                  dw_g_mode mode, const uint32_t *pad, int32_t ph, int32_t pw,
                                                  int transposed)
{
    const int32_t lines = transposed ? a->out_w : a->out_h, n = transposed ? a->out_h : a->out_w;
    const int32_t s_line = transposed ? a->stride_w : a->stride_h, s_px = transposed ? a->stride_h : a->stride_w;
    const int32_t row_words = 2 * (transposed ? ph : pw);
    const ptrdiff_t o_line = transposed ? a->out_c : (ptrdiff_t)a->out_w * a->out_c;
    g->rs = 4 * row_words;
    g->p_step = 8 * s_px;
    g->o_step = transposed ? a->out_w * a->out_c : a->out_c;
    typedef void (*pass_fn)(dw_g_args *);
    const pass_fn pair = g->z ? (s_px == 1 ? dw_g_pair_z_s1 : dw_g_pair_z_s2)
                              : mode == DW_G_ZP ? (s_px == 1 ? dw_g_pair_zp_s1 : dw_g_pair_zp_s2)
                              : mode == DW_G_U  ? (s_px == 1 ? dw_g_pair_u_s1 : dw_g_pair_u_s2)
                                                : (s_px == 1 ? dw_g_pair_zm_s1 : dw_g_pair_zm_s2);
    const pass_fn one = g->z ? dw_g_asm_w_z : mode == DW_G_ZP ? dw_g_asm_w_zp : mode == DW_G_U ? dw_g_asm_w_u : dw_g_asm_w_zm;
    const int32_t pairs = n / 2;
    for (int32_t i = 0; i < lines; i++) {
        const uint32_t *p = pad + i * s_line * row_words;
        int8_t *o = out + i * o_line + c0;
        if (pairs > 0) {
            g->p = (const int8_t *)p;
            g->o = o;
            g->n = pairs;
            pair(g);
        }
        if (n & 1) { /* the odd last pixel */
            g->p = (const int8_t *)(p + 2 * (n - 1) * s_px);
            g->o = o + (n - 1) * g->o_step;
            g->n = 1;
            one(g);
        }
    }
}

/* The output lines of a strip of dw_g_strips(): as many as DW_G_PAD_WORDS hold the widened input
 * rows of, pw pixels a row (0: not one line). */
static inline int32_t dw_g_strip_lines(const nnom_conv_args *a, int32_t pw)
{
    const int32_t rows = DW_G_PAD_WORDS / (2 * pw);
    return rows >= 3 ? (rows - 3) / a->stride_h + 1 : 0;
}

/* A 3x3 plane (no dilation, strides 1 or 2) whose widened padded copy does not fit pad, in strips
 * of `lines` output lines (dw_g_strip_lines()): each strip's input rows copied widened, padding
 * included (dw_g_pad_copy_w() of the strip's view of the layer), then its lines by dw_g_padded(). */
__attribute__((noinline)) static void dw_g_strips(const nnom_conv_args *a, const int8_t *in, int8_t *out, int32_t c0,
                                                  dw_g_args *g, dw_g_mode mode, uint32_t *pad, int32_t pw,
                                                  int32_t lines)
{
    nnom_conv_args sa = *a;
    const ptrdiff_t in_rs = (ptrdiff_t)a->in_w * a->in_c, o_rs = (ptrdiff_t)a->out_w * a->out_c;
    for (int32_t oy0 = 0; oy0 < a->out_h; oy0 += lines) {
        const int32_t n = a->out_h - oy0 < lines ? a->out_h - oy0 : lines;
        /* the input row of the strip's first tap row, and the strip's view: its rows from there */
        const int32_t iy = oy0 * a->stride_h - a->pad_top, skip = iy > 0 ? iy : 0;
        sa.pad_top = skip - iy;
        sa.in_h = a->in_h - skip;
        sa.out_h = n;
        const int32_t rows = (n - 1) * a->stride_h + 3;
        dw_g_pad_copy_w(&sa, in + skip * in_rs, c0, pad, rows, pw, 1);
        dw_g_padded(&sa, out + oy0 * o_rs, c0, g, mode, pad, rows, pw, 0);
    }
}

/* A band of the input of channels c0 .. c0 + 3 into d: rows iy0 .. iy0 + rows - 1, columns ix0 ..
 * ix0 + cols - 1, one word per pixel, rows `cols` words apart, the input zero point's word where
 * a pixel lies outside the input. */
static void dw_g_band(const nnom_conv_args *a, const int8_t *in, int32_t c0, int32_t iy0, int32_t rows,
                      int32_t ix0, int32_t cols, uint32_t *d)
{
    const uint32_t zp4 = (uint32_t)(uint8_t)a->in_zp * 0x01010101u;
    const ptrdiff_t in_c = a->in_c, in_rs = (ptrdiff_t)a->in_w * in_c;
    /* columns [xa, xb) of the band inside the input */
    const int32_t xa = ix0 < 0 ? (-ix0 < cols ? -ix0 : cols) : 0;
    const int32_t xb = a->in_w - ix0 < cols ? (a->in_w - ix0 > xa ? a->in_w - ix0 : xa) : cols;
    /* rows [ra, rb) of the band inside the input */
    const int32_t ra = iy0 < 0 ? (-iy0 < rows ? -iy0 : rows) : 0;
    const int32_t rb = a->in_h - iy0 < rows ? (a->in_h - iy0 > ra ? a->in_h - iy0 : ra) : rows;
    for (int32_t r = 0; r < rows; r++) {
        if (r == ra) r = rb;
        if (r >= rows) break;
        for (int32_t x = 0; x < cols; x++) d[r * cols + x] = zp4;
    }
    if (cols == 3) { /* a border column's band, down: each column from the input (a row further each
                      * time) or from the zero point's word (no step); 12 instructions a row */
        const int8_t *p[3];
        ptrdiff_t st[3];
        for (int32_t x = 0; x < 3; x++) {
            const int inside = x >= xa && x < xb;
            p[x] = inside ? in + ((ptrdiff_t)(iy0 + ra) * a->in_w + ix0 + x) * in_c + c0 : (const int8_t *)&zp4;
            st[x] = inside ? in_rs : 0;
        }
        const int8_t *p0 = p[0], *p1 = p[1], *p2 = p[2];
        for (uint32_t *e = d + ra * 3, *end = d + rb * 3; e < end; e += 3, p0 += st[0], p1 += st[1], p2 += st[2]) {
            e[0] = nnom_arm_load4(p0);
            e[1] = nnom_arm_load4(p1);
            e[2] = nnom_arm_load4(p2);
        }
        return;
    }
    for (int32_t r = ra; r < rb; r++) {
        uint32_t *e = d + r * cols;
        const int8_t *s = in + ((ptrdiff_t)(iy0 + r) * a->in_w + ix0 + xa) * in_c + c0;
        int32_t x = 0;
        for (; x < xa; x++) e[x] = zp4;
        for (; x < xb; x++, s += in_c) e[x] = nnom_arm_load4(s);
        for (; x < cols; x++) e[x] = zp4;
    }
}

/* Every output pixel of channels c0 .. c0 + 3 of a 3x3 kernel (no dilation) by the assembly of
 * mode on raw inputs: the rows whose taps all lie inside the input from the input itself, the
 * border rows and the border columns of the other rows from bands of the input copied into band
 * (DW_G_PAD_WORDS words; the zero point in the padding): no tap skipped in C. Returns 0, having
 * done nothing, when a band does not fit. */
__attribute__((noinline)) static int dw_g_banded(const nnom_conv_args *a, const int8_t *in, int8_t *out, int32_t c0,
                                                 dw_g_args *g, dw_g_mode mode, uint32_t *band)
{
    const int32_t s_h = a->stride_h, s_w = a->stride_w, out_c = a->out_c, in_c = a->in_c;
    const int32_t pw = (a->out_w - 1) * s_w + 3;
    /* output rows [oy0, oy1) and columns [ox0, ox1) whose taps all lie inside the input */
    const int32_t oy1_ = a->in_h - 3 + a->pad_top >= 0 ? (a->in_h - 3 + a->pad_top) / s_h + 1 : 0;
    const int32_t ox1_ = a->in_w - 3 + a->pad_left >= 0 ? (a->in_w - 3 + a->pad_left) / s_w + 1 : 0;
    const int32_t oy1 = oy1_ < a->out_h ? oy1_ : a->out_h, ox1 = ox1_ < a->out_w ? ox1_ : a->out_w;
    const int32_t oy0_ = (a->pad_top + s_h - 1) / s_h, ox0_ = (a->pad_left + s_w - 1) / s_w;
    const int32_t oy0 = oy0_ < oy1 ? oy0_ : oy1, ox0 = ox0_ < ox1 ? ox0_ : ox1;
    const int32_t inner_rows = oy1 - oy0, col_rows = inner_rows > 0 ? (inner_rows - 1) * s_h + 3 : 0;
    if (a->dil_h != 1 || a->dil_w != 1 || 3 * pw > DW_G_PAD_WORDS || 3 * col_rows > DW_G_PAD_WORDS) return 0;
    const ptrdiff_t in_rs = (ptrdiff_t)a->in_w * in_c, o_rs = (ptrdiff_t)a->out_w * out_c;
    for (int32_t oy = 0; oy < a->out_h; oy++) {
        const int32_t iy0 = oy * s_h - a->pad_top;
        g->o = out + oy * o_rs + c0;
        if (oy >= oy0 && oy < oy1) { /* the row's inner columns, from the input */
            if (ox0 == ox1) continue;
            g->p = in + iy0 * in_rs + ((ptrdiff_t)ox0 * s_w - a->pad_left) * in_c + c0;
            g->o += (ptrdiff_t)ox0 * out_c;
            g->n = ox1 - ox0;
            g->cs = in_c;
            g->rs = (int32_t)in_rs;
            g->p_step = s_w * in_c;
            g->o_step = out_c;
        } else { /* a border row: its three input rows, padded, across */
            dw_g_band(a, in, c0, iy0, 3, -a->pad_left, pw, band);
            g->p = (const int8_t *)band;
            g->n = a->out_w;
            g->cs = 4;
            g->rs = 4 * pw;
            g->p_step = 4 * s_w;
            g->o_step = out_c;
        }
        dw_g_asm(mode, g);
    }
    /* the border columns of the inner rows: each column's input columns, padded, down */
    for (int32_t ox = 0; ox < a->out_w && inner_rows > 0; ox++) {
        if (ox == ox0) ox = ox1;
        if (ox >= a->out_w) break;
        dw_g_band(a, in, c0, oy0 * s_h - a->pad_top, col_rows, ox * s_w - a->pad_left, 3, band);
        g->p = (const int8_t *)band;
        g->o = out + oy0 * o_rs + (ptrdiff_t)ox * out_c + c0;
        g->n = inner_rows;
        g->cs = 4;
        g->rs = 12;
        g->p_step = 12 * s_h;
        g->o_step = (int32_t)o_rs;
        dw_g_asm(mode, g);
    }
    return 1;
}

static inline uint32_t dw_g_pack(int32_t lo, int32_t hi) { return (uint32_t)(uint16_t)lo | ((uint32_t)(uint16_t)hi << 16); }

/* The input rows and columns a 3x3 output plane reads, padding included; whether they fit the
 * padded copy, widened (no dilation, strides 1 or 2: the assembly's fixed offsets). */
static inline int32_t dw_g_pad_rows(const nnom_conv_args *a) { return (a->out_h - 1) * a->stride_h + 2 * a->dil_h + 1; }
static inline int32_t dw_g_pad_cols(const nnom_conv_args *a) { return (a->out_w - 1) * a->stride_w + 2 * a->dil_w + 1; }
static inline int dw_g_pad_fits(const nnom_conv_args *a)
{
    return a->k_h == 3 && a->k_w == 3 && a->dil_w == 1 && a->dil_h == 1 && a->stride_h <= 2 && a->stride_w <= 2 &&
           2 * dw_g_pad_rows(a) * dw_g_pad_cols(a) <= (a->stride_h == 1 ? DW_G_PAD_S1_WORDS : DW_G_PAD_WORDS);
}

/* 5x5 kernels on small planes from the widened padded copy */
#include "kernels/arm/depthwise_five4.h"
/* other kernels on small input planes from a widened copy of the taps inside the input */
#include "kernels/arm/depthwise_small4.h"

/* The channels past the last whole group of four (depth multiplier 1) as one more group, the
 * layer's last four channels, the ones before them computed again to the same values: where three
 * are left, or the plane is one for pixel_major() (fewer than DW_G_TINY_PLANE pixels; measured
 * estimated cycles per multiply-accumulate, against the planar path per channel: 12 x 12 x 63
 * stride 2 5.187 -> 4.955, a band of 3 x 48 x 19 stride 2 6.346 -> 5.640; not where one or two are
 * left: 12 x 12 x 33 stride 2 5.209 -> 5.486, 24 x 24 x 30 stride 2 4.640 -> 4.778). Not in place
 * (the group would read channels that the group before it wrote). Not on the group-plane path
 * either: a second call of its group_planes() made the compiler's code of it slower on every layer
 * (3 x 3 x 256 stride 1 6.079 -> 6.088). */
enum { DW_G_LAST_LEFT = 3, DW_G_TINY_PLANE = 16 };
static inline int dw_g_last_group(const nnom_conv_args *a, const int8_t *in, const int8_t *out)
{
    return in != out && a->out_c > 4 && a->out_c % 4 != 0 &&
           (a->out_c % 4 == DW_G_LAST_LEFT || a->out_h * a->out_w < DW_G_TINY_PLANE);
}

/* Channels [0, n4) (n4 a multiple of 4; depth multiplier 1; k_h * k_w <= DW_G_MAX_TAPS), every
 * pixel, in groups of four, and the channels past them too where dw_g_last_group(); returns the
 * channels done. */
__attribute__((noinline)) static int32_t dw_groups4(const nnom_conv_args *a, const int8_t *in, int8_t *out, int32_t n4)
{
    if (n4 < a->out_c && dw_g_last_group(a, in, out)) n4 = a->out_c;
    uint32_t wv_buf[2 * DW_G_MAX_TAPS];
    dw_g_quant k;
    const int32_t taps = a->k_h * a->k_w, out_c = a->out_c;
    /* |dot| <= taps * 255 * 128, and the assembly's partial sums on raw inputs, 2 bias - 2 zp sum w
     * + sum x 2 w, are at most 2 |bias| + taps * 65536 in magnitude: a bias within room keeps
     * |dot + bias| below 2^30 and those below 2^31 */
    const int32_t room = (int32_t)((1 << 30) - 1 - taps * 32768);
    /* shift sh >= 0: the sums are acc * 2^(sh + 1), partial sums included in int32 when |bias| <=
     * 2^(30 - sh) - 1 - taps * 32768 (and the weights times 2^(sh + 1) <= 256 fit int16) */
    const int32_t taps_room = taps * 32768;
    const int clamp = a->act_min != -128 || a->act_max != 127;
    const int use_asm = !clamp && a->k_h == 3 && a->k_w == 3;
    dw_g_args g;
    /* the widened weights: for the assembly's 3x3 kernel, in its block (no copy) */
    uint32_t *const wv = use_asm ? g.w : wv_buf;
    const int32_t ph = dw_g_pad_rows(a), pw = dw_g_pad_cols(a);
    const int pad_fits = dw_g_pad_fits(a);
    /* (3x3, no dilation, strides 1 or 2: the fixed offsets of the pair passes) */
    const int32_t strip_lines = a->k_h == 3 && a->k_w == 3 && a->dil_h == 1 && a->dil_w == 1 && a->stride_h <= 2 &&
                                        a->stride_w <= 2
                                    ? dw_g_strip_lines(a, pw)
                                    : 0;
#if NNOM_DW_5X5_KERNELS
    const int pad5 = dw_g_pad5_fits(a);
    const int32_t ph5 = dw_g_pad5_rows(a), pw5 = dw_g_pad5_cols(a);
#endif
    uint32_t pad[DW_G_PAD_WORDS];
    nnom_conv_args pa = *a; /* the layer as its padded copy: a plane of ph x pw pixels of 4 channels */
    pa.in_h = ph;
    pa.in_w = pw;
    pa.in_c = 4;
    pa.pad_top = pa.pad_left = 0;
#if NNOM_DW_5X5_KERNELS
    if (pad5) pa.in_h = ph5, pa.in_w = pw5; /* (a 5x5 plane's copy: pad_fits is for 3x3 only) */
#endif
    g.z = a->out_zp == -128;
    g.cs = (int32_t)(a->dil_w * a->in_c);
    g.rs = (int32_t)(a->dil_h * a->in_w * a->in_c);
    g.p_step = (int32_t)(a->stride_w * a->in_c);
    g.o_step = out_c;
    k.zp = a->out_zp;
    k.lo = a->act_min;
    k.hi = a->act_max;
    /* the widened copy's rows and columns of padding, the same for every group, already in pad (the
     * last group took the widened copy of the plane; any other use of pad clears it) */
    int border_done = 0;
    for (int32_t c0 = 0; c0 < n4; c0 += 4) {
        if (c0 > n4 - 4) c0 = n4 - 4; /* (the overlapping last group: dw_g_last_group()) */
        const int border_kept = border_done;
        border_done = 0;
        int32_t scale[4] = {2, 2, 2, 2}, zp_ok = 1, u_ok = 1, zm_ok = 1, same_scale = 1, gen = 0;
        /* the common group first (every channel live, a right shift of the 32-bit forms, its bias
         * within room): each channel's constants without the tests of the other forms */
        const int32_t *const mg = a->multiplier + c0, *const sg = a->shift + c0;
        const int32_t *const bg = a->bias ? (const int32_t *)a->bias + c0 : NULL;
        int common = 1;
        for (int32_t j = 0; j < 4; j++) {
            const int32_t b = bg ? bg[j] : 0;
            common &= mg[j] != 0 && sg[j] <= -1 && sg[j] >= -DW_G_MAX_E && b <= room && b >= -room;
        }
        if (common) {
            for (int32_t j = 0; j < 4; j++) {
                const int32_t m = mg[j], e = -sg[j];
                k.mult[j] = m;
                k.e[j] = e;
                k.c[j] = nnom_arm_requant_zp_const(e, a->out_zp);
                k.mask[j] = -1;
                k.init[j] = bg ? 2 * bg[j] : 0;
                k.form[j] = DW_F_U;
                zp_ok &= m > (1 << 30);
            }
            zm_ok = zp_ok;
        }
        for (int32_t j = 0; j < 4 && !common; j++) {
            const int32_t c = c0 + j, m = a->multiplier[c], sh = a->shift[c];
            const int32_t b = a->bias ? ((const int32_t *)a->bias)[c] : 0;
            k.mult[j] = m;
            k.e[j] = 0;
            k.c[j] = a->out_zp;
            k.mask[j] = 0;
            k.init[j] = 0;
            scale[j] = 2;
            if (m == 0) { /* a dead channel: its outputs are the zero point */
                k.form[j] = DW_F_U;
                zp_ok = 0;
            } else if (sh <= -1 && sh >= -DW_G_MAX_E && b <= room && b >= -room) {
                k.e[j] = -sh;
                k.c[j] = nnom_arm_requant_zp_const(k.e[j], a->out_zp);
                k.mask[j] = -1;
                k.init[j] = 2 * b;
                k.form[j] = DW_F_U;
                if (m <= (1 << 30)) zp_ok = zm_ok = 0;
            } else if (sh >= 0 && sh <= DW_G_MAX_LSHIFT && b <= ((1 << (30 - sh)) - 1 - taps_room) &&
                       b >= -((1 << (30 - sh)) - 1 - taps_room)) {
                scale[j] = 2 << sh;
                k.init[j] = scale[j] * b;
                k.form[j] = DW_F_ZM;
                zp_ok = u_ok = 0;
            } else {
                k.form[j] = DW_F_GEN;
                k.q[j] = nnom_conv_quant_init(b, m, sh);
                scale[j] = 1;
                zp_ok = u_ok = zm_ok = 0;
                gen = 1;
            }
            same_scale &= scale[j] == 2;
        }
        const dw_g_mode mode = zp_ok ? DW_G_ZP : (u_ok ? DW_G_U : (zm_ok ? DW_G_ZM : DW_G_MIXED));
        /* in C: a group of mixed forms, unless the output zero point is -128 and none is DW_F_GEN (the
         * Z form of the assembly then serves every channel by its own constants: U and ZP with their
         * shift, ZM with e 0, each channel's weights and start scaled as its form has them) */
        const int c_only = mode == DW_G_MIXED && !(g.z && !gen);
        const int8_t *w = (const int8_t *)a->weights + c0;
        int32_t sum_w[4] = {0, 0, 0, 0};
        if (!same_scale) { /* each channel's weights times its scale */
            for (int32_t t = 0; t < taps; t++) {
                const int8_t *wt = w + (ptrdiff_t)t * out_c;
                for (int32_t j = 0; j < 4; j++) sum_w[j] += wt[j];
                wv[2 * t] = dw_g_pack(scale[0] * wt[0], scale[2] * wt[2]);
                wv[2 * t + 1] = dw_g_pack(scale[1] * wt[1], scale[3] * wt[3]);
            }
        } else { /* every weight doubled; the sums of each channel's weights in int16 lanes (|sum| <= 49 * 128) */
            uint32_t sum_lo = 0, sum_hi = 0;
            for (int32_t t = 0; t < taps; t++) {
                const uint32_t word = nnom_arm_load4(w + (ptrdiff_t)t * out_c);
                const uint32_t lo = nnom_arm_pairs_lo(word), hi = nnom_arm_pairs_hi(word);
                sum_lo = __sadd16(sum_lo, lo);
                sum_hi = __sadd16(sum_hi, hi);
                wv[2 * t] = __sadd16(lo, lo);
                wv[2 * t + 1] = __sadd16(hi, hi);
            }
            sum_w[0] = (int16_t)sum_lo, sum_w[1] = (int16_t)sum_hi;
            sum_w[2] = (int16_t)(sum_lo >> 16), sum_w[3] = (int16_t)(sum_hi >> 16);
        }
#if NNOM_DW_5X5_KERNELS
        /* 5x5 on a small plane, one form, no clamp: from the widened padded copy */
        if (pad5 && !clamp && mode != DW_G_MIXED) {
            int32_t init[4];
            for (int32_t j = 0; j < 4; j++) init[j] = k.init[j] - scale[j] * a->in_zp * sum_w[j];
            dw_g_pad_copy(a, in, c0, pad, ph5, pw5, 1);
            (mode == DW_G_ZP ? dw_g_five_zp : (mode == DW_G_U ? dw_g_five_u : dw_g_five_zm))(a, pad, pw5, out, c0,
                                                                                             wv, init, &k);
            continue;
        }
        /* its other groups (a clamp, channels of different forms) in C from the copy too, so that
         * every group reads its own copy (in place in one call: nnom_depthwise_conv2d_s8_in_place()) */
        if (pad5) {
            dw_g_pad_copy(a, in, c0, pad, ph5, pw5, 0);
            dw_g_c(&pa, (const int8_t *)pad, 0, out, c0, wv, &k, NULL, mode);
            continue;
        }
#endif
        /* a plane that fits: every group from its padded copy (so the output may overwrite the input:
         * each group reads and writes its own four channels only); in C when the assembly cannot
         * serve the group (a clamp, channels of different forms) */
        if (pad_fits && (clamp || c_only)) {
            dw_g_pad_copy(a, in, c0, pad, ph, pw, 0);
            dw_g_c(&pa, (const int8_t *)pad, 0, out, c0, wv, &k, NULL, mode);
            continue;
        }
        if (c_only) {
            dw_g_c(a, in, c0, out, c0, wv, &k, NULL, mode);
            continue;
        }
        dw_g_args *ga = NULL;
        if (use_asm) { /* the start on raw inputs: scale (bias - zp * sum w) */
            for (int32_t j = 0; j < 4; j++) {
                g.init[j] = k.init[j] - scale[j] * a->in_zp * sum_w[j];
                g.mc[2 * j] = k.mult[j];
                g.mc[2 * j + 1] = k.c[j];
                g.em[2 * j] = k.e[j];
                g.em[2 * j + 1] = k.mask[j];
            }
            ga = &g;
            if (pad_fits) {
                /* a plane taller than wide (DS-CNN's 25 x 5) walked by columns: the copy transposed,
                 * and the kernel with it (the taps (r, c) and (c, r) swapped) */
                const int transposed = a->out_h > a->out_w;
                if (transposed)
                    for (int32_t r = 0; r < 3; r++)
                        for (int32_t c = r + 1; c < 3; c++)
                            for (int32_t h = 0; h < 2; h++) {
                                const uint32_t t = g.w[2 * (r * 3 + c) + h];
                                g.w[2 * (r * 3 + c) + h] = g.w[2 * (c * 3 + r) + h];
                                g.w[2 * (c * 3 + r) + h] = t;
                            }
                if (transposed) dw_g_pad_copy(a, in, c0, pad, ph, pw, 2);
                else dw_g_pad_copy_w(a, in, c0, pad, ph, pw, !border_kept);
                border_done = !transposed;
                dw_g_padded(a, out, c0, &g, mode, pad, ph, pw, transposed);
                continue;
            }
            if (strip_lines >= DW_G_MIN_STRIP_LINES) {
                dw_g_strips(a, in, out, c0, &g, mode, pad, pw, strip_lines);
                continue;
            }
        }
        if (clamp) dw_g_c(a, in, c0, out, c0, wv, &k, ga, mode);
        else if (!ga && mode == DW_G_ZP && dw_g_small_fits(a)) dw_g_small_zp(a, in, out, c0, wv, &k, pad);
        else if (!ga && mode == DW_G_U && dw_g_small_fits(a)) dw_g_small_u(a, in, out, c0, wv, &k, pad);
        else if (!ga || !dw_g_banded(a, in, out, c0, ga, mode, pad)) dw_g_c_one_form(a, in, out, c0, wv, &k, ga, mode);
    }
    return n4;
}

#endif /* NNOM_USE_ARM_DSP */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_GROUP4_H */
