/*
 * DENSE: a fully connected layer over its input read flat (any rank), output
 * rank 1 (units). Fused activation NONE, RELU or RELU6.
 *  s8:  blob 0 weights int8 [units][in] (cell_flags NNOM_DENSE_ROW_PAIRS: in row pairs, the layout
 *       of kernels/dense.h), blob 1 bias int32 [units] or empty,
 *       blob 2 multipliers int32 and blob 3 shifts int32, either [units]
 *       (per output channel) or [1] (per tensor), shifts in [-31, 30].
 *  f32: blob 0 weights float [units][in], blob 1 bias float [units] or empty.
 * No scratch. MACs: in * units.
 */
#include "core/model_internal.h"
#include "kernels/dense.h"
#include "kernels/requant.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_model *m = ctx->model;
    const int32_t units = l->def->params.units;
    const int64_t in = nnom_shape_count(&ctx->in[0]->def->shape);
    if (units <= 0)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "units is %d, expected at least 1", (int)units);
    if (l->def->params.activation != NNOM_ACT_NONE && l->def->params.activation != NNOM_ACT_RELU && l->def->params.activation != NNOM_ACT_RELU6)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED,
                               "fused activation %d is not supported, expected 0 (none), 1 (relu) or 2 (relu6)",
                               (int)l->def->params.activation);
    const int32_t flags = l->def->params.cell_flags;
    if (flags & ~(int32_t)NNOM_DENSE_ROW_PAIRS)
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "cell_flags 0x%x, only bit 0 (weights in row pairs) is known",
                               (unsigned)flags);
    const int pairs = (flags & NNOM_DENSE_ROW_PAIRS) != 0;
    if (pairs && ctx->dtype != NNOM_DTYPE_S8)
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "weights in row pairs (cell_flags 0x%x) are int8 only",
                               (unsigned)flags);
    const uint32_t esize = nnom_dtype_size(ctx->dtype);
    const uint64_t weight_bytes =
        pairs ? NNOM_DENSE_PAIRS_BYTES((uint64_t)in, (uint64_t)units) : (uint64_t)in * (uint64_t)units * esize;
    if (weight_bytes > UINT32_MAX)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "%ld inputs x %d units is too many weights", (long)in, (int)units);
    char what[64];
    nnom_format(what, sizeof what, pairs ? "weights in row pairs [%d][%ld], padded to even" : "weights [%d][%ld]",
                (int)units, (long)in);
    nnom_status st = nnom_expect_blob(m, l, 0, what, (uint32_t)weight_bytes);
    if (st != NNOM_OK) return st;
    const uint32_t per_unit = (uint32_t)units * 4u; /* int32 or float, one per unit */
    if (nnom_blob_size(l, 1) != 0) {
        nnom_format(what, sizeof what, "bias [%d] (or none)", (int)units);
        st = nnom_expect_blob(m, l, 1, what, per_unit);
        if (st != NNOM_OK) return st;
    }
    if (ctx->dtype == NNOM_DTYPE_S8) {
        /* per channel ([units]) or per tensor ([1]), the same for both */
        const int per_tensor = nnom_blob_size(l, 2) == 4u;
        const uint32_t q_bytes = per_tensor ? 4u : per_unit;
        nnom_format(what, sizeof what, per_tensor ? "multiplier [1]" : "multipliers [%d] (or [1])", (int)units);
        st = nnom_expect_blob(m, l, 2, what, q_bytes);
        if (st != NNOM_OK) return st;
        nnom_format(what, sizeof what, "shifts [%d], as many as the multipliers", per_tensor ? 1 : (int)units);
        st = nnom_expect_blob(m, l, 3, what, q_bytes);
        if (st != NNOM_OK) return st;
        const int32_t *mult = (const int32_t *)nnom_blob_data(l, 2), *shift = (const int32_t *)nnom_blob_data(l, 3);
        for (uint32_t i = 0; i < q_bytes / 4u; i++) {
            if (mult[i] < 0)
                return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "multiplier[%u] is %d, expected a value >= 0",
                                       (unsigned)i, (int)mult[i]);
            if (shift[i] < NNOM_SHIFT_MIN || shift[i] > NNOM_SHIFT_MAX)
                return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "shift[%u] is %d, expected %d to %d", (unsigned)i,
                                       (int)shift[i], NNOM_SHIFT_MIN, NNOM_SHIFT_MAX);
        }
    } else if (nnom_blob_size(l, 2) != 0 || nnom_blob_size(l, 3) != 0) {
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE,
                               "a float32 dense takes weights and bias only, but blobs 2/3 hold %u/%u bytes",
                               (unsigned)nnom_blob_size(l, 2), (unsigned)nnom_blob_size(l, 3));
    }
    for (int s = 4; s < NNOM_MAX_BLOBS; s++)
        if (nnom_blob_size(l, s) != 0)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "blob %d holds %u bytes, expected none", s,
                                   (unsigned)nnom_blob_size(l, s));
    l->def->shape.rank = 1;
    l->def->shape.dims[0] = units;
    return NNOM_OK;
}

static uint64_t macs(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    return (uint64_t)nnom_shape_count(&ctx->in[0]->def->shape) * (uint64_t)l->def->params.units;
}

static void run_s8(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    nnom_dense_s8_args a;
    a.in_features = nnom_shape_count(&x->in_layer[0]->def->shape);
    a.out_features = l->def->params.units;
    a.weights = (const int8_t *)nnom_blob_data(l, 0);
    a.bias = nnom_blob_size(l, 1) ? (const int32_t *)nnom_blob_data(l, 1) : NULL;
    a.multiplier = (const int32_t *)nnom_blob_data(l, 2);
    a.shift = (const int32_t *)nnom_blob_data(l, 3);
    a.per_channel = nnom_blob_size(l, 2) != 4u;
    a.in_zero_point = x->in_layer[0]->def->quant.zero_point;
    a.out_zero_point = l->def->quant.zero_point;
    a.act_lo = l->act_lo;
    a.act_hi = l->act_hi;
    if (l->def->params.cell_flags & NNOM_DENSE_ROW_PAIRS)
        nnom_dense_pairs_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
    else
        nnom_dense_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    nnom_dense_f32_args a;
    a.in_features = nnom_shape_count(&x->in_layer[0]->def->shape);
    a.out_features = l->def->params.units;
    a.weights = (const float *)nnom_blob_data(l, 0);
    a.bias = nnom_blob_size(l, 1) ? (const float *)nnom_blob_data(l, 1) : NULL;
    nnom_act_bounds_f32(l->def->params.activation, &a.act_lo, &a.act_hi);
    nnom_dense_f32(&a, (const float *)x->in[0], (float *)x->out);
}

const nnom_layer_ops nnom_ops_dense = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = 0,
    .infer = infer,
    .macs = macs,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
