/*
 * Whole graphs through the public API: a residual block, an Inception-style
 * 4-branch concatenation, a DenseNet-style concatenation chain and random
 * DAGs (conv, depthwise conv, ReLU, add, concatenation, max pooling). Float32 models are compared with a double-precision reference
 * executor written in the tests (support/graph_util.c); int8 and float32
 * models are run with the planned (shared, in-place) arena and again with
 * every output kept apart, which must give identical bytes. The plan itself
 * is checked: no two buffers alive at the same time overlap, the arena is
 * exactly as large as the highest buffer end, running in an arena of exactly
 * that size works (malloc'd to size, so ASan sees any overrun), and one byte
 * less is refused.
 */
#include <math.h>
#include <string.h>

#include "common/tools_internal.h"
#include "core/model_internal.h"
#include "graph_util.h"

static int in_place_layers; /* over all graphs: non-view layers that ran in place */
static int tiled_layers;    /* over all graphs: layers whose output was a band of a tiled stage */

static void check_plan(nnom_model *m, const char *name)
{
    /* the plan behind the layers' offsets (the planner keeps it only while it plans) */
    TU_OK(m, nnom_plan_keep(m));
    const nnom_plan_data *p = m->plan;
    uint32_t top = 0;
    for (int32_t a = 0; a < p->n_buffers; a++) {
        const nnom_buffer *x = &p->buffers[a];
        TU_CHECK(x->offset % 4 == 0, "%s: buffer %d at offset %u is not aligned", name, (int)a, (unsigned)x->offset);
        if (x->offset + x->bytes > top) top = x->offset + x->bytes;
        for (int32_t b = a + 1; b < p->n_buffers; b++) {
            const nnom_buffer *y = &p->buffers[b];
            int alive_together = x->first <= y->last && y->first <= x->last;
            int overlap = x->offset < y->offset + y->bytes && y->offset < x->offset + x->bytes;
            if (x->group == y->group) {
                /* written in place over each other: same offset, alive together only at the hand-over layer */
                TU_CHECK(x->offset == y->offset, "%s: group members %d and %d at different offsets", name, (int)a, (int)b);
                /* or a tiled band (core/tiling.c) and its start kept from one tile to the next, alive through
                 * the stage */
                const int kept = m->tiling.first >= 0 && y->first == m->tiling.first && y->last == m->tiling.cut &&
                                 y->bytes <= x->bytes && x->first >= y->first && x->last <= y->last;
                TU_CHECK(!alive_together || kept || x->last == y->first || y->last == x->first,
                         "%s: group members %d (layers %d..%d) and %d (%d..%d) overlap in time", name, (int)a,
                         (int)x->first, (int)x->last, (int)b, (int)y->first, (int)y->last);
                continue;
            }
            TU_CHECK(!(alive_together && overlap),
                     "%s: buffers %d [%u,+%u) layers %d..%d and %d [%u,+%u) layers %d..%d overlap", name, (int)a,
                     (unsigned)x->offset, (unsigned)x->bytes, (int)x->first, (int)x->last, (int)b,
                     (unsigned)y->offset, (unsigned)y->bytes, (int)y->first, (int)y->last);
        }
    }
    TU_CHECK(top == m->arena_size, "%s: arena %u but the highest buffer ends at %u", name, (unsigned)m->arena_size,
             (unsigned)top);
    TU_CHECK(nnom_model_arena_lower_bound(m) <= nnom_model_arena_size(m) && nnom_model_arena_lower_bound(m) > 0,
             "%s: lower bound %zu, arena %zu", name, nnom_model_arena_lower_bound(m), nnom_model_arena_size(m));
    /* every layer's output and scratch lie inside buffers that live through the layer, and are where the
     * layer keeps them */
    for (int32_t i = 0; i < m->n_layers; i++) {
        const nnom_layer *l = &m->layers[i];
        const nnom_layer_plan *q = &p->layers[i];
        const nnom_buffer *b = &p->buffers[q->buffer];
        TU_CHECK(l->out_offset == b->offset, "%s: layer %d's output at %u, its buffer at %u", name, (int)i,
                 (unsigned)l->out_offset, (unsigned)b->offset);
        TU_CHECK(q->scratch_buffer >= 0 ? l->scratch_offset == p->buffers[q->scratch_buffer].offset &&
                                              l->scratch_bytes == p->buffers[q->scratch_buffer].bytes
                                        : l->scratch_bytes == 0,
                 "%s: layer %d's scratch is not its buffer", name, (int)i);
        TU_CHECK(!(l->flags & NNOM_LAYER_KEPT) == (b->last < m->n_layers), "%s: layer %d's kept flag", name, (int)i);
        if (l->in_place && !(nnom_layer_ops_of(l->type)->flags & NNOM_OPS_VIEW)) {
            in_place_layers++;
            TU_CHECK(!b->holds_input, "%s: layer %d writes over a model input", name, (int)i);
        }
        /* a layer of a tiled stage before its cut holds one band of rows (core/tiling.c) */
        const int band = m->tiling.first >= 0 && i >= m->tiling.first && i < m->tiling.cut;
        uint32_t kept = 0; /* the rows a band keeps from one tile to the next: its start, through the stage */
        const uint32_t need = band ? nnom_tiling_band_bytes(m, i, &kept) : nnom_layer_out_bytes(l, nnom_model_dtype(m));
        int kept_found = kept == 0;
        for (int32_t k = 0; k < p->n_buffers; k++) {
            const nnom_buffer *o = &p->buffers[k];
            if (o->group == b->group && o->offset == b->offset && o->bytes >= kept && o->first <= m->tiling.first &&
                o->last >= m->tiling.cut)
                kept_found = 1;
        }
        TU_CHECK(kept_found, "%s: layer %d's band keeps %u bytes, alive through the stage in no buffer", name, (int)i,
                 (unsigned)kept);
        tiled_layers += band;
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, i, &info));
        TU_CHECK(info.arena_offset == b->offset && info.arena_bytes == (band ? b->bytes : need),
                 "%s: layer %d's info says [%u, +%u), its buffer is [%u, +%u)", name, (int)i, (unsigned)info.arena_offset,
                 (unsigned)info.arena_bytes, (unsigned)b->offset, (unsigned)b->bytes);
        TU_CHECK(b->bytes >= need && b->first <= i && b->last >= q->last_use, "%s: layer %d's buffer", name, (int)i);
        for (int32_t j = 0; j < l->n_inputs; j++) {
            const nnom_buffer *src = &p->buffers[p->layers[l->def->inputs[j]].buffer];
            TU_CHECK(src->last >= i, "%s: input %d of layer %d dies before it is read", name, (int)j, (int)i);
        }
    }
    nnom_plan_end(m);
}

