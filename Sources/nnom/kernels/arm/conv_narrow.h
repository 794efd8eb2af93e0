/*
 * The Cortex-M DSP convolution of narrow inputs: 1 to 4 input channels (the
 * first layer of an image model, RGB; a spectrogram's one channel), short
 * patches. Part of kernels/arm/conv_s8.c (included there), which hands it
 * the layers it takes (conv_narrow_takes); same results as the portable
 * kernel bit for bit.
 *
 * What it takes: NARROW_MIN_IN_C <= in_c <= NARROW_MAX_IN_C, dil_w == 1 (a kernel row is a
 * contiguous run of k_w * in_c input bytes), k = k_h * k_w * in_c <=
 * NARROW_MAX_K, and the scratch of the general kernel's four-pixel passes
 * (conv_shape np == 4: the four columns, and the staged patch when in_c is
 * not 4), which the planner reserves for such patches: no scratch beyond
 * what the layer already plans; or of its eight-pixel passes (np == 8),
 * which a plan gives from its spare room only.
 *
 * Why a kernel of its own: with a handful of output channels (8 in the
 * MobileNet's first layer, 16 in ResNet-8's) the general kernel's work per
 * pass (finding its runs of fast channels, a call per run, its im2col's
 * per-pixel tests and divisions, a staging copy and a widening call per
 * pixel) cost about as much as the multiply-accumulates. Here a call
 * prepares everything once: the weights of the last channels (those whose
 * last word would be read past the weight array) copied zero-padded, the
 * runs of channels of one requantisation form; a pass then gathers eight
 * pixels (when the scratch holds their columns and eight remain) or four,
 * and runs every run of channels over them.
 *
 * Gather (one column per pixel, int16 pairs (e0, e2), (e1, e3) per group of
 * four patch elements, the pass's pixels' groups side by side, 32 or 64
 * bytes a group: the layouts of conv_pass.h's pass4 and pass8): a 3x3 window on three channels
 * (or 3x9 on one) inside the input is built in registers, its seven groups
 * from eleven unaligned loads that stay inside the window's three rows, and
 * widened, in assembly, for a run of pixels on one output row at a time
 * (conv_first.h's first_gather_27_run; in passes of four pixels); other windows inside the input are copied a
 * kernel row at a time: widened straight from the input when a kernel row
 * is whole groups (k_w * in_c a multiple of 4, e.g. DS-CNN's 10x4 on one
 * channel), otherwise copied a word at a time into the staging row (each
 * row's last word may run up to 3 bytes into the next row's place; the
 * last row's, past k, gets the zero point back; a window whose last word
 * would end past the input takes the next path), then widened. A window
 * reaching into the padding: its rows built byte by byte with the zero point
 * in the padding (which widens to 0); rows of whole groups in the padding
 * are zero groups.
 *
 * Dot products: channels of the fast forms run in conv_pass.h's pass8_fast
 * (eight pixels: consecutive runs of both fast forms in one call, which
 * picks each channel's form) or pass4_fast (or _u), a call per run of
 * channels per pass: per group of four taps one LDR of the channel's four
 * int8 weights, two SXTB16, the pixels' columns (LDRD, or LDM of two
 * pixels) and two SMLAD per pixel, the requantisation and the stores in the
 * same assembly; eight pixels halve the per-channel work per output (the
 * MobileNet's first layer, 3x3 stride 2 on 3 channels to 8: 2.79 instead of
 * 2.97 estimated Cortex-M4 cycles per MAC; ResNet-8's, 3 to 16: 2.48 instead
 * of 2.68). The general form and a short last pass use narrow_dot4 (the same
 * group, two per loop pass) or conv_dot.h's dot_1x1 (eight-pixel columns),
 * and C.
 *
 * Overflow: a column's lanes are x - in_zp in [-255, 255] (0 past k and in
 * the padding), the weights in [-128, 127], so |dot| <= k * 255 * 128 =
 * k * 32640 < 2^21 for k <= NARROW_MAX_K: SMLAD's sums never wrap, starting
 * from any bias with |bias| <= 2^30 - 1 - k * 32640 (the fast forms, where
 * |dot + bias| < 2^30 is what arm_dsp.h's requantisations need), from 0
 * otherwise. The last group's weight lanes past k belong to the next
 * channel (or the zero padding of the copy) and meet data lanes that are 0.
 *
 * Requantisation per channel, chosen once per call: multiplier above 2^30
 * and shift in [-22, -1] with the bias bound: nnom_arm_requant_zp(); a
 * multiplier in (0, 2^30] with the same bounds: nnom_arm_requant(); others
 * (shift >= 0, e > 22, a large bias): nnom_conv_quant_out()'s arithmetic of conv.h on
 * the dot product alone; a dead channel (multiplier 0): its constant.
 */
