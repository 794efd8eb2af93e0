/*
 * The assembly passes of the Cortex-M DSP depthwise kernel's channel-group
 * path (included by depthwise_group4.h, after dw_g_mode; its header comment
 * says what they compute): dw_g_args, the block the passes read at fixed
 * offsets (checked at compile time), the one-pixel interior passes of raw
 * inputs (dw_g_asm(), one per requantisation form), and the two-pixel passes
 * over a group's widened padded copy (dw_g_pair_*, per form and stride).
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_GROUP4_ASM_H
#define NNOM_KERNELS_ARM_DEPTHWISE_GROUP4_ASM_H

/* What the assembly interior loop reads (offsets used by it, checked below). */
typedef struct {
    const int8_t *p;     /*   0: the first pixel's top-left tap, channel c0 */
    int8_t *o;           /*   4: the first pixel's output, channel c0 */
    int32_t n;           /*   8: pixels, >= 1 (counted down) */
    int32_t cs, rs;      /*  12, 16: bytes between kernel columns, between kernel rows */
    int32_t p_step;      /*  20: bytes from a pixel's first tap to the next pixel's */
    int32_t o_step;      /*  24: bytes from a pixel's output to the next one's (out_c) */
    int32_t z;           /*  28: the output zero point is -128 (the Z form below; not read by the assembly) */
    int32_t init[4];     /*  32: the sums' start, the input zero point's share folded in */
    uint32_t w[18];      /*  48: tap t at 48 + 8 t: (w0, w2), (w1, w3), doubled */
    int32_t mc[8];       /* 120: channel j's multiplier at 120 + 8 j, rounding constant at 124 + 8 j */
    int32_t em[8];       /* 152: channel j's right shift at 152 + 8 j, sign mask (ZM form) at 156 + 8 j */
} dw_g_args;
typedef char nnom_dw_g_offsets_ok[offsetof(dw_g_args, init) == 32 && offsetof(dw_g_args, w) == 48 &&
                                          offsetof(dw_g_args, mc) == 120 && offsetof(dw_g_args, em) == 152
                                      ? 1
                                      : -1];

/* One tap of four channels on raw inputs (the zero point's share is in the start): x at ADDR, then
 * the tap's two words of weights, by single loads (pipelined). */
#define DW_G_ASM_TAP(ADDR, W)                      \
    "ldr    r9, " ADDR "\n\t"                       \
    "ldr    r10, [r0, #" W "]\n\t"                  \
    "ldr    r11, [r0, #" W "+4]\n\t"                \
    "sxtb16 r12, r9\n\t"                            \
    "smlabb r5, r12, r10, r5\n\t"                   \
    "smlatt r7, r12, r10, r7\n\t"                   \
    "sxtb16 r12, r9, ror #8\n\t"                    \
    "smlabb r6, r12, r11, r6\n\t"                   \
    "smlatt r8, r12, r11, r8\n\t"
/* a channel's multiplier, rounding constant (at MC) and shift (at E) by single loads */
#define DW_G_ASM_LOAD_Q(MC, E)                     \
    "ldr    r9, [r0, #" MC "]\n\t"                  \
    "ldr    r10, [r0, #" MC "+4]\n\t"               \
    "ldr    r11, [r0, #" E "]\n\t"
/* nnom_arm_requant_zp() of the sum in S (doubled at the source), saturated, into S */
#define DW_G_ASM_OUT_ZP(S, MC, E)                  \
    DW_G_ASM_LOAD_Q(MC, E)                          \
    "smmlar r12, " S ", r9, r10\n\t"                \
    "add    r12, r12, " S ", asr #31\n\t"           \
    "asr    r12, r12, r11\n\t"                      \
    "ssat   " S ", #8, r12\n\t"
