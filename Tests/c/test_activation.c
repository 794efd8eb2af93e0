/*
 * Element-wise activations: the int8 table lookup (also in place), the int8
 * result of each activation against double maths, the float32 kernels and the
 * libm-free exp/tanh against double precision, and graphs through the public
 * API (running in place), with infer errors.
 */
#include <math.h>
#include <string.h>

#include "kernels/activation.h"
#include "model_util.h"

static const nnom_layer_type act_types[] = {NNOM_LAYER_RELU,    NNOM_LAYER_RELU6, NNOM_LAYER_LEAKY_RELU,
                                            NNOM_LAYER_SIGMOID, NNOM_LAYER_TANH,  NNOM_LAYER_HARD_SIGMOID};
#define N_ACT 6

static nnom_quant out_quant_for(nnom_layer_type type, nnom_quant in)
{
    nnom_quant q = in;
    if (type == NNOM_LAYER_SIGMOID || type == NNOM_LAYER_HARD_SIGMOID) { q.scale = 1.0f / 256; q.zero_point = -128; }
    if (type == NNOM_LAYER_TANH) { q.scale = 1.0f / 128; q.zero_point = 0; }
    if (type == NNOM_LAYER_RELU6) { q.scale = 6.0f / 255; q.zero_point = -128; }
    return q;
}

static void test_lut_kernel(void)
{
    for (int iter = 0; iter < 100; iter++) {
        int8_t table[256];
        tu_fill_s8(table, 256, -128, 127);
        const int32_t n = tu_rand_int(1, 1000);
        int8_t *in = malloc((size_t)n), *out = malloc((size_t)n), *orig = malloc((size_t)n);
        tu_fill_s8(in, (size_t)n, -128, 127);
        if (iter == 0) for (int32_t i = 0; i < n; i++) in[i] = (int8_t)(i % 256 - 128); /* every index */
        memcpy(orig, in, (size_t)n);
        const int in_place = iter % 2;
        nnom_lut_s8(in, in_place ? in : out, n, table);
        const int8_t *res = in_place ? in : out;
        for (int32_t i = 0; i < n; i++) {
            TU_CHECK(res[i] == table[orig[i] + 128], "lut [%d] in %d: %d, expected %d", i, orig[i], res[i],
                     table[orig[i] + 128]);
            if (res[i] != table[orig[i] + 128]) break;
        }
        free(in);
        free(out);
        free(orig);
    }
}

/* int8 activation = table made by the helper + lookup; every input value against double maths */
static void test_s8_activations(void)
{
    int8_t in[256], out[256];
    for (int32_t i = 0; i < 256; i++) in[i] = (int8_t)(i - 128);
    for (int t = 0; t < N_ACT; t++) {
        for (int iter = 0; iter < 20; iter++) {
            const nnom_layer_type type = act_types[t];
            nnom_quant qi = {tu_rand_float(0.01f, 0.15f), tu_rand_int(-60, 60)};
            nnom_quant qo = out_quant_for(type, qi);
            const float alpha = tu_rand_float(0.01f, 0.3f);
            int8_t table[256];
            TU_REQUIRE(nnom_quant_activation_table(type, alpha, qi, qo, table) == NNOM_OK, "table");
            memcpy(out, in, sizeof out);
            nnom_lut_s8(out, out, 256, table); /* in place */
            for (int32_t i = 0; i < 256; i++) {
                const double x = (double)qi.scale * (double)(in[i] - qi.zero_point);
                const double y = tu_ref_activation(type, (double)alpha, x);
                const int32_t want = tu_clamp(tu_round_away(y / (double)qo.scale) + qo.zero_point, -128, 127);
                TU_CHECK(out[i] == want, "%s q=%d: %d, expected %d", nnom_layer_type_name(type), in[i], out[i], want);
            }
        }
    }
}

