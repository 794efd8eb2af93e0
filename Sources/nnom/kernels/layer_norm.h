/*
 * Layer normalisation over the last axis: `rows` independent rows of `depth` values,
 * y = gamma * (x - mean) / sqrt(var + epsilon) + beta, var the biased variance of the row.
 *
 * int8, integer only. With the row's sum S = sum x_j and u_j = depth * x_j - S
 * (= depth * (x_j - mean), exact):
 *   T = sum u_j^2 + E,   E = round(depth^3 * epsilon / input_scale^2)  (int64, made at build time)
 *   n_j = u_j / sqrt(T)  in Q30: |n_j| <= 1, since u_j^2 <= T
 *       (x_j - mean) / sqrt(var + epsilon) = sqrt(depth) * n_j, and sqrt(depth) is folded into the
 *       multipliers below)
 *   out_j = clamp(requant(n_j, multiplier_j, shift_j) + bias_j + out_zero_point)
 *       multiplier_j, shift_j ~ gamma_j * sqrt(depth) / (output_scale * 2^30) (negative multiplier
 *       for a negative gamma, 0 for 0), bias_j = round(beta_j / output_scale);
 *       made by nnom_quant_layer_norm_params().
 * 1 / sqrt(T) is a fixed-point reciprocal square root: T is scaled by 4^k into [2^60, 2^62),
 * then NNOM_LAYER_NORM_NEWTON_STEPS Newton steps y <- y (3 - x y^2) / 2 in Q30 (x = T 4^k / 2^62 in
 * [1/4, 1), y -> 1 / sqrt(x) in (1, 2]), from a linear first guess.
 * Preconditions (the layer checks them): 1 <= depth <= NNOM_LAYER_NORM_MAX_DEPTH, so that
 * |u_j| < 2^20 and sum u_j^2 < 2^52; 0 <= E <= NNOM_LAYER_NORM_MAX_EPS_TERM, so T < 2^62;
 * shift_j <= 0 (the real multipliers are below 1: no left shift can overflow).
 * A row whose T is 0 (constant, with epsilon 0) gives bias_j + out_zero_point.
 *
 * float32: two passes (mean, then variance), 1 / sqrt by Newton steps in double (no libm).
 *
 * Both read a whole row before writing it, so out may be in (in place).
 */
#ifndef NNOM_KERNELS_LAYER_NORM_H
#define NNOM_KERNELS_LAYER_NORM_H

#include <stdint.h>

#define NNOM_LAYER_NORM_MAX_DEPTH 4096
#define NNOM_LAYER_NORM_MAX_EPS_TERM ((int64_t)1 << 61)
#define NNOM_LAYER_NORM_NEWTON_STEPS 6

typedef struct nnom_layer_norm_s8_args {
    const int8_t *in;
    int8_t *out;
    int32_t rows;
    int32_t depth;
    const int32_t *multipliers; /* [depth] */
    const int32_t *shifts;      /* [depth], <= 0 */
    const int32_t *biases;      /* [depth], output steps */
    int64_t eps_term;           /* E above */
    int32_t out_zero_point;
} nnom_layer_norm_s8_args;

void nnom_layer_norm_s8(const nnom_layer_norm_s8_args *a);

/* 1 / sqrt(x) for x = x_q / 2^31 in [1/4, 1) (x_q in [2^29, 2^31)), in Q30. */
int64_t nnom_rsqrt_q30(int64_t x_q);

typedef struct nnom_layer_norm_f32_args {
    const float *in;
    float *out;
    int32_t rows;
    int32_t depth;
    const float *gamma; /* [depth], NULL: 1 */
    const float *beta;  /* [depth], NULL: 0 */
    float epsilon;
} nnom_layer_norm_f32_args;

void nnom_layer_norm_f32(const nnom_layer_norm_f32_args *a);

#endif /* NNOM_KERNELS_LAYER_NORM_H */
