/*
 * 3x3 convolutions over weights in channel pairs (kernels/conv.h) in the strips of conv_rows16.h and
 * conv_rows2.h (kernels/arm/conv_s8.c includes this file after conv_pair.h; kernels/arm/conv_pairs.c
 * calls nnom_arm_conv2d_pairs_strips): the same walk of the input in strips of two output columns
 * from the top down, each input row widened once into a slot, a pass's two pixels and all its
 * channels in one call of assembly, the requantisation constants made once per call; but a group
 * (four input channels, both pixels, two output channels) reads ONE pair of weight words for both
 * channels: word 2g (patch elements 4g, 4g + 2, the slot's low word's order) and word 2g + 1 (4g + 1,
 * 4g + 3, the high word's), each as it is for channel A (with the flip: a = sum_A + 128 S +
 * 256 sum_B) and with its odd bytes sign-extended (one SXTB16) for channel B: two SXTB16 and eight
 * SMLAD a group where the rows' strips take four and eight (15.7 estimated cycles instead of 17.7).
 * At a pair's end sum_A = a - 256 b - 128 S (modulo 2^32: SMLAD wraps, the true value fits), S the
 * pixel's window sum of x = in - in_zp: the widening of a slot row also stores each 16 channels'
 * sum (pairs_widen, 9 instructions), a pass adds its windows' nine pixels (pairs_window).
 * Straight routines (chains of conv_rows16.h) on 16, 32 and 64 input channels at stride 1 and on 16
 * and 32 at stride 2; pairs_loop on any multiple of 16 up to 128 at either stride, and on all of them
 * in the compact forms (-Os, NNOM_COMPACT_KERNELS). Measured (-O2, est. cycles per MAC, rows ->
 * pairs, kernel_bench): 32x32x16to16 1.247 -> 1.173, 16x16x32to32 1.193 -> 1.094, 8x8x64to64 1.169 ->
 * 1.050, s2 32x32x16to32 1.311 -> 1.215, s2 16x16x32to64 1.254 -> 1.131; pairs_loop 12x12x128to32
 * 1.279 -> 1.227.
 */
#ifndef NNOM_KERNELS_ARM_CONV_PAIRS_ROWS_H
#define NNOM_KERNELS_ARM_CONV_PAIRS_ROWS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/arm/arm_dsp.h"
#include "kernels/arm/conv_pairs_strips.h"
#include "kernels/arm/conv_pass2t.h"
#include "kernels/arm/conv_rows16.h"
#include "kernels/arm/conv_rows2.h"

/* What the pair passes read (offsets are used by their assembly; the first nine words are copied to
 * their frame, the out and table pointers advance there). */
typedef struct {
    const uint32_t *rows[ROWS16_K]; /*  0: the slots of kernel rows 0, 1, 2 */
    const int32_t *table;           /* 12: pairs_table's, from the first pair's biases */
    int8_t *out;                    /* 16: channel 0 of pixel 0 */
    int32_t out_c;                  /* 20: every channel, an even count */
    int8_t *end;                    /* 24: out + the block's channels */
    int32_t u[2];                   /* 28: 128 S of pixel 0 and 1 (NNOM_CONV_PAIR_FLIP S) */
    const uint8_t *w;               /* 36: the first pair's weights */
    int32_t d;                      /* 40: pairs_loop: pixel 1's kernel row, bytes after pixel 0's */
    int32_t row_bytes;              /* 44: pairs_loop: a kernel row's widened bytes (6 in_c) */
    int32_t n_ch;                   /* (the walk's: the channels of the block, end - out) */
} pairs_args;
/* Bytes of the frame copied from pairs_args (its first nine words, a word of padding). */
#define PAIRS_FRAME "40"

/* Words of pairs_table per pair of channels: pass2t_pair's six, then the next pair's two biases (0
 * after the last), r3's and r5's start (pairs_start_a, bias_B); the first pair's two come first. */
#define PAIRS_WORDS (PASS2T_WORDS + 2)
/* Channel A's sums start from bias_A + 256 bias_B (modulo 2^32): the 256 b taken from a at the pair's
 * end removes bias_B's share again. */
static inline int32_t pairs_start_a(const int32_t *bias) { return (int32_t)((uint32_t)bias[0] + ((uint32_t)bias[1] << 8)); }

