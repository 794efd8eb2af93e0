/*
 * Planes five outputs wide of a 3x3 kernel at stride 1, padding 1 each side
 * (DS-CNN's 25 x 5), four channels at a time, for the group-plane path of the
 * Cortex-M DSP depthwise convolution (kernels/arm/depthwise_conv_s8.c, which
 * includes this file and calls pent4_layer() ahead of group_planes()).
 *
 * The image: the four channels' input rows as int16, interleaved by rows:
 * image row y (input row y - 1, rows 0 and h + 1 the input zero point) is
 * PENT4_ROW_BYTES, channel j's part of it PENT4_CH_BYTES from the row's start:
 * the three words Q0 = (a, b), Q1 = (c, d), Q2 = (e, junk) of the row's five
 * pixels a..e (no padding column: the taps in the padding columns are skipped,
 * see below). pent4_gather() writes it in one pass per row (5 loads, 4 PKH,
 * 12 SXTB16, 12 stores with immediate offsets in two runs: an estimated 42
 * cycles a row of four channels, where dw_gather5()'s four images took 52).
 *
 * A line (five outputs of one channel) per loop pass: per kernel row,
 * A = (w0, w1), B = (w2, w1) as the planar path packs them, and
 *   s0 += SMLADX(Q0, B)                     a w1 + b w2
 *   s1 += SMLAD(Q0, A) + SMLABB(Q1, B)      a w0 + b w1 + c w2
 *   s2 += SMLATB(Q0, A) + SMLADX(Q1, B)     b w0 + c w1 + d w2
 *   s3 += SMLAD(Q1, A) + SMLABB(Q2, B)      c w0 + d w1 + e w2
 *   s4 += SMLATB(Q1, A) + SMLABT(Q2, A)     d w0 + e w1
 * nine multiplies for the 13 taps inside the plane (ten for 15 with the
 * padding columns in depthwise_hex3.h's lines of five). The sums s1..s3 start
 * from the channel's start value (dw_chan's init: scale (bias - in_zp sum w)),
 * s0 and s4 from it plus in_zp times the column of weights they skip (left,
 * right): the same sums as with the padding taps holding the zero point, so
 * the same outputs bit for bit, and within the same bounds (the start's bound
 * in channel_quant() counts every tap of the kernel). The rows above and below
 * the plane hold the zero point (the sums' start counts them).
 * Requantisation: the E forms of depthwise_quad3.h (the output zero point -128,
 * right shifts 1 to 14: a ReLU's output as the quantiser makes it, all of
 * DS-CNN's channels), two instructions an output into the sums' registers, then
 * five STRB from three pointers; from the first group with a channel in
 * another form on, the group-plane path's general images and lines of five
 * (depthwise_hex3.h) serve the layer.
 * Per line: 27 multiplies, 21 single loads in four runs (the starts, weights
 * and constants from the channel's block), 10 of requantisation, 5 stores and
 * 5 others, two lines a loop pass, a group's four channels in one call: an
 * estimated 74 Cortex-M4 cycles for 45 multiply-accumulates counted with the
 * padding taps (depthwise_hex3.h's lines of five: 91). Measured at -O2,
 * 25 x 5 x 64 (DS-CNN's layers): 2.77 -> 2.10 estimated cycles per
 * multiply-accumulate for the whole layer (1.93 -> 1.86 instructions), of which
 * the lines 1.64, the gather 0.23, the setup 0.17 (-Os: 2.10).
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_PENT4_H
#define NNOM_KERNELS_ARM_DEPTHWISE_PENT4_H

#include "kernels/arm/depthwise_chan.h"
#include "kernels/arm/depthwise_quad3.h"

#if NNOM_USE_ARM_DSP
#include <stddef.h>
#include <stdint.h>

#include "kernels/conv.h"

enum {
    PENT4_OUT = 5,                         /* outputs per line, pixels per input row */
    PENT4_CH_WORDS = 3,                    /* words of a channel's part of an image row */
    PENT4_CHANNELS = 4,                    /* channels per image */
    PENT4_ROW_WORDS = PENT4_CH_WORDS * PENT4_CHANNELS,
    PENT4_CH_BYTES = PENT4_CH_WORDS * 4,   /* 12 */
    PENT4_ROW_BYTES = PENT4_ROW_WORDS * 4, /* 48 */
    PENT4_PAD_ROWS = 2,                    /* image rows of the zero point: above and below */
    PENT4_MAX_LINES = 34,                  /* tallest plane (the image: 1.7 KB of stack) */
    PENT4_BUF_WORDS = (PENT4_MAX_LINES + PENT4_PAD_ROWS) * PENT4_ROW_WORDS
};
#define PENT4_STR_(x) #x
#define PENT4_STR(x) PENT4_STR_(x)
#define PENT4_ROW_BYTES_S "48" /* PENT4_ROW_BYTES, for the assembler (checked below) */
typedef char nnom_pent4_row_ok[PENT4_ROW_BYTES == 48 && PENT4_CH_BYTES == 12 ? 1 : -1];

