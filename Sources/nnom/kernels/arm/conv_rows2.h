/*
 * 3x3 convolutions at stride 2 on 16 input channels (ResNet-8's 32x32x16 -> 16x16x32 layer) for the
 * Cortex-M DSP convolution (kernels/arm/conv_s8.c, which includes this file after conv_rows16.h):
 * conv_rows16.h's strips at stride 2. A pass's two windows start two input pixels apart: each
 * kernel row's slot holds the strip's input pixels ix0 .. ix0 + 4 (ROWS2_PIXELS),
 * pixel 0's kernel row at its start, pixel 1's two pixels (8 groups) later; going down, an output
 * row's kernel row 0 is the row above's kernel row 2, so a pass widens two input rows.
 *
 * In a kernel row, group g's pixel 1 (slot group g + 8) is group g + 8's pixel 0 for g < 4: those
 * pairs of groups load 6 slot words for 2 groups, the others (4 to 7) 4 for one: 40 words a row
 * where pass2 loads 48. Per pass about 330 estimated cycles of widening where pair_passes gathered
 * 36 groups of both pixels (about 450) and set its end group.
 */
#ifndef NNOM_KERNELS_ARM_CONV_ROWS2_H
#define NNOM_KERNELS_ARM_CONV_ROWS2_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/arm/conv_rows16.h"

/* Input pixels a slot holds: a pass's windows take 5 (rows16_widen takes any count). */
#define ROWS2_PIXELS 5

/* Kernel row groups J and J + 8 (J 0-3; weights W + ...): J's pixel 1 kept as J + 8's pixel 0. */
#define ROWS2_PAIR_M(W, J, MACS0)                                          \
    ROWS16_WEIGHTS(W " + " J, ROWS16_STR(ROWS16_PATCH))                    \
    ROWS16_SLOT(J, "r7", "r8") ROWS16_SLOT(J " + 8", "r9", "r10")          \
    MACS0("r7", "r8", "r9", "r10")                                         \
    ROWS16_WEIGHTS(W " + " J " + 8", ROWS16_STR(ROWS16_PATCH))             \
    ROWS16_SLOT(J " + 16", "r7", "r8")                                     \
    ROWS16_MACS("r9", "r10", "r7", "r8")
#define ROWS2_PAIR(W, J) ROWS2_PAIR_M(W, J, ROWS16_MACS)
/* Kernel row group J (4-7) alone. */
#define ROWS2_ONE(W, J)                                                    \
    ROWS16_WEIGHTS(W " + " J, ROWS16_STR(ROWS16_PATCH))                    \
    ROWS16_SLOT(J, "r7", "r8") ROWS16_SLOT(J " + 8", "r9", "r10")          \
    ROWS16_MACS("r7", "r8", "r9", "r10")
#define ROWS2_ROW(KY) ROWS2_ROW_M(KY, ROWS16_MACS)
/* ROWS2_ROW with the first group's MACS0 (ROWS16_MACS_FIRST: kernel row 0, the sums started from the
 * biases in r3, r5) */
#define ROWS2_ROW_M(KY, MACS0)                                                                        \
    ROWS2_PAIR_M("12 * " KY, "0", MACS0) ROWS2_PAIR("12 * " KY, "1") ROWS2_PAIR("12 * " KY, "2")       \
    ROWS2_PAIR("12 * " KY, "3") ROWS2_ONE("12 * " KY, "4") ROWS2_ONE("12 * " KY, "5")                  \
    ROWS2_ONE("12 * " KY, "6") ROWS2_ONE("12 * " KY, "7")

/*
 * pass2_rows16 at stride 2: channels [0, p->out_c) of the two pixels whose kernel rows are at
 * p->rows[0..2] (pixel 1's two pixels after pixel 0's), as pass2_fast computes them (the
 * constants from pass2t_table's table, the biases from p->bias), channel c of pixel j to p->out[j out_c + c]. Per pair
 * of channels the 36 groups straight (ROWS2_ROW, r0 loaded from the frame between rows, the weights
 * at immediate offsets from r1). Registers as in pass2_rows16 (r2 unused). Frame: the first eight
 * words of p (and a word of padding), copied (the table, output and bias pointers advance there).
 * Per pair of channels, besides its 36 groups (about 660 estimated cycles): about 60.
 */
