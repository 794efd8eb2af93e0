/* SIMPLE_RNN: h = act(W x + U h + b), one gate per unit.
 * Parameters, blobs and state: see rnn_common.c and kernels/rnn.h. */
#include "layers/rnn_common.h"

const nnom_layer_ops nnom_ops_simple_rnn = NNOM_RNN_OPS;
