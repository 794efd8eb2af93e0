/*
 * The Cortex-M dense kernel's loop in units of eight rows with the input read through a pointer
 * (part of kernels/arm/dense_s8.c, which includes it at -O2): 23 estimated cycles per group of four
 * inputs and four rows (1.4375 per multiply-accumulate) for inputs of any length that fit its
 * widened copy (DENSE_WIDE_GROUPS groups), where dot_blocks_asm takes 24.
 *
 * Why: a group's six loads (the input's two words, four rows' weights) come in one run only when
 * seven registers hold them and the SXTB16 temporary; with the four sums that leaves three for
 * addresses. dot_blocks_asm needs four (the input, two row pointers and the stride). Here one row
 * pointer r1 and the stride r9 reach four rows, at r1, r1 + r9, r1 + 2 r9 and r1 + 4 r9 (LDR's
 * register offset shifted left by 0, 1 or 2): rows 0, 1, 2 and 4 of a unit of eight with r9 =
 * in_features (block A), then with r1 at row 7 and r9 = -in_features rows 7, 6, 5 and 3 (block B).
 * The two blocks cover the unit's eight rows once each, with the same code.
 *
 * Block A reads its starting sums from words 0, 1, 2, 4 of the unit's eight, block B from words
 * 7, 6, 5, 3 (four single loads in a run, as fast as LDM), so that they may be the biases as they
 * are. After a block its four rows are requantised in the assembly, the sums still in registers
 * (UREQ_ROW: the 32-bit form of write_row() in dense_s8.c, about 15 estimated cycles a row against
 * 18 for write_rows from an array of sums), and the rare rows outside that form go through a call
 * of row_general (UREQ_RARE). Measured (kernel bench, -O2, est. cycles per multiply-accumulate):
 * 640 -> 128 rows 1.503, 128 -> 128 1.660, 128 -> 640 1.632, 8 -> 128 4.74; the autoencoder 1.627.
 * What is left above 1.4375 at 128 inputs: the requantisation (about 0.12 a multiply-accumulate),
 * the block's bookkeeping (about 25 cycles: 0.05) and the input's widening (0.01).
 *
 * Rows past the last multiple of 8 (rest = out_features % 8): 5-7, a unit ending at the last row
 * (overlapping the one before: rows computed twice give the same bytes); 1-3, block B alone of
 * that unit (rows 3, 5, 6, 7 of it, the last three among them); 4, one block of dot_blocks_asm
 * (dense_rest4; with up to 131 inputs such layers go to dense_sp_blocks.h instead). Measured: 256
 * -> 10 2.207 est. cycles/MAC (2.810 with an overlapping unit), 300 -> 11 1.972 (2.518), 132 -> 9
 * 2.779 (3.475).
 */
#ifndef NNOM_KERNELS_ARM_DENSE_UNITS_H
#define NNOM_KERNELS_ARM_DENSE_UNITS_H

enum {
    /* out_features % 8 at which the last four rows are a block of dot_blocks_asm (24 est. cycles a
     * group; below it block B of a unit ending at the last row covers them, above it a whole unit) */
    DENSE_UNIT_REST_BLOCK = 4
};

/* What dot_units_asm reads (offsets are used by its assembly). */
typedef struct rows8_args {
    /* 0: bytes between weight rows (in_features), > 0; or -in_features: block B of one unit alone
     * (units 1, the weights from its row 7, init words 0, 1, 2 and 4 the sums of rows 7, 6, 5, 3:
     * the block runs as B from the start, then the unit ends) */
    int32_t stride;
    int32_t n;            /* 4: groups of four inputs, >= 1 */
    int32_t units;        /* 8: units of eight rows, >= 1 */
    const int32_t *init;  /* 12: the units' starting sums, eight per unit in row order */
    const int32_t *mult;  /* 16: the first unit's eight multipliers */
    const int32_t *shift; /* 20: and shifts */
    int32_t q_step;       /* 24: bytes from a unit's multipliers (and shifts) to the next unit's: 32, or 0 */
    int8_t *out;          /* 28: the first unit's eight output bytes */
    int32_t zp_odd;       /* 32: 2 out_zero_point + 1 */
    /* 36: the byte of the row whose output is at `at`, from its sum, where the 32-bit form does not apply */
    int32_t (*row)(const struct rows8_args *p, int8_t *at, int32_t acc);
    const nnom_dense_s8_args *a; /* 40: for row() */
    int32_t o;                   /* 44: the row whose output is out[0], for row() */
} rows8_args;

