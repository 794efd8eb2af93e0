/*
 * LAYER_NORM: layer normalisation over the last axis (Keras' LayerNormalization with axis -1).
 *  f32: blob 0 gamma float [C] or empty (1), blob 1 beta float [C] or empty (0);
 *       params.alpha is epsilon (finite, >= 0).
 *  s8:  blob 0 multipliers int32 [C], blob 1 shifts int32 [C] in [-31, 0], blob 2 biases int32 [C]
 *       (output steps), blob 3 int32[2] the epsilon term E as the low and high words of an int64 in
 *       [0, NNOM_LAYER_NORM_MAX_EPS_TERM]; made by nnom_quant_layer_norm_params() (see
 *       kernels/layer_norm.h). C at most NNOM_LAYER_NORM_MAX_DEPTH. params.alpha is informative.
 * Shape unchanged; other parameters zero. Runs in place.
 */
#include <string.h>

#include "core/model_internal.h"
#include "kernels/layer_norm.h"

enum { LN_MULT = 0, LN_SHIFT = 1, LN_BIAS = 2, LN_EPS = 3, LN_S8_BLOBS = 4, LN_GAMMA = 0, LN_BETA = 1, LN_F32_BLOBS = 2 };

static int64_t eps_term(const nnom_layer *l)
{
    const int32_t *w = (const int32_t *)nnom_blob_data(l, LN_EPS);
    return (int64_t)(((uint64_t)(uint32_t)w[1] << 32) | (uint32_t)w[0]);
}

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_model *m = ctx->model;
    const nnom_shape *in = &ctx->in[0]->def->shape;
    const int32_t depth = in->dims[in->rank - 1];
    const uint32_t per_channel = (uint32_t)depth * 4u;
    nnom_layer_params zero;
    memset(&zero, 0, sizeof zero);
    zero.alpha = l->def->params.alpha;
    if (memcmp(&zero, &l->def->params, sizeof zero) != 0)
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "only alpha (epsilon) may be set among the " "parameters");
    char what[48];
    nnom_status st = NNOM_OK;
    if (ctx->dtype == NNOM_DTYPE_S8) {
        if (depth > NNOM_LAYER_NORM_MAX_DEPTH)
            return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED,
                                   "int8 normalises at most %d values, the last axis has %d", NNOM_LAYER_NORM_MAX_DEPTH,
                                   (int)depth);
        static const char *const names[3] = {"multipliers", "shifts", "biases"};
        for (int k = LN_MULT; k <= LN_BIAS && st == NNOM_OK; k++) {
            nnom_format(what, sizeof what, "%s int32 [%d]", names[k], (int)depth);
            st = nnom_expect_blob(m, l, k, what, per_channel);
        }
        if (st == NNOM_OK) st = nnom_expect_blob(m, l, LN_EPS, "epsilon term int32 [2]", 8u);
        if (st != NNOM_OK) return st;
        const int32_t *shifts = (const int32_t *)nnom_blob_data(l, LN_SHIFT);
        for (int32_t j = 0; j < depth; j++)
            if (shifts[j] < -31 || shifts[j] > 0)
                return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "shift %d of channel %d is outside [-31, 0]",
                                       (int)shifts[j], (int)j);
        const int64_t e = eps_term(l);
        if (e < 0 || e > NNOM_LAYER_NORM_MAX_EPS_TERM)
            return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "the epsilon term is outside [0, 2^61]");
        for (int k = LN_S8_BLOBS; k < NNOM_MAX_BLOBS; k++)
            if (nnom_blob_size(l, k))
                return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "blob %d must be empty", k);
    } else {
        const float eps = l->def->params.alpha;
        if (!(eps >= 0.0f && eps <= 1e30f))
            return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "epsilon (alpha) must be finite and >= 0");
        static const char *const names[2] = {"gamma", "beta"};
        for (int k = LN_GAMMA; k <= LN_BETA && st == NNOM_OK; k++)
            if (nnom_blob_size(l, k)) {
                nnom_format(what, sizeof what, "%s float [%d] (or none)", names[k], (int)depth);
                st = nnom_expect_blob(m, l, k, what, per_channel);
            }
        if (st != NNOM_OK) return st;
        for (int k = LN_F32_BLOBS; k < NNOM_MAX_BLOBS; k++)
            if (nnom_blob_size(l, k))
                return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "blob %d must be empty", k);
    }
    l->def->shape = *in;
    return NNOM_OK;
}

static void rows_depth(const nnom_layer *l, int32_t *rows, int32_t *depth)
{
    *depth = l->def->shape.dims[l->def->shape.rank - 1];
    *rows = nnom_shape_count(&l->def->shape) / *depth;
}

static void run_s8(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    nnom_layer_norm_s8_args a;
    a.in = (const int8_t *)x->in[0];
    a.out = (int8_t *)x->out;
    rows_depth(l, &a.rows, &a.depth);
    a.multipliers = (const int32_t *)nnom_blob_data(l, LN_MULT);
    a.shifts = (const int32_t *)nnom_blob_data(l, LN_SHIFT);
    a.biases = (const int32_t *)nnom_blob_data(l, LN_BIAS);
    a.eps_term = eps_term(l);
    a.out_zero_point = l->def->quant.zero_point;
    nnom_layer_norm_s8(&a);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    nnom_layer_norm_f32_args a;
    a.in = (const float *)x->in[0];
    a.out = (float *)x->out;
    rows_depth(l, &a.rows, &a.depth);
    a.gamma = nnom_blob_size(l, LN_GAMMA) ? (const float *)nnom_blob_data(l, LN_GAMMA) : NULL;
    a.beta = nnom_blob_size(l, LN_BETA) ? (const float *)nnom_blob_data(l, LN_BETA) : NULL;
    a.epsilon = l->def->params.alpha;
    nnom_layer_norm_f32(&a);
}

static uint64_t macs(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    (void)ctx;
    return 3u * (uint64_t)nnom_shape_count(&l->def->shape); /* square, scale, requantise per value */
}

const nnom_layer_ops nnom_ops_layer_norm = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE,
    .infer = infer,
    .macs = macs,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
