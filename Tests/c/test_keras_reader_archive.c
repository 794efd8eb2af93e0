/*
 * The Keras reader on the test model of support/keras_files.h: both layouts (Keras 3 .keras, legacy .h5) read and
 * compute what a double-precision reference computes; broken archives (entries missing, lying or of the wrong
 * kind) and bad arguments fail with the right status and a message naming the problem, never a crash (the test
 * also runs under ASan/UBSan). Broken configs: test_keras_reader_config; broken weights: test_keras_reader_weights.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "file_util.h"
#include "keras_files.h"
#include "test_util.h"

static void test_valid(void)
{
    char path[512];
    kf_weights_spec ws = kf_default_weights();
    char *k3 = kf_config_text(0, NULL), *k2 = kf_config_text(1, NULL);
    kf_tmp_path(path, sizeof path, "good.keras");
    kf_write_keras(path, k3, &ws);
    kf_expect_model("Keras 3 .keras", path);
    remove(path);
    kf_tmp_path(path, sizeof path, "good.h5");
    kf_write_legacy(path, k2, &ws);
    kf_expect_model("Keras 2 .h5", path);
    /* a Keras 3 config in a legacy file reads as well */
    kf_write_legacy(path, k3, &ws);
    kf_expect_model("Keras 3 config in .h5", path);
    remove(path);
    free(k3);
    free(k2);
}

static void test_archive(void)
{
    char path[512];
    kf_weights_spec ws = kf_default_weights();
    char *k3 = kf_config_text(0, NULL);
    kf_tmp_path(path, sizeof path, "broken.keras");

    kf_write_keras(path, NULL, &ws);
    const char *w1[] = {"config.json", "broken.keras", NULL};
    kf_expect_failure("zip without config.json", path, NNOM_ERR_KERAS, w1);

    kf_write_keras(path, k3, NULL);
    const char *w2[] = {"model.weights.h5", NULL};
    kf_expect_failure("zip without weights", path, NNOM_ERR_KERAS, w2);

    const char text[] = "not an HDF5 file at all";
    kf_entry e[2] = {{"config.json", k3, strlen(k3)}, {"model.weights.h5", text, sizeof text - 1}};
    kf_write_zip(path, e, 2);
    const char *w3[] = {"model.weights.h5", "not an HDF5", NULL};
    kf_expect_failure("weights not HDF5", path, NNOM_ERR_KERAS, w3);

    /* a weights entry declaring 3.6 GB in a small archive: refused before anything that large is allocated */
    kf_patch_zip_sizes(path, "model.weights.h5", 3600000000u, 0);
    const char *w3b[] = {"model.weights.h5", "stored (not compressed) but declares 3600000000 bytes", NULL};
    kf_expect_failure("weights declaring 3.6 GB", path, NNOM_ERR_KERAS, w3b);

    /* the weights cut in half: HDF5 must refuse them from memory */
    char wpath[512];
    kf_tmp_path(wpath, sizeof wpath, "half.weights.h5");
    kf_write_keras3_weights(wpath, &ws);
    size_t wsize;
    void *weights = kf_read_whole(wpath, &wsize);
    remove(wpath);
    e[1] = (kf_entry){"model.weights.h5", weights, wsize / 2};
    kf_write_zip(path, e, 2);
    const char *w4[] = {"model.weights.h5", NULL};
    kf_expect_failure("weights truncated in zip", path, NNOM_ERR_KERAS, w4);
    free(weights);

    /* an empty zip: only the end-of-central-directory record */
    unsigned char eocd[22] = {'P', 'K', 5, 6};
    kf_write_whole(path, eocd, sizeof eocd);
    const char *w5[] = {"config.json", NULL};
    kf_expect_failure("empty zip", path, NNOM_ERR_KERAS, w5);

    /* the HDF5 signature and garbage after it */
    unsigned char junk[600];
    memset(junk, 0xA5, sizeof junk);
    memcpy(junk, "\x89HDF\r\n\x1a\n", 8);
    kf_tmp_path(path, sizeof path, "junk.h5");
    kf_write_whole(path, junk, sizeof junk);
    const char *w6[] = {"junk.h5", "HDF5", NULL};
    kf_expect_failure("HDF5 signature, junk", path, NNOM_ERR_KERAS, w6);
    remove(path);

    kf_tmp_path(path, sizeof path, "broken.keras");
    remove(path);
    free(k3);
}

static void test_arguments(void)
{
    nnom_error err;
    nnom_converter *c = NULL;
    TU_CHECK(nnom_keras_read(NULL, &c, &err) == NNOM_ERR_ARGUMENT && c == NULL, "NULL path: %s", err.message);
    char path[512];
    kf_tmp_path(path, sizeof path, "x.keras");
    TU_CHECK(nnom_keras_read(path, NULL, &err) == NNOM_ERR_ARGUMENT, "NULL out: %s", err.message);
    /* a directory is not a file */
    const char *w[] = {tu_tmp_dir(), NULL};
    kf_expect_failure("a directory", tu_tmp_dir(), NNOM_ERR_IO, w);
}

int main(void)
{
    kf_setup("nnom_keras_archive");

    test_valid();
    test_archive();
    test_arguments();

    kf_teardown();
    return tu_finish("test_keras_reader_archive");
}
