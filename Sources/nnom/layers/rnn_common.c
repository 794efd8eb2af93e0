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
 * State: h (LSTM: h then c), units values each, in the model's state memory.
 * Scratch: see nnom_rnn_f32_scratch_bytes(). MACs: steps * G * units * (features + units).
 */
#include <string.h>

#include "layers/rnn_common.h"

#include "core/model_internal.h"

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

nnom_status nnom_rnn_infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const char *tname = nnom_layer_type_name(l->type);
    nnom_model *m = ctx->model;
    const int32_t gates = nnom_rnn_cell_of(l->type), units = l->p.units;
    const nnom_shape *is = &ctx->in[0]->shape;
    if (is->rank != 2) {
        char t[48];
        nnom_shape_text(is, t, sizeof t);
        return nnom_fail(m, NNOM_ERR_SHAPE, "layer '%s' (%s): needs an input of rank 2 (steps, features), but '%s' "
                         "has shape %s", l->name, tname, ctx->in[0]->name, t);
    }
    const int32_t steps = is->dims[0], features = is->dims[1];
    if (units <= 0 || units > (1 << 16))
        return nnom_fail(m, NNOM_ERR_SHAPE, "layer '%s' (%s): units is %d, expected 1 to 65536", l->name, tname,
                         (int)units);
    const int32_t known = NNOM_RNN_RETURN_SEQUENCES | NNOM_RNN_GO_BACKWARDS | NNOM_RNN_STATEFUL |
                          NNOM_RNN_INPUT_ORDER | (gates == NNOM_RNN_CELL_GRU ? NNOM_RNN_RESET_AFTER : 0);
    if (l->p.cell_flags & ~known)
        return nnom_fail(m, NNOM_ERR_UNSUPPORTED, "layer '%s' (%s): cell_flags 0x%x has unknown bits 0x%x (known: "
                         "0x%x)", l->name, tname, (unsigned)l->p.cell_flags, (unsigned)(l->p.cell_flags & ~known),
                         (unsigned)known);
    const int32_t act = l->p.activations & 0xff, rec = (l->p.activations >> 8) & 0xff;
    if ((l->p.activations & ~0xffff) != 0 || act >= NNOM_RNN_ACT_COUNT || rec >= NNOM_RNN_ACT_COUNT)
        return nnom_fail(m, NNOM_ERR_UNSUPPORTED, "layer '%s' (%s): activations 0x%x: activation %d, recurrent "
                         "activation %d; each must be one of %s", l->name, tname, (unsigned)l->p.activations,
                         (int)act, (int)(l->p.activations >> 8), act_names);
    if (l->p.activation != NNOM_ACT_NONE)
        return nnom_fail(m, NNOM_ERR_UNSUPPORTED, "layer '%s' (%s): fused activation %d given; recurrent layers "
                         "take theirs in `activations`, the fused one must be 0", l->name, tname,
                         (int)l->p.activation);
    const int64_t rows = (int64_t)gates * units;
    if (rows * ((int64_t)features + units) > (1 << 28))
        return nnom_fail(m, NNOM_ERR_SHAPE, "layer '%s' (%s): %d features and %d units make too many weights",
                         l->name, tname, (int)features, (int)units);
    const uint32_t esize = nnom_dtype_size(ctx->dtype);
    if (ctx->dtype != NNOM_DTYPE_F32)
        return nnom_fail(m, NNOM_ERR_UNSUPPORTED, "layer '%s' (%s): int8 recurrent layers are not supported yet",
                         l->name, tname);
    char what[80];
    nnom_format(what, sizeof what, "kernel [%d][%d]", (int)rows, (int)features);
    nnom_status st = nnom_expect_blob(m, l, 0, what, (uint32_t)(rows * features) * esize);
    if (st != NNOM_OK) return st;
    nnom_format(what, sizeof what, "recurrent kernel [%d][%d]", (int)rows, (int)units);
    st = nnom_expect_blob(m, l, 1, what, (uint32_t)(rows * units) * esize);
    if (st != NNOM_OK) return st;
    if (l->blobs[2].size != 0) {
        const int two = gates == NNOM_RNN_CELL_GRU && (l->p.cell_flags & NNOM_RNN_RESET_AFTER);
        if (two)
            nnom_format(what, sizeof what, "bias [2][%d] (input, recurrent; or none)", (int)rows);
        else
            nnom_format(what, sizeof what, "bias [%d] (or none)", (int)rows);
        st = nnom_expect_blob(m, l, 2, what, (uint32_t)(rows * (two ? 2 : 1)) * 4u);
        if (st != NNOM_OK) return st;
    }
    for (int s = 3; s < NNOM_MAX_BLOBS; s++)
        if (l->blobs[s].size != 0)
            return nnom_fail(m, NNOM_ERR_SHAPE, "layer '%s' (%s): blob %d holds %u bytes, expected none", l->name,
                             tname, s, (unsigned)l->blobs[s].size);
    if (l->p.cell_flags & NNOM_RNN_RETURN_SEQUENCES) {
        l->shape.rank = 2;
        l->shape.dims[0] = steps;
        l->shape.dims[1] = units;
    } else {
        l->shape.rank = 1;
        l->shape.dims[0] = units;
    }
    return NNOM_OK;
}

