/*
 * Tiled execution of the memory peak (MCUNetV2's patch-based inference, in
 * bands of rows): a compile-time rewrite of the plan, run by the same kernels.
 *
 * The stage. A chain of layers first..cut, each reading only the one before
 * it, each (but the cut) read by the next one only: 2-D window layers whose
 * kernels take a band of rows (nnom_layer_ops.rows_window: convolutions,
 * depthwise convolutions, max and average pools), and 2-D zero paddings right
 * before a convolution (folded into it: the padding's rows and columns become
 * the convolution's padding, whose taps add nothing, exactly as the zero
 * point the padding writes; NNOM_OPS_PADDING_READS_ZERO). The chain's input
 * exists whole; so does the cut's output.
 *
 * Tiles. Tile t is output rows [t * rows, min((t + 1) * rows, H)) of the cut.
 * Going backwards through the chain, a window layer's output rows
 * [y0, y1) read the input rows [y0 * s - pad_top, (y1 - 1) * s - pad_top +
 * span - 1] (stride s, the window's span of rows), clipped to the rows that
 * exist (the rest is padding); those are the output rows its producer computes
 * for this tile, into its band. A layer's band holds the most rows any tile
 * needs. Neighbouring tiles overlap in their upper layers (the halo), which
 * are computed again per tile: the MACs the tiling adds. Each output element
 * is computed by the same kernel arithmetic from the same input values as in
 * the untiled run, so every output is the same bit for bit.
 *
 * Memory. Every band lives from its writer to its reader (each tile runs the
 * chain in order, so the plan's lifetimes hold tile after tile); the chain's
 * input lives to the cut, the cut's output from the chain's first layer
 * (core/planner.c). Nothing in the stage runs in place.
 *
 * Choice (nnom_tiling_plan, from core/plan_tuned.c). The untiled plan first; then every chain whose
 * layers include the step where the most bytes are alive (the peak), with at
 * most TILE_MAX_CHAIN layers; for each, the fewest rows per tile whose added
 * MACs stay within the budget (nnom_options.tiling_max_extra_macs_percent of
 * the model's MACs; fewer rows: smaller bands, more halo), and whose added
 * estimated cost (TILE_VALUE_COST, TILE_CALL_COST) stays within the same share
 * of the model's estimated cost, is planned (with the fast scratch,
 * core/plan_tuned.c), and the
 * smallest arena wins if it is smaller than the untiled one (ties: fewer
 * added MACs, then the earlier chain). The choice is made on plans with the
 * scratch of every kernel set (NNOM_KERNELS_ANY), so shapes alone decide it:
 * the same tiling in every build, each then planned with its own kernels.
 */
#include <string.h>

#include "core/model_internal.h"
#include "core/struct_size.h"

/* The most layers in a tiled chain (paddings included): bounds the search, the work per tile and the
 * stack of a tiled run (one nnom_rows per layer, 24 bytes). */
#define TILE_MAX_CHAIN 10

#define PERCENT 100

/* The rows of one tile in every layer of the chain, indexed by layer - first. */
typedef struct {
    nnom_rows rows[TILE_MAX_CHAIN];
    size_t in_offset; /* bytes from the start of the chain's input to the first row the tile reads */
} tile_rows;

/* The canonical (h, w, c) of layer @p i's output. */
static nnom_dims dims_of(const nnom_model *m, int32_t i) { return nnom_dims_of(&m->layers[i].def->shape); }

static int is_window(const nnom_model *m, int32_t i)
{
    const nnom_layer *l = &m->layers[i];
    return nnom_layer_ops_of(l->type)->rows_window && l->n_inputs == 1 && l->def->shape.rank == 3 &&
           m->layers[l->def->inputs[0]].def->shape.rank == 3;
}

/* Whether a zero padding right before window layer @p i can be folded into it. */
static int folds_padding(const nnom_model *m, int32_t i)
{
    return (nnom_layer_ops_of(m->layers[i].type)->flags & NNOM_OPS_PADDING_READS_ZERO) != 0;
}

