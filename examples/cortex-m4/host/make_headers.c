/*
 * Host side of the firmware check: writes, for one model, the headers the
 * firmware (examples/cortex-m4/main.c) is built from and the outputs the host
 * runtime gives, which the firmware must reproduce bit for bit.
 *
 *   make_headers cnn28 OUT_DIR COUNT
 *       the hand-built 28x28 CNN of examples/c/cnn28_model.c, on COUNT
 *       pseudo-random int8 images (fixed seed); also cnn28_taps, the same
 *       network with every layer's output a model output, to compare them all
 *   make_headers keras NAME MODEL.keras CALIB.npy X.npy Y.npy OUT_DIR COUNT
 *       a Keras model converted by nnom's tools (needs a build with tools),
 *       calibrated on the samples of CALIB.npy and run on the first COUNT
 *       samples of X.npy (Y.npy: their integer labels, or "-" for none); converted with
 *       dead-channel removal unless NNOM_KEEP_DEAD_CHANNELS=1 is in the environment.
 *       For a model of several inputs, CALIB and X name one .npy per input, joined by
 *       '+' (in0.npy+in1.npy). The user operators of examples/user_ops/weighted_diff_plugin.c,
 *       compiled in, are registered: a Keras Lambda or custom layer of their name converts
 *       to them (the firmware registers the same source)
 *   make_headers tflite NAME MODEL.tflite X.npy OUT_DIR COUNT
 *       an int8 .tflite model converted by nnom's tools, run on the first COUNT
 *       int8 samples of X.npy (the fixtures of Tests/fixtures/tflite, whose
 *       outputs test_tflite checks against TensorFlow Lite Micro's)
 *
 * Writes into OUT_DIR:
 *   NAME_weights.h    the .nnom bytes as `static const uint32_t NAME_model_data[]`,
 *                     NAME_MODEL_BYTES and NAME_load() (for Keras models:
 *                     nnom_converter_write_header() itself)
 *   NAME_inputs.h     the int8 test inputs (and labels), and an "nnom-layers:" line
 *                     naming the layer types the model uses; a test input is the
 *                     values of every model input, one after the other in the model's order
 *   NAME_expected.txt the host runtime's outputs, in the firmware's "output <i>.<o>: ..." format
 *   NAME_layers.txt   the layers the runtime times, in run order, for the benchmark's per-layer split
 * The expected outputs come from a model loaded from the very bytes the header holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnom/nnom.h"
#ifdef NNOM_HAS_TOOLS
#include "nnom/tools.h"
#endif
#include "cnn28_model.h"

static int die(const char *what, const char *message)
{
    fprintf(stderr, "make_headers: %s: %s\n", what, message);
    return 1;
}

/* Outputs longer than this are compared by CRC-32, as main.c prints them. */
#define PRINT_MAX 256
/* Most model inputs a test input may feed (X.npy files joined by '+'). */
#define MAX_MODEL_INPUTS 4
/* Room for the user operators of the models converted here. */
#define MAX_USER_OPS 8

/* The user operators of examples/user_ops/weighted_diff_plugin.c, compiled into this program. */
const nnom_user_op *const *nnom_plugin_ops(int32_t *count);

/* The registry of those operators, which every model here is created and loaded with. */
static nnom_op_registry user_ops;

static int register_user_ops(void)
{
    static const nnom_user_op *slots[MAX_USER_OPS];
    nnom_op_registry_init(&user_ops, slots, MAX_USER_OPS);
    int32_t n = 0;
    const nnom_user_op *const *ops = nnom_plugin_ops(&n);
    for (int32_t i = 0; i < n; i++) {
        nnom_error err;
        if (nnom_register_op(&user_ops, ops[i], &err) != NNOM_OK) return die("user operator", err.message);
    }
    return 0;
}

/* Loading options with the user operators. */
static nnom_options with_user_ops(void)
{
    nnom_options options = NNOM_OPTIONS_INIT;
    options.op_registry = &user_ops;
    return options;
}

