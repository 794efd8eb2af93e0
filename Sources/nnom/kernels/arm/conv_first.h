/*
 * The first-layer pass of the Cortex-M DSP convolution: four pixels and two
 * output channels at a time, register-blocked, for the patch lengths of the
 * usual first layers: FIRST_K27 (3x3 on three channels, MobileNet's and
 * ResNet-8's RGB input; 3x9 on one) and FIRST_K40 (DS-CNN's 10x4 on one
 * channel). Part of kernels/arm/conv_s8.c; conv_first_run.h runs it on whole
 * layers whose every channel it takes, conv_narrow.h on runs of channels of
 * other layers (both gather the columns, for 3x3x3 patches with
 * first_gather_27_run4, below, and hand it whole passes of four pixels);
 * same results as the portable kernel bit for bit.
 *
 * Why: on such short patches the general passes spend as much on each
 * output's overhead as on its multiply-accumulates (pass8: 44 estimated
 * cycles per group of 32 multiply-accumulates and about 85 per channel
 * besides; pass3: 28 per 24 and 86 per pair of channels for six outputs).
 * Here the patch length is a constant of the code: channel c + 1's weights
 * are read at an immediate offset from channel c's, which frees the register
 * of that offset for two more sums, so eight sums (two channels x four
 * pixels) share each load. The groups are straight copies (no loop, no
 * entry computation), the first one starting the sums (SMUAD).
 *
 * The columns are pass4's layout (conv_pass.h), four pixels side by side:
 *     cols: | g0: p0 lo hi, p1 lo hi, p2 lo hi, p3 lo hi | g1 ... |   (32 bytes a group)
 * Per group of four taps, in two halves (the lo words with the weights'
 * (w0, w2), then the hi words with (w1, w3)): both channels' weight words and
 * two column words in one run of four single loads, two SXTB16, four SMLAD,
 * two column words more, four SMLAD: 16 instructions, 18 estimated cycles for
 * 16 multiply-accumulates; a group 36 cycles for 32 (1.125 a MAC, against
 * 1.375 for pass8 and 1.17 for pass3). On a pair's interleaved copy of
 * 27-element weights (FIRST_KIND_PAIRS, which conv_first_run.h makes when it
 * fits its stack) one word gives both channels' int16 pairs: 17 cycles a
 * half, 34 a group (1.06 a MAC). Registers: r0 the columns, r1 channel
 * c's weights, r2-r5 channel c's sums (pixels 0-3), r6-r8 and lr channel
 * c + 1's, r9, r10 the weights, r11, r12 the column words; then r9-r12 a
 * channel's constants, r0 the table, r1 the requantisation's temporary (the
 * next pair's weights kept on the stack).
 *
 * Per pair of channels, besides the groups: each channel's constants from the
 * caller's table (first_table_entry(): multiplier, e, the rounding constant
 * with the zero point, 2 * bias; one LDM), its form picked by its multiplier
 * (above 2^30: nnom_arm_requant_zp(), else nnom_arm_requant(); REQUANT_ZP_B /
 * REQUANT_U_B of conv_pass.h, the bias added there), four outputs
 * requantised each, then the eight bytes stored: about 85 estimated cycles
 * for eight outputs (40 of them the requantisation), against about 106 when
 * the constants came from the layer's arrays and the patch length was tested
 * per pair. The patch length picks one of two loops once per call.
 *
 * Preconditions (first_pass on p with weights w):
 *  - p->n4 = 4 * n_ch, n_ch even and > 0; channels [0, n_ch) all of a fast
 *    form: multiplier not 0, shift in [-22, -1], |dot + bias| < 2^30 (as
 *    conv_narrow.h's narrow_form() picks NARROW_ZP / NARROW_U), their entries
 *    in p->table (FIRST_TABLE_ENTRY words each, from channel 0's);
 *  - channel c's k weights at w + c * k (FIRST_KIND_PAIRS: the pairs'
 *    interleaved, first_interleave()), the last channel's followed by at
 *    least 4 * groups - k readable bytes (the group past the patch reads them;
 *    they meet column lanes that are 0);
 *  - the columns of four whole pixels at p->cols, the lanes past k 0.
 * Overflow: a column lane is x - in_zp in [-255, 255], a weight in [-128, 127]:
 * |dot| <= k * 32640 < 2^21, SMLAD's sums never wrap; the requantisation's
 * T = 2 (dot + bias) is exact under |dot + bias| < 2^30.
 * Output: channel c of pixel j to p->out[j * p->out_c + c], clamped to the
 * int8 range only (the caller applies a narrower clamp).
 */
