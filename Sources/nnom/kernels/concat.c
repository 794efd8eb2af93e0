/*
 * Concatenation on any axis, int8 (with per-input requantisation) and float32.
 *
 * An int8 input whose values are requantised and that has at least CONCAT_TABLE_MIN elements in a
 * call goes through a table of its 256 possible outputs, then each row is looked up a word at a
 * time (nnom_lookup_s8 of kernels/affine_s8.h); smaller inputs (a few rows of a tiled stage's band)
 * compute each element. Both are done in 32-bit steps where they are exact (concat_table(),
 * requant_rows()), else with the reference requantisation, so either way they give the same bytes
 * as concat_requant().
 * Rows are copied (multiplier 0) a word at a time when short: a concatenation on the channel axis
 * copies rows of a few bytes per pixel, where a call to memcpy costs more than the bytes.
 */
#include <string.h>

#include "kernels/affine_s8.h"
#include "kernels/concat.h"
#include "kernels/requant.h"

enum { CONCAT_TABLE_MIN = 512, CONCAT_SHORT_ROW = 64 };

static int8_t concat_requant(int32_t x, int32_t zpi, int32_t m, int32_t s, int32_t zpo)
{
    const int64_t v = (int64_t)nnom_requantize(x - zpi, m, s) + zpo;
    return (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
}

/* The 32-bit affine form of an input's requantisation for a right shift -s in [1, NNOM_REQUANT32_MAX_E]
 * (weight 1, doubled as the form takes it; the input zero point in its base). */
static nnom_affine_chan concat_chan(int32_t zpi, int32_t m, int32_t s, int32_t zpo)
{
    nnom_affine_chan k;
    k.w2 = 2;
    k.base2 = -2 * zpi;
    k.m = m;
    k.e = -s;
    k.c = nnom_requant32_const(k.e, zpo);
    return k;
}

/*
 * tm[x] = concat_requant(x, zpi, m, s, zpo) for every int8 x (tm: a table's middle). With
 * d = x - zpi (|d| <= 255) and m >= 0 (the layers check it):
 *  - shift s in [-22, -1]: nnom_requant32(d, m, -s, c) of kernels/requant.h, its preconditions
 *    met (|d| < 2^30), through the affine form of kernels/affine_s8.h (w = 1, base = -zpi);
 *  - s in [0, 22]: nnom_requantize multiplies d by 2^s (|d 2^s| < 2^31: no saturation), then the
 *    doubling high multiply, floor((d 2^s m + 2^30) / 2^31) (kernels/conv.h), equal to
 *    floor((d 2^(s+1) m + 2^31) / 2^32), the high word of one 32 x 32 -> 64 product plus 2^31
 *    (|d 2^(s+1)| <= 255 * 2^23 < 2^31), and no rounding shift after it;
 *  - other shifts: concat_requant() itself.
 */
static void concat_table(int8_t *tm, int32_t zpi, int32_t m, int32_t s, int32_t zpo)
{
    if (s >= -NNOM_REQUANT32_MAX_E && s <= -1) {
        const nnom_affine_chan k = concat_chan(zpi, m, s, zpo);
        nnom_affine_table_k(&k, tm, INT8_MIN, INT8_MAX, 0, 0);
        return;
    }
    if (s >= 0 && s <= NNOM_REQUANT32_MAX_E) {
        for (int32_t x = INT8_MIN; x <= INT8_MAX; x++) {
            const int32_t d2 = (int32_t)((uint32_t)(x - zpi) << (s + 1));
            const int32_t u = (int32_t)(((int64_t)d2 * m + ((int64_t)1 << 31)) >> 32);
            tm[x] = nnom_clamp_s8(u + zpo, INT8_MIN, INT8_MAX);
        }
        return;
    }
    for (int32_t x = INT8_MIN; x <= INT8_MAX; x++) tm[x] = concat_requant(x, zpi, m, s, zpo);
}

/* rows of n values looked up in tm, from src (rows n apart) into out (rows `row` apart); a function
 * of its own so that tm stays in a register. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void lookup_rows(const int8_t *tm, const int8_t *src, int8_t *out, int32_t n, int32_t rows, int64_t row)
{
    for (int32_t o = 0; o < rows; o++, src += n, out += row) nnom_lookup_s8(tm, src, out, n);
}

/* The same values as concat_table() computed for each element of rows of n values from src (rows n
 * apart) into out (rows `row` apart), in the same 32-bit forms where they apply. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void requant_rows(const int8_t *src, int8_t *out, int32_t n, int32_t rows, int64_t row, int32_t zpi, int32_t m,
                         int32_t s, int32_t zpo)
{
    if (s >= -NNOM_REQUANT32_MAX_E && s <= -1) {
        const nnom_affine_chan k = concat_chan(zpi, m, s, zpo);
        for (int32_t o = 0; o < rows; o++, src += n, out += row)
            nnom_affine_span_k(&k, src, out, n, 1, INT8_MIN, INT8_MAX, 0, 0);
    } else if (s >= 0 && s <= NNOM_REQUANT32_MAX_E) {
        for (int32_t o = 0; o < rows; o++, src += n, out += row)
            for (int32_t j = 0; j < n; j++) {
                const int32_t d2 = (int32_t)((uint32_t)(src[j] - zpi) << (s + 1));
                out[j] = nnom_clamp_s8((int32_t)(((int64_t)d2 * m + ((int64_t)1 << 31)) >> 32) + zpo, INT8_MIN, INT8_MAX);
            }
    } else {
        for (int32_t o = 0; o < rows; o++, src += n, out += row)
            for (int32_t j = 0; j < n; j++) out[j] = concat_requant(src[j], zpi, m, s, zpo);
    }
}

/* n bytes from src to dst (not overlapping), a word at a time. */
static inline void copy_short(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        uint32_t w;
        memcpy(&w, src + k, 4);
        memcpy(dst + k, &w, 4);
    }
    for (; k < n; k++) dst[k] = src[k];
}