#ifndef NNOM_KERNELS_ARM_CONV_NARROW_H
#define NNOM_KERNELS_ARM_CONV_NARROW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/arm/arm_dsp.h"
#include "kernels/arm/conv_first.h"
#include "kernels/arm/conv_pass.h"
#include "kernels/arm/conv_shape.h"

enum {
    NARROW_MIN_IN_C = 2, /* input channels of the layers it takes: one channel's patches (3x3: 9, DS-CNN's
                            10x4: 40, in its three-pixel passes) run as fast in the general kernel,
                            whose set-up per call is lighter
                            (the 28x28 CNN's first layer, in bands of rows: 1.40 instead of 1.46 Cortex-M4
                            instructions per MAC for the whole model at -Os) */
    NARROW_MAX_IN_C = 4,
    NARROW_MAX_K = 64,   /* longest patch (3x3x4 = 36, DS-CNN's 10x4x1 = 40, 5x5x2 = 50) */
    NARROW_PIXELS = 4,   /* pixels per pass (eight when the scratch holds their columns, see conv_narrow) */
    NARROW_EIGHT = 8,    /* pixels per pass of the eight-pixel layout */
    NARROW_COPY_BYTES = 224, /* the zero-padded copy of the last channels' weights (at least NARROW_MAX_K + 3),
                                or of all of them when they fit: 8 channels of 3x3x3, as in MobileNet's first
                                layer (448 bytes, 16 channels, made ResNet-8's first layer 2 % faster and the
                                stack of every model with a narrow layer 224 bytes deeper) */
};

/* pass8 takes patches of at most PASS8_MAX_GROUPS groups (conv_pass.h): the general kernel's
 * eight-pixel ones and this kernel's */
typedef char conv_pass8_groups_check[EIGHT_MAX_K <= 4 * PASS8_MAX_GROUPS && NARROW_MAX_K <= 4 * PASS8_MAX_GROUPS ? 1 : -1];

/* How a channel is requantised (see the file comment). */
enum { NARROW_GENERAL, NARROW_ZP, NARROW_U, NARROW_DEAD };

/* Whether the narrow kernel takes this convolution, given the shape the general kernel chose
 * for the scratch it got. */
static inline int conv_narrow_takes(const nnom_conv_args *a, const conv_shape *s)
{
    /* (one channel: the patches of conv_first.h's passes, 3x9 and DS-CNN's 10x4) */
    return (a->in_c >= NARROW_MIN_IN_C || (a->in_c == 1 && first_takes(s->k))) && a->in_c <= NARROW_MAX_IN_C &&
           a->dil_w == 1 && s->k <= NARROW_MAX_K && (s->np == NARROW_PIXELS || s->np == NARROW_EIGHT);
}


typedef struct {
    const nnom_conv_args *a;
    int32_t k, groups;
    uint32_t neg_zp;      /* -in_zp in both int16 lanes */
    uint32_t zp_bytes;    /* in_zp in all four bytes */
    int8_t *staging;      /* the int8 patch, k + 4 bytes at least; NULL when rows are whole groups */
    int32_t run;          /* bytes of a kernel row: k_w * in_c */
    int32_t words;        /* words copied per kernel row: ceil(run / 4) */
    ptrdiff_t row_step;   /* input bytes between kernel rows: dil_h * in_w * in_c */
    uint32_t *cols;       /* the columns of a pass */
    int32_t gw;           /* words of one group of them: 2 * pixels of the pass (8 or 16) */
    int32_t ix_max, iy_max;  /* windows from input column ix0 in [0, ix_max], row iy0 in [0, iy_max] are inside */
    int32_t ox_lo, ox_hi;    /* the output columns whose windows' columns are inside (ox_hi < out_w) */
    first_run27 *r27;       /* narrow_gather_pass_27's arguments of its assembly */
    ptrdiff_t at_limit;   /* and, with staging, their first tap's offset at most this (the word copies end in the input) */
} narrow_ctx;

/* The column of a pixel whose window reaches into the padding (or whose word copies would read
 * past the input's end): the patch (or, rows of whole groups, each kernel row) as int8 with the
 * zero point in the padding, then widened. */
