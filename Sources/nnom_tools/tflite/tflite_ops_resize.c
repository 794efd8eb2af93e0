/*
 * RESIZE_NEAREST_NEIGHBOR onto UPSAMPLING2D, STRIDED_SLICE and SLICE onto
 * CROPPING1D/2D: operators that only copy values, in the forms nnom's layers
 * express exactly.
 *
 * RESIZE_NEAREST_NEIGHBOR reads, for output row o, input row
 * min(floor((o + offset) * scale), in - 1) (align_corners: rounded instead of
 * floored, scale (in - 1) / (out - 1)), offset 0.5 with half_pixel_centers,
 * scale in / out in float, as TFLite's reference kernel. The importer computes
 * that map for every output row and column and accepts the operator when it
 * is nnom's repetition by an integer factor (o / factor).
 *
 * A slice is accepted when it keeps the batch and the channels whole, has
 * strides of 1 and no ellipsis or new axes: then it is a crop, and the axes
 * STRIDED_SLICE shrinks (one index each) are dropped by a view.
 *
 * SPACE_TO_BATCH_ND -> CONV_2D or DEPTHWISE_CONV_2D -> BATCH_TO_SPACE_ND is how
 * TensorFlow writes a dilated convolution: the padded input is split into
 * block_h x block_w phases, each convolved (VALID), and the results
 * interleaved back and cropped. Output (y, x) of phase (y mod b_h, x mod b_w)
 * reads the padded input at y + b_h i, x + b_w j: the convolution of the
 * padded input dilated by the block. So the three become ZERO_PADDING2D (the
 * zero point, as TFLite pads), the convolution with dilation = block, and
 * CROPPING2D: the same sums, term for term.
 *
 * Options (schema.fbs): ResizeNearestNeighborOptions {0 align_corners,
 * 1 half_pixel_centers}; StridedSliceOptions {0 begin_mask, 1 end_mask,
 * 2 ellipsis_mask, 3 new_axis_mask, 4 shrink_axis_mask, 5 offset}.
 */
#include <math.h>
#include <string.h>

#include "tflite/tflite_internal.h"

enum { RESIZE_ALIGN_CORNERS = 0, RESIZE_HALF_PIXEL = 1 };
enum { SS_BEGIN_MASK = 0, SS_END_MASK = 1, SS_ELLIPSIS_MASK = 2, SS_NEW_AXIS_MASK = 3, SS_SHRINK_MASK = 4, SS_OFFSET = 5 };
#define HALF_PIXEL_OFFSET 0.5f

/* TFLite's nearest-neighbour source index of output index @p o. */
static int32_t nearest_source(int32_t o, int32_t in, int32_t out, int align_corners, int half_pixel)
{
    const float scale = (align_corners && out > 1) ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
    const float offset = half_pixel ? HALF_PIXEL_OFFSET : 0.0f;
    const float v = ((float)o + offset) * scale;
    int32_t s = align_corners ? (int32_t)roundf(v) : (int32_t)floorf(v);
    if (s > in - 1) s = in - 1;
    if (half_pixel && s < 0) s = 0;
    return s;
}

/* The integer factor out / in if TFLite's index map along this axis is o / factor, else 0. */
static int32_t repetition_factor(int32_t in, int32_t out, int align_corners, int half_pixel)
{
    if (out % in != 0) return 0;
    const int32_t f = out / in;
    for (int32_t o = 0; o < out; o++)
        if (nearest_source(o, in, out, align_corners, half_pixel) != o / f) return 0;
    return f;
}

nnom_status tfl_map_resize_nearest(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out;
    nnom_status st = tfl_expect_io(x, op, 2, 2, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_same_quant(x, in, out);
    if (st != NNOM_OK) return st;
    if (in->rank != 4 || out->rank != 4)
        return tfl_fail(x, NNOM_ERR_FORMAT, "input and output must have rank 4 (NHWC)");
    int32_t align, half;
    st = tfl_opt_bool(x, op, RESIZE_ALIGN_CORNERS, &align);
    if (st == NNOM_OK) st = tfl_opt_bool(x, op, RESIZE_HALF_PIXEL, &half);
    if (st != NNOM_OK) return st;
    const int32_t fh = repetition_factor(in->dims[1], out->dims[1], align, half);
    const int32_t fw = repetition_factor(in->dims[2], out->dims[2], align, half);
    if (!fh || !fw)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "resizing %dx%d to %dx%d is not a repetition by integer factors; only "
                        "that is supported", (int)in->dims[1], (int)in->dims[2], (int)out->dims[1], (int)out->dims[2]);
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.params.size[0] = fh;
    d.params.size[1] = fw;
    d.type = NNOM_LAYER_UPSAMPLING2D;
    return tfl_add_unary(x, &d, in, out);
}

