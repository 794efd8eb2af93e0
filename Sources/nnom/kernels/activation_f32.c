/* float32 element-wise activations, and the exp/tanh they need (no libm). */
#include <string.h>

#include "kernels/activation.h"

/* 2^n for n in [-126, 127], built from its bits */
static float pow2i(int32_t n)
{
    uint32_t bits = (uint32_t)(n + 127) << 23;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float nnom_expf(float x)
{
    if (x != x) return x; /* NaN */
    /* beyond these the result is +inf / 0 anyway; the clamp keeps k small */
    if (x > 89.0f) x = 89.0f;
    if (x < -104.0f) x = -104.0f;
    /* x = k ln2 + r, |r| <= ln2 / 2; ln2 split so that k * LN2_HI is exact */
    const float LN2_HI = 6.9314575195e-01f, LN2_LO = 1.4286067653e-06f;
    const float kf = x * 1.44269504f;
    const int32_t k = (int32_t)(kf < 0.0f ? kf - 0.5f : kf + 0.5f);
    const float r = (x - (float)k * LN2_HI) - (float)k * LN2_LO;
    /* Taylor series to r^7: truncation below 6e-9 relative for |r| <= 0.35 */
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* scale by 2^k in two normal steps (k is in [-150, 129]); overflow gives
     * +inf and the only rounding of a subnormal result is the last product */
    const int32_t k1 = k / 2, k2 = k - k1;
    return p * pow2i(k1) * pow2i(k2);
}

/* tanh by its odd Taylor series, for |x| <= 0.3125 (next term below 1e-9 relative) */
static float tanh_series(float x)
{
    const float x2 = x * x;
    float t = -1382.0f / 155925.0f;
    t = t * x2 + 62.0f / 2835.0f;
    t = t * x2 - 17.0f / 315.0f;
    t = t * x2 + 2.0f / 15.0f;
    t = t * x2 - 1.0f / 3.0f;
    return x + x * x2 * t;
}

float nnom_tanhf(float x)
{
    const float ax = x < 0.0f ? -x : x;
    float t;
    if (ax <= 0.3125f) return tanh_series(x);
    if (ax < 0.625f) {
        /* half angle: tanh x = 2 t / (1 + t^2), t = tanh(x / 2); avoids the
         * cancellation of 1 - 2 / (e^2x + 1) for small x */
        const float h = tanh_series(0.5f * x);
        return 2.0f * h / (1.0f + h * h);
    }
    if (ax > 9.5f) {
        t = 1.0f; /* 1 - tanh(9.5) < 2^-26 */
    } else {
        t = 1.0f - 2.0f / (nnom_expf(2.0f * ax) + 1.0f); /* NaN stays NaN */
    }
    return x < 0.0f ? -t : t;
}

void nnom_relu_f32(const float *in, float *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        const float v = in[i];
        out[i] = v > 0.0f ? v : 0.0f;
    }
}

void nnom_relu6_f32(const float *in, float *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        const float v = in[i];
        out[i] = v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
    }
}

void nnom_leaky_relu_f32(const float *in, float *out, int32_t n, float alpha)
{
    for (int32_t i = 0; i < n; i++) {
        const float v = in[i];
        out[i] = v >= 0.0f ? v : alpha * v;
    }
}

void nnom_sigmoid_f32(const float *in, float *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        const float v = in[i];
        if (v >= 0.0f) {
            out[i] = 1.0f / (1.0f + nnom_expf(-v));
        } else {
            const float e = nnom_expf(v); /* no overflow for large negative v; NaN falls here */
            out[i] = e / (1.0f + e);
        }
    }
}

void nnom_tanh_f32(const float *in, float *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) out[i] = nnom_tanhf(in[i]);
}

void nnom_hard_sigmoid_f32(const float *in, float *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        float t = in[i] + 3.0f;
        t = t > 0.0f ? (t < 6.0f ? t : 6.0f) : 0.0f;
        out[i] = t / 6.0f;
    }
}
