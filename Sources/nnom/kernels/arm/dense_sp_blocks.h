/*
 * The Cortex-M dense kernel's loop for inputs of at most DENSE_SP_MAX_GROUPS groups of four, with
 * the widened input read through SP (part of kernels/arm/dense_s8.c, which includes it at -O2).
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
typedef struct rows4_sp_args {
    int32_t stride;        /* 0: bytes between the weight rows of a block, > 0 */
    int32_t n;             /* 4: groups of four inputs, 1..DENSE_SP_MAX_GROUPS */
    int32_t blocks;        /* 8: blocks of four rows, >= 1 */
    int32_t next_block;    /* 12: from where a block's row pointers end to the next block's rows */
    const int32_t *init;   /* 16: the blocks' starting sums, four per block */
    uint32_t neg_zp;       /* 20: minus the input zero point in both int16 lanes */
    int32_t init_step;     /* 24: bytes from a block's starting sums to the next block's */
    const int32_t *mult;   /* 28: the first block's four multipliers */
    const int32_t *shift;  /* 32: and shifts */
    int32_t q_step;        /* 36: bytes from a block's multipliers (and shifts) to the next block's: 16, or 0 */
    int8_t *out;           /* 40: the first block's four output bytes */
    int32_t zp_odd;        /* 44: 2 out_zero_point + 1 */
    /* 48: the byte of the row whose output is at `at`, from its sum, when the 32-bit form does not apply */
    int32_t (*row)(const struct rows4_sp_args *p, int8_t *at, int32_t acc);
    const nnom_dense_s8_args *a; /* 52: for row() */
    int32_t o;                   /* 56: the row whose output is out[0], for row() */
} rows4_sp_args;

#define DENSE_SP_PAD_STR "128"          /* DENSE_SP_PAD for the assembly */
#define FRAME_SP_LAST "[sp, #384]"      /* SP in the last pass of a block */
#define FRAME_SP_ADV "[sp, #388]"       /* by how much SP moved in a block */
#define FRAME_SP_NEXT "[sp, #392]"      /* next_block */
#define FRAME_SP_INIT "[sp, #396]"      /* the next block's starting sums */
#define FRAME_SP_OUT_END "[sp, #400]"   /* the end of the output */
#define FRAME_SP_ENTRY "[sp, #404]"     /* where a block enters its pass (the Thumb bit set) */
#define FRAME_SP_MULT "[sp, #408]"      /* the block's multipliers */
#define FRAME_SP_SHIFT "[sp, #412]"     /* the block's shifts */
#define FRAME_SP_OUT "[sp, #416]"       /* the block's output */
#define FRAME_SP_ZP "[sp, #420]"        /* zp_odd */
#define FRAME_SP_QSTEP "[sp, #424]"     /* q_step */
#define FRAME_SP_INIT_STEP "[sp, #428]" /* init_step */
#define FRAME_SP_STRIDE "[sp, #432]"    /* stride */
#define FRAME_SP_ARGS "[sp, #436]"      /* the arguments */
#define FRAME_SP_ARGS_CALL "[sp, #460]" /* the same with six registers pushed (REQ_SP_RARE) */
#define FRAME_SP_LAST2 "[sp, #512]"     /* FRAME_SP_LAST and FRAME_SP_ADV as read from sp_0 + 128 */
#define FRAME_SP_ADV2 "[sp, #516]"
#define FRAME_SP_BYTES "524"            /* (with the nine registers pushed, SP stays 8-byte aligned) */

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

#define DENSE_SP_ENTRIES                                                        \
    ".hword  0, 25b - 10b, 24b - 10b, 23b - 10b\n\t"                            \
    ".hword  22b - 10b, 21b - 10b, 20b - 10b, 19b - 10b\n\t"                    \
    ".hword  18b - 10b, 17b - 10b, 16b - 10b, 15b - 10b\n\t"                    \
    ".hword  14b - 10b, 13b - 10b, 12b - 10b, 11b - 10b\n"

#define DENSE_SP_STR_(x) #x
#define DENSE_SP_STR(x) DENSE_SP_STR_(x)

/*
 * Row K of a block (its sum S) requantised as write_row() of dense_s8.c does it (requant_row, the
 * 32-bit form): r0 the block's multipliers, r2 its shifts, r3 its output, r9 zp_odd; r12 holds row
 * K - 1's byte, stored after this row's two loads (in their run), and then this row's. e1 = -1 - shift
 * out of [0, NNOM_REQUANT32_MAX_E) or S + S overflowing: REQ_SP_RARE (label 3K), which comes back
 * with the byte in r12 (label 4K). 14 instructions, about 15 estimated cycles (16 for row 0).
 */
