/*
 * Tiled execution of the memory peak (core/tiling.c) against the untiled run.
 *
 * Random chains input -> 2..7 layers -> output, int8 and float32: 2-D
 * convolutions (1..12 filters) and depthwise convolutions (multiplier 1 or 2)
 * with 1..5 kernels, strides 1..3, dilation 1 or 2, SAME or VALID padding,
 * zero paddings (0..2 on each side) before them, and max and average pools
 * (1..4 windows, strides 1..3, SAME or VALID); inputs of 4..40 rows and
 * columns, 1..8 channels. Each model is compiled twice from the same weights:
 * with a random MAC budget of 1..300 % (the planner tiles where that makes the
 * arena smaller) and with tiling off. On the same random input both runs must
 * give the same output bytes, the tiled arena must be smaller than the untiled
 * one, the reported untiled arena must be the untiled model's, and the added
 * MACs within the budget. Most chains must end up tiled.
 *
 * Then MobileNetV1 alpha 0.25 at 96x96x3 (its 13 depthwise blocks, without
 * the classifier) with the default budget: tiled, equal bit for bit, smaller
 * arena, at most 40 KiB in int8; the figures are printed. And the 28x28
 * CNN's convolutions and max pools (its dense head left out), tiled.
 */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

enum { K_CONV, K_DW, K_PAD, K_MAX_POOL, K_AVG_POOL, K_ADD, K_CONCAT, K_RELU };

typedef struct {
    int kind;
    int32_t k, stride, dil, padding, units, activation;
    int32_t pad[4];
    /* blobs */
    void *w;
    int32_t *bias, *mult, *shift;
    float *bias_f;
    nnom_quant quant;
} spec;

#define MAX_SPECS 40

typedef struct {
    int32_t h, w, c;
    int n;
    spec s[MAX_SPECS];
} chain;

static int32_t window_out(int32_t in, int32_t k, int32_t s, int32_t d, int32_t padding)
{
    if (padding == NNOM_PADDING_SAME) return (in + s - 1) / s;
    const int32_t span = (k - 1) * d + 1;
    return span > in ? 0 : (in - span) / s + 1;
}

/* Fills the blobs of layer @p s reading @p in_c channels; returns its output channels. */
static int32_t make_blobs(spec *s, nnom_dtype dt, int32_t in_c)
{
    const int32_t out_c = s->kind == K_CONV ? s->units : in_c * s->units;
    const size_t n_w = (size_t)s->k * (size_t)s->k * (size_t)(s->kind == K_CONV ? in_c * out_c : out_c);
    if (dt == NNOM_DTYPE_S8) {
        s->w = malloc(n_w);
        s->bias = malloc((size_t)out_c * 4);
        s->mult = malloc((size_t)out_c * 4);
        s->shift = malloc((size_t)out_c * 4);
        tu_fill_s8(s->w, n_w, -127, 127);
        tu_fill_s32(s->bias, (size_t)out_c, -3000, 3000);
        const double fan = (double)s->k * s->k * (s->kind == K_CONV ? in_c : 1);
        for (int32_t c = 0; c < out_c; c++)
            tu_ref_multiplier(0.2 / fan * tu_rand_float(0.3f, 2.0f), &s->mult[c], &s->shift[c]);
        s->quant.scale = 0.05f;
        s->quant.zero_point = tu_rand_int(-20, 20);
    } else {
        s->w = malloc(n_w * 4);
        s->bias_f = malloc((size_t)out_c * 4);
        tu_fill_f32(s->w, n_w, -0.5f, 0.5f);
        tu_fill_f32(s->bias_f, (size_t)out_c, -1.0f, 1.0f);
        s->quant.scale = 1.0f;
    }
    return out_c;
}

static void free_chain(chain *ch)
{
    for (int i = 0; i < ch->n; i++) {
        free(ch->s[i].w);
        free(ch->s[i].bias);
        free(ch->s[i].mult);
        free(ch->s[i].shift);
        free(ch->s[i].bias_f);
    }
}

/* Appends layer @p s (a window layer, a pool or a zero padding) reading layer @p in, whose output has
 * *@p c channels and quantisation *@p q (both updated to the new layer's); returns its id. */
static int32_t append_spec(nnom_model *m, const spec *s, nnom_dtype dt, int32_t in, int32_t *c, nnom_quant *q)
{
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.n_inputs = 1;
    d.inputs[0] = in;
    if (s->kind == K_PAD) {
        d.type = NNOM_LAYER_ZERO_PADDING2D;
        for (int k = 0; k < 4; k++) d.params.pad[k] = s->pad[k];
        d.quant = *q;
    } else if (s->kind == K_MAX_POOL || s->kind == K_AVG_POOL) {
        d.type = s->kind == K_MAX_POOL ? NNOM_LAYER_MAX_POOL2D : NNOM_LAYER_AVG_POOL2D;
        d.params.kernel[0] = d.params.kernel[1] = s->k;
        d.params.stride[0] = d.params.stride[1] = s->stride;
        d.params.padding = s->padding;
        d.quant = *q; /* values keep their quantisation (an average pool without blobs) */
    } else {
        d.type = s->kind == K_CONV ? NNOM_LAYER_CONV2D : NNOM_LAYER_DEPTHWISE_CONV2D;
        d.params.kernel[0] = d.params.kernel[1] = s->k;
        d.params.stride[0] = d.params.stride[1] = s->stride;
        d.params.dilation[0] = d.params.dilation[1] = s->dil;
        d.params.padding = s->padding;
        d.params.units = s->units;
        d.params.activation = s->activation;
        const int32_t out_c = s->kind == K_CONV ? s->units : *c * s->units;
        const uint32_t n_w = (uint32_t)(s->k * s->k * (s->kind == K_CONV ? *c * out_c : out_c));
        const uint32_t esize = dt == NNOM_DTYPE_S8 ? 1u : 4u;
        d.blobs[0] = (nnom_blob){s->w, n_w * esize};
        if (dt == NNOM_DTYPE_S8) {
            d.blobs[1] = (nnom_blob){s->bias, (uint32_t)out_c * 4u};
            d.blobs[2] = (nnom_blob){s->mult, (uint32_t)out_c * 4u};
            d.blobs[3] = (nnom_blob){s->shift, (uint32_t)out_c * 4u};
        } else {
            d.blobs[1] = (nnom_blob){s->bias_f, (uint32_t)out_c * 4u};
        }
        d.quant = s->quant;
        *q = s->quant;
        *c = out_c;
    }
    int32_t id = -1;
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    return id;
}