/* The table of n channels (an even count, every one of a fast form with a negative shift) into t
 * (2 + 4 n words). */
static void pairs_table(int32_t *t, const int32_t *bias, const int32_t *mult, const int32_t *shift, int32_t n,
                        int32_t out_zp)
{
    const uint32_t zz = (uint32_t)(2 * out_zp + 1);
    t[0] = pairs_start_a(bias);
    t[1] = bias[1];
    for (int32_t c = 0; c < n; c += 2, t += PAIRS_WORDS) {
        pass2t_pair(t + 2, mult[c], mult[c + 1], shift[c], shift[c + 1], zz);
        t[2 + PASS2T_WORDS] = c + 2 < n ? pairs_start_a(bias + c + 2) : 0;
        t[3 + PASS2T_WORDS] = c + 2 < n ? bias[c + 3] : 0;
    }
}

/* Both channels' weight words of group G (8 bytes a group from r1): r11 word 2G, r12 word 2G + 1. */
#define PAIRS_WEIGHTS(G, UNUSED)                                           \
    "ldr.w  r11, [r1, #8 * (" G ")]\n\t"                                 \
    "ldr.w  r12, [r1, #8 * (" G ") + 4]\n\t"
/* A group for the pair and both pixels (pixel 0's words in P0L, P0H, pixel 1's in P1L, P1H): r3, r4
 * channel A's a of pixels 0, 1 (the words as they are), r5, r6 channel B's (their odd bytes, lr). */
#define PAIRS_MACS(P0L, P0H, P1L, P1H)                   \
    "sxtb16 lr, r11, ror #8\n\t"                        \
    "smlad  r3, " P0L ", r11, r3\n\t"                   \
    "smlad  r4, " P1L ", r11, r4\n\t"                   \
    "smlad  r5, " P0L ", lr, r5\n\t"                    \
    "smlad  r6, " P1L ", lr, r6\n\t"                    \
    "sxtb16 lr, r12, ror #8\n\t"                        \
    "smlad  r3, " P0H ", r12, r3\n\t"                   \
    "smlad  r4, " P1H ", r12, r4\n\t"                   \
    "smlad  r5, " P0H ", lr, r5\n\t"                    \
    "smlad  r6, " P1H ", lr, r6\n\t"
/* PAIRS_MACS for a pair's first group, its sums started from r3, r5 (read by r4, r6 first). */
#define PAIRS_MACS_FIRST(P0L, P0H, P1L, P1H)             \
    "sxtb16 lr, r11, ror #8\n\t"                        \
    "smlad  r4, " P1L ", r11, r3\n\t"                   \
    "smlad  r3, " P0L ", r11, r3\n\t"                   \
    "smlad  r6, " P1L ", lr, r5\n\t"                    \
    "smlad  r5, " P0L ", lr, r5\n\t"                    \
    "sxtb16 lr, r12, ror #8\n\t"                        \
    "smlad  r3, " P0H ", r12, r3\n\t"                   \
    "smlad  r4, " P1H ", r12, r4\n\t"                   \
    "smlad  r5, " P0H ", lr, r5\n\t"                    \
    "smlad  r6, " P1H ", lr, r6\n\t"

/* A kernel row's chain at stride 1 (conv_rows16.h's ROWS_CHAIN: groups J, J + P, J + 2 P, weights
 * W + ...), its first group's MACS0. */
#define PAIRS_CHAIN_M(W, J, P, MACS0) ROWS_CHAIN_G(PAIRS_WEIGHTS, , MACS0, PAIRS_MACS, W, J, P)
#define PAIRS_CHAIN(W, J, P) PAIRS_CHAIN_M(W, J, P, PAIRS_MACS)

/* The pair's end: channel A's sums made sum_A + bias_A (minus 256 b and 128 S: u at [sp, #U_AT]),
 * the pair's constants into r7-r12 by CONSTS (an LDM from the table, which steps on) and the form's
 * branch, then the ZP form (PASS2T_RQ) falling into PASS2T_PAIR_END_N's label 21. */
