/*
 * DEPTHWISE_CONV1D / DEPTHWISE_CONV2D: each input channel convolved with its
 * own `units` (depth multiplier) filters; output channel ic * units + m.
 * Fused activation NONE, RELU or RELU6. Parameters: kernel, stride and
 * dilation (0 reads as 1), padding VALID or SAME (Keras), units.
 *  - 2D takes (H, W, C) and gives (out_h, out_w, C * units);
 *  - 1D takes (W, C) and gives (out_w, C * units); kernel[0], stride[0] and
 *    dilation[0] must be 1.
 *  s8:  blob 0 weights int8 [kh][kw][C * units] (Keras' order), blob 1 bias
 *       int32 [C * units] or empty, blob 2 multipliers int32 [C * units] (>= 0),
 *       blob 3 shifts int32 [C * units] in [-31, 30].
 *  f32: blob 0 weights float [kh][kw][C * units], blob 1 bias float [C * units] or empty.
 * No scratch. MACs: out_h * out_w * C * units * kh * kw.
 * The checks are shared with CONV1D/2D (layers/conv.c).
 *
 * In place (multiplier 1, when the input dies here and the planner agrees):
 * the output overwrites the input a block of rows at a time. The rows of a
 * block are computed into a ring of rows (the scratch) and each is copied to
 * its place once no row still to be computed reads the input rows that place
 * covers: the first input row read by output row k is k * stride - pad_top.
 * A block is at least DW_IN_PLACE_BLOCK_PIXELS output pixels (whole rows; at
 * most half the map's rows, so that the ring stays smaller than the output),
 * so the kernels run on planes large enough for their fast paths (one row of a
 * narrow map is too few pixels: per-channel set-up dominates). The ring holds
 * the most rows ever waiting, found by running the same schedule at plan time
 * (the same on every target); at run time the blocks are fewer rows where the
 * kernel asks (nnom_depthwise_conv2d_s8_block_rows(): whole strips of the
 * Cortex-M kernel) and the ring still holds what then waits.
 * Where the kernel can write over its input in one call
 * (nnom_depthwise_conv2d_s8_in_place(): the Cortex-M kernel on small planes,
 * which reads each group of channels from a copy) it does so and the ring,
 * still planned so that the arena is the same on every target, goes unused.
 * Each block is the kernel run on a window of the input (the rows above cut
 * off, padding only where the real input has none; the rows still waiting
 * move to the ring's start when a block would run past its end), so every
 * output value comes from the same arithmetic as in the plain run: the
 * results are bit-exact.
 */
#include <string.h>

#include "layers/conv_common.h"

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx) { return nnom_conv_infer(l, ctx, 1); }

static uint64_t macs(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_dims o = nnom_dims_of(&l->def->shape);
    (void)ctx;
    return (uint64_t)o.h * (uint64_t)o.w * (uint64_t)o.c * (uint64_t)l->def->params.kernel[0] * (uint64_t)l->def->params.kernel[1];
}

/* ------------------------------------------------------------------ in place */

/* Whether output row @p j may be copied to its place before output row @p next is computed:
 * the input rows its place covers are read by no output row from @p next on. */
static int row_done(const nnom_conv_args *a, int32_t j, int32_t next)
{
    if (next >= a->out_h) return 1;
    const int64_t out_row = (int64_t)a->out_w * a->out_c, in_row = (int64_t)a->in_w * a->in_c;
    const int64_t last_covered = ((int64_t)(j + 1) * out_row - 1) / in_row;
    const int64_t first_read = (int64_t)next * a->stride_h - a->pad_top;
    return last_covered < first_read;
}

/* Output pixels a block of rows computed in place holds at least (whole rows; the map's height at most). */
#define DW_IN_PLACE_BLOCK_PIXELS 256

/* Rows per block: enough whole rows for DW_IN_PLACE_BLOCK_PIXELS output pixels, but at most half
 * the map's (rounded up), so that a map of two blocks and more can still be computed in place. */
static int32_t block_rows(const nnom_conv_args *a)
{
    const int32_t rows = (DW_IN_PLACE_BLOCK_PIXELS + a->out_w - 1) / a->out_w, half = (a->out_h + 1) / 2;
    return rows < half ? rows : half;
}

/* The most output rows waiting at once (computed, not yet in place) in blocks of @p block rows. */
static int32_t rows_waiting(const nnom_conv_args *a, int32_t block)
{
    int32_t most = 1, oldest = 0;
    for (int32_t oy = 0; oy < a->out_h; oy += block) {
        const int32_t end = oy + block < a->out_h ? oy + block : a->out_h;
        if (end - oldest > most) most = end - oldest;
        while (oldest < end && row_done(a, oldest, end)) oldest++;
    }
    return most;
}

/* The ring's size in rows: the most waiting in blocks of block_rows(), the same on every target. */
static int32_t ring_rows(const nnom_conv_args *a) { return rows_waiting(a, block_rows(a)); }

static uint32_t inplace_scratch_bytes(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_conv_args a = nnom_conv_layer_args(l, ctx->in[0], ctx->dtype);
    return (uint32_t)ring_rows(&a) * (uint32_t)a.out_w * (uint32_t)a.out_c * nnom_dtype_size(ctx->dtype);
}

