/*
 * int8 recurrent kernel (SimpleRNN, GRU, LSTM) for Cortex-M cores with the DSP
 * extension, the twin of kernels/rnn_s8.c: same function, same results bit
 * for bit (the equations and roundings are in kernels/rnn.h).
 *
 * Each step first writes the state h into the scratch in SMLAD's pair layout:
 * every group of four units h0 h1 h2 h3 as the int16 pairs (h0, h2) (h1, h3),
 * the order in which SXTB16 widens four int8 weights (units % 4 last values
 * as they are). Then the gate rows go four at a time through one assembly
 * routine (rows4_asm): per group of four inputs, the inputs are widened once
 * with the zero point subtracted (SXTAB16) and per group of four units the
 * pairs are loaded once; each row's four weights are widened by two SXTB16
 * and meet them in two SMLAD: 21-23 instructions per 16 multiply-accumulates.
 * The sums of up to 16 rows are taken (one call), then requantised. A range
 * of rows not a multiple of four ends with a block overlapping the previous
 * one (its rows already done are not requantised again); fewer than four rows
 * go one at a time. The last in_features % 4 inputs and units % 4 units are
 * summed one by one.
 *
 * Sums are exact as in the portable kernel: in int32 while no overflow is
 * possible (|w (x - zp)| < 2^15 over at most 65536 inputs, |w h| <= 2^22 over
 * at most 256 units), the bias added with saturation (QADD: the int64 sum
 * saturated to int32). Longer layers sum chunks of that size in int64.
 * Requantisations use nnom_arm_requant() of arm_dsp.h where it is exact
 * (shift <= -1, the accumulator within [-2^30, 2^30)): checked once per call
 * for all gate rows when the shifts and the biases allow it whatever the data
 * (then no test per row), else per value, nnom_requantize() otherwise. The
 * activation tables are read with one word load and interpolated with one
 * SMLAD, and applied to the gates as they are written (GRU: z and r; LSTM:
 * all four); a GRU that resets after the recurrent product gets its
 * candidate's r * (U h + b') at once too.
 *
 * Scratch: the same as the portable kernel's, int16 [G + 1][units]: the pairs
 * [units] (a GRU that resets before the product puts r * h there, in pairs,
 * once the gates are done), then pre [G * units]. Any 2-byte alignment: the
 * pairs are read with LDR, which takes unaligned addresses on Armv7-M.
 */
#include "kernels/arm/arm_dsp.h"

/* Compiled only as part of kernels/rnn_s8.c, which includes this file on cores with DSP. */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)
#include <stddef.h>

#include "kernels/requant.h"
#include "kernels/rnn.h"
#include "nnom/layers.h"

enum {
    CHUNK_X = 65536, /* inputs whose int32 sum of w (x - zp) cannot overflow (multiple of 4) */
    CHUNK_H = 256,   /* units whose int32 sum of w h cannot overflow (multiple of 4) */
    BATCH = 16,      /* rows summed before they are requantised (multiple of 4) */
    SUMS = BATCH + 6 /* the input sums of a batch (the last block of a range may start 3 rows before the
                      * batch, one row at a time writes 3 after it), then as many recurrent sums */
};

/* What rows4_asm reads (offsets are used by its assembly). */
typedef struct {
    const int8_t *x;    /* 0: inputs */
    const int8_t *w;    /* 4: kernel row 0 */
    int32_t stride_x;   /* 8: bytes between kernel rows (0: one row four times) */
    int32_t nx;         /* 12: groups of four inputs, >= 0 */
    uint32_t neg_zp;    /* 16: -zp in both int16 lanes */
    const int16_t *v;   /* 20: vector in pair layout (any alignment) */
    const int8_t *u;    /* 24: recurrent kernel row 0 */
    int32_t stride_h;   /* 28: bytes between recurrent rows (0: one row four times) */
    int32_t nh;         /* 32: groups of four units, >= 0 */
    int32_t *out;       /* 36: the four input sums to out[0..3], the four recurrent ones to out[SUMS..] */
    int32_t blocks;     /* 40: blocks of four rows, >= 1 (w, u, out move on by four rows each) */
} rows4_args;