/* A model of one input of @p h x @p w x @p c with tiling budget @p percent (NNOM_TILING_OFF: none): its
 * input's id in *@p id, its quantisation in *@p q. */
static nnom_model *new_model(nnom_dtype dt, int32_t percent, int32_t h, int32_t w, int32_t c, int32_t *id, nnom_quant *q)
{
    nnom_options o;
    nnom_options_init(&o);
    o.tiling_max_extra_macs_percent = percent;
    nnom_model *m = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(dt, &o, &m, &err) == NNOM_OK, "create: %s", err.message);
    nnom_shape sh;
    memset(&sh, 0, sizeof sh);
    sh.rank = 3;
    sh.dims[0] = h;
    sh.dims[1] = w;
    sh.dims[2] = c;
    *q = (nnom_quant){dt == NNOM_DTYPE_S8 ? 0.03f : 1.0f, dt == NNOM_DTYPE_S8 ? -7 : 0};
    TU_OK(m, nnom_model_add_input(m, "x", sh, *q, id));
    return m;
}

/* Adds the output (layer @p id), compiles and gives the model its arena. */
static nnom_model *finish_model(nnom_model *m, int32_t id)
{
    nnom_layer_desc out;
    nnom_layer_desc_init(&out);
    out.type = NNOM_LAYER_OUTPUT;
    out.name = "y";
    out.n_inputs = 1;
    out.inputs[0] = id;
    TU_OK(m, nnom_model_add_layer(m, &out, NULL));
    TU_OK(m, nnom_model_compile(m));
    TU_OK(m, nnom_model_alloc_arena(m));
    return m;
}

/* The model of @p ch with tiling budget @p percent (NNOM_TILING_OFF: none). */
static nnom_model *build(const chain *ch, nnom_dtype dt, int32_t percent)
{
    int32_t id = -1, c = ch->c;
    nnom_quant q;
    nnom_model *m = new_model(dt, percent, ch->h, ch->w, ch->c, &id, &q);
    for (int i = 0; i < ch->n; i++) id = append_spec(m, &ch->s[i], dt, id, &c, &q);
    return finish_model(m, id);
}

/* Runs both models on one random input; 1 if their outputs are the same bytes. */
static int same_outputs(nnom_model *a, nnom_model *b, nnom_dtype dt)
{
    nnom_tensor_info in, out;
    TU_OK(a, nnom_model_input_info(a, 0, &in));
    TU_OK(a, nnom_model_output_info(a, 0, &out));
    const size_t esize = dt == NNOM_DTYPE_S8 ? 1 : 4, in_bytes = (size_t)in.count * esize;
    void *x = malloc(in_bytes);
    if (dt == NNOM_DTYPE_S8) tu_fill_s8(x, (size_t)in.count, -128, 127);
    else tu_fill_f32(x, (size_t)in.count, -2.0f, 2.0f);
    memcpy(nnom_model_input_data(a, 0), x, in_bytes);
    memcpy(nnom_model_input_data(b, 0), x, in_bytes);
    TU_OK(a, nnom_model_run(a));
    TU_OK(b, nnom_model_run(b));
    const int same = memcmp(nnom_model_output_data(a, 0), nnom_model_output_data(b, 0), (size_t)out.count * esize) == 0;
    free(x);
    return same;
}

static void random_window(spec *s, int kind)
{
    s->kind = kind;
    s->k = tu_rand_int(1, 5);
    s->stride = tu_rand_int(1, 3);
    s->dil = tu_rand_int(0, 4) ? 1 : 2;
    s->padding = tu_rand_int(0, 1) ? NNOM_PADDING_SAME : NNOM_PADDING_VALID;
    s->units = kind == K_CONV ? tu_rand_int(1, 12) : tu_rand_int(1, 2);
    s->activation = tu_rand_int(0, 2);
}

