/*
 * Kernels under interrupts: the dense kernel on shapes of its units of eight rows and of its SP loop (kernels/arm/
 * dense_units.h, dense_sp_blocks.h, -O2: a frame of its own below the widened input, one pass of 32 groups
 * or several; SP moved up over a pad for the second pass),
 * and the convolution, depthwise and add kernels on shapes of their assembly routines with stack frames of their own (below), against the portable ones while
 * SysTick interrupts them every SYST_RELOAD cycles. The handler writes over INTERRUPT_SCRATCH_WORDS words of stack below
 * where it was entered, so anything the kernel still needed below SP at that moment would be
 * overwritten and its outputs would differ. Tests/firmware/run.sh runs QEMU with -icount (time
 * counted in instructions), which makes the interrupts' positions repeatable and lets them fall on
 * any instruction (without it QEMU takes exceptions between translated blocks only, at branch
 * targets and page ends). At -Os the same cases run the other loop: the check then only shows that
 * interrupts leave it alone too.
 * The other shapes, and the assembly they reach: a pointwise 64 -> 64 on a few pixels (-O2:
 * conv_pass3r.h's pass3_rec_run, an 808-byte frame, and for a last pass redone conv_pass3s.h's
 * pass3_stack, an 824-byte one; -Os: conv_pass3.h's pass3_fast), a 3x3 first
 * layer on RGB (conv_first.h's first_pass and first_gather_27_run4), a 3x3 16 -> 16 (with all the
 * scratch pass3_fast, with the least conv_pass.h's two-pixel pass2_fast), a 3x3 depthwise at
 * strides 1 and 2 on channels of four (depthwise_gather4.h's gathers, depthwise_group4_asm.h's
 * pair passes; at stride 1 every other case on a plane five wide, depthwise_pent4.h's gather and
 * lines) and the int8 add above its table threshold (elementwise_s8.c's ew_add4). A
 * pass3_stack keeping the channel it requantises 64 bytes below SP instead of in its frame
 * mismatches in all 6 of the pointwise cases (0 before the handler used the FPU: the 18 words the
 * exception frame reserves for the FPU were never written); a pass3_rec_run keeping its count of
 * passes 64 bytes below SP faults in them (HardFault).
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
    SYST_RELOAD = 37,          /* clock ticks between interrupts (a prime: the positions drift) */
    INTERRUPT_SCRATCH_WORDS = 48,
    INTERRUPTED_MIN_TICKS = 100 /* fewer interrupts than this: the check did not check */
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
    for (int32_t i = 0; i < INTERRUPT_SCRATCH_WORDS; i++) junk[i] = 0xA5A5A5A5u ^ (uint32_t)i ^ ticks;
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
        a.out_features = chance(30) ? range(4, 20) : range(4, 260); /* (SP's blocks: 4-7 and 8 u + 4 rows) */
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
    }
    return bad + interrupts_off("dense (interrupted)");
}

/* The shapes of check_dsp_interrupted(), in turn. */
enum { SHAPE_POINTWISE, SHAPE_FIRST_RGB, SHAPE_3X3_16, SHAPE_DW_S1, SHAPE_DW_S2, SHAPE_ADD, SHAPE_COUNT };

/* A convolution (depthwise: depth multiplier 1) of in_c -> out_c channels, a k x k window at stride s,
 * SAME padding, on an image of h x w pixels, random data and fast requantisation. */
static void conv_shape(nnom_conv_args *a, int depthwise, int32_t h, int32_t w, int32_t in_c, int32_t out_c,
                       int32_t k, int32_t s)
{
    memset(a, 0, sizeof *a);
    a->in_h = h;
    a->in_w = w;
    a->in_c = in_c;
    a->out_c = out_c;
    a->depth_mult = depthwise ? 1 : 0;
    a->k_h = a->k_w = k;
    a->stride_h = a->stride_w = s;
    a->dil_h = a->dil_w = 1;
    axis(h, k, s, 1, 1, &a->out_h, &a->pad_top);
    axis(w, k, s, 1, 1, &a->out_w, &a->pad_left);
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
    int32_t bad = 0;
    interrupts_on();
    for (int32_t t = 0; t < cases; t++) {
        nnom_conv_args a;
        switch ((int)(t % SHAPE_COUNT)) {
        case SHAPE_POINTWISE: /* 4-6 x 5 pixels: whole three-pixel passes and a last one redone */
            conv_shape(&a, 0, range(4, 6), 5, 64, 64, 1, 1);
            bad += conv_case("conv 1x1 64 -> 64 (interrupted)", t, &a, 0, 0);
            break;
        case SHAPE_FIRST_RGB:
            conv_shape(&a, 0, range(6, 12), range(6, 12), 3, chance(50) ? 8 : 16, 3, range(1, 2));
            bad += conv_case("conv 3x3 RGB (interrupted)", t, &a, 0, 0);
            break;
        case SHAPE_3X3_16:
            conv_shape(&a, 0, range(4, 7), range(4, 7), 16, 16, 3, 1);
            bad += conv_case("conv 3x3 16 -> 16 (interrupted)", t, &a, 0, t / SHAPE_COUNT % 2);
            break;
        case SHAPE_DW_S1:
        case SHAPE_DW_S2: {
            const int32_t c = 4 * range(2, 8);
            /* (stride 1: every other case on a plane five wide as DS-CNN's) */
            const int five = t % SHAPE_COUNT == SHAPE_DW_S1 && t / SHAPE_COUNT % 2 == 0;
            conv_shape(&a, 1, five ? range(5, 25) : range(5, 12), five ? 5 : range(5, 12), c, c, 3,
                       t % SHAPE_COUNT == SHAPE_DW_S1 ? 1 : 2);
            if (five) a.out_zp = -128; /* (a ReLU's output: the E forms) */
            bad += conv_case("depthwise 3x3 (interrupted)", t, &a, 1, 0);
            break;
        }
        case SHAPE_ADD:
            bad += add_case(t, range(5, 20), 4 * range(8, 16));
            break;
        }
    }
    return bad + interrupts_off("conv/depthwise/add (interrupted)");
}