_Static_assert(offsetof(rows4_args, neg_zp) == 16 && offsetof(rows4_args, u) == 24 && offsetof(rows4_args, nh) == 32 &&
               offsetof(rows4_args, blocks) == 40 && SUMS * 4 == 88, "rows4_asm reads these offsets");

/* One row of a group: its four weights (r12) widened to (w0, w2) (w1, w3)
 * against the data pairs r2, r3. Rows 0 and 1 are read through r1 (r1 + stride,
 * r1), rows 2 and 3 through r8. */
#define RNN_ROW(LOAD, S)                      \
    LOAD                                      \
    "sxtb16 lr, r12, ror #8\n\t"              \
    "sxtb16 r12, r12\n\t"                     \
    "smlad  " S ", r2, r12, " S "\n\t"        \
    "smlad  " S ", r3, lr, " S "\n\t"
#define RNN_ROWS4                                  \
    RNN_ROW("ldr r12, [r1, r9]\n\t", "r5")         \
    RNN_ROW("ldr r12, [r1], #4\n\t", "r4")         \
    RNN_ROW("ldr r12, [r8, r9]\n\t", "r7")         \
    RNN_ROW("ldr r12, [r8], #4\n\t", "r6")
/* four inputs minus the zero point (r10) in pairs (x0, x2) (x1, x3) */
#define RNN_X_GROUP                  \
    "ldr     r2, [r0], #4\n\t"       \
    "sxtab16 r3, r10, r2, ror #8\n\t" \
    "sxtab16 r2, r10, r2\n\t" RNN_ROWS4
/* four units, already in pairs */
#define RNN_H_GROUP "ldr     r3, [r0, #4]\n\t" "ldr     r2, [r0], #8\n\t" RNN_ROWS4
/* r11 groups (>= 1) of GROUP, two per pass */
#define RNN_LOOP(GROUP, A, B)                \
    "lsrs    r11, r11, #1\n\t"               \
    "bcc     " A "f\n\t"                     \
    "adds    r11, r11, #1\n\t"               \
    "b       " B "f\n"                       \
    A ":\n\t" GROUP B ":\n\t" GROUP          \
    "subs    r11, r11, #1\n\t"               \
    "bne     " A "b\n\t"

/* For blocks b < p->blocks of four rows r = 0..3 (row 4 b + r from w and u, sums to out + 4 b):
 * out[r] = sum_i (x[i] - zp) w[r * stride_x + i], i < 4 nx; out[SUMS + r] = sum_j v[j] u[r * stride_h + j],
 * j < 4 nh (v in pair layout). 21-23 instructions per group of 16 multiply-accumulates; p->w, u, out, blocks
 * are left moved on. (naked: the body is the assembly alone; the argument arrives in r0) */
