/*
 * int8 dense weights written in row pairs (kernels/dense.h; cell_flags NNOM_DENSE_ROW_PAIRS).
 *
 * The last step of both converters (Keras and .tflite), after every pass that reads the int8
 * weights as rows (dead-channel removal, padding folds): the int8 model is rebuilt with each int8
 * DENSE's blob 0 rearranged into row pairs, which the Cortex-M kernel multiplies two rows at a time
 * from one widening (nnom_dense_pairs_s8 computes nnom_dense_s8's function, bit for bit). The
 * float model keeps its rows. Files then carry header flag NNOM_FILE_FLAG_DENSE_ROW_PAIRS (format
 * 1.10), so that older runtimes refuse them rather than read the pairs as rows.
 */
#include <stdlib.h>

#include "common/tools_internal.h"
#include "kernels/dense.h"

/* A failure of the step: "dense row pairs: " then the printf-format message. */
#define pairs_fail(c, st, ...) nnom_converter_fail_in((c), (st), "dense row pairs: ", __VA_ARGS__)

/* The step's state: the converter, and whether to_pairs() failed (its message then in c). */
typedef struct pairs_ctx {
    nnom_converter *c;
    int failed;
} pairs_ctx;

/* A failure of to_pairs(), marked so that nnom_dense_pairs_write() keeps its message. */
#define to_pairs_fail(x, st, ...) ((x)->failed = 1, pairs_fail((x)->c, (st), __VA_ARGS__))

/* An int8 DENSE still in rows gets its weights in row pairs (nnom_rebuild_edit). */
static nnom_status to_pairs(void *ctx, int32_t i, const nnom_layer_info *info, nnom_layer_desc *d)
{
    pairs_ctx *x = (pairs_ctx *)ctx;
    if (info->type != NNOM_LAYER_DENSE || (d->params.cell_flags & NNOM_DENSE_ROW_PAIRS)) return NNOM_OK;
    const int32_t units = d->params.units;
    const uint32_t bytes = d->blobs[0].size;
    if (units <= 0 || bytes == 0 || bytes % (uint32_t)units != 0 || !d->blobs[0].data)
        return to_pairs_fail(x, NNOM_ERR_STATE, "layer %d ('%s'): %u weight bytes for %d units", (int)i, info->name,
                          (unsigned)bytes, (int)units);
    const int32_t in = (int32_t)(bytes / (uint32_t)units);
    const uint64_t need = NNOM_DENSE_PAIRS_BYTES(in, units);
    if (need > UINT32_MAX)
        return to_pairs_fail(x, NNOM_ERR_SHAPE, "layer %d ('%s'): %d x %d weights do not fit a blob", (int)i,
                          info->name, (int)units, (int)in);
    uint8_t *p = (uint8_t *)nnom_store_alloc(&x->c->store, (size_t)need);
    if (!p) return to_pairs_fail(x, NNOM_ERR_NO_MEMORY, "out of memory for %llu bytes", (unsigned long long)need);
    nnom_dense_pairs_pack((const int8_t *)d->blobs[0].data, in, units, p);
    d->blobs[0].data = p;
    d->blobs[0].size = (uint32_t)need;
    d->params.cell_flags |= NNOM_DENSE_ROW_PAIRS;
    return NNOM_OK;
}

nnom_status nnom_dense_pairs_write(nnom_converter *c)
{
    nnom_model *qm = c->int8_model;
    if (!qm || nnom_model_dtype(qm) != NNOM_DTYPE_S8) return NNOM_OK;
    int any = 0;
    const int32_t n = nnom_model_layer_count(qm);
    for (int32_t i = 0; i < n && !any; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(qm, i, &info);
        any = info.type == NNOM_LAYER_DENSE && !(info.params.cell_flags & NNOM_DENSE_ROW_PAIRS);
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
