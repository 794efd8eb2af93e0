/*
 * Zero padding, cropping and nearest upsampling: the kernels (int8 and
 * float32 elements) against index arithmetic written here, then the layers
 * through the public API.
 */
#include <string.h>

#include "kernels/pad.h"
#include "model_util.h"

/* Element (y, x, c) of an HWC tensor of width w and c channels, as a 32-bit value. */
static uint32_t elem(const void *t, uint32_t size, int32_t w, int32_t ch, int32_t y, int32_t x, int32_t c)
{
    size_t i = ((size_t)y * w + x) * ch + c;
    if (size == 1) return (uint8_t)((const int8_t *)t)[i];
    uint32_t v;
    memcpy(&v, (const uint8_t *)t + 4 * i, 4);
    return v;
}

static void *random_tensor(size_t n, uint32_t size)
{
    void *p = malloc(n * size + 1);
    TU_REQUIRE(p, "out of memory");
    if (size == 1) tu_fill_s8(p, n, -128, 127);
    else tu_fill_f32(p, n, -9.0f, 9.0f);
    return p;
}

static void test_zero_pad(void)
{
    int n = 0;
    for (int t = 0; t < 400; t++) {
        nnom_pad_args a;
        memset(&a, 0, sizeof a);
        int one_d = tu_rand_int(0, 3) == 0;
        a.in_h = one_d ? 1 : tu_rand_int(1, 7);
        a.in_w = tu_rand_int(1, 9);
        a.channels = tu_rand_int(1, 11);
        a.top = one_d ? 0 : tu_rand_int(0, 3);
        a.bottom = one_d ? 0 : tu_rand_int(0, 3);
        a.left = tu_rand_int(0, 3);
        a.right = tu_rand_int(0, 3);
        a.elem_size = (t & 1) ? 4 : 1;
        int32_t zp = a.elem_size == 1 ? tu_rand_int(-128, 127) : 0;
        a.fill = (uint8_t)(int8_t)zp;
        const int32_t oh = a.in_h + a.top + a.bottom, ow = a.in_w + a.left + a.right, c = a.channels;
        const size_t n_out = (size_t)oh * ow * c;
        void *in = random_tensor((size_t)a.in_h * a.in_w * c, a.elem_size);
        uint8_t *out = malloc(n_out * a.elem_size + 1);
        TU_REQUIRE(out, "out of memory");
        memset(out, 0x77, n_out * a.elem_size + 1);
        nnom_zero_pad(&a, in, out);
        size_t bad = 0;
        const uint32_t zero = a.elem_size == 1 ? (uint8_t)(int8_t)zp : 0u; /* 0.0f is all zero bits */
        for (int32_t y = 0; y < oh; y++)
            for (int32_t x = 0; x < ow; x++)
                for (int32_t ch = 0; ch < c; ch++) {
                    int32_t sy = y - a.top, sx = x - a.left;
                    int inside = sy >= 0 && sy < a.in_h && sx >= 0 && sx < a.in_w;
                    uint32_t want = inside ? elem(in, a.elem_size, a.in_w, c, sy, sx, ch) : zero;
                    bad += elem(out, a.elem_size, ow, c, y, x, ch) != want;
                }
        TU_CHECK(bad == 0, "zero pad %dx%dx%d by %d,%d,%d,%d (elem %u): %lu wrong", a.in_h, a.in_w, c, a.top,
                 a.bottom, a.left, a.right, a.elem_size, (unsigned long)bad);
        TU_CHECK(out[n_out * a.elem_size] == 0x77, "zero pad wrote past its output");
        free(in);
        free(out);
        n++;
    }
    printf("zero padding: %d random cases\n", n);
}

