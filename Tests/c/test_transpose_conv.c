/*
 * CONV1D_TRANSPOSE / CONV2D_TRANSPOSE: the kernels against a reference written here the other way
 * round (every input value scattered over the full output, which is then cropped, rather than every
 * output gathering its taps), on random shapes, strides, kernels and crops (negative ones adding
 * rows and columns); int8 with the spec's requantisation; graphs through the public API in both
 * element types; the errors of bad parameters and blobs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/transpose_conv.h"
#include "model_util.h"

typedef struct geom {
    int32_t ih, iw, ic, oc, kh, kw, sh, sw, top, bottom, left, right, oh, ow;
} geom;

static geom random_geom(int one_d)
{
    geom g;
    g.ih = one_d ? 1 : tu_rand_int(1, 5);
    g.iw = tu_rand_int(1, 6);
    g.ic = tu_rand_int(1, 5);
    g.oc = tu_rand_int(1, 5);
    g.kh = one_d ? 1 : tu_rand_int(1, 4);
    g.kw = tu_rand_int(1, 4);
    g.sh = one_d ? 1 : tu_rand_int(1, 3);
    g.sw = tu_rand_int(1, 3);
    const int32_t fh = (g.ih - 1) * g.sh + g.kh, fw = (g.iw - 1) * g.sw + g.kw;
    g.top = one_d ? 0 : tu_rand_int(0, (fh - 1) / 2);
    g.bottom = one_d ? 0 : tu_rand_int(-2, (fh - 1) / 2);
    g.left = tu_rand_int(0, (fw - 1) / 2);
    g.right = tu_rand_int(-2, (fw - 1) / 2);
    g.oh = fh - g.top - g.bottom;
    g.ow = fw - g.left - g.right;
    return g;
}

/* full[(fh + 2) x (fw + 2)] (room for negative crops) in double: the scatter of every input value */
static double *scatter(const geom *g, const double *in, const double *w, const double *bias, int32_t *fh_out,
                       int32_t *fw_out)
{
    const int32_t fh = (g->ih - 1) * g->sh + g->kh + 2, fw = (g->iw - 1) * g->sw + g->kw + 2;
    double *full = (double *)calloc((size_t)fh * fw * g->oc, sizeof(double));
    TU_REQUIRE(full != NULL, "out of memory");
    for (int32_t y = 0; y < fh; y++)
        for (int32_t x = 0; x < fw; x++)
            for (int32_t o = 0; o < g->oc; o++) full[((size_t)y * fw + x) * g->oc + o] = bias ? bias[o] : 0.0;
    for (int32_t i = 0; i < g->ih; i++)
        for (int32_t j = 0; j < g->iw; j++)
            for (int32_t c = 0; c < g->ic; c++)
                for (int32_t ky = 0; ky < g->kh; ky++)
                    for (int32_t kx = 0; kx < g->kw; kx++)
                        for (int32_t o = 0; o < g->oc; o++)
                            full[(((size_t)(i * g->sh + ky)) * fw + (size_t)(j * g->sw + kx)) * g->oc + o] +=
                                in[((size_t)i * g->iw + j) * g->ic + c] *
                                w[(((size_t)o * g->kh + ky) * g->kw + kx) * g->ic + c];
    *fh_out = fh;
    *fw_out = fw;
    return full;
}

static nnom_transpose_conv_args args_of(const geom *g)
{
    nnom_transpose_conv_args a;
    memset(&a, 0, sizeof a);
    a.in_h = g->ih, a.in_w = g->iw, a.in_c = g->ic, a.out_h = g->oh, a.out_w = g->ow, a.out_c = g->oc;
    a.k_h = g->kh, a.k_w = g->kw, a.stride_h = g->sh, a.stride_w = g->sw, a.crop_top = g->top, a.crop_left = g->left;
    return a;
}

