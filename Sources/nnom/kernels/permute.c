/* Axis permutation (see permute.h). */
#include "kernels/permute.h"

#include <string.h>

void nnom_permute(const nnom_permute_args *a, const void *in, void *out)
{
    /* Lead the shape with axes of size 1 up to rank 3, so that one triple loop serves every rank. */
    const int32_t lead = NNOM_PERMUTE_MAX_RANK - a->rank;
    int32_t dims[NNOM_PERMUTE_MAX_RANK], perm[NNOM_PERMUTE_MAX_RANK];
    for (int32_t k = 0; k < NNOM_PERMUTE_MAX_RANK; k++) {
        dims[k] = k < lead ? 1 : a->in_dims[k - lead];
        perm[k] = k < lead ? k : a->perm[k - lead] + lead;
    }
    /* the input's strides in elements, then the stride of each output axis in the input */
    size_t in_stride[NNOM_PERMUTE_MAX_RANK];
    in_stride[NNOM_PERMUTE_MAX_RANK - 1] = 1;
    for (int32_t k = NNOM_PERMUTE_MAX_RANK - 1; k > 0; k--) in_stride[k - 1] = in_stride[k] * (size_t)dims[k];
    const size_t s0 = in_stride[perm[0]], s1 = in_stride[perm[1]], s2 = in_stride[perm[2]];
    const int32_t n0 = dims[perm[0]], n1 = dims[perm[1]], n2 = dims[perm[2]];
    const size_t es = a->elem_size;
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    for (int32_t i0 = 0; i0 < n0; i0++)
        for (int32_t i1 = 0; i1 < n1; i1++) {
            const uint8_t *row = src + ((size_t)i0 * s0 + (size_t)i1 * s1) * es;
            if (s2 == 1) { /* the last axis stays last: a contiguous row */
                memcpy(dst, row, (size_t)n2 * es);
                dst += (size_t)n2 * es;
                continue;
            }
            /* constant-size copies, which compilers turn into single loads and stores */
            if (es == 1) {
                for (int32_t i2 = 0; i2 < n2; i2++) *dst++ = row[(size_t)i2 * s2];
            } else {
                for (int32_t i2 = 0; i2 < n2; i2++, dst += 4) memcpy(dst, row + (size_t)i2 * s2 * 4, 4);
            }
        }
}
