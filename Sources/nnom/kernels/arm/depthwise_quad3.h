/*
 * The assembly line loops of the Cortex-M DSP depthwise convolution
 * (kernels/arm/depthwise_conv_s8.c, which includes this file): a 3x3 kernel,
 * stride 1 or 2, four outputs of one channel per loop pass, from the row
 * buffer of int16 that the kernel gathers (see there), requantised in 32 bits
 * or the group-plane images, requantised in 32 bits with the output zero
 * point folded in (nnom_arm_requant_zp() or nnom_arm_requant() of arm_dsp.h,
 * or, when the output zero point is -128, the two-instruction E form below),
 * saturated to int8 (no narrower clamp). A line's whole quads, then its last
 * one, two or three outputs. Naked functions: their registers are planned by
 * hand, the same at -Os and -O2.
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_QUAD3_H
#define NNOM_KERNELS_ARM_DEPTHWISE_QUAD3_H

#include "kernels/arm/arm_dsp.h"

#if NNOM_USE_ARM_DSP
#include <stddef.h>
#include <stdint.h>

/* What the line loops read (offsets used by their assembly). */
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
    int32_t tail;                /* 76: outputs after a line's whole quads, 0-3 */
    int32_t more;                /* 80: lines of six (depthwise_hex3.h) only: blocks after this one, each
                                    the next channel's, QUAD3_ARGS_BYTES further, run in the same call */
} quad3_args;
#define QUAD3_ARGS_BYTES "84" /* sizeof (quad3_args), for the assembler (checked below) */
/* (the assembly's offsets, checked at compile time) */
typedef char nnom_quad3_offsets_ok[offsetof(quad3_args, init) == 20 && offsetof(quad3_args, w) == 24 &&
                                           offsetof(quad3_args, mult) == 48 && offsetof(quad3_args, e) == 56 &&
                                           offsetof(quad3_args, lines) == 64 && offsetof(quad3_args, o_line) == 72 &&
                                           offsetof(quad3_args, tail) == 76 && offsetof(quad3_args, more) == 80 &&
                                           sizeof(quad3_args) == 84
                                       ? 1
                                       : -1];

/*
 * Requantisation forms of a sum S into lr (the constants in r9 = mult, r10 = c, r11 = e), all
 * saturated to int8 (no narrower clamp):
 *  ZP: nnom_arm_requant_zp() of arm_dsp.h with the output zero point folded into c:
 *      (SMMLAR(S, m, c) + (S >> 31)) >> e                        (m > 2^30)
 *  U:  nnom_arm_requant() + zp: u = SMMULR(S, m), (u + (u >> 31) + c) >> e   (any m)
 *  Z:  the output zero point -128: either without its sign term (see E): SMMLAR(S, m, c) >> e
 *  L:  a shift >= 0, the sums scaled by 2^(shift + 1) at the source: SMMLAR(S, m, zp)
 *  E:  the output zero point -128 (a ReLU's, as the quantiser makes it) and e in [1, 21]: the
 *      sums scaled by 2^(1 + k) at the source, k = E - e in [1, 7] with E one of QUAD3_E_LO,
 *      QUAD3_E_MID (an immediate of SSAT; e in [1, 14], as the shifts of DS-CNN and MobileNet
 *      depthwise layers are: larger ones take Z), and c' = c 2^k + 2^(k - 1):
 *      SSAT(SMMLA(S, m, c') >> E): two instructions.
 * Why E is exact: with s = 2 acc and Y = s m + c 2^32 + 2^31, the ZP and U forms without their
 * sign term are floor(Y / 2^(32 + e)) (SMMLAR's floor then the shift's), which differs from them
 * only on negative sums, whose outputs SSAT makes -128 either way when zp is -128 (for s < 0
 * both are at most c >> e = -128). SMMLA adds no rounding constant: SMMLA(s 2^k, m, c') =
 * floor(2^k (s m + c 2^32 + 2^31) / 2^32) = floor(2^k Y / 2^32), and a shift of E of that is
 * floor(2^k Y / 2^(32 + E)) = floor(Y / 2^(32 + e)). In int32: |c'| < 2^(E - 1) + 128 * 2^E +
 * 2^6 < 2^30 for E <= 22; the sums stay below 2^31 by the bound on the start that
 * depthwise_conv_s8.c's channel_quant() checks, and the weights times 2^(1 + k) <= 256 are
 * int16 (|w| <= 128).
 */
