/**
 * @file nnom.h
 * @brief nnom: neural-network inference for microcontrollers. Include this one header.
 *
 * A five-minute tour
 * ------------------
 * A model is a list of layers, each reading the outputs of earlier layers.
 * Models come from a .nnom file (written by the Keras converter or by
 * nnom_model_save()) or are built by hand:
 *
 *     nnom_model *m; nnom_error err;
 *     if (nnom_model_load(model_bytes, model_size, NULL, &m, &err) != NNOM_OK) {
 *         puts(err.message);                 // e.g. "checksum mismatch: ..."
 *     }
 *     static int8_t arena[16 * 1024] __attribute__((aligned(4)));
 *     if (nnom_model_arena_size(m) > sizeof arena) { ... }
 *     nnom_model_set_arena(m, arena, sizeof arena);
 *     nnom_model_set_input_f32(m, 0, image, 784);
 *     nnom_model_run(m);
 *     nnom_model_get_output_f32(m, 0, scores, 10);
 *
 * Numbers follow TensorFlow Lite's int8 scheme: activations are int8 with a
 * per-tensor scale and zero point, weights are int8 symmetric per output
 * channel, biases int32, and results are requantised with a 32-bit
 * fixed-point multiplier and a shift. Every layer also has a float32 kernel,
 * so a float model runs through the same graph and memory plan.
 *
 * Headers: api.h (version numbers, export marker), status.h (errors), port.h (allocator/timer/log hooks),
 * layers.h (layer types and parameters), model.h (build, load, compile, run,
 * inspect), quantize.h (derive int8 constants when building), evaluate.h
 * (top-k and confusion matrix). Host-only tools (Keras converter, NumPy files)
 * are declared in nnom/tools.h, which nnom.h does not include.
 */
#ifndef NNOM_H
#define NNOM_H

#include "nnom/status.h"
#include "nnom/port.h"
#include "nnom/layers.h"
#include "nnom/model.h"
#include "nnom/user_op.h"
#include "nnom/quantize.h"
#include "nnom/evaluate.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Version of the library linked, as NNOM_VERSION (major * 10000 + minor * 100
 * + patch) of the headers it was built with. A program can compare it with the
 * NNOM_VERSION of the headers it was compiled with; versions of the same major
 * (after 1.0) keep the ABI.
 */
NNOM_API uint32_t nnom_version(void);

/** Version of the library linked, as "major.minor.patch". */
NNOM_API const char *nnom_version_string(void);

#ifdef __cplusplus
}
#endif
#endif /* NNOM_H */