/* Sets the model's inputs from one test input: every input's values, one after the other. */
static nnom_status set_inputs_s8(nnom_model *m, const int8_t *values)
{
    size_t at = 0;
    for (int32_t k = 0; k < nnom_model_input_count(m); k++) {
        nnom_tensor_info info;
        nnom_status st = nnom_model_input_info(m, k, &info);
        if (st == NNOM_OK) st = nnom_model_set_input_s8(m, k, values + at, (size_t)info.count);
        if (st != NNOM_OK) return st;
        at += (size_t)info.count;
    }
    return NNOM_OK;
}

/* Values of one test input: the sum of the model's input counts. */
static int32_t test_input_count(const nnom_model *m)
{
    int32_t total = 0;
    for (int32_t k = 0; k < nnom_model_input_count(m); k++) {
        nnom_tensor_info info;
        if (nnom_model_input_info(m, k, &info) == NNOM_OK) total += info.count;
    }
    return total;
}


static FILE *open_out(const char *dir, const char *name, const char *suffix)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix);
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "make_headers: cannot create %s\n", path);
    return f;
}

/* The same layout as nnom_converter_write_header(), for a model built through the C API. */
static int write_weights_header(const char *dir, const char *name, const uint8_t *bytes, size_t size,
                                const nnom_model *m)
{
    char upper[64];
    size_t n = strlen(name);
    if (n >= sizeof upper) return die("name", "too long");
    for (size_t k = 0; k <= n; k++) upper[k] = (name[k] >= 'a' && name[k] <= 'z') ? (char)(name[k] - 32) : name[k];
    FILE *f = open_out(dir, name, "_weights.h");
    if (!f) return 1;
    const size_t words = (size + 3) / 4;
    fprintf(f,
            "/*\n * %s_weights.h: the int8 model '%s' for nnom firmware.\n *\n"
            " * Generated by examples/cortex-m4/host/make_headers (nnom %s) from a model built through\n"
            " * the nnom C API. Do not edit: Tests/firmware/run.sh regenerates it.\n *\n"
            " * %zu bytes of .nnom model, an arena of %zu bytes, %llu multiply-accumulates per inference.\n */\n",
            name, name, nnom_version_string(), size, nnom_model_arena_size(m),
            (unsigned long long)nnom_model_total_macs(m));
    fprintf(f, "#ifndef %s_NNOM_MODEL_H\n#define %s_NNOM_MODEL_H\n\n#include <stdint.h>\n#include \"nnom/nnom.h\"\n\n",
            upper, upper);
    fprintf(f, "#define %s_MODEL_BYTES %zu\n#define %s_ARENA_BYTES %zu\n\n", upper, size, upper,
            nnom_model_arena_size(m));
    fprintf(f, "static const uint32_t %s_model_data[%zu] = {\n", name, words);
    for (size_t w = 0; w < words; w++) {
        uint32_t v = 0;
        for (size_t b = 0; b < 4 && w * 4 + b < size; b++) v |= (uint32_t)bytes[w * 4 + b] << (8 * b);
        fprintf(f, "%s0x%08lx,%s", w % 8 ? " " : "    ", (unsigned long)v, w % 8 == 7 || w + 1 == words ? "\n" : "");
    }
    fprintf(f, "};\n\n");
    fprintf(f,
            "static inline nnom_status %s_load(const nnom_options *options, nnom_model **out, nnom_error *err)\n"
            "{\n    return nnom_model_load(%s_model_data, %s_MODEL_BYTES, options, out, err);\n}\n\n",
            name, name, upper);
    fprintf(f, "#endif\n");
    return fclose(f) != 0;
}

