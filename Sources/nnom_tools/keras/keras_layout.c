/*
 * channels_first models. The runtime stores every tensor channels-last (HWC); Keras layers with
 * data_format="channels_first" see (C, H, W) or (C, W). Such a layer is converted as its
 * channels_last twin on the same values stored HWC (its weights do not depend on the data format),
 * and its output is marked kr_value.chw: Keras sees it channels-first, the runtime holds it HWC.
 * Each class says in the class table how it treats a marked value (kr_layout_rule):
 *
 *   KR_LAYOUT_DATA_FORMAT  with data_format="channels_first", its inputs are taken HWC (a PERMUTE from
 *                          Keras' layout for an unmarked input, e.g. the model's input) and its output is
 *                          marked; otherwise as KR_LAYOUT_KERAS. (Conv, pooling, padding, upsampling,
 *                          Flatten: Keras' Flatten(data_format="channels_first") flattens in HWC order.)
 *   KR_LAYOUT_ELEMENTWISE  the same function of every value: marked inputs of one rank pass as they are
 *                          and the output is marked (activations other than softmax, merges (broadcasting
 *                          between inputs of one rank commutes with the permutation), identities).
 *   KR_LAYOUT_AXIS         as ELEMENTWISE, with its option 'axis' moved to the stored layout (BatchNormalization
 *                          axis=1 becomes the last axis; Concatenate on channels joins the last axis).
 *   KR_LAYOUT_FLATTEN      Flatten: channels_first as DATA_FORMAT; a channels_last Flatten of a marked value
 *                          (Keras' (C, H, W) order) flattens it as stored and tags the vector (flat_hwc)
 *   KR_LAYOUT_FLAT_ROWS    Dense: reads a tagged vector as it is and reorders its kernel's rows to match
 *                          (so the usual Flatten -> Dense of a ported model costs no copy); else as KERAS.
 *   KR_LAYOUT_OWN          Permute: a permutation of a marked value is one of its stored value (none at all when
 *                          it gives back HWC), and Permute((3, 1, 2)) of an HWC value marks it instead of moving
 *                          it, so a model that permutes its input to channels-first pays nothing for it.
 *   KR_LAYOUT_KERAS        every marked input is first put back in Keras' layout by a PERMUTE (Reshape,
 *                          softmax, recurrent layers, ...), a tagged vector by a PERMUTE and a FLATTEN of
 *                          the value it came from, as are the model's outputs.
 * Element-wise layers of one tagged vector pass its tag on. Each PERMUTE made for a value is kept with the
 * value and shared by its readers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_layers.h"

nnom_shape kr_keras_shape(const kr_value *v)
{
    nnom_shape s = v->shape;
    if (!v->chw) return s;
    /* stored (H, W, C) / (W, C); Keras: (C, H, W) / (C, W) */
    s.dims[0] = v->shape.dims[v->shape.rank - 1];
    for (int i = 1; i < v->shape.rank; i++) s.dims[i] = v->shape.dims[i - 1];
    return s;
}

/* The stored HWC shape of a value Keras sees channels-first as @p k. */
static nnom_shape hwc_of(const nnom_shape *k)
{
    nnom_shape s = *k;
    for (int i = 0; i + 1 < k->rank; i++) s.dims[i] = k->dims[i + 1];
    s.dims[k->rank - 1] = k->dims[0];
    return s;
}

/* A PERMUTE of plan @p plan (shape @p from) into @p to: to HWC moves axis 0 last, to Keras' layout the last
 * axis first. Returns its plan or -1. */
static int plan_permute(kr_ctx *x, int plan, const nnom_shape *from, int to_hwc, nnom_shape to)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.shape_rank = from->rank;
    for (int i = 0; i < from->rank; i++)
        p.shape[i] = to_hwc ? (i + 1) % from->rank : (i + from->rank - 1) % from->rank;
    return kr_plan_add(x, NNOM_LAYER_PERMUTE, to_hwc ? "/to_hwc" : "/to_chw", &plan, 1, &p, to);
}