/* The assembly's frame below the saved registers: */
#define FRAME_U_END "[sp]"            /* end of the input */
#define FRAME_U_X "[sp, #4]"          /* its start */
#define FRAME_U_OUT_END "[sp, #8]"    /* the end of the output */
#define FRAME_U_ENTRY "[sp, #12]"     /* where a block enters its loop (the Thumb bit set) */
#define FRAME_U_OUT "[sp, #16]"       /* the unit's eight output bytes */
#define FRAME_U_N4 "[sp, #20]"        /* 4 n: bytes a block moves r1 on */
#define FRAME_U_INIT "[sp, #24]"      /* the unit's starting sums */
#define FRAME_U_MULT "[sp, #28]"      /* the unit's multipliers */
#define FRAME_U_SHIFT "[sp, #32]"     /* and shifts */
#define FRAME_U_ZP "[sp, #36]"        /* zp_odd */
#define FRAME_U_QSTEP "[sp, #40]"     /* q_step */
#define FRAME_U_ARGS "[sp, #44]"      /* the arguments */
#define FRAME_U_ARGS_CALL "[sp, #68]" /* the same with six registers pushed (UREQ_RARE) */
#define FRAME_U_BYTES "52"            /* (with the nine registers pushed, SP stays 8-byte aligned) */

/*
 * One group of four inputs for the block's four rows. r0: the widened inputs (two words per
 * group), r1: the block's first row, r9: the step to its next three (+-in_features), r4-r7: their
 * sums; r2, r3, r8, r10-r12, lr free. One run of six loads (seven cycles), then the four rows
 * (ROW_PAIRS of dense_s8.c, each row's temporary the register the row before freed): 22
 * instructions, 23 estimated cycles. The last group of a pass loads the end of the input in the
 * same run and compares at once (SXTB16 and SMLAD leave the flags alone).
 */
#define UNIT_LOADS                           \
    "ldr     r2, [r0], #8\n\t"               \
    "ldr     r12, [r0, #-4]\n\t"             \
    "ldr     r3, [r1, r9]\n\t"               \
    "ldr     r10, [r1, r9, lsl #1]\n\t"      \
    "ldr     r8, [r1, r9, lsl #2]\n\t"       \
    "ldr     r11, [r1], #4\n\t"
#define UNIT_ROWS                            \
    ROW_PAIRS("r11", "lr", "r4")             \
    ROW_PAIRS("r3", "r11", "r5")             \
    ROW_PAIRS("r10", "r3", "r6")             \
    ROW_PAIRS("r8", "r10", "r7")
#define UNIT_GROUP UNIT_LOADS UNIT_ROWS
#define UNIT_PASS_MASK "31"
#define UNIT_GROUP_LAST                      \
    UNIT_LOADS                               \
    "ldr     lr, " FRAME_U_END "\n\t"        \
    "cmp     r0, lr\n\t"                     \
    UNIT_ROWS

/* Thirty-two copies (128 inputs in one pass: the end test and the branch, about 5 cycles, once per
 * 128 multiply-accumulates of each row), entered as dot_blocks_asm's are: a table of offsets by
 * n % 32, entry i at the copy that many groups before the end. */
#define UNIT_GROUPS \
    UNIT_GROUP "11:\n\t" UNIT_GROUP "12:\n\t" UNIT_GROUP "13:\n\t" UNIT_GROUP "14:\n\t" \
    UNIT_GROUP "15:\n\t" UNIT_GROUP "16:\n\t" UNIT_GROUP "17:\n\t" UNIT_GROUP "18:\n\t" \
    UNIT_GROUP "19:\n\t" UNIT_GROUP "20:\n\t" UNIT_GROUP "21:\n\t" UNIT_GROUP "22:\n\t" \
    UNIT_GROUP "23:\n\t" UNIT_GROUP "24:\n\t" UNIT_GROUP "25:\n\t" UNIT_GROUP "26:\n\t" \
    UNIT_GROUP "27:\n\t" UNIT_GROUP "28:\n\t" UNIT_GROUP "29:\n\t" UNIT_GROUP "30:\n\t" \
    UNIT_GROUP "31:\n\t" UNIT_GROUP "32:\n\t" UNIT_GROUP "33:\n\t" UNIT_GROUP "34:\n\t" \
    UNIT_GROUP "35:\n\t" UNIT_GROUP "36:\n\t" UNIT_GROUP "37:\n\t" UNIT_GROUP "38:\n\t" \
    UNIT_GROUP "39:\n\t" UNIT_GROUP "40:\n\t" UNIT_GROUP "41:\n\t" UNIT_GROUP_LAST
