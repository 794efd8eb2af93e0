/*
 * The int8 quantiser: from a float32 model and calibration samples to an
 * int8 model with the same layers, following the TFLite int8 spec:
 *
 *  - activations: asymmetric int8 per tensor. The calibrated range is widened
 *    to include 0 (so zero padding and ReLU are exact), scale = (max-min)/255,
 *    zero point = round(-128 - min/scale) clamped to [-128, 127];
 *  - weights: symmetric int8 in [-127, 127] per output channel (or per
 *    tensor), scale = max|w| / 127; an all-zero channel gets scale 1;
 *  - bias: int32 = round(b / (input scale x weight scale)), saturated;
 *  - requantisation: multiplier and shift of input x weight / output scale.
 *
 * Layers whose int8 kernel needs a given output quantisation get it: max
 * pools, padding, cropping, upsampling and views keep their input's; sigmoid
 * and hard sigmoid output (1/256, -128), tanh (1/128, 0), softmax (1/256, -128).
 * Average pools get the range their means showed (nnom_qconst_avg_pool() below):
 * a mean spans less than its input, and the finer scale keeps the fraction of
 * an input step the average carries.
 *
 * Recurrent layers (quantize_rnn() below) have int8 outputs calibrated as
 * any other, and int16 insides whose scales follow the ranges the float model
 * showed at every step of the calibration samples.
 */
#include <float.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/layer_rules.h"
#include "core/struct_size.h"
#include "quantize/calibrate.h"

/* Everything known about one layer while the int8 model is built. */
typedef struct qlayer {
    nnom_layer_info info;   /* of the float model */
    nnom_blob fblobs[NNOM_MAX_BLOBS];
    nnom_quant quant;       /* int8 output quantisation */
    double state_scale[2];  /* recurrent layers: the int16 scales of h and c (LSTM), for RNN_STATE */
} qlayer;

/* A failure of this step: "quantise: " then the printf-format message. */
#define quantise_fail(c, st, ...) nnom_converter_fail_in((c), (st), "quantise: ", __VA_ARGS__)

/* A failure about layer @p l: "quantise: layer '<name>' (<type>): " then @p fmt. */
static nnom_status layer_fail(nnom_converter *c, const qlayer *l, nnom_status st, const char *fmt, ...)
{
    char prefix[2 * NNOM_NAME_MAX + 32];
    snprintf(prefix, sizeof prefix, "quantise: layer '%s' (%s): ", l->info.name, l->info.type_name);
    va_list ap;
    va_start(ap, fmt);
    nnom_converter_vfail(c, st, prefix, fmt, ap);
    va_end(ap);
    return st;
}

struct nnom_qstep {
    nnom_converter *c;
    qlayer *Q;              /* every layer; those before i are done */
    int32_t i;              /* the layer being made; its output quantisation is set */
    nnom_quant in0;         /* its input 0's int8 quantisation */
    double lo, hi;          /* its calibrated range */
    const nnom_calib_internals *internals; /* the ranges seen inside it */
    int per_tensor;         /* weights per tensor (nnom_quantize_options) */
};

/* Asymmetric int8 quantisation covering [lo, hi] widened to include 0. */
static nnom_quant quant_of_range(double lo, double hi)
{
    nnom_quant q;
    if (lo > 0.0) lo = 0.0;
    if (hi < 0.0) hi = 0.0;
    double scale = (hi - lo) / 255.0;
    if (!(scale >= 1e-30)) { /* a constant zero tensor: any scale represents it exactly */
        q.scale = 1.0f / 256.0f;
        q.zero_point = -128;
        return q;
    }
    if (scale > 1e37) scale = 1e37;
    q.scale = (float)scale;
    const double z = -128.0 - lo / (double)q.scale;
    long zp = (long)(z < 0 ? -floor(-z + 0.5) : floor(z + 0.5));
    q.zero_point = (int32_t)(zp < -128 ? -128 : (zp > 127 ? 127 : zp));
    return q;
}

static int32_t saturate_s32(double v)
{
    if (!(v == v)) return 0;
    const double r = v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
    if (r >= 2147483647.0) return INT32_MAX;
    if (r <= -2147483648.0) return INT32_MIN;
    return (int32_t)r;
}

static int is_depthwise(nnom_layer_type t)
{
    return t == NNOM_LAYER_DEPTHWISE_CONV1D || t == NNOM_LAYER_DEPTHWISE_CONV2D;
}

