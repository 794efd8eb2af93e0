/*
 * The portable kernels/pool_s8.c, compiled into the firmware test under other
 * names (portable_*), beside the runtime's Cortex-M DSP max pool, so that
 * kernel_equivalence.c can run both on the same data.
 */
#define NNOM_PORTABLE_KERNELS 1
#define nnom_max_pool_s8 portable_max_pool_s8
#define nnom_avg_pool_s8 portable_avg_pool_s8
#define nnom_global_max_pool_s8 portable_global_max_pool_s8
#define nnom_global_avg_pool_s8 portable_global_avg_pool_s8
#include "kernels/pool_s8.c"
