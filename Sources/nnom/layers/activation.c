/*
 * ACTIVATION: an element-wise function (params.activation = nnom_function), Keras' definitions.
 * s8: blob 0 int8[256] table (nnom_quant_function_table()), the kernel every int8 activation
 * shares. f32: blob 0 float[n], the function's constants (kernels/function.h). Runs in place.
 */
#include <float.h>
#include "kernels/function.h"
#include "layers/elementwise_common.h"

static const struct {
    const char *name;
    int32_t constants;
} functions[] = {
    [0] = {NULL, -1},
    [NNOM_FN_ELU] = {"elu", 1},
    [NNOM_FN_SELU] = {"selu", 0},
    [NNOM_FN_GELU] = {"gelu", 0},
    [NNOM_FN_GELU_TANH] = {"gelu_tanh", 0},
    [NNOM_FN_SILU] = {"silu", 0},
    [NNOM_FN_HARD_SILU] = {"hard_silu", 0},
    [NNOM_FN_MISH] = {"mish", 0},
    [NNOM_FN_SOFTPLUS] = {"softplus", 0},
    [NNOM_FN_SOFTSIGN] = {"softsign", 0},
    [NNOM_FN_EXPONENTIAL] = {"exponential", 0},
    [NNOM_FN_LOG_SIGMOID] = {"log_sigmoid", 0},
    [NNOM_FN_CELU] = {"celu", 1},
    [NNOM_FN_HARD_TANH] = {"hard_tanh", 0},
    [NNOM_FN_RELU] = {"relu", 4},
};

/* One entry per function: adding an enum value without a line here fails to compile. */
typedef char nnom_function_table_is_complete[(sizeof functions / sizeof functions[0] == NNOM_FN_COUNT) ? 1 : -1];

int32_t nnom_function_constants(nnom_function fn)
{
    if ((int32_t)fn < 1 || (int32_t)fn >= NNOM_FN_COUNT) return -1;
    return functions[fn].constants;
}

const char *nnom_function_name(nnom_function fn)
{
    if ((int32_t)fn < 1 || (int32_t)fn >= NNOM_FN_COUNT) return "unknown";
    return functions[fn].name;
}

/* a finite float (no libm) */
static int finite1(float v) { return v >= -FLT_MAX && v <= FLT_MAX; }

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const int32_t fn = l->def->params.activation, n = nnom_function_constants((nnom_function)fn);
    if (n < 0)
        return nnom_layer_fail(ctx->model, l, NNOM_ERR_ARGUMENT, "function %d is not one of 1 to %d (nnom_function)",
                               (int)fn, (int)NNOM_FN_COUNT - 1);
    if (ctx->dtype == NNOM_DTYPE_S8) return nnom_activation_infer(l, ctx);
    nnom_status st = nnom_expect_blob(ctx->model, l, 0, "function constants (float)", (uint32_t)n * 4u);
    if (st != NNOM_OK) return st;
    const float *k = (const float *)nnom_blob_data(l, 0);
    for (int32_t i = 0; i < n; i++) {
        if (!finite1(k[i]) || (fn == NNOM_FN_CELU && !(k[i] > 0.0f)))
            return nnom_layer_fail(ctx->model, l, NNOM_ERR_ARGUMENT, "constant %d of %s is not %s", (int)i,
                                   nnom_function_name((nnom_function)fn),
                                   fn == NNOM_FN_CELU ? "positive and finite" : "finite");
    }
    return nnom_activation_infer(l, ctx);
}

static void run_f32(const nnom_exec *x)
{
    const nnom_layer *l = x->layer;
    nnom_function_f32((nnom_function)l->def->params.activation, (const float *)nnom_blob_data(l, 0), (const float *)x->in[0],
                      (float *)x->out, nnom_activation_count(x));
}

const nnom_layer_ops nnom_ops_activation = NNOM_ACTIVATION_LAYER_OPS(infer, run_f32);
