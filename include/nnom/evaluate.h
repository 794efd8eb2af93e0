/**
 * @file evaluate.h
 * @brief Classification metrics computed by the runtime itself, so the same
 *        numbers come out on a PC and on a device: top-1, top-k, confusion matrix.
 */
#ifndef NNOM_EVALUATE_H
#define NNOM_EVALUATE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "nnom/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Running totals of an evaluation: initialise with nnom_eval_init() or NNOM_EVAL_INIT,
 *  set n_classes, k and the optional arrays, then add samples. */
typedef struct nnom_eval {
    uint32_t struct_size;    /**< sizeof(nnom_eval) as the caller was compiled; set by the init */
    int32_t n_classes;       /**< size of the output vector */
    int32_t k;               /**< the k of top-k (>= 1) */
    int64_t samples;         /**< samples evaluated */
    int64_t top1;            /**< samples whose best class is the label */
    int64_t topk;            /**< samples whose label is among the k best */
    int64_t *confusion;      /**< n_classes x n_classes, row = label, column = prediction; may be NULL */
    int64_t *rank_counts;    /**< n_classes entries or NULL: rank_counts[r] counts the samples whose label
                                  ranked r-th (0 = best), so top-k for every k comes from one pass:
                                  the sum of the first k entries */
} nnom_eval;

/** Initialiser of a nnom_eval: no samples, struct_size set. */
#define NNOM_EVAL_INIT { .struct_size = (uint32_t)sizeof(nnom_eval) }

/** Zeroes @p e and sets its struct_size (what NNOM_EVAL_INIT does). */
static inline void nnom_eval_init(nnom_eval *e)
{
    memset(e, 0, sizeof *e);
    e->struct_size = (uint32_t)sizeof *e;
}

/**
 * Adds one sample: @p scores (n_classes values, int8 or float as @p dtype)
 * against class @p label. Ties rank the lower class index first. Returns
 * NNOM_ERR_ARGUMENT for a label outside [0, n_classes) or an @p e whose
 * struct_size this library does not know.
 */
NNOM_API nnom_status nnom_eval_add(nnom_eval *e, nnom_dtype dtype, const void *scores, int32_t label);

/**
 * Runs @p model on @p n_samples samples and adds each to @p e, reading output 0
 * as class scores. @p samples is sample-major floats; one sample is the values
 * of every model input in order (input 0's count, then input 1's, ...), so a
 * single-input model takes [n_samples][input count]. A label outside
 * [0, n_classes) stops the evaluation with NNOM_ERR_ARGUMENT before its sample runs.
 */
NNOM_API nnom_status nnom_evaluate(nnom_model *model, const float *samples, const int32_t *labels, size_t n_samples,
                                   nnom_eval *e);

#ifdef __cplusplus
}
#endif
#endif /* NNOM_EVALUATE_H */
