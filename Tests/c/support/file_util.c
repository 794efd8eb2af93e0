#define _POSIX_C_SOURCE 200809L
#include "file_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

enum { TMP_DIR_MAX = 256, TMP_PATH_MAX = 512, TMP_PATH_SLOTS = 4 };

static char tmp_dir[TMP_DIR_MAX];

void tu_tmp_dir_make(const char *prefix)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/%s_XXXXXX", prefix);
    TU_REQUIRE(mkdtemp(tmp_dir) != NULL, "cannot create the temporary directory %s", tmp_dir);
}

const char *tu_tmp_dir(void) { return tmp_dir; }

const char *tu_tmp_path(const char *name)
{
    static char buf[TMP_PATH_SLOTS][TMP_PATH_MAX];
    static int k;
    k = (k + 1) % TMP_PATH_SLOTS;
    const int n = snprintf(buf[k], sizeof buf[k], "%s/%s", tmp_dir, name);
    TU_REQUIRE(n > 0 && (size_t)n < sizeof buf[k], "temporary path too long for '%s'", name);
    return buf[k];
}

void tu_tmp_dir_remove(void) { rmdir(tmp_dir); }

uint8_t *tu_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    TU_REQUIRE(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    TU_REQUIRE(n >= 0, "cannot find the size of %s", path);
    uint8_t *b = (uint8_t *)malloc((size_t)n + 1);
    TU_REQUIRE(b && fread(b, 1, (size_t)n, f) == (size_t)n, "cannot read %s", path);
    b[n] = 0;
    fclose(f);
    *size = (size_t)n;
    return b;
}

void tu_lambda_fixture_load(tu_lambda_fixture *f)
{
    nnom_error err;
    TU_REQUIRE(nnom_npy_read(NNOM_FIXTURES_DIR "/keras/user_op_lambda.input0.npy", &f->in0, &err) == NNOM_OK &&
                   nnom_npy_read(NNOM_FIXTURES_DIR "/keras/user_op_lambda.input1.npy", &f->in1, &err) == NNOM_OK &&
                   nnom_npy_read(NNOM_FIXTURES_DIR "/keras/user_op_lambda.output0.npy", &f->out0, &err) == NNOM_OK &&
                   nnom_npy_read(NNOM_FIXTURES_DIR "/keras/user_op_lambda.output1.npy", &f->out1, &err) == NNOM_OK,
               "fixture arrays: %s", err.message);
    f->batch = f->in0.dims[0];
    f->per_in = f->in0.count / f->batch;
    f->per_out0 = f->out0.count / f->batch;
    f->per_out1 = f->out1.count / f->batch;
    f->samples = (float *)malloc((size_t)(f->in0.count + f->in1.count) * sizeof(float));
    TU_REQUIRE(f->samples != NULL, "memory");
    for (int64_t k = 0; k < f->batch; k++) {
        memcpy(f->samples + k * 2 * f->per_in, f->in0.data + k * f->per_in, (size_t)f->per_in * sizeof(float));
        memcpy(f->samples + k * 2 * f->per_in + f->per_in, f->in1.data + k * f->per_in,
               (size_t)f->per_in * sizeof(float));
    }
}

void tu_lambda_fixture_free(tu_lambda_fixture *f)
{
    free(f->samples);
    nnom_array_free(&f->in0);
    nnom_array_free(&f->in1);
    nnom_array_free(&f->out0);
    nnom_array_free(&f->out1);
}
