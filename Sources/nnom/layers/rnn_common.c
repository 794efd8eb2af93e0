/*
 * Recurrent layers (SIMPLE_RNN, GRU, LSTM): checks and kernel glue shared by
 * the three layer files. See rnn_common.h and kernels/rnn.h.
 *
 * Parameters: units, cell_flags (NNOM_RNN_* bits), activations
 * (NNOM_RNN_ACTIVATIONS(activation, recurrent_activation)); the fused
 * `activation` must be 0. Input (steps, features); output (steps, units) with
 * NNOM_RNN_RETURN_SEQUENCES, else (units).
 *  f32: 0 kernel [G*units][features], 1 recurrent kernel [G*units][units],
 *       2 bias [G*units] (GRU with NNOM_RNN_RESET_AFTER: [2][3*units]) or empty.
 *  s8:  the same in int8 (bias int32), 3 requantisation pairs, 4 activation tables,
 *       5 constants: see include/nnom/layers.h and kernels/rnn.h.
 * State: h (LSTM: h then c), units values each, in the model's state memory.
 * Scratch: see nnom_rnn_f32_scratch_bytes(). MACs: steps * G * units * (features + units).
 */
#include <float.h>
#include <string.h>

#include "layers/rnn_common.h"

#include "core/model_internal.h"
#include "kernels/lstm_tflite.h"
#include "kernels/requant.h"

int32_t nnom_rnn_cell_of(nnom_layer_type type)
{
    switch (type) {
    case NNOM_LAYER_SIMPLE_RNN: return NNOM_RNN_CELL_SIMPLE;
    case NNOM_LAYER_GRU: return NNOM_RNN_CELL_GRU;
    case NNOM_LAYER_LSTM: return NNOM_RNN_CELL_LSTM;
    default: return 0;
    }
}

static const char *act_names = "0 tanh, 1 sigmoid, 2 hard_sigmoid, 3 hard_sigmoid (Keras 2), 4 relu, 5 linear";

static int bounded(int32_t act) { return act != NNOM_RNN_ACT_RELU && act != NNOM_RNN_ACT_LINEAR; }

static float f32_of(int32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

nnom_status nnom_rnn_check_pair(nnom_model *m, const nnom_layer *l, const int32_t *k, int32_t at, const char *what)
{
    if (!nnom_requant_pair_ok(k[at], k[at + 1]))
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT,
                               "constants[%d, %d] (%s multiplier, shift) are %d, %d; expected a multiplier >= 0 and a "
                               "shift from %d to %d", (int)at, (int)(at + 1), what, (int)k[at], (int)k[at + 1],
                               NNOM_SHIFT_MIN, NNOM_SHIFT_MAX);
    return NNOM_OK;
}

static int scale_ok(float s) { return s > 0.0f && s <= FLT_MAX; }

/* nnom_layer_params.activations: NNOM_RNN_ACTIVATIONS(cell, recurrent), a byte each */
/* units of a recurrent layer: 1 to 2^16 */
enum { RNN_MAX_UNITS = 1 << 16 };

enum { ACT_BITS = 8, ACT_MASK = (1 << ACT_BITS) - 1, ACTIVATIONS_MASK = (1 << (2 * ACT_BITS)) - 1 };
static int32_t cell_act(const nnom_layer *l) { return l->def->params.activations & ACT_MASK; }
static int32_t recurrent_act(const nnom_layer *l) { return (l->def->params.activations >> ACT_BITS) & ACT_MASK; }

nnom_status nnom_rnn_check_requant(nnom_model *m, const nnom_layer *l, int64_t rows)
{
    char what[96];
    nnom_format(what, sizeof what, "requantisation int32 [4][%d]", (int)rows);
    nnom_status st = nnom_expect_blob(m, l, 3, what, (uint32_t)rows * 16u);
    if (st != NNOM_OK) return st;
    const int32_t *q = (const int32_t *)nnom_blob_data(l, 3);
    for (int64_t r = 0; r < rows; r++)
        for (int part = 0; part < 2; part++) {
            const int32_t mult = q[2 * part * rows + r], shift = q[(2 * part + 1) * rows + r];
            if (!nnom_requant_pair_ok(mult, shift))
                return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT,
                                       "row %d: %s multiplier %d, shift %d; expected a multiplier >= 0 and a shift "
                                       "from %d to %d", (int)r, part ? "recurrent" : "input", (int)mult, (int)shift,
                                       NNOM_SHIFT_MIN, NNOM_SHIFT_MAX);
        }
    return NNOM_OK;
}

