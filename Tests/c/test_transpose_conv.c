/*
 * TRANSPOSE_CONV2D: the gathering kernels against TFLite's definition written
 * here as a scatter (every input pixel adds into the outputs it reaches), in
 * int64 then the spec's requantisation for int8 and in double for float32, on
 * random shapes, strides and paddings; and the layer through the public API.
 */
#include <math.h>
#include <string.h>

#include "kernels/transpose_conv.h"
#include "test_util.h"

/* The scatter of TFLite's reference: acc[oy][ox][oc] over every input pixel and tap. */
static void scatter(const nnom_transpose_conv_args *a, const double *in, const double *w, double *acc)
{
    memset(acc, 0, sizeof(double) * (size_t)a->out_h * a->out_w * a->out_c);
    for (int32_t iy = 0; iy < a->in_h; iy++)
        for (int32_t ix = 0; ix < a->in_w; ix++)
            for (int32_t ky = 0; ky < a->k_h; ky++)
                for (int32_t kx = 0; kx < a->k_w; kx++) {
                    const int32_t oy = iy * a->stride_h - a->pad_top + ky, ox = ix * a->stride_w - a->pad_left + kx;
                    if (oy < 0 || oy >= a->out_h || ox < 0 || ox >= a->out_w) continue;
                    for (int32_t oc = 0; oc < a->out_c; oc++)
                        for (int32_t ic = 0; ic < a->in_c; ic++)
                            acc[((size_t)oy * a->out_w + ox) * a->out_c + oc] +=
                                in[((size_t)iy * a->in_w + ix) * a->in_c + ic] *
                                w[(((size_t)oc * a->k_h + ky) * a->k_w + kx) * a->in_c + ic];
                }
}

static void random_geometry(nnom_transpose_conv_args *a)
{
    memset(a, 0, sizeof *a);
    a->in_h = tu_rand_int(1, 6);
    a->in_w = tu_rand_int(1, 6);
    a->in_c = tu_rand_int(1, 5);
    a->out_c = tu_rand_int(1, 5);
    a->k_h = tu_rand_int(1, 4);
    a->k_w = tu_rand_int(1, 4);
    a->stride_h = tu_rand_int(1, 3);
    a->stride_w = tu_rand_int(1, 3);
    a->pad_top = tu_rand_int(0, a->k_h - 1);
    a->pad_left = tu_rand_int(0, a->k_w - 1);
    /* any output size up to the full scatter's extent */
    a->out_h = tu_rand_int(1, (a->in_h - 1) * a->stride_h + a->k_h);
    a->out_w = tu_rand_int(1, (a->in_w - 1) * a->stride_w + a->k_w);
}

static void test_s8(void)
{
    for (int iter = 0; iter < 300; iter++) {
        nnom_transpose_conv_args a;
        random_geometry(&a);
        const size_t ni = (size_t)a.in_h * a.in_w * a.in_c, nw = (size_t)a.out_c * a.k_h * a.k_w * a.in_c,
                     no = (size_t)a.out_h * a.out_w * a.out_c;
        int8_t *in = malloc(ni), *w = malloc(nw), *out = malloc(no);
        int32_t bias[5], mult[5], shift[5];
        double *din = malloc(ni * 8), *dw = malloc(nw * 8), *acc = malloc(no * 8);
        tu_fill_s8(in, ni, -128, 127);
        tu_fill_s8(w, nw, -127, 127);
        tu_fill_s32(bias, 5, -3000, 3000);
        a.in_zp = tu_rand_int(-128, 127);
        a.out_zp = tu_rand_int(-128, 127);
        a.act_min = iter % 3 == 0 ? a.out_zp : -128;
        a.act_max = 127;
        for (int c = 0; c < 5; c++) tu_ref_multiplier(tu_rand_float(0.0005f, 0.05f), &mult[c], &shift[c]);
        a.multiplier = mult;
        a.shift = shift;
        a.weights = w;
        a.bias = iter % 2 ? bias : NULL;
        for (size_t i = 0; i < ni; i++) din[i] = (double)in[i] - a.in_zp;
        for (size_t i = 0; i < nw; i++) dw[i] = w[i];
        scatter(&a, din, dw, acc);
        nnom_transpose_conv_s8(&a, in, out);
        for (size_t i = 0; i < no; i++) {
            const int32_t oc = (int32_t)(i % (size_t)a.out_c);
            const int64_t sum = (int64_t)acc[i] + (a.bias ? bias[oc] : 0);
            const int32_t want = tu_clamp((int64_t)tu_ref_requantize(sum, mult[oc], shift[oc]) + a.out_zp, a.act_min,
                                          a.act_max);
            TU_CHECK(out[i] == want, "s8 iter %d [%zu]: %d, expected %d", iter, i, out[i], want);
            if (out[i] != want) break;
        }
        free(in), free(w), free(out), free(din), free(dw), free(acc);
    }
}

