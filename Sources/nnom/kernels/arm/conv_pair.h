/*
 * Two-pixel passes of the Cortex-M DSP convolution (kernels/arm/conv_s8.c, which includes this
 * file before its entry; conv_pass.h's pass2 computes them) on patches of whole groups (in_c a
 * multiple of 4, dil_w == 1): both pixels' patches gathered together, and the layers whose every
 * pass is two pixels of one output row walked by a loop of their own. The columns' layout is
 * pass2's: per group of four patch elements the int16 pairs (e0, e2), (e1, e3) of pixel 0, then
 * of pixel 1 (16 bytes a group).
 *
 * Why: on ResNet-8's 16 -> 16 3x3 layers (patch of 144, 4,608 MACs a pass) the general driver
 * and im2col spent about 300 and 720 estimated cycles a pass (a call per kernel row and pixel
 * at the edges, the run loop, pass2's arguments set at every pass): 0.22 cycles per MAC beside
 * pass2's 1.37. Here about 100 and 550 (conv3x3_32x32x16to16: 1.64 -> 1.55).
 */
#ifndef NNOM_KERNELS_ARM_CONV_PAIR_H
#define NNOM_KERNELS_ARM_CONV_PAIR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/arm/arm_dsp.h"
#include "kernels/arm/conv_pass.h"
#include "kernels/arm/conv_pass2t.h"
#include "kernels/arm/conv_rows16.h"
#include "kernels/arm/conv_rows2.h"

/* The two-pixel layout (np 2: a group's four words are p0 lo, p0 hi, p1 lo, p1 hi), the whole
 * patches of a pass in one call: rows >= 1 kernel rows of row_groups >= 1 groups each, pixel 0's
 * row r from src + r * (4 * row_groups + row_skip) (any alignment), pixel 1's pix_step bytes
 * after it, minus the zero point, into dst, one row after another. Per group of both pixels two
 * LDR (each word straight into the register of its high pairs), four SXTAB16 and one STM of the
 * group's four words (which also steps dst): 12 estimated cycles and 1 of loop (four groups per
 * pass, row_groups % 4 of them first, by entering the pass at that copy), and about 10 per kernel
 * row. */
__attribute__((noinline)) static void widen_pair_rows(uint32_t *dst, const int8_t *src, int32_t pix_step,
                                                      int32_t row_skip, int32_t rows, int32_t row_groups,
                                                      uint32_t neg_zp)
{
    /* (STM stores in ascending register order: fixed registers) */
    register uint32_t l0 __asm__("r4"), h0 __asm__("r5"), l1 __asm__("r6"), h1 __asm__("r8");
    int32_t n;
#define PAIR_GROUP                                     \
    "ldr     %[h1], [%[s], %[ps]]\n\t"                 \
    "ldr     %[h0], [%[s]], #4\n\t"                    \
    "sxtab16 %[l0], %[zp], %[h0]\n\t"                  \
    "sxtab16 %[h0], %[zp], %[h0], ror #8\n\t"          \
    "sxtab16 %[l1], %[zp], %[h1]\n\t"                  \
    "sxtab16 %[h1], %[zp], %[h1], ror #8\n\t"          \
    "stm     %[d]!, {%[l0], %[h0], %[l1], %[h1]}\n\t"
    __asm__ volatile("5:\n\t" /* a kernel row: ceil(rg / 4) passes, the first entered at copy 4 - rg % 4 */
                     "adds    %[n], %[rg], #3\n\t"
                     "lsrs    %[n], %[n], #2\n\t"
                     "ands    %[l0], %[rg], #3\n\t"
                     "beq     1f\n\t"
                     "cmp     %[l0], #2\n\t"
                     "beq     3f\n\t"
                     "bhi     2f\n\t"
                     "b       4f\n"
                     "1:\n\t" PAIR_GROUP
                     "2:\n\t" PAIR_GROUP
                     "3:\n\t" PAIR_GROUP
                     "4:\n\t" PAIR_GROUP
                     "subs    %[n], %[n], #1\n\t"
                     "bne     1b\n\t"
                     "add     %[s], %[s], %[skip]\n\t"
                     "subs    %[rows], %[rows], #1\n\t"
                     "bne     5b\n\t"
                     : [d] "+r"(dst), [s] "+r"(src), [rows] "+r"(rows), [n] "=&r"(n), [l0] "=&r"(l0), [h0] "=&r"(h0),
                       [l1] "=&r"(l1), [h1] "=&r"(h1)
                     : [zp] "r"(neg_zp), [ps] "r"(pix_step), [skip] "r"(row_skip), [rg] "r"(row_groups)
                     : "cc", "memory");
#undef PAIR_GROUP
}

