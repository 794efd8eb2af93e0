/*
 * Test support: the steps every test repeats to build and run a small model
 * through the public API (create, describe a layer, close with an OUTPUT
 * layer, compile, run). Each stops the test program (TU_REQUIRE / TU_OK) when
 * a step that is not under test fails; the steps under test stay in the tests.
 */
#ifndef NNOM_TEST_MODEL_UTIL_H
#define NNOM_TEST_MODEL_UTIL_H

#include "test_util.h"

/* A new empty model of @p dtype with options @p o (NULL: defaults). */
nnom_model *tu_model_new(nnom_dtype dtype, const nnom_options *o);

/* A shape of @p rank (1 to NNOM_MAX_RANK) with dims d0, d1, d2 (those past the rank ignored). */
nnom_shape tu_shape(int32_t rank, int32_t d0, int32_t d1, int32_t d2);

/* A layer description, reset by nnom_layer_desc_init(), of @p type named @p name (NULL: generated)
 * reading the @p n_inputs layers @p inputs. */
nnom_layer_desc tu_desc(nnom_layer_type type, const char *name, int32_t n_inputs, const int32_t *inputs);

/* tu_desc() of a layer reading the one layer @p input. */
nnom_layer_desc tu_desc1(nnom_layer_type type, const char *name, int32_t input);

/* Adds an OUTPUT layer named @p name (NULL: generated) reading layer @p input. */
void tu_add_output(nnom_model *m, int32_t input, const char *name);

/* Adds the OUTPUT layer reading @p last, compiles and allocates the arena. */
void tu_finish_model(nnom_model *m, int32_t last);

/* Adds the OUTPUT layer reading @p last and compiles; the model's last message goes to msg[cap].
 * On NNOM_OK with @p out set the model is handed over in *out, else it is destroyed.
 * Returns the compile status (for tests of what compile refuses). */
nnom_status tu_compile_or_destroy(nnom_model *m, int32_t last, nnom_model **out, char *msg, size_t cap);

/* Sets input 0 to x[nx], runs, and reads output 0 into y[ny]. */
void tu_run_s8(nnom_model *m, const int8_t *x, size_t nx, int8_t *y, size_t ny);
void tu_run_f32(nnom_model *m, const float *x, size_t nx, float *y, size_t ny);

/* Feeds @p a and @p b (compiled, arenas allocated, the same input 0 shape and element type) the
 * same random input 0 (int8: all values; float32: in [-2, 2]), runs both and returns whether
 * output 0 is the same byte for byte. */
int tu_same_outputs(nnom_model *a, nnom_model *b);

/* The int8 weights of DENSE layer @p layer of @p m as rows, w[o][i] at o * in + i (in = its input
 * count), whether its blob holds rows or row pairs (cell_flags NNOM_DENSE_ROW_PAIRS, decoded here
 * from docs/format.md's description, not by the runtime's code); malloc'ed, the caller frees it.
 * @p in_out receives the input count. */
int8_t *tu_dense_rows(nnom_model *m, int32_t layer, int32_t *in_out);

#endif /* NNOM_TEST_MODEL_UTIL_H */
