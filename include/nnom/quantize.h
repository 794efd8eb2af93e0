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
nnom_status nnom_quant_multiplier(double real, int32_t *multiplier, int32_t *shift);

/**
 * Requantisation constants of a conv, depthwise conv or dense layer: for each
 * of @p n output channels, input_scale * weight_scales[i] / output_scale as
 * multiplier and shift (@p n is 1 for per-tensor weights).
 */
nnom_status nnom_quant_conv_params(float input_scale, const float *weight_scales, int32_t n,
                                   float output_scale, int32_t *multipliers, int32_t *shifts);

/** Constants of an int8 ADD or SUBTRACT, the layout its blob 0 expects (int32[6]). */
nnom_status nnom_quant_add_params(nnom_quant in1, nnom_quant in2, nnom_quant out, int32_t params[6]);

/** Constants of an int8 MULTIPLY, the layout its blob 0 expects (int32[2]). */
nnom_status nnom_quant_mul_params(nnom_quant in1, nnom_quant in2, nnom_quant out, int32_t params[2]);

/** Constants of an int8 CONCATENATE input: {multiplier, shift}, multiplier 0 when in == out. */
nnom_status nnom_quant_concat_params(nnom_quant in, nnom_quant out, int32_t params[2]);

/**
 * The 256-entry table of an int8 element-wise activation (RELU, RELU6,
 * LEAKY_RELU, SIGMOID, TANH, HARD_SIGMOID): table[q + 128] is the output for
 * input q, the real function rounded to the nearest output step (ties away
 * from zero) and saturated to int8. @p alpha is LeakyReLU's slope.
 */
nnom_status nnom_quant_activation_table(nnom_layer_type type, float alpha, nnom_quant in,
                                        nnom_quant out, int8_t table[256]);

/**
 * The exp table of an int8 SOFTMAX: table[d] = round(2^16 * exp(-d * input_scale))
 * for d = max(x) - x in [0, 255].
 */
nnom_status nnom_quant_softmax_table(nnom_quant in, uint32_t table[256]);

/** Quantises a real value: round(x / scale) + zero_point, saturated to int8. */
int8_t nnom_quant_s8(float x, nnom_quant q);

/** Dequantises: scale * (q - zero_point). */
float nnom_dequant_s8(int8_t q, nnom_quant quant);

#ifdef __cplusplus
}
#endif
#endif /* NNOM_QUANTIZE_H */
