/*
 * 3x3 convolutions at stride 1 on 16 input channels (ResNet-8's 32x32x16 -> 16 layers) for the
 * Cortex-M DSP convolution (kernels/arm/conv_s8.c, which includes this file after conv_pair.h):
 * two pixels of one output row and every channel a pass, as pair_passes() (pass2_fast)
 * computes them, but walked in strips of two output columns from the top down, the input read
 * in place of gathered patches: each input row of the strip's four input columns is widened once
 * (int16, minus the zero point, the pairs (e0, e2), (e1, e3) per group of four channels: 16
 * groups, a ROWS16_SLOT_BYTES slot) into one of three slots, which the next three output rows
 * share as their kernel rows 2, 1 and 0. A pass's patches are then read from the three slots in
 * place: pixel 0's kernel row at the slot's start, pixel 1's one pixel (ROWS16_PIXEL_BYTES)
 * later.
 *
 * Why: pair_passes gathers both pixels' whole patches a pass (36 groups of both, about 450
 * estimated cycles a pass of 4,608 MACs, 0.10 cycles per MAC, and about 15 for the end group);
 * here a pass widens one input row of four pixels (16 groups).
 */
#ifndef NNOM_KERNELS_ARM_CONV_ROWS16_H
#define NNOM_KERNELS_ARM_CONV_ROWS16_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/arm/arm_dsp.h"
#include "kernels/arm/conv_pass.h"
#include "kernels/arm/conv_pass2t.h"

enum {
    ROWS16_C = 16,                              /* input channels */
    ROWS16_K = 3,                               /* the window: 3 x 3 */
    ROWS16_PIXELS = ROWS16_K + 1,               /* input pixels of a slot: both windows of a pass */
    ROWS16_PIXEL_BYTES = ROWS16_C / 4 * 8,      /* a pixel's widened channels: 32 */
    ROWS16_SLOT_BYTES = ROWS16_PIXELS * ROWS16_PIXEL_BYTES /* 128; three slots: 384 */
};

/* What pass2_rows16 reads (offsets are used by its assembly; the first seven words are its frame). */
typedef struct {
    const uint32_t *rows[ROWS16_K]; /*  0: the slots of kernel rows 0, 1, 2 */
    const int32_t *table;           /* 12: ROWS16_WORDS words per pair of channels (rows16_table) */
    int8_t *out;                    /* 16: channel 0 of pixel 0 */
    int32_t out_c;                  /* 20: every channel, an even count */
    int8_t *end;                    /* 24: out + out_c */
    const int32_t *bias;            /* 28: channels 0 and 1's biases (the others: in the table) */
    const int8_t *w;                /* 32: channel 0's weights (ROWS16_PATCH bytes per channel) */
    const int32_t *shift;           /* 36: pass2_rows2w only (its table field: the multipliers) */
    int32_t zz;                     /* 40: pass2_rows2w only: 2 out_zp + 1 */
} pass2r_args;

/* A strip's pass: kernel rows 0, 1, 2 from slots r0, r1, r2, the output pixel pair at o (out_c
 * channels each). */
static inline void strip_pass(pass2r_args *pr, void (*pass)(const pass2r_args *), const uint32_t *r0,
                              const uint32_t *r1, const uint32_t *r2, int8_t *o, int32_t out_c)
{
    pr->rows[0] = r0;
    pr->rows[1] = r1;
    pr->rows[2] = r2;
    pr->out = o;
    pr->end = o + out_c;
    pass(pr);
}

/* Bytes of a channel's weights (its patch). */
#define ROWS16_PATCH 144
_Static_assert(ROWS16_PATCH == ROWS16_K * ROWS16_K * ROWS16_C, "ROWS16_PATCH");

/* Words of pass2_rows16's table per pair of channels: pass2t_table's six (multipliers, shifts with
 * the form's flag, constants), then the next pair's two biases (0 after the last pair), which the
 * pair's end reads with its own constants' pointer. */
#define ROWS16_WORDS (PASS2T_WORDS + 2)

/* The table of the out_c channels (an even count, every one of a fast form with a negative shift)
 * into t (4 out_c words). */
