/*
 * Calibration: runs the float model on sample inputs (a keep-all clone, so
 * every layer's output can be read after each run) and chooses the range
 * each int8 activation must cover.
 *
 *  - MINMAX: the observed minimum and maximum.
 *  - PERCENTILE: a histogram of each activation's values over [min, max]
 *    (4096 bins); each side is clipped where (100 - p)% of the values lie
 *    beyond it.
 *  - KL (TensorRT's entropy calibration): a histogram of |x| over
 *    [0, max|x|] in 2048 bins; for every candidate threshold of i bins, the
 *    distribution P (the first i bins, the clipped tail added to the last)
 *    is compared with Q (the first i bins merged into as many levels as int8
 *    offers on that side, then spread back over P's non-empty bins); the
 *    threshold of smallest KL(P || Q) wins. A tensor of both signs has 128
 *    levels per side; a one-signed one (a ReLU's) has all 256. As in
 *    NVIDIA's calibrators, bin 0 is given bin 1's count first: exact zeros
 *    (ReLU outputs) are represented exactly and would otherwise dominate.
 *    With few values (a classifier's logits over a handful of samples) a
 *    2048-bin histogram is a list of isolated samples, not a distribution,
 *    and its "best" threshold is noise that can cut the range tenfold; so a
 *    tensor gets at most one bin per KL_VALUES_PER_BIN values it produced
 *    (and never fewer bins than levels, where KL keeps the whole range).
 *
 * Both clipping methods apply to the activations whose quantisation is free
 * (conv, depthwise, dense, add/subtract/multiply, relu/relu6/leaky relu);
 * model inputs keep their observed range, as the data given is what the
 * model will see.
 *
 * Average pools get a range of their own, not clipped but widened: a global
 * pool yields only C values per sample, so the extremes a few samples show
 * are a poor guess of those to come (calibrated on the 8 samples of a test
 * fixture, the observed minimum and maximum clip later inputs' means and
 * lose up to 21 dB). Each output element's values over the samples give a
 * mean mu and a standard deviation sigma; the range covers mu +- 4 sigma of
 * every element as well as every value seen, within the input's chosen
 * range (a mean of the int8 input cannot leave it).
 *
 * The clone also observes the values inside recurrent layers (gate
 * pre-activations, hidden and cell states at every step) during pass 1; the
 * quantiser chooses their int16 scales from those ranges.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quantize/calibrate.h"

/* A failure of the calibration: "calibration: " then the printf-format message. */
#define calibration_fail(c, st, ...) nnom_converter_fail_in((c), (st), "calibration: ", __VA_ARGS__)

#define PERCENTILE_BINS 4096
#define KL_BINS 2048
#define KL_VALUES_PER_BIN 16
/* average pools: standard deviations of each output's spread over the samples their range covers */
#define MEAN_SPREAD 4.0

nnom_qclass nnom_calib_class(nnom_layer_type type)
{
    const nnom_layer_rule *r = nnom_layer_rule_of(type);
    return r ? r->qclass : NNOM_QCLASS_UNKNOWN;
}

size_t nnom_calib_sample_floats(const nnom_model *m)
{
    size_t total = 0;
    for (int32_t k = 0; k < nnom_model_input_count(m); k++) {
        nnom_tensor_info info;
        if (nnom_model_input_info(m, k, &info) == NNOM_OK) total += (size_t)info.count;
    }
    return total;
}

nnom_status nnom_calib_set_sample(nnom_model *m, const float *samples, size_t index, size_t per_sample)
{
    const float *p = samples + index * per_sample;
    for (int32_t k = 0; k < nnom_model_input_count(m); k++) {
        nnom_tensor_info info;
        nnom_status st = nnom_model_input_info(m, k, &info);
        if (st == NNOM_OK) st = nnom_model_set_input_f32(m, k, p, (size_t)info.count);
        if (st != NNOM_OK) return st;
        p += info.count;
    }
    return NNOM_OK;
}

