/*
 * The gathers of the Cortex-M DSP convolution (kernels/arm/conv_s8.c, which includes this file
 * after its conv_ctx): a pass's patches widened into int16 columns, minus the input zero point,
 * in the layout of conv_pass.h's passes (per group of four patch elements the pairs (e0, e2),
 * (e1, e3), a column's groups x->stride words apart): windows inside the input a run of
 * pixels at a time (im2col_inside), windows reaching into the padding group by group
 * (im2col_groups), one group a kernel row built in a register (im2col_row_groups_edge), and
 * patches of in_c not a multiple of 4 staged as int8 first (im2col_staged).
 */
#ifndef NNOM_KERNELS_ARM_CONV_IM2COL_H
#define NNOM_KERNELS_ARM_CONV_IM2COL_H

/* Patches of `count` pixels whose windows lie inside the input (dil_w == 1),
 * the first tap of pixel j at src + j * pix_step, into the columns at dst.
 * in_c a multiple of 4: each kernel row is whole groups, widened straight
 * from the input. Otherwise the rows are gathered into the staging row a
 * word at a time, each row's last word running up to 3 bytes into the next
 * row's place (or, for the last row, past k: the staging row has 4 bytes to
 * spare, and the lanes past k get the zero point back), then widened. */
__attribute__((noinline)) static void im2col_inside(const conv_ctx *x, const int8_t *src, uint32_t *dst,
                                                    int32_t count)
{
    const int32_t k_h = x->a->k_h, run = x->run, words = x->words, stride = x->stride;
    const ptrdiff_t step = x->step;
    if (!x->s.staged) { /* (the widening inlined: a pointwise layer's rows are a group or a few) */
        const int32_t row_groups = x->row_groups, pix_step = x->pix_step;
        const uint32_t neg_zp = x->neg_zp;
        if (k_h == 1) { /* (pointwise: no row loop, no register spilled) */
            for (; count > 0; count--, src += pix_step, dst += 2) widen_inline(dst, stride, src, row_groups, neg_zp);
            return;
        }
        for (; count > 0; count--, src += pix_step, dst += 2) {
            const int8_t *s = src;
            uint32_t *d = dst;
            for (int32_t ky = 0; ky < k_h; ky++, s += step, d += row_groups * stride)
                widen_inline(d, stride, s, row_groups, neg_zp);
        }
        return;
    }
    if (run == ROW_GROUP) { /* a kernel row is one group (DS-CNN's 10x4 on one channel): widened from a word */
        const uint32_t neg_zp = x->neg_zp;
        for (; count > 0; count--, src += x->pix_step, dst += 2) {
            const int8_t *s = src;
            uint32_t *d = dst;
            for (int32_t ky = 0; ky < k_h; ky++, s += step, d += stride) {
                const uint32_t v = nnom_arm_load4(s);
                d[0] = nnom_arm_widen_lo(neg_zp, v);
                d[1] = nnom_arm_widen_hi(neg_zp, v);
            }
        }
        return;
    }
    for (; count > 0; count--, src += x->pix_step, dst += 2) {
        const int8_t *s = src;
        int8_t *st = x->staging;
        if (words == 1) { /* rows of at most 4 bytes (e.g. one input channel, k_w <= 4) */
            for (int32_t ky = 0; ky < k_h; ky++, s += step, st += run) {
                const uint32_t v = nnom_arm_load4(s);
                memcpy(st, &v, 4);
            }
        } else {
            for (int32_t ky = 0; ky < k_h; ky++, s += step, st += run)
                for (int32_t i = 0; i < words; i++) {
                    const uint32_t v = nnom_arm_load4(s + 4 * i);
                    memcpy(st + 4 * i, &v, 4);
                }
        }
        memcpy(x->staging + x->s.k, &x->zp_bytes, 4);
        widen(dst, stride, x->staging, x->s.groups, x->neg_zp);
    }
}