__attribute__((noinline)) static void narrow_gather_edge(const narrow_ctx *x, const int8_t *in, int32_t iy0,
                                                         int32_t ix0, uint32_t *dst)
{
    const nnom_conv_args *a = x->a;
    const int32_t k_h = a->k_h, in_c = a->in_c, run = x->run;
    /* the taps [kx0, kx1) of a kernel row inside the input (dil_w == 1), as bytes [b0, b1) */
    const int32_t kx0 = ix0 < 0 ? -ix0 : 0, kx1 = a->in_w - ix0 < a->k_w ? a->in_w - ix0 : a->k_w;
    const int32_t b0 = kx0 * in_c, b1 = kx1 > kx0 ? kx1 * in_c : b0;
    const uint32_t zp_bytes = x->zp_bytes;
    const int32_t words = x->words, row_groups = run >> 2;
    int8_t *st = x->staging;
    const int32_t gw = x->gw;
    if (run == 4) {
        /* a group a row (k_w 2 on 2 channels, 1 on 4; DS-CNN's 10x4 on one): built in a register, the
         * bytes [b0, b1) from the input (one word load where the word lies in the input tensor), the
         * others the zero point; a row in the padding widens to zeros */
        const uint32_t keep = b1 > b0 ? (0xFFFFFFFFu >> (8 * (4 - b1))) & (0xFFFFFFFFu << (8 * b0)) : 0u;
        const uint32_t fill = zp_bytes & ~keep, neg_zp = x->neg_zp;
        const int8_t *const in_end = in + (ptrdiff_t)a->in_h * a->in_w * in_c;
        const int32_t in_h = a->in_h, dil_h = a->dil_h;
        /* (locals: the stores to dst may alias x and a) */
        const int8_t *src = in + ((ptrdiff_t)iy0 * a->in_w + ix0) * in_c; /* kernel row 0 (read from b0 on) */
        const ptrdiff_t step = x->row_step;
        for (int32_t ky = 0, iy = iy0; ky < k_h; ky++, iy += dil_h, src += step, dst += gw) {
            if ((uint32_t)iy >= (uint32_t)in_h || !keep) {
                dst[0] = dst[1] = 0;
                continue;
            }
            uint32_t v;
            if (src >= in && src + 4 <= in_end) {
                v = (nnom_arm_load4(src) & keep) | fill;
            } else {
                v = zp_bytes;
                for (int32_t b = b0; b < b1; b++)
                    v = (v & ~(0xFFu << (8 * b))) | (uint32_t)(uint8_t)src[b] << (8 * b);
            }
            dst[0] = nnom_arm_widen_lo(neg_zp, v);
            dst[1] = nnom_arm_widen_hi(neg_zp, v);
        }
        return;
    }
    int8_t row[NARROW_MAX_K + 4];
    for (int32_t ky = 0; ky < k_h; ky++) {
        const int32_t iy = iy0 + ky * a->dil_h;
        const int outside = iy < 0 || iy >= a->in_h;
        if (!st && outside) { /* a row of whole groups in the padding: zeros */
            uint32_t *d = dst + ky * row_groups * gw;
            for (int32_t g = 0; g < row_groups; g++, d += gw) d[0] = d[1] = 0;
            continue;
        }
        /* the row's bytes, the zero point a word at a time (up to 3 bytes past the row: the next
         * row's place, or past k in the staging row's spare bytes), then the taps inside */
        int8_t *d = st ? st + ky * run : row;
        for (int32_t i = 0; i < words; i++) memcpy(d + 4 * i, &zp_bytes, 4);
        if (!outside) {
            const int8_t *src = in + ((ptrdiff_t)iy * a->in_w + ix0) * in_c; /* (read from b0 on) */
            for (int32_t b = b0; b < b1; b++) d[b] = src[b];
        }
        if (!st)
            widen_inline(dst + ky * row_groups * gw, gw, row, row_groups, x->neg_zp);
    }
    if (st) {
        memcpy(st + x->k, &x->zp_bytes, 4);
        widen_inline(dst, gw, st, x->groups, x->neg_zp);
    }
}



/* The columns of the n pixels of a pass into x->cols, the first pixel's window at input row
 * pos->iy0, column pos->ix0 (output column pos->ox), pos moved past the pass. */
typedef struct {
    int32_t iy0, ix0, ox;
} narrow_pos;