/* What pent4_gather() reads (offsets used by its assembly). */
typedef struct {
    const int8_t *s;  /*  0: channel c0 of the first input row's pixel a */
    int32_t cs, cs3;  /*  4,  8: bytes between pixels, three times that (the row: 5 cs bytes) */
    uint32_t *d;      /* 12: the first image row to write */
    uint32_t *end;    /* 16: d after the last */
} pent4_gather_args;
typedef char nnom_pent4_gather_ok[offsetof(pent4_gather_args, d) == 12 && offsetof(pent4_gather_args, end) == 16 ? 1
                                                                                                           : -1];

/*
 * Input rows of five pixels of four channels into image rows (r1 the input, r2 = cs, r3 = 3 cs,
 * r4 the image row, r0 its end). Per row: pixels a..e (words of the four channels) by five
 * loads; PKHBT / PKHTB make (a0, a1, b0, b1), (a2, a3, b2, b3) and the same of c, d; SXTB16 at
 * rotations 0 and 8 gives each channel's (a, b) and (c, d); SXTB16 of e at rotations 0, 8, 16
 * and 24 channel j's (e_j, junk). Precondition: end = d + k PENT4_ROW_WORDS, k >= 1.
 */
__attribute__((naked, noinline)) static void pent4_gather(__attribute__((unused)) const pent4_gather_args *p)
{
    __asm__ volatile("push   {r4-r11, lr}\n\t"
                     "ldr    r1, [r0]\n\t"
                     "ldr    r2, [r0, #4]\n\t"
                     "ldr    r3, [r0, #8]\n\t"
                     "ldr    r4, [r0, #12]\n\t"
                     "ldr    r0, [r0, #16]\n"
                     "1:\n\t"
                     "ldr    r5, [r1]\n\t"
                     "ldr    r6, [r1, r2]\n\t"
                     "ldr    r7, [r1, r2, lsl #1]\n\t"
                     "ldr    r8, [r1, r3]\n\t"
                     "ldr    r9, [r1, r2, lsl #2]\n\t"
                     "pkhbt  r10, r5, r6, lsl #16\n\t" /* (a0, a1, b0, b1) */
                     "pkhtb  r6, r6, r5, asr #16\n\t"  /* (a2, a3, b2, b3) */
                     "pkhbt  r11, r7, r8, lsl #16\n\t" /* (c0, c1, d0, d1) */
                     "pkhtb  r8, r8, r7, asr #16\n\t"  /* (c2, c3, d2, d3) */
                     "sxtb16 r5, r10\n\t"
                     "sxtb16 r10, r10, ror #8\n\t"
                     "sxtb16 r7, r6\n\t"
                     "sxtb16 r6, r6, ror #8\n\t"
                     "sxtb16 r12, r11\n\t"
                     "sxtb16 r11, r11, ror #8\n\t"
                     "sxtb16 lr, r8\n\t"
                     "sxtb16 r8, r8, ror #8\n\t"
                     "str    r12, [r4, #4]\n\t"
                     "str    r10, [r4, #12]\n\t"
                     "str    r11, [r4, #16]\n\t"
                     "str    r7, [r4, #24]\n\t"
                     "str    lr, [r4, #28]\n\t"
                     "str    r6, [r4, #36]\n\t"
                     "str    r8, [r4, #40]\n\t"
                     "sxtb16 r6, r9\n\t"
                     "sxtb16 r7, r9, ror #8\n\t"
                     "sxtb16 r8, r9, ror #16\n\t"
                     "sxtb16 r9, r9, ror #24\n\t"
                     "str    r6, [r4, #8]\n\t"
                     "str    r7, [r4, #20]\n\t"
                     "str    r8, [r4, #32]\n\t"
                     "str    r9, [r4, #44]\n\t"
                     "str    r5, [r4], #" PENT4_ROW_BYTES_S "\n\t"
                     "add    r1, r1, r2, lsl #2\n\t"
                     "add    r1, r1, r2\n\t"
                     "cmp    r4, r0\n\t"
                     "bne    1b\n\t"
                     "pop    {r4-r11, pc}\n\t");
}

