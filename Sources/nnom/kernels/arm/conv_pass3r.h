/*
 * pass3_rec_run, the three-pixel passes of a pointwise layer from records of its pairs made once
 * per layer call (conv_pass3s.h includes this file after pass3_stack, whose group code, column
 * layout and contract on the channels it shares; built for speed only, -O2).
 *
 * pass3_stack reads, per pair and pass, the pair's first channel from a list, then the weights,
 * biases, multipliers and shifts from their arrays, computes the rounding constants and picks
 * each channel's form: about 94 estimated cycles a pair besides its groups. Here conv_list3.h's
 * three_rec_passes makes a 36-byte record per pair once per call (pass3_records: weights, both
 * biases, multipliers and rounding constants (2 zp + 1) << (e - 1), the shifts packed with the
 * channel, the step to the pair's second channel and flags for pairs not both of REQUANT_ZP or
 * not of neighbours) and one call runs all the passes:
 *   - the record in two runs of single loads (5 words after the groups, 3 for the next pair:
 *     pipelined, one cycle each);
 *   - the sums start at the biases in a first group of their own (its SMLAD accumulate onto the
 *     biases: no copies), which reads group 0 at a fixed slot;
 *   - the columns hold 2 (x - zp) and the biases are doubled, so that the sums are the doubled
 *     sums the requantisations start from: no LSL per output (four instructions: SMMLAR, ADD,
 *     ASR, SSAT), for six SADD16 a group per pass in the widening (a layer of more pairs than
 *     groups gains: DS-CNN's 32 pairs on 16 groups);
 *   - pairs of two REQUANT_ZP channels (the common case) take one test, not one per channel;
 *   - the pass's output and the state of the passes live in the frame;
 *   - a pair is any two channels c < d <= c + PASS3R_MAX_STEP (d's weights at r1 + r2, r2 the
 *     record's step * k; d's outputs stored at register offsets): a layer with its all-zero
 *     filters kept pairs each live channel with the next, computing no dead one (a pair of
 *     neighbours among dead ones did: MobileNetV1-0.25's conv_pw_7 38 pairs -> 28). A pair of
 *     neighbours followed by one keeps k in r2 and the immediate stores; the others take the
 *     per-channel path, about 10 estimated cycles more.
 * Per pair besides the groups: about 55 estimated cycles (24 of them the six requantisations, 7
 * the six STRB); per pass the widening, about 25 a group. On the Cortex-M4 (-O2, est. cycles per
 * MAC): pw_25x5_64to64 1.405 -> 1.290 (pass3_stack), pw_24x24_32to32 1.730 -> 1.466,
 * pw_24x24_16to32 2.324 -> 1.780 (pass8; PASS3R_MIN_K); pairs over dead channels:
 * pw_6x6_128to128_dead 0.780 -> 0.602, pw_6x6_64to128_dead 0.937 (pass8) -> 0.825.
 * The group copies (2976 bytes) are this routine's own: entering pass3_stack's instead and
 * returning through a word of the frame (LDR PC) measured 2-3 estimated cycles more a pair
 * (pw_25x5_64to64 1.293 -> 1.301, pw_24x24_16to32 1.785 -> 1.804).
 *
 * The columns in the frame: group 0 at slot 0, group g (1 <= g < n) at slot PASS3R_MAX_GROUPS -
 * n + g, which copy g' = slot of the group code reads ([sp, #PASS3S_COLS + 24 slot]); the copies
 * 1 to PASS3R_MAX_GROUPS - 1 are entered at copy PASS3R_MAX_GROUPS - n + 1 (its address at [sp]).
 * Stack: 36 bytes of saved registers and PASS3R_FRAME bytes; the records on three_rec_passes'
 * stack (36 bytes a pair and one for the end).
 */
#ifndef NNOM_KERNELS_ARM_CONV_PASS3R_H
#define NNOM_KERNELS_ARM_CONV_PASS3R_H

/* One pair's record, channels c and d = c + step, step in [1, PASS3R_MAX_STEP] (offsets are used
 * by the assembly; 36 bytes). */