enum { QUAD3_E_LO = 8, QUAD3_E_MID = 15, QUAD3_K_MAX = 7 };
/* Each form of sum S into D (lr the scratch; D may be S); QUAD3_OUT_x(S) into lr. */
#define QUAD3_OUTD_ZP(S, D)                        \
    "smmlar lr, " S ", r9, r10\n\t"                 \
    "add    lr, lr, " S ", asr #31\n\t"             \
    "asr    lr, lr, r11\n\t"                        \
    "ssat   " D ", #8, lr\n\t"
#define QUAD3_OUTD_U(S, D)                         \
    "smmulr lr, " S ", r9\n\t"                      \
    "add    lr, lr, lr, asr #31\n\t"                \
    "add    lr, lr, r10\n\t"                        \
    "asr    lr, lr, r11\n\t"                        \
    "ssat   " D ", #8, lr\n\t"
#define QUAD3_OUTD_Z(S, D)                         \
    "smmlar lr, " S ", r9, r10\n\t"                 \
    "asr    lr, lr, r11\n\t"                        \
    "ssat   " D ", #8, lr\n\t"
#define QUAD3_OUTD_L(S, D)                         \
    "smmlar lr, " S ", r9, r10\n\t"                 \
    "ssat   " D ", #8, lr\n\t"
#define QUAD3_STR_(x) #x
#define QUAD3_STR(x) QUAD3_STR_(x)
#define QUAD3_OUTD_E(S, D, E)                      \
    "smmla  lr, " S ", r9, r10\n\t"                 \
    "ssat   " D ", #8, lr, asr #" QUAD3_STR(E) "\n\t"
#define QUAD3_OUTD_E_LO(S, D) QUAD3_OUTD_E(S, D, QUAD3_E_LO_IMM)
#define QUAD3_OUTD_E_MID(S, D) QUAD3_OUTD_E(S, D, QUAD3_E_MID_IMM)
#define QUAD3_OUT_ZP(S) QUAD3_OUTD_ZP(S, "lr")
#define QUAD3_OUT_U(S) QUAD3_OUTD_U(S, "lr")
#define QUAD3_OUT_Z(S) QUAD3_OUTD_Z(S, "lr")
#define QUAD3_OUT_L(S) QUAD3_OUTD_L(S, "lr")
#define QUAD3_OUT_E(S, E) QUAD3_OUTD_E(S, "lr", E)
#define QUAD3_OUT_E_LO(S) QUAD3_OUT_E(S, QUAD3_E_LO_IMM)
#define QUAD3_OUT_E_MID(S) QUAD3_OUT_E(S, QUAD3_E_MID_IMM)
/* (the immediates of the enum above, for the assembler; checked equal below) */
#define QUAD3_E_LO_IMM 8
#define QUAD3_E_MID_IMM 15
typedef char nnom_quad3_e_ok[QUAD3_E_LO == QUAD3_E_LO_IMM && QUAD3_E_MID == QUAD3_E_MID_IMM &&
                                     QUAD3_E_MID - QUAD3_E_LO == QUAD3_K_MAX
                                 ? 1
                                 : -1];

/*
 * Stride 1, a kernel row R (weights at offset W of r0) of four outputs: Q0 = (x0, x1),
 * Q1 = (x2, x3), Q2 = (x4, x5) (R 8 bytes further), A = (w0, w1), B = (w2, w1):
 *   s0 += SMLAD(Q0, A) + SMLABB(Q1, B)     s1 += SMLATB(Q0, A) + SMLADX(Q1, B)
 *   s2 += SMLAD(Q1, A) + SMLABB(Q2, B)     s3 += SMLATB(Q1, A) + SMLADX(Q2, B)
 * The five words by single loads, weights then inputs (6 cycles, where two LDRD and an LDR
 * take 8: neighbouring single loads pipeline, ARM DDI 0439 "Load/store timings"). The first
 * kernel row loads the start value into r5 at the head of its loads and starts the sums from
 * it (SMLAxx's accumulator operand), s0 last: no moves.
 */
