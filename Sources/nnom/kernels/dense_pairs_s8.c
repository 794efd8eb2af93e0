/*
 * int8 dense kernel over weights in row pairs (the layout of kernels/dense.h): the portable form
 * (nnom_dense_pairs_s8_c, nnom_dense_pairs_s8 itself on other cores; on Cortex-M cores with DSP,
 * kernels/arm/dense_pairs.h defines nnom_dense_pairs_s8 and calls this form for what it does not take).
 *
 * A group's words for one input pair k (P words, 4 P bytes) are read as 2 P little-endian int16
 * lanes L: lane 2j = w[A][2k] + 128 + 256 w[B][2k], lane 2j + 1 the same for input 2k + 1. With
 * x = in - zp (0 for the padding input), per pair j of the group:
 *
 *     a_j += x0 L[2j] + x1 L[2j+1]        b_j += x0 w[B][2k] + x1 w[B][2k+1]
 *
 * modulo 2^32 (uint32), then sum_B = b_j and sum_A = a_j - 256 b_j - 128 S, S the sum of x over
 * the inputs taken. |x| <= 255 and |L| <= 32767, so each product fits int32; over at most
 * DENSE_CHUNK_PAIRS input pairs (65536 inputs) |sum_A|, |sum_B| <= 65536 * 32640 < 2^31, so the
 * values modulo 2^32 are the exact sums. Longer inputs are summed chunk by chunk into int64, and
 * each row's output is nnom_dense_output() of that sum, as nnom_dense_s8 computes it: the same bytes.
 *
 * Loops: per batch of BATCH_GROUPS groups, the input is widened piece by piece (PIECE_PAIRS input
 * pairs, int16 minus the zero point, in order; widen_piece) and each group's words of the piece laid
 * out pair by pair (pair_layout: for a whole group a transposition of 4 x 4 words, which GCC
 * vectorises with shuffles), so that each sum is a dot product of int16 over contiguous lanes: eight
 * of them in one loop (group_dots; pair_dots for a last group's pairs), PMADDWD on x86-64. GCC 12
 * makes PMADDWD of nothing else here: neither of the pairs' interleaved lanes (as Clang does) nor
 * of sums across the four pairs of a group. The rows are written by write_rows (nnom_dense_output()
 * of each, its 32-bit case in a loop of its own). About 1.9 KB of stack (pieces of 128 input pairs:
 * 3.2 KB, about 0.04 instructions per MAC less on 640 -> 128).
 *
 * Measured with callgrind (GCC 12, x86-64, instructions per MAC, -O2 / -O3): 640 -> 128 1.08 / 1.07,
 * 128 -> 128 1.37 / 1.33, 128 -> 640 1.35 / 1.31, 128 -> 8 1.85 / 1.79; the MLPerf autoencoder
 * 1.31 / 1.28 (it was 2.02 / 1.97 with the lanes' products element by element, PMULLW, PMULHW and
 * unpacking: 23 instructions per 16 multiply-accumulates against 15 here).
 */
#include <stddef.h>
#include <string.h>

#include "kernels/dense.h"

enum {
    DENSE_CHUNK_PAIRS = 32768, /* input pairs of one exact int32 sum (65536 inputs), a multiple of PIECE_PAIRS */
    PIECE_PAIRS = 64,         /* input pairs widened and laid out at a time */
    BLOCK_PAIRS = 4,           /* input pairs of one vector block: eight int16 lanes */
    BLOCK_LANES = 2 * BLOCK_PAIRS,
    PIECE_LANES = 2 * PIECE_PAIRS,
    BATCH_GROUPS = 16,         /* groups of eight rows summed over one widened piece */
    GROUP_ROWS = 2 * NNOM_DENSE_PAIR_GROUP,
    WORD_BYTES = 4             /* a word: one row pair, one input pair */
};
_Static_assert(DENSE_CHUNK_PAIRS % PIECE_PAIRS == 0, "a chunk ends where a piece does");
_Static_assert(PIECE_PAIRS % BLOCK_PAIRS == 0, "a piece is whole blocks");

/* The lanes of one row pair over a piece: l[2k + t] the word of input pair k read as int16 (t: 0, 1). */
typedef int16_t pair_lanes[PIECE_LANES];

/* x16[t] = in[i0 + t] - zp for the piece's 2 n inputs from i0 (0 past in_f: the padding input), then 0
 * up to the end of its last block; returns their sum modulo 2^32. */