static void test_exp_tanh(void)
{
    double max_rel = 0;
    for (int i = 0; i <= 2000000; i++) {
        const float x = -87.3f + (88.7f + 87.3f) * (float)i / 2000000.0f;
        const double want = exp((double)x), got = (double)nnom_expf(x);
        const double rel = fabs(got - want) / want;
        if (rel > max_rel) max_rel = rel;
        if (rel >= 4e-7) { TU_CHECK(rel < 4e-7, "expf(%.9g) = %.9g, exp %.9g (rel %.3g)", x, got, want, rel); break; }
    }
    printf("expf: max relative error %.3g (float eps %.3g)\n", max_rel, (double)(1.0f / 8388608.0f));
    TU_CHECK(max_rel < 4e-7, "expf accuracy %.3g", max_rel);
    /* subnormal results: within an ulp of the subnormal grid */
    for (int i = 0; i <= 10000; i++) {
        const float x = -103.9f + 16.5f * (float)i / 10000.0f;
        const double want = exp((double)x), got = (double)nnom_expf(x);
        TU_CHECK(fabs(got - want) <= ldexp(1.0, -149) + 4e-7 * want, "expf(%.9g) = %.9g, exp %.9g", x, got, want);
    }
    TU_CHECK(nnom_expf(0.0f) == 1.0f, "expf(0) = %.9g", nnom_expf(0.0f));
    TU_CHECK(nnom_expf(1.0f) == (float)exp(1.0), "expf(1) = %.9g", nnom_expf(1.0f));
    TU_CHECK(isinf(nnom_expf(89.0f)) && isinf(nnom_expf(INFINITY)), "overflow to +inf");
    TU_CHECK(nnom_expf(-110.0f) == 0.0f && nnom_expf(-INFINITY) == 0.0f, "underflow to 0");
    TU_CHECK(isnan(nnom_expf(NAN)), "expf(NaN)");
    TU_CHECK(nnom_expf(88.72f) < INFINITY && nnom_expf(88.72f) > 3.3e38f, "expf near FLT_MAX: %g", nnom_expf(88.72f));

    double max_abs = 0;
    for (int i = 0; i <= 400000; i++) {
        const float x = -12.0f + 24.0f * (float)i / 400000.0f;
        const double want = tanh((double)x), got = (double)nnom_tanhf(x);
        const double err = fabs(got - want);
        if (err > max_abs) max_abs = err;
        TU_CHECK(err <= 2e-7 * (fabs(want) > 0.05 ? 1.0 : fabs(want) / 0.05 + 1e-3),
                 "tanhf(%.9g) = %.9g, tanh %.9g", x, got, want);
        if (err > 2e-7) break;
    }
    printf("tanhf: max abs error %.3g\n", max_abs);
    TU_CHECK(nnom_tanhf(1e-30f) == 1e-30f && nnom_tanhf(-1e-30f) == -1e-30f, "tiny tanh");
    TU_CHECK(nnom_tanhf(0.0f) == 0.0f, "tanh(0)");
    TU_CHECK(nnom_tanhf(INFINITY) == 1.0f && nnom_tanhf(-INFINITY) == -1.0f, "tanh(+-inf)");
    TU_CHECK(isnan(nnom_tanhf(NAN)), "tanh(NaN)");
    for (int i = 1; i < 1000; i++) {
        const float x = 0.001f * (float)i;
        TU_CHECK(nnom_tanhf(-x) == -nnom_tanhf(x), "tanh odd at %g", x);
        TU_CHECK(fabs(nnom_tanhf(x) - tanh(x)) <= 3e-7 * tanh(x), "tanh relative at %g: %.9g vs %.9g", x,
                 nnom_tanhf(x), tanh(x));
    }
}

typedef void (*act_f32_fn)(const float *, float *, int32_t);

