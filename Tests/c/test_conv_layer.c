/*
 * CONV1D / CONV2D through the public API: graphs of int8 and float32
 * convolutions against the references of support/conv_ref.c, and every
 * error the layer's infer reports for a malformed description.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv_layer_util.h"
#include "conv_ref.h"
#include "kernels/conv.h"
#include "model_util.h"
#include "test_util.h"

/* ------------------------------------------------------------------ graphs through the public API */

static void kernel_args_of(const conv_layer_spec *s, nnom_conv_args *a)
{
    shape_spec g = {s->one_d ? 1 : s->in_h, s->in_w, s->in_c, s->units, s->one_d ? 1 : s->kh, s->kw,
                    s->sh ? s->sh : 1, s->sw ? s->sw : 1, s->dh ? s->dh : 1, s->dw ? s->dw : 1,
                    s->padding == NNOM_PADDING_SAME};
    TU_REQUIRE(make_geometry(a, &g), "geometry");
}

static void test_graph_s8(void)
{
    static const conv_layer_spec specs[] = {
        {28, 28, 1, 12, 3, 3, 0, 0, 0, 0, NNOM_PADDING_SAME, NNOM_ACT_RELU, 0, 1},
        {9, 7, 5, 6, 3, 2, 2, 1, 1, 2, NNOM_PADDING_VALID, NNOM_ACT_NONE, 0, 1},
        {6, 6, 16, 9, 3, 3, 1, 2, 0, 0, NNOM_PADDING_SAME, NNOM_ACT_RELU6, 0, 0},
        {1, 30, 3, 4, 1, 5, 1, 2, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU, 1, 1},
        {1, 17, 24, 5, 1, 3, 0, 1, 0, 2, NNOM_PADDING_VALID, NNOM_ACT_NONE, 1, 0},
    };
    tu_seed(0xC0DE0005u);
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++) {
        const conv_layer_spec *s = &specs[i];
        conv_blobs b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        const nnom_quant in_q = {0.02f, 5};
        nnom_status st = conv_layer_model(s, &conv_layer_plain, NNOM_DTYPE_S8, &b, in_q, NULL, &m);
        TU_REQUIRE(st == NNOM_OK, "compile: %s", nnom_model_last_error(m));
        nnom_conv_args a;
        kernel_args_of(s, &a);
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, 1, &info));
        const int64_t k = (int64_t)s->kh * s->kw * s->in_c;
        TU_CHECK(info.macs == (uint64_t)a.out_h * (uint64_t)a.out_w * (uint64_t)s->units * (uint64_t)k,
                 "graph %d: macs %lu", i, (unsigned long)info.macs);
        TU_CHECK(info.shape.rank == (s->one_d ? 2 : 3), "graph %d: output rank %d", i, (int)info.shape.rank);
        TU_CHECK(s->one_d ? (info.shape.dims[0] == a.out_w && info.shape.dims[1] == s->units)
                          : (info.shape.dims[0] == a.out_h && info.shape.dims[1] == a.out_w &&
                             info.shape.dims[2] == s->units),
                 "graph %d: output shape (%d, %d, %d)", i, (int)info.shape.dims[0], (int)info.shape.dims[1],
                 (int)info.shape.dims[2]);
        TU_CHECK(info.scratch_bytes > 0 && info.scratch_bytes <= 4096, "graph %d: scratch %u", i,
                 (unsigned)info.scratch_bytes);
        TU_OK(m, nnom_model_alloc_arena(m));
        const int64_t n_in = (int64_t)a.in_h * a.in_w * a.in_c, n_out = (int64_t)a.out_h * a.out_w * a.out_c;
        int8_t *x = (int8_t *)malloc((size_t)n_in), *got = (int8_t *)malloc((size_t)n_out),
               *want = (int8_t *)malloc((size_t)n_out);
        a.in_zp = in_q.zero_point;
        a.out_zp = conv_layer_plain.out_q.zero_point;
        tu_ref_act_bounds_s8(s->activation, conv_layer_plain.out_q, &a.act_min, &a.act_max);
        a.weights = b.w;
        a.bias = s->with_bias ? b.bias : NULL;
        a.multiplier = b.mult;
        a.shift = b.shift;
        for (int rep = 0; rep < 3; rep++) {
            tu_fill_s8(x, (size_t)n_in, -128, 127);
            TU_OK(m, nnom_model_set_input_s8(m, 0, x, (size_t)n_in));
            TU_OK(m, nnom_model_run(m));
            TU_OK(m, nnom_model_get_output_s8(m, 0, got, (size_t)n_out));
            ref_conv_s8(&a, x, want);
            const compare_result r = compare_s8(got, want, n_out);
            TU_CHECK(r.fails == 0, "graph %d run %d: %d of %ld outputs differ, first at %d: %d, expected %d", i, rep,
                     r.fails, (long)n_out, r.first_index, r.got, r.want);
        }
        free(x);
        free(got);
        free(want);
        nnom_model_destroy(m);
        conv_blobs_free(&b);
    }
}

