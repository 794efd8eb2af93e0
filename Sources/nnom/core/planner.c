/*
 * The memory planner: every activation and scratch buffer of a model in one arena.
 *
 *   1. Lifetimes. A layer's output lives from the layer that writes it to the
 *      last layer that reads it; model inputs live from the start, outputs to
 *      the end. Scratch lives during its layer only.
 *   2. Sharing. A view (flatten, reshape, output) is its input's buffer. An
 *      in-place layer (activations, softmax, element-wise, some pooling)
 *      writes over its input when no later layer reads that buffer and the
 *      buffer is not a model input (inputs stay intact across runs).
 *      An in-place output is a buffer of its own size and lifetime, pinned
 *      to the offset of the buffer it overwrites; such buffers form a group.
 *   3. Placement. Groups, largest first, go to the lowest offset where no
 *      member overlaps an already placed buffer that is alive at the same
 *      time (greedy by size, as in TFLite Micro's planner). Offsets stay
 *      4-byte aligned; the arena size is the highest end, not rounded.
 *      Offsets are computed in 64 bits; a buffer that would end past the
 *      model's limit (nnom_options.max_arena_bytes, never above 4 GiB) fails
 *      the plan, so nothing that large is ever allocated.
 *
 *   offset ^
 *          |  [conv1 out.........]        [conv2 out....]
 *          |  [input]  [pool1 out (in place over conv1 out)]
 *          +------------------------------------------------> layer index
 */
#include <string.h>

#include "core/model_internal.h"

/* 64-bit: a buffer's end past 4 GiB must not wrap round to a small offset */
static uint64_t round4(uint64_t v) { return (v + 3u) & ~(uint64_t)3u; }

/* A new buffer; @p group is the group it joins (-1: it starts its own). */
static int32_t new_buffer(nnom_model *m, uint32_t bytes, int32_t first, int32_t last, int32_t group)
{
    nnom_buffer *b = &m->buffers[m->n_buffers];
    b->group = group >= 0 ? group : m->n_buffers;
    b->offset = 0;
    b->bytes = bytes;
    b->first = first;
    b->last = last;
    b->holds_input = 0;
    return m->n_buffers++;
}

/* The message for a plan past the model's limit: buffer @p index would end at @p end. */
static nnom_status too_large(nnom_model *m, int32_t index, uint64_t end)
{
    char need[40], limit[40];
    nnom_bytes_text(end, need, sizeof need);
    nnom_bytes_text(m->max_arena, limit, sizeof limit);
    const char *owner = NULL, *what = "output";
    for (int32_t i = 0; i < m->n_layers && !owner; i++) { /* the first: the writer, not a view of it */
        if (m->layers[i].buffer == index) owner = m->layers[i].name;
        if (m->layers[i].scratch_buffer == index) owner = m->layers[i].name, what = "scratch";
    }
    if (!owner) owner = "?";
    return nnom_fail(m, NNOM_ERR_NO_MEMORY,
                     "the memory plan needs an arena of at least %s (placing the %s of layer '%s'), more than the "
                     "limit of %s (nnom_options.max_arena_bytes)", need, what, owner, limit);
}

static int lifetimes_overlap(const nnom_buffer *a, const nnom_buffer *b)
{
    return a->first <= b->last && b->first <= a->last;
}

