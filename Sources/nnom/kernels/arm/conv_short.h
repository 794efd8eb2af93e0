/*
 * The Cortex-M DSP pointwise convolution of short patches: 1x1 kernels on 8
 * input channels (k = 8), as in MobileNetV1-0.25's first pointwise layer
 * (48x48x8 -> 16). Part of kernels/arm/conv_s8.c (included there), which
 * hands it the layers it takes (conv_short_takes); same results as the
 * portable kernel bit for bit. conv_short_takes also hands 1x1 layers at a
 * stride above 1 to conv_strided.h (included at the end of this file).
 *
 * What it takes: k_h = k_w = 1, in_c = SHORT_K, no padding, any stride, at
 * least two output pixels, out_c = 16 << n for n in [0, SHORT_MAX_LOG] (16
 * or 32: the stores' scaled register offset, below), an output that
 * does not overlap the input, and at least SHORT_MIN_SCRATCH bytes of scratch
 * (the layer's least is 64). Others fall through to the general kernel.
 *
 * Why a kernel of its own: with k = 8 an output is 8 multiply-accumulates
 * (4 SMLAD), for which the general passes (conv_pass.h's pass8) pay ~11
 * estimated cycles, and ~12 for the requantisation, the stores and a share of
 * the channel's set-up. Here a channel's weights stay in registers, with its
 * requantisation constants, for a whole block of pixels that stream past:
 *
 *  - Records: each pixel's 8 inputs widened once to int16 pairs minus the
 *    input zero point, 4 words (x0, x2) (x1, x3) (x4, x6) (x5, x7): 16 bytes
 *    a pixel, a block's records in a row (an even count), then the word
 *    SHORT_END (two lanes of -32768, which no x - zp in [-255, 255] gives),
 *    which ends the block in the assembly without a counter register. A block
 *    of the last pixel alone takes the pixel before it again (same bytes).
 *  - Where the records go: the output bytes of the pixels after the block
 *    (not computed yet; out_c >= 16 bytes a pixel, the records 16), so that a
 *    block covers about half (out_c 16) or more of the pixels left: 48x48 in
 *    9 blocks, a band of 2x48 in 4; the last pixels, once that room is
 *    smaller, in the scratch or, when that holds fewer than SHORT_TAIL, in a
 *    stack buffer of SHORT_TAIL records (804 bytes: a tiled stage's band of 2x48
 *    pixels in two blocks, 46 and 50, where 14 records took four, each block
 *    paying every channel's set-up again: 3.07 -> 2.73 est. cycles/MAC; in
 *    conv_short's own frame, not inlined, so that other layers' calls do not
 *    carry it; the MobileNet's peak stack, 5084 bytes, unchanged). No arena growth; stack:
 *    that buffer, the forms of the channels (16 bytes), a run's arguments.
 *  - short_run_* (assembly, a run of consecutive channels of one form per
 *    call, per block): per channel about 30 instructions of set-up (its
 *    weights loaded, SXTB16 and doubled with SADD16: 2 w in [-256, 254]; the
 *    constants), then r4-r7 the four weight pairs, r8 2 * bias, r9 the
 *    multiplier, r10 c, r11 e, r0 the records, r1 the stores' base; per pixel
 *    one LDM of its 4 words, 4 SMLAD (the first from 2 * bias: the sum is
 *    2 (dot + bias) directly, which saves the requantisation's LSL), SMMLAR,
 *    ADD, ASR, SSAT (nnom_arm_requant_zp of arm_dsp.h; nnom_arm_requant() one
 *    ADD more) and one STRB at base + (records pointer << n): the output of
 *    pixel p of channel c is out + c + p * out_c = base + ((records +
 *    16 (p + 1)) << n) with base = out + c - ((records + 16) << n) (mod 2^32),
 *    so that neither the output pointer's step nor a count takes a register;
 *    the end test (CMP, BEQ) once a pair, two pairs per loop pass (one built
 *    for size). About 16 estimated cycles per output (8 MACs).
 *
 * Measured (-O2, estimated Cortex-M4 cycles per MAC, the general kernel's in
 * brackets): pw_48x48_8to16 2.33 (3.42), with mixed multipliers 2.37 (3.46),
 * a band of 2x48 with the least scratch 2.73 (3.64); the MobileNet's 48x48x8
 * -> 16 layer, run in 24 bands of two rows, 2.64 (3.70).
 *
 * Requantisation per channel (short_form, once per call): multiplier above
 * 2^30, shift in [-22, -1] and |bias| <= 2^30 - 1 - 8 * 32640 (so
 * |dot + bias| < 2^30, 2 (dot + bias) fits in int32 and the doubled weights
 * give it exactly): nnom_arm_requant_zp(); a multiplier in [1, 2^30] with the
 * same bounds: nnom_arm_requant(); a shift s in [0, SHORT_L_MAX_SHIFT] with
 * |dot + bias| * 2^(s + 1) < 2^31: SMMULR(2^(s + 1) (dot + bias), m) + zp (conv_pass.h's
 * REQUANT_L_B); a dead channel (multiplier 0, or all-zero weights): its
 * constant, stored; others (e > 22, a negative multiplier, a large bias) in C
 * from the records with nnom_conv_quant_out() of conv.h. A narrower output
 * clamp than int8 is applied after the assembly, in C.
 */