static void rows16_table(int32_t *t, const int32_t *bias, const int32_t *mult, const int32_t *shift, int32_t out_c,
                         int32_t out_zp)
{
    const uint32_t zz = (uint32_t)(2 * out_zp + 1);
    for (int32_t c = 0; c < out_c; c += 2, t += ROWS16_WORDS) {
        pass2t_pair(t, mult[c], mult[c + 1], shift[c], shift[c + 1], zz);
        t[PASS2T_WORDS] = c + 2 < out_c ? bias[c + 2] : 0;
        t[PASS2T_WORDS + 1] = c + 2 < out_c ? bias[c + 3] : 0;
    }
}

/* (the chains' slot offsets, 8 S, take a pixel as 4 groups of 8 bytes) */
_Static_assert(ROWS16_PIXEL_BYTES == 4 * 8, "ROWS16_PIXEL_BYTES");

/* The multiply-accumulates of a group for two channels and both pixels, pixel 0's words in P0L,
 * P0H, pixel 1's in P1L, P1H, the channels' weight words in r11, r12: PASS2_GROUP_MACS with the
 * pixels' registers named (four SXTB16, eight SMLAD; lr a temporary). */
#define ROWS16_MACS(P0L, P0H, P1L, P1H)                  \
    "sxtb16 lr, r11, ror #8\n\t"                        \
    "sxtb16 r11, r11\n\t"                               \
    "smlad  r3, " P0L ", r11, r3\n\t"                   \
    "smlad  r3, " P0H ", lr, r3\n\t"                    \
    "smlad  r4, " P1L ", r11, r4\n\t"                   \
    "smlad  r4, " P1H ", lr, r4\n\t"                    \
    "sxtb16 lr, r12, ror #8\n\t"                        \
    "sxtb16 r12, r12\n\t"                               \
    "smlad  r5, " P0L ", r12, r5\n\t"                   \
    "smlad  r5, " P0H ", lr, r5\n\t"                    \
    "smlad  r6, " P1L ", r12, r6\n\t"                   \
    "smlad  r6, " P1H ", lr, r6\n\t"
/* ROWS16_MACS for a pair's first group, its sums not yet started: r4 and r6 take the biases from r3
 * and r5 in their first SMLAD (read before r3 and r5 change), in place of two MOVs. */
#define ROWS16_MACS_FIRST(P0L, P0H, P1L, P1H)            \
    "sxtb16 lr, r11, ror #8\n\t"                        \
    "sxtb16 r11, r11\n\t"                               \
    "smlad  r4, " P1L ", r11, r3\n\t"                   \
    "smlad  r3, " P0L ", r11, r3\n\t"                   \
    "smlad  r3, " P0H ", lr, r3\n\t"                    \
    "smlad  r4, " P1H ", lr, r4\n\t"                    \
    "sxtb16 lr, r12, ror #8\n\t"                        \
    "sxtb16 r12, r12\n\t"                               \
    "smlad  r6, " P1L ", r12, r5\n\t"                   \
    "smlad  r5, " P0L ", r12, r5\n\t"                   \
    "smlad  r5, " P0H ", lr, r5\n\t"                    \
    "smlad  r6, " P1H ", lr, r6\n\t"
#define ROWS16_STR2(X) #X
#define ROWS16_STR(X) ROWS16_STR2(X)
/* Both channels' weight words of group G: r11 from r1 + 4 G, r12 a patch (PATCH bytes) later. */
#define ROWS16_WEIGHTS(G, PATCH)                                           \
    "ldr.w  r11, [r1, #4 * (" G ")]\n\t"                                 \
    "ldr.w  r12, [r1, #4 * (" G ") + " PATCH "]\n\t"
/* Slot group S's two words (at r0 + 8 S) into A, B. */
#define ROWS16_SLOT(S, A, B)                                               \
    "ldr.w  " A ", [r0, #8 * (" S ")]\n\t"                               \
    "ldr.w  " B ", [r0, #8 * (" S ") + 4]\n\t"