static void test_f32_kernels(void)
{
    const float alpha = 0.2f;
    for (int t = 0; t < N_ACT; t++) {
        const nnom_layer_type type = act_types[t];
        for (int iter = 0; iter < 20; iter++) {
            const int32_t n = tu_rand_int(1, 3000);
            float *in = malloc((size_t)n * 4), *out = malloc((size_t)n * 4), *orig = malloc((size_t)n * 4);
            tu_fill_f32(in, (size_t)n, -15.0f, 15.0f);
            if (iter == 0) { in[0] = -3.0f; if (n > 1) in[1] = 3.0f; if (n > 2) in[2] = 6.0f; if (n > 3) in[3] = 0.0f; }
            memcpy(orig, in, (size_t)n * 4);
            float *dst = iter % 2 ? in : out;
            switch (type) {
            case NNOM_LAYER_RELU: nnom_relu_f32(in, dst, n); break;
            case NNOM_LAYER_RELU6: nnom_relu6_f32(in, dst, n); break;
            case NNOM_LAYER_LEAKY_RELU: nnom_leaky_relu_f32(in, dst, n, alpha); break;
            case NNOM_LAYER_SIGMOID: nnom_sigmoid_f32(in, dst, n); break;
            case NNOM_LAYER_TANH: nnom_tanh_f32(in, dst, n); break;
            default: nnom_hard_sigmoid_f32(in, dst, n); break;
            }
            for (int32_t i = 0; i < n; i++) {
                const double want = tu_ref_activation(type, (double)alpha, (double)orig[i]);
                /* piecewise-linear ones are one float rounding from the real value; sigmoid/tanh a few */
                const double tol = (type == NNOM_LAYER_SIGMOID || type == NNOM_LAYER_TANH) ? 3e-7 : 6e-8 * fabs(want);
                TU_CHECK(fabs((double)dst[i] - want) <= tol, "%s f32 x=%.9g: %.9g, expected %.9g",
                         nnom_layer_type_name(type), orig[i], dst[i], want);
                if (fabs((double)dst[i] - want) > tol) break;
            }
            free(in);
            free(out);
            free(orig);
        }
    }
    /* sigmoid at the extremes stays finite and ordered */
    float x[6] = {-INFINITY, -200.0f, -90.0f, 90.0f, 200.0f, INFINITY}, y[6];
    nnom_sigmoid_f32(x, y, 6);
    TU_CHECK(y[0] == 0.0f && y[1] == 0.0f && y[2] >= 0.0f && y[2] < 1e-38f, "sigmoid low: %g %g %g", y[0], y[1], y[2]);
    TU_CHECK(y[3] == 1.0f && y[4] == 1.0f && y[5] == 1.0f, "sigmoid high: %g %g %g", y[3], y[4], y[5]);
    /* leaky relu with alpha 0 is relu, hard sigmoid hits its corners exactly */
    float h[5] = {-3.0f, 3.0f, 0.0f, -100.0f, 100.0f}, hy[5];
    nnom_hard_sigmoid_f32(h, hy, 5);
    TU_CHECK(hy[0] == 0.0f && hy[1] == 1.0f && hy[2] == 0.5f && hy[3] == 0.0f && hy[4] == 1.0f,
             "hard sigmoid corners %g %g %g", hy[0], hy[1], hy[2]);
}

/* ---------------------------------------------------------------- graphs */

static void graph_s8(nnom_layer_type type, nnom_shape shape)
{
    const nnom_quant qi = {0.06f, -7};
    const nnom_quant qo = out_quant_for(type, qi);
    const float alpha = 0.125f;
    static int32_t table_words[64]; /* int8[256], 4-byte aligned, alive for the model */
    int8_t *table = (int8_t *)table_words;
    TU_REQUIRE(nnom_quant_activation_table(type, alpha, qi, qo, table) == NNOM_OK, "table");
    nnom_model *m = tu_model_new(NNOM_DTYPE_S8, NULL);
    int32_t a, b;
    TU_OK(m, nnom_model_add_input(m, "x", shape, qi, &a));
    nnom_layer_desc d = tu_desc1(type, NULL, a);
    d.params.alpha = alpha;
    d.blobs[0].data = table;
    d.blobs[0].size = 256;
    d.quant = qo;
    TU_OK(m, nnom_model_add_layer(m, &d, &b));
    tu_finish_model(m, b);
    nnom_tensor_info ii;
    TU_OK(m, nnom_model_input_info(m, 0, &ii));
    const int32_t n = ii.count;
    int8_t *x = malloc((size_t)n), *y = malloc((size_t)n);
    tu_fill_s8(x, (size_t)n, -128, 127);
    tu_run_s8(m, x, (size_t)n, y, (size_t)n);
    for (int32_t i = 0; i < n; i++) {
        const double v = tu_ref_activation(type, (double)alpha, (double)qi.scale * (x[i] - qi.zero_point)) / (double)qo.scale;
        const int32_t want = tu_clamp(tu_round_away(v) + qo.zero_point, -128, 127);
        TU_CHECK(y[i] == want, "graph %s [%d] x=%d: %d, expected %d", nnom_layer_type_name(type), i, x[i], y[i], want);
        if (y[i] != want) break;
    }
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    TU_OK(m, nnom_model_layer_info(m, b, &info));
    /* model inputs are never written over: the input must still hold x */
    TU_CHECK(info.in_place == 0, "%s must not overwrite the model input", nnom_layer_type_name(type));
    TU_CHECK(memcmp(nnom_model_input_data(m, 0), x, (size_t)n) == 0, "%s: the input changed", nnom_layer_type_name(type));
    TU_CHECK(info.shape.rank == shape.rank && info.shape.dims[shape.rank - 1] == shape.dims[shape.rank - 1], "shape");
    free(x);
    free(y);
    nnom_model_destroy(m);
}

