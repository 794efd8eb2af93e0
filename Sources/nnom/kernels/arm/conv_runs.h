/*
 * Runs of consecutive channels of a fast requantisation form (conv_channels.h), found once per call of
 * the Cortex-M DSP convolution: the passes compute a run's channels together. Part of
 * kernels/arm/conv_s8.c (included there after conv_channels.h).
 */
#ifndef NNOM_KERNELS_ARM_CONV_RUNS_H
#define NNOM_KERNELS_ARM_CONV_RUNS_H

#include <stdint.h>

#include "kernels/conv.h"
#include "kernels/arm/conv_channels.h"

/* Runs of consecutive fast channels found once per call (further ones: found again at every
 * pass). A pointwise layer with many dead channels has a run between every two of them (about 30
 * in 128 channels at 60 % dead): finding them at every pass cost 10-12 % of its cycles. */
#define MAX_RUNS 48
/* The longest run: longer ones are split. */
#define RUN_MAX_LEN 0xFFFF

/* (8 bytes: MAX_RUNS of them live on the stack) */
typedef struct {
    int32_t c0;    /* channels [c0, c0 + len) */
    uint16_t len;
    uint8_t form;  /* FORM_ZP or FORM_U */
    uint8_t flags; /* RUN_LEFT, RUN_PAIRED */
} fast_run;
/* fast_run.flags: some channels of form FORM_L (the run is fast in eight-pixel passes only) */
#define RUN_LEFT 1u
/* fast_run.flags: pass2_fast also computes the channel after the run, making pairs (pass_general
 * computes it again after the run) */
#define RUN_PAIRED 2u

static inline int32_t run_end(const fast_run *r) { return r->c0 + r->len; }
/* Channels pass2_fast computes from c0. */
static inline int32_t run_computed(const fast_run *r) { return r->len + ((r->flags & RUN_PAIRED) != 0); }

/* The next run of fast channels from channel c, below `limit`, into *r (with np pixels per pass:
 * two or three, its channel count made even by the channel after it when that is below n_safe); 0 when
 * there is none. */
static int next_run(const conv_ctx *x, int32_t c, int32_t limit, int32_t bias_room, int32_t np, int32_t n_safe,
                    fast_run *r)
{
    int f = FORM_GENERAL;
    while (c < limit && (f = channel_form(x, c, bias_room, np)) == FORM_GENERAL) c++;
    if (c >= limit) return 0;
    /* a run of fast channels takes the form of nnom_arm_requant() as soon as one needs it */
    r->c0 = c;
    r->form = FORM_ZP;
    r->flags = 0;
    do {
        if (f == FORM_U) r->form = FORM_U;
        if (f == FORM_L) r->flags |= RUN_LEFT;
    } while (++c < limit && c - r->c0 < RUN_MAX_LEN && (f = channel_form(x, c, bias_room, np)) != FORM_GENERAL);
    r->len = (uint16_t)(c - r->c0);
    if ((np == 2 || np == 3) && (r->len & 1) && c < n_safe) r->flags |= RUN_PAIRED;
    return 1;
}

/* Whether every channel of [0, n) takes form_common() (conv_channels.h), and then in *u whether one has
 * a multiplier not above 2^30 (FORM_U). Each check sets a word's top bit when it fails (x = e - 1 in
 * [0, E - 1]: x | (E - 1 - x); b + room in [0, 2 room] likewise; m > 0: m | (m - 1); m <= 2^30: m - 2^30 - 1 < 0),
 * ORed over the channels without a branch: about 22 est. cycles a channel, next_run() about 30. (A bias
 * room <= 0 answers 0: next_run() decides.) */
__attribute__((noinline)) static int all_common(const nnom_conv_args *a, int32_t n, int32_t bias_room, int *u)
{
    static const int32_t no_bias = 0;
    const int32_t *bias = a->bias ? (const int32_t *)a->bias : &no_bias, *shift = a->shift, *mult = a->multiplier, bias_step = a->bias != NULL;
    const uint32_t room = (uint32_t)bias_room, room2 = 2u * room, e1 = NNOM_REQUANT32_MAX_E - 1, above = (1u << 30) + 1u;
    uint32_t bad = 0, low = 0;
    for (const int32_t *const end = shift + n; shift != end; shift++, mult++, bias += bias_step) {
        const uint32_t x = 0u - (uint32_t)*shift - 1u, m = (uint32_t)*mult, y = (uint32_t)*bias + room;
        bad |= x | (e1 - x) | y | (room2 - y) | m | (m - 1u);
        low |= m - above;
    }
    *u = (int)(low >> 31);
    return !(bad >> 31);
}

/* The runs of fast channels in [0, n_safe) with np pixels per pass, at most MAX_RUNS, into runs[];
 * returns their count. (Every channel of form_common(): one run, all_common() found it.) */
static int32_t find_runs(const conv_ctx *x, int32_t np, int32_t n_safe, int32_t bias_room, fast_run *runs)
{
    int u;
    if (np > 1 && n_safe > 0 && n_safe <= RUN_MAX_LEN && all_common(x->a, n_safe, bias_room, &u)) {
        runs[0] = (fast_run){0, (uint16_t)n_safe, (uint8_t)(u ? FORM_U : FORM_ZP), 0};
        return 1;
    }
    int32_t n = 0;
    for (int32_t c = 0; np > 1 && n < MAX_RUNS && next_run(x, c, n_safe, bias_room, np, n_safe, &runs[n]);)
        c = run_end(&runs[n++]);
    return n;
}

/* Whether the runs are too short for pass3 called once per run (layers the list of pairs does not
 * take, three_listable: more than PASS3_LIST_CHANNELS channels): fewer than `least` channels a run
 * on average (each run costs pass3 a call per pass and an odd run a whole pair for its last
 * channel), or more runs than runs[] keeps. In place of pass8 THREE_RUN_MIN (with one dead channel in eight,
 * pw_12x12_64to128_mixed took 1.59 est. cycles per MAC in pass3 against 1.47 in pass8), of pass2
 * THREE_RUN_MIN_PAIRED (pw_6x6_128to128_mixed: 1.38 in pass3, 1.49 in pass2). */
enum { THREE_RUN_MIN = 16, THREE_RUN_MIN_PAIRED = 4, THREE_REDO_SHARE = 64 };
static int three_cut(const fast_run *runs, int32_t n_runs, int32_t least)
{
    int32_t channels = 0;
    for (int32_t r = 0; r < n_runs; r++) channels += runs[r].len;
    return n_runs == MAX_RUNS || channels < least * n_runs;
}

#endif