/* A kernel row's groups J, J + P, J + 2 P (P: a pixel's groups; weight groups W + ... from r1, the
 * other channel's a patch PATCH later), in that order: a group's pixel 1 is the next group's pixel
 * 0 (one pixel, P groups, later in the slot), kept in its registers: slot groups J, J + P, J + 2 P,
 * J + 3 P loaded once each, 8 words for 3 groups where pass2's groups load 12 (17 estimated load
 * cycles for the chain instead of 21). */
#define ROWS_CHAIN_M(W, J, P, PATCH, MACS0) ROWS_CHAIN_G(ROWS16_WEIGHTS, PATCH, MACS0, ROWS16_MACS, W, J, P)
/* The chain with the weights' loads WEIGHTS(G, WARG) and the groups' MACS (the first group's MACS0):
 * the channel pairs' strips (conv_pairs_rows.h) read their weight words so. */
#define ROWS_CHAIN_G(WEIGHTS, WARG, MACS0, MACS, W, J, P)                   \
    WEIGHTS(W " + " J, WARG)                                               \
    ROWS16_SLOT(J, "r7", "r8") ROWS16_SLOT(J " + " P, "r9", "r10")         \
    MACS0("r7", "r8", "r9", "r10")                                         \
    WEIGHTS(W " + " J " + " P, WARG)                                       \
    ROWS16_SLOT(J " + 2 * " P, "r7", "r8")                                 \
    MACS("r9", "r10", "r7", "r8")                                          \
    WEIGHTS(W " + " J " + 2 * " P, WARG)                                   \
    ROWS16_SLOT(J " + 3 * " P, "r9", "r10")                                \
    MACS("r7", "r8", "r9", "r10")
#define ROWS_CHAIN(W, J, P, PATCH) ROWS_CHAIN_M(W, J, P, PATCH, ROWS16_MACS)
/* Kernel row KY's chains on 16 channels (the patch's groups 12 KY + ...). */
#define ROWS16_CHAIN(KY, J) ROWS_CHAIN("12 * " KY, J, "4", ROWS16_STR(ROWS16_PATCH))
/* A kernel row (its slot at r0): 12 groups (3 pixels of 16 channels), straight, in four chains. */
#define ROWS16_ROW(KY) ROWS16_CHAIN(KY, "0") ROWS16_CHAIN(KY, "1") ROWS16_CHAIN(KY, "2") ROWS16_CHAIN(KY, "3")
/* Kernel row 0, the pair's sums started from the biases in r3, r5 by its first group (ROWS16_MACS_FIRST). */
#define ROWS16_ROW0                                                                                     \
    ROWS_CHAIN_M("0", "0", "4", ROWS16_STR(ROWS16_PATCH), ROWS16_MACS_FIRST) ROWS16_CHAIN("0", "1")     \
    ROWS16_CHAIN("0", "2") ROWS16_CHAIN("0", "3")

/*
 * Channels [0, p->out_c) of the two pixels whose kernel rows are at p->rows[0..2] (pixel 1's one
 * pixel after pixel 0's), as pass2_fast computes them (its requantisation; the constants from
 * the table of rows16_table), channel c of pixel j to p->out[j out_c + c]. Per pair of channels the 36 groups
 * straight (12 a kernel row, r0 loaded from the frame between rows; the weights at immediate
 * offsets from r1, stepped by two patches after the pair), each kernel row in ROWS16_CHAINs: 17.7
 * estimated cycles a group where pass2's loop takes 19. Registers: r0 the kernel row's slot, r1 the
 * pair's weights, r2 the table (its next pair's constants), r3-r6 the sums (r3, r5 hold the pair's
 * biases at its start, read with the previous pair's constants), r7-r10 the slot's words, r11, r12,
 * lr the weights. Frame: the first seven words of p, copied (the output pointer advances there).
 * Per pair of channels, besides its 36 groups (636 estimated cycles): about 55.
 */
