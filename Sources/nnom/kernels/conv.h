/*
 * Convolution kernels: regular (CONV1D/CONV2D) and depthwise
 * (DEPTHWISE_CONV1D/2D), int8 and float32.
 *
 * Tensors are HWC without a batch dimension; a 1D layer runs these kernels
 * with in_h = out_h = k_h = 1.
 *
 * Weight layouts:
 *  - conv:      [out_c][k_h][k_w][in_c]   (OHWI; int8 or float)
 *  - depthwise: [k_h][k_w][in_c * mult]   (Keras' order); output channel
 *               oc = ic * mult + m reads input channel ic = oc / mult.
 *
 * int8 semantics (TFLite): for every output element
 *     acc = bias[oc] + sum (x - in_zp) * w            (x outside the input: x = in_zp)
 *     out = clamp(requantize(acc, multiplier[oc], shift[oc]) + out_zp, act_min, act_max)
 * where requantize is the gemmlowp/TFLite fixed-point rescaling of
 * kernels/requant.h (bit-exact; see nnom_conv_quant for an acc beyond int32).
 * float32: out = clamp(bias[oc] + sum x * w, act_min_f, act_max_f), padding x = 0.
 *
 * Preconditions (checked by the layers' infer, not by the kernels): every
 * size >= 1, out_h/out_w consistent with the window (taps may fall in the
 * padding), k_h * k_w * in_c <= NNOM_CONV_MAX_PATCH, in_zp and out_zp in
 * [-128, 127], -128 <= act_min <= act_max <= 127, shift in [-31, 30].
 * bias may be NULL (no bias). Data may be unaligned; multiplier, shift and
 * int32 bias must be int32-aligned.
 */
#ifndef NNOM_KERNELS_CONV_H
#define NNOM_KERNELS_CONV_H

#include <stddef.h>
#include <stdint.h>

/* Largest k_h * k_w * in_c (patch length) of an int8 conv and largest k_h * k_w of an
 * int8 depthwise conv: keeps the dot product below 2^30 in magnitude
 * (|x - zp| <= 255, |w| <= 128, 32768 * 255 * 128 < 2^30). */
#define NNOM_CONV_MAX_PATCH 32768

typedef struct nnom_conv_args {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;   /* depthwise: out_c = in_c * depth_mult */
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;    /* >= 1 */
    int32_t dil_h, dil_w;          /* >= 1 */
    int32_t pad_top, pad_left;     /* taps before the first input row/column */
    int32_t depth_mult;            /* depthwise only */

    /* int8 */
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;      /* output clamp, quantised domain */
    const int32_t *multiplier;     /* [out_c] */
    const int32_t *shift;          /* [out_c] */

    /* float32 */
    float act_min_f, act_max_f;

    const void *weights;           /* int8_t or float, layout above */
    const void *bias;              /* int32_t or float [out_c], or NULL */
} nnom_conv_args;

/* int8 convolution. scratch: scratch_bytes bytes, 4-byte aligned, at least
 * nnom_conv2d_s8_scratch_bytes(a); the kernel runs more output pixels per pass when
 * given more, up to nnom_conv2d_s8_scratch_fast_bytes(a). Those two serve both kernels
 * (kernels/conv_scratch.c); a model plans with the sizes of the build's own kernels
 * (nnom_conv2d_s8_scratch_for). With k = k_h * k_w * in_c (at most NNOM_CONV_MAX_PATCH),
 * kp = k rounded up to 16 and g = ceil(k / 4), at full speed:
 *  - portable (below): the int16 im2col columns of 4, 2 or 1 output pixels, as many as
 *    fit in NNOM_CONV_SCRATCH_MAX (512) bytes, or one column of 2 * kp bytes;
 *  - Cortex-M DSP (kernels/arm/conv_shape.h): 8 bytes per group of 4 patch elements and
 *    pixel: four pixels' columns, 32 g, for patches below 128, two pixels', 16 g, from
 *    128 (while at most 8192 bytes, else four-pixel chunks of the patch in 4096), plus,
 *    when in_c is not a multiple of 4, the int8 patch staged in 4 g + 4 bytes; given more
 *    (nnom_conv2d_s8_scratch_room_bytes), eight pixels' columns, 64 g, for patches of at
 *    most 64, and three pixels', 24 g, from 128 (while at most 8192 bytes).
 * The least: the full-speed size while four pixels' columns (and the staged patch) take at
 * most NNOM_CONV_SCRATCH_WHOLE (512) bytes (below that, saving bytes would cost whole pixel
 * passes); above it, for the DSP kernel, the smallest of its full-speed size, four pixels'
 * columns over half the patch at a time, 16 g rounded up to 32 (CMSIS-NN's two int16
 * columns, 4 k bytes), and 4096; or, in_c not a multiple of 4, one column and the staged
 * patch, 12 g + 4.
 * An output that overlaps the input (layers/conv.c's in-place runs) is computed in one sweep over
 * the pixels in order, each pass reading its inputs before writing; otherwise the portable kernel
 * may sweep the pixels once per block of output channels, and the DSP kernel may hold columns in
 * the output bytes of pixels it has not computed yet (every output byte ends with its value). */
