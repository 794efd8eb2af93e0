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
 *   3. Placement (nnom_plan_place). A group is placed as one block: every
 *      member at the same offset. Each group goes, in some order, to an
 *      offset where no member overlaps a placed buffer alive at the same
 *      time: the lowest such offset (first fit) or the one leaving the
 *      smallest gap above it (best fit). Four orders (largest first, as in
 *      TFLite Micro's greedy-by-size planner; largest size x lifetime
 *      first; execution order; longest lifetime first) times the two fits
 *      make eight plans, and the smallest arena wins: the plan is computed
 *      once, at compile, and costs O(groups x live buffers^2) per strategy.
 *      Offsets stay 4-byte aligned; the arena size is the highest end, not
 *      rounded. Offsets are computed in 64 bits; a plan that would end past
 *      the model's limit (nnom_options.max_arena_bytes, never above 4 GiB)
 *      fails, so nothing that large is ever allocated.
 *   Tiled stage (core/tiling.c): its layers' outputs are bands of rows, each
 *      alive from its writer to its last reader (every tile writes and reads
 *      them in the same order); the rows a band keeps from one tile to the
 *      next are moved to its start, a buffer of the band's group alive through
 *      the stage; what the stage reads from before it lives to
 *      the cut, the cut's output from the stage's first layer; only
 *      element-wise layers of one input run in place (in their input's band).
 *   4. Lower bound: the most bytes alive at any step (a group counted once,
 *      by its largest member alive then). No plan of these buffers can be
 *      smaller; the arena's distance to it is what the placement loses.
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
    nnom_plan_data *p = m->plan;
    nnom_buffer *b = &p->buffers[p->n_buffers];
    b->group = group >= 0 ? group : p->n_buffers;
    b->offset = 0;
    b->bytes = bytes;
    b->first = first;
    b->last = last;
    b->holds_input = 0;
    return p->n_buffers++;
}

/* The message for a plan past the model's limit: buffer @p index would end at @p end. */
static nnom_status too_large(nnom_model *m, int32_t index, uint64_t end)
{
    char need[40], limit[40];
    nnom_bytes_text(end, need, sizeof need);
    nnom_bytes_text(m->max_arena, limit, sizeof limit);
    const char *owner = NULL, *what = "output";
    for (int32_t i = 0; i < m->n_layers && !owner; i++) { /* the first: the writer, not a view of it */
        if (m->plan->layers[i].buffer == index) owner = m->layers[i].def->name;
        if (m->plan->layers[i].scratch_buffer == index) owner = m->layers[i].def->name, what = "scratch";
    }
    if (!owner) owner = "?";
    m->plan->over_limit = 1;
    return nnom_fail(m, NNOM_ERR_NO_MEMORY,
                     "the memory plan needs an arena of at least %s (placing the %s of layer '%s'), more than the "
                     "limit of %s (nnom_options.max_arena_bytes)", need, what, owner, limit);
}

static int lifetimes_overlap(const nnom_buffer *a, const nnom_buffer *b)
{
    return a->first <= b->last && b->first <= a->last;
}

/* ------------------------------------------------------------- placement */

/* The orders in which groups are placed; each is tried with both fits. */
typedef enum {
    ORDER_SIZE,      /* largest first, then earliest (TFLite Micro's greedy by size) */
    ORDER_AREA,      /* largest size x lifetime first, then earliest */
    ORDER_START,     /* earliest first, then largest (execution order) */
    ORDER_LIFETIME,  /* longest lifetime first, then largest */
    ORDER_COUNT
} plan_order;

typedef enum { FIT_LOWEST, FIT_BEST, FIT_COUNT } plan_fit;

#define NOT_PLACED UINT64_MAX

/* A placed buffer a group must avoid: [lo, hi) in the arena, and the largest
 * rounded size of the group's members alive at the same time as it. */
typedef struct {
    uint64_t lo, hi, size;
} plan_conflict;

/* The work area of nnom_plan_place, carved from one block. */
typedef struct {
    uint64_t *offset;        /* [n] the plan being built, NOT_PLACED until placed */
    uint64_t *best;          /* [n] the smallest plan so far */
    uint64_t *group_size;    /* [n] per group head: its largest member, rounded */
    uint64_t *scratch;       /* [n] per group: bytes alive at one step (lower bound) */
    plan_conflict *conflict; /* [n] */
    int32_t *order;          /* [n] group heads in placement order */
    int32_t *next;           /* [n] next member of the same group, -1 at the end */
    int32_t *first, *last;   /* [n] per group head: its members' lifetime */
} plan_work;