static void test_crop(void)
{
    int n = 0;
    for (int t = 0; t < 400; t++) {
        nnom_pad_args a;
        memset(&a, 0, sizeof a);
        int one_d = tu_rand_int(0, 3) == 0;
        a.in_h = one_d ? 1 : tu_rand_int(1, 8);
        a.in_w = tu_rand_int(1, 9);
        a.channels = tu_rand_int(1, 11);
        a.top = one_d ? 0 : tu_rand_int(0, a.in_h - 1);
        a.bottom = one_d ? 0 : tu_rand_int(0, a.in_h - 1 - a.top);
        a.left = tu_rand_int(0, a.in_w - 1);
        a.right = tu_rand_int(0, a.in_w - 1 - a.left);
        a.elem_size = (t & 1) ? 4 : 1;
        const int32_t oh = a.in_h - a.top - a.bottom, ow = a.in_w - a.left - a.right, c = a.channels;
        const size_t n_out = (size_t)oh * ow * c;
        void *in = random_tensor((size_t)a.in_h * a.in_w * c, a.elem_size);
        uint8_t *out = malloc(n_out * a.elem_size + 1);
        TU_REQUIRE(out, "out of memory");
        out[n_out * a.elem_size] = 0x77;
        nnom_crop(&a, in, out);
        size_t bad = 0;
        for (int32_t y = 0; y < oh; y++)
            for (int32_t x = 0; x < ow; x++)
                for (int32_t ch = 0; ch < c; ch++)
                    bad += elem(out, a.elem_size, ow, c, y, x, ch) !=
                           elem(in, a.elem_size, a.in_w, c, y + a.top, x + a.left, ch);
        TU_CHECK(bad == 0, "crop %dx%dx%d by %d,%d,%d,%d (elem %u): %lu wrong", a.in_h, a.in_w, c, a.top,
                 a.bottom, a.left, a.right, a.elem_size, (unsigned long)bad);
        TU_CHECK(out[n_out * a.elem_size] == 0x77, "crop wrote past its output");
        free(in);
        free(out);
        n++;
    }
    printf("cropping: %d random cases\n", n);
}

static void test_upsample(void)
{
    int n = 0;
    for (int t = 0; t < 400; t++) {
        nnom_upsample_args a;
        memset(&a, 0, sizeof a);
        int one_d = tu_rand_int(0, 3) == 0;
        a.in_h = one_d ? 1 : tu_rand_int(1, 6);
        a.in_w = tu_rand_int(1, 7);
        a.channels = tu_rand_int(1, 11);
        a.size_h = one_d ? 1 : tu_rand_int(1, 4);
        a.size_w = tu_rand_int(1, 4);
        a.elem_size = (t & 1) ? 4 : 1;
        const int32_t oh = a.in_h * a.size_h, ow = a.in_w * a.size_w, c = a.channels;
        const size_t n_out = (size_t)oh * ow * c;
        void *in = random_tensor((size_t)a.in_h * a.in_w * c, a.elem_size);
        uint8_t *out = malloc(n_out * a.elem_size + 1);
        TU_REQUIRE(out, "out of memory");
        out[n_out * a.elem_size] = 0x77;
        nnom_upsample_nearest(&a, in, out);
        size_t bad = 0;
        for (int32_t y = 0; y < oh; y++)
            for (int32_t x = 0; x < ow; x++)
                for (int32_t ch = 0; ch < c; ch++)
                    bad += elem(out, a.elem_size, ow, c, y, x, ch) !=
                           elem(in, a.elem_size, a.in_w, c, y / a.size_h, x / a.size_w, ch);
        TU_CHECK(bad == 0, "upsample %dx%dx%d by %dx%d (elem %u): %lu wrong", a.in_h, a.in_w, c, a.size_h,
                 a.size_w, a.elem_size, (unsigned long)bad);
        TU_CHECK(out[n_out * a.elem_size] == 0x77, "upsample wrote past its output");
        free(in);
        free(out);
        n++;
    }
    printf("upsampling: %d random cases\n", n);
}


/* ------------------------------------------------------------ through the public API */

typedef struct {
    nnom_layer_type type;
    int32_t pad[4];
    int32_t size[2];
} shape_op;

static int32_t add_op(nnom_model *m, const char *name, int32_t input, shape_op op, nnom_quant q)
{
    nnom_layer_desc d = tu_desc1(op.type, name, input);
    memcpy(d.params.pad, op.pad, sizeof op.pad);
    memcpy(d.params.size, op.size, sizeof op.size);
    d.quant = q;
    int32_t id = -1;
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    return id;
}

