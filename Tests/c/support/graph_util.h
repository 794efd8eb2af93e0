/*
 * Builds test graphs through the public builder API with random weights, and
 * evaluates the same graphs independently in double precision (the
 * reference executor below knows nothing of the runtime's kernels or planner).
 *
 * Float32 models use the weights as they are; int8 models use random int8
 * weights and fixed scales (enough to exercise wiring and planning; accuracy
 * of int8 against float is tested with real models elsewhere).
 */
#ifndef NNOM_GRAPH_UTIL_H
#define NNOM_GRAPH_UTIL_H

#include "test_util.h"

#define GB_MAX_LAYERS 128

typedef struct gb_layer {
    nnom_layer_type type;
    int32_t n_inputs, inputs[NNOM_MAX_INPUTS];
    nnom_layer_params p;
    const float *w, *b;     /* float weights [out][kh][kw][in] / [out][in], bias (f32 models) */
    nnom_shape shape;       /* output shape (from the compiled model) */
} gb_layer;

typedef struct gb {
    nnom_model *m;
    nnom_dtype dtype;
    int32_t n;
    gb_layer layers[GB_MAX_LAYERS];
    nnom_quant q;           /* the one activation quantisation int8 graphs use */
} gb;

void gb_init(gb *g, nnom_dtype dtype);
int32_t gb_input(gb *g, int32_t rank, int32_t d0, int32_t d1, int32_t d2);
/* conv2d (rank 3 input) or conv1d (rank 2): k x k (1 x k for 1D), stride, dilation, padding, fused act */
int32_t gb_conv(gb *g, int32_t in, int32_t filters, int32_t k, int32_t stride, int32_t dilation, int32_t padding,
                int32_t act);
int32_t gb_dense(gb *g, int32_t in, int32_t units, int32_t act);
/* Depthwise 2D convolution, depth multiplier 1, square kernel, no dilation. */
int32_t gb_depthwise(gb *g, int32_t in, int32_t k, int32_t stride, int32_t padding, int32_t act);
int32_t gb_max_pool(gb *g, int32_t in, int32_t k, int32_t stride, int32_t padding);
int32_t gb_avg_pool(gb *g, int32_t in, int32_t k, int32_t stride, int32_t padding);
int32_t gb_global_avg_pool(gb *g, int32_t in);
int32_t gb_relu(gb *g, int32_t in);
int32_t gb_add(gb *g, int32_t a, int32_t b);
int32_t gb_concat(gb *g, int32_t n, const int32_t *ins, int32_t axis);
int32_t gb_flatten(gb *g, int32_t in);
int32_t gb_output(gb *g, int32_t in);
/* Compiles; records every layer's output shape for the reference. */
void gb_compile(gb *g);

/* Reference evaluation in double of all layers; input values as given
 * (floats for f32 graphs). out[i] receives layer i's output (caller frees with gb_free_ref). */
double **gb_reference(const gb *g, const float *input);
void gb_free_ref(const gb *g, double **ref);

/* A bump allocator for blobs that outlive the model (aligned to 8). */
void *gb_store(size_t bytes);
void gb_store_reset(void);

/* @p n random floats in [-scale, scale] (tu_fill_f32) in the store. */
float *gb_random_f32(size_t n, float scale);
/* Adds to @p m a layer of one input @p in: @p type, params @p p, float32 weights @p w (@p nw values) and bias
 * @p b (@p nb values; NULL, 0 for none); returns its id (fails the test if the model refuses it). */
int32_t gb_add_layer(nnom_model *m, nnom_layer_type type, int32_t in, nnom_layer_params p, const float *w,
                     size_t nw, const float *b, size_t nb);

#endif
