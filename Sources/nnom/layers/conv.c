/*
 * CONV1D / CONV2D: convolution with `units` filters, fused activation NONE,
 * RELU or RELU6. Parameters: kernel, stride and dilation (0 reads as 1),
 * padding VALID, SAME (Keras) or EXPLICIT (pad = {top, bottom, left, right}, 1D
 * left and right only, each at most the dilated kernel's span - 1: a folded zero padding), units.
 *  - 2D takes (H, W, C) and gives (out_h, out_w, units);
 *  - 1D takes (W, C) and gives (out_w, units); kernel[0], stride[0] and
 *    dilation[0] must be 1 (stride/dilation 0 reads as 1).
 *  s8:  blob 0 weights int8 [units][kh][kw][C], blob 1 bias int32 [units] or
 *       empty, blob 2 multipliers int32 [units] (>= 0), blob 3 shifts int32
 *       [units] in [-31, 30]; kh * kw * C at most NNOM_CONV_MAX_PATCH. With cell_flags
 *       NNOM_CONV_CHANNEL_PAIRS blob 0 holds the weights in channel pairs (kernels/conv.h; kh * kw * C
 *       at most NNOM_CONV_PAIRS_MAX_PATCH), which nnom_conv2d_pairs_s8 reads.
 *  f32: blob 0 weights float [units][kh][kw][C], blob 1 bias float [units] or empty.
 * Scratch (s8): the kernel's im2col columns: the plan reserves the least both kernels need
 * (nnom_conv2d_s8_scratch_bytes()) and gives more, up to their full-speed size, where the
 * arena has free room during the layer (scratch_fast_bytes).
 * MACs: out_h * out_w * units * kh * kw * C.
 *
 * In place (when the input dies here), pointwise (1x1 kernel, stride 1): output pixel p
 * reads input pixel p only. int8 with no more output channels than input: one kernel call over
 * the buffer (the kernel reads each pass's pixels before it writes them; every write lands at
 * or below the pixels already read). Otherwise runs of pixels whose output lies apart from
 * their input go straight to their places, one call each (first to last when the output has
 * fewer channels; last to first when it has more, the buffer growing: every write lands at or
 * above the pixels left), and the rest (the buffer's first pixels, or all when the channels
 * are equal, f32) go in chunks of POINTWISE_CHUNK, each computed into a temporary and copied
 * to its place. Scratch: the temporary, then the kernel's scratch for one chunk (a direct
 * call gets all of it).
 * Any other window: output rows in bands over the input moved to the top of the buffer, each
 * band straight to its place where that overwrites only input rows already read, else row by
 * row through a ring of rows stored as soon as their place is read (see run_window_in_place).
 * Scratch: the ring, then the kernel's.
 * The values are the plain run's: each pixel is the same kernel arithmetic.
 *
 * This file also holds the checks shared with DEPTHWISE_CONV1D/2D (conv_common.h).
 */
#include <string.h>

#include "kernels/requant.h"
#include "layers/conv_common.h"

#include "core/model_internal.h"

/* The kernels over channel pairs are in every build but one that links only the layer types its
 * models use (core/layer_table.c) and lists no model in pairs: a weights.h whose model has such a
 * layer lists conv_channel_pairs (NNOM_WITH_CONV_CHANNEL_PAIRS) with its types. */
#if !defined(NNOM_LAYERS_ONLY) || NNOM_WITH_CONV_CHANNEL_PAIRS
#define CONV_PAIRS_LINKED 1
#else
#define CONV_PAIRS_LINKED 0
#endif

/* Pixels per kernel call of the in-place pointwise run. */
#define POINTWISE_CHUNK 32

/* Dilated kernel spans and strides above this are refused (keeps every index in int32). */
#define WINDOW_LIMIT (1 << 24)
/* Output channels above this are refused (keeps per-channel blob sizes and channel indices far inside int32). */
#define CHANNEL_LIMIT (1 << 24)

static int is_1d(nnom_layer_type t) { return t == NNOM_LAYER_CONV1D || t == NNOM_LAYER_DEPTHWISE_CONV1D; }

/* Explicit padding before and after axis @p k (0 rows, 1 columns); 0 for VALID and SAME. */
static int32_t explicit_before(const nnom_layer_params *p, int k)
{
    return p->padding == NNOM_PADDING_EXPLICIT ? p->pad[2 * k] : 0;
}

static int32_t explicit_after(const nnom_layer_params *p, int k)
{
    return p->padding == NNOM_PADDING_EXPLICIT ? p->pad[2 * k + 1] : 0;
}

