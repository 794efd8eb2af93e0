/*
 * PERMUTE: the kernel (int8 and float32 elements) on random shapes and every permutation of ranks 1 to 3
 * against index arithmetic written here, then the layer through the public API in both element types, and
 * the errors of its infer.
 */
#include <string.h>

#include "kernels/permute.h"
#include "model_util.h"

/* The permutations of 0 .. rank-1, rank 1 to 3, as rows of perm_of(rank). */
static const int32_t PERMS3[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
static const int32_t PERMS2[2][3] = {{0, 1, 0}, {1, 0, 0}};
static const int32_t PERMS1[1][3] = {{0, 0, 0}};

static const int32_t *perm_of(int32_t rank, int k)
{
    return rank == 3 ? PERMS3[k % 6] : rank == 2 ? PERMS2[k % 2] : PERMS1[0];
}

/* Row-major offset of index @p idx in a tensor of @p dims. */
static size_t offset_of(int32_t rank, const int32_t *dims, const int32_t *idx)
{
    size_t o = 0;
    for (int32_t k = 0; k < rank; k++) o = o * (size_t)dims[k] + (size_t)idx[k];
    return o;
}

static void test_kernel(void)
{
    int n = 0;
    for (int t = 0; t < 600; t++) {
        nnom_permute_args a;
        memset(&a, 0, sizeof a);
        a.rank = tu_rand_int(1, 3);
        const int32_t *perm = perm_of(a.rank, tu_rand_int(0, 5));
        int32_t out_dims[3] = {1, 1, 1};
        size_t count = 1;
        for (int32_t k = 0; k < a.rank; k++) {
            a.in_dims[k] = tu_rand_int(1, 9);
            count *= (size_t)a.in_dims[k];
        }
        for (int32_t k = 0; k < a.rank; k++) {
            a.perm[k] = perm[k];
            out_dims[k] = a.in_dims[perm[k]];
        }
        a.elem_size = (t & 1) ? 4 : 1;
        uint8_t *in = malloc(count * a.elem_size), *out = malloc(count * a.elem_size + 1);
        TU_REQUIRE(in && out, "out of memory");
        for (size_t i = 0; i < count * a.elem_size; i++) in[i] = (uint8_t)tu_rand_int(0, 255);
        memset(out, 0x5A, count * a.elem_size + 1);
        nnom_permute(&a, in, out);
        size_t bad = 0;
        int32_t o[3] = {0, 0, 0};
        for (size_t i = 0; i < count; i++) {
            /* output index o: the input index j has j[perm[k]] = o[k] */
            int32_t j[3] = {0, 0, 0};
            for (int32_t k = 0; k < a.rank; k++) j[perm[k]] = o[k];
            bad += memcmp(out + offset_of(a.rank, out_dims, o) * a.elem_size,
                          in + offset_of(a.rank, a.in_dims, j) * a.elem_size, a.elem_size) != 0;
            for (int32_t k = a.rank - 1; k >= 0; k--) { /* next output index, row-major */
                if (++o[k] < out_dims[k]) break;
                o[k] = 0;
            }
        }
        TU_CHECK(bad == 0, "permute rank %d (%d, %d, %d) by (%d, %d, %d), %u-byte elements: %lu of %lu wrong",
                 (int)a.rank, (int)a.in_dims[0], (int)a.in_dims[1], (int)a.in_dims[2], (int)perm[0], (int)perm[1],
                 (int)perm[2], (unsigned)a.elem_size, (unsigned long)bad, (unsigned long)count);
        TU_CHECK(out[count * a.elem_size] == 0x5A, "permute wrote past its output");
        free(in);
        free(out);
        n++;
    }
    printf("permute kernel: %d random cases\n", n);
}

/* ------------------------------------------------------------ through the public API */

/* A PERMUTE layer named @p name reading @p input: permutation perm[shape_rank], output quantisation @p q. */
static nnom_layer_desc permute_desc(const char *name, int32_t input, int32_t shape_rank, const int32_t *perm,
                                    nnom_quant q)
{
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_PERMUTE, name, input);
    d.params.shape_rank = shape_rank;
    memcpy(d.params.shape, perm, sizeof d.params.shape);
    d.quant = q;
    return d;
}

/* Input (3, 4, 5) (or (6, 4)) -> PERMUTE @p perm -> PERMUTE back -> Output: checks the middle layer's
 * output element by element and that the pair is the identity. */
