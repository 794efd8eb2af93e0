/*
 * The model config (JSON) as a graph: Keras layers, the calls ("nodes") of
 * each layer with the tensors they read, and the model's inputs and outputs.
 *
 * Inbound nodes come in two spellings:
 *  - Keras 3: {"args": [<tensor or list of tensors>, ...], "kwargs": {...}}
 *    with each tensor {"class_name": "__keras_tensor__", "config": {"shape":
 *    [...], "keras_history": [layer, node, tensor]}};
 *  - Keras 2 (tf.keras): [[layer, node, tensor, kwargs], ...].
 * A Sequential model has no inbound nodes: each layer reads the one before,
 * and its input is an InputLayer or, in older Keras 2 files, the
 * batch_input_shape of the first layer.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_internal.h"

const cJSON *kr_get(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

const char *kr_get_string(const cJSON *obj, const char *key, const char *def)
{
    const cJSON *v = kr_get(obj, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : def;
}

int kr_json_int(const cJSON *v, int32_t lo, int32_t hi, int32_t *out)
{
    if (!cJSON_IsNumber(v)) return 0;
    const double d = v->valuedouble;
    if (!(d >= (double)lo && d <= (double)hi)) return 0; /* also rejects NaN */
    const int32_t i = (int32_t)d;
    if ((double)i != d) return 0;
    *out = i;
    return 1;
}

static int find_layer(const kr_graph *g, const char *name)
{
    for (int i = 0; i < g->n_layers; i++)
        if (strcmp(g->layers[i].name, name) == 0) return i;
    return -1;
}

/* Parses [name, node, tensor, ...] into a reference. 0 on success. */
static int parse_ref(const kr_graph *g, const cJSON *a, kr_ref *r, const char **missing)
{
    *missing = NULL;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 3) return -1;
    const cJSON *n = cJSON_GetArrayItem(a, 0), *nd = cJSON_GetArrayItem(a, 1), *t = cJSON_GetArrayItem(a, 2);
    int32_t node, tensor;
    if (!cJSON_IsString(n) || !kr_json_int(nd, 0, 1 << 20, &node) || !kr_json_int(t, 0, 1 << 20, &tensor)) return -1;
    r->layer = find_layer(g, n->valuestring);
    if (r->layer < 0) {
        *missing = n->valuestring;
        return -1;
    }
    r->node = node;
    r->tensor = tensor;
    return 0;
}

/* ------------------------------------------------------------------ nodes */

typedef struct tensor_list {
    kr_ref *refs;
    const cJSON **shapes;
    int n, cap;
    int bad;              /* a malformed or dangling reference */
    const char *missing;  /* the name of a layer referenced but not defined */
} tensor_list;

static void push_tensor(tensor_list *l, kr_ref r, const cJSON *shape)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        kr_ref *refs = (kr_ref *)realloc(l->refs, (size_t)cap * sizeof *refs);
        if (refs) l->refs = refs;
        const cJSON **shapes = (const cJSON **)realloc((void *)l->shapes, (size_t)cap * sizeof *shapes);
        if (shapes) l->shapes = shapes;
        if (!refs || !shapes) {
            l->bad = 1;
            return;
        }
        l->cap = cap;
    }
    l->refs[l->n] = r;
    l->shapes[l->n] = shape;
    l->n++;
}

/* Keras 3: collects every __keras_tensor__ under @p item, depth first, in order. */
static void walk_keras3(const kr_graph *g, const cJSON *item, tensor_list *l, int depth)
{
    if (depth > 32) {
        l->bad = 1;
        return;
    }
    if (cJSON_IsArray(item)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, item) walk_keras3(g, e, l, depth + 1);
    } else if (cJSON_IsObject(item)) {
        const char *cls = kr_get_string(item, "class_name", "");
        if (strcmp(cls, "__keras_tensor__") == 0) {
            const cJSON *cfg = kr_get(item, "config");
            kr_ref r;
            const char *missing;
            if (parse_ref(g, kr_get(cfg, "keras_history"), &r, &missing) != 0) {
                l->bad = 1;
                if (missing) l->missing = missing;
                return;
            }
            push_tensor(l, r, kr_get(cfg, "shape"));
        } else {
            /* a dict of tensors (e.g. a structured argument): its values in order */
            const cJSON *e;
            cJSON_ArrayForEach(e, item) walk_keras3(g, e, l, depth + 1);
        }
    }
}

