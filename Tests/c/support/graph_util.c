#include "graph_util.h"

#include <math.h>
#include <string.h>

typedef struct { int32_t h, w, c; } gdims;

static uint64_t store_words[1 << 19]; /* 4 MiB */
static size_t store_used;

void *gb_store(size_t bytes)
{
    size_t words = (bytes + 7) / 8;
    TU_REQUIRE(store_used + words <= sizeof store_words / 8, "test store exhausted");
    void *p = &store_words[store_used];
    store_used += words;
    return p;
}

void gb_store_reset(void) { store_used = 0; }

void gb_init(gb *g, nnom_dtype dtype)
{
    memset(g, 0, sizeof *g);
    g->dtype = dtype;
    g->q.scale = 0.05f;
    g->q.zero_point = -5;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(dtype, NULL, &g->m, &err) == NNOM_OK, "%s", err.message);
}

static int32_t add(gb *g, nnom_layer_type type, int32_t n_in, const int32_t *ins, nnom_layer_params p,
                   const nnom_blob *blobs, const float *w, const float *b)
{
    TU_REQUIRE(g->n < GB_MAX_LAYERS, "too many layers");
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = type;
    d.n_inputs = n_in;
    for (int32_t i = 0; i < n_in; i++) d.inputs[i] = ins[i];
    d.params = p;
    if (blobs) memcpy(d.blobs, blobs, sizeof d.blobs);
    d.quant = g->q;
    int32_t id;
    TU_OK(g->m, nnom_model_add_layer(g->m, &d, &id));
    gb_layer *l = &g->layers[id];
    l->type = type;
    l->n_inputs = n_in;
    for (int32_t i = 0; i < n_in; i++) l->inputs[i] = ins[i];
    l->p = p;
    l->w = w;
    l->b = b;
    g->n = id + 1;
    return id;
}

int32_t gb_input(gb *g, int32_t rank, int32_t d0, int32_t d1, int32_t d2)
{
    nnom_shape s = {rank, {d0, d1, d2}};
    int32_t id;
    TU_OK(g->m, nnom_model_add_input(g->m, NULL, s, g->q, &id));
    g->layers[id].type = NNOM_LAYER_INPUT;
    g->layers[id].shape = s;
    g->n = id + 1;
    return id;
}

static gdims dims_of(const nnom_shape *s)
{
    gdims d = {1, 1, 1};
    if (s->rank == 1) d.c = s->dims[0];
    if (s->rank == 2) { d.w = s->dims[0]; d.c = s->dims[1]; }
    if (s->rank == 3) { d.h = s->dims[0]; d.w = s->dims[1]; d.c = s->dims[2]; }
    return d;
}

static int32_t count_of(const nnom_shape *s)
{
    int32_t n = 1;
    for (int32_t i = 0; i < s->rank; i++) n *= s->dims[i];
    return n;
}

/* Shapes are needed while building (fan-in); take them from the model compiled so far
 * by asking each builder call's caller-visible layer: we track them here instead. */
static nnom_shape shape_of(gb *g, int32_t id) { return g->layers[id].shape; }

/* Weighted layer blobs: f32 random weights; s8 random int8 weights and per-channel requantisation. */
static void weighted_blobs(gb *g, int32_t out, int32_t fan_in, nnom_blob *blobs, const float **wf, const float **bf)
{
    memset(blobs, 0, sizeof(nnom_blob) * NNOM_MAX_BLOBS);
    size_t nw = (size_t)out * (size_t)fan_in;
    if (g->dtype == NNOM_DTYPE_F32) {
        float *w = (float *)gb_store(nw * 4), *b = (float *)gb_store((size_t)out * 4);
        float lim = 1.5f / sqrtf((float)fan_in);
        tu_fill_f32(w, nw, -lim, lim);
        tu_fill_f32(b, (size_t)out, -0.1f, 0.1f);
        blobs[0] = (nnom_blob){w, (uint32_t)(nw * 4)};
        blobs[1] = (nnom_blob){b, (uint32_t)(out * 4)};
        *wf = w;
        *bf = b;
    } else {
        int8_t *w = (int8_t *)gb_store(nw);
        int32_t *b = (int32_t *)gb_store((size_t)out * 4), *mu = (int32_t *)gb_store((size_t)out * 4),
                *sh = (int32_t *)gb_store((size_t)out * 4);
        tu_fill_s8(w, nw, -127, 127);
        tu_fill_s32(b, (size_t)out, -2000, 2000);
        for (int32_t c = 0; c < out; c++) tu_ref_multiplier(1.0 / (60.0 * sqrt((double)fan_in)) * (0.7 + 0.01 * c), &mu[c], &sh[c]);
        blobs[0] = (nnom_blob){w, (uint32_t)nw};
        blobs[1] = (nnom_blob){b, (uint32_t)(out * 4)};
        blobs[2] = (nnom_blob){mu, (uint32_t)(out * 4)};
        blobs[3] = (nnom_blob){sh, (uint32_t)(out * 4)};
        *wf = NULL;
        *bf = NULL;
    }
}

