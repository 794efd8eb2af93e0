/*
 * The C side of benchmarks/zoo.py: converts one Keras model (calibrated on a
 * .npy batch), then runs both the float32 model and the int8 model of the
 * converter on a .npy batch of test inputs and writes their outputs
 * (dequantised for int8) as float32 .npy files. Prints one line: layers,
 * MACs, arenas. With a run count, also runs the int8 model that many times
 * inside bench_runs(), for callgrind:
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_runs zoo_run m.keras calib.npy x.npy out/ 3
 *
 * Built with -DNNOM_SANITIZE=ON it is the zoo's AddressSanitizer run.
 *
 *   usage: zoo_run MODEL.keras CALIB.npy TEST.npy OUT_DIR [int8 runs]
 *   writes OUT_DIR/float32.npy and OUT_DIR/int8.npy (N x output count)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnom/tools.h"

enum { PATH_BYTES = 1024 };

static int fail(const char *what, const char *message)
{
    fprintf(stderr, "zoo_run: %s: %s\n", what, message);
    return 1;
}

/* Runs @p m on the @p n samples of @p x (@p in_count floats each) into @p y (@p out_count floats each). */
static int run_all(nnom_model *m, const float *x, int64_t n, int32_t in_count, float *y, int32_t out_count)
{
    for (int64_t s = 0; s < n; s++) {
        if (nnom_model_set_input_f32(m, 0, x + s * in_count, (size_t)in_count) != NNOM_OK ||
            nnom_model_run(m) != NNOM_OK ||
            nnom_model_get_output_f32(m, 0, y + s * out_count, (size_t)out_count) != NNOM_OK)
            return fail("run", nnom_model_last_error(m));
    }
    return 0;
}

/* The int8 model run @p runs times on the first test sample (what callgrind counts). */
__attribute__((noinline)) int bench_runs(nnom_model *m, int runs);
__attribute__((noinline)) int bench_runs(nnom_model *m, int runs)
{
    for (int r = 0; r < runs; r++)
        if (nnom_model_run(m) != NNOM_OK) return fail("run", nnom_model_last_error(m));
    return 0;
}

static int write_outputs(const char *dir, const char *name, const float *y, int64_t n, int32_t out_count)
{
    char path[PATH_BYTES];
    nnom_error err;
    const int64_t dims[2] = {n, out_count};
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    if (nnom_npy_write_f32(path, y, 2, dims, &err) != NNOM_OK) return fail(path, err.message);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: zoo_run MODEL.keras CALIB.npy TEST.npy OUT_DIR [int8 runs]\n");
        return 2;
    }
    const int runs = argc > 5 ? atoi(argv[5]) : 0;
    nnom_error err;
    nnom_array calib, x;
    if (nnom_npy_read(argv[2], &calib, &err) != NNOM_OK) return fail(argv[2], err.message);
    if (nnom_npy_read(argv[3], &x, &err) != NNOM_OK) return fail(argv[3], err.message);
    if (calib.rank < 1 || x.rank < 1 || calib.dims[0] < 1 || x.dims[0] < 1)
        return fail("inputs", "calibration and test batches need a batch axis and at least one sample");
    nnom_converter *c = NULL;
    if (nnom_convert_keras(argv[1], calib.data, (size_t)calib.dims[0], NULL, &c, &err) != NNOM_OK)
        return fail(argv[1], err.message);
    nnom_model *models[2] = {nnom_converter_float_model(c), nnom_converter_int8_model(c)};
    const char *names[2] = {"float32", "int8"};
    nnom_tensor_info in, out;
    if (nnom_model_input_info(models[1], 0, &in) != NNOM_OK || nnom_model_output_info(models[1], 0, &out) != NNOM_OK)
        return fail("model", nnom_model_last_error(models[1]));
    const int64_t n = x.dims[0];
    if (x.count != n * in.count) return fail(argv[3], "a sample is not the size of the model's input");
    float *y = malloc((size_t)(n * out.count) * sizeof *y);
    if (!y) return fail("outputs", "out of memory");
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        if (nnom_model_alloc_arena(models[k]) != NNOM_OK) {
            rc = fail(names[k], nnom_model_last_error(models[k]));
            break;
        }
        rc = run_all(models[k], x.data, n, in.count, y, out.count);
        if (rc == 0) rc = write_outputs(argv[4], names[k], y, n, out.count);
    }
    if (rc == 0 && runs > 0) {
        rc = nnom_model_set_input_f32(models[1], 0, x.data, (size_t)in.count) == NNOM_OK
                 ? bench_runs(models[1], runs)
                 : fail("run", nnom_model_last_error(models[1]));
    }
    if (rc == 0)
        printf("layers=%d macs=%llu arena_s8=%zu arena_f32=%zu runs=%d\n", nnom_model_layer_count(models[1]),
               (unsigned long long)nnom_model_total_macs(models[1]), nnom_model_arena_size(models[1]),
               nnom_model_arena_size(models[0]), runs);
    free(y);
    nnom_converter_destroy(c);
    nnom_array_free(&calib);
    nnom_array_free(&x);
    return rc;
}