/* A random chain whose shapes all exist; channels grow by at most 64 (depthwise multipliers). */
static void random_chain(chain *ch, nnom_dtype dt)
{
    for (;;) {
        memset(ch, 0, sizeof *ch);
        ch->h = tu_rand_int(4, 40);
        ch->w = tu_rand_int(4, 40);
        ch->c = tu_rand_int(1, 8);
        const int layers = tu_rand_int(2, 7);
        int32_t h = ch->h, w = ch->w, ok = 1;
        for (int i = 0; i < layers && ok; i++) {
            spec *s = &ch->s[ch->n++];
            if (i > 0 && tu_rand_int(0, 4) == 0) { /* a pool: up to 4x4, stride 1..3 */
                s->kind = tu_rand_int(0, 1) ? K_MAX_POOL : K_AVG_POOL;
                s->k = tu_rand_int(1, 4);
                s->stride = tu_rand_int(1, 3);
                s->dil = 1;
                s->padding = tu_rand_int(0, 1) ? NNOM_PADDING_SAME : NNOM_PADDING_VALID;
                h = window_out(h, s->k, s->stride, 1, s->padding);
                w = window_out(w, s->k, s->stride, 1, s->padding);
                ok = h > 0 && w > 0;
                continue;
            }
            if (i > 0 && i < layers - 1 && ch->s[ch->n - 2].kind != K_PAD && tu_rand_int(0, 3) == 0) {
                s->kind = K_PAD;
                for (int k = 0; k < 4; k++) s->pad[k] = tu_rand_int(0, 2);
                h += s->pad[0] + s->pad[1];
                w += s->pad[2] + s->pad[3];
                continue;
            }
            random_window(s, tu_rand_int(0, 1) ? K_CONV : K_DW);
            h = window_out(h, s->k, s->stride, s->dil, s->padding);
            w = window_out(w, s->k, s->stride, s->dil, s->padding);
            ok = h > 0 && w > 0;
        }
        if (!ok) continue;
        int32_t c = ch->c;
        for (int i = 0; i < ch->n; i++)
            if (ch->s[i].kind == K_CONV || ch->s[i].kind == K_DW) c = make_blobs(&ch->s[i], dt, c);
        return;
    }
}

static int cases, tiled_cases;

static void one_case(nnom_dtype dt, int t)
{
    chain ch;
    random_chain(&ch, dt);
    const int32_t percent = tu_rand_int(1, 300);
    nnom_model *tiled = build(&ch, dt, percent), *plain = build(&ch, dt, NNOM_TILING_OFF);
    nnom_tiling_info ti = NNOM_TILING_INFO_INIT, pi = NNOM_TILING_INFO_INIT;
    TU_OK(tiled, nnom_model_tiling(tiled, &ti));
    TU_OK(plain, nnom_model_tiling(plain, &pi));
    TU_CHECK(pi.first_layer == -1 && pi.saved_bytes == 0, "case %d: tiled with tiling off", t);
    TU_CHECK(ti.untiled_arena_bytes == nnom_model_arena_size(plain), "case %d: untiled arena %u, the plain model's %u",
             t, (unsigned)ti.untiled_arena_bytes, (unsigned)nnom_model_arena_size(plain));
    if (ti.first_layer >= 0) {
        tiled_cases++;
        TU_CHECK(nnom_model_arena_size(tiled) < nnom_model_arena_size(plain) &&
                     ti.saved_bytes == nnom_model_arena_size(plain) - nnom_model_arena_size(tiled),
                 "case %d: tiled arena %u, untiled %u, saved %u", t, (unsigned)nnom_model_arena_size(tiled),
                 (unsigned)nnom_model_arena_size(plain), (unsigned)ti.saved_bytes);
        const uint64_t macs = nnom_model_total_macs(plain);
        TU_CHECK(ti.extra_macs * 100 <= macs * (uint64_t)percent, "case %d: %lu MACs added to %lu, budget %d %%", t,
                 (unsigned long)ti.extra_macs, (unsigned long)macs, (int)percent);
        TU_CHECK(ti.tiles >= 2 && ti.rows_per_tile >= 1 && ti.cut_layer > ti.first_layer, "case %d: tiles %d rows %d",
                 t, (int)ti.tiles, (int)ti.rows_per_tile);
    } else {
        TU_CHECK(nnom_model_arena_size(tiled) == nnom_model_arena_size(plain), "case %d: untiled plans differ", t);
    }
    for (int32_t i = 0; i < nnom_model_layer_count(tiled); i++) { /* bands reported inside the arena */
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(tiled, nnom_model_layer_info(tiled, i, &info));
        TU_CHECK((uint64_t)info.arena_offset + info.arena_bytes <= nnom_model_arena_size(tiled),
                 "case %d: layer %d output [%u, +%u) outside the %u-byte arena", t, (int)i,
                 (unsigned)info.arena_offset, (unsigned)info.arena_bytes, (unsigned)nnom_model_arena_size(tiled));
    }
    for (int r = 0; r < 2; r++) /* twice: a run must not depend on what the last one left */
        TU_CHECK(same_outputs(tiled, plain, dt), "case %d (%s, %d layers, %dx%dx%d, tiles %d of %d rows, layers %d..%d): "
                 "tiled output differs", t, dt == NNOM_DTYPE_S8 ? "int8" : "float32", ch.n, (int)ch.h, (int)ch.w,
                 (int)ch.c, (int)ti.tiles, (int)ti.rows_per_tile, (int)ti.first_layer, (int)ti.cut_layer);
    cases++;
    nnom_model_destroy(tiled);
    nnom_model_destroy(plain);
    free_chain(&ch);
}

/* MobileNetV1 alpha 0.25 at 96x96x3 to its last 3x3x256 block: conv 3x3/2 (8 filters), then 13
 * depthwise blocks (stride, pointwise filters), a zero padding before each of stride 2. */
