/*
 * MAX_POOL1D / MAX_POOL2D: the largest value of each window. Parameters:
 * kernel (pool size), stride (0 reads as 1), padding VALID or SAME (Keras:
 * padded cells are ignored). No blobs; int8 keeps the input's quantisation.
 * 1D takes (W, C) and requires kernel[0] = 1 and stride[0] = 0 or 1; 2D takes (H, W, C).
 *
 * The window checks here (nnom_pool_window_infer, layers/pool_common.h) also
 * serve AVG_POOL1D/2D and SUM_POOL1D/2D, as does inplace_ok (avg_pool.c and sum_pool.c
 * call it through nnom_ops_max_pool), so the pooling types validate windows identically.
 *
 * MACs: 0. Pooling multiplies nothing; nnom counts only multiply-accumulates,
 * so instruction-per-MAC figures charge pooling to the layers doing arithmetic.
 * In place: allowed when no padding lies above or left of the input (pad_top
 * and pad_left both 0), where the kernels are proven safe (kernels/pool.h).
 * Tiled runs (core/tiling.c): a band of output rows from a band of input rows,
 * window rows outside the band being padding (nnom_pool_exec_args); a zero
 * padding is never folded into a pool (its cells count, padding's do not).
 */
#include "layers/pool_common.h"

static int is_1d(nnom_layer_type t)
{
    return t == NNOM_LAYER_MAX_POOL1D || t == NNOM_LAYER_AVG_POOL1D || t == NNOM_LAYER_SUM_POOL1D;
}

nnom_pool_args nnom_pool_window_args(const nnom_layer *l, const nnom_shape *in_shape, const nnom_shape *out_shape)
{
    const nnom_dims in = nnom_dims_of(in_shape), out = nnom_dims_of(out_shape);
    nnom_pool_args a = {0};
    a.in_h = in.h;
    a.in_w = in.w;
    a.channels = in.c;
    a.out_h = out.h;
    a.out_w = out.w;
    a.kernel_h = l->def->params.kernel[0];
    a.kernel_w = l->def->params.kernel[1];
    a.stride_h = nnom_one_if_zero(l->def->params.stride[0]);
    a.stride_w = nnom_one_if_zero(l->def->params.stride[1]);
    a.pad_top = nnom_window_pad_before(in.h, out.h, a.kernel_h, a.stride_h, 1, l->def->params.padding);
    a.pad_left = nnom_window_pad_before(in.w, out.w, a.kernel_w, a.stride_w, 1, l->def->params.padding);
    return a;
}

nnom_status nnom_pool_window_infer(nnom_layer *l, const nnom_infer_ctx *ctx, int64_t *cells)
{
    nnom_model *m = ctx->model;
    const nnom_shape *in = &ctx->in[0]->def->shape;
    const int one_d = is_1d(l->type);
    const int32_t rank = one_d ? 2 : 3;
    if (in->rank != rank) {
        char text[NNOM_SHAPE_TEXT_MAX];
        nnom_shape_text(in, text, sizeof text);
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "input '%s' has shape %s, expected rank %d (%s)", ctx->in[0]->def->name,
                               text, (int)rank, one_d ? "W, C" : "H, W, C");
    }
    if (one_d && (l->def->params.kernel[0] != 1 || (l->def->params.stride[0] != 0 && l->def->params.stride[0] != 1)))
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE,
                               "a 1D pooling needs kernel[0] = 1 and stride[0] = 1, given %d and %d",
                               (int)l->def->params.kernel[0], (int)l->def->params.stride[0]);
    for (int k = 0; k < 2; k++) {
        if (l->def->params.kernel[k] <= 0)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "pool size[%d] is %d, expected at least 1", k,
                                   (int)l->def->params.kernel[k]);
        if (l->def->params.stride[k] < 0)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "stride[%d] is %d, expected 0 (= 1) or more", k,
                                   (int)l->def->params.stride[k]);
    }
    if (l->def->params.padding != NNOM_PADDING_VALID && l->def->params.padding != NNOM_PADDING_SAME)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "padding is %d, expected 0 (valid) or 1 (same)",
                               (int)l->def->params.padding);
    const nnom_dims d = nnom_dims_of(in);
    const int32_t out_h = nnom_window_out(d.h, l->def->params.kernel[0], l->def->params.stride[0], 1, l->def->params.padding);
    const int32_t out_w = nnom_window_out(d.w, l->def->params.kernel[1], l->def->params.stride[1], 1, l->def->params.padding);
    if (out_h <= 0 || out_w <= 0)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE,
                               "pool size %dx%d does not fit the input's %dx%d positions with valid padding",
                               (int)l->def->params.kernel[0], (int)l->def->params.kernel[1], (int)d.h, (int)d.w);
    if (cells) {
        const int64_t kh = l->def->params.kernel[0] < d.h ? l->def->params.kernel[0] : d.h;
        const int64_t kw = l->def->params.kernel[1] < d.w ? l->def->params.kernel[1] : d.w;
        *cells = kh * kw;
    }
    nnom_set_shape_hwc(l, rank, out_h, out_w, d.c);
    return NNOM_OK;
}

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_status st = nnom_pool_window_infer(l, ctx, NULL);
    if (st == NNOM_OK) st = nnom_expect_moved_values(ctx, l);
    return st;
}

static int inplace_ok(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_pool_args a = nnom_pool_window_args(l, &ctx->in[0]->def->shape, &l->def->shape);
    return a.pad_top == 0 && a.pad_left == 0;
}

void nnom_pool_rows_window(const nnom_layer *l, const nnom_layer *in, int32_t *stride, int32_t *pad_top, int32_t *span)
{
    const nnom_pool_args a = nnom_pool_window_args(l, &in->def->shape, &l->def->shape);
    *stride = a.stride_h;
    *pad_top = a.pad_top;
    *span = a.kernel_h;
}

nnom_pool_args nnom_pool_exec_args(const nnom_exec *x)
{
    nnom_pool_args a = nnom_pool_window_args(x->layer, &x->in_layer[0]->def->shape, &x->layer->def->shape);
    nnom_rows_narrow(x->rows, a.stride_h, &a.in_h, &a.out_h, &a.pad_top);
    return a;
}

static void run_s8(const nnom_exec *x)
{
    const nnom_pool_args a = nnom_pool_exec_args(x);
    nnom_max_pool_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_pool_args a = nnom_pool_exec_args(x);
    nnom_max_pool_f32(&a, (const float *)x->in[0], (float *)x->out);
}

const nnom_layer_ops nnom_ops_max_pool = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE,
    .infer = infer,
    .inplace_ok = inplace_ok,
    .rows_window = nnom_pool_rows_window,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
