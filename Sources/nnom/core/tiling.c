/*
 * Tiled execution of the memory peak (MCUNetV2's patch-based inference, in
 * bands of rows): a compile-time rewrite of the plan, run by the same kernels.
 *
 * The stage. Layers first..cut (consecutive in execution order) forming a
 * small graph whose outputs, but the cut's, are read inside the stage only: a
 * chain, or residual blocks where a layer feeds two paths that meet again in
 * an element-wise layer. Its layers are 2-D window layers whose kernels take
 * a band of rows (nnom_layer_ops.rows_window: convolutions, depthwise
 * convolutions, max and average pools), layers whose output row y is row y of
 * every input (NNOM_OPS_ROWS_IDENTITY: add, subtract, multiply, minimum,
 * maximum, concatenation along w or c, activations; every input of the
 * output's shape), and 2-D zero paddings read only by a convolution (folded
 * into it: the padding's rows and columns become the convolution's padding,
 * whose taps add nothing, exactly as the zero point the padding writes;
 * NNOM_OPS_PADDING_READS_ZERO). What the stage reads from before it exists
 * whole; so does the cut's output.
 *
 * Tiles. Tile t is output rows [t * rows, min((t + 1) * rows, H)) of the cut.
 * Going backwards through the stage (readers come after what they read), a
 * layer computes the rows its readers need: the smallest span holding every
 * reader's rows (a layer read by two paths: the union of both halos). A
 * window layer's output rows [y0, y1) read the input rows [y0 * s - pad_top,
 * (y1 - 1) * s - pad_top + span - 1] (stride s, the window's span of rows),
 * clipped to the rows that exist (the rest is padding); a rows-identity
 * layer's rows read the same rows of each input. A layer's band holds the
 * most rows any tile needs; each reader reads from the band row its own rows
 * start at. Neighbouring tiles overlap in the upper layers (the halo). A
 * band either computes its halo again per tile (the MACs the tiling adds), or
 * keeps it (its bit in nnom_tiling.carry): the rows of the band the next tile
 * still needs (those its readers' windows share with the next tile's) are
 * moved to the band's start right after the band's last reader, and the next
 * tile computes only the rows after them (a layer's readers then compute
 * fewer rows, so it holds fewer: the spans are computed with the rows each
 * call computes). A band may keep while its input's computes again, and the
 * other way round: a band computing again reads its input's kept rows as any. Each output element is computed by the
 * same kernel arithmetic from the same input values as in the untiled run,
 * so every output is the same bit for bit.
 *
 * The first tile may be shift rows short (nnom_tiling.shift; shift = rows: a
 * warm-up tile that computes no cut row, only the rows the next keeps): then
 * it needs no larger bands than the others.
 *
 * Memory. Every band lives from its writer to its last reader (each tile runs
 * the stage in order, so the plan's lifetimes hold tile after tile); the rows
 * a band keeps, at its start, live through the whole stage (a buffer
 * of the band's group, at its offset), unless the band parks them
 * (nnom_tiling.park, one band): they then wait between tiles at the end of the
 * cut's output, in rows no tile has written yet, and come back to the band's
 * start before its writer; a tile whose cut rows would reach them first
 * (park_row) computes them again; what the
 * stage reads from before it lives to the cut, the cut's output from the
 * stage's first layer (core/planner.c). An element-wise layer of one input
 * that is its input's only reader runs in place, in its input's band (the
 * same rows); an element-wise cut runs in place over one of its inputs that
 * only it reads (a residual block's last convolution), which then writes its
 * rows straight into the cut's output; nothing else in the stage runs in place.
 *
 * The choice of a tiling: core/tiling_choice.c.
 */
#include <string.h>

#include "core/model_internal.h"
#include "kernels/move.h"

/* The most layers in a tiled stage (four int32_t per layer on the stack of a tiled run, twice: this tile
 * and the next, each spanned once; the previous tile's last rows; and one nnom_rows per layer of the stage,
 * twice). */
#define TILE_MAX_STAGE NNOM_TILE_MAX_STAGE

/* The most inputs of a layer in a tiled stage (a join of more paths is not tiled): the byte offsets of
 * one call's inputs live on the stack of a tiled run. */
#define TILE_MAX_INPUTS 4

/* A stage, what its layers are (found once per run, not once per tile), and one tile in every layer,
 * indexed by layer - first (a folded padding's entries are unused): the rows its band holds (lo..hi, the
 * rows its readers read in this tile; none when lo > hi) and the call that computes them (rows, when not
 * NULL: a tiled run holds the calls of two tiles, this one and the next). */
