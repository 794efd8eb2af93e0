/* Internal: the model handle and the arena plan. */
#ifndef NNOM_CORE_MODEL_INTERNAL_H
#define NNOM_CORE_MODEL_INTERNAL_H

#include "core/layer.h"

/* A region of the arena: lives from layer `first` to layer `last` (inclusive). */
typedef struct nnom_buffer {
    uint32_t offset;
    uint32_t bytes;
    int32_t first;
    int32_t last;
    int32_t holds_input;     /* a model input: never written over in place */
    int32_t group;           /* buffers written in place over each other share an offset;
                                group = index of the first buffer of the chain */
} nnom_buffer;

/* Plans stay below 4 GiB: offsets are 32-bit, and UINT32_MAX marks a buffer not placed yet. */
#define NNOM_PLAN_LIMIT 0xFFFFFFFCu

/* The model's message buffer: terse messages are a status name and a note. */
#if defined(NNOM_TERSE_ERRORS) && NNOM_TERSE_ERRORS
#define NNOM_MODEL_ERROR_BYTES 48
#else
#define NNOM_MODEL_ERROR_BYTES NNOM_MODEL_MESSAGE_MAX
#endif

/* The tiled stage of a plan (core/tiling.c): layers first..cut run tile by tile, `rows` output rows
 * of the cut per tile; first = -1: none. */
typedef struct nnom_tiling {
    int32_t first, cut, rows;
    int32_t max_extra_percent;   /* nnom_options.tiling_max_extra_macs_percent, 0 read as the default */
    uint64_t extra_macs;         /* MACs the halos add per run */
    uint32_t untiled_arena;      /* the arena planned without tiling */
} nnom_tiling;

struct nnom_model {
    nnom_dtype dtype;
    nnom_allocator allocator;
    nnom_timer_fn timer;
    void *timer_ctx;
    nnom_log_fn log;
    void *log_ctx;
    const struct nnom_op_registry *registry; /* user operators of CUSTOM layers (nnom_options.op_registry) */

    nnom_layer *layers;
    int32_t n_layers;
    int32_t cap_layers;
    int32_t n_inputs;
    int32_t n_outputs;
    int32_t *input_ids;      /* layer ids of INPUT layers, in order */
    int32_t *output_ids;     /* layer ids of OUTPUT layers, in order */

    nnom_kernels kernels;    /* what the plan's scratch sizes are for: the build's kernels */
    int compiled;
    int keep_all;            /* every output lives to the end: no sharing */
    int allow_nonfinite;     /* nnom_model_set_input_f32 takes NaN and infinities (0: refuses them) */
    nnom_buffer *buffers;    /* the plan */
    int32_t n_buffers;
    int32_t cap_buffers;     /* buffers allocated */
    int window_in_place;     /* convolutions with a window may run in place (core/plan_tuned.c decides) */
    int32_t plan_goal;       /* nnom_options.plan_goal (core/plan_tuned.c) */
    uint32_t plain_arena;    /* the arena with no window in place and no tiling (the fastest plan) */
    uint32_t arena_size;
    uint32_t lower_bound;    /* the most bytes alive at any step of the plan: no placement is smaller */
    uint32_t max_arena;      /* largest arena (and state block) a plan may take: nnom_options.max_arena_bytes,
                                at most NNOM_PLAN_LIMIT */

    nnom_tiling tiling;      /* the tiled stage of the plan (core/tiling.c) */

    uint8_t *arena;
    int arena_owned;

    uint8_t *state;          /* persistent state of recurrent layers: allocated at compile, never in the arena */
    uint32_t state_size;

    uint32_t runs;           /* inferences since the last nnom_model_reset_stats() */
    uint64_t *layer_time;    /* per layer, the time its runs took: only with a timer hook (allocated at compile) */

    int observe;             /* float32 runs record the ranges of layers' internal values */
    float *internals;        /* (min, max) pairs of all observing layers, allocated at compile */
    int32_t n_internals;     /* number of pairs */

    char error[NNOM_MODEL_ERROR_BYTES];
};

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
 * @p in_place NULL: d->params and d->name are copied into memory the layer
 * owns. Otherwise the layer reads its parameters from @p in_place and its
 * name from d->name where they are (a loaded model's file, which outlives it). */
nnom_status nnom_model_append(nnom_model *m, const nnom_layer_desc *d, const nnom_shape *shape,
                              const nnom_layer_params *in_place, int32_t *id);

/* Makes room for @p n layers at once (the loader knows the count). */
nnom_status nnom_model_reserve(nnom_model *m, int32_t n);

/* Plans the arena for a model whose layers are inferred: fills buffers,
 * each layer's buffer/scratch_buffer/in_place, and arena_size. Works in 64-bit
 * arithmetic and refuses (NNOM_ERR_NO_MEMORY) a plan larger than m->max_arena. */
nnom_status nnom_plan(nnom_model *m);

/* The model's plan (core/plan_tuned.c): each layer's least scratch for m->kernels, then
 * nnom_plan() with convolutions with a window in place and without (their in-place run costs
 * time: kept only when it makes the arena smaller), then scratch beyond the least where the
 * arena has room (nnom_layer_ops.scratch_fast_bytes: the arena does not grow). */
nnom_status nnom_plan_tuned(nnom_model *m);

/* nnom_plan() after setting each layer's least scratch for m->kernels (core/plan_tuned.c). */
nnom_status nnom_plan_once(nnom_model *m);

/* After an untiled plan: plans again (nnom_plan_once) with the tiling of core/tiling.c that makes the
 * arena the smallest within the model's MAC budget, if one makes it smaller; fills m->tiling. */
nnom_status nnom_tiling_plan(nnom_model *m);

/* Bytes of the band that holds stage layer @p layer's output rows of one tile (the most any tile needs);
 * 0 when the layer has no band of its own: a zero padding folded into its reader, an element-wise
 * layer in place in its input's band, or a layer writing into the cut's output. */
uint32_t nnom_tiling_band_bytes(const nnom_model *m, int32_t layer);

/* Whether stage layer @p layer (before the cut) writes its rows into the cut's output, which the cut
 * then computes in place. */
int nnom_tiling_writes_cut(const nnom_model *m, int32_t layer);

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