/* Multiplier 1 (one output channel per input channel, rows never wider than the input's) and a
 * ring smaller than the output: the only case where writing over the input saves memory. */
static int inplace_ok(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    if (l->def->params.units != 1) return 0;
    return inplace_scratch_bytes(l, ctx) < nnom_layer_out_bytes(l, ctx->dtype);
}

typedef void (*dw_kernel)(const nnom_conv_args *a, const void *in, void *out);
/* The rows per block the kernel runs fastest on, at most @p most. */
typedef int32_t (*dw_block_fn)(const nnom_conv_args *a, int32_t most);
static int32_t block_f32(const nnom_conv_args *a, int32_t most)
{
    (void)a;
    return most;
}
static void kernel_s8(const nnom_conv_args *a, const void *in, void *out)
{
    nnom_depthwise_conv2d_s8(a, (const int8_t *)in, (int8_t *)out);
}
static void kernel_f32(const nnom_conv_args *a, const void *in, void *out)
{
    nnom_depthwise_conv2d_f32(a, (const float *)in, (float *)out);
}

/* Output rows [first, first + n) computed from the input in @p buf into @p out: the kernel on a
 * window of the input that starts at the block's first input row (padding only above row 0). */
static void run_window(const nnom_conv_args *a, const uint8_t *buf, size_t in_row, int32_t first, int32_t n,
                       uint8_t *out, dw_kernel kernel)
{
    nnom_conv_args w = *a;
    const int32_t iy0 = first * a->stride_h - a->pad_top;
    const int32_t skip = iy0 > 0 ? iy0 : 0;
    w.out_h = n;
    w.in_h = a->in_h - skip;
    w.pad_top = skip - iy0;
    kernel(&w, buf + (size_t)skip * in_row, out);
}

/* @p buf holds the input and receives the output; @p ring has ring_rows() output rows. Row r waits
 * in the ring at row r - start; a block that would run past the ring's end first moves the rows
 * still waiting to its start, so that every block is one window (one kernel call on the block's
 * rows: the kernels' fast paths want planes, not the one or two rows a wrap would leave). The
 * blocks are block_rows(), or fewer rows where the kernel prefers (whole strips of its own, see
 * nnom_depthwise_conv2d_s8_block_rows()) and the ring holds what then waits. */
static void run_in_place(const nnom_conv_args *a, uint8_t *buf, uint8_t *ring, size_t elem, dw_kernel kernel,
                         dw_block_fn prefer)
{
    const size_t out_row = (size_t)a->out_w * (size_t)a->out_c * elem, in_row = (size_t)a->in_w * (size_t)a->in_c * elem;
    const int32_t slots = ring_rows(a), planned = block_rows(a), preferred = prefer(a, planned);
    const int32_t block = preferred >= 1 && preferred < planned && rows_waiting(a, preferred) <= slots ? preferred : planned;
    int32_t oldest = 0, start = 0;
    for (int32_t oy = 0; oy < a->out_h; oy += block) {
        const int32_t end = oy + block < a->out_h ? oy + block : a->out_h;
        if (end - start > slots) { /* (end - oldest <= rows_waiting(a, block) <= slots) */
            memmove(ring, ring + (size_t)(oldest - start) * out_row, (size_t)(oy - oldest) * out_row);
            start = oldest;
        }
        run_window(a, buf, in_row, oy, end - oy, ring + (size_t)(oy - start) * out_row, kernel);
        for (; oldest < end && row_done(a, oldest, end); oldest++)
            memcpy(buf + (size_t)oldest * out_row, ring + (size_t)(oldest - start) * out_row, out_row);
    }
}

static void run_s8(const nnom_exec *x)
{
    const nnom_conv_args a = nnom_conv_exec_args(x, NNOM_DTYPE_S8);
    if (x->layer->in_place && nnom_depthwise_conv2d_s8_in_place(&a))
        nnom_depthwise_conv2d_s8(&a, (const int8_t *)x->out, (int8_t *)x->out); /* (the scratch unused) */
    else if (x->layer->in_place) run_in_place(&a, (uint8_t *)x->out, (uint8_t *)x->scratch, sizeof(int8_t), kernel_s8,
                                             nnom_depthwise_conv2d_s8_block_rows);
    else nnom_depthwise_conv2d_s8(&a, (const int8_t *)x->in[0], (int8_t *)x->out);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_conv_args a = nnom_conv_exec_args(x, NNOM_DTYPE_F32);
    if (x->layer->in_place) run_in_place(&a, (uint8_t *)x->out, (uint8_t *)x->scratch, sizeof(float), kernel_f32, block_f32);
    else nnom_depthwise_conv2d_f32(&a, (const float *)x->in[0], (float *)x->out);
}

const nnom_layer_ops nnom_ops_depthwise_conv = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE | NNOM_OPS_PADDING_READS_ZERO,
    .rows_window = nnom_conv_rows_window,
    .infer = infer,
    .macs = macs,
    .inplace_ok = inplace_ok,
    .inplace_scratch_bytes = inplace_scratch_bytes,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
