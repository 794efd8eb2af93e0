/*
 * Matrix products of two activations, batched: for each of `batch` pairs,
 * out (M, N) = A (M, K) x B (K, N), or x B^T with B stored (N, K) (transpose_b), row-major.
 *
 * int8, TFLite-style: acc = sum_k (a - a_zp)(b - b_zp) in int32, then
 * out = clamp(requant(acc, multiplier, shift) + out_zp, act_lo, act_hi), the multiplier ~
 * a_scale * b_scale / out_scale (nnom_quant_mul_params()).
 * Precondition: K <= NNOM_MATMUL_MAX_DEPTH, so |acc| <= K * 255 * 255 < 2^31.
 * float32: plain sums in float.
 * out must not overlap A or B.
 */
#ifndef NNOM_KERNELS_MATMUL_H
#define NNOM_KERNELS_MATMUL_H

#include <stdint.h>

#define NNOM_MATMUL_MAX_DEPTH 32768

typedef struct nnom_matmul_dims {
    int32_t batch, m, k, n;
    int32_t transpose_b; /* 1: B is (N, K) */
} nnom_matmul_dims;

typedef struct nnom_matmul_s8_args {
    const int8_t *a, *b;
    int8_t *out;
    nnom_matmul_dims d;
    int32_t a_zero_point, b_zero_point, out_zero_point;
    int32_t multiplier, shift;
    int32_t act_lo, act_hi;
} nnom_matmul_s8_args;

void nnom_matmul_s8(const nnom_matmul_s8_args *x);

void nnom_matmul_f32(const float *a, const float *b, float *out, const nnom_matmul_dims *d);

#endif /* NNOM_KERNELS_MATMUL_H */
