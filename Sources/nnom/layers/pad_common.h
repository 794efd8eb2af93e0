/*
 * Internal: what ZERO_PADDING and CROPPING share (both defined in zero_padding.c).
 */
#ifndef NNOM_LAYERS_PAD_COMMON_H
#define NNOM_LAYERS_PAD_COMMON_H

#include "core/layer.h"
#include "kernels/pad.h"

/* Kernel arguments of a padding or cropping layer: shape, pad = {top, bottom, left, right},
 * element size (1 or 4), and the fill value padding writes (the input's zero point in int8). */
nnom_pad_args nnom_pad_layer_args(const nnom_exec *x, uint32_t elem_size);

#endif /* NNOM_LAYERS_PAD_COMMON_H */
