/*
 * CONCATENATE: 1 to NNOM_MAX_INPUTS inputs of the same rank, equal except on
 * params.axis (negative counts from the end). s8 blob 0: int32[2 * n] =
 * {multiplier, shift} per input, multiplier 0 for a plain copy
 * (nnom_quant_concat_params()). Runs by rows (NNOM_OPS_ROWS_IDENTITY): the tiler takes it where every
 * input has the output's rows, i.e. along another axis than the rows (or with one input).
 */
#include "kernels/concat.h"
#include "layers/elementwise_common.h"

/* The axis in [0, rank), or -1 when out of range. */
static int32_t normal_axis(int32_t axis, int32_t rank)
{
    if (axis < 0) axis += rank;
    return axis >= 0 && axis < rank ? axis : -1;
}

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_status st = nnom_check_input_count(l, ctx, 1, NNOM_MAX_INPUTS);
    if (st != NNOM_OK) return st;
    const nnom_shape *first = &ctx->in[0]->shape;
    const int32_t rank = first->rank;
    const int32_t axis = normal_axis(l->p->axis, rank);
    if (axis < 0)
        return nnom_layer_fail(ctx->model, l, NNOM_ERR_SHAPE,
                               "axis %d is out of range for inputs of rank %d (expected %d to %d)", (int)l->p->axis,
                               (int)rank, (int)-rank, (int)(rank - 1));
    nnom_shape out = *first;
    int64_t total = 0;
    for (int32_t i = 0; i < l->n_inputs; i++) {
        const nnom_shape *s = &ctx->in[i]->shape;
        int ok = s->rank == rank;
        for (int32_t k = 0; ok && k < rank; k++)
            if (k != axis && s->dims[k] != first->dims[k]) ok = 0;
        if (!ok) {
            char t0[NNOM_SHAPE_TEXT_MAX], ti[NNOM_SHAPE_TEXT_MAX];
            nnom_shape_text(first, t0, sizeof t0);
            nnom_shape_text(s, ti, sizeof ti);
            return nnom_layer_fail(ctx->model, l, NNOM_ERR_SHAPE,
                                   "input %d ('%s') has shape %s, expected the rank and dimensions of input 0 ('%s') "
                                   "%s except on axis %d", (int)i, ctx->in[i]->name, ti, ctx->in[0]->name, t0,
                                   (int)axis);
        }
        total += s->dims[axis];
    }
    if (total > INT32_MAX)
        return nnom_layer_fail(ctx->model, l, NNOM_ERR_SHAPE, "the concatenated axis is too long");
    out.dims[axis] = (int32_t)total;
    if (ctx->dtype == NNOM_DTYPE_S8) {
        st = nnom_expect_blob(ctx->model, l, 0, "requantisation parameters (int32[2 * inputs])",
                              (uint32_t)l->n_inputs * 2u * (uint32_t)sizeof(int32_t));
        if (st != NNOM_OK) return st;
        st = nnom_check_requant_pairs(l, ctx, (const int32_t *)l->blobs[0].data, l->n_inputs, "params");
        if (st != NNOM_OK) return st;
    }
    l->shape = out;
    return NNOM_OK;
}

/* Dimension @p k of @p s in a call on @p x: a tiled call (NNOM_OPS_ROWS_IDENTITY) has out_rows rows. */
static int32_t dim_of(const nnom_exec *x, const nnom_shape *s, int32_t k)
{
    return k == 0 && x->rows ? x->rows->out_rows : s->dims[k];
}

/* Dimensions before the axis (outer) and each input's elements from the axis on (inner). */
static int32_t outer_of(const nnom_exec *x, int32_t *axis)
{
    const nnom_layer *l = x->layer;
    *axis = normal_axis(l->p->axis, l->shape.rank);
    int32_t outer = 1;
    for (int32_t k = 0; k < *axis; k++) outer *= dim_of(x, &l->shape, k);
    return outer;
}

static int32_t inner_of(const nnom_exec *x, const nnom_shape *s, int32_t axis)
{
    int32_t inner = 1;
    for (int32_t k = axis; k < s->rank; k++) inner *= dim_of(x, s, k);
    return inner;
}

static void run_s8(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    const int32_t *params = (const int32_t *)l->blobs[0].data;
    nnom_concat_input_s8 in[NNOM_MAX_INPUTS];
    nnom_concat_s8_args a;
    int32_t axis;
    a.outer = outer_of(x, &axis);
    for (int32_t i = 0; i < x->n_inputs; i++) {
        in[i].data = (const int8_t *)x->in[i];
        in[i].inner = inner_of(x, &x->in_layer[i]->shape, axis);
        in[i].zero_point = x->in_layer[i]->quant.zero_point;
        in[i].multiplier = params[2 * i];
        in[i].shift = params[2 * i + 1];
    }
    a.inputs = in;
    a.n_inputs = x->n_inputs;
    a.out_zero_point = l->quant.zero_point;
    a.out = (int8_t *)x->out;
    nnom_concat_s8(&a);
}

static void run_f32(const nnom_exec *x)
{
    nnom_concat_input_f32 in[NNOM_MAX_INPUTS];
    nnom_concat_f32_args a;
    int32_t axis;
    a.outer = outer_of(x, &axis);
    for (int32_t i = 0; i < x->n_inputs; i++) {
        in[i].data = (const float *)x->in[i];
        in[i].inner = inner_of(x, &x->in_layer[i]->shape, axis);
    }
    a.inputs = in;
    a.n_inputs = x->n_inputs;
    a.out = (float *)x->out;
    nnom_concat_f32(&a);
}

const nnom_layer_ops nnom_ops_concatenate = {
    .min_inputs = 1,
    .max_inputs = NNOM_MAX_INPUTS,
    .flags = NNOM_OPS_ROWS_IDENTITY, /* along w or c: a row of the output is the rows of the inputs */
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
