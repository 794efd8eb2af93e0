/*
 * Zero paddings folded into convolutions by the converter
 * (Sources/nnom_tools/common/fold_padding.c) and the explicit convolution padding that
 * carries them (NNOM_PADDING_EXPLICIT, layers/conv.c).
 *
 * Float32 models built here with ZERO_PADDING1D/2D layers before convolutions are
 * converted; the test knows from how it built each model which paddings fold (read
 * only by one VALID convolution of their rank, pads at most the kernel's span - 1) and
 * checks the count and the layers left. The references for the values: the float32
 * model as built (paddings as layers), and its int8 twin made of the converted
 * model's constants and quantisations in the graph as built, its paddings the
 * runtime's own ZERO_PADDING layers (which write the zero point) before VALID
 * convolutions; the int8 outputs must be the same bytes and the float32 ones the
 * same values, on random inputs. The folded model also goes
 * through a .nnom file and back. A MobileNetV1's tiled arena is no larger folded than as built. Bad
 * explicit paddings are refused with a message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_util.h"
#include "graph_util.h"
#include "nnom/tools.h"

#define N_SAMPLES 6

static nnom_model *model;

static nnom_layer_params window(int32_t kh, int32_t kw, int32_t stride, int32_t dil, int32_t padding)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.kernel[0] = kh;
    p.kernel[1] = kw;
    p.stride[0] = p.stride[1] = stride;
    p.dilation[0] = p.dilation[1] = dil;
    if (kh == 1) p.stride[0] = p.dilation[0] = 1; /* 1D */
    p.padding = padding;
    p.activation = NNOM_ACT_RELU;
    return p;
}

static int32_t conv(nnom_layer_type type, int32_t in, int32_t cin, int32_t filters, nnom_layer_params p)
{
    p.units = filters;
    const size_t n = (size_t)filters * (size_t)p.kernel[0] * (size_t)p.kernel[1] * (size_t)cin;
    return gb_add_layer(model, type, in, p, gb_random_f32(n, 0.5f), n, gb_random_f32((size_t)filters, 0.2f),
                        (size_t)filters);
}

static int32_t depthwise(nnom_layer_type type, int32_t in, int32_t channels, nnom_layer_params p)
{
    p.units = 1;
    const size_t n = (size_t)p.kernel[0] * (size_t)p.kernel[1] * (size_t)channels;
    return gb_add_layer(model, type, in, p, gb_random_f32(n, 0.6f), n, gb_random_f32((size_t)channels, 0.3f),
                        (size_t)channels);
}

static int32_t plain(nnom_layer_type type, int32_t in, int32_t top, int32_t bottom, int32_t left, int32_t right)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.pad[0] = top;
    p.pad[1] = bottom;
    p.pad[2] = left;
    p.pad[3] = right;
    p.kernel[0] = p.kernel[1] = 2; /* read by MAX_POOL2D only */
    return gb_add_layer(model, type, in, p, NULL, 0, NULL, 0);
}

static void begin(const nnom_shape *s)
{
    nnom_error err;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, NULL, &model, &err) == NNOM_OK, "%s", err.message);
    nnom_quant q = {1.0f, 0};
    TU_OK(model, nnom_model_add_input(model, "in", *s, q, NULL));
}

/* The layer of @p m named @p name. */
static int32_t find(const nnom_model *m, const char *name)
{
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, i, &info));
        if (strcmp(info.name, name) == 0) return i;
    }
    TU_REQUIRE(0, "no layer '%s' in the converted model", name);
    return -1;
}

/* The graph of @p built (the float32 model as this file built it, paddings as layers) with the constants,
 * quantisation and remaining parameters of the converted model @p conv: the unfolded twin of @p conv. Its
 * paddings are the runtime's ZERO_PADDING layers (int8: their input's quantisation; they write its zero
 * point), its convolutions VALID as built. Compiled, with an arena. */
