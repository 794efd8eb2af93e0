/*
 * libFuzzer harness: a .nnom file through nnom_model_load() (header, records,
 * blobs, graph compiler, planner), then an arena, inputs and runs.
 *
 * Input layout (docs/fuzzing.md):
 *
 *   byte 0       control bits (FUZZ_CTRL_*)
 *   byte 1       N: with FUZZ_CTRL_FAIL_ALLOC, the Nth allocation fails (1..256)
 *   byte 2 ...   the .nnom file; the bytes after its file_bytes feed the inputs
 *
 * Without FUZZ_CTRL_FIX_CRC nearly every mutation stops at the checksum, which
 * is what an untrusted file meets first; with it the harness rewrites the
 * CRC-32 so that mutated records reach the compiler and the kernels.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "fuzz_common.h"

enum {
    FUZZ_CTRL_FIX_CRC = 1u << 0,       /* recompute the checksum after mutation */
    FUZZ_CTRL_KEEP_ALL = 1u << 1,      /* load with nnom_options.keep_all_outputs */
    FUZZ_CTRL_FAIL_ALLOC = 1u << 2,    /* fail allocation number byte 1 + 1 */
    FUZZ_CTRL_FIX_SIZE = 1u << 3,      /* with FIX_CRC: file_bytes = the whole remaining input */
    FUZZ_CTRL_RAW_FLOATS = 1u << 4,    /* inputs are raw float32 bit patterns (NaN, inf, huge) */
    FUZZ_CTRL_ROUND_TRIP = 1u << 5     /* save the loaded model, reload it, outputs must be identical */
};

enum { FUZZ_MODEL_PREFIX = 2 };

/* Work bounds: the runtime refuses plans above FUZZ_MAX_ARENA (nnom_options.max_arena_bytes); models
 * with more multiply-accumulates are loaded and compiled but not run. */
#define FUZZ_MAX_ARENA ((size_t)4 << 20)
#define FUZZ_MAX_MACS ((uint64_t)1 << 18)

/*
 * The harness's own CRC-32 for FIX_CRC, byte-wise with a 256-entry table: the
 * runtime's nibble-wise one (small, for flash) already runs once per input in
 * the loader and dominated the time when run twice. Checked against it.
 */
static uint32_t crc_table[256];

static void crc_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        crc_table[i] = c;
    }
    const uint8_t check[] = "123456789";
    uint32_t c = 0xFFFFFFFFu;
    for (int i = 0; i < 9; i++) c = (c >> 8) ^ crc_table[(c ^ check[i]) & 0xFFu];
    FUZZ_ASSERT(~c == 0xCBF43926u && nnom_crc32(0, check, 9) == 0xCBF43926u, "CRC-32 check value");
}

/* CRC-32 of the file's first @p n bytes, the checksum field read as zero (docs/format.md). */
static uint32_t file_crc(const uint8_t *file, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        const uint8_t b = (i >= NNOM_HDR_CHECKSUM && i < NNOM_HDR_CHECKSUM + 4) ? 0 : file[i];
        c = (c >> 8) ^ crc_table[(c ^ b) & 0xFFu];
    }
    return ~c;
}

static uint32_t lcg_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Fills @p dst (@p n bytes) from the trailing input bytes, cycled; a fixed pattern when there are none. */
static void fill_bytes(uint8_t *dst, size_t n, const uint8_t *src, size_t src_n, uint32_t seed)
{
    uint32_t s = seed;
    for (size_t i = 0; i < n; i++) dst[i] = src_n ? src[i % src_n] : (uint8_t)lcg_next(&s);
}

/* The plan keeps every buffer inside the arena it reports. */
static void check_plan(const nnom_model *m)
{
    const uint64_t arena = nnom_model_arena_size(m);
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        FUZZ_ASSERT(nnom_model_layer_info(m, i, &info) == NNOM_OK, "layer_info(%d) failed", (int)i);
        FUZZ_ASSERT((uint64_t)info.arena_offset + info.arena_bytes <= arena,
                    "layer %d output [%u, +%u) outside the %llu-byte arena", (int)i, info.arena_offset,
                    info.arena_bytes, (unsigned long long)arena);
        FUZZ_ASSERT(info.scratch_bytes == 0 || (uint64_t)info.scratch_offset + info.scratch_bytes <= arena,
                    "layer %d scratch [%u, +%u) outside the %llu-byte arena", (int)i, info.scratch_offset,
                    info.scratch_bytes, (unsigned long long)arena);
    }
}

