/*
 * Kernels under interrupts: every naked assembly routine of kernels/arm/ (each has a stack frame of
 * its own, most keep values in it) against the portable kernels while SysTick interrupts them. The
 * handler writes over INTERRUPT_SCRATCH_WORDS words of stack below where it was entered, and, as it
 * uses the FPU, the 18 words the exception frame reserves for s0-s15 and FPSCR, so anything a routine
 * still needed below SP at that moment is overwritten and its outputs differ.
 * Tests/firmware/run.sh runs QEMU with -icount shift=0 (time counted in instructions, one a
 * nanosecond), which makes the interrupts' positions repeatable and lets them fall on any instruction
 * (without it QEMU takes exceptions between translated blocks only). mps2-an386's SysTick counts its
 * 25 MHz clock, 40 instructions a tick: an interrupt every SYST_RELOAD + 1 = 12 ticks, 480
 * instructions, of which the handler takes about 350 (measured, -O2 and -Os), leaving about 127 of
 * the checked code between two interrupts (a reload of 37: about 1,200, and a value kept below SP
 * for a few hundred instructions was caught in 1 or 2 of 36 cases instead of every case reaching it).
 *
 * The shapes and the routines they reach (each routine's blocks counted while the interrupts are on,
 * with tools/qemu-insn-plugin; all 67 naked routines of the -O2 build and all 57 of the -Os and
 * compact builds are reached, against 14 and 13 before the shapes below marked +):
 *  - dense: dense_units.h's dot_units_asm (-O2), dense_sp_blocks.h's SP loop (-O2: layers of 4-7 and
 *    8 u + 4 rows of at most 131 inputs), dense_s8.c's dot_blocks_asm (-Os, compact; at -O2
 *    for fewer than eight rows, + every DENSE_FEW_ROWS_EVERY-th case); the same layers in row pairs:
 *    dense_pairs.h's dot_pairs_asm and dot_pairs3_asm (+ every DENSE_PAIRS3_EVERY-th case);
 *  - pointwise 64 -> 64 on a few pixels: conv_pass3r.h's pass3_rec_run and, for a last pass redone,
 *    conv_pass3s.h's pass3_stack (-O2), conv_pass3.h's pass3_fast (-Os, compact); + 160 -> 32, patches
 *    longer than pass3_stack's: pass3_fast at -O2; + 1x1 stride 2 16 -> 32 in bands of 1-2 rows
 *    (conv_strided.h: pass3_rec_run on chunks of the strided inputs, a last pass into a temporary);
 *  - 3x3 on RGB: conv_first.h's first_pass and first_gather_27_run4;
 *  - 3x3 16 -> 16: conv_pass.h's pass2_fast with conv_pair.h's widen_pair_rows4; + on a multiple of
 *    three pixels: pass3_fast; at -O2 the strips of conv_rows16.h (16 -> 16, one row too; 32 -> 32,
 *    64 -> 64 on even rows) and conv_rows2.h (stride 2, 16 -> 32 and 32 -> 64); 48 -> 64: pair_passes;
 *  - + 3x3 on 2 or 4 channels (conv_narrow.h): pass4_fast, pass4_fast_u, pass8_fast;
 *  - + 1x1 8 -> 16 or 32: conv_short.h's short_run_zp0 ... short_run_l1;
 *  - depthwise 3x3, stride 1: + a 2 x 2 plane (depthwise_group4_asm.h's dw_g_pair_*_s1), + lines of
 *    three (depthwise_tri3.h's tri3_s1_*), widths 5, 6, odd, even (depthwise_gather4.h's gathers,
 *    depthwise_quad3.h's quad3_s1_*, depthwise_hex3.h's hex3_*); + DS-CNN's 25 x 5 (pent3_*, their E
 *    forms; with the zero point -128, depthwise_pent4.h's gather and lines); stride 2: + 3 x 3 outputs (tri3_s2_*), three output rows or columns (dw_g_pair_*_s2,
 *    dw_g_asm_w_*, depthwise_group4_copy.h's dw_g_widen_rows), + channels beyond groups of four on
 *    lines of four (the planar path's quad3_s2_*); + dilation 2 at stride 2, and a plane too wide for
 *    strips (dw_g_asm_*, on the raw input). Each under quant_form()'s three forms (+), with an output
 *    zero point of -128 (the Z forms) and another;
 *  - the int8 add above its table threshold (elementwise_s8.c's ew_add4);
 *  - + check_rnn()'s first RNN_INTERRUPTED_CASES cases: rnn_s8.c's rows4_asm.
 * Measured at -O2 (-Os): 36 cases of 359 kernel calls, 369,990 (380,721) interrupts; dense 60 cases,
 * 106,402 (185,239); recurrent 315,848 (454,007). The whole kernel_equivalence takes about 50 s a
 * build under QEMU.
 *
 * What it catches (each kernel changed for the test, then restored): dw_g_asm_*'s first sum start
 * kept 64 bytes below SP (stored once a call, loaded every pixel) mismatched all 3 cases of the
 * raw-input shape in each build (0 in the check before these shapes, 0 in kernel_equivalence's 1000
 * uninterrupted depthwise cases); widen_pair_rows4's -in_zp kept there (loaded every kernel row)
 * all 4 of the 3x3 16 -> 16 cases in each build; pass3_stack's channel kept 64 bytes below SP, with
 * the earlier shapes and reload, all 6 pointwise cases (none before the handler used the FPU: the 18
 * words the exception frame reserves for it were never written).
 */
