/*
 * How the Cortex-M DSP convolution (kernels/arm/conv_s8.c) lays out a patch,
 * and the scratch it needs. Plain C: the portable build includes it too, so
 * that the scratch a model plans (and the arena it reports) is the same on the
 * PC and on the device (see kernels/conv_scratch.c).
 */
#ifndef NNOM_KERNELS_ARM_CONV_SHAPE_H
#define NNOM_KERNELS_ARM_CONV_SHAPE_H

#include "kernels/conv.h"

enum {
    EIGHT_MAX_K = 64,    /* patches of at most this length: eight pixels per pass when the scratch
                            given holds their columns (else four) */
    PAIR_MIN_K = 128,    /* patches of at least this length: two pixels per pass, channels in pairs */
    THREE_MIN_K = 48,    /* patches of at least this length: three pixels and two channels at a time
                            (conv_pass3.h) when the scratch given holds three pixels' columns */
    THREE_ONE_MIN_K = 32, /* the same for windows on one input channel (DS-CNN's 10x4: 40, 2.00 -> 1.82
                             estimated Cortex-M4 cycles per MAC; the 28x28 CNN's 3x3, 9, keeps pass4) */
    COLS_LIMIT = 8192,   /* largest scratch for a pass's columns, bytes */
    CHUNK_LIMIT = 4096,  /* largest scratch for the chunks of the chunked path, bytes */
    CHUNK_PIXELS = 4,    /* pixels per pass of the chunked path (long patches, little scratch) */
    CHUNK_GROUP = 8 * CHUNK_PIXELS /* bytes of one group of its columns */
};

/* The patch of k elements, in the weights' order, cut into groups of four. */
typedef struct {
    int32_t k;        /* patch length */
    int32_t groups;   /* groups per column: ceil(k / 4); the last one's lanes past k are 0 */
    int32_t staged;   /* in_c not a multiple of 4: the patch is gathered as int8 first */
    int32_t np;       /* pixels per pass: 8 (k <= EIGHT_MAX_K), 4 (k < PAIR_MIN_K) or 2, whole
                         columns (a last pass of 4 to 7 pixels of an 8-pixel shape takes four); or 1 (one
                         column, or in_c a multiple of 4: chunks of four pixels' columns, see chunk) */
    int32_t chunk;    /* np 1, in_c a multiple of 4: groups of the four pixels' columns gathered
                         at a time; 0 otherwise */
} conv_shape;

/* Bytes of the staged int8 patch (with 4 bytes to spare for word copies), 0 when not staged. */
static inline uint32_t staged_bytes(const conv_shape *s)
{
    return s->staged ? (uint32_t)(s->groups * 4 + 4) : 0u;
}

/* Bytes of the columns of a pass of np pixels: 8 per group and pixel. */
static inline uint32_t cols_bytes(const conv_shape *s, int32_t np)
{
    return (uint32_t)(np * s->groups * 8);
}

/* How the kernel runs with @p scratch_bytes of scratch (at least
 * nnom_conv2d_s8_dsp_scratch_bytes()): whole columns of eight pixels (k <= EIGHT_MAX_K) when
 * they fit in it, else of four (k < PAIR_MIN_K) or of two when they fit in it and in
 * COLS_LIMIT; otherwise, in_c a multiple of 4, as many groups of four pixels' columns at a
 * time as fit; else one pixel's column. */
static inline conv_shape shape_of(const nnom_conv_args *a, uint32_t scratch_bytes)
{
    conv_shape s;
    s.k = a->k_h * a->k_w * a->in_c;
    s.groups = (s.k + 3) / 4;
    s.staged = (a->in_c & 3) != 0;
    int32_t full = s.k < PAIR_MIN_K ? 4 : 2;
    if (s.k <= EIGHT_MAX_K && cols_bytes(&s, 8) + staged_bytes(&s) <= scratch_bytes) full = 8;
    const uint32_t whole = cols_bytes(&s, full);
    s.np = whole <= COLS_LIMIT && whole + staged_bytes(&s) <= scratch_bytes ? full : 1;
    s.chunk = 0;
    if (s.np == 1 && !s.staged) {
        const uint32_t room = (scratch_bytes < CHUNK_LIMIT ? scratch_bytes : CHUNK_LIMIT) / CHUNK_GROUP;
        s.chunk = room < (uint32_t)s.groups ? (int32_t)room : s.groups;
    }
    return s;
}