/* Writes NAME_inputs.h from count int8 inputs of in_count values each (labels may be NULL). */
static int write_inputs_header(const char *dir, const char *name, const nnom_model *m, const int8_t *inputs,
                               int32_t count, int32_t in_count, const int32_t *labels)
{
    FILE *f = open_out(dir, name, "_inputs.h");
    if (!f) return 1;
    fprintf(f, "/*\n * %s_inputs.h: int8 test inputs of the model '%s' for the nnom firmware.\n"
               " * Generated by examples/cortex-m4/host/make_headers; do not edit.\n *\n * nnom-layers:",
            name, name);
    const char *seen[64];
    int n_seen = 0, pairs = 0;
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        if (nnom_model_layer_info(m, i, &info) != NNOM_OK) continue;
        int known = 0;
        for (int k = 0; k < n_seen; k++) known |= !strcmp(seen[k], info.type_name);
        if (!known && n_seen < 64) {
            seen[n_seen++] = info.type_name;
            fprintf(f, " %s", info.type_name);
        }
        /* (a convolution in channel pairs: its kernels as well, once, as nnom's own weights.h lists them) */
        pairs |= (info.type == NNOM_LAYER_CONV1D || info.type == NNOM_LAYER_CONV2D) &&
                 (info.params.cell_flags & NNOM_CONV_CHANNEL_PAIRS);
    }
    if (pairs) fputs(" conv_channel_pairs", f);
    fprintf(f, "\n */\n#include <stdint.h>\n\n#define FW_TEST_COUNT %d\n#define FW_TEST_INPUT_BYTES %d\n\n", (int)count,
            (int)in_count);
    fprintf(f, "static const int8_t fw_test_inputs[%d][%d] = {\n", (int)count, (int)in_count);
    for (int32_t i = 0; i < count; i++) {
        fprintf(f, "    {");
        for (int32_t k = 0; k < in_count; k++)
            fprintf(f, "%s%d%s", k % 24 ? " " : "\n        ", inputs[(size_t)i * in_count + k], k + 1 < in_count ? "," : "");
        fprintf(f, "},\n");
    }
    fprintf(f, "};\n");
    if (labels) {
        fprintf(f, "\n#define FW_TEST_LABELS 1\nstatic const uint8_t fw_test_labels[%d] = {", (int)count);
        for (int32_t i = 0; i < count; i++) fprintf(f, "%s%d,", i % 32 ? " " : "\n    ", (int)labels[i]);
        fprintf(f, "\n};\n");
    }
    return fclose(f) != 0;
}

static int is_windowed(nnom_layer_type type)
{
    return type == NNOM_LAYER_CONV1D || type == NNOM_LAYER_CONV2D || type == NNOM_LAYER_DEPTHWISE_CONV1D ||
           type == NNOM_LAYER_DEPTHWISE_CONV2D;
}

/* A timer hook that ticks once per call: a layer the runtime times gets one tick per run. */
static uint32_t tick_timer(void *ctx)
{
    uint32_t *ticks = (uint32_t *)ctx;
    return (*ticks)++;
}

/* One line of NAME_layers.txt for layer @p i, the @p slot-th timed call; @p macs 0 for a tiled
 * layer's calls after its first tile (its MACs count once per inference). */
static void write_layer_line(FILE *f, nnom_model *m, const nnom_converter *c, int32_t i, int32_t slot, int count_macs)
{
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    if (nnom_model_layer_info(m, i, &info) != NNOM_OK) return;
    const char *kind = c ? nnom_converter_layer_type_name(c, i) : info.type_name;
    fprintf(f, "layer %d %s", (int)slot, kind ? kind : info.type_name);
    if (kind == info.type_name && is_windowed(info.type)) {
        const int32_t stride = info.params.stride[1] > 1 ? info.params.stride[1] : info.params.stride[0];
        fprintf(f, "_%dx%d", (int)info.params.kernel[0], (int)info.params.kernel[1]);
        if (stride > 1) fprintf(f, "_s%d", (int)stride);
    }
    fprintf(f, " macs=%llu name=%s\n", count_macs ? (unsigned long long)info.macs : 0ull, info.name);
}

/* Timer calls layer @p i made in the runs since the last reset (with the tick timer, one per call; with the
 * slot timer, one if it made call slot->target). */
