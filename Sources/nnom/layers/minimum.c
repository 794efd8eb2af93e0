/*
 * MINIMUM: element-wise minimum of two inputs of the same shape, or the second a per-channel vector
 * (rank 1, C) broadcast over H and W; fused relu/relu6.
 * s8 blob 0: int32[4] = {multiplier1, shift1, multiplier2, shift2}, each input to the output's scale
 * (nnom_quant_concat_params(); 0 multiplier: same quantisation), see kernels/minmax.h.
 */
#include "kernels/minmax.h"
#include "layers/elementwise_common.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_binary_infer(l, ctx, 1, 4); }

static void run_s8(const nnom_exec *x)
{
    nnom_elementwise_s8_args a;
    nnom_binary_args_s8(x, &a);
    nnom_minimum_s8(&a);
}

static void run_f32(const nnom_exec *x)
{
    nnom_elementwise_f32_args a;
    nnom_binary_args_f32(x, &a);
    nnom_minimum_f32(&a);
}

/* Output element i reads only element i of input 0 (and of input 1, or its channel): it may overwrite input 0. */
const nnom_layer_ops nnom_ops_minimum = {
    .min_inputs = 2,
    .max_inputs = 2,
    .flags = NNOM_OPS_IN_PLACE,
    .infer = infer,
    .macs = nnom_binary_count,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
