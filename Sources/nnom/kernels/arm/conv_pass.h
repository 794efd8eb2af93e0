/*
 * The fast passes of the Cortex-M DSP convolution (kernels/arm/conv_s8.c, which
 * includes this file): assembly routines that compute, for the pixels of one
 * pass whose patches im2col has gathered (int16 pairs (e0, e2), (e1, e3) per
 * group of four patch elements, the pass's pixels side by side), a run of
 * output channels whose requantisation takes one of the 32-bit forms of
 * arm_dsp.h, from the bias to the stored bytes. The layouts (conv_shape.h):
 *
 *  - pass4: four pixels, one channel at a time (short patches, k < PAIR_MIN_K):
 *    per group one LDR of weights, two SXTB16, two LDM of four words, eight
 *    SMLAD: 13 instructions, 22 estimated cycles for 16 multiply-accumulates;
 *    the channel's constants once per four outputs.
 *        cols: | g0: p0 lo hi, p1 lo hi, p2 lo hi, p3 lo hi | g1 ... |
 *  - pass2: two pixels and two channels at a time (long patches): per group
 *    two LDR of weights and four of columns in a row, four SXTB16, eight SMLAD:
 *    18 instructions, 19 estimated cycles for 16 multiply-accumulates; the
 *    loop ends at an end group whose first word no column can hold, which
 *    frees the register of a counter: the caller puts it in the first word of
 *    the last group, whose columns it copies aside for the routine's last
 *    step (so the columns take no more room). Two channels' constants per four
 *    outputs: the better one when the groups outnumber that overhead.
 *        cols: | g0: p0 lo hi, p1 lo hi | g1 ... | last: COLS_END, 3 words |
 *    3x3 layers on 16, 32 or 64 channels: the same groups read from input rows
 *    widened once, their constants from a table made once per call
 *    (conv_rows16.h, conv_rows2.h, conv_pass2t.h).
 *
 *  - pass8: eight pixels, one channel at a time (patches of at most EIGHT_MAX_K
 *    when the scratch holds eight columns): per group one LDR of weights, two
 *    SXTB16, eight LDRD of a pixel's two words, sixteen SMLAD: the rate of
 *    pass4 (44 estimated cycles for 32 multiply-accumulates), with the
 *    channel's constants, loop entry and bookkeeping once per eight outputs;
 *    the bias is added in the requantisation (the sums start at the first
 *    group's products), and each channel picks its requantisation form.
 *        cols: | g0: p0 lo hi, p1 lo hi, ..., p7 lo hi | g1 ... |
 *
 *  - pass3 (conv_pass3.h): three pixels and two channels at a time (patches
 *    of at least THREE_MIN_K on 1x1 windows, and in place of pass2, when the
 *    scratch holds three pixels' columns): per group, in two halves (the lo
 *    words with (w0, w2), then the hi words with (w1, w3)), each one run of
 *    five single loads (both channels' weight words, read again in the second
 *    half, and three column words), two SXTB16 and six SMLAD: 26
 *    instructions, 28 estimated cycles for 24 multiply-accumulates (1.17 a
 *    MAC); registers r0 columns, r1 weights, r2 k, r3-r8 the six sums, r9,
 *    r10 the weights, r11, r12, lr the column words. Two channels' constants
 *    per six outputs: about 86 estimated cycles a pair besides its groups.
 *        cols: | g0: p0 lo hi, p1 lo hi, p2 lo hi | g1 ... |
 *
 * All are naked functions (the body is the assembly alone), so that their
 * registers are used as planned at -Os as at -O2, and run their groups in
 * unrolled copies entered at the one that leaves a whole number of passes
 * (the entry computed once per call): pass4 a loop of four copies, pass2 of
 * thirty-six (eight at -Os), pass3 of sixteen (eight at -Os), pass8 fifteen copies and no loop
 * (its patches have at most 16 groups; built for size, -Os, a loop of eight:
 * PASS8_GROUPS). On the
 * Cortex-M4 (-O2, est. cycles per MAC) pass8's straight copies instead of
 * four in a loop took 2-3 % (pw_25x5_64to64 1.72 -> 1.68, pw_48x48_8to16
 * 3.54 -> 3.47) for 1.2 KB of code.
 */
#ifndef NNOM_KERNELS_ARM_CONV_PASS_H
#define NNOM_KERNELS_ARM_CONV_PASS_H

#include <stdint.h>

/* ------------------------------------------------------- four pixels, one channel */

/* What pass4_fast reads (offsets are used by its assembly). */
typedef struct {
    const uint32_t *cols;  /*  0: the four columns */
    int32_t groups;        /*  4 */
    const int32_t *bias;   /*  8: or NULL */
    const int32_t *mult;   /* 12 */
    const int32_t *shift;  /* 16 */
    int32_t zz;            /* 20: 2 * out_zp + 1 */
    int32_t out_c;         /* 24 */
    int32_t n_ch;          /* 28: channels [0, n_ch) */
    int32_t back;          /* 32: 4 * groups - k, read past a channel's weights */
} pass4_args;

/* One group of 4 taps for the four columns at r8 (8 words: p0 lo hi, p1 ..., p3), weights
 * at r1, sums r4..r7: one LDR of the weights, two SXTB16, two LDM of four words (two pixels
 * each) and eight SMLAD: 13 instructions (22 estimated cycles: an LDM of four words costs
 * 5, two LDRD 6) for 16 multiply-accumulates. r10, r11 weights, r2, r3, r12, lr data. */