nnom_status nnom_calib_check_samples(nnom_converter *c, const float *samples, size_t n_samples, size_t per_sample)
{
    for (size_t s = 0; s < n_samples; s++)
        for (size_t k = 0; k < per_sample; k++) {
            const float v = samples[s * per_sample + k];
            if (v != v)
                return nnom_converter_fail(c, NNOM_ERR_ARGUMENT, "calibration sample %zu: value %zu is NaN", s, k);
            if (isinf(v))
                return nnom_converter_fail(c, NNOM_ERR_ARGUMENT, "calibration sample %zu: value %zu is infinite",
                                           s, k);
        }
    return NNOM_OK;
}

void nnom_calib_percentile_range(const double *hist, int32_t n_bins, double lo, double hi, double percentile,
                                 double *out_lo, double *out_hi)
{
    *out_lo = lo;
    *out_hi = hi;
    double total = 0.0;
    for (int32_t k = 0; k < n_bins; k++) total += hist[k];
    const double width = (hi - lo) / n_bins;
    if (!(total > 0.0) || !(width > 0.0) || !(percentile < 100.0) || !(percentile > 0.0)) return;
    const double tail = total * (100.0 - percentile) / 100.0;
    /* lower side: the first point below which `tail` values lie, interpolated inside its bin */
    double cum = 0.0;
    int32_t k = 0;
    while (k < n_bins - 1 && cum + hist[k] <= tail) cum += hist[k++];
    double frac = hist[k] > 0.0 ? (tail - cum) / hist[k] : 0.0;
    if (frac > 1.0) frac = 1.0;
    *out_lo = lo + ((double)k + frac) * width;
    cum = 0.0;
    k = 0;
    while (k < n_bins - 1 && cum + hist[n_bins - 1 - k] <= tail) cum += hist[n_bins - 1 - k++];
    frac = hist[n_bins - 1 - k] > 0.0 ? (tail - cum) / hist[n_bins - 1 - k] : 0.0;
    if (frac > 1.0) frac = 1.0;
    *out_hi = hi - ((double)k + frac) * width;
    if (*out_lo > *out_hi) *out_lo = *out_hi = 0.5 * (*out_lo + *out_hi);
}

/*
 * With P_k the (unnormalised) reference counts, Q_k the expanded candidate,
 * Pt and Qt their totals:
 *   KL = (1/Pt) sum P_k log P_k - (1/Pt) sum P_k log Q_k + log(Qt / Pt).
 * Q is constant (T_j / nz_j) over the non-empty bins of each merged level j,
 * so with prefix sums of h, h log h and of non-empty bins every candidate
 * costs O(n_levels) instead of O(n_bins).
 */
int32_t nnom_calib_kl_bins(const double *hist, int32_t n_bins, int32_t n_levels)
{
    if (n_levels <= 0 || n_levels >= n_bins) return n_bins;
    double *sum = (double *)calloc((size_t)n_bins + 1, sizeof *sum);
    double *sum_hlogh = (double *)calloc((size_t)n_bins + 1, sizeof *sum_hlogh);
    int32_t *nonzero = (int32_t *)calloc((size_t)n_bins + 1, sizeof *nonzero);
    int32_t best = n_bins;
    if (!sum || !sum_hlogh || !nonzero) goto done;
    for (int32_t k = 0; k < n_bins; k++) {
        const double h = hist[k] > 0.0 ? hist[k] : 0.0;
        sum[k + 1] = sum[k] + h;
        sum_hlogh[k + 1] = sum_hlogh[k] + (h > 0.0 ? h * log(h) : 0.0);
        nonzero[k + 1] = nonzero[k] + (h > 0.0);
    }
    const double total = sum[n_bins];
    if (!(total > 0.0)) goto done;
    double best_kl = INFINITY;
    for (int32_t i = n_levels; i <= n_bins; i++) {
        const double outliers = total - sum[i];
        const double h_last = hist[i - 1] > 0.0 ? hist[i - 1] : 0.0;
        const double p_last = h_last + outliers;
        const double plogp = sum_hlogh[i - 1] + (p_last > 0.0 ? p_last * log(p_last) : 0.0);
        const int32_t merged = i / n_levels;
        double plogq = 0.0;
        int impossible = 0;
        for (int32_t j = 0; j < n_levels; j++) {
            const int32_t start = j * merged, end = j == n_levels - 1 ? i : start + merged;
            const double t = sum[end] - sum[start];
            double p_sum = t;
            int32_t nz = nonzero[end] - nonzero[start];
            if (end == i) {
                p_sum += outliers;
                if (h_last == 0.0 && p_last > 0.0) nz++;
            }
            if (p_sum <= 0.0) continue;
            if (t <= 0.0) { /* P has mass where Q has none: infinite divergence */
                impossible = 1;
                break;
            }
            plogq += p_sum * log(t / nz);
        }
        if (impossible) continue;
        const double kl = (plogp - plogq) / total + log(sum[i] / total);
        if (kl < best_kl) {
            best_kl = kl;
            best = i;
        }
    }
done:
    free(sum);
    free(sum_hlogh);
    free(nonzero);
    return best;
}

