/*
 * Keras Dense, BatchNormalization, Rescaling and Normalization. Dense (in, out) becomes [out][in]; a
 * BatchNormalization folds into the weighted layer before it when it alone reads that layer's
 * linear output, else it becomes a per-channel affine layer, as Rescaling and Normalization do.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_layers.h"

/* Dense: on a vector, DENSE; on a sequence or image Keras applies it to the last axis, which is a 1x1
 * convolution (CONV1D or CONV2D: the runtime's DENSE reads its input flat), and the model lists it so;
 * reports still call it "dense" (nnom_converter_layer_type_name()). */
nnom_status kr_build_dense(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    int32_t units = 0;
    nnom_status st = kr_cfg_ints(x, "units", 1, &units, 0);
    if (st != NNOM_OK) return st;
    if (units < 1) return kr_layer_fail(x, NNOM_ERR_KERAS, "units must be at least 1");
    if (kr_get(kr_cfg(x), "lora_rank") && cJSON_IsNumber(kr_get(kr_cfg(x), "lora_rank")) &&
        kr_get(kr_cfg(x), "lora_rank")->valuedouble > 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "LoRA (lora_rank) is not supported; merge it into the kernel");
    const int use_bias = kr_cfg_bool(x, "use_bias", 1);
    const nnom_shape *is = &in[0]->shape;
    const int32_t cin = kr_channels(is);
    kr_weights w;
    if ((st = kr_read_weights(x, &w, use_bias ? 2 : 1, use_bias ? "kernel, bias" : "kernel")) != NNOM_OK) return st;
    const int64_t kd[2] = {cin, units};
    if ((st = kr_check_dims(x, &w, 0, "kernel", 2, kd)) != NNOM_OK) return st;
    if (use_bias && (st = kr_check_vector(x, &w, 1, "bias", units)) != NNOM_OK) return st;
    const size_t wn = (size_t)cin * units;
    float *wt = kr_alloc_floats(x, wn), *b = use_bias ? kr_alloc_floats(x, (size_t)units) : NULL;
    if (!wt || (use_bias && !b)) {
        kr_weights_free(&w);
        return x->status;
    }
    if (in[0]->flat_hwc) {
        /* the input holds Keras' (C, H, W) flat vector in HWC order: row j of ours is Keras' row of that element */
        const float *src = w.a[0].data;
        for (int32_t j = 0; j < cin; j++) {
            const int64_t r = kr_keras_flat_index(&in[0]->flat_shape, j);
            for (int32_t o = 0; o < units; o++) wt[(size_t)o * cin + j] = src[(size_t)r * units + o];
        }
    } else {
        kr_kernel_to_ohwi(w.a[0].data, wt, 1, 1, cin, units);
    }
    if (use_bias) memcpy(b, w.a[1].data, (size_t)units * sizeof(float));
    kr_weights_free(&w);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.units = units;
    nnom_shape os = *is;
    os.dims[os.rank - 1] = units;
    nnom_layer_type t = NNOM_LAYER_DENSE;
    if (is->rank >= 2) {
        t = is->rank == 2 ? NNOM_LAYER_CONV1D : NNOM_LAYER_CONV2D;
        p.kernel[0] = p.kernel[1] = 1;
        p.padding = NNOM_PADDING_VALID;
    }
    int id = kr_plan_weighted(x, t, NULL, in[0]->plan, &p, os, wt, wn, b, units, 0);
    if (id < 0) return x->status;
    if (t != NNOM_LAYER_DENSE) x->plans[id].report_type = nnom_layer_type_name(NNOM_LAYER_DENSE);
    return kr_finish_with_activation(x, id, os, 1, out);
}

