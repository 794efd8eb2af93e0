/*
 * Reshaping-family kernels: zero padding, cropping and nearest-neighbour
 * upsampling of HWC tensors. They only move elements, so one kernel serves
 * every element type: elem_size is 1 (int8) or 4 (float32).
 * Outputs must not overlap inputs, except in the _in_place variants, where
 * one buffer holds the input on entry and the output on return.
 */
#ifndef NNOM_KERNELS_PAD_H
#define NNOM_KERNELS_PAD_H

#include <stdint.h>

/** Padding or cropping of an (in_h, in_w, channels) tensor. */
typedef struct nnom_pad_args {
    int32_t in_h, in_w, channels;
    int32_t top, bottom, left, right; /**< rows / columns added (padding) or removed (cropping), >= 0 */
    uint32_t elem_size;               /**< bytes per element: 1 or 4 */
    uint8_t fill;                     /**< padding: byte written into every byte of each padded
                                           element (the int8 zero point; 0 gives 0.0f) */
} nnom_pad_args;

/** Output (top + in_h + bottom, left + in_w + right, channels); padded cells filled with @c fill. */
void nnom_zero_pad(const nnom_pad_args *args, const void *in, void *out);

/** Output (in_h - top - bottom, in_w - left - right, channels); both must be > 0. */
void nnom_crop(const nnom_pad_args *args, const void *in, void *out);

/** nnom_zero_pad() in one buffer of at least the output's size, which holds the input on
 *  entry. Every element moves to an address no lower than its own, so the rows are moved
 *  last first and nothing is overwritten before it has been read. */
void nnom_zero_pad_in_place(const nnom_pad_args *args, void *buf);

/** nnom_crop() in one buffer: every element moves to an address no higher than its own,
 *  so the rows are moved first to last. */
void nnom_crop_in_place(const nnom_pad_args *args, void *buf);

/** Nearest-neighbour upsampling by integer factors. */
typedef struct nnom_upsample_args {
    int32_t in_h, in_w, channels;
    int32_t size_h, size_w;           /**< factors, >= 1 */
    uint32_t elem_size;               /**< bytes per element: 1 or 4 */
} nnom_upsample_args;

/** Output (in_h * size_h, in_w * size_w, channels): out(y, x) = in(y / size_h, x / size_w). */
void nnom_upsample_nearest(const nnom_upsample_args *args, const void *in, void *out);

#endif /* NNOM_KERNELS_PAD_H */