/* the SMMULR form (any multiplier) */
#define DW_G_ASM_OUT_U(S, MC, E)                   \
    DW_G_ASM_LOAD_Q(MC, E)                          \
    "smmulr r12, " S ", r9\n\t"                     \
    "add    r12, r12, r12, asr #31\n\t"             \
    "add    r12, r12, r10\n\t"                      \
    "asr    r12, r12, r11\n\t"                      \
    "ssat   " S ", #8, r12\n\t"

/* the Z form, when the output zero point is -128 (and no clamp beyond int8): any of the forms
 * without its sign term, which changes only outputs that SSAT makes -128 anyway (a negative sum
 * gives at most c >> e = -128 with or without it) */
#define DW_G_ASM_OUT_Z(S, MC, E)                   \
    DW_G_ASM_LOAD_Q(MC, E)                          \
    "smmlar r12, " S ", r9, r10\n\t"                \
    "asr    r12, r12, r11\n\t"                      \
    "ssat   " S ", #8, r12\n\t"

/* the ZM form: the sign term masked (E the shift's offset, the mask 4 bytes after it) */
#define DW_G_ASM_OUT_ZM(S, MC, E)                  \
    DW_G_ASM_LOAD_Q(MC, E)                          \
    "ldr    lr, [r0, #" E "+4]\n\t"                 \
    "smmlar r12, " S ", r9, r10\n\t"                \
    "and    lr, lr, " S ", asr #31\n\t"             \
    "add    r12, r12, lr\n\t"                       \
    "asr    r12, r12, r11\n\t"                      \
    "ssat   " S ", #8, r12\n\t"

/*
 * n pixels of a 3x3 kernel whose taps all lie inside the input, no clamp beyond int8:
 * r1 the pixel's first tap, r2 and r3 the column and row steps, r4 the output, r5-r8 the
 * sums, lr a kernel row; per pixel 9 taps of 9 instructions, per output 8 (three single loads
 * of its constants, requantisation, store; the four stores one after the other): about 3.4
 * instructions per multiply-accumulate (measured 48x48x16 stride 2, 4.76 -> 4.31 estimated
 * cycles per multiply-accumulate against an LDRD of weights a tap and each output stored as it
 * was made).
 */
/* The end of a pixel of DW_G_ASM_BODY and DW_G_ASM_BODY_W: the four sums (r5-r8) out through OUT
 * in their registers, stored one after the other, input and output pointers (r1, r4) to the next
 * pixel, the pixel count at [r0, #8] down, and the loop back to 1 or the return. */
#define DW_G_ASM_PIXEL_END(OUT)                                                                   \
    OUT("r5", "120", "152") OUT("r6", "128", "160") OUT("r7", "136", "168") OUT("r8", "144", "176") \
    "strb   r5, [r4, #0]\n\t"                                                                     \
    "strb   r6, [r4, #1]\n\t"                                                                     \
    "strb   r7, [r4, #2]\n\t"                                                                     \
    "strb   r8, [r4, #3]\n\t"                                                                     \
    "ldrd   r9, r10, [r0, #20]\n\t"                                                               \
    "add    r1, r1, r9\n\t"                                                                       \
    "add    r4, r4, r10\n\t"                                                                      \
    "ldr    r9, [r0, #8]\n\t"                                                                     \
    "subs   r9, r9, #1\n\t"                                                                       \
    "str    r9, [r0, #8]\n\t"                                                                     \
    "bne    1b\n\t"                                                                               \
    "pop    {r4-r11, pc}\n\t"
