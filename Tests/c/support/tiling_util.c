/* Models of 2-D window layers for the tiling and plan tests (test_tiling.c, test_tiling_graph.c, test_plan_goal.c): see
 * tiling_util.h. */
#include "tiling_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model_internal.h"
#include "test_util.h"

int32_t tt_window_out(int32_t in, int32_t k, int32_t s, int32_t d, int32_t padding)
{
    if (padding == NNOM_PADDING_SAME) return (in + s - 1) / s;
    const int32_t span = (k - 1) * d + 1;
    return span > in ? 0 : (in - span) / s + 1;
}

/* Fills the blobs of layer @p s reading @p in_c channels; returns its output channels. */
int32_t tt_make_blobs(spec *s, nnom_dtype dt, int32_t in_c)
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

/* Appends layer @p s (a window layer, a pool or a zero padding) reading layer @p in, whose output has
 * *@p c channels and quantisation *@p q (both updated to the new layer's); returns its id. */
int32_t tt_append_spec(nnom_model *m, const spec *s, nnom_dtype dt, int32_t in, int32_t *c, nnom_quant *q)
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
nnom_model *tt_new_model(nnom_dtype dt, int32_t percent, int32_t h, int32_t w, int32_t c, int32_t *id, nnom_quant *q)
{
    nnom_options o;
    nnom_options_init(&o);
    o.tiling_max_extra_macs_percent = percent;
    return tt_new_model_with(dt, &o, h, w, c, id, q);
}

nnom_model *tt_new_model_with(nnom_dtype dt, const nnom_options *o, int32_t h, int32_t w, int32_t c, int32_t *id,
                              nnom_quant *q)
{
    nnom_model *m = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(dt, o, &m, &err) == NNOM_OK, "create: %s", err.message);
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

/* Adds the output layer "y" reading layer @p id. */
static void add_output(nnom_model *m, int32_t id)
{
    nnom_layer_desc out;
    nnom_layer_desc_init(&out);
    out.type = NNOM_LAYER_OUTPUT;
    out.name = "y";
    out.n_inputs = 1;
    out.inputs[0] = id;
    TU_OK(m, nnom_model_add_layer(m, &out, NULL));
}

/* Adds the output (layer @p id), compiles and gives the model its arena. */
nnom_model *tt_finish_model(nnom_model *m, int32_t id)
{
    add_output(m, id);
    TU_OK(m, nnom_model_compile(m));
    TU_OK(m, nnom_model_alloc_arena(m));
    return m;
}

/* Runs both models on one random input; 1 if their outputs are the same bytes. */
int tt_same_outputs(nnom_model *a, nnom_model *b, nnom_dtype dt)
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

int tt_check_fastest_below(nnom_model *fast, nnom_model *plain, const nnom_tiling_info *ti, nnom_dtype dt,
                           const char *what)
{
    nnom_tiling_info fi = NNOM_TILING_INFO_INIT;
    TU_OK(fast, nnom_model_tiling(fast, &fi));
    TU_CHECK(fi.first_layer >= 0 && nnom_model_arena_size(fast) < ti->untiled_arena_bytes,
             "%s: fastest plan of %u bytes, untiled %u", what, (unsigned)nnom_model_arena_size(fast),
             (unsigned)ti->untiled_arena_bytes);
    for (int r = 0; r < 2; r++)
        TU_CHECK(tt_same_outputs(fast, plain, dt),
                 "%s (%s, tiles %d of %d rows, layers %d..%d, %u bytes of bands kept): fastest tiled output differs",
                 what, dt == NNOM_DTYPE_S8 ? "int8" : "float32", (int)fi.tiles, (int)fi.rows_per_tile,
                 (int)fi.first_layer, (int)fi.cut_layer, (unsigned)fi.kept_band_bytes);
    return fi.kept_band_bytes > 0;
}

void tt_free_spec(spec *s)
{
    free(s->w);
    free(s->bias);
    free(s->mult);
    free(s->shift);
    free(s->bias_f);
}

void tt_free_chain(tt_chain *ch)
{
    for (int i = 0; i < ch->n; i++) tt_free_spec(&ch->s[i]);
}

