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

static void *pool_alloc(void *ctx, size_t bytes)
{
    nnom_pool *pool = (nnom_pool *)ctx;
    size_t start = (pool->used + 7u) & ~(size_t)7u;
    if (start > pool->size || bytes > pool->size - start) return NULL;
    pool->used = start + bytes;
    return pool->base + start;
}

void nnom_pool_init(nnom_pool *pool, void *buffer, size_t size)
{
    /* align the base to 8 so every block handed out is 8-aligned */
    uintptr_t addr = (uintptr_t)buffer;
    size_t skip = (size_t)((8u - (addr & 7u)) & 7u);
    pool->base = (uint8_t *)buffer + (skip < size ? skip : size);
    pool->size = skip < size ? size - skip : 0;
    pool->used = 0;
    pool->allocator.alloc = pool_alloc;
    pool->allocator.free = NULL;
    pool->allocator.ctx = pool;
}

void nnom_pool_reset(nnom_pool *pool) { pool->used = 0; }
