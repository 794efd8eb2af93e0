/*
 * MULTIPLY: two inputs of the same shape, or the second a per-channel vector
 * (rank 1, C) broadcast over H and W; fused relu/relu6.
 * s8 blob 0: int32[2] = {multiplier, shift} (see layers.h, nnom_quant_mul_params()).
 */
#include "kernels/elementwise.h"
#include "layers/elementwise_common.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    return nnom_binary_infer(l, ctx, NNOM_MUL_PARAM_COUNT);
}

static void run_s8(const nnom_exec *x) { nnom_binary_run_s8(x, nnom_mul_s8); }
static void run_f32(const nnom_exec *x) { nnom_binary_run_f32(x, nnom_mul_f32); }

const nnom_layer_ops nnom_ops_multiply = NNOM_BINARY_LAYER_OPS(infer, nnom_binary_count, run_s8, run_f32);
