/*
 * Pooling: max / average (2D windows, 1D as H = 1) and global max / average,
 * int8 and float32 kernels against naive references written here, in place
 * and out of place; then the layers through the public API.
 */
#include <math.h>
#include <string.h>

#include "kernels/pool.h"
#include "nnom/quantize.h"
#include "model_util.h"

/* ------------------------------------------------------------ geometry (Keras' rules, written out here) */

typedef struct {
    int32_t in_h, in_w, c, kh, kw, sh, sw, same;
    int32_t out_h, out_w, pad_top, pad_left;
} geom;

/* Returns 0 when VALID leaves no output. */
static int geom_axis(int32_t in, int32_t k, int32_t s, int same, int32_t *out, int32_t *before)
{
    if (same) {
        *out = (in + s - 1) / s;
        int32_t total = (*out - 1) * s + k - in;
        *before = total > 0 ? total / 2 : 0;
        return 1;
    }
    if (k > in) return 0;
    *out = (in - k) / s + 1;
    *before = 0;
    return 1;
}

static int geom_make(geom *g)
{
    return geom_axis(g->in_h, g->kh, g->sh, g->same, &g->out_h, &g->pad_top) &&
           geom_axis(g->in_w, g->kw, g->sw, g->same, &g->out_w, &g->pad_left);
}

static nnom_pool_args geom_args(const geom *g)
{
    nnom_pool_args a;
    memset(&a, 0, sizeof a);
    a.in_h = g->in_h; a.in_w = g->in_w; a.channels = g->c;
    a.out_h = g->out_h; a.out_w = g->out_w;
    a.kernel_h = g->kh; a.kernel_w = g->kw;
    a.stride_h = g->sh; a.stride_w = g->sw;
    a.pad_top = g->pad_top; a.pad_left = g->pad_left;
    return a;
}

/* Reference over the valid cells of each window, in double. mode 0: max, 1: mean. */
static double ref_window(const geom *g, const double *in, int32_t oh, int32_t ow, int32_t c, int mode)
{
    double best = -1e300, sum = 0;
    int32_t count = 0;
    for (int32_t i = 0; i < g->kh; i++)
        for (int32_t j = 0; j < g->kw; j++) {
            int32_t y = oh * g->sh - g->pad_top + i, x = ow * g->sw - g->pad_left + j;
            if (y < 0 || y >= g->in_h || x < 0 || x >= g->in_w) continue;
            double v = in[((size_t)y * g->in_w + x) * g->c + c];
            if (v > best) best = v;
            sum += v;
            count++;
        }
    if (count == 0) {
        fprintf(stderr, "test error: a window without valid cells\n");
        exit(1);
    }
    return mode == 0 ? best : sum / count;
}

static void random_geom(geom *g)
{
    do {
        int one_d = tu_rand_int(0, 3) == 0;
        g->in_h = one_d ? 1 : tu_rand_int(1, 9);
        g->in_w = tu_rand_int(1, 11);
        g->c = tu_rand_int(0, 2) == 0 ? tu_rand_int(16, 40) : tu_rand_int(1, 15);
        g->kh = one_d ? 1 : tu_rand_int(1, 4);
        g->kw = tu_rand_int(1, 4);
        g->sh = one_d ? 1 : tu_rand_int(1, 3);
        g->sw = tu_rand_int(1, 3);
        g->same = tu_rand_int(0, 1);
    } while (!geom_make(g));
}

/* ------------------------------------------------------------ window pools */

static int inplace_cases;

static void check_pool_s8(const geom *g, int mode)
{
    const nnom_pool_args a = geom_args(g);
    const size_t n_in = (size_t)g->in_h * g->in_w * g->c, n_out = (size_t)g->out_h * g->out_w * g->c;
    int8_t *buf = malloc(n_in + 4), *got = malloc(n_out + 1), *want = malloc(n_out);
    int8_t *work = malloc((n_in > n_out ? n_in : n_out) + 1);
    double *d = malloc(sizeof(double) * n_in);
    TU_REQUIRE(buf && got && want && work && d, "out of memory");
    int8_t *in = buf + tu_rand_int(0, 3); /* int8 tensors may sit at any address */
    tu_fill_s8(in, n_in, -128, 127);
    for (size_t i = 0; i < n_in; i++) d[i] = in[i];
    for (int32_t oh = 0; oh < g->out_h; oh++)
        for (int32_t ow = 0; ow < g->out_w; ow++)
            for (int32_t c = 0; c < g->c; c++) {
                double r = ref_window(g, d, oh, ow, c, mode);
                want[((size_t)oh * g->out_w + ow) * g->c + c] = (int8_t)(mode == 0 ? (int64_t)r : tu_round_away(r));
            }
    got[n_out] = 0x33;
    if (mode == 0) nnom_max_pool_s8(&a, in, got);
    else nnom_avg_pool_s8(&a, in, got);
    size_t bad = 0;
    for (size_t i = 0; i < n_out; i++) bad += got[i] != want[i];
    TU_CHECK(bad == 0, "%s pool s8 in %dx%dx%d k %dx%d s %dx%d %s: %lu of %lu differ", mode ? "avg" : "max",
             g->in_h, g->in_w, g->c, g->kh, g->kw, g->sh, g->sw, g->same ? "SAME" : "VALID",
             (unsigned long)bad, (unsigned long)n_out);
    TU_CHECK(got[n_out] == 0x33, "pool s8 wrote past its output");

    if (g->pad_top == 0 && g->pad_left == 0) {
        /* in place: the output overwrites the input buffer */
        memcpy(work, in, n_in);
        if (mode == 0) nnom_max_pool_s8(&a, work, work);
        else nnom_avg_pool_s8(&a, work, work);
        TU_CHECK(memcmp(work, want, n_out) == 0, "%s pool s8 in place differs: in %dx%dx%d k %dx%d s %dx%d %s",
                 mode ? "avg" : "max", g->in_h, g->in_w, g->c, g->kh, g->kw, g->sh, g->sw,
                 g->same ? "SAME" : "VALID");
        inplace_cases++;
    }
    free(buf); free(got); free(want); free(work); free(d);
}