int kr_keras_plan(kr_ctx *x, kr_value *v)
{
    if (!v->chw && !v->flat_hwc) return v->plan;
    if (v->as_keras == 0) {
        int id;
        if (v->chw) {
            id = plan_permute(x, v->plan, &v->shape, 0, kr_keras_shape(v));
        } else { /* the chw value it was flattened from, in Keras' layout, flattened */
            kr_value src;
            memset(&src, 0, sizeof src);
            src.shape = v->flat_shape;
            src.chw = 1;
            id = plan_permute(x, v->flat_hwc - 1, &v->flat_shape, 0, kr_keras_shape(&src));
            if (id >= 0) memcpy(x->plans[id].keras, x->plans[v->flat_hwc - 1].keras, sizeof x->plans[id].keras);
            nnom_layer_params p;
            memset(&p, 0, sizeof p);
            if (id >= 0) id = kr_plan_add(x, NNOM_LAYER_FLATTEN, "/flat", &id, 1, &p, v->shape);
        }
        if (id < 0) return -1;
        /* this PERMUTE (or FLATTEN) computes the Keras output the value holds in another order */
        memcpy(x->plans[id].keras, x->plans[v->plan].keras, sizeof x->plans[id].keras);
        v->as_keras = id + 1;
    }
    return v->as_keras - 1;
}

int64_t kr_keras_flat_index(const nnom_shape *s, int64_t j)
{
    /* stored (H, W, C) / (W, C) row-major: j = p * C + c for position p; Keras (C, positions): c * P + p */
    const int64_t C = s->dims[s->rank - 1], P = kr_count_of(s) / C;
    return (j % C) * P + j / C;
}

/* The plan of @p v stored HWC (a channels-first reader's view): the value itself when marked, else a PERMUTE
 * of its Keras layout (rank 2 and 3; a vector is the same in both). */
static int hwc_plan(kr_ctx *x, kr_value *v, nnom_shape *shape)
{
    if (v->flat_hwc) {
        *shape = v->shape;
        return kr_keras_plan(x, v);
    }
    if (v->chw || v->shape.rank < 2) {
        *shape = v->shape;
        return v->plan;
    }
    *shape = hwc_of(&v->shape);
    if (v->as_hwc == 0) {
        const int id = plan_permute(x, v->plan, &v->shape, 1, *shape);
        if (id < 0) return -1;
        v->as_hwc = id + 1;
    }
    return v->as_hwc - 1;
}

/* Whether the layer applies a softmax (over Keras' last axis, which a stored HWC value does not have last). */
static int has_softmax(const kr_ctx *x)
{
    const char *a = kr_cfg_string(x, "activation", "");
    return strcmp(a, "softmax") == 0 || strcmp(a, "log_softmax") == 0 || kr_is_cls(x, "Softmax");
}

/* Keras axis option @p key of a marked input of rank @p rank, moved to the stored layout, into @p cfg. */
static nnom_status move_axis(kr_ctx *x, cJSON *cfg, const char *key, int rank)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
    const cJSON *item = cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1 ? cJSON_GetArrayItem(v, 0) : v;
    int32_t a = -1; /* Keras' default: the last axis */
    if (v && !kr_json_int(item, -rank - 1, rank, &a))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "option '%s' must be one axis from %d to %d on an input "
                             "Keras sees channels-first", key, -rank - 1, rank);
    if (a < 0) a += rank + 1; /* Keras counts the batch: axis 1 is the channels, 2 .. rank the positions */
    if (a == 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "option '%s' is the batch axis", key);
    const int stored = a == 1 ? rank : a - 1;
    cJSON *n = cJSON_CreateNumber(stored);
    if (!n) return kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    if (v) cJSON_ReplaceItemInObjectCaseSensitive(cfg, key, n);
    else cJSON_AddItemToObject(cfg, key, n);
    return NNOM_OK;
}

