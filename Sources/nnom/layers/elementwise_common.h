/*
 * Internal: what the element-wise layer files share (add, subtract, multiply,
 * concatenate, the six element-wise activations and softmax): input and
 * parameter checks with messages, and the int8 table-lookup run.
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

/* ADD, SUBTRACT, MULTIPLY: two inputs of the same shape (or, with
 * @p channel_broadcast, a second input of rank 1 holding the first's channel
 * count); fused activation NONE/RELU/RELU6; s8: blob 0 is int32[@p n_params].
 * Sets l->shape to the first input's. */
nnom_status nnom_binary_infer(nnom_layer *l, const nnom_infer_ctx *ctx, int channel_broadcast,
                              int32_t n_params);
/* Kernel arguments of a binary layer from its exec record. */
void nnom_binary_args_s8(const nnom_exec *x, nnom_elementwise_s8_args *a);
void nnom_binary_args_f32(const nnom_exec *x, nnom_elementwise_f32_args *a);
/* Elements of a binary layer's output (its MAC count for multiply). */
uint64_t nnom_binary_count(const nnom_layer *l, const nnom_infer_ctx *ctx);

/* Element-wise activations: one input, output of the same shape; s8: blob 0 is
 * the int8[256] table. */
nnom_status nnom_activation_infer(nnom_layer *l, const nnom_infer_ctx *ctx);
/* int8 run of every element-wise activation: the table lookup. */
void nnom_activation_run_s8(const nnom_exec *x);
/* Elements of the output. */
int32_t nnom_activation_count(const nnom_exec *x);

#endif /* NNOM_LAYERS_ELEMENTWISE_COMMON_H */