/* Keyword arguments that are inputs in their own right: MultiHeadAttention's value and key, which
 * become its inputs 1 and 2 after the positional ones (Keras 2 always passes them so). */
static const char *const input_kwargs[] = {"value", "key"};

static int is_input_kwarg(const kr_layer *L, const char *key)
{
    if (strcmp(L->cls, "MultiHeadAttention") != 0 || !key) return 0;
    for (size_t i = 0; i < sizeof input_kwargs / sizeof input_kwargs[0]; i++)
        if (strcmp(input_kwargs[i], key) == 0) return 1;
    return 0;
}

/* Keras 3 keyword arguments: those of input_kwargs[] (in that order) appended to @p l, any other
 * holding a tensor named in node->tensor_kwarg_names. */
static void keras3_kwargs(kr_graph *g, const kr_layer *L, const cJSON *kwargs, tensor_list *l, kr_node *node)
{
    for (size_t i = 0; i < sizeof input_kwargs / sizeof input_kwargs[0]; i++)
        if (is_input_kwarg(L, input_kwargs[i])) walk_keras3(g, kr_get(kwargs, input_kwargs[i]), l, 0);
    const cJSON *e;
    cJSON_ArrayForEach(e, kwargs)
    {
        if (is_input_kwarg(L, e->string)) continue;
        tensor_list kw = {0};
        walk_keras3(g, e, &kw, 0);
        if (kw.n > 0 || kw.bad) {
            node->tensor_kwargs = 1;
            const size_t used = strlen(node->tensor_kwarg_names);
            snprintf(node->tensor_kwarg_names + used, sizeof node->tensor_kwarg_names - used, "%s%s",
                     used ? ", " : "", e->string ? e->string : "?");
        }
        free(kw.refs);
        free((void *)kw.shapes);
    }
}

/* Keras 2: the kwargs of a call are the fourth item of its first inbound entry; the input_kwargs[]
 * among them are references [layer, node, tensor] appended to @p l, any other reference (a mask) is
 * named in node->tensor_kwarg_names. */
static void keras2_kwargs(kr_graph *g, const kr_layer *L, const cJSON *kwargs, tensor_list *l, kr_node *node)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, kwargs)
    {
        kr_ref r;
        const char *missing;
        if (is_input_kwarg(L, e->string) || parse_ref(g, e, &r, &missing) != 0) continue;
        node->tensor_kwargs = 1;
        const size_t used = strlen(node->tensor_kwarg_names);
        snprintf(node->tensor_kwarg_names + used, sizeof node->tensor_kwarg_names - used, "%s%s", used ? ", " : "",
                 e->string ? e->string : "?");
    }
    for (size_t i = 0; i < sizeof input_kwargs / sizeof input_kwargs[0]; i++) {
        const cJSON *v = kr_get(kwargs, input_kwargs[i]);
        if (!v || !is_input_kwarg(L, input_kwargs[i])) continue;
        kr_ref r;
        const char *missing;
        if (parse_ref(g, v, &r, &missing) != 0) {
            l->bad = 1;
            if (missing) l->missing = missing;
            return;
        }
        push_tensor(l, r, NULL);
    }
}

