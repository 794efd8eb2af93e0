/*
 * int8 dense kernel for Cortex-M cores with the DSP extension, the twin of
 * kernels/dense_s8.c: same function, same results bit for bit.
 *
 * Four output rows at a time (the last block overlapping the previous one
 * when out_features is not a multiple of 4; fewer than four rows one by one).
 * The input is widened once per call (widen_input: int16 pairs (x0, x2),
 * (x1, x3) minus the zero point, SXTAB16, into DENSE_WIDE_GROUPS groups on
 * the stack, 1,280 bytes; a longer input chunk by chunk for each batch of
 * rows); per group each row's four weights are widened by SXTB16 into the
 * same pairing and meet it in two SMLAD: 22 instructions for 16
 * multiply-accumulates. The assembly routine (dot_blocks_asm) uses all 14
 * free registers so that the loads come in runs (a load right after another
 * costs one cycle instead of two): the input's two words with rows 1, 0 and
 * 3's weights, then row 2's; sixteen groups per loop pass (eight at -Os), the
 * end of the input kept on the stack and read in the last group: 24
 * estimated cycles per group, 1.50 per multiply-accumulate (the floor of 16
 * SXTB16 / SMLAD and four weight loads is 20-21; docs/design-notes.md). It
 * runs up to DENSE_BATCH blocks of four rows per call (more when the input
 * leaves room in xw for their sums), from starting sums it reads (the biases
 * themselves, or values C wrote) into an array of sums on the stack, which C
 * then requantises four rows per pass. The last len % 4 inputs are summed one
 * by one in C.
 *
 * At -O2, layers of eight rows or more with 4 to 4 DENSE_WIDE_GROUPS + 3
 * inputs go to dense_units() and dot_units_asm (dense_units.h), which reach
 * four rows of a unit of eight from one pointer and a signed stride and so
 * free the register that puts the six loads of a group in one run: 23
 * estimated cycles a group (1.4375 per multiply-accumulate), thirty-two
 * groups per pass, its rows requantised in the assembly, for 2.4 KB more code.
 * Layers of 4 to 7 rows, and of 8 u + 4 rows, with 4 to 131 inputs go to
 * dense_few() and dense_narrow() (dense_sp_blocks.h: blocks of four rows, the
 * input read at offsets from SP, also 23 cycles a group, 1.6 KB of code),
 * which cost less there than dot_blocks_asm and the units' last four rows.
 *
 * Accumulators and the bias. |x - zp| * |w| <= 255 * 128 = 32640, so a dot
 * product over len inputs is below len * 32640 in magnitude. When
 * in_features <= DENSE_FOLD_MAX_IN (len * 32640 <= 2^30), each row's int32
 * accumulator starts at its bias and the sums wrap modulo 2^32 if they must:
 *  - if the wrapped value a is in (-2^30, 2^30), it is the exact acc + bias V:
 *    V = a + k 2^32 with |V| < 2^31 + 2^30, and k != 0 would need
 *    |V| > 2^32 - 2^30 = 3 * 2^30;
 *  - otherwise the exact sum is (int32)(a - bias) (|sum| <= 2^30) and
 *    nnom_dense_output() of dense.h adds the bias in 64 bits.
 * In the first case, the usual one, the row is requantised in 32 bits when
 * the shift is in [-22, -1] (nnom_requant32 of requant.h, with SMMULR for its
 * rounded high multiply); every other case goes through nnom_dense_output(),
 * the portable kernel's own requantisation. Longer inputs are summed in
 * chunks of at most DENSE_CHUNK inputs from zero into int64, as the portable
 * kernel does.
 */
#include "kernels/arm/arm_dsp.h"

/* Compiled only as part of kernels/dense_s8.c, which includes this file on cores with DSP. */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)
#include <stddef.h>
#include <string.h>

#include "kernels/dense.h"
#include "kernels/requant.h"

enum {
    DENSE_CHUNK = 65536,      /* inputs whose int32 partial sum cannot overflow */
    DENSE_FOLD_MAX_IN = 32896 /* inputs with n * 32640 <= 2^30: bias folded into the accumulators */
};

