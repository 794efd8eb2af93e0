/*
 * Keras classes of transformer models: LayerNormalization (over the last axis) as LAYER_NORM;
 * MultiHeadAttention as Dense projections, MATMUL and SOFTMAX layers (build_attention()).
 * kr_class_find() (keras_classes.c) asks kr_transformer_class_find() for the classes it does not
 * know itself. And user operators: a Lambda layer, or a layer of a class the reader does not know,
 * named by an operator of the converter's registry becomes a CUSTOM layer (kr_user_op_class()).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "keras/keras_layers.h"

static const cJSON *config_of(const kr_ctx *x) { return x->layer->config; }

static int option_bool(const kr_ctx *x, const char *key, int def)
{
    const cJSON *v = kr_get(config_of(x), key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

/* The normalised axes: -1 or the last one (an int or a one-element list). */
static nnom_status check_axis(kr_ctx *x, const kr_value *in)
{
    const cJSON *v = kr_get(config_of(x), "axis");
    if (cJSON_IsArray(v)) {
        if (cJSON_GetArraySize(v) != 1)
            return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "normalisation over %d axes is not supported; supported: "
                                 "the last axis", cJSON_GetArraySize(v));
        v = cJSON_GetArrayItem(v, 0);
    }
    const int32_t krank = in->shape.rank + 1; /* Keras counts the batch */
    int32_t axis = -1;
    if (v && !kr_json_int(v, -krank, krank - 1, &axis))
        return kr_layer_fail(x, NNOM_ERR_KERAS, "option 'axis' must be an integer in [%d, %d]", (int)-krank,
                             (int)(krank - 1));
    if (axis != -1 && axis != krank - 1)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "axis=%d is not supported for an input of rank %d; supported: "
                             "the last axis (-1 or %d)", (int)axis, (int)krank, (int)(krank - 1));
    return NNOM_OK;
}

/* A float vector in converter memory, copied from @p src. */
static float *keep_vector(kr_ctx *x, const float *src, int32_t n)
{
    float *p = (float *)nnom_store_alloc(&x->c->store, (size_t)n * sizeof(float));
    if (!p) {
        x->status = kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory for %d weights", (int)n);
        return NULL;
    }
    memcpy(p, src, (size_t)n * sizeof(float));
    return p;
}

static nnom_status build_layer_norm(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    nnom_status st = check_axis(x, in[0]);
    if (st != NNOM_OK) return st;
    if (option_bool(x, "rms_scaling", 0))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "rms_scaling=True is not supported; supported: the mean and "
                             "variance normalisation (rms_scaling=False)");
    const cJSON *e = kr_get(config_of(x), "epsilon");
    const double eps = cJSON_IsNumber(e) ? e->valuedouble : 1e-3;
    if (!(eps >= 0.0 && eps <= 1e30))
        return kr_layer_fail(x, NNOM_ERR_KERAS, "epsilon must be a finite number >= 0");
    const int scale = option_bool(x, "scale", 1), center = option_bool(x, "center", 1);
    const int32_t depth = in[0]->shape.dims[in[0]->shape.rank - 1];
    kr_weights w;
    st = kr_weights_read(x->file, x->layer->name, x->layer->wpath, &w, x->c);
    if (st != NNOM_OK) return st;
    if (w.n != scale + center) {
        const int n = w.n;
        kr_weights_free(&w);
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "expected %d weight arrays (%s%s%s) but the file holds %d",
                             scale + center, scale ? "gamma" : "", scale && center ? ", " : "", center ? "beta" : "", n);
    }
    for (int k = 0; k < w.n; k++)
        if (w.a[k].count != (size_t)depth) {
            const size_t n = w.a[k].count;
            kr_weights_free(&w);
            return kr_layer_fail(x, NNOM_ERR_SHAPE, "%s holds %lu values, the last axis has %d", k == 0 && scale ?
                                 "gamma" : "beta", (unsigned long)n, (int)depth);
        }
    float *gamma = scale ? keep_vector(x, w.a[0].data, depth) : NULL;
    float *beta = center ? keep_vector(x, w.a[scale].data, depth) : NULL;
    kr_weights_free(&w);
    if ((scale && !gamma) || (center && !beta)) return x->status;
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.alpha = (float)eps;
    const int id = kr_plan_add(x, NNOM_LAYER_LAYER_NORM, NULL, &in[0]->plan, 1, &p, in[0]->shape);
    if (id < 0) return x->status;
    kr_plan *pl = &x->plans[id];
    if (gamma) pl->desc.blobs[0] = (nnom_blob){gamma, (uint32_t)depth * (uint32_t)sizeof(float)};
    if (beta) pl->desc.blobs[1] = (nnom_blob){beta, (uint32_t)depth * (uint32_t)sizeof(float)};
    out->plan = id;
    out->shape = in[0]->shape;
    return NNOM_OK;
}

