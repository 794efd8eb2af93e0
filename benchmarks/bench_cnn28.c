/*
 * Runs the 28x28 CNN (examples/c/cnn28_model.c) N times in an arena of
 * exactly the planned size, and prints MACs and arena bytes. The instruction
 * count per inference comes from running this under callgrind with
 * --toggle-collect=nnom_model_run (see run.sh).
 *
 *   usage: bench_cnn28 [inferences]
 */
#include <stdio.h>
#include <stdlib.h>

#include "cnn28_model.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    nnom_model *m;
    nnom_error err;
    if (cnn28_build(NULL, &m, &err) != NNOM_OK) {
        fprintf(stderr, "build failed: %s\n", err.message);
        return 1;
    }
    size_t arena_size = nnom_model_arena_size(m);
    void *arena = malloc(arena_size);
    if (!arena || nnom_model_set_arena(m, arena, arena_size) != NNOM_OK) {
        fprintf(stderr, "arena: %s\n", nnom_model_last_error(m));
        return 1;
    }
    int8_t *x = (int8_t *)nnom_model_input_data(m, 0);
    unsigned checksum = 0;
    for (int r = 0; r < n; r++) {
        for (int i = 0; i < 28 * 28; i++) x[i] = (int8_t)((i * 7 + r * 13) % 256 - 128);
        if (nnom_model_run(m) != NNOM_OK) {
            fprintf(stderr, "run: %s\n", nnom_model_last_error(m));
            return 1;
        }
        const int8_t *y = (const int8_t *)nnom_model_output_data(m, 0);
        for (int i = 0; i < 10; i++) checksum = checksum * 31u + (uint8_t)y[i];
    }
    printf("inferences=%d macs=%llu arena=%zu weights=%zu checksum=%08x\n", n,
           (unsigned long long)nnom_model_total_macs(m), arena_size, nnom_model_weight_bytes(m), checksum);
    nnom_model_destroy(m);
    free(arena);
    return 0;
}
