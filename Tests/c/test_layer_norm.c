/*
 * LAYER_NORM over the last axis: float32 and int8 models against a double-precision reference
 * written here (mean, biased variance, 1 / sqrt from the C library), on random shapes, gammas,
 * betas and epsilons; int8 on the dequantised int8 input, SQNR >= 30 dB and every value within a
 * step and a half; the fixed-point reciprocal square root against 1 / sqrt; refusals.
 */
#include <math.h>
#include <string.h>

#include "kernels/layer_norm.h"
#include "model_util.h"

#define MAX_COUNT 4096
#define SHAPES 24

static double reference(const float *x, int32_t rows, int32_t depth, const float *gamma, const float *beta,
                        double eps, double *y)
{
    double lo = 0.0, hi = 0.0;
    for (int32_t r = 0; r < rows; r++) {
        const float *v = x + r * depth;
        double mean = 0.0, var = 0.0;
        for (int32_t j = 0; j < depth; j++) mean += v[j];
        mean /= depth;
        for (int32_t j = 0; j < depth; j++) var += (v[j] - mean) * (v[j] - mean);
        var /= depth;
        for (int32_t j = 0; j < depth; j++) {
            const double n = var + eps > 0.0 ? (v[j] - mean) / sqrt(var + eps) : 0.0;
            const double o = (gamma ? gamma[j] : 1.0) * n + (beta ? beta[j] : 0.0);
            y[r * depth + j] = o;
            if (o < lo) lo = o;
            if (o > hi) hi = o;
        }
    }
    return hi - lo;
}

/* input -> layer_norm -> output, compiled with an arena */
static nnom_model *model(nnom_dtype dtype, nnom_shape shape, nnom_quant qin, nnom_quant qout, float eps,
                         const nnom_blob *blobs, int n_blobs)
{
    nnom_model *m = tu_model_new(dtype, NULL);
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "x", shape, qin, &id));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_LAYER_NORM, "ln", id);
    d.params.alpha = eps;
    d.quant = qout;
    for (int k = 0; k < n_blobs; k++) d.blobs[k] = blobs[k];
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    tu_add_output(m, id, NULL);
    return m;
}

static float x[MAX_COUNT], gamma_[NNOM_LAYER_NORM_MAX_DEPTH], beta_[NNOM_LAYER_NORM_MAX_DEPTH], out[MAX_COUNT];
static double ref[MAX_COUNT];
static int32_t mults[NNOM_LAYER_NORM_MAX_DEPTH], shifts[NNOM_LAYER_NORM_MAX_DEPTH], biases[NNOM_LAYER_NORM_MAX_DEPTH];

static nnom_shape random_shape(int k)
{
    nnom_shape s = {1 + k % 3, {0, 0, 0}};
    for (int32_t r = 0; r < s.rank; r++) s.dims[r] = tu_rand_int(1, 6);
    s.dims[s.rank - 1] = k == 0 ? 1 : (k == 1 ? 300 : tu_rand_int(2, 80));
    return s;
}

static int32_t count_of(nnom_shape s)
{
    int32_t n = 1;
    for (int32_t r = 0; r < s.rank; r++) n *= s.dims[r];
    return n;
}

static void check_f32(void)
{
    for (int k = 0; k < SHAPES; k++) {
        const nnom_shape s = random_shape(k);
        const int32_t n = count_of(s), depth = s.dims[s.rank - 1], rows = n / depth;
        const float offset = tu_rand_float(-3.0f, 3.0f), spread = tu_rand_float(0.01f, 4.0f);
        tu_fill_f32(x, (size_t)n, offset - spread, offset + spread);
        tu_fill_f32(gamma_, (size_t)depth, -2.0f, 2.0f);
        tu_fill_f32(beta_, (size_t)depth, -1.0f, 1.0f);
        const int affine = k % 4 != 3;
        const float eps = k % 5 == 4 ? 0.0f : 1e-3f;
        nnom_blob blobs[2] = {{gamma_, (uint32_t)depth * 4u}, {beta_, (uint32_t)depth * 4u}};
        nnom_model *m = model(NNOM_DTYPE_F32, s, (nnom_quant){0.0f, 0}, (nnom_quant){0.0f, 0}, eps, blobs,
                              affine ? 2 : 0);
        TU_OK(m, nnom_model_compile(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        TU_OK(m, nnom_model_set_input_f32(m, 0, x, (size_t)n));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, out, (size_t)n));
        const double range = reference(x, rows, depth, affine ? gamma_ : NULL, affine ? beta_ : NULL, eps, ref);
        double worst = 0.0;
        for (int32_t i = 0; i < n; i++) worst = fmax(worst, fabs(out[i] - ref[i]));
        TU_CHECK(worst <= 1e-5 * fmax(range, 1.0), "f32 shape %d (depth %d): error %g, range %g", k, (int)depth, worst,
                 range);
        nnom_model_destroy(m);
    }
}

