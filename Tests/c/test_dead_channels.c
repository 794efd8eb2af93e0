/*
 * Dead-channel removal in the converter (Sources/nnom_tools/quantize/dead_channels.c):
 * float32 models built here with chosen all-zero filters, converted twice,
 * with keep_dead_channels and without. The pruned models must give the
 * unpruned int8 model's outputs byte for byte and the unpruned float model's
 * up to float rounding, on random inputs; the number of channels removed must
 * be the one this file expects from how it built each model: a dead channel is
 * removable when its constant reaches a 1x1 convolution or a dense layer
 * through layers that keep it constant (zero padding and SAME-padded
 * depthwise only for a zero constant), and not otherwise (a residual add, the
 * model's output, a positive constant before padding).
 */
#include <math.h>
#include <string.h>

#include "graph_util.h"
#include "nnom/tools.h"

#define N_SAMPLES 6

/* The float32 model being built. */
static nnom_model *model;

static nnom_layer_params conv_params(int32_t filters, int32_t k, int32_t padding, int32_t act)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.kernel[0] = p.kernel[1] = k;
    p.units = filters;
    p.padding = padding;
    p.activation = act;
    return p;
}

/* A conv2d of [out][k][k][in] weights; the filters listed in dead (ending with -1) are all zero
 * and get the bias given in dead_bias. */
static int32_t conv(int32_t in, int32_t cin, int32_t filters, int32_t k, int32_t padding, const int *dead,
                    const float *dead_bias)
{
    const size_t per = (size_t)k * (size_t)k * (size_t)cin;
    float *w = gb_random_f32((size_t)filters * per, 0.5f);
    float *b = gb_random_f32((size_t)filters, 0.2f);
    for (int j = 0; dead && dead[j] >= 0; j++) {
        memset(w + (size_t)dead[j] * per, 0, per * sizeof *w);
        b[dead[j]] = dead_bias[j];
    }
    return gb_add_layer(model, NNOM_LAYER_CONV2D, in, conv_params(filters, k, padding, NNOM_ACT_RELU), w,
                        (size_t)filters * per, b, (size_t)filters);
}

static int32_t dense(int32_t in, int32_t n_in, int32_t units, int32_t act, const int *dead, const float *dead_bias)
{
    float *w = gb_random_f32((size_t)units * (size_t)n_in, 0.4f);
    float *b = gb_random_f32((size_t)units, 0.2f);
    for (int j = 0; dead && dead[j] >= 0; j++) {
        memset(w + (size_t)dead[j] * (size_t)n_in, 0, (size_t)n_in * sizeof *w);
        b[dead[j]] = dead_bias[j];
    }
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.units = units;
    p.activation = act;
    return gb_add_layer(model, NNOM_LAYER_DENSE, in, p, w, (size_t)units * (size_t)n_in, b, (size_t)units);
}

static int32_t depthwise(int32_t in, int32_t channels, int32_t padding)
{
    nnom_layer_params p = conv_params(1, 3, padding, NNOM_ACT_RELU);
    const size_t n = (size_t)9 * (size_t)channels;
    return gb_add_layer(model, NNOM_LAYER_DEPTHWISE_CONV2D, in, p, gb_random_f32(n, 0.6f), n,
                        gb_random_f32((size_t)channels, 0.3f), (size_t)channels);
}

static int32_t plain(nnom_layer_type type, int32_t in, const int32_t *pad)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    if (pad) memcpy(p.pad, pad, sizeof p.pad);
    return gb_add_layer(model, type, in, p, NULL, 0, NULL, 0);
}

static void begin(int32_t h, int32_t w, int32_t c)
{
    nnom_error err;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, NULL, &model, &err) == NNOM_OK, "%s", err.message);
    nnom_shape s = {3, {h, w, c}};
    nnom_quant q = {1.0f, 0};
    TU_OK(model, nnom_model_add_input(model, "in", s, q, NULL));
}

static void finish(int32_t last)
{
    plain(NNOM_LAYER_OUTPUT, last, NULL);
    TU_OK(model, nnom_model_compile(model));
}

static nnom_converter *convert(const float *xs, size_t n, int keep)
{
    nnom_converter *c;
    nnom_error err;
    TU_REQUIRE(nnom_converter_from_model(model, &c, &err) == NNOM_OK, "%s", err.message);
    nnom_quantize_options o;
    nnom_quantize_options_init(&o);
    o.keep_dead_channels = keep;
    TU_REQUIRE(nnom_converter_quantize(c, xs, n, &o) == NNOM_OK, "quantise: %s", nnom_converter_last_error(c));
    TU_OK(nnom_converter_int8_model(c), nnom_model_alloc_arena(nnom_converter_int8_model(c)));
    return c;
}

