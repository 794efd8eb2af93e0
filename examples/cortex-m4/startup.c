/*
 * Startup code for a Cortex-M4 (Armv7E-M): the vector table, the reset
 * handler (FPU on, .data copied, .bss zeroed, stack painted, main called)
 * and fault handlers that report through semihosting and exit, so that a
 * crash under QEMU ends the run with a message and a failure status instead
 * of hanging.
 */
#include <stdint.h>

#include "semihosting.h"
#include "startup.h"

int main(void);

/* From the linker script. */
extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];

#define STACK_PAINT 0x5AC4F00Du
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)

void Reset_Handler(void) __attribute__((noreturn));
static void fault(const char *what) __attribute__((noreturn));

void Reset_Handler(void)
{
    /* Full access to the FPU (coprocessors 10 and 11) before any floating-point
     * instruction: code built with -mfloat-abi=hard may use it anywhere. */
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    for (uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;) *dst++ = *src++;
    for (uint32_t *dst = __bss_start; dst < __bss_end;) *dst++ = 0;

    /* Paint the stack below this frame; fw_stack_high_water() looks for the first overwritten word. */
    uint32_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (volatile uint32_t *p = __stack_limit; (uint32_t)(uintptr_t)p < sp - 64u; p++) *p = STACK_PAINT;

    fw_exit(main());
}

uint32_t fw_stack_high_water(void)
{
    const uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PAINT) p++;
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

uint32_t fw_stack_size(void) { return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit); }

static void fault(const char *what)
{
    fw_print("\nFAULT: ");
    fw_print(what);
    fw_print(" (CFSR ");
    fw_print_u32(SCB_CFSR);
    fw_print(")\n");
    fw_exit(70);
}

static void nmi_handler(void) { fault("NMI"); }
static void hardfault_handler(void) { fault("HardFault"); }
static void memmanage_handler(void) { fault("MemManage"); }
static void busfault_handler(void) { fault("BusFault"); }
static void usagefault_handler(void) { fault("UsageFault"); }
static void unexpected_handler(void) { fault("unexpected exception"); }

typedef void (*vector_fn)(void);

/* Word 0 is the initial stack pointer; the rest are handler addresses. */
__attribute__((section(".vectors"), used)) static const vector_fn vectors[16] = {
    (vector_fn)(uintptr_t)__stack_top,
    Reset_Handler,
    nmi_handler,
    hardfault_handler,
    memmanage_handler,
    busfault_handler,
    usagefault_handler,
    0, 0, 0, 0,
    unexpected_handler, /* SVCall */
    unexpected_handler, /* DebugMonitor */
    0,
    unexpected_handler, /* PendSV */
    unexpected_handler, /* SysTick */
};