/* What dot_blocks_asm reads (offsets are used by its assembly). */
typedef struct {
    int32_t stride;       /* 0: bytes between the weight rows of a block */
    int32_t n;            /* 4: groups of four inputs, >= 1 */
    int32_t blocks;       /* 8: blocks of four rows, >= 1 */
    int32_t next_block;   /* 12: from where a block's row pointers end to the next block's rows */
    const int32_t *init;  /* 16: the blocks' starting sums, four per block (may be the array of sums) */
} rows4_args;

/* The entry into a loop of unrolled copies: its address from the table of halfword offsets at
 * local label 6 (indexed by the pass's remainder in IDX), added to local label 10, the loop's first
 * copy, with the Thumb bit set, into IDX and stored at SLOT (TMP is clobbered). ADR's offsets are
 * resolved by the assembler, right only in a word-aligned section (-Os aligns functions to 2 bytes). */
#define DENSE_LOOP_ENTRY(IDX, TMP, SLOT)                  \
    ".p2align 2\n\t"                                     \
    "adr     " TMP ", 6f\n\t"                            \
    "ldrh    " IDX ", [" TMP ", " IDX ", lsl #1]\n\t"     \
    "adr     " TMP ", 10f\n\t"                           \
    "add     " IDX ", " TMP ", " IDX "\n\t"               \
    "orr     " IDX ", " IDX ", #1\n\t"                    \
    "str     " IDX ", " SLOT "\n\t"

/* The assembly's frame below the saved registers: */
#define FRAME_END "[sp]"          /* end of the input */
#define FRAME_X "[sp, #4]"        /* its start */
#define FRAME_ACC_END "[sp, #8]"  /* the end of the sums */
#define FRAME_ENTRY "[sp, #12]"   /* where a block enters its loop (the Thumb bit set) */
#define FRAME_ACC "[sp, #16]"     /* the next block's four sums */
#define FRAME_NEXT "[sp, #20]"    /* next_block */
#define FRAME_INIT "[sp, #24]"    /* the next block's starting sums */
#define FRAME_BYTES "28"

/*
 * One group of four inputs for the four rows. r0: the widened inputs (two words per group), r1:
 * row 0 (row 1 at r1 + r9), r8: row 2 (row 3 at r8 + r9), r4-r7: sums; r2, r3, r10-r12, lr free.
 * One run of five loads (the input's two pairs, rows 1, 0 and 3's weights: six cycles), rows 0,
 * 1 and 3, then row 2's weights (two cycles; in the last group of a pass with the end of the
 * input from the stack, compared at once: SXTB16 and SMLAD leave the flags alone) and row 2.
 * 22 instructions, 24 estimated cycles (26 with the end test).
 */
#define ROW_PAIRS(W, T, S)                   \
    "sxtb16  " T ", " W ", ror #8\n\t"       \
    "sxtb16  " W ", " W "\n\t"               \
    "smlad   " S ", r2, " W ", " S "\n\t"    \
    "smlad   " S ", r12, " T ", " S "\n\t"
#define GROUP_HEAD                           \
    "ldr     r2, [r0], #8\n\t"               \
    "ldr     r12, [r0, #-4]\n\t"             \
    "ldr     r3, [r1, r9]\n\t"               \
    "ldr     r11, [r1], #4\n\t"              \
    "ldr     r10, [r8, r9]\n\t"              \
    ROW_PAIRS("r11", "lr", "r4")             \
    ROW_PAIRS("r3", "r11", "r5")             \
    ROW_PAIRS("r10", "r3", "r7")
#define GROUP                                \
    GROUP_HEAD                               \
    "ldr     r10, [r8], #4\n\t"              \
    ROW_PAIRS("r10", "r3", "r6")
#define GROUP_LAST                           \
    GROUP_HEAD                               \
    "ldr     r10, [r8], #4\n\t"              \
    "ldr     lr, " FRAME_END "\n\t"          \
    "cmp     r0, lr\n\t"                     \
    ROW_PAIRS("r10", "r3", "r6")

/* The loop's copies of GROUP: sixteen (eight at -Os, 1.4 KB less code), entered at the one that
 * leaves a whole number of passes (a table of offsets by n % copies: entry i at the copy that many
 * groups before the end, its address found once per call, then a BX per block). 32 groups (128
 * inputs) take two passes of sixteen: the end test and the branch (about 5 cycles a pass) once per
 * 64 MACs of each row instead of 32. */