#ifndef NNOM_KERNELS_ARM_CONV_SHORT_H
#define NNOM_KERNELS_ARM_CONV_SHORT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/arm/arm_dsp.h"

enum {
    SHORT_K = 8,             /* input channels (patch length) it takes */
    SHORT_RECORD = 16,       /* bytes of a pixel's widened inputs */
    SHORT_MIN_OUT_LOG = 4,   /* out_c = 2^(SHORT_MIN_OUT_LOG + n) */
    SHORT_MAX_LOG = 1,       /* the largest n (the stores' LSL #n): each n is three routines of
                                about 300 bytes (-O2; 210 at -Os), and 64 or 128 output channels on
                                8 inputs are rare */
    SHORT_MIN_SCRATCH = SHORT_RECORD + 4, /* one record and the end word */
    SHORT_L_MAX_SHIFT = 8,   /* the largest left shift of the form SHORT_L */
    SHORT_MAX_OUT = 1 << (SHORT_MIN_OUT_LOG + SHORT_MAX_LOG), /* the most output channels (32) */
    SHORT_TAIL = 50,         /* records of the stack buffer for the last pixels when the scratch holds fewer */
};

/* The word after a block's last record (a lane of x - zp is never -32768). */
#define SHORT_END 0x80008000u

/* How a channel is requantised (see the file comment). */
enum { SHORT_GENERAL, SHORT_ZP, SHORT_U, SHORT_L, SHORT_DEAD };

/* What a run of channels reads (offsets are used by the assembly): channel c (c < n_ch) of the run
 * has its weights at w + 8 c, its bias at bias + c (or none: bias_step 0 on a zero), its multiplier
 * and shift at mult + c, shift + c, and stores through base + c. */
typedef struct {
    const uint32_t *recs;  /*  0: the block's records, SHORT_END after them */
    int8_t *base;          /*  4: see the file comment */
    const int8_t *w;       /*  8 */
    const int32_t *bias;   /* 12 */
    int32_t bias_step;     /* 16: 4, or 0 without a bias */
    const int32_t *mult;   /* 20 */
    const int32_t *shift;  /* 24 */
    int32_t zz;            /* 28: 2 out_zp + 1 (shift < 0), or out_zp (SHORT_L) */
    int32_t n_ch;          /* 32 */
} short_args;

/* log2(out_c) - SHORT_MIN_OUT_LOG when out_c is 16 << n, n <= SHORT_MAX_LOG; else -1. */
static inline int32_t short_out_log(int32_t out_c)
{
    for (int32_t n = 0; n <= SHORT_MAX_LOG; n++)
        if (out_c == (1 << (SHORT_MIN_OUT_LOG + n))) return n;
    return -1;
}

/* Whether the short-patch kernel takes this convolution. */
static inline int short_takes(const nnom_conv_args *a, const int8_t *in, const int8_t *out, uint32_t scratch_bytes)
{
    if (a->k_h != 1 || a->k_w != 1 || a->in_c != SHORT_K || a->pad_top || a->pad_left) return 0;
    if (short_out_log(a->out_c) < 0 || scratch_bytes < SHORT_MIN_SCRATCH || a->out_h * a->out_w < 2) return 0;
    const uintptr_t i0 = (uintptr_t)in, i1 = i0 + (uintptr_t)a->in_h * a->in_w * a->in_c;
    const uintptr_t o0 = (uintptr_t)out, o1 = o0 + (uintptr_t)a->out_h * a->out_w * a->out_c;
    return o1 <= i0 || i1 <= o0;
}

