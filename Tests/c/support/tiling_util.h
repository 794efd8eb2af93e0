/*
 * Test support: models of 2-D window layers (convolutions, depthwise convolutions, pools, zero
 * paddings) with random weights, built twice from the same weights (tiled, untiled) and run on the
 * same random input (test_tiling.c, test_tiling_graph.c, test_plan_goal.c), and tilings forced on them
 * (test_tiling_forced.c, test_tiling_graph.c).
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

/* The same with options @p o (its tiling budget, plan goal, arena limit). */
nnom_model *tt_new_model_with(nnom_dtype dt, const nnom_options *o, int32_t h, int32_t w, int32_t c, int32_t *id,
                              nnom_quant *q);

/* Adds the output (layer @p id), compiles and gives the model its arena. */
nnom_model *tt_finish_model(nnom_model *m, int32_t id);

/* Runs both models on one random input; 1 if their outputs are the same bytes. */
int tt_same_outputs(nnom_model *a, nnom_model *b, nnom_dtype dt);

/* Checks the fastest plan @p fast asked for below the untiled arena of @p ti (the smallest plan's tiling):
 * tiled, smaller than untiled, its outputs those of the untiled run @p plain (two inputs); @p what names
 * the case in the messages. Returns 1 when it keeps bands, else 0. */
int tt_check_fastest_below(nnom_model *fast, nnom_model *plain, const nnom_tiling_info *ti, nnom_dtype dt,
                           const char *what);

/* A chain input -> layers -> output: the input's shape and the layers. */
#define TT_MAX_SPECS 40
typedef struct {
    int32_t h, w, c;
    int n;
    spec s[TT_MAX_SPECS];
} tt_chain;

/* A random chain of 2..7 window layers, pools and zero paddings whose shapes all exist (inputs of 4..40
 * rows and columns, 1..8 channels; channels grow by at most 64), with blobs. */
void tt_random_chain(tt_chain *ch, nnom_dtype dt);

/* Frees the blobs of @p ch. */
void tt_free_chain(tt_chain *ch);

/* The compiled model of @p ch with tiling budget @p percent (NNOM_TILING_OFF: none), its arena given. */
nnom_model *tt_build_chain(const tt_chain *ch, nnom_dtype dt, int32_t percent);

/* The same with options @p o; NULL with the status and message in *@p err when compiling fails. */
nnom_model *tt_build_chain_with(const tt_chain *ch, nnom_dtype dt, const nnom_options *o, nnom_error *err);

/* Plans @p m (compiled untiled, nnom_plan_tiling()) with layers @p first..@p cut in tiles of @p rows rows, the
 * first @p shift fewer, the bands of @p carry keeping their halos (those of @p park in the park); gives it an
 * arena of its new size; checks
 * that every layer's output lies in it and that two runs give @p plain's output bytes (@p what names the case);
 * destroys @p m. Returns 0 if that is no tiling, else 1, with the stage's bands that kept in *@p kept, those
 * that parked in *@p parked and all its bands in *@p bands. */
int tt_force_tiling(nnom_model *m, nnom_model *plain, nnom_dtype dt, int32_t first, int32_t cut, int32_t rows,
                    int32_t shift, uint32_t carry, uint32_t park, const char *what, uint32_t *kept, uint32_t *parked,
                    uint32_t *bands);

/* The stages of @p m (compiled untiled: the layers first..cut that may run tile by tile), at most @p cap, each
 * as {first, cut, rows of the cut}; their count. */
int32_t tt_stages(nnom_model *m, int32_t (*stages)[3], int32_t cap);

#endif
