/*
 * Keras layers that move values: Flatten, Reshape, Permute, RepeatVector, ZeroPadding, Cropping,
 * UpSampling; the layers that do nothing at inference (Dropout, noise, Identity); TimeDistributed
 * of a layer that acts on the last axis alone; and Masking, which is refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_layers.h"

/* ------------------------------------------------------------------ shape layers */

nnom_status kr_build_flatten(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    nnom_status st = kr_check_channels_last(x);
    if (st != NNOM_OK) return st;
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    const int64_t count = kr_count_of(&in[0]->shape); /* every planned shape holds at most 2^28 elements */
    int id = kr_plan_add(x, NNOM_LAYER_FLATTEN, NULL, &in[0]->plan, 1, &p, kr_shape1((int32_t)count));
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = kr_shape1((int32_t)count);
    return NNOM_OK;
}

nnom_status kr_build_reshape(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const cJSON *t = kr_get(kr_cfg(x), "target_shape");
    const int n = cJSON_IsArray(t) ? cJSON_GetArraySize(t) : -1;
    if (n < 1 || n > NNOM_MAX_RANK)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "target_shape must have 1 to %d dimensions (batch excluded)",
                             NNOM_MAX_RANK);
    const int64_t count = kr_count_of(&in[0]->shape);
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
    const cJSON *v = kr_get(kr_cfg(x), key);
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

nnom_status kr_build_pad_crop(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int one_d = strstr(kr_cls(x), "1D") != NULL, crop = strncmp(kr_cls(x), "Cropping", 8) == 0;
    nnom_status st = kr_check_channels_last(x);
    if (st != NNOM_OK) return st;
    if ((st = kr_check_rank(x, in[0], one_d ? 2 : 3, one_d ? "steps, channels" : "height, width, channels")) != NNOM_OK)
        return st;
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    if ((st = get_pad4(x, crop ? "cropping" : "padding", one_d, p.pad)) != NNOM_OK) return st;
    const nnom_shape *is = &in[0]->shape;
    const int sign = crop ? -1 : 1;
    nnom_shape os;
    if (one_d) {
        os = kr_shape2(is->dims[0] + sign * (p.pad[2] + p.pad[3]), is->dims[1]);
    } else {
        os = kr_shape3(is->dims[0] + sign * (p.pad[0] + p.pad[1]), is->dims[1] + sign * (p.pad[2] + p.pad[3]),
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

nnom_status kr_build_upsampling(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int one_d = kr_is_cls(x, "UpSampling1D");
    nnom_status st = kr_check_channels_last(x);
    if (st != NNOM_OK) return st;
    if ((st = kr_check_rank(x, in[0], one_d ? 2 : 3, one_d ? "steps, channels" : "height, width, channels")) != NNOM_OK)
        return st;
    const char *interp = kr_cfg_string(x, "interpolation", "nearest");
    if (strcmp(interp, "nearest") != 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "interpolation '%s' is not supported; supported: nearest",
                             interp);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.size[0] = p.size[1] = 1;
    if ((st = kr_cfg_ints(x, "size", one_d ? 1 : 2, p.size + (one_d ? 1 : 0), 2)) != NNOM_OK) return st;
    if (p.size[0] < 1 || p.size[1] < 1 || p.size[0] > 4096 || p.size[1] > 4096)
        return kr_layer_fail(x, NNOM_ERR_KERAS, "size must be at least 1");
    const nnom_shape *is = &in[0]->shape;
    const int64_t uh = one_d ? 1 : (int64_t)is->dims[0] * p.size[0];
    const int64_t uw = (int64_t)is->dims[one_d ? 0 : 1] * p.size[1];
    if (uh * uw * kr_channels(is) > (1 << 28))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "the upsampled output is larger than 2^28 elements");
    const nnom_shape os = one_d ? kr_shape2((int32_t)uw, is->dims[1])
                                : kr_shape3((int32_t)uh, (int32_t)uw, is->dims[2]);
    int id = kr_plan_add(x, one_d ? NNOM_LAYER_UPSAMPLING1D : NNOM_LAYER_UPSAMPLING2D, NULL, &in[0]->plan, 1, &p, os);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = os;
    return NNOM_OK;
}

nnom_status kr_build_identity(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)x;
    (void)n_in;
    out->plan = in[0]->plan;
    out->shape = in[0]->shape;
    out->fold = in[0]->fold;
    return NNOM_OK;
}

/* Masking: nnom runs every step of every sequence; a mask would change what recurrent layers compute. */
nnom_status kr_build_masking(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)in;
    (void)n_in;
    (void)out;
    return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "masks are not supported: every step of a sequence is computed; "
                         "remove the Masking layer (and mask_zero of an Embedding) and pad with values the model "
                         "was trained on");
}

/* The layers TimeDistributed may wrap: each acts on the last axis alone, so the wrapped layer applied to
 * the whole input is the layer applied to every step (Dense on (steps, features) is a Conv1D of kernel 1);
 * and Conv1D, which on (steps, width, channels) becomes a Conv2D of kernel height 1 (keras_conv.c). */
static const char *const per_step_classes[] = {"Dense",     "Activation", "ReLU",    "LeakyReLU",
                                               "ELU",       "Softmax",    "Dropout", "Conv1D"};
#define KR_PER_STEP "Dense, Activation, ReLU, LeakyReLU, ELU, Softmax, Dropout, Conv1D"

