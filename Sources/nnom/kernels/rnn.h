/*
 * Recurrent kernels: SimpleRNN, GRU and LSTM cells run over a sequence, with
 * Keras' equations and gate order. One step, with x the input row and h (and
 * c) the state before it, G gates of `units` rows each:
 *
 *   SimpleRNN (G = 1): h = act(W x + U h + b)
 *   GRU       (G = 3): z = rec(W_z x + U_z h + b_z), r = rec(W_r x + U_r h + b_r)
 *                      reset after:  hh = act(W_h x + b_h + r * (U_h h + b'_h))
 *                      reset before: hh = act(W_h x + U_h (r * h) + b_h)
 *                      h = z * h + (1 - z) * hh
 *   LSTM      (G = 4): i = rec(.), f = rec(.), g = act(.), o = rec(.) (each W x + U h + b)
 *                      c = f * c + i * g,  h = o * act(c)
 *
 * act and rec are ::nnom_rnn_act values (Keras' activation and
 * recurrent_activation). Row g * units + u of the kernel W [G*units][in] and
 * of the recurrent kernel U [G*units][units] belongs to gate g of unit u.
 *
 * The state (h, then c for an LSTM: units values each) is read at the start
 * and holds the last state at the end; the caller zeroes it for a run that
 * starts afresh. Steps are taken first to last, or last to first with
 * NNOM_RNN_GO_BACKWARDS. With NNOM_RNN_RETURN_SEQUENCES the output is
 * [steps][units], row k holding h after the k-th step processed (after input
 * step k with NNOM_RNN_INPUT_ORDER); otherwise it is the last h, [units].
 * @p out must not overlap @p in, the state or the scratch.
 */
#ifndef NNOM_KERNELS_RNN_H
#define NNOM_KERNELS_RNN_H

#include <stdint.h>

/** The cell of a recurrent kernel; the value is its number of gates. */
typedef enum nnom_rnn_cell {
    NNOM_RNN_CELL_SIMPLE = 1,
    NNOM_RNN_CELL_GRU = 3,
    NNOM_RNN_CELL_LSTM = 4
} nnom_rnn_cell;

/** Constants of a float32 recurrent layer. */
typedef struct nnom_rnn_f32_args {
    int32_t cell;            /**< ::nnom_rnn_cell */
    int32_t steps;           /**< > 0 */
    int32_t in_features;     /**< > 0 */
    int32_t units;           /**< > 0 */
    int32_t flags;           /**< ::nnom_rnn_flag bits */
    int32_t act, rec_act;    /**< ::nnom_rnn_act */
    const float *kernel;     /**< W [G*units][in_features] */
    const float *recurrent;  /**< U [G*units][units] */
    const float *bias;       /**< NULL, [G*units], or for a GRU with NNOM_RNN_RESET_AFTER [2][3*units] */
} nnom_rnn_f32_args;

/** Scratch bytes of nnom_rnn_f32(): (2 G + 1) * units floats. */
uint32_t nnom_rnn_f32_scratch_bytes(int32_t cell, int32_t units);

/** float32 recurrent layer over @p in [steps][in_features]; @p state [units] (LSTM [2][units]). */
void nnom_rnn_f32(const nnom_rnn_f32_args *args, const float *in, float *out, float *state, float *scratch);

/** One activation of a recurrent cell in float32 (an ::nnom_rnn_act; anything else is linear). */
float nnom_rnn_act_f32(int32_t act, float x);

#endif /* NNOM_KERNELS_RNN_H */
