/*
 * The Cortex-M dense kernel's loop for inputs of at most DENSE_SP_MAX_GROUPS groups of four, with
 * the widened input read through SP (part of kernels/arm/dense_s8.c, which includes it at -O2), for
 * layers of four to seven rows (dense_few: both blocks in one call) and of 8 u + 4 rows
 * (dense_narrow), whose last four rows the units of dense_units.h would take by dot_blocks_asm and
 * write_rows (about 200 est. cycles more a layer). Measured (kernel bench, -O2, est. cycles per
 * multiply-accumulate): 128 -> 5 3.666, 100 -> 7 2.819, 64 -> 4 3.469, 48 -> 6 4.427 (by
 * dot_blocks_asm: 4.328, 3.410, 4.230, 5.781), 64 -> 12 2.435, 128 -> 20 1.878 (units and the
 * block of four: 2.695, 1.947).
 *
 * Why: dot_blocks_asm (dense_s8.c) keeps the widened input's pointer in a register, which leaves
 * six for a group's six loaded words and the SXTB16 temporary: the loads come in two runs (24
 * estimated cycles a group). Reading the input at immediate offsets from SP frees that register:
 * the six loads in one run, 23 cycles a group (1.4375 per multiply-accumulate).
 *
 * How SP stays a stack pointer: the routine widens the input into its own frame, above a
 * DENSE_SP_PAD-byte pad, and a pass of sixteen groups reads [sp, #DENSE_SP_PAD + 8k]; for the
 * second pass SP moves up by DENSE_SP_PAD, over the pad only. Everything the routine still needs
 * (the input, its variables) stays above SP at every instruction, so an interrupt, which stacks
 * below SP, cannot overwrite it; the pad below may be overwritten. The two values read at either
 * position of SP (SP of the last pass, to end a block, and by how much SP moved) are stored at both
 * (FRAME_SP_LAST, FRAME_SP_ADV: at sp_0 + 384 and sp_0 + 384 + 128, ...). At the end of a block SP
 * moves back down (to sp_0), before anything else is read.
 *
 * Frame (bytes from sp_0, SP after the prologue):
 *   [0, 128)     the pad
 *   [128, 384)   the widened input: group g at 128 + 8 (c + g), c = (16 - n % 16) % 16 the copy
 *                of GROUP_SP at which a block enters the pass (32 groups at most: two passes)
 *   384, 388     SP of the last pass, SP's move (0) as read from sp_0
 *   392 - 408    the variables of the block loop
 *   512, 516     the same two as read from sp_0 + 128 (the move: 128)
 */
#ifndef NNOM_KERNELS_ARM_DENSE_SP_BLOCKS_H
#define NNOM_KERNELS_ARM_DENSE_SP_BLOCKS_H

enum {
    DENSE_SP_MAX_GROUPS = 32, /* two passes of sixteen groups: 128 inputs */
    DENSE_SP_PAD = 128        /* bytes SP moves up for the second pass */
};

/* What dot_blocks_sp_asm reads (offsets are used by its assembly). */
typedef struct {
    int32_t stride;       /* 0: bytes between the weight rows of a block, > 0 */
    int32_t n;            /* 4: groups of four inputs, 1..DENSE_SP_MAX_GROUPS */
    int32_t blocks;       /* 8: blocks of four rows, >= 1 */
    int32_t next_block;   /* 12: from where a block's row pointers end to the next block's rows */
    const int32_t *init;  /* 16: the blocks' starting sums, four per block */
    uint32_t neg_zp;      /* 20: minus the input zero point in both int16 lanes */
} rows4_sp_args;

#define DENSE_SP_PAD_STR "128"        /* DENSE_SP_PAD for the assembly */
#define FRAME_SP_LAST "[sp, #384]"   /* SP in the last pass of a block */
#define FRAME_SP_ADV "[sp, #388]"    /* by how much SP moved in a block */
#define FRAME_SP_ACC "[sp, #392]"     /* the next block's four sums */
#define FRAME_SP_NEXT "[sp, #396]"    /* next_block */
#define FRAME_SP_INIT "[sp, #400]"    /* the next block's starting sums */
#define FRAME_SP_ACC_END "[sp, #404]" /* the end of the sums */
#define FRAME_SP_ENTRY "[sp, #408]"   /* where a block enters its pass (the Thumb bit set) */
#define FRAME_SP_LAST2 "[sp, #512]"   /* FRAME_SP_LAST and FRAME_SP_ADV as read from sp_0 + 128 */
#define FRAME_SP_ADV2 "[sp, #516]"
#define FRAME_SP_BYTES "524"          /* (with the nine registers pushed, SP stays 8-byte aligned) */

