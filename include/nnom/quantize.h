/**
 * @file quantize.h
 * @brief Helpers that derive the int8 constants a layer reads (multipliers,
 *        shifts, lookup tables) from real-valued scales.
 *
 * They are used when a model is built (by the converter, or by hand through
 * the builder API), never during inference. They use float maths; firmware
 * that only loads models does not link them.
 */
#ifndef NNOM_QUANTIZE_H
#define NNOM_QUANTIZE_H

#include <stdint.h>
#include "nnom/layers.h"
#include "nnom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Splits a positive real multiplier into a Q31 fixed-point multiplier and a
 * power-of-two shift: real ~= multiplier * 2^(shift - 31), multiplier in
 * [2^30, 2^31) (or 0 when @p real is 0). Positive shift is a left shift.
 * Returns NNOM_ERR_ARGUMENT for a negative, NaN or infinite value, or one
 * whose shift would fall outside [-31, 30].
 */
NNOM_API nnom_status nnom_quant_multiplier(double real, int32_t *multiplier, int32_t *shift);

/**
 * Requantisation constants of a conv, depthwise conv or dense layer: for each
 * of @p n output channels, input_scale * weight_scales[i] / output_scale as
 * multiplier and shift (@p n is 1 for per-tensor weights).
 */
NNOM_API nnom_status nnom_quant_conv_params(float input_scale, const float *weight_scales, int32_t n,
                                            float output_scale, int32_t *multipliers, int32_t *shifts);

/**
 * Constants of an int8 ADD or SUBTRACT, the layout its blob 0 expects:
 * params = {m1, s1, m2, s2, m_out, s_out} (TFLite's scheme). Both inputs are
 * shifted left by 20 bits and rescaled to a common scale twice the larger
 * input scale, m_i ~ scale_i / (2 * max(scale1, scale2)) (so s1, s2 <= 0);
 * the int32 sum is requantised by m_out ~ 2 * max_scale / (2^20 * out.scale).
 * Returns NNOM_ERR_ARGUMENT for a NULL @p params, a scale that is not positive
 * and finite, a zero point outside [-128, 127], or an output multiplier that
 * is out of range (shift beyond [-31, 30]) or vanishes.
 */
NNOM_API nnom_status nnom_quant_add_params(nnom_quant in1, nnom_quant in2, nnom_quant out, int32_t params[6]);

/**
 * Constants of an int8 MULTIPLY, the layout its blob 0 expects:
 * params = {m, s} ~ in1.scale * in2.scale / out.scale. Errors as for
 * nnom_quant_add_params().
 */
NNOM_API nnom_status nnom_quant_mul_params(nnom_quant in1, nnom_quant in2, nnom_quant out, int32_t params[2]);

/**
 * Constants of one int8 CONCATENATE input, its two words of blob 0:
 * {multiplier, shift} ~ in.scale / out.scale, or {0, 0} (a plain copy) when
 * @p in and @p out are the same quantisation (scale and zero point). A ratio
 * that cannot be represented (below 2^-32 or of 2^30 or more) is
 * NNOM_ERR_ARGUMENT, as are the errors of nnom_quant_add_params().
 */
NNOM_API nnom_status nnom_quant_concat_params(nnom_quant in, nnom_quant out, int32_t params[2]);

/**
 * Constants of an int8 average pool (AVG_POOL1D/2D, GLOBAL_AVG_POOL) whose output has a
 * quantisation of its own, its blob 0: params = {multiplier, shift} ~ in.scale / out.scale.
 * @p cells is the number of cells of the largest window (GLOBAL_AVG_POOL: H x W; a window pool:
 * its pool size clipped to the input). The kernel requantises a window's sum before dividing it
 * by its count (kernels/pool.h), so the sum in output steps must fit: NNOM_ERR_UNSUPPORTED when
 * 255 x cells x 2^shift exceeds 2^31 - 2^23 (an output scale far finer than the input's; keep
 * the input's quantisation and no blobs then). NNOM_ERR_ARGUMENT for a NULL @p params, a scale
 * that is not positive and finite, a zero point outside [-128, 127], @p cells outside
 * [1, 2^23], or a ratio that has no multiplier and shift.
 */
NNOM_API nnom_status nnom_quant_avg_pool_params(nnom_quant in, nnom_quant out, int32_t cells, int32_t params[2]);

