/*
 * The walk of the channel pairs' strips (kernels/arm/conv_pairs_rows.h, which includes this file
 * after its pass routines) and their entry, nnom_arm_conv2d_pairs_strips: the slots filled as
 * conv_rows16.h's strips fill them, each 16 channels' sum of x = in - in_zp stored beside (the
 * window sums S that channel A's sums need: pairs_columns, pairs_window), the passes of rows16_passes /
 * rows2_passes.
 */
#ifndef NNOM_KERNELS_ARM_CONV_PAIRS_WALK_H
#define NNOM_KERNELS_ARM_CONV_PAIRS_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/arm/conv_rows16.h"
#include "kernels/arm/conv_rows2.h"

/* rows16_widen's unit (16 channels of a pixel) and then its sum: the eight widened words added as
 * int16 pairs (seven SADD16: |x| <= 255, eight to a lane), the two lanes by one SMUAD with r12 =
 * PAIRS_ONES, stored at lr as an int16 (|sum| <= 16 255): 9 instructions, 11 estimated cycles a unit
 * beside rows16_widen's 22. */
#define PAIRS_ONES "0x00010001"
#define PAIRS_WIDEN4                                 \
    ROWS16_WIDEN4                                    \
    "sadd16 r4, r4, r5\n\t"                          \
    "sadd16 r6, r6, r7\n\t"                          \
    "sadd16 r8, r8, r9\n\t"                          \
    "sadd16 r10, r10, r11\n\t"                       \
    "sadd16 r4, r4, r6\n\t"                          \
    "sadd16 r8, r8, r10\n\t"                         \
    "sadd16 r4, r4, r8\n\t"                          \
    "smuad  r4, r4, r12\n\t"                         \
    "strh   r4, [lr], #2\n\t"
/* rows16_widen (units >= 1 runs of 16 int8 widened from src minus the zero point into dst), each
 * unit's sum of x into sums[0 .. units) (the fifth argument, on the stack). */
__attribute__((naked, noinline)) static void pairs_widen(ARG uint32_t *dst, ARG const int8_t *src, ARG uint32_t neg_zp,
                                                         ARG int32_t units, ARG int16_t *sums)
{
    __asm__ volatile("push   {r4-r11, lr}\n\t"
                     "ldr    lr, [sp, #36]\n\t"
                     "and    r4, r3, #3\n\t"
                     "adds   r3, r3, #3\n\t"
                     "lsrs   r3, r3, #2\n\t" /* loop passes: ceil(units / 4) */
                     "mov    r12, #" PAIRS_ONES "\n\t"
                     "cmp    r4, #2\n\t"
                     "beq    3f\n\t"
                     "bhi    2f\n\t"
                     "cmp    r4, #1\n\t"
                     "beq    4f\n"
                     "1:\n\t" PAIRS_WIDEN4
                     "2:\n\t" PAIRS_WIDEN4
                     "3:\n\t" PAIRS_WIDEN4
                     "4:\n\t" PAIRS_WIDEN4
                     "subs   r3, r3, #1\n\t"
                     "bne    1b\n\t"
                     "pop    {r4-r11, pc}\n\t");
}
#undef PAIRS_WIDEN4

/* pairs_fill() where a pixel or the row is in the padding (rows16_fill_edge with the sums). */
__attribute__((noinline)) static void pairs_fill_edge(const rows16_src *f, int32_t iy, int32_t ix0, uint32_t *slot,
                                                      int16_t *sums, int32_t n)
{
    const int32_t j0 = ix0 < 0 ? -ix0 : 0, j1 = f->in_w - ix0 < n ? f->in_w - ix0 : n, u = f->pixel_units;
    if ((uint32_t)iy >= f->in_h || j1 <= j0) {
        rows16_zero(slot, n * f->pixel_words);
        memset(sums, 0, (size_t)(n * u) * sizeof *sums);
        return;
    }
    rows16_zero(slot, j0 * f->pixel_words);
    memset(sums, 0, (size_t)(j0 * u) * sizeof *sums);
    pairs_widen(slot + j0 * f->pixel_words, f->in + (ptrdiff_t)iy * f->row_bytes + (ptrdiff_t)(ix0 + j0) * f->c,
                f->neg_zp, (j1 - j0) * u, sums + j0 * u);
    rows16_zero(slot + j1 * f->pixel_words, (n - j1) * f->pixel_words);
    memset(sums + j1 * u, 0, (size_t)((n - j1) * u) * sizeof *sums);
}