#define PASS4_GROUP                                  \
    "ldr    r10, [r1], #4\n\t"                       \
    "ldm    r8!, {r2, r3, r12, lr}\n\t"              \
    "sxtb16 r11, r10, ror #8\n\t"                    \
    "sxtb16 r10, r10\n\t"                            \
    "smlad  r4, r2, r10, r4\n\t"                     \
    "smlad  r4, r3, r11, r4\n\t"                     \
    "smlad  r5, r12, r10, r5\n\t"                    \
    "smlad  r5, lr, r11, r5\n\t"                     \
    "ldm    r8!, {r2, r3, r12, lr}\n\t"              \
    "smlad  r6, r2, r10, r6\n\t"                     \
    "smlad  r6, r3, r11, r6\n\t"                     \
    "smlad  r7, r12, r10, r7\n\t"                    \
    "smlad  r7, lr, r11, r7\n\t"

/* One output of the four, in place: S = SSAT8(requant_zp(S)) of arm_dsp.h, with r10 =
 * multiplier, r11 = e, r12 = c of nnom_arm_requant_zp(), r8 a temporary. */
#define REQUANT_R8(S)                       \
    "lsl    r8, " S ", #1\n\t"              \
    "smmlar r8, r8, r10, r12\n\t"           \
    "add    r8, r8, " S ", asr #31\n\t"     \
    "asr    r8, r8, r11\n\t"                \
    "ssat   " S ", #8, r8\n\t"
/* The same for any multiplier, nnom_arm_requant() + zp: u = SMMULR(2 S, m), (u - [u < 0] + c) >> e. */
#define REQUANT_U_R8(S)                     \
    "lsl    r8, " S ", #1\n\t"              \
    "smmulr r8, r8, r10\n\t"                \
    "add    r8, r8, r8, asr #31\n\t"        \
    "add    r8, r8, r12\n\t"                \
    "asr    r8, r8, r11\n\t"                \
    "ssat   " S ", #8, r8\n\t"

/* Bytes of one PASS4_GROUP (13 instructions of 32 bits): the entry into the unrolled loop is
 * computed from it. */
#define PASS4_GROUP_BYTES "52"

/*
 * Channels [0, p->n_ch) of four whole pixels, every one fast (see the file
 * comment), weights from w, channel c of pixel j to out[j * out_c + c],
 * clamped to the int8 range (the caller applies a narrower clamp).
 * Registers: r0 p, r1 w, r4-r7 the sums, r8 the columns, r9 the loop count,
 * r2, r3, r10-r12 and lr the group's temporaries, then the requantisation
 * constants, with r2 out + c and r3 c. Stack: [sp] the entry into the unrolled
 * loop (the groups per channel % 4 = 3, 2, 1 enter at the second, third, fourth
 * copy), [sp, #4] its passes, [sp, #8] out + c, [sp, #12] c.
 * Per channel, besides the groups: about 45 instructions.
 */
/* (naked: the body is the assembly alone; the arguments arrive in r0-r2) */
#define ARG __attribute__((unused))
#define PASS4_BODY(RQ) \
    __asm__ volatile( \
        "movs   r3, #0\n\t" \
        "push   {r2-r11, lr}\n\t" \
        "ldr    r9, [r0, #4]\n\t"           /* groups */ \
        "and    r10, r9, #3\n\t" \
        "rsb    r10, r10, #4\n\t" \
        "and    r10, r10, #3\n\t"           /* the copy to enter at */ \
        "movs   r11, #" PASS4_GROUP_BYTES "\n\t" \
        "adr.w  r12, 1f\n\t" \
        "mla    r10, r10, r11, r12\n\t" \
        "orr    r10, r10, #1\n\t"           /* (a Thumb address) */ \
        "add    r9, r9, #3\n\t" \
        "lsr    r9, r9, #2\n\t" \
        "sub    sp, sp, #8\n\t" \
        "strd   r10, r9, [sp]\n" \
        "10:\n\t" \
        "ldr    r8, [r0]\n\t"               /* columns */ \
        "ldr    r9, [sp, #4]\n\t" \
        "ldr    r4, [r0, #8]\n\t" \
        "cbz    r4, 11f\n\t" \
        "ldr    r4, [r4, r3, lsl #2]\n" \
        "11:\n\t" \
        "mov    r5, r4\n\t" \
        "mov    r6, r4\n\t" \
        "mov    r7, r4\n\t" \
        "ldr    pc, [sp]\n\t" \
        ".p2align 2\n" \
        "1:\n\t" PASS4_GROUP PASS4_GROUP PASS4_GROUP PASS4_GROUP \
        "subs   r9, r9, #1\n\t" \
        "bne    1b\n\t" \
        "ldrd   r2, r3, [sp, #8]\n\t"       /* out + c, c */ \
        "ldr    r10, [r0, #12]\n\t" \
        "ldr    r11, [r0, #16]\n\t" \
        "ldr    r12, [r0, #20]\n\t" \
        "ldr    r9, [r0, #24]\n\t"          /* out_c */ \
        "ldr    r10, [r10, r3, lsl #2]\n\t" /* multiplier */ \
        "ldr    r11, [r11, r3, lsl #2]\n\t" /* shift = -e */ \
        "mvn    r8, r11\n\t"                /* e - 1 */ \
        "lsl    r12, r12, r8\n\t"           /* c = (2 zp + 1) << (e - 1) */ \
        "rsb    r11, r11, #0\n\t" \
        RQ("r4") RQ("r5") RQ("r6") RQ("r7") \
        "add    r12, r2, r9\n\t" \
        "add    lr, r12, r9\n\t" \
        "adds   r3, r3, #1\n\t" \
        "strb   r4, [r2], #1\n\t" \
        "strb   r5, [r12]\n\t" \
        "strb   r6, [lr]\n\t" \
        "strd   r2, r3, [sp, #8]\n\t" \
        "strb   r7, [lr, r9]\n\t" \
        "ldrd   r9, r10, [r0, #28]\n\t"   /* n_ch, back */ \
        "sub    r1, r1, r10\n\t" \
        "cmp    r3, r9\n\t" \
        "blt    10b\n\t" \
        "add    sp, sp, #16\n\t" \
        "pop    {r4-r11, pc}\n\t");