__attribute__((naked, noinline)) static void rows4_asm(__attribute__((unused)) rows4_args *p)
{
    __asm__ volatile(
        "push    {r0, r4-r11, lr}\n"
        "7:\n\t"
        "ldr     r1, [r0, #4]\n\t"
        "ldr     r9, [r0, #8]\n\t"
        "ldr     r11, [r0, #12]\n\t"
        "ldr     r10, [r0, #16]\n\t"
        "ldr     r0, [r0]\n\t"
        "add     r8, r1, r9, lsl #1\n\t"
        "movs    r4, #0\n\t"
        "movs    r5, #0\n\t"
        "movs    r6, #0\n\t"
        "movs    r7, #0\n\t"
        "cmp     r11, #0\n\t"
        "beq     5f\n\t"
        RNN_LOOP(RNN_X_GROUP, "1", "2")
        "5:\n\t"
        "ldr     r12, [sp]\n\t"
        "ldr     r0, [r12, #36]\n\t"
        "strd    r4, r5, [r0]\n\t"
        "strd    r6, r7, [r0, #8]\n\t"
        "ldr     r0, [r12, #20]\n\t"
        "ldr     r1, [r12, #24]\n\t"
        "ldr     r9, [r12, #28]\n\t"
        "ldr     r11, [r12, #32]\n\t"
        "add     r8, r1, r9, lsl #1\n\t"
        "movs    r4, #0\n\t"
        "movs    r5, #0\n\t"
        "movs    r6, #0\n\t"
        "movs    r7, #0\n\t"
        "cmp     r11, #0\n\t"
        "beq     6f\n\t"
        RNN_LOOP(RNN_H_GROUP, "3", "4")
        "6:\n\t"
        "ldr     r0, [sp]\n\t"
        "ldr     r12, [r0, #36]\n\t"
        "strd    r4, r5, [r12, #88]\n\t"
        "strd    r6, r7, [r12, #96]\n\t"
        "adds    r12, r12, #16\n\t"
        "str     r12, [r0, #36]\n\t"
        "ldrd    r1, r9, [r0, #4]\n\t"
        "add     r1, r1, r9, lsl #2\n\t"
        "str     r1, [r0, #4]\n\t"
        "ldrd    r1, r9, [r0, #24]\n\t"
        "add     r1, r1, r9, lsl #2\n\t"
        "str     r1, [r0, #24]\n\t"
        "ldr     r1, [r0, #40]\n\t"
        "subs    r1, r1, #1\n\t"
        "str     r1, [r0, #40]\n\t"
        "bne     7b\n\t"
        "pop     {r0, r4-r11, pc}\n\t");
}

/* The last n_in % 4 inputs and units % 4 units (v's tail is in natural order), added to t[0..3] and
 * t[SUMS..SUMS+3] (n_in, units: 0 when there is no such sum). */
static void tails(const rows4_args *p, int32_t n_in, int32_t units, int32_t zp, int32_t *t)
{
    for (int32_t i = 4 * p->nx; i < n_in; i++)
        for (int k = 0; k < 4; k++) t[k] += (p->x[i] - zp) * p->w[k * p->stride_x + i];
    for (int32_t j = 4 * p->nh; j < units; j++)
        for (int k = 0; k < 4; k++) t[SUMS + k] += p->v[j] * p->u[k * p->stride_h + j];
}

static int32_t sat32(int64_t v) { return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v); }

/* Layers longer than one chunk: to p->out as rows4_asm, the saturated sums with their biases (bx, bh: NULL
 * or the biases of the four rows, or of the one row), over int64 sums of chunks. */
__attribute__((noinline)) static void long_sums(const rows4_args *p, int32_t n_in, int32_t units, int32_t zp,
                                                const int32_t *bx, const int32_t *bh, int one)
{
    int32_t t[SUMS + 4];
    for (int k = 0; k < 4; k++) t[k] = t[SUMS + k] = 0;
    tails(p, n_in, units, zp, t);
    int64_t acc[8];
    for (int k = 0; k < 4; k++) {
        acc[k] = t[k];
        acc[4 + k] = t[SUMS + k];
    }
    for (int32_t gx = 0, gh = 0; gx < p->nx || gh < p->nh; gx += CHUNK_X / 4, gh += CHUNK_H / 4) {
        rows4_args q = *p;
        q.nx = p->nx - gx < 0 ? 0 : (p->nx - gx > CHUNK_X / 4 ? CHUNK_X / 4 : p->nx - gx);
        q.nh = p->nh - gh < 0 ? 0 : (p->nh - gh > CHUNK_H / 4 ? CHUNK_H / 4 : p->nh - gh);
        q.x += 4 * gx;
        q.w += 4 * gx;
        q.v += 4 * gh;
        q.u += 4 * gh;
        q.out = t;
        rows4_asm(&q);
        for (int k = 0; k < 4; k++) {
            acc[k] += t[k];
            acc[4 + k] += t[SUMS + k];
        }
    }
    for (int k = 0; k < 4; k++) {
        p->out[k] = sat32(acc[k] + (bx ? bx[one ? 0 : k] : 0));
        p->out[SUMS + k] = sat32(acc[4 + k] + (bh ? bh[one ? 0 : k] : 0));
    }
}