static void check_pool_f32(const geom *g, int mode)
{
    const nnom_pool_args a = geom_args(g);
    const size_t n_in = (size_t)g->in_h * g->in_w * g->c, n_out = (size_t)g->out_h * g->out_w * g->c;
    float *in = malloc(sizeof(float) * n_in), *got = malloc(sizeof(float) * n_out);
    float *want = malloc(sizeof(float) * n_out), *work = malloc(sizeof(float) * (n_in > n_out ? n_in : n_out));
    double *d = malloc(sizeof(double) * n_in);
    TU_REQUIRE(in && got && want && work && d, "out of memory");
    tu_fill_f32(in, n_in, -5.0f, 5.0f);
    for (size_t i = 0; i < n_in; i++) d[i] = in[i];
    for (int32_t oh = 0; oh < g->out_h; oh++)
        for (int32_t ow = 0; ow < g->out_w; ow++)
            for (int32_t c = 0; c < g->c; c++)
                want[((size_t)oh * g->out_w + ow) * g->c + c] = (float)ref_window(g, d, oh, ow, c, mode);
    if (mode == 0) nnom_max_pool_f32(&a, in, got);
    else nnom_avg_pool_f32(&a, in, got);
    double tol = mode == 0 ? 0.0 : 1e-5;
    double diff = tu_max_abs_diff_f32(got, want, n_out);
    TU_CHECK(diff <= tol, "%s pool f32 in %dx%dx%d k %dx%d s %dx%d %s: max diff %g", mode ? "avg" : "max",
             g->in_h, g->in_w, g->c, g->kh, g->kw, g->sh, g->sw, g->same ? "SAME" : "VALID", diff);
    if (g->pad_top == 0 && g->pad_left == 0) {
        memcpy(work, in, sizeof(float) * n_in);
        if (mode == 0) nnom_max_pool_f32(&a, work, work);
        else nnom_avg_pool_f32(&a, work, work);
        TU_CHECK(memcmp(work, got, sizeof(float) * n_out) == 0, "%s pool f32 in place differs from out of place",
                 mode ? "avg" : "max");
    }
    free(in); free(got); free(want); free(work); free(d);
}

static void test_window_pools(void)
{
    int n = 0, same = 0, padded = 0;
    for (int t = 0; t < 1500; t++) {
        geom g;
        random_geom(&g);
        same += g.same;
        padded += g.pad_top > 0 || g.pad_left > 0;
        check_pool_s8(&g, t & 1);
        check_pool_f32(&g, t & 1);
        n++;
    }
    /* large windows: avg counts up to 64 cells, channels over several blocks */
    geom big = {9, 9, 37, 8, 8, 1, 1, 1, 0, 0, 0, 0};
    TU_REQUIRE(geom_make(&big), "geometry");
    check_pool_s8(&big, 0);
    check_pool_s8(&big, 1);
    check_pool_f32(&big, 1);
    printf("window pools: %d random cases (%d SAME, %d with top/left padding), %d in place (s8)\n", n, same,
           padded, inplace_cases);
    TU_CHECK(padded > 100 && inplace_cases > 300, "random shapes miss a family: %d padded, %d in place", padded,
             inplace_cases);
}

/* Averages that land exactly on .5 in both signs: rounding must go away from zero. */
static void test_avg_rounding(void)
{
    geom g = {1, 2, 4, 1, 2, 1, 2, 0, 0, 0, 0, 0};
    TU_REQUIRE(geom_make(&g), "geometry");
    const nnom_pool_args a = geom_args(&g);
    /* pixel 0 then pixel 1, channels: (1+2)/2=1.5, (-1-2)/2=-1.5, (-128-127)/2=-0.5, (127+126)/2=126.5 */
    const int8_t in[8] = {1, -1, -128, 127, 2, -2, 127, 126};
    int8_t out[4];
    nnom_avg_pool_s8(&a, in, out);
    TU_CHECK(out[0] == 2 && out[1] == -2 && out[2] == -1 && out[3] == 127,
             "ties: got %d %d %d %d, want 2 -2 -1 127", out[0], out[1], out[2], out[3]);
}

/* ------------------------------------------------------------ global pools */

static void test_global_pools(void)
{
    int n = 0;
    for (int t = 0; t < 300; t++) {
        int32_t h = tu_rand_int(1, 9), w = tu_rand_int(1, 12), c = tu_rand_int(1, 45);
        const size_t n_in = (size_t)h * w * c;
        nnom_pool_args a;
        memset(&a, 0, sizeof a);
        a.in_h = h; a.in_w = w; a.channels = c;
        int8_t *in = malloc(n_in + 1), *got_max = malloc((size_t)c + 1), *got_avg = malloc((size_t)c + 1);
        float *fin = malloc(sizeof(float) * n_in), *fmax = malloc(sizeof(float) * (size_t)c);
        float *favg = malloc(sizeof(float) * (size_t)c);
        TU_REQUIRE(in && got_max && got_avg && fin && fmax && favg, "out of memory");
        int8_t *x = in + (t & 1);
        tu_fill_s8(x, n_in, -128, 127);
        tu_fill_f32(fin, n_in, -5.0f, 5.0f);
        nnom_global_max_pool_s8(&a, x, got_max);
        nnom_global_avg_pool_s8(&a, x, got_avg);
        nnom_global_max_pool_f32(&a, fin, fmax);
        nnom_global_avg_pool_f32(&a, fin, favg);
        int bad = 0;
        double fdiff = 0;
        for (int32_t ch = 0; ch < c; ch++) {
            int32_t m = -129;
            double s = 0, fm = -1e300, fs = 0;
            for (size_t p = 0; p < (size_t)h * w; p++) {
                int32_t v = x[p * c + ch];
                if (v > m) m = v;
                s += v;
                if (fin[p * c + ch] > fm) fm = fin[p * c + ch];
                fs += fin[p * c + ch];
            }
            bad += got_max[ch] != m;
            bad += got_avg[ch] != tu_round_away(s / (h * w));
            if (fabs(fmax[ch] - fm) > fdiff) fdiff = fabs(fmax[ch] - fm);
            if (fabs(favg[ch] - fs / (h * w)) > fdiff) fdiff = fabs(favg[ch] - fs / (h * w));
        }
        TU_CHECK(bad == 0, "global pools s8 %dx%dx%d: %d differ", h, w, c, bad);
        TU_CHECK(fdiff <= 1e-5, "global pools f32 %dx%dx%d: max diff %g", h, w, c, fdiff);
        free(in); free(got_max); free(got_avg); free(fin); free(fmax); free(favg);
        n++;
    }
    printf("global pools: %d random cases\n", n);
}

