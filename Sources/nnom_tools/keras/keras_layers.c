/*
 * The class table: how each Keras class becomes nnom layers of the float32
 * model. Each converter reads the layer's config (rejecting options it cannot
 * reproduce exactly, with a message naming the option and what is
 * supported), reads and checks its weights against the config and the input
 * shape, converts them to the runtime's layouts, and plans the layers.
 *
 * Weight layouts: Keras Conv2D (kh, kw, in, out) and Conv1D (k, in, out)
 * become [out][kh][kw][in]; Dense (in, out) becomes [out][in]; depthwise
 * (kh, kw, in, mult) is already the runtime's [kh][kw][in*mult].
 *
 * Tensors are channels-last without the batch dimension; a Keras axis counts
 * the batch, so Keras axis a is runtime axis a - 1.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_internal.h"

/* ------------------------------------------------------------------ helpers */

static const char *cls_of(const kr_ctx *x) { return x->layer->cls; }
static const cJSON *cfg_of(const kr_ctx *x) { return x->layer->config; }
static int is_cls(const kr_ctx *x, const char *name) { return strcmp(cls_of(x), name) == 0; }

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

static float *alloc_floats(kr_ctx *x, size_t n)
{
    float *p = (float *)nnom_store_alloc(&x->c->store, (n ? n : 1) * sizeof(float));
    if (!p) x->status = kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory for %lu weights", (unsigned long)n);
    return p;
}

static nnom_shape shape1(int32_t a) { nnom_shape s = {1, {a, 0, 0}}; return s; }
static nnom_shape shape2(int32_t a, int32_t b) { nnom_shape s = {2, {a, b, 0}}; return s; }
static nnom_shape shape3(int32_t a, int32_t b, int32_t c) { nnom_shape s = {3, {a, b, c}}; return s; }
static int32_t channels_of(const nnom_shape *s) { return s->dims[s->rank - 1]; }

static int64_t count_of(const nnom_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) n *= s->dims[i];
    return n;
}

static int same_shape(const nnom_shape *a, const nnom_shape *b)
{
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

/* ---- config values */

/* An integer option: a number, or a list of @p n numbers (a single number is repeated). */
static nnom_status get_ints(kr_ctx *x, const char *key, int n, int32_t *out, int32_t def)
{
    const cJSON *v = kr_get(cfg_of(x), key);
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

static int get_bool(const kr_ctx *x, const char *key, int def)
{
    const cJSON *v = kr_get(cfg_of(x), key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static nnom_status get_number(kr_ctx *x, const char *key, double def, double *out)
{
    const cJSON *v = kr_get(cfg_of(x), key);
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return NNOM_OK;
    }
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1) v = cJSON_GetArrayItem(v, 0);
    if (!cJSON_IsNumber(v)) return kr_layer_fail(x, NNOM_ERR_KERAS, "option '%s' must be a number", key);
    *out = v->valuedouble;
    return NNOM_OK;
}

static const char *get_string(const kr_ctx *x, const char *key, const char *def)
{
    return kr_get_string(cfg_of(x), key, def);
}

static nnom_status check_channels_last(kr_ctx *x)
{
    const char *df = get_string(x, "data_format", "channels_last");
    if (strcmp(df, "channels_last") != 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "data_format '%s' is not supported; supported: channels_last",
                             df);
    return NNOM_OK;
}

static nnom_status check_rank(kr_ctx *x, const kr_value *v, int rank, const char *what)
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
static int32_t window_out(int32_t in, int32_t k, int32_t s, int32_t d, int same)
{
    if (same) return (in + s - 1) / s;
    const int64_t eff = (int64_t)(k - 1) * d + 1;
    return in < eff ? 0 : (int32_t)((in - eff) / s + 1);
}

/* ---- weights */

static nnom_status read_weights(kr_ctx *x, kr_weights *w, int n_expected, const char *names)
{
    nnom_status st = kr_weights_read(x->file, x->layer->name, x->layer->wpath, w, x->c);
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
static nnom_status check_dims(kr_ctx *x, kr_weights *w, int i, const char *what, int rank, const int64_t *dims)
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

static nnom_status check_vector(kr_ctx *x, kr_weights *w, int i, const char *what, int64_t n)
{
    return check_dims(x, w, i, what, 1, &n);
}

/* ------------------------------------------------------------------ planning */

/* A weighted layer (conv, depthwise, dense): blobs from converter memory. */
static int plan_weighted(kr_ctx *x, nnom_layer_type type, const char *suffix, int input,
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
static int plan_affine(kr_ctx *x, const char *suffix, int input, nnom_shape shape, const double *scale,
                       const double *bias)
{
    const int32_t C = channels_of(&shape);
    float *w = alloc_floats(x, (size_t)C), *b = alloc_floats(x, (size_t)C);
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
        cur = kr_plan_add(x, NNOM_LAYER_RESHAPE, sfx, &cur, 1, &r, shape3(1, 1, C));
        if (cur < 0) return -1;
    }
    int id = plan_weighted(x, type, suffix, cur, &p, shape.rank == 1 ? shape3(1, 1, C) : shape, w, (size_t)C, b,
                           C, 1);
    if (id < 0) return -1;
    if (shape.rank == 1) {
        nnom_layer_params r;
        memset(&r, 0, sizeof r);
        r.shape_rank = 1;
        r.shape[0] = C;
        snprintf(sfx, sizeof sfx, "%s/to_vector", suffix ? suffix : "");
        id = kr_plan_add(x, NNOM_LAYER_RESHAPE, sfx, &id, 1, &r, shape1(C));
    }
    return id;
}

/* ------------------------------------------------------------------ activations */

typedef enum act_kind {
    ACT_LINEAR,
    ACT_RELU,
    ACT_RELU6,
    ACT_SIGMOID,
    ACT_TANH,
    ACT_HARD_SIGMOID,
    ACT_SOFTMAX,
    ACT_LEAKY_RELU
} act_kind;

typedef struct kr_act {
    act_kind kind;
    double pre_scale;  /* Keras 2 hard_sigmoid: clip(0.2x + 0.5) = HARD_SIGMOID(1.2x) */
    double alpha;      /* leaky_relu */
} kr_act;

#define KR_ACTIVATIONS "linear, relu, relu6, sigmoid, tanh, hard_sigmoid, softmax, leaky_relu"

static nnom_status parse_activation(kr_ctx *x, const cJSON *v, kr_act *a)
{
    a->kind = ACT_LINEAR;
    a->pre_scale = 1.0;
    a->alpha = 0.2;
    if (!v || cJSON_IsNull(v)) return NNOM_OK;
    const char *name = NULL;
    if (cJSON_IsString(v)) {
        name = v->valuestring;
    } else if (cJSON_IsObject(v)) {
        /* a serialised function: {"class_name": "function", "config": "relu", ...} */
        name = kr_get_string(v, "config", NULL);
        if (!name) name = kr_get_string(v, "class_name", NULL);
    }
    if (!name) return kr_layer_fail(x, NNOM_ERR_KERAS, "activation is neither a name nor a serialised function");
    if (strcmp(name, "linear") == 0) a->kind = ACT_LINEAR;
    else if (strcmp(name, "relu") == 0) a->kind = ACT_RELU;
    else if (strcmp(name, "relu6") == 0) a->kind = ACT_RELU6;
    else if (strcmp(name, "sigmoid") == 0) a->kind = ACT_SIGMOID;
    else if (strcmp(name, "tanh") == 0) a->kind = ACT_TANH;
    else if (strcmp(name, "softmax") == 0) a->kind = ACT_SOFTMAX;
    else if (strcmp(name, "leaky_relu") == 0) a->kind = ACT_LEAKY_RELU; /* default slope 0.2 in Keras 2 and 3 */
    else if (strcmp(name, "hard_sigmoid") == 0) {
        a->kind = ACT_HARD_SIGMOID;
        /* Keras 3: relu6(x + 3) / 6, the runtime's; Keras 2: clip(0.2x + 0.5, 0, 1) = that of 1.2x */
        if (x->g->keras_major == 2) a->pre_scale = 1.2;
    } else
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "activation '%s' is not supported; supported: " KR_ACTIVATIONS,
                             name);
    return NNOM_OK;
}

static int is_fusable_type(nnom_layer_type t)
{
    return t == NNOM_LAYER_CONV1D || t == NNOM_LAYER_CONV2D || t == NNOM_LAYER_DEPTHWISE_CONV1D ||
           t == NNOM_LAYER_DEPTHWISE_CONV2D || t == NNOM_LAYER_DENSE || t == NNOM_LAYER_ADD ||
           t == NNOM_LAYER_SUBTRACT || t == NNOM_LAYER_MULTIPLY;
}

/*
 * Applies activation @p a to the output of plan @p *cur (shape @p shape). relu and relu6 fuse into
 * the layer when it can carry them (@p fuse: 1 if nothing else reads *cur's output); the scale
 * before a Keras 2 hard_sigmoid folds into the weights of plan @p absorb (a weighted layer with a
 * linear output read by nothing else; -1 if none). Layers added are named base + @p suffix (NULL:
 * the base name itself, for Activation layers).
 */
static nnom_status apply_activation(kr_ctx *x, const kr_act *a, int *cur, nnom_shape shape, int fuse, int absorb,
                                    const char *suffix)
{
    if (a->kind == ACT_LINEAR) return NNOM_OK;
    kr_plan *pl = &x->plans[*cur];
    if (fuse && (a->kind == ACT_RELU || a->kind == ACT_RELU6) && is_fusable_type(pl->desc.type) &&
        pl->desc.params.activation == NNOM_ACT_NONE) {
        pl->desc.params.activation = a->kind == ACT_RELU ? NNOM_ACT_RELU : NNOM_ACT_RELU6;
        return NNOM_OK;
    }
    if (a->pre_scale != 1.0) {
        kr_plan *ab = absorb >= 0 ? &x->plans[absorb] : NULL;
        if (ab && ab->w && ab->desc.params.activation == NNOM_ACT_NONE) {
            for (size_t i = 0; i < ab->w_count; i++) ab->w[i] = (float)(ab->w[i] * a->pre_scale);
            if (ab->b)
                for (int32_t i = 0; i < ab->n_oc; i++) ab->b[i] = (float)(ab->b[i] * a->pre_scale);
        } else {
            const int32_t C = channels_of(&shape);
            double *s = (double *)calloc((size_t)C, sizeof *s), *z = (double *)calloc((size_t)C, sizeof *z);
            if (!s || !z) {
                free(s);
                free(z);
                return kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
            }
            for (int32_t i = 0; i < C; i++) s[i] = a->pre_scale;
            char sfx[48];
            snprintf(sfx, sizeof sfx, "%s/scale", suffix ? suffix : "");
            int id = plan_affine(x, sfx, *cur, shape, s, z);
            free(s);
            free(z);
            if (id < 0) return x->status;
            *cur = id;
        }
    }
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    nnom_layer_type t;
    switch (a->kind) {
    case ACT_RELU: t = NNOM_LAYER_RELU; break;
    case ACT_RELU6: t = NNOM_LAYER_RELU6; break;
    case ACT_SIGMOID: t = NNOM_LAYER_SIGMOID; break;
    case ACT_TANH: t = NNOM_LAYER_TANH; break;
    case ACT_HARD_SIGMOID: t = NNOM_LAYER_HARD_SIGMOID; break;
    case ACT_SOFTMAX: t = NNOM_LAYER_SOFTMAX; break;
    default:
        t = NNOM_LAYER_LEAKY_RELU;
        p.alpha = (float)a->alpha;
        break;
    }
    int id = kr_plan_add(x, t, suffix, cur, 1, &p, shape);
    if (id < 0) return x->status;
    *cur = id;
    return NNOM_OK;
}

/* The layer's inline `activation=` option applied after plan *cur; sets out->fold when linear. */
static nnom_status finish_with_activation(kr_ctx *x, int cur, nnom_shape shape, int foldable, kr_value *out)
{
    kr_act a;
    nnom_status st = parse_activation(x, kr_get(cfg_of(x), "activation"), &a);
    if (st != NNOM_OK) return st;
    st = apply_activation(x, &a, &cur, shape, 1, foldable ? cur : -1, "/act");
    if (st != NNOM_OK) return st;
    out->plan = cur;
    out->shape = shape;
    out->fold = foldable && a.kind == ACT_LINEAR ? cur : -1;
    return NNOM_OK;
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

/* ------------------------------------------------------------------ convolutions */

typedef struct conv_geom {
    int one_d;
    int32_t k[2], s[2], d[2];
    int same, causal;
    int32_t out_h, out_w;
} conv_geom;

/* kernel_size, strides, dilation_rate, padding of a (depthwise/separable) convolution. */
static nnom_status conv_geometry(kr_ctx *x, const kr_value *in, int one_d, conv_geom *g)
{
    memset(g, 0, sizeof *g);
    g->one_d = one_d;
    nnom_status st = check_channels_last(x);
    if (st != NNOM_OK) return st;
    st = check_rank(x, in, one_d ? 2 : 3, one_d ? "steps, channels" : "height, width, channels");
    if (st != NNOM_OK) return st;
    const int n = one_d ? 1 : 2;
    int32_t k[2] = {1, 1}, s[2] = {1, 1}, d[2] = {1, 1};
    if ((st = get_ints(x, "kernel_size", n, k + (2 - n), 1)) != NNOM_OK) return st;
    if ((st = get_ints(x, "strides", n, s + (2 - n), 1)) != NNOM_OK) return st;
    if ((st = get_ints(x, "dilation_rate", n, d + (2 - n), 1)) != NNOM_OK) return st;
    for (int i = 0; i < 2; i++)
        if (k[i] < 1 || s[i] < 1 || d[i] < 1 || k[i] > 65535 || s[i] > 65535 || d[i] > 65535)
            return kr_layer_fail(x, NNOM_ERR_KERAS, "kernel_size, strides and dilation_rate must be 1 to 65535");
    int32_t groups = 1;
    if ((st = get_ints(x, "groups", 1, &groups, 1)) != NNOM_OK) return st;
    if (groups != 1)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "groups=%d is not supported; supported: groups=1", (int)groups);
    const char *pad = get_string(x, "padding", "valid");
    if (strcmp(pad, "same") == 0) g->same = 1;
    else if (strcmp(pad, "causal") == 0 && one_d) g->causal = 1;
    else if (strcmp(pad, "valid") != 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "padding '%s' is not supported; supported: valid, same%s", pad,
                             one_d ? ", causal" : "");
    memcpy(g->k, k, sizeof k);
    memcpy(g->s, s, sizeof s);
    memcpy(g->d, d, sizeof d);
    const nnom_shape *is = &in->shape;
    const int32_t in_h = one_d ? 1 : is->dims[0], in_w = one_d ? is->dims[0] : is->dims[1];
    const int64_t pad_w = g->causal ? (int64_t)(k[1] - 1) * d[1] : 0;
    if (pad_w > (1 << 20)) return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "the causal padding is too long");
    g->out_h = window_out(in_h, k[0], s[0], d[0], g->same);
    g->out_w = window_out(in_w + (int32_t)pad_w, k[1], s[1], d[1], g->same);
    if (g->out_h <= 0 || g->out_w <= 0) {
        char t[64];
        kr_shape_text(is, t, sizeof t);
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "kernel %dx%d (dilation %dx%d) does not fit the input %s with "
                             "padding 'valid'", (int)k[0], (int)k[1], (int)d[0], (int)d[1], t);
    }
    return NNOM_OK;
}

