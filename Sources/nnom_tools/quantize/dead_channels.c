/*
 * Dead-channel removal: output channels of a convolution or dense layer whose
 * weights are all zero ("dead" filters, common in trained MobileNets) output
 * a constant, act(bias). They are removed from that layer, and their constant
 * is folded into the bias of the layer that reads them, which then no longer
 * reads that channel either. Runs after quantisation, on both models, so that
 * the int8 model keeps the scales calibrated on the full model:
 *
 *   float32: bias'[o] = bias[o] + sum over the removed inputs j of w[o][j] * v   (v: the constant)
 *   int8:    bias'[o] = bias[o] + sum over the removed inputs j of w[o][j] * (q - in_zp)
 *
 * The int8 fold is exact (the kernels compute bias + sum (x - in_zp) * w in
 * integers), so the pruned int8 model gives the same bytes as the unpruned one;
 * the float32 model the same values up to float rounding (summation order).
 *
 * Where a channel can be folded: the producer's output (a CONV1D/2D or DENSE,
 * read by nothing else and no model output) reaches a consumer that mixes
 * channels only through a chain of layers that each read one channel and
 * keep a constant channel constant:
 *  - element-wise activation layers, GLOBAL_AVG_POOL / GLOBAL_MAX_POOL, FLATTEN
 *    and RESHAPE (when the channel stays the last axis), at any constant;
 *  - DEPTHWISE_CONV (depth multiplier 1; its channel is removed as well, its own
 *    constant carried on), ZERO_PADDING, and pools with SAME padding, only when
 *    the constant is exactly zero (0.0 / the zero point): padding adds zeros, so
 *    any other constant would stop being constant at the borders; with VALID
 *    padding (depthwise, pools) any constant;
 * and the consumer is a 1x1 convolution (no padding, any stride) or a dense
 * layer (reading the flattened tensor: every position of the channel). Anything
 * else (residual adds, concatenations, 3x3 convolutions, model outputs) keeps
 * the channel. A layer keeps at least one channel. The constants are read from
 * one run of each model on the first calibration sample, and each channel is
 * checked to hold one value at every position before it is folded.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quantize/calibrate.h"

/* A failure of dead-channel removal: "dead channels: " then the printf-format message. */
#define dead_channels_fail(c, st, ...) nnom_converter_fail_in((c), (st), "dead channels: ", __VA_ARGS__)

/* The last layer of a chain, and the chain's length limit (a guard against cycles in bad graphs). */
#define DEAD_MAX_CHAIN 16

typedef struct chain {
    int32_t n;                       /* layers after the producer, the consumer last */
    int32_t layers[DEAD_MAX_CHAIN];
    uint8_t needs_zero[DEAD_MAX_CHAIN]; /* layer s keeps the channel constant only if its input is zero */
} chain;

/* Per layer of the models: what changes. */
typedef struct dead_plan {
    uint8_t *drop_out;  /* [channels]: output channel removed (producers, depthwise in a chain) */
    uint8_t *drop_in;   /* [input channels]: consumers: input channel removed */
    int32_t in_channels;
    int32_t n_drop_out, n_drop_in;
    double *fold_f;     /* [out]: consumers: float32 bias increment */
    int64_t *fold_q;    /* [out]: consumers: int32 bias increment */
    int32_t reshape_drop; /* RESHAPE in a chain: channels fewer on its last axis */
} dead_plan;

typedef struct dead_ctx {
    nnom_converter *c;
    nnom_model *fm, *qm;       /* keep-all clones, run on one sample */
    int32_t n;
    int32_t *consumers;        /* number of layers reading each layer */
    int32_t *first_consumer;
    nnom_layer_info *fi, *qi;  /* float32 and int8 layer info */
    dead_plan *plan;
} dead_ctx;

static int32_t channels_of(const nnom_layer_info *info) { return info->shape.dims[info->shape.rank - 1]; }

static int32_t count_of(const nnom_layer_info *info)
{
    int32_t n = 1;
    for (int32_t k = 0; k < info->shape.rank; k++) n *= info->shape.dims[k];
    return n;
}

