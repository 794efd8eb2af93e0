/*
 * Runs the model of a converter-generated weights.h (the bytes firmware
 * would flash) on int8 inputs read from a file, and compares every output
 * byte with the expected int8 outputs from another file.
 *
 *   usage: check_weights_h inputs.bin expected.bin
 * inputs.bin: N samples of the model's input (int8), back to back;
 * expected.bin: the N corresponding outputs (int8), back to back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include WEIGHTS_HEADER

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = (unsigned char *)malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s inputs.bin expected.bin\n", argv[0]);
        return 2;
    }
    nnom_model *m;
    nnom_error err;
    if (MODEL_LOAD(NULL, &m, &err) != NNOM_OK) {
        fprintf(stderr, "loading the model from the header failed: %s\n", err.message);
        return 1;
    }
    if (nnom_model_alloc_arena(m) != NNOM_OK) {
        fprintf(stderr, "%s\n", nnom_model_last_error(m));
        return 1;
    }
    nnom_tensor_info in, out;
    nnom_model_input_info(m, 0, &in);
    nnom_model_output_info(m, 0, &out);
    size_t n_in, n_out;
    unsigned char *x = read_all(argv[1], &n_in), *want = read_all(argv[2], &n_out);
    if (!x || !want || n_in % (size_t)in.count || n_out % (size_t)out.count ||
        n_in / (size_t)in.count != n_out / (size_t)out.count) {
        fprintf(stderr, "cannot read %s / %s as samples of %d inputs and %d outputs\n", argv[1], argv[2],
                (int)in.count, (int)out.count);
        return 1;
    }
    size_t samples = n_in / (size_t)in.count, same = 0;
    int8_t *y = (int8_t *)malloc((size_t)out.count);
    for (size_t s = 0; s < samples; s++) {
        if (nnom_model_set_input_s8(m, 0, (const int8_t *)x + s * (size_t)in.count, (size_t)in.count) != NNOM_OK ||
            nnom_model_run(m) != NNOM_OK || nnom_model_get_output_s8(m, 0, y, (size_t)out.count) != NNOM_OK) {
            fprintf(stderr, "sample %zu: %s\n", s, nnom_model_last_error(m));
            return 1;
        }
        same += memcmp(y, want + s * (size_t)out.count, (size_t)out.count) == 0;
    }
    printf("weights.h program: %zu of %zu samples give bit-identical int8 outputs (arena %zu bytes)\n", same, samples,
           nnom_model_arena_size(m));
    free(y);
    free(x);
    free(want);
    nnom_model_destroy(m);
    return same == samples ? 0 : 1;
}
