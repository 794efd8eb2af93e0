/*
 * How the Cortex-M DSP convolution (kernels/arm/conv_s8.c) cuts a patch, and
 * the scratch it needs. Plain C: the portable build includes it too, so that
 * the scratch a model plans (and the arena it reports) is the same on the PC
 * and on the device (see kernels/conv_scratch.c).
 */
#ifndef NNOM_KERNELS_ARM_CONV_SHAPE_H
#define NNOM_KERNELS_ARM_CONV_SHAPE_H

#include "kernels/conv.h"

enum {
    PIXELS = 4,          /* pixels per pass */
    COLS_LIMIT = 4096    /* largest scratch for the four pixels' columns, bytes */
};

/* How the patch is cut (see the file comment). */
typedef struct {
    int32_t k;        /* patch length */
    int32_t seg_len;  /* elements per segment */
    int32_t n_seg;    /* segments */
    int32_t full;     /* whole groups per segment */
    int32_t rem;      /* elements in the last, partial group of a segment (0-3) */
    int32_t seg_groups; /* groups per segment: full + (rem != 0) */
    int32_t groups;   /* groups per column: n_seg * seg_groups */
    int32_t by_row;   /* one segment per kernel row (in_c not a multiple of 4) */
    int32_t np;       /* pixels per pass: 4, or 1 for long patches */
} conv_shape;

static inline conv_shape shape_of(const nnom_conv_args *a)
{
    conv_shape s;
    s.k = a->k_h * a->k_w * a->in_c;
    s.seg_len = (a->in_c & 3) ? a->k_w * a->in_c : s.k;
    s.n_seg = s.k / s.seg_len;
    s.full = s.seg_len / 4;
    s.rem = s.seg_len & 3;
    s.seg_groups = s.full + (s.rem != 0);
    s.groups = s.n_seg * s.seg_groups;
    s.by_row = (a->in_c & 3) != 0;
    s.np = PIXELS * s.groups * 8 <= COLS_LIMIT ? PIXELS : 1;
    return s;
}

/* Scratch bytes of the DSP kernel: the columns, and one row staged as int8
 * when rows are not whole groups. */
static inline uint32_t nnom_conv2d_s8_dsp_scratch_bytes(const nnom_conv_args *a)
{
    const conv_shape s = shape_of(a);
    return (uint32_t)(s.np * s.groups * 8) + (s.by_row ? (uint32_t)(s.seg_groups * 4) : 0u);
}

#endif