__attribute__((naked, noinline)) static void pass4_fast(ARG const pass4_args *p, ARG const int8_t *w, ARG int8_t *out)
{
    PASS4_BODY(REQUANT_R8)
}

/* The same with the requantisation of nnom_arm_requant() (any multiplier: below 2^30, zero). */
__attribute__((naked, noinline)) static void pass4_fast_u(ARG const pass4_args *p, ARG const int8_t *w,
                                                          ARG int8_t *out)
{
    PASS4_BODY(REQUANT_U_R8)
}

/* ------------------------------------------------------ two pixels, two channels */

/* What pass2_fast reads (offsets are used by its assembly). */
typedef struct {
    const uint32_t *cols;  /*  0: the two columns, the end group in the last one's place */
    int32_t groups;        /*  4: groups in the columns before the end group: all but the last */
    const int32_t *bias;   /*  8: bias, or zeros (bias_step 0) */
    const int32_t *mult;   /* 12 */
    const int32_t *shift;  /* 16 */
    int32_t zz;            /* 20: 2 * out_zp + 1 */
    int32_t out_c;         /* 24 */
    int32_t n_ch;          /* 28: channels [0, n_ch), an even count or 1 */
    int32_t k;             /* 32: bytes of weights per channel; 0 for one channel */
    const int8_t *w;       /* 36: channel 0's weights */
    int32_t bias_step;     /* 40: 4, or 0 (no bias: two int32 zeros) */
    int32_t pair_step;     /* 44: bytes from a channel's int32 parameter to its pair's: 4, or 0
                              for one channel (computed as the pair (c, c), stored twice) */
    int8_t *out;           /* 48: channel 0 of pixel 0 */
    uint32_t last[4];      /* 52: the last group's columns (the end group is in its place) */
} pass2_args;

/* The first word of the end group: int16 lanes of -32768, which no column holds (its lanes are
 * x - zp in [-255, 255], or 0). As a Thumb-2 immediate, for CMP. */
#define COLS_END 0x80008000u
#define COLS_END_IMM "0x80008000"

/* One group of 4 taps for two channels and two pixels, its columns at r0 + OFF (p0 lo, p0 hi,
 * p1 lo, p1 hi): one LDR of each channel's four weights (r1, r2) and four LDR of the columns
 * (r7-r10), six single loads in a row (7 estimated cycles, one less than two LDR and an LDM of
 * four), four SXTB16, eight SMLAD into r3 (channel 0, pixel 0), r4 (0, 1), r5 (1, 0), r6 (1, 1).
 * 18 instructions of 32 bits (72 bytes, every copy the same size), 19 estimated cycles, for 16
 * multiply-accumulates. r11, r12, lr: the weights. */
#define PASS2_GROUP_LOADS(OFF)                       \
    "ldr.w  r11, [r1], #4\n\t"                       \
    "ldr.w  r12, [r2], #4\n\t"                       \
    "ldr.w  r7, [r0, #" OFF "]\n\t"                   \
    "ldr.w  r8, [r0, #" OFF " + 4]\n\t"               \
    "ldr.w  r9, [r0, #" OFF " + 8]\n\t"               \
    "ldr.w  r10, [r0, #" OFF " + 12]\n\t"
#define PASS2_GROUP_MACS                             \
    "sxtb16 lr, r11, ror #8\n\t"                     \
    "sxtb16 r11, r11\n\t"                            \
    "smlad  r3, r7, r11, r3\n\t"                     \
    "smlad  r3, r8, lr, r3\n\t"                      \
    "smlad  r4, r9, r11, r4\n\t"                     \
    "smlad  r4, r10, lr, r4\n\t"                     \
    "sxtb16 lr, r12, ror #8\n\t"                     \
    "sxtb16 r12, r12\n\t"                            \
    "smlad  r5, r7, r12, r5\n\t"                     \
    "smlad  r5, r8, lr, r5\n\t"                      \
    "smlad  r6, r9, r12, r6\n\t"                     \
    "smlad  r6, r10, lr, r6\n\t"
#define PASS2_GROUP(OFF) PASS2_GROUP_LOADS(OFF) PASS2_GROUP_MACS
#define PASS2_GROUP_BYTES "72"
/* The end of a pass of the loop: copy OFF's loads, then r0 stepped to the next groups (by
 * STEP), loading the first word there (one more single load in the row), compared with the end
 * group's: the flags wait for the loop's branch (SXTB16 and SMLAD leave them). */
