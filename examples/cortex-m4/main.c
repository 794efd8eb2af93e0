/*
 * Runs one nnom model on the test inputs of a generated header and prints
 * every output as int8 values, through semihosting, for a host script to
 * compare bit for bit with the host runtime's outputs; then runs a few more
 * inferences, each between the instruction-count markers, and prints what the model
 * needs (MACs, arena, RAM for the model's bookkeeping, stack high-water mark).
 *
 * Built once per model (see CMakeLists.txt), with:
 *   FW_MODEL          the model's name, the prefix of the weights header's symbols
 *   FW_MODEL_HEADER   "NAME_weights.h": `static const uint32_t NAME_model_data[]`, as
 *                     nnom_converter_write_header() writes it
 *   FW_MODEL_BYTES    its NAME_MODEL_BYTES macro
 *   FW_INPUTS_HEADER  "NAME_inputs.h": FW_TEST_COUNT, FW_TEST_INPUT_BYTES,
 *                     fw_test_inputs[][] (each: every model input's values, one after
 *                     the other), and optionally FW_TEST_LABELS / fw_test_labels[]
 *   FW_USER_OPS       defined when the model has user operators: the program links C
 *                     sources defining nnom_plugin_ops() (as examples/user_ops/weighted_diff_plugin.c
 *                     does), whose operators it registers before loading the model
 *   FW_BENCH_RUNS     inferences between the markers (default 4)
 *   FW_POOL_BYTES     static memory for the model and its arena (default 48 KB)
 *   FW_TILING_PERCENT nnom_options.tiling_max_extra_macs_percent (default 0: the runtime's default;
 *                     NNOM_TILING_OFF, -1: no tiling)
 *   FW_PLAN_GOAL      nnom_options.plan_goal (default 0, NNOM_PLAN_SMALLEST; 1: NNOM_PLAN_FASTEST, the
 *                     fastest plan that fits FW_MAX_ARENA_BYTES)
 *   FW_MAX_ARENA_BYTES nnom_options.max_arena_bytes (default 0: the runtime's default)
 *
 * Output lines (the host script relies on them):
 *   output <i>.<o>: <v0> <v1> ...      test input i, model output o: every value, or
 *   output <i>.<o>: crc32=<hex> count=<n>   for outputs of more than FW_PRINT_MAX values
 *   accuracy: <correct>/<count>        when the inputs header has labels
 *   stats: key=value ...               sizes and counts
 *   error: <message>                   and a non-zero exit status on failure
 */
#include <stdint.h>

#include "nnom/nnom.h"

#include "bench_markers.h"
#include "semihosting.h"
#include "startup.h"

#include FW_MODEL_HEADER
#include FW_INPUTS_HEADER

#define FW_CAT_(a, b) a##b
#define FW_CAT(a, b) FW_CAT_(a, b)
#define FW_MODEL_DATA FW_CAT(FW_MODEL, _model_data)

#ifndef FW_TILING_PERCENT
#define FW_TILING_PERCENT 0
#endif
#ifndef FW_PLAN_GOAL
#define FW_PLAN_GOAL NNOM_PLAN_SMALLEST
#endif
#ifndef FW_MAX_ARENA_BYTES
#define FW_MAX_ARENA_BYTES 0
#endif
#ifndef FW_BENCH_RUNS
#define FW_BENCH_RUNS 4
#endif
#ifndef FW_POOL_BYTES
#define FW_POOL_BYTES (48u * 1024u)
#endif
/* Outputs longer than this are printed as their CRC-32 (the host prints it the same way). */
#define FW_PRINT_MAX 256

/* Everything the model allocates (its description and its arena) comes from here: no heap. */
static uint8_t pool_memory[FW_POOL_BYTES] __attribute__((aligned(8)));
static nnom_pool pool;

#ifdef FW_USER_OPS
/* Room in the registry for the linked operators. */
#define FW_USER_OPS_MAX 8

/* The user operators linked into this program (the plugin's entry, compiled in). */
const nnom_user_op *const *nnom_plugin_ops(int32_t *count);

/* The registry the model is loaded with; it outlives the model. */
static const nnom_user_op *user_op_slots[FW_USER_OPS_MAX];
static nnom_op_registry user_ops;

static nnom_status register_user_ops(nnom_error *err)
{
    nnom_op_registry_init(&user_ops, user_op_slots, FW_USER_OPS_MAX);
    int32_t n = 0;
    const nnom_user_op *const *ops = nnom_plugin_ops(&n);
    for (int32_t i = 0; i < n; i++) {
        const nnom_status st = nnom_register_op(&user_ops, ops[i], err);
        if (st != NNOM_OK) return st;
    }
    return NNOM_OK;
}
#endif

static int fail(const char *what, const char *message)
{
    fw_print("error: ");
    fw_print(what);
    fw_print(": ");
    fw_print(message);
    fw_print("\n");
    return 1;
}

/* "output <i>.<o>: v0 v1 ..." or, for large outputs, "output <i>.<o>: crc32=<hex> count=<n>". */
static void print_output(int32_t i, int32_t o, const int8_t *y, int32_t count)
{
    fw_print("output ");
    fw_print_i32(i);
    fw_print(".");
    fw_print_i32(o);
    fw_print(":");
    if (count > FW_PRINT_MAX) {
        static const char hex[] = "0123456789abcdef";
        char text[9];
        const uint32_t crc = nnom_crc32(0, y, (size_t)count);
        for (int k = 0; k < 8; k++) text[k] = hex[(crc >> (28 - 4 * k)) & 15u];
        text[8] = '\0';
        fw_print(" crc32=");
        fw_print(text);
        fw_print(" count=");
        fw_print_i32(count);
    } else {
        for (int32_t k = 0; k < count; k++) {
            fw_print(" ");
            fw_print_i32(y[k]);
        }
    }
    fw_print("\n");
}