/* The same when row_groups is a multiple of PAIR_ROW_QUAD (every ResNet-8 3x3 layer: 12, 24, 48):
 * two groups of both pixels at a time, four LDR (p1's word before p0's, which steps src), eight
 * SXTAB16 into r4-r11 and one STM of the eight words (22 estimated cycles for two groups, against
 * 24 in widen_pair_rows), four groups per pass of the loop and no entry into it to compute: 12
 * estimated cycles a group and about 9 a kernel row, against 13 and 15 (conv3x3_32x32x16to16:
 * about 48 cycles less per pass). Registers: r0 dst, r1 src, r2 pix_step, r3 neg_zp, r12 the
 * passes left in the row, lr the rows left; row_skip and row_groups stay on the stack. Same
 * arguments as widen_pair_rows. */
#define PAIR_ROW_QUAD 4
#define PAIR_GROUP2                                   \
    "ldr     r7, [r1, r2]\n\t"                         \
    "ldr     r5, [r1], #4\n\t"                         \
    "ldr     r11, [r1, r2]\n\t"                        \
    "ldr     r9, [r1], #4\n\t"                         \
    "sxtab16 r4, r3, r5\n\t"                           \
    "sxtab16 r5, r3, r5, ror #8\n\t"                   \
    "sxtab16 r6, r3, r7\n\t"                           \
    "sxtab16 r7, r3, r7, ror #8\n\t"                   \
    "sxtab16 r8, r3, r9\n\t"                           \
    "sxtab16 r9, r3, r9, ror #8\n\t"                   \
    "sxtab16 r10, r3, r11\n\t"                         \
    "sxtab16 r11, r3, r11, ror #8\n\t"                 \
    "stm     r0!, {r4-r11}\n\t"
/* (naked: the body is the assembly alone; dst, src, pix_step, row_skip in r0-r3, rows, row_groups,
 * neg_zp on the stack: once r3-r11 and lr are pushed, row_skip at [sp], the others at [sp, #40],
 * [sp, #44], [sp, #48]) */
__attribute__((naked, noinline)) static void widen_pair_rows4(ARG uint32_t *dst, ARG const int8_t *src,
                                                              ARG int32_t pix_step, ARG int32_t row_skip,
                                                              ARG int32_t rows, ARG int32_t row_groups,
                                                              ARG uint32_t neg_zp)
{
    __asm__ volatile("push    {r3-r11, lr}\n\t"
                     "ldr     lr, [sp, #40]\n\t"     /* rows */
                     "ldr     r3, [sp, #48]\n"        /* neg_zp */
                     "5:\n\t"                        /* a kernel row */
                     "ldr     r12, [sp, #44]\n\t"
                     "lsrs    r12, r12, #2\n"         /* row_groups / PAIR_ROW_QUAD */
                     "1:\n\t" PAIR_GROUP2 PAIR_GROUP2
                     "subs    r12, r12, #1\n\t"
                     "bne     1b\n\t"
                     "ldr     r12, [sp]\n\t"         /* row_skip */
                     "add     r1, r1, r12\n\t"
                     "subs    lr, lr, #1\n\t"
                     "bne     5b\n\t"
                     "pop     {r3-r11, pc}\n\t");
}
#undef PAIR_GROUP2

/* The patches of a two-pixel pass (np 2, in_c a multiple of 4, dil_w == 1) whose two windows,
 * on one output row, first taps at (iy0, ix0) and (iy0, ix0 + stride_w), reach into the
 * padding: per kernel row inside the input, the taps both windows have inside widened together
 * (widen_pair_rows), each pixel's other taps inside widened alone, its taps in the padding
 * zero; a kernel row in the padding zero for both. */
