/*
 * The quantiser and the conversion report, on float32 graphs built here with
 * random weights (support/graph_util.c) and calibrated on random inputs.
 *
 * Accuracy is measured in this file, by running the models directly: the
 * int8 model's dequantised output against the double-precision reference of
 * graph_util (independent of the runtime's float kernels) or against a
 * reference written below (depthwise). Every calibration method is tried
 * with weights per channel and per tensor. The report's per-layer SQNR is
 * recomputed here from keep-all copies of both models. Structural rules are
 * checked on the int8 model itself: quantisations that must equal the
 * input's, fixed ones (softmax, sigmoid, tanh), weights scaled to +-127 per
 * output channel (depthwise: the last index), biases, concatenation
 * constants. The Keras digits CNN is converted and run on real images
 * (accuracy, agreement and SQNR against its float model). Calibration's pure parts (percentile, KL threshold) are checked
 * on hand-made histograms, and every error path returns a clear message.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/tools_internal.h"
#include "graph_util.h"
#include "model_util.h"
#include "quantize/calibrate.h"

static gb G;

static const char *method_name(nnom_calibration m)
{
    return m == NNOM_CALIBRATE_MINMAX ? "minmax" : (m == NNOM_CALIBRATE_PERCENTILE ? "percentile" : "kl");
}

static float *uniform(size_t n, float lo, float hi)
{
    float *x = (float *)malloc(n * sizeof *x);
    TU_REQUIRE(x != NULL, "out of memory");
    tu_fill_f32(x, n, lo, hi);
    return x;
}

static int32_t count_of(const nnom_shape *s)
{
    int32_t n = 1;
    for (int32_t k = 0; k < s->rank; k++) n *= s->dims[k];
    return n;
}

static double db(double signal, double noise)
{
    if (noise == 0.0) return 200.0;
    if (signal == 0.0) return -200.0;
    return 10.0 * log10(signal / noise);
}

static nnom_converter *quantize_pct(nnom_model *fm, const float *xs, size_t n, nnom_calibration method, int per_tensor,
                                    double percentile)
{
    nnom_converter *c;
    nnom_error err;
    TU_REQUIRE(nnom_converter_from_model(fm, &c, &err) == NNOM_OK, "%s", err.message);
    nnom_quantize_options o;
    nnom_quantize_options_init(&o);
    o.method = method;
    o.per_tensor = per_tensor;
    o.percentile = percentile;
    nnom_status st = nnom_converter_quantize(c, xs, n, &o);
    TU_REQUIRE(st == NNOM_OK, "quantise (%s): %s", method_name(method), nnom_converter_last_error(c));
    nnom_model *q = nnom_converter_int8_model(c);
    TU_REQUIRE(q != NULL && nnom_model_dtype(q) == NNOM_DTYPE_S8, "no int8 model");
    TU_OK(q, nnom_model_alloc_arena(q));
    return c;
}

static nnom_converter *quantize(nnom_model *fm, const float *xs, size_t n, nnom_calibration method, int per_tensor)
{
    return quantize_pct(fm, xs, n, method, per_tensor, 0.0);
}

/* SQNR of the int8 model's output 0 against the double reference of layer out_id; top-1 agreement too. */
static double sqnr_vs_reference(const gb *g, int32_t out_id, nnom_model *q, const float *xs, size_t n, size_t per,
                                double *top1)
{
    const int32_t ny = count_of(&g->layers[out_id].shape);
    float *y = (float *)malloc((size_t)ny * sizeof *y);
    double s = 0.0, e = 0.0;
    size_t agree = 0;
    for (size_t k = 0; k < n; k++) {
        double **ref = gb_reference(g, xs + k * per);
        TU_OK(q, nnom_model_set_input_f32(q, 0, xs + k * per, per));
        TU_OK(q, nnom_model_run(q));
        TU_OK(q, nnom_model_get_output_f32(q, 0, y, (size_t)ny));
        int32_t best_r = 0, best_q = 0;
        for (int32_t j = 0; j < ny; j++) {
            const double d = ref[out_id][j];
            s += d * d;
            e += (d - y[j]) * (d - y[j]);
            if (d > ref[out_id][best_r]) best_r = j;
            if (y[j] > y[best_q]) best_q = j;
        }
        agree += best_r == best_q;
        gb_free_ref(g, ref);
    }
    free(y);
    if (top1) *top1 = (double)agree / (double)n;
    return db(s, e);
}

/* SQNR of the int8 model's output 0 against the float model's, both run here. */
static double sqnr_vs_float(nnom_model *fm, nnom_model *q, const float *xs, size_t n, size_t per)
{
    nnom_tensor_info oi;
    TU_OK(fm, nnom_model_output_info(fm, 0, &oi));
    float *yf = (float *)malloc((size_t)oi.count * sizeof *yf), *yq = (float *)malloc((size_t)oi.count * sizeof *yq);
    double s = 0.0, e = 0.0;
    for (size_t k = 0; k < n; k++) {
        const float *x = xs + k * per;
        size_t off = 0;
        for (int32_t i = 0; i < nnom_model_input_count(fm); i++) {
            nnom_tensor_info ii;
            TU_OK(fm, nnom_model_input_info(fm, i, &ii));
            TU_OK(fm, nnom_model_set_input_f32(fm, i, x + off, (size_t)ii.count));
            TU_OK(q, nnom_model_set_input_f32(q, i, x + off, (size_t)ii.count));
            off += (size_t)ii.count;
        }
        TU_OK(fm, nnom_model_run(fm));
        TU_OK(q, nnom_model_run(q));
        TU_OK(fm, nnom_model_get_output_f32(fm, 0, yf, (size_t)oi.count));
        TU_OK(q, nnom_model_get_output_f32(q, 0, yq, (size_t)oi.count));
        for (int32_t j = 0; j < oi.count; j++) {
            s += (double)yf[j] * yf[j];
            e += ((double)yf[j] - yq[j]) * ((double)yf[j] - yq[j]);
        }
    }
    free(yf);
    free(yq);
    return db(s, e);
}

/*
 * The report against a computation made here: keep-all copies of both models
 * run on the same samples, each layer's int8 output dequantised by hand with
 * its own scale and zero point; and the output layer once more through the
 * converter's own (non keep-all) models.
 */
