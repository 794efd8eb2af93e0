/*
 * PReLU: y = x >= 0 ? x : alpha x, with alpha per channel (A = C values, repeated at every
 * position) or per element (A = n). Element i takes alpha[i % A]; n is a multiple of A.
 *
 * int8: v = x - in_zero_point (in [-255, 255]); y = sat8(rq(v, pos) + out_zero_point) for v >= 0,
 * else sat8(rq(v * alpha_q[i % A], neg) + out_zero_point), alpha_q in [-127, 127]: |v alpha_q| <= 32385,
 * far inside int32. rq is kernels/requant.h's requantisation.
 *
 * Both kernels read element i before writing it: out may be in.
 */
#ifndef NNOM_KERNELS_PRELU_H
#define NNOM_KERNELS_PRELU_H

#include <stdint.h>

typedef struct nnom_prelu_s8_args {
    const int8_t *in;
    int8_t *out;
    int32_t n;
    const int8_t *alpha;   /* [alpha_count], symmetric int8 */
    int32_t alpha_count;   /* C or n, > 0 */
    int32_t in_zero_point, out_zero_point;
    int32_t pos_multiplier, pos_shift; /* input scale / output scale */
    int32_t neg_multiplier, neg_shift; /* input scale x alpha scale / output scale */
} nnom_prelu_s8_args;

typedef struct nnom_prelu_f32_args {
    const float *in;
    float *out;
    int32_t n;
    const float *alpha;    /* [alpha_count] */
    int32_t alpha_count;
} nnom_prelu_f32_args;

void nnom_prelu_s8(const nnom_prelu_s8_args *a);
void nnom_prelu_f32(const nnom_prelu_f32_args *a);

#endif /* NNOM_KERNELS_PRELU_H */
