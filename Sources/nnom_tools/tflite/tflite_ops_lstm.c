/*
 * UNIDIRECTIONAL_SEQUENCE_LSTM (int8 activations, int8 weights, int16 cell
 * state) onto an LSTM layer with NNOM_RNN_TFLITE: TFLite's integer LSTM,
 * bit-exact with TFLite Micro (kernels/lstm_tflite.h).
 *
 * The operator's inputs (schema.fbs / TFLite's kernel): 0 input [batch, steps,
 * features]; 1-4 input weights of the
 * input, forget, cell and output gates [units][features]; 5-8 their recurrent
 * weights [units][units]; 9-11 peephole weights; 12-15 the gate biases (int32);
 * 16, 17 projection weights and bias; 18 the hidden state and 19 the cell
 * state (variable tensors); 20-23 layer-norm coefficients. nnom maps the
 * standard LSTM Keras makes: no peephole, projection or layer norm (those
 * inputs absent), batch 1 first (not time major), tanh.
 *
 * The scales, as TFLite Micro derives them: every gate's pre-activation is at
 * 2^-12 (the converter's intermediate tensors are not read); gate outputs at
 * 2^-15; the cell state's scale a power of two.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tflite/tflite_internal.h"

#include "kernels/lstm_tflite.h"

/* Input indices of the operator. */
enum {
    LSTM_IN = 0,
    LSTM_W_FIRST = 1,       /* 1-4: input weights, gates i f c o */
    LSTM_U_FIRST = 5,       /* 5-8: recurrent weights */
    LSTM_PEEPHOLE_FIRST = 9,
    LSTM_PEEPHOLE_LAST = 11,
    LSTM_B_FIRST = 12,      /* 12-15: gate biases */
    LSTM_PROJ_W = 16,
    LSTM_PROJ_B = 17,
    LSTM_HIDDEN = 18,
    LSTM_CELL = 19,
    LSTM_NORM_FIRST = 20,
    LSTM_NORM_LAST = 23,
    LSTM_INPUTS_MIN = 20,   /* files before layer norm have 20 inputs */
    LSTM_INPUTS_MAX = 24
};
#define GATES 4

/* UnidirectionalSequenceLSTMOptions fields */
enum { LSTM_OPT_ACT = 0, LSTM_OPT_CELL_CLIP = 1, LSTM_OPT_PROJ_CLIP = 2, LSTM_OPT_TIME_MAJOR = 3 };
/* schema.fbs: ActivationFunctionType TANH */
#define TFL_ACT_TANH 4
/* Output scale of TFLite's int16 sigmoid and tanh: 2^-15 */
#define Q15_SCALE (1.0 / 32768.0)
/* Scale of the gates' pre-activations: 2^-12 */
#define GATE_SCALE (1.0 / 4096.0)

static const char *const GATE_NAMES[GATES] = {"input", "forget", "cell", "output"};

static nnom_status absent(tfl_ctx *x, const tfl_op *op, int32_t first, int32_t last, const char *what)
{
    for (int32_t i = first; i <= last && i < op->n_in; i++)
        if (op->in[i] >= 0)
            return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "input %d (%s) is present; nnom maps the standard LSTM only (no "
                            "peephole, projection or layer norm)", (int)i, what);
    return NNOM_OK;
}

/* An int8 weight matrix [rows][cols] with one scale and zero point 0. */
static nnom_status weights(tfl_ctx *x, const tfl_op *op, int32_t i, int32_t rows, int32_t cols, tfl_tensor **t)
{
    nnom_status st = tfl_input(x, op, i, t);
    if (st != NNOM_OK) return st;
    char what[64];
    snprintf(what, sizeof what, "input %d (weights)", (int)i);
    st = tfl_constant(x, *t, TFL_TYPE_INT8, (int64_t)rows * cols, what);
    if (st != NNOM_OK) return st;
    if ((*t)->rank != 2 || (*t)->dims[0] != rows || (*t)->dims[1] != cols)
        return tfl_fail(x, NNOM_ERR_FORMAT, "weights '%s' (input %d) are not [%d][%d]", (*t)->name, (int)i, (int)rows,
                        (int)cols);
    if ((*t)->n_quant != 1 || !((*t)->scales[0] > 0.0f) || (*t)->zero_points[0] != 0)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "weights '%s' (input %d) must have one scale and zero point 0 "
                        "(%d scales)", (*t)->name, (int)i, (int)(*t)->n_quant);
    return NNOM_OK;
}

