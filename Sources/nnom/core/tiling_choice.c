/*
 * The choice of the tiled stage (core/tiling.c) of a plan.
 *
 * nnom_tiling_plan, from core/plan_tuned.c: the untiled plan first; then every stage whose
 * layers include the step where the most bytes are alive (the peak), with at
 * most NNOM_TILE_MAX_STAGE layers; for each, and for each set of bands keeping their
 * halos (carry_masks: none and all; then on the best stage each band alone and every band but one), with
 * the first tile as long as the others or shorter (try_tiling: shift, a warm-up), the first band that keeps
 * parking its rows in the cut's output or not, the fewest rows per tile whose added
 * MACs stay within the budget (nnom_options.tiling_max_extra_macs_percent of
 * the model's MACs; fewer rows: smaller bands, more halo; none when every band keeps), and whose added
 * estimated cost (nnom_tiling_cost: TILE_VALUE_COST, TILE_CALL_COST, TILE_MOVE_BYTES of core/tiling.c) stays within the same share
 * of the model's estimated cost (the model as built: a zero padding folded into a convolution's
 * explicit padding counts as the layer it was), is planned (with the fast scratch,
 * core/plan_tuned.c; placed only if the lower bound of its buffers may beat the best so far), and the
 * smallest arena wins if it is smaller than the untiled one (ties: fewer
 * added MACs, then less added estimated cost, then the first tried). The fastest plan
 * (NNOM_PLAN_FASTEST) asks first for tilings where every band keeps (carry_only), which add no MAC. The choice is made on plans with the
 * scratch of every kernel set (NNOM_KERNELS_ANY), so shapes alone decide it:
 * the same tiling in every build, each then planned with its own kernels
 * (and kept only if that plan is still smaller than the build's untiled one;
 * nnom_model_arena_size_for() plans another build's the same way).
 */
#include <string.h>

#include "core/model_internal.h"
#include "core/struct_size.h"

#define PERCENT 100

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

/* The fewest rows per tile of tiling @p t (its stage, shift, carry and park set; the first tile shift rows
 * fewer, so at least that many) whose added MACs and estimated cost are within @p budget; 0 if none (one tile
 * of every row is no tiling). Sets t->rows, t->park_row and @p extra. */
static int32_t fewest_rows(const nnom_model *m, nnom_tiling *t, const nnom_tile_extra *budget, nnom_tile_extra *extra)
{
    for (t->rows = t->shift > 1 ? t->shift : 1; t->rows < nnom_dims_of(&m->layers[t->cut].def->shape).h; t->rows++) {
        nnom_tile_extra e;
        t->park_row = nnom_tiling_park_row(m, t);
        const int ok = nnom_tiling_cost(m, t, &e, NULL, NULL);
        if (ok && e.macs <= budget->macs && e.cost <= budget->cost) {
            *extra = e;
            return t->rows;
        }
    }
    return 0;
}

/* @p percent of @p total, rounded down, without overflow. */
static uint64_t percent_of(uint64_t total, int32_t percent)
{
    return total / PERCENT * (uint64_t)percent + total % PERCENT * (uint64_t)percent / PERCENT;
}

/* The best tiling so far: the tiling, its arena, its added estimated cost. */
typedef struct {
    nnom_tiling t;
    uint32_t arena;
    uint64_t cost;
} tile_best;

/* The most rows the first tile of a tiling may lack (nnom_tiling.shift) that the choice tries. */
#define TILE_MAX_SHIFT 4

/* Plans stage first..cut with the bands of @p carry keeping their halos (those of @p park in the park), the
 * first tile @p shift rows short, and the fewest rows per tile within @p budget; it replaces @p best if its
 * arena is smaller (equal: fewer added MACs, then less added cost). A candidate whose lower bound cannot beat
 * the best so far is not placed (core/planner.c). Returns its rows per tile (0: none within the budget). */
