/*
 * CROPPING1D / CROPPING2D: removes pad = {top, bottom, left, right} rows and
 * columns; at least one row and column must remain. 1D takes (W, C) and
 * requires top = bottom = 0; 2D takes (H, W, C). The checks are ZERO_PADDING's
 * (zero_padding.c, through nnom_ops_zero_padding). No blobs; int8 keeps the
 * input's quantisation. MACs: 0. Not in place.
 */
#include "core/layer.h"
#include "kernels/pad.h"

extern const nnom_layer_ops nnom_ops_zero_padding;

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_ops_zero_padding.infer(l, ctx); }

static void run(const nnom_exec *x, uint32_t elem_size)
{
    const nnom_layer *l = x->layer;
    const nnom_dims in = nnom_dims_of(&x->in_layer[0]->shape);
    nnom_pad_args a;
    a.in_h = in.h;
    a.in_w = in.w;
    a.channels = in.c;
    a.top = l->p->pad[0];
    a.bottom = l->p->pad[1];
    a.left = l->p->pad[2];
    a.right = l->p->pad[3];
    a.elem_size = elem_size;
    a.fill = 0;
    nnom_crop(&a, x->in[0], x->out);
}

static void run_s8(const nnom_exec *x) { run(x, 1); }

static void run_f32(const nnom_exec *x) { run(x, 4); }

const nnom_layer_ops nnom_ops_cropping = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = 0,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