/* What the line loops read (offsets used by their assembly): one channel. */
typedef struct {
    int32_t init0, init, init4; /*  0,  4,  8: the start of s0, of s1..s3, of s4 */
    uint32_t w[6];              /* 12: A0 B0 A1 B1 A2 B2 */
    int32_t mult, c, e;         /* 36, 40, 44 */
    int32_t step;               /* 48: bytes between outputs */
    const uint32_t *end;        /* 52: img after the last line */
    const uint32_t *img;        /* 56: the channel's part of the first line's first image row */
    int8_t *o;                  /* 60: the first line's first output */
    int32_t more;               /* 64: whether the next channel's block follows (PENT4_ARGS_BYTES on) */
} pent4_args;
#define PENT4_ARGS_BYTES "68" /* sizeof (pent4_args), for the assembler (checked below) */
typedef char nnom_pent4_args_ok[offsetof(pent4_args, w) == 12 && offsetof(pent4_args, mult) == 36 &&
                                        offsetof(pent4_args, e) == 44 && offsetof(pent4_args, step) == 48 &&
                                        offsetof(pent4_args, end) == 52 && offsetof(pent4_args, img) == 56 &&
                                        offsetof(pent4_args, o) == 60 && offsetof(pent4_args, more) == 64 &&
                                        sizeof(pent4_args) == 68
                                    ? 1
                                    : -1];

/* Kernel row R (image bytes OFF from the line's first row, weights at W): A, B, Q0..Q2 by five
 * single loads (one run), nine multiplies. */
#define PENT4_ROW(OFF, W)                          \
    "ldr    r10, [r0, #" W "]\n\t"                  \
    "ldr    r11, [r0, #" W "+4]\n\t"                \
    "ldr    r12, [r1, #" OFF "]\n\t"                \
    "ldr    lr, [r1, #" OFF "+4]\n\t"               \
    "ldr    r9, [r1, #" OFF "+8]\n\t"               \
    "smladx r4, r12, r11, r4\n\t"                   \
    "smlad  r5, r12, r10, r5\n\t"                   \
    "smlabb r5, lr, r11, r5\n\t"                    \
    "smlatb r6, r12, r10, r6\n\t"                   \
    "smladx r6, lr, r11, r6\n\t"                    \
    "smlad  r7, lr, r10, r7\n\t"                    \
    "smlabb r7, r9, r11, r7\n\t"                    \
    "smlatb r8, lr, r10, r8\n\t"                    \
    "smlabt r8, r9, r10, r8\n\t"
/* The first kernel row: the three starts into r4, r5, r8 in the run of loads, r1 moved on to the
 * next line by the last load, s2 and s3 from s1's start before s1 moves. */
