/*
 * The Keras reader on configs broken one way each (JSON, an option, a class, the graph), built from the test
 * model of support/keras_files.h: the right status and a message naming the layer, its class and the option,
 * never a crash (the test also runs under ASan/UBSan).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "file_util.h"
#include "keras_files.h"
#include "test_util.h"

static void tweak_data_format(cJSON *r)
{
    kf_set_item(kf_layer_config(r, "conv"), "data_format", cJSON_CreateString("channels_middle"));
}
static void tweak_groups(cJSON *r) { kf_set_item(kf_layer_config(r, "conv"), "groups", cJSON_CreateNumber(2)); }
static void tweak_causal(cJSON *r) { kf_set_item(kf_layer_config(r, "conv"), "padding", cJSON_CreateString("causal")); }
static void tweak_glu(cJSON *r) { kf_set_item(kf_layer_config(r, "fc"), "activation", cJSON_CreateString("glu")); }
/* the Flatten layer 'flat' turned into class @p cls with option @p key set to a string */
static void as_layer_with_text(cJSON *r, const char *cls, const char *key)
{
    cJSON_ReplaceItemInObject(kf_layer_object(r, "flat"), "class_name", cJSON_CreateString(cls));
    kf_set_item(kf_layer_config(r, "flat"), key, cJSON_CreateString("six"));
}
static void tweak_relu_max_text(cJSON *r) { as_layer_with_text(r, "ReLU", "max_value"); }
static void tweak_relu_threshold_text(cJSON *r) { as_layer_with_text(r, "ReLU", "threshold"); }
static void tweak_elu_alpha_text(cJSON *r) { as_layer_with_text(r, "ELU", "alpha"); }
static void tweak_prelu_axis(cJSON *r)
{
    cJSON_ReplaceItemInObject(kf_layer_object(r, "flat"), "class_name", cJSON_CreateString("PReLU"));
    int axes[1] = {5};
    kf_set_item(kf_layer_config(r, "flat"), "shared_axes", cJSON_CreateIntArray(axes, 1));
}
/* a PReLU where the file has no weights for it */
static void tweak_prelu_no_alpha(cJSON *r)
{
    cJSON_ReplaceItemInObject(kf_layer_object(r, "flat"), "class_name", cJSON_CreateString("PReLU"));
}
/* the Flatten layer 'flat' (input (3, 3, 4)) turned into class @p cls */
static cJSON *as_class(cJSON *r, const char *cls)
{
    cJSON_ReplaceItemInObject(kf_layer_object(r, "flat"), "class_name", cJSON_CreateString(cls));
    return kf_layer_config(r, "flat");
}
static void tweak_permute_repeated(cJSON *r)
{
    int dims[3] = {1, 1, 2};
    kf_set_item(as_class(r, "Permute"), "dims", cJSON_CreateIntArray(dims, 3));
}
static void tweak_permute_short(cJSON *r)
{
    int dims[2] = {2, 1};
    kf_set_item(as_class(r, "Permute"), "dims", cJSON_CreateIntArray(dims, 2));
}
static void tweak_repeat_image(cJSON *r) { kf_set_item(as_class(r, "RepeatVector"), "n", cJSON_CreateNumber(2)); }
static void tweak_normalization_axis(cJSON *r)
{
    cJSON *c = as_class(r, "Normalization");
    int axis[1] = {1};
    kf_set_item(c, "axis", cJSON_CreateIntArray(axis, 1));
    kf_set_item(c, "mean", cJSON_CreateNumber(0.0));
    kf_set_item(c, "variance", cJSON_CreateNumber(1.0));
}
static void tweak_normalization_no_stats(cJSON *r) { as_class(r, "Normalization"); }
static void tweak_normalization_negative(cJSON *r)
{
    cJSON *c = as_class(r, "Normalization");
    const double var[4] = {1.0, 2.0, -0.5, 1.0};
    kf_set_item(c, "mean", cJSON_CreateNumber(0.0));
    kf_set_item(c, "variance", cJSON_CreateDoubleArray(var, 4));
}
static void tweak_normalization_mean_only(cJSON *r) { kf_set_item(as_class(r, "Normalization"), "mean", cJSON_CreateNumber(1.0)); }
static void tweak_normalization_short(cJSON *r)
{
    cJSON *c = as_class(r, "Normalization");
    const double mean[3] = {1.0, 2.0, 3.0};
    kf_set_item(c, "mean", cJSON_CreateDoubleArray(mean, 3));
    kf_set_item(c, "variance", cJSON_CreateNumber(1.0));
}
static void tweak_channels_first_softmax(cJSON *r)
{
    kf_set_item(kf_layer_config(r, "conv"), "data_format", cJSON_CreateString("channels_first"));
    kf_set_item(kf_layer_config(r, "conv"), "activation", cJSON_CreateString("softmax"));
}
static void tweak_time_distributed_channels_first(cJSON *r)
{
    cJSON_ReplaceItemInObject(kf_layer_object(r, "flat"), "class_name", cJSON_CreateString("TimeDistributed"));
    cJSON *inner = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(inner, "class_name", "Conv1D");
    cJSON_AddStringToObject(cfg, "data_format", "channels_first");
    cJSON_AddItemToObject(inner, "config", cfg);
    kf_set_item(kf_layer_config(r, "flat"), "layer", inner);
}
static void tweak_time_distributed_conv(cJSON *r)
{
    cJSON_ReplaceItemInObject(kf_layer_object(r, "flat"), "class_name", cJSON_CreateString("TimeDistributed"));
    cJSON *inner = cJSON_CreateObject();
    cJSON_AddStringToObject(inner, "class_name", "Conv2D");
    cJSON_AddItemToObject(inner, "config", cJSON_CreateObject());
    kf_set_item(kf_layer_config(r, "flat"), "layer", inner);
}
static void tweak_transpose_dilated(cJSON *r)
{
    cJSON_ReplaceItemInObject(kf_layer_object(r, "conv"), "class_name", cJSON_CreateString("Conv2DTranspose"));
    int d[2] = {2, 2};
    kf_set_item(kf_layer_config(r, "conv"), "dilation_rate", cJSON_CreateIntArray(d, 2));
    kf_set_item(kf_layer_config(r, "conv"), "strides", cJSON_CreateIntArray(d, 2));
}
static void tweak_transpose_full(cJSON *r)
{
    cJSON_ReplaceItemInObject(kf_layer_object(r, "conv"), "class_name", cJSON_CreateString("Conv2DTranspose"));
    kf_set_item(kf_layer_config(r, "conv"), "padding", cJSON_CreateString("full"));
}
static void tweak_none_dim(cJSON *r)
{
    cJSON *shape = cJSON_GetObjectItem(kf_layer_config(r, "img"), "batch_shape");
    cJSON_ReplaceItemInArray(shape, 2, cJSON_CreateNull());
}
static void tweak_unsupported(cJSON *r)
{
    cJSON_ReplaceItemInObject(kf_layer_object(r, "flat"), "class_name", cJSON_CreateString("EinsumDense"));
}
/* a class name of 300 characters: the message names it and still lists every supported class */
#define LONG_CLASS_CHARS 300
static void tweak_unsupported_long(cJSON *r)
{
    char cls[LONG_CLASS_CHARS + 1];
    memset(cls, 'Q', LONG_CLASS_CHARS);
    cls[LONG_CLASS_CHARS] = '\0';
    cJSON_ReplaceItemInObject(kf_layer_object(r, "flat"), "class_name", cJSON_CreateString(cls));
}
static void tweak_subclassed(cJSON *r)
{
    cJSON_ReplaceItemInObject(r, "class_name", cJSON_CreateString("MyModel"));
}
/* the first argument tensor of layer @p name */
static cJSON *first_history(cJSON *r, const char *name)
{
    cJSON *node = cJSON_GetArrayItem(cJSON_GetObjectItem(kf_layer_object(r, name), "inbound_nodes"), 0);
    cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(node, "args"), 0);
    return cJSON_GetObjectItem(cJSON_GetObjectItem(t, "config"), "keras_history");
}
/* 'flat' turned into an Add of the conv's output (3, 3, 4) and the image (5, 5, 2): no broadcast joins them */
static void tweak_add_unbroadcastable(cJSON *r)
{
    cJSON *flat = kf_layer_object(r, "flat");
    cJSON_ReplaceItemInObject(flat, "class_name", cJSON_CreateString("Add"));
    cJSON *node = cJSON_GetArrayItem(cJSON_GetObjectItem(flat, "inbound_nodes"), 0);
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, kf_keras3_tensor("conv", 3, 3, 4));
    cJSON_AddItemToArray(pair, kf_keras3_tensor("img", 5, 5, 2));
    cJSON *args = cJSON_CreateArray();
    cJSON_AddItemToArray(args, pair);
    cJSON_ReplaceItemInObject(node, "args", args);
}
static void tweak_ghost(cJSON *r)
{
    cJSON_ReplaceItemInArray(first_history(r, "flat"), 0, cJSON_CreateString("ghost"));
}
static void tweak_second_output(cJSON *r)
{
    cJSON_ReplaceItemInArray(first_history(r, "flat"), 2, cJSON_CreateNumber(1));
}
static void tweak_cycle(cJSON *r) { cJSON_ReplaceItemInArray(first_history(r, "conv"), 0, cJSON_CreateString("fc")); }
static void tweak_mask(cJSON *r)
{
    cJSON *node = cJSON_GetArrayItem(cJSON_GetObjectItem(kf_layer_object(r, "fc"), "inbound_nodes"), 0);
    cJSON *kwargs = cJSON_GetObjectItem(node, "kwargs");
    cJSON_AddItemToObject(kwargs, "mask", kf_keras3_tensor("conv", KF_OUT_HW, KF_OUT_HW, KF_FILTERS));
}

