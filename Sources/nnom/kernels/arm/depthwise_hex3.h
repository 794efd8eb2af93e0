/*
 * Lines of six outputs of a 3x3 kernel at stride 1 (MobileNets' 6 x 6 planes)
 * for the group-plane path of the Cortex-M DSP depthwise convolution
 * (kernels/arm/depthwise_conv_s8.c, which includes this file): one pass per
 * line, where the line loops of depthwise_quad3.h take a quad, then two
 * outputs, then move to the next line (112 instructions per line of 54
 * multiply-accumulates in the Z form against 79 here).
 *
 * The image: a channel's padded input as int16 in rows of HEX3_PITCH values
 * (6 outputs read 8 columns), word aligned, kernel row r of line y at row
 * y + r; the outputs of a line at o + j * step, the next line at o + 6 step
 * (the output plane's rows are 6 pixels). Per kernel row R, A = (w0, w1),
 * B = (w2, w1) and Q0..Q3 = (x0, x1) .. (x6, x7), as in depthwise_quad3.h:
 *   s0 += SMLAD(Q0, A) + SMLABB(Q1, B)     s1 += SMLATB(Q0, A) + SMLADX(Q1, B)
 *   s2 += SMLAD(Q1, A) + SMLABB(Q2, B)     s3 += SMLATB(Q1, A) + SMLADX(Q2, B)
 *   s4 += SMLAD(Q2, A) + SMLABB(Q3, B)     s5 += SMLATB(Q2, A) + SMLADX(Q3, B)
 * (two LDRD of inputs, one of weights, twelve multiplies). The requantisation
 * forms are quad3's U, Z and L (depthwise_quad3.h), same values bit for bit;
 * a ZP channel takes U (exact for any multiplier; one instruction more per
 * output, 300 bytes of flash less); no E form (a 6 x 6 plane is too few quads
 * to repay its scaled weights).
 *
 * Lines of five the same way (DS-CNN's 25 x 5 planes, walked along their rows
 * of five rather than transposed; same image pitch): per kernel row 13
 * instructions (three LDRD, ten multiplies), per line 62 instructions for 45
 * multiply-accumulates in the E forms of depthwise_quad3.h (67 in Z), where
 * the transposed lines of 25 took six quads and a last output (about 70 per 45,
 * and the fixed costs of each line). The E forms here too: 25 lines of five
 * repay the scaling of a channel's weights. (Planes of five with padding 1 whose
 * groups of four all take the E forms, as DS-CNN's do, go to depthwise_pent4.h:
 * these lines serve the others.)
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_HEX3_H
#define NNOM_KERNELS_ARM_DEPTHWISE_HEX3_H

#include "kernels/arm/depthwise_quad3.h"

#if NNOM_USE_ARM_DSP
#include <stdint.h>

enum {
    HEX3_OUT = 6,  /* outputs per line */
    PENT3_OUT = 5, /* outputs per line of the lines of five (below), same pitch */
    HEX3_PITCH = 8 /* int16 per image row: HEX3_OUT + 2, even */
};
#define HEX3_ROW_BYTES "16" /* HEX3_PITCH * 2, for the assembler (checked below) */
typedef char nnom_hex3_pitch_ok[HEX3_PITCH * 2 == 16 ? 1 : -1];

/* The products of kernel row R of a line of five but its last (bytes OFF and OFF8 = OFF + 8 from
 * the line's first image row, weights at W of r0): s0..s3 whole, s4 its SMLAD (12
 * instructions). */
#define ROW3_SHARED(OFF, OFF8, W)                  \
    "ldrd   r12, lr, [r0, #" W "]\n\t"              \
    "ldrd   r10, r11, [r1, #" OFF "]\n\t"           \
    "smlad  r4, r10, r12, r4\n\t"                   \
    "smlatb r5, r10, r12, r5\n\t"                   \
    "smlabb r4, r11, lr, r4\n\t"                    \
    "smladx r5, r11, lr, r5\n\t"                    \
    "smlad  r6, r11, r12, r6\n\t"                   \
    "smlatb r7, r11, r12, r7\n\t"                   \
    "ldrd   r10, r11, [r1, #" OFF8 "]\n\t"          \
    "smlabb r6, r10, lr, r6\n\t"                    \
    "smladx r7, r10, lr, r7\n\t"                    \
    "smlad  r8, r10, r12, r8\n\t"
