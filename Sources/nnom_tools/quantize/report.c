/*
 * The conversion report: runs keep-all clones of the float32 and the int8
 * model side by side and measures, per layer, how far the dequantised int8
 * output is from the float one:
 *
 *   SQNR = 10 log10( sum f^2 / sum (f - dequant(q))^2 )  over all samples and elements,
 *
 * 200 dB when the two agree exactly (and -200 dB when the float signal is
 * zero but the int8 one is not). For a classifier whose output 0 has rank 1
 * it also counts how often the two models pick the same class.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quantize/calibrate.h"

/* A failure of the report: "report: " then the printf-format message. */
#define report_fail(c, st, ...) nnom_converter_fail_in((c), (st), "report: ", __VA_ARGS__)

/* The bound of a reported SQNR: "exact" and "no signal at all". */
#define NNOM_SQNR_LIMIT_DB 200.0

void nnom_sqnr_add_f32(nnom_sqnr *acc, const float *ref, const float *test, size_t n)
{
    if (!acc || !ref || !test) return;
    double sig = 0.0, err2 = 0.0;
    for (size_t k = 0; k < n; k++) {
        const double e = (double)ref[k] - (double)test[k];
        sig += (double)ref[k] * (double)ref[k];
        err2 += e * e;
    }
    acc->signal += sig;
    acc->noise += err2;
}

void nnom_sqnr_add_s8(nnom_sqnr *acc, const float *ref, const int8_t *test, size_t n, float scale,
                      int32_t zero_point)
{
    if (!acc || !ref || !test) return;
    double sig = 0.0, err2 = 0.0;
    for (size_t k = 0; k < n; k++) {
        const double e = (double)ref[k] - (double)scale * (double)((int32_t)test[k] - zero_point);
        sig += (double)ref[k] * (double)ref[k];
        err2 += e * e;
    }
    acc->signal += sig;
    acc->noise += err2;
}

double nnom_sqnr_db(const nnom_sqnr *acc)
{
    if (!acc || acc->noise == 0.0) return NNOM_SQNR_LIMIT_DB;
    if (acc->signal == 0.0) return -NNOM_SQNR_LIMIT_DB;
    const double db = 10.0 * log10(acc->signal / acc->noise);
    return db > NNOM_SQNR_LIMIT_DB ? NNOM_SQNR_LIMIT_DB : db < -NNOM_SQNR_LIMIT_DB ? -NNOM_SQNR_LIMIT_DB : db;
}

/* Index of the largest value (the first of equal ones). */
static int32_t argmax_f32(const float *v, int32_t n)
{
    int32_t best = 0;
    for (int32_t k = 1; k < n; k++)
        if (v[k] > v[best]) best = k;
    return best;
}

static int32_t argmax_s8(const int8_t *v, int32_t n)
{
    int32_t best = 0;
    for (int32_t k = 1; k < n; k++)
        if (v[k] > v[best]) best = k;
    return best;
}