/* int8 blobs 3 to 5: requantisation pairs, tables and constants (see include/nnom/layers.h). */
static nnom_status rnn_infer_s8(nnom_layer *l, const nnom_infer_ctx *ctx, int32_t gates, int64_t rows)
{
    nnom_model *m = ctx->model;
    const int32_t rec = recurrent_act(l);
    if (gates > 1 && !bounded(rec))
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED,
                               "int8 gates are Q15: the recurrent activation must be bounded (tanh, sigmoid, "
                               "hard_sigmoid), not %d", (int)rec);
    nnom_status st = nnom_rnn_check_requant(m, l, rows);
    if (st != NNOM_OK) return st;
    char what[96];
    const int32_t tables = gates == NNOM_RNN_CELL_SIMPLE ? 1 : (gates == NNOM_RNN_CELL_GRU ? 2 : 3);
    nnom_format(what, sizeof what, "activation tables int16 [%d][%d]", (int)tables, NNOM_RNN_TABLE_SIZE);
    st = nnom_expect_blob(m, l, 4, what, (uint32_t)tables * NNOM_RNN_TABLE_SIZE * (uint32_t)sizeof(int16_t));
    if (st != NNOM_OK) return st;
    st = nnom_expect_blob(m, l, 5, "constants int32 [16]", NNOM_RNN_CONSTS * 4u);
    if (st != NNOM_OK) return st;
    const int32_t *k = (const int32_t *)nnom_blob_data(l, 5);
    const int lstm = gates == NNOM_RNN_CELL_LSTM;
    if (!scale_ok(f32_of(k[NNOM_RNN_H_SCALE])) || (lstm && !scale_ok(f32_of(k[NNOM_RNN_C_SCALE]))))
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT,
                               "constants[0, 1] (h and c scales) must be positive and finite%s",
                               lstm ? "" : " (c: any, unused)");
    if ((st = nnom_rnn_check_pair(m, l, k, NNOM_RNN_OUT_MULT, "output")) != NNOM_OK) return st;
    if ((st = nnom_rnn_check_pair(m, l, k, NNOM_RNN_MIX_MULT, "mix")) != NNOM_OK) return st;
    return nnom_rnn_check_pair(m, l, k, NNOM_RNN_HID_MULT, "hidden");
}

