/*
 * ADD: two inputs of the same shape, or the second a per-channel vector (rank 1, C) added to
 * every position of the first; fused relu/relu6.
 * s8 blob 0: int32[6] = {m1, s1, m2, s2, m_out, s_out} (see layers.h, nnom_quant_add_params()).
 */
#include "kernels/elementwise.h"
#include "layers/elementwise_common.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_binary_infer(l, ctx, 1, 6); }

static void run_s8(const nnom_exec *x)
{
    nnom_elementwise_s8_args a;
    nnom_binary_args_s8(x, &a);
    nnom_add_s8(&a);
}

static void run_f32(const nnom_exec *x)
{
    nnom_elementwise_f32_args a;
    nnom_binary_args_f32(x, &a);
    nnom_add_f32(&a);
}

/* Element i of the output reads only element i of each input: it may overwrite input 0. */
const nnom_layer_ops nnom_ops_add = {
    .min_inputs = 2,
    .max_inputs = 2,
    .flags = NNOM_OPS_IN_PLACE,
    .infer = infer,
    .macs = NULL,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
