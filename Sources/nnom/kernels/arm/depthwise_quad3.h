/*
 * The assembly line loops of the Cortex-M DSP depthwise convolution
 * (kernels/arm/depthwise_conv_s8.c, which includes this file): a 3x3 kernel,
 * stride 1 or 2, four outputs of one channel per loop pass, from the row
 * buffer of int16 that the kernel gathers (see there), requantised in 32 bits
 * or the group-plane images, requantised in 32 bits with the output zero
 * point folded in (nnom_arm_requant_zp() or nnom_arm_requant() of arm_dsp.h,
 * or QUAD3_OUT_Z when the output zero point is -128), saturated to int8 (no
 * narrower clamp). A line's whole quads, then its last one, two or three
 * outputs by a pass of their own. Naked functions: their registers are
 * planned by hand, the same at -Os and -O2.
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_QUAD3_H
#define NNOM_KERNELS_ARM_DEPTHWISE_QUAD3_H

#include "kernels/arm/arm_dsp.h"

#if NNOM_USE_ARM_DSP
#include <stddef.h>
#include <stdint.h>

/* What quad3_s1 reads (offsets used by its assembly). */
typedef struct {
    const int16_t *r0, *r1, *r2; /*  0,  4,  8: the three kernel rows at output j's first tap */
    int8_t *o;                   /* 12: output j */
    const int16_t *r0_end;       /* 16: r0 after the last quad */
    int32_t init;                /* 20 */
    uint32_t w[6];               /* 24: A0 B0 A1 B1 A2 B2 */
    int32_t mult, c;             /* 48, 52 */
    int32_t e, step;             /* 56, 60 */
    int32_t lines;               /* 64: output lines, >= 1 */
    int32_t line_step, o_line;   /* 68, 72: bytes from a line's rows and output to the next line's */
    int32_t tail_in, tail_out;   /* 76, 80: bytes the rows and output step back for a line's last
                                    quad when 3 outputs follow its whole quads */
    int32_t tail;                /* 84: outputs after a line's whole quads, 0-3 */
} quad3_args;
/* (the assembly's offsets, checked at compile time) */
typedef char nnom_quad3_offsets_ok[offsetof(quad3_args, init) == 20 && offsetof(quad3_args, w) == 24 &&
                                           offsetof(quad3_args, mult) == 48 && offsetof(quad3_args, e) == 56 &&
                                           offsetof(quad3_args, lines) == 64 && offsetof(quad3_args, o_line) == 72 &&
                                           offsetof(quad3_args, tail_in) == 76 && offsetof(quad3_args, tail) == 84
                                       ? 1
                                       : -1];

#define QUAD3_ROW(R, W)                            \
    "ldrd   r9, r10, [r0, #" W "]\n\t"              \
    "ldrd   r11, r12, [" R "], #8\n\t"              \
    "ldr    lr, [" R "]\n\t"                        \
    "smlad  r5, r11, r9, r5\n\t"                    \
    "smlatb r6, r11, r9, r6\n\t"                    \
    "smlabb r5, r12, r10, r5\n\t"                   \
    "smladx r6, r12, r10, r6\n\t"                   \
    "smlad  r7, r12, r9, r7\n\t"                    \
    "smlatb r8, r12, r9, r8\n\t"                    \
    "smlabb r7, lr, r10, r7\n\t"                    \
    "smladx r8, lr, r10, r8\n\t"

/* (DW_U: any multiplier, nnom_arm_requant() + zp: u = SMMULR(s, m), (u - [u < 0] + c) >> e) */
#define QUAD3_OUT_U(S)                             \
    "smmulr lr, " S ", r9\n\t"                      \
    "add    lr, lr, lr, asr #31\n\t"                \
    "add    lr, lr, r10\n\t"                        \
    "asr    lr, lr, r11\n\t"                        \
    "ssat   lr, #8, lr\n\t"

#define QUAD3_OUT(S)                               \
    "smmlar lr, " S ", r9, r10\n\t"                 \
    "add    lr, lr, " S ", asr #31\n\t"             \
    "asr    lr, lr, r11\n\t"                        \
    "ssat   lr, #8, lr\n\t"

/* (DW_ZP or DW_U with the output zero point -128 and no clamp beyond int8, as a ReLU's output:
 * (SMMLAR(s, m, c)) >> e without the sign term. For s >= 0 the forms above add 0; for s < 0
 * they give at most c >> e = -128 either way, and so does this: SSAT makes every one -128.) */
#define QUAD3_OUT_Z(S)                             \
    "smmlar lr, " S ", r9, r10\n\t"                 \
    "asr    lr, lr, r11\n\t"                        \
    "ssat   lr, #8, lr\n\t"

