/*
 * The Cortex-M DSP 1x1 convolution at a stride above 1 (ResNet's projection shortcuts, 1x1 stride
 * 2), from the pairs' records of conv_pass3r.h: part of kernels/arm/conv_s8.c (conv_short.h
 * includes this file; nnom_conv2d_s8 asks conv_short_takes first, which asks strided_rec_takes);
 * same results as the portable kernel bit for bit.
 *
 * What it takes (strided_rec_takes): k_h = k_w = 1, no padding, stride_h or stride_w above 1,
 * in_c a multiple of 4 in [STRIDED_MIN_IN_C, 4 PASS3R_MAX_GROUPS], out_c in [2, 2
 * PASS3R_MAX_PAIRS], at least 3 output pixels, every channel of the common fast form
 * (conv_channels.h's form_common: shift in [-22, -1], a positive multiplier, a bias that keeps
 * |dot + bias| below 2^30), and a scratch of at least 3 in_c bytes. The output may overlap the
 * input as the in-place runs of layers/conv.c make it (one sweep over the pixels in order, each
 * pixel's inputs read before its output is written: kernels/conv.h). Others fall through to the
 * general kernel (conv_im2col.h's strided_1x1, or the passes with a gather per pass).
 *
 * How: the records of the pairs (pass3_records: 36 bytes a pair on this routine's stack) made
 * once per call; then the output pixels in chunks of a multiple of 3 (as many as the scratch
 * holds, at most the pixels left): the chunk's inputs, every stride-th pixel of the input,
 * copied a word at a time into the scratch in pixel order (a 1x1 layer at stride 1 there),
 * and one call of pass3_rec_run runs its passes of three straight into the output. The last one
 * or two pixels (pixels not a multiple of 3) make a pass of three with the last pixel copied
 * again, into a temporary (the scratch after the inputs, or a stack buffer of 3 out_c bytes)
 * whose first pixels are then copied out. A narrower clamp than int8 follows each chunk, in C.
 *
 * Why: the general kernel runs such a layer's passes with an im2col per pass, in pass8 for
 * patches below PASS3S_MIN_K (k = 16: about 2.1 estimated cycles per MAC in the routine alone)
 * or pass3_stack (k = 32: 1.5), or, when the output lies apart from the input and there are at
 * least 32 pixels, copies all the inputs to the end of the output first (conv_im2col.h): not in
 * a tiled stage's bands of 8-16 pixels, nor over the input. Measured: see strided_rec.
 */
#ifndef NNOM_KERNELS_ARM_CONV_STRIDED_H
#define NNOM_KERNELS_ARM_CONV_STRIDED_H

#if NNOM_CONV_PASS3S

/* The fewest input channels it takes (4 and fewer: conv_narrow.h). */
#define STRIDED_MIN_IN_C 8
/* The fewest output pixels: one pass of three. */
#define STRIDED_MIN_PIX 3
/* Pixels of a pass of pass3_rec_run. */
#define STRIDED_PASS 3

/* (conv_s8.c: whether every channel of [0, n) takes form_common(), without a branch per channel) */
__attribute__((noinline)) static int all_common(const nnom_conv_args *a, int32_t n, int32_t bias_room, int *u);

/* |dot| <= k 255 128 on a patch of k: the largest |bias| that keeps |dot + bias| below 2^30. */
static inline int32_t strided_bias_room(int32_t k) { return (int32_t)((1 << 30) - 1 - k * 32640); }

/* Whether strided_rec runs this convolution (see the file comment). */
static int strided_rec_takes(const nnom_conv_args *a, uint32_t scratch_bytes)
{
    if (a->k_h != 1 || a->k_w != 1 || a->pad_top || a->pad_left || (a->stride_h == 1 && a->stride_w == 1)) return 0;
    if ((a->in_c & 3) || a->in_c < STRIDED_MIN_IN_C || a->in_c > 4 * PASS3R_MAX_GROUPS) return 0;
    if (a->out_c < 2 || a->out_c > 2 * PASS3R_MAX_PAIRS || a->out_h * a->out_w < STRIDED_MIN_PIX) return 0;
    if (scratch_bytes < (uint32_t)(STRIDED_PASS * a->in_c)) return 0;
    int u;
    return all_common(a, a->out_c, strided_bias_room(a->in_c), &u);
}

/* Copies steps >= 1 blocks of 16 bytes from s (word-aligned) to *dst (word-aligned), advancing *dst: one LDM
 * and one STM of four words a block. */
static inline __attribute__((always_inline)) void strided_copy16(int8_t **dst, const int8_t *s, int32_t steps)
{
    __asm__ volatile("1:\n\t"
                     "ldm    %[s]!, {r4-r7}\n\t"
                     "stm    %[d]!, {r4-r7}\n\t"
                     "subs   %[n], %[n], #1\n\t"
                     "bne    1b\n\t"
                     : [s] "+r"(s), [d] "+r"(*dst), [n] "+r"(steps)
                     :
                     : "r4", "r5", "r6", "r7", "cc", "memory");
}

/* Bytes of a block of strided_copy16. */
#define STRIDED_BLOCK 16

/* The inputs of output pixels [p0, p0 + count) (in_c bytes each, a multiple of 4) into dst (word-aligned),
 * in order: in blocks of STRIDED_BLOCK (strided_copy16) when in_c is a multiple of it and the input
 * word-aligned (about 3 est. cycles a word and 8 a pixel), else a word at a time (8 a word). */