static int is_conv(nnom_layer_type t) { return t == NNOM_LAYER_CONV1D || t == NNOM_LAYER_CONV2D; }

static int is_depthwise(nnom_layer_type t)
{
    return t == NNOM_LAYER_DEPTHWISE_CONV1D || t == NNOM_LAYER_DEPTHWISE_CONV2D;
}

static int is_pointwise(const nnom_layer_info *info)
{
    /* (a 1D layer has kernel[0] = 1 and its window in kernel[1]) */
    return is_conv(info->type) && info->params.kernel[0] == 1 && info->params.kernel[1] == 1;
}

/* Whether a constant channel at the input of @p info stays one constant channel at its output;
 * *needs_zero: only if that constant is zero. */
static int keeps_constant(const nnom_layer_info *info, int32_t channels, int *needs_zero)
{
    const nnom_layer_type t = info->type;
    *needs_zero = 0;
    /* element-wise activations and global pools: a constant stays one constant */
    if (t == NNOM_LAYER_RELU || t == NNOM_LAYER_RELU6 || t == NNOM_LAYER_LEAKY_RELU || t == NNOM_LAYER_SIGMOID ||
        t == NNOM_LAYER_TANH || t == NNOM_LAYER_HARD_SIGMOID || t == NNOM_LAYER_GLOBAL_AVG_POOL ||
        t == NNOM_LAYER_GLOBAL_MAX_POOL)
        return 1;
    /* views keep the order of values: the channel is every channels-th value */
    if (t == NNOM_LAYER_FLATTEN) return 1;
    if (t == NNOM_LAYER_RESHAPE) return channels_of(info) == channels;
    /* padding adds zeros: exact for a zero constant only */
    if (t == NNOM_LAYER_ZERO_PADDING1D || t == NNOM_LAYER_ZERO_PADDING2D) {
        *needs_zero = 1;
        return 1;
    }
    /* one channel per channel; SAME padding reads zeros at the borders */
    if ((is_depthwise(t) && info->params.units <= 1) || t == NNOM_LAYER_MAX_POOL1D || t == NNOM_LAYER_MAX_POOL2D ||
        t == NNOM_LAYER_AVG_POOL1D || t == NNOM_LAYER_AVG_POOL2D) {
        *needs_zero = info->params.padding != NNOM_PADDING_VALID;
        return 1;
    }
    return 0; /* every other type mixes channels, reads several inputs, or is a model output */
}

/* The chain from producer @p p to a consumer that can absorb its constant channels; 0 if none. */
static int find_chain(const dead_ctx *x, int32_t p, chain *ch)
{
    const int32_t channels = channels_of(&x->fi[p]);
    memset(ch, 0, sizeof *ch);
    int32_t cur = p;
    while (ch->n < DEAD_MAX_CHAIN) {
        if (x->consumers[cur] != 1) return 0;
        const int32_t next = x->first_consumer[cur];
        const nnom_layer_info *info = &x->fi[next];
        if (info->n_inputs != 1) return 0;
        ch->layers[ch->n++] = next;
        if (is_pointwise(info)) return x->fi[cur].shape.dims[x->fi[cur].shape.rank - 1] == channels;
        if (info->type == NNOM_LAYER_DENSE) return count_of(&x->fi[cur]) % channels == 0;
        int zero;
        if (!keeps_constant(info, channels, &zero)) return 0;
        ch->needs_zero[ch->n - 1] = (uint8_t)zero;
        cur = next;
    }
    return 0;
}

/* Whether output channel @p k of producer @p p has only zero weights (float32 model). */
static int is_dead(const dead_ctx *x, int32_t p, int32_t k)
{
    nnom_blob blobs[NNOM_MAX_BLOBS];
    if (nnom_model_layer_blobs(x->c->float_model, p, blobs) != NNOM_OK) return 0;
    const int32_t out = channels_of(&x->fi[p]);
    const uint32_t per = blobs[0].size / 4u / (uint32_t)out;
    const float *w = (const float *)blobs[0].data + (size_t)k * per;
    for (uint32_t j = 0; j < per; j++)
        if (w[j] != 0.0f) return 0;
    return per > 0;
}

