/*
 * kr_read_config(): a Keras model config read from memory without weights
 * (the entry point of the fuzz target Tests/fuzz/fuzz_keras_config.c).
 *
 *  - a Keras 3 Functional config  in (4, 4, 2) -> MaxPooling2D 2x2 -> Flatten
 *    converts, and the float model computes what a max over each window,
 *    written here, gives;
 *  - the same config given with a length that stops mid-text (no NUL at the
 *    end) is "not valid JSON", never read past the length;
 *  - a Dense layer, which needs weights, fails naming the layer.
 */
#include <float.h>
#include <stdio.h>
#include <string.h>

#include "keras/keras_internal.h"
#include "test_util.h"

#define H 4
#define W 4
#define C 2
#define POOL 2

static const char POOL_CONFIG[] =
    "{\"class_name\": \"Functional\", \"config\": {\"name\": \"m\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4, 4, 2], \"name\": \"img\"},"
    " \"name\": \"img\", \"inbound_nodes\": []},"
    "{\"class_name\": \"MaxPooling2D\", \"config\": {\"name\": \"pool\", \"pool_size\": [2, 2], \"strides\": [2, 2],"
    " \"padding\": \"valid\", \"data_format\": \"channels_last\"}, \"name\": \"pool\", \"inbound_nodes\": [{\"args\":"
    " [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 4, 4, 2], \"keras_history\": [\"img\", 0, 0]}}],"
    " \"kwargs\": {}}]},"
    "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flat\"}, \"name\": \"flat\", \"inbound_nodes\": [{\"args\":"
    " [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 2, 2, 2], \"keras_history\": [\"pool\", 0, 0]}}],"
    " \"kwargs\": {}}]}],"
    " \"input_layers\": [[\"img\", 0, 0]], \"output_layers\": [[\"flat\", 0, 0]]}}";

static const char DENSE_CONFIG[] =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3], \"name\": \"x\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"fc\", \"units\": 2, \"activation\": \"linear\","
    " \"use_bias\": true}}]}}";

static void test_pool_model(void)
{
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st = kr_read_config(POOL_CONFIG, strlen(POOL_CONFIG), 3, &c, &err);
    TU_REQUIRE(st == NNOM_OK, "%s: %s", nnom_status_name(st), err.message);
    nnom_model *m = nnom_converter_float_model(c);
    TU_OK(m, nnom_model_alloc_arena(m));
    float x[H * W * C], y[(H / POOL) * (W / POOL) * C], want[(H / POOL) * (W / POOL) * C];
    tu_seed(11);
    tu_fill_f32(x, H * W * C, -4.0f, 4.0f);
    for (int oy = 0; oy < H / POOL; oy++)
        for (int ox = 0; ox < W / POOL; ox++)
            for (int ch = 0; ch < C; ch++) {
                float best = -FLT_MAX;
                for (int dy = 0; dy < POOL; dy++)
                    for (int dx = 0; dx < POOL; dx++) {
                        const float v = x[((oy * POOL + dy) * W + ox * POOL + dx) * C + ch];
                        if (v > best) best = v;
                    }
                want[(oy * (W / POOL) + ox) * C + ch] = best;
            }
    TU_OK(m, nnom_model_set_input_f32(m, 0, x, H * W * C));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, y, sizeof y / sizeof y[0]));
    TU_CHECK(memcmp(y, want, sizeof y) == 0, "the max pool of the config differs from the reference");
    nnom_converter_destroy(c);
}

static void test_truncated_length(void)
{
    /* a copy without the NUL, and a length that ends inside the text */
    const size_t len = strlen(POOL_CONFIG) / 2;
    char *text = (char *)malloc(len);
    memcpy(text, POOL_CONFIG, len);
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st = kr_read_config(text, len, 0, &c, &err);
    TU_CHECK(st == NNOM_ERR_KERAS && c == NULL && strstr(err.message, "not valid JSON"), "%s: %s",
             nnom_status_name(st), err.message);
    free(text);
}

static void test_weighted_layer(void)
{
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st = kr_read_config(DENSE_CONFIG, strlen(DENSE_CONFIG), 0, &c, &err);
    TU_CHECK(st != NNOM_OK && c == NULL && strstr(err.message, "'fc'") && strstr(err.message, "Dense"), "%s: %s",
             nnom_status_name(st), err.message);
}

int main(void)
{
    test_pool_model();
    test_truncated_length();
    test_weighted_layer();
    return tu_finish("test_keras_config_memory");
}