#define REQ_SP_ROW(S, K, STORE_PREV)                                    \
    "ldr     r10, [r2, #4 * " K "]\n\t"                                 \
    "ldr     r11, [r0, #4 * " K "]\n\t"                                 \
    STORE_PREV                                                          \
    "mvn     r10, r10\n\t"                                              \
    "cmp     r10, #" DENSE_SP_STR(NNOM_REQUANT32_MAX_E) "\n\t"           \
    "bhs     3" K "f\n\t"                                               \
    "adds    r12, " S ", " S "\n\t"                                     \
    "bvs     3" K "f\n\t"                                               \
    "smmulr  r12, r12, r11\n\t"                                         \
    "lsl     lr, r9, r10\n\t"                                           \
    "add     r12, r12, r12, asr #31\n\t"                                \
    "add     r12, r12, lr\n\t"                                          \
    "asr     r12, r12, r10\n\t"                                         \
    "ssat    r12, #8, r12, asr #1\n"                                    \
    "4" K ":\n\t"
/* The other rows: p->row(p, the row's output, S) (caller-saved registers kept, its byte to r12). */
#define REQ_SP_RARE(S, K)                                               \
    "3" K ":\n\t"                                                       \
    "push    {r0-r3, r12, lr}\n\t"                                      \
    "add     r1, r3, #" K "\n\t"                                        \
    "mov     r2, " S "\n\t"                                             \
    "ldr     r0, " FRAME_SP_ARGS_CALL "\n\t"                            \
    "ldr     r12, [r0, #48]\n\t"                                        \
    "blx     r12\n\t"                                                   \
    "str     r0, [sp, #16]\n\t" /* r12's slot */                        \
    "pop     {r0-r3, r12, lr}\n\t"                                      \
    "b       4" K "b\n\t"

/*
 * For each of p->blocks blocks of four rows (block b: rows 4b..4b+3 of w, p->stride bytes apart):
 * the sum s_r = init_b[r] + sum_{i < 4 p->n} (x[i] - zp) * w[row r][i], modulo 2^32 (init_b at
 * p->init + b p->init_step bytes, -zp in p->neg_zp's lanes), requantised to out_b[r] (out_b = p->out
 * + 4 b) with multiplier mult_b[r] and shift shift_b[r] (at p->mult, p->shift + b p->q_step bytes)
 * and saturated to int8, not clamped: by the 32-bit form where it applies, else p->row(). The
 * input is widened once per call (about 8 cycles a group); a block enters its first pass at copy c
 * (see the top), leaves from the last group of its last pass, its four rows are requantised and
 * stored, and the next block starts: about 95 estimated cycles from one block's last group to the
 * next block's first. (naked: the body is the assembly alone; the arguments arrive in r0-r2)
 */
