/*
 * SOFTMAX over the last axis and over the others (vectors `inner` apart): the int8 kernel bit-exact against the integer
 * algorithm written here and within one step of round(256 * softmax) - 128
 * computed in double precision; the float32 kernel within 1e-6; both in
 * place; graphs through the public API and infer errors.
 */
#include <math.h>
#include <string.h>

#include "kernels/softmax.h"
#include "model_util.h"

static void make_table(double scale, uint32_t table[256])
{
    for (int d = 0; d < 256; d++) table[d] = (uint32_t)tu_round_away(65536.0 * exp(-(double)d * scale));
}

/* the spec's integer algorithm for one row */
static void ref_row_s8(const int8_t *x, int8_t *y, int32_t n, const uint32_t *table)
{
    int32_t max = x[0];
    for (int32_t i = 1; i < n; i++) max = x[i] > max ? x[i] : max;
    uint64_t sum = 0;
    for (int32_t i = 0; i < n; i++) sum += table[max - x[i]];
    for (int32_t i = 0; i < n; i++) {
        /* round half up of 256 t / sum, with exact integers */
        const uint64_t num = 256u * (uint64_t)table[max - x[i]];
        uint64_t q = num / sum;
        if (2u * (num % sum) >= sum) q++;
        y[i] = (int8_t)tu_clamp((int64_t)q - 128, -128, 127);
    }
}

/* TFLite's two softmax tables (kernels/softmax.h) in double maths: exp(-d scale) in Q0, then in Q12. */
static void make_tflite_tables(double scale, int32_t tfl[2 * NNOM_SOFTMAX_TABLE_SIZE])
{
    for (int d = 0; d < NNOM_SOFTMAX_TABLE_SIZE; d++) {
        tfl[d] = d == 0 ? INT32_MAX : (int32_t)(2147483647.0 * exp(-d * scale));
        tfl[NNOM_SOFTMAX_TABLE_SIZE + d] = (int32_t)(((int64_t)tfl[d] + (1 << 11)) >> 12);
    }
}

