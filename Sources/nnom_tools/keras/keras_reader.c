/*
 * nnom_keras_read(): a Keras model file to a compiled float32 nnom model.
 *
 * The graph is walked in dependency order from the model's inputs, visiting
 * only the calls the outputs depend on. Each call's class converter (the
 * table in keras_classes.c) plans nnom layers; the plan is a list whose index
 * is the nnom layer id, so a later BatchNormalization can still fold into
 * the convolution planned before it. Then the plan is named (Keras names,
 * truncated to NNOM_NAME_MAX - 1 bytes and made unique), added to a float32
 * model, one OUTPUT per Keras output, and compiled; the shapes the runtime
 * infers are checked against those the converter expected.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_internal.h"

int kr_plan_add(kr_ctx *x, nnom_layer_type type, const char *suffix, const int *inputs, int n_inputs,
                const nnom_layer_params *params, nnom_shape shape)
{
    if (x->n_plans == x->cap_plans) {
        int cap = x->cap_plans ? x->cap_plans * 2 : 64;
        kr_plan *grown = (kr_plan *)realloc(x->plans, (size_t)cap * sizeof *grown);
        if (!grown) {
            x->status = nnom_converter_fail(x->c, NNOM_ERR_NO_MEMORY, "out of memory for %d layers", cap);
            return -1;
        }
        x->plans = grown;
        x->cap_plans = cap;
    }
    if (n_inputs > NNOM_MAX_INPUTS) {
        x->status = nnom_converter_fail(x->c, NNOM_ERR_UNSUPPORTED, "layer '%s': %d inputs, at most %d supported",
                                        x->base, n_inputs, NNOM_MAX_INPUTS);
        return -1;
    }
    /* every shape is checked where it is made: class converters compute within these bounds */
    int64_t count = 1;
    int ok = shape.rank >= 1 && shape.rank <= NNOM_MAX_RANK;
    for (int i = 0; ok && i < shape.rank && count <= (1 << 28); i++) {
        ok = shape.dims[i] >= 1;
        count *= shape.dims[i];
    }
    if (!ok || count > (1 << 28)) {
        x->status = nnom_converter_fail(x->c, NNOM_ERR_UNSUPPORTED, "layer '%s': its output shape is %s; supported: "
                                        "rank 1 to %d with at most 2^28 elements", x->base,
                                        ok ? "too large" : "invalid", NNOM_MAX_RANK);
        return -1;
    }
    kr_plan *p = &x->plans[x->n_plans];
    memset(p, 0, sizeof *p);
    nnom_layer_desc_init(&p->desc);
    p->desc.type = type;
    p->desc.n_inputs = n_inputs;
    for (int i = 0; i < n_inputs; i++) p->desc.inputs[i] = inputs[i];
    if (params) p->desc.params = *params;
    snprintf(p->name, sizeof p->name, "%s%s", x->base, suffix ? suffix : "");
    p->shape = shape;
    return x->n_plans++;
}

/* ------------------------------------------------------------------ names */

