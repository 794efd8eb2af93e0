/*
 * Helpers shared by the Keras class converters (keras_layers.h): config options, weight checks,
 * planning of weighted and per-channel affine layers, and InputLayer.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_layers.h"

/* ------------------------------------------------------------------ helpers */


nnom_status kr_layer_fail(kr_ctx *x, nnom_status st, const char *fmt, ...)
{
    char msg[NNOM_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nnom_converter_fail(x->c, st, "layer '%s' (class %s): %s", x->base, x->layer->cls, msg);
}

void kr_shape_text(const nnom_shape *s, char *buf, size_t cap)
{
    int64_t d[NNOM_MAX_RANK];
    for (int i = 0; i < s->rank && i < NNOM_MAX_RANK; i++) d[i] = s->dims[i];
    kr_dims_text(d, s->rank, buf, cap);
}

float *kr_alloc_floats(kr_ctx *x, size_t n)
{
    float *p = (float *)nnom_store_alloc(&x->c->store, (n ? n : 1) * sizeof(float));
    if (!p) x->status = kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory for %lu weights", (unsigned long)n);
    return p;
}


int64_t kr_count_of(const nnom_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) n *= s->dims[i];
    return n;
}

int kr_same_shape(const nnom_shape *a, const nnom_shape *b)
{
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

/* ---- config values */

/* An integer option: a number, or a list of @p n numbers (a single number is repeated). */
nnom_status kr_cfg_ints(kr_ctx *x, const char *key, int n, int32_t *out, int32_t def)
{
    const cJSON *v = kr_get(kr_cfg(x), key);
    if (!v || cJSON_IsNull(v)) {
        for (int i = 0; i < n; i++) out[i] = def;
        return NNOM_OK;
    }
    if (cJSON_IsNumber(v)) {
        int32_t k;
        if (!kr_json_int(v, INT32_MIN, INT32_MAX, &k)) goto bad;
        for (int i = 0; i < n; i++) out[i] = k;
        return NNOM_OK;
    }
    if (cJSON_IsArray(v)) {
        const int len = cJSON_GetArraySize(v);
        if (len != n && len != 1) goto bad;
        for (int i = 0; i < n; i++)
            if (!kr_json_int(cJSON_GetArrayItem(v, len == 1 ? 0 : i), INT32_MIN, INT32_MAX, &out[i])) goto bad;
        return NNOM_OK;
    }
bad:
    if (n == 1) return kr_layer_fail(x, NNOM_ERR_KERAS, "option '%s' must be an integer (or a list of one)", key);
    return kr_layer_fail(x, NNOM_ERR_KERAS, "option '%s' must be an integer or a list of %d integers", key, n);
}

int kr_cfg_bool(const kr_ctx *x, const char *key, int def)
{
    const cJSON *v = kr_get(kr_cfg(x), key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

nnom_status kr_cfg_number(kr_ctx *x, const char *key, double def, double *out)
{
    const cJSON *v = kr_get(kr_cfg(x), key);
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return NNOM_OK;
    }
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1) v = cJSON_GetArrayItem(v, 0);
    if (!cJSON_IsNumber(v)) return kr_layer_fail(x, NNOM_ERR_KERAS, "option '%s' must be a number", key);
    *out = v->valuedouble;
    return NNOM_OK;
}

const char *kr_cfg_string(const kr_ctx *x, const char *key, const char *def)
{
    return kr_get_string(kr_cfg(x), key, def);
}

nnom_status kr_check_channels_last(kr_ctx *x)
{
    const char *df = kr_cfg_string(x, "data_format", "channels_last");
    if (strcmp(df, "channels_first") == 0) {
        if (x->channels_first) return NNOM_OK; /* its inputs are HWC (keras_layout.c) */
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "data_format 'channels_first' is not supported inside %s; "
                             "supported there: channels_last", x->time_distributed ? "TimeDistributed" : "this layer");
    }
    if (strcmp(df, "channels_last") != 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "data_format '%s' is not supported; supported: channels_last, "
                             "channels_first", df);
    return NNOM_OK;
}

nnom_status kr_check_rank(kr_ctx *x, const kr_value *v, int rank, const char *what)
{
    if (v->shape.rank != rank) {
        char t[64];
        kr_shape_text(&v->shape, t, sizeof t);
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "needs an input of rank %d (%s, batch excluded), but its input has "
                             "shape %s", rank, what, t);
    }
    return NNOM_OK;
}

