/*
 * Keras activations: the inline `activation=` option of any layer and the layers Activation, ReLU,
 * LeakyReLU and Softmax.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_layers.h"

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
nnom_status kr_finish_with_activation(kr_ctx *x, int cur, nnom_shape shape, int foldable, kr_value *out)
{
    kr_act a;
    nnom_status st = parse_activation(x, kr_get(kr_cfg(x), "activation"), &a);
    if (st != NNOM_OK) return st;
    st = apply_activation(x, &a, &cur, shape, 1, foldable ? cur : -1, "/act");
    if (st != NNOM_OK) return st;
    out->plan = cur;
    out->shape = shape;
    out->fold = foldable && a.kind == ACT_LINEAR ? cur : -1;
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

nnom_status kr_build_activation(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    kr_act a;
    nnom_status st = parse_activation(x, kr_get(kr_cfg(x), "activation"), &a);
    if (st != NNOM_OK) return st;
    return plan_act_layer(x, in[0], &a, out);
}

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

nnom_status kr_build_leaky_relu(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    kr_act a = {ACT_LEAKY_RELU, 1.0, 0.3};
    const char *key = kr_get(kr_cfg(x), "negative_slope") ? "negative_slope" : "alpha";
    nnom_status st = kr_cfg_number(x, key, 0.3, &a.alpha);
    if (st != NNOM_OK) return st;
    return plan_act_layer(x, in[0], &a, out);
}

nnom_status kr_build_softmax(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    nnom_status st = kr_check_last_axis(x, in[0], "axis", -1);
    if (st != NNOM_OK) return st;
    kr_act a = {ACT_SOFTMAX, 1.0, 0.0};
    return plan_act_layer(x, in[0], &a, out);
}

/* Dropout and noise layers do nothing at inference: consumers read the input. */
