/*
 * ACTIVATION layers (nnom_function): the libm-free log1p, expm1 and erfc against libm; every
 * float32 function against a double-precision reference written here; every int8 table, all 256
 * inputs, against the reference rounded by the spec; graphs of both element types through the
 * public API; and the errors for a bad function, bad constants and bad blobs.
 */
#include <math.h>
#include <string.h>

#include "kernels/function.h"
#include "model_util.h"

/* Keras' definitions, in double precision, independent of the code under test */
static double ref_fn(nnom_function fn, const float *k, double x)
{
    const double sp = x > 30 ? x : log(1.0 + exp(x)); /* softplus */
    switch (fn) {
    case NNOM_FN_ELU: return x > 0 ? x : k[0] * (exp(x) - 1.0);
    case NNOM_FN_SELU: return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (exp(x) - 1.0));
    case NNOM_FN_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case NNOM_FN_GELU_TANH: return 0.5 * x * (1.0 + tanh(sqrt(2.0 / (4.0 * atan(1.0))) * (x + 0.044715 * pow(x, 3))));
    case NNOM_FN_SILU: return x / (1.0 + exp(-x));
    case NNOM_FN_HARD_SILU: return x * fmin(fmax(x + 3.0, 0.0), 6.0) / 6.0;
    case NNOM_FN_MISH: return x * tanh(sp);
    case NNOM_FN_SOFTPLUS: return sp;
    case NNOM_FN_SOFTSIGN: return x / (1.0 + fabs(x));
    case NNOM_FN_EXPONENTIAL: return exp(x);
    case NNOM_FN_LOG_SIGMOID: return -(x < -30 ? -x : log(1.0 + exp(-x)));
    case NNOM_FN_CELU: return fmax(x, 0.0) + fmin(k[0] * (exp(x / k[0]) - 1.0), 0.0);
    case NNOM_FN_HARD_TANH: return fmin(fmax(x, -1.0), 1.0);
    case NNOM_FN_RELU: {
        /* Keras: relu(x) (or x where x > threshold), clipped to max_value, minus slope * relu(threshold - x) */
        double y = x > k[1] ? x : 0.0;
        if (k[3] != 0.0f) y = fmin(fmax(y, 0.0), k[2]);
        return y - k[0] * fmax(k[1] - x, 0.0);
    }
    case NNOM_FN_COUNT:
    case NNOM_FN_FORCE_32BIT: break;
    }
    return NAN;
}

/* constants for each function (CELU and ELU alpha; ReLU: slope 0.1, threshold 0.5, max 4, clip) */
static const float *consts_of(nnom_function fn)
{
    static const float alpha[1] = {0.7f}, relu[4] = {0.1f, 0.5f, 4.0f, 1.0f};
    if (fn == NNOM_FN_RELU) return relu;
    return nnom_function_constants(fn) == 1 ? alpha : NULL;
}

static void test_maths(void)
{
    double worst[3] = {0, 0, 0};
    for (int i = 0; i < 200000; i++) {
        const float x = i < 100000 ? tu_rand_float(-0.999f, 3.0f) * powf(10.0f, (float)tu_rand_int(-8, 0)) :
                                     tu_rand_float(-0.99f, 1e6f);
        const double l = log1p((double)x);
        const float xe = tu_rand_float(-20.0f, 20.0f) * powf(10.0f, (float)tu_rand_int(-8, 0));
        const double ee = expm1((double)xe);
        const double rl = fabs(nnom_log1pf(x) - l) / fmax(fabs(l), 1e-30);
        const double re = fabs(nnom_expm1f(xe) - ee) / fmax(fabs(ee), 1e-30);
        const double z = tu_rand_float(-12.0f, 12.0f);
        const double c = erfc(z);
        const double rc = fabs(nnom_erfcd(z) - c) / fmax(c, 1e-300);
        if (rl > worst[0]) worst[0] = rl;
        if (re > worst[1]) worst[1] = re;
        if (c > 1e-37 && rc > worst[2]) worst[2] = rc;
    }
    printf("  worst relative error: log1p %.2e, expm1 %.2e, erfc %.2e\n", worst[0], worst[1], worst[2]);
    TU_CHECK(worst[0] < 1e-6 && worst[1] < 1e-6 && worst[2] < 1e-6, "libm-free maths off: %g %g %g", worst[0],
             worst[1], worst[2]);
    TU_CHECK(nnom_log1pf(0.0f) == 0.0f && nnom_expm1f(0.0f) == 0.0f && nnom_erfcd(0.0) == 1.0, "values at 0");
}

