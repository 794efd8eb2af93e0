/*
 * Permute kernel: reorders the axes of a tensor of rank 1 to 3 (batch excluded). It only moves
 * elements, so one kernel serves every element type: elem_size is 1 (int8) or 4 (float32).
 * The output must not overlap the input.
 */
#ifndef NNOM_KERNELS_PERMUTE_H
#define NNOM_KERNELS_PERMUTE_H

#include <stdint.h>

/** Largest rank the kernel permutes (NNOM_MAX_RANK). */
#define NNOM_PERMUTE_MAX_RANK 3

/** An axis permutation of a row-major tensor. */
typedef struct nnom_permute_args {
    int32_t rank;                         /**< 1 to NNOM_PERMUTE_MAX_RANK */
    int32_t in_dims[NNOM_PERMUTE_MAX_RANK]; /**< input dims [0 .. rank-1], each >= 1 */
    int32_t perm[NNOM_PERMUTE_MAX_RANK];  /**< output axis i is input axis perm[i]; a permutation of 0 .. rank-1 */
    uint32_t elem_size;                   /**< bytes per element: 1 or 4 (nothing else) */
} nnom_permute_args;

/** out[i0][i1][i2] = in[j] with j[perm[k]] = i[k]: output dims are in_dims[perm[k]]. */
void nnom_permute(const nnom_permute_args *args, const void *in, void *out);

#endif /* NNOM_KERNELS_PERMUTE_H */