__attribute__((naked, noinline)) static void pass2_rows16(ARG const pass2r_args *p)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "ldm    r0, {r1-r7}\n\t"
        "push   {r1-r7}\n\t"                /* the frame: rows 0-2, table, out, out_c, end */
        "mov    r2, r4\n\t"                 /* table */
        "ldrd   r8, r1, [r0, #28]\n\t"      /* bias, w */
        "ldrd   r3, r5, [r8]\n"             /* the first pair's biases */
        "10:\n\t"                           /* a pair of channels: r1 its first channel's weights */
        "ldr    r0, [sp]\n\t"               /* kernel row 0 */
        ROWS16_ROW0
        "ldr    r0, [sp, #4]\n\t"           /* kernel row 1 */
        ROWS16_ROW("1")
        "ldr    r0, [sp, #8]\n\t"           /* kernel row 2 */
        ROWS16_ROW("2")
        "ldm    r2!, {r7-r12}\n\t"          /* the pair's constants */
        "cmp    r9, #0\n\t"
        "blt    30f\n\t"                   /* (PASS2T_FORM_U; both multipliers above 2^30 fall through) */
        PASS2T_RQ(REQUANT_ZP)
        "21:\n\t"
        "ldrd   r7, r8, [sp, #16]\n\t"      /* out, out_c */
        "ldr    r10, [sp, #24]\n\t"         /* the output's end */
        "strb   r3, [r7]\n\t"
        "strb   r5, [r7, #1]\n\t"
        "add    r9, r7, r8\n\t"
        "strb   r4, [r9]\n\t"
        "strb   r6, [r9, #1]\n\t"
        "ldm    r2!, {r3, r5}\n\t"          /* the next pair's biases */
        "adds   r7, r7, #2\n\t"
        "str    r7, [sp, #16]\n\t"
        "add    r1, r1, #2 * " ROWS16_STR(ROWS16_PATCH) "\n\t" /* the next pair's weights */
        "cmp    r7, r10\n\t"
        "bne    10b\n\t"
        "add    sp, sp, #28\n\t"
        "pop    {r4-r11, pc}\n"
        "30:\n\t"
        PASS2T_RQ(REQUANT_U)
        "b      21b\n\t");
}

/* 32 channels: a channel's patch, and a kernel row's 8 chains (24 groups; the weights from r1, which
 * steps a kernel row after them). */
#define ROWS32_C 32
#define ROWS32_PATCH 288
#define ROWS32_ROW_BYTES 96
_Static_assert(ROWS32_PATCH == ROWS16_K * ROWS16_K * ROWS32_C && ROWS32_ROW_BYTES * ROWS16_K == ROWS32_PATCH, "ROWS32");
#define ROWS32_CHAIN(J) ROWS_CHAIN("0", J, "8", ROWS16_STR(ROWS32_PATCH))
#define ROWS32_ROW                                                                                          \
    ROWS32_CHAIN("0") ROWS32_CHAIN("1") ROWS32_CHAIN("2") ROWS32_CHAIN("3") ROWS32_CHAIN("4") ROWS32_CHAIN("5") \
    ROWS32_CHAIN("6") ROWS32_CHAIN("7")

/* The pairs' loop head of pass2_rows32 and pass2_rows2w (a frame of p's first words, the bias
 * pointer its word 7): r1 the first channel's weights; per pair (label 10) its two biases into both
 * pixels' sums (r3, r4 and r5, r6), then the three kernel rows of ROW (label 11: r0 each row's slot,
 * from the frame through r2; r1 a kernel row of 32 channels on after each). */
#define ROWS_PAIR_ROWS(ROW)                                                                     \
    "ldr    r1, [r0, #32]\n"             /* w */                                                \
    "10:\n\t"                           /* a pair of channels: r1 its first channel's weights */ \
    "ldr    r9, [sp, #28]\n\t"          /* bias */                                             \
    "mov    r2, sp\n\t"                 /* the rows */                                         \
    "ldrd   r3, r5, [r9], #8\n\t"                                                              \
    "str    r9, [sp, #28]\n\t"                                                                 \
    "mov    r4, r3\n\t"                                                                        \
    "mov    r6, r5\n"                                                                          \
    "11:\n\t"                           /* a kernel row */                                     \
    "ldr    r0, [r2], #4\n\t"                                                                  \
    ROW                                                                                         \
    "add    r1, r1, #" ROWS16_STR(ROWS32_ROW_BYTES) "\n\t"                                     \
    "add    lr, sp, #12\n\t"            /* (past the rows) */                                  \
    "cmp    r2, lr\n\t"                                                                        \
    "bne    11b\n\t"