/* round(256 * softmax(scale * x)) - 128 in double precision */
static void real_row_s8(const int8_t *x, int32_t *y, int32_t n, double scale)
{
    double max = -1e300, sum = 0;
    for (int32_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    for (int32_t i = 0; i < n; i++) sum += exp(scale * (x[i] - max));
    for (int32_t i = 0; i < n; i++) y[i] = tu_clamp(tu_round_away(256.0 * exp(scale * (x[i] - max)) / sum) - 128, -128, 127);
}

static void test_s8_kernel(void)
{
    int max_err = 0, rows_checked = 0;
    for (int iter = 0; iter < 400; iter++) {
        const int32_t rows = tu_rand_int(1, 6), depth = iter < 5 ? iter + 1 : tu_rand_int(1, 120);
        const double scale = tu_rand_float(0.01f, 0.5f);
        uint32_t table[256];
        make_table(scale, table);
        const int32_t n = rows * depth;
        int8_t *in = malloc((size_t)n), *out = malloc((size_t)n), *ref = malloc((size_t)n);
        tu_fill_s8(in, (size_t)n, -128, 127);
        if (iter % 10 == 1) memset(in, 17, (size_t)n);                         /* all equal */
        if (iter % 10 == 2) for (int32_t i = 0; i < n; i++) in[i] = i % 3 ? -128 : 127; /* extremes */
        if (iter % 10 == 3) tu_fill_s8(in, (size_t)n, 90, 100);               /* close values */
        for (int32_t r = 0; r < rows; r++) ref_row_s8(in + r * depth, ref + r * depth, depth, table);
        int32_t *real = malloc((size_t)n * sizeof(int32_t));
        for (int32_t r = 0; r < rows; r++) real_row_s8(in + r * depth, real + r * depth, depth, scale);
        const int in_place = iter % 2;
        nnom_softmax_s8_args a = {in, in_place ? in : out, rows, depth, table, 1};
        nnom_softmax_s8(&a);
        const int8_t *res = in_place ? in : out;
        for (int32_t i = 0; i < n; i++) {
            TU_CHECK(res[i] == ref[i], "iter %d [%d]: %d, integer reference %d", iter, i, res[i], ref[i]);
            const int err = abs(res[i] - real[i]);
            if (err > max_err) max_err = err;
            TU_CHECK(err <= 1, "iter %d [%d] (depth %d, scale %g): %d, real %d", iter, i, depth, scale, res[i], real[i]);
            if (res[i] != ref[i] || err > 1) break;
        }
        rows_checked += rows;
        free(in);
        free(out);
        free(ref);
        free(real);
    }
    printf("softmax s8: %d rows, max error against double %d step\n", rows_checked, max_err);

    /* tables with entries up to 2^32 - 1 (a file's table is not bounded by the
     * quantiser's 2^16): sums pass 2^31, the kernel's 32-bit path ends there */
    int long_path = 0;
    for (int iter = 0; iter < 300; iter++) {
        const int32_t rows = tu_rand_int(1, 4), depth = tu_rand_int(1, 60), n = rows * depth;
        uint32_t table[256];
        for (int d = 0; d < 256; d++) table[d] = (uint32_t)tu_rand_int(0, 0x7fffffff) * 2u + (uint32_t)(d & 1);
        int8_t *in = malloc((size_t)n), *out = malloc((size_t)n), *ref = malloc((size_t)n);
        tu_fill_s8(in, (size_t)n, -128, 127);
        for (int32_t r = 0; r < rows; r++) ref_row_s8(in + r * depth, ref + r * depth, depth, table);
        nnom_softmax_s8_args a = {in, out, rows, depth, table, 1};
        nnom_softmax_s8(&a);
        TU_CHECK(memcmp(out, ref, (size_t)n) == 0, "large table %d (depth %d): differs from the integer reference",
                 iter, (int)depth);
        long_path += depth > 1;
        free(in);
        free(out);
        free(ref);
    }
    TU_CHECK(long_path > 200, "only %d rows took the long path", long_path);
    /* a row of 40000 values near the maximum with a quantiser's table: sum > 2^31 */
    {
        const int32_t depth = 40000;
        uint32_t table[256];
        make_table(0.0005, table);
        int8_t *in = malloc((size_t)depth), *out = malloc((size_t)depth), *ref = malloc((size_t)depth);
        tu_fill_s8(in, (size_t)depth, 120, 127);
        uint64_t sum = 0;
        for (int32_t i = 0; i < depth; i++) sum += table[127 - in[i]];
        TU_CHECK(sum >= 0x80000000u, "the long row's sum %llu stays below 2^31", (unsigned long long)sum);
        ref_row_s8(in, ref, depth, table);
        nnom_softmax_s8_args a = {in, out, 1, depth, table, 1};
        nnom_softmax_s8(&a);
        TU_CHECK(memcmp(out, ref, (size_t)depth) == 0, "long row: differs from the integer reference");
        free(in);
        free(out);
        free(ref);
    }

    /* a single element is certain: 127 (1.0 saturated); two equal ones are 0.5 */
    uint32_t table[256];
    make_table(0.1, table);
    int8_t one = -40, two[2] = {5, 5};
    nnom_softmax_s8_args a1 = {&one, &one, 1, 1, table, 1};
    nnom_softmax_s8(&a1);
    TU_CHECK(one == 127, "softmax of one value: %d", one);
    nnom_softmax_s8_args a2 = {two, two, 1, 2, table, 1};
    nnom_softmax_s8(&a2);
    TU_CHECK(two[0] == 0 && two[1] == 0, "two equal values: %d %d", two[0], two[1]);
    /* a malformed all-zero table must not divide by zero */
    uint32_t zeros[256];
    memset(zeros, 0, sizeof zeros);
    int8_t z[3] = {1, 2, 3};
    nnom_softmax_s8_args az = {z, z, 1, 3, zeros, 1};
    nnom_softmax_s8(&az);
    TU_CHECK(z[0] == -128 && z[2] == -128, "zero table: %d %d", z[0], z[2]);
}

static void test_f32_kernel(void)
{
    double max_err = 0;
    for (int iter = 0; iter < 300; iter++) {
        const int32_t rows = tu_rand_int(1, 6), depth = tu_rand_int(1, 200);
        const int32_t n = rows * depth;
        float *in = malloc((size_t)n * 4), *out = malloc((size_t)n * 4), *orig = malloc((size_t)n * 4);
        const float range = iter % 3 == 0 ? 1.0f : (iter % 3 == 1 ? 20.0f : 1000.0f);
        tu_fill_f32(in, (size_t)n, -range, range);
        memcpy(orig, in, (size_t)n * 4);
        float *dst = iter % 2 ? in : out;
        nnom_softmax_f32(in, dst, rows, depth, 1);
        for (int32_t r = 0; r < rows; r++) {
            const float *x = orig + r * depth;
            double max = x[0], sum = 0, total = 0;
            for (int32_t i = 1; i < depth; i++) max = x[i] > max ? x[i] : max;
            for (int32_t i = 0; i < depth; i++) sum += exp((double)x[i] - max);
            for (int32_t i = 0; i < depth; i++) {
                const double want = exp((double)x[i] - max) / sum, got = dst[r * depth + i];
                const double err = fabs(got - want);
                if (err > max_err) max_err = err;
                TU_CHECK(err <= 1e-6, "f32 depth %d [%d]: %.9g, expected %.9g", depth, i, got, want);
                total += got;
                if (err > 1e-6) break;
            }
            TU_CHECK(fabs(total - 1.0) < 1e-5, "row sums to %.9g", total);
        }
        free(in);
        free(out);
        free(orig);
    }
    printf("softmax f32: max abs error %.3g\n", max_err);
}

/* ---------------------------------------------------------------- graphs */

static nnom_model *build_axis(nnom_dtype dtype, nnom_shape shape, nnom_quant qi, nnom_quant qo, const void *blob,
                              uint32_t size, int32_t axis, int32_t *softmax_id, nnom_status *status)
{
    nnom_model *m = tu_model_new(dtype, NULL);
    int32_t a;
    TU_OK(m, nnom_model_add_input(m, "x", shape, qi, &a));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_SOFTMAX, "probs", a);
    d.blobs[0].data = blob;
    d.blobs[0].size = size;
    d.quant = qo;
    d.params.axis = axis;
    TU_OK(m, nnom_model_add_layer(m, &d, softmax_id));
    tu_add_output(m, *softmax_id, NULL);
    *status = nnom_model_compile(m);
    return m;
}

