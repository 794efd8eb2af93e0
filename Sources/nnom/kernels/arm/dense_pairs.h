#ifndef NNOM_KERNELS_ARM_DENSE_PAIRS_H
#define NNOM_KERNELS_ARM_DENSE_PAIRS_H
static int dense_pairs_arm(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out) { (void)a; (void)in; (void)out; return 0; }
#endif