static uint32_t widen_piece(const int8_t *in, int32_t in_f, int32_t zp, int32_t i0, int32_t n, int16_t *x16)
{
    const int32_t len = in_f - i0 < 2 * n ? in_f - i0 : 2 * n;
    const int32_t lanes = BLOCK_LANES * ((n + BLOCK_PAIRS - 1) / BLOCK_PAIRS);
    const int8_t *x = in + i0;
    uint32_t s = 0;
    int32_t t = 0;
    const int32_t whole = len & ~(int32_t)(2 * BLOCK_LANES - 1); /* (a trip count GCC's -O2 vectoriser takes) */
    for (; t < whole; t++) {
        x16[t] = (int16_t)(x[t] - zp);
        s += (uint32_t)x16[t];
    }
    for (; t < len; t++) {
        x16[t] = (int16_t)(x[t] - zp);
        s += (uint32_t)x16[t];
    }
    for (; t < lanes; t++) x16[t] = 0;
    return s;
}

/* A group's words of a piece of n input pairs (P = pairs words per input pair at @p gw) laid out pair
 * by pair: l[j] the lanes of row pair j (the words copied as they are), 0 up to the end of the last
 * block. For four pairs, the whole blocks' copy is a transposition of 4 x 4 words that compilers
 * vectorise (x86-64 SSE2: shuffles, 25 instructions per block of 16 words). */
static void pair_layout(const uint8_t *restrict gw, int32_t pairs, int32_t n, pair_lanes *restrict l)
{
    int32_t k = 0;
    if (pairs == NNOM_DENSE_PAIR_GROUP) {
        const int32_t whole = n & ~(int32_t)(BLOCK_PAIRS - 1); /* (a trip count GCC's -O2 vectoriser takes) */
        for (; k < whole; k++) {
            const uint8_t *w = gw + (size_t)(WORD_BYTES * NNOM_DENSE_PAIR_GROUP) * (size_t)k;
            uint32_t w0, w1, w2, w3;
            memcpy(&w0, w, WORD_BYTES);
            memcpy(&w1, w + WORD_BYTES, WORD_BYTES);
            memcpy(&w2, w + 2 * WORD_BYTES, WORD_BYTES);
            memcpy(&w3, w + 3 * WORD_BYTES, WORD_BYTES);
            memcpy(&l[0][2 * k], &w0, WORD_BYTES);
            memcpy(&l[1][2 * k], &w1, WORD_BYTES);
            memcpy(&l[2][2 * k], &w2, WORD_BYTES);
            memcpy(&l[3][2 * k], &w3, WORD_BYTES);
        }
    }
    const int32_t done = k, pad = BLOCK_PAIRS * ((n + BLOCK_PAIRS - 1) / BLOCK_PAIRS);
    if (done == pad) return;
    for (int32_t j = 0; j < pairs; j++) { /* the rest pair by pair (a last group's, one to three pairs) */
        const uint8_t *w = gw + WORD_BYTES * ((size_t)done * (size_t)pairs + (size_t)j);
        for (k = done; k < n; k++, w += WORD_BYTES * pairs) memcpy(&l[j][2 * k], w, WORD_BYTES);
        for (; k < pad; k++) l[j][2 * k] = l[j][2 * k + 1] = 0;
    }
}

/* Over @p blocks blocks of lanes, for the four row pairs of a group: ab[2j] += sum_t x16[t] l[j][t] and
 * ab[2j + 1] += sum_t x16[t] (l[j][t] >> 8) (the high bytes, w_B), modulo 2^32: eight dot products of
 * int16 over contiguous lanes, which compilers vectorise (x86-64: PMADDWD; 35 instructions per block
 * of 64 multiply-accumulates with GCC 12). */
__attribute__((noinline)) static void group_dots(const int16_t *x16, const pair_lanes *l, int32_t blocks, uint32_t *ab)
{
    uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    const int32_t lanes = BLOCK_LANES * blocks; /* (a trip count GCC's -O2 vectoriser takes) */
    for (int32_t t = 0; t < lanes; t++) {
        const int32_t x = x16[t];
        a0 += (uint32_t)(x * l[0][t]);
        b0 += (uint32_t)(x * (int16_t)(l[0][t] >> 8)); /* (an arithmetic shift) */
        a1 += (uint32_t)(x * l[1][t]);
        b1 += (uint32_t)(x * (int16_t)(l[1][t] >> 8));
        a2 += (uint32_t)(x * l[2][t]);
        b2 += (uint32_t)(x * (int16_t)(l[2][t] >> 8));
        a3 += (uint32_t)(x * l[3][t]);
        b3 += (uint32_t)(x * (int16_t)(l[3][t] >> 8));
    }
    ab[0] += a0, ab[1] += b0, ab[2] += a1, ab[3] += b1;
    ab[4] += a2, ab[5] += b2, ab[6] += a3, ab[7] += b3;
}

