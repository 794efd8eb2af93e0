/* Internal: the model handle and the arena plan. */
#ifndef NNOM_CORE_MODEL_INTERNAL_H
#define NNOM_CORE_MODEL_INTERNAL_H

#include "core/layer.h"

/* The model's message buffer: terse messages are a status name and a note. */
#if defined(NNOM_TERSE_ERRORS) && NNOM_TERSE_ERRORS
#define NNOM_MODEL_ERROR_BYTES 48
#else
#define NNOM_MODEL_ERROR_BYTES NNOM_MODEL_MESSAGE_MAX
#endif

/* A region of the arena while a plan is made: lives from layer `first` to layer `last` (inclusive). */
typedef struct nnom_buffer {
    uint32_t offset;
    uint32_t bytes;
    int32_t first;
    int32_t last;
    int32_t holds_input;     /* a model input: never written over in place */
    int32_t group;           /* buffers written in place over each other share an offset;
                                group = index of the first buffer of the chain */
} nnom_buffer;

/* What the planner knows of one layer while it plans (core/planner.c). */
typedef struct nnom_layer_plan {
    uint32_t out_bytes;
    uint32_t scratch_bytes;  /* the scratch planned for the layer (its least, or the fast size in a tiled plan) */
    int32_t buffer;          /* index of the buffer holding the output */
    int32_t scratch_buffer;  /* index of the scratch buffer, -1 if none */
    int32_t last_use;        /* index of the last layer reading the output */
} nnom_layer_plan;

/* The most layers in a tiled stage (paddings included): bounds the search, the work per tile, the stack
 * of a tiled run (core/tiling.c) and the buffers a tiled plan adds (one per band keeping rows). */
#define NNOM_TILE_MAX_STAGE 10

/* The planner's memory, one block that exists only while a model is planned (nnom_plan_begin() to
 * nnom_plan_end()): a pool allocator takes it back whole. The model keeps only each layer's offsets. */
typedef struct nnom_plan_data {
    nnom_layer_plan *layers; /* one per layer */
    nnom_buffer *buffers;    /* the plan */
    int32_t n_buffers;
    int32_t cap_buffers;
    void *work;              /* nnom_plan_place()'s work area for cap_buffers buffers */
    int over_limit;          /* the last failure was a plan past nnom_options.max_arena_bytes (or 4 GiB),
                                not an allocation */
    uint64_t place_below;    /* > 0: nnom_plan() places the buffers only if their lower bound is below this
                                (a tiling candidate that cannot beat the best so far is not placed) */
    int bound_only;          /* the last nnom_plan() stopped at the lower bound (arena_size: that bound) */
    uint32_t bands[NNOM_TILE_MAX_STAGE], kept_bands[NNOM_TILE_MAX_STAGE]; /* the tiled stage's
                                (nnom_tiling_bands), here rather than on the stack of a device */
    char message[NNOM_MODEL_ERROR_BYTES]; /* a failure's message while planning, when the model has no
                                             buffer yet (nnom_plan_end() moves it to one): a plan the tiler
                                             tries and drops does not leave a block behind in a pool */
} nnom_plan_data;

/* Plans stay below 4 GiB: offsets are 32-bit, and UINT32_MAX marks a buffer not placed yet. */
#define NNOM_PLAN_LIMIT 0xFFFFFFFCu


/* The tiled stage of a plan (core/tiling.c): layers first..cut run tile by tile, `rows` output rows
 * of the cut per tile, the first tile `shift` rows fewer (tile k: cut rows [k rows - shift, (k + 1) rows -
 * shift)); first = -1: none. */
typedef struct nnom_tiling {
    int32_t first, cut, rows;
    int32_t shift;               /* 0..rows; rows: the first tile computes no row of the cut, only rows the
                                    bands keep for the next (a warm-up) */
    int32_t max_extra_percent;   /* nnom_options.tiling_max_extra_macs_percent, 0 read as the default */
    uint64_t extra_macs;         /* MACs the halos add per run */
    uint32_t untiled_arena;      /* the arena planned without tiling */
    uint32_t carry;              /* bit j - first: layer j's band keeps the rows neighbouring tiles share, they are
                                    not computed again (here: no padding added to the model's bookkeeping) */
    uint32_t park;               /* the band of carry whose kept rows wait between tiles in the cut's output rows
                                    not written yet (the park, at its end) rather than in the arena: the first bit
                                    of park & carry (nnom_tiling_parked()) */
    int32_t park_row;            /* the first cut row the park reaches (nnom_tiling_park_row()): a tile whose cut
                                    rows reach it has no parked rows from the previous tile (it computes them) */
} nnom_tiling;

