/* The runtime's layer table: which ops implement each nnom_layer_type. */
#include "core/layer.h"

extern const nnom_layer_ops nnom_ops_input, nnom_ops_output, nnom_ops_conv, nnom_ops_depthwise_conv,
    nnom_ops_dense, nnom_ops_max_pool, nnom_ops_avg_pool, nnom_ops_global_max_pool,
    nnom_ops_global_avg_pool, nnom_ops_add, nnom_ops_subtract, nnom_ops_multiply,
    nnom_ops_concatenate, nnom_ops_flatten, nnom_ops_reshape, nnom_ops_zero_padding,
    nnom_ops_cropping, nnom_ops_upsampling, nnom_ops_relu, nnom_ops_relu6, nnom_ops_leaky_relu,
    nnom_ops_sigmoid, nnom_ops_tanh, nnom_ops_hard_sigmoid, nnom_ops_softmax, nnom_ops_simple_rnn, nnom_ops_gru,
    nnom_ops_lstm, nnom_ops_rnn_state, nnom_ops_activation, nnom_ops_prelu, nnom_ops_minimum,
    nnom_ops_maximum, nnom_ops_transpose_conv, nnom_ops_custom, nnom_ops_layer_norm,
    nnom_ops_matmul,
    nnom_ops_permute, nnom_ops_sum_pool, nnom_ops_global_sum_pool;

/*
 * Firmware can link only the layer types its models use: compile this file
 * with NNOM_LAYERS_ONLY and, for each type needed, NNOM_WITH_<TYPE> defined to
 * 1 (<TYPE> as in the enum: NNOM_WITH_CONV2D, NNOM_WITH_DENSE, ...). The other
 * entries are NULL, so their layer files (and the kernels only they call) are
 * never referenced and the linker leaves them out; a model that needs one
 * fails to compile with "type ... is not supported by this build". INPUT and
 * OUTPUT are always in. Without NNOM_LAYERS_ONLY, every type is in.
 *
 * LAYER(TYPE, ops) is &nnom_ops_<ops>, or NULL when TYPE is left out: the
 * choice is made by the preprocessor (NNOM_PICK yields its second argument when
 * the flag expands to 1, its third otherwise), so a left-out ops symbol is not
 * even named in the object code.
 */
#ifdef NNOM_LAYERS_ONLY
#define NNOM_PICK_IF_1 ~,
#define NNOM_SECOND_(a, b, ...) b
#define NNOM_SECOND(...) NNOM_SECOND_(__VA_ARGS__)
#define NNOM_PICK_(flag, yes) NNOM_SECOND(NNOM_PICK_IF_##flag yes, NULL)
#define NNOM_PICK(flag, yes) NNOM_PICK_(flag, yes)
#define LAYER(type, ops) NNOM_PICK(NNOM_WITH_##type, &nnom_ops_##ops)
#else
#define LAYER(type, ops) (&nnom_ops_##ops)
#endif