static size_t input_count(const gb *g)
{
    nnom_tensor_info ti;
    nnom_model_input_info(g->m, 0, &ti);
    return (size_t)ti.count;
}

/* Runs a built graph: plan checks, exact arena, keep-all equality, f32 reference. */
static void exercise(gb *g, const char *name)
{
    gb_compile(g);
    check_plan(g->m, name);
    size_t n_in = input_count(g);
    float *xf = (float *)malloc(n_in * sizeof *xf);
    int8_t *xs = (int8_t *)malloc(n_in);
    tu_fill_f32(xf, n_in, -1.0f, 1.0f);
    tu_fill_s8(xs, n_in, -128, 127);

    size_t size = nnom_model_arena_size(g->m);
    uint8_t *arena = (uint8_t *)malloc(size);
    TU_CHECK(nnom_model_set_arena(g->m, arena, size - 1) == NNOM_ERR_ARENA_TOO_SMALL, "%s: one byte less accepted", name);
    TU_OK(g->m, nnom_model_set_arena(g->m, arena, size));
    if (g->dtype == NNOM_DTYPE_F32) TU_OK(g->m, nnom_model_set_input_f32(g->m, 0, xf, n_in));
    else TU_OK(g->m, nnom_model_set_input_s8(g->m, 0, xs, n_in));
    TU_OK(g->m, nnom_model_run(g->m));

    /* the same layers with every output kept apart */
    nnom_model *apart;
    nnom_error err;
    size_t file_size;
    TU_OK(g->m, nnom_model_save(g->m, NULL, 0, &file_size));
    uint64_t *file = (uint64_t *)malloc(file_size + 8);
    TU_OK(g->m, nnom_model_save(g->m, file, file_size, &file_size));
    TU_REQUIRE(nnom_model_load(file, file_size, NULL, &apart, &err) == NNOM_OK, "%s", err.message);
    nnom_model_destroy(apart);
    /* the same layers again, every output kept apart (the converter's clone) */
    TU_REQUIRE(nnom_tools_clone(g->m, 1, &apart, &err) == NNOM_OK, "%s", err.message);
    TU_CHECK(nnom_model_arena_size(apart) >= size, "%s: keep-all arena smaller than the planned one", name);
    TU_OK(apart, nnom_model_alloc_arena(apart));
    if (g->dtype == NNOM_DTYPE_F32) TU_OK(apart, nnom_model_set_input_f32(apart, 0, xf, n_in));
    else TU_OK(apart, nnom_model_set_input_s8(apart, 0, xs, n_in));
    TU_OK(apart, nnom_model_run(apart));

    double **ref = g->dtype == NNOM_DTYPE_F32 ? gb_reference(g, xf) : NULL;
    for (int32_t o = 0; o < nnom_model_output_count(g->m); o++) {
        nnom_tensor_info ti;
        nnom_model_output_info(g->m, o, &ti);
        size_t bytes = (size_t)ti.count * (g->dtype == NNOM_DTYPE_F32 ? 4 : 1);
        const void *planned = nnom_model_output_data(g->m, o), *kept = nnom_model_output_data(apart, o);
        TU_CHECK(memcmp(planned, kept, bytes) == 0, "%s: output %d differs between the planned and the keep-all arena",
                 name, (int)o);
        if (ref) {
            const float *y = (const float *)planned;
            const double *r = ref[ti.layer];
            double range = 0, worst = 0;
            for (int32_t k = 0; k < ti.count; k++) range = fmax(range, fabs(r[k]));
            for (int32_t k = 0; k < ti.count; k++) worst = fmax(worst, fabs(y[k] - r[k]));
            TU_CHECK(worst <= 1e-4 * fmax(range, 1e-3), "%s: output %d off the double reference by %g (range %g)", name,
                     (int)o, worst, range);
        }
    }
    /* with keep-all, every layer's output is readable and, for f32, matches the reference */
    for (int32_t i = 0; ref && i < g->n; i++) {
        const float *y = (const float *)nnom_model_layer_output(apart, i);
        TU_CHECK(y != NULL, "%s: layer %d not kept", name, (int)i);
        if (!y) continue;
        nnom_layer_info li = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(apart, i, &li);
        int32_t cnt = 1;
        for (int32_t k = 0; k < li.shape.rank; k++) cnt *= li.shape.dims[k];
        double range = 0, worst = 0;
        for (int32_t k = 0; k < cnt; k++) range = fmax(range, fabs(ref[i][k]));
        for (int32_t k = 0; k < cnt; k++) worst = fmax(worst, fabs(y[k] - ref[i][k]));
        TU_CHECK(worst <= 1e-4 * fmax(range, 1e-3), "%s: layer %d (%s) off by %g (range %g)", name, (int)i,
                 li.type_name, worst, range);
    }
    if (ref) gb_free_ref(g, ref);
    printf("%-34s %s layers=%2d arena=%6zu bytes (keep-all %6zu)\n", name,
           g->dtype == NNOM_DTYPE_F32 ? "f32" : "s8 ", (int)g->n, size, nnom_model_arena_size(apart));
    nnom_model_destroy(apart);
    nnom_model_destroy(g->m);
    free(file);
    free(arena);
    free(xf);
    free(xs);
}