/* Input row iy's pixels [ix0, ix0 + n) widened into slot, their units' sums into sums (0 outside). */
static inline __attribute__((always_inline)) void pairs_fill(const rows16_src *f, int32_t iy, int32_t ix0,
                                                             uint32_t *slot, int16_t *sums, int32_t n)
{
    if ((uint32_t)iy < f->in_h && ix0 >= 0 && ix0 + n <= f->in_w)
        pairs_widen(slot, f->in + (ptrdiff_t)iy * f->row_bytes + (ptrdiff_t)ix0 * f->c, f->neg_zp,
                    n * f->pixel_units, sums);
    else
        pairs_fill_edge(f, iy, ix0, slot, sums, n);
}

/* The window sums of a strip's n slot pixels (u units a pixel): col[p] = pixel p's sum over the three
 * slots' sums s, once per output row for its passes. */
static inline void pairs_columns(int32_t *col, int16_t *const s[ROWS16_K], int32_t u, int32_t n)
{
    for (int32_t p = 0; p < n; p++) {
        const int16_t *s0 = s[0] + p * u, *s1 = s[1] + p * u, *s2 = s[2] + p * u;
        int32_t sum = 0;
        for (int32_t i = 0; i < u; i++) sum += s0[i] + s1[i] + s2[i];
        col[p] = sum;
    }
}

/* 128 S of a pass's two pixels into pr->u: the windows' three columns from col[j], pixel 1's @p step
 * columns later. */
static inline void pairs_window(pairs_args *pr, const int32_t *col, int32_t j, int32_t step)
{
    pr->u[0] = (col[j] + col[j + 1] + col[j + 2]) * (int32_t)NNOM_CONV_PAIR_FLIP;
    pr->u[1] = (col[j + step] + col[j + step + 1] + col[j + step + 2]) * (int32_t)NNOM_CONV_PAIR_FLIP;
}

/* A strip's pass: kernel rows 0, 1, 2 from slots r0 + at, r1 + at, r2 + at, the output pixel pair at o
 * (its block's first channel). */
static inline void pairs_pass(pairs_args *pr, void (*pass)(const pairs_args *), uint32_t *const r[ROWS16_K],
                              int32_t at, int8_t *o)
{
    pr->rows[0] = r[0] + at;
    pr->rows[1] = r[1] + at;
    pr->rows[2] = r[2] + at;
    pr->out = o;
    pr->end = o + pr->n_ch;
    pass(pr);
}

/* The most input channels (nnom_conv_pairs_fit), and the most that take slots of ROWS16_WIDE pixels. */
#define PAIRS_MAX_C 128
#define PAIRS_WIDE_MAX_C 64
/* Most 16-channel units of a slot: ROWS16_WIDE pixels of PAIRS_WIDE_MAX_C channels, ROWS2_PIXELS or
 * ROWS16_PIXELS of PAIRS_MAX_C. */
#define PAIRS_SLOT_UNITS (ROWS2_PIXELS * PAIRS_MAX_C / ROWS16_C)
_Static_assert(PAIRS_SLOT_UNITS >= ROWS16_WIDE * PAIRS_WIDE_MAX_C / ROWS16_C && ROWS2_PIXELS >= ROWS16_PIXELS,
               "the sums of a slot");

/* Every pass of a stride-1 layer, as rows16_passes walks them (slots of ROWS16_WIDE pixels with
 * @p wide), by @p pass, for the block of channels of pr (table, w, out_c, n_ch prepared) from
 * @p out (its first channel). */
