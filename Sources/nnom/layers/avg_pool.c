/*
 * AVG_POOL1D / AVG_POOL2D: the mean of each window's valid cells (Keras: SAME
 * padding divides by the number of real cells). Parameters and window checks
 * are those of MAX_POOL (max_pool.c: nnom_pool_window_infer, and inplace_ok
 * through nnom_ops_max_pool). int8 has two forms (avg_common.c, kernels/pool.h):
 * without blobs the output keeps the input's quantisation (round half away
 * from zero of sum / count); with blob 0 = int32 [2] {multiplier, shift} the
 * output has its own and the window's sum is requantised before the division.
 * MACs: 0 (no multiplies). In place when pad_top and pad_left are 0.
 */
#include "layers/pool_common.h"

extern const nnom_layer_ops nnom_ops_max_pool;

static const nnom_avg_kind kind = {.global = 0, .sum = 0};

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_avg_kind_infer(l, ctx, kind); }
static int inplace_ok(const nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_ops_max_pool.inplace_ok(l, ctx); }
static void run_s8(const nnom_exec *x) { nnom_avg_kind_run_s8(x, kind); }
static void run_f32(const nnom_exec *x) { nnom_avg_kind_run_f32(x, kind); }

const nnom_layer_ops nnom_ops_avg_pool = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE,
    .infer = infer,
    .inplace_ok = inplace_ok,
    .rows_window = nnom_pool_rows_window,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
