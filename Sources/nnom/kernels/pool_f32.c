/*
 * float32 pooling kernels: plain reference code. Each output element's
 * window is read before the element is written, in raster order, so max and
 * average pooling may run in place (see pool.h).
 */
#include "kernels/pool.h"

#include <stddef.h>

static void window_range(int32_t o, int32_t stride, int32_t pad, int32_t kernel, int32_t in,
                         int32_t *lo, int32_t *hi)
{
    const int64_t start = (int64_t)o * stride - pad;
    const int64_t end = start + kernel;
    *lo = start < 0 ? 0 : (int32_t)start;
    *hi = end > in ? in : (int32_t)end;
}

/* Max (or mean when @p average: 1 the mean, 2 the sum) of channel c over cells [h0,h1) x [w0,w1). */
static float reduce_window(const float *in, size_t row, int32_t C, int32_t h0, int32_t h1,
                           int32_t w0, int32_t w1, int32_t c, int average)
{
    float r = average ? 0.0f : in[(size_t)h0 * row + (size_t)w0 * C + c];
    for (int32_t h = h0; h < h1; h++) {
        const float *p = in + (size_t)h * row + (size_t)w0 * C + c;
        for (int32_t w = w0; w < w1; w++, p += C) {
            if (average) r += *p;
            else if (*p > r) r = *p;
        }
    }
    return average == 1 ? r / (float)((h1 - h0) * (w1 - w0)) : r;
}

static void pool_f32(const nnom_pool_args *a, const float *in, float *out, int average)
{
    const int32_t C = a->channels;
    const size_t row = (size_t)a->in_w * (size_t)C;
    float *o = out;
    for (int32_t oh = 0; oh < a->out_h; oh++) {
        int32_t h0, h1;
        window_range(oh, a->stride_h, a->pad_top, a->kernel_h, a->in_h, &h0, &h1);
        for (int32_t ow = 0; ow < a->out_w; ow++, o += C) {
            int32_t w0, w1;
            window_range(ow, a->stride_w, a->pad_left, a->kernel_w, a->in_w, &w0, &w1);
            for (int32_t c = 0; c < C; c++) o[c] = reduce_window(in, row, C, h0, h1, w0, w1, c, average);
        }
    }
}

void nnom_max_pool_f32(const nnom_pool_args *a, const float *in, float *out) { pool_f32(a, in, out, 0); }

void nnom_avg_pool_f32(const nnom_pool_args *a, const float *in, float *out) { pool_f32(a, in, out, a->sum ? 2 : 1); }

void nnom_global_max_pool_f32(const nnom_pool_args *a, const float *in, float *out)
{
    const size_t row = (size_t)a->in_w * (size_t)a->channels;
    for (int32_t c = 0; c < a->channels; c++)
        out[c] = reduce_window(in, row, a->channels, 0, a->in_h, 0, a->in_w, c, 0);
}

void nnom_global_avg_pool_f32(const nnom_pool_args *a, const float *in, float *out)
{
    const size_t row = (size_t)a->in_w * (size_t)a->channels;
    for (int32_t c = 0; c < a->channels; c++)
        out[c] = reduce_window(in, row, a->channels, 0, a->in_h, 0, a->in_w, c, a->sum ? 2 : 1);
}