/* ------------------------------------------------------------------ MultiHeadAttention */

/* The weight arrays of a MultiHeadAttention, in Keras' order (Keras 3: one sub-layer each). */
enum { MHA_QUERY, MHA_KEY, MHA_VALUE, MHA_OUTPUT, MHA_PROJECTIONS };
static const char *const mha_subs[MHA_PROJECTIONS] = {"query_dense", "key_dense", "value_dense", "output_dense"};
static const char *const mha_labels[MHA_PROJECTIONS] = {"query", "key", "value", "attention_output"};

typedef struct mha_dims {
    int32_t heads, key_dim, value_dim, out_dim;
    int use_bias;
} mha_dims;

/* A keyword argument of the call that must be absent, null or false. */
static nnom_status refuse_true_kwarg(kr_ctx *x, const char *key, const char *why)
{
    const cJSON *v = kr_get(x->layer->nodes[x->node].kwargs, key);
    if (v && !cJSON_IsNull(v) && !cJSON_IsFalse(v))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "%s=True is not supported: %s", key, why);
    return NNOM_OK;
}

/* The options nnom cannot reproduce, refused by name; dropout is an identity at inference. */
static nnom_status mha_options(kr_ctx *x, const kr_value *const *in, int n_in, mha_dims *d)
{
    nnom_status st;
    for (int i = 0; i < n_in; i++)
        if (in[i]->shape.rank != 2)
            return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "input %d has rank %d; supported: (steps, features) inputs "
                                 "(rank 2), attention over the steps", i, (int)in[i]->shape.rank);
    const cJSON *axes = kr_get(kr_cfg(x), "attention_axes");
    if (axes && !cJSON_IsNull(axes)) {
        int32_t a = 0;
        const cJSON *a0 = cJSON_IsArray(axes) && cJSON_GetArraySize(axes) == 1 ? cJSON_GetArrayItem(axes, 0) : axes;
        if (!kr_json_int(a0, -2, 1, &a) || (a != 1 && a != -2))
            return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "attention_axes other than the steps ([1]) are not "
                                 "supported");
    }
    if (kr_cfg_bool(x, "use_gate", 0))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "use_gate=True is not supported");
    const cJSON *window = kr_get(kr_cfg(x), "sliding_window");
    if (window && !cJSON_IsNull(window))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "sliding_window is not supported: it is an attention mask");
    if ((st = refuse_true_kwarg(x, "use_causal_mask", "attention masks are not supported")) != NNOM_OK) return st;
    if ((st = refuse_true_kwarg(x, "return_attention_scores", "the model can output the attention itself only "
                                "as MultiHeadAttention's output")) != NNOM_OK)
        return st;
    if ((st = kr_cfg_ints(x, "num_heads", 1, &d->heads, 0)) != NNOM_OK) return st;
    if ((st = kr_cfg_ints(x, "key_dim", 1, &d->key_dim, 0)) != NNOM_OK) return st;
    if ((st = kr_cfg_ints(x, "value_dim", 1, &d->value_dim, d->key_dim)) != NNOM_OK) return st;
    const cJSON *os = kr_get(kr_cfg(x), "output_shape");
    if (cJSON_IsArray(os) && cJSON_GetArraySize(os) != 1)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "output_shape of %d dimensions is not supported; supported: "
                             "one (features)", cJSON_GetArraySize(os));
    if ((st = kr_cfg_ints(x, "output_shape", 1, &d->out_dim, kr_channels(&in[0]->shape))) != NNOM_OK) return st;
    if (d->heads < 1 || d->key_dim < 1 || d->value_dim < 1 || d->out_dim < 1)
        return kr_layer_fail(x, NNOM_ERR_KERAS, "num_heads (%d), key_dim (%d), value_dim (%d) and output_shape (%d) "
                             "must be at least 1", (int)d->heads, (int)d->key_dim, (int)d->value_dim,
                             (int)d->out_dim);
    /* the per-head layers and their concatenation */
    if (d->heads > NNOM_MAX_INPUTS)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "%d heads; at most %d supported", (int)d->heads,
                             NNOM_MAX_INPUTS);
    d->use_bias = kr_cfg_bool(x, "use_bias", 1);
    return NNOM_OK;
}

