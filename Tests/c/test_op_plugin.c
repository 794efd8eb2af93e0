/*
 * Plugins of user operators (nnom_op_plugin_open, nnom/tools.h): the example plugin
 * examples/user_ops/weighted_diff_plugin.c, built as a shared library by CMake, registers
 * "weighted_diff_k"; the Keras fixture user_op_lambda (a Lambda of that name computing a - 0.75 b,
 * then a Dense) converts with it: float32 against Keras' outputs, int8 against a reference computed
 * here from the int8 inputs, and the saved model loads only with the plugin's registry. Refusals: a
 * missing file, a file that is no library, a library with no entry, a registry that cannot take the
 * operators (left unchanged).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnom/tools.h"
#include "file_util.h"
#include "test_util.h"

#define OP "weighted_diff_k"

static int has(const char *s, const char *w) { return s && strstr(s, w) != NULL; }

static void check_refusals(void)
{
    static const nnom_user_op *slots[1];
    nnom_op_registry reg;
    nnom_op_registry_init(&reg, slots, 1);
    nnom_op_plugin *p = (nnom_op_plugin *)&reg; /* must be reset to NULL on errors */
    nnom_error err;
    TU_CHECK(nnom_op_plugin_open("/nonexistent/ops.so", &reg, &p, &err) == NNOM_ERR_IO && p == NULL &&
                 has(err.message, "cannot load plugin '/nonexistent/ops.so'"), "missing file: %s", err.message);
    const char *not_library = NNOM_FIXTURES_DIR "/keras/user_op_lambda.input0.npy";
    TU_CHECK(nnom_op_plugin_open(not_library, &reg, &p, &err) == NNOM_ERR_IO && has(err.message, "user_op_lambda"),
             "not a library: %s", err.message);
    TU_CHECK(nnom_op_plugin_open(NNOM_TEST_NO_ENTRY_PLUGIN, &reg, &p, &err) == NNOM_ERR_UNSUPPORTED &&
                 has(err.message, "exports no function " NNOM_OP_PLUGIN_ENTRY "()"), "no entry: %s", err.message);
    TU_CHECK(reg.count == 0, "the registry is unchanged");
    /* the plugin loaded twice into one registry: the second refused (a duplicate name), the registry unchanged */
    nnom_op_registry full;
    static const nnom_user_op *full_slots[1];
    nnom_op_registry_init(&full, full_slots, 1);
    TU_REQUIRE(nnom_op_plugin_open(NNOM_TEST_PLUGIN, &full, &p, &err) == NNOM_OK, "%s", err.message);
    nnom_op_plugin *again = NULL;
    TU_CHECK(nnom_op_plugin_open(NNOM_TEST_PLUGIN, &full, &again, &err) != NNOM_OK && again == NULL &&
                 has(err.message, "operator 1 of 1") && full.count == 1,
             "a second load into the same registry: %s", err.message);
    nnom_op_plugin_close(p);
    nnom_op_plugin_close(NULL);
    TU_CHECK(nnom_op_plugin_count(NULL) == 0, "count of NULL");
    nnom_op_registry raw;
    memset(&raw, 0, sizeof raw);
    TU_CHECK(nnom_op_plugin_open(NNOM_TEST_PLUGIN, &raw, &p, &err) == NNOM_ERR_ARGUMENT &&
                 has(err.message, "not initialised"), "uninitialised registry: %s", err.message);
    TU_CHECK(nnom_op_plugin_open(NULL, &reg, &p, &err) == NNOM_ERR_ARGUMENT, "NULL path");
}

static double sqr(double v) { return v * v; }

