/*
 * The model API's contract: call order, argument checks, error messages,
 * float/int8 input and output conversion, allocator hooks. Uses only the
 * layers without kernels (input, reshape, flatten, output) so that it tests
 * the core alone.
 */
#include <math.h>
#include <string.h>

#include "model_util.h"

static int contains(const char *s, const char *w) { return strstr(s, w) != NULL; }

int main(void)
{
    nnom_model *m;
    nnom_error err;

    /* creation */
    TU_CHECK(nnom_model_create((nnom_dtype)7, NULL, &m, &err) == NNOM_ERR_UNSUPPORTED && m == NULL, "bad dtype");
    TU_CHECK(contains(err.message, "NNOM_DTYPE_S8"), "message: %s", err.message);
    TU_CHECK(nnom_model_create(NNOM_DTYPE_S8, NULL, NULL, &err) == NNOM_ERR_ARGUMENT, "NULL out");
    TU_OK(NULL, nnom_model_create(NNOM_DTYPE_S8, NULL, &m, &err));

    /* building errors */
    nnom_shape shape = {3, {2, 3, 4}};
    nnom_quant q = {0.5f, 10};
    int32_t in_id = -1, id;
    TU_OK(m, nnom_model_add_input(m, "x", shape, q, &in_id));
    TU_CHECK(in_id == 0, "first id is 0");
    TU_CHECK(nnom_model_add_input(m, "x", shape, q, NULL) == NNOM_ERR_ARGUMENT, "duplicate name accepted");
    TU_CHECK(contains(nnom_model_last_error(m), "used twice"), "message: %s", nnom_model_last_error(m));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_FLATTEN, "flat", 5);
    TU_CHECK(nnom_model_add_layer(m, &d, NULL) == NNOM_ERR_ARGUMENT, "forward reference accepted");
    TU_CHECK(contains(nnom_model_last_error(m), "refers to layer 5"), "message: %s", nnom_model_last_error(m));
    d = tu_desc1(NNOM_LAYER_FLATTEN, "a_name_that_is_far_too_long_for_the_format", 0);
    TU_CHECK(nnom_model_add_layer(m, &d, NULL) == NNOM_ERR_ARGUMENT, "long name accepted");
    d = tu_desc1((nnom_layer_type)99, "weird", 0);
    TU_CHECK(nnom_model_add_layer(m, &d, NULL) == NNOM_ERR_UNSUPPORTED, "unknown type accepted");
    TU_CHECK(nnom_model_compile(m) == NNOM_ERR_STATE, "compiled without an output");
    TU_CHECK(contains(nnom_model_last_error(m), "no OUTPUT"), "message: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);

    /* a view-only model: x (2,3,4) -> reshape (6,4) -> flatten -> output */
    TU_OK(NULL, nnom_model_create(NNOM_DTYPE_S8, NULL, &m, &err));
    TU_OK(m, nnom_model_add_input(m, "x", shape, q, &in_id));
    d = tu_desc1(NNOM_LAYER_RESHAPE, "reshape", in_id);
    d.params.shape_rank = 2;
    d.params.shape[0] = 6;
    d.params.shape[1] = 5; /* 30 != 24 */
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    d = tu_desc1(NNOM_LAYER_FLATTEN, NULL, id); /* generated name */
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    tu_add_output(m, id, "y");
    TU_CHECK(nnom_model_compile(m) == NNOM_ERR_SHAPE, "bad reshape accepted");
    TU_CHECK(contains(nnom_model_last_error(m), "'reshape'") && contains(nnom_model_last_error(m), "30"),
             "message: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);

    TU_OK(NULL, nnom_model_create(NNOM_DTYPE_S8, NULL, &m, &err));
    TU_OK(m, nnom_model_add_input(m, "x", shape, q, &in_id));
    d = tu_desc1(NNOM_LAYER_RESHAPE, "reshape", in_id);
    d.params.shape_rank = 2;
    d.params.shape[0] = 6;
    d.params.shape[1] = 4;
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    d = tu_desc1(NNOM_LAYER_FLATTEN, NULL, id);
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    tu_add_output(m, id, "y");
    TU_CHECK(nnom_model_run(m) == NNOM_ERR_STATE, "ran before compile");
    TU_CHECK(nnom_model_set_arena(m, NULL, 0) == NNOM_ERR_STATE, "arena before compile");
    TU_OK(m, nnom_model_compile(m));
    TU_CHECK(nnom_model_compile(m) == NNOM_ERR_STATE, "compiled twice");
    TU_CHECK(nnom_model_add_input(m, "late", shape, q, NULL) == NNOM_ERR_STATE, "added after compile");
    TU_CHECK(nnom_model_arena_size(m) == 24, "views share one buffer: arena %zu", nnom_model_arena_size(m));
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    TU_OK(m, nnom_model_layer_info(m, 2, &info));
    TU_CHECK(strcmp(info.name, "flatten_2") == 0, "generated name %s", info.name);
    TU_CHECK(info.shape.rank == 1 && info.shape.dims[0] == 24 && info.in_place == 1, "flatten info");
    TU_CHECK(strcmp(info.type_name, "flatten") == 0, "type name %s", info.type_name);
    TU_CHECK(nnom_model_layer_info(m, 4, &info) == NNOM_ERR_ARGUMENT, "layer index out of range");
    TU_CHECK(nnom_model_run(m) == NNOM_ERR_STATE, "ran without arena");
    TU_CHECK(contains(nnom_model_last_error(m), "no arena"), "message: %s", nnom_model_last_error(m));

    /* arena: alignment, one byte too small, exact */
    static uint32_t arena_words[16];
    uint8_t *arena = (uint8_t *)arena_words;
    TU_CHECK(nnom_model_set_arena(m, arena + 1, 40) == NNOM_ERR_ARGUMENT, "misaligned arena");
    TU_CHECK(nnom_model_set_arena(m, arena, 23) == NNOM_ERR_ARENA_TOO_SMALL, "arena one byte short");
    TU_CHECK(contains(nnom_model_last_error(m), "23 bytes") && contains(nnom_model_last_error(m), "needs 24"),
             "message: %s", nnom_model_last_error(m));
    TU_OK(m, nnom_model_set_arena(m, arena, 24));

    /* I/O: counts, dtypes, quantisation round trip */
    nnom_tensor_info ti;
    TU_OK(m, nnom_model_input_info(m, 0, &ti));
    TU_CHECK(ti.count == 24 && ti.quant.zero_point == 10 && strcmp(ti.name, "x") == 0, "input info");
    TU_CHECK(nnom_model_input_info(m, 1, &ti) == NNOM_ERR_ARGUMENT, "input 1 does not exist");
    float xf[24], yf[24];
    int8_t ys[24];
    for (int i = 0; i < 24; i++) xf[i] = (float)(i - 12) * 0.7f;
    TU_CHECK(nnom_model_set_input_f32(m, 0, xf, 23) == NNOM_ERR_SHAPE, "short input accepted");
    TU_CHECK(contains(nnom_model_last_error(m), "23 values given") && contains(nnom_model_last_error(m), "has 24"),
             "message: %s", nnom_model_last_error(m));
    TU_CHECK(nnom_model_set_input_f32(m, 2, xf, 24) == NNOM_ERR_ARGUMENT, "input 2 accepted");
    TU_OK(m, nnom_model_set_input_f32(m, 0, xf, 24));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, yf, 24));
    TU_OK(m, nnom_model_get_output_s8(m, 0, ys, 24));
    for (int i = 0; i < 24; i++) {
        int32_t qv = tu_clamp(tu_round_away(xf[i] / 0.5) + 10, -128, 127);
        TU_CHECK(ys[i] == qv, "quantised %d: %d, expected %d", i, ys[i], qv);
        TU_CHECK(yf[i] == 0.5f * (float)(qv - 10), "dequantised %d", i);
    }

    /* non-finite inputs: refused by default, naming the input and the value's position, the input untouched;
     * allowed, NaN becomes the zero point and infinities saturate */
    const float special[3] = {NAN, INFINITY, -INFINITY};
    const char *special_names[3] = {"NaN", "+inf", "-inf"};
    const int8_t special_q[3] = {10, 127, -128};
    for (int k = 0; k < 3; k++) {
        int8_t before[24];
        memcpy(before, nnom_model_input_data(m, 0), sizeof before);
        float bad[24];
        memcpy(bad, xf, sizeof bad);
        bad[17] = special[k];
        TU_CHECK(nnom_model_set_input_f32(m, 0, bad, 24) == NNOM_ERR_ARGUMENT, "%s accepted", special_names[k]);
        TU_CHECK(contains(nnom_model_last_error(m), "input 0 ('x'): value 17 is") &&
                     contains(nnom_model_last_error(m), special_names[k]),
                 "message: %s", nnom_model_last_error(m));
        TU_CHECK(memcmp(before, nnom_model_input_data(m, 0), sizeof before) == 0, "a refused input was written");
        nnom_model_allow_nonfinite(m, 1);
        TU_OK(m, nnom_model_set_input_f32(m, 0, bad, 24));
        TU_CHECK(((const int8_t *)nnom_model_input_data(m, 0))[17] == special_q[k], "%s quantised to %d",
                 special_names[k], ((const int8_t *)nnom_model_input_data(m, 0))[17]);
        nnom_model_allow_nonfinite(m, 0);
    }
    nnom_model_destroy(m);

    /* a float32 model refuses int8 I/O */
    TU_OK(NULL, nnom_model_create(NNOM_DTYPE_F32, NULL, &m, &err));
    TU_OK(m, nnom_model_add_input(m, "x", shape, q, &in_id));
    tu_add_output(m, in_id, "y");
    TU_OK(m, nnom_model_compile(m));
    TU_CHECK(nnom_model_arena_size(m) == 96, "float arena %zu", nnom_model_arena_size(m));
    TU_OK(m, nnom_model_alloc_arena(m));
    int8_t xs[24] = {0};
    TU_CHECK(nnom_model_set_input_s8(m, 0, xs, 24) == NNOM_ERR_ARGUMENT, "int8 into a float model");
    TU_OK(m, nnom_model_set_input_f32(m, 0, xf, 24));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, yf, 24));
    TU_CHECK(memcmp(xf, yf, sizeof xf) == 0, "float identity model");
    nnom_model_destroy(m);

    /* a pool allocator: everything from a static buffer; an exhausted pool is a clean error */
    static uint8_t pool_mem[16384];
    nnom_pool pool;
    nnom_pool_init(&pool, pool_mem, sizeof pool_mem);
    nnom_options opt;
    nnom_options_init(&opt);
    opt.allocator = &pool.allocator;
    TU_OK(NULL, nnom_model_create(NNOM_DTYPE_S8, &opt, &m, &err));
    TU_OK(m, nnom_model_add_input(m, "x", shape, q, &in_id));
    tu_add_output(m, in_id, "y");
    TU_OK(m, nnom_model_compile(m));
    TU_OK(m, nnom_model_alloc_arena(m));
    TU_CHECK(nnom_pool_used(&pool) > 0 && nnom_pool_used(&pool) <= sizeof pool_mem, "pool used %zu", nnom_pool_used(&pool));
    nnom_model_destroy(m);
    nnom_pool_init(&pool, pool_mem, 64);
    TU_CHECK(nnom_model_create(NNOM_DTYPE_S8, &opt, &m, &err) == NNOM_ERR_NO_MEMORY, "tiny pool");
    TU_CHECK(contains(err.message, "out of memory"), "message: %s", err.message);

    /* evaluation totals against a count made here: ranks with ties to the lower class index */
    {
        enum { N = 300, C = 7, K = 3 };
        int64_t confusion[C * C] = {0}, ranks[C] = {0}, want_conf[C * C] = {0}, want_ranks[C] = {0};
        int64_t want_top1 = 0, want_topk = 0;
        nnom_eval e;
        nnom_eval_init(&e);
        e.n_classes = C;
        e.k = K;
        e.confusion = confusion;
        e.rank_counts = ranks;
        tu_seed(99);
        for (int s = 0; s < N; s++) {
            int8_t scores[C];
            tu_fill_s8(scores, C, -4, 4); /* small range: many ties */
            int32_t label = tu_rand_int(0, C - 1), rank = 0, best = 0;
            for (int c = 0; c < C; c++) {
                if (scores[c] > scores[label] || (scores[c] == scores[label] && c < label)) rank++;
                if (scores[c] > scores[best]) best = c;
            }
            want_top1 += rank == 0;
            want_topk += rank < K;
            want_ranks[rank]++;
            want_conf[label * C + best]++;
            TU_CHECK(nnom_eval_add(&e, NNOM_DTYPE_S8, scores, label) == NNOM_OK, "eval add");
        }
        TU_CHECK(e.samples == N && e.top1 == want_top1 && e.topk == want_topk, "eval totals %lld/%lld",
                 (long long)e.top1, (long long)e.topk);
        TU_CHECK(memcmp(ranks, want_ranks, sizeof ranks) == 0, "rank counts");
        TU_CHECK(memcmp(confusion, want_conf, sizeof confusion) == 0, "confusion matrix");
        int8_t scores[C] = {0};
        TU_CHECK(nnom_eval_add(&e, NNOM_DTYPE_S8, scores, C) == NNOM_ERR_ARGUMENT, "label out of range accepted");
    }

    TU_CHECK(strcmp(nnom_status_name(NNOM_ERR_CHECKSUM), "NNOM_ERR_CHECKSUM") == 0, "status names");
    TU_CHECK(strcmp(nnom_layer_type_name(NNOM_LAYER_CONV2D), "conv2d") == 0, "type names");
    return tu_finish("test_model_api");
}
