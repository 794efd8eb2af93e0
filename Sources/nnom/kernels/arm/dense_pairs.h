/*
 * The Cortex-M dense kernel over weights in row pairs (the layout of kernels/dense.h, which the
 * converter writes; part of kernels/arm/dense_s8.c, whose widening constants, DENSE_LOOP_ENTRY and
 * write_rows it shares): nnom_dense_pairs_s8 on cores with the DSP extension.
 *
 * Why: on rows, each word of four weights of one row needs two SXTB16 before its two SMLAD (the
 * rows' loops: 22-23 estimated cycles per 16 multiply-accumulates). A word of the pairs holds two
 * weights of row A (their sign bits flipped) and two of row B, and read as it is, as two int16,
 * its lanes are w_A + 128 + 256 w_B. With the input widened into natural pairs (x_2k, x_2k+1):
 *
 *     SMLAD a, x, word, a              a += x . (w_A + 128 + 256 w_B)
 *     SXTB16 word, word, ROR #8        (w_B, w_B') sign-extended
 *     SMLAD b, x, word, b              b += x . w_B
 *
 * three instructions for four multiply-accumulates, and after the input, sum_A = a - 256 b -
 * 128 S (S: the sum of the widened input), modulo 2^32 (kernels/dense.h).
 *
 * The loop (dot_pairs_asm): a group's four row pairs (eight sums in r2-r9) against one input pair
 * a step: the input's word and three weight words in one run of loads (five cycles), three pairs,
 * the fourth word (two cycles), the fourth pair: 17 instructions, 19 estimated cycles per 16
 * multiply-accumulates (1.1875). The words of a group come in the order the loop reads them, and
 * the groups one after the other, so one pointer walks the weights. Sixteen steps a pass (four in
 * the compact form), entered as dot_blocks_asm's passes are.
 *
 * Bounds: |x| <= 255 and |lane| <= 32767, so each product fits int32 and the sums wrap modulo
 * 2^32; with in_features <= DENSE_FOLD_MAX_IN the exact |sum_A|, |sum_B| <= 2^30, so the starting
 * sums may hold the biases (a: bias_A + 256 bias_B, b: bias_B) and write_rows() takes the rows as
 * it takes dense_wide's. Longer inputs go to the portable form. The last group of a layer whose
 * padded row count is not a multiple of 8 (one to three pairs) has a loop of its own
 * (dot_pairs1_asm to dot_pairs3_asm, 3 + 4 P estimated cycles per 4 P multiply-accumulates, four
 * steps a pass; the group's starting sums and ends taken as dot_pairs_asm takes them). A layer of
 * one batch over one piece of the input (most) runs straight-line, without the loops over batches
 * and pieces: about 130 estimated cycles less on a head.
 * Measured (kernel bench, -O2, est. cycles per MAC): 640 -> 128 rows 1.29, 128 -> 128 1.45,
 * 128 -> 640 1.44, 1000 -> 64 1.42; 256 -> 10 1.89, 128 -> 12 1.98 (on rows 2.01), 128 -> 8 2.13
 * (2.17), 64 -> 12 2.45 (2.42); the autoencoder 1.42 (1.63 on rows).
 */
#ifndef NNOM_KERNELS_ARM_DENSE_PAIRS_H
#define NNOM_KERNELS_ARM_DENSE_PAIRS_H

enum {
    PAIRS_GROUP_ROWS = 2 * NNOM_DENSE_PAIR_GROUP, /* 8: rows of a group */
    PAIRS_GROUP_BYTES = 4 * NNOM_DENSE_PAIR_GROUP, /* 16: a group's bytes per input pair */
    PAIRS_WIDE = 2 * DENSE_WIDE_GROUPS,           /* input pairs widened at once: 1,280 bytes, 640 inputs */
    PAIRS_BATCH = 8                               /* groups per call of the assembly (at least) */
};

/* What dot_pairs_asm reads (offsets are used by its assembly). */
typedef struct {
    int32_t n;           /* 0: input pairs, words of xw, >= 1 */
    int32_t groups;      /* 4: groups of four row pairs, >= 1 */
    int32_t skip;        /* 8: bytes from the end of a group's words read to the next group's first */
    const int32_t *init; /* 12: the starting sums, eight per group (a0, b0, ..., a3, b3); may be acc */
    int32_t s128;        /* 16: with PAIRS_END: 128 S, S the sum of the widened input */
    int32_t ends;        /* 20: PAIRS_START, PAIRS_END, both or neither: what a group does before and after */
} pairs_args;