__attribute__((noinline)) static void narrow_gather_pass(const narrow_ctx *x, const int8_t *in, narrow_pos *pos,
                                                         int32_t n)
{
    const nnom_conv_args *a = x->a;
    /* (locals: the stores to the staging row may alias x) */
    const int32_t k_h = a->k_h, in_w = a->in_w, in_c = a->in_c, stride_w = a->stride_w, out_w = a->out_w;
    const int32_t run = x->run, words = x->words, groups = x->groups, ix_max = x->ix_max, iy_max = x->iy_max;
    const ptrdiff_t step = x->row_step, at_limit = x->at_limit;
    const uint32_t neg_zp = x->neg_zp, zp_bytes = x->zp_bytes;
    const int32_t gw = x->gw;
    int8_t *const patch = x->staging;
    int8_t *const patch_end = patch ? patch + x->k : NULL;
    int32_t iy0 = pos->iy0, ix0 = pos->ix0, ox = pos->ox;
    uint32_t *dst = x->cols;
    for (int32_t p = 0; p < n; p++, dst += 2) {
        const ptrdiff_t at = ((ptrdiff_t)iy0 * in_w + ix0) * in_c;
        if (iy0 < 0 || iy0 > iy_max || ix0 < 0 || ix0 > ix_max || at > at_limit) {
            narrow_gather_edge(x, in, iy0, ix0, dst);
        } else if (!patch) { /* kernel rows of whole groups, widened straight from the input */
            const int8_t *src = in + at;
            uint32_t *d = dst;
            if (run == 4) { /* one group a row (k_w 2 on 2 channels, 1 on 4) */
                for (int32_t ky = 0; ky < k_h; ky++, src += step, d += gw) {
                    const uint32_t v = nnom_arm_load4(src);
                    d[0] = nnom_arm_widen_lo(neg_zp, v);
                    d[1] = nnom_arm_widen_hi(neg_zp, v);
                }
            } else {
                for (int32_t ky = 0; ky < k_h; ky++, src += step, d += (run >> 2) * gw)
                    widen_inline(d, gw, src, run >> 2, neg_zp);
            }
        } else {
            const int8_t *src = in + at;
            int8_t *st = patch;
            for (int32_t ky = 0; ky < k_h; ky++, src += step, st += run)
                for (int32_t i = 0; i < words; i++) {
                    const uint32_t v = nnom_arm_load4(src + 4 * i);
                    memcpy(st + 4 * i, &v, 4);
                }
            memcpy(patch_end, &zp_bytes, 4);
            widen_inline(dst, gw, patch, groups, neg_zp);
        }
        ix0 += stride_w;
        if (++ox == out_w) {
            ox = 0;
            ix0 = -a->pad_left;
            iy0 += a->stride_h;
        }
    }
    pos->iy0 = iy0;
    pos->ix0 = ix0;
    pos->ox = ox;
}

/* narrow_gather_pass for the 3x3x3 (or 3x9x1) patch in passes of four pixels: the windows inside
 * the input, a run of them on one output row at a time (output columns [x->ox_lo, x->ox_hi]), built
 * by first_gather_27_run (its loads stay inside the window's rows: no test of the input's end).
 * (inlined in conv_narrow's loop: 2 % of MobileNet's first layer) */
static inline __attribute__((always_inline)) void narrow_gather_pass_27(const narrow_ctx *x, const int8_t *in,
                                                                        narrow_pos *pos, int32_t n)
{
    const nnom_conv_args *a = x->a;
    const int32_t out_w = a->out_w, stride_w = a->stride_w, pad_left = a->pad_left;
    first_run27 *const r = x->r27;
    int32_t iy0 = pos->iy0, ox = pos->ox;
    uint32_t *dst = x->cols;
    for (int32_t p = 0; p < n;) {
        const int32_t ix0 = ox * stride_w - pad_left;
        int32_t m = 1;
        if (iy0 >= 0 && iy0 <= x->iy_max && ox >= x->ox_lo && ox <= x->ox_hi) {
            m = x->ox_hi - ox + 1;
            if (m > n - p) m = n - p;
            r->end = dst + 2 * m;
            const int8_t *src = in + ((ptrdiff_t)iy0 * a->in_w + ix0) * a->in_c;
            first_gather_27_run4(src, x->row_step, dst, r);
        } else {
            narrow_gather_edge(x, in, iy0, ix0, dst);
        }
        p += m;
        dst += 2 * m;
        ox += m;
        if (ox == out_w) {
            ox = 0;
            iy0 += a->stride_h;
        }
    }
    pos->iy0 = iy0;
    pos->ix0 = ox * stride_w - pad_left;
    pos->ox = ox;
}

/* s[0..3] = s0 + the four columns at cols times the n >= 1 groups of weights at w. */
/* (out of line: the general forms and a short last pass use it; the fast ones run conv_pass.h's pass4) */
__attribute__((noinline)) static void narrow_dot4(const uint32_t *cols, const int8_t *w, int32_t n, int32_t s0,
                                                  int32_t s[4])
{
    /* (LDM fills its registers in ascending order: fixed ones; not r7, a frame pointer at -O0,
     * nor r9, a platform register in some ABIs) */
    register uint32_t d0 __asm__("r4"), d1 __asm__("r5"), d2 __asm__("r6"), d3 __asm__("r8");
    int32_t a0 = s0, a1 = s0, a2 = s0, a3 = s0;
    uint32_t wa, wb;
#define NARROW_GROUP                                            \
    "ldr    %[wa], [%[w]], #4\n\t"                              \
    "ldm    %[x]!, {%[d0], %[d1], %[d2], %[d3]}\n\t"            \
    "sxtb16 %[wb], %[wa], ror #8\n\t"                           \
    "sxtb16 %[wa], %[wa]\n\t"                                   \
    "smlad  %[a0], %[d0], %[wa], %[a0]\n\t"                     \
    "smlad  %[a0], %[d1], %[wb], %[a0]\n\t"                     \
    "smlad  %[a1], %[d2], %[wa], %[a1]\n\t"                     \
    "smlad  %[a1], %[d3], %[wb], %[a1]\n\t"                     \
    "ldm    %[x]!, {%[d0], %[d1], %[d2], %[d3]}\n\t"            \
    "smlad  %[a2], %[d0], %[wa], %[a2]\n\t"                     \
    "smlad  %[a2], %[d1], %[wb], %[a2]\n\t"                     \
    "smlad  %[a3], %[d2], %[wa], %[a3]\n\t"                     \
    "smlad  %[a3], %[d3], %[wb], %[a3]\n\t"
    __asm__ volatile("lsrs   %[n], %[n], #1\n\t"
                     "bcc    1f\n\t"
                     "adds   %[n], %[n], #1\n\t"
                     "b      2f\n"
                     "1:\n\t" NARROW_GROUP "2:\n\t" NARROW_GROUP
                     "subs   %[n], %[n], #1\n\t"
                     "bne    1b\n\t"
                     : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(cols), [w] "+r"(w),
                       [n] "+r"(n), [wa] "=&r"(wa), [wb] "=&r"(wb), [d0] "=&r"(d0), [d1] "=&r"(d1), [d2] "=&r"(d2),
                       [d3] "=&r"(d3)
                     :
                     : "cc", "memory");
#undef NARROW_GROUP
    s[0] = a0;
    s[1] = a1;
    s[2] = a2;
    s[3] = a3;
}