/* Runs the float32 and int8 models of both conversions on every sample and compares outputs. */
static void compare(const char *what, nnom_converter *keep, nnom_converter *pruned, const float *xs, size_t per)
{
    nnom_model *fk = nnom_converter_float_model(keep), *fp = nnom_converter_float_model(pruned);
    nnom_model *qk = nnom_converter_int8_model(keep), *qp = nnom_converter_int8_model(pruned);
    /* the float models are compiled, without an arena yet */
    TU_OK(fk, nnom_model_alloc_arena(fk));
    TU_OK(fp, nnom_model_alloc_arena(fp));
    nnom_tensor_info out;
    TU_OK(qk, nnom_model_output_info(qk, 0, &out));
    const size_t n_out = (size_t)out.count;
    float *yk = (float *)malloc(n_out * sizeof *yk), *yp = (float *)malloc(n_out * sizeof *yp);
    int8_t *bk = (int8_t *)malloc(n_out), *bp = (int8_t *)malloc(n_out);
    TU_REQUIRE(yk && yp && bk && bp, "out of memory");
    double worst = 0.0, scale = 0.0;
    int same = 1;
    for (int s = 0; s < N_SAMPLES; s++) {
        const float *x = xs + (size_t)s * per;
        TU_OK(fk, nnom_model_set_input_f32(fk, 0, x, per));
        TU_OK(fp, nnom_model_set_input_f32(fp, 0, x, per));
        TU_OK(qk, nnom_model_set_input_f32(qk, 0, x, per));
        TU_OK(qp, nnom_model_set_input_f32(qp, 0, x, per));
        TU_OK(fk, nnom_model_run(fk));
        TU_OK(fp, nnom_model_run(fp));
        TU_OK(qk, nnom_model_run(qk));
        TU_OK(qp, nnom_model_run(qp));
        TU_OK(fk, nnom_model_get_output_f32(fk, 0, yk, n_out));
        TU_OK(fp, nnom_model_get_output_f32(fp, 0, yp, n_out));
        TU_OK(qk, nnom_model_get_output_s8(qk, 0, bk, n_out));
        TU_OK(qp, nnom_model_get_output_s8(qp, 0, bp, n_out));
        for (size_t k = 0; k < n_out; k++) {
            const double d = fabs((double)yk[k] - (double)yp[k]);
            if (d > worst) worst = d;
            if (fabs(yk[k]) > scale) scale = fabs(yk[k]);
        }
        same &= memcmp(bk, bp, n_out) == 0;
    }
    TU_CHECK(same, "%s: the pruned int8 model's outputs differ from the unpruned one's", what);
    TU_CHECK(worst <= 1e-5 * (1.0 + scale), "%s: pruned float32 outputs differ by %g (largest output %g)", what,
             worst, scale);
    free(yk);
    free(yp);
    free(bk);
    free(bp);
}

static int32_t channels_of_layer(const nnom_model *m, int32_t id)
{
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    TU_OK(m, nnom_model_layer_info(m, id, &info));
    return info.shape.dims[info.shape.rank - 1];
}

/* Converts the model just built with and without removal; checks counts, outputs and the producers' widths. */
static void check(const char *what, int32_t h, int32_t w, int32_t c, int32_t expect_removed, int32_t expect_layers,
                  const int32_t *producers, const int32_t *widths)
{
    const size_t per = (size_t)h * (size_t)w * (size_t)c;
    float *xs = gb_random_f32(per * 16, 1.0f);
    nnom_converter *keep = convert(xs, 16, 1);
    nnom_converter *pruned = convert(xs, 16, 0);
    int32_t layers = -1;
    TU_CHECK(nnom_converter_removed_channels(keep, NULL) == 0, "%s: channels removed with keep_dead_channels",
             what);
    const int32_t removed = nnom_converter_removed_channels(pruned, &layers);
    TU_CHECK(removed == expect_removed && layers == expect_layers,
             "%s: %d channels removed from %d layers, expected %d from %d", what, (int)removed, (int)layers,
             (int)expect_removed, (int)expect_layers);
    for (int j = 0; producers && producers[j] >= 0; j++) {
        TU_CHECK(channels_of_layer(nnom_converter_int8_model(pruned), producers[j]) == widths[j],
                 "%s: layer %d has %d channels, expected %d", what, (int)producers[j],
                 (int)channels_of_layer(nnom_converter_int8_model(pruned), producers[j]), (int)widths[j]);
        TU_CHECK(channels_of_layer(nnom_converter_float_model(pruned), producers[j]) == widths[j],
                 "%s: float layer %d has the wrong width", what, (int)producers[j]);
    }
    if (removed > 0)
        TU_CHECK(nnom_model_total_macs(nnom_converter_int8_model(pruned)) <
                     nnom_model_total_macs(nnom_converter_int8_model(keep)),
                 "%s: pruning did not lower the MACs", what);
    compare(what, keep, pruned, xs, per);
    nnom_converter_destroy(keep);
    nnom_converter_destroy(pruned);
    nnom_model_destroy(model);
    model = NULL;
}

