/*
 * GLOBAL_SUM_POOL: the sum of each channel over all positions of a (W, C) or (H, W, C) input;
 * output rank 1 (C) (NNoM's GlobalSumPool; no Keras class). Shape checks are GLOBAL_MAX_POOL's
 * (global_max_pool.c: nnom_pool_global_infer). f32: no blobs. s8: blob 0 = int32 [2] {multiplier,
 * shift} ~ input scale / output scale, required (sum_pool.c, kernels/pool.h). At most 2^23
 * positions. MACs: 0. Not in place.
 */
#include "layers/pool_common.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    int64_t cells = 0;
    nnom_status st = nnom_pool_global_infer(l, ctx, &cells);
    return st == NNOM_OK ? nnom_sum_pool_check(l, ctx, cells) : st;
}

static nnom_pool_args global_args(const nnom_exec *x)
{
    const nnom_dims in = nnom_dims_of(&x->in_layer[0]->shape);
    nnom_pool_args a = {0};
    a.in_h = in.h;
    a.in_w = in.w;
    a.channels = in.c;
    a.sum = 1;
    return a;
}

static void run_s8(const nnom_exec *x)
{
    nnom_pool_args a = global_args(x);
    nnom_avg_pool_form(x->layer, x->in_layer[0], &a);
    nnom_global_avg_pool_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_pool_args a = global_args(x);
    nnom_global_avg_pool_f32(&a, (const float *)x->in[0], (float *)x->out);
}

const nnom_layer_ops nnom_ops_global_sum_pool = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = 0,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