__attribute__((naked, noinline)) static void pass2_rows2(ARG const pass2r_args *p)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "ldm    r0, {r1-r8}\n\t"
        "push   {r1-r9}\n\t"                /* the frame: rows 0-2, table, out, out_c, end, bias, (pad) */
        "ldr    r1, [r0, #32]\n"            /* w */
        "10:\n\t"                           /* a pair of channels: r1 its first channel's weights */
        "ldr    r9, [sp, #28]\n\t"          /* bias */
        "ldr    r0, [sp]\n\t"               /* kernel row 0 */
        "ldrd   r3, r5, [r9], #8\n\t"
        "str    r9, [sp, #28]\n\t"
        ROWS2_ROW_M("0", ROWS16_MACS_FIRST)
        "ldr    r0, [sp, #4]\n\t"           /* kernel row 1 */
        ROWS2_ROW("1")
        "ldr    r0, [sp, #8]\n\t"           /* kernel row 2 */
        ROWS2_ROW("2")
        "ldr    lr, [sp, #12]\n\t"
        "ldm    lr!, {r7-r12}\n\t"          /* the pair's constants */
        "str    lr, [sp, #12]\n\t"
        "cmp    r9, #0\n\t"
        "blt    30f\n\t"                   /* (PASS2T_FORM_U; both multipliers above 2^30 fall through) */
        PASS2T_RQ(REQUANT_ZP)
        PASS2T_PAIR_END("16", "24", "2 * " ROWS16_STR(ROWS16_PATCH), "36"));
}

/* 32 channels at stride 2: a kernel row's groups g and g + 16 (g < 8) share their words, the others
 * (8 to 15) alone; the weights from r1, which steps a kernel row (ROWS32_ROW_BYTES) after it. */
#define ROWS2W_PAIR(J)                                                     \
    ROWS16_WEIGHTS(J, ROWS16_STR(ROWS32_PATCH))                            \
    ROWS16_SLOT(J, "r7", "r8") ROWS16_SLOT(J " + 16", "r9", "r10")         \
    ROWS16_MACS("r7", "r8", "r9", "r10")                                   \
    ROWS16_WEIGHTS(J " + 16", ROWS16_STR(ROWS32_PATCH))                    \
    ROWS16_SLOT(J " + 32", "r7", "r8")                                     \
    ROWS16_MACS("r9", "r10", "r7", "r8")
#define ROWS2W_ONE(J)                                                      \
    ROWS16_WEIGHTS(J, ROWS16_STR(ROWS32_PATCH))                            \
    ROWS16_SLOT(J, "r7", "r8") ROWS16_SLOT(J " + 16", "r9", "r10")         \
    ROWS16_MACS("r7", "r8", "r9", "r10")
#define ROWS2W_ROW                                                                                    \
    ROWS2W_PAIR("0") ROWS2W_PAIR("1") ROWS2W_PAIR("2") ROWS2W_PAIR("3") ROWS2W_PAIR("4") ROWS2W_PAIR("5") \
    ROWS2W_PAIR("6") ROWS2W_PAIR("7") ROWS2W_ONE("8") ROWS2W_ONE("9") ROWS2W_ONE("10") ROWS2W_ONE("11")   \
    ROWS2W_ONE("12") ROWS2W_ONE("13") ROWS2W_ONE("14") ROWS2W_ONE("15")

/*
 * pass2_rows2 on 32 input channels (ResNet-8's 16x16x32 -> 8x8x64 layer): the three kernel rows in
 * a loop (r2 the frame's row pointers), and no table (its 64 channels' would not fit the stack's
 * place or the scratch beside the slots): each pair's constants derived from p->table (the
 * multipliers), p->shift and p->zz as pass2_fast derives them. Frame: the first eight words of p,
 * then its shift and zz (and a word of padding), copied (the multiplier, output, bias and shift
 * pointers advance there).
 * Per pair of channels, besides its 72 groups (about 1,320 estimated cycles): about 90.
 */
