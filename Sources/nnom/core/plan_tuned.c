/*
 * The model's plan, tuned: what the plan asks of the kernels, and what it gives them.
 *
 *  1. Each layer's least scratch for the kernels the plan is for (m->kernels: the build's,
 *     or those nnom_model_arena_size_for() asks about), so that the arena is as small as the
 *     kernels allow.
 *  2. Convolutions with a window may run in place (layers/conv.c), at some cost in time
 *     (bands of rows, a ring of rows): the model is planned with and without, and keeps them
 *     only if the arena is smaller with them (equal: the faster plan); then tiled where that is
 *     smaller (core/tiling.c). That is the smallest plan (NNOM_PLAN_SMALLEST). The fastest plan
 *     (NNOM_PLAN_FASTEST) takes the first of these that fits nnom_options.max_arena_bytes:
 *     neither; windows in place; tiled keeping the halos (no MAC added); tiled; both. The planner's buffer array is reused from one
 *     plan to the next, so a pool allocator loses nothing.
 *  3. Scratch beyond the least, where the plan leaves room for it. A kernel that runs faster
 *     with more (the convolutions' four-pixel im2col columns) says how much in
 *     scratch_fast_bytes(); each such scratch moves to a gap of the arena that is free during
 *     its layer and is at least that large, or else takes the largest free gap there if that
 *     is larger than what it has. The arena never grows: only bytes that no buffer alive at
 *     that layer holds are given, so the plan stays valid, and the kernel reads the size it
 *     got in nnom_exec.scratch_bytes.
 *
 *   offset ^   [ output ]             free      [ input ]       free
 *          |   0 ............ a ..................... b ......... arena
 *          +   the scratch goes to the first gap of the wanted size, else the largest one
 */
#include <string.h>

#include "core/model_internal.h"
#include "core/struct_size.h"
#include "kernels/conv.h"

/* The free gap of at least @p want bytes lowest in the arena, else the largest, at step
 * @p step, skipping buffer @p self: *offset and the gap's bytes (0: none). */
static uint32_t free_gap(const nnom_model *m, int32_t self, int32_t step, uint32_t want, uint32_t *offset)
{
    uint32_t best = 0, best_at = 0, at = 0;
    /* Walks the gaps in address order: the next gap starts at the end of the busy bytes at
     * `at` and runs to the lowest start of a buffer above. O(buffers^2) per scratch, once. */
    for (;;) {
        uint32_t next_start = m->arena_size, busy_end = at;
        int moved = 1;
        while (moved) { /* skip buffers covering `busy_end` */
            moved = 0;
            for (int32_t j = 0; j < m->plan->n_buffers; j++) {
                const nnom_buffer *b = &m->plan->buffers[j];
                if (j == self || b->first > step || b->last < step || b->bytes == 0) continue;
                const uint32_t end = b->offset + ((b->bytes + 3u) & ~3u);
                if (b->offset <= busy_end && end > busy_end) {
                    busy_end = end;
                    moved = 1;
                }
            }
        }
        if (busy_end >= m->arena_size) break;
        for (int32_t j = 0; j < m->plan->n_buffers; j++) {
            const nnom_buffer *b = &m->plan->buffers[j];
            if (j == self || b->first > step || b->last < step || b->bytes == 0) continue;
            if (b->offset > busy_end && b->offset < next_start) next_start = b->offset;
        }
        const uint32_t gap = (next_start - busy_end) & ~3u;
        if (gap >= want) {
            *offset = busy_end;
            return want;
        }
        if (gap > best) {
            best = gap;
            best_at = busy_end;
        }
        if (next_start >= m->arena_size) break;
        at = next_start;
    }
    *offset = best_at;
    return best;
}