static int32_t window_out(int32_t in, int32_t k, int32_t s, int32_t dil, int32_t padding)
{
    if (padding == NNOM_PADDING_SAME) return (in + s - 1) / s;
    return (in - ((k - 1) * dil + 1)) / s + 1;
}

static void set_shape(gb *g, int32_t id, int32_t rank, int32_t d0, int32_t d1, int32_t d2)
{
    nnom_shape s = {rank, {d0, d1, d2}};
    g->layers[id].shape = s;
}

int32_t gb_conv(gb *g, int32_t in, int32_t filters, int32_t k, int32_t stride, int32_t dilation, int32_t padding,
                int32_t act)
{
    nnom_shape is = shape_of(g, in);
    gdims d = dims_of(&is);
    int one_d = is.rank == 2;
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.kernel[0] = one_d ? 1 : k;
    p.kernel[1] = k;
    p.stride[0] = one_d ? 1 : stride;
    p.stride[1] = stride;
    p.dilation[0] = one_d ? 1 : dilation;
    p.dilation[1] = dilation;
    p.padding = padding;
    p.units = filters;
    p.activation = act;
    nnom_blob blobs[NNOM_MAX_BLOBS];
    const float *w, *b;
    weighted_blobs(g, filters, p.kernel[0] * k * d.c, blobs, &w, &b);
    int32_t id = add(g, one_d ? NNOM_LAYER_CONV1D : NNOM_LAYER_CONV2D, 1, &in, p, blobs, w, b);
    int32_t oh = window_out(d.h, p.kernel[0], p.stride[0], p.dilation[0], padding);
    int32_t ow = window_out(d.w, k, stride, dilation, padding);
    if (one_d) set_shape(g, id, 2, ow, filters, 0);
    else set_shape(g, id, 3, oh, ow, filters);
    return id;
}

int32_t gb_depthwise(gb *g, int32_t in, int32_t k, int32_t stride, int32_t padding, int32_t act)
{
    nnom_shape is = shape_of(g, in);
    gdims d = dims_of(&is);
    TU_REQUIRE(is.rank == 3, "gb_depthwise: 2D only");
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.kernel[0] = p.kernel[1] = k;
    p.stride[0] = p.stride[1] = stride;
    p.dilation[0] = p.dilation[1] = 1;
    p.padding = padding;
    p.units = 1; /* depth multiplier */
    p.activation = act;
    nnom_blob blobs[NNOM_MAX_BLOBS];
    const float *w, *b;
    weighted_blobs(g, d.c, k * k, blobs, &w, &b); /* read as [kh][kw][c] */
    int32_t id = add(g, NNOM_LAYER_DEPTHWISE_CONV2D, 1, &in, p, blobs, w, b);
    set_shape(g, id, 3, window_out(d.h, k, stride, 1, padding), window_out(d.w, k, stride, 1, padding), d.c);
    return id;
}

int32_t gb_dense(gb *g, int32_t in, int32_t units, int32_t act)
{
    nnom_shape is = shape_of(g, in);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.units = units;
    p.activation = act;
    nnom_blob blobs[NNOM_MAX_BLOBS];
    const float *w, *b;
    weighted_blobs(g, units, count_of(&is), blobs, &w, &b);
    int32_t id = add(g, NNOM_LAYER_DENSE, 1, &in, p, blobs, w, b);
    set_shape(g, id, 1, units, 0, 0);
    return id;
}

static int32_t pool(gb *g, nnom_layer_type t2d, nnom_layer_type t1d, int32_t in, int32_t k, int32_t stride,
                    int32_t padding)
{
    nnom_shape is = shape_of(g, in);
    gdims d = dims_of(&is);
    int one_d = is.rank == 2;
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.kernel[0] = one_d ? 1 : k;
    p.kernel[1] = k;
    p.stride[0] = one_d ? 1 : stride;
    p.stride[1] = stride;
    p.padding = padding;
    int32_t id = add(g, one_d ? t1d : t2d, 1, &in, p, NULL, NULL, NULL);
    int32_t oh = window_out(d.h, p.kernel[0], p.stride[0], 1, padding), ow = window_out(d.w, k, stride, 1, padding);
    if (one_d) set_shape(g, id, 2, ow, d.c, 0);
    else set_shape(g, id, 3, oh, ow, d.c);
    return id;
}