/*
 * Four outputs per loop pass of a 3x3 kernel, stride 1, for channels of the DW_ZP
 * requantisation with no clamp beyond int8: what row3_s1 computes, in registers planned by
 * hand (r0 the arguments, r1-r3 the rows, r4 the output, r5-r8 the sums, r9-r12 and lr the
 * weights and inputs of a kernel row, then the constants). Per pass: three kernel rows of one
 * LDRD of weights, an LDRD and an LDR of inputs and 8 multiply-accumulates; per output
 * SMMLAR, ADD, ASR, SSAT, STRB (the Z form: no ADD): 64 (60) instructions for 36
 * multiply-accumulates.
 * `lines` lines, each next one line_step bytes further in the buffer and o_line in the output
 * (the struct is updated as it goes). Precondition: r0 < r0_end, 8 bytes apart a multiple of
 * times; rows word aligned.
 */
#define QARG __attribute__((unused))
/* One pass: four outputs from r1-r3 (advanced by ROW), stored from r4 (advanced by 4 steps). */
#define QUAD3_PASS(ROW, OUT) \
                     "ldr    r5, [r0, #20]\n\t" \
                     "mov    r6, r5\n\t" \
                     "mov    r7, r5\n\t" \
                     "mov    r8, r5\n\t" \
                     ROW("r1", "24") ROW("r2", "32") ROW("r3", "40") \
                     "ldrd   r9, r10, [r0, #48]\n\t" \
                     "ldrd   r11, r12, [r0, #56]\n\t" \
                     OUT("r5") "strb   lr, [r4]\n\t" \
                     OUT("r6") "strb   lr, [r4, r12]\n\t" \
                     "add    r4, r4, r12, lsl #1\n\t" \
                     OUT("r7") "strb   lr, [r4]\n\t" \
                     OUT("r8") "strb   lr, [r4, r12]\n\t" \
                     "add    r4, r4, r12, lsl #1\n\t"
/* The last output of a line after its whole quads (any stride: (x_p, x_p+1) and x_p+2 of each
 * kernel row, word aligned), and the last two (stride 1: (x_p, x_p+1), (x_p+2, x_p+3)). */
#define QUAD3_ONE(R, W) \
                     "ldrd   r9, r10, [r0, #" W "]\n\t" \
                     "ldrd   r11, r12, [" R "]\n\t" \
                     "smlad  r5, r11, r9, r5\n\t" \
                     "smlabb r5, r12, r10, r5\n\t"
#define QUAD3_TWO_S1(R, W) \
                     "ldrd   r9, r10, [r0, #" W "]\n\t" \
                     "ldrd   r11, r12, [" R "]\n\t" \
                     "smlad  r5, r11, r9, r5\n\t" \
                     "smlatb r6, r11, r9, r6\n\t" \
                     "smlabb r5, r12, r10, r5\n\t" \
                     "smladx r6, r12, r10, r6\n\t"
/* (stride 2: (x_p, x_p+1), (x_p+2, x_p+3), x_p+4) */
#define QUAD3_TWO_S2(R, W) \
                     "ldrd   r9, r10, [r0, #" W "]\n\t" \
                     "ldrd   r11, r12, [" R "]\n\t" \
                     "smlad  r5, r11, r9, r5\n\t" \
                     "smlabb r5, r12, r10, r5\n\t" \
                     "ldr    r11, [" R ", #8]\n\t" \
                     "smlad  r6, r12, r9, r6\n\t" \
                     "smlabb r6, r11, r10, r6\n\t"
/* A line's whole quads (ROW), then its last outputs by their count (tail): one (QUAD3_ONE), two
 * (TWO), or three: the last four once more, the rows and output stepped back by tail_in and
 * tail_out (ROW_TAIL, which reads rows at any halfword for stride 1; the outputs computed twice
 * are the same bytes). */