size_t nnom_plan_work_bytes(int32_t n)
{
    const size_t k = n > 0 ? (size_t)n : 1;
    return k * (4 * sizeof(uint64_t) + sizeof(plan_conflict) + 4 * sizeof(int32_t));
}

static plan_work carve(void *block, int32_t n)
{
    const size_t k = n > 0 ? (size_t)n : 1;
    plan_work w;
    uint64_t *u = (uint64_t *)block; /* the uint64_t arrays first: alignment holds */
    w.offset = u;
    w.best = u + k;
    w.group_size = u + 2 * k;
    w.scratch = u + 3 * k;
    w.conflict = (plan_conflict *)(void *)(u + 4 * k);
    int32_t *i = (int32_t *)(void *)(w.conflict + k);
    w.order = i;
    w.next = i + k;
    w.first = i + 2 * k;
    w.last = i + 3 * k;
    return w;
}

/* The work area's per-group array (plan_work.scratch) alone. */
static uint64_t *group_scratch(void *block, int32_t n) { return (uint64_t *)block + 3 * (n > 0 ? (size_t)n : 1); }

/* Whether group head @p a goes before group head @p b in @p order. */
static int goes_before(const plan_work *w, plan_order order, int32_t a, int32_t b)
{
    const uint64_t sa = w->group_size[a], sb = w->group_size[b];
    const uint64_t la = (uint64_t)(w->last[a] - w->first[a] + 1), lb = (uint64_t)(w->last[b] - w->first[b] + 1);
    switch (order) {
    case ORDER_SIZE:
        if (sa != sb) return sa > sb;
        break;
    case ORDER_AREA:
        if (sa * la != sb * lb) return sa * la > sb * lb;
        break;
    case ORDER_START:
        if (w->first[a] != w->first[b]) return w->first[a] < w->first[b];
        if (sa != sb) return sa > sb;
        break;
    case ORDER_LIFETIME:
        if (la != lb) return la > lb;
        if (sa != sb) return sa > sb;
        break;
    case ORDER_COUNT:
        break;
    }
    if (w->first[a] != w->first[b]) return w->first[a] < w->first[b];
    return a < b;
}

/* The offset for group @p head given the buffers placed so far. Candidates are
 * 0 and the end of every conflicting buffer: the lowest feasible offset is
 * one of them (sliding a block down stops only at such an end). */
static uint64_t fit_group(const nnom_buffer *b, int32_t n, const plan_work *w, int32_t head, plan_fit fit)
{
    int32_t k = 0;
    for (int32_t p = 0; p < n; p++) {
        if (w->offset[p] == NOT_PLACED) continue;
        uint64_t size = 0;
        for (int32_t a = head; a >= 0; a = w->next[a])
            if (lifetimes_overlap(&b[a], &b[p]) && round4(b[a].bytes) > size) size = round4(b[a].bytes);
        if (!size || !b[p].bytes) continue;
        w->conflict[k].lo = w->offset[p];
        w->conflict[k].hi = w->offset[p] + round4(b[p].bytes);
        w->conflict[k].size = size;
        k++;
    }
    uint64_t chosen = 0, chosen_gap = NOT_PLACED;
    int found = 0;
    for (int32_t c = -1; c < k; c++) {
        const uint64_t x = c < 0 ? 0 : w->conflict[c].hi;
        if (found && fit == FIT_LOWEST && x >= chosen) continue;
        int feasible = 1;
        uint64_t above = NOT_PLACED; /* the lowest conflicting start above x: the gap's top */
        for (int32_t q = 0; q < k && feasible; q++) {
            const plan_conflict *o = &w->conflict[q];
            if (x < o->hi && o->lo < x + o->size) feasible = 0;
            else if (o->lo >= x && o->lo < above) above = o->lo;
        }
        if (!feasible) continue;
        const uint64_t gap = above == NOT_PLACED ? NOT_PLACED : above - x;
        if (!found || (fit == FIT_LOWEST ? x < chosen : gap < chosen_gap || (gap == chosen_gap && x < chosen))) {
            chosen = x;
            chosen_gap = gap;
            found = 1;
        }
    }
    return chosen; /* x = the highest end is always feasible, so found is set */
}

