/*
 * libFuzzer harness: a Keras model config (the config.json of a .keras file,
 * or the model_config attribute of a legacy .h5) read from memory into the
 * converter's graph and float32 model, without weights (kr_read_config()).
 * Models that convert and are small enough are then calibrated, quantised,
 * saved as .nnom and loaded back.
 *
 * Input layout (docs/fuzzing.md):
 *
 *   byte 0       control bits: bits 0-1 the Keras version hint (0 or 3: guess
 *                from the config, 1: Keras 2, 2: Keras 3); bit 2: quantise
 *   byte 1 ...   the JSON text (not NUL-terminated)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "keras/keras_internal.h"

enum {
    FUZZ_CTRL_HINT_MASK = 3u,
    FUZZ_CTRL_QUANTIZE = 1u << 2
};
enum { FUZZ_KERAS_PREFIX = 1, FUZZ_CALIBRATION_SAMPLES = 2 };

/* Models planning more than this are read but not calibrated. */
#define FUZZ_MAX_ARENA ((size_t)4 << 20)
#define FUZZ_MAX_MACS ((uint64_t)1 << 20)
#define FUZZ_MAX_INPUT_VALUES 65536

static const int FUZZ_HINTS[4] = {0, 2, 3, 0};

/* Calibrates on a ramp, quantises, saves the int8 model and loads it back. */
static void quantize_and_reload(nnom_converter *c)
{
    nnom_model *fm = nnom_converter_float_model(c);
    if (nnom_model_arena_size(fm) > FUZZ_MAX_ARENA || nnom_model_total_macs(fm) > FUZZ_MAX_MACS) return;
    size_t per_sample = 0;
    for (int32_t k = 0; k < nnom_model_input_count(fm); k++) {
        nnom_tensor_info info;
        FUZZ_ASSERT(nnom_model_input_info(fm, k, &info) == NNOM_OK, "input_info(%d)", (int)k);
        per_sample += (size_t)info.count;
    }
    if (per_sample == 0 || per_sample > FUZZ_MAX_INPUT_VALUES) return;
    const size_t n = per_sample * FUZZ_CALIBRATION_SAMPLES;
    float *x = (float *)malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)((int)(i % 17) - 8) / 8.0f;
    nnom_status st = nnom_converter_quantize(c, x, FUZZ_CALIBRATION_SAMPLES, NULL);
    FUZZ_ASSERT_MESSAGE(st, nnom_converter_last_error(c));
    if (st == NNOM_OK) {
        nnom_model *qm = nnom_converter_int8_model(c);
        FUZZ_ASSERT(qm != NULL, "quantised without an int8 model");
        size_t size = 0;
        st = nnom_model_save(qm, NULL, 0, &size);
        FUZZ_ASSERT(st == NNOM_OK, "cannot size the int8 model: %s", nnom_model_last_error(qm));
        uint8_t *bytes = (uint8_t *)malloc(size);
        FUZZ_ASSERT(nnom_model_save(qm, bytes, size, &size) == NNOM_OK, "save: %s", nnom_model_last_error(qm));
        nnom_model *again = NULL;
        nnom_error err;
        st = nnom_model_load(bytes, size, NULL, &again, &err);
        FUZZ_ASSERT(st == NNOM_OK, "the converter wrote a .nnom the runtime refuses: %s", err.message);
        nnom_model_destroy(again);
        free(bytes);
    }
    free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < FUZZ_KERAS_PREFIX) return 0;
    const unsigned ctrl = data[0];
    const size_t n = size - FUZZ_KERAS_PREFIX;
    /* an exact-size copy: the parser must not read past len (there is no NUL) */
    char *json = (char *)malloc(n ? n : 1);
    if (n) memcpy(json, data + FUZZ_KERAS_PREFIX, n);

    nnom_converter *c = NULL;
    nnom_error err;
    memset(&err, 0, sizeof err);
    nnom_status st = kr_read_config(json, n, FUZZ_HINTS[ctrl & FUZZ_CTRL_HINT_MASK], &c, &err);
    FUZZ_ASSERT((st == NNOM_OK) == (c != NULL), "returned %s with converter %p", nnom_status_name(st), (void *)c);
    FUZZ_ASSERT(st == NNOM_OK || err.status == st, "returned %s but err holds %s", nnom_status_name(st),
                nnom_status_name(err.status));
    FUZZ_ASSERT_MESSAGE(st, err.message);
    if (st == NNOM_OK && (ctrl & FUZZ_CTRL_QUANTIZE)) quantize_and_reload(c);
    nnom_converter_destroy(c);
    free(json);
    return 0;
}