void nnom_concat_s8(const nnom_concat_s8_args *a)
{
    int64_t row = 0; /* output elements per outer step */
    for (int32_t i = 0; i < a->n_inputs; i++) row += a->inputs[i].inner;
    int64_t offset = 0; /* of input i within an output row */
    int8_t table[NNOM_AFFINE_VALUES];
    int8_t *const tm = table - INT8_MIN;
    for (int32_t i = 0; i < a->n_inputs; i++) {
        const nnom_concat_input_s8 *in = &a->inputs[i];
        const int32_t n = in->inner, m = in->multiplier, s = in->shift, zpi = in->zero_point;
        const int32_t zpo = a->out_zero_point;
        int8_t *out = a->out + offset;
        const int8_t *src = in->data;
        offset += n;
        if (m == 0) {
            if (n <= CONCAT_SHORT_ROW)
                for (int32_t o = 0; o < a->outer; o++, src += n, out += row) copy_short(out, src, n);
            else
                for (int32_t o = 0; o < a->outer; o++, src += n, out += row) memcpy(out, src, (size_t)n);
            continue;
        }
        if ((int64_t)n * a->outer >= CONCAT_TABLE_MIN) {
            concat_table(tm, zpi, m, s, zpo);
            lookup_rows(tm, src, out, n, a->outer, row);
        } else {
            requant_rows(src, out, n, a->outer, row, zpi, m, s, zpo);
        }
    }
}

void nnom_concat_f32(const nnom_concat_f32_args *a)
{
    float *out = a->out;
    for (int32_t o = 0; o < a->outer; o++) {
        for (int32_t i = 0; i < a->n_inputs; i++) {
            const int32_t n = a->inputs[i].inner;
            memcpy(out, a->inputs[i].data + (int64_t)o * n, (size_t)n * sizeof(float));
            out += n;
        }
    }
}
