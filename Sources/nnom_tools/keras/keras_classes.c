/*
 * The class table: which converter handles each Keras class_name (one file per family,
 * keras_layers.h lists them).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_layers.h"

/* ------------------------------------------------------------------ the table */

static const kr_class classes[] = {
    {"Conv1D", kr_build_conv, 1, 1},
    {"Conv2D", kr_build_conv, 1, 1},
    {"Convolution1D", kr_build_conv, 1, 1},
    {"Convolution2D", kr_build_conv, 1, 1},
    {"DepthwiseConv1D", kr_build_depthwise, 1, 1},
    {"DepthwiseConv2D", kr_build_depthwise, 1, 1},
    {"SeparableConv1D", kr_build_separable, 1, 1},
    {"SeparableConv2D", kr_build_separable, 1, 1},
    {"SeparableConvolution1D", kr_build_separable, 1, 1},
    {"SeparableConvolution2D", kr_build_separable, 1, 1},
    {"Conv1DTranspose", kr_build_conv_transpose, 1, 1},
    {"Conv2DTranspose", kr_build_conv_transpose, 1, 1},
    {"Convolution1DTranspose", kr_build_conv_transpose, 1, 1},
    {"Convolution2DTranspose", kr_build_conv_transpose, 1, 1},
    {"Dense", kr_build_dense, 1, 1},
    {"BatchNormalization", kr_build_batchnorm, 1, 1},
    {"Rescaling", kr_build_rescaling, 1, 1},
    {"Normalization", kr_build_normalization, 1, 1},
    {"MaxPooling1D", kr_build_pool, 1, 1},
    {"MaxPooling2D", kr_build_pool, 1, 1},
    {"MaxPool1D", kr_build_pool, 1, 1},
    {"MaxPool2D", kr_build_pool, 1, 1},
    {"AveragePooling1D", kr_build_pool, 1, 1},
    {"AveragePooling2D", kr_build_pool, 1, 1},
    {"AvgPool1D", kr_build_pool, 1, 1},
    {"AvgPool2D", kr_build_pool, 1, 1},
    {"GlobalMaxPooling1D", kr_build_global_pool, 1, 1},
    {"GlobalMaxPooling2D", kr_build_global_pool, 1, 1},
    {"GlobalMaxPool1D", kr_build_global_pool, 1, 1},
    {"GlobalMaxPool2D", kr_build_global_pool, 1, 1},
    {"GlobalAveragePooling1D", kr_build_global_pool, 1, 1},
    {"GlobalAveragePooling2D", kr_build_global_pool, 1, 1},
    {"GlobalAvgPool1D", kr_build_global_pool, 1, 1},
    {"GlobalAvgPool2D", kr_build_global_pool, 1, 1},
    {"Add", kr_build_merge, 2, 1024},
    {"Subtract", kr_build_merge, 2, 2},
    {"Multiply", kr_build_merge, 2, 1024},
    {"Minimum", kr_build_merge, 2, 1024},
    {"Maximum", kr_build_merge, 2, 1024},
    {"Average", kr_build_merge, 2, 1024},
    {"Concatenate", kr_build_concatenate, 1, 1024},
    {"Flatten", kr_build_flatten, 1, 1},
    {"Reshape", kr_build_reshape, 1, 1},
    {"Permute", kr_build_permute, 1, 1},
    {"RepeatVector", kr_build_repeat_vector, 1, 1},
    {"ZeroPadding1D", kr_build_pad_crop, 1, 1},
    {"ZeroPadding2D", kr_build_pad_crop, 1, 1},
    {"Cropping1D", kr_build_pad_crop, 1, 1},
    {"Cropping2D", kr_build_pad_crop, 1, 1},
    {"UpSampling1D", kr_build_upsampling, 1, 1},
    {"UpSampling2D", kr_build_upsampling, 1, 1},
    {"Activation", kr_build_activation, 1, 1},
    {"ReLU", kr_build_relu, 1, 1},
    {"LeakyReLU", kr_build_leaky_relu, 1, 1},
    {"ELU", kr_build_elu, 1, 1},
    {"PReLU", kr_build_prelu, 1, 1},
    {"Softmax", kr_build_softmax, 1, 1},
    {"Dropout", kr_build_identity, 1, 1},
    {"SpatialDropout1D", kr_build_identity, 1, 1},
    {"SpatialDropout2D", kr_build_identity, 1, 1},
    {"GaussianNoise", kr_build_identity, 1, 1},
    {"GaussianDropout", kr_build_identity, 1, 1},
    {"AlphaDropout", kr_build_identity, 1, 1},
    {"ActivityRegularization", kr_build_identity, 1, 1},
    {"Identity", kr_build_identity, 1, 1},
    {"SimpleRNN", kr_build_rnn, 1, 1},
    {"GRU", kr_build_rnn, 1, 1},
    {"LSTM", kr_build_rnn, 1, 1},
    {"Bidirectional", kr_build_bidirectional, 1, 1},
    {"TimeDistributed", kr_build_time_distributed, 1, 1},
    {"Masking", kr_build_masking, 1, 1},
};

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
           "LSTM, Bidirectional, LayerNormalization";
}