/* The value channel @p k holds at every position of layer @p l's output in both runs
 * (*vf float32, *vq int8); 0 if it is not one constant. */
static int constant_of(const dead_ctx *x, int32_t l, int32_t k, int32_t channels, float *vf, int32_t *vq)
{
    const float *f = (const float *)nnom_model_layer_output(x->fm, l);
    const int8_t *q = (const int8_t *)nnom_model_layer_output(x->qm, l);
    if (!f || !q) return 0;
    const int32_t n = count_of(&x->fi[l]);
    *vf = f[k];
    *vq = q[k];
    for (int32_t j = k; j < n; j += channels)
        if (f[j] != *vf || q[j] != *vq) return 0;
    return 1;
}

static nnom_status plan_alloc(dead_ctx *x, int32_t l, int32_t out, int32_t in)
{
    dead_plan *pl = &x->plan[l];
    if (!pl->drop_out && out > 0) pl->drop_out = (uint8_t *)calloc((size_t)out, 1);
    if (!pl->drop_in && in > 0) {
        pl->drop_in = (uint8_t *)calloc((size_t)in, 1);
        pl->in_channels = in;
        const size_t folds = out > 0 ? (size_t)out : 1; /* one per output channel */
        pl->fold_f = (double *)calloc(folds, sizeof *pl->fold_f);
        pl->fold_q = (int64_t *)calloc(folds, sizeof *pl->fold_q);
        if (!pl->drop_in || !pl->fold_f || !pl->fold_q) return NNOM_ERR_NO_MEMORY;
    }
    return (out > 0 && !pl->drop_out) ? NNOM_ERR_NO_MEMORY : NNOM_OK;
}

/* Adds to consumer @p t's folds the contribution of input channel @p k (of @p channels, every
 * position of it) holding the constant vf / vq (int8, with input zero point @p in_zp). */
static void fold_into(dead_ctx *x, int32_t t, int32_t k, int32_t channels, float vf, int32_t vq, int32_t in_zp)
{
    nnom_blob fb[NNOM_MAX_BLOBS], qb[NNOM_MAX_BLOBS];
    nnom_model_layer_blobs(x->c->float_model, t, fb);
    nnom_model_layer_blobs(x->c->int8_model, t, qb);
    const int32_t out = channels_of(&x->fi[t]);
    const uint32_t per = qb[0].size / (uint32_t)out; /* inputs per output: the flat input (dense) or channels (1x1) */
    const float *wf = (const float *)fb[0].data;
    const int8_t *wq = (const int8_t *)qb[0].data;
    dead_plan *pl = &x->plan[t];
    for (int32_t o = 0; o < out; o++) {
        double sf = 0.0;
        int64_t sq = 0;
        for (uint32_t j = (uint32_t)k; j < per; j += (uint32_t)channels) {
            sf += (double)wf[(size_t)o * per + j];
            sq += wq[(size_t)o * per + j];
        }
        pl->fold_f[o] += sf * (double)vf;
        pl->fold_q[o] += sq * (int64_t)(vq - in_zp);
    }
    pl->drop_in[k] = 1;
    pl->n_drop_in++;
}

