/*
 * Internal to the Keras reader (host tools only).
 *
 * nnom_keras_read() works in four steps, one file each:
 *
 *   keras_archive.c  opens the file: a `.keras` zip (config.json and
 *                    model.weights.h5, the latter opened from memory) or a
 *                    legacy `.h5` (model_config attribute, model_weights
 *                    group); gives the config text and an open HDF5 handle.
 *   keras_config.c   parses the config JSON into a graph of Keras layers and
 *                    their calls ("nodes") with inbound edges, for Keras 3
 *                    and Keras 2 (tf.keras) configs, Sequential and
 *                    Functional, any number of inputs and outputs.
 *   keras_weights.c  reads one layer's weight arrays as float32, in the
 *                    layer's own variable order, from either weights layout.
 *   keras_classes.c  the class table, one converter file per family (keras_layers.h):
 *                    each Keras class becomes a few planned nnom layers (kr_plan)
 *                    with converted weights.
 *   keras_reader.c   walks the graph in dependency order, calls the class
 *                    table, names the layers and builds the float32 model.
 *
 * Every failure is recorded on the converter with nnom_converter_fail() and
 * names the file, or the layer, its class and what was wrong.
 */
#ifndef NNOM_KERAS_INTERNAL_H
#define NNOM_KERAS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>
#include <hdf5.h>

#include "common/tools_internal.h"

/* ------------------------------------------------------------------ archive */

/* Where the weights live in the HDF5 file. */
typedef enum kr_layout {
    KR_LAYOUT_LEGACY = 2, /* .h5: model_weights/<layer name>/<weight_names[i]> */
    KR_LAYOUT_KERAS3 = 3  /* .keras: layers/<path>/vars/0, 1, ...; the vars group's `name` attribute names the layer */
} kr_layout;

typedef struct kr_path_entry {
    char *name; /* the layer's name (the vars group's `name` attribute) */
    char *path; /* e.g. "layers/conv2d_2/vars" */
} kr_path_entry;

typedef struct kr_file {
    const char *path;         /* the file given by the caller */
    hid_t h5;                 /* the HDF5 file holding the weights, or H5I_INVALID_HID */
    kr_layout layout;
    int keras_major;          /* 2 or 3 from the file's keras_version; 0 when unknown */
    char *config;             /* the model config JSON, NUL-terminated (malloc) */
    size_t config_len;
    char weights_root[32];    /* legacy: "model_weights" (or "." for old files without it) */
    kr_path_entry *paths;     /* Keras 3: layer name -> vars group, read on first use */
    int n_paths;
    int paths_loaded;
} kr_file;

/* Opens @p path (.keras zip or legacy .h5). On failure records the reason on @p c. */
nnom_status kr_file_open(kr_file *f, const char *path, nnom_converter *c);
/* Releases everything kr_file_open() acquired; safe on a zeroed or failed kr_file. */
void kr_file_close(kr_file *f);

/* Reads a string attribute @p attr of object @p obj_path (scalar or 1-D array of
 * fixed or variable-length strings). *@p out receives @p *n malloc'd strings
 * (free with kr_strings_free). Returns 0 on success, -1 if absent or not strings. */
int kr_h5_read_strings(hid_t file, const char *obj_path, const char *attr, char ***out, int *n);
void kr_strings_free(char **s, int n);
/* 1 if every component of @p path exists (links followed one by one), else 0. */
int kr_h5_path_exists(hid_t file, const char *path);

/* ------------------------------------------------------------------ weights */

#define KR_MAX_DIMS 8
#define KR_MAX_ARRAYS 8

typedef struct kr_array {
    float *data;                 /* malloc'd, count floats */
    int rank;
    int64_t dims[KR_MAX_DIMS];
    size_t count;
    char name[96];               /* the dataset's name, for messages */
} kr_array;

typedef struct kr_weights {
    int n;
    kr_array a[KR_MAX_ARRAYS];
} kr_weights;