/* Kernel row R of a line of six (bytes OFF from the line's first image row, weights at W of r0):
 * A, B, Q0, Q1, Q2 by five single loads (pipelined: 6 cycles), Q3 into Q0's register once s0 and
 * s1 are done with it; 12 multiplies. */
#define HEX3_ROW(OFF, W)                           \
    "ldr    r12, [r0, #" W "]\n\t"                  \
    "ldr    lr, [r0, #" W "+4]\n\t"                 \
    "ldr    r10, [r1, #" OFF "]\n\t"                \
    "ldr    r11, [r1, #" OFF "+4]\n\t"              \
    "ldr    r3, [r1, #" OFF "+8]\n\t"               \
    "smlad  r4, r10, r12, r4\n\t"                   \
    "smlatb r5, r10, r12, r5\n\t"                   \
    "smlabb r4, r11, lr, r4\n\t"                    \
    "smladx r5, r11, lr, r5\n\t"                    \
    "smlad  r6, r11, r12, r6\n\t"                   \
    "smlatb r7, r11, r12, r7\n\t"                   \
    "smlabb r6, r3, lr, r6\n\t"                     \
    "smladx r7, r3, lr, r7\n\t"                     \
    "smlad  r8, r3, r12, r8\n\t"                    \
    "smlatb r9, r3, r12, r9\n\t"                    \
    "ldr    r10, [r1, #" OFF "+12]\n\t"             \
    "smlabb r8, r10, lr, r8\n\t"                    \
    "smladx r9, r10, lr, r9\n\t"
/* The first kernel row: the start value into r9 (s5's register, started last) at the head of the
 * loads, every sum from it. */
#define HEX3_FIRST                                 \
    "ldr    r9, [r0, #20]\n\t"                      \
    "ldr    r12, [r0, #24]\n\t"                     \
    "ldr    lr, [r0, #28]\n\t"                      \
    "ldr    r10, [r1]\n\t"                          \
    "ldr    r11, [r1, #4]\n\t"                      \
    "ldr    r3, [r1, #8]\n\t"                       \
    "smlad  r4, r10, r12, r9\n\t"                   \
    "smlatb r5, r10, r12, r9\n\t"                   \
    "smlabb r4, r11, lr, r4\n\t"                    \
    "smladx r5, r11, lr, r5\n\t"                    \
    "smlad  r6, r11, r12, r9\n\t"                   \
    "smlatb r7, r11, r12, r9\n\t"                   \
    "smlabb r6, r3, lr, r6\n\t"                     \
    "smladx r7, r3, lr, r7\n\t"                     \
    "smlad  r8, r3, r12, r9\n\t"                    \
    "smlatb r9, r3, r12, r9\n\t"                    \
    "ldr    r10, [r1, #12]\n\t"                     \
    "smlabb r8, r10, lr, r8\n\t"                    \
    "smladx r9, r10, lr, r9\n\t"

/* The forms of depthwise_quad3.h on sum S into r3, constants r10 = mult, r11 = c, r12 = e. */
#define HEX3_OUT_U(S)                              \
    "smmulr r3, " S ", r10\n\t"                     \
    "add    r3, r3, r3, asr #31\n\t"                \
    "add    r3, r3, r11\n\t"                        \
    "asr    r3, r3, r12\n\t"                        \
    "ssat   r3, #8, r3\n\t"
#define HEX3_OUT_Z(S)                              \
    "smmlar r3, " S ", r10, r11\n\t"                \
    "asr    r3, r3, r12\n\t"                        \
    "ssat   r3, #8, r3\n\t"
#define HEX3_OUT_L(S)                              \
    "smmlar r3, " S ", r10, r11\n\t"                \
    "ssat   r3, #8, r3\n\t"

