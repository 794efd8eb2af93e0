/*
 * References for the convolution tests (test_conv.c: kernels; test_conv_layer.c: the layer
 * through the public API), written from the definitions of kernels/conv.h: the exact int64
 * accumulator then the TFLite rounding of test_util.h for int8, double precision for float.
 */
#ifndef NNOM_TEST_CONV_REF_H
#define NNOM_TEST_CONV_REF_H

#include <stdint.h>

#include "kernels/conv.h"

/* Keras' output size and padding before for one axis (same: 'same' padding, else 'valid'). */
int32_t ref_out_size(int32_t in, int32_t k, int32_t s, int32_t d, int same);
int32_t ref_pad_before(int32_t in, int32_t out, int32_t k, int32_t s, int32_t d, int same);

/* The int8 convolution of @p a (every output). */
void ref_conv_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out);
/* The float convolution in double; also returns, per output, the sum of |terms| (for the tolerance). */
void ref_conv_f32(const nnom_conv_args *a, const float *in, double *out, double *mag);
/* Fused activation bounds of a float model. */
void ref_act_f32(int act, float *lo, float *hi);

/* A convolution's shape: input, output channels, kernel, stride, dilation, 'same' padding. */
typedef struct {
    int32_t in_h, in_w, in_c, out_c, kh, kw, sh, sw, dh, dw, same;
} shape_spec;

/* Fills the geometry of @p a; returns 0 when the window does not fit. */
int make_geometry(nnom_conv_args *a, const shape_spec *s);

/* How two int8 outputs differ: how many, the first index and its values. */
typedef struct {
    int fails;
    int first_index;
    int got, want;
} compare_result;
compare_result compare_s8(const int8_t *got, const int8_t *want, int64_t n);

#endif /* NNOM_TEST_CONV_REF_H */
