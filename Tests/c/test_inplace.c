/*
 * Layers that write their output over their input: the in-place run must give
 * the plain run's bytes exactly. Random chains input -> depthwise A -> depthwise
 * B -> output, int8 and float32: A's output dies at B, so the planner may run B
 * in place (depthwise with multiplier 1: row by row through a ring of a few
 * rows). The same model compiled with every output kept apart (nothing in
 * place) is the plain path; the two outputs are compared byte for byte, and
 * the in-place plan must be smaller. Shapes: 1..14 rows and columns, 1..33
 * channels, 1x1 to 5x5 kernels, strides 1..3, dilation 1 or 2, SAME and VALID.
 * Then chains input -> depthwise -> zero padding or cropping -> depthwise ->
 * output: padding grows its input's buffer in place, cropping shrinks it.
 * And input -> depthwise -> pointwise (1x1) convolution -> output with 1..40
 * output channels for 1..33 input channels: the pointwise layer runs in place
 * in chunks of pixels, first to last when it has fewer channels, last to
 * first when more (its buffer grows). And the same with a random window (1x1 to 5x5, strides,
 * dilation, paddings): rows in bands over the input moved to the top of the buffer.
 */
#include <string.h>

#include "kernels/conv.h"
#include "model_util.h"

typedef struct {
    int32_t kh, kw, sh, sw, dh, dw, padding, activation;
} dw_spec;

typedef struct {
    int8_t w[5 * 5 * 64];
    int32_t bias[64], mult[64], shift[64];
    float wf[5 * 5 * 64], bf[64];
} dw_blobs;

static int32_t out_size(int32_t in, int32_t k, int32_t s, int32_t d, int32_t padding)
{
    if (padding == NNOM_PADDING_SAME) return (in + s - 1) / s;
    const int32_t span = (k - 1) * d + 1;
    return span > in ? 0 : (in - span) / s + 1;
}

/* in place, not tiled (test_tiling checks tiling, which would take over some of these chains) */
static const nnom_options untiled = {.struct_size = sizeof(nnom_options),
                                     .tiling_max_extra_macs_percent = NNOM_TILING_OFF};

static nnom_quant last_quant; /* the output quantisation of the last add_dw() */

static void add_dw(nnom_model *m, nnom_dtype dt, const dw_spec *s, int32_t channels, dw_blobs *b, const char *name,
                   int32_t *id)
{
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_DEPTHWISE_CONV2D, name, *id);
    d.params.kernel[0] = s->kh;
    d.params.kernel[1] = s->kw;
    d.params.stride[0] = s->sh;
    d.params.stride[1] = s->sw;
    d.params.dilation[0] = s->dh;
    d.params.dilation[1] = s->dw;
    d.params.padding = s->padding;
    d.params.units = 1;
    d.params.activation = s->activation;
    const uint32_t n_w = (uint32_t)(s->kh * s->kw * channels);
    if (dt == NNOM_DTYPE_S8) {
        tu_fill_s8(b->w, n_w, -127, 127);
        tu_fill_s32(b->bias, (size_t)channels, -3000, 3000);
        for (int32_t c = 0; c < channels; c++)
            tu_ref_multiplier(0.01 * tu_rand_float(0.3f, 2.0f), &b->mult[c], &b->shift[c]);
        d.blobs[0] = (nnom_blob){b->w, n_w};
        d.blobs[1] = (nnom_blob){b->bias, (uint32_t)channels * 4u};
        d.blobs[2] = (nnom_blob){b->mult, (uint32_t)channels * 4u};
        d.blobs[3] = (nnom_blob){b->shift, (uint32_t)channels * 4u};
        d.quant.scale = 0.05f;
        d.quant.zero_point = tu_rand_int(-20, 20);
    } else {
        tu_fill_f32(b->wf, n_w, -0.5f, 0.5f);
        tu_fill_f32(b->bf, (size_t)channels, -1.0f, 1.0f);
        d.blobs[0] = (nnom_blob){b->wf, n_w * 4u};
        d.blobs[1] = (nnom_blob){b->bf, (uint32_t)channels * 4u};
        d.quant.scale = 1.0f;
    }
    last_quant = d.quant;
    TU_OK(m, nnom_model_add_layer(m, &d, id));
}