nnom_status kr_layout_prepare(kr_ctx *x, kr_layout_rule rule, const kr_value **in, kr_value *local, int n_in,
                              kr_layer *copy, cJSON **owned, kr_layout_out *lo)
{
    memset(lo, 0, sizeof *lo);
    *owned = NULL;
    /* numpy broadcasting of inputs of one rank commutes with permuting all their axes alike */
    int any = 0, all = 1, one_rank = 1;
    for (int j = 0; j < n_in; j++) {
        any |= in[j]->chw;
        all &= in[j]->chw;
        one_rank &= in[j]->shape.rank == in[0]->shape.rank;
    }
    const int channels_first = strcmp(kr_cfg_string(x, "data_format", "channels_last"), "channels_first") == 0;
    /* a Flatten of Keras' (C, H, W) order: the stored order, with the Dense reading it reordering its rows */
    if (rule == KR_LAYOUT_FLATTEN && !channels_first && in[0]->chw) {
        lo->flat_hwc = in[0]->plan + 1;
        lo->flat_shape = in[0]->shape;
        local[0] = *in[0];
        local[0].chw = 0;
        in[0] = &local[0];
        return NNOM_OK;
    }
    if (rule == KR_LAYOUT_FLAT_ROWS && in[0]->flat_hwc) return NNOM_OK;
    if (rule == KR_LAYOUT_OWN && !in[0]->flat_hwc) return NNOM_OK;
    /* an element-wise function of one vector keeps its order */
    if (rule == KR_LAYOUT_ELEMENTWISE && n_in == 1 && in[0]->flat_hwc && !has_softmax(x)) {
        lo->flat_hwc = in[0]->flat_hwc;
        lo->flat_shape = in[0]->flat_shape;
        return NNOM_OK;
    }
    if ((rule == KR_LAYOUT_DATA_FORMAT || rule == KR_LAYOUT_FLATTEN) && channels_first) {
        if (has_softmax(x))
            return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "an inline softmax with data_format 'channels_first' is not "
                                 "supported (Keras takes it over the width); use a separate Softmax layer");
        for (int j = 0; j < n_in; j++) {
            local[j] = *in[j];
            local[j].plan = hwc_plan(x, (kr_value *)in[j], &local[j].shape);
            if (local[j].plan < 0) return x->status;
            if (!in[j]->chw) local[j].fold = -1;
            local[j].chw = local[j].flat_hwc = 0;
            local[j].as_keras = local[j].as_hwc = 0;
            in[j] = &local[j];
        }
        x->channels_first = 1;
        lo->chw = 1;
        return NNOM_OK;
    }
    if (any && all && one_rank && !has_softmax(x) && (rule == KR_LAYOUT_ELEMENTWISE || rule == KR_LAYOUT_AXIS)) {
        if (rule == KR_LAYOUT_AXIS) {
            *copy = *x->layer;
            *owned = cJSON_Duplicate(kr_cfg(x), 1);
            if (!*owned) return kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
            nnom_status st = move_axis(x, *owned, "axis", in[0]->shape.rank);
            if (st != NNOM_OK) return st;
            copy->config = *owned;
            x->layer = copy;
        }
        lo->chw = 1;
        return NNOM_OK;
    }
    for (int j = 0; j < n_in; j++) {
        if (!in[j]->chw && !in[j]->flat_hwc) continue;
        local[j] = *in[j];
        local[j].plan = kr_keras_plan(x, (kr_value *)in[j]);
        if (local[j].plan < 0) return x->status;
        local[j].shape = kr_keras_shape(in[j]);
        local[j].fold = -1;
        local[j].chw = local[j].flat_hwc = 0;
        local[j].as_keras = local[j].as_hwc = 0;
        in[j] = &local[j];
    }
    return NNOM_OK;
}
