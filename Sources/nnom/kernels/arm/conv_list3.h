/*
 * The list of pairs of the Cortex-M DSP convolution's three-pixel passes (kernels/arm/conv_s8.c,
 * which includes this file before its entry; uses its conv_ctx, channel_form, fast_channels,
 * pass_general and clamp_pass): every fast channel of a pass in one call of pass3 (conv_pass3.h,
 * conv_pass3s.h), however dead filters or other requantisations cut them into runs, the others
 * (gaps) then in pass_general. Made once per call (three_list), in the place of the runs (which a
 * listed layer no longer reads: its last passes of two pixels take their pairs from the list too).
 * Before it, each run cost pass3 a call per pass, and layers with many short runs (MobileNet's
 * 6x6 and 3x3 pointwise layers with their all-zero filters kept) went back to pass2 or pass8:
 * pw_6x6_128to128_dead 1.22 -> 0.93 estimated Cortex-M4 cycles per MAC (-O2), pw_3x3_128to256_dead
 * 1.72 -> 1.26.
 */
#ifndef NNOM_KERNELS_ARM_CONV_LIST3_H
#define NNOM_KERNELS_ARM_CONV_LIST3_H

/* Three-pixel passes with every fast channel of a pass in one call (pass3_pairs, conv_pass3.h),
 * for layers whose channels in runs are below PASS3_LIST_CHANNELS (pair starts are bytes). */
static int three_listable(const conv_shape *s, int32_t n_safe)
{
    return s->np == 3 && n_safe >= 2 && n_safe <= PASS3_LIST_CHANNELS;
}
/* Bytes of three_list's buffer: in [0, lim), lim <= PASS3_LIST_CHANNELS, F fast channels in R
 * runs and G runs of general ones take at most (F + R) / 2 pair starts and 2 G gap bytes, with
 * R <= F, R <= G + 1 and G <= lim - F: at most 384 (F = R = G = 128, every other channel fast). */
#define THREE_LIST_BYTES (3 * PASS3_LIST_CHANNELS / 2)
/* The channels of [0, lim) (lim <= n_safe, n_safe >= 2) into list[] (THREE_LIST_BYTES): from its
 * start the pair starts of the fast ones, from its end down the runs of the others (a gap
 * [b0, b1 + 1) as the bytes b0, b1), *n_gaps their count. For each run [c0, c1) of fast channels,
 * pairs c0, c0 + 2, ...; an odd run ends on its last channel paired with the one after it when
 * that one is below n_safe (a general channel, or the first of the tail, written again after),
 * else on the pair before (c1 - 2, overlapping; c1 = n_safe >= 2). Returns the pairs' count, 0
 * when there is no fast channel or (not reached, see THREE_LIST_BYTES) no room. */
static int32_t three_list(const conv_ctx *x, int32_t lim, int32_t bias_room, uint8_t *list, int32_t *n_gaps)
{
    int32_t n = 0, g = 0;
    for (int32_t c = 0; c < lim;) {
        const int32_t c0 = c;
        while (c < lim && channel_form(x, c, bias_room, 3) == FORM_GENERAL) c++;
        if (c > c0) {
            if (n + 2 * g + 2 > THREE_LIST_BYTES) return 0;
            list[THREE_LIST_BYTES - 2 * g - 2] = (uint8_t)c0;
            list[THREE_LIST_BYTES - 2 * g - 1] = (uint8_t)(c - 1);
            g++;
        }
        const int32_t f0 = c;
        while (c < lim && channel_form(x, c, bias_room, 3) != FORM_GENERAL) c++;
        for (int32_t p = f0; p < c; p += 2) {
            if (n + 2 * g + 1 > THREE_LIST_BYTES) return 0;
            list[n++] = (uint8_t)(p + 2 <= c || c < x->n_safe ? p : c - 2);
        }
    }
    *n_gaps = g;
    return n;
}
/* One pass of np pixels (3; or 2, a three-pixel layer's last ones, in the two-pixel layout) of a
 * listed layer: the listed pairs, from pa (columns, groups, zz, out_c set; or the inputs g, see
 * pass3_pairs) at output o, in one call of pass3 or (np 2) in pass2 a run of pairs at a time;
 * then the gaps' channels in pass_general, and the clamp of [0, lim). */