static uint32_t timed_calls(nnom_model *m, int32_t i)
{
    nnom_layer_stats stats;
    return nnom_model_layer_stats(m, i, &stats) == NNOM_OK ? (uint32_t)stats.time_us : 0;
}

/* A timer hook whose time advances by one at the second timer call of the target-th timed layer call
 * only: after one run, the layer that made that call has a time of 1, every other 0. */
typedef struct {
    uint32_t calls, target;
} slot_timer_ctx;

static uint32_t slot_timer(void *ctx)
{
    slot_timer_ctx *t = (slot_timer_ctx *)ctx;
    return t->calls++ > 2 * t->target ? 1u : 0u;
}

/*
 * Writes NAME_layers.txt: "layer <k> <kind> macs=<n> name=<name>" for the k-th call the runtime
 * times (the layers it runs, in run order; the firmware's timer hook marks the same calls for the
 * instruction-count plugin). A tiled stage runs its layers once per tile, first..cut in each, but a
 * tile may skip a layer (a band keeping rows needs none new in the last tiles; a warm-up tile runs no
 * cut), so the layer of each call is found by running the model once per call with a timer that
 * times that call only (slot_timer). A layer's MACs are on the line of its first call. Convolutions'
 * kinds carry window and stride: conv2d_3x3_s2. With the converter @p c (NULL for a model built by
 * hand), kinds are the types its reports name (a Dense on a sequence: dense, not conv1d_1x1).
 */
static int write_layers(const char *dir, const char *name, const uint8_t *bytes, size_t size,
                        const nnom_converter *c)
{
    uint32_t ticks = 0;
    nnom_options options = with_user_ops();
    options.timer = tick_timer;
    options.timer_ctx = &ticks;
    nnom_model *m;
    nnom_error err;
    if (nnom_model_load(bytes, size, &options, &m, &err) != NNOM_OK) return die("load", err.message);
    if (nnom_model_alloc_arena(m) != NNOM_OK || nnom_model_run(m) != NNOM_OK) return die("run", nnom_model_last_error(m));
    const uint32_t slots = ticks / 2; /* two timer calls per timed layer call */
    nnom_model_destroy(m);
    slot_timer_ctx st = {0, 0};
    options.timer = slot_timer;
    options.timer_ctx = &st;
    if (nnom_model_load(bytes, size, &options, &m, &err) != NNOM_OK) return die("load", err.message);
    if (nnom_model_alloc_arena(m) != NNOM_OK) return die("arena", nnom_model_last_error(m));
    FILE *f = open_out(dir, name, "_layers.txt");
    if (!f) return 1;
    const int32_t n = nnom_model_layer_count(m);
    uint8_t *seen = (uint8_t *)calloc((size_t)n, 1);
    if (!seen) return die("layers", "out of memory");
    for (uint32_t slot = 0; slot < slots; slot++) {
        st.calls = 0;
        st.target = slot;
        nnom_model_reset_stats(m);
        if (nnom_model_run(m) != NNOM_OK) return die("run", nnom_model_last_error(m));
        int32_t layer = -1;
        for (int32_t i = 0; i < n && layer < 0; i++)
            if (timed_calls(m, i) > 0) layer = i;
        if (layer < 0) return die("layers", "a timed call made by no layer");
        write_layer_line(f, m, c, layer, (int32_t)slot, !seen[layer]);
        seen[layer] = 1;
    }
    free(seen);
    nnom_model_destroy(m);
    return fclose(f) != 0;
}

