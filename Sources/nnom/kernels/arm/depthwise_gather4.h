/*
 * The gather of the group-plane path of the Cortex-M DSP depthwise
 * convolution (kernels/arm/depthwise_conv_s8.c, which includes this file):
 * the whole input plane of four neighbouring channels, padding included,
 * copied into four planar images of int16, one per channel, so that the row
 * loops of the planar path (two taps per SMLAD, depthwise_quad3.h) run on
 * them without bounds tests and without a gather per channel.
 *
 * Image k, row y, column x holds channel c0 + k of input pixel
 * (y - top, x - left), or the input zero point where that lies outside the
 * input (see depthwise_conv_s8.c for why the zero point). Two neighbouring
 * pixels of four channels are two words of the HWC input; PKHBT / PKHTB
 * regroup their bytes into halves of two channels each, and SXTB16 widens
 * those into the pairs (ch k at x, ch k at x + 1): one word store per image.
 * Per two pixels: 2 loads, 2 PKH, 4 SXTB16, 4 stores. Rows of five or six
 * pixels with one column of padding each side (DS-CNN's 25 x 5 planes, walked
 * along their rows, MobileNets' 6 x 6) in one assembly pass per row
 * (dw_gather5(), dw_gather6()). With one strip per plane
 * the rows of padding are written for the first group only (every group's
 * images then hold the same zero point there: pad_done).
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_GATHER4_H
#define NNOM_KERNELS_ARM_DEPTHWISE_GATHER4_H

#include "kernels/arm/arm_dsp.h"

#if NNOM_USE_ARM_DSP
#include <stddef.h>
#include <stdint.h>

/* The input plane as the gather walks it (the planar path's view: rows and columns may be the
 * layer's columns and rows, for a tall and narrow plane). */
typedef struct {
    const int8_t *in;   /* channel c0 of input pixel (0, 0) */
    ptrdiff_t rs, cs;   /* bytes between input rows, between input columns */
    int32_t h, w;       /* input rows and columns */
    int32_t top, left;  /* image rows above the input's first row (negative: the image starts at
                           input row -top), image columns left of its first column */
    int32_t ph, pitch;  /* image rows; int16 per image row (even) */
    int32_t plane;      /* words from an image to the next (at least ph * pitch / 2) */
    int32_t zp;         /* the input zero point */
    int32_t pad_done;   /* the image rows outside the input already hold the zero point (an earlier
                           call of the same geometry wrote them): not written again */
} dw_gather4_args;

/* (bottom halves of lo and hi) and (top halves of lo and hi), as int16 pairs */
static inline uint32_t dw_pk_bottoms(uint32_t lo, uint32_t hi)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}
static inline uint32_t dw_pk_tops(uint32_t lo, uint32_t hi)
{
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
    return r;
}

/* Pixels x and x + 1 of four channels (words w0 = (a0, a1, a2, a3), w1 = (b0 .. b3)) into word
 * i of the four images, plane words apart: (a0, a1, b0, b1) and (a2, a3, b2, b3) by PKHBT / PKHTB,
 * then SXTB16 of each at rotations 0 and 8 gives (a0, b0), (a1, b1), (a2, b2), (a3, b3). */
static inline __attribute__((always_inline)) void dw_gather4_pair(uint32_t w0, uint32_t w1, uint32_t *d,
                                                                  int32_t plane)
{
    const uint32_t p01 = dw_pk_bottoms(w0, w1), p23 = dw_pk_tops(w0, w1);
    d[0] = nnom_arm_pairs_lo(p01);
    d[plane] = nnom_arm_pairs_hi(p01);
    d[2 * plane] = nnom_arm_pairs_lo(p23);
    d[3 * plane] = nnom_arm_pairs_hi(p23);
}

/* One pair of pixels of dw_gather4_run: 13 instructions. */
#define DW_GATHER4_PAIR                                  \
    "ldr    %[w0], [%[s]]\n\t"                          \
    "ldr    %[w1], [%[s], %[cs]]\n\t"                   \
    "add    %[s], %[s], %[cs], lsl #1\n\t"              \
    "pkhbt  %[t], %[w0], %[w1], lsl #16\n\t"            \
    "pkhtb  %[w1], %[w1], %[w0], asr #16\n\t"           \
    "sxtb16 %[w0], %[t]\n\t"                            \
    "sxtb16 %[t], %[t], ror #8\n\t"                     \
    "str    %[w0], [%[d]], #4\n\t"                      \
    "str    %[t], [%[d1]], #4\n\t"                      \
    "sxtb16 %[w0], %[w1]\n\t"                           \
    "sxtb16 %[w1], %[w1], ror #8\n\t"                   \
    "str    %[w0], [%[d2]], #4\n\t"                     \
    "str    %[w1], [%[d3]], #4\n\t"

