/*
 * A firmware-style program around a converter-generated weights.h whose model has user operators:
 * the operators of weighted_diff_plugin.c are compiled in (no dlopen on a device) and registered,
 * the model is loaded from the header with that registry and run on int8 inputs read from a file.
 *
 *   cmake -S examples/user_ops -B build/user_ops -DWEIGHTS_H=/path/to/lambda_weights.h -DMODEL_NAME=lambda_weights
 *   cmake --build build/user_ops && build/user_ops/user_ops_firmware inputs.bin outputs.bin
 *
 * inputs.bin: N samples, each input 0's int8 values then input 1's; outputs.bin (written): for each
 * sample, every output's int8 values in the model's order.
 */
#include <stdio.h>
#include <stdlib.h>

#include WEIGHTS_HEADER

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define MODEL_LOAD CAT(MODEL_NAME, _load)
#define MODEL_USER_OP_COUNT CAT(MODEL_UPPER, _USER_OP_COUNT)

/* The operators of weighted_diff_plugin.c, compiled into this program. */
const nnom_user_op *const *nnom_plugin_ops(int32_t *count);

/* Registers the operators and loads the model; the registry must outlive the model. */
static nnom_status load_model(nnom_model **model, nnom_error *err)
{
    static const nnom_user_op *slots[MODEL_USER_OP_COUNT];
    static nnom_op_registry registry;
    nnom_op_registry_init(&registry, slots, MODEL_USER_OP_COUNT);
    int32_t n = 0;
    const nnom_user_op *const *ops = nnom_plugin_ops(&n);
    for (int32_t i = 0; i < n; i++) {
        nnom_status st = nnom_register_op(&registry, ops[i], err);
        if (st != NNOM_OK) return st;
    }
    nnom_options opt = NNOM_OPTIONS_INIT;
    opt.op_registry = &registry;
    return MODEL_LOAD(&opt, model, err);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s inputs.bin outputs.bin\n", argv[0]);
        return 2;
    }
    nnom_model *m;
    nnom_error err;
    if (load_model(&m, &err) != NNOM_OK || nnom_model_alloc_arena(m) != NNOM_OK) {
        fprintf(stderr, "loading the model failed: %s\n", err.message);
        return 1;
    }
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out) {
        fprintf(stderr, "cannot open %s or %s\n", argv[1], argv[2]);
        return 1;
    }
    int8_t buf[4096];
    size_t samples = 0;
    for (;;) {
        int complete = 1;
        for (int32_t i = 0; i < nnom_model_input_count(m) && complete; i++) {
            nnom_tensor_info ti;
            nnom_model_input_info(m, i, &ti);
            complete = (size_t)ti.count <= sizeof buf && fread(buf, 1, (size_t)ti.count, in) == (size_t)ti.count &&
                       nnom_model_set_input_s8(m, i, buf, (size_t)ti.count) == NNOM_OK;
        }
        if (!complete) break;
        if (nnom_model_run(m) != NNOM_OK) {
            fprintf(stderr, "sample %zu: %s\n", samples, nnom_model_last_error(m));
            return 1;
        }
        for (int32_t o = 0; o < nnom_model_output_count(m); o++) {
            nnom_tensor_info ti;
            nnom_model_output_info(m, o, &ti);
            nnom_model_get_output_s8(m, o, buf, (size_t)ti.count);
            fwrite(buf, 1, (size_t)ti.count, out);
        }
        samples++;
    }
    fclose(in);
    fclose(out);
    printf("%zu samples\n", samples);
    nnom_model_destroy(m);
    return samples > 0 ? 0 : 1;
}