/* Runs the model on every input and writes every output as the firmware prints it. */
static int write_expected(const char *dir, const char *name, nnom_model *m, const int8_t *inputs, int32_t count,
                          int32_t in_count)
{
    FILE *f = open_out(dir, name, "_expected.txt");
    if (!f) return 1;
    nnom_tiling_info tiling = NNOM_TILING_INFO_INIT;
    if (nnom_model_tiling(m, &tiling) != NNOM_OK) {
        fclose(f);
        return die("tiling", nnom_model_last_error(m));
    }
    fprintf(f, "plan: tiled layers %d..%d in %d tiles\n", (int)tiling.first_layer, (int)tiling.cut_layer,
            (int)tiling.tiles);
    for (int32_t i = 0; i < count; i++) {
        if (set_inputs_s8(m, inputs + (size_t)i * in_count) != NNOM_OK || nnom_model_run(m) != NNOM_OK) {
            fclose(f);
            return die("run", nnom_model_last_error(m));
        }
        for (int32_t o = 0; o < nnom_model_output_count(m); o++) {
            nnom_tensor_info info;
            const int8_t *y = (const int8_t *)nnom_model_output_data(m, o);
            if (nnom_model_output_info(m, o, &info) != NNOM_OK || !y) {
                fclose(f);
                return die("output", nnom_model_last_error(m));
            }
            fprintf(f, "output %d.%d:", (int)i, (int)o);
            if (info.count > PRINT_MAX) {
                fprintf(f, " crc32=%08lx count=%d", (unsigned long)nnom_crc32(0, y, (size_t)info.count),
                        (int)info.count);
            } else {
                for (int32_t k = 0; k < info.count; k++) fprintf(f, " %d", y[k]);
            }
            fprintf(f, "\n");
        }
    }
    return fclose(f) != 0;
}

/*
 * A copy of @p src in which every layer's output is also a model output (in
 * layer order; the original OUTPUT layers are dropped as they would repeat
 * one). Comparing all of them checks every layer, not only the last. The copy
 * reads its weights from @p src, which must outlive it.
 */
static int with_every_layer_as_output(const nnom_model *src, nnom_model **out)
{
    nnom_model *m;
    nnom_error err;
    if (nnom_model_create(NNOM_DTYPE_S8, NULL, &m, &err) != NNOM_OK) return die("create", err.message);
    int32_t map[1024];
    const int32_t n = nnom_model_layer_count(src);
    if (n > 1024) return die("taps", "too many layers");
    for (int32_t i = 0; i < n; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        nnom_layer_desc d;
        nnom_layer_desc_init(&d);
        if (nnom_model_layer_info(src, i, &info) != NNOM_OK || nnom_model_layer_blobs(src, i, d.blobs) != NNOM_OK)
            return die("taps", "cannot read a layer");
        nnom_status st = NNOM_OK;
        if (info.type == NNOM_LAYER_INPUT) {
            st = nnom_model_add_input(m, info.name, info.shape, info.quant, &map[i]);
        } else if (info.type == NNOM_LAYER_OUTPUT) {
            map[i] = map[info.inputs[0]];
            continue;
        } else {
            d.type = info.type;
            d.name = info.name;
            d.n_inputs = info.n_inputs;
            for (int32_t k = 0; k < info.n_inputs; k++) d.inputs[k] = map[info.inputs[k]];
            d.params = info.params;
            d.quant = info.quant;
            st = nnom_model_add_layer(m, &d, &map[i]);
        }
        if (st != NNOM_OK) return die("taps", nnom_model_last_error(m));
        char tap[NNOM_NAME_MAX];
        snprintf(tap, sizeof tap, "%.*s_out", NNOM_NAME_MAX - 5, info.name);
        nnom_layer_desc_init(&d);
        d.type = NNOM_LAYER_OUTPUT;
        d.name = tap;
        d.n_inputs = 1;
        d.inputs[0] = map[i];
        d.quant = info.quant;
        if (nnom_model_add_layer(m, &d, NULL) != NNOM_OK) return die("taps", nnom_model_last_error(m));
    }
    if (nnom_model_compile(m) != NNOM_OK) return die("taps", nnom_model_last_error(m));
    *out = m;
    return 0;
}

