/*
 * Part of the kernel equivalence firmware test (see kernel_equivalence.c): the random convolution and
 * depthwise layers its checks run, and what they tell check_conv() about the layer they made.
 */
#include <stdint.h>
#include <string.h>

#include "equivalence.h"
#include "kernels/arm/arm_dsp.h"
#include "nnom/layers.h"

/* random_conv() made a pointwise layer of many channels to which check_conv() gives many all-zero filters */
int dead_heavy;
/* random_conv() made a first layer (conv_first_run.h's shapes) with some all-zero filters, most with
 * the multiplier nnom's quantiser gives them (2^30, shift 1): constant channels of any form */
int first_zero;
/* random_conv() made a layer of three-pixel passes with many dead channels (multiplier 0) */
int three_cut_up;
/* random_conv() made a pointwise layer for the pairs' records (few dead channels) */
int three_rec;
/* The most channels the DSP kernel's list of pairs takes (conv_pass3.h's PASS3_LIST_CHANNELS) */
/* check_conv() takes only such layers */
int only_rec;
/* ... and gives such a layer many all-zero filters (2: two or three live channels only) */
int rec_dead;


void random_conv(nnom_conv_args *a, int depthwise)
{
    memset(a, 0, sizeof *a);
    dead_heavy = 0;
    first_zero = 0;
    const int one_d = chance(15);
    const int wide = chance(10); /* long patches: one pixel per pass in the DSP kernel */
    /* images of 1-3 channels, up to 30 pixels wide: many pixels per output row whose
     * windows lie inside the input, tiny patches (several last channels read with care) */
    const int image = !depthwise && !wide && chance(25);
    /* patches of 128 and more, in_c a multiple of 4 or not: the DSP kernel's two-pixel pass on
     * pairs of channels (odd channel counts, odd pixel counts, runs of fast channels of odd
     * length split by slow ones) */
    const int paired = !depthwise && !wide && !image && chance(20);
    /* depthwise: rows wider than the DSP kernel's row buffer (several column tiles), and 1D
     * kernels too long for its packed weights (its direct loop) */
    const int long_rows = depthwise && chance(10), long_kernel = depthwise && !long_rows && chance(5);
    a->in_h = one_d || long_kernel ? 1 : range(1, image ? 30 : (long_rows ? 4 : 12));
    a->in_w = long_rows ? range(100, 200) : (long_kernel ? range(60, 200) : range(1, image ? 30 : 12));
    a->in_c = wide ? (chance(50) ? 4 * range(10, MAX_C / 4) : range(40, MAX_C)) : (image ? range(1, 3) : (chance(50) ? 4 * range(1, 6) : range(1, 20)));
    a->depth_mult = depthwise ? (chance(70) ? 1 : range(2, 3)) : 0;
    if (depthwise && a->in_c * a->depth_mult > MAX_C) a->in_c = MAX_C / a->depth_mult;
    if (long_rows || long_kernel) a->in_c = a->depth_mult * range(1, 8) > MAX_C ? 1 : range(1, 8);
    a->out_c = depthwise ? a->in_c * a->depth_mult : (wide ? range(1, 12) : range(1, image ? 16 : 20));
    /* every channel of a paired layer fast, an even count, often 3x3 'same' on whole groups: the
     * two-pixel pass over all channels at once, both windows' patches gathered together (inside
     * the input, or reaching into the padding) */
    const int paired_all = paired && chance(40);
    if (paired) {
        a->in_c = chance(50) ? 4 * range(4, 12) : range(15, 48);
        a->out_c = paired_all ? 2 * range(1, 12) : range(1, 24);
        if (paired_all && chance(70)) a->in_c = 4 * range(4, 12);
        /* more channels than the DSP kernel's table of pair constants keeps on its stack (its
         * strips, conv_pass2t.h): the table after the slots when the scratch holds it, else
         * pair_passes */
        if (paired_all && chance(25)) {
            a->out_c = 2 * range(17, 32);
            a->in_c = 4 * range(11, 16);
        }
    }
    /* pointwise layers as DS-CNN and MobileNet have them (1x1, stride 1, many pixels, odd channel
     * counts where the converter removed all-zero filters): the DSP kernel's eight-pixel passes
     * (patches of at most 64), their last pixels, both requantisation forms in one run */
    const int pointwise = !depthwise && !wide && !image && !paired && !one_d && chance(25);
    if (pointwise) {
        a->in_c = chance(50) ? 4 * range(1, 16) : range(1, 70);
        a->out_c = range(1, 40);
        if (chance(50)) { /* twice the channels or more (8 -> 16): the eight columns in the output */
            a->in_c = range(1, 16);
            a->out_c = range(2 * a->in_c, 2 * a->in_c + 16);
        }
        a->in_h = range(1, 9);
        a->in_w = range(1, 12);
        dead_heavy = chance(20);
        if (dead_heavy) {
            /* a MobileNet's 6x6 and 3x3 pointwise layers with their all-zero filters kept: more runs
             * of fast channels than the DSP kernel keeps, more channels than it maps the dead of */
            a->in_c = range(8, 70);
            a->out_c = range(60, 4 * MAX_C);
            a->in_h = range(1, 6);
            a->in_w = range(1, 6);
        }
    }
    /* patches of 48 and more whose channels all take the fast requantisation (a few exceptions
     * that leave long runs): the DSP kernel's three-pixel passes on pairs of channels (conv_pass3.h),
     * pointwise (DS-CNN's 64 channels, odd pixel and channel counts, in_c not a multiple of 4: the
     * weights' tail) or 2x2 / 3x3 windows (up to 216) */
    const int three = !depthwise && !wide && !image && !paired && !pointwise && !one_d && chance(15);
    const int three_pw = three && chance(60);
    /* pointwise patches up to 128 (MobileNetV1-0.25's 128 -> 128: the longest of the stack form of
     * those passes, conv_pass3s.h) and up to and past 256 output channels (its list of pairs) */
    const int three_long = three_pw && chance(30);
    /* the fast channels cut into short runs by dead ones (every run's pairs in one call) */
    three_cut_up = three_pw && chance(40);
    three_rec = 0;
    rec_dead = 0;
    if (three) {
        a->in_c = three_pw ? (chance(50) ? 4 * range(12, 17) : range(48, 70)) : range(12, 24);
        if (three_long) a->in_c = chance(50) ? 4 * range(18, 32) : range(71, 128);
        a->out_c = chance(30) ? range(33, 64) : range(1, 24);
        if (three_long && chance(50)) a->out_c = range(100, 4 * MAX_C);
        a->in_h = range(1, 9);
        a->in_w = range(1, 12);
        /* 8 to 128 input channels (a multiple of 4), none cut up: the pairs' records made once per
         * call (conv_pass3r.h's pass3_rec_run, all the passes of three in one call; below 32 input
         * channels only with every channel of the common fast form), one to fifteen channels, odd
         * counts (the last pair overlapping), more than PASS3R_MAX_PAIRS pairs (in turns, when the
         * output does not overlap the input; the dead channels after), more than a list of pairs
         * takes (PASS3_LIST_CHANNELS: the pairs of neighbours, each turn's stores from its first);
         * every channel of the common form and the output apart: the whole layer there, its last
         * one or two pixels in a pass again over the last three (conv_list3.h's three_rec_layer) */
        three_rec = three_pw && !three_long && !three_cut_up && chance(60);
        if (three_rec) {
            a->in_c = 4 * (chance(40) ? range(2, 7) : (chance(60) ? range(8, 16) : range(17, 32)));
            a->out_c = chance(20) ? range(1, 3)
                                  : (chance(20) ? range(4, 15) : (chance(70) ? range(16, 64) : range(130, 4 * MAX_C)));
            /* MobileNetV1-0.25's 6x6 and 3x3 pointwise layers with their all-zero filters kept: each
             * live channel paired with the next however many dead ones lie between (pass3_rec
             * records of any step; a step above PASS3R_MAX_STEP when only two or three live) */
            if (a->in_c >= 32 && chance(40)) {
                rec_dead = chance(30) ? 2 : 1;
                if (rec_dead == 2 || chance(50)) a->out_c = range(rec_dead == 2 ? 160 : 130, 256);
            }
        }
        while (a->in_h * a->in_w * a->out_c > MAX_OUT) a->in_w = (a->in_w + 1) / 2;
    }
    /* 1x1 on eight input channels, as MobileNetV1-0.25's first pointwise layer (8 -> 16): the DSP
     * kernel's short-patch path (conv_short.h) for 16 and 32 output channels, the general kernel
     * for others (64, 128, 9 to 40); stride 1 or 2, odd pixel counts, bands of one or two rows */
    const int short8 = !depthwise && !wide && !image && !paired && !one_d && !pointwise && !three && chance(20);
    if (short8) {
        a->in_c = 8;
        a->out_c = chance(80) ? 16 << (chance(80) ? range(0, 1) : range(2, 3)) : range(9, 40);
        a->in_h = chance(30) ? range(1, 2) : range(1, 16);
        a->in_w = range(1, 16);
        while (a->in_h * a->in_w * a->out_c > MAX_OUT) a->in_w = (a->in_w + 1) / 2;
    }
    /* ResNet's shortcuts: 1x1 at stride 2 (or 3) without padding on 8 to 64 input channels in
     * groups of four, as many output channels or more (odd counts too), 32 pixels and more mostly:
     * the DSP kernel's strided records (conv_strided.h: chunks of the strided inputs in the
     * scratch, the last one or two pixels in a pass of three into a temporary), else it copies the
     * strided inputs to the output's end and runs them at stride 1 (conv_im2col.h's
     * strided_1x1_takes); bands of one or two output rows as a tiled stage calls them (8-16
     * pixels), fewer output channels than input too */
    const int shortcut = !depthwise && !wide && !image && !paired && !one_d && !pointwise && !three && !short8 &&
                         chance(15);
    if (shortcut) {
        a->in_c = 4 * range(chance(20) ? 2 : 3, 16);
        a->out_c = chance(50) ? a->in_c * range(1, 2) : range(a->in_c, 2 * a->in_c + 5);
        if (chance(15)) a->out_c = range(2, a->in_c);
        a->in_h = chance(30) ? range(1, 4) : range(6, 18);
        a->in_w = range(6, 20);
        while (a->in_h * a->in_w * a->in_c > MAX_IN) a->in_w--;
    }
    const int32_t three_k = three && !three_pw ? range(2, 3) : 0;
    const int one_by_one = pointwise || three_pw || short8 || shortcut;
    a->k_h = one_d || long_kernel || one_by_one ? 1 : (three_k ? three_k : range(paired ? 2 : 1, 5));
    a->k_w = one_by_one ? 1 : (long_kernel ? range(100, 140) : (three_k ? three_k : range(paired ? 2 : 1, 5)));
    int tall1 = 0; /* one input channel, a tall window (below) */
    int first = 0; /* the first layer of an image or keyword-spotting model (below) */
    if (image) {
        /* the DSP kernel for 1-4 input channels (conv_narrow.h): 4 channels too, up to 40 output
         * channels (more runs of one requantisation form than it keeps), its 3x3x3 and 3x9x1
         * patches built in registers, kernel rows of whole groups (DS-CNN's 10x4 on one channel) */
        a->in_c = range(1, 4);
        if (chance(20)) {
            a->out_c = range(17, 40);
            a->in_h = range(1, 20);
            a->in_w = range(1, 20);
        }
        const int32_t shape = chance(30) ? 5 : range(0, 5); /* (first layers more often: many paths) */
        if (shape == 0) { a->k_h = 3; a->k_w = 3; a->in_c = 3; }
        if (shape == 1) { a->k_h = 3; a->k_w = 9; a->in_c = 1; }
        if (shape == 2 && !one_d) { a->k_h = range(1, 10); a->k_w = 4; a->in_c = 1; }
        /* one channel, tall windows of 32 taps and more (DS-CNN's 10x4 on 49x10 among them): the
         * general kernel's three-pixel passes, the rows of 4 taps widened from a word, built in a
         * register where they reach the padding; rows of 5-8 taps staged */
        if (shape == 4 && !one_d) {
            tall1 = 1;
            a->k_h = range(8, 12);
            a->k_w = chance(25) ? range(5, 8) : 4;
            a->in_c = 1;
            a->in_h = range(a->k_h - 2, 30);
            a->in_w = range(3, 12);
            a->out_c = chance(80) ? range(16, 64) : range(1, 40); /* (and, below, fast channels: long runs) */
        }
        /* the first layers of MobileNet / ResNet-8 (3x3 on RGB, 8 or 16 channels) and DS-CNN (10x4 on
         * one channel, 64), and 3x9 on one: the DSP kernel's first-layer pass (conv_first.h, four
         * pixels and two channels at a time, both fast forms in one pair, a table of constants),
         * in conv_first_run.h's loop when every channel is fast and their count even (up to 64; 27
         * taps: the weights on an interleaved copy up to 24 channels, then the last pair's), else in
         * conv_narrow.h's (odd counts; up to 16 channels); many pixels a row inside the input,
         * windows at every edge, the last pixels redone */
        if (shape == 5 && !one_d) {
            first = 1;
            const int32_t kind = range(0, 2); /* 3x3x3, 10x4x1, 3x9x1 */
            const int rgb = kind == 0, row9 = kind == 2;
            a->k_h = kind == 1 ? 10 : 3;
            a->k_w = rgb ? 3 : (row9 ? 9 : 4);
            a->in_c = rgb ? 3 : 1;
            a->in_h = range(a->k_h - 2, kind == 1 ? 49 : 20);
            a->in_w = range(row9 ? 7 : 3, kind == 1 ? 10 : 24);
            a->out_c = chance(60) ? (kind != 1 ? (chance(50) ? 8 : 16) : 64)
                                  : (chance(50) ? range(1, kind != 1 ? 20 : 64) : 2 * range(9, 32));
            while (a->in_h * a->in_w * a->out_c > MAX_OUT && a->in_h > 1) a->in_h--;
        }
    }
    a->stride_h = one_d || pointwise || three_pw ? 1 : range(1, 3);
    a->stride_w = pointwise || three_pw ? 1 : range(1, 3);
    if (shortcut) {
        a->stride_h = chance(80) ? 2 : range(1, 3);
        a->stride_w = chance(80) ? a->stride_h : range(1, 3);
    }
    a->dil_h = one_d || one_by_one || chance(70) ? 1 : 2;
    a->dil_w = one_by_one || first || chance(70) ? 1 : 2; /* (first layers: every path takes dil_w 1 only) */
    int same = chance(50);
    if (paired_all && chance(60)) { /* ResNet's 3x3 layers */
        a->k_h = a->k_w = 3;
        a->stride_h = a->stride_w = range(1, 2);
        a->dil_h = a->dil_w = 1;
        same = chance(80);
        /* 16, 32 or 64 channels at stride 1: the DSP kernel's strips of two output columns, the
         * input rows widened once (conv_rows16.h), output planes of odd and even heights, bands of a
         * few rows */
        if (chance(60)) {
            a->in_c = chance(40) ? 16 : (chance(60) ? 32 : 64);
            a->stride_h = a->stride_w = 1;
            if (chance(70)) a->in_w = 2 * range(2, 6); /* (even output rows: 'same' or 'valid') */
            /* stride 2 on 16 or 32 channels (conv_rows2.h): even output rows from 4 or 8 columns
             * ('same'), 5 or 9 ('valid') */
            if (a->in_c != 64 && chance(50)) {
                a->stride_h = a->stride_w = 2;
                a->in_w = 4 * range(1, 2) + (same ? 0 : 1);
            }
            /* narrow planes: a slot's pixels past both edges (stride 1: 2 to 5 columns; stride 2: 3 to
             * 12, odd widths 'same' padded on the right or on both sides), filled in one call of the
             * widening on the pixels inside */
            if (chance(25)) a->in_w = a->stride_w == 1 ? range(2, 5) : range(3, 12);
            if (chance(30)) a->in_h = range(1, 3);
            /* more channels than its table keeps on the stack: the table after the slots, when
             * the scratch holds it */
            if (chance(30)) a->out_c = 2 * range(13, 15);
            /* one output row (a windowed in-place run's calls): two passes a fill (the table on
             * the stack), the last fill of one pass when out_w % 4 is 2 */
            if (chance(50)) {
                a->in_h = same ? 1 : 3;
                a->in_w = range(4, 12);
                a->out_c = 2 * range(1, 12);
            }
        }
    }
    if (paired && !paired_all && chance(15)) {
        /* a patch of 73 groups: the two-pixel pass's loop (all groups but the last) a whole number
         * of passes of its copies (8 at -Os, 36 at -O2), entered at the first */
        a->k_h = a->k_w = 2;
        a->dil_h = a->dil_w = 1;
        a->in_c = 73;
    }
    int dw_like = 0; /* a DS-CNN / MobileNet depthwise layer as the quantiser makes them (see below) */
    const int dw_3x3 = depthwise && !long_rows && !long_kernel && chance(30);
    if (dw_3x3) {
        /* as in DS-CNN / MobileNet: 3x3, stride 1 or 2, 'same', often no clamp: the DSP kernel's
         * assembly line loop (planes wider and taller than 4, tall narrow ones transposed) */
        a->k_h = a->k_w = 3;
        a->stride_h = a->stride_w = range(1, 2);
        a->dil_h = a->dil_w = 1;
        /* (the output fits MAX_OUT with 24 channels times 3; stride 2: also planes of 17-24 rows,
         * many whole quads per channel for the line loops) */
        const int big_s2 = a->stride_h == 2 && chance(50);
        a->in_h = big_s2 ? range(17, 24) : range(4, 16);
        a->in_w = big_s2 ? range(14, 16) : (chance(30) ? range(4, 7) : range(4, 16));
        /* MobileNet's 6 x 6 planes ('same' from 6 columns, 'valid' from 8): lines of six outputs,
         * the DSP kernel's one pass per line */
        if (!big_s2 && chance(20)) {
            a->in_w = chance(50) ? 6 : 8;
            a->in_h = range(4, 8);
        }
        /* DS-CNN's 25 x 5 planes (stride 1, 5 columns 'same', or 7 'valid'): lines of five outputs,
         * the DSP kernel's one pass per line, and as many lines as its two-instruction forms want */
        const int ds_cnn = !big_s2 && chance(25);
        if (ds_cnn) {
            a->stride_h = a->stride_w = 1;
            a->in_w = chance(70) ? 5 : 7;
            /* (5 columns: up to 34 rows in one pass of four channels' interleaved images, more in
             * strips of the general images) */
            a->in_h = chance(25) ? range(1, 15) : range(16, 40);
        }
        /* MobileNets' 3 x 3 planes (3 x 3 'same' at stride 1; 5 x 5 to 7 x 7 at stride 2, 'same' or
         * 'valid'): lines of three outputs, the DSP kernel's one pass per line on the group planes */
        if (!big_s2 && !ds_cnn && chance(15)) {
            a->in_w = a->stride_w == 1 ? 3 : range(5, 7);
            a->in_h = a->stride_h == 1 ? 3 : range(3, 7);
        }
        if (big_s2 && a->in_c > 20) { /* (the input fits MAX_IN) */
            a->in_c = range(1, 20);
            a->out_c = a->in_c * a->depth_mult;
        }
        same = ds_cnn ? a->in_w == 5 : chance(85); /* (VALID too; SAME pads one side more where the stride leaves a pixel over) */
        dw_like = chance(ds_cnn ? 75 : 50);
        if (dw_like) {
            /* channel counts of four, or any (the last out_c % 4 channels on the planar path, in
             * place too: MobileNet's layers after the converter removed all-zero filters) */
            a->in_c = a->out_c = chance(50) ? 4 * range(1, 6) : range(1, 23);
            a->depth_mult = 1;
        }
    }
    /* 5x5 as MobileNetV3 and EfficientNet have them: stride 1 or 2 ('same' mostly), odd channel
     * counts, depth multipliers above 1 too: the DSP kernel's 5x5 lines of the planar path (both
     * strides, a line's odd last output, tall planes walked transposed); some with other vertical
     * strides or dilations (the channel groups) */
    const int dw_5x5 = depthwise && !dw_3x3 && !long_rows && !long_kernel && chance(35);
    if (dw_5x5) {
        a->k_h = a->k_w = 5;
        a->stride_w = range(1, 2);
        a->stride_h = chance(80) ? a->stride_w : range(1, 3);
        a->dil_w = 1;
        a->dil_h = chance(85) ? 1 : 2;
        a->in_h = range(3, 16);
        a->in_w = chance(20) ? range(3, 7) : range(3, 16);
        a->in_c = chance(50) ? 4 * range(1, 6) : range(1, 23);
        if (chance(50)) a->depth_mult = 1; /* (the channel groups: planes of 5 to 10 from a padded copy) */
        if (a->in_c * a->depth_mult > MAX_C) a->in_c = MAX_C / a->depth_mult;
        a->out_c = a->in_c * a->depth_mult;
        same = chance(80);
    }
    /* per-channel affine maps (1x1, stride 1, multiplier 1, no padding: kernels/depthwise_affine_s8.c,
     * its DSP forms): one pixel, a few, bands of rows, planes past the size from which it uses tables */
    if (depthwise && !dw_3x3 && !dw_5x5 && !long_rows && !long_kernel && chance(20)) {
        a->k_h = a->k_w = 1;
        a->stride_h = a->stride_w = 1;
        a->dil_h = a->dil_w = 1;
        a->depth_mult = 1;
        a->in_h = chance(30) ? 1 : range(1, 24);
        a->in_w = a->in_h == 1 && chance(50) ? 1 : range(1, 40);
        a->in_c = a->out_c = range(1, MAX_C);
        if ((int64_t)a->in_h * a->in_w * a->in_c > MAX_IN) a->in_h = MAX_IN / (a->in_w * a->in_c);
        same = 0;
    }
    if (!depthwise && !dw_3x3 && chance(10)) {
        /* 1-3 output pixels whose windows are contiguous inputs: the DSP kernel runs them as dense
         * layers (kernels/conv_dense_s8.c); 1x1 kernels on a row or a column, or whole-row windows */
        a->in_h = one_d ? 1 : range(1, 3);
        a->in_w = a->in_h == 1 ? range(1, 3) : 1;
        if (chance(50)) {
            a->k_h = a->k_w = 1;
            a->stride_h = a->stride_w = 1;
        } else {
            a->k_h = a->in_h;
            a->k_w = a->in_w;
        }
        a->dil_h = a->dil_w = 1;
        same = 0;
    }
    axis(a->in_h, a->k_h, a->stride_h, a->dil_h, same, &a->out_h, &a->pad_top);
    axis(a->in_w, a->k_w, a->stride_w, a->dil_w, same, &a->out_w, &a->pad_left);
    if (!one_d && chance(25)) {
        /* a window of output rows, as the in-place depthwise run computes them: the input from the
         * window's first row on, padding only where the full input has none above */
        const int32_t oy0 = range(0, a->out_h - 1);
        const int32_t iy0 = oy0 * a->stride_h - a->pad_top, skip = iy0 > 0 ? iy0 : 0;
        a->out_h = range(1, a->out_h - oy0);
        a->in_h -= skip;
        a->pad_top = skip - iy0;
    }
    a->in_zp = range(-128, 127);
    a->out_zp = range(-128, 127);
    if (chance(50)) {
        a->act_min = -128;
        a->act_max = 127;
    } else {
        a->act_min = range(-128, 20);
        a->act_max = range(a->act_min, 127);
    }
    const int32_t k = depthwise ? a->k_h * a->k_w : a->k_h * a->k_w * a->in_c;
    random_quant(a->out_c, k, chance(20));
    if (pointwise || short8)
        for (int32_t c = 0; c < a->out_c; c++)
            if (multiplier[c] && chance(30)) multiplier[c] = (int32_t)(next() & 0x3FFFFFFFu) | 1; /* below 2^30 */
    /* (first layers: a dead channel in a quarter of the cases, the others all fast as the models') */
    const int first_dead = first && chance(25);
    first_zero = first && chance(25);
    if (three || tall1 || first)
        for (int32_t c = 0; c < a->out_c; c++) {
            /* both fast forms (multipliers above and below 2^30) in one pair of channels; shifts
             * to the fast form's limits; rarely a dead channel */
            multiplier[c] = chance(35) ? (int32_t)((next() & 0x3FFFFFFFu) | 1) : (int32_t)(0x40000001u + (next() & 0x3FFFFFFEu));
            /* (none in a layer of more channels than the DSP kernel lists, PASS3_LIST_CHANNELS of
             * conv_pass3.h: its records then take every channel, of the common form) */
            if (chance(three_cut_up ? 45 : (three_rec ? (a->out_c > REC_LIST_CHANNELS ? 0 : 1) : 2)) && (!first || first_dead))
                multiplier[c] = 0;
            shift[c] = chance(10) ? -range(1, 22) : -range(10, 20);
            bias[c] = range(-(1 << 16), 1 << 16);
        }
    if (shortcut && chance(60))
        /* every channel of the common fast form (both multiplier forms, shifts to its limits): the DSP
         * kernel's strided records (conv_strided.h) */
        for (int32_t c = 0; c < a->out_c; c++) {
            multiplier[c] = chance(35) ? (int32_t)((next() & 0x3FFFFFFFu) | 1) : (int32_t)(0x40000001u + (next() & 0x3FFFFFFEu));
            shift[c] = chance(10) ? -range(1, 22) : -range(8, 16);
            bias[c] = range(-(1 << 16), 1 << 16);
        }
    if (!depthwise && chance(three || tall1 || first || shortcut ? 10 : 25))
        /* left shifts (the DSP kernel's eight-pixel passes take shifts 0 to 8 when the bias allows: the
         * MobileNet's pointwise layers have channels of multiplier 2^30, shift 1) */
        for (int32_t c = 0; c < a->out_c; c++)
            if (chance(40)) {
                shift[c] = range(0, 9);
                if (chance(30)) multiplier[c] = 0x40000000;
                if (chance(20)) bias[c] = (int32_t)(next() >> (shift[c] + 1)) - (int32_t)(next() >> (shift[c] + 1));
            }
    if (paired_all) {
        for (int32_t c = 0; c < a->out_c; c++) {
            multiplier[c] = chance(20) ? (int32_t)(next() & 0x3FFFFFFFu) | 1 : (int32_t)(0x40000001u + (next() & 0x3FFFFFFEu));
            shift[c] = -range(5, 15);
            bias[c] = range(-(1 << 14), 1 << 14);
        }
        if (chance(30)) {
            /* a channel or two at the edges of the DSP kernel's common fast form (one run of every
             * channel when all take it, conv_s8.c's all_common): e = -shift 1, 22 and 23, multipliers
             * 2^30 and 2^30 + 1, biases at the bound |bias| <= 2^30 - 1 - k * 32640 and one past it */
            const int32_t room = (1 << 30) - 1 - a->k_h * a->k_w * a->in_c * 32640;
            static const int32_t shifts[] = {-1, -22, -23}, mults[] = {0x40000000, 0x40000001};
            for (int32_t n = range(1, 2); n > 0; n--) {
                const int32_t c = range(0, a->out_c - 1);
                if (chance(50)) shift[c] = shifts[range(0, 2)];
                if (chance(50)) multiplier[c] = mults[range(0, 1)];
                if (chance(50)) bias[c] = (chance(50) ? room : -room) + (chance(50) ? 0 : (chance(50) ? 1 : -1));
            }
        }
    }
    if (dw_like) {
        /* channels of four, no clamp, shifts often 0 or 1 (an output scale near the input's times
         * the weights'): every requantisation form of the DSP kernel's channel groups */
        a->act_min = -128;
        a->act_max = 127;
        for (int32_t c = 0; c < a->out_c; c++) {
            if (chance(40)) shift[c] = range(0, 1);
            else if (chance(50)) shift[c] = -range(1, 23); /* every right shift of the line loops' forms */
        }
        if (chance(50)) a->out_zp = -128; /* (their two-instruction forms) */
        if (chance(25)) {
            /* groups of four channels alternating between mixed forms (a multiplier below 2^30 beside
             * a left shift) and one form, the output zero point not -128: the channel groups then
             * alternate between C from a plain copy of the input and the assembly from a widened
             * one, whose rows and columns of padding a group may leave to the next */
            for (int32_t c = 0; c < a->out_c; c++) {
                const int mixed = (c / 4) % 2 == 0;
                multiplier[c] = mixed && c % 4 == 0 ? (int32_t)(next() & 0x3FFFFFFFu) | 1
                                                    : (int32_t)(0x40000001u + (next() & 0x3FFFFFFEu));
                shift[c] = mixed && c % 4 == 1 ? range(0, 1) : -range(1, 10);
            }
            a->out_zp = range(-100, 100);
        }
        if (chance(30)) {
            /* DS-CNN's layers as the quantiser makes them: a ReLU's output (zero point -128), every
             * right shift in [1, 14] (the DSP kernel's two-instruction forms set up for four channels
             * at once), multipliers below and above 2^30, some biases near 2^29 and beyond (starts
             * near the bound of those forms, and past it: the general setup) */
            for (int32_t c = 0; c < a->out_c; c++) {
                shift[c] = -range(1, 14);
                multiplier[c] = chance(30) ? (int32_t)(next() & 0x3FFFFFFFu) | 1 : (int32_t)(0x40000001u + (next() & 0x3FFFFFFEu));
                if (chance(5)) bias[c] = (int32_t)(next() >> range(1, 9)) * (chance(50) ? 1 : -1);
            }
            a->out_zp = -128;
        }
    }
    if (dw_5x5 && chance(50)) { /* multipliers below 2^30 (the SMMULR form), no clamp beyond int8 */
        for (int32_t c = 0; c < a->out_c; c++)
            if (multiplier[c] && chance(40)) multiplier[c] = (int32_t)(next() & 0x3FFFFFFFu) | 1;
        a->act_min = -128;
        a->act_max = 127;
    }
    /* a ReLU's output as the quantiser makes it, zero point -128 (the DSP kernel's line loops drop
     * their sign term then) */
    if (depthwise && chance(dw_3x3 ? 50 : 30)) a->out_zp = -128;
    if (dw_3x3 && !dw_like && chance(50)) { /* the line loops of the DSP kernel's planar path too */
        a->act_min = -128;
        a->act_max = 127;
    }
    a->multiplier = multiplier;
    a->shift = shift;
    a->bias = chance(15) ? NULL : bias;
}