static void mobilenet(nnom_dtype dt)
{
    static const int32_t blocks[][2] = {{1, 16}, {2, 32}, {1, 32}, {2, 64}, {1, 64}, {2, 128}, {1, 128},
                                        {1, 128}, {1, 128}, {1, 128}, {1, 128}, {2, 256}, {1, 256}};
    chain ch;
    memset(&ch, 0, sizeof ch);
    ch.h = ch.w = 96;
    ch.c = 3;
    spec *s = &ch.s[ch.n++];
    *s = (spec){.kind = K_CONV, .k = 3, .stride = 2, .dil = 1, .padding = NNOM_PADDING_SAME, .units = 8,
                .activation = NNOM_ACT_RELU6};
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        if (blocks[b][0] == 2) ch.s[ch.n++] = (spec){.kind = K_PAD, .pad = {0, 1, 0, 1}};
        ch.s[ch.n++] = (spec){.kind = K_DW, .k = 3, .stride = blocks[b][0], .dil = 1, .units = 1,
                              .padding = blocks[b][0] == 2 ? NNOM_PADDING_VALID : NNOM_PADDING_SAME,
                              .activation = NNOM_ACT_RELU6};
        ch.s[ch.n++] = (spec){.kind = K_CONV, .k = 1, .stride = 1, .dil = 1, .padding = NNOM_PADDING_SAME,
                              .units = blocks[b][1], .activation = NNOM_ACT_RELU6};
    }
    int32_t c = ch.c;
    for (int i = 0; i < ch.n; i++)
        if (ch.s[i].kind == K_CONV || ch.s[i].kind == K_DW) c = make_blobs(&ch.s[i], dt, c);
    nnom_model *tiled = build(&ch, dt, 0), *plain = build(&ch, dt, NNOM_TILING_OFF);
    nnom_tiling_info ti = NNOM_TILING_INFO_INIT;
    TU_OK(tiled, nnom_model_tiling(tiled, &ti));
    printf("test_tiling: MobileNetV1-0.25 96x96 (%s): arena %u B untiled, %u B tiled (layers %d..%d, %d tiles "
           "of %d rows), %lu MACs + %lu added (%.1f %%)\n",
           dt == NNOM_DTYPE_S8 ? "int8" : "float32", (unsigned)nnom_model_arena_size(plain),
           (unsigned)nnom_model_arena_size(tiled), (int)ti.first_layer, (int)ti.cut_layer, (int)ti.tiles,
           (int)ti.rows_per_tile, (unsigned long)nnom_model_total_macs(plain), (unsigned long)ti.extra_macs,
           100.0 * (double)ti.extra_macs / (double)nnom_model_total_macs(plain));
    TU_CHECK(ti.first_layer >= 0 && nnom_model_arena_size(tiled) < nnom_model_arena_size(plain),
             "MobileNet not tiled");
    TU_CHECK(ti.extra_macs * 100 <= nnom_model_total_macs(plain) * NNOM_TILING_DEFAULT_PERCENT,
             "MobileNet: over the default budget");
    /* the goal of issue 15: at most 40 KiB (the untiled arena is 46,336 B) */
    TU_CHECK(dt != NNOM_DTYPE_S8 || nnom_model_arena_size(tiled) <= 40 * 1024, "MobileNet: tiled arena over 40 KiB");
    /* and with the Cortex-M DSP kernels, whose fast scratch a tiled plan holds */
    const size_t dsp = nnom_model_arena_size_for(tiled, NNOM_KERNELS_CORTEX_M_DSP);
    printf("test_tiling: MobileNetV1-0.25 96x96 (%s): tiled arena with the Cortex-M DSP kernels %u B\n",
           dt == NNOM_DTYPE_S8 ? "int8" : "float32", (unsigned)dsp);
    TU_CHECK(dt != NNOM_DTYPE_S8 || (dsp > 0 && dsp <= 40 * 1024), "MobileNet: tiled DSP arena %u B, over 40 KiB",
             (unsigned)dsp);
    TU_CHECK(same_outputs(tiled, plain, dt), "MobileNet (%s): tiled output differs",
             dt == NNOM_DTYPE_S8 ? "int8" : "float32");
    nnom_model_destroy(tiled);
    nnom_model_destroy(plain);
    free_chain(&ch);
}

/* The 28x28 CNN of examples/c without its dense head: three 3x3 convolutions (12, 24, 48 filters,
 * SAME, ReLU) each followed by a 2x2 max pool. Bands of the pools' output rows need no halo. */