/* Reads the projections and checks their shapes; on success @p w holds kernel (and bias) of each. */
static nnom_status mha_weights(kr_ctx *x, const kr_value *const *in, const mha_dims *d, kr_weights *w)
{
    const char *const *subs = x->weight_subs;
    const int n_subs = x->n_weight_subs;
    x->weight_subs = mha_subs;
    x->n_weight_subs = MHA_PROJECTIONS;
    nnom_status st = kr_read_weights(x, w, d->use_bias ? 2 * MHA_PROJECTIONS : MHA_PROJECTIONS,
                                     d->use_bias ? "query, key, value and output kernels and biases"
                                                 : "query, key, value and output kernels");
    x->weight_subs = subs;
    x->n_weight_subs = n_subs;
    if (st != NNOM_OK) return st;
    const int per = d->use_bias ? 2 : 1;
    const int32_t feat[3] = {kr_channels(&in[0]->shape), kr_channels(&in[2]->shape), kr_channels(&in[1]->shape)};
    for (int p = MHA_QUERY; p <= MHA_VALUE; p++) {
        const int32_t dim = p == MHA_VALUE ? d->value_dim : d->key_dim;
        const int64_t kd[3] = {feat[p], d->heads, dim}, bd[2] = {d->heads, dim};
        char what[48];
        snprintf(what, sizeof what, "%s kernel", mha_labels[p]);
        if ((st = kr_check_dims(x, w, p * per, what, 3, kd)) != NNOM_OK) return st;
        snprintf(what, sizeof what, "%s bias", mha_labels[p]);
        if (d->use_bias && (st = kr_check_dims(x, w, p * per + 1, what, 2, bd)) != NNOM_OK) return st;
    }
    const int64_t od[3] = {d->heads, d->value_dim, d->out_dim};
    if ((st = kr_check_dims(x, w, MHA_OUTPUT * per, "attention_output kernel", 3, od)) != NNOM_OK) return st;
    if (d->use_bias && (st = kr_check_vector(x, w, MHA_OUTPUT * per + 1, "attention_output bias", d->out_dim)) !=
                           NNOM_OK)
        return st;
    return NNOM_OK;
}

/* Head @p h of projection @p p as a Dense over the steps (a 1-wide CONV1D): weights [dim][features]
 * from Keras' (features, heads, dim) kernel, both multiplied by @p scale. */
static int mha_head_projection(kr_ctx *x, const kr_weights *w, const mha_dims *d, int p, int32_t h, int input,
                               const nnom_shape *in_shape, double scale)
{
    const int per = d->use_bias ? 2 : 1;
    const int32_t dim = p == MHA_VALUE ? d->value_dim : d->key_dim, feat = kr_channels(in_shape);
    float *wt = kr_alloc_floats(x, (size_t)dim * feat), *b = d->use_bias ? kr_alloc_floats(x, (size_t)dim) : NULL;
    if (!wt || (d->use_bias && !b)) return -1;
    const float *k = w->a[p * per].data;
    for (int32_t j = 0; j < dim; j++) {
        for (int32_t f = 0; f < feat; f++)
            wt[(size_t)j * feat + f] = (float)(k[((size_t)f * d->heads + h) * dim + j] * scale);
        if (b) b[j] = (float)(w->a[p * per + 1].data[(size_t)h * dim + j] * scale);
    }
    nnom_layer_params prm;
    memset(&prm, 0, sizeof prm);
    prm.units = dim;
    prm.kernel[0] = prm.kernel[1] = 1;
    prm.padding = NNOM_PADDING_VALID;
    char sfx[48];
    snprintf(sfx, sizeof sfx, "/%s%d", mha_labels[p], (int)h);
    return kr_plan_weighted(x, NNOM_LAYER_CONV1D, sfx, input, &prm, kr_shape2(in_shape->dims[0], dim), wt,
                            (size_t)dim * feat, b, dim, 0);
}