#define QUAD3_BODY(ROW, ROW_TAIL, TWO, OUT) \
    __asm__ volatile("push   {r4-r11, lr}\n" \
                     "2:\n\t" \
                     "ldmia  r0, {r1-r4}\n" \
                     "1:\n\t" \
                     QUAD3_PASS(ROW, OUT) \
                     "ldr    r9, [r0, #16]\n\t" \
                     "cmp    r1, r9\n\t" \
                     "bne    1b\n\t" \
                     "ldr    r9, [r0, #84]\n\t" \
                     "cmp    r9, #2\n\t" \
                     "beq    5f\n\t" \
                     "bhi    6f\n\t" \
                     "cmp    r9, #1\n\t" \
                     "bne    3f\n\t" \
                     "ldr    r5, [r0, #20]\n\t" \
                     QUAD3_ONE("r1", "24") QUAD3_ONE("r2", "32") QUAD3_ONE("r3", "40") \
                     "ldrd   r9, r10, [r0, #48]\n\t" \
                     "ldr    r11, [r0, #56]\n\t" \
                     OUT("r5") "strb   lr, [r4]\n\t" \
                     "b      3f\n" \
                     "5:\n\t" \
                     "ldr    r5, [r0, #20]\n\t" \
                     "mov    r6, r5\n\t" \
                     TWO("r1", "24") TWO("r2", "32") TWO("r3", "40") \
                     "ldrd   r9, r10, [r0, #48]\n\t" \
                     "ldrd   r11, r12, [r0, #56]\n\t" \
                     OUT("r5") "strb   lr, [r4]\n\t" \
                     OUT("r6") "strb   lr, [r4, r12]\n\t" \
                     "b      3f\n" \
                     "6:\n\t" \
                     "ldrd   r9, r10, [r0, #76]\n\t" \
                     "sub    r1, r1, r9\n\t" \
                     "sub    r2, r2, r9\n\t" \
                     "sub    r3, r3, r9\n\t" \
                     "sub    r4, r4, r10\n\t" \
                     QUAD3_PASS(ROW_TAIL, OUT) \
                     "3:\n\t" \
                     /* the next line */ \
                     "ldmia  r0, {r1-r4}\n\t" \
                     "ldrd   r9, r10, [r0, #68]\n\t" \
                     "add    r1, r1, r9\n\t" \
                     "add    r2, r2, r9\n\t" \
                     "add    r3, r3, r9\n\t" \
                     "add    r4, r4, r10\n\t" \
                     "ldr    r11, [r0, #16]\n\t" \
                     "add    r11, r11, r9\n\t" \
                     "str    r11, [r0, #16]\n\t" \
                     "stmia  r0, {r1-r4}\n\t" \
                     "ldr    r9, [r0, #64]\n\t" \
                     "subs   r9, r9, #1\n\t" \
                     "str    r9, [r0, #64]\n\t" \
                     "bne    2b\n\t" \
                     "pop    {r4-r11, pc}\n\t");

/* Stride 1 with rows at any halfword (the last four outputs of a line whose length is not a
 * multiple of 4): two LDR instead of the LDRD, which needs word alignment (one instruction more
 * per kernel row). */
#define QUAD3_ROW_ANY(R, W)                        \
    "ldrd   r9, r10, [r0, #" W "]\n\t"              \
    "ldr    r11, [" R "]\n\t"                       \
    "ldr    r12, [" R ", #4]\n\t"                   \
    "ldr    lr, [" R ", #8]\n\t"                    \
    "add    " R ", " R ", #8\n\t"                   \
    "smlad  r5, r11, r9, r5\n\t"                    \
    "smlatb r6, r11, r9, r6\n\t"                    \
    "smlabb r5, r12, r10, r5\n\t"                   \
    "smladx r6, r12, r10, r6\n\t"                   \
    "smlad  r7, r12, r9, r7\n\t"                    \
    "smlatb r8, r12, r9, r8\n\t"                    \
    "smlabb r7, lr, r10, r7\n\t"                    \
    "smladx r8, lr, r10, r8\n\t"

__attribute__((naked, noinline)) static void quad3_s1(QARG quad3_args *p)
{
    QUAD3_BODY(QUAD3_ROW, QUAD3_ROW_ANY, QUAD3_TWO_S1, QUAD3_OUT)
}

__attribute__((naked, noinline)) static void quad3_s1_u(QARG quad3_args *p)
{
    QUAD3_BODY(QUAD3_ROW, QUAD3_ROW_ANY, QUAD3_TWO_S1, QUAD3_OUT_U)
}

__attribute__((naked, noinline)) static void quad3_s1_z(QARG quad3_args *p)
{
    QUAD3_BODY(QUAD3_ROW, QUAD3_ROW_ANY, QUAD3_TWO_S1, QUAD3_OUT_Z)
}

/* Stride 2: output j reads Q_j = (x_2j, x_2j+1) and the low half of Q_j+1; per kernel row of
 * four outputs an LDRD and three LDR of inputs (the row pointer 16 bytes further), 8
 * multiply-accumulates: 68 instructions for 36 multiply-accumulates. */
