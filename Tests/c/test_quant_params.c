/*
 * Build-time helpers of the element-wise layers, checked against double
 * precision maths: nnom_quant_add_params, nnom_quant_mul_params,
 * nnom_quant_concat_params, nnom_quant_activation_table,
 * nnom_quant_softmax_table.
 */
#include <math.h>
#include <string.h>

#include "test_util.h"

/* scale log-uniform in [lo, hi] */
static float rand_scale(double lo, double hi)
{
    double t = (double)tu_rand_u32() / 4294967296.0;
    return (float)(lo * pow(hi / lo, t));
}

static nnom_quant rand_quant(double lo, double hi)
{
    nnom_quant q;
    q.scale = rand_scale(lo, hi);
    q.zero_point = tu_rand_int(-128, 127);
    return q;
}

/* ---- integer references of the layers' arithmetic (TFLite), from tu_ref_requantize */

static int32_t ref_add(int32_t x1, int32_t x2, nnom_quant q1, nnom_quant q2, nnom_quant qo, const int32_t p[6],
                       int subtract)
{
    int64_t a = tu_ref_requantize((int64_t)(x1 - q1.zero_point) * 1048576, p[0], p[1]);
    int64_t b = tu_ref_requantize((int64_t)(x2 - q2.zero_point) * 1048576, p[2], p[3]);
    int64_t s = subtract ? a - b : a + b;
    return tu_clamp(tu_ref_requantize(s, p[4], p[5]) + qo.zero_point, -128, 127);
}

static int32_t ref_mul(int32_t x1, int32_t x2, nnom_quant q1, nnom_quant q2, nnom_quant qo, const int32_t p[2])
{
    int64_t prod = (int64_t)(x1 - q1.zero_point) * (x2 - q2.zero_point);
    return tu_clamp(tu_ref_requantize(prod, p[0], p[1]) + qo.zero_point, -128, 127);
}

static int32_t real_to_s8(double real, nnom_quant qo)
{
    return tu_clamp(tu_round_away(real / (double)qo.scale) + qo.zero_point, -128, 127);
}

static void check_multiplier(double real, int32_t m, int32_t s, const char *what)
{
    int32_t rm, rs;
    tu_ref_multiplier(real, &rm, &rs);
    TU_CHECK(m == rm && s == rs, "%s: real %.9g gave (%d, %d), reference (%d, %d)", what, real, m, s, rm, rs);
}

static void test_add_params(void)
{
    int max_err = 0;
    for (int iter = 0; iter < 300; iter++) {
        nnom_quant q1 = rand_quant(1e-3, 1.0), q2 = rand_quant(1e-3, 1.0);
        if (iter % 3 == 0) q2 = rand_quant(q1.scale * 0.9, q1.scale * 1.1); /* similar scales */
        if (iter % 7 == 0) q2.scale = q1.scale * 100.0f;                     /* very different */
        nnom_quant qo;
        qo.scale = (float)((q1.scale + q2.scale) * rand_scale(0.3, 3.0));
        qo.zero_point = tu_rand_int(-128, 127);
        int32_t p[6];
        nnom_status st = nnom_quant_add_params(q1, q2, qo, p);
        TU_CHECK(st == NNOM_OK, "add params: %s", nnom_status_name(st));
        if (st != NNOM_OK) continue;
        /* the layout and each multiplier, against an independent split */
        const double s1 = q1.scale, s2 = q2.scale, so = qo.scale, tm = 2.0 * (s1 > s2 ? s1 : s2);
        check_multiplier(s1 / tm, p[0], p[1], "add m1");
        check_multiplier(s2 / tm, p[2], p[3], "add m2");
        check_multiplier(tm / (1048576.0 * so), p[4], p[5], "add m_out");
        TU_CHECK(p[1] <= 0 && p[3] <= 0, "input shifts must be <= 0: %d %d", p[1], p[3]);
        /* the int8 result is within 1 of the real one, for all inputs or a sample */
        const int exhaustive = iter < 6;
        const int n = exhaustive ? 65536 : 400;
        for (int k = 0; k < n; k++) {
            int32_t x1 = exhaustive ? (k >> 8) - 128 : tu_rand_int(-128, 127);
            int32_t x2 = exhaustive ? (k & 255) - 128 : tu_rand_int(-128, 127);
            for (int sub = 0; sub < 2; sub++) {
                double r1 = (x1 - q1.zero_point) * s1, r2 = (x2 - q2.zero_point) * s2;
                int32_t want = real_to_s8(sub ? r1 - r2 : r1 + r2, qo);
                int32_t got = ref_add(x1, x2, q1, q2, qo, p, sub);
                int err = abs(got - want);
                if (err > max_err) max_err = err;
                TU_CHECK(err <= 1, "%s x1=%d x2=%d: %d, real %d (s1 %g zp %d, s2 %g zp %d, so %g zp %d)",
                         sub ? "sub" : "add", x1, x2, got, want, s1, q1.zero_point, s2, q2.zero_point, so,
                         qo.zero_point);
                if (err > 1) break;
            }
        }
    }
    printf("add/sub params: max error %d step\n", max_err);
}