static void test_graph(nnom_dtype dtype, int32_t rank, const int32_t *perm)
{
    const nnom_quant q = {0.05f, -3};
    nnom_model *m = tu_model_new(dtype, NULL);
    const int32_t dims3[3] = {3, 4, 5}, dims2[3] = {6, 4, 0};
    const int32_t *dims = rank == 3 ? dims3 : dims2;
    nnom_shape shape = {rank, {dims[0], dims[1], dims[2]}};
    int32_t inverse[3] = {0, 0, 0};
    for (int32_t k = 0; k < rank; k++) inverse[perm[k]] = k;
    int32_t id, mid;
    TU_OK(m, nnom_model_add_input(m, "x", shape, q, &id));
    nnom_layer_desc d = permute_desc("p", id, rank, perm, q);
    TU_OK(m, nnom_model_add_layer(m, &d, &mid));
    d = permute_desc("back", mid, rank, inverse, q);
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    TU_OK(m, nnom_model_keep_all_outputs(m, 1));
    tu_finish_model(m, id);
    nnom_layer_info info;
    nnom_layer_info_init(&info);
    TU_OK(m, nnom_model_layer_info(m, mid, &info));
    for (int32_t k = 0; k < rank; k++)
        TU_CHECK(info.shape.dims[k] == dims[perm[k]], "axis %d of the permuted shape is %d, expected %d", (int)k,
                 (int)info.shape.dims[k], (int)dims[perm[k]]);
    const size_t n = (size_t)dims[0] * dims[1] * (rank == 3 ? dims[2] : 1);
    float xf[60];
    int8_t xs[60];
    tu_fill_f32(xf, n, -5.0f, 5.0f);
    tu_fill_s8(xs, n, -128, 127);
    if (dtype == NNOM_DTYPE_F32) TU_OK(m, nnom_model_set_input_f32(m, 0, xf, n));
    else TU_OK(m, nnom_model_set_input_s8(m, 0, xs, n));
    TU_OK(m, nnom_model_run(m));
    const uint32_t es = dtype == NNOM_DTYPE_F32 ? 4 : 1;
    const uint8_t *x = dtype == NNOM_DTYPE_F32 ? (const uint8_t *)xf : (const uint8_t *)xs;
    const uint8_t *pm = (const uint8_t *)nnom_model_layer_output(m, mid);
    const uint8_t *y = (const uint8_t *)nnom_model_output_data(m, 0);
    TU_REQUIRE(pm && y, "no outputs");
    int32_t out_dims[3] = {0, 0, 0};
    for (int32_t k = 0; k < rank; k++) out_dims[k] = dims[perm[k]];
    size_t bad = 0;
    int32_t o[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        int32_t j[3] = {0, 0, 0};
        for (int32_t k = 0; k < rank; k++) j[perm[k]] = o[k];
        bad += memcmp(pm + offset_of(rank, out_dims, o) * es, x + offset_of(rank, dims, j) * es, es) != 0;
        for (int32_t k = rank - 1; k >= 0; k--) {
            if (++o[k] < out_dims[k]) break;
            o[k] = 0;
        }
    }
    TU_CHECK(bad == 0, "graph permute: %lu of %lu wrong", (unsigned long)bad, (unsigned long)n);
    TU_CHECK(memcmp(y, x, n * es) == 0, "a permutation then its inverse is not the identity");
    nnom_model_destroy(m);
}

static void expect_error(int32_t shape_rank, const int32_t *perm, nnom_quant out_q, nnom_status want,
                         const char *subject)
{
    const nnom_quant q = {0.1f, 7};
    nnom_model *m = tu_model_new(NNOM_DTYPE_S8, NULL);
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "x", (nnom_shape){3, {4, 5, 2}}, q, &id));
    const nnom_layer_desc d = permute_desc("perm", id, shape_rank, perm, out_q);
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    char msg[512];
    const nnom_status st = tu_compile_or_destroy(m, id, NULL, msg, sizeof msg);
    TU_CHECK(st == want, "%s: got %s (%s), expected %s", subject, nnom_status_name(st), msg, nnom_status_name(want));
    TU_CHECK(strstr(msg, "'perm'") && strstr(msg, "permute") && strstr(msg, subject),
             "message should name the layer, its type and '%s': %s", subject, msg);
}

static void test_errors(void)
{
    const nnom_quant q = {0.1f, 7}, other = {0.2f, 7};
    const int32_t ok[3] = {2, 0, 1}, twice[3] = {0, 1, 1}, past[3] = {0, 3, 1}, negative[3] = {-1, 0, 1};
    expect_error(3, ok, other, NNOM_ERR_ARGUMENT, "quantisation");
    expect_error(2, ok, q, NNOM_ERR_SHAPE, "has 2 axes");
    expect_error(3, twice, q, NNOM_ERR_SHAPE, "axis 2 of the permutation is 1");
    expect_error(3, past, q, NNOM_ERR_SHAPE, "axis 1 of the permutation is 3");
    expect_error(3, negative, q, NNOM_ERR_SHAPE, "axis 0 of the permutation is -1");
}

int main(void)
{
    tu_seed(0x9E7);
    test_kernel();
    for (int k = 0; k < 6; k++) {
        test_graph(NNOM_DTYPE_S8, 3, PERMS3[k]);
        test_graph(NNOM_DTYPE_F32, 3, PERMS3[k]);
    }
    for (int k = 0; k < 2; k++) {
        test_graph(NNOM_DTYPE_S8, 2, PERMS2[k]);
        test_graph(NNOM_DTYPE_F32, 2, PERMS2[k]);
    }
    test_errors();
    return tu_finish("test_permute");
}
