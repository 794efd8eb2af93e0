/* Checks and kernel glue shared by the element-wise layer files (see elementwise_common.h). */
#include "layers/elementwise_common.h"

#include "core/model_internal.h"
#include "kernels/activation.h"
#include "kernels/requant.h"

nnom_status nnom_check_input_count(nnom_layer *l, const nnom_infer_ctx *ctx, int32_t lo, int32_t hi)
{
    if (l->n_inputs < lo || l->n_inputs > hi) {
        if (lo == hi)
            return nnom_layer_fail(ctx->model, l, NNOM_ERR_SHAPE, "takes %d input(s), %d given", (int)lo,
                                   (int)l->n_inputs);
        return nnom_layer_fail(ctx->model, l, NNOM_ERR_SHAPE, "takes %d to %d inputs, %d given", (int)lo, (int)hi,
                               (int)l->n_inputs);
    }
    return NNOM_OK;
}

nnom_status nnom_check_requant_pairs(const nnom_layer *l, const nnom_infer_ctx *ctx, const int32_t *params,
                                     int32_t n_pairs, const char *what)
{
    for (int32_t i = 0; i < n_pairs; i++) {
        const int32_t m = params[2 * i], s = params[2 * i + 1];
        if (m < 0)
            return nnom_layer_fail(ctx->model, l, NNOM_ERR_ARGUMENT,
                                   "%s[%d] (multiplier) is %d, expected a value >= 0", what, (int)(2 * i), (int)m);
        if (s < NNOM_SHIFT_MIN || s > NNOM_SHIFT_MAX)
            return nnom_layer_fail(ctx->model, l, NNOM_ERR_ARGUMENT, "%s[%d] (shift) is %d, expected %d to %d", what,
                                   (int)(2 * i + 1), (int)s, NNOM_SHIFT_MIN, NNOM_SHIFT_MAX);
    }
    return NNOM_OK;
}

static int same_shape(const nnom_shape *a, const nnom_shape *b)
{
    if (a->rank != b->rank) return 0;
    for (int32_t i = 0; i < a->rank && i < NNOM_MAX_RANK; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

nnom_status nnom_binary_infer(nnom_layer *l, const nnom_infer_ctx *ctx, int32_t n_params)
{
    nnom_status st = nnom_check_input_count(l, ctx, 2, 2);
    if (st != NNOM_OK) return st;
    const nnom_shape *a = &ctx->in[0]->shape, *b = &ctx->in[1]->shape;
    if (!same_shape(a, b)) {
        const int32_t channels = a->rank >= 1 && a->rank <= NNOM_MAX_RANK ? a->dims[a->rank - 1] : -1;
        if (!(b->rank == 1 && b->dims[0] == channels)) {
            char ta[NNOM_SHAPE_TEXT_MAX], tb[NNOM_SHAPE_TEXT_MAX];
            nnom_shape_text(a, ta, sizeof ta);
            nnom_shape_text(b, tb, sizeof tb);
            return nnom_layer_fail(ctx->model, l, NNOM_ERR_SHAPE,
                                   "input shapes %s ('%s') and %s ('%s') differ; the second must have the first's "
                                   "shape or be a vector of its %d channels", ta, ctx->in[0]->name, tb,
                                   ctx->in[1]->name, (int)channels);
        }
    }
    if (l->p->activation != NNOM_ACT_NONE && l->p->activation != NNOM_ACT_RELU && l->p->activation != NNOM_ACT_RELU6)
        return nnom_layer_fail(ctx->model, l, NNOM_ERR_UNSUPPORTED,
                               "fused activation %d is not supported, expected 0 (none), 1 (relu) or 2 (relu6)",
                               (int)l->p->activation);
    if (ctx->dtype == NNOM_DTYPE_S8) {
        st = nnom_expect_blob(ctx->model, l, 0, "requantisation parameters (int32)",
                              (uint32_t)n_params * (uint32_t)sizeof(int32_t));
        if (st != NNOM_OK) return st;
        st = nnom_check_requant_pairs(l, ctx, (const int32_t *)l->blobs[0].data, n_params / 2, "params");
        if (st != NNOM_OK) return st;
    }
    l->shape = *a;
    return NNOM_OK;
}

static int32_t binary_rows_channels(const nnom_exec *x, int32_t *channels, int32_t *broadcast)
{
    const nnom_layer *l = x->layer;
    const int32_t count = nnom_shape_count(&l->shape);
    const int32_t c = l->shape.dims[l->shape.rank - 1];
    *channels = c;
    *broadcast = nnom_shape_count(&x->in_layer[1]->shape) != count;
    return c > 0 ? nnom_rows_count(x, count) / c : 0;
}

void nnom_binary_run_s8(const nnom_exec *x, nnom_binary_kernel_s8 kernel)
{
    const nnom_layer *l = x->layer;
    nnom_elementwise_s8_args a;
    a.in1 = (const int8_t *)x->in[0];
    a.in2 = (const int8_t *)x->in[1];
    a.out = (int8_t *)x->out;
    a.rows = binary_rows_channels(x, &a.channels, &a.broadcast);
    a.in1_zero_point = x->in_layer[0]->quant.zero_point;
    a.in2_zero_point = x->in_layer[1]->quant.zero_point;
    a.out_zero_point = l->quant.zero_point;
    a.act_lo = l->act_lo;
    a.act_hi = l->act_hi;
    a.params = (const int32_t *)l->blobs[0].data;
    kernel(&a);
}

void nnom_binary_run_f32(const nnom_exec *x, nnom_binary_kernel_f32 kernel)
{
    const nnom_layer *l = x->layer;
    nnom_elementwise_f32_args a;
    a.in1 = (const float *)x->in[0];
    a.in2 = (const float *)x->in[1];
    a.out = (float *)x->out;
    a.rows = binary_rows_channels(x, &a.channels, &a.broadcast);
    nnom_act_bounds_f32(l->p->activation, &a.act_lo, &a.act_hi);
    kernel(&a);
}

uint64_t nnom_binary_count(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    (void)ctx;
    return (uint64_t)nnom_shape_count(&l->shape);
}

nnom_status nnom_activation_infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_status st = nnom_check_input_count(l, ctx, 1, 1);
    if (st != NNOM_OK) return st;
    if (ctx->dtype == NNOM_DTYPE_S8) {
        st = nnom_expect_blob(ctx->model, l, 0, "lookup table (int8[256])", NNOM_LUT_S8_SIZE);
        if (st != NNOM_OK) return st;
    }
    l->shape = ctx->in[0]->shape;
    return NNOM_OK;
}

int32_t nnom_activation_count(const nnom_exec *x) { return nnom_rows_count(x, nnom_shape_count(&x->layer->shape)); }

void nnom_activation_run_s8(const nnom_exec *x)
{
    nnom_lut_s8((const int8_t *)x->in[0], (int8_t *)x->out, nnom_activation_count(x),
                (const int8_t *)x->layer->blobs[0].data);
}

void nnom_activation_run_f32(const nnom_exec *x, nnom_activation_kernel_f32 kernel)
{
    kernel((const float *)x->in[0], (float *)x->out, nnom_activation_count(x));
}
