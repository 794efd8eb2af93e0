/*
 * Pooling kernels, int8 and float32: max and average over 2D windows, and
 * global max and average over all positions.
 *
 * Tensors are HWC. A 1D pooling is the 2D one with in_h = out_h = 1 and a
 * window height of 1. Windows follow Keras: padded cells (SAME) are never
 * looked at; max takes the largest valid cell, average divides by the number
 * of valid cells. int8 pooling keeps the input's quantisation, so the int8
 * kernels work on the raw values: an int8 average is the sum divided by the
 * count, rounded half away from zero, in integers only (as TFLite does).
 * No kernel needs scratch memory.
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

/** Geometry of a pooling. Strides must be >= 1 here (layers map 0 to 1). */
typedef struct nnom_pool_args {
    int32_t in_h, in_w, channels;  /**< input (H, W, C) */
    int32_t out_h, out_w;          /**< output (out_h, out_w, C); unused by global pools */
    int32_t kernel_h, kernel_w;    /**< pool size */
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;     /**< cells of padding before the first row / column (SAME) */
} nnom_pool_args;

/** Max over each window of valid cells. In place allowed when pad_top = pad_left = 0. */
void nnom_max_pool_s8(const nnom_pool_args *args, const int8_t *in, int8_t *out);
void nnom_max_pool_f32(const nnom_pool_args *args, const float *in, float *out);

/** Average over each window of valid cells (int8: round half away from zero of sum / count).
 *  kernel_h * kernel_w must be at most 2^23 for int8. In place allowed when pad_top = pad_left = 0. */
void nnom_avg_pool_s8(const nnom_pool_args *args, const int8_t *in, int8_t *out);
void nnom_avg_pool_f32(const nnom_pool_args *args, const float *in, float *out);

/** Max over all in_h * in_w positions of each channel: output (C). Not in place. */
void nnom_global_max_pool_s8(const nnom_pool_args *args, const int8_t *in, int8_t *out);
void nnom_global_max_pool_f32(const nnom_pool_args *args, const float *in, float *out);

/** Average over all in_h * in_w positions of each channel: output (C). int8: in_h * in_w must
 *  be at most 2^23; round half away from zero. Not in place. */
void nnom_global_avg_pool_s8(const nnom_pool_args *args, const int8_t *in, int8_t *out);
void nnom_global_avg_pool_f32(const nnom_pool_args *args, const float *in, float *out);

#endif /* NNOM_KERNELS_POOL_H */
