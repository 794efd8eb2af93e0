/*
 * int8 pooling kernels.
 *
 * The work of one output pixel is an element-wise max (or sum) of the C
 * channels of every cell of its window. Channels are processed 16 at a time
 * in a small local array: loops with a constant trip of 16 are what GCC's
 * -O2 vectoriser accepts, and a local accumulator keeps the kernels correct
 * when the output overwrites the input (see pool.h). The channels left over
 * when C is not a multiple of 16:
 *  - C >= 16: one more block ending at channel C, overlapping the previous
 *    one; it is computed before the pixel's other blocks are written and
 *    stored after them, so in-place runs never read an overwritten value;
 *  - C < 16: a 16-byte block is read anyway, running into the next pixels
 *    (inside the input, checked), and only the C real channels are stored;
 *    near the end of the input a scalar loop takes over.
 * Reading extra lanes costs nothing in a vector and keeps every access inside
 * the tensor, so there is no undefined behaviour and no scratch memory.
 */
#include "kernels/pool.h"
#include "kernels/requant.h"
#include "kernels/arm/arm_dsp.h" /* NNOM_USE_ARM_DSP (see the end of the file) */

#include <stddef.h>
#include <string.h>

enum { POOL_BLOCK = 16 };

/* One output pixel: its window's valid cells and where things are. */
typedef struct pixel_window {
    const int8_t *first;  /* channel 0 of cell (h0, w0) */
    size_t row;           /* bytes between input rows */
    int32_t C;            /* bytes between input columns (channels) */
    int32_t rows, cols;   /* valid cells: rows x cols */
} pixel_window;


/* Max of bytes [c, c + 16) over the window's cells. The accumulator is a
 * local array (copied out at the end) so that it provably aliases nothing. */
static inline void max16(const pixel_window *win, int32_t c, int8_t out[POOL_BLOCK])
{
    int8_t m[POOL_BLOCK];
    const int8_t *r = win->first + c;
    for (int k = 0; k < POOL_BLOCK; k++) m[k] = r[k];
    for (int32_t h = 0; h < win->rows; h++, r += win->row) {
        const int8_t *p = r;
        for (int32_t w = 0; w < win->cols; w++, p += win->C)
            for (int k = 0; k < POOL_BLOCK; k++) m[k] = p[k] > m[k] ? p[k] : m[k];
    }
    memcpy(out, m, POOL_BLOCK);
}

/* Sums of bytes [c, c + 16) over the window's cells. */
static inline void sum16(const pixel_window *win, int32_t c, int32_t out[POOL_BLOCK])
{
    int32_t s[POOL_BLOCK] = {0};
    const int8_t *r = win->first + c;
    for (int32_t h = 0; h < win->rows; h++, r += win->row) {
        const int8_t *p = r;
        for (int32_t w = 0; w < win->cols; w++, p += win->C)
            for (int k = 0; k < POOL_BLOCK; k++) s[k] += p[k];
    }
    memcpy(out, s, sizeof s);
}

/* Max (or, with @p avg, average) of channels [0, n), n < 16, one at a time: the careful fallback. */
static void reduce_scalar(const pixel_window *win, int32_t n, const nnom_pool_args *avg, int8_t *o)
{
    for (int32_t k = 0; k < n; k++) {
        const int8_t *r = win->first + k;
        int32_t acc = avg ? 0 : *r;
        for (int32_t h = 0; h < win->rows; h++, r += win->row) {
            const int8_t *p = r;
            for (int32_t w = 0; w < win->cols; w++, p += win->C) {
                if (avg) acc += *p;
                else if (*p > acc) acc = *p;
            }
        }
        o[k] = avg ? nnom_avg_pool_out_s8(avg, acc, win->rows * win->cols) : (int8_t)acc;
    }
}

/* Stores m[0, n), n < 16, with fixed-size copies. */
static void store_small(int8_t *o, const int8_t *m, int32_t n)
{
    int32_t i = 0;
    if (n & 8) { memcpy(o + i, m + i, 8); i += 8; }
    if (n & 4) { memcpy(o + i, m + i, 4); i += 4; }
    if (n & 2) { memcpy(o + i, m + i, 2); i += 2; }
    if (n & 1) o[i] = m[i];
}