nnom_model *tt_build_chain(const tt_chain *ch, nnom_dtype dt, int32_t percent)
{
    int32_t id = -1, c = ch->c;
    nnom_quant q;
    nnom_model *m = tt_new_model(dt, percent, ch->h, ch->w, ch->c, &id, &q);
    for (int i = 0; i < ch->n; i++) id = tt_append_spec(m, &ch->s[i], dt, id, &c, &q);
    return tt_finish_model(m, id);
}

nnom_model *tt_build_chain_with(const tt_chain *ch, nnom_dtype dt, const nnom_options *o, nnom_error *err)
{
    int32_t id = -1, c = ch->c;
    nnom_quant q;
    nnom_model *m = tt_new_model_with(dt, o, ch->h, ch->w, ch->c, &id, &q);
    for (int i = 0; i < ch->n; i++) id = tt_append_spec(m, &ch->s[i], dt, id, &c, &q);
    add_output(m, id);
    err->status = nnom_model_compile(m);
    if (err->status != NNOM_OK) {
        snprintf(err->message, sizeof err->message, "%s", nnom_model_last_error(m));
        nnom_model_destroy(m);
        return NULL;
    }
    TU_OK(m, nnom_model_alloc_arena(m));
    return m;
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

void tt_random_chain(tt_chain *ch, nnom_dtype dt)
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
                h = tt_window_out(h, s->k, s->stride, 1, s->padding);
                w = tt_window_out(w, s->k, s->stride, 1, s->padding);
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
            h = tt_window_out(h, s->k, s->stride, s->dil, s->padding);
            w = tt_window_out(w, s->k, s->stride, s->dil, s->padding);
            ok = h > 0 && w > 0;
        }
        if (!ok) continue;
        int32_t c = ch->c;
        for (int i = 0; i < ch->n; i++)
            if (ch->s[i].kind == K_CONV || ch->s[i].kind == K_DW) c = tt_make_blobs(&ch->s[i], dt, c);
        return;
    }
}

int tt_force_tiling(nnom_model *m, nnom_model *plain, nnom_dtype dt, int32_t first, int32_t cut, int32_t rows,
                    int32_t shift, uint32_t carry, uint32_t park, const char *what, uint32_t *kept, uint32_t *parked,
                    uint32_t *bands)
{
    if (nnom_plan_tiling(m, first, cut, rows, shift, carry, park) != NNOM_OK) {
        nnom_model_destroy(m);
        return 0;
    }
    const size_t bytes = nnom_model_arena_size(m);
    void *arena = malloc(bytes ? (bytes + 3) / 4 * 4 : 4);
    TU_OK(m, nnom_model_set_arena(m, arena, bytes));
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, i, &info));
        TU_CHECK((uint64_t)info.arena_offset + info.arena_bytes <= bytes, "%s: layer %d output [%u, +%u) outside "
                 "the %u-byte arena", what, (int)i, (unsigned)info.arena_offset, (unsigned)info.arena_bytes,
                 (unsigned)bytes);
    }
    for (int r = 0; r < 2; r++) /* twice: a run must not depend on what the last one left */
        TU_CHECK(tt_same_outputs(m, plain, dt), "%s (%s): layers %d..%d, %d rows per tile, the first %d fewer, "
                 "bands keeping %#x, parking %#x: tiled output differs", what, dt == NNOM_DTYPE_S8 ? "int8" : "float32",
                 (int)first, (int)cut, (int)rows, (int)shift, (unsigned)carry, (unsigned)park);
    *kept = m->tiling.carry;
    *parked = m->tiling.park;
    *bands = nnom_tiling_stage_bands(m, first, cut);
    nnom_model_destroy(m); /* the arena is ours */
    free(arena);
    return 1;
}

int32_t tt_stages(nnom_model *m, int32_t (*stages)[3], int32_t cap)
{
    int32_t n = 0;
    if (nnom_plan_keep(m) != NNOM_OK) return 0;
    for (int32_t first = 1; first < m->n_layers; first++)
        for (int32_t cut = first + 1; cut < m->n_layers && n < cap; cut++)
            if (nnom_tiling_is_stage(m, first, cut)) {
                stages[n][0] = first;
                stages[n][1] = cut;
                stages[n][2] = m->layers[cut].def->shape.rank == 3 ? (int32_t)m->layers[cut].def->shape.dims[0] : 1;
                n++;
            }
    nnom_plan_end(m);
    return n;
}