/* A model with the input (h, w, c), its id in *id; @p keep_all: nothing shared, nothing in place. */
static nnom_model *chain_start(nnom_dtype dt, int32_t h, int32_t w, int32_t c, int keep_all, int32_t *id)
{
    nnom_model *m = tu_model_new(dt, &untiled);
    TU_OK(m, nnom_model_keep_all_outputs(m, keep_all));
    const nnom_quant in_q = {dt == NNOM_DTYPE_S8 ? 0.03f : 1.0f, dt == NNOM_DTYPE_S8 ? -7 : 0};
    TU_OK(m, nnom_model_add_input(m, "x", tu_shape(3, h, w, c), in_q, id));
    return m;
}

/* input (h, w, c) -> A -> B -> output; @p keep_all: nothing shared, nothing in place. */
static nnom_model *chain(nnom_dtype dt, int32_t h, int32_t w, int32_t c, const dw_spec *a, const dw_spec *b,
                         dw_blobs *blobs, int keep_all)
{
    int32_t id = -1;
    nnom_model *m = chain_start(dt, h, w, c, keep_all, &id);
    add_dw(m, dt, a, c, &blobs[0], "a", &id);
    add_dw(m, dt, b, c, &blobs[1], "b", &id);
    tu_finish_model(m, id);
    return m;
}

static void random_dw(dw_spec *s, int32_t in_h, int32_t in_w)
{
    do {
        s->kh = tu_rand_int(1, 5);
        s->kw = tu_rand_int(1, 5);
        s->sh = tu_rand_int(1, 3);
        s->sw = tu_rand_int(1, 3);
        s->dh = tu_rand_int(0, 4) ? 1 : 2;
        s->dw = tu_rand_int(0, 4) ? 1 : 2;
        s->padding = tu_rand_int(0, 1) ? NNOM_PADDING_SAME : NNOM_PADDING_VALID;
        s->activation = tu_rand_int(0, 2); /* NONE, RELU, RELU6 */
    } while (out_size(in_h, s->kh, s->sh, s->dh, s->padding) <= 0 ||
             out_size(in_w, s->kw, s->sw, s->dw, s->padding) <= 0);
}

static void add_pad(nnom_model *m, nnom_layer_type type, const int32_t pad[4], const char *name, int32_t *id)
{
    nnom_layer_desc d = tu_desc1(type, name, *id);
    for (int k = 0; k < 4; k++) d.params.pad[k] = pad[k];
    d.quant = last_quant; /* values move unchanged */
    TU_OK(m, nnom_model_add_layer(m, &d, id));
}

static int cases, in_place_cases, pad_cases, pad_in_place, pw_cases, pw_in_place, win_cases, win_in_place;
static int pw_grown_s8; /* int8 pointwise layers in place with more output channels than input (one kernel call) */

/* Weights of the convolution of add_conv(): up to 5x5 windows, 33 input and 40 output channels. */
static int8_t conv_w[5 * 5 * 33 * 40];
static float conv_wf[5 * 5 * 33 * 40];
/* 1: add_conv() writes an int8 windowed convolution's weights in channel pairs (NNOM_CONV_CHANNEL_PAIRS;
 * a windowed in-place run then takes every row through its ring) */
static int conv_in_pairs;
static uint8_t conv_pairs[(40 + 1) * (5 * 5 * 33 + 3)];
static int pairs_cases, pairs_in_place;

