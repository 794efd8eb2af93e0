/*
 * LEAKY_RELU: x >= 0 ? x : alpha * x (params.alpha).
 * s8: blob 0 int8[256] table (nnom_quant_activation_table()); runs in place.
 */
#include <float.h>
#include "kernels/activation.h"
#include "layers/elementwise_common.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const float alpha = l->def->params.alpha;
    if (!(alpha >= -FLT_MAX && alpha <= FLT_MAX)) {
        char text[32];
        nnom_float_text(alpha, text, sizeof text);
        return nnom_layer_fail(ctx->model, l, NNOM_ERR_ARGUMENT, "alpha is %s, expected a finite value", text);
    }
    return nnom_activation_infer(l, ctx);
}

static void run_f32(const nnom_exec *x)
{
    nnom_leaky_relu_f32((const float *)x->in[0], (float *)x->out, nnom_activation_count(x), x->layer->def->params.alpha);
}

const nnom_layer_ops nnom_ops_leaky_relu = NNOM_ACTIVATION_LAYER_OPS(infer, run_f32);
