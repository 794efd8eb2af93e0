/*
 * The line loops of the Cortex-M DSP depthwise convolution for lines of
 * three outputs (kernels/arm/depthwise_conv_s8.c, which includes this file
 * after depthwise_quad3.h): a 3x3 kernel, the same stride (1 or 2) both ways,
 * no dilation, output planes three wide (MobileNets' 3 x 3 planes: 3 x 3 x 256
 * at stride 1, and from 6 x 6 x 128 at stride 2), every line of a group's four
 * channels in one call, one pass a line, on the group-plane path's images
 * (depthwise_group_planes.h).
 *
 * Per kernel row (weights A = (w0, w1), B = (w2, w1); inputs as int16 pairs
 * Q0 = (x0, x1), Q1 = (x2, x3), Q2 = (x4, x5), Q3 = (x6, x7)):
 *   stride 1:  s0 += SMLAD(Q0, A) + SMLABB(Q1, B)    s1 += SMLATB(Q0, A) + SMLADX(Q1, B)
 *              s2 += SMLAD(Q1, A) + SMLABB(Q2, B)
 *   stride 2:  s_j += SMLAD(Q_j, A) + SMLABB(Q_j+1, B)
 * six multiply instructions for 9 multiply-accumulates, three input words (stride 2: four) by
 * single loads. A line reloads the start value and the six weight words (pipelined loads: the
 * requantisation takes their registers), then requantises its three sums in one of the forms of
 * depthwise_quad3.h (ZP, U, Z, L; saturated to int8, no narrower clamp): at stride 1, 57
 * instructions a line in Z, an estimated 66 Cortex-M4 cycles for 27 multiply-accumulates
 * (measured 3 x 3 x 256; at stride 2, 60 instructions).
 * Naked functions: registers planned by hand, the same at -Os and -O2. Registers: r0 the block,
 * r1 the line's first image row, r2-r3 inputs, r4 the output, r5-r7 the sums, r8-r12 and lr the
 * weights, then the constants.
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_TRI3_H
#define NNOM_KERNELS_ARM_DEPTHWISE_TRI3_H

#include "kernels/arm/depthwise_quad3.h"

#if NNOM_USE_ARM_DSP
#include <stddef.h>
#include <stdint.h>

enum {
    TRI3_OUT = 3,      /* outputs a line */
    TRI3_PITCH_S1 = 6, /* int16 an image row of lines of three at stride 1 (5 taps and the slack) */
    TRI3_PITCH_S2 = 8, /* at stride 2 (7 taps and the slack) */
    TRI3_GROUP = 4     /* channels (blocks) a call */
};

/* One channel's block (offsets used by the assembly). */
typedef struct {
    const int16_t *r;     /*  0: the first line's first image row, at output 0's first tap */
    int8_t *o;            /*  4: the first line's output 0 */
    const int16_t *r_end; /*  8: r after the last line */
    int32_t init;         /* 12 */
    uint32_t w[6];        /* 16: A0 B0 A1 B1 A2 B2 */
    int32_t mult, c, e;   /* 40, 44, 48 */
    int32_t step;         /* 52: bytes between a line's outputs */
    int32_t o_line;       /* 56: bytes from a line's output 0 to the next line's */
    int32_t more;         /* 60: blocks after this one (the next channels'), run in the same call */
} tri3_args;
#define TRI3_ARGS_BYTES "64" /* sizeof (tri3_args), for the assembler (checked below) */
typedef char nnom_tri3_offsets_ok[offsetof(tri3_args, init) == 12 && offsetof(tri3_args, w) == 16 &&
                                          offsetof(tri3_args, mult) == 40 && offsetof(tri3_args, step) == 52 &&
                                          offsetof(tri3_args, o_line) == 56 && offsetof(tri3_args, more) == 60 &&
                                          sizeof(tri3_args) == 64
                                      ? 1
                                      : -1];
/* (the image rows' offsets in bytes, for the assembler; checked below) */
#define TRI3_ROW1_S1 "12"
#define TRI3_ROW2_S1 "24"
#define TRI3_ROW1_S2 "16"
#define TRI3_ROW2_S2 "32"
typedef char nnom_tri3_pitch_ok[TRI3_PITCH_S1 * 2 == 12 && TRI3_PITCH_S2 * 2 == 16 ? 1 : -1];