#if NNOM_COMPACT_KERNELS
#define DENSE_PASS_MASK "7"
#define DENSE_ENTRIES                                                           \
    ".hword  0, 17b - 10b, 16b - 10b, 15b - 10b\n\t"                            \
    ".hword  14b - 10b, 13b - 10b, 12b - 10b, 11b - 10b\n"
#define DENSE_GROUPS                                                            \
    GROUP "11:\n\t" GROUP "12:\n\t" GROUP "13:\n\t" GROUP "14:\n\t" GROUP "15:\n\t" GROUP \
    "16:\n\t" GROUP "17:\n\t" GROUP_LAST
#else
#define DENSE_PASS_MASK "15"
#define DENSE_ENTRIES                                                           \
    ".hword  0, 25b - 10b, 24b - 10b, 23b - 10b\n\t"                            \
    ".hword  22b - 10b, 21b - 10b, 20b - 10b, 19b - 10b\n\t"                    \
    ".hword  18b - 10b, 17b - 10b, 16b - 10b, 15b - 10b\n\t"                    \
    ".hword  14b - 10b, 13b - 10b, 12b - 10b, 11b - 10b\n"
#define DENSE_GROUPS                                                            \
    GROUP "11:\n\t" GROUP "12:\n\t" GROUP "13:\n\t" GROUP "14:\n\t" GROUP "15:\n\t" GROUP \
    "16:\n\t" GROUP "17:\n\t" GROUP "18:\n\t" GROUP "19:\n\t" GROUP "20:\n\t" GROUP       \
    "21:\n\t" GROUP "22:\n\t" GROUP "23:\n\t" GROUP "24:\n\t" GROUP "25:\n\t" GROUP_LAST
#endif

/*
 * For each of p->blocks blocks of four rows (block b: rows 4b..4b+3 of w,
 * rows p->stride bytes apart): acc[4b + r] = p->init[4b + r] + sum_g xw[g] . w[row r][4g..4g+3],
 * g < p->n, modulo 2^32, xw[g] the pairs (x0 - zp, x2 - zp), (x1 - zp, x3 - zp) of group g
 * (widen_input). Sixteen groups per pass (eight at -Os); n % 16 groups first, by
 * entering the pass at the right group (BX). Between blocks, in about 28 cycles:
 * the sums stored, the next ones loaded (the end test between), the input
 * pointer reset, the row pointers moved on. (naked: the body is the assembly alone; the arguments
 * arrive in r0-r3)
 */
#define ARG __attribute__((unused))

/* At -O2 (not at -Os: 2.4 KB of code), out_features >= 8: the loop in units of eight rows
 * (dense_units.h, included below). */
#if !NNOM_COMPACT_KERNELS
#define DENSE_UNITS 1
#else
#define DENSE_UNITS 0
#endif
__attribute__((naked, noinline)) static void dot_blocks_asm(ARG const uint32_t *xw, ARG const int8_t *w,
                                                            ARG const rows4_args *p, ARG int32_t *acc)
{
    __asm__ volatile(
        "push    {r4-r11, lr}\n\t"
        "sub     sp, sp, #" FRAME_BYTES "\n\t"
        "ldr     r9, [r2]\n\t"      /* stride */
        "ldr     r11, [r2, #4]\n\t" /* n */
        "ldr     r12, [r2, #8]\n\t" /* blocks */
        "str     r0, " FRAME_X "\n\t"
        "add     r12, r3, r12, lsl #4\n\t"
        "str     r12, " FRAME_ACC_END "\n\t"
        "ldr     r12, [r2, #12]\n\t"
        "ldr     r2, [r2, #16]\n\t"
        "str     r3, " FRAME_ACC "\n\t"
        "str     r12, " FRAME_NEXT "\n\t"
        "add     r12, r0, r11, lsl #3\n\t"
        "str     r12, " FRAME_END "\n\t"
        "and     r11, r11, #" DENSE_PASS_MASK "\n\t"
        DENSE_LOOP_ENTRY("r11", "r12", FRAME_ENTRY) /* the entry's address, from the table after the code */
        "add     r8, r1, r9, lsl #1\n\t"
        "ldm     r2!, {r4-r7}\n\t"
        "str     r2, " FRAME_INIT "\n\t"
        "bx      r11\n\t" /* a block: its sums in r4-r7, the next block's starting sums at FRAME_INIT */
        "10:\n\t" DENSE_GROUPS
        "bne     10b\n\t"
        /* the sums stored, the next block's loaded (one run of loads), the pointers moved on */
        "ldr     r3, " FRAME_ACC "\n\t"
        "ldr     r12, " FRAME_NEXT "\n\t"
        "ldr     r0, " FRAME_X "\n\t"
        "ldr     r2, " FRAME_INIT "\n\t"
        "ldr     r11, " FRAME_ACC_END "\n\t"
        "stm     r3!, {r4-r7}\n\t"
        "cmp     r3, r11\n\t"
        "beq     7f\n\t"
        "ldm     r2!, {r4-r7}\n\t"
        "str     r3, " FRAME_ACC "\n\t"
        "str     r2, " FRAME_INIT "\n\t"
        "ldr     r11, " FRAME_ENTRY "\n\t"
        "add     r1, r1, r12\n\t"
        "add     r8, r8, r12\n\t"
        "bx      r11\n"
        "7:\n\t"
        "add     sp, sp, #" FRAME_BYTES "\n\t"
        "pop     {r4-r11, pc}\n"
        "6:\n\t" DENSE_ENTRIES); /* the entries' offsets from the first copy, by n % copies (data) */
}

