/*
 * DEPTHWISE_CONV1D / DEPTHWISE_CONV2D: each input channel convolved with its
 * own `units` (depth multiplier) filters; output channel ic * units + m.
 * Fused activation NONE, RELU or RELU6. Parameters: kernel, stride and
 * dilation (0 reads as 1), padding VALID or SAME (Keras), units.
 *  - 2D takes (H, W, C) and gives (out_h, out_w, C * units);
 *  - 1D takes (W, C) and gives (out_w, C * units); kernel[0], stride[0] and
 *    dilation[0] must be 1.
 *  s8:  blob 0 weights int8 [kh][kw][C * units] (Keras' order), blob 1 bias
 *       int32 [C * units] or empty, blob 2 multipliers int32 [C * units] (>= 0),
 *       blob 3 shifts int32 [C * units] in [-31, 30].
 *  f32: blob 0 weights float [kh][kw][C * units], blob 1 bias float [C * units] or empty.
 * No scratch. MACs: out_h * out_w * C * units * kh * kw.
 * The checks are shared with CONV1D/2D (layers/conv.c).
 */
#include "layers/conv_common.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_conv_infer(l, ctx, 1); }

static uint64_t macs(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_dims o = nnom_dims_of(&l->shape);
    (void)ctx;
    return (uint64_t)o.h * (uint64_t)o.w * (uint64_t)o.c * (uint64_t)l->p->kernel[0] * (uint64_t)l->p->kernel[1];
}

static void run_s8(const nnom_exec *x)
{
    const nnom_conv_args a = nnom_conv_layer_args(x->layer, x->in_layer[0], NNOM_DTYPE_S8);
    nnom_depthwise_conv2d_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_conv_args a = nnom_conv_layer_args(x->layer, x->in_layer[0], NNOM_DTYPE_F32);
    nnom_depthwise_conv2d_f32(&a, (const float *)x->in[0], (float *)x->out);
}

const nnom_layer_ops nnom_ops_depthwise_conv = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = 0,
    .infer = infer,
    .macs = macs,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