static void three_pass(const conv_ctx *x, pass2_args *pa, int8_t *o, const uint8_t *list, int32_t n_pairs,
                       int32_t n_gaps, int32_t lim, int clamp, const pass3_gather *g, int32_t np)
{
    static const int32_t no_bias[2] = {0, 0};
    const nnom_conv_args *a = x->a;
    const int32_t *bias = (const int32_t *)a->bias;
    if (np == 3) {
        pa->bias = bias ? bias : no_bias;
        pa->bias_step = bias ? 4 : 0;
        pa->mult = a->multiplier;
        pa->shift = a->shift;
        pa->w = (const int8_t *)a->weights;
        pa->k = x->s.k;
        pa->out = o;
        pass3_pairs(pa, list, list + n_pairs, g);
    } else {
        /* each run of consecutive pairs (starts 2 apart) in one call of pass2, in the requantisation
         * of nnom_arm_requant() that serves every fast channel (one instruction more an output than
         * the other form, on a layer's last two or four pixels) */
        for (const uint8_t *s = list, *e; s < list + n_pairs; s = e) {
            for (e = s + 1; e < list + n_pairs && *e == e[-1] + 2;) e++;
            const int32_t c0 = s[0], c1 = e[-1] + 2;
            fast_channels(pa, NULL, NULL, 0, FORM_U, bias ? bias + c0 : NULL, a->multiplier + c0, a->shift + c0,
                          (const int8_t *)a->weights + (ptrdiff_t)c0 * x->s.k, x->s.k, o + c0, c1 - c0);
        }
    }
    for (const uint8_t *gap = list + THREE_LIST_BYTES - 2 * n_gaps; gap < list + THREE_LIST_BYTES; gap += 2)
        pass_general(x, gap[0], gap[1] + 1, np, o);
    if (clamp) clamp_pass(o, lim, np, a->out_c, a->act_min, a->act_max);
}


/* Whether every channel of the n_gaps gaps of list (three_list) is dead: pass_general then writes
 * their constants without reading columns (a pass of a pointwise layer may then widen its inputs
 * itself, pass3_gather; MobileNet's pointwise layers with their all-zero filters kept). */
static int three_gaps_dead(const conv_ctx *x, const uint8_t *list, int32_t n_gaps)
{
    for (const uint8_t *gap = list + THREE_LIST_BYTES - 2 * n_gaps; gap < list + THREE_LIST_BYTES; gap += 2)
        for (int32_t c = gap[0]; c <= gap[1]; c++)
            if (!is_dead(x, c)) return 0;
    return 1;
}

#if NNOM_CONV_PASS3S
/* Whether a 1x1 layer at stride 1 without padding on whole groups can run its passes of three
 * in three_rec_passes (conv_s8.c: its self-gathered passes, no gap in the pairs): at most
 * PASS3R_MAX_GROUPS groups, at least PASS3R_MIN_OUT_C channels (a pair), every one of the common
 * fast form (no gap, none dead). */
#define PASS3R_MIN_OUT_C 2
static int three_rec_forms(const nnom_conv_args *a, const conv_shape *s)
{
    if (a->k_h != 1 || a->k_w != 1 || a->stride_h != 1 || a->stride_w != 1 || a->pad_top || a->pad_left ||
        a->out_w != a->in_w || s->staged || s->groups > PASS3R_MAX_GROUPS || a->out_c < PASS3R_MIN_OUT_C)
        return 0;
    const int32_t bias_room = (int32_t)((1 << 30) - 1 - s->k * 32640);
    for (int32_t c = 0; c < a->out_c; c++)
        if (!form_common(a, c, bias_room)) return 0;
    return 1;
}

/* The fewest passes of three on which a layer of more channels than a list of pairs takes (beyond
 * PASS3_LIST_CHANNELS) runs them from records (each turn of PASS3R_MAX_PAIRS pairs makes its
 * records and widens the inputs again; pass3 per pass otherwise): on the Cortex-M4 (-O2, est.
 * cycles per MAC) pw_6x6_88to528 (12 passes) 1.299 -> 1.247, while pw_3x3_56to336 (3) took 1.494
 * -> 1.507, pw_3x3_96to576_mixed 1.317 -> 1.333. */
#define PASS3R_ALL_MIN_PASSES 6

