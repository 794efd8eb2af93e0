/* FLATTEN: the input read as a vector. HWC data is already in Keras' order, so it is a view. */
#include "core/layer.h"

static nnom_status flatten_infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    l->def->shape.rank = 1;
    l->def->shape.dims[0] = nnom_shape_count(&ctx->in[0]->def->shape);
    return NNOM_OK;
}

const nnom_layer_ops nnom_ops_flatten = {.min_inputs = 1, .max_inputs = 1, .flags = NNOM_OPS_VIEW, .infer = flatten_infer};