static void test_f32(void)
{
    enum { N = 4001 };
    static float x[N], y[N];
    for (int i = 0; i < N; i++) x[i] = -20.0f + 40.0f * (float)i / (N - 1);
    for (int f = 1; f < NNOM_FN_COUNT; f++) {
        const float *k = consts_of((nnom_function)f);
        nnom_function_f32((nnom_function)f, k, x, y, N);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < N; i++) {
            const double r = ref_fn((nnom_function)f, k, x[i]);
            const double e = fabs(y[i] - r) / fmax(fabs(r), 1e-6); /* relative, or absolute below 1e-6 */
            if (e > worst) {
                worst = e;
                at = i;
            }
        }
        TU_CHECK(worst < 1e-6, "f32 %s: relative error %.3g at x = %g (%.9g, expected %.9g)",
                 nnom_function_name((nnom_function)f), worst, (double)x[at], (double)y[at],
                 ref_fn((nnom_function)f, k, x[at]));
    }
    /* in place */
    float v[3] = {-1.0f, 0.5f, 2.0f};
    nnom_function_f32(NNOM_FN_SOFTSIGN, NULL, v, v, 3);
    TU_CHECK(v[0] == -0.5f && fabsf(v[1] - 1.0f / 3.0f) < 1e-7f && fabsf(v[2] - 2.0f / 3.0f) < 1e-7f, "in place");
}

static void test_tables(void)
{
    const nnom_quant qi = {0.05f, 3}, qo = {0.04f, -20};
    for (int f = 1; f < NNOM_FN_COUNT; f++) {
        const float *k = consts_of((nnom_function)f);
        int8_t t[256];
        TU_REQUIRE(nnom_quant_function_table((nnom_function)f, k, nnom_function_constants((nnom_function)f), qi, qo,
                                             t) == NNOM_OK, "table %d", f);
        for (int q = -128; q <= 127; q++) {
            const double r = ref_fn((nnom_function)f, k, (double)qi.scale * (q - qi.zero_point)) / (double)qo.scale;
            const int32_t want = tu_clamp(tu_round_away(fmin(fmax(r, -1e6), 1e6)) + qo.zero_point, -128, 127);
            TU_CHECK(t[q + 128] == want, "table %s at %d: %d, expected %d", nnom_function_name((nnom_function)f), q,
                     t[q + 128], want);
            if (t[q + 128] != want) break;
        }
    }
    int8_t t[256];
    const float bad_alpha[1] = {0.0f}, one[1] = {1.0f};
    TU_CHECK(nnom_quant_function_table(NNOM_FN_CELU, bad_alpha, 1, qi, qo, t) == NNOM_ERR_ARGUMENT, "celu alpha 0");
    TU_CHECK(nnom_quant_function_table(NNOM_FN_ELU, one, 0, qi, qo, t) == NNOM_ERR_ARGUMENT, "constant count");
    TU_CHECK(nnom_quant_function_table((nnom_function)0, NULL, 0, qi, qo, t) == NNOM_ERR_ARGUMENT, "function 0");
    TU_CHECK(nnom_quant_function_table(NNOM_FN_COUNT, NULL, 0, qi, qo, t) == NNOM_ERR_ARGUMENT, "function count");
}

/* A model input -> ACTIVATION -> output; returns the compile status and the message. */
static nnom_status build(nnom_dtype dtype, int32_t fn, const void *blob, uint32_t size, nnom_model **out, char *msg,
                         size_t cap)
{
    const nnom_quant q = {0.05f, 3}, qo = {0.04f, -20};
    nnom_model *m = tu_model_new(dtype, NULL);
    int32_t a, b;
    TU_OK(m, nnom_model_add_input(m, "x", tu_shape(3, 3, 5, 7), q, &a));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_ACTIVATION, "my_fn", a);
    d.params.activation = fn;
    d.blobs[0].data = blob;
    d.blobs[0].size = size;
    d.quant = qo;
    TU_OK(m, nnom_model_add_layer(m, &d, &b));
    return tu_compile_or_destroy(m, b, out, msg, cap);
}