/* The same forms into S itself (r3 the scratch), for lines of six. */
#define HEX3_OUTD_U(S)                             \
    "smmulr r3, " S ", r10\n\t"                     \
    "add    r3, r3, r3, asr #31\n\t"                \
    "add    r3, r3, r11\n\t"                        \
    "asr    r3, r3, r12\n\t"                        \
    "ssat   " S ", #8, r3\n\t"
#define HEX3_OUTD_Z(S)                             \
    "smmlar r3, " S ", r10, r11\n\t"                \
    "asr    r3, r3, r12\n\t"                        \
    "ssat   " S ", #8, r3\n\t"
#define HEX3_OUTD_L(S)                             \
    "smmlar r3, " S ", r10, r11\n\t"                \
    "ssat   " S ", #8, r3\n\t"

/* A line's constants (r10, r11 = multiplier, c; r12, lr = e, output step) and its first four
 * outputs s0..s3 (r4-r7) requantised by OUT and stored, r2 left at s2's output (lines of five). */
#define LINE_OUT_FIRST4(OUT)                       \
    "ldrd   r10, r11, [r0, #48]\n\t"              \
    "ldrd   r12, lr, [r0, #56]\n\t"               \
    OUT("r4") "strb   r3, [r2]\n\t"               \
    OUT("r5") "strb   r3, [r2, lr]\n\t"           \
    OUT("r6") "strb   r3, [r2, lr, lsl #1]\n\t"   \
    "add    r2, r2, lr, lsl #1\n\t"               \
    OUT("r7") "strb   r3, [r2, lr]\n\t"

/*
 * Lines from the image at p->r0 (the line's first kernel row) to p->r0_end (HEX3_PITCH int16 per
 * line), outputs from p->o, start p->init, weights p->w, constants p->mult, c, e, output step
 * p->step (quad3_args: only these fields). Registers: r0 the arguments, r1 the image, r2 the
 * output, r4-r9 the sums, r3, r10-r12 and lr the weights and inputs, then the constants and the
 * step (single loads), the six outputs made in the sums' registers (OUTD) and stored one after
 * the other at o, o + step (r10), o + 2 step (r11), o + 3 step (r12), o + 4 step (r3) and r3 +
 * step: an estimated 103 Cortex-M4 cycles a line in the Z form, where LDRD and each output stored
 * as it was made took 111. Then the blocks of p->more channels after p, the same way.
 * Precondition: each block's r0_end = r0 + a whole number >= 1 of lines.
 */
#define HEX3_BODY(OUTD)                                                        \
    __asm__ volatile("push   {r4-r11, lr}\n\t"                                  \
                     "ldr    r1, [r0]\n\t"                                      \
                     "ldr    r2, [r0, #12]\n"                                   \
                     "1:\n\t" HEX3_FIRST HEX3_ROW("16", "32") HEX3_ROW("32", "40") \
                     "ldr    r10, [r0, #48]\n\t"                                \
                     "ldr    r11, [r0, #52]\n\t"                                \
                     "ldr    r12, [r0, #56]\n\t"                                \
                     "ldr    lr, [r0, #60]\n\t"                                 \
                     OUTD("r4") OUTD("r5") OUTD("r6") OUTD("r7") OUTD("r8") OUTD("r9") \
                     "add    r10, r2, lr\n\t"                                   \
                     "add    r11, r10, lr\n\t"                                  \
                     "add    r12, r11, lr\n\t"                                  \
                     "add    r3, r12, lr\n\t"                                   \
                     "strb   r4, [r2]\n\t"                                      \
                     "strb   r5, [r10]\n\t"                                     \
                     "strb   r6, [r11]\n\t"                                     \
                     "strb   r7, [r12]\n\t"                                     \
                     "strb   r8, [r3]\n\t"                                      \
                     "strb   r9, [r3, lr]\n\t"                                  \
                     "add    r2, r3, lr, lsl #1\n\t"                            \
                     "add    r1, r1, #" HEX3_ROW_BYTES "\n\t"                   \
                     "ldr    r3, [r0, #16]\n\t"                                 \
                     "cmp    r1, r3\n\t"                                        \
                     "bne    1b\n\t"                                            \
                     "ldr    r3, [r0, #80]\n\t" /* the next channel's block, if any */ \
                     "cbz    r3, 2f\n\t"                                        \
                     "add    r0, r0, #" QUAD3_ARGS_BYTES "\n\t"                 \
                     "ldr    r1, [r0]\n\t"                                      \
                     "ldr    r2, [r0, #12]\n\t"                                 \
                     "b      1b\n"                                               \
                     "2:\n\t"                                                   \
                     "pop    {r4-r11, pc}\n\t");