static void test_mul_params(void)
{
    int max_err = 0;
    for (int iter = 0; iter < 300; iter++) {
        nnom_quant q1 = rand_quant(1e-3, 1.0), q2 = rand_quant(1e-3, 1.0);
        nnom_quant qo;
        qo.scale = (float)(q1.scale * q2.scale * rand_scale(1.0, 300.0));
        qo.zero_point = tu_rand_int(-128, 127);
        int32_t p[2];
        nnom_status st = nnom_quant_mul_params(q1, q2, qo, p);
        TU_CHECK(st == NNOM_OK, "mul params: %s", nnom_status_name(st));
        if (st != NNOM_OK) continue;
        check_multiplier((double)q1.scale * q2.scale / qo.scale, p[0], p[1], "mul");
        const int exhaustive = iter < 6;
        const int n = exhaustive ? 65536 : 400;
        for (int k = 0; k < n; k++) {
            int32_t x1 = exhaustive ? (k >> 8) - 128 : tu_rand_int(-128, 127);
            int32_t x2 = exhaustive ? (k & 255) - 128 : tu_rand_int(-128, 127);
            double real = ((x1 - q1.zero_point) * (double)q1.scale) * ((x2 - q2.zero_point) * (double)q2.scale);
            int32_t want = real_to_s8(real, qo), got = ref_mul(x1, x2, q1, q2, qo, p);
            int err = abs(got - want);
            if (err > max_err) max_err = err;
            TU_CHECK(err <= 1, "mul x1=%d x2=%d: %d, real %d", x1, x2, got, want);
            if (err > 1) break;
        }
    }
    printf("mul params: max error %d step\n", max_err);
}

static void test_concat_params(void)
{
    int max_err = 0;
    for (int iter = 0; iter < 300; iter++) {
        nnom_quant qi = rand_quant(1e-3, 1.0), qo = rand_quant(1e-3, 1.0);
        if (iter % 5 == 0) qo = qi;
        int32_t p[2] = {-1, -1};
        nnom_status st = nnom_quant_concat_params(qi, qo, p);
        TU_CHECK(st == NNOM_OK, "concat params: %s", nnom_status_name(st));
        if (st != NNOM_OK) continue;
        if (iter % 5 == 0) {
            TU_CHECK(p[0] == 0 && p[1] == 0, "same quantisation must give a copy, got (%d, %d)", p[0], p[1]);
            continue;
        }
        check_multiplier((double)qi.scale / qo.scale, p[0], p[1], "concat");
        for (int32_t x = -128; x <= 127; x++) {
            int32_t want = real_to_s8((x - qi.zero_point) * (double)qi.scale, qo);
            int32_t got = tu_clamp(tu_ref_requantize(x - qi.zero_point, p[0], p[1]) + qo.zero_point, -128, 127);
            int err = abs(got - want);
            if (err > max_err) max_err = err;
            TU_CHECK(err <= 1, "concat x=%d: %d, real %d", x, got, want);
        }
    }
    /* a different zero point alone is not a copy */
    nnom_quant a = {0.05f, 3}, b = {0.05f, -7};
    int32_t p[2];
    TU_CHECK(nnom_quant_concat_params(a, b, p) == NNOM_OK && p[0] == 1 << 30 && p[1] == 1,
             "scale ratio 1, zero points differ: got (%d, %d)", p[0], p[1]);
    printf("concat params: max error %d step\n", max_err);
}