#include <stdint.h>
#include <string.h>

#include "equivalence.h"
#include "semihosting.h"

/* SysTick (Armv7-M system timer): control and status, reload value, current value; the vector
 * table's address (VTOR). */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)
enum {
    VECTOR_WORDS = 16,         /* the exceptions' vectors (startup.c has no interrupt lines) */
    SYSTICK_VECTOR = 15,
    SYST_ENABLE = 1u << 0,     /* counter on */
    SYST_TICKINT = 1u << 1,    /* an exception at each wrap */
    SYST_CPU_CLOCK = 1u << 2,  /* counting processor cycles */
    SYST_RELOAD = 11,          /* clock ticks between interrupts (a prime: the positions drift) */
    INTERRUPT_SCRATCH_WORDS = 48,
    INTERRUPTED_MIN_TICKS = 100, /* fewer interrupts than this: the check did not check */
    RNN_INTERRUPTED_CASES = 12,  /* check_rnn()'s first cases (its eight long ones among them) */
    DENSE_FEW_ROWS_EVERY = 5,    /* every fifth dense case: fewer than eight rows */
    DENSE_PAIRS3_EVERY = 4,      /* every fourth: in row pairs, three pairs past the groups of eight */
    PASS3S_OVER_IN_C = 160       /* a pointwise patch of more groups of four than pass3_stack's 32 */
};

static volatile uint32_t ticks;

/* A copy of startup.c's vector table with this file's SysTick handler, in use during the check
 * (VTOR: aligned to 128 bytes at least). */
static uint32_t vectors[VECTOR_WORDS] __attribute__((aligned(128)));

/* With an FPU in use the exception frame reserves 18 words for s0-s15 and FPSCR just below the
 * interrupted SP, which the core writes only when the handler uses the FPU (lazy stacking); the
 * handler's own stack starts below them. So the handler does one floating-point operation: those
 * words then get the interrupted code's s0-s15, which interrupts_on() fills with junk (the integer
 * kernels leave them alone), as a handler using the FPU would have them written. */
static volatile float fp_scratch = 1.0f;

static void systick_handler(void)
{
    volatile uint32_t junk[INTERRUPT_SCRATCH_WORDS];
    const uint32_t v = 0xA5A5A5A5u ^ ticks;
    for (int32_t i = 0; i < INTERRUPT_SCRATCH_WORDS; i++) junk[i] = v ^ (uint32_t)i;
    (void)junk;
#if defined(__ARM_FP)
    fp_scratch = fp_scratch + 1.0f;
#endif
    ticks = ticks + 1;
}

/* s0-s15 made junk (words of 0x5A5A5A5A and 0xC3C3C3C3 with their number), for the lazy stacking above */
static void fp_registers_junk(void)
{
#if defined(__ARM_FP)
    const uint32_t a = 0x5A5A5A5Au, b = 0xC3C3C3C3u;
    __asm__ volatile("vmov   s0, s1, %0, %1\n\t"
                     "vmov   s2, s3, %1, %0\n\t"
                     "vmov   s4, s5, %0, %1\n\t"
                     "vmov   s6, s7, %1, %0\n\t"
                     "vmov   s8, s9, %0, %1\n\t"
                     "vmov   s10, s11, %1, %0\n\t"
                     "vmov   s12, s13, %0, %1\n\t"
                     "vmov   s14, s15, %1, %0"
                     :
                     : "r"(a), "r"(b)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13",
                       "s14", "s15");
#endif
}