__attribute__((noinline)) static void im2col_pair_edge(const conv_ctx *x, const int8_t *in, int32_t iy0, int32_t ix0,
                                                       uint32_t *dst)
{
    const nnom_conv_args *a = x->a;
    const int32_t cg = a->in_c / 4, row_groups = x->row_groups, k_w = a->k_w;
    int32_t b[2], e[2];
    for (int32_t j = 0; j < 2; j++) { /* (a window wholly in the padding: no tap inside) */
        tap_range(a, ix0 + j * a->stride_w, &b[j], &e[j]);
        if (b[j] > k_w) b[j] = e[j] = k_w;
    }
    /* the taps inside for both: [both0, both1) */
    const int32_t both0 = b[0] > b[1] ? b[0] : b[1];
    const int32_t both1 = e[0] < e[1] ? e[0] : e[1];
    for (int32_t ky = 0; ky < a->k_h; ky++, dst += 4 * row_groups) {
        const int32_t iy = iy0 + ky * a->dil_h;
        if (iy < 0 || iy >= a->in_h) {
            memset(dst, 0, 16 * (size_t)row_groups);
            continue;
        }
        const int8_t *row = in + (ptrdiff_t)iy * a->in_w * a->in_c;
        for (int32_t j = 0; j < 2; j++) {
            uint32_t *d = dst + 2 * j;
            const int32_t ix = ix0 + j * a->stride_w; /* the window's first tap, in the padding or not */
            /* taps [0, b), [e, k_w) in the padding; [b, both0), [both1, e) of this pixel alone */
            const int32_t lo = both0 < both1 ? both0 : e[j], hi = both0 < both1 ? both1 : e[j];
            zero_groups(d, 4, b[j] * cg);
            if (lo > b[j])
                widen(d + 4 * b[j] * cg, 4, row + (ptrdiff_t)(ix + b[j]) * a->in_c, (lo - b[j]) * cg, x->neg_zp);
            if (e[j] > hi) widen(d + 4 * hi * cg, 4, row + (ptrdiff_t)(ix + hi) * a->in_c, (e[j] - hi) * cg, x->neg_zp);
            zero_groups(d + 4 * e[j] * cg, 4, (k_w - e[j]) * cg);
        }
        if (both0 < both1)
            ((both1 - both0) * cg % PAIR_ROW_QUAD ? widen_pair_rows : widen_pair_rows4)(
                dst + 4 * both0 * cg, row + (ptrdiff_t)(ix0 + both0) * a->in_c, x->pix_step, 0, 1,
                (both1 - both0) * cg, x->neg_zp);
    }
}

/* Every pass of the layer (out_w even: each pass two pixels of one output row), pa prepared for
 * all out_c channels (an even run of fast channels), the columns at x->cols: per pass the two
 * patches (widen_pair_rows4, or widen_pair_rows, when both windows lie inside the input: ix0 in
 * [0, ix_max - stride_w], iy0 in [0, iy_max]; else im2col_pair_edge), the end group, one call of
 * pass2_fast for all channels, the narrower clamp when there is one. */
__attribute__((noinline)) static void pair_passes(const conv_ctx *x, pass2_args *pa, const int8_t *in, int8_t *out,
                                                  int32_t ix_max, int32_t iy_max, int clamp)
{
    const nnom_conv_args *a = x->a;
    const int32_t n_pix = a->out_h * a->out_w, out_c = a->out_c, sw = a->stride_w;
    const int32_t row_skip = (int32_t)x->step - 4 * x->row_groups;
    uint32_t *end = x->cols + 4 * pa->groups;
    void (*const widen_rows)(uint32_t *, const int8_t *, int32_t, int32_t, int32_t, int32_t, uint32_t) =
        x->row_groups % PAIR_ROW_QUAD ? widen_pair_rows : widen_pair_rows4;
    int32_t iy0 = -a->pad_top, ix0 = -a->pad_left, ox = 0;
    for (int32_t pix = 0; pix < n_pix; pix += 2) {
        if (ix0 >= 0 && ix0 + sw <= ix_max && iy0 >= 0 && iy0 <= iy_max)
            widen_rows(x->cols, in + ((ptrdiff_t)iy0 * a->in_w + ix0) * a->in_c, x->pix_step, row_skip, a->k_h,
                       x->row_groups, x->neg_zp);
        else
            im2col_pair_edge(x, in, iy0, ix0, x->cols);
        memcpy(pa->last, end, sizeof pa->last);
        end[0] = COLS_END;
        pa->out = out + (ptrdiff_t)pix * out_c;
        pass2_fast(pa);
        end[0] = pa->last[0];
        if (clamp) clamp_pass(pa->out, out_c, 2, out_c, a->act_min, a->act_max);
        ix0 += 2 * sw;
        ox += 2;
        if (ox == a->out_w) {
            ox = 0;
            ix0 = -a->pad_left;
            iy0 += a->stride_h;
        }
    }
}