static nnom_model *unfolded(const nnom_model *built, const nnom_model *conv)
{
    nnom_error err;
    nnom_model *r;
    TU_REQUIRE(nnom_model_create(nnom_model_dtype(conv), NULL, &r, &err) == NNOM_OK, "%s", err.message);
    for (int32_t i = 0; i < nnom_model_layer_count(built); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(built, nnom_model_layer_info(built, i, &info));
        if (info.type == NNOM_LAYER_INPUT) {
            nnom_layer_info q = NNOM_LAYER_INFO_INIT;
            TU_OK(conv, nnom_model_layer_info(conv, find(conv, info.name), &q));
            TU_OK(r, nnom_model_add_input(r, info.name, info.shape, q.quant, NULL));
            continue;
        }
        nnom_layer_desc d = NNOM_LAYER_DESC_INIT;
        d.type = info.type;
        d.name = info.name;
        d.n_inputs = info.n_inputs;
        memcpy(d.inputs, info.inputs, sizeof d.inputs); /* the same ids: one layer here per layer built */
        d.params = info.params;
        if (info.type == NNOM_LAYER_ZERO_PADDING1D || info.type == NNOM_LAYER_ZERO_PADDING2D) {
            nnom_layer_info src = NNOM_LAYER_INFO_INIT;
            TU_OK(r, nnom_model_layer_info(r, info.inputs[0], &src));
            d.quant = src.quant;
        } else {
            const int32_t j = find(conv, info.name);
            nnom_layer_info q = NNOM_LAYER_INFO_INIT;
            TU_OK(conv, nnom_model_layer_info(conv, j, &q));
            d.quant = q.quant;
            d.params = q.params;
            d.params.padding = info.params.padding;
            memcpy(d.params.pad, info.params.pad, sizeof d.params.pad);
            TU_OK(conv, nnom_model_layer_blobs(conv, j, d.blobs));
        }
        TU_OK(r, nnom_model_add_layer(r, &d, NULL));
    }
    TU_OK(r, nnom_model_compile(r));
    TU_OK(r, nnom_model_alloc_arena(r));
    return r;
}

static int32_t count_explicit(const nnom_model *m)
{
    int32_t n = 0;
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, i, &info));
        n += info.params.padding == NNOM_PADDING_EXPLICIT;
    }
    return n;
}

/* Runs @p a and @p b on the samples; int8: the same bytes, float32: the same values up to @p tol. */
static void same_outputs(const char *what, nnom_model *a, nnom_model *b, const float *xs, size_t per, double tol)
{
    nnom_tensor_info out;
    TU_OK(a, nnom_model_output_info(a, 0, &out));
    const size_t n = (size_t)out.count;
    float *ya = (float *)malloc(n * sizeof *ya), *yb = (float *)malloc(n * sizeof *yb);
    int8_t *qa = (int8_t *)malloc(n), *qb = (int8_t *)malloc(n);
    TU_REQUIRE(ya && yb && qa && qb, "out of memory");
    const int int8 = nnom_model_dtype(a) == NNOM_DTYPE_S8;
    double worst = 0.0;
    int same = 1;
    for (int s = 0; s < N_SAMPLES; s++) {
        TU_OK(a, nnom_model_set_input_f32(a, 0, xs + (size_t)s * per, per));
        TU_OK(b, nnom_model_set_input_f32(b, 0, xs + (size_t)s * per, per));
        TU_OK(a, nnom_model_run(a));
        TU_OK(b, nnom_model_run(b));
        if (int8) {
            TU_OK(a, nnom_model_get_output_s8(a, 0, qa, n));
            TU_OK(b, nnom_model_get_output_s8(b, 0, qb, n));
            same &= memcmp(qa, qb, n) == 0;
        } else {
            TU_OK(a, nnom_model_get_output_f32(a, 0, ya, n));
            TU_OK(b, nnom_model_get_output_f32(b, 0, yb, n));
            const double d = tu_max_abs_diff_f32(ya, yb, n);
            if (d > worst) worst = d;
        }
    }
    TU_CHECK(same, "%s: the int8 outputs differ from the unfolded model's", what);
    TU_CHECK(worst <= tol, "%s: float32 outputs differ from the unfolded model's by %g", what, worst);
    free(ya);
    free(yb);
    free(qa);
    free(qb);
}

static int32_t count_type(const nnom_model *m, nnom_layer_type type)
{
    int32_t n = 0;
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, i, &info));
        n += info.type == type;
    }
    return n;
}

