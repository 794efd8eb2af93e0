/*
 * Shared by the libFuzzer harnesses in Tests/fuzz (see docs/fuzzing.md).
 *
 * An allocator hook that counts allocations, can fail the Nth one (to reach
 * every error path that follows an allocation failure) and refuses single
 * requests above a bound, so that a fuzzed size asking for gigabytes is an
 * NNOM_ERR_NO_MEMORY the caller must handle, not an out-of-memory abort of
 * the fuzzer.
 */
#ifndef NNOM_FUZZ_COMMON_H
#define NNOM_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nnom/nnom.h"

/* Largest single allocation the fuzz allocator grants. */
#define FUZZ_MAX_ALLOCATION ((size_t)64 << 20)

typedef struct fuzz_allocator {
    nnom_allocator hook;
    uint32_t count;    /* allocations asked for so far */
    uint32_t fail_at;  /* 1-based index of the allocation to refuse; 0: none */
    uint32_t failed;   /* 1 once the injected failure happened */
} fuzz_allocator;

static inline void *fuzz_alloc(void *ctx, size_t bytes)
{
    fuzz_allocator *a = (fuzz_allocator *)ctx;
    a->count++;
    if (a->fail_at != 0 && a->count == a->fail_at) {
        a->failed = 1;
        return NULL;
    }
    if (bytes > FUZZ_MAX_ALLOCATION) return NULL;
    /* exact size, so that AddressSanitizer sees a read one past the end */
    return malloc(bytes ? bytes : 1);
}

static inline void fuzz_free(void *ctx, void *ptr)
{
    (void)ctx;
    free(ptr);
}

static inline void fuzz_allocator_init(fuzz_allocator *a, uint32_t fail_at)
{
    a->hook.alloc = fuzz_alloc;
    a->hook.free = fuzz_free;
    a->hook.ctx = a;
    a->count = 0;
    a->fail_at = fail_at;
    a->failed = 0;
}

/* A broken invariant the library must keep: print it and abort, so the fuzzer records the input. */
#define FUZZ_ASSERT(cond, ...)                                                   \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "fuzz invariant broken at %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
            abort();                                                             \
        }                                                                        \
    } while (0)

/* Every failure must carry a message saying what was wrong. */
#define FUZZ_ASSERT_MESSAGE(status, text) \
    FUZZ_ASSERT((status) == NNOM_OK || ((text) && (text)[0]), "status %s with an empty message", nnom_status_name(status))

#endif /* NNOM_FUZZ_COMMON_H */
