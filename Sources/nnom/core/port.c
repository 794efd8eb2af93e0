/* Default allocator and the static pool allocator (see include/nnom/port.h). */
#include "nnom/port.h"

#ifndef NNOM_NO_MALLOC
#include <stdlib.h>
static void *heap_alloc(void *ctx, size_t bytes)
{
    (void)ctx;
    return malloc(bytes ? bytes : 1);
}
static void heap_free(void *ctx, void *ptr)
{
    (void)ctx;
    free(ptr);
}
static const nnom_allocator default_allocator = {heap_alloc, heap_free, NULL};
#else
static void *no_alloc(void *ctx, size_t bytes)
{
    (void)ctx;
    (void)bytes;
    return NULL;
}
static const nnom_allocator default_allocator = {no_alloc, NULL, NULL};
#endif

const nnom_allocator *nnom_default_allocator(void) { return &default_allocator; }

/* The pool's count, kept at the start of the caller's buffer (8-aligned) so that
 * the nnom_pool struct carries no pointer to itself and survives being copied. */
typedef struct pool_state {
    size_t size;       /* bytes after this header */
    size_t used;
    size_t last;       /* start of the last block handed out, NO_LAST after it was freed */
    size_t before;     /* `used` before that block */
} pool_state;

#define NO_LAST ((size_t)-1)

/* First 8-aligned byte of a pool's memory after its header. */
static uint8_t *pool_memory(pool_state *s) { return (uint8_t *)s + ((sizeof *s + 7u) & ~(size_t)7u); }

static void *pool_alloc(void *ctx, size_t bytes)
{
    pool_state *s = (pool_state *)ctx;
    if (!s) return NULL;
    size_t start = (s->used + 7u) & ~(size_t)7u;
    if (start < s->used || start > s->size || bytes > s->size - start) return NULL;
    s->before = s->used;
    s->last = start;
    s->used = start + bytes;
    return pool_memory(s) + start;
}

/* Freeing the last block handed out gives its bytes back (the planner's work area, freed at the
 * end of compile, then costs nothing); any other free is a no-op. */
static void pool_free(void *ctx, void *ptr)
{
    pool_state *s = (pool_state *)ctx;
    if (!s || !ptr || s->last == NO_LAST || (uint8_t *)ptr != pool_memory(s) + s->last) return;
    s->used = s->before;
    s->last = NO_LAST;
}

void nnom_pool_init(nnom_pool *pool, void *buffer, size_t size)
{
    if (!pool) return;
    pool->allocator.alloc = pool_alloc;
    pool->allocator.free = pool_free;
    pool->allocator.ctx = NULL;
    if (!buffer) return;
    /* align the header to 8 so every block handed out is 8-aligned */
    const uintptr_t addr = (uintptr_t)buffer;
    const size_t skip = (size_t)((8u - (addr & 7u)) & 7u);
    const size_t header = (sizeof(pool_state) + 7u) & ~(size_t)7u;
    if (size < skip || size - skip < header) return; /* too small: every allocation fails */
    pool_state *s = (pool_state *)(void *)((uint8_t *)buffer + skip);
    s->size = size - skip - header;
    s->used = 0;
    s->last = NO_LAST;
    pool->allocator.ctx = s;
}

void nnom_pool_reset(nnom_pool *pool)
{
    if (!pool || !pool->allocator.ctx) return;
    ((pool_state *)pool->allocator.ctx)->used = 0;
    ((pool_state *)pool->allocator.ctx)->last = NO_LAST;
}

size_t nnom_pool_used(const nnom_pool *pool)
{
    return pool && pool->allocator.ctx ? ((const pool_state *)pool->allocator.ctx)->used : 0;
}