/* Converts the model just built; checks the count, the layers left, and the outputs against the unfolded model. */
static void check(const char *what, size_t per, int32_t expect_folded, int32_t expect_left)
{
    TU_OK(model, nnom_model_compile(model));
    float *xs = gb_random_f32(per * 16, 1.0f);
    const int32_t layers_before = nnom_model_layer_count(model);
    nnom_converter *c;
    nnom_error err;
    TU_REQUIRE(nnom_converter_from_model(model, &c, &err) == NNOM_OK, "%s", err.message);
    TU_CHECK(nnom_converter_folded_paddings(c) == 0, "%s: paddings folded before quantising", what);
    TU_REQUIRE(nnom_converter_quantize(c, xs, 16, NULL) == NNOM_OK, "%s: quantise: %s", what,
               nnom_converter_last_error(c));
    nnom_model *fm = nnom_converter_float_model(c), *qm = nnom_converter_int8_model(c);
    const int32_t folded = nnom_converter_folded_paddings(c);
    TU_CHECK(folded == expect_folded, "%s: %d paddings folded, expected %d", what, (int)folded, (int)expect_folded);
    TU_CHECK(nnom_model_layer_count(qm) == layers_before - expect_folded &&
                 nnom_model_layer_count(fm) == layers_before - expect_folded,
             "%s: %d int8 and %d float layers, expected %d", what, (int)nnom_model_layer_count(qm),
             (int)nnom_model_layer_count(fm), (int)(layers_before - expect_folded));
    const int32_t left = count_type(qm, NNOM_LAYER_ZERO_PADDING2D) + count_type(qm, NNOM_LAYER_ZERO_PADDING1D);
    TU_CHECK(left == expect_left, "%s: %d zero paddings left, expected %d", what, (int)left, (int)expect_left);

    TU_OK(fm, nnom_model_alloc_arena(fm));
    TU_OK(qm, nnom_model_alloc_arena(qm));
    TU_CHECK(count_explicit(qm) == expect_folded && count_explicit(fm) == expect_folded,
             "%s: %d int8 and %d float convolutions with explicit padding, expected %d", what,
             (int)count_explicit(qm), (int)count_explicit(fm), (int)expect_folded);
    nnom_model *uq = unfolded(model, qm);
    TU_OK(model, nnom_model_alloc_arena(model));
    same_outputs(what, qm, uq, xs, per, 0.0);
    same_outputs(what, fm, model, xs, per, 1e-6);

    /* the folded int8 model through a .nnom file (format 1.9: padding 2 and its pads) */
    char path[512];
    snprintf(path, sizeof path, "%s", tu_tmp_path("folded.nnom"));
    TU_REQUIRE(nnom_converter_save(c, path) == NNOM_OK, "%s: save: %s", what, nnom_converter_last_error(c));
    size_t size = 0;
    void *bytes = tu_read_file(path, &size);
    remove(path);
    TU_REQUIRE(bytes, "%s: cannot read the saved file", what);
    nnom_model *loaded;
    TU_REQUIRE(nnom_model_load(bytes, size, NULL, &loaded, &err) == NNOM_OK, "%s: load: %s", what, err.message);
    TU_OK(loaded, nnom_model_alloc_arena(loaded));
    same_outputs(what, loaded, uq, xs, per, 0.0);
    nnom_model_destroy(loaded);
    free(bytes);

    nnom_model_destroy(uq);
    nnom_converter_destroy(c);
    nnom_model_destroy(model);
    model = NULL;
}