static int32_t try_shift(nnom_model *m, int32_t first, int32_t cut, int32_t shift, uint32_t carry, uint32_t park,
                         const nnom_tile_extra *budget, tile_best *best)
{
    nnom_tile_extra extra;
    nnom_tiling *t = &m->tiling;
    t->first = first;
    t->cut = cut;
    t->shift = shift;
    t->carry = carry;
    t->park = park;
    const int32_t rows = fewest_rows(m, t, budget, &extra);
    if (!rows) {
        t->first = t->cut = -1;
        return 0;
    }
    t->extra_macs = extra.macs;
    m->plan->place_below = (uint64_t)best->arena + 1;
    const nnom_status st = nnom_plan_once(m);
    m->plan->place_below = 0;
    if (st != NNOM_OK || m->plan->bound_only) return rows; /* past the limit, or not better */
    const int tie = m->arena_size == best->arena && best->t.first >= 0 &&
                    (extra.macs < best->t.extra_macs || (extra.macs == best->t.extra_macs && extra.cost < best->cost));
    if (m->arena_size < best->arena || tie) {
        best->t = *t;
        best->arena = m->arena_size;
        best->cost = extra.cost;
    }
    return rows;
}

/* try_shift() with the first tile as long as the others, then shorter by 1 .. the rows per tile that gives
 * (at most TILE_MAX_SHIFT; as many: a warm-up tile). A band that keeps rows has them from the previous tile,
 * but the first tile computes its whole window: the first tile's bands, the largest, set the arena; a shorter
 * first tile (or a warm-up computing only the rows the next tile keeps) makes them no larger than the others'.
 * Unless @p carry_only, each also with the kept rows of the first band that keeps parked in the cut's output
 * rows not written yet (they then take no arena, and the last tiles, whose cut rows reach the park, compute
 * them again): the first band's kept rows are those that live longest outside its band. */
static void try_tiling(nnom_model *m, int32_t first, int32_t cut, uint32_t carry, int carry_only,
                       const nnom_tile_extra *budget, tile_best *best)
{
    for (int32_t p = 0; p < (carry && !carry_only ? 2 : 1); p++) {
        const uint32_t park = p ? carry & (0u - carry) : 0; /* the first band that keeps */
        const int32_t rows = try_shift(m, first, cut, 0, carry, park, budget, best);
        for (int32_t shift = 1; carry && shift <= rows && shift <= TILE_MAX_SHIFT; shift++)
            try_shift(m, first, cut, shift, carry, park, budget, best);
    }
}

/* The most carry masks tried per stage: none, all, and per band that band alone or every band but it. */
#define TILE_MAX_MASKS (2 + 2 * NNOM_TILE_MAX_STAGE)

/* The sets of bands of stage first..cut that keep rows from one tile to the next, in the order tried:
 * none (halos computed again), all (every row computed once), then for each band that band alone and
 * every band but it (the rows kept live through the stage, the rows computed again cost MACs: a band
 * alone may give the smallest arena); all only when @p carry_only. Returns their count. */
static int32_t carry_masks(const nnom_model *m, int32_t first, int32_t cut, int carry_only, uint32_t *masks)
{
    const uint32_t band = nnom_tiling_stage_bands(m, first, cut);
    int32_t n = 0;
    if (!carry_only) masks[n++] = 0;
    masks[n++] = band;
    for (int32_t k = 0; !carry_only && k < NNOM_TILE_MAX_STAGE; k++) {
        const uint32_t one = 1u << k, some[2] = {one, band & ~one};
        if (!(band & one)) continue;
        for (int32_t s = 0; s < 2; s++) {
            int seen = some[s] == 0;
            for (int32_t i = 0; i < n; i++) seen |= masks[i] == some[s];
            if (!seen) masks[n++] = some[s];
        }
    }
    return n;
}