static void check_keras(void)
{
    static const nnom_user_op *slots[4];
    nnom_op_registry reg;
    nnom_op_registry_init(&reg, slots, 4);
    nnom_op_plugin *plugin = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_op_plugin_open(NNOM_TEST_PLUGIN, &reg, &plugin, &err) == NNOM_OK, "%s", err.message);
    TU_CHECK(nnom_op_plugin_count(plugin) == 1 && reg.count == 1 && nnom_find_op(&reg, OP) != NULL,
             "the plugin registered " OP);
    tu_lambda_fixture fx;
    tu_lambda_fixture_load(&fx);
    const nnom_array in0 = fx.in0, in1 = fx.in1, out0 = fx.out0, out1 = fx.out1;
    float *samples = fx.samples;
    enum { MAX_VALUES = 64 };
    const int64_t batch = fx.batch, per_in = fx.per_in, per0 = fx.per_out0, per1 = fx.per_out1;
    TU_REQUIRE(per_in <= MAX_VALUES && per0 <= MAX_VALUES && per1 <= MAX_VALUES, "fixture sizes");
    nnom_converter *c = NULL;
    TU_REQUIRE(nnom_keras_read_with_ops(NNOM_FIXTURES_DIR "/keras/user_op_lambda.keras", &reg, &c, &err) == NNOM_OK,
               "%s", err.message);
    nnom_model *fm = nnom_converter_float_model(c);
    TU_OK(fm, nnom_model_alloc_arena(fm));
    double worst = 0.0;
    for (int64_t k = 0; k < batch; k++) {
        float y0[MAX_VALUES], y1[MAX_VALUES];
        TU_OK(fm, nnom_model_set_input_f32(fm, 0, in0.data + k * per_in, (size_t)per_in));
        TU_OK(fm, nnom_model_set_input_f32(fm, 1, in1.data + k * per_in, (size_t)per_in));
        TU_OK(fm, nnom_model_run(fm));
        TU_OK(fm, nnom_model_get_output_f32(fm, 0, y0, (size_t)per0));
        TU_OK(fm, nnom_model_get_output_f32(fm, 1, y1, (size_t)per1));
        for (int64_t j = 0; j < per0; j++) worst = fmax(worst, fabs(y0[j] - out0.data[k * per0 + j]));
        for (int64_t j = 0; j < per1; j++) worst = fmax(worst, fabs(y1[j] - out1.data[k * per1 + j]));
    }
    TU_CHECK(worst <= 1e-5, "float32 with the plugin's operator against Keras: %g", worst);
    TU_REQUIRE(nnom_converter_quantize(c, samples, (size_t)batch, NULL) == NNOM_OK, "quantise: %s",
               nnom_converter_last_error(c));
    /* the saved int8 model: refused without the registry, run with it */
    static uint8_t file[16384] __attribute__((aligned(8)));
    size_t size = 0;
    nnom_model *qm = nnom_converter_int8_model(c);
    TU_OK(qm, nnom_model_save(qm, file, sizeof file, &size));
    nnom_model *m = NULL;
    TU_CHECK(nnom_model_load(file, size, NULL, &m, &err) != NNOM_OK && has(err.message, "'" OP "'"),
             "loaded without the plugin: %s", err.message);
    nnom_options opt = NNOM_OPTIONS_INIT;
    opt.op_registry = &reg;
    TU_REQUIRE(nnom_model_load(file, size, &opt, &m, &err) == NNOM_OK, "%s", err.message);
    TU_OK(m, nnom_model_alloc_arena(m));
    nnom_tensor_info ia, ib, io;
    nnom_model_input_info(m, 0, &ia);
    nnom_model_input_info(m, 1, &ib);
    nnom_model_output_info(m, 0, &io);
    double signal = 0.0, noise = 0.0;
    int exact = 0, total = 0;
    for (int64_t k = 0; k < batch; k++) {
        int8_t a[MAX_VALUES], b[MAX_VALUES], y[MAX_VALUES];
        tu_fill_s8(a, (size_t)per_in, -128, 127);
        tu_fill_s8(b, (size_t)per_in, -128, 127);
        TU_OK(m, nnom_model_set_input_s8(m, 0, a, (size_t)per_in));
        TU_OK(m, nnom_model_set_input_s8(m, 1, b, (size_t)per_in));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_s8(m, 0, y, (size_t)per0));
        for (int64_t j = 0; j < per0; j++) {
            const double v = ia.quant.scale * (a[j] - ia.quant.zero_point) -
                             0.75 * ib.quant.scale * (b[j] - ib.quant.zero_point);
            const int32_t want = tu_clamp(tu_round_away(v / io.quant.scale) + io.quant.zero_point, -128, 127);
            exact += y[j] == want;
            total++;
            TU_CHECK(abs(y[j] - want) <= 1, "sample %d value %d: %d, reference %d", (int)k, (int)j, y[j], want);
        }
        /* the whole model (Dense after the operator) on the fixture, against Keras */
        float yq[MAX_VALUES];
        TU_OK(m, nnom_model_set_input_f32(m, 0, in0.data + k * per_in, (size_t)per_in));
        TU_OK(m, nnom_model_set_input_f32(m, 1, in1.data + k * per_in, (size_t)per_in));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 1, yq, (size_t)per1));
        for (int64_t j = 0; j < per1; j++) {
            signal += sqr(out1.data[k * per1 + j]);
            noise += sqr(out1.data[k * per1 + j] - yq[j]);
        }
    }
    const double db = 10.0 * log10(signal / noise);
    printf("plugin operator: int8 %d of %d values exact against the reference; int8 model %.1f dB against Keras\n",
           exact, total, db);
    TU_CHECK(exact * 100 >= total * 99, "%d of %d exact", exact, total);
    TU_CHECK(db >= 30.0, "int8 against Keras: %.1f dB", db);
    nnom_model_destroy(m);
    nnom_converter_destroy(c);
    nnom_op_plugin_close(plugin);
    tu_lambda_fixture_free(&fx);
}

int main(void)
{
    tu_seed(16);
    check_refusals();
    check_keras();
    return tu_finish("test_op_plugin");
}