static void check_s8(void)
{
    double worst_sqnr = 1e9;
    for (int k = 0; k < SHAPES; k++) {
        const nnom_shape s = random_shape(k);
        const int32_t n = count_of(s), depth = s.dims[s.rank - 1], rows = n / depth;
        const float offset = tu_rand_float(-2.0f, 2.0f), spread = tu_rand_float(0.2f, 3.0f);
        tu_fill_f32(x, (size_t)n, offset - spread, offset + spread);
        tu_fill_f32(gamma_, (size_t)depth, -2.0f, 2.0f);
        tu_fill_f32(beta_, (size_t)depth, -1.0f, 1.0f);
        const float eps = k % 5 == 4 ? 0.0f : 1e-3f;
        /* the input quantisation covers the values; the reference reads the dequantised int8 input */
        const float lo = fminf(offset - spread, 0.0f), hi = fmaxf(offset + spread, 0.0f);
        const nnom_quant qin = {(hi - lo) / 255.0f, (int32_t)tu_clamp(tu_round_away(-128.0 - lo / ((hi - lo) / 255.0)), -128, 127)};
        for (int32_t i = 0; i < n; i++) {
            const int64_t q = tu_clamp(tu_round_away(x[i] / qin.scale) + qin.zero_point, -128, 127);
            x[i] = qin.scale * (float)(q - qin.zero_point);
        }
        const double range = reference(x, rows, depth, gamma_, beta_, eps, ref);
        double rlo = 0.0, rhi = 0.0;
        for (int32_t i = 0; i < n; i++) rlo = fmin(rlo, ref[i]), rhi = fmax(rhi, ref[i]);
        const double oscale = fmax(range, 1e-3) / 255.0;
        const nnom_quant qout = {(float)oscale, (int32_t)tu_clamp(tu_round_away(-128.0 - rlo / oscale), -128, 127)};
        int32_t eps_term[2];
        TU_REQUIRE(nnom_quant_layer_norm_params(qin, qout, gamma_, beta_, depth, eps, mults, shifts, biases,
                                                eps_term) == NNOM_OK, "params of shape %d", k);
        const uint32_t b = (uint32_t)depth * 4u;
        nnom_blob blobs[4] = {{mults, b}, {shifts, b}, {biases, b}, {eps_term, 8u}};
        nnom_model *m = model(NNOM_DTYPE_S8, s, qin, qout, eps, blobs, 4);
        TU_OK(m, nnom_model_compile(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        TU_OK(m, nnom_model_set_input_f32(m, 0, x, (size_t)n));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, out, (size_t)n));
        double signal = 0.0, noise = 0.0, worst = 0.0;
        for (int32_t i = 0; i < n; i++) {
            const double e = out[i] - ref[i];
            signal += ref[i] * ref[i];
            noise += e * e;
            worst = fmax(worst, fabs(e));
        }
        const double sqnr = noise > 0.0 ? 10.0 * log10(signal / noise) : 200.0;
        if (signal > 0.0 && sqnr < worst_sqnr) worst_sqnr = sqnr;
        TU_CHECK(signal == 0.0 || sqnr >= 30.0, "s8 shape %d (depth %d): SQNR %.1f dB", k, (int)depth, sqnr);
        TU_CHECK(worst <= 1.5 * oscale, "s8 shape %d (depth %d): error %g = %.2f steps", k, (int)depth, worst,
                 worst / oscale);
        nnom_model_destroy(m);
    }
    printf("int8 layer norm: worst SQNR %.1f dB over %d shapes\n", worst_sqnr, SHAPES);
}