/*
 * Keras' MultiHeadAttention over (steps, features) inputs: query (T, Dq), value (S, Dv) and key (S, Dk)
 * (the value when not given). Per head h: q = query Wq_h / sqrt(key_dim) (the scale folded into the
 * projection), k = key Wk_h, v = value Wv_h, o_h = softmax(q k^T) v, each a layer of its own; the heads
 * are concatenated, (T, heads x value_dim), and projected by the output Dense.
 */
static nnom_status build_attention(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    mha_dims d;
    memset(&d, 0, sizeof d);
    const kr_value *qkv[3] = {in[0], in[1], n_in > 2 ? in[2] : in[1]}; /* query, value, key */
    nnom_status st = mha_options(x, qkv, 3, &d);
    if (st != NNOM_OK) return st;
    kr_weights w;
    if ((st = mha_weights(x, qkv, &d, &w)) != NNOM_OK) return st;
    const int32_t T = qkv[0]->shape.dims[0], S = qkv[1]->shape.dims[0];
    if (qkv[2]->shape.dims[0] != S) {
        kr_weights_free(&w);
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "key has %d steps, value %d: they must be equal",
                             (int)qkv[2]->shape.dims[0], (int)S);
    }
    const double q_scale = 1.0 / sqrt((double)d.key_dim);
    int heads[NNOM_MAX_INPUTS];
    for (int32_t h = 0; h < d.heads; h++) {
        const int q = mha_head_projection(x, &w, &d, MHA_QUERY, h, qkv[0]->plan, &qkv[0]->shape, q_scale);
        const int k = q < 0 ? -1 : mha_head_projection(x, &w, &d, MHA_KEY, h, qkv[2]->plan, &qkv[2]->shape, 1.0);
        const int v = k < 0 ? -1 : mha_head_projection(x, &w, &d, MHA_VALUE, h, qkv[1]->plan, &qkv[1]->shape, 1.0);
        if (v < 0) {
            kr_weights_free(&w);
            return x->status;
        }
        nnom_layer_params p;
        memset(&p, 0, sizeof p);
        p.cell_flags = NNOM_MATMUL_TRANSPOSE_B;
        char sfx[48];
        snprintf(sfx, sizeof sfx, "/scores%d", (int)h);
        const int qk[2] = {q, k};
        int id = kr_plan_add(x, NNOM_LAYER_MATMUL, sfx, qk, 2, &p, kr_shape2(T, S));
        memset(&p, 0, sizeof p);
        snprintf(sfx, sizeof sfx, "/softmax%d", (int)h);
        if (id >= 0) id = kr_plan_add(x, NNOM_LAYER_SOFTMAX, sfx, &id, 1, &p, kr_shape2(T, S));
        snprintf(sfx, sizeof sfx, "/head%d", (int)h);
        const int pv[2] = {id, v};
        if (id >= 0) id = kr_plan_add(x, NNOM_LAYER_MATMUL, sfx, pv, 2, &p, kr_shape2(T, d.value_dim));
        if (id < 0) {
            kr_weights_free(&w);
            return x->status;
        }
        heads[h] = id;
    }
    int cur = heads[0];
    const int32_t concat_dim = d.heads * d.value_dim;
    if (d.heads > 1) {
        nnom_layer_params p;
        memset(&p, 0, sizeof p);
        p.axis = -1;
        cur = kr_plan_add(x, NNOM_LAYER_CONCATENATE, "/heads", heads, (int)d.heads, &p, kr_shape2(T, concat_dim));
        if (cur < 0) {
            kr_weights_free(&w);
            return x->status;
        }
    }
    /* the output projection: Keras' (heads, value_dim, out) kernel is a Dense (heads x value_dim, out) */
    const int per = d.use_bias ? 2 : 1;
    float *wt = kr_alloc_floats(x, (size_t)concat_dim * d.out_dim);
    float *b = d.use_bias ? kr_alloc_floats(x, (size_t)d.out_dim) : NULL;
    if (!wt || (d.use_bias && !b)) {
        kr_weights_free(&w);
        return x->status;
    }
    kr_kernel_to_ohwi(w.a[MHA_OUTPUT * per].data, wt, 1, 1, concat_dim, d.out_dim);
    if (b) memcpy(b, w.a[MHA_OUTPUT * per + 1].data, (size_t)d.out_dim * sizeof(float));
    kr_weights_free(&w);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.units = d.out_dim;
    p.kernel[0] = p.kernel[1] = 1;
    p.padding = NNOM_PADDING_VALID;
    const nnom_shape os = kr_shape2(T, d.out_dim);
    const int id = kr_plan_weighted(x, NNOM_LAYER_CONV1D, NULL, cur, &p, os, wt, (size_t)concat_dim * d.out_dim, b,
                                    d.out_dim, 0);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = os;
    out->fold = id; /* a linear output: a BatchNormalization or ReLU after it may fold or fuse */
    return NNOM_OK;
}