/* Serialises m and loads the bytes back: the host model the firmware is compared with. */
static int save_and_reload(nnom_model *m, uint8_t **bytes, size_t *size, nnom_model **loaded)
{
    if (nnom_model_save(m, NULL, 0, size) != NNOM_OK) return die("save", nnom_model_last_error(m));
    *bytes = malloc(*size);
    if (!*bytes || nnom_model_save(m, *bytes, *size, size) != NNOM_OK) return die("save", nnom_model_last_error(m));
    nnom_error err;
    const nnom_options options = with_user_ops();
    if (nnom_model_load(*bytes, *size, &options, loaded, &err) != NNOM_OK) return die("load", err.message);
    if (nnom_model_alloc_arena(*loaded) != NNOM_OK) return die("arena", nnom_model_last_error(*loaded));
    return 0;
}

/* Writes the three files of model @p name, from a model built through the API. */
static int emit_built(const char *dir, const char *name, nnom_model *built, const int8_t *inputs, int32_t count,
                      int32_t in_count)
{
    uint8_t *bytes;
    size_t size;
    nnom_model *m;
    if (save_and_reload(built, &bytes, &size, &m)) return 1;
    const int rc = write_weights_header(dir, name, bytes, size, m) ||
                   write_inputs_header(dir, name, m, inputs, count, in_count, NULL) ||
                   write_expected(dir, name, m, inputs, count, in_count) ||
                   write_layers(dir, name, bytes, size, NULL);
    nnom_model_destroy(m);
    free(bytes);
    return rc;
}

/* cnn28 (the model as built) and cnn28_taps (every layer an output), on the same inputs. */
static int make_cnn28(const char *dir, int32_t count)
{
    nnom_model *built, *taps;
    nnom_error err;
    if (cnn28_build(NULL, &built, &err) != NNOM_OK) return die("cnn28", err.message);
    const int32_t in_count = 28 * 28;
    int8_t *inputs = malloc((size_t)count * in_count);
    if (!inputs) return die("memory", "out of memory");
    uint32_t rng = 2024u;
    for (int32_t i = 0; i < count; i++) {
        for (int32_t k = 0; k < in_count; k++) {
            rng = rng * 1664525u + 1013904223u;
            /* a disc of growing size on noise, so that the activations are not all saturated */
            const int32_t y = k / 28 - 14, x = k % 28 - 14, r2 = x * x + y * y;
            const int32_t noise = (int32_t)(rng >> 24) - 128;
            const int32_t v = (r2 < 40 + 8 * (i % 8) ? 90 : -110) + noise / 3;
            inputs[(size_t)i * in_count + k] = (int8_t)(v > 127 ? 127 : (v < -128 ? -128 : v));
        }
    }
    int rc = emit_built(dir, "cnn28", built, inputs, count, in_count);
    if (!rc) rc = with_every_layer_as_output(built, &taps);
    if (!rc) {
        rc = emit_built(dir, "cnn28_taps", taps, inputs, count, in_count);
        nnom_model_destroy(taps);
    }
    free(inputs);
    nnom_model_destroy(built);
    return rc;
}

#ifdef NNOM_HAS_TOOLS
/*
 * Reads "a.npy" or "a.npy+b.npy+...", one array per model input, into @p arrays (*@p n of them); every
 * array has the same number of samples. @p what names the argument in messages.
 */
static int read_input_arrays(const char *spec, const char *what, nnom_array *arrays, int *n)
{
    char paths[1024];
    if (strlen(spec) >= sizeof paths) return die(what, "path too long");
    strcpy(paths, spec);
    *n = 0;
    for (char *p = strtok(paths, "+"); p; p = strtok(NULL, "+")) {
        nnom_error err;
        if (*n == MAX_MODEL_INPUTS) return die(what, "more .npy files than model inputs this program handles");
        if (nnom_npy_read(p, &arrays[*n], &err) != NNOM_OK) return die(p, err.message);
        if (arrays[*n].rank < 1 || (*n > 0 && arrays[*n].dims[0] != arrays[0].dims[0]))
            return die(p, "not a batch of as many samples as the first .npy");
        (*n)++;
    }
    return *n ? 0 : die(what, "no .npy file named");
}