/* One pixel of a channel: its record's four words (LDM), the end test, four SMLAD from 2 * bias
 * (r8) with the doubled weight pairs r4-r7, the requantisation RQ of r2 into r3, SSAT and the
 * store at r1 + (r0 << N). */
#define SHORT_END_TEST                                       \
    "cmp    r2, #0x80008000\n\t"                             \
    "beq    9f\n\t"
#define SHORT_PIXEL(N, RQ, TEST)                             \
    "ldm    r0!, {r2, r3, r12, lr}\n\t"                      \
    TEST                                                     \
    "smlad  r2, r2, r4, r8\n\t"                              \
    "smlad  r2, r3, r5, r2\n\t"                              \
    "smlad  r2, r12, r6, r2\n\t"                             \
    "smlad  r2, lr, r7, r2\n\t"                              \
    RQ                                                       \
    "ssat   r3, #8, r3\n\t"                                  \
    "strb   r3, [r1, r0, lsl #" #N "]\n\t"
/* r3 = the requantised r2 = 2 (dot + bias), before the clamp, with r9 the multiplier, r10 c,
 * r11 e: nnom_arm_requant_zp() */
#define SHORT_RQ_ZP                                          \
    "smmlar r3, r2, r9, r10\n\t"                             \
    "add    r3, r3, r2, asr #31\n\t"                         \
    "asr    r3, r3, r11\n\t"
/* nnom_arm_requant() + zp */
#define SHORT_RQ_U                                           \
    "smmulr r3, r2, r9\n\t"                                  \
    "add    r3, r3, r3, asr #31\n\t"                         \
    "add    r3, r3, r10\n\t"                                 \
    "asr    r3, r3, r11\n\t"
/* a shift s >= 0 (r11 = s, r10 = zp), when |dot + bias| * 2^(s + 1) < 2^31: SMMULR(2^s r2, m) + zp,
 * as conv_pass.h's REQUANT_L_B */
#define SHORT_RQ_L                                           \
    "lsl    r3, r2, r11\n\t"                                 \
    "smmulr r3, r3, r9\n\t"                                  \
    "add    r3, r3, r10\n\t"
/* e = -shift and c = (2 zp + 1) << (e - 1) from r11 = shift, r10 = 2 zp + 1 (the right shifts) */
#define SHORT_PREP_E                                         \
    "mvn    r0, r11\n\t"                                     \
    "lsl    r10, r10, r0\n\t"                                \
    "rsb    r11, r11, #0\n\t"
/* A block's pixels come in pairs (an even count), the end tested before each pair: two pairs per
 * loop pass (one built for size) */
#if NNOM_COMPACT_KERNELS
#define SHORT_PIXELS(N, RQ) SHORT_PIXEL(N, RQ, SHORT_END_TEST) SHORT_PIXEL(N, RQ, "")
#else
#define SHORT_PIXELS(N, RQ)                                                                              \
    SHORT_PIXEL(N, RQ, SHORT_END_TEST) SHORT_PIXEL(N, RQ, "") SHORT_PIXEL(N, RQ, SHORT_END_TEST) \
    SHORT_PIXEL(N, RQ, "")
#endif
/*
 * Channels [0, p->n_ch) of a block (short_args), one form: per channel about 30 instructions
 * (the weights widened and doubled, the constants), then its pixels two per loop pass until
 * SHORT_END. Stack: [sp] p, [sp, #4] the channel.
 */
