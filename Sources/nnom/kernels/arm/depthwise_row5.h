/*
 * The 5x5 lines of the planar path of the Cortex-M DSP depthwise convolution:
 * a part of kernels/arm/depthwise_conv_s8.c, which includes it after its row
 * helpers (dw_k, dw_out(), smlabb_(), dw_row_fn, row_any_gen); not a header
 * of its own.
 *
 * A 5x5 kernel (dil_w 1, stride 1 or 2: MobileNetV3, EfficientNet), its
 * weights packed as for any kernel, from the int16 rows the planar path
 * gathers (padding holding the input zero point): four outputs per pass,
 * then two, then one, each kernel row's three weight words loaded once per
 * pass. The products are those of row_any(), in int32 by the same bounds
 * (channel_quant(): |sum x * w| <= 25 * 128 * 128 times the scale, with the
 * start, below 2^31). Stack: none beyond the registers the compiler spills.
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_ROW5_H
#define NNOM_KERNELS_ARM_DEPTHWISE_ROW5_H

#if NNOM_DW_5X5_KERNELS

/* Kernel row R (R int16 after x) of a 5-wide kernel, weights (packed as for any kernel) at
 * wp[3R], wp[3R + 1], wp[3R + 2] = A = (w0, w1), B = (w2, w3), C = (w4, 0). Stride 1, outputs
 * j and j + 1 from Q0 = (x0, x1), Q1 = (x2, x3), Q2 = (x4, x5):
 *   s_j   += SMLAD(Q0, A) + SMLAD(Q1, B) + SMLABB(Q2, C)
 *   s_j+1 += SMLATB(Q0, A) + SMLABT(Q1, A) + SMLATB(Q1, B) + SMLABT(Q2, B) + SMLATB(Q2, C)
 * (8 multiplies for 10 multiply-accumulates); stride 2, outputs j and j + 1 share Q1 and Q2:
 *   s_j   += SMLAD(Q0, A) + SMLAD(Q1, B) + SMLABB(Q2, C)
 *   s_j+1 += SMLAD(Q1, A) + SMLAD(Q2, B) + SMLABB(Q3, C)
 * The products are those of row_any(), so the sums are the same exact int32 values. */
#define DW_ROW5_S1(x, R)                                                                          \
    do {                                                                                          \
        const uint32_t wa = wp[3 * (R)], wb = wp[3 * (R) + 1], wc = wp[3 * (R) + 2];              \
        const uint32_t q0 = nnom_arm_load4(x), q1 = nnom_arm_load4((x) + 2), q2 = nnom_arm_load4((x) + 4); \
        s0 = __smlad(q0, wa, s0);                                                                 \
        s1 = __smlatb(q0, wa, s1);                                                                \
        s0 = __smlad(q1, wb, s0);                                                                 \
        s1 = __smlabt(q1, wa, s1);                                                                \
        s1 = __smlatb(q1, wb, s1);                                                                \
        s0 = smlabb_(q2, wc, s0);                                                                 \
        s1 = __smlabt(q2, wb, s1);                                                                \
        s1 = __smlatb(q2, wc, s1);                                                                \
    } while (0)
#define DW_ROW5_S2(x, R)                                                                          \
    do {                                                                                          \
        const uint32_t wa = wp[3 * (R)], wb = wp[3 * (R) + 1], wc = wp[3 * (R) + 2];              \
        const uint32_t q0 = nnom_arm_load4(x), q1 = nnom_arm_load4((x) + 2), q2 = nnom_arm_load4((x) + 4); \
        const uint32_t q3 = nnom_arm_load4((x) + 6);                                              \
        s0 = __smlad(q0, wa, s0);                                                                 \
        s1 = __smlad(q1, wa, s1);                                                                 \
        s0 = __smlad(q1, wb, s0);                                                                 \
        s1 = __smlad(q2, wb, s1);                                                                 \
        s0 = smlabb_(q2, wc, s0);                                                                 \
        s1 = smlabb_(q3, wc, s1);                                                                 \
    } while (0)
/* Four outputs j .. j + 3: stride 1, Q0 .. Q3, outputs j + 2 and j + 3 as j and j + 1 one word
 * further; stride 2, output j + i from Q_i, Q_i+1, Q_i+2 (Q0 .. Q5). */