/*
 * pass2_rows16 on 32 input channels (ResNet-8's 16x16x32 -> 32 layer): the same passes, each kernel
 * row's 24 groups in ROWS32_CHAINs (slot offsets to 252 bytes), the three rows in a loop (r2 the
 * frame's row pointers), the table pass2t_table's (six words a pair: 32 channels in the stack's
 * 384 bytes) and the biases from p->bias (all out_c of them). Frame: the first eight words of p
 * (and a word of padding), copied (the table, output and bias pointers advance there).
 * Per pair of channels, besides its 72 groups (1,272 estimated cycles): about 85.
 */
__attribute__((naked, noinline)) static void pass2_rows32(ARG const pass2r_args *p)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "ldm    r0, {r1-r8}\n\t"
        "push   {r1-r9}\n\t"                /* the frame: rows 0-2, table, out, out_c, end, bias, (pad) */
        ROWS_PAIR_ROWS(ROWS32_ROW)
        "ldr    lr, [sp, #12]\n\t"
        "ldm    lr!, {r7-r12}\n\t"          /* the pair's constants */
        "str    lr, [sp, #12]\n\t"
        "cmp    r9, #0\n\t"
        "blt    30f\n\t"                   /* (PASS2T_FORM_U; both multipliers above 2^30 fall through) */
        PASS2T_RQ(REQUANT_ZP)
        PASS2T_PAIR_END("16", "24", ROWS16_STR(ROWS32_PATCH), "36"));
}

/* 64 channels: a channel's patch; a kernel row's 16 chains (48 groups) in two halves of 8 chains,
 * the second at 8 groups (64 slot bytes, 32 weight bytes) after the first. */
#define ROWS64_C 64
#define ROWS64_PATCH 576
_Static_assert(ROWS64_PATCH == ROWS16_K * ROWS16_K * ROWS64_C, "ROWS64");
#define ROWS64_CHAIN(J) ROWS_CHAIN("0", J, "16", ROWS16_STR(ROWS64_PATCH))
#define ROWS64_HALF                                                                                         \
    ROWS64_CHAIN("0") ROWS64_CHAIN("1") ROWS64_CHAIN("2") ROWS64_CHAIN("3") ROWS64_CHAIN("4") ROWS64_CHAIN("5") \
    ROWS64_CHAIN("6") ROWS64_CHAIN("7")

/* The frame's six words of the three kernel rows' halves (each row's slot at r1, r2, r3; its second
 * half 64 bytes, eight groups, on), each with its step word (r9 after a first half, r10 after a
 * second), at sp .. sp + 44: what pass2_rows64 and pairs_rows64 walk. */
/* The six half rows of ROWS64_HALVES' frame in a loop (label 11: r2 at the frame, r0 each half's slot;
 * HALF the half row's groups, r1 then on by its step word). */
#define ROWS64_HALF_LOOP(HALF)                                                              \
    "11:\n\t"                                                                               \
    "ldr    r0, [r2], #8\n\t"                                                               \
    HALF                                                                                    \
    "ldr    r12, [r2, #-4]\n\t"         /* the weights' step */                             \
    "add    r1, r1, r12\n\t"                                                                \
    "add    lr, sp, #48\n\t"            /* (past the half rows) */                          \
    "cmp    r2, lr\n\t"                                                                     \
    "bne    11b\n\t"
#define ROWS64_HALVES                                 \
    "add    r11, r1, #64\n\t"                         \
    "strd   r1, r9, [sp]\n\t"                         \
    "strd   r11, r10, [sp, #8]\n\t"                   \
    "add    r11, r2, #64\n\t"                         \
    "strd   r2, r9, [sp, #16]\n\t"                    \
    "strd   r11, r10, [sp, #24]\n\t"                  \
    "add    r11, r3, #64\n\t"                         \
    "strd   r3, r9, [sp, #32]\n\t"                    \
    "strd   r11, r10, [sp, #40]\n\t"