/*
 * Reads all weight arrays of Keras layer @p layer_name in the layer's
 * variable order (kernel, bias; BatchNormalization: gamma, beta, mean,
 * variance without the absent ones). @p fallback_path is the Keras 3 vars
 * group to use when no group names the layer (older Keras 3 files); may be
 * NULL. A layer without weights gives n = 0.
 */
nnom_status kr_weights_read(kr_file *f, const char *layer_name, const char *fallback_path, kr_weights *w,
                            nnom_converter *c);
/*
 * The same for a layer made of sub-layers: in a Keras 3 file the weights of
 * each sub-layer @p subs[k] (a path below the layer's group, such as "cell" or
 * "forward_layer/cell") in that order; a legacy file lists every weight under
 * the layer's own group, already in that order.
 */
nnom_status kr_weights_read_nested(kr_file *f, const char *layer_name, const char *fallback_path,
                                   const char *const *subs, int n_subs, kr_weights *w, nnom_converter *c);
void kr_weights_free(kr_weights *w);
/* "(3, 3, 8, 16)" */
void kr_dims_text(const int64_t *dims, int rank, char *buf, size_t cap);

/* ------------------------------------------------------------------- config */

typedef struct kr_ref {
    int layer;  /* index into kr_graph.layers */
    int node;   /* which call of that layer */
    int tensor; /* which output of that call: 0, or a recurrent layer's state with return_state (1 h, 2 c) */
} kr_ref;

typedef struct kr_node {
    int n_in;
    kr_ref *in;                /* malloc'd */
    const cJSON **in_shape;    /* Keras 3: the "shape" Keras recorded for each input (with batch), or NULL */
    int tensor_kwargs;         /* 1 if a tensor was passed by keyword (e.g. a mask) */
    char tensor_kwarg_names[96]; /* Keras 3: the keywords that passed tensors, for the message */
    const cJSON *kwargs;       /* the call's keyword arguments (an object in the config), or NULL; the
                                  inputs among them (MultiHeadAttention's value, key) are in `in` */
    const cJSON *args;         /* Keras 3: the call's positional arguments, tensors and constants, or NULL */
} kr_node;

typedef struct kr_layer {
    const char *name;
    const char *cls;           /* class_name */
    const char *module;        /* Keras 3: "keras.layers", or "keras.src.ops.numpy" etc. for an operation
                                  called on tensors (`x + 3.0`); NULL when not given */
    const cJSON *config;       /* the layer's "config" object (NULL for a synthesised input) */
    int n_nodes;
    kr_node *nodes;            /* malloc'd */
    int is_input;
    const cJSON *input_shape;  /* inputs: the shape array */
    int input_shape_has_batch; /* 1 if input_shape starts with the batch dimension */
    char wpath[128];           /* Keras 3 fallback weights path (class in snake case + counter) */
} kr_layer;

typedef struct kr_graph {
    cJSON *root;
    int keras_major;           /* 2 or 3 */
    int sequential;
    int n_layers;
    kr_layer *layers;          /* malloc'd */
    int n_inputs;
    kr_ref *inputs;            /* malloc'd, in model input order */
    int n_outputs;
    kr_ref *outputs;           /* malloc'd, in model output order */
    char synth_input_name[160];/* name of the input synthesised for a Sequential without InputLayer */
} kr_graph;

/* Parses @p json (the model config). @p keras_major_hint: 2, 3 or 0 (guess from the config). */
nnom_status kr_graph_parse(kr_graph *g, const char *json, size_t len, int keras_major_hint, nnom_converter *c);
void kr_graph_free(kr_graph *g);

/*
 * nnom_keras_read() for a model config alone, from memory (@p len bytes, no
 * NUL needed): no weights file, so every layer finds no weights stored and a
 * layer that needs some fails with the class converter's message. The graph
 * walk, the class table and the float32 model's compile run as for a file.
 * Used by the fuzzer (Tests/fuzz/fuzz_keras_config.c).
 */
nnom_status kr_read_config(const char *json, size_t len, int keras_major_hint, nnom_converter **out, nnom_error *err);

