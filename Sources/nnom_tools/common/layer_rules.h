/*
 * The host tools' knowledge of each layer type, in one table indexed by nnom_layer_type
 * (layer_rules.c), as the runtime's is in Sources/nnom/core/layer_table.c: how the calibrator
 * chooses the int8 output range, how the quantiser makes the int8 constants, and whether the
 * Keras converter may fuse a relu/relu6 into the layer. A static assertion checks that the
 * table has one entry per type, so a new type without its rules does not compile.
 */
#ifndef NNOM_TOOLS_LAYER_RULES_H
#define NNOM_TOOLS_LAYER_RULES_H

#include "common/tools_internal.h"

/* How the int8 output quantisation of a layer type is chosen. */
typedef enum nnom_qclass {
    NNOM_QCLASS_UNKNOWN = 0,  /* not a layer type (a table entry is never left zero) */
    NNOM_QCLASS_INPUT,    /* INPUT: observed min/max of the samples */
    NNOM_QCLASS_SAME,         /* equals input 0's (max pools, padding, views, OUTPUT...): required by the runtime */
    NNOM_QCLASS_MEAN,         /* average pools: their own observed range, within their input's (see nnom_calibrate) */
    NNOM_QCLASS_FIXED,        /* fixed by the function's range (sigmoid, tanh, hard sigmoid, softmax): rule.fixed */
    NNOM_QCLASS_CALIBRATED,   /* from the calibrated range (weighted, merge, rectifier, table activations...) */
    NNOM_QCLASS_UNION         /* CONCATENATE: the union of its inputs' ranges */
} nnom_qclass;

/* What the quantiser knows while it makes layer i of the int8 model (quantize/quantize.c). */
typedef struct nnom_qstep nnom_qstep;

/* Makes the int8 constants (blobs) of one layer, and may refine its output quantisation (average
 * pools). Returns NNOM_OK or the failure recorded on the converter. */
typedef nnom_status (*nnom_qconst_fn)(const nnom_qstep *s, nnom_blob *blobs);

typedef struct nnom_layer_rule {
    nnom_qclass qclass;
    nnom_quant fixed;          /* NNOM_QCLASS_FIXED: the output quantisation */
    nnom_qconst_fn constants;  /* NULL: the int8 layer has no constants */
    int fuses_activation;      /* 1: params.activation may carry a relu/relu6 the Keras converter fuses */
} nnom_layer_rule;

/* The rules of @p type; NULL for a value that is not a layer type. */
const nnom_layer_rule *nnom_layer_rule_of(nnom_layer_type type);

/* The constants makers (quantize/quantize.c), one per family. */
nnom_status nnom_qconst_weighted(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_rnn(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_rnn_state(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_add(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_multiply(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_minmax(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_concatenate(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_avg_pool(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_sum_pool(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_table(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_function(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_prelu(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_softmax(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_custom(const nnom_qstep *s, nnom_blob *blobs);
nnom_status nnom_qconst_layer_norm(const nnom_qstep *s, nnom_blob *blobs);

#endif