#define PASS2_GROUP_END(OFF, STEP)                   \
    PASS2_GROUP_LOADS(OFF)                           \
    "ldr.w  lr, [r0, #" STEP "]!\n\t"                \
    "cmp    lr, #" COLS_END_IMM "\n\t"               \
    PASS2_GROUP_MACS
#define PASS2_GROUPS8_FROM0                                                                \
    PASS2_GROUP("0") PASS2_GROUP("16") PASS2_GROUP("32") PASS2_GROUP("48") PASS2_GROUP("64") \
    PASS2_GROUP("80") PASS2_GROUP("96")
/* Copy 8 i of the loop (i >= 1): its first column load steps r0 by 128 (writeback: an 8-bit
 * offset), so that the copies after it read at r0 + 16 (their number - 8 i). */
#define PASS2_GROUP_STEP                                                                   \
    "ldr.w  r11, [r1], #4\n\t"                                                              \
    "ldr.w  r12, [r2], #4\n\t"                                                              \
    "ldr.w  r7, [r0, #128]!\n\t"                                                            \
    "ldr.w  r8, [r0, #4]\n\t"                                                               \
    "ldr.w  r9, [r0, #8]\n\t"                                                               \
    "ldr.w  r10, [r0, #12]\n\t"                                                             \
    PASS2_GROUP_MACS
#define PASS2_GROUPS8_STEP                                                                 \
    PASS2_GROUP_STEP PASS2_GROUP("16") PASS2_GROUP("32") PASS2_GROUP("48") PASS2_GROUP("64") \
    PASS2_GROUP("80") PASS2_GROUP("96") PASS2_GROUP("112")
/* The loop's copies, PASS2_COPIES of them, copy i's columns at r0 + 16 (i - 8 floor(i / 8)) once
 * the copies 8, 16, ... before it have stepped r0 (PASS2_GROUP_STEP); the last one steps r0 past
 * its block and compares the first word there with the end group's. For size (-Os), eight. For
 * speed, thirty-six: ResNet-8's 16 -> 16 3x3 layers (35 groups in the loop) in one pass of it
 * instead of five (eight copies), 32 -> 32 (71) in two. */
/* PASS2_RECIP: ceil(2^32 / PASS2_COPIES), so that the high word of groups * PASS2_RECIP (UMULL,
 * one cycle, where UDIV takes up to 12) is floor(groups / PASS2_COPIES): for 36, 2^32 + 32 =
 * 36 PASS2_RECIP, exact below 2^27 groups; for 8, 2^29 exactly. In halves for MOVW / MOVT. */
#if NNOM_COMPACT_KERNELS
#define PASS2_RECIP_LO "0x0000"
#define PASS2_RECIP_HI "0x2000"
#define PASS2_COPIES "8"
#define PASS2_GROUPS PASS2_GROUPS8_FROM0 PASS2_GROUP_END("112", "128")
#else
#define PASS2_RECIP_LO "0x71C8"
#define PASS2_RECIP_HI "0x071C"
#define PASS2_COPIES "36"
#define PASS2_GROUPS                                                                       \
    PASS2_GROUPS8_FROM0 PASS2_GROUP("112") PASS2_GROUPS8_STEP PASS2_GROUPS8_STEP PASS2_GROUPS8_STEP \
    PASS2_GROUP_STEP PASS2_GROUP("16") PASS2_GROUP("32") PASS2_GROUP_END("48", "64")
#endif
/* r11 = the columns (r11) as the copy entered at (r10: j) finds them at r0: less 16 bytes per
 * copy it skips since the last copy that steps r0 before it (j - 8 floor((j - 1) / 8), 0 for
 * j = 0). r12: a temporary. */
#define PASS2_ENTRY_BASE                                                                   \
    "subs   r12, r10, #1\n\t"                                                              \
    "it     mi\n\t"                                                                        \
    "movmi  r12, #0\n\t"                                                                   \
    "bic    r12, r12, #7\n\t"                                                              \
    "sub    r12, r10, r12\n\t"                                                             \
    "sub    r11, r11, r12, lsl #4\n\t"
/* The last group, its columns from p->last (r0 p: p->last at offset 52). */
#define PASS2_LAST PASS2_GROUP("52")

/* S = SSAT8(requant_zp(S)) of arm_dsp.h, with multiplier M, e E, constant C, temporary T. */
#define REQUANT_ZP(S, M, E, C, T)           \
    "lsl    " T ", " S ", #1\n\t"           \
    "smmlar " T ", " T ", " M ", " C "\n\t" \
    "add    " T ", " T ", " S ", asr #31\n\t" \
    "asr    " T ", " T ", " E "\n\t"        \
    "ssat   " S ", #8, " T "\n\t"
/* The same for any multiplier, nnom_arm_requant() + zp: u = SMMULR(2 S, m), (u - [u < 0] + C) >> E. */
#define REQUANT_U(S, M, E, C, T)            \
    "lsl    " T ", " S ", #1\n\t"           \
    "smmulr " T ", " T ", " M "\n\t"        \
    "add    " T ", " T ", " T ", asr #31\n\t" \
    "add    " T ", " T ", " C "\n\t"        \
    "asr    " T ", " T ", " E "\n\t"        \
    "ssat   " S ", #8, " T "\n\t"