#define QUAD3_ROW_S2(R, W)                         \
    "ldrd   r9, r10, [r0, #" W "]\n\t"              \
    "ldrd   r11, r12, [" R "]\n\t"                  \
    "smlad  r5, r11, r9, r5\n\t"                    \
    "smlabb r5, r12, r10, r5\n\t"                   \
    "ldr    r11, [" R ", #8]\n\t"                   \
    "smlad  r6, r12, r9, r6\n\t"                    \
    "smlabb r6, r11, r10, r6\n\t"                   \
    "ldr    r12, [" R ", #12]\n\t"                  \
    "smlad  r7, r11, r9, r7\n\t"                    \
    "smlabb r7, r12, r10, r7\n\t"                   \
    "ldr    r11, [" R ", #16]!\n\t"                 \
    "smlad  r8, r12, r9, r8\n\t"                    \
    "smlabb r8, r11, r10, r8\n\t"

__attribute__((naked, noinline)) static void quad3_s2(QARG quad3_args *p)
{
    QUAD3_BODY(QUAD3_ROW_S2, QUAD3_ROW_S2, QUAD3_TWO_S2, QUAD3_OUT)
}

__attribute__((naked, noinline)) static void quad3_s2_u(QARG quad3_args *p)
{
    QUAD3_BODY(QUAD3_ROW_S2, QUAD3_ROW_S2, QUAD3_TWO_S2, QUAD3_OUT_U)
}

__attribute__((naked, noinline)) static void quad3_s2_z(QARG quad3_args *p)
{
    QUAD3_BODY(QUAD3_ROW_S2, QUAD3_ROW_S2, QUAD3_TWO_S2, QUAD3_OUT_Z)
}

/* The requantisation of quad3_lines: nnom_arm_requant_zp() (QUAD3_ZP), nnom_arm_requant() + zp
 * (QUAD3_U), either without its sign term when the output zero point is -128 (QUAD3_Z). */
typedef enum { QUAD3_ZP, QUAD3_U, QUAD3_Z } quad3_form;

/* The fields of quad3_args that lines of n >= 4 outputs share (stride 1 or 2): output j of a
 * line at o + j * step; each next line row_step int16 further in the buffer and o_line bytes
 * further in the output. */
static void quad3_shape(quad3_args *qa, int32_t stride, int32_t n, int32_t step, int32_t row_step, ptrdiff_t o_line)
{
    const int32_t quads = n & ~3, back = n - quads == 3 ? 1 : 0; /* outputs the last quad steps back */
    qa->step = step;
    qa->line_step = row_step * (int32_t)sizeof(int16_t);
    qa->o_line = (int32_t)o_line;
    qa->tail_in = back * stride * (int32_t)sizeof(int16_t);
    qa->tail_out = back * step;
    qa->tail = n - quads;
}

/* quad3_s1 / quad3_s2 in a requantisation form over `lines` lines of the shape qa holds: kernel
 * rows at rows[0..2] (word aligned), weights wp[0..5] (A0 B0 A1 B1 A2 B2), sums from init,
 * requantisation constants mult, c, e. (qa's rows, output, end and lines change.) */
static void quad3_run(quad3_args *qa, int32_t stride, quad3_form form, const int16_t *const *rows, const uint32_t *wp,
                      int8_t *o, int32_t init, int32_t mult, int32_t c, int32_t e, int32_t lines, ptrdiff_t end)
{
    qa->r0 = rows[0];
    qa->r1 = rows[1];
    qa->r2 = rows[2];
    qa->o = o;
    qa->r0_end = rows[0] + end;
    qa->init = init;
    for (int32_t i = 0; i < 6; i++) qa->w[i] = wp[i];
    qa->mult = mult;
    qa->c = c;
    qa->e = e;
    qa->lines = lines;
    typedef void (*quad3_fn)(quad3_args *);
    static const quad3_fn fns[2][3] = {{quad3_s1, quad3_s1_u, quad3_s1_z}, {quad3_s2, quad3_s2_u, quad3_s2_z}};
    fns[stride == 2][form](qa);
}

/* Both for one channel: `lines` lines of n >= 4 outputs (see quad3_shape and quad3_run). */
static void quad3_lines(int32_t stride, quad3_form form, const int16_t *const *rows, const uint32_t *wp, int32_t n,
                        int8_t *o, int32_t step, int32_t init, int32_t mult, int32_t c, int32_t e, int32_t lines,
                        int32_t row_step, ptrdiff_t o_line)
{
    quad3_args qa;
    quad3_shape(&qa, stride, n, step, row_step, o_line);
    quad3_run(&qa, stride, form, rows, wp, o, init, mult, c, e, lines, (n & ~3) * stride);
}

#endif /* NNOM_USE_ARM_DSP */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_QUAD3_H */