/* Weights, bias, multipliers and shifts of a conv, depthwise conv or dense layer. */
nnom_status nnom_qconst_weighted(const nnom_qstep *s, nnom_blob *blobs)
{
    nnom_converter *c = s->c;
    const qlayer *l = &s->Q[s->i];
    const nnom_quant in_q = s->in0;
    const int per_tensor = s->per_tensor;
    const char *name = l->info.name;
    const int32_t n_out = l->info.shape.dims[l->info.shape.rank - 1];
    const uint32_t n_w = l->fblobs[0].size / 4u;
    if (n_out <= 0 || n_w == 0 || n_w % (uint32_t)n_out != 0 || !l->fblobs[0].data)
        return layer_fail(c, l, NNOM_ERR_SHAPE, "%u weights do not split into %d output channels", (unsigned)n_w,
                          (int)n_out);
    const float *w = (const float *)l->fblobs[0].data;
    const float *b = l->fblobs[1].size ? (const float *)l->fblobs[1].data : NULL;
    if (b && l->fblobs[1].size != (uint32_t)n_out * 4u)
        return layer_fail(c, l, NNOM_ERR_SHAPE, "bias of %u bytes for %d outputs", (unsigned)l->fblobs[1].size,
                          (int)n_out);
    const int dw = is_depthwise(l->info.type);
    const uint32_t per_channel = n_w / (uint32_t)n_out;
    /* the channel of weight k: the first index of [out][...], the last of depthwise [kh][kw][out] */
#define CHANNEL_OF(k) (dw ? (uint32_t)((k) % (uint32_t)n_out) : (uint32_t)((k) / per_channel))

    float *scales = (float *)nnom_store_alloc(&c->store, (size_t)n_out * sizeof(float));
    int8_t *qw = (int8_t *)nnom_store_alloc(&c->store, n_w);
    int32_t *qb = b ? (int32_t *)nnom_store_alloc(&c->store, (size_t)n_out * 4u) : NULL;
    /* dense per tensor takes a single multiplier; conv and depthwise always one per channel */
    const int32_t n_mult = per_tensor && l->info.type == NNOM_LAYER_DENSE ? 1 : n_out;
    int32_t *mult = (int32_t *)nnom_store_alloc(&c->store, (size_t)n_mult * 4u);
    int32_t *shift = (int32_t *)nnom_store_alloc(&c->store, (size_t)n_mult * 4u);
    if (!scales || !qw || (b && !qb) || !mult || !shift)
        return quantise_fail(c, NNOM_ERR_NO_MEMORY, "out of memory for layer '%s'", name);

    for (uint32_t k = 0; k < n_w; k++) {
        const float a = fabsf(w[k]);
        if (!(a <= FLT_MAX))
            return layer_fail(c, l, NNOM_ERR_ARGUMENT, "weight %u is %s", (unsigned)k, a != a ? "NaN" : "infinite");
        const uint32_t ch = per_tensor ? 0u : CHANNEL_OF(k);
        if (a > scales[ch]) scales[ch] = a; /* max |w| for now */
    }
    for (int32_t ch = 0; ch < (per_tensor ? 1 : n_out); ch++) scales[ch] = scales[ch] > 0.0f ? scales[ch] / 127.0f : 1.0f;
    if (per_tensor)
        for (int32_t ch = 1; ch < n_out; ch++) scales[ch] = scales[0];

    for (uint32_t k = 0; k < n_w; k++) {
        const double v = (double)w[k] / (double)scales[CHANNEL_OF(k)];
        long r = (long)(v < 0 ? -floor(-v + 0.5) : floor(v + 0.5));
        qw[k] = (int8_t)(r < -127 ? -127 : (r > 127 ? 127 : r));
    }
#undef CHANNEL_OF
    if (b)
        for (int32_t ch = 0; ch < n_out; ch++) {
            if (!(fabsf(b[ch]) <= FLT_MAX))
                return layer_fail(c, l, NNOM_ERR_ARGUMENT, "bias %d is not finite", (int)ch);
            qb[ch] = saturate_s32((double)b[ch] / ((double)in_q.scale * (double)scales[ch]));
        }
    nnom_status st = nnom_quant_conv_params(in_q.scale, scales, n_mult, l->quant.scale, mult, shift);
    if (st != NNOM_OK)
        return layer_fail(c, l, st,
                          "the rescale input scale x weight scale / output scale (%g x %g / %g) cannot be expressed "
                          "as a multiplier and shift", (double)in_q.scale, (double)scales[0], (double)l->quant.scale);
    blobs[0] = (nnom_blob){qw, n_w};
    blobs[1] = (nnom_blob){qb, b ? (uint32_t)n_out * 4u : 0u};
    blobs[2] = (nnom_blob){mult, (uint32_t)n_mult * 4u};
    blobs[3] = (nnom_blob){shift, (uint32_t)n_mult * 4u};
    return NNOM_OK;
}

/* ------------------------------------------------------------------ recurrent layers */

static nnom_status helper_failed(nnom_converter *c, nnom_status st, const qlayer *l, const char *what);

static int rnn_bounded(int32_t act) { return act != NNOM_RNN_ACT_RELU && act != NNOM_RNN_ACT_LINEAR; }

/* The pre-activation range below which an activation is not yet saturated: the range then covers at
 * least that much, whatever calibration saw (0: unbounded functions, which follow calibration). */
static double rnn_saturation(int32_t act)
{
    switch ((nnom_rnn_act)act) {
    case NNOM_RNN_ACT_TANH:
    case NNOM_RNN_ACT_SIGMOID: return 8.0; /* 1 - tanh(8) < 3e-7, sigmoid(-8) < 3.4e-4 */
    case NNOM_RNN_ACT_HARD_SIGMOID: return 3.0;
    case NNOM_RNN_ACT_HARD_SIGMOID_K2: return 2.5;
    case NNOM_RNN_ACT_RELU:
    case NNOM_RNN_ACT_LINEAR: return 0.0;
    case NNOM_RNN_ACT_COUNT:
    case NNOM_RNN_ACT_FORCE_32BIT: break; /* not activations */
    }
    return 0.0;
}

/* max |value| observed for internal value @p k of a layer, 0 if never seen */
static double observed(const nnom_calib_internals *obs, int32_t k)
{
    if (!obs || k >= obs->count || !(obs->min[k] <= obs->max[k])) return 0.0;
    const double a = fabs((double)obs->min[k]), b = fabs((double)obs->max[k]);
    return a > b ? a : b;
}