/* The taps [*kx0, *kx1) of a kernel row whose window starts at input column
 * ix0 that fall inside the input, when they are contiguous (dil_w == 1);
 * otherwise every tap is checked on its own (*kx0 = -1). */
static void tap_range(const nnom_conv_args *a, int32_t ix0, int32_t *kx0, int32_t *kx1)
{
    *kx0 = -1;
    *kx1 = 0;
    if (a->dil_w != 1) return;
    *kx0 = ix0 < 0 ? -ix0 : 0;
    *kx1 = a->in_w - ix0 < a->k_w ? a->in_w - ix0 : a->k_w;
    if (*kx1 < *kx0) *kx1 = *kx0;
}

/* Patch of a pixel whose window (first tap at input row iy0, column ix0)
 * reaches into the padding, into the column at dst, when in_c is a multiple
 * of 4: taps inside the input widened straight from it, the others zero. */
__attribute__((noinline)) static void im2col_groups(const conv_ctx *x, const int8_t *in, int32_t iy0, int32_t ix0,
                                                    uint32_t *dst)
{
    const nnom_conv_args *a = x->a;
    const int32_t stride = x->stride, cg = a->in_c / 4, row_groups = x->row_groups;
    int32_t kx0, kx1;
    tap_range(a, ix0, &kx0, &kx1);
    for (int32_t ky = 0; ky < a->k_h; ky++, dst += row_groups * stride) {
        const int32_t iy = iy0 + ky * a->dil_h;
        zero_groups(dst, stride, row_groups);
        if (iy < 0 || iy >= a->in_h) continue;
        const int8_t *row = in + (ptrdiff_t)iy * a->in_w * a->in_c;
        if (kx0 >= 0) {
            widen(dst + kx0 * cg * stride, stride, row + (ptrdiff_t)(ix0 + kx0) * a->in_c, (kx1 - kx0) * cg,
                  x->neg_zp);
            continue;
        }
        for (int32_t kx = 0; kx < a->k_w; kx++) {
            const int32_t ix = ix0 + kx * a->dil_w;
            if (ix >= 0 && ix < a->in_w) widen(dst + kx * cg * stride, stride, row + (ptrdiff_t)ix * a->in_c, cg, x->neg_zp);
        }
    }
}

/* The same when a kernel row is one group (k_w * in_c == ROW_GROUP, k = 4 k_h: no lanes past k,
 * e.g. DS-CNN's 10x4 on one channel) and an input row at least a group: the bytes [b0, b1) of
 * each kernel row (from input byte c0 of its row) are inside, the others the zero point (which
 * widens to 0). Each row is one word: a load that stays inside the input row (from its first
 * byte when the window starts left of it, ending at its last when the window ends right of
 * it), shifted into place, the zero point merged in; rows in the padding are zero groups. */