/* Sets every input of @p m from @p src; returns 0 when an input could not be set. */
static int set_inputs(nnom_model *m, const uint8_t *src, size_t src_n, unsigned ctrl)
{
    for (int32_t k = 0; k < nnom_model_input_count(m); k++) {
        nnom_tensor_info info;
        FUZZ_ASSERT(nnom_model_input_info(m, k, &info) == NNOM_OK, "input_info(%d) failed", (int)k);
        const size_t n = (size_t)info.count;
        nnom_status st;
        if (ctrl & FUZZ_CTRL_RAW_FLOATS) {
            float *x = (float *)malloc(n * sizeof *x + 1);
            fill_bytes((uint8_t *)x, n * sizeof *x, src, src_n, (uint32_t)k);
            st = nnom_model_set_input_f32(m, k, x, n);
            free(x);
        } else if (info.dtype == NNOM_DTYPE_S8) {
            int8_t *x = (int8_t *)malloc(n + 1);
            fill_bytes((uint8_t *)x, n, src, src_n, (uint32_t)k);
            st = nnom_model_set_input_s8(m, k, x, n);
            free(x);
        } else {
            /* small, ordinary values: int8 steps of 1/16 */
            uint8_t *b = (uint8_t *)malloc(n + 1);
            float *x = (float *)malloc(n * sizeof *x + 1);
            fill_bytes(b, n, src, src_n, (uint32_t)k);
            for (size_t i = 0; i < n; i++) x[i] = (float)(int8_t)b[i] / 16.0f;
            st = nnom_model_set_input_f32(m, k, x, n);
            free(b);
            free(x);
        }
        if (st != NNOM_OK) return 0;
    }
    return 1;
}

/* Reads every output (and, when kept, every layer's output and state) so AddressSanitizer checks them. */
static float read_results(nnom_model *m)
{
    float sum = 0.0f;
    for (int32_t k = 0; k < nnom_model_output_count(m); k++) {
        nnom_tensor_info info;
        FUZZ_ASSERT(nnom_model_output_info(m, k, &info) == NNOM_OK, "output_info(%d) failed", (int)k);
        float *y = (float *)malloc((size_t)info.count * sizeof *y + 1);
        FUZZ_ASSERT(nnom_model_get_output_f32(m, k, y, (size_t)info.count) == NNOM_OK, "get_output_f32(%d): %s",
                    (int)k, nnom_model_last_error(m));
        for (int32_t i = 0; i < info.count; i++) sum += y[i];
        free(y);
    }
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(m, i, &info);
        const uint8_t *out = (const uint8_t *)nnom_model_layer_output(m, i);
        if (out)
            for (uint32_t b = 0; b < info.arena_bytes; b++) sum += out[b];
        int32_t length = 0;
        const int32_t vectors = nnom_model_state_count(m, i, &length);
        for (int32_t v = 0; v < vectors; v++) {
            float *s = (float *)malloc((size_t)length * sizeof *s + 1);
            FUZZ_ASSERT(nnom_model_state(m, i, v, s, (size_t)length) == NNOM_OK, "state(%d, %d): %s", (int)i, (int)v,
                        nnom_model_last_error(m));
            free(s);
        }
    }
    return sum;
}

/* Allocates the arena, sets the inputs and runs: twice with recurrent state, which carries over. 1 if it ran. */
static int run_model(nnom_model *m, const uint8_t *src, size_t src_n, unsigned ctrl)
{
    check_plan(m);
    if (nnom_model_arena_size(m) > FUZZ_MAX_ARENA || nnom_model_total_macs(m) > FUZZ_MAX_MACS) return 0;
    nnom_status st = nnom_model_alloc_arena(m);
    FUZZ_ASSERT_MESSAGE(st, nnom_model_last_error(m));
    if (st != NNOM_OK) return 0;
    if (!set_inputs(m, src, src_n, ctrl)) return 0;
    const int runs = nnom_model_state_size(m) > 0 ? 2 : 1;
    for (int r = 0; r < runs; r++) {
        st = nnom_model_run(m);
        FUZZ_ASSERT_MESSAGE(st, nnom_model_last_error(m));
        if (st != NNOM_OK) return 0;
        volatile float sink = read_results(m);
        (void)sink;
    }
    return 1;
}

