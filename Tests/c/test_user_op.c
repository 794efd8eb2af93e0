/*
 * User operators (nnom/user_op.h): a CUSTOM layer runs an operator the test registers, in float32
 * and int8 models built, saved and loaded, against a reference computed here in double precision;
 * a model whose operator is missing is refused with its name; two models loaded from the same
 * bytes with two registries run two operators bound to the same name; the registry's own checks;
 * the operator list of weights.h.
 *
 * The operator, "weighted_diff": y = a - c * b (or a + c * b for the "plus" variant, whose
 * op->user says so), a and b of the same shape, c a float in the constants blob. Its int8 kernel
 * dequantises, computes in float and requantises with rounding to nearest: a user's kernel may
 * compute as it likes; the runtime only hands it tensors.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnom/tools.h"
#include "file_util.h"
#include "test_util.h"

#define ROWS 3
#define COLS 7
#define COUNT (ROWS * COLS)
#define OP_NAME "weighted_diff"

static const float coeff = 0.75f;
static const float sign_minus = -1.0f, sign_plus = 1.0f;

static nnom_status wd_infer(const nnom_user_call *call, nnom_shape *out, char *message)
{
    const nnom_shape *a = &call->in[0].shape, *b = &call->in[1].shape;
    int same = a->rank == b->rank;
    for (int32_t k = 0; same && k < a->rank; k++) same = a->dims[k] == b->dims[k];
    if (!same) {
        snprintf(message, NNOM_USER_OP_MESSAGE_MAX, "inputs of different shapes (rank %d and %d)", (int)a->rank,
                 (int)b->rank);
        return NNOM_ERR_SHAPE;
    }
    if (call->constants.size != sizeof(float)) {
        snprintf(message, NNOM_USER_OP_MESSAGE_MAX, "constants must be one float, given %u bytes",
                 (unsigned)call->constants.size);
        return NNOM_ERR_ARGUMENT;
    }
    *out = *a;
    return NNOM_OK;
}

static int32_t count_of(const nnom_shape *s)
{
    int32_t n = 1;
    for (int32_t k = 0; k < s->rank; k++) n *= s->dims[k];
    return n;
}

static uint32_t wd_scratch(const nnom_user_call *call) { return (uint32_t)count_of(&call->out_shape) * 4u; }

static float wd_coeff(const nnom_user_call *call)
{
    float c;
    memcpy(&c, call->constants.data, sizeof c);
    return c * *(const float *)call->op->user;
}

/* float32: the result goes through the scratch buffer, to check the runtime gives one */
static void wd_run_f32(const nnom_user_call *call)
{
    const float *a = (const float *)call->in[0].data, *b = (const float *)call->in[1].data;
    float *tmp = (float *)call->scratch;
    const float c = wd_coeff(call);
    const int32_t n = count_of(&call->out_shape);
    for (int32_t i = 0; i < n; i++) tmp[i] = a[i] + c * b[i];
    memcpy(call->out, tmp, (size_t)n * sizeof(float));
}