/* Config helpers: a member by name (NULL if absent). */
const cJSON *kr_get(const cJSON *obj, const char *key);
/* The member as a string, or @p def if absent or null. */
const char *kr_get_string(const cJSON *obj, const char *key, const char *def);
/* 1 and *@p out if @p v is an integral number in [lo, hi], else 0 (never converts an out-of-range double). */
int kr_json_int(const cJSON *v, int32_t lo, int32_t hi, int32_t *out);

/* ------------------------------------------------------------------- layers */

/* What the graph walk knows about the output of one Keras call. */
typedef struct kr_value {
    int done;
    int plan;          /* the planned layer producing it */
    nnom_shape shape;  /* its shape, batch excluded */
    int fold;          /* = plan when that layer's output is linear (no activation yet) and read by nothing
                          else, so that the next layer may change it in place: a BatchNormalization folds into
                          its weights (conv, depthwise, dense), a ReLU fuses into it; -1 otherwise */
    int chw;           /* 1: Keras sees it channels-first, (C, H, W) or (C, W), the runtime holds it HWC (shape is the
                          stored one; keras_layout.c) */
    int as_keras;      /* plan + 1 of the PERMUTE giving a chw value in Keras' layout, 0 none yet */
    int as_hwc;        /* plan + 1 of the PERMUTE giving a Keras channels-first value HWC, 0 none yet */
    int flat_hwc;      /* a vector flattened from a chw value in its stored (HWC) order, not Keras' (C, H, W): plan
                          + 1 of that chw value, whose stored shape is flat_shape; 0 for every other value */
    nnom_shape flat_shape;
} kr_value;

/* One nnom layer to be added to the float32 model. Plan index = model layer id. */
typedef struct kr_plan {
    nnom_layer_desc desc;      /* inputs are plan indices; name set when the model is built */
    char name[192];            /* wanted name, before truncation and de-duplication */
    char keras[192];           /* the last Keras call whose output this layer computes ("" none) */
    int stored_hwc;            /* 1: it holds that output in another order than Keras' (a chw or flat_hwc value of a
                                  channels_first model), so it is not reported as computing it; its PERMUTE is */
    nnom_shape shape;          /* output shape (INPUT: the input shape) */
    const char *report_type;   /* the type reports name, where the Keras class differs from the runtime's type
                                  (a Dense on a sequence runs as a 1x1 CONV1D: "dense"); NULL: the runtime's */
    /* Weighted layers: float weights in converter memory, for BatchNormalization folding. */
    float *w;
    size_t w_count;
    float *b;                  /* NULL when the layer has no bias yet */
    int32_t n_oc;              /* output channels */
    int oc_last;               /* 1: channel index is the fastest (depthwise), 0: the slowest (conv, dense) */
} kr_plan;

typedef struct kr_ctx {
    nnom_converter *c;
    kr_file *file;
    kr_graph *g;
    kr_plan *plans;
    int n_plans, cap_plans;
    const kr_layer *layer;     /* the layer being converted */
    int node;                  /* and which call of it */
    char base[160];            /* its name ("name" or "name@k" for the k-th call of a shared layer) */
    const char *const *weight_subs; /* a wrapper's layer (TimeDistributed): the sub-layers holding its weights */
    int n_weight_subs;
    int time_distributed;      /* converting the layer a TimeDistributed wraps (a Conv1D then runs on every step) */
    int channels_first;        /* converting a data_format="channels_first" layer on HWC inputs (keras_layout.c) */
    nnom_status status;        /* the status of the last failure recorded through kr_plan_add() or an allocation */
} kr_ctx;

/* Signature of a class converter: reads the layer's config (and weights),
 * plans nnom layers reading @p in, and describes the result in @p out
 * (out->fold is -1 on entry). */
typedef nnom_status (*kr_build_fn)(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out);

