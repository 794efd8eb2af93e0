/*
 * Test support: Keras files built at test time with libzip, libhdf5 and cJSON (no fixtures, no Python), for the
 * Keras reader's tests (test_keras_reader_*.c). The model is
 *
 *     img (5, 5, 2) -> Conv2D 'conv' (4 filters, 3x3, relu) -> Flatten 'flat' -> Dense 'fc' (3, softmax)
 *
 * written as a Keras 3 `.keras` archive (Keras 3 config, layers/<path>/vars weights) or as a legacy `.h5`
 * (Keras 2 config, model_weights/<name> with weight_names), with random weights that a double-precision
 * reference uses. Each test breaks it in one way; the helpers stop the test program (TU_REQUIRE) when a library
 * refuses to write.
 */
#ifndef NNOM_TEST_KERAS_FILES_H
#define NNOM_TEST_KERAS_FILES_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>
#include <hdf5.h>

#include "nnom/tools.h"

/* The model's weights, random, in Keras' layouts. */
#define KF_IN_H 5
#define KF_IN_W 5
#define KF_IN_C 2
#define KF_FILTERS 4
#define KF_OUT_HW 3
#define KF_FLAT (KF_OUT_HW * KF_OUT_HW * KF_FILTERS)
#define KF_UNITS 3

/* How the weights are written, and what to break in them. */
typedef struct kf_weights_spec {
    hsize_t conv_kernel_dims[4];  /* default (3, 3, KF_IN_C, KF_FILTERS) */
    int conv_bias;                /* write the bias (default 1) */
    int fc_missing;               /* legacy: list fc's kernel in weight_names but do not write it */
    int no_conv_group;            /* leave the conv layer's weights out entirely */
} kf_weights_spec;

typedef struct kf_entry {
    const char *name;
    const void *data;
    size_t size;
} kf_entry;

/* Changes a config in place (kf_config_text()). */
typedef void (*kf_tweak_fn)(cJSON *root);

/* Seeds the random numbers, draws the weights and makes the temporary directory (/tmp/<prefix>_XXXXXX). */
void kf_setup(const char *prefix);
/* Removes the (emptied) temporary directory. */
void kf_teardown(void);

/* <tmp dir>/<name> into @p buf. */
void kf_tmp_path(char *buf, size_t cap, const char *name);
/* Reads @p path expecting @p expected; each of the NULL-terminated @p words must be in the message. */
void kf_expect_failure(const char *what, const char *path, nnom_status expected, const char *const *words);
/* The well-formed files read, and compute what the reference computes. */
void kf_expect_model(const char *what, const char *path);

/* The weights as Keras writes them (no break). */
kf_weights_spec kf_default_weights(void);
/* A Keras 3 model.weights.h5; a legacy .h5 holding @p config and the weights. */
void kf_write_keras3_weights(const char *path, const kf_weights_spec *ws);
void kf_write_legacy(const char *path, const char *config, const kf_weights_spec *ws);
/* A .keras archive from a config (NULL: no config.json) and weights (NULL: no model.weights.h5). */
void kf_write_keras(const char *path, const char *config, const kf_weights_spec *ws);
/* The model's config (Keras 3, or Keras 2 with @p keras2) after @p tweak (may be NULL), as text (free()). */
char *kf_config_text(int keras2, kf_tweak_fn tweak);

/* Whole files: read (malloc'd; the caller frees) and written. */
void *kf_read_whole(const char *path, size_t *size);
void kf_write_whole(const char *path, const void *data, size_t size);
/* A zip of stored (uncompressed) entries, as Keras writes .keras files. */
void kf_write_zip(const char *path, const kf_entry *entries, int n);
/* Sets the sizes the zip's local header and central directory give entry @p name. */
void kf_patch_zip_sizes(const char *path, const char *name, uint32_t size, uint32_t comp_size);

/* Config editing: a Keras 3 tensor reference to @p from's output (h, w, c); layer @p name's "config" object and
 * the layer object itself (NULL when absent); an object's item @p key replaced or added. */
cJSON *kf_keras3_tensor(const char *from, int h, int w, int c);
cJSON *kf_layer_config(cJSON *root, const char *name);
cJSON *kf_layer_object(cJSON *root, const char *name);
void kf_set_item(cJSON *obj, const char *key, cJSON *value);

#endif /* NNOM_TEST_KERAS_FILES_H */