#define SHORT_RUN(N, RQ, PREP)                               \
    __asm__ volatile("push   {r4-r11, lr}\n\t"               \
                     "movs   r1, #0\n\t"                     \
                     "push   {r0, r1}\n"                      \
                     "10:\n\t"                                \
                     "ldrd   r12, r3, [sp]\n\t"              \
                     "ldr    r0, [r12, #8]\n\t"              \
                     "add    r0, r0, r3, lsl #3\n\t"         \
                     "ldr    r4, [r0]\n\t"                   \
                     "ldr    r6, [r0, #4]\n\t"               \
                     "sxtb16 r5, r4, ror #8\n\t"             \
                     "sxtb16 r4, r4\n\t"                     \
                     "sxtb16 r7, r6, ror #8\n\t"             \
                     "sxtb16 r6, r6\n\t"                     \
                     "sadd16 r4, r4, r4\n\t"                 \
                     "sadd16 r5, r5, r5\n\t"                 \
                     "sadd16 r6, r6, r6\n\t"                 \
                     "sadd16 r7, r7, r7\n\t"                 \
                     "ldrd   r0, r1, [r12, #12]\n\t"         \
                     "mul    r1, r1, r3\n\t"                 \
                     "ldr    r8, [r0, r1]\n\t"               \
                     "lsl    r8, r8, #1\n\t"                 \
                     "ldrd   r0, r1, [r12, #20]\n\t"         \
                     "ldr    r9, [r0, r3, lsl #2]\n\t"       \
                     "ldr    r11, [r1, r3, lsl #2]\n\t"      \
                     "ldr    r10, [r12, #28]\n\t"            \
                     PREP                                    \
                     "ldrd   r0, r1, [r12]\n\t"              \
                     "add    r1, r1, r3\n"                    \
                     "1:\n\t"                                 \
                     SHORT_PIXELS(N, RQ)                     \
                     "b      1b\n"                            \
                     "9:\n\t"                                 \
                     "ldrd   r12, r3, [sp]\n\t"              \
                     "adds   r3, r3, #1\n\t"                 \
                     "str    r3, [sp, #4]\n\t"               \
                     "ldr    r2, [r12, #32]\n\t"             \
                     "cmp    r3, r2\n\t"                     \
                     "blt    10b\n\t"                        \
                     "add    sp, sp, #8\n\t"                 \
                     "pop    {r4-r11, pc}\n\t")

#define SHORT_ARG __attribute__((unused))
#define SHORT_FN(NAME, N, RQ, PREP)                                                         \
    __attribute__((naked, noinline)) static void NAME(SHORT_ARG const short_args *p)        \
    {                                                                                       \
        SHORT_RUN(N, RQ, PREP);                                                             \
    }
SHORT_FN(short_run_zp0, 0, SHORT_RQ_ZP, SHORT_PREP_E)
SHORT_FN(short_run_zp1, 1, SHORT_RQ_ZP, SHORT_PREP_E)
SHORT_FN(short_run_u0, 0, SHORT_RQ_U, SHORT_PREP_E)
SHORT_FN(short_run_u1, 1, SHORT_RQ_U, SHORT_PREP_E)
SHORT_FN(short_run_l0, 0, SHORT_RQ_L, "")
SHORT_FN(short_run_l1, 1, SHORT_RQ_L, "")

typedef void (*short_run_fn)(const short_args *);

/* The form of channel c (bias_room: the largest |bias| of the 32-bit forms with a right shift). */
static inline int short_form(const nnom_conv_args *a, int32_t c, int32_t bias_room)
{
    const int32_t m = a->multiplier[c], s = a->shift[c];
    const int32_t b = a->bias ? ((const int32_t *)a->bias)[c] : 0;
    const int8_t *w = (const int8_t *)a->weights + (ptrdiff_t)c * SHORT_K;
    if (m == 0 || (nnom_arm_load4(w) == 0 && nnom_arm_load4(w + 4) == 0)) return SHORT_DEAD;
    if (m < 0) return SHORT_GENERAL;
    if (s >= 0) {
        /* |dot| <= 2^30 - 1 - bias_room: |dot + bias| below 2^(30 - s) */
        const int32_t room = (int32_t)((1u << (30 - s)) - 1u - ((1u << 30) - 1u - (uint32_t)bias_room));
        return s <= SHORT_L_MAX_SHIFT && room > 0 && b <= room && b >= -room ? SHORT_L : SHORT_GENERAL;
    }
    if (s < -22 || b > bias_room || b < -bias_room) return SHORT_GENERAL;
    return m > (1 << 30) ? SHORT_ZP : SHORT_U;
}