/* group_dots for one row pair (a last group's): ab[0], ab[1]. */
__attribute__((noinline)) static void pair_dots(const int16_t *x16, const int16_t *l, int32_t blocks, uint32_t *ab)
{
    uint32_t sa = 0, sb = 0;
    const int32_t lanes = BLOCK_LANES * blocks;
    for (int32_t t = 0; t < lanes; t++) {
        sa += (uint32_t)(x16[t] * l[t]);
        sb += (uint32_t)(x16[t] * (int16_t)(l[t] >> 8));
    }
    ab[0] += sa;
    ab[1] += sb;
}

/* Whether a row is in nnom_dense_output()'s 32-bit case: shift -e in [-22, -1], |v| < 2^30 (v: sum + bias). */
static inline int row_in32(int64_t v, int32_t e)
{
    return e >= 1 && e <= NNOM_REQUANT32_MAX_E && v <= NNOM_REQUANT32_MAX_ACC && v >= -NNOM_REQUANT32_MAX_ACC;
}

/* nnom_dense_output() in one place (it is large): the rows outside write_rows()'s 32-bit loops and
 * the sums of inputs longer than a chunk. */
__attribute__((noinline)) static int8_t row_output(const nnom_dense_s8_args *a, int32_t o, int64_t acc)
{
    return nnom_dense_output(a, o, acc);
}

/* The 32-bit case of write_rows() (nnom_requant32) for per-channel constants (m[r], shift[r]; bias
 * NULL or bias[r]): o[r] for the rows in it; returns how many it left. */
__attribute__((noinline)) static int32_t rows32_channels(const int32_t *acc, const int32_t *bias, const int32_t *m,
                                                         const int32_t *shift, const nnom_dense_s8_args *a, int32_t count,
                                                         int8_t *o)
{
    const int32_t lo = a->act_lo, hi = a->act_hi;
    const uint32_t c1 = 2u * (uint32_t)a->out_zero_point + 1u; /* nnom_requant32_const(e, zp) = c1 << (e - 1) */
    int32_t left = 0;
    for (int32_t r = 0; r < count; r++) {
        const int64_t v = (int64_t)acc[r] + (bias ? bias[r] : 0);
        const int32_t e = -shift[r];
        if (row_in32(v, e))
            o[r] = nnom_clamp_s8(nnom_requant32((int32_t)v, m[r], e, (int32_t)(c1 << (e - 1))), lo, hi);
        else
            left++;
    }
    return left;
}

/* rows32_channels() for one multiplier and shift for all rows. */
__attribute__((noinline)) static int32_t rows32_tensor(const int32_t *acc, const int32_t *bias, const nnom_dense_s8_args *a,
                                                       int32_t count, int8_t *o)
{
    const int32_t lo = a->act_lo, hi = a->act_hi, m = a->multiplier[0], e = -a->shift[0];
    const int32_t c = e >= 1 && e <= NNOM_REQUANT32_MAX_E ? nnom_requant32_const(e, a->out_zero_point) : 0;
    int32_t left = 0;
    for (int32_t r = 0; r < count; r++) {
        const int64_t v = (int64_t)acc[r] + (bias ? bias[r] : 0);
        if (row_in32(v, e))
            o[r] = nnom_clamp_s8(nnom_requant32((int32_t)v, m, e, c), lo, hi);
        else
            left++;
    }
    return left;
}

/* out[r0 + r] for r < count: the rows' outputs from their exact sums acc[r], nnom_dense_output() of
 * each: its 32-bit case (nnom_requant32) in loops of their own, which keep the layer's constants in
 * registers (x86-64, -O2: about 38 instructions a row, 66 with the calls inline in the loop over the
 * sums), then the rows they left. */