/* The four sums requantised by RQ (REQUANT_ZP or REQUANT_U): r7 m0, r8 -e0 (then e0), r10 m1,
 * r11 -e1 (then e1), r2 2 zp + 1, r9 each channel's constant c in turn, r1 a temporary. */
#define PASS2_RQ(RQ)                                                                       \
    "mvn    r9, r8\n\t"                 /* e - 1 */                                         \
    "lsl    r9, r2, r9\n\t"             /* c = (2 zp + 1) << (e - 1) */                     \
    "rsb    r8, r8, #0\n\t"                                                                 \
    RQ("r3", "r7", "r8", "r9", "r1") RQ("r4", "r7", "r8", "r9", "r1")                      \
    "mvn    r9, r11\n\t"                                                                    \
    "lsl    r9, r2, r9\n\t"                                                                 \
    "rsb    r11, r11, #0\n\t"                                                               \
    RQ("r5", "r10", "r11", "r9", "r1") RQ("r6", "r10", "r11", "r9", "r1")

/*
 * Channels [0, p->n_ch) of two whole pixels, every one fast (see the file comment),
 * channel c's weights at p->w + c * p->k, channel c of pixel j to p->out[j * out_c + c],
 * clamped to the int8 range (the caller applies a narrower clamp), in pairs (c, c + 1);
 * one channel alone (n_ch 1, k 0, pair_step 0) as the pair (c, c). Every channel of a fast
 * form with a negative shift (FORM_ZP or FORM_U of conv_s8.c): a pair whose multipliers are both
 * above 2^30 takes the requantisation of nnom_arm_requant_zp(), the others that of
 * nnom_arm_requant() (exact for any multiplier; one instruction more per output), picked here per
 * pair (4 estimated cycles), so that one copy of the loop serves both. The groups' loop runs
 * PASS2_COPIES groups per pass (a remainder of groups enters at the copy that leaves whole
 * passes) until the columns' end group. Registers in the loop: r0 the columns, r1, r2 the two
 * channels' weights, r3-r6 the sums, r7-r10 the group's columns, r11, r12, lr the
 * weights. Stack: [sp] the entry into the loop, [sp, #4] p, [sp, #8] the columns as the
 * copy entered at finds them (PASS2_ENTRY_BASE), [sp, #12] c. Per pair of
 * channels, besides the groups: about 60 instructions.
 */
/* (naked: the body is the assembly alone; the argument arrives in r0) */
__attribute__((naked, noinline)) static void pass2_fast(ARG const pass2_args *p)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #16\n\t"
        "movs   r3, #0\n\t"
        "str    r0, [sp, #4]\n\t"
        "str    r3, [sp, #12]\n\t"
        "ldr    r9, [r0, #4]\n\t"           /* groups */
        "movw   r11, #" PASS2_RECIP_LO "\n\t"
        "movt   r11, #" PASS2_RECIP_HI "\n\t"
        "umull  r12, r11, r9, r11\n\t"     /* groups / copies (PASS2_RECIP) */
        "movs   r12, #" PASS2_COPIES "\n\t"
        "mls    r10, r11, r12, r9\n\t"     /* groups % copies */
        "cmp    r10, #0\n\t"
        "it     ne\n\t"
        "subne  r10, r12, r10\n\t"         /* (copies - groups % copies) % copies: the copy to enter at */
        "ldr    r11, [r0]\n\t"               /* columns */
        PASS2_ENTRY_BASE
        "str    r11, [sp, #8]\n\t"
        "movs   r11, #" PASS2_GROUP_BYTES "\n\t"
        "adr.w  r12, 1f\n\t"
        "mla    r10, r10, r11, r12\n\t"
        "orr    r10, r10, #1\n\t"           /* (a Thumb address) */
        "str    r10, [sp]\n"
        "ldr    lr, [sp, #4]\n\t"           /* p */
        "movs   r11, #0\n"                  /* c */
        "10:\n\t"                           /* a pair of channels: lr p, r11 c */
        "ldr    r1, [lr, #36]\n\t"
        "ldr    r9, [lr, #32]\n\t"          /* k */
        "ldr    r10, [lr, #8]\n\t"          /* bias */
        "ldr    r8, [lr, #40]\n\t"          /* bias_step */
        "ldr    r12, [lr, #44]\n\t"         /* pair_step */
        "ldr    r0, [sp, #8]\n\t"           /* the columns, less 16 bytes per copy skipped */
        "mla    r1, r11, r9, r1\n\t"        /* the weights of channel c */
        "add    r2, r1, r9\n\t"             /* and of the pair's other */
        "mla    r10, r11, r8, r10\n\t"
        "ldr    r3, [r10]\n\t"
        "ldr    r5, [r10, r12]\n\t"
        "mov    r4, r3\n\t"
        "mov    r6, r5\n\t"
        "ldr    pc, [sp]\n\t"
        ".p2align 2\n"
        "1:\n\t" PASS2_GROUPS
        "bne    1b\n\t"                     /* (not at the end group) */
        "ldr    r0, [sp, #4]\n\t"
        PASS2_LAST
        /* requantise the four sums: r7 m0, r8 e0, r10 m1, r11 e1, r9 the constants c */
        "ldr    lr, [sp, #4]\n\t"
        "ldr    r12, [sp, #12]\n\t"         /* c */
        "ldr    r7, [lr, #12]\n\t"
        "ldr    r8, [lr, #16]\n\t"
        "ldr    r0, [lr, #44]\n\t"          /* pair_step */
        "ldr    r2, [lr, #20]\n\t"          /* 2 zp + 1 */
        "add    r7, r7, r12, lsl #2\n\t"
        "add    r8, r8, r12, lsl #2\n\t"
        "ldr    r10, [r7, r0]\n\t"          /* multiplier of the pair's other channel */
        "ldr    r11, [r8, r0]\n\t"          /* its shift = -e */
        "ldr    r7, [r7]\n\t"               /* multiplier of channel c */
        "ldr    r8, [r8]\n\t"               /* its shift */
        "cmp    r7, #0x40000000\n\t"
        "it     hi\n\t"
        "cmphi  r10, #0x40000000\n\t"
        "bls    30f\n\t"                   /* (both multipliers above 2^30, the common case, fall through) */
        PASS2_RQ(REQUANT_ZP)
        "21:\n\t"
        "ldr    r1, [lr, #48]\n\t"          /* out */
        "ldr    r9, [lr, #24]\n\t"          /* out_c */
        "add    r1, r1, r12\n\t"
        "lsr    r0, r0, #2\n\t"
        "add    r2, r1, r9\n\t"
        "strb   r3, [r1]\n\t"
        "strb   r4, [r2]\n\t"
        "strb   r5, [r1, r0]\n\t"
        "strb   r6, [r2, r0]\n\t"
        "add    r11, r12, #2\n\t"
        "ldr    r0, [lr, #28]\n\t"          /* n_ch */
        "str    r11, [sp, #12]\n\t"
        "cmp    r11, r0\n\t"
        "blt    10b\n\t"
        "add    sp, sp, #16\n\t"
        "pop    {r4-r11, pc}\n"
        "30:\n\t"
        PASS2_RQ(REQUANT_U)
        "b      21b\n\t");
}