static nnom_layer_params conv_params(const conv_geom *g)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < 2; i++) {
        p.kernel[i] = g->k[i];
        p.stride[i] = g->s[i];
        p.dilation[i] = g->d[i];
    }
    p.padding = g->same ? NNOM_PADDING_SAME : NNOM_PADDING_VALID;
    return p;
}

static nnom_shape conv_out_shape(const conv_geom *g, int32_t channels)
{
    return g->one_d ? shape2(g->out_w, channels) : shape3(g->out_h, g->out_w, channels);
}

/* Causal padding: (k - 1) * dilation zeros before the sequence, then a valid convolution. */
static int plan_causal_pad(kr_ctx *x, const conv_geom *g, const kr_value *in)
{
    if (!g->causal) return in->plan;
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.pad[2] = (g->k[1] - 1) * g->d[1];
    return kr_plan_add(x, NNOM_LAYER_ZERO_PADDING1D, "/causal_pad", &in->plan, 1, &p,
                       shape2(in->shape.dims[0] + p.pad[2], in->shape.dims[1]));
}

/* Keras (kh, kw, in, out) -> [out][kh][kw][in]. */
static void conv_kernel_to_ohwi(const float *src, float *dst, int32_t kh, int32_t kw, int32_t cin, int32_t cout)
{
    for (int32_t h = 0; h < kh; h++)
        for (int32_t w = 0; w < kw; w++)
            for (int32_t i = 0; i < cin; i++)
                for (int32_t o = 0; o < cout; o++)
                    dst[(((size_t)o * kh + h) * kw + w) * cin + i] = src[(((size_t)h * kw + w) * cin + i) * cout + o];
}