/* Channel c's requantisation form (see the file comment); bias_room: the largest |bias| of the
 * fast forms. */
static int narrow_form(const nnom_conv_args *a, int32_t c, int32_t bias_room)
{
    const int32_t m = a->multiplier[c], e = -a->shift[c];
    const int32_t b = a->bias ? ((const int32_t *)a->bias)[c] : 0;
    if (m == 0) return NARROW_DEAD;
    if (e < 1 || e > 22 || b > bias_room || b < -bias_room) return NARROW_GENERAL;
    return m > (1 << 30) ? NARROW_ZP : NARROW_U;
}

/* The n outputs of channel c (form f, bias b) from its sums (the dot products plus the bias in
 * the fast forms, alone in the general one), to o, o + out_c ...: any form, any pixel count. */
__attribute__((noinline)) static void narrow_quant_any(const nnom_conv_args *a, int f, int32_t b, int32_t c,
                                                       const int32_t *sum, int32_t n, int8_t *o)
{
    const int32_t m = a->multiplier[c], e = -a->shift[c], zp = a->out_zp, lo = a->act_min, hi = a->act_max;
    const nnom_conv_quant q = nnom_conv_quant_init(b, m, a->shift[c]);
    for (int32_t p = 0; p < n; p++) {
        int32_t v;
        if (f == NARROW_DEAD) v = zp;
        else if (f == NARROW_ZP) v = __ssat(nnom_arm_requant_zp(sum[p], m, nnom_arm_requant_zp_const(e, zp), e), 8);
        else if (f == NARROW_U) v = __ssat(nnom_arm_requant(sum[p], m, e, 1 << (e - 1)) + zp, 8);
        else { /* nnom_conv_quant_out() (not called: one call more makes GCC -Os keep it out of line
                * for the general kernel's every output too) */
            const int64_t y = nnom_conv_quant_apply(q, sum[p]) + zp;
            v = (int32_t)(y < lo ? lo : (y > hi ? hi : y));
        }
        o[p * a->out_c] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
    }
}

/* A run of consecutive output channels of one requantisation form. */
typedef struct {
    int32_t c0, c1;
    int form;
} narrow_run;

/* The outputs of channels [c0, c1) of a whole pass of np pixels (four, or eight with p8) to o
 * (channel 0 of pixel 0): the fast forms in conv_pass.h's pass4 or pass8 (weights in place below
 * n_safe, the zero-padded copy tail from there), then the narrower clamp; the general form with
 * nnom_conv_quant_out()'s arithmetic; a dead channel's constant. pass8 picks each channel's
 * fast form itself: the caller may hand it channels of both fast forms as one run. */