/* Output positions along axis @p k of an input @p in long (explicit padding: VALID over the padded input;
 * the pads were checked against WINDOW_LIMIT-bounded spans, so the sum stays in int32). */
static int32_t conv_window_out(const nnom_layer_params *p, int k, int32_t in)
{
    const int32_t padded = in + explicit_before(p, k) + explicit_after(p, k);
    const int32_t mode = p->padding == NNOM_PADDING_EXPLICIT ? NNOM_PADDING_VALID : p->padding;
    return nnom_window_out(padded, p->kernel[k], p->stride[k], p->dilation[k], mode);
}

/* Taps before the first input position along axis @p k of output length @p out. */
static int32_t conv_pad_before(const nnom_layer_params *p, int k, int32_t in, int32_t out)
{
    if (p->padding == NNOM_PADDING_EXPLICIT) return explicit_before(p, k);
    return nnom_window_pad_before(in, out, p->kernel[k], nnom_one_if_zero(p->stride[k]),
                                  nnom_one_if_zero(p->dilation[k]), p->padding);
}

nnom_status nnom_conv_infer(nnom_layer *l, const nnom_infer_ctx *ctx, int depthwise)
{
    nnom_model *m = ctx->model;
    const nnom_shape *in = &ctx->in[0]->def->shape;
    const nnom_layer_params *p = &l->def->params;
    const int one_d = is_1d(l->type);
    const int32_t rank = one_d ? 2 : 3;

    if (in->rank != rank) {
        char text[48];
        nnom_shape_text(in, text, sizeof text);
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "input '%s' has shape %s, expected rank %d (%s)",
                               ctx->in[0]->def->name, text, (int)rank, one_d ? "W, C" : "H, W, C");
    }
    if (one_d && (p->kernel[0] != 1 || nnom_one_if_zero(p->stride[0]) != 1 || nnom_one_if_zero(p->dilation[0]) != 1))
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "a 1D convolution needs kernel[0] = stride[0] = dilation[0] = 1, "
                               "given %d, %d and %d", (int)p->kernel[0], (int)p->stride[0], (int)p->dilation[0]);
    for (int k = 0; k < 2; k++) {
        if (p->kernel[k] <= 0)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "kernel[%d] is %d, expected at least 1", k, (int)p->kernel[k]);
        if (p->stride[k] < 0 || p->stride[k] > WINDOW_LIMIT)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "stride[%d] is %d, expected 0 (= 1) to %d", k,
                                   (int)p->stride[k], WINDOW_LIMIT);
        if (p->dilation[k] < 0 || p->dilation[k] > WINDOW_LIMIT)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "dilation[%d] is %d, expected 0 (= 1) to %d", k,
                                   (int)p->dilation[k], WINDOW_LIMIT);
        const int64_t span = (int64_t)(p->kernel[k] - 1) * nnom_one_if_zero(p->dilation[k]) + 1;
        if (span > WINDOW_LIMIT)
            return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED, "kernel[%d] %d with dilation %d spans %ld positions, "
                                   "at most %d supported", k, (int)p->kernel[k], (int)nnom_one_if_zero(p->dilation[k]),
                                   (long)span, WINDOW_LIMIT);
    }
    if (p->padding != NNOM_PADDING_VALID && p->padding != NNOM_PADDING_SAME && p->padding != NNOM_PADDING_EXPLICIT)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "padding is %d, expected 0 (valid), 1 (same) or 2 (explicit)",
                               (int)p->padding);
    static const char *const side[4] = {"top", "bottom", "left", "right"};
    for (int k = 0; k < 4; k++) {
        if (p->padding != NNOM_PADDING_EXPLICIT || (one_d && k < 2)) {
            if (p->pad[k] != 0)
                return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "pad %s is %d, expected 0 (%s)", side[k], (int)p->pad[k],
                                       one_d && k < 2 ? "a 1D convolution has no rows" : "padding is not explicit");
            continue;
        }
        /* at most the span - 1: every window keeps a tap inside the input */
        const int64_t reach = (int64_t)(p->kernel[k / 2] - 1) * nnom_one_if_zero(p->dilation[k / 2]);
        if (p->pad[k] < 0 || p->pad[k] > reach)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE,
                                   "explicit pad %s is %d, expected 0 to %ld (the kernel's span - 1)", side[k],
                                   (int)p->pad[k], (long)reach);
    }
    if (p->units <= 0)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "units (%s) is %d, expected at least 1",
                               depthwise ? "depth multiplier" : "filters", (int)p->units);
    if (p->activation != NNOM_ACT_NONE && p->activation != NNOM_ACT_RELU && p->activation != NNOM_ACT_RELU6)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED, "fused activation %d is not supported, expected 0 (none), "
                               "1 (relu) or 2 (relu6)", (int)p->activation);

    const nnom_dims d = nnom_dims_of(in);
    const int32_t out_h = conv_window_out(p, 0, d.h), out_w = conv_window_out(p, 1, d.w);
    if (out_h <= 0 || out_w <= 0)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "kernel %dx%d (dilation %dx%d) does not fit the input's %dx%d "
                               "positions with valid padding", (int)p->kernel[0], (int)p->kernel[1],
                               (int)nnom_one_if_zero(p->dilation[0]), (int)nnom_one_if_zero(p->dilation[1]), (int)d.h,
                               (int)d.w);

    /* sizes: out_c output channels, each reading `patch` weights */
    const int64_t out_c = depthwise ? (int64_t)d.c * p->units : (int64_t)p->units;
    const int64_t patch = (int64_t)p->kernel[0] * p->kernel[1] * (depthwise ? 1 : d.c);
    if (out_c > CHANNEL_LIMIT)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "%ld output channels, at most %d supported", (long)out_c,
                               CHANNEL_LIMIT);
    if (ctx->dtype == NNOM_DTYPE_S8 && patch > NNOM_CONV_MAX_PATCH)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED, "an int8 kernel window of %ld elements (kernel %dx%d%s), "
                               "at most %d supported", (long)patch, (int)p->kernel[0], (int)p->kernel[1],
                               depthwise ? "" : " x input channels", NNOM_CONV_MAX_PATCH);
    const int32_t flags = p->cell_flags, known = depthwise ? 0 : NNOM_CONV_CHANNEL_PAIRS;
    if (flags & ~known)
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "cell_flags 0x%x, %s", (unsigned)flags,
                               depthwise ? "none is known" : "only bit 0 (weights in channel pairs) is known");
    const int pairs = (flags & NNOM_CONV_CHANNEL_PAIRS) != 0;
    if (pairs && ctx->dtype != NNOM_DTYPE_S8)
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "weights in channel pairs (cell_flags 0x%x) are int8 only",
                               (unsigned)flags);
    if (pairs && !CONV_PAIRS_LINKED)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED, "weights in channel pairs (cell_flags 0x%x) are left out "
                               "of this build (linked with NNOM_LAYERS_ONLY, without NNOM_WITH_CONV_CHANNEL_PAIRS)",
                               (unsigned)flags);
    if (pairs && patch > NNOM_CONV_PAIRS_MAX_PATCH)
        return nnom_layer_fail(m, l, NNOM_ERR_UNSUPPORTED, "weights in channel pairs over a window of %ld elements, "
                               "at most %d supported", (long)patch, NNOM_CONV_PAIRS_MAX_PATCH);
    const uint32_t esize = nnom_dtype_size(ctx->dtype);
    const uint64_t weight_bytes =
        pairs ? NNOM_CONV_PAIRS_BYTES(patch, out_c) : (uint64_t)out_c * (uint64_t)patch * esize;
    if (weight_bytes > UINT32_MAX)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "%ld x %ld weights are too many", (long)out_c, (long)patch);

    char what[80];
    if (pairs)
        nnom_format(what, sizeof what, "weights in channel pairs [%d][%d][%d][%d], padded (int8)", (int)p->units,
                    (int)p->kernel[0], (int)p->kernel[1], (int)d.c);
    else if (depthwise)
        nnom_format(what, sizeof what, "weights [%d][%d][%d x %d] (%s)", (int)p->kernel[0], (int)p->kernel[1], (int)d.c,
                    (int)p->units, esize == 1 ? "int8" : "float");
    else
        nnom_format(what, sizeof what, "weights [%d][%d][%d][%d] (%s)", (int)p->units, (int)p->kernel[0],
                    (int)p->kernel[1], (int)d.c, esize == 1 ? "int8" : "float");
    nnom_status st = nnom_expect_blob(m, l, 0, what, (uint32_t)weight_bytes);
    if (st != NNOM_OK) return st;
    const uint32_t per_channel = (uint32_t)out_c * 4u;
    if (nnom_blob_size(l, 1) != 0) {
        nnom_format(what, sizeof what, "bias [%d] (%s, or none)", (int)out_c, esize == 1 ? "int32" : "float");
        st = nnom_expect_blob(m, l, 1, what, per_channel);
        if (st != NNOM_OK) return st;
    }
    int first_unused = 2;
    if (ctx->dtype == NNOM_DTYPE_S8) {
        nnom_format(what, sizeof what, "multipliers [%d] (int32)", (int)out_c);
        st = nnom_expect_blob(m, l, 2, what, per_channel);
        if (st != NNOM_OK) return st;
        nnom_format(what, sizeof what, "shifts [%d] (int32)", (int)out_c);
        st = nnom_expect_blob(m, l, 3, what, per_channel);
        if (st != NNOM_OK) return st;
        const int32_t *mult = (const int32_t *)nnom_blob_data(l, 2), *shift = (const int32_t *)nnom_blob_data(l, 3);
        for (int32_t i = 0; i < (int32_t)out_c; i++) {
            if (mult[i] < 0)
                return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "multiplier[%d] is %d, expected a value >= 0", (int)i,
                                       (int)mult[i]);
            if (shift[i] < NNOM_SHIFT_MIN || shift[i] > NNOM_SHIFT_MAX)
                return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "shift[%d] is %d, expected %d to %d", (int)i,
                                       (int)shift[i], NNOM_SHIFT_MIN, NNOM_SHIFT_MAX);
        }
        first_unused = 4;
    }
    for (int s = first_unused; s < NNOM_MAX_BLOBS; s++)
        if (nnom_blob_size(l, s) != 0)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "blob %d holds %u bytes, expected none (%s model)", s,
                                   (unsigned)nnom_blob_size(l, s), esize == 1 ? "int8" : "float32");

    if (one_d) {
        l->def->shape.rank = 2;
        l->def->shape.dims[0] = out_w;
        l->def->shape.dims[1] = (int32_t)out_c;
        l->def->shape.dims[2] = 0;
    } else {
        l->def->shape.rank = 3;
        l->def->shape.dims[0] = out_h;
        l->def->shape.dims[1] = out_w;
        l->def->shape.dims[2] = (int32_t)out_c;
    }
    return NNOM_OK;
}

