/*
 * Writes .nnom seed files for the fuzzer from Keras models:
 *
 *     nnom_fuzz_seeds <out-dir> model.keras ...
 *
 * For each model, <out-dir>/<name>.f32.nnom (the float32 model the reader
 * builds) and <name>.int8.nnom (quantised on a small synthetic calibration
 * set: seeds need valid files, not accurate ones). Used by make_corpus.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnom/nnom.h"
#include "nnom/tools.h"

enum { SEED_CALIBRATION_SAMPLES = 4 };

static int save(nnom_model *m, const char *dir, const char *base, const char *suffix)
{
    size_t size = 0;
    if (nnom_model_save(m, NULL, 0, &size) != NNOM_OK) return -1;
    void *bytes = malloc(size);
    if (!bytes || nnom_model_save(m, bytes, size, &size) != NNOM_OK) {
        free(bytes);
        return -1;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.%s.nnom", dir, base, suffix);
    FILE *f = fopen(path, "wb");
    const int ok = f && fwrite(bytes, 1, size, f) == size;
    if (f) fclose(f);
    free(bytes);
    return ok ? 0 : -1;
}

/* "dir/conv2d.keras" -> "conv2d", "dir/conv2d.k2.h5" -> "conv2d.k2_h5" */
static void base_name(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    snprintf(out, cap, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(out, '.');
    if (dot && strcmp(dot, ".keras") == 0) *dot = '\0';
    else if (dot) *dot = '_';
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s <out-dir> model.keras|model.h5 ...\n", argv[0]);
        return 2;
    }
    int written = 0;
    for (int i = 2; i < argc; i++) {
        nnom_converter *c;
        nnom_error err;
        if (nnom_keras_read(argv[i], &c, &err) != NNOM_OK) {
            fprintf(stderr, "skipped %s: %s\n", argv[i], err.message);
            continue;
        }
        char base[256];
        base_name(argv[i], base, sizeof base);
        nnom_model *fm = nnom_converter_float_model(c);
        if (save(fm, argv[1], base, "f32") == 0) written++;
        size_t per_sample = 0;
        for (int32_t k = 0; k < nnom_model_input_count(fm); k++) {
            nnom_tensor_info info;
            nnom_model_input_info(fm, k, &info);
            per_sample += (size_t)info.count;
        }
        const size_t n = per_sample * SEED_CALIBRATION_SAMPLES;
        float *x = (float *)malloc(n * sizeof *x + 1);
        for (size_t j = 0; j < n; j++) x[j] = (float)((int)(j * 7 % 23) - 11) / 8.0f;
        if (nnom_converter_quantize(c, x, SEED_CALIBRATION_SAMPLES, NULL) == NNOM_OK &&
            save(nnom_converter_int8_model(c), argv[1], base, "int8") == 0)
            written++;
        else
            fprintf(stderr, "no int8 seed from %s: %s\n", argv[i], nnom_converter_last_error(c));
        free(x);
        nnom_converter_destroy(c);
    }
    printf("%d .nnom seeds written to %s\n", written, argv[1]);
    return written > 0 ? 0 : 1;
}
