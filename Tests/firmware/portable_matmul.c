/*
 * The portable kernels/matmul_s8.c, compiled into the firmware test under
 * another name (portable_matmul_s8), beside the runtime's Cortex-M DSP version,
 * so that kernel_equivalence.c can run both on the same data.
 */
#define NNOM_PORTABLE_KERNELS 1
#define nnom_matmul_s8 portable_matmul_s8
#include "kernels/matmul_s8.c"