/**
 * The 256-entry table of an int8 element-wise activation (RELU, RELU6,
 * LEAKY_RELU, SIGMOID, TANH, HARD_SIGMOID, HARD_SWISH): table[q + 128] is the output for
 * input q, the real function rounded to the nearest output step (ties away
 * from zero) and saturated to int8:
 *   table[q + 128] = sat8(round(f(in.scale * (q - in.zero_point)) / out.scale) + out.zero_point),
 * computed in double precision. @p alpha is LeakyReLU's slope (ignored by the
 * others). HARD_SIGMOID is Keras 3's relu6(x + 3) / 6, not Keras 2's
 * clip(0.2 x + 0.5, 0, 1). Returns NNOM_ERR_ARGUMENT for another layer type, a
 * NULL @p table, a bad quantisation, or a non-finite alpha for LEAKY_RELU.
 */
NNOM_API nnom_status nnom_quant_activation_table(nnom_layer_type type, float alpha, nnom_quant in,
                                                 nnom_quant out, int8_t table[256]);

/**
 * The 256-entry table of an int8 ACTIVATION layer computing @p fn with its @p n_consts constants
 * @p consts (as nnom_function lists them), rounded and saturated as nnom_quant_activation_table()
 * does, computed in double precision. Returns NNOM_ERR_ARGUMENT for an unknown function, a wrong
 * number of constants or a non-finite one (CELU: alpha must be > 0), a NULL @p table or a bad
 * quantisation.
 */
NNOM_API nnom_status nnom_quant_function_table(nnom_function fn, const float *consts, int32_t n_consts, nnom_quant in,
                                               nnom_quant out, int8_t table[256]);

/**
 * The exp table of an int8 SOFTMAX: table[d] = round(2^16 * exp(-d * input_scale))
 * for d = max(x) - x in [0, 255] (table[0] = 65536). The kernel then needs only
 * integers: out = round(256 * table[d] / sum over the row) - 128. Returns
 * NNOM_ERR_ARGUMENT for a NULL @p table or a scale that is not positive and finite.
 */
NNOM_API nnom_status nnom_quant_softmax_table(nnom_quant in, uint32_t table[256]);

/**
 * A 513-entry int16 table of an activation inside an int8 recurrent layer (its blob 4):
 *   table[k] = sat16(round(f(in_scale * (128 k - 32768)) / out_scale)),  k = 0 .. 512,
 * f the ::nnom_rnn_act @p act, in double precision, ties away from zero. The kernel reads an
 * int16 input v between entries k = (v + 32768) >> 7 and k + 1, interpolating linearly (see
 * kernels/rnn.h), so the result is off by the interpolation error, at most
 * max|f''| (128 in_scale)^2 / 8 / out_scale steps, plus one step of rounding: tanh over a
 * pre-activation range of +-8 (in_scale 2^-12) into Q15 is within 4 steps of 2^-15, sigmoid
 * within 2; relu and linear are exact (their kinks fall on entries), the hard sigmoids within
 * one step away from their corners. Returns NNOM_ERR_ARGUMENT for a NULL @p table, an unknown
 * @p act or a scale that is not positive and finite.
 */
NNOM_API nnom_status nnom_quant_rnn_table(nnom_rnn_act act, float in_scale, float out_scale, int16_t table[513]);

/**
 * Constants of an int8 LAYER_NORM over a last axis of @p depth values (1 to 4096): per channel, the
 * multiplier and shift (<= 0) of gamma * sqrt(depth) / (out scale * 2^30), negative for a negative
 * gamma, and the bias round(beta / out scale); and the epsilon term round(depth^3 * epsilon /
 * in scale^2) as an int64, low word first (see Sources/nnom/kernels/layer_norm.h). @p gamma and
 * @p beta may be NULL (1 and 0). NNOM_ERR_ARGUMENT for a bad argument or a gamma or beta too large
 * for the output scale.
 */
NNOM_API nnom_status nnom_quant_layer_norm_params(nnom_quant in, nnom_quant out, const float *gamma,
                                                 const float *beta, int32_t depth, float epsilon,
                                                 int32_t *multipliers, int32_t *shifts, int32_t *biases,
                                                 int32_t eps_term[2]);

/** Quantises a real value: round(x / scale) + zero_point, saturated to int8. */
NNOM_API int8_t nnom_quant_s8(float x, nnom_quant q);

/** Dequantises: scale * (q - zero_point). */
NNOM_API float nnom_dequant_s8(int8_t q, nnom_quant quant);

#ifdef __cplusplus
}
#endif
#endif /* NNOM_QUANTIZE_H */
