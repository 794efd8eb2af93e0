/*
 * Zero paddings folded into the convolution that reads them.
 *
 * Keras' MobileNet puts a ZeroPadding2D before each stride-2 depthwise
 * convolution with padding='valid' (TFLite: a PAD before DEPTHWISE_CONV_2D).
 * Run as a layer, the padding copies the whole tensor into a larger buffer.
 * A convolution's taps in its own padding add nothing, exactly as taps reading
 * the value a zero padding writes (0.0; int8: the zero point, which is the
 * padding's input zero point as well, the two sharing one quantisation), so a
 * ZERO_PADDING1D/2D whose only reader is a CONV or DEPTHWISE_CONV of the same
 * rank with VALID padding becomes that convolution's explicit padding
 * (NNOM_PADDING_EXPLICIT, pad = the padding's {top, bottom, left, right}) and
 * disappears: every output element is the same arithmetic on the same values.
 * The convolution takes pads up to its dilated kernel's span - 1 on each side
 * (every window keeps a tap inside the input); a larger padding stays a layer.
 *
 * Both models of a converter (float32 and int8, the same layers) are rebuilt
 * without the folded layers; the per-layer tables of the float model (Keras
 * layer names, calibration ranges) are compacted with them.
 */
#include <stdlib.h>
#include <string.h>

#include "common/tools_internal.h"

/* A failure of the fold: "folding zero paddings: " then the printf-format message. */
#define fold_fail(c, st, ...) nnom_converter_fail_in((c), (st), "folding zero paddings: ", __VA_ARGS__)

static int is_padding(nnom_layer_type t) { return t == NNOM_LAYER_ZERO_PADDING1D || t == NNOM_LAYER_ZERO_PADDING2D; }

/* The convolution types a padding of type @p pad folds into (same rank). */
static int folds_into(nnom_layer_type pad, nnom_layer_type conv)
{
    if (pad == NNOM_LAYER_ZERO_PADDING2D) return conv == NNOM_LAYER_CONV2D || conv == NNOM_LAYER_DEPTHWISE_CONV2D;
    return conv == NNOM_LAYER_CONV1D || conv == NNOM_LAYER_DEPTHWISE_CONV1D;
}

/* Whether padding layer @p pad (its info @p p) can become the explicit padding of its one reader @p cv. */
static int can_fold(const nnom_layer_info *p, const nnom_layer_info *cv, const nnom_layer_info *src, int int8)
{
    if (!folds_into(p->type, cv->type) || p->n_inputs != 1 || cv->n_inputs != 1) return 0;
    if (cv->params.padding != NNOM_PADDING_VALID) return 0;
    if (int8 && (p->quant.zero_point != src->quant.zero_point || p->quant.scale != src->quant.scale)) return 0;
    for (int k = 0; k < 4; k++) {
        const int axis = k / 2;
        const int64_t dil = cv->params.dilation[axis] ? cv->params.dilation[axis] : 1;
        const int64_t reach = (int64_t)(cv->params.kernel[axis] - 1) * dil;
        if (p->params.pad[k] < 0 || p->params.pad[k] > reach) return 0;
    }
    return 1;
}

/* The folded paddings of one model: which layers they are, and the model to read their pads from. */
typedef struct fold_ctx {
    const nnom_model *m;
    const uint8_t *fold;
} fold_ctx;

/* A convolution that read a folded padding takes its pads (nnom_rebuild_edit). */
static nnom_status take_pads(void *ctx, int32_t i, const nnom_layer_info *info, nnom_layer_desc *d)
{
    const fold_ctx *f = (const fold_ctx *)ctx;
    (void)i;
    for (int32_t k = 0; k < info->n_inputs; k++) {
        const int32_t src = info->inputs[k];
        if (!f->fold[src]) continue;
        nnom_layer_info pad = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(f->m, src, &pad);
        d->params.padding = NNOM_PADDING_EXPLICIT;
        memcpy(d->params.pad, pad.params.pad, sizeof d->params.pad);
    }
    return NNOM_OK;
}

/* A compiled copy of @p m without the layers marked in @p fold, each folded into its reader; @p map[i]: the
 * copy's id of old layer i (for a folded padding, the id of its input's copy). */