#define UNIT_ENTRIES \
    ".hword  0, 41b - 10b, 40b - 10b, 39b - 10b\n\t" \
    ".hword  38b - 10b, 37b - 10b, 36b - 10b, 35b - 10b\n\t" \
    ".hword  34b - 10b, 33b - 10b, 32b - 10b, 31b - 10b\n\t" \
    ".hword  30b - 10b, 29b - 10b, 28b - 10b, 27b - 10b\n\t" \
    ".hword  26b - 10b, 25b - 10b, 24b - 10b, 23b - 10b\n\t" \
    ".hword  22b - 10b, 21b - 10b, 20b - 10b, 19b - 10b\n\t" \
    ".hword  18b - 10b, 17b - 10b, 16b - 10b, 15b - 10b\n\t" \
    ".hword  14b - 10b, 13b - 10b, 12b - 10b, 11b - 10b\n"

#define DENSE_U_STR_(x) #x
#define DENSE_U_STR(x) DENSE_U_STR_(x)

/*
 * Row R of the unit (sum S) requantised as write_row() of dense_s8.c does it (requant_row: the
 * 32-bit form) and saturated to int8: r0 the unit's multipliers, r2 its shifts (R4 = 4 R bytes on),
 * r3 its output, r8 zp_odd; r12 holds the byte of the row before, stored (STORE_PREV) after this
 * row's two loads, in their run. e1 = -1 - shift out of [0, NNOM_REQUANT32_MAX_E), or S + S
 * overflowing: UREQ_RARE (label FAIL), which comes back with the row's byte in r12 (label BACK).
 * 14 instructions, about 15 estimated cycles.
 */
#define UREQ_ROW(S, R4, STORE_PREV, FAIL, BACK)                         \
    "ldr     r10, [r2, #" R4 "]\n\t"                                     \
    "ldr     r11, [r0, #" R4 "]\n\t"                                     \
    STORE_PREV                                                          \
    "mvn     r10, r10\n\t"                                               \
    "cmp     r10, #" DENSE_U_STR(NNOM_REQUANT32_MAX_E) "\n\t"            \
    "bhs     " FAIL "f\n\t"                                              \
    "adds    r12, " S ", " S "\n\t"                                      \
    "bvs     " FAIL "f\n\t"                                              \
    "smmulr  r12, r12, r11\n\t"                                          \
    "lsl     lr, r8, r10\n\t"                                            \
    "add     r12, r12, r12, asr #31\n\t"                                 \
    "add     r12, r12, lr\n\t"                                           \
    "asr     r12, r12, r10\n\t"                                          \
    "ssat    r12, #8, r12, asr #1\n"                                      \
    BACK ":\n\t"
/* The other rows: p->row(p, the row's output, S), the caller-saved registers kept, its byte to r12. */
#define UREQ_RARE(S, R, FAIL, BACK)                                     \
    FAIL ":\n\t"                                                        \
    "push    {r0-r3, r12, lr}\n\t"                                      \
    "add     r1, r3, #" R "\n\t"                                        \
    "mov     r2, " S "\n\t"                                             \
    "ldr     r0, " FRAME_U_ARGS_CALL "\n\t"                             \
    "ldr     r12, [r0, #36]\n\t"                                        \
    "blx     r12\n\t"                                                   \
    "str     r0, [sp, #16]\n\t" /* r12's slot */                        \
    "pop     {r0-r3, r12, lr}\n\t"                                      \
    "b       " BACK "b\n\t"

