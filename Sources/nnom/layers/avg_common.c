/*
 * What AVG_POOL1D/2D (avg_pool.c) and GLOBAL_AVG_POOL (global_avg_pool.c) share
 * beyond their shape checks: the int8 form of the average (kernels/pool.h).
 *
 *  - no blobs: the output keeps the input's quantisation (scale and zero point
 *    must be equal), the kernel rounds the sum over the count;
 *  - s8, blob 0 = int32 [2] {multiplier, shift} (~ input scale / output scale,
 *    multiplier >= 0, shift -31 .. 30), the other blobs empty: the output has
 *    its own quantisation and the kernel requantises the window's sum before
 *    dividing it. 255 * n * 2^max(shift, 0) must not exceed 2^31 - 2^23 for the
 *    largest window of n cells, so that no intermediate saturates.
 * float32 average pools take no blobs.
 */
#include "layers/pool_common.h"
#include "kernels/requant.h"

nnom_status nnom_avg_pool_check(nnom_layer *l, const nnom_infer_ctx *ctx, int64_t cells)
{
    nnom_model *m = ctx->model;
    if (ctx->dtype != NNOM_DTYPE_S8) return nnom_expect_no_blobs(ctx, l);
    /* an int8 average sums at most 2^23 cells in int32 */
    if (cells > NNOM_AVG_POOL_MAX_CELLS)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED, "windows of %ld cells, at most 2^23 supported", (long)cells);
    int any = 0;
    for (int s = 0; s < NNOM_MAX_BLOBS; s++) any |= nnom_blob_size(l, s) != 0;
    if (!any) return nnom_expect_same_quant(ctx, l); /* the plain form */
    nnom_status st = nnom_expect_blob(m, l, 0, "requantisation int32 [2] (multiplier, shift)", 8u);
    if (st != NNOM_OK) return st;
    for (int s = 1; s < NNOM_MAX_BLOBS; s++)
        if (nnom_blob_size(l, s) != 0)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "blob %d holds %u bytes, expected none", s,
                                   (unsigned)nnom_blob_size(l, s));
    const int32_t *q = (const int32_t *)nnom_blob_data(l, 0);
    if (!nnom_requant_pair_ok(q[0], q[1]))
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT,
                               "multiplier %d, shift %d; expected a multiplier >= 0 and a shift from %d to %d",
                               (int)q[0], (int)q[1], NNOM_SHIFT_MIN, NNOM_SHIFT_MAX);
    if (!nnom_avg_pool_shift_ok(cells, q[1]))
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED,
                               "shift %d is too large for windows of %ld cells (255 x cells x 2^shift must not exceed "
                               "2^31 - 2^23): the output scale is too fine for the input's", (int)q[1], (long)cells);
    return NNOM_OK;
}

void nnom_avg_pool_form(const nnom_layer *l, const nnom_layer *in, nnom_pool_args *a)
{
    a->rescale = nnom_blob_size(l, 0) != 0;
    if (!a->rescale) return;
    const int32_t *q = (const int32_t *)nnom_blob_data(l, 0);
    a->multiplier = q[0];
    a->shift = q[1];
    a->in_zp = in->def->quant.zero_point;
    a->out_zp = l->def->quant.zero_point;
}

nnom_status nnom_sum_pool_check(nnom_layer *l, const nnom_infer_ctx *ctx, int64_t cells)
{
    /* a sum spans up to `cells` times its input's range: it has a quantisation of its own */
    if (ctx->dtype == NNOM_DTYPE_S8 && nnom_blob_size(l, 0) == 0)
        return nnom_fail(ctx->model, NNOM_ERR_SHAPE, "layer '%s' (%s): an int8 sum pool needs blob 0, int32 [2] "
                         "(multiplier, shift) of input scale / output scale (nnom_quant_avg_pool_params()); it is "
                         "empty",
                         l->def->name, nnom_layer_type_name(l->type));
    return nnom_avg_pool_check(l, ctx, cells);
}

nnom_status nnom_avg_kind_infer(nnom_layer *l, const nnom_infer_ctx *ctx, nnom_avg_kind k)
{
    int64_t cells = 0;
    nnom_status st = k.global ? nnom_pool_global_infer(l, ctx, &cells) : nnom_pool_window_infer(l, ctx, &cells);
    if (st != NNOM_OK) return st;
    return k.sum ? nnom_sum_pool_check(l, ctx, cells) : nnom_avg_pool_check(l, ctx, cells);
}

nnom_pool_args nnom_avg_kind_args(const nnom_exec *x, nnom_avg_kind k)
{
    nnom_pool_args a = k.global ? nnom_pool_global_args(x) : nnom_pool_exec_args(x);
    a.sum = k.sum;
    return a;
}

void nnom_avg_kind_run_s8(const nnom_exec *x, nnom_avg_kind k)
{
    nnom_pool_args a = nnom_avg_kind_args(x, k);
    nnom_avg_pool_form(x->layer, x->in_layer[0], &a);
    if (k.global)
        nnom_global_avg_pool_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
    else
        nnom_avg_pool_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
}
