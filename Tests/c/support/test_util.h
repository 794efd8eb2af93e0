/*
 * Test support: a deterministic RNG, assertions that report and count
 * failures, and reference arithmetic written independently of the runtime
 * (double precision, then the TFLite rounding spec).
 */
#ifndef NNOM_TEST_UTIL_H
#define NNOM_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "nnom/nnom.h"

/* ---- assertions: print file:line and the message, count, and continue */
extern int tu_failures;
extern int tu_checks;

#define TU_CHECK(cond, ...)                                                        \
    do {                                                                           \
        tu_checks++;                                                               \
        if (!(cond)) {                                                             \
            tu_failures++;                                                         \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                          \
            fputc('\n', stderr);                                                   \
        }                                                                          \
    } while (0)

/* Fails and aborts the test program at once (for setup failures). */
#define TU_REQUIRE(cond, ...)                                                      \
    do {                                                                           \
        tu_checks++;                                                               \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: required: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                          \
            fputc('\n', stderr);                                                   \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

/* Asserts a call returned NNOM_OK, printing the model's message otherwise. */
#define TU_OK(model, call)                                                         \
    do {                                                                           \
        nnom_status tu_st_ = (call);                                               \
        TU_REQUIRE(tu_st_ == NNOM_OK, "%s: %s", nnom_status_name(tu_st_),          \
                   (model) ? nnom_model_last_error(model) : "");                   \
    } while (0)

/* Prints the summary; returns the process exit code. */
int tu_finish(const char *test_name);

/* ---- random numbers (xorshift64*, fixed seed per test) */
void tu_seed(uint64_t seed);
uint32_t tu_rand_u32(void);
int32_t tu_rand_int(int32_t lo, int32_t hi);   /* inclusive */
float tu_rand_float(float lo, float hi);
void tu_fill_s8(int8_t *p, size_t n, int32_t lo, int32_t hi);
void tu_fill_s32(int32_t *p, size_t n, int32_t lo, int32_t hi);
void tu_fill_f32(float *p, size_t n, float lo, float hi);

/* ---- reference arithmetic, independent of the runtime's code */

/* Round half away from zero of a double. */
int64_t tu_round_away(double x);

/* The TFLite requantisation computed with exact integer arithmetic in a
 * different form: floor(acc * 2^max(shift,0) * mult / 2^31 + 1/2) (the high
 * multiply rounds ties up), then round_away(. / 2^-min(shift,0)). */
int32_t tu_ref_requantize(int64_t acc, int32_t mult, int32_t shift);

/* A real multiplier split into Q31 multiplier and shift, by frexp. */
void tu_ref_multiplier(double real, int32_t *mult, int32_t *shift);

/* Saturate to int8 / to [lo, hi]. */
int32_t tu_clamp(int64_t v, int32_t lo, int32_t hi);

/* The int8 clamp of a fused activation for output quantisation @p q: the zero point (RELU, RELU6)
 * and round_away(6 / scale) plus the zero point (RELU6), within the int8 range. */
void tu_ref_act_bounds_s8(int act, nnom_quant q, int32_t *lo, int32_t *hi);

/* The element-wise activations in double, Keras 3's definitions (hard sigmoid: relu6(x + 3) / 6;
 * leaky relu: slope @p alpha below 0); NaN for another layer type. */
double tu_ref_activation(nnom_layer_type type, double alpha, double x);

/* Max |a - b| over n floats, and the largest |b|. */
double tu_max_abs_diff_f32(const float *a, const float *b, size_t n);

#endif