/* A layer whose passes pair_passes() walks (pa prepared for all its channels): with a bias, 3x3 at
 * stride 2 on 16 or 32 channels (rows2_takes) in rows2_passes, on 16 its table (pass2t_table's) in
 * @p buf or after its slots; 3x3 at stride 1 on 16, 32 or 64 channels (rows16_takes; @p apart: the output
 * not over the input) in rows16_passes, its table (rows16_table; pass2t_table's for 32 and 64) in
 * @p buf (buf_bytes, free for it) or after its slots when the scratch holds it; else (no bias, or
 * no room for the table) pair_passes. */
static void pair_layer(conv_ctx *x, pass2_args *pa, int32_t *buf, uint32_t buf_bytes, void *scratch,
                       uint32_t scratch_bytes, const int8_t *in, int8_t *out, int32_t ix_max, int32_t iy_max, int clamp,
                       int apart)
{
    const nnom_conv_args *a = x->a;
    const int32_t out_c = a->out_c;
    const int32_t *const bias = (const int32_t *)a->bias;
    if (bias && rows2_takes(a, apart) && ROWS2_SLOTS_BYTES(a->in_c) <= scratch_bytes) {
        /* stride 2: on 16 channels pass2t_table's table in buf or after the slots; on 32 none */
        const uint32_t rows_bytes = (uint32_t)out_c / 2 * PASS2T_WORDS * 4;
        int32_t *const t = rows_bytes <= buf_bytes ? buf
                           : ROWS2_SLOTS_BYTES(ROWS16_C) + rows_bytes <= scratch_bytes
                               ? (int32_t *)((uint8_t *)scratch + ROWS2_SLOTS_BYTES(ROWS16_C))
                               : NULL;
        const int32_t *const rows_at = a->in_c != ROWS16_C ? a->multiplier : t;
        if (rows_at) {
            if (a->in_c == ROWS16_C) pass2t_table(t, a->multiplier, a->shift, out_c, a->out_zp);
            pass2r_args pr;
            pr.table = rows_at;
            pr.shift = a->shift;
            pr.zz = 2 * a->out_zp + 1;
            pr.out_c = out_c;
            pr.bias = bias;
            pr.w = (const int8_t *)a->weights;
            rows2_passes(x, &pr, in, out, clamp);
            return;
        }
    }
    if (bias && rows16_takes(a, apart)) {
        const int c32 = a->in_c != ROWS16_C; /* (32 or 64 channels: pass2t_table's table) */
        const uint32_t rows_bytes = (uint32_t)out_c / 2 * (c32 ? PASS2T_WORDS : ROWS16_WORDS) * 4;
        const uint32_t slots = 3u * ROWS16_PIXELS * 2u * (uint32_t)a->in_c;
        int32_t *const rows_at = rows_bytes <= buf_bytes                    ? buf
                                 : slots + rows_bytes <= scratch_bytes ? (int32_t *)((uint8_t *)scratch + slots)
                                                                        : NULL;
        if (rows_at) {
            if (c32) pass2t_table(rows_at, a->multiplier, a->shift, out_c, a->out_zp);
            else rows16_table(rows_at, bias, a->multiplier, a->shift, out_c, a->out_zp);
            pass2r_args pr;
            pr.table = rows_at;
            pr.out_c = out_c;
            pr.bias = bias;
            pr.w = (const int8_t *)a->weights;
            /* the table in buf: slots of ROWS16_WIDE pixels when the scratch holds them */
            const int wide = rows_at == buf && 3u * ROWS16_WIDE * 2u * (uint32_t)a->in_c <= scratch_bytes;
            rows16_passes(x, &pr, in, out, clamp, wide);
            return;
        }
    }
    pair_passes(x, pa, in, out, ix_max, iy_max, clamp);
}

#endif
