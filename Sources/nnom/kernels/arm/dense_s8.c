/*
 * int8 dense kernel for Cortex-M cores with the DSP extension, the twin of
 * kernels/dense_s8.c: same function, same results bit for bit.
 *
 * Four output rows at a time. Each group of four inputs is loaded once and
 * widened to two int16 pairs with the zero point subtracted (SXTAB16), then
 * meets each row's four weights, widened by SXTB16 into the same
 * (e0, e2) / (e1, e3) pairing: two SMLAD per row. A dense layer uses each
 * weight once, so the weight widening stays in the loop: 23 instructions for
 * 16 multiply-accumulates. The last len % 4 inputs are summed one by one.
 *
 * The accumulators are exact as in the portable kernel: int32 over chunks of
 * at most 65536 inputs (|x - zp| * |w| <= 255 * 128), summed into int64,
 * saturated to int32, then requantised by nnom_requantize() of requant.h.
 */
#include "kernels/arm/arm_dsp.h"

/* Compiled only as part of kernels/dense_s8.c, which includes this file on cores with DSP. */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)
#include <stddef.h>

#include "kernels/dense.h"
#include "kernels/requant.h"

enum { DENSE_CHUNK = 65536 };

/* sum_i (x[i] - zp) * w[r * stride + i] for rows r = 0..3, i < len. */
static void dot_rows4(const int8_t *x, const int8_t *w, size_t stride, int32_t len, int32_t zp, int32_t s[4])
{
    const int8_t *w0 = w, *w1 = w + stride, *w2 = w1 + stride, *w3 = w2 + stride;
    const uint32_t neg_zp = (uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int32_t i = 0;
    for (; i + 4 <= len; i += 4) {
        const uint32_t xw = nnom_arm_load4(x + i);
        const uint32_t xa = nnom_arm_widen_lo(neg_zp, xw), xb = nnom_arm_widen_hi(neg_zp, xw);
        uint32_t ww = nnom_arm_load4(w0 + i);
        s0 = __smlad(xa, nnom_arm_pairs_lo(ww), s0);
        s0 = __smlad(xb, nnom_arm_pairs_hi(ww), s0);
        ww = nnom_arm_load4(w1 + i);
        s1 = __smlad(xa, nnom_arm_pairs_lo(ww), s1);
        s1 = __smlad(xb, nnom_arm_pairs_hi(ww), s1);
        ww = nnom_arm_load4(w2 + i);
        s2 = __smlad(xa, nnom_arm_pairs_lo(ww), s2);
        s2 = __smlad(xb, nnom_arm_pairs_hi(ww), s2);
        ww = nnom_arm_load4(w3 + i);
        s3 = __smlad(xa, nnom_arm_pairs_lo(ww), s3);
        s3 = __smlad(xb, nnom_arm_pairs_hi(ww), s3);
    }
    for (; i < len; i++) {
        const int32_t xv = x[i] - zp;
        s0 += xv * w0[i];
        s1 += xv * w1[i];
        s2 += xv * w2[i];
        s3 += xv * w3[i];
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
}

/* sum_i (x[i] - zp) * w[i], i < len. */
static int32_t dot_row(const int8_t *x, const int8_t *w, int32_t len, int32_t zp)
{
    const uint32_t neg_zp = (uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u;
    int32_t s = 0, i = 0;
    for (; i + 4 <= len; i += 4) {
        const uint32_t xw = nnom_arm_load4(x + i), ww = nnom_arm_load4(w + i);
        s = __smlad(nnom_arm_widen_lo(neg_zp, xw), nnom_arm_pairs_lo(ww), s);
        s = __smlad(nnom_arm_widen_hi(neg_zp, xw), nnom_arm_pairs_hi(ww), s);
    }
    for (; i < len; i++) s += (x[i] - zp) * w[i];
    return s;
}

/* Bias, requantisation, output zero point and clamp of output o (as the portable kernel). */
static int8_t dense_output(const nnom_dense_s8_args *a, int32_t o, int64_t acc)
{
    if (a->bias) acc += a->bias[o];
    const int32_t acc32 = acc > INT32_MAX ? INT32_MAX : (acc < INT32_MIN ? INT32_MIN : (int32_t)acc);
    const int32_t q = a->per_channel ? o : 0;
    const int64_t v = (int64_t)nnom_requantize(acc32, a->multiplier[q], a->shift[q]) + a->out_zero_point;
    return (int8_t)(v < a->act_lo ? a->act_lo : (v > a->act_hi ? a->act_hi : v));
}

void nnom_dense_s8(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    const int32_t n = a->in_features, zp = a->in_zero_point;
    const size_t stride = (size_t)n;
    int32_t o = 0;
    for (; o + 4 <= a->out_features; o += 4) {
        const int8_t *w = a->weights + (size_t)o * stride;
        int64_t acc[4] = {0, 0, 0, 0};
        for (int32_t start = 0; start < n; start += DENSE_CHUNK) {
            const int32_t len = n - start < DENSE_CHUNK ? n - start : DENSE_CHUNK;
            int32_t part[4];
            dot_rows4(in + start, w + start, stride, len, zp, part);
            for (int r = 0; r < 4; r++) acc[r] += part[r];
        }
        for (int r = 0; r < 4; r++) out[o + r] = dense_output(a, o + r, acc[r]);
    }
    for (; o < a->out_features; o++) {
        const int8_t *w = a->weights + (size_t)o * stride;
        int64_t acc = 0;
        for (int32_t start = 0; start < n; start += DENSE_CHUNK) {
            const int32_t len = n - start < DENSE_CHUNK ? n - start : DENSE_CHUNK;
            acc += dot_row(in + start, w + start, len, zp);
        }
        out[o] = dense_output(a, o, acc);
    }
}

#else
typedef int nnom_arm_dense_s8_unused; /* compiled on its own: empty (see above) */
#endif