/* n >= 1 pairs of pixels inside the input, from s (columns cs bytes apart) into words d[0 .. n)
 * of the four images (plane words apart): an odd first pair alone, then two per pass (28
 * instructions). */
static inline void dw_gather4_run(const int8_t *s, ptrdiff_t cs, uint32_t *d, int32_t plane, int32_t n)
{
    uint32_t *d1 = d + plane, *d2 = d + 2 * plane, *d3 = d + 3 * plane;
    uint32_t w0, w1, t;
    __asm__ volatile("lsrs   %[n], %[n], #1\n\t" /* C: n odd; Z: no two pairs */
                     "bcc    2f\n\t" DW_GATHER4_PAIR
                     "2:\n\t"
                     "beq    3f\n"
                     "1:\n\t" DW_GATHER4_PAIR DW_GATHER4_PAIR
                     "subs   %[n], %[n], #1\n\t"
                     "bne    1b\n"
                     "3:\n\t"
                     : [s] "+r"(s), [d] "+r"(d), [d1] "+r"(d1), [d2] "+r"(d2), [d3] "+r"(d3), [n] "+r"(n),
                       [w0] "=&r"(w0), [w1] "=&r"(w1), [t] "=&r"(t)
                     : [cs] "r"(cs)
                     : "cc", "memory");
}

/* Rows of five or six input pixels with one column of padding each side (DS-CNN's 25 x 5 and
 * MobileNets' 6 x 6 planes, same padding), images of 8 int16 a row: the four words of a row,
 * (zp, x0), (x1, x2), (x3, x4), then (zp, zp) or (x5, zp), of the four channels in one pass
 * (PKHBT / PKHTB with the zero point's word for the pairs half in the padding; 44 and 52
 * instructions a row. Measured per multiply-accumulate, against dw_gather4_run() and the
 * border columns in C: 25 x 5 x 64 0.33 -> 0.27 with the rows of padding written once, 6 x 6 x 128
 * 0.52 -> 0.35; rows of any width below, 24 x 24 x 32 0.36 -> 0.33). */
typedef struct {
    const int8_t *s;      /*  0: pixel x0 of the first row, channel c0 */
    int32_t cs, rs;       /*  4,  8: bytes between pixels, between rows */
    uint32_t *d[4];       /* 12: each image's first word of the first row */
    uint32_t zp4, zpp;    /* 28, 32: the zero point in four bytes, in two int16 */
    const uint32_t *end;  /* 36: d[0] after the last row */
    int32_t mid;          /* 40: bytes from x1 to the pixel after the row's middle pairs (any width) */
} dw_gather5_args;
typedef char nnom_gather5_offsets_ok[offsetof(dw_gather5_args, d) == 12 && offsetof(dw_gather5_args, zp4) == 28 &&
                                             offsetof(dw_gather5_args, end) == 36 &&
                                             offsetof(dw_gather5_args, mid) == 40
                                         ? 1
                                         : -1];
enum { DW_GATHER5_W = 5, DW_GATHER6_W = 6 }; /* pixels of a row of dw_gather5(), dw_gather6() */

/* Words r12 = (a0, a1, b0, b1), r11 = (a2, a3, b2, b3) of pixels a, b into the four images (r4-r7). */
#define DW_GATHER5_STORE                \
    "sxtb16 r10, r12\n\t"               \
    "sxtb16 r12, r12, ror #8\n\t"       \
    "str    r10, [r4], #4\n\t"          \
    "str    r12, [r5], #4\n\t"          \
    "sxtb16 r10, r11\n\t"               \
    "sxtb16 r11, r11, ror #8\n\t"       \
    "str    r10, [r6], #4\n\t"          \
    "str    r11, [r7], #4\n\t"
/* Words (r10, r11) = pixels (x, x + 1) of four channels. */
#define DW_GATHER5_PAIR                 \
    "pkhbt  r12, r10, r11, lsl #16\n\t" \
    "pkhtb  r11, r11, r10, asr #16\n\t" DW_GATHER5_STORE