/*
 * For each of p->units units of eight rows (unit u: rows 8u..8u+7 of w, p->stride bytes apart):
 * the sum s_r = init_u[r] + sum_g xw[g] . w[row 8u + r][4g..4g+3], g < p->n, modulo 2^32 (init_u =
 * p->init + 8u, xw[g] the pairs of group g: widen_input), requantised to out_u[r] (out_u = p->out +
 * 8u) with multiplier mult_u[r] and shift shift_u[r] (p->mult, p->shift + u p->q_step bytes) and
 * saturated to int8, not clamped: by the 32-bit form where it applies, else by p->row(). Each block
 * enters its pass at the copy that leaves a whole number of passes (BX); after it, its four rows
 * requantised and stored (about 65 estimated cycles), then in about 20 (A to B) or 30 (B to the
 * next unit's A) the next block's sums loaded, the input pointer reset, the row pointer and the
 * step moved on. (naked: the body is the assembly alone; the arguments arrive in r0-r2)
 */
__attribute__((naked, noinline)) static void dot_units_asm(ARG const uint32_t *xw, ARG const int8_t *w,
                                                           ARG const rows8_args *p)
{
    __asm__ volatile(
        "push    {r4-r11, lr}\n\t"
        "sub     sp, sp, #" FRAME_U_BYTES "\n\t"
        "str     r2, " FRAME_U_ARGS "\n\t"
        "str     r0, " FRAME_U_X "\n\t"
        "ldr     r9, [r2]\n\t"      /* stride: block A's step */
        "ldr     r11, [r2, #4]\n\t" /* n */
        "ldr     r12, [r2, #8]\n\t" /* units */
        "ldr     r3, [r2, #28]\n\t" /* out */
        "ldr     r10, [r2, #12]\n\t" /* init */
        "ldr     r4, [r2, #16]\n\t" /* mult */
        "ldr     r5, [r2, #20]\n\t" /* shift */
        "ldr     r6, [r2, #24]\n\t" /* q_step */
        "ldr     r7, [r2, #32]\n\t" /* zp_odd */
        "str     r3, " FRAME_U_OUT "\n\t"
        "add     r12, r3, r12, lsl #3\n\t"
        "str     r12, " FRAME_U_OUT_END "\n\t"
        "str     r10, " FRAME_U_INIT "\n\t"
        "str     r4, " FRAME_U_MULT "\n\t"
        "str     r5, " FRAME_U_SHIFT "\n\t"
        "str     r6, " FRAME_U_QSTEP "\n\t"
        "str     r7, " FRAME_U_ZP "\n\t"
        "lsl     r12, r11, #2\n\t"
        "str     r12, " FRAME_U_N4 "\n\t"
        "add     r12, r0, r11, lsl #3\n\t"
        "str     r12, " FRAME_U_END "\n\t"
        "and     r11, r11, #" UNIT_PASS_MASK "\n\t"
        DENSE_LOOP_ENTRY("r11", "r12", FRAME_U_ENTRY) /* the entry's address (as in dot_blocks_asm) */
        "ldm     r10, {r4-r6}\n\t"  /* block A: rows 0, 1, 2, 4 (block B alone: 7, 6, 5, 3) */
        "ldr     r7, [r10, #16]\n\t"
        "bx      r11\n\t"
        "10:\n\t" UNIT_GROUPS
        "bne     10b\n\t"
        "ldr     r0, " FRAME_U_MULT "\n\t"
        "ldr     r2, " FRAME_U_SHIFT "\n\t"
        "ldr     r3, " FRAME_U_OUT "\n\t"
        "ldr     r8, " FRAME_U_ZP "\n\t"
        "cmp     r9, #0\n\t"
        "blt     8f\n\t"
        /* block A done: rows 0, 1, 2, 4 requantised */
        UREQ_ROW("r4", "0", "", "50", "60")
        UREQ_ROW("r5", "4", "strb    r12, [r3]\n\t", "51", "61")
        UREQ_ROW("r6", "8", "strb    r12, [r3, #1]\n\t", "52", "62")
        UREQ_ROW("r7", "16", "strb    r12, [r3, #2]\n\t", "53", "63")
        "strb    r12, [r3, #4]\n\t"
        /* block B's starting sums; r1 from row 0 + 4n to row 7, the step negated */
        "ldr     r10, " FRAME_U_INIT "\n\t"
        "ldr     r12, " FRAME_U_N4 "\n\t"
        "ldr     r0, " FRAME_U_X "\n\t"
        "ldr     r4, [r10, #28]\n\t"
        "ldr     r5, [r10, #24]\n\t"
        "ldr     r6, [r10, #20]\n\t"
        "ldr     r7, [r10, #12]\n\t"
        "ldr     r11, " FRAME_U_ENTRY "\n\t"
        "rsb     r12, r12, r9, lsl #3\n\t"
        "sub     r12, r12, r9\n\t"
        "add     r1, r1, r12\n\t"
        "rsb     r9, r9, #0\n\t"
        "bx      r11\n"
        /* block B done: rows 7, 6, 5, 3 requantised */
        "8:\n\t"
        UREQ_ROW("r4", "28", "", "54", "64")
        UREQ_ROW("r5", "24", "strb    r12, [r3, #7]\n\t", "55", "65")
        UREQ_ROW("r6", "20", "strb    r12, [r3, #6]\n\t", "56", "66")
        UREQ_ROW("r7", "12", "strb    r12, [r3, #5]\n\t", "57", "67")
        "strb    r12, [r3, #3]\n\t"
        /* the unit done: unless the output ends, the next unit's block A (its sums loaded, r1 from
         * row 7 + 4n to the next row 8, the step negated back) */
        "ldr     r12, " FRAME_U_QSTEP "\n\t"
        "ldr     r11, " FRAME_U_OUT_END "\n\t"
        "ldr     r10, " FRAME_U_INIT "\n\t"
        "adds    r3, r3, #8\n\t"
        "cmp     r3, r11\n\t"
        "beq     7f\n\t"
        "add     r0, r0, r12\n\t"
        "add     r2, r2, r12\n\t"
        "adds    r10, r10, #32\n\t"
        "str     r3, " FRAME_U_OUT "\n\t"
        "str     r0, " FRAME_U_MULT "\n\t"
        "str     r2, " FRAME_U_SHIFT "\n\t"
        "str     r10, " FRAME_U_INIT "\n\t"
        "ldr     r4, [r10]\n\t" /* (single loads after the stores: one cycle each) */
        "ldr     r5, [r10, #4]\n\t"
        "ldr     r6, [r10, #8]\n\t"
        "ldr     r7, [r10, #16]\n\t"
        "ldr     r12, " FRAME_U_N4 "\n\t"
        "ldr     r0, " FRAME_U_X "\n\t"
        "ldr     r11, " FRAME_U_ENTRY "\n\t"
        "rsb     r9, r9, #0\n\t"
        "add     r1, r1, r9\n\t"
        "sub     r1, r1, r12\n\t"
        "bx      r11\n"
        "7:\n\t"
        "add     sp, sp, #" FRAME_U_BYTES "\n\t"
        "pop     {r4-r11, pc}\n\t"
        UREQ_RARE("r4", "0", "50", "60") UREQ_RARE("r5", "1", "51", "61")
        UREQ_RARE("r6", "2", "52", "62") UREQ_RARE("r7", "4", "53", "63")
        UREQ_RARE("r4", "7", "54", "64") UREQ_RARE("r5", "6", "55", "65")
        UREQ_RARE("r6", "5", "56", "66") UREQ_RARE("r7", "3", "57", "67")
        "6:\n\t" UNIT_ENTRIES); /* the entries' offsets from the first copy, by n % 32 (data) */
}