/* pairs_args::ends (the assembly tests them as PAIRS_START_TEST and PAIRS_END_TEST) */
enum {
    PAIRS_START = 1, /* a group's starting sums are rows (bias_A, bias_B): a += 256 b first */
    PAIRS_END = 2    /* a group's sums leave as rows: a -= 256 b + 128 S (sum_A) */
};
#define PAIRS_START_TEST "lsls    r10, r10, #31\n\t" /* Z clear: PAIRS_START (bit 0) */
#define PAIRS_END_TEST "tst     r10, #2\n\t"         /* Z clear: PAIRS_END */
_Static_assert(PAIRS_START == 1 && PAIRS_END == 2, "PAIRS_START_TEST, PAIRS_END_TEST");

/* The assembly's frame below the saved registers: */
#define FRAME_P_END "[sp]"         /* end of the input */
#define FRAME_P_X "[sp, #4]"       /* its start */
#define FRAME_P_ACC "[sp, #8]"     /* the next group's sums */
#define FRAME_P_ACC_END "[sp, #12]" /* the end of the sums */
#define FRAME_P_ENTRY "[sp, #16]"  /* where a group enters its loop (the Thumb bit set) */
#define FRAME_P_INIT "[sp, #20]"   /* the next group's starting sums */
#define FRAME_P_SKIP "[sp, #24]"   /* skip */
#define FRAME_P_S128 "[sp, #28]"   /* s128 */
#define FRAME_P_ENDS "[sp, #32]"   /* ends */
#define FRAME_P_BYTES "36"         /* (with the nine registers pushed, SP stays 8-byte aligned) */

/* With PAIRS_START, a group's starting sums taken as rows: a += 256 b for its four pairs (r10 and the
 * flags clobbered). */
#define PAIRS_START_ROWS                     \
    "ldr     r10, " FRAME_P_ENDS "\n\t"      \
    PAIRS_START_TEST                         \
    "beq     1f\n\t"                         \
    "add     r2, r2, r3, lsl #8\n\t"         \
    "add     r4, r4, r5, lsl #8\n\t"         \
    "add     r6, r6, r7, lsl #8\n\t"         \
    "add     r8, r8, r9, lsl #8\n"            \
    "1:\n\t"
/* With PAIRS_END, row A's sums: a -= 256 b + 128 S (r10, r11 and the flags clobbered). */
#define PAIRS_END_ROWS                       \
    "ldr     r10, " FRAME_P_ENDS "\n\t"      \
    "ldr     r11, " FRAME_P_S128 "\n\t"      \
    PAIRS_END_TEST                           \
    "beq     2f\n\t"                         \
    "sub     r2, r2, r3, lsl #8\n\t"         \
    "sub     r4, r4, r5, lsl #8\n\t"         \
    "sub     r6, r6, r7, lsl #8\n\t"         \
    "sub     r8, r8, r9, lsl #8\n\t"         \
    "sub     r2, r2, r11\n\t"                \
    "sub     r4, r4, r11\n\t"                \
    "sub     r6, r6, r11\n\t"                \
    "sub     r8, r8, r11\n"                   \
    "2:\n\t"

/* Row pair W of the step: r10 the input pair; A, B its sums (the word W is clobbered). */
#define PAIR_MACS(W, A, B)                    \
    "smlad   " A ", r10, " W ", " A "\n\t"   \
    "sxtb16  " W ", " W ", ror #8\n\t"       \
    "smlad   " B ", r10, " W ", " B "\n\t"
/* The input pair and three words in one run of loads, then their three pairs (sums S0 to S5). */
#define PAIRS_THREE(S0, S1, S2, S3, S4, S5)  \
    "ldr     r10, [r0], #4\n\t"              \
    "ldr     r11, [r1], #4\n\t"              \
    "ldr     r12, [r1], #4\n\t"              \
    "ldr     lr, [r1], #4\n\t"               \
    PAIR_MACS("r11", S0, S1)                 \
    PAIR_MACS("r12", S2, S3)                 \
    PAIR_MACS("lr", S4, S5)
