/*
 * Keras 3 operations called on tensors in a functional graph (`x + 3.0`,
 * `x * (1 / 6)`, keras.ops.*), as keras.applications' MobileNetV3 writes its
 * hard sigmoid: config entries of module "keras.src.ops.numpy" whose class
 * names (Add, Multiply) are also layers', with the constant among the call's
 * arguments. Read from configs in memory (kr_read_config, no weights):
 *
 *  - in (2, 2, 3) -> x + 3 -> ReLU(6) -> * (1/6) -> 1 - . -> . / 4 -> + in
 *    (two tensors): the float model computes, element by element, what the
 *    formula written here gives;
 *  - forms that are not supported fail naming the layer and the reason: a
 *    number divided by a tensor, a constant array operand, an operation with
 *    no nnom equivalent (Concatenate of module keras.src.ops.numpy).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "keras/keras_internal.h"
#include "test_util.h"

#define N_VALUES 12 /* 2 x 2 x 3 */
#define FLOAT_TOLERANCE 1e-5f

/* A Keras 3 tensor argument: the output of layer NAME, shape (batch, 2, 2, 3). */
#define T(name) "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 2, 2, 3], \"keras_history\": [\"" \
                name "\", 0, 0]}}"
/* An operation entry of module keras.src.ops.numpy: class CLS, layer NAME, positional arguments ARGS. */
#define OP(cls, name, args) "{\"module\": \"keras.src.ops.numpy\", \"class_name\": \"" cls "\", \"config\": {\"name\": \"" \
                            name "\"}, \"registered_name\": \"" cls "\", \"name\": \"" name "\", \"inbound_nodes\": " \
                            "[{\"args\": [" args "], \"kwargs\": {}}]}"
#define INPUT "{\"module\": \"keras.layers\", \"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": " \
              "[null, 2, 2, 3], \"name\": \"x\"}, \"name\": \"x\", \"inbound_nodes\": []}"
#define MODEL(layers, out) "{\"class_name\": \"Functional\", \"config\": {\"name\": \"m\", \"layers\": [" INPUT ", " \
                           layers "], \"input_layers\": [[\"x\", 0, 0]], \"output_layers\": [[\"" out "\", 0, 0]]}}"

static const char HARD_SIGMOID_CONFIG[] = MODEL(
    OP("Add", "plus3", T("x") ", 3.0") ", "
    "{\"module\": \"keras.layers\", \"class_name\": \"ReLU\", \"config\": {\"name\": \"relu6\", \"max_value\": 6.0, "
    "\"negative_slope\": 0.0, \"threshold\": 0.0}, \"name\": \"relu6\", \"inbound_nodes\": [{\"args\": [" T("plus3")
    "], \"kwargs\": {}}]}, "
    OP("Multiply", "sixth", T("relu6") ", 0.16666666666666666") ", "
    OP("Subtract", "one_minus", "1.0, " T("sixth")) ", "
    OP("TrueDivide", "quarter", T("one_minus") ", 4.0") ", "
    OP("Add", "sum", T("quarter") ", " T("x")),
    "sum");

static const char NUMBER_OVER_TENSOR_CONFIG[] = MODEL(OP("TrueDivide", "inverse", "2.0, " T("x")), "inverse");
static const char ARRAY_OPERAND_CONFIG[] = MODEL(OP("Add", "plus_array", T("x") ", [1.0, 2.0, 3.0]"), "plus_array");
static const char UNSUPPORTED_OP_CONFIG[] = MODEL(OP("Concatenate", "cat", "[" T("x") ", " T("x") "]"), "cat");

static void test_affine_operations(void)
{
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st = kr_read_config(HARD_SIGMOID_CONFIG, strlen(HARD_SIGMOID_CONFIG), 3, &c, &err);
    TU_REQUIRE(st == NNOM_OK, "%s: %s", nnom_status_name(st), err.message);
    nnom_model *m = nnom_converter_float_model(c);
    TU_OK(m, nnom_model_alloc_arena(m));
    float x[N_VALUES], y[N_VALUES];
    tu_seed(5);
    tu_fill_f32(x, N_VALUES, -5.0f, 5.0f); /* both sides of the ReLU's 0 and 6 after + 3 */
    TU_OK(m, nnom_model_set_input_f32(m, 0, x, N_VALUES));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, y, N_VALUES));
    for (int i = 0; i < N_VALUES; i++) {
        const double relu6 = fmin(fmax((double)x[i] + 3.0, 0.0), 6.0);
        const double want = (1.0 - relu6 / 6.0) / 4.0 + (double)x[i];
        TU_CHECK(fabs((double)y[i] - want) <= FLOAT_TOLERANCE, "value %d: %g, expected %g (x = %g)", i, (double)y[i],
                 want, (double)x[i]);
    }
    nnom_converter_destroy(c);
}

/* @p config fails to read, with a message holding @p layer and @p reason. */
static void check_refused(const char *config, const char *layer, const char *reason)
{
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st = kr_read_config(config, strlen(config), 3, &c, &err);
    TU_CHECK(st == NNOM_ERR_UNSUPPORTED && c == NULL && strstr(err.message, layer) && strstr(err.message, reason),
             "%s: %s (expected a message naming %s and '%s')", nnom_status_name(st), err.message, layer, reason);
    nnom_converter_destroy(c);
}

static void test_refused_operations(void)
{
    check_refused(NUMBER_OVER_TENSOR_CONFIG, "'inverse'", "a number divided by a tensor is not supported");
    check_refused(ARRAY_OPERAND_CONFIG, "'plus_array'", "a constant array is not supported");
    check_refused(UNSUPPORTED_OP_CONFIG, "'cat'", "Keras operation Concatenate");
}

int main(void)
{
    test_affine_operations();
    test_refused_operations();
    return tu_finish("test_keras_operations");
}
