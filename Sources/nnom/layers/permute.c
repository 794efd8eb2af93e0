/*
 * PERMUTE: reorders the axes of its input (Keras' Permute). shape_rank is the input's rank and
 * shape[0 .. rank-1] the permutation: output axis i is input axis shape[i] (0-based, batch
 * excluded). No blobs; int8 keeps the input's quantisation. MACs: 0. Not in place.
 */
#include "core/layer.h"
#include "kernels/permute.h"

typedef char nnom_permute_rank_fits[(NNOM_PERMUTE_MAX_RANK == NNOM_MAX_RANK) ? 1 : -1];

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_model *m = ctx->model;
    const nnom_shape *in = &ctx->in[0]->def->shape;
    const nnom_layer_params *p = &l->def->params;
    if (p->shape_rank != in->rank) {
        char text[48];
        nnom_shape_text(in, text, sizeof text);
        return nnom_fail(m, NNOM_ERR_SHAPE, "layer '%s' (permute): the permutation has %d axes but input '%s' has "
                         "shape %s", l->def->name, (int)p->shape_rank, ctx->in[0]->def->name, text);
    }
    int32_t seen = 0;
    for (int32_t i = 0; i < in->rank; i++) {
        const int32_t a = p->shape[i];
        if (a < 0 || a >= in->rank || (seen & (1 << a)))
            return nnom_fail(m, NNOM_ERR_SHAPE, "layer '%s' (permute): axis %d of the permutation is %d; each "
                             "of 0 to %d must appear once", l->def->name, (int)i, (int)a, (int)(in->rank - 1));
        seen |= 1 << a;
    }
    const nnom_status st = nnom_expect_moved_values(ctx, l);
    if (st != NNOM_OK) return st;
    l->def->shape.rank = in->rank;
    for (int32_t i = 0; i < NNOM_MAX_RANK; i++) l->def->shape.dims[i] = i < in->rank ? in->dims[p->shape[i]] : 0;
    return NNOM_OK;
}

static void run(const nnom_exec *x, uint32_t elem_size)
{
    const nnom_shape *in = &x->in_layer[0]->def->shape;
    nnom_permute_args a;
    a.rank = in->rank;
    for (int32_t i = 0; i < NNOM_PERMUTE_MAX_RANK; i++) {
        a.in_dims[i] = in->dims[i];
        a.perm[i] = x->layer->def->params.shape[i];
    }
    a.elem_size = elem_size;
    nnom_permute(&a, x->in[0], x->out);
}

static void run_s8(const nnom_exec *x) { run(x, 1); }

static void run_f32(const nnom_exec *x) { run(x, 4); }

const nnom_layer_ops nnom_ops_permute = {
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = 0,
    .infer = infer,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};
