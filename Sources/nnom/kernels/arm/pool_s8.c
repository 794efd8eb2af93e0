/*
 * int8 max and average pooling for Cortex-M cores with the DSP extension, the
 * twins of nnom_max_pool_s8(), nnom_avg_pool_s8() and nnom_global_avg_pool_s8()
 * in kernels/pool_s8.c (which includes this file in place of its own on such
 * cores): same functions, same results bit for bit, same in-place rule. The
 * global max pool stays portable.
 *
 * Max: four channels at a time. SSUB8 compares four int8 lanes at once
 * (setting one GE flag per lane where the new value is >= the running max)
 * and SEL keeps the larger byte of each lane: two instructions per cell for
 * four channels. The window of each output pixel is clipped to the input as
 * in Keras (padded cells are never looked at); the remaining C % 4 channels
 * are done one by one.
 *
 * Average (and sum): eight channels at a time, summed in int16 lanes: per
 * cell two word loads and four SXTAB16 (each adds two sign-extended bytes to
 * two int16 lanes). A lane holds the sum of at most POOL_LANE_CELLS cells
 * exactly (256 * 128 = 2^15 in magnitude, -2^15 included), after which the
 * lanes are added to int32 sums and cleared. Each channel's sum then goes
 * through nnom_avg_pool_out_s8() of pool.h, the portable kernel's own output
 * step. Four channels, then one by one, for the last C % 8.
 *
 * In place (out == in, no padding above or to the left): a pixel's channels
 * are written only after they were read from every cell of its window, and
 * later windows start at later input pixels (see pool.h).
 */
#include "kernels/arm/arm_dsp.h"

/* Compiled only as part of kernels/pool_s8.c, which includes this file on cores with DSP. */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)
#include <stddef.h>

#include "kernels/pool.h"

/* Valid cells [*lo, *hi) of the window of output index o along one axis. */
static void dsp_window_range(int32_t o, int32_t stride, int32_t pad, int32_t kernel, int32_t in, int32_t *lo,
                         int32_t *hi)
{
    const int32_t start = o * stride - pad, end = start + kernel;
    *lo = start < 0 ? 0 : start;
    *hi = end > in ? in : end;
}

static inline void store4(int8_t *p, uint32_t v) { memcpy(p, &v, 4); }

void nnom_max_pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out)
{
    const int32_t C = a->channels, C4 = C & ~3;
    const ptrdiff_t row = (ptrdiff_t)a->in_w * C;
    int8_t *o = out;
    for (int32_t oh = 0; oh < a->out_h; oh++) {
        int32_t h0, h1;
        dsp_window_range(oh, a->stride_h, a->pad_top, a->kernel_h, a->in_h, &h0, &h1);
        for (int32_t ow = 0; ow < a->out_w; ow++, o += C) {
            int32_t w0, w1;
            dsp_window_range(ow, a->stride_w, a->pad_left, a->kernel_w, a->in_w, &w0, &w1);
            const int8_t *first = in + h0 * row + (ptrdiff_t)w0 * C;
            const int32_t rows = h1 - h0, cols = w1 - w0;
            int32_t c = 0;
            if (rows == 2 && cols == 2) { /* the usual 2x2 window, unrolled */
                for (; c < C4; c += 4) {
                    const int8_t *p = first + c;
                    uint32_t m = nnom_arm_load4(p), v = nnom_arm_load4(p + C);
                    (void)__ssub8(v, m);
                    m = __sel(v, m);
                    v = nnom_arm_load4(p + row);
                    (void)__ssub8(v, m);
                    m = __sel(v, m);
                    v = nnom_arm_load4(p + row + C);
                    (void)__ssub8(v, m);
                    m = __sel(v, m);
                    store4(o + c, m);
                }
            } else {
                for (; c < C4; c += 4) {
                    const int8_t *r = first + c;
                    uint32_t m = nnom_arm_load4(r);
                    for (int32_t h = 0; h < rows; h++, r += row) {
                        const int8_t *p = r;
                        for (int32_t w = 0; w < cols; w++, p += C) {
                            const uint32_t v = nnom_arm_load4(p);
                            (void)__ssub8(v, m);
                            m = __sel(v, m);
                        }
                    }
                    store4(o + c, m);
                }
            }
            for (; c < C; c++) {
                const int8_t *r = first + c;
                int8_t m = *r;
                for (int32_t h = 0; h < rows; h++, r += row)
                    for (int32_t w = 0; w < cols; w++)
                        if (r[(ptrdiff_t)w * C] > m) m = r[(ptrdiff_t)w * C];
                o[c] = m;
            }
        }
    }
}