__attribute__((noinline)) static int32_t requant_slow(int32_t acc, int32_t mult, int32_t shift)
{
    return nnom_requantize(acc, mult, shift);
}

/* nnom_arm_requant(acc, mult, -shift, 2^(-shift-1)) when shift <= -1 and -2^30 <= acc < 2^30, there equal to
 * nnom_requantize(acc, mult, shift); its last rounding shift (u + 2^(e-1)) >> e written ((u >> (e-1)) + 1) >> 1,
 * e - 1 = ~shift. */
__attribute__((always_inline)) static inline int32_t requant_fast(int32_t acc, int32_t mult, int32_t shift)
{
    const int32_t u = nnom_arm_smmulr((int32_t)((uint32_t)acc << 1), mult);
    return (((u + (u >> 31)) >> ~shift) + 1) >> 1;
}

/* nnom_requantize(acc, mult, shift): requant_fast() where it holds (both sign bits in one test). */
__attribute__((always_inline)) static inline int32_t requant(int32_t acc, int32_t mult, int32_t shift)
{
    if (__builtin_expect((int32_t)(((uint32_t)acc ^ ((uint32_t)acc << 1)) | ~(uint32_t)shift) < 0, 0))
        return requant_slow(acc, mult, shift);
    return requant_fast(acc, mult, shift);
}

static int32_t q15(int32_t a, int32_t b) { return (a * b + (1 << 14)) >> 15; }
/* a + b, wrapping (as the portable kernel's int32 sums do on these cores) */

/* src [n] to dst in pair layout (dst 4-byte aligned): (s0, s2) (s1, s3) per group of four, the tail as it is. */
static void to_pairs(int16_t *dst, const int16_t *src, int32_t n)
{
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32_t a = nnom_arm_load4(src + i), b = nnom_arm_load4(src + i + 2);
        const uint32_t w[2] = {(a & 0xffffu) | (b << 16), (a >> 16) | (b & 0xffff0000u)};
        memcpy(dst + i, w, 8);
    }
    for (; i < n; i++) dst[i] = src[i];
}

/* nnom_rnn_lut(): (a (STEP - f) + b f + STEP / 2) >> SHIFT, a and b in one word, one SMLAD */
__attribute__((always_inline)) static inline int32_t lut(const int16_t *table, int32_t v)
{
    const uint32_t u = (uint32_t)(v - INT16_MIN), f = u & (NNOM_RNN_LUT_STEP - 1u);
    return __smlad((int32_t)nnom_arm_load4(table + (u >> NNOM_RNN_LUT_SHIFT)),
                   (int32_t)((f << 16) | (NNOM_RNN_LUT_STEP - f)), NNOM_RNN_LUT_STEP / 2) >> NNOM_RNN_LUT_SHIFT;
}

enum pass_mode {
    PASS_XH,    /* pre = sat16(rq(x part) + rq(h part)), then lut(table, pre) unless table is NULL */
    PASS_XH2,   /* GRU candidate, reset after: pre = sat16(sat16(rq(x part)) + q15(r, sat16(rq(h part + b')))),
                 * r the reset gate of the unit (pre, units rows before) */
    PASS_X,     /* GRU candidate, reset before: pre = sat16(rq(x part)) */
    PASS_H      /* GRU candidate, reset before, on v = r * h: pre = sat16(pre + rq(h part)) */
};