typedef struct {
    const int8_t *w;  /*  0: channel c's weights (d's w_step bytes after them); NULL: the end */
    int32_t bias0;    /*  4: the biases of c and d doubled, or 0 */
    int32_t bias1;    /*  8 */
    int32_t mult0;    /* 12: channel c's multiplier */
    int32_t round0;   /* 16: its constant (2 zp + 1) << (e - 1), e = -shift */
    int32_t mult1;    /* 20: channel d's */
    int32_t round1;   /* 24 */
    uint32_t packed;  /* 28: e of c (bits 0-7), of d (8-15), PASS3R_MIXED, step (17-22), PASS3R_APART, c (24-31) */
    int32_t w_step;   /* 32: step * k */
} pass3_rec;
/* The most channels from a pair's first to its second (six bits of pass3_rec.packed). */
#define PASS3R_MAX_STEP 63
#define PASS3R_STEP_BIT 17

/* What pass3_rec_run reads (offsets are used by its assembly). */
typedef struct {
    const int8_t *in;      /*  0: pixel 0's inputs (pixel j's at in + j * in_c) */
    int32_t in_c;          /*  4: = k, 4 * groups, groups in [1, PASS3R_MAX_GROUPS] */
    uint32_t neg_zp;       /*  8: minus the input zero point in both int16 lanes */
    const pass3_rec *recs; /* 12: at least one pair, then a record whose w is NULL */
    int8_t *out;           /* 16: channel 0 of pixel 0 */
    int32_t out_c;         /* 20 */
    int32_t passes;        /* 24: passes of three pixels (at least 1), each 3 in_c and 3 out_c on */
} pass3r_args;

/* The longest patch (MobileNetV1-0.25's 128 input channels: each copy of the group code is 96
 * bytes) and the most pairs of one call (its 128 output channels; the records live on
 * three_rec_passes' stack, 36 bytes each, as many as the layer's pairs up to this). */
#define PASS3R_MAX_GROUPS 32
#define PASS3R_MAX_PAIRS 64
#define PASS3R_COPIES "32"  /* (PASS3R_MAX_GROUPS, for the assembly) */
#define PASS3R_STATE "788"  /* after the columns: in, in_c, -zp, records, 24 (MAX - groups) */
#define PASS3R_FRAME "808"  /* 20 + 24 * PASS3R_MAX_GROUPS + 20 */

/* Channel c's rounding constant as pass3_fast computes it: LSL by register takes the low byte
 * of e - 1 (0 for a shift of 32 or more: a channel of a non-negative shift, whose bytes the
 * caller writes again). */
static inline int32_t pass3_round(int32_t zz, int32_t shift)
{
    int32_t r; /* (one LSL by register: its shifts of 32 to 255 give 0) */
    __asm__("lsl %0, %1, %2" : "=r"(r) : "r"(zz), "r"(-1 - shift));
    return r;
}

/* REQUANT_ZP and REQUANT_U (conv_pass.h) on a doubled sum S = 2 s (the LSL done). */
#define PASS3R_RQ_ZP(S, M, E, C, T)         \
    "smmlar " T ", " S ", " M ", " C "\n\t" \
    "add    " T ", " T ", " S ", asr #31\n\t" \
    "asr    " T ", " T ", " E "\n\t"        \
    "ssat   " S ", #8, " T "\n\t"
#define PASS3R_RQ_U(S, M, E, C, T)          \
    "smmulr " T ", " S ", " M "\n\t"        \
    "add    " T ", " T ", " T ", asr #31\n\t" \
    "add    " T ", " T ", " C "\n\t"        \
    "asr    " T ", " T ", " E "\n\t"        \
    "ssat   " S ", #8, " T "\n\t"

#define PASS3R_RQ3(RQ, S0, S1, S2, M, E, C, T) RQ(S0, M, E, C, T) RQ(S1, M, E, C, T) RQ(S2, M, E, C, T)

/* pass3_rec.packed: PASS3R_MIXED, a channel of the pair takes REQUANT_U (a multiplier of at most
 * 2^30); PASS3R_APART, d is not c + 1, or the next pair's is not. Without either both take
 * REQUANT_ZP with no test per channel; without PASS3R_APART the stores take immediate offsets
 * and r2 (k) stays for the next pair's groups. */
#define PASS3R_MIXED 0x10000u
#define PASS3R_APART 0x800000u
#define PASS3R_SLOW_IMM "0x810000" /* (PASS3R_MIXED | PASS3R_APART) */
#define PASS3R_APART_AFTER "0x8000" /* (PASS3R_APART >> 8: once c's shift is shifted out) */
#define PASS3R_STEP_AFTER "9"       /* (PASS3R_STEP_BIT - 8) */
#define PASS3R_STEP_WIDTH "6"
#define PASS3R_REC_BYTES "36" /* (sizeof (pass3_rec)) */