/* How a class reads values Keras sees channels-first (keras_layout.c). */
typedef enum kr_layout_rule {
    KR_LAYOUT_KERAS = 0,       /* in Keras' layout (a PERMUTE puts marked inputs back) */
    KR_LAYOUT_DATA_FORMAT = 1, /* its data_format option: channels_first reads HWC and marks its output */
    KR_LAYOUT_ELEMENTWISE = 2, /* any layout: marked inputs of one rank pass, the output is marked */
    KR_LAYOUT_AXIS = 3,        /* as ELEMENTWISE, with option 'axis' moved to the stored layout */
    KR_LAYOUT_FLATTEN = 4,     /* Flatten: as DATA_FORMAT; channels_last flattens a chw value as stored (flat_hwc) */
    KR_LAYOUT_FLAT_ROWS = 5,   /* Dense: as KERAS, but reads a flat_hwc vector as it is (its kernel rows reordered) */
    KR_LAYOUT_OWN = 6          /* Permute: reads chw inputs and marks its output itself */
} kr_layout_rule;

/* What kr_layout_prepare() says about the output of the call being converted. */
typedef struct kr_layout_out {
    int chw;                   /* mark it chw (when its rank is 2 or 3) */
    int flat_hwc;              /* a vector: tag it flat_hwc (plan + 1), with flat_shape */
    nnom_shape flat_shape;
} kr_layout_out;

typedef struct kr_class {
    const char *name;
    kr_build_fn build;
    int min_inputs, max_inputs;
    kr_layout_rule layout;
} kr_class;

/* The shape Keras sees of @p v (its stored shape unless v->chw). */
nnom_shape kr_keras_shape(const kr_value *v);
/* The plan giving @p v in Keras' layout (a PERMUTE, made once, for a chw value; a PERMUTE and a FLATTEN
 * for a flat_hwc vector); -1 on failure. */
int kr_keras_plan(kr_ctx *x, kr_value *v);
/* The Keras (C, H, W) / (C, W) flat index of element @p j of a vector flattened from stored shape @p s. */
int64_t kr_keras_flat_index(const nnom_shape *s, int64_t j);
/* Readies the inputs of the call being converted for its class's layout @p rule: replaces in[j] by local[j]
 * where a PERMUTE is needed, may point x->layer at @p copy with a rewritten config (*owned, to be freed with
 * cJSON_Delete after the build), may set x->channels_first; *lo: how to mark the output. */
nnom_status kr_layout_prepare(kr_ctx *x, kr_layout_rule rule, const kr_value **in, kr_value *local, int n_in,
                              kr_layer *copy, cJSON **owned, kr_layout_out *lo);

/* The class entry for a Keras class_name, or NULL if unsupported. */
const kr_class *kr_class_find(const char *class_name);
/* 1 if @p layer is a Keras 3 operation called on tensors (`x + 3.0`, keras.ops.*), not a layer. */
int kr_is_operation(const kr_layer *layer);
/* The entry of an operation's class_name (keras_classes.c), or NULL if unsupported. */
const kr_class *kr_operation_find(const char *class_name);
/* The supported operations, for error messages. */
const char *kr_operations_text(void);
/* The classes of keras_transformer.c (LayerNormalization), or NULL. */
const kr_class *kr_transformer_class_find(const char *class_name);
/* The class entry of a layer that becomes a CUSTOM layer (keras_transformer.c): a Lambda whose
 * name, or a layer whose class name, is an operator of @p ops; NULL otherwise (and for NULL ops). */
const kr_class *kr_user_op_class(const nnom_op_registry *ops, const kr_layer *layer);
/* A short list of what is supported, for error messages. */
const char *kr_supported_text(void);

/* Appends a planned layer; returns its index, or -1 with the failure recorded on x->c and its status in
 * x->status (the shape must have rank 1 to 3 and at most 2^28 elements). */
int kr_plan_add(kr_ctx *x, nnom_layer_type type, const char *suffix, const int *inputs, int n_inputs,
                const nnom_layer_params *params, nnom_shape shape);

/* Records "layer 'name' (class C): <message>" on the converter and returns @p st. */
nnom_status kr_layer_fail(kr_ctx *x, nnom_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* "(8, 8, 3)" */
void kr_shape_text(const nnom_shape *s, char *buf, size_t cap);
/* Converts an InputLayer (its shape) into a planned INPUT. */
nnom_status kr_build_input(kr_ctx *x, kr_value *out);

#endif /* NNOM_KERAS_INTERNAL_H */