static nnom_status build_conv(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int one_d = is_cls(x, "Conv1D") || is_cls(x, "Convolution1D");
    conv_geom g;
    nnom_status st = conv_geometry(x, in[0], one_d, &g);
    if (st != NNOM_OK) return st;
    int32_t filters = 0;
    if ((st = get_ints(x, "filters", 1, &filters, 0)) != NNOM_OK) return st;
    if (filters < 1) return kr_layer_fail(x, NNOM_ERR_KERAS, "filters must be at least 1");
    const int use_bias = get_bool(x, "use_bias", 1);
    const int32_t cin = channels_of(&in[0]->shape);
    kr_weights w;
    if ((st = read_weights(x, &w, use_bias ? 2 : 1, use_bias ? "kernel, bias" : "kernel")) != NNOM_OK) return st;
    const int64_t kd2[4] = {g.k[0], g.k[1], cin, filters}, kd1[3] = {g.k[1], cin, filters};
    if ((st = check_dims(x, &w, 0, "kernel", one_d ? 3 : 4, one_d ? kd1 : kd2)) != NNOM_OK) return st;
    if (use_bias && (st = check_vector(x, &w, 1, "bias", filters)) != NNOM_OK) return st;
    const size_t wn = (size_t)g.k[0] * g.k[1] * cin * filters;
    float *wt = alloc_floats(x, wn), *b = use_bias ? alloc_floats(x, (size_t)filters) : NULL;
    if (!wt || (use_bias && !b)) {
        kr_weights_free(&w);
        return x->status;
    }
    conv_kernel_to_ohwi(w.a[0].data, wt, g.k[0], g.k[1], cin, filters);
    if (use_bias) memcpy(b, w.a[1].data, (size_t)filters * sizeof(float));
    kr_weights_free(&w);
    int src = plan_causal_pad(x, &g, in[0]);
    if (src < 0) return x->status;
    nnom_layer_params p = conv_params(&g);
    p.units = filters;
    const nnom_shape os = conv_out_shape(&g, filters);
    int id = plan_weighted(x, one_d ? NNOM_LAYER_CONV1D : NNOM_LAYER_CONV2D, NULL, src, &p, os, wt, wn, b, filters, 0);
    if (id < 0) return x->status;
    return finish_with_activation(x, id, os, 1, out);
}

static nnom_status build_depthwise(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int one_d = is_cls(x, "DepthwiseConv1D");
    conv_geom g;
    nnom_status st = conv_geometry(x, in[0], one_d, &g);
    if (st != NNOM_OK) return st;
    int32_t mult = 1;
    if ((st = get_ints(x, "depth_multiplier", 1, &mult, 1)) != NNOM_OK) return st;
    if (mult < 1 || (int64_t)mult * channels_of(&in[0]->shape) > (1 << 28))
        return kr_layer_fail(x, NNOM_ERR_KERAS, "depth_multiplier must be at least 1 (and not absurdly large)");
    const int use_bias = get_bool(x, "use_bias", 1);
    const int32_t cin = channels_of(&in[0]->shape), cout = cin * mult;
    kr_weights w;
    if ((st = read_weights(x, &w, use_bias ? 2 : 1, use_bias ? "kernel, bias" : "kernel")) != NNOM_OK) return st;
    const int64_t kd2[4] = {g.k[0], g.k[1], cin, mult}, kd1[3] = {g.k[1], cin, mult};
    if ((st = check_dims(x, &w, 0, "depthwise kernel", one_d ? 3 : 4, one_d ? kd1 : kd2)) != NNOM_OK) return st;
    if (use_bias && (st = check_vector(x, &w, 1, "bias", cout)) != NNOM_OK) return st;
    /* (kh, kw, in, mult) is already [kh][kw][in*mult] with channel in*mult + m */
    const size_t wn = (size_t)g.k[0] * g.k[1] * cout;
    float *wt = alloc_floats(x, wn), *b = use_bias ? alloc_floats(x, (size_t)cout) : NULL;
    if (!wt || (use_bias && !b)) {
        kr_weights_free(&w);
        return x->status;
    }
    memcpy(wt, w.a[0].data, wn * sizeof(float));
    if (use_bias) memcpy(b, w.a[1].data, (size_t)cout * sizeof(float));
    kr_weights_free(&w);
    int src = plan_causal_pad(x, &g, in[0]);
    if (src < 0) return x->status;
    nnom_layer_params p = conv_params(&g);
    p.units = mult;
    const nnom_shape os = conv_out_shape(&g, cout);
    int id = plan_weighted(x, one_d ? NNOM_LAYER_DEPTHWISE_CONV1D : NNOM_LAYER_DEPTHWISE_CONV2D, NULL, src, &p, os,
                           wt, wn, b, cout, 1);
    if (id < 0) return x->status;
    return finish_with_activation(x, id, os, 1, out);
}

/* SeparableConv: a depthwise convolution without bias, then a 1x1 convolution with the bias and activation. */
static nnom_status build_separable(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int one_d = is_cls(x, "SeparableConv1D") || is_cls(x, "SeparableConvolution1D");
    conv_geom g;
    nnom_status st = conv_geometry(x, in[0], one_d, &g);
    if (st != NNOM_OK) return st;
    int32_t mult = 1, filters = 0;
    if ((st = get_ints(x, "depth_multiplier", 1, &mult, 1)) != NNOM_OK) return st;
    if ((st = get_ints(x, "filters", 1, &filters, 0)) != NNOM_OK) return st;
    if (mult < 1 || filters < 1 || (int64_t)mult * channels_of(&in[0]->shape) > (1 << 28))
        return kr_layer_fail(x, NNOM_ERR_KERAS, "filters and depth_multiplier must be at least 1 (and not absurdly "
                             "large)");
    const int use_bias = get_bool(x, "use_bias", 1);
    const int32_t cin = channels_of(&in[0]->shape), cmid = cin * mult;
    kr_weights w;
    const char *names = use_bias ? "depthwise kernel, pointwise kernel, bias" : "depthwise kernel, pointwise kernel";
    if ((st = read_weights(x, &w, use_bias ? 3 : 2, names)) != NNOM_OK) return st;
    const int64_t dk2[4] = {g.k[0], g.k[1], cin, mult}, dk1[3] = {g.k[1], cin, mult};
    const int64_t pk2[4] = {1, 1, cmid, filters}, pk1[3] = {1, cmid, filters};
    if ((st = check_dims(x, &w, 0, "depthwise_kernel", one_d ? 3 : 4, one_d ? dk1 : dk2)) != NNOM_OK) return st;
    if ((st = check_dims(x, &w, 1, "pointwise_kernel", one_d ? 3 : 4, one_d ? pk1 : pk2)) != NNOM_OK) return st;
    if (use_bias && (st = check_vector(x, &w, 2, "bias", filters)) != NNOM_OK) return st;
    const size_t dn = (size_t)g.k[0] * g.k[1] * cmid, pn = (size_t)cmid * filters;
    float *dw = alloc_floats(x, dn), *pw = alloc_floats(x, pn), *b = use_bias ? alloc_floats(x, (size_t)filters) : NULL;
    if (!dw || !pw || (use_bias && !b)) {
        kr_weights_free(&w);
        return x->status;
    }
    memcpy(dw, w.a[0].data, dn * sizeof(float));
    conv_kernel_to_ohwi(w.a[1].data, pw, 1, 1, cmid, filters);
    if (use_bias) memcpy(b, w.a[2].data, (size_t)filters * sizeof(float));
    kr_weights_free(&w);
    int src = plan_causal_pad(x, &g, in[0]);
    if (src < 0) return x->status;
    nnom_layer_params p = conv_params(&g);
    p.units = mult;
    const nnom_shape ms = conv_out_shape(&g, cmid), os = conv_out_shape(&g, filters);
    int id = plan_weighted(x, one_d ? NNOM_LAYER_DEPTHWISE_CONV1D : NNOM_LAYER_DEPTHWISE_CONV2D, "/depthwise", src,
                           &p, ms, dw, dn, NULL, cmid, 1);
    if (id < 0) return x->status;
    nnom_layer_params q;
    memset(&q, 0, sizeof q);
    q.kernel[0] = q.kernel[1] = 1;
    q.units = filters;
    id = plan_weighted(x, one_d ? NNOM_LAYER_CONV1D : NNOM_LAYER_CONV2D, NULL, id, &q, os, pw, pn, b, filters, 0);
    if (id < 0) return x->status;
    return finish_with_activation(x, id, os, 1, out);
}

/* Dense: on a vector, DENSE; on a sequence or image Keras applies it to the last axis: a 1x1 convolution. */
static nnom_status build_dense(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    int32_t units = 0;
    nnom_status st = get_ints(x, "units", 1, &units, 0);
    if (st != NNOM_OK) return st;
    if (units < 1) return kr_layer_fail(x, NNOM_ERR_KERAS, "units must be at least 1");
    if (kr_get(cfg_of(x), "lora_rank") && cJSON_IsNumber(kr_get(cfg_of(x), "lora_rank")) &&
        kr_get(cfg_of(x), "lora_rank")->valuedouble > 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "LoRA (lora_rank) is not supported; merge it into the kernel");
    const int use_bias = get_bool(x, "use_bias", 1);
    const nnom_shape *is = &in[0]->shape;
    const int32_t cin = channels_of(is);
    kr_weights w;
    if ((st = read_weights(x, &w, use_bias ? 2 : 1, use_bias ? "kernel, bias" : "kernel")) != NNOM_OK) return st;
    const int64_t kd[2] = {cin, units};
    if ((st = check_dims(x, &w, 0, "kernel", 2, kd)) != NNOM_OK) return st;
    if (use_bias && (st = check_vector(x, &w, 1, "bias", units)) != NNOM_OK) return st;
    const size_t wn = (size_t)cin * units;
    float *wt = alloc_floats(x, wn), *b = use_bias ? alloc_floats(x, (size_t)units) : NULL;
    if (!wt || (use_bias && !b)) {
        kr_weights_free(&w);
        return x->status;
    }
    conv_kernel_to_ohwi(w.a[0].data, wt, 1, 1, cin, units);
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
    int id = plan_weighted(x, t, NULL, in[0]->plan, &p, os, wt, wn, b, units, 0);
    if (id < 0) return x->status;
    return finish_with_activation(x, id, os, 1, out);
}

