/*
 * TFLite-compatible int8 LSTM: see lstm_tflite.h for the arithmetic, its
 * preconditions and bounds.
 */
#include "kernels/lstm_tflite.h"

#include <stddef.h>

#include "kernels/requant.h"

/* TFLite's values of sigmoid(k / 24) in unsigned Q16. They are not all the
 * rounded values (some are one below), so the kernel lists them as TFLite has
 * them: bit-exactness depends on every entry. */
const uint16_t nnom_tflite_sigmoid_table[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
    43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
    51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
    61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
    63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
    65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
    65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
};

/* Table entries; index 255 is the last one interpolated from. */
#define TABLE_LAST 255
/* sigm: the input is 3 x (x at 2^-12): index bits above 9 fractional bits; result from 25 to 15 bits */
#define SIGM_FRAC_BITS 9
#define SIGM_DROP_BITS 10
#define SIGM_SAT ((uint32_t)32767 << SIGM_DROP_BITS)
#define SIGM_ONE ((uint32_t)1 << 25)
/* tanh_q: index bits above 8 fractional bits; tanh = 2 sigmoid - 1 removes 2^23 (one half in the
 * 24-bit interpolation); result from 23 to 15 bits */
#define TANH_FRAC_BITS 8
#define TANH_DROP_BITS 8
#define TANH_SAT ((int32_t)65535 << TANH_FRAC_BITS)
#define TANH_HALF ((int32_t)1 << 23)
#define TANH_ROUND ((int32_t)1 << 7)
/* Both activations scale the input by 3 (the table spans [0, 10.7) in steps of 1/24). */
#define INPUT_TIMES 3

static int16_t sat16(int64_t v) { return (int16_t)(v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : v)); }
static int32_t sat32(int64_t v) { return (int32_t)(v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v)); }

/* Interpolates the table at |a| with @p frac fractional bits (saturating at the last entry to @p sat). */
static uint32_t interpolate(uint32_t abs_a, int frac, uint32_t sat)
{
    const uint32_t k = abs_a >> frac;
    if (k >= TABLE_LAST) return sat;
    const uint32_t t0 = nnom_tflite_sigmoid_table[k], t1 = nnom_tflite_sigmoid_table[k + 1];
    return (t0 << frac) + (abs_a & ((1u << frac) - 1u)) * (t1 - t0);
}

int16_t nnom_tflite_sigmoid_s16(int16_t x)
{
    const int32_t a = INPUT_TIMES * (int32_t)x;
    const uint32_t s = interpolate((uint32_t)(a < 0 ? -a : a), SIGM_FRAC_BITS, SIGM_SAT);
    const uint32_t half = 1u << SIGM_FRAC_BITS;
    return (int16_t)((a >= 0 ? s + half : SIGM_ONE - s + half - 1u) >> SIGM_DROP_BITS);
}

int16_t nnom_tflite_tanh_s16(int16_t x, int32_t p)
{
    const int32_t e = p - NNOM_LSTM_TFLITE_GATE_POWER;
    const int32_t a = e >= 0 ? INPUT_TIMES * (int32_t)x * (1 << e)
                             : (INPUT_TIMES * (int32_t)x + (1 << (-e - 1))) >> -e;
    const int32_t s = (int32_t)interpolate((uint32_t)(a < 0 ? -a : a), TANH_FRAC_BITS, (uint32_t)TANH_SAT);
    const int32_t r = a >= 0 ? s - TANH_HALF + TANH_ROUND : TANH_HALF - s + TANH_ROUND - 1;
    return (int16_t)(r >> TANH_DROP_BITS);
}

uint32_t nnom_lstm_tflite_s8_scratch_bytes(int32_t units)
{
    return (uint32_t)(4 * units) * (uint32_t)sizeof(int16_t);
}

enum { GATE_I = 0, GATE_F = 1, GATE_G = 2, GATE_O = 3, GATES = 4 };

void nnom_lstm_tflite_s8(const nnom_lstm_tflite_s8_args *a, const int8_t *in, int8_t *out, int16_t *state,
                         int16_t *scratch)
{
    const int32_t units = a->units, features = a->in_features, rows = GATES * units;
    const int32_t *mx = a->requant, *sx = a->requant + rows, *mh = a->requant + 2 * rows, *sh = a->requant + 3 * rows;
    int16_t *v = state, *c = state + units, *pre = scratch;
    for (int32_t t = 0; t < a->steps; t++) {
        const int8_t *x = in + (size_t)t * (size_t)features;
        for (int32_t r = 0; r < rows; r++) {
            const int8_t *w = a->kernel + (size_t)r * (size_t)features;
            const int8_t *u = a->recurrent + (size_t)r * (size_t)units;
            int64_t ax = a->bias ? a->bias[r] : 0, ah = 0;
            for (int32_t i = 0; i < features; i++) ax += (int32_t)w[i] * ((int32_t)x[i] - a->in_zero_point);
            for (int32_t j = 0; j < units; j++) ah += (int32_t)u[j] * (int32_t)v[j];
            const int16_t px = sat16(nnom_requantize(sat32(ax), mx[r], sx[r]));
            const int16_t ph = sat16(nnom_requantize(sat32(ah), mh[r], sh[r]));
            pre[r] = sat16((int32_t)px + ph);
        }
        int8_t *y = a->return_sequences ? out + (size_t)t * (size_t)units : out;
        for (int32_t k = 0; k < units; k++) {
            const int32_t gi = nnom_tflite_sigmoid_s16(pre[GATE_I * units + k]);
            const int32_t gf = nnom_tflite_sigmoid_s16(pre[GATE_F * units + k]);
            const int32_t gg = nnom_tflite_tanh_s16(pre[GATE_G * units + k], NNOM_LSTM_TFLITE_GATE_POWER);
            const int32_t go = nnom_tflite_sigmoid_s16(pre[GATE_O * units + k]);
            const int16_t kept = sat16(nnom_requantize(gf * c[k], a->forget_mult, a->forget_shift));
            const int16_t added = sat16(nnom_requantize(gi * gg, a->input_mult, a->input_shift));
            int16_t cell = sat16((int32_t)kept + added);
            if (a->cell_clip > 0)
                cell = (int16_t)(cell > a->cell_clip ? a->cell_clip : (cell < -a->cell_clip ? -a->cell_clip : cell));
            c[k] = cell;
            const int32_t ct = nnom_tflite_tanh_s16(cell, a->cell_power);
            const int32_t h = nnom_requantize(go * ct, a->hidden_mult, a->hidden_shift) + a->h_zero_point;
            const int8_t hq = nnom_clamp_s8(h, INT8_MIN, INT8_MAX);
            v[k] = (int16_t)(hq - a->h_zero_point);
            y[k] = hq;
        }
    }
}