static void wd_run_s8(const nnom_user_call *call)
{
    const int8_t *a = (const int8_t *)call->in[0].data, *b = (const int8_t *)call->in[1].data;
    const nnom_quant qa = call->in[0].quant, qb = call->in[1].quant, qy = call->out_quant;
    const float c = wd_coeff(call);
    const int32_t n = count_of(&call->out_shape);
    for (int32_t i = 0; i < n; i++) {
        const float y = qa.scale * (float)(a[i] - qa.zero_point) + c * qb.scale * (float)(b[i] - qb.zero_point);
        long q = lroundf(y / qy.scale) + qy.zero_point;
        ((int8_t *)call->out)[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
    }
}

static nnom_user_op make_op(const float *sign)
{
    nnom_user_op op = NNOM_USER_OP_INIT;
    op.name = OP_NAME;
    op.min_inputs = op.max_inputs = 2;
    op.infer = wd_infer;
    op.scratch_bytes = wd_scratch;
    op.run_s8 = wd_run_s8;
    op.run_f32 = wd_run_f32;
    op.user = (void *)sign;
    return op;
}

static const nnom_quant qa = {0.02f, 3}, qb = {0.015f, -7}, qy = {0.03f, 1};

/* x (ROWS, COLS), z (ROWS, COLS) -> custom "wd" -> output; not compiled */
/* @p reg over the one slot @p slot, holding @p op (which must outlive the registry) */
static void registry_of_one(nnom_op_registry *reg, const nnom_user_op **slot, const nnom_user_op *op)
{
    nnom_error err;
    nnom_op_registry_init(reg, slot, 1);
    TU_REQUIRE(nnom_register_op(reg, op, &err) == NNOM_OK, "%s", err.message);
}

static nnom_model *build(nnom_dtype dtype, const nnom_options *opt, const char *op_name)
{
    static uint8_t name_blob[NNOM_NAME_MAX] __attribute__((aligned(8)));
    memset(name_blob, 0, sizeof name_blob);
    memcpy(name_blob, op_name, strlen(op_name));
    nnom_model *m;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(dtype, opt, &m, &err) == NNOM_OK, "%s", err.message);
    const nnom_shape shape = {2, {ROWS, COLS, 0}};
    int32_t a, b, y;
    TU_OK(m, nnom_model_add_input(m, "a", shape, qa, &a));
    TU_OK(m, nnom_model_add_input(m, "b", shape, qb, &b));
    nnom_layer_desc d = NNOM_LAYER_DESC_INIT;
    d.type = NNOM_LAYER_CUSTOM;
    d.name = "wd";
    d.n_inputs = 2;
    d.inputs[0] = a;
    d.inputs[1] = b;
    d.blobs[0] = (nnom_blob){name_blob, (uint32_t)((strlen(op_name) + 8u) & ~7u)};
    d.blobs[1] = (nnom_blob){&coeff, sizeof coeff};
    d.quant = qy;
    TU_OK(m, nnom_model_add_layer(m, &d, &y));
    nnom_layer_desc o = NNOM_LAYER_DESC_INIT;
    o.type = NNOM_LAYER_OUTPUT;
    o.n_inputs = 1;
    o.inputs[0] = y;
    TU_OK(m, nnom_model_add_layer(m, &o, NULL));
    return m;
}

static float in_a[COUNT], in_b[COUNT];

/* Runs @p m on in_a, in_b and checks it against a +/- coeff * b (sign), in double; int8 models on
 * the dequantised int8 inputs, rounded to nearest: within one step (float vs double ties). */
static void check_run(nnom_model *m, float sign, const char *what)
{
    if (!nnom_model_arena_size(m) || nnom_model_input_data(m, 0) == NULL) TU_OK(m, nnom_model_alloc_arena(m));
    TU_OK(m, nnom_model_set_input_f32(m, 0, in_a, COUNT));
    TU_OK(m, nnom_model_set_input_f32(m, 1, in_b, COUNT));
    TU_OK(m, nnom_model_run(m));
    float y[COUNT];
    TU_OK(m, nnom_model_get_output_f32(m, 0, y, COUNT));
    const int s8 = nnom_model_dtype(m) == NNOM_DTYPE_S8;
    double worst = 0.0;
    for (int i = 0; i < COUNT; i++) {
        double a = in_a[i], b = in_b[i], ref;
        if (s8) {
            const double qa_v = (double)tu_clamp(tu_round_away(a / qa.scale) + qa.zero_point, -128, 127);
            const double qb_v = (double)tu_clamp(tu_round_away(b / qb.scale) + qb.zero_point, -128, 127);
            a = qa.scale * (qa_v - qa.zero_point);
            b = qb.scale * (qb_v - qb.zero_point);
            const double r = a + sign * (double)coeff * b;
            ref = qy.scale * ((double)tu_clamp(tu_round_away(r / qy.scale) + qy.zero_point, -128, 127) - qy.zero_point);
        } else {
            ref = a + sign * (double)coeff * b;
        }
        const double diff = fabs((double)y[i] - ref);
        if (diff > worst) worst = diff;
    }
    const double tol = s8 ? qy.scale * 1.001 : 1e-6;
    TU_CHECK(worst <= tol, "%s: largest error %g, tolerance %g", what, worst, tol);
}