nnom_status nnom_plan(nnom_model *m)
{
    const int32_t n = m->n_layers;
    /* at most one buffer per layer that is not a view, plus one per scratch */
    int32_t most = 0;
    for (int32_t i = 0; i < n; i++) {
        const nnom_layer *l = &m->layers[i];
        most += !(nnom_layer_ops_of(l->type)->flags & NNOM_OPS_VIEW) || l->n_inputs == 0;
        most += l->scratch_bytes != 0;
    }
    if (most == 0) most = 1;
    nnom_free(m, m->buffers);
    m->buffers = (nnom_buffer *)nnom_alloc(m, (size_t)most * sizeof(nnom_buffer));
    /* per group head: the bytes of its largest member */
    uint32_t *group_bytes = (uint32_t *)nnom_alloc(m, (size_t)most * sizeof(uint32_t));
    nnom_status st = NNOM_OK;
    if (!m->buffers || !group_bytes) {
        nnom_free(m, group_bytes);
        return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory while planning %d layers", (int)n);
    }
    m->n_buffers = 0;

    /* 1. last reader of each layer's output */
    for (int32_t i = 0; i < n; i++) m->layers[i].last_use = i;
    for (int32_t i = 0; i < n; i++) {
        nnom_layer *l = &m->layers[i];
        for (int32_t j = 0; j < l->n_inputs; j++) {
            nnom_layer *src = &m->layers[l->inputs[j]];
            if (src->last_use < i) src->last_use = i;
        }
        if (l->type == NNOM_LAYER_OUTPUT) l->last_use = n; /* read by the caller after the run */
    }
    if (m->keep_all)
        for (int32_t i = 0; i < n; i++) m->layers[i].last_use = n;

    /* 2. buffers and sharing, in execution order */
    for (int32_t i = 0; i < n; i++) {
        nnom_layer *l = &m->layers[i];
        const nnom_layer_ops *ops = nnom_layer_ops_of(l->type);
        l->in_place = 0;
        l->scratch_buffer = -1;
        if (l->type == NNOM_LAYER_INPUT) {
            l->buffer = new_buffer(m, l->out_bytes, 0, l->last_use, -1);
            m->buffers[l->buffer].holds_input = 1;
        } else if ((ops->flags & NNOM_OPS_VIEW) && l->n_inputs > 0) {
            /* the same bytes under another shape: the input's buffer lives on */
            nnom_buffer *b = &m->buffers[m->layers[l->inputs[0]].buffer];
            l->buffer = m->layers[l->inputs[0]].buffer;
            if (b->last < l->last_use) b->last = l->last_use;
            if (b->bytes < l->out_bytes) b->bytes = l->out_bytes;
            l->in_place = 1;
        } else {
            int32_t group = -1;
            if ((ops->flags & NNOM_OPS_IN_PLACE) && l->n_inputs > 0 && !m->keep_all) {
                nnom_infer_ctx ctx;
                memset(&ctx, 0, sizeof ctx);
                ctx.model = m;
                ctx.dtype = m->dtype;
                for (int32_t j = 0; j < l->n_inputs; j++) ctx.in[j] = &m->layers[l->inputs[j]];
                const int32_t src_buffer = ctx.in[0]->buffer;
                const nnom_buffer *b = &m->buffers[src_buffer];
                /* model inputs are never overwritten: a caller may run again on the same input */
                int only_reader = b->last == i && !b->holds_input;
                /* the other inputs must not live in the same buffer */
                for (int32_t j = 1; j < l->n_inputs; j++)
                    if (ctx.in[j]->buffer == src_buffer) only_reader = 0;
                if (only_reader && l->out_bytes <= b->bytes && (!ops->inplace_ok || ops->inplace_ok(l, &ctx))) {
                    group = b->group;
                    l->in_place = 1;
                }
            }
            /* An in-place output is its own buffer, pinned to the offset of the
             * buffer it overwrites (same group): a smaller output frees the rest. */
            l->buffer = new_buffer(m, l->out_bytes, i, l->last_use, group);
        }
        if (l->scratch_bytes) l->scratch_buffer = new_buffer(m, l->scratch_bytes, i, i, -1);
    }

    /* 3. placement, a group at a time: largest group first, then earliest
     *    (selection of the next head; models are small) */
    const int32_t nb = m->n_buffers;
    for (int32_t i = 0; i < nb; i++) group_bytes[i] = 0;
    for (int32_t i = 0; i < nb; i++) {
        uint32_t *gb = &group_bytes[m->buffers[i].group];
        if (m->buffers[i].bytes > *gb) *gb = m->buffers[i].bytes;
    }
    for (int32_t i = 0; i < nb; i++) m->buffers[i].offset = UINT32_MAX; /* not placed yet */
    uint64_t arena = 0;
    for (;;) {
        int32_t head = -1;
        for (int32_t i = 0; i < nb; i++) {
            const nnom_buffer *c = &m->buffers[i];
            if (c->group != i || c->offset != UINT32_MAX) continue;
            if (head < 0 || group_bytes[i] > group_bytes[head] ||
                (group_bytes[i] == group_bytes[head] && c->first < m->buffers[head].first))
                head = i;
        }
        if (head < 0) break;
        /* Lowest fit: start at 0 and jump past any placed buffer that is alive
         * at the same time as a member of this group and overlaps it; every
         * offset skipped that way conflicts, so the first offset without a
         * conflict is the lowest feasible one. */
        uint64_t offset = 0; /* 64-bit: sums of sizes never wrap; stored once within max_arena */
        int moved = 1;
        while (moved) {
            moved = 0;
            for (int32_t a = 0; a < nb; a++) {
                const nnom_buffer *mb = &m->buffers[a];
                if (mb->group != head) continue;
                for (int32_t p = 0; p < nb; p++) {
                    const nnom_buffer *o = &m->buffers[p];
                    if (o->offset == UINT32_MAX || !lifetimes_overlap(o, mb)) continue;
                    const uint64_t o_end = (uint64_t)o->offset + round4(o->bytes);
                    if (offset < o_end && o->offset < offset + round4(mb->bytes)) {
                        offset = o_end;
                        moved = 1;
                    }
                }
            }
        }
        for (int32_t a = 0; a < nb; a++) {
            nnom_buffer *mb = &m->buffers[a];
            if (mb->group != head) continue;
            const uint64_t end = offset + mb->bytes;
            if (end > m->max_arena) {
                st = too_large(m, a, end);
                break;
            }
            mb->offset = (uint32_t)offset;
            if (end > arena) arena = end;
        }
        if (st != NNOM_OK) break;
    }
    nnom_free(m, group_bytes);
    if (st != NNOM_OK) return st;
    m->arena_size = (uint32_t)arena; /* at most max_arena */
    return NNOM_OK;
}
