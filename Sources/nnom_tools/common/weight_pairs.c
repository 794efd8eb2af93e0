/*
 * int8 weights written in pairs: DENSE weights in row pairs (kernels/dense.h; cell_flags
 * NNOM_DENSE_ROW_PAIRS, format 1.10) and the weights of the convolutions that nnom_conv_pairs_fit()
 * accepts in channel pairs (kernels/conv.h; cell_flags NNOM_CONV_CHANNEL_PAIRS, format 1.11).
 *
 * The last step of both converters (Keras and .tflite), after every pass that reads the int8
 * weights as rows (dead-channel removal, padding folds): the int8 model is rebuilt with those
 * layers' blob 0 rearranged, which the Cortex-M kernels multiply two rows (two output channels) at
 * a time from one widening; the pair kernels compute the row kernels' function, bit for bit. The
 * float model keeps its rows. The writer then sets the header flag of each layout, so that older
 * runtimes refuse the file rather than read the pairs as rows.
 */
#include <stdlib.h>
#include <string.h>

#include "common/tools_internal.h"
#include "kernels/conv.h"
#include "kernels/dense.h"

/* A failure of the step: "weight pairs: " then the printf-format message. */
#define pairs_fail(c, st, ...) nnom_converter_fail_in((c), (st), "weight pairs: ", __VA_ARGS__)

/* The step's state: the converter, and whether to_pairs() failed (its message then in c). */
typedef struct pairs_ctx {
    nnom_converter *c;
    int failed;
} pairs_ctx;

/* A failure of to_pairs(), marked so that nnom_weight_pairs_write() keeps its message. */
#define to_pairs_fail(x, st, ...) ((x)->failed = 1, pairs_fail((x)->c, (st), __VA_ARGS__))

/* @p bytes bytes from the converter's store into *to, for layer @p i's new weights. */
static nnom_status new_weights(pairs_ctx *x, uint64_t bytes, int32_t i, const char *name, uint8_t **to)
{
    if (bytes > UINT32_MAX)
        return to_pairs_fail(x, NNOM_ERR_SHAPE, "layer %d ('%s'): %llu bytes of weights do not fit a blob", (int)i,
                             name, (unsigned long long)bytes);
    *to = (uint8_t *)nnom_store_alloc(&x->c->store, (size_t)bytes);
    if (!*to) return to_pairs_fail(x, NNOM_ERR_NO_MEMORY, "out of memory for %llu bytes", (unsigned long long)bytes);
    return NNOM_OK;
}

/* An int8 DENSE still in rows: its weights in row pairs. */
static nnom_status dense_to_pairs(pairs_ctx *x, int32_t i, const nnom_layer_info *info, nnom_layer_desc *d)
{
    const int32_t units = d->params.units;
    const uint32_t bytes = d->blobs[0].size;
    if (units <= 0 || bytes == 0 || bytes % (uint32_t)units != 0 || !d->blobs[0].data)
        return to_pairs_fail(x, NNOM_ERR_STATE, "layer %d ('%s'): %u weight bytes for %d units", (int)i, info->name,
                             (unsigned)bytes, (int)units);
    const int32_t in = (int32_t)(bytes / (uint32_t)units);
    uint8_t *p = NULL;
    const nnom_status st = new_weights(x, NNOM_DENSE_PAIRS_BYTES(in, units), i, info->name, &p);
    if (st != NNOM_OK) return st;
    nnom_dense_pairs_pack((const int8_t *)d->blobs[0].data, in, units, p);
    d->blobs[0].data = p;
    d->blobs[0].size = (uint32_t)NNOM_DENSE_PAIRS_BYTES(in, units);
    d->params.cell_flags |= NNOM_DENSE_ROW_PAIRS;
    return NNOM_OK;
}

/* The kernel arguments nnom_conv_pairs_fit() reads of an int8 convolution with output shape
 * @p shape (rank 3, or rank 2 for 1D); 0 when the blobs are not those of such a layer. */