static nnom_model *build(nnom_dtype dtype, nnom_shape shape, nnom_quant qi, nnom_quant qo, const void *blob,
                         uint32_t size, int32_t *softmax_id, nnom_status *status)
{
    return build_axis(dtype, shape, qi, qo, blob, size, 0, softmax_id, status);
}

static void test_graphs(void)
{
    static uint32_t table[256];
    const nnom_quant qi = {0.125f, 3}, qo = {1.0f / 256.0f, -128}, q0 = {0, 0};
    TU_REQUIRE(nnom_quant_softmax_table(qi, table) == NNOM_OK, "table");
    const nnom_shape shapes[3] = {{1, {10, 0, 0}}, {2, {4, 7, 0}}, {3, {2, 3, 5}}};
    for (int s = 0; s < 3; s++) {
        nnom_status st;
        int32_t id;
        nnom_model *m = build(NNOM_DTYPE_S8, shapes[s], qi, qo, table, sizeof table, &id, &st);
        TU_CHECK(st == NNOM_OK, "compile: %s %s", nnom_status_name(st), nnom_model_last_error(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        nnom_tensor_info ii;
        TU_OK(m, nnom_model_input_info(m, 0, &ii));
        const int32_t n = ii.count, depth = shapes[s].dims[shapes[s].rank - 1];
        int8_t *x = malloc((size_t)n), *y = malloc((size_t)n);
        int32_t *real = malloc((size_t)n * 4);
        tu_fill_s8(x, (size_t)n, -128, 127);
        TU_OK(m, nnom_model_set_input_s8(m, 0, x, (size_t)n));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_s8(m, 0, y, (size_t)n));
        for (int32_t r = 0; r < n / depth; r++) real_row_s8(x + r * depth, real + r * depth, depth, qi.scale);
        for (int32_t i = 0; i < n; i++) TU_CHECK(abs(y[i] - real[i]) <= 1, "graph s8 [%d]: %d vs %d", i, y[i], real[i]);
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, id, &info));
        /* the input is a model input, which is never written over */
        TU_CHECK(info.in_place == 0, "softmax must not overwrite the model input");
        TU_CHECK(memcmp(nnom_model_input_data(m, 0), x, (size_t)n) == 0, "softmax changed the model input");
        free(x);
        free(y);
        free(real);
        nnom_model_destroy(m);

        m = build(NNOM_DTYPE_F32, shapes[s], q0, q0, NULL, 0, &id, &st);
        TU_CHECK(st == NNOM_OK, "compile f32: %s %s", nnom_status_name(st), nnom_model_last_error(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        float *xf = malloc((size_t)n * 4), *yf = malloc((size_t)n * 4);
        tu_fill_f32(xf, (size_t)n, -6, 6);
        TU_OK(m, nnom_model_set_input_f32(m, 0, xf, (size_t)n));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, yf, (size_t)n));
        for (int32_t r = 0; r < n / depth; r++) {
            double sum = 0;
            for (int32_t i = 0; i < depth; i++) sum += exp((double)xf[r * depth + i]);
            for (int32_t i = 0; i < depth; i++) {
                const double want = exp((double)xf[r * depth + i]) / sum;
                TU_CHECK(fabs(yf[r * depth + i] - want) <= 1e-6, "graph f32 [%d]: %g vs %g", i, yf[r * depth + i], want);
            }
        }
        free(xf);
        free(yf);
        nnom_model_destroy(m);
    }

    /* wrong output quantisation, wrong table size */
    const nnom_shape s1 = {1, {10, 0, 0}};
    const nnom_quant wrong[3] = {{1.0f / 255.0f, -128}, {1.0f / 256.0f, 0}, {0.1f, -128}};
    for (int i = 0; i < 3; i++) {
        nnom_status st;
        int32_t id;
        nnom_model *m = build(NNOM_DTYPE_S8, s1, qi, wrong[i], table, sizeof table, &id, &st);
        const char *msg = nnom_model_last_error(m);
        TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "probs") && strstr(msg, "softmax") && strstr(msg, "1/256") &&
                     strstr(msg, "-128"),
                 "wrong quantisation %d: %s %s", i, nnom_status_name(st), msg);
        nnom_model_destroy(m);
    }
    {
        nnom_status st;
        int32_t id;
        nnom_model *m = build(NNOM_DTYPE_S8, s1, qi, wrong[0], table, sizeof table, &id, &st);
        TU_CHECK(strstr(nnom_model_last_error(m), "3.92157e-3") != NULL, "scale printed: %s", nnom_model_last_error(m));
        nnom_model_destroy(m);
        m = build(NNOM_DTYPE_S8, s1, qi, qo, table, 255 * 4, &id, &st);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "1020") &&
                     strstr(nnom_model_last_error(m), "1024"),
                 "table size: %s %s", nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
        /* within 1e-6 relative is accepted */
        const nnom_quant close = {(float)(1.0 / 256.0 * (1.0 + 5e-7)), -128};
        m = build(NNOM_DTYPE_S8, s1, qi, close, table, sizeof table, &id, &st);
        TU_CHECK(st == NNOM_OK, "scale within 1e-6: %s %s", nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
        /* f32 ignores the quantisation */
        m = build(NNOM_DTYPE_F32, s1, q0, wrong[2], NULL, 0, &id, &st);
        TU_CHECK(st == NNOM_OK, "f32: %s %s", nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
    }
}