__attribute__((noinline)) static void pairs_passes1(const nnom_conv_args *a, pairs_args *pr,
                                                    void (*pass)(const pairs_args *), const rows16_src *f,
                                                    uint32_t *slots, int16_t *sums, int8_t *out, int clamp, int wide)
{
    const int32_t out_c = a->out_c, c = a->in_c, q_max = wide ? (ROWS16_WIDE - 2) / 2 : 1, u = f->pixel_units;
    const int32_t n_max = 2 * q_max + 2, slot_words = n_max * c / 2, slot_sums = n_max * u;
    const ptrdiff_t row_out = (ptrdiff_t)a->out_w * out_c;
    for (int32_t ox = 0; ox < a->out_w; ox += 2 * q_max) {
        const int32_t q = a->out_w - ox >= 2 * q_max ? q_max : 1, n = 2 * q + 2, ix0 = ox - a->pad_left;
        uint32_t *r[ROWS16_K] = {slots, slots + slot_words, slots + 2 * slot_words};
        int16_t *s[ROWS16_K] = {sums, sums + slot_sums, sums + 2 * slot_sums};
        pairs_fill(f, -a->pad_top, ix0, r[0], s[0], n);
        pairs_fill(f, -a->pad_top + 1, ix0, r[1], s[1], n);
        int8_t *o = out + (ptrdiff_t)ox * out_c;
        for (int32_t oy = 0; oy < a->out_h; oy++, o += row_out) {
            pairs_fill(f, oy - a->pad_top + 2, ix0, r[2], s[2], n);
            int32_t col[ROWS16_WIDE];
            pairs_columns(col, s, u, n);
            for (int32_t j = 0; j < q; j++) { /* (a pass's windows: two pixels, c words, on) */
                pairs_window(pr, col, 2 * j, 1);
                pairs_pass(pr, pass, r, j * c, o + 2 * j * out_c);
            }
            if (clamp) clamp_pass(o, pr->n_ch, 2 * q, out_c, a->act_min, a->act_max);
            uint32_t *const t = r[0];
            int16_t *const ts = s[0];
            r[0] = r[1], r[1] = r[2], r[2] = t;
            s[0] = s[1], s[1] = s[2], s[2] = ts;
        }
    }
}

/* Every pass of a stride-2 layer, as rows2_passes walks them, by @p pass. */
__attribute__((noinline)) static void pairs_passes2(const nnom_conv_args *a, pairs_args *pr,
                                                    void (*pass)(const pairs_args *), const rows16_src *f,
                                                    uint32_t *slots, int16_t *sums, int8_t *out, int clamp)
{
    const int32_t out_c = a->out_c, u = f->pixel_units, slot_words = ROWS2_PIXELS * a->in_c / 2;
    const int32_t slot_sums = ROWS2_PIXELS * u;
    const ptrdiff_t row_out = (ptrdiff_t)a->out_w * out_c;
    for (int32_t ox = 0; ox < a->out_w; ox += 2) {
        const int32_t ix0 = 2 * ox - a->pad_left;
        uint32_t *r[ROWS16_K] = {slots, slots + slot_words, slots + 2 * slot_words};
        int16_t *s[ROWS16_K] = {sums, sums + slot_sums, sums + 2 * slot_sums};
        pairs_fill(f, -a->pad_top, ix0, r[0], s[0], ROWS2_PIXELS);
        int8_t *o = out + (ptrdiff_t)ox * out_c;
        for (int32_t oy = 0, iy0 = -a->pad_top; oy < a->out_h; oy++, iy0 += 2, o += row_out) {
            pairs_fill(f, iy0 + 1, ix0, r[1], s[1], ROWS2_PIXELS);
            pairs_fill(f, iy0 + 2, ix0, r[2], s[2], ROWS2_PIXELS);
            int32_t col[ROWS2_PIXELS];
            pairs_columns(col, s, u, ROWS2_PIXELS);
            pairs_window(pr, col, 0, 2);
            pairs_pass(pr, pass, r, 0, o);
            if (clamp) clamp_pass(o, pr->n_ch, 2, out_c, a->act_min, a->act_max);
            uint32_t *const t = r[0];
            int16_t *const ts = s[0];
            r[0] = r[2], r[2] = r[1], r[1] = t;
            s[0] = s[2], s[2] = s[1], s[1] = ts;
        }
    }
}

