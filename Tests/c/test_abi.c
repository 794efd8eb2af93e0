/*
 * The ABI contract of the public structs that will grow and of the version
 * numbers (include/nnom/api.h): every function taking a struct with a
 * struct_size refuses a size it does not know with NNOM_ERR_ARGUMENT and a
 * message naming the struct and its init function, and accepts the size its
 * init sets; the INIT macros and init functions agree; nnom_version() is the
 * NNOM_VERSION of the headers. (Layouts under -fshort-enums and the exported
 * symbols are checked by Tests/abi.)
 */
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "nnom/tools.h"
#include "test_util.h"

#define N 4

static int contains(const char *s, const char *w) { return s && strstr(s, w) != NULL; }

/* float32 x (N) -> relu -> output, compiled; NULL on failure */
static nnom_model *relu_model(const nnom_options *options, nnom_error *err)
{
    nnom_model *m;
    if (nnom_model_create(NNOM_DTYPE_F32, options, &m, err) != NNOM_OK) return NULL;
    int32_t id;
    nnom_layer_desc d = NNOM_LAYER_DESC_INIT;
    nnom_status st = nnom_model_add_input(m, "x", (nnom_shape){1, {N, 0, 0}}, (nnom_quant){0.0f, 0}, &id);
    d.type = NNOM_LAYER_RELU;
    d.n_inputs = 1;
    d.inputs[0] = id;
    if (st == NNOM_OK) st = nnom_model_add_layer(m, &d, &id);
    d.type = NNOM_LAYER_OUTPUT;
    d.inputs[0] = id;
    if (st == NNOM_OK) st = nnom_model_add_layer(m, &d, NULL);
    if (st == NNOM_OK) st = nnom_model_compile(m);
    if (st != NNOM_OK) {
        nnom_model_destroy(m);
        return NULL;
    }
    return m;
}

/* The sizes a caller could wrongly give: none, one a bit short, one from a newer header. */
/* (not -4: on 32-bit targets sizeof - 4 is the older nnom_options, which stays known) */
static const int32_t size_errors[] = {0, -1, -12, 8};

static void check_options(void)
{
    nnom_options o = NNOM_OPTIONS_INIT, f;
    nnom_options_init(&f);
    TU_CHECK(o.struct_size == sizeof o && memcmp(&o, &f, sizeof o) == 0, "NNOM_OPTIONS_INIT and nnom_options_init()");
    nnom_error err;
    nnom_model *m = relu_model(&o, &err);
    TU_REQUIRE(m != NULL, "model with initialised options: %s", err.message);
    uint8_t bytes[4096] __attribute__((aligned(8)));
    size_t size = 0;
    TU_OK(m, nnom_model_save(m, bytes, sizeof bytes, &size));
    nnom_model_destroy(m);
    for (size_t k = 0; k < sizeof size_errors / sizeof size_errors[0]; k++) {
        nnom_options bad = o;
        bad.struct_size = size_errors[k] ? (uint32_t)((int32_t)sizeof bad + size_errors[k]) : 0u;
        m = NULL;
        TU_CHECK(nnom_model_create(NNOM_DTYPE_F32, &bad, &m, &err) == NNOM_ERR_ARGUMENT && m == NULL,
                 "create: struct_size %u accepted", (unsigned)bad.struct_size);
        TU_CHECK(err.status == NNOM_ERR_ARGUMENT && contains(err.message, "nnom_options.struct_size") &&
                     contains(err.message, "nnom_options_init()"),
                 "create: message '%s'", err.message);
        TU_CHECK(nnom_model_load(bytes, size, &bad, &m, &err) == NNOM_ERR_ARGUMENT && m == NULL,
                 "load: struct_size %u accepted", (unsigned)bad.struct_size);
        TU_CHECK(contains(err.message, "nnom_options.struct_size"), "load: message '%s'", err.message);
    }
    TU_CHECK(nnom_model_load(bytes, size, &o, &m, &err) == NNOM_OK, "load with options: %s", err.message);
    nnom_model_destroy(m);
    /* a caller compiled before tiling_max_extra_macs_percent was appended: its options are still read */
    nnom_options older = o;
    older.struct_size = (uint32_t)offsetof(nnom_options, tiling_max_extra_macs_percent);
    m = NULL;
    TU_CHECK(nnom_model_load(bytes, size, &older, &m, &err) == NNOM_OK, "load with the older options: %s", err.message);
    nnom_model_destroy(m);
    /* ... and one compiled before plan_goal was appended: the field past its struct is not read */
    older = o;
    older.struct_size = (uint32_t)offsetof(nnom_options, plan_goal);
    older.plan_goal = -1;
    m = NULL;
    TU_CHECK(nnom_model_load(bytes, size, &older, &m, &err) == NNOM_OK, "load with the options before plan_goal: %s",
             err.message);
    nnom_plan_info plan = NNOM_PLAN_INFO_INIT;
    TU_CHECK(m && nnom_model_plan(m, &plan) == NNOM_OK && plan.goal == NNOM_PLAN_SMALLEST, "older options: goal %d",
             (int)plan.goal);
    nnom_model_destroy(m);
}