/* Copies at most @p max bytes of @p s without cutting a UTF-8 sequence. */
static void copy_truncated(char *dst, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static int name_taken(char (*names)[NNOM_NAME_MAX], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return 1;
    return 0;
}

/* The wanted name, truncated to fit, with "~2", "~3", ... when already used. */
static void unique_name(char (*names)[NNOM_NAME_MAX], int n, const char *want, char *out)
{
    copy_truncated(out, want[0] ? want : "layer", NNOM_NAME_MAX - 1);
    for (int k = 2; name_taken(names, n, out); k++) {
        char sfx[16], base[NNOM_NAME_MAX];
        snprintf(sfx, sizeof sfx, "~%d", k);
        copy_truncated(base, want[0] ? want : "layer", NNOM_NAME_MAX - 1 - strlen(sfx));
        const size_t bl = strlen(base), sl = strlen(sfx);
        memcpy(out, base, bl);
        memcpy(out + bl, sfx, sl + 1);
    }
}

/* ------------------------------------------------------------------ graph walk */

typedef struct walk {
    kr_ctx *x;
    int *offset;      /* first value index of each layer */
    kr_value *values; /* one per (layer, node) */
    kr_value *states; /* two per (layer, node): the states h, c of a recurrent call with return_state (RNN_STATE
                         layers planned when first read) */
    int *uses;        /* consumers of each value (outputs count as consumers) */
    char *needed;
} walk;

static int value_index(const walk *w, const kr_ref *r)
{
    const kr_layer *L = &w->x->g->layers[r->layer];
    return w->offset[r->layer] + (L->is_input ? 0 : r->node);
}

/* The number of state outputs of a recurrent layer with return_state (SimpleRNN, GRU 1; LSTM 2), else 0. */
static int state_outputs(const kr_layer *L)
{
    if (L->is_input || !L->cls) return 0;
    const int n = strcmp(L->cls, "LSTM") == 0 ? 2 : (strcmp(L->cls, "GRU") == 0 || strcmp(L->cls, "SimpleRNN") == 0);
    const cJSON *v = kr_get(L->config, "return_state");
    return n && (cJSON_IsTrue(v) || (cJSON_IsNumber(v) && v->valuedouble != 0.0)) ? n : 0;
}

/* Checks that a reference names an existing call and output. */
static nnom_status check_ref(walk *w, const kr_ref *r, const char *reader)
{
    const kr_layer *L = &w->x->g->layers[r->layer];
    nnom_converter *c = w->x->c;
    if (r->tensor < 0 || r->tensor > state_outputs(L))
        return nnom_converter_fail(c, NNOM_ERR_UNSUPPORTED, "%s reads output %d of layer '%s' (class %s): layers with "
                                   "several outputs are not supported (except the states of SimpleRNN, GRU and LSTM "
                                   "with return_state=True)", reader, r->tensor, L->name, L->cls);
    if (!L->is_input && r->node >= L->n_nodes)
        return nnom_converter_fail(c, NNOM_ERR_KERAS, "%s reads call %d of layer '%s', which the config does not "
                                   "define", reader, r->node, L->name);
    return NNOM_OK;
}

static nnom_status mark_needed(walk *w)
{
    const kr_graph *g = w->x->g;
    const int total = w->offset[g->n_layers];
    /* each value is pushed once, when it is first found needed */
    kr_ref *stack = (kr_ref *)malloc((size_t)(total + 1) * sizeof *stack);
    if (!stack) return nnom_converter_fail(w->x->c, NNOM_ERR_NO_MEMORY, "out of memory");
    int sp = 0;
    nnom_status st = NNOM_OK;
    for (int i = 0; i < g->n_outputs && st == NNOM_OK; i++) {
        st = check_ref(w, &g->outputs[i], "the model output");
        if (st != NNOM_OK) break;
        const int v = value_index(w, &g->outputs[i]);
        w->uses[v]++;
        if (!w->needed[v]) {
            w->needed[v] = 1;
            stack[sp++] = g->outputs[i];
        }
    }
    while (sp > 0 && st == NNOM_OK) {
        const kr_ref r = stack[--sp];
        const kr_layer *L = &g->layers[r.layer];
        if (L->is_input) continue;
        const kr_node *n = &L->nodes[r.node];
        char reader[200];
        snprintf(reader, sizeof reader, "layer '%s'", L->name);
        for (int j = 0; j < n->n_in && st == NNOM_OK; j++) {
            st = check_ref(w, &n->in[j], reader);
            if (st != NNOM_OK) break;
            const int v = value_index(w, &n->in[j]);
            w->uses[v]++;
            if (!w->needed[v]) {
                w->needed[v] = 1;
                stack[sp++] = n->in[j];
            }
        }
    }
    free(stack);
    return st;
}

/* Keras 3 records each input's shape: a cheap check that the converter follows Keras' shapes. */
static nnom_status check_recorded_shape(kr_ctx *x, const cJSON *ks, const kr_value *v, int j)
{
    if (!cJSON_IsArray(ks)) return NNOM_OK;
    const int n = cJSON_GetArraySize(ks);
    const nnom_shape ours = kr_keras_shape(v);
    int ok = n == ours.rank + 1;
    for (int i = 1; ok && i < n; i++) {
        const cJSON *d = cJSON_GetArrayItem(ks, i);
        int32_t k;
        if (cJSON_IsNumber(d) && !(kr_json_int(d, 0, INT32_MAX, &k) && k == ours.dims[i - 1])) ok = 0;
    }
    if (ok) return NNOM_OK;
    char mine[64], theirs[200];
    kr_shape_text(&ours, mine, sizeof mine);
    char *text = cJSON_PrintUnformatted(ks);
    snprintf(theirs, sizeof theirs, "%s", text ? text : "?");
    free(text);
    return kr_layer_fail(x, NNOM_ERR_KERAS, "input %d has shape %s here but %s (with batch) in Keras", j, mine,
                         theirs);
}

/* The value a reference reads: a call's output, or (tensor 1, 2) the state h or c of a recurrent call,
 * an RNN_STATE layer planned the first time it is read, named "<layer>/h" or "<layer>/c". NULL after a
 * failure (x->status). */
static const kr_value *read_value(walk *w, const kr_ref *r)
{
    const int v = value_index(w, r);
    if (r->tensor == 0) return &w->values[v];
    kr_ctx *x = w->x;
    kr_value *s = &w->states[2 * v + r->tensor - 1];
    if (s->done) return s;
    const kr_value *base = &w->values[v];
    const kr_layer *L = &x->g->layers[r->layer];
    char saved[sizeof x->base];
    memcpy(saved, x->base, sizeof saved);
    if (r->node == 0) snprintf(x->base, sizeof x->base, "%s", L->name);
    else snprintf(x->base, sizeof x->base, "%s@%d", L->name, r->node);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.axis = r->tensor - 1;
    nnom_shape shape;
    memset(&shape, 0, sizeof shape);
    shape.rank = 1;
    shape.dims[0] = base->shape.dims[base->shape.rank - 1];
    const int id = kr_plan_add(x, NNOM_LAYER_RNN_STATE, r->tensor == 1 ? "/h" : "/c", &base->plan, 1, &p, shape);
    memcpy(x->base, saved, sizeof saved);
    if (id < 0) return NULL;
    s->plan = id;
    s->shape = shape;
    s->fold = -1;
    s->done = 1;
    return s;
}

static nnom_status build_call(walk *w, int li, int k)
{
    kr_ctx *x = w->x;
    const kr_layer *L = &x->g->layers[li];
    const kr_node *n = &L->nodes[k];
    x->layer = L;
    x->node = k;
    if (k == 0) snprintf(x->base, sizeof x->base, "%s", L->name);
    else snprintf(x->base, sizeof x->base, "%s@%d", L->name, k);
    if (kr_is_operation(L) && !kr_operation_find(L->cls))
        return nnom_converter_fail(x->c, NNOM_ERR_UNSUPPORTED, "layer '%s' (Keras operation %s of %s, called on "
                                   "tensors) is not supported; supported operations: %s", L->name, L->cls, L->module,
                                   kr_operations_text());
    const kr_class *cls = kr_is_operation(L) ? kr_operation_find(L->cls) : kr_class_find(L->cls);
    if (!cls) cls = kr_user_op_class(x->c->ops, L);
    if (!cls) {
        if (strcmp(L->cls, "Functional") == 0 || strcmp(L->cls, "Sequential") == 0 || strcmp(L->cls, "Model") == 0)
            return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "nested models are not supported; build the model as one "
                                 "flat Sequential or Functional graph");
        if (strcmp(L->cls, "Lambda") == 0)
            return nnom_converter_fail(x->c, NNOM_ERR_UNSUPPORTED, "layer '%s' (class Lambda) is not supported: a Lambda "
                                       "runs the user operator of its name, and no operator '%s' is registered",
                                       L->name, L->name);
        return nnom_converter_fail(x->c, NNOM_ERR_UNSUPPORTED, "layer '%s' (class %s) is not supported; supported: %s "
                                   "(or a user operator registered under the class name)",
                                   L->name, L->cls, kr_supported_text());
    }
    const cJSON *dtype = kr_get(L->config, "dtype");
    if (cJSON_IsObject(dtype) && strstr(kr_get_string(dtype, "class_name", ""), "Quantized")) {
        const cJSON *pc = kr_get(dtype, "config");
        const char *mode = kr_get_string(pc, "mode", kr_get_string(pc, "name", "?"));
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "Keras-quantized layers (mode '%s') are not supported; convert "
                             "the float model", mode);
    }
    if (n->tensor_kwargs)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "tensors passed by keyword (%s) are not supported: masks are "
                             "not, other inputs must be passed by position", n->tensor_kwarg_names);
    if (n->n_in < cls->min_inputs || n->n_in > cls->max_inputs) {
        if (cls->min_inputs == cls->max_inputs)
            return kr_layer_fail(x, NNOM_ERR_KERAS, "takes %d input%s, the config gives %d", cls->min_inputs,
                                 cls->min_inputs == 1 ? "" : "s", n->n_in);
        return kr_layer_fail(x, NNOM_ERR_KERAS, "takes at least %d inputs, the config gives %d", cls->min_inputs,
                             n->n_in);
    }
    const kr_value **in = (const kr_value **)calloc((size_t)n->n_in + 1, sizeof *in);
    kr_value *local = (kr_value *)calloc((size_t)n->n_in + 1, sizeof *local);
    nnom_status st = NNOM_OK;
    if (!in || !local) st = nnom_converter_fail(x->c, NNOM_ERR_NO_MEMORY, "out of memory");
    for (int j = 0; j < n->n_in && st == NNOM_OK; j++) {
        in[j] = read_value(w, &n->in[j]);
        if (!in[j]) {
            st = x->status;
            break;
        }
        if (n->in_shape) st = check_recorded_shape(x, n->in_shape[j], in[j], j);
    }
    kr_value *out = &w->values[w->offset[li] + k];
    out->fold = -1;
    kr_layer copy;
    cJSON *owned = NULL;
    kr_layout_out lo;
    memset(&lo, 0, sizeof lo);
    if (st == NNOM_OK) st = kr_layout_prepare(x, cls->layout, in, local, n->n_in, &copy, &owned, &lo);
    if (st == NNOM_OK) st = cls->build(x, (const kr_value *const *)in, n->n_in, out);
    x->layer = L;
    x->channels_first = 0;
    cJSON_Delete(owned);
    free((void *)in);
    free(local);
    if (st != NNOM_OK) return st;
    if (lo.chw) out->chw = out->shape.rank >= 2; /* else as the converter left it (KR_LAYOUT_OWN) */
    if (lo.flat_hwc && out->shape.rank == 1) {
        out->flat_hwc = lo.flat_hwc;
        out->flat_shape = lo.flat_shape;
    }
    x->plans[out->plan].stored_hwc = out->chw || out->flat_hwc;
    /* the planned layer now computes this call's output: a BatchNormalization folded into a conv, a ReLU
     * fused into it, a Dropout passing it on each take it over */
    snprintf(x->plans[out->plan].keras, sizeof x->plans[out->plan].keras, "%s", x->base);
    /* a later layer may change this one's output in place (fold, fuse) only when nothing else reads it */
    if (out->fold >= 0 && w->uses[w->offset[li] + k] != 1) out->fold = -1;
    out->done = 1;
    return NNOM_OK;
}