/* ------------------------------------------------------------------ normalisation, affine */

/* The Keras axis option (an int or a one-element list) must be the channel (last) axis. */
static nnom_status check_last_axis(kr_ctx *x, const kr_value *in, const char *key, int32_t def)
{
    int32_t axis = def;
    const cJSON *v = kr_get(cfg_of(x), key);
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) != 1)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "%s over several axes is not supported; supported: the last "
                             "(channel) axis", key);
    nnom_status st = get_ints(x, key, 1, &axis, def);
    if (st != NNOM_OK) return st;
    const int32_t krank = in->shape.rank + 1; /* Keras counts the batch */
    if (axis != -1 && axis != krank - 1)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "%s=%d is not supported for an input of rank %d; supported: "
                             "the last axis (-1 or %d)", key, (int)axis, (int)krank, (int)(krank - 1));
    return NNOM_OK;
}

static nnom_status build_batchnorm(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    nnom_status st = check_last_axis(x, in[0], "axis", -1);
    if (st != NNOM_OK) return st;
    if (get_bool(x, "renorm", 0)) return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "renorm=True is not supported");
    double eps;
    if ((st = get_number(x, "epsilon", 1e-3, &eps)) != NNOM_OK) return st;
    const int scale = get_bool(x, "scale", 1), center = get_bool(x, "center", 1);
    const int n = scale + center + 2;
    char names[96];
    snprintf(names, sizeof names, "%s%smoving_mean, moving_variance", scale ? "gamma, " : "", center ? "beta, " : "");
    kr_weights w;
    if ((st = read_weights(x, &w, n, names)) != NNOM_OK) return st;
    const int32_t C = channels_of(&in[0]->shape);
    static const char *const labels[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    int idx[4], k = 0; /* array index of gamma, beta, mean, variance or -1 */
    idx[0] = scale ? k++ : -1;
    idx[1] = center ? k++ : -1;
    idx[2] = k++;
    idx[3] = k++;
    for (int i = 0; i < 4; i++)
        if (idx[i] >= 0 && (st = check_vector(x, &w, idx[i], labels[i], C)) != NNOM_OK) return st;
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
                pl->b = alloc_floats(x, (size_t)C);
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
    int id = plan_affine(x, NULL, in[0]->plan, in[0]->shape, s, t);
    free(s);
    free(t);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = in[0]->shape;
    out->fold = in[0]->shape.rank >= 2 ? id : -1; /* the depthwise itself: a ReLU after it may fuse */
    return NNOM_OK;
}