nnom_status nnom_rnn_infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_model *m = ctx->model;
    const int32_t gates = nnom_rnn_cell_of(l->type), units = l->def->params.units;
    const nnom_shape *is = &ctx->in[0]->def->shape;
    if (is->rank != 2) {
        char t[NNOM_SHAPE_TEXT_MAX];
        nnom_shape_text(is, t, sizeof t);
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE,
                               "needs an input of rank 2 (steps, features), but '%s' has shape %s", ctx->in[0]->def->name,
                               t);
    }
    const int32_t steps = is->dims[0], features = is->dims[1];
    if (units <= 0 || units > RNN_MAX_UNITS)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "units is %d, expected 1 to %d", (int)units, RNN_MAX_UNITS);
    const int32_t known = NNOM_RNN_RETURN_SEQUENCES | NNOM_RNN_GO_BACKWARDS | NNOM_RNN_STATEFUL |
                          NNOM_RNN_INPUT_ORDER | (gates == NNOM_RNN_CELL_GRU ? NNOM_RNN_RESET_AFTER : 0) |
                          (gates == NNOM_RNN_CELL_LSTM ? NNOM_RNN_TFLITE : 0);
    if (l->def->params.cell_flags & ~known)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED, "cell_flags 0x%x has unknown bits 0x%x (known: 0x%x)",
                               (unsigned)l->def->params.cell_flags, (unsigned)(l->def->params.cell_flags & ~known), (unsigned)known);
    const int32_t act = cell_act(l), rec = recurrent_act(l);
    if ((l->def->params.activations & ~ACTIVATIONS_MASK) != 0 || act >= NNOM_RNN_ACT_COUNT || rec >= NNOM_RNN_ACT_COUNT)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED,
                               "activations 0x%x: activation %d, recurrent activation %d; each must be one of %s",
                               (unsigned)l->def->params.activations, (int)act, (int)(l->def->params.activations >> ACT_BITS), act_names);
    if (l->def->params.activation != NNOM_ACT_NONE)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED,
                               "fused activation %d given; recurrent layers take theirs in `activations`, the fused "
                               "one must be 0", (int)l->def->params.activation);
    const int tflite = (l->def->params.cell_flags & NNOM_RNN_TFLITE) != 0;
    if (tflite && (ctx->dtype != NNOM_DTYPE_S8 || (l->def->params.cell_flags & NNOM_RNN_GO_BACKWARDS) ||
                   l->def->params.activations != NNOM_RNN_ACTIVATIONS(NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID)))
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED,
                               "TFLite's LSTM arithmetic (cell_flags 0x%x) is int8 only, runs forwards, with tanh and "
                               "sigmoid (here: %s, %s, activations 0x%x)", (unsigned)NNOM_RNN_TFLITE,
                               ctx->dtype == NNOM_DTYPE_S8 ? "int8" : "float32",
                               (l->def->params.cell_flags & NNOM_RNN_GO_BACKWARDS) ? "backwards" : "forwards",
                               (unsigned)l->def->params.activations);
    const int64_t rows = (int64_t)gates * units;
    if (rows * ((int64_t)features + units) > (1 << 28))
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "%d features and %d units make too many weights", (int)features,
                               (int)units);
    const uint32_t esize = nnom_dtype_size(ctx->dtype);
    const int s8 = ctx->dtype == NNOM_DTYPE_S8;
    char what[96];
    nnom_format(what, sizeof what, "kernel [%d][%d] (%s)", (int)rows, (int)features, s8 ? "int8" : "float");
    nnom_status st = nnom_expect_blob(m, l, 0, what, (uint32_t)(rows * features) * esize);
    if (st != NNOM_OK) return st;
    nnom_format(what, sizeof what, "recurrent kernel [%d][%d] (%s)", (int)rows, (int)units, s8 ? "int8" : "float");
    st = nnom_expect_blob(m, l, 1, what, (uint32_t)(rows * units) * esize);
    if (st != NNOM_OK) return st;
    const int two = gates == NNOM_RNN_CELL_GRU && (l->def->params.cell_flags & NNOM_RNN_RESET_AFTER);
    if (nnom_blob_size(l, 2) != 0) {
        if (two)
            nnom_format(what, sizeof what, "bias [2][%d] (input, recurrent; or none)", (int)rows);
        else
            nnom_format(what, sizeof what, "bias [%d] (or none)", (int)rows);
        st = nnom_expect_blob(m, l, 2, what, (uint32_t)(rows * (two ? 2 : 1)) * 4u);
        if (st != NNOM_OK) return st;
    }
    if (s8) {
        st = tflite ? nnom_lstm_tflite_infer_s8(l, ctx, rows) : rnn_infer_s8(l, ctx, gates, rows);
        if (st != NNOM_OK) return st;
    } else {
        for (int s = 3; s < NNOM_MAX_BLOBS; s++)
            if (nnom_blob_size(l, s) != 0)
                return nnom_layer_fail(m, l, NNOM_ERR_SHAPE,
                                       "blob %d holds %u bytes, expected none in a float32 model", s,
                                       (unsigned)nnom_blob_size(l, s));
    }
    if (l->def->params.cell_flags & NNOM_RNN_RETURN_SEQUENCES) {
        l->def->shape.rank = 2;
        l->def->shape.dims[0] = steps;
        l->def->shape.dims[1] = units;
    } else {
        l->def->shape.rank = 1;
        l->def->shape.dims[0] = units;
    }
    return NNOM_OK;
}


uint32_t nnom_rnn_scratch_bytes(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const int32_t cell = nnom_rnn_cell_of(l->type);
#if NNOM_HAS_F32
    if (ctx->dtype == NNOM_DTYPE_F32) return nnom_rnn_f32_scratch_bytes(cell, l->def->params.units);
#endif
    if (l->def->params.cell_flags & NNOM_RNN_TFLITE) return nnom_lstm_tflite_s8_scratch_bytes(l->def->params.units);
    return nnom_rnn_s8_scratch_bytes(cell, l->def->params.units);
}

uint64_t nnom_rnn_macs(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_shape *is = &ctx->in[0]->def->shape;
    return (uint64_t)is->dims[0] * (uint64_t)nnom_rnn_cell_of(l->type) * (uint64_t)l->def->params.units *
           ((uint64_t)is->dims[1] + (uint64_t)l->def->params.units);
}

