/* Keras merge layers: Add, Subtract, Multiply, Minimum, Maximum, Average, Concatenate. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_layers.h"

/* ------------------------------------------------------------------ merging */

/* 1 if @p v is a per-channel vector for @p full: all ones but a last dimension equal to full's. */
static int is_channel_vector(const nnom_shape *v, const nnom_shape *full)
{
    if (v->rank > full->rank || kr_channels(v) != kr_channels(full) || kr_same_shape(v, full)) return 0;
    for (int i = 0; i + 1 < v->rank; i++)
        if (v->dims[i] != 1) return 0;
    return 1;
}

/* numpy's broadcast of @p a and @p b into @p out (may alias either); 0 when they do not broadcast */
static int broadcast_shape(const nnom_shape *a, const nnom_shape *b, nnom_shape *out)
{
    nnom_shape r;
    memset(&r, 0, sizeof r);
    r.rank = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 1; i <= r.rank; i++) {
        const int32_t da = i <= a->rank ? a->dims[a->rank - i] : 1, db = i <= b->rank ? b->dims[b->rank - i] : 1;
        if (da != db && da != 1 && db != 1) return 0;
        r.dims[r.rank - i] = da > db ? da : db;
    }
    *out = r;
    return 1;
}

/*
 * Plans the layers that repeat the value of plan @p plan (shape @p vs, which broadcasts to @p full) to the full
 * shape: a reshape to full's rank, a 1x1 depthwise convolution of multiplier C with weights 1 for a single channel
 * (exact in float32), an upsampling (a plain copy) for the other axes. Returns the last plan or -1.
 */
static int repeat_to(kr_ctx *x, int plan, nnom_shape vs, nnom_shape full, int idx)
{
    char sfx[48];
    nnom_layer_params p;
    /* rank: prepend ones (a vector of one value against a vector: (1) -> (1, 1) to give it a position axis) */
    nnom_shape s = vs;
    const int rank = full.rank > 1 ? full.rank : 2;
    if (s.rank != rank) {
        memset(&s, 0, sizeof s);
        s.rank = rank;
        for (int i = 1; i <= rank; i++) s.dims[rank - i] = i <= vs.rank ? vs.dims[vs.rank - i] : 1;
        memset(&p, 0, sizeof p);
        p.shape_rank = s.rank;
        for (int i = 0; i < s.rank; i++) p.shape[i] = s.dims[i];
        snprintf(sfx, sizeof sfx, "/broadcast%d/rank", idx);
        if ((plan = kr_plan_add(x, NNOM_LAYER_RESHAPE, sfx, &plan, 1, &p, s)) < 0) return -1;
    }
    const int32_t C = kr_channels(&full);
    if (kr_channels(&s) != C) {
        float *w = kr_alloc_floats(x, (size_t)C);
        if (!w) return -1;
        for (int32_t i = 0; i < C; i++) w[i] = 1.0f;
        memset(&p, 0, sizeof p);
        p.kernel[0] = p.kernel[1] = 1;
        p.units = C;
        s.dims[s.rank - 1] = C;
        snprintf(sfx, sizeof sfx, "/broadcast%d/channels", idx);
        plan = kr_plan_weighted(x, s.rank == 2 ? NNOM_LAYER_DEPTHWISE_CONV1D : NNOM_LAYER_DEPTHWISE_CONV2D, sfx, plan,
                                &p, s, w, (size_t)C, NULL, C, 1);
        if (plan < 0) return -1;
    }
    if (full.rank > 1 && !kr_same_shape(&s, &full)) {
        memset(&p, 0, sizeof p);
        p.size[0] = full.rank == 3 ? full.dims[0] / s.dims[0] : 1;
        p.size[1] = full.rank == 3 ? full.dims[1] / s.dims[1] : full.dims[0] / s.dims[0];
        snprintf(sfx, sizeof sfx, "/broadcast%d/repeat", idx);
        plan = kr_plan_add(x, full.rank == 3 ? NNOM_LAYER_UPSAMPLING2D : NNOM_LAYER_UPSAMPLING1D, sfx, &plan, 1, &p,
                           full);
        if (plan < 0) return -1;
    }
    if (full.rank == 1) { /* back from (1, C) to (C) */
        memset(&p, 0, sizeof p);
        p.shape_rank = 1;
        p.shape[0] = C;
        snprintf(sfx, sizeof sfx, "/broadcast%d/vector", idx);
        plan = kr_plan_add(x, NNOM_LAYER_RESHAPE, sfx, &plan, 1, &p, full);
    }
    return plan;
}