/* ------------------------------------------------------------ the requantising form of int8 averages */

/* Round half away from zero of num / den, den > 0, in integers. */
static int64_t div_away(int64_t num, int64_t den)
{
    return num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
}

/* The integer rule of kernels/pool.h written out again: a window of n cells summing to raw S. The
 * requantisation is TFLite's, spelt out with 64-bit integers: an exact product rounded half away from
 * zero at 2^31, then (shift < 0) a rounding division by 2^-shift, half away from zero. */
static int32_t rule_s8(int64_t S, int64_t n, const nnom_pool_args *a)
{
    const int64_t A = S - n * a->in_zp;
    int64_t V;
    if (a->shift > 0) {
        V = div_away(A * ((int64_t)1 << a->shift) * a->multiplier, (int64_t)1 << 31);
    } else {
        V = div_away(A * a->multiplier, (int64_t)1 << 31);
        V = div_away(V, (int64_t)1 << -a->shift);
    }
    const int64_t y = div_away(V, n) + a->out_zp;
    return (int32_t)(y < -128 ? -128 : (y > 127 ? 127 : y));
}

/* The real mean, in output steps and saturated as int8 can hold it. */
static double real_s8(double mean_raw, const nnom_quant in, const nnom_quant out)
{
    const double y = (mean_raw - in.zero_point) * (double)in.scale / (double)out.scale + out.zero_point;
    return y < -128.0 ? -128.0 : (y > 127.0 ? 127.0 : y);
}

static int rq_cases, rq_in_place, rq_saturated;

/* Sets the requantising form on @p a for in -> out quantisations and windows of up to @p cells cells;
 * 0 when nnom_quant_avg_pool_params() refuses them. */
static int set_form(nnom_pool_args *a, nnom_quant in, nnom_quant out, int32_t cells)
{
    int32_t p[2];
    if (nnom_quant_avg_pool_params(in, out, cells, p) != NNOM_OK) return 0;
    a->rescale = 1;
    a->multiplier = p[0];
    a->shift = p[1];
    a->in_zp = in.zero_point;
    a->out_zp = out.zero_point;
    return 1;
}

/* A random quantisation pair: the output scale from 1/40 to 1.5 times the input's (the far end, a
 * scale 2^-16 times finer, is forced now and then), any zero points. */
static void random_quants(nnom_quant *in, nnom_quant *out, int extreme)
{
    in->scale = tu_rand_float(0.001f, 0.5f);
    in->zero_point = tu_rand_int(-128, 127);
    out->scale = in->scale * (extreme ? ldexpf(1.0f, -16) * tu_rand_float(1.0f, 1.9f) : tu_rand_float(0.025f, 1.5f));
    out->zero_point = tu_rand_int(-128, 127);
}

/* One window pool in the requantising form against the rule and the real mean; values from [lo, hi]. */
static void check_requant_window(const geom *g, nnom_quant in_q, nnom_quant out_q, int32_t lo, int32_t hi)
{
    nnom_pool_args a = geom_args(g);
    const int32_t cells = (g->kh < g->in_h ? g->kh : g->in_h) * (g->kw < g->in_w ? g->kw : g->in_w);
    if (!set_form(&a, in_q, out_q, cells)) return;
    const size_t n_in = (size_t)g->in_h * g->in_w * g->c, n_out = (size_t)g->out_h * g->out_w * g->c;
    int8_t *in = malloc(n_in + 16), *got = malloc(n_out + 1), *work = malloc((n_in > n_out ? n_in : n_out) + 1);
    int32_t *want = malloc(sizeof(int32_t) * n_out);
    double *d = malloc(sizeof(double) * n_in);
    TU_REQUIRE(in && got && work && want && d, "out of memory");
    tu_fill_s8(in, n_in, lo, hi);
    for (size_t i = 0; i < n_in; i++) d[i] = in[i];
    size_t bad = 0, far = 0;
    for (int32_t oh = 0; oh < g->out_h; oh++)
        for (int32_t ow = 0; ow < g->out_w; ow++)
            for (int32_t c = 0; c < g->c; c++) {
                /* the window's raw sum and count, from the double mean and the count of valid cells */
                int64_t n = 0;
                for (int32_t i = 0; i < g->kh; i++)
                    for (int32_t j = 0; j < g->kw; j++) {
                        const int32_t y = oh * g->sh - g->pad_top + i, x = ow * g->sw - g->pad_left + j;
                        n += y >= 0 && y < g->in_h && x >= 0 && x < g->in_w;
                    }
                const double mean = ref_window(g, d, oh, ow, c, 1);
                want[((size_t)oh * g->out_w + ow) * g->c + c] = rule_s8((int64_t)llround(mean * (double)n), n, &a);
            }
    got[n_out] = 0x33;
    nnom_avg_pool_s8(&a, in, got);
    for (int32_t oh = 0; oh < g->out_h; oh++)
        for (int32_t ow = 0; ow < g->out_w; ow++)
            for (int32_t c = 0; c < g->c; c++) {
                const size_t k = ((size_t)oh * g->out_w + ow) * g->c + c;
                bad += got[k] != want[k];
                const double r = real_s8(ref_window(g, d, oh, ow, c, 1), in_q, out_q);
                far += fabs(got[k] - r) > 1.0;
                rq_saturated += r <= -128.0 || r >= 127.0;
            }
    TU_CHECK(bad == 0, "requantising avg pool in %dx%dx%d k %dx%d s %dx%d %s, m %d s %d: %lu of %lu differ from the "
             "rule", g->in_h, g->in_w, g->c, g->kh, g->kw, g->sh, g->sw, g->same ? "SAME" : "VALID", (int)a.multiplier,
             (int)a.shift, (unsigned long)bad, (unsigned long)n_out);
    TU_CHECK(far == 0, "requantising avg pool (m %d, shift %d): %lu outputs more than one step from the real mean",
             (int)a.multiplier, (int)a.shift, (unsigned long)far);
    TU_CHECK(got[n_out] == 0x33, "requantising avg pool wrote past its output");
    if (g->pad_top == 0 && g->pad_left == 0) {
        memcpy(work, in, n_in);
        nnom_avg_pool_s8(&a, work, work);
        bad = 0;
        for (size_t k = 0; k < n_out; k++) bad += work[k] != got[k];
        TU_CHECK(bad == 0, "requantising avg pool in place: %lu differ", (unsigned long)bad);
        rq_in_place++;
    }
    rq_cases++;
    free(in); free(got); free(work); free(want); free(d);
}