/* One group of the four rows with the input's pairs at [sp, #XA], [sp, #XB]: r1 row 0 (row 1 at
 * r1 + r9), r8 row 2 (row 3 at r8 + r9), r4-r7 the sums. Six loads in a run (seven cycles), then
 * rows 0, 1, 3, 2 (ROW_PAIRS of dense_s8.c): 22 instructions, 23 estimated cycles. */
#define GROUP_SP_LOADS(XA, XB)                \
    "ldr     r2, [sp, #" XA "]\n\t"           \
    "ldr     r12, [sp, #" XB "]\n\t"          \
    "ldr     r3, [r1, r9]\n\t"                \
    "ldr     r11, [r1], #4\n\t"               \
    "ldr     r10, [r8, r9]\n\t"               \
    "ldr     r0, [r8], #4\n\t"
#define GROUP_SP_ROWS                         \
    ROW_PAIRS("r11", "lr", "r4")              \
    ROW_PAIRS("r3", "r11", "r5")              \
    ROW_PAIRS("r10", "r3", "r7")              \
    ROW_PAIRS("r0", "r3", "r6")
#define GROUP_SP(XA, XB) GROUP_SP_LOADS(XA, XB) GROUP_SP_ROWS
/* The last of a pass: SP of the block's last pass in the same run, compared at once (SXTB16, SMLAD
 * leave the flags alone); unless the block ends, the next pass (at 9b: SP up by DENSE_SP_PAD). */
#define GROUP_SP_LAST(XA, XB)                 \
    GROUP_SP_LOADS(XA, XB)                    \
    "ldr     lr, " FRAME_SP_LAST "\n\t"       \
    "cmp     sp, lr\n\t"                      \
    GROUP_SP_ROWS                             \
    "bne     9b\n\t"
#define DENSE_SP_GROUPS \
    GROUP_SP("128", "132") "11:\n\t" GROUP_SP("136", "140") "12:\n\t" GROUP_SP("144", "148") "13:\n\t" \
    GROUP_SP("152", "156") "14:\n\t" GROUP_SP("160", "164") "15:\n\t" GROUP_SP("168", "172") "16:\n\t" \
    GROUP_SP("176", "180") "17:\n\t" GROUP_SP("184", "188") "18:\n\t" GROUP_SP("192", "196") "19:\n\t" \
    GROUP_SP("200", "204") "20:\n\t" GROUP_SP("208", "212") "21:\n\t" GROUP_SP("216", "220") "22:\n\t" \
    GROUP_SP("224", "228") "23:\n\t" GROUP_SP("232", "236") "24:\n\t" GROUP_SP("240", "244") "25:\n\t" \
    GROUP_SP_LAST("248", "252")

/* (each offset plus one: the Thumb bit of the entry's address) */
#define DENSE_SP_ENTRIES                                                        \
    ".hword  1, 25b - 10b + 1, 24b - 10b + 1, 23b - 10b + 1\n\t"                \
    ".hword  22b - 10b + 1, 21b - 10b + 1, 20b - 10b + 1, 19b - 10b + 1\n\t"    \
    ".hword  18b - 10b + 1, 17b - 10b + 1, 16b - 10b + 1, 15b - 10b + 1\n\t"    \
    ".hword  14b - 10b + 1, 13b - 10b + 1, 12b - 10b + 1, 11b - 10b + 1\n"

/*
 * For each of p->blocks blocks of four rows (block b: rows 4b..4b+3 of w, p->stride bytes apart):
 * acc[4b + r] = p->init[4b + r] + sum_{i < 4 p->n} (x[i] - zp) * w[row r][i], modulo 2^32, with
 * -zp in p->neg_zp's lanes. The input is widened once per call (about 7 cycles a group); a block
 * enters its first pass at copy c (see the top), leaves from the last group of its last pass,
 * and the next one starts in about 35 cycles. (naked: the body is the assembly alone; the
 * arguments arrive in r0-r3)
 */