nnom_status kr_build_merge(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    static const struct {
        const char *cls;
        nnom_layer_type type;
    } merges[] = {{"Add", NNOM_LAYER_ADD},         {"Subtract", NNOM_LAYER_SUBTRACT}, {"Multiply", NNOM_LAYER_MULTIPLY},
                  {"Minimum", NNOM_LAYER_MINIMUM}, {"Maximum", NNOM_LAYER_MAXIMUM},   {"Average", NNOM_LAYER_ADD}};
    nnom_layer_type t = NNOM_LAYER_ADD;
    for (size_t i = 0; i < sizeof merges / sizeof merges[0]; i++)
        if (kr_is_cls(x, merges[i].cls)) t = merges[i].type;
    /* Average: the sum, then a per-channel scale by 1 / n */
    const int average = kr_is_cls(x, "Average");
    if (t == NNOM_LAYER_SUBTRACT && n_in != 2)
        return kr_layer_fail(x, NNOM_ERR_KERAS, "takes exactly 2 inputs, %d given", n_in);
    /* the output shape: numpy's broadcasting of every input (axes aligned from the right, each 1 or the size) */
    nnom_shape full = in[0]->shape;
    for (int i = 1; i < n_in; i++)
        if (!broadcast_shape(&full, &in[i]->shape, &full)) {
            char a[64], b[64];
            kr_shape_text(&in[0]->shape, a, sizeof a);
            kr_shape_text(&in[i]->shape, b, sizeof b);
            return kr_layer_fail(x, NNOM_ERR_SHAPE, "input shapes %s and %s (input %d) do not broadcast: each axis "
                                 "must be equal or 1", a, b, i);
        }
    if (kr_count_of(&full) > (1 << 28))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "the broadcast output is larger than 2^28 elements");
    /* the running result: a full-shaped input, else input 0 repeated to the full shape (Subtract keeps its order:
     * the runtime broadcasts only its second input) */
    int first = 0;
    if (t != NNOM_LAYER_SUBTRACT)
        for (int i = 0; i < n_in; i++)
            if (kr_same_shape(&in[i]->shape, &full)) {
                first = i;
                break;
            }
    int cur = in[first]->plan;
    if (!kr_same_shape(&in[first]->shape, &full)) {
        cur = repeat_to(x, cur, in[first]->shape, full, first);
        if (cur < 0) return x->status;
    }
    int step = 0;
    const int steps = n_in - 1;
    for (int i = 0; i < n_in; i++) {
        if (i == first) continue;
        int other = in[i]->plan;
        if (is_channel_vector(&in[i]->shape, &full)) {
            /* the runtime's cheap form: a second input of C values, read again at every position */
            if (in[i]->shape.rank > 1) {
                nnom_layer_params r;
                memset(&r, 0, sizeof r);
                r.shape_rank = 1;
                r.shape[0] = kr_channels(&full);
                char sfx[32];
                snprintf(sfx, sizeof sfx, "/vector%d", i);
                other = kr_plan_add(x, NNOM_LAYER_RESHAPE, sfx, &other, 1, &r, kr_shape1(kr_channels(&full)));
                if (other < 0) return x->status;
            }
        } else if (!kr_same_shape(&in[i]->shape, &full)) {
            other = repeat_to(x, other, in[i]->shape, full, i);
            if (other < 0) return x->status;
        }
        int ins[2] = {cur, other};
        nnom_layer_params p;
        memset(&p, 0, sizeof p);
        step++;
        char sfx[32];
        snprintf(sfx, sizeof sfx, "/%d", step);
        cur = kr_plan_add(x, t, step == steps && !average ? NULL : sfx, ins, 2, &p, full);
        if (cur < 0) return x->status;
    }
    if (average) {
        const int32_t C = kr_channels(&full);
        double *scale = (double *)calloc((size_t)C * 2u, sizeof *scale);
        if (!scale) return kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
        for (int32_t i = 0; i < C; i++) scale[i] = 1.0 / n_in;
        cur = kr_plan_affine(x, NULL, cur, full, scale, scale + C);
        free(scale);
        if (cur < 0) return x->status;
    }
    out->plan = cur;
    out->shape = full;
    out->fold = cur; /* a ReLU after it may fuse (add, subtract and multiply carry relu/relu6) */
    return NNOM_OK;
}