#define QUAD3_LOADS_L(R, W)                        \
    "ldr    r9, [r0, #" W "]\n\t"                   \
    "ldr    r10, [r0, #" W "+4]\n\t"                \
    "ldr    r11, [" R "], #8\n\t"                  \
    "ldr    r12, [" R ", #-4]\n\t"                 \
    "ldr    lr, [" R "]\n\t"
#define QUAD3_ROW_L(R, W)                          \
    QUAD3_LOADS_L(R, W)                            \
    "smlad  r5, r11, r9, r5\n\t"                    \
    "smlatb r6, r11, r9, r6\n\t"                    \
    "smlabb r5, r12, r10, r5\n\t"                   \
    "smladx r6, r12, r10, r6\n\t"                   \
    "smlad  r7, r12, r9, r7\n\t"                    \
    "smlatb r8, r12, r9, r8\n\t"                    \
    "smlabb r7, lr, r10, r7\n\t"                    \
    "smladx r8, lr, r10, r8\n\t"
#define QUAD3_FIRST_L(R, W)                        \
    "ldr    r5, [r0, #20]\n\t"                      \
    QUAD3_LOADS_L(R, W)                            \
    "smlatb r6, r11, r9, r5\n\t"                    \
    "smlad  r7, r12, r9, r5\n\t"                    \
    "smlatb r8, r12, r9, r5\n\t"                    \
    "smlad  r5, r11, r9, r5\n\t"                    \
    "smlabb r5, r12, r10, r5\n\t"                   \
    "smladx r6, r12, r10, r6\n\t"                   \
    "smlabb r7, lr, r10, r7\n\t"                    \
    "smladx r8, lr, r10, r8\n\t"

/*
 * Stride 2: output j reads Q_2j = (x_2j, x_2j+1) and the low half of the next word:
 *   s_j += SMLAD(Q_2j, A) + SMLABB(Q_2j+1, B)
 * per kernel row two LDRD and an LDR of inputs (R 16 bytes further); the first row starts
 * from the start value in r8 (s3's sum, started last; loaded as r5 is at stride 1).
 */
#define QUAD3_ROW_S2(R, W)                         \
    "ldrd   r9, r10, [r0, #" W "]\n\t"              \
    "ldrd   r11, r12, [" R "]\n\t"                  \
    "smlad  r5, r11, r9, r5\n\t"                    \
    "smlad  r6, r12, r9, r6\n\t"                    \
    "smlabb r5, r12, r10, r5\n\t"                   \
    "ldrd   r11, r12, [" R ", #8]\n\t"              \
    "smlad  r7, r11, r9, r7\n\t"                    \
    "smlad  r8, r12, r9, r8\n\t"                    \
    "smlabb r6, r11, r10, r6\n\t"                   \
    "smlabb r7, r12, r10, r7\n\t"                   \
    "ldr    r11, [" R ", #16]!\n\t"                 \
    "smlabb r8, r11, r10, r8\n\t"
#define QUAD3_FIRST_S2(R, W)                       \
    "ldrd   r9, r10, [r0, #" W "]\n\t"              \
    "ldrd   r11, r12, [" R "]\n\t"                  \
    "smlad  r5, r11, r9, r8\n\t"                    \
    "smlad  r6, r12, r9, r8\n\t"                    \
    "smlabb r5, r12, r10, r5\n\t"                   \
    "ldrd   r11, r12, [" R ", #8]\n\t"              \
    "smlad  r7, r11, r9, r8\n\t"                    \
    "smlad  r8, r12, r9, r8\n\t"                    \
    "smlabb r6, r11, r10, r6\n\t"                   \
    "smlabb r7, r12, r10, r7\n\t"                   \
    "ldr    r11, [" R ", #16]!\n\t"                 \
    "smlabb r8, r11, r10, r8\n\t"

/* One pass at stride 2: four outputs from r1-r3 (advanced by the row macros), stored from r4
 * (advanced by 4 steps). With the loop's test: 59 instructions for 36 multiply-accumulates in
 * Z, 63 in ZP. */