/* A crop from per-axis [begin, end) of the input: batch and channels whole. */
static nnom_status crop(tfl_ctx *x, tfl_tensor *in, tfl_tensor *out, const int32_t *begin, const int32_t *end)
{
    const int32_t r = in->rank;
    if (r != 3 && r != 4)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "only slices of NHWC or NWC tensors are supported, given rank %d",
                        (int)r);
    if (begin[0] != 0 || end[0] != 1 || begin[r - 1] != 0 || end[r - 1] != in->dims[r - 1])
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "only slices that keep the batch and the channels whole are supported");
    int32_t pads[4] = {0, 0, begin[r - 2], in->dims[r - 2] - end[r - 2]};
    if (r == 4) {
        pads[0] = begin[1];
        pads[1] = in->dims[1] - end[1];
    }
    for (int k = 0; k < 4; k++)
        if (pads[k] < 0) return tfl_fail(x, NNOM_ERR_FORMAT, "slice bounds outside the input");
    return tfl_pad_crop(x, r == 4 ? NNOM_LAYER_CROPPING2D : NNOM_LAYER_CROPPING1D, in, out, pads);
}

/* An index as TFLite reads it (negative counts from the end) clamped to [0, dim]; 64-bit so that a begin + size
 * from the file cannot overflow. */
static int32_t clamp_index(int64_t v, int32_t dim)
{
    if (v < 0) v += dim;
    return v < 0 ? 0 : (v > dim ? dim : (int32_t)v);
}

nnom_status tfl_map_strided_slice(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out, *tb, *te, *ts;
    nnom_status st = tfl_expect_io(x, op, 4, 4, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_same_quant(x, in, out);
    if (st == NNOM_OK) st = tfl_input(x, op, 1, &tb);
    if (st == NNOM_OK) st = tfl_input(x, op, 2, &te);
    if (st == NNOM_OK) st = tfl_input(x, op, 3, &ts);
    if (st != NNOM_OK) return st;
    int32_t b[TFL_MAX_RANK], e[TFL_MAX_RANK], s[TFL_MAX_RANK], nb, ne, ns;
    st = tfl_const_i32(x, tb, b, TFL_MAX_RANK, &nb, "begin");
    if (st == NNOM_OK) st = tfl_const_i32(x, te, e, TFL_MAX_RANK, &ne, "end");
    if (st == NNOM_OK) st = tfl_const_i32(x, ts, s, TFL_MAX_RANK, &ns, "strides");
    if (st != NNOM_OK) return st;
    if (nb != in->rank || ne != in->rank || ns != in->rank)
        return tfl_fail(x, NNOM_ERR_FORMAT, "begin, end and strides must have %d values", (int)in->rank);
    int32_t begin_mask, end_mask, ellipsis, new_axis, shrink, offset;
    st = tfl_opt_i32(x, op, SS_BEGIN_MASK, 0, &begin_mask);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, SS_END_MASK, 0, &end_mask);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, SS_ELLIPSIS_MASK, 0, &ellipsis);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, SS_NEW_AXIS_MASK, 0, &new_axis);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, SS_SHRINK_MASK, 0, &shrink);
    if (st == NNOM_OK) st = tfl_opt_bool(x, op, SS_OFFSET, &offset);
    if (st != NNOM_OK) return st;
    if (ellipsis || new_axis)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "ellipsis and new-axis masks are not supported");
    tfl_tensor cropped = *out; /* the slice before shrinking its axes */
    cropped.rank = in->rank;
    for (int32_t i = 0; i < in->rank; i++) {
        if (s[i] != 1) return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "only strides of 1 are supported, given %d", (int)s[i]);
        const int32_t dim = in->dims[i];
        int32_t lo = (begin_mask >> i) & 1 ? 0 : clamp_index(b[i], dim);
        int32_t hi = (end_mask >> i) & 1 ? dim : (offset ? clamp_index((int64_t)b[i] + e[i], dim) : clamp_index(e[i], dim));
        if ((shrink >> i) & 1) { /* one index, the axis dropped: TFLite ignores end there */
            if (lo >= dim) return tfl_fail(x, NNOM_ERR_FORMAT, "index %d of axis %d is past its %d", (int)b[i], (int)i,
                                           (int)dim);
            hi = lo + 1;
        }
        b[i] = lo;
        e[i] = hi > lo ? hi : lo;
        cropped.dims[i] = e[i] - b[i];
    }
    if (!shrink) return crop(x, in, out, b, e);
    for (int32_t i = 0; i < in->rank; i++)
        if (cropped.dims[i] == 0) return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "an empty slice of axis %d", (int)i);
    nnom_shape have;
    nnom_status cs = crop(x, in, &cropped, b, e);
    if (cs == NNOM_OK) cs = tfl_shape(x, &cropped, &have);
    if (cs != NNOM_OK) return cs;
    return tfl_reshape_to(x, cropped.layer, &have, out); /* the shrunk axes had one element: a view */
}

