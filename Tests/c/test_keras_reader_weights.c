/*
 * The Keras reader on weights that disagree with the config (shapes, a missing bias or dataset, the HDF5
 * layout), in both layouts, built from the test model of support/keras_files.h: the right status and a
 * message naming the layer and both shapes, never a crash (the test also runs under ASan/UBSan).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "file_util.h"
#include "keras_files.h"
#include "test_util.h"

static void tweak_filters5(cJSON *r) { kf_set_item(kf_layer_config(r, "conv"), "filters", cJSON_CreateNumber(5)); }
static void tweak_units4(cJSON *r) { kf_set_item(kf_layer_config(r, "fc"), "units", cJSON_CreateNumber(4)); }
static void tweak_no_bias(cJSON *r) { kf_set_item(kf_layer_config(r, "conv"), "use_bias", cJSON_CreateFalse()); }

static void test_weights(void)
{
    char keras[512], h5[512];
    kf_tmp_path(keras, sizeof keras, "weights.keras");
    kf_tmp_path(h5, sizeof h5, "weights.h5");
    kf_weights_spec ws = kf_default_weights();

    static const struct {
        const char *what;
        kf_tweak_fn tweak;
        const char *words[5];
    } cases[] = {
        {"filters 5, kernel holds 4", tweak_filters5, {"'conv'", "Conv2D", "(3, 3, 2, 4)", "(3, 3, 2, 5)"}},
        {"units 4, kernel holds 3", tweak_units4, {"'fc'", "Dense", "(36, 3)", "(36, 4)"}},
        {"use_bias off, bias stored", tweak_no_bias, {"'conv'", "expected 1 weight array", "holds 2"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int keras2 = 0; keras2 < 2; keras2++) {
            char *cfg = kf_config_text(keras2, cases[i].tweak);
            char what[80];
            snprintf(what, sizeof what, "%s (%s)", cases[i].what, keras2 ? ".h5" : ".keras");
            if (keras2) kf_write_legacy(h5, cfg, &ws);
            else kf_write_keras(keras, cfg, &ws);
            free(cfg);
            kf_expect_failure(what, keras2 ? h5 : keras, NNOM_ERR_SHAPE, cases[i].words);
        }
    }

    /* a kernel of the wrong rank */
    kf_weights_spec bad = kf_default_weights();
    bad.conv_kernel_dims[0] = 1;
    bad.conv_kernel_dims[1] = 9;
    char *k3 = kf_config_text(0, NULL), *k2 = kf_config_text(1, NULL);
    kf_write_keras(keras, k3, &bad);
    const char *w1[] = {"'conv'", "(1, 9, 2, 4)", "(3, 3, 2, 4)", NULL};
    kf_expect_failure("kernel 1x9 for 3x3", keras, NNOM_ERR_SHAPE, w1);

    /* no weights at all for the conv */
    bad = kf_default_weights();
    bad.no_conv_group = 1;
    kf_write_keras(keras, k3, &bad);
    const char *w2[] = {"'conv'", "holds 0", NULL};
    kf_expect_failure("conv weights absent (.keras)", keras, NNOM_ERR_SHAPE, w2);
    kf_write_legacy(h5, k2, &bad);
    kf_expect_failure("conv weights absent (.h5)", h5, NNOM_ERR_SHAPE, w2);

    /* a weight listed in weight_names but not written */
    bad = kf_default_weights();
    bad.fc_missing = 1;
    kf_write_legacy(h5, k2, &bad);
    const char *w3[] = {"'fc'", "fc/kernel:0", "missing", NULL};
    kf_expect_failure("listed weight missing", h5, NNOM_ERR_KERAS, w3);

    /* an HDF5 file with weights but no model_config */
    kf_write_legacy(h5, NULL, &ws);
    const char *w4[] = {"weights.h5", "not a Keras model", "model_config", NULL};
    kf_expect_failure("HDF5 without model_config", h5, NNOM_ERR_KERAS, w4);

    /* model_config that is not a string */
    hid_t f = H5Fcreate(h5, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    TU_REQUIRE(f >= 0, "create %s", h5);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "model_config", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT);
    const int32_t v = 42;
    H5Awrite(a, H5T_NATIVE_INT32, &v);
    H5Aclose(a);
    H5Sclose(s);
    H5Fclose(f);
    const char *w5[] = {"model_config", "not a JSON string", NULL};
    kf_expect_failure("model_config not a string", h5, NNOM_ERR_KERAS, w5);

    free(k3);
    free(k2);
    remove(keras);
    remove(h5);
}

int main(void)
{
    kf_setup("nnom_keras_weights");

    test_weights();

    kf_teardown();
    return tu_finish("test_keras_reader_weights");
}