#define PAIRS_HEAD                           \
    PAIRS_THREE("r2", "r3", "r4", "r5", "r6", "r7") \
    "ldr     r11, [r1], #4\n\t"
#define PAIRS_STEP PAIRS_HEAD PAIR_MACS("r11", "r8", "r9")
/* The last step of a pass also loads the end of the input (in the fourth word's run) and compares:
 * SMLAD and SXTB16 leave the flags alone. */
#define PAIRS_STEP_LAST                      \
    PAIRS_HEAD                               \
    "ldr     r12, " FRAME_P_END "\n\t"       \
    "cmp     r0, r12\n\t"                    \
    PAIR_MACS("r11", "r8", "r9")

#if NNOM_COMPACT_KERNELS
#define PAIRS_PASS_MASK "3"
#define PAIRS_ENTRIES ".hword  0, 13b - 10b, 12b - 10b, 11b - 10b\n"
#define PAIRS_STEPS PAIRS_STEP "11:\n\t" PAIRS_STEP "12:\n\t" PAIRS_STEP "13:\n\t" PAIRS_STEP_LAST
#else
#define PAIRS_PASS_MASK "15"
#define PAIRS_ENTRIES                                   \
    ".hword  0, 25b - 10b, 24b - 10b, 23b - 10b\n\t"    \
    ".hword  22b - 10b, 21b - 10b, 20b - 10b, 19b - 10b\n\t" \
    ".hword  18b - 10b, 17b - 10b, 16b - 10b, 15b - 10b\n\t" \
    ".hword  14b - 10b, 13b - 10b, 12b - 10b, 11b - 10b\n"
#define PAIRS_STEPS                                                                               \
    PAIRS_STEP "11:\n\t" PAIRS_STEP "12:\n\t" PAIRS_STEP "13:\n\t" PAIRS_STEP "14:\n\t" PAIRS_STEP \
    "15:\n\t" PAIRS_STEP "16:\n\t" PAIRS_STEP "17:\n\t" PAIRS_STEP "18:\n\t" PAIRS_STEP "19:\n\t"  \
    PAIRS_STEP "20:\n\t" PAIRS_STEP "21:\n\t" PAIRS_STEP "22:\n\t" PAIRS_STEP "23:\n\t" PAIRS_STEP \
    "24:\n\t" PAIRS_STEP "25:\n\t" PAIRS_STEP_LAST
#endif

/*
 * For each of p->groups groups (group g: the 16 p->n bytes from w + g (16 p->n + p->skip)), with
 * a_j, b_j the sums of its pair j starting at init[8g + 2j], init[8g + 2j + 1] (with PAIRS_START,
 * a_j += 256 b_j first): a_j += sum_k xw[k] . word(k, j) and b_j += sum_k xw[k] . sxtb16(word(k, j)
 * ror 8), k < p->n, j < 4, modulo 2^32 (SMLAD: the dual 16-bit products of the int16 lanes,
 * word(k, j) the group's word 4k + j); then (PAIRS_END) a_j -= 256 b_j + p->s128; stored at
 * acc[8g + 2j], acc[8g + 2j + 1]. Between groups, in about 25 cycles (and 6 or 10 more for the
 * ends): the sums stored, the next ones loaded, the input pointer reset, the weights' pointer moved
 * on by skip. (naked: the body is the assembly alone; the arguments arrive in r0-r3)
 */
