/*
 * int8 matrix product of two activations for Cortex-M cores with the DSP
 * extension, the twin of kernels/matmul_s8.c: same function, same results bit
 * for bit.
 *
 * Both operands are read along K (B transposed into the scratch first, as the
 * portable kernel does). Output elements come in 2x2 blocks, two rows of A
 * against two rows of B^T: each group of four K values loads four words,
 * widens each into two int16 pairs with its zero point subtracted (SXTAB16),
 * and meets them in eight SMLAD: 20 instructions for 16 multiply-accumulates.
 * An odd last row or column runs one dot product at a time (8 instructions
 * for 4), and the last K % 4 values one by one.
 *
 * The sums are exact in int32 (kernels/matmul.h bounds every partial sum), so
 * the order of the additions does not matter; each output is requantised by
 * the five-instruction nnom_arm_requant_zp() where its conditions hold (K up to
 * 16384, the quantiser's multipliers and shifts), which equals the portable
 * kernel's nnom_requantize() plus the zero point, else by nnom_requantize().
 */
#include "kernels/arm/arm_dsp.h"

/* Compiled only as part of kernels/matmul_s8.c, which includes this file on cores with DSP. */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)
#include "kernels/matmul.h"
#include "kernels/requant.h"

/* A zero point's negation in both int16 lanes, for SXTAB16. */
static inline uint32_t neg_pair(int32_t zp) { return (uint32_t)(uint16_t)(int16_t)-zp * 0x10001u; }

/* s[2 r + c] = sum_k (a_r[k] - za)(b_c[k] - zb), for rows a0, a1 and b0, b1 of k values. */
static void dot_2x2(const int8_t *a0, const int8_t *a1, const int8_t *b0, const int8_t *b1, int32_t k,
                    const nnom_matmul_s8_args *x, int32_t s[4])
{
    const uint32_t nza = neg_pair(x->a_zero_point), nzb = neg_pair(x->b_zero_point);
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, i = 0;
    for (; i + 4 <= k; i += 4) {
        const uint32_t wa0 = nnom_arm_load4(a0 + i), wa1 = nnom_arm_load4(a1 + i);
        const uint32_t wb0 = nnom_arm_load4(b0 + i), wb1 = nnom_arm_load4(b1 + i);
        const uint32_t a0l = nnom_arm_widen_lo(nza, wa0), a0h = nnom_arm_widen_hi(nza, wa0);
        const uint32_t a1l = nnom_arm_widen_lo(nza, wa1), a1h = nnom_arm_widen_hi(nza, wa1);
        const uint32_t b0l = nnom_arm_widen_lo(nzb, wb0), b0h = nnom_arm_widen_hi(nzb, wb0);
        const uint32_t b1l = nnom_arm_widen_lo(nzb, wb1), b1h = nnom_arm_widen_hi(nzb, wb1);
        s00 = __smlad(a0h, b0h, __smlad(a0l, b0l, s00));
        s01 = __smlad(a0h, b1h, __smlad(a0l, b1l, s01));
        s10 = __smlad(a1h, b0h, __smlad(a1l, b0l, s10));
        s11 = __smlad(a1h, b1h, __smlad(a1l, b1l, s11));
    }
    for (; i < k; i++) {
        const int32_t v0 = a0[i] - x->a_zero_point, v1 = a1[i] - x->a_zero_point;
        const int32_t w0 = b0[i] - x->b_zero_point, w1 = b1[i] - x->b_zero_point;
        s00 += v0 * w0;
        s01 += v0 * w1;
        s10 += v1 * w0;
        s11 += v1 * w1;
    }
    s[0] = s00;
    s[1] = s01;
    s[2] = s10;
    s[3] = s11;
}

/* sum_k (a[k] - za)(b[k] - zb) over k values. */
static int32_t dot_1x1(const int8_t *a, const int8_t *b, int32_t k, const nnom_matmul_s8_args *x)
{
    const uint32_t nza = neg_pair(x->a_zero_point), nzb = neg_pair(x->b_zero_point);
    int32_t s = 0, i = 0;
    for (; i + 4 <= k; i += 4) {
        const uint32_t wa = nnom_arm_load4(a + i), wb = nnom_arm_load4(b + i);
        s = __smlad(nnom_arm_widen_lo(nza, wa), nnom_arm_widen_lo(nzb, wb), s);
        s = __smlad(nnom_arm_widen_hi(nza, wa), nnom_arm_widen_hi(nzb, wb), s);
    }
    for (; i < k; i++) s += (a[i] - x->a_zero_point) * (b[i] - x->b_zero_point);
    return s;
}

/* Largest K whose sums stay below 2^30 in magnitude (16384 x 255 x 255 < 2^30), as the fast requantisation needs. */
#define MATMUL_FAST_DEPTH 16384

/* The requantisation of every output: nnom_arm_requant_zp() of arm_dsp.h (equal to nnom_requantize() plus the
 * zero point) where its conditions hold for the whole product, else nnom_requantize(). */
typedef struct out_quant {
    int fast;
    int32_t e, c;
} out_quant;

static out_quant out_quant_of(const nnom_matmul_s8_args *x)
{
    out_quant q;
    q.fast = x->d.k <= MATMUL_FAST_DEPTH && x->multiplier > (1 << 30) && x->shift <= -1 && x->shift >= -22;
    q.e = -x->shift;
    q.c = q.fast ? nnom_arm_requant_zp_const(q.e, x->out_zero_point) : 0;
    return q;
}

static inline int8_t output(const nnom_matmul_s8_args *x, const out_quant *q, int32_t acc)
{
    const int32_t v = q->fast ? nnom_arm_requant_zp(acc, x->multiplier, q->c, q->e)
                              : nnom_requantize(acc, x->multiplier, x->shift) + x->out_zero_point;
    return nnom_clamp_s8(v, x->act_lo, x->act_hi);
}

void nnom_matmul_s8(const nnom_matmul_s8_args *x)
{
    const nnom_matmul_dims *d = &x->d;
    const int32_t m = d->m, n = d->n, k = d->k;
    const out_quant oq = out_quant_of(x);
    for (int32_t p = 0; p < d->batch; p++) {
        const int8_t *a = x->a + (int64_t)p * m * k;
        const int8_t *bt = nnom_matmul_b_rows(x, p);
        int8_t *out = x->out + (int64_t)p * m * n;
        int32_t i = 0;
        for (; i + 2 <= m; i += 2) {
            const int8_t *a0 = a + (int64_t)i * k, *a1 = a0 + k;
            int8_t *o0 = out + (int64_t)i * n, *o1 = o0 + n;
            int32_t j = 0;
            for (; j + 2 <= n; j += 2) {
                int32_t s[4];
                dot_2x2(a0, a1, bt + (int64_t)j * k, bt + (int64_t)(j + 1) * k, k, x, s);
                o0[j] = output(x, &oq, s[0]);
                o0[j + 1] = output(x, &oq, s[1]);
                o1[j] = output(x, &oq, s[2]);
                o1[j + 1] = output(x, &oq, s[3]);
            }
            if (j < n) {
                o0[j] = output(x, &oq, dot_1x1(a0, bt + (int64_t)j * k, k, x));
                o1[j] = output(x, &oq, dot_1x1(a1, bt + (int64_t)j * k, k, x));
            }
        }
        if (i < m)
            for (int32_t j = 0; j < n; j++)
                out[(int64_t)i * n + j] = output(x, &oq, dot_1x1(a + (int64_t)i * k, bt + (int64_t)j * k, k, x));
    }
}
#endif /* NNOM_USE_ARM_DSP && NNOM_ARM_DSP_TWIN */