static void cnn28(void)
{
    chain ch;
    memset(&ch, 0, sizeof ch);
    ch.h = ch.w = 28;
    ch.c = 1;
    static const int32_t filters[] = {12, 24, 48};
    int32_t c = ch.c;
    for (size_t b = 0; b < sizeof filters / sizeof filters[0]; b++) {
        spec *s = &ch.s[ch.n++];
        *s = (spec){.kind = K_CONV, .k = 3, .stride = 1, .dil = 1, .padding = NNOM_PADDING_SAME,
                    .units = filters[b], .activation = NNOM_ACT_RELU};
        c = make_blobs(s, NNOM_DTYPE_S8, c);
        ch.s[ch.n++] = (spec){.kind = K_MAX_POOL, .k = 2, .stride = 2, .dil = 1, .padding = NNOM_PADDING_VALID};
    }
    nnom_model *tiled = build(&ch, NNOM_DTYPE_S8, 0), *plain = build(&ch, NNOM_DTYPE_S8, NNOM_TILING_OFF);
    nnom_tiling_info ti = NNOM_TILING_INFO_INIT;
    TU_OK(tiled, nnom_model_tiling(tiled, &ti));
    printf("test_tiling: 28x28 CNN (int8): arena %u B untiled, %u B tiled (layers %d..%d, %d tiles of %d rows), "
           "%lu MACs added\n", (unsigned)nnom_model_arena_size(plain), (unsigned)nnom_model_arena_size(tiled),
           (int)ti.first_layer, (int)ti.cut_layer, (int)ti.tiles, (int)ti.rows_per_tile, (unsigned long)ti.extra_macs);
    TU_CHECK(ti.first_layer >= 0 && nnom_model_arena_size(tiled) < nnom_model_arena_size(plain), "28x28 CNN not tiled");
    TU_CHECK(same_outputs(tiled, plain, NNOM_DTYPE_S8), "28x28 CNN: tiled output differs");
    nnom_model_destroy(tiled);
    nnom_model_destroy(plain);
    free_chain(&ch);
}

/* ------------------------------------------------------------------ residual graphs */

/* A layer of a graph: a spec (window layer, pool, padding) or a join or activation, reading nodes
 * in[0..n_in) (-1: the model's input). */
typedef struct {
    spec s;
    int32_t in[2], n_in;
    int32_t axis;             /* K_CONCAT: 1 (columns) or -1 (channels) */
    int32_t h, w, c;          /* output shape */
    /* int8 blobs the models read in place: add: 6 words (nnom_quant_add_params()); concatenate: 2 per
     * input; ReLU: the table */
    int32_t params[6];
    int8_t table[256];
} node;

#define MAX_NODES 32

typedef struct {
    int32_t h, w, c;
    int n;
    node nd[MAX_NODES];
} graph;

static void node_shape(const graph *g, int32_t i, int32_t *h, int32_t *w, int32_t *c)
{
    *h = i < 0 ? g->h : g->nd[i].h;
    *w = i < 0 ? g->w : g->nd[i].w;
    *c = i < 0 ? g->c : g->nd[i].c;
}

/* Appends a node of @p kind reading @p a (and @p b for joins); its shape from its inputs' and @p s. */
static int32_t add_node(graph *g, const spec *s, int32_t a, int32_t b)
{
    node *n = &g->nd[g->n];
    memset(n, 0, sizeof *n);
    n->s = *s;
    n->in[0] = a;
    n->in[1] = b;
    n->n_in = s->kind == K_ADD || s->kind == K_CONCAT ? 2 : 1;
    n->axis = -1;
    node_shape(g, a, &n->h, &n->w, &n->c);
    if (s->kind == K_PAD) {
        n->h += s->pad[0] + s->pad[1];
        n->w += s->pad[2] + s->pad[3];
    } else if (s->kind == K_CONV || s->kind == K_DW || s->kind == K_MAX_POOL || s->kind == K_AVG_POOL) {
        n->h = window_out(n->h, s->k, s->stride, s->dil, s->padding);
        n->w = window_out(n->w, s->k, s->stride, s->dil, s->padding);
        n->c = s->kind == K_CONV ? s->units : s->kind == K_DW ? n->c * s->units : n->c;
    }
    return g->n++;
}

/* A convolution (or depthwise, @p kind) of @p k x @p k, stride @p stride, reading @p in: SAME padding,
 * or VALID after a random zero padding (1 in 3; the padding is then a node of its own). */
static int32_t add_window(graph *g, int kind, int32_t in, int32_t k, int32_t stride, int32_t units)
{
    spec s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    s.k = k;
    s.stride = stride;
    s.dil = 1;
    s.units = units;
    s.activation = tu_rand_int(0, 2);
    s.padding = NNOM_PADDING_SAME;
    if (k > 1 && tu_rand_int(0, 2) == 0) {
        spec p;
        memset(&p, 0, sizeof p);
        p.kind = K_PAD;
        for (int i = 0; i < 4; i++) p.pad[i] = stride == 1 ? 1 : tu_rand_int(0, 1);
        in = add_node(g, &p, in, -1);
        s.padding = NNOM_PADDING_VALID;
    }
    return add_node(g, &s, in, -1);
}

static int32_t add_simple(graph *g, int kind, int32_t a, int32_t b)
{
    spec s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    s.activation = tu_rand_int(0, 2) == 0 ? NNOM_ACT_RELU : NNOM_ACT_NONE;
    return add_node(g, &s, a, b);
}

/* A residual block reading @p x: a main path (one or two convolutions or depthwise convolutions,
 * 1x1 or 3x3, the first of stride 1 or 2, maybe a ReLU layer between them) and a shortcut (@p x
 * itself, or a 1x1 or 3x3 convolution of the same stride), joined by an add or a concatenation
 * along the channels or columns, in a random order of layers; 0 if the paths' shapes differ. */