static void test_graph_f32(void)
{
    static const conv_layer_spec specs[] = {
        {10, 9, 3, 8, 3, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU6, 0, 1},
        {8, 8, 2, 3, 2, 3, 2, 3, 2, 1, NNOM_PADDING_VALID, NNOM_ACT_NONE, 0, 0},
        {1, 25, 4, 6, 1, 4, 1, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU, 1, 1},
    };
    tu_seed(0xC0DE0006u);
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++) {
        const conv_layer_spec *s = &specs[i];
        conv_blobs b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        nnom_status st = conv_layer_model(s, &conv_layer_plain, NNOM_DTYPE_F32, &b, (nnom_quant){1.0f, 0}, NULL, &m);
        TU_REQUIRE(st == NNOM_OK, "compile: %s", nnom_model_last_error(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        nnom_conv_args a;
        kernel_args_of(s, &a);
        a.weights = b.wf;
        a.bias = s->with_bias ? b.bf : NULL;
        ref_act_f32(s->activation, &a.act_min_f, &a.act_max_f);
        const int64_t n_in = (int64_t)a.in_h * a.in_w * a.in_c, n_out = (int64_t)a.out_h * a.out_w * a.out_c;
        float *x = (float *)malloc((size_t)n_in * 4), *got = (float *)malloc((size_t)n_out * 4);
        double *want = (double *)malloc((size_t)n_out * 8), *mag = (double *)malloc((size_t)n_out * 8);
        tu_fill_f32(x, (size_t)n_in, -3.0f, 3.0f);
        TU_OK(m, nnom_model_set_input_f32(m, 0, x, (size_t)n_in));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, got, (size_t)n_out));
        ref_conv_f32(&a, x, want, mag);
        int fails = 0;
        for (int64_t j = 0; j < n_out; j++) fails += !(fabs((double)got[j] - want[j]) <= 1e-5 * (mag[j] + 1e-3));
        TU_CHECK(fails == 0, "f32 graph %d: %d of %ld outputs differ", i, fails, (long)n_out);
        free(x);
        free(got);
        free(want);
        free(mag);
        nnom_model_destroy(m);
        conv_blobs_free(&b);
    }
}

/* ------------------------------------------------------------------ infer errors */

static void t_weights_short(nnom_layer_desc *d) { d->blobs[0].size -= 1; }
static void t_weights_long(nnom_layer_desc *d) { d->blobs[0].size += 4; }
static void t_bias_size(nnom_layer_desc *d) { d->blobs[1].size = 8; }
static void t_mult_size(nnom_layer_desc *d) { d->blobs[2].size -= 4; }
static void t_shift_missing(nnom_layer_desc *d) { d->blobs[3] = (nnom_blob){NULL, 0}; }
static void t_shift_31(nnom_layer_desc *d) { ((int32_t *)d->blobs[3].data)[2] = 31; }
static void t_shift_m32(nnom_layer_desc *d) { ((int32_t *)d->blobs[3].data)[0] = -32; }
static void t_mult_negative(nnom_layer_desc *d) { ((int32_t *)d->blobs[2].data)[1] = -5; }
static void t_units_zero(nnom_layer_desc *d) { d->params.units = 0; }
static void t_kernel_zero(nnom_layer_desc *d) { d->params.kernel[1] = 0; }
static void t_kernel_big(nnom_layer_desc *d) { d->params.kernel[0] = 9; }
static void t_stride_negative(nnom_layer_desc *d) { d->params.stride[1] = -1; }
static void t_dilation_huge(nnom_layer_desc *d) { d->params.dilation[0] = 2000000000; }
static void t_padding_bad(nnom_layer_desc *d) { d->params.padding = 3; }
static void t_act_bad(nnom_layer_desc *d) { d->params.activation = 3; }
static void t_extra_blob(nnom_layer_desc *d) { d->blobs[4] = d->blobs[2]; }
static void t_as_1d(nnom_layer_desc *d) { d->type = NNOM_LAYER_CONV1D; }
static void t_weights_misaligned(nnom_layer_desc *d) { d->blobs[0].data = (const int8_t *)d->blobs[0].data + 1; }

typedef struct {
    const char *what;
    void (*tweak)(nnom_layer_desc *);
    nnom_status want;
    const char *needle; /* must appear in the message */
} error_case;