/* The start value into S and the six weight words (seven pipelined loads). */
#define TRI3_LOAD_W(S)              \
    "ldr    " S ", [r0, #12]\n\t"   \
    "ldr    r8, [r0, #16]\n\t"      \
    "ldr    r9, [r0, #20]\n\t"      \
    "ldr    r10, [r0, #24]\n\t"     \
    "ldr    r11, [r0, #28]\n\t"     \
    "ldr    r12, [r0, #32]\n\t"     \
    "ldr    lr, [r0, #36]\n\t"

/* Stride 1: kernel row 0 from the start value in r5 (s0 last); rows at offset O, weights A, B. */
#define TRI3_FIRST_S1                   \
    "ldr    r2, [r1]\n\t"               \
    "ldr    r3, [r1, #4]\n\t"           \
    "smlatb r6, r2, r8, r5\n\t"         \
    "smlad  r7, r3, r8, r5\n\t"         \
    "smlad  r5, r2, r8, r5\n\t"         \
    "smlabb r5, r3, r9, r5\n\t"         \
    "smladx r6, r3, r9, r6\n\t"         \
    "ldr    r2, [r1, #8]\n\t"           \
    "smlabb r7, r2, r9, r7\n\t"
#define TRI3_ROW_S1(O, A, B)            \
    "ldr    r2, [r1, #" O "]\n\t"       \
    "ldr    r3, [r1, #" O "+4]\n\t"     \
    "smlad  r5, r2, " A ", r5\n\t"      \
    "smlatb r6, r2, " A ", r6\n\t"      \
    "smlabb r5, r3, " B ", r5\n\t"      \
    "smladx r6, r3, " B ", r6\n\t"      \
    "smlad  r7, r3, " A ", r7\n\t"      \
    "ldr    r2, [r1, #" O "+8]\n\t"     \
    "smlabb r7, r2, " B ", r7\n\t"
/* Stride 2: kernel row 0 from the start value in r7 (s2 last). */
#define TRI3_FIRST_S2                   \
    "ldr    r2, [r1]\n\t"               \
    "ldr    r3, [r1, #4]\n\t"           \
    "smlad  r5, r2, r8, r7\n\t"         \
    "smlad  r6, r3, r8, r7\n\t"         \
    "smlabb r5, r3, r9, r5\n\t"         \
    "ldr    r2, [r1, #8]\n\t"           \
    "ldr    r3, [r1, #12]\n\t"          \
    "smlabb r6, r2, r9, r6\n\t"         \
    "smlad  r7, r2, r8, r7\n\t"         \
    "smlabb r7, r3, r9, r7\n\t"
#define TRI3_ROW_S2(O, A, B)            \
    "ldr    r2, [r1, #" O "]\n\t"       \
    "ldr    r3, [r1, #" O "+4]\n\t"     \
    "smlad  r5, r2, " A ", r5\n\t"      \
    "smlabb r5, r3, " B ", r5\n\t"      \
    "smlad  r6, r3, " A ", r6\n\t"      \
    "ldr    r2, [r1, #" O "+8]\n\t"     \
    "ldr    r3, [r1, #" O "+12]\n\t"    \
    "smlabb r6, r2, " B ", r6\n\t"      \
    "smlad  r7, r2, " A ", r7\n\t"      \
    "smlabb r7, r3, " B ", r7\n\t"

/* Each block's lines (r < r_end, LINE bytes apart; at least one): a line's sums (start value in
 * S, FIRST, then ROW at the image rows ROW1, ROW2), its three outputs in form OUTD (constants
 * r9 = mult, r10 = c, LOAD_E r11 = e) stored at o, o + step, o + 2 step; then the next block
 * while `more`. */