nnom_conv_args nnom_conv_layer_args(const nnom_layer *l, const nnom_layer *in, nnom_dtype dtype)
{
    const nnom_dims i = nnom_dims_of(&in->def->shape), o = nnom_dims_of(&l->def->shape);
    const nnom_layer_params *p = &l->def->params;
    nnom_conv_args a;
    a.in_h = i.h;
    a.in_w = i.w;
    a.in_c = i.c;
    a.out_h = o.h;
    a.out_w = o.w;
    a.out_c = o.c;
    a.k_h = p->kernel[0];
    a.k_w = p->kernel[1];
    a.stride_h = nnom_one_if_zero(p->stride[0]);
    a.stride_w = nnom_one_if_zero(p->stride[1]);
    a.dil_h = nnom_one_if_zero(p->dilation[0]);
    a.dil_w = nnom_one_if_zero(p->dilation[1]);
    a.pad_top = conv_pad_before(p, 0, i.h, o.h);
    a.pad_left = conv_pad_before(p, 1, i.w, o.w);
    a.depth_mult = p->units;
    a.weights = nnom_blob_data(l, 0);
    a.bias = nnom_blob_size(l, 1) ? nnom_blob_data(l, 1) : NULL;
    a.in_zp = in->def->quant.zero_point;
    a.out_zp = l->def->quant.zero_point;
    a.act_min = l->act_lo;
    a.act_max = l->act_hi;
    a.multiplier = NULL;
    a.shift = NULL;
    if (dtype == NNOM_DTYPE_S8) {
        a.multiplier = (const int32_t *)nnom_blob_data(l, 2);
        a.shift = (const int32_t *)nnom_blob_data(l, 3);
    }
    a.act_min_f = a.act_max_f = 0.0f;
    if (NNOM_HAS_F32 && dtype == NNOM_DTYPE_F32) nnom_act_bounds_f32(p->activation, &a.act_min_f, &a.act_max_f);
    return a;
}

