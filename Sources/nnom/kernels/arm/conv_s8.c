/*
 * int8 convolution for Cortex-M cores with the DSP extension (SMLAD), the
 * twin of kernels/conv_s8.c: same functions, same results bit for bit.
 *
 * A pass computes a few output pixels: their receptive fields (patches) are
 * gathered into scratch (im2col), in the order of the weights
 * ([k_h][k_w][in_c]), widened to int16 with the input zero point subtracted,
 * in groups of four elements stored as two int16 pairs (e0, e2) and (e1, e3),
 * the pass's pixels' groups side by side; the last group's lanes past the
 * patch hold 0. Patches of at most EIGHT_MAX_K (conv_shape.h) take eight
 * pixels per pass when the scratch given holds their columns (a plan gives
 * that from its spare room only), one output channel at a time; patches
 * shorter than PAIR_MIN_K take four pixels, longer ones two pixels and two
 * channels (more multiply-accumulates per load, more constants per output);
 * pointwise patches of at least THREE_MIN_K (PASS3S_MIN_K at -O2), windows on one input channel of
 * at least THREE_ONE_MIN_K (DS-CNN's 10x4) and the long ones take three
 * pixels and two channels when the scratch holds them (conv_pass3.h; at -O2 on
 * patches of up to 32 groups conv_pass3s.h, the columns on its stack; every fast
 * channel of a pass in one call, from a list of pairs: three_list; a pointwise
 * layer of 8 to 128 input channels and at most 128 output channels (any count when
 * its output lies apart from its input) all its passes in one call, from
 * records of its pairs made once: conv_pass3r.h; see
 * nnom_conv2d_s8 for when): the assembly of conv_pass.h, which describes
 * them all. The last pixels of
 * a layer, fewer than a pass, run a whole pass again over the layer's last
 * pixels when the output does not overlap the input (an eight-pixel shape
 * takes a pass of four when at most four are left). A short patch given only four pixels'
 * scratch (a tiled plan's) takes eight-pixel passes anyway where the output
 * bytes of the next eight pixels, not computed yet, can hold their columns.
 * Per group of four taps, one load of four int8 weights per channel, two SXTB16 (which
 * give the same (w0, w2) / (w1, w3) pairing), the four words of two pixels'
 * columns (one LDM, or in the two-pixel pass four LDR after the weights' two)
 * and eight SMLAD. Weights read for the lanes past the patch belong to the
 * next channel and meet zero data; the last channels, whose read would leave
 * the weight array, run on a zero-padded copy of their weights (or, when that
 * copy would be long, read their last partial group byte by byte).
 *
 * im2col: when in_c is a multiple of 4 every tap is whole groups, widened
 * straight from the input (the two pixels of a two-pixel pass together, one
 * STM per group of both, all kernel rows in one call, widen_pair_rows; when
 * their windows reach into the padding, the taps both have inside together,
 * the others alone or zero, im2col_pair_edge). Otherwise the patch is first
 * gathered as int8 in
 * a staging row (padding taps and the lanes past k hold the input zero point,
 * which widens to 0), then widened; a window inside the input is copied a
 * word at a time (for rows of at most 4 bytes, e.g. one input channel in the
 * first layer of an image model, one word per kernel row). A kernel row of
 * exactly one group (DS-CNN's 10x4 on one channel) skips the staging row: a
 * word widened straight into the column, or, at the padding, built in a
 * register from one load inside the input row (im2col_row_groups_edge).
 *
 * The common case, channels whose requantisation takes the 32-bit form of
 * nnom_arm_requant_zp() (see arm_dsp.h: shift in [-22, -1], multiplier above
 * 2^30, |dot + bias| < 2^30 by a bound on the bias), runs in the assembly
 * from the bias to the stored bytes (per output: LSL, SMMLAR, ADD, ASR, SSAT,
 * STRB), over each run of consecutive such channels (so that one other
 * channel does not send its neighbours to the slow path); channels with a
 * multiplier below 2^30 likewise, with the requantisation of
 * nnom_arm_requant() (one instruction more per output); in eight-pixel passes
 * also shifts of 0 to FORM_L_MAX_SHIFT (conv_pass.h's REQUANT_L_B). Other
 * channels (a dead one, multiplier 0, or an all-zero filter with such a shift
 * is a constant), a last partial pass, and patches
 * whose columns do not fit the scratch given (chunks of four pixels' columns,
 * or one pixel per pass) use nnom_conv_quant_out() of conv.h, as the portable
 * kernel does.
 *
 * A layer of two-pixel passes whose channels are all one even run of fast
 * channels (ResNet-8's 3x3 layers) prepares pass2's arguments once per call;
 * when out_w is even (every pass two pixels of one output row) a loop of its
 * own walks the passes: gather, end group, one call of the assembly for all
 * channels (about 100 estimated cycles per pass instead of 300); 3x3 layers
 * with a bias on 16, 32 or 64 channels at stride 1 and on 16 at stride 2
 * (ResNet-8's) in strips of output columns from the top down, each input row
 * widened once and read in place, the pairs' requantisation constants made
 * once per call (conv_rows16.h, conv_rows2.h, conv_pass2t.h).
 */