/* Writes output pixel @p o (C channels) from the window @p win: the max, or with @p avg the average. */
static void pool_pixel(const pixel_window *win, const int8_t *in_end, const nnom_pool_args *avg, int8_t *o)
{
    const int32_t C = win->C;
    int8_t m[POOL_BLOCK];
    int32_t s[POOL_BLOCK];
    if (C < POOL_BLOCK) {
        const int8_t *last = win->first + (size_t)(win->rows - 1) * win->row + (size_t)(win->cols - 1) * C;
        if (in_end - last < POOL_BLOCK) {
            reduce_scalar(win, C, avg, o);
        } else if (avg) {
            sum16(win, 0, s);
            for (int32_t k = 0; k < C; k++) o[k] = nnom_avg_pool_out_s8(avg, s[k], win->rows * win->cols);
        } else {
            max16(win, 0, m);
            store_small(o, m, C);
        }
        return;
    }
    const int32_t tail = C % POOL_BLOCK ? C - POOL_BLOCK : -1;
    const int32_t count = win->rows * win->cols;
    int8_t t[POOL_BLOCK];
    if (tail >= 0) { /* computed before any channel of this pixel is written */
        if (avg) {
            sum16(win, tail, s);
            for (int k = 0; k < POOL_BLOCK; k++) t[k] = nnom_avg_pool_out_s8(avg, s[k], count);
        } else {
            max16(win, tail, t);
        }
    }
    for (int32_t c = 0; c + POOL_BLOCK <= C; c += POOL_BLOCK) {
        if (avg) {
            sum16(win, c, s);
            for (int k = 0; k < POOL_BLOCK; k++) o[c + k] = nnom_avg_pool_out_s8(avg, s[k], count);
        } else {
            max16(win, c, m);
            memcpy(o + c, m, POOL_BLOCK);
        }
    }
    if (tail >= 0) memcpy(o + tail, t, POOL_BLOCK);
}

#if !NNOM_USE_ARM_DSP /* (the DSP twins replace the window pools) */
/* Valid cells [*lo, *hi) of the window of output index o along one axis. */
static void window_range(int32_t o, int32_t stride, int32_t pad, int32_t kernel, int32_t in,
                         int32_t *lo, int32_t *hi)
{
    const int64_t start = (int64_t)o * stride - pad;
    const int64_t end = start + kernel;
    *lo = start < 0 ? 0 : (int32_t)start;
    *hi = end > in ? in : (int32_t)end;
}

static void pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out, int average)
{
    const int32_t C = a->channels;
    const size_t row = (size_t)a->in_w * (size_t)C;
    const int8_t *in_end = in + (size_t)a->in_h * row;
    int8_t *o = out;
    pixel_window win;
    win.row = row;
    win.C = C;
    for (int32_t oh = 0; oh < a->out_h; oh++) {
        int32_t h0, h1;
        window_range(oh, a->stride_h, a->pad_top, a->kernel_h, a->in_h, &h0, &h1);
        win.rows = h1 - h0;
        for (int32_t ow = 0; ow < a->out_w; ow++, o += C) {
            int32_t w0, w1;
            window_range(ow, a->stride_w, a->pad_left, a->kernel_w, a->in_w, &w0, &w1);
            win.cols = w1 - w0;
            win.first = in + (size_t)h0 * row + (size_t)w0 * C;
            pool_pixel(&win, in_end, average ? a : NULL, o);
        }
    }
}

#endif

/* Cortex-M with DSP: the max and average pools of kernels/arm/pool_s8.c */
#if NNOM_USE_ARM_DSP
#define NNOM_ARM_DSP_TWIN 1
#include "kernels/arm/pool_s8.c"
#else
void nnom_max_pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out) { pool_s8(a, in, out, 0); }

void nnom_avg_pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out) { pool_s8(a, in, out, 1); }
#endif

/* Global pools: the whole input is one window; the output is a separate buffer. */
static void global_pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out, int average)
{
    pixel_window win;
    win.first = in;
    win.row = (size_t)a->in_w * (size_t)a->channels;
    win.C = a->channels;
    win.rows = a->in_h;
    win.cols = a->in_w;
    pool_pixel(&win, in + (size_t)a->in_h * win.row, average ? a : NULL, out);
}

void nnom_global_max_pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out) { global_pool_s8(a, in, out, 0); }

#if !NNOM_USE_ARM_DSP
void nnom_global_avg_pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out) { global_pool_s8(a, in, out, 1); }
#endif