static nnom_status walk_graph(walk *w)
{
    kr_ctx *x = w->x;
    const kr_graph *g = x->g;
    /* the inputs first, in the model's order: nnom numbers inputs in the order they are added */
    for (int i = 0; i < g->n_inputs; i++) {
        const kr_ref *r = &g->inputs[i];
        kr_value *v = &w->values[value_index(w, r)];
        x->layer = &g->layers[r->layer];
        x->node = 0;
        snprintf(x->base, sizeof x->base, "%s", x->layer->name);
        if (v->done)
            return nnom_converter_fail(x->c, NNOM_ERR_KERAS, "input '%s' is listed twice", x->layer->name);
        v->fold = -1;
        nnom_status st = kr_build_input(x, v);
        if (st != NNOM_OK) return st;
        snprintf(x->plans[v->plan].keras, sizeof x->plans[v->plan].keras, "%s", x->base);
        v->done = 1;
    }
    for (int li = 0; li < g->n_layers; li++) {
        const int v = w->offset[li];
        if (g->layers[li].is_input && w->needed[v] && !w->values[v].done)
            return nnom_converter_fail(x->c, NNOM_ERR_KERAS, "the model reads InputLayer '%s', which is not among its "
                                       "inputs", g->layers[li].name);
    }
    for (;;) {
        int progress = 0, pending = 0, waiting = -1;
        for (int li = 0; li < g->n_layers; li++) {
            const kr_layer *L = &g->layers[li];
            if (L->is_input) continue;
            for (int k = 0; k < L->n_nodes; k++) {
                const int v = w->offset[li] + k;
                if (!w->needed[v] || w->values[v].done) continue;
                int ready = 1;
                for (int j = 0; j < L->nodes[k].n_in && ready; j++)
                    ready = w->values[value_index(w, &L->nodes[k].in[j])].done;
                if (!ready) {
                    pending++;
                    if (waiting < 0) waiting = li;
                    continue;
                }
                nnom_status st = build_call(w, li, k);
                if (st != NNOM_OK) return st;
                progress = 1;
            }
        }
        if (!pending) return NNOM_OK;
        if (!progress)
            return nnom_converter_fail(x->c, NNOM_ERR_KERAS, "the model graph has a cycle: layer '%s' (class %s) "
                                       "depends on its own output", g->layers[waiting].name, g->layers[waiting].cls);
    }
}

