/*
 * MATMUL: products of two activations, float32 and int8, rank 2 and batched rank 3, B plain and
 * transposed, with a fused relu; against references written here (double sums; the int8 one with
 * exact integer sums and the test's own requantisation, bit for bit). Refusals of mismatched shapes.
 */
#include <math.h>
#include <string.h>

#include "model_util.h"

#define CASES 40
#define MAX_ELEMS 4096

static int8_t a8[MAX_ELEMS], b8[MAX_ELEMS], out8[MAX_ELEMS];
static float af[MAX_ELEMS], bf[MAX_ELEMS], outf[MAX_ELEMS];

typedef struct mm_case {
    int32_t rank, p, m, k, n, transpose, activation;
} mm_case;

static nnom_shape shape_of(int32_t rank, int32_t p, int32_t r, int32_t c)
{
    nnom_shape s = {rank, {0, 0, 0}};
    if (rank == 3) s.dims[0] = p, s.dims[1] = r, s.dims[2] = c;
    else s.dims[0] = r, s.dims[1] = c;
    return s;
}

static nnom_model *build(nnom_dtype dtype, const mm_case *c, nnom_quant qa, nnom_quant qb, nnom_quant qy,
                         const int32_t *params)
{
    nnom_model *m = tu_model_new(dtype, NULL);
    int32_t ia, ib, id;
    TU_OK(m, nnom_model_add_input(m, "a", shape_of(c->rank, c->p, c->m, c->k), qa, &ia));
    TU_OK(m, nnom_model_add_input(m, "b", c->transpose ? shape_of(c->rank, c->p, c->n, c->k)
                                                      : shape_of(c->rank, c->p, c->k, c->n), qb, &ib));
    nnom_layer_desc d = tu_desc(NNOM_LAYER_MATMUL, "mm", 2, (const int32_t[]){ia, ib});
    d.params.cell_flags = c->transpose ? NNOM_MATMUL_TRANSPOSE_B : 0;
    d.params.activation = c->activation;
    d.quant = qy;
    if (params) d.blobs[0] = (nnom_blob){params, 8u};
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    tu_add_output(m, id, NULL);
    return m;
}

/* element (k, j) of batch p of B */
static int32_t b_index(const mm_case *c, int32_t p, int32_t k, int32_t j)
{
    return p * c->k * c->n + (c->transpose ? j * c->k + k : k * c->n + j);
}

static mm_case random_case(int t)
{
    mm_case c;
    c.rank = 2 + t % 2;
    c.p = c.rank == 3 ? tu_rand_int(1, 4) : 1;
    c.m = tu_rand_int(1, 9);
    c.k = t == 0 ? 1 : tu_rand_int(1, 24);
    c.n = tu_rand_int(1, 9);
    c.transpose = (t / 2) % 2;
    c.activation = t % 5 == 4 ? NNOM_ACT_RELU : NNOM_ACT_NONE;
    return c;
}

static void check_f32(void)
{
    for (int t = 0; t < CASES; t++) {
        const mm_case c = random_case(t);
        const int32_t na = c.p * c.m * c.k, nb = c.p * c.k * c.n, ny = c.p * c.m * c.n;
        tu_fill_f32(af, (size_t)na, -2.0f, 2.0f);
        tu_fill_f32(bf, (size_t)nb, -2.0f, 2.0f);
        nnom_model *m = build(NNOM_DTYPE_F32, &c, (nnom_quant){0.0f, 0}, (nnom_quant){0.0f, 0}, (nnom_quant){0.0f, 0},
                              NULL);
        TU_OK(m, nnom_model_compile(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        TU_OK(m, nnom_model_set_input_f32(m, 0, af, (size_t)na));
        TU_OK(m, nnom_model_set_input_f32(m, 1, bf, (size_t)nb));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, outf, (size_t)ny));
        double worst = 0.0;
        for (int32_t p = 0; p < c.p; p++)
            for (int32_t i = 0; i < c.m; i++)
                for (int32_t j = 0; j < c.n; j++) {
                    double s = 0.0;
                    for (int32_t k = 0; k < c.k; k++) s += (double)af[(p * c.m + i) * c.k + k] * bf[b_index(&c, p, k, j)];
                    if (c.activation == NNOM_ACT_RELU && s < 0.0) s = 0.0;
                    worst = fmax(worst, fabs(outf[(p * c.m + i) * c.n + j] - s));
                }
        TU_CHECK(worst <= 1e-5 * c.k, "f32 case %d (%d x %d x %d x %d, transpose %d): error %g", t, (int)c.p, (int)c.m,
                 (int)c.k, (int)c.n, (int)c.transpose, worst);
        nnom_model_destroy(m);
    }
}