static int is_pad(const nnom_model *m, int32_t i)
{
    const nnom_layer *l = &m->layers[i];
    return l->type == NNOM_LAYER_ZERO_PADDING2D && l->n_inputs == 1 && l->def->shape.rank == 3;
}

/* Bytes of one output row of layer @p i. */
static size_t row_bytes(const nnom_model *m, int32_t i)
{
    const nnom_dims d = dims_of(m, i);
    return (size_t)d.w * (size_t)d.c * nnom_dtype_size(m->dtype);
}

/* Whether layer @p j can follow the chain that ends at j - 1: it reads j - 1 only, and is its only
 * reader (last_use is the plan's). A padding follows a window layer, and is followed by one it folds
 * into (the cut is a window layer). */
static int links(const nnom_model *m, int32_t j)
{
    const nnom_layer *l = &m->layers[j];
    if (l->n_inputs != 1 || l->def->inputs[0] != j - 1 || m->plan->layers[j - 1].last_use != j) return 0;
    if (is_pad(m, j - 1)) return is_window(m, j) && folds_padding(m, j);
    return is_window(m, j) || is_pad(m, j);
}

/* The rows of tile @p t (of @p rows cut rows) in every layer of chain first..cut. Returns 0 if some
 * layer would read no row of its input (a tile made of padding only: such a tiling is not used). */
static int tile_spans(const nnom_model *m, int32_t first, int32_t cut, int32_t rows, int32_t t, tile_rows *out)
{
    const int32_t h = dims_of(m, cut).h;
    int32_t y0 = t * rows, y1 = y0 + rows < h ? y0 + rows : h;
    int32_t j = cut;
    while (j >= first) {
        const nnom_layer *l = &m->layers[j];
        const int32_t src = l->def->inputs[0];
        int32_t stride = 1, pad_top = 0, span = 1;
        nnom_layer_ops_of(l->type)->rows_window(l, &m->layers[src], &stride, &pad_top, &span);
        const int folded = src >= first && is_pad(m, src);
        const int32_t top = folded ? m->layers[src].def->params.pad[0] : 0;
        const int32_t real = folded ? dims_of(m, m->layers[src].def->inputs[0]).h : dims_of(m, src).h;
        const int32_t lo = y0 * stride - pad_top, hi = (y1 - 1) * stride - pad_top + span - 1;
        const int32_t f = lo > top ? lo : top, e = hi < top + real - 1 ? hi : top + real - 1;
        if (f > e) return 0;
        nnom_rows *r = &out->rows[j - first];
        r->out_first = y0;
        r->out_rows = y1 - y0;
        r->in_first = f;
        r->in_rows = e - f + 1;
        r->fold_left = folded ? m->layers[src].def->params.pad[2] : 0;
        r->fold_w = folded ? dims_of(m, m->layers[src].def->inputs[0]).w : 0;
        const int32_t producer = folded ? m->layers[src].def->inputs[0] : src;
        if (producer < first) out->in_offset = (size_t)f * row_bytes(m, producer);
        y0 = f - top;
        y1 = e - top + 1;
        j = producer;
    }
    return 1;
}

static int32_t tile_count(const nnom_model *m, int32_t cut, int32_t rows)
{
    return (dims_of(m, cut).h + rows - 1) / rows;
}

/* The estimated cost of a run, in MAC-equivalents: a layer's MACs, plus TILE_VALUE_COST per output
 * value (requantising, storing, the loops around the MACs; what a pool or a small-kernel first
 * convolution spends beyond its few MACs) and TILE_CALL_COST per call of a layer (its set-up per
 * band). Rough figures read off the 28x28 CNN on the Cortex-M4 and x86-64, where the MACs alone
 * counted a third of what a halo computed again costs. */
#define TILE_VALUE_COST 32
#define TILE_CALL_COST 1024

/* The values of one output row of layer @p i. */
static uint64_t row_values(const nnom_model *m, int32_t i)
{
    const nnom_dims d = dims_of(m, i);
    return (uint64_t)d.w * (uint64_t)d.c;
}

/* What tiling first..cut with @p rows cut rows per tile adds per run: MACs and estimated cost. */
typedef struct {
    uint64_t macs, cost;
} tile_extra;