#define DW_G_ASM_BODY(OUT)                                                                        \
    __asm__ volatile("push   {r4-r11, lr}\n\t"                                                    \
                     "ldr    r1, [r0, #0]\n\t"                                                    \
                     "ldr    r4, [r0, #4]\n\t"                                                    \
                     "ldrd   r2, r3, [r0, #12]\n"                                                 \
                     "1:\n\t"                                                                     \
                     "ldrd   r5, r6, [r0, #32]\n\t"                                               \
                     "ldrd   r7, r8, [r0, #40]\n\t"                                               \
                     "mov    lr, r1\n\t"                                                          \
                     DW_G_ASM_TAP("[lr]", "48") DW_G_ASM_TAP("[lr, r2]", "56")                    \
                     DW_G_ASM_TAP("[lr, r2, lsl #1]", "64")                                       \
                     "add    lr, lr, r3\n\t"                                                      \
                     DW_G_ASM_TAP("[lr]", "72") DW_G_ASM_TAP("[lr, r2]", "80")                    \
                     DW_G_ASM_TAP("[lr, r2, lsl #1]", "88")                                       \
                     "add    lr, lr, r3\n\t"                                                      \
                     DW_G_ASM_TAP("[lr]", "96") DW_G_ASM_TAP("[lr, r2]", "104")                   \
                     DW_G_ASM_TAP("[lr, r2, lsl #1]", "112")                                      \
                     DW_G_ASM_PIXEL_END(OUT));

__attribute__((naked, noinline)) static void dw_g_asm_zp(__attribute__((unused)) dw_g_args *p)
{
    DW_G_ASM_BODY(DW_G_ASM_OUT_ZP)
}

__attribute__((naked, noinline)) static void dw_g_asm_u(__attribute__((unused)) dw_g_args *p)
{
    DW_G_ASM_BODY(DW_G_ASM_OUT_U)
}

__attribute__((naked, noinline)) static void dw_g_asm_zm(__attribute__((unused)) dw_g_args *p)
{
    DW_G_ASM_BODY(DW_G_ASM_OUT_ZM)
}

__attribute__((naked, noinline)) static void dw_g_asm_z(__attribute__((unused)) dw_g_args *p)
{
    DW_G_ASM_BODY(DW_G_ASM_OUT_Z)
}

/* The same from the widened padded copy (dw_g_pad_copy): a tap of four channels is the two words
 * (x0, x2), (x1, x3) of its pixel, no SXTB16; kernel columns 8 bytes apart (dil_w 1): per pixel
 * 9 taps of 8 instructions (four single loads, pipelined). */
#define DW_G_ASM_TAP_W(OFF, W)                     \
    "ldr    r9, [lr, #" OFF "]\n\t"                 \
    "ldr    r10, [lr, #" OFF "+4]\n\t"              \
    "ldr    r11, [r0, #" W "]\n\t"                  \
    "ldr    r12, [r0, #" W "+4]\n\t"                \
    "smlabb r5, r9, r11, r5\n\t"                    \
    "smlatt r7, r9, r11, r7\n\t"                    \
    "smlabb r6, r10, r12, r6\n\t"                   \
    "smlatt r8, r10, r12, r8\n\t"
#define DW_G_ASM_BODY_W(OUT)                                                                      \
    __asm__ volatile("push   {r4-r11, lr}\n\t"                                                    \
                     "ldr    r1, [r0, #0]\n\t"                                                    \
                     "ldr    r4, [r0, #4]\n\t"                                                    \
                     "ldr    r3, [r0, #16]\n"                                                      \
                     "1:\n\t"                                                                     \
                     "ldrd   r5, r6, [r0, #32]\n\t"                                               \
                     "ldrd   r7, r8, [r0, #40]\n\t"                                               \
                     "mov    lr, r1\n\t"                                                          \
                     DW_G_ASM_TAP_W("0", "48") DW_G_ASM_TAP_W("8", "56") DW_G_ASM_TAP_W("16", "64") \
                     "add    lr, lr, r3\n\t"                                                      \
                     DW_G_ASM_TAP_W("0", "72") DW_G_ASM_TAP_W("8", "80") DW_G_ASM_TAP_W("16", "88") \
                     "add    lr, lr, r3\n\t"                                                      \
                     DW_G_ASM_TAP_W("0", "96") DW_G_ASM_TAP_W("8", "104")                          \
                     DW_G_ASM_TAP_W("16", "112")                                                  \
                     DW_G_ASM_PIXEL_END(OUT));