static void test_param_errors(void)
{
    const nnom_quant ok = {0.1f, 0};
    const nnom_quant bad[] = {{0.0f, 0}, {-0.1f, 0}, {NAN, 0}, {INFINITY, 0}, {0.1f, 128}, {0.1f, -129}};
    int32_t p[6];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        TU_CHECK(nnom_quant_add_params(bad[i], ok, ok, p) == NNOM_ERR_ARGUMENT, "add in1 bad %zu", i);
        TU_CHECK(nnom_quant_add_params(ok, bad[i], ok, p) == NNOM_ERR_ARGUMENT, "add in2 bad %zu", i);
        TU_CHECK(nnom_quant_add_params(ok, ok, bad[i], p) == NNOM_ERR_ARGUMENT, "add out bad %zu", i);
        TU_CHECK(nnom_quant_mul_params(bad[i], ok, ok, p) == NNOM_ERR_ARGUMENT, "mul in1 bad %zu", i);
        TU_CHECK(nnom_quant_mul_params(ok, ok, bad[i], p) == NNOM_ERR_ARGUMENT, "mul out bad %zu", i);
        TU_CHECK(nnom_quant_concat_params(bad[i], ok, p) == NNOM_ERR_ARGUMENT, "concat in bad %zu", i);
        TU_CHECK(nnom_quant_concat_params(ok, bad[i], p) == NNOM_ERR_ARGUMENT, "concat out bad %zu", i);
        int8_t t[256];
        uint32_t e[256];
        TU_CHECK(nnom_quant_activation_table(NNOM_LAYER_RELU, 0, bad[i], ok, t) == NNOM_ERR_ARGUMENT, "act in %zu", i);
        TU_CHECK(nnom_quant_activation_table(NNOM_LAYER_RELU, 0, ok, bad[i], t) == NNOM_ERR_ARGUMENT, "act out %zu", i);
        if (i < 4) TU_CHECK(nnom_quant_softmax_table(bad[i], e) == NNOM_ERR_ARGUMENT, "softmax %zu", i);
    }
    TU_CHECK(nnom_quant_add_params(ok, ok, ok, NULL) == NNOM_ERR_ARGUMENT, "add NULL");
    TU_CHECK(nnom_quant_mul_params(ok, ok, ok, NULL) == NNOM_ERR_ARGUMENT, "mul NULL");
    TU_CHECK(nnom_quant_concat_params(ok, ok, NULL) == NNOM_ERR_ARGUMENT, "concat NULL");
    TU_CHECK(nnom_quant_activation_table(NNOM_LAYER_RELU, 0, ok, ok, NULL) == NNOM_ERR_ARGUMENT, "act NULL");
    TU_CHECK(nnom_quant_softmax_table(ok, NULL) == NNOM_ERR_ARGUMENT, "softmax NULL");
    int8_t t[256];
    TU_CHECK(nnom_quant_activation_table(NNOM_LAYER_DENSE, 0, ok, ok, t) == NNOM_ERR_ARGUMENT, "not an activation");
    TU_CHECK(nnom_quant_activation_table(NNOM_LAYER_SOFTMAX, 0, ok, ok, t) == NNOM_ERR_ARGUMENT, "softmax has no table");
    TU_CHECK(nnom_quant_activation_table(NNOM_LAYER_LEAKY_RELU, NAN, ok, ok, t) == NNOM_ERR_ARGUMENT, "NaN alpha");
    /* an output scale so large the add output multiplier vanishes */
    nnom_quant huge = {1e30f, 0};
    TU_CHECK(nnom_quant_add_params(ok, ok, huge, p) == NNOM_ERR_ARGUMENT, "vanishing add output multiplier");
    /* an output scale so small the shift exceeds 30 */
    nnom_quant tiny = {1e-30f, 0};
    TU_CHECK(nnom_quant_mul_params(ok, ok, tiny, p) == NNOM_ERR_ARGUMENT, "mul shift > 30");
}

/* ---- activation tables: every entry against double maths, same rounding */

