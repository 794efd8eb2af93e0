/*
 * Internal: what the pooling layers share.
 *  - max_pool.c defines nnom_pool_window_infer() (window pools: MAX_POOL1D/2D and
 *    AVG_POOL1D/2D), global_max_pool.c nnom_pool_global_infer() (GLOBAL_MAX_POOL,
 *    GLOBAL_AVG_POOL): the checks of parameters and input shape, and l->shape; and
 *    the kernel arguments (nnom_pool_window_args(), nnom_pool_global_args()).
 *  - avg_common.c defines the rest of an average (and a sum) pool's checks and its int8 form
 *    (kernels/pool.h): without blobs the output keeps the input's quantisation; with
 *    blob 0 = int32 [2] {multiplier, shift} (~ input scale / output scale) the output
 *    has its own and the kernel requantises; and the checks and runs of each kind of average
 *    or sum pool (nnom_avg_kind). Only the average and sum pools link it.
 */
#ifndef NNOM_LAYERS_POOL_COMMON_H
#define NNOM_LAYERS_POOL_COMMON_H

#include "core/layer.h"
#include "kernels/pool.h"

/* Window pools: checks parameters against the input, sets l->shape; *cells (may be NULL)
 * receives the number of cells of the largest window clipped to the input. */
nnom_status nnom_pool_window_infer(nnom_layer *l, const nnom_infer_ctx *ctx, int64_t *cells);

/* Window pools: the kernel geometry from the layer, its input's and its output's shapes
 * (other fields 0). */
nnom_pool_args nnom_pool_window_args(const nnom_layer *l, const nnom_shape *in_shape, const nnom_shape *out_shape);

/* Window pools: nnom_layer_ops.rows_window, and the kernel geometry of one call (narrowed to the band
 * of x->rows in a tiled run). */
void nnom_pool_rows_window(const nnom_layer *l, const nnom_layer *in, int32_t *stride, int32_t *pad_top, int32_t *span);
nnom_pool_args nnom_pool_exec_args(const nnom_exec *x);

/* Global pools: checks the input's rank, sets l->shape (C); *cells receives H * W. */
nnom_status nnom_pool_global_infer(nnom_layer *l, const nnom_infer_ctx *ctx, int64_t *cells);
/* Global pools: the kernel arguments (the input's H, W, C). */
nnom_pool_args nnom_pool_global_args(const nnom_exec *x);

/* Average pools, after the shape checks: blobs and output quantisation (int8: either form;
 * float32: no blobs), and that windows of @p cells cells fit the int8 kernel. */
nnom_status nnom_avg_pool_check(nnom_layer *l, const nnom_infer_ctx *ctx, int64_t cells);

/* Fills the int8 form fields of @p a (rescale, multiplier, shift, zero points) for layer @p l
 * reading @p in. */
void nnom_avg_pool_form(const nnom_layer *l, const nnom_layer *in, nnom_pool_args *a);

/* Sum pools (sum_pool.c, global_sum_pool.c), after the shape checks: int8 needs the requantising
 * form (blob 0), then as nnom_avg_pool_check(). */
nnom_status nnom_sum_pool_check(nnom_layer *l, const nnom_infer_ctx *ctx, int64_t cells);

/* The average and sum pools (avg_pool.c, sum_pool.c, global_avg_pool.c, global_sum_pool.c) differ
 * only in these two choices; avg_common.c checks and runs each from its kind. */
typedef struct {
    int global; /* 1: one window over the whole input (GLOBAL_*_POOL), 0: the layer's windows */
    int sum;    /* 1: the sum of a window's valid cells, 0: their mean */
} nnom_avg_kind;

/* nnom_layer_ops.infer: the window or global shape checks, then nnom_sum_pool_check() or
 * nnom_avg_pool_check(). */
nnom_status nnom_avg_kind_infer(nnom_layer *l, const nnom_infer_ctx *ctx, nnom_avg_kind k);
/* The kernel geometry of one call (without the int8 form). */
nnom_pool_args nnom_avg_kind_args(const nnom_exec *x, nnom_avg_kind k);
/* nnom_layer_ops.run_s8: the geometry and int8 form, then the window or global kernel. */
void nnom_avg_kind_run_s8(const nnom_exec *x, nnom_avg_kind k);

/* nnom_layer_ops.run_f32; inline, so that int8-only builds (which never name a float run, see
 * NNOM_RUN_F32) do not link the float32 kernels through avg_common.c. */
static inline void nnom_avg_kind_run_f32(const nnom_exec *x, nnom_avg_kind k)
{
    const nnom_pool_args a = nnom_avg_kind_args(x, k);
    if (k.global)
        nnom_global_avg_pool_f32(&a, (const float *)x->in[0], (float *)x->out);
    else
        nnom_avg_pool_f32(&a, (const float *)x->in[0], (float *)x->out);
}

#endif /* NNOM_LAYERS_POOL_COMMON_H */
