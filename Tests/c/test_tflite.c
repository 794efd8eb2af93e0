/*
 * The .tflite importer: every fixture of Tests/fixtures/tflite (made by
 * make_tflite.py: Keras models quantised by TensorFlow, outputs computed by
 * TensorFlow Lite Micro) converted and run by nnom must give TFLite Micro's
 * int8 outputs bit for bit on every sample. Then bad input: truncated files,
 * offsets and indices out of range, a vector running past the end, a float
 * model, int16 activations, an unsupported operator, each a clear error; and a random
 * corruption loop that must never crash (run it under ASan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnom/nnom.h"
#include "nnom/tools.h"
#include "test_util.h"
#include "tflite/flatbuf.h"

#define FIXTURES NNOM_FIXTURES_DIR "/tflite/"
#define CORRUPTION_ROUNDS 3000

static const char *const MODELS[] = {
    "conv_pool", "depthwise_mean", "add_relu", "activations", "mul_sub", "pad_dilated",
    "resize_crop", "conv1d", "dilated", "transpose_conv", "se_block",
    /* RELU_N1_TO_1 fused into CONV_2D, PADV2, SLICE, FULLY_CONNECTED without bias and on rows (keep_num_dims),
     * ADD / SUB / MUL broadcasting computed and constant operands, TRANSPOSE of a unit axis, STRIDED_SLICE shrinking
     * an axis */
    "pad_slice_fc", "fc_rows", "broadcast", "const_arith", "transpose_unit", "slice_shrink", "transpose",
    /* UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite's integer LSTM): the last step through a Dense; every step; two stacked */
    "lstm_last", "lstm_seq", "lstm_stack",
    "digits_mlp", "digits_cnn_bn", "digits_residual_concat",
    /* one operator on the model input; the last sample holds every int8 value */
    "op_logistic", "op_tanh", "op_leaky_relu", "op_relu", "op_relu6", "op_hard_swish", "op_softmax", "op_prelu",
    "op_relu_n1_to_1", /* TFLite Micro has no RELU_N1_TO_1 (see TFLITE_REFERENCE) */
};

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    TU_REQUIRE(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = (uint8_t *)malloc((size_t)n + 1);
    TU_REQUIRE(b && fread(b, 1, (size_t)n, f) == (size_t)n, "cannot read %s", path);
    fclose(f);
    *size = (size_t)n;
    return b;
}

/* The bytes of fixture NAME.tflite. */
static uint8_t *read_fixture(const char *name, size_t *size)
{
    char path[512];
    snprintf(path, sizeof path, FIXTURES "%s.tflite", name);
    return read_file(path, size);
}

/* Fixtures whose outputs come from TensorFlow Lite's reference kernels: operators TFLite Micro lacks. */
static const char *const TFLITE_REFERENCE[] = {"op_relu_n1_to_1"};