/* A number or a list of numbers (one, or one per channel) into @p out[C]. */
static nnom_status per_channel(kr_ctx *x, const char *key, double def, int32_t C, double *out)
{
    const cJSON *v = kr_get(cfg_of(x), key);
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

static nnom_status build_rescaling(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int32_t C = channels_of(&in[0]->shape);
    double *s = (double *)calloc((size_t)C, sizeof *s), *t = (double *)calloc((size_t)C, sizeof *t);
    nnom_status st = !s || !t ? kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory") : NNOM_OK;
    if (st == NNOM_OK) st = per_channel(x, "scale", 1.0, C, s);
    if (st == NNOM_OK) st = per_channel(x, "offset", 0.0, C, t);
    int id = -1;
    if (st == NNOM_OK) {
        id = plan_affine(x, NULL, in[0]->plan, in[0]->shape, s, t);
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

/* ------------------------------------------------------------------ pooling */

static nnom_status build_pool(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const char *cls = cls_of(x);
    const int one_d = strstr(cls, "1D") != NULL;
    const int is_max = strncmp(cls, "Max", 3) == 0;
    nnom_status st = check_channels_last(x);
    if (st != NNOM_OK) return st;
    if ((st = check_rank(x, in[0], one_d ? 2 : 3, one_d ? "steps, channels" : "height, width, channels")) != NNOM_OK)
        return st;
    const int n = one_d ? 1 : 2;
    int32_t k[2] = {1, 1}, s[2] = {1, 1};
    if ((st = get_ints(x, "pool_size", n, k + (2 - n), 2)) != NNOM_OK) return st;
    const cJSON *sv = kr_get(cfg_of(x), "strides");
    if (!sv || cJSON_IsNull(sv)) {
        s[0] = k[0];
        s[1] = k[1];
    } else if ((st = get_ints(x, "strides", n, s + (2 - n), 1)) != NNOM_OK) {
        return st;
    }
    for (int i = 0; i < 2; i++)
        if (k[i] < 1 || s[i] < 1 || k[i] > 65535 || s[i] > 65535)
            return kr_layer_fail(x, NNOM_ERR_KERAS, "pool_size and strides must be 1 to 65535");
    const char *pad = get_string(x, "padding", "valid");
    const int same = strcmp(pad, "same") == 0;
    if (!same && strcmp(pad, "valid") != 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "padding '%s' is not supported; supported: valid, same", pad);
    const nnom_shape *is = &in[0]->shape;
    const int32_t in_h = one_d ? 1 : is->dims[0], in_w = one_d ? is->dims[0] : is->dims[1];
    const int32_t oh = window_out(in_h, k[0], s[0], 1, same), ow = window_out(in_w, k[1], s[1], 1, same);
    if (oh <= 0 || ow <= 0) return kr_layer_fail(x, NNOM_ERR_SHAPE, "pool_size does not fit the input");
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.kernel[0] = k[0];
    p.kernel[1] = k[1];
    p.stride[0] = s[0];
    p.stride[1] = s[1];
    p.padding = same ? NNOM_PADDING_SAME : NNOM_PADDING_VALID;
    const int32_t C = channels_of(is);
    const nnom_shape os = one_d ? shape2(ow, C) : shape3(oh, ow, C);
    nnom_layer_type t = is_max ? (one_d ? NNOM_LAYER_MAX_POOL1D : NNOM_LAYER_MAX_POOL2D)
                               : (one_d ? NNOM_LAYER_AVG_POOL1D : NNOM_LAYER_AVG_POOL2D);
    int id = kr_plan_add(x, t, NULL, &in[0]->plan, 1, &p, os);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = os;
    return NNOM_OK;
}

static nnom_status build_global_pool(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const char *cls = cls_of(x);
    const int one_d = strstr(cls, "1D") != NULL;
    const int is_max = strncmp(cls, "GlobalMax", 9) == 0;
    nnom_status st = check_channels_last(x);
    if (st != NNOM_OK) return st;
    if ((st = check_rank(x, in[0], one_d ? 2 : 3, one_d ? "steps, channels" : "height, width, channels")) != NNOM_OK)
        return st;
    const int32_t C = channels_of(&in[0]->shape);
    const int keepdims = get_bool(x, "keepdims", 0);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    int id = kr_plan_add(x, is_max ? NNOM_LAYER_GLOBAL_MAX_POOL : NNOM_LAYER_GLOBAL_AVG_POOL, keepdims ? "/pool" : NULL,
                         &in[0]->plan, 1, &p, shape1(C));
    if (id < 0) return x->status;
    nnom_shape os = shape1(C);
    if (keepdims) {
        os = one_d ? shape2(1, C) : shape3(1, 1, C);
        p.shape_rank = os.rank;
        for (int i = 0; i < os.rank; i++) p.shape[i] = os.dims[i];
        id = kr_plan_add(x, NNOM_LAYER_RESHAPE, NULL, &id, 1, &p, os);
        if (id < 0) return x->status;
    }
    out->plan = id;
    out->shape = os;
    return NNOM_OK;
}

/* ------------------------------------------------------------------ merging */

/* 1 if @p v is a per-channel vector for @p full: all ones but a last dimension equal to full's. */
static int is_channel_vector(const nnom_shape *v, const nnom_shape *full)
{
    if (v->rank > full->rank || channels_of(v) != channels_of(full) || same_shape(v, full)) return 0;
    for (int i = 0; i + 1 < v->rank; i++)
        if (v->dims[i] != 1) return 0;
    return 1;
}

static nnom_status build_merge(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    const char *cls = cls_of(x);
    const int is_mul = strcmp(cls, "Multiply") == 0;
    const nnom_layer_type t = is_mul ? NNOM_LAYER_MULTIPLY
                                     : (strcmp(cls, "Subtract") == 0 ? NNOM_LAYER_SUBTRACT : NNOM_LAYER_ADD);
    if (t == NNOM_LAYER_SUBTRACT && n_in != 2)
        return kr_layer_fail(x, NNOM_ERR_KERAS, "takes exactly 2 inputs, %d given", n_in);
    /* the running result: the first full-shaped input (Subtract keeps its order: the runtime
     * broadcasts only its second input) */
    int first = 0;
    if (t != NNOM_LAYER_SUBTRACT)
        for (int i = 0; i < n_in; i++)
            if (in[i]->shape.rank > in[first]->shape.rank ||
                count_of(&in[i]->shape) > count_of(&in[first]->shape))
                first = i;
    int cur = in[first]->plan;
    const nnom_shape full = in[first]->shape;
    int step = 0;
    const int steps = n_in - 1;
    for (int i = 0; i < n_in; i++) {
        if (i == first) continue;
        int other = in[i]->plan;
        if (!same_shape(&in[i]->shape, &full)) {
            char a[64], b[64];
            kr_shape_text(&full, a, sizeof a);
            kr_shape_text(&in[i]->shape, b, sizeof b);
            if (!is_channel_vector(&in[i]->shape, &full))
                return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED,
                                     "inputs of shapes %s and %s: supported are equal shapes or a per-channel "
                                     "vector (1, ..., C)%s", a, b,
                                     t == NNOM_LAYER_SUBTRACT ? " as the second input" : "");
            if (in[i]->shape.rank > 1) {
                nnom_layer_params r;
                memset(&r, 0, sizeof r);
                r.shape_rank = 1;
                r.shape[0] = channels_of(&full);
                char sfx[32];
                snprintf(sfx, sizeof sfx, "/vector%d", i);
                other = kr_plan_add(x, NNOM_LAYER_RESHAPE, sfx, &other, 1, &r, shape1(channels_of(&full)));
                if (other < 0) return x->status;
            }
        }
        int ins[2] = {cur, other};
        nnom_layer_params p;
        memset(&p, 0, sizeof p);
        step++;
        char sfx[32];
        snprintf(sfx, sizeof sfx, "/%d", step);
        cur = kr_plan_add(x, t, step == steps ? NULL : sfx, ins, 2, &p, full);
        if (cur < 0) return x->status;
    }
    out->plan = cur;
    out->shape = full;
    out->fold = cur; /* a ReLU after it may fuse (add, subtract and multiply carry relu/relu6) */
    return NNOM_OK;
}

static nnom_status build_concatenate(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    int32_t axis = -1;
    nnom_status st = get_ints(x, "axis", 1, &axis, -1);
    if (st != NNOM_OK) return st;
    const int32_t rank = in[0]->shape.rank, krank = rank + 1;
    const int32_t ka = axis < 0 ? axis + krank : axis;
    if (ka < 1 || ka >= krank)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "axis=%d is not supported for inputs of rank %d (with batch); "
                             "supported: 1 to %d or -1 to -%d", (int)axis, (int)krank, (int)(krank - 1),
                             (int)(krank - 1));
    const int32_t ax = ka - 1;
    nnom_shape os = in[0]->shape;
    int64_t total = 0;
    for (int i = 0; i < n_in; i++) {
        const nnom_shape *s = &in[i]->shape;
        int ok = s->rank == rank;
        for (int k = 0; ok && k < rank; k++)
            if (k != ax && s->dims[k] != os.dims[k]) ok = 0;
        if (!ok) {
            char a[64], b[64];
            kr_shape_text(&in[0]->shape, a, sizeof a);
            kr_shape_text(s, b, sizeof b);
            return kr_layer_fail(x, NNOM_ERR_SHAPE, "input %d has shape %s, which does not match input 0 %s except "
                                 "on axis %d", i, b, a, (int)axis);
        }
        total += s->dims[ax];
    }
    if (total > (1 << 28)) return kr_layer_fail(x, NNOM_ERR_SHAPE, "the concatenation is too large");
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.axis = ax;
    /* more inputs than one layer takes: concatenate in parts, each part's result leading the next */
    int cur = -1, done = 0, part = 0;
    int64_t acc = 0;
    while (done < n_in) {
        int ins[NNOM_MAX_INPUTS], k = 0;
        if (cur >= 0) ins[k++] = cur;
        while (k < NNOM_MAX_INPUTS && done < n_in) {
            acc += in[done]->shape.dims[ax];
            ins[k++] = in[done++]->plan;
        }
        nnom_shape ps = os;
        ps.dims[ax] = (int32_t)acc;
        char sfx[32];
        snprintf(sfx, sizeof sfx, "/part%d", ++part);
        cur = kr_plan_add(x, NNOM_LAYER_CONCATENATE, done == n_in ? NULL : sfx, ins, k, &p, ps);
        if (cur < 0) return x->status;
    }
    os.dims[ax] = (int32_t)total;
    out->plan = cur;
    out->shape = os;
    return NNOM_OK;
}

/* ------------------------------------------------------------------ shape layers */

static nnom_status build_flatten(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    nnom_status st = check_channels_last(x);
    if (st != NNOM_OK) return st;
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    const int64_t count = count_of(&in[0]->shape); /* every planned shape holds at most 2^28 elements */
    int id = kr_plan_add(x, NNOM_LAYER_FLATTEN, NULL, &in[0]->plan, 1, &p, shape1((int32_t)count));
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = shape1((int32_t)count);
    return NNOM_OK;
}

static nnom_status build_reshape(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const cJSON *t = kr_get(cfg_of(x), "target_shape");
    const int n = cJSON_IsArray(t) ? cJSON_GetArraySize(t) : -1;
    if (n < 1 || n > NNOM_MAX_RANK)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "target_shape must have 1 to %d dimensions (batch excluded)",
                             NNOM_MAX_RANK);
    const int64_t count = count_of(&in[0]->shape);
    nnom_shape os;
    memset(&os, 0, sizeof os);
    os.rank = n;
    int unknown = -1;
    int64_t known = 1;
    for (int i = 0; i < n; i++) {
        const cJSON *d = cJSON_GetArrayItem(t, i);
        int32_t dim = 0;
        if (kr_json_int(d, -1, -1, &dim) && unknown < 0) {
            unknown = i;
            continue;
        }
        if (!kr_json_int(d, 1, 1 << 28, &os.dims[i]))
            return kr_layer_fail(x, NNOM_ERR_KERAS, "target_shape entry %d is not a positive integer (or one -1)", i);
        known *= os.dims[i];
        if (known > (1 << 28)) return kr_layer_fail(x, NNOM_ERR_SHAPE, "target_shape is too large");
    }
    if (unknown >= 0) {
        if (known == 0 || count % known != 0)
            return kr_layer_fail(x, NNOM_ERR_SHAPE, "cannot infer the -1 of target_shape from %d elements", (int)count);
        os.dims[unknown] = (int32_t)(count / known);
        known *= os.dims[unknown];
    }
    if (known != count) {
        char a[64], b[64];
        kr_shape_text(&in[0]->shape, a, sizeof a);
        kr_shape_text(&os, b, sizeof b);
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "cannot reshape %s into %s", a, b);
    }
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.shape_rank = os.rank;
    for (int i = 0; i < os.rank; i++) p.shape[i] = os.dims[i];
    int id = kr_plan_add(x, NNOM_LAYER_RESHAPE, NULL, &in[0]->plan, 1, &p, os);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = os;
    return NNOM_OK;
}

/* A padding/cropping option: int, (a, b) or ((top, bottom), (left, right)) for 2D; int or (l, r) for 1D.
 * Fills pad = {top, bottom, left, right}. */
static nnom_status get_pad4(kr_ctx *x, const char *key, int one_d, int32_t pad[4])
{
    const cJSON *v = kr_get(cfg_of(x), key);
    const int32_t lim = 1 << 20;
    memset(pad, 0, 4 * sizeof *pad);
    if (!v || cJSON_IsNull(v) || cJSON_IsNumber(v)) {
        int32_t all = 1;
        if (v && !cJSON_IsNull(v) && !kr_json_int(v, 0, lim, &all)) goto bad;
        if (!one_d) pad[0] = pad[1] = all;
        pad[2] = pad[3] = all;
        return NNOM_OK;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2) goto bad;
    if (one_d) {
        if (!kr_json_int(cJSON_GetArrayItem(v, 0), 0, lim, &pad[2]) ||
            !kr_json_int(cJSON_GetArrayItem(v, 1), 0, lim, &pad[3]))
            goto bad;
        return NNOM_OK;
    }
    for (int i = 0; i < 2; i++) {
        const cJSON *e = cJSON_GetArrayItem(v, i);
        if (cJSON_IsNumber(e)) {
            if (!kr_json_int(e, 0, lim, &pad[2 * i])) goto bad;
            pad[2 * i + 1] = pad[2 * i];
        } else if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 ||
                   !kr_json_int(cJSON_GetArrayItem(e, 0), 0, lim, &pad[2 * i]) ||
                   !kr_json_int(cJSON_GetArrayItem(e, 1), 0, lim, &pad[2 * i + 1])) {
            goto bad;
        }
    }
    return NNOM_OK;
bad:
    return kr_layer_fail(x, NNOM_ERR_KERAS, "option '%s' must be an integer, a pair, or a pair of pairs, from 0 to "
                         "2^20", key);
}