static void test_kernels(void)
{
    for (int trial = 0; trial < 300; trial++) {
        const geom g = random_geom(trial % 4 == 0);
        const size_t n_in = (size_t)g.ih * g.iw * g.ic, n_w = (size_t)g.oc * g.kh * g.kw * g.ic;
        const size_t n_out = (size_t)g.oh * g.ow * g.oc;
        int8_t *x8 = malloc(n_in), *w8 = malloc(n_w), *y8 = malloc(n_out);
        int32_t *b32 = malloc((size_t)g.oc * 4), *mult = malloc((size_t)g.oc * 4), *shift = malloc((size_t)g.oc * 4);
        float *xf = malloc(n_in * 4), *wf = malloc(n_w * 4), *bf = malloc((size_t)g.oc * 4), *yf = malloc(n_out * 4);
        double *xd = malloc(n_in * 8), *wd = malloc(n_w * 8), *bd = malloc((size_t)g.oc * 8);
        TU_REQUIRE(x8 && w8 && y8 && b32 && mult && shift && xf && wf && bf && yf && xd && wd && bd, "memory");
        const int32_t in_zp = tu_rand_int(-20, 20), out_zp = tu_rand_int(-20, 20);
        tu_fill_s8(x8, n_in, -128, 127);
        tu_fill_s8(w8, n_w, -127, 127);
        tu_fill_s32(b32, (size_t)g.oc, -3000, 3000);
        for (int32_t o = 0; o < g.oc; o++) tu_ref_multiplier(tu_rand_float(0.0005f, 0.01f), &mult[o], &shift[o]);
        const int relu = trial % 3 == 0;
        nnom_transpose_conv_args a = args_of(&g);
        a.weights = w8;
        a.bias = trial % 5 == 0 ? NULL : b32;
        a.in_zp = in_zp, a.out_zp = out_zp, a.multiplier = mult, a.shift = shift;
        a.act_min = relu ? out_zp : -128, a.act_max = 127;
        nnom_transpose_conv_s8(&a, x8, y8);
        for (size_t i = 0; i < n_in; i++) xd[i] = x8[i] - in_zp;
        for (size_t i = 0; i < n_w; i++) wd[i] = w8[i];
        for (int32_t o = 0; o < g.oc; o++) bd[o] = b32[o];
        int32_t fh, fw;
        double *full = scatter(&g, xd, wd, a.bias ? bd : NULL, &fh, &fw);
        int bad = 0;
        for (int32_t y = 0; y < g.oh && !bad; y++)
            for (int32_t x = 0; x < g.ow && !bad; x++)
                for (int32_t o = 0; o < g.oc && !bad; o++) {
                    const int64_t acc = (int64_t)full[((size_t)(y + g.top) * fw + (size_t)(x + g.left)) * g.oc + o];
                    const int32_t want =
                        tu_clamp(tu_ref_requantize(acc, mult[o], shift[o]) + out_zp, a.act_min, 127);
                    const int8_t got = y8[((size_t)y * g.ow + x) * g.oc + o];
                    TU_CHECK(got == want, "s8 trial %d (%d, %d, %d): %d, expected %d", trial, y, x, o, got, want);
                    bad = got != want;
                }
        free(full);
        /* float32 */
        tu_fill_f32(xf, n_in, -1.0f, 1.0f);
        tu_fill_f32(wf, n_w, -1.0f, 1.0f);
        tu_fill_f32(bf, (size_t)g.oc, -1.0f, 1.0f);
        a.weights = wf;
        a.bias = bf;
        a.act_min_f = relu ? 0.0f : -INFINITY;
        a.act_max_f = INFINITY;
        nnom_transpose_conv_f32(&a, xf, yf);
        for (size_t i = 0; i < n_in; i++) xd[i] = xf[i];
        for (size_t i = 0; i < n_w; i++) wd[i] = wf[i];
        for (int32_t o = 0; o < g.oc; o++) bd[o] = bf[o];
        full = scatter(&g, xd, wd, bd, &fh, &fw);
        double worst = 0.0;
        for (int32_t y = 0; y < g.oh; y++)
            for (int32_t x = 0; x < g.ow; x++)
                for (int32_t o = 0; o < g.oc; o++) {
                    double r = full[((size_t)(y + g.top) * fw + (size_t)(x + g.left)) * g.oc + o];
                    if (relu && r < 0.0) r = 0.0;
                    worst = fmax(worst, fabs(yf[((size_t)y * g.ow + x) * g.oc + o] - r));
                }
        TU_CHECK(worst <= 1e-5, "f32 trial %d: max error %g", trial, worst);
        free(full);
        free(x8), free(w8), free(y8), free(b32), free(mult), free(shift), free(xf), free(wf), free(bf), free(yf);
        free(xd), free(wd), free(bd);
    }
}

