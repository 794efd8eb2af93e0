/*
 * SUM_POOL1D / SUM_POOL2D: the sum of each window's valid cells (NNoM's SumPool; no Keras class).
 * Parameters and window checks are those of MAX_POOL (max_pool.c: nnom_pool_window_infer, and
 * inplace_ok through nnom_ops_max_pool). f32: no blobs. s8: blob 0 = int32 [2] {multiplier, shift}
 * ~ input scale / output scale (nnom_quant_avg_pool_params()), required: the output has its own
 * quantisation, y = sat8(rq(S - n x_zp) + y_zp) for the n valid cells of a window summing to S
 * (kernels/pool.h). MACs: 0. In place when pad_top and pad_left are 0.
 */
#include "layers/pool_common.h"

extern const nnom_layer_ops nnom_ops_max_pool;

static const nnom_avg_kind kind = {.global = 0, .sum = 1};

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_avg_kind_infer(l, ctx, kind); }
static int inplace_ok(const nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_ops_max_pool.inplace_ok(l, ctx); }
static void run_s8(const nnom_exec *x) { nnom_avg_kind_run_s8(x, kind); }
static void run_f32(const nnom_exec *x) { nnom_avg_kind_run_f32(x, kind); }

const nnom_layer_ops nnom_ops_sum_pool = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE,
    .infer = infer,
    .inplace_ok = inplace_ok,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