/* ------------------------------------------------------ eight pixels, one channel */

/* What pass8_fast reads (offsets are used by its assembly). */
typedef struct {
    const uint32_t *cols;  /*  0: the eight columns */
    const int32_t *bias;   /*  4: or NULL */
    const int32_t *mult;   /*  8 */
    const int32_t *shift;  /* 12 */
    int32_t zz;            /* 16: 2 * out_zp + 1 */
    int32_t out_c;         /* 20 */
    int32_t n_ch;          /* 24: channels [0, n_ch) */
    int32_t back;          /* 28: 4 * groups - k, read past a channel's weights */
    int8_t *out;           /* 32: channel 0's output of pixel 0 */
    int32_t groups;        /* 36 */
} pass8_args;

/* One pixel of a group of 4 taps: its two words from the columns (r0), two SMLAD into S with
 * the weight pairs r2, r3; the _FIRST form starts S (SMUAD). r12, lr: the data. */
#define PASS8_PIXEL(S)                               \
    "ldrd   r12, lr, [r0], #8\n\t"                   \
    "smlad  " S ", r12, r2, " S "\n\t"               \
    "smlad  " S ", lr, r3, " S "\n\t"
#define PASS8_PIXEL_FIRST(S)                         \
    "ldrd   r12, lr, [r0], #8\n\t"                   \
    "smuad  " S ", r12, r2\n\t"                      \
    "smlad  " S ", lr, r3, " S "\n\t"
/* One group of 4 taps for the eight columns at r0 (16 words: p0 lo hi, p1 ..., p7), weights at
 * r1, sums r4..r11: one LDR of the weights, two SXTB16, eight LDRD of a pixel's two words and
 * sixteen SMLAD: 27 instructions of 32 bits (44 estimated cycles) for 32 multiply-accumulates,
 * the rate of PASS4_GROUP with half the per-channel work per output. */
#define PASS8_WEIGHTS                                \
    "ldr.w  r2, [r1], #4\n\t"                        \
    "sxtb16 r3, r2, ror #8\n\t"                      \
    "sxtb16 r2, r2\n\t"
#define PASS8_GROUP                                  \
    PASS8_WEIGHTS                                    \
    PASS8_PIXEL("r4") PASS8_PIXEL("r5") PASS8_PIXEL("r6") PASS8_PIXEL("r7") \
    PASS8_PIXEL("r8") PASS8_PIXEL("r9") PASS8_PIXEL("r10") PASS8_PIXEL("r11")
#define PASS8_GROUP_FIRST                            \
    PASS8_WEIGHTS                                    \
    PASS8_PIXEL_FIRST("r4") PASS8_PIXEL_FIRST("r5") PASS8_PIXEL_FIRST("r6") PASS8_PIXEL_FIRST("r7") \
    PASS8_PIXEL_FIRST("r8") PASS8_PIXEL_FIRST("r9") PASS8_PIXEL_FIRST("r10") PASS8_PIXEL_FIRST("r11")
#define PASS8_GROUP_BYTES "108"
/* The most groups of a patch pass8 takes (EIGHT_MAX_K / 4, and NARROW_MAX_K / 4): its groups after the
 * first run in PASS8_MAX_GROUPS - 1 copies of PASS8_GROUP, entered at the one that leaves them. */