typedef struct {
    int32_t first, cut;
    int32_t shift;        /* cut rows the first tile lacks (nnom_tiling.shift) */
    uint32_t window, pad; /* bit j - first: layer j is a window layer, a folded zero padding */
    uint32_t band;        /* bit j - first: layer j has a band of its own (stage_band) */
    int32_t writer;       /* the layer that writes its rows into the cut's output (writes_cut); -1: none */
    uint32_t carry;       /* bit j - first: layer j keeps the rows its band already holds from one tile to the
                             next, it does not compute them again (a band's bit is that of its owner) */
    uint32_t park;        /* bit j - first: layer j's kept rows wait between tiles in the cut's output rows not
                             written yet, not in the arena (nnom_tiling.park; a subset of carry) */
    int32_t park_row;     /* the first cut row the parked rows may reach (nnom_tiling.park_row) */
    int parks_in;         /* this tile's parked bands have their rows from the previous tile (else they compute
                             them again: the cut's rows written through this tile reach the park) */
    int32_t lo[TILE_MAX_STAGE], hi[TILE_MAX_STAGE];
    uint32_t ends[TILE_MAX_STAGE]; /* bit k of ends[j - first]: layer first + k has a band of its own whose last
                                      reader in the stage (through layers sharing it) is layer j */
    nnom_rows *rows;
} tile_rows;

/* The canonical (h, w, c) of layer @p i's output. */
static nnom_dims dims_of(const nnom_model *m, int32_t i) { return nnom_dims_of(&m->layers[i].def->shape); }

static int is_window(const nnom_model *m, int32_t i)
{
    const nnom_layer *l = &m->layers[i];
    return nnom_layer_ops_of(l->type)->rows_window && l->n_inputs == 1 && l->def->shape.rank == 3 &&
           m->layers[l->def->inputs[0]].def->shape.rank == 3;
}

