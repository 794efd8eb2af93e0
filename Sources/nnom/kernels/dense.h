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

#include <stddef.h>
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
 * to nnom_requantize() for every int32 input). Always inlined: the portable
 * kernels call it once per row, where a call cost x86-64 about 10 of its ~50
 * instructions.
 */
static inline __attribute__((always_inline)) int8_t nnom_dense_output(const nnom_dense_s8_args *a, int32_t o, int64_t acc)
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

/*
 * Weights in row pairs (DENSE cell_flags NNOM_DENSE_ROW_PAIRS, the layout the converter writes):
 * rows and inputs are padded to even counts (R = out_features rounded up to even, K = in_features
 * rounded up to even; the padding weights are zero) and the rows taken in groups of
 * NNOM_DENSE_PAIR_GROUP pairs (8 rows; the last group: the pairs left). Group g (rows 8g on) starts
 * at byte 8 g K; with P its pairs, its word j of input pair k (j < P, k < K / 2) is at byte
 * 8 g K + 4 (k P + j) and holds, for rows A = 8g + 2j and B = A + 1, inputs i = 2k and 2k + 1:
 *
 *     byte 0: w[A][i] ^ 0x80,  byte 1: w[B][i],  byte 2: w[A][i + 1] ^ 0x80,  byte 3: w[B][i + 1]
 *
 * Read as two little-endian int16, the word is (w[A][i] + 128 + 256 w[B][i], w[A][i+1] + 128 +
 * 256 w[B][i+1]). So one multiply-accumulate of pairs (x_i, x_i+1) with the word as it is gives
 * sum_A + 128 (x_i + x_i+1) + 256 sum_B, and one with its odd bytes sign-extended gives sum_B:
 * two rows from one widening instead of two (Cortex-M: SMLAD, SXTB16 ... ROR #8, SMLAD), and
 *
 *     sum_A = a - 256 b - 128 sum_i x_i   (modulo 2^32, exact whenever |sum_A| < 2^31).
 *
 * R K bytes in all: NNOM_DENSE_PAIRS_BYTES.
 */
enum { NNOM_DENSE_PAIR_GROUP = 4 /* row pairs of a group: 8 rows */ };
#define NNOM_DENSE_PAIRS_BYTES(in_features, out_features) \
    ((uint64_t)((out_features) + ((out_features) & 1)) * (uint64_t)((in_features) + ((in_features) & 1)))
/* The bit flipped in each row A weight byte (so that the byte read unsigned is w + 128). */
#define NNOM_DENSE_PAIR_FLIP 0x80u

/* The row-pair layout of row-major int8 weights w[out_features][in_features] into @p pairs
 * (NNOM_DENSE_PAIRS_BYTES bytes): what the converter writes, and the tests' reference for it. */
static inline void nnom_dense_pairs_pack(const int8_t *w, int32_t in_features, int32_t out_features, uint8_t *pairs)
{
    const int32_t k_n = (in_features + 1) / 2, rows = out_features + (out_features & 1);
    for (int32_t o = 0; o < rows; o += 2 * NNOM_DENSE_PAIR_GROUP) {
        const int32_t p_n = rows - o < 2 * NNOM_DENSE_PAIR_GROUP ? (rows - o) / 2 : NNOM_DENSE_PAIR_GROUP;
        uint8_t *g = pairs + (size_t)o * (size_t)(2 * k_n);
        for (int32_t k = 0; k < k_n; k++)
            for (int32_t j = 0; j < p_n; j++)
                for (int32_t t = 0; t < 4; t++) { /* byte t: row A (t even) or B, input 2k + t / 2 */
                    const int32_t row = o + 2 * j + (t & 1), i = 2 * k + t / 2;
                    const int8_t v = row < out_features && i < in_features ? w[(size_t)row * (size_t)in_features + (size_t)i] : 0;
                    g[4 * ((size_t)k * (size_t)p_n + (size_t)j) + (size_t)t] =
                        (uint8_t)((uint8_t)v ^ ((t & 1) ? 0u : NNOM_DENSE_PAIR_FLIP));
                }
    }
}

/**
 * int8 dense with the weights in row pairs (above): the same function as nnom_dense_s8, bit for
 * bit, @p args->weights pointing at the pairs (NNOM_DENSE_PAIRS_BYTES bytes).
 */
void nnom_dense_pairs_s8(const nnom_dense_s8_args *args, const int8_t *in, int8_t *out);
/* Its portable C form (kernels/dense_pairs_s8.c), which the Cortex-M kernel calls for the layers it
 * does not take. */
void nnom_dense_pairs_s8_c(const nnom_dense_s8_args *args, const int8_t *in, int8_t *out);

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