/* conv 3x3 -> depthwise SAME -> 1x1 conv -> zero padding -> depthwise VALID -> global pool -> dense -> dense */
static void separable_chain(void)
{
    begin(8, 8, 3);
    const int dead1[] = {1, 4, 6, -1};
    const float bias1[] = {-0.5f, 0.3f, -0.2f}; /* 1, 6: output 0 (removable); 4: 0.3 (padding breaks it) */
    const int32_t c1 = conv(0, 3, 8, 3, NNOM_PADDING_SAME, dead1, bias1);
    const int32_t d1 = depthwise(c1, 8, NNOM_PADDING_SAME);
    const int dead2[] = {0, 2, -1};
    const float bias2[] = {-1.0f, 0.4f};        /* 0: zero (removable); 2: 0.4, before zero padding: kept */
    const int32_t c2 = conv(d1, 8, 6, 1, NNOM_PADDING_VALID, dead2, bias2);
    const int32_t pad[4] = {1, 1, 1, 1};
    const int32_t zp = plain(NNOM_LAYER_ZERO_PADDING2D, c2, pad);
    const int32_t d2 = depthwise(zp, 6, NNOM_PADDING_VALID);
    const int32_t gp = plain(NNOM_LAYER_GLOBAL_AVG_POOL, d2, NULL);
    const int dead3[] = {3, -1};
    const float bias3[] = {0.7f};               /* a positive constant straight into a dense: removable */
    const int32_t f1 = dense(gp, 6, 5, NNOM_ACT_RELU, dead3, bias3);
    const int32_t f2 = dense(f1, 5, 4, NNOM_ACT_NONE, NULL, NULL);
    finish(f2);
    const int32_t producers[] = {c1, d1, c2, d2, f1, -1}, widths[] = {6, 6, 5, 5, 4};
    check("separable chain", 8, 8, 3, 4, 3, producers, widths);
}

/* conv 3x3 VALID -> flatten -> dense: a constant channel is every C-th input of the dense layer */
static void flatten_into_dense(void)
{
    begin(5, 5, 2);
    const int dead[] = {0, 5, -1};
    const float bias[] = {0.2f, -0.3f};
    const int32_t c1 = conv(0, 2, 6, 3, NNOM_PADDING_VALID, dead, bias);
    const int32_t fl = plain(NNOM_LAYER_FLATTEN, c1, NULL);
    const int32_t f1 = dense(fl, 3 * 3 * 6, 3, NNOM_ACT_NONE, NULL, NULL);
    finish(f1);
    const int32_t producers[] = {c1, -1}, widths[] = {4};
    check("flatten into dense", 5, 5, 2, 2, 1, producers, widths);
}

/* dead channels that must stay: read by a residual add, by a 3x3 conv, or a model output */
static void not_removable(void)
{
    begin(6, 6, 4);
    const int dead[] = {1, -1};
    const float bias[] = {-0.5f};
    const int32_t c1 = conv(0, 4, 4, 1, NNOM_PADDING_VALID, dead, bias);
    nnom_layer_desc d = NNOM_LAYER_DESC_INIT;
    d.type = NNOM_LAYER_ADD;
    d.n_inputs = 2;
    d.inputs[0] = c1;
    d.inputs[1] = 0;
    int32_t sum;
    TU_OK(model, nnom_model_add_layer(model, &d, &sum));
    const int32_t c2 = conv(sum, 4, 5, 1, NNOM_PADDING_VALID, dead, bias);
    const int32_t c3 = conv(c2, 5, 3, 3, NNOM_PADDING_SAME, dead, bias); /* read by the output: kept */
    (void)c3;
    finish(c3);
    check("not removable", 6, 6, 4, 0, 0, NULL, NULL);
}

/* 1D: a dead channel read by a pointwise conv1d is removed, one read by a conv1d of window 3 is not */
static void conv1d_chain(int32_t window, int32_t expect)
{
    nnom_error err;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, NULL, &model, &err) == NNOM_OK, "%s", err.message);
    nnom_shape shape = {2, {10, 3}};
    nnom_quant q = {1.0f, 0};
    TU_OK(model, nnom_model_add_input(model, "in", shape, q, NULL));
    float *w1 = gb_random_f32(4 * 3, 0.5f), *b1 = gb_random_f32(4, 0.2f);
    memset(w1 + 2 * 3, 0, 3 * sizeof *w1); /* filter 2 dead, output relu(0.25) */
    b1[2] = 0.25f;
    nnom_layer_params p = conv_params(4, 1, NNOM_PADDING_VALID, NNOM_ACT_RELU);
    const int32_t c1 = gb_add_layer(model, NNOM_LAYER_CONV1D, 0, p, w1, 12, b1, 4);
    p = conv_params(2, 1, NNOM_PADDING_VALID, NNOM_ACT_NONE);
    p.kernel[1] = window;
    const size_t n2 = (size_t)2 * (size_t)window * 4;
    const int32_t c2 = gb_add_layer(model, NNOM_LAYER_CONV1D, c1, p, gb_random_f32(n2, 0.5f), n2,
                                    gb_random_f32(2, 0.2f), 2);
    finish(c2);
    const int32_t producers[] = {c1, -1}, widths[] = {4 - expect};
    check(window == 1 ? "conv1d pointwise" : "conv1d window 3", 10, 1, 3, expect, expect, producers, widths);
}

int main(void)
{
    tu_seed(12);
    separable_chain();
    flatten_into_dense();
    not_removable();
    conv1d_chain(1, 1);
    conv1d_chain(3, 0);
    gb_store_reset();
    return tu_finish("test_dead_channels");
}