/* The byte of the row whose output is at `at` (dot_units_asm's p->row), from its sum. */
static int32_t dense_units_row(const rows8_args *p, int8_t *at, int32_t acc)
{
    return row_general(p->a, p->o + (int32_t)(at - p->out), acc);
}

/* The last four rows of a layer by dot_blocks_asm (the input widened in xw), requantised by
 * write_rows (dense_units() when out_features % 8 is 4). */
__attribute__((noinline)) static void dense_rest4(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out,
                                                  const uint32_t *xw)
{
    const int32_t len = a->in_features, o = a->out_features - 4;
    const int8_t *w = a->weights + (size_t)o * (size_t)len;
    int32_t sums[4];
    rows4_args q;
    q.stride = len;
    q.n = len >> 2;
    q.blocks = 1;
    q.next_block = 0;
    q.init = sums;
    if (a->bias) q.init = a->bias + o;
    else memset(sums, 0, sizeof sums);
    dot_blocks_asm(xw, w, &q, sums);
    dot_tail(in, w, len, len, a->in_zero_point, 4, 4, sums);
    write_rows(a, o, 4, sums, out);
}

/*
 * nnom_dense_s8() by dot_units_asm, when out_features >= 8, 4 <= in_features <= 4
 * DENSE_WIDE_GROUPS + 3 (so in_features <= DENSE_FOLD_MAX_IN: the biases folded into the sums) and
 * the shift, per tensor, is in the 32-bit form's range: the input widened once, units of eight rows
 * (the last one ending at the last row, rows computed twice giving the same bytes) summed and
 * requantised, then the clamp if there is one. The starting sums are the biases as they are (one
 * call for every row) or, without biases or with in_features % 4 inputs left over (summed here),
 * written here in batches whose sums fit what the input leaves of xw (or sums).
 */