#ifndef NNOM_KERNELS_ARM_CONV_FIRST_H
#define NNOM_KERNELS_ARM_CONV_FIRST_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/arm/conv_pass.h"

enum {
    FIRST_K27 = 27,     /* 3x3x3 (and 3x9x1): 7 groups, the last one's lane past k the next weight */
    FIRST_K40 = 40,     /* 10x4x1: 10 groups */
    FIRST_PIXELS = 4,   /* pixels per pass (pass4's column layout) */
    FIRST_PAIR_BYTES = 56, /* a pair of channels' 27-element weights interleaved (FIRST_KIND_PAIRS) */
    /* first_args.kind: 27-element patches, weights FIRST_K27 bytes apart (in place); 40-element,
     * FIRST_K40 apart; 27-element, pairs interleaved on a caller's word-aligned copy
     * (first_interleave()) */
    FIRST_KIND_27 = 0,
    FIRST_KIND_40 = 1,
    FIRST_KIND_PAIRS = 2,
    FIRST_TABLE_CHANNELS = 16, /* the most channels conv_narrow.h tables for the passes (on its stack) */
    FIRST_TABLE_ENTRY = 4      /* words of a channel's entry of the passes' table (first_table_entry()) */
};

/* A first-layer pass's arguments (offsets are used by its assembly, which reads cols, out, out_c,
 * n4, kind and table; mult, shift, bias and zz are its callers'). */
typedef struct {
    const uint32_t *cols;  /*  0: the four columns */
    const int32_t *mult;   /*  4: channel 0's */
    const int32_t *shift;  /*  8 */
    const int32_t *bias;   /* 12 */
    int32_t zz;            /* 16: 2 * out_zp + 1 */
    int8_t *out;           /* 20: channel 0 of pixel 0 */
    int32_t out_c;         /* 24 */
    int32_t n4;            /* 28: 4 * n_ch */
    int32_t kind;          /* 32: the patches and the weights' layout: FIRST_KIND_27, _40, _28 */
    const int32_t *table;  /* 36: channel 0's entry of the table of constants: per channel m, e,
                              (2 zp + 1) << (e - 1), 2 * bias (first_table_entry()) */
} first_args;

#define FIRST_STR2(X) #X
#define FIRST_STR(X) FIRST_STR2(X)

/* The eight sums' products of one half: MAC is SMUAD (the first group's lo half starts the sums)
 * or SMLAD. */
#define FIRST_SMUAD(D, A, B) "smuad  " D ", " A ", " B "\n\t"
#define FIRST_SMLAD(D, A, B) "smlad  " D ", " A ", " B ", " D "\n\t"
#define FIRST_MACS(MAC, OFF, H)                          \
    MAC("r2", "r11", "r9") MAC("r6", "r11", "r10")       \
    MAC("r3", "r12", "r9") MAC("r7", "r12", "r10")       \
    "ldr.w  r11, [r0, #" OFF " + " H " + 16]\n\t"        \
    "ldr.w  r12, [r0, #" OFF " + " H " + 24]\n\t"        \
    MAC("r4", "r11", "r9") MAC("r8", "r11", "r10")       \
    MAC("r5", "r12", "r9") MAC("lr", "r12", "r10")
/* One group (columns at r0 + OFF, weights at r1, channel c + 1's K bytes on), r1 stepped past
 * it; MAC for the lo half. */
#define FIRST_GROUP(K, OFF, MAC)                         \
    "ldr.w  r9, [r1]\n\t"                                \
    "ldr.w  r10, [r1, #" K "]\n\t"                       \
    "ldr.w  r11, [r0, #" OFF "]\n\t"                     \
    "ldr.w  r12, [r0, #" OFF " + 8]\n\t"                 \
    "sxtb16 r9, r9\n\t"                                  \
    "sxtb16 r10, r10\n\t"                                \
    FIRST_MACS(MAC, OFF, "0")                            \
    "ldr.w  r10, [r1, #" K "]\n\t"                       \
    "ldr.w  r9, [r1], #4\n\t"                            \
    "ldr.w  r11, [r0, #" OFF " + 4]\n\t"                 \
    "ldr.w  r12, [r0, #" OFF " + 12]\n\t"                \
    "sxtb16 r9, r9, ror #8\n\t"                          \
    "sxtb16 r10, r10, ror #8\n\t"                        \
    FIRST_MACS(FIRST_SMLAD, OFF, "4")