/* MobileNet's pattern and its neighbours: paddings that fold and paddings that must stay. */
static void two_d(void)
{
    const nnom_shape s = {3, {11, 9, 3}};
    begin(&s);
    const int32_t c1 = conv(NNOM_LAYER_CONV2D, 0, 3, 6, window(3, 3, 1, 1, NNOM_PADDING_SAME));
    /* ZeroPadding2D(((0, 1), (0, 1))) + stride-2 depthwise VALID (Keras' MobileNet): folds */
    const int32_t p1 = plain(NNOM_LAYER_ZERO_PADDING2D, c1, 0, 1, 0, 1);
    const int32_t d1 = depthwise(NNOM_LAYER_DEPTHWISE_CONV2D, p1, 6, window(3, 3, 2, 1, NNOM_PADDING_VALID));
    /* asymmetric pads up to the span - 1 before a conv: folds */
    const int32_t p2 = plain(NNOM_LAYER_ZERO_PADDING2D, d1, 2, 1, 0, 2);
    const int32_t c2 = conv(NNOM_LAYER_CONV2D, p2, 6, 5, window(3, 3, 1, 1, NNOM_PADDING_VALID));
    /* dilated depthwise (span 5): pads up to 4 fold */
    const int32_t p3 = plain(NNOM_LAYER_ZERO_PADDING2D, c2, 4, 3, 1, 4);
    const int32_t d3 = depthwise(NNOM_LAYER_DEPTHWISE_CONV2D, p3, 5, window(3, 3, 1, 2, NNOM_PADDING_VALID));
    /* a pad of 3 before a 3x3 kernel: stays a layer */
    const int32_t p4 = plain(NNOM_LAYER_ZERO_PADDING2D, d3, 3, 0, 0, 0);
    const int32_t c4 = conv(NNOM_LAYER_CONV2D, p4, 5, 4, window(3, 3, 2, 1, NNOM_PADDING_VALID));
    /* before a SAME convolution: stays */
    const int32_t p5 = plain(NNOM_LAYER_ZERO_PADDING2D, c4, 1, 1, 1, 1);
    const int32_t c5 = conv(NNOM_LAYER_CONV2D, p5, 4, 4, window(3, 3, 1, 1, NNOM_PADDING_SAME));
    /* before a pool (whose windows count real cells): stays */
    const int32_t p6 = plain(NNOM_LAYER_ZERO_PADDING2D, c5, 0, 1, 0, 1);
    nnom_layer_params pool = window(2, 2, 2, 1, NNOM_PADDING_VALID);
    pool.activation = NNOM_ACT_NONE;
    pool.dilation[0] = pool.dilation[1] = 0;
    const int32_t mp = gb_add_layer(model, NNOM_LAYER_MAX_POOL2D, p6, pool, NULL, 0, NULL, 0);
    /* read by two layers: stays */
    const int32_t p7 = plain(NNOM_LAYER_ZERO_PADDING2D, mp, 1, 1, 1, 1);
    const int32_t d7 = depthwise(NNOM_LAYER_DEPTHWISE_CONV2D, p7, 4, window(3, 3, 1, 1, NNOM_PADDING_VALID));
    nnom_layer_desc sum = NNOM_LAYER_DESC_INIT;
    sum.type = NNOM_LAYER_ADD;
    sum.n_inputs = 2;
    sum.inputs[0] = d7;
    const int32_t c7 = conv(NNOM_LAYER_CONV2D, p7, 4, 4, window(3, 3, 1, 1, NNOM_PADDING_VALID));
    sum.inputs[1] = c7;
    int32_t added;
    TU_OK(model, nnom_model_add_layer(model, &sum, &added));
    plain(NNOM_LAYER_OUTPUT, added, 0, 0, 0, 0);
    check("2D", 11 * 9 * 3, 3, 4);
}

/* ZeroPadding1D + Conv1D / DepthwiseConv1D */
static void one_d(void)
{
    const nnom_shape s = {2, {13, 4}};
    begin(&s);
    const int32_t p1 = plain(NNOM_LAYER_ZERO_PADDING1D, 0, 0, 0, 2, 1);
    const int32_t c1 = conv(NNOM_LAYER_CONV1D, p1, 4, 5, window(1, 3, 1, 1, NNOM_PADDING_VALID));
    const int32_t p2 = plain(NNOM_LAYER_ZERO_PADDING1D, c1, 0, 0, 0, 4);
    const int32_t d2 = depthwise(NNOM_LAYER_DEPTHWISE_CONV1D, p2, 5, window(1, 5, 2, 1, NNOM_PADDING_VALID));
    plain(NNOM_LAYER_OUTPUT, d2, 0, 0, 0, 0);
    check("1D", 13 * 4, 2, 0);
}

/* MobileNetV1 (alpha 0.25, 96x96x3; Keras' MobileNet without its classifier): a convolution, then depthwise
 * (3x3, SAME at stride 1; ZeroPadding2D(((0, 1), (0, 1))) + VALID at stride 2) and 1x1 convolution blocks. Its
 * tiled plan is no larger with its four paddings folded than with them as layers (the tiler folds them in
 * its stage itself): folding saves work, which must not shrink the tiling's budget (before, 2,304 B more:
 * 12 x 2 rows instead of 24 x 1). */