static void check_requant_global(int32_t h, int32_t w, int32_t c, nnom_quant in_q, nnom_quant out_q, int32_t lo,
                                 int32_t hi)
{
    nnom_pool_args a;
    memset(&a, 0, sizeof a);
    a.in_h = h; a.in_w = w; a.channels = c;
    if (!set_form(&a, in_q, out_q, h * w)) return;
    const size_t n_in = (size_t)h * w * c;
    int8_t *in = malloc(n_in + 1), *got = malloc((size_t)c + 1);
    TU_REQUIRE(in && got, "out of memory");
    tu_fill_s8(in, n_in, lo, hi);
    size_t bad = 0, far = 0;
    got[c] = 0x33;
    nnom_global_avg_pool_s8(&a, in, got);
    for (int32_t ch = 0; ch < c; ch++) {
        double sum = 0;
        for (size_t p = 0; p < (size_t)h * w; p++) sum += in[p * c + ch];
        const double mean = sum / (h * w);
        bad += got[ch] != rule_s8((int64_t)llround(mean * h * w), (int64_t)h * w, &a);
        const double r = real_s8(mean, in_q, out_q);
        far += fabs(got[ch] - r) > 1.0;
        rq_saturated += r <= -128.0 || r >= 127.0;
    }
    TU_CHECK(bad == 0, "requantising global avg pool %dx%dx%d (m %d, shift %d): %lu of %d differ from the rule", h, w, c,
             (int)a.multiplier, (int)a.shift, (unsigned long)bad, c);
    TU_CHECK(far == 0, "requantising global avg pool %dx%dx%d: %lu outputs more than one step from the real mean", h, w,
             c, (unsigned long)far);
    TU_CHECK(got[c] == 0x33, "requantising global avg pool wrote past its output");
    rq_cases++;
    free(in); free(got);
}

static void test_requant_pools(void)
{
    for (int t = 0; t < 1500; t++) {
        geom g;
        random_geom(&g);
        nnom_quant in_q, out_q;
        random_quants(&in_q, &out_q, t % 50 == 0);
        /* full range, or a narrow band (the case a finer output scale is for) */
        const int32_t mid = tu_rand_int(-100, 100);
        if (t & 1) check_requant_window(&g, in_q, out_q, -128, 127);
        else check_requant_window(&g, in_q, out_q, mid - 20, mid + 20);
        check_requant_global(tu_rand_int(1, 9), tu_rand_int(1, 12), tu_rand_int(1, 45), in_q, out_q,
                             (t & 1) ? -128 : mid - 20, (t & 1) ? 127 : mid + 20);
    }
    /* the extremes: sums of 255 per cell at the largest shift the bound allows for 8x8 windows,
     * 17: 255 x 64 x 2^17 = 2^31 - 2^23 exactly */
    geom big = {9, 9, 37, 8, 8, 1, 1, 1, 0, 0, 0, 0};
    TU_REQUIRE(geom_make(&big), "geometry");
    for (int zp = 0; zp < 2; zp++) {
        nnom_quant in_q = {0.5f, zp ? 127 : -128}, out_q = {0.5f * ldexpf(1.0f, -17) * 1.01f, zp ? -128 : 127};
        int32_t p[2];
        TU_CHECK(nnom_quant_avg_pool_params(in_q, out_q, 64, p) == NNOM_OK && p[1] == 17, "shift %d", (int)p[1]);
        check_requant_window(&big, in_q, out_q, zp ? -128 : 127, zp ? -128 : 127);
        check_requant_global(8, 8, 20, in_q, out_q, zp ? -128 : 127, zp ? -128 : 127);
        out_q.scale *= 0.5f; /* one bit more is refused */
        TU_CHECK(nnom_quant_avg_pool_params(in_q, out_q, 64, p) == NNOM_ERR_UNSUPPORTED,
                 "a shift beyond the bound was accepted");
        TU_CHECK(nnom_quant_avg_pool_params(in_q, out_q, 1, p) == NNOM_OK && p[1] == 18, "one cell: shift %d", (int)p[1]);
    }
    /* ties of the final division go away from zero: output scale = input scale, zero points 0,
     * windows of 2 summing to odd values */
    {
        geom g = {1, 2, 4, 1, 2, 1, 2, 0, 0, 0, 0, 0};
        TU_REQUIRE(geom_make(&g), "geometry");
        nnom_pool_args a = geom_args(&g);
        TU_REQUIRE(set_form(&a, (nnom_quant){0.1f, 0}, (nnom_quant){0.1f, 0}, 2), "form");
        const int8_t in[8] = {1, -1, -128, 127, 2, -2, 127, 126};
        int8_t out[4];
        nnom_avg_pool_s8(&a, in, out);
        TU_CHECK(out[0] == 2 && out[1] == -2 && out[2] == -1 && out[3] == 127,
                 "requantised ties: got %d %d %d %d, want 2 -2 -1 127", out[0], out[1], out[2], out[3]);
    }
    printf("requantising averages: %d cases (%d in place, %d saturated outputs)\n", rq_cases, rq_in_place, rq_saturated);
    TU_CHECK(rq_cases > 2500 && rq_in_place > 300 && rq_saturated > 0, "requantising cases miss a family");
}

