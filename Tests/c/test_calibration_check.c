/*
 * nnom_converter_check_calibration: calibration arrays of the wrong shape, in the wrong order, with unequal
 * batches or the wrong count are refused with a message naming the input, its expected shape and the shape
 * given. Uses the committed two-input fixture (inputs (8, 8, 3) and (6,)).
 */
#include <stdio.h>
#include <string.h>

#include "nnom/tools.h"
#include "test_util.h"

static int contains(const char *s, const char *w) { return strstr(s, w) != NULL; }

static void expect_refusal(nnom_converter *c, int32_t n, const int32_t *ranks, const int64_t *dims,
                           const char *const *words)
{
    size_t samples = 99;
    TU_CHECK(nnom_converter_check_calibration(c, n, ranks, dims, &samples) == NNOM_ERR_SHAPE, "accepted: %s",
             words[0]);
    TU_CHECK(samples == 0, "a refusal reports %lu samples", (unsigned long)samples);
    for (int k = 0; words[k]; k++)
        TU_CHECK(contains(nnom_converter_last_error(c), words[k]), "'%s' missing from: %s", words[k],
                 nnom_converter_last_error(c));
}

int main(void)
{
    nnom_converter *c;
    nnom_error err;
    const char *path = NNOM_FIXTURES_DIR "/keras/two_inputs_two_outputs.keras";
    TU_REQUIRE(nnom_keras_read(path, &c, &err) == NNOM_OK, "%s: %s", path, err.message);
    nnom_tensor_info a, b;
    TU_OK(NULL, nnom_model_input_info(nnom_converter_float_model(c), 0, &a));
    TU_OK(NULL, nnom_model_input_info(nnom_converter_float_model(c), 1, &b));
    TU_REQUIRE(a.shape.rank == 3 && a.count == 8 * 8 * 3 && b.shape.rank == 1 && b.count == 6,
               "the fixture's inputs changed: rank %d count %d, rank %d count %d", (int)a.shape.rank, (int)a.count,
               (int)b.shape.rank, (int)b.count);
    char a_shape[64], b_shape[64];
    snprintf(a_shape, sizeof a_shape, "input 0 ('%s'): expected shape (batch, 8, 8, 3)", a.name);
    snprintf(b_shape, sizeof b_shape, "input 1 ('%s'): expected shape (batch, 6)", b.name);

    /* the right shapes, in order */
    const int32_t ranks_ok[2] = {4, 2};
    const int64_t dims_ok[6] = {5, 8, 8, 3, 5, 6};
    size_t samples = 0;
    TU_OK(NULL, nnom_converter_check_calibration(c, 2, ranks_ok, dims_ok, &samples));
    TU_CHECK(samples == 5, "5 samples, got %lu", (unsigned long)samples);

    /* swapped: the first array has the second input's shape */
    const int32_t ranks_swapped[2] = {2, 4};
    const int64_t dims_swapped[6] = {5, 6, 5, 8, 8, 3};
    expect_refusal(c, 2, ranks_swapped, dims_swapped,
                   (const char *const[]){a_shape, "given (5, 6)", "the shape of input 1", "model's order", NULL});

    /* a wrong shape, neither input's; a flattened image is not an image */
    const int64_t dims_wrong[6] = {5, 8, 8, 4, 5, 6};
    expect_refusal(c, 2, ranks_ok, dims_wrong, (const char *const[]){a_shape, "given (5, 8, 8, 4)", NULL});
    const int32_t ranks_flat[2] = {2, 2};
    const int64_t dims_flat[4] = {5, 192, 5, 6};
    expect_refusal(c, 2, ranks_flat, dims_flat, (const char *const[]){a_shape, "given (5, 192)", NULL});
    const int64_t dims_b[6] = {5, 8, 8, 3, 5, 7};
    expect_refusal(c, 2, ranks_ok, dims_b, (const char *const[]){b_shape, "given (5, 7)", NULL});

    /* dims of 1 aside, a sample fits: (5, 8, 8, 3, 1) and (5, 1, 6) */
    const int32_t ranks_ones[2] = {5, 3};
    const int64_t dims_ones[8] = {5, 8, 8, 3, 1, 5, 1, 6};
    TU_OK(NULL, nnom_converter_check_calibration(c, 2, ranks_ones, dims_ones, &samples));

    /* one sample without its batch axis, as predict() takes it: a batch of one */
    const int32_t ranks_one[2] = {3, 1};
    const int64_t dims_one[4] = {8, 8, 3, 6};
    samples = 0;
    TU_OK(NULL, nnom_converter_check_calibration(c, 2, ranks_one, dims_one, &samples));
    TU_CHECK(samples == 1, "one unbatched sample: %lu samples", (unsigned long)samples);
    const int32_t ranks_mixed[2] = {3, 2};
    const int64_t dims_mixed[5] = {8, 8, 3, 5, 6};
    expect_refusal(c, 2, ranks_mixed, dims_mixed, (const char *const[]){"input 1", "5 samples", "has 1", NULL});

    /* unequal batches, no samples, one array for two inputs, a batch without dims */
    const int64_t dims_batches[6] = {5, 8, 8, 3, 4, 6};
    expect_refusal(c, 2, ranks_ok, dims_batches, (const char *const[]){"input 1", "4 samples", "has 5", NULL});
    const int64_t dims_empty[6] = {0, 8, 8, 3, 0, 6};
    expect_refusal(c, 2, ranks_ok, dims_empty, (const char *const[]){"input 0", "no samples", NULL});
    expect_refusal(c, 1, ranks_ok, dims_ok,
                   (const char *const[]){"the model has 2 inputs", "(batch, 8, 8, 3)", "(batch, 6)", "1 array given",
                                         NULL});
    const int32_t ranks_bad[2] = {0, 2};
    expect_refusal(c, 2, ranks_bad, dims_ok, (const char *const[]){"input 0", "rank 0", NULL});
    nnom_converter_destroy(c);
    return tu_finish("calibration check");
}