static void plan_scratch_room(nnom_model *m)
{
    for (int32_t i = 0; i < m->n_layers; i++) {
        nnom_layer *l = &m->layers[i];
        const nnom_layer_ops *ops = nnom_layer_ops_of((nnom_layer_type)l->type);
        const int32_t scratch = m->plan->layers[i].scratch_buffer;
        if (scratch < 0 || !ops->scratch_fast_bytes) continue;
        nnom_infer_ctx ctx;
        nnom_infer_ctx_init(&ctx, m, l);
        ctx.room = 1; /* spare room: all the kernel can use */
        nnom_buffer *s = &m->plan->buffers[scratch];
        const uint32_t want = (ops->scratch_fast_bytes(l, &ctx) + 3u) & ~3u;
        if (want <= s->bytes) continue;
        uint32_t offset = 0;
        const uint32_t got = free_gap(m, scratch, s->first, want, &offset);
        if (got > s->bytes) {
            s->offset = offset;
            s->bytes = got;
        }
    }
}

nnom_status nnom_model_layer_scratch(const nnom_model *m, int32_t layer, nnom_kernels kernels, uint32_t *least,
                                     uint32_t *fast)
{
    if (!m || layer < 0 || layer >= m->n_layers) return NNOM_ERR_ARGUMENT;
    if (!m->compiled) return nnom_fail((nnom_model *)m, NNOM_ERR_STATE, "compile the model before asking for its scratch");
    if (kernels != NNOM_KERNELS_ANY && kernels != NNOM_KERNELS_PORTABLE && kernels != NNOM_KERNELS_CORTEX_M_DSP)
        return nnom_fail((nnom_model *)m, NNOM_ERR_ARGUMENT, "kernels is %d, not a nnom_kernels value", (int)kernels);
    const nnom_layer *l = &m->layers[layer];
    const nnom_layer_ops *ops = nnom_layer_ops_of((nnom_layer_type)l->type);
    nnom_infer_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.model = (nnom_model *)m;
    ctx.dtype = (nnom_dtype)m->dtype;
    ctx.kernels = (int32_t)kernels;
    for (int32_t j = 0; j < l->n_inputs; j++) ctx.in[j] = &m->layers[l->def->inputs[j]];
    uint32_t lo = 0;
    if (l->scratch_bytes) {
        if (l->in_place && ops->inplace_scratch_bytes) lo = ops->inplace_scratch_bytes(l, &ctx);
        else if (ops->scratch_bytes) lo = ops->scratch_bytes(l, &ctx);
    }
    uint32_t hi = lo;
    if (l->scratch_bytes && ops->scratch_fast_bytes) hi = ops->scratch_fast_bytes(l, &ctx);
    if (least) *least = lo;
    if (fast) *fast = hi > lo ? hi : lo;
    return NNOM_OK;
}

nnom_kernels nnom_build_kernels(void) { return (nnom_kernels)nnom_conv_build_kernels(); }

/* Layer @p i's least scratch for m->kernels (the fast size in a tiled plan), before the plan decides
 * whether it runs in place. */
static uint32_t least_scratch(nnom_model *m, int32_t i)
{
    nnom_layer *l = &m->layers[i];
    const nnom_layer_ops *ops = nnom_layer_ops_of((nnom_layer_type)l->type);
    nnom_infer_ctx ctx;
    nnom_infer_ctx_init(&ctx, m, l);
    uint32_t bytes = ops->scratch_bytes ? ops->scratch_bytes(l, &ctx) : 0;
    /* a tiled plan is tight where the untiled one left room for the fast scratch (step 3): it
     * plans the fast scratch, so that tiling saves bytes without slowing a kernel down */
    if (m->tiling.first >= 0 && bytes && ops->scratch_fast_bytes) {
        const uint32_t fast = ops->scratch_fast_bytes(l, &ctx);
        if (fast > bytes) bytes = fast;
    }
    return bytes;
}

uint32_t nnom_planned_scratch(nnom_model *m, int32_t i)
{
    const nnom_layer *l = &m->layers[i];
    if (!l->scratch_bytes) return 0;
    const nnom_layer_ops *ops = nnom_layer_ops_of((nnom_layer_type)l->type);
    if (l->in_place && ops->inplace_scratch_bytes) { /* what nnom_plan() set */
        nnom_infer_ctx ctx;
        nnom_infer_ctx_init(&ctx, m, l);
        return ops->inplace_scratch_bytes(l, &ctx);
    }
    return least_scratch(m, i);
}

