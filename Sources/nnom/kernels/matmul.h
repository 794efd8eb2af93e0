/*
 * Matrix products of two activations, batched: for each of `batch` pairs,
 * out (M, N) = A (M, K) x B (K, N), or x B^T with B stored (N, K) (transpose_b), row-major.
 *
 * int8, TFLite-style: acc = sum_k (a - a_zp)(b - b_zp) in int32, then
 * out = clamp(requant(acc, multiplier, shift) + out_zp, act_lo, act_hi), the multiplier ~
 * a_scale * b_scale / out_scale (nnom_quant_mul_params()).
 * Precondition: K <= NNOM_MATMUL_MAX_DEPTH, so |acc| <= K * 255 * 255 < 2^31 (also every partial
 * sum, in any order).
 * Both operands are read along K: a B given as (K, N) is first copied transposed, one batch at a
 * time, into the scratch (nnom_matmul_s8_scratch_bytes(): K x N bytes; none for transpose_b).
 * On Cortex-M cores with the DSP extension kernels/arm/matmul_s8.c replaces the int8 kernel,
 * bit-exact with it.
 * float32: plain sums in float, no scratch.
 * out must not overlap A, B or the scratch.
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
    int8_t *scratch; /* nnom_matmul_s8_scratch_bytes(&d) bytes (NULL when 0) */
} nnom_matmul_s8_args;

/* Scratch of nnom_matmul_s8(): one batch of B transposed, unless B is given transposed. */
static inline uint32_t nnom_matmul_s8_scratch_bytes(const nnom_matmul_dims *d)
{
    return d->transpose_b ? 0u : (uint32_t)d->k * (uint32_t)d->n;
}

/* Batch @p p of B as (N, K) rows: B itself when given transposed, else copied transposed into the scratch. */
static inline const int8_t *nnom_matmul_b_rows(const nnom_matmul_s8_args *x, int32_t p)
{
    const nnom_matmul_dims *d = &x->d;
    const int8_t *b = x->b + (int64_t)p * d->k * d->n;
    if (d->transpose_b) return b;
    for (int32_t k = 0; k < d->k; k++, b += d->n) {
        int8_t *column = x->scratch + k;
        for (int32_t j = 0; j < d->n; j++, column += d->k) *column = b[j];
    }
    return x->scratch;
}

void nnom_matmul_s8(const nnom_matmul_s8_args *x);

void nnom_matmul_f32(const float *a, const float *b, float *out, const nnom_matmul_dims *d);

#endif /* NNOM_KERNELS_MATMUL_H */