int32_t gb_max_pool(gb *g, int32_t in, int32_t k, int32_t stride, int32_t padding)
{
    return pool(g, NNOM_LAYER_MAX_POOL2D, NNOM_LAYER_MAX_POOL1D, in, k, stride, padding);
}

int32_t gb_avg_pool(gb *g, int32_t in, int32_t k, int32_t stride, int32_t padding)
{
    return pool(g, NNOM_LAYER_AVG_POOL2D, NNOM_LAYER_AVG_POOL1D, in, k, stride, padding);
}

int32_t gb_global_avg_pool(gb *g, int32_t in)
{
    nnom_shape is = shape_of(g, in);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    int32_t id = add(g, NNOM_LAYER_GLOBAL_AVG_POOL, 1, &in, p, NULL, NULL, NULL);
    set_shape(g, id, 1, is.dims[is.rank - 1], 0, 0);
    return id;
}

int32_t gb_relu(gb *g, int32_t in)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    nnom_blob blobs[NNOM_MAX_BLOBS];
    memset(blobs, 0, sizeof blobs);
    if (g->dtype == NNOM_DTYPE_S8) {
        int8_t *table = (int8_t *)gb_store(256);
        TU_REQUIRE(nnom_quant_activation_table(NNOM_LAYER_RELU, 0.0f, g->q, g->q, table) == NNOM_OK, "relu table");
        blobs[0] = (nnom_blob){table, 256};
    }
    int32_t id = add(g, NNOM_LAYER_RELU, 1, &in, p, blobs, NULL, NULL);
    g->layers[id].shape = shape_of(g, in);
    return id;
}

int32_t gb_add(gb *g, int32_t a, int32_t b)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    nnom_blob blobs[NNOM_MAX_BLOBS];
    memset(blobs, 0, sizeof blobs);
    if (g->dtype == NNOM_DTYPE_S8) {
        int32_t *c = (int32_t *)gb_store(24);
        TU_REQUIRE(nnom_quant_add_params(g->q, g->q, g->q, c) == NNOM_OK, "add params");
        blobs[0] = (nnom_blob){c, 24};
    }
    int32_t ins[2] = {a, b};
    int32_t id = add(g, NNOM_LAYER_ADD, 2, ins, p, blobs, NULL, NULL);
    g->layers[id].shape = shape_of(g, a);
    return id;
}

int32_t gb_concat(gb *g, int32_t n, const int32_t *ins, int32_t axis)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.axis = axis;
    nnom_blob blobs[NNOM_MAX_BLOBS];
    memset(blobs, 0, sizeof blobs);
    if (g->dtype == NNOM_DTYPE_S8) {
        int32_t *c = (int32_t *)gb_store((size_t)n * 8);
        for (int32_t i = 0; i < n; i++) TU_REQUIRE(nnom_quant_concat_params(g->q, g->q, &c[2 * i]) == NNOM_OK, "concat");
        blobs[0] = (nnom_blob){c, (uint32_t)(n * 8)};
    }
    int32_t id = add(g, NNOM_LAYER_CONCATENATE, n, ins, p, blobs, NULL, NULL);
    nnom_shape s = shape_of(g, ins[0]);
    int32_t ax = axis < 0 ? axis + s.rank : axis;
    for (int32_t i = 1; i < n; i++) s.dims[ax] += shape_of(g, ins[i]).dims[ax];
    g->layers[id].shape = s;
    return id;
}

int32_t gb_flatten(gb *g, int32_t in)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    nnom_shape is = shape_of(g, in);
    int32_t id = add(g, NNOM_LAYER_FLATTEN, 1, &in, p, NULL, NULL, NULL);
    set_shape(g, id, 1, count_of(&is), 0, 0);
    return id;
}

int32_t gb_output(gb *g, int32_t in)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    int32_t id = add(g, NNOM_LAYER_OUTPUT, 1, &in, p, NULL, NULL, NULL);
    g->layers[id].shape = shape_of(g, in);
    return id;
}