/* Converts, saves as .nnom, reloads the bytes (what firmware gets) and compares every sample. */
static void check_model(const char *name)
{
    const char *peer = "TFLite Micro";
    for (size_t i = 0; i < sizeof TFLITE_REFERENCE / sizeof TFLITE_REFERENCE[0]; i++)
        if (strcmp(name, TFLITE_REFERENCE[i]) == 0) peer = "TFLite (reference kernels)";
    char path[512], in_path[512], out_path[512];
    snprintf(path, sizeof path, FIXTURES "%s.tflite", name);
    snprintf(in_path, sizeof in_path, FIXTURES "%s.input.npy", name);
    snprintf(out_path, sizeof out_path, FIXTURES "%s.output.npy", name);
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st = nnom_convert_tflite(path, &c, &err);
    TU_CHECK(st == NNOM_OK, "%s: %s", name, err.message);
    if (st != NNOM_OK) return;

    /* the model as saved: the .nnom file loaded back */
    char nnom_path[512];
    snprintf(nnom_path, sizeof nnom_path, "test_tflite_%s.nnom", name);
    TU_REQUIRE(nnom_converter_save(c, nnom_path) == NNOM_OK, "%s", nnom_converter_last_error(c));
    size_t size;
    uint8_t *bytes = read_file(nnom_path, &size);
    remove(nnom_path);
    nnom_model *m = NULL;
    TU_REQUIRE(nnom_model_load(bytes, size, NULL, &m, &err) == NNOM_OK, "%s: %s", name, err.message);
    TU_OK(m, nnom_model_alloc_arena(m));

    nnom_array x, y;
    TU_REQUIRE(nnom_npy_read(in_path, &x, &err) == NNOM_OK, "%s", err.message);
    TU_REQUIRE(nnom_npy_read(out_path, &y, &err) == NNOM_OK, "%s", err.message);
    const int64_t n = x.dims[0], in_count = x.count / n, out_count = y.count / n;
    nnom_tensor_info ii, oi;
    TU_OK(m, nnom_model_input_info(m, 0, &ii));
    TU_OK(m, nnom_model_output_info(m, 0, &oi));
    TU_REQUIRE(ii.count == in_count && oi.count == out_count && y.dims[0] == n,
               "%s: nnom takes %d values and gives %d, the fixture has %lld and %lld", name, (int)ii.count,
               (int)oi.count, (long long)in_count, (long long)out_count);
    int8_t *xi = (int8_t *)malloc((size_t)in_count), *yo = (int8_t *)malloc((size_t)out_count);
    int64_t mismatches = 0, samples_off = 0;
    for (int64_t s = 0; s < n; s++) {
        for (int64_t k = 0; k < in_count; k++) xi[k] = (int8_t)x.data[s * in_count + k];
        TU_OK(m, nnom_model_set_input_s8(m, 0, xi, (size_t)in_count));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_s8(m, 0, yo, (size_t)out_count));
        int64_t off = 0;
        for (int64_t k = 0; k < out_count; k++)
            if (yo[k] != (int8_t)y.data[s * out_count + k]) {
                if (mismatches < 5)
                    fprintf(stderr, "%s sample %lld output %lld: nnom %d, %s %d\n", name, (long long)s,
                            (long long)k, yo[k], peer, (int)y.data[s * out_count + k]);
                off++;
            }
        mismatches += off;
        samples_off += off != 0;
    }
    TU_CHECK(mismatches == 0, "%s: %lld of %lld outputs differ from %s, in %lld of %lld samples", name,
             (long long)mismatches, (long long)(n * out_count), peer, (long long)samples_off, (long long)n);
    printf("%-24s %3lld samples x %3lld outputs: %s%s\n", name, (long long)n, (long long)out_count,
           mismatches ? "DIFFERENT from " : "bit-exact with ", peer);
    free(xi);
    free(yo);
    nnom_array_free(&x);
    nnom_array_free(&y);
    nnom_model_destroy(m);
    free(bytes);
    nnom_converter_destroy(c);
}

/* float32 input and output (QUANTIZE first, DEQUANTIZE last): nnom quantises the float inputs itself
 * (nnom_model_set_input_f32) and its int8 outputs must be TFLite Micro's float outputs in output steps
 * (y = scale (q - zp) exactly recovers q). */
static void check_float_io(void)
{
    nnom_converter *c = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_convert_tflite(FIXTURES "float_io.tflite", &c, &err) == NNOM_OK, "%s", err.message);
    nnom_model *m = nnom_converter_int8_model(c);
    TU_OK(m, nnom_model_alloc_arena(m));
    nnom_array x, y;
    TU_REQUIRE(nnom_npy_read(FIXTURES "float_io.input.npy", &x, &err) == NNOM_OK, "%s", err.message);
    TU_REQUIRE(nnom_npy_read(FIXTURES "float_io.output.npy", &y, &err) == NNOM_OK, "%s", err.message);
    const int64_t n = x.dims[0], in_count = x.count / n, out_count = y.count / n;
    nnom_tensor_info oi;
    TU_OK(m, nnom_model_output_info(m, 0, &oi));
    TU_REQUIRE(oi.count == out_count, "outputs: %d, fixture %lld", (int)oi.count, (long long)out_count);
    int8_t yo[64];
    int64_t differ = 0;
    for (int64_t s = 0; s < n; s++) {
        TU_OK(m, nnom_model_set_input_f32(m, 0, x.data + s * in_count, (size_t)in_count));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_s8(m, 0, yo, (size_t)out_count));
        for (int64_t k = 0; k < out_count; k++) {
            const double steps = (double)y.data[s * out_count + k] / (double)oi.quant.scale;
            const int64_t q = tu_round_away(steps) + oi.quant.zero_point;
            differ += yo[k] != q;
        }
    }
    TU_CHECK(differ == 0, "float_io: %lld outputs differ from TFLite Micro's", (long long)differ);
    printf("%-24s %3lld samples x %3lld outputs: %s\n", "float_io", (long long)n, (long long)out_count,
           differ ? "DIFFERENT" : "bit-exact with TFLite Micro (float input and output)");
    nnom_array_free(&x);
    nnom_array_free(&y);
    nnom_converter_destroy(c);
}

