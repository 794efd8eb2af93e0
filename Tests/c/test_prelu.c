/*
 * PRELU: the int8 kernel against the spec's integer arithmetic (reference requantisation of the test
 * support) and against the real function (within an output step plus alpha's rounding); the float32
 * kernel exactly; per-channel and per-element alpha; graphs of both element types through the public
 * API, in place; and the errors for a bad alpha or bad constants.
 */
#include <math.h>
#include <string.h>

#include "kernels/prelu.h"
#include "model_util.h"

static void test_s8_kernel(void)
{
    for (int trial = 0; trial < 200; trial++) {
        const int32_t C = tu_rand_int(1, 9), P = tu_rand_int(1, 13), n = C * P;
        const int per_element = trial % 2;
        const int32_t A = per_element ? n : C;
        const nnom_quant qi = {tu_rand_float(0.005f, 0.1f), tu_rand_int(-40, 40)};
        const nnom_quant qo = {tu_rand_float(0.005f, 0.1f), tu_rand_int(-40, 40)};
        float alpha[128];
        int8_t aq[128], x[128], y[128];
        float amax = 0.0f;
        for (int32_t k = 0; k < A; k++) {
            alpha[k] = tu_rand_float(-1.5f, 1.5f);
            amax = fmaxf(amax, fabsf(alpha[k]));
        }
        const double as = amax / 127.0;
        for (int32_t k = 0; k < A; k++) aq[k] = (int8_t)tu_round_away(alpha[k] / as);
        nnom_prelu_s8_args a;
        memset(&a, 0, sizeof a);
        tu_ref_multiplier((double)qi.scale / qo.scale, &a.pos_multiplier, &a.pos_shift);
        tu_ref_multiplier((double)qi.scale * as / qo.scale, &a.neg_multiplier, &a.neg_shift);
        tu_fill_s8(x, (size_t)n, -128, 127);
        a.in = x;
        a.out = trial % 3 == 0 ? x : y; /* in place every third trial */
        a.n = n;
        a.alpha = aq;
        a.alpha_count = A;
        a.in_zero_point = qi.zero_point;
        a.out_zero_point = qo.zero_point;
        int8_t x0[128];
        memcpy(x0, x, (size_t)n);
        nnom_prelu_s8(&a);
        for (int32_t i = 0; i < n; i++) {
            const int64_t v = x0[i] - qi.zero_point;
            const int32_t want =
                tu_clamp((v >= 0 ? tu_ref_requantize(v, a.pos_multiplier, a.pos_shift)
                                 : tu_ref_requantize(v * aq[i % A], a.neg_multiplier, a.neg_shift)) + qo.zero_point,
                         -128, 127);
            TU_CHECK(a.out[i] == want, "s8 trial %d [%d]: %d, expected %d", trial, i, a.out[i], want);
            /* and the real function, within an output step (half of it rounding, the rest the double rounding of
             * small accumulators the spec's requantisation has) and alpha's rounding */
            const double real = v >= 0 ? v * qi.scale : alpha[i % A] * v * qi.scale;
            const double got = (a.out[i] - qo.zero_point) * (double)qo.scale;
            if (want > -128 && want < 127)
                TU_CHECK(fabs(got - real) <= qo.scale + 0.5 * as * fabs((double)v) * qi.scale + 1e-6,
                         "s8 trial %d [%d]: %g, real %g (v %d, scales %g %g, out %d)", trial, i, got, real, (int)v,
                         (double)qi.scale, (double)qo.scale, a.out[i]);
        }
    }
}

static void test_f32_kernel(void)
{
    float x[60], y[60], alpha[12];
    tu_fill_f32(x, 60, -3.0f, 3.0f);
    tu_fill_f32(alpha, 12, -1.0f, 1.0f);
    nnom_prelu_f32_args a = {x, y, 60, alpha, 12};
    nnom_prelu_f32(&a);
    for (int i = 0; i < 60; i++)
        TU_CHECK(y[i] == (x[i] >= 0.0f ? x[i] : alpha[i % 12] * x[i]), "f32 [%d]", i);
}

static nnom_status build(nnom_dtype dtype, const void *alpha, uint32_t alpha_bytes, const int32_t *params,
                         nnom_model **out, char *msg, size_t cap)
{
    const nnom_quant qi = {0.03f, 5}, qo = {0.02f, -10};
    nnom_model *m = tu_model_new(dtype, NULL);
    int32_t a, b, c;
    TU_OK(m, nnom_model_add_input(m, "x", tu_shape(3, 2, 3, 4), qi, &a));
    /* an identity (leaky relu of slope 1) between, so that PRELU may run in place: model inputs are kept */
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_LEAKY_RELU, NULL, a);
    d.params.alpha = 1.0f;
    d.quant = qi;
    static int32_t identity_words[64];
    int8_t *identity = (int8_t *)identity_words;
    if (dtype == NNOM_DTYPE_S8) {
        TU_REQUIRE(nnom_quant_activation_table(NNOM_LAYER_LEAKY_RELU, 1.0f, qi, qi, identity) == NNOM_OK, "table");
        d.blobs[0].data = identity;
        d.blobs[0].size = 256;
    }
    TU_OK(m, nnom_model_add_layer(m, &d, &b));
    d = tu_desc1(NNOM_LAYER_PRELU, "my_prelu", b);
    d.blobs[0].data = alpha;
    d.blobs[0].size = alpha_bytes;
    d.blobs[1].data = params;
    d.blobs[1].size = params ? 16u : 0u;
    d.quant = qo;
    TU_OK(m, nnom_model_add_layer(m, &d, &c));
    return tu_compile_or_destroy(m, c, out, msg, cap);
}