/* Keras' output length of a window: padding "valid" or "same". <= 0 when the window does not fit. */
int32_t kr_window_out(int32_t in, int32_t k, int32_t s, int32_t d, int same)
{
    if (same) return (in + s - 1) / s;
    const int64_t eff = (int64_t)(k - 1) * d + 1;
    return in < eff ? 0 : (int32_t)((in - eff) / s + 1);
}

/* ---- weights */

nnom_status kr_read_weights(kr_ctx *x, kr_weights *w, int n_expected, const char *names)
{
    nnom_status st = x->weight_subs ? kr_weights_read_nested(x->file, x->layer->name, x->layer->wpath,
                                                             x->weight_subs, x->n_weight_subs, w, x->c)
                                    : kr_weights_read(x->file, x->layer->name, x->layer->wpath, w, x->c);
    if (st != NNOM_OK) return st;
    if (w->n != n_expected) {
        int n = w->n;
        kr_weights_free(w);
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "expected %d weight array%s (%s) but the file holds %d", n_expected,
                             n_expected == 1 ? "" : "s", names, n);
    }
    return NNOM_OK;
}

/* Checks array @p i against the shape the config and input imply. */
nnom_status kr_check_dims(kr_ctx *x, kr_weights *w, int i, const char *what, int rank, const int64_t *dims)
{
    const kr_array *a = &w->a[i];
    int ok = a->rank == rank;
    for (int k = 0; ok && k < rank; k++) ok = a->dims[k] == dims[k];
    if (ok) return NNOM_OK;
    char found[96], want[96];
    kr_dims_text(a->dims, a->rank, found, sizeof found);
    kr_dims_text(dims, rank, want, sizeof want);
    nnom_status st = kr_layer_fail(x, NNOM_ERR_SHAPE, "weight '%s' (%s) has shape %s, but the config and the input "
                                   "shape imply %s", what, a->name, found, want);
    kr_weights_free(w);
    return st;
}

nnom_status kr_check_vector(kr_ctx *x, kr_weights *w, int i, const char *what, int64_t n)
{
    return kr_check_dims(x, w, i, what, 1, &n);
}

/* Keras (kh, kw, in, out) -> [out][kh][kw][in]. */
void kr_kernel_to_ohwi(const float *src, float *dst, int32_t kh, int32_t kw, int32_t cin, int32_t cout)
{
    for (int32_t h = 0; h < kh; h++)
        for (int32_t w = 0; w < kw; w++)
            for (int32_t i = 0; i < cin; i++)
                for (int32_t o = 0; o < cout; o++)
                    dst[(((size_t)o * kh + h) * kw + w) * cin + i] = src[(((size_t)h * kw + w) * cin + i) * cout + o];
}

/* ------------------------------------------------------------------ planning */

/* A weighted layer (conv, depthwise, dense): blobs from converter memory. */
int kr_plan_weighted(kr_ctx *x, nnom_layer_type type, const char *suffix, int input,
                         const nnom_layer_params *p, nnom_shape shape, float *w, size_t w_count, float *b,
                         int32_t n_oc, int oc_last)
{
    int id = kr_plan_add(x, type, suffix, &input, 1, p, shape);
    if (id < 0) return -1;
    kr_plan *pl = &x->plans[id];
    pl->w = w;
    pl->w_count = w_count;
    pl->b = b;
    pl->n_oc = n_oc;
    pl->oc_last = oc_last;
    pl->desc.blobs[0].data = w;
    pl->desc.blobs[0].size = (uint32_t)(w_count * sizeof(float));
    if (b) {
        pl->desc.blobs[1].data = b;
        pl->desc.blobs[1].size = (uint32_t)((size_t)n_oc * sizeof(float));
    }
    return id;
}

/* out = x * scale[c] + bias[c] per channel, as a 1x1 depthwise convolution (multiplier 1). A vector
 * input is viewed as (1, 1, C) around it. @p scale and @p bias are copied. Returns the last plan or -1. */