void nnom_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch, uint32_t scratch_bytes);
/* Runs the convolution as dense layers, one per output pixel (kernels/conv_dense_s8.c), and returns 1
 * when that is exact and faster: at most 3 output pixels whose windows are contiguous runs of the input
 * (1x1 kernels without padding, windows of whole input rows), the output apart from the input; else
 * returns 0 without writing. The Cortex-M DSP nnom_conv2d_s8 calls it first (on the Cortex-M4, 1.7
 * estimated cycles per MAC where its own passes take 3.5-6.9); the portable kernel does not (on x86-64
 * its own loops are 10 % faster there). */
int nnom_conv2d_s8_as_dense(const nnom_conv_args *a, const int8_t *in, int8_t *out);
/* The least scratch of nnom_conv2d_s8 (the larger of the two kernels' least). */
uint32_t nnom_conv2d_s8_scratch_bytes(const nnom_conv_args *a);
/* The scratch with which both kernels run at full speed (never less than the least): what
 * a plan reserves for a kernel not to slow down (a tiled plan does). */
uint32_t nnom_conv2d_s8_scratch_fast_bytes(const nnom_conv_args *a);
/* All the scratch either kernel can use (never less than the full-speed size): more still
 * for the DSP kernel's patches of at most 64 (eight-pixel passes, kernels/arm/conv_shape.h)
 * and from 128 (three-pixel passes), given from a plan's spare room only, so that the arena
 * never grows for it. */
uint32_t nnom_conv2d_s8_scratch_room_bytes(const nnom_conv_args *a);

/* The scratch of one kernel set (the values of nnom_kernels in nnom/model.h): least, at full
 * speed when @p fast, or all it can use when @p fast is NNOM_CONV_SCRATCH_ROOM;
 * NNOM_CONV_KERNELS_ANY the larger of the two. */
enum { NNOM_CONV_KERNELS_ANY = 0, NNOM_CONV_KERNELS_PORTABLE = 1, NNOM_CONV_KERNELS_DSP = 2 };
enum { NNOM_CONV_SCRATCH_LEAST = 0, NNOM_CONV_SCRATCH_FAST = 1, NNOM_CONV_SCRATCH_ROOM = 2 };
uint32_t nnom_conv2d_s8_scratch_for(const nnom_conv_args *a, int32_t kernels, int fast);
/* The kernel set this build runs: NNOM_CONV_KERNELS_DSP or NNOM_CONV_KERNELS_PORTABLE. */
int32_t nnom_conv_build_kernels(void);

/* The portable int8 kernel's layout: columns padded to NNOM_CONV_BLOCK int16,
 * as many pixels per pass (4, 2 or 1) as fit in the scratch given and at most
 * NNOM_CONV_SCRATCH_MAX bytes. */
#define NNOM_CONV_BLOCK 16
#define NNOM_CONV_SCRATCH_MAX 512
/* Scratch this small is always given whole (see nnom_conv2d_s8 above). */
#define NNOM_CONV_SCRATCH_WHOLE 512
static inline int32_t nnom_conv_padded_patch(int32_t k)
{
    return (k + (NNOM_CONV_BLOCK - 1)) / NNOM_CONV_BLOCK * NNOM_CONV_BLOCK;
}
static inline int32_t nnom_conv_pixels_per_pass(int32_t kp, uint32_t scratch_bytes)
{
    const uint32_t room = scratch_bytes < NNOM_CONV_SCRATCH_MAX ? scratch_bytes : NNOM_CONV_SCRATCH_MAX;
    const uint32_t col_bytes = (uint32_t)kp * (uint32_t)sizeof(int16_t);
    return 4 * col_bytes <= room ? 4 : (2 * col_bytes <= room ? 2 : 1);
}
/* The portable kernel's full-speed scratch, and its least: the same (at most 512 bytes, or
 * one column). */