nnom_status kr_build_concatenate(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    int32_t axis = -1;
    nnom_status st = kr_cfg_ints(x, "axis", 1, &axis, -1);
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

/* The affine form y = x * scale + offset of operation @p x (a tensor and the number @p c, @p c_first when the
 * number is the first argument); fails for a form that is not affine. */
static nnom_status operation_affine(kr_ctx *x, double c, int c_first, double *scale, double *offset)
{
    *scale = 1.0;
    *offset = 0.0;
    if (kr_is_cls(x, "Add")) {
        *offset = c;
    } else if (kr_is_cls(x, "Subtract")) {
        *scale = c_first ? -1.0 : 1.0;
        *offset = c_first ? c : -c;
    } else if (kr_is_cls(x, "Multiply")) {
        *scale = c;
    } else if (kr_is_cls(x, "Divide") || kr_is_cls(x, "TrueDivide")) {
        if (c_first)
            return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "a number divided by a tensor is not supported (only a "
                                 "tensor divided by a number)");
        if (c == 0.0) return kr_layer_fail(x, NNOM_ERR_KERAS, "divides by the number 0");
        *scale = 1.0 / c;
    } else {
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "of a tensor and a number is not supported (only of two "
                             "tensors)");
    }
    if (!isfinite(*scale) || !isfinite(*offset))
        return kr_layer_fail(x, NNOM_ERR_KERAS, "the number %g gives a scale or offset that is not finite", c);
    return NNOM_OK;
}

/* A Keras 3 operation called on tensors (keras_classes.c: `a + b`, `x * 0.5`, keras.ops.add(...)): of two
 * tensors, the merge layer of the same name (numpy broadcasting, as the layers); of a tensor and a number
 * (x + c, c + x, x - c, c - x, x * c, c * x, x / c), a per-channel affine layer, as Rescaling. The number
 * is the call argument beside the tensor. */
nnom_status kr_build_operation(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    if (n_in == 2) {
        if (kr_is_cls(x, "Divide") || kr_is_cls(x, "TrueDivide"))
            return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "dividing a tensor by a tensor is not supported (only by "
                                 "a number)");
        return kr_build_merge(x, in, n_in, out);
    }
    const cJSON *args = x->layer->nodes[x->node].args;
    const int n_args = cJSON_IsArray(args) ? cJSON_GetArraySize(args) : 0;
    const cJSON *a = cJSON_GetArrayItem(args, 0), *b = cJSON_GetArrayItem(args, 1);
    const cJSON *number = n_args != 2 ? NULL : cJSON_IsNumber(a) ? a : cJSON_IsNumber(b) ? b : NULL;
    if (!number)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "takes a tensor and a number; the call gives %d argument%s "
                             "and no number beside the tensor (a constant array is not supported)", n_args,
                             n_args == 1 ? "" : "s");
    double s, t;
    nnom_status st = operation_affine(x, number->valuedouble, number == a, &s, &t);
    if (st != NNOM_OK) return st;
    const int32_t C = kr_channels(&in[0]->shape);
    double *scale = (double *)calloc((size_t)C * 2u, sizeof *scale);
    if (!scale) return kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    for (int32_t i = 0; i < C; i++) {
        scale[i] = s;
        scale[C + i] = t;
    }
    const int id = kr_plan_affine(x, NULL, in[0]->plan, in[0]->shape, scale, scale + C);
    free(scale);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = in[0]->shape;
    out->fold = in[0]->shape.rank >= 2 ? id : -1;
    return NNOM_OK;
}