#define TRI3_BODY(S, FIRST, ROW, ROW1, ROW2, LINE, OUTD, LOAD_E)                                \
    __asm__ volatile("push   {r4-r11, lr}\n"                                                 \
                     "2:\n\t"                                                                \
                     "ldr    r1, [r0, #0]\n\t"                                               \
                     "ldr    r4, [r0, #4]\n"                                                 \
                     "1:\n\t" TRI3_LOAD_W(S) FIRST ROW(ROW1, "r10", "r11") ROW(ROW2, "r12", "lr") \
                     "ldr    r9, [r0, #40]\n\t"                                              \
                     "ldr    r10, [r0, #44]\n\t" LOAD_E                                      \
                     "ldr    r12, [r0, #52]\n\t"                                             \
                     OUTD("r5", "r5") OUTD("r6", "r6") OUTD("r7", "r7")                      \
                     "add    r2, r4, r12\n\t"                                                \
                     "strb   r5, [r4]\n\t"                                                   \
                     "strb   r6, [r2]\n\t"                                                   \
                     "strb   r7, [r2, r12]\n\t"                                              \
                     "ldr    r2, [r0, #56]\n\t"                                              \
                     "ldr    r3, [r0, #8]\n\t"                                               \
                     "add    r1, r1, #" LINE "\n\t"                                          \
                     "add    r4, r4, r2\n\t"                                                 \
                     "cmp    r1, r3\n\t"                                                     \
                     "bne    1b\n\t"                                                         \
                     "ldr    r2, [r0, #60]\n\t"                                              \
                     "add    r0, r0, #" TRI3_ARGS_BYTES "\n\t"                               \
                     "cmp    r2, #0\n\t"                                                     \
                     "bne    2b\n\t"                                                         \
                     "pop    {r4-r11, pc}\n\t");

#define TRI3_LOAD_E "ldr    r11, [r0, #48]\n\t"
#define TRI3_FN_S1(name, OUT, LOAD_E)                                                               \
    __attribute__((naked, noinline)) static void name(__attribute__((unused)) const tri3_args *p)   \
    {                                                                                               \
        TRI3_BODY("r5", TRI3_FIRST_S1, TRI3_ROW_S1, TRI3_ROW1_S1, TRI3_ROW2_S1, TRI3_ROW1_S1,       \
                  QUAD3_OUTD_##OUT, LOAD_E)                                                         \
    }
#define TRI3_FN_S2(name, OUT, LOAD_E)                                                               \
    __attribute__((naked, noinline)) static void name(__attribute__((unused)) const tri3_args *p)   \
    {                                                                                               \
        TRI3_BODY("r7", TRI3_FIRST_S2, TRI3_ROW_S2, TRI3_ROW1_S2, TRI3_ROW2_S2, TRI3_ROW2_S2,       \
                  QUAD3_OUTD_##OUT, LOAD_E)                                                         \
    }
TRI3_FN_S1(tri3_s1_zp, ZP, TRI3_LOAD_E)
TRI3_FN_S1(tri3_s1_u, U, TRI3_LOAD_E)
TRI3_FN_S1(tri3_s1_z, Z, TRI3_LOAD_E)
TRI3_FN_S1(tri3_s1_l, L, "")
TRI3_FN_S2(tri3_s2_zp, ZP, TRI3_LOAD_E)
TRI3_FN_S2(tri3_s2_u, U, TRI3_LOAD_E)
TRI3_FN_S2(tri3_s2_z, Z, TRI3_LOAD_E)
TRI3_FN_S2(tri3_s2_l, L, "")

/* The forms of the lines of three: those of quad3_form below QUAD3_E_LO_FORM. */
static inline int tri3_form_ok(quad3_form form) { return form < QUAD3_E_LO_FORM; }

/* The blocks b[0 .. n) in one call, every one in form (tri3_form_ok(form)); each block's every
 * field set but `more`, which this sets; stride 1 or 2. */
static void tri3_run(tri3_args *b, int32_t n, int32_t stride, quad3_form form)
{
    for (int32_t j = 0; j < n; j++) b[j].more = n - 1 - j;
    typedef void (*tri3_fn)(const tri3_args *);
    static const tri3_fn s1[QUAD3_E_LO_FORM] = {tri3_s1_zp, tri3_s1_u, tri3_s1_z, tri3_s1_l};
    static const tri3_fn s2[QUAD3_E_LO_FORM] = {tri3_s2_zp, tri3_s2_u, tri3_s2_z, tri3_s2_l};
    (stride == 2 ? s2 : s1)[form](b);
}

#endif /* NNOM_USE_ARM_DSP */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_TRI3_H */