__attribute__((naked, noinline)) static void pass2_rows2w(ARG const pass2r_args *p)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "ldm    r0, {r1-r8}\n\t"
        "ldrd   r9, r10, [r0, #36]\n\t"
        "push   {r1-r11}\n\t"               /* rows 0-2, mult, out, out_c, end, bias, shift, zz, (pad) */
        ROWS_PAIR_ROWS(ROWS2W_ROW)
        "ldr    lr, [sp, #12]\n\t"
        "ldrd   r7, r8, [lr], #8\n\t"       /* the pair's multipliers */
        "str    lr, [sp, #12]\n\t"
        "ldr    lr, [sp, #32]\n\t"
        "ldrd   r9, r10, [lr], #8\n\t"      /* its shifts = -e */
        "str    lr, [sp, #32]\n\t"
        "ldr    r12, [sp, #36]\n\t"         /* 2 zp + 1 */
        "mvn    r11, r9\n\t"                /* e - 1 */
        "lsl    r11, r12, r11\n\t"          /* c = (2 zp + 1) << (e - 1) */
        "rsb    r9, r9, #0\n\t"
        "mvn    r0, r10\n\t"
        "lsl    r12, r12, r0\n\t"
        "rsb    r10, r10, #0\n\t"
        "cmp    r7, #0x40000000\n\t"
        "it     hi\n\t"
        "cmphi  r8, #0x40000000\n\t"
        "bls    30f\n\t"                   /* (both multipliers above 2^30, the common case, fall through) */
        PASS2T_RQ(REQUANT_ZP)
        PASS2T_PAIR_END("16", "24", ROWS16_STR(ROWS32_PATCH), "44"));
}

/* Whether a layer takes the stride-2 strips (besides what pair_passes needs: every channel fast, an
 * even count, out_w even, a table and a bias): 3x3 at stride 2 on 16 or 32 channels, no dilation, the
 * output not over the input (@p apart). Not in the compact forms, as rows16_takes. */
static inline int rows2_takes(const nnom_conv_args *a, int apart)
{
    return !NNOM_COMPACT_KERNELS && apart && (a->in_c == ROWS16_C || a->in_c == ROWS32_C) && a->k_h == ROWS16_K && a->k_w == ROWS16_K && a->stride_h == 2 &&
           a->stride_w == 2 && a->dil_h == 1 && a->dil_w == 1 && !(a->out_w & 1);
}

/* Bytes of the three slots of c channels. */
#define ROWS2_SLOTS_BYTES(c) (3u * ROWS2_PIXELS * 2u * (uint32_t)(c))

/* Every pass of the layer (rows2_takes), in strips of two output columns, each from the top down,
 * by pass2_rows2 (16 channels) or pass2_rows2w (32); pr prepared (table or, for pass2_rows2w,
 * multipliers, shift and zz; bias, w, out_c), the three slots at x->cols. */
__attribute__((noinline)) static void rows2_passes(const conv_ctx *x, pass2r_args *pr, const int8_t *in, int8_t *out,
                                                   int clamp)
{
    const nnom_conv_args *a = x->a;
    const int32_t out_c = a->out_c, c = a->in_c, slot_words = ROWS2_PIXELS * c / 2;
    const ptrdiff_t row_out = (ptrdiff_t)a->out_w * out_c;
    void (*const pass)(const pass2r_args *) = c == ROWS16_C ? pass2_rows2 : pass2_rows2w;
    uint32_t *const slots = x->cols;
    const rows16_src f = rows16_src_of(x, in);
    for (int32_t ox = 0; ox < a->out_w; ox += 2) {
        const int32_t ix0 = 2 * ox - a->pad_left;
        /* kernel row 0 of output row 0 in slot 0; then each output row's kernel rows 1 and 2 in
         * the other two, its kernel row 2 the next one's kernel row 0 (r0, r1, r2: the kernel rows'
         * slots) */
        uint32_t *r0 = slots, *r1 = slots + slot_words, *r2 = slots + 2 * slot_words;
        rows16_fill(&f, -a->pad_top, ix0, r0, ROWS2_PIXELS);
        int8_t *o = out + (ptrdiff_t)ox * out_c;
        for (int32_t oy = 0, iy0 = -a->pad_top; oy < a->out_h; oy++, iy0 += 2, o += row_out) {
            rows16_fill(&f, iy0 + 1, ix0, r1, ROWS2_PIXELS);
            rows16_fill(&f, iy0 + 2, ix0, r2, ROWS2_PIXELS);
            strip_pass(pr, pass, r0, r1, r2, o, out_c);
            if (clamp) clamp_pass(o, out_c, 2, out_c, a->act_min, a->act_max);
            uint32_t *const t = r0;
            r0 = r2;
            r2 = r1;
            r1 = t;
        }
    }
}

#endif