nnom_status kr_build_batchnorm(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    nnom_status st = kr_check_last_axis(x, in[0], "axis", -1);
    if (st != NNOM_OK) return st;
    if (kr_cfg_bool(x, "renorm", 0)) return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "renorm=True is not supported");
    double eps;
    if ((st = kr_cfg_number(x, "epsilon", 1e-3, &eps)) != NNOM_OK) return st;
    const int scale = kr_cfg_bool(x, "scale", 1), center = kr_cfg_bool(x, "center", 1);
    const int n = scale + center + 2;
    char names[96];
    snprintf(names, sizeof names, "%s%smoving_mean, moving_variance", scale ? "gamma, " : "", center ? "beta, " : "");
    kr_weights w;
    if ((st = kr_read_weights(x, &w, n, names)) != NNOM_OK) return st;
    const int32_t C = kr_channels(&in[0]->shape);
    static const char *const labels[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    int idx[4], k = 0; /* array index of gamma, beta, mean, variance or -1 */
    idx[0] = scale ? k++ : -1;
    idx[1] = center ? k++ : -1;
    idx[2] = k++;
    idx[3] = k++;
    for (int i = 0; i < 4; i++)
        if (idx[i] >= 0 && (st = kr_check_vector(x, &w, idx[i], labels[i], C)) != NNOM_OK) return st;
    double *s = (double *)calloc((size_t)C, sizeof *s), *t = (double *)calloc((size_t)C, sizeof *t);
    if (!s || !t) {
        free(s);
        free(t);
        kr_weights_free(&w);
        return kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    }
    /* y = gamma (x - mean) / sqrt(var + eps) + beta = s x + t */
    for (int32_t c = 0; c < C; c++) {
        const double gamma = idx[0] >= 0 ? w.a[idx[0]].data[c] : 1.0, beta = idx[1] >= 0 ? w.a[idx[1]].data[c] : 0.0;
        const double mean = w.a[idx[2]].data[c], var = w.a[idx[3]].data[c];
        s[c] = gamma / sqrt(var + eps);
        t[c] = beta - mean * s[c];
    }
    kr_weights_free(&w);
    if (in[0]->fold >= 0) {
        /* fold into the layer before: w' = w s (per output channel), b' = b s + t */
        kr_plan *pl = &x->plans[in[0]->fold];
        if (pl->n_oc == C && pl->w) {
            if (!pl->b) {
                pl->b = kr_alloc_floats(x, (size_t)C);
                if (!pl->b) {
                    free(s);
                    free(t);
                    return x->status;
                }
                pl->desc.blobs[1].data = pl->b;
                pl->desc.blobs[1].size = (uint32_t)((size_t)C * sizeof(float));
            }
            const size_t per = pl->w_count / (size_t)C;
            for (size_t i = 0; i < pl->w_count; i++) {
                const size_t oc = pl->oc_last ? i % (size_t)C : i / per;
                pl->w[i] = (float)((double)pl->w[i] * s[oc]);
            }
            for (int32_t c = 0; c < C; c++) pl->b[c] = (float)((double)pl->b[c] * s[c] + t[c]);
            free(s);
            free(t);
            out->plan = in[0]->plan;
            out->shape = in[0]->shape;
            out->fold = in[0]->fold; /* still a linear output: a ReLU after it may fuse */
            return NNOM_OK;
        }
    }
    int id = kr_plan_affine(x, NULL, in[0]->plan, in[0]->shape, s, t);
    free(s);
    free(t);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = in[0]->shape;
    out->fold = in[0]->shape.rank >= 2 ? id : -1; /* the depthwise itself: a ReLU after it may fuse */
    return NNOM_OK;
}

/* A number or a list of numbers (one, or one per channel) into @p out[C]. */
nnom_status kr_per_channel(kr_ctx *x, const char *key, double def, int32_t C, double *out)
{
    const cJSON *v = kr_get(kr_cfg(x), key);
    if (!v || cJSON_IsNull(v)) {
        for (int32_t i = 0; i < C; i++) out[i] = def;
        return NNOM_OK;
    }
    if (cJSON_IsNumber(v)) {
        for (int32_t i = 0; i < C; i++) out[i] = v->valuedouble;
        return NNOM_OK;
    }
    if (cJSON_IsArray(v)) {
        const int n = cJSON_GetArraySize(v);
        if (n == 1 || n == C) {
            for (int32_t i = 0; i < C; i++) {
                const cJSON *e = cJSON_GetArrayItem(v, n == 1 ? 0 : i);
                if (!cJSON_IsNumber(e)) goto bad;
                out[i] = e->valuedouble;
            }
            return NNOM_OK;
        }
    }
bad:
    return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "option '%s' must be a number or a list of 1 or %d numbers (one "
                         "per channel)", key, (int)C);
}

nnom_status kr_build_rescaling(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int32_t C = kr_channels(&in[0]->shape);
    double *s = (double *)calloc((size_t)C, sizeof *s), *t = (double *)calloc((size_t)C, sizeof *t);
    nnom_status st = !s || !t ? kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory") : NNOM_OK;
    if (st == NNOM_OK) st = kr_per_channel(x, "scale", 1.0, C, s);
    if (st == NNOM_OK) st = kr_per_channel(x, "offset", 0.0, C, t);
    int id = -1;
    if (st == NNOM_OK) {
        id = kr_plan_affine(x, NULL, in[0]->plan, in[0]->shape, s, t);
        if (id < 0) st = x->status;
    }
    free(s);
    free(t);
    if (st != NNOM_OK) return st;
    out->plan = id;
    out->shape = in[0]->shape;
    out->fold = in[0]->shape.rank >= 2 ? id : -1;
    return NNOM_OK;
}