/*
 * pass2_rows16 on 64 input channels (ResNet-8's 8x8x64 -> 64 layer): as pass2_rows32, in a loop
 * over six half rows, each with its slot address and the step of the weights after it (32 bytes to
 * the second half, 160 to the next row's first), kept in the frame. Frame: the six (slot, step)
 * pairs, then the table, output, out_c, end and bias pointers of p (the table, output and bias
 * pointers advance there).
 * Per pair of channels, besides its 144 groups (2,550 estimated cycles): about 130.
 */
__attribute__((naked, noinline)) static void pass2_rows64(ARG const pass2r_args *p)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #68\n\t"
        "ldm    r0, {r1-r8}\n\t"            /* rows 0-2, table, out, out_c, end, bias */
        "add    r12, sp, #48\n\t"
        "stm    r12, {r4-r8}\n\t"
        "movs   r9, #32\n\t"
        "movs   r10, #160\n\t"
        ROWS64_HALVES
        "ldr    r1, [r0, #32]\n"             /* w */
        "10:\n\t"                           /* a pair of channels: r1 its first channel's weights */
        "ldr    r9, [sp, #64]\n\t"          /* bias */
        "mov    r2, sp\n\t"                 /* the half rows */
        "ldrd   r3, r5, [r9], #8\n\t"
        "str    r9, [sp, #64]\n\t"
        "mov    r4, r3\n\t"
        "mov    r6, r5\n"
        ROWS64_HALF_LOOP(ROWS64_HALF)
        "ldr    lr, [sp, #48]\n\t"
        "ldm    lr!, {r7-r12}\n\t"          /* the pair's constants */
        "str    lr, [sp, #48]\n\t"
        "cmp    r9, #0\n\t"
        "blt    30f\n\t"                   /* (PASS2T_FORM_U; both multipliers above 2^30 fall through) */
        PASS2T_RQ(REQUANT_ZP)
        PASS2T_PAIR_END("52", "60", ROWS16_STR(ROWS64_PATCH), "68"));
}

/* Whether a layer takes the strips (besides what pair_passes needs: every channel fast, an even
 * count, out_w even, a table and a bias): 3x3 at stride 1 on 16, 32 or 64 channels, no dilation, the
 * output not over the input (@p apart: the passes run out of the output's order). Not in the compact
 * forms (-Os, NNOM_COMPACT_KERNELS): their straight groups take about 11 KB of code. */
static inline int rows16_takes(const nnom_conv_args *a, int apart)
{
    return !NNOM_COMPACT_KERNELS && apart && (a->in_c == ROWS16_C || a->in_c == ROWS32_C || a->in_c == ROWS64_C) && a->k_h == ROWS16_K && a->k_w == ROWS16_K && a->stride_h == 1 &&
           a->stride_w == 1 && a->dil_h == 1 && a->dil_w == 1 && !(a->out_w & 1);
}

/* A pixel's four groups: four LDR (any alignment; in a row, as one LDM would cost), eight SXTAB16
 * into r4-r11, one STM of the eight words: 22 estimated cycles. */
#define ROWS16_WIDEN4                                \
    "ldr    r5, [r1]\n\t"                            \
    "ldr    r7, [r1, #4]\n\t"                        \
    "ldr    r9, [r1, #8]\n\t"                        \
    "ldr    r11, [r1, #12]\n\t"                      \
    "adds   r1, r1, #16\n\t"                         \
    "sxtab16 r4, r2, r5\n\t"                         \
    "sxtab16 r5, r2, r5, ror #8\n\t"                 \
    "sxtab16 r6, r2, r7\n\t"                         \
    "sxtab16 r7, r2, r7, ror #8\n\t"                 \
    "sxtab16 r8, r2, r9\n\t"                         \
    "sxtab16 r9, r2, r9, ror #8\n\t"                 \
    "sxtab16 r10, r2, r11\n\t"                       \
    "sxtab16 r11, r2, r11, ror #8\n\t"               \
    "stm    r0!, {r4-r11}\n\t"