static nnom_status parse_node(kr_graph *g, kr_layer *L, const cJSON *jn, kr_node *node, nnom_converter *c)
{
    tensor_list l = {0};
    if (cJSON_IsObject(jn)) {
        node->args = kr_get(jn, "args");
        walk_keras3(g, node->args, &l, 0);
        node->kwargs = kr_get(jn, "kwargs");
        keras3_kwargs(g, L, node->kwargs, &l, node);
    } else if (cJSON_IsArray(jn)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, jn)
        {
            kr_ref r;
            const char *missing;
            if (parse_ref(g, e, &r, &missing) != 0) {
                l.bad = 1;
                if (missing) l.missing = missing;
                break;
            }
            push_tensor(&l, r, NULL);
            if (!node->kwargs && cJSON_IsObject(cJSON_GetArrayItem(e, 3))) node->kwargs = cJSON_GetArrayItem(e, 3);
        }
        if (!l.bad) keras2_kwargs(g, L, node->kwargs, &l, node);
    } else {
        l.bad = 1;
    }
    nnom_status st = NNOM_OK;
    if (l.missing)
        st = nnom_converter_fail(c, NNOM_ERR_KERAS, "layer '%s' (class %s) reads layer '%s', which the model does not "
                                 "define", L->name, L->cls, l.missing);
    else if (l.bad)
        st = nnom_converter_fail(c, NNOM_ERR_KERAS, "layer '%s' (class %s): malformed inbound node in the config",
                                 L->name, L->cls);
    if (st != NNOM_OK) {
        free(l.refs);
        free((void *)l.shapes);
        return st;
    }
    node->n_in = l.n;
    node->in = l.refs;
    node->in_shape = l.shapes;
    return NNOM_OK;
}

/* ------------------------------------------------------------------ weights paths */

/* Keras 3's naming of a class in saved weights: "Conv2D" -> "conv2d", "ReLU" -> "re_lu". */
static void snake_case(const char *cls, char *out, size_t cap)
{
    char a[128], b[192];
    size_t n = 0;
    for (const char *p = cls; *p && n + 1 < sizeof a; p++)
        if (isalnum((unsigned char)*p) || *p == '_') a[n++] = *p;
    a[n] = '\0';
    /* "(.)([A-Z][a-z]+)" -> "\1_\2", matches not overlapping */
    size_t m = 0, i = 0;
    while (i < n && m + 4 < sizeof b) {
        if (i + 2 < n && isupper((unsigned char)a[i + 1]) && islower((unsigned char)a[i + 2])) {
            b[m++] = a[i];
            b[m++] = '_';
            b[m++] = a[i + 1];
            i += 2;
            while (i < n && islower((unsigned char)a[i]) && m + 2 < sizeof b) b[m++] = a[i++];
        } else {
            b[m++] = a[i++];
        }
    }
    b[m] = '\0';
    /* "([a-z])([A-Z])" -> "\1_\2", then lower case */
    size_t k = 0;
    i = 0;
    while (i < m && k + 3 < cap) {
        if (i + 1 < m && islower((unsigned char)b[i]) && isupper((unsigned char)b[i + 1])) {
            out[k++] = b[i];
            out[k++] = '_';
            out[k++] = (char)tolower((unsigned char)b[i + 1]);
            i += 2;
        } else {
            out[k++] = (char)tolower((unsigned char)b[i]);
            i++;
        }
    }
    out[k] = '\0';
}

static void assign_weight_paths(kr_graph *g)
{
    for (int i = 0; i < g->n_layers; i++) {
        kr_layer *L = &g->layers[i];
        if (g->sequential && L->is_input) continue;
        char base[96];
        snake_case(L->cls, base, sizeof base);
        int used = 0;
        for (int j = 0; j < i; j++) {
            const kr_layer *P = &g->layers[j];
            if (g->sequential && P->is_input) continue;
            if (strcmp(P->cls, L->cls) == 0) used++;
        }
        if (used)
            snprintf(L->wpath, sizeof L->wpath, "%s_%d", base, used);
        else
            snprintf(L->wpath, sizeof L->wpath, "%s", base);
    }
}

/* ------------------------------------------------------------------ models */

static const char *layer_name_of(const cJSON *jl)
{
    const char *n = kr_get_string(jl, "name", NULL);
    return n ? n : kr_get_string(kr_get(jl, "config"), "name", NULL);
}

