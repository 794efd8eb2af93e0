/* Internal to the host tools: the converter handle and its memory. */
#ifndef NNOM_TOOLS_INTERNAL_H
#define NNOM_TOOLS_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "nnom/nnom.h"
#include "nnom/tools.h"

/* Memory that lives as long as the converter: weights of both models, tables. */
typedef struct nnom_store_chunk nnom_store_chunk;
typedef struct nnom_store {
    nnom_store_chunk *chunks;
} nnom_store;

/* Zeroed, 8-byte aligned; NULL when out of memory. Freed with the converter. */
void *nnom_store_alloc(nnom_store *s, size_t bytes);
void nnom_store_release(nnom_store *s);

struct nnom_converter {
    nnom_model *float_model;
    int owns_float_model;
    nnom_model *int8_model;
    nnom_store store;
    char source[512];          /* the file converted, for generated comments ("" if built by hand) */
    /* per float-model layer, the Keras layer whose output it computes or NULL (nnom_converter_keras_layer) */
    const char **keras_layers;
    /* per float-model layer, the type name reports give it when not the runtime type's, or NULL
     * (nnom_converter_layer_type_name); static strings. Both arrays have n_keras_layers entries. */
    const char **report_types;
    int32_t n_keras_layers;
    /* calibration: per float-model layer, the observed output range */
    float *range_min, *range_max;
    const nnom_op_registry *ops; /* user operators Keras Lambda and custom layers may map to (NULL: none) */
    /* dead-channel removal (quantize/dead_channels.c): output channels removed, and from how many layers */
    int32_t removed_channels, removed_from_layers;
    /* zero paddings folded into the convolution reading them (common/fold_padding.c) */
    int32_t folded_paddings;
    char error[NNOM_ERROR_MESSAGE_MAX];
};

/* Creates an empty converter (no models yet). */
nnom_status nnom_converter_create(nnom_converter **out, nnom_error *err);

/* Records a failure (printf format) and returns @p status. */
nnom_status nnom_converter_fail(nnom_converter *c, nnom_status status, const char *fmt, ...);
/* The same with @p prefix before the message, for the helpers that name a step or a layer once
 * (e.g. `#define report_fail(c, st, ...) nnom_converter_fail_in((c), (st), "report: ", __VA_ARGS__)`). */
nnom_status nnom_converter_fail_in(nnom_converter *c, nnom_status status, const char *prefix, const char *fmt, ...);
nnom_status nnom_converter_vfail(nnom_converter *c, nnom_status status, const char *prefix, const char *fmt,
                                 va_list ap);

/* Copies the converter's message into @p err (if not NULL). */
void nnom_converter_error_to(const nnom_converter *c, nnom_status status, nnom_error *err);

/* Why a file could not be opened or read, from errno, in the words every front end uses:
 * "cannot read '<path>': <reason>" with "no such file", "it is a directory", "permission denied", or the
 * system's text. */
const char *nnom_tools_io_reason(int errno_value);

/* Fills @p err directly (printf format); returns @p status. */
nnom_status nnom_error_set(nnom_error *err, nnom_status status, const char *fmt, ...);

/* Called by nnom_tools_rebuild for each layer @p i it copies (not an input), with the layer's info and its
 * description @p d (inputs already the copy's ids) to change before it is added; a failure stops the rebuild
 * (the function sets its own message where the model's would not say what failed). */
typedef nnom_status (*nnom_rebuild_edit)(void *ctx, int32_t i, const nnom_layer_info *info, nnom_layer_desc *d);

/* How nnom_tools_rebuild copies a model; start from NNOM_REBUILD_INIT (a plain copy). */
typedef struct nnom_rebuild {
    const uint8_t *skip;    /* layers left out when skip[i] (NULL: none); readers of one read its first input */
    int32_t *map;           /* filled: map[i] the copy's id of layer i (of a skipped one, its input's); required
                             * with skip, may be NULL otherwise */
    nnom_rebuild_edit edit; /* NULL: layers copied as they are */
    void *ctx;              /* edit's first argument */
    int keep_all, observe;  /* nnom_model_keep_all_outputs / nnom_model_observe_internals of the copy */
} nnom_rebuild;
#define NNOM_REBUILD_INIT {NULL, NULL, NULL, NULL, 0, 0}

/* A compiled copy of @p m built layer by layer through the introspection API (common/clone.c), each
 * layer's info turned into a description (inputs through how->map, params, quant, blobs) that how->edit
 * may change. Blobs are shared unless edit replaces them (the copy must not outlive @p m). On failure
 * @p err holds the model's message, unprefixed. */
nnom_status nnom_tools_rebuild(const nnom_model *m, const nnom_rebuild *how, nnom_model **out, nnom_error *err);

/* A compiled copy of @p m built through the introspection API; blobs are shared (the copy must not
 * outlive @p m). keep_all: every layer output stays readable after a run. */
nnom_status nnom_tools_clone(const nnom_model *m, int keep_all, nnom_model **out, nnom_error *err);
/* The same, the clone observing the values inside its layers (nnom_model_observe_internals()). */
nnom_status nnom_tools_clone_observing(const nnom_model *m, int keep_all, int observe, nnom_model **out,
                                       nnom_error *err);

/* Removes the output channels with all-zero weights from both models, folding their constants
 * into the next layer's bias where that is exact (quantize/dead_channels.c); @p samples: the
 * calibration samples (the first is run to read the constants). With @p keep, only resets the counts. */
nnom_status nnom_dead_channels_remove(nnom_converter *c, const float *samples, int keep);

/* Folds each ZERO_PADDING1D/2D read only by a VALID convolution of its rank into that convolution's
 * explicit padding (NNOM_PADDING_EXPLICIT), in both models, and counts them in c->folded_paddings
 * (common/fold_padding.c); outputs unchanged bit for bit. */
nnom_status nnom_paddings_fold(nnom_converter *c);

/* Writes the int8 model's weights in pairs (common/weight_pairs.c): the int8 model rebuilt with each
 * int8 DENSE's blob 0 in row pairs (cell_flags NNOM_DENSE_ROW_PAIRS) and each convolution that
 * nnom_conv_pairs_fit() accepts in channel pairs (NNOM_CONV_CHANNEL_PAIRS); outputs unchanged bit for
 * bit. The last step of a conversion. */
nnom_status nnom_weight_pairs_write(nnom_converter *c);

#endif
