/*
 * PRELU: x >= 0 ? x : alpha x, alpha per channel or per element (kernels/prelu.h).
 * f32: blob 0 float alpha [A]. s8: blob 0 int8 alpha [A], blob 1 int32[4] {pos multiplier, shift,
 * neg multiplier, shift}. A is the channel count or the element count. Runs in place.
 */
#include "kernels/prelu.h"
#include "layers/elementwise_common.h"

/* the number of alpha values in blob 0: one per channel or one per element; 0 if neither */
static int32_t alpha_count(const nnom_layer *l, const nnom_shape *s, uint32_t element_bytes)
{
    const uint32_t n = nnom_blob_size(l, 0) / element_bytes;
    const int32_t channels = s->dims[s->rank - 1], count = nnom_shape_count(s);
    if (nnom_blob_size(l, 0) % element_bytes != 0) return 0;
    return n == (uint32_t)channels || n == (uint32_t)count ? (int32_t)n : 0;
}

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_status st = nnom_check_input_count(l, ctx, 1, 1);
    if (st != NNOM_OK) return st;
    const nnom_shape *s = &ctx->in[0]->def->shape;
    const uint32_t bytes = ctx->dtype == NNOM_DTYPE_S8 ? 1u : 4u;
    const int32_t a = alpha_count(l, s, bytes);
    if (a == 0) {
        char t[NNOM_SHAPE_TEXT_MAX];
        nnom_shape_text(s, t, sizeof t);
        return nnom_layer_fail(ctx->model, l, NNOM_ERR_SHAPE,
                               "alpha (blob 0) is %u bytes, expected %u (one per channel) or %u (one per element of "
                               "the input %s)", (unsigned)nnom_blob_size(l, 0), (unsigned)(s->dims[s->rank - 1] * bytes),
                               (unsigned)((uint32_t)nnom_shape_count(s) * bytes), t);
    }
    st = nnom_expect_blob(ctx->model, l, 0, "alpha", (uint32_t)a * bytes);
    if (st != NNOM_OK) return st;
    if (ctx->dtype == NNOM_DTYPE_S8) {
        st = nnom_expect_blob(ctx->model, l, 1, "requantisation (int32[4])", 16u);
        if (st == NNOM_OK) st = nnom_check_requant_pairs(l, ctx, (const int32_t *)nnom_blob_data(l, 1), 2, "params");
        if (st != NNOM_OK) return st;
    } else {
        const float *alpha = (const float *)nnom_blob_data(l, 0);
        for (int32_t i = 0; i < a; i++)
            if (!(alpha[i] >= -3.402823466e38f && alpha[i] <= 3.402823466e38f))
                return nnom_layer_fail(ctx->model, l, NNOM_ERR_ARGUMENT, "alpha[%d] is not finite", (int)i);
    }
    l->def->shape = *s;
    return NNOM_OK;
}

static void run_s8(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    const int32_t *p = (const int32_t *)nnom_blob_data(l, 1);
    nnom_prelu_s8_args a;
    a.in = (const int8_t *)x->in[0];
    a.out = (int8_t *)x->out;
    a.n = nnom_shape_count(&l->def->shape);
    a.alpha = (const int8_t *)nnom_blob_data(l, 0);
    a.alpha_count = (int32_t)nnom_blob_size(l, 0);
    a.in_zero_point = x->in_layer[0]->def->quant.zero_point;
    a.out_zero_point = l->def->quant.zero_point;
    a.pos_multiplier = p[0];
    a.pos_shift = p[1];
    a.neg_multiplier = p[2];
    a.neg_shift = p[3];
    nnom_prelu_s8(&a);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    nnom_prelu_f32_args a;
    a.in = (const float *)x->in[0];
    a.out = (float *)x->out;
    a.n = nnom_shape_count(&l->def->shape);
    a.alpha = (const float *)nnom_blob_data(l, 0);
    a.alpha_count = (int32_t)(nnom_blob_size(l, 0) / 4u);
    nnom_prelu_f32(&a);
}

const nnom_layer_ops nnom_ops_prelu = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