__attribute__((naked, noinline)) static void dot_blocks_sp_asm(ARG const int8_t *x, ARG const int8_t *w,
                                                               ARG const rows4_sp_args *p, ARG int32_t *acc)
{
    __asm__ volatile(
        "push    {r4-r11, lr}\n\t"
        "sub     sp, sp, #" FRAME_SP_BYTES "\n\t"
        "ldr     r9, [r2]\n\t"      /* stride */
        "ldr     r11, [r2, #4]\n\t" /* n */
        "ldr     r12, [r2, #8]\n\t" /* blocks */
        "ldr     r10, [r2, #12]\n\t"
        "ldr     r4, [r2, #20]\n\t" /* -zp, -zp */
        "ldr     r2, [r2, #16]\n\t" /* init */
        "str     r3, " FRAME_SP_ACC "\n\t"
        "add     r12, r3, r12, lsl #4\n\t"
        "str     r12, " FRAME_SP_ACC_END "\n\t"
        "str     r10, " FRAME_SP_NEXT "\n\t"
        "mov     r3, r4\n\t"
        "movs    r10, #0\n\t"
        "str     r10, " FRAME_SP_ADV "\n\t"
        "movs    r10, #" DENSE_SP_PAD_STR "\n\t"
        "str     r10, " FRAME_SP_ADV2 "\n\t"
        /* the entry's address (as in dot_blocks_asm: a word-aligned section for ADR) */
        "and     r10, r11, #15\n\t"
        ".p2align 2\n\t"
        "adr     r12, 6f\n\t"
        "ldrh    r10, [r12, r10, lsl #1]\n\t"
        "adr     r12, 10f\n\t"
        "add     r10, r12, r10\n\t"
        "str     r10, " FRAME_SP_ENTRY "\n\t"
        /* the input widened to sp + 128 + 8 c: an odd group first, then two at a time */
        "rsb     r8, r11, #0\n\t" /* (r10 keeps the entry) */
        "and     r8, r8, #15\n\t"
        "add     r12, r11, r8\n\t" /* n + c: 16 (one pass) or 32 (two) */
        "sub     r12, r12, #16\n\t"
        "add     r12, sp, r12, lsl #3\n\t"
        "str     r12, " FRAME_SP_LAST "\n\t"
        "str     r12, " FRAME_SP_LAST2 "\n\t"
        "add     r12, sp, #" DENSE_SP_PAD_STR "\n\t"
        "add     r12, r12, r8, lsl #3\n\t"
        "lsls    r8, r11, #31\n\t" /* N: an odd group, C: an odd pair (both out of line) */
        "bmi     5f\n"
        "2:\n\t"
        "bcs     8f\n\t"
        "lsrs    r11, r11, #2\n\t" /* fours */
        "beq     3f\n"
        "1:\n\t" /* four groups: four loads in a run (STM stores r4-r7 in that order) */
        "ldr     r4, [r0], #16\n\t"
        "ldr     r6, [r0, #-12]\n\t"
        "ldr     lr, [r0, #-8]\n\t"
        "ldr     r8, [r0, #-4]\n\t"
        "sxtab16 r5, r3, r4, ror #8\n\t"
        "sxtab16 r4, r3, r4\n\t"
        "sxtab16 r7, r3, r6, ror #8\n\t"
        "sxtab16 r6, r3, r6\n\t"
        "stm     r12!, {r4-r7}\n\t"
        "subs    r11, r11, #1\n"
        "4:\n\t"
        "sxtab16 r4, r3, lr\n\t"
        "sxtab16 r5, r3, lr, ror #8\n\t"
        "sxtab16 r6, r3, r8\n\t"
        "sxtab16 r7, r3, r8, ror #8\n\t"
        "stm     r12!, {r4-r7}\n\t"
        "bne     1b\n" /* (Z from SUBS, or from LSRS entering at 4: SXTAB16, STM keep it) */
        "3:\n\t"
        "add     r8, r1, r9, lsl #1\n\t"
        "ldm     r2!, {r4-r7}\n\t"
        "str     r2, " FRAME_SP_INIT "\n\t"
        "bx      r10\n" /* a block: its sums in r4-r7 */
        "9:\n\t"
        "add     sp, sp, #" DENSE_SP_PAD_STR "\n"
        "10:\n\t" DENSE_SP_GROUPS
        /* SP back to sp_0, the sums stored, the next block's loaded, the pointers moved on */
        "ldr     r12, " FRAME_SP_ADV "\n\t"
        "sub     sp, sp, r12\n\t"
        "ldr     r3, " FRAME_SP_ACC "\n\t"
        "ldr     r12, " FRAME_SP_NEXT "\n\t"
        "ldr     r2, " FRAME_SP_INIT "\n\t"
        "ldr     r11, " FRAME_SP_ACC_END "\n\t"
        "stm     r3!, {r4-r7}\n\t"
        "cmp     r3, r11\n\t"
        "beq     7f\n\t"
        "ldm     r2!, {r4-r7}\n\t"
        "add     r1, r1, r12\n\t"
        "add     r8, r8, r12\n\t"
        "str     r3, " FRAME_SP_ACC "\n\t"
        "str     r2, " FRAME_SP_INIT "\n\t"
        "ldr     r11, " FRAME_SP_ENTRY "\n\t"
        "bx      r11\n"
        "7:\n\t"
        "add     sp, sp, #" FRAME_SP_BYTES "\n\t"
        "pop     {r4-r11, pc}\n"
        /* the odd group (back at 2: LDR, SXTAB16, STRD keep the flags), the odd pair (into the
         * loop's second half, Z from LSRS) */
        "5:\n\t"
        "ldr     r4, [r0], #4\n\t"
        "sxtab16 r5, r3, r4, ror #8\n\t"
        "sxtab16 r4, r3, r4\n\t"
        "strd    r4, r5, [r12], #8\n\t"
        "b       2b\n"
        "8:\n\t"
        "ldr     lr, [r0], #8\n\t"
        "ldr     r8, [r0, #-4]\n\t"
        "lsrs    r11, r11, #2\n\t"
        "b       4b\n"
        "6:\n\t" DENSE_SP_ENTRIES);
}