#define DW_ROW5_S1_4(x, R)                                                                        \
    do {                                                                                          \
        const uint32_t wa = wp[3 * (R)], wb = wp[3 * (R) + 1], wc = wp[3 * (R) + 2];              \
        uint32_t q0 = nnom_arm_load4(x), q1 = nnom_arm_load4((x) + 2);                            \
        s0 = __smlad(q0, wa, s0);                                                                 \
        s1 = __smlatb(q0, wa, s1);                                                                \
        s0 = __smlad(q1, wb, s0);                                                                 \
        s1 = __smlabt(q1, wa, s1);                                                                \
        s1 = __smlatb(q1, wb, s1);                                                                \
        s2 = __smlad(q1, wa, s2);                                                                 \
        s3 = __smlatb(q1, wa, s3);                                                                \
        q0 = nnom_arm_load4((x) + 4);                                                             \
        s0 = smlabb_(q0, wc, s0);                                                                 \
        s1 = __smlabt(q0, wb, s1);                                                                \
        s1 = __smlatb(q0, wc, s1);                                                                \
        s2 = __smlad(q0, wb, s2);                                                                 \
        s3 = __smlabt(q0, wa, s3);                                                                \
        s3 = __smlatb(q0, wb, s3);                                                                \
        q1 = nnom_arm_load4((x) + 6);                                                             \
        s2 = smlabb_(q1, wc, s2);                                                                 \
        s3 = __smlabt(q1, wb, s3);                                                                \
        s3 = __smlatb(q1, wc, s3);                                                                \
    } while (0)
#define DW_ROW5_S2_4(x, R)                                                                        \
    do {                                                                                          \
        const uint32_t wa = wp[3 * (R)], wb = wp[3 * (R) + 1], wc = wp[3 * (R) + 2];              \
        uint32_t q0 = nnom_arm_load4(x), q1 = nnom_arm_load4((x) + 2), q2 = nnom_arm_load4((x) + 4); \
        s0 = __smlad(q0, wa, s0);                                                                 \
        s0 = __smlad(q1, wb, s0);                                                                 \
        s1 = __smlad(q1, wa, s1);                                                                 \
        s0 = smlabb_(q2, wc, s0);                                                                 \
        s1 = __smlad(q2, wb, s1);                                                                 \
        s2 = __smlad(q2, wa, s2);                                                                 \
        q0 = nnom_arm_load4((x) + 6);                                                             \
        s1 = smlabb_(q0, wc, s1);                                                                 \
        s2 = __smlad(q0, wb, s2);                                                                 \
        s3 = __smlad(q0, wa, s3);                                                                 \
        q1 = nnom_arm_load4((x) + 8);                                                             \
        s2 = smlabb_(q1, wc, s2);                                                                 \
        s3 = __smlad(q1, wb, s3);                                                                 \
        q2 = nnom_arm_load4((x) + 10);                                                            \
        s3 = smlabb_(q2, wc, s3);                                                                 \
    } while (0)
#define DW_ROW5_ONE(x, R)                                                                         \
    do {                                                                                          \
        s0 = __smlad(nnom_arm_load4(x), wp[3 * (R)], s0);                                         \
        s0 = __smlad(nnom_arm_load4((x) + 2), wp[3 * (R) + 1], s0);                               \
        s0 = smlabb_(nnom_arm_load4((x) + 4), wp[3 * (R) + 2], s0);                               \
    } while (0)

/* One output line of a 5x5 kernel (dil_w 1, stride 1 or 2): n outputs, kernel row r of output 0
 * at r0 + r * d, output j at o[j * step]; two outputs per pass, the odd last one alone. Reads
 * (n - 1) * stride + 6 int16 of each row (row_len's slack word). */