#define PENT4_FIRST                                \
    "ldr    r4, [r0]\n\t"                           \
    "ldr    r5, [r0, #4]\n\t"                       \
    "ldr    r8, [r0, #8]\n\t"                       \
    "ldr    r10, [r0, #12]\n\t"                     \
    "ldr    r11, [r0, #16]\n\t"                     \
    "ldr    lr, [r1, #4]\n\t"                       \
    "ldr    r9, [r1, #8]\n\t"                       \
    "ldr    r12, [r1], #" PENT4_ROW_BYTES_S "\n\t"  \
    "smladx r4, r12, r11, r4\n\t"                   \
    "smlatb r6, r12, r10, r5\n\t"                   \
    "smlad  r7, lr, r10, r5\n\t"                    \
    "smlad  r5, r12, r10, r5\n\t"                   \
    "smlabb r5, lr, r11, r5\n\t"                    \
    "smladx r6, lr, r11, r6\n\t"                    \
    "smlabb r7, r9, r11, r7\n\t"                    \
    "smlatb r8, lr, r10, r8\n\t"                    \
    "smlabt r8, r9, r10, r8\n\t"
/* The constants of the E forms: r10 = mult, r11 = c', lr = step. */
#define PENT4_CONST                                \
    "ldr    r10, [r0, #36]\n\t"                     \
    "ldr    r11, [r0, #40]\n\t"                     \
    "ldr    lr, [r0, #48]\n\t"
/* The E forms of depthwise_quad3.h into S itself (r9 the scratch; r10, r11 = mult, c'). */
#define PENT4_OUTD_E(S, E)                         \
    "smmla  r9, " S ", r10, r11\n\t"                \
    "ssat   " S ", #8, r9, asr #" QUAD3_STR(E) "\n\t"
#define PENT4_OUTD_E_LO(S) PENT4_OUTD_E(S, QUAD3_E_LO_IMM)
#define PENT4_OUTD_E_MID(S) PENT4_OUTD_E(S, QUAD3_E_MID_IMM)

/*
 * One of a channel's lines from p->img to p->end (PENT4_ROW_BYTES a line), outputs from p->o
 * (output j at o + j step, the next line 5 steps further). Registers: r0 the arguments, r1 the
 * image, r2 the output, r3 the end, r4-r8 the sums, r9-r12 and lr the weights and inputs, then
 * the constants and the step (r9 the requantisation's scratch); the five outputs stored from
 * three pointers, o, o + 2 step (r9), o + 4 step (r12), those at immediate offsets first
 * (pipelined).
 * Precondition: end = img + k lines, k >= 1.
 */
#define PENT4_LINE(CONST, OUTD)                                                       \
    PENT4_FIRST PENT4_ROW("0", "20") PENT4_ROW(PENT4_ROW_BYTES_S, "28") CONST          \
    OUTD("r4") OUTD("r5") OUTD("r6") OUTD("r7") OUTD("r8")                            \
    "add    r9, r2, lr, lsl #1\n\t"                                                   \
    "add    r12, r9, lr, lsl #1\n\t"                                                  \
    "strb   r4, [r2]\n\t"                                                             \
    "strb   r6, [r9]\n\t"                                                             \
    "strb   r8, [r12]\n\t"                                                            \
    "strb   r5, [r2, lr]\n\t"                                                         \
    "strb   r7, [r9, lr]\n\t"                                                         \
    "add    r2, r12, lr\n\t"
/* One E form's lines of a channel (labels L1, L2), two lines a pass, entered at the second for
 * an odd number of lines (r9 = 48 lines: bit 4 the number's lowest bit): the loop's test and
 * taken branch once per two lines (2 cycles a line fewer than one a pass, 240 bytes more). */
#define PENT4_LINES(L, OUTD)                                                          \
    "tst    r9, #16\n\t"                                                              \
    "bne    " L "2f\n"                                                                 \
    L "1:\n\t" PENT4_LINE(PENT4_CONST, OUTD)                                           \
    L "2:\n\t" PENT4_LINE(PENT4_CONST, OUTD)                                           \
    "cmp    r1, r3\n\t"                                                               \
    "bne    " L "1b\n\t"
typedef char nnom_pent4_odd_bit_ok[PENT4_ROW_BYTES == 3 * 16 ? 1 : -1];
/* The blocks from b, while `more`: each channel's lines in its E form (E_LO when its E is
 * QUAD3_E_LO, else E_MID), one call for a group (no call, push and pop per channel). */
