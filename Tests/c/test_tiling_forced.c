/*
 * Every tiling the compiler may choose runs as the untiled model does (core/tiling.c), not only the
 * one it chose: the choice per band (keep its halo or compute it again), the rows per tile and the
 * first tile's shortfall (nnom_tiling.shift, up to a warm-up tile that computes no row of the cut)
 * and where kept rows wait between tiles (the arena, or the park in the cut's output rows not written
 * yet: nnom_tiling.park) are forced here through nnom_plan_tiling().
 *
 * Random chains of test_tiling.c (convolutions, depthwise convolutions, pools, zero paddings), int8
 * and float32, compiled untiled; then, for random stages of each (layers first..cut that may tile),
 * random rows per tile, shifts 0..rows and random sets of bands keeping their halos and parking, the model is
 * planned again with that tiling, given an arena of its new size and run: its output bytes must be
 * those of the untiled model on the same input, and every layer's output must lie in the arena.
 * Then the first stage of MobileNetV1 (a 3x3 stride-2 convolution, a depthwise and a pointwise
 * convolution, a zero padding and a stride-2 depthwise convolution) with every set of bands keeping and
 * parking, 1..3 rows and every shift.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tiling_util.h"

static int forced, shifted, warm_ups, mixed, parked_cases;

/* tt_force_tiling(), counted. */
static int force(nnom_model *m, nnom_model *plain, nnom_dtype dt, int32_t first, int32_t cut, int32_t rows,
                 int32_t shift, uint32_t carry, uint32_t park, const char *what)
{
    uint32_t kept = 0, parked = 0, bands = 0;
    if (!tt_force_tiling(m, plain, dt, first, cut, rows, shift, carry, park, what, &kept, &parked, &bands)) return 0;
    parked_cases += parked != 0;
    forced++;
    shifted += shift > 0;
    warm_ups += shift == rows;
    mixed += kept != 0 && kept != bands;
    return 1;
}

static void one_chain(nnom_dtype dt, int t)
{
    tt_chain ch;
    tt_random_chain(&ch, dt);
    nnom_model *plain = tt_build_chain(&ch, dt, NNOM_TILING_OFF);
    int32_t st[64][3];
    const int32_t n = tt_stages(plain, st, 64);
    char what[32];
    snprintf(what, sizeof what, "chain %d", t);
    for (int32_t k = 0; n > 0 && k < 6; k++) {
        const int32_t *s = st[tu_rand_int(0, n - 1)], h = s[2];
        if (h < 2) continue;
        const int32_t rows = tu_rand_int(1, h - 1 < 4 ? h - 1 : 4), shift = tu_rand_int(0, rows);
        const uint32_t carry = tu_rand_u32(), park = tu_rand_int(0, 1) ? tu_rand_u32() : 0;
        force(tt_build_chain(&ch, dt, NNOM_TILING_OFF), plain, dt, s[0], s[1], rows, shift, carry, park, what);
    }
    nnom_model_destroy(plain);
    tt_free_chain(&ch);
}

/* MobileNetV1's first stage at 40x40x3 (layers 1..5: conv 3x3/2, depthwise 3x3, pointwise, zero padding,
 * depthwise 3x3/2), then a pointwise convolution; every set of its three bands, 1..3 rows, every shift. */
static void mobilenet_stage(nnom_dtype dt)
{
    tt_chain ch;
    memset(&ch, 0, sizeof ch);
    ch.h = ch.w = 40;
    ch.c = 3;
    ch.s[ch.n++] = (spec){.kind = K_CONV, .k = 3, .stride = 2, .dil = 1, .padding = NNOM_PADDING_SAME, .units = 8,
                          .activation = NNOM_ACT_RELU6};
    ch.s[ch.n++] = (spec){.kind = K_DW, .k = 3, .stride = 1, .dil = 1, .units = 1, .padding = NNOM_PADDING_SAME,
                          .activation = NNOM_ACT_RELU6};
    ch.s[ch.n++] = (spec){.kind = K_CONV, .k = 1, .stride = 1, .dil = 1, .padding = NNOM_PADDING_SAME, .units = 16,
                          .activation = NNOM_ACT_RELU6};
    ch.s[ch.n++] = (spec){.kind = K_PAD, .pad = {0, 1, 0, 1}};
    ch.s[ch.n++] = (spec){.kind = K_DW, .k = 3, .stride = 2, .dil = 1, .units = 1, .padding = NNOM_PADDING_VALID,
                          .activation = NNOM_ACT_RELU6};
    ch.s[ch.n++] = (spec){.kind = K_CONV, .k = 1, .stride = 1, .dil = 1, .padding = NNOM_PADDING_SAME, .units = 32,
                          .activation = NNOM_ACT_RELU6};
    int32_t c = ch.c;
    for (int i = 0; i < ch.n; i++)
        if (ch.s[i].kind == K_CONV || ch.s[i].kind == K_DW) c = tt_make_blobs(&ch.s[i], dt, c);
    nnom_model *plain = tt_build_chain(&ch, dt, NNOM_TILING_OFF);
    int ran = 0;
    for (uint32_t carry = 0; carry < 8; carry++) /* the bands of layers 1, 2, 3 (bits 0..2) */
        for (uint32_t park = 0; park < 8; park++)
            for (int32_t rows = 1; rows <= 3; rows++)
                for (int32_t shift = 0; shift <= rows; shift++)
                    ran += force(tt_build_chain(&ch, dt, NNOM_TILING_OFF), plain, dt, 1, 5, rows, shift, carry, park,
                                 "MobileNet's first stage");
    TU_CHECK(ran == 8 * 8 * 9, "MobileNet's first stage: %d of %d tilings planned", ran, 8 * 8 * 9);
    nnom_model_destroy(plain);
    tt_free_chain(&ch);
}

int main(void)
{
    tu_seed(0xF0DCEDULL);
    for (int t = 0; t < 300; t++) {
        const uint32_t next = tu_rand_u32();
        one_chain(t % 2 ? NNOM_DTYPE_F32 : NNOM_DTYPE_S8, t);
        tu_seed(next);
    }
    mobilenet_stage(NNOM_DTYPE_S8);
    mobilenet_stage(NNOM_DTYPE_F32);
    printf("test_tiling_forced: %d forced tilings (%d with a shorter first tile, %d of them a warm-up; %d with "
           "some bands keeping and some not; %d parking kept rows), all equal to the untiled run\n", forced, shifted,
           warm_ups, mixed, parked_cases);
    TU_CHECK(forced > 500 && warm_ups > 100 && mixed > 100 && parked_cases > 300, "too few forced tilings of each kind");
    return tu_finish("test_tiling_forced");
}