static void check_layer_desc_and_info(void)
{
    nnom_layer_desc a = NNOM_LAYER_DESC_INIT, b;
    nnom_layer_desc_init(&b);
    TU_CHECK(a.struct_size == sizeof a && memcmp(&a, &b, sizeof a) == 0, "NNOM_LAYER_DESC_INIT and its init");
    nnom_layer_info ia = NNOM_LAYER_INFO_INIT, ib;
    nnom_layer_info_init(&ib);
    TU_CHECK(ia.struct_size == sizeof ia && memcmp(&ia, &ib, sizeof ia) == 0, "NNOM_LAYER_INFO_INIT and its init");

    nnom_error err;
    nnom_model *m;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, NULL, &m, &err) == NNOM_OK, "create: %s", err.message);
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "x", (nnom_shape){1, {N, 0, 0}}, (nnom_quant){0.0f, 0}, &id));
    for (size_t k = 0; k < sizeof size_errors / sizeof size_errors[0]; k++) {
        nnom_layer_desc d = a;
        d.struct_size = size_errors[k] ? (uint32_t)((int32_t)sizeof d + size_errors[k]) : 0u;
        d.type = NNOM_LAYER_RELU;
        d.n_inputs = 1;
        d.inputs[0] = id;
        TU_CHECK(nnom_model_add_layer(m, &d, NULL) == NNOM_ERR_ARGUMENT, "desc struct_size %u accepted",
                 (unsigned)d.struct_size);
        TU_CHECK(contains(nnom_model_last_error(m), "nnom_layer_desc.struct_size") &&
                     contains(nnom_model_last_error(m), "nnom_layer_desc_init()"),
                 "add_layer: message '%s'", nnom_model_last_error(m));
    }
    TU_CHECK(nnom_model_layer_count(m) == 1, "a refused desc added a layer");
    nnom_model_destroy(m);

    m = relu_model(NULL, &err);
    TU_REQUIRE(m != NULL, "model: %s", err.message);
    for (size_t k = 0; k < sizeof size_errors / sizeof size_errors[0]; k++) {
        nnom_layer_info info;
        memset(&info, 0x5a, sizeof info);
        info.struct_size = size_errors[k] ? (uint32_t)((int32_t)sizeof info + size_errors[k]) : 0u;
        const uint32_t given = info.struct_size;
        TU_CHECK(nnom_model_layer_info(m, 1, &info) == NNOM_ERR_ARGUMENT, "info struct_size %u accepted",
                 (unsigned)given);
        TU_CHECK(contains(nnom_model_last_error(m), "nnom_layer_info.struct_size"), "layer_info: message '%s'",
                 nnom_model_last_error(m));
        TU_CHECK(info.struct_size == given && info.n_inputs == 0x5a5a5a5a, "a refused info was written");
    }
    TU_OK(m, nnom_model_layer_info(m, 1, &ia));
    TU_CHECK(ia.struct_size == sizeof ia && ia.type == NNOM_LAYER_RELU && ia.n_inputs == 1 && ia.shape.dims[0] == N,
             "layer info filled");
    nnom_model_destroy(m);
}

