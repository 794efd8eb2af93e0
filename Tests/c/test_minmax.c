/*
 * MINIMUM and MAXIMUM: the int8 kernels against the spec's arithmetic (each input brought to the
 * output scale by the reference requantisation, or copied when it shares the output's quantisation,
 * then the minimum or maximum, clamped) and against the real values; the float32 kernels; a
 * per-channel second input; graphs through the public API and the errors of a bad blob.
 */
#include <math.h>
#include <string.h>

#include "kernels/minmax.h"
#include "model_util.h"

static int32_t ref_steps(int8_t x, nnom_quant in, const int32_t *p)
{
    return p[0] == 0 ? x - in.zero_point : tu_ref_requantize(x - in.zero_point, p[0], p[1]);
}

static void test_kernels(void)
{
    for (int trial = 0; trial < 300; trial++) {
        const int is_max = trial % 2, broadcast = (trial / 2) % 2, same = trial % 5 == 0;
        const int32_t C = tu_rand_int(1, 8), rows = tu_rand_int(1, 10), n = rows * C;
        const nnom_quant q1 = {tu_rand_float(0.01f, 0.1f), tu_rand_int(-30, 30)};
        const nnom_quant q2 = {tu_rand_float(0.01f, 0.1f), tu_rand_int(-30, 30)};
        const nnom_quant qo = same ? q1 : (nnom_quant){tu_rand_float(0.01f, 0.1f), tu_rand_int(-30, 30)};
        int32_t p[4];
        TU_REQUIRE(nnom_quant_concat_params(q1, qo, &p[0]) == NNOM_OK &&
                       nnom_quant_concat_params(q2, qo, &p[2]) == NNOM_OK, "params");
        TU_CHECK(!same || (p[0] == 0 && p[1] == 0), "the same quantisation is a copy");
        int8_t x1[80], x2[80], y[80];
        tu_fill_s8(x1, (size_t)n, -128, 127);
        tu_fill_s8(x2, (size_t)n, -128, 127);
        const int32_t lo = trial % 7 == 0 ? qo.zero_point : -128; /* a fused relu now and then */
        nnom_elementwise_s8_args a = {x1, x2, y, rows, C, broadcast, q1.zero_point, q2.zero_point, qo.zero_point,
                                      lo, 127, p};
        (is_max ? nnom_maximum_s8 : nnom_minimum_s8)(&a);
        for (int32_t i = 0; i < n; i++) {
            const int8_t b = x2[broadcast ? i % C : i];
            const int32_t v1 = ref_steps(x1[i], q1, &p[0]), v2 = ref_steps(b, q2, &p[2]);
            const int32_t want = tu_clamp((is_max ? (v1 > v2 ? v1 : v2) : (v1 < v2 ? v1 : v2)) + qo.zero_point, lo,
                                          127);
            TU_CHECK(y[i] == want, "s8 %s trial %d [%d]: %d, expected %d", is_max ? "max" : "min", trial, i, y[i],
                     want);
            const double r1 = q1.scale * (x1[i] - q1.zero_point), r2 = q2.scale * (b - q2.zero_point);
            const double real = is_max ? fmax(r1, r2) : fmin(r1, r2);
            const double got = qo.scale * (y[i] - qo.zero_point);
            if (want > lo && want < 127)
                TU_CHECK(fabs(got - real) <= qo.scale, "s8 trial %d [%d]: %g, real %g", trial, i, got, real);
        }
        float f1[80], f2[80], fy[80];
        tu_fill_f32(f1, (size_t)n, -2.0f, 2.0f);
        tu_fill_f32(f2, (size_t)n, -2.0f, 2.0f);
        nnom_elementwise_f32_args af = {f1, f2, f1, rows, C, broadcast, -INFINITY, INFINITY};
        float f0[80];
        memcpy(f0, f1, sizeof f0);
        (is_max ? nnom_maximum_f32 : nnom_minimum_f32)(&af); /* in place */
        memcpy(fy, f1, sizeof fy);
        for (int32_t i = 0; i < n; i++) {
            const float b = f2[broadcast ? i % C : i];
            TU_CHECK(fy[i] == (is_max ? fmaxf(f0[i], b) : fminf(f0[i], b)), "f32 trial %d [%d]", trial, i);
        }
    }
}