/* The handler in place of startup.c's, SysTick on; off, and startup.c's vectors back (returning the
 * interrupts taken, which it prints). */
static uint32_t flash_vectors;

static void interrupts_on(void)
{
    flash_vectors = SCB_VTOR;
    for (int32_t i = 0; i < VECTOR_WORDS; i++) vectors[i] = ((const volatile uint32_t *)(uintptr_t)flash_vectors)[i];
    vectors[SYSTICK_VECTOR] = (uint32_t)(uintptr_t)systick_handler;
    __asm__ volatile("dsb" ::: "memory");
    SCB_VTOR = (uint32_t)(uintptr_t)vectors;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    ticks = 0;
    fp_registers_junk();
    SYST_RVR = SYST_RELOAD;
    SYST_CVR = 0;
    SYST_CSR = SYST_ENABLE | SYST_TICKINT | SYST_CPU_CLOCK;
}

/* Returns 1 (a mismatch) when too few interrupts came to check anything. */
static int32_t interrupts_off(const char *what)
{
    SYST_CSR = 0;
    SCB_VTOR = flash_vectors;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    fw_print(what);
    fw_print(": ");
    fw_print_i32((int32_t)ticks);
    fw_print(" interrupts\n");
    if (ticks >= INTERRUPTED_MIN_TICKS) return 0;
    fw_print(what);
    fw_print(": too few interrupts to check anything\n");
    return 1;
}

/* Per-channel requantisation that every Cortex-M kernel takes its fast form for: multipliers above
 * 2^30, right shifts of 6 to 12 (at most 22). */
static void fast_quant(int32_t channels)
{
    for (int32_t c = 0; c < channels; c++) {
        multiplier[c] = (int32_t)(0x40000001u + (next() & 0x3FFFFFFEu));
        shift[c] = -range(6, 12);
        bias[c] = range(-(1 << 14), 1 << 14);
    }
}

int32_t check_dense_interrupted(int32_t cases)
{
    int32_t bad = 0;
    interrupts_on();
    for (int32_t t = 0; t < cases; t++) {
        nnom_dense_s8_args a;
        memset(&a, 0, sizeof a);
        a.in_features = chance(70) ? range(4, 131) : range(132, 643);
        /* (1-7 rows: dot_blocks_asm; 4-20 rows: the SP loop's blocks of 4-7 and 8 u + 4 rows) */
        a.out_features = t % DENSE_FEW_ROWS_EVERY == DENSE_FEW_ROWS_EVERY - 1 ? range(1, 7)
                         : chance(30)                                        ? range(4, 20)
                                                                             : range(4, 260);
        fill_s8(input, a.in_features);
        fill_s8(weights, a.in_features * a.out_features);
        fast_quant(a.out_features);
        a.weights = weights;
        a.bias = bias;
        a.multiplier = multiplier;
        a.shift = shift;
        a.per_channel = 1;
        a.in_zero_point = range(-128, 127);
        a.out_zero_point = range(-128, 127);
        a.act_lo = -128;
        a.act_hi = 127;
        memset(out_arm, 0x55, (size_t)a.out_features);
        memset(out_portable, 0x55, (size_t)a.out_features);
        nnom_dense_s8(&a, input, out_arm);
        portable_dense_s8(&a, input, out_portable);
        if (memcmp(out_arm, out_portable, (size_t)a.out_features) != 0) {
            report("dense (interrupted)", t, out_arm, out_portable, a.out_features);
            bad++;
        }
        /* the same in row pairs: dense_pairs.h's dot_pairs_asm and, when the rows padded to even
         * leave three pairs past the groups of eight (every DENSE_PAIRS3_EVERY-th case at least),
         * dot_pairs3_asm */
        if (t % DENSE_PAIRS3_EVERY == 0) {
            a.out_features = 8 * range(0, 3) + range(5, 6);
            fill_s8(weights, a.in_features * a.out_features);
            fast_quant(a.out_features);
            portable_dense_s8(&a, input, out_portable);
        }
        bad += check_dense_pairs(a, input, 0, t, "dense in row pairs (interrupted)");
    }
    return bad + interrupts_off("dense (interrupted)");
}

/* The requantisation forms the Cortex-M kernels have assembly for, per channel: a multiplier above
 * 2^30 and a right shift (ZP), one of at most 2^30 and a right shift (U), a left shift (L: shifts of
 * 0 to 3, multipliers below 2^19 so that the outputs do not all saturate). */
enum { QUANT_ZP, QUANT_U, QUANT_L, QUANT_FORMS };