/* Requantisation of n rows from row r: their sums s[i] (input part) and s[SUMS + i] (recurrent part),
 * the biases bx, bh (NULL: none, or already added) still to add, to pre from row r,
 * through the activation table (PASS_XH) unless it is NULL, when requant_fast() holds for every row (see
 * fast_rows()). (always inlined into combine(): a loop for each of PASS_XH and PASS_XH2, with what it needs
 * only; the other cases take the general loop) */
__attribute__((always_inline)) static inline void combine_mode(const nnom_rnn_s8_args *a, const int mode,
                                                               const int32_t *s, int32_t r,
                                                               int32_t n, const int32_t *bx, const int32_t *bh,
                                                               const int16_t *table, int16_t *pre)
{
    const int32_t units = a->units, rows = a->cell * units;
    const int32_t *mx = a->requant + r, *sx = mx + rows, *mh = sx + rows, *sh = mh + rows;
    if (bx) bx += r;
    if (bh) bh += r;
    pre += r;
    for (const int32_t *end = s + n; s < end; s++) {
        int32_t vh = 0, vx = 0;
        if (mode != PASS_X) {
            const int32_t ah = bh ? __qadd(s[SUMS], *bh++) : s[SUMS];
            vh = requant_fast(ah, *mh++, *sh++);
        }
        if (mode != PASS_H) {
            const int32_t ax = bx ? __qadd(s[0], *bx++) : s[0];
            vx = requant_fast(ax, *mx++, *sx++);
        }
        if (mode == PASS_XH2) vx = __ssat(vx, 16) + q15(pre[-units], __ssat(vh, 16));
        if (mode == PASS_H) vx = *pre;
        int32_t v = __ssat(mode == PASS_XH2 ? vx : __qadd(vx, vh), 16);
        if (mode == PASS_XH && table) v = lut(table, v);
        *pre++ = (int16_t)v;
    }
}

static void combine(const nnom_rnn_s8_args *a, int mode, int fast, const int32_t *s, int32_t r, int32_t n,
                    const int32_t *bx, const int32_t *bh, const int16_t *table, int16_t *pre)
{
    if (!fast || mode == PASS_X || mode == PASS_H) { /* (a GRU resetting before: the general loop) */
        const int32_t rows = a->cell * a->units;
        const int32_t *q = a->requant;
        for (int32_t i = 0; i < n; i++, r++) {
            int32_t vh = 0, vx = 0;
            if (mode != PASS_X)
                vh = requant(bh ? __qadd(s[SUMS + i], bh[r]) : s[SUMS + i], q[2 * rows + r], q[3 * rows + r]);
            if (mode != PASS_H) vx = requant(bx ? __qadd(s[i], bx[r]) : s[i], q[r], q[rows + r]);
            if (mode == PASS_XH2) vx = __ssat(vx, 16) + q15(pre[r - a->units], __ssat(vh, 16));
            if (mode == PASS_H) vx = pre[r];
            const int32_t v = __ssat(mode == PASS_XH2 ? vx : __qadd(vx, vh), 16);
            pre[r] = (int16_t)(mode == PASS_XH && table ? lut(table, v) : v);
        }
    } else if (mode == PASS_XH) {
        combine_mode(a, PASS_XH, s, r, n, bx, bh, table, pre);
    } else {
        combine_mode(a, PASS_XH2, s, r, n, bx, bh, table, pre);
    }
}

/* Whether requant_fast() holds for every row's requantisations: every shift <= -1, and every sum plus its
 * bias within [-2^30, 2^30) whatever the data (|w (x - zp)| <= 128 * 255, |w h| <= 2^22). */
