/*
 * Builds the 28x28 CNN by hand, runs it on a drawn digit, prints the
 * outputs, the arena and per-layer statistics; then saves it as a .nnom
 * file, loads the bytes back and checks the loaded model answers the same.
 *
 *   usage: run_cnn28 [model.nnom]      (default output file: cnn28.nnom)
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cnn28_model.h"

static uint32_t now_us(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

static void draw_seven(float *img)
{
    memset(img, 0, 28 * 28 * sizeof *img);
    for (int x = 6; x < 22; x++) img[5 * 28 + x] = img[6 * 28 + x] = 1.0f;    /* top bar */
    for (int y = 6; y < 24; y++) {                                            /* diagonal */
        int x = 21 - (y - 6) * 10 / 18;
        img[y * 28 + x] = img[y * 28 + x - 1] = 1.0f;
    }
}

static int check(nnom_model *m, nnom_status st, const char *what)
{
    if (st == NNOM_OK) return 0;
    fprintf(stderr, "%s failed: %s: %s\n", what, nnom_status_name(st), m ? nnom_model_last_error(m) : "");
    return 1;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "cnn28.nnom";
    nnom_options opt;
    nnom_options_init(&opt);
    opt.timer = now_us;
    nnom_model *m;
    nnom_error err;
    if (cnn28_build(&opt, &m, &err) != NNOM_OK) {
        fprintf(stderr, "building the model failed: %s\n", err.message);
        return 1;
    }
    if (check(m, nnom_model_alloc_arena(m), "allocating the arena")) return 1;

    float img[28 * 28], probs[10];
    draw_seven(img);
    const int runs = 20;
    for (int r = 0; r < runs; r++) {
        if (check(m, nnom_model_set_input_f32(m, 0, img, 28 * 28), "setting the input") ||
            check(m, nnom_model_run(m), "running"))
            return 1;
    }
    if (check(m, nnom_model_get_output_f32(m, 0, probs, 10), "reading the output")) return 1;

    printf("nnom %s: hand-built int8 CNN, 28x28x1 input (random weights)\n\n", nnom_version_string());
    printf("outputs (softmax):");
    for (int i = 0; i < 10; i++) printf(" %.3f", probs[i]);
    printf("\n\n%-14s %-12s %-13s %10s %8s %8s %8s %10s\n", "layer", "type", "output", "MACs", "offset", "bytes",
           "scratch", "us/run");
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info li = NNOM_LAYER_INFO_INIT;
        nnom_layer_stats ls;
        nnom_model_layer_info(m, i, &li);
        nnom_model_layer_stats(m, i, &ls);
        char shape[32];
        if (li.shape.rank == 3) snprintf(shape, sizeof shape, "%dx%dx%d", (int)li.shape.dims[0], (int)li.shape.dims[1], (int)li.shape.dims[2]);
        else if (li.shape.rank == 2) snprintf(shape, sizeof shape, "%dx%d", (int)li.shape.dims[0], (int)li.shape.dims[1]);
        else snprintf(shape, sizeof shape, "%d", (int)li.shape.dims[0]);
        printf("%-14s %-12s %-13s %10llu %8u %8u %8u %10.1f%s\n", li.name, li.type_name, shape,
               (unsigned long long)li.macs, (unsigned)li.arena_offset, (unsigned)li.arena_bytes,
               (unsigned)li.scratch_bytes, ls.runs ? (double)ls.time_us / ls.runs : 0.0,
               li.in_place ? "  (in place)" : "");
    }
    printf("\ntotal: %llu MACs, arena %zu bytes, weights %zu bytes\n", (unsigned long long)nnom_model_total_macs(m),
           nnom_model_arena_size(m), nnom_model_weight_bytes(m));

    /* save, load the bytes back, compare */
    size_t size;
    if (check(m, nnom_model_save(m, NULL, 0, &size), "sizing the file")) return 1;
    uint32_t *bytes = (uint32_t *)malloc(size + 4);
    if (!bytes || check(m, nnom_model_save(m, bytes, size, &size), "saving")) return 1;
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, size, f) != size) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    fclose(f);
    nnom_model *loaded;
    if (nnom_model_load(bytes, size, NULL, &loaded, &err) != NNOM_OK) {
        fprintf(stderr, "loading %s failed: %s\n", path, err.message);
        return 1;
    }
    int8_t a[10], b[10];
    nnom_model_get_output_s8(m, 0, a, 10);
    if (check(loaded, nnom_model_alloc_arena(loaded), "arena") ||
        check(loaded, nnom_model_set_input_f32(loaded, 0, img, 28 * 28), "input") ||
        check(loaded, nnom_model_run(loaded), "run") || check(loaded, nnom_model_get_output_s8(loaded, 0, b, 10), "output"))
        return 1;
    int same = memcmp(a, b, 10) == 0;
    printf("saved %s (%zu bytes); the loaded file gives %s outputs\n", path, size, same ? "identical" : "DIFFERENT");
    nnom_model_destroy(loaded);
    nnom_model_destroy(m);
    free(bytes);
    return same ? 0 : 1;
}