static void quant_form(int32_t channels, int32_t form)
{
    for (int32_t c = 0; c < channels; c++) {
        if (form == QUANT_ZP) multiplier[c] = (int32_t)(0x40000001u + (next() & 0x3FFFFFFEu));
        else if (form == QUANT_U) multiplier[c] = (int32_t)(0x20000000u + (next() & 0x1FFFFFFFu));
        else multiplier[c] = (int32_t)(0x00040000u + (next() & 0x0003FFFFu));
        shift[c] = form == QUANT_L ? range(0, 3) : -range(6, 12);
        bias[c] = range(-(1 << 14), 1 << 14);
    }
}

/* The shapes of check_dsp_interrupted(), in turn. */
enum {
    SHAPE_POINTWISE,
    SHAPE_FIRST_RGB,
    SHAPE_3X3_16,
    SHAPE_DW_S1,
    SHAPE_DW_S2,
    SHAPE_DW_TALL,
    SHAPE_DW_RAW,
    SHAPE_NARROW,
    SHAPE_SHORT,
    SHAPE_ADD,
    SHAPE_COUNT
};

/* A convolution (depthwise: depth multiplier 1) of in_c -> out_c channels, a k x k window at stride s
 * and dilation d, SAME padding, on an image of h x w pixels, random data and fast requantisation. */
static void conv_shape(nnom_conv_args *a, int depthwise, int32_t h, int32_t w, int32_t in_c, int32_t out_c,
                       int32_t k, int32_t s, int32_t d)
{
    memset(a, 0, sizeof *a);
    a->in_h = h;
    a->in_w = w;
    a->in_c = in_c;
    a->out_c = out_c;
    a->depth_mult = depthwise ? 1 : 0;
    a->k_h = a->k_w = k;
    a->stride_h = a->stride_w = s;
    a->dil_h = a->dil_w = d;
    axis(h, k, s, d, 1, &a->out_h, &a->pad_top);
    axis(w, k, s, d, 1, &a->out_w, &a->pad_left);
    a->in_zp = range(-128, 127);
    a->out_zp = chance(50) ? -128 : range(-128, 127);
    a->act_min = -128;
    a->act_max = 127;
    fast_quant(out_c);
    a->multiplier = multiplier;
    a->shift = shift;
    a->bias = bias;
    fill_s8(input, h * w * in_c);
    fill_s8(weights, k * k * (depthwise ? out_c : out_c * in_c));
    a->weights = weights;
}

/* One convolution or depthwise case, both kernels under interrupts (the convolution with all the
 * scratch the DSP kernel can use, its fastest passes, or the least it needs); 1 on a mismatch. */
static int32_t conv_case(const char *kernel, int32_t t, nnom_conv_args *a, int depthwise, int least)
{
    const int32_t out_n = a->out_h * a->out_w * a->out_c;
    memset(out_arm, 0x55, (size_t)out_n + 8);
    memset(out_portable, 0x55, (size_t)out_n + 8);
    if (depthwise) {
        nnom_depthwise_conv2d_s8(a, input, out_arm);
        portable_depthwise_conv2d_s8(a, input, out_portable);
    } else {
        const uint32_t bytes = least ? nnom_conv2d_s8_scratch_bytes(a) : nnom_conv2d_s8_scratch_room_bytes(a);
        if (bytes > sizeof scratch) {
            fw_print("error: scratch too small for an interrupted case\n");
            return 1;
        }
        nnom_conv2d_s8(a, input, out_arm, scratch, bytes);
        portable_conv2d_s8(a, input, out_portable, scratch, bytes);
    }
    if (memcmp(out_arm, out_portable, (size_t)out_n + 8) == 0) return 0;
    report(kernel, t, out_arm, out_portable, out_n);
    describe(a);
    return 1;
}

/* A depthwise case: the shape under each requantisation form, with an output zero point above -128
 * and with -128 (the assembly's Z forms); its mismatches. */
static int32_t dw_forms(const char *kernel, int32_t t, nnom_conv_args *a)
{
    int32_t bad = 0;
    for (int32_t f = 0; f < QUANT_FORMS; f++)
        for (int32_t z = 0; z < 2; z++) {
            quant_form(a->out_c, f);
            a->out_zp = z ? -128 : range(-127, 127);
            bad += conv_case(kernel, t, a, 1, 0);
        }
    return bad;
}

/* A convolution case: the shape under each requantisation form, with all the scratch and with the
 * least; its mismatches. */
