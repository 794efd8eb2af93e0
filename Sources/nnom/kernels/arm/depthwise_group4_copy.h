/*
 * The copies of a group's input that the channel-group path of the Cortex-M
 * DSP depthwise convolution (depthwise_group4.h, which includes this file)
 * runs its assembly passes on: the padded copy of a plane (or of a strip of
 * its rows), one word of four channels per pixel or widened to two words of
 * int16 pairs, the input zero point in the padding.
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_GROUP4_COPY_H
#define NNOM_KERNELS_ARM_DEPTHWISE_GROUP4_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/conv.h"

#include "kernels/arm/arm_dsp.h"

/* What dw_g_widen_rows() reads (offsets used by its assembly, checked below). */
typedef struct {
    const int8_t *s; /*  0: the first row's first pixel, channel c0 */
    int32_t cs;      /*  4: bytes between pixels */
    uint32_t *d;     /*  8: where the first row's words go (word aligned) */
    int32_t n;       /* 12: pixels per row, >= 0 */
    int32_t rows;    /* 16: rows, >= 1 (counted down) */
    int32_t rs;      /* 20: bytes between input rows */
    int32_t d_rs;    /* 24: bytes between rows of d */
} dw_g_widen_args;
typedef char nnom_dw_g_widen_offsets_ok[offsetof(dw_g_widen_args, cs) == 4 && offsetof(dw_g_widen_args, d) == 8 &&
                                                offsetof(dw_g_widen_args, n) == 12 &&
                                                offsetof(dw_g_widen_args, rows) == 16 &&
                                                offsetof(dw_g_widen_args, rs) == 20 &&
                                                offsetof(dw_g_widen_args, d_rs) == 24
                                            ? 1
                                            : -1];

/* rows x n pixels of four channels widened into two words each, (x0, x2), (x1, x3): four pixels
 * per pass by four single loads (pipelined), eight SXTB16 and one STM of eight words (27 estimated
 * cycles where two passes of two pixels, LDR and STRD, took 36), then the row's last 0-3 pixels
 * one at a time. Registers: lr the arguments, r0 the input, r1 cs, r12 3 cs, r2 the output, r3
 * the count, r4-r11 the words (in memory order, as STM stores them). */
__attribute__((naked, noinline)) static void dw_g_widen_rows(__attribute__((unused)) dw_g_widen_args *w)
{
    __asm__ volatile("push   {r4-r11, lr}\n\t"
                     "mov    lr, r0\n\t"
                     "ldr    r1, [lr, #4]\n\t"
                     "add    r12, r1, r1, lsl #1\n"
                     "2:\n\t"
                     "ldr    r0, [lr, #0]\n\t"
                     "ldr    r2, [lr, #8]\n\t"
                     "ldr    r3, [lr, #12]\n\t"
                     "lsrs   r3, r3, #2\n\t"
                     "beq    4f\n"
                     "1:\n\t"
                     "ldr    r5, [r0]\n\t"
                     "ldr    r7, [r0, r1]\n\t"
                     "ldr    r9, [r0, r1, lsl #1]\n\t"
                     "ldr    r11, [r0, r12]\n\t"
                     "add    r0, r0, r1, lsl #2\n\t"
                     "sxtb16 r4, r5\n\t"
                     "sxtb16 r5, r5, ror #8\n\t"
                     "sxtb16 r6, r7\n\t"
                     "sxtb16 r7, r7, ror #8\n\t"
                     "sxtb16 r8, r9\n\t"
                     "sxtb16 r9, r9, ror #8\n\t"
                     "sxtb16 r10, r11\n\t"
                     "sxtb16 r11, r11, ror #8\n\t"
                     "stmia  r2!, {r4-r11}\n\t"
                     "subs   r3, r3, #1\n\t"
                     "bne    1b\n"
                     "4:\n\t"
                     "ldr    r3, [lr, #12]\n\t"
                     "ands   r3, r3, #3\n\t"
                     "beq    6f\n"
                     "5:\n\t"
                     "ldr    r5, [r0]\n\t"
                     "add    r0, r0, r1\n\t"
                     "sxtb16 r4, r5\n\t"
                     "sxtb16 r5, r5, ror #8\n\t"
                     "stmia  r2!, {r4, r5}\n\t"
                     "subs   r3, r3, #1\n\t"
                     "bne    5b\n"
                     "6:\n\t"
                     "ldmia  lr, {r0, r1, r2, r3, r4, r5, r6}\n\t" /* s, cs, d, n, rows, rs, d_rs */
                     "add    r0, r0, r5\n\t"
                     "add    r2, r2, r6\n\t"
                     "subs   r4, r4, #1\n\t"
                     "str    r0, [lr, #0]\n\t"
                     "str    r2, [lr, #8]\n\t"
                     "str    r4, [lr, #16]\n\t"
                     "bne    2b\n\t"
                     "pop    {r4-r11, pc}\n\t");
}

/* n >= 0 pixels of the zero point, (z_lo, z_hi) each, from d; where they end. */
static inline uint32_t *dw_g_zp_run(uint32_t *d, int32_t n, uint32_t z_lo, uint32_t z_hi)
{
    for (; n > 0; n--, d += 2) d[0] = z_lo, d[1] = z_hi;
    return d;
}

/* dw_g_pad_copy() widened (widen 1): the rows above and below the input and the columns left and
 * right of it the zero point (unless border is 0: an earlier copy of the same geometry left them
 * there), the rest by dw_g_widen_rows(). */