static void check_s8(void)
{
    for (int t = 0; t < CASES; t++) {
        const mm_case c = random_case(t);
        const int32_t na = c.p * c.m * c.k, nb = c.p * c.k * c.n, ny = c.p * c.m * c.n;
        tu_fill_s8(a8, (size_t)na, -128, 127);
        tu_fill_s8(b8, (size_t)nb, -128, 127);
        const nnom_quant qa = {tu_rand_float(0.005f, 0.05f), tu_rand_int(-20, 20)};
        const nnom_quant qb = {tu_rand_float(0.005f, 0.05f), tu_rand_int(-20, 20)};
        const nnom_quant qy = {qa.scale * qb.scale * (float)c.k * tu_rand_float(8.0f, 30.0f), tu_rand_int(-10, 10)};
        int32_t params[2];
        tu_ref_multiplier((double)qa.scale * qb.scale / qy.scale, &params[0], &params[1]);
        nnom_model *m = build(NNOM_DTYPE_S8, &c, qa, qb, qy, params);
        TU_OK(m, nnom_model_compile(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        TU_OK(m, nnom_model_set_input_s8(m, 0, a8, (size_t)na));
        TU_OK(m, nnom_model_set_input_s8(m, 1, b8, (size_t)nb));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_s8(m, 0, out8, (size_t)ny));
        int mismatches = 0;
        const int32_t lo = c.activation == NNOM_ACT_RELU ? (qy.zero_point > -128 ? qy.zero_point : -128) : -128;
        for (int32_t p = 0; p < c.p; p++)
            for (int32_t i = 0; i < c.m; i++)
                for (int32_t j = 0; j < c.n; j++) {
                    int64_t acc = 0;
                    for (int32_t k = 0; k < c.k; k++)
                        acc += (int64_t)(a8[(p * c.m + i) * c.k + k] - qa.zero_point) *
                               (b8[b_index(&c, p, k, j)] - qb.zero_point);
                    const int32_t want =
                        tu_clamp((int64_t)tu_ref_requantize(acc, params[0], params[1]) + qy.zero_point, lo, 127);
                    mismatches += out8[(p * c.m + i) * c.n + j] != want;
                }
        TU_CHECK(mismatches == 0, "s8 case %d (%d x %d x %d x %d, transpose %d): %d of %d values differ", t, (int)c.p,
                 (int)c.m, (int)c.k, (int)c.n, (int)c.transpose, mismatches, (int)ny);
        nnom_model_destroy(m);
    }
}

static void check_refusals(void)
{
    /* A (3, 4) x B (5, 6): the inner dimensions differ */
    nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
    int32_t ia, ib;
    TU_OK(m, nnom_model_add_input(m, "a", shape_of(2, 1, 3, 4), (nnom_quant){0.0f, 0}, &ia));
    TU_OK(m, nnom_model_add_input(m, "b", shape_of(2, 1, 5, 6), (nnom_quant){0.0f, 0}, &ib));
    nnom_layer_desc d = tu_desc(NNOM_LAYER_MATMUL, "mm", 2, (const int32_t[]){ia, ib});
    TU_OK(m, nnom_model_add_layer(m, &d, NULL));
    TU_CHECK(nnom_model_compile(m) == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "inner dimensions (4, 5)"),
             "inner mismatch: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);
}

int main(void)
{
    tu_seed(50);
    check_f32();
    check_s8();
    check_refusals();
    return tu_finish("test_matmul");
}