#define PAIRS_RQ(U_AT, CONSTS)                                                              \
    "ldrd   r7, r8, [sp, #" U_AT "]\n\t"                                                    \
    "sub    r3, r3, r5, lsl #8\n\t"                                                         \
    "sub    r4, r4, r6, lsl #8\n\t"                                                         \
    "sub    r3, r3, r7\n\t"                                                                 \
    "sub    r4, r4, r8\n\t"                                                                 \
    CONSTS                                                                                  \
    "cmp    r9, #0\n\t"                                                                     \
    "blt    30f\n\t" /* (PASS2T_FORM_U) */                                                  \
    PASS2T_RQ(REQUANT_ZP)
/* The table kept in r2 (the straight routines): the constants, the next biases. */
#define PAIRS_CONSTS_R2 "ldm    r2!, {r7-r12}\n\t"
#define PAIRS_NEXT_R2 "ldm    r2!, {r3, r5}\n\t"
/* The table's pointer in the frame at [sp, #T] (the looped routines; lr from the constants on). */
#define PAIRS_CONSTS_AT(T) "ldr    lr, [sp, #" T "]\n\t" "ldm    lr!, {r7-r12}\n\t"
#define PAIRS_NEXT_AT(T) "ldm    lr!, {r3, r5}\n\t" "str    lr, [sp, #" T "]\n\t"
/* The first pair's biases from the table at [sp, #T]. */
#define PAIRS_FIRST_AT(T) "ldr    lr, [sp, #" T "]\n\t" "ldm    lr!, {r3, r5}\n\t" "str    lr, [sp, #" T "]\n\t"

/* The frame of the routines below: p's first nine words (and a word of padding); r1 the weights. */
#define PAIRS_FRAME_IN                                                                      \
    "push   {r4-r11, lr}\n\t"                                                               \
    "ldm    r0, {r1-r9}\n\t"                                                                \
    "push   {r1-r10}\n\t"                                                                   \
    "ldr    r1, [r0, #36]\n" /* w */

/* Bytes of a pair's weights on 16, 32 and 64 input channels (3 x 3 x c, two channels). */
#define PAIRS16_BYTES 288
#define PAIRS32_ROW_BYTES 192 /* a kernel row of 32 channels: 24 groups */
#define PAIRS64_HALF_BYTES 64 /* (half a kernel row of 64 channels: 8 groups on) */
#define PAIRS64_NEXT_ROW 320  /* (from the second half to the next kernel row: 48 - 8 groups on) */
_Static_assert(PAIRS16_BYTES == 2 * ROWS16_PATCH && PAIRS32_ROW_BYTES == 2 * ROWS32_ROW_BYTES &&
                   PAIRS64_HALF_BYTES + PAIRS64_NEXT_ROW == 2 * ROWS64_PATCH / ROWS16_K,
               "pair weights");

#if !NNOM_COMPACT_KERNELS
/* Kernel row KY on 16 channels: 12 groups in 4 chains (weights 12 KY + ...). */
#define PAIRS16_ROW_M(KY, MACS0)                                                                        \
    PAIRS_CHAIN_M("12 * " KY, "0", "4", MACS0) PAIRS_CHAIN("12 * " KY, "1", "4")                       \
    PAIRS_CHAIN("12 * " KY, "2", "4") PAIRS_CHAIN("12 * " KY, "3", "4")

/*
 * The channels [0, p->end - p->out) of the two pixels whose kernel rows are at p->rows[0..2] (pixel 1's one
 * pixel later, 16 input channels), from weights in channel pairs, as nnom_conv2d_s8 computes them
 * (channels of pass2t_table's forms), channel c of pixel j to p->out[j out_c + c]. Per pair its 36
 * groups straight (r0 each kernel row's slot, from the frame), the biases started by the first group.
 * Registers as in pass2_rows16 (r2 the table).
 */
/* A routine NAME over 16 input channels: its three kernel rows of ROW_M (ROW_M(KY, MACS)) straight, r0
 * each row's slot from the frame, r2 the table, the biases started by the first group. */