#define QUAD3_PASS(FIRST, ROW, OUT) \
                     FIRST("r1", "24") ROW("r2", "32") ROW("r3", "40") \
                     "ldrd   r9, r10, [r0, #48]\n\t" \
                     "ldrd   r11, r12, [r0, #56]\n\t" \
                     OUT("r5") "strb   lr, [r4]\n\t" \
                     OUT("r6") "strb   lr, [r4, r12]\n\t" \
                     OUT("r7") "strb   lr, [r4, r12, lsl #1]\n\t" \
                     "add    r4, r4, r12, lsl #1\n\t" \
                     OUT("r8") "strb   lr, [r4, r12]\n\t" \
                     "add    r4, r4, r12, lsl #1\n\t"
/* One pass at stride 1: the rows by single loads, then the constants (the shift e, LOAD_E, in the
 * forms that read it), the four outputs requantised in their sums' registers (OUTD), then stored
 * one after the other at o, o + step (r11), o + 2 step (lr), lr + step. With the loop's test: 61
 * instructions for 36 multiply-accumulates in the E form, 66 in Z, 70 in ZP; estimated 69
 * Cortex-M4 cycles in E, 74 in Z (ARM DDI 0439 timings), where two LDRD and an LDR a row and
 * each output stored as it is made took 52 instructions and 77 cycles in E. */
#define QUAD3_PASS_L(OUTD, LOAD_E) \
                     QUAD3_FIRST_L("r1", "24") QUAD3_ROW_L("r2", "32") QUAD3_ROW_L("r3", "40") \
                     "ldr    r9, [r0, #48]\n\t" \
                     "ldr    r10, [r0, #52]\n\t" \
                     LOAD_E \
                     "ldr    r12, [r0, #60]\n\t" \
                     OUTD("r5", "r5") OUTD("r6", "r6") OUTD("r7", "r7") OUTD("r8", "r8") \
                     "add    r11, r4, r12\n\t" \
                     "add    lr, r11, r12\n\t" \
                     "strb   r5, [r4]\n\t" \
                     "strb   r6, [r11]\n\t" \
                     "strb   r7, [lr]\n\t" \
                     "strb   r8, [lr, r12]\n\t" \
                     "add    r4, lr, r12, lsl #1\n\t"
/* A line's last output (any stride: (x_p, x_p+1) and x_p+2 of each kernel row, word aligned),
 * and its last two (the rows advanced past them, so that a third can follow: stride 1,
 * (x_p, x_p+1), (x_p+2, x_p+3); stride 2, also x_p+4). */
#define QUAD3_ONE(R, W) \
                     "ldrd   r9, r10, [r0, #" W "]\n\t" \
                     "ldrd   r11, r12, [" R "]\n\t" \
                     "smlad  r5, r11, r9, r5\n\t" \
                     "smlabb r5, r12, r10, r5\n\t"
#define QUAD3_TWO_S1(R, W) \
                     "ldrd   r9, r10, [r0, #" W "]\n\t" \
                     "ldrd   r11, r12, [" R "], #4\n\t" \
                     "smlad  r5, r11, r9, r5\n\t" \
                     "smlatb r6, r11, r9, r6\n\t" \
                     "smlabb r5, r12, r10, r5\n\t" \
                     "smladx r6, r12, r10, r6\n\t"
#define QUAD3_TWO_S2(R, W) \
                     "ldrd   r9, r10, [r0, #" W "]\n\t" \
                     "ldrd   r11, r12, [" R "], #8\n\t" \
                     "smlad  r5, r11, r9, r5\n\t" \
                     "smlabb r5, r12, r10, r5\n\t" \
                     "ldr    r11, [" R "]\n\t" \
                     "smlad  r6, r12, r9, r6\n\t" \
                     "smlabb r6, r11, r10, r6\n\t"
/*
 * `lines` lines (the struct's rows, output, end and line count updated as it goes), each next
 * one line_step bytes further in the buffer and o_line in the output: a line's whole quads,
 * then its last outputs by their count (tail): two (TWO), then one (QUAD3_ONE) when the count
 * is 1 or 3 (the flags of tail << 31 decide; nothing in TWO sets them). Registers: r0 the arguments, r1-r3 the rows, r4 the output, r5-r8 the sums,
 * r9-r12 and lr the weights and inputs of a kernel row, then the constants.
 * Precondition: r0 < r0_end, 8 (stride 2: 16) bytes apart a multiple of times; rows word aligned.
 */