/* ---------------------------------------------------------------- other axes */

/* Copies vector r of a tensor (outer, depth, inner) into @p row, or back with @p back. */
static void gather_s8(int8_t *t, int8_t *row, int32_t r, int32_t depth, int32_t inner, int back)
{
    const int64_t first = (int64_t)(r / inner) * depth * inner + r % inner;
    for (int32_t i = 0; i < depth; i++) {
        if (back) t[first + (int64_t)i * inner] = row[i];
        else row[i] = t[first + (int64_t)i * inner];
    }
}

/* The kernels over a middle or first axis against the row reference applied to each gathered vector. */
static void test_strided_kernels(void)
{
    int vectors = 0;
    for (int iter = 0; iter < 300; iter++) {
        const int32_t outer = tu_rand_int(1, 5), depth = tu_rand_int(1, 40), inner = tu_rand_int(1, 9);
        const int32_t n = outer * depth * inner, rows = outer * inner;
        const double scale = tu_rand_float(0.01f, 0.5f);
        uint32_t table[256];
        make_table(scale, table);
        int8_t *in = malloc((size_t)n), *out = malloc((size_t)n), *ref = malloc((size_t)n), row[40], res[40];
        tu_fill_s8(in, (size_t)n, -128, 127);
        memcpy(ref, in, (size_t)n);
        for (int32_t r = 0; r < rows; r++) {
            gather_s8(ref, row, r, depth, inner, 0);
            ref_row_s8(row, res, depth, table);
            gather_s8(ref, res, r, depth, inner, 1);
        }
        const int in_place = iter % 2;
        nnom_softmax_s8_args a = {in, in_place ? in : out, rows, depth, table, inner};
        nnom_softmax_s8(&a);
        TU_CHECK(memcmp(in_place ? in : out, ref, (size_t)n) == 0, "strided s8 %d (%d, %d, %d): differs from the "
                 "row reference", iter, (int)outer, (int)depth, (int)inner);

        /* TFLite's arithmetic: strided vectors give what the same vectors laid out as rows give */
        int32_t tfl[2 * NNOM_SOFTMAX_TABLE_SIZE];
        make_tflite_tables(scale, tfl);
        int8_t *rows_in = malloc((size_t)n), *rows_out = malloc((size_t)n);
        tu_fill_s8(in, (size_t)n, -128, 127);
        for (int32_t r = 0; r < rows; r++) gather_s8(in, rows_in + r * depth, r, depth, inner, 0);
        nnom_softmax_tflite_s8_args t = {in, out, rows, depth, tfl, inner};
        nnom_softmax_tflite_s8(&t);
        nnom_softmax_tflite_s8_args tr = {rows_in, rows_out, rows, depth, tfl, 1};
        nnom_softmax_tflite_s8(&tr);
        for (int32_t r = 0; r < rows; r++) gather_s8(ref, rows_out + r * depth, r, depth, inner, 1);
        TU_CHECK(memcmp(out, ref, (size_t)n) == 0, "strided TFLite s8 %d: differs from its rows", iter);

        /* float32 against double precision */
        float *xf = malloc((size_t)n * 4), *yf = malloc((size_t)n * 4);
        tu_fill_f32(xf, (size_t)n, -8, 8);
        nnom_softmax_f32(xf, yf, rows, depth, inner);
        for (int32_t r = 0; r < rows; r++) {
            const int64_t first = (int64_t)(r / inner) * depth * inner + r % inner;
            double max = -1e300, sum = 0;
            for (int32_t i = 0; i < depth; i++) max = fmax(max, xf[first + (int64_t)i * inner]);
            for (int32_t i = 0; i < depth; i++) sum += exp((double)xf[first + (int64_t)i * inner] - max);
            for (int32_t i = 0; i < depth; i++) {
                const double want = exp((double)xf[first + (int64_t)i * inner] - max) / sum;
                const double got = yf[first + (int64_t)i * inner];
                TU_CHECK(fabs(got - want) <= 1e-6, "strided f32 %d: %.9g, expected %.9g", iter, got, want);
                if (fabs(got - want) > 1e-6) break;
            }
        }
        vectors += rows;
        free(xf);
        free(yf);
        free(rows_in);
        free(rows_out);
        free(in);
        free(out);
        free(ref);
    }
    printf("softmax over other axes: %d vectors, bit-exact with the row reference\n", vectors);
}

