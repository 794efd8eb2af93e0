/*
 * ZERO_PADDING1D / ZERO_PADDING2D: adds pad = {top, bottom, left, right}
 * rows and columns of zeros (int8: the zero point, so they read as 0.0).
 * 1D takes (W, C) and requires top = bottom = 0; 2D takes (H, W, C).
 * No blobs; int8 keeps the input's quantisation. MACs: 0. In place when the
 * input dies here (the output grows over it: rows moved last first).
 *
 * The checks and the kernel arguments here also serve CROPPING1D/2D
 * (cropping.c, through nnom_ops_zero_padding and nnom_pad_layer_args()),
 * whose pad values remove instead.
 */
#include "core/layer.h"
#include "layers/pad_common.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_model *m = ctx->model;
    const nnom_shape *in = &ctx->in[0]->def->shape;
    const int crop = l->type == NNOM_LAYER_CROPPING1D || l->type == NNOM_LAYER_CROPPING2D;
    const int one_d = l->type == NNOM_LAYER_ZERO_PADDING1D || l->type == NNOM_LAYER_CROPPING1D;
    const char *what = crop ? "crop" : "pad";
    const int32_t rank = one_d ? 2 : 3;
    if (in->rank != rank) {
        char text[NNOM_SHAPE_TEXT_MAX];
        nnom_shape_text(in, text, sizeof text);
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "input '%s' has shape %s, expected rank %d (%s)", ctx->in[0]->def->name,
                               text, (int)rank, one_d ? "W, C" : "H, W, C");
    }
    if (one_d && (l->def->params.pad[0] != 0 || l->def->params.pad[1] != 0))
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE,
                               "a 1D layer has no top/bottom %s, given %d and %d (use pad[2], pad[3])", what,
                               (int)l->def->params.pad[0], (int)l->def->params.pad[1]);
    for (int k = 0; k < 4; k++)
        if (l->def->params.pad[k] < 0)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "%s[%d] is %d, expected 0 or more", what, k,
                                   (int)l->def->params.pad[k]);
    const nnom_dims d = nnom_dims_of(in);
    const int64_t sign = crop ? -1 : 1;
    const int64_t out_h = d.h + sign * ((int64_t)l->def->params.pad[0] + l->def->params.pad[1]);
    const int64_t out_w = d.w + sign * ((int64_t)l->def->params.pad[2] + l->def->params.pad[3]);
    if (out_h < 1 || out_w < 1)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE,
                               "cropping %d+%d rows and %d+%d columns leaves nothing of the input's %dx%d",
                               (int)l->def->params.pad[0], (int)l->def->params.pad[1], (int)l->def->params.pad[2], (int)l->def->params.pad[3], (int)d.h,
                               (int)d.w);
    if (out_h > INT32_MAX || out_w > INT32_MAX)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "padded output too large");
    const nnom_status st = nnom_expect_moved_values(ctx, l);
    if (st != NNOM_OK) return st;
    nnom_set_shape_hwc(l, rank, (int32_t)out_h, (int32_t)out_w, d.c);
    return NNOM_OK;
}

nnom_pad_args nnom_pad_layer_args(const nnom_exec *x, uint32_t elem_size)
{
    const nnom_layer *l = x->layer;
    const nnom_dims in = nnom_dims_of(&x->in_layer[0]->def->shape);
    nnom_pad_args a;
    a.in_h = in.h;
    a.in_w = in.w;
    a.channels = in.c;
    a.top = l->def->params.pad[0];
    a.bottom = l->def->params.pad[1];
    a.left = l->def->params.pad[2];
    a.right = l->def->params.pad[3];
    a.elem_size = elem_size;
    /* int8: the zero point's byte; float32: 0.0f is all zero bytes */
    a.fill = elem_size == 1 ? (uint8_t)(int8_t)x->in_layer[0]->def->quant.zero_point : 0;
    return a;
}

static void run(const nnom_exec *x, uint32_t elem_size)
{
    const nnom_pad_args a = nnom_pad_layer_args(x, elem_size);
    if (x->layer->in_place) nnom_zero_pad_in_place(&a, x->out);
    else nnom_zero_pad(&a, x->in[0], x->out);
}

static void run_s8(const nnom_exec *x) { run(x, 1); }
static void run_f32(const nnom_exec *x) { run(x, 4); }

const nnom_layer_ops nnom_ops_zero_padding = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE | NNOM_OPS_IN_PLACE_GROWS,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
