/*
 * GLOBAL_MAX_POOL: the largest value of each channel over all positions of a
 * (W, C) or (H, W, C) input; output rank 1 (C). No blobs; int8 keeps the
 * input's quantisation. MACs: 0 (no multiplies). Not in place: every output
 * channel needs the whole input.
 *
 * The shape checks and kernel arguments here (nnom_pool_global_infer,
 * nnom_pool_global_args, layers/pool_common.h) also serve GLOBAL_AVG_POOL.
 */
#include "layers/pool_common.h"

nnom_status nnom_pool_global_infer(nnom_layer *l, const nnom_infer_ctx *ctx, int64_t *cells)
{
    nnom_model *m = ctx->model;
    const nnom_shape *in = &ctx->in[0]->def->shape;
    if (in->rank != 2 && in->rank != 3) {
        char text[NNOM_SHAPE_TEXT_MAX];
        nnom_shape_text(in, text, sizeof text);
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "input '%s' has shape %s, expected rank 2 (W, C) or 3 (H, W, C)",
                               ctx->in[0]->def->name, text);
    }
    const nnom_dims d = nnom_dims_of(in);
    if (cells) *cells = (int64_t)d.h * d.w;
    l->def->shape.rank = 1;
    l->def->shape.dims[0] = d.c;
    return NNOM_OK;
}

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_status st = nnom_pool_global_infer(l, ctx, NULL);
    if (st == NNOM_OK) st = nnom_expect_moved_values(ctx, l);
    return st;
}

nnom_pool_args nnom_pool_global_args(const nnom_exec *x)
{
    const nnom_dims in = nnom_dims_of(&x->in_layer[0]->def->shape);
    nnom_pool_args a = {0};
    a.in_h = in.h;
    a.in_w = in.w;
    a.channels = in.c;
    return a;
}

static void run_s8(const nnom_exec *x)
{
    const nnom_pool_args a = nnom_pool_global_args(x);
    nnom_global_max_pool_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_pool_args a = nnom_pool_global_args(x);
    nnom_global_max_pool_f32(&a, (const float *)x->in[0], (float *)x->out);
}

const nnom_layer_ops nnom_ops_global_max_pool = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = 0,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