/* The shape an input layer declares: batch_shape (Keras 3), batch_input_shape (Keras 2) or shape. */
static void input_shape_of(kr_layer *L, const cJSON *cfg)
{
    const cJSON *s = kr_get(cfg, "batch_shape");
    if (!cJSON_IsArray(s)) s = kr_get(cfg, "batch_input_shape");
    if (cJSON_IsArray(s)) {
        L->input_shape = s;
        L->input_shape_has_batch = 1;
        return;
    }
    s = kr_get(cfg, "shape");
    if (cJSON_IsArray(s)) {
        L->input_shape = s;
        L->input_shape_has_batch = 0;
    }
}

static nnom_status alloc_layers(kr_graph *g, int n, nnom_converter *c)
{
    g->layers = (kr_layer *)calloc((size_t)(n ? n : 1), sizeof *g->layers);
    if (!g->layers) return nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory for %d layers", n);
    return NNOM_OK;
}

static nnom_status fill_layer(kr_graph *g, kr_layer *L, const cJSON *jl, int index, nnom_converter *c)
{
    L->name = layer_name_of(jl);
    L->cls = kr_get_string(jl, "class_name", NULL);
    L->module = kr_get_string(jl, "module", NULL);
    L->config = kr_get(jl, "config");
    if (!L->name || !L->cls || !cJSON_IsObject(L->config))
        return nnom_converter_fail(c, NNOM_ERR_KERAS, "layer %d of the model config has no name, class_name or config",
                                   index);
    for (int j = 0; j < index; j++)
        if (strcmp(g->layers[j].name, L->name) == 0)
            return nnom_converter_fail(c, NNOM_ERR_KERAS, "the model config defines layer '%s' twice", L->name);
    if (strcmp(L->cls, "InputLayer") == 0) {
        L->is_input = 1;
        input_shape_of(L, L->config);
    }
    return NNOM_OK;
}

static nnom_status one_node(kr_layer *L, int from, nnom_converter *c)
{
    L->nodes = (kr_node *)calloc(1, sizeof *L->nodes);
    if (!L->nodes) return nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    L->n_nodes = 1;
    if (from < 0) return NNOM_OK;
    L->nodes[0].in = (kr_ref *)calloc(1, sizeof(kr_ref));
    if (!L->nodes[0].in) return nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    L->nodes[0].n_in = 1;
    L->nodes[0].in[0].layer = from;
    return NNOM_OK;
}