/* ------------------------------------------------------------ through the public API */

typedef struct {
    nnom_layer_type type;
    int32_t kh, kw, sh, sw, same;
} pool_spec;

/* Input (h, w, c) (rank 2 when h == 0) -> identity padding -> pool (layer 2, with the blobs @p blobs
 * when not NULL) -> Output, compiled; returns the compile status. */
static nnom_status build_pool_model_blobs(nnom_dtype dtype, int32_t h, int32_t w, int32_t c, pool_spec ps,
                                          nnom_quant in_q, nnom_quant out_q, const nnom_blob *blobs,
                                          nnom_model **out_model)
{
    nnom_model *m = tu_model_new(dtype, NULL);
    nnom_shape shape = h ? (nnom_shape){3, {h, w, c}} : (nnom_shape){2, {w, c, 0}};
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "x", shape, in_q, &id));
    nnom_layer_desc d;
    /* an identity zero padding first: the planner never overwrites a model input, but may
     * let the pool overwrite this copy */
    d = tu_desc1(h ? NNOM_LAYER_ZERO_PADDING2D : NNOM_LAYER_ZERO_PADDING1D, "copy", id);
    d.quant = in_q;
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    d = tu_desc1(ps.type, "pool", id);
    d.params.kernel[0] = ps.kh;
    d.params.kernel[1] = ps.kw;
    d.params.stride[0] = ps.sh;
    d.params.stride[1] = ps.sw;
    d.params.padding = ps.same ? NNOM_PADDING_SAME : NNOM_PADDING_VALID;
    d.quant = out_q;
    if (blobs) memcpy(d.blobs, blobs, sizeof d.blobs);
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    tu_add_output(m, id, "y");
    *out_model = m;
    return nnom_model_compile(m);
}

static nnom_status build_pool_model(nnom_dtype dtype, int32_t h, int32_t w, int32_t c, pool_spec ps, nnom_quant in_q,
                                    nnom_quant out_q, nnom_model **out_model)
{
    return build_pool_model_blobs(dtype, h, w, c, ps, in_q, out_q, NULL, out_model);
}

/* Runs window and global pools through a model, int8 and float32, against the references. */
static void test_graph_pools(void)
{
    const nnom_quant q = {0.02f, -5};
    int checked = 0, in_place = 0;
    for (int t = 0; t < 120; t++) {
        geom g;
        random_geom(&g);
        const int avg = t & 1, global = (t % 5) == 4, f32 = (t % 3) == 2;
        pool_spec ps = {NNOM_LAYER_MAX_POOL2D, g.kh, g.kw, g.sh, g.sw, g.same};
        if (global) ps.type = avg ? NNOM_LAYER_GLOBAL_AVG_POOL : NNOM_LAYER_GLOBAL_MAX_POOL;
        else if (g.in_h == 1 && g.kh == 1 && g.sh == 1) ps.type = avg ? NNOM_LAYER_AVG_POOL1D : NNOM_LAYER_MAX_POOL1D;
        else ps.type = avg ? NNOM_LAYER_AVG_POOL2D : NNOM_LAYER_MAX_POOL2D;
        const int rank2 = ps.type == NNOM_LAYER_AVG_POOL1D || ps.type == NNOM_LAYER_MAX_POOL1D || (global && g.in_h == 1);
        nnom_model *m;
        nnom_status st = build_pool_model(f32 ? NNOM_DTYPE_F32 : NNOM_DTYPE_S8, rank2 ? 0 : g.in_h, g.in_w, g.c, ps, q, q, &m);
        TU_REQUIRE(st == NNOM_OK, "compile %s: %s", nnom_layer_type_name(ps.type), nnom_model_last_error(m));
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, 2, &info));
        const int32_t out_elems = global ? g.c : g.out_h * g.out_w * g.c;
        TU_CHECK(info.shape.rank == (global ? 1 : rank2 ? 2 : 3), "%s output rank %d", nnom_layer_type_name(ps.type),
                 info.shape.rank);
        TU_CHECK(info.macs == 0, "pool macs %lu", (unsigned long)info.macs);
        const int can_in_place = !global && g.pad_top == 0 && g.pad_left == 0;
        /* the input dies at the pool, so the planner reuses it exactly when inplace_ok allows */
        TU_CHECK(info.in_place == can_in_place, "%s: in place %d, expected %d (pad top %d, left %d)",
                 nnom_layer_type_name(ps.type), info.in_place, can_in_place, g.pad_top, g.pad_left);
        in_place += info.in_place;
        TU_OK(m, nnom_model_alloc_arena(m));
        const size_t n_in = (size_t)g.in_h * g.in_w * g.c;
        double *d = malloc(sizeof(double) * n_in), *want = malloc(sizeof(double) * (size_t)out_elems);
        TU_REQUIRE(d && want, "out of memory");
        if (f32) {
            float *x = malloc(sizeof(float) * n_in);
            TU_REQUIRE(x, "out of memory");
            tu_fill_f32(x, n_in, -3.0f, 3.0f);
            for (size_t i = 0; i < n_in; i++) d[i] = x[i];
            TU_OK(m, nnom_model_set_input_f32(m, 0, x, n_in));
            free(x);
        } else {
            int8_t *x = malloc(n_in);
            TU_REQUIRE(x, "out of memory");
            tu_fill_s8(x, n_in, -128, 127);
            for (size_t i = 0; i < n_in; i++) d[i] = x[i];
            TU_OK(m, nnom_model_set_input_s8(m, 0, x, n_in));
            free(x);
        }
        if (global) {
            geom whole = {g.in_h, g.in_w, g.c, g.in_h, g.in_w, 1, 1, 0, 0, 0, 0, 0};
            TU_REQUIRE(geom_make(&whole), "geometry");
            for (int32_t c = 0; c < g.c; c++) want[c] = ref_window(&whole, d, 0, 0, c, avg);
        } else {
            for (int32_t oh = 0; oh < g.out_h; oh++)
                for (int32_t ow = 0; ow < g.out_w; ow++)
                    for (int32_t c = 0; c < g.c; c++)
                        want[((size_t)oh * g.out_w + ow) * g.c + c] = ref_window(&g, d, oh, ow, c, avg);
        }
        TU_OK(m, nnom_model_run(m));
        size_t bad = 0;
        if (f32) {
            const float *y = nnom_model_output_data(m, 0);
            for (int32_t i = 0; i < out_elems; i++) bad += fabs(y[i] - want[i]) > 1e-5;
        } else {
            const int8_t *y = nnom_model_output_data(m, 0);
            for (int32_t i = 0; i < out_elems; i++) bad += y[i] != (avg ? tu_round_away(want[i]) : (int64_t)want[i]);
        }
        TU_CHECK(bad == 0, "graph %s (%s) %dx%dx%d k %dx%d s %dx%d %s: %lu of %d differ", nnom_layer_type_name(ps.type),
                 f32 ? "f32" : "s8", g.in_h, g.in_w, g.c, g.kh, g.kw, g.sh, g.sw, g.same ? "SAME" : "VALID",
                 (unsigned long)bad, out_elems);
        free(d);
        free(want);
        nnom_model_destroy(m);
        checked++;
    }
    printf("graph pools: %d models, %d pooled in place\n", checked, in_place);
    TU_CHECK(in_place > 10, "the planner never ran a pool in place (%d)", in_place);
}