enum {
    DENSE_BATCH = 8,        /* blocks of four rows per call of the assembly (at least): a 128-byte array of sums */
    DENSE_WIDE_GROUPS = 160 /* groups of four inputs widened at once: 1280 bytes of stack, 640 inputs */
};

/* xw[2g], xw[2g + 1] = the int16 pairs (x[4g] - zp, x[4g + 2] - zp), (x[4g + 1] - zp, x[4g + 3] - zp)
 * for g < n (neg_zp: -zp in both lanes). Four groups per loop pass (four loads in a run, two times
 * four SXTAB16 and an STM): about 6.75 estimated cycles per group; n % 4 groups first, one, then two
 * (the loop's second half entered at 2). */
static void widen_input(uint32_t *xw, const int8_t *x, int32_t n, uint32_t neg_zp)
{
    if (n & 1) {
        const uint32_t v = nnom_arm_load4(x);
        xw[0] = nnom_arm_widen_lo(neg_zp, v);
        xw[1] = nnom_arm_widen_hi(neg_zp, v);
        x += 4;
        xw += 2;
    }
    n >>= 1; /* pairs of groups */
    if (!n) return;
    /* (STM stores in ascending register order: fixed registers) */
    register uint32_t l0 __asm__("r4"), h0 __asm__("r5"), l1 __asm__("r6"), h1 __asm__("r7");
    uint32_t t0, t1, t2, t3;
    __asm__ volatile("lsrs    %[n], %[n], #1\n\t"
                     "bcc     1f\n\t"
                     "ldr     %[t2], [%[x]], #8\n\t" /* an odd pair: the loop's second half */
                     "ldr     %[t3], [%[x], #-4]\n\t"
                     "b       2f\n"
                     "1:\n\t"
                     "ldr     %[t0], [%[x]], #16\n\t"
                     "ldr     %[t1], [%[x], #-12]\n\t"
                     "ldr     %[t2], [%[x], #-8]\n\t"
                     "ldr     %[t3], [%[x], #-4]\n\t"
                     "sxtab16 %[l0], %[zp], %[t0]\n\t"
                     "sxtab16 %[h0], %[zp], %[t0], ror #8\n\t"
                     "sxtab16 %[l1], %[zp], %[t1]\n\t"
                     "sxtab16 %[h1], %[zp], %[t1], ror #8\n\t"
                     "stm     %[d]!, {%[l0], %[h0], %[l1], %[h1]}\n\t"
                     "subs    %[n], %[n], #1\n"
                     "2:\n\t"
                     "sxtab16 %[l0], %[zp], %[t2]\n\t"
                     "sxtab16 %[h0], %[zp], %[t2], ror #8\n\t"
                     "sxtab16 %[l1], %[zp], %[t3]\n\t"
                     "sxtab16 %[h1], %[zp], %[t3], ror #8\n\t"
                     "stm     %[d]!, {%[l0], %[h0], %[l1], %[h1]}\n\t"
                     "bne     1b\n\t" /* (Z from SUBS, or from LSRS entering at 2: SXTAB16, STM keep it) */
                     : [d] "+r"(xw), [x] "+r"(x), [n] "+r"(n), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
                       [t3] "=&r"(t3), [l0] "=&r"(l0), [h0] "=&r"(h0), [l1] "=&r"(l1), [h1] "=&r"(h1)
                     : [zp] "r"(neg_zp)
                     : "cc", "memory");
}