static nnom_status parse_sequential(kr_graph *g, const cJSON *root, const cJSON *cfg, nnom_converter *c)
{
    const cJSON *layers = kr_get(cfg, "layers");
    if (!cJSON_IsArray(layers) && cJSON_IsArray(cfg)) layers = cfg; /* very old Keras 2: config is the list */
    if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) == 0)
        return nnom_converter_fail(c, NNOM_ERR_KERAS, "the Sequential model has no layers");
    const int n = cJSON_GetArraySize(layers);
    const cJSON *first = cJSON_GetArrayItem(layers, 0);
    const int has_input = strcmp(kr_get_string(first, "class_name", ""), "InputLayer") == 0;
    nnom_status st = alloc_layers(g, n + !has_input, c);
    if (st != NNOM_OK) return st;
    g->sequential = 1;
    int k = 0;
    if (!has_input) {
        /* an input made from the first layer's batch_input_shape (Keras 2) or the model's build shape */
        kr_layer *L = &g->layers[k++];
        const cJSON *fc = kr_get(first, "config");
        const char *fname = layer_name_of(first);
        snprintf(g->synth_input_name, sizeof g->synth_input_name, "%s_input", fname ? fname : "sequential");
        L->name = g->synth_input_name;
        L->cls = "InputLayer";
        L->is_input = 1;
        input_shape_of(L, fc);
        if (!L->input_shape) {
            const cJSON *s = kr_get(cfg, "build_input_shape");
            if (!cJSON_IsArray(s)) s = kr_get(kr_get(root, "build_config"), "input_shape");
            if (cJSON_IsArray(s)) {
                L->input_shape = s;
                L->input_shape_has_batch = 1;
            }
        }
        if (!L->input_shape)
            return nnom_converter_fail(c, NNOM_ERR_KERAS,
                                       "the Sequential model has no input shape: start it with keras.Input(shape) or "
                                       "build it before saving");
        g->n_layers = 1;
        st = one_node(L, -1, c);
        if (st != NNOM_OK) return st;
    }
    const cJSON *jl;
    int index = 0;
    cJSON_ArrayForEach(jl, layers)
    {
        kr_layer *L = &g->layers[k];
        st = fill_layer(g, L, jl, k, c);
        if (st != NNOM_OK) return st;
        g->n_layers = k + 1;
        if (L->is_input && index > 0)
            return nnom_converter_fail(c, NNOM_ERR_UNSUPPORTED,
                                       "layer '%s' (class InputLayer): an input in the middle of a Sequential model is "
                                       "not supported", L->name);
        st = one_node(L, L->is_input ? -1 : k - 1, c);
        if (st != NNOM_OK) return st;
        k++;
        index++;
    }
    g->inputs = (kr_ref *)calloc(1, sizeof *g->inputs);
    g->outputs = (kr_ref *)calloc(1, sizeof *g->outputs);
    if (!g->inputs || !g->outputs) return nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    g->n_inputs = g->n_outputs = 1;
    g->inputs[0].layer = 0;
    g->outputs[0].layer = g->n_layers - 1;
    return NNOM_OK;
}

/* input_layers / output_layers: [name, node, tensor], a list of those, or a dict of those. */
static nnom_status parse_endpoints(kr_graph *g, const cJSON *j, const char *what, kr_ref **out, int *n,
                                   nnom_converter *c)
{
    const cJSON *list[256];
    int count = 0;
    if (cJSON_IsArray(j) && cJSON_GetArraySize(j) >= 1 && cJSON_IsString(cJSON_GetArrayItem(j, 0))) {
        list[count++] = j;
    } else if (cJSON_IsArray(j) || cJSON_IsObject(j)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, j)
        {
            if (count == (int)(sizeof list / sizeof list[0]))
                return nnom_converter_fail(c, NNOM_ERR_UNSUPPORTED, "the model has more than %d %s", count, what);
            list[count++] = e;
        }
    }
    if (count == 0) return nnom_converter_fail(c, NNOM_ERR_KERAS, "the model config lists no %s", what);
    *out = (kr_ref *)calloc((size_t)count, sizeof **out);
    if (!*out) return nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    for (int i = 0; i < count; i++) {
        const char *missing;
        if (parse_ref(g, list[i], &(*out)[i], &missing) != 0) {
            if (missing)
                return nnom_converter_fail(c, NNOM_ERR_KERAS, "the model's %s name layer '%s', which is not defined",
                                           what, missing);
            return nnom_converter_fail(c, NNOM_ERR_KERAS, "malformed %s in the model config", what);
        }
    }
    *n = count;
    return NNOM_OK;
}