static nnom_status build_pad_crop(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int one_d = strstr(cls_of(x), "1D") != NULL, crop = strncmp(cls_of(x), "Cropping", 8) == 0;
    nnom_status st = check_channels_last(x);
    if (st != NNOM_OK) return st;
    if ((st = check_rank(x, in[0], one_d ? 2 : 3, one_d ? "steps, channels" : "height, width, channels")) != NNOM_OK)
        return st;
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    if ((st = get_pad4(x, crop ? "cropping" : "padding", one_d, p.pad)) != NNOM_OK) return st;
    const nnom_shape *is = &in[0]->shape;
    const int sign = crop ? -1 : 1;
    nnom_shape os;
    if (one_d) {
        os = shape2(is->dims[0] + sign * (p.pad[2] + p.pad[3]), is->dims[1]);
    } else {
        os = shape3(is->dims[0] + sign * (p.pad[0] + p.pad[1]), is->dims[1] + sign * (p.pad[2] + p.pad[3]),
                    is->dims[2]);
    }
    for (int i = 0; i < os.rank; i++)
        if (os.dims[i] < 1) return kr_layer_fail(x, NNOM_ERR_SHAPE, "cropping removes the whole input");
    nnom_layer_type t = crop ? (one_d ? NNOM_LAYER_CROPPING1D : NNOM_LAYER_CROPPING2D)
                             : (one_d ? NNOM_LAYER_ZERO_PADDING1D : NNOM_LAYER_ZERO_PADDING2D);
    int id = kr_plan_add(x, t, NULL, &in[0]->plan, 1, &p, os);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = os;
    return NNOM_OK;
}

static nnom_status build_upsampling(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int one_d = is_cls(x, "UpSampling1D");
    nnom_status st = check_channels_last(x);
    if (st != NNOM_OK) return st;
    if ((st = check_rank(x, in[0], one_d ? 2 : 3, one_d ? "steps, channels" : "height, width, channels")) != NNOM_OK)
        return st;
    const char *interp = get_string(x, "interpolation", "nearest");
    if (strcmp(interp, "nearest") != 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "interpolation '%s' is not supported; supported: nearest",
                             interp);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.size[0] = p.size[1] = 1;
    if ((st = get_ints(x, "size", one_d ? 1 : 2, p.size + (one_d ? 1 : 0), 2)) != NNOM_OK) return st;
    if (p.size[0] < 1 || p.size[1] < 1 || p.size[0] > 4096 || p.size[1] > 4096)
        return kr_layer_fail(x, NNOM_ERR_KERAS, "size must be at least 1");
    const nnom_shape *is = &in[0]->shape;
    const int64_t uh = one_d ? 1 : (int64_t)is->dims[0] * p.size[0];
    const int64_t uw = (int64_t)is->dims[one_d ? 0 : 1] * p.size[1];
    if (uh * uw * channels_of(is) > (1 << 28))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "the upsampled output is larger than 2^28 elements");
    const nnom_shape os = one_d ? shape2((int32_t)uw, is->dims[1])
                                : shape3((int32_t)uh, (int32_t)uw, is->dims[2]);
    int id = kr_plan_add(x, one_d ? NNOM_LAYER_UPSAMPLING1D : NNOM_LAYER_UPSAMPLING2D, NULL, &in[0]->plan, 1, &p, os);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = os;
    return NNOM_OK;
}

/* ------------------------------------------------------------------ activation layers */

/* An activation layer: relu and relu6 fuse into a weighted layer whose linear output only it reads
 * (Conv -> BatchNormalization -> ReLU becomes one convolution). */
static nnom_status plan_act_layer(kr_ctx *x, const kr_value *in, const kr_act *a, kr_value *out)
{
    int cur = in->plan;
    const int owned = in->fold >= 0 && in->fold == in->plan;
    nnom_status st = apply_activation(x, a, &cur, in->shape, owned, owned ? in->fold : -1, NULL);
    if (st != NNOM_OK) return st;
    out->plan = cur;
    out->shape = in->shape;
    out->fold = a->kind == ACT_LINEAR ? in->fold : -1;
    return NNOM_OK;
}

static nnom_status build_activation(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    kr_act a;
    nnom_status st = parse_activation(x, kr_get(cfg_of(x), "activation"), &a);
    if (st != NNOM_OK) return st;
    return plan_act_layer(x, in[0], &a, out);
}

static nnom_status build_relu(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    double max_value, slope, threshold;
    const cJSON *mv = kr_get(cfg_of(x), "max_value");
    const int has_max = mv && !cJSON_IsNull(mv);
    nnom_status st = get_number(x, "max_value", 0.0, &max_value);
    if (st == NNOM_OK) st = get_number(x, "negative_slope", 0.0, &slope);
    if (st == NNOM_OK) st = get_number(x, "threshold", 0.0, &threshold);
    if (st != NNOM_OK) return st;
    kr_act a = {ACT_RELU, 1.0, 0.0};
    if (threshold != 0.0 || slope < 0.0) {
        a.kind = ACT_LINEAR;
    } else if (slope == 0.0) {
        if (!has_max) a.kind = ACT_RELU;
        else if (max_value == 6.0) a.kind = ACT_RELU6;
        else a.kind = ACT_LINEAR;
    } else if (!has_max) {
        a.kind = ACT_LEAKY_RELU;
        a.alpha = slope;
    } else {
        a.kind = ACT_LINEAR;
    }
    if (a.kind == ACT_LINEAR) {
        char mvt[32];
        if (has_max) snprintf(mvt, sizeof mvt, "%g", max_value);
        else snprintf(mvt, sizeof mvt, "None");
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "max_value=%s, negative_slope=%g, threshold=%g is not "
                             "supported; supported: ReLU() (relu), ReLU(max_value=6) (relu6), "
                             "ReLU(negative_slope=a) (leaky relu)", mvt, slope, threshold);
    }
    return plan_act_layer(x, in[0], &a, out);
}

static nnom_status build_leaky_relu(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    kr_act a = {ACT_LEAKY_RELU, 1.0, 0.3};
    const char *key = kr_get(cfg_of(x), "negative_slope") ? "negative_slope" : "alpha";
    nnom_status st = get_number(x, key, 0.3, &a.alpha);
    if (st != NNOM_OK) return st;
    return plan_act_layer(x, in[0], &a, out);
}

static nnom_status build_softmax(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    nnom_status st = check_last_axis(x, in[0], "axis", -1);
    if (st != NNOM_OK) return st;
    kr_act a = {ACT_SOFTMAX, 1.0, 0.0};
    return plan_act_layer(x, in[0], &a, out);
}

/* Dropout and noise layers do nothing at inference: consumers read the input. */
static nnom_status build_identity(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)x;
    (void)n_in;
    out->plan = in[0]->plan;
    out->shape = in[0]->shape;
    out->fold = in[0]->fold;
    return NNOM_OK;
}

/* ------------------------------------------------------------------ recurrent layers */

/* A SimpleRNN, GRU or LSTM as its config describes it. */
typedef struct rnn_spec {
    const char *cls;
    nnom_layer_type type;
    int32_t gates, units;
    int32_t flags;       /* NNOM_RNN_RETURN_SEQUENCES, GO_BACKWARDS, STATEFUL, RESET_AFTER */
    int32_t act, rec;    /* nnom_rnn_act */
    int use_bias;
} rnn_spec;

#define KR_RNN_ACTIVATIONS "tanh, sigmoid, hard_sigmoid, relu, linear"

/* An activation option of a recurrent layer (a name or a serialised function). */
static nnom_status rnn_activation(kr_ctx *x, const char *who, const cJSON *cfg, const char *key, const char *def,
                                  int32_t *out)
{
    const cJSON *v = kr_get(cfg, key);
    const char *name = def;
    if (v && cJSON_IsNull(v)) name = "linear";
    else if (cJSON_IsString(v)) name = v->valuestring;
    else if (cJSON_IsObject(v)) {
        name = kr_get_string(v, "config", NULL);
        if (!name) name = kr_get_string(v, "class_name", NULL);
    } else if (v) {
        name = NULL;
    }
    if (!name)
        return kr_layer_fail(x, NNOM_ERR_KERAS, "%soption '%s' is neither a name nor a serialised function", who, key);
    if (strcmp(name, "tanh") == 0) *out = NNOM_RNN_ACT_TANH;
    else if (strcmp(name, "sigmoid") == 0) *out = NNOM_RNN_ACT_SIGMOID;
    else if (strcmp(name, "hard_sigmoid") == 0)
        /* Keras 3: relu6(x + 3) / 6; Keras 2: clip(0.2 x + 0.5, 0, 1) */
        *out = x->g->keras_major == 2 ? NNOM_RNN_ACT_HARD_SIGMOID_K2 : NNOM_RNN_ACT_HARD_SIGMOID;
    else if (strcmp(name, "relu") == 0) *out = NNOM_RNN_ACT_RELU;
    else if (strcmp(name, "linear") == 0) *out = NNOM_RNN_ACT_LINEAR;
    else
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "%s%s '%s' is not supported in a recurrent layer; supported: "
                             KR_RNN_ACTIVATIONS, who, key, name);
    return NNOM_OK;
}

