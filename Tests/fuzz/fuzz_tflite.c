/*
 * libFuzzer harness: the .tflite importer (Sources/nnom_tools/tflite: the
 * bounds-checked flatbuffer reader, the operator mapping, the int8 constants).
 *
 * Input layout (docs/fuzzing.md):
 *
 *   byte 0       control bits: bit 0 = when the file converts, save the int8
 *                model, load it back and run it once on a ramp
 *   byte 1 ...   the .tflite file
 *
 * The file is copied to a buffer of its exact size, so any read past its end
 * is caught by AddressSanitizer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "nnom/tools.h"

enum { FUZZ_CTRL_RELOAD = 1u << 0 };
enum { FUZZ_TFLITE_PREFIX = 1 };

/* Models the reload step runs: bounded so that one input stays fast. */
#define FUZZ_MAX_ARENA ((size_t)4 << 20)
#define FUZZ_MAX_MACS ((uint64_t)20 << 20)

/* Saves the int8 model, loads it back through the runtime and runs it once. */
static void save_load_run(nnom_converter *c)
{
    nnom_model *qm = nnom_converter_int8_model(c);
    FUZZ_ASSERT(qm != NULL, "converted without an int8 model");
    size_t size = 0;
    nnom_status st = nnom_model_save(qm, NULL, 0, &size);
    FUZZ_ASSERT(st == NNOM_OK, "cannot size the int8 model: %s", nnom_model_last_error(qm));
    uint8_t *bytes = (uint8_t *)malloc(size);
    FUZZ_ASSERT(nnom_model_save(qm, bytes, size, &size) == NNOM_OK, "save: %s", nnom_model_last_error(qm));
    fuzz_allocator alloc;
    fuzz_allocator_init(&alloc, 0);
    nnom_options opt;
    nnom_options_init(&opt);
    opt.allocator = &alloc.hook;
    opt.max_arena_bytes = FUZZ_MAX_ARENA;
    nnom_model *m = NULL;
    nnom_error err;
    st = nnom_model_load(bytes, size, &opt, &m, &err);
    /* the runtime may refuse only for the harness's own bounds */
    FUZZ_ASSERT(st == NNOM_OK || st == NNOM_ERR_NO_MEMORY, "the importer wrote a .nnom the runtime refuses: %s",
                err.message);
    if (st == NNOM_OK && nnom_model_total_macs(m) <= FUZZ_MAX_MACS && nnom_model_alloc_arena(m) == NNOM_OK) {
        for (int32_t k = 0; k < nnom_model_input_count(m); k++) {
            nnom_tensor_info info;
            FUZZ_ASSERT(nnom_model_input_info(m, k, &info) == NNOM_OK, "input_info(%d)", (int)k);
            int8_t *x = (int8_t *)malloc((size_t)info.count + 1);
            for (int32_t i = 0; i < info.count; i++) x[i] = (int8_t)(i % 255 - 127);
            if (info.dtype == NNOM_DTYPE_S8)
                FUZZ_ASSERT(nnom_model_set_input_s8(m, k, x, (size_t)info.count) == NNOM_OK, "set_input: %s",
                            nnom_model_last_error(m));
            free(x);
        }
        st = nnom_model_run(m);
        FUZZ_ASSERT_MESSAGE(st, nnom_model_last_error(m));
    }
    nnom_model_destroy(m);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < FUZZ_TFLITE_PREFIX) return 0;
    const unsigned ctrl = data[0];
    const size_t n = size - FUZZ_TFLITE_PREFIX;
    uint8_t *file = (uint8_t *)malloc(n ? n : 1);
    if (n) memcpy(file, data + FUZZ_TFLITE_PREFIX, n);

    nnom_converter *c = NULL;
    nnom_error err;
    memset(&err, 0, sizeof err);
    nnom_status st = nnom_convert_tflite_bytes(file, n, "fuzz.tflite", &c, &err);
    FUZZ_ASSERT((st == NNOM_OK) == (c != NULL), "returned %s with converter %p", nnom_status_name(st), (void *)c);
    FUZZ_ASSERT(st == NNOM_OK || err.status == st, "returned %s but err holds %s", nnom_status_name(st),
                nnom_status_name(err.status));
    FUZZ_ASSERT_MESSAGE(st, err.message);
    /* the converter keeps nothing of the file's bytes: free them before using it */
    free(file);
    if (st == NNOM_OK && (ctrl & FUZZ_CTRL_RELOAD)) save_load_run(c);
    nnom_converter_destroy(c);
    return 0;
}
