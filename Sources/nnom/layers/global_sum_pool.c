/*
 * GLOBAL_SUM_POOL: the sum of each channel over all positions of a (W, C) or (H, W, C) input;
 * output rank 1 (C) (NNoM's GlobalSumPool; no Keras class). Shape checks are GLOBAL_MAX_POOL's
 * (global_max_pool.c: nnom_pool_global_infer). f32: no blobs. s8: blob 0 = int32 [2] {multiplier,
 * shift} ~ input scale / output scale, required (sum_pool.c, kernels/pool.h). At most 2^23
 * positions. MACs: 0. Not in place.
 */
#include "layers/pool_common.h"

static const nnom_avg_kind kind = {.global = 1, .sum = 1};

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_avg_kind_infer(l, ctx, kind); }
static void run_s8(const nnom_exec *x) { nnom_avg_kind_run_s8(x, kind); }
static void run_f32(const nnom_exec *x) { nnom_avg_kind_run_f32(x, kind); }

const nnom_layer_ops nnom_ops_global_sum_pool = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = 0,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