static void check_eval(void)
{
    nnom_eval a = NNOM_EVAL_INIT, b;
    nnom_eval_init(&b);
    TU_CHECK(a.struct_size == sizeof a && memcmp(&a, &b, sizeof a) == 0, "NNOM_EVAL_INIT and nnom_eval_init()");
    const float scores[N] = {0.1f, 0.9f, 0.3f, 0.2f};
    a.n_classes = N;
    a.k = 1;
    TU_CHECK(nnom_eval_add(&a, NNOM_DTYPE_F32, scores, 1) == NNOM_OK && a.top1 == 1, "eval add");
    nnom_eval bad = a;
    bad.struct_size = 0;
    TU_CHECK(nnom_eval_add(&bad, NNOM_DTYPE_F32, scores, 1) == NNOM_ERR_ARGUMENT && bad.samples == 1,
             "eval add: struct_size 0 accepted");

    nnom_error err;
    nnom_model *m = relu_model(NULL, &err);
    TU_REQUIRE(m != NULL, "model: %s", err.message);
    TU_OK(m, nnom_model_alloc_arena(m));
    const int32_t label = 1;
    TU_CHECK(nnom_evaluate(m, scores, &label, 1, &bad) == NNOM_ERR_ARGUMENT, "evaluate: struct_size 0 accepted");
    TU_CHECK(contains(nnom_model_last_error(m), "nnom_eval.struct_size is 0"), "evaluate: message '%s'",
             nnom_model_last_error(m));
    nnom_eval e = NNOM_EVAL_INIT;
    TU_OK(m, nnom_evaluate(m, scores, &label, 1, &e));
    TU_CHECK(e.samples == 1 && e.top1 == 1 && e.n_classes == N, "evaluate counts");
    nnom_model_destroy(m);
}

static void check_quantize_options(void)
{
    nnom_quantize_options a = NNOM_QUANTIZE_OPTIONS_INIT, b;
    nnom_quantize_options_init(&b);
    TU_CHECK(a.struct_size == sizeof a && memcmp(&a, &b, sizeof a) == 0, "NNOM_QUANTIZE_OPTIONS_INIT and its init");
    nnom_error err;
    nnom_model *m = relu_model(NULL, &err);
    TU_REQUIRE(m != NULL, "model: %s", err.message);
    nnom_converter *c;
    TU_REQUIRE(nnom_converter_from_model(m, &c, &err) == NNOM_OK, "converter: %s", err.message);
    const float samples[2 * N] = {-1.0f, 0.5f, 2.0f, -0.25f, 0.75f, -2.0f, 1.5f, 0.0f};
    nnom_quantize_options bad = a;
    bad.struct_size = (uint32_t)sizeof bad + 8u;
    TU_CHECK(nnom_converter_quantize(c, samples, 2, &bad) == NNOM_ERR_ARGUMENT, "quantize: larger struct_size accepted");
    TU_CHECK(contains(nnom_converter_last_error(c), "nnom_quantize_options.struct_size") &&
                 contains(nnom_converter_last_error(c), "nnom_quantize_options_init()"),
             "quantize: message '%s'", nnom_converter_last_error(c));
    TU_CHECK(nnom_converter_quantize(c, samples, 2, &a) == NNOM_OK, "quantize: %s", nnom_converter_last_error(c));
    TU_CHECK(nnom_converter_int8_model(c) != NULL, "no int8 model");
    nnom_converter_destroy(c);
    nnom_model_destroy(m);
}

static void check_version(void)
{
    TU_CHECK(NNOM_VERSION == NNOM_VERSION_MAJOR * 10000 + NNOM_VERSION_MINOR * 100 + NNOM_VERSION_PATCH,
             "NNOM_VERSION %d", NNOM_VERSION);
    TU_CHECK(NNOM_VERSION_MINOR < 100 && NNOM_VERSION_PATCH < 100, "minor and patch must stay below 100");
    TU_CHECK(nnom_version() == (uint32_t)NNOM_VERSION, "nnom_version() %u, headers %d", (unsigned)nnom_version(),
             NNOM_VERSION);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", NNOM_VERSION_MAJOR, NNOM_VERSION_MINOR, NNOM_VERSION_PATCH);
    TU_CHECK(strcmp(nnom_version_string(), want) == 0, "nnom_version_string() '%s', want '%s'", nnom_version_string(),
             want);
}

int main(void)
{
    check_version();
    check_options();
    check_layer_desc_and_info();
    check_eval();
    check_quantize_options();
    return tu_finish("test_abi");
}