uint32_t nnom_rnn_scratch_bytes(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    (void)ctx;
    return nnom_rnn_f32_scratch_bytes(nnom_rnn_cell_of(l->type), l->p.units);
}

uint64_t nnom_rnn_macs(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_shape *is = &ctx->in[0]->shape;
    return (uint64_t)is->dims[0] * (uint64_t)nnom_rnn_cell_of(l->type) * (uint64_t)l->p.units *
           ((uint64_t)is->dims[1] + (uint64_t)l->p.units);
}

void nnom_rnn_run_f32(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    nnom_rnn_f32_args a;
    a.cell = nnom_rnn_cell_of(l->type);
    a.steps = x->in_layer[0]->shape.dims[0];
    a.in_features = x->in_layer[0]->shape.dims[1];
    a.units = l->p.units;
    a.flags = l->p.cell_flags;
    a.act = l->p.activations & 0xff;
    a.rec_act = (l->p.activations >> 8) & 0xff;
    a.kernel = (const float *)l->blobs[0].data;
    a.recurrent = (const float *)l->blobs[1].data;
    a.bias = l->blobs[2].size ? (const float *)l->blobs[2].data : NULL;
    if (!(l->p.cell_flags & NNOM_RNN_STATEFUL)) memset(x->state, 0, l->state_bytes);
    nnom_rnn_f32(&a, (const float *)x->in[0], (float *)x->out, (float *)x->state, (float *)x->scratch);
}

int32_t nnom_rnn_state_vectors(const nnom_layer *l, int32_t *length)
{
    *length = l->p.units;
    return l->type == NNOM_LAYER_LSTM ? 2 : 1;
}

uint32_t nnom_rnn_state_bytes(const nnom_layer *l, nnom_dtype dtype)
{
    int32_t length;
    const int32_t n = nnom_rnn_state_vectors(l, &length);
    /* int8 models keep int16 states */
    return (uint32_t)(n * length) * (dtype == NNOM_DTYPE_S8 ? 2u : 4u);
}

void nnom_rnn_state_read(const nnom_layer *l, nnom_dtype dtype, const void *state, int32_t which, float *out)
{
    const int32_t units = l->p.units;
    (void)dtype;
    memcpy(out, (const float *)state + (size_t)which * (size_t)units, (size_t)units * sizeof(float));
}

void nnom_rnn_state_write(const nnom_layer *l, nnom_dtype dtype, void *state, int32_t which, const float *in)
{
    const int32_t units = l->p.units;
    (void)dtype;
    memcpy((float *)state + (size_t)which * (size_t)units, in, (size_t)units * sizeof(float));
}