/* The records of pixels [p0, p0 + count) at dst, then SHORT_END. */
static void short_widen(const nnom_conv_args *a, const int8_t *in, int32_t p0, int32_t count, uint32_t *dst)
{
    const uint32_t neg_zp = (uint32_t)(uint16_t)(int16_t)(-a->in_zp) * 0x00010001u;
    const ptrdiff_t row = (ptrdiff_t)a->stride_h * a->in_w * SHORT_K, col = (ptrdiff_t)a->stride_w * SHORT_K;
    int32_t oy = p0 / a->out_w, ox = p0 % a->out_w;
    const int8_t *src = in + oy * row + ox * col;
    for (; count > 0; count--, dst += 4) {
        const uint32_t lo = nnom_arm_load4(src), hi = nnom_arm_load4(src + 4);
        dst[0] = nnom_arm_widen_lo(neg_zp, lo);
        dst[1] = nnom_arm_widen_hi(neg_zp, lo);
        dst[2] = nnom_arm_widen_lo(neg_zp, hi);
        dst[3] = nnom_arm_widen_hi(neg_zp, hi);
        if (++ox == a->out_w) {
            ox = 0;
            src = in + ++oy * row;
        } else {
            src += col;
        }
    }
    dst[0] = SHORT_END;
}

/* Channel c of the block of `count` pixels whose records are at recs, outputs from o (pixel 0 of
 * the block, channel 0), in C: the general form (or the dead channel's constant). */
static void short_general(const nnom_conv_args *a, int32_t c, int form, const uint32_t *recs, int32_t count,
                          int8_t *o)
{
    const int32_t out_c = a->out_c;
    const nnom_conv_quant q = nnom_conv_quant_init(a->bias ? ((const int32_t *)a->bias)[c] : 0,
                                                   a->multiplier[c], a->shift[c]);
    o += c;
    if (form == SHORT_DEAD) { /* (multiplier 0: the same byte for any dot) */
        const int8_t v = nnom_conv_quant_out(q, 0, a->out_zp, a->act_min, a->act_max);
        for (; count > 0; count--, o += out_c) *o = v;
        return;
    }
    const int8_t *w = (const int8_t *)a->weights + (ptrdiff_t)c * SHORT_K;
    const uint32_t wa = nnom_arm_load4(w), wb = nnom_arm_load4(w + 4);
    const uint32_t w0 = nnom_arm_pairs_lo(wa), w1 = nnom_arm_pairs_hi(wa), w2 = nnom_arm_pairs_lo(wb),
                   w3 = nnom_arm_pairs_hi(wb);
    for (; count > 0; count--, recs += 4, o += out_c) {
        int32_t dot = __smlad(recs[0], w0, 0);
        dot = __smlad(recs[1], w1, dot);
        dot = __smlad(recs[2], w2, dot);
        dot = __smlad(recs[3], w3, dot);
        *o = nnom_conv_quant_out(q, dot, a->out_zp, a->act_min, a->act_max);
    }
}

#define SHORT_FORM_OF(forms, c) (((forms)[(c) >> 1] >> (4 * ((c) & 1))) & 15)

/* The int8 convolution of a layer short_takes() takes (not inlined: the stack buffer of
 * the last pixels is on the stack only while it runs, not in nnom_conv2d_s8's frame). */
