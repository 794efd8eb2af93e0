/*
 * Shared by the .tflite operator mappers: adding nnom layers for an
 * operator (names, views, fused activations), reading option fields and
 * small constant vectors. The reading of the file and the operator table
 * are in tflite_reader.c.
 */
#include <stdio.h>
#include <string.h>

#include "tflite/tflite_internal.h"

const char *tfl_layer_name(tfl_ctx *x, const tfl_tensor *t, const char *suffix)
{
    (void)t;
    char *name = (char *)tfl_store(x, NNOM_NAME_MAX);
    if (!name) return NULL;
    char lower[NNOM_NAME_MAX];
    const char *op = tfl_op_name(x->ops[x->index].code);
    size_t i = 0;
    for (; op[i] && i + 1 < sizeof lower; i++) lower[i] = (char)(op[i] >= 'A' && op[i] <= 'Z' ? op[i] - 'A' + 'a' : op[i]);
    lower[i] = '\0';
    snprintf(name, NNOM_NAME_MAX, "%.16s_%d%s", lower, (int)x->index, suffix ? suffix : "");
    return name;
}

nnom_status tfl_add(tfl_ctx *x, nnom_layer_desc *d, tfl_tensor *out, int32_t *id)
{
    int32_t lid = -1;
    nnom_status st = nnom_model_add_layer(x->m, d, &lid);
    if (st != NNOM_OK) return tfl_fail(x, st, "%s", nnom_model_last_error(x->m));
    if (out) out->layer = lid;
    if (id) *id = lid;
    return NNOM_OK;
}

nnom_status tfl_fused(tfl_ctx *x, int32_t act, int32_t *nnom_act)
{
    if (act == TFL_ACT_NONE) *nnom_act = NNOM_ACT_NONE;
    else if (act == TFL_ACT_RELU) *nnom_act = NNOM_ACT_RELU;
    else if (act == TFL_ACT_RELU6) *nnom_act = NNOM_ACT_RELU6;
    else
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "fused activation %d is not supported; supported: 0 (none), 1 (RELU), "
                        "2 (RELU_N1_TO_1), 3 (RELU6)", (int)act);
    return NNOM_OK;
}

nnom_status tfl_multiplier(tfl_ctx *x, double real, int32_t *multiplier, int32_t *shift, const char *what)
{
    if (nnom_quant_multiplier(real, multiplier, shift) != NNOM_OK)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "%s: the scale ratio %g has no int32 multiplier and shift", what,
                        real);
    return NNOM_OK;
}

nnom_status tfl_opt_i32(tfl_ctx *x, const tfl_op *op, uint32_t id, int32_t def, int32_t *out)
{
    *out = def;
    if (op->has_options && nnom_fb_i32(&op->options, id, def, out, "options") != 0)
        return tfl_fail(x, NNOM_ERR_FORMAT, "bad options: %s", x->fb.error);
    return NNOM_OK;
}

nnom_status tfl_opt_i8(tfl_ctx *x, const tfl_op *op, uint32_t id, int8_t def, int32_t *out)
{
    int8_t v = def;
    if (op->has_options && nnom_fb_i8(&op->options, id, def, &v, "options") != 0)
        return tfl_fail(x, NNOM_ERR_FORMAT, "bad options: %s", x->fb.error);
    *out = v;
    return NNOM_OK;
}

nnom_status tfl_opt_f32(tfl_ctx *x, const tfl_op *op, uint32_t id, float def, float *out)
{
    *out = def;
    if (op->has_options && nnom_fb_f32(&op->options, id, def, out, "options") != 0)
        return tfl_fail(x, NNOM_ERR_FORMAT, "bad options: %s", x->fb.error);
    return NNOM_OK;
}

nnom_status tfl_const_i32(tfl_ctx *x, const tfl_tensor *t, int32_t *out, int32_t cap, int32_t *n, const char *what)
{
    const int64_t count = tfl_count(t);
    if (count > cap)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "%s tensor '%s' has %lld values, at most %d are supported", what,
                        t->name, (long long)count, (int)cap);
    nnom_status st = tfl_constant(x, t, TFL_TYPE_INT32, count, what);
    if (st != NNOM_OK) return st;
    for (int64_t i = 0; i < count; i++) {
        const uint8_t *p = t->data + 4 * i;
        out[i] = (int32_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
    }
    *n = (int32_t)count;
    return NNOM_OK;
}

static int same_shape(const nnom_shape *a, const nnom_shape *b)
{
    return a->rank == b->rank && memcmp(a->dims, b->dims, sizeof a->dims) == 0;
}

nnom_status tfl_view(tfl_ctx *x, int32_t *id, const nnom_shape *have, const nnom_shape *shape, nnom_quant q,
                     const char *suffix)
{
    if (same_shape(have, shape)) return NNOM_OK;
    nnom_layer_desc r;
    nnom_layer_desc_init(&r);
    r.type = NNOM_LAYER_RESHAPE;
    r.name = tfl_layer_name(x, NULL, suffix);
    r.n_inputs = 1;
    r.inputs[0] = *id;
    r.params.shape_rank = shape->rank;
    memcpy(r.params.shape, shape->dims, sizeof shape->dims);
    r.quant = q;
    return tfl_add(x, &r, NULL, id);
}

nnom_status tfl_reshape_to(tfl_ctx *x, int32_t id, const nnom_shape *have, tfl_tensor *out)
{
    nnom_shape want;
    nnom_status st = tfl_shape(x, out, &want);
    if (st == NNOM_OK) st = tfl_view(x, &id, have, &want, tfl_quant(out), "_r");
    if (st == NNOM_OK) out->layer = id;
    return st;
}

nnom_status tfl_add_unary(tfl_ctx *x, nnom_layer_desc *d, const tfl_tensor *in, tfl_tensor *out)
{
    d->name = tfl_layer_name(x, out, NULL);
    d->n_inputs = 1;
    d->inputs[0] = in->layer;
    d->quant = tfl_quant(out);
    return tfl_add(x, d, out, NULL);
}

nnom_status tfl_add_fused(tfl_ctx *x, nnom_layer_desc *d, const tfl_tensor *in, int32_t act, tfl_tensor *out)
{
    const int clamp = act == TFL_ACT_RELU_N1_TO_1; /* nnom fuses RELU and RELU6 only */
    nnom_status st = tfl_fused(x, clamp ? TFL_ACT_NONE : act, &d->params.activation);
    if (st == NNOM_OK) st = tfl_add_unary(x, d, in, out);
    if (st != NNOM_OK || !clamp) return st;
    return tfl_clamp_layer(x, act, out, NULL);
}

nnom_status tfl_same_quant(tfl_ctx *x, const tfl_tensor *in, const tfl_tensor *out)
{
    const nnom_quant a = tfl_quant(in), b = tfl_quant(out);
    if (a.scale != b.scale || a.zero_point != b.zero_point)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "input '%s' and output '%s' have different quantisations; nnom "
                        "needs them equal for this operator", in->name, out->name);
    return NNOM_OK;
}

nnom_status tfl_opt_bool(tfl_ctx *x, const tfl_op *op, uint32_t id, int32_t *out)
{
    uint8_t v = 0;
    if (op->has_options && nnom_fb_u8(&op->options, id, 0, &v, "options") != 0)
        return tfl_fail(x, NNOM_ERR_FORMAT, "bad options: %s", x->fb.error);
    *out = v != 0;
    return NNOM_OK;
}
