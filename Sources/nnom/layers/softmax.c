/*
 * SOFTMAX over one axis: params.axis 0 or -1 the last, -2 and -3 the ones before it (counted from
 * the end; 0 is what every file held before the axis was a parameter). s8: blob 0 is either nnom's
 * uint32[256] exp table (nnom_quant_softmax_table()) or the int32[512] tables of TFLite's fixed-point
 * softmax (made by the .tflite importer; kernels/softmax.h); its size says which.
 * The output quantisation must be scale 1/256, zero point -128. Runs in place.
 */
#include "kernels/softmax.h"
#include "layers/elementwise_common.h"

/* The index of the softmax's axis in @p s; -1 when params.axis does not name one. */
static int32_t axis_index(const nnom_layer *l, const nnom_shape *s)
{
    const int32_t axis = l->p->axis;
    if (axis > 0 || axis < -s->rank) return -1;
    return axis == 0 ? s->rank - 1 : s->rank + axis;
}

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_status st = nnom_check_input_count(l, ctx, 1, 1);
    if (st != NNOM_OK) return st;
    const int32_t ax = axis_index(l, &ctx->in[0]->shape);
    if (ax < 0)
        return nnom_layer_fail(ctx->model, l, NNOM_ERR_ARGUMENT, "axis %d is outside [%d, 0] for an input of rank %d "
                               "(counted from the end: 0 and -1 are the last axis)", (int)l->p->axis,
                               (int)-ctx->in[0]->shape.rank, (int)ctx->in[0]->shape.rank);
    if (ctx->dtype == NNOM_DTYPE_S8) {
        const uint32_t tflite_bytes = 2u * NNOM_SOFTMAX_TABLE_SIZE * (uint32_t)sizeof(int32_t);
        if (l->blobs[0].size == tflite_bytes) {
            const int32_t depth = ctx->in[0]->shape.dims[ax];
            if (depth > NNOM_SOFTMAX_TFLITE_MAX_DEPTH)
                return nnom_layer_fail(ctx->model, l, NNOM_ERR_UNSUPPORTED,
                                       "TFLite's softmax sums at most %d values, given a row of %d",
                                       NNOM_SOFTMAX_TFLITE_MAX_DEPTH, (int)depth);
            const int32_t *table = (const int32_t *)l->blobs[0].data;
            const int32_t bad = nnom_softmax_tflite_bad_entry(table);
            if (bad >= 0)
                return nnom_layer_fail(ctx->model, l, NNOM_ERR_ARGUMENT,
                                       "TFLite softmax table entry %d (Q12 exponential of difference %d) is %ld; expected %d to %d",
                                       (int)bad, (int)(bad - NNOM_SOFTMAX_TABLE_SIZE), (long)table[bad],
                                       bad == NNOM_SOFTMAX_TABLE_SIZE ? 1 : 0, NNOM_SOFTMAX_TFLITE_SUM_ONE);
        } else {
            st = nnom_expect_blob(ctx->model, l, 0, "exp table (uint32[256], or TFLite's int32[512])",
                                  NNOM_SOFTMAX_TABLE_SIZE * (uint32_t)sizeof(uint32_t));
            if (st != NNOM_OK) return st;
        }
        /* relative distance to 1/256 (exact in float: the product by 256 is exact,
         * and so is the difference of two values this close) */
        const float rel = l->quant.scale * 256.0f - 1.0f;
        if (!(rel <= 1e-6f && rel >= -1e-6f) || l->quant.zero_point != -128) {
            char text[32];
            nnom_float_text(l->quant.scale, text, sizeof text);
            return nnom_layer_fail(ctx->model, l, NNOM_ERR_ARGUMENT,
                                   "int8 output quantisation must be scale 1/256 (3.90625e-3) and zero point -128, "
                                   "given scale %s and zero point %d", text, (int)l->quant.zero_point);
        }
    }
    l->shape = ctx->in[0]->shape;
    return NNOM_OK;
}

/* The vectors of the softmax: @p rows of @p depth values, @p inner apart (kernels/softmax.h). */
static void rows_depth(const nnom_layer *l, int32_t *rows, int32_t *depth, int32_t *inner)
{
    const int32_t ax = axis_index(l, &l->shape);
    *depth = l->shape.dims[ax];
    *inner = 1;
    for (int32_t i = ax + 1; i < l->shape.rank; i++) *inner *= l->shape.dims[i];
    *rows = *depth > 0 ? nnom_shape_count(&l->shape) / *depth : 0;
}

static void run_s8(const nnom_exec *x)
{
    if (x->layer->blobs[0].size == NNOM_SOFTMAX_TABLE_SIZE * sizeof(uint32_t)) {
        nnom_softmax_s8_args a;
        a.in = (const int8_t *)x->in[0];
        a.out = (int8_t *)x->out;
        rows_depth(x->layer, &a.rows, &a.depth, &a.inner);
        a.exp_table = (const uint32_t *)x->layer->blobs[0].data;
        nnom_softmax_s8(&a);
    } else {
        nnom_softmax_tflite_s8_args a;
        a.in = (const int8_t *)x->in[0];
        a.out = (int8_t *)x->out;
        rows_depth(x->layer, &a.rows, &a.depth, &a.inner);
        a.tflite_table = (const int32_t *)x->layer->blobs[0].data;
        nnom_softmax_tflite_s8(&a);
    }
}

static void run_f32(const nnom_exec *x)
{
    int32_t rows, depth, inner;
    rows_depth(x->layer, &rows, &depth, &inner);
    nnom_softmax_f32((const float *)x->in[0], (float *)x->out, rows, depth, inner);
}

const nnom_layer_ops nnom_ops_softmax = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