static void check_report(nnom_converter *c, const float *xs, size_t n, size_t per, const char *label)
{
    nnom_model *fm0 = nnom_converter_float_model(c), *qm0 = nnom_converter_int8_model(c);
    const int32_t L = nnom_model_layer_count(qm0);
    nnom_model *fm, *qm;
    nnom_error err;
    TU_REQUIRE(nnom_tools_clone(fm0, 1, &fm, &err) == NNOM_OK, "%s", err.message);
    TU_REQUIRE(nnom_tools_clone(qm0, 1, &qm, &err) == NNOM_OK, "%s", err.message);
    TU_OK(fm, nnom_model_alloc_arena(fm));
    TU_OK(qm, nnom_model_alloc_arena(qm));
    double *sig = (double *)calloc((size_t)L, sizeof *sig), *noise = (double *)calloc((size_t)L, sizeof *noise);
    for (size_t k = 0; k < n; k++) {
        TU_OK(fm, nnom_model_set_input_f32(fm, 0, xs + k * per, per));
        TU_OK(qm, nnom_model_set_input_f32(qm, 0, xs + k * per, per));
        TU_OK(fm, nnom_model_run(fm));
        TU_OK(qm, nnom_model_run(qm));
        for (int32_t i = 0; i < L; i++) {
            nnom_layer_info info = NNOM_LAYER_INFO_INIT;
            TU_OK(qm, nnom_model_layer_info(qm, i, &info));
            const float *f = (const float *)nnom_model_layer_output(fm, i);
            const int8_t *q = (const int8_t *)nnom_model_layer_output(qm, i);
            TU_REQUIRE(f && q, "layer %d not kept", (int)i);
            for (int32_t j = 0; j < count_of(&info.shape); j++) {
                const double deq = (double)info.quant.scale * (double)((int32_t)q[j] - info.quant.zero_point);
                sig[i] += (double)f[j] * f[j];
                noise[i] += ((double)f[j] - deq) * ((double)f[j] - deq);
            }
        }
    }
    nnom_layer_report rows[64];
    int32_t count = -1;
    double top1 = -2.0;
    nnom_status st = nnom_converter_report(c, xs, n, rows, 64, &count, &top1);
    TU_CHECK(st == NNOM_OK, "%s: report: %s", label, nnom_converter_last_error(c));
    TU_CHECK(count == L, "%s: report has %d rows, the model %d layers", label, (int)count, (int)L);
    for (int32_t i = 0; i < L && i < count; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(qm0, nnom_model_layer_info(qm0, i, &info));
        const double own = db(sig[i], noise[i]);
        TU_CHECK(fabs(rows[i].sqnr_db - own) <= 1e-6 * (1.0 + fabs(own)), "%s: layer %d (%s): report %.6f dB, own %.6f dB",
                 label, (int)i, info.name, rows[i].sqnr_db, own);
        TU_CHECK(strcmp(rows[i].name, info.name) == 0 && strcmp(rows[i].type_name, info.type_name) == 0,
                 "%s: row %d names '%s' (%s), layer is '%s' (%s)", label, (int)i, rows[i].name, rows[i].type_name,
                 info.name, info.type_name);
        TU_CHECK(rows[i].min == c->range_min[i] && rows[i].max == c->range_max[i], "%s: row %d range", label, (int)i);
    }
    /* the output layer once more, through the converter's models themselves */
    nnom_tensor_info oi;
    TU_OK(qm0, nnom_model_output_info(qm0, 0, &oi));
    if (nnom_model_input_data(fm0, 0) == NULL) TU_OK(fm0, nnom_model_alloc_arena(fm0));
    const double direct = sqnr_vs_float(fm0, qm0, xs, n, per);
    TU_CHECK(fabs(direct - rows[oi.layer].sqnr_db) <= 1e-6 * (1.0 + fabs(direct)),
             "%s: output SQNR %.6f dB from the models, %.6f in the report", label, direct, rows[oi.layer].sqnr_db);
    /* top-1: by hand from the outputs */
    if (oi.shape.rank == 1) {
        size_t agree = 0;
        float *yf = (float *)malloc((size_t)oi.count * 4), *yq = (float *)malloc((size_t)oi.count * 4);
        for (size_t k = 0; k < n; k++) {
            TU_OK(fm0, nnom_model_set_input_f32(fm0, 0, xs + k * per, per));
            TU_OK(qm0, nnom_model_set_input_f32(qm0, 0, xs + k * per, per));
            TU_OK(fm0, nnom_model_run(fm0));
            TU_OK(qm0, nnom_model_run(qm0));
            TU_OK(fm0, nnom_model_get_output_f32(fm0, 0, yf, (size_t)oi.count));
            TU_OK(qm0, nnom_model_get_output_f32(qm0, 0, yq, (size_t)oi.count));
            int32_t bf = 0, bq = 0;
            for (int32_t j = 1; j < oi.count; j++) {
                if (yf[j] > yf[bf]) bf = j;
                if (yq[j] > yq[bq]) bq = j;
            }
            agree += bf == bq;
        }
        free(yf);
        free(yq);
        TU_CHECK(fabs(top1 - (double)agree / (double)n) < 1e-12, "%s: top-1 agreement %.4f, own %.4f", label, top1,
                 (double)agree / (double)n);
    } else {
        TU_CHECK(top1 == -1.0, "%s: top-1 %.3f reported for a non-classifier", label, top1);
    }
    free(sig);
    free(noise);
    nnom_model_destroy(fm);
    nnom_model_destroy(qm);
}

/* Average pools checked in their requantising form, over all check_quant_rules() calls. */
static int mean_requant;

/* Every layer of the int8 model follows the quantisation rules of its type. */
static void check_quant_rules(nnom_converter *c, const char *label)
{
    nnom_model *q = nnom_converter_int8_model(c);
    for (int32_t i = 0; i < nnom_model_layer_count(q); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT, in = NNOM_LAYER_INFO_INIT;
        TU_OK(q, nnom_model_layer_info(q, i, &info));
        if (info.n_inputs > 0) TU_OK(q, nnom_model_layer_info(q, info.inputs[0], &in));
        switch (nnom_calib_class(info.type)) {
        case NNOM_QCLASS_SAME:
            TU_CHECK(info.quant.scale == in.quant.scale && info.quant.zero_point == in.quant.zero_point,
                     "%s: layer '%s' (%s) has quant (%g, %d), its input (%g, %d)", label, info.name, info.type_name,
                     (double)info.quant.scale, (int)info.quant.zero_point, (double)in.quant.scale,
                     (int)in.quant.zero_point);
            break;
        case NNOM_QCLASS_FIXED: {
            const int tanh_like = info.type == NNOM_LAYER_TANH;
            TU_CHECK(info.quant.scale == (tanh_like ? 1.0f / 128.0f : 1.0f / 256.0f) &&
                         info.quant.zero_point == (tanh_like ? 0 : -128),
                     "%s: layer '%s' (%s) has quant (%g, %d)", label, info.name, info.type_name,
                     (double)info.quant.scale, (int)info.quant.zero_point);
            break;
        }
        case NNOM_QCLASS_MEAN: {
            /* an average pool: the input's quantisation and no blobs, or its own (its range, as below)
             * at least 1.25 times finer and blob 0 = {multiplier, shift} for it */
            nnom_blob b[NNOM_MAX_BLOBS];
            TU_OK(q, nnom_model_layer_blobs(q, i, b));
            if (b[0].size == 0) {
                TU_CHECK(info.quant.scale == in.quant.scale && info.quant.zero_point == in.quant.zero_point,
                         "%s: plain average pool '%s' has quant (%g, %d), its input (%g, %d)", label, info.name,
                         (double)info.quant.scale, (int)info.quant.zero_point, (double)in.quant.scale,
                         (int)in.quant.zero_point);
                break;
            }
            const int32_t h = in.shape.rank == 3 ? in.shape.dims[0] : 1;
            const int32_t w = in.shape.rank == 3 ? in.shape.dims[1] : in.shape.dims[0];
            int32_t cells = h * w;
            if (info.type != NNOM_LAYER_GLOBAL_AVG_POOL)
                cells = (info.params.kernel[0] < h ? info.params.kernel[0] : h) *
                        (info.params.kernel[1] < w ? info.params.kernel[1] : w);
            int32_t want[2] = {0, 0};
            TU_CHECK(b[0].size == 8u && nnom_quant_avg_pool_params(in.quant, info.quant, cells, want) == NNOM_OK &&
                         memcmp(b[0].data, want, 8) == 0,
                     "%s: average pool '%s': blob 0 of %u bytes is not its requantisation", label, info.name,
                     (unsigned)b[0].size);
            TU_CHECK(info.quant.scale <= 0.8f * in.quant.scale, "%s: average pool '%s' requantises to scale %g, "
                     "its input %g", label, info.name, (double)info.quant.scale, (double)in.quant.scale);
            mean_requant++;
        }
        /* fall through - its own quantisation follows its range */
        case NNOM_QCLASS_INPUT:
        case NNOM_QCLASS_CALIBRATED:
        case NNOM_QCLASS_UNION: {
            /* scale = (max - min) / 255 of the stored range widened to include 0; zero point maps 0 */
            double lo = c->range_min[i] < 0 ? c->range_min[i] : 0.0, hi = c->range_max[i] > 0 ? c->range_max[i] : 0.0;
            if (hi - lo > 1e-20) {
                const double want = (hi - lo) / 255.0;
                TU_CHECK(fabs(info.quant.scale - want) <= 1e-6 * want, "%s: layer '%s' scale %g, range [%g, %g]", label,
                         info.name, (double)info.quant.scale, lo, hi);
                const double zp = -128.0 - lo / (double)info.quant.scale;
                TU_CHECK(fabs(info.quant.zero_point - zp) <= 0.5 + 1e-6, "%s: layer '%s' zero point %d, want %.3f",
                         label, info.name, (int)info.quant.zero_point, zp);
            }
            break;
        }
        case NNOM_QCLASS_UNKNOWN: TU_CHECK(0, "%s: layer '%s' of unexpected type", label, info.name); break;
        }
    }
}

