/*
 * The recurrent digits classifiers of the Keras fixtures (rnn_digits_gru,
 * rnn_digits_lstm: 8 steps of 8 features, 32 units, a dense head): converted
 * to int8 (calibrated on digits_calib_x.npy), then run N times on test
 * sequences, int8 or float32. Prints MACs, arena, state and weight bytes. The
 * instruction count per inference comes from callgrind with
 * --toggle-collect=bench_runs (calibration is left out):
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_runs build/bench/benchmarks/bench_rnn gru s8 100
 *
 *   usage: bench_rnn gru|lstm s8|f32 [inferences]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnom/tools.h"

/* Runs @p m on @p n of the test sequences in @p x; returns a checksum of the outputs. */
__attribute__((noinline)) unsigned bench_runs(nnom_model *m, const float *x, int64_t count, int n);
__attribute__((noinline)) unsigned bench_runs(nnom_model *m, const float *x, int64_t count, int n)
{
    unsigned checksum = 0;
    for (int r = 0; r < n; r++) {
        float y[10];
        if (nnom_model_set_input_f32(m, 0, x + (r % count) * 64, 64) != NNOM_OK || nnom_model_run(m) != NNOM_OK ||
            nnom_model_get_output_f32(m, 0, y, 10) != NNOM_OK) {
            fprintf(stderr, "run: %s\n", nnom_model_last_error(m));
            exit(1);
        }
        for (int i = 0; i < 10; i++) checksum = checksum * 31u + (unsigned)(int)(y[i] * 1000.0f);
    }
    return checksum;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "gru") && strcmp(argv[1], "lstm")) || (strcmp(argv[2], "s8") && strcmp(argv[2], "f32"))) {
        fprintf(stderr, "usage: bench_rnn gru|lstm s8|f32 [inferences]\n");
        return 2;
    }
    const int n = argc > 3 ? atoi(argv[3]) : 10;
    char path[512];
    nnom_error err;
    nnom_array x, calib;
    snprintf(path, sizeof path, "%s/keras/digits_test_x.npy", NNOM_FIXTURES_DIR);
    if (nnom_npy_read(path, &x, &err) != NNOM_OK) return fprintf(stderr, "%s\n", err.message), 1;
    snprintf(path, sizeof path, "%s/keras/digits_calib_x.npy", NNOM_FIXTURES_DIR);
    if (nnom_npy_read(path, &calib, &err) != NNOM_OK) return fprintf(stderr, "%s\n", err.message), 1;
    snprintf(path, sizeof path, "%s/keras/rnn_digits_%s.keras", NNOM_FIXTURES_DIR, argv[1]);
    nnom_converter *c;
    if (nnom_convert_keras(path, calib.data, (size_t)(calib.count / 64), NULL, &c, &err) != NNOM_OK)
        return fprintf(stderr, "%s\n", err.message), 1;
    nnom_model *m = strcmp(argv[2], "s8") == 0 ? nnom_converter_int8_model(c) : nnom_converter_float_model(c);
    if (nnom_model_alloc_arena(m) != NNOM_OK) return fprintf(stderr, "%s\n", nnom_model_last_error(m)), 1;
    const unsigned checksum = bench_runs(m, x.data, x.dims[0], n);
    printf("model=%s dtype=%s inferences=%d macs=%llu arena=%zu state=%zu weights=%zu checksum=%08x\n", argv[1],
           argv[2], n, (unsigned long long)nnom_model_total_macs(m), nnom_model_arena_size(m),
           nnom_model_state_size(m), nnom_model_weight_bytes(m), checksum);
    nnom_converter_destroy(c);
    nnom_array_free(&x);
    nnom_array_free(&calib);
    return 0;
}
