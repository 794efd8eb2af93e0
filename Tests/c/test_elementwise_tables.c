/*
 * The int8 add's lookup tables (kernels/elementwise_s8.c, prescale_table(), built in 32-bit
 * steps along v): every entry x' = requant((v - zp) * 2^20, m, s) against the TFLite reference
 * arithmetic of the test support (tu_ref_requantize), for every int8 v and zero point, every shift
 * from -31 to 3 and multipliers at the edges of the 11-bit split the tables use and at random; the
 * same tables scaled by -1, 2 and -2 (the subtraction's and the Cortex-M path's) where |2 x'| fits
 * in int32, and the largest |x'| prescale_bound() reads off the tables' ends. The add's
 * outputs hide an x' off by one (the output step divides it by ~2^19), so the tables are checked
 * on their own: the kernel file is compiled into this test under other names.
 */
#define nnom_add_s8 table_test_add_s8
#define nnom_sub_s8 table_test_sub_s8
#define nnom_mul_s8 table_test_mul_s8
#define NNOM_PORTABLE_KERNELS 1
#include "kernels/elementwise_s8.c"

#include "test_util.h"

int main(void)
{
    enum { RANDOM_MULTIPLIERS = 40 };
    static const int32_t edges[] = {0, 1, 2047, 2048, 0x40000000, 0x400007FF, 0x7FFFF800, 0x7FFFFFFF};
    const int32_t n_edges = (int32_t)(sizeof edges / sizeof edges[0]);
    int64_t checked = 0;
    for (int32_t k = 0; k < n_edges + RANDOM_MULTIPLIERS; k++) {
        const int32_t m = k < n_edges ? edges[k] : tu_rand_int(0, INT32_MAX);
        for (int32_t s = -31; s <= 3; s++) {
            for (int32_t zp = -128; zp <= 127; zp += (k < n_edges ? 1 : 7)) {
                int32_t t[256], want[256];
                int64_t want_max = 0;
                for (int32_t v = -128; v <= 127; v++) {
                    want[v + 128] = tu_ref_requantize((int64_t)(v - zp) * (1 << 20), m, s);
                    const int64_t mag = want[v + 128] < 0 ? -(int64_t)want[v + 128] : want[v + 128];
                    if (mag > want_max) want_max = mag;
                }
                TU_CHECK(prescale_bound(zp, m, s) == want_max, "m %d, shift %d, zp %d: largest |x'| %lld, expected "
                         "%lld", m, s, zp, (long long)prescale_bound(zp, m, s), (long long)want_max);
                static const int32_t scales[] = {1, -1, 2, -2};
                for (int32_t j = 0; j < (want_max < (1 << 30) ? 4 : 1); j++) {
                    const int32_t sc = scales[j];
                    prescale_table(t, zp, m, s, sc);
                    for (int32_t v = -128; v <= 127; v++) {
                        TU_CHECK(t[v + 128] == sc * want[v + 128], "m %d, shift %d, zp %d, v %d, scale %d: %d, "
                                 "expected %d", m, s, zp, v, sc, t[v + 128], sc * want[v + 128]);
                        if (t[v + 128] != sc * want[v + 128]) return tu_finish("test_elementwise_tables"); /* the first */
                        checked++;
                    }
                }
            }
        }
    }
    printf("add tables: %lld entries\n", (long long)checked);
    return tu_finish("test_elementwise_tables");
}
