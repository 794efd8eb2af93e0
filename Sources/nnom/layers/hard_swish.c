/* HARD_SWISH: x relu6(x + 3) / 6. s8: blob 0 int8[256] table (nnom_quant_activation_table(), or TFLite's
 * fixed-point hard swish tabulated by the .tflite importer); runs in place. */
#include "kernels/activation.h"
#include "layers/elementwise_common.h"

static void run_f32(const nnom_exec *x)
{
    nnom_hard_swish_f32((const float *)x->in[0], (float *)x->out, nnom_activation_count(x));
}

const nnom_layer_ops nnom_ops_hard_swish = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NNOM_OPS_IN_PLACE,
    .infer = nnom_activation_infer,
    .run_s8 = nnom_activation_run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
