/*
 * Internal: what layers/conv.c (CONV1D/2D) and layers/depthwise_conv.c
 * (DEPTHWISE_CONV1D/2D) share: parameter, window and blob checks with
 * messages, and the kernel arguments of a compiled layer. Defined in conv.c.
 */
#ifndef NNOM_LAYERS_CONV_COMMON_H
#define NNOM_LAYERS_CONV_COMMON_H

#include "core/layer.h"
#include "kernels/conv.h"

/* Validates a conv (depthwise = 0) or depthwise conv layer against its input and sets l->shape. */
nnom_status nnom_conv_infer(nnom_layer *l, const nnom_infer_ctx *ctx, int depthwise);

/* Kernel arguments of a compiled conv or depthwise conv layer; @p in its input layer. */
nnom_conv_args nnom_conv_layer_args(const nnom_layer *l, const nnom_layer *in, nnom_dtype dtype);

/* The kernel arguments of one call: nnom_conv_layer_args() for a whole run, narrowed to the band of
 * x->rows for a tiled one (in_h, out_h and pad_top; in_w and pad_left for a folded padding). */
nnom_conv_args nnom_conv_exec_args(const nnom_exec *x, nnom_dtype dtype);

/* nnom_layer_ops.rows_window of convolutions and depthwise convolutions. */
void nnom_conv_rows_window(const nnom_layer *l, const nnom_layer *in, int32_t *stride, int32_t *pad_top, int32_t *span);

#endif /* NNOM_LAYERS_CONV_COMMON_H */
