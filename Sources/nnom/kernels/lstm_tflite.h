/*
 * TFLite-compatible int8 LSTM (UNIDIRECTIONAL_SEQUENCE_LSTM with int8
 * activations, int8 weights and an int16 cell state), bit-exact with TFLite
 * Micro's reference kernel. Integer maths only. Gates i, f, g, o (Keras' and
 * TFLite's order); row r = gate * units + u of W [4*units][in] and
 * U [4*units][units]. rq(a, M) is nnom_requantize() (TFLite's
 * MultiplyByQuantizedMultiplier), sat16 / sat8 clamp to int16 / int8.
 *
 * State: v [units] = h - h_zp (the int8 hidden state without its zero point,
 * held in int16) and c [units], int16 at scale 2^p. One step, x the input row:
 *
 *   pre[r] = sat16(sat16(rq(b[r] + sum_i W[r][i] (x[i] - x_zp), Mx[r]))
 *                  + sat16(rq(sum_j U[r][j] v[j], Mh[r])))        at scale 2^-12
 *   i, f, o = sigm(pre),  g = tanh_q(pre, -12)                     Q15
 *   c = sat16(sat16(rq(f c, MF)) + sat16(rq(i g, MI)));  c = clamp(c, -clip, clip) if clip > 0
 *   h = sat8(rq(o tanh_q(c, p), MH) + h_zp);  v = h - h_zp;  the output row is h
 *
 * sigm and tanh_q interpolate T = nnom_tflite_sigmoid_table (sigmoid(k / 24)
 * in unsigned Q16, k = 0..255) on |a| and use the function's symmetry:
 *
 *   sigm(x):       a = 3 x; k = |a| >> 9, f = |a| & 511
 *                  s = k >= 255 ? 32767 * 2^10 : T[k] 2^9 + f (T[k+1] - T[k])
 *                  a >= 0: (s + 2^9) >> 10,  else: (2^25 - s + 2^9 - 1) >> 10
 *   tanh_q(x, p):  e = p + 12; a = 3 x 2^e for e >= 0, else (3 x + 2^(-e-1)) >> -e;
 *                  k = |a| >> 8, f = |a| & 255
 *                  s = k >= 255 ? 65535 * 2^8 : T[k] 2^8 + f (T[k+1] - T[k])
 *                  a >= 0: (s - 2^23 + 2^7) >> 8,  else: (2^23 - s + 2^7 - 1) >> 8
 *
 * (>> of a negative value rounds towards minus infinity.) With the output
 * every step (NNOM_RNN_RETURN_SEQUENCES) out is [steps][units], else the last
 * h [units].
 *
 * Preconditions and bounds: units and in_features > 0; in_features and units
 * at most 65536 (|W (x - x_zp)| <= 127 * 255 per term: the sums and the bias
 * stay in int32 for weights the converter makes, and are saturated to int32
 * otherwise); p from NNOM_LSTM_TFLITE_MIN_POWER to NNOM_LSTM_TFLITE_MAX_POWER
 * (3 x 2^e < 2^31); multipliers >= 0 with shifts from -31 to 30; clip from 0
 * to 32767; products of two int16 values fit int32. @p out must not overlap
 * @p in, the state or the scratch.
 */
#ifndef NNOM_KERNELS_LSTM_TFLITE_H
#define NNOM_KERNELS_LSTM_TFLITE_H

#include <stdint.h>

/* Range of the cell state's power-of-two exponent p (scale 2^p). */
#define NNOM_LSTM_TFLITE_MIN_POWER (-30)
#define NNOM_LSTM_TFLITE_MAX_POWER 2
/* The scale exponent of the gates' pre-activations (TFLite's fixed Q3.12). */
#define NNOM_LSTM_TFLITE_GATE_POWER (-12)

/** sigmoid(k / 24) in unsigned Q16 for k = 0..255, TFLite's table (each within 1 of the rounded value). */
extern const uint16_t nnom_tflite_sigmoid_table[256];

typedef struct nnom_lstm_tflite_s8_args {
    int32_t steps, in_features, units;
    int32_t return_sequences;  /**< nonzero: out [steps][units]; else the last h [units] */
    const int8_t *kernel;      /**< W [4*units][in_features] */
    const int8_t *recurrent;   /**< U [4*units][units] */
    const int32_t *bias;       /**< [4*units] or NULL */
    const int32_t *requant;    /**< [4][4*units]: Mx multipliers, Mx shifts, Mh multipliers, Mh shifts */
    int32_t forget_mult, forget_shift;  /**< MF: f c -> c */
    int32_t input_mult, input_shift;    /**< MI: i g -> c */
    int32_t hidden_mult, hidden_shift;  /**< MH: o tanh(c) -> h */
    int32_t cell_power;        /**< p: c is at scale 2^p */
    int32_t cell_clip;         /**< 0: none */
    int32_t in_zero_point, h_zero_point;
} nnom_lstm_tflite_s8_args;

/** Scratch bytes of nnom_lstm_tflite_s8(): int16 [4][units]. */
uint32_t nnom_lstm_tflite_s8_scratch_bytes(int32_t units);

/** The LSTM over @p in [steps][in_features]; @p state int16 [2][units] (v, then c). */
void nnom_lstm_tflite_s8(const nnom_lstm_tflite_s8_args *a, const int8_t *in, int8_t *out, int16_t *state,
                         int16_t *scratch);

/** TFLite's int16 sigmoid of a value at scale 2^-12; result Q15 (see above). */
int16_t nnom_tflite_sigmoid_s16(int16_t x);
/** TFLite's int16 tanh of a value at scale 2^p; result Q15 (see above). */
int16_t nnom_tflite_tanh_s16(int16_t x, int32_t p);

#endif /* NNOM_KERNELS_LSTM_TFLITE_H */