/* Expects conversion of @p bytes to fail with a message containing @p expect. */
static void expect_error(const uint8_t *bytes, size_t size, const char *expect, const char *what)
{
    nnom_converter *c = NULL;
    nnom_error err;
    memset(&err, 0, sizeof err);
    nnom_status st = nnom_convert_tflite_bytes(bytes, size, NULL, &c, &err);
    TU_CHECK(st != NNOM_OK && c == NULL, "%s: accepted", what);
    TU_CHECK(strstr(err.message, expect) != NULL, "%s: message '%s' lacks '%s'", what, err.message, expect);
    nnom_converter_destroy(c);
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Position of the offset of field @p id of the table at @p table (0 if absent), read independently of the reader. */
static uint32_t field_at(const uint8_t *b, uint32_t table, uint32_t id)
{
    const uint32_t vt = table - rd32(b + table);
    const uint32_t vt_size = (uint32_t)(b[vt] | b[vt + 1] << 8);
    if (4 + 2 * id + 2 > vt_size) return 0;
    const uint32_t off = (uint32_t)(b[vt + 4 + 2 * id] | b[vt + 5 + 2 * id] << 8);
    return off ? table + off : 0;
}

static uint32_t deref(const uint8_t *b, uint32_t at) { return at + rd32(b + at); }

static void check_bad_input(void)
{
    size_t size;
    uint8_t *good = read_file(FIXTURES "conv_pool.tflite", &size);
    uint8_t *b = (uint8_t *)malloc(size);

    expect_error(good, 3, "too short", "3-byte file");
    expect_error(good, size / 2, "past the end", "file cut in half");
    memcpy(b, good, size);
    memcpy(b + 4, "NOPE", 4);
    expect_error(b, size, "TFL3", "wrong identifier");

    /* root offset past the end */
    memcpy(b, good, size);
    wr32(b, (uint32_t)size + 100);
    expect_error(b, size, "past the end", "root offset out of range");

    /* Model.buffers (field 4): the vector length past the end of the file */
    const uint32_t root = rd32(good);
    const uint32_t buffers_field = field_at(good, root, 4);
    TU_REQUIRE(buffers_field != 0, "fixture has no buffers");
    memcpy(b, good, size);
    wr32(b + deref(good, buffers_field), 0x10000000u);
    expect_error(b, size, "runs past the end", "buffers vector longer than the file");

    /* Tensor.buffer (field 2) of subgraph 0's first tensor with a buffer: an index out of range */
    const uint32_t sg = deref(good, deref(good, field_at(good, root, 2)) + 4);
    const uint32_t tensors = deref(good, field_at(good, sg, 0));
    int patched = 0;
    for (uint32_t i = 0; i < rd32(good + tensors) && !patched; i++) {
        const uint32_t t = deref(good, tensors + 4 + 4 * i);
        const uint32_t bf = field_at(good, t, 2);
        if (!bf) continue;
        memcpy(b, good, size);
        wr32(b + bf, 99999);
        expect_error(b, size, "refers to buffer 99999", "buffer index out of range");
        patched = 1;
    }
    TU_CHECK(patched, "no tensor with a buffer field");

    /* operator 0's opcode_index out of range */
    const uint32_t ops = deref(good, field_at(good, sg, 3));
    const uint32_t op0 = deref(good, ops + 4);
    const uint32_t opcode_field = field_at(good, op0, 0);
    if (opcode_field) {
        memcpy(b, good, size);
        wr32(b + opcode_field, 5000);
        expect_error(b, size, "operator code 5000", "opcode index out of range");
    }
    /* operator 0's first input: a tensor index out of range */
    memcpy(b, good, size);
    wr32(b + deref(good, field_at(good, op0, 1)) + 4, 77777);
    expect_error(b, size, "tensor index 77777", "tensor index out of range");
    free(good);
    free(b);

    uint8_t *f = read_file(FIXTURES "float_only.tflite", &size);
    expect_error(f, size, "float32", "float-only model");
    free(f);
    f = read_file(FIXTURES "int16_activations.tflite", &size);
    expect_error(f, size, "int16", "int16 activations");
    free(f);
    f = read_file(FIXTURES "unsupported_op.tflite", &size);
    expect_error(f, size, "supported: ", "unsupported operator");
    expect_error(f, size, "RESIZE_BILINEAR", "unsupported operator named");
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_convert_tflite_bytes(f, size, NULL, &c, &err);
    printf("unsupported operator: %s\n", err.message);
    free(f);
    /* a transpose that reorders values converts to a PERMUTE (bit-exactness: the fixture "transpose") */
    f = read_file(FIXTURES "transpose_nchw.tflite", &size);
    TU_CHECK(nnom_convert_tflite_bytes(f, size, NULL, &c, &err) == NNOM_OK, "transpose_nchw: %s", err.message);
    int permutes = 0;
    for (int32_t i = 0; c && i < nnom_model_layer_count(nnom_converter_int8_model(c)); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        if (nnom_model_layer_info(nnom_converter_int8_model(c), i, &info) == NNOM_OK)
            permutes += info.type == NNOM_LAYER_PERMUTE;
    }
    TU_CHECK(permutes == 1, "transpose_nchw: %d PERMUTE layers, expected 1", permutes);
    nnom_converter_destroy(c);
    c = NULL;
    free(f);
    TU_CHECK(nnom_convert_tflite(FIXTURES "no_such_file.tflite", &c, &err) == NNOM_ERR_IO && c == NULL,
             "a missing file is an I/O error");
}

/*
 * The flatbuffer reader on a buffer laid out by hand:
 *   0: root offset 12 | 4: vtable {8 bytes, table of 12 bytes, field0 at 4, field1 at 8}
 *   12: table: soffset 8 (vtable at 4), u32 field0 = 7, u32 field1 = offset to the vector at 24
 *   24: vector of 3 int32 {10, -20, 30}; 40: end
 */
static void check_flatbuf_reader(void)
{
    uint8_t b[40];
    memset(b, 0, sizeof b);
    wr32(b, 12);
    b[4] = 8;  /* vtable bytes: two fields */
    b[6] = 12; /* table bytes */
    b[8] = 4;  /* field 0 at table + 4 */
    b[10] = 8; /* field 1 at table + 8 */
    wr32(b + 12, 8);
    wr32(b + 16, 7);
    wr32(b + 20, 24 - 20);
    wr32(b + 24, 3);
    wr32(b + 28, 10);
    wr32(b + 32, (uint32_t)-20);
    wr32(b + 36, 30);
    nnom_fb fb;
    nnom_fb_table root;
    TU_REQUIRE(nnom_fb_open(&fb, b, sizeof b, &root) == 0, "open: %s", fb.error);
    uint32_t u = 0;
    int32_t v = 0;
    TU_CHECK(nnom_fb_u32(&root, 0, 99, &u, "f0") == 0 && u == 7, "field 0: %u", u);
    TU_CHECK(nnom_fb_i32(&root, 3, -5, &v, "f3") == 0 && v == -5, "absent field 3 reads its default: %d", v);
    TU_CHECK(!nnom_fb_has(&root, 2) && nnom_fb_has(&root, 1), "presence");
    nnom_fb_vector vec;
    int present = 0;
    TU_CHECK(nnom_fb_vector_field(&root, 1, 4, &vec, &present, "f1") == 0 && present && vec.len == 3, "vector");
    TU_CHECK(nnom_fb_vec_i32(&vec, 1, &v, "f1") == 0 && v == -20, "element 1: %d", v);
    TU_CHECK(nnom_fb_vec_i32(&vec, 3, &v, "f1") != 0 && strstr(fb.error, "index 3"), "index past the vector: %s",
             fb.error);
    TU_CHECK(nnom_fb_vector_field(&root, 1, 8, &vec, &present, "f1") != 0 && strstr(fb.error, "runs past the end"),
             "3 elements of 8 bytes from byte 28 do not fit in 40: %s", fb.error);

    uint8_t c[40];
    memcpy(c, b, sizeof c);
    wr32(c + 24, 5); /* 5 x 4 bytes from 28 runs past 40 */
    nnom_fb_open(&fb, c, sizeof c, &root);
    TU_CHECK(nnom_fb_vector_field(&root, 1, 4, &vec, NULL, "f1") != 0 && strstr(fb.error, "runs past the end"),
             "vector past the end: %s", fb.error);
    memcpy(c, b, sizeof c);
    wr32(c + 20, 1000); /* offset out of the file */
    nnom_fb_open(&fb, c, sizeof c, &root);
    TU_CHECK(nnom_fb_vector_field(&root, 1, 4, &vec, NULL, "f1") != 0 && strstr(fb.error, "past the end"),
             "offset past the end: %s", fb.error);
    memcpy(c, b, sizeof c);
    c[10] = 10; /* field 1 at table + 10: its 4 bytes run past the 12-byte table */
    nnom_fb_open(&fb, c, sizeof c, &root);
    TU_CHECK(nnom_fb_u32(&root, 1, 0, &u, "f1") != 0 && strstr(fb.error, "runs past its"), "field past the table: %s",
             fb.error);
    memcpy(c, b, sizeof c);
    wr32(c + 12, 100); /* vtable before the start of the file */
    TU_CHECK(nnom_fb_open(&fb, c, sizeof c, &root) != 0 && strstr(fb.error, "vtable"), "vtable outside: %s", fb.error);
    memcpy(c, b, sizeof c);
    c[4] = 13; /* odd vtable size */
    TU_CHECK(nnom_fb_open(&fb, c, sizeof c, &root) != 0 && strstr(fb.error, "bad size"), "odd vtable: %s", fb.error);
    memcpy(c, b, sizeof c);
    c[6] = 200; /* table larger than the file */
    TU_CHECK(nnom_fb_open(&fb, c, sizeof c, &root) != 0 && strstr(fb.error, "claims 200 bytes"), "table size: %s",
             fb.error);
    TU_CHECK(nnom_fb_open(&fb, b, 7, &root) != 0 && strstr(fb.error, "too short"), "7 bytes: %s", fb.error);
}

/* Field ids of TFLite's schema used to patch files below (Tensor: shape 0, quantization 4;
 * QuantizationParameters: scale 2). */
#define TENSOR_SHAPE_FIELD 0
#define TENSOR_QUANT_FIELD 4
#define QUANT_SCALE_FIELD 2

/* Subgraph 0's tensors vector of a .tflite file. */
static uint32_t tensors_of(const uint8_t *b)
{
    const uint32_t root = rd32(b);
    const uint32_t sg = deref(b, deref(b, field_at(b, root, 2)) + 4);
    return deref(b, field_at(b, sg, 0));
}

/* Converts @p b and, if that works, saves and loads the model: any outcome but a crash or undefined
 * behaviour (this test also runs under UBSan, which stops at the first) is acceptable. Returns the status. */
static nnom_status convert_any(const uint8_t *b, size_t size, nnom_error *err)
{
    nnom_converter *c = NULL;
    memset(err, 0, sizeof *err);
    nnom_status st = nnom_convert_tflite_bytes(b, size, NULL, &c, err);
    TU_CHECK((st == NNOM_OK) == (c != NULL), "status and converter disagree");
    TU_CHECK(st == NNOM_OK || err->message[0], "a failure without a message");
    nnom_converter_destroy(c);
    return st;
}

/* The fuzzer's findings in the importer, made by hand: every tensor scale of a fixture set to an extreme
 * value (RELU6 bounds of 6 / scale beyond int32; LOGISTIC / TANH input shifts below -31), and a tensor
 * shape of more than 2^28 elements (a MEAN once sized 3.2 GB of constants from it). */
static void check_extreme_files(void)
{
    static const char *const names[] = {"op_relu6", "op_logistic", "op_tanh", "activations", "op_hard_swish"};
    static const float scales[] = {1e-38f, 1e-30f, 1e30f, 3e38f};
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        size_t size;
        uint8_t *good = read_fixture(names[n], &size);
        uint8_t *b = (uint8_t *)malloc(size);
        const uint32_t tensors = tensors_of(good);
        for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++) {
            memcpy(b, good, size);
            uint32_t bits;
            memcpy(&bits, &scales[k], sizeof bits);
            int patched = 0;
            for (uint32_t i = 0; i < rd32(good + tensors); i++) {
                const uint32_t t = deref(good, tensors + 4 + 4 * i);
                const uint32_t qf = field_at(good, t, TENSOR_QUANT_FIELD);
                if (!qf) continue;
                const uint32_t sf = field_at(good, deref(good, qf), QUANT_SCALE_FIELD);
                if (!sf) continue;
                const uint32_t v = deref(good, sf);
                for (uint32_t e = 0; e < rd32(good + v); e++) wr32(b + v + 4 + 4 * e, bits);
                patched++;
            }
            TU_CHECK(patched > 0, "%s: no tensor scale to patch", names[n]);
            nnom_error err;
            convert_any(b, size, &err);
        }
        free(good);
        free(b);
    }

    size_t size;
    uint8_t *good = read_file(FIXTURES "depthwise_mean.tflite", &size);
    uint8_t *b = (uint8_t *)malloc(size);
    memcpy(b, good, size);
    const uint32_t tensors = tensors_of(good);
    int patched = 0;
    for (uint32_t i = 0; i < rd32(good + tensors) && !patched; i++) {
        const uint32_t t = deref(good, tensors + 4 + 4 * i);
        const uint32_t shf = field_at(good, t, TENSOR_SHAPE_FIELD);
        if (!shf) continue;
        const uint32_t v = deref(good, shf);
        if (rd32(good + v) < 2) continue;
        for (uint32_t e = 0; e < rd32(good + v); e++) wr32(b + v + 4 + 4 * e, 20000); /* 20000^2 > 2^28 */
        patched = 1;
    }
    TU_REQUIRE(patched, "no tensor of rank 2 or more in depthwise_mean");
    expect_error(b, size, "more than 2^28 elements", "a tensor of 20000^rank elements");
    free(good);
    free(b);
}