#define HEX3_FN(name, OUT) \
    __attribute__((naked, noinline)) static void name(QARG quad3_args *p) { HEX3_BODY(OUT) }
HEX3_FN(hex3_u, HEX3_OUTD_U)
HEX3_FN(hex3_z, HEX3_OUTD_Z)
HEX3_FN(hex3_l, HEX3_OUTD_L)

/* Lines of five (the 25 x 5 planes of DS-CNNs), the same image rows of HEX3_PITCH: per kernel
 * row R, Q0..Q3 = (x0, x1) .. (x6, x7) (x7 unread)
 *   s0 += SMLAD(Q0, A) + SMLABB(Q1, B)     s1 += SMLATB(Q0, A) + SMLADX(Q1, B)
 *   s2 += SMLAD(Q1, A) + SMLABB(Q2, B)     s3 += SMLATB(Q1, A) + SMLADX(Q2, B)
 *   s4 += SMLAD(Q2, A) + SMLABB(Q3, B)
 * (13 instructions); the sums in r4-r8, the start value in r8 (s4's, started last), the end of
 * the image in r9. */
#define PENT3_ROW(OFF, OFF8, W)                    \
    ROW3_SHARED(OFF, OFF8, W)                      \
    "smlabb r8, r11, lr, r8\n\t"
#define PENT3_FIRST                                \
    "ldr    r8, [r0, #20]\n\t"                      \
    "ldrd   r12, lr, [r0, #24]\n\t"                 \
    "ldrd   r10, r11, [r1]\n\t"                     \
    "smlad  r4, r10, r12, r8\n\t"                   \
    "smlatb r5, r10, r12, r8\n\t"                   \
    "smlabb r4, r11, lr, r4\n\t"                    \
    "smladx r5, r11, lr, r5\n\t"                    \
    "smlad  r6, r11, r12, r8\n\t"                   \
    "smlatb r7, r11, r12, r8\n\t"                   \
    "ldrd   r10, r11, [r1, #8]\n\t"                 \
    "smlabb r6, r10, lr, r6\n\t"                    \
    "smladx r7, r10, lr, r7\n\t"                    \
    "smlad  r8, r10, r12, r8\n\t"                   \
    "smlabb r8, r11, lr, r8\n\t"
/* The E forms of depthwise_quad3.h (constants r10 = mult, r11 = c'): two instructions. */
#define HEX3_OUT_E(S, E)                           \
    "smmla  r3, " S ", r10, r11\n\t"                \
    "ssat   r3, #8, r3, asr #" QUAD3_STR(E) "\n\t"
#define HEX3_OUT_E_LO(S) HEX3_OUT_E(S, QUAD3_E_LO_IMM)
#define HEX3_OUT_E_MID(S) HEX3_OUT_E(S, QUAD3_E_MID_IMM)
/* One pass per line: 39 + 2 + 5 x (requantisation + STRB) + 6 instructions (62 in the E forms,
 * 67 in Z, for 45 multiply-accumulates); the next line's outputs 5 steps further. */