/* units >= 1 runs of 16 int8 (a pixel of 16 channels) widened from src (any alignment), minus the
 * zero point (neg_zp: -zp in both int16 lanes), into dst (word-aligned), one after the other: four
 * copies of ROWS16_WIDEN4 a loop pass, units % 4 of them first (entering the pass at that copy).
 * About 22 estimated cycles a unit and 20 a call, where widen() takes about 40 a unit. */
__attribute__((naked, noinline)) static void rows16_widen(ARG uint32_t *dst, ARG const int8_t *src, ARG uint32_t neg_zp,
                                                          ARG int32_t units)
{
    __asm__ volatile("push   {r4-r11}\n\t"
                     "and    r12, r3, #3\n\t"
                     "adds   r3, r3, #3\n\t"
                     "lsrs   r3, r3, #2\n\t" /* loop passes: ceil(units / 4) */
                     "cmp    r12, #2\n\t"
                     "beq    3f\n\t"
                     "bhi    2f\n\t"
                     "cmp    r12, #1\n\t"
                     "beq    4f\n"
                     "1:\n\t" ROWS16_WIDEN4
                     "2:\n\t" ROWS16_WIDEN4
                     "3:\n\t" ROWS16_WIDEN4
                     "4:\n\t" ROWS16_WIDEN4
                     "subs   r3, r3, #1\n\t"
                     "bne    1b\n\t"
                     "pop    {r4-r11}\n\t"
                     "bx     lr\n\t");
}

/* Zero words [0, n) at p (n even), two a store. */
static inline void rows16_zero(uint32_t *p, int32_t n)
{
    for (uint32_t *const end = p + n; p != end; p += 2) p[0] = p[1] = 0;
}

/* What the fills of a layer's slots read, made once per call: the input, its rows and columns, c
 * channels (16, 32 or 64), a row's bytes, a pixel's widened words (c / 2) and 16-channel units. */
typedef struct {
    const int8_t *in;
    uint32_t in_h;
    int32_t in_w, c, row_bytes, pixel_words, pixel_units;
    uint32_t neg_zp;
} rows16_src;

static inline rows16_src rows16_src_of(const conv_ctx *x, const int8_t *in)
{
    const nnom_conv_args *a = x->a;
    rows16_src f;
    f.in = in;
    f.in_h = (uint32_t)a->in_h;
    f.in_w = a->in_w;
    f.c = a->in_c;
    f.row_bytes = a->in_w * a->in_c;
    f.pixel_words = a->in_c / 2;
    f.pixel_units = a->in_c / ROWS16_C;
    f.neg_zp = x->neg_zp;
    return f;
}

/* rows16_fill() where a pixel or the row is in the padding: the pixels inside in one call of
 * rows16_widen (their bytes are one run of the input row, their widened words one run of the
 * slot), those in the padding zeroed. */
__attribute__((noinline)) static void rows16_fill_edge(const rows16_src *f, int32_t iy, int32_t ix0, uint32_t *slot,
                                                       int32_t n)
{
    /* the pixels [j0, j1) of the n inside the input row */
    const int32_t j0 = ix0 < 0 ? -ix0 : 0, j1 = f->in_w - ix0 < n ? f->in_w - ix0 : n;
    if ((uint32_t)iy >= f->in_h || j1 <= j0) {
        rows16_zero(slot, n * f->pixel_words);
        return;
    }
    rows16_zero(slot, j0 * f->pixel_words);
    rows16_widen(slot + j0 * f->pixel_words, f->in + (ptrdiff_t)iy * f->row_bytes + (ptrdiff_t)(ix0 + j0) * f->c,
                 f->neg_zp, (j1 - j0) * f->pixel_units);
    rows16_zero(slot + j1 * f->pixel_words, (n - j1) * f->pixel_words);
}

