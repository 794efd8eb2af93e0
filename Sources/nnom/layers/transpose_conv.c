/*
 * TRANSPOSE_CONV2D: a transposed convolution (kernels/transpose_conv.h).
 * Input (H, W, C_in); output (shape[0], shape[1], units): params.shape_rank 3
 * with shape = {out_h, out_w, units}. Parameters: kernel, stride, units
 * (output channels), pad[0] = pad_top and pad[2] = pad_left (the offset of the
 * first output row / column; TFLite's padding), activation (NONE, RELU, RELU6).
 * Blobs as CONV2D's: s8 0 weights int8 [out][kh][kw][in], 1 bias int32 [out]
 * (may be empty), 2 multipliers, 3 shifts (per output channel); f32 0 weights,
 * 1 bias. Not in place.
 */
#include "core/layer.h"
#include "kernels/conv.h"
#include "kernels/transpose_conv.h"

#define WINDOW_LIMIT 4096

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const char *tname = nnom_layer_type_name(l->type);
    nnom_model *m = ctx->model;
    const nnom_layer_params *p = l->p;
    const nnom_shape *in = &ctx->in[0]->shape;
    if (in->rank != 3)
        return nnom_fail(m, NNOM_ERR_SHAPE, "layer '%s' (%s): input '%s' has rank %d, expected 3 (H, W, C)", l->name,
                         tname, ctx->in[0]->name, (int)in->rank);
    if (p->shape_rank != 3 || p->shape[2] != p->units || p->units < 1 || p->shape[0] < 1 || p->shape[1] < 1)
        return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer '%s' (%s): output shape (rank %d: %d, %d, %d) must be (H, W, "
                         "units = %d)", l->name, tname, (int)p->shape_rank, (int)p->shape[0], (int)p->shape[1],
                         (int)p->shape[2], (int)p->units);
    for (int k = 0; k < 2; k++) {
        if (p->kernel[k] < 1 || p->kernel[k] > WINDOW_LIMIT || p->stride[k] < 0 || p->stride[k] > WINDOW_LIMIT)
            return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer '%s' (%s): kernel %d and stride %d out of range", l->name,
                             tname, (int)p->kernel[k], (int)p->stride[k]);
        const int32_t pad = p->pad[2 * k];
        if (pad < 0 || pad >= p->kernel[k])
            return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer '%s' (%s): padding %d, expected 0 to kernel - 1 (%d)", l->name,
                             tname, (int)pad, (int)p->kernel[k] - 1);
    }
    if (p->pad[1] || p->pad[3])
        return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer '%s' (%s): pad[1] and pad[3] must be 0 (the output shape says "
                         "where the output ends)", l->name, tname);
    if (p->activation != NNOM_ACT_NONE && p->activation != NNOM_ACT_RELU && p->activation != NNOM_ACT_RELU6)
        return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer '%s' (%s): fused activation %d, expected 0, 1 or 2", l->name,
                         tname, (int)p->activation);
    const nnom_dims d = nnom_dims_of(in);
    const int64_t patch = (int64_t)p->kernel[0] * p->kernel[1] * d.c;
    if (ctx->dtype == NNOM_DTYPE_S8 && patch > NNOM_CONV_MAX_PATCH)
        return nnom_fail(m, NNOM_ERR_UNSUPPORTED, "layer '%s' (%s): kernel x input channels is %ld, at most %d",
                         l->name, tname, (long)patch, NNOM_CONV_MAX_PATCH);
    const uint32_t esize = ctx->dtype == NNOM_DTYPE_S8 ? 1u : 4u;
    const uint32_t per_channel = (uint32_t)p->units * 4u;
    nnom_status st = nnom_expect_blob(m, l, 0, "weights [out][kh][kw][in]", (uint32_t)(patch * p->units) * esize);
    if (st == NNOM_OK && l->blobs[1].size != 0) st = nnom_expect_blob(m, l, 1, "bias [out] (or none)", per_channel);
    if (st != NNOM_OK) return st;
    if (ctx->dtype == NNOM_DTYPE_S8) {
        st = nnom_expect_blob(m, l, 2, "multipliers [out] (int32)", per_channel);
        if (st == NNOM_OK) st = nnom_expect_blob(m, l, 3, "shifts [out] (int32)", per_channel);
        if (st != NNOM_OK) return st;
        const int32_t *mult = (const int32_t *)l->blobs[2].data, *shift = (const int32_t *)l->blobs[3].data;
        for (int32_t i = 0; i < p->units; i++)
            if (mult[i] < 0 || shift[i] < -31 || shift[i] > 30)
                return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer '%s' (%s): channel %d has multiplier %d and shift %d, "
                                 "expected >= 0 and -31 to 30", l->name, tname, (int)i, (int)mult[i], (int)shift[i]);
    }
    for (int s = ctx->dtype == NNOM_DTYPE_S8 ? 4 : 2; s < NNOM_MAX_BLOBS; s++)
        if (l->blobs[s].size != 0)
            return nnom_fail(m, NNOM_ERR_SHAPE, "layer '%s' (%s): blob %d holds %u bytes, expected none", l->name,
                             tname, s, (unsigned)l->blobs[s].size);
    nnom_set_shape_hwc(l, 3, p->shape[0], p->shape[1], p->units);
    return NNOM_OK;
}

static uint64_t macs(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_dims i = nnom_dims_of(&ctx->in[0]->shape);
    return (uint64_t)i.h * (uint64_t)i.w * (uint64_t)i.c * (uint64_t)l->p->kernel[0] * (uint64_t)l->p->kernel[1] *
           (uint64_t)l->p->units;
}

static nnom_transpose_conv_args args_of(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    const nnom_dims i = nnom_dims_of(&x->in_layer[0]->shape);
    nnom_transpose_conv_args a;
    a.in_h = i.h;
    a.in_w = i.w;
    a.in_c = i.c;
    a.out_h = l->p->shape[0];
    a.out_w = l->p->shape[1];
    a.out_c = l->p->units;
    a.k_h = l->p->kernel[0];
    a.k_w = l->p->kernel[1];
    a.stride_h = nnom_one_if_zero(l->p->stride[0]);
    a.stride_w = nnom_one_if_zero(l->p->stride[1]);
    a.pad_top = l->p->pad[0];
    a.pad_left = l->p->pad[2];
    a.in_zp = x->in_layer[0]->quant.zero_point;
    a.out_zp = l->quant.zero_point;
    a.act_min = l->act_lo;
    a.act_max = l->act_hi;
    a.multiplier = (const int32_t *)l->blobs[2].data;
    a.shift = (const int32_t *)l->blobs[3].data;
    a.act_min_f = 0.0f;
    a.act_max_f = 0.0f;
    a.weights = l->blobs[0].data;
    a.bias = l->blobs[1].size ? l->blobs[1].data : NULL;
    return a;
}

static void run_s8(const nnom_exec *x)
{
    const nnom_transpose_conv_args a = args_of(x);
    nnom_transpose_conv_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
}

static void run_f32(const nnom_exec *x)
{
    nnom_transpose_conv_args a = args_of(x);
    nnom_act_bounds_f32(x->layer->p->activation, &a.act_min_f, &a.act_max_f);
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
