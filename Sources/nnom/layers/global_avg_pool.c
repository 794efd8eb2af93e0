/*
 * GLOBAL_AVG_POOL: the mean of each channel over all positions of a (W, C) or
 * (H, W, C) input; output rank 1 (C). Shape checks are GLOBAL_MAX_POOL's
 * (global_max_pool.c: nnom_pool_global_infer). int8 has two forms
 * (avg_common.c, kernels/pool.h): without blobs the output keeps the input's
 * quantisation (round half away from zero of sum / count); with blob 0 =
 * int32 [2] {multiplier, shift} the output has its own and the sum is
 * requantised before the division. At most 2^23 positions. MACs: 0 (no
 * multiplies). Not in place.
 */
#include "layers/pool_common.h"

static const nnom_avg_kind kind = {.global = 1, .sum = 0};

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_avg_kind_infer(l, ctx, kind); }
static void run_s8(const nnom_exec *x) { nnom_avg_kind_run_s8(x, kind); }
static void run_f32(const nnom_exec *x) { nnom_avg_kind_run_f32(x, kind); }

const nnom_layer_ops nnom_ops_global_avg_pool = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = 0,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
