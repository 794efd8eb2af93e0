/*
 * Internal: what the recurrent layer files (simple_rnn.c, gru.c, lstm.c)
 * share: parameter, shape and blob checks with messages, scratch and MACs,
 * the float32 and int8 runs, and the state callbacks. The files differ only
 * in their cell (its number of gates).
 */
#ifndef NNOM_LAYERS_RNN_COMMON_H
#define NNOM_LAYERS_RNN_COMMON_H

#include "core/layer.h"
#include "kernels/rnn.h"

/* The cell of a recurrent layer type (NNOM_RNN_CELL_*), 0 for another type. */
int32_t nnom_rnn_cell_of(nnom_layer_type type);

nnom_status nnom_rnn_infer(nnom_layer *l, const nnom_infer_ctx *ctx);
uint32_t nnom_rnn_scratch_bytes(const nnom_layer *l, const nnom_infer_ctx *ctx);
uint64_t nnom_rnn_macs(const nnom_layer *l, const nnom_infer_ctx *ctx);
void nnom_rnn_run_f32(const nnom_exec *x);
void nnom_rnn_run_s8(const nnom_exec *x);
int32_t nnom_rnn_state_vectors(const nnom_layer *l, int32_t *length);
uint32_t nnom_rnn_state_bytes(const nnom_layer *l, nnom_dtype dtype);
void nnom_rnn_state_read(const nnom_layer *l, nnom_dtype dtype, const void *state, int32_t which, float *out);
void nnom_rnn_state_write(const nnom_layer *l, nnom_dtype dtype, void *state, int32_t which, const float *in);

/* int8 checks shared with lstm_tflite.c: blob 3, int32 [4][rows] (multiplier, shift) pairs; and the
 * (multiplier, shift) pair at constants[at, at + 1] of blob 5, named @p what in the message. */
nnom_status nnom_rnn_check_requant(nnom_model *m, const nnom_layer *l, int64_t rows);
nnom_status nnom_rnn_check_pair(nnom_model *m, const nnom_layer *l, const int32_t *k, int32_t at, const char *what);

/* LSTM with NNOM_RNN_TFLITE (lstm_tflite.c): int8 blob checks 3 to 5 and the run. */
nnom_status nnom_lstm_tflite_infer_s8(nnom_layer *l, const nnom_infer_ctx *ctx, int64_t rows);
void nnom_lstm_tflite_run_s8(const nnom_exec *x);

/* The ops of a recurrent layer type: every callback is shared. */
#define NNOM_RNN_OPS                          \
    {                                         \
        .min_inputs = 1,                      \
        .max_inputs = 1,                      \
        .flags = 0,                           \
        .internals = NNOM_RNN_INTERNALS,      \
        .infer = nnom_rnn_infer,              \
        .scratch_bytes = nnom_rnn_scratch_bytes, \
        .macs = nnom_rnn_macs,                \
        .run_s8 = nnom_rnn_run_s8,            \
        .run_f32 = NNOM_RUN_F32(nnom_rnn_run_f32), \
        .state_vectors = nnom_rnn_state_vectors, \
        .state_bytes = nnom_rnn_state_bytes,  \
        .state_read = nnom_rnn_state_read,    \
        .state_write = nnom_rnn_state_write,  \
    }

#endif /* NNOM_LAYERS_RNN_COMMON_H */