static void test_graphs(void)
{
    char msg[NNOM_ERROR_MESSAGE_MAX];
    const nnom_quant qi = {0.03f, 5}, qo = {0.02f, -10};
    static float alpha_f[24];
    static int32_t alpha_words[6];
    int8_t *alpha_q = (int8_t *)alpha_words;
    static int32_t params[4];
    tu_fill_f32(alpha_f, 24, -0.9f, 0.9f);
    tu_fill_s8(alpha_q, 24, -127, 127);
    const double as = 0.9 / 127.0;
    tu_ref_multiplier((double)qi.scale / qo.scale, &params[0], &params[1]);
    tu_ref_multiplier((double)qi.scale * as / qo.scale, &params[2], &params[3]);
    for (int per_element = 0; per_element < 2; per_element++) {
        const int32_t A = per_element ? 24 : 4;
        nnom_model *m = NULL;
        TU_REQUIRE(build(NNOM_DTYPE_S8, alpha_q, (uint32_t)A, params, &m, msg, sizeof msg) == NNOM_OK, "s8: %s", msg);
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, 2, &info));
        TU_CHECK(info.in_place == 1, "prelu runs in place after its input layer");
        int8_t x[24], y[24];
        tu_fill_s8(x, 24, -128, 127);
        TU_OK(m, nnom_model_alloc_arena(m));
        tu_run_s8(m, x, 24, y, 24);
        for (int i = 0; i < 24; i++) {
            const int64_t v = x[i] - qi.zero_point;
            const int32_t want =
                tu_clamp((v >= 0 ? tu_ref_requantize(v, params[0], params[1])
                                 : tu_ref_requantize(v * alpha_q[i % A], params[2], params[3])) + qo.zero_point,
                         -128, 127);
            TU_CHECK(y[i] == want, "s8 graph A=%d [%d]: %d, expected %d", A, i, y[i], want);
        }
        nnom_model_destroy(m);
        m = NULL;
        TU_REQUIRE(build(NNOM_DTYPE_F32, alpha_f, (uint32_t)A * 4u, NULL, &m, msg, sizeof msg) == NNOM_OK, "f32: %s",
                   msg);
        float xf[24], yf[24];
        tu_fill_f32(xf, 24, -2.0f, 2.0f);
        TU_OK(m, nnom_model_alloc_arena(m));
        tu_run_f32(m, xf, 24, yf, 24);
        for (int i = 0; i < 24; i++)
            TU_CHECK(yf[i] == (xf[i] >= 0.0f ? xf[i] : alpha_f[i % A] * xf[i]), "f32 graph A=%d [%d]", A, i);
        nnom_model_destroy(m);
    }
}

static void test_errors(void)
{
    char msg[NNOM_ERROR_MESSAGE_MAX];
    static float alpha_f[24];
    static int32_t alpha_words[6];
    const int8_t *alpha_q = (const int8_t *)alpha_words;
    static int32_t params[4] = {1 << 30, 0, 1 << 30, -3}, bad_shift[4] = {1 << 30, 0, 1 << 30, 40},
                   bad_mult[4] = {1 << 30, 0, -5, 0};
    nnom_status st = build(NNOM_DTYPE_F32, alpha_f, 20, NULL, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "my_prelu") && strstr(msg, "20 bytes") && strstr(msg, "16") &&
                 strstr(msg, "96"), "alpha size: %s", msg);
    st = build(NNOM_DTYPE_S8, alpha_q, 5, params, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "alpha"), "s8 alpha size: %s", msg);
    st = build(NNOM_DTYPE_S8, alpha_q, 4, NULL, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "requantisation"), "no params: %s", msg);
    st = build(NNOM_DTYPE_S8, alpha_q, 4, bad_shift, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "shift") && strstr(msg, "40"), "bad shift: %s", msg);
    st = build(NNOM_DTYPE_S8, alpha_q, 4, bad_mult, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "multiplier") && strstr(msg, "-5"), "bad multiplier: %s", msg);
    alpha_f[2] = INFINITY;
    st = build(NNOM_DTYPE_F32, alpha_f, 16, NULL, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "alpha[2]") && strstr(msg, "finite"), "inf alpha: %s", msg);
}

int main(void)
{
    tu_seed(777);
    test_s8_kernel();
    test_f32_kernel();
    test_graphs();
    test_errors();
    return tu_finish("test_prelu");
}
