/* LSTM: gates i, f, c, o in Keras' order; state h then c.
 * Parameters, blobs and state: see rnn_common.c and kernels/rnn.h. */
#include "layers/rnn_common.h"

const nnom_layer_ops nnom_ops_lstm = NNOM_RNN_OPS;