nnom_status kr_build_time_distributed(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    const cJSON *inner = kr_get(kr_cfg(x), "layer");
    if (!cJSON_IsObject(inner)) return kr_layer_fail(x, NNOM_ERR_KERAS, "the config has no wrapped 'layer'");
    const char *cls = kr_get_string(inner, "class_name", "?");
    int ok = 0;
    for (size_t i = 0; i < sizeof per_step_classes / sizeof per_step_classes[0]; i++)
        ok |= strcmp(cls, per_step_classes[i]) == 0;
    const kr_class *k = ok ? kr_class_find(cls) : NULL;
    if (!k)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "TimeDistributed(%s) is not supported%s; supported: "
                             "TimeDistributed of " KR_PER_STEP, cls,
                             strstr(cls, "2D") ? " (a sequence of images has rank 4, nnom tensors at most rank 3)"
                                               : "");
    if (in[0]->shape.rank < 2)
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "needs an input with a time axis (rank 2 or 3, batch excluded), but "
                             "its input has rank 1");
    /* the wrapped layer, converted under the wrapper's name with the wrapper's input */
    kr_layer wrapped = *x->layer;
    wrapped.cls = cls;
    wrapped.config = kr_get(inner, "config");
    if (!cJSON_IsObject(wrapped.config)) return kr_layer_fail(x, NNOM_ERR_KERAS, "its wrapped layer has no config");
    static const char *const subs[] = {"layer"};
    const kr_layer *outer = x->layer;
    x->layer = &wrapped;
    x->weight_subs = subs;
    x->n_weight_subs = 1;
    x->time_distributed = 1;
    const nnom_status st = k->build(x, in, n_in, out);
    x->layer = outer;
    x->weight_subs = NULL;
    x->n_weight_subs = 0;
    x->time_distributed = 0;
    return st;
}

/* Permute(dims): output axis i is input axis dims[i] - 1 (Keras counts from 1, the batch excluded). Its input
 * may be marked chw (keras_layout.c): Keras sees (C, H, W), the plan holds (H, W, C). */
nnom_status kr_build_permute(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const nnom_shape ks = kr_keras_shape(in[0]);
    const nnom_shape *is = &ks;
    const cJSON *dims = kr_get(kr_cfg(x), "dims");
    if (!cJSON_IsArray(dims) || cJSON_GetArraySize(dims) != is->rank)
        return kr_layer_fail(x, NNOM_ERR_KERAS, "option 'dims' must list %d axes, one per axis of its input (batch "
                             "excluded)", (int)is->rank);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.shape_rank = is->rank;
    nnom_shape os;
    memset(&os, 0, sizeof os);
    os.rank = is->rank;
    int seen = 0;
    for (int i = 0; i < is->rank; i++) {
        int32_t a = 0;
        if (!kr_json_int(cJSON_GetArrayItem(dims, i), 1, is->rank, &a) || (seen & (1 << a)))
            return kr_layer_fail(x, NNOM_ERR_KERAS, "option 'dims' must be a permutation of 1 to %d", (int)is->rank);
        seen |= 1 << a;
        /* the stored axis of Keras axis a - 1: the channels are last in a marked value */
        const int k = a - 1;
        p.shape[i] = !in[0]->chw ? k : (k == 0 ? is->rank - 1 : k - 1);
        os.dims[i] = is->dims[k];
    }
    int identity = 1, to_chw = !in[0]->chw && is->rank >= 2;
    for (int i = 0; i < is->rank; i++) {
        identity &= p.shape[i] == i;
        to_chw &= p.shape[i] == (i + is->rank - 1) % is->rank; /* the channels first, the positions after */
    }
    if (identity || to_chw) { /* no layer: the stored value is already the output, or is it marked */
        out->plan = in[0]->plan;
        out->shape = in[0]->shape;
        out->chw = to_chw;
        return NNOM_OK;
    }
    int id = kr_plan_add(x, NNOM_LAYER_PERMUTE, NULL, &in[0]->plan, 1, &p, os);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = os;
    return NNOM_OK;
}

/* RepeatVector(n): a vector (F) becomes (n, F), a RESHAPE to (1, F) then a 1D upsampling by n. */
nnom_status kr_build_repeat_vector(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    nnom_status st = kr_check_rank(x, in[0], 1, "features");
    if (st != NNOM_OK) return st;
    int32_t n = 0;
    if ((st = kr_cfg_ints(x, "n", 1, &n, 0)) != NNOM_OK) return st;
    const int32_t f = in[0]->shape.dims[0];
    if (n < 1 || (int64_t)n * f > (1 << 28))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "n is %d; supported: at least 1, with at most 2^28 elements in "
                             "the output", (int)n);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.shape_rank = 2;
    p.shape[0] = 1;
    p.shape[1] = f;
    int id = kr_plan_add(x, NNOM_LAYER_RESHAPE, "/row", &in[0]->plan, 1, &p, kr_shape2(1, f));
    if (id < 0) return x->status;
    memset(&p, 0, sizeof p);
    p.size[0] = 1;
    p.size[1] = n;
    if ((id = kr_plan_add(x, NNOM_LAYER_UPSAMPLING1D, NULL, &id, 1, &p, kr_shape2(n, f))) < 0) return x->status;
    out->plan = id;
    out->shape = kr_shape2(n, f);
    return NNOM_OK;
}