/* The most bytes alive at one step of buffers @p b (a group counted once, by its largest member alive
 * then): no placement is smaller. */
static uint64_t lower_bound(const nnom_buffer *b, int32_t n, uint64_t *per_group)
{
    int32_t steps = 0;
    for (int32_t i = 0; i < n; i++)
        if (b[i].last + 1 > steps) steps = b[i].last + 1;
    uint64_t lower = 0;
    for (int32_t t = 0; t < steps; t++) {
        for (int32_t i = 0; i < n; i++) per_group[i] = 0;
        uint64_t live = 0;
        for (int32_t i = 0; i < n; i++) {
            if (b[i].first > t || b[i].last < t || b[i].bytes <= per_group[b[i].group]) continue;
            live += b[i].bytes - per_group[b[i].group];
            per_group[b[i].group] = b[i].bytes;
        }
        if (live > lower) lower = live;
    }
    return lower;
}

uint64_t nnom_plan_place(nnom_buffer *b, int32_t n, uint64_t limit, void *block, uint64_t *lower, int32_t *top)
{
    plan_work w = carve(block, n);
    int32_t heads = 0;
    /* groups: members chained from their head, the head's size and lifetime */
    for (int32_t i = 0; i < n; i++) {
        w.next[i] = -1;
        w.group_size[i] = 0;
        w.first[i] = b[i].first;
        w.last[i] = b[i].last;
    }
    for (int32_t i = n - 1; i >= 0; i--) {
        const int32_t g = b[i].group;
        if (g == i) {
            w.order[heads++] = i;
            continue;
        }
        w.next[i] = w.next[g];
        w.next[g] = i;
    }
    for (int32_t i = 0; i < n; i++) {
        const int32_t g = b[i].group;
        if (round4(b[i].bytes) > w.group_size[g]) w.group_size[g] = round4(b[i].bytes);
        if (b[i].first < w.first[g]) w.first[g] = b[i].first;
        if (b[i].last > w.last[g]) w.last[g] = b[i].last;
    }

    /* the lower bound: per step, each group's largest member alive then */
    *lower = lower_bound(b, n, w.scratch);

    /* every order with every fit; the smallest arena wins (the first of equals) */
    uint64_t best_arena = NOT_PLACED;
    for (int32_t s = 0; s < ORDER_COUNT * FIT_COUNT; s++) {
        const plan_order order = (plan_order)(s / FIT_COUNT);
        const plan_fit fit = (plan_fit)(s % FIT_COUNT);
        for (int32_t i = 1; i < heads; i++) { /* insertion sort: models are small */
            const int32_t h = w.order[i];
            int32_t j = i - 1;
            while (j >= 0 && goes_before(&w, order, h, w.order[j])) {
                w.order[j + 1] = w.order[j];
                j--;
            }
            w.order[j + 1] = h;
        }
        for (int32_t i = 0; i < n; i++) w.offset[i] = NOT_PLACED;
        uint64_t arena = 0;
        for (int32_t h = 0; h < heads && arena < best_arena; h++) {
            const int32_t head = w.order[h];
            const uint64_t x = fit_group(b, n, &w, head, fit);
            for (int32_t a = head; a >= 0; a = w.next[a]) {
                w.offset[a] = x;
                if (x + b[a].bytes > arena) arena = x + b[a].bytes;
            }
        }
        if (arena < best_arena) {
            best_arena = arena;
            for (int32_t i = 0; i < n; i++) w.best[i] = w.offset[i];
        }
    }

    *top = 0;
    for (int32_t i = 0; i < n; i++)
        if (w.best[i] + b[i].bytes > w.best[*top] + b[*top].bytes) *top = i;
    if (best_arena <= limit)
        for (int32_t i = 0; i < n; i++) b[i].offset = (uint32_t)w.best[i];
    return best_arena;
}

/* At most one buffer per layer that is not a view, plus one per layer whose type may have scratch, plus
 * one per band of a tiled stage keeping rows from one tile to the next (core/tiling.c): a
 * count that depends on the layers only, so that the plans a compile makes one after the other (the
 * tiler's candidates) use one block. */
