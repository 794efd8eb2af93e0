/*
 * The Cortex-M DSP strips over weights in channel pairs (kernels/arm/conv_pairs_rows.h, compiled in
 * kernels/arm/conv_s8.c), which the pairs' entry (kernels/arm/conv_pairs.c) calls first.
 */
#ifndef NNOM_KERNELS_ARM_CONV_PAIRS_STRIPS_H
#define NNOM_KERNELS_ARM_CONV_PAIRS_STRIPS_H

#include <stdint.h>

#include "kernels/conv.h"

/* nnom_conv2d_pairs_s8(a, in, out, scratch, scratch_bytes) in the strips, when they take the layer:
 * nnom_conv_pairs_fit(a), the output apart from the input, the scratch holding the strips' slots.
 * Returns 1 when it ran, 0 (nothing written) otherwise. */
int nnom_arm_conv2d_pairs_strips(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                                 uint32_t scratch_bytes);

#endif
