/**
 * @file port.h
 * @brief Porting hooks: where memory comes from, how time is read, where logs go.
 *
 * The runtime never calls the C library's allocator, clock or printf by
 * itself. A model created without options uses ::nnom_default_allocator
 * (malloc/free, unless NNOM_NO_MALLOC is defined, in which case every
 * allocation fails and the caller must provide an allocator and an arena).
 * See docs/porting.md.
 */
#ifndef NNOM_PORT_H
#define NNOM_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "nnom/api.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Allocation hook. Called only while a model is created, loaded, compiled
 *  or given an arena, never during nnom_model_run(). */
typedef struct nnom_allocator {
    void *(*alloc)(void *ctx, size_t bytes); /**< returns memory aligned to 8 bytes, or NULL */
    void (*free)(void *ctx, void *ptr);      /**< may be NULL for bump allocators */
    void *ctx;                               /**< passed to alloc and free as they are */
} nnom_allocator;

/** Monotonic clock in microseconds, used for per-layer timing. */
typedef uint32_t (*nnom_timer_fn)(void *ctx);

/** Log hook: receives diagnostic lines (one call per line, no newline). */
typedef void (*nnom_log_fn)(void *ctx, const char *line);

/**
 * The largest arena a model may plan when nnom_options.max_arena_bytes is 0,
 * fixed when the runtime is built (-DNNOM_DEFAULT_MAX_ARENA_BYTES=...):
 * 1 GiB where size_t has 64 bits (a PC: a hostile file cannot make a process
 * allocate and touch gigabytes), the whole address space where it has 32 (a
 * device, whose real limit is the memory the caller gives).
 */
#ifndef NNOM_DEFAULT_MAX_ARENA_BYTES
#if SIZE_MAX > 0xFFFFFFFFu
#define NNOM_DEFAULT_MAX_ARENA_BYTES ((size_t)1 << 30)
#else
#define NNOM_DEFAULT_MAX_ARENA_BYTES SIZE_MAX
#endif
#endif

struct nnom_op_registry; /* nnom/user_op.h */

/** Options for creating or loading a model: initialise with nnom_options_init() or
 *  NNOM_OPTIONS_INIT, then set what you need. */
typedef struct nnom_options {
    uint32_t struct_size;            /**< sizeof(nnom_options) as the caller was compiled; set by the init */
    const nnom_allocator *allocator; /**< NULL: nnom_default_allocator() */
    nnom_timer_fn timer;             /**< NULL: no per-layer time */
    void *timer_ctx;                 /**< passed to timer */
    nnom_log_fn log;                 /**< NULL: silent */
    void *log_ctx;                   /**< passed to log */
    int keep_all_outputs;            /**< nnom_model_load(): compile with nnom_model_keep_all_outputs() */
    /** Largest arena, and largest block of recurrent state, a compiled plan may need; a model
     *  needing more is refused at compile (and so at load) with NNOM_ERR_NO_MEMORY, before
     *  anything of that size is allocated. 0: NNOM_DEFAULT_MAX_ARENA_BYTES. Plans never exceed
     *  4 GiB - 4 bytes whatever the value (arena offsets are 32-bit). */
    size_t max_arena_bytes;
    /** User operators the model's CUSTOM layers may name (nnom/user_op.h); NULL: none. The registry
     *  and its operators must outlive the model. */
    const struct nnom_op_registry *op_registry;
    /** Tiled execution of the memory peak (see nnom_model_tiling()): the most multiply-accumulates
     *  a tiling may add, in percent of the model's MACs; the same percentage also bounds the
     *  tiling's estimated added cost (MACs plus a fixed cost per output value and per layer call,
     *  in MAC-equivalents, against the model's whole estimated cost), since bands of few rows cost
     *  more than their MACs. 0: NNOM_TILING_DEFAULT_PERCENT; NNOM_TILING_OFF: never tile. */
    int32_t tiling_max_extra_macs_percent;
    /** What the memory plan is for (nnom_model_plan() tells what it chose): NNOM_PLAN_SMALLEST (0) or
     *  NNOM_PLAN_FASTEST. */
    int32_t plan_goal;
} nnom_options;

/** nnom_options.plan_goal: the smallest arena (the default). Convolutions with a window run in place
 *  when that makes the arena smaller, and the memory peak is tiled when that makes it smaller
 *  (tiling_max_extra_macs_percent); both cost time. */
#define NNOM_PLAN_SMALLEST 0
/** nnom_options.plan_goal: the fastest plan whose arena fits max_arena_bytes. The first that fits of:
 *  neither convolutions in place nor tiling; convolutions with a window in place; tiling that keeps
 *  the rows neighbouring tiles share (no MAC added); tiling, halos kept or computed again (within
 *  tiling_max_extra_macs_percent), the smaller; both (the smallest plan). None fits: NNOM_ERR_NO_MEMORY, naming
 *  the smallest plan's arena and the limit. */
#define NNOM_PLAN_FASTEST 1

/** nnom_options.tiling_max_extra_macs_percent when 0: at most 15 % more MACs (and estimated cost). */
#define NNOM_TILING_DEFAULT_PERCENT 15
/** nnom_options.tiling_max_extra_macs_percent: compile without tiling. */
#define NNOM_TILING_OFF (-1)

/** Initialiser of a nnom_options: every option off, struct_size set. */
#define NNOM_OPTIONS_INIT { .struct_size = (uint32_t)sizeof(nnom_options) }

/** Sets every option of @p o off and its struct_size (what NNOM_OPTIONS_INIT does). */
static inline void nnom_options_init(nnom_options *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = (uint32_t)sizeof *o;
}

/** The allocator used when none is given: malloc/free, or one that always fails
 *  when the runtime is built with NNOM_NO_MALLOC. */
NNOM_API const nnom_allocator *nnom_default_allocator(void);

/** A bump allocator over a caller's static buffer, for firmware without malloc.
 *  Freeing the block handed out last gives its bytes back (compile frees its work
 *  area that way); any other free is a no-op, and the pool is reused only after
 *  nnom_pool_reset(). The pool's
 *  bookkeeping (16 or 32 bytes) lives at the start of the buffer, not in this struct,
 *  which holds no pointer to itself: a copy of it (or of its allocator) hands
 *  out memory from the same buffer, never the same bytes twice. */
typedef struct nnom_pool {
    nnom_allocator allocator; /**< pass &pool.allocator in nnom_options */
} nnom_pool;

/** Prepares @p pool to hand out memory from @p buffer (@p size bytes, of which
 *  the first 16 or 32, from the first 8-aligned address, keep the count). A
 *  buffer too small for the count gives a pool whose every allocation fails. */
NNOM_API void nnom_pool_init(nnom_pool *pool, void *buffer, size_t size);
/** Forgets every allocation made from @p pool (or any copy of it). */
NNOM_API void nnom_pool_reset(nnom_pool *pool);
/** Bytes handed out by @p pool since nnom_pool_init() or nnom_pool_reset(),
 *  alignment padding included (0 for NULL). */
NNOM_API size_t nnom_pool_used(const nnom_pool *pool);

#ifdef __cplusplus
}
#endif
#endif /* NNOM_PORT_H */