/* Each layer's least scratch for m->kernels (nnom_plan replaces it for layers in place), and
 * the plan (the shapes are known). */
nnom_status nnom_plan_once(nnom_model *m)
{
    for (int32_t i = 0; i < m->n_layers; i++) {
        nnom_layer_plan *q = &m->plan->layers[i];
        q->out_bytes = nnom_layer_out_bytes(&m->layers[i], (nnom_dtype)m->dtype);
        q->scratch_bytes = least_scratch(m, i);
    }
    return nnom_plan(m);
}

/* Each layer keeps its offsets from the plan. */
static void commit(nnom_model *m)
{
    const nnom_plan_data *p = m->plan;
    for (int32_t i = 0; i < m->n_layers; i++) {
        nnom_layer *l = &m->layers[i];
        const nnom_layer_plan *q = &p->layers[i];
        const nnom_buffer *b = &p->buffers[q->buffer];
        l->out_offset = b->offset;
        l->flags = (uint8_t)(b->last >= m->n_layers ? l->flags | NNOM_LAYER_KEPT : l->flags & ~NNOM_LAYER_KEPT);
        l->scratch_offset = q->scratch_buffer >= 0 ? p->buffers[q->scratch_buffer].offset : 0;
        l->scratch_bytes = q->scratch_buffer >= 0 ? p->buffers[q->scratch_buffer].bytes : 0;
    }
}

/* The smallest plan's candidates: windows in place if that is smaller, then tiled if that is
 * smaller; m->plain_arena is the arena with neither. */
static nnom_status smallest_candidates(nnom_model *m)
{
    m->tiling.first = m->tiling.cut = -1; /* untiled plans first (core/tiling.c) */
    m->window_in_place = 1;
    nnom_status st = nnom_plan_once(m);
    if (st != NNOM_OK) return st;
    const uint32_t with = m->arena_size;
    m->window_in_place = 0;
    st = nnom_plan_once(m);
    m->plain_arena = st == NNOM_OK ? m->arena_size : 0;
    if (st == NNOM_OK && m->arena_size > with) { /* smaller with them: that plan again */
        m->window_in_place = 1;
        st = nnom_plan_once(m);
    }
    if (st == NNOM_OK) st = nnom_tiling_plan(m, 0); /* then tiled where that makes the arena smaller */
    return st;
}

/* The smallest plan (NNOM_PLAN_SMALLEST). Its candidates are planned whole (the limit lifted to
 * NNOM_PLAN_LIMIT), so that a model whose untiled plan is past nnom_options.max_arena_bytes still
 * gets its tiled plan when that fits. Past the limit, the chosen candidate is planned once more
 * under it, which fails with the message naming the buffer that crosses it; an allocation failure
 * is returned as it is. */
static nnom_status plan_smallest(nnom_model *m)
{
    const uint32_t limit = m->max_arena;
    m->max_arena = NNOM_PLAN_LIMIT;
    m->plan->over_limit = 0;
    const nnom_status st = smallest_candidates(m);
    m->max_arena = limit;
    if (st == NNOM_OK ? m->arena_size <= limit : !m->plan->over_limit) return st;
    return nnom_plan_once(m);
}

/* The fastest plan whose arena fits the limit (NNOM_PLAN_FASTEST), in the order of their cost in
 * time: neither windows in place nor tiling; windows in place; tiled keeping the rows tiles share
 * (no MAC added; windows not in place); tiled, halos computed again where that is smaller; the
 * smallest plan. The candidates are planned without the limit and compared with it, so that a plan
 * the limit refuses still tells its size. */