/* Saves @p m (compiled) into @p buf; returns the size. */
static size_t save(nnom_model *m, uint8_t *buf, size_t cap)
{
    size_t size = 0;
    TU_OK(m, nnom_model_save(m, buf, cap, &size));
    return size;
}

static uint8_t file_f32[8192] __attribute__((aligned(8))), file_s8[8192] __attribute__((aligned(8)));

static void check_models(void)
{
    static const nnom_user_op *slots[2];
    nnom_op_registry reg;
    nnom_op_registry_init(&reg, slots, 2);
    const nnom_user_op op = make_op(&sign_minus);
    nnom_error err;
    TU_REQUIRE(nnom_register_op(&reg, &op, &err) == NNOM_OK, "%s", err.message);
    nnom_options opt = NNOM_OPTIONS_INIT;
    opt.op_registry = &reg;
    tu_fill_f32(in_a, COUNT, -2.0f, 2.0f);
    tu_fill_f32(in_b, COUNT, -1.5f, 1.5f);

    for (int s8 = 0; s8 < 2; s8++) {
        const char *what = s8 ? "int8" : "float32";
        nnom_model *m = build(s8 ? NNOM_DTYPE_S8 : NNOM_DTYPE_F32, &opt, OP_NAME);
        TU_OK(m, nnom_model_compile(m));
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, 2, &info));
        TU_CHECK(info.type == NNOM_LAYER_CUSTOM && strcmp(info.type_name, "custom") == 0, "%s: type %s", what,
                 info.type_name);
        TU_CHECK(info.scratch_bytes == COUNT * 4u, "%s: scratch %u bytes, the operator asked %u", what,
                 (unsigned)info.scratch_bytes, COUNT * 4u);
        check_run(m, sign_minus, what);
        uint8_t *file = s8 ? file_s8 : file_f32;
        const size_t size = save(m, file, sizeof file_f32);
        nnom_model_destroy(m);

        nnom_model *loaded;
        TU_REQUIRE(nnom_model_load(file, size, &opt, &loaded, &err) == NNOM_OK, "%s: load: %s", what, err.message);
        check_run(loaded, sign_minus, what);
        nnom_model_destroy(loaded);

        /* missing: no registry, and a registry without the operator */
        static const nnom_user_op *other_slots[1];
        nnom_op_registry other;
        nnom_op_registry_init(&other, other_slots, 1);
        nnom_user_op unrelated = make_op(&sign_plus);
        unrelated.name = "something_else";
        TU_REQUIRE(nnom_register_op(&other, &unrelated, &err) == NNOM_OK, "%s", err.message);
        nnom_options other_opt = NNOM_OPTIONS_INIT;
        other_opt.op_registry = &other;
        const nnom_options *cases[2] = {NULL, &other_opt};
        for (int k = 0; k < 2; k++) {
            nnom_status st = nnom_model_load(file, size, cases[k], &loaded, &err);
            TU_CHECK(st == NNOM_ERR_UNSUPPORTED && loaded == NULL, "%s: missing operator (case %d): %s", what, k,
                     nnom_status_name(st));
            TU_CHECK(strstr(err.message, "layer 'wd' needs user operator '" OP_NAME "', not registered") != NULL,
                     "%s: message: %s", what, err.message);
        }
    }
}