/* Per-layer state of one calibration. */
typedef struct calib_layer {
    nnom_layer_info info;
    int32_t count;
    double min, max;
    double *hist;           /* NULL unless the layer's range is clipped */
    double *sum, *sum2;     /* average pools: per output element, sum and sum of squares over the samples */
    int32_t bins, levels;
    double hist_lo, hist_hi;
} calib_layer;

static nnom_status run_sample(nnom_converter *c, nnom_model *run, const float *samples, size_t s, size_t per_sample)
{
    nnom_status st = nnom_calib_set_sample(run, samples, s, per_sample);
    if (st == NNOM_OK) st = nnom_model_run(run);
    if (st != NNOM_OK)
        return calibration_fail(c, st, "running the float model on sample %zu failed: %s", s,
                                nnom_model_last_error(run));
    return NNOM_OK;
}

nnom_status nnom_calibrate(nnom_converter *c, const float *samples, size_t n_samples,
                           const nnom_quantize_options *opt, float *lo, float *hi, nnom_calib_internals *internals)
{
    const nnom_calibration method = opt->method;
    const double percentile = opt->percentile;
    /* progress: one step per sample and pass */
    const size_t steps = n_samples * (method == NNOM_CALIBRATE_MINMAX ? 1u : 2u);
    size_t done_steps = 0;
    nnom_model *fm = c->float_model;
    const int32_t n = nnom_model_layer_count(fm);
    nnom_model *run = NULL;
    nnom_error err;
    nnom_status st = nnom_tools_clone_observing(fm, 1, 1, &run, &err);
    if (st != NNOM_OK) return calibration_fail(c, st, "%s", err.message);
    calib_layer *L = (calib_layer *)calloc((size_t)n, sizeof *L);
    if (!L) {
        st = calibration_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    st = nnom_model_alloc_arena(run);
    if (st != NNOM_OK) {
        st = calibration_fail(c, st, "%s", nnom_model_last_error(run));
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        nnom_layer_info_init(&L[i].info);
        nnom_model_layer_info(run, i, &L[i].info);
        L[i].count = 1;
        for (int32_t k = 0; k < L[i].info.shape.rank; k++) L[i].count *= L[i].info.shape.dims[k];
        L[i].min = INFINITY;
        L[i].max = -INFINITY;
        if (nnom_calib_class(L[i].info.type) == NNOM_QCLASS_MEAN) {
            L[i].sum = (double *)calloc((size_t)L[i].count * 2u, sizeof(double));
            if (!L[i].sum) {
                st = calibration_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
                goto done;
            }
            L[i].sum2 = L[i].sum + L[i].count;
        }
        if (nnom_calib_class(L[i].info.type) == NNOM_QCLASS_UNKNOWN) {
            st = nnom_converter_fail(c, NNOM_ERR_UNSUPPORTED, "quantise: layer '%s' of type %s (%d) cannot be quantised",
                                     L[i].info.name, L[i].info.type_name, (int)L[i].info.type);
            goto done;
        }
    }
    const size_t per_sample = nnom_calib_sample_floats(run);

    /* pass 1: minimum and maximum of every layer */
    for (size_t s = 0; s < n_samples; s++) {
        st = run_sample(c, run, samples, s, per_sample);
        if (st != NNOM_OK) goto done;
        if (opt->progress) opt->progress(opt->progress_ctx, ++done_steps, steps);
        for (int32_t i = 0; i < n; i++) {
            const float *y = (const float *)nnom_model_layer_output(run, i);
            if (!y) {
                st = calibration_fail(c, NNOM_ERR_STATE, "the output of layer '%s' was not kept", L[i].info.name);
                goto done;
            }
            double mn = L[i].min, mx = L[i].max;
            for (int32_t k = 0; k < L[i].count; k++) {
                const double v = y[k];
                if (!(v >= -FLT_MAX && v <= FLT_MAX)) {
                    st = calibration_fail(c, NNOM_ERR_ARGUMENT, "layer '%s' (%s) produced a %s value on sample %zu",
                                          L[i].info.name, L[i].info.type_name, v != v ? "NaN" : "infinite", s);
                    goto done;
                }
                if (v < mn) mn = v;
                if (v > mx) mx = v;
                if (L[i].sum) {
                    L[i].sum[k] += v;
                    L[i].sum2[k] += v * v;
                }
            }
            L[i].min = mn;
            L[i].max = mx;
        }
    }

    /* the values inside layers, over pass 1 */
    for (int32_t i = 0; internals && i < n; i++) {
        nnom_calib_internals *in = &internals[i];
        memset(in, 0, sizeof *in);
        in->count = nnom_model_layer_internals(run, i, in->min, in->max, NNOM_CALIB_MAX_INTERNALS);
        if (in->count > NNOM_CALIB_MAX_INTERNALS) in->count = NNOM_CALIB_MAX_INTERNALS;
    }

    /* pass 2: histograms of the layers whose range is clipped */
    if (method != NNOM_CALIBRATE_MINMAX) {
        int any = 0;
        for (int32_t i = 0; i < n; i++) {
            if (nnom_calib_class(L[i].info.type) != NNOM_QCLASS_CALIBRATED) continue;
            if (method == NNOM_CALIBRATE_KL) {
                L[i].hist_lo = 0.0;
                L[i].hist_hi = fabs(L[i].min) > fabs(L[i].max) ? fabs(L[i].min) : fabs(L[i].max);
                L[i].levels = L[i].min < 0.0 && L[i].max > 0.0 ? 128 : 256;
                const double values = (double)L[i].count * (double)n_samples;
                L[i].bins = values / KL_VALUES_PER_BIN < KL_BINS ? (int32_t)(values / KL_VALUES_PER_BIN) : KL_BINS;
                if (L[i].bins <= L[i].levels) continue; /* too few values to clip by: keep min/max */
            } else {
                L[i].hist_lo = L[i].min;
                L[i].hist_hi = L[i].max;
                L[i].bins = PERCENTILE_BINS;
            }
            if (!(L[i].hist_hi > L[i].hist_lo)) continue;
            L[i].hist = (double *)calloc((size_t)L[i].bins, sizeof(double));
            if (!L[i].hist) {
                st = calibration_fail(c, NNOM_ERR_NO_MEMORY, "out of memory for histograms");
                goto done;
            }
            any = 1;
        }
        /* nothing to clip: the second pass is skipped, and so are its progress steps */
        if (!any && opt->progress) opt->progress(opt->progress_ctx, steps, steps);
        for (size_t s = 0; any && s < n_samples; s++) {
            st = run_sample(c, run, samples, s, per_sample);
            if (st != NNOM_OK) goto done;
            if (opt->progress) opt->progress(opt->progress_ctx, ++done_steps, steps);
            for (int32_t i = 0; i < n; i++) {
                if (!L[i].hist) continue;
                const float *y = (const float *)nnom_model_layer_output(run, i);
                const int32_t bins = L[i].bins;
                const double base = L[i].hist_lo, per_bin = bins / (L[i].hist_hi - L[i].hist_lo);
                for (int32_t k = 0; k < L[i].count; k++) {
                    double v = y[k];
                    if (method == NNOM_CALIBRATE_KL) v = fabs(v);
                    long b = (long)((v - base) * per_bin);
                    if (b < 0) b = 0;
                    if (b >= bins) b = bins - 1;
                    L[i].hist[b] += 1.0;
                }
            }
        }
        for (int32_t i = 0; i < n; i++) {
            if (!L[i].hist) continue;
            if (method == NNOM_CALIBRATE_KL) {
                /* exact zeros (a ReLU's, zero padding's) pile up in bin 0; int8 represents them exactly, and
                 * left in place the spike dominates the divergence and drags the threshold down */
                L[i].hist[0] = L[i].hist[1];
                const int32_t kept = nnom_calib_kl_bins(L[i].hist, L[i].bins, L[i].levels);
                const double t = L[i].hist_hi * kept / L[i].bins;
                if (L[i].min < -t) L[i].min = -t;
                if (L[i].max > t) L[i].max = t;
            } else {
                nnom_calib_percentile_range(L[i].hist, L[i].bins, L[i].hist_lo, L[i].hist_hi, percentile, &L[i].min,
                                            &L[i].max);
            }
        }
    }

    /* ranges that follow from other layers' */
    for (int32_t i = 0; i < n; i++) {
        switch (nnom_calib_class(L[i].info.type)) {
        case NNOM_QCLASS_SAME:
            L[i].min = L[L[i].info.inputs[0]].min;
            L[i].max = L[L[i].info.inputs[0]].max;
            break;
        case NNOM_QCLASS_MEAN: {
            /* each output element's mean over the samples +- MEAN_SPREAD standard deviations */
            const double ns = (double)n_samples;
            for (int32_t k = 0; k < L[i].count; k++) {
                const double mu = L[i].sum[k] / ns, var = L[i].sum2[k] / ns - mu * mu;
                const double spread = MEAN_SPREAD * sqrt(var > 0.0 ? var * ns / (ns > 1.0 ? ns - 1.0 : 1.0) : 0.0);
                if (mu - spread < L[i].min) L[i].min = mu - spread;
                if (mu + spread > L[i].max) L[i].max = mu + spread;
            }
            /* a mean of the int8 input lies within the input's range, clipped or not */
            const calib_layer *in = &L[L[i].info.inputs[0]];
            if (L[i].min < in->min) L[i].min = in->min;
            if (L[i].max > in->max) L[i].max = in->max;
            if (L[i].min > L[i].max) L[i].min = L[i].max = L[i].min > in->max ? in->max : in->min;
            break;
        }
        case NNOM_QCLASS_UNION:
            for (int32_t j = 0; j < L[i].info.n_inputs; j++) {
                const calib_layer *in = &L[L[i].info.inputs[j]];
                if (j == 0 || in->min < L[i].min) L[i].min = in->min;
                if (j == 0 || in->max > L[i].max) L[i].max = in->max;
            }
            break;
        case NNOM_QCLASS_INPUT:
        case NNOM_QCLASS_FIXED:
        case NNOM_QCLASS_CALIBRATED:
        case NNOM_QCLASS_UNKNOWN: break; /* their own range, as chosen above (UNKNOWN failed earlier) */
        }
        lo[i] = (float)L[i].min;
        hi[i] = (float)L[i].max;
    }
    st = NNOM_OK;
done:
    if (L)
        for (int32_t i = 0; i < n; i++) {
            free(L[i].hist);
            free(L[i].sum);
        }
    free(L);
    nnom_model_destroy(run);
    return st;
}