/* ---------------------------------------------------------------- TFLite's arithmetic on long rows */

/* The row's outputs from its tables in long double: round(256 * (t[d] / 2^31) / (sum / 2^19)) - 128, the sum
 * of the Q12 entries; *sum_q12 receives that sum. */
static void tflite_real_row(const int8_t *x, int32_t *y, int32_t n, const int32_t *tfl, int64_t *sum_q12)
{
    int32_t max = -128;
    for (int32_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    int64_t sum = 0;
    for (int32_t i = 0; i < n; i++) sum += tfl[NNOM_SOFTMAX_TABLE_SIZE + max - x[i]];
    for (int32_t i = 0; i < n; i++) {
        const long double p = ldexpl((long double)tfl[max - x[i]], -31) / ldexpl((long double)sum, -19);
        y[i] = (int32_t)tu_clamp((int64_t)roundl(256.0L * p) - 128, -128, 127);
    }
    *sum_q12 = sum;
}

/* Rows of 512 to 4095 near-equal values: their Q12 sum reaches 2^28 and the kernel's final shift passes 31
 * (kernels/softmax.h). Those rows equal the long double reference exactly (every probability is below 1/512,
 * 256 p < 1/2), the shorter sums within one step; through the kernel and through a compiled graph. A table
 * whose Q12 entries leave [0, 2^19] (or whose exp(0) is 0) is refused at compile, naming the layer. */
static void test_tflite_long_rows(void)
{
    /* the first sums of 2^28 or more: the exponent 12 - h + 23 exceeds 31 from there */
    const int64_t long_sum = (int64_t)1 << 28;
    int long_rows = 0, short_rows = 0;
    for (int iter = 0; iter < 60; iter++) {
        const int32_t depth = iter < 2 ? (iter ? NNOM_SOFTMAX_TFLITE_MAX_DEPTH : 512) : tu_rand_int(400, 4095);
        const int32_t rows = tu_rand_int(1, 3);
        const int narrow = iter % 2; /* near-equal values: sums of 2^28 or more; else wider ones, shorter sums */
        const double scale = iter % 3 == 0 ? 0.0 : tu_rand_float(1e-4f, narrow ? 0.05f : 0.3f);
        int32_t tfl[2 * NNOM_SOFTMAX_TABLE_SIZE];
        make_tflite_tables(scale, tfl);
        const int32_t n = rows * depth;
        int8_t *in = malloc((size_t)n), *out = malloc((size_t)n);
        int32_t *want = malloc((size_t)n * sizeof(int32_t));
        const int32_t lo = tu_rand_int(-128, 0);
        tu_fill_s8(in, (size_t)n, lo, lo + tu_rand_int(0, narrow ? 7 : 127));
        nnom_softmax_tflite_s8_args a = {in, out, rows, depth, tfl, 1};
        nnom_softmax_tflite_s8(&a);
        for (int32_t r = 0; r < rows; r++) {
            int64_t sum;
            tflite_real_row(in + r * depth, want + r * depth, depth, tfl, &sum);
            const int exact = sum >= long_sum;
            long_rows += exact;
            short_rows += !exact;
            for (int32_t i = 0; i < depth; i++) {
                const int32_t got = out[r * depth + i], w = want[r * depth + i];
                if (exact ? got != w : abs(got - w) > 1) {
                    TU_CHECK(0, "TFLite softmax, row of %d, Q12 sum %lld, value %d: %d, expected %d", (int)depth,
                             (long long)sum, (int)i, (int)got, (int)w);
                    break;
                }
            }
        }
        free(in);
        free(out);
        free(want);
    }
    TU_CHECK(long_rows > 0 && short_rows > 0, "long rows %d, shorter ones %d: both kinds expected", long_rows,
             short_rows);

    /* through a graph: two rows of 1,000 equal values (sum 1,000, probabilities 1/1,000: -128 each) */
    static int32_t tfl[2 * NNOM_SOFTMAX_TABLE_SIZE];
    make_tflite_tables(0.01, tfl);
    const nnom_quant qi = {0.01f, 0}, qo = {1.0f / 256.0f, -128};
    const nnom_shape shape = {2, {2, 1000, 0}};
    nnom_status st;
    int32_t id;
    nnom_model *m = build(NNOM_DTYPE_S8, shape, qi, qo, tfl, sizeof tfl, &id, &st);
    TU_CHECK(st == NNOM_OK, "TFLite softmax graph: %s %s", nnom_status_name(st), nnom_model_last_error(m));
    if (st == NNOM_OK) {
        TU_OK(m, nnom_model_alloc_arena(m));
        int8_t x[2000], y[2000];
        int32_t want[2000];
        memset(x, 42, sizeof x);
        TU_OK(m, nnom_model_set_input_s8(m, 0, x, sizeof x));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_s8(m, 0, y, sizeof y));
        for (int32_t r = 0; r < 2; r++) {
            int64_t sum;
            tflite_real_row(x + r * 1000, want + r * 1000, 1000, tfl, &sum);
            TU_CHECK(sum >= long_sum, "graph row %d: Q12 sum %lld below 2^28", (int)r, (long long)sum);
        }
        for (int32_t i = 0; i < 2000; i++)
            if (y[i] != want[i]) {
                TU_CHECK(0, "TFLite softmax graph [%d]: %d, expected %d", (int)i, y[i], (int)want[i]);
                break;
            }
    }
    nnom_model_destroy(m);

    /* tables outside the kernel's preconditions: refused at compile */
    static const struct {
        int32_t entry, value;
        const char *text;
    } bad[] = {{NNOM_SOFTMAX_TABLE_SIZE, 0, "entry 256 "},
               {NNOM_SOFTMAX_TABLE_SIZE + 3, NNOM_SOFTMAX_TFLITE_SUM_ONE + 1, "entry 259 "},
               {NNOM_SOFTMAX_TABLE_SIZE + 255, -1, "entry 511 "},
               {NNOM_SOFTMAX_TABLE_SIZE + 1, INT32_MAX, "2147483647"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        make_tflite_tables(0.01, tfl);
        tfl[bad[k].entry] = bad[k].value;
        m = build(NNOM_DTYPE_S8, shape, qi, qo, tfl, sizeof tfl, &id, &st);
        const char *msg = nnom_model_last_error(m);
        TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "probs") && strstr(msg, bad[k].text) &&
                     strstr(msg, "524288"),
                 "bad TFLite table %d: %s %s", (int)k, nnom_status_name(st), msg);
        nnom_model_destroy(m);
    }
    printf("TFLite softmax: %d rows with a Q12 sum of 2^28 or more (exact), %d shorter ones (within one step)\n",
           long_rows, short_rows);
}