__attribute__((naked, noinline)) static void pent4_lines(__attribute__((unused)) const pent4_args *b)
{
    __asm__ volatile("push   {r4-r11, lr}\n"
                     "0:\n\t"
                     "ldr    r1, [r0, #56]\n\t"
                     "ldr    r2, [r0, #60]\n\t"
                     "ldr    r3, [r0, #52]\n\t"
                     "ldr    r12, [r0, #44]\n\t"
                     "sub    r9, r3, r1\n\t"
                     "cmp    r12, #" PENT4_STR(QUAD3_E_LO_IMM) "\n\t"
                     "beq    4f\n\t"
                     PENT4_LINES("5", PENT4_OUTD_E_MID)
                     "b      9f\n"
                     "4:\n\t" PENT4_LINES("4", PENT4_OUTD_E_LO)
                     "9:\n\t"
                     "ldr    r9, [r0, #64]\n\t"
                     "add    r0, r0, #" PENT4_ARGS_BYTES "\n\t"
                     "cmp    r9, #0\n\t"
                     "bne    0b\n\t"
                     "pop    {r4-r11, pc}\n\t");
}

enum { PENT4_ARGS_WORDS = (int)(sizeof(pent4_args) / sizeof(uint32_t)) };
typedef char nnom_pent4_args_words_ok[sizeof(pent4_args) % sizeof(uint32_t) == 0 ? 1 : -1];

/* Whether pent4_group() serves layer a (depth multiplier 1): 3x3 stride 1 without dilation, no
 * clamp beyond int8, five columns with one of padding each side, one row of padding above and
 * below (in_h = out_h), and four channels' image rows within `buf_words` words. */
static inline int pent4_fits(const nnom_conv_args *a, int32_t buf_words)
{
    return a->out_w == PENT4_OUT && a->in_w == PENT4_OUT && a->k_h == 3 && a->k_w == 3 && a->stride_h == 1 &&
           a->stride_w == 1 && a->dil_h == 1 && a->dil_w == 1 && a->act_min == -128 && a->act_max == 127 &&
           a->pad_left == 1 && a->pad_top == 1 && a->in_h == a->out_h && a->out_h >= 1 &&
           (a->out_h + PENT4_PAD_ROWS) * PENT4_ROW_WORDS <= buf_words;
}


/* The E forms of channel_quant() (depthwise_chan.h) for channels c0 .. c0 + 3 at once, where all
 * four take them (the output zero point -128, right shifts e in [1, QUAD3_E_MID - 1], starts within
 * the bounds of channel_quant()'s DW_E: DS-CNN's layers): the weights times 2^(1 + k) packed by
 * group_pack3() into the blocks b, the starts, multiplier, c' and E into each block; whether it
 * did (if not, the blocks' weights are to be packed again). The same choice
 * and constants as channel_quant() with DW_ALLOW_E, without its other forms' tests and without
 * scale_guess() calls. */
