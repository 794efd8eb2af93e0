/* GRU: gates z, r, h in Keras' order; NNOM_RNN_RESET_AFTER is Keras 3's default reset_after=True.
 * Parameters, blobs and state: see rnn_common.c and kernels/rnn.h. */
#include "layers/rnn_common.h"

const nnom_layer_ops nnom_ops_gru = NNOM_RNN_OPS;