/* Every small int32 constant of every fixture (a SLICE's begin and size, a STRIDED_SLICE's begin, end and strides,
 * paddings, block shapes, axes, shapes) set in turn to values at the ends of int32: converting must refuse or
 * accept, never overflow (the fuzzer found SLICE's begin + size of 1 + INT32_MAX). Biases (more values) are left. */
#define TENSOR_TYPE_FIELD 1
#define TENSOR_BUFFER_FIELD 2
#define MODEL_BUFFERS_FIELD 4
#define BUFFER_DATA_FIELD 0
#define TFLITE_INT32 2
#define MAX_PATCHED_VALUES 8
static void check_extreme_int32_constants(void)
{
    static const uint32_t extremes[] = {0x7fffffffu, 0x80000000u, 0x7ffffffeu, 0xffffffffu, 0x40000000u};
    int patched = 0;
    for (size_t n = 0; n < sizeof MODELS / sizeof MODELS[0]; n++) {
        size_t size;
        uint8_t *good = read_fixture(MODELS[n], &size);
        uint8_t *b = (uint8_t *)malloc(size);
        const uint32_t tensors = tensors_of(good);
        const uint32_t buffers = deref(good, field_at(good, rd32(good), MODEL_BUFFERS_FIELD));
        for (uint32_t i = 0; i < rd32(good + tensors); i++) {
            const uint32_t t = deref(good, tensors + 4 + 4 * i);
            const uint32_t tf = field_at(good, t, TENSOR_TYPE_FIELD), bf = field_at(good, t, TENSOR_BUFFER_FIELD);
            if (!tf || !bf || good[tf] != TFLITE_INT32) continue;
            const uint32_t buf_index = rd32(good + bf);
            if (buf_index == 0 || buf_index >= rd32(good + buffers)) continue;
            const uint32_t df = field_at(good, deref(good, buffers + 4 + 4 * buf_index), BUFFER_DATA_FIELD);
            if (!df) continue;
            const uint32_t data = deref(good, df), count = rd32(good + data) / 4;
            if (count == 0 || count > MAX_PATCHED_VALUES) continue;
            for (uint32_t e = 0; e < count; e++)
                for (size_t k = 0; k < sizeof extremes / sizeof extremes[0]; k++) {
                    memcpy(b, good, size);
                    wr32(b + data + 4 + 4 * e, extremes[k]);
                    nnom_error err;
                    convert_any(b, size, &err);
                    patched++;
                }
        }
        free(good);
        free(b);
    }
    TU_CHECK(patched >= 100, "only %d int32 constants patched", patched);
    printf("extreme int32 constants: %d files converted or refused\n", patched);
}

