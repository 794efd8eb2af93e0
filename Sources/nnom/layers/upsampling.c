/*
 * UPSAMPLING1D / UPSAMPLING2D: nearest-neighbour repetition by size = {h, w}
 * factors (>= 1). 1D takes (W, C) and requires size[0] = 1; 2D takes
 * (H, W, C). No blobs; int8 keeps the input's quantisation. MACs: 0.
 * Not in place.
 */
#include "core/layer.h"
#include "kernels/pad.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_model *m = ctx->model;
    const nnom_shape *in = &ctx->in[0]->def->shape;
    const int one_d = l->type == NNOM_LAYER_UPSAMPLING1D;
    const int32_t rank = one_d ? 2 : 3;
    if (in->rank != rank) {
        char text[NNOM_SHAPE_TEXT_MAX];
        nnom_shape_text(in, text, sizeof text);
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "input '%s' has shape %s, expected rank %d (%s)", ctx->in[0]->def->name,
                               text, (int)rank, one_d ? "W, C" : "H, W, C");
    }
    if (one_d && l->def->params.size[0] != 1)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "a 1D upsampling needs size[0] = 1, given %d", (int)l->def->params.size[0]);
    for (int k = 0; k < 2; k++)
        if (l->def->params.size[k] < 1)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "size[%d] is %d, expected at least 1", k, (int)l->def->params.size[k]);
    const nnom_dims d = nnom_dims_of(in);
    const int64_t out_h = (int64_t)d.h * l->def->params.size[0], out_w = (int64_t)d.w * l->def->params.size[1];
    if (out_h > INT32_MAX || out_w > INT32_MAX)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "upsampled output too large");
    const nnom_status st = nnom_expect_moved_values(ctx, l);
    if (st != NNOM_OK) return st;
    nnom_set_shape_hwc(l, rank, (int32_t)out_h, (int32_t)out_w, d.c);
    return NNOM_OK;
}

static void run(const nnom_exec *x, uint32_t elem_size)
{
    const nnom_layer *l = x->layer;
    const nnom_dims in = nnom_dims_of(&x->in_layer[0]->def->shape);
    nnom_upsample_args a;
    a.in_h = in.h;
    a.in_w = in.w;
    a.channels = in.c;
    a.size_h = l->def->params.size[0];
    a.size_w = l->def->params.size[1];
    a.elem_size = elem_size;
    nnom_upsample_nearest(&a, x->in[0], x->out);
}

static void run_s8(const nnom_exec *x) { run(x, 1); }

static void run_f32(const nnom_exec *x) { run(x, 4); }

const nnom_layer_ops nnom_ops_upsampling = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = 0,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
