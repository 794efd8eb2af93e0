/*
 * Keras classes of transformer models: LayerNormalization (over the last axis) as LAYER_NORM.
 * kr_class_find() (keras_classes.c) asks kr_transformer_class_find() for the classes it does not
 * know itself. And user operators: a Lambda layer, or a layer of a class the reader does not know,
 * named by an operator of the converter's registry becomes a CUSTOM layer (kr_user_op_class()).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "keras/keras_internal.h"

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

static const kr_class transformer_classes[] = {
    {"LayerNormalization", build_layer_norm, 1, 1, KR_LAYOUT_KERAS},
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
