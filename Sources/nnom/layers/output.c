/* OUTPUT: marks a model output; a view of its input, no kernel. */
#include "core/layer.h"

static nnom_status output_infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    l->def->shape = ctx->in[0]->def->shape;
    return NNOM_OK;
}

const nnom_layer_ops nnom_ops_output = {.min_inputs = 1, .max_inputs = 1, .flags = NNOM_OPS_VIEW, .infer = output_infer};
