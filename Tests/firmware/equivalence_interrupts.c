/*
 * Kernels under interrupts: the dense kernel on shapes of its SP loop (kernels/arm/dense_sp_blocks.h,
 * -O2: SP moves inside the routine's frame) against the portable one while SysTick interrupts it
 * every few hundred cycles. The handler writes over INTERRUPT_SCRATCH_WORDS words of stack below
 * where it was entered, so anything the kernel still needed below SP at that moment would be
 * overwritten and its outputs would differ. Tests/firmware/run.sh runs QEMU with -icount (time
 * counted in instructions), which makes the interrupts' positions repeatable and lets them fall on
 * any instruction (without it QEMU takes exceptions between translated blocks only, at branch
 * targets and page ends). At -Os the same cases run the other loop: the check then only shows that
 * interrupts leave it alone too.
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

static void systick_handler(void)
{
    volatile uint32_t junk[INTERRUPT_SCRATCH_WORDS];
    for (int32_t i = 0; i < INTERRUPT_SCRATCH_WORDS; i++) junk[i] = 0xA5A5A5A5u ^ (uint32_t)i ^ ticks;
    ticks = ticks + 1;
}

int32_t check_dense_interrupted(int32_t cases)
{
    int32_t bad = 0;
    const uint32_t flash_vectors = SCB_VTOR;
    for (int32_t i = 0; i < VECTOR_WORDS; i++) vectors[i] = ((const volatile uint32_t *)(uintptr_t)flash_vectors)[i];
    vectors[SYSTICK_VECTOR] = (uint32_t)(uintptr_t)systick_handler;
    __asm__ volatile("dsb" ::: "memory");
    SCB_VTOR = (uint32_t)(uintptr_t)vectors;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    ticks = 0;
    SYST_RVR = SYST_RELOAD;
    SYST_CVR = 0;
    SYST_CSR = SYST_ENABLE | SYST_TICKINT | SYST_CPU_CLOCK;
    for (int32_t t = 0; t < cases; t++) {
        nnom_dense_s8_args a;
        memset(&a, 0, sizeof a);
        a.in_features = range(4, 131);
        a.out_features = range(4, 260);
        fill_s8(input, a.in_features);
        fill_s8(weights, a.in_features * a.out_features);
        for (int32_t c = 0; c < a.out_features; c++) {
            multiplier[c] = (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu));
            shift[c] = -range(6, 12);
            bias[c] = range(-(1 << 14), 1 << 14);
        }
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
    SYST_CSR = 0;
    SCB_VTOR = flash_vectors;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    fw_print("dense (interrupted): ");
    fw_print_i32((int32_t)ticks);
    fw_print(" interrupts\n");
    if (ticks < INTERRUPTED_MIN_TICKS) {
        fw_print("dense (interrupted): too few interrupts to check anything\n");
        bad++;
    }
    return bad;
}