enum { POOL_LANE_CELLS = 256 }; /* cells whose int8 sum an int16 lane holds exactly */

/* The geometry of one output pixel's window. */
typedef struct {
    const int8_t *first; /* channel 0 of its first valid cell */
    ptrdiff_t row;       /* bytes between input rows */
    int32_t C;           /* bytes between cells of a row */
    int32_t rows, cols;  /* valid cells */
} dsp_window;

/* Adds the int16 lanes (channel order 0, 2 / 1, 3 of each word, see arm_dsp.h) to sums[0..3]. */
static inline void lanes_flush4(uint32_t s02, uint32_t s13, int32_t *sums)
{
    sums[0] += (int16_t)s02;
    sums[2] += (int16_t)(s02 >> 16);
    sums[1] += (int16_t)s13;
    sums[3] += (int16_t)(s13 >> 16);
}

/* sums[k] = sum of channel c + k over the window's cells, k < 8. */
static void window_sums8(const dsp_window *wd, int32_t c, int32_t sums[8])
{
    for (int k = 0; k < 8; k++) sums[k] = 0;
    uint32_t a = 0, b = 0, d = 0, e = 0;
    int32_t budget = POOL_LANE_CELLS;
    const int8_t *r = wd->first + c;
    for (int32_t h = 0; h < wd->rows; h++, r += wd->row) {
        const int8_t *p = r;
        for (int32_t done = 0; done < wd->cols;) {
            const int32_t left = wd->cols - done, run = left < budget ? left : budget;
            for (int32_t w = 0; w < run; w++, p += wd->C) {
                const uint32_t x = nnom_arm_load4(p), y = nnom_arm_load4(p + 4);
                a = __sxtab16(a, x);
                b = nnom_arm_widen_hi(b, x);
                d = __sxtab16(d, y);
                e = nnom_arm_widen_hi(e, y);
            }
            done += run;
            budget -= run;
            if (budget == 0) {
                lanes_flush4(a, b, sums);
                lanes_flush4(d, e, sums + 4);
                a = b = d = e = 0;
                budget = POOL_LANE_CELLS;
            }
        }
    }
    lanes_flush4(a, b, sums);
    lanes_flush4(d, e, sums + 4);
}

/* sums[k] = sum of channel c + k over the window's cells, k < 4. */
static void window_sums4(const dsp_window *wd, int32_t c, int32_t sums[4])
{
    for (int k = 0; k < 4; k++) sums[k] = 0;
    uint32_t a = 0, b = 0;
    int32_t budget = POOL_LANE_CELLS;
    const int8_t *r = wd->first + c;
    for (int32_t h = 0; h < wd->rows; h++, r += wd->row) {
        const int8_t *p = r;
        for (int32_t w = 0; w < wd->cols; w++, p += wd->C) {
            const uint32_t x = nnom_arm_load4(p);
            a = __sxtab16(a, x);
            b = nnom_arm_widen_hi(b, x);
            if (--budget == 0) {
                lanes_flush4(a, b, sums);
                a = b = 0;
                budget = POOL_LANE_CELLS;
            }
        }
    }
    lanes_flush4(a, b, sums);
}

/* The output step of nnom_avg_pool_out_s8() for one window size, with what it can make once. */
typedef struct {
    const nnom_pool_args *a;
    int32_t count;
    int fast;           /* the requantising form with shift >= 0 */
    int32_t czp;        /* count * in_zp */
} avg_out;