static const struct {
    const char *name;
    const nnom_layer_ops *ops;
} table[] = {
    [NNOM_LAYER_INPUT] = {"input", &nnom_ops_input},
    [NNOM_LAYER_OUTPUT] = {"output", &nnom_ops_output},
    [NNOM_LAYER_CONV1D] = {"conv1d", LAYER(CONV1D, conv)},
    [NNOM_LAYER_CONV2D] = {"conv2d", LAYER(CONV2D, conv)},
    [NNOM_LAYER_DEPTHWISE_CONV1D] = {"depthwise_conv1d", LAYER(DEPTHWISE_CONV1D, depthwise_conv)},
    [NNOM_LAYER_DEPTHWISE_CONV2D] = {"depthwise_conv2d", LAYER(DEPTHWISE_CONV2D, depthwise_conv)},
    [NNOM_LAYER_DENSE] = {"dense", LAYER(DENSE, dense)},
    [NNOM_LAYER_MAX_POOL1D] = {"max_pool1d", LAYER(MAX_POOL1D, max_pool)},
    [NNOM_LAYER_MAX_POOL2D] = {"max_pool2d", LAYER(MAX_POOL2D, max_pool)},
    [NNOM_LAYER_AVG_POOL1D] = {"avg_pool1d", LAYER(AVG_POOL1D, avg_pool)},
    [NNOM_LAYER_AVG_POOL2D] = {"avg_pool2d", LAYER(AVG_POOL2D, avg_pool)},
    [NNOM_LAYER_GLOBAL_MAX_POOL] = {"global_max_pool", LAYER(GLOBAL_MAX_POOL, global_max_pool)},
    [NNOM_LAYER_GLOBAL_AVG_POOL] = {"global_avg_pool", LAYER(GLOBAL_AVG_POOL, global_avg_pool)},
    [NNOM_LAYER_ADD] = {"add", LAYER(ADD, add)},
    [NNOM_LAYER_SUBTRACT] = {"subtract", LAYER(SUBTRACT, subtract)},
    [NNOM_LAYER_MULTIPLY] = {"multiply", LAYER(MULTIPLY, multiply)},
    [NNOM_LAYER_CONCATENATE] = {"concatenate", LAYER(CONCATENATE, concatenate)},
    [NNOM_LAYER_FLATTEN] = {"flatten", LAYER(FLATTEN, flatten)},
    [NNOM_LAYER_RESHAPE] = {"reshape", LAYER(RESHAPE, reshape)},
    [NNOM_LAYER_ZERO_PADDING1D] = {"zero_padding1d", LAYER(ZERO_PADDING1D, zero_padding)},
    [NNOM_LAYER_ZERO_PADDING2D] = {"zero_padding2d", LAYER(ZERO_PADDING2D, zero_padding)},
    [NNOM_LAYER_CROPPING1D] = {"cropping1d", LAYER(CROPPING1D, cropping)},
    [NNOM_LAYER_CROPPING2D] = {"cropping2d", LAYER(CROPPING2D, cropping)},
    [NNOM_LAYER_UPSAMPLING1D] = {"upsampling1d", LAYER(UPSAMPLING1D, upsampling)},
    [NNOM_LAYER_UPSAMPLING2D] = {"upsampling2d", LAYER(UPSAMPLING2D, upsampling)},
    [NNOM_LAYER_RELU] = {"relu", LAYER(RELU, relu)},
    [NNOM_LAYER_RELU6] = {"relu6", LAYER(RELU6, relu6)},
    [NNOM_LAYER_LEAKY_RELU] = {"leaky_relu", LAYER(LEAKY_RELU, leaky_relu)},
    [NNOM_LAYER_SIGMOID] = {"sigmoid", LAYER(SIGMOID, sigmoid)},
    [NNOM_LAYER_TANH] = {"tanh", LAYER(TANH, tanh)},
    [NNOM_LAYER_HARD_SIGMOID] = {"hard_sigmoid", LAYER(HARD_SIGMOID, hard_sigmoid)},
    [NNOM_LAYER_SOFTMAX] = {"softmax", LAYER(SOFTMAX, softmax)},
    [NNOM_LAYER_SIMPLE_RNN] = {"simple_rnn", LAYER(SIMPLE_RNN, simple_rnn)},
    [NNOM_LAYER_GRU] = {"gru", LAYER(GRU, gru)},
    [NNOM_LAYER_LSTM] = {"lstm", LAYER(LSTM, lstm)},
    [NNOM_LAYER_RNN_STATE] = {"rnn_state", LAYER(RNN_STATE, rnn_state)},
    [NNOM_LAYER_ACTIVATION] = {"activation", LAYER(ACTIVATION, activation)},
    [NNOM_LAYER_PRELU] = {"prelu", LAYER(PRELU, prelu)},
    [NNOM_LAYER_MINIMUM] = {"minimum", LAYER(MINIMUM, minimum)},
    [NNOM_LAYER_MAXIMUM] = {"maximum", LAYER(MAXIMUM, maximum)},
    [NNOM_LAYER_CONV1D_TRANSPOSE] = {"conv1d_transpose", LAYER(CONV1D_TRANSPOSE, transpose_conv)},
    [NNOM_LAYER_CONV2D_TRANSPOSE] = {"conv2d_transpose", LAYER(CONV2D_TRANSPOSE, transpose_conv)},
    [NNOM_LAYER_CUSTOM] = {"custom", LAYER(CUSTOM, custom)},
    [NNOM_LAYER_LAYER_NORM] = {"layer_norm", LAYER(LAYER_NORM, layer_norm)},
    [NNOM_LAYER_MATMUL] = {"matmul", LAYER(MATMUL, matmul)},
    [NNOM_LAYER_PERMUTE] = {"permute", LAYER(PERMUTE, permute)},
    [NNOM_LAYER_SUM_POOL1D] = {"sum_pool1d", LAYER(SUM_POOL1D, sum_pool)},
    [NNOM_LAYER_SUM_POOL2D] = {"sum_pool2d", LAYER(SUM_POOL2D, sum_pool)},
    [NNOM_LAYER_GLOBAL_SUM_POOL] = {"global_sum_pool", LAYER(GLOBAL_SUM_POOL, global_sum_pool)},
};

/* One entry per type: adding an enum value without a table line fails to compile. */
typedef char nnom_layer_table_is_complete[(sizeof table / sizeof table[0] == NNOM_LAYER_TYPE_COUNT) ? 1 : -1];

const nnom_layer_ops *nnom_layer_ops_of(nnom_layer_type type)
{
    if ((unsigned)type >= NNOM_LAYER_TYPE_COUNT) return NULL;
    return table[type].ops;
}

const char *(nnom_layer_type_name)(nnom_layer_type type)
{
    if ((unsigned)type >= NNOM_LAYER_TYPE_COUNT || !table[type].name) return "unknown";
    return table[type].name;
}
