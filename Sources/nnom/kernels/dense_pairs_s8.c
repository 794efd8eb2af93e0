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
 * pairs, int16 minus the zero point, each repeated for the four pairs of a group) and each group
 * summed over the piece lane by lane (piece_sums; a last group of one to three pairs: its pairs'
 * words copied apart, then plain dot products, tail_sums); about 2 KB of stack. Measured with callgrind
 * (GCC 12, -O2, x86-64): 640 -> 128 rows 1.67 instructions per MAC, 128 -> 128 2.17 (nnom_dense_s8 on rows: 0.96
 * and 1.61: its dot products become PMADDWD, the lanes' products here PMULLW, PMULHW and unpacking;
 * Clang makes PMADDWD of the pairs' sums as well).
 */
#include <stddef.h>
#include <string.h>

#include "kernels/dense.h"

enum {
    DENSE_CHUNK_PAIRS = 32768, /* input pairs of one exact int32 sum (65536 inputs), a multiple of PIECE_PAIRS */
    PIECE_PAIRS = 64,   /* input pairs summed at a time: int32 sums of one piece cannot overflow */
    VECTOR_LANES = 16,  /* int16 lanes of a vector-friendly block */
    BATCH_GROUPS = 16,  /* groups of eight rows summed over one widened piece */
    GROUP_ROWS = 2 * NNOM_DENSE_PAIR_GROUP
};
/* One piece's sum a_j: |x| <= 255, |lane| <= 32767, 2 PIECE_PAIRS products: below 2^31. */
_Static_assert(2 * PIECE_PAIRS * 255 * 32767 < 2147483647, "PIECE_PAIRS");
_Static_assert(DENSE_CHUNK_PAIRS % PIECE_PAIRS == 0, "a chunk ends where a piece does");

/* sum_i x16[i] * l[i] and sum_i x16[i] * (l[i] >> 8) (the high bytes, w_B) over i < len, added to
 * *a and *b modulo 2^32: dot products of int16 (x86: PMADDWD). */
__attribute__((noinline)) static void lane_dots(const int16_t *x16, const int16_t *l, int32_t len, uint32_t *a,
                                                uint32_t *b)
{
    int32_t sa = 0, sb = 0;
    const int32_t blocked = len & ~(int32_t)(VECTOR_LANES - 1);
    int32_t i;
    for (i = 0; i < blocked; i++) { /* (a trip count GCC's -O2 vectoriser takes) */
        sa += x16[i] * l[i];
        sb += x16[i] * (int16_t)(l[i] >> 8); /* (an arithmetic shift) */
    }
    for (; i < len; i++) {
        sa += x16[i] * l[i];
        sb += x16[i] * (int16_t)(l[i] >> 8);
    }
    *a += (uint32_t)sa;
    *b += (uint32_t)sb;
}

/* piece_sums for a last group of one to three pairs (x16: the piece's 2 n widened inputs in order):
 * each pair's words copied apart, then two dot products (lane_dots). */
static void tail_sums(const int16_t *x16, const uint8_t *gw, int32_t pairs, int32_t n, uint32_t *a, uint32_t *b)
{
    int16_t l[2 * PIECE_PAIRS];
    for (int32_t j = 0; j < pairs; j++) {
        for (int32_t k = 0; k < n; k++) memcpy(&l[2 * k], gw + 4 * ((size_t)k * (size_t)pairs + (size_t)j), 4);
        lane_dots(x16, l, 2 * n, &a[j], &b[j]);
    }
}

/* The a and b sums of the four row pairs of a whole group over one piece of n input pairs added to
 * a[j], b[j] (modulo 2^32): @p xr the piece's inputs widened and repeated lane by lane (xr[8k + 2j + t]
 * = x[2k + t]), @p gw the group's words of the piece (16 bytes per input pair). The group's words for
 * one input pair are eight int16 lanes, each multiplied by its input as it is (a) and by its high
 * byte, w_B (b): element-wise products of eight lanes, vectors for the compiler. */
static void piece_sums(const int16_t *xr, const uint8_t *gw, int32_t n, uint32_t *a, uint32_t *b)
{
    int32_t la[GROUP_ROWS] = {0}, lb[GROUP_ROWS] = {0}; /* per lane; one piece cannot overflow them */
    for (int32_t k = 0; k < n; k++) {
        int16_t g[GROUP_ROWS];
        memcpy(g, gw + sizeof g * (size_t)k, sizeof g);
        const int16_t *x = xr + GROUP_ROWS * k;
        /* (kept a loop: GCC's -O3 unrolls it whole before vectorising, then vectorises neither) */
#pragma GCC unroll 1
        for (int32_t l = 0; l < GROUP_ROWS; l++) {
            la[l] += x[l] * g[l];
            lb[l] += x[l] * (int16_t)(g[l] >> 8); /* the high byte (an arithmetic shift) */
        }
    }
    for (int32_t j = 0; j < NNOM_DENSE_PAIR_GROUP; j++) {
        a[j] += (uint32_t)la[2 * j] + (uint32_t)la[2 * j + 1];
        b[j] += (uint32_t)lb[2 * j] + (uint32_t)lb[2 * j + 1];
    }
}

void nnom_dense_pairs_s8_c(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    const int32_t in_f = a->in_features, out_f = a->out_features;
    const int32_t k_n = (in_f + 1) / 2, rows = out_f + (out_f & 1); /* input pairs, rows padded */
    const int32_t zp = a->in_zero_point, groups = (rows + GROUP_ROWS - 1) / GROUP_ROWS;
    /* inputs of more than one exact int32 chunk: a group at a time, its sums kept in int64 */
    const int32_t chunked = k_n > DENSE_CHUNK_PAIRS, batch_max = chunked ? 1 : BATCH_GROUPS;
    int16_t xr[GROUP_ROWS * PIECE_PAIRS], x16[2 * PIECE_PAIRS];
    uint32_t sa[BATCH_GROUPS * NNOM_DENSE_PAIR_GROUP], sb[BATCH_GROUPS * NNOM_DENSE_PAIR_GROUP];
    int64_t long_a[NNOM_DENSE_PAIR_GROUP], long_b[NNOM_DENSE_PAIR_GROUP];
    for (int32_t g0 = 0; g0 < groups; g0 += batch_max) {
        const int32_t batch = groups - g0 < batch_max ? groups - g0 : batch_max, sums = batch * NNOM_DENSE_PAIR_GROUP;
        memset(sa, 0, sizeof sa);
        memset(sb, 0, sizeof sb);
        memset(long_a, 0, sizeof long_a);
        memset(long_b, 0, sizeof long_b);
        uint32_t s = 0;
        for (int32_t k0 = 0; k0 < k_n; k0 += PIECE_PAIRS) {
            const int32_t n = k_n - k0 < PIECE_PAIRS ? k_n - k0 : PIECE_PAIRS;
            for (int32_t k = 0; k < n; k++) {
                const int32_t i = 2 * (k0 + k);
                const int16_t x0 = (int16_t)(in[i] - zp), x1 = (int16_t)(i + 1 < in_f ? in[i + 1] - zp : 0);
                int16_t *r = xr + GROUP_ROWS * k;
                x16[2 * k] = x0;
                x16[2 * k + 1] = x1;
                for (int32_t j = 0; j < NNOM_DENSE_PAIR_GROUP; j++) {
                    r[2 * j] = x0;
                    r[2 * j + 1] = x1;
                }
                s += (uint32_t)(x0 + x1);
            }
            for (int32_t g = 0; g < batch; g++) {
                const int32_t o = (g0 + g) * GROUP_ROWS;
                const int32_t pairs = rows - o < GROUP_ROWS ? (rows - o) / 2 : NNOM_DENSE_PAIR_GROUP;
                const uint8_t *gw = (const uint8_t *)a->weights + (size_t)o * (size_t)(2 * k_n) + 4u * (size_t)pairs * (size_t)k0;
                uint32_t *ga = sa + NNOM_DENSE_PAIR_GROUP * g, *gb = sb + NNOM_DENSE_PAIR_GROUP * g;
                if (pairs == NNOM_DENSE_PAIR_GROUP)
                    piece_sums(xr, gw, n, ga, gb);
                else
                    tail_sums(x16, gw, pairs, n, ga, gb);
            }
            /* row A's sums, sum_A = a - 256 b - 128 S: exact over one chunk */
            if (k0 + n == k_n || (k0 + n) % DENSE_CHUNK_PAIRS == 0) {
                for (int32_t q = 0; q < sums; q++) sa[q] = sa[q] - (sb[q] << 8) - (s << 7);
                if (chunked) { /* (one group: sums <= NNOM_DENSE_PAIR_GROUP) */
                    for (int32_t q = 0; q < sums; q++) {
                        long_a[q] += (int32_t)sa[q];
                        long_b[q] += (int32_t)sb[q];
                        sa[q] = sb[q] = 0;
                    }
                    s = 0;
                }
            }
        }
        for (int32_t q = 0; q < sums; q++) {
            const int32_t r = g0 * GROUP_ROWS + 2 * q;
            if (r < out_f) out[r] = nnom_dense_output(a, r, chunked ? long_a[q] : (int32_t)sa[q]);
            if (r + 1 < out_f) out[r + 1] = nnom_dense_output(a, r + 1, chunked ? long_b[q] : (int32_t)sb[q]);
        }
    }
}

#include "kernels/arm/arm_dsp.h"
#if !NNOM_USE_ARM_DSP
void nnom_dense_pairs_s8(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out) { nnom_dense_pairs_s8_c(a, in, out); }
#endif
