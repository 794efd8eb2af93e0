/*
 * PRELU: x >= 0 ? x : alpha[c] x, one alpha per channel (the last axis).
 * s8: blob 0 int8[C][256], a lookup table per channel (the .tflite importer
 * computes TFLite's PRELU into them); f32: blob 0 float[C] alphas. Runs in place.
 */
#include "kernels/activation.h"
#include "layers/elementwise_common.h"

#define TABLE_ENTRIES 256u

static int32_t channels(const nnom_shape *s) { return s->dims[s->rank - 1]; }

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_status st = nnom_check_input_count(l, ctx, 1, 1);
    if (st != NNOM_OK) return st;
    const uint32_t c = (uint32_t)channels(&ctx->in[0]->shape);
    if (ctx->dtype == NNOM_DTYPE_S8)
        st = nnom_expect_blob(ctx->model, l, 0, "lookup tables (int8[channels][256])", c * TABLE_ENTRIES);
    else
        st = nnom_expect_blob(ctx->model, l, 0, "alphas (float[channels])", c * (uint32_t)sizeof(float));
    if (st != NNOM_OK) return st;
    l->shape = ctx->in[0]->shape;
    return NNOM_OK;
}

static void run_s8(const nnom_exec *x)
{
    const int32_t c = channels(&x->layer->shape);
    nnom_prelu_s8((const int8_t *)x->in[0], (int8_t *)x->out, nnom_activation_count(x) / c, c,
                  (const int8_t *)x->layer->blobs[0].data);
}

static void run_f32(const nnom_exec *x)
{
    const int32_t c = channels(&x->layer->shape);
    nnom_prelu_f32((const float *)x->in[0], (float *)x->out, nnom_activation_count(x) / c, c,
                   (const float *)x->layer->blobs[0].data);
}

const nnom_layer_ops nnom_ops_prelu = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
