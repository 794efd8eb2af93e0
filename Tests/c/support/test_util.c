#include "test_util.h"

#include <math.h>

int tu_failures = 0;
int tu_checks = 0;

int tu_finish(const char *test_name)
{
    if (tu_failures) {
        fprintf(stderr, "%s: %d of %d checks FAILED\n", test_name, tu_failures, tu_checks);
        return 1;
    }
    printf("%s: all %d checks passed\n", test_name, tu_checks);
    return 0;
}

static uint64_t tu_state = 0x9E3779B97F4A7C15ull;

void tu_seed(uint64_t seed) { tu_state = seed ? seed : 0x9E3779B97F4A7C15ull; }

uint32_t tu_rand_u32(void)
{
    tu_state ^= tu_state >> 12;
    tu_state ^= tu_state << 25;
    tu_state ^= tu_state >> 27;
    return (uint32_t)((tu_state * 0x2545F4914F6CDD1Dull) >> 32);
}

int32_t tu_rand_int(int32_t lo, int32_t hi)
{
    uint64_t span = (uint64_t)((int64_t)hi - lo + 1);
    return (int32_t)(lo + (int64_t)(tu_rand_u32() % span));
}

float tu_rand_float(float lo, float hi)
{
    return lo + (hi - lo) * (float)((double)tu_rand_u32() / 4294967296.0);
}

void tu_fill_s8(int8_t *p, size_t n, int32_t lo, int32_t hi)
{
    for (size_t i = 0; i < n; i++) p[i] = (int8_t)tu_rand_int(lo, hi);
}

void tu_fill_s32(int32_t *p, size_t n, int32_t lo, int32_t hi)
{
    for (size_t i = 0; i < n; i++) p[i] = tu_rand_int(lo, hi);
}

void tu_fill_f32(float *p, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) p[i] = tu_rand_float(lo, hi);
}

int64_t tu_round_away(double x) { return (int64_t)(x < 0 ? -floor(-x + 0.5) : floor(x + 0.5)); }

/* round_away(num / 2^e) for e >= 0 using only int64 magnitudes */
static int64_t div_pow2_round_away(int64_t num, int e)
{
    if (e == 0) return num;
    int64_t mag = num < 0 ? -num : num;
    int64_t q = (mag + ((int64_t)1 << (e - 1))) >> e;
    return num < 0 ? -q : q;
}

int32_t tu_ref_requantize(int64_t acc, int32_t mult, int32_t shift)
{
    int64_t x = acc;
    if (shift > 0) {
        x = acc * ((int64_t)1 << shift);
        if (x > INT32_MAX) x = INT32_MAX;
        if (x < INT32_MIN) x = INT32_MIN;
    }
    /* The doubling high multiply rounds half towards +infinity:
     * floor((x * mult + 2^30) / 2^31); x * mult fits in 63 bits. */
    int64_t num = x * (int64_t)mult + ((int64_t)1 << 30);
    const int64_t d = (int64_t)1 << 31;
    int64_t high = num / d;
    if (num % d != 0 && num < 0) high--;
    if (high > INT32_MAX) high = INT32_MAX;
    if (shift < 0) high = div_pow2_round_away(high, -shift);
    return (int32_t)high;
}

void tu_ref_multiplier(double real, int32_t *mult, int32_t *shift)
{
    if (real == 0.0) { *mult = 0; *shift = 0; return; }
    int e = 0;
    double f = frexp(real, &e); /* real = f * 2^e, f in [0.5, 1) */
    int64_t q = tu_round_away(f * 2147483648.0);
    if (q == ((int64_t)1 << 31)) { q /= 2; e++; }
    *mult = (int32_t)q;
    *shift = e;
}

int32_t tu_clamp(int64_t v, int32_t lo, int32_t hi)
{
    return (int32_t)(v < lo ? lo : (v > hi ? hi : v));
}

double tu_max_abs_diff_f32(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m) m = d;
    }
    return m;
}

double tu_ref_activation(nnom_layer_type type, double alpha, double x)
{
    switch (type) {
    case NNOM_LAYER_RELU: return x < 0 ? 0 : x;
    case NNOM_LAYER_RELU6: return x < 0 ? 0 : (x > 6 ? 6 : x);
    case NNOM_LAYER_LEAKY_RELU: return x < 0 ? alpha * x : x;
    case NNOM_LAYER_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case NNOM_LAYER_TANH: return tanh(x);
    case NNOM_LAYER_HARD_SIGMOID: {
        const double t = x + 3.0;
        return (t < 0 ? 0 : (t > 6 ? 6 : t)) / 6.0;
    }
    default: return NAN; /* not an element-wise activation: every comparison with it fails */
    }
}

void tu_ref_act_bounds_s8(int act, nnom_quant q, int32_t *lo, int32_t *hi)
{
    *lo = -128;
    *hi = 127;
    if (act == NNOM_ACT_RELU || act == NNOM_ACT_RELU6) *lo = q.zero_point > -128 ? q.zero_point : -128;
    if (act == NNOM_ACT_RELU6) *hi = tu_clamp(tu_round_away(6.0 / (double)q.scale) + q.zero_point, *lo, 127);
}