__attribute__((naked, noinline)) static void dot_blocks_sp_asm(ARG const int8_t *x, ARG const int8_t *w,
                                                               ARG const rows4_sp_args *p)
{
    __asm__ volatile(
        "push    {r4-r11, lr}\n\t"
        "sub     sp, sp, #" FRAME_SP_BYTES "\n\t"
        "str     r2, " FRAME_SP_ARGS "\n\t"
        "ldr     r9, [r2]\n\t"      /* stride */
        "ldr     r11, [r2, #4]\n\t" /* n */
        "ldr     r12, [r2, #8]\n\t" /* blocks */
        "ldr     r10, [r2, #12]\n\t" /* next_block */
        "ldr     r3, [r2, #40]\n\t" /* out */
        "ldr     r4, [r2, #24]\n\t" /* init_step */
        "ldr     r5, [r2, #28]\n\t" /* mult */
        "ldr     r6, [r2, #32]\n\t" /* shift */
        "ldr     r7, [r2, #36]\n\t" /* q_step */
        "ldr     lr, [r2, #44]\n\t" /* zp_odd */
        "str     r9, " FRAME_SP_STRIDE "\n\t"
        "str     r10, " FRAME_SP_NEXT "\n\t"
        "str     r3, " FRAME_SP_OUT "\n\t"
        "add     r12, r3, r12, lsl #2\n\t"
        "str     r12, " FRAME_SP_OUT_END "\n\t"
        "str     r4, " FRAME_SP_INIT_STEP "\n\t"
        "str     r5, " FRAME_SP_MULT "\n\t"
        "str     r6, " FRAME_SP_SHIFT "\n\t"
        "str     r7, " FRAME_SP_QSTEP "\n\t"
        "str     lr, " FRAME_SP_ZP "\n\t"
        "ldr     r3, [r2, #20]\n\t" /* -zp, -zp */
        "ldr     r2, [r2, #16]\n\t" /* init */
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
        "orr     r10, r10, #1\n\t"
        "str     r10, " FRAME_SP_ENTRY "\n\t"
        /* the input widened to sp + 128 + 8 c: an odd group first, then two at a time */
        "rsb     r10, r11, #0\n\t"
        "and     r10, r10, #15\n\t"
        "add     r12, r11, r10\n\t" /* n + c: 16 (one pass) or 32 (two) */
        "sub     r12, r12, #16\n\t"
        "add     r12, sp, r12, lsl #3\n\t"
        "str     r12, " FRAME_SP_LAST "\n\t"
        "str     r12, " FRAME_SP_LAST2 "\n\t"
        "add     r12, sp, #" DENSE_SP_PAD_STR "\n\t"
        "add     r12, r12, r10, lsl #3\n\t"
        "tst     r11, #1\n\t"
        "beq     2f\n\t"
        "ldr     r10, [r0], #4\n\t"
        "sxtab16 r4, r3, r10\n\t"
        "sxtab16 r5, r3, r10, ror #8\n\t"
        "strd    r4, r5, [r12], #8\n"
        "2:\n\t"
        "lsrs    r11, r11, #1\n\t"
        "beq     3f\n"
        "1:\n\t"
        "ldr     r10, [r0], #8\n\t"
        "ldr     lr, [r0, #-4]\n\t"
        "sxtab16 r4, r3, r10\n\t"
        "sxtab16 r5, r3, r10, ror #8\n\t"
        "sxtab16 r6, r3, lr\n\t"
        "sxtab16 r7, r3, lr, ror #8\n\t"
        "stm     r12!, {r4-r7}\n\t"
        "subs    r11, r11, #1\n\t"
        "bne     1b\n"
        "3:\n\t"
        "add     r8, r1, r9, lsl #1\n\t"
        "ldr     r10, " FRAME_SP_INIT_STEP "\n\t"
        "ldm     r2, {r4-r7}\n\t"
        "add     r2, r2, r10\n\t"
        "str     r2, " FRAME_SP_INIT "\n\t"
        "ldr     r11, " FRAME_SP_ENTRY "\n\t"
        "bx      r11\n" /* a block: its sums in r4-r7 */
        "9:\n\t"
        "add     sp, sp, #" DENSE_SP_PAD_STR "\n"
        "10:\n\t" DENSE_SP_GROUPS
        /* SP back to sp_0, the four rows requantised and stored */
        "ldr     r12, " FRAME_SP_ADV "\n\t"
        "sub     sp, sp, r12\n\t"
        "ldr     r0, " FRAME_SP_MULT "\n\t"
        "ldr     r2, " FRAME_SP_SHIFT "\n\t"
        "ldr     r3, " FRAME_SP_OUT "\n\t"
        "ldr     r9, " FRAME_SP_ZP "\n\t"
        REQ_SP_ROW("r4", "0", "")
        REQ_SP_ROW("r5", "1", "strb    r12, [r3, #0]\n\t")
        REQ_SP_ROW("r6", "2", "strb    r12, [r3, #1]\n\t")
        REQ_SP_ROW("r7", "3", "strb    r12, [r3, #2]\n\t")
        "strb    r12, [r3, #3]\n\t"
        /* the pointers moved on, the next block's sums loaded */
        "ldr     r12, " FRAME_SP_QSTEP "\n\t"
        "ldr     r10, " FRAME_SP_INIT "\n\t"
        "ldr     r11, " FRAME_SP_OUT_END "\n\t"
        "ldr     r9, " FRAME_SP_NEXT "\n\t"
        "add     r0, r0, r12\n\t"
        "add     r2, r2, r12\n\t"
        "adds    r3, r3, #4\n\t"
        "str     r0, " FRAME_SP_MULT "\n\t"
        "str     r2, " FRAME_SP_SHIFT "\n\t"
        "str     r3, " FRAME_SP_OUT "\n\t"
        "cmp     r3, r11\n\t"
        "beq     7f\n\t"
        "ldm     r10, {r4-r7}\n\t"
        "ldr     r11, " FRAME_SP_INIT_STEP "\n\t"
        "add     r1, r1, r9\n\t"
        "add     r8, r8, r9\n\t"
        "add     r10, r10, r11\n\t"
        "str     r10, " FRAME_SP_INIT "\n\t"
        "ldr     r9, " FRAME_SP_STRIDE "\n\t"
        "ldr     r11, " FRAME_SP_ENTRY "\n\t"
        "bx      r11\n"
        "7:\n\t"
        "add     sp, sp, #" FRAME_SP_BYTES "\n\t"
        "pop     {r4-r11, pc}\n\t"
        REQ_SP_RARE("r4", "0") REQ_SP_RARE("r5", "1") REQ_SP_RARE("r6", "2") REQ_SP_RARE("r7", "3")
        "6:\n\t" DENSE_SP_ENTRIES);
}

#endif /* NNOM_KERNELS_ARM_DENSE_SP_BLOCKS_H */