#define PASS8_MAX_GROUPS 16
#define PASS8_STR2(X) #X
#define PASS8_STR(X) PASS8_STR2(X)
/* The groups after the first (r9 of them: groups - 1). Built for speed, the most a patch has
 * in straight copies, entered at the one that leaves them ([sp]); for size (-Os), eight
 * copies in a loop entered at the one that leaves a whole number of passes, ending at the
 * columns' end ([sp, #4]; one group: straight to the loop's end). Measured on the Cortex-M4
 * (-O2, est. cycles per MAC): the straight copies took pw_25x5_64to64 from 1.69 to 1.67 and
 * pw_48x48_8to16 from 3.49 to 3.42 for 724 more bytes of code. */
#define PASS8_GROUPS_8 PASS8_GROUP PASS8_GROUP PASS8_GROUP PASS8_GROUP PASS8_GROUP PASS8_GROUP PASS8_GROUP PASS8_GROUP
#if NNOM_COMPACT_KERNELS
#define PASS8_ENTRY                                                     \
    "ldr    r10, [sp, #16]\n\t"                                        \
    "add    r10, r10, r9, lsl #6\n\t"   /* the columns' end */          \
    "str    r10, [sp, #4]\n\t"                                         \
    "adr.w  r12, 2f\n\t"                                               \
    "subs   r9, r9, #1\n\t"                                            \
    "beq    5f\n\t"                                                    \
    "and    r10, r9, #7\n\t"                                           \
    "rsb    r10, r10, #8\n\t"                                          \
    "and    r10, r10, #7\n\t"           /* the copy to enter at */      \
    "movs   r11, #" PASS8_GROUP_BYTES "\n\t"                           \
    "adr.w  r12, 1f\n\t"                                               \
    "mla    r12, r10, r11, r12\n"                                       \
    "5:\n\t"                                                           \
    "orr    r12, r12, #1\n\t"           /* (a Thumb address) */         \
    "str    r12, [sp]\n\t"
#define PASS8_GROUPS                                                    \
    PASS8_GROUPS_8                                                      \
    "ldr    r2, [sp, #4]\n\t"                                          \
    "cmp    r0, r2\n\t"                                                \
    "bne    1b\n"
#else
#define PASS8_ENTRY                                                     \
    "rsb    r10, r9, #" PASS8_STR(PASS8_MAX_GROUPS) "\n\t" /* the copies to skip */ \
    "movs   r11, #" PASS8_GROUP_BYTES "\n\t"                           \
    "adr.w  r12, 1f\n\t"                                               \
    "mla    r12, r10, r11, r12\n\t"                                    \
    "orr    r12, r12, #1\n\t"           /* (a Thumb address) */         \
    "str    r12, [sp]\n\t"
#define PASS8_GROUPS                                                    \
    PASS8_GROUPS_8 PASS8_GROUP PASS8_GROUP PASS8_GROUP PASS8_GROUP PASS8_GROUP PASS8_GROUP PASS8_GROUP
#endif

/* S = SSAT8 of the requantised S + bias, the sum S without the bias: B = 2 * bias, so that
 * T = B + 2 S = 2 (dot + bias) (|dot + bias| < 2^30: exact, and T < 0 exactly when
 * dot + bias < 0), then the forms of arm_dsp.h as REQUANT_ZP / REQUANT_U do them on 2 S. */
#define REQUANT_ZP_B(S, M, E, C, T, B)        \
    "add    " T ", " B ", " S ", lsl #1\n\t"  \
    "smmlar " S ", " T ", " M ", " C "\n\t"   \
    "add    " S ", " S ", " T ", asr #31\n\t" \
    "asr    " S ", " S ", " E "\n\t"          \
    "ssat   " S ", #8, " S "\n\t"
#define REQUANT_U_B(S, M, E, C, T, B)         \
    "add    " T ", " B ", " S ", lsl #1\n\t"  \
    "smmulr " S ", " T ", " M "\n\t"          \
    "add    " S ", " S ", " S ", asr #31\n\t" \
    "add    " S ", " S ", " C "\n\t"          \
    "asr    " S ", " S ", " E "\n\t"          \
    "ssat   " S ", #8, " S "\n\t"
/* The same for a shift s >= 0 (nnom_conv_quant_apply() of conv.h with e = 0: the doubling high
 * multiply of (dot + bias) * 2^s, no rounding shift), when |dot + bias| * 2^(s + 1) < 2^31:
 * T = 2^(s + 1) (dot + bias) (E = s), S = SMMULR(T, M) + C (C = zp). */
#define REQUANT_L_B(S, M, E, C, T, B)         \
    "add    " T ", " B ", " S ", lsl #1\n\t"  \
    "lsl    " T ", " T ", " E "\n\t"          \
    "smmulr " S ", " T ", " M "\n\t"          \
    "add    " S ", " S ", " C "\n\t"          \
    "ssat   " S ", #8, " S "\n\t"
#define PASS8_RQ(RQ) \
    RQ("r4", "r0", "r2", "r12", "r3", "lr") RQ("r5", "r0", "r2", "r12", "r3", "lr") \
    RQ("r6", "r0", "r2", "r12", "r3", "lr") RQ("r7", "r0", "r2", "r12", "r3", "lr") \
    RQ("r8", "r0", "r2", "r12", "r3", "lr") RQ("r9", "r0", "r2", "r12", "r3", "lr") \
    RQ("r10", "r0", "r2", "r12", "r3", "lr") RQ("r11", "r0", "r2", "r12", "r3", "lr")