/* Input row iy's pixels [ix0, ix0 + n) (n 4, 5 or 6) widened into slot (0 outside the input): when
 * all are inside, one call of rows16_widen (inline in the strips' loops: about 30 estimated cycles
 * a fill less than a call doing the checks of the edges too). */
static inline __attribute__((always_inline)) void rows16_fill(const rows16_src *f, int32_t iy, int32_t ix0,
                                                              uint32_t *slot, int32_t n)
{
    if ((uint32_t)iy < f->in_h && ix0 >= 0 && ix0 + n <= f->in_w)
        rows16_widen(slot, f->in + (ptrdiff_t)iy * f->row_bytes + (ptrdiff_t)ix0 * f->c, f->neg_zp, n * f->pixel_units);
    else
        rows16_fill_edge(f, iy, ix0, slot, n);
}

/* Pixels a slot holds for strips of four output columns (two passes side by side), when the
 * scratch holds three such slots: per kernel row 6 pixels widened for two passes where strips of
 * two output columns widen 4 for one (ResNet-8's tiled 16 -> 16 layers run bands of 5 or 6 output
 * rows, each strip widening its first two kernel rows anew: 1.4 slots of 4 pixels a pass, here
 * 1.05). */
#define ROWS16_WIDE 6
_Static_assert((ROWS16_WIDE - 2) / 2 == 2, "rows16_passes runs one or two passes a strip row");

/* Every pass of the layer (rows16_takes), in strips of two output columns (four with @p wide:
 * slots of ROWS16_WIDE pixels; a last strip of two), each from the top down, by pass2_rows16 (16
 * channels), pass2_rows32 (32) or pass2_rows64 (64); pr prepared (table, bias, w, out_c), the
 * three slots at x->cols. */
__attribute__((noinline)) static void rows16_passes(const conv_ctx *x, pass2r_args *pr, const int8_t *in, int8_t *out,
                                                    int clamp, int wide)
{
    const nnom_conv_args *a = x->a;
    const int32_t out_c = a->out_c, c = a->in_c, q_max = wide ? (ROWS16_WIDE - 2) / 2 : 1;
    const int32_t slot_words = (2 * q_max + 2) * c / 2, pass_words = c; /* (a pixel: c / 2 words) */
    const ptrdiff_t row_out = (ptrdiff_t)a->out_w * out_c;
    void (*const pass)(const pass2r_args *) = c == ROWS16_C ? pass2_rows16 : c == ROWS32_C ? pass2_rows32 : pass2_rows64;
    uint32_t *const slots = x->cols;
    const rows16_src f = rows16_src_of(x, in);
    for (int32_t ox = 0; ox < a->out_w; ox += 2 * q_max) {
        /* q passes side by side (out_w even: at least one), their windows in 2 q + 2 pixels */
        const int32_t q = a->out_w - ox >= 2 * q_max ? q_max : 1, n = 2 * q + 2, ix0 = ox - a->pad_left;
        /* kernel rows 0 and 1 of output row 0 in slots 0 and 1; then each output row's kernel row 2
         * in the third, the three turning round (r0: kernel row 0's slot) */
        uint32_t *r0 = slots, *r1 = slots + slot_words, *r2 = slots + 2 * slot_words;
        rows16_fill(&f, -a->pad_top, ix0, r0, n);
        rows16_fill(&f, -a->pad_top + 1, ix0, r1, n);
        int8_t *o = out + (ptrdiff_t)ox * out_c;
        for (int32_t oy = 0; oy < a->out_h; oy++, o += row_out) {
            rows16_fill(&f, oy - a->pad_top + 2, ix0, r2, n);
            strip_pass(pr, pass, r0, r1, r2, o, out_c);
            if (q > 1) /* the pass beside it: its windows a pass (two pixels) on in the slots */
                strip_pass(pr, pass, r0 + pass_words, r1 + pass_words, r2 + pass_words, o + 2 * out_c, out_c);
            if (clamp) clamp_pass(o, out_c, 2 * q, out_c, a->act_min, a->act_max);
            uint32_t *const t = r0;
            r0 = r1;
            r1 = r2;
            r2 = t;
        }
    }
}

#endif