__attribute__((noinline)) static void im2col_row_groups_edge(const conv_ctx *x, const int8_t *in, int32_t iy0,
                                                             int32_t c0, int32_t b0, int32_t b1, uint32_t *dst)
{
    const nnom_conv_args *a = x->a;
    const int32_t k_h = a->k_h, in_h = a->in_h, dil_h = a->dil_h, stride = x->stride;
    const ptrdiff_t row_bytes = (ptrdiff_t)a->in_w * a->in_c;
    const uint32_t zp = x->zp_bytes, neg_zp = x->neg_zp;
    /* the loaded word shifted left by `left` bits, then right by `right`; `keep`: its bytes kept */
    uint32_t left = 0, right = 0, keep = 0;
    ptrdiff_t at = c0; /* the load's offset in the row */
    if (b1 <= b0) {
        /* no tap inside: every row zero (below) */
    } else if (b1 == ROW_GROUP) { /* cut on the left: the row's first bytes */
        at = c0 + b0;
        left = 8u * (uint32_t)b0;
        keep = ~0u << left;
    } else if (b0 == 0) {        /* cut on the right: the row's last bytes */
        at = c0 + b1 - ROW_GROUP;
        right = 8u * (uint32_t)(ROW_GROUP - b1);
        keep = ~0u >> right;
    } else {                     /* cut on both sides (a row shorter than the window): byte by byte */
        keep = 0;
    }
    /* rows [ky0, ky1) inside the input (none when no tap is), the others zero groups */
    int32_t ky0 = 0, ky1 = k_h;
    while (ky0 < k_h && iy0 + ky0 * dil_h < 0) ky0++;
    while (ky1 > ky0 && iy0 + (ky1 - 1) * dil_h >= in_h) ky1--;
    if (b1 <= b0) ky1 = ky0;
    for (int32_t ky = 0; ky < k_h; ky++)
        if (ky < ky0 || ky >= ky1) dst[ky * stride] = dst[ky * stride + 1] = 0;
    const ptrdiff_t step = (ptrdiff_t)dil_h * row_bytes, first = (ptrdiff_t)(iy0 + ky0 * dil_h) * row_bytes;
    uint32_t *d = dst + ky0 * stride;
    if (keep && ky1 > ky0) {
        const int8_t *row = in + first + at;
        const uint32_t zp_kept = zp & ~keep;
        for (int32_t n = ky1 - ky0; n > 0; n--, row += step, d += stride) {
            const uint32_t v = ((nnom_arm_load4(row) << left >> right) & keep) | zp_kept;
            d[0] = nnom_arm_widen_lo(neg_zp, v);
            d[1] = nnom_arm_widen_hi(neg_zp, v);
        }
        return;
    }
    for (ptrdiff_t off = first + c0, n = ky1 - ky0; n > 0; n--, off += step, d += stride) {
        uint32_t v = zp;
        for (int32_t b = b0; b < b1; b++) v = (v & ~(0xFFu << (8 * b))) | (uint32_t)(uint8_t)in[off + b] << (8 * b);
        d[0] = nnom_arm_widen_lo(neg_zp, v);
        d[1] = nnom_arm_widen_hi(neg_zp, v);
    }
}

/* The same when in_c is not a multiple of 4: the staging row filled with the
 * zero point (which widens to 0), the taps inside the input copied over it,
 * then widened. */
__attribute__((noinline)) static void im2col_staged(const conv_ctx *x, const int8_t *in, int32_t iy0, int32_t ix0,
                                                    uint32_t *dst)
{
    const nnom_conv_args *a = x->a;
    const int32_t in_c = a->in_c;
    int8_t *st = x->staging;
    int32_t kx0, kx1;
    tap_range(a, ix0, &kx0, &kx1);
    if (x->run == ROW_GROUP && kx0 >= 0 && a->in_w * in_c >= ROW_GROUP) {
        im2col_row_groups_edge(x, in, iy0, ix0 * in_c, kx0 * in_c, kx1 * in_c, dst);
        return;
    }
    for (int32_t g = 0; g < x->s.groups; g++) memcpy(st + 4 * g, &x->zp_bytes, 4);
    for (int32_t ky = 0; ky < a->k_h; ky++, st += x->run) {
        const int32_t iy = iy0 + ky * a->dil_h;
        if (iy < 0 || iy >= a->in_h) continue;
        const int8_t *row = in + (ptrdiff_t)iy * a->in_w * in_c;
        if (kx0 >= 0) {
            copy_bytes(st + kx0 * in_c, row + (ptrdiff_t)(ix0 + kx0) * in_c, (kx1 - kx0) * in_c);
            continue;
        }
        for (int32_t kx = 0; kx < a->k_w; kx++) {
            const int32_t ix = ix0 + kx * a->dil_w;
            if (ix >= 0 && ix < a->in_w) copy_bytes(st + kx * in_c, row + (ptrdiff_t)ix * in_c, in_c);
        }
    }
    widen(dst, x->stride, x->staging, x->s.groups, x->neg_zp);
}

