/*
 * Keras activations: the inline `activation=` option of any layer and the layers Activation, ReLU,
 * LeakyReLU, ELU, PReLU and Softmax. The element-wise functions beyond relu, relu6, leaky relu, sigmoid, tanh
 * and hard sigmoid become ACTIVATION layers (nnom_function).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/layer_rules.h"
#include "keras/keras_layers.h"

/* ------------------------------------------------------------------ activations */

/* An activation as the converter plans it: a layer type (ACTIVATION: with its function and constants). */
typedef struct kr_act {
    int linear;              /* 1: nothing to apply */
    nnom_layer_type type;
    nnom_function fn;        /* ACTIVATION */
    float k[4];              /* its constants (nnom_function_constants(fn) of them) */
    double pre_scale;        /* Keras 2 hard_sigmoid: clip(0.2x + 0.5) = HARD_SIGMOID(1.2x) */
    double alpha;            /* LEAKY_RELU */
} kr_act;

/* Every activation name Keras offers that is element-wise (or softmax), and what it becomes. */
static const struct {
    const char *name;
    nnom_layer_type type;
    nnom_function fn; /* ACTIVATION */
} act_names[] = {
    {"relu", NNOM_LAYER_RELU, 0},
    {"relu6", NNOM_LAYER_RELU6, 0},
    {"leaky_relu", NNOM_LAYER_LEAKY_RELU, 0}, /* default slope 0.2 in Keras 2 and 3 */
    {"sigmoid", NNOM_LAYER_SIGMOID, 0},
    {"tanh", NNOM_LAYER_TANH, 0},
    {"hard_sigmoid", NNOM_LAYER_HARD_SIGMOID, 0},
    {"softmax", NNOM_LAYER_SOFTMAX, 0},
    {"elu", NNOM_LAYER_ACTIVATION, NNOM_FN_ELU},
    {"selu", NNOM_LAYER_ACTIVATION, NNOM_FN_SELU},
    {"gelu", NNOM_LAYER_ACTIVATION, NNOM_FN_GELU}, /* by name Keras' gelu is approximate=False */
    {"silu", NNOM_LAYER_ACTIVATION, NNOM_FN_SILU},
    {"swish", NNOM_LAYER_ACTIVATION, NNOM_FN_SILU},
    {"hard_silu", NNOM_LAYER_ACTIVATION, NNOM_FN_HARD_SILU},
    {"hard_swish", NNOM_LAYER_ACTIVATION, NNOM_FN_HARD_SILU},
    {"mish", NNOM_LAYER_ACTIVATION, NNOM_FN_MISH},
    {"softplus", NNOM_LAYER_ACTIVATION, NNOM_FN_SOFTPLUS},
    {"softsign", NNOM_LAYER_ACTIVATION, NNOM_FN_SOFTSIGN},
    {"exponential", NNOM_LAYER_ACTIVATION, NNOM_FN_EXPONENTIAL},
    {"log_sigmoid", NNOM_LAYER_ACTIVATION, NNOM_FN_LOG_SIGMOID},
    {"celu", NNOM_LAYER_ACTIVATION, NNOM_FN_CELU},
    {"hard_tanh", NNOM_LAYER_ACTIVATION, NNOM_FN_HARD_TANH},
};

/* what error messages list (aliases and linear left out: the list must fit a 256-byte message) */
#define KR_ACTIVATIONS                                                                                               \
    "relu(6), leaky_relu, sigmoid, tanh, hard_sigmoid, softmax, elu, selu, gelu, silu, hard_silu, mish, softplus, " \
    "softsign, exponential, log_sigmoid, celu, hard_tanh"

static void act_init(kr_act *a)
{
    memset(a, 0, sizeof *a);
    a->linear = 1;
    a->pre_scale = 1.0;
    a->alpha = 0.2;
}

/* A function of an ACTIVATION layer with its constants. */
static kr_act act_function(nnom_function fn, const float *k)
{
    kr_act a;
    act_init(&a);
    a.linear = 0;
    a.type = NNOM_LAYER_ACTIVATION;
    a.fn = fn;
    for (int32_t i = 0; i < nnom_function_constants(fn); i++) a.k[i] = k[i];
    return a;
}