nnom_conv_args nnom_conv_exec_args(const nnom_exec *x, nnom_dtype dtype)
{
    nnom_conv_args a = nnom_conv_layer_args(x->layer, x->in_layer[0], dtype);
    const nnom_rows *r = x->rows;
    nnom_rows_narrow(r, a.stride_h, &a.in_h, &a.out_h, &a.pad_top);
    if (r && r->fold_w > 0) {
        a.pad_left += r->fold_left;
        a.in_w = r->fold_w;
    }
    return a;
}

/* The rows of nnom_conv_layer_args' geometry only (a tiled run asks at every tile: the whole
 * arguments took about 480 estimated Cortex-M4 cycles a call, 15 k per ResNet-8 inference). */
void nnom_conv_rows_window(const nnom_layer *l, const nnom_layer *in, int32_t *stride, int32_t *pad_top, int32_t *span)
{
    const nnom_layer_params *p = &l->def->params;
    *stride = nnom_one_if_zero(p->stride[0]);
    *pad_top = conv_pad_before(p, 0, nnom_dims_of(&in->def->shape).h, nnom_dims_of(&l->def->shape).h);
    *span = (p->kernel[0] - 1) * nnom_one_if_zero(p->dilation[0]) + 1;
}

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_conv_infer(l, ctx, 0); }