nnom_status nnom_tiling_plan(nnom_model *m, int carry_only)
{
    nnom_tiling *t = &m->tiling;
    t->first = t->cut = -1;
    t->rows = t->shift = 0;
    t->carry = t->park = 0;
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
    uint64_t macs;
    const uint64_t cost = nnom_tiling_model_cost(m, &macs);
    const nnom_tile_extra budget = {percent_of(macs, percent), percent_of(cost, percent)};
    const int32_t peak = peak_step(m);

    tile_best best = {*t, m->arena_size, 0};
    /* every stage with no band keeping its halo and with all (all only: carry_only), then the best stage
     * with the other sets of bands (a band alone, every band but one: carry_masks) */
    for (int32_t first = 0; first <= peak; first++) {
        for (int32_t cut = first + 1; cut < m->n_layers && cut - first < NNOM_TILE_MAX_STAGE; cut++) {
            if (cut < peak || !nnom_tiling_is_stage(m, first, cut)) continue;
            uint32_t masks[TILE_MAX_MASKS];
            const int32_t n_masks = carry_masks(m, first, cut, carry_only, masks);
            for (int32_t v = 0; v < n_masks && v < (carry_only ? 1 : 2); v++)
                try_tiling(m, first, cut, masks[v], carry_only, &budget, &best);
        }
    }
    if (best.t.first >= 0 && !carry_only) {
        uint32_t masks[TILE_MAX_MASKS];
        const int32_t first = best.t.first, cut = best.t.cut, n_masks = carry_masks(m, first, cut, 0, masks);
        for (int32_t v = 2; v < n_masks; v++) try_tiling(m, first, cut, masks[v], 0, &budget, &best);
    }
    *t = best.t;
    m->kernels = own;
    m->window_in_place = own_window;
    nnom_model_clear_error(m);
    if (t->first >= 0) {
        st = nnom_plan_once(m);
        if (st == NNOM_OK && m->arena_size < t->untiled_arena) return NNOM_OK;
        /* this build's kernels (the fast scratch a tiled plan holds) leave the tiling no smaller: none */
        t->first = t->cut = -1;
        t->rows = t->shift = 0;
        t->carry = t->park = 0;
        t->extra_macs = 0;
        nnom_model_clear_error(m);
    }
    return nnom_plan_once(m);
}

/* Bytes the bands of the model's tiling keep from one tile to the next (alive through the stage). */
static uint32_t kept_bytes(const nnom_model *m)
{
    uint32_t band[NNOM_TILE_MAX_STAGE], kept[NNOM_TILE_MAX_STAGE], bytes = 0;
    if (m->tiling.first < 0) return 0;
    nnom_tiling_bands(m, band, kept);
    for (int32_t j = m->tiling.first; j < m->tiling.cut; j++) bytes += kept[j - m->tiling.first];
    return bytes;
}

nnom_status nnom_model_tiling(const nnom_model *m, nnom_tiling_info *info)
{
    if (!m || !info) return NNOM_ERR_ARGUMENT;
    const uint32_t size = info->struct_size;
    if (!NNOM_STRUCT_SIZE_KNOWN(info) && size != NNOM_TILING_INFO_SIZE_BEFORE_KEPT)
        return nnom_fail((nnom_model *)m, NNOM_ERR_ARGUMENT, NNOM_STRUCT_SIZE_FMT,
                         NNOM_STRUCT_SIZE_ARGS(info, "nnom_tiling_info"));
    if (!m->compiled)
        return nnom_fail((nnom_model *)m, NNOM_ERR_STATE, "compile the model before asking for its tiling");
    const nnom_tiling *t = &m->tiling;
    memset(info, 0, size); /* a caller compiled before kept_band_bytes: its struct ends where the field starts */
    info->struct_size = size;
    info->first_layer = t->first;
    info->cut_layer = t->cut;
    info->tiles = t->first >= 0 ? nnom_tiling_tiles(m, t->cut, t->rows, t->shift) : 0;
    info->rows_per_tile = t->rows;
    info->untiled_arena_bytes = t->untiled_arena;
    info->saved_bytes = t->untiled_arena > m->arena_size ? t->untiled_arena - m->arena_size : 0;
    info->extra_macs = t->extra_macs;
    if (size > NNOM_TILING_INFO_SIZE_BEFORE_KEPT) info->kept_band_bytes = kept_bytes(m);
    return NNOM_OK;
}
