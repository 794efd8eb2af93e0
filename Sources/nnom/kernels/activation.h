/*
 * Element-wise activations.
 *
 * int8: every activation (relu, relu6, leaky relu, sigmoid, tanh, hard
 * sigmoid) is one 256-entry table lookup, out = table[in + 128], the table
 * made at build time by nnom_quant_activation_table() with the input and
 * output quantisations baked in.
 *
 * float32: direct formulas. exp and tanh are computed here without libm
 * (firmware links no maths library), to within a few float ulps.
 *
 * Every kernel reads element i before writing element i, so out may be in
 * (in place).
 */
#ifndef NNOM_KERNELS_ACTIVATION_H
#define NNOM_KERNELS_ACTIVATION_H

#include <stdint.h>

/* Entries of an int8 lookup table: one per int8 value. */
#define NNOM_LUT_S8_SIZE 256

void nnom_lut_s8(const int8_t *in, int8_t *out, int32_t n, const int8_t table[NNOM_LUT_S8_SIZE]);

void nnom_relu_f32(const float *in, float *out, int32_t n);
void nnom_relu6_f32(const float *in, float *out, int32_t n);
/* x >= 0 ? x : alpha * x */
void nnom_leaky_relu_f32(const float *in, float *out, int32_t n, float alpha);
void nnom_sigmoid_f32(const float *in, float *out, int32_t n);
void nnom_tanh_f32(const float *in, float *out, int32_t n);
/* Keras 3: relu6(x + 3) / 6 */
void nnom_hard_sigmoid_f32(const float *in, float *out, int32_t n);

/* exp(x) and tanh(x) in single precision without libm (relative error < 4e-7). */
float nnom_expf(float x);
float nnom_tanhf(float x);

#endif /* NNOM_KERNELS_ACTIVATION_H */