static int conv_fit_args(const nnom_layer_desc *d, const nnom_shape *shape, nnom_conv_args *a)
{
    const nnom_layer_params *p = &d->params;
    const int one_d = shape->rank == 2;
    const int64_t window = (int64_t)p->kernel[0] * p->kernel[1] * p->units;
    if (window <= 0 || d->blobs[0].size % (uint64_t)window != 0 || d->blobs[2].size != 4u * (uint32_t)p->units ||
        d->blobs[3].size != 4u * (uint32_t)p->units)
        return 0;
    memset(a, 0, sizeof *a);
    a->in_c = (int32_t)(d->blobs[0].size / (uint64_t)window);
    a->out_c = p->units;
    a->out_w = one_d ? shape->dims[0] : shape->dims[1];
    a->out_h = one_d ? 1 : shape->dims[0];
    a->k_h = p->kernel[0];
    a->k_w = p->kernel[1];
    a->stride_h = p->stride[0] ? p->stride[0] : 1;
    a->stride_w = p->stride[1] ? p->stride[1] : 1;
    a->dil_h = p->dilation[0] ? p->dilation[0] : 1;
    a->dil_w = p->dilation[1] ? p->dilation[1] : 1;
    a->bias = d->blobs[1].size == 4u * (uint32_t)p->units ? d->blobs[1].data : NULL;
    a->multiplier = (const int32_t *)d->blobs[2].data;
    a->shift = (const int32_t *)d->blobs[3].data;
    return 1;
}

/* An int8 convolution in rows that nnom_conv_pairs_fit() accepts: its weights in channel pairs. */
static nnom_status conv_to_pairs(pairs_ctx *x, int32_t i, const nnom_layer_info *info, nnom_layer_desc *d)
{
    nnom_conv_args a;
    if (!conv_fit_args(d, &info->shape, &a) || !nnom_conv_pairs_fit(&a)) return NNOM_OK;
    const int32_t k = a.k_h * a.k_w * a.in_c;
    uint8_t *p = NULL;
    const nnom_status st = new_weights(x, NNOM_CONV_PAIRS_BYTES(k, a.out_c), i, info->name, &p);
    if (st != NNOM_OK) return st;
    nnom_conv_pairs_pack((const int8_t *)d->blobs[0].data, k, a.out_c, p);
    d->blobs[0].data = p;
    d->blobs[0].size = (uint32_t)NNOM_CONV_PAIRS_BYTES(k, a.out_c);
    d->params.cell_flags |= NNOM_CONV_CHANNEL_PAIRS;
    return NNOM_OK;
}

static int is_conv(nnom_layer_type t) { return t == NNOM_LAYER_CONV1D || t == NNOM_LAYER_CONV2D; }

/* Each layer's rearrangement (nnom_rebuild_edit); layers already in pairs stay as they are. */
static nnom_status to_pairs(void *ctx, int32_t i, const nnom_layer_info *info, nnom_layer_desc *d)
{
    pairs_ctx *x = (pairs_ctx *)ctx;
    if (info->type == NNOM_LAYER_DENSE && !(d->params.cell_flags & NNOM_DENSE_ROW_PAIRS))
        return dense_to_pairs(x, i, info, d);
    if (is_conv(info->type) && !(d->params.cell_flags & NNOM_CONV_CHANNEL_PAIRS)) return conv_to_pairs(x, i, info, d);
    return NNOM_OK;
}

nnom_status nnom_weight_pairs_write(nnom_converter *c)
{
    nnom_model *qm = c->int8_model;
    if (!qm || nnom_model_dtype(qm) != NNOM_DTYPE_S8) return NNOM_OK;
    int any = 0;
    const int32_t n = nnom_model_layer_count(qm);
    for (int32_t i = 0; i < n && !any; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(qm, i, &info);
        any = (info.type == NNOM_LAYER_DENSE && !(info.params.cell_flags & NNOM_DENSE_ROW_PAIRS)) ||
              (is_conv(info.type) && !(info.params.cell_flags & NNOM_CONV_CHANNEL_PAIRS));
    }
    if (!any) return NNOM_OK;
    nnom_rebuild how = NNOM_REBUILD_INIT;
    pairs_ctx x = {c, 0};
    how.edit = to_pairs;
    how.ctx = &x;
    nnom_model *nq = NULL;
    nnom_error err;
    const nnom_status st = nnom_tools_rebuild(qm, &how, &nq, &err);
    if (st != NNOM_OK)
        return x.failed ? st : pairs_fail(c, st, "the int8 model does not build: %s", err.message);
    nnom_model_destroy(qm);
    c->int8_model = nq;
    return NNOM_OK;
}