/* A constant operand whose shape does not broadcast to the output: const_arith's (1, 5, 1, 4) constant made
 * (1, 5, 3, 4) against a (1, 5, 5, 4) output. */
static void check_bad_broadcast(void)
{
    size_t size;
    uint8_t *good = read_file(FIXTURES "const_arith.tflite", &size);
    uint8_t *b = (uint8_t *)malloc(size);
    memcpy(b, good, size);
    const uint32_t tensors = tensors_of(good);
    int patched = 0;
    for (uint32_t i = 0; i < rd32(good + tensors) && !patched; i++) {
        const uint32_t t = deref(good, tensors + 4 + 4 * i);
        const uint32_t shf = field_at(good, t, TENSOR_SHAPE_FIELD);
        if (!shf) continue;
        const uint32_t v = deref(good, shf);
        if (rd32(good + v) != 4 || rd32(good + v + 4) != 1 || rd32(good + v + 8) != 5 || rd32(good + v + 12) != 1 ||
            rd32(good + v + 16) != 4)
            continue;
        wr32(b + v + 12, 3);
        patched = 1;
    }
    TU_REQUIRE(patched, "const_arith has no (1, 5, 1, 4) tensor");
    expect_error(b, size, "does not broadcast", "a constant of shape (1, 5, 3, 4) against (1, 5, 5, 4)");
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_convert_tflite_bytes(b, size, NULL, &c, &err);
    printf("bad broadcast: %s\n", err.message);
    free(good);
    free(b);
}

