/*
 * Pooling kernels, int8 and float32: max and average over 2D windows, and
 * global max and average over all positions.
 *
 * Tensors are HWC. A 1D pooling is the 2D one with in_h = out_h = 1 and a
 * window height of 1. Windows follow Keras: padded cells (SAME) are never
 * looked at; max takes the largest valid cell, average divides by the number
 * of valid cells. No kernel needs scratch memory.
 *
 * int8 max pooling keeps the input's quantisation and works on the raw
 * values. int8 average pooling has two forms, in integers only:
 *  - rescale = 0 (the plain form): the output keeps the input's quantisation;
 *    y = rhaz(S / n), S the sum of the n valid cells of the window;
 *  - rescale = 1 (the requantising form): the output has a quantisation of its
 *    own (scale s_y, zero point z_y; the input s_x, z_x), and
 *        A = S - n * z_x                        the window's sum, zero point removed
 *        V = rq(A, multiplier, shift)           that sum in output steps, ~ A * s_x / s_y
 *        y = sat8(rhaz(V / n) + z_y)
 *    with multiplier * 2^(shift - 31) ~ s_x / s_y (one pair per layer, whatever n),
 *    rq() the requantisation of kernels/requant.h and rhaz(V / n) the integer
 *    quotient rounded half away from zero. Requantising the sum before dividing
 *    keeps the fraction of an input step that the division would round away,
 *    which is what a finer output scale is there to show. Error: V is within
 *    e = 1/2 + 2^(shift - 1) (1/2 when shift >= 0) of A * multiplier * 2^(shift - 31),
 *    so y is within e of the real mean when n = 1 and within 1/2 + e / n when
 *    n > 1: less than one output step either way (the multiplier itself is
 *    within 2^-31 of s_x / s_y, relatively). Callers guarantee
 *    255 * n * 2^max(shift, 0) <= 2^31 - 2^23 for every window, so no step
 *    saturates or overflows (the layers check it).
 *
 * Sum pooling (args->sum = 1) is the average's requantising form without the
 * division: y = sat8(V + z_y), within e of the real sum in output steps; float32
 * gives the sum of the valid cells.
 *
 * In place: nnom_max_pool_* and nnom_avg_pool_* may be called with out == in
 * when pad_top and pad_left are 0. Output pixels are produced in raster order
 * (oh, ow), and a channel of a pixel is written only after it has been read
 * from every cell of the window. With no padding above or to the left, the
 * window of output pixel p starts at input pixel p or later, and the windows
 * of all later outputs start after p; so pixel p's memory is still unread
 * only in the channels not yet written, and nothing still needed is lost.
 * The global pools must not run in place.
 */
#ifndef NNOM_KERNELS_POOL_H
#define NNOM_KERNELS_POOL_H

#include <stdint.h>

#include "kernels/requant.h"

/* int8 averages: the most cells a window may have, and whether the sum of a window of @p cells,
 * each at most 255 input steps from the zero point, still fits in int32 once scaled by 2^shift
 * (255 * cells * 2^max(shift, 0) <= 2^31 - 2^23, see above). */
#define NNOM_AVG_POOL_MAX_CELLS (1 << 23)
static inline int nnom_avg_pool_shift_ok(int64_t cells, int32_t shift)
{
    const int64_t limit = ((int64_t)1 << 31) - NNOM_AVG_POOL_MAX_CELLS, step_max = UINT8_MAX;
    return cells >= 1 && cells <= NNOM_AVG_POOL_MAX_CELLS && (shift <= 0 || step_max * cells <= limit >> shift);
}

/** Geometry of a pooling. Strides must be >= 1 here (layers map 0 to 1). */
typedef struct nnom_pool_args {
    int32_t in_h, in_w, channels;  /**< input (H, W, C) */
    int32_t out_h, out_w;          /**< output (out_h, out_w, C); unused by global pools */
    int32_t kernel_h, kernel_w;    /**< pool size */
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;     /**< cells of padding before the first row / column (SAME) */
    /** int8 average pools only (see above): 1 for the requantising form; then multiplier, shift
     *  (~ in scale / out scale), in_zp and out_zp are read. 0: the plain form, they are not. */
    int32_t rescale;
    int32_t multiplier, shift;
    int32_t in_zp, out_zp;
    /** 1: the average kernels give each window's sum, not divided (SUM_POOL1D/2D, GLOBAL_SUM_POOL);
     *  int8 then needs rescale = 1 and gives y = sat8(V + z_y). 0: the mean. */
    int32_t sum;
} nnom_pool_args;

/* The int8 output of an average (or sum) pool for a window of @p count cells whose raw values sum to
 * @p sum, in the form @p a asks (above): round half away from zero of sum / count, after requantising
 * the sum (zero point removed) to the output's scale in the requantising form; a sum pool's (a->sum,
 * always requantising) is that requantised sum. Shared by the portable and the Cortex-M kernels. */
static inline int8_t nnom_avg_pool_out_s8(const nnom_pool_args *a, int32_t sum, int32_t count)
{
    if (a->rescale) {
        /* nnom_requantize(A, multiplier, shift), without its saturation: the layers guarantee
         * |A| * 2^max(shift, 0) <= 2^31 - 2^23, so one shape serves both signs of shift */
        const int32_t left = a->shift > 0 ? a->shift : 0;
        sum = nnom_rounding_shr(nnom_srdhm((sum - count * a->in_zp) * (1 << left), a->multiplier), left - a->shift);
    }
    if (a->sum) return nnom_clamp_s8(sum + a->out_zp, -128, 127); /* sum pools: V, not divided */
    const int32_t half = count / 2;
    const int32_t q = sum >= 0 ? (sum + half) / count : -((half - sum) / count);
    return a->rescale ? nnom_clamp_s8(q + a->out_zp, -128, 127) : (int8_t)q;
}

/** Max over each window of valid cells. In place allowed when pad_top = pad_left = 0. */
void nnom_max_pool_s8(const nnom_pool_args *args, const int8_t *in, int8_t *out);
void nnom_max_pool_f32(const nnom_pool_args *args, const float *in, float *out);

/** Average over each window of valid cells (int8: either form above). kernel_h * kernel_w must
 *  be at most 2^23 for int8. In place allowed when pad_top = pad_left = 0. */
void nnom_avg_pool_s8(const nnom_pool_args *args, const int8_t *in, int8_t *out);
void nnom_avg_pool_f32(const nnom_pool_args *args, const float *in, float *out);

/** Max over all in_h * in_w positions of each channel: output (C). Not in place. */
void nnom_global_max_pool_s8(const nnom_pool_args *args, const int8_t *in, int8_t *out);
void nnom_global_max_pool_f32(const nnom_pool_args *args, const float *in, float *out);

/** Average over all in_h * in_w positions of each channel: output (C). int8: either form above,
 *  n = in_h * in_w at most 2^23. Not in place. */
void nnom_global_avg_pool_s8(const nnom_pool_args *args, const int8_t *in, int8_t *out);
void nnom_global_avg_pool_f32(const nnom_pool_args *args, const float *in, float *out);

#endif /* NNOM_KERNELS_POOL_H */