static int32_t f32_bits(float f)
{
    int32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* The shape: steps, features, units from the input and the weights. */
static nnom_status sizes(tfl_ctx *x, const tfl_op *op, const tfl_tensor *in, int32_t time_major, int32_t *steps,
                         int32_t *features, int32_t *units)
{
    if (time_major)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "the input is time major; nnom maps [1, steps, features] only");
    if (in->rank != 3 || in->dims[0] != 1)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "input '%s' must be [1, steps, features] (rank %d); nnom runs a "
                        "batch of one", in->name, (int)in->rank);
    *steps = in->dims[1];
    *features = in->dims[2];
    if (op->n_in <= LSTM_W_FIRST + 1 || op->in[LSTM_W_FIRST + 1] < 0)
        return tfl_fail(x, NNOM_ERR_FORMAT, "input %d (forget gate weights) is absent", LSTM_W_FIRST + 1);
    const tfl_tensor *wf = &x->tensors[op->in[LSTM_W_FIRST + 1]];
    *units = wf->rank == 2 ? wf->dims[0] : 0;
    if (*units < 1 || *steps < 1 || *features < 1)
        return tfl_fail(x, NNOM_ERR_FORMAT, "%d steps of %d features into %d units", (int)*steps, (int)*features,
                        (int)*units);
    return NNOM_OK;
}

/* The hidden (int8) and cell (int16, power-of-two scale, zero point 0) state tensors. */
static nnom_status states(tfl_ctx *x, const tfl_op *op, int32_t units, tfl_tensor **h, tfl_tensor **c)
{
    nnom_status st = tfl_input(x, op, LSTM_HIDDEN, h);
    if (st == NNOM_OK) st = tfl_input(x, op, LSTM_CELL, c);
    if (st != NNOM_OK) return st;
    if ((*h)->type != TFL_TYPE_INT8 || (*h)->n_quant != 1 || !((*h)->scales[0] > 0.0f) || tfl_count(*h) != units)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "hidden state '%s' (input %d) must be int8 with one scale and %d "
                        "values", (*h)->name, LSTM_HIDDEN, (int)units);
    if ((*c)->type != TFL_TYPE_INT16 || (*c)->n_quant != 1 || (*c)->zero_points[0] != 0 || tfl_count(*c) != units)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "cell state '%s' (input %d) must be int16 with one scale, zero "
                        "point 0 and %d values", (*c)->name, LSTM_CELL, (int)units);
    int e;
    const double m = frexp((double)(*c)->scales[0], &e);
    if (m != 0.5 || e - 1 < NNOM_LSTM_TFLITE_MIN_POWER || e - 1 > NNOM_LSTM_TFLITE_MAX_POWER)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "cell state '%s' has scale %g; TFLite's integer LSTM needs a power "
                        "of two from 2^%d to 2^%d", (*c)->name, (double)(*c)->scales[0], NNOM_LSTM_TFLITE_MIN_POWER,
                        NNOM_LSTM_TFLITE_MAX_POWER);
    /* TFLite Micro starts from the real value 0 (the hidden state's zero point; cell 0), as nnom does */
    for (uint32_t b = 0; (*h)->data && b < (*h)->data_size; b++)
        if ((int8_t)(*h)->data[b] != (*h)->zero_points[0])
            return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "hidden state '%s' has a nonzero initial value; nnom starts "
                            "from zero", (*h)->name);
    for (uint32_t b = 0; (*c)->data && b < (*c)->data_size; b++)
        if ((*c)->data[b] != 0)
            return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "cell state '%s' has a nonzero initial value; nnom starts "
                            "from zero", (*c)->name);
    return NNOM_OK;
}

