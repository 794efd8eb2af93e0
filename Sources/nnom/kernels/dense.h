/*
 * Fully connected (dense) kernels, int8 and float32.
 *
 * out[o] = act(sum_i in[i] * weights[o][i] + bias[o]) for o < out_features.
 * The input is read flat: any tensor of in_features elements. Weights are
 * row-major [out_features][in_features], as the DENSE blob 0 stores them.
 * Neither kernel needs scratch memory. @p out must not overlap @p in.
 */
#ifndef NNOM_KERNELS_DENSE_H
#define NNOM_KERNELS_DENSE_H

#include <stdint.h>

#include "kernels/conv.h"
#include "kernels/requant.h"

/** Constants of an int8 dense layer (TFLite int8 scheme). */
typedef struct nnom_dense_s8_args {
    int32_t in_features;       /**< elements read from the input, > 0 */
    int32_t out_features;      /**< units, > 0 */
    const int8_t *weights;     /**< [out_features][in_features], symmetric */
    const int32_t *bias;       /**< [out_features], or NULL for no bias */
    const int32_t *multiplier; /**< Q31 multipliers: [out_features], or [1] when per_channel is 0 */
    const int32_t *shift;      /**< shifts in [-31, 30], same count as multiplier */
    int32_t per_channel;       /**< 1: one multiplier/shift per output; 0: one for the tensor */
    int32_t in_zero_point;     /**< input zero point, in [-128, 127] */
    int32_t out_zero_point;    /**< output zero point, in [-128, 127] */
    int32_t act_lo, act_hi;    /**< output clamp (fused ReLU/ReLU6), -128..127 for none */
} nnom_dense_s8_args;

/**
 * int8 dense: out[o] = clamp(requantize(sum_i (in[i] - in_zp) * w[o][i] + bias[o]) + out_zp,
 * act_lo, act_hi). The accumulator is exact (64-bit across chunks of 65536
 * inputs) and saturated to int32 before requantisation, as TFLite's int32
 * accumulator would be whenever it does not overflow.
 */
void nnom_dense_s8(const nnom_dense_s8_args *args, const int8_t *in, int8_t *out);

/*
 * The output of row o from its exact sum acc (without the bias), shared by the
 * portable and the Cortex-M kernels: acc + bias saturated to int32, then
 * TFLite's requantisation, the output zero point and the clamp. In 32 bits
 * (nnom_requant32 of requant.h) when |acc + bias| < 2^30 and the shift is in
 * [-22, -1]; otherwise nnom_conv_quant of conv.h (one 64-bit multiply; equal
 * to nnom_requantize() for every int32 input).
 */
static inline int8_t nnom_dense_output(const nnom_dense_s8_args *a, int32_t o, int64_t acc)
{
    if (a->bias) acc += a->bias[o];
    const int32_t q = a->per_channel ? o : 0;
    const int32_t m = a->multiplier[q], e = -a->shift[q];
    if (e >= 1 && e <= NNOM_REQUANT32_MAX_E && acc <= NNOM_REQUANT32_MAX_ACC && acc >= -NNOM_REQUANT32_MAX_ACC)
        return nnom_clamp_s8(nnom_requant32((int32_t)acc, m, e, nnom_requant32_const(e, a->out_zero_point)),
                             a->act_lo, a->act_hi);
    const int32_t acc32 = acc > INT32_MAX ? INT32_MAX : (acc < INT32_MIN ? INT32_MIN : (int32_t)acc);
    return nnom_conv_quant_out(nnom_conv_quant_init(0, m, -e), acc32, a->out_zero_point, a->act_lo, a->act_hi);
}

/** Constants of a float32 dense layer. */
typedef struct nnom_dense_f32_args {
    int32_t in_features;
    int32_t out_features;
    const float *weights;      /**< [out_features][in_features] */
    const float *bias;         /**< [out_features], or NULL */
    float act_lo, act_hi;      /**< output clamp, see nnom_act_bounds_f32() */
} nnom_dense_f32_args;

/** float32 dense: out[o] = clamp(sum_i in[i] * w[o][i] + bias[o], act_lo, act_hi), summed in order of i. */
void nnom_dense_f32(const nnom_dense_f32_args *args, const float *in, float *out);

#endif /* NNOM_KERNELS_DENSE_H */