/* A convolution to @p out_c channels with window @p s (NULL: pointwise, 1x1 stride 1). */
static void add_conv(nnom_model *m, nnom_dtype dt, int32_t in_c, int32_t out_c, const dw_spec *s, dw_blobs *b,
                     int32_t *id)
{
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_CONV2D, "pw", *id);
    d.params.kernel[0] = d.params.kernel[1] = 1;
    d.params.padding = tu_rand_int(0, 1) ? NNOM_PADDING_SAME : NNOM_PADDING_VALID;
    d.params.activation = tu_rand_int(0, 2);
    if (s) {
        d.params.kernel[0] = s->kh;
        d.params.kernel[1] = s->kw;
        d.params.stride[0] = s->sh;
        d.params.stride[1] = s->sw;
        d.params.dilation[0] = s->dh;
        d.params.dilation[1] = s->dw;
        d.params.padding = s->padding;
    }
    d.params.units = out_c;
    const uint32_t n_w = (uint32_t)(d.params.kernel[0] * d.params.kernel[1] * in_c * out_c);
    if (dt == NNOM_DTYPE_S8) {
        tu_fill_s8(conv_w, n_w, -127, 127);
        tu_fill_s32(b->bias, (size_t)out_c, -3000, 3000);
        for (int32_t c = 0; c < out_c; c++)
            tu_ref_multiplier(0.01 * tu_rand_float(0.3f, 2.0f), &b->mult[c], &b->shift[c]);
        d.blobs[0] = (nnom_blob){conv_w, n_w};
        const int32_t k = d.params.kernel[0] * d.params.kernel[1] * in_c;
        if (conv_in_pairs && s && k <= NNOM_CONV_PAIRS_MAX_PATCH) {
            nnom_conv_pairs_pack(conv_w, k, out_c, conv_pairs);
            d.blobs[0] = (nnom_blob){conv_pairs, (uint32_t)NNOM_CONV_PAIRS_BYTES(k, out_c)};
            d.params.cell_flags = NNOM_CONV_CHANNEL_PAIRS;
        }
        d.blobs[1] = (nnom_blob){b->bias, (uint32_t)out_c * 4u};
        d.blobs[2] = (nnom_blob){b->mult, (uint32_t)out_c * 4u};
        d.blobs[3] = (nnom_blob){b->shift, (uint32_t)out_c * 4u};
        d.quant.scale = 0.05f;
        d.quant.zero_point = tu_rand_int(-20, 20);
    } else {
        tu_fill_f32(conv_wf, n_w, -0.5f, 0.5f);
        tu_fill_f32(b->bf, (size_t)out_c, -1.0f, 1.0f);
        d.blobs[0] = (nnom_blob){conv_wf, n_w * 4u};
        d.blobs[1] = (nnom_blob){b->bf, (uint32_t)out_c * 4u};
        d.quant.scale = 1.0f;
    }
    TU_OK(m, nnom_model_add_layer(m, &d, id));
}

/* input (h, w, c) -> 3x3 depthwise -> convolution to @p out_c channels, window @p s (NULL: pointwise)
 * -> output */
static nnom_model *pointwise_chain(nnom_dtype dt, int32_t h, int32_t w, int32_t c, int32_t out_c, const dw_spec *s,
                                   dw_blobs *blobs, int keep_all)
{
    int32_t id = -1;
    nnom_model *m = chain_start(dt, h, w, c, keep_all, &id);
    const dw_spec same = {3, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU};
    add_dw(m, dt, &same, c, &blobs[0], "a", &id);
    add_conv(m, dt, c, out_c, s, &blobs[1], &id);
    tu_finish_model(m, id);
    return m;
}

/* @p windowed: the convolution has a random window (else it is pointwise) */
static void one_pointwise_case(nnom_dtype dt, int trial, int windowed)
{
    const int32_t h = tu_rand_int(1, 14), w = tu_rand_int(1, 14), c = tu_rand_int(1, 33), out_c = tu_rand_int(1, 40);
    dw_spec spec;
    if (windowed) random_dw(&spec, h, w);
    static dw_blobs blobs[2];
    const uint64_t seed_blobs = tu_rand_u32();
    tu_seed(seed_blobs);
    /* every other int8 windowed case: the planned model's convolution in channel pairs, the plain one's in rows */
    const int pairs = windowed && dt == NNOM_DTYPE_S8 && trial % 4 == 0;
    conv_in_pairs = pairs;
    nnom_model *planned = pointwise_chain(dt, h, w, c, out_c, windowed ? &spec : NULL, blobs, 0);
    conv_in_pairs = 0;
    tu_seed(seed_blobs);
    nnom_model *plain = pointwise_chain(dt, h, w, c, out_c, windowed ? &spec : NULL, blobs, 1);
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    TU_OK(planned, nnom_model_layer_info(planned, 2, &info));
    if (windowed) win_in_place += info.in_place != 0, win_cases++;
    else pw_in_place += info.in_place != 0, pw_cases++;
    if (pairs) pairs_in_place += info.in_place != 0, pairs_cases++;
    pw_grown_s8 += !windowed && info.in_place && dt == NNOM_DTYPE_S8 && out_c > c;
    TU_CHECK(tu_same_outputs(planned, plain),
             "%s case %d (%s, %dx%dx%d -> %d channels, in place %d): outputs differ", windowed ? "window" : "pointwise",
             trial, dt == NNOM_DTYPE_S8 ? "int8" : "float32", (int)h, (int)w, (int)c, (int)out_c, (int)info.in_place);
    if (info.in_place)
        TU_CHECK(nnom_model_arena_size(planned) < nnom_model_arena_size(plain), "%s case %d: arena %zu, apart %zu",
                 windowed ? "window" : "pointwise", trial, nnom_model_arena_size(planned), nnom_model_arena_size(plain));
    nnom_model_destroy(planned);
    nnom_model_destroy(plain);
}

