/*
 * Tiled execution (core/tiling.c) of stages that are small graphs, against the untiled run.
 *
 * Random residual graphs, int8 and float32: maybe a 3x3 convolution, then one or two residual
 * blocks, maybe a 2x2 max pool; inputs of 5..28 rows and columns, 1..6 channels. A block's main
 * path is one or two convolutions or depthwise convolutions (1x1 or 3x3, 1..12 filters, the first
 * of stride 1 or 2, SAME padding or a zero padding then VALID, maybe a ReLU layer between them);
 * its shortcut is the block's input or a convolution of the same stride; they meet in an add (with
 * or without a fused ReLU) or a concatenation along the channels or the columns, maybe followed by
 * a ReLU layer; the layers of the two paths come in a random order. Each model is compiled twice
 * from the same weights: with a random MAC budget of 1..300 % and with tiling off. On the same
 * random input both runs must give the same output bytes, a tiled arena must be smaller than the
 * untiled one and the added MACs within the budget, and every buffer the plan reports must lie in
 * the arena. Most graphs must end up tiled through a join. Each graph is also planned with tilings
 * forced (tt_force_tiling(): random stages, rows per tile, first tiles shorter or warm-ups, bands
 * keeping their halos or not, in the arena or parked), which must run as the untiled model does.
 *
 * Then ResNet-8 of MLPerf Tiny (without its classifier) with the default budget: its first block is
 * tiled (no two 32x32x16 tensors whole at once), equal bit for bit; the figures are printed.
 */
#include <stdlib.h>
#include <string.h>

#include "core/model_internal.h"
#include "test_util.h"
#include "tiling_util.h"

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
        n->h = tt_window_out(n->h, s->k, s->stride, s->dil, s->padding);
        n->w = tt_window_out(n->w, s->k, s->stride, s->dil, s->padding);
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
        tt_make_blobs(&n->s, dt, c);
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