static void strided_gather(const nnom_conv_args *a, const int8_t *in, int32_t p0, int32_t count, int8_t *dst)
{
    const int32_t in_c = a->in_c, blocks = a->in_c % STRIDED_BLOCK || ((uintptr_t)in & 3u) ? 0 : in_c / STRIDED_BLOCK;
    const ptrdiff_t row = (ptrdiff_t)a->stride_h * a->in_w * in_c, col = (ptrdiff_t)a->stride_w * in_c;
    int32_t oy = p0 / a->out_w, ox = p0 % a->out_w;
    const int8_t *src = in + oy * row + ox * col;
    for (; count > 0; count--) {
        if (blocks) {
            strided_copy16(&dst, src, blocks);
        } else {
            for (int32_t i = 0; i < in_c; i += 4, dst += 4) {
                const uint32_t v = nnom_arm_load4(src + i);
                memcpy(dst, &v, 4);
            }
        }
        if (++ox == a->out_w) {
            ox = 0;
            src = in + ++oy * row;
        } else {
            src += col;
        }
    }
}

/* The narrower clamp of the n pixels' outputs at o. */
static void strided_clamp(const nnom_conv_args *a, int8_t *o, int32_t n)
{
    for (int32_t i = 0; i < n * a->out_c; i++)
        o[i] = (int8_t)(o[i] < a->act_min ? a->act_min : (o[i] > a->act_max ? a->act_max : o[i]));
}

/* The last `left` pixels (1 or 2) from p0: a pass of three on them and the last one again, into tmp (3 out_c
 * bytes; a stack buffer when tmp is NULL), then their outputs copied to o. */
__attribute__((noinline)) static void strided_last(const nnom_conv_args *a, const int8_t *in, pass3r_args *r,
                                                   int32_t p0, int32_t left, int8_t *tmp, int8_t *o)
{
    int8_t buf[tmp ? 1 : STRIDED_PASS * a->out_c];
    if (!tmp) tmp = buf;
    int8_t *const cols = (int8_t *)r->in;
    strided_gather(a, in, p0, left, cols);
    for (int32_t j = left; j < STRIDED_PASS; j++) memcpy(cols + j * a->in_c, cols + (left - 1) * a->in_c, (size_t)a->in_c);
    r->out = tmp;
    r->passes = 1;
    pass3_rec_run(r);
    memcpy(o, tmp, (size_t)(left * a->out_c));
}

/*
 * The convolution of a layer strided_rec_takes() takes (see the file comment). Stack: the records
 * (36 bytes a pair and one, at most 2340), pass3_rec_run's 844 bytes, and for the last pixels at most
 * 3 out_c bytes when the scratch does not hold them. Measured (-O2, est. cycles per MAC, before in
 * brackets): bands of one output row as ResNet-8's tiled stage calls them, conv1x1_s2_2x32x16to32_band
 * 2.452 (2.573, pass8), conv1x1_s2_2x16x32to64_band 1.944 (2.190, pass3_stack); whole,
 * conv1x1_s2_16x16x32to64 1.520 (1.561, copied to the output's end), conv1x1_s2_32x32x16to32 1.867
 * (1.907); ResNet-8's two shortcuts (a band of 16 pixels per tile, and 8x8 over its input) 591,078 ->
 * 524,524 est. cycles an inference. What is
 * left: pass3_rec_run itself, 1.76 a MAC on 16 input channels (the pairs' requantisations and
 * stores over 96 MACs a pass), 1.41 on 32; the records, about 54 cycles a pair, made again at every
 * call (every band).
 */
__attribute__((noinline)) static void strided_rec(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                                                  uint32_t scratch_bytes)
{
    const int32_t in_c = a->in_c, out_c = a->out_c, n_pix = a->out_h * a->out_w, n_pairs = (out_c + 1) / 2;
    const int clamp = a->act_min != -128 || a->act_max != 127;
    pass3_rec recs[n_pairs + 1];
    pass3_records(recs, NULL, 0, out_c - 1, n_pairs, (const int32_t *)a->bias, a->multiplier, a->shift,
                  (const int8_t *)a->weights, in_c, 2 * a->out_zp + 1);
    int8_t *const cols = (int8_t *)scratch;
    const int32_t room = (int32_t)(scratch_bytes / (uint32_t)in_c) / STRIDED_PASS * STRIDED_PASS;
    const uint32_t neg_zp = (uint32_t)(uint16_t)(int16_t)(-a->in_zp) * 0x00010001u;
    pass3r_args r = {cols, in_c, neg_zp, recs, out, out_c, 0};
    int32_t p = 0;
    for (int32_t whole = n_pix / STRIDED_PASS * STRIDED_PASS, n; p < whole; p += n) {
        n = whole - p < room ? whole - p : room;
        strided_gather(a, in, p, n, cols);
        r.out = out + (ptrdiff_t)p * out_c;
        r.passes = n / STRIDED_PASS;
        pass3_rec_run(&r);
        if (clamp) strided_clamp(a, r.out, n);
    }
    if (p < n_pix) {
        const int fits = scratch_bytes >= (uint32_t)(STRIDED_PASS * (in_c + out_c));
        int8_t *const o = out + (ptrdiff_t)p * out_c;
        strided_last(a, in, &r, p, n_pix - p, fits ? cols + STRIDED_PASS * in_c : NULL, o);
        if (clamp) strided_clamp(a, o, n_pix - p);
    }
}

#else
static inline int strided_rec_takes(const nnom_conv_args *a, uint32_t scratch_bytes)
{
    (void)a;
    (void)scratch_bytes;
    return 0;
}
static inline void strided_rec(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                               uint32_t scratch_bytes)
{
    (void)a;
    (void)in;
    (void)out;
    (void)scratch;
    (void)scratch_bytes;
}
#endif

#endif