/* A graph's SOFTMAX over each axis of a (2, 3, 5) tensor, int8 and float32; axes outside the rank refused. */
static void test_graph_axes(void)
{
    static uint32_t table[256];
    const nnom_quant qi = {0.1f, -5}, qo = {1.0f / 256.0f, -128}, q0 = {0, 0};
    TU_REQUIRE(nnom_quant_softmax_table(qi, table) == NNOM_OK, "table");
    const nnom_shape shape = {3, {2, 3, 5}};
    const int32_t n = 30;
    for (int32_t axis = -3; axis <= 0; axis++) {
        const int32_t ax = axis == 0 ? 2 : 3 + axis, depth = shape.dims[ax];
        int32_t inner = 1;
        for (int32_t i = ax + 1; i < 3; i++) inner *= shape.dims[i];
        nnom_status st;
        int32_t id;
        nnom_model *m = build_axis(NNOM_DTYPE_S8, shape, qi, qo, table, sizeof table, axis, &id, &st);
        TU_CHECK(st == NNOM_OK, "axis %d: %s %s", (int)axis, nnom_status_name(st), nnom_model_last_error(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        int8_t x[30], y[30], row[5], q[5];
        int32_t real[5];
        tu_fill_s8(x, (size_t)n, -128, 127);
        TU_OK(m, nnom_model_set_input_s8(m, 0, x, (size_t)n));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_s8(m, 0, y, (size_t)n));
        for (int32_t r = 0; r < n / depth; r++) {
            gather_s8(x, row, r, depth, inner, 0);
            gather_s8(y, q, r, depth, inner, 0);
            real_row_s8(row, real, depth, qi.scale);
            for (int32_t i = 0; i < depth; i++)
                TU_CHECK(abs(q[i] - real[i]) <= 1, "axis %d s8 vector %d [%d]: %d vs %d", (int)axis, (int)r, (int)i,
                         q[i], (int)real[i]);
        }
        nnom_model_destroy(m);

        m = build_axis(NNOM_DTYPE_F32, shape, q0, q0, NULL, 0, axis, &id, &st);
        TU_CHECK(st == NNOM_OK, "axis %d f32: %s %s", (int)axis, nnom_status_name(st), nnom_model_last_error(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        float xf[30], yf[30];
        tu_fill_f32(xf, (size_t)n, -5, 5);
        TU_OK(m, nnom_model_set_input_f32(m, 0, xf, (size_t)n));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, yf, (size_t)n));
        for (int32_t r = 0; r < n / depth; r++) {
            const int64_t first = (int64_t)(r / inner) * depth * inner + r % inner;
            double sum = 0;
            for (int32_t i = 0; i < depth; i++) sum += exp((double)xf[first + i * inner]);
            for (int32_t i = 0; i < depth; i++) {
                const double want = exp((double)xf[first + i * inner]) / sum;
                TU_CHECK(fabs(yf[first + i * inner] - want) <= 1e-6, "axis %d f32: %g vs %g", (int)axis,
                         yf[first + i * inner], want);
            }
        }
        nnom_model_destroy(m);
    }
    const int32_t bad[2] = {1, -4};
    for (int i = 0; i < 2; i++) {
        nnom_status st;
        int32_t id;
        nnom_model *m = build_axis(NNOM_DTYPE_F32, shape, q0, q0, NULL, 0, bad[i], &id, &st);
        const char *msg = nnom_model_last_error(m);
        TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "probs") && strstr(msg, "axis") && strstr(msg, "[-3, 0]"),
                 "axis %d: %s %s", (int)bad[i], nnom_status_name(st), msg);
        nnom_model_destroy(m);
    }
}

int main(void)
{
    tu_seed(0x50F7);
    test_s8_kernel();
    test_f32_kernel();
    test_graphs();
    test_strided_kernels();
    test_tflite_long_rows();
    test_graph_axes();
    return tu_finish("test_softmax");
}
