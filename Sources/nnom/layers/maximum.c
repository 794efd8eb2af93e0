/*
 * MAXIMUM: element-wise maximum of two inputs of the same shape, or the second a per-channel vector
 * (rank 1, C) broadcast over H and W; fused relu/relu6.
 * s8 blob 0: int32[4] = {multiplier1, shift1, multiplier2, shift2}, each input to the output's scale
 * (nnom_quant_concat_params(); 0 multiplier: same quantisation), see kernels/minmax.h.
 */
#include "kernels/minmax.h"
#include "layers/elementwise_common.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    return nnom_binary_infer(l, ctx, NNOM_MINMAX_PARAM_COUNT);
}

static void run_s8(const nnom_exec *x) { nnom_binary_run_s8(x, nnom_maximum_s8); }
static void run_f32(const nnom_exec *x) { nnom_binary_run_f32(x, nnom_maximum_f32); }

const nnom_layer_ops nnom_ops_maximum = NNOM_BINARY_LAYER_OPS(infer, nnom_binary_count, run_s8, run_f32);