/* The same on a pair's interleaved weights (FIRST_KIND_PAIRS): per group the word (c w0, c+1 w0,
 * c w2, c+1 w2), then (c w1, c+1 w1, c w3, c+1 w3), each giving both channels' int16 pairs (one
 * load instead of two a half: 17 estimated cycles a half, 34 a group); K unused. */
#define FIRST_GROUP_P(K, OFF, MAC)                       \
    "ldr.w  r9, [r1], #4\n\t"                            \
    "ldr.w  r11, [r0, #" OFF "]\n\t"                     \
    "ldr.w  r12, [r0, #" OFF " + 8]\n\t"                 \
    "sxtb16 r10, r9, ror #8\n\t"                         \
    "sxtb16 r9, r9\n\t"                                  \
    FIRST_MACS(MAC, OFF, "0")                            \
    "ldr.w  r9, [r1], #4\n\t"                            \
    "ldr.w  r11, [r0, #" OFF " + 4]\n\t"                 \
    "ldr.w  r12, [r0, #" OFF " + 12]\n\t"                \
    "sxtb16 r10, r9, ror #8\n\t"                         \
    "sxtb16 r9, r9\n\t"                                  \
    FIRST_MACS(FIRST_SMLAD, OFF, "4")
#define FIRST_G(GM, K, I) GM(K, FIRST_STR(32 * I), FIRST_SMLAD)
#if NNOM_COMPACT_KERNELS
/* For size (-Os): the first group, then the others three at a time in a loop (two passes for 27
 * taps, three for 40) ending at the columns' end ([sp, #24]): about 7 estimated cycles a pass of
 * the loop, for 1.1 KB less code. GM: the group's macro. */
#define FIRST_GROUPS(GM, K, GROUPS)                                                                \
    "add    r9, r0, #32 * " FIRST_STR(GROUPS) "\n\t"                                               \
    "str    r9, [sp, #24]\n\t"                                                                     \
    GM(FIRST_STR(K), "0", FIRST_SMUAD)                                                             \
    "add    r0, r0, #32\n"                                                                         \
    "3:\n\t"                                                                                       \
    FIRST_G(GM, FIRST_STR(K), 0) FIRST_G(GM, FIRST_STR(K), 1) FIRST_G(GM, FIRST_STR(K), 2)         \
    "add    r0, r0, #3 * 32\n\t"                                                                   \
    "ldr    r9, [sp, #24]\n\t"                                                                     \
    "cmp    r0, r9\n\t"                                                                            \
    "bne    3b\n\t"
#else
/* For speed: straight copies (no loop, no entry computation). GM: the group's macro. */
#define FIRST_GROUPS_7(GM, K)                                                                      \
    GM(K, "0", FIRST_SMUAD) FIRST_G(GM, K, 1) FIRST_G(GM, K, 2) FIRST_G(GM, K, 3)                  \
    FIRST_G(GM, K, 4) FIRST_G(GM, K, 5) FIRST_G(GM, K, 6)
#define FIRST_GROUPS_10(GM, K) FIRST_GROUPS_7(GM, K) FIRST_G(GM, K, 7) FIRST_G(GM, K, 8) FIRST_G(GM, K, 9)
#define FIRST_GROUPS(GM, K, GROUPS) FIRST_GROUPS_##GROUPS(GM, FIRST_STR(K))
#endif
/* the loop for size takes the groups after the first three at a time */
typedef char first_groups_check[((FIRST_K27 + 3) / 4 - 1) % 3 == 0 && (FIRST_K40 / 4 - 1) % 3 == 0 ? 1 : -1];

/* Channel c's constants of the pair from the table at r0 (moved past them): multiplier r9, e r10,
 * constant r11, 2 * bias r12; flags from comparing the multiplier with 2^30 (higher:
 * nnom_arm_requant_zp()). */