/* The kernel scratch of @p a for the kernels @p ctx asks about (nnom_infer_ctx.kernels). */
static uint32_t kernel_scratch(const nnom_conv_args *a, const nnom_infer_ctx *ctx, int fast)
{
    return ctx->dtype == NNOM_DTYPE_S8 ? nnom_conv2d_s8_scratch_for(a, ctx->kernels, fast) : 0;
}

static uint32_t scratch_bytes(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_conv_args a = nnom_conv_layer_args(l, ctx->in[0], ctx->dtype);
    return kernel_scratch(&a, ctx, 0);
}

static uint64_t macs(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_dims i = nnom_dims_of(&ctx->in[0]->def->shape), o = nnom_dims_of(&l->def->shape);
    return (uint64_t)o.h * (uint64_t)o.w * (uint64_t)o.c * (uint64_t)l->def->params.kernel[0] * (uint64_t)l->def->params.kernel[1] *
           (uint64_t)i.c;
}

/* ------------------------------------------------------------------ in place (pointwise) */

static uint32_t round4(uint32_t v) { return (v + 3u) & ~3u; }

/* The kernel arguments of @p n pixels of a pointwise layer: a 1 x n image. */
static nnom_conv_args chunk_args(nnom_conv_args a, int32_t n)
{
    a.in_h = a.out_h = 1;
    a.in_w = a.out_w = n;
    a.pad_top = a.pad_left = 0;
    return a;
}

static int32_t pixels(const nnom_conv_args *a) { return a->out_h * a->out_w; }

static int32_t chunk_pixels(const nnom_conv_args *a)
{
    return pixels(a) < POINTWISE_CHUNK ? pixels(a) : POINTWISE_CHUNK;
}

/* The temporary of the in-place run: one chunk's output pixels. */
static uint32_t temp_bytes(const nnom_conv_args *a, size_t elem)
{
    return round4((uint32_t)((size_t)chunk_pixels(a) * (size_t)a->out_c * elem));
}

static int is_pointwise(const nnom_layer_params *p)
{
    return p->kernel[0] == 1 && p->kernel[1] == 1 && nnom_one_if_zero(p->stride[0]) == 1 &&
           nnom_one_if_zero(p->stride[1]) == 1;
}

static uint32_t window_temp_bytes(const nnom_conv_args *a, size_t elem, int direct);

/* Whether a windowed in-place run of layer @p l may write bands of rows straight to their places: not
 * for weights in channel pairs, whose Cortex-M kernel reads its input in strips of columns rather than
 * pixel by pixel (kernels/arm/conv_pairs.c), so that its rows go through the ring. */
static int window_direct(const nnom_layer *l) { return !(l->def->params.cell_flags & NNOM_CONV_CHANNEL_PAIRS); }

static uint32_t inplace_scratch(const nnom_layer *l, const nnom_infer_ctx *ctx, int fast)
{
    const nnom_conv_args a = nnom_conv_layer_args(l, ctx->in[0], ctx->dtype);
    const size_t elem = nnom_dtype_size(ctx->dtype);
    if (!is_pointwise(&l->def->params))
        return window_temp_bytes(&a, elem, window_direct(l)) + kernel_scratch(&a, ctx, fast);
    /* the kernel's scratch of a chunk of pixels is that of any 1x1 patch of these channels */
    return temp_bytes(&a, elem) + kernel_scratch(&a, ctx, fast);
}

static uint32_t inplace_scratch_bytes(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    return inplace_scratch(l, ctx, 0);
}

/* After the plan: what the kernel runs fastest with, in place or not (in a plan's spare room:
 * all it can use). */
static uint32_t scratch_fast_bytes(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const int fast = ctx->room ? NNOM_CONV_SCRATCH_ROOM : NNOM_CONV_SCRATCH_FAST;
    if (l->in_place) return inplace_scratch(l, ctx, fast);
    const nnom_conv_args a = nnom_conv_layer_args(l, ctx->in[0], ctx->dtype);
    return kernel_scratch(&a, ctx, fast);
}

/* Running in place must take less scratch than sharing saves (the smaller of input and output;
 * the plan's scratch_bytes is still the plain run's here): otherwise it saves nothing. */