#define PENT3_BODY(OUT)                                                        \
    __asm__ volatile("push   {r4-r11, lr}\n\t"                                  \
                     "ldr    r1, [r0]\n\t"                                      \
                     "ldr    r2, [r0, #12]\n\t"                                 \
                     "ldr    r9, [r0, #16]\n"                                    \
                     "1:\n\t" PENT3_FIRST PENT3_ROW("16", "24", "32") PENT3_ROW("32", "40", "40") \
                     LINE_OUT_FIRST4(OUT)                                       \
                     OUT("r8") "strb   r3, [r2, lr, lsl #1]\n\t"                \
                     "add    r2, r2, lr, lsl #1\n\t"                            \
                     "add    r2, r2, lr\n\t"                                    \
                     "add    r1, r1, #" HEX3_ROW_BYTES "\n\t"                   \
                     "cmp    r1, r9\n\t"                                        \
                     "bne    1b\n\t"                                            \
                     "pop    {r4-r11, pc}\n\t");
#define PENT3_FN(name, OUT) \
    __attribute__((naked, noinline)) static void name(QARG quad3_args *p) { PENT3_BODY(OUT) }
PENT3_FN(pent3_u, HEX3_OUT_U)
PENT3_FN(pent3_z, HEX3_OUT_Z)
PENT3_FN(pent3_l, HEX3_OUT_L)
PENT3_FN(pent3_e_lo, HEX3_OUT_E_LO)
PENT3_FN(pent3_e_mid, HEX3_OUT_E_MID)

/* Whether hex3_run serves a form on lines of `out` outputs (ZP through U; the E forms on lines of
 * five only). */
static inline int hex3_form_ok(quad3_form form, int32_t out) { return out == PENT3_OUT || form < QUAD3_E_LO_FORM; }

/* `lines` lines of `out` outputs (HEX3_OUT or PENT3_OUT) of a channel from its image at `img`
 * (HEX3_PITCH int16 per row, word aligned): weights wp[0..5] (A0 B0 A1 B1 A2 B2), sums from init,
 * constants mult, c, e, outputs at o + j * step, each next line `out` steps further.
 * Precondition: hex3_form_ok(form, out); qa->more 0 (as quad3_shape() sets it). */
static void hex3_run(quad3_args *qa, int32_t out, quad3_form form, const int16_t *img, const uint32_t *wp, int8_t *o,
                     int32_t step, int32_t init, int32_t mult, int32_t c, int32_t e, int32_t lines)
{
    qa->r0 = img;
    qa->o = o;
    qa->r0_end = img + lines * HEX3_PITCH;
    qa->init = init;
    for (int32_t i = 0; i < 6; i++) qa->w[i] = wp[i];
    qa->mult = mult;
    qa->c = c;
    qa->e = e;
    qa->step = step;
    typedef void (*hex3_fn)(quad3_args *);
    static const hex3_fn six[QUAD3_E_LO_FORM] = {hex3_u, hex3_u, hex3_z, hex3_l}; /* (ZP, U, Z, L) */
    static const hex3_fn five[QUAD3_FORMS] = {pent3_u, pent3_u, pent3_z, pent3_l, pent3_e_lo, pent3_e_mid};
    (out == PENT3_OUT ? five : six)[form](qa);
}

/* Lines of six of HEX3_GROUP channels in one call, all in one form (below QUAD3_E_LO_FORM): block j
 * of qa (its image, output, end, start, weights and constants set, as hex3_run() sets them) for
 * channel j, the blocks linked by hex3_link_group() (the line loops only read the blocks: a link
 * set once serves every call). */
enum { HEX3_GROUP = 4 };
static void hex3_link_group(quad3_args qa[HEX3_GROUP])
{
    for (int32_t j = 0; j < HEX3_GROUP; j++) qa[j].more = HEX3_GROUP - 1 - j;
}
static void hex3_run_group(quad3_args qa[HEX3_GROUP], quad3_form form)
{
    typedef void (*hex3_fn)(quad3_args *);
    static const hex3_fn six[QUAD3_E_LO_FORM] = {hex3_u, hex3_u, hex3_z, hex3_l}; /* (ZP, U, Z, L) */
    six[form](qa);
}

#endif /* NNOM_USE_ARM_DSP */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_HEX3_H */
