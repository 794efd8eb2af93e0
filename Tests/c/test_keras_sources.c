/*
 * Which Keras layer's output each nnom layer computes (nnom_converter_keras_layer), for comparing a
 * converted model with Keras layer by layer, and the SQNR accumulator that comparison and the conversion
 * report share (nnom_sqnr_*).
 *
 * The digits CNN fixture (Tests/fixtures/keras/make_fixtures.py, digits_cnn; the fixture script names
 * layers n0, n1, ...) is
 *   image -> n0 Conv2D -> n1 BatchNormalization -> n2 ReLU -> n3 MaxPooling2D -> n4 Conv2D (relu)
 *         -> n5 MaxPooling2D -> n6 Flatten -> n7 Dropout -> n8 Dense (softmax)
 * so the first conv computes n2's output (BatchNormalization folded, ReLU fused), the dense computes no
 * Keras output (its softmax is a layer of its own, which computes n8's), the flatten computes n7's.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnom/tools.h"
#include "test_util.h"

static const char *keras_of(nnom_converter *c, const char *nnom_name)
{
    nnom_model *m = nnom_converter_float_model(c);
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        if (nnom_model_layer_info(m, i, &info) == NNOM_OK && strcmp(info.name, nnom_name) == 0)
            return nnom_converter_keras_layer(c, i);
    }
    TU_CHECK(0, "no nnom layer named '%s'", nnom_name);
    return NULL;
}

static void expect(nnom_converter *c, const char *nnom_name, const char *keras_name)
{
    const char *got = keras_of(c, nnom_name);
    if (!keras_name)
        TU_CHECK(got == NULL, "nnom layer '%s' should compute no Keras output, got '%s'", nnom_name, got);
    else
        TU_CHECK(got && strcmp(got, keras_name) == 0, "nnom layer '%s' should compute '%s', got '%s'", nnom_name,
                 keras_name, got ? got : "NULL");
}

static void test_digits_mapping(void)
{
    nnom_converter *c;
    nnom_error err;
    const char *path = NNOM_FIXTURES_DIR "/keras/digits_cnn.keras";
    TU_REQUIRE(nnom_keras_read(path, &c, &err) == NNOM_OK, "%s: %s", path, err.message);
    nnom_model *m = nnom_converter_float_model(c);
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(m, i, &info);
        const char *k = nnom_converter_keras_layer(c, i);
        fprintf(stderr, "  %-20s %-14s <- %s\n", info.name, info.type_name, k ? k : "(none)");
    }
    expect(c, "image", "image");
    expect(c, "n0", "n2");
    expect(c, "n3", "n3");
    expect(c, "n4", "n4");
    expect(c, "n6", "n7");
    expect(c, "n8", NULL);
    TU_CHECK(nnom_converter_keras_layer(c, -1) == NULL, "layer -1");
    TU_CHECK(nnom_converter_keras_layer(c, nnom_model_layer_count(m)) == NULL, "a layer past the end");
    /* the softmax split from the dense, whatever the converter names it, computes the dense's output */
    int softmax_found = 0;
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(m, i, &info);
        if (info.type != NNOM_LAYER_SOFTMAX) continue;
        softmax_found = 1;
        const char *k = nnom_converter_keras_layer(c, i);
        TU_CHECK(k && strcmp(k, "n8") == 0, "the softmax computes '%s', not the dense's output", k ? k : "NULL");
    }
    TU_CHECK(softmax_found, "no softmax layer");
    /* every OUTPUT repeats a value: none is mapped, so a comparison counts each Keras layer once */
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(m, i, &info);
        if (info.type == NNOM_LAYER_OUTPUT)
            TU_CHECK(nnom_converter_keras_layer(c, i) == NULL, "output '%s' is mapped", info.name);
    }
    nnom_converter_destroy(c);
    TU_CHECK(nnom_converter_keras_layer(NULL, 0) == NULL, "NULL converter");
}

/* 10 log10(sum r^2 / sum (r - t)^2) written out in double */
static double reference_db(const double *r, const double *t, int n)
{
    double s = 0.0, e = 0.0;
    for (int k = 0; k < n; k++) {
        s += r[k] * r[k];
        e += (r[k] - t[k]) * (r[k] - t[k]);
    }
    return 10.0 * log10(s / e);
}

static void test_sqnr(void)
{
    /* 3-4-5: signal 25, noise 1, 13.98 dB */
    const float ref[2] = {3.0f, 4.0f}, test[2] = {3.0f, 3.0f};
    nnom_sqnr acc = {0.0, 0.0};
    nnom_sqnr_add_f32(&acc, ref, test, 2);
    TU_CHECK(fabs(nnom_sqnr_db(&acc) - 10.0 * log10(25.0)) < 1e-9, "3-4-5: %.6f dB", nnom_sqnr_db(&acc));

    /* int8 values dequantised with scale 0.5, zero point -3, accumulated over two "samples" */
    tu_seed(17);
    float r[64];
    int8_t q[64];
    double rd[64], td[64];
    nnom_sqnr a8 = {0.0, 0.0};
    for (int k = 0; k < 64; k++) {
        r[k] = tu_rand_float(-10.0f, 10.0f);
        q[k] = (int8_t)tu_rand_int(-128, 127);
        rd[k] = r[k];
        td[k] = 0.5 * ((double)q[k] + 3.0);
    }
    nnom_sqnr_add_s8(&a8, r, q, 32, 0.5f, -3);
    nnom_sqnr_add_s8(&a8, r + 32, q + 32, 32, 0.5f, -3);
    const double want = reference_db(rd, td, 64);
    TU_CHECK(fabs(nnom_sqnr_db(&a8) - want) < 1e-9, "int8: %.9f dB, reference %.9f dB", nnom_sqnr_db(&a8), want);

    /* exact: 200 dB; a zero reference against non-zero values: -200 dB */
    nnom_sqnr exact = {0.0, 0.0};
    nnom_sqnr_add_f32(&exact, ref, ref, 2);
    TU_CHECK(nnom_sqnr_db(&exact) == 200.0, "exact: %.1f dB", nnom_sqnr_db(&exact));
    const float zeros[2] = {0.0f, 0.0f};
    nnom_sqnr silent = {0.0, 0.0};
    nnom_sqnr_add_f32(&silent, zeros, ref, 2);
    TU_CHECK(nnom_sqnr_db(&silent) == -200.0, "no signal: %.1f dB", nnom_sqnr_db(&silent));
}

int main(void)
{
    test_digits_mapping();
    test_sqnr();
    return tu_finish("test_keras_sources");
}