/* A bias at the end of the int32 range: the sum saturates instead of overflowing. */
static void test_bias_saturation(void)
{
    const int8_t x[1] = {100}, w[1] = {127};
    const int32_t bias[1] = {INT32_MAX - 5}, nbias[1] = {INT32_MIN + 5};
    int32_t mult, shift;
    tu_ref_multiplier(1.0 / 16777216.0, &mult, &shift);
    nnom_transpose_conv_args a;
    memset(&a, 0, sizeof a);
    a.in_h = a.in_w = a.in_c = a.out_h = a.out_w = a.out_c = a.k_h = a.k_w = a.stride_h = a.stride_w = 1;
    a.weights = w;
    a.bias = bias;
    a.multiplier = &mult;
    a.shift = &shift;
    a.act_min = -128;
    a.act_max = 127;
    int8_t y[1];
    nnom_transpose_conv_s8(&a, x, y);
    const int32_t want = tu_clamp(tu_ref_requantize(INT32_MAX, mult, shift), -128, 127);
    TU_CHECK(y[0] == want, "saturated bias: %d, expected %d", y[0], want);
    const int8_t xn[1] = {-100};
    a.bias = nbias;
    nnom_transpose_conv_s8(&a, xn, y);
    TU_CHECK(y[0] == tu_clamp(tu_ref_requantize(INT32_MIN, mult, shift), -128, 127), "saturated negative bias: %d",
             y[0]);
}

/* input (3, 4, 2) -> CONV2D_TRANSPOSE (3 filters, 3x3, stride 2, crop {1, 0, 1, -1}) -> output */
static nnom_status graph(nnom_dtype dtype, const nnom_layer_params *p, const nnom_blob *blobs, nnom_model **out,
                         char *msg, size_t cap)
{
    const nnom_quant q = {0.05f, 1}, qo = {0.1f, -3};
    nnom_model *m = tu_model_new(dtype, NULL);
    int32_t a, b;
    TU_OK(m, nnom_model_add_input(m, "x", tu_shape(3, 3, 4, 2), q, &a));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_CONV2D_TRANSPOSE, "my_deconv", a);
    d.params = *p;
    memcpy(d.blobs, blobs, sizeof d.blobs);
    d.quant = qo;
    TU_OK(m, nnom_model_add_layer(m, &d, &b));
    return tu_compile_or_destroy(m, b, out, msg, cap);
}