static int inplace_ok(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    /* a window's in-place run costs time: taken only where the model's plan is smaller with it
     * (core/plan_tuned.c plans both ways) */
    if (!is_pointwise(&l->def->params) && !ctx->model->window_in_place) return 0;
    const uint64_t in_bytes = nnom_layer_out_bytes(ctx->in[0], ctx->dtype), out_bytes = nnom_layer_out_bytes(l, ctx->dtype);
    const uint64_t shared = in_bytes < out_bytes ? in_bytes : out_bytes;
    return (uint64_t)inplace_scratch_bytes(l, ctx) < (uint64_t)nnom_plan_of(ctx->model, l)->scratch_bytes + shared;
}

typedef void (*chunk_kernel)(const nnom_conv_args *a, const void *in, void *out, void *scratch, uint32_t bytes);
static void kernel_s8(const nnom_conv_args *a, const void *in, void *out, void *scratch, uint32_t bytes)
{
    nnom_conv2d_s8(a, (const int8_t *)in, (int8_t *)out, scratch, bytes);
}
#if CONV_PAIRS_LINKED
static void kernel_pairs_s8(const nnom_conv_args *a, const void *in, void *out, void *scratch, uint32_t bytes)
{
    nnom_conv2d_pairs_s8(a, (const int8_t *)in, (int8_t *)out, scratch, bytes);
}
#define PAIRS_KERNEL kernel_pairs_s8
#else
#define PAIRS_KERNEL kernel_s8 /* (never: infer refuses such layers) */
#endif
static void kernel_f32(const nnom_conv_args *a, const void *in, void *out, void *scratch, uint32_t bytes)
{
    (void)scratch;
    (void)bytes;
    nnom_conv2d_f32(a, (const float *)in, (float *)out);
}

/* Moves the @p n bytes at @p buf up by @p up bytes (up > 0), in blocks of at most @p up bytes
 * from the top down, each block's source and destination apart (one memcpy when up >= n). */
static void move_up(uint8_t *buf, size_t n, size_t up)
{
    while (n > 0) {
        const size_t block = n < up ? n : up;
        n -= block;
        memcpy(buf + n + up, buf + n, block);
    }
}

/* @p aliased: the kernel computes an output over its own input (kernels/conv.h: int8, one sweep,
 * each pass reading before it writes), so a layer with no more output channels than input runs
 * as one call; a growing one too, its input first moved to the top of the output's place: the
 * output of pixels [0, p) then ends at p * out_c, below their input's end,
 * (out_c - in_c) * total + p * in_c, as p <= total (one call instead of a run per halving and
 * chunks, each paying the kernel's setup). Otherwise a run of pixels goes straight to its place
 * when its output lies apart from its input (growing, last to first: [p0, p1) with
 * p0 * out_c >= p1 * in_c; else first to last: p1 * out_c <= p0 * in_c), the runs longer each
 * step (by in_c / out_c or its inverse), as long as they hold at least a chunk; the others go
 * by chunks through the temporary. */
static void run_in_place(const nnom_conv_args *a, uint8_t *buf, uint8_t *scratch, uint32_t scratch_bytes, size_t elem,
                         chunk_kernel kernel, int aliased)
{
    const int32_t total = pixels(a), chunk = chunk_pixels(a);
    const size_t in_px = (size_t)a->in_c * elem, out_px = (size_t)a->out_c * elem;
    const uint64_t in_c = (uint64_t)a->in_c, out_c = (uint64_t)a->out_c;
    const uint32_t temp_size = temp_bytes(a, elem);
    const int grows = out_c > in_c;
    if (aliased && grows) {
        const size_t up = (size_t)total * (out_px - in_px);
        move_up(buf, (size_t)total * in_px, up);
        const nnom_conv_args c = chunk_args(*a, total);
        kernel(&c, buf + up, buf, scratch, scratch_bytes);
        return;
    }
    for (int32_t done = 0; done < total;) {
        /* the longest run next in order whose output lies apart from its input */
        int32_t p0 = done, p1 = total;
        if (grows) {
            p1 = total - done;
            p0 = (int32_t)(((uint64_t)p1 * in_c + out_c - 1) / out_c);
        } else if (!aliased && (uint64_t)p0 * in_c / out_c < (uint64_t)total) {
            p1 = (int32_t)((uint64_t)p0 * in_c / out_c);
        }
        uint8_t *dst = buf + (size_t)p0 * out_px, *s = scratch;
        uint32_t s_bytes = scratch_bytes;
        if (p1 - p0 < chunk) { /* a chunk through the temporary */
            if (grows) p0 = p1 > chunk ? p1 - chunk : 0;
            else p1 = total - p0 > chunk ? p0 + chunk : total;
            dst = scratch;
            s = scratch + temp_size;
            s_bytes = scratch_bytes - temp_size;
        }
        const nnom_conv_args c = chunk_args(*a, p1 - p0);
        kernel(&c, buf + (size_t)p0 * in_px, dst, s, s_bytes);
        if (dst == scratch) memcpy(buf + (size_t)p0 * out_px, scratch, (size_t)(p1 - p0) * out_px);
        done += p1 - p0;
    }
}