static void write_rows(const nnom_dense_s8_args *a, int32_t r0, int32_t count, const int32_t *acc, int8_t *out)
{
    const int32_t *bias = a->bias ? a->bias + r0 : NULL;
    const int32_t left = a->per_channel ? rows32_channels(acc, bias, a->multiplier + r0, a->shift + r0, a, count, out + r0)
                                        : rows32_tensor(acc, bias, a, count, out + r0);
    for (int32_t r = 0; left && r < count; r++)
        if (!row_in32((int64_t)acc[r] + (bias ? bias[r] : 0), -a->shift[a->per_channel ? r0 + r : 0]))
            out[r0 + r] = row_output(a, r0 + r, acc[r]);
}

void nnom_dense_pairs_s8_c(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    const int32_t in_f = a->in_features, out_f = a->out_features;
    const int32_t k_n = (in_f + 1) / 2, rows = out_f + (out_f & 1); /* input pairs, rows padded */
    const int32_t zp = a->in_zero_point, groups = (rows + GROUP_ROWS - 1) / GROUP_ROWS;
    /* inputs of more than one exact int32 chunk: a group at a time, its sums kept in int64 */
    const int32_t chunked = k_n > DENSE_CHUNK_PAIRS, batch_max = chunked ? 1 : BATCH_GROUPS;
    int16_t x16[PIECE_LANES];
    pair_lanes l[NNOM_DENSE_PAIR_GROUP];
    uint32_t ab[BATCH_GROUPS * GROUP_ROWS]; /* the batch's sums in the order of its rows: a_j, b_j, ... */
    int64_t long_ab[GROUP_ROWS];
    int32_t widened = -1; /* the piece in x16 (its first input pair) */
    uint32_t widened_s = 0;
    for (int32_t g0 = 0; g0 < groups; g0 += batch_max) {
        const int32_t batch = groups - g0 < batch_max ? groups - g0 : batch_max, sums = batch * GROUP_ROWS;
        memset(ab, 0, (size_t)sums * sizeof ab[0]);
        if (chunked) memset(long_ab, 0, sizeof long_ab);
        uint32_t s = 0;
        for (int32_t k0 = 0; k0 < k_n; k0 += PIECE_PAIRS) {
            const int32_t n = k_n - k0 < PIECE_PAIRS ? k_n - k0 : PIECE_PAIRS, blocks = (n + BLOCK_PAIRS - 1) / BLOCK_PAIRS;
            if (k0 != widened) { /* (an input of one piece: widened once) */
                widened_s = widen_piece(in, in_f, zp, 2 * k0, n, x16);
                widened = k0;
            }
            s += widened_s;
            for (int32_t g = 0; g < batch; g++) {
                const int32_t o = (g0 + g) * GROUP_ROWS;
                const int32_t pairs = rows - o < GROUP_ROWS ? (rows - o) / 2 : NNOM_DENSE_PAIR_GROUP;
                const uint8_t *gw = (const uint8_t *)a->weights + (size_t)o * (size_t)(2 * k_n) +
                                    (size_t)WORD_BYTES * (size_t)pairs * (size_t)k0;
                uint32_t *gab = ab + GROUP_ROWS * g;
                pair_layout(gw, pairs, n, l);
                if (pairs == NNOM_DENSE_PAIR_GROUP)
                    group_dots(x16, l, blocks, gab);
                else
                    for (int32_t j = 0; j < pairs; j++) pair_dots(x16, l[j], blocks, gab + 2 * j);
            }
            /* row A's sums, sum_A = a - 256 b - 128 S: exact over one chunk */
            if (k0 + n == k_n || (k0 + n) % DENSE_CHUNK_PAIRS == 0) {
                for (int32_t q = 0; q < sums; q += 2) ab[q] = ab[q] - (ab[q + 1] << 8) - (s << 7);
                if (chunked) { /* (one group: sums <= GROUP_ROWS) */
                    for (int32_t q = 0; q < sums; q++) {
                        long_ab[q] += (int32_t)ab[q];
                        ab[q] = 0;
                    }
                    s = 0;
                }
            }
        }
        const int32_t r0 = g0 * GROUP_ROWS, count = out_f - r0 < sums ? out_f - r0 : sums;
        if (chunked)
            for (int32_t r = 0; r < count; r++) out[r0 + r] = row_output(a, r0 + r, long_ab[r]);
        else
            write_rows(a, r0, count, (const int32_t *)ab, out); /* (the sums as int32: exact, see above) */
    }
}

#include "kernels/arm/arm_dsp.h"
#if !NNOM_USE_ARM_DSP
void nnom_dense_pairs_s8(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out) { nnom_dense_pairs_s8_c(a, in, out); }
#endif