static nnom_status plan_fastest(nnom_model *m)
{
    const uint32_t limit = m->max_arena;
    m->max_arena = NNOM_PLAN_LIMIT;
    m->tiling.first = m->tiling.cut = -1;
    m->window_in_place = 0;
    nnom_status st = nnom_plan_once(m);
    m->plain_arena = m->arena_size;
    if (st == NNOM_OK && m->arena_size > limit) {
        m->window_in_place = 1;
        st = nnom_plan_once(m);
    }
    for (int carry_only = 1; carry_only >= 0 && st == NNOM_OK && m->arena_size > limit; carry_only--) {
        m->window_in_place = 0;
        m->tiling.first = m->tiling.cut = -1;
        st = nnom_plan_once(m);
        if (st == NNOM_OK) st = nnom_tiling_plan(m, carry_only);
    }
    if (st == NNOM_OK && m->arena_size > limit) st = plan_smallest(m);
    m->max_arena = limit;
    if (st == NNOM_OK && m->arena_size > limit) {
        char smallest[40], fastest[40], most[40];
        nnom_bytes_text(m->arena_size, smallest, sizeof smallest);
        nnom_bytes_text(m->plain_arena, fastest, sizeof fastest);
        nnom_bytes_text(limit, most, sizeof most);
        return nnom_fail(m, NNOM_ERR_NO_MEMORY,
                         "no memory plan fits the limit of %s (nnom_options.max_arena_bytes): the smallest plan "
                         "needs an arena of %s, the fastest %s", most, smallest, fastest);
    }
    return st;
}

/* The plan for the model's goal, then scratch beyond the least where it has room. */
static nnom_status plan_tuned(nnom_model *m)
{
    const nnom_status st = m->plan_goal == NNOM_PLAN_FASTEST ? plan_fastest(m) : plan_smallest(m);
    if (st == NNOM_OK) plan_scratch_room(m);
    return st;
}

nnom_status nnom_plan_tuned(nnom_model *m, int commit_offsets)
{
    nnom_status st = nnom_plan_begin(m);
    if (st == NNOM_OK) st = plan_tuned(m);
    if (st == NNOM_OK && commit_offsets) commit(m);
    nnom_plan_end(m);
    return st;
}

nnom_status nnom_plan_tiling(nnom_model *m, int32_t first, int32_t cut, int32_t rows, int32_t shift, uint32_t carry,
                             uint32_t park)
{
    nnom_status st = nnom_plan_begin(m);
    if (st != NNOM_OK) return st;
    nnom_tiling *t = &m->tiling;
    t->first = t->cut = -1; /* untiled first: the readers of each layer, which a stage is made of */
    st = nnom_plan_once(m);
    t->untiled_arena = m->arena_size;
    nnom_tile_extra extra;
    nnom_tiling given = {.first = first, .cut = cut, .rows = rows, .shift = shift};
    if (st == NNOM_OK && nnom_tiling_is_stage(m, first, cut)) {
        given.carry = carry & nnom_tiling_stage_bands(m, first, cut);
        given.park = park;
        given.park = nnom_tiling_parked(&given);
        given.park_row = nnom_tiling_park_row(m, &given);
    }
    if (st == NNOM_OK && (!nnom_tiling_is_stage(m, first, cut) || !nnom_tiling_cost(m, &given, &extra, NULL, NULL)))
        st = nnom_fail(m, NNOM_ERR_ARGUMENT, "layers %d..%d in tiles of %d rows (the first %d fewer) are no tiling",
                       (int)first, (int)cut, (int)rows, (int)shift);
    if (st == NNOM_OK) {
        given.untiled_arena = t->untiled_arena;
        given.max_extra_percent = t->max_extra_percent;
        given.extra_macs = extra.macs;
        *t = given;
        st = nnom_plan_once(m);
    }
    if (st == NNOM_OK) {
        plan_scratch_room(m);
        commit(m);
    } else {
        t->first = t->cut = -1;
    }
    nnom_plan_end(m);
    return st;
}

