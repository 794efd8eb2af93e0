/*
 * CONV1D_TRANSPOSE / CONV2D_TRANSPOSE: transposed convolution with `units` filters (Keras'
 * Conv1DTranspose / Conv2DTranspose), fused activation NONE, RELU or RELU6 (kernels/transpose_conv.h).
 * Parameters: kernel, stride (0 reads as 1), units, pad = {top, bottom, left, right}: how much of the
 * full output ((in - 1) x stride + kernel) is cropped on each side; bottom and right may be negative
 * (rows or columns added past it, which get the bias only: Keras' output_padding). Dilation 0 or 1.
 *  - 2D takes (H, W, C) and gives (out_h, out_w, units), out = (in - 1) x stride + kernel - pads;
 *  - 1D takes (W, C) and gives (out_w, units); kernel[0] and stride[0] 1, pad top and bottom 0.
 *  s8:  blob 0 weights int8 [units][kh][kw][C], blob 1 bias int32 [units] or empty, blob 2 multipliers
 *       int32 [units] (>= 0), blob 3 shifts int32 [units] in [-31, 30]; kh * kw * C at most
 *       NNOM_CONV_MAX_PATCH. (The blobs of CONV2D.)
 *  f32: blob 0 weights float [units][kh][kw][C], blob 1 bias float [units] or empty.
 * MACs: in_h * in_w * C * kh * kw * units (each input value meets each tap once).
 */
#include "kernels/conv.h"
#include "kernels/transpose_conv.h"
#include "layers/conv_common.h"

#include "core/model_internal.h"

/* kernel sizes, strides and crops above this are refused (keeps every index in int32) */
#define WINDOW_LIMIT (1 << 24)

static int is_1d(nnom_layer_type t) { return t == NNOM_LAYER_CONV1D_TRANSPOSE; }

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_model *m = ctx->model;
    const nnom_shape *in = &ctx->in[0]->def->shape;
    const nnom_layer_params *p = &l->def->params;
    const int one_d = is_1d(l->type);
    const int32_t rank = one_d ? 2 : 3;
    nnom_status st;
    if (in->rank != rank) {
        char text[NNOM_SHAPE_TEXT_MAX];
        nnom_shape_text(in, text, sizeof text);
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "input '%s' has shape %s, expected rank %d (%s)", ctx->in[0]->def->name,
                               text, (int)rank, one_d ? "W, C" : "H, W, C");
    }
    if (one_d && (p->kernel[0] != 1 || nnom_one_if_zero(p->stride[0]) != 1 || p->pad[0] != 0 || p->pad[1] != 0))
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE,
                               "a 1D layer needs kernel[0] = stride[0] = 1 and pad top = bottom = 0, given %d, %d, %d "
                               "and %d", (int)p->kernel[0], (int)p->stride[0], (int)p->pad[0], (int)p->pad[1]);
    for (int k = 0; k < 2; k++) {
        if (p->kernel[k] <= 0 || p->kernel[k] > WINDOW_LIMIT)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "kernel[%d] is %d, expected 1 to %d", k, (int)p->kernel[k],
                                   WINDOW_LIMIT);
        if (p->stride[k] < 0 || p->stride[k] > WINDOW_LIMIT)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "stride[%d] is %d, expected 0 (= 1) to %d", k,
                                   (int)p->stride[k], WINDOW_LIMIT);
        if (nnom_one_if_zero(p->dilation[k]) != 1)
            return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED, "dilation[%d] is %d, only 1 is supported", k,
                                   (int)p->dilation[k]);
    }
    for (int k = 0; k < 4; k++)
        if (p->pad[k] < (k % 2 == 0 ? 0 : -WINDOW_LIMIT) || p->pad[k] > WINDOW_LIMIT)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "pad[%d] is %d, expected %s to %d", k, (int)p->pad[k],
                                   k % 2 == 0 ? "0" : "-2^24", WINDOW_LIMIT);
    if (p->units <= 0 || p->units > (1 << 24))
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "units (filters) is %d, expected 1 to %d", (int)p->units, 1 << 24);
    if (p->activation != NNOM_ACT_NONE && p->activation != NNOM_ACT_RELU && p->activation != NNOM_ACT_RELU6)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED,
                               "fused activation %d is not supported, expected 0 (none), 1 (relu) or 2 (relu6)",
                               (int)p->activation);
    const nnom_dims d = nnom_dims_of(in);
    const int64_t out_h = (int64_t)(d.h - 1) * nnom_one_if_zero(p->stride[0]) + p->kernel[0] - p->pad[0] - p->pad[1];
    const int64_t out_w = (int64_t)(d.w - 1) * nnom_one_if_zero(p->stride[1]) + p->kernel[1] - p->pad[2] - p->pad[3];
    if (out_h < 1 || out_w < 1 || out_h * out_w * p->units > (1 << 28))
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "the output would be %ldx%ldx%d, expected 1 to 2^28 elements",
                               (long)out_h, (long)out_w, (int)p->units);
    const int64_t patch = (int64_t)p->kernel[0] * p->kernel[1] * d.c;
    if (ctx->dtype == NNOM_DTYPE_S8 && patch > NNOM_CONV_MAX_PATCH)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED,
                               "an int8 kernel of %ld elements (kernel %dx%d x input channels), at most %d supported",
                               (long)patch, (int)p->kernel[0], (int)p->kernel[1], NNOM_CONV_MAX_PATCH);
    const uint32_t esize = nnom_dtype_size(ctx->dtype);
    const uint64_t weight_bytes = (uint64_t)p->units * (uint64_t)patch * esize;
    if (weight_bytes > UINT32_MAX)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "%d x %ld weights are too many", (int)p->units, (long)patch);
    char what[80];
    nnom_format(what, sizeof what, "weights [%d][%d][%d][%d] (%s)", (int)p->units, (int)p->kernel[0], (int)p->kernel[1],
                (int)d.c, esize == 1 ? "int8" : "float");
    st = nnom_expect_blob(m, l, 0, what, (uint32_t)weight_bytes);
    if (st != NNOM_OK) return st;
    const uint32_t per_channel = (uint32_t)p->units * 4u;
    if (nnom_blob_size(l, 1) != 0) {
        nnom_format(what, sizeof what, "bias [%d] (%s, or none)", (int)p->units, esize == 1 ? "int32" : "float");
        if ((st = nnom_expect_blob(m, l, 1, what, per_channel)) != NNOM_OK) return st;
    }
    if (ctx->dtype == NNOM_DTYPE_S8) {
        nnom_format(what, sizeof what, "multipliers [%d] (int32)", (int)p->units);
        if ((st = nnom_expect_blob(m, l, 2, what, per_channel)) != NNOM_OK) return st;
        nnom_format(what, sizeof what, "shifts [%d] (int32)", (int)p->units);
        if ((st = nnom_expect_blob(m, l, 3, what, per_channel)) != NNOM_OK) return st;
        const int32_t *mult = (const int32_t *)nnom_blob_data(l, 2), *shift = (const int32_t *)nnom_blob_data(l, 3);
        for (int32_t i = 0; i < p->units; i++)
            if (mult[i] < 0 || shift[i] < -31 || shift[i] > 30)
                return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT,
                                       "channel %d: multiplier %d, shift %d; expected a multiplier >= 0 and a shift "
                                       "in -31 to 30", (int)i, (int)mult[i], (int)shift[i]);
    }
    if (one_d) {
        l->def->shape.rank = 2;
        l->def->shape.dims[0] = (int32_t)out_w;
        l->def->shape.dims[1] = p->units;
        l->def->shape.dims[2] = 0;
    } else {
        l->def->shape.rank = 3;
        l->def->shape.dims[0] = (int32_t)out_h;
        l->def->shape.dims[1] = (int32_t)out_w;
        l->def->shape.dims[2] = p->units;
    }
    return NNOM_OK;
}