static inline __attribute__((always_inline)) void dw_g_pad_copy_w(const nnom_conv_args *a, const int8_t *in, int32_t c0,
                                                                  uint32_t *d, int32_t ph, int32_t pw, int border)
{
    const uint32_t zp4 = (uint32_t)(uint8_t)a->in_zp * 0x01010101u;
    const uint32_t z_lo = nnom_arm_pairs_lo(zp4), z_hi = nnom_arm_pairs_hi(zp4);
    /* rows [y0, y1) and columns [x0, x1) inside the input */
    const int32_t y0 = a->pad_top < ph ? a->pad_top : ph, x0 = a->pad_left < pw ? a->pad_left : pw;
    int32_t y1 = a->in_h + a->pad_top < ph ? a->in_h + a->pad_top : ph;
    int32_t x1 = a->in_w + a->pad_left < pw ? a->in_w + a->pad_left : pw;
    if (y1 < y0) y1 = y0;
    if (x1 < x0) x1 = x0;
    if (border) dw_g_zp_run(d, y0 * pw, z_lo, z_hi);
    d += 2 * y0 * pw;
    if (y1 > y0 && x1 > x0) {
        dw_g_widen_args w;
        w.s = in + c0;
        w.cs = a->in_c;
        w.d = d + 2 * x0;
        w.n = x1 - x0;
        w.rows = y1 - y0;
        w.rs = a->in_w * a->in_c;
        w.d_rs = 2 * pw * (int32_t)sizeof(uint32_t);
        dw_g_widen_rows(&w);
    }
    if (!border) return;
    for (int32_t y = y0; y < y1; y++, d += 2 * pw) {
        dw_g_zp_run(d, x0, z_lo, z_hi);
        dw_g_zp_run(d + 2 * x1, pw - x1, z_lo, z_hi);
    }
    dw_g_zp_run(d, (ph - y1) * pw, z_lo, z_hi);
}

/* dw_g_pad_copy(): the input a 3x3 output plane reads, of channels c0 .. c0 + 3, copied into pad
 * (one word per pixel, rows of pw words, the input zero point where the taps fall in the
 * padding); or, widened, two words per pixel (x0, x2), (x1, x3) as int16 pairs, rows of 2 pw
 * words. */
static inline __attribute__((always_inline)) void dw_g_pad_copy(const nnom_conv_args *a, const int8_t *in, int32_t c0, uint32_t *pad,
                                                    int32_t ph, int32_t pw, int widen)
{
    if (widen == 1) {
        dw_g_pad_copy_w(a, in, c0, pad, ph, pw, 1);
        return;
    }
    if (widen == 2) { /* widened and transposed: pixel (y, x) at words 2 (x ph + y), 2 (x ph + y) + 1 */
        const uint32_t zp4t = (uint32_t)(uint8_t)a->in_zp * 0x01010101u;
        const uint32_t z_lo = nnom_arm_pairs_lo(zp4t), z_hi = nnom_arm_pairs_hi(zp4t);
        const ptrdiff_t in_rs = (ptrdiff_t)a->in_w * a->in_c;
        /* rows [y0, y1) inside the input */
        const int32_t y0 = a->pad_top < ph ? a->pad_top : ph;
        const int32_t y1 = a->in_h + a->pad_top < ph ? (a->in_h + a->pad_top > y0 ? a->in_h + a->pad_top : y0) : ph;
        for (int32_t x = 0; x < pw; x++) {
            const int32_t ix = x - a->pad_left;
            uint32_t *d = pad + 2 * x * ph;
            int32_t y = 0;
            if (ix < 0 || ix >= a->in_w) {
                for (; y < ph; y++) d[2 * y] = z_lo, d[2 * y + 1] = z_hi;
                continue;
            }
            for (; y < y0; y++) d[2 * y] = z_lo, d[2 * y + 1] = z_hi;
            const int8_t *s = in + (ptrdiff_t)(y0 - a->pad_top) * in_rs + (ptrdiff_t)ix * a->in_c + c0;
            for (uint32_t *e = d + 2 * y0, *end = d + 2 * y1; e < end; e += 2, s += in_rs) {
                const uint32_t v = nnom_arm_load4(s);
                e[0] = nnom_arm_pairs_lo(v);
                e[1] = nnom_arm_pairs_hi(v);
            }
            for (y = y1; y < ph; y++) d[2 * y] = z_lo, d[2 * y + 1] = z_hi;
        }
        return;
    }
    const uint32_t zp4 = (uint32_t)(uint8_t)a->in_zp * 0x01010101u;
    const ptrdiff_t in_c = a->in_c;
    for (int32_t y = 0; y < ph; y++) {
        const int32_t iy = y - a->pad_top;
        uint32_t *d = pad + y * pw;
        if (iy < 0 || iy >= a->in_h) {
            for (int32_t x = 0; x < pw; x++) d[x] = zp4;
            continue;
        }
        /* columns [x0, x1) inside the input */
        const int32_t x0 = a->pad_left < pw ? a->pad_left : pw;
        const int32_t x1 = a->in_w + a->pad_left < pw ? a->in_w + a->pad_left : pw;
        const int8_t *s = in + (ptrdiff_t)iy * a->in_w * in_c + c0;
        int32_t x = 0;
        for (; x < x0; x++) d[x] = zp4;
        for (; x < x1; x++, s += in_c) d[x] = nnom_arm_load4(s);
        for (; x < pw; x++) d[x] = zp4;
    }
}

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_GROUP4_COPY_H */