enum {
    DENSE_SP_BATCH = 56,      /* blocks of four rows per call of dot_blocks_sp_asm: an 896-byte array of sums */
    DENSE_SP_BLOCKS_FEW = 2   /* blocks of a layer of four to seven rows */
};

/* nnom_dense_s8() when 4 <= out_features < 8 and 4 <= in_features < 4 (DENSE_SP_MAX_GROUPS + 1): the
 * biases folded into the sums (in_features <= DENSE_FOLD_MAX_IN), one call of dot_blocks_sp_asm for a
 * block at row 0 and one ending at the last row (rows computed twice give the same bytes; one block
 * for four rows), the last in_features % 4 inputs in C. */
__attribute__((noinline)) static void dense_few(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    const int32_t len = a->in_features, zp = a->in_zero_point, out_f = a->out_features;
    const int32_t blocks = out_f > 4 ? 2 : 1, second = out_f - 4; /* the second block's first row */
    int32_t acc[4 * DENSE_SP_BLOCKS_FEW];
    rows4_sp_args p;
    p.stride = len;
    p.n = len >> 2;
    p.neg_zp = (uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u;
    p.blocks = blocks;
    p.next_block = second * len - 4 * p.n; /* from the end of block 0's rows to row `second` */
    p.init = acc;
    if (!a->bias) {
        memset(acc, 0, sizeof acc);
    } else if (blocks == 1) {
        p.init = a->bias;
    } else { /* not contiguous: copied */
        memcpy(acc, a->bias, 4 * sizeof(int32_t));
        memcpy(acc + 4, a->bias + second, 4 * sizeof(int32_t));
    }
    dot_blocks_sp_asm(in, a->weights, &p, acc);
    dot_tail(in, a->weights, len, len, zp, 4, 4, acc);
    write_rows(a, 0, 4, acc, out);
    if (blocks == 2) {
        dot_tail(in, a->weights + (size_t)second * (size_t)len, len, len, zp, 4, 4, acc + 4);
        write_rows(a, second, 4, acc + 4, out);
    }
}

/* nnom_dense_s8() when out_features >= 8 and 4 <= in_features < 4 (DENSE_SP_MAX_GROUPS + 1) (called
 * for 8 u + 4 rows): up to DENSE_SP_BATCH blocks of four rows per call of dot_blocks_sp_asm, the last
 * block ending at the last row, the last in_features % 4 inputs in C. Its own function: its stack
 * (the array of sums and dot_blocks_sp_asm's frame, about 1.5 KB) and dense_units()'s are never in
 * use together. */
__attribute__((noinline)) static void dense_narrow(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    const int32_t len = a->in_features, zp = a->in_zero_point, out_f = a->out_features;
    int32_t acc[4 * DENSE_SP_BATCH];
    rows4_sp_args p;
    p.stride = len;
    p.n = len >> 2;
    p.next_block = 4 * len - 4 * p.n;
    p.neg_zp = (uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u;
    for (int32_t o = 0; o < out_f;) {
        if (o + 4 > out_f) o = out_f - 4;
        const int32_t left = (out_f - o) / 4;
        const int32_t blocks = left < DENSE_SP_BATCH ? left : DENSE_SP_BATCH, count = 4 * blocks;
        const int8_t *w = a->weights + (size_t)o * (size_t)len;
        p.blocks = blocks;
        p.init = a->bias ? a->bias + o : acc;
        if (!a->bias) memset(acc, 0, sizeof(int32_t) * (size_t)count);
        dot_blocks_sp_asm(in, w, &p, acc);
        dot_tail(in, w, len, len, zp, count, 4, acc);
        write_rows(a, o, count, acc, out);
        o += count;
    }
}

#endif /* NNOM_KERNELS_ARM_DENSE_SP_BLOCKS_H */