/* input -> 3x3 depthwise -> padding or cropping -> 3x3 depthwise (stride 2 after padding, as MobileNet) -> output */
static nnom_model *pad_chain(nnom_dtype dt, int32_t h, int32_t w, int32_t c, nnom_layer_type type,
                             const int32_t pad[4], dw_blobs *blobs, int keep_all)
{
    int32_t id = -1;
    nnom_model *m = chain_start(dt, h, w, c, keep_all, &id);
    const dw_spec same = {3, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE};
    const dw_spec valid2 = {3, 3, 2, 2, 1, 1, NNOM_PADDING_VALID, NNOM_ACT_RELU6};
    add_dw(m, dt, &same, c, &blobs[0], "a", &id);
    add_pad(m, type, pad, "p", &id);
    add_dw(m, dt, type == NNOM_LAYER_ZERO_PADDING2D ? &valid2 : &same, c, &blobs[1], "b", &id);
    tu_finish_model(m, id);
    return m;
}

static void one_pad_case(nnom_dtype dt, int trial)
{
    const int crop = trial % 2;
    const int32_t h = tu_rand_int(3, 12), w = tu_rand_int(3, 12), c = tu_rand_int(1, 20);
    int32_t pad[4];
    for (int k = 0; k < 4; k++) pad[k] = tu_rand_int(0, crop ? 1 : 3);
    const nnom_layer_type type = crop ? NNOM_LAYER_CROPPING2D : NNOM_LAYER_ZERO_PADDING2D;
    static dw_blobs blobs[2];
    const uint64_t seed_blobs = tu_rand_u32();
    tu_seed(seed_blobs);
    nnom_model *planned = pad_chain(dt, h, w, c, type, pad, blobs, 0);
    tu_seed(seed_blobs);
    nnom_model *plain = pad_chain(dt, h, w, c, type, pad, blobs, 1);
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    TU_OK(planned, nnom_model_layer_info(planned, 2, &info));
    TU_CHECK(info.in_place, "pad case %d: the %s is not in place", trial, crop ? "cropping" : "padding");
    pad_in_place += info.in_place != 0;
    TU_CHECK(tu_same_outputs(planned, plain),
             "pad case %d (%s, %s %d,%d,%d,%d on %dx%dx%d): outputs differ", trial,
             dt == NNOM_DTYPE_S8 ? "int8" : "float32", crop ? "crop" : "pad", (int)pad[0], (int)pad[1],
             (int)pad[2], (int)pad[3], (int)h, (int)w, (int)c);
    TU_CHECK(nnom_model_arena_size(planned) < nnom_model_arena_size(plain), "pad case %d: arena %zu, apart %zu", trial,
             nnom_model_arena_size(planned), nnom_model_arena_size(plain));
    pad_cases++;
    nnom_model_destroy(planned);
    nnom_model_destroy(plain);
}

/* Largest depthwise chain input: tall enough for several blocks of rows in place. */
#define DW_MAX_H 96
#define DW_MAX_W 14