static void expect_error_blobs(nnom_dtype dtype, int32_t h, int32_t w, int32_t c, pool_spec ps, nnom_quant in_q,
                               nnom_quant out_q, const nnom_blob *blobs, nnom_status want, const char *subject)
{
    nnom_model *m;
    nnom_status st = build_pool_model_blobs(dtype, h, w, c, ps, in_q, out_q, blobs, &m);
    const char *msg = nnom_model_last_error(m);
    TU_CHECK(st == want, "%s: got %s (%s), expected %s", subject, nnom_status_name(st), msg, nnom_status_name(want));
    TU_CHECK(strstr(msg, "'pool'") && strstr(msg, nnom_layer_type_name(ps.type)) && strstr(msg, subject),
             "message should name the layer, its type and '%s': %s", subject, msg);
    nnom_model_destroy(m);
}

static void expect_error(nnom_dtype dtype, int32_t h, int32_t w, int32_t c, pool_spec ps, nnom_quant in_q,
                         nnom_quant out_q, nnom_status want, const char *subject)
{
    expect_error_blobs(dtype, h, w, c, ps, in_q, out_q, NULL, want, subject);
}

/* Average pools in the requantising form through models: the bytes of the kernel rule (the kernel
 * test checks the rule), in place where the planner allows it, and every mistake infer catches. */
