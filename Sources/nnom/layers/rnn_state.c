/*
 * RNN_STATE: the final state of a recurrent layer (its single input) as a vector (units).
 * Parameter `axis` picks the state vector: 0 h, 1 c (LSTM). It reads the input layer's state
 * memory (nnom_exec.in_state), so it must run after that layer in the same run, as it does:
 * layers run in the order they were added and it reads that layer.
 *  f32: no blobs; a copy.
 *  s8:  0 int32 [2] = {multiplier, shift} taking the int16 state (at the scale in the recurrent
 *       layer's constants) to the output scale: y = sat8(rq(v, multiplier, shift) + y_zp).
 */
#include <string.h>

#include "core/layer.h"
#include "kernels/requant.h"

static nnom_status rnn_state_infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_model *m = ctx->model;
    const nnom_layer *src = ctx->in[0];
    const nnom_layer_ops *ops = nnom_layer_ops_of(src->type);
    const int recurrent = src->type == NNOM_LAYER_SIMPLE_RNN || src->type == NNOM_LAYER_GRU ||
                          src->type == NNOM_LAYER_LSTM;
    if (!recurrent || !ops || !ops->state_vectors)
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT,
                               "its input '%s' (%s) is not a recurrent layer (simple_rnn, gru, lstm)", src->def->name,
                               nnom_layer_type_name(src->type));
    int32_t length = 0;
    const int32_t n = ops->state_vectors(src, &length);
    if (l->def->params.axis < 0 || l->def->params.axis >= n)
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "axis (the state vector) is %d; '%s' has %d (0: h%s)",
                               (int)l->def->params.axis, src->def->name, (int)n, n > 1 ? ", 1: c" : "");
    if (ctx->dtype == NNOM_DTYPE_S8) {
        nnom_status st = nnom_expect_blob(m, l, 0, "requantisation int32 [2] (multiplier, shift)", 8u);
        if (st != NNOM_OK) return st;
        const int32_t *q = (const int32_t *)nnom_blob_data(l, 0);
        if (!nnom_requant_pair_ok(q[0], q[1]))
            return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT,
                                   "multiplier %d, shift %d; expected a multiplier >= 0 and a shift from %d to %d",
                                   (int)q[0], (int)q[1], NNOM_SHIFT_MIN, NNOM_SHIFT_MAX);
        for (int s = 1; s < NNOM_MAX_BLOBS; s++)
            if (nnom_blob_size(l, s) != 0)
                return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "blob %d holds %u bytes, expected none", s,
                                       (unsigned)nnom_blob_size(l, s));
    } else {
        nnom_status st = nnom_expect_no_blobs(ctx, l);
        if (st != NNOM_OK) return st;
    }
    l->def->shape.rank = 1;
    l->def->shape.dims[0] = length;
    return NNOM_OK;
}

static void rnn_state_run_f32(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    const int32_t units = l->def->shape.dims[0];
    memcpy(x->out, (const float *)x->in_state[0] + (size_t)l->def->params.axis * (size_t)units, (size_t)units * sizeof(float));
}

static void rnn_state_run_s8(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    const int32_t units = l->def->shape.dims[0];
    const int16_t *v = (const int16_t *)x->in_state[0] + (size_t)l->def->params.axis * (size_t)units;
    const int32_t *q = (const int32_t *)nnom_blob_data(l, 0);
    const int32_t zp = l->def->quant.zero_point;
    int8_t *out = (int8_t *)x->out;
    for (int32_t u = 0; u < units; u++) out[u] = nnom_clamp_s8(nnom_requantize(v[u], q[0], q[1]) + zp, INT8_MIN, INT8_MAX);
}

const nnom_layer_ops nnom_ops_rnn_state = {.min_inputs = 1,
                                           .max_inputs = 1,
                                           .infer = rnn_state_infer,
                                           .run_s8 = rnn_state_run_s8,
                                           .run_f32 = NNOM_RUN_F32(rnn_state_run_f32)};