#define QUAD3_BODY(HEAD, PASS, NEXT, TWO, OUT) \
    __asm__ volatile("push   {r4-r11, lr}\n\t" \
                     "ldmia  r0, {r1-r4}\n" \
                     "2:\n\t" /* (the next line's rows and output already in r1-r4) */ \
                     HEAD \
                     "1:\n\t" \
                     PASS \
                     NEXT \
                     "cmp    r1, r9\n\t" \
                     "bne    1b\n\t" \
                     "ldr    r9, [r0, #76]\n\t" \
                     "cmp    r9, #0\n\t" /* (no outputs left: the next line) */ \
                     "beq    3f\n\t" \
                     "lsls   r9, r9, #31\n\t" /* C: two outputs left, N: one (more) */ \
                     "bcc    4f\n\t" \
                     "ldr    r5, [r0, #20]\n\t" \
                     "mov    r6, r5\n\t" \
                     TWO("r1", "24") TWO("r2", "32") TWO("r3", "40") \
                     "ldrd   r9, r10, [r0, #48]\n\t" \
                     "ldrd   r11, r12, [r0, #56]\n\t" \
                     OUT("r5") "strb   lr, [r4]\n\t" \
                     OUT("r6") "strb   lr, [r4, r12]\n\t" \
                     "add    r4, r4, r12, lsl #1\n" \
                     "4:\n\t" \
                     "bpl    3f\n\t" \
                     "ldr    r5, [r0, #20]\n\t" \
                     QUAD3_ONE("r1", "24") QUAD3_ONE("r2", "32") QUAD3_ONE("r3", "40") \
                     "ldrd   r9, r10, [r0, #48]\n\t" \
                     "ldr    r11, [r0, #56]\n\t" \
                     OUT("r5") "strb   lr, [r4]\n" \
                     "3:\n\t" \
                     /* the next line: the rows, output, end and count by single loads and \
                      * stores (pipelined), the flags of the count's SUBS for the loop */ \
                     "ldr    r9, [r0, #68]\n\t" \
                     "ldr    r10, [r0, #72]\n\t" \
                     "ldr    r1, [r0, #0]\n\t" \
                     "ldr    r2, [r0, #4]\n\t" \
                     "ldr    r3, [r0, #8]\n\t" \
                     "ldr    r4, [r0, #12]\n\t" \
                     "ldr    r11, [r0, #16]\n\t" \
                     "ldr    r12, [r0, #64]\n\t" \
                     "add    r1, r1, r9\n\t" \
                     "add    r2, r2, r9\n\t" \
                     "add    r3, r3, r9\n\t" \
                     "add    r4, r4, r10\n\t" \
                     "add    r11, r11, r9\n\t" \
                     "subs   r12, r12, #1\n\t" \
                     "str    r1, [r0, #0]\n\t" \
                     "str    r2, [r0, #4]\n\t" \
                     "str    r3, [r0, #8]\n\t" \
                     "str    r4, [r0, #12]\n\t" \
                     "str    r11, [r0, #16]\n\t" \
                     "str    r12, [r0, #64]\n\t" \
                     "bne    2b\n\t" \
                     "pop    {r4-r11, pc}\n\t");

#define QARG __attribute__((unused))
#define QUAD3_FN(name, HEAD, PASS, NEXT, TWO, OUT) \
    __attribute__((naked, noinline)) static void name(QARG quad3_args *p) { QUAD3_BODY(HEAD, PASS, NEXT, TWO, OUT) }
/* Stride 1: the first kernel row loads the start value itself (QUAD3_FIRST_L); the loop's test
 * loads the end. Stride 2: the start value in r8 (its first kernel row starts the sums from it),
 * loaded at a line's start and, with the end, at each quad's end. */
