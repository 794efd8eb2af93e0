/* Keras recurrent layers: SimpleRNN, GRU, LSTM and Bidirectional. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_layers.h"

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
    if ((st = kr_check_dims(x, w, first, "kernel", 2, kd)) != NNOM_OK) return st;
    if ((st = kr_check_dims(x, w, first + 1, "recurrent_kernel", 2, rd)) != NNOM_OK) return st;
    if (s->use_bias) {
        st = two ? kr_check_dims(x, w, first + 2, "bias", 2, bd2) : kr_check_vector(x, w, first + 2, "bias", rows);
        if (st != NNOM_OK) return st;
    }
    const size_t kn = (size_t)in_features * rows, rn = (size_t)s->units * rows, bn = (size_t)rows * (two ? 2 : 1);
    float *k = kr_alloc_floats(x, kn), *r = kr_alloc_floats(x, rn), *b = s->use_bias ? kr_alloc_floats(x, bn) : NULL;
    if (!k || !r || (s->use_bias && !b)) return x->status;
    /* (in, rows) -> [rows][in], as a dense layer's kernel */
    kr_kernel_to_ohwi(w->a[first].data, k, 1, 1, in_features, rows);
    kr_kernel_to_ohwi(w->a[first + 1].data, r, 1, 1, s->units, rows);
    if (b) memcpy(b, w->a[first + 2].data, bn * sizeof(float)); /* (2, 3 units) is [input][recurrent] already */
    nnom_layer_desc *d = &x->plans[id].desc;
    d->blobs[0] = (nnom_blob){k, (uint32_t)(kn * sizeof(float))};
    d->blobs[1] = (nnom_blob){r, (uint32_t)(rn * sizeof(float))};
    if (b) d->blobs[2] = (nnom_blob){b, (uint32_t)(bn * sizeof(float))};
    return NNOM_OK;
}

static nnom_shape rnn_out_shape(const rnn_spec *s, int32_t steps)
{
    return (s->flags & NNOM_RNN_RETURN_SEQUENCES) ? kr_shape2(steps, s->units) : kr_shape1(s->units);
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
    return kr_check_rank(x, in, 2, "steps, features");
}

/* SimpleRNN, GRU, LSTM: one recurrent layer. */
nnom_status kr_build_rnn(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    rnn_spec s;
    nnom_status st = parse_rnn(x, "", kr_cls(x), kr_cfg(x), &s);
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
nnom_status kr_build_bidirectional(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const cJSON *layer = kr_get(kr_cfg(x), "layer"), *back = kr_get(kr_cfg(x), "backward_layer");
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
    const char *mode = kr_get_string(kr_cfg(x), "merge_mode", "concat");
    const cJSON *mv = kr_get(kr_cfg(x), "merge_mode");
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
            const int32_t C = kr_channels(&os);
            double *scale = (double *)calloc((size_t)C, sizeof *scale);
            double *zero = (double *)calloc((size_t)C, sizeof *zero);
            if (!scale || !zero) {
                free(scale);
                free(zero);
                return kr_layer_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
            }
            for (int32_t c = 0; c < C; c++) scale[c] = 0.5;
            id = kr_plan_affine(x, NULL, id, os, scale, zero);
            free(scale);
            free(zero);
        }
    }
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = os;
    return NNOM_OK;
}
