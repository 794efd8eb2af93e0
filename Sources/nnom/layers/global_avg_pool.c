/*
 * GLOBAL_AVG_POOL: the mean of each channel over all positions of a (W, C) or
 * (H, W, C) input; output rank 1 (C). Checks are GLOBAL_MAX_POOL's
 * (global_max_pool.c, through nnom_ops_global_max_pool). int8 keeps the
 * input's quantisation: round half away from zero of sum / count, at most
 * 2^23 positions. MACs: 0 (no multiplies). Not in place.
 */
#include "core/layer.h"
#include "kernels/pool.h"

extern const nnom_layer_ops nnom_ops_global_max_pool;

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_ops_global_max_pool.infer(l, ctx); }

static nnom_pool_args global_args(const nnom_exec *x)
{
    const nnom_dims in = nnom_dims_of(&x->in_layer[0]->shape);
    nnom_pool_args a = {0};
    a.in_h = in.h;
    a.in_w = in.w;
    a.channels = in.c;
    return a;
}

static void run_s8(const nnom_exec *x)
{
    const nnom_pool_args a = global_args(x);
    nnom_global_avg_pool_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_pool_args a = global_args(x);
    nnom_global_avg_pool_f32(&a, (const float *)x->in[0], (float *)x->out);
}

const nnom_layer_ops nnom_ops_global_avg_pool = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = 0,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
