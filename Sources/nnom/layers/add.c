/*
 * ADD: two inputs of the same shape, or the second a per-channel vector (rank 1, C) added to
 * every position of the first; fused relu/relu6.
 * s8 blob 0: int32[6] = {m1, s1, m2, s2, m_out, s_out} (see layers.h, nnom_quant_add_params()).
 */
#include "kernels/elementwise.h"
#include "layers/elementwise_common.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    return nnom_binary_infer(l, ctx, NNOM_ADD_PARAM_COUNT);
}

static void run_s8(const nnom_exec *x) { nnom_binary_run_s8(x, nnom_add_s8); }
static void run_f32(const nnom_exec *x) { nnom_binary_run_f32(x, nnom_add_f32); }

const nnom_layer_ops nnom_ops_add = NNOM_BINARY_LAYER_OPS(infer, NULL, run_s8, run_f32);