__attribute__((naked, noinline)) static void dw_g_asm_w_zp(__attribute__((unused)) dw_g_args *p)
{
    DW_G_ASM_BODY_W(DW_G_ASM_OUT_ZP)
}

__attribute__((naked, noinline)) static void dw_g_asm_w_u(__attribute__((unused)) dw_g_args *p)
{
    DW_G_ASM_BODY_W(DW_G_ASM_OUT_U)
}

__attribute__((naked, noinline)) static void dw_g_asm_w_zm(__attribute__((unused)) dw_g_args *p)
{
    DW_G_ASM_BODY_W(DW_G_ASM_OUT_ZM)
}

__attribute__((naked, noinline)) static void dw_g_asm_w_z(__attribute__((unused)) dw_g_args *p)
{
    DW_G_ASM_BODY_W(DW_G_ASM_OUT_Z)
}

/* Two neighbouring pixels A and B (B ST bytes after A in the widened copy) per pass, sharing each
 * tap's weights: sums A in r1-r4, B in r5-r8 (channels 0-3). A kernel row is a chain of six
 * steps of 4 multiply-accumulates, each step loading either a tap's weights (r11, r12) or a
 * pixel's two words (r9, r10), or both, and keeping the other: B's tap k reads the pixel of A's
 * tap k + ST / 8 (stride 1: A's next column; stride 2: the column after it). Per row 14 words in
 * six runs of single loads (20 estimated cycles) at stride 1, 16 (22) at stride 2, where a tap
 * at a time took 18 (24). The sums are exact in int32 in any order (see dw_groups4()'s bound).
 * n (at 8) counts pairs; p, o advance by two pixels. */
#define DW_G_LD_W(W)                               \
    "ldr    r11, [r0, #" W "]\n\t"                  \
    "ldr    r12, [r0, #" W "+4]\n\t"
#define DW_G_LD_X(OFF)                             \
    "ldr    r9, [lr, #" OFF "]\n\t"                 \
    "ldr    r10, [lr, #" OFF "+4]\n\t"
#define DW_G_MAC_A                                 \
    "smlabb r1, r9, r11, r1\n\t"                    \
    "smlatt r3, r9, r11, r3\n\t"                    \
    "smlabb r2, r10, r12, r2\n\t"                   \
    "smlatt r4, r10, r12, r4\n\t"
#define DW_G_MAC_B                                 \
    "smlabb r5, r9, r11, r5\n\t"                    \
    "smlatt r7, r9, r11, r7\n\t"                    \
    "smlabb r6, r10, r12, r6\n\t"                   \
    "smlatt r8, r10, r12, r8\n\t"
/* The first step of a pass: A's sums from the start values that B's registers hold (no moves). */
#define DW_G_MAC_A0                                \
    "smlabb r1, r9, r11, r5\n\t"                    \
    "smlatt r3, r9, r11, r7\n\t"                    \
    "smlabb r2, r10, r12, r6\n\t"                   \
    "smlatt r4, r10, r12, r8\n\t"
/* A kernel row of weights W0, W1, W2 (offsets in r0), pixel columns 8 bytes apart from lr. Stride 1
 * (B = A + 8): A0 B0 (x1) A1 B1 (x2) A2 B2 (x3). Stride 2 (B = A + 16): A0 B0 (x2) A2 (w2) B2 (x4),
 * then A1 B1 (w1, x1 then x3). */
#define DW_G_ROW_P_S1(W0, W1, W2, MAC_A0)                                                      \
    DW_G_LD_W(W0) DW_G_LD_X("0") MAC_A0 DW_G_LD_X("8") DW_G_MAC_B DW_G_LD_W(W1) DW_G_MAC_A \
    DW_G_LD_X("16") DW_G_MAC_B DW_G_LD_W(W2) DW_G_MAC_A DW_G_LD_X("24") DW_G_MAC_B