static void check_rsqrt(void)
{
    double worst = 0.0;
    for (int k = 0; k < 20000; k++) {
        const int64_t xq = k < 2 ? (k ? ((int64_t)1 << 31) - 1 : (int64_t)1 << 29)
                                 : (int64_t)tu_rand_int(1 << 29, 0x7FFFFFFF);
        const double want = 1073741824.0 / sqrt((double)xq / 2147483648.0);
        worst = fmax(worst, fabs((double)nnom_rsqrt_q30(xq) - want));
    }
    TU_CHECK(worst <= 4.0, "rsqrt Q30: largest error %g units of 2^-30", worst);
}

static int has(const char *s, const char *w) { return s && strstr(s, w) != NULL; }

/* Biases at the ends of int32 (a file may hold any): the sum saturates to the int8 range instead of
 * overflowing (a fuzzer finding). Each requantised part here is below 2^31 in magnitude and the
 * biases are within 8 of INT32_MIN or INT32_MAX, so the exact sum is far outside int8 on that side. */
static void check_extreme_biases(void)
{
    const int8_t row[4] = {-100, 3, 50, 127};
    const int32_t mult[4] = {INT32_MAX, INT32_MAX, 1 << 30, 0};
    const int32_t shift[4] = {0, 0, -1, 0};
    const int32_t bias[4] = {INT32_MIN, INT32_MAX, INT32_MIN + 5, INT32_MAX - 3};
    int8_t y[4];
    nnom_layer_norm_s8_args a = {row, y, 1, 4, mult, shift, bias, 0, 127};
    nnom_layer_norm_s8(&a);
    const int8_t expected[4] = {-128, 127, -128, 127};
    for (int j = 0; j < 4; j++)
        TU_CHECK(y[j] == expected[j], "extreme bias %d: output %d, expected %d", (int)bias[j], (int)y[j],
                 (int)expected[j]);
}

static void check_refusals(void)
{
    const nnom_shape s = {2, {3, 8, 0}};
    const nnom_quant q = {0.05f, 0};
    int32_t eps_term[2] = {0, 0};
    for (int32_t j = 0; j < 8; j++) mults[j] = 1 << 30, shifts[j] = -3, biases[j] = 0;
    const nnom_blob ok[4] = {{mults, 32}, {shifts, 32}, {biases, 32}, {eps_term, 8}};
    nnom_blob bad[4];
    for (int k = 0; k < 4; k++) {
        memcpy(bad, ok, sizeof bad);
        const char *want;
        if (k == 0) {
            shifts[5] = 1;
            want = "shift 1 of channel 5 is outside [-31, 0]";
        } else if (k == 1) {
            shifts[5] = -3;
            bad[2].size = 28;
            want = "biases int32 [8]";
        } else if (k == 2) {
            eps_term[1] = -1;
            want = "epsilon term is outside";
        } else {
            eps_term[1] = 0;
            bad[3].size = 0;
            want = "epsilon term int32 [2]";
        }
        nnom_model *m = model(NNOM_DTYPE_S8, s, q, q, 0.0f, bad, 4);
        const nnom_status st = nnom_model_compile(m);
        TU_CHECK(st != NNOM_OK && has(nnom_model_last_error(m), want), "case %d: %s", k, nnom_model_last_error(m));
        nnom_model_destroy(m);
    }
    nnom_model *m = model(NNOM_DTYPE_F32, s, q, q, -1.0f, NULL, 0);
    TU_CHECK(nnom_model_compile(m) == NNOM_ERR_ARGUMENT && has(nnom_model_last_error(m), "epsilon (alpha) must be"),
             "negative epsilon: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);
    int32_t e2[2];
    TU_CHECK(nnom_quant_layer_norm_params(q, q, NULL, NULL, NNOM_LAYER_NORM_MAX_DEPTH + 1, 0.0f, mults, shifts, biases,
                                          e2) == NNOM_ERR_ARGUMENT, "depth above the limit");
}

int main(void)
{
    tu_seed(49);
    check_rsqrt();
    check_f32();
    check_s8();
    check_refusals();
    check_extreme_biases();
    return tu_finish("test_layer_norm");
}