#include "kernels/arm/arm_dsp.h"

/* Compiled only as part of kernels/conv_s8.c, which includes this file on cores with DSP. */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)
#include <stddef.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/requant.h"

#include "kernels/arm/conv_shape.h"

/* ------------------------------------------------------------------ im2col */

/* Bytes of a group of patch elements: a kernel row of this many bytes is one group. */
#define ROW_GROUP 4

/* Widens n >= 1 groups of 4 int8 from src (any alignment) into dst, minus the zero
 * point (neg_zp: -zp in both int16 lanes); one group (two words, one STRD)
 * every `stride` words. Two groups per loop pass, an odd n entering at the
 * second: 6 instructions per group. widen() is the same, called, for any n. */
static inline __attribute__((always_inline)) void widen_inline(uint32_t *dst, int32_t stride, const int8_t *src,
                                                               int32_t n, uint32_t neg_zp)
{
    uint32_t t, lo, hi;
    __asm__ volatile("lsrs    %[n], %[n], #1\n\t"
                     "bcc     1f\n\t"
                     "adds    %[n], %[n], #1\n\t"
                     "b       2f\n"
                     "1:\n\t"
                     "ldr     %[t], [%[src]], #4\n\t"
                     "sxtab16 %[lo], %[zp], %[t]\n\t"
                     "sxtab16 %[hi], %[zp], %[t], ror #8\n\t"
                     "strd    %[lo], %[hi], [%[dst]]\n\t"
                     "add     %[dst], %[dst], %[st]\n"
                     "2:\n\t"
                     "ldr     %[t], [%[src]], #4\n\t"
                     "sxtab16 %[lo], %[zp], %[t]\n\t"
                     "sxtab16 %[hi], %[zp], %[t], ror #8\n\t"
                     "strd    %[lo], %[hi], [%[dst]]\n\t"
                     "add     %[dst], %[dst], %[st]\n\t"
                     "subs    %[n], %[n], #1\n\t"
                     "bne     1b\n\t"
                     : [dst] "+r"(dst), [src] "+r"(src), [n] "+r"(n), [t] "=&r"(t), [lo] "=&r"(lo), [hi] "=&r"(hi)
                     : [zp] "r"(neg_zp), [st] "r"(stride * 4)
                     : "cc", "memory");
}
__attribute__((noinline)) static void widen(uint32_t *dst, int32_t stride, const int8_t *src, int32_t n,
                                            uint32_t neg_zp)
{
    if (n > 0) widen_inline(dst, stride, src, n, neg_zp);
}

static void zero_groups(uint32_t *dst, int32_t stride, int32_t n)
{
    for (; n > 0; n--, dst += stride) dst[0] = dst[1] = 0;
}

static inline void copy_bytes(int8_t *d, const int8_t *s, int32_t n)
{
    for (; n >= 4; n -= 4, d += 4, s += 4) {
        const uint32_t v = nnom_arm_load4(s);
        memcpy(d, &v, 4);
    }
    for (; n > 0; n--) *d++ = *s++;
}

typedef struct {
    const nnom_conv_args *a;
    conv_shape s;
    uint32_t neg_zp;
    uint32_t *cols;         /* np interleaved columns */
    int8_t *staging;        /* the int8 patch (staged layout), padded with the zero point */
    const int8_t *in_end;   /* one past the input tensor */
    uint32_t zp_bytes;      /* the input zero point in all four bytes */
    int32_t n_safe;         /* channels [0, n_safe) may read their last group as a whole word */
    /* windows inside the input (dil_w == 1), see im2col_inside */
    int32_t stride;         /* words between a column's groups: 2 * np */
    int32_t row_groups;     /* groups of a kernel row (in_c a multiple of 4) */
    int32_t run;            /* bytes of a kernel row: k_w * in_c */
    int32_t words;          /* words copied per kernel row when staged: ceil(run / 4) */
    ptrdiff_t step;         /* input bytes between kernel rows: dil_h * in_w * in_c */
    int32_t pix_step;       /* input bytes between the windows of neighbour pixels: stride_w * in_c */
    /* what is_dead() found of the first DEAD_MAP_CHANNELS: DEAD_MAP_WORDS words of bits "found"
     * (bit c % 32 of word c / 32), then as many of bits "dead" */
    uint32_t *dead;
    /* the call's output, and 1 once its first pass has run: pixel 0's outputs then hold the dead
     * channels' constants (nothing writes them again but with the same bytes), copied from there */
    const int8_t *out0;
    int later;
} conv_ctx;

