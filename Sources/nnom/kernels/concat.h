/*
 * Concatenation on any axis.
 *
 * A concatenation of tensors of equal rank that differ only on `axis` is, in
 * memory (row-major, channels last), `outer` repetitions of: inputs[0]'s
 * `inner` elements, then inputs[1]'s, and so on, where outer is the product
 * of the dimensions before the axis and each input's inner is the product of
 * its dimensions from the axis to the end. The kernels work on that view, so
 * one routine serves every axis and rank.
 *
 * int8: an input with multiplier 0 is copied as is (it shares the output's
 * quantisation); otherwise every value is requantised:
 *   out = clamp(requant(x - zp_in, multiplier, shift) + zp_out, -128, 127).
 * Preconditions: zero points in [-128, 127], shifts in [-31, 30]; the output
 * must not overlap any input.
 */
#ifndef NNOM_KERNELS_CONCAT_H
#define NNOM_KERNELS_CONCAT_H

#include <stdint.h>

typedef struct nnom_concat_input_s8 {
    const int8_t *data;
    int32_t inner;       /* elements per outer step */
    int32_t zero_point;
    int32_t multiplier;  /* 0: copy */
    int32_t shift;
} nnom_concat_input_s8;

typedef struct nnom_concat_s8_args {
    const nnom_concat_input_s8 *inputs;
    int32_t n_inputs;
    int32_t outer;
    int32_t out_zero_point;
    int8_t *out;
} nnom_concat_s8_args;

void nnom_concat_s8(const nnom_concat_s8_args *a);

typedef struct nnom_concat_input_f32 {
    const float *data;
    int32_t inner;
} nnom_concat_input_f32;

typedef struct nnom_concat_f32_args {
    const nnom_concat_input_f32 *inputs;
    int32_t n_inputs;
    int32_t outer;
    float *out;
} nnom_concat_f32_args;

void nnom_concat_f32(const nnom_concat_f32_args *a);

#endif /* NNOM_KERNELS_CONCAT_H */