static inline uint32_t nnom_conv2d_s8_portable_fast_bytes(const nnom_conv_args *a)
{
    const int32_t kp = nnom_conv_padded_patch(a->k_h * a->k_w * a->in_c);
    return (uint32_t)(nnom_conv_pixels_per_pass(kp, NNOM_CONV_SCRATCH_MAX) * kp) * (uint32_t)sizeof(int16_t);
}
static inline uint32_t nnom_conv2d_s8_portable_scratch_bytes(const nnom_conv_args *a)
{
    return nnom_conv2d_s8_portable_fast_bytes(a);
}

/*
 * Weights in channel pairs (CONV_2D cell_flags NNOM_CONV_CHANNEL_PAIRS, file format 1.11; the
 * converter writes it for the layers nnom_conv_pairs_fit() accepts): the output channels are taken
 * in pairs (A = 2p, B = 2p + 1; an odd last channel is paired with zero weights) and each channel's
 * patch of k = k_h k_w in_c weights (the OHWI order) is padded with zeros to K4 = k rounded up to 4.
 * Pair p's K4 words start at byte 2 K4 p; its words 2g and 2g + 1 hold the patch elements 4g .. 4g + 3:
 *
 *     word 2g:     w[A][4g] ^ 0x80,     w[B][4g],     w[A][4g + 2] ^ 0x80, w[B][4g + 2]
 *     word 2g + 1: w[A][4g + 1] ^ 0x80, w[B][4g + 1], w[A][4g + 3] ^ 0x80, w[B][4g + 3]
 *
 * Read as little-endian int16 lanes, a word is (w[A][i] + 128 + 256 w[B][i], w[A][j] + 128 +
 * 256 w[B][j]), the patch elements i, j in the order in which a Cortex-M SXTB16 widens a word of
 * four inputs (bytes 0 and 2, then 1 and 3). With x = in - in_zp over the patch, one multiply-
 * accumulate of the widened inputs with the word as it is gives sum_A + 128 sum x + 256 sum_B, and
 * one with its odd bytes sign-extended gives sum_B: two channels from one weight word widened, not
 * two, and
 *
 *     sum_A = a - 256 b - 128 sum x   (modulo 2^32, exact since |sum_A| < 2^31).
 *
 * NNOM_CONV_PAIRS_BYTES in all (the padding weights are zero).
 */
#define NNOM_CONV_PAIR_FLIP 0x80u
/* The longest patch (k_h k_w in_c) of a layer in channel pairs: a column of its int16 inputs fits
 * the least scratch of both kernel sets (nnom_conv2d_s8_scratch_bytes: 4096 bytes or more). */
#define NNOM_CONV_PAIRS_MAX_PATCH 2048
static inline int32_t nnom_conv_pairs_patch(int32_t k)
{
    return (k + 3) / 4 * 4;
}
#define NNOM_CONV_PAIRS_BYTES(patch, out_c) \
    ((uint64_t)((out_c) + ((out_c) & 1)) * (uint64_t)(((patch) + 3) / 4 * 4))

/* Where patch element i of a channel pair's weights sits among its K4 int16 lanes (and the reverse:
 * the map swaps elements 1 and 2 of each group of four). */
static inline int32_t nnom_conv_pair_lane(int32_t i)
{
    return (i & ~3) | ((i & 1) << 1) | ((i >> 1) & 1);
}

/* The channel-pair layout of OHWI int8 weights w[out_c][k] into @p pairs (NNOM_CONV_PAIRS_BYTES
 * bytes): what the converter writes, and the tests' reference for it. */
static inline void nnom_conv_pairs_pack(const int8_t *w, int32_t k, int32_t out_c, uint8_t *pairs)
{
    const int32_t k4 = nnom_conv_pairs_patch(k), n_pairs = (out_c + 1) / 2;
    for (int32_t p = 0; p < n_pairs; p++)
        for (int32_t i = 0; i < k4; i++)
            for (int32_t r = 0; r < 2; r++) { /* r 0: channel A, its byte flipped; 1: channel B */
                const int32_t c = 2 * p + r;
                const int8_t v = c < out_c && i < k ? w[(ptrdiff_t)c * k + i] : 0;
                pairs[(ptrdiff_t)2 * k4 * p + 2 * nnom_conv_pair_lane(i) + r] =
                    (uint8_t)((uint8_t)v ^ (r ? 0u : NNOM_CONV_PAIR_FLIP));
            }
}