nnom_status tfl_map_unidirectional_lstm(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out, *h, *c;
    nnom_status st = tfl_expect_io(x, op, LSTM_INPUTS_MIN, LSTM_INPUTS_MAX, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, LSTM_IN, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = absent(x, op, LSTM_PEEPHOLE_FIRST, LSTM_PEEPHOLE_LAST, "peephole weights");
    if (st == NNOM_OK) st = absent(x, op, LSTM_PROJ_W, LSTM_PROJ_B, "projection");
    if (st == NNOM_OK) st = absent(x, op, LSTM_NORM_FIRST, LSTM_NORM_LAST, "layer-norm coefficients");
    if (st != NNOM_OK) return st;
    int32_t act, time_major;
    float cell_clip;
    st = tfl_opt_i8(x, op, LSTM_OPT_ACT, TFL_ACT_NONE, &act);
    if (st == NNOM_OK) st = tfl_opt_f32(x, op, LSTM_OPT_CELL_CLIP, 0.0f, &cell_clip);
    if (st == NNOM_OK) st = tfl_opt_bool(x, op, LSTM_OPT_TIME_MAJOR, &time_major);
    if (st != NNOM_OK) return st;
    if (act != TFL_ACT_TANH)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "activation %d; nnom maps TFLite's integer LSTM with tanh (%d) only",
                        (int)act, TFL_ACT_TANH);
    if (!(cell_clip >= 0.0f))
        return tfl_fail(x, NNOM_ERR_FORMAT, "cell clip %g is negative", (double)cell_clip);
    int32_t steps = 0, features = 0, units = 0;
    st = sizes(x, op, in, time_major, &steps, &features, &units);
    if (st == NNOM_OK) st = states(x, op, units, &h, &c);
    if (st != NNOM_OK) return st;
    if (tfl_count(out) != (int64_t)steps * units)
        return tfl_fail(x, NNOM_ERR_FORMAT, "output '%s' holds %lld values for %d steps of %d units", out->name,
                        (long long)tfl_count(out), (int)steps, (int)units);
    const int32_t rows = GATES * units;
    int8_t *kernel = tfl_store(x, (size_t)rows * (size_t)features);
    int8_t *recurrent = tfl_store(x, (size_t)rows * (size_t)units);
    int32_t *bias = tfl_store(x, (size_t)rows * sizeof(int32_t));
    int32_t *requant = tfl_store(x, (size_t)rows * 4u * sizeof(int32_t));
    int32_t *k = tfl_store(x, NNOM_RNN_CONSTS * sizeof(int32_t));
    if (!kernel || !recurrent || !bias || !requant || !k) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    memset(k, 0, NNOM_RNN_CONSTS * sizeof(int32_t));
    const double in_scale = (double)in->scales[0], h_scale = (double)h->scales[0];
    for (int32_t g = 0; g < GATES; g++) {
        tfl_tensor *w, *u, *b;
        char what[96];
        st = weights(x, op, LSTM_W_FIRST + g, units, features, &w);
        if (st == NNOM_OK) st = weights(x, op, LSTM_U_FIRST + g, units, units, &u);
        if (st == NNOM_OK) st = tfl_input(x, op, LSTM_B_FIRST + g, &b);
        snprintf(what, sizeof what, "input %d (%s gate bias)", (int)(LSTM_B_FIRST + g), GATE_NAMES[g]);
        if (st == NNOM_OK) st = tfl_constant(x, b, TFL_TYPE_INT32, units, what);
        if (st != NNOM_OK) return st;
        memcpy(kernel + (size_t)g * units * features, w->data, (size_t)units * features);
        memcpy(recurrent + (size_t)g * units * units, u->data, (size_t)units * units);
        memcpy(bias + (size_t)g * units, b->data, (size_t)units * sizeof(int32_t));
        int32_t mx, sx, mh, sh;
        snprintf(what, sizeof what, "%s gate, input to gate scale", GATE_NAMES[g]);
        st = tfl_multiplier(x, in_scale * (double)w->scales[0] / GATE_SCALE, &mx, &sx, what);
        snprintf(what, sizeof what, "%s gate, hidden state to gate scale", GATE_NAMES[g]);
        if (st == NNOM_OK) st = tfl_multiplier(x, h_scale * (double)u->scales[0] / GATE_SCALE, &mh, &sh, what);
        if (st != NNOM_OK) return st;
        for (int32_t r = g * units; r < (g + 1) * units; r++) {
            requant[r] = mx;
            requant[rows + r] = sx;
            requant[2 * rows + r] = mh;
            requant[3 * rows + r] = sh;
        }
    }
    const double c_scale = (double)c->scales[0];
    st = tfl_multiplier(x, Q15_SCALE * c_scale / c_scale, &k[NNOM_RNN_TFL_FORGET_MULT], &k[NNOM_RNN_TFL_FORGET_SHIFT],
                        "forget gate times cell state");
    if (st == NNOM_OK)
        st = tfl_multiplier(x, Q15_SCALE * Q15_SCALE / c_scale, &k[NNOM_RNN_MIX_MULT], &k[NNOM_RNN_MIX_SHIFT],
                            "input gate times cell gate");
    if (st == NNOM_OK)
        st = tfl_multiplier(x, Q15_SCALE * Q15_SCALE / h_scale, &k[NNOM_RNN_HID_MULT], &k[NNOM_RNN_HID_SHIFT],
                            "output gate times tanh(cell state)");
    if (st != NNOM_OK) return st;
    const double clip = (double)cell_clip / c_scale;
    k[NNOM_RNN_H_SCALE] = f32_bits(h->scales[0]);
    k[NNOM_RNN_C_SCALE] = f32_bits(c->scales[0]);
    k[NNOM_RNN_TFL_CELL_CLIP] = cell_clip > 0.0f ? (int32_t)(clip > INT16_MAX ? INT16_MAX : clip) : 0;
    k[NNOM_RNN_TFL_H_ZERO_POINT] = h->zero_points[0];

    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = NNOM_LAYER_LSTM;
    d.params.units = units;
    d.params.cell_flags = NNOM_RNN_RETURN_SEQUENCES | NNOM_RNN_TFLITE;
    d.params.activations = NNOM_RNN_ACTIVATIONS(NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID);
    d.blobs[0] = (nnom_blob){kernel, (uint32_t)((size_t)rows * features)};
    d.blobs[1] = (nnom_blob){recurrent, (uint32_t)((size_t)rows * units)};
    d.blobs[2] = (nnom_blob){bias, (uint32_t)((size_t)rows * sizeof(int32_t))};
    d.blobs[3] = (nnom_blob){requant, (uint32_t)((size_t)rows * 4u * sizeof(int32_t))};
    d.blobs[5] = (nnom_blob){k, NNOM_RNN_CONSTS * (uint32_t)sizeof(int32_t)};
    tfl_tensor held = *out;
    st = tfl_add_unary(x, &d, in, &held);
    if (st != NNOM_OK) return st;
    const nnom_shape made = {2, {steps, units, 0}};
    return tfl_reshape_to(x, held.layer, &made, out);
}