static void test_activation_tables(void)
{
    static const nnom_layer_type types[] = {NNOM_LAYER_RELU,    NNOM_LAYER_RELU6, NNOM_LAYER_LEAKY_RELU,
                                            NNOM_LAYER_SIGMOID, NNOM_LAYER_TANH,  NNOM_LAYER_HARD_SIGMOID};
    int entries = 0, exact_half_cases = 0;
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        for (int iter = 0; iter < 60; iter++) {
            nnom_layer_type type = types[ti];
            nnom_quant qi = rand_quant(0.005, 0.2), qo;
            float alpha = tu_rand_float(0.0f, 0.5f);
            if (type == NNOM_LAYER_SIGMOID || type == NNOM_LAYER_HARD_SIGMOID) {
                qo.scale = 1.0f / 256.0f;
                qo.zero_point = -128;
            } else if (type == NNOM_LAYER_TANH) {
                qo.scale = 1.0f / 128.0f;
                qo.zero_point = 0;
            } else {
                qo = qi; /* the usual choice for relu-like */
            }
            if (iter % 4 == 1) qo = rand_quant(0.005, 0.2); /* anything else */
            if (iter == 2) { qi.scale = 0.5f; qi.zero_point = 0; qo.scale = 1.0f; qo.zero_point = 0; } /* ties */
            int8_t table[256];
            nnom_status st = nnom_quant_activation_table(type, alpha, qi, qo, table);
            TU_CHECK(st == NNOM_OK, "table type %d: %s", (int)type, nnom_status_name(st));
            for (int32_t q = -128; q <= 127; q++) {
                double x = (double)qi.scale * (double)(q - qi.zero_point);
                double v = tu_ref_activation(type, (double)alpha, x) / (double)qo.scale;
                if (v - floor(v) == 0.5) exact_half_cases++;
                int32_t want = tu_clamp(tu_round_away(v) + qo.zero_point, -128, 127);
                TU_CHECK(table[q + 128] == want, "%s q=%d: table %d, expected %d (in %g/%d out %g/%d)",
                         nnom_layer_type_name(type), q, table[q + 128], want, (double)qi.scale, qi.zero_point,
                         (double)qo.scale, qo.zero_point);
                entries++;
            }
        }
    }
    TU_CHECK(exact_half_cases > 0, "the tie cases were not exercised");
    printf("activation tables: %d entries compared (%d exact ties)\n", entries, exact_half_cases);

    /* spot values with obvious answers */
    int8_t t[256];
    nnom_quant qi = {0.05f, 10}, qs = {1.0f / 256.0f, -128};
    TU_CHECK(nnom_quant_activation_table(NNOM_LAYER_SIGMOID, 0, qi, qs, t) == NNOM_OK, "sigmoid");
    TU_CHECK(t[10 + 128] == 0, "sigmoid(0) = 0.5 -> 0, got %d", t[10 + 128]);
    TU_CHECK(nnom_quant_activation_table(NNOM_LAYER_HARD_SIGMOID, 0, qi, qs, t) == NNOM_OK, "hard sigmoid");
    TU_CHECK(t[10 + 128] == 0, "hard_sigmoid(0) = 0.5 -> 0, got %d", t[10 + 128]);
    TU_CHECK(t[-128 + 128] == -128, "hard_sigmoid(-6.9) = 0 -> -128, got %d", t[0]);
    TU_CHECK(t[70 + 128] == 127, "hard_sigmoid(3) = 1 -> 127 (saturated), got %d", t[70 + 128]);
    /* x = 1: Keras 3 gives (1 + 3) / 6 = 0.6667 (Keras 2's 0.2 x + 0.5 would give 0.7) */
    TU_CHECK(t[30 + 128] == (int8_t)(tu_round_away(256.0 * 4.0 / 6.0) - 128), "hard_sigmoid(1), got %d", t[30 + 128]);
}

static void test_softmax_table(void)
{
    for (int iter = 0; iter < 50; iter++) {
        nnom_quant q = rand_quant(1e-3, 2.0);
        if (iter == 0) q.scale = 1.0f / 16.0f;
        uint32_t table[256];
        TU_CHECK(nnom_quant_softmax_table(q, table) == NNOM_OK, "softmax table");
        TU_CHECK(table[0] == 65536u, "table[0] = %u", table[0]);
        for (int d = 0; d < 256; d++) {
            int64_t want = tu_round_away(65536.0 * exp(-(double)d * (double)q.scale));
            TU_CHECK((int64_t)table[d] == want, "scale %g d=%d: %u, expected %lld", (double)q.scale, d, table[d],
                     (long long)want);
            if (d) TU_CHECK(table[d] <= table[d - 1], "table must not increase at %d", d);
        }
    }
}

int main(void)
{
    tu_seed(0x51A7E5);
    test_add_params();
    test_mul_params();
    test_concat_params();
    test_param_errors();
    test_activation_tables();
    test_softmax_table();
    return tu_finish("test_quant_params");
}