/* One set of bytes, two registries binding the name to two operators, two live models. */
static void check_two_registries(void)
{
    const nnom_user_op minus = make_op(&sign_minus), plus = make_op(&sign_plus);
    static const nnom_user_op *slots_a[1], *slots_b[1];
    nnom_op_registry ra, rb;
    nnom_op_registry_init(&ra, slots_a, 1);
    nnom_op_registry_init(&rb, slots_b, 1);
    nnom_error err;
    TU_REQUIRE(nnom_register_op(&ra, &minus, &err) == NNOM_OK, "%s", err.message);
    TU_REQUIRE(nnom_register_op(&rb, &plus, &err) == NNOM_OK, "%s", err.message);
    nnom_options oa = NNOM_OPTIONS_INIT, ob = NNOM_OPTIONS_INIT;
    oa.op_registry = &ra;
    ob.op_registry = &rb;
    nnom_model *built = build(NNOM_DTYPE_S8, &oa, OP_NAME);
    TU_OK(built, nnom_model_compile(built));
    static uint8_t file[8192] __attribute__((aligned(8)));
    const size_t size = save(built, file, sizeof file);
    nnom_model_destroy(built);
    nnom_model *ma, *mb;
    TU_REQUIRE(nnom_model_load(file, size, &oa, &ma, &err) == NNOM_OK, "%s", err.message);
    TU_REQUIRE(nnom_model_load(file, size, &ob, &mb, &err) == NNOM_OK, "%s", err.message);
    for (int round = 0; round < 2; round++) { /* interleaved runs */
        tu_fill_f32(in_a, COUNT, -2.0f, 2.0f);
        tu_fill_f32(in_b, COUNT, -1.5f, 1.5f);
        check_run(ma, sign_minus, "registry A");
        check_run(mb, sign_plus, "registry B");
    }
    nnom_model_destroy(ma);
    nnom_model_destroy(mb);
}

static int has(const char *s, const char *w) { return s && strstr(s, w) != NULL; }

/* Malformed CUSTOM layers and operators that cannot serve the model. */
static void check_refusals(void)
{
    static const nnom_user_op *slots[2];
    nnom_op_registry reg;
    nnom_op_registry_init(&reg, slots, 2);
    nnom_user_op no_s8 = make_op(&sign_minus);
    no_s8.run_s8 = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_register_op(&reg, &no_s8, &err) == NNOM_OK, "%s", err.message);
    nnom_options opt = NNOM_OPTIONS_INIT;
    opt.op_registry = &reg;

    nnom_model *m = build(NNOM_DTYPE_S8, &opt, OP_NAME);
    TU_CHECK(nnom_model_compile(m) == NNOM_ERR_UNSUPPORTED && has(nnom_model_last_error(m), "no int8 kernel"),
             "operator without run_s8 in an int8 model: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);

    /* the operator's own refusal (two floats of constants, it takes one), named */
    static const float two[2] = {1.0f, 2.0f};
    nnom_layer_desc d = NNOM_LAYER_DESC_INIT;
    nnom_model *bad;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, &opt, &bad, &err) == NNOM_OK, "%s", err.message);
    int32_t a, b;
    TU_OK(bad, nnom_model_add_input(bad, "a", (nnom_shape){1, {4, 0, 0}}, qa, &a));
    TU_OK(bad, nnom_model_add_input(bad, "b", (nnom_shape){1, {4, 0, 0}}, qb, &b));
    static const char name_blob[16] __attribute__((aligned(8))) = OP_NAME;
    d.type = NNOM_LAYER_CUSTOM;
    d.name = "wd";
    d.n_inputs = 2;
    d.inputs[0] = a;
    d.inputs[1] = b;
    d.blobs[0] = (nnom_blob){name_blob, sizeof name_blob};
    d.blobs[1] = (nnom_blob){two, sizeof two};
    TU_OK(bad, nnom_model_add_layer(bad, &d, NULL));
    TU_CHECK(nnom_model_compile(bad) == NNOM_ERR_ARGUMENT &&
                 has(nnom_model_last_error(bad), "layer 'wd' (user operator '" OP_NAME "'): constants must be one float"),
             "operator's refusal: %s", nnom_model_last_error(bad));
    nnom_model_destroy(bad);

    /* malformed layers: name blob without NUL, an extra blob, a parameter set, too many inputs */
    static const char unterminated[8] __attribute__((aligned(8))) = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
    for (int k = 0; k < 4; k++) {
        TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, &opt, &bad, &err) == NNOM_OK, "%s", err.message);
        TU_OK(bad, nnom_model_add_input(bad, "a", (nnom_shape){1, {4, 0, 0}}, qa, &a));
        TU_OK(bad, nnom_model_add_input(bad, "b", (nnom_shape){1, {4, 0, 0}}, qb, &b));
        nnom_layer_desc e = d;
        e.blobs[1] = (nnom_blob){&coeff, sizeof coeff};
        const char *want = NULL;
        if (k == 0) {
            e.blobs[0] = (nnom_blob){unterminated, sizeof unterminated};
            want = "blob 0 must hold the user operator's name";
        } else if (k == 1) {
            e.blobs[3] = (nnom_blob){&coeff, sizeof coeff};
            want = "blob 3 has 4 bytes, must be empty";
        } else if (k == 2) {
            e.params.units = 3;
            want = "parameters must all be zero";
        } else {
            e.n_inputs = 3;
            e.inputs[2] = a;
            want = "3 inputs given, it takes 2 to 2";
        }
        TU_OK(bad, nnom_model_add_layer(bad, &e, NULL));
        const nnom_status st = nnom_model_compile(bad);
        TU_CHECK(st != NNOM_OK && has(nnom_model_last_error(bad), want), "case %d: %s: %s", k, nnom_status_name(st),
                 nnom_model_last_error(bad));
        nnom_model_destroy(bad);
    }
}

