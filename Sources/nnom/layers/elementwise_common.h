/*
 * Internal: what the element-wise layer files share (add, subtract, multiply,
 * minimum, maximum, concatenate, the element-wise activations and softmax):
 * input and parameter checks with messages, the binary layers' kernel glue
 * and ops, and the int8 table-lookup run.
 */
#ifndef NNOM_LAYERS_ELEMENTWISE_COMMON_H
#define NNOM_LAYERS_ELEMENTWISE_COMMON_H

#include <stddef.h>
#include "core/layer.h"
#include "kernels/elementwise.h"

/* Checks l->n_inputs is in [lo, hi]. */
nnom_status nnom_check_input_count(nnom_layer *l, const nnom_infer_ctx *ctx, int32_t lo, int32_t hi);

/* Checks @p n_pairs {multiplier, shift} pairs: multiplier >= 0, shift in [-31, 30].
 * @p what names the blob in messages. */
nnom_status nnom_check_requant_pairs(const nnom_layer *l, const nnom_infer_ctx *ctx, const int32_t *params,
                                     int32_t n_pairs, const char *what);

/* ADD, SUBTRACT, MULTIPLY, MINIMUM, MAXIMUM: two inputs of the same shape, or a second input of
 * rank 1 holding the first's channel count (broadcast over the other dimensions); fused activation
 * NONE/RELU/RELU6; s8: blob 0 is int32[@p n_params], {multiplier, shift} pairs.
 * Sets l->shape to the first input's. */
nnom_status nnom_binary_infer(nnom_layer *l, const nnom_infer_ctx *ctx, int32_t n_params);
/* The kernels of a binary layer (kernels/elementwise.h, kernels/minmax.h). */
typedef void (*nnom_binary_kernel_s8)(const nnom_elementwise_s8_args *a);
typedef void (*nnom_binary_kernel_f32)(const nnom_elementwise_f32_args *a);
/* Runs @p kernel with the arguments of a binary layer's exec record. */
void nnom_binary_run_s8(const nnom_exec *x, nnom_binary_kernel_s8 kernel);
void nnom_binary_run_f32(const nnom_exec *x, nnom_binary_kernel_f32 kernel);
/* Elements of a binary layer's output (its MAC count for multiply). */
uint64_t nnom_binary_count(const nnom_layer *l, const nnom_infer_ctx *ctx);

/* The ops of a binary layer. Output element i reads only element i of input 0 (and of input 1,
 * or its channel): it may overwrite input 0, and runs by rows (NNOM_OPS_ROWS_IDENTITY; the tiler
 * takes only inputs of the output's shape). @p run_f32 goes through NNOM_RUN_F32. */
#define NNOM_BINARY_LAYER_OPS(infer_fn, macs_fn, run_s8_fn, run_f32_fn)                                  \
    {                                                                                                    \
        .min_inputs = 2, .max_inputs = 2, .flags = NNOM_OPS_IN_PLACE | NNOM_OPS_ROWS_IDENTITY,            \
        .infer = (infer_fn),                                                                             \
        .macs = (macs_fn), .run_s8 = (run_s8_fn), .run_f32 = NNOM_RUN_F32(run_f32_fn)                    \
    }

/* Element-wise activations: one input, output of the same shape; s8: blob 0 is
 * the int8[256] table. */
nnom_status nnom_activation_infer(nnom_layer *l, const nnom_infer_ctx *ctx);
/* int8 run of every element-wise activation: the table lookup. */
void nnom_activation_run_s8(const nnom_exec *x);
/* Elements of the output. */
int32_t nnom_activation_count(const nnom_exec *x);
/* float32 run of an element-wise activation without parameters: @p kernel over every element. */
typedef void (*nnom_activation_kernel_f32)(const float *in, float *out, int32_t n);
void nnom_activation_run_f32(const nnom_exec *x, nnom_activation_kernel_f32 kernel);

/* The ops of an element-wise activation: one input, each output element reads only its own input
 * element, so it runs in place and by rows (the run functions count elements with
 * nnom_activation_count()); int8 is the table lookup. @p run_f32 goes through NNOM_RUN_F32. */
#define NNOM_ACTIVATION_LAYER_OPS(infer_fn, run_f32_fn)                                                  \
    {                                                                                                    \
        .min_inputs = 1, .max_inputs = 1, .flags = NNOM_OPS_IN_PLACE | NNOM_OPS_ROWS_IDENTITY,            \
        .infer = (infer_fn),                                                                             \
        .run_s8 = nnom_activation_run_s8, .run_f32 = NNOM_RUN_F32(run_f32_fn)                            \
    }

#endif /* NNOM_LAYERS_ELEMENTWISE_COMMON_H */
