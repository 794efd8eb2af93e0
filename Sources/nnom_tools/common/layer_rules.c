/* The host tools' rules per layer type (see layer_rules.h). */
#include "common/layer_rules.h"

#define SAME {NNOM_QCLASS_SAME, {0.0f, 0}, NULL, 0}
#define MEAN {NNOM_QCLASS_MEAN, {0.0f, 0}, nnom_qconst_avg_pool, 0}
#define CALIBRATED(fn, fuses) {NNOM_QCLASS_CALIBRATED, {0.0f, 0}, fn, fuses}
/* outputs in [0, 1]: scale 1/256, zero point -128; in [-1, 1]: 1/128, 0 */
#define FIXED_UNIT(fn) {NNOM_QCLASS_FIXED, {1.0f / 256.0f, -128}, fn, 0}
#define FIXED_SIGNED_UNIT(fn) {NNOM_QCLASS_FIXED, {1.0f / 128.0f, 0}, fn, 0}

static const nnom_layer_rule rules[] = {
    [NNOM_LAYER_INPUT] = {NNOM_QCLASS_INPUT, {0.0f, 0}, NULL, 0},
    [NNOM_LAYER_OUTPUT] = SAME,
    [NNOM_LAYER_CONV1D] = CALIBRATED(nnom_qconst_weighted, 1),
    [NNOM_LAYER_CONV2D] = CALIBRATED(nnom_qconst_weighted, 1),
    [NNOM_LAYER_DEPTHWISE_CONV1D] = CALIBRATED(nnom_qconst_weighted, 1),
    [NNOM_LAYER_DEPTHWISE_CONV2D] = CALIBRATED(nnom_qconst_weighted, 1),
    [NNOM_LAYER_DENSE] = CALIBRATED(nnom_qconst_weighted, 1),
    [NNOM_LAYER_MAX_POOL1D] = SAME,
    [NNOM_LAYER_MAX_POOL2D] = SAME,
    [NNOM_LAYER_AVG_POOL1D] = MEAN,
    [NNOM_LAYER_AVG_POOL2D] = MEAN,
    [NNOM_LAYER_GLOBAL_MAX_POOL] = SAME,
    [NNOM_LAYER_GLOBAL_AVG_POOL] = MEAN,
    [NNOM_LAYER_ADD] = CALIBRATED(nnom_qconst_add, 1),
    [NNOM_LAYER_SUBTRACT] = CALIBRATED(nnom_qconst_add, 1),
    [NNOM_LAYER_MULTIPLY] = CALIBRATED(nnom_qconst_multiply, 1),
    [NNOM_LAYER_CONCATENATE] = {NNOM_QCLASS_UNION, {0.0f, 0}, nnom_qconst_concatenate, 0},
    [NNOM_LAYER_FLATTEN] = SAME,
    [NNOM_LAYER_RESHAPE] = SAME,
    [NNOM_LAYER_ZERO_PADDING1D] = SAME,
    [NNOM_LAYER_ZERO_PADDING2D] = SAME,
    [NNOM_LAYER_CROPPING1D] = SAME,
    [NNOM_LAYER_CROPPING2D] = SAME,
    [NNOM_LAYER_UPSAMPLING1D] = SAME,
    [NNOM_LAYER_UPSAMPLING2D] = SAME,
    [NNOM_LAYER_RELU] = CALIBRATED(nnom_qconst_table, 0),
    [NNOM_LAYER_RELU6] = CALIBRATED(nnom_qconst_table, 0),
    [NNOM_LAYER_LEAKY_RELU] = CALIBRATED(nnom_qconst_table, 0),
    [NNOM_LAYER_SIGMOID] = FIXED_UNIT(nnom_qconst_table),
    [NNOM_LAYER_TANH] = FIXED_SIGNED_UNIT(nnom_qconst_table),
    [NNOM_LAYER_HARD_SIGMOID] = FIXED_UNIT(nnom_qconst_table),
    [NNOM_LAYER_SOFTMAX] = FIXED_UNIT(nnom_qconst_softmax),
    [NNOM_LAYER_SIMPLE_RNN] = CALIBRATED(nnom_qconst_rnn, 0),
    [NNOM_LAYER_GRU] = CALIBRATED(nnom_qconst_rnn, 0),
    [NNOM_LAYER_LSTM] = CALIBRATED(nnom_qconst_rnn, 0),
    [NNOM_LAYER_RNN_STATE] = CALIBRATED(nnom_qconst_rnn_state, 0),
    [NNOM_LAYER_ACTIVATION] = CALIBRATED(nnom_qconst_function, 0),
    [NNOM_LAYER_PRELU] = CALIBRATED(nnom_qconst_prelu, 0),
    [NNOM_LAYER_MINIMUM] = CALIBRATED(nnom_qconst_minmax, 1),
    [NNOM_LAYER_MAXIMUM] = CALIBRATED(nnom_qconst_minmax, 1),
    [NNOM_LAYER_CONV1D_TRANSPOSE] = CALIBRATED(nnom_qconst_weighted, 1),
    [NNOM_LAYER_CONV2D_TRANSPOSE] = CALIBRATED(nnom_qconst_weighted, 1),
    [NNOM_LAYER_CUSTOM] = CALIBRATED(nnom_qconst_custom, 0),
    [NNOM_LAYER_LAYER_NORM] = CALIBRATED(nnom_qconst_layer_norm, 0),
    [NNOM_LAYER_MATMUL] = CALIBRATED(nnom_qconst_multiply, 1), /* {multiplier, shift} of A x B */
    [NNOM_LAYER_PERMUTE] = SAME,
    [NNOM_LAYER_SUM_POOL1D] = CALIBRATED(nnom_qconst_sum_pool, 0),
    [NNOM_LAYER_SUM_POOL2D] = CALIBRATED(nnom_qconst_sum_pool, 0),
    [NNOM_LAYER_GLOBAL_SUM_POOL] = CALIBRATED(nnom_qconst_sum_pool, 0),
};

/* One entry per type: adding an enum value without a line here fails to compile. */
typedef char nnom_layer_rules_are_complete[(sizeof rules / sizeof rules[0] == NNOM_LAYER_TYPE_COUNT) ? 1 : -1];

const nnom_layer_rule *nnom_layer_rule_of(nnom_layer_type type)
{
    if ((unsigned)type >= NNOM_LAYER_TYPE_COUNT || rules[type].qclass == 0) return NULL;
    return &rules[type];
}