static inline __attribute__((always_inline)) int pent4_setup_e(const dw_geom *g, int32_t c0,
                                                               pent4_args b[PENT4_CHANNELS])
{
    const nnom_conv_args *a = &g->a;
    if (a->out_zp != -128) return 0;
    int32_t k[PENT4_CHANNELS], sums[PENT4_CHANNELS];
    for (int32_t j = 0; j < PENT4_CHANNELS; j++) {
        const int32_t e = -a->shift[c0 + j];
        if (e < 1 || e >= QUAD3_E_MID) return 0;
        const int32_t big_e = e < QUAD3_E_LO ? QUAD3_E_LO : QUAD3_E_MID;
        k[j] = big_e - e;
        b[j].e = big_e;
    }
    group_pack3(g, c0, b[0].w, PENT4_ARGS_WORDS, 0, pack2(2 << k[0], 2 << k[2]), pack2(2 << k[1], 2 << k[3]), sums);
    const int32_t taps_room = a->k_h * a->k_w * 16384, bias_room = 1 << 30;
    for (int32_t j = 0; j < PENT4_CHANNELS; j++) {
        const int32_t bias = a->bias ? ((const int32_t *)a->bias)[c0 + j] : 0;
        if (bias > bias_room || bias < -bias_room) return 0;
        const int32_t start = bias - a->in_zp * sums[j], mag = start < 0 ? -start : start;
        if (mag >= (1 << (30 - k[j])) - taps_room) return 0;
        const int32_t init = (2 << k[j]) * start;
        /* s0's and s4's starts: plus in_zp times the left, the right column of scaled weights (A's,
         * B's low halves) */
        const uint32_t *const w = b[j].w, zp = (uint32_t)a->in_zp;
        b[j].init = init;
        b[j].init0 = __smlabb(w[4], zp, __smlabb(w[2], zp, __smlabb(w[0], zp, init)));
        b[j].init4 = __smlabb(w[5], zp, __smlabb(w[3], zp, __smlabb(w[1], zp, init)));
        b[j].mult = a->multiplier[c0 + j];
        b[j].c = (int32_t)((uint32_t)nnom_arm_requant_zp_const(b[j].e, a->out_zp) + (1u << (k[j] - 1)));
    }
    return 1;
}

/* Channels c0 .. c0 + 3 of walk g (not transposed; pent4_fits()) where all four take the E forms
 * (pent4_setup_e(): their constants and packed weights straight into the line loops' blocks):
 * their input from `in` (channel c0 of pixel (0, 0)) gathered into the image at buf (word
 * aligned), then each channel's lines, outputs from `out` (channel c0 of output pixel (0, 0)).
 * The rows of padding (the image's first and last) written unless pad_done (an earlier call
 * left them in buf). Reads every input of the four channels before it writes an output. Whether
 * it did (if not, nothing written). */
static inline int pent4_group(const dw_geom *g, int32_t c0, const int8_t *in, int8_t *out, uint32_t *buf,
                              int pad_done)
{
    const nnom_conv_args *a = &g->a;
    const int32_t h = a->out_h, zp = a->in_zp;
    uint32_t *const last = buf + (h + 1) * PENT4_ROW_WORDS;
    pent4_args b[PENT4_CHANNELS];
    if (!pent4_setup_e(g, c0, b)) return 0;
    const uint32_t zpp = (uint32_t)(uint16_t)zp * 0x00010001u;
    if (!pad_done)
        for (int32_t i = 0; i < PENT4_ROW_WORDS; i++) buf[i] = last[i] = zpp;
    pent4_gather_args ga;
    ga.s = in;
    ga.cs = a->in_c;
    ga.cs3 = 3 * a->in_c;
    ga.d = buf + PENT4_ROW_WORDS;
    ga.end = last;
    pent4_gather(&ga);
    const int32_t step = a->out_c;
    for (int32_t j = 0; j < PENT4_CHANNELS; j++) {
        pent4_args *const p = &b[j];
        p->step = step;
        p->img = buf + j * PENT4_CH_WORDS;
        p->end = p->img + h * PENT4_ROW_WORDS;
        p->o = out + j;
        p->more = j < PENT4_CHANNELS - 1;
    }
    pent4_lines(b);
    return 1;
}

/* Channels [0, n4) (n4 a multiple of 4) of layer a (pent4_fits(a, PENT4_BUF_WORDS); walk g, as
 * gp_wins() makes it), a group of four at a time while the groups take the E forms
 * (pent4_group()); the first channel not done (n4 when all were: the group-plane path does the
 * rest). Each group reads its own channels before it writes them: the output may overwrite the
 * input. (Its own frame, the image's, not nested in group_planes()'s.) */
__attribute__((noinline)) static int32_t pent4_layer(const dw_geom *g, const int8_t *in, int8_t *out, int32_t n4)
{
    uint32_t buf[PENT4_BUF_WORDS];
    for (int32_t c0 = 0; c0 < n4; c0 += PENT4_CHANNELS)
        if (!pent4_group(g, c0, in + c0, out + c0, buf, c0 > 0)) return c0;
    return n4;
}

#endif /* NNOM_USE_ARM_DSP */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_PENT4_H */