static void narrow_run_pass(const nnom_conv_args *a, pass4_args *p4, pass8_args *p8, const narrow_run *r,
                            int32_t n_safe, const int8_t *tail, int8_t *o)
{
    const int32_t k = p4->groups * 4 - p4->back, out_c = a->out_c, lo = a->act_min, hi = a->act_max;
    const int32_t np = p8 ? NARROW_EIGHT : NARROW_PIXELS;
    const int32_t *bias = (const int32_t *)a->bias;
    if (r->form == NARROW_DEAD) {
        const int32_t zp = a->out_zp;
        const int8_t v = (int8_t)(zp < lo ? lo : (zp > hi ? hi : zp));
        for (int32_t p = 0; p < np; p++)
            for (int32_t c = r->c0; c < r->c1; c++) o[p * out_c + c] = v;
        return;
    }
    if (r->form == NARROW_GENERAL) {
        const conv_shape sh = {k, p4->groups, 0, NARROW_EIGHT, 0};
        for (int32_t c = r->c0; c < r->c1; c++) {
            int32_t sum[NARROW_EIGHT];
            const int8_t *w = c < n_safe ? (const int8_t *)a->weights + (ptrdiff_t)c * k : tail + (c - n_safe) * k;
            if (p8)
                for (int32_t p = 0; p < NARROW_EIGHT; p++)
                    sum[p] = dot_1x1(&sh, p8->cols + 2 * p, 2 * NARROW_EIGHT, w, 0, 0);
            else
                narrow_dot4(p4->cols, w, p4->groups, 0, sum);
            narrow_quant_any(a, NARROW_GENERAL, bias ? bias[c] : 0, c, sum, np, o + c);
        }
        return;
    }
    for (int32_t part = 0; part < 2; part++) {
        /* the channels whose weights are read in place, then those on the copy */
        const int32_t c0 = part ? (r->c0 > n_safe ? r->c0 : n_safe) : r->c0;
        const int32_t c1 = part ? r->c1 : (r->c1 < n_safe ? r->c1 : n_safe);
        if (c1 <= c0) continue;
        const int8_t *w = part ? tail + (c0 - n_safe) * k : (const int8_t *)a->weights + (ptrdiff_t)c0 * k;
        if (p8) {
            p8->bias = bias ? bias + c0 : NULL;
            p8->mult = a->multiplier + c0;
            p8->shift = a->shift + c0;
            p8->n_ch = c1 - c0;
            p8->out = o + c0;
            pass8_fast(p8, w);
            continue;
        }
        p4->bias = bias ? bias + c0 : NULL;
        p4->mult = a->multiplier + c0;
        p4->shift = a->shift + c0;
        p4->n_ch = c1 - c0;
        if (r->form == NARROW_ZP) pass4_fast(p4, w, o + c0);
        else pass4_fast_u(p4, w, o + c0);
    }
    if (lo != -128 || hi != 127)
        for (int32_t p = 0; p < np; p++)
            for (int32_t c = r->c0; c < r->c1; c++) {
                int8_t *v = &o[p * out_c + c];
                *v = (int8_t)(*v < lo ? lo : (*v > hi ? hi : *v));
            }
}

/* The outputs of channels [r->c0, r->c1), all of the fast forms (NARROW_ZP, NARROW_U), of a whole
 * pass of four pixels to o: conv_first.h's pass fp on their pairs (weights in place below n_safe,
 * which is even, the zero-padded copy tail from there), an odd last one in narrow_run_pass; then
 * the narrower clamp. f: the pass's columns, patch length and the layer's constants set, its table
 * from `table`, channel 0's constants (first_table_entry()). */
__attribute__((noinline)) static void narrow_first_run(const nnom_conv_args *a, const int32_t *table, first_args *f,
                                                       pass4_args *p4,
                             const narrow_run *r, int32_t n_safe, const int8_t *tail, int32_t bias_room, int8_t *o)
{
    const int32_t k = p4->groups * 4 - p4->back, out_c = a->out_c, lo = a->act_min, hi = a->act_max;
    const int32_t *bias = (const int32_t *)a->bias;
    for (int32_t part = 0; part < 2; part++) {
        /* the channels whose weights are read in place, then those on the copy */
        const int32_t c0 = part ? (r->c0 > n_safe ? r->c0 : n_safe) : r->c0;
        const int32_t c1 = part ? r->c1 : (r->c1 < n_safe ? r->c1 : n_safe);
        if (c1 <= c0) continue;
        const int32_t pairs = (c1 - c0) & ~1;
        if (pairs) {
            f->mult = a->multiplier + c0;
            f->shift = a->shift + c0;
            f->bias = bias + c0;
            f->out = o + c0;
            f->n4 = 4 * pairs;
            f->table = table + FIRST_TABLE_ENTRY * c0;
            first_pass(f, part ? tail + (c0 - n_safe) * k : (const int8_t *)a->weights + (ptrdiff_t)c0 * k);
        }
        if (pairs < c1 - c0) {
            const narrow_run one = {c1 - 1, c1, narrow_form(a, c1 - 1, bias_room)};
            narrow_run_pass(a, p4, NULL, &one, n_safe, tail, o);
        }
    }
    if (lo != -128 || hi != 127)
        for (int32_t p = 0; p < FIRST_PIXELS; p++)
            for (int32_t c = r->c0; c < r->c1; c++) {
                int8_t *v = &o[p * out_c + c];
                *v = (int8_t)(*v < lo ? lo : (*v > hi ? hi : *v));
            }
}

/* Runs of channels per call (further channels: one at a time in the general form's code). */
#define NARROW_MAX_RUNS 16