#define PAIRS_ROWS16_ROUTINE(NAME, ROW_M)                                                            \
    __attribute__((naked, noinline)) static void NAME(ARG const pairs_args *p)                       \
    {                                                                                                \
        __asm__ volatile(PAIRS_FRAME_IN "ldr    r2, [sp, #12]\n\t" /* the table */                    \
                         PAIRS_NEXT_R2 "10:\n\t"                                                      \
                         "ldr    r0, [sp]\n\t" ROW_M("0", PAIRS_MACS_FIRST)                           \
                         "ldr    r0, [sp, #4]\n\t" ROW_M("1", PAIRS_MACS)                             \
                         "ldr    r0, [sp, #8]\n\t" ROW_M("2", PAIRS_MACS)                             \
                         PAIRS_RQ("28", PAIRS_CONSTS_R2)                                             \
                         PASS2T_PAIR_END_N("16", "24", ROWS16_STR(PAIRS16_BYTES), PAIRS_FRAME,       \
                                           PAIRS_NEXT_R2));                                          \
    }
PAIRS_ROWS16_ROUTINE(pairs_rows16, PAIRS16_ROW_M)

/* A pair's three kernel rows of ROW in a loop (label 11: r2 the frame's slots, r0 each; r1 on by
 * ROW_BYTES after each), its biases in both pixels' sums first. */
#define PAIRS_ROWS_LOOP(ROW, ROW_BYTES)                                                      \
    PAIRS_FIRST_AT("12")                                                                     \
    "10:\n\t"                                                                                \
    "mov    r4, r3\n\t"                                                                      \
    "mov    r6, r5\n\t"                                                                      \
    "mov    r2, sp\n"                                                                        \
    "11:\n\t"                                                                                \
    "ldr    r0, [r2], #4\n\t"                                                                \
    ROW                                                                                      \
    "add    r1, r1, #" ROW_BYTES "\n\t"                                                      \
    "add    lr, sp, #12\n\t" /* (past the slots) */                                          \
    "cmp    r2, lr\n\t"                                                                      \
    "bne    11b\n\t"

/* A kernel row on 32 channels: 24 groups in 8 chains. */
#define PAIRS32_ROW                                                                                          \
    PAIRS_CHAIN("0", "0", "8") PAIRS_CHAIN("0", "1", "8") PAIRS_CHAIN("0", "2", "8") PAIRS_CHAIN("0", "3", "8") \
    PAIRS_CHAIN("0", "4", "8") PAIRS_CHAIN("0", "5", "8") PAIRS_CHAIN("0", "6", "8") PAIRS_CHAIN("0", "7", "8")

/* A routine NAME over 32 input channels: the three kernel rows of ROW in a loop, then the pair's end. */
#define PAIRS_ROWS32_ROUTINE(NAME, ROW)                                                         \
    __attribute__((naked, noinline)) static void NAME(ARG const pairs_args *p)                  \
    {                                                                                           \
        __asm__ volatile(PAIRS_FRAME_IN PAIRS_ROWS_LOOP(ROW, ROWS16_STR(PAIRS32_ROW_BYTES))     \
                             PAIRS_RQ("28", PAIRS_CONSTS_AT("12"))                              \
                                 PASS2T_PAIR_END_N("16", "24", "0", PAIRS_FRAME, PAIRS_NEXT_AT("12"))); \
    }

/* pairs_rows16 on 32 input channels. */
PAIRS_ROWS32_ROUTINE(pairs_rows32, PAIRS32_ROW)

/* Half a kernel row on 64 channels: 24 groups in 8 chains (the second half 8 groups on). */
#define PAIRS64_HALF                                                                                               \
    PAIRS_CHAIN("0", "0", "16") PAIRS_CHAIN("0", "1", "16") PAIRS_CHAIN("0", "2", "16") PAIRS_CHAIN("0", "3", "16") \
    PAIRS_CHAIN("0", "4", "16") PAIRS_CHAIN("0", "5", "16") PAIRS_CHAIN("0", "6", "16") PAIRS_CHAIN("0", "7", "16")

/* pairs_rows16 on 64 input channels: six half rows in a loop, each with its slot address and the
 * weights' step after it (PAIRS64_HALF_BYTES to the second half, PAIRS64_NEXT_ROW to the next row's
 * first), in the frame's first 48 bytes; then p's first nine words (and a word of padding). */
