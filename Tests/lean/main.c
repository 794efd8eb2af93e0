/*
 * Checks the lean runtime (NNOM_INT8_ONLY + NNOM_TERSE_ERRORS): what the two
 * options change, and that a model still loads, runs and fails cleanly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn28_model.h"
#include "nnom/nnom.h"

static int checks, failures;

#define CHECK(cond, ...)                                          \
    do {                                                          \
        checks++;                                                 \
        if (!(cond)) {                                            \
            failures++;                                           \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            printf(__VA_ARGS__);                                  \
            printf("\n");                                         \
        }                                                         \
    } while (0)

/* The message a terse build gives: the status name and the option that dropped the rest. */
static void expect_terse(nnom_status got, nnom_status want, const char *message, const char *where)
{
    char text[96];
    snprintf(text, sizeof text, "%s (NNOM_TERSE_ERRORS)", nnom_status_name(want));
    CHECK(got == want, "%s: status %s, expected %s", where, nnom_status_name(got), nnom_status_name(want));
    CHECK(strcmp(message, text) == 0, "%s: message '%s', expected '%s'", where, message, text);
}

static char last_log[256];
static int log_lines;
static void on_log(void *ctx, const char *line)
{
    (void)ctx;
    snprintf(last_log, sizeof last_log, "%s", line);
    log_lines++;
}

static void float_models_are_refused(void)
{
    nnom_model *m = (nnom_model *)1;
    nnom_error err;
    nnom_status st = nnom_model_create(NNOM_DTYPE_F32, NULL, &m, &err);
    expect_terse(st, NNOM_ERR_UNSUPPORTED, err.message, "float32 model");
    CHECK(m == NULL, "no model is returned on failure");
    CHECK(err.status == NNOM_ERR_UNSUPPORTED, "err.status %d", (int)err.status);
}

/* An unnamed OUTPUT layer reading layer @p src. */
static void add_output(nnom_model *m, int32_t src)
{
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = NNOM_LAYER_OUTPUT;
    d.n_inputs = 1;
    d.inputs[0] = src;
    CHECK(nnom_model_add_layer(m, &d, NULL) == NNOM_OK, "%s", nnom_model_last_error(m));
}

/* Input 4x4x1 -> unnamed max pool -> unnamed output; then a conv whose weights are a byte short. */
static void builder_names_and_failures(void)
{
    nnom_options opt;
    nnom_options_init(&opt);
    opt.log = on_log;
    nnom_model *m;
    nnom_error err;
    CHECK(nnom_model_create(NNOM_DTYPE_S8, &opt, &m, &err) == NNOM_OK, "%s", err.message);
    const nnom_quant q = {0.05f, 3};
    const nnom_shape shape = {3, {4, 4, 1}};
    int32_t in, pool;
    CHECK(nnom_model_add_input(m, NULL, shape, q, &in) == NNOM_OK, "%s", nnom_model_last_error(m));
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = NNOM_LAYER_MAX_POOL2D;
    d.n_inputs = 1;
    d.inputs[0] = in;
    d.quant = q;
    d.params.kernel[0] = d.params.kernel[1] = 2;
    d.params.stride[0] = d.params.stride[1] = 2;
    CHECK(nnom_model_add_layer(m, &d, &pool) == NNOM_OK, "%s", nnom_model_last_error(m));
    add_output(m, pool);

    /* a name used twice is still refused */
    nnom_layer_desc_init(&d);
    d.type = NNOM_LAYER_OUTPUT;
    d.name = "max_pool2d_1";
    d.n_inputs = 1;
    d.inputs[0] = pool;
    int32_t dup;
    log_lines = 0;
    nnom_status st = nnom_model_add_layer(m, &d, &dup);
    expect_terse(st, NNOM_ERR_ARGUMENT, nnom_model_last_error(m), "duplicate name");
    CHECK(log_lines == 1 && strcmp(last_log, nnom_model_last_error(m)) == 0, "the log hook gets the message: '%s'",
          last_log);

    CHECK(nnom_model_compile(m) == NNOM_OK, "%s", nnom_model_last_error(m));
    const char *want[3] = {"input_0", "max_pool2d_1", "output_2"};
    for (int32_t i = 0; i < 3; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        CHECK(nnom_model_layer_info(m, i, &info) == NNOM_OK, "layer %d", (int)i);
        CHECK(strcmp(info.name, want[i]) == 0, "layer %d is named '%s', expected '%s'", (int)i, info.name, want[i]);
    }
    /* max pool of a ramp: the largest of each 2x2 block */
    CHECK(nnom_model_alloc_arena(m) == NNOM_OK, "%s", nnom_model_last_error(m));
    int8_t x[16], y[4];
    for (int k = 0; k < 16; k++) x[k] = (int8_t)(k * 7 - 50);
    CHECK(nnom_model_set_input_s8(m, 0, x, 16) == NNOM_OK, "%s", nnom_model_last_error(m));
    CHECK(nnom_model_run(m) == NNOM_OK, "%s", nnom_model_last_error(m));
    CHECK(nnom_model_get_output_s8(m, 0, y, 4) == NNOM_OK, "%s", nnom_model_last_error(m));
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 2; c++) {
            int best = -128;
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++) {
                    int v = x[(2 * r + i) * 4 + 2 * c + j];
                    if (v > best) best = v;
                }
            CHECK(y[r * 2 + c] == best, "pool output %d is %d, expected %d", r * 2 + c, y[r * 2 + c], best);
        }
    nnom_model_destroy(m);

    /* a convolution whose weights are one byte short fails to compile with NNOM_ERR_SHAPE */
    CHECK(nnom_model_create(NNOM_DTYPE_S8, NULL, &m, &err) == NNOM_OK, "%s", err.message);
    CHECK(nnom_model_add_input(m, "x", shape, q, &in) == NNOM_OK, "%s", nnom_model_last_error(m));
    static const int8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const int32_t mult[2] = {1 << 30, 1 << 30}, shift[2] = {0, 0};
    nnom_layer_desc_init(&d);
    d.type = NNOM_LAYER_CONV2D;
    d.n_inputs = 1;
    d.inputs[0] = in;
    d.quant = q;
    d.params.units = 2;
    d.params.kernel[0] = d.params.kernel[1] = 2;
    d.blobs[0] = (nnom_blob){w, 7};
    d.blobs[2] = (nnom_blob){mult, sizeof mult};
    d.blobs[3] = (nnom_blob){shift, sizeof shift};
    CHECK(nnom_model_add_layer(m, &d, &pool) == NNOM_OK, "%s", nnom_model_last_error(m));
    add_output(m, pool);
    st = nnom_model_compile(m);
    expect_terse(st, NNOM_ERR_SHAPE, nnom_model_last_error(m), "short conv weights");
    nnom_model_destroy(m);
}