/* Plans the removal of producer @p p's dead channels along its chain. */
static nnom_status plan_producer(dead_ctx *x, int32_t p)
{
    chain ch;
    if (!find_chain(x, p, &ch)) return NNOM_OK;
    const int32_t channels = channels_of(&x->fi[p]);
    const int32_t t = ch.layers[ch.n - 1];
    const int32_t before_t = ch.n >= 2 ? ch.layers[ch.n - 2] : p; /* whose output the consumer reads */
    const int32_t in_zp = x->qi[before_t].quant.zero_point;
    int32_t removed = 0;
    for (int32_t k = 0; k < channels; k++) {
        if (removed + 1 >= channels) break; /* keep one channel */
        if (!is_dead(x, p, k)) continue;
        float vf;
        int32_t vq;
        /* the channel must hold one constant after every step, zero before a step that pads */
        int32_t from = p;
        int ok = constant_of(x, p, k, channels, &vf, &vq);
        for (int32_t s = 0; ok && s + 1 < ch.n; s++) {
            if (ch.needs_zero[s]) ok = vf == 0.0f && vq == x->qi[from].quant.zero_point;
            if (ok) ok = constant_of(x, ch.layers[s], k, channels, &vf, &vq);
            from = ch.layers[s];
        }
        if (!ok) continue;
        nnom_status st = plan_alloc(x, p, channels, 0);
        for (int32_t s = 0; st == NNOM_OK && s + 1 < ch.n; s++)
            if (is_depthwise(x->fi[ch.layers[s]].type)) st = plan_alloc(x, ch.layers[s], channels, 0);
        if (st == NNOM_OK) st = plan_alloc(x, t, channels_of(&x->fi[t]), channels);
        if (st != NNOM_OK) return dead_channels_fail(x->c, st, "out of memory");
        x->plan[p].drop_out[k] = 1;
        x->plan[p].n_drop_out++;
        for (int32_t s = 0; s + 1 < ch.n; s++) {
            dead_plan *pl = &x->plan[ch.layers[s]];
            const nnom_layer_type type = x->fi[ch.layers[s]].type;
            if (is_depthwise(type)) {
                pl->drop_out[k] = 1;
                pl->n_drop_out++;
            }
            if (type == NNOM_LAYER_RESHAPE) pl->reshape_drop++;
        }
        fold_into(x, t, k, channels, vf, vq, in_zp);
        removed++;
    }
    return NNOM_OK;
}

/* ------------------------------------------------------------------ rebuilding */

/* Copies @p src without the removed rows (conv/dense [out][per]) or, for a depthwise layer, the
 * removed channels of [kh][kw][C]; and without the removed input columns of each row. */
static void *prune_weights(dead_ctx *x, const void *src, size_t elem, int32_t out, uint32_t per, int depthwise,
                           const dead_plan *pl, uint32_t *bytes)
{
    const int32_t in = pl->in_channels;
    size_t n = 0;
    uint8_t *dst = (uint8_t *)nnom_store_alloc(&x->c->store, (size_t)out * per * elem);
    if (!dst) return NULL;
    const uint8_t *s = (const uint8_t *)src;
    for (uint32_t j = 0; j < (uint32_t)out * per; j++) {
        const int32_t o = depthwise ? (int32_t)(j % (uint32_t)out) : (int32_t)(j / per);
        const uint32_t col = j % per;
        if (pl->drop_out && pl->drop_out[o]) continue;
        if (pl->drop_in && !depthwise && pl->drop_in[col % (uint32_t)in]) continue;
        memcpy(dst + n * elem, s + (size_t)j * elem, elem);
        n++;
    }
    *bytes = (uint32_t)(n * elem);
    return dst;
}

/* The per-output-channel blob @p b (4-byte values, or one value for per-tensor) without the removed channels. */
static nnom_status prune_vector(dead_ctx *x, nnom_blob *b, int32_t out, const dead_plan *pl)
{
    if (b->size != (uint32_t)out * 4u || !pl->drop_out) return NNOM_OK;
    uint8_t *dst = (uint8_t *)nnom_store_alloc(&x->c->store, b->size);
    if (!dst) return NNOM_ERR_NO_MEMORY;
    uint32_t n = 0;
    for (int32_t o = 0; o < out; o++)
        if (!pl->drop_out[o]) memcpy(dst + 4u * n++, (const uint8_t *)b->data + 4u * (uint32_t)o, 4u);
    b->data = dst;
    b->size = 4u * n;
    return NNOM_OK;
}