/* Whether output 0 of test input i picks its label (argmax, first of equals). */
static int is_correct(int32_t i, const int8_t *y, int32_t count)
{
#ifdef FW_TEST_LABELS
    int32_t best = 0;
    for (int32_t k = 1; k < count; k++)
        if (y[k] > y[best]) best = k;
    return best == fw_test_labels[i];
#else
    (void)i;
    (void)y;
    (void)count;
    return 0;
#endif
}

/* Sets every model input from one test input (the inputs' values one after the other). */
static nnom_status set_inputs(nnom_model *model, const int8_t *values)
{
    int32_t at = 0;
    for (int32_t k = 0; k < nnom_model_input_count(model); k++) {
        nnom_tensor_info info;
        nnom_status st = nnom_model_input_info(model, k, &info);
        if (st == NNOM_OK) st = nnom_model_set_input_s8(model, k, values + at, (size_t)info.count);
        if (st != NNOM_OK) return st;
        at += info.count;
    }
    return NNOM_OK;
}

/* Values of one test input the model takes: the sum of its inputs' counts (-1 on an error). */
static int32_t model_input_bytes(const nnom_model *model)
{
    int32_t total = 0;
    for (int32_t k = 0; k < nnom_model_input_count(model); k++) {
        nnom_tensor_info info;
        if (nnom_model_input_info(model, k, &info) != NNOM_OK) return -1;
        total += info.count;
    }
    return total;
}

static void print_stat(const char *key, uint32_t value)
{
    fw_print(" ");
    fw_print(key);
    fw_print("=");
    fw_print_u32(value);
}

int main(void)
{
    nnom_pool_init(&pool, pool_memory, sizeof pool_memory);
    nnom_options options = NNOM_OPTIONS_INIT;
    options.allocator = &pool.allocator;
    options.tiling_max_extra_macs_percent = FW_TILING_PERCENT;
    options.plan_goal = FW_PLAN_GOAL;
    options.max_arena_bytes = FW_MAX_ARENA_BYTES;
    /* marks each layer for the instruction-count plugin; which layer each mark is, the host
     * lists (make_headers' NAME_layers.txt) */
    options.timer = fw_layer_timer;

    nnom_model *model;
    nnom_error err;
#ifdef FW_USER_OPS
    if (register_user_ops(&err) != NNOM_OK) return fail("user operators", err.message);
    options.op_registry = &user_ops;
#endif
    if (nnom_model_load(FW_MODEL_DATA, FW_MODEL_BYTES, &options, &model, &err) != NNOM_OK)
        return fail("load", err.message);
    const uint32_t model_ram = (uint32_t)nnom_pool_used(&pool);
    if (nnom_model_alloc_arena(model) != NNOM_OK) return fail("arena", nnom_model_last_error(model));

    /* the tiling, which must be the host's (make_headers writes the host's line; the arena itself
     * differs with the kernels' scratch, nnom_model_arena_size_for()) */
    nnom_tiling_info tiling = NNOM_TILING_INFO_INIT;
    if (nnom_model_tiling(model, &tiling) != NNOM_OK) return fail("tiling", nnom_model_last_error(model));
    fw_print("plan: tiled layers ");
    fw_print_i32(tiling.first_layer);
    fw_print("..");
    fw_print_i32(tiling.cut_layer);
    fw_print(" in ");
    fw_print_i32(tiling.tiles);
    fw_print(" tiles\n");

    if (model_input_bytes(model) != FW_TEST_INPUT_BYTES)
        return fail("inputs", "the inputs header does not fit the model's inputs");
    const int32_t n_outputs = nnom_model_output_count(model);

    int32_t correct = 0;
    for (int32_t i = 0; i < FW_TEST_COUNT; i++) {
        if (set_inputs(model, fw_test_inputs[i]) != NNOM_OK || nnom_model_run(model) != NNOM_OK)
            return fail("run", nnom_model_last_error(model));
        for (int32_t o = 0; o < n_outputs; o++) {
            nnom_tensor_info info;
            const int8_t *y = (const int8_t *)nnom_model_output_data(model, o);
            if (nnom_model_output_info(model, o, &info) != NNOM_OK || !y)
                return fail("output", nnom_model_last_error(model));
            print_output(i, o, y, info.count);
            if (o == 0) correct += is_correct(i, y, info.count);
        }
    }
#ifdef FW_TEST_LABELS
    fw_print("accuracy: ");
    fw_print_i32(correct);
    fw_print("/");
    fw_print_i32(FW_TEST_COUNT);
    fw_print("\n");
#else
    (void)correct;
#endif

    /* The measured region: inferences only, no I/O (test input 0 stays in place). */
    if (set_inputs(model, fw_test_inputs[0]) != NNOM_OK)
        return fail("run", nnom_model_last_error(model));
    int32_t status = 0;
    for (int32_t r = 0; r < FW_BENCH_RUNS; r++) {
        fw_bench_begin();
        status |= (int32_t)nnom_model_run(model);
        fw_bench_end();
    }
    if (status != 0) return fail("run", nnom_model_last_error(model));

    fw_print("stats:");
    print_stat("bench_runs", FW_BENCH_RUNS);
    print_stat("macs", (uint32_t)nnom_model_total_macs(model));
    print_stat("model_bytes", FW_MODEL_BYTES);
    print_stat("arena", (uint32_t)nnom_model_arena_size(model));
    print_stat("model_ram", model_ram);
    print_stat("stack", fw_stack_high_water());
    print_stat("stack_size", fw_stack_size());
    fw_print("\n");
    nnom_model_destroy(model);
    return 0;
}