/* Keras' floor on the standard deviation of Normalization (backend.epsilon()). */
#define KR_NORMALIZATION_EPSILON 1e-7

/* Normalization: y = (x - mean) / max(sqrt(variance), epsilon) per channel of the last axis (or one mean and
 * variance for every value, axis=None); invert=True: y = x * max(sqrt(variance), epsilon) + mean. Folded into a
 * per-channel affine layer, as Rescaling. mean and variance come from the config when given there, else from the
 * weights an adapt() left (mean, variance, count). */
nnom_status kr_build_normalization(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const nnom_shape *is = &in[0]->shape;
    const int32_t C = kr_channels(is);
    const cJSON *axis = kr_get(kr_cfg(x), "axis");
    int scalar = 0;
    if (!axis) {
        scalar = 0; /* Keras' default, the last axis */
    } else if (cJSON_IsNull(axis) || (cJSON_IsArray(axis) && cJSON_GetArraySize(axis) == 0)) {
        scalar = 1; /* axis=None (Keras 3 writes an empty list) */
    } else {
        const cJSON *a = cJSON_IsArray(axis) && cJSON_GetArraySize(axis) == 1 ? cJSON_GetArrayItem(axis, 0) : axis;
        int32_t k = 0;
        if (!kr_json_int(a, INT32_MIN, INT32_MAX, &k) || (k != -1 && k != is->rank))
            return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "option 'axis' must be the last axis (-1 or %d) or None; "
                                 "other axes are not supported", (int)is->rank);
    }
    const int invert = kr_cfg_bool(x, "invert", 0);
    const int32_t n = scalar ? 1 : C;
    double *mean = (double *)calloc((size_t)C, sizeof *mean), *var = (double *)calloc((size_t)C, sizeof *var);
    nnom_status st = !mean || !var ? kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory") : NNOM_OK;
    const cJSON *cm = kr_get(kr_cfg(x), "mean"), *cv = kr_get(kr_cfg(x), "variance");
    const int in_config = cm && !cJSON_IsNull(cm);
    if (st == NNOM_OK && in_config) {
        if (!cv || cJSON_IsNull(cv)) st = kr_layer_fail(x, NNOM_ERR_KERAS, "the config gives a mean but no variance");
        if (st == NNOM_OK) st = kr_per_channel(x, "mean", 0.0, n, mean);
        if (st == NNOM_OK) st = kr_per_channel(x, "variance", 1.0, n, var);
    } else if (st == NNOM_OK) {
        kr_weights w;
        st = kr_read_weights(x, &w, 3, "mean, variance, count");
        if (st == NNOM_OK) {
            for (int i = 0; i < 2 && st == NNOM_OK; i++) {
                if (w.a[i].count != (size_t)n) {
                    char found[96];
                    kr_dims_text(w.a[i].dims, w.a[i].rank, found, sizeof found);
                    st = kr_layer_fail(x, NNOM_ERR_SHAPE, "weight '%s' has shape %s, expected %d value%s (%s)",
                                       w.a[i].name, found, (int)n, n == 1 ? "" : "s",
                                       scalar ? "axis=None" : "one per channel of the last axis");
                }
            }
            for (int32_t c = 0; st == NNOM_OK && c < n; c++) {
                mean[c] = w.a[0].data[c];
                var[c] = w.a[1].data[c];
            }
            kr_weights_free(&w);
        }
    }
    if (st == NNOM_OK && scalar)
        for (int32_t c = 1; c < C; c++) {
            mean[c] = mean[0];
            var[c] = var[0];
        }
    for (int32_t c = 0; st == NNOM_OK && c < C; c++) {
        if (!isfinite(mean[c]) || !isfinite(var[c]) || var[c] < 0.0) {
            st = kr_layer_fail(x, NNOM_ERR_KERAS, "channel %d has mean %g and variance %g; expected finite values and "
                               "a variance >= 0", (int)c, mean[c], var[c]);
            break;
        }
        const double sd = fmax(sqrt(var[c]), KR_NORMALIZATION_EPSILON);
        /* the affine form y = x * scale + bias, into the same arrays */
        const double scale = invert ? sd : 1.0 / sd, bias = invert ? mean[c] : -mean[c] / sd;
        mean[c] = scale;
        var[c] = bias;
    }
    int id = -1;
    if (st == NNOM_OK && (id = kr_plan_affine(x, NULL, in[0]->plan, *is, mean, var)) < 0) st = x->status;
    free(mean);
    free(var);
    if (st != NNOM_OK) return st;
    out->plan = id;
    out->shape = *is;
    out->fold = is->rank >= 2 ? id : -1;
    return NNOM_OK;
}
