/*
 * The class table: which converter handles each Keras class_name (one file per family,
 * keras_layers.h lists them), how many inputs it takes, and how it reads values a channels_first
 * model holds (kr_layout_rule, keras_layout.c; KERAS when not given).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_layers.h"

/* ------------------------------------------------------------------ the table */

static const kr_class classes[] = {
    {"Conv1D", kr_build_conv, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Conv2D", kr_build_conv, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Convolution1D", kr_build_conv, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Convolution2D", kr_build_conv, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"DepthwiseConv1D", kr_build_depthwise, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"DepthwiseConv2D", kr_build_depthwise, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"SeparableConv1D", kr_build_separable, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"SeparableConv2D", kr_build_separable, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"SeparableConvolution1D", kr_build_separable, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"SeparableConvolution2D", kr_build_separable, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Conv1DTranspose", kr_build_conv_transpose, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Conv2DTranspose", kr_build_conv_transpose, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Convolution1DTranspose", kr_build_conv_transpose, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Convolution2DTranspose", kr_build_conv_transpose, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Dense", kr_build_dense, 1, 1, KR_LAYOUT_FLAT_ROWS},
    {"BatchNormalization", kr_build_batchnorm, 1, 1, KR_LAYOUT_AXIS},
    {"Rescaling", kr_build_rescaling, 1, 1, KR_LAYOUT_KERAS},
    {"Normalization", kr_build_normalization, 1, 1, KR_LAYOUT_KERAS},
    {"MaxPooling1D", kr_build_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"MaxPooling2D", kr_build_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"MaxPool1D", kr_build_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"MaxPool2D", kr_build_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"AveragePooling1D", kr_build_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"AveragePooling2D", kr_build_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"AvgPool1D", kr_build_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"AvgPool2D", kr_build_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"GlobalMaxPooling1D", kr_build_global_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"GlobalMaxPooling2D", kr_build_global_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"GlobalMaxPool1D", kr_build_global_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"GlobalMaxPool2D", kr_build_global_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"GlobalAveragePooling1D", kr_build_global_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"GlobalAveragePooling2D", kr_build_global_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"GlobalAvgPool1D", kr_build_global_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"GlobalAvgPool2D", kr_build_global_pool, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Add", kr_build_merge, 2, 1024, KR_LAYOUT_ELEMENTWISE},
    {"Subtract", kr_build_merge, 2, 2, KR_LAYOUT_ELEMENTWISE},
    {"Multiply", kr_build_merge, 2, 1024, KR_LAYOUT_ELEMENTWISE},
    {"Minimum", kr_build_merge, 2, 1024, KR_LAYOUT_ELEMENTWISE},
    {"Maximum", kr_build_merge, 2, 1024, KR_LAYOUT_ELEMENTWISE},
    {"Average", kr_build_merge, 2, 1024, KR_LAYOUT_ELEMENTWISE},
    {"Concatenate", kr_build_concatenate, 1, 1024, KR_LAYOUT_AXIS},
    {"Flatten", kr_build_flatten, 1, 1, KR_LAYOUT_FLATTEN},
    {"Reshape", kr_build_reshape, 1, 1, KR_LAYOUT_KERAS},
    {"Permute", kr_build_permute, 1, 1, KR_LAYOUT_OWN},
    {"RepeatVector", kr_build_repeat_vector, 1, 1, KR_LAYOUT_KERAS},
    {"ZeroPadding1D", kr_build_pad_crop, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"ZeroPadding2D", kr_build_pad_crop, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Cropping1D", kr_build_pad_crop, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Cropping2D", kr_build_pad_crop, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"UpSampling1D", kr_build_upsampling, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"UpSampling2D", kr_build_upsampling, 1, 1, KR_LAYOUT_DATA_FORMAT},
    {"Activation", kr_build_activation, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"ReLU", kr_build_relu, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"LeakyReLU", kr_build_leaky_relu, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"ELU", kr_build_elu, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"PReLU", kr_build_prelu, 1, 1, KR_LAYOUT_KERAS},
    {"Softmax", kr_build_softmax, 1, 1, KR_LAYOUT_KERAS},
    {"Dropout", kr_build_identity, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"SpatialDropout1D", kr_build_identity, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"SpatialDropout2D", kr_build_identity, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"GaussianNoise", kr_build_identity, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"GaussianDropout", kr_build_identity, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"AlphaDropout", kr_build_identity, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"ActivityRegularization", kr_build_identity, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"Identity", kr_build_identity, 1, 1, KR_LAYOUT_ELEMENTWISE},
    {"SimpleRNN", kr_build_rnn, 1, 1, KR_LAYOUT_KERAS},
    {"GRU", kr_build_rnn, 1, 1, KR_LAYOUT_KERAS},
    {"LSTM", kr_build_rnn, 1, 1, KR_LAYOUT_KERAS},
    {"Bidirectional", kr_build_bidirectional, 1, 1, KR_LAYOUT_KERAS},
    {"TimeDistributed", kr_build_time_distributed, 1, 1, KR_LAYOUT_KERAS},
    {"Masking", kr_build_masking, 1, 1, KR_LAYOUT_KERAS},
};

/* Keras 3 operations called on tensors in a functional graph (`x + 3.0`, `keras.ops.multiply(a, b)`): entries
 * whose module is keras.src.ops.* (or keras.ops), looked up apart from the layers since they share class
 * names with them (Add, Multiply) while their config holds no options and a constant operand is one of the
 * call's arguments. */
static const kr_class operations[] = {
    {"Add", kr_build_operation, 1, 2, KR_LAYOUT_ELEMENTWISE},
    {"Subtract", kr_build_operation, 1, 2, KR_LAYOUT_ELEMENTWISE},
    {"Multiply", kr_build_operation, 1, 2, KR_LAYOUT_ELEMENTWISE},
    {"Divide", kr_build_operation, 1, 2, KR_LAYOUT_ELEMENTWISE},
    {"TrueDivide", kr_build_operation, 1, 2, KR_LAYOUT_ELEMENTWISE},
    {"Maximum", kr_build_operation, 1, 2, KR_LAYOUT_ELEMENTWISE},
    {"Minimum", kr_build_operation, 1, 2, KR_LAYOUT_ELEMENTWISE},
};

static int starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

int kr_is_operation(const kr_layer *layer)
{
    return layer->module && (starts_with(layer->module, "keras.src.ops.") || starts_with(layer->module, "keras.ops"));
}

const kr_class *kr_operation_find(const char *class_name)
{
    for (size_t i = 0; i < sizeof operations / sizeof operations[0]; i++)
        if (strcmp(operations[i].name, class_name) == 0) return &operations[i];
    return NULL;
}

const char *kr_operations_text(void)
{
    return "add, subtract, multiply of two tensors or of a tensor and a number; a tensor divided by a number; "
           "maximum, minimum of two tensors";
}

const kr_class *kr_class_find(const char *class_name)
{
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (strcmp(classes[i].name, class_name) == 0) return &classes[i];
    return kr_transformer_class_find(class_name);
}

/* Fits in an error message after a layer's name and class (NNOM_ERROR_MESSAGE_MAX bytes). */
const char *kr_supported_text(void)
{
    return "Conv, DepthwiseConv, SeparableConv, Dense, BatchNormalization, pooling, padding, cropping, upsampling, "
           "merges, Flatten, Reshape, Permute, RepeatVector, activations, Rescaling, Normalization, SimpleRNN, GRU, "
           "LSTM, Bidirectional, LayerNormalization, MultiHeadAttention";
}