/* Saves @p m, reloads the bytes, runs both on the same inputs: their outputs must be bit-identical. */
static void round_trip(nnom_model *m, const uint8_t *src, size_t src_n, unsigned ctrl)
{
    size_t size = 0;
    if (nnom_model_save(m, NULL, 0, &size) != NNOM_OK || size == 0 || size > FUZZ_MAX_ALLOCATION) return;
    uint8_t *bytes = (uint8_t *)malloc(size);
    nnom_status st = nnom_model_save(m, bytes, size, &size);
    FUZZ_ASSERT(st == NNOM_OK, "save of a loaded model failed: %s", nnom_model_last_error(m));
    nnom_model *again = NULL;
    nnom_error err;
    st = nnom_model_load(bytes, size, NULL, &again, &err);
    FUZZ_ASSERT(st == NNOM_OK, "a saved model does not load again: %s", err.message);
    if (run_model(again, src, src_n, ctrl)) {
        /* run_model() ran the copy from a fresh state: do the same with the original */
        nnom_model_reset_state(m);
        FUZZ_ASSERT(set_inputs(m, src, src_n, ctrl), "inputs");
        for (int r = 0; r < (nnom_model_state_size(m) > 0 ? 2 : 1); r++)
            FUZZ_ASSERT(nnom_model_run(m) == NNOM_OK, "rerun: %s", nnom_model_last_error(m));
        for (int32_t k = 0; k < nnom_model_output_count(m); k++) {
            nnom_tensor_info a, b;
            nnom_model_output_info(m, k, &a);
            nnom_model_output_info(again, k, &b);
            FUZZ_ASSERT(a.count == b.count, "output %d: %d values, %d after a round trip", (int)k, (int)a.count,
                        (int)b.count);
            const size_t esize = a.dtype == NNOM_DTYPE_S8 ? 1 : sizeof(float);
            FUZZ_ASSERT(memcmp(nnom_model_output_data(m, k), nnom_model_output_data(again, k), (size_t)a.count * esize) == 0,
                        "output %d differs after a save and load", (int)k);
        }
    }
    nnom_model_destroy(again);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < FUZZ_MODEL_PREFIX) return 0;
    const unsigned ctrl = data[0];
    const uint32_t fail_at = (ctrl & FUZZ_CTRL_FAIL_ALLOC) ? (uint32_t)data[1] + 1u : 0u;
    const size_t n = size - FUZZ_MODEL_PREFIX;
    /* a malloc'd copy of exactly n bytes: 4-byte aligned, and AddressSanitizer guards its end */
    uint8_t *file = (uint8_t *)malloc(n ? n : 1);
    if (n) memcpy(file, data + FUZZ_MODEL_PREFIX, n);

    if ((ctrl & FUZZ_CTRL_FIX_CRC) && n >= NNOM_FILE_HEADER_BYTES) {
        if (ctrl & FUZZ_CTRL_FIX_SIZE) nnom_wr_u32(file + NNOM_HDR_FILE_BYTES, (uint32_t)n);
        const uint32_t declared = nnom_rd_u32(file + NNOM_HDR_FILE_BYTES);
        if (declared >= NNOM_FILE_HEADER_BYTES && declared <= n) {
            if (!crc_table[1]) crc_table_init();
            nnom_wr_u32(file + NNOM_HDR_CHECKSUM, file_crc(file, declared));
        }
    }

    fuzz_allocator alloc;
    fuzz_allocator_init(&alloc, fail_at);
    nnom_options options;
    nnom_options_init(&options);
    options.allocator = &alloc.hook;
    options.max_arena_bytes = FUZZ_MAX_ARENA; /* larger plans are refused by the runtime, with a message */
    options.keep_all_outputs = (ctrl & FUZZ_CTRL_KEEP_ALL) != 0;

    nnom_model *m = NULL;
    nnom_error err;
    memset(&err, 0, sizeof err);
    nnom_status st = nnom_model_load(file, n, &options, &m, &err);
    FUZZ_ASSERT((st == NNOM_OK) == (m != NULL), "load returned %s with model %p", nnom_status_name(st), (void *)m);
    FUZZ_ASSERT(st == NNOM_OK || err.status == st, "load returned %s but err holds %s", nnom_status_name(st),
                nnom_status_name(err.status));
    FUZZ_ASSERT_MESSAGE(st, err.message);
    if (st == NNOM_OK) {
        /* the trailing bytes (after the file proper) feed the inputs */
        const size_t declared = nnom_rd_u32(file + NNOM_HDR_FILE_BYTES);
        const uint8_t *tail = file + declared;
        const size_t tail_n = n - declared;
        const int ran = run_model(m, tail, tail_n, ctrl);
        if (ran && (ctrl & FUZZ_CTRL_ROUND_TRIP) && !(ctrl & FUZZ_CTRL_FAIL_ALLOC)) round_trip(m, tail, tail_n, ctrl);
    }
    nnom_model_destroy(m);
    free(file);
    return 0;
}