/* The pass routine of c input channels (stride 2 when @p s2): a straight one of conv_pairs_rows.h where
 * there is one (not in the compact forms), else pairs_loop. */
static void (*pairs_pass_of(int32_t c, int s2))(const pairs_args *)
{
#if NNOM_COMPACT_KERNELS
    (void)c;
    (void)s2;
#else
    if (s2 && (c == ROWS16_C || c == ROWS32_C)) return c == ROWS16_C ? pairs_rows2 : pairs_rows2w;
    if (!s2 && (c == ROWS16_C || c == ROWS32_C || c == ROWS64_C))
        return c == ROWS16_C ? pairs_rows16 : c == ROWS32_C ? pairs_rows32 : pairs_rows64;
#endif
    return pairs_loop;
}

/* Output channels a call of the walk computes: their table (pairs_table) on the stack; more in blocks
 * of it, each walking the layer (widening its slots) again. */
#define PAIRS_BLOCK_CHANNELS 64

int nnom_arm_conv2d_pairs_strips(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                                 uint32_t scratch_bytes)
{
    const int32_t out_c = a->out_c, c = a->in_c, n_pix = a->out_h * a->out_w;
    const int apart = (uintptr_t)(out + (ptrdiff_t)n_pix * out_c) <= (uintptr_t)in ||
                      (uintptr_t)(in + (ptrdiff_t)a->in_h * a->in_w * c) <= (uintptr_t)out;
    if (!apart || !nnom_conv_pairs_fit(a)) return 0;
    const int s2 = a->stride_h == 2;
    const uint32_t slots = s2 ? ROWS2_SLOTS_BYTES(c) : 3u * ROWS16_PIXELS * 2u * (uint32_t)c;
    if (slots > scratch_bytes) return 0;
    int32_t table[2 + PAIRS_BLOCK_CHANNELS / 2 * PAIRS_WORDS];
    int16_t sums[ROWS16_K * PAIRS_SLOT_UNITS];
    const int32_t *const bias = (const int32_t *)a->bias;
    const ptrdiff_t pair_bytes = 2 * nnom_conv_pairs_patch(9 * c);
    rows16_src f;
    f.in = in;
    f.in_h = (uint32_t)a->in_h;
    f.in_w = a->in_w;
    f.c = c;
    f.row_bytes = a->in_w * c;
    f.pixel_words = c / 2;
    f.pixel_units = c / ROWS16_C;
    f.neg_zp = (uint32_t)(uint16_t)(int16_t)(-a->in_zp) * 0x00010001u;
    const int clamp = a->act_min != -128 || a->act_max != 127;
    const int wide = c <= PAIRS_WIDE_MAX_C && 3u * ROWS16_WIDE * 2u * (uint32_t)c <= scratch_bytes;
    pairs_args pr;
    pr.table = table;
    pr.out_c = out_c;
    pr.d = (s2 ? 4 : 2) * c; /* (pairs_loop: one or two pixels of c / 2 words) */
    pr.row_bytes = 6 * c;
    void (*const pass)(const pairs_args *) = pairs_pass_of(c, s2);
    for (int32_t c0 = 0; c0 < out_c; c0 += PAIRS_BLOCK_CHANNELS) {
        pr.n_ch = out_c - c0 < PAIRS_BLOCK_CHANNELS ? out_c - c0 : PAIRS_BLOCK_CHANNELS;
        pairs_table(table, bias + c0, a->multiplier + c0, a->shift + c0, pr.n_ch, a->out_zp);
        pr.w = (const uint8_t *)a->weights + c0 / 2 * pair_bytes;
        if (s2) pairs_passes2(a, &pr, pass, &f, (uint32_t *)scratch, sums, out + c0, clamp);
        else pairs_passes1(a, &pr, pass, &f, (uint32_t *)scratch, sums, out + c0, clamp, wide);
    }
    return 1;
}

#endif