int kr_plan_affine(kr_ctx *x, const char *suffix, int input, nnom_shape shape, const double *scale,
                       const double *bias)
{
    const int32_t C = kr_channels(&shape);
    float *w = kr_alloc_floats(x, (size_t)C), *b = kr_alloc_floats(x, (size_t)C);
    if (!w || !b) return -1;
    for (int32_t i = 0; i < C; i++) {
        w[i] = (float)scale[i];
        b[i] = (float)bias[i];
    }
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.kernel[0] = p.kernel[1] = 1;
    p.units = 1;
    p.padding = NNOM_PADDING_VALID;
    char sfx[64];
    int cur = input;
    nnom_layer_type type = shape.rank == 2 ? NNOM_LAYER_DEPTHWISE_CONV1D : NNOM_LAYER_DEPTHWISE_CONV2D;
    if (shape.rank == 1) {
        nnom_layer_params r;
        memset(&r, 0, sizeof r);
        r.shape_rank = 3;
        r.shape[0] = r.shape[1] = 1;
        r.shape[2] = C;
        snprintf(sfx, sizeof sfx, "%s/to_hwc", suffix ? suffix : "");
        cur = kr_plan_add(x, NNOM_LAYER_RESHAPE, sfx, &cur, 1, &r, kr_shape3(1, 1, C));
        if (cur < 0) return -1;
    }
    int id = kr_plan_weighted(x, type, suffix, cur, &p, shape.rank == 1 ? kr_shape3(1, 1, C) : shape, w, (size_t)C, b,
                           C, 1);
    if (id < 0) return -1;
    if (shape.rank == 1) {
        nnom_layer_params r;
        memset(&r, 0, sizeof r);
        r.shape_rank = 1;
        r.shape[0] = C;
        snprintf(sfx, sizeof sfx, "%s/to_vector", suffix ? suffix : "");
        id = kr_plan_add(x, NNOM_LAYER_RESHAPE, sfx, &id, 1, &r, kr_shape1(C));
    }
    return id;
}

/* ------------------------------------------------------------------ input */

nnom_status kr_build_input(kr_ctx *x, kr_value *out)
{
    const kr_layer *L = x->layer;
    const cJSON *s = L->input_shape;
    if (!cJSON_IsArray(s))
        return kr_layer_fail(x, NNOM_ERR_KERAS, "the input has no shape in the config");
    const int n = cJSON_GetArraySize(s), skip = L->input_shape_has_batch ? 1 : 0;
    const int rank = n - skip;
    if (rank < 1 || rank > NNOM_MAX_RANK)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "inputs of rank %d (batch excluded) are not supported; "
                             "supported: 1 (C), 2 (W, C), 3 (H, W, C)", rank);
    nnom_shape shape;
    memset(&shape, 0, sizeof shape);
    shape.rank = rank;
    for (int i = 0; i < rank; i++) {
        const cJSON *d = cJSON_GetArrayItem(s, i + skip);
        if (cJSON_IsNull(d))
            return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "dimension %d of the input shape is None (variable); give "
                                 "keras.Input a fixed shape", i + 1);
        if (!kr_json_int(d, 1, 1 << 28, &shape.dims[i]))
            return kr_layer_fail(x, NNOM_ERR_KERAS, "dimension %d of the input shape is not a positive integer", i + 1);
    }
    int64_t count = 1;
    for (int i = 0; i < rank; i++) count *= shape.dims[i];
    if (count > (1 << 28))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "the input has %lld elements, at most 2^28 supported",
                             (long long)count);
    int id = kr_plan_add(x, NNOM_LAYER_INPUT, NULL, NULL, 0, NULL, shape);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = shape;
    out->fold = -1;
    return NNOM_OK;
}

/* ------------------------------------------------------------------ normalisation, affine */

/* The Keras axis option (an int or a one-element list) must be the channel (last) axis. */
nnom_status kr_check_last_axis(kr_ctx *x, const kr_value *in, const char *key, int32_t def)
{
    int32_t axis = def;
    const cJSON *v = kr_get(kr_cfg(x), key);
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) != 1)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "%s over several axes is not supported; supported: the last "
                             "(channel) axis", key);
    nnom_status st = kr_cfg_ints(x, key, 1, &axis, def);
    if (st != NNOM_OK) return st;
    const int32_t krank = in->shape.rank + 1; /* Keras counts the batch */
    if (axis != -1 && axis != krank - 1)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "%s=%d is not supported for an input of rank %d; supported: "
                             "the last axis (-1 or %d)", key, (int)axis, (int)krank, (int)(krank - 1));
    return NNOM_OK;
}