static nnom_status parse_activation(kr_ctx *x, const cJSON *v, kr_act *a)
{
    act_init(a);
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
    if (strcmp(name, "linear") == 0) return NNOM_OK;
    for (size_t i = 0; i < sizeof act_names / sizeof act_names[0]; i++) {
        if (strcmp(name, act_names[i].name) != 0) continue;
        a->linear = 0;
        a->type = act_names[i].type;
        a->fn = act_names[i].fn;
        /* the functions' default constants: elu and celu alpha 1 */
        if (a->fn == NNOM_FN_ELU || a->fn == NNOM_FN_CELU) a->k[0] = 1.0f;
        /* Keras 3: relu6(x + 3) / 6, the runtime's; Keras 2: clip(0.2x + 0.5, 0, 1) = that of 1.2x */
        if (a->type == NNOM_LAYER_HARD_SIGMOID && x->g->keras_major == 2) a->pre_scale = 1.2;
        return NNOM_OK;
    }
    return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "activation '%s' is not supported; supported: " KR_ACTIVATIONS,
                         name);
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
    if (a->linear) return NNOM_OK;
    kr_plan *pl = &x->plans[*cur];
    const nnom_layer_rule *rule = nnom_layer_rule_of(pl->desc.type);
    if (fuse && (a->type == NNOM_LAYER_RELU || a->type == NNOM_LAYER_RELU6) && rule && rule->fuses_activation &&
        pl->desc.params.activation == NNOM_ACT_NONE) {
        pl->desc.params.activation = a->type == NNOM_LAYER_RELU ? NNOM_ACT_RELU : NNOM_ACT_RELU6;
        return NNOM_OK;
    }
    if (a->pre_scale != 1.0) {
        kr_plan *ab = absorb >= 0 ? &x->plans[absorb] : NULL;
        if (ab && ab->w && ab->desc.params.activation == NNOM_ACT_NONE) {
            for (size_t i = 0; i < ab->w_count; i++) ab->w[i] = (float)(ab->w[i] * a->pre_scale);
            if (ab->b)
                for (int32_t i = 0; i < ab->n_oc; i++) ab->b[i] = (float)(ab->b[i] * a->pre_scale);
        } else {
            const int32_t C = kr_channels(&shape);
            double *s = (double *)calloc((size_t)C, sizeof *s), *z = (double *)calloc((size_t)C, sizeof *z);
            if (!s || !z) {
                free(s);
                free(z);
                return kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
            }
            for (int32_t i = 0; i < C; i++) s[i] = a->pre_scale;
            char sfx[48];
            snprintf(sfx, sizeof sfx, "%s/scale", suffix ? suffix : "");
            int id = kr_plan_affine(x, sfx, *cur, shape, s, z);
            free(s);
            free(z);
            if (id < 0) return x->status;
            *cur = id;
        }
    }
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    if (a->type == NNOM_LAYER_LEAKY_RELU) p.alpha = (float)a->alpha;
    if (a->type == NNOM_LAYER_ACTIVATION) p.activation = a->fn;
    const int id = kr_plan_add(x, a->type, suffix, cur, 1, &p, shape);
    if (id < 0) return x->status;
    const int32_t n_k = a->type == NNOM_LAYER_ACTIVATION ? nnom_function_constants(a->fn) : 0;
    if (n_k > 0) {
        float *k = kr_alloc_floats(x, (size_t)n_k);
        if (!k) return x->status;
        memcpy(k, a->k, (size_t)n_k * sizeof(float));
        x->plans[id].desc.blobs[0].data = k;
        x->plans[id].desc.blobs[0].size = (uint32_t)n_k * (uint32_t)sizeof(float);
    }
    *cur = id;
    return NNOM_OK;
}