static void test_f32(void)
{
    for (int iter = 0; iter < 200; iter++) {
        nnom_transpose_conv_args a;
        random_geometry(&a);
        const size_t ni = (size_t)a.in_h * a.in_w * a.in_c, nw = (size_t)a.out_c * a.k_h * a.k_w * a.in_c,
                     no = (size_t)a.out_h * a.out_w * a.out_c;
        float *in = malloc(ni * 4), *w = malloc(nw * 4), *out = malloc(no * 4), bias[5];
        double *din = malloc(ni * 8), *dw = malloc(nw * 8), *acc = malloc(no * 8);
        tu_fill_f32(in, ni, -2, 2);
        tu_fill_f32(w, nw, -1, 1);
        tu_fill_f32(bias, 5, -1, 1);
        a.act_min_f = iter % 3 == 0 ? 0.0f : -1e30f;
        a.act_max_f = 1e30f;
        a.weights = w;
        a.bias = iter % 2 ? bias : NULL;
        for (size_t i = 0; i < ni; i++) din[i] = in[i];
        for (size_t i = 0; i < nw; i++) dw[i] = w[i];
        scatter(&a, din, dw, acc);
        nnom_transpose_conv_f32(&a, in, out);
        for (size_t i = 0; i < no; i++) {
            double want = acc[i] + (a.bias ? bias[i % (size_t)a.out_c] : 0.0);
            if (want < a.act_min_f) want = a.act_min_f;
            TU_CHECK(fabs(out[i] - want) <= 1e-4, "f32 iter %d [%zu]: %g, expected %g", iter, i, out[i], want);
            if (fabs(out[i] - want) > 1e-4) break;
        }
        free(in), free(w), free(out), free(din), free(dw), free(acc);
    }
}

/* The layer through the public API: shape from its parameters, and its checks. */
static void test_layer(void)
{
    static int8_t w[2 * 3 * 3 * 2];
    static int32_t mult[2] = {1 << 30, 1 << 30}, shift[2] = {-4, -4};
    const nnom_quant q = {0.1f, 0};
    for (int bad = 0; bad < 2; bad++) {
        nnom_model *m = NULL;
        nnom_error err;
        TU_OK(m, nnom_model_create(NNOM_DTYPE_S8, NULL, &m, &err));
        int32_t a;
        const nnom_shape s = {3, {4, 4, 2}};
        TU_OK(m, nnom_model_add_input(m, "x", s, q, &a));
        nnom_layer_desc d;
        nnom_layer_desc_init(&d);
        d.type = NNOM_LAYER_TRANSPOSE_CONV2D;
        d.name = "tc";
        d.n_inputs = 1;
        d.inputs[0] = a;
        d.quant = q;
        d.params.kernel[0] = d.params.kernel[1] = 3;
        d.params.stride[0] = d.params.stride[1] = 2;
        d.params.units = 2;
        d.params.pad[0] = d.params.pad[2] = bad ? 3 : 1; /* 3: not below the kernel */
        d.params.shape_rank = 3;
        d.params.shape[0] = d.params.shape[1] = 8;
        d.params.shape[2] = 2;
        d.blobs[0] = (nnom_blob){w, sizeof w};
        d.blobs[2] = (nnom_blob){mult, sizeof mult};
        d.blobs[3] = (nnom_blob){shift, sizeof shift};
        TU_OK(m, nnom_model_add_layer(m, &d, &a));
        nnom_layer_desc_init(&d);
        d.type = NNOM_LAYER_OUTPUT;
        d.n_inputs = 1;
        d.inputs[0] = a;
        TU_OK(m, nnom_model_add_layer(m, &d, NULL));
        const nnom_status st = nnom_model_compile(m);
        if (bad) {
            TU_CHECK(st != NNOM_OK && strstr(nnom_model_last_error(m), "'tc'") &&
                         strstr(nnom_model_last_error(m), "padding 3"),
                     "padding past the kernel: %s", nnom_model_last_error(m));
        } else {
            TU_CHECK(st == NNOM_OK, "%s", nnom_model_last_error(m));
            nnom_tensor_info oi;
            TU_OK(m, nnom_model_output_info(m, 0, &oi));
            TU_CHECK(oi.shape.rank == 3 && oi.shape.dims[0] == 8 && oi.shape.dims[1] == 8 && oi.shape.dims[2] == 2,
                     "output shape (%d, %d, %d)", (int)oi.shape.dims[0], (int)oi.shape.dims[1], (int)oi.shape.dims[2]);
        }
        nnom_model_destroy(m);
    }
}

int main(void)
{
    tu_seed(0x7C0);
    test_s8();
    test_f32();
    test_layer();
    return tu_finish("test_transpose_conv");
}
