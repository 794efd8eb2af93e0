/*
 * MATMUL: the matrix product of two activations, batched over the leading dimension of rank-3
 * inputs: A (M, K) x B (K, N) -> (M, N), or A (P, M, K) x B (P, K, N) -> (P, M, N). With
 * params.cell_flags NNOM_MATMUL_TRANSPOSE_B, B is given transposed, (N, K) or (P, N, K)
 * (attention's Q K^T). Fused activation none, relu or relu6.
 *  s8: blob 0 int32[2] = {multiplier, shift} ~ A scale x B scale / output scale
 *      (nnom_quant_mul_params()); K at most NNOM_MATMUL_MAX_DEPTH.
 *  f32: no blobs.
 * Scratch (s8): B of one batch transposed when B is (K, N) (nnom_matmul_s8_scratch_bytes()). MACs: P x M x N x K.
 */
#include <string.h>

#include "core/model_internal.h"
#include "kernels/matmul.h"

static nnom_status dims_of(const nnom_layer *l, const nnom_infer_ctx *ctx, nnom_matmul_dims *d)
{
    const nnom_shape *a = &ctx->in[0]->def->shape, *b = &ctx->in[1]->def->shape;
    char ta[NNOM_SHAPE_TEXT_MAX], tb[NNOM_SHAPE_TEXT_MAX];
    nnom_shape_text(a, ta, sizeof ta);
    nnom_shape_text(b, tb, sizeof tb);
    if (a->rank < 2 || a->rank != b->rank)
        return nnom_layer_fail(ctx->model, l, NNOM_ERR_SHAPE, "inputs %s and %s must both have rank 2 or 3", ta, tb);
    const int32_t r = a->rank;
    d->transpose_b = (l->def->params.cell_flags & NNOM_MATMUL_TRANSPOSE_B) != 0;
    d->batch = r == 3 ? a->dims[0] : 1;
    d->m = a->dims[r - 2];
    d->k = a->dims[r - 1];
    d->n = d->transpose_b ? b->dims[r - 2] : b->dims[r - 1];
    const int32_t bk = d->transpose_b ? b->dims[r - 1] : b->dims[r - 2];
    if ((r == 3 && b->dims[0] != d->batch) || bk != d->k)
        return nnom_layer_fail(ctx->model, l, NNOM_ERR_SHAPE,
                               "%s x %s%s: the inner dimensions (%d, %d) or the batches differ", ta, tb,
                               d->transpose_b ? " transposed" : "", (int)d->k, (int)bk);
    return NNOM_OK;
}

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_model *m = ctx->model;
    if (l->def->params.cell_flags & ~(int32_t)NNOM_MATMUL_TRANSPOSE_B)
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "cell_flags 0x%x, only bit 0 (transpose B) is known",
                               (unsigned)l->def->params.cell_flags);
    if (l->def->params.activation != NNOM_ACT_NONE && l->def->params.activation != NNOM_ACT_RELU && l->def->params.activation != NNOM_ACT_RELU6)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED,
                               "fused activation %d is not supported, expected 0 (none), 1 (relu) or 2 (relu6)",
                               (int)l->def->params.activation);
    nnom_matmul_dims d;
    memset(&d, 0, sizeof d);
    nnom_status st = dims_of(l, ctx, &d);
    if (st != NNOM_OK) return st;
    if (ctx->dtype == NNOM_DTYPE_S8) {
        if (d.k > NNOM_MATMUL_MAX_DEPTH)
            return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED, "int8 inner dimension %d is above %d", (int)d.k,
                                   NNOM_MATMUL_MAX_DEPTH);
        st = nnom_expect_blob(m, l, 0, "requantisation int32[2] {multiplier, shift}", 8u);
        if (st != NNOM_OK) return st;
        const int32_t shift = ((const int32_t *)nnom_blob_data(l, 0))[1];
        if (shift < -31 || shift > 30)
            return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "shift %d is outside [-31, 30]", (int)shift);
    } else if (nnom_blob_size(l, 0)) {
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "a float32 matrix product takes no constant data");
    }
    for (int k = 1; k < NNOM_MAX_BLOBS; k++)
        if (nnom_blob_size(l, k))
            return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "blob %d must be empty", k);
    if (ctx->in[0]->def->shape.rank == 3) nnom_set_shape_hwc(l, 3, d.batch, d.m, d.n);
    else nnom_set_shape_hwc(l, 2, 1, d.m, d.n);
    return NNOM_OK;
}

static nnom_matmul_dims run_dims(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    const nnom_shape *a = &x->in_layer[0]->def->shape;
    nnom_matmul_dims d;
    d.transpose_b = (l->def->params.cell_flags & NNOM_MATMUL_TRANSPOSE_B) != 0;
    d.batch = a->rank == 3 ? a->dims[0] : 1;
    d.m = a->dims[a->rank - 2];
    d.k = a->dims[a->rank - 1];
    d.n = l->def->shape.dims[l->def->shape.rank - 1];
    return d;
}

static void run_s8(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    nnom_matmul_s8_args a;
    a.a = (const int8_t *)x->in[0];
    a.b = (const int8_t *)x->in[1];
    a.out = (int8_t *)x->out;
    a.d = run_dims(x);
    a.a_zero_point = x->in_layer[0]->def->quant.zero_point;
    a.b_zero_point = x->in_layer[1]->def->quant.zero_point;
    a.out_zero_point = l->def->quant.zero_point;
    a.multiplier = ((const int32_t *)nnom_blob_data(l, 0))[0];
    a.shift = ((const int32_t *)nnom_blob_data(l, 0))[1];
    a.act_lo = l->act_lo;
    a.act_hi = l->act_hi;
    a.scratch = (int8_t *)x->scratch;
    nnom_matmul_s8(&a);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_matmul_dims d = run_dims(x);
    float *out = (float *)x->out;
    nnom_matmul_f32((const float *)x->in[0], (const float *)x->in[1], out, &d);
    float lo, hi;
    nnom_act_bounds_f32(x->layer->def->params.activation, &lo, &hi);
    const int32_t n = nnom_shape_count(&x->layer->def->shape);
    for (int32_t i = 0; i < n; i++) out[i] = out[i] < lo ? lo : (out[i] > hi ? hi : out[i]);
}

static uint32_t scratch_bytes(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    if (ctx->dtype != NNOM_DTYPE_S8) return 0;
    nnom_matmul_dims d;
    memset(&d, 0, sizeof d);
    if (dims_of(l, ctx, &d) != NNOM_OK) return 0;
    return nnom_matmul_s8_scratch_bytes(&d);
}

static uint64_t macs(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_shape *a = &ctx->in[0]->def->shape;
    return (uint64_t)nnom_shape_count(&l->def->shape) * (uint64_t)a->dims[a->rank - 1];
}

const nnom_layer_ops nnom_ops_matmul = {
    .min_inputs = 2,
    .max_inputs = 2,
    .flags = 0,
    .infer = infer,
    .scratch_bytes = scratch_bytes,
    .macs = macs,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