/* A boolean option that must be false (or absent): @p why says what is supported instead. */
static nnom_status rnn_reject_true(kr_ctx *x, const char *who, const cJSON *cfg, const char *key, const char *why)
{
    const cJSON *v = kr_get(cfg, key);
    if (cJSON_IsTrue(v) || (cJSON_IsNumber(v) && v->valuedouble != 0.0))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "%s%s=True is not supported; %s", who, key, why);
    return NNOM_OK;
}

static int rnn_flag(const cJSON *cfg, const char *key, int def)
{
    const cJSON *v = kr_get(cfg, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

/* Reads the config of a recurrent layer of class @p cls; messages start with @p who ("" for the layer
 * itself, "its LSTM: " for one a Bidirectional wraps). Options that only matter in training (dropout,
 * recurrent_dropout, initializers, regularizers, constraints), on other hardware (use_cudnn,
 * implementation) or for speed (unroll) are accepted and ignored. */
static nnom_status parse_rnn(kr_ctx *x, const char *who, const char *cls, const cJSON *cfg, rnn_spec *s)
{
    memset(s, 0, sizeof *s);
    s->cls = cls;
    if (strcmp(cls, "SimpleRNN") == 0) {
        s->type = NNOM_LAYER_SIMPLE_RNN;
        s->gates = 1;
    } else if (strcmp(cls, "GRU") == 0) {
        s->type = NNOM_LAYER_GRU;
        s->gates = 3;
    } else if (strcmp(cls, "LSTM") == 0) {
        s->type = NNOM_LAYER_LSTM;
        s->gates = 4;
    } else {
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "%swraps a layer of class %s; supported: SimpleRNN, GRU, LSTM",
                             who, cls);
    }
    if (!cJSON_IsObject(cfg)) return kr_layer_fail(x, NNOM_ERR_KERAS, "%sthe %s has no config", who, cls);
    nnom_status st;
    /* return_state: the reader maps the state outputs to RNN_STATE layers; not inside a Bidirectional */
    if (who[0] && (st = rnn_reject_true(x, who, cfg, "return_state", "a Bidirectional has one output here (the merged "
                                        "sequence or last states)")) != NNOM_OK)
        return st;
    if ((st = rnn_reject_true(x, who, cfg, "time_major", "supported: time_major=False, inputs (batch, steps, "
                              "features)")) != NNOM_OK)
        return st;
    const cJSON *u = kr_get(cfg, "units");
    if (!kr_json_int(u, 1, 1 << 16, &s->units))
        return kr_layer_fail(x, NNOM_ERR_KERAS, "%sunits must be an integer from 1 to 65536", who);
    if ((st = rnn_activation(x, who, cfg, "activation", "tanh", &s->act)) != NNOM_OK) return st;
    s->rec = NNOM_RNN_ACT_SIGMOID;
    if (s->gates > 1 && (st = rnn_activation(x, who, cfg, "recurrent_activation", "sigmoid", &s->rec)) != NNOM_OK)
        return st;
    s->use_bias = rnn_flag(cfg, "use_bias", 1);
    if (rnn_flag(cfg, "return_sequences", 0)) s->flags |= NNOM_RNN_RETURN_SEQUENCES;
    if (rnn_flag(cfg, "go_backwards", 0)) s->flags |= NNOM_RNN_GO_BACKWARDS;
    if (rnn_flag(cfg, "stateful", 0)) s->flags |= NNOM_RNN_STATEFUL;
    if (s->gates == 3 && rnn_flag(cfg, "reset_after", 1)) s->flags |= NNOM_RNN_RESET_AFTER;
    return NNOM_OK;
}

/* Checks the weights @p w->a[first ...] of one cell and converts them into converter memory; the
 * blobs of plan @p id point at them. Keras: kernel (in, G*units), recurrent_kernel (units, G*units),
 * bias (G*units) or, for a GRU with reset_after, (2, 3*units). */
static nnom_status rnn_weights(kr_ctx *x, const rnn_spec *s, kr_weights *w, int first, int32_t in_features, int id)
{
    const int32_t rows = s->gates * s->units;
    const int two = s->type == NNOM_LAYER_GRU && (s->flags & NNOM_RNN_RESET_AFTER);
    const int64_t kd[2] = {in_features, rows}, rd[2] = {s->units, rows}, bd2[2] = {2, rows};
    nnom_status st;
    if ((st = check_dims(x, w, first, "kernel", 2, kd)) != NNOM_OK) return st;
    if ((st = check_dims(x, w, first + 1, "recurrent_kernel", 2, rd)) != NNOM_OK) return st;
    if (s->use_bias) {
        st = two ? check_dims(x, w, first + 2, "bias", 2, bd2) : check_vector(x, w, first + 2, "bias", rows);
        if (st != NNOM_OK) return st;
    }
    const size_t kn = (size_t)in_features * rows, rn = (size_t)s->units * rows, bn = (size_t)rows * (two ? 2 : 1);
    float *k = alloc_floats(x, kn), *r = alloc_floats(x, rn), *b = s->use_bias ? alloc_floats(x, bn) : NULL;
    if (!k || !r || (s->use_bias && !b)) return x->status;
    /* (in, rows) -> [rows][in], as a dense layer's kernel */
    conv_kernel_to_ohwi(w->a[first].data, k, 1, 1, in_features, rows);
    conv_kernel_to_ohwi(w->a[first + 1].data, r, 1, 1, s->units, rows);
    if (b) memcpy(b, w->a[first + 2].data, bn * sizeof(float)); /* (2, 3 units) is [input][recurrent] already */
    nnom_layer_desc *d = &x->plans[id].desc;
    d->blobs[0] = (nnom_blob){k, (uint32_t)(kn * sizeof(float))};
    d->blobs[1] = (nnom_blob){r, (uint32_t)(rn * sizeof(float))};
    if (b) d->blobs[2] = (nnom_blob){b, (uint32_t)(bn * sizeof(float))};
    return NNOM_OK;
}

static nnom_shape rnn_out_shape(const rnn_spec *s, int32_t steps)
{
    return (s->flags & NNOM_RNN_RETURN_SEQUENCES) ? shape2(steps, s->units) : shape1(s->units);
}

/* Plans one recurrent layer reading plan @p input; returns its index or -1. */
static int plan_rnn(kr_ctx *x, const rnn_spec *s, int32_t extra_flags, const char *suffix, int input, int32_t steps)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.units = s->units;
    p.cell_flags = s->flags | extra_flags;
    p.activations = NNOM_RNN_ACTIVATIONS(s->act, s->rec);
    return kr_plan_add(x, s->type, suffix, &input, 1, &p, rnn_out_shape(s, steps));
}

static nnom_status rnn_input(kr_ctx *x, const kr_value *in)
{
    return check_rank(x, in, 2, "steps, features");
}

/* SimpleRNN, GRU, LSTM: one recurrent layer. */
static nnom_status build_rnn(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    rnn_spec s;
    nnom_status st = parse_rnn(x, "", cls_of(x), cfg_of(x), &s);
    if (st == NNOM_OK) st = rnn_input(x, in[0]);
    if (st != NNOM_OK) return st;
    const int32_t steps = in[0]->shape.dims[0], features = in[0]->shape.dims[1];
    kr_weights w;
    static const char *const cell[] = {"cell"};
    st = kr_weights_read_nested(x->file, x->layer->name, x->layer->wpath, cell, 1, &w, x->c);
    if (st != NNOM_OK) return st;
    const int n = s.use_bias ? 3 : 2;
    if (w.n != n) {
        const int got = w.n;
        kr_weights_free(&w);
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "expected %d weight arrays (kernel, recurrent_kernel%s) but the file "
                             "holds %d", n, s.use_bias ? ", bias" : "", got);
    }
    int id = plan_rnn(x, &s, 0, NULL, in[0]->plan, steps);
    st = id < 0 ? x->status : rnn_weights(x, &s, &w, 0, features, id);
    kr_weights_free(&w);
    if (st != NNOM_OK) return st;
    out->plan = id;
    out->shape = rnn_out_shape(&s, steps);
    return NNOM_OK;
}

/*
 * Bidirectional: the wrapped layer forward, a copy of it backward (go_backwards flipped; Keras
 * flips its output sequence back into input order: NNOM_RNN_INPUT_ORDER), then merge_mode:
 * concat (CONCATENATE on the last axis), sum (ADD), mul (MULTIPLY) or ave (ADD, then x 0.5).
 */
