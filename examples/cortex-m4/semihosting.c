/* See semihosting.h. Operation numbers and the exit block are those of
 * Arm's "Semihosting for AArch32 and AArch64" specification. */
#include "semihosting.h"

enum {
    SYS_WRITE0 = 0x04,        /* r1: NUL-terminated string */
    SYS_EXIT = 0x18,          /* r1: reason code */
    SYS_EXIT_EXTENDED = 0x20, /* r1: {reason, subcode}; the subcode becomes the exit status */
    ADP_STOPPED_APPLICATION_EXIT = 0x20026,
    ADP_STOPPED_RUNTIME_ERROR = 0x20023
};

/* One semihosting call: operation in r0, argument in r1, result in r0.
 * On M-profile cores the trap is BKPT 0xAB. */
static int32_t semihost_call(int32_t op, const void *arg)
{
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static char line[160];
static unsigned line_len;

void fw_flush(void)
{
    if (!line_len) return;
    line[line_len] = '\0';
    semihost_call(SYS_WRITE0, line);
    line_len = 0;
}

static void put_char(char c)
{
    if (line_len == sizeof line - 1) fw_flush();
    line[line_len++] = c;
    if (c == '\n') fw_flush();
}

void fw_print(const char *text)
{
    while (*text) put_char(*text++);
}

void fw_print_u32(uint32_t value)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value);
    while (n) put_char(digits[--n]);
}

void fw_print_i32(int32_t value)
{
    if (value < 0) {
        put_char('-');
        fw_print_u32(0u - (uint32_t)value);
    } else {
        fw_print_u32((uint32_t)value);
    }
}

void fw_exit(int status)
{
    fw_flush();
    /* SYS_EXIT_EXTENDED carries the status; a host that ignores it still
     * sees success or failure from the reason code of SYS_EXIT. */
    const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    semihost_call(SYS_EXIT_EXTENDED, block);
    semihost_call(SYS_EXIT, (const void *)(uintptr_t)(status ? ADP_STOPPED_RUNTIME_ERROR : ADP_STOPPED_APPLICATION_EXIT));
    for (;;) {
    }
}
