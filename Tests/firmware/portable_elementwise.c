/*
 * The portable kernels/elementwise_s8.c, compiled into the firmware test under other
 * names (portable_*), beside the runtime's Cortex-M DSP forms, so that
 * kernel_equivalence.c can run both on the same data.
 */
#define NNOM_PORTABLE_KERNELS 1
#define nnom_add_s8 portable_add_s8
#define nnom_sub_s8 portable_sub_s8
#define nnom_mul_s8 portable_mul_s8
#include "kernels/elementwise_s8.c"