static int32_t conv_forms(const char *kernel, int32_t t, nnom_conv_args *a)
{
    int32_t bad = 0;
    for (int32_t f = 0; f < QUANT_FORMS; f++) {
        quant_form(a->out_c, f);
        bad += conv_case(kernel, t, a, 0, 0) + conv_case(kernel, t, a, 0, 1);
    }
    return bad;
}

/* An int8 add of rows x channels elements (above the table threshold of 256: ew_add4), input
 * multipliers as TFLite derives them; 1 on a mismatch. */
static int32_t add_case(int32_t t, int32_t rows, int32_t channels)
{
    static int8_t in2[MAX_IN + 8];
    nnom_elementwise_s8_args a;
    memset(&a, 0, sizeof a);
    a.rows = rows;
    a.channels = channels;
    const int32_t n = rows * channels;
    fill_s8(input, n);
    fill_s8(in2, n);
    a.in1 = input;
    a.in2 = in2;
    a.in1_zero_point = range(-128, 127);
    a.in2_zero_point = range(-128, 127);
    a.out_zero_point = range(-128, 127);
    a.act_lo = -128;
    a.act_hi = 127;
    int32_t params[NNOM_ADD_PARAM_COUNT];
    for (int k = 0; k < 3; k++) params[2 * k] = (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu));
    params[1] = -range(0, 3);
    params[3] = -range(0, 3);
    params[5] = -range(10, 24);
    a.params = params;
    memset(out_arm, 0x55, (size_t)n + 8);
    memset(out_portable, 0x55, (size_t)n + 8);
    a.out = out_arm;
    nnom_add_s8(&a);
    a.out = out_portable;
    portable_add_s8(&a);
    if (memcmp(out_arm, out_portable, (size_t)n + 8) == 0) return 0;
    report("add (interrupted)", t, out_arm, out_portable, n);
    return 1;
}