/* The bias plus the folds (a bias created when there was none), before rows are pruned. */
static nnom_status fold_bias(dead_ctx *x, nnom_blob *b, int32_t out, const dead_plan *pl, int int8, const char *name)
{
    if (!pl->fold_f) return NNOM_OK;
    void *dst = nnom_store_alloc(&x->c->store, (size_t)out * 4u);
    if (!dst) return NNOM_ERR_NO_MEMORY;
    for (int32_t o = 0; o < out; o++) {
        if (int8) {
            const int64_t v = (b->size ? (int64_t)((const int32_t *)b->data)[o] : 0) + pl->fold_q[o];
            if (v > INT32_MAX || v < INT32_MIN)
                return dead_channels_fail(x->c, NNOM_ERR_UNSUPPORTED,
                                          "layer '%s': the folded int8 bias of output %d overflows", name, (int)o);
            ((int32_t *)dst)[o] = (int32_t)v;
        } else {
            const double v = (b->size ? (double)((const float *)b->data)[o] : 0.0) + pl->fold_f[o];
            ((float *)dst)[o] = (float)v;
        }
    }
    b->data = dst;
    b->size = (uint32_t)out * 4u;
    return NNOM_OK;
}

/* What the edit of a pruning rebuild needs besides the plan: the blob layouts, and whether a failure has
 * already been reported with its own message. */
typedef struct prune_ctx {
    dead_ctx *x;
    int int8;
    int told;
} prune_ctx;

/* Layer @p i with the plan applied: dropped channels pruned, constants folded (nnom_rebuild_edit). */
static nnom_status apply_plan(void *ctx, int32_t i, const nnom_layer_info *info, nnom_layer_desc *d)
{
    prune_ctx *p = (prune_ctx *)ctx;
    dead_ctx *x = p->x;
    const int int8 = p->int8;
    const dead_plan *pl = &x->plan[i];
    nnom_status st = NNOM_OK;
    if (pl->drop_out || pl->drop_in) {
        const int32_t ch = channels_of(info);
        const int dw = is_depthwise(info->type);
        const size_t elem = int8 ? 1u : 4u;
        const uint32_t per = d->blobs[0].size / (uint32_t)elem / (uint32_t)ch;
        st = fold_bias(x, &d->blobs[1], ch, pl, int8, info->name);
        p->told = st != NNOM_OK;
        if (st == NNOM_OK) {
            d->blobs[0].data = prune_weights(x, d->blobs[0].data, elem, ch, per, dw, pl, &d->blobs[0].size);
            if (!d->blobs[0].data) st = NNOM_ERR_NO_MEMORY;
        }
        for (int b = 1; b <= (int8 ? 3 : 1) && st == NNOM_OK; b++) st = prune_vector(x, &d->blobs[b], ch, pl);
        if (!dw) d->params.units = ch - pl->n_drop_out;
    }
    if (pl->reshape_drop) d->params.shape[d->params.shape_rank - 1] -= pl->reshape_drop;
    return st;
}

/* A compiled copy of model @p m (float32 or int8) with the plan applied; @p int8 selects blob layouts. */
static nnom_status rebuild(dead_ctx *x, const nnom_model *m, int int8, nnom_model **out)
{
    prune_ctx p = {x, int8, 0};
    nnom_rebuild how = NNOM_REBUILD_INIT;
    how.edit = apply_plan;
    how.ctx = &p;
    nnom_error err;
    const nnom_status st = nnom_tools_rebuild(m, &how, out, &err);
    if (st != NNOM_OK && !p.told)
        dead_channels_fail(x->c, st, "the pruned %s model does not build: %s", int8 ? "int8" : "float32",
                           err.message);
    return st;
}

/* ------------------------------------------------------------------ entry point */