static int residual_block(graph *g, int32_t *x)
{
    const int32_t stride = tu_rand_int(1, 2);
    const int join = tu_rand_int(0, 2) ? K_ADD : K_CONCAT;
    const int32_t axis = join == K_CONCAT && tu_rand_int(0, 2) == 0 ? 1 : -1;
    int32_t h, w, c;
    node_shape(g, *x, &h, &w, &c);
    int32_t units = tu_rand_int(1, 12);
    const int same_c = join == K_ADD || axis == 1;
    const int identity = stride == 1 && tu_rand_int(0, 1);
    if (identity && same_c) units = c;
    int32_t main_end = -1, short_end = *x;
    for (int part = tu_rand_int(0, 1), k = 0; k < 2; k++, part ^= 1) {
        if (part == 0) { /* the main path */
            int32_t y = *x, s = stride;
            if (tu_rand_int(0, 1)) {
                const int dw = tu_rand_int(0, 1);
                y = add_window(g, dw ? K_DW : K_CONV, y, tu_rand_int(0, 2) ? 3 : 1, s, dw ? tu_rand_int(1, 2) : tu_rand_int(1, 12));
                s = 1;
                if (tu_rand_int(0, 3) == 0) y = add_simple(g, K_RELU, y, -1);
            }
            main_end = add_window(g, K_CONV, y, tu_rand_int(0, 2) ? 3 : 1, s, units);
        } else if (!identity) {
            short_end = add_window(g, K_CONV, *x, tu_rand_int(0, 1) ? 3 : 1, stride, same_c ? units : tu_rand_int(1, 12));
        }
    }
    const node *a = &g->nd[main_end], *b = &g->nd[short_end];
    int32_t bh = short_end < 0 ? h : b->h, bw = short_end < 0 ? w : b->w, bc = short_end < 0 ? c : b->c;
    if (a->h != bh || (axis != 1 && a->w != bw) || (same_c && a->c != bc)) return 0;
    const int swap = tu_rand_int(0, 1);
    *x = add_simple(g, join, swap ? short_end : main_end, swap ? main_end : short_end);
    node *j = &g->nd[*x];
    j->axis = axis;
    if (join == K_CONCAT) {
        if (axis == 1) j->w = a->w + bw;
        else j->c = a->c + bc;
    }
    if (tu_rand_int(0, 2) == 0) *x = add_simple(g, K_RELU, *x, -1);
    return 1;
}

/* Fills the blobs of every window node (their input channels are known now), and the output
 * quantisation of every join. */
static void graph_blobs(graph *g, nnom_dtype dt)
{
    for (int i = 0; i < g->n; i++) {
        node *n = &g->nd[i];
        if (n->s.kind == K_ADD || n->s.kind == K_CONCAT) n->s.quant = (nnom_quant){0.07f, tu_rand_int(-20, 20)};
        if (n->s.kind != K_CONV && n->s.kind != K_DW) continue;
        int32_t h, w, c;
        node_shape(g, n->in[0], &h, &w, &c);
        make_blobs(&n->s, dt, c);
        if (dt == NNOM_DTYPE_S8 && n->s.kind == K_DW) n->s.quant.scale = 0.03f; /* wider than a conv's */
    }
}

/* A random graph: maybe a 3x3 convolution, one or two residual blocks, maybe a max pool. */
static void random_graph(graph *g, nnom_dtype dt)
{
    for (;;) {
        memset(g, 0, sizeof *g);
        g->h = tu_rand_int(5, 28);
        g->w = tu_rand_int(5, 28);
        g->c = tu_rand_int(1, 6);
        int32_t x = -1;
        if (tu_rand_int(0, 1)) x = add_window(g, K_CONV, x, 3, 1, tu_rand_int(1, 12));
        int ok = 1;
        for (int b = tu_rand_int(1, 2); b > 0 && ok; b--) ok = residual_block(g, &x);
        if (ok && tu_rand_int(0, 3) == 0 && g->nd[x].h >= 2 && g->nd[x].w >= 2) {
            spec p;
            memset(&p, 0, sizeof p);
            p = (spec){.kind = K_MAX_POOL, .k = 2, .stride = 2, .dil = 1, .padding = NNOM_PADDING_VALID};
            add_node(g, &p, x, -1);
        }
        for (int i = 0; ok && i < g->n; i++) ok = g->nd[i].h > 0 && g->nd[i].w > 0;
        if (!ok) continue;
        graph_blobs(g, dt);
        return;
    }
}

static void free_graph(graph *g)
{
    for (int i = 0; i < g->n; i++) {
        free(g->nd[i].s.w);
        free(g->nd[i].s.bias);
        free(g->nd[i].s.mult);
        free(g->nd[i].s.shift);
        free(g->nd[i].s.bias_f);
    }
}