static inline __attribute__((always_inline)) void row5(const int16_t *r0, ptrdiff_t d, int32_t stride,
                                                       const uint32_t *wp, int32_t n, int8_t *o, int32_t step,
                                                       dw_k k, dw_mode mode, dw_clamp clamp)
{
    int32_t j = 0;
    for (; j + 4 <= n; j += 4, o += 4 * step) {
        int32_t s0 = k.init, s1 = k.init, s2 = k.init, s3 = k.init;
        const int16_t *x = r0 + j * stride;
        if (stride == 1) {
            DW_ROW5_S1_4(x, 0);
            x += d;
            DW_ROW5_S1_4(x, 1);
            x += d;
            DW_ROW5_S1_4(x, 2);
            x += d;
            DW_ROW5_S1_4(x, 3);
            x += d;
            DW_ROW5_S1_4(x, 4);
        } else {
            DW_ROW5_S2_4(x, 0);
            x += d;
            DW_ROW5_S2_4(x, 1);
            x += d;
            DW_ROW5_S2_4(x, 2);
            x += d;
            DW_ROW5_S2_4(x, 3);
            x += d;
            DW_ROW5_S2_4(x, 4);
        }
        o[0] = dw_out(s0, k, mode, clamp);
        o[step] = dw_out(s1, k, mode, clamp);
        o[2 * step] = dw_out(s2, k, mode, clamp);
        o[3 * step] = dw_out(s3, k, mode, clamp);
    }
    if (j + 2 <= n) {
        int32_t s0 = k.init, s1 = k.init;
        const int16_t *x = r0 + j * stride;
        if (stride == 1) {
            DW_ROW5_S1(x, 0);
            x += d;
            DW_ROW5_S1(x, 1);
            x += d;
            DW_ROW5_S1(x, 2);
            x += d;
            DW_ROW5_S1(x, 3);
            x += d;
            DW_ROW5_S1(x, 4);
        } else {
            DW_ROW5_S2(x, 0);
            x += d;
            DW_ROW5_S2(x, 1);
            x += d;
            DW_ROW5_S2(x, 2);
            x += d;
            DW_ROW5_S2(x, 3);
            x += d;
            DW_ROW5_S2(x, 4);
        }
        o[0] = dw_out(s0, k, mode, clamp);
        o[step] = dw_out(s1, k, mode, clamp);
        j += 2;
        o += 2 * step;
    }
    if (j < n) {
        int32_t s0 = k.init;
        const int16_t *x = r0 + j * stride;
        DW_ROW5_ONE(x, 0);
        x += d;
        DW_ROW5_ONE(x, 1);
        x += d;
        DW_ROW5_ONE(x, 2);
        x += d;
        DW_ROW5_ONE(x, 3);
        x += d;
        DW_ROW5_ONE(x, 4);
        o[0] = dw_out(s0, k, mode, clamp);
    }
}

/* n_rows lines of a 5x5 kernel (see row5; the kernel rows rows[r] equally spaced). */
#define DW_ROW5(name, stride, mode, clamp)                                                                        \
    DW_NOINLINE static void name(const dw_geom *g, const int16_t *const *rows, const uint32_t *wp, int32_t n,     \
                                 int8_t *o, const dw_k *kp, int32_t n_rows, int32_t row_step)                     \
    {                                                                                                             \
        const dw_k k = *kp;                                                                                       \
        const int32_t step = (int32_t)g->out_cs;                                                                  \
        const ptrdiff_t o_row = g->out_rs, d = rows[1] - rows[0];                                                 \
        const int16_t *r0 = rows[0];                                                                              \
        for (; n_rows > 0; n_rows--, o += o_row, r0 += row_step) row5(r0, d, stride, wp, n, o, step, k, mode, clamp); \
    }
DW_ROW5(row5_s1_zp_none, 1, DW_ZP, DW_CLAMP_NONE)
DW_ROW5(row5_s1_u_none, 1, DW_U, DW_CLAMP_NONE)
DW_ROW5(row5_s1_u, 1, DW_U, DW_CLAMP_BOTH)
DW_ROW5(row5_s2_zp_none, 2, DW_ZP, DW_CLAMP_NONE)
DW_ROW5(row5_s2_u_none, 2, DW_U, DW_CLAMP_NONE)
DW_ROW5(row5_s2_u, 2, DW_U, DW_CLAMP_BOTH)

/* Whether the planar path runs a layer (as it walks it) by row5(). */
static inline int dw_five(const nnom_conv_args *a)
{
    return a->k_h == 5 && a->k_w == 5 && a->dil_w == 1 && a->stride_w <= 2;
}

/* The lines of a 5x5 kernel: DW_GEN channels by row_any_gen, the others by row5 (DW_ZP
 * channels under a clamp in DW_U's form: the same values). */
static dw_row_fn row5_fn(int32_t stride, dw_mode mode, int no_clamp)
{
    if (mode == DW_GEN) return row_any_gen;
    if (stride == 1) return !no_clamp ? row5_s1_u : (mode == DW_ZP ? row5_s1_zp_none : row5_s1_u_none);
    return !no_clamp ? row5_s2_u : (mode == DW_ZP ? row5_s2_zp_none : row5_s2_u_none);
}

#else
/* built without the 5x5 paths (NNOM_DW_5X5_KERNELS 0): 5x5 layers take the general ones */
static inline int dw_five(const nnom_conv_args *a)
{
    (void)a;
    return 0;
}
#endif /* NNOM_DW_5X5_KERNELS */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_ROW5_H */
