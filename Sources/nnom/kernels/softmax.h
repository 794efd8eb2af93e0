/*
 * Softmax over one axis: `rows` independent vectors of `depth` values each, `inner` apart (the
 * product of the dimensions after the axis; 1 for the last axis, where each vector is a row).
 * Vector r starts at (r / inner) * depth * inner + r % inner (nnom_softmax_first()), so a tensor
 * (outer, depth, inner) has rows = outer * inner.
 *
 * int8, integer only: for each row, with d = max - x in [0, 255] and the
 * table exp_table[d] = round(2^16 * exp(-d * input_scale)) made by
 * nnom_quant_softmax_table(),
 *   sum = sum of exp_table[max - x] over the row (64-bit),
 *   out = clamp(round_half_up(256 * exp_table[max - x] / sum) - 128, -128, 127),
 * i.e. the output quantisation is fixed at scale 1/256, zero point -128.
 *
 * TFLite-compatible int8 (nnom_softmax_tflite_s8), bit-exact with TFLite's
 * reference int8 softmax (gemmlowp fixed point): with d = max - x,
 *   tflite_table[d]       = exp(-d * beta * input_scale) in Q0 (INT32_MAX for
 *                           d = 0), 0 where TFLite's diff_min cuts d off,
 *   tflite_table[256 + d] = tflite_table[d] rescaled to Q12 (rounding shift by 12),
 *   sum = sum of tflite_table[256 + d] over the row (int32),
 *   h = leading zeros of sum, r = 1 / (1 + ((sum << h) - 2^31) / 2^31) in Q0
 *   (gemmlowp's one_over_one_plus_x_for_x_in_0_1),
 *   out = clamp(rhaz(srdhm(r, tflite_table[d]) / 2^(12 - h + 23)) - 128, -128, 127).
 * The tables are made on the host (the .tflite importer). Preconditions: depth
 * below 4096 and every tflite_table[256 + d] in [0, 2^19] (1 in Q12), tflite_table[256]
 * above 0, so that the Q12 sum lies in [1, 2^31) (nnom_softmax_tflite_bad_entry()). A sum of
 * 512 or more makes the final exponent 12 - h + 23 exceed 31: the quotient is then below
 * 1/2 in magnitude and every output of the row is -128.
 *
 * float32: exp(x - max) / sum, numerically stable.
 *
 * All read a whole vector before writing it, so out may be in (in place).
 */
#ifndef NNOM_KERNELS_SOFTMAX_H
#define NNOM_KERNELS_SOFTMAX_H

#include <stdint.h>

typedef struct nnom_softmax_s8_args {
    const int8_t *in;
    int8_t *out;
    int32_t rows;
    int32_t depth;
    const uint32_t *exp_table; /* uint32[256] */
    int32_t inner;             /* >= 1: the distance between the values of one vector */
} nnom_softmax_s8_args;

typedef struct nnom_softmax_tflite_s8_args {
    const int8_t *in;
    int8_t *out;
    int32_t rows;
    int32_t depth;               /* at most NNOM_SOFTMAX_TFLITE_MAX_DEPTH */
    const int32_t *tflite_table; /* int32[512] */
    int32_t inner;               /* >= 1: the distance between the values of one vector */
} nnom_softmax_tflite_s8_args;

/* Entries of one exp table. */
#define NNOM_SOFTMAX_TABLE_SIZE 256
/* Longest row of the TFLite-compatible softmax. */
#define NNOM_SOFTMAX_TFLITE_MAX_DEPTH 4095
/* 1 in Q12 (TFLite's sum of exponentials): the largest entry of the second TFLite table. */
#define NNOM_SOFTMAX_TFLITE_SUM_ONE (1 << 19)

/* Whether @p table (int32[512]) meets the TFLite softmax's preconditions (above); returns the index of
 * the first entry that does not, or -1. */
static inline int32_t nnom_softmax_tflite_bad_entry(const int32_t *table)
{
    const int32_t *exp_sum = table + NNOM_SOFTMAX_TABLE_SIZE;
    if (exp_sum[0] <= 0) return NNOM_SOFTMAX_TABLE_SIZE;
    for (int32_t d = 0; d < NNOM_SOFTMAX_TABLE_SIZE; d++)
        if (exp_sum[d] < 0 || exp_sum[d] > NNOM_SOFTMAX_TFLITE_SUM_ONE) return NNOM_SOFTMAX_TABLE_SIZE + d;
    return -1;
}

/* The offset of the first value of vector @p r. */
static inline int64_t nnom_softmax_first(int32_t r, int32_t depth, int32_t inner)
{
    return inner == 1 ? (int64_t)r * depth : (int64_t)(r / inner) * depth * inner + r % inner;
}

void nnom_softmax_s8(const nnom_softmax_s8_args *a);
void nnom_softmax_tflite_s8(const nnom_softmax_tflite_s8_args *a);

void nnom_softmax_f32(const float *in, float *out, int32_t rows, int32_t depth, int32_t inner);

#endif /* NNOM_KERNELS_SOFTMAX_H */