/* TRANSPOSE's perm changed in the file: the batch axis moved, an axis twice. */
static void check_transpose_perm(void)
{
    size_t size;
    uint8_t *good = read_file(FIXTURES "transpose.tflite", &size);
    uint8_t *b = (uint8_t *)malloc(size);
    /* the perm of the model's first TRANSPOSE, (0, 2, 1, 3), as int32 constants */
    static const uint8_t perm[16] = {0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0};
    size_t at = 0;
    while (at + 16 <= size && memcmp(good + at, perm, 16) != 0) at++;
    TU_REQUIRE(at + 16 <= size, "transpose.tflite holds no perm (0, 2, 1, 3)");
    memcpy(b, good, size);
    wr32(b + at, 1);
    wr32(b + at + 4, 0);
    wr32(b + at + 8, 2);
    expect_error(b, size, "permuted input's", "TRANSPOSE perm (1, 0, 2, 3)");
    memcpy(b, good, size);
    wr32(b + at + 8, 2);
    expect_error(b, size, "is not one", "TRANSPOSE perm (0, 2, 2, 3)");
    free(good);
    free(b);
}

/* Flips bytes and truncates at random: every outcome is a model or an error, never a crash. */
static void check_corruption(const char *name)
{
    size_t size;
    uint8_t *good = read_fixture(name, &size);
    uint8_t *b = (uint8_t *)malloc(size);
    tu_seed(0x7f1173);
    int accepted = 0;
    for (int round = 0; round < CORRUPTION_ROUNDS; round++) {
        memcpy(b, good, size);
        size_t n = size;
        const int flips = tu_rand_int(1, 8);
        for (int k = 0; k < flips; k++) {
            const size_t at = (size_t)tu_rand_int(0, (int32_t)size - 1);
            b[at] = tu_rand_int(0, 3) == 0 ? (uint8_t)tu_rand_int(0, 255) : (uint8_t)(b[at] ^ (1u << tu_rand_int(0, 7)));
        }
        if (tu_rand_int(0, 4) == 0) n = (size_t)tu_rand_int(0, (int32_t)size);
        nnom_converter *c = NULL;
        nnom_error err;
        nnom_status st = nnom_convert_tflite_bytes(b, n, NULL, &c, &err);
        if (st == NNOM_OK) {
            accepted++;
            nnom_model *m = nnom_converter_int8_model(c);
            TU_CHECK(m != NULL, "accepted without a model");
            if (m && nnom_model_alloc_arena(m) == NNOM_OK) nnom_model_run(m);
        } else {
            TU_CHECK(err.message[0] != '\0', "error without a message");
        }
        nnom_converter_destroy(c);
    }
    printf("corruption of %s: %d rounds, %d still valid models, no crash\n", name, CORRUPTION_ROUNDS, accepted);
    free(good);
    free(b);
}