/* Sample s of every array, one after the other, into @p out (the sum of the arrays' sample sizes). */
static void join_sample(const nnom_array *arrays, int n, int64_t s, float *out)
{
    for (int k = 0; k < n; k++) {
        const int64_t per = arrays[k].count / arrays[k].dims[0];
        memcpy(out, arrays[k].data + s * per, (size_t)per * sizeof(float));
        out += per;
    }
}

static int64_t sample_size(const nnom_array *arrays, int n)
{
    int64_t total = 0;
    for (int k = 0; k < n; k++) total += arrays[k].count / arrays[k].dims[0];
    return total;
}

static void free_arrays(nnom_array *arrays, int n)
{
    for (int k = 0; k < n; k++) nnom_array_free(&arrays[k]);
}

static int make_keras(const char *name, const char *model_path, const char *calib_path, const char *x_path,
                      const char *y_path, const char *dir, int32_t count)
{
    nnom_error err;
    nnom_array calib[MAX_MODEL_INPUTS], x[MAX_MODEL_INPUTS], y;
    int n_calib = 0, n_x = 0;
    const int has_labels = strcmp(y_path, "-") != 0; /* "-": no labels, outputs only */
    memset(&y, 0, sizeof y);
    if (read_input_arrays(calib_path, "CALIB", calib, &n_calib) || read_input_arrays(x_path, "X", x, &n_x)) return 1;
    if (has_labels && nnom_npy_read(y_path, &y, &err) != NNOM_OK) return die(y_path, err.message);
    if (x[0].dims[0] < count || (has_labels && y.count < count)) return die(x_path, "fewer samples than asked for");
    const int64_t sample = sample_size(x, n_x);
    if (n_calib != n_x || sample_size(calib, n_calib) != sample)
        return die(calib_path, "samples of another size than X's");
    const int64_t n_cal = calib[0].dims[0];
    float *cal = malloc((size_t)(n_cal * sample) * sizeof(float)), *one = malloc((size_t)sample * sizeof(float));
    if (!cal || !one) return die("memory", "out of memory");
    for (int64_t s = 0; s < n_cal; s++) join_sample(calib, n_calib, s, cal + s * sample);
    nnom_converter *c;
    nnom_quantize_options options;
    nnom_quantize_options_init(&options);
    const char *keep = getenv("NNOM_KEEP_DEAD_CHANNELS"); /* "1": convert without dead-channel removal */
    options.keep_dead_channels = keep && !strcmp(keep, "1");
    if (nnom_keras_read_with_ops(model_path, &user_ops, &c, &err) != NNOM_OK) return die(model_path, err.message);
    if (nnom_converter_quantize(c, cal, (size_t)n_cal, &options) != NNOM_OK)
        return die(model_path, nnom_converter_last_error(c));
    free(cal);
    int32_t pruned_layers;
    const int32_t pruned = nnom_converter_removed_channels(c, &pruned_layers);
    if (pruned) fprintf(stderr, "make_headers: %s: %d all-zero output channels removed from %d layers\n", name,
                        (int)pruned, (int)pruned_layers);
    if (nnom_converter_folded_paddings(c))
        fprintf(stderr, "make_headers: %s: %d zero paddings folded into convolutions\n", name,
                (int)nnom_converter_folded_paddings(c));
    char path[1024];
    snprintf(path, sizeof path, "%s/%s_weights.h", dir, name);
    if (nnom_converter_write_header(c, path, name) != NNOM_OK) return die("header", nnom_converter_last_error(c));
    uint8_t *bytes;
    size_t size;
    nnom_model *m;
    if (save_and_reload(nnom_converter_int8_model(c), &bytes, &size, &m)) return 1;
    const int32_t in_count = test_input_count(m);
    if (nnom_model_input_count(m) != n_x || in_count != sample)
        return die(x_path, "samples do not match the model's inputs");
    /* the int8 inputs are the float samples quantised by the runtime itself */
    int8_t *inputs = malloc((size_t)count * (size_t)in_count);
    int32_t *labels = malloc((size_t)count * sizeof *labels);
    if (!inputs || !labels) return die("memory", "out of memory");
    for (int32_t i = 0; i < count; i++) {
        join_sample(x, n_x, i, one);
        int8_t *to = inputs + (size_t)i * (size_t)in_count;
        const float *from = one;
        for (int32_t k = 0; k < nnom_model_input_count(m); k++) {
            nnom_tensor_info in;
            if (nnom_model_input_info(m, k, &in) != NNOM_OK ||
                nnom_model_set_input_f32(m, k, from, (size_t)in.count) != NNOM_OK)
                return die("input", nnom_model_last_error(m));
            memcpy(to, nnom_model_input_data(m, k), (size_t)in.count);
            to += in.count;
            from += in.count;
        }
        labels[i] = has_labels ? (int32_t)y.data[i] : 0;
    }
    int rc = write_inputs_header(dir, name, m, inputs, count, in_count, has_labels ? labels : NULL) ||
             write_expected(dir, name, m, inputs, count, in_count) || write_layers(dir, name, bytes, size, c);
    free(one);
    free(inputs);
    free(labels);
    free(bytes);
    nnom_model_destroy(m);
    nnom_converter_destroy(c);
    free_arrays(calib, n_calib);
    free_arrays(x, n_x);
    if (has_labels) nnom_array_free(&y);
    return rc;
}

