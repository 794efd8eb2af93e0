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
} nnom_options;

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
 *  Free is a no-op; the pool is reused only after nnom_pool_reset(). */
typedef struct nnom_pool {
    nnom_allocator allocator; /**< pass &pool.allocator in nnom_options */
    uint8_t *base;            /**< the caller's buffer */
    size_t size;              /**< its bytes */
    size_t used;              /**< bytes handed out since init or the last reset */
} nnom_pool;

/** Prepares @p pool to hand out memory from @p buffer (@p size bytes). */
NNOM_API void nnom_pool_init(nnom_pool *pool, void *buffer, size_t size);
/** Forgets every allocation made from @p pool. */
NNOM_API void nnom_pool_reset(nnom_pool *pool);

#ifdef __cplusplus
}
#endif
#endif /* NNOM_PORT_H */
