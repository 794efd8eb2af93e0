/*
 * Softmax over the last axis: `rows` independent rows of `depth` values.
 *
 * int8, integer only: for each row, with d = max - x in [0, 255] and the
 * table exp_table[d] = round(2^16 * exp(-d * input_scale)) made by
 * nnom_quant_softmax_table(),
 *   sum = sum of exp_table[max - x] over the row (64-bit),
 *   out = clamp(round_half_up(256 * exp_table[max - x] / sum) - 128, -128, 127),
 * i.e. the output quantisation is fixed at scale 1/256, zero point -128.
 *
 * float32: exp(x - max) / sum, numerically stable.
 *
 * Both read a whole row before writing it, so out may be in (in place).
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
} nnom_softmax_s8_args;

void nnom_softmax_s8(const nnom_softmax_s8_args *a);

void nnom_softmax_f32(const float *in, float *out, int32_t rows, int32_t depth);

#endif /* NNOM_KERNELS_SOFTMAX_H */