static int32_t most_buffers(const nnom_model *m)
{
    int32_t most = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        const nnom_layer *l = &m->layers[i];
        const nnom_layer_ops *ops = nnom_layer_ops_of((nnom_layer_type)l->type);
        most += !(ops->flags & NNOM_OPS_VIEW) || l->n_inputs == 0;
        most += ops->scratch_bytes != NULL || ops->inplace_scratch_bytes != NULL;
    }
    most += m->n_layers < NNOM_TILE_MAX_STAGE ? m->n_layers : NNOM_TILE_MAX_STAGE; /* kept rows of tiled bands */
    return most ? most : 1;
}

/* 8-byte multiple: the parts of the planner's block stay aligned for their types */
static size_t round8(size_t v) { return (v + 7u) & ~(size_t)7u; }

nnom_status nnom_plan_begin(nnom_model *m)
{
    if (m->plan) return NNOM_OK;
    const int32_t most = most_buffers(m);
    const size_t head = round8(sizeof(nnom_plan_data));
    const size_t layers = round8((size_t)m->n_layers * sizeof(nnom_layer_plan));
    const size_t buffers = round8((size_t)most * sizeof(nnom_buffer));
    uint8_t *block = (uint8_t *)nnom_alloc(m, head + layers + buffers + nnom_plan_work_bytes(most));
    if (!block) return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory while planning %d layers", (int)m->n_layers);
    nnom_plan_data *p = (nnom_plan_data *)(void *)block;
    p->layers = (nnom_layer_plan *)(void *)(block + head);
    p->buffers = (nnom_buffer *)(void *)(block + head + layers);
    p->work = block + head + layers + buffers;
    p->n_buffers = 0;
    p->cap_buffers = most;
    p->place_below = 0;
    p->bound_only = 0;
    p->message[0] = '\0';
    m->plan = p;
    return NNOM_OK;
}

void nnom_plan_end(nnom_model *m)
{
    nnom_plan_data *p = m->plan;
    if (!p) return;
    char message[NNOM_MODEL_ERROR_BYTES];
    /* a failure while planning left its message in the block */
    const int failed = !m->error && m->status != NNOM_OK && p->message[0] != '\0';
    if (failed) memcpy(message, p->message, sizeof message);
    nnom_free(m, p); /* first, so that a pool takes the block back */
    m->plan = NULL;
    if (failed) {
        char *kept = nnom_model_message(m, (nnom_status)m->status);
        if (kept) memcpy(kept, message, sizeof message);
    }
}

