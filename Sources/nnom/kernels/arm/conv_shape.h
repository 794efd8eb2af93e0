/*
 * How the Cortex-M DSP convolution (kernels/arm/conv_s8.c) lays out a patch,
 * and the scratch it needs. Plain C: the portable build includes it too, so
 * that the scratch a model plans (and the arena it reports) is the same on the
 * PC and on the device (see kernels/conv_scratch.c).
 */
#ifndef NNOM_KERNELS_ARM_CONV_SHAPE_H
#define NNOM_KERNELS_ARM_CONV_SHAPE_H

#include "kernels/conv.h"

enum {
    PIXELS = 4,          /* pixels per pass */
    COLS_LIMIT = 4096    /* largest scratch for the four pixels' columns, bytes */
};

/* The patch of k elements, in the weights' order, cut into groups of four. */
typedef struct {
    int32_t k;        /* patch length */
    int32_t groups;   /* groups per column: ceil(k / 4); the last one's lanes past k are 0 */
    int32_t staged;   /* in_c not a multiple of 4: the patch is gathered as int8 first */
    int32_t np;       /* pixels per pass: 4, or 1 for long patches */
} conv_shape;

static inline conv_shape shape_of(const nnom_conv_args *a)
{
    conv_shape s;
    s.k = a->k_h * a->k_w * a->in_c;
    s.groups = (s.k + 3) / 4;
    s.staged = (a->in_c & 3) != 0;
    s.np = PIXELS * s.groups * 8 <= COLS_LIMIT ? PIXELS : 1;
    return s;
}

/* Scratch bytes of the DSP kernel: the columns (8 bytes per group and pixel),
 * and the staged int8 patch when in_c is not a multiple of 4 (with 4 bytes to
 * spare for word copies). */
static inline uint32_t nnom_conv2d_s8_dsp_scratch_bytes(const nnom_conv_args *a)
{
    const conv_shape s = shape_of(a);
    return (uint32_t)(s.np * s.groups * 8) + (s.staged ? (uint32_t)(s.groups * 4 + 4) : 0u);
}

#endif