/* A 1x1 layer at a stride above 1 without padding, on whole groups (in_c a multiple of 4), with
 * out_c >= in_c and the output not over the input (strided_1x1_takes) runs as a pointwise layer
 * at stride 1 (its passes of three from records, conv_pass3r.h, in place of pass8 or of the
 * gather per pass): its pixels' inputs, every stride-th of the input, copied once in order
 * (strided_1x1_gather) to the end of the output, n_pix * in_c bytes from out + n_pix * (out_c -
 * in_c). Pixel p's output, bytes [p * out_c, (p + 1) * out_c), then lies below pixel q's input
 * for every q > p (n_pix * (out_c - in_c) + q * in_c >= (p + 1) * out_c: (n_pix - p - 1) *
 * (out_c - in_c) + (q - p - 1) * in_c >= 0), as in an in-place pointwise layer, which the passes
 * take (each pass reads its inputs before it writes). The copy: one LDR and STR a word, about
 * 0.03 est. cycles per MAC at 16 input channels. Measured (-O2, est. cycles per MAC):
 * conv1x1_s2_32x32x16to32 2.35 -> 1.92, conv1x1_s2_16x16x32to64 1.82 -> 1.57. */
/* (Layers whose every channel takes the common fast form run in conv_strided.h instead, asked first
 * through conv_short_takes: chunks of the strided inputs in the scratch, any output place.) */
/* Calls of fewer pixels keep the gather per pass: the records' making per call outweighs the gain
 * (conv1x1_s2_2x32x16to32_band, 16 pixels: 2.60 -> 3.01 est. cycles per MAC). */
#define STRIDED_1X1_MIN_PIX 32
/* Fewer input channels run in conv_narrow.h (1 to 4) or conv_short.h (8), which take no output over the input. */
#define STRIDED_1X1_MIN_IN_C 12
static int strided_1x1_takes(const nnom_conv_args *a, const int8_t *in, const int8_t *out)
{
    if (a->k_h != 1 || a->k_w != 1 || a->pad_top || a->pad_left || (a->stride_h == 1 && a->stride_w == 1) ||
        (a->in_c & 3) || a->in_c < STRIDED_1X1_MIN_IN_C || a->out_c < a->in_c || a->out_h * a->out_w < STRIDED_1X1_MIN_PIX)
        return 0;
    const uintptr_t i0 = (uintptr_t)in, i1 = i0 + (uintptr_t)a->in_h * a->in_w * a->in_c;
    const uintptr_t o0 = (uintptr_t)out, o1 = o0 + (uintptr_t)a->out_h * a->out_w * a->out_c;
    return o1 <= i0 || i1 <= o0;
}

/* The copy of strided_1x1_takes' layer's inputs to the end of out; *b: the layer at stride 1 on
 * them (in_h = out_h, in_w = out_w). Returns the copy's address. */
__attribute__((noinline)) static const int8_t *strided_1x1_gather(const nnom_conv_args *a, const int8_t *in,
                                                                 int8_t *out, nnom_conv_args *b)
{
    const int32_t n_pix = a->out_h * a->out_w, words = a->in_c >> 2;
    int8_t *const dst0 = out + (ptrdiff_t)n_pix * (a->out_c - a->in_c);
    int8_t *dst = dst0;
    const ptrdiff_t row_step = (ptrdiff_t)a->stride_h * a->in_w * a->in_c, pix_step = (ptrdiff_t)a->stride_w * a->in_c;
    for (int32_t oy = 0; oy < a->out_h; oy++, in += row_step) {
        const int8_t *src = in;
        for (int32_t ox = 0; ox < a->out_w; ox++, src += pix_step)
            for (int32_t i = 0; i < words; i++, dst += 4) {
                const uint32_t v = nnom_arm_load4(src + 4 * i);
                memcpy(dst, &v, 4);
            }
    }
    *b = *a;
    b->in_h = a->out_h;
    b->in_w = a->out_w;
    b->stride_h = b->stride_w = 1;
    return dst0;
}

#endif /* NNOM_KERNELS_ARM_CONV_IM2COL_H */