#define FIRST_CONSTS "ldm    r0!, {r9, r10, r11, r12}\n\t" \
                     "cmp    r9, #0x40000000\n\t"
#define FIRST_RQ4(RQ, S0, S1, S2, S3)                                             \
    RQ(S0, "r9", "r10", "r11", "r1", "r12") RQ(S1, "r9", "r10", "r11", "r1", "r12") \
    RQ(S2, "r9", "r10", "r11", "r1", "r12") RQ(S3, "r9", "r10", "r11", "r1", "r12")

/* The pass's stack: the columns, channel c's output (pixel 0), out_c, channel c's table entry, the
 * next pair's weights, the weights' end, [sp, #24] (-Os) the columns' end, [sp, #28] the loop's
 * head (its address, Thumb bit set). */
#define FIRST_FRAME 32
/* A pair of channels' groups (G of them) at TOP, the columns at r0 and the weights at r1, channel
 * c + 1's STEP bytes after channel c's (r1 moved to the next pair's). */
#define FIRST_HEAD(STEP, G, TOP)                                                                   \
    TOP ":\n\t"                                                                                    \
    FIRST_GROUPS(FIRST_GROUP, STEP, G)                                                             \
    "add    r1, r1, #2 * " #STEP " - 4 * " #G "\n\t" /* channel c + 2 */
/* The same on interleaved pairs (FIRST_KIND_PAIRS: r1 ends at the next pair's). */
#define FIRST_HEAD_P(G, TOP)                                                                       \
    TOP ":\n\t"                                                                                    \
    FIRST_GROUPS(FIRST_GROUP_P, 0, G)
/* The pair's requantisation and stores, then the next pair: AGAIN when there is one (labels A-D
 * are the tail's own). */
#define FIRST_TAIL(AGAIN, A, B, C, D)                                                              \
    "str    r1, [sp, #16]\n\t"                                                                     \
    "ldr    r0, [sp, #12]\n\t"                                                                     \
    FIRST_CONSTS                                                                                   \
    "bls    " C "f\n\t"                                                                            \
    FIRST_RQ4(REQUANT_ZP_B, "r2", "r3", "r4", "r5")                                                \
    A ":\n\t"                                                                                      \
    FIRST_CONSTS                                                                                   \
    "bls    " D "f\n\t"                                                                            \
    FIRST_RQ4(REQUANT_ZP_B, "r6", "r7", "r8", "lr")                                                \
    B ":\n\t"                           /* the eight bytes, the next pair */                       \
    "str    r0, [sp, #12]\n\t"                                                                     \
    "ldr    r9, [sp, #4]\n\t"           /* channel c of pixel 0 */                                 \
    "ldr    r10, [sp, #8]\n\t"          /* out_c */                                                \
    "add    r11, r9, #2\n\t"                                                                       \
    "str    r11, [sp, #4]\n\t"                                                                     \
    "strb   r2, [r9]\n\t"                                                                          \
    "strb   r6, [r9, #1]\n\t"                                                                      \
    "add    r9, r9, r10\n\t"                                                                       \
    "add    r11, r9, r10\n\t"                                                                      \
    "add    r12, r11, r10\n\t"                                                                     \
    "strb   r3, [r9]\n\t"                                                                          \
    "strb   r7, [r9, #1]\n\t"                                                                      \
    "strb   r4, [r11]\n\t"                                                                         \
    "strb   r8, [r11, #1]\n\t"                                                                     \
    "strb   r5, [r12]\n\t"                                                                         \
    "strb   lr, [r12, #1]\n\t"                                                                     \
    "ldr    r1, [sp, #16]\n\t"                                                                     \
    "ldr    r12, [sp, #20]\n\t"                                                                    \
    "ldr    r0, [sp]\n\t"                                                                          \
    "cmp    r1, r12\n\t"                                                                           \
    AGAIN                                                                                          \
    "b      90f\n"                                                                                 \
    C ":\n\t"                                                                                      \
    FIRST_RQ4(REQUANT_U_B, "r2", "r3", "r4", "r5")                                                 \
    "b      " A "b\n"                                                                              \
    D ":\n\t"                                                                                      \
    FIRST_RQ4(REQUANT_U_B, "r6", "r7", "r8", "lr")                                                 \
    "b      " B "b\n\t"