nnom_status nnom_converter_report(nnom_converter *c, const float *samples, size_t n_samples,
                                  nnom_layer_report *rows, int32_t capacity, int32_t *count,
                                  double *top1_agreement)
{
    if (!c) return NNOM_ERR_ARGUMENT;
    if (count) *count = 0;
    if (top1_agreement) *top1_agreement = -1.0;
    if (!c->float_model || !c->int8_model)
        return report_fail(c, NNOM_ERR_STATE, "quantise the model first (nnom_converter_quantize)");
    if (!samples || n_samples == 0) return report_fail(c, NNOM_ERR_ARGUMENT, "no samples given");
    if (capacity < 0 || (capacity > 0 && !rows))
        return report_fail(c, NNOM_ERR_ARGUMENT, "rows is NULL or capacity is negative");
    const int32_t n = nnom_model_layer_count(c->float_model);
    if (nnom_model_layer_count(c->int8_model) != n)
        return report_fail(c, NNOM_ERR_STATE, "the int8 model has %d layers, the float model %d",
                           (int)nnom_model_layer_count(c->int8_model), (int)n);
    const size_t per_sample = nnom_calib_sample_floats(c->float_model);
    nnom_status st = nnom_calib_check_samples(c, samples, n_samples, per_sample);
    if (st != NNOM_OK) return st;

    nnom_model *fm = NULL, *qm = NULL;
    nnom_error err;
    nnom_sqnr *acc = (nnom_sqnr *)calloc((size_t)n, sizeof *acc);
    nnom_layer_info *info = (nnom_layer_info *)calloc((size_t)n, sizeof *info);
    if (!acc || !info) {
        st = report_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    st = nnom_tools_clone(c->float_model, 1, &fm, &err);
    if (st == NNOM_OK) st = nnom_tools_clone(c->int8_model, 1, &qm, &err);
    if (st != NNOM_OK) {
        st = report_fail(c, st, "%s", err.message);
        goto done;
    }
    if ((st = nnom_model_alloc_arena(fm)) != NNOM_OK || (st = nnom_model_alloc_arena(qm)) != NNOM_OK) {
        st = report_fail(c, st, "out of memory for the arenas");
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        nnom_layer_info_init(&info[i]);
        nnom_model_layer_info(qm, i, &info[i]);
    }

    nnom_tensor_info out0;
    const int classify = nnom_model_output_info(fm, 0, &out0) == NNOM_OK && out0.shape.rank == 1;
    size_t agree = 0;
    for (size_t s = 0; s < n_samples; s++) {
        st = nnom_calib_set_sample(fm, samples, s, per_sample);
        if (st == NNOM_OK) st = nnom_model_run(fm);
        if (st != NNOM_OK) {
            st = report_fail(c, st, "float model, sample %zu: %s", s, nnom_model_last_error(fm));
            goto done;
        }
        st = nnom_calib_set_sample(qm, samples, s, per_sample);
        if (st == NNOM_OK) st = nnom_model_run(qm);
        if (st != NNOM_OK) {
            st = report_fail(c, st, "int8 model, sample %zu: %s", s, nnom_model_last_error(qm));
            goto done;
        }
        for (int32_t i = 0; i < n; i++) {
            const float *f = (const float *)nnom_model_layer_output(fm, i);
            const int8_t *q = (const int8_t *)nnom_model_layer_output(qm, i);
            if (!f || !q) {
                st = report_fail(c, NNOM_ERR_STATE, "the output of layer '%s' was not kept", info[i].name);
                goto done;
            }
            int32_t cnt = 1;
            for (int32_t k = 0; k < info[i].shape.rank; k++) cnt *= info[i].shape.dims[k];
            nnom_sqnr_add_s8(&acc[i], f, q, (size_t)cnt, info[i].quant.scale, info[i].quant.zero_point);
        }
        if (classify) {
            const float *f = (const float *)nnom_model_output_data(fm, 0);
            const int8_t *q = (const int8_t *)nnom_model_output_data(qm, 0);
            agree += argmax_f32(f, out0.count) == argmax_s8(q, out0.count);
        }
    }
    for (int32_t i = 0; i < n && i < capacity; i++) {
        nnom_layer_report *r = &rows[i];
        r->name = info[i].name;
        r->type_name = info[i].type_name;
        /* the names must outlive the clone: point into the converter's int8 model instead */
        nnom_layer_info own = NNOM_LAYER_INFO_INIT;
        if (nnom_model_layer_info(c->int8_model, i, &own) == NNOM_OK) {
            r->name = own.name;
            r->type_name = nnom_converter_layer_type_name(c, i);
        }
        r->sqnr_db = nnom_sqnr_db(&acc[i]);
        r->min = c->range_min ? c->range_min[i] : 0.0f;
        r->max = c->range_max ? c->range_max[i] : 0.0f;
    }
    if (count) *count = n;
    if (classify && top1_agreement) *top1_agreement = (double)agree / (double)n_samples;
    st = NNOM_OK;
done:
    nnom_model_destroy(fm);
    nnom_model_destroy(qm);
    free(acc);
    free(info);
    return st;
}
