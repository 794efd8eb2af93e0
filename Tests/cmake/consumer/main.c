/* Builds a one-layer model through the installed headers and library. */
#include <stdio.h>
#include <string.h>

#include "nnom/nnom.h"

int main(void)
{
    nnom_model *m;
    nnom_error err;
    nnom_shape shape = {1, {4, 0, 0}};
    nnom_quant q = {1.0f, 0};
    int32_t id;
    if (nnom_model_create(NNOM_DTYPE_F32, NULL, &m, &err) != NNOM_OK) return 1;
    nnom_model_add_input(m, "x", shape, q, &id);
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = NNOM_LAYER_RELU;
    d.n_inputs = 1;
    d.inputs[0] = id;
    nnom_model_add_layer(m, &d, &id);
    d.type = NNOM_LAYER_OUTPUT;
    d.inputs[0] = id;
    nnom_model_add_layer(m, &d, NULL);
    float x[4] = {-1, 2, -3, 4}, y[4];
    if (nnom_model_compile(m) != NNOM_OK || nnom_model_alloc_arena(m) != NNOM_OK ||
        nnom_model_set_input_f32(m, 0, x, 4) != NNOM_OK || nnom_model_run(m) != NNOM_OK ||
        nnom_model_get_output_f32(m, 0, y, 4) != NNOM_OK) {
        fprintf(stderr, "%s\n", nnom_model_last_error(m));
        return 1;
    }
    nnom_model_destroy(m);
    int ok = y[0] == 0 && y[1] == 2 && y[2] == 0 && y[3] == 4;
    printf("installed nnom %s: relu %s\n", nnom_version_string(), ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