static void avg_out_init(avg_out *q, const nnom_pool_args *a, int32_t count)
{
    q->a = a;
    q->count = count;
    q->fast = a->rescale && a->shift >= 0;
    q->czp = count * a->in_zp;
}

/*
 * Equal to nnom_avg_pool_out_s8(a, sum, count). The fast form: with shift >= 0 the requantisation is
 * nnom_srdhm(x, m), x = (sum - count zp) 2^shift (the layers keep |x| <= 2^31 - 2^23, so x is never
 * -2^31, the one case where nnom_srdhm saturates), which is floor((x m + 2^30) / 2^31) (kernels/conv.h
 * shows the equality), and its rounding right shift is by 0.
 */
static inline int8_t avg_out_one(const avg_out *q, int32_t sum)
{
    const nnom_pool_args *a = q->a;
    if (!q->fast) return nnom_avg_pool_out_s8(a, sum, q->count);
    const int32_t x = (sum - q->czp) * (1 << a->shift);
    const int32_t v = (int32_t)(((int64_t)x * a->multiplier + ((int64_t)1 << 30)) >> 31);
    if (a->sum) return (int8_t)__ssat(v + a->out_zp, 8);
    const int32_t count = q->count, half = count / 2;
    const int32_t d = v >= 0 ? (v + half) / count : -((half - v) / count);
    return (int8_t)__ssat(d + a->out_zp, 8);
}

/* The averages (or sums, a->sum) of every channel of one output pixel into o. */
static void avg_pixel(const nnom_pool_args *a, const dsp_window *wd, int8_t *o)
{
    const int32_t C = wd->C, count = wd->rows * wd->cols;
    avg_out q;
    avg_out_init(&q, a, count);
    int32_t sums[8];
    int32_t c = 0;
    for (; c + 8 <= C; c += 8) {
        window_sums8(wd, c, sums);
        for (int k = 0; k < 8; k++) o[c + k] = avg_out_one(&q, sums[k]);
    }
    if (c + 4 <= C) {
        window_sums4(wd, c, sums);
        for (int k = 0; k < 4; k++) o[c + k] = avg_out_one(&q, sums[k]);
        c += 4;
    }
    for (; c < C; c++) {
        const int8_t *r = wd->first + c;
        int32_t sum = 0;
        for (int32_t h = 0; h < wd->rows; h++, r += wd->row)
            for (int32_t w = 0; w < wd->cols; w++) sum += r[(ptrdiff_t)w * C];
        o[c] = avg_out_one(&q, sum);
    }
}

void nnom_avg_pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out)
{
    dsp_window wd;
    wd.C = a->channels;
    wd.row = (ptrdiff_t)a->in_w * wd.C;
    int8_t *o = out;
    for (int32_t oh = 0; oh < a->out_h; oh++) {
        int32_t h0, h1;
        dsp_window_range(oh, a->stride_h, a->pad_top, a->kernel_h, a->in_h, &h0, &h1);
        wd.rows = h1 - h0;
        for (int32_t ow = 0; ow < a->out_w; ow++, o += wd.C) {
            int32_t w0, w1;
            dsp_window_range(ow, a->stride_w, a->pad_left, a->kernel_w, a->in_w, &w0, &w1);
            wd.cols = w1 - w0;
            wd.first = in + h0 * wd.row + (ptrdiff_t)w0 * wd.C;
            avg_pixel(a, &wd, o);
        }
    }
}

void nnom_global_avg_pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out)
{
    dsp_window wd;
    wd.first = in;
    wd.C = a->channels;
    wd.row = (ptrdiff_t)a->in_w * wd.C;
    wd.rows = a->in_h;
    wd.cols = a->in_w;
    avg_pixel(a, &wd, out);
}

#else
typedef int nnom_arm_pool_s8_unused; /* compiled on its own: empty (see above) */
#endif
