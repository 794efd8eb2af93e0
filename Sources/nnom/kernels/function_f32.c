/* float32 element-wise functions of ACTIVATION layers, and the maths they need (no libm). */
#include <string.h>

#include "kernels/activation.h"
#include "kernels/function.h"

#define LN2_HI 6.9314575195e-01f /* ln 2 split so that k * LN2_HI is exact for |k| < 2^11 */
#define LN2_LO 1.4286067653e-06f
#define SQRT1_2 0.70710678118654752440
#define INV_SQRT_PI 0.56418958354775628695
#define SQRT_2_OVER_PI_D 0.79788456080286535588
#define GELU_CUBIC_D 0.044715
#define SELU_ALPHA 1.6732632423543772f
#define SELU_SCALE 1.0507009873554805f
/* erf by its Taylor series below this, erfc by its continued fraction above */
#define ERF_SERIES_LIMIT 2.0
#define ERFC_FRACTION_TERMS 80

float nnom_log1pf(float x)
{
    if (x != x || x == 0.0f) return x;
    const float m = 1.0f + x;
    if (m == 1.0f) return x; /* x below half an ulp of 1: log1p(x) = x to float precision */
    if (m > 3.402823466e38f) return m;
    /* m = 2^k f, f in [sqrt(1/2), sqrt(2)); log f = 2 atanh(s), s = (f - 1) / (f + 1), |s| < 0.172 */
    uint32_t bits;
    memcpy(&bits, &m, sizeof bits);
    int32_t k = (int32_t)((bits >> 23) & 0xffu) - 127;
    bits = (bits & 0x7fffffu) | 0x3f800000u;
    float f;
    memcpy(&f, &bits, sizeof f);
    if (f > 1.41421356f) {
        f *= 0.5f;
        k++;
    }
    const float s = (f - 1.0f) / (f + 1.0f), s2 = s * s;
    /* series to s^11: the next term is below 2e-10 relative */
    float p = 1.0f / 11.0f;
    p = p * s2 + 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    const float log_m = (float)k * LN2_HI + ((float)k * LN2_LO + 2.0f * s * p);
    /* m = 1 + x was rounded: log(1 + x) = log(m) * x / (m - 1) to first order (m - 1 is exact) */
    return log_m * (x / (m - 1.0f));
}

float nnom_expm1f(float x)
{
    const float ax = x < 0.0f ? -x : x;
    if (ax >= 0.35f || x != x) return nnom_expf(x) - 1.0f;
    /* Taylor series to x^9: the next term is below 8e-12 relative for |x| < 0.35 */
    float p = 1.0f / 362880.0f;
    p = p * x + 1.0f / 40320.0f;
    p = p * x + 1.0f / 5040.0f;
    p = p * x + 1.0f / 720.0f;
    p = p * x + 1.0f / 120.0f;
    p = p * x + 1.0f / 24.0f;
    p = p * x + 1.0f / 6.0f;
    p = p * x + 0.5f;
    return x + x * x * p;
}

/* exp(a) for a double argument: nnom_expf of a rounded to float, corrected by the first-order term of the
 * rounding (|a - (float)a| < 2^-24 |a| contributes e^d = 1 + d within 1e-14) */
static double exp_d(double a)
{
    const float af = (float)a;
    return (double)nnom_expf(af) * (1.0 + (a - (double)af));
}

double nnom_erfcd(double x)
{
    if (x != x) return x;
    if (x < 0.0) return 2.0 - nnom_erfcd(-x);
    if (x < ERF_SERIES_LIMIT) {
        /* erf x = 2 / sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)); terms fall below 1e-17 by n = 40 */
        const double x2 = x * x;
        double term = x, sum = x;
        for (int n = 1; n < 60; n++) {
            term *= -x2 / n;
            const double t = term / (2 * n + 1);
            sum += t;
            if ((t < 0.0 ? -t : t) < 1e-17 * sum) break;
        }
        return 1.0 - 2.0 * INV_SQRT_PI * sum;
    }
    if (x > 10.0) return 0.0; /* erfc(10) < 2.1e-45, below float's smallest value */
    /* erfc x = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + (2/2) / (x + (3/2) / (x + ...)))) */
    double t = x;
    for (int n = ERFC_FRACTION_TERMS; n >= 1; n--) t = x + (0.5 * n) / t;
    return exp_d(-x * x) * INV_SQRT_PI / t;
}

/* 1 / (1 + exp(-x)) without overflow */
static float sigmoid1(float x)
{
    if (x >= 0.0f) return 1.0f / (1.0f + nnom_expf(-x));
    const float e = nnom_expf(x);
    return e / (1.0f + e);
}

/* log(1 + exp(x)) without overflow */
static float softplus1(float x)
{
    const float ax = x < 0.0f ? -x : x;
    return (x > 0.0f ? x : 0.0f) + nnom_log1pf(nnom_expf(-ax));
}

static float elu1(float x, float alpha) { return x > 0.0f ? x : alpha * nnom_expm1f(x); }

static float apply(nnom_function fn, const float *k, float x)
{
    switch (fn) {
    case NNOM_FN_ELU: return elu1(x, k[0]);
    case NNOM_FN_SELU: return SELU_SCALE * elu1(x, SELU_ALPHA);
    case NNOM_FN_GELU: return (float)(0.5 * (double)x * nnom_erfcd(-(double)x * SQRT1_2));
    case NNOM_FN_GELU_TANH: {
        /* 1 + tanh(y) = 2 sigmoid(2 y) = 2 / (1 + exp(-2 y)): no cancellation for large negative y; in double,
         * as exp(-2 y) magnifies the rounding of y */
        const double xd = x, y = SQRT_2_OVER_PI_D * (xd + GELU_CUBIC_D * xd * xd * xd);
        return (float)(xd / (1.0 + exp_d(-2.0 * y)));
    }
    case NNOM_FN_SILU: return x * sigmoid1(x);
    case NNOM_FN_HARD_SILU: {
        const float t = x + 3.0f;
        return x * (t > 0.0f ? (t < 6.0f ? t : 6.0f) : 0.0f) / 6.0f;
    }
    case NNOM_FN_MISH: return x * nnom_tanhf(softplus1(x));
    case NNOM_FN_SOFTPLUS: return softplus1(x);
    case NNOM_FN_SOFTSIGN: return x / (1.0f + (x < 0.0f ? -x : x));
    case NNOM_FN_EXPONENTIAL: return nnom_expf(x);
    case NNOM_FN_LOG_SIGMOID: return -softplus1(-x);
    case NNOM_FN_CELU: return x > 0.0f ? x : k[0] * nnom_expm1f(x / k[0]);
    case NNOM_FN_HARD_TANH: return x > 1.0f ? 1.0f : (x < -1.0f ? -1.0f : x);
    case NNOM_FN_RELU: {
        const float slope = k[0], t = k[1], max_value = k[2];
        float y = x > t ? x : 0.0f;
        if (k[3] != 0.0f) y = y < 0.0f ? 0.0f : (y > max_value ? max_value : y);
        if (t > x) y -= slope * (t - x);
        return y;
    }
    case NNOM_FN_COUNT:
    case NNOM_FN_FORCE_32BIT: break;
    }
    return x; /* not reached: the layer checked the function */
}

void nnom_function_f32(nnom_function fn, const float *k, const float *in, float *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) out[i] = apply(fn, k, in[i]);
}