void gb_compile(gb *g)
{
    TU_OK(g->m, nnom_model_compile(g->m));
    for (int32_t i = 0; i < g->n; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(g->m, nnom_model_layer_info(g->m, i, &info));
        TU_CHECK(memcmp(&info.shape, &g->layers[i].shape, sizeof info.shape) == 0,
                 "layer %d (%s): runtime shape differs from the test's", (int)i, info.type_name);
    }
}

/* ---- the reference executor, double precision */

static double act(double v, int32_t a)
{
    if (a == NNOM_ACT_RELU || a == NNOM_ACT_RELU6) v = v < 0 ? 0 : v;
    if (a == NNOM_ACT_RELU6 && v > 6) v = 6;
    return v;
}

static int32_t pad_before(int32_t in, int32_t out, int32_t k, int32_t s, int32_t dil, int32_t padding)
{
    if (padding != NNOM_PADDING_SAME) return 0;
    int32_t total = (out - 1) * s + (k - 1) * dil + 1 - in;
    return total > 0 ? total / 2 : 0;
}

double **gb_reference(const gb *g, const float *input)
{
    double **out = (double **)calloc((size_t)g->n, sizeof *out);
    for (int32_t i = 0; i < g->n; i++) {
        const gb_layer *l = &g->layers[i];
        int32_t n = count_of(&l->shape);
        double *y = (double *)calloc((size_t)n, sizeof *y);
        out[i] = y;
        gdims od = dims_of(&l->shape);
        const double *x = l->n_inputs ? out[l->inputs[0]] : NULL;
        gdims id = l->n_inputs ? dims_of(&g->layers[l->inputs[0]].shape) : od;
        const nnom_layer_params *p = &l->p;
        switch (l->type) {
        case NNOM_LAYER_INPUT:
            for (int32_t k = 0; k < n; k++) y[k] = input[k];
            break;
        case NNOM_LAYER_OUTPUT:
        case NNOM_LAYER_FLATTEN:
            memcpy(y, x, (size_t)n * sizeof *y);
            break;
        case NNOM_LAYER_RELU:
            for (int32_t k = 0; k < n; k++) y[k] = x[k] < 0 ? 0 : x[k];
            break;
        case NNOM_LAYER_ADD:
            for (int32_t k = 0; k < n; k++) y[k] = x[k] + out[l->inputs[1]][k];
            break;
        case NNOM_LAYER_DENSE: {
            int32_t fan = count_of(&g->layers[l->inputs[0]].shape);
            for (int32_t o = 0; o < n; o++) {
                double acc = l->b[o];
                for (int32_t k = 0; k < fan; k++) acc += x[k] * l->w[o * fan + k];
                y[o] = act(acc, p->activation);
            }
            break;
        }
        case NNOM_LAYER_CONV1D:
        case NNOM_LAYER_CONV2D: {
            int32_t kh = p->kernel[0], kw = p->kernel[1];
            int32_t pt = pad_before(id.h, od.h, kh, p->stride[0], p->dilation[0], p->padding);
            int32_t pl = pad_before(id.w, od.w, kw, p->stride[1], p->dilation[1], p->padding);
            for (int32_t oy = 0; oy < od.h; oy++)
                for (int32_t ox = 0; ox < od.w; ox++)
                    for (int32_t oc = 0; oc < od.c; oc++) {
                        double acc = l->b[oc];
                        for (int32_t ky = 0; ky < kh; ky++)
                            for (int32_t kx = 0; kx < kw; kx++) {
                                int32_t iy = oy * p->stride[0] - pt + ky * p->dilation[0];
                                int32_t ix = ox * p->stride[1] - pl + kx * p->dilation[1];
                                if (iy < 0 || iy >= id.h || ix < 0 || ix >= id.w) continue;
                                for (int32_t ic = 0; ic < id.c; ic++)
                                    acc += x[(iy * id.w + ix) * id.c + ic] * l->w[((oc * kh + ky) * kw + kx) * id.c + ic];
                            }
                        y[(oy * od.w + ox) * od.c + oc] = act(acc, p->activation);
                    }
            break;
        }
        case NNOM_LAYER_DEPTHWISE_CONV2D: {
            int32_t kh = p->kernel[0], kw = p->kernel[1];
            int32_t pt = pad_before(id.h, od.h, kh, p->stride[0], 1, p->padding);
            int32_t pl = pad_before(id.w, od.w, kw, p->stride[1], 1, p->padding);
            for (int32_t oy = 0; oy < od.h; oy++)
                for (int32_t ox = 0; ox < od.w; ox++)
                    for (int32_t c = 0; c < od.c; c++) {
                        double acc = l->b[c];
                        for (int32_t ky = 0; ky < kh; ky++)
                            for (int32_t kx = 0; kx < kw; kx++) {
                                int32_t iy = oy * p->stride[0] - pt + ky, ix = ox * p->stride[1] - pl + kx;
                                if (iy < 0 || iy >= id.h || ix < 0 || ix >= id.w) continue;
                                acc += x[(iy * id.w + ix) * id.c + c] * l->w[(ky * kw + kx) * od.c + c];
                            }
                        y[(oy * od.w + ox) * od.c + c] = act(acc, p->activation);
                    }
            break;
        }
        case NNOM_LAYER_MAX_POOL1D:
        case NNOM_LAYER_MAX_POOL2D:
        case NNOM_LAYER_AVG_POOL1D:
        case NNOM_LAYER_AVG_POOL2D: {
            int is_max = l->type == NNOM_LAYER_MAX_POOL1D || l->type == NNOM_LAYER_MAX_POOL2D;
            int32_t kh = p->kernel[0], kw = p->kernel[1];
            int32_t pt = pad_before(id.h, od.h, kh, p->stride[0], 1, p->padding);
            int32_t pl = pad_before(id.w, od.w, kw, p->stride[1], 1, p->padding);
            for (int32_t oy = 0; oy < od.h; oy++)
                for (int32_t ox = 0; ox < od.w; ox++)
                    for (int32_t c = 0; c < od.c; c++) {
                        double best = -1e300, sum = 0;
                        int cnt = 0;
                        for (int32_t ky = 0; ky < kh; ky++)
                            for (int32_t kx = 0; kx < kw; kx++) {
                                int32_t iy = oy * p->stride[0] - pt + ky, ix = ox * p->stride[1] - pl + kx;
                                if (iy < 0 || iy >= id.h || ix < 0 || ix >= id.w) continue;
                                double v = x[(iy * id.w + ix) * id.c + c];
                                if (v > best) best = v;
                                sum += v;
                                cnt++;
                            }
                        y[(oy * od.w + ox) * od.c + c] = is_max ? best : sum / cnt;
                    }
            break;
        }
        case NNOM_LAYER_GLOBAL_AVG_POOL:
            for (int32_t c = 0; c < id.c; c++) {
                double sum = 0;
                for (int32_t k = 0; k < id.h * id.w; k++) sum += x[k * id.c + c];
                y[c] = sum / (id.h * id.w);
            }
            break;
        case NNOM_LAYER_CONCATENATE: {
            /* outer = product of dims before the axis; each input contributes a block of its inner size */
            int32_t rank = l->shape.rank, ax = p->axis < 0 ? p->axis + rank : p->axis;
            int32_t outer = 1;
            for (int32_t k = 0; k < ax; k++) outer *= l->shape.dims[k];
            int32_t pos = 0;
            for (int32_t o = 0; o < outer; o++)
                for (int32_t j = 0; j < l->n_inputs; j++) {
                    const nnom_shape *s = &g->layers[l->inputs[j]].shape;
                    int32_t inner = 1;
                    for (int32_t k = ax; k < rank; k++) inner *= s->dims[k];
                    memcpy(&y[pos], &out[l->inputs[j]][o * inner], (size_t)inner * sizeof *y);
                    pos += inner;
                }
            break;
        }
        default:
            TU_REQUIRE(0, "reference: layer type %d not implemented", (int)l->type);
        }
    }
    return out;
}

void gb_free_ref(const gb *g, double **ref)
{
    for (int32_t i = 0; i < g->n; i++) free(ref[i]);
    free(ref);
}

float *gb_random_f32(size_t n, float scale)
{
    float *w = (float *)gb_store(n * sizeof *w);
    tu_fill_f32(w, n, -scale, scale);
    return w;
}

int32_t gb_add_layer(nnom_model *m, nnom_layer_type type, int32_t in, nnom_layer_params p, const float *w,
                     size_t nw, const float *b, size_t nb)
{
    nnom_layer_desc d = NNOM_LAYER_DESC_INIT;
    d.type = type;
    d.n_inputs = 1;
    d.inputs[0] = in;
    d.params = p;
    d.blobs[0] = (nnom_blob){w, (uint32_t)(nw * sizeof(float))};
    d.blobs[1] = (nnom_blob){b, (uint32_t)(nb * sizeof(float))};
    int32_t id;
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    return id;
}
