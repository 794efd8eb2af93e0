/* Top-1, top-k and confusion matrix, computed on the device or the PC alike. */
#include "core/model_internal.h"
#include "core/struct_size.h"
#include "nnom/evaluate.h"

static float score_at(nnom_dtype dtype, const void *scores, int32_t i)
{
    return dtype == NNOM_DTYPE_S8 ? (float)((const int8_t *)scores)[i] : ((const float *)scores)[i];
}

nnom_status nnom_eval_add(nnom_eval *e, nnom_dtype dtype, const void *scores, int32_t label)
{
    if (!e || !NNOM_STRUCT_SIZE_KNOWN(e) || !scores || e->n_classes <= 0 || label < 0 || label >= e->n_classes) return NNOM_ERR_ARGUMENT;
    const int32_t k = e->k < 1 ? 1 : e->k;
    const float own = score_at(dtype, scores, label);
    /* rank of the label: classes scoring higher, or equal with a lower index, come first */
    int32_t rank = 0, best = 0;
    for (int32_t i = 0; i < e->n_classes; i++) {
        float s = score_at(dtype, scores, i);
        if (s > own || (s == own && i < label)) rank++;
        if (s > score_at(dtype, scores, best)) best = i;
    }
    e->samples++;
    e->top1 += rank == 0;
    e->topk += rank < k;
    if (e->confusion) e->confusion[(int64_t)label * e->n_classes + best]++;
    if (e->rank_counts) e->rank_counts[rank]++;
    return NNOM_OK;
}

nnom_status nnom_evaluate(nnom_model *m, const float *samples, const int32_t *labels, size_t n_samples, nnom_eval *e)
{
    if (!m || !samples || !labels || !e) return NNOM_ERR_ARGUMENT;
    if (!NNOM_STRUCT_SIZE_KNOWN(e))
        return nnom_fail(m, NNOM_ERR_ARGUMENT, NNOM_STRUCT_SIZE_FMT, NNOM_STRUCT_SIZE_ARGS(e, "nnom_eval"));
    nnom_tensor_info out;
    if (!m->compiled || nnom_model_output_info(m, 0, &out) != NNOM_OK)
        return nnom_fail(m, NNOM_ERR_STATE, "evaluate: compile the model first");
    if (e->n_classes == 0) e->n_classes = out.count;
    if (e->n_classes != out.count)
        return nnom_fail(m, NNOM_ERR_SHAPE, "evaluate: %d classes expected but output 0 has %d values",
                         (int)e->n_classes, (int)out.count);
    /* a sample is every input's values, input 0 first */
    size_t stride = 0;
    const int32_t n_inputs = nnom_model_input_count(m);
    for (int32_t i = 0; i < n_inputs; i++)
        stride += (size_t)nnom_shape_count(&m->layers[nnom_model_io_layer(m, 1, i)].def->shape);
    for (size_t s = 0; s < n_samples; s++) {
        if (labels[s] < 0 || labels[s] >= e->n_classes)
            return nnom_fail(m, NNOM_ERR_ARGUMENT, "evaluate: label %d of sample %lu is not a class in [0, %d)",
                             (int)labels[s], (unsigned long)s, (int)e->n_classes);
        const float *x = samples + s * stride;
        nnom_status st = NNOM_OK;
        for (int32_t i = 0; st == NNOM_OK && i < n_inputs; i++) {
            const size_t count = (size_t)nnom_shape_count(&m->layers[nnom_model_io_layer(m, 1, i)].def->shape);
            st = nnom_model_set_input_f32(m, i, x, count);
            x += count;
        }
        if (st == NNOM_OK) st = nnom_model_run(m);
        if (st != NNOM_OK) return st;
        nnom_eval_add(e, (nnom_dtype)m->dtype, nnom_model_output_data(m, 0), labels[s]);
    }
    return NNOM_OK;
}
