/* RELU: max(x, 0). s8: blob 0 int8[256] table (nnom_quant_activation_table()); runs in place. */
#include "kernels/activation.h"
#include "layers/elementwise_common.h"

static void run_f32(const nnom_exec *x) { nnom_activation_run_f32(x, nnom_relu_f32); }

const nnom_layer_ops nnom_ops_relu = NNOM_ACTIVATION_LAYER_OPS(nnom_activation_infer, run_f32);
