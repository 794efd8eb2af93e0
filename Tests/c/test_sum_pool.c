/*
 * SUM_POOL1D/2D and GLOBAL_SUM_POOL (NNoM's SumPool and GlobalSumPool, built with the C API): through
 * the public API on random shapes, windows, strides and paddings, float32 against sums in double
 * precision and int8 against the requantisation written here (tu_ref_requantize of the window's sum,
 * zero point removed), within one step of the exact real sum; the quantiser on a float model of each
 * (int8 against float32, SQNR); and the errors of infer.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nnom/tools.h"
#include "model_util.h"

/* The single-layer int8 SQNR floor of the project (Tests/c/test_keras_models.c). */
#define SQNR_SINGLE_LAYER 30.0

typedef struct geometry {
    nnom_layer_type type;
    int32_t rank, h, w, c;       /* input (h, w, c); rank 2: h = 1 */
    int32_t kh, kw, sh, sw;      /* window pools */
    nnom_padding padding;
    int32_t oh, ow;              /* output positions (global: 1, 1) */
    int32_t pad_top, pad_left;
} geometry;

/* Keras' window arithmetic, written here: valid, or same with the extra cell bottom/right. */
static void window_axis(int32_t in, int32_t k, int32_t s, nnom_padding p, int32_t *out, int32_t *before)
{
    if (p == NNOM_PADDING_VALID) {
        *out = (in - k) / s + 1;
        *before = 0;
        return;
    }
    *out = (in + s - 1) / s;
    const int32_t total = (*out - 1) * s + k - in;
    *before = total > 0 ? total / 2 : 0;
}

static geometry random_geometry(nnom_layer_type type)
{
    geometry g;
    memset(&g, 0, sizeof g);
    g.type = type;
    g.rank = type == NNOM_LAYER_SUM_POOL2D || (type == NNOM_LAYER_GLOBAL_SUM_POOL && tu_rand_int(0, 1)) ? 3 : 2;
    g.h = g.rank == 3 ? tu_rand_int(1, 9) : 1;
    g.w = tu_rand_int(1, 11);
    g.c = tu_rand_int(1, 37);
    if (type == NNOM_LAYER_GLOBAL_SUM_POOL) {
        g.oh = g.ow = 1;
        return g;
    }
    g.padding = tu_rand_int(0, 1) ? NNOM_PADDING_SAME : NNOM_PADDING_VALID;
    g.kh = g.rank == 3 ? tu_rand_int(1, g.padding == NNOM_PADDING_SAME ? 4 : g.h) : 1;
    g.kw = tu_rand_int(1, g.padding == NNOM_PADDING_SAME ? 4 : g.w);
    g.sh = g.rank == 3 ? tu_rand_int(1, 3) : 1;
    g.sw = tu_rand_int(1, 3);
    window_axis(g.h, g.kh, g.sh, g.padding, &g.oh, &g.pad_top);
    window_axis(g.w, g.kw, g.sw, g.padding, &g.ow, &g.pad_left);
    return g;
}

/* The sum of channel c of the window of output (oy, ox) over its valid cells, their number, and the
 * sum of their magnitudes (the scale of float32 rounding errors). */
static double window_sum(const geometry *g, const double *x, int32_t oy, int32_t ox, int32_t c, int32_t *n,
                         double *magnitude)
{
    const int global = g->type == NNOM_LAYER_GLOBAL_SUM_POOL;
    const int32_t y0 = global ? 0 : oy * g->sh - g->pad_top, x0 = global ? 0 : ox * g->sw - g->pad_left;
    const int32_t y1 = global ? g->h : y0 + g->kh, x1 = global ? g->w : x0 + g->kw;
    double s = 0.0, mag = 0.0;
    *n = 0;
    for (int32_t y = y0 < 0 ? 0 : y0; y < y1 && y < g->h; y++)
        for (int32_t xx = x0 < 0 ? 0 : x0; xx < x1 && xx < g->w; xx++) {
            s += x[((size_t)y * g->w + xx) * g->c + c];
            mag += fabs(x[((size_t)y * g->w + xx) * g->c + c]);
            (*n)++;
        }
    if (magnitude) *magnitude = mag;
    return s;
}