static void test_infer_errors(void)
{
    static const error_case cases[] = {
        {"weights one byte short", t_weights_short, NNOM_ERR_SHAPE, "weights"},
        {"weights too long", t_weights_long, NNOM_ERR_SHAPE, "weights"},
        {"bias of 2", t_bias_size, NNOM_ERR_SHAPE, "bias"},
        {"multipliers short", t_mult_size, NNOM_ERR_SHAPE, "multipliers"},
        {"no shifts", t_shift_missing, NNOM_ERR_SHAPE, "shifts"},
        {"shift 31", t_shift_31, NNOM_ERR_ARGUMENT, "shift[2]"},
        {"shift -32", t_shift_m32, NNOM_ERR_ARGUMENT, "shift[0]"},
        {"negative multiplier", t_mult_negative, NNOM_ERR_ARGUMENT, "multiplier[1]"},
        {"no filters", t_units_zero, NNOM_ERR_SHAPE, "units"},
        {"kernel 0", t_kernel_zero, NNOM_ERR_SHAPE, "kernel[1]"},
        {"kernel larger than the input (valid)", t_kernel_big, NNOM_ERR_SHAPE, "does not fit"},
        {"negative stride", t_stride_negative, NNOM_ERR_SHAPE, "stride[1]"},
        {"huge dilation", t_dilation_huge, NNOM_ERR_SHAPE, "dilation[0]"},
        {"padding 3", t_padding_bad, NNOM_ERR_SHAPE, "padding"},
        {"activation 3", t_act_bad, NNOM_ERR_UNSUPPORTED, "activation"},
        {"blob 4 given", t_extra_blob, NNOM_ERR_SHAPE, "blob 4"},
        {"CONV1D on a rank-3 input", t_as_1d, NNOM_ERR_SHAPE, "rank 2"},
        {"misaligned weights", t_weights_misaligned, NNOM_ERR_FORMAT, "aligned"},
    };
    const conv_layer_spec s = {6, 6, 3, 4, 3, 3, 1, 1, 1, 1, NNOM_PADDING_VALID, NNOM_ACT_RELU, 0, 1};
    for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        conv_blobs b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        const nnom_status st = conv_layer_model(&s, &conv_layer_plain, NNOM_DTYPE_S8, &b, (nnom_quant){0.1f, 0}, cases[i].tweak, &m);
        const char *msg = nnom_model_last_error(m);
        TU_CHECK(st == cases[i].want && strstr(msg, "'c1'") && strstr(msg, cases[i].needle),
                 "%s: %s: %s (expected %s mentioning '%s')", cases[i].what, nnom_status_name(st), msg,
                 nnom_status_name(cases[i].want), cases[i].needle);
        nnom_model_destroy(m);
        conv_blobs_free(&b);
    }

    /* a 1D conv needs kernel[0] = 1 */
    {
        const conv_layer_spec s1 = {1, 12, 3, 2, 2, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE, 1, 1};
        conv_blobs b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        const nnom_status st = conv_layer_model(&s1, &conv_layer_plain, NNOM_DTYPE_S8, &b, (nnom_quant){0.1f, 0}, NULL, &m);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "kernel[0]"), "conv1d kernel[0] 2: %s: %s",
                 nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
        conv_blobs_free(&b);
    }
    /* a 2D conv on a rank-2 input */
    {
        const conv_layer_spec s2 = {1, 12, 3, 2, 1, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE, 1, 1};
        conv_blobs b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        nnom_error err;
        TU_REQUIRE(nnom_model_create(NNOM_DTYPE_S8, NULL, &m, &err) == NNOM_OK, "create");
        int32_t id;
        TU_OK(m, nnom_model_add_input(m, "seq", conv_layer_input_shape(&s2), (nnom_quant){0.1f, 0}, &id));
        nnom_layer_desc d = conv_layer_desc(&s2, &conv_layer_plain, id, NNOM_DTYPE_S8, &b);
        d.type = NNOM_LAYER_CONV2D;
        TU_OK(m, nnom_model_add_layer(m, &d, &id));
        tu_add_output(m, id, NULL);
        const nnom_status st = nnom_model_compile(m);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "rank 3"), "conv2d on (W, C): %s: %s",
                 nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
        conv_blobs_free(&b);
    }
    /* an int8 window beyond NNOM_CONV_MAX_PATCH */
    {
        const conv_layer_spec s3 = {1, 1, 40000, 1, 1, 1, 1, 1, 1, 1, NNOM_PADDING_VALID, NNOM_ACT_NONE, 0, 0};
        conv_blobs b;
        memset(&b, 0, sizeof b);
        nnom_model *m = NULL;
        const nnom_status st = conv_layer_model(&s3, &conv_layer_plain, NNOM_DTYPE_S8, &b, (nnom_quant){0.1f, 0}, NULL, &m);
        TU_CHECK(st == NNOM_ERR_UNSUPPORTED && strstr(nnom_model_last_error(m), "40000"), "patch 40000: %s: %s",
                 nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
        conv_blobs_free(&b);
    }
    /* limits checked before any blob is looked at */
    {
        static const struct {
            const char *what;
            nnom_layer_type type;
            nnom_dtype dtype;
            int32_t in_rank, in_c, units, k, dilation;
            nnom_status want;
            const char *needle;
        } limits[] = {
            {"rank-1 input", NNOM_LAYER_CONV2D, NNOM_DTYPE_S8, 1, 8, 2, 1, 1, NNOM_ERR_SHAPE, "shape (8)"},
            {"dilated span beyond 2^24", NNOM_LAYER_CONV2D, NNOM_DTYPE_S8, 3, 2, 2, 5, 1 << 23, NNOM_ERR_UNSUPPORTED,
             "spans"},
            {"weights beyond 4 GB", NNOM_LAYER_CONV2D, NNOM_DTYPE_F32, 3, 4096, 1 << 20, 1, 1, NNOM_ERR_SHAPE,
             "too many"},
            {"2^25 depthwise channels", NNOM_LAYER_DEPTHWISE_CONV2D, NNOM_DTYPE_F32, 3, 4, 1 << 23, 1, 1,
             NNOM_ERR_SHAPE, "output channels"},
        };
        for (int i = 0; i < (int)(sizeof limits / sizeof limits[0]); i++) {
            nnom_model *m = NULL;
            nnom_error err;
            TU_REQUIRE(nnom_model_create(limits[i].dtype, NULL, &m, &err) == NNOM_OK, "create");
            nnom_shape sh;
            memset(&sh, 0, sizeof sh);
            sh.rank = limits[i].in_rank;
            for (int32_t r = 0; r < sh.rank; r++) sh.dims[r] = r == sh.rank - 1 ? limits[i].in_c : 6;
            int32_t id;
            TU_OK(m, nnom_model_add_input(m, "x", sh, (nnom_quant){0.1f, 0}, &id));
            nnom_layer_desc d;
            nnom_layer_desc_init(&d);
            d.type = limits[i].type;
            d.name = "c1";
            d.n_inputs = 1;
            d.inputs[0] = id;
            d.params.kernel[0] = d.params.kernel[1] = limits[i].k;
            d.params.dilation[0] = d.params.dilation[1] = limits[i].dilation;
            d.params.padding = NNOM_PADDING_SAME;
            d.params.units = limits[i].units;
            d.quant = (nnom_quant){0.1f, 0};
            TU_OK(m, nnom_model_add_layer(m, &d, &id));
            tu_add_output(m, id, NULL);
            const nnom_status st = nnom_model_compile(m);
            const char *msg = nnom_model_last_error(m);
            TU_CHECK(st == limits[i].want && strstr(msg, "'c1'") && strstr(msg, limits[i].needle),
                     "%s: %s: %s (expected %s mentioning '%s')", limits[i].what, nnom_status_name(st), msg,
                     nnom_status_name(limits[i].want), limits[i].needle);
            nnom_model_destroy(m);
        }
    }
    /* a float model takes no requantisation blobs */
    {
        const conv_layer_spec s4 = {5, 5, 2, 3, 3, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE, 0, 1};
        conv_blobs b;
        memset(&b, 0, sizeof b);
        static int32_t junk[3];
        nnom_model *m = NULL;
        nnom_error err;
        TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, NULL, &m, &err) == NNOM_OK, "create");
        int32_t id;
        TU_OK(m, nnom_model_add_input(m, "image", conv_layer_input_shape(&s4), (nnom_quant){1.0f, 0}, &id));
        nnom_layer_desc d = conv_layer_desc(&s4, &conv_layer_plain, id, NNOM_DTYPE_F32, &b);
        d.blobs[2] = (nnom_blob){junk, sizeof junk};
        TU_OK(m, nnom_model_add_layer(m, &d, &id));
        tu_add_output(m, id, NULL);
        const nnom_status st = nnom_model_compile(m);
        TU_CHECK(st == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "blob 2"), "f32 with blob 2: %s: %s",
                 nnom_status_name(st), nnom_model_last_error(m));
        nnom_model_destroy(m);
        conv_blobs_free(&b);
    }
}

int main(void)
{
    test_graph_s8();
    test_graph_f32();
    test_infer_errors();
    return tu_finish("test_conv_layer");
}