static nnom_transpose_conv_args args_of(const nnom_layer *l, const nnom_layer *in)
{
    const nnom_dims i = nnom_dims_of(&in->def->shape), o = nnom_dims_of(&l->def->shape);
    const nnom_layer_params *p = &l->def->params;
    nnom_transpose_conv_args a;
    a.in_h = i.h;
    a.in_w = i.w;
    a.in_c = i.c;
    a.out_h = o.h;
    a.out_w = o.w;
    a.out_c = o.c;
    a.k_h = p->kernel[0];
    a.k_w = p->kernel[1];
    a.stride_h = nnom_one_if_zero(p->stride[0]);
    a.stride_w = nnom_one_if_zero(p->stride[1]);
    a.crop_top = p->pad[0];
    a.crop_left = p->pad[2];
    a.weights = nnom_blob_data(l, 0);
    a.bias = nnom_blob_size(l, 1) ? nnom_blob_data(l, 1) : NULL;
    a.in_zp = in->def->quant.zero_point;
    a.out_zp = l->def->quant.zero_point;
    a.multiplier = (const int32_t *)nnom_blob_data(l, 2);
    a.shift = (const int32_t *)nnom_blob_data(l, 3);
    a.act_min = l->act_lo;
    a.act_max = l->act_hi;
    a.act_min_f = a.act_max_f = 0.0f;
    return a;
}

static uint64_t macs(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_dims i = nnom_dims_of(&ctx->in[0]->def->shape);
    return (uint64_t)i.h * (uint64_t)i.w * (uint64_t)i.c * (uint64_t)l->def->params.kernel[0] * (uint64_t)l->def->params.kernel[1] *
           (uint64_t)l->def->params.units;
}

static void run_s8(const nnom_exec *x)
{
    const nnom_transpose_conv_args a = args_of(x->layer, x->in_layer[0]);
    nnom_transpose_conv_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
}

static void run_f32(const nnom_exec *x)
{
    nnom_transpose_conv_args a = args_of(x->layer, x->in_layer[0]);
    nnom_act_bounds_f32(x->layer->def->params.activation, &a.act_min_f, &a.act_max_f);
    nnom_transpose_conv_f32(&a, (const float *)x->in[0], (float *)x->out);
}

const nnom_layer_ops nnom_ops_transpose_conv = {
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = infer,
    .macs = macs,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