static nnom_shape input_shape(const geometry *g)
{
    return g->rank == 3 ? (nnom_shape){3, {g->h, g->w, g->c}} : (nnom_shape){2, {g->w, g->c, 0}};
}

/* Input -> the pool (named "sum"), blob 0 = params if given; its id goes to *last. */
static nnom_model *build_model(const geometry *g, nnom_dtype dtype, nnom_quant in_q, nnom_quant out_q,
                               const int32_t *params, int32_t *last)
{
    nnom_model *m = tu_model_new(dtype, NULL);
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "x", input_shape(g), in_q, &id));
    nnom_layer_desc d = tu_desc1(g->type, "sum", id);
    d.params.kernel[0] = g->kh;
    d.params.kernel[1] = g->kw;
    d.params.stride[0] = g->sh;
    d.params.stride[1] = g->sw;
    d.params.padding = g->padding;
    d.quant = out_q;
    if (params) d.blobs[0] = (nnom_blob){params, 8u};
    TU_OK(m, nnom_model_add_layer(m, &d, last));
    return m;
}

/* build_model() -> Output, compiled, with its arena. */
static nnom_model *pool_model(const geometry *g, nnom_dtype dtype, nnom_quant in_q, nnom_quant out_q,
                              const int32_t *params)
{
    int32_t last;
    nnom_model *m = build_model(g, dtype, in_q, out_q, params, &last);
    tu_finish_model(m, last);
    return m;
}

static void check_random(nnom_layer_type type, int cases)
{
    int exact = 0, total = 0;
    double worst_f32 = 0.0;
    for (int t = 0; t < cases; t++) {
        const geometry g = random_geometry(type);
        const size_t n_in = (size_t)g.h * g.w * g.c, n_out = (size_t)g.oh * g.ow * g.c;
        float *xf = malloc(n_in * sizeof *xf), *yf = malloc(n_out * sizeof *yf);
        int8_t *xs = malloc(n_in), *ys = malloc(n_out);
        double *xd = malloc(n_in * sizeof *xd);
        TU_REQUIRE(xf && yf && xs && ys && xd, "out of memory");

        /* float32 */
        tu_fill_f32(xf, n_in, -3.0f, 3.0f);
        for (size_t i = 0; i < n_in; i++) xd[i] = xf[i];
        nnom_model *m = pool_model(&g, NNOM_DTYPE_F32, (nnom_quant){0.0f, 0}, (nnom_quant){0.0f, 0}, NULL);
        TU_OK(m, nnom_model_set_input_f32(m, 0, xf, n_in));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, yf, n_out));
        nnom_model_destroy(m);
        for (int32_t oy = 0; oy < g.oh; oy++)
            for (int32_t ox = 0; ox < g.ow; ox++)
                for (int32_t c = 0; c < g.c; c++) {
                    int32_t n;
                    double mag;
                    const double ref = window_sum(&g, xd, oy, ox, c, &n, &mag);
                    /* the bound of a float32 sum of n terms, relative to their magnitudes */
                    const double e = fabs(yf[((size_t)oy * g.ow + ox) * g.c + c] - ref) / (mag > 0.0 ? mag : 1.0);
                    if (e > worst_f32 * n) worst_f32 = e / n;
                }

        /* int8: the output scale a sum of up to `cells` inputs needs, give or take */
        const nnom_quant in_q = {tu_rand_float(0.01f, 0.1f), tu_rand_int(-20, 20)};
        const int32_t cells = type == NNOM_LAYER_GLOBAL_SUM_POOL ? g.h * g.w : g.kh * g.kw;
        const nnom_quant out_q = {in_q.scale * (float)cells * tu_rand_float(0.3f, 1.2f), tu_rand_int(-10, 10)};
        int32_t params[2];
        TU_REQUIRE(nnom_quant_avg_pool_params(in_q, out_q, cells, params) == NNOM_OK, "pool params");
        tu_fill_s8(xs, n_in, -128, 127);
        for (size_t i = 0; i < n_in; i++) xd[i] = (double)xs[i] - in_q.zero_point;
        m = pool_model(&g, NNOM_DTYPE_S8, in_q, out_q, params);
        TU_OK(m, nnom_model_set_input_s8(m, 0, xs, n_in));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_s8(m, 0, ys, n_out));
        nnom_model_destroy(m);
        size_t bad = 0, far = 0;
        for (int32_t oy = 0; oy < g.oh; oy++)
            for (int32_t ox = 0; ox < g.ow; ox++)
                for (int32_t c = 0; c < g.c; c++) {
                    int32_t n;
                    const double a = window_sum(&g, xd, oy, ox, c, &n, NULL); /* an integer: the sum, zero point removed */
                    const int32_t spec = tu_clamp((int64_t)tu_ref_requantize((int64_t)a, params[0], params[1]) +
                                                  out_q.zero_point, -128, 127);
                    const double real = a * in_q.scale / out_q.scale + out_q.zero_point;
                    const int32_t y = ys[((size_t)oy * g.ow + ox) * g.c + c];
                    bad += y != spec;
                    far += fabs(y - (real < -128.0 ? -128.0 : real > 127.0 ? 127.0 : real)) > 1.0;
                    exact += y == (int32_t)tu_clamp(tu_round_away(real), -128, 127);
                    total++;
                }
        TU_CHECK(bad == 0 && far == 0, "%s (%d, %d, %d) k %dx%d s %dx%d %s: %lu of %lu differ from the spec, %lu "
                 "more than a step from the real sum", nnom_layer_type_name(type), (int)g.h, (int)g.w, (int)g.c,
                 (int)g.kh, (int)g.kw, (int)g.sh, (int)g.sw, g.padding == NNOM_PADDING_SAME ? "same" : "valid",
                 (unsigned long)bad, (unsigned long)n_out, (unsigned long)far);
        free(xf);
        free(yf);
        free(xs);
        free(ys);
        free(xd);
    }
    TU_CHECK(worst_f32 <= FLT_EPSILON, "%s float32: worst error %g x cells x sum |x|", nnom_layer_type_name(type),
             worst_f32);
    printf("%-16s %d random cases: float32 worst |error| %.2g x cells x sum |x|; int8 equal to the spec everywhere, %.1f%% equal to "
           "the real sum rounded\n", nnom_layer_type_name(type), cases, worst_f32, 100.0 * exact / total);
}