#define DW_G_ROW_P_S2(W0, W1, W2, MAC_A0)                                                       \
    DW_G_LD_W(W0) DW_G_LD_X("0") MAC_A0 DW_G_LD_X("16") DW_G_MAC_B DW_G_LD_W(W2) DW_G_MAC_A \
    DW_G_LD_X("32") DW_G_MAC_B DW_G_LD_W(W1) DW_G_LD_X("8") DW_G_MAC_A DW_G_LD_X("24") DW_G_MAC_B
/* The output of sum S by each form, into S itself (m r9, c r10, e r11; ZM: its sign mask in lr;
 * r12 the scratch). */
#define DW_G_P_ZP(S)                               \
    "smmlar r12, " S ", r9, r10\n\t"                \
    "add    r12, r12, " S ", asr #31\n\t"           \
    "asr    r12, r12, r11\n\t"                      \
    "ssat   " S ", #8, r12\n\t"
#define DW_G_P_U(S)                                \
    "smmulr r12, " S ", r9\n\t"                     \
    "add    r12, r12, r12, asr #31\n\t"             \
    "add    r12, r12, r10\n\t"                      \
    "asr    r12, r12, r11\n\t"                      \
    "ssat   " S ", #8, r12\n\t"
#define DW_G_P_Z(S)                                \
    "smmlar r12, " S ", r9, r10\n\t"                \
    "asr    r12, r12, r11\n\t"                      \
    "ssat   " S ", #8, r12\n\t"
#define DW_G_P_ZM(S)                               \
    "and    r12, lr, " S ", asr #31\n\t"            \
    "smmlar " S ", " S ", r9, r10\n\t"              \
    "add    " S ", " S ", r12\n\t"                  \
    "asr    " S ", " S ", r11\n\t"                  \
    "ssat   " S ", #8, " S "\n\t"
/* Channel j's outputs of A and B (sums SA, SB): its constants by single loads (MC: multiplier and
 * rounding constant; E: shift, and for ZM the sign mask after it), both sums through FORM. */
#define DW_G_OUT_P(FORM, SA, SB, MC, E)            \
    "ldr    r9, [r0, #" MC "]\n\t"                  \
    "ldr    r10, [r0, #" MC "+4]\n\t"               \
    "ldr    r11, [r0, #" E "]\n\t"                  \
    FORM(SA) FORM(SB)
#define DW_G_OUT_P_ZM(FORM, SA, SB, MC, E)         \
    "ldr    r9, [r0, #" MC "]\n\t"                  \
    "ldr    r10, [r0, #" MC "+4]\n\t"               \
    "ldr    r11, [r0, #" E "]\n\t"                  \
    "ldr    lr, [r0, #" E "+4]\n\t"                 \
    FORM(SA) FORM(SB)
/* The eight outputs in r1-r8, then stored one after the other (A at o, B at o + o_step), with
 * the pass's pointers and count loaded (p, o, n, o_step) and stored back (o and p two pixels on,
 * n down; the flags of its SUBS end the loop). */
#define DW_G_OUTS(OUT, FORM)                                                                      \
    OUT(FORM, "r1", "r5", "120", "152") OUT(FORM, "r2", "r6", "128", "160")                       \
    OUT(FORM, "r3", "r7", "136", "168") OUT(FORM, "r4", "r8", "144", "176")                       \
    "ldr    r9, [r0, #4]\n\t"                                                                     \
    "ldr    r10, [r0, #24]\n\t"                                                                   \
    "ldr    r11, [r0, #0]\n\t"                                                                    \
    "ldr    r12, [r0, #8]\n\t"                                                                    \
    "strb   r1, [r9, #0]\n\t"                                                                     \
    "strb   r2, [r9, #1]\n\t"                                                                     \
    "strb   r3, [r9, #2]\n\t"                                                                     \
    "strb   r4, [r9, #3]\n\t"                                                                     \
    "add    r1, r9, r10\n\t"                                                                      \
    "strb   r5, [r1, #0]\n\t"                                                                     \
    "strb   r6, [r1, #1]\n\t"                                                                     \
    "strb   r7, [r1, #2]\n\t"                                                                     \
    "strb   r8, [r1, #3]\n\t"                                                                     \
    "add    r9, r1, r10\n\t"