static nnom_status build_bidirectional(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const cJSON *layer = kr_get(cfg_of(x), "layer"), *back = kr_get(cfg_of(x), "backward_layer");
    if (!cJSON_IsObject(layer)) return kr_layer_fail(x, NNOM_ERR_KERAS, "the config has no wrapped 'layer'");
    rnn_spec f, b;
    char who[96];
    const char *fcls = kr_get_string(layer, "class_name", "?");
    snprintf(who, sizeof who, "its %s: ", fcls);
    nnom_status st = parse_rnn(x, who, fcls, kr_get(layer, "config"), &f);
    if (st != NNOM_OK) return st;
    if (cJSON_IsObject(back)) {
        const char *bcls = kr_get_string(back, "class_name", "?");
        snprintf(who, sizeof who, "its backward %s: ", bcls);
        if ((st = parse_rnn(x, who, bcls, kr_get(back, "config"), &b)) != NNOM_OK) return st;
        if (b.type != f.type || b.units != f.units ||
            ((b.flags ^ f.flags) & (NNOM_RNN_RETURN_SEQUENCES | NNOM_RNN_STATEFUL)) != 0)
            return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "its backward_layer (%s, %d units) differs from its layer "
                                 "(%s, %d units) in class, units, return_sequences or stateful", b.cls,
                                 (int)b.units, f.cls, (int)f.units);
    } else {
        b = f;
        b.flags ^= NNOM_RNN_GO_BACKWARDS;
    }
    if ((f.flags & NNOM_RNN_GO_BACKWARDS) || !(b.flags & NNOM_RNN_GO_BACKWARDS))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "a forward layer with go_backwards=True is not supported; "
                             "supported: the forward layer reading forward, the backward one backward");
    const char *mode = kr_get_string(cfg_of(x), "merge_mode", "concat");
    const cJSON *mv = kr_get(cfg_of(x), "merge_mode");
    if (mv && cJSON_IsNull(mv))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "merge_mode=None (two outputs) is not supported; supported: "
                             "concat, sum, mul, ave");
    const int concat = strcmp(mode, "concat") == 0, sum = strcmp(mode, "sum") == 0, mul = strcmp(mode, "mul") == 0,
              ave = strcmp(mode, "ave") == 0;
    if (!concat && !sum && !mul && !ave)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "merge_mode '%s' is not supported; supported: concat, sum, mul, "
                             "ave", mode);
    if ((st = rnn_input(x, in[0])) != NNOM_OK) return st;
    const int32_t steps = in[0]->shape.dims[0], features = in[0]->shape.dims[1];
    kr_weights w;
    static const char *const cells[] = {"forward_layer/cell", "backward_layer/cell"};
    st = kr_weights_read_nested(x->file, x->layer->name, x->layer->wpath, cells, 2, &w, x->c);
    if (st != NNOM_OK) return st;
    const int nf = f.use_bias ? 3 : 2, nb = b.use_bias ? 3 : 2;
    if (w.n != nf + nb) {
        const int got = w.n;
        kr_weights_free(&w);
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "expected %d weight arrays (kernel, recurrent_kernel%s of each "
                             "direction) but the file holds %d", nf + nb, f.use_bias ? ", bias" : "", got);
    }
    const int fwd = plan_rnn(x, &f, 0, "/forward", in[0]->plan, steps);
    st = fwd < 0 ? x->status : rnn_weights(x, &f, &w, 0, features, fwd);
    int bwd = -1;
    if (st == NNOM_OK) {
        bwd = plan_rnn(x, &b, NNOM_RNN_INPUT_ORDER, "/backward", in[0]->plan, steps);
        st = bwd < 0 ? x->status : rnn_weights(x, &b, &w, nf, features, bwd);
    }
    kr_weights_free(&w);
    if (st != NNOM_OK) return st;
    const nnom_shape half = rnn_out_shape(&f, steps);
    nnom_shape os = half;
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    const int ins[2] = {fwd, bwd};
    int id;
    if (concat) {
        os.dims[os.rank - 1] *= 2;
        p.axis = os.rank - 1;
        id = kr_plan_add(x, NNOM_LAYER_CONCATENATE, NULL, ins, 2, &p, os);
    } else if (mul) {
        id = kr_plan_add(x, NNOM_LAYER_MULTIPLY, NULL, ins, 2, &p, os);
    } else {
        id = kr_plan_add(x, NNOM_LAYER_ADD, ave ? "/sum" : NULL, ins, 2, &p, os);
        if (id >= 0 && ave) {
            const int32_t C = channels_of(&os);
            double *scale = (double *)calloc((size_t)C, sizeof *scale);
            double *zero = (double *)calloc((size_t)C, sizeof *zero);
            if (!scale || !zero) {
                free(scale);
                free(zero);
                return kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
            }
            for (int32_t c = 0; c < C; c++) scale[c] = 0.5;
            id = plan_affine(x, NULL, id, os, scale, zero);
            free(scale);
            free(zero);
        }
    }
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = os;
    return NNOM_OK;
}

/* Masking: nnom runs every step of every sequence; a mask would change what recurrent layers compute. */
static nnom_status build_masking(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)in;
    (void)n_in;
    (void)out;
    return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "masks are not supported: every step of a sequence is computed; "
                         "remove the Masking layer (and mask_zero of an Embedding) and pad with values the model "
                         "was trained on");
}

/* ------------------------------------------------------------------ the table */

static const kr_class classes[] = {
    {"Conv1D", build_conv, 1, 1},
    {"Conv2D", build_conv, 1, 1},
    {"Convolution1D", build_conv, 1, 1},
    {"Convolution2D", build_conv, 1, 1},
    {"DepthwiseConv1D", build_depthwise, 1, 1},
    {"DepthwiseConv2D", build_depthwise, 1, 1},
    {"SeparableConv1D", build_separable, 1, 1},
    {"SeparableConv2D", build_separable, 1, 1},
    {"SeparableConvolution1D", build_separable, 1, 1},
    {"SeparableConvolution2D", build_separable, 1, 1},
    {"Dense", build_dense, 1, 1},
    {"BatchNormalization", build_batchnorm, 1, 1},
    {"Rescaling", build_rescaling, 1, 1},
    {"MaxPooling1D", build_pool, 1, 1},
    {"MaxPooling2D", build_pool, 1, 1},
    {"MaxPool1D", build_pool, 1, 1},
    {"MaxPool2D", build_pool, 1, 1},
    {"AveragePooling1D", build_pool, 1, 1},
    {"AveragePooling2D", build_pool, 1, 1},
    {"AvgPool1D", build_pool, 1, 1},
    {"AvgPool2D", build_pool, 1, 1},
    {"GlobalMaxPooling1D", build_global_pool, 1, 1},
    {"GlobalMaxPooling2D", build_global_pool, 1, 1},
    {"GlobalMaxPool1D", build_global_pool, 1, 1},
    {"GlobalMaxPool2D", build_global_pool, 1, 1},
    {"GlobalAveragePooling1D", build_global_pool, 1, 1},
    {"GlobalAveragePooling2D", build_global_pool, 1, 1},
    {"GlobalAvgPool1D", build_global_pool, 1, 1},
    {"GlobalAvgPool2D", build_global_pool, 1, 1},
    {"Add", build_merge, 2, 1024},
    {"Subtract", build_merge, 2, 2},
    {"Multiply", build_merge, 2, 1024},
    {"Concatenate", build_concatenate, 1, 1024},
    {"Flatten", build_flatten, 1, 1},
    {"Reshape", build_reshape, 1, 1},
    {"ZeroPadding1D", build_pad_crop, 1, 1},
    {"ZeroPadding2D", build_pad_crop, 1, 1},
    {"Cropping1D", build_pad_crop, 1, 1},
    {"Cropping2D", build_pad_crop, 1, 1},
    {"UpSampling1D", build_upsampling, 1, 1},
    {"UpSampling2D", build_upsampling, 1, 1},
    {"Activation", build_activation, 1, 1},
    {"ReLU", build_relu, 1, 1},
    {"LeakyReLU", build_leaky_relu, 1, 1},
    {"Softmax", build_softmax, 1, 1},
    {"Dropout", build_identity, 1, 1},
    {"SpatialDropout1D", build_identity, 1, 1},
    {"SpatialDropout2D", build_identity, 1, 1},
    {"GaussianNoise", build_identity, 1, 1},
    {"GaussianDropout", build_identity, 1, 1},
    {"AlphaDropout", build_identity, 1, 1},
    {"ActivityRegularization", build_identity, 1, 1},
    {"Identity", build_identity, 1, 1},
    {"SimpleRNN", build_rnn, 1, 1},
    {"GRU", build_rnn, 1, 1},
    {"LSTM", build_rnn, 1, 1},
    {"Bidirectional", build_bidirectional, 1, 1},
    {"Masking", build_masking, 1, 1},
};

const kr_class *kr_class_find(const char *class_name)
{
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (strcmp(classes[i].name, class_name) == 0) return &classes[i];
    return kr_transformer_class_find(class_name);
}

/* Fits in an error message after a layer's name and class (NNOM_ERROR_MESSAGE_MAX bytes). */
const char *kr_supported_text(void)
{
    return "Conv, DepthwiseConv, SeparableConv, Dense, BatchNormalization, pooling, padding, cropping, upsampling, "
           "merges, Flatten, Reshape, activations, Rescaling, SimpleRNN, GRU, LSTM, Bidirectional, LayerNormalization";
}