#if NNOM_HAS_F32
void nnom_rnn_run_f32(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    nnom_rnn_f32_args a;
    a.cell = nnom_rnn_cell_of(l->type);
    a.steps = x->in_layer[0]->def->shape.dims[0];
    a.in_features = x->in_layer[0]->def->shape.dims[1];
    a.units = l->def->params.units;
    a.flags = l->def->params.cell_flags;
    a.act = cell_act(l);
    a.rec_act = recurrent_act(l);
    a.kernel = (const float *)nnom_blob_data(l, 0);
    a.recurrent = (const float *)nnom_blob_data(l, 1);
    a.bias = nnom_blob_size(l, 2) ? (const float *)nnom_blob_data(l, 2) : NULL;
    a.observe = x->observe;
    if (!(l->def->params.cell_flags & NNOM_RNN_STATEFUL)) memset(x->state, 0, nnom_rnn_state_bytes(l, NNOM_DTYPE_F32));
    nnom_rnn_f32(&a, (const float *)x->in[0], (float *)x->out, (float *)x->state, (float *)x->scratch);
}
#endif

void nnom_rnn_run_s8(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    if (l->def->params.cell_flags & NNOM_RNN_TFLITE) {
        nnom_lstm_tflite_run_s8(x);
        return;
    }
    nnom_rnn_s8_args a;
    a.cell = nnom_rnn_cell_of(l->type);
    a.steps = x->in_layer[0]->def->shape.dims[0];
    a.in_features = x->in_layer[0]->def->shape.dims[1];
    a.units = l->def->params.units;
    a.flags = l->def->params.cell_flags;
    a.kernel = (const int8_t *)nnom_blob_data(l, 0);
    a.recurrent = (const int8_t *)nnom_blob_data(l, 1);
    a.bias = nnom_blob_size(l, 2) ? (const int32_t *)nnom_blob_data(l, 2) : NULL;
    a.requant = (const int32_t *)nnom_blob_data(l, 3);
    a.tables = (const int16_t *)nnom_blob_data(l, 4);
    a.consts = (const int32_t *)nnom_blob_data(l, 5);
    a.in_zero_point = x->in_layer[0]->def->quant.zero_point;
    a.out_zero_point = l->def->quant.zero_point;
    if (!(l->def->params.cell_flags & NNOM_RNN_STATEFUL)) memset(x->state, 0, nnom_rnn_state_bytes(l, NNOM_DTYPE_S8));
    nnom_rnn_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out, (int16_t *)x->state, (int16_t *)x->scratch);
}

int32_t nnom_rnn_state_vectors(const nnom_layer *l, int32_t *length)
{
    *length = l->def->params.units;
    return l->type == NNOM_LAYER_LSTM ? 2 : 1;
}

uint32_t nnom_rnn_state_bytes(const nnom_layer *l, nnom_dtype dtype)
{
    int32_t length;
    const int32_t n = nnom_rnn_state_vectors(l, &length);
    /* int8 models keep int16 states */
    return (uint32_t)(n * length) * (dtype == NNOM_DTYPE_S8 ? 2u : 4u);
}

/* The scale of int16 state vector @p which of an int8 layer. */
static float state_scale(const nnom_layer *l, int32_t which)
{
    const int32_t *k = (const int32_t *)nnom_blob_data(l, 5);
    return f32_of(k[which == 0 ? NNOM_RNN_H_SCALE : NNOM_RNN_C_SCALE]);
}

void nnom_rnn_state_read(const nnom_layer *l, nnom_dtype dtype, const void *state, int32_t which, float *out)
{
    const int32_t units = l->def->params.units;
    if (dtype == NNOM_DTYPE_S8) {
        const int16_t *v = (const int16_t *)state + (size_t)which * (size_t)units;
        const float scale = state_scale(l, which);
        for (int32_t u = 0; u < units; u++) out[u] = scale * (float)v[u];
        return;
    }
    memcpy(out, (const float *)state + (size_t)which * (size_t)units, (size_t)units * sizeof(float));
}

void nnom_rnn_state_write(const nnom_layer *l, nnom_dtype dtype, void *state, int32_t which, const float *in)
{
    const int32_t units = l->def->params.units;
    if (dtype == NNOM_DTYPE_S8) {
        int16_t *v = (int16_t *)state + (size_t)which * (size_t)units;
        const float scale = state_scale(l, which);
        for (int32_t u = 0; u < units; u++) {
            float q = in[u] / scale; /* round half away from zero, saturated (NaN gives 0) */
            q = q >= 0.0f ? q + 0.5f : q - 0.5f;
            v[u] = (int16_t)(q >= (float)INT16_MAX ? INT16_MAX : (q <= (float)INT16_MIN ? INT16_MIN : (q == q ? (int32_t)q : 0)));
        }
        return;
    }
    memcpy((float *)state + (size_t)which * (size_t)units, in, (size_t)units * sizeof(float));
}