/* The quantiser: a float model of the pool alone, calibrated on random inputs, then int8 against float32. */
static void check_quantised(nnom_layer_type type)
{
    geometry g;
    memset(&g, 0, sizeof g);
    g.type = type;
    g.rank = type == NNOM_LAYER_SUM_POOL1D ? 2 : 3;
    g.h = g.rank == 3 ? 8 : 1;
    g.w = 9;
    g.c = 6;
    g.kh = g.rank == 3 ? 3 : 1;
    g.kw = 3;
    g.sh = g.rank == 3 ? 2 : 1;
    g.sw = 2;
    g.padding = NNOM_PADDING_SAME;
    nnom_model *fm = pool_model(&g, NNOM_DTYPE_F32, (nnom_quant){0.0f, 0}, (nnom_quant){0.0f, 0}, NULL);
    enum { SAMPLES = 32 };
    const size_t n_in = (size_t)g.h * g.w * g.c;
    float *samples = malloc(SAMPLES * n_in * sizeof *samples);
    TU_REQUIRE(samples, "out of memory");
    tu_fill_f32(samples, SAMPLES * n_in, -1.0f, 2.0f);
    nnom_converter *c = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_converter_from_model(fm, &c, &err) == NNOM_OK, "converter: %s", err.message);
    TU_REQUIRE(nnom_converter_quantize(c, samples, SAMPLES, NULL) == NNOM_OK, "quantize: %s",
               nnom_converter_last_error(c));
    nnom_model *qm = nnom_converter_int8_model(c);
    TU_OK(qm, nnom_model_alloc_arena(qm));
    nnom_tensor_info info;
    TU_OK(fm, nnom_model_output_info(fm, 0, &info));
    size_t n_out = 1;
    for (int32_t k = 0; k < info.shape.rank; k++) n_out *= (size_t)info.shape.dims[k];
    float *yf = malloc(n_out * sizeof *yf), *yq = malloc(n_out * sizeof *yq);
    TU_REQUIRE(yf && yq, "out of memory");
    double signal = 0.0, noise = 0.0;
    for (int s = 0; s < SAMPLES; s++) {
        TU_OK(fm, nnom_model_set_input_f32(fm, 0, samples + s * n_in, n_in));
        TU_OK(fm, nnom_model_run(fm));
        TU_OK(fm, nnom_model_get_output_f32(fm, 0, yf, n_out));
        TU_OK(qm, nnom_model_set_input_f32(qm, 0, samples + s * n_in, n_in));
        TU_OK(qm, nnom_model_run(qm));
        TU_OK(qm, nnom_model_get_output_f32(qm, 0, yq, n_out));
        for (size_t i = 0; i < n_out; i++) {
            signal += (double)yf[i] * yf[i];
            noise += ((double)yq[i] - yf[i]) * ((double)yq[i] - yf[i]);
        }
    }
    const double sqnr = 10.0 * log10(signal / (noise > 0.0 ? noise : 1e-30));
    TU_CHECK(sqnr >= SQNR_SINGLE_LAYER, "%s quantised: SQNR %.1f dB, floor %.0f dB", nnom_layer_type_name(type), sqnr,
             SQNR_SINGLE_LAYER);
    printf("%-16s quantised alone: int8 SQNR %.1f dB against float32\n", nnom_layer_type_name(type), sqnr);
    free(yf);
    free(yq);
    free(samples);
    nnom_converter_destroy(c);
    nnom_model_destroy(fm);
}