/* ------------------------------------------------------------------ the model */

/* Copies, per layer, the Keras call whose output it computes into converter memory, and the type
 * reports give it. */
static nnom_status keep_keras_layers(kr_ctx *x)
{
    nnom_converter *c = x->c;
    c->keras_layers = (const char **)nnom_store_alloc(&c->store, (size_t)x->n_plans * sizeof *c->keras_layers);
    c->report_types = (const char **)nnom_store_alloc(&c->store, (size_t)x->n_plans * sizeof *c->report_types);
    if (!c->keras_layers || !c->report_types) return nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    for (int i = 0; i < x->n_plans; i++) {
        c->report_types[i] = x->plans[i].report_type;
        const size_t len = strlen(x->plans[i].keras);
        if (len == 0 || x->plans[i].stored_hwc) continue;
        char *copy = (char *)nnom_store_alloc(&c->store, len + 1);
        if (!copy) return nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
        memcpy(copy, x->plans[i].keras, len + 1);
        c->keras_layers[i] = copy;
    }
    c->n_keras_layers = x->n_plans;
    return NNOM_OK;
}

static nnom_status build_model(kr_ctx *x, walk *w)
{
    nnom_converter *c = x->c;
    const kr_graph *g = x->g;
    /* one OUTPUT per Keras output, named after the Keras layer */
    for (int i = 0; i < g->n_outputs; i++) {
        const kr_value *v = read_value(w, &g->outputs[i]);
        if (!v) return x->status;
        snprintf(x->base, sizeof x->base, "%s", g->layers[g->outputs[i].layer].name);
        /* an output Keras sees channels-first is given in its layout */
        const int plan = kr_keras_plan(x, (kr_value *)v);
        if (plan < 0 || kr_plan_add(x, NNOM_LAYER_OUTPUT, "/out", &plan, 1, NULL, kr_keras_shape(v)) < 0)
            return x->status;
    }
    nnom_error e;
    nnom_model *m;
    nnom_options opt; /* the user operators of its CUSTOM layers */
    nnom_options_init(&opt);
    opt.op_registry = c->ops;
    nnom_status st = nnom_model_create(NNOM_DTYPE_F32, &opt, &m, &e);
    if (st != NNOM_OK) return nnom_converter_fail(c, st, "cannot create the float32 model: %s", e.message);
    c->float_model = m;
    c->owns_float_model = 1;
    char(*names)[NNOM_NAME_MAX] = (char(*)[NNOM_NAME_MAX])calloc((size_t)x->n_plans + 1, NNOM_NAME_MAX);
    if (!names) return nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    for (int i = 0; i < x->n_plans && st == NNOM_OK; i++) {
        kr_plan *p = &x->plans[i];
        unique_name(names, i, p->name, names[i]);
        int32_t id = -1;
        if (p->desc.type == NNOM_LAYER_INPUT) {
            nnom_quant q = {0.0f, 0};
            st = nnom_model_add_input(m, names[i], p->shape, q, &id);
        } else {
            p->desc.name = names[i];
            st = nnom_model_add_layer(m, &p->desc, &id);
        }
        if (st == NNOM_OK && id != i) st = NNOM_ERR_STATE;
        if (st != NNOM_OK)
            nnom_converter_fail(c, st, "cannot add layer '%s' to the float32 model: %s", names[i],
                                nnom_model_last_error(m));
    }
    if (st == NNOM_OK) {
        st = nnom_model_compile(m);
        if (st != NNOM_OK)
            nnom_converter_fail(c, st, "the float32 model does not compile: %s", nnom_model_last_error(m));
    }
    /* the runtime's shapes must be those the converter derived from Keras */
    for (int i = 0; i < x->n_plans && st == NNOM_OK; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        if (nnom_model_layer_info(m, i, &info) != NNOM_OK) continue;
        const nnom_shape *want = &x->plans[i].shape;
        int same = info.shape.rank == want->rank;
        for (int k = 0; same && k < want->rank; k++) same = info.shape.dims[k] == want->dims[k];
        if (!same) {
            char a[64], b[64];
            kr_shape_text(&info.shape, a, sizeof a);
            kr_shape_text(want, b, sizeof b);
            st = nnom_converter_fail(c, NNOM_ERR_SHAPE, "layer '%s': the runtime computes shape %s where Keras has %s",
                                     names[i], a, b);
        }
    }
    free(names);
    if (st == NNOM_OK) st = keep_keras_layers(x);
    return st;
}

