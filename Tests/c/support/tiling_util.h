/*
 * Test support: models of 2-D window layers (convolutions, depthwise convolutions, pools, zero
 * paddings) with random weights, built twice from the same weights (tiled, untiled) and run on the
 * same random input (test_tiling.c, test_tiling_graph.c).
 */
#ifndef NNOM_TEST_TILING_UTIL_H
#define NNOM_TEST_TILING_UTIL_H

#include <stdint.h>

#include "nnom/nnom.h"

enum { K_CONV, K_DW, K_PAD, K_MAX_POOL, K_AVG_POOL, K_ADD, K_CONCAT, K_RELU };

typedef struct {
    int kind;
    int32_t k, stride, dil, padding, units, activation;
    int32_t pad[4];
    /* blobs */
    void *w;
    int32_t *bias, *mult, *shift;
    float *bias_f;
    nnom_quant quant;
} spec;

/* Output size of a window along one axis (Keras' rule); 0 when the window does not fit. */
int32_t tt_window_out(int32_t in, int32_t k, int32_t s, int32_t d, int32_t padding);

/* Fills the blobs of window layer @p s (K_CONV or K_DW) reading @p in_c channels (random weights, int8
 * requantisation of a sensible range); returns its output channels. */
int32_t tt_make_blobs(spec *s, nnom_dtype dt, int32_t in_c);

/* Frees the blobs of @p s. */
void tt_free_spec(spec *s);

/* Appends layer @p s (a window layer, a pool or a zero padding) reading layer @p in, whose output has
 * *@p c channels and quantisation *@p q (both updated to the new layer's); returns its id. */
int32_t tt_append_spec(nnom_model *m, const spec *s, nnom_dtype dt, int32_t in, int32_t *c, nnom_quant *q);

/* A model of one input of @p h x @p w x @p c with tiling budget @p percent (NNOM_TILING_OFF: none): its
 * input's id in *@p id, its quantisation in *@p q. */
nnom_model *tt_new_model(nnom_dtype dt, int32_t percent, int32_t h, int32_t w, int32_t c, int32_t *id, nnom_quant *q);

/* Adds the output (layer @p id), compiles and gives the model its arena. */
nnom_model *tt_finish_model(nnom_model *m, int32_t id);

/* Runs both models on one random input; 1 if their outputs are the same bytes. */
int tt_same_outputs(nnom_model *a, nnom_model *b, nnom_dtype dt);

#endif