__attribute__((noinline)) static void dense_units(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    const int32_t len = a->in_features, zp = a->in_zero_point, out_f = a->out_features, n = len >> 2;
    const int per_channel = a->per_channel != 0, direct = a->bias && !(len & 3);
    const int clamp = a->act_lo > INT8_MIN || a->act_hi < INT8_MAX;
    uint32_t xw[2 * DENSE_WIDE_GROUPS];
    int32_t sums[4 * DENSE_BATCH], *acc = sums, batch = DENSE_BATCH / 2; /* units */
    int32_t m8[8], s8[8], half_init[5];
    widen_input(xw, in, n, (uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u);
    const int32_t room = (2 * DENSE_WIDE_GROUPS - 2 * n) / 8;
    if (room > batch) {
        acc = (int32_t *)(xw + 2 * n);
        batch = room;
    }
    rows8_args p;
    p.stride = len;
    p.n = n;
    p.q_step = per_channel ? 8 * (int32_t)sizeof(int32_t) : 0;
    p.zp_odd = 2 * a->out_zero_point + 1;
    p.row = dense_units_row;
    p.a = a;
    if (!per_channel)
        for (int32_t k = 0; k < 8; k++) { /* per tensor: eight copies, the same for every unit */
            m8[k] = a->multiplier[0];
            s8[k] = a->shift[0];
        }
    /* out_features % 8 (rest) in 1..4: units up to the last multiple of 8, then rows 3, 5, 6 and 7
     * of the unit ending at the last row (rest 1..3: block B alone) or a block of four (rest 4) */
    const int32_t rest = out_f & 7, out_u = rest && rest <= DENSE_UNIT_REST_BLOCK ? out_f - rest : out_f;
    for (int32_t o = 0; o < out_f;) {
        int32_t units, half = 0;
        if (o >= out_u) {
            if (rest == DENSE_UNIT_REST_BLOCK) {
                dense_rest4(a, in, out, xw);
                return;
            }
            o = out_f - 8;
            units = 1;
            half = 1;
        } else {
            if (o + 8 > out_u) o = out_u - 8;
            const int32_t left = (out_u - o) / 8;
            units = direct || left < batch ? left : batch;
        }
        const int32_t count = 8 * units;
        const int8_t *w = a->weights + (size_t)o * (size_t)len;
        if (direct) {
            p.init = a->bias + o;
        } else {
            for (int32_t k = 0; k < count; k++) acc[k] = a->bias ? a->bias[o + k] : 0;
            dot_tail(in, w, len, len, zp, count, 4, acc);
            p.init = acc;
        }
        if (half) { /* block B alone: from row 7 with the step negated, its sums where A's are read */
            half_init[0] = p.init[7];
            half_init[1] = p.init[6];
            half_init[2] = p.init[5];
            half_init[4] = p.init[3];
            p.init = half_init;
            p.stride = -len;
            w += (size_t)7 * (size_t)len;
        }
        p.units = units;
        p.mult = per_channel ? a->multiplier + o : m8;
        p.shift = per_channel ? a->shift + o : s8;
        p.out = out + o;
        p.o = o;
        dot_units_asm(xw, w, &p);
        if (clamp)
            for (int32_t k = o; k < o + count; k++) out[k] = nnom_clamp_s8(out[k], a->act_lo, a->act_hi);
        o += count;
    }
}

#endif /* NNOM_KERNELS_ARM_DENSE_UNITS_H */