nnom_status nnom_plan_keep(nnom_model *m)
{
    nnom_status st = nnom_plan_begin(m);
    if (st == NNOM_OK) st = plan_tuned(m);
    if (st != NNOM_OK) nnom_plan_end(m);
    return st;
}

size_t nnom_model_arena_size_for(nnom_model *m, nnom_kernels kernels)
{
    if (!m || !m->compiled) return 0;
    if (kernels != NNOM_KERNELS_ANY && kernels != NNOM_KERNELS_PORTABLE && kernels != NNOM_KERNELS_CORTEX_M_DSP) {
        nnom_fail(m, NNOM_ERR_ARGUMENT, "kernels is %d, not a nnom_kernels value", (int)kernels);
        return 0;
    }
    if (kernels == m->kernels) return m->arena_size;
    const uint8_t own = m->kernels;
    m->kernels = (uint8_t)kernels;
    const size_t arena = nnom_plan_tuned(m, 0) == NNOM_OK ? m->arena_size : 0;
    m->kernels = own;
    /* the other plan's failure, if any, stays the message */
    const uint8_t status = m->status;
    const int had_message = m->error != NULL;
    char message[NNOM_MODEL_ERROR_BYTES];
    if (had_message) memcpy(message, m->error, sizeof message);
    if (nnom_plan_tuned(m, 1) != NNOM_OK) {
        m->compiled = 0; /* its own plan failed this time (out of memory): no run on a broken plan */
        return 0;
    }
    m->status = status;
    if (had_message) memcpy(m->error, message, sizeof message);
    else if (m->error) m->error[0] = '\0';
    return arena;
}

nnom_status nnom_model_plan(const nnom_model *m, nnom_plan_info *info)
{
    if (!m || !info) return NNOM_ERR_ARGUMENT;
    if (!NNOM_STRUCT_SIZE_KNOWN(info))
        return nnom_fail((nnom_model *)m, NNOM_ERR_ARGUMENT, NNOM_STRUCT_SIZE_FMT,
                         NNOM_STRUCT_SIZE_ARGS(info, "nnom_plan_info"));
    if (!m->compiled) return nnom_fail((nnom_model *)m, NNOM_ERR_STATE, "compile the model before asking for its plan");
    nnom_plan_info_init(info);
    info->goal = m->plan_goal;
    info->windows_in_place = m->window_in_place;
    info->tiled = m->tiling.first >= 0;
    info->arena_bytes = m->arena_size;
    info->plain_arena_bytes = m->plain_arena;
    info->max_arena_bytes = m->max_arena;
    return NNOM_OK;
}

void nnom_plan_text(const nnom_plan_info *info, char *out, size_t cap)
{
    if (!out || !cap) return;
    if (!info) {
        out[0] = '\0';
        return;
    }
    const unsigned long arena = info->arena_bytes, plain = info->plain_arena_bytes, limit = info->max_arena_bytes;
    const char *used = info->windows_in_place && info->tiled ? "convolutions in place, tiled"
                       : info->windows_in_place             ? "convolutions in place"
                       : info->tiled                        ? "tiled"
                                                            : "nothing in place or tiled";
    if (info->goal == NNOM_PLAN_FASTEST) {
        if (!info->windows_in_place && !info->tiled)
            nnom_format(out, cap, "fastest (%s): the fastest plan: the plain plan fits the %lu-byte limit", used, limit);
        else
            nnom_format(out, cap, "fastest (%s): the fastest plan that fits the %lu-byte limit: the plain plan needs "
                        "%lu bytes", used, limit, plain);
    } else if (!plain) {
        nnom_format(out, cap, "smallest (%s): the smallest arena (the plain plan is over the %lu-byte limit)", used,
                    limit);
    } else if (plain > arena) {
        nnom_format(out, cap, "smallest (%s): the smallest arena (%lu bytes below the plain plan's %lu)", used,
                    plain - arena, plain);
    } else {
        nnom_format(out, cap, "smallest (%s): the smallest arena (the plain plan's)", used);
    }
}