/* The last len % 4 inputs of the first @p count rows (row_bytes apart) added one by one to their
 * sums, acc[k] (rows 4) or acc[4 k] (rows 1), modulo 2^32. */
static void dot_tail(const int8_t *x, const int8_t *w, int32_t row_bytes, int32_t len, int32_t zp, int32_t count,
                     int32_t rows, int32_t *acc)
{
    const int32_t from = len & ~3;
    if (from == len) return;
    for (int32_t k = 0; k < count; k++) {
        const int8_t *wr = w + (size_t)k * (size_t)row_bytes;
        const int32_t at = rows == 4 ? k : 4 * k;
        uint32_t t = (uint32_t)acc[at];
        for (int32_t i = from; i < len; i++) t += (uint32_t)((x[i] - zp) * wr[i]);
        acc[at] = (int32_t)t;
    }
}

/* acc[4b + r] = init[4b + r] + sum_i (x[i] - zp) * w[(rows b + r) * row_bytes + i] for b < blocks,
 * i < len, modulo 2^32; rows of a block: r < 4, or with @p rows 1 the four sums of block b are all of
 * row b. init may be acc. xw: the input's groups already widened (wide: 1, len / 4 <=
 * DENSE_WIDE_GROUPS), or room for DENSE_WIDE_GROUPS of them (wide: 0), widened here chunk by chunk. */