/* One record: channels c and d = c + step (apart: PASS3R_APART), stored at c - base from the
 * output the run is given (c - base in [0, 255]: a byte of pass3_rec.packed). */
static inline __attribute__((always_inline)) void pass3_record(pass3_rec *r, int32_t c, int32_t d, uint32_t apart,
                                                               int32_t base, const int32_t *bias,
                                                               const int32_t *mult, const int32_t *shift,
                                                               const int8_t *w, int32_t k, int32_t zz)
{
    r->w = w + (ptrdiff_t)c * k;
    r->bias0 = bias ? (int32_t)((uint32_t)bias[c] << 1) : 0; /* (doubled, as the columns) */
    r->bias1 = bias ? (int32_t)((uint32_t)bias[d] << 1) : 0;
    r->mult0 = mult[c];
    r->round0 = pass3_round(zz, shift[c]);
    r->mult1 = mult[d];
    r->round1 = pass3_round(zz, shift[d]);
    r->packed = ((uint32_t)-shift[c] & 0xFFu) | ((uint32_t)-shift[d] & 0xFFu) << 8 | (uint32_t)(c - base) << 24 |
                (uint32_t)(d - c) << PASS3R_STEP_BIT | apart |
                ((uint32_t)mult[c] <= 0x40000000u || (uint32_t)mult[d] <= 0x40000000u ? PASS3R_MIXED : 0);
    r->w_step = (d - c) * k;
}

/* The first channel of the records pass3_records makes (the pairs' first channels do not
 * decrease). */
static inline int32_t pass3_records_base(const uint8_t *pairs, int32_t c0, int32_t last)
{
    return pairs ? pairs[0] : (c0 + 1 <= last ? c0 : last - 1);
}

/* The records of the n pairs (c, d) of the bytes at pairs (2 n; n <= PASS3R_MAX_PAIRS, c < d <= c
 * + PASS3R_MAX_STEP), or (pairs NULL) of the pairs of neighbours from channel c0, 2 apart, the
 * last one ending on channel last; then the end record: r has room for n + 1. Their channels are
 * stored from base = pass3_records_base() (the run's output at channel base; the pairs' channels
 * within 256 of it). */
static void pass3_records(pass3_rec *r, const uint8_t *pairs, int32_t c0, int32_t last, int32_t n,
                          const int32_t *bias, const int32_t *mult, const int32_t *shift, const int8_t *w,
                          int32_t k, int32_t zz)
{
    const int32_t base = pass3_records_base(pairs, c0, last);
    if (!pairs) {
        /* the pairs before the last (c + 1 <= last) in two sweeps of few live values each (GCC kept the
         * one-sweep loop's in registers only in part: 78 est. cycles a record, these about 54): the copies,
         * then the constants from the shifts and multipliers */
        const int32_t fit = last >= c0 ? (last - c0 + 1) / 2 : 0, whole = fit < n ? fit : n;
        pass3_rec *q = r;
        for (int32_t i = 0, c = c0; i < whole; i++, q++, c += 2) {
            q->w = w + (ptrdiff_t)c * k;
            q->bias0 = bias ? (int32_t)((uint32_t)bias[c] << 1) : 0;
            q->bias1 = bias ? (int32_t)((uint32_t)bias[c + 1] << 1) : 0;
            q->mult0 = mult[c];
            q->mult1 = mult[c + 1];
            q->w_step = k;
        }
        q = r;
        uint32_t at = (uint32_t)(c0 - base) << 24 | 1u << PASS3R_STEP_BIT;
        for (int32_t i = 0, c = c0; i < whole; i++, q++, c += 2, at += 2u << 24) {
            const int32_t s0 = shift[c], s1 = shift[c + 1];
            /* (multipliers are at least 0: below 2^30 + 1 exactly when m - 2^30 - 1 is negative) */
            const uint32_t low = ((uint32_t)mult[c] - 0x40000001u) | ((uint32_t)mult[c + 1] - 0x40000001u);
            q->round0 = pass3_round(zz, s0);
            q->round1 = pass3_round(zz, s1);
            q->packed = at | ((uint32_t)-s0 & 0xFFu) | ((uint32_t)-s1 & 0xFFu) << 8 | (low >> 31) * PASS3R_MIXED;
        }
        for (int32_t i = whole, c = c0 + 2 * whole; i < n; i++, c += 2) {
            const int32_t c1 = c + 1 <= last ? c : last - 1;
            pass3_record(r + i, c1, c1 + 1, 0, base, bias, mult, shift, w, k, zz);
        }
        r += n;
    } else {
        for (int32_t i = 0; i < n; i++, r++) {
            const int32_t c = pairs[2 * i], d = pairs[2 * i + 1];
            const uint32_t apart =
                d != c + 1 || (i + 1 < n && pairs[2 * i + 3] != pairs[2 * i + 2] + 1) ? PASS3R_APART : 0;
            pass3_record(r, c, d, apart, base, bias, mult, shift, w, k, zz);
        }
    }
    r->w = NULL;
}

