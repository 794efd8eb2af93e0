/*
 * Element-wise binary kernels: add, subtract, multiply.
 *
 * in1 is `rows` x `channels` values (any tensor read flat, channels last).
 * in2 has the same size, or with `broadcast` set only `channels` values that
 * are reused for every row (a per-channel vector over H and W).
 * Each output element depends only on the input elements at the same index,
 * so out may be the same buffer as in1, or as in2 when it is not broadcast (in place).
 *
 * int8 (TFLite reference arithmetic, integer only):
 *   add/sub: x1' = requant((x1 - zp1) * 2^20, m1, s1), x2' likewise,
 *            out = clamp(requant(x1' +- x2', m_out, s_out) + zp_out, act_lo, act_hi)
 *            with params = {m1, s1, m2, s2, m_out, s_out} (nnom_quant_add_params()).
 *   mul:     out = clamp(requant((x1 - zp1) * (x2 - zp2), m, s) + zp_out, act_lo, act_hi)
 *            with params = {m, s} (nnom_quant_mul_params()).
 * Preconditions: zero points in [-128, 127], shifts in [-31, 30],
 * -128 <= act_lo <= act_hi <= 127.
 */
#ifndef NNOM_KERNELS_ELEMENTWISE_H
#define NNOM_KERNELS_ELEMENTWISE_H

#include <stdint.h>

/* int32 words of the params blob: add/subtract {m1, s1, m2, s2, m_out, s_out}, multiply {m, s} */
#define NNOM_ADD_PARAM_COUNT 6
#define NNOM_MUL_PARAM_COUNT 2

typedef struct nnom_elementwise_s8_args {
    const int8_t *in1;
    const int8_t *in2;
    int8_t *out;
    int32_t rows;
    int32_t channels;
    int32_t broadcast;       /* nonzero: in2 holds `channels` values */
    int32_t in1_zero_point;
    int32_t in2_zero_point;
    int32_t out_zero_point;
    int32_t act_lo, act_hi;  /* output clamp (fused activation) */
    const int32_t *params;   /* add/sub: int32[NNOM_ADD_PARAM_COUNT], mul: int32[NNOM_MUL_PARAM_COUNT] */
} nnom_elementwise_s8_args;

void nnom_add_s8(const nnom_elementwise_s8_args *a);
void nnom_sub_s8(const nnom_elementwise_s8_args *a);
void nnom_mul_s8(const nnom_elementwise_s8_args *a);

typedef struct nnom_elementwise_f32_args {
    const float *in1;
    const float *in2;
    float *out;
    int32_t rows;
    int32_t channels;
    int32_t broadcast;
    float act_lo, act_hi;    /* output clamp (fused activation) */
} nnom_elementwise_f32_args;

void nnom_add_f32(const nnom_elementwise_f32_args *a);
void nnom_sub_f32(const nnom_elementwise_f32_args *a);
void nnom_mul_f32(const nnom_elementwise_f32_args *a);

#endif /* NNOM_KERNELS_ELEMENTWISE_H */