__attribute__((noinline)) static void short_layer(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch, uint32_t scratch_bytes)
{
    static const short_run_fn runs_zp[SHORT_MAX_LOG + 1] = {short_run_zp0, short_run_zp1};
    static const short_run_fn runs_u[SHORT_MAX_LOG + 1] = {short_run_u0, short_run_u1};
    static const short_run_fn runs_l[SHORT_MAX_LOG + 1] = {short_run_l0, short_run_l1};
    const int32_t out_c = a->out_c, n_pix = a->out_h * a->out_w, n = short_out_log(out_c);
    const int32_t bias_room = (int32_t)((1 << 30) - 1 - SHORT_K * 32640);
    const int clamp = a->act_min != -128 || a->act_max != 127;
    /* the last pixels' block: in the scratch, or in a stack buffer when that holds more */
    uint32_t tail[SHORT_TAIL * SHORT_RECORD / 4 + 1];
    const int32_t in_scratch = (int32_t)((scratch_bytes - 4) / SHORT_RECORD);
    uint32_t *const last = in_scratch >= SHORT_TAIL ? (uint32_t *)scratch : tail;
    const int32_t in_last = in_scratch >= SHORT_TAIL ? in_scratch : SHORT_TAIL;
    int8_t *const out_end = out + (ptrdiff_t)n_pix * out_c;
    static const int32_t no_bias = 0;
    /* each channel's form (short_form), two a byte */
    uint8_t forms[SHORT_MAX_OUT / 2];
    memset(forms, 0, sizeof forms);
    for (int32_t c = 0; c < out_c; c++) forms[c >> 1] |= (uint8_t)(short_form(a, c, bias_room) << (4 * (c & 1)));
    for (int32_t p0 = 0, count; p0 < n_pix; p0 += count) {
        const int32_t left = n_pix - p0;
        /* the most pixels whose records (and the end word, from a word boundary) fit in the
         * output bytes of the pixels after them */
        int32_t fit = (int32_t)(((int64_t)left * out_c - 7) / (out_c + SHORT_RECORD));
        uint32_t *recs = last;
        for (; fit > in_last; fit--) {
            uint32_t *r = (uint32_t *)(((uintptr_t)(out + (ptrdiff_t)(p0 + fit) * out_c) + 3u) & ~(uintptr_t)3u);
            if ((int8_t *)(r + 4 * fit + 1) <= out_end) { /* (true at once, or after a step or two) */
                recs = r;
                break;
            }
        }
        if (fit <= in_last) fit = in_last;
        count = fit < left ? fit : left;
        /* an even count: one pixel fewer, or (the last pixel alone) the one before it again */
        const int32_t again = count == 1;
        count -= count & 1;
        short_widen(a, in, p0 - again, count + 2 * again, recs);
        int8_t *o = out + (ptrdiff_t)(p0 - again) * out_c;
        const int32_t n_recs = again ? 2 : count;
        if (again) count = 1;
        const uintptr_t base0 = (uintptr_t)o - (((uintptr_t)recs + SHORT_RECORD) << n);
        for (int32_t c = 0, c1; c < out_c; c = c1) {
            const int form = SHORT_FORM_OF(forms, c);
            c1 = c + 1;
            if (form == SHORT_GENERAL || form == SHORT_DEAD) {
                short_general(a, c, form, recs, n_recs, o);
                continue;
            }
            while (c1 < out_c && SHORT_FORM_OF(forms, c1) == form) c1++;
            short_args p;
            p.recs = recs;
            p.base = (int8_t *)(base0 + (uintptr_t)c);
            p.w = (const int8_t *)a->weights + (ptrdiff_t)c * SHORT_K;
            p.bias = a->bias ? (const int32_t *)a->bias + c : &no_bias;
            p.bias_step = a->bias ? 4 : 0;
            p.mult = a->multiplier + c;
            p.shift = a->shift + c;
            p.zz = form == SHORT_L ? a->out_zp : 2 * a->out_zp + 1;
            p.n_ch = c1 - c;
            (form == SHORT_ZP ? runs_zp : (form == SHORT_U ? runs_u : runs_l))[n](&p);
            if (clamp)
                for (int32_t p1 = 0; p1 < n_recs; p1++) {
                    int8_t *oc = o + (ptrdiff_t)p1 * out_c;
                    for (int32_t k = c; k < c1; k++)
                        oc[k] = (int8_t)(oc[k] < a->act_min ? a->act_min : (oc[k] > a->act_max ? a->act_max : oc[k]));
                }
        }
    }
}

/* 1x1 layers at a stride above 1: kernels/arm/conv_strided.h */
#include "kernels/arm/conv_strided.h"

/* Whether this file's kernel (short_takes) or conv_strided.h's (strided_rec_takes) takes this convolution. */
static inline int conv_short_takes(const nnom_conv_args *a, const int8_t *in, const int8_t *out,
                                   uint32_t scratch_bytes)
{
    return short_takes(a, in, out, scratch_bytes) || strided_rec_takes(a, scratch_bytes);
}

/* A layer conv_short_takes() takes, in the kernel that takes it. */
static inline void conv_short(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                              uint32_t scratch_bytes)
{
    if (short_takes(a, in, out, scratch_bytes)) short_layer(a, in, out, scratch, scratch_bytes);
    else strided_rec(a, in, out, scratch, scratch_bytes);
}

#endif