/* One group of the three pixels' inputs widened and doubled, 2 (x - zp) in [-510, 510] (r0 pixel
 * 0's, r9 in_c, r10 -zp), stored at r1 (stepped): three loads, six SXTAB16, six SADD16, one STM
 * (six STR, which the next loads would follow pipelined, measured no better). */
#define PASS3R_WIDEN                     \
    "ldr    r4, [r0]\n\t"                \
    "ldr    r6, [r0, r9]\n\t"            \
    "ldr    r8, [r0, r9, lsl #1]\n\t"    \
    "adds   r0, r0, #4\n\t"              \
    "sxtab16 r3, r10, r4\n\t"            \
    "sxtab16 r4, r10, r4, ror #8\n\t"    \
    "sxtab16 r5, r10, r6\n\t"            \
    "sxtab16 r6, r10, r6, ror #8\n\t"    \
    "sxtab16 r7, r10, r8\n\t"            \
    "sxtab16 r8, r10, r8, ror #8\n\t"    \
    "sadd16 r3, r3, r3\n\t"             \
    "sadd16 r4, r4, r4\n\t"             \
    "sadd16 r5, r5, r5\n\t"             \
    "sadd16 r6, r6, r6\n\t"             \
    "sadd16 r7, r7, r7\n\t"             \
    "sadd16 r8, r8, r8\n\t"             \
    "stm    r1!, {r3-r8}\n\t"

/* The first group of a pair, from group 0's slot: the lo half's SMLAD start from the biases
 * (r3 channel c's, r6 d's; the sums of pixels 1 and 2 first, pixel 0's last), then as
 * PASS3S_GROUP; then into the copies for groups 1 to n - 1 through the entry at [sp]. */
#define PASS3R_FIRST                                   \
    "ldr.w  r10, [r1, r2]\n\t"                         \
    "ldr.w  r9, [r1], #4\n\t"                          \
    "ldr.w  r0, [sp, #" PASS3S_COLS "]\n\t"            \
    "ldr.w  r12, [sp, #" PASS3S_COLS " + 8]\n\t"       \
    "ldr.w  lr, [sp, #" PASS3S_COLS " + 16]\n\t"       \
    "sxtb16 r11, r9\n\t"                               \
    "smlad  r4, r12, r11, r3\n\t"                      \
    "smlad  r5, lr, r11, r3\n\t"                       \
    "smlad  r3, r0, r11, r3\n\t"                       \
    "sxtb16 r11, r10\n\t"                              \
    "smlad  r7, r12, r11, r6\n\t"                      \
    "smlad  r8, lr, r11, r6\n\t"                       \
    "smlad  r6, r0, r11, r6\n\t"                       \
    PASS3S_HALF("0", "4", ", ror #8")                  \
    "ldr    pc, [sp]\n\t"

/* The copies for groups 1 to PASS3R_MAX_GROUPS - 1 (copy j reads slot j). */
#define PASS3R_GROUPS                                                                                 \
    PASS3S_GROUP("24") PASS3S_GROUP("48") PASS3S_GROUP("72") PASS3S_GROUP("96") PASS3S_GROUP("120")   \
    PASS3S_GROUP("144") PASS3S_GROUP("168") PASS3S_GROUPS8("192") PASS3S_GROUPS8("384") PASS3S_GROUPS8("576")

