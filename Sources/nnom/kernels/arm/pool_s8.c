/*
 * int8 max pooling for Cortex-M cores with the DSP extension, the twin of
 * nnom_max_pool_s8() in kernels/pool_s8.c (which includes this file in place
 * of its own max pool on such cores): same function, same results bit for
 * bit, same in-place rule. Its other pools stay portable.
 *
 * Four channels at a time: SSUB8 compares four int8 lanes at once (setting
 * one GE flag per lane where the new value is >= the running max) and SEL
 * keeps the larger byte of each lane: two instructions per cell for four
 * channels. The window of each output pixel is clipped to the input as in
 * Keras (padded cells are never looked at); the remaining C % 4 channels are
 * done one by one.
 *
 * In place (out == in, no padding above or to the left): a pixel's four
 * channels are written only after they were read from every cell of its
 * window, and later windows start at later input pixels (see pool.h).
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

#else
typedef int nnom_arm_pool_s8_unused; /* compiled on its own: empty (see above) */
#endif