/* The UNIDIRECTIONAL_SEQUENCE_LSTM of lstm_last.tflite with one thing changed: each refused, naming it. */
enum { LSTM_INPUTS = 24, LSTM_PEEPHOLE = 9, LSTM_FORGET_W = 2, LSTM_HIDDEN = 18, LSTM_CELL = 19 };
#define CELL_SCALE_BITS 0x38800000u     /* 2^-14, the cell state's scale in the file */
#define NOT_POWER_OF_TWO_BITS 0x38900000u /* 1.125 * 2^-14 */
static void check_bad_lstm(void)
{
    size_t size;
    uint8_t *good = read_file(FIXTURES "lstm_last.tflite", &size);
    uint8_t *f = (uint8_t *)malloc(size);
    /* the operator's input vector: 24 indices, absent ones (-1) at the peephole, projection and layer norm */
    size_t at = 0;
    for (size_t p = 0; p + 4 * (LSTM_INPUTS + 1) <= size && !at; p += 4) {
        if (rd32(good + p) != LSTM_INPUTS) continue;
        static const int absent[] = {9, 10, 11, 16, 17, 20, 21, 22, 23};
        int ok = 1;
        for (size_t k = 0; k < sizeof absent / sizeof absent[0]; k++)
            ok &= rd32(good + p + 4 + 4 * (size_t)absent[k]) == 0xffffffffu;
        if (ok) at = p + 4;
    }
    TU_REQUIRE(at != 0, "lstm_last.tflite: no LSTM input vector found");
    memcpy(f, good, size);
    wr32(f + at + 4 * LSTM_PEEPHOLE, rd32(good + at + 4));
    expect_error(f, size, "input 9 (peephole weights) is present; nnom maps the standard LSTM only", "an LSTM peephole");
    memcpy(f, good, size);
    wr32(f + at + 4 * LSTM_FORGET_W, 0xffffffffu);
    expect_error(f, size, "input 2 (forget gate weights) is absent", "an LSTM without forget weights");
    memcpy(f, good, size);
    wr32(f + at + 4 * LSTM_CELL, rd32(good + at + 4 * LSTM_HIDDEN));
    expect_error(f, size, "(input 19) must be int16 with one scale, zero point 0", "an int8 cell state");
    memcpy(f, good, size);
    wr32(f + at + 4 * LSTM_HIDDEN, rd32(good + at + 4 * LSTM_CELL));
    expect_error(f, size, "(input 18) must be int8 with one scale", "an int16 hidden state");
    memcpy(f, good, size);
    int patched = 0;
    for (size_t p = 0; p + 4 <= size; p += 4)
        if (rd32(good + p) == CELL_SCALE_BITS) {
            wr32(f + p, NOT_POWER_OF_TWO_BITS);
            patched++;
        }
    TU_REQUIRE(patched == 1, "lstm_last.tflite: the cell scale found %d times", patched);
    expect_error(f, size, "TFLite's integer LSTM needs a power of two", "a cell scale not a power of two");
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_convert_tflite_bytes(f, size, NULL, &c, &err);
    printf("refused LSTM: %s\n", err.message);
    free(f);
    free(good);
}

int main(void)
{
    for (size_t i = 0; i < sizeof MODELS / sizeof MODELS[0]; i++) check_model(MODELS[i]);
    check_float_io();
    check_flatbuf_reader();
    check_bad_input();
    check_extreme_files();
    check_extreme_int32_constants();
    check_transpose_perm();
    check_bad_broadcast();
    check_bad_lstm();
    check_corruption("digits_residual_concat");
    check_corruption("lstm_last"); /* the 24 inputs of UNIDIRECTIONAL_SEQUENCE_LSTM */
    return tu_finish("test_tflite");
}