/* 1 when the converter writes layer @p a (int8, its multipliers, shifts and bias set; its weights
 * OHWI) in channel pairs: a shape and requantisation that the build's fastest kernel for them, the
 * Cortex-M DSP one, reads in pairs (kernels/conv_pairs_fit.c). The same answer on every build. */
int nnom_conv_pairs_fit(const nnom_conv_args *a);

/**
 * int8 convolution with the weights in channel pairs (above): the same function as nnom_conv2d_s8,
 * bit for bit, @p a->weights pointing at the pairs; the same scratch (at least
 * nnom_conv2d_s8_scratch_bytes(a)) and the same rule for an output over the input.
 * Precondition: k_h k_w in_c <= NNOM_CONV_PAIRS_MAX_PATCH.
 */
void nnom_conv2d_pairs_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                          uint32_t scratch_bytes);
/* Its portable C form (kernels/conv_pairs_s8.c), which the Cortex-M kernel calls for what it does not
 * take. */
void nnom_conv2d_pairs_s8_c(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                            uint32_t scratch_bytes);

/* float32 convolution (reference code, no scratch). */
void nnom_conv2d_f32(const nnom_conv_args *a, const float *in, float *out);

/* int8 depthwise convolution (no scratch). */
void nnom_depthwise_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out);

/* 1 when the depthwise convolution @p a is a per-channel affine map: a 1x1 kernel, stride 1, depth
 * multiplier 1, no padding (each output element then depends only on the input element at its own
 * index). nnom_depthwise_conv2d_s8 runs such layers with nnom_depthwise_affine_s8, in place too. */
int nnom_depthwise_is_affine(const nnom_conv_args *a);
/* Such a layer (kernels/depthwise_affine_s8.c), the same outputs as any depthwise kernel; in == out
 * allowed. Precondition: nnom_depthwise_is_affine(a). */
void nnom_depthwise_affine_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out);

/* 1 when nnom_depthwise_conv2d_s8(a, buf, buf) may run with the output overwriting its input in
 * one call (depth multiplier 1, in_c == out_c, the output plane no larger than the input's):
 * per-channel affine layers (nnom_depthwise_is_affine), and the Cortex-M DSP kernel on the shapes
 * it reads through a copy of each group of four channels (kernels/arm/depthwise_group4.h); 0 otherwise (then the caller runs the kernel on windows of
 * rows, layers/depthwise_conv.c). The results are the same either way. */
int nnom_depthwise_conv2d_s8_in_place(const nnom_conv_args *a);
/* The output rows, in [1, @p most], to hand nnom_depthwise_conv2d_s8 per call when a caller computes
 * the plane of @p a in blocks of rows (windows of the input, layers/depthwise_conv.c), as the
 * kernel runs fastest: the largest multiple of its strip of rows not above @p most (the Cortex-M
 * DSP kernel), or @p most. A speed hint only: the results are the same for any blocks. */
int32_t nnom_depthwise_conv2d_s8_block_rows(const nnom_conv_args *a, int32_t most);

/* float32 depthwise convolution (reference code, no scratch). */
void nnom_depthwise_conv2d_f32(const nnom_conv_args *a, const float *in, float *out);

/*
 * Requantisation of one output channel, split so that what depends only on
 * the channel is computed once (nnom_conv_quant_init) and the per-output work
 * (nnom_conv_quant_out) is one 64-bit multiply, two adds and a shift.
 *
 * The accumulator acc = dot + bias is used exactly (as an int64; the
 * precondition |dot| < 2^30 holds for patches of at most NNOM_CONV_MAX_PATCH
 * elements). For every acc that fits in int32, the result equals TFLite's
 * requantisation, nnom_requantize(acc, multiplier, shift) of
 * kernels/requant.h, bit for bit (any int32 multiplier, shift in [-31, 30]);
 * for shift > 0, acc * 2^shift saturates to int32 as there.
 *
 * Why: the doubling high multiply is floor((x*m + 2^30) / 2^31) (ties towards
 * +infinity; nnom_requantize's one saturating case, x = m = -2^31, gives
 * 2^31 - 1 where this gives 2^31, and both round and clamp to the same int8)
 * and the rounding right shift by e = -shift >= 1 is
 * floor((y + 2^(e-1) - [y < 0]) / 2^e) (ties away from zero). As
 * floor((floor(A / 2^31) + c) / 2^e) == floor((A + c * 2^31) / 2^(31+e)) for an
 * integer c, and y < 0 exactly when A = x*m + 2^30 < 0, both steps fold into
 * one 64-bit add and one arithmetic shift by 31 + e. With |x| < 1.5 * 2^31 and
 * |m| <= 2^31, |x*m| < 1.5 * 2^62 and the added terms stay below 2^62, so
 * nothing overflows.
 */
