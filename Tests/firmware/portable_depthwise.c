/*
 * The portable kernels/depthwise_conv_s8.c, compiled into the firmware test under other
 * names (portable_*), beside the runtime's Cortex-M DSP version of the same
 * functions, so that kernel_equivalence.c can run both on the same data.
 */
#define NNOM_PORTABLE_KERNELS 1
#define nnom_depthwise_conv2d_s8 portable_depthwise_conv2d_s8
#define nnom_depthwise_conv2d_s8_in_place portable_depthwise_conv2d_s8_in_place
#define nnom_depthwise_conv2d_s8_block_rows portable_depthwise_conv2d_s8_block_rows
#include "kernels/depthwise_conv_s8.c"