#define QUAD3_LOAD_E "ldr    r11, [r0, #56]\n\t"
#define QUAD3_FN_S1(name, OUT, LOAD_E) \
    QUAD3_FN(name, "", QUAD3_PASS_L(QUAD3_OUTD_##OUT, LOAD_E), "ldr    r9, [r0, #16]\n\t", QUAD3_TWO_S1, \
             QUAD3_OUT_##OUT)
#define QUAD3_FN_S2(name, OUT) \
    QUAD3_FN(name, "ldr    r8, [r0, #20]\n", QUAD3_PASS(QUAD3_FIRST_S2, QUAD3_ROW_S2, QUAD3_OUT_##OUT), \
             "ldrd   r9, r8, [r0, #16]\n\t", QUAD3_TWO_S2, QUAD3_OUT_##OUT)
QUAD3_FN_S1(quad3_s1_zp, ZP, QUAD3_LOAD_E)
QUAD3_FN_S1(quad3_s1_u, U, QUAD3_LOAD_E)
QUAD3_FN_S1(quad3_s1_z, Z, QUAD3_LOAD_E)
QUAD3_FN_S1(quad3_s1_l, L, "")
QUAD3_FN_S1(quad3_s1_e_lo, E_LO, "")
QUAD3_FN_S1(quad3_s1_e_mid, E_MID, "")
QUAD3_FN_S2(quad3_s2_zp, ZP)
QUAD3_FN_S2(quad3_s2_u, U)
QUAD3_FN_S2(quad3_s2_z, Z)
QUAD3_FN_S2(quad3_s2_l, L)
/* (no E forms at stride 2: its line loops serve only channels past the last group of four and
 * depth multipliers above 1, too few to repay their flash) */

/* The requantisation form of quad3_run (see the forms above). */
typedef enum { QUAD3_ZP, QUAD3_U, QUAD3_Z, QUAD3_L, QUAD3_E_LO_FORM, QUAD3_E_MID_FORM, QUAD3_FORMS } quad3_form;
enum { QUAD3_S2_FORMS = QUAD3_E_LO_FORM }; /* (the forms of stride 2) */

/* The E form for shift E (QUAD3_E_LO or QUAD3_E_MID). */
static inline quad3_form quad3_e_form(int32_t e)
{
    return e == QUAD3_E_LO ? QUAD3_E_LO_FORM : QUAD3_E_MID_FORM;
}

/* The fields of quad3_args that lines of n >= 4 outputs share (stride 1 or 2): output j of a
 * line at o + j * step; each next line row_step int16 further in the buffer and o_line bytes
 * further in the output. */
static void quad3_shape(quad3_args *qa, int32_t n, int32_t step, int32_t row_step, ptrdiff_t o_line)
{
    qa->step = step;
    qa->line_step = row_step * (int32_t)sizeof(int16_t);
    qa->o_line = (int32_t)o_line;
    qa->tail = n & 3;
    qa->more = 0;
}

/* The line loops of a stride (1, or 2 in a form below QUAD3_S2_FORMS) in a requantisation form
 * over `lines` lines of the shape qa holds: kernel rows at rows[0..2] (word aligned), weights
 * wp[0..5] (A0 B0 A1 B1 A2 B2), sums from init, requantisation constants mult, c, e; `end` int16
 * from a line's first tap to its last quad's end. (qa's rows, output, end and lines change.) */
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
    static const quad3_fn s1[QUAD3_FORMS] = {quad3_s1_zp, quad3_s1_u,    quad3_s1_z,
                                             quad3_s1_l,  quad3_s1_e_lo, quad3_s1_e_mid};
    static const quad3_fn s2[QUAD3_S2_FORMS] = {quad3_s2_zp, quad3_s2_u, quad3_s2_z, quad3_s2_l};
    (stride == 2 ? s2 : s1)[form](qa);
}

/* Both for one channel: `lines` lines of n >= 4 outputs (see quad3_shape and quad3_run). */
static void quad3_lines(int32_t stride, quad3_form form, const int16_t *const *rows, const uint32_t *wp, int32_t n,
                        int8_t *o, int32_t step, int32_t init, int32_t mult, int32_t c, int32_t e, int32_t lines,
                        int32_t row_step, ptrdiff_t o_line)
{
    quad3_args qa;
    quad3_shape(&qa, n, step, row_step, o_line);
    quad3_run(&qa, stride, form, rows, wp, o, init, mult, c, e, lines, (n & ~3) * stride);
}

#endif /* NNOM_USE_ARM_DSP */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_QUAD3_H */