struct nnom_model {
    nnom_allocator allocator;
    nnom_timer_fn timer;
    void *timer_ctx;
    nnom_log_fn log;
    void *log_ctx;
    const struct nnom_op_registry *registry; /* user operators of CUSTOM layers (nnom_options.op_registry) */

    nnom_layer *layers;
    int32_t n_layers;
    int32_t cap_layers;

    nnom_plan_data *plan;    /* while planning only */
    int32_t plan_goal;       /* nnom_options.plan_goal (core/plan_tuned.c) */
    uint32_t plain_arena;    /* the arena with no window in place and no tiling (the fastest plan) */
    uint32_t arena_size;
    uint32_t lower_bound;    /* the most bytes alive at any step of the plan: no placement is smaller */
    uint32_t max_arena;      /* largest arena (and state block) a plan may take: nnom_options.max_arena_bytes,
                                at most NNOM_PLAN_LIMIT */
    nnom_tiling tiling;      /* the tiled stage of the plan (core/tiling.c) */
    uint8_t *arena;

    uint8_t *state;          /* persistent state of recurrent layers: allocated at compile, never in the arena */
    uint32_t *state_offset;  /* per layer, where its state starts (layers with NNOM_LAYER_HAS_STATE); NULL: no state */
    uint32_t state_size;

    uint32_t runs;           /* inferences since the last nnom_model_reset_stats() */
    uint64_t *layer_time;    /* per layer, the time its runs took: only with a timer hook (allocated at compile) */

    float *internals;        /* observing float32 models: (min, max) pairs of all observing layers */
    int32_t *internal_at;    /* per layer, the index of its first pair, -1 if none; NULL when not observing */
    int32_t n_internals;     /* number of pairs */

    const struct nnom_user_op **user_ops; /* per layer, CUSTOM layers' operators (found at compile); NULL: none */

    char *error;             /* the last failure's message: allocated at the first failure (NNOM_MODEL_ERROR_BYTES) */
    uint8_t status;          /* the last failure's status (its name is the message when none could be allocated) */
    uint8_t dtype;           /* nnom_dtype */
    uint8_t kernels;         /* nnom_kernels the plan's scratch sizes are for: the build's kernels */
    uint8_t compiled;
    uint8_t keep_all;        /* every output lives to the end: no sharing */
    uint8_t allow_nonfinite; /* nnom_model_set_input_f32 takes NaN and infinities (0: refuses them) */
    uint8_t window_in_place; /* convolutions with a window may run in place (core/plan_tuned.c decides) */
    uint8_t arena_owned;
    uint8_t observe;         /* float32 runs record the ranges of layers' internal values */
};

/* The model's message buffer for a failure with @p status (allocated at the first one); NULL when
 * it cannot be allocated (nnom_model_last_error() then gives the status's name). */
char *nnom_model_message(nnom_model *m, nnom_status status);

/* Forgets the last failure (its message becomes ""). */
void nnom_model_clear_error(nnom_model *m);

/* The layer id of the @p index-th INPUT (@p input 1) or OUTPUT (0) layer, -1 if none. */
int32_t nnom_model_io_layer(const nnom_model *m, int input, int32_t index);

/* Allocation through the model's allocator. */
void *nnom_alloc(nnom_model *m, size_t bytes);
void nnom_free(nnom_model *m, void *p);

/* Formats into a buffer: %s %d %u %ld %lu %x %c %% only (no libc printf needed). */
void nnom_format(char *buf, size_t cap, const char *fmt, ...);

/* Fills a caller's nnom_error (if not NULL) with a status and message. */
void nnom_error_copy(nnom_error *err, nnom_status status, const char *message);

#if defined(NNOM_TERSE_ERRORS) && NNOM_TERSE_ERRORS
/* Terse builds: messages become the status name (see nnom_fail in core/layer.h). */
void nnom_error_copy_terse(nnom_error *err, nnom_status status);
#define nnom_format(buf, cap, ...) \
    ((void)sizeof(nnom_fail_arguments(__VA_ARGS__)), (cap) ? (void)((buf)[0] = '\0') : (void)0)
#define nnom_error_copy(err, status, message) ((void)sizeof(message), nnom_error_copy_terse((err), (status)))
#endif

/* Fills @p ctx for layer @p l of @p m: the model, its dtype and kernels (m->kernels), and l's
 * inputs (their shapes must be known). */
void nnom_infer_ctx_init(nnom_infer_ctx *ctx, nnom_model *m, const nnom_layer *l);

