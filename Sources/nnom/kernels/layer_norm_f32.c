/* float32 layer normalisation over the last axis (kernels/layer_norm.h). */
#include "kernels/layer_norm.h"

/* above this, 1 / sqrt is taken as 0 (float32 variances never come close) */
#define LAYER_NORM_F32_HUGE 1e300

/* 1 / sqrt(v) for v > 0 without libm: v = m 4^e with m in [1/4, 1), then Newton steps on m. */
static double rsqrt(double v)
{
    double scale = 1.0;
    while (v >= 1.0) {
        v *= 0.25;
        scale *= 0.5;
    }
    while (v < 0.25) {
        v *= 4.0;
        scale *= 2.0;
    }
    double y = 2.25 - 1.3 * v;
    for (int k = 0; k < NNOM_LAYER_NORM_NEWTON_STEPS; k++) y = y * (3.0 - v * y * y) * 0.5;
    return y * scale;
}

void nnom_layer_norm_f32(const nnom_layer_norm_f32_args *a)
{
    const int32_t d = a->depth;
    for (int32_t r = 0; r < a->rows; r++) {
        const float *x = a->in + (int64_t)r * d;
        float *y = a->out + (int64_t)r * d;
        double mean = 0.0, var = 0.0;
        for (int32_t j = 0; j < d; j++) mean += x[j];
        mean /= d;
        for (int32_t j = 0; j < d; j++) var += (x[j] - mean) * (x[j] - mean);
        var /= d;
        const double v = var + a->epsilon;
        /* NaN and infinity compare false: inv 0 (NaN inputs stay NaN through x - mean) */
        const double inv = v > 0.0 && v < LAYER_NORM_F32_HUGE ? rsqrt(v) : 0.0;
        for (int32_t j = 0; j < d; j++) {
            const double n = (x[j] - mean) * inv;
            y[j] = (float)((a->gamma ? a->gamma[j] : 1.0f) * n + (a->beta ? a->beta[j] : 0.0f));
        }
    }
}