/* The layer's inline `activation=` option applied after plan *cur; sets out->fold when linear. */
nnom_status kr_finish_with_activation(kr_ctx *x, int cur, nnom_shape shape, int foldable, kr_value *out)
{
    kr_act a;
    nnom_status st = parse_activation(x, kr_get(kr_cfg(x), "activation"), &a);
    if (st != NNOM_OK) return st;
    st = apply_activation(x, &a, &cur, shape, 1, foldable ? cur : -1, "/act");
    if (st != NNOM_OK) return st;
    out->plan = cur;
    out->shape = shape;
    out->fold = foldable && a.linear ? cur : -1;
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
    out->fold = a->linear ? in->fold : -1;
    return NNOM_OK;
}

nnom_status kr_build_activation(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    kr_act a;
    nnom_status st = parse_activation(x, kr_get(kr_cfg(x), "activation"), &a);
    if (st != NNOM_OK) return st;
    return plan_act_layer(x, in[0], &a, out);
}

/* ReLU(max_value, negative_slope, threshold): relu, relu6 or leaky relu where it is one of them, else the
 * general function of an ACTIVATION layer */
nnom_status kr_build_relu(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    double max_value, slope, threshold;
    const cJSON *mv = kr_get(kr_cfg(x), "max_value");
    const int has_max = mv && !cJSON_IsNull(mv);
    nnom_status st = kr_cfg_number(x, "max_value", 0.0, &max_value);
    if (st == NNOM_OK) st = kr_cfg_number(x, "negative_slope", 0.0, &slope);
    if (st == NNOM_OK) st = kr_cfg_number(x, "threshold", 0.0, &threshold);
    if (st != NNOM_OK) return st;
    if (!(fabs(max_value) <= FLT_MAX && fabs(slope) <= FLT_MAX && fabs(threshold) <= FLT_MAX))
        return kr_layer_fail(x, NNOM_ERR_KERAS, "max_value, negative_slope and threshold must be finite numbers");
    kr_act a;
    act_init(&a);
    a.linear = 0;
    if (threshold == 0.0 && slope == 0.0 && !has_max) {
        a.type = NNOM_LAYER_RELU;
    } else if (threshold == 0.0 && slope == 0.0 && max_value == 6.0) {
        a.type = NNOM_LAYER_RELU6;
    } else if (threshold == 0.0 && !has_max) {
        a.type = NNOM_LAYER_LEAKY_RELU;
        a.alpha = slope;
    } else {
        const float k[4] = {(float)slope, (float)threshold, (float)max_value, has_max ? 1.0f : 0.0f};
        a = act_function(NNOM_FN_RELU, k);
    }
    return plan_act_layer(x, in[0], &a, out);
}

nnom_status kr_build_leaky_relu(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    kr_act a;
    act_init(&a);
    a.linear = 0;
    a.type = NNOM_LAYER_LEAKY_RELU;
    const char *key = kr_get(kr_cfg(x), "negative_slope") ? "negative_slope" : "alpha";
    nnom_status st = kr_cfg_number(x, key, 0.3, &a.alpha);
    if (st != NNOM_OK) return st;
    return plan_act_layer(x, in[0], &a, out);
}

/* ELU(alpha) */
nnom_status kr_build_elu(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    double alpha;
    nnom_status st = kr_cfg_number(x, "alpha", 1.0, &alpha);
    if (st != NNOM_OK) return st;
    if (!(fabs(alpha) <= FLT_MAX)) return kr_layer_fail(x, NNOM_ERR_KERAS, "alpha must be a finite number");
    const float k[1] = {(float)alpha};
    const kr_act a = act_function(NNOM_FN_ELU, k);
    return plan_act_layer(x, in[0], &a, out);
}

/* PReLU(shared_axes): alpha has the input's shape with the shared axes at 1. It becomes one alpha per channel
 * when every axis but the channels is shared, else one per element (the shared axes repeated). */
