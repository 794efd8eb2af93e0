/*
 * Arm semihosting: the firmware's console and exit status, through the
 * debugger (QEMU with -semihosting-config enable=on,target=native).
 *
 * Text is buffered per line and written with one SYS_WRITE0 call per line.
 * A firmware on a real board without a debugger attached must not call these:
 * the BKPT instruction would stop the core.
 */
#ifndef FW_SEMIHOSTING_H
#define FW_SEMIHOSTING_H

#include <stdint.h>

/* Appends text to the current line; '\n' sends the line to the host. */
void fw_print(const char *text);
/* Appends a signed / unsigned decimal number. */
void fw_print_i32(int32_t value);
void fw_print_u32(uint32_t value);
/* Sends whatever is buffered. */
void fw_flush(void);

/* Ends the program: QEMU exits with @p status (0 = success). Never returns. */
void fw_exit(int status) __attribute__((noreturn));

#endif