static void test_graphs(void)
{
    char msg[NNOM_ERROR_MESSAGE_MAX];
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.kernel[0] = p.kernel[1] = 3;
    p.stride[0] = p.stride[1] = 2;
    p.units = 3;
    p.pad[0] = 1, p.pad[1] = 0, p.pad[2] = 1, p.pad[3] = -1;
    static float wf[3 * 3 * 3 * 2], bf[3];
    static int32_t w8_words[14], b32[3], mult[3], shift[3];
    int8_t *w8 = (int8_t *)w8_words;
    tu_fill_f32(wf, 54, -1.0f, 1.0f);
    tu_fill_f32(bf, 3, -1.0f, 1.0f);
    tu_fill_s8(w8, 54, -127, 127);
    tu_fill_s32(b32, 3, -500, 500);
    for (int o = 0; o < 3; o++) tu_ref_multiplier(0.003 * (o + 1), &mult[o], &shift[o]);
    nnom_blob f32b[NNOM_MAX_BLOBS] = {{wf, sizeof wf}, {bf, sizeof bf}};
    nnom_blob s8b[NNOM_MAX_BLOBS] = {{w8, 54}, {b32, 12}, {mult, 12}, {shift, 12}};
    nnom_model *m = NULL;
    TU_REQUIRE(graph(NNOM_DTYPE_F32, &p, f32b, &m, msg, sizeof msg) == NNOM_OK, "f32: %s", msg);
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    TU_OK(m, nnom_model_layer_info(m, 1, &info));
    /* (3 - 1) * 2 + 3 - 1 - 0 = 6 rows, (4 - 1) * 2 + 3 - 1 + 1 = 9 columns */
    TU_CHECK(info.shape.rank == 3 && info.shape.dims[0] == 6 && info.shape.dims[1] == 9 && info.shape.dims[2] == 3,
             "shape (%d, %d, %d)", (int)info.shape.dims[0], (int)info.shape.dims[1], (int)info.shape.dims[2]);
    TU_CHECK(info.macs == (uint64_t)3 * 4 * 2 * 9 * 3, "MACs %llu", (unsigned long long)info.macs);
    float x[24], y[162];
    tu_fill_f32(x, 24, -1.0f, 1.0f);
    TU_OK(m, nnom_model_alloc_arena(m));
    tu_run_f32(m, x, 24, y, 162);
    const geom g = {3, 4, 2, 3, 3, 3, 2, 2, 1, 0, 1, -1, 6, 9};
    double xd[24], wd[54], bd[3];
    for (int i = 0; i < 24; i++) xd[i] = x[i];
    for (int i = 0; i < 54; i++) wd[i] = wf[i];
    for (int i = 0; i < 3; i++) bd[i] = bf[i];
    int32_t fh, fw;
    double *full = scatter(&g, xd, wd, bd, &fh, &fw);
    double worst = 0.0;
    for (int32_t r = 0; r < 6; r++)
        for (int32_t c = 0; c < 9; c++)
            for (int32_t o = 0; o < 3; o++)
                worst = fmax(worst,
                             fabs(y[(r * 9 + c) * 3 + o] - full[((size_t)(r + 1) * fw + (size_t)(c + 1)) * 3 + o]));
    TU_CHECK(worst < 1e-5, "f32 graph: max error %g", worst);
    free(full);
    nnom_model_destroy(m);
    m = NULL;
    TU_REQUIRE(graph(NNOM_DTYPE_S8, &p, s8b, &m, msg, sizeof msg) == NNOM_OK, "s8: %s", msg);
    nnom_model_destroy(m);

    /* errors */
    nnom_layer_params e = p;
    e.dilation[0] = 2;
    nnom_status st = graph(NNOM_DTYPE_F32, &e, f32b, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_UNSUPPORTED && strstr(msg, "my_deconv") && strstr(msg, "dilation"), "dilation: %s", msg);
    e = p;
    e.pad[0] = -1;
    st = graph(NNOM_DTYPE_F32, &e, f32b, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "pad[0]") && strstr(msg, "-1"), "negative top: %s", msg);
    e = p;
    e.pad[1] = 7;
    st = graph(NNOM_DTYPE_F32, &e, f32b, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "output would be"), "empty output: %s", msg);
    nnom_blob short_w[NNOM_MAX_BLOBS] = {{wf, 50 * 4}, {bf, 12}};
    st = graph(NNOM_DTYPE_F32, &p, short_w, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "weights [3][3][3][2]") && strstr(msg, "200"), "weights: %s", msg);
    static int32_t neg[3] = {-1, 5, 5};
    nnom_blob bad_mult[NNOM_MAX_BLOBS] = {{w8, 54}, {b32, 12}, {neg, 12}, {shift, 12}};
    st = graph(NNOM_DTYPE_S8, &p, bad_mult, NULL, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "multiplier -1"), "multiplier: %s", msg);
}

int main(void)
{
    tu_seed(2024);
    test_kernels();
    test_bias_saturation();
    test_graphs();
    return tu_finish("test_transpose_conv");
}