/* The model of @p g with tiling budget @p percent (NNOM_TILING_OFF: none). */
static nnom_model *build_graph(graph *g, nnom_dtype dt, int32_t percent)
{
    int32_t input = -1, ids[MAX_NODES];
    nnom_quant in_q, q[MAX_NODES];
    nnom_model *m = new_model(dt, percent, g->h, g->w, g->c, &input, &in_q);
    for (int i = 0; i < g->n; i++) {
        node *n = &g->nd[i];
        int32_t src[2];
        nnom_quant src_q[2];
        for (int k = 0; k < n->n_in; k++) {
            src[k] = n->in[k] < 0 ? input : ids[n->in[k]];
            src_q[k] = n->in[k] < 0 ? in_q : q[n->in[k]];
        }
        if (n->s.kind != K_ADD && n->s.kind != K_CONCAT && n->s.kind != K_RELU) {
            int32_t c = n->in[0] < 0 ? g->c : g->nd[n->in[0]].c;
            q[i] = src_q[0];
            ids[i] = append_spec(m, &n->s, dt, src[0], &c, &q[i]);
            continue;
        }
        nnom_layer_desc d;
        nnom_layer_desc_init(&d);
        d.n_inputs = n->n_in;
        d.inputs[0] = src[0];
        d.inputs[1] = src[1];
        int32_t *params = n->params;
        q[i] = dt == NNOM_DTYPE_S8 ? n->s.quant : src_q[0];
        if (n->s.kind == K_RELU) {
            d.type = NNOM_LAYER_RELU;
            q[i] = src_q[0];
            if (dt == NNOM_DTYPE_S8) {
                TU_REQUIRE(nnom_quant_activation_table(NNOM_LAYER_RELU, 0.0f, src_q[0], q[i], n->table) == NNOM_OK,
                           "table");
                d.blobs[0] = (nnom_blob){n->table, sizeof n->table};
            }
        } else if (n->s.kind == K_ADD) {
            d.type = NNOM_LAYER_ADD;
            d.params.activation = n->s.activation;
            if (dt == NNOM_DTYPE_S8) {
                TU_REQUIRE(nnom_quant_add_params(src_q[0], src_q[1], q[i], params) == NNOM_OK, "add params");
                d.blobs[0] = (nnom_blob){params, 6 * 4u};
            }
        } else {
            d.type = NNOM_LAYER_CONCATENATE;
            d.params.axis = n->axis;
            if (dt == NNOM_DTYPE_S8) {
                for (int k = 0; k < 2; k++)
                    TU_REQUIRE(nnom_quant_concat_params(src_q[k], q[i], params + 2 * k) == NNOM_OK, "concat params");
                d.blobs[0] = (nnom_blob){params, 4 * 4u};
            }
        }
        d.quant = q[i];
        TU_OK(m, nnom_model_add_layer(m, &d, &ids[i]));
    }
    return finish_model(m, ids[g->n - 1]);
}

/* Whether the tiled stage of @p m holds a layer reading two layers (a join). */
static int stage_has_join(nnom_model *m, const nnom_tiling_info *ti)
{
    for (int32_t i = ti->first_layer; ti->first_layer >= 0 && i <= ti->cut_layer; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, i, &info));
        if (info.n_inputs == 2) return 1;
    }
    return 0;
}

static int graph_cases, graph_tiled, graph_joins;

static void one_graph_case(nnom_dtype dt, int t)
{
    graph g;
    random_graph(&g, dt);
    const int32_t percent = tu_rand_int(1, 300);
    nnom_model *tiled = build_graph(&g, dt, percent), *plain = build_graph(&g, dt, NNOM_TILING_OFF);
    nnom_tiling_info ti = NNOM_TILING_INFO_INIT;
    TU_OK(tiled, nnom_model_tiling(tiled, &ti));
    TU_CHECK(ti.untiled_arena_bytes == nnom_model_arena_size(plain), "graph %d: untiled arena %u, the plain model's %u",
             t, (unsigned)ti.untiled_arena_bytes, (unsigned)nnom_model_arena_size(plain));
    if (ti.first_layer >= 0) {
        graph_tiled++;
        graph_joins += stage_has_join(tiled, &ti);
        TU_CHECK(nnom_model_arena_size(tiled) < nnom_model_arena_size(plain), "graph %d: tiled arena %u, untiled %u", t,
                 (unsigned)nnom_model_arena_size(tiled), (unsigned)nnom_model_arena_size(plain));
        TU_CHECK(ti.extra_macs * 100 <= nnom_model_total_macs(plain) * (uint64_t)percent,
                 "graph %d: %lu MACs added to %lu, budget %d %%", t, (unsigned long)ti.extra_macs,
                 (unsigned long)nnom_model_total_macs(plain), (int)percent);
    } else {
        TU_CHECK(nnom_model_arena_size(tiled) == nnom_model_arena_size(plain), "graph %d: untiled plans differ", t);
    }
    for (int32_t i = 0; i < nnom_model_layer_count(tiled); i++) { /* bands reported inside the arena */
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(tiled, nnom_model_layer_info(tiled, i, &info));
        TU_CHECK((uint64_t)info.arena_offset + info.arena_bytes <= nnom_model_arena_size(tiled) &&
                     (info.scratch_bytes == 0 ||
                      (uint64_t)info.scratch_offset + info.scratch_bytes <= nnom_model_arena_size(tiled)),
                 "graph %d: layer %d outside the arena", t, (int)i);
    }
    for (int r = 0; r < 2; r++)
        TU_CHECK(same_outputs(tiled, plain, dt), "graph %d (%s, %d layers, %dx%dx%d, tiles %d of %d rows, layers %d..%d): "
                 "tiled output differs", t, dt == NNOM_DTYPE_S8 ? "int8" : "float32", g.n, (int)g.h, (int)g.w, (int)g.c,
                 (int)ti.tiles, (int)ti.rows_per_tile, (int)ti.first_layer, (int)ti.cut_layer);
    graph_cases++;
    nnom_model_destroy(tiled);
    nnom_model_destroy(plain);
    free_graph(&g);
}

/* ResNet-8 of MLPerf Tiny (32x32x3, without its classifier): a 3x3 convolution of 16 filters, then
 * three residual blocks of 16, 32, 64 filters (two 3x3 convolutions; the last two of stride 2, with
 * a 1x1 convolution of stride 2 on the shortcut), joined by an add with a ReLU. Its peak is the first
 * block, where the shortcut and the convolutions' 32x32x16 outputs live together; tiled, no two of
 * them exist whole at once. */