static int make_tflite(const char *name, const char *model_path, const char *x_path, const char *dir, int32_t count)
{
    nnom_error err;
    nnom_array x;
    if (nnom_npy_read(x_path, &x, &err) != NNOM_OK) return die(x_path, err.message);
    if (x.rank < 1 || x.dims[0] < count) return die(x_path, "fewer samples than asked for");
    const int64_t sample = x.count / x.dims[0];
    nnom_converter *c;
    if (nnom_convert_tflite(model_path, &c, &err) != NNOM_OK) return die(model_path, err.message);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s_weights.h", dir, name);
    if (nnom_converter_write_header(c, path, name) != NNOM_OK) return die("header", nnom_converter_last_error(c));
    uint8_t *bytes;
    size_t size;
    nnom_model *m;
    if (save_and_reload(nnom_converter_int8_model(c), &bytes, &size, &m)) return 1;
    nnom_tensor_info in;
    if (nnom_model_input_info(m, 0, &in) != NNOM_OK || in.count != sample)
        return die(x_path, "samples do not match the model's input");
    int8_t *inputs = malloc((size_t)count * (size_t)in.count);
    if (!inputs) return die("memory", "out of memory");
    for (int64_t k = 0; k < (int64_t)count * in.count; k++) inputs[k] = (int8_t)x.data[k]; /* already int8 */
    int rc = write_inputs_header(dir, name, m, inputs, count, in.count, NULL) ||
             write_expected(dir, name, m, inputs, count, in.count) || write_layers(dir, name, bytes, size, c);
    free(inputs);
    free(bytes);
    nnom_model_destroy(m);
    nnom_converter_destroy(c);
    nnom_array_free(&x);
    return rc;
}
#endif

int main(int argc, char **argv)
{
    if (register_user_ops()) return 1;
    if (argc == 4 && !strcmp(argv[1], "cnn28")) return make_cnn28(argv[2], atoi(argv[3]));
#ifdef NNOM_HAS_TOOLS
    if (argc == 9 && !strcmp(argv[1], "keras"))
        return make_keras(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7], atoi(argv[8]));
    if (argc == 7 && !strcmp(argv[1], "tflite")) return make_tflite(argv[2], argv[3], argv[4], argv[5], atoi(argv[6]));
#endif
    fprintf(stderr, "usage: make_headers cnn28 OUT_DIR COUNT\n"
                    "       make_headers keras NAME MODEL.keras CALIB.npy[+CALIB1.npy...] X.npy[+X1.npy...] Y.npy OUT_DIR COUNT\n"
                    "            (tools build)\n"
                    "       make_headers tflite NAME MODEL.tflite X.npy OUT_DIR COUNT (tools build)\n");
    return 2;
}