static nnom_status rebuild(nnom_converter *c, const nnom_model *m, const uint8_t *fold, int32_t *map,
                           nnom_model **out)
{
    fold_ctx f = {m, fold};
    nnom_rebuild how = NNOM_REBUILD_INIT;
    how.skip = fold;
    how.map = map;
    how.edit = take_pads;
    how.ctx = &f;
    nnom_error err;
    const nnom_status st = nnom_tools_rebuild(m, &how, out, &err);
    if (st != NNOM_OK)
        return fold_fail(c, st, "the %s model without them does not build: %s",
                         nnom_model_dtype(m) == NNOM_DTYPE_S8 ? "int8" : "float32", err.message);
    return NNOM_OK;
}

/* Marks in @p fold the paddings of @p m (and of @p qm, its int8 twin, when not NULL) that fold; returns how many. */
static int32_t plan(const nnom_model *m, const nnom_model *qm, uint8_t *fold)
{
    const int32_t n = nnom_model_layer_count(m);
    int32_t *readers = (int32_t *)calloc((size_t)n, sizeof *readers), *reader = (int32_t *)calloc((size_t)n, sizeof *reader);
    int32_t count = 0;
    if (!readers || !reader) {
        free(readers);
        free(reader);
        return -1;
    }
    for (int32_t i = 0; i < n; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(m, i, &info);
        for (int32_t k = 0; k < info.n_inputs; k++) {
            readers[info.inputs[k]]++;
            reader[info.inputs[k]] = i;
        }
    }
    for (int32_t i = 0; i < n; i++) {
        nnom_layer_info p = NNOM_LAYER_INFO_INIT, cv = NNOM_LAYER_INFO_INIT, src = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(m, i, &p);
        if (!is_padding(p.type) || readers[i] != 1 || p.n_inputs != 1) continue;
        nnom_model_layer_info(m, reader[i], &cv);
        nnom_model_layer_info(m, p.inputs[0], &src);
        int ok = can_fold(&p, &cv, &src, nnom_model_dtype(m) == NNOM_DTYPE_S8);
        if (ok && qm) {
            nnom_model_layer_info(qm, i, &p);
            nnom_model_layer_info(qm, reader[i], &cv);
            nnom_model_layer_info(qm, p.inputs[0], &src);
            ok = can_fold(&p, &cv, &src, 1);
        }
        fold[i] = (uint8_t)ok;
        count += ok;
    }
    free(readers);
    free(reader);
    return count;
}

nnom_status nnom_paddings_fold(nnom_converter *c)
{
    c->folded_paddings = 0;
    nnom_model *fm = c->float_model, *qm = c->int8_model;
    const nnom_model *ref = fm ? fm : qm;
    if (!ref) return NNOM_OK;
    const int32_t n = nnom_model_layer_count(ref);
    if (fm && qm && nnom_model_layer_count(qm) != n)
        return fold_fail(c, NNOM_ERR_STATE, "the int8 model has %d layers, the float %d",
                         (int)nnom_model_layer_count(qm), (int)n);
    uint8_t *fold = (uint8_t *)calloc((size_t)n, 1);
    int32_t *map = (int32_t *)calloc((size_t)n, sizeof *map);
    if (!fold || !map) {
        free(fold);
        free(map);
        return fold_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    }
    const int32_t count = plan(ref, fm ? qm : NULL, fold);
    nnom_status st = count < 0 ? fold_fail(c, NNOM_ERR_NO_MEMORY, "out of memory") : NNOM_OK;
    nnom_model *nf = NULL, *nq = NULL;
    if (st == NNOM_OK && count > 0) {
        if (fm) st = rebuild(c, fm, fold, map, &nf);
        if (st == NNOM_OK && qm) st = rebuild(c, qm, fold, map, &nq);
    }
    if (st == NNOM_OK && count > 0) {
        if (fm) {
            if (c->owns_float_model) nnom_model_destroy(fm);
            c->float_model = nf;
            c->owns_float_model = 1;
        }
        if (qm) {
            nnom_model_destroy(qm);
            c->int8_model = nq;
        }
        /* the float model's per-layer tables, compacted (a kept layer's new id is never above its old one) */
        for (int32_t i = 0; i < n; i++) {
            if (fold[i]) continue;
            if (c->keras_layers && i < c->n_keras_layers) c->keras_layers[map[i]] = c->keras_layers[i];
            if (c->range_min) c->range_min[map[i]] = c->range_min[i];
            if (c->range_max) c->range_max[map[i]] = c->range_max[i];
        }
        if (c->keras_layers && c->n_keras_layers == n) c->n_keras_layers = n - count;
        c->folded_paddings = count;
    } else {
        nnom_model_destroy(nf);
    }
    free(fold);
    free(map);
    return st;
}

int32_t nnom_converter_folded_paddings(const nnom_converter *c) { return c ? c->folded_paddings : 0; }
