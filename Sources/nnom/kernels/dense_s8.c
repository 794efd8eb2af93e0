/*
 * int8 dense kernel.
 *
 * Speed comes from the shape of the loops, not from intrinsics, so the same
 * portable C serves every target:
 *  - four output rows are computed together, so each input element is loaded,
 *    widened and zero-point corrected once for four weight rows;
 *  - the dot product runs over a length that is a multiple of 16 (then a
 *    scalar tail), a trip count GCC's -O2 "very cheap" vectoriser accepts,
 *    and its operands are int16 so it becomes a multiply-add of pairs
 *    (pmaddwd with x86-64's baseline SSE2);
 *  - the input zero point is subtracted in int16 ((x - zp) fits in 9 bits):
 *    one subtract per input element shared by the four rows, which measured
 *    cheaper than correcting with zp * sum(w) per row.
 * |x - zp| * |w| <= 255 * 128 < 2^15, so an int32 partial sum is exact for
 * up to 65536 elements; longer inputs are summed in chunks into int64.
 *
 * Measured with callgrind (GCC 12, -O2, x86-64, through nnom_model_run):
 * Dense 432->96 + ReLU 1.03 instructions per MAC, Dense 96->10 2.26 (there
 * the ~45 instructions of requantisation per output weigh in).
 */
#include "kernels/arm/arm_dsp.h" /* Cortex-M with DSP: kernels/arm/dense_s8.c replaces this file */
#if NNOM_USE_ARM_DSP
#define NNOM_ARM_DSP_TWIN 1
#include "kernels/arm/dense_s8.c"
#else

#include "kernels/dense.h"

#include <stddef.h>
#include "kernels/requant.h"

enum {
    DENSE_BLOCK = 16,     /* vector-friendly block of inputs */
    DENSE_CHUNK = 65536   /* inputs whose int32 partial sum cannot overflow */
};

/* sum_i (x[i] - zp) * w[r*stride + i] for rows r = 0..3, i < len (len <= DENSE_CHUNK). */
static void dot_rows4(const int8_t *x, const int8_t *w, size_t stride, int32_t len, int16_t zp,
                      int32_t acc[4])
{
    const int8_t *w0 = w, *w1 = w + stride, *w2 = w1 + stride, *w3 = w2 + stride;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const int32_t blocked = len & ~(int32_t)(DENSE_BLOCK - 1);
    int32_t i;
    for (i = 0; i < blocked; i++) {
        const int16_t xv = (int16_t)(x[i] - zp);
        a0 += xv * (int16_t)w0[i];
        a1 += xv * (int16_t)w1[i];
        a2 += xv * (int16_t)w2[i];
        a3 += xv * (int16_t)w3[i];
    }
    for (; i < len; i++) {
        const int16_t xv = (int16_t)(x[i] - zp);
        a0 += xv * w0[i];
        a1 += xv * w1[i];
        a2 += xv * w2[i];
        a3 += xv * w3[i];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* sum_i (x[i] - zp) * w[i], i < len (len <= DENSE_CHUNK). */
static int32_t dot_row(const int8_t *x, const int8_t *w, int32_t len, int16_t zp)
{
    int32_t acc = 0;
    const int32_t blocked = len & ~(int32_t)(DENSE_BLOCK - 1);
    int32_t i;
    for (i = 0; i < blocked; i++) acc += (int16_t)(x[i] - zp) * (int16_t)w[i];
    for (; i < len; i++) acc += (int16_t)(x[i] - zp) * w[i];
    return acc;
}


void nnom_dense_s8(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    const int32_t n = a->in_features;
    const size_t stride = (size_t)n;
    const int16_t zp = (int16_t)a->in_zero_point;
    int32_t o = 0;

    for (; o + 4 <= a->out_features; o += 4) {
        const int8_t *w = a->weights + (size_t)o * stride;
        int64_t acc[4] = {0, 0, 0, 0};
        for (int32_t start = 0; start < n; start += DENSE_CHUNK) {
            const int32_t len = n - start < DENSE_CHUNK ? n - start : DENSE_CHUNK;
            int32_t part[4];
            dot_rows4(in + start, w + start, stride, len, zp, part);
            for (int k = 0; k < 4; k++) acc[k] += part[k];
        }
        for (int k = 0; k < 4; k++) out[o + k] = nnom_dense_output(a, o + k, acc[k]);
    }
    for (; o < a->out_features; o++) {
        const int8_t *w = a->weights + (size_t)o * stride;
        int64_t acc = 0;
        for (int32_t start = 0; start < n; start += DENSE_CHUNK) {
            const int32_t len = n - start < DENSE_CHUNK ? n - start : DENSE_CHUNK;
            acc += dot_row(in + start, w + start, len, zp);
        }
        out[o] = nnom_dense_output(a, o, acc);
    }
}
#endif /* !NNOM_USE_ARM_DSP */