static void expect_error(const geometry *g, nnom_dtype dtype, const int32_t *params, nnom_status want,
                         const char *subject)
{
    int32_t last;
    nnom_model *m = build_model(g, dtype, (nnom_quant){0.05f, 3}, (nnom_quant){0.5f, 0}, params, &last);
    char msg[512];
    const nnom_status st = tu_compile_or_destroy(m, last, NULL, msg, sizeof msg);
    TU_CHECK(st == want, "%s: got %s (%s), expected %s", subject, nnom_status_name(st), msg, nnom_status_name(want));
    TU_CHECK(strstr(msg, "'sum'") && strstr(msg, nnom_layer_type_name(g->type)) && strstr(msg, subject),
             "message should name the layer, its type and '%s': %s", subject, msg);
}

static void test_errors(void)
{
    const geometry pool2d = {NNOM_LAYER_SUM_POOL2D, 3, 4, 4, 2, 2, 2, 1, 1, NNOM_PADDING_VALID, 0, 0, 0, 0};
    const geometry pool1d = {NNOM_LAYER_SUM_POOL1D, 2, 1, 6, 2, 2, 2, 1, 1, NNOM_PADDING_VALID, 0, 0, 0, 0};
    const geometry global = {NNOM_LAYER_GLOBAL_SUM_POOL, 3, 4, 4, 2, 0, 0, 0, 0, NNOM_PADDING_VALID, 0, 0, 0, 0};
    static const int32_t bad_shift[2] = {1 << 30, 31}, ok[2] = {1 << 30, -3};
    expect_error(&pool2d, NNOM_DTYPE_S8, NULL, NNOM_ERR_SHAPE, "needs blob 0");
    expect_error(&global, NNOM_DTYPE_S8, NULL, NNOM_ERR_SHAPE, "needs blob 0");
    expect_error(&pool2d, NNOM_DTYPE_S8, bad_shift, NNOM_ERR_ARGUMENT, "shift 31");
    expect_error(&pool1d, NNOM_DTYPE_S8, ok, NNOM_ERR_SHAPE, "kernel[0] = 1");
    expect_error(&pool2d, NNOM_DTYPE_F32, ok, NNOM_ERR_SHAPE, "blob");
}

int main(void)
{
    tu_seed(0x5E11);
    check_random(NNOM_LAYER_SUM_POOL2D, 300);
    check_random(NNOM_LAYER_SUM_POOL1D, 200);
    check_random(NNOM_LAYER_GLOBAL_SUM_POOL, 200);
    check_quantised(NNOM_LAYER_SUM_POOL2D);
    check_quantised(NNOM_LAYER_SUM_POOL1D);
    check_quantised(NNOM_LAYER_GLOBAL_SUM_POOL);
    test_errors();
    return tu_finish("test_sum_pool");
}