/* Bands of tiling first..cut with @p rows cut rows per tile: the extra work in @p extra (when not NULL)
 * and the band bytes of @p band_layer (when >= 0, else 0); 0 in @p ok if a tile is made of padding only. */
static uint64_t tiling_cost(const nnom_model *m, int32_t first, int32_t cut, int32_t rows, int32_t band_layer,
                            tile_extra *extra, int *ok)
{
    uint64_t computed[TILE_MAX_CHAIN], band = 0;
    memset(computed, 0, sizeof computed);
    tile_rows tr;
    *ok = 0;
    const int32_t tiles = tile_count(m, cut, rows);
    for (int32_t t = 0; t < tiles; t++) {
        if (!tile_spans(m, first, cut, rows, t, &tr)) return 0;
        for (int32_t j = first; j < cut; j++) {
            if (is_pad(m, j)) continue;
            const int32_t n = tr.rows[j - first].out_rows;
            computed[j - first] += (uint64_t)n;
            if (j == band_layer && (uint64_t)n * row_bytes(m, j) > band) band = (uint64_t)n * row_bytes(m, j);
        }
    }
    *ok = 1;
    if (!extra) return band;
    extra->macs = extra->cost = 0;
    for (int32_t j = first; j <= cut; j++) {
        if (is_pad(m, j)) continue;
        extra->cost += (uint64_t)(tiles - 1) * TILE_CALL_COST;
        if (j == cut) continue;
        const uint64_t h = (uint64_t)dims_of(m, j).h, again = computed[j - first] - h;
        extra->macs += again * (nnom_layer_macs(m, j) / h);
        extra->cost += again * (nnom_layer_macs(m, j) / h + row_values(m, j) * TILE_VALUE_COST);
    }
    return band;
}

uint32_t nnom_tiling_band_bytes(const nnom_model *m, int32_t layer)
{
    const nnom_tiling *t = &m->tiling;
    if (t->first < 0 || layer < t->first || layer >= t->cut || is_pad(m, layer)) return 0;
    int ok;
    return (uint32_t)tiling_cost(m, t->first, t->cut, t->rows, layer, NULL, &ok); /* at most the output's bytes */
}

void nnom_tiling_run(nnom_model *m)
{
    const nnom_tiling *t = &m->tiling;
    const int32_t tiles = tile_count(m, t->cut, t->rows);
    tile_rows tr;
    for (int32_t k = 0; k < tiles; k++) {
        tile_spans(m, t->first, t->cut, t->rows, k, &tr); /* checked when the tiling was chosen */
        for (int32_t j = t->first; j <= t->cut; j++) {
            if (is_pad(m, j)) continue; /* folded into its consumer */
            const nnom_rows *r = &tr.rows[j - t->first];
            const size_t in_offset = j == t->first ? tr.in_offset : 0;
            const size_t out_offset = j == t->cut ? (size_t)r->out_first * row_bytes(m, j) : 0;
            nnom_run_layer(m, j, r, in_offset, out_offset);
        }
    }
}

/* The step (layer index) at which the plan has the most bytes alive, groups counted naively. */
static int32_t peak_step(const nnom_model *m)
{
    int32_t best = 0;
    uint64_t most = 0;
    for (int32_t s = 0; s < m->n_layers; s++) {
        uint64_t live = 0;
        for (int32_t b = 0; b < m->plan->n_buffers; b++)
            if (m->plan->buffers[b].first <= s && s <= m->plan->buffers[b].last && m->plan->buffers[b].group == b)
                live += m->plan->buffers[b].bytes;
        if (live > most) {
            most = live;
            best = s;
        }
    }
    return best;
}

/* The fewest rows per tile of chain first..cut whose added MACs and estimated cost are within @p budget;
 * 0 if none (one tile of every row is no tiling). */
static int32_t fewest_rows(const nnom_model *m, int32_t first, int32_t cut, const tile_extra *budget,
                           tile_extra *extra)
{
    for (int32_t rows = 1; rows < dims_of(m, cut).h; rows++) {
        tile_extra e;
        int ok;
        tiling_cost(m, first, cut, rows, -1, &e, &ok);
        if (ok && e.macs <= budget->macs && e.cost <= budget->cost) {
            *extra = e;
            return rows;
        }
    }
    return 0;
}