/* The model of @p g with options @p o. */
static nnom_model *build_graph_with(graph *g, nnom_dtype dt, const nnom_options *o)
{
    int32_t input = -1, ids[MAX_NODES];
    nnom_quant in_q, q[MAX_NODES];
    nnom_model *m = tt_new_model_with(dt, o, g->h, g->w, g->c, &input, &in_q);
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
            ids[i] = tt_append_spec(m, &n->s, dt, src[0], &c, &q[i]);
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
    return tt_finish_model(m, ids[g->n - 1]);
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

/* The model of @p g with tiling budget @p percent (NNOM_TILING_OFF: none). */
static nnom_model *build_graph(graph *g, nnom_dtype dt, int32_t percent)
{
    nnom_options o;
    nnom_options_init(&o);
    o.tiling_max_extra_macs_percent = percent;
    return build_graph_with(g, dt, &o);
}

static int graph_cases, graph_tiled, graph_joins, graph_kept, graph_fastest_kept, forced, forced_joins, forced_shifted,
    forced_parked;

/* Tilings of @p g forced (tt_force_tiling()): random stages, rows per tile, shifts and bands keeping, each
 * against the untiled run @p plain. */
static void forced_graph_cases(graph *g, nnom_dtype dt, nnom_model *plain, int t)
{
    int32_t st[64][3];
    const int32_t n = tt_stages(plain, st, 64);
    char what[32];
    snprintf(what, sizeof what, "graph %d, forced", t);
    for (int32_t k = 0; n > 0 && k < 4; k++) {
        const int32_t *s = st[tu_rand_int(0, n - 1)];
        if (s[2] < 2) continue;
        const int32_t rows = tu_rand_int(1, s[2] - 1 < 4 ? s[2] - 1 : 4), shift = tu_rand_int(0, rows);
        uint32_t kept, parked, bands;
        const uint32_t carry = tu_rand_u32(), park = tu_rand_int(0, 1) ? tu_rand_u32() : 0;
        if (!tt_force_tiling(build_graph(g, dt, NNOM_TILING_OFF), plain, dt, s[0], s[1], rows, shift, carry, park,
                             what, &kept, &parked, &bands))
            continue;
        forced_parked += parked != 0;
        const nnom_tiling_info ti = {.first_layer = s[0], .cut_layer = s[1]};
        forced++;
        forced_joins += stage_has_join(plain, &ti);
        forced_shifted += shift > 0;
    }
}

/* The fastest plan of @p g (budget @p percent) under a limit one byte below the untiled arena (@p ti: the
 * smallest plan's tiling): a tiling that keeps the rows neighbouring tiles share (no MAC added) where one
 * is below the limit (core/plan_tuned.c), else the smallest plan's; equal to the untiled run @p plain. */
static void fastest_graph_case(graph *g, nnom_dtype dt, int32_t percent, const nnom_tiling_info *ti, nnom_model *plain,
                               int t)
{
    nnom_options o;
    nnom_options_init(&o);
    o.tiling_max_extra_macs_percent = percent;
    o.plan_goal = NNOM_PLAN_FASTEST;
    o.max_arena_bytes = ti->untiled_arena_bytes - 1;
    nnom_model *fast = build_graph_with(g, dt, &o);
    char what[96];
    snprintf(what, sizeof what, "graph %d (%d layers, %dx%dx%d)", t, g->n, (int)g->h, (int)g->w, (int)g->c);
    graph_fastest_kept += tt_check_fastest_below(fast, plain, ti, dt, what);
    nnom_model_destroy(fast);
}

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
        graph_kept += ti.kept_band_bytes > 0;
        fastest_graph_case(&g, dt, percent, &ti, plain, t);
    } else {
        TU_CHECK(nnom_model_arena_size(tiled) == nnom_model_arena_size(plain), "graph %d: untiled plans differ", t);
    }
    TU_OK(tiled, nnom_plan_keep(tiled)); /* the plan behind the layers' offsets */
    for (int32_t i = 0; i < nnom_model_layer_count(tiled); i++) { /* bands reported inside the arena */
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(tiled, nnom_model_layer_info(tiled, i, &info));
        TU_CHECK((uint64_t)info.arena_offset + info.arena_bytes <= nnom_model_arena_size(tiled) &&
                     (info.scratch_bytes == 0 ||
                      (uint64_t)info.scratch_offset + info.scratch_bytes <= nnom_model_arena_size(tiled)),
                 "graph %d: layer %d outside the arena", t, (int)i);
        /* a stage layer's info is its buffer (a band, its input's, or the cut's output) */
        const nnom_buffer *b = &tiled->plan->buffers[tiled->plan->layers[i].buffer];
        const int staged = ti.first_layer >= 0 && i >= ti.first_layer && i < ti.cut_layer;
        TU_CHECK(info.arena_offset == b->offset && (!staged || info.arena_bytes == b->bytes),
                 "graph %d: layer %d's info says [%u, +%u), its buffer is [%u, +%u)", t, (int)i,
                 (unsigned)info.arena_offset, (unsigned)info.arena_bytes, (unsigned)b->offset, (unsigned)b->bytes);
    }
    nnom_plan_end(tiled);
    forced_graph_cases(&g, dt, plain, t);
    for (int r = 0; r < 2; r++)
        TU_CHECK(tt_same_outputs(tiled, plain, dt), "graph %d (%s, %d layers, %dx%dx%d, tiles %d of %d rows, layers %d..%d): "
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
    printf("test_tiling_graph: ResNet-8 (%s): arena %u B untiled, %u B tiled (layers %d..%d, %d tiles of %d rows, "
           "%u B of bands kept), %lu MACs + %lu added (%.1f %%)\n", dt == NNOM_DTYPE_S8 ? "int8" : "float32",
           (unsigned)nnom_model_arena_size(plain), (unsigned)nnom_model_arena_size(tiled), (int)ti.first_layer,
           (int)ti.cut_layer, (int)ti.tiles, (int)ti.rows_per_tile, (unsigned)ti.kept_band_bytes,
           (unsigned long)nnom_model_total_macs(plain),
           (unsigned long)ti.extra_macs, 100.0 * (double)ti.extra_macs / (double)nnom_model_total_macs(plain));
    const uint32_t big = 32u * 32u * 16u * (dt == NNOM_DTYPE_S8 ? 1u : 4u); /* one 32x32x16 tensor */
    TU_CHECK(stage_has_join(tiled, &ti) && nnom_model_arena_size(tiled) < 2 * big,
             "ResNet-8: the first block is not tiled (layers %d..%d, arena %u B)", (int)ti.first_layer,
             (int)ti.cut_layer, (unsigned)nnom_model_arena_size(tiled));
    TU_CHECK(ti.extra_macs * 100 <= nnom_model_total_macs(plain) * NNOM_TILING_DEFAULT_PERCENT,
             "ResNet-8: over the default budget");
    TU_CHECK(tt_same_outputs(tiled, plain, dt), "ResNet-8 (%s): tiled output differs", dt == NNOM_DTYPE_S8 ? "int8" : "float32");
    nnom_model_destroy(tiled);
    nnom_model_destroy(plain);
    free_graph(&g);
}

int main(void)
{
    tu_seed(0x6A7F5ULL);
    for (int t = 0; t < 300; t++) {
        const uint32_t next = tu_rand_u32();
        one_graph_case(t % 2 ? NNOM_DTYPE_F32 : NNOM_DTYPE_S8, t);
        tu_seed(next);
    }
    resnet8(NNOM_DTYPE_S8);
    resnet8(NNOM_DTYPE_F32);
    printf("test_tiling_graph: %d random residual graphs, %d tiled (%d keeping halo rows), %d of them through a "
           "join, %d keeping halo rows in the fastest plan below the untiled arena, all equal to the untiled run\n",
           graph_cases, graph_tiled, graph_kept, graph_joins, graph_fastest_kept);
    printf("test_tiling_graph: %d forced tilings (%d through a join, %d with a shorter first tile, %d parking kept "
           "rows), all equal to the untiled run\n", forced, forced_joins, forced_shifted, forced_parked);
    TU_CHECK(graph_joins > graph_cases / 4, "only %d of %d graphs tiled through a join", graph_joins, graph_cases);
    TU_CHECK(forced_joins > 200 && forced_shifted > 200 && forced_parked > 100, "too few forced tilings through a "
             "join, shifted or parking");
    TU_CHECK(graph_fastest_kept > graph_tiled / 4, "only %d of %d tiled graphs kept halo rows in the fastest plan",
             graph_fastest_kept, graph_tiled);
    return tu_finish("test_tiling_graph");
}