static void graph_f32(nnom_layer_type type, nnom_shape shape)
{
    const float alpha = 0.3f;
    nnom_quant q0 = {0, 0};
    nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
    int32_t a, b;
    TU_OK(m, nnom_model_add_input(m, "x", shape, q0, &a));
    nnom_layer_desc d = tu_desc1(type, NULL, a);
    d.params.alpha = alpha;
    TU_OK(m, nnom_model_add_layer(m, &d, &b));
    tu_finish_model(m, b);
    nnom_tensor_info ii;
    TU_OK(m, nnom_model_input_info(m, 0, &ii));
    const int32_t n = ii.count;
    float *x = malloc((size_t)n * 4), *y = malloc((size_t)n * 4);
    tu_fill_f32(x, (size_t)n, -9, 9);
    tu_run_f32(m, x, (size_t)n, y, (size_t)n);
    for (int32_t i = 0; i < n; i++) {
        const double want = tu_ref_activation(type, (double)alpha, (double)x[i]);
        TU_CHECK(fabs(y[i] - want) <= 3e-7, "graph f32 %s x=%g: %g, expected %g", nnom_layer_type_name(type), x[i],
                 y[i], want);
        if (fabs(y[i] - want) > 3e-7) break;
    }
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    TU_OK(m, nnom_model_layer_info(m, b, &info));
    TU_CHECK(info.in_place == 0, "%s f32 must not overwrite the model input", nnom_layer_type_name(type));
    TU_CHECK(memcmp(nnom_model_input_data(m, 0), x, (size_t)n * 4) == 0, "%s f32: the input changed",
             nnom_layer_type_name(type));
    free(x);
    free(y);
    nnom_model_destroy(m);
}

static void test_graphs(void)
{
    nnom_shape shapes[3] = {{1, {37, 0, 0}}, {2, {6, 7, 0}}, {3, {3, 5, 11}}};
    for (int t = 0; t < N_ACT; t++)
        for (int s = 0; s < 3; s++) {
            graph_s8(act_types[t], shapes[s]);
            graph_f32(act_types[t], shapes[s]);
        }
}

static nnom_status compile_act(nnom_dtype dtype, nnom_layer_type type, const void *blob, uint32_t size, float alpha,
                               int two_inputs, char *msg, size_t cap)
{
    nnom_quant q = {0.05f, 0};
    nnom_model *m = tu_model_new(dtype, NULL);
    int32_t a, b;
    TU_OK(m, nnom_model_add_input(m, "x", tu_shape(1, 8, 0, 0), q, &a));
    const int32_t ins[2] = {a, a};
    nnom_layer_desc d = tu_desc(type, "my_act", two_inputs ? 2 : 1, ins);
    d.params.alpha = alpha;
    d.blobs[0].data = blob;
    d.blobs[0].size = size;
    d.quant = q;
    TU_OK(m, nnom_model_add_layer(m, &d, &b));
    return tu_compile_or_destroy(m, b, NULL, msg, cap);
}

static void test_errors(void)
{
    static int32_t table[64];
    char msg[NNOM_ERROR_MESSAGE_MAX];
    for (int t = 0; t < N_ACT; t++) {
        nnom_status st = compile_act(NNOM_DTYPE_S8, act_types[t], table, 255, 0.1f, 0, msg, sizeof msg);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "my_act") && strstr(msg, nnom_layer_type_name(act_types[t])) &&
                     strstr(msg, "255") && strstr(msg, "256"),
                 "table size: %s %s", nnom_status_name(st), msg);
        st = compile_act(NNOM_DTYPE_S8, act_types[t], NULL, 0, 0.1f, 0, msg, sizeof msg);
        TU_CHECK(st == NNOM_ERR_SHAPE, "no table: %s %s", nnom_status_name(st), msg);
        st = compile_act(NNOM_DTYPE_S8, act_types[t], table, 256, 0.1f, 1, msg, sizeof msg);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "my_act"), "two inputs: %s %s", nnom_status_name(st), msg);
        st = compile_act(NNOM_DTYPE_F32, act_types[t], NULL, 0, 0.1f, 0, msg, sizeof msg);
        TU_CHECK(st == NNOM_OK, "f32 needs no table: %s %s", nnom_status_name(st), msg);
    }
    nnom_status st = compile_act(NNOM_DTYPE_F32, NNOM_LAYER_LEAKY_RELU, NULL, 0, NAN, 0, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "alpha") && strstr(msg, "nan"), "NaN alpha: %s %s",
             nnom_status_name(st), msg);
    st = compile_act(NNOM_DTYPE_F32, NNOM_LAYER_LEAKY_RELU, NULL, 0, -INFINITY, 0, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "-inf"), "-inf alpha: %s %s", nnom_status_name(st), msg);
}

int main(void)
{
    tu_seed(0xAC71);
    test_lut_kernel();
    test_s8_activations();
    test_exp_tanh();
    test_f32_kernels();
    test_graphs();
    test_errors();
    return tu_finish("test_activation");
}