/* Weights of a weighted int8 layer: each output channel's largest |q| is 127 (or all 0). */
static void check_weights_scaled(nnom_model *q, int32_t layer, int per_tensor, const char *label)
{
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    nnom_blob b[NNOM_MAX_BLOBS];
    TU_OK(q, nnom_model_layer_info(q, layer, &info));
    TU_OK(q, nnom_model_layer_blobs(q, layer, b));
    const int32_t n_out = info.shape.dims[info.shape.rank - 1];
    const int dw = info.type == NNOM_LAYER_DEPTHWISE_CONV1D || info.type == NNOM_LAYER_DEPTHWISE_CONV2D;
    int32_t dense_in = 0;
    int8_t *rows = info.type == NNOM_LAYER_DENSE ? tu_dense_rows(q, layer, &dense_in) : NULL;
    const int8_t *w = rows ? rows : (const int8_t *)b[0].data;
    const uint32_t per = rows ? (uint32_t)dense_in : b[0].size / (uint32_t)n_out;
    int32_t overall = 0;
    for (int32_t ch = 0; ch < n_out; ch++) {
        int32_t mx = 0;
        for (uint32_t k = 0; k < per; k++) {
            const int32_t v = w[dw ? k * (uint32_t)n_out + (uint32_t)ch : (uint32_t)ch * per + k];
            TU_CHECK(v >= -127 && v <= 127, "%s: weight %d outside [-127, 127]", label, (int)v);
            if (abs(v) > mx) mx = abs(v);
        }
        if (mx > overall) overall = mx;
        if (!per_tensor) TU_CHECK(mx == 127 || mx == 0, "%s: '%s' channel %d: largest |q| %d", label, info.name, (int)ch, (int)mx);
    }
    if (per_tensor) TU_CHECK(overall == 127, "%s: '%s': largest |q| %d", label, info.name, (int)overall);
    free(rows);
    const uint32_t n_mult = b[2].size / 4u;
    const int32_t *mult = (const int32_t *)b[2].data, *shift = (const int32_t *)b[3].data;
    if (per_tensor && info.type == NNOM_LAYER_DENSE) TU_CHECK(n_mult == 1, "%s: dense per tensor has %u multipliers", label, n_mult);
    else TU_CHECK(n_mult == (uint32_t)n_out, "%s: %u multipliers for %d channels", label, n_mult, (int)n_out);
    if (per_tensor)
        for (uint32_t k = 1; k < n_mult; k++)
            TU_CHECK(mult[k] == mult[0] && shift[k] == shift[0], "%s: per-tensor multipliers differ", label);
}

/* ---------------------------------------------------------------- accuracy */

typedef int32_t (*net_builder)(gb *g); /* builds on G, returns the OUTPUT layer id */

static int32_t single_conv(gb *g)
{
    int32_t x = gb_input(g, 3, 8, 8, 3);
    return gb_output(g, gb_conv(g, x, 8, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE));
}

static int32_t single_dense(gb *g)
{
    int32_t x = gb_input(g, 1, 64, 0, 0);
    return gb_output(g, gb_dense(g, x, 16, NNOM_ACT_NONE));
}