static void test_graphs(void)
{
    char msg[NNOM_ERROR_MESSAGE_MAX];
    enum { N = 105 };
    const nnom_quant qi = {0.05f, 3}, qo = {0.04f, -20};
    for (int f = 1; f < NNOM_FN_COUNT; f++) {
        const float *k = consts_of((nnom_function)f);
        const int32_t nk = nnom_function_constants((nnom_function)f);
        static int32_t words[64];
        int8_t *t = (int8_t *)words;
        TU_REQUIRE(nnom_quant_function_table((nnom_function)f, k, nk, qi, qo, t) == NNOM_OK, "table");
        nnom_model *m = NULL;
        TU_REQUIRE(build(NNOM_DTYPE_S8, f, t, 256, &m, msg, sizeof msg) == NNOM_OK, "s8 %d: %s", f, msg);
        int8_t x[N], y[N];
        tu_fill_s8(x, N, -128, 127);
        TU_OK(m, nnom_model_alloc_arena(m));
        tu_run_s8(m, x, N, y, N);
        for (int i = 0; i < N; i++) {
            const double r = ref_fn((nnom_function)f, k, (double)qi.scale * (x[i] - qi.zero_point)) / qo.scale;
            const int32_t want = tu_clamp(tu_round_away(fmin(fmax(r, -1e6), 1e6)) + qo.zero_point, -128, 127);
            TU_CHECK(y[i] == want, "s8 graph %s [%d]: %d, expected %d", nnom_function_name((nnom_function)f), i, y[i],
                     want);
            if (y[i] != want) break;
        }
        nnom_model_destroy(m);

        static float kf[4];
        if (nk > 0) memcpy(kf, k, (size_t)nk * sizeof(float));
        m = NULL;
        TU_REQUIRE(build(NNOM_DTYPE_F32, f, nk ? kf : NULL, (uint32_t)nk * 4u, &m, msg, sizeof msg) == NNOM_OK,
                   "f32 %d: %s", f, msg);
        float xf[N], yf[N];
        tu_fill_f32(xf, N, -6.0f, 6.0f);
        TU_OK(m, nnom_model_alloc_arena(m));
        tu_run_f32(m, xf, N, yf, N);
        for (int i = 0; i < N; i++) {
            const double r = ref_fn((nnom_function)f, k, xf[i]);
            TU_CHECK(fabs(yf[i] - r) <= 1e-6 * fmax(fabs(r), 1e-6), "f32 graph %s [%d]: %g, expected %g",
                     nnom_function_name((nnom_function)f), i, (double)yf[i], r);
        }
        nnom_model_destroy(m);
    }
}

static void test_errors(void)
{
    char msg[NNOM_ERROR_MESSAGE_MAX];
    static int32_t table[64];
    static float k[4] = {1.0f, 0.0f, 6.0f, 1.0f};
    nnom_status st = build(NNOM_DTYPE_S8, 0, table, 256, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "my_fn") && strstr(msg, "function 0"), "fn 0: %s", msg);
    st = build(NNOM_DTYPE_F32, NNOM_FN_COUNT, NULL, 0, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "nnom_function"), "fn past the end: %s", msg);
    st = build(NNOM_DTYPE_S8, NNOM_FN_GELU, table, 255, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "255") && strstr(msg, "256"), "table size: %s", msg);
    st = build(NNOM_DTYPE_F32, NNOM_FN_ELU, k, 0, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "constants") && strstr(msg, "expected 4"), "elu constants: %s", msg);
    st = build(NNOM_DTYPE_F32, NNOM_FN_RELU, k, 12, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "12") && strstr(msg, "16"), "relu constants: %s", msg);
    static float zero[1] = {0.0f}, nan1[1];
    nan1[0] = NAN;
    st = build(NNOM_DTYPE_F32, NNOM_FN_CELU, zero, 4, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "celu") && strstr(msg, "positive"), "celu alpha: %s", msg);
    st = build(NNOM_DTYPE_F32, NNOM_FN_ELU, nan1, 4, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "elu") && strstr(msg, "finite"), "elu NaN: %s", msg);
    TU_CHECK(strcmp(nnom_function_name(NNOM_FN_GELU_TANH), "gelu_tanh") == 0 &&
                 strcmp(nnom_function_name((nnom_function)99), "unknown") == 0, "names");
    TU_CHECK(strcmp(nnom_layer_type_name(NNOM_LAYER_ACTIVATION), "activation") == 0, "type name");
}

int main(void)
{
    tu_seed(4242);
    test_maths();
    test_f32();
    test_tables();
    test_graphs();
    test_errors();
    return tu_finish("test_function");
}