__attribute__((naked, noinline)) static void dot_pairs_asm(ARG const uint32_t *xw, ARG const uint8_t *w,
                                                           ARG const pairs_args *p, ARG int32_t *acc)
{
    __asm__ volatile(
        "push    {r4-r11, lr}\n\t"
        "sub     sp, sp, #" FRAME_P_BYTES "\n\t"
        "ldr     r11, [r2]\n\t"      /* n */
        "ldr     r12, [r2, #4]\n\t"  /* groups */
        "ldr     r10, [r2, #8]\n\t"  /* skip */
        "ldr     lr, [r2, #12]\n\t"  /* init */
        "ldr     r9, [r2, #16]\n\t"  /* s128 */
        "ldr     r8, [r2, #20]\n\t"  /* ends */
        "str     r0, " FRAME_P_X "\n\t"
        "str     r9, " FRAME_P_S128 "\n\t"
        "str     r8, " FRAME_P_ENDS "\n\t"
        "str     r10, " FRAME_P_SKIP "\n\t"
        "str     r3, " FRAME_P_ACC "\n\t"
        "add     r12, r3, r12, lsl #5\n\t" /* eight sums a group */
        "str     r12, " FRAME_P_ACC_END "\n\t"
        "add     r12, r0, r11, lsl #2\n\t"
        "str     r12, " FRAME_P_END "\n\t"
        "and     r11, r11, #" PAIRS_PASS_MASK "\n\t"
        DENSE_LOOP_ENTRY("r11", "r12", FRAME_P_ENTRY)
        "ldm     lr!, {r2-r9}\n\t"
        "str     lr, " FRAME_P_INIT "\n\t"
        PAIRS_START_ROWS
        "bx      r11\n\t"
        "10:\n\t" PAIRS_STEPS
        "bne     10b\n\t"
        PAIRS_END_ROWS
        /* the group's sums stored; unless they end, the next group's loaded, the pointers reset */
        "ldr     r12, " FRAME_P_ACC "\n\t"
        "ldr     r10, " FRAME_P_ACC_END "\n\t"
        "ldr     r11, " FRAME_P_SKIP "\n\t"
        "ldr     lr, " FRAME_P_INIT "\n\t"
        "stm     r12!, {r2-r9}\n\t"
        "cmp     r12, r10\n\t"
        "beq     7f\n\t"
        "str     r12, " FRAME_P_ACC "\n\t"
        "ldm     lr!, {r2-r9}\n\t"
        "str     lr, " FRAME_P_INIT "\n\t"
        "add     r1, r1, r11\n\t"
        PAIRS_START_ROWS
        "ldr     r0, " FRAME_P_X "\n\t"
        "ldr     r11, " FRAME_P_ENTRY "\n\t"
        "bx      r11\n"
        "7:\n\t"
        "add     sp, sp, #" FRAME_P_BYTES "\n\t"
        "pop     {r4-r11, pc}\n"
        "6:\n\t" PAIRS_ENTRIES); /* the entries' offsets from the first step, by n % steps (data) */
}

/* Eight inputs of widen_pairs(): two loads in a run, four SXTAB16 (lanes (x0, x2), (x1, x3) of each
 * word), four SMLAD for the sum, two PKHBT and two PKHTB into (x0, x1), (x2, x3), one STM (flags
 * untouched). */
#define WIDEN_PAIRS_EIGHT                                    \
    "ldr     %[t0], [%[x]], #8\n\t"                          \
    "ldr     %[t1], [%[x], #-4]\n\t"                         \
    "sxtab16 %[l0], %[zp], %[t0]\n\t"                        \
    "sxtab16 %[t0], %[zp], %[t0], ror #8\n\t"                \
    "sxtab16 %[l1], %[zp], %[t1]\n\t"                        \
    "sxtab16 %[t1], %[zp], %[t1], ror #8\n\t"                \
    "smlad   %[s], %[l0], %[ones], %[s]\n\t"                 \
    "smlad   %[s], %[t0], %[ones], %[s]\n\t"                 \
    "smlad   %[s], %[l1], %[ones], %[s]\n\t"                 \
    "smlad   %[s], %[t1], %[ones], %[s]\n\t"                 \
    "pkhbt   %[p0], %[l0], %[t0], lsl #16\n\t"               \
    "pkhtb   %[p1], %[t0], %[l0], asr #16\n\t"               \
    "pkhbt   %[p2], %[l1], %[t1], lsl #16\n\t"               \
    "pkhtb   %[p3], %[t1], %[l1], asr #16\n\t"               \
    "stm     %[d]!, {%[p0], %[p1], %[p2], %[p3]}\n\t"

/* xw[k] = the int16 pair (x[2k] - zp, x[2k + 1] - zp) for the len inputs (the last partner 0 when
 * len is odd); returns the sum of the widened values, modulo 2^32. Sixteen inputs a pass (an odd
 * count of eight enters at the second half): 40 instructions, about 45 estimated cycles. */