/* The weights' end (r6: n_ch) at a channel step of STEP bytes, and, -Os, the loop's head (TOP: a
 * label reference). */
#define FIRST_ENTER_END(STEP)                                                                      \
    "movs   r7, #" #STEP "\n\t"                                                                    \
    "mla    r6, r6, r7, r1\n\t"                                                                    \
    "str    r6, [sp, #20]\n\t"
#if NNOM_COMPACT_KERNELS
#define FIRST_ENTER(STEP, TOP)                                                                     \
    FIRST_ENTER_END(STEP)                                                                          \
    "adr.w  r2, " TOP " + 1\n\t"                                                                  \
    "str    r2, [sp, #28]\n\t"
#else
#define FIRST_ENTER(STEP, TOP) FIRST_ENTER_END(STEP)
#endif
#if NNOM_COMPACT_KERNELS
/* For size (-Os): one tail for the three loops, the next pair's head from the stack (about 5
 * estimated cycles more a pair, 0.8 KB less code). */
#define FIRST_LOOPS                                                                                \
    FIRST_HEAD_P(7, "12")                                                                          \
    "b      50f\n\t"                                                                               \
    FIRST_HEAD(27, 7, "10")                                                                        \
    "b      50f\n\t"                                                                               \
    FIRST_HEAD(40, 10, "11")                                                                       \
    "50:\n\t"                                                                                      \
    FIRST_TAIL("it     ne\n\t"                                                                    \
               "ldrne  pc, [sp, #28]\n\t", "20", "21", "30", "31")
#else
/* For speed: a loop per kind. */
#define FIRST_LOOPS                                                                                \
    FIRST_HEAD_P(7, "12")                                                                          \
    FIRST_TAIL("bne    12b\n\t", "22", "23", "32", "33")                                           \
    FIRST_HEAD(27, 7, "10")                                                                        \
    FIRST_TAIL("bne    10b\n\t", "20", "21", "30", "31")                                           \
    FIRST_HEAD(40, 10, "11")                                                                       \
    FIRST_TAIL("bne    11b\n\t", "24", "25", "34", "35")
#endif

/*
 * Channels [0, n_ch) of four whole pixels (see the file comment), weights from w, patches of
 * FIRST_K40 or FIRST_K27 elements at the channel step p->kind says; the constants from p->table
 * (channel 0's entry, FIRST_TABLE_ENTRY words a channel, first_table_entry()). Stack: FIRST_FRAME.
 */
/* (naked: the body is the assembly alone; the arguments arrive in r0, r1) */
__attribute__((naked, noinline)) static void first_pass(ARG first_args *p, ARG const int8_t *w)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #" FIRST_STR(FIRST_FRAME) "\n\t"
        "ldr    r2, [r0]\n\t"               /* cols */
        "ldr    r3, [r0, #20]\n\t"          /* out */
        "ldr    r4, [r0, #24]\n\t"          /* out_c */
        "ldr    r5, [r0, #36]\n\t"          /* table */
        "ldr    r6, [r0, #28]\n\t"          /* n4 */
        "ldr    r7, [r0, #32]\n\t"          /* kind */
        "stm    sp, {r2-r5}\n\t"
        "lsr    r6, r6, #2\n\t"             /* n_ch */
        "mov    r0, r2\n\t"
        "cmp    r7, #1\n\t"                 /* FIRST_KIND_40 */
        "beq    6f\n\t"
        "cmp    r7, #0\n\t"                 /* FIRST_KIND_27 */
        "beq    7f\n\t"
        FIRST_ENTER(28, "12f")             /* FIRST_PAIR_BYTES / 2 */
        FIRST_LOOPS
        "6:\n\t"
        FIRST_ENTER(40, "11b")
        "b      11b\n"
        "7:\n\t"
        FIRST_ENTER(27, "10b")
        "b      10b\n"
        "90:\n\t"
        "add    sp, sp, #" FIRST_STR(FIRST_FRAME) "\n\t"
        "pop    {r4-r11, pc}\n\t");
}
typedef char first_args_check[offsetof(first_args, out) == 20 && offsetof(first_args, out_c) == 24 &&
                                       offsetof(first_args, n4) == 28 && offsetof(first_args, kind) == 32 &&
                                       offsetof(first_args, table) == 36
                                   ? 1
                                   : -1];