static void residual(nnom_dtype dt)
{
    gb g;
    gb_init(&g, dt);
    int32_t x = gb_input(&g, 3, 8, 8, 3);
    int32_t c1 = gb_conv(&g, x, 8, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t c2 = gb_conv(&g, c1, 8, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE);
    int32_t s = gb_add(&g, c2, c1);
    int32_t r = gb_relu(&g, s);
    int32_t c3 = gb_conv(&g, r, 8, 3, 1, 2, NNOM_PADDING_SAME, NNOM_ACT_NONE); /* dilated */
    int32_t s2 = gb_add(&g, r, c3);
    int32_t p = gb_max_pool(&g, s2, 2, 2, NNOM_PADDING_VALID);
    int32_t f = gb_flatten(&g, p);
    int32_t d = gb_dense(&g, f, 10, NNOM_ACT_NONE);
    gb_output(&g, d);
    exercise(&g, "residual block");
}

static void inception(nnom_dtype dt)
{
    gb g;
    gb_init(&g, dt);
    int32_t x = gb_input(&g, 3, 9, 9, 4);
    int32_t b1 = gb_conv(&g, x, 6, 1, 1, 1, NNOM_PADDING_VALID, NNOM_ACT_RELU);
    int32_t b2 = gb_conv(&g, gb_conv(&g, x, 4, 1, 1, 1, NNOM_PADDING_VALID, NNOM_ACT_RELU), 5, 3, 1, 1,
                         NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t b3 = gb_conv(&g, gb_conv(&g, x, 2, 1, 1, 1, NNOM_PADDING_VALID, NNOM_ACT_RELU), 3, 5, 1, 1,
                         NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t b4 = gb_conv(&g, gb_max_pool(&g, x, 3, 1, NNOM_PADDING_SAME), 4, 1, 1, 1, NNOM_PADDING_VALID,
                         NNOM_ACT_RELU);
    int32_t branches[4] = {b1, b2, b3, b4};
    int32_t cat = gb_concat(&g, 4, branches, -1);
    int32_t gap = gb_global_avg_pool(&g, cat);
    gb_output(&g, gb_dense(&g, gap, 7, NNOM_ACT_NONE));
    gb_output(&g, cat); /* a second output: the concatenation itself */
    exercise(&g, "inception 4-branch concatenate");
}

static void densenet(nnom_dtype dt)
{
    gb g;
    gb_init(&g, dt);
    int32_t x = gb_input(&g, 3, 6, 7, 3);
    int32_t feats = x;
    for (int k = 0; k < 4; k++) {
        int32_t c = gb_conv(&g, feats, 4, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
        int32_t pair[2] = {feats, c};
        feats = gb_concat(&g, 2, pair, 2);
    }
    int32_t t = gb_avg_pool(&g, feats, 2, 2, NNOM_PADDING_SAME);
    /* concatenation on the other axes too */
    int32_t rows[2] = {t, t};
    int32_t r = gb_concat(&g, 2, rows, 0);
    int32_t cols[3] = {r, r, r};
    gb_output(&g, gb_concat(&g, 3, cols, 1));
    exercise(&g, "densenet concatenation chain");
}

static void conv1d_net(nnom_dtype dt)
{
    gb g;
    gb_init(&g, dt);
    int32_t x = gb_input(&g, 2, 30, 3, 0);
    int32_t c = gb_conv(&g, x, 8, 5, 2, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t c2 = gb_conv(&g, c, 8, 3, 1, 2, NNOM_PADDING_VALID, NNOM_ACT_RELU);
    int32_t p = gb_max_pool(&g, c2, 2, 2, NNOM_PADDING_VALID);
    gb_output(&g, gb_dense(&g, gb_flatten(&g, p), 4, NNOM_ACT_NONE));
    exercise(&g, "conv1d sequence net");
}

/* Random DAGs: each new layer reads one or two random earlier tensors of the
 * same spatial size (all tensors here are H x W x C with H, W fixed). */
static void random_dag(nnom_dtype dt, int trial)
{
    gb g;
    gb_init(&g, dt);
    int32_t h = tu_rand_int(3, 7), w = tu_rand_int(3, 7);
    int32_t pool_ids[64];
    int32_t n_pool = 0;
    pool_ids[n_pool++] = gb_input(&g, 3, h, w, tu_rand_int(1, 5));
    int32_t steps = tu_rand_int(4, 18);
    for (int32_t s = 0; s < steps; s++) {
        int32_t a = pool_ids[tu_rand_int(0, n_pool - 1)];
        int32_t kind = tu_rand_int(0, 5), id;
        if (kind == 0) {
            id = gb_conv(&g, a, tu_rand_int(1, 6), tu_rand_int(1, 3) * 2 - 1, 1, 1, NNOM_PADDING_SAME, tu_rand_int(0, 1));
        } else if (kind == 1) {
            id = gb_relu(&g, a);
        } else if (kind == 2) {
            /* add needs equal channels: find one */
            int32_t ca = g.layers[a].shape.dims[2], b = -1;
            for (int32_t k = 0; k < n_pool; k++)
                if (g.layers[pool_ids[k]].shape.dims[2] == ca && tu_rand_int(0, 1)) b = pool_ids[k];
            id = b >= 0 ? gb_add(&g, a, b) : gb_relu(&g, a);
        } else if (kind == 3) {
            int32_t ins[3] = {a, pool_ids[tu_rand_int(0, n_pool - 1)], pool_ids[tu_rand_int(0, n_pool - 1)]};
            id = gb_concat(&g, tu_rand_int(2, 3), ins, 2);
        } else if (kind == 4) {
            id = gb_max_pool(&g, a, 3, 1, NNOM_PADDING_SAME);
        } else {
            id = gb_depthwise(&g, a, tu_rand_int(1, 2) * 2 - 1, 1, NNOM_PADDING_SAME, tu_rand_int(0, 1));
        }
        if (g.layers[id].shape.dims[2] > 24) continue; /* keep channel counts small */
        pool_ids[n_pool++] = id;
    }
    /* one or two outputs, taken from the last and a random tensor */
    gb_output(&g, pool_ids[n_pool - 1]);
    if (tu_rand_int(0, 1)) gb_output(&g, pool_ids[tu_rand_int(1, n_pool - 1)]);
    char name[48];
    snprintf(name, sizeof name, "random DAG %d (%d tensors)", trial, (int)n_pool);
    exercise(&g, name);
}

int main(void)
{
    tu_seed(2024);
    const nnom_dtype dts[2] = {NNOM_DTYPE_F32, NNOM_DTYPE_S8};
    for (int k = 0; k < 2; k++) {
        gb_store_reset();
        residual(dts[k]);
        inception(dts[k]);
        densenet(dts[k]);
        conv1d_net(dts[k]);
    }
    for (int t = 0; t < 60; t++) {
        gb_store_reset();
        random_dag(t % 2 ? NNOM_DTYPE_S8 : NNOM_DTYPE_F32, t);
    }
    TU_CHECK(in_place_layers > 20, "only %d layers ran in place", in_place_layers);
    printf("%d layers ran in place over their input, %d as bands of a tiled stage\n", in_place_layers, tiled_layers);
    return tu_finish("test_graph");
}