static uint32_t widen_pairs(uint32_t *xw, const int8_t *x, int32_t len, int32_t zp)
{
    const uint32_t neg_zp = (uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u;
    uint32_t s = 0;
    int32_t passes = len >> 3; /* of eight */
    if (passes) {
        /* (STM stores in ascending register order: fixed registers) */
        register uint32_t p0 __asm__("r4"), p1 __asm__("r5"), p2 __asm__("r6"), p3 __asm__("r7");
        uint32_t t0, t1, l0, l1;
        __asm__ volatile("lsrs    %[n], %[n], #1\n\t" /* C: an odd count of eight; Z: no pair */
                         "bcs     2f\n"
                         "1:\n\t" WIDEN_PAIRS_EIGHT
                         "subs    %[n], %[n], #1\n"
                         "2:\n\t" WIDEN_PAIRS_EIGHT
                         "bne     1b\n\t"
                         : [d] "+r"(xw), [x] "+r"(x), [n] "+r"(passes), [s] "+r"(s), [t0] "=&r"(t0), [t1] "=&r"(t1),
                           [l0] "=&r"(l0), [l1] "=&r"(l1), [p0] "=&r"(p0), [p1] "=&r"(p1), [p2] "=&r"(p2),
                           [p3] "=&r"(p3)
                         : [zp] "r"(neg_zp), [ones] "r"(0x00010001u)
                         : "cc", "memory");
    }
    for (int32_t i = len & ~7; i < len; i += 2, xw++) {
        const int32_t x0 = x[i & 7] - zp, x1 = i + 1 < len ? x[(i & 7) + 1] - zp : 0;
        xw[0] = (uint32_t)(uint16_t)x0 | ((uint32_t)x1 << 16);
        s += (uint32_t)(x0 + x1);
    }
    return s;
}

/* One step of a last group's one, two or three pairs: the input pair and the words in one run of
 * loads, then the pairs (sums from r4): 1 + 4 P instructions, 3 + 4 P estimated cycles per 4 P
 * multiply-accumulates. */
#define PAIRS_TAIL_STEP1                     \
    "ldr     r10, [r0], #4\n\t"              \
    "ldr     r11, [r1], #4\n\t"              \
    PAIR_MACS("r11", "r4", "r5")
#define PAIRS_TAIL_STEP2                     \
    "ldr     r10, [r0], #4\n\t"              \
    "ldr     r11, [r1], #4\n\t"              \
    "ldr     r12, [r1], #4\n\t"              \
    PAIR_MACS("r11", "r4", "r5")             \
    PAIR_MACS("r12", "r6", "r7")
#define PAIRS_TAIL_STEP3 PAIRS_THREE("r4", "r5", "r6", "r7", "r8", "r9")
/* A pair's sums (a in A, b in B) taken as rows at the start, a += 256 b; left as rows at the end,
 * a -= 256 b + 128 S (r11: 128 S). */
#define PAIRS_TAIL_START(A, B) "add     " A ", " A ", " B ", lsl #8\n\t"
#define PAIRS_TAIL_END(A, B) "sub     " A ", " A ", " B ", lsl #8\n\tsub     " A ", " A ", r11\n\t"
#define PAIRS_TAIL_ENDS1(E) E("r4", "r5")
#define PAIRS_TAIL_ENDS2(E) E("r4", "r5") E("r6", "r7")
#define PAIRS_TAIL_ENDS3(E) E("r4", "r5") E("r6", "r7") E("r8", "r9")

/* The routine of a last group of P pairs (as dot_pairs_asm sums one group, from @p p: its starting
 * sums p->init (a0, b0, a1, ...), its ends p->ends, p->s128): acc[0 .. 2P) = the sums of the p->n >= 1
 * input pairs xw[k] with the words w[P k + j], four steps a pass (entered at the step that leaves
 * whole passes: n % 4 steps first).
 * p->groups and p->skip are not read. (naked: the body is the assembly alone; the arguments arrive
 * in r0-r3; p stays on the stack) */
#define PAIRS_TAIL_ROUTINE(NAME, STEP, SUMS, ENDS)                                                    \
    __attribute__((naked, noinline)) static void NAME(ARG const uint32_t *xw, ARG const uint8_t *w,    \
                                                      ARG const pairs_args *p, ARG int32_t *acc)       \
    {                                                                                                  \
        __asm__ volatile("push    {r2, r4-r11, lr}\n\t"                                               \
                         "ldr     r12, [r2, #12]\n\t" /* init */                                      \
                         "ldr     r10, [r2, #20]\n\t" /* ends */                                      \
                         "ldr     r2, [r2]\n\t"       /* n */                                         \
                         "ldm     r12, {" SUMS "}\n\t"                                                \
                         PAIRS_START_TEST                                                              \
                         "beq     3f\n\t"                                                             \
                         ENDS(PAIRS_TAIL_START)                                                        \
                         "3:\n\t"                                                                     \
                         "lsls    r12, r2, #31\n\t" /* N: bit 0 of n, C: bit 1 */                     \
                         "add     r2, r0, r2, lsl #2\n\t"                                             \
                         "bcc     5f\n\t"                                                             \
                         "bmi     6f\n\t"  /* n % 4 = 3: three steps first */                         \
                         "b       7f\n"     /* 2 */                                                    \
                         "5:\n\t"                                                                     \
                         "bmi     8f\n"     /* 1 (0: a whole pass) */                                  \
                         "1:\n\t" STEP "6:\n\t" STEP "7:\n\t" STEP "8:\n\t" STEP                      \
                         "cmp     r0, r2\n\t"                                                          \
                         "bne     1b\n\t"                                                              \
                         "ldr     r12, [sp]\n\t" /* p */                                              \
                         "ldr     r10, [r12, #20]\n\t"                                                \
                         "ldr     r11, [r12, #16]\n\t"                                                \
                         PAIRS_END_TEST                                                                \
                         "beq     4f\n\t"                                                             \
                         ENDS(PAIRS_TAIL_END)                                                          \
                         "4:\n\t"                                                                     \
                         "stm     r3, {" SUMS "}\n\t"                                                 \
                         "pop     {r2, r4-r11, pc}\n");                                                \
    }
PAIRS_TAIL_ROUTINE(dot_pairs1_asm, PAIRS_TAIL_STEP1, "r4-r5", PAIRS_TAIL_ENDS1)
PAIRS_TAIL_ROUTINE(dot_pairs2_asm, PAIRS_TAIL_STEP2, "r4-r7", PAIRS_TAIL_ENDS2)
PAIRS_TAIL_ROUTINE(dot_pairs3_asm, PAIRS_TAIL_STEP3, "r4-r9", PAIRS_TAIL_ENDS3)

/* The pairs of a last group of one to three pairs (@p gw its first word of the input pairs summed,
 * 4 @p pairs bytes per input pair), as dot_pairs_asm sums a group from @p p. */
static void pairs_partial(const uint32_t *xw, const uint8_t *gw, int32_t pairs, const pairs_args *p, int32_t *ab)
{
    if (pairs == 1)
        dot_pairs1_asm(xw, gw, p, ab);
    else if (pairs == 2)
        dot_pairs2_asm(xw, gw, p, ab);
    else
        dot_pairs3_asm(xw, gw, p, ab);
}

/* The sum of the len inputs less the zero point, modulo 2^32 (for inputs widened chunk by chunk). */
static uint32_t input_sum(const int8_t *x, int32_t len, int32_t zp)
{
    uint32_t s = 0;
    for (int32_t i = 0; i < len; i++) s += (uint32_t)(x[i] - zp);
    return s;
}

/* The starting sums of rows o .. o + count - 1 (as rows: bias_A, bias_B): the biases as they are, else
 * written into acc (no bias, or the padding row of an odd out_features among them). */
static inline const int32_t *pairs_starts(const nnom_dense_s8_args *a, int32_t o, int32_t count, int32_t *acc)
{
    if (a->bias && o + count <= a->out_features) return a->bias + o;
    for (int32_t r = 0; r < count; r++) acc[r] = a->bias && o + r < a->out_features ? a->bias[o + r] : 0;
    return acc;
}

/* The sums of p->groups whole groups (their words of the input pairs summed from gw) and of a last
 * group's @p partial pairs (from tail) over xw[0 .. p->n), from p->init, into acc. */
static inline void pairs_run(const uint32_t *xw, const uint8_t *gw, const uint8_t *tail, int32_t partial, pairs_args *p,
                             int32_t *acc)
{
    if (p->groups) dot_pairs_asm(xw, gw, p, acc);
    if (partial) {
        p->init += PAIRS_GROUP_ROWS * p->groups;
        pairs_partial(xw, tail, partial, p, acc + PAIRS_GROUP_ROWS * p->groups);
    }
}

void nnom_dense_pairs_s8(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    const int32_t in_f = a->in_features, out_f = a->out_features;
    if (in_f > DENSE_FOLD_MAX_IN) {
        nnom_dense_pairs_s8_c(a, in, out);
        return;
    }
    const int32_t k_n = (int32_t)((uint32_t)(in_f + 1) >> 1), rows = out_f + (out_f & 1); /* (both > 0) */
    const int32_t groups = (int32_t)((uint32_t)rows / PAIRS_GROUP_ROWS);
    const int32_t last_pairs = (int32_t)((uint32_t)rows % PAIRS_GROUP_ROWS / 2);
    const int wide = k_n <= PAIRS_WIDE;
    uint32_t xw[PAIRS_WIDE];
    int32_t sums[PAIRS_GROUP_ROWS * PAIRS_BATCH], *acc = sums, batch = PAIRS_BATCH;
    uint32_t s;
    if (wide) {
        s = widen_pairs(xw, in, in_f, a->in_zero_point);
        /* the sums of larger batches (fewer calls) in what the input leaves of xw */
        const int32_t room = (int32_t)((uint32_t)(PAIRS_WIDE - k_n) / PAIRS_GROUP_ROWS);
        if (room > batch) {
            acc = (int32_t *)(xw + k_n);
            batch = room;
        }
    } else {
        s = input_sum(in, in_f, a->in_zero_point);
    }
    pairs_args p;
    p.s128 = (int32_t)(s << 7);
    const uint8_t *w = (const uint8_t *)a->weights;
    if (wide && groups + (last_pairs != 0) <= batch) {
        /* the usual case, one batch over one piece: straight-line (about 130 estimated cycles less
         * than the loops below on a head of 8 to 12 rows) */
        const int32_t count = groups * PAIRS_GROUP_ROWS + 2 * last_pairs;
        p.n = k_n;
        p.groups = groups;
        p.skip = 0;
        p.init = pairs_starts(a, 0, count, acc);
        p.ends = PAIRS_START | PAIRS_END;
        pairs_run(xw, w, w + (size_t)(groups * PAIRS_GROUP_ROWS) * (size_t)(2 * k_n), last_pairs, &p, acc);
        write_rows(a, 0, out_f, acc, out);
        return;
    }
    for (int32_t g = 0; g < groups + (last_pairs != 0); g += batch) {
        const int32_t whole = groups - g < batch ? (groups > g ? groups - g : 0) : batch;
        const int32_t partial = whole < batch ? last_pairs : 0; /* the last group's pairs */
        const int32_t o = g * PAIRS_GROUP_ROWS, whole_rows = whole * PAIRS_GROUP_ROWS, count = whole_rows + 2 * partial;
        const uint8_t *gw = w + (size_t)o * (size_t)(2 * k_n), *tail = gw + (size_t)whole_rows * (size_t)(2 * k_n);
        const int32_t *init = pairs_starts(a, o, count, acc);
        for (int32_t k0 = 0; k0 < k_n; k0 += PAIRS_WIDE) {
            const int32_t n = k_n - k0 < PAIRS_WIDE ? k_n - k0 : PAIRS_WIDE;
            if (!wide) widen_pairs(xw, in + 2 * k0, in_f - 2 * k0 < 2 * n ? in_f - 2 * k0 : 2 * n, a->in_zero_point);
            p.n = n;
            p.groups = whole;
            p.skip = PAIRS_GROUP_BYTES * (k_n - n);
            p.init = k0 ? acc : init;
            p.ends = (k0 ? 0 : PAIRS_START) | (k0 + n == k_n ? PAIRS_END : 0);
            pairs_run(xw, gw + (size_t)PAIRS_GROUP_BYTES * (size_t)k0, tail + 4u * (size_t)partial * (size_t)k0, partial,
                      &p, acc);
        }
        write_rows(a, o, o + count > out_f ? out_f - o : count, acc, out);
    }
}

#endif /* NNOM_KERNELS_ARM_DENSE_PAIRS_H */