/* Whether the kernel runs passes of three pixels, two channels at a time (conv_pass3.h), on the
 * shape s (eight, four or two pixels) with @p scratch_bytes of scratch: patches of at least
 * min_k (THREE_MIN_K, or THREE_ONE_MIN_K on one input channel) whose three pixels' columns
 * (and the staged patch) fit in it and in COLS_LIMIT.
 * (The kernel also keeps eight-pixel passes for a layer with channels of a non-negative shift.) */
static inline int three_fits(const conv_shape *s, uint32_t scratch_bytes, int32_t min_k)
{
    const uint32_t three = cols_bytes(s, 3);
    return s->np > 1 && s->k >= min_k && three <= COLS_LIMIT && three + staged_bytes(s) <= scratch_bytes;
}

/* Scratch bytes of the DSP kernel at full speed, as a plan reserves them: a pass's whole
 * columns (of at most four pixels) while they take at most COLS_LIMIT bytes, else chunks of
 * four pixels' columns in CHUNK_LIMIT bytes (in_c a multiple of 4) or one pixel's column;
 * plus the staged patch. */
static inline uint32_t nnom_conv2d_s8_dsp_fast_bytes(const nnom_conv_args *a)
{
    conv_shape s = shape_of(a, UINT32_MAX);
    if (s.np == 8) s.np = 4;
    if (s.np > 1) return cols_bytes(&s, s.np) + staged_bytes(&s);
    return s.staged ? (uint32_t)(s.groups * 8) + staged_bytes(&s) : (uint32_t)(s.chunk * CHUNK_GROUP);
}

/* All the scratch the DSP kernel can use: eight pixels' columns (and the staged patch) for
 * patches of at most EIGHT_MAX_K, three pixels' for the two-pixel shape's patches (from
 * PAIR_MIN_K) while within COLS_LIMIT, else the full-speed size. A plan gives it only from its
 * spare room (core/plan_tuned.c), never reserves it: the arena does not grow for it. */
static inline uint32_t nnom_conv2d_s8_dsp_room_bytes(const nnom_conv_args *a)
{
    const conv_shape s = shape_of(a, UINT32_MAX);
    if (s.np == 8) return cols_bytes(&s, 8) + staged_bytes(&s);
    const uint32_t fast = nnom_conv2d_s8_dsp_fast_bytes(a);
    if (s.np == 2 && cols_bytes(&s, 3) <= COLS_LIMIT && cols_bytes(&s, 3) + staged_bytes(&s) > fast)
        return cols_bytes(&s, 3) + staged_bytes(&s);
    return fast;
}

/* The least scratch of the DSP kernel: the full-speed size while four pixels' columns (and
 * the staged patch) would take at most NNOM_CONV_SCRATCH_WHOLE bytes (below that, saving
 * bytes would cost whole pixel passes); else, in_c a multiple of 4, the smallest of the
 * full-speed size, four pixels' columns on half the patch at a time (16 bytes per group,
 * CMSIS-NN's two int16 columns) and CHUNK_LIMIT; otherwise one pixel's column and the staged
 * patch. */
static inline uint32_t nnom_conv2d_s8_dsp_scratch_bytes(const nnom_conv_args *a)
{
    const conv_shape s = shape_of(a, UINT32_MAX);
    const uint32_t fast = nnom_conv2d_s8_dsp_fast_bytes(a);
    if (cols_bytes(&s, 4) + staged_bytes(&s) <= NNOM_CONV_SCRATCH_WHOLE) return fast;
    if (s.staged) return (uint32_t)(s.groups * 8) + staged_bytes(&s);
    uint32_t least = (uint32_t)((s.groups + 1) / 2 * CHUNK_GROUP);
    if (fast < least) least = fast;
    return least < (uint32_t)CHUNK_LIMIT ? least : (uint32_t)CHUNK_LIMIT;
}

#endif
