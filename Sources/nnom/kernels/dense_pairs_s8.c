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
 * DENSE_PAIRS_CHUNK inputs |sum_A|, |sum_B| <= 65536 * 32640 < 2^31, so the values modulo 2^32
 * are the exact sums. Longer inputs are summed chunk by chunk into int64, and each row's output is
 * nnom_dense_output() of that sum, as nnom_dense_s8 computes it: the same bytes.
 */
#include <stddef.h>
#include <string.h>

#include "kernels/dense.h"

enum {
    DENSE_PAIRS_CHUNK = 65536, /* inputs of one int32 partial sum (even) */
    DENSE_PAIR_ROWS = 2 * NNOM_DENSE_PAIR_GROUP /* rows of a whole group */
};

/* The sums of the first @p pairs row pairs of the group at @p gw (@p stride bytes per input pair:
 * 4 P, P its pairs) over input pairs k0 <= k < k1 (k1 - k0 <= DENSE_PAIRS_CHUNK / 2) added to
 * sum[2 j] (row A of pair j) and sum[2 j + 1] (row B). */
static inline __attribute__((always_inline)) void group_sums(const uint8_t *gw, size_t stride, int32_t pairs,
                                                             const int8_t *in, int32_t in_f, int32_t zp, int32_t k0,
                                                             int32_t k1, int64_t *sum)
{
    uint32_t a[NNOM_DENSE_PAIR_GROUP] = {0}, b[NNOM_DENSE_PAIR_GROUP] = {0}, s = 0;
    for (int32_t k = k0; k < k1; k++) {
        const int32_t x0 = in[2 * k] - zp, x1 = 2 * k + 1 < in_f ? in[2 * k + 1] - zp : 0;
        const uint8_t *p = gw + (size_t)k * stride;
        s += (uint32_t)(x0 + x1);
        for (int32_t j = 0; j < pairs; j++) {
            int16_t l0, l1;
            memcpy(&l0, p + 4 * j, sizeof l0);
            memcpy(&l1, p + 4 * j + 2, sizeof l1);
            a[j] += (uint32_t)(x0 * l0 + x1 * l1);
            b[j] += (uint32_t)(x0 * (int8_t)p[4 * j + 1] + x1 * (int8_t)p[4 * j + 3]);
        }
    }
    for (int32_t j = 0; j < pairs; j++) {
        sum[2 * j] += (int32_t)(a[j] - (b[j] << 8) - (s << 7));
        sum[2 * j + 1] += (int32_t)b[j];
    }
}

void nnom_dense_pairs_s8_c(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    const int32_t in_f = a->in_features, out_f = a->out_features;
    const int32_t k_n = (in_f + 1) / 2, rows = out_f + (out_f & 1); /* input pairs, rows padded */
    const int32_t zp = a->in_zero_point;
    for (int32_t o = 0; o < out_f; o += DENSE_PAIR_ROWS) {
        const int32_t pairs = rows - o < DENSE_PAIR_ROWS ? (rows - o) / 2 : NNOM_DENSE_PAIR_GROUP;
        const uint8_t *gw = (const uint8_t *)a->weights + (size_t)o * (size_t)(2 * k_n);
        const size_t stride = 4u * (size_t)pairs;
        int64_t sum[DENSE_PAIR_ROWS] = {0};
        for (int32_t k0 = 0; k0 < k_n; k0 += DENSE_PAIRS_CHUNK / 2) {
            const int32_t k1 = k_n - k0 < DENSE_PAIRS_CHUNK / 2 ? k_n : k0 + DENSE_PAIRS_CHUNK / 2;
            if (pairs == NNOM_DENSE_PAIR_GROUP) /* (a constant count: the inner loop unrolled) */
                group_sums(gw, stride, NNOM_DENSE_PAIR_GROUP, in, in_f, zp, k0, k1, sum);
            else
                group_sums(gw, stride, pairs, in, in_f, zp, k0, k1, sum);
        }
        for (int32_t r = 0; r < DENSE_PAIR_ROWS && o + r < out_f; r++) out[o + r] = nnom_dense_output(a, o + r, sum[r]);
    }
}

#include "kernels/arm/arm_dsp.h"
#if !NNOM_USE_ARM_DSP
void nnom_dense_pairs_s8(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out) { nnom_dense_pairs_s8_c(a, in, out); }
#endif