/* @p percent of @p total, rounded down, without overflow. */
static uint64_t percent_of(uint64_t total, int32_t percent)
{
    return total / PERCENT * (uint64_t)percent + total % PERCENT * (uint64_t)percent / PERCENT;
}

nnom_status nnom_tiling_plan(nnom_model *m)
{
    nnom_tiling *t = &m->tiling;
    t->first = t->cut = -1;
    t->rows = 0;
    t->extra_macs = 0;
    t->untiled_arena = m->arena_size; /* the plan made before */
    const int32_t percent = t->max_extra_percent ? t->max_extra_percent : NNOM_TILING_DEFAULT_PERCENT;
    if (m->keep_all || percent < 0) return NNOM_OK;
    /* the choice is made on the plans with the scratch of every kernel set (NNOM_KERNELS_ANY), so that it
     * depends on shapes only and is the same in every build; the final plan is the build's own */
    const nnom_kernels own = m->kernels;
    const int own_window = m->window_in_place; /* and with windowed convolutions in place, as every build may */
    m->kernels = NNOM_KERNELS_ANY;
    m->window_in_place = 1;
    nnom_status st = nnom_plan_once(m);
    if (st != NNOM_OK) {
        m->kernels = own;
        m->window_in_place = own_window;
        return nnom_plan_once(m);
    }
    uint64_t macs = 0, cost = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        macs += nnom_layer_macs(m, i);
        cost += nnom_layer_macs(m, i) + (uint64_t)dims_of(m, i).h * row_values(m, i) * TILE_VALUE_COST + TILE_CALL_COST;
    }
    const tile_extra budget = {percent_of(macs, percent), percent_of(cost, percent)};
    const int32_t peak = peak_step(m);

    nnom_tiling best = *t;
    uint32_t best_arena = m->arena_size;
    for (int32_t first = 0; first <= peak; first++) {
        if (!is_window(m, first)) continue;
        for (int32_t cut = first + 1; cut < m->n_layers && cut - first < TILE_MAX_CHAIN && links(m, cut); cut++) {
            if (cut < peak || !is_window(m, cut)) continue;
            tile_extra extra;
            const int32_t rows = fewest_rows(m, first, cut, &budget, &extra);
            if (!rows) continue;
            t->first = first;
            t->cut = cut;
            t->rows = rows;
            t->extra_macs = extra.macs;
            if (nnom_plan_once(m) != NNOM_OK) continue; /* larger than the limit: not better */
            if (m->arena_size < best_arena || (m->arena_size == best_arena && best.first >= 0 && extra.macs < best.extra_macs)) {
                best_arena = m->arena_size;
                best = *t;
            }
        }
    }
    *t = best;
    m->kernels = own;
    m->window_in_place = own_window;
    nnom_model_clear_error(m);
    return nnom_plan_once(m);
}

nnom_status nnom_model_tiling(const nnom_model *m, nnom_tiling_info *info)
{
    if (!m || !info) return NNOM_ERR_ARGUMENT;
    if (!NNOM_STRUCT_SIZE_KNOWN(info))
        return nnom_fail((nnom_model *)m, NNOM_ERR_ARGUMENT, NNOM_STRUCT_SIZE_FMT,
                         NNOM_STRUCT_SIZE_ARGS(info, "nnom_tiling_info"));
    if (!m->compiled)
        return nnom_fail((nnom_model *)m, NNOM_ERR_STATE, "compile the model before asking for its tiling");
    const nnom_tiling *t = &m->tiling;
    nnom_tiling_info_init(info);
    info->first_layer = t->first;
    info->cut_layer = t->cut;
    info->tiles = t->first >= 0 ? tile_count(m, t->cut, t->rows) : 0;
    info->rows_per_tile = t->rows;
    info->untiled_arena_bytes = t->untiled_arena;
    info->saved_bytes = t->untiled_arena > m->arena_size ? t->untiled_arena - m->arena_size : 0;
    info->extra_macs = t->extra_macs;
    return NNOM_OK;
}