static void dot_blocks(const int8_t *x, const int8_t *w, int32_t row_bytes, int32_t len, int32_t zp,
                       int32_t blocks, int32_t rows, const int32_t *init, int32_t *acc, uint32_t *xw, int wide)
{
    const int32_t n = len >> 2;
    if (!n && init != acc) memcpy(acc, init, sizeof(int32_t) * 4 * (size_t)blocks);
    for (int32_t g0 = 0; g0 < n; g0 += DENSE_WIDE_GROUPS) {
        const int32_t ng = n - g0 < DENSE_WIDE_GROUPS ? n - g0 : DENSE_WIDE_GROUPS;
        if (!wide) widen_input(xw, x + 4 * g0, ng, (uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u);
        rows4_args p;
        p.stride = rows == 4 ? row_bytes : 0;
        p.n = ng;
        p.blocks = blocks;
        p.next_block = rows * row_bytes - 4 * ng;
        p.init = g0 ? acc : init;
        dot_blocks_asm(wide ? xw + 2 * g0 : xw, w + 4 * g0, &p, acc);
    }
    dot_tail(x, w, row_bytes, len, zp, blocks * rows, rows, acc);
}

/* Row o's output when the 32-bit requantisation does not apply: from acc, its bias plus its dot
 * product modulo 2^32 (see the top of the file). */
__attribute__((noinline)) static int8_t row_general(const nnom_dense_s8_args *a, int32_t o, int32_t acc)
{
    const int32_t bias = a->bias ? a->bias[o] : 0;
    return nnom_dense_output(a, o, (int32_t)((uint32_t)acc - (uint32_t)bias));
}

/* One row of the 32-bit requantisation (nnom_requant32 with u from SMMULR of twice = 2 acc and
 * c = (2 zp + 1) 2^(e-1), e1 = e - 1), saturated to int8; the caller checked e1 < NNOM_REQUANT32_MAX_E
 * and that 2 acc did not overflow (acc in [-2^30, 2^30): requant32's domain and acc = -2^30, where
 * 2 acc = -2^31, |u| <= 2^30 and u + c stay in int32 as well, and its proof holds as it is). */
static inline __attribute__((always_inline)) int32_t requant_row(int32_t twice, int32_t m, int32_t e1, int32_t c)
{
    const int32_t u = nnom_arm_smmulr(twice, m);
    return __ssat(((u + (u >> 31) + c) >> e1) >> 1, 8);
}

/* Output row o + r of write_rows_k() below from its sum acc_r: the range test is the overflow of
 * acc_r + acc_r (ADDS, BVS), which is also requant_row()'s operand. An acc_r out of (-2^30, 2^30)
 * also stands for the exact sum when it is -2^30 (see the top of the file: k != 0 would need
 * |V| >= 3 * 2^30). */
static inline __attribute__((always_inline)) void write_row(const nnom_dense_s8_args *a, int32_t o, int32_t r,
                                                            int32_t acc_r, const int32_t *mp, const int32_t *sp,
                                                            int32_t m0, uint32_t e10, int32_t c0, int32_t zp_odd,
                                                            int32_t lo, int32_t hi, int8_t *op, const int per_channel,
                                                            const int clamp)
{
    int32_t m = m0, shift = 0, twice;
    if (per_channel) /* both loads in a run (one cycle less), m before the range tests */
        __asm__ volatile("ldr %0, %2\n\tldr %1, %3" : "=&r"(shift), "=r"(m) : "m"(sp[r]), "m"(mp[r]));
    const uint32_t e1 = per_channel ? (uint32_t)(-1 - shift) : e10;
    if (__builtin_expect((per_channel ? e1 < NNOM_REQUANT32_MAX_E : 1) && !__builtin_add_overflow(acc_r, acc_r, &twice),
                         1)) {
        int32_t v = requant_row(twice, m, (int32_t)e1, per_channel ? (int32_t)((uint32_t)zp_odd << e1) : c0);
        if (clamp) {
            if (v < lo) v = lo;
            if (v > hi) v = hi;
        }
        op[r] = (int8_t)v;
    } else {
        op[r] = row_general(a, o + r, acc_r);
    }
}

/* write_rows for one choice of per-channel quantisation and clamp (constants once inlined). */
static inline __attribute__((always_inline)) void write_rows_k(const nnom_dense_s8_args *a, int32_t o, int32_t count,
                                                               const int32_t *acc, int8_t *out, const int per_channel,
                                                               const int clamp)
{
    const int32_t *mp = a->multiplier + (per_channel ? o : 0), *sp = a->shift + (per_channel ? o : 0);
    const int32_t zp_odd = 2 * a->out_zero_point + 1, lo = a->act_lo, hi = a->act_hi;
    const int32_t m0 = mp[0];
    const uint32_t e10 = (uint32_t)(-1 - sp[0]); /* per tensor: e - 1 */
    const int32_t c0 = (int32_t)((uint32_t)zp_odd << (e10 & 31u));
    int8_t *op = out + o;
    if (!per_channel && e10 >= NNOM_REQUANT32_MAX_E) {
        for (int32_t r = 0; r < count; r++) op[r] = row_general(a, o + r, acc[r]);
        return;
    }
    /* four rows per pass (count is a multiple of 4 but for layers of fewer than four rows) */
    int32_t r = 0;
    for (; r + 4 <= count; r += 4) {
        write_row(a, o, r, acc[r], mp, sp, m0, e10, c0, zp_odd, lo, hi, op, per_channel, clamp);
        write_row(a, o, r + 1, acc[r + 1], mp, sp, m0, e10, c0, zp_odd, lo, hi, op, per_channel, clamp);
        write_row(a, o, r + 2, acc[r + 2], mp, sp, m0, e10, c0, zp_odd, lo, hi, op, per_channel, clamp);
        write_row(a, o, r + 3, acc[r + 3], mp, sp, m0, e10, c0, zp_odd, lo, hi, op, per_channel, clamp);
    }
    for (; r < count; r++) write_row(a, o, r, acc[r], mp, sp, m0, e10, c0, zp_odd, lo, hi, op, per_channel, clamp);
}

/* Writes rows o..o+count-1 from acc[0..count), each its bias plus its dot product modulo 2^32. */
__attribute__((noinline)) static void write_rows(const nnom_dense_s8_args *a, int32_t o, int32_t count,
                                                 const int32_t *acc, int8_t *out)
{
    const int clamp = a->act_lo > INT8_MIN || a->act_hi < INT8_MAX;
    if (a->per_channel && clamp) write_rows_k(a, o, count, acc, out, 1, 1);
    else if (a->per_channel) write_rows_k(a, o, count, acc, out, 1, 0);
    else if (clamp) write_rows_k(a, o, count, acc, out, 0, 1);
    else write_rows_k(a, o, count, acc, out, 0, 0);
}

#if DENSE_UNITS
#include "kernels/arm/dense_units.h"
#include "kernels/arm/dense_sp_blocks.h"
#endif
#include "kernels/arm/dense_pairs.h"

/* nnom_dense_s8() by dot_blocks_asm: the input widened once into xw (up to DENSE_WIDE_GROUPS groups)
 * or chunk by chunk. */
__attribute__((noinline)) static void dense_wide(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    const int32_t n = a->in_features, zp = a->in_zero_point, out_f = a->out_features;
    /* blocks of four rows; when out_features is not a multiple of 4, one more block ending at the
     * last row (rows computed twice give the same bytes); fewer than four rows: one per block */
    const int32_t rows = out_f < 4 ? 1 : 4;
    int32_t sums[4 * DENSE_BATCH], *acc = sums, batch = DENSE_BATCH;
    /* the input widened once when it fits xw, else chunk by chunk for each batch of rows */
    uint32_t xw[2 * DENSE_WIDE_GROUPS];
    const int wide = n >> 2 <= DENSE_WIDE_GROUPS;
    if (wide) {
        widen_input(xw, in, n >> 2, (uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u);
        /* the sums of larger batches (fewer calls, about 80 cycles each) in what the input leaves of xw */
        const int32_t room = (2 * DENSE_WIDE_GROUPS - 2 * (n >> 2)) / 4;
        if (room > batch) {
            acc = (int32_t *)(xw + 2 * (n >> 2));
            batch = room;
        }
    }
    for (int32_t o = 0; o < out_f;) {
        if (o + rows > out_f) o = out_f - rows;
        const int32_t left = (out_f - o) / rows;
        const int32_t blocks = left < batch ? left : batch, count = blocks * rows;
        const int8_t *w = a->weights + (size_t)o * (size_t)n;
        if (n <= DENSE_FOLD_MAX_IN) {
            /* four rows a block: the biases are the starting sums as they are */
            const int32_t *init = acc;
            if (a->bias && rows == 4)
                init = a->bias + o;
            else
                for (int32_t k = 0; k < 4 * blocks; k++) acc[k] = a->bias ? a->bias[o + k / 4] : 0;
            dot_blocks(in, w, n, n, zp, blocks, rows, init, acc, xw, wide);
            if (rows == 1)
                for (int32_t k = 1; k < count; k++) acc[k] = acc[4 * k];
            write_rows(a, o, count, acc, out);
        } else {
            for (int32_t k = 0; k < count; k++) {
                int64_t sum = 0;
                for (int32_t start = 0; start < n; start += DENSE_CHUNK) {
                    const int32_t len = n - start < DENSE_CHUNK ? n - start : DENSE_CHUNK;
                    int32_t part[4] = {0, 0, 0, 0};
                    dot_blocks(in + start, w + (size_t)k * (size_t)n + start, n, len, zp, 1, 1, part, part, xw, 0);
                    sum += part[0];
                }
                out[o + k] = nnom_dense_output(a, o + k, sum);
            }
        }
        o += count;
    }
}

void nnom_dense_s8(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    void (*run)(const nnom_dense_s8_args *, const int8_t *, int8_t *) = dense_wide;
#if DENSE_UNITS
    const int32_t in_f = a->in_features, out_f = a->out_features;
    if ((uint32_t)(in_f - 4) < 4 * DENSE_SP_MAX_GROUPS && out_f >= 4 &&
        (out_f < 8 || (out_f & 7) == DENSE_UNIT_REST_BLOCK)) /* 4-7 or 8 u + 4 rows: the SP loop */
        run = out_f < 8 ? dense_few : dense_narrow;
    else if (out_f >= 8 && in_f >= 4 && in_f >> 2 <= DENSE_WIDE_GROUPS &&
             (a->per_channel || (uint32_t)(-1 - a->shift[0]) < NNOM_REQUANT32_MAX_E))
        run = dense_units;
#endif
    run(a, in, out);
}

#else
typedef int nnom_arm_dense_s8_unused; /* compiled on its own: empty (see above) */
#endif