typedef char first_k_check[FIRST_K27 == 27 && (FIRST_K27 + 3) / 4 == 7 && FIRST_K40 == 40 && FIRST_K40 / 4 == 10 &&
                                   FIRST_PAIR_BYTES == 2 * 28 && FIRST_PAIR_BYTES == 8 * ((FIRST_K27 + 3) / 4) &&
                                   FIRST_KIND_40 == 1 && FIRST_KIND_PAIRS == 2
                               ? 1
                               : -1];

/* ------------------------------------------------ the gather of 3x3x3 patches */

/* What first_gather_27_run reads besides its register arguments (offsets are used by its
 * assembly). */
typedef struct {
    int32_t pix_step;    /*  0: input bytes between the windows of neighbour pixels: stride_w * in_c */
    uint32_t zp_top;     /*  4: the input zero point in the top byte, the rest 0 */
    uint32_t neg_zp;     /*  8: -in_zp in both int16 lanes */
    const uint32_t *end; /* 12: one past the last pixel's column start (dst + 2 n) */
} first_run27;

/* The 27-element patch of a window inside the input: three kernel rows of 9 bytes (3x3 on three
 * channels, or 3x9 on one), the first at r0, the others `step` bytes apart; patch elements
 * p0..p26 and the zero point as p27 (which widens to 0), built in registers from unaligned loads
 * that stay inside the three rows:
 *   g0 = r0[0..3]  g1 = r0[4..7]  g2 = r0[8], r1[0..2]  g3 = r1[3..6]
 *   g4 = r1[7..8], r2[0..1]  g5 = r2[2..5]  g6 = r2[6..8], zp
 * each group widened (SXTAB16 with -in_zp) into its two words at group G's place, G times the
 * group stride GS bytes (8 words per group and four pixels: pass4's layout, conv_pass.h). One
 * run of eleven single loads (12 estimated cycles), four ORR, fourteen SXTAB16, the stores two
 * groups at a time (four STR in a row): about 58 estimated Cortex-M4 cycles a pixel, against 106 for the
 * same in C (GCC spills the group registers).
 * n >= 1 pixels of one output row, windows pix_step bytes apart, their columns 8 bytes apart
 * from dst (x->end the last one's plus 8). Registers: r0 the window, r1 step, r2 the column,
 * r3 the arguments, r4 -in_zp, r5-r12 and lr the groups and their halves. */
#define FIRST27_WIDEN2(GA, GB, OA, OB)                 \
    "sxtab16 r10, r4, " GA "\n\t"                      \
    "sxtab16 " GA ", r4, " GA ", ror #8\n\t"           \
    "sxtab16 lr, r4, " GB "\n\t"                       \
    "sxtab16 " GB ", r4, " GB ", ror #8\n\t"           \
    "str    r10, [r2, #" OA "]\n\t"                    \
    "str    " GA ", [r2, #" OA " + 4]\n\t"             \
    "str    lr, [r2, #" OB "]\n\t"                     \
    "str    " GB ", [r2, #" OB " + 4]\n\t"
