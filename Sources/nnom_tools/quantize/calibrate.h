/*
 * Internal to the quantiser: feeding calibration samples to a model, and
 * choosing each layer's activation range from what the float model produced.
 */
#ifndef NNOM_TOOLS_CALIBRATE_H
#define NNOM_TOOLS_CALIBRATE_H

#include "common/layer_rules.h"

/* The calibration class of @p type (its rule in common/layer_rules.c); NNOM_QCLASS_UNKNOWN for none. */
nnom_qclass nnom_calib_class(nnom_layer_type type);

/* Number of floats one sample holds: the element counts of all model inputs, in order. */
size_t nnom_calib_sample_floats(const nnom_model *m);

/* Copies sample @p index of @p samples (sample-major, see nnom_converter_quantize()) into the
 * inputs of @p m, which must have an arena. */
nnom_status nnom_calib_set_sample(nnom_model *m, const float *samples, size_t index, size_t per_sample);

/* Fails on @p c (NNOM_ERR_ARGUMENT) when a sample value is NaN or infinite. */
nnom_status nnom_calib_check_samples(nnom_converter *c, const float *samples, size_t n_samples, size_t per_sample);

/* The ranges observed inside one layer (recurrent layers: ::nnom_rnn_internal), over all samples. */
#define NNOM_CALIB_MAX_INTERNALS 8
typedef struct nnom_calib_internals {
    int32_t count;
    float min[NNOM_CALIB_MAX_INTERNALS], max[NNOM_CALIB_MAX_INTERNALS];
} nnom_calib_internals;

/*
 * Runs the float model of @p c on every sample and chooses, per layer, the
 * range [lo[i], hi[i]] its int8 output covers (before widening to include
 * 0): for NNOM_QCLASS_CALIBRATED layers the observed minimum and maximum,
 * clipped by PERCENTILE or KL when @p method asks; INPUT layers keep their
 * minimum and maximum; NNOM_QCLASS_SAME layers inherit input 0's range (their
 * int8 output shares its quantisation); NNOM_QCLASS_MEAN layers (average
 * pools) cover what they produced and each output element's mean over the
 * samples +- 4 standard deviations, intersected with input 0's chosen range
 * (a mean of int8 values cannot leave it); CONCATENATE gets the union of its
 * inputs' ranges; FIXED layers keep what they produced. @p lo and @p hi hold
 * one entry per layer; so does @p internals (may be NULL): the minimum and
 * maximum of the values inside each layer (recurrent layers: gate
 * pre-activations, states, at every step), which the int16 scales of int8
 * recurrent layers follow. Samples run in order: a stateful recurrent layer
 * carries its state from one to the next, as it will when deployed.
 */
nnom_status nnom_calibrate(nnom_converter *c, const float *samples, size_t n_samples,
                           const nnom_quantize_options *opt, float *lo, float *hi, nnom_calib_internals *internals);

/*
 * The pure pieces, exposed for tests of their own. A histogram of @p n_bins
 * counts over [lo, hi]: the values at fraction (100 - percentile) / 100 from
 * each end, interpolated inside a bin.
 */
void nnom_calib_percentile_range(const double *hist, int32_t n_bins, double lo, double hi, double percentile,
                                 double *out_lo, double *out_hi);

/*
 * TensorRT-style entropy calibration: @p hist holds @p n_bins counts of |x|
 * over [0, amax]. Returns the number of bins i (n_levels <= i <= n_bins) for
 * which clipping at i bins and quantising the kept part to @p n_levels levels
 * loses the least information (smallest KL divergence); the threshold is
 * i * amax / n_bins.
 */
int32_t nnom_calib_kl_bins(const double *hist, int32_t n_bins, int32_t n_levels);

#endif