/* Whether such a layer (@p forms: three_rec_forms) will run them there: at most PASS3R_MAX_PAIRS
 * pairs, or any number when the output does not overlap the input (@p apart: in turns of
 * PASS3R_MAX_PAIRS pairs, each widening the inputs again). On the Cortex-M4 (-O2, est. cycles per
 * MAC) against pass8: from 8 input channels pw_24x24_8to48 3.10 -> 2.37, on 8 output channels
 * pw_3x48_16to8_band 2.94 -> 2.20, on more than 128 pw_6x6_24to144 1.99 -> 1.70. */
static inline int three_rec_takes(const nnom_conv_args *a, int forms, int apart)
{
    return forms && (apart || a->out_c <= 2 * PASS3R_MAX_PAIRS);
}

/* The live channels of [0, out_c) (those outside the n_gaps gaps of list, three_list) in pairs
 * (c, d), two bytes each at pairs (at most out_c + 1 bytes: a pair takes two channels, or one
 * and at least PASS3R_MAX_STEP dead after it, or the last one): each
 * live channel with the next one, however many dead ones lie between (up to PASS3R_MAX_STEP; a
 * pair of neighbours in a run of dead filters computed no dead channel: MobileNetV1-0.25's 6x6
 * layers with their all-zero filters kept, 38 pairs of conv_pw_7 -> 28). One left over, or one
 * whose next lies farther, takes the channel after it (dead: written again after) or, the last
 * channel, the one before it (dead, or computed twice with the same bytes). Returns the pairs'
 * count, at most three_list's (n_pairs). */
static int32_t three_rec_pairs(const uint8_t *list, int32_t n_gaps, int32_t out_c, uint8_t *pairs)
{
    const uint8_t *gap = list + THREE_LIST_BYTES - 2, *const gaps_end = gap - 2 * n_gaps; /* (from the first) */
    int32_t n = 0, held = -1;
    for (int32_t c = 0; c < out_c; c++) {
        if (gap != gaps_end && c == gap[0]) {
            c = gap[1];
            gap -= 2;
            continue;
        }
        if (held >= 0 && c - held > PASS3R_MAX_STEP) {
            pairs[n++] = (uint8_t)held;
            pairs[n++] = (uint8_t)(held + 1);
            held = -1;
        }
        if (held < 0) {
            held = c;
        } else {
            pairs[n++] = (uint8_t)held;
            pairs[n++] = (uint8_t)c;
            held = -1;
        }
    }
    if (held >= 0) {
        pairs[n++] = (uint8_t)(held + 1 < out_c ? held : held - 1);
        pairs[n++] = (uint8_t)(held + 1 < out_c ? held + 1 : held);
    }
    return n / 2;
}

/* The passes of three pixels [0, 3 passes) of a pointwise layer whose every channel is listed or
 * dead (x->s.groups <= PASS3R_MAX_GROUPS, in_c = 4 groups; the gaps all dead, three_gaps_dead;
 * n_pairs <= PASS3R_MAX_PAIRS, or more when the output does not overlap the input): the live
 * channels' pairs (three_rec_pairs: no more than n_pairs) and their records made once here (on
 * this function's stack: 36 bytes a pair and out_c + 1 bytes for the pairs), all the passes in one call of
 * pass3_rec_run (conv_pass3r.h) per PASS3R_MAX_PAIRS pairs, then the gaps' constants
 * (pass_general, after: a pair may have computed a dead channel), then the narrower clamp of
 * their pixels. */
