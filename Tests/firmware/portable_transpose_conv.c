/*
 * The portable kernels/transpose_conv_s8.c, compiled into the firmware test under another name
 * (portable_transpose_conv_s8), beside the runtime's Cortex-M DSP version, so that
 * kernel_equivalence.c can run both on the same data.
 */
#define NNOM_PORTABLE_KERNELS 1
#define nnom_transpose_conv_s8 portable_transpose_conv_s8
#include "kernels/transpose_conv_s8.c"
