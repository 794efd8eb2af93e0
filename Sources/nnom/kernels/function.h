/*
 * The element-wise functions of the ACTIVATION layer (nnom_function), in float32, and the
 * mathematical functions they need, written here: firmware links no maths library.
 *
 * int8 ACTIVATION layers need none of this: they are the table lookup of kernels/activation.h,
 * the table made at build time by nnom_quant_function_table().
 *
 * Accuracy (measured against double-precision libm over [-20, 20] in Tests/c/test_function.c):
 * within 1e-6 relative, or 1e-12 absolute where the value is that small. nnom_erfcd works in
 * double precision (soft-float on an FPU without double support; the float32 kernels are
 * reference code).
 */
#ifndef NNOM_KERNELS_FUNCTION_H
#define NNOM_KERNELS_FUNCTION_H

#include <stdint.h>

#include "nnom/layers.h"

/* log(1 + x) for x > -1, accurate for small x. */
float nnom_log1pf(float x);
/* exp(x) - 1, accurate for small x. */
float nnom_expm1f(float x);
/* 1 - erf(x), in double precision. */
double nnom_erfcd(double x);

/* out[i] = fn(in[i]) with the function's constants @p k (nnom_function_constants(fn) of them).
 * @p fn must be valid. out may be in (element i is read before it is written). */
void nnom_function_f32(nnom_function fn, const float *k, const float *in, float *out, int32_t n);

#endif /* NNOM_KERNELS_FUNCTION_H */