/* MACs of layer @p i per run: its ops' count (0 without one); its and its inputs' shapes must be known. */
uint64_t nnom_layer_macs(const nnom_model *m, int32_t i);

/* Appends a layer without the builder's checks of type, input count and
 * input ids (the loader has made them): checks the name (NULL or "":
 * generated), takes the description, and for an INPUT layer @p shape.
 * @p record NULL: the layer owns a copy of d (its def and blob table).
 * Otherwise the layer reads everything from @p record where it is (a loaded
 * model's file, which outlives it), its blobs at @p blob_base plus the
 * record's offsets; d must describe the same layer (d->name the record's,
 * d->blobs resolved: they are copied when the record's name is empty). */
nnom_status nnom_model_append(nnom_model *m, const nnom_layer_desc *d, const nnom_shape *shape,
                              const nnom_layer_def *record, const uint8_t *blob_base, int32_t *id);

/* Makes room for @p n layers at once (the loader knows the count). */
nnom_status nnom_model_reserve(nnom_model *m, int32_t n);

/* Plans the arena for a model whose layers are inferred, inside nnom_plan_begin()/end(): fills
 * m->plan (buffers, each layer's buffer/scratch_buffer/last_use), each layer's in_place, and
 * arena_size. Works in 64-bit arithmetic and refuses (NNOM_ERR_NO_MEMORY) a plan larger than
 * m->max_arena. */
nnom_status nnom_plan(nnom_model *m);

/* Allocates the planner's memory (m->plan) for the model's layers, as one block. */
nnom_status nnom_plan_begin(nnom_model *m);
/* Frees it. */
void nnom_plan_end(nnom_model *m);

/* The model's plan (core/plan_tuned.c): each layer's least scratch for m->kernels, then
 * nnom_plan() with convolutions with a window in place and without (their in-place run costs
 * time: kept only when it makes the arena smaller), then scratch beyond the least where the
 * arena has room (nnom_layer_ops.scratch_fast_bytes: the arena does not grow). With @p commit,
 * each layer keeps its offsets (out_offset, scratch_offset, scratch_bytes, NNOM_LAYER_KEPT).
 * The planner's memory exists during the call only. */
nnom_status nnom_plan_tuned(nnom_model *m, int commit);

/* Plans a compiled model again as compiling did and keeps the planner's memory (m->plan: the buffers
 * behind each layer's offsets) for inspection, until nnom_plan_end() (tests). */
nnom_status nnom_plan_keep(nnom_model *m);

/* Plans a compiled model again with the tiling given (stage @p first..@p cut, @p rows cut rows per tile, the
 * first @p shift fewer, the bands of @p carry keeping their halos, those of @p park in the park) rather than
 * the one compiling chose, and
 * keeps its offsets; NNOM_ERR_ARGUMENT if that is no tiling (tests: every tiling the choice may take must run
 * as the untiled model does). The arena must then be given again, of the new nnom_model_arena_size(). On
 * failure the model is left untiled (its offsets unchanged: compile it again). */
nnom_status nnom_plan_tiling(nnom_model *m, int32_t first, int32_t cut, int32_t rows, int32_t shift, uint32_t carry,
                             uint32_t park);

/* The plan data of layer @p l while planning (m->plan). */
static inline nnom_layer_plan *nnom_plan_of(const nnom_model *m, const nnom_layer *l)
{
    return &m->plan->layers[l - m->layers];
}

/* The scratch bytes the plan of a compiled model planned for layer @p i (the least its kernels
 * need, the fast size in a tiled plan); 0 without scratch. */
uint32_t nnom_planned_scratch(nnom_model *m, int32_t i);

/* nnom_plan() after setting each layer's least scratch for m->kernels (core/plan_tuned.c). */
nnom_status nnom_plan_once(nnom_model *m);

/* After an untiled plan: plans again (nnom_plan_once) with the tiling of core/tiling.c that makes the
 * arena the smallest within the model's MAC budget, if one makes it smaller; fills m->tiling.
 * @p carry_only: among the tilings that keep the rows tiles share only (no MAC added). */
nnom_status nnom_tiling_plan(nnom_model *m, int carry_only);

/* Bytes of the band that holds stage layer @p layer's output rows of one tile (the most any tile needs);
 * 0 when the layer has no band of its own: a zero padding folded into its reader, an element-wise
 * layer in place in its input's band, or a layer writing into the cut's output. *@p kept_bytes (when
 * not NULL): the most bytes at the band's start kept from one tile to the next (carrying), alive
 * through the whole stage while the rest of the band lives from its writer to its last reader. */
uint32_t nnom_tiling_band_bytes(const nnom_model *m, int32_t layer, uint32_t *kept_bytes);