/* Input (5, 4, 3) -> ZeroPadding2D(1, 2, 0, 3) -> Cropping2D(2, 1, 1, 1) -> UpSampling2D(2, 3) -> Output,
 * and the 1D twins on (6, 2); values checked element by element. */
static void test_graph_chain(nnom_dtype dtype, int one_d)
{
    const nnom_quant q = {0.1f, 7};
    nnom_model *m = tu_model_new(dtype, NULL);
    const int32_t H = one_d ? 1 : 5, W = one_d ? 6 : 4, C = one_d ? 2 : 3;
    nnom_shape shape = one_d ? (nnom_shape){2, {W, C, 0}} : (nnom_shape){3, {H, W, C}};
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "x", shape, q, &id));
    shape_op pad = {one_d ? NNOM_LAYER_ZERO_PADDING1D : NNOM_LAYER_ZERO_PADDING2D, {1, 2, 0, 3}, {0, 0}};
    shape_op crop = {one_d ? NNOM_LAYER_CROPPING1D : NNOM_LAYER_CROPPING2D, {2, 1, 1, 1}, {0, 0}};
    shape_op up = {one_d ? NNOM_LAYER_UPSAMPLING1D : NNOM_LAYER_UPSAMPLING2D, {0, 0, 0, 0}, {2, 3}};
    if (one_d) {
        pad.pad[0] = pad.pad[1] = crop.pad[0] = crop.pad[1] = 0;
        up.size[0] = 1;
    }
    id = add_op(m, "pad", id, pad, q);
    id = add_op(m, "crop", id, crop, q);
    id = add_op(m, "up", id, up, q);
    tu_add_output(m, id, NULL);
    TU_OK(m, nnom_model_compile(m));
    TU_OK(m, nnom_model_alloc_arena(m));

    /* shapes, by hand */
    const int32_t ph = H + pad.pad[0] + pad.pad[1], pw = W + pad.pad[2] + pad.pad[3];
    const int32_t ch = ph - crop.pad[0] - crop.pad[1], cw = pw - crop.pad[2] - crop.pad[3];
    const int32_t uh = ch * up.size[0], uw = cw * up.size[1];
    nnom_tensor_info info;
    TU_OK(m, nnom_model_output_info(m, 0, &info));
    if (one_d)
        TU_CHECK(info.shape.rank == 2 && info.shape.dims[0] == uw && info.shape.dims[1] == C,
                 "1D chain output (%d, %d), expected (%d, %d)", info.shape.dims[0], info.shape.dims[1], uw, C);
    else
        TU_CHECK(info.shape.rank == 3 && info.shape.dims[0] == uh && info.shape.dims[1] == uw && info.shape.dims[2] == C,
                 "2D chain output (%d, %d, %d), expected (%d, %d, %d)", info.shape.dims[0], info.shape.dims[1],
                 info.shape.dims[2], uh, uw, C);

    const size_t n_in = (size_t)H * W * C, n_out = (size_t)uh * uw * C;
    float xf[5 * 6 * 3];
    int8_t xs[5 * 6 * 3];
    tu_fill_f32(xf, n_in, -5.0f, 5.0f);
    tu_fill_s8(xs, n_in, -128, 127);
    if (dtype == NNOM_DTYPE_F32) TU_OK(m, nnom_model_set_input_f32(m, 0, xf, n_in));
    else TU_OK(m, nnom_model_set_input_s8(m, 0, xs, n_in));
    TU_OK(m, nnom_model_run(m));
    const void *y = nnom_model_output_data(m, 0);
    size_t bad = 0;
    for (int32_t oy = 0; oy < uh; oy++)
        for (int32_t ox = 0; ox < uw; ox++)
            for (int32_t c = 0; c < C; c++) {
                /* back through upsampling, cropping and padding */
                const int32_t py = oy / up.size[0] + crop.pad[0], px = ox / up.size[1] + crop.pad[2];
                const int32_t sy = py - pad.pad[0], sx = px - pad.pad[2];
                const int inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
                const size_t si = ((size_t)sy * W + sx) * C + c, oi = ((size_t)oy * uw + ox) * C + c;
                if (dtype == NNOM_DTYPE_F32) bad += ((const float *)y)[oi] != (inside ? xf[si] : 0.0f);
                else bad += ((const int8_t *)y)[oi] != (inside ? xs[si] : (int8_t)q.zero_point);
            }
    TU_CHECK(bad == 0, "%s %s chain: %lu of %lu wrong", one_d ? "1D" : "2D", dtype == NNOM_DTYPE_F32 ? "f32" : "s8",
             (unsigned long)bad, (unsigned long)n_out);
    nnom_model_destroy(m);
}