/* The last word of a row: (zp, zp), or (x5, zp) (r1 + 2 cs in lr). */
#define DW_GATHER5_LAST                 \
    "str    r9, [r4], #4\n\t"           \
    "str    r9, [r5], #4\n\t"           \
    "str    r9, [r6], #4\n\t"           \
    "str    r9, [r7], #4\n\t"
#define DW_GATHER6_LAST                 \
    "add    lr, lr, r2\n\t"             \
    "ldr    r11, [lr, r2, lsl #1]\n\t"  \
    "pkhbt  r12, r11, r8, lsl #16\n\t"  /* (a0, a1, z, z) */ \
    "pkhtb  r11, r8, r11, asr #16\n\t"  /* (a2, a3, z, z) */ DW_GATHER5_STORE
/* Precondition: end = d[0] + 4 k, k >= 1 rows. */
#define DW_GATHER5_BODY(LAST)                                                            \
    __asm__ volatile("push   {r4-r11, lr}\n\t"                                          \
                     "ldmia  r0, {r1-r9}\n" /* s, cs, rs, d0-d3, zp4, zpp */              \
                     "1:\n\t"                                                           \
                     "ldr    r11, [r1]\n\t"                                             \
                     "pkhbt  r12, r8, r11, lsl #16\n\t" /* (z, z, a0, a1) */            \
                     "pkhtb  r11, r11, r8, asr #16\n\t" /* (z, z, a2, a3) */ DW_GATHER5_STORE \
                     "ldr    r10, [r1, r2]\n\t"                                         \
                     "ldr    r11, [r1, r2, lsl #1]\n\t"                                 \
                     "add    lr, r1, r2, lsl #1\n\t" DW_GATHER5_PAIR                    \
                     "ldr    r10, [lr, r2]\n\t"                                         \
                     "ldr    r11, [lr, r2, lsl #1]\n\t" DW_GATHER5_PAIR LAST            \
                     "add    r1, r1, r3\n\t"                                            \
                     "ldr    r10, [r0, #36]\n\t"                                        \
                     "cmp    r4, r10\n\t"                                               \
                     "bne    1b\n\t"                                                    \
                     "pop    {r4-r11, pc}\n\t");
__attribute__((naked, noinline)) static void dw_gather5(__attribute__((unused)) const dw_gather5_args *p)
{
    DW_GATHER5_BODY(DW_GATHER5_LAST)
}
__attribute__((naked, noinline)) static void dw_gather6(__attribute__((unused)) const dw_gather5_args *p)
{
    DW_GATHER5_BODY(DW_GATHER6_LAST)
}

/* The same for rows of any width w >= 3 (MobileNets' 12 x 12 and 24 x 24): (zp, x0), a loop over
 * the middle pairs (x1, x2) .. (15 instructions each), then (zp, zp) for an odd w or (x_w-1, zp)
 * for an even one (lr at x_w-1 after the loop); the middle's end in r3, rs read per row. */
#define DW_GATHER_ODD_LAST DW_GATHER5_LAST
#define DW_GATHER_EVEN_LAST             \
    "ldr    r11, [lr]\n\t"              \
    "pkhbt  r12, r11, r8, lsl #16\n\t"  \
    "pkhtb  r11, r8, r11, asr #16\n\t" DW_GATHER5_STORE
#define DW_GATHER_ROWS_BODY(LAST)                                                        \
    __asm__ volatile("push   {r4-r11, lr}\n\t"                                          \
                     "ldmia  r0, {r1-r9}\n"                                              \
                     "1:\n\t"                                                           \
                     "ldr    r11, [r1]\n\t"                                             \
                     "pkhbt  r12, r8, r11, lsl #16\n\t"                                 \
                     "pkhtb  r11, r11, r8, asr #16\n\t" DW_GATHER5_STORE                \
                     "add    lr, r1, r2\n\t"                                            \
                     "ldr    r3, [r0, #40]\n\t"                                         \
                     "add    r3, r3, lr\n"                                               \
                     "2:\n\t"                                                           \
                     "ldr    r10, [lr]\n\t"                                             \
                     "ldr    r11, [lr, r2]\n\t"                                         \
                     "add    lr, lr, r2, lsl #1\n\t" DW_GATHER5_PAIR                    \
                     "cmp    lr, r3\n\t"                                                \
                     "bne    2b\n\t" LAST                                               \
                     "ldr    r10, [r0, #8]\n\t"                                         \
                     "add    r1, r1, r10\n\t"                                           \
                     "ldr    r10, [r0, #36]\n\t"                                        \
                     "cmp    r4, r10\n\t"                                               \
                     "bne    1b\n\t"                                                    \
                     "pop    {r4-r11, pc}\n\t");