__attribute__((naked, noinline)) static void pairs_rows64(ARG const pairs_args *p)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "ldm    r0, {r1-r9}\n\t"
        "push   {r1-r10}\n\t"
        "sub    sp, sp, #48\n\t"
        "movs   r9, #" ROWS16_STR(PAIRS64_HALF_BYTES) "\n\t"
        "mov    r10, #" ROWS16_STR(PAIRS64_NEXT_ROW) "\n\t"
        ROWS64_HALVES
        "ldr    r1, [r0, #36]\n\t"            /* w */
        PAIRS_FIRST_AT("60")
        "10:\n\t"
        "mov    r4, r3\n\t"
        "mov    r6, r5\n\t"
        "mov    r2, sp\n"
        ROWS64_HALF_LOOP(PAIRS64_HALF)
        PAIRS_RQ("76", PAIRS_CONSTS_AT("60"))
        PASS2T_PAIR_END_N("64", "72", "0", "88", PAIRS_NEXT_AT("60")));
}

/* At stride 2 (conv_rows2.h: pixel 1's kernel row D = 2 P groups after pixel 0's): groups J and J + D
 * sharing their words (slot groups J, J + D, J + 2 D), and group J alone. */
#define PAIRS2_PAIR_M(W, J, D, MACS0)                                      \
    PAIRS_WEIGHTS(W " + " J, )                                             \
    ROWS16_SLOT(J, "r7", "r8") ROWS16_SLOT(J " + " D, "r9", "r10")         \
    MACS0("r7", "r8", "r9", "r10")                                         \
    PAIRS_WEIGHTS(W " + " J " + " D, )                                     \
    ROWS16_SLOT(J " + 2 * " D, "r7", "r8")                                 \
    PAIRS_MACS("r9", "r10", "r7", "r8")
#define PAIRS2_ONE(W, J, D)                                                \
    PAIRS_WEIGHTS(W " + " J, )                                             \
    ROWS16_SLOT(J, "r7", "r8") ROWS16_SLOT(J " + " D, "r9", "r10")         \
    PAIRS_MACS("r7", "r8", "r9", "r10")
/* Kernel row KY on 16 channels at stride 2: groups 0-3 with 8-11, then 4-7. */
#define PAIRS2_ROW_M(KY, MACS0)                                                                             \
    PAIRS2_PAIR_M("12 * " KY, "0", "8", MACS0) PAIRS2_PAIR_M("12 * " KY, "1", "8", PAIRS_MACS)             \
    PAIRS2_PAIR_M("12 * " KY, "2", "8", PAIRS_MACS) PAIRS2_PAIR_M("12 * " KY, "3", "8", PAIRS_MACS)        \
    PAIRS2_ONE("12 * " KY, "4", "8") PAIRS2_ONE("12 * " KY, "5", "8") PAIRS2_ONE("12 * " KY, "6", "8")     \
    PAIRS2_ONE("12 * " KY, "7", "8")

/* pairs_rows16 at stride 2 (pixel 1's two pixels after pixel 0's). */
PAIRS_ROWS16_ROUTINE(pairs_rows2, PAIRS2_ROW_M)

/* A kernel row on 32 channels at stride 2: groups 0-7 with 16-23, then 8-15. */
#define PAIRS2W_PAIR(J) PAIRS2_PAIR_M("0", J, "16", PAIRS_MACS)
#define PAIRS2W_ONE(J) PAIRS2_ONE("0", J, "16")
#define PAIRS2W_ROW                                                                                       \
    PAIRS2W_PAIR("0") PAIRS2W_PAIR("1") PAIRS2W_PAIR("2") PAIRS2W_PAIR("3") PAIRS2W_PAIR("4") PAIRS2W_PAIR("5") \
    PAIRS2W_PAIR("6") PAIRS2W_PAIR("7") PAIRS2W_ONE("8") PAIRS2W_ONE("9") PAIRS2W_ONE("10") PAIRS2W_ONE("11")   \
    PAIRS2W_ONE("12") PAIRS2W_ONE("13") PAIRS2W_ONE("14") PAIRS2W_ONE("15")

/* pairs_rows2 on 32 input channels. */
PAIRS_ROWS32_ROUTINE(pairs_rows2w, PAIRS2W_ROW)
#endif /* !NNOM_COMPACT_KERNELS */

/* Group K of pairs_loop's loop pass: pixel 0's words from r0, pixel 1's from r2, the pair's from r1
 * (8 K bytes on; six LDR in a row: 7 estimated cycles where three LDRD take 9), channel A's products
 * with r11, r12 first, then channel B's (their odd bytes). */