static void test_graph_requant(void)
{
    const nnom_quant in_q = {0.05f, -20}, out_q = {0.011f, 7};
    int32_t rq[2];
    TU_REQUIRE(nnom_quant_avg_pool_params(in_q, out_q, 9, rq) == NNOM_OK, "params");
    nnom_blob blobs[NNOM_MAX_BLOBS];
    memset(blobs, 0, sizeof blobs);
    blobs[0] = (nnom_blob){rq, 8u};
    const pool_spec specs[4] = {
        {NNOM_LAYER_AVG_POOL2D, 3, 3, 1, 1, 0},  /* in place */
        {NNOM_LAYER_AVG_POOL2D, 3, 3, 2, 2, 1},  /* SAME: counts of 4, 6 and 9 */
        {NNOM_LAYER_AVG_POOL1D, 1, 3, 1, 2, 1},
        {NNOM_LAYER_GLOBAL_AVG_POOL, 0, 0, 0, 0, 0},
    };
    for (int k = 0; k < 4; k++) {
        const int one_d = specs[k].type == NNOM_LAYER_AVG_POOL1D, global = specs[k].type == NNOM_LAYER_GLOBAL_AVG_POOL;
        geom g = {one_d ? 1 : 6, global ? 3 : 7, 19, specs[k].kh, specs[k].kw, specs[k].sh, specs[k].sw, specs[k].same,
                  0, 0, 0, 0};
        if (global) g = (geom){3, 3, 19, 3, 3, 1, 1, 0, 0, 0, 0, 0}; /* one 3x3 window: 9 cells */
        TU_REQUIRE(geom_make(&g), "geometry");
        nnom_model *m;
        nnom_status st = build_pool_model_blobs(NNOM_DTYPE_S8, one_d ? 0 : g.in_h, g.in_w, g.c, specs[k], in_q, out_q,
                                                blobs, &m);
        TU_REQUIRE(st == NNOM_OK, "compile %s with blobs: %s", nnom_layer_type_name(specs[k].type),
                   nnom_model_last_error(m));
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, 2, &info));
        TU_CHECK(info.in_place == (k == 0), "%s: in place %d", nnom_layer_type_name(specs[k].type), info.in_place);
        TU_OK(m, nnom_model_alloc_arena(m));
        const size_t n_in = (size_t)g.in_h * g.in_w * g.c;
        int8_t *x = malloc(n_in);
        double *d = malloc(sizeof(double) * n_in);
        TU_REQUIRE(x && d, "out of memory");
        tu_fill_s8(x, n_in, -60, 40);
        for (size_t i = 0; i < n_in; i++) d[i] = x[i];
        TU_OK(m, nnom_model_set_input_s8(m, 0, x, n_in));
        TU_OK(m, nnom_model_run(m));
        const int8_t *y = nnom_model_output_data(m, 0);
        nnom_pool_args a = geom_args(&g);
        a.rescale = 1;
        a.multiplier = rq[0];
        a.shift = rq[1];
        a.in_zp = in_q.zero_point;
        a.out_zp = out_q.zero_point;
        size_t bad = 0, far = 0;
        for (int32_t oh = 0; oh < g.out_h; oh++)
            for (int32_t ow = 0; ow < g.out_w; ow++)
                for (int32_t c = 0; c < g.c; c++) {
                    int64_t n = 0;
                    for (int32_t i = 0; i < g.kh; i++)
                        for (int32_t j = 0; j < g.kw; j++) {
                            const int32_t yy = oh * g.sh - g.pad_top + i, xx = ow * g.sw - g.pad_left + j;
                            n += yy >= 0 && yy < g.in_h && xx >= 0 && xx < g.in_w;
                        }
                    const double mean = ref_window(&g, d, oh, ow, c, 1);
                    const int8_t got = y[((size_t)oh * g.out_w + ow) * g.c + c];
                    bad += got != rule_s8((int64_t)llround(mean * (double)n), n, &a);
                    far += fabs(got - real_s8(mean, in_q, out_q)) > 1.0;
                }
        TU_CHECK(bad == 0 && far == 0, "graph %s requantising: %lu differ from the rule, %lu beyond one step",
                 nnom_layer_type_name(specs[k].type), (unsigned long)bad, (unsigned long)far);
        free(x);
        free(d);
        nnom_model_destroy(m);
    }

    /* what infer refuses, each with a message naming the layer, its type and the fault */
    const pool_spec avg2 = {NNOM_LAYER_AVG_POOL2D, 2, 2, 2, 2, 1};
    const pool_spec gavg = {NNOM_LAYER_GLOBAL_AVG_POOL, 0, 0, 0, 0, 0};
    int32_t bad_rq[3] = {rq[0], rq[1], 0};
    nnom_blob b[NNOM_MAX_BLOBS];
    memset(b, 0, sizeof b);
    b[0] = (nnom_blob){bad_rq, 4u};
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, avg2, in_q, out_q, b, NNOM_ERR_SHAPE, "is 4 bytes, expected 8");
    b[0] = (nnom_blob){bad_rq, 12u};
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, gavg, in_q, out_q, b, NNOM_ERR_SHAPE, "is 12 bytes, expected 8");
    b[0] = (nnom_blob){NULL, 0u};
    b[1] = (nnom_blob){rq, 8u};
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, gavg, in_q, out_q, b, NNOM_ERR_SHAPE, "expected 8"); /* blob 0 missing */
    b[0] = (nnom_blob){rq, 8u};
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, avg2, in_q, out_q, b, NNOM_ERR_SHAPE, "blob 1 holds 8 bytes");
    b[1] = (nnom_blob){NULL, 0u};
    bad_rq[0] = -5;
    b[0] = (nnom_blob){bad_rq, 8u};
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, avg2, in_q, out_q, b, NNOM_ERR_ARGUMENT, "multiplier -5");
    bad_rq[0] = rq[0];
    bad_rq[1] = 31;
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, gavg, in_q, out_q, b, NNOM_ERR_ARGUMENT, "shift 31");
    bad_rq[1] = -32;
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, avg2, in_q, out_q, b, NNOM_ERR_ARGUMENT, "shift -32");
    /* 255 x 36 x 2^18 > 2^31 - 2^23: the sum of a 6x6 mean could overflow at that shift; 2^17 fits */
    bad_rq[1] = 18;
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, gavg, in_q, out_q, b, NNOM_ERR_UNSUPPORTED, "36 cells");
    bad_rq[1] = 17;
    nnom_model *m;
    TU_CHECK(build_pool_model_blobs(NNOM_DTYPE_S8, 6, 6, 3, gavg, in_q, out_q, b, &m) == NNOM_OK, "shift 17 for 36 "
             "cells: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);
    /* a 2x2 window has 4 cells: 255 x 4 x 2^21 = 2^31 - 2^23 fits exactly, shift 22 is refused */
    bad_rq[1] = 21;
    TU_CHECK(build_pool_model_blobs(NNOM_DTYPE_S8, 6, 6, 3, avg2, in_q, out_q, b, &m) == NNOM_OK, "shift 21 for 4 "
             "cells: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);
    bad_rq[1] = 22;
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, avg2, in_q, out_q, b, NNOM_ERR_UNSUPPORTED, "4 cells");
    /* float32 average pools take no blobs; max pools never */
    bad_rq[1] = rq[1];
    expect_error_blobs(NNOM_DTYPE_F32, 6, 6, 3, gavg, in_q, out_q, b, NNOM_ERR_SHAPE, "takes no constant data");
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, (pool_spec){NNOM_LAYER_MAX_POOL2D, 2, 2, 2, 2, 0}, in_q, in_q, b,
                       NNOM_ERR_SHAPE, "takes no constant data");
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, (pool_spec){NNOM_LAYER_GLOBAL_MAX_POOL, 0, 0, 0, 0, 0}, in_q, in_q, b,
                       NNOM_ERR_SHAPE, "takes no constant data");
    /* without blobs, the plain form's rule still holds */
    expect_error_blobs(NNOM_DTYPE_S8, 6, 6, 3, gavg, in_q, out_q, NULL, NNOM_ERR_ARGUMENT, "quantisation");
}