__attribute__((naked, noinline)) static void dw_gather_odd(__attribute__((unused)) const dw_gather5_args *p)
{
    DW_GATHER_ROWS_BODY(DW_GATHER_ODD_LAST)
}
__attribute__((naked, noinline)) static void dw_gather_even(__attribute__((unused)) const dw_gather5_args *p)
{
    DW_GATHER_ROWS_BODY(DW_GATHER_EVEN_LAST)
}

/* The four images at img (word aligned; image k at img + k * ph * pitch). The caller leaves
 * two int16 after the last image for the row loops' word loads past a row's last tap. */
static inline __attribute__((always_inline)) void dw_gather4(const dw_gather4_args *g, int16_t *img)
{
    const uint32_t zpp = (uint32_t)(uint16_t)g->zp * 0x00010001u, zp4 = (uint32_t)(uint8_t)g->zp * 0x01010101u;
    const int32_t pairs = g->pitch / 2, plane = g->plane;
    const ptrdiff_t cs = g->cs, rs = g->rs;
    /* image rows [y0, y1) hold input rows; pairs [ia, ib) have both pixels inside the input's columns */
    const int32_t y0 = g->top <= 0 ? 0 : (g->top < g->ph ? g->top : g->ph);
    const int32_t y1 = g->top + g->h < g->ph ? g->top + g->h : g->ph;
    const int32_t ia = (g->left + 1) / 2;
    int32_t ib = (g->w + g->left) / 2;
    if (ib > pairs) ib = pairs;
    if (ib < ia) ib = ia;
    uint32_t *d = (uint32_t *)(void *)img;
    for (int32_t y = 0; y < g->ph && !g->pad_done; y++) {
        if (y >= y0 && y < y1) continue;
        for (uint32_t *e = d + y * pairs, *end = e + pairs; e < end; e++) e[0] = e[plane] = e[2 * plane] = e[3 * plane] = zpp;
    }
    if (y1 <= y0) return;
    const int8_t *row0 = g->in + (ptrdiff_t)(y0 - g->top) * rs;
    /* one column of padding each side: rows in assembly */
    if (g->left == 1 && g->w >= 3 && pairs == (g->w + 3) / 2) {
        dw_gather5_args f;
        f.s = row0;
        f.cs = (int32_t)cs;
        f.rs = (int32_t)rs;
        for (int32_t k = 0; k < 4; k++) f.d[k] = d + k * plane + y0 * pairs;
        f.zp4 = zp4;
        f.zpp = zpp;
        f.end = f.d[0] + (y1 - y0) * pairs;
        f.mid = (int32_t)(((g->w - 1) & ~1) * cs);
        if (g->w == DW_GATHER5_W || g->w == DW_GATHER6_W) (g->w == DW_GATHER5_W ? dw_gather5 : dw_gather6)(&f);
        else (g->w & 1 ? dw_gather_odd : dw_gather_even)(&f);
        return;
    }
    /* the pairs that reach into the padding, a column at a time: a pixel outside reads the
     * zero point's word, with no step from row to row */
    for (int32_t i = 0; i < pairs; i++) {
        if (i == ia) i = ib;
        if (i >= pairs) break;
        const int32_t x = 2 * i - g->left;
        const int in0 = (uint32_t)x < (uint32_t)g->w, in1 = (uint32_t)(x + 1) < (uint32_t)g->w;
        const int8_t *p0 = in0 ? row0 + (ptrdiff_t)x * cs : (const int8_t *)&zp4;
        const int8_t *p1 = in1 ? row0 + (ptrdiff_t)(x + 1) * cs : (const int8_t *)&zp4;
        const ptrdiff_t st0 = in0 ? rs : 0, st1 = in1 ? rs : 0;
        for (uint32_t *e = d + y0 * pairs + i, *end = d + y1 * pairs + i; e < end; e += pairs, p0 += st0, p1 += st1)
            dw_gather4_pair(nnom_arm_load4(p0), nnom_arm_load4(p1), e, plane);
    }
    if (ib > ia) {
        const int8_t *s = row0 + (ptrdiff_t)(2 * ia - g->left) * cs;
        for (int32_t y = y0; y < y1; y++, s += rs) dw_gather4_run(s, cs, d + y * pairs + ia, plane, ib - ia);
    }
}

#endif /* NNOM_USE_ARM_DSP */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_GATHER4_H */
