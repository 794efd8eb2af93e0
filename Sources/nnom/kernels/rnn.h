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
    float *observe;          /**< NULL, or NNOM_RNN_INTERNALS (min, max) pairs to widen (::nnom_rnn_internal) */
} nnom_rnn_f32_args;

/** Scratch bytes of nnom_rnn_f32(): (2 G + 1) * units floats. */
uint32_t nnom_rnn_f32_scratch_bytes(int32_t cell, int32_t units);

/** float32 recurrent layer over @p in [steps][in_features]; @p state [units] (LSTM [2][units]). */
void nnom_rnn_f32(const nnom_rnn_f32_args *args, const float *in, float *out, float *state, float *scratch);

/** One activation of a recurrent cell in float32 (an ::nnom_rnn_act; anything else is linear). */
float nnom_rnn_act_f32(int32_t act, float x);

/*
 * int8: int8 input and output, int8 weights (symmetric per row), int16 state,
 * int16 pre-activations (one scale per layer) and Q15 gates; integer maths only.
 * One step:
 *
 *   pre[r] = sat16(rq(sum_i W[r][i] (x[i] - x_zp) + b[r], Mx[r]) + rq(sum_j U[r][j] h[j], Mh[r]))
 *
 * (rq: nnom_requantize(); the input sum is exact in int32 for up to 65536 features, the recurrent
 * one is summed in int64 and saturated to int32). Activations are the interpolated int16 tables of
 * nnom_quant_rnn_table(): lut(t, v) = t[k] + round((t[k + 1] - t[k]) f / 128), v + 32768 = 128 k + f.
 * Products of two Q15/int16 values are rounded: q15(a, b) = (a b + 2^14) >> 15.
 *
 *   SimpleRNN: h = lut(T0, pre)                                   (T0 writes h's scale)
 *   GRU:       z = lut(T1, pre_z), r = lut(T1, pre_r)            (Q15)
 *              reset after:  pre_h = sat16(sat16(rq(x part)) + q15(r, sat16(rq(U_h h + b'_h, Mh))))
 *              reset before: pre_h = sat16(sat16(rq(x part)) + rq(U_h q15(r, h), Mh))
 *              hh = lut(T0, pre_h)
 *              h = sat16(q15(z, h) + rq((32768 - z) hh, MIX))
 *   LSTM:      i, f, o = lut(T1, .), g = lut(T0, pre_g)
 *              c = sat16(q15(f, c) + rq(i g, MIX)),  h = sat16(rq(o lut(T2, c), HID))
 *   output:    y = sat8(rq(h, OUT) + y_zp)
 */

/** Constants of an int8 recurrent layer: the blobs of the layer, see include/nnom/layers.h. */
typedef struct nnom_rnn_s8_args {
    int32_t cell, steps, in_features, units, flags;
    const int8_t *kernel;     /**< W [G*units][in_features] */
    const int8_t *recurrent;  /**< U [G*units][units] */
    const int32_t *bias;      /**< NULL, [G*units], or GRU with NNOM_RNN_RESET_AFTER [2][3*units] */
    const int32_t *requant;   /**< [4][G*units]: Mx multipliers, Mx shifts, Mh multipliers, Mh shifts */
    const int16_t *tables;    /**< [T][NNOM_RNN_TABLE_SIZE]: T0 activation on pre, T1 recurrent activation on pre, T2 activation on c */
    const int32_t *consts;    /**< [NNOM_RNN_CONSTS] */
    int32_t in_zero_point, out_zero_point;
} nnom_rnn_s8_args;

/** Scratch bytes of nnom_rnn_s8(): int16 [G + 1][units]. */
uint32_t nnom_rnn_s8_scratch_bytes(int32_t cell, int32_t units);

/** int8 recurrent layer over @p in [steps][in_features]; @p state int16 [units] (LSTM [2][units]). */
void nnom_rnn_s8(const nnom_rnn_s8_args *args, const int8_t *in, int8_t *out, int16_t *state, int16_t *scratch);

/** An activation table: the function at every NNOM_RNN_LUT_STEP of the int16 range, both ends included. */
#define NNOM_RNN_LUT_SHIFT 7
#define NNOM_RNN_LUT_STEP (1 << NNOM_RNN_LUT_SHIFT)
#define NNOM_RNN_TABLE_SIZE ((1 << (16 - NNOM_RNN_LUT_SHIFT)) + 1) /* 513 */

/** The interpolated lookup of an NNOM_RNN_TABLE_SIZE-entry int16 table (see above). */
static inline int16_t nnom_rnn_lut(const int16_t *table, int32_t v)
{
    const int32_t u = v - INT16_MIN, k = u >> NNOM_RNN_LUT_SHIFT, f = u & (NNOM_RNN_LUT_STEP - 1);
    const int32_t a = table[k], b = table[k + 1];
    return (int16_t)(a + (((b - a) * f + NNOM_RNN_LUT_STEP / 2) >> NNOM_RNN_LUT_SHIFT));
}

#endif /* NNOM_KERNELS_RNN_H */