static void mobilenet(void)
{
    static const struct {
        int32_t filters, stride;
    } blocks[] = {{16, 1}, {32, 2}, {32, 1}, {64, 2}, {64, 1}, {128, 2}, {128, 1},
                  {128, 1}, {128, 1}, {128, 1}, {128, 1}, {256, 2}, {256, 1}};
    const nnom_shape s = {3, {96, 96, 3}};
    const size_t per = 96 * 96 * 3;
    begin(&s);
    int32_t h = conv(NNOM_LAYER_CONV2D, 0, 3, 8, window(3, 3, 2, 1, NNOM_PADDING_SAME)), channels = 8;
    for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
        if (blocks[k].stride == 2) {
            const int32_t pad = plain(NNOM_LAYER_ZERO_PADDING2D, h, 0, 1, 0, 1);
            h = depthwise(NNOM_LAYER_DEPTHWISE_CONV2D, pad, channels, window(3, 3, 2, 1, NNOM_PADDING_VALID));
        } else {
            h = depthwise(NNOM_LAYER_DEPTHWISE_CONV2D, h, channels, window(3, 3, 1, 1, NNOM_PADDING_SAME));
        }
        h = conv(NNOM_LAYER_CONV2D, h, channels, blocks[k].filters, window(1, 1, 1, 1, NNOM_PADDING_VALID));
        channels = blocks[k].filters;
    }
    plain(NNOM_LAYER_OUTPUT, h, 0, 0, 0, 0);
    TU_OK(model, nnom_model_compile(model));
    float *xs = gb_random_f32(per * N_SAMPLES, 1.0f);
    nnom_converter *c;
    nnom_error err;
    TU_REQUIRE(nnom_converter_from_model(model, &c, &err) == NNOM_OK, "%s", err.message);
    TU_REQUIRE(nnom_converter_quantize(c, xs, N_SAMPLES, NULL) == NNOM_OK, "MobileNet: quantise: %s",
               nnom_converter_last_error(c));
    TU_CHECK(nnom_converter_folded_paddings(c) == 4, "MobileNet: %d paddings folded, expected 4",
             (int)nnom_converter_folded_paddings(c));
    nnom_model *qm = nnom_converter_int8_model(c);
    TU_OK(qm, nnom_model_alloc_arena(qm));
    nnom_model *uq = unfolded(model, qm);
    nnom_tiling_info tf, tu;
    nnom_tiling_info_init(&tf);
    nnom_tiling_info_init(&tu);
    TU_OK(qm, nnom_model_tiling(qm, &tf));
    TU_OK(uq, nnom_model_tiling(uq, &tu));
    const size_t folded = nnom_model_arena_size(qm), as_built = nnom_model_arena_size(uq);
    TU_CHECK(tu.first_layer >= 0 && tu.saved_bytes > 0, "MobileNet: the unfolded model is not tiled");
    TU_CHECK(folded <= as_built,
             "MobileNet: arena %zu B with the paddings folded (%d x %d rows, +%llu MACs), %zu B with them as "
             "layers (%d x %d rows, +%llu MACs)",
             folded, (int)tf.tiles, (int)tf.rows_per_tile, (unsigned long long)tf.extra_macs, as_built,
             (int)tu.tiles, (int)tu.rows_per_tile, (unsigned long long)tu.extra_macs);
    same_outputs("MobileNet", qm, uq, xs, per, 0.0);
    nnom_model_destroy(uq);
    nnom_converter_destroy(c);
    nnom_model_destroy(model);
    model = NULL;
}

/* Explicit pads the runtime refuses, with a message naming the pad. */
static void refused(void)
{
    static const struct {
        nnom_layer_type type;
        int32_t padding, pad[4];
        const char *says;
    } cases[] = {
        {NNOM_LAYER_CONV2D, NNOM_PADDING_EXPLICIT, {0, 3, 0, 0}, "explicit pad bottom is 3, expected 0 to 2"},
        {NNOM_LAYER_DEPTHWISE_CONV2D, NNOM_PADDING_EXPLICIT, {0, 0, -1, 0}, "explicit pad left is -1"},
        {NNOM_LAYER_CONV2D, NNOM_PADDING_VALID, {1, 0, 0, 0}, "pad top is 1, expected 0 (padding is not explicit)"},
        {NNOM_LAYER_CONV1D, NNOM_PADDING_EXPLICIT, {1, 0, 0, 0}, "pad top is 1, expected 0 (a 1D convolution"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const int one = cases[k].type == NNOM_LAYER_CONV1D;
        const nnom_shape s = one ? (nnom_shape){2, {8, 2}} : (nnom_shape){3, {6, 6, 2}};
        begin(&s);
        nnom_layer_params p = window(one ? 1 : 3, 3, 1, 1, cases[k].padding);
        memcpy(p.pad, cases[k].pad, sizeof p.pad);
        const int32_t l = cases[k].type == NNOM_LAYER_DEPTHWISE_CONV2D ? depthwise(cases[k].type, 0, 2, p)
                                                                       : conv(cases[k].type, 0, 2, 2, p);
        plain(NNOM_LAYER_OUTPUT, l, 0, 0, 0, 0);
        const nnom_status st = nnom_model_compile(model);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(model), cases[k].says),
                 "case %d: status %d, message '%s', expected one with '%s'", (int)k, (int)st,
                 nnom_model_last_error(model), cases[k].says);
        nnom_model_destroy(model);
        model = NULL;
    }
}

int main(void)
{
    tu_seed(12);
    tu_tmp_dir_make("nnom_fold_padding");
    two_d();
    one_d();
    mobilenet();
    refused();
    gb_store_reset();
    tu_tmp_dir_remove();
    return tu_finish("test_fold_padding");
}
