/*
 * int8 dense kernel for Cortex-M cores with the DSP extension, the twin of
 * kernels/dense_s8.c: same function, same results bit for bit.
 *
 * Four output rows at a time (the last block overlapping the previous one
 * when out_features is not a multiple of 4; fewer than four rows one by one).
 * Each group of four inputs is loaded once and widened to two int16 pairs
 * with the zero point subtracted (SXTAB16), then meets each row's four
 * weights, widened by SXTB16 into the same (e0, e2) / (e1, e3) pairing: two
 * SMLAD per row. A dense layer uses each weight once, so the weight widening
 * stays in the loop: 23 instructions for 16 multiply-accumulates, in an
 * assembly routine (dot_rows4_asm: 14 registers, which GCC's C spills). The
 * last len % 4 inputs are summed one by one.
 *
 * The accumulators are exact as in the portable kernel: int32 over chunks of
 * at most 65536 inputs (|x - zp| * |w| <= 255 * 128), summed into int64,
 * then requantised by nnom_dense_output() of dense.h.
 */
#include "kernels/arm/arm_dsp.h"

/* Compiled only as part of kernels/dense_s8.c, which includes this file on cores with DSP. */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)
#include <stddef.h>

#include "kernels/dense.h"
#include "kernels/requant.h"

enum { DENSE_CHUNK = 65536 };

/* What dot_rows4_asm reads (offsets are used by its assembly). */
typedef struct {
    int32_t stride;   /* 0: bytes between weight rows */
    int32_t n;        /* 4: groups of four inputs, >= 1 */
    uint32_t neg_zp;  /* 8: -zp in both int16 lanes */
} rows4_args;

/* One group of four inputs for the four rows: the inputs widened once
 * (r2, r3), each row's four weights loaded and widened (r12, lr), two SMLAD
 * per row: 23 instructions for 16 multiply-accumulates. Rows 0 and 1 are
 * read through r1 (r1 and r1 + stride), rows 2 and 3 through r8. */
#define ROWS4_ROW(LOAD, S)                    \
    LOAD                                      \
    "sxtb16 lr, r12, ror #8\n\t"              \
    "sxtb16 r12, r12\n\t"                     \
    "smlad  " S ", r2, r12, " S "\n\t"        \
    "smlad  " S ", r3, lr, " S "\n\t"
#define ROWS4_GROUP                                         \
    "ldr     r2, [r0], #4\n\t"                              \
    "sxtab16 r3, r10, r2, ror #8\n\t"                       \
    "sxtab16 r2, r10, r2\n\t"                               \
    ROWS4_ROW("ldr r12, [r1, r9]\n\t", "r5")                \
    ROWS4_ROW("ldr r12, [r1], #4\n\t", "r4")                \
    ROWS4_ROW("ldr r12, [r8, r9]\n\t", "r7")                \
    ROWS4_ROW("ldr r12, [r8], #4\n\t", "r6")

/* s[r] = sum_i (x[i] - zp) * w[r * stride + i] for rows r = 0..3, i < 4 * p->n. */
/* (naked: the body is the assembly alone; the arguments arrive in r0-r3) */
#define ARG __attribute__((unused))
__attribute__((naked, noinline)) static void dot_rows4_asm(ARG const int8_t *x, ARG const int8_t *w,
                                                           ARG const rows4_args *p, ARG int32_t s[4])
{
    __asm__ volatile(
        "push    {r3-r11, lr}\n\t"
        "ldr     r9, [r2]\n\t"      /* stride */
        "ldr     r11, [r2, #4]\n\t" /* n */
        "ldr     r10, [r2, #8]\n\t" /* -zp */
        "add     r8, r1, r9, lsl #1\n\t"
        "movs    r4, #0\n\t"
        "movs    r5, #0\n\t"
        "movs    r6, #0\n\t"
        "movs    r7, #0\n\t"
        "lsrs    r11, r11, #1\n\t"
        "bcc     1f\n\t"
        "adds    r11, r11, #1\n\t"
        "b       2f\n"
        "1:\n\t" ROWS4_GROUP "2:\n\t" ROWS4_GROUP
        "subs    r11, r11, #1\n\t"
        "bne     1b\n\t"
        "ldr     r3, [sp]\n\t"
        "stm     r3, {r4-r7}\n\t"
        "pop     {r3-r11, pc}\n\t");
}

/* sum_i (x[i] - zp) * w[r * stride + i] for rows r = 0..3, i < len. */
static void dot_rows4(const int8_t *x, const int8_t *w, size_t stride, int32_t len, int32_t zp, int32_t s[4])
{
    const int8_t *w0 = w, *w1 = w + stride, *w2 = w1 + stride, *w3 = w2 + stride;
    const int32_t n = len >> 2;
    int32_t i = 4 * n;
    if (n) {
        rows4_args p;
        p.stride = (int32_t)stride;
        p.n = n;
        p.neg_zp = (uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u;
        dot_rows4_asm(x, w, &p, s);
    } else {
        s[0] = s[1] = s[2] = s[3] = 0;
    }
    for (; i < len; i++) {
        const int32_t xv = x[i] - zp;
        s[0] += xv * w0[i];
        s[1] += xv * w1[i];
        s[2] += xv * w2[i];
        s[3] += xv * w3[i];
    }
}


void nnom_dense_s8(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    const int32_t n = a->in_features, zp = a->in_zero_point, out_f = a->out_features;
    /* four rows at a time; the last block ends at the last row (rows computed
     * twice give the same bytes); fewer than four rows: one at a time, its four
     * sums all of the same row (stride 0) */
    const int32_t rows = out_f < 4 ? 1 : 4;
    const size_t stride = out_f < 4 ? 0 : (size_t)n;
    for (int32_t o = 0; o < out_f; o += rows) {
        if (o + rows > out_f) o = out_f - rows;
        const int8_t *w = a->weights + (size_t)o * (size_t)n;
        int64_t acc[4] = {0, 0, 0, 0};
        for (int32_t start = 0; start < n; start += DENSE_CHUNK) {
            const int32_t len = n - start < DENSE_CHUNK ? n - start : DENSE_CHUNK;
            int32_t part[4];
            dot_rows4(in + start, w + start, stride, len, zp, part);
            for (int r = 0; r < 4; r++) acc[r] += part[r];
        }
        for (int r = 0; r < rows; r++) out[o + r] = nnom_dense_output(a, o + r, acc[r]);
    }
}

#else
typedef int nnom_arm_dense_s8_unused; /* compiled on its own: empty (see above) */
#endif