static void test_graph_errors(void)
{
    const nnom_quant q = {0.02f, -5}, other_scale = {0.04f, -5}, other_zp = {0.02f, 3};
    const pool_spec max2 = {NNOM_LAYER_MAX_POOL2D, 2, 2, 2, 2, 0};
    const pool_spec avg2 = {NNOM_LAYER_AVG_POOL2D, 2, 2, 2, 2, 1};
    const pool_spec gavg = {NNOM_LAYER_GLOBAL_AVG_POOL, 0, 0, 0, 0, 0};
    expect_error(NNOM_DTYPE_S8, 6, 6, 3, max2, q, other_scale, NNOM_ERR_ARGUMENT, "quantisation");
    expect_error(NNOM_DTYPE_S8, 6, 6, 3, avg2, q, other_zp, NNOM_ERR_ARGUMENT, "quantisation");
    expect_error(NNOM_DTYPE_S8, 6, 6, 3, gavg, q, other_zp, NNOM_ERR_ARGUMENT, "quantisation");
    const pool_spec too_big = {NNOM_LAYER_MAX_POOL2D, 7, 2, 1, 1, 0};
    expect_error(NNOM_DTYPE_S8, 6, 6, 3, too_big, q, q, NNOM_ERR_SHAPE, "7x2");
    const pool_spec bad_1d = {NNOM_LAYER_MAX_POOL1D, 2, 2, 1, 1, 0};
    expect_error(NNOM_DTYPE_S8, 0, 6, 3, bad_1d, q, q, NNOM_ERR_SHAPE, "kernel[0]");
    expect_error(NNOM_DTYPE_F32, 6, 6, 3, (pool_spec){NNOM_LAYER_MAX_POOL1D, 1, 2, 1, 1, 0}, q, q, NNOM_ERR_SHAPE, "rank 2");
    expect_error(NNOM_DTYPE_F32, 0, 6, 3, (pool_spec){NNOM_LAYER_AVG_POOL2D, 1, 2, 1, 1, 0}, q, q, NNOM_ERR_SHAPE, "rank 3");
    expect_error(NNOM_DTYPE_F32, 6, 6, 3, (pool_spec){NNOM_LAYER_AVG_POOL2D, 0, 2, 1, 1, 0}, q, q, NNOM_ERR_SHAPE, "pool size");
    expect_error(NNOM_DTYPE_F32, 6, 6, 3, (pool_spec){NNOM_LAYER_MAX_POOL2D, 2, 2, -1, 1, 0}, q, q, NNOM_ERR_SHAPE, "stride");
    /* a float model ignores quantisation */
    nnom_model *m;
    nnom_status st = build_pool_model(NNOM_DTYPE_F32, 6, 6, 3, max2, q, other_scale, &m);
    TU_CHECK(st == NNOM_OK, "float pool with different quant: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);
}

/*
 * SAME padding with a stride far larger than the input, up to INT32_MAX (found by the fuzz target
 * fuzz_model: ceil(in / stride) overflowed int32 in the shape inference). Along that axis the
 * output has one position, the window at the start; the other axis is ordinary. Checked against
 * windows computed here.
 */
static void test_graph_huge_stride(void)
{
    enum { H = 7, W = 7, C = 3, K = 3, SH = 2, OUT_H = (H + SH - 1) / SH };
    const int32_t strides[] = {INT32_MAX, INT32_MAX - 1, 1 << 30, W};
    const nnom_quant q = {0.0f, 0};
    for (size_t t = 0; t < sizeof strides / sizeof strides[0]; t++)
        for (int avg = 0; avg < 2; avg++) {
            const pool_spec ps = {avg ? NNOM_LAYER_AVG_POOL2D : NNOM_LAYER_MAX_POOL2D, K, K, SH, strides[t], 1};
            nnom_model *m;
            nnom_status st = build_pool_model(NNOM_DTYPE_F32, H, W, C, ps, q, q, &m);
            TU_CHECK(st == NNOM_OK, "stride (%d, %d): %s", SH, (int)strides[t], nnom_model_last_error(m));
            nnom_tensor_info info;
            if (st != NNOM_OK || nnom_model_output_info(m, 0, &info) != NNOM_OK) {
                nnom_model_destroy(m);
                continue;
            }
            TU_CHECK(info.shape.rank == 3 && info.shape.dims[0] == OUT_H && info.shape.dims[1] == 1 &&
                         info.shape.dims[2] == C,
                     "stride (%d, %d): output (%d, %d, %d), expected (%d, 1, %d)", SH, (int)strides[t],
                     (int)info.shape.dims[0], (int)info.shape.dims[1], (int)info.shape.dims[2], OUT_H, C);
            float x[H * W * C], y[OUT_H * C], want[OUT_H * C];
            tu_fill_f32(x, H * W * C, -4.0f, 4.0f);
            /* TF's SAME: (out - 1) * stride + k - in rows of padding, the smaller half before */
            const int32_t pad_top = ((OUT_H - 1) * SH + K - H) / 2;
            for (int32_t oy = 0; oy < OUT_H; oy++)
                for (int32_t ch = 0; ch < C; ch++) {
                    double best = -1e30, sum = 0.0;
                    int cells = 0;
                    for (int32_t r = oy * SH - pad_top; r < oy * SH - pad_top + K; r++)
                        for (int32_t col = 0; col < K; col++) {
                            if (r < 0 || r >= H) continue;
                            const double v = x[(r * W + col) * C + ch];
                            best = v > best ? v : best;
                            sum += v;
                            cells++;
                        }
                    want[oy * C + ch] = (float)(avg ? sum / cells : best);
                }
            TU_OK(m, nnom_model_alloc_arena(m));
            TU_OK(m, nnom_model_set_input_f32(m, 0, x, H * W * C));
            TU_OK(m, nnom_model_run(m));
            TU_OK(m, nnom_model_get_output_f32(m, 0, y, OUT_H * C));
            const double diff = tu_max_abs_diff_f32(y, want, OUT_H * C);
            TU_CHECK(diff <= (avg ? 1e-5 : 0.0), "%s pool, stride (%d, %d): max diff %g", avg ? "avg" : "max", SH,
                     (int)strides[t], diff);
            nnom_model_destroy(m);
        }
}

int main(void)
{
    tu_seed(0x9001);
    test_window_pools();
    test_avg_rounding();
    test_global_pools();
    test_requant_pools();
    test_graph_pools();
    test_graph_requant();
    test_graph_errors();
    test_graph_huge_stride();
    return tu_finish("test_pool");
}