static const kr_class transformer_classes[] = {
    {"LayerNormalization", build_layer_norm, 1, 1, KR_LAYOUT_KERAS},
    {"MultiHeadAttention", build_attention, 2, 3, KR_LAYOUT_KERAS},
};

const kr_class *kr_transformer_class_find(const char *class_name)
{
    for (size_t i = 0; i < sizeof transformer_classes / sizeof transformer_classes[0]; i++)
        if (strcmp(transformer_classes[i].name, class_name) == 0) return &transformer_classes[i];
    return NULL;
}

/* ------------------------------------------------------------------ user operators */

/* The operator a layer names: a Lambda's layer name, any other layer's class name. */
static const char *user_op_name(const kr_layer *layer)
{
    return strcmp(layer->cls, "Lambda") == 0 ? layer->name : layer->cls;
}

static nnom_status build_user_op(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    const char *name = user_op_name(x->layer);
    const nnom_user_op *op = nnom_find_op(x->c->ops, name);
    if (!op) return kr_layer_fail(x, NNOM_ERR_STATE, "user operator '%s' is no longer registered", name);
    if (n_in < op->min_inputs || n_in > op->max_inputs || n_in > NNOM_MAX_INPUTS)
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "user operator '%s' takes %d to %d inputs, the layer has %d", name,
                             (int)op->min_inputs, (int)op->max_inputs, n_in);
    /* the output shape from the operator's own shape inference, on the float32 model's inputs */
    nnom_user_call call;
    memset(&call, 0, sizeof call);
    call.op = op;
    call.layer = x->base;
    call.dtype = NNOM_DTYPE_F32;
    call.n_inputs = n_in;
    int inputs[NNOM_MAX_INPUTS];
    for (int k = 0; k < n_in; k++) {
        call.in[k].shape = in[k]->shape;
        inputs[k] = in[k]->plan;
    }
    char message[NNOM_USER_OP_MESSAGE_MAX] = "";
    nnom_shape shape;
    memset(&shape, 0, sizeof shape);
    if (op->infer(&call, &shape, message) != NNOM_OK)
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "user operator '%s': %s", name,
                             message[0] ? message : "its infer() refused the inputs");
    /* blob 0: the name, NUL-padded to a multiple of 8 bytes (at most NNOM_NAME_MAX) */
    const size_t len = strlen(name);
    if (len >= NNOM_NAME_MAX)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "user operator name '%s' is longer than %d bytes", name,
                             NNOM_NAME_MAX - 1);
    const uint32_t bytes = (uint32_t)((len + 8u) & ~(size_t)7u);
    char *blob = (char *)nnom_store_alloc(&x->c->store, bytes);
    if (!blob) return kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    memset(blob, 0, bytes);
    memcpy(blob, name, len);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    const int id = kr_plan_add(x, NNOM_LAYER_CUSTOM, NULL, inputs, n_in, &p, shape);
    if (id < 0) return x->status;
    x->plans[id].desc.blobs[0] = (nnom_blob){blob, bytes};
    out->plan = id;
    out->shape = shape;
    return NNOM_OK;
}

static const kr_class user_op_class = {"(user operator)", build_user_op, 1, NNOM_MAX_INPUTS, KR_LAYOUT_KERAS};

const kr_class *kr_user_op_class(const nnom_op_registry *ops, const kr_layer *layer)
{
    if (!ops || !layer || layer->is_input || !layer->name || !layer->cls) return NULL;
    return nnom_find_op(ops, user_op_name(layer)) ? &user_op_class : NULL;
}