/* ------------------------------------------------------------------ in place (any window) */

/* The most output pixels a kernel computes per pass (kernels/conv.h: the portable kernel's 4, 2
 * or 1, the DSP kernel's 4): a pass that starts in one output row may write into the next. */
#define PASS_PIXELS 4

/* A windowed in-place run works in a buffer of max(in, out) bytes. The input is first moved to
 * its top (at in_at; it stays at 0 when the output is not larger), then the output rows are
 * computed in order, in bands of rows (one kernel call each): a row goes straight to its place
 * when everything written up to its end lies below the first input row it or any later row
 * reads; the others go through a ring of rows in the scratch (run_window_in_place). */
typedef struct {
    int64_t out_row, in_row, in_at; /* bytes: an output row, an input row, where the input moves */
    int direct;                     /* 0: every row through the ring (window_direct) */
} window_layout;

static window_layout layout_of(const nnom_conv_args *a, size_t elem, int direct)
{
    window_layout w;
    w.direct = direct;
    w.out_row = (int64_t)a->out_w * a->out_c * (int64_t)elem;
    w.in_row = (int64_t)a->in_w * a->in_c * (int64_t)elem;
    const int64_t in_bytes = w.in_row * a->in_h, out_bytes = w.out_row * a->out_h;
    w.in_at = out_bytes > in_bytes ? out_bytes - in_bytes : 0;
    return w;
}

/* The first input row output row y reads (its window's first row, 0 in the padding). */
static int32_t first_input_row(const nnom_conv_args *a, int32_t y)
{
    const int32_t start = y * a->stride_h - a->pad_top; /* at most in_h - 1 for Keras' paddings */
    return start < 0 ? 0 : (start < a->in_h ? start : a->in_h - 1);
}

/* Whether output row y, in a kernel call that starts at row y0, may go straight to its place. */
static int row_direct(const nnom_conv_args *a, const window_layout *w, int32_t y0, int32_t y)
{
    const int64_t band_px = (int64_t)(y - y0 + 1) * a->out_w;
    const int64_t pass_end = (band_px + PASS_PIXELS - 1) / PASS_PIXELS * PASS_PIXELS;
    const int64_t written = w->out_row * y0 + pass_end * (w->out_row / a->out_w);
    return written <= w->in_at + w->in_row * first_input_row(a, y);
}

/* The band of rows from y that goes straight to its places; returns its end (y: none). */
static int32_t direct_band(const nnom_conv_args *a, const window_layout *w, int32_t y)
{
    int32_t y1 = y;
    while (w->direct && y1 < a->out_h && row_direct(a, w, y, y1)) y1++;
    return y1;
}

/* The kernel arguments of output rows [y0, y1), whose input starts at row *first. */
static nnom_conv_args band_args(const nnom_conv_args *a, int32_t y0, int32_t y1, int32_t *first)
{
    nnom_conv_args b = *a;
    *first = first_input_row(a, y0);
    b.out_h = y1 - y0;
    b.pad_top = *first - (y0 * a->stride_h - a->pad_top);
    b.in_h = a->in_h - *first;
    return b;
}

/* The rows of the pending ring of a windowed in-place run when the row after them is next:
 * the oldest is stored once no row still to compute reads the input its place covers. */
static int32_t store_ready(const nnom_conv_args *a, const window_layout *w, int32_t next, int32_t first_pending,
                           int32_t count)
{
    int32_t n = 0;
    while (n < count && (next >= a->out_h ||
                         w->out_row * (first_pending + n + 1) <= w->in_at + w->in_row * first_input_row(a, next)))
        n++;
    return n;
}

/* The most rows the ring of a windowed in-place run holds at once (run_window_in_place makes
 * the same steps). */