#define DW_G_ASM_BODY_P(OUTS, ST, ROW)                                                           \
    __asm__ volatile("push   {r4-r11, lr}\n"                                                      \
                     "1:\n\t"                                                                     \
                     "ldr    r5, [r0, #32]\n\t"                                                   \
                     "ldr    r6, [r0, #36]\n\t"                                                   \
                     "ldr    r7, [r0, #40]\n\t"                                                   \
                     "ldr    r8, [r0, #44]\n\t"                                                   \
                     "ldr    lr, [r0, #0]\n\t"                                                    \
                     ROW("48", "56", "64", DW_G_MAC_A0)                                           \
                     "ldr    r9, [r0, #16]\n\t"                                                   \
                     "add    lr, lr, r9\n\t"                                                      \
                     ROW("72", "80", "88", DW_G_MAC_A)                                            \
                     "ldr    r9, [r0, #16]\n\t"                                                   \
                     "add    lr, lr, r9\n\t"                                                      \
                     ROW("96", "104", "112", DW_G_MAC_A)                                          \
                     OUTS                                                                         \
                     "add    r11, r11, #" ST "\n\t"                                               \
                     "subs   r12, r12, #1\n\t"                                                    \
                     "str    r9, [r0, #4]\n\t"                                                    \
                     "str    r11, [r0, #0]\n\t"                                                   \
                     "str    r12, [r0, #8]\n\t"                                                   \
                     "bne    1b\n\t"                                                              \
                     "pop    {r4-r11, pc}\n\t");

#define DW_G_PAIR_FN(name, OUTS, ST, ROW)                                         \
    __attribute__((naked, noinline)) static void name(__attribute__((unused)) dw_g_args *p) \
    {                                                                             \
        DW_G_ASM_BODY_P(OUTS, ST, ROW)                                            \
    }
DW_G_PAIR_FN(dw_g_pair_zp_s1, DW_G_OUTS(DW_G_OUT_P, DW_G_P_ZP), "16", DW_G_ROW_P_S1)
DW_G_PAIR_FN(dw_g_pair_zp_s2, DW_G_OUTS(DW_G_OUT_P, DW_G_P_ZP), "32", DW_G_ROW_P_S2)
DW_G_PAIR_FN(dw_g_pair_u_s1, DW_G_OUTS(DW_G_OUT_P, DW_G_P_U), "16", DW_G_ROW_P_S1)
DW_G_PAIR_FN(dw_g_pair_u_s2, DW_G_OUTS(DW_G_OUT_P, DW_G_P_U), "32", DW_G_ROW_P_S2)
DW_G_PAIR_FN(dw_g_pair_zm_s1, DW_G_OUTS(DW_G_OUT_P_ZM, DW_G_P_ZM), "16", DW_G_ROW_P_S1)
DW_G_PAIR_FN(dw_g_pair_zm_s2, DW_G_OUTS(DW_G_OUT_P_ZM, DW_G_P_ZM), "32", DW_G_ROW_P_S2)
DW_G_PAIR_FN(dw_g_pair_z_s1, DW_G_OUTS(DW_G_OUT_P, DW_G_P_Z), "16", DW_G_ROW_P_S1)
DW_G_PAIR_FN(dw_g_pair_z_s2, DW_G_OUTS(DW_G_OUT_P, DW_G_P_Z), "32", DW_G_ROW_P_S2)

static void dw_g_asm(dw_g_mode mode, dw_g_args *g)
{
    if (g->z) dw_g_asm_z(g);
    else if (mode == DW_G_ZP) dw_g_asm_zp(g);
    else if (mode == DW_G_U) dw_g_asm_u(g);
    else dw_g_asm_zm(g);
}

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_GROUP4_ASM_H */
