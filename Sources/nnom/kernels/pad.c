/* Zero padding, cropping and nearest-neighbour upsampling: row copies. */
#include "kernels/pad.h"

#include <stddef.h>
#include <string.h>

void nnom_zero_pad(const nnom_pad_args *a, const void *in, void *out)
{
    const size_t px = (size_t)a->channels * a->elem_size;     /* bytes of one pixel */
    const size_t in_row = (size_t)a->in_w * px;
    const size_t left = (size_t)a->left * px, right = (size_t)a->right * px;
    const size_t out_row = left + in_row + right;
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;

    /* zero-length calls are skipped: dst may then point just past the output */
    if (a->top) memset(dst, a->fill, (size_t)a->top * out_row);
    dst += (size_t)a->top * out_row;
    for (int32_t h = 0; h < a->in_h; h++) {
        if (left) memset(dst, a->fill, left);
        memcpy(dst + left, src, in_row);
        if (right) memset(dst + left + in_row, a->fill, right);
        dst += out_row;
        src += in_row;
    }
    if (a->bottom) memset(dst, a->fill, (size_t)a->bottom * out_row);
}

void nnom_zero_pad_in_place(const nnom_pad_args *a, void *buf)
{
    const size_t px = (size_t)a->channels * a->elem_size;
    const size_t in_row = (size_t)a->in_w * px;
    const size_t left = (size_t)a->left * px, right = (size_t)a->right * px;
    const size_t out_row = left + in_row + right;
    uint8_t *b = (uint8_t *)buf;
    const size_t below = (size_t)(a->top + a->in_h) * out_row; /* where the bottom rows start */
    if (a->bottom) memset(b + below, a->fill, (size_t)a->bottom * out_row);
    /* input row h (at h * in_row) goes to (top + h) * out_row + left, never lower: the rows
     * below h are not touched, and the row itself moves before its padding is written */
    for (int32_t h = a->in_h - 1; h >= 0; h--) {
        uint8_t *dst = b + (size_t)(a->top + h) * out_row;
        memmove(dst + left, b + (size_t)h * in_row, in_row);
        if (left) memset(dst, a->fill, left);
        if (right) memset(dst + left + in_row, a->fill, right);
    }
    if (a->top) memset(b, a->fill, (size_t)a->top * out_row);
}

void nnom_crop_in_place(const nnom_pad_args *a, void *buf)
{
    const size_t px = (size_t)a->channels * a->elem_size;
    const size_t in_row = (size_t)a->in_w * px;
    const size_t out_row = (size_t)(a->in_w - a->left - a->right) * px;
    const int32_t out_h = a->in_h - a->top - a->bottom;
    uint8_t *b = (uint8_t *)buf;
    for (int32_t h = 0; h < out_h; h++)
        memmove(b + (size_t)h * out_row, b + (size_t)(a->top + h) * in_row + (size_t)a->left * px, out_row);
}

void nnom_crop(const nnom_pad_args *a, const void *in, void *out)
{
    const size_t px = (size_t)a->channels * a->elem_size;
    const size_t in_row = (size_t)a->in_w * px;
    const size_t out_row = (size_t)(a->in_w - a->left - a->right) * px;
    const int32_t out_h = a->in_h - a->top - a->bottom;
    const uint8_t *src = (const uint8_t *)in + (size_t)a->top * in_row + (size_t)a->left * px;
    uint8_t *dst = (uint8_t *)out;
    for (int32_t h = 0; h < out_h; h++, src += in_row, dst += out_row) memcpy(dst, src, out_row);
}

void nnom_upsample_nearest(const nnom_upsample_args *a, const void *in, void *out)
{
    const size_t px = (size_t)a->channels * a->elem_size;
    const size_t out_row = (size_t)a->in_w * (size_t)a->size_w * px;
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    for (int32_t h = 0; h < a->in_h; h++) {
        /* build the first copy of the row, then repeat it size_h - 1 times */
        uint8_t *first = dst;
        for (int32_t w = 0; w < a->in_w; w++, src += px)
            for (int32_t r = 0; r < a->size_w; r++, dst += px) memcpy(dst, src, px);
        for (int32_t r = 1; r < a->size_h; r++, dst += out_row) memcpy(dst, first, out_row);
    }
}