#include "kernels/arm/conv_im2col.h"

/* ------------------------------------------------------------ dot products */

#include "kernels/arm/conv_dot.h"

/* ------------------------------------------------------------ fast passes */

#include "kernels/arm/conv_pass.h"
#include "kernels/arm/conv_pass3.h"
#include "kernels/arm/conv_narrow.h"
#include "kernels/arm/conv_first_run.h"
#include "kernels/arm/conv_short.h"

/* ----------------------------------------------- channels: forms, dead ones, the general path */

#include "kernels/arm/conv_channels.h"

/* ------------------------------------------------- long patches, in chunks */

#include "kernels/arm/conv_chunked.h"

/* ------------------------------------------------------------------- entry */

/* Bytes of weights of the last channels copied (zero padded) for pass2_fast. */
#define TAIL_WORDS 16
/* The most channels whose table of constants for the strips (conv_pass2t.h) lives on the stack, in
 * the place of the runs (MAX_RUNS of 8 bytes: no more stack); more take it after the strips'
 * slots, when the scratch holds it. */
#define PAIR_TABLE_STACK_CHANNELS 32
#include "kernels/arm/conv_runs.h"

/* Whether a live channel (multiplier not 0, some weight not 0) has a shift of 0 or more: a dead
 * one (nnom's quantiser gives all-zero filters shift 1) is a constant of pass_general in any pass
 * (MobileNetV1-0.25's conv_pw_6 with its all-zero filters kept then takes passes of three, not
 * of eight: pw_6x6_64to128_dead 0.937 -> 0.825 est. cycles per MAC, with conv_pass3r.h's pairs over the dead channels). */
static int non_negative_shift(const nnom_conv_args *a)
{
    const int32_t k = a->k_h * a->k_w * a->in_c;
    for (int32_t c = 0; c < a->out_c; c++)
        if (a->shift[c] >= 0 && a->multiplier[c] != 0 && !all_zero((const int8_t *)a->weights + (ptrdiff_t)c * k, k))
            return 1;
    return 0;
}

/* The narrower output clamp of n channels of the np pixels at o (the fast passes clamp to int8 only). */
static void clamp_pass(int8_t *o, int32_t n, int32_t np, int32_t out_c, int32_t lo, int32_t hi)
{
    for (int32_t p = 0; p < np; p++, o += out_c)
        for (int32_t c = 0; c < n; c++) o[c] = (int8_t)(o[c] < lo ? lo : (o[c] > hi ? hi : o[c]));
}

#include "kernels/arm/conv_list3.h"
#include "kernels/arm/conv_pair.h"
#include "kernels/arm/conv_pairs_rows.h"

static void conv_layer(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch, uint32_t scratch_bytes);

/* A 1x1 layer at a stride above 1 (strided_1x1_takes, conv_im2col.h): its inputs copied, then at
 * stride 1 (its arguments on this function's stack, not on the entry's). */
__attribute__((noinline)) static void strided_1x1(const nnom_conv_args *a, const int8_t *in, int8_t *out,
                                                  void *scratch, uint32_t scratch_bytes)
{
    nnom_conv_args at1;
    in = strided_1x1_gather(a, in, out, &at1);
    conv_layer(&at1, in, out, scratch, scratch_bytes);
}

void nnom_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch, uint32_t scratch_bytes)
{
    if (nnom_conv2d_s8_as_dense(a, in, out)) return;
    /* 1x1 on 8 input channels: kernels/arm/conv_short.h */
    if (conv_short_takes(a, in, out, scratch_bytes)) {
        conv_short(a, in, out, scratch, scratch_bytes);
        return;
    }
    if (strided_1x1_takes(a, in, out)) strided_1x1(a, in, out, scratch, scratch_bytes);
    else conv_layer(a, in, out, scratch, scratch_bytes);
}