static void expect_error(int32_t rank, shape_op op, nnom_quant out_q, nnom_status want, const char *subject)
{
    const nnom_quant q = {0.1f, 7};
    nnom_model *m = tu_model_new(NNOM_DTYPE_S8, NULL);
    nnom_shape shape = rank == 3 ? (nnom_shape){3, {4, 5, 2}} : (nnom_shape){2, {5, 2, 0}};
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "x", shape, q, &id));
    id = add_op(m, "reshaper", id, op, out_q);
    tu_add_output(m, id, NULL);
    nnom_status st = nnom_model_compile(m);
    const char *msg = nnom_model_last_error(m);
    TU_CHECK(st == want, "%s: got %s (%s), expected %s", subject, nnom_status_name(st), msg, nnom_status_name(want));
    TU_CHECK(strstr(msg, "'reshaper'") && strstr(msg, nnom_layer_type_name(op.type)) && strstr(msg, subject),
             "message should name the layer, its type and '%s': %s", subject, msg);
    nnom_model_destroy(m);
}

static void test_graph_errors(void)
{
    const nnom_quant q = {0.1f, 7}, other = {0.1f, 8};
    expect_error(3, (shape_op){NNOM_LAYER_ZERO_PADDING2D, {1, 1, 1, 1}, {0, 0}}, other, NNOM_ERR_ARGUMENT, "quantisation");
    expect_error(3, (shape_op){NNOM_LAYER_CROPPING2D, {0, 0, 1, 1}, {0, 0}}, other, NNOM_ERR_ARGUMENT, "quantisation");
    expect_error(3, (shape_op){NNOM_LAYER_UPSAMPLING2D, {0, 0, 0, 0}, {2, 2}}, other, NNOM_ERR_ARGUMENT, "quantisation");
    expect_error(3, (shape_op){NNOM_LAYER_CROPPING2D, {2, 2, 0, 0}, {0, 0}}, q, NNOM_ERR_SHAPE, "leaves nothing");
    expect_error(2, (shape_op){NNOM_LAYER_CROPPING1D, {0, 0, 3, 2}, {0, 0}}, q, NNOM_ERR_SHAPE, "leaves nothing");
    expect_error(3, (shape_op){NNOM_LAYER_ZERO_PADDING2D, {0, -1, 0, 0}, {0, 0}}, q, NNOM_ERR_SHAPE, "pad[1]");
    expect_error(2, (shape_op){NNOM_LAYER_ZERO_PADDING1D, {1, 0, 0, 0}, {0, 0}}, q, NNOM_ERR_SHAPE, "top/bottom");
    expect_error(3, (shape_op){NNOM_LAYER_ZERO_PADDING1D, {0, 0, 1, 0}, {0, 0}}, q, NNOM_ERR_SHAPE, "rank 2");
    expect_error(2, (shape_op){NNOM_LAYER_UPSAMPLING2D, {0, 0, 0, 0}, {2, 2}}, q, NNOM_ERR_SHAPE, "rank 3");
    expect_error(2, (shape_op){NNOM_LAYER_UPSAMPLING1D, {0, 0, 0, 0}, {2, 2}}, q, NNOM_ERR_SHAPE, "size[0] = 1");
    expect_error(3, (shape_op){NNOM_LAYER_UPSAMPLING2D, {0, 0, 0, 0}, {2, 0}}, q, NNOM_ERR_SHAPE, "size[1]");
}

int main(void)
{
    tu_seed(0x9AD);
    test_zero_pad();
    test_crop();
    test_upsample();
    for (int one_d = 0; one_d < 2; one_d++) {
        test_graph_chain(NNOM_DTYPE_S8, one_d);
        test_graph_chain(NNOM_DTYPE_F32, one_d);
    }
    test_graph_errors();
    return tu_finish("test_pad_crop_upsample");
}
