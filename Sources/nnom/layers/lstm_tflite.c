/*
 * LSTM with NNOM_RNN_TFLITE: TFLite's integer LSTM (kernels/lstm_tflite.h),
 * made by the .tflite importer. The shared recurrent checks (rnn_common.c)
 * come first; this file checks blobs 3 to 5 of the variant and runs it.
 * Blobs: 3 int32 [4][4*units] requantisation pairs to the gate scale 2^-12,
 * 4 empty (the activation table is TFLite's, in the kernel), 5 constants
 * (include/nnom/layers.h, NNOM_RNN_TFL_*).
 */
#include <string.h>

#include "layers/rnn_common.h"

#include "core/model_internal.h"
#include "kernels/lstm_tflite.h"

/* IEEE-754 single: exponent field and bias, mantissa bits */
#define F32_EXP_SHIFT 23
#define F32_EXP_MASK 0xff
#define F32_EXP_BIAS 127
#define F32_MANTISSA_MASK 0x7fffff
/* Largest cell clip (int16) */
#define CELL_CLIP_MAX 32767

/* p when the float32 bits @p bits are exactly 2^p (a normal number), else 0 with *ok cleared. */
static int32_t power_of_two(int32_t bits, int *ok)
{
    const int32_t exponent = (bits >> F32_EXP_SHIFT) & F32_EXP_MASK;
    *ok = bits > 0 && (bits & F32_MANTISSA_MASK) == 0 && exponent != 0 && exponent != F32_EXP_MASK;
    return *ok ? exponent - F32_EXP_BIAS : 0;
}

nnom_status nnom_lstm_tflite_infer_s8(nnom_layer *l, const nnom_infer_ctx *ctx, int64_t rows)
{
    nnom_model *m = ctx->model;
    nnom_status st = nnom_rnn_check_requant(m, l, rows);
    if (st != NNOM_OK) return st;
    st = nnom_expect_blob(m, l, 4, "none (TFLite's activation table is the kernel's)", 0);
    if (st != NNOM_OK) return st;
    st = nnom_expect_blob(m, l, 5, "constants int32 [16]", NNOM_RNN_CONSTS * 4u);
    if (st != NNOM_OK) return st;
    const int32_t *k = (const int32_t *)nnom_blob_data(l, 5);
    int ok;
    const int32_t p = power_of_two(k[NNOM_RNN_C_SCALE], &ok);
    if (!ok || p < NNOM_LSTM_TFLITE_MIN_POWER || p > NNOM_LSTM_TFLITE_MAX_POWER)
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "TFLite arithmetic: constants[1] (c scale, float "
                         "bits 0x%x) must be a power of two from 2^%d to 2^%d",
                         (unsigned)k[NNOM_RNN_C_SCALE], NNOM_LSTM_TFLITE_MIN_POWER, NNOM_LSTM_TFLITE_MAX_POWER);
    if ((st = nnom_rnn_check_pair(m, l, k, NNOM_RNN_MIX_MULT, "i g -> c")) != NNOM_OK) return st;
    if ((st = nnom_rnn_check_pair(m, l, k, NNOM_RNN_HID_MULT, "o tanh(c) -> h")) != NNOM_OK) return st;
    if ((st = nnom_rnn_check_pair(m, l, k, NNOM_RNN_TFL_FORGET_MULT, "f c -> c")) != NNOM_OK) return st;
    if (k[NNOM_RNN_TFL_CELL_CLIP] < 0 || k[NNOM_RNN_TFL_CELL_CLIP] > CELL_CLIP_MAX)
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "TFLite arithmetic: constants[%d] (cell clip) is "
                         "%d, expected 0 (none) to %d", (int)NNOM_RNN_TFL_CELL_CLIP,
                         (int)k[NNOM_RNN_TFL_CELL_CLIP], CELL_CLIP_MAX);
    if (k[NNOM_RNN_TFL_H_ZERO_POINT] < INT8_MIN || k[NNOM_RNN_TFL_H_ZERO_POINT] > INT8_MAX)
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "TFLite arithmetic: constants[%d] (hidden zero "
                         "point) is %d, expected -128 to 127", (int)NNOM_RNN_TFL_H_ZERO_POINT,
                         (int)k[NNOM_RNN_TFL_H_ZERO_POINT]);
    return NNOM_OK;
}

void nnom_lstm_tflite_run_s8(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    const int32_t *k = (const int32_t *)nnom_blob_data(l, 5);
    nnom_lstm_tflite_s8_args a;
    int ok;
    a.steps = x->in_layer[0]->def->shape.dims[0];
    a.in_features = x->in_layer[0]->def->shape.dims[1];
    a.units = l->def->params.units;
    a.return_sequences = (l->def->params.cell_flags & NNOM_RNN_RETURN_SEQUENCES) != 0;
    a.kernel = (const int8_t *)nnom_blob_data(l, 0);
    a.recurrent = (const int8_t *)nnom_blob_data(l, 1);
    a.bias = nnom_blob_size(l, 2) ? (const int32_t *)nnom_blob_data(l, 2) : NULL;
    a.requant = (const int32_t *)nnom_blob_data(l, 3);
    a.forget_mult = k[NNOM_RNN_TFL_FORGET_MULT];
    a.forget_shift = k[NNOM_RNN_TFL_FORGET_SHIFT];
    a.input_mult = k[NNOM_RNN_MIX_MULT];
    a.input_shift = k[NNOM_RNN_MIX_SHIFT];
    a.hidden_mult = k[NNOM_RNN_HID_MULT];
    a.hidden_shift = k[NNOM_RNN_HID_SHIFT];
    a.cell_power = power_of_two(k[NNOM_RNN_C_SCALE], &ok);
    a.cell_clip = k[NNOM_RNN_TFL_CELL_CLIP];
    a.in_zero_point = x->in_layer[0]->def->quant.zero_point;
    a.h_zero_point = k[NNOM_RNN_TFL_H_ZERO_POINT];
    if (!(l->def->params.cell_flags & NNOM_RNN_STATEFUL)) memset(x->state, 0, nnom_rnn_state_bytes(l, NNOM_DTYPE_S8));
    nnom_lstm_tflite_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out, (int16_t *)x->state, (int16_t *)x->scratch);
}
