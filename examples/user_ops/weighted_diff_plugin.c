/*
 * A user operator as a plugin: "weighted_diff_k", y = a - 0.75 b for two inputs of one shape, the
 * operator a Keras Lambda named weighted_diff_k computes (Tests/fixtures/keras/user_op_lambda).
 *
 * The same struct registers it in firmware (nnom_register_op, nnom/user_op.h); built as a shared
 * library, the host tools load it by name:
 *
 *     cc -shared -fPIC -O2 -I include examples/user_ops/weighted_diff_plugin.c -o weighted_diff.so
 *     nnom convert model.keras --calibration x.npz --ops ./weighted_diff.so -o model.nnom
 *     nnom run model.nnom --ops ./weighted_diff.so --input x.npz
 *
 * It needs only nnom's headers: nnom_plugin_ops() hands the operators to the tool, which registers them.
 */
#include <math.h>
#include <stdio.h>

#include "nnom/user_op.h"

#define WD_COEFF 0.75f

static int32_t count_of(const nnom_shape *s)
{
    int32_t n = 1;
    for (int32_t k = 0; k < s->rank; k++) n *= s->dims[k];
    return n;
}

/* Two inputs of one shape; the output has it too. */
static nnom_status wd_infer(const nnom_user_call *call, nnom_shape *out, char *message)
{
    const nnom_shape *a = &call->in[0].shape, *b = &call->in[1].shape;
    int same = a->rank == b->rank;
    for (int32_t k = 0; same && k < a->rank; k++) same = a->dims[k] == b->dims[k];
    if (!same) {
        snprintf(message, NNOM_USER_OP_MESSAGE_MAX, "the two inputs differ in shape");
        return NNOM_ERR_SHAPE;
    }
    *out = *a;
    return NNOM_OK;
}

static void wd_run_f32(const nnom_user_call *call)
{
    const float *a = (const float *)call->in[0].data, *b = (const float *)call->in[1].data;
    float *y = (float *)call->out;
    const int32_t n = count_of(&call->out_shape);
    for (int32_t i = 0; i < n; i++) y[i] = a[i] - WD_COEFF * b[i];
}

/* int8: dequantise, compute, requantise to the output's scale (round to nearest, saturate). */
static void wd_run_s8(const nnom_user_call *call)
{
    const int8_t *a = (const int8_t *)call->in[0].data, *b = (const int8_t *)call->in[1].data;
    const nnom_quant qa = call->in[0].quant, qb = call->in[1].quant, qy = call->out_quant;
    int8_t *y = (int8_t *)call->out;
    const int32_t n = count_of(&call->out_shape);
    for (int32_t i = 0; i < n; i++) {
        const float v = qa.scale * (float)(a[i] - qa.zero_point) - WD_COEFF * qb.scale * (float)(b[i] - qb.zero_point);
        const long q = lroundf(v / qy.scale) + qy.zero_point;
        y[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
    }
}

static const nnom_user_op weighted_diff = {
    .struct_size = (uint32_t)sizeof(nnom_user_op),
    .name = "weighted_diff_k",
    .min_inputs = 2,
    .max_inputs = 2,
    .infer = wd_infer,
    .run_s8 = wd_run_s8,
    .run_f32 = wd_run_f32,
};

static const nnom_user_op *const plugin_ops[] = {&weighted_diff};

/* The plugin's entry (NNOM_OP_PLUGIN_ENTRY in nnom/tools.h). */
__attribute__((visibility("default"))) const nnom_user_op *const *nnom_plugin_ops(int32_t *count);

const nnom_user_op *const *nnom_plugin_ops(int32_t *count)
{
    *count = (int32_t)(sizeof plugin_ops / sizeof plugin_ops[0]);
    return plugin_ops;
}