static nnom_status convert(kr_file *f, kr_graph *g, nnom_converter *c)
{
    kr_ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.file = f;
    x.g = g;
    walk w;
    memset(&w, 0, sizeof w);
    w.x = &x;
    nnom_status st = NNOM_OK;
    w.offset = (int *)calloc((size_t)g->n_layers + 1, sizeof *w.offset);
    if (!w.offset) return nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    for (int i = 0; i < g->n_layers; i++)
        w.offset[i + 1] = w.offset[i] + (g->layers[i].is_input ? 1 : g->layers[i].n_nodes);
    const size_t total = (size_t)w.offset[g->n_layers] + 1;
    w.values = (kr_value *)calloc(total, sizeof *w.values);
    w.states = (kr_value *)calloc(2 * total, sizeof *w.states);
    w.uses = (int *)calloc(total, sizeof *w.uses);
    w.needed = (char *)calloc(total, 1);
    if (!w.values || !w.states || !w.uses || !w.needed) st = nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    if (st == NNOM_OK) st = mark_needed(&w);
    if (st == NNOM_OK) st = walk_graph(&w);
    if (st == NNOM_OK) st = build_model(&x, &w);
    free(w.offset);
    free(w.values);
    free(w.states);
    free(w.uses);
    free(w.needed);
    free(x.plans);
    return st;
}

