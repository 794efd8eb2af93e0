/*
 * CROPPING1D / CROPPING2D: removes pad = {top, bottom, left, right} rows and
 * columns; at least one row and column must remain. 1D takes (W, C) and
 * requires top = bottom = 0; 2D takes (H, W, C). The checks and kernel arguments are
 * ZERO_PADDING's (zero_padding.c). No blobs; int8 keeps the
 * input's quantisation. MACs: 0. In place when the input dies here (rows
 * moved first to last).
 */
#include "layers/pad_common.h"

extern const nnom_layer_ops nnom_ops_zero_padding;

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_ops_zero_padding.infer(l, ctx); }

static void run(const nnom_exec *x, uint32_t elem_size)
{
    const nnom_pad_args a = nnom_pad_layer_args(x, elem_size); /* (the fill value goes unused) */
    if (x->layer->in_place) nnom_crop_in_place(&a, x->out);
    else nnom_crop(&a, x->in[0], x->out);
}

static void run_s8(const nnom_exec *x) { run(x, 1); }

static void run_f32(const nnom_exec *x) { run(x, 4); }

const nnom_layer_ops nnom_ops_cropping = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