/*
 * Channels [0, p->n_ch) of eight whole pixels, every one fast (FORM_ZP, FORM_U or FORM_L of
 * conv_s8.c: multiplier not 0; shift in [-22, -1] and |dot + bias| < 2^30, or shift s in
 * [0, FORM_L_MAX_SHIFT] and |dot + bias| * 2^(s + 1) < 2^31), weights from w, channel c of
 * pixel j to p->out[j * out_c + c], clamped to the int8 range (the caller applies a narrower
 * clamp). Each channel takes the requantisation of nnom_arm_requant_zp() when its shift is
 * negative and its multiplier above 2^30, that of nnom_arm_requant() for the other negative
 * shifts, REQUANT_L_B for the others, chosen in the routine (one run serves every kind), with
 * the bias added there (REQUANT_ZP_B, REQUANT_U_B, REQUANT_L_B): the
 sums start at the first group's products (SMUAD); the other groups (at most
 * PASS8_MAX_GROUPS - 1) run in PASS8_GROUPS. Registers: r0 the columns, r1 the weights,
 * r4-r11 the sums, r2, r3, r12, lr the group's temporaries, then the requantisation
 * constants (r0 multiplier, r2 e (s for REQUANT_L_B), r12 c (zp), lr 2 * bias, r3 a
 * temporary) and the stores.
 * Stack: [sp] the entry into the copies, [sp, #4] the columns' end (-Os), [sp, #8] p,
 * [sp, #12] c, [sp, #16] the columns.
 * Per channel, besides the groups: about 75 instructions (about 85 estimated cycles) for
 * eight outputs, 40 of them the requantisation.
 */
__attribute__((naked, noinline)) static void pass8_fast(ARG const pass8_args *p, ARG const int8_t *w)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #20\n\t"
        "ldr    r9, [r0, #36]\n\t"          /* groups */
        "ldr    r10, [r0]\n\t"              /* columns */
        "str    r0, [sp, #8]\n\t"
        "str    r10, [sp, #16]\n\t"
        "movs   r3, #0\n\t"
        "str    r3, [sp, #12]\n\t"          /* c */
        PASS8_ENTRY
        "10:\n\t"                           /* a channel */
        "ldr    r0, [sp, #16]\n\t"
        PASS8_GROUP_FIRST
        "ldr    pc, [sp]\n\t"
        ".p2align 2\n"
        "1:\n\t" PASS8_GROUPS
        "2:\n\t"
        "ldr    lr, [sp, #8]\n\t"           /* p */
        "ldr    r3, [sp, #12]\n\t"          /* c */
        "ldr    r0, [lr, #8]\n\t"
        "ldr    r2, [lr, #12]\n\t"
        "ldr    r12, [lr, #16]\n\t"         /* 2 zp + 1 */
        "ldr    lr, [lr, #4]\n\t"           /* bias */
        "ldr    r0, [r0, r3, lsl #2]\n\t"   /* multiplier */
        "ldr    r2, [r2, r3, lsl #2]\n\t"   /* shift = -e */
        "cmp    lr, #0\n\t"
        "it     ne\n\t"
        "ldrne  lr, [lr, r3, lsl #2]\n\t"
        "lsl    lr, lr, #1\n\t"             /* 2 * bias (0 without) */
        "mvns   r3, r2\n\t"                 /* e - 1 */
        "bmi    40f\n\t"                    /* (negative: a left shift, shift >= 0) */
        "lsl    r12, r12, r3\n\t"           /* c = (2 zp + 1) << (e - 1) */
        "rsb    r2, r2, #0\n\t"
        "cmp    r0, #0x40000000\n\t"
        "bls    30f\n\t"                  /* (multipliers above 2^30, the common case, fall through) */
        PASS8_RQ(REQUANT_ZP_B)
        "21:\n\t"
        "ldr    lr, [sp, #8]\n\t"           /* p */
        "ldr    r3, [sp, #12]\n\t"          /* c */
        "ldr    r0, [lr, #32]\n\t"          /* out */
        "ldr    r2, [lr, #20]\n\t"          /* out_c */
        "add    r0, r0, r3\n\t"
        "adds   r3, r3, #1\n\t"
        "str    r3, [sp, #12]\n\t"
        "add    r12, r0, r2, lsl #1\n\t"    /* pixel 2 */
        "strb   r4, [r0]\n\t"
        "strb   r5, [r0, r2]\n\t"
        "add    r0, r12, r2, lsl #1\n\t"    /* pixel 4 */
        "strb   r6, [r12]\n\t"
        "strb   r7, [r12, r2]\n\t"
        "add    r12, r0, r2, lsl #1\n\t"    /* pixel 6 */
        "strb   r8, [r0]\n\t"
        "strb   r9, [r0, r2]\n\t"
        "strb   r10, [r12]\n\t"
        "strb   r11, [r12, r2]\n\t"
        "ldrd   r0, r2, [lr, #24]\n\t"      /* n_ch, back */
        "sub    r1, r1, r2\n\t"
        "cmp    r3, r0\n\t"
        "blt    10b\n\t"
        "add    sp, sp, #20\n\t"
        "pop    {r4-r11, pc}\n"
        "30:\n\t"
        PASS8_RQ(REQUANT_U_B)
        "b      21b\n"
        "40:\n\t"
        "asr    r12, r12, #1\n\t"           /* zp */
        PASS8_RQ(REQUANT_L_B)
        "b      21b\n\t");
}

#endif