static nnom_status parse_functional(kr_graph *g, const cJSON *cfg, nnom_converter *c)
{
    const cJSON *layers = kr_get(cfg, "layers");
    if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) == 0)
        return nnom_converter_fail(c, NNOM_ERR_KERAS, "the model config has no layers");
    const int n = cJSON_GetArraySize(layers);
    nnom_status st = alloc_layers(g, n, c);
    if (st != NNOM_OK) return st;
    const cJSON *jl;
    int k = 0;
    /* names first, so that nodes may refer to layers listed after them */
    cJSON_ArrayForEach(jl, layers)
    {
        st = fill_layer(g, &g->layers[k], jl, k, c);
        if (st != NNOM_OK) return st;
        g->n_layers = ++k;
    }
    k = 0;
    cJSON_ArrayForEach(jl, layers)
    {
        kr_layer *L = &g->layers[k++];
        if (L->is_input) {
            st = one_node(L, -1, c);
            if (st != NNOM_OK) return st;
            continue;
        }
        const cJSON *nodes = kr_get(jl, "inbound_nodes");
        const int nn = cJSON_IsArray(nodes) ? cJSON_GetArraySize(nodes) : 0;
        if (nn == 0) continue; /* not called in this model */
        L->nodes = (kr_node *)calloc((size_t)nn, sizeof *L->nodes);
        if (!L->nodes) return nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
        L->n_nodes = nn;
        for (int i = 0; i < nn; i++) {
            st = parse_node(g, L, cJSON_GetArrayItem(nodes, i), &L->nodes[i], c);
            if (st != NNOM_OK) return st;
        }
    }
    st = parse_endpoints(g, kr_get(cfg, "input_layers"), "inputs", &g->inputs, &g->n_inputs, c);
    if (st != NNOM_OK) return st;
    for (int i = 0; i < g->n_inputs; i++)
        if (!g->layers[g->inputs[i].layer].is_input)
            return nnom_converter_fail(c, NNOM_ERR_KERAS, "model input '%s' is not an InputLayer",
                                       g->layers[g->inputs[i].layer].name);
    return parse_endpoints(g, kr_get(cfg, "output_layers"), "outputs", &g->outputs, &g->n_outputs, c);
}

/* Keras 3 writes nodes as {"args": ...} and a dtype policy object; Keras 2 neither. */
static int guess_major(const kr_graph *g)
{
    for (int i = 0; i < g->n_layers; i++) {
        const kr_layer *L = &g->layers[i];
        if (L->is_input && L->config) {
            if (kr_get(L->config, "batch_shape")) return 3;
            if (kr_get(L->config, "batch_input_shape")) return 2;
        }
        if (cJSON_IsObject(kr_get(L->config, "dtype"))) {
            const char *dc = kr_get_string(kr_get(L->config, "dtype"), "class_name", "");
            if (strstr(dc, "DTypePolicy")) return 3;
        }
        if (cJSON_IsString(kr_get(L->config, "dtype"))) return 2;
    }
    return 3;
}

nnom_status kr_graph_parse(kr_graph *g, const char *json, size_t len, int keras_major_hint, nnom_converter *c)
{
    memset(g, 0, sizeof *g);
    const char *end = NULL;
    g->root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!g->root) {
        long at = end && end >= json && end <= json + len ? (long)(end - json) : -1;
        return nnom_converter_fail(c, NNOM_ERR_KERAS, "the model config is not valid JSON (error near byte %ld)", at);
    }
    const char *cls = kr_get_string(g->root, "class_name", "");
    const cJSON *cfg = kr_get(g->root, "config");
    nnom_status st;
    if (strcmp(cls, "Sequential") == 0)
        st = parse_sequential(g, g->root, cfg, c);
    else if (strcmp(cls, "Functional") == 0 || strcmp(cls, "Model") == 0)
        st = parse_functional(g, cfg, c);
    else
        return nnom_converter_fail(c, NNOM_ERR_UNSUPPORTED,
                                   "the model is a '%s'; supported: Sequential and Functional models (subclassed "
                                   "models have no graph to read)", cls[0] ? cls : "(no class_name)");
    if (st != NNOM_OK) return st;
    g->keras_major = keras_major_hint == 2 || keras_major_hint == 3 ? keras_major_hint : guess_major(g);
    assign_weight_paths(g);
    return NNOM_OK;
}

void kr_graph_free(kr_graph *g)
{
    for (int i = 0; i < g->n_layers; i++) {
        kr_layer *L = &g->layers[i];
        for (int j = 0; j < L->n_nodes; j++) {
            free(L->nodes[j].in);
            free((void *)L->nodes[j].in_shape);
        }
        free(L->nodes);
    }
    free(g->layers);
    free(g->inputs);
    free(g->outputs);
    cJSON_Delete(g->root);
    memset(g, 0, sizeof *g);
}