/* The convolution (conv_narrow_takes() holds); scratch: the columns of s->np pixels, then the staging row. */
__attribute__((noinline)) static void conv_narrow(const nnom_conv_args *a, const conv_shape *s, const int8_t *in, int8_t *out, void *scratch)
{
    const int32_t out_c = a->out_c, n_pix = a->out_h * a->out_w, k = s->k, groups = s->groups;
    const int32_t *bias = (const int32_t *)a->bias;
    uint32_t *cols = (uint32_t *)scratch;
    narrow_ctx x;
    x.a = a;
    x.k = k;
    x.groups = groups;
    x.neg_zp = (uint32_t)(uint16_t)(int16_t)(-a->in_zp) * 0x00010001u;
    x.zp_bytes = (uint32_t)(uint8_t)a->in_zp * 0x01010101u;
    x.run = a->k_w * a->in_c;
    x.words = (x.run + 3) >> 2;
    x.row_step = (ptrdiff_t)a->dil_h * a->in_w * a->in_c;
    x.cols = cols;
    x.gw = 2 * NARROW_PIXELS;
    x.ix_max = a->in_w - a->k_w;
    x.iy_max = a->in_h - 1 - (a->k_h - 1) * a->dil_h;
    /* ox * stride_w - pad_left in [0, ix_max] */
    x.ox_lo = (a->pad_left + a->stride_w - 1) / a->stride_w;
    x.ox_hi = x.ix_max + a->pad_left >= 0 ? (x.ix_max + a->pad_left) / a->stride_w : -1;
    if (x.ox_hi > a->out_w - 1) x.ox_hi = a->out_w - 1;
    first_run27 r27;
    r27.pix_step = a->stride_w * a->in_c;
    r27.zp_top = x.zp_bytes & 0xFF000000u;
    r27.neg_zp = x.neg_zp;
    x.r27 = &r27;
    x.at_limit = (ptrdiff_t)a->in_h * a->in_w * a->in_c - ((a->k_h - 1) * x.row_step + ((x.run & 3) ? 4 * x.words : x.run));
    /* rows of whole groups need no staging; else it follows the columns (conv_shape's layout) */
    x.staging = (x.run & 3) ? (int8_t *)scratch + cols_bytes(s, s->np) : NULL;

    /* channel c reads weights [c * k, c * k + 4 * groups): those reading past the array (at most
     * three: 4 * groups - k <= 3) read a zero-padded copy; all of them when the whole array fits
     * in it (8 or 16 channels of 3x3x3: a run of channels is then one call per pass) */
    const int32_t over = 4 * groups - k;
    /* conv_first.h's passes on whole passes of four pixels when the patch is one of theirs (and
     * the layer has a bias): pairs of channels, each pair in place or on the copy (n_safe even) */
    const int fp = a->bias && first_takes(k) && out_c <= FIRST_TABLE_CHANNELS;
    int32_t n_safe = out_c - (over + k - 1) / k;
    if (fp) n_safe &= ~1;
    if (n_safe < 0 || out_c * k + over <= NARROW_COPY_BYTES) n_safe = 0;
    int8_t tail[NARROW_COPY_BYTES];
    memset(tail, 0, sizeof tail);
    memcpy(tail, (const int8_t *)a->weights + (ptrdiff_t)n_safe * k, (size_t)((out_c - n_safe) * k));

    /* runs of channels of one form; past NARROW_MAX_RUNS, the rest as one general run */
    const int32_t bias_room = (int32_t)((1 << 30) - 1 - k * 32640);
    narrow_run runs[NARROW_MAX_RUNS];
    int32_t n_runs = 0;
    for (int32_t c = 0; c < out_c; c++) {
        const int f = narrow_form(a, c, bias_room);
        if (n_runs && runs[n_runs - 1].form == f) {
            runs[n_runs - 1].c1 = c + 1;
        } else if (n_runs == NARROW_MAX_RUNS) {
            runs[n_runs - 1].form = NARROW_GENERAL; /* (narrow_run_pass's general code: any form) */
            runs[n_runs - 1].c1 = c + 1;
        } else {
            runs[n_runs].c0 = c;
            runs[n_runs].c1 = c + 1;
            runs[n_runs++].form = f;
        }
    }
    pass4_args p4;
    p4.cols = cols;
    p4.groups = groups;
    p4.zz = 2 * a->out_zp + 1;
    p4.out_c = out_c;
    p4.back = over;

    pass8_args p8;
    p8.cols = cols;
    p8.groups = groups;
    p8.zz = p4.zz;
    p8.out_c = out_c;
    p8.back = over;

    first_args fa;
    fa.cols = cols;
    fa.zz = p4.zz;
    fa.out_c = out_c;
    /* the output not over the input: a last pass of fewer than four pixels runs over the last four */
    const int redo = out + (ptrdiff_t)n_pix * out_c <= in || in + (ptrdiff_t)a->in_h * a->in_w * a->in_c <= out;
    /* every channel of a fast form, an even count, the weights all in place or all on the copy, no
     * narrower clamp: a whole pass is one call of the pass, its arguments set here */
    int one_call = fp && !(out_c & 1) && (n_safe == 0 || n_safe == out_c) && a->act_min == -128 && a->act_max == 127;
    for (int32_t r = 0; r < n_runs; r++) one_call &= runs[r].form == NARROW_ZP || runs[r].form == NARROW_U;
    const int8_t *const w_first = n_safe ? (const int8_t *)a->weights : tail;
    fa.kind = k == FIRST_K40 ? FIRST_KIND_40 : FIRST_KIND_27;
    /* the fast channels' constants in the passes' table, one LDM each */
    int32_t table[FIRST_TABLE_CHANNELS * FIRST_TABLE_ENTRY];
    fa.table = table;
    for (int32_t r = 0; fp && r < n_runs; r++)
        for (int32_t c = runs[r].c0; c < runs[r].c1 && (runs[r].form == NARROW_ZP || runs[r].form == NARROW_U); c++)
            first_table_entry(table + FIRST_TABLE_ENTRY * c, a->multiplier[c], a->shift[c], bias[c], p4.zz);
    if (one_call) {
        fa.mult = a->multiplier;
        fa.shift = a->shift;
        fa.bias = bias;
        fa.n4 = 4 * out_c;
    }

    narrow_pos pos = {-a->pad_top, -a->pad_left, 0};
    const int is27 = x.staging && x.run == 9 && a->k_h == 3;
    for (int32_t pix = 0, np; pix < n_pix; pix += np) {
        /* eight pixels per pass while eight remain and the scratch holds their columns; then four */
        np = s->np == NARROW_EIGHT && n_pix - pix >= NARROW_EIGHT && !fp ? NARROW_EIGHT : NARROW_PIXELS;
        if (fp && redo && n_pix - pix < np && n_pix >= np) {
            /* the last pixels, fewer than a pass: a whole pass again over the layer's last four (those
             * computed before get the same bytes again) */
            pix = n_pix - np;
            pos.ox = pix % a->out_w;
            pos.iy0 = pix / a->out_w * a->stride_h - a->pad_top;
            pos.ix0 = pos.ox * a->stride_w - a->pad_left;
        }
        x.gw = 2 * np;
        const int32_t n = n_pix - pix < np ? n_pix - pix : np;
        if (is27 && np == NARROW_PIXELS) narrow_gather_pass_27(&x, in, &pos, n);
        else narrow_gather_pass(&x, in, &pos, n);
        int8_t *o = out + (ptrdiff_t)pix * out_c;
        if (np == NARROW_EIGHT) {
            /* consecutive runs of the two fast forms as one: pass8 picks each channel's form */
            for (int32_t r = 0, r1; r < n_runs; r = r1 + 1) {
                narrow_run m = runs[r];
                r1 = r;
                if (m.form == NARROW_ZP || m.form == NARROW_U)
                    while (r1 + 1 < n_runs && (runs[r1 + 1].form == NARROW_ZP || runs[r1 + 1].form == NARROW_U))
                        m.c1 = runs[++r1].c1;
                narrow_run_pass(a, &p4, &p8, &m, n_safe, tail, o);
            }
            continue;
        }
        if (n == NARROW_PIXELS && one_call) {
            fa.out = o;
            first_pass(&fa, w_first);
            continue;
        }
        if (n == NARROW_PIXELS && fp) {
            /* consecutive runs of the two fast forms as one: the pass picks each channel's form */
            for (int32_t r = 0, r1; r < n_runs; r = r1 + 1) {
                narrow_run m = runs[r];
                r1 = r;
                if (m.form != NARROW_ZP && m.form != NARROW_U) {
                    narrow_run_pass(a, &p4, NULL, &m, n_safe, tail, o);
                    continue;
                }
                while (r1 + 1 < n_runs && (runs[r1 + 1].form == NARROW_ZP || runs[r1 + 1].form == NARROW_U))
                    m.c1 = runs[++r1].c1;
                narrow_first_run(a, table, &fa, &p4, &m, n_safe, tail, bias_room, o);
            }
            continue;
        }
        if (n == NARROW_PIXELS) {
            for (int32_t r = 0; r < n_runs; r++) narrow_run_pass(a, &p4, NULL, &runs[r], n_safe, tail, o);
            continue;
        }
        /* a short last pass (the sums of the unused columns, stale data, are dropped) */
        const int8_t *w = (const int8_t *)a->weights;
        for (int32_t c = 0, r = 0; c < out_c; c++, w += k) {
            while (c >= runs[r].c1) r++;
            const int f = runs[r].form;
            const int32_t b = bias ? bias[c] : 0;
            int32_t sum[NARROW_PIXELS] = {0, 0, 0, 0};
            if (f != NARROW_DEAD)
                narrow_dot4(cols, c < n_safe ? w : tail + (c - n_safe) * k, groups, f == NARROW_GENERAL ? 0 : b, sum);
            narrow_quant_any(a, f, b, c, sum, n, o + c);
        }
    }
}

#endif
