/*
 * Test support: files. A private temporary directory per test program and
 * paths inside it, and reading a whole file. Each stops the test program
 * (TU_REQUIRE) when the file system refuses.
 */
#ifndef NNOM_TEST_FILE_UTIL_H
#define NNOM_TEST_FILE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "nnom/tools.h"

/* Makes a new directory /tmp/<prefix>_XXXXXX for this program's files. */
void tu_tmp_dir_make(const char *prefix);
/* The directory tu_tmp_dir_make() made. */
const char *tu_tmp_dir(void);
/* <tmp dir>/<name>; the text stays valid for the next three calls. */
const char *tu_tmp_path(const char *name);
/* Removes the (emptied) directory. */
void tu_tmp_dir_remove(void);

/* The bytes of @p path in a malloc'd buffer (8-aligned, as nnom_model_load needs) with a NUL after
 * the last byte, so text files read as strings; their count in *size. The caller frees. */
uint8_t *tu_read_file(const char *path, size_t *size);

/* The two-input, two-output Keras fixture Tests/fixtures/keras/user_op_lambda.*.npy: its arrays,
 * `batch` samples of per_in values per input and per_out0 / per_out1 per output, and samples[batch]
 * [2 * per_in] holding each sample's two inputs side by side (for nnom_converter_quantize()). */
typedef struct tu_lambda_fixture {
    nnom_array in0, in1, out0, out1;
    int64_t batch, per_in, per_out0, per_out1;
    float *samples;
} tu_lambda_fixture;

void tu_lambda_fixture_load(tu_lambda_fixture *f);
void tu_lambda_fixture_free(tu_lambda_fixture *f);

#endif /* NNOM_TEST_FILE_UTIL_H */