/* The 28x28 CNN: save, load, run like the built model; corrupt copies fail with their own status. */
static void files(void)
{
    nnom_model *built, *loaded;
    nnom_error err;
    CHECK(cnn28_build(NULL, &built, &err) == NNOM_OK, "%s", err.message);
    size_t size = 0;
    CHECK(nnom_model_save(built, NULL, 0, &size) == NNOM_OK, "%s", nnom_model_last_error(built));
    uint32_t *file = (uint32_t *)malloc(size + 4);
    CHECK(nnom_model_save(built, file, size, &size) == NNOM_OK, "%s", nnom_model_last_error(built));
    CHECK(nnom_model_load(file, size, NULL, &loaded, &err) == NNOM_OK, "%s", err.message);
    CHECK(nnom_model_alloc_arena(built) == NNOM_OK && nnom_model_alloc_arena(loaded) == NNOM_OK, "arenas");
    int8_t x[28 * 28], a[10], b[10];
    uint32_t rng = 99;
    for (int trial = 0; trial < 5; trial++) {
        for (int k = 0; k < 28 * 28; k++) {
            rng = rng * 1103515245u + 12345u;
            x[k] = (int8_t)(rng >> 24);
        }
        CHECK(nnom_model_set_input_s8(built, 0, x, sizeof x) == NNOM_OK, "input");
        CHECK(nnom_model_set_input_s8(loaded, 0, x, sizeof x) == NNOM_OK, "input");
        CHECK(nnom_model_run(built) == NNOM_OK && nnom_model_run(loaded) == NNOM_OK, "run");
        CHECK(nnom_model_get_output_s8(built, 0, a, 10) == NNOM_OK, "output");
        CHECK(nnom_model_get_output_s8(loaded, 0, b, 10) == NNOM_OK, "output");
        CHECK(memcmp(a, b, 10) == 0, "trial %d: the loaded model's output differs from the built model's", trial);
        int sum = 0;
        for (int k = 0; k < 10; k++) sum += a[k] + 128;
        CHECK(sum >= 240 && sum <= 272, "softmax output sums to %d/256", sum);
    }
    nnom_model_destroy(loaded);

    uint8_t *bytes = (uint8_t *)file;
    bytes[size / 2] ^= 0x40u;
    nnom_status st = nnom_model_load(file, size, NULL, &loaded, &err);
    expect_terse(st, NNOM_ERR_CHECKSUM, err.message, "flipped bit");
    CHECK(loaded == NULL, "no model on failure");
    bytes[size / 2] ^= 0x40u;
    st = nnom_model_load(file, size - 1, NULL, &loaded, &err);
    expect_terse(st, NNOM_ERR_TRUNCATED, err.message, "truncated file");
    bytes[0] = 'X';
    st = nnom_model_load(file, size, NULL, &loaded, &err);
    expect_terse(st, NNOM_ERR_MAGIC, err.message, "bad magic");
    st = nnom_model_load(NULL, size, NULL, &loaded, &err);
    expect_terse(st, NNOM_ERR_ARGUMENT, err.message, "NULL data");
    free(file);
    nnom_model_destroy(built);
}

int main(void)
{
    float_models_are_refused();
    builder_names_and_failures();
    files();
    printf("lean runtime: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