static void one_case(nnom_dtype dt, int trial)
{
    static const int32_t channels[] = {1, 2, 3, 4, 5, 8, 15, 16, 17, 32, 33};
    const int32_t h = tu_rand_int(1, DW_MAX_H), w = tu_rand_int(1, DW_MAX_W); /* tall maps: several blocks of rows */
    const int32_t c = channels[tu_rand_int(0, (int32_t)(sizeof channels / sizeof channels[0]) - 1)];
    dw_spec a = {3, 3, 1, 1, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE}, b;
    if (tu_rand_int(0, 1)) random_dw(&a, h, w);
    const int32_t ah = out_size(h, a.kh, a.sh, a.dh, a.padding), aw = out_size(w, a.kw, a.sw, a.dw, a.padding);
    random_dw(&b, ah, aw);
    if (trial % 3 == 0) b = (dw_spec){3, 3, 1 + trial % 2, 1 + trial % 2, 1, 1, trial % 4 < 2 ? NNOM_PADDING_SAME : NNOM_PADDING_VALID, NNOM_ACT_RELU};
    if (out_size(ah, b.kh, b.sh, b.dh, b.padding) <= 0 || out_size(aw, b.kw, b.sw, b.dw, b.padding) <= 0) return;

    static dw_blobs blobs[2];
    const uint64_t seed_blobs = tu_rand_u32();
    tu_seed(seed_blobs);
    nnom_model *planned = chain(dt, h, w, c, &a, &b, blobs, 0);
    tu_seed(seed_blobs); /* the same weights */
    nnom_model *plain = chain(dt, h, w, c, &a, &b, blobs, 1);

    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    TU_OK(planned, nnom_model_layer_info(planned, 2, &info));
    in_place_cases += info.in_place != 0;
    if (info.in_place) {
        TU_CHECK(nnom_model_arena_size(planned) < nnom_model_arena_size(plain) &&
                     info.scratch_bytes < info.arena_bytes,
                 "case %d: in place, arena %zu against %zu kept apart, ring %u bytes for an output of %u", trial,
                 nnom_model_arena_size(planned), nnom_model_arena_size(plain), (unsigned)info.scratch_bytes,
                 (unsigned)info.arena_bytes);
        nnom_layer_info ai = NNOM_LAYER_INFO_INIT;
        TU_OK(planned, nnom_model_layer_info(planned, 1, &ai));
        TU_CHECK(ai.arena_offset == info.arena_offset, "case %d: in place but at %u, its input at %u", trial,
                 (unsigned)info.arena_offset, (unsigned)ai.arena_offset);
    }

    for (int rep = 0; rep < 2; rep++) {
        TU_CHECK(tu_same_outputs(planned, plain),
                 "case %d (%s, in place %d): %dx%dx%d, B %dx%d stride %dx%d dilation %dx%d %s: outputs differ",
                 trial, dt == NNOM_DTYPE_S8 ? "int8" : "float32", (int)info.in_place, (int)ah, (int)aw, (int)c,
                 (int)b.kh, (int)b.kw, (int)b.sh, (int)b.sw, (int)b.dh, (int)b.dw,
                 b.padding == NNOM_PADDING_SAME ? "same" : "valid");
    }
    cases++;
    nnom_model_destroy(planned);
    nnom_model_destroy(plain);
}

int main(void)
{
    tu_seed(0x1A91ACEULL);
    for (int t = 0; t < 400; t++) {
        const uint32_t next = tu_rand_u32();
        one_case(t % 2 ? NNOM_DTYPE_F32 : NNOM_DTYPE_S8, t);
        tu_seed(next);
    }
    for (int t = 0; t < 200; t++) {
        const uint32_t next = tu_rand_u32();
        one_pad_case(t % 4 < 2 ? NNOM_DTYPE_S8 : NNOM_DTYPE_F32, t);
        tu_seed(next);
    }
    for (int t = 0; t < 200; t++) {
        const uint32_t next = tu_rand_u32();
        one_pointwise_case(t % 2 ? NNOM_DTYPE_F32 : NNOM_DTYPE_S8, t, 0);
        tu_seed(next);
    }
    for (int t = 0; t < 400; t++) {
        const uint32_t next = tu_rand_u32();
        one_pointwise_case(t % 2 ? NNOM_DTYPE_F32 : NNOM_DTYPE_S8, t, 1);
        tu_seed(next);
    }
    printf("test_inplace: %d chains, depthwise B in place in %d; %d padding/cropping chains, %d in place; "
           "%d pointwise chains, %d in place (%d int8 growing); %d windowed convolutions, %d in place\n",
           cases, in_place_cases, pad_cases, pad_in_place, pw_cases, pw_in_place, pw_grown_s8, win_cases, win_in_place);
    printf("test_inplace: %d windowed int8 convolutions in channel pairs (against rows), %d in place\n", pairs_cases,
           pairs_in_place);
    TU_CHECK(pairs_in_place > pairs_cases / 5, "only %d of %d convolutions in channel pairs in place", pairs_in_place,
             pairs_cases);
    TU_CHECK(in_place_cases > cases / 3, "only %d of %d in place", in_place_cases, cases);
    TU_CHECK(pw_in_place > pw_cases / 3, "only %d of %d pointwise in place", pw_in_place, pw_cases);
    TU_CHECK(win_in_place > win_cases / 5, "only %d of %d windowed convolutions in place", win_in_place, win_cases);
    TU_CHECK(pw_grown_s8 > 0, "no growing int8 pointwise layer in place");
    return tu_finish("test_inplace");
}