/* The range an unbounded int16 quantity covers: twice what calibration saw (sequences longer or
 * louder than the samples keep some headroom; int16 has precision to spare), 1 if it saw nothing. */
static double headroom(double seen) { return seen > 1e-6 ? 2.0 * seen : 1.0; }

/* Symmetric int8 per row: scale[r] = max |w[r]| / 127 (1 for an all-zero row). */
static void quantize_rows(const float *w, int32_t rows, int32_t cols, float *scale, int8_t *q)
{
    for (int32_t r = 0; r < rows; r++) {
        const float *row = w + (size_t)r * (size_t)cols;
        float m = 0.0f;
        for (int32_t i = 0; i < cols; i++) m = fabsf(row[i]) > m ? fabsf(row[i]) : m;
        scale[r] = m > 0.0f ? m / 127.0f : 1.0f;
        for (int32_t i = 0; i < cols; i++) {
            const double v = (double)row[i] / (double)scale[r];
            const long k = (long)(v < 0 ? -floor(-v + 0.5) : floor(v + 0.5));
            q[(size_t)r * (size_t)cols + i] = (int8_t)(k < -127 ? -127 : (k > 127 ? 127 : k));
        }
    }
}

static int32_t f32_bits(float f)
{
    int32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/*
 * An int8 SIMPLE_RNN, GRU or LSTM (blobs as include/nnom/layers.h lists them). Scales:
 *  - h: 2^-15 when the cell bounds it by 1 (a bounded activation, and for a GRU a gate in [0, 1]),
 *    else twice the largest |h| seen; c (LSTM): twice the largest |c| seen;
 *  - pre-activations, one scale for all gates: the largest |pre-activation| seen, at least the
 *    saturation point of the functions applied to it (8 for tanh and sigmoid), twice what was seen
 *    when a relu or linear activation reads it;
 *  - gates Q15; the candidate and an LSTM's act(c): Q15 for bounded activations, else twice the
 *    largest value seen.
 * Weights are symmetric int8 per row (gate and unit), biases int32 at input x row scale; the
 * per_tensor option does not apply (the rows of different gates have ranges of their own).
 */
static nnom_status quantize_rnn(nnom_converter *c, const qlayer *l, nnom_quant in_q, int32_t features,
                                const nnom_calib_internals *obs, nnom_blob *blobs)
{
    const char *name = l->info.name;
    const nnom_layer_type t = l->info.type;
    const int32_t gates = t == NNOM_LAYER_SIMPLE_RNN ? 1 : (t == NNOM_LAYER_GRU ? 3 : 4);
    const int32_t units = l->info.params.units, rows = gates * units;
    const int32_t act = l->info.params.activations & 0xff, rec = (l->info.params.activations >> 8) & 0xff;
    const int two = t == NNOM_LAYER_GRU && (l->info.params.cell_flags & NNOM_RNN_RESET_AFTER);
    if (gates > 1 && !rnn_bounded(rec))
        return layer_fail(c, l, NNOM_ERR_UNSUPPORTED,
                          "its recurrent activation is %s; int8 gates are Q15 and need a bounded one (sigmoid, "
                          "hard_sigmoid, tanh)", rec == NNOM_RNN_ACT_RELU ? "relu" : "linear");
    const float *w = (const float *)l->fblobs[0].data, *u = (const float *)l->fblobs[1].data;
    const float *b = l->fblobs[2].size ? (const float *)l->fblobs[2].data : NULL;
    if (l->fblobs[0].size != (uint32_t)rows * (uint32_t)features * 4u ||
        l->fblobs[1].size != (uint32_t)rows * (uint32_t)units * 4u)
        return layer_fail(c, l, NNOM_ERR_SHAPE, "kernels of %u and %u bytes for %d rows of %d inputs and %d units",
                          (unsigned)l->fblobs[0].size, (unsigned)l->fblobs[1].size, (int)rows, (int)features,
                          (int)units);
    static const char *const blob_names[3] = {"kernel", "recurrent kernel", "bias"};
    for (uint32_t k = 0; k < 3; k++) {
        const float *v = k == 0 ? w : (k == 1 ? u : b);
        const uint32_t n = l->fblobs[k].size / 4u;
        for (uint32_t i = 0; v && i < n; i++)
            if (!(fabsf(v[i]) <= FLT_MAX))
                return layer_fail(c, l, NNOM_ERR_ARGUMENT, "%s value %u is not " "finite", blob_names[k], (unsigned)i);
    }
    const double q15 = 1.0 / 32768.0;
    const int h_bounded = rnn_bounded(act) && !(t == NNOM_LAYER_GRU && rec == NNOM_RNN_ACT_TANH);
    const double s_h = h_bounded ? q15 : headroom(observed(obs, NNOM_RNN_INTERNAL_H)) / 32767.0;
    const double s_c = t == NNOM_LAYER_LSTM ? headroom(observed(obs, NNOM_RNN_INTERNAL_C)) / 32767.0 : 0.0;
    const double s_g = rnn_bounded(act) ? q15 : headroom(observed(obs, NNOM_RNN_INTERNAL_CANDIDATE)) / 32767.0;
    const double s_a = rnn_bounded(act) ? q15 : headroom(observed(obs, NNOM_RNN_INTERNAL_CELL_ACT)) / 32767.0;
    double pre = observed(obs, NNOM_RNN_INTERNAL_PRE);
    if (!rnn_bounded(act)) pre *= 2.0;
    double floor_pre = rnn_saturation(act);
    if (gates > 1 && rnn_saturation(rec) > floor_pre) floor_pre = rnn_saturation(rec);
    if (pre < floor_pre) pre = floor_pre;
    if (!(pre > 1e-6)) pre = 1.0;
    const double s_p = pre / 32767.0;

    const int32_t n_tables = gates == 1 ? 1 : (gates == 3 ? 2 : 3);
    float *sw = (float *)nnom_store_alloc(&c->store, (size_t)rows * sizeof(float));
    float *su = (float *)nnom_store_alloc(&c->store, (size_t)rows * sizeof(float));
    int8_t *qw = (int8_t *)nnom_store_alloc(&c->store, (size_t)rows * (size_t)features);
    int8_t *qu = (int8_t *)nnom_store_alloc(&c->store, (size_t)rows * (size_t)units);
    int32_t *qb = b ? (int32_t *)nnom_store_alloc(&c->store, (size_t)rows * (two ? 2u : 1u) * 4u) : NULL;
    int32_t *rq = (int32_t *)nnom_store_alloc(&c->store, (size_t)rows * 16u);
    int16_t *tables = (int16_t *)nnom_store_alloc(&c->store, (size_t)n_tables * 513u * 2u);
    int32_t *k = (int32_t *)nnom_store_alloc(&c->store, NNOM_RNN_CONSTS * 4u);
    if (!sw || !su || !qw || !qu || (b && !qb) || !rq || !tables || !k)
        return quantise_fail(c, NNOM_ERR_NO_MEMORY, "out of memory for layer '%s'", name);
    quantize_rows(w, rows, features, sw, qw);
    quantize_rows(u, rows, units, su, qu);
    nnom_status st = NNOM_OK;
    for (int32_t r = 0; r < rows && st == NNOM_OK; r++) {
        const double sx = (double)in_q.scale * sw[r], sr = s_h * su[r];
        if (b) qb[r] = saturate_s32((double)b[r] / sx);
        if (b && two) qb[rows + r] = saturate_s32((double)b[rows + r] / sr);
        st = nnom_quant_multiplier(sx / s_p, &rq[r], &rq[rows + r]);
        if (st == NNOM_OK) st = nnom_quant_multiplier(sr / s_p, &rq[2 * rows + r], &rq[3 * rows + r]);
        if (st != NNOM_OK)
            return layer_fail(c, l, st,
                              "row %d: the rescale to the pre-activation scale %g (input %g x %g, recurrent %g x %g) "
                              "has no multiplier and shift", (int)r, s_p, (double)in_q.scale, (double)sw[r], s_h,
                              (double)su[r]);
    }
    /* table 0: the activation on the pre-activation, into h (SimpleRNN) or the candidate's scale */
    st = nnom_quant_rnn_table((nnom_rnn_act)act, (float)s_p, (float)(gates == 1 ? s_h : s_g), tables);
    if (st == NNOM_OK && gates > 1) st = nnom_quant_rnn_table((nnom_rnn_act)rec, (float)s_p, (float)q15, tables + 513);
    if (st == NNOM_OK && gates == 4)
        st = nnom_quant_rnn_table((nnom_rnn_act)act, (float)s_c, (float)s_a, tables + 1026);
    if (st != NNOM_OK) return helper_failed(c, st, l, "activation tables");
    memset(k, 0, NNOM_RNN_CONSTS * 4u);
    k[NNOM_RNN_H_SCALE] = f32_bits((float)s_h);
    k[NNOM_RNN_C_SCALE] = f32_bits((float)s_c);
    st = nnom_quant_multiplier(s_h / (double)l->quant.scale, &k[NNOM_RNN_OUT_MULT], &k[NNOM_RNN_OUT_SHIFT]);
    if (st == NNOM_OK && gates == 3)
        st = nnom_quant_multiplier(s_g * q15 / s_h, &k[NNOM_RNN_MIX_MULT], &k[NNOM_RNN_MIX_SHIFT]);
    if (st == NNOM_OK && gates == 4) {
        st = nnom_quant_multiplier(s_g * q15 / s_c, &k[NNOM_RNN_MIX_MULT], &k[NNOM_RNN_MIX_SHIFT]);
        if (st == NNOM_OK) st = nnom_quant_multiplier(s_a * q15 / s_h, &k[NNOM_RNN_HID_MULT], &k[NNOM_RNN_HID_SHIFT]);
    }
    if (st != NNOM_OK)
        return layer_fail(c, l, st,
                          "its state rescales (h %g, c %g, candidate %g, output %g) have no multiplier and shift", s_h,
                          s_c, s_g, (double)l->quant.scale);
    blobs[0] = (nnom_blob){qw, (uint32_t)rows * (uint32_t)features};
    blobs[1] = (nnom_blob){qu, (uint32_t)rows * (uint32_t)units};
    blobs[2] = (nnom_blob){qb, b ? (uint32_t)rows * (two ? 8u : 4u) : 0u};
    blobs[3] = (nnom_blob){rq, (uint32_t)rows * 16u};
    blobs[4] = (nnom_blob){tables, (uint32_t)n_tables * 513u * 2u};
    blobs[5] = (nnom_blob){k, NNOM_RNN_CONSTS * 4u};
    return NNOM_OK;
}

static nnom_status helper_failed(nnom_converter *c, nnom_status st, const qlayer *l, const char *what)
{
    return layer_fail(c, l, st, "cannot derive its %s from the calibrated scales (output scale %g, zero point %d)",
                      what, (double)l->quant.scale, (int)l->quant.zero_point);
}

/* An average pool requantises only when its own scale is at least this much finer than its input's:
 * below 2 dB the gain drowns in the error it inherits from its input, and the plain form is cheaper. */
#define AVG_POOL_MIN_GAIN 0.8

/*
 * An int8 average pool (AVG_POOL1D/2D, GLOBAL_AVG_POOL): the quantisation of its calibrated range
 * [lo, hi] and blob 0 = {multiplier, shift} of input scale / output scale (the requantising form,
 * kernels/pool.h), when that scale is at most AVG_POOL_MIN_GAIN times the input's and the kernel
 * can hold the window's sum at it (nnom_quant_avg_pool_params()); otherwise the input's
 * quantisation and no blobs, the plain form. Its input @p in is the float model's.
 */
nnom_status nnom_qconst_avg_pool(const nnom_qstep *st, nnom_blob *blobs)
{
    nnom_converter *c = st->c;
    qlayer *l = &st->Q[st->i];
    const qlayer *in = &st->Q[l->info.inputs[0]];
    const nnom_quant in_q = st->in0;
    const double lo = st->lo, hi = st->hi;
    const nnom_shape *s = &in->info.shape;
    const int64_t h = s->rank == 3 ? s->dims[0] : 1, w = s->rank == 3 ? s->dims[1] : s->dims[0];
    int64_t cells = h * w;
    if (l->info.type != NNOM_LAYER_GLOBAL_AVG_POOL) {
        const int64_t kh = l->info.params.kernel[0], kw = l->info.params.kernel[1];
        cells = (kh < h ? kh : h) * (kw < w ? kw : w);
    }
    const nnom_quant q = quant_of_range(lo, hi);
    l->quant = in_q;
    if (!(q.scale <= AVG_POOL_MIN_GAIN * in_q.scale) || cells < 1 || cells > (1 << 23)) return NNOM_OK;
    int32_t *p = (int32_t *)nnom_store_alloc(&c->store, 8u);
    if (!p) return quantise_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    if (nnom_quant_avg_pool_params(in_q, q, (int32_t)cells, p) != NNOM_OK) return NNOM_OK; /* the plain form */
    l->quant = q;
    blobs[0] = (nnom_blob){p, 8u};
    return NNOM_OK;
}

/* sum pools: blob 0 {multiplier, shift} of input scale / calibrated output scale, for windows of up to `cells` */
nnom_status nnom_qconst_sum_pool(const nnom_qstep *st, nnom_blob *blobs)
{
    const qlayer *l = &st->Q[st->i];
    const nnom_shape *s = &st->Q[l->info.inputs[0]].info.shape;
    const int64_t h = s->rank == 3 ? s->dims[0] : 1, w = s->rank == 3 ? s->dims[1] : s->dims[0];
    int64_t cells = h * w;
    if (l->info.type != NNOM_LAYER_GLOBAL_SUM_POOL) {
        const int64_t kh = l->info.params.kernel[0], kw = l->info.params.kernel[1];
        cells = (kh < h ? kh : h) * (kw < w ? kw : w);
    }
    int32_t *p = (int32_t *)nnom_store_alloc(&st->c->store, 8u);
    if (!p) return nnom_converter_fail(st->c, NNOM_ERR_NO_MEMORY, "quantise: out of memory");
    /* more than 2^23 cells: refused by nnom_quant_avg_pool_params() (the int8 kernel's limit) */
    const int32_t n = (int32_t)(cells < (1 << 24) ? cells : 1 << 24);
    const nnom_status r = nnom_quant_avg_pool_params(st->in0, l->quant, n, p);
    if (r != NNOM_OK) return helper_failed(st->c, r, l, "requantisation of the window sums");
    blobs[0] = (nnom_blob){p, 8u};
    return NNOM_OK;
}

/* ------------------------------------------------------------------ the other constants */

nnom_status nnom_qconst_rnn(const nnom_qstep *s, nnom_blob *blobs)
{
    qlayer *l = &s->Q[s->i];
    const int32_t features = s->Q[l->info.inputs[0]].info.shape.dims[1];
    const nnom_status st = quantize_rnn(s->c, l, s->in0, features, s->internals, blobs);
    if (st != NNOM_OK) return st;
    const int32_t *k = (const int32_t *)blobs[5].data;
    float h, cs;
    memcpy(&h, &k[NNOM_RNN_H_SCALE], sizeof h);
    memcpy(&cs, &k[NNOM_RNN_C_SCALE], sizeof cs);
    l->state_scale[0] = h;
    l->state_scale[1] = cs;
    return NNOM_OK;
}

/* the int16 state vector `axis` of the recurrent input to this layer's int8 output */
nnom_status nnom_qconst_rnn_state(const nnom_qstep *s, nnom_blob *blobs)
{
    nnom_converter *c = s->c;
    const qlayer *l = &s->Q[s->i], *src = &s->Q[l->info.inputs[0]];
    const int32_t which = l->info.params.axis;
    const double scale = which >= 0 && which < 2 ? src->state_scale[which] : 0.0;
    int32_t *p = (int32_t *)nnom_store_alloc(&c->store, 8u);
    if (!p) return quantise_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
    if (!(scale > 0.0))
        return layer_fail(c, l, NNOM_ERR_UNSUPPORTED, "its input '%s' has no int16 state vector %d", src->info.name,
                          (int)which);
    const nnom_status st = nnom_quant_multiplier(scale / (double)l->quant.scale, &p[0], &p[1]);
    if (st != NNOM_OK) return helper_failed(c, st, l, "state requantisation");
    blobs[0] = (nnom_blob){p, 8u};
    return NNOM_OK;
}

/* ADD, SUBTRACT: blob 0 int32[6] (nnom_quant_add_params()) */
nnom_status nnom_qconst_add(const nnom_qstep *s, nnom_blob *blobs)
{
    const qlayer *l = &s->Q[s->i];
    int32_t *p = (int32_t *)nnom_store_alloc(&s->c->store, 24u);
    if (!p) return quantise_fail(s->c, NNOM_ERR_NO_MEMORY, "out of memory");
    const nnom_status st = nnom_quant_add_params(s->in0, s->Q[l->info.inputs[1]].quant, l->quant, p);
    if (st != NNOM_OK) return helper_failed(s->c, st, l, "requantisation constants");
    blobs[0] = (nnom_blob){p, 24u};
    return NNOM_OK;
}

/* MULTIPLY: blob 0 int32[2] (nnom_quant_mul_params()) */
nnom_status nnom_qconst_multiply(const nnom_qstep *s, nnom_blob *blobs)
{
    const qlayer *l = &s->Q[s->i];
    int32_t *p = (int32_t *)nnom_store_alloc(&s->c->store, 8u);
    if (!p) return quantise_fail(s->c, NNOM_ERR_NO_MEMORY, "out of memory");
    const nnom_status st = nnom_quant_mul_params(s->in0, s->Q[l->info.inputs[1]].quant, l->quant, p);
    if (st != NNOM_OK) return helper_failed(s->c, st, l, "requantisation constants");
    blobs[0] = (nnom_blob){p, 8u};
    return NNOM_OK;
}

/* MINIMUM, MAXIMUM: blob 0 int32[4], each input to the output scale (nnom_quant_concat_params()) */
nnom_status nnom_qconst_minmax(const nnom_qstep *s, nnom_blob *blobs)
{
    const qlayer *l = &s->Q[s->i];
    int32_t *p = (int32_t *)nnom_store_alloc(&s->c->store, 16u);
    if (!p) return quantise_fail(s->c, NNOM_ERR_NO_MEMORY, "out of memory");
    nnom_status st = nnom_quant_concat_params(s->in0, l->quant, &p[0]);
    if (st == NNOM_OK) st = nnom_quant_concat_params(s->Q[l->info.inputs[1]].quant, l->quant, &p[2]);
    if (st != NNOM_OK) return helper_failed(s->c, st, l, "per-input requantisation constants");
    blobs[0] = (nnom_blob){p, 16u};
    return NNOM_OK;
}

nnom_status nnom_qconst_concatenate(const nnom_qstep *s, nnom_blob *blobs)
{
    const qlayer *l = &s->Q[s->i];
    const uint32_t bytes = (uint32_t)l->info.n_inputs * 8u;
    int32_t *p = (int32_t *)nnom_store_alloc(&s->c->store, bytes);
    if (!p) return quantise_fail(s->c, NNOM_ERR_NO_MEMORY, "out of memory");
    nnom_status st = NNOM_OK;
    for (int32_t j = 0; j < l->info.n_inputs && st == NNOM_OK; j++)
        st = nnom_quant_concat_params(s->Q[l->info.inputs[j]].quant, l->quant, &p[2 * j]);
    if (st != NNOM_OK) return helper_failed(s->c, st, l, "per-input requantisation constants");
    blobs[0] = (nnom_blob){p, bytes};
    return NNOM_OK;
}

/* element-wise activations: blob 0 int8[256], the function on every input value */
nnom_status nnom_qconst_table(const nnom_qstep *s, nnom_blob *blobs)
{
    const qlayer *l = &s->Q[s->i];
    int8_t *table = (int8_t *)nnom_store_alloc(&s->c->store, 256);
    if (!table) return quantise_fail(s->c, NNOM_ERR_NO_MEMORY, "out of memory");
    const nnom_status st = nnom_quant_activation_table(l->info.type, l->info.params.alpha, s->in0, l->quant, table);
    if (st != NNOM_OK) return helper_failed(s->c, st, l, "lookup table");
    blobs[0] = (nnom_blob){table, 256};
    return NNOM_OK;
}

/* ACTIVATION: blob 0 int8[256], its function with the float model's constants on every input value */
nnom_status nnom_qconst_function(const nnom_qstep *s, nnom_blob *blobs)
{
    const qlayer *l = &s->Q[s->i];
    int8_t *table = (int8_t *)nnom_store_alloc(&s->c->store, 256);
    if (!table) return quantise_fail(s->c, NNOM_ERR_NO_MEMORY, "out of memory");
    const nnom_status st = nnom_quant_function_table((nnom_function)l->info.params.activation,
                                                     (const float *)l->fblobs[0].data,
                                                     (int32_t)(l->fblobs[0].size / sizeof(float)), s->in0, l->quant,
                                                     table);
    if (st != NNOM_OK) return helper_failed(s->c, st, l, "lookup table");
    blobs[0] = (nnom_blob){table, 256};
    return NNOM_OK;
}

/* PRELU: blob 0 int8 alpha, symmetric at max |alpha| / 127; blob 1 {multiplier, shift} of input / output
 * scale and of input x alpha / output scale */
nnom_status nnom_qconst_prelu(const nnom_qstep *s, nnom_blob *blobs)
{
    const qlayer *l = &s->Q[s->i];
    const uint32_t n = l->fblobs[0].size / 4u;
    const float *alpha = (const float *)l->fblobs[0].data;
    int8_t *qa = (int8_t *)nnom_store_alloc(&s->c->store, n ? n : 1u);
    int32_t *p = (int32_t *)nnom_store_alloc(&s->c->store, 16u);
    if (!qa || !p) return quantise_fail(s->c, NNOM_ERR_NO_MEMORY, "out of memory");
    float amax = 0.0f;
    for (uint32_t k = 0; k < n; k++) amax = fabsf(alpha[k]) > amax ? fabsf(alpha[k]) : amax;
    const double scale = amax > 0.0f ? (double)amax / 127.0 : 1.0;
    for (uint32_t k = 0; k < n; k++) {
        const double v = (double)alpha[k] / scale;
        const long r = (long)(v < 0 ? -floor(-v + 0.5) : floor(v + 0.5));
        qa[k] = (int8_t)(r < -127 ? -127 : (r > 127 ? 127 : r));
    }
    nnom_status st = nnom_quant_multiplier((double)s->in0.scale / (double)l->quant.scale, &p[0], &p[1]);
    if (st == NNOM_OK)
        st = nnom_quant_multiplier((double)s->in0.scale * scale / (double)l->quant.scale, &p[2], &p[3]);
    if (st != NNOM_OK) return helper_failed(s->c, st, l, "requantisation constants");
    blobs[0] = (nnom_blob){qa, n};
    blobs[1] = (nnom_blob){p, 16u};
    return NNOM_OK;
}

nnom_status nnom_qconst_softmax(const nnom_qstep *s, nnom_blob *blobs)
{
    const qlayer *l = &s->Q[s->i];
    uint32_t *table = (uint32_t *)nnom_store_alloc(&s->c->store, 256 * sizeof(uint32_t));
    if (!table) return quantise_fail(s->c, NNOM_ERR_NO_MEMORY, "out of memory");
    const nnom_status st = nnom_quant_softmax_table(s->in0, table);
    if (st != NNOM_OK) return helper_failed(s->c, st, l, "exp table");
    blobs[0] = (nnom_blob){table, 256 * sizeof(uint32_t)};
    return NNOM_OK;
}

/* CUSTOM: the operator's name and constants as they are; its int8 kernel reads the quantisations. */
nnom_status nnom_qconst_custom(const nnom_qstep *s, nnom_blob *blobs)
{
    const qlayer *l = &s->Q[s->i];
    for (int k = 0; k < 2; k++) {
        if (!l->fblobs[k].size) continue;
        void *copy = nnom_store_alloc(&s->c->store, l->fblobs[k].size);
        if (!copy) return quantise_fail(s->c, NNOM_ERR_NO_MEMORY, "out of memory");
        memcpy(copy, l->fblobs[k].data, l->fblobs[k].size);
        blobs[k] = (nnom_blob){copy, l->fblobs[k].size};
    }
    return NNOM_OK;
}

/* LAYER_NORM: [multipliers][shifts][biases] per channel, then the int64 epsilon term. */
nnom_status nnom_qconst_layer_norm(const nnom_qstep *s, nnom_blob *blobs)
{
    const qlayer *l = &s->Q[s->i];
    const int32_t depth = l->info.shape.dims[l->info.shape.rank - 1];
    const uint32_t per = (uint32_t)depth * 4u;
    int32_t *p = (int32_t *)nnom_store_alloc(&s->c->store, 3u * per + 8u);
    if (!p) return quantise_fail(s->c, NNOM_ERR_NO_MEMORY, "out of memory");
    const float *gamma = l->fblobs[0].size ? (const float *)l->fblobs[0].data : NULL;
    const float *beta = l->fblobs[1].size ? (const float *)l->fblobs[1].data : NULL;
    const nnom_status st = nnom_quant_layer_norm_params(s->in0, l->quant, gamma, beta, depth, l->info.params.alpha, p,
                                                        p + depth, p + 2 * depth, p + 3 * depth);
    if (st != NNOM_OK) return helper_failed(s->c, st, l, "normalisation constants");
    for (int k = 0; k < 3; k++) blobs[k] = (nnom_blob){p + k * depth, per};
    blobs[3] = (nnom_blob){p + 3 * depth, 8u};
    return NNOM_OK;
}

/* Output quantisation and constants of layer i (inputs already done), by the rules of its type. */
static nnom_status quantize_layer(nnom_converter *c, qlayer *Q, int32_t i, const float *lo, const float *hi,
                                  const nnom_calib_internals *internals, int per_tensor, nnom_blob *blobs)
{
    qlayer *l = &Q[i];
    const nnom_layer_rule *rule = nnom_layer_rule_of(l->info.type);
    const nnom_quant in0 = l->info.n_inputs > 0 ? Q[l->info.inputs[0]].quant : l->quant;
    memset(blobs, 0, sizeof(nnom_blob) * NNOM_MAX_BLOBS);
    if (!rule)
        return quantise_fail(c, NNOM_ERR_UNSUPPORTED, "layer '%s' of type %s (%d) cannot be quantised", l->info.name,
                             l->info.type_name, (int)l->info.type);
    switch (rule->qclass) {
    case NNOM_QCLASS_SAME:
    case NNOM_QCLASS_MEAN: l->quant = in0; break; /* average pools: see nnom_qconst_avg_pool() */
    case NNOM_QCLASS_FIXED: l->quant = rule->fixed; break;
    case NNOM_QCLASS_INPUT:
    case NNOM_QCLASS_CALIBRATED:
    case NNOM_QCLASS_UNION: l->quant = quant_of_range(lo[i], hi[i]); break;
    case NNOM_QCLASS_UNKNOWN: break; /* no rule has it (layer_rules.c) */
    }
    if (!rule->constants) return NNOM_OK;
    const nnom_qstep step = {c, Q, i, in0, lo[i], hi[i], &internals[i], per_tensor};
    return rule->constants(&step, blobs);
}

nnom_status nnom_converter_quantize(nnom_converter *c, const float *samples, size_t n_samples,
                                    const nnom_quantize_options *options)
{
    if (!c) return NNOM_ERR_ARGUMENT;
    if (!c->float_model) return quantise_fail(c, NNOM_ERR_STATE, "the converter has no float32 model");
    if (nnom_model_dtype(c->float_model) != NNOM_DTYPE_F32)
        return quantise_fail(c, NNOM_ERR_ARGUMENT, "the model to quantise must be a float32 model");
    if (!samples || n_samples == 0)
        return quantise_fail(c, NNOM_ERR_ARGUMENT,
                             "no calibration samples given; at least one input sample is needed to choose activation "
                             "ranges");
    nnom_quantize_options opt;
    nnom_quantize_options_init(&opt);
    if (options && !NNOM_STRUCT_SIZE_KNOWN(options))
        return nnom_converter_fail(c, NNOM_ERR_ARGUMENT, NNOM_STRUCT_SIZE_FMT,
                                   NNOM_STRUCT_SIZE_ARGS(options, "nnom_quantize_options"));
    if (options) opt = *options;
    if (opt.method != NNOM_CALIBRATE_MINMAX && opt.method != NNOM_CALIBRATE_PERCENTILE && opt.method != NNOM_CALIBRATE_KL)
        return quantise_fail(c, NNOM_ERR_ARGUMENT,
                             "unknown calibration method %d (expected 0 minmax, 1 percentile, 2 KL)", (int)opt.method);
    if (opt.percentile == 0.0) opt.percentile = 99.99;
    if (opt.method == NNOM_CALIBRATE_PERCENTILE && !(opt.percentile >= 50.0 && opt.percentile <= 100.0))
        return quantise_fail(c, NNOM_ERR_ARGUMENT, "percentile %g is outside [50, 100]", opt.percentile);
    nnom_model *fm = c->float_model;
    const size_t per_sample = nnom_calib_sample_floats(fm);
    nnom_status st = nnom_calib_check_samples(c, samples, n_samples, per_sample);
    if (st != NNOM_OK) return st;

    const int32_t n = nnom_model_layer_count(fm);
    float *lo = (float *)calloc((size_t)n, sizeof *lo), *hi = (float *)calloc((size_t)n, sizeof *hi);
    qlayer *Q = (qlayer *)calloc((size_t)n, sizeof *Q);
    nnom_calib_internals *internals = (nnom_calib_internals *)calloc((size_t)n, sizeof *internals);
    nnom_model *m = NULL;
    if (!lo || !hi || !Q || !internals) {
        st = quantise_fail(c, NNOM_ERR_NO_MEMORY, "out of memory");
        goto fail;
    }
    st = nnom_calibrate(c, samples, n_samples, &opt, lo, hi, internals);
    if (st != NNOM_OK) goto fail;

    nnom_error err;
    nnom_options mopt; /* the user operators of the float32 model's CUSTOM layers */
    nnom_options_init(&mopt);
    mopt.op_registry = nnom_model_op_registry(fm);
    st = nnom_model_create(NNOM_DTYPE_S8, &mopt, &m, &err);
    if (st != NNOM_OK) {
        st = quantise_fail(c, st, "%s", err.message);
        goto fail;
    }
    for (int32_t i = 0; i < n; i++) {
        qlayer *l = &Q[i];
        nnom_layer_info_init(&l->info);
        nnom_model_layer_info(fm, i, &l->info);
        nnom_model_layer_blobs(fm, i, l->fblobs);
        nnom_layer_desc d;
        nnom_layer_desc_init(&d);
        st = quantize_layer(c, Q, i, lo, hi, internals, opt.per_tensor, d.blobs);
        if (st != NNOM_OK) goto fail;
        if (l->info.type == NNOM_LAYER_INPUT) {
            st = nnom_model_add_input(m, l->info.name, l->info.shape, l->quant, NULL);
        } else {
            d.type = l->info.type;
            d.name = l->info.name;
            d.n_inputs = l->info.n_inputs;
            memcpy(d.inputs, l->info.inputs, sizeof d.inputs);
            d.params = l->info.params;
            d.quant = l->quant;
            st = nnom_model_add_layer(m, &d, NULL);
        }
        if (st != NNOM_OK) {
            st = quantise_fail(c, st, "%s", nnom_model_last_error(m));
            goto fail;
        }
    }
    st = nnom_model_compile(m);
    if (st != NNOM_OK) {
        st = quantise_fail(c, st, "the int8 model does not compile: %s", nnom_model_last_error(m));
        goto fail;
    }
    nnom_model_destroy(c->int8_model);
    c->int8_model = m;
    free(c->range_min);
    free(c->range_max);
    c->range_min = lo;
    c->range_max = hi;
    free(Q);
    free(internals);
    c->error[0] = '\0';
    st = nnom_dead_channels_remove(c, samples, opt.keep_dead_channels);
    if (st == NNOM_OK) st = nnom_paddings_fold(c);
    return st == NNOM_OK ? nnom_weight_pairs_write(c) : st;
fail:
    nnom_model_destroy(m);
    free(lo);
    free(hi);
    free(Q);
    free(internals);
    return st;
}