/* A layer whose output row y reads row y of each input, every input of rank 3 with the output's rows. */
static int is_identity(const nnom_model *m, int32_t i)
{
    const nnom_layer *l = &m->layers[i];
    if (!(nnom_layer_ops_of(l->type)->flags & NNOM_OPS_ROWS_IDENTITY) || l->def->shape.rank != 3 || l->n_inputs < 1)
        return 0;
    for (int32_t k = 0; k < l->n_inputs; k++) {
        const nnom_shape *s = &m->layers[l->def->inputs[k]].def->shape;
        if (s->rank != 3 || s->dims[0] != l->def->shape.dims[0]) return 0;
    }
    return 1;
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

/* How many times layers @p from..@p to read layer @p src (an input listed twice counts twice); *@p reader
 * is the last of them. */
static int32_t readers(const nnom_model *m, int32_t src, int32_t from, int32_t to, int32_t *reader)
{
    int32_t n = 0;
    for (int32_t k = from; k <= to; k++)
        for (int32_t i = 0; i < m->layers[k].n_inputs; i++)
            if (m->layers[k].def->inputs[i] == src) {
                n++;
                *reader = k;
            }
    return n;
}

/* Whether layers first..cut form a stage (see the top of this file). */
int nnom_tiling_is_stage(const nnom_model *m, int32_t first, int32_t cut)
{
    if (cut <= first || cut - first >= TILE_MAX_STAGE) return 0;
    if (is_pad(m, first) || is_pad(m, cut)) return 0;
    for (int32_t j = first; j <= cut; j++) {
        if ((!is_window(m, j) && !is_identity(m, j) && !is_pad(m, j)) || m->layers[j].n_inputs > TILE_MAX_INPUTS) return 0;
        if (j < cut && m->plan->layers[j].last_use > cut) return 0; /* read after the stage */
        int32_t reader = -1;
        if (is_pad(m, j) && (readers(m, j, j + 1, cut, &reader) != 1 || !is_window(m, reader) || !folds_padding(m, reader)))
            return 0;
    }
    return 1;
}

/* Whether stage layer @p j (before the cut) runs in place in its input's band: an element-wise layer of
 * one input, that input's only reader, the input a band of the stage (not a folded padding). */
static int shares_band(const nnom_model *m, int32_t first, int32_t cut, int32_t j)
{
    const nnom_layer *l = &m->layers[j];
    if (is_pad(m, j)) return 1; /* its input's band under another shape, read by the layer it is folded into */
    if (j >= cut || l->n_inputs != 1 || !is_identity(m, j) || !(nnom_layer_ops_of(l->type)->flags & NNOM_OPS_IN_PLACE))
        return 0;
    const int32_t src = l->def->inputs[0];
    int32_t reader = -1;
    return src >= first && !is_pad(m, src) && readers(m, src, src + 1, cut, &reader) == 1 &&
           nnom_layer_out_bytes(&m->layers[src], (nnom_dtype)m->dtype) == nnom_layer_out_bytes(l, (nnom_dtype)m->dtype);
}

/* Whether stage layer @p j writes its rows straight into the cut's output, which the cut then computes
 * in place: an input of an element-wise cut that may overwrite it (NNOM_OPS_IN_PLACE; the element-wise
 * kernels may write over any input of the output's shape), of the cut's shape, read by the cut only
 * (so that its rows are the cut's), not in place itself; the first such input of the cut. */
static int writes_cut(const nnom_model *m, int32_t first, int32_t cut, int32_t j)
{
    const nnom_layer *c = &m->layers[cut];
    if (!is_identity(m, cut) || !(nnom_layer_ops_of(c->type)->flags & NNOM_OPS_IN_PLACE)) return 0;
    for (int32_t k = 0; k < c->n_inputs; k++) {
        const int32_t src = c->def->inputs[k];
        int32_t reader = -1;
        if (src < first || is_pad(m, src) || shares_band(m, first, cut, src) || nnom_layer_out_bytes(&m->layers[src], (nnom_dtype)m->dtype) != nnom_layer_out_bytes(c, (nnom_dtype)m->dtype) ||
            row_bytes(m, src) != row_bytes(m, cut) || readers(m, src, src + 1, cut, &reader) != 1)
            continue;
        return src == j;
    }
    return 0;
}

/* Sets stage first..cut of @p tr (a stage, see is_stage) and what its layers are; @p carry: the layers
 * whose bands keep rows from one tile to the next (bit j - first, read for the layers with a band of their
 * own: a folded padding or a layer in place in its input's band keeps as that band does); @p rows: where
 * tile_spans puts the calls (NULL: nowhere). */
static void stage_init(const nnom_model *m, const nnom_tiling *t, nnom_rows *rows, tile_rows *tr)
{
    const int32_t first = t->first, cut = t->cut;
    const uint32_t carry = t->carry, park = nnom_tiling_parked(t);
    memset(tr, 0, sizeof *tr);
    tr->rows = rows;
    tr->first = first;
    tr->cut = cut;
    tr->shift = t->shift;
    tr->park_row = t->park_row;
    tr->window = tr->pad = tr->band = 0;
    tr->writer = -1;
    for (int32_t j = first; j <= cut; j++) {
        if (is_window(m, j)) tr->window |= 1u << (j - first);
        if (is_pad(m, j)) tr->pad |= 1u << (j - first);
        if (writes_cut(m, first, cut, j)) tr->writer = j;
    }
    int32_t owner[TILE_MAX_STAGE]; /* the layer whose band holds layer j's rows; -1: none (the cut's output) */
    for (int32_t j = first; j <= cut; j++) {
        const int32_t k = j - first, src = m->layers[j].def->inputs[0];
        owner[k] = -1;
        if (j < cut && j != tr->writer && (is_pad(m, j) || shares_band(m, first, cut, j)))
            owner[k] = src >= first ? owner[src - first] : -1; /* its input's band */
        else if (j < cut && j != tr->writer) {
            tr->band |= 1u << k;
            owner[k] = j;
        }
        if (owner[k] >= 0 && ((carry >> (owner[k] - first)) & 1u)) tr->carry |= 1u << k;
        if (owner[k] >= 0 && ((park >> (owner[k] - first)) & 1u)) tr->park |= 1u << k;
    }
    for (int32_t j = first; j <= cut; j++) { /* a band lives to its last reader's call */
        int32_t last = j;
        for (int32_t r = j + 1; r <= cut; r++)
            for (int32_t i = 0; i < m->layers[r].n_inputs; i++) {
                const int32_t src = m->layers[r].def->inputs[i];
                if (src >= first && owner[src - first] == j) last = r;
            }
        if ((tr->band >> (j - first)) & 1u) tr->ends[last - first] |= 1u << (j - first);
    }
}

/* Whether stage layer @p j of @p tr is a window layer, a folded zero padding, has a band of its own (not
 * the cut, nor a folded padding, nor in place in its input's band, nor writing into the cut's output). */
static int stage_window(const tile_rows *tr, int32_t j) { return (tr->window >> (j - tr->first)) & 1u; }
static int stage_pad(const tile_rows *tr, int32_t j) { return j >= tr->first && ((tr->pad >> (j - tr->first)) & 1u); }
static int stage_band(const tile_rows *tr, int32_t j) { return j >= tr->first && ((tr->band >> (j - tr->first)) & 1u); }

/* Widens the rows layer @p src holds in this tile to hold [y0, y1] (layers before @p first exist whole;
 * y0 > y1: a reader that computes no row this tile, whose window still ends at y1, see tile_spans). */
static void need_rows(tile_rows *out, int32_t src, int32_t y0, int32_t y1)
{
    if (src < out->first) return;
    const int32_t k = src - out->first;
    if (y0 < out->lo[k]) out->lo[k] = y0;
    if (y1 > out->hi[k]) out->hi[k] = y1;
}

/* Whether stage layer @p k (index in the stage) of tile @p tr has the rows it kept from the previous tile: its
 * band keeps them, and, parked, the previous tile could park them (tr->parks_in). */
static int carries(const tile_rows *tr, int32_t k)
{
    return ((tr->carry >> k) & 1u) && (!((tr->park >> k) & 1u) || tr->parks_in);
}

/* The first row stage layer @p k (index in the stage) of @p tr computes in its tile, whose previous tile's
 * band ended at row @p prev_hi[k] (NULL: the first tile): its first row, or when carrying the first row
 * past what the band holds already (past its last row when it computes none). */
static int32_t first_computed(const tile_rows *tr, const int32_t *prev_hi, int32_t k)
{
    return carries(tr, k) && prev_hi && prev_hi[k] >= tr->lo[k] ? prev_hi[k] + 1 : tr->lo[k];
}

/* The rows of tile @p t (of @p rows cut rows) in every layer of the stage of @p out (stage_init); @p prev_lo,
 * @p prev_hi: tile t - 1's lo and hi (NULL for the first tile). Going backwards, each layer's band holds [lo, hi], the rows its
 * readers' calls read; a recomputing tiling computes them all, a carrying one only those past the previous
 * tile's hi (the rest are in the band already: lo and hi never decrease from one tile to the next, so
 * [lo, previous hi] was in the previous band), possibly none. A reader computing no row still widens hi
 * (where its window ends): hi is then the same as when recomputing, and never decreases. Returns 0 if some
 * call would read no row (a tile made of padding only: such a tiling is not used). */
static int tile_spans(const nnom_model *m, int32_t rows, int32_t t, const int32_t *prev_lo, const int32_t *prev_hi,
                      tile_rows *out)
{
    const int32_t first = out->first, cut = out->cut;
    for (int32_t k = 0; k <= cut - first; k++) { /* no rows yet (see need_rows) */
        out->lo[k] = INT32_MAX;
        out->hi[k] = INT32_MIN;
    }
    const int32_t h = dims_of(m, cut).h, y_lo = t * rows - out->shift;
    const int32_t y_hi = y_lo + rows < h ? y_lo + rows - 1 : h - 1;
    /* rows before the first are a warm-up's (y_hi < 0: the cut computes none), else the first tile's fewer rows */
    need_rows(out, cut, y_lo < 0 && y_hi >= 0 ? 0 : y_lo, y_hi);
    /* the parked rows came back before the cut's rows of this tile were written, unless a layer writes into the
     * cut's output before the band that gets them back: the cut rows written through the previous tile (through
     * this one) must end before the park */
    out->parks_in = prev_lo != NULL && (out->writer < 0 ? y_lo - 1 : y_hi) < out->park_row;
    for (int32_t j = cut; j >= first; j--) {
        if (stage_pad(out, j)) continue; /* folded: its reader reads through it */
        const nnom_layer *l = &m->layers[j];
        const int32_t k = j - first, lo = out->lo[k], hi = out->hi[k];
        if (hi == INT32_MIN) return 0; /* read by no layer of the stage */
        if (hi < 0 && (j < cut || !stage_window(out, j))) return 0; /* a warm-up reaches real rows through a window only */
        if (prev_lo && (lo < prev_lo[k] || hi < prev_hi[k])) return 0; /* never: see above */
        const int32_t y0 = first_computed(out, prev_hi, k), n = y0 <= hi && hi >= 0 ? hi - y0 + 1 : 0;
        nnom_rows unused, *r = out->rows ? &out->rows[k] : &unused;
        r->out_first = r->in_first = y0;
        r->out_rows = r->in_rows = n;
        r->fold_left = r->fold_w = 0;
        if (!stage_window(out, j)) { /* rows identity; in place in its input's band: the band's rows */
            const int in_place = j < cut && !stage_band(out, j) && j != out->writer;
            for (int32_t i = 0; i < l->n_inputs; i++) need_rows(out, l->def->inputs[i], in_place ? lo : y0, hi);
            continue;
        }
        const int32_t src = l->def->inputs[0];
        int32_t stride = 1, pad_top = 0, span = 1;
        nnom_layer_ops_of(l->type)->rows_window(l, &m->layers[src], &stride, &pad_top, &span);
        const int folded = stage_pad(out, src);
        const int32_t top = folded ? m->layers[src].def->params.pad[0] : 0;
        const int32_t real = folded ? dims_of(m, m->layers[src].def->inputs[0]).h : dims_of(m, src).h;
        const int32_t a = y0 * stride - pad_top, b = hi * stride - pad_top + span - 1;
        const int32_t f = a > top ? a : top, e = b < top + real - 1 ? b : top + real - 1;
        if (f > e && (n > 0 || hi < 0)) return 0; /* a warm-up reading nothing is no use */
        r->in_first = f;
        r->in_rows = n > 0 ? e - f + 1 : 0;
        r->fold_left = folded ? m->layers[src].def->params.pad[2] : 0;
        r->fold_w = folded ? dims_of(m, m->layers[src].def->inputs[0]).w : 0;
        need_rows(out, folded ? m->layers[src].def->inputs[0] : src, f - top, e - top);
    }
    return 1;
}

/* Byte offset, in what input @p i of stage layer @p j points at (a band, or a whole output: from before
 * the stage, or the cut's that a layer writes into), of the first row the layer reads in this tile. */
static size_t input_offset(const nnom_model *m, const tile_rows *tr, int32_t j, int32_t i)
{
    const nnom_layer *l = &m->layers[j];
    const nnom_rows *r = &tr->rows[j - tr->first];
    int32_t src = l->def->inputs[i], row = r->out_first;
    if (stage_window(tr, j)) {
        row = r->in_first;
        if (stage_pad(tr, src)) { /* folded: rows counted in the padded input */
            row -= m->layers[src].def->params.pad[0];
            src = m->layers[src].def->inputs[0];
        }
    }
    if (src >= tr->first && src != tr->writer) row -= tr->lo[src - tr->first]; /* a band starts at its lo */
    return (size_t)row * row_bytes(m, src);
}

int32_t nnom_tiling_tiles(const nnom_model *m, int32_t cut, int32_t rows, int32_t shift)
{
    return (dims_of(m, cut).h + shift + rows - 1) / rows;
}

/* The rows band layer @p k (index in the stage) keeps from the previous tile (its band's last row
 * @p prev_hi) in tile @p cur (carrying): the previous band's rows from cur's lo on; 0 if none. */
static int32_t kept_rows(int32_t prev_hi, const tile_rows *cur, int32_t k)
{
    return carries(cur, k) && cur->lo[k] <= prev_hi ? prev_hi - cur->lo[k] + 1 : 0;
}

/* Where the parked band @p k (index in the stage) parks the rows tile @p cur keeps from the previous tile (its
 * last row @p prev_hi): bytes from the start of the cut's output, whose end they fill. One band parks: its rows
 * go there after its last reader and come back before its writer in the next tile, so the park never holds the
 * rows of two tiles at once. */
static size_t park_offset(const nnom_model *m, int32_t prev_hi, const tile_rows *cur, int32_t k)
{
    return (size_t)dims_of(m, cur->cut).h * row_bytes(m, cur->cut) -
           (size_t)kept_rows(prev_hi, cur, k) * row_bytes(m, cur->first + k);
}

uint32_t nnom_tiling_parked(const nnom_tiling *t)
{
    const uint32_t park = t->park & t->carry;
    return park & (0u - park); /* the first */
}

/* The estimated cost of a run, in MAC-equivalents: a layer's MACs, plus TILE_VALUE_COST per output
 * value (requantising, storing, the loops around the MACs; what a pool or a small-kernel first
 * convolution spends beyond its few MACs) and TILE_CALL_COST per call of a layer (its set-up per
 * band). Rough figures read off the 28x28 CNN on the Cortex-M4 and x86-64, where the MACs alone
 * counted a third of what a halo computed again costs, and, for the calls, off an 8x8x16 residual
 * model whose 8 bands of one row (28 calls more than untiled) cost 169k more Cortex-M4 instructions
 * with the DSP kernels (6k a call, 4k MACs at its 1.5 instructions per MAC; x86-64: 2.3k
 * instructions a call). A carrying tiling moves the rows it keeps to
 * the start of their band: TILE_MOVE_BYTES bytes per MAC-equivalent (memmove copies words). */
#define TILE_VALUE_COST 32
#define TILE_CALL_COST 4096
#define TILE_MOVE_BYTES 4

/* The values of one output row of layer @p i. */
static uint64_t row_values(const nnom_model *m, int32_t i)
{
    const nnom_dims d = dims_of(m, i);
    return (uint64_t)d.w * (uint64_t)d.c;
}

/* The estimated cost of a zero padding the converter folded into convolution @p i (its explicit padding,
 * NNOM_PADDING_EXPLICIT), counted as the layer it was: the padded values it wrote and its call; 0 for any
 * other layer. The tiling's cost budget is a share of the model as built, so that folding a padding (work
 * saved) leaves the budget as it was: MobileNetV1 0.25 at 96x96 tiles 24 x 1 rows either way (without,
 * 12 x 2 rows and 2,304 B more arena: its four folded paddings were 13 % of its estimated cost). */
static uint64_t folded_padding_cost(const nnom_model *m, int32_t i)
{
    const nnom_layer *l = &m->layers[i];
    const nnom_layer_params *p = &l->def->params;
    if (!(nnom_layer_ops_of(l->type)->flags & NNOM_OPS_PADDING_READS_ZERO) || p->padding != NNOM_PADDING_EXPLICIT ||
        l->n_inputs != 1)
        return 0;
    const nnom_dims d = dims_of(m, l->def->inputs[0]);
    return (uint64_t)(d.h + p->pad[0] + p->pad[1]) * (uint64_t)(d.w + p->pad[2] + p->pad[3]) * (uint64_t)d.c *
               TILE_VALUE_COST +
           TILE_CALL_COST;
}

/* Walks the tiles of tiling first..cut with @p rows cut rows per tile (@p carry: the bands keeping rows):
 * the extra work in @p extra (when not NULL), and per stage layer (index layer - first) the most bytes its
 * rows take in one tile in @p band and the most it keeps from one tile to the next in @p kept (both when
 * not NULL; for every layer, whether it has a band of its own or not). Returns 0 if a tile is made of
 * padding only. */
/* nnom_tiling_cost(); *@p parked (when not NULL): the most bytes the parked bands keep at once from one tile to
 * the next. */
static int walk_tiles(const nnom_model *m, const nnom_tiling *tl, nnom_tile_extra *extra, uint64_t *band,
                      uint64_t *kept, uint64_t *parked)
{
    const int32_t first = tl->first, cut = tl->cut, rows = tl->rows;
    uint64_t computed[TILE_MAX_STAGE], moved = 0;
    int32_t prev_lo[TILE_MAX_STAGE], prev_hi[TILE_MAX_STAGE];
    memset(computed, 0, sizeof computed);
    if (band) memset(band, 0, TILE_MAX_STAGE * sizeof *band);
    if (kept) memset(kept, 0, TILE_MAX_STAGE * sizeof *kept);
    if (parked) *parked = 0;
    tile_rows tr;
    if (rows < 1 || tl->shift < 0 || tl->shift > rows) return 0;
    stage_init(m, tl, NULL, &tr);
    const int32_t tiles = nnom_tiling_tiles(m, cut, rows, tl->shift);
    for (int32_t t = 0; t < tiles; t++) {
        memcpy(prev_lo, tr.lo, sizeof prev_lo);
        memcpy(prev_hi, tr.hi, sizeof prev_hi);
        if (!tile_spans(m, rows, t, t ? prev_lo : NULL, t ? prev_hi : NULL, &tr)) return 0;
        uint64_t park_now = 0;
        for (int32_t j = first; j < cut; j++) {
            if (stage_pad(&tr, j)) continue;
            const int32_t k = j - first, n = tr.hi[k] - tr.lo[k] + 1, y0 = first_computed(&tr, t ? prev_hi : NULL, k);
            if (y0 <= tr.hi[k]) computed[k] += (uint64_t)(tr.hi[k] - y0 + 1);
            if (band && n > 0 && (uint64_t)n * row_bytes(m, j) > band[k]) band[k] = (uint64_t)n * row_bytes(m, j);
            const uint64_t keep = t && stage_band(&tr, j) ? (uint64_t)kept_rows(prev_hi[k], &tr, k) * row_bytes(m, j) : 0;
            if ((tr.park >> k) & 1u) { /* out to the park and back */
                park_now += keep;
                moved += 2 * keep;
                continue;
            }
            if (kept && keep > kept[k]) kept[k] = keep;
            if (keep && tr.lo[k] > prev_lo[k]) moved += keep;
        }
        if (parked && park_now > *parked) *parked = park_now;
    }
    if (!extra) return 1;
    extra->macs = 0;
    extra->cost = moved / TILE_MOVE_BYTES;
    for (int32_t j = first; j <= cut; j++) {
        if (stage_pad(&tr, j)) continue;
        extra->cost += (uint64_t)(tiles - 1) * TILE_CALL_COST;
        const uint64_t h = (uint64_t)dims_of(m, j).h;
        if (j == cut || computed[j - first] <= h) continue; /* rows no reader needs are not computed at all */
        const uint64_t again = computed[j - first] - h;
        extra->macs += again * (nnom_layer_macs(m, j) / h);
        extra->cost += again * (nnom_layer_macs(m, j) / h + row_values(m, j) * TILE_VALUE_COST);
    }
    return 1;
}

int nnom_tiling_cost(const nnom_model *m, const nnom_tiling *t, nnom_tile_extra *extra, uint64_t *band, uint64_t *kept)
{
    return walk_tiles(m, t, extra, band, kept, NULL);
}

int32_t nnom_tiling_park_row(const nnom_model *m, const nnom_tiling *t)
{
    const int32_t h = dims_of(m, t->cut).h;
    if (!nnom_tiling_parked(t)) return h;
    nnom_tiling every = *t; /* every tile parks: the most bytes parked at once, the same as in the tiles that do */
    every.park_row = INT32_MAX;
    uint64_t parked = 0;
    if (!walk_tiles(m, &every, NULL, NULL, NULL, &parked)) return 0;
    const uint64_t rb = row_bytes(m, t->cut), park_rows = (parked + rb - 1) / rb;
    return park_rows >= (uint64_t)h ? 0 : h - (int32_t)park_rows;
}

int nnom_tiling_writes_cut(const nnom_model *m, int32_t layer)
{
    const nnom_tiling *t = &m->tiling;
    return t->first >= 0 && layer >= t->first && layer < t->cut && writes_cut(m, t->first, t->cut, layer);
}

void nnom_tiling_bands(const nnom_model *m, uint32_t *band_bytes, uint32_t *kept_bytes)
{
    const nnom_tiling *t = &m->tiling;
    uint64_t band[TILE_MAX_STAGE], kept[TILE_MAX_STAGE];
    nnom_tiling_cost(m, t, NULL, band, kept); /* checked when it was chosen */
    for (int32_t j = t->first; j <= t->cut; j++) {
        const int own = j < t->cut && !shares_band(m, t->first, t->cut, j) && !writes_cut(m, t->first, t->cut, j);
        band_bytes[j - t->first] = own ? (uint32_t)band[j - t->first] : 0; /* at most the output's bytes */
        kept_bytes[j - t->first] = own ? (uint32_t)kept[j - t->first] : 0; /* at most the band's */
    }
}

uint32_t nnom_tiling_band_bytes(const nnom_model *m, int32_t layer, uint32_t *kept_bytes)
{
    const nnom_tiling *t = &m->tiling;
    uint32_t band[TILE_MAX_STAGE], kept[TILE_MAX_STAGE];
    if (kept_bytes) *kept_bytes = 0;
    if (t->first < 0 || layer < t->first || layer >= t->cut) return 0;
    nnom_tiling_bands(m, band, kept);
    if (kept_bytes) *kept_bytes = kept[layer - t->first];
    return band[layer - t->first];
}

/* After the call of stage layer @p j in tile @p cur: every band @p j is the last reader of moves the rows
 * tile @p next keeps to its start, the only part of it alive between the two tiles (core/planner.c). */
static void keep_rows(nnom_model *m, const tile_rows *cur, const tile_rows *next, int32_t j)
{
    int32_t k = 0;
    for (uint32_t bits = cur->ends[j - cur->first]; bits; bits >>= 1, k++) {
        const int32_t o = cur->first + k;
        if (!(bits & 1u)) continue;
        const int32_t n = kept_rows(cur->hi[k], next, k);
        if (!n) continue;
        uint8_t *band = m->arena + m->layers[o].out_offset;
        const size_t rb = row_bytes(m, o), from = (size_t)(next->lo[k] - cur->lo[k]) * rb;
        if ((cur->park >> k) & 1u) /* to the park, in the cut's output rows not written yet */
            memmove(m->arena + m->layers[cur->cut].out_offset + park_offset(m, cur->hi[k], next, k), band + from,
                    (size_t)n * rb);
        else if (from)
            nnom_move_down(band, band + from, (size_t)n * rb);
    }
}

/* Before the call of stage layer @p j in tile @p cur: its band, parked, gets back the rows it keeps from the
 * previous tile (whose bands ended at rows @p prev_hi), at its start. */
static void unpark_rows(nnom_model *m, const int32_t *prev_hi, const tile_rows *cur, int32_t j)
{
    const int32_t k = j - cur->first;
    if (j >= cur->cut || !stage_band(cur, j) || !((cur->park >> k) & 1u)) return;
    const int32_t n = kept_rows(prev_hi[k], cur, k);
    if (n > 0)
        memmove(m->arena + m->layers[j].out_offset,
                m->arena + m->layers[cur->cut].out_offset + park_offset(m, prev_hi[k], cur, k),
                (size_t)n * row_bytes(m, j));
}

void nnom_tiling_run(nnom_model *m)
{
    const nnom_tiling *t = &m->tiling;
    const int32_t tiles = nnom_tiling_tiles(m, t->cut, t->rows, t->shift);
    const int32_t n = t->cut - t->first + 1; /* (at most TILE_MAX_STAGE) */
    nnom_rows rows[2 * n];                   /* the calls of this tile and of the next, as many as the stage's layers */
    tile_rows tr[2];                         /* this tile, the next (each spanned once, as the next) */
    int32_t prev_hi[TILE_MAX_STAGE];         /* the previous tile's bands' last rows (parked rows come back) */
    stage_init(m, t, rows, &tr[0]);
    stage_init(m, t, rows + n, &tr[1]);
    size_t in_offsets[TILE_MAX_INPUTS];
    /* checked when the tiling was chosen, as every tile */
    tile_spans(m, t->rows, 0, NULL, NULL, &tr[0]);
    for (int32_t k = 0; k < tiles; k++) {
        tile_rows *cur = &tr[k & 1], *next = &tr[(k + 1) & 1];
        const int more = k + 1 < tiles;
        /* (tile k's calls were made as the next tile's, from tile k - 1's rows, which next holds until below) */
        if (k && cur->park) memcpy(prev_hi, next->hi, sizeof prev_hi);
        if (more) tile_spans(m, t->rows, k + 1, cur->lo, cur->hi, next);
        for (int32_t j = t->first; j <= t->cut; j++) {
            if (stage_pad(cur, j)) continue; /* folded into its reader */
            if (k && cur->park) unpark_rows(m, prev_hi, cur, j);
            const nnom_rows *r = &cur->rows[j - t->first];
            if (r->out_rows > 0) { /* none: carrying, every row it holds this tile is kept */
                for (int32_t i = 0; i < m->layers[j].n_inputs; i++) in_offsets[i] = input_offset(m, cur, j, i);
                const int whole = j == t->cut || j == cur->writer;
                const size_t out_offset = (size_t)(r->out_first - (whole ? 0 : cur->lo[j - t->first])) * row_bytes(m, j);
                nnom_run_layer(m, j, r, in_offsets, out_offset);
            }
            if (more && t->carry) keep_rows(m, cur, next, j);
        }
    }
}

uint32_t nnom_tiling_stage_bands(const nnom_model *m, int32_t first, int32_t cut)
{
    tile_rows tr;
    const nnom_tiling t = {.first = first, .cut = cut, .rows = 1};
    stage_init(m, &t, NULL, &tr);
    return tr.band;
}

uint64_t nnom_tiling_model_cost(const nnom_model *m, uint64_t *macs)
{
    uint64_t cost = 0;
    *macs = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        *macs += nnom_layer_macs(m, i);
        cost += nnom_layer_macs(m, i) + (uint64_t)dims_of(m, i).h * row_values(m, i) * TILE_VALUE_COST + TILE_CALL_COST +
                folded_padding_cost(m, i);
    }
    return cost;
}
