/*
 * What the files of the kernel equivalence firmware test share (kernel_equivalence.c: main, the
 * convolution, dense, matrix product, pooling and element-wise kernels; equivalence_rnn.c: the
 * requantisation forms and the recurrent kernel; equivalence_interrupts.c: the dense, convolution,
 * depthwise, add and recurrent kernels under interrupts): the portable kernels compiled beside the DSP ones
 * (portable_*.c), the buffers, the random numbers and the reports.
 */
#ifndef NNOM_FW_EQUIVALENCE_H
#define NNOM_FW_EQUIVALENCE_H

#include <stdint.h>

#include "kernels/conv.h"
#include "kernels/dense.h"
#include "kernels/elementwise.h"
#include "kernels/matmul.h"
#include "kernels/pool.h"
#include "kernels/rnn.h"
#include "kernels/transpose_conv.h"

void portable_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch, uint32_t scratch_bytes);
void portable_depthwise_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out);
void portable_dense_s8(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out);
void portable_matmul_s8(const nnom_matmul_s8_args *x);
void portable_add_s8(const nnom_elementwise_s8_args *a);
void portable_sub_s8(const nnom_elementwise_s8_args *a);
void portable_mul_s8(const nnom_elementwise_s8_args *a);
void portable_max_pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out);
void portable_avg_pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out);
void portable_global_avg_pool_s8(const nnom_pool_args *a, const int8_t *in, int8_t *out);
void portable_rnn_s8(const nnom_rnn_s8_args *a, const int8_t *in, int8_t *out, int16_t *state, int16_t *scratch);
uint32_t portable_rnn_s8_scratch_bytes(int32_t cell, int32_t units);
void portable_transpose_conv_s8(const nnom_transpose_conv_args *a, const int8_t *in, int8_t *out);

enum { MAX_C = 80, MAX_IN = 16 * 16 * MAX_C, MAX_OUT = 16 * 16 * MAX_C, MAX_W = 300000, MAX_SCRATCH = 64 * 1024 };

extern int8_t input[MAX_IN + 8];
extern int8_t weights[MAX_W + 8];
extern int8_t out_arm[MAX_OUT + 8], out_portable[MAX_OUT + 8];
extern int32_t bias[MAX_C * 4], multiplier[MAX_C * 4], shift[MAX_C * 4];
extern uint32_t scratch[MAX_SCRATCH / 4];

/* Random numbers (xorshift32): a word, uniform in [lo, hi], true percent % of the time, bytes. */
extern uint32_t rng; /* the random sequence's state */
uint32_t next(void);
int32_t range(int32_t lo, int32_t hi);
int chance(int percent);
void fill_s8(int8_t *p, int32_t n);
extern int failures_shown; /* mismatches reported in detail so far */
/* The first difference of case case_no between a (DSP) and b (portable), n bytes (the first 8 cases). */
void report(const char *kernel, int32_t case_no, const int8_t *a, const int8_t *b, int32_t n);
/* "kernel: N cases, M mismatches" */
void summary(const char *kernel, int32_t cases, int32_t bad);
/* A convolution's shape on one line (after a report). */
void describe(const nnom_conv_args *a);
/* Output size and padding along one axis of in elements, a window of k taps at stride s and
 * dilation d, Keras' rules (SAME: the smaller half of the padding before). */
void axis(int32_t in, int32_t k, int32_t s, int32_t d, int same, int32_t *out, int32_t *pad);

/* equivalence_rnn.c: the fast requantisations against the portable one, and the recurrent kernel;
 * each returns its mismatches. */
void random_quant(int32_t out_c, int32_t k, int big_bias);

/* equivalence_shapes.c: a random convolution (depthwise: a depthwise one) into *a, and what it made
 * (see there) */
enum { REC_LIST_CHANNELS = 256 }; /* the most channels the DSP kernel's list of pairs takes */
extern int dead_heavy, first_zero, three_cut_up, three_rec, only_rec, rec_dead;
void random_conv(nnom_conv_args *a, int depthwise);
/* equivalence_depthwise.c: the depthwise lines of three (2 LINES3_MAX_C LINES3_SEEDS cases) and the
 * 1x1 layers of one map for every channel (UNIFORM_CASES), each on its own random sequence */
enum { LINES3_MAX_C = 40, LINES3_SEEDS = 12, UNIFORM_CASES = 400 };
int32_t check_dw_lines3(void);
int32_t check_dw_uniform(void);
int32_t check_dense(int32_t cases);
/* The case's layer with its weights in row pairs (kernels/dense.h) through the DSP kernel, against the
 * portable kernel on rows (out_portable, already written at out_off): returns 1 if they differ. */
int32_t check_dense_pairs(nnom_dense_s8_args a, const int8_t *x, int32_t out_off, int32_t t, const char *what);
/* equivalence_pairs.c: 3x3 layers with their weights in channel pairs (nnom_conv2d_pairs_s8) against
 * the portable kernel on rows; returns its mismatches. */
int32_t check_conv_pairs(int32_t cases);
int32_t check_matmul(int32_t cases);
int32_t check_transpose_conv(int32_t cases);
int32_t check_max_pool(int32_t cases);
int32_t check_elementwise(int32_t cases);
int32_t check_avg_pool(int32_t cases);
int32_t check_requant(int32_t cases);
int32_t check_rnn(int32_t cases);
int32_t check_requant_rnn(int32_t cases);

/* equivalence_interrupts.c: the dense kernel; the convolution, depthwise and add kernels on shapes of
 * every assembly routine with a stack frame of its own (cases cases, a case mismatching counted once),
 * then check_rnn()'s first cases; all while SysTick interrupts them. Each returns its mismatches (and
 * counts too few interrupts in a check as one). */
int32_t check_dense_interrupted(int32_t cases);
int32_t check_dsp_interrupted(int32_t cases);

#endif /* NNOM_FW_EQUIVALENCE_H */