static void test_config(void)
{
    char path[512];
    kf_weights_spec ws = kf_default_weights();
    kf_tmp_path(path, sizeof path, "config.keras");

    kf_write_keras(path, "{\"class_name\": \"Functional\", \"config\": {\"layers\": [", &ws);
    const char *w1[] = {"JSON", NULL};
    kf_expect_failure("config not JSON", path, NNOM_ERR_KERAS, w1);

    static const struct {
        const char *what;
        kf_tweak_fn tweak;
        nnom_status status;
        const char *words[5];
    } cases[] = {
        {"subclassed model", tweak_subclassed, NNOM_ERR_UNSUPPORTED, {"MyModel", "Sequential", "Functional"}},
        {"unsupported class", tweak_unsupported, NNOM_ERR_UNSUPPORTED, {"'flat'", "EinsumDense", "supported:"}},
        {"data_format", tweak_data_format, NNOM_ERR_UNSUPPORTED,
         {"'conv'", "Conv2D", "channels_middle", "channels_last, channels_first"}},
        {"groups", tweak_groups, NNOM_ERR_UNSUPPORTED, {"'conv'", "Conv2D", "groups=2"}},
        {"causal padding on Conv2D", tweak_causal, NNOM_ERR_UNSUPPORTED, {"'conv'", "causal", "valid, same"}},
        {"activation glu", tweak_glu, NNOM_ERR_UNSUPPORTED, {"'fc'", "glu", "gelu", "hard_tanh"}},
        {"ReLU max_value text", tweak_relu_max_text, NNOM_ERR_KERAS, {"'flat'", "ReLU", "max_value", "number"}},
        {"ReLU threshold text", tweak_relu_threshold_text, NNOM_ERR_KERAS, {"'flat'", "ReLU", "threshold", "number"}},
        {"ELU alpha text", tweak_elu_alpha_text, NNOM_ERR_KERAS, {"'flat'", "ELU", "alpha", "number"}},
        {"PReLU shared axis 5", tweak_prelu_axis, NNOM_ERR_KERAS, {"'flat'", "PReLU", "shared_axes", "1 to 3"}},
        {"TimeDistributed(Conv2D)", tweak_time_distributed_conv, NNOM_ERR_UNSUPPORTED,
         {"'flat'", "TimeDistributed(Conv2D)", "rank 4", "Conv1D"}},
        {"Conv2DTranspose dilated, strided", tweak_transpose_dilated, NNOM_ERR_UNSUPPORTED,
         {"'conv'", "Conv2DTranspose", "dilation_rate=2 with strides=2", "stride 1"}},
        {"Conv2DTranspose padding full", tweak_transpose_full, NNOM_ERR_UNSUPPORTED,
         {"'conv'", "'full'", "valid", "same"}},
        {"Add (3, 3, 4) + (5, 5, 2)", tweak_add_unbroadcastable, NNOM_ERR_SHAPE,
         {"'flat'", "(3, 3, 4)", "(5, 5, 2)", "broadcast"}},
        {"PReLU without alpha", tweak_prelu_no_alpha, NNOM_ERR_SHAPE, {"'flat'", "PReLU", "alpha", "holds 0"}},
        {"channels_first with softmax", tweak_channels_first_softmax, NNOM_ERR_UNSUPPORTED,
         {"'conv'", "softmax", "channels_first", "separate Softmax layer"}},
        {"TimeDistributed(channels_first)", tweak_time_distributed_channels_first, NNOM_ERR_UNSUPPORTED,
         {"'flat'", "channels_first", "inside TimeDistributed", "channels_last"}},
        {"Permute dims repeated", tweak_permute_repeated, NNOM_ERR_KERAS, {"'flat'", "Permute", "dims", "1 to 3"}},
        {"Permute dims short", tweak_permute_short, NNOM_ERR_KERAS, {"'flat'", "Permute", "dims", "3 axes"}},
        {"RepeatVector of an image", tweak_repeat_image, NNOM_ERR_SHAPE, {"'flat'", "RepeatVector", "rank 1",
                                                                          "(3, 3, 4)"}},
        {"Normalization axis 1", tweak_normalization_axis, NNOM_ERR_UNSUPPORTED,
         {"'flat'", "Normalization", "axis", "last axis"}},
        {"Normalization no statistics", tweak_normalization_no_stats, NNOM_ERR_SHAPE,
         {"'flat'", "Normalization", "mean, variance, count", "holds 0"}},
        {"Normalization variance < 0", tweak_normalization_negative, NNOM_ERR_KERAS,
         {"'flat'", "channel 2", "variance -0.5", ">= 0"}},
        {"Normalization mean only", tweak_normalization_mean_only, NNOM_ERR_KERAS, {"'flat'", "mean", "no variance"}},
        {"Normalization 3 of 4 means", tweak_normalization_short, NNOM_ERR_UNSUPPORTED,
         {"'flat'", "'mean'", "1 or 4 numbers"}},
        {"None dimension", tweak_none_dim, NNOM_ERR_UNSUPPORTED, {"'img'", "None"}},
        {"undefined layer", tweak_ghost, NNOM_ERR_KERAS, {"'flat'", "'ghost'"}},
        {"second output of a layer", tweak_second_output, NNOM_ERR_UNSUPPORTED, {"'conv'", "several outputs"}},
        {"cycle", tweak_cycle, NNOM_ERR_KERAS, {"cycle", "depends on its own output"}},
        {"mask passed by keyword", tweak_mask, NNOM_ERR_UNSUPPORTED, {"'fc'", "mask"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *cfg = kf_config_text(0, cases[i].tweak);
        kf_write_keras(path, cfg, &ws);
        free(cfg);
        kf_expect_failure(cases[i].what, path, cases[i].status, cases[i].words);
    }

    /* the longest message, the list of supported classes after a long class name, is not cut */
    char *cfg = kf_config_text(0, tweak_unsupported_long);
    kf_write_keras(path, cfg, &ws);
    free(cfg);
    nnom_converter *c = NULL;
    nnom_error err;
    TU_CHECK(nnom_keras_read(path, &c, &err) == NNOM_ERR_UNSUPPORTED, "long class name: %s", err.message);
    const size_t len = strlen(err.message);
    TU_CHECK(len + 1 < sizeof err.message, "the message fills its %zu bytes: cut", sizeof err.message);
    const char *list = strstr(err.message, "supported: ");
    TU_CHECK(list != NULL, "no list of supported classes: %s", err.message);
    /* the whole list: it ends with a class name, not inside one */
    static const char *const last_words[] = {"Bidirectional", "LSTM", "Dense", "Conv"};
    for (size_t k = 0; list && k < sizeof last_words / sizeof last_words[0]; k++)
        TU_CHECK(strstr(list, last_words[k]) != NULL, "the list lacks %s: %s", last_words[k], list);
    TU_CHECK(len > LONG_CLASS_CHARS + 200, "%zu bytes: the class name or the list is missing", len);
    if (c) nnom_converter_destroy(c);
    remove(path);
}

int main(void)
{
    kf_setup("nnom_keras_config");

    test_config();

    kf_teardown();
    return tu_finish("test_keras_reader_config");
}