static void resnet8(nnom_dtype dt)
{
    graph g;
    memset(&g, 0, sizeof g);
    g.h = g.w = 32;
    g.c = 3;
    const spec conv = {.kind = K_CONV, .k = 3, .stride = 1, .dil = 1, .padding = NNOM_PADDING_SAME,
                       .activation = NNOM_ACT_RELU};
    spec s = conv;
    s.units = 16;
    int32_t x = add_node(&g, &s, -1, -1);
    for (int32_t b = 0; b < 3; b++) {
        s = conv;
        s.units = 16 << b;
        s.stride = b ? 2 : 1;
        int32_t y = add_node(&g, &s, x, -1);
        s.stride = 1;
        s.activation = NNOM_ACT_NONE;
        y = add_node(&g, &s, y, -1);
        if (b) {
            s.k = 1;
            s.stride = 2;
            x = add_node(&g, &s, x, -1);
        }
        s = (spec){.kind = K_ADD, .activation = NNOM_ACT_RELU};
        x = add_node(&g, &s, x, y);
    }
    graph_blobs(&g, dt);
    nnom_model *tiled = build_graph(&g, dt, 0), *plain = build_graph(&g, dt, NNOM_TILING_OFF);
    nnom_tiling_info ti = NNOM_TILING_INFO_INIT;
    TU_OK(tiled, nnom_model_tiling(tiled, &ti));
    printf("test_tiling: ResNet-8 (%s): arena %u B untiled, %u B tiled (layers %d..%d, %d tiles of %d rows), "
           "%lu MACs + %lu added (%.1f %%)\n", dt == NNOM_DTYPE_S8 ? "int8" : "float32",
           (unsigned)nnom_model_arena_size(plain), (unsigned)nnom_model_arena_size(tiled), (int)ti.first_layer,
           (int)ti.cut_layer, (int)ti.tiles, (int)ti.rows_per_tile, (unsigned long)nnom_model_total_macs(plain),
           (unsigned long)ti.extra_macs, 100.0 * (double)ti.extra_macs / (double)nnom_model_total_macs(plain));
    const uint32_t big = 32u * 32u * 16u * (dt == NNOM_DTYPE_S8 ? 1u : 4u); /* one 32x32x16 tensor */
    TU_CHECK(stage_has_join(tiled, &ti) && nnom_model_arena_size(tiled) < 2 * big,
             "ResNet-8: the first block is not tiled (layers %d..%d, arena %u B)", (int)ti.first_layer,
             (int)ti.cut_layer, (unsigned)nnom_model_arena_size(tiled));
    TU_CHECK(ti.extra_macs * 100 <= nnom_model_total_macs(plain) * NNOM_TILING_DEFAULT_PERCENT,
             "ResNet-8: over the default budget");
    TU_CHECK(same_outputs(tiled, plain, dt), "ResNet-8 (%s): tiled output differs", dt == NNOM_DTYPE_S8 ? "int8" : "float32");
    nnom_model_destroy(tiled);
    nnom_model_destroy(plain);
    free_graph(&g);
}

static void check_api(void)
{
    nnom_tiling_info a = NNOM_TILING_INFO_INIT, b;
    nnom_tiling_info_init(&b);
    TU_CHECK(a.struct_size == sizeof a && memcmp(&a, &b, sizeof a) == 0, "NNOM_TILING_INFO_INIT and init()");
    chain ch;
    random_chain(&ch, NNOM_DTYPE_S8);
    nnom_model *m = build(&ch, NNOM_DTYPE_S8, 0);
    nnom_tiling_info bad = NNOM_TILING_INFO_INIT;
    bad.struct_size = 3;
    TU_CHECK(nnom_model_tiling(m, &bad) == NNOM_ERR_ARGUMENT &&
                 strstr(nnom_model_last_error(m), "nnom_tiling_info.struct_size") != NULL,
             "bad struct_size: '%s'", nnom_model_last_error(m));
    TU_CHECK(nnom_model_tiling(m, NULL) == NNOM_ERR_ARGUMENT, "NULL info");
    nnom_model_destroy(m);
    free_chain(&ch);
}

int main(void)
{
    tu_seed(0x711E5ULL);
    check_api();
    for (int t = 0; t < 300; t++) {
        const uint32_t next = tu_rand_u32();
        one_case(t % 2 ? NNOM_DTYPE_F32 : NNOM_DTYPE_S8, t);
        tu_seed(next);
    }
    for (int t = 0; t < 300; t++) {
        const uint32_t next = tu_rand_u32();
        one_graph_case(t % 2 ? NNOM_DTYPE_F32 : NNOM_DTYPE_S8, t);
        tu_seed(next);
    }
    resnet8(NNOM_DTYPE_S8);
    resnet8(NNOM_DTYPE_F32);
    mobilenet(NNOM_DTYPE_S8);
    mobilenet(NNOM_DTYPE_F32);
    cnn28();
    printf("test_tiling: %d random chains, %d tiled, all equal to the untiled run\n", cases, tiled_cases);
    TU_CHECK(tiled_cases > cases / 3, "only %d of %d chains tiled", tiled_cases, cases);
    printf("test_tiling: %d random residual graphs, %d tiled, %d of them through a join, all equal to the untiled run\n",
           graph_cases, graph_tiled, graph_joins);
    TU_CHECK(graph_joins > graph_cases / 4, "only %d of %d graphs tiled through a join", graph_joins, graph_cases);
    return tu_finish("test_tiling");
}
