/* Reset and fault handling of the firmware (startup.c). */
#ifndef FW_STARTUP_H
#define FW_STARTUP_H

#include <stdint.h>

/* Bytes of stack used so far: the part of the stack painted at reset that is
 * no longer intact (a high-water mark, exact to the word). */
uint32_t fw_stack_high_water(void);
/* Bytes reserved for the stack by the linker script. */
uint32_t fw_stack_size(void);

#endif