static void check_registry(void)
{
    static const nnom_user_op *slots[1];
    nnom_op_registry reg;
    nnom_op_registry_init(&reg, slots, 1);
    nnom_error err;
    nnom_user_op op = make_op(&sign_minus);
    TU_CHECK(nnom_find_op(&reg, OP_NAME) == NULL && nnom_find_op(NULL, OP_NAME) == NULL, "empty registry finds nothing");
    TU_CHECK(nnom_register_op(&reg, &op, &err) == NNOM_OK, "%s", err.message);
    TU_CHECK(nnom_find_op(&reg, OP_NAME) == &op, "registered operator found");
    TU_CHECK(nnom_register_op(&reg, &op, &err) == NNOM_ERR_ARGUMENT && has(err.message, "already registered"),
             "duplicate: %s", err.message);
    nnom_user_op other = op;
    other.name = "other";
    TU_CHECK(nnom_register_op(&reg, &other, &err) == NNOM_ERR_NO_MEMORY && has(err.message, "registry is full"),
             "full: %s", err.message);
    nnom_op_registry_init(&reg, slots, 1);
    const char *long_name = "a_name_of_thirty_two_bytes_long_";
    struct {
        const char *field;
        const char *want;
    } cases[] = {{"name", "must have 1 to 31 bytes"},     {"long", "must have 1 to 31 bytes"},
                 {"infer", "needs infer()"},              {"kernels", "needs infer()"},
                 {"inputs", "takes 0 to 2 inputs"},       {"size", "nnom_user_op.struct_size is"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        nnom_user_op bad = make_op(&sign_minus);
        const char *f = cases[k].field;
        if (!strcmp(f, "name")) bad.name = "";
        if (!strcmp(f, "long")) bad.name = long_name;
        if (!strcmp(f, "infer")) bad.infer = NULL;
        if (!strcmp(f, "kernels")) bad.run_s8 = bad.run_f32 = NULL;
        if (!strcmp(f, "inputs")) bad.min_inputs = 0;
        if (!strcmp(f, "size")) bad.struct_size += 4;
        const nnom_status st = nnom_register_op(&reg, &bad, &err);
        TU_CHECK(st != NNOM_OK && has(err.message, cases[k].want) && reg.count == 0, "%s: %s: %s", f,
                 nnom_status_name(st), err.message);
    }
    nnom_op_registry bad_reg = reg;
    bad_reg.struct_size = 0;
    TU_CHECK(nnom_register_op(&bad_reg, &op, &err) == NNOM_ERR_ARGUMENT &&
                 has(err.message, "nnom_op_registry.struct_size is 0"), "registry size: %s", err.message);
}

/* weights.h names the operators the model needs */
static void check_header(void)
{
    static const nnom_user_op *slots[1];
    nnom_op_registry reg;
    const nnom_user_op op = make_op(&sign_minus);
    registry_of_one(&reg, slots, &op);
    nnom_error err;
    nnom_options opt = NNOM_OPTIONS_INIT;
    opt.op_registry = &reg;
    nnom_model *m = build(NNOM_DTYPE_S8, &opt, OP_NAME);
    TU_OK(m, nnom_model_compile(m));
    char path[] = "/tmp/nnom_user_op_XXXXXX";
    const int fd = mkstemp(path);
    TU_REQUIRE(fd >= 0, "temporary file");
    close(fd);
    TU_CHECK(nnom_write_model_header(m, path, "wd_model", NULL, &err) == NNOM_OK, "%s", err.message);
    size_t n = 0;
    char *text = (char *)tu_read_file(path, &n); /* NUL-terminated */
    TU_REQUIRE(text != NULL, "header written");
    remove(path);
    TU_CHECK(has(text, " * nnom-user-ops: " OP_NAME "\n"), "the user-ops line");
    TU_CHECK(has(text, "#define WD_MODEL_USER_OPS { \"" OP_NAME "\" }") && has(text, "#define WD_MODEL_USER_OP_COUNT 1"),
             "the user-ops list");
    TU_CHECK(has(text, "NNOM_WITH_CUSTOM=1"), "the layer list names custom");
    TU_CHECK(has(text, "opt.op_registry = &registry;") && has(text, "wd_model_load(&opt, &model, &err)"),
             "the use comment passes the registry");
    /* without the registry, nnom_write_header() cannot load the bytes: it says which operator */
    static uint8_t file[8192] __attribute__((aligned(8)));
    const size_t size = save(m, file, sizeof file);
    TU_CHECK(nnom_write_header(file, size, path, "wd_model", NULL, &err) == NNOM_ERR_UNSUPPORTED &&
                 has(err.message, "needs user operator '" OP_NAME "'"), "nnom_write_header: %s", err.message);
    remove(path);
    free(text);
    nnom_model_destroy(m);
}

/* The converter calibrates and quantises a float32 model with a CUSTOM layer: the clone it runs
 * and the int8 model it makes find the operator through the float32 model's registry. */
static void check_quantise(void)
{
    static const nnom_user_op *slots[1];
    nnom_op_registry reg;
    const nnom_user_op op = make_op(&sign_minus);
    registry_of_one(&reg, slots, &op);
    nnom_error err;
    nnom_options opt = NNOM_OPTIONS_INIT;
    opt.op_registry = &reg;
    nnom_model *fm = build(NNOM_DTYPE_F32, &opt, OP_NAME);
    TU_OK(fm, nnom_model_compile(fm));
    TU_CHECK(nnom_model_op_registry(fm) == &reg && nnom_model_op_registry(NULL) == NULL, "the model's registry");
    enum { SAMPLES = 64 };
    static float samples[SAMPLES][2 * COUNT];
    for (int k = 0; k < SAMPLES; k++) {
        tu_fill_f32(samples[k], COUNT, -2.0f, 2.0f);
        tu_fill_f32(samples[k] + COUNT, COUNT, -1.5f, 1.5f);
    }
    nnom_converter *c;
    TU_REQUIRE(nnom_converter_from_model(fm, &c, &err) == NNOM_OK, "%s", err.message);
    TU_REQUIRE(nnom_converter_quantize(c, &samples[0][0], SAMPLES, NULL) == NNOM_OK, "quantise: %s",
               nnom_converter_last_error(c));
    nnom_model *qm = nnom_converter_int8_model(c);
    TU_REQUIRE(qm != NULL, "int8 model");
    TU_OK(fm, nnom_model_alloc_arena(fm));
    if (nnom_model_input_data(qm, 0) == NULL) TU_OK(qm, nnom_model_alloc_arena(qm));
    nnom_sqnr acc;
    memset(&acc, 0, sizeof acc);
    for (int k = 0; k < 8; k++) {
        float yf[COUNT], yq[COUNT];
        nnom_model *both[2] = {fm, qm};
        for (int j = 0; j < 2; j++) {
            TU_OK(both[j], nnom_model_set_input_f32(both[j], 0, samples[k], COUNT));
            TU_OK(both[j], nnom_model_set_input_f32(both[j], 1, samples[k] + COUNT, COUNT));
            TU_OK(both[j], nnom_model_run(both[j]));
        }
        TU_OK(fm, nnom_model_get_output_f32(fm, 0, yf, COUNT));
        TU_OK(qm, nnom_model_get_output_f32(qm, 0, yq, COUNT));
        nnom_sqnr_add_f32(&acc, yf, yq, COUNT);
    }
    const double db = nnom_sqnr_db(&acc);
    printf("user operator quantised by the converter: %.1f dB against float32\n", db);
    TU_CHECK(db >= 30.0, "int8 against float32: %.1f dB", db);
    nnom_converter_destroy(c);
    nnom_model_destroy(fm);
}

/* The Keras fixture user_op_lambda: a Lambda named "weighted_diff_k" (a - 0.75 b) then a Dense. With an
 * operator of that name the reader maps the Lambda to it: the float32 model matches Keras' outputs, the
 * int8 model its float32 one; without it the Lambda is refused, naming the layer and its class. */
static const float keras_coeff = -0.75f;

static nnom_status wdk_infer(const nnom_user_call *call, nnom_shape *out, char *message)
{
    if (call->n_inputs != 2 || call->in[0].shape.rank != call->in[1].shape.rank) {
        snprintf(message, NNOM_USER_OP_MESSAGE_MAX, "two inputs of one shape expected");
        return NNOM_ERR_SHAPE;
    }
    *out = call->in[0].shape;
    return NNOM_OK;
}

static void wdk_run_f32(const nnom_user_call *call)
{
    const float *a = (const float *)call->in[0].data, *b = (const float *)call->in[1].data;
    const int32_t n = count_of(&call->out_shape);
    for (int32_t i = 0; i < n; i++) ((float *)call->out)[i] = a[i] + keras_coeff * b[i];
}

static void wdk_run_s8(const nnom_user_call *call)
{
    const int8_t *a = (const int8_t *)call->in[0].data, *b = (const int8_t *)call->in[1].data;
    const nnom_quant qa_ = call->in[0].quant, qb_ = call->in[1].quant, qy_ = call->out_quant;
    const int32_t n = count_of(&call->out_shape);
    for (int32_t i = 0; i < n; i++) {
        const float y = qa_.scale * (float)(a[i] - qa_.zero_point) + keras_coeff * qb_.scale * (float)(b[i] - qb_.zero_point);
        long q = lroundf(y / qy_.scale) + qy_.zero_point;
        ((int8_t *)call->out)[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
    }
}

static void check_keras(void)
{
    static const nnom_user_op *slots[1];
    nnom_op_registry reg;
    nnom_op_registry_init(&reg, slots, 1);
    nnom_user_op op = NNOM_USER_OP_INIT;
    op.name = "weighted_diff_k";
    op.min_inputs = op.max_inputs = 2;
    op.infer = wdk_infer;
    op.run_s8 = wdk_run_s8;
    op.run_f32 = wdk_run_f32;
    nnom_error err;
    TU_REQUIRE(nnom_register_op(&reg, &op, &err) == NNOM_OK, "%s", err.message);
    static const char *const layouts[] = {".keras", ".h5", ".k2.h5"};
    tu_lambda_fixture fx;
    tu_lambda_fixture_load(&fx);
    const nnom_array in0 = fx.in0, in1 = fx.in1, out0 = fx.out0, out1 = fx.out1;
    float *samples = fx.samples;
    const int64_t batch = fx.batch, per_in = fx.per_in, per_out0 = fx.per_out0, per_out1 = fx.per_out1;
    for (size_t f = 0; f < sizeof layouts / sizeof layouts[0]; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/keras/user_op_lambda%s", NNOM_FIXTURES_DIR, layouts[f]);
        nnom_converter *c;
        const nnom_status refused = nnom_keras_read(path, &c, &err);
        TU_CHECK(refused == NNOM_ERR_UNSUPPORTED && strstr(err.message, "layer 'weighted_diff_k' (class Lambda)"),
                 "%s without the operator: %s", layouts[f], err.message);
        TU_REQUIRE(nnom_keras_read_with_ops(path, &reg, &c, &err) == NNOM_OK, "%s: %s", layouts[f], err.message);
        nnom_model *fm = nnom_converter_float_model(c);
        TU_OK(fm, nnom_model_alloc_arena(fm));
        double worst = 0.0, range = 0.0;
        for (int64_t k = 0; k < batch; k++) {
            float y0[64], y1[64];
            TU_REQUIRE(per_out0 <= 64 && per_out1 <= 64, "fixture sizes");
            TU_OK(fm, nnom_model_set_input_f32(fm, 0, in0.data + k * per_in, (size_t)per_in));
            TU_OK(fm, nnom_model_set_input_f32(fm, 1, in1.data + k * per_in, (size_t)per_in));
            TU_OK(fm, nnom_model_run(fm));
            TU_OK(fm, nnom_model_get_output_f32(fm, 0, y0, (size_t)per_out0));
            TU_OK(fm, nnom_model_get_output_f32(fm, 1, y1, (size_t)per_out1));
            for (int64_t j = 0; j < per_out0; j++) {
                worst = fmax(worst, fabs(y0[j] - out0.data[k * per_out0 + j]));
                range = fmax(range, fabs(out0.data[k * per_out0 + j]));
            }
            for (int64_t j = 0; j < per_out1; j++) worst = fmax(worst, fabs(y1[j] - out1.data[k * per_out1 + j]));
        }
        TU_CHECK(worst <= 1e-4 * fmax(range, 1.0), "%s: float32 against Keras: %g", layouts[f], worst);
        TU_REQUIRE(nnom_converter_quantize(c, samples, (size_t)batch, NULL) == NNOM_OK, "%s quantise: %s", layouts[f],
                   nnom_converter_last_error(c));
        nnom_model *qm = nnom_converter_int8_model(c);
        if (nnom_model_input_data(qm, 0) == NULL) TU_OK(qm, nnom_model_alloc_arena(qm));
        nnom_sqnr acc;
        memset(&acc, 0, sizeof acc);
        for (int64_t k = 0; k < batch; k++) {
            float y1[64];
            TU_OK(qm, nnom_model_set_input_f32(qm, 0, in0.data + k * per_in, (size_t)per_in));
            TU_OK(qm, nnom_model_set_input_f32(qm, 1, in1.data + k * per_in, (size_t)per_in));
            TU_OK(qm, nnom_model_run(qm));
            TU_OK(qm, nnom_model_get_output_f32(qm, 1, y1, (size_t)per_out1));
            nnom_sqnr_add_f32(&acc, out1.data + k * per_out1, y1, (size_t)per_out1);
        }
        const double db = nnom_sqnr_db(&acc);
        printf("user_op_lambda%s: float32 within %.2g of Keras, int8 %.1f dB against Keras\n", layouts[f], worst, db);
        TU_CHECK(db >= 30.0, "%s: int8 %.1f dB", layouts[f], db);
        nnom_converter_destroy(c);
    }
    tu_lambda_fixture_free(&fx);
}

int main(void)
{
    tu_seed(16);
    check_registry();
    check_models();
    check_two_registries();
    check_refusals();
    check_header();
    check_quantise();
    check_keras();
    return tu_finish("test_user_op");
}