/*
 * a->passes passes of three pixels of a pointwise layer (1x1, stride 1, in_c a multiple of 4),
 * pass i on pixels 3 i to 3 i + 2, every pair of a->recs in each: channels c and d of pixel j
 * to a->out[j * out_c + c], clamped to the int8 range, with pass3_stack's contract on the channels
 * (a fast form with a negative shift, or written again by the caller; weights inside the array).
 * Overflow: |dot + bias| < 2^30 on the fast channels, so the doubled sums fit. Registers in the
 * groups as pass3_stack's (r2 the pair's weight step, d's weights at r1 + r2, in place of k). After the groups: r0 channel c's multiplier, r1 its
 * constant, r11 the packed word (ASR takes its low byte: c's shift; then shifted down 8 bits, c +
 * d's), r9, r10 channel d's multiplier and constant, r12 a temporary, lr the record. Stack
 * frame: [sp] the entry into the copies, [sp, #4] the pair's record, [sp, #8] the pass's out,
 * [sp, #12] out_c, [sp, #16] the passes left, the columns from [sp, #PASS3S_COLS], then at
 * [sp, #PASS3R_STATE] the next pass's inputs, in_c, -zp, the records, 24 (MAX - n).
 */
__attribute__((naked, noinline)) static void pass3_rec_run(ARG const pass3r_args *a)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #" PASS3R_FRAME "\n\t"
        "ldm    r0, {r1-r7}\n\t"           /* in, in_c, -zp, records, out, out_c, passes */
        "strd   r5, r6, [sp, #8]\n\t"
        "str    r7, [sp, #16]\n\t"
        "add    r12, sp, #" PASS3R_STATE "\n\t"
        "lsrs   r5, r2, #2\n\t"            /* groups */
        "rsb    r5, r5, #" PASS3R_COPIES "\n\t" /* copies skipped */
        "add    r6, r5, r5, lsl #1\n\t"
        "lsls   r6, r6, #3\n\t"            /* 24 bytes per copy skipped: from slot 1 to group 1's */
        "stm    r12, {r1-r4, r6}\n\t"
        "movs   r12, #" PASS3S_GROUP_BYTES "\n\t"
        "adr.w  r1, 1f\n\t"
        "mla    r12, r5, r12, r1\n\t"
        "orr    r12, r12, #1\n\t"          /* (a Thumb address) */
        "str    r12, [sp]\n"
        "7:\n\t"                            /* a pass */
        "add    r12, sp, #" PASS3R_STATE "\n\t"
        "ldm    r12, {r0, r9, r10, r12, lr}\n\t" /* in, in_c, -zp, records, skip */
        "str    r12, [sp, #4]\n\t"
        "lsrs   r2, r9, #2\n\t"
        "add    r1, sp, #" PASS3S_COLS "\n\t"
        PASS3R_WIDEN                         /* group 0, slot 0 */
        "add    r1, r1, lr\n\t"
        "subs   r2, r2, #1\n\t"
        "lsrs   r2, r2, #1\n\t"            /* pairs of groups; an odd one first */
        "bcc    3f\n\t"
        PASS3R_WIDEN
        "3:\n\t"
        "cmp    r2, #0\n\t"
        "beq    5f\n"
        "4:\n\t"
        PASS3R_WIDEN PASS3R_WIDEN
        "subs   r2, r2, #1\n\t"
        "bne    4b\n"
        "5:\n\t"
        "add    r0, r0, r9, lsl #1\n\t"    /* the next pass's inputs */
        "str    r0, [sp, #" PASS3R_STATE "]\n\t"
        "ldr    lr, [sp, #4]\n\t"
        "ldm    lr, {r1, r3, r6}\n\t"       /* the first pair's weights and biases */
        "ldr    r2, [lr, #32]\n\t"          /* and its weight step */
        "b      6f\n\t"
        ".p2align 2\n"
        "1:\n\t" PASS3R_GROUPS
        "ldr    lr, [sp, #4]\n\t"           /* the pair's record: its constants in a run of single loads */
        "ldr    r0, [lr, #12]\n\t"
        "ldr    r1, [lr, #16]\n\t"
        "ldr    r9, [lr, #20]\n\t"
        "ldr    r10, [lr, #24]\n\t"
        "ldr    r11, [lr, #28]\n\t"
        "tst    r11, #" PASS3R_SLOW_IMM "\n\t"
        "bne    30f\n\t"                    /* (both of REQUANT_ZP, the common case, fall through) */
        PASS3R_RQ3(PASS3R_RQ_ZP, "r3", "r4", "r5", "r0", "r11", "r1", "r12")
        "lsr    r11, r11, #8\n\t"           /* channel d's shift in the low byte */
        PASS3R_RQ3(PASS3R_RQ_ZP, "r6", "r7", "r8", "r9", "r11", "r10", "r12")
        "21:\n\t"
        "ldrd   r0, r1, [sp, #8]\n\t"       /* out, out_c */
        "add    r0, r0, r11, lsr #16\n\t"   /* pixel 0, channel c */
        "add    r9, r0, r1\n\t"             /* pixel 1 */
        "add    r10, r9, r1\n\t"            /* pixel 2 */
        "strb   r3, [r0]\n\t"
        "strb   r6, [r0, #1]\n\t"           /* (d = c + 1 here) */
        "strb   r4, [r9]\n\t"
        "strb   r7, [r9, #1]\n\t"
        "strb   r5, [r10]\n\t"
        "strb   r8, [r10, #1]\n\t"
        "ldr    r1, [lr, #" PASS3R_REC_BYTES "]!\n\t" /* the next record's weights and biases (pipelined) */
        "ldr    r3, [lr, #4]\n\t"
        "ldr    r6, [lr, #8]\n"
        "24:\n\t"
        "cbz    r1, 90f\n"
        "6:\n\t"
        "str    lr, [sp, #4]\n\t"
        PASS3R_FIRST
        "90:\n\t"                           /* the next pass: out + 3 out_c */
        "ldrd   r0, r1, [sp, #8]\n\t"
        "ldr    r2, [sp, #16]\n\t"
        "add    r0, r0, r1, lsl #1\n\t"
        "add    r0, r0, r1\n\t"
        "subs   r2, r2, #1\n\t"
        "str    r0, [sp, #8]\n\t"
        "str    r2, [sp, #16]\n\t"
        "bne    7b\n\t"
        "add    sp, sp, #" PASS3R_FRAME "\n\t"
        "pop    {r4-r11, pc}\n"
        "30:\n\t"                            /* each channel its form */
        "cmp    r0, #0x40000000\n\t"
        "bls    32f\n\t"
        PASS3R_RQ3(PASS3R_RQ_ZP, "r3", "r4", "r5", "r0", "r11", "r1", "r12")
        "b      33f\n"
        "32:\n\t"
        PASS3R_RQ3(PASS3R_RQ_U, "r3", "r4", "r5", "r0", "r11", "r1", "r12")
        "33:\n\t"
        "lsr    r11, r11, #8\n\t"
        "cmp    r9, #0x40000000\n\t"
        "bls    34f\n\t"
        PASS3R_RQ3(PASS3R_RQ_ZP, "r6", "r7", "r8", "r9", "r11", "r10", "r12")
        "tst    r11, #" PASS3R_APART_AFTER "\n\t"
        "beq    21b\n\t"                    /* (neighbours, and the next pair too: the immediate stores) */
        "b      22f\n"
        "34:\n\t"
        PASS3R_RQ3(PASS3R_RQ_U, "r6", "r7", "r8", "r9", "r11", "r10", "r12")
        "tst    r11, #" PASS3R_APART_AFTER "\n\t"
        "beq    21b\n"
        "22:\n\t"                          /* the stores of a pair of any step */
        "ldrd   r0, r1, [sp, #8]\n\t"
        "add    r0, r0, r11, lsr #16\n\t"
        "ubfx   r2, r11, #" PASS3R_STEP_AFTER ", #" PASS3R_STEP_WIDTH "\n\t" /* d - c */
        "add    r9, r0, r1\n\t"
        "add    r10, r9, r1\n\t"
        "strb   r3, [r0]\n\t"               /* (c's first: a store after one of register offset takes 2) */
        "strb   r4, [r9]\n\t"
        "strb   r5, [r10]\n\t"
        "strb   r6, [r0, r2]\n\t"
        "strb   r7, [r9, r2]\n\t"
        "strb   r8, [r10, r2]\n\t"
        "ldr    r1, [lr, #" PASS3R_REC_BYTES "]!\n\t" /* the next record's weights, biases, step */
        "ldr    r3, [lr, #4]\n\t"
        "ldr    r6, [lr, #8]\n\t"
        "ldr    r2, [lr, #32]\n\t"
        "b      24b\n\t");
}

#endif