static int32_t residual_net(gb *g)
{
    int32_t x = gb_input(g, 3, 8, 8, 4);
    int32_t a = gb_conv(g, x, 8, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t b = gb_conv(g, a, 8, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE);
    int32_t s = gb_relu(g, gb_add(g, a, b));
    int32_t p = gb_max_pool(g, s, 2, 2, NNOM_PADDING_VALID);
    int32_t c2 = gb_conv(g, p, 8, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t s2 = gb_add(g, p, c2);
    return gb_output(g, gb_dense(g, gb_global_avg_pool(g, s2), 10, NNOM_ACT_NONE));
}

static int32_t inception_net(gb *g)
{
    int32_t x = gb_input(g, 3, 8, 8, 3);
    int32_t stem = gb_conv(g, x, 8, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t b[4];
    b[0] = gb_conv(g, stem, 4, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    b[1] = gb_conv(g, gb_conv(g, stem, 4, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU), 6, 3, 1, 1, NNOM_PADDING_SAME,
                   NNOM_ACT_RELU);
    b[2] = gb_conv(g, stem, 4, 3, 1, 2, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    b[3] = gb_max_pool(g, stem, 3, 1, NNOM_PADDING_SAME);
    int32_t cat = gb_concat(g, 4, b, -1);
    int32_t p = gb_avg_pool(g, cat, 2, 2, NNOM_PADDING_VALID);
    return gb_output(g, gb_dense(g, gb_flatten(g, p), 10, NNOM_ACT_NONE));
}

static int32_t densenet_net(gb *g)
{
    int32_t x = gb_input(g, 3, 6, 6, 4);
    int32_t x0 = gb_conv(g, x, 6, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t x1 = gb_conv(g, x0, 6, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t c1_in[2] = {x0, x1};
    int32_t c1 = gb_concat(g, 2, c1_in, -1);
    int32_t x2 = gb_conv(g, c1, 6, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t c2_in[2] = {c1, x2};
    int32_t c2 = gb_concat(g, 2, c2_in, -1);
    int32_t x3 = gb_conv(g, c2, 6, 1, 1, 1, NNOM_PADDING_VALID, NNOM_ACT_RELU);
    int32_t c3_in[3] = {c2, x3, x0};
    int32_t c3 = gb_concat(g, 3, c3_in, 2);
    return gb_output(g, gb_dense(g, gb_global_avg_pool(g, c3), 10, NNOM_ACT_NONE));
}

static int32_t conv1d_net(gb *g)
{
    int32_t x = gb_input(g, 2, 32, 2, 0);
    int32_t a = gb_conv(g, x, 8, 5, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t p = gb_max_pool(g, a, 2, 2, NNOM_PADDING_VALID);
    int32_t b = gb_conv(g, p, 8, 3, 2, 1, NNOM_PADDING_VALID, NNOM_ACT_RELU);
    return gb_output(g, gb_dense(g, gb_flatten(g, b), 5, NNOM_ACT_NONE));
}

typedef struct net_case {
    const char *name;
    net_builder build;
    double min_db;
    int32_t weighted_probe; /* a weighted layer whose weights are checked, or -1 */
} net_case;

static void accuracy(const net_case *nc)
{
    gb_store_reset();
    gb_init(&G, NNOM_DTYPE_F32);
    const int32_t out = nc->build(&G);
    gb_compile(&G);
    const size_t per = (size_t)count_of(&G.layers[0].shape);
    const size_t n_cal = 200, n_test = 50;
    float *cal = uniform(n_cal * per, -1.0f, 1.0f), *test = uniform(n_test * per, -1.0f, 1.0f);
    for (int method = 0; method < 3; method++)
        for (int per_tensor = 0; per_tensor < 2; per_tensor++) {
            char label[96];
            snprintf(label, sizeof label, "%s/%s/%s", nc->name, method_name((nnom_calibration)method),
                     per_tensor ? "per-tensor" : "per-channel");
            nnom_converter *c = quantize(G.m, cal, n_cal, (nnom_calibration)method, per_tensor);
            double top1;
            const double s = sqnr_vs_reference(&G, out, nnom_converter_int8_model(c), test, n_test, per, &top1);
            printf("  %-40s output SQNR %6.2f dB  top-1 agreement %.2f\n", label, s, top1);
            TU_CHECK(s >= nc->min_db, "%s: output SQNR %.2f dB < %.0f dB", label, s, nc->min_db);
            check_quant_rules(c, label);
            if (nc->weighted_probe >= 0)
                check_weights_scaled(nnom_converter_int8_model(c), nc->weighted_probe, per_tensor, label);
            if (method == NNOM_CALIBRATE_MINMAX && !per_tensor) check_report(c, test, n_test, per, label);
            nnom_converter_destroy(c);
        }
    free(cal);
    free(test);
    nnom_model_destroy(G.m);
}

/* --------------------------------------------------- hand-built float models */

static nnom_model *new_f32(void)
{
    nnom_model *m;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, NULL, &m, &err) == NNOM_OK, "%s", err.message);
    return m;
}

static int32_t add_input(nnom_model *m, int32_t rank, int32_t d0, int32_t d1, int32_t d2)
{
    nnom_shape s = {rank, {d0, d1, d2}};
    nnom_quant q = {1.0f, 0};
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, NULL, s, q, &id));
    return id;
}

static int32_t add_simple(nnom_model *m, nnom_layer_type t, int32_t n_in, const int32_t *ins, const nnom_layer_params *p,
                          const float *w, uint32_t wn, const float *b, uint32_t bn)
{
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = t;
    d.n_inputs = n_in;
    for (int32_t k = 0; k < n_in; k++) d.inputs[k] = ins[k];
    if (p) d.params = *p;
    if (w) d.blobs[0] = (nnom_blob){w, wn * 4u};
    if (b) d.blobs[1] = (nnom_blob){b, bn * 4u};
    int32_t id;
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    return id;
}

static int32_t add1(nnom_model *m, nnom_layer_type t, int32_t in) { return add_simple(m, t, 1, &in, NULL, NULL, 0, NULL, 0); }

static int32_t add_dense(nnom_model *m, int32_t in, int32_t fan_in, int32_t units, float gain)
{
    float *w = (float *)gb_store((size_t)fan_in * (size_t)units * 4), *b = (float *)gb_store((size_t)units * 4);
    const float lim = gain / sqrtf((float)fan_in);
    tu_fill_f32(w, (size_t)fan_in * (size_t)units, -lim, lim);
    tu_fill_f32(b, (size_t)units, -0.1f, 0.1f);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.units = units;
    return add_simple(m, NNOM_LAYER_DENSE, 1, &in, &p, w, (uint32_t)(fan_in * units), b, (uint32_t)units);
}

/* Element-wise activations and softmax: fixed output quantisations, accuracy of the chain. */
static void activations(void)
{
    gb_store_reset();
    nnom_model *m = new_f32();
    int32_t x = add_input(m, 1, 16, 0, 0);
    int32_t h = add1(m, NNOM_LAYER_TANH, add_dense(m, x, 16, 12, 3.0f));
    h = add1(m, NNOM_LAYER_SIGMOID, add_dense(m, h, 12, 12, 4.0f));
    h = add1(m, NNOM_LAYER_HARD_SIGMOID, add_dense(m, h, 12, 12, 8.0f));
    nnom_layer_params lp;
    memset(&lp, 0, sizeof lp);
    lp.alpha = 0.2f;
    int32_t d = add_dense(m, h, 12, 12, 4.0f);
    h = add_simple(m, NNOM_LAYER_LEAKY_RELU, 1, &d, &lp, NULL, 0, NULL, 0);
    h = add1(m, NNOM_LAYER_RELU6, add_dense(m, h, 12, 12, 10.0f));
    int32_t logits = add_dense(m, h, 12, 10, 2.0f);
    int32_t sm = add1(m, NNOM_LAYER_SOFTMAX, logits);
    add1(m, NNOM_LAYER_OUTPUT, sm);
    TU_OK(m, nnom_model_compile(m));
    TU_OK(m, nnom_model_alloc_arena(m));
    float *cal = uniform(300 * 16, -2.0f, 2.0f), *test = uniform(60 * 16, -2.0f, 2.0f);
    for (int method = 0; method < 3; method++) {
        nnom_converter *c = quantize(m, cal, 300, (nnom_calibration)method, 0);
        nnom_model *q = nnom_converter_int8_model(c);
        check_quant_rules(c, "activations");
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(q, nnom_model_layer_info(q, sm, &info));
        TU_CHECK(info.quant.scale == 1.0f / 256.0f && info.quant.zero_point == -128, "softmax quant (%g, %d)",
                 (double)info.quant.scale, (int)info.quant.zero_point);
        const double s = sqnr_vs_float(m, q, test, 60, 16);
        printf("  %-40s output SQNR %6.2f dB\n", method == 0 ? "activations/minmax" : (method == 1 ? "activations/percentile" : "activations/kl"), s);
        TU_CHECK(s >= 25.0, "activation chain (%s): softmax SQNR %.2f dB", method_name((nnom_calibration)method), s);
        if (method == 0) check_report(c, test, 60, 16, "activations");
        nnom_converter_destroy(c);
    }
    free(cal);
    free(test);
    nnom_model_destroy(m);
}

/* Depthwise conv: weights [kh][kw][in*mult], the output channel is the last index; a zero channel. */
static void depthwise(void)
{
    gb_store_reset();
    const int32_t H = 6, W = 6, C = 3, M = 2, K = 3, OC = C * M;
    nnom_model *m = new_f32();
    int32_t x = add_input(m, 3, H, W, C);
    float *w = (float *)gb_store((size_t)(K * K * OC) * 4), *b = (float *)gb_store((size_t)OC * 4);
    tu_fill_f32(w, (size_t)(K * K * OC), -0.5f, 0.5f);
    tu_fill_f32(b, (size_t)OC, -0.2f, 0.2f);
    /* channels differ in size by 10x so that per-channel scales matter; channel 4 is all zero */
    for (int32_t k = 0; k < K * K * OC; k++) {
        const int32_t oc = k % OC;
        w[k] *= oc == 1 ? 10.0f : 1.0f;
        if (oc == 4) w[k] = 0.0f;
    }
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.kernel[0] = p.kernel[1] = K;
    p.stride[0] = p.stride[1] = 1;
    p.dilation[0] = p.dilation[1] = 1;
    p.padding = NNOM_PADDING_VALID;
    p.units = M;
    int32_t dwid = add_simple(m, NNOM_LAYER_DEPTHWISE_CONV2D, 1, &x, &p, w, (uint32_t)(K * K * OC), b, (uint32_t)OC);
    add1(m, NNOM_LAYER_OUTPUT, dwid);
    TU_OK(m, nnom_model_compile(m));
    const int32_t OH = H - K + 1, OW = W - K + 1, per = H * W * C;
    float *cal = uniform((size_t)(200 * per), -1.0f, 1.0f), *test = uniform((size_t)(40 * per), -1.0f, 1.0f);
    for (int per_tensor = 0; per_tensor < 2; per_tensor++) {
        nnom_converter *c = quantize(m, cal, 200, NNOM_CALIBRATE_MINMAX, per_tensor);
        nnom_model *q = nnom_converter_int8_model(c);
        check_weights_scaled(q, dwid, per_tensor, per_tensor ? "depthwise/per-tensor" : "depthwise/per-channel");
        nnom_blob bl[NNOM_MAX_BLOBS];
        TU_OK(q, nnom_model_layer_blobs(q, dwid, bl));
        const int8_t *qw = (const int8_t *)bl[0].data;
        for (int32_t k = 4; k < K * K * OC; k += OC) TU_CHECK(qw[k] == 0, "zero channel has weight %d", (int)qw[k]);
        /* per channel: bias = round(b / (in_scale * max|w_c| / 127)) */
        nnom_layer_info in_info = NNOM_LAYER_INFO_INIT;
        TU_OK(q, nnom_model_layer_info(q, x, &in_info));
        const int32_t *qb = (const int32_t *)bl[1].data;
        if (!per_tensor)
            for (int32_t oc = 0; oc < OC; oc++) {
                double amax = 0;
                for (int32_t k = oc; k < K * K * OC; k += OC) amax = fabs(w[k]) > amax ? fabs(w[k]) : amax;
                const double ws = amax > 0 ? amax / 127.0 : 1.0;
                const double want = (double)b[oc] / ((double)in_info.quant.scale * ws);
                TU_CHECK(fabs(qb[oc] - want) <= 0.5 + 1e-3, "depthwise bias %d: %d, want %.3f", (int)oc, (int)qb[oc], want);
            }
        /* accuracy against a reference written here */
        double s = 0, e = 0;
        float *y = (float *)malloc((size_t)(OH * OW * OC) * 4);
        for (int32_t t = 0; t < 40; t++) {
            const float *xin = test + t * per;
            TU_OK(q, nnom_model_set_input_f32(q, 0, xin, (size_t)per));
            TU_OK(q, nnom_model_run(q));
            TU_OK(q, nnom_model_get_output_f32(q, 0, y, (size_t)(OH * OW * OC)));
            for (int32_t oy = 0; oy < OH; oy++)
                for (int32_t ox = 0; ox < OW; ox++)
                    for (int32_t oc = 0; oc < OC; oc++) {
                        double acc = b[oc];
                        for (int32_t ky = 0; ky < K; ky++)
                            for (int32_t kx = 0; kx < K; kx++)
                                acc += (double)xin[((oy + ky) * W + ox + kx) * C + oc / M] * w[(ky * K + kx) * OC + oc];
                        const double got = y[(oy * OW + ox) * OC + oc];
                        s += acc * acc;
                        e += (acc - got) * (acc - got);
                    }
        }
        free(y);
        printf("  %-40s output SQNR %6.2f dB\n", per_tensor ? "depthwise/minmax/per-tensor" : "depthwise/minmax/per-channel",
               db(s, e));
        TU_CHECK(db(s, e) >= (per_tensor ? 20.0 : 30.0), "depthwise %s: SQNR %.2f dB", per_tensor ? "per tensor" : "per channel",
                 db(s, e));
        nnom_converter_destroy(c);
    }
    free(cal);
    free(test);
    nnom_model_destroy(m);
}

/* Dense: the biases and per-channel requantisation, checked against the formulas. */
static void dense_constants(void)
{
    gb_store_reset();
    gb_init(&G, NNOM_DTYPE_F32);
    int32_t x = gb_input(&G, 1, 20, 0, 0);
    int32_t d = gb_dense(&G, x, 7, NNOM_ACT_NONE);
    gb_output(&G, d);
    gb_compile(&G);
    float *cal = uniform(100 * 20, -3.0f, 1.0f);
    nnom_converter *c = quantize(G.m, cal, 100, NNOM_CALIBRATE_MINMAX, 0);
    nnom_model *q = nnom_converter_int8_model(c);
    nnom_layer_info in = NNOM_LAYER_INFO_INIT, out = NNOM_LAYER_INFO_INIT;
    nnom_blob bl[NNOM_MAX_BLOBS];
    TU_OK(q, nnom_model_layer_info(q, x, &in));
    TU_OK(q, nnom_model_layer_info(q, d, &out));
    TU_OK(q, nnom_model_layer_blobs(q, d, bl));
    /* the input range is the samples' own: [-3, 1) observed exactly */
    float mn = cal[0], mx = cal[0];
    for (int k = 0; k < 100 * 20; k++) {
        mn = cal[k] < mn ? cal[k] : mn;
        mx = cal[k] > mx ? cal[k] : mx;
    }
    TU_CHECK(c->range_min[x] == mn && c->range_max[x] == mx, "input range [%g, %g], samples [%g, %g]",
             (double)c->range_min[x], (double)c->range_max[x], (double)mn, (double)mx);
    TU_CHECK(fabs(in.quant.scale - (mx - mn) / 255.0) < 1e-6 * in.quant.scale, "input scale %g", (double)in.quant.scale);
    const int32_t *qb = (const int32_t *)bl[1].data, *mult = (const int32_t *)bl[2].data, *shift = (const int32_t *)bl[3].data;
    for (int32_t o = 0; o < 7; o++) {
        double amax = 0;
        for (int32_t k = 0; k < 20; k++) amax = fabs(G.layers[d].w[o * 20 + k]) > amax ? fabs(G.layers[d].w[o * 20 + k]) : amax;
        const double ws = amax / 127.0;
        const double want_b = G.layers[d].b[o] / ((double)in.quant.scale * ws);
        TU_CHECK(fabs(qb[o] - want_b) <= 0.5 + 1e-3, "dense bias %d: %d, want %.3f", (int)o, (int)qb[o], want_b);
        const double real = (double)in.quant.scale * ws / (double)out.quant.scale;
        const double got = mult[o] * pow(2.0, shift[o] - 31);
        TU_CHECK(fabs(got - real) <= 1e-6 * real, "dense multiplier %d: %g, want %g", (int)o, got, real);
    }
    nnom_converter_destroy(c);
    free(cal);
    nnom_model_destroy(G.m);
}

/* Max pools and views keep their input's quantisation, a global average pool gets its own;
 * concatenation constants. */
static void structure(void)
{
    gb_store_reset();
    gb_init(&G, NNOM_DTYPE_F32);
    int32_t x = gb_input(&G, 3, 8, 8, 3);
    int32_t a = gb_conv(&G, x, 4, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t mp = gb_max_pool(&G, a, 2, 2, NNOM_PADDING_VALID);
    int32_t ap = gb_avg_pool(&G, mp, 2, 1, NNOM_PADDING_SAME);
    int32_t same_in[2] = {mp, ap};
    int32_t same_cat = gb_concat(&G, 2, same_in, -1);             /* both inputs share a quantisation */
    int32_t b = gb_conv(&G, mp, 4, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE);
    int32_t mixed_in[2] = {same_cat, b};
    int32_t mixed_cat = gb_concat(&G, 2, mixed_in, -1);           /* different ones */
    int32_t gp = gb_global_avg_pool(&G, mixed_cat);
    int32_t fl = gb_flatten(&G, gp);
    int32_t out = gb_output(&G, fl);
    gb_compile(&G);
    float *cal = uniform(100 * 192, -1.0f, 1.0f);
    for (int method = 0; method < 3; method++) {
        nnom_converter *c = quantize(G.m, cal, 100, (nnom_calibration)method, 0);
        nnom_model *q = nnom_converter_int8_model(c);
        check_quant_rules(c, "structure");
        nnom_layer_info li[16];
        for (int32_t i = 0; i < 16; i++) nnom_layer_info_init(&li[i]);
        for (int32_t i = 0; i <= out; i++) TU_OK(q, nnom_model_layer_info(q, i, &li[i]));
        TU_CHECK(li[mp].quant.scale == li[a].quant.scale && li[mp].quant.zero_point == li[a].quant.zero_point, "max pool");
        TU_CHECK(li[ap].quant.scale == li[a].quant.scale && li[ap].quant.zero_point == li[a].quant.zero_point, "avg pool");
        /* the 2x2 average spans nearly its input's range and keeps its quantisation; the global mean
         * spans far less and gets its own, finer one (check_quant_rules() checks its constants) */
        nnom_blob gpb[NNOM_MAX_BLOBS];
        TU_OK(q, nnom_model_layer_blobs(q, gp, gpb));
        TU_CHECK(gpb[0].size == 8u && li[gp].quant.scale <= 0.8f * li[mixed_cat].quant.scale,
                 "global avg pool: scale %g (blob of %u bytes), its input %g", (double)li[gp].quant.scale,
                 (unsigned)gpb[0].size, (double)li[mixed_cat].quant.scale);
        TU_CHECK(li[fl].quant.scale == li[gp].quant.scale && li[out].quant.scale == li[gp].quant.scale, "views");
        nnom_blob bl[NNOM_MAX_BLOBS];
        TU_OK(q, nnom_model_layer_blobs(q, same_cat, bl));
        const int32_t *cp = (const int32_t *)bl[0].data;
        TU_CHECK(bl[0].size == 16 && cp[0] == 0 && cp[2] == 0, "concat of equal quantisations: multipliers %d, %d",
                 (int)cp[0], (int)cp[2]);
        TU_CHECK(li[same_cat].quant.scale == li[a].quant.scale, "concat of equal quantisations keeps it");
        /* the union of the inputs' ranges */
        TU_CHECK(c->range_min[mixed_cat] == fminf(c->range_min[same_cat], c->range_min[b]) &&
                     c->range_max[mixed_cat] == fmaxf(c->range_max[same_cat], c->range_max[b]),
                 "concat range is not the union of its inputs'");
        TU_OK(q, nnom_model_layer_blobs(q, mixed_cat, bl));
        cp = (const int32_t *)bl[0].data;
        for (int j = 0; j < 2; j++) {
            const nnom_quant iq = li[mixed_in[j]].quant, oq = li[mixed_cat].quant;
            const int same = iq.scale == oq.scale && iq.zero_point == oq.zero_point;
            TU_CHECK(same ? cp[2 * j] == 0 : cp[2 * j] > 0, "concat input %d: multiplier %d (same quant: %d)", j,
                     (int)cp[2 * j], same);
            if (!same) {
                const double got = cp[2 * j] * pow(2.0, cp[2 * j + 1] - 31), want = (double)iq.scale / oq.scale;
                TU_CHECK(fabs(got - want) <= 1e-6 * want, "concat input %d rescale %g, want %g", j, got, want);
            }
        }
        nnom_converter_destroy(c);
    }
    free(cal);
    nnom_model_destroy(G.m);
}

/* Clipping methods narrow the ranges of activations with outliers, never the input's. */
static void clipping(void)
{
    gb_store_reset();
    gb_init(&G, NNOM_DTYPE_F32);
    int32_t x = gb_input(&G, 1, 32, 0, 0);
    int32_t d = gb_dense(&G, x, 32, NNOM_ACT_NONE);
    int32_t r = gb_relu(&G, d);
    gb_output(&G, r);
    gb_compile(&G);
    float *cal = uniform(1000 * 32, -1.0f, 1.0f);
    for (int k = 0; k < 32; k++) cal[17 * 32 + k] = 40.0f; /* one wild sample */
    float lo[3][8], hi[3][8];
    for (int method = 0; method < 3; method++) {
        /* 32 of the 32000 dense outputs are outliers: a 99.5 percentile (160 values per side) clips them */
        nnom_converter *c = quantize_pct(G.m, cal, 1000, (nnom_calibration)method, 0, 99.5);
        for (int i = 0; i < 4; i++) {
            lo[method][i] = c->range_min[i];
            hi[method][i] = c->range_max[i];
        }
        nnom_converter_destroy(c);
    }
    for (int method = 1; method < 3; method++) {
        TU_CHECK(lo[method][x] == lo[0][x] && hi[method][x] == hi[0][x], "%s clipped the input range",
                 method_name((nnom_calibration)method));
        TU_CHECK(hi[method][d] < 0.5 * hi[0][d] && lo[method][d] > 0.5 * lo[0][d],
                 "%s: dense range [%g, %g], minmax [%g, %g]", method_name((nnom_calibration)method), (double)lo[method][d],
                 (double)hi[method][d], (double)lo[0][d], (double)hi[0][d]);
        TU_CHECK(hi[method][r] < 0.5 * hi[0][r] && lo[method][r] >= 0.0f && lo[method][r] < 1e-3f * hi[method][r], "%s: relu range [%g, %g], minmax [%g, %g]",
                 method_name((nnom_calibration)method), (double)lo[method][r], (double)hi[method][r], (double)lo[0][r],
                 (double)hi[0][r]);
    }
    TU_CHECK(hi[0][x] == 40.0f, "minmax input max %g", (double)hi[0][x]);
    free(cal);
    nnom_model_destroy(G.m);
}

/* A handful of samples: too few values for a histogram, so KL and percentile must not cut the range. */
static void few_samples(void)
{
    gb_store_reset();
    gb_init(&G, NNOM_DTYPE_F32);
    int32_t x = gb_input(&G, 1, 16, 0, 0);
    int32_t d = gb_dense(&G, x, 5, NNOM_ACT_NONE);
    gb_output(&G, d);
    gb_compile(&G);
    TU_OK(G.m, nnom_model_alloc_arena(G.m));
    float *cal = uniform(8 * 16, -1.0f, 1.0f);
    float lo0 = 0, hi0 = 0;
    for (int method = 0; method < 3; method++) {
        nnom_converter *c = quantize(G.m, cal, 8, (nnom_calibration)method, 0);
        if (method == 0) {
            lo0 = c->range_min[d];
            hi0 = c->range_max[d];
        }
        TU_CHECK(method != NNOM_CALIBRATE_KL || (c->range_min[d] == lo0 && c->range_max[d] == hi0),
                 "KL on 40 values cut the range to [%g, %g] from [%g, %g]", (double)c->range_min[d],
                 (double)c->range_max[d], (double)lo0, (double)hi0);
        const double s = sqnr_vs_float(G.m, nnom_converter_int8_model(c), cal, 8, 16);
        TU_CHECK(s >= 30.0, "8 samples, %s: SQNR %.2f dB", method_name((nnom_calibration)method), s);
        nnom_converter_destroy(c);
    }
    free(cal);
    nnom_model_destroy(G.m);
}

/* Real data: the Keras digits CNN (Tests/fixtures/keras) on scikit-learn's digits. */
static void digits(void)
{
    const char *dir = NNOM_FIXTURES_DIR "/keras/";
    char path[512];
    nnom_array cal, tx, ty;
    nnom_error err;
    snprintf(path, sizeof path, "%sdigits_calib_x.npy", dir);
    if (nnom_npy_read(path, &cal, &err) != NNOM_OK) {
        printf("  digits fixtures not found (%s): skipped\n", err.message);
        return;
    }
    snprintf(path, sizeof path, "%sdigits_test_x.npy", dir);
    TU_REQUIRE(nnom_npy_read(path, &tx, &err) == NNOM_OK, "%s", err.message);
    snprintf(path, sizeof path, "%sdigits_test_y.npy", dir);
    TU_REQUIRE(nnom_npy_read(path, &ty, &err) == NNOM_OK, "%s", err.message);
    snprintf(path, sizeof path, "%sdigits_cnn.keras", dir);
    const size_t n_test = (size_t)tx.dims[0], per = (size_t)(tx.count / tx.dims[0]);
    for (int method = 0; method < 3; method++)
        for (int per_tensor = 0; per_tensor < 2; per_tensor++) {
            nnom_converter *c;
            TU_REQUIRE(nnom_keras_read(path, &c, &err) == NNOM_OK, "%s", err.message);
            nnom_quantize_options o;
            nnom_quantize_options_init(&o);
            o.method = (nnom_calibration)method;
            o.per_tensor = per_tensor;
            TU_REQUIRE(nnom_converter_quantize(c, cal.data, (size_t)cal.dims[0], &o) == NNOM_OK, "%s",
                       nnom_converter_last_error(c));
            nnom_model *fm = nnom_converter_float_model(c), *q = nnom_converter_int8_model(c);
            TU_OK(fm, nnom_model_alloc_arena(fm));
            TU_OK(q, nnom_model_alloc_arena(q));
            /* accuracy of both against the labels, agreement and SQNR, all computed here */
            float yf[10], yq[10];
            size_t right_f = 0, right_q = 0, agree = 0;
            double sig = 0, noise = 0;
            for (size_t k = 0; k < n_test; k++) {
                TU_OK(fm, nnom_model_set_input_f32(fm, 0, tx.data + k * per, per));
                TU_OK(q, nnom_model_set_input_f32(q, 0, tx.data + k * per, per));
                TU_OK(fm, nnom_model_run(fm));
                TU_OK(q, nnom_model_run(q));
                TU_OK(fm, nnom_model_get_output_f32(fm, 0, yf, 10));
                TU_OK(q, nnom_model_get_output_f32(q, 0, yq, 10));
                int bf = 0, bq = 0;
                for (int j = 0; j < 10; j++) {
                    if (yf[j] > yf[bf]) bf = j;
                    if (yq[j] > yq[bq]) bq = j;
                    sig += (double)yf[j] * yf[j];
                    noise += ((double)yf[j] - yq[j]) * ((double)yf[j] - yq[j]);
                }
                right_f += bf == (int)ty.data[k];
                right_q += bq == (int)ty.data[k];
                agree += bf == bq;
            }
            const double acc_f = (double)right_f / n_test, acc_q = (double)right_q / n_test;
            char label[64];
            snprintf(label, sizeof label, "digits/%s/%s", method_name((nnom_calibration)method),
                     per_tensor ? "per-tensor" : "per-channel");
            printf("  %-40s output SQNR %6.2f dB  top-1 agreement %.3f  accuracy float %.3f int8 %.3f\n", label,
                   db(sig, noise), (double)agree / n_test, acc_f, acc_q);
            TU_CHECK(db(sig, noise) >= 30.0, "%s: SQNR %.2f dB", label, db(sig, noise));
            TU_CHECK((double)agree / n_test >= 0.98, "%s: top-1 agreement %.3f", label, (double)agree / n_test);
            TU_CHECK(acc_q >= acc_f - 0.01 && acc_f > 0.9, "%s: accuracy float %.3f int8 %.3f", label, acc_f, acc_q);
            double top1 = -1;
            int32_t count;
            TU_CHECK(nnom_converter_report(c, tx.data, n_test, NULL, 0, &count, &top1) == NNOM_OK &&
                         fabs(top1 - (double)agree / n_test) < 1e-12,
                     "%s: report top-1 %.4f", label, top1);
            nnom_converter_destroy(c);
        }
    nnom_array_free(&cal);
    nnom_array_free(&tx);
    nnom_array_free(&ty);
}

/* Two inputs: each sample holds input 0 then input 1. */
static void two_inputs(void)
{
    gb_store_reset();
    nnom_model *m = new_f32();
    int32_t ins[2];
    ins[0] = add_input(m, 1, 8, 0, 0);
    ins[1] = add_input(m, 1, 8, 0, 0);
    int32_t sum = add_simple(m, NNOM_LAYER_ADD, 2, ins, NULL, NULL, 0, NULL, 0);
    int32_t prod = add_simple(m, NNOM_LAYER_MULTIPLY, 2, ins, NULL, NULL, 0, NULL, 0);
    int32_t diff_in[2] = {sum, prod};
    int32_t diff = add_simple(m, NNOM_LAYER_SUBTRACT, 2, diff_in, NULL, NULL, 0, NULL, 0);
    add1(m, NNOM_LAYER_OUTPUT, diff);
    TU_OK(m, nnom_model_compile(m));
    TU_OK(m, nnom_model_alloc_arena(m));
    const size_t n = 100;
    float *cal = (float *)malloc(n * 16 * sizeof(float));
    for (size_t s = 0; s < n; s++) {
        tu_fill_f32(cal + s * 16, 8, -1.0f, 1.0f);
        tu_fill_f32(cal + s * 16 + 8, 8, -4.0f, 4.0f);
    }
    nnom_converter *c = quantize(m, cal, n, NNOM_CALIBRATE_MINMAX, 0);
    TU_CHECK(c->range_min[0] >= -1.0f && c->range_max[0] <= 1.0f && c->range_max[0] > 0.9f, "input 0 range [%g, %g]",
             (double)c->range_min[0], (double)c->range_max[0]);
    TU_CHECK(c->range_min[1] < -3.5f && c->range_max[1] > 3.5f, "input 1 range [%g, %g]", (double)c->range_min[1],
             (double)c->range_max[1]);
    const double s = sqnr_vs_float(m, nnom_converter_int8_model(c), cal, n, 16);
    printf("  %-40s output SQNR %6.2f dB\n", "two inputs add/mul/sub", s);
    TU_CHECK(s >= 30.0, "two-input model: SQNR %.2f dB", s);
    check_quant_rules(c, "two inputs");
    nnom_converter_destroy(c);
    free(cal);
    nnom_model_destroy(m);
}

/* ------------------------------------------------------ calibration pieces */

static void calibration_functions(void)
{
    static double h[4096];
    double lo, hi;
    for (int k = 0; k < 1000; k++) h[k] = 1.0;
    nnom_calib_percentile_range(h, 1000, 0.0, 1000.0, 99.0, &lo, &hi);
    TU_CHECK(fabs(lo - 10.0) < 1e-9 && fabs(hi - 990.0) < 1e-9, "percentile 99 of uniform: [%g, %g]", lo, hi);
    nnom_calib_percentile_range(h, 1000, -5.0, 5.0, 100.0, &lo, &hi);
    TU_CHECK(lo == -5.0 && hi == 5.0, "percentile 100 keeps the range: [%g, %g]", lo, hi);
    /* mass at both ends only: nothing in between is kept beyond the extreme bins */
    memset(h, 0, sizeof h);
    h[0] = 500;
    h[999] = 500;
    nnom_calib_percentile_range(h, 1000, 0.0, 1000.0, 99.0, &lo, &hi);
    TU_CHECK(lo >= 0.0 && lo <= 1.0 && hi >= 999.0 && hi <= 1000.0, "two spikes: [%g, %g]", lo, hi);

    /* KL: a flat histogram is best kept whole; one that fits 128 levels is cut right there */
    for (int k = 0; k < 2048; k++) h[k] = 100.0;
    TU_CHECK(nnom_calib_kl_bins(h, 2048, 128) == 2048, "flat histogram: %d bins kept", (int)nnom_calib_kl_bins(h, 2048, 128));
    memset(h, 0, sizeof h);
    for (int k = 0; k < 100; k++) h[k] = 50.0 + k % 7;
    TU_CHECK(nnom_calib_kl_bins(h, 2048, 128) == 128, "narrow histogram: %d bins kept", (int)nnom_calib_kl_bins(h, 2048, 128));
    /* a bell with a far, thin tail: the threshold sits past the bell, well before the tail */
    memset(h, 0, sizeof h);
    for (int k = 0; k < 2048; k++) h[k] = 1e6 * exp(-0.5 * (k / 100.0) * (k / 100.0));
    h[2040] += 3.0;
    const int32_t kept = nnom_calib_kl_bins(h, 2048, 128);
    TU_CHECK(kept > 200 && kept < 1000, "bell with an outlier: %d bins kept", (int)kept);
    TU_CHECK(nnom_calib_kl_bins(h, 100, 128) == 100, "fewer bins than levels");
}

/* ------------------------------------------------------------------ errors */

static void errors(void)
{
    gb_store_reset();
    gb_init(&G, NNOM_DTYPE_F32);
    int32_t x = gb_input(&G, 1, 4, 0, 0);
    gb_output(&G, gb_dense(&G, x, 3, NNOM_ACT_NONE));
    gb_compile(&G);
    nnom_converter *c;
    nnom_error err;
    TU_REQUIRE(nnom_converter_from_model(G.m, &c, &err) == NNOM_OK, "%s", err.message);
    float xs[8] = {0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f, 0.7f, 0.8f};
    nnom_layer_report rows[4];
    int32_t count;

    TU_CHECK(nnom_converter_report(c, xs, 2, rows, 4, &count, NULL) == NNOM_ERR_STATE, "report before quantising");
    TU_CHECK(strstr(nnom_converter_last_error(c), "quantise") != NULL, "message: %s", nnom_converter_last_error(c));
    TU_CHECK(nnom_converter_save(c, "/tmp/never.nnom") == NNOM_ERR_STATE, "save before quantising");
    TU_CHECK(nnom_converter_quantize(c, NULL, 0, NULL) == NNOM_ERR_ARGUMENT, "no samples");
    TU_CHECK(strstr(nnom_converter_last_error(c), "no calibration samples") != NULL, "message: %s",
             nnom_converter_last_error(c));
    TU_CHECK(nnom_converter_quantize(c, xs, 0, NULL) == NNOM_ERR_ARGUMENT, "zero samples");
    xs[5] = NAN;
    TU_CHECK(nnom_converter_quantize(c, xs, 2, NULL) == NNOM_ERR_ARGUMENT, "NaN sample");
    TU_CHECK(strstr(nnom_converter_last_error(c), "sample 1: value 1 is NaN") != NULL, "message: %s",
             nnom_converter_last_error(c));
    xs[5] = INFINITY;
    TU_CHECK(nnom_converter_quantize(c, xs, 2, NULL) == NNOM_ERR_ARGUMENT, "infinite sample");
    TU_CHECK(strstr(nnom_converter_last_error(c), "infinite") != NULL, "message: %s", nnom_converter_last_error(c));
    xs[5] = -0.6f;
    nnom_quantize_options o;
    nnom_quantize_options_init(&o);
    o.method = (nnom_calibration)7;
    TU_CHECK(nnom_converter_quantize(c, xs, 2, &o) == NNOM_ERR_ARGUMENT, "unknown method");
    TU_CHECK(strstr(nnom_converter_last_error(c), "method 7") != NULL, "message: %s", nnom_converter_last_error(c));
    o.method = NNOM_CALIBRATE_PERCENTILE;
    o.percentile = 20.0;
    TU_CHECK(nnom_converter_quantize(c, xs, 2, &o) == NNOM_ERR_ARGUMENT, "percentile 20");
    TU_CHECK(nnom_converter_int8_model(c) == NULL, "a failed quantisation left an int8 model");

    /* success, then a failure keeps the previous int8 model; a second success replaces it */
    TU_CHECK(nnom_converter_quantize(c, xs, 2, NULL) == NNOM_OK, "%s", nnom_converter_last_error(c));
    nnom_model *first = nnom_converter_int8_model(c);
    TU_CHECK(first != NULL, "no int8 model");
    TU_CHECK(nnom_converter_quantize(c, NULL, 0, NULL) == NNOM_ERR_ARGUMENT, "no samples");
    TU_CHECK(nnom_converter_int8_model(c) == first, "a failure replaced the int8 model");
    o.percentile = 0.0; /* default 99.99 */
    TU_CHECK(nnom_converter_quantize(c, xs, 2, &o) == NNOM_OK, "%s", nnom_converter_last_error(c));
    TU_CHECK(nnom_converter_int8_model(c) != NULL && nnom_model_layer_count(nnom_converter_int8_model(c)) == 3,
             "second quantisation");
    xs[1] = NAN;
    TU_CHECK(nnom_converter_report(c, xs, 2, rows, 4, &count, NULL) == NNOM_ERR_ARGUMENT, "report with a NaN sample");
    xs[1] = 0.2f;
    TU_CHECK(nnom_converter_report(c, xs, 2, NULL, 4, &count, NULL) == NNOM_ERR_ARGUMENT, "report rows NULL");
    TU_CHECK(nnom_converter_report(c, xs, 2, NULL, 0, &count, NULL) == NNOM_OK && count == 3, "row count query");
    double top1 = 0;
    TU_CHECK(nnom_converter_report(c, xs, 2, rows, 4, &count, &top1) == NNOM_OK && top1 >= 0.0 && top1 <= 1.0,
             "report: top-1 %g", top1);
    nnom_converter_destroy(c);

    nnom_model_destroy(G.m);

    /* a weight that is NaN */
    gb_store_reset();
    gb_init(&G, NNOM_DTYPE_F32);
    x = gb_input(&G, 1, 4, 0, 0);
    int32_t d = gb_dense(&G, x, 3, NNOM_ACT_NONE);
    gb_output(&G, d);
    gb_compile(&G);
    ((float *)G.layers[d].w)[5] = NAN;
    TU_REQUIRE(nnom_converter_from_model(G.m, &c, &err) == NNOM_OK, "%s", err.message);
    TU_CHECK(nnom_converter_quantize(c, xs, 2, NULL) == NNOM_ERR_ARGUMENT, "NaN weight");
    TU_CHECK(strstr(nnom_converter_last_error(c), "NaN") != NULL, "message: %s", nnom_converter_last_error(c));
    nnom_converter_destroy(c);
    nnom_model_destroy(G.m);
}

/* The tools' rules table has a valid entry for every layer type (the count is checked at compile time;
 * this checks that no entry in the middle was left zero). */
static void rules_complete(void)
{
    for (int t = 0; t < NNOM_LAYER_TYPE_COUNT; t++) {
        const nnom_layer_rule *r = nnom_layer_rule_of((nnom_layer_type)t);
        TU_CHECK(r && r->qclass != NNOM_QCLASS_UNKNOWN, "layer type %d (%s) has no tools rule", t,
                 nnom_layer_type_name((nnom_layer_type)t));
        if (r && r->qclass == NNOM_QCLASS_FIXED)
            TU_CHECK(r->fixed.scale > 0.0f, "layer type %s: fixed quantisation without a scale",
                     nnom_layer_type_name((nnom_layer_type)t));
    }
    TU_CHECK(nnom_layer_rule_of(NNOM_LAYER_TYPE_COUNT) == NULL, "a rule past the last type");
}

int main(void)
{
    tu_seed(31337);
    rules_complete();
    static const net_case nets[] = {
        {"single conv2d", single_conv, 30.0, 1},
        {"single dense", single_dense, 30.0, 1},
        {"residual", residual_net, 20.0, 2},
        {"inception", inception_net, 20.0, 1},
        {"densenet", densenet_net, 20.0, 4},
        {"conv1d", conv1d_net, 20.0, 1},
    };
    for (size_t k = 0; k < sizeof nets / sizeof nets[0]; k++) accuracy(&nets[k]);
    activations();
    depthwise();
    dense_constants();
    structure();
    clipping();
    two_inputs();
    few_samples();
    digits();
    calibration_functions();
    errors();
    printf("  average pools in their requantising form: %d\n", mean_requant);
    TU_CHECK(mean_requant > 0, "no average pool was given a quantisation of its own");
    return tu_finish("test_quantizer");
}
