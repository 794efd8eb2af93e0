/*
 * libFuzzer harness: the NumPy reader (Sources/nnom_tools/io/npy.c), .npy and
 * .npz (zip, through libzip).
 *
 * Input layout (docs/fuzzing.md):
 *
 *   byte 0       control bits: bit 0 = read as .npz, else as .npy
 *   byte 1       .npz: which array to ask for (FUZZ_NPZ_NAMES[byte % count])
 *   byte 2 ...   the file
 *
 * The reader takes a path, so the bytes go to an in-memory file (memfd) read
 * through /proc/self/fd: the code under test is exactly what users call.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "nnom/tools.h"

enum { FUZZ_CTRL_NPZ = 1u << 0 };
enum { FUZZ_NPY_PREFIX = 2 };

/* The names np.savez gives (arr_0) and those the fixtures use. */
static const char *const FUZZ_NPZ_NAMES[] = {"x", "y", "labels", "arr_0"};
#define FUZZ_NPZ_NAME_COUNT (sizeof FUZZ_NPZ_NAMES / sizeof FUZZ_NPZ_NAMES[0])


static int memfd = -1;
static char memfd_path[64];


static void check_array(const nnom_array *a, nnom_status st, const nnom_error *err)
{
    FUZZ_ASSERT(st == NNOM_OK || err->status == st, "returned %s but err holds %s", nnom_status_name(st),
                nnom_status_name(err->status));
    FUZZ_ASSERT_MESSAGE(st, err->message);
    if (st != NNOM_OK) {
        FUZZ_ASSERT(a->data == NULL && a->count == 0, "a failed read left data behind");
        return;
    }
    FUZZ_ASSERT(a->rank >= 0 && a->rank <= 8, "rank %d", (int)a->rank);
    int64_t count = 1;
    for (int32_t k = 0; k < a->rank; k++) {
        FUZZ_ASSERT(a->dims[k] >= 0, "negative dimension");
        count *= a->dims[k];
    }
    FUZZ_ASSERT(count == a->count, "count %lld but the dims give %lld", (long long)a->count, (long long)count);
    FUZZ_ASSERT(a->data != NULL, "no data");
    FUZZ_ASSERT(memchr(a->name, '\0', sizeof a->name) != NULL, "name not terminated");
    volatile float sum = 0.0f;
    for (int64_t i = 0; i < a->count; i++) sum += a->data[i];
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < FUZZ_NPY_PREFIX) return 0;
    if (memfd < 0) {
        memfd = memfd_create("nnom-fuzz-npy", 0);
        FUZZ_ASSERT(memfd >= 0, "memfd_create failed");
        snprintf(memfd_path, sizeof memfd_path, "/proc/self/fd/%d", memfd);
    }
    const int npz = (data[0] & FUZZ_CTRL_NPZ) != 0;
    const char *name = FUZZ_NPZ_NAMES[data[1] % FUZZ_NPZ_NAME_COUNT];
    const uint8_t *file = data + FUZZ_NPY_PREFIX;
    const size_t n = size - FUZZ_NPY_PREFIX;
    FUZZ_ASSERT(ftruncate(memfd, 0) == 0, "ftruncate");
    FUZZ_ASSERT(pwrite(memfd, file, n, 0) == (ssize_t)n, "pwrite");

    nnom_array a;
    nnom_error err;
    memset(&err, 0, sizeof err);
    nnom_status st = npz ? nnom_npz_read(memfd_path, name, &a, &err) : nnom_npy_read(memfd_path, &a, &err);
    check_array(&a, st, &err);
    nnom_array_free(&a);
    return 0;
}