static int32_t window_ring_rows(const nnom_conv_args *a, size_t elem, int direct)
{
    const window_layout w = layout_of(a, elem, direct);
    int32_t most = 0, count = 0, first_pending = 0;
    for (int32_t y = 0; y < a->out_h;) {
        const int32_t y1 = count == 0 ? direct_band(a, &w, y) : y;
        if (y1 > y) {
            y = y1;
        } else {
            if (count == 0) first_pending = y;
            count++;
            y++;
        }
        most = count > most ? count : most;
        const int32_t n = store_ready(a, &w, y, first_pending, count);
        count -= n;
        first_pending += n;
    }
    return most;
}

static uint32_t window_temp_bytes(const nnom_conv_args *a, size_t elem, int direct)
{
    const int64_t bytes = (int64_t)window_ring_rows(a, elem, direct) * layout_of(a, elem, direct).out_row;
    return round4((uint32_t)bytes); /* at most the output: below 1 GiB */
}

/* Rows that cannot go straight to their place are computed one at a time into a ring of rows
 * (at @p scratch) and stored, oldest first, as soon as no row still to compute reads the
 * input their place covers; a band goes straight to its places only while the ring is empty,
 * so that the rows in the ring are consecutive. */
static void run_window_in_place(const nnom_conv_args *a, uint8_t *buf, uint8_t *scratch, uint32_t scratch_bytes,
                                size_t elem, chunk_kernel kernel, int direct)
{
    const window_layout w = layout_of(a, elem, direct);
    const int32_t ring = window_ring_rows(a, elem, direct);
    const uint32_t ring_bytes = round4((uint32_t)(w.out_row * ring));
    if (w.in_at) memmove(buf + w.in_at, buf, (size_t)(w.in_row * a->in_h));
    const uint8_t *in = buf + w.in_at;
    int32_t head = 0, count = 0, first_pending = 0; /* ring slots head .. head + count - 1 */
    for (int32_t y = 0; y < a->out_h;) {
        int32_t y1 = count == 0 ? direct_band(a, &w, y) : y, first = 0;
        const int straight = y1 > y;
        if (!straight) y1 = y + 1;
        if (!straight && count == 0) first_pending = y;
        const nnom_conv_args b = band_args(a, y, y1, &first);
        uint8_t *dst = straight ? buf + w.out_row * y : scratch + w.out_row * ((head + count) % ring);
        kernel(&b, in + w.in_row * first, dst, scratch + ring_bytes, scratch_bytes - ring_bytes);
        count += !straight;
        y = y1;
        for (int32_t n = store_ready(a, &w, y, first_pending, count); n > 0; n--) {
            memcpy(buf + w.out_row * first_pending, scratch + w.out_row * head, (size_t)w.out_row);
            head = (head + 1) % ring;
            count--;
            first_pending++;
        }
    }
}

static void run_s8(const nnom_exec *x)
{
    const nnom_conv_args a = nnom_conv_exec_args(x, NNOM_DTYPE_S8);
    const chunk_kernel kernel = x->layer->def->params.cell_flags & NNOM_CONV_CHANNEL_PAIRS ? PAIRS_KERNEL : kernel_s8;
    if (x->layer->in_place && !is_pointwise(&x->layer->def->params))
        run_window_in_place(&a, (uint8_t *)x->out, (uint8_t *)x->scratch, x->scratch_bytes, sizeof(int8_t), kernel,
                            window_direct(x->layer));
    else if (x->layer->in_place)
        run_in_place(&a, (uint8_t *)x->out, (uint8_t *)x->scratch, x->scratch_bytes, sizeof(int8_t), kernel, 1);
    else kernel(&a, x->in[0], x->out, x->scratch, x->scratch_bytes);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_conv_args a = nnom_conv_exec_args(x, NNOM_DTYPE_F32);
    if (x->layer->in_place && !is_pointwise(&x->layer->def->params))
        run_window_in_place(&a, (uint8_t *)x->out, (uint8_t *)x->scratch, x->scratch_bytes, sizeof(float), kernel_f32, 1);
    else if (x->layer->in_place)
        run_in_place(&a, (uint8_t *)x->out, (uint8_t *)x->scratch, x->scratch_bytes, sizeof(float), kernel_f32, 0);
    else nnom_conv2d_f32(&a, (const float *)x->in[0], (float *)x->out);
}

const nnom_layer_ops nnom_ops_conv = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE | NNOM_OPS_IN_PLACE_GROWS | NNOM_OPS_PADDING_READS_ZERO,
    .rows_window = nnom_conv_rows_window,
    .infer = infer,
    .scratch_bytes = scratch_bytes,
    .macs = macs,
    .inplace_ok = inplace_ok,
    .inplace_scratch_bytes = inplace_scratch_bytes,
    .scratch_fast_bytes = scratch_fast_bytes,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