static nnom_status graph(nnom_dtype dtype, nnom_layer_type type, const int32_t *params, uint32_t bytes,
                         nnom_model **out, char *msg, size_t cap)
{
    const nnom_quant q = {0.05f, 2};
    nnom_model *m = tu_model_new(dtype, NULL);
    int32_t in[2], c;
    TU_OK(m, nnom_model_add_input(m, "x", tu_shape(3, 2, 2, 3), q, &in[0]));
    TU_OK(m, nnom_model_add_input(m, "v", tu_shape(1, 3, 0, 0), q, &in[1]));
    nnom_layer_desc d = tu_desc(type, "my_minmax", 2, in);
    d.blobs[0].data = params;
    d.blobs[0].size = bytes;
    d.quant = q;
    TU_OK(m, nnom_model_add_layer(m, &d, &c));
    return tu_compile_or_destroy(m, c, out, msg, cap);
}

static void test_graphs(void)
{
    char msg[NNOM_ERROR_MESSAGE_MAX];
    static const int32_t copy[4] = {0, 0, 0, 0}, bad[4] = {0, 0, 1 << 30, 31};
    for (int is_max = 0; is_max < 2; is_max++) {
        const nnom_layer_type t = is_max ? NNOM_LAYER_MAXIMUM : NNOM_LAYER_MINIMUM;
        nnom_model *m = NULL;
        TU_REQUIRE(graph(NNOM_DTYPE_S8, t, copy, 16, &m, msg, sizeof msg) == NNOM_OK, "s8: %s", msg);
        int8_t x[12], v[3] = {-20, 0, 20}, y[12];
        tu_fill_s8(x, 12, -128, 127);
        TU_OK(m, nnom_model_alloc_arena(m));
        TU_OK(m, nnom_model_set_input_s8(m, 0, x, 12));
        TU_OK(m, nnom_model_set_input_s8(m, 1, v, 3));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_s8(m, 0, y, 12));
        for (int i = 0; i < 12; i++) {
            const int8_t want = is_max ? (x[i] > v[i % 3] ? x[i] : v[i % 3]) : (x[i] < v[i % 3] ? x[i] : v[i % 3]);
            TU_CHECK(y[i] == want, "s8 graph %s [%d]: %d, expected %d", nnom_layer_type_name(t), i, y[i], want);
        }
        nnom_model_destroy(m);
        m = NULL;
        TU_REQUIRE(graph(NNOM_DTYPE_F32, t, NULL, 0, &m, msg, sizeof msg) == NNOM_OK, "f32: %s", msg);
        float xf[12], vf[3] = {-0.5f, 0.0f, 0.5f}, yf[12];
        tu_fill_f32(xf, 12, -1.0f, 1.0f);
        TU_OK(m, nnom_model_alloc_arena(m));
        TU_OK(m, nnom_model_set_input_f32(m, 0, xf, 12));
        TU_OK(m, nnom_model_set_input_f32(m, 1, vf, 3));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, yf, 12));
        for (int i = 0; i < 12; i++)
            TU_CHECK(yf[i] == (is_max ? fmaxf(xf[i], vf[i % 3]) : fminf(xf[i], vf[i % 3])), "f32 graph [%d]", i);
        nnom_model_destroy(m);
        nnom_status st = graph(NNOM_DTYPE_S8, t, copy, 8, NULL, msg, sizeof msg);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "my_minmax") && strstr(msg, "8") && strstr(msg, "16"),
                 "short params: %s", msg);
        st = graph(NNOM_DTYPE_S8, t, bad, 16, NULL, msg, sizeof msg);
        TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "shift") && strstr(msg, "31"), "bad shift: %s", msg);
    }
}

int main(void)
{
    tu_seed(99);
    test_kernels();
    test_graphs();
    return tu_finish("test_minmax");
}