nnom_status nnom_plan(nnom_model *m)
{
    const int32_t n = m->n_layers;
    nnom_plan_data *p = m->plan;
    nnom_layer_plan *lp = p->layers;
    p->n_buffers = 0;

    /* 1. last reader of each layer's output */
    for (int32_t i = 0; i < n; i++) lp[i].last_use = i;
    for (int32_t i = 0; i < n; i++) {
        nnom_layer *l = &m->layers[i];
        for (int32_t j = 0; j < l->n_inputs; j++) {
            nnom_layer_plan *src = &lp[l->def->inputs[j]];
            if (src->last_use < i) src->last_use = i;
        }
        if (l->type == NNOM_LAYER_OUTPUT) lp[i].last_use = n; /* read by the caller after the run */
    }
    if (m->keep_all)
        for (int32_t i = 0; i < n; i++) lp[i].last_use = n;

    /* 2. buffers and sharing, in execution order */
    int32_t cut_buffer = -1; /* the tiled stage's cut's output */
    if (m->tiling.first >= 0) nnom_tiling_bands(m, p->bands, p->kept_bands);
    int cut_written = 0;     /* by one of the cut's inputs */
    for (int32_t i = 0; i < n; i++) {
        nnom_layer *l = &m->layers[i];
        nnom_layer_plan *q = &lp[i];
        const nnom_layer_ops *ops = nnom_layer_ops_of((nnom_layer_type)l->type);
        l->in_place = 0;
        q->scratch_buffer = -1;
        const nnom_tiling *t = &m->tiling;
        if (t->first >= 0 && i >= t->first && i <= t->cut) {
            /* the tiled stage: what it reads from before it lives to the cut; the cut's output is
             * written tile by tile from the stage's start; every other layer's output is a band, read
             * by its readers (a folded zero padding is its input's band under another shape, and so is
             * the output of an element-wise layer in place in its input's band) */
            for (int32_t j = 0; j < l->n_inputs; j++) {
                if (l->def->inputs[j] >= t->first) continue;
                nnom_buffer *src = &p->buffers[lp[l->def->inputs[j]].buffer];
                if (src->last < t->cut) src->last = t->cut;
            }
            /* the start of a band keeping rows from one tile to the next: kept */
            const uint32_t band = p->bands[i - t->first], kept = p->kept_bands[i - t->first];
            if (i == t->first) { /* written from the stage's start, maybe by an input of the cut */
                const nnom_layer_plan *c = &lp[t->cut];
                cut_buffer = new_buffer(m, c->out_bytes, t->first, c->last_use, -1);
            }
            if (i == t->cut || nnom_tiling_writes_cut(m, i)) {
                q->buffer = cut_buffer;
                l->in_place = i == t->cut && cut_written;
                cut_written = 1;
            } else if (band) {
                q->buffer = new_buffer(m, band, i, q->last_use, -1);
                if (kept) new_buffer(m, kept, t->first, t->cut, q->buffer); /* alive through the stage */
            } else {
                q->buffer = lp[l->def->inputs[0]].buffer;
                nnom_buffer *b = &p->buffers[q->buffer];
                if (b->last < q->last_use) b->last = q->last_use;
                l->in_place = 1;
            }
        } else if (l->type == NNOM_LAYER_INPUT) {
            q->buffer = new_buffer(m, q->out_bytes, 0, q->last_use, -1);
            p->buffers[q->buffer].holds_input = 1;
        } else if ((ops->flags & NNOM_OPS_VIEW) && l->n_inputs > 0) {
            /* the same bytes under another shape: the input's buffer lives on */
            q->buffer = lp[l->def->inputs[0]].buffer;
            nnom_buffer *b = &p->buffers[q->buffer];
            if (b->last < q->last_use) b->last = q->last_use;
            if (b->bytes < q->out_bytes) b->bytes = q->out_bytes;
            l->in_place = 1;
        } else {
            int32_t group = -1;
            if ((ops->flags & NNOM_OPS_IN_PLACE) && l->n_inputs > 0 && !m->keep_all) {
                nnom_infer_ctx ctx;
                nnom_infer_ctx_init(&ctx, m, l);
                const int32_t src_buffer = lp[l->def->inputs[0]].buffer;
                const nnom_buffer *b = &p->buffers[src_buffer];
                /* model inputs are never overwritten: a caller may run again on the same input */
                int only_reader = b->last == i && !b->holds_input;
                /* the other inputs must not live in the same buffer */
                for (int32_t j = 1; j < l->n_inputs; j++)
                    if (lp[l->def->inputs[j]].buffer == src_buffer) only_reader = 0;
                const int fits = q->out_bytes <= b->bytes || (ops->flags & NNOM_OPS_IN_PLACE_GROWS);
                if (only_reader && fits && (!ops->inplace_ok || ops->inplace_ok(l, &ctx))) {
                    group = b->group;
                    l->in_place = 1;
                    if (ops->inplace_scratch_bytes) q->scratch_bytes = ops->inplace_scratch_bytes(l, &ctx);
                }
            }
            /* An in-place output is its own buffer, pinned to the offset of the
             * buffer it overwrites (same group): a smaller output frees the rest. */
            q->buffer = new_buffer(m, q->out_bytes, i, q->last_use, group);
        }
        if (q->scratch_bytes) q->scratch_buffer = new_buffer(m, q->scratch_bytes, i, i, -1);
    }

    /* a candidate that cannot beat the plan it is compared with (core/tiling.c): its lower bound only */
    p->bound_only = 0;
    if (p->place_below) {
        const uint64_t lower = lower_bound(p->buffers, p->n_buffers, group_scratch(p->work, p->n_buffers));
        if (lower >= p->place_below) {
            p->bound_only = 1;
            m->lower_bound = (uint32_t)(lower < NNOM_PLAN_LIMIT ? lower : NNOM_PLAN_LIMIT);
            m->arena_size = m->lower_bound;
            return NNOM_OK;
        }
    }

    /* 3. placement, 4. lower bound */
    uint64_t lower = 0;
    int32_t top = 0;
    const uint64_t arena = nnom_plan_place(p->buffers, p->n_buffers, m->max_arena, p->work, &lower, &top);
    if (arena > m->max_arena) return too_large(m, top, arena);
    m->arena_size = (uint32_t)arena; /* at most max_arena */
    m->lower_bound = (uint32_t)lower; /* at most the arena */
    return NNOM_OK;
}