/* The end of a read: the converter goes to *out, or its message to err and the converter away. */
static nnom_status hand_over(nnom_converter *c, nnom_status st, nnom_converter **out, nnom_error *err)
{
    if (st != NNOM_OK) {
        nnom_converter_error_to(c, st, err);
        nnom_converter_destroy(c);
        return st;
    }
    *out = c;
    if (err) {
        err->status = NNOM_OK;
        err->message[0] = '\0';
    }
    return NNOM_OK;
}

nnom_status nnom_keras_read(const char *path, nnom_converter **out, nnom_error *err)
{
    return nnom_keras_read_with_ops(path, NULL, out, err);
}

nnom_status nnom_keras_read_with_ops(const char *path, const nnom_op_registry *ops, nnom_converter **out,
                                     nnom_error *err)
{
    if (out) *out = NULL;
    if (!path || !out) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "nnom_keras_read: path and out must not be NULL");
    nnom_converter *c;
    nnom_status st = nnom_converter_create(&c, err);
    if (st != NNOM_OK) return st;
    c->ops = ops;
    snprintf(c->source, sizeof c->source, "%s", path);
    /* HDF5 prints its error stack by default; the reader reports failures itself */
    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    kr_file f;
    kr_graph g;
    memset(&g, 0, sizeof g);
    st = kr_file_open(&f, path, c);
    if (st == NNOM_OK) st = kr_graph_parse(&g, f.config, f.config_len, f.keras_major, c);
    if (st == NNOM_OK) st = convert(&f, &g, c);
    kr_graph_free(&g);
    kr_file_close(&f);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    return hand_over(c, st, out, err);
}

nnom_status kr_read_config(const char *json, size_t len, int keras_major_hint, nnom_converter **out, nnom_error *err)
{
    if (out) *out = NULL;
    if (!json || !out) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "kr_read_config: json and out must not be NULL");
    nnom_converter *c;
    nnom_status st = nnom_converter_create(&c, err);
    if (st != NNOM_OK) return st;
    snprintf(c->source, sizeof c->source, "a model config without weights");
    kr_file f;
    memset(&f, 0, sizeof f);
    f.h5 = H5I_INVALID_HID; /* no weights: every layer finds none stored */
    f.path = c->source;
    f.layout = keras_major_hint == 2 ? KR_LAYOUT_LEGACY : KR_LAYOUT_KERAS3;
    f.keras_major = keras_major_hint;
    kr_graph g;
    st = kr_graph_parse(&g, json, len, keras_major_hint, c);
    if (st == NNOM_OK) st = convert(&f, &g, c);
    kr_graph_free(&g);
    return hand_over(c, st, out, err);
}