__attribute__((noinline)) static void three_rec_passes(const conv_ctx *x, const uint8_t *list, int32_t n_pairs,
                                                       int32_t n_gaps, const int8_t *in, int8_t *out, int32_t passes,
                                                       int32_t again, int clamp)
{
    const nnom_conv_args *a = x->a;
    /* (every channel live: the pairs 0 1, 2 3, ..., an odd last one with the one before) */
    uint8_t pairs_buf[n_gaps ? a->out_c + 1 : 1], *const pairs = n_gaps ? pairs_buf : NULL;
    n_pairs = n_gaps ? three_rec_pairs(list, n_gaps, a->out_c, pairs) : (a->out_c + 1) / 2;
    const int32_t chunk = n_pairs < PASS3R_MAX_PAIRS ? n_pairs : PASS3R_MAX_PAIRS;
    pass3_rec recs[chunk + 1]; /* (as many as the pairs, at most PASS3R_MAX_PAIRS + 1: 2340 bytes) */
    pass3r_args r = {in, a->in_c, x->neg_zp, recs, out, a->out_c, passes};
    for (int32_t i = 0; i < n_pairs; i += chunk) {
        const uint8_t *const turn = pairs ? pairs + 2 * i : NULL;
        r.out = out + pass3_records_base(turn, 2 * i, a->out_c - 1); /* (a turn's channels from its first) */
        pass3_records(recs, turn, 2 * i, a->out_c - 1, n_pairs - i < chunk ? n_pairs - i : chunk,
                      (const int32_t *)a->bias,
                      a->multiplier, a->shift, (const int8_t *)a->weights, a->in_c, 2 * a->out_zp + 1);
        pass3_rec_run(&r);
        if (again) { /* (no gap) */
            pass3r_args last = r;
            last.in = in + (ptrdiff_t)again * a->in_c;
            last.out = r.out + (ptrdiff_t)again * a->out_c;
            last.passes = 1;
            pass3_rec_run(&last);
        }
    }
    for (int32_t g = 0; g < n_gaps; g++) {
        const uint8_t *const gap = list + THREE_LIST_BYTES - 2 * n_gaps + 2 * g;
        pass_general(x, gap[0], gap[1] + 1, 3 * passes, out);
    }
    if (clamp) clamp_pass(out, a->out_c, 3 * passes, a->out_c, a->act_min, a->act_max);
    if (clamp && again) clamp_pass(out + (ptrdiff_t)again * a->out_c, a->out_c, 3, a->out_c, a->act_min, a->act_max);
}

/* A pointwise layer every pass of three of which runs from the pairs' records, of at least three
 * pixels, every channel of the common form (no gap: three_rec_forms, as @p forms gives it for
 * patches below PASS3S_MIN_K, found here for longer ones), its output apart from its input (@p
 * apart) or (an in-place run, kernels/conv.h: each pass reads its inputs before it writes) a
 * multiple of 3 pixels on at most PASS3R_MAX_PAIRS pairs: when it has at most PASS3_LIST_CHANNELS
 * channels, or more on PASS3R_ALL_MIN_PASSES passes or more, all its pixels in three_rec_passes,
 * the last one or two (pixels not a multiple of 3) in a pass again over the last three (those
 * computed before get the same bytes again); with no runs of channels, list of pairs or loop of
 * passes made (conv_s8.c): on the Cortex-M4 (-O2, est. cycles per MAC) pw_5x48_16to16_band 1.930
 * -> 1.903, pw_12x12_16to96 1.779 -> 1.747, pw_6x6_24to144 1.693 -> 1.611, a call of 4 pixels
 * pw_1x4_32to64_chunk 3.471 -> 2.889. Returns whether it ran it. */
static int three_rec_layer(const conv_ctx *x, int forms, int apart, const int8_t *in, int8_t *out)
{
    const nnom_conv_args *a = x->a;
    const int32_t n_pix = a->out_h * a->out_w;
    if (x->s.np != 3 || n_pix < 3 || (a->out_c > PASS3_LIST_CHANNELS && n_pix < 3 * PASS3R_ALL_MIN_PASSES) ||
        !(apart || (n_pix % 3 == 0 && a->out_c <= 2 * PASS3R_MAX_PAIRS)) ||
        !(forms || (x->s.k >= PASS3S_MIN_K && three_rec_forms(a, &x->s))))
        return 0;
    three_rec_passes(x, NULL, (a->out_c + 1) / 2, 0, in, out, n_pix / 3, n_pix % 3 ? n_pix - 3 : 0,
                     a->act_min != -128 || a->act_max != 127);
    return 1;
}
#else
static inline int three_rec_takes(const nnom_conv_args *a, int forms, int apart)
{
    (void)a;
    (void)forms;
    (void)apart;
    return 0;
}
static inline int three_rec_layer(const conv_ctx *x, int forms, int apart, const int8_t *in, int8_t *out)
{
    (void)x;
    (void)forms;
    (void)apart;
    (void)in;
    (void)out;
    return 0;
}
static inline int three_rec_forms(const nnom_conv_args *a, const conv_shape *s)
{
    (void)a;
    (void)s;
    return 0;
}
#endif

#endif
