/*
 * One convolution layer (CONV or DEPTHWISE_CONV, 1D or 2D) built through the public API with
 * random blobs, for test_conv_layer.c and test_depthwise_conv.c: Input -> the layer -> Output.
 */
#ifndef NNOM_TEST_CONV_LAYER_UTIL_H
#define NNOM_TEST_CONV_LAYER_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "nnom/nnom.h"

/* The layer's shape and options; units is the filter count of a CONV, the depth multiplier of a
 * DEPTHWISE_CONV. Strides and dilations of 0 are the description's default (1). */
typedef struct {
    int32_t in_h, in_w, in_c, units, kh, kw, sh, sw, dh, dw, padding, activation;
    int one_d, with_bias;
} conv_layer_spec;

/* What differs between the two kinds of layer. */
typedef struct {
    nnom_layer_type type_2d, type_1d;
    const char *name;       /* the layer's name in the model (messages quote it) */
    int depthwise;          /* 1: out_c = in_c * units and a tap reads one input channel */
    int32_t bias_bound;     /* int8 biases drawn in [-bias_bound, bias_bound] */
    nnom_quant out_q;       /* int8 output quantisation */
} conv_layer_kind;

extern const conv_layer_kind conv_layer_plain;     /* CONV1D / CONV2D named "c1" */
extern const conv_layer_kind conv_layer_depthwise; /* DEPTHWISE_CONV1D / 2D named "dw" */

/* The blobs a description points to (int8 or float ones, as built). */
typedef struct {
    int8_t *w;
    int32_t *bias, *mult, *shift;
    float *wf, *bf;
    size_t n_w;
} conv_blobs;

void conv_blobs_free(conv_blobs *b);

/* Output channels of the layer. */
int32_t conv_layer_out_c(const conv_layer_spec *s, const conv_layer_kind *k);

/* (W, C) for a 1D layer, (H, W, C) otherwise. */
nnom_shape conv_layer_input_shape(const conv_layer_spec *s);

/* The layer's description reading input @p input, with random weights (and, for int8, biases and
 * requantisation multipliers of about the size a trained layer has) allocated into @p b. */
nnom_layer_desc conv_layer_desc(const conv_layer_spec *s, const conv_layer_kind *k, int32_t input, nnom_dtype dtype,
                                conv_blobs *b);

/* Input -> the layer (its description passed through @p tweak when not NULL) -> Output; returns
 * the compile status, the model in *out. */
nnom_status conv_layer_model(const conv_layer_spec *s, const conv_layer_kind *k, nnom_dtype dtype, conv_blobs *b,
                             nnom_quant in_q, void (*tweak)(nnom_layer_desc *), nnom_model **out);

#endif /* NNOM_TEST_CONV_LAYER_UTIL_H */
