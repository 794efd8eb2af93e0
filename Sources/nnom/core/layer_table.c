/* The runtime's layer table: which ops implement each nnom_layer_type. */
#include "core/layer.h"

extern const nnom_layer_ops nnom_ops_input, nnom_ops_output, nnom_ops_conv, nnom_ops_depthwise_conv,
    nnom_ops_dense, nnom_ops_max_pool, nnom_ops_avg_pool, nnom_ops_global_max_pool,
    nnom_ops_global_avg_pool, nnom_ops_add, nnom_ops_subtract, nnom_ops_multiply,
    nnom_ops_concatenate, nnom_ops_flatten, nnom_ops_reshape, nnom_ops_zero_padding,
    nnom_ops_cropping, nnom_ops_upsampling, nnom_ops_relu, nnom_ops_relu6, nnom_ops_leaky_relu,
    nnom_ops_sigmoid, nnom_ops_tanh, nnom_ops_hard_sigmoid, nnom_ops_softmax;

static const struct {
    const char *name;
    const nnom_layer_ops *ops;
} table[] = {
    [NNOM_LAYER_INPUT] = {"input", &nnom_ops_input},
    [NNOM_LAYER_OUTPUT] = {"output", &nnom_ops_output},
    [NNOM_LAYER_CONV1D] = {"conv1d", &nnom_ops_conv},
    [NNOM_LAYER_CONV2D] = {"conv2d", &nnom_ops_conv},
    [NNOM_LAYER_DEPTHWISE_CONV1D] = {"depthwise_conv1d", &nnom_ops_depthwise_conv},
    [NNOM_LAYER_DEPTHWISE_CONV2D] = {"depthwise_conv2d", &nnom_ops_depthwise_conv},
    [NNOM_LAYER_DENSE] = {"dense", &nnom_ops_dense},
    [NNOM_LAYER_MAX_POOL1D] = {"max_pool1d", &nnom_ops_max_pool},
    [NNOM_LAYER_MAX_POOL2D] = {"max_pool2d", &nnom_ops_max_pool},
    [NNOM_LAYER_AVG_POOL1D] = {"avg_pool1d", &nnom_ops_avg_pool},
    [NNOM_LAYER_AVG_POOL2D] = {"avg_pool2d", &nnom_ops_avg_pool},
    [NNOM_LAYER_GLOBAL_MAX_POOL] = {"global_max_pool", &nnom_ops_global_max_pool},
    [NNOM_LAYER_GLOBAL_AVG_POOL] = {"global_avg_pool", &nnom_ops_global_avg_pool},
    [NNOM_LAYER_ADD] = {"add", &nnom_ops_add},
    [NNOM_LAYER_SUBTRACT] = {"subtract", &nnom_ops_subtract},
    [NNOM_LAYER_MULTIPLY] = {"multiply", &nnom_ops_multiply},
    [NNOM_LAYER_CONCATENATE] = {"concatenate", &nnom_ops_concatenate},
    [NNOM_LAYER_FLATTEN] = {"flatten", &nnom_ops_flatten},
    [NNOM_LAYER_RESHAPE] = {"reshape", &nnom_ops_reshape},
    [NNOM_LAYER_ZERO_PADDING1D] = {"zero_padding1d", &nnom_ops_zero_padding},
    [NNOM_LAYER_ZERO_PADDING2D] = {"zero_padding2d", &nnom_ops_zero_padding},
    [NNOM_LAYER_CROPPING1D] = {"cropping1d", &nnom_ops_cropping},
    [NNOM_LAYER_CROPPING2D] = {"cropping2d", &nnom_ops_cropping},
    [NNOM_LAYER_UPSAMPLING1D] = {"upsampling1d", &nnom_ops_upsampling},
    [NNOM_LAYER_UPSAMPLING2D] = {"upsampling2d", &nnom_ops_upsampling},
    [NNOM_LAYER_RELU] = {"relu", &nnom_ops_relu},
    [NNOM_LAYER_RELU6] = {"relu6", &nnom_ops_relu6},
    [NNOM_LAYER_LEAKY_RELU] = {"leaky_relu", &nnom_ops_leaky_relu},
    [NNOM_LAYER_SIGMOID] = {"sigmoid", &nnom_ops_sigmoid},
    [NNOM_LAYER_TANH] = {"tanh", &nnom_ops_tanh},
    [NNOM_LAYER_HARD_SIGMOID] = {"hard_sigmoid", &nnom_ops_hard_sigmoid},
    [NNOM_LAYER_SOFTMAX] = {"softmax", &nnom_ops_softmax},
};

/* One entry per type: adding an enum value without a table line fails to compile. */
typedef char nnom_layer_table_is_complete[(sizeof table / sizeof table[0] == NNOM_LAYER_TYPE_COUNT) ? 1 : -1];

const nnom_layer_ops *nnom_layer_ops_of(nnom_layer_type type)
{
    if ((unsigned)type >= NNOM_LAYER_TYPE_COUNT) return NULL;
    return table[type].ops;
}

const char *nnom_layer_type_name(nnom_layer_type type)
{
    if ((unsigned)type >= NNOM_LAYER_TYPE_COUNT || !table[type].name) return "unknown";
    return table[type].name;
}
