/* RESHAPE: the same elements in a new shape (params.shape_rank, params.shape); a view. */
#include "core/layer.h"

static nnom_status reshape_infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_layer_params *p = &l->def->params;
    if (p->shape_rank < 1 || p->shape_rank > NNOM_MAX_RANK)
        return nnom_fail(ctx->model, NNOM_ERR_SHAPE, "layer '%s' (reshape): target rank %d, expected 1 to %d",
                         l->def->name, (int)p->shape_rank, NNOM_MAX_RANK);
    int64_t count = 1;
    for (int32_t k = 0; k < p->shape_rank; k++) {
        if (p->shape[k] <= 0)
            return nnom_fail(ctx->model, NNOM_ERR_SHAPE, "layer '%s' (reshape): target dimension %d is %d",
                             l->def->name, (int)k, (int)p->shape[k]);
        count *= p->shape[k];
        if (count > (1 << 28))
            return nnom_fail(ctx->model, NNOM_ERR_SHAPE, "layer '%s' (reshape): target of more than 2^28 elements",
                             l->def->name);
    }
    int32_t have = nnom_shape_count(&ctx->in[0]->def->shape);
    if (count != have)
        return nnom_fail(ctx->model, NNOM_ERR_SHAPE,
                         "layer '%s' (reshape): target holds %ld elements but the input has %d", l->def->name,
                         (long)count, (int)have);
    l->def->shape.rank = p->shape_rank;
    for (int32_t k = 0; k < NNOM_MAX_RANK; k++) l->def->shape.dims[k] = k < p->shape_rank ? p->shape[k] : 0;
    return NNOM_OK;
}

const nnom_layer_ops nnom_ops_reshape = {.min_inputs = 1, .max_inputs = 1, .flags = NNOM_OPS_VIEW, .infer = reshape_infer};