int32_t check_dsp_interrupted(int32_t cases)
{
    /* the planes of the stride-1 depthwise case: height range, width range (in steps of 2). 2 x 2: no
     * lines of four or three, the channel groups' pairs; lines of three (depthwise_tri3.h); the
     * gathers of five and six pixels, odd and even widths (depthwise_gather4.h) */
    enum { DW_S1_PLANES = 6 };
    static const int32_t dw_s1_planes[DW_S1_PLANES][4] = {{2, 2, 2, 2}, {2, 3, 3, 3},  {5, 12, 5, 5},
                                                          {5, 12, 6, 6}, {5, 12, 7, 11}, {5, 12, 8, 12}};
    int32_t bad = 0;
    interrupts_on();
    for (int32_t t = 0; t < cases; t++) {
        nnom_conv_args a;
        const int32_t round = t / SHAPE_COUNT;
        int32_t m = 0; /* the case's kernel calls that mismatched */
        switch ((int)(t % SHAPE_COUNT)) {
        case SHAPE_POINTWISE: /* 4-6 x 5 pixels: whole three-pixel passes and a last one redone */
            conv_shape(&a, 0, range(4, 6), 5, 64, 64, 1, 1, 1);
            m += conv_case("conv 1x1 64 -> 64 (interrupted)", t, &a, 0, 0);
            conv_shape(&a, 0, range(4, 6), 5, PASS3S_OVER_IN_C, 32, 1, 1, 1); /* beyond pass3_stack's patch */
            m += conv_case("conv 1x1 160 -> 32 (interrupted)", t, &a, 0, 0);
            conv_shape(&a, 0, range(1, 4), range(6, 9), 16, 32, 1, 2, 1); /* conv_strided.h, the least scratch */
            m += conv_case("conv 1x1 s2 16 -> 32 (interrupted)", t, &a, 0, 1);
            break;
        case SHAPE_FIRST_RGB:
            conv_shape(&a, 0, range(6, 12), range(6, 12), 3, chance(50) ? 8 : 16, 3, range(1, 2), 1);
            m += conv_case("conv 3x3 RGB (interrupted)", t, &a, 0, 0);
            break;
        case SHAPE_3X3_16: /* the second: a multiple of three pixels, with all the scratch (three-pixel passes) */
            conv_shape(&a, 0, range(4, 7), range(4, 7), 16, 16, 3, 1, 1);
            m += conv_case("conv 3x3 16 -> 16 (interrupted)", t, &a, 0, round % 2);
            conv_shape(&a, 0, range(4, 7), 6, 16, 16, 3, 1, 1);
            m += conv_case("conv 3x3 16 -> 16 (interrupted)", t, &a, 0, 0);
            /* the strips (conv_rows16.h, conv_rows2.h): one row as a windowed in-place run calls it,
             * 32 -> 32 or 64 -> 64 on even rows, stride 2 16 -> 32 and 32 -> 64; 48 -> 64: pair_passes */
            conv_shape(&a, 0, 1, chance(50) ? 6 : 4, 16, 16, 3, 1, 1);
            m += conv_case("conv 3x3 16 -> 16, one row (interrupted)", t, &a, 0, round % 2);
            conv_shape(&a, 0, range(4, 7), 2 * range(2, 3), round % 2 ? 32 : 64, round % 2 ? 32 : 64, 3, 1, 1);
            m += conv_case("conv 3x3 32 -> 32 or 64 -> 64 (interrupted)", t, &a, 0, 0);
            conv_shape(&a, 0, range(4, 9), 8, 16, 32, 3, 2, 1);
            m += conv_case("conv 3x3 s2 16 -> 32 (interrupted)", t, &a, 0, 1);
            conv_shape(&a, 0, range(4, 9), 8, 32, 64, 3, 2, 1);
            m += conv_case("conv 3x3 s2 32 -> 64 (interrupted)", t, &a, 0, 1);
            conv_shape(&a, 0, range(4, 7), 6, 48, 64, 3, 1, 1);
            m += conv_case("conv 3x3 48 -> 64 (interrupted)", t, &a, 0, 0);
            break;
        case SHAPE_DW_S1:
            for (int32_t i = 0; i < DW_S1_PLANES; i++) {
                const int32_t *pl = dw_s1_planes[i], c = 4 * range(2, 4);
                conv_shape(&a, 1, range(pl[0], pl[1]), pl[2] + 2 * range(0, (pl[3] - pl[2]) / 2), c, c, 3, 1, 1);
                m += dw_forms("depthwise 3x3 stride 1 (interrupted)", t, &a);
            }
            break;
        case SHAPE_DW_S2: /* 3 x 3 outputs (lines of three), three output rows, three output columns, and
                           * channels beyond groups of four on lines of four and more (the planar path) */
            for (int32_t i = 0; i < 4; i++) {
                const int32_t c = 4 * range(2, 4) + (i == 3 ? range(1, 3) : 0);
                conv_shape(&a, 1, i < 2 ? range(5, 6) : range(7, 12), i % 2 == 0 ? range(5, 6) : range(7, 12), c, c,
                           3, 2, 1);
                m += dw_forms("depthwise 3x3 stride 2 (interrupted)", t, &a);
            }
            break;
        case SHAPE_DW_TALL: { /* DS-CNN's plane, walked along its lines of five */
            const int32_t c = 4 * range(2, 4);
            conv_shape(&a, 1, 25, 5, c, c, 3, 1, 1);
            m += dw_forms("depthwise 3x3 25 x 5 (interrupted)", t, &a);
            break;
        }
        case SHAPE_DW_RAW: { /* dilation 2 at stride 2, and a plane too wide for strips: on the raw input */
            const int32_t c = 4 * range(2, 4);
            conv_shape(&a, 1, range(8, 12), range(8, 12), c, c, 3, 2, 2);
            m += dw_forms("depthwise 3x3 dilation 2 (interrupted)", t, &a);
            conv_shape(&a, 1, range(4, 6), range(48, 64), 8, 8, 3, 2, 1);
            m += dw_forms("depthwise 3x3 wide (interrupted)", t, &a);
            break;
        }
        case SHAPE_NARROW:
            conv_shape(&a, 0, range(5, 9), range(5, 9), round % 2 ? 4 : 2, range(8, 24), 3, 1, 1);
            m += conv_forms("conv 3x3 2 or 4 channels (interrupted)", t, &a);
            break;
        case SHAPE_SHORT:
            conv_shape(&a, 0, range(3, 8), range(3, 8), 8, round % 2 ? 32 : 16, 1, range(1, 2), 1);
            m += conv_forms("conv 1x1 8 -> 16 or 32 (interrupted)", t, &a);
            break;
        case SHAPE_ADD:
            m += add_case(t, range(5, 20), 4 * range(8, 16));
            break;
        }
        bad += m != 0;
    }
    bad += interrupts_off("conv/depthwise/add (interrupted)");
    interrupts_on();
    bad += check_rnn(RNN_INTERRUPTED_CASES);
    return bad + interrupts_off("rnn (interrupted)");
}