#define FIRST27_RUN(GS)                                                                            \
    __asm__ volatile(                                                                               \
        "push   {r4-r11, lr}\n\t"                                                                   \
        "ldr    r4, [r3, #8]\n"                                                                     \
        "1:\n\t"                                                                                    \
        "add    r5, r0, r1\n\t"              /* kernel row 1 */                                     \
        "add    r6, r5, r1\n\t"              /* kernel row 2 */                                     \
        "ldr    r7, [r0]\n\t"                /* g0 */                                               \
        "ldr    r8, [r0, #4]\n\t"            /* g1 */                                               \
        "ldrb   r9, [r0, #8]\n\t"                                                                   \
        "ldr    r10, [r5]\n\t"                                                                      \
        "ldr    r11, [r5, #3]\n\t"           /* g3 */                                               \
        "ldrh   r12, [r5, #7]\n\t"                                                                  \
        "ldrh   lr, [r6]\n\t"                                                                       \
        "ldr    r5, [r6, #2]\n\t"            /* g5 */                                               \
        "ldr    r6, [r6, #5]\n\t"                                                                   \
        "orr    r9, r9, r10, lsl #8\n\t"     /* g2 */                                               \
        "orr    r12, r12, lr, lsl #16\n\t"   /* g4 */                                               \
        "ldr    lr, [r3, #4]\n\t"                                                                   \
        "orr    r6, lr, r6, lsr #8\n\t"      /* g6 */                                               \
        FIRST27_WIDEN2("r7", "r8", "0", #GS)                                                       \
        FIRST27_WIDEN2("r9", "r11", "2 * " #GS, "3 * " #GS)                                        \
        FIRST27_WIDEN2("r12", "r5", "4 * " #GS, "5 * " #GS)                                        \
        "sxtab16 r10, r4, r6\n\t"                                                                   \
        "sxtab16 r6, r4, r6, ror #8\n\t"                                                            \
        "str    r10, [r2, #6 * " #GS "]\n\t"                                                        \
        "str    r6, [r2, #6 * " #GS " + 4]\n\t"                                                     \
        "ldr    lr, [r3]\n\t"                /* pix_step */                                         \
        "ldr    r10, [r3, #12]\n\t"          /* end */                                              \
        "add    r2, r2, #8\n\t"                                                                     \
        "add    r0, r0, lr\n\t"                                                                     \
        "cmp    r2, r10\n\t"                                                                        \
        "bne    1b\n\t"                                                                             \
        "pop    {r4-r11, pc}\n\t")
/* (naked: the body is the assembly alone; the arguments arrive in r0-r3) */
__attribute__((naked, noinline)) static void first_gather_27_run4(ARG const int8_t *r0, ARG ptrdiff_t step,
                                                                   ARG uint32_t *dst, ARG const first_run27 *x)
{
    FIRST27_RUN(32);
}
/* the group stride above: 8 bytes a pixel of a pass of four */
typedef char first27_stride_check[FIRST_PIXELS * 8 == 32 ? 1 : -1];

/* Whether conv_first.h has a pass for patches of k elements. */
static inline int first_takes(int32_t k) { return k == FIRST_K27 || k == FIRST_K40; }

/* The weights of channels c and c + 1 (27 each at w and w + 27) interleaved for FIRST_KIND_PAIRS
 * into the FIRST_PAIR_BYTES at dst (word-aligned): per group of four taps, the lanes past 27 0,
 * (c w0, c+1 w0, c w2, c+1 w2) then (c w1, c+1 w1, c w3, c+1 w3). Reads the 54 bytes only. */
static inline void first_interleave(uint32_t *dst, const int8_t *w)
{
    const uint32_t even = 0x00FF00FFu;
    for (int32_t g = 0; g < (FIRST_K27 + 3) / 4; g++, dst += 2) {
        uint32_t c, d;
        if (4 * g + 4 <= FIRST_K27) {
            c = nnom_arm_load4(w + 4 * g);
            d = nnom_arm_load4(w + FIRST_K27 + 4 * g);
        } else { /* the last group: three taps */
            c = (uint32_t)(uint8_t)w[4 * g] | (uint32_t)(uint8_t)w[4 * g + 1] << 8 | (uint32_t)(uint8_t)w[4 * g + 2] << 16;
            d = (uint32_t)(uint8_t)w[FIRST_K27 + 4 * g] | (uint32_t)(uint8_t)w[FIRST_K27 + 4 * g + 1] << 8 |
                (uint32_t)(uint8_t)w[FIRST_K27 + 4 * g + 2] << 16;
        }
        dst[0] = (c & even) | (d & even) << 8;
        dst[1] = (c >> 8 & even) | (d & ~even);
    }
}
typedef char first_interleave_check[FIRST_K27 % 4 == 3 ? 1 : -1];

/* Channel c's entry of the passes' table of constants: multiplier m, shift -e (a fast form: e
 * in [1, 22]), bias b; zz = 2 zp + 1. */
static inline void first_table_entry(int32_t *t, int32_t m, int32_t shift, int32_t b, int32_t zz)
{
    t[0] = m;
    t[1] = -shift;
    t[2] = (int32_t)((uint32_t)zz << (-shift - 1));
    t[3] = (int32_t)((uint32_t)b << 1);
}

#endif