/* The layer in the passes (see the top of this file). */
__attribute__((noinline)) static void conv_layer(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                                                 uint32_t scratch_bytes)
{
    conv_ctx x;
    const int32_t out_c = a->out_c, n_pix = a->out_h * a->out_w;
    x.a = a;
    x.s = shape_of(a, scratch_bytes);
    /* the first layer of an image or keyword-spotting model: kernels/arm/conv_first_run.h */
    const int first = first_layer_takes(a, &x.s, in, out);
    if (first) {
        first_layer(a, &x.s, in, out, scratch, first);
        return;
    }
    /* 1-4 input channels, short patches: kernels/arm/conv_narrow.h */
    if (conv_narrow_takes(a, &x.s)) {
        conv_narrow(a, &x.s, in, out, scratch);
        return;
    }
    /* Three pixels, two channels at a time (pass3) when the scratch holds them, in place of
     * pass2 (long patches) or, on 1x1 windows and windows on one input channel of at least
     * THREE_ONE_MIN_K taps, of pass8 and pass4 (DS-CNN's 10x4 stride 2 on 49x10x1 -> 64: 2.00 ->
     * 1.82 estimated cycles per MAC with the gather below, 1.31 -> 1.60 instructions): pass3 takes fewer estimated
     * cycles than those two but more instructions (26 against 13.5 per 16 MACs in their loops),
     * and the other windows of patches shorter than PAIR_MIN_K keep them (the 28x28 CNN's 3x3
     * conv on 12 channels: 1.46 instructions per MAC of the model with pass4, 1.63 with pass3).
     * An eight-pixel shape keeps its passes for a layer with a channel of a non-negative shift
     * (pass8 only has that requantisation fast); any shape where the fast channels are cut into
     * short runs (below). A two-pixel shape, where pass3 gains least (2-4 %), keeps its passes
     * when the pass again over the last pixels would redo more than 1/64 of them (8x8: 2 of 64). */
    const int32_t np_shape = x.s.np;
    /* (the output apart from the input: passes can be redone, records made in turns) */
    const int apart = (uintptr_t)(out + (ptrdiff_t)n_pix * out_c) <= (uintptr_t)in ||
                      (uintptr_t)(in + (ptrdiff_t)a->in_h * a->in_w * a->in_c) <= (uintptr_t)out;
    const int one_channel = a->in_c == 1 && x.s.k >= THREE_ONE_MIN_K;
    const int one_by_one = a->k_h == 1 && a->k_w == 1;
    /* (a pointwise layer on a short patch the pairs' records can take: conv_list3.h) */
    const int rec_forms = one_by_one && x.s.k < PASS3S_MIN_K && three_rec_forms(a, &x.s);
    if (three_fits(&x.s, scratch_bytes,
                   one_channel ? THREE_ONE_MIN_K
                               : (one_by_one && !x.s.staged && NNOM_CONV_PASS3S
                                      ? (three_rec_takes(a, rec_forms, apart) ? PASS3R_MIN_K : PASS3S_MIN_K)
                                      : THREE_MIN_K)) &&
        (x.s.np == 2 || one_by_one || one_channel) && (x.s.np != 8 || !non_negative_shift(a)) &&
        (x.s.np != 2 || (3 - n_pix % 3) % 3 * THREE_REDO_SHARE <= n_pix))
        x.s.np = 3;
    x.neg_zp = (uint32_t)(uint16_t)(int16_t)(-a->in_zp) * 0x00010001u;
    x.cols = (uint32_t *)scratch;
    x.in_end = in + (ptrdiff_t)a->in_h * a->in_w * a->in_c;
    x.zp_bytes = (uint32_t)(uint8_t)a->in_zp * 0x01010101u;
    /* channel c reads weights [c * k, c * k + 4 * groups): whole words while within the array */
    const int32_t over = 4 * x.s.groups - x.s.k;
    x.n_safe = out_c - (over + x.s.k - 1) / x.s.k;
    if (x.n_safe < 0) x.n_safe = 0; /* (k < 4 and fewer channels than a word's weights: none) */
    /* |dot| <= k * 255 * 128; a channel whose |bias| keeps |dot + bias| below 2^30 can take the fast path */
    const int32_t bias_room = (int32_t)((1 << 30) - 1 - x.s.k * 32640);
    uint32_t dead_map[2 * DEAD_MAP_WORDS];
    memset(dead_map, 0, sizeof dead_map);
    x.dead = dead_map;
    x.out0 = out;
    x.later = 0;
    if (three_rec_layer(&x, rec_forms, apart, in, out)) return;
    /* Channels that take the fast requantisation run in the fast passes (fast_channels) on
     * whole passes, in runs of consecutive channels: runs[] (at most MAX_RUNS, the others in
     * pass_general) over [0, n_safe) on the weights in place; and [tail0, out_c), the last
     * channels, when they are all fast, on a zero-padded copy of their weights (tail_buf). */
    /* (a layer of listed three-pixel passes needs its runs no more once its list is made: see below) */
    union {
        fast_run runs[MAX_RUNS];
        uint8_t three[THREE_LIST_BYTES];
        int32_t pair_table[PAIR_TABLE_STACK_CHANNELS / 2 * PASS2T_WORDS]; /* (pair_layer's tables: after the runs) */
    } runs_or_list;
    _Static_assert(sizeof runs_or_list.pair_table <= sizeof runs_or_list.runs, "the tables take no more stack");
    fast_run *const runs = runs_or_list.runs;
    int32_t n_runs = find_runs(&x, x.s.np, x.n_safe, bias_room, runs);
    if (x.s.np == 3 && !three_listable(&x.s, x.n_safe) &&
        three_cut(runs, n_runs, np_shape == 2 ? THREE_RUN_MIN_PAIRED : THREE_RUN_MIN)) {
        /* back to the shape's passes: the same runs (no channel of form FORM_L, see above), made
         * even by the channel after them for pass2 only */
        x.s.np = np_shape;
        for (int32_t r = 0; np_shape != 2 && r < n_runs; r++) runs[r].flags &= (uint8_t)~RUN_PAIRED;
    }
    /* A two-pixel shape that pair_passes() walks (a window of several rows over whole groups, out_w
     * even, every channel one even run of fast channels, none past n_safe: pass2_all below) keeps
     * its passes of two: there pass2 with its arguments set once per call beats pass3
     * (conv3x3_32x32x16to16: 1.55 against 1.58 est. cycles per MAC). */
    if (x.s.np == 3 && np_shape == 2 && !x.s.staged && a->k_h > 1 && a->dil_w == 1 && !(a->out_w & 1) &&
        x.n_safe == out_c && n_runs == 1 && runs[0].c0 == 0 && run_end(&runs[0]) == out_c && !(out_c & 1) &&
        !(runs[0].flags & RUN_LEFT))
        x.s.np = 2;
    int32_t n_fast = x.s.np > 1 && x.n_safe < out_c ? out_c : 0;
    int tail_form = FORM_ZP, tail_left = 0;
    for (int32_t c = x.n_safe; c < n_fast; c++) {
        const int f = channel_form(&x, c, bias_room, x.s.np);
        if (f == FORM_GENERAL) n_fast = 0;
        if (f == FORM_U) tail_form = FORM_U;
        if (f == FORM_L) tail_left = 1;
    }
    /* the tail from channel tail0: n_safe, or one channel earlier when that makes the run before
     * it even (pass2_fast computes channels in pairs, one alone at the cost of a pair) */
    int32_t tail0 = x.n_safe;
    fast_run *last = n_runs ? &runs[n_runs - 1] : NULL;
    if ((x.s.np == 2 || x.s.np == 3) && n_fast && last && run_end(last) == x.n_safe && (last->len & 1) &&
        (out_c - x.n_safe + 1) * x.s.k + over <= (int32_t)(TAIL_WORDS * 4)) {
        tail0--;
        if (last->form == FORM_U) tail_form = FORM_U;
        last->len--;
        last->flags &= (uint8_t)~RUN_PAIRED;
        if (!last->len) n_runs--;
    }
    /* three-pixel passes: every fast channel of [0, list_lim) in one call (three_pass), the list in
     * the runs' place (from here the runs are not read: three_pass also takes the last passes of two) */
    uint8_t *const three = runs_or_list.three;
    int32_t n_gaps = 0;
    const int32_t list_lim = n_fast ? tail0 : x.n_safe;
    const int32_t n_pairs = three_listable(&x.s, x.n_safe) ? three_list(&x, list_lim, bias_room, three, &n_gaps) : 0;
    /* (no list, when three_list wrote in the runs' place: every channel below tail0 in pass_general) */
    if (three_listable(&x.s, x.n_safe) && !n_pairs) n_runs = 0;
    uint32_t tail_buf[TAIL_WORDS];
    if (n_fast) {
        const int32_t bytes = (out_c - tail0) * x.s.k;
        if (bytes + over <= (int32_t)sizeof tail_buf) {
            memset(tail_buf, 0, sizeof tail_buf);
            memcpy(tail_buf, (const int8_t *)a->weights + (ptrdiff_t)tail0 * x.s.k, (size_t)bytes);
        } else {
            n_fast = 0;
        }
    }
    x.staging = x.s.staged ? (int8_t *)scratch + cols_bytes(&x.s, x.s.np) : NULL;
    pass2_args pa;
    pa.cols = x.cols;
    pa.groups = x.s.groups - 1;
    pa.zz = 2 * a->out_zp + 1;
    pa.out_c = out_c;
    pass4_args p4;
    p4.cols = x.cols;
    p4.groups = x.s.groups;
    p4.zz = pa.zz;
    p4.out_c = out_c;
    p4.back = over;
    pass8_args p8;
    p8.cols = x.cols;
    p8.groups = x.s.groups;
    p8.zz = pa.zz;
    p8.out_c = out_c;
    p8.back = over;
    const int32_t *bias = (const int32_t *)a->bias;
    const int clamp = a->act_min != -128 || a->act_max != 127;
    /* Two-pixel passes whose channels are all one even run of fast channels (e.g. ResNet-8's 3x3
     * layers): pa prepared once here, a pass then sets its output and end group and calls the
     * assembly (about 120 estimated cycles less per pass than fast_channels() in the run loop). */
    void (*const pass2_all)(const pass2_args *) =
        x.s.np == 2 && !x.s.chunk && n_runs == 1 && !n_fast && runs[0].c0 == 0 && run_end(&runs[0]) == out_c &&
                run_computed(&runs[0]) == out_c && !(out_c & 1) && !(runs[0].flags & RUN_LEFT)
            ? pass2_fast
            : NULL;
    if (pass2_all) {
        static const int32_t no_bias[2] = {0, 0};
        pa.bias = bias ? bias : no_bias;
        pa.bias_step = bias ? 4 : 0;
        pa.mult = a->multiplier;
        pa.shift = a->shift;
        pa.w = (const int8_t *)a->weights;
        pa.k = x.s.k;
        pa.pair_step = 4;
        pa.n_ch = out_c;
    }

    if (x.staging) memcpy(x.staging + x.s.k, &x.zp_bytes, 4);
    /* The chunked path gathers a pixel's inputs again for every block of channels: an output over
     * the input (an in-place pointwise layer's one call) runs one pixel's whole column a pass
     * instead (its least scratch holds one, see nnom_conv2d_s8_scratch_bytes), every channel in
     * pass_general: slow, but each pass reads its inputs before it writes (kernels/conv.h). */
    const int aliased = (uintptr_t)in < (uintptr_t)(out + (ptrdiff_t)n_pix * out_c) && (uintptr_t)out < (uintptr_t)x.in_end;
    if (x.s.chunk > 0 && !aliased) {
        conv_chunked(&x, in, out, x.s.chunk);
        return;
    }
    x.s.chunk = 0;

    /* windows inside the input: ix0 in [0, ix_max], iy0 in [0, iy_max], and (when
     * staged, for the word copies) the last row's words inside the input tensor */
    x.row_groups = a->k_w * a->in_c / 4;
    x.run = a->k_w * a->in_c;
    x.words = (x.run + 3) >> 2;
    x.step = (ptrdiff_t)a->dil_h * a->in_w * a->in_c;
    const int32_t ix_max = a->dil_w == 1 ? a->in_w - a->k_w : -1;
    const int32_t iy_max = a->in_h - 1 - (a->k_h - 1) * a->dil_h;
    const ptrdiff_t at_limit = (x.in_end - in) - ((a->k_h - 1) * x.step + 4 * x.words);

    x.pix_step = a->stride_w * a->in_c;
    /* two-pixel passes of whole groups (taps contiguous): both pixels' patches together, in one
     * call of widen_pair_rows (windows inside the input) or im2col_pair_edge */
    const int pair_rows = x.s.np == 2 && !x.s.staged && a->k_h > 1 && a->dil_w == 1;
    /* 1x1, stride 1, no padding, in_c a multiple of 4: pixel p's patch is the 4-byte groups at in + p * in_c */
    const int contiguous = a->k_h == 1 && a->k_w == 1 && a->stride_h == 1 && a->stride_w == 1 && a->pad_top == 0 &&
                           a->pad_left == 0 && a->out_w == a->in_w && !x.s.staged;
    const int self_gather = NNOM_CONV_PASS3S && contiguous && n_pairs && !n_fast && list_lim == out_c &&
                            x.s.groups <= PASS3S_MAX_GROUPS && (!n_gaps || three_gaps_dead(&x, three, n_gaps));
    pass3_gather gather3 = {in, a->in_c, x.neg_zp};
    const int listed = n_pairs > 0;
    int32_t iy0 = -a->pad_top, ix0 = -a->pad_left, ox = 0;
    /* The last pixels, fewer than a pass: an eight-pixel shape takes a pass of four (in the
     * four-pixel layout) when at most four are left or the output overlaps the input; otherwise
     * (and fewer than a pass of four left), when the output does not overlap the input, a
     * whole pass again over the last np pixels (those computed before get the same bytes
     * again), else pass_general on them. (DS-CNN's 125 pixels: one pass of eight over the last
     * eight instead of two of four, 1.67 -> 1.66 est. cycles per MAC.) */
    const int redo = apart;
    /* A four-pixel shape whose patch could take eight (the scratch given holds four pixels'
     * columns only), the output not overlapping the input: while the eight pixels after a pass
     * exist, their output bytes, not yet computed, hold the pass's eight columns (word-aligned
     * within them), when they are enough (out_c about twice the patch or more, e.g. 8 -> 16). */
    uint32_t *const scratch_cols = x.cols;
    const uint32_t cols8 = cols_bytes(&x.s, 8);
    const int out_cols = x.s.np == 4 && x.s.k <= EIGHT_MAX_K && redo && (uint32_t)out_c * 8u >= cols8;
    if (pass2_all && pair_rows && !(a->out_w & 1)) {
        /* every pass two pixels of one output row, all channels in one call of the assembly (the
         * runs' place, read no more, for a table of constants) */
        pair_layer(&x, &pa, runs_or_list.pair_table, sizeof runs_or_list.pair_table, scratch, scratch_bytes, in, out,
                   ix_max, iy_max, clamp, redo);
        return;
    }
    int32_t pix0 = 0;
#if NNOM_CONV_PASS3S
    /* a self-gathered pointwise layer of at most PASS3R_MAX_PAIRS pairs (or more, in turns, when
     * the output does not overlap the input): its whole passes of three (those the loop below would
     * run) from records of the pairs made once (three_rec_passes; a layer of the common form apart
     * from its input ran them all above, three_rec_layer) */
    if (self_gather && (n_pairs <= PASS3R_MAX_PAIRS || redo) && x.s.groups <= PASS3R_MAX_GROUPS) {
        const int32_t passes = n_pix / 3 - (n_pix % 3 == 1 && !redo);
        if (passes > 0) {
            three_rec_passes(&x, three, n_pairs, n_gaps, in, out, passes, 0, clamp);
            pix0 = 3 * passes;
            ox = pix0 % a->out_w;
            iy0 = pix0 / a->out_w * a->stride_h - a->pad_top;
            ix0 = ox * a->stride_w - a->pad_left;
        }
    }
#endif
    for (int32_t pix = pix0, np; pix < n_pix; pix += np) {
        np = x.s.np == 8 && n_pix - pix < 8 && !(redo && n_pix >= 8 && n_pix - pix > 4) ? 4 : x.s.np;
        /* a three-pixel shape's last 2 or (not redone) 4 pixels: passes of two (pass2), in the
         * two-pixel layout; a last one alone in pass_general */
        if (np == 3) {
            if (n_pix - pix == 2 || (n_pix - pix == 4 && !redo)) np = 2;
            pa.groups = np == 3 ? x.s.groups : x.s.groups - 1;
        }
        x.cols = scratch_cols;
        if (out_cols && n_pix - pix >= 16) {
            const uintptr_t lo = ((uintptr_t)(out + (ptrdiff_t)(pix + 8) * out_c) + 3u) & ~(uintptr_t)3u;
            if (lo + cols8 <= (uintptr_t)(out + (ptrdiff_t)(pix + 16) * out_c)) {
                np = 8;
                x.cols = (uint32_t *)lo;
            }
        }
        p8.cols = x.cols;
        if (n_pix - pix < np && redo && n_pix >= np) {
            pix = n_pix - np;
            ox = pix % a->out_w;
            iy0 = pix / a->out_w * a->stride_h - a->pad_top;
            ix0 = ox * a->stride_w - a->pad_left;
        }
        x.later = pix > 0; /* (passes run in order from pixel 0) */
        x.stride = 2 * np;
        const int32_t n = n_pix - pix < np ? n_pix - pix : np;
        int32_t gather = n;
        /* a three-pixel pass of a pointwise layer whose every channel below list_lim is listed, nothing
         * else reading the columns: pass3_stack widens the inputs itself */
        const pass3_gather *g3 = NULL;
        if (self_gather && np == 3 && n == np) {
            gather3.in = in + (ptrdiff_t)pix * a->in_c;
            g3 = &gather3;
            for (ox += n; ox >= a->out_w; ox -= a->out_w) iy0 += a->stride_h;
            ix0 = ox * a->stride_w - a->pad_left;
            gather = 0;
        } else if (contiguous && n == np) {
            /* a pointwise layer's pixels are consecutive runs of the input: the pass's patches in one
             * call, the position kept up without a division */
            im2col_inside(&x, in + (ptrdiff_t)pix * a->in_c, x.cols, n);
            for (ox += n; ox >= a->out_w; ox -= a->out_w) iy0 += a->stride_h;
            ix0 = ox * a->stride_w - a->pad_left;
            gather = 0;
        }
        for (int32_t p = 0, cnt; p < gather; p += cnt) {
            uint32_t *dst = x.cols + 2 * p;
            const ptrdiff_t at = ((ptrdiff_t)iy0 * a->in_w + ix0) * a->in_c; /* the first tap */
            cnt = 1;
            if (pair_rows && p == 0 && n == 2 && ox + 1 < a->out_w) {
                /* both pixels of a two-pixel pass, on one output row */
                cnt = 2;
                if (ix0 >= 0 && ix0 + a->stride_w <= ix_max && iy0 >= 0 && iy0 <= iy_max)
                    widen_pair_rows(dst, in + at, x.pix_step, (int32_t)x.step - 4 * x.row_groups, a->k_h,
                                    x.row_groups, x.neg_zp);
                else
                    im2col_pair_edge(&x, in, iy0, ix0, dst);
            } else if (ix0 >= 0 && ix0 <= ix_max && iy0 >= 0 && iy0 <= iy_max && at <= at_limit) {
                /* this pixel and the next ones of the pass on this output row whose windows are
                 * inside (dividing only where a limit binds: near the end of a row or the input) */
                int32_t more = n - p - 1 < a->out_w - ox - 1 ? n - p - 1 : a->out_w - ox - 1;
                if (ix0 + more * a->stride_w > ix_max) more = (ix_max - ix0) / a->stride_w;
                if (at + (ptrdiff_t)more * x.pix_step > at_limit) more = (int32_t)((at_limit - at) / x.pix_step);
                cnt += more;
                im2col_inside(&x, in + at, dst, cnt);
            } else if (x.s.staged) {
                im2col_staged(&x, in, iy0, ix0, dst);
            } else {
                im2col_groups(&x, in, iy0, ix0, dst);
            }
            ix0 += cnt * a->stride_w;
            ox += cnt;
            if (ox == a->out_w) {
                ox = 0;
                ix0 = -a->pad_left;
                iy0 += a->stride_h;
            }
        }
        /* (a short last pass: the sums of the unused columns, stale data, are dropped) */
        int8_t *o = out + (ptrdiff_t)pix * out_c;
        if (n < np || (!n_runs && !n_fast)) {
            pass_general(&x, 0, out_c, n, o);
            continue;
        }
        if (pass2_all) { /* (np 2: the columns are at scratch_cols, which pa.cols holds) */
            uint32_t *end = x.cols + 4 * pa.groups;
            memcpy(pa.last, end, sizeof pa.last);
            end[0] = COLS_END;
            pa.out = o;
            pass2_all(&pa);
            end[0] = pa.last[0];
            if (clamp) clamp_pass(o, out_c, np, out_c, a->act_min, a->act_max);
            continue;
        }
        int32_t c0 = 0;
        if (listed) {
            three_pass(&x, &pa, o, three, n_pairs, n_gaps, list_lim, clamp, g3, np);
            c0 = list_lim;
        }
        /* the runs found above, then (when there were more than MAX_RUNS) the others, found now */
        fast_run more;
        for (int32_t r = 0; !listed && (r < n_runs || (n_runs == MAX_RUNS &&
                                           next_run(&x, c0, n_fast ? tail0 : x.n_safe, bias_room, x.s.np, x.n_safe, &more)));
             r++) {
            const fast_run *run = r < n_runs ? &runs[r] : &more;
            const int32_t r0 = run->c0, r1 = run_end(run);
            if (np != 8 && (run->flags & RUN_LEFT)) { /* (FORM_L: pass8 only) */
                pass_general(&x, c0, r1, n, o);
                c0 = r1;
                continue;
            }
            if (c0 < r0) pass_general(&x, c0, r0, n, o);
            fast_channels(&pa, np == 4 ? &p4 : NULL, np == 8 ? &p8 : NULL, np == 3, run->form, bias ? bias + r0 : NULL,
                          a->multiplier + r0, a->shift + r0, (const int8_t *)a->weights + (ptrdiff_t)r0 * x.s.k,
                          x.s.k, o + r0, run_computed(run));
            if (clamp) clamp_pass(o + r0, r1 - r0, np, out_c, a->act_min, a->act_max);
            c0 = r1;
        }
        if (n_fast && (np == 8 || !tail_left)) {
            if (c0 < tail0) pass_general(&x, c0, tail0, n, o);
            fast_channels(&pa, np == 4 ? &p4 : NULL, np == 8 ? &p8 : NULL, np == 3, tail_form, bias ? bias + tail0 : NULL,
                          a->multiplier + tail0, a->shift + tail0, (const int8_t *)tail_buf, x.s.k, o + tail0,
                          out_c - tail0);
            if (clamp) clamp_pass(o + tail0, out_c - tail0, np, out_c, a->act_min, a->act_max);
            c0 = out_c;
        }
        if (c0 < out_c) pass_general(&x, c0, out_c, n, o);
    }
}

#else
typedef int nnom_arm_conv_s8_unused; /* compiled on its own: empty (see above) */
#endif