typedef struct nnom_conv_quant {
    int64_t round;   /* 2^(30+e) for e >= 1, else 0 */
    int64_t neg;     /* 2^31 for e >= 1, else 0: makes ties round away from zero */
    int32_t bias;
    int32_t mult;
    int32_t lshift;  /* max(shift, 0) */
    int32_t rshift;  /* 31 + max(-shift, 0) */
} nnom_conv_quant;

static inline nnom_conv_quant nnom_conv_quant_init(int32_t bias, int32_t multiplier, int32_t shift)
{
    const int32_t e = shift < 0 ? -shift : 0;
    nnom_conv_quant q;
    q.bias = bias;
    q.mult = multiplier;
    q.lshift = shift > 0 ? shift : 0;
    q.rshift = 31 + e;
    q.round = e ? (int64_t)1 << (30 + e) : 0;
    q.neg = e ? (int64_t)1 << 31 : 0;
    return q;
}

/* Requantised dot + bias, before the zero point (int64; see above). */
static inline int64_t nnom_conv_quant_apply(nnom_conv_quant q, int32_t dot)
{
    int64_t x = (int64_t)dot + q.bias;
    if (q.lshift) {
        x *= (int64_t)1 << q.lshift;
        x = x > INT32_MAX ? INT32_MAX : (x < INT32_MIN ? INT32_MIN : x);
    }
    const int64_t a = x * q.mult + ((int64_t)1 << 30);
    return (a + q.round - (a < 0 ? q.neg : 0)) >> q.rshift;
}

/* The int8 output: requantised, offset by the zero point zp, clamped to [lo, hi]. */
static inline int8_t nnom_conv_quant_out(nnom_conv_quant q, int32_t dot, int32_t zp, int32_t lo, int32_t hi)
{
    const int64_t v = nnom_conv_quant_apply(q, dot) + zp;
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

/*
 * The same requantisation for shift <= 0 (every multiplier below 1, the usual
 * case) with the bias folded into the constants as well:
 *   A = dot * m + B, B = bias * m + 2^30;  y = (A + round - [A < 0] * neg) >> rshift
 * so that an output is a multiply, a compare, an add and a shift. The sign
 * test A < 0 becomes dot * m < thr = -B. Bounds, for any int32 bias and m:
 * |dot * m| < 2^61 - 2^53, |B| <= 2^62 + 2^30, round <= 2^61, so every sum
 * stays below 2^63. Results equal nnom_conv_quant_out()'s.
 */
typedef struct nnom_conv_fastq {
    int64_t thr;     /* -B */
    int64_t p_add;   /* B + round: added when A >= 0 */
    int64_t q_add;   /* B + round - neg: added when A < 0 */
    int32_t mult;
    int32_t rshift;
} nnom_conv_fastq;

/* Precondition: shift in [-31, 0]. */
static inline nnom_conv_fastq nnom_conv_fastq_init(int32_t bias, int32_t multiplier, int32_t shift)
{
    const int32_t e = -shift;
    const int64_t b = (int64_t)bias * multiplier + ((int64_t)1 << 30);
    nnom_conv_fastq q;
    q.mult = multiplier;
    q.rshift = 31 + e;
    q.thr = -b;
    q.p_add = b + (e ? (int64_t)1 << (30 + e) : 0);
    q.q_add = q.p_add - (e ? (int64_t)1 << 31 : 0);
    return q;
}

static inline int8_t nnom_conv_fastq_out(int32_t dot, int32_t mult, int64_t thr, int64_t p_add, int64_t q_add,
                                         int32_t rshift, int32_t zp, int32_t lo, int32_t hi)
{
    const int64_t t = (int64_t)dot * mult;
    const int64_t v = ((t + (t < thr ? q_add : p_add)) >> rshift) + zp;
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

#endif /* NNOM_KERNELS_CONV_H */
