/*
 * The portable kernels/rnn_s8.c, compiled into the firmware test under other
 * names (portable_*), beside the runtime's Cortex-M DSP recurrent kernel, so
 * that kernel_equivalence.c can run both on the same data.
 */
#define NNOM_PORTABLE_KERNELS 1
#define nnom_rnn_s8 portable_rnn_s8
#define nnom_rnn_s8_scratch_bytes portable_rnn_s8_scratch_bytes
#include "kernels/rnn_s8.c"