static nnom_status prepare(dead_ctx *x, const float *samples)
{
    nnom_converter *c = x->c;
    x->n = nnom_model_layer_count(c->float_model);
    if (nnom_model_layer_count(c->int8_model) != x->n)
        return dead_channels_fail(c, NNOM_ERR_STATE, "the int8 model has %d layers, the float %d",
                                  (int)nnom_model_layer_count(c->int8_model), (int)x->n);
    x->consumers = (int32_t *)calloc((size_t)x->n, sizeof *x->consumers);
    x->first_consumer = (int32_t *)calloc((size_t)x->n, sizeof *x->first_consumer);
    x->fi = (nnom_layer_info *)calloc((size_t)x->n, sizeof *x->fi);
    x->qi = (nnom_layer_info *)calloc((size_t)x->n, sizeof *x->qi);
    x->plan = (dead_plan *)calloc((size_t)x->n, sizeof *x->plan);
    if (!x->consumers || !x->first_consumer || !x->fi || !x->qi || !x->plan)
        return dead_channels_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    for (int32_t i = 0; i < x->n; i++) {
        nnom_layer_info_init(&x->fi[i]);
        nnom_layer_info_init(&x->qi[i]);
        nnom_model_layer_info(c->float_model, i, &x->fi[i]);
        nnom_model_layer_info(c->int8_model, i, &x->qi[i]);
        for (int32_t j = 0; j < x->fi[i].n_inputs; j++) {
            const int32_t src = x->fi[i].inputs[j];
            if (x->consumers[src]++ == 0) x->first_consumer[src] = i;
        }
    }
    nnom_error err;
    nnom_status st = nnom_tools_clone(c->float_model, 1, &x->fm, &err);
    if (st == NNOM_OK) st = nnom_tools_clone(c->int8_model, 1, &x->qm, &err);
    if (st != NNOM_OK) return dead_channels_fail(c, st, "%s", err.message);
    const size_t per_sample = nnom_calib_sample_floats(x->fm);
    if ((st = nnom_model_alloc_arena(x->fm)) != NNOM_OK || (st = nnom_model_alloc_arena(x->qm)) != NNOM_OK ||
        (st = nnom_calib_set_sample(x->fm, samples, 0, per_sample)) != NNOM_OK ||
        (st = nnom_calib_set_sample(x->qm, samples, 0, per_sample)) != NNOM_OK ||
        (st = nnom_model_run(x->fm)) != NNOM_OK || (st = nnom_model_run(x->qm)) != NNOM_OK)
        return dead_channels_fail(c, st, "running the models on sample 0 failed");
    return NNOM_OK;
}

static void release(dead_ctx *x)
{
    for (int32_t i = 0; x->plan && i < x->n; i++) {
        free(x->plan[i].drop_out);
        free(x->plan[i].drop_in);
        free(x->plan[i].fold_f);
        free(x->plan[i].fold_q);
    }
    free(x->plan);
    free(x->consumers);
    free(x->first_consumer);
    free(x->fi);
    free(x->qi);
    nnom_model_destroy(x->fm);
    nnom_model_destroy(x->qm);
}

nnom_status nnom_dead_channels_remove(nnom_converter *c, const float *samples, int keep)
{
    c->removed_channels = 0;
    c->removed_from_layers = 0;
    if (keep) return NNOM_OK;
    dead_ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    nnom_status st = prepare(&x, samples);
    int32_t removed = 0, layers = 0;
    for (int32_t i = 0; i < x.n && st == NNOM_OK; i++) {
        const nnom_layer_type t = x.fi[i].type;
        if (!is_conv(t) && t != NNOM_LAYER_DENSE) continue;
        st = plan_producer(&x, i);
        if (x.plan[i].n_drop_out) {
            removed += x.plan[i].n_drop_out;
            layers++;
        }
    }
    nnom_model *fm = NULL, *qm = NULL;
    if (st == NNOM_OK && removed > 0) {
        st = rebuild(&x, c->float_model, 0, &fm);
        if (st == NNOM_OK) st = rebuild(&x, c->int8_model, 1, &qm);
        if (st == NNOM_OK) {
            if (c->owns_float_model) nnom_model_destroy(c->float_model);
            c->float_model = fm;
            c->owns_float_model = 1;
            nnom_model_destroy(c->int8_model);
            c->int8_model = qm;
            c->removed_channels = removed;
            c->removed_from_layers = layers;
        } else {
            nnom_model_destroy(fm);
        }
    }
    release(&x);
    return st;
}

int32_t nnom_converter_removed_channels(const nnom_converter *c, int32_t *layers)
{
    if (layers) *layers = c ? c->removed_from_layers : 0;
    return c ? c->removed_channels : 0;
}
