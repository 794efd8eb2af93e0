/*
 * The chunked path of the Cortex-M DSP convolution (kernels/arm/conv_s8.c, which includes this
 * file before its entry): patches too long for a pass's whole columns in the scratch given
 * (in_c a multiple of 4), four pixels at a time, their columns gathered a chunk of groups at a
 * time for every block of CHUNK_CHANNELS output channels, whose sums wait on the stack. It reads
 * a pixel's inputs again for every block, so it never runs with the output over the input
 * (conv_s8.c's entry sees to that). Uses conv_s8.c's conv_ctx and widening helpers.
 */
#ifndef NNOM_KERNELS_ARM_CONV_CHUNKED_H
#define NNOM_KERNELS_ARM_CONV_CHUNKED_H


/* Output channels per block of the chunked path: their sums wait on the stack. */
#define CHUNK_CHANNELS 32

/* s[0..3] += n >= 1 groups of the four columns at x times the weights at w (whole words). */
static void dot4_groups(const uint32_t *x, const int8_t *w, int32_t n, int32_t s[4])
{
    int32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    DOT4(s0, s1, s2, s3, x, w, n);
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
}

/* Groups [g0, g0 + n) of the patch of the pixel whose window starts at (iy0, ix0), into the
 * column at dst (groups `stride` words apart), when in_c is a multiple of 4: each tap's
 * groups widened from the input, or zero in the padding. */
static void im2col_part(const conv_ctx *x, const int8_t *in, int32_t iy0, int32_t ix0, int32_t g0, int32_t n,
                        uint32_t *dst)
{
    const nnom_conv_args *a = x->a;
    const int32_t cg = a->in_c / 4, stride = x->stride;
    for (int32_t g = g0; g < g0 + n;) {
        const int32_t tap = g / cg, within = g - tap * cg;
        const int32_t run = cg - within < g0 + n - g ? cg - within : g0 + n - g;
        const int32_t iy = iy0 + tap / a->k_w * a->dil_h, ix = ix0 + tap % a->k_w * a->dil_w;
        uint32_t *d = dst + (g - g0) * stride;
        if (iy < 0 || iy >= a->in_h || ix < 0 || ix >= a->in_w) zero_groups(d, stride, run);
        else widen(d, stride, in + ((ptrdiff_t)iy * a->in_w + ix) * a->in_c + 4 * within, run, x->neg_zp);
        g += run;
    }
}

/*
 * Patches whose four pixels' columns do not fit in the scratch given or in COLS_LIMIT, with
 * in_c a multiple of 4: four pixels per pass all the same, the patch cut into chunks of
 * `chunk` groups whose four columns fit in the scratch (conv_shape.chunk); for each block
 * of CHUNK_CHANNELS output channels, every chunk is gathered and its dot products added to the
 * block's sums, then the sums requantised (nnom_conv_quant_out). The weights are read in whole
 * words (k is a multiple of 4). The chunks are gathered once per channel block.
 */
__attribute__((noinline)) static void conv_chunked(conv_ctx *x, const int8_t *in, int8_t *out, int32_t chunk)
{
    const nnom_conv_args *a = x->a;
    const int32_t out_c = a->out_c, n_pix = a->out_h * a->out_w, k = x->s.k, groups = x->s.groups;
    const int32_t *bias = (const int32_t *)a->bias;
    int32_t sums[CHUNK_CHANNELS][CHUNK_PIXELS];
    x->stride = 2 * CHUNK_PIXELS;
    for (int32_t pix = 0; pix < n_pix; pix += CHUNK_PIXELS) {
        const int32_t n = n_pix - pix < CHUNK_PIXELS ? n_pix - pix : CHUNK_PIXELS;
        int32_t iy0[CHUNK_PIXELS], ix0[CHUNK_PIXELS];
        for (int32_t p = 0; p < n; p++) {
            iy0[p] = (pix + p) / a->out_w * a->stride_h - a->pad_top;
            ix0[p] = (pix + p) % a->out_w * a->stride_w - a->pad_left;
        }
        for (int32_t c0 = 0; c0 < out_c; c0 += CHUNK_CHANNELS) {
            const int32_t nc = out_c - c0 < CHUNK_CHANNELS ? out_c - c0 : CHUNK_CHANNELS;
            memset(sums, 0, sizeof sums);
            for (int32_t g0 = 0; g0 < groups; g0 += chunk) {
                const int32_t ng = groups - g0 < chunk ? groups - g0 : chunk;
                for (int32_t p = 0; p < n; p++) im2col_part(x, in, iy0[p], ix0[p], g0, ng, x->cols + 2 * p);
                /* (a short last pass: the unused columns hold stale data, their sums are dropped) */
                const int8_t *w = (const int8_t *)a->weights + (ptrdiff_t)c0 * k + 4 * g0;
                for (int32_t c = 0; c < nc; c++, w += k) dot4_groups(x->cols, w, ng, sums[c]);
            }
            for (int32_t c = 0; c < nc; c++) {
                const nnom_conv_quant q =
                    nnom_conv_quant_init(bias ? bias[c0 + c] : 0, a->multiplier[c0 + c], a->shift[c0 + c]);
                for (int32_t p = 0; p < n; p++)
                    out[(ptrdiff_t)(pix + p) * out_c + c0 + c] =
                        nnom_conv_quant_out(q, sums[c][p], a->out_zp, a->act_min, a->act_max);
            }
        }
    }
}

#endif /* NNOM_KERNELS_ARM_CONV_CHUNKED_H */