nnom_status tfl_map_slice(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out, *tb, *tsz;
    nnom_status st = tfl_expect_io(x, op, 3, 3, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_same_quant(x, in, out);
    if (st == NNOM_OK) st = tfl_input(x, op, 1, &tb);
    if (st == NNOM_OK) st = tfl_input(x, op, 2, &tsz);
    if (st != NNOM_OK) return st;
    int32_t b[TFL_MAX_RANK], sz[TFL_MAX_RANK], e[TFL_MAX_RANK], nb, ns;
    st = tfl_const_i32(x, tb, b, TFL_MAX_RANK, &nb, "begin");
    if (st == NNOM_OK) st = tfl_const_i32(x, tsz, sz, TFL_MAX_RANK, &ns, "size");
    if (st != NNOM_OK) return st;
    if (nb != in->rank || ns != in->rank)
        return tfl_fail(x, NNOM_ERR_FORMAT, "begin and size must have %d values", (int)in->rank);
    for (int32_t i = 0; i < in->rank; i++) {
        if (b[i] < 0 || b[i] > in->dims[i]) return tfl_fail(x, NNOM_ERR_FORMAT, "begin %d outside the input", (int)b[i]);
        if (sz[i] > in->dims[i] - b[i]) return tfl_fail(x, NNOM_ERR_FORMAT, "slice past the end of the input");
        e[i] = sz[i] < 0 ? in->dims[i] : b[i] + sz[i];
    }
    return crop(x, in, out, b, e);
}

/* A [2][2] constant (before, after per spatial axis) or the [2] block shape, as int32. */
static nnom_status spatial_pairs(tfl_ctx *x, const tfl_op *op, int32_t block[2], int32_t pairs[4], const char *what)
{
    tfl_tensor *tb, *tp;
    nnom_status st = tfl_input(x, op, 1, &tb);
    if (st == NNOM_OK) st = tfl_input(x, op, 2, &tp);
    int32_t nb, np;
    if (st == NNOM_OK) st = tfl_const_i32(x, tb, block, 2, &nb, "block shape");
    if (st == NNOM_OK) st = tfl_const_i32(x, tp, pairs, 4, &np, what);
    if (st != NNOM_OK) return st;
    if (nb != 2 || np != 4)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "only a block over height and width is supported (block shape [2], "
                        "%s [2][2])", what);
    for (int k = 0; k < 2; k++)
        if (block[k] < 1) return tfl_fail(x, NNOM_ERR_FORMAT, "block shape %d", (int)block[k]);
    for (int k = 0; k < 4; k++)
        if (pairs[k] < 0) return tfl_fail(x, NNOM_ERR_FORMAT, "%s %d is negative", what, (int)pairs[k]);
    return NNOM_OK;
}

nnom_status tfl_map_space_to_batch(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out;
    nnom_status st = tfl_expect_io(x, op, 3, 3, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_same_quant(x, in, out);
    if (st != NNOM_OK) return st;
    if (in->rank != 4) return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "only NHWC inputs (rank 4) are supported");
    int32_t block[2], pad[4];
    st = spatial_pairs(x, op, block, pad, "paddings");
    if (st != NNOM_OK) return st;
    if (((int64_t)in->dims[1] + pad[0] + pad[1]) % block[0] || ((int64_t)in->dims[2] + pad[2] + pad[3]) % block[1])
        return tfl_fail(x, NNOM_ERR_FORMAT, "the padded input is not a multiple of the block");
    out->block[0] = block[0];
    out->block[1] = block[1];
    return tfl_pad_crop(x, NNOM_LAYER_ZERO_PADDING2D, in, out, pad);
}

nnom_status tfl_map_batch_to_space(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out;
    nnom_status st = tfl_expect_io(x, op, 3, 3, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_same_quant(x, in, out);
    if (st != NNOM_OK) return st;
    int32_t block[2], crop_by[4];
    st = spatial_pairs(x, op, block, crop_by, "crops");
    if (st != NNOM_OK) return st;
    if (in->block[0] != block[0] || in->block[1] != block[1])
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "only BATCH_TO_SPACE_ND undoing a SPACE_TO_BATCH_ND of the same block "
                        "around a convolution is supported");
    return tfl_pad_crop(x, NNOM_LAYER_CROPPING2D, in, out, crop_by);
}