/* nnom_tiling_band_bytes() of every layer of the stage m->tiling.first..cut at once (one walk of the tiles):
 * @p band_bytes[j - first] and @p kept_bytes[j - first], NNOM_TILE_MAX_STAGE entries each. */
void nnom_tiling_bands(const nnom_model *m, uint32_t *band_bytes, uint32_t *kept_bytes);

/* Whether stage layer @p layer (before the cut) writes its rows into the cut's output, which the cut
 * then computes in place. */
int nnom_tiling_writes_cut(const nnom_model *m, int32_t layer);

/* What a tiling adds per run: MACs, and estimated cost in MAC-equivalents (core/tiling.c). */
typedef struct nnom_tile_extra {
    uint64_t macs, cost;
} nnom_tile_extra;

/* Whether layers @p first..@p cut form a stage that may run tile by tile (core/tiling.c). */
int nnom_tiling_is_stage(const nnom_model *m, int32_t first, int32_t cut);

/* The layers of stage @p first..@p cut with a band of their own (bit layer - first). */
uint32_t nnom_tiling_stage_bands(const nnom_model *m, int32_t first, int32_t cut);

/* The tiles of a tiling whose cut is @p cut, @p rows of its output rows per tile, the first @p shift fewer. */
int32_t nnom_tiling_tiles(const nnom_model *m, int32_t cut, int32_t rows, int32_t shift);

/* Walks the tiles of tiling @p t (stage first..cut in bands of rows rows of the cut, the first shift fewer,
 * 0 <= shift <= rows, the bands of carry keeping their halos, those of park in the park up to park_row):
 * what it adds in @p extra (when not NULL), per stage layer the most bytes of one tile's rows in @p band and
 * the most kept in the arena from one tile to the next in @p kept (0 for a parked band; when not NULL,
 * NNOM_TILE_MAX_STAGE entries). Returns 0 if a tile is made of padding only. */
int nnom_tiling_cost(const nnom_model *m, const nnom_tiling *t, nnom_tile_extra *extra, uint64_t *band, uint64_t *kept);

/* The band of tiling @p t that parks its kept rows (a bit, or 0): the first of t->park & t->carry. */
uint32_t nnom_tiling_parked(const nnom_tiling *t);

/* The park_row of tiling @p t: the first row of the cut's output the park may take (the most bytes its parked
 * bands keep at once, at the output's end); the cut's rows when nothing parks, 0 when the park does not fit. */
int32_t nnom_tiling_park_row(const nnom_model *m, const nnom_tiling *t);

/* The model's estimated cost of a run in MAC-equivalents (the tiling's budget is a share of it), its
 * MACs in *@p macs. */
uint64_t nnom_tiling_model_cost(const nnom_model *m, uint64_t *macs);

/* Runs the tiled stage: layers m->tiling.first..cut, tile by tile. */
void nnom_tiling_run(nnom_model *m);

/* Runs layer @p i once: its kernel on its buffers, each in[k] advanced by @p in_offsets[k] bytes (NULL:
 * none) and out by @p out_offset, with @p rows for a tiled call (NULL: whole). Counts no run (the caller
 * does). */
void nnom_run_layer(nnom_model *m, int32_t i, const nnom_rows *rows, const size_t *in_offsets, size_t out_offset);

/* Work area of nnom_plan_place() for @p n buffers (8-byte aligned). */
size_t nnom_plan_work_bytes(int32_t n);

/* Places @p n buffers whose bytes, lifetime (first..last) and group are set:
 * every member of a group at one offset, 4-byte aligned, no two buffers of
 * different groups alive at the same step overlapping. Tries several orders
 * and fits and keeps the smallest plan. Returns its arena (the highest end)
 * and stores the offsets when that is at most @p limit; otherwise stores
 * none and *@p top is the buffer ending highest. *@p lower receives the
 * lower bound: the most bytes alive at one step (a group counted once). */
uint64_t nnom_plan_place(nnom_buffer *buffers, int32_t n, uint64_t limit, void *work, uint64_t *lower,
                         int32_t *top);

/* "123 bytes" (or "more than N MiB" where unsigned long has 32 bits and cannot hold
 * @p bytes), for messages; no 64-bit division, which firmware would pull from libgcc. */
void nnom_bytes_text(uint64_t bytes, char *buf, size_t cap);
#if defined(NNOM_TERSE_ERRORS) && NNOM_TERSE_ERRORS
#define nnom_bytes_text(bytes, buf, cap) ((void)(bytes), (void)(buf), (void)(cap))
#endif

#endif