nnom_status kr_build_prelu(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const nnom_shape *s = &in[0]->shape;
    int shared[NNOM_MAX_RANK] = {0, 0, 0};
    const cJSON *axes = kr_get(kr_cfg(x), "shared_axes");
    if (axes && !cJSON_IsNull(axes)) {
        const int n = cJSON_IsArray(axes) ? cJSON_GetArraySize(axes) : 1;
        for (int i = 0; i < n; i++) {
            const cJSON *v = cJSON_IsArray(axes) ? cJSON_GetArrayItem(axes, i) : axes;
            int32_t a;
            if (!kr_json_int(v, -s->rank, s->rank, &a) || a == 0)
                return kr_layer_fail(x, NNOM_ERR_KERAS, "shared_axes must list axes 1 to %d of its input", s->rank);
            shared[a < 0 ? s->rank + a : a - 1] = 1;
        }
    }
    kr_weights w;
    nnom_status st = kr_read_weights(x, &w, 1, "alpha");
    if (st != NNOM_OK) return st;
    int64_t want[NNOM_MAX_RANK];
    for (int i = 0; i < s->rank; i++) want[i] = shared[i] ? 1 : s->dims[i];
    st = kr_check_dims(x, &w, 0, "alpha", s->rank, want);
    if (st != NNOM_OK) return st;
    int per_channel = !shared[s->rank - 1];
    for (int i = 0; i < s->rank - 1; i++) per_channel &= shared[i];
    const int64_t count = kr_count_of(s);
    const size_t n = per_channel ? (size_t)kr_channels(s) : (size_t)count;
    float *alpha = kr_alloc_floats(x, n);
    if (!alpha) {
        kr_weights_free(&w);
        return x->status;
    }
    /* element (i0, i1, i2) of the input reads alpha at the same index with the shared axes at 0 */
    for (int64_t e = 0; e < (int64_t)n; e++) {
        int64_t rest = e, src = 0, stride = 1;
        for (int i = s->rank - 1; i >= 0; i--) {
            const int64_t d = per_channel && i < s->rank - 1 ? 1 : s->dims[i];
            const int64_t idx = rest % d;
            rest /= d;
            src += (shared[i] ? 0 : idx) * stride;
            stride *= want[i];
        }
        alpha[e] = w.a[0].data[src];
    }
    kr_weights_free(&w);
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(alpha[i]) <= FLT_MAX)) return kr_layer_fail(x, NNOM_ERR_KERAS, "alpha %lu is not finite",
                                                                (unsigned long)i);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    const int id = kr_plan_add(x, NNOM_LAYER_PRELU, NULL, &in[0]->plan, 1, &p, *s);
    if (id < 0) return x->status;
    x->plans[id].desc.blobs[0].data = alpha;
    x->plans[id].desc.blobs[0].size = (uint32_t)(n * sizeof(float));
    out->plan = id;
    out->shape = *s;
    return NNOM_OK;
}

nnom_status kr_build_softmax(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const cJSON *v = kr_get(kr_cfg(x), "axis");
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) != 1)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "softmax over %d axes at once is not supported; supported: one "
                             "axis", cJSON_GetArraySize(v));
    int32_t axis = -1;
    nnom_status st = kr_cfg_ints(x, "axis", 1, &axis, -1);
    if (st != NNOM_OK) return st;
    const int32_t krank = in[0]->shape.rank + 1; /* Keras counts the batch */
    if (axis < -krank || axis >= krank || axis == 0 || axis == -krank)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "axis=%d is not supported for an input of rank %d; supported: "
                             "an axis other than the batch, in [1, %d] or [%d, -1]", (int)axis, (int)krank,
                             (int)(krank - 1), (int)(1 - krank));
    const int32_t from_end = axis < 0 ? axis : axis - krank; /* -1: the last axis */
    if (from_end == -1) {
        kr_act a;
        act_init(&a);
        a.linear = 0;
        a.type = NNOM_LAYER_SOFTMAX;
        return plan_act_layer(x, in[0], &a, out);
    }
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.axis = from_end;
    const int id = kr_plan_add(x, NNOM_LAYER_SOFTMAX, NULL, &in[0]->plan, 1, &p, in[0]->shape);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = in[0]->shape;
    return NNOM_OK;
}

/* Dropout and noise layers do nothing at inference: consumers read the input. */
