/* INPUT: a model input. Its shape and quantisation are given when it is added. */
#include "core/layer.h"

static nnom_status input_infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    if (l->def->shape.rank < 1 || l->def->shape.rank > NNOM_MAX_RANK)
        return nnom_fail(ctx->model, NNOM_ERR_SHAPE, "input '%s': rank %d, expected 1 to %d", l->def->name,
                         (int)l->def->shape.rank, NNOM_MAX_RANK);
    for (int32_t k = 0; k < l->def->shape.rank; k++)
        if (l->def->shape.dims[k] <= 0)
            return nnom_fail(ctx->model, NNOM_ERR_SHAPE, "input '%s': dimension %d is %d, must be positive",
                             l->def->name, (int)k, (int)l->def->shape.dims[k]);
    return NNOM_OK;
}

const nnom_layer_ops nnom_ops_input = {.min_inputs = 0, .max_inputs = 0, .flags = 0, .infer = input_infer};