static int fast_rows(const nnom_rnn_s8_args *a)
{
    const int32_t units = a->units, rows = a->cell * units;
    const int64_t limit = (int64_t)1 << 30;
    const int64_t dx = (int64_t)a->in_features * (128 * 255), dh = (int64_t)units << 22;
    const int32_t *rec_bias = a->bias && a->cell == NNOM_RNN_CELL_GRU && (a->flags & NNOM_RNN_RESET_AFTER)
                                  ? a->bias + rows : NULL;
    if (dx >= limit || dh >= limit) return 0;
    for (int32_t r = 0; r < rows; r++) {
        const int64_t bx = a->bias ? a->bias[r] : 0, bh = rec_bias ? rec_bias[r] : 0;
        if (a->requant[rows + r] >= 0 || a->requant[3 * rows + r] >= 0 || bx >= limit - dx || bx < dx - limit ||
            bh >= limit - dh || bh < dh - limit)
            return 0;
    }
    return 1;
}

/* Rows [r0, r1) of one step: x the step's input, v the vector of the recurrent sums in pair layout;
 * table: see PASS_XH. */
static void pass(const nnom_rnn_s8_args *a, const int8_t *x, const int16_t *v, int32_t r0, int32_t r1, int mode,
                 const int16_t *table, int fast, int16_t *pre)
{
    const int32_t n_in = a->in_features, units = a->units, rows = a->cell * units, zp = a->in_zero_point;
    const int one = r1 - r0 < 4; /* one row at a time */
    const int with_x = mode != PASS_H, with_h = mode != PASS_X;
    const int longer = n_in > CHUNK_X || units > CHUNK_H;
    const int32_t *bx = with_x ? a->bias : NULL;
    const int32_t *bh = with_h && mode != PASS_H && a->bias && a->cell == NNOM_RNN_CELL_GRU &&
                        (a->flags & NNOM_RNN_RESET_AFTER) ? a->bias + rows : NULL;
    const int tail = (with_x && (n_in & 3)) || (with_h && (units & 3));
    int32_t sums[2 * SUMS];
    rows4_args p;
    p.x = x;
    p.v = v;
    p.stride_x = one ? 0 : n_in;
    p.stride_h = one ? 0 : units;
    p.nx = with_x ? n_in >> 2 : 0;
    p.nh = with_h ? units >> 2 : 0;
    p.neg_zp = (uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u;
    for (int32_t start = r0; start < r1; start += BATCH) {
        const int32_t end = r1 - start < BATCH ? r1 : start + BATCH;
        int32_t o = start;
        if (!one && !longer && !tail && end - start >= 4) { /* the whole blocks in one call */
            p.w = a->kernel + (size_t)start * (size_t)n_in;
            p.u = a->recurrent + (size_t)start * (size_t)units;
            p.out = sums + 3;
            p.blocks = (end - start) >> 2;
            o = start + 4 * p.blocks;
            rows4_asm(&p);
        }
        while (o < end) { /* one block at a time */
            const int32_t base = one ? o : (o + 4 > r1 ? r1 - 4 : o);
            p.w = a->kernel + (size_t)base * (size_t)n_in;
            p.u = a->recurrent + (size_t)base * (size_t)units;
            p.out = sums + 3 + (base - start);
            p.blocks = 1;
            if (longer) {
                long_sums(&p, with_x ? n_in : 0, with_h ? units : 0, zp, bx ? bx + base : NULL, bh ? bh + base : NULL,
                          one);
            } else {
                rows4_args q = p; /* (rows4_asm moves w, u, out on) */
                rows4_asm(&q);
                if (tail) tails(&p, with_x ? n_in : 0, with_h ? units : 0, zp, p.out);
            }
            o = one ? o + 1 : base + 4;
        }
        combine(a, mode, fast, sums + 3, start, end - start, longer ? NULL : bx, longer ? NULL : bh, table, pre);
    }
}

void nnom_rnn_s8(const nnom_rnn_s8_args *a, const int8_t *in, int8_t *out, int16_t *state, int16_t *scratch)
{
    const int32_t units = a->units, rows = a->cell * units, n_in = a->in_features;
    const int backwards = (a->flags & NNOM_RNN_GO_BACKWARDS) != 0;
    const int sequences = (a->flags & NNOM_RNN_RETURN_SEQUENCES) != 0;
    const int input_order = (a->flags & NNOM_RNN_INPUT_ORDER) != 0;
    const int reset_after = (a->flags & NNOM_RNN_RESET_AFTER) != 0;
    const int16_t *t_act = a->tables, *t_rec = a->tables + NNOM_RNN_TABLE_SIZE, *t_cell = a->tables + 2 * NNOM_RNN_TABLE_SIZE;
    const int32_t *k = a->consts;
    int16_t *h = state, *c = state + units;
    int16_t *pairs = scratch, *pre = scratch + units; /* [units], [rows] */
    const int fast = fast_rows(a);

    for (int32_t step = 0; step < a->steps; step++) {
        const int32_t t = backwards ? a->steps - 1 - step : step;
        const int8_t *x = in + (size_t)t * (size_t)n_in;
        to_pairs(pairs, h, units);
        if (a->cell == NNOM_RNN_CELL_SIMPLE) {
            pass(a, x, pairs, 0, rows, PASS_XH, t_act, fast, pre);
            memcpy(h, pre, (size_t)units * sizeof *h);
        } else if (a->cell == NNOM_RNN_CELL_LSTM) { /* i, f, g, o: activated as they are written */
            pass(a, x, pairs, 0, 2 * units, PASS_XH, t_rec, fast, pre);
            pass(a, x, pairs, 2 * units, 3 * units, PASS_XH, t_act, fast, pre);
            pass(a, x, pairs, 3 * units, rows, PASS_XH, t_rec, fast, pre);
            for (int32_t u = 0; u < units; u++) {
                const int32_t i = pre[u], f = pre[units + u], g = pre[2 * units + u], o = pre[3 * units + u];
                const int32_t ig = requant(i * g, k[NNOM_RNN_MIX_MULT], k[NNOM_RNN_MIX_SHIFT]);
                c[u] = (int16_t)__ssat(__qadd(q15(f, c[u]), ig), 16);
                h[u] = (int16_t)__ssat(requant(o * lut(t_cell, c[u]), k[NNOM_RNN_HID_MULT], k[NNOM_RNN_HID_SHIFT]), 16);
            }
        } else {
            int16_t *z = pre, *rg = pre + units, *cand = pre + 2 * units;
            pass(a, x, pairs, 0, 2 * units, PASS_XH, t_rec, fast, pre); /* z, r: activated */
            pass(a, x, pairs, 2 * units, rows, reset_after ? PASS_XH2 : PASS_X, NULL, fast, pre);
            if (!reset_after) { /* r * h in pair layout where h was */
                for (int32_t u = 0; u < units; u++) pairs[u] = (int16_t)q15(rg[u], h[u]);
                to_pairs(pairs, pairs, units);
                pass(a, x, pairs, 2 * units, rows, PASS_H, NULL, fast, pre);
            }
            for (int32_t u = 0; u < units; u++) {
                const int32_t keep = q15(z[u], h[u]);
                const int32_t mix = requant((32768 - z[u]) * lut(t_act, cand[u]), k[NNOM_RNN_MIX_MULT],
                                            k[NNOM_RNN_MIX_SHIFT]);
                h[u] = (int16_t)__ssat(__qadd(keep, mix), 16);
            }
        }
        if (sequences || step == a->steps - 1) {
            int8_t *row = out + (sequences ? (size_t)(input_order ? t : step) * (size_t)units : 0);
            for (int32_t u = 0; u < units; u++)
                row[u] = (int8_t)__ssat(__qadd(requant(h[u], k[NNOM_RNN_OUT_MULT], k[NNOM_RNN_OUT_SHIFT]),
                                              a->out_zero_point), 8);
        }
    }
}

#else
typedef int nnom_arm_rnn_s8_unused; /* compiled on its own: empty (see above) */
#endif