#define PAIRS_LOOP_GROUP(K)                              \
    "ldr    r7, [r0, #8 * " K "]\n\t"                   \
    "ldr    r8, [r0, #8 * " K " + 4]\n\t"               \
    "ldr    r9, [r2, #8 * " K "]\n\t"                   \
    "ldr    r10, [r2, #8 * " K " + 4]\n\t"              \
    "ldr    r11, [r1, #8 * " K "]\n\t"                  \
    "ldr    r12, [r1, #8 * " K " + 4]\n\t"              \
    "smlad  r3, r7, r11, r3\n\t"                         \
    "smlad  r4, r9, r11, r4\n\t"                         \
    "sxtb16 r11, r11, ror #8\n\t"                        \
    "smlad  r5, r7, r11, r5\n\t"                         \
    "smlad  r6, r9, r11, r6\n\t"                         \
    "smlad  r3, r8, r12, r3\n\t"                         \
    "smlad  r4, r10, r12, r4\n\t"                        \
    "sxtb16 r12, r12, ror #8\n\t"                        \
    "smlad  r5, r8, r12, r5\n\t"                         \
    "smlad  r6, r10, r12, r6\n\t"
/* (a kernel row's groups, 6 in_c / 8, come in fours: in_c a multiple of 16) */
#define PAIRS_LOOP_GROUPS 4
_Static_assert(6 * ROWS16_C / 8 % PAIRS_LOOP_GROUPS == 0, "whole loop passes");

/*
 * The pair passes in one routine for every channel count (a multiple of 16) and both strides: the
 * compact form (-Os, NNOM_COMPACT_KERNELS), and at -O2 the counts the straight routines above do not
 * take: per pair the three kernel rows in a loop (the slots' pointers from the frame),
 * each row's groups in a loop of PAIRS_LOOP_GROUPS (pixel 1's words p->d bytes after pixel 0's,
 * loaded apart: 18.75 estimated cycles a group where the straight forms' chains take 15.7). Frame:
 * p's first twelve words (rows, table, out, out_c, end, u, w, d, row_bytes), then the next kernel
 * row's slot pointer (at 48) and a word of padding.
 */
__attribute__((naked, noinline)) static void pairs_loop(ARG const pairs_args *p)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #56\n\t"
        "ldm    r0, {r1-r12}\n\t"
        "stm    sp, {r1-r12}\n\t"
        "mov    r1, r10\n\t"                /* w */
        PAIRS_FIRST_AT("12")
        "10:\n\t"
        "mov    r4, r3\n\t"
        "mov    r6, r5\n\t"
        "mov    r2, sp\n\t"
        "str    r2, [sp, #48]\n"
        "11:\n\t"                           /* a kernel row */
        "ldr    r2, [sp, #48]\n\t"
        "ldr    r0, [r2], #4\n\t"
        "str    r2, [sp, #48]\n\t"
        "ldrd   r2, lr, [sp, #40]\n\t"      /* d, row_bytes */
        "add    r2, r0, r2\n\t"
        "add    lr, r0, lr\n"
        "12:\n\t"
        PAIRS_LOOP_GROUP("0") PAIRS_LOOP_GROUP("1") PAIRS_LOOP_GROUP("2") PAIRS_LOOP_GROUP("3")
        "adds   r0, r0, #8 * " ROWS16_STR(PAIRS_LOOP_GROUPS) "\n\t"
        "adds   r2, r2, #8 * " ROWS16_STR(PAIRS_LOOP_GROUPS) "\n\t"
        "adds   r1, r1, #8 * " ROWS16_STR(PAIRS_LOOP_GROUPS) "\n\t"
        "cmp    r0, lr\n\t"
        "bne    12b\n\t"
        "ldr    r2, [sp, #48]\n\t"
        "add    lr, sp, #12\n\t"            /* (past the slots) */
        "cmp    r2, lr\n\t"
        "bne    11b\n\t"
        PAIRS_RQ("28", PAIRS_CONSTS_AT("12"))
        PASS2T_PAIR_END_N("16", "24", "0", "56", PAIRS_NEXT_AT("12")));
}

#include "kernels/arm/conv_pairs_walk.h"

#endif
