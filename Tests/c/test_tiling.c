/*
 * Tiled execution of the memory peak (core/tiling.c) against the untiled run.
 *
 * Random chains input -> 2..7 layers -> output, int8 and float32: 2-D
 * convolutions (1..12 filters) and depthwise convolutions (multiplier 1 or 2)
 * with 1..5 kernels, strides 1..3, dilation 1 or 2, SAME or VALID padding,
 * zero paddings (0..2 on each side) before them, and max and average pools
 * (1..4 windows, strides 1..3, SAME or VALID); inputs of 4..40 rows and
 * columns, 1..8 channels. Each model is compiled twice from the same weights:
 * with a random MAC budget of 1..300 % (the planner tiles where that makes the
 * arena smaller) and with tiling off. On the same random input both runs must
 * give the same output bytes, the tiled arena must be smaller than the untiled
 * one, the reported untiled arena must be the untiled model's, and the added
 * MACs within the budget. Most chains must end up tiled.
 *
 * Then MobileNetV1 alpha 0.25 at 96x96x3 (its 13 depthwise blocks, without
 * the classifier) with the default budget: tiled, equal bit for bit, smaller
 * arena, at most 40 KiB in int8; the figures are printed. And the 28x28
 * CNN's convolutions and max pools (its dense head left out), tiled.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tiling_util.h"

static int cases, tiled_cases, kept_cases, fastest_kept_cases;

/* The fastest plan of @p ch (budget @p percent) under a limit one byte below the untiled arena (@p ti: the
 * smallest plan's tiling): a tiling that keeps the rows neighbouring tiles share (no MAC added) where one
 * is below the limit (core/plan_tuned.c), else the smallest plan's; equal to the untiled run @p plain. */
static void fastest_case(const tt_chain *ch, nnom_dtype dt, int32_t percent, const nnom_tiling_info *ti,
                         nnom_model *plain, int t)
{
    nnom_options o;
    nnom_options_init(&o);
    o.tiling_max_extra_macs_percent = percent;
    o.plan_goal = NNOM_PLAN_FASTEST;
    o.max_arena_bytes = ti->untiled_arena_bytes - 1;
    nnom_error err;
    nnom_model *fast = tt_build_chain_with(ch, dt, &o, &err);
    TU_CHECK(fast != NULL, "case %d: no fastest plan below %u bytes: %s", t, (unsigned)ti->untiled_arena_bytes,
             err.message);
    if (!fast) return;
    char what[96];
    snprintf(what, sizeof what, "case %d (%d layers, %dx%dx%d)", t, ch->n, (int)ch->h, (int)ch->w, (int)ch->c);
    fastest_kept_cases += tt_check_fastest_below(fast, plain, ti, dt, what);
    nnom_model_destroy(fast);
}

static void one_case(nnom_dtype dt, int t)
{
    tt_chain ch;
    tt_random_chain(&ch, dt);
    const int32_t percent = tu_rand_int(1, 300);
    nnom_model *tiled = tt_build_chain(&ch, dt, percent), *plain = tt_build_chain(&ch, dt, NNOM_TILING_OFF);
    nnom_tiling_info ti = NNOM_TILING_INFO_INIT, pi = NNOM_TILING_INFO_INIT;
    TU_OK(tiled, nnom_model_tiling(tiled, &ti));
    TU_OK(plain, nnom_model_tiling(plain, &pi));
    TU_CHECK(pi.first_layer == -1 && pi.saved_bytes == 0, "case %d: tiled with tiling off", t);
    TU_CHECK(ti.untiled_arena_bytes == nnom_model_arena_size(plain), "case %d: untiled arena %u, the plain model's %u",
             t, (unsigned)ti.untiled_arena_bytes, (unsigned)nnom_model_arena_size(plain));
    if (ti.first_layer >= 0) {
        tiled_cases++;
        TU_CHECK(nnom_model_arena_size(tiled) < nnom_model_arena_size(plain) &&
                     ti.saved_bytes == nnom_model_arena_size(plain) - nnom_model_arena_size(tiled),
                 "case %d: tiled arena %u, untiled %u, saved %u", t, (unsigned)nnom_model_arena_size(tiled),
                 (unsigned)nnom_model_arena_size(plain), (unsigned)ti.saved_bytes);
        const uint64_t macs = nnom_model_total_macs(plain);
        TU_CHECK(ti.extra_macs * 100 <= macs * (uint64_t)percent, "case %d: %lu MACs added to %lu, budget %d %%", t,
                 (unsigned long)ti.extra_macs, (unsigned long)macs, (int)percent);
        TU_CHECK(ti.tiles >= 2 && ti.rows_per_tile >= 1 && ti.cut_layer > ti.first_layer, "case %d: tiles %d rows %d",
                 t, (int)ti.tiles, (int)ti.rows_per_tile);
        kept_cases += ti.kept_band_bytes > 0;
        fastest_case(&ch, dt, percent, &ti, plain, t);
    } else {
        TU_CHECK(nnom_model_arena_size(tiled) == nnom_model_arena_size(plain), "case %d: untiled plans differ", t);
    }
    for (int32_t i = 0; i < nnom_model_layer_count(tiled); i++) { /* bands reported inside the arena */
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(tiled, nnom_model_layer_info(tiled, i, &info));
        TU_CHECK((uint64_t)info.arena_offset + info.arena_bytes <= nnom_model_arena_size(tiled),
                 "case %d: layer %d output [%u, +%u) outside the %u-byte arena", t, (int)i,
                 (unsigned)info.arena_offset, (unsigned)info.arena_bytes, (unsigned)nnom_model_arena_size(tiled));
    }
    for (int r = 0; r < 2; r++) /* twice: a run must not depend on what the last one left */
        TU_CHECK(tt_same_outputs(tiled, plain, dt), "case %d (%s, %d layers, %dx%dx%d, tiles %d of %d rows, layers %d..%d): "
                 "tiled output differs", t, dt == NNOM_DTYPE_S8 ? "int8" : "float32", ch.n, (int)ch.h, (int)ch.w,
                 (int)ch.c, (int)ti.tiles, (int)ti.rows_per_tile, (int)ti.first_layer, (int)ti.cut_layer);
    cases++;
    nnom_model_destroy(tiled);
    nnom_model_destroy(plain);
    tt_free_chain(&ch);
}

/* MobileNetV1 alpha 0.25 at 96x96x3 to its last 3x3x256 block: conv 3x3/2 (8 filters), then 13
 * depthwise blocks (stride, pointwise filters), a zero padding before each of stride 2. */
static void mobilenet(nnom_dtype dt)
{
    static const int32_t blocks[][2] = {{1, 16}, {2, 32}, {1, 32}, {2, 64}, {1, 64}, {2, 128}, {1, 128},
                                        {1, 128}, {1, 128}, {1, 128}, {1, 128}, {2, 256}, {1, 256}};
    tt_chain ch;
    memset(&ch, 0, sizeof ch);
    ch.h = ch.w = 96;
    ch.c = 3;
    spec *s = &ch.s[ch.n++];
    *s = (spec){.kind = K_CONV, .k = 3, .stride = 2, .dil = 1, .padding = NNOM_PADDING_SAME, .units = 8,
                .activation = NNOM_ACT_RELU6};
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        if (blocks[b][0] == 2) ch.s[ch.n++] = (spec){.kind = K_PAD, .pad = {0, 1, 0, 1}};
        ch.s[ch.n++] = (spec){.kind = K_DW, .k = 3, .stride = blocks[b][0], .dil = 1, .units = 1,
                              .padding = blocks[b][0] == 2 ? NNOM_PADDING_VALID : NNOM_PADDING_SAME,
                              .activation = NNOM_ACT_RELU6};
        ch.s[ch.n++] = (spec){.kind = K_CONV, .k = 1, .stride = 1, .dil = 1, .padding = NNOM_PADDING_SAME,
                              .units = blocks[b][1], .activation = NNOM_ACT_RELU6};
    }
    int32_t c = ch.c;
    for (int i = 0; i < ch.n; i++)
        if (ch.s[i].kind == K_CONV || ch.s[i].kind == K_DW) c = tt_make_blobs(&ch.s[i], dt, c);
    nnom_model *tiled = tt_build_chain(&ch, dt, 0), *plain = tt_build_chain(&ch, dt, NNOM_TILING_OFF);
    nnom_tiling_info ti = NNOM_TILING_INFO_INIT;
    TU_OK(tiled, nnom_model_tiling(tiled, &ti));
    printf("test_tiling: MobileNetV1-0.25 96x96 (%s): arena %u B untiled, %u B tiled (layers %d..%d, %d tiles "
           "of %d rows, %u B of bands kept), %lu MACs + %lu added (%.1f %%)\n",
           dt == NNOM_DTYPE_S8 ? "int8" : "float32", (unsigned)nnom_model_arena_size(plain),
           (unsigned)nnom_model_arena_size(tiled), (int)ti.first_layer, (int)ti.cut_layer, (int)ti.tiles,
           (int)ti.rows_per_tile, (unsigned)ti.kept_band_bytes, (unsigned long)nnom_model_total_macs(plain),
           (unsigned long)ti.extra_macs, 100.0 * (double)ti.extra_macs / (double)nnom_model_total_macs(plain));
    TU_CHECK(ti.first_layer >= 0 && nnom_model_arena_size(tiled) < nnom_model_arena_size(plain),
             "MobileNet not tiled");
    TU_CHECK(ti.extra_macs * 100 <= nnom_model_total_macs(plain) * NNOM_TILING_DEFAULT_PERCENT,
             "MobileNet: over the default budget");
    /* the goal of issue 15: at most 40 KiB (the untiled arena is 46,336 B) */
    TU_CHECK(dt != NNOM_DTYPE_S8 || nnom_model_arena_size(tiled) <= 40 * 1024, "MobileNet: tiled arena over 40 KiB");
    /* and with the Cortex-M DSP kernels, whose fast scratch a tiled plan holds */
    const size_t dsp = nnom_model_arena_size_for(tiled, NNOM_KERNELS_CORTEX_M_DSP);
    printf("test_tiling: MobileNetV1-0.25 96x96 (%s): tiled arena with the Cortex-M DSP kernels %u B\n",
           dt == NNOM_DTYPE_S8 ? "int8" : "float32", (unsigned)dsp);
    TU_CHECK(dt != NNOM_DTYPE_S8 || (dsp > 0 && dsp <= 40 * 1024), "MobileNet: tiled DSP arena %u B, over 40 KiB",
             (unsigned)dsp);
    TU_CHECK(tt_same_outputs(tiled, plain, dt), "MobileNet (%s): tiled output differs",
             dt == NNOM_DTYPE_S8 ? "int8" : "float32");
    /* the fastest plan below the untiled arena: halo rows kept, no MAC added */
    nnom_options o;
    nnom_options_init(&o);
    o.plan_goal = NNOM_PLAN_FASTEST;
    o.max_arena_bytes = ti.untiled_arena_bytes - 1;
    nnom_error err;
    nnom_model *fast = tt_build_chain_with(&ch, dt, &o, &err);
    TU_CHECK(fast != NULL, "MobileNet: no fastest plan below the untiled arena: %s", err.message);
    if (fast) {
        nnom_tiling_info fi = NNOM_TILING_INFO_INIT;
        TU_OK(fast, nnom_model_tiling(fast, &fi));
        printf("test_tiling: MobileNetV1-0.25 96x96 (%s): fastest plan below the untiled arena %u B (layers %d..%d, "
               "%d tiles of %d rows, %u B of bands kept), %lu MACs added\n", dt == NNOM_DTYPE_S8 ? "int8" : "float32",
               (unsigned)nnom_model_arena_size(fast), (int)fi.first_layer, (int)fi.cut_layer, (int)fi.tiles,
               (int)fi.rows_per_tile, (unsigned)fi.kept_band_bytes, (unsigned long)fi.extra_macs);
        TU_CHECK(fi.kept_band_bytes > 0 && fi.extra_macs == 0, "MobileNet: the fastest tiling does not keep its halos");
        /* every halo computed again in 24 tiles of one row: the first convolution computes 117 of its 48 rows
         * (10,368 MACs each), the first depthwise and pointwise 71 (3,456 and 6,144): 936,192 MACs; keeping
         * some halos must add fewer */
        TU_CHECK(ti.extra_macs < 69u * 10368u + 23u * (3456u + 6144u), "MobileNet: %lu MACs added, as many as "
                 "computing every halo again", (unsigned long)ti.extra_macs);
        /* the first tile a warm-up (the first depthwise's band two rows, not three: 40,064 B in int8 on the PC),
         * the first convolution's kept rows parked in the cut's output: only the last tiles, whose cut rows
         * reach the park, compute some of its rows again (at most 4 of its 10,368-MAC rows) */
        TU_CHECK(dt != NNOM_DTYPE_S8 || nnom_model_arena_size(tiled) <= 40064u, "MobileNet: smallest arena %u B, "
                 "over 40,064", (unsigned)nnom_model_arena_size(tiled));
        TU_CHECK(ti.extra_macs <= 4u * 10368u, "MobileNet: %lu MACs added, more than 4 rows of the first "
                 "convolution", (unsigned long)ti.extra_macs);
        TU_CHECK(tt_same_outputs(fast, plain, dt), "MobileNet (%s): fastest tiled output differs",
                 dt == NNOM_DTYPE_S8 ? "int8" : "float32");
        nnom_model_destroy(fast);
    }
    nnom_model_destroy(tiled);
    nnom_model_destroy(plain);
    tt_free_chain(&ch);
}

/* The 28x28 CNN of examples/c without its dense head: three 3x3 convolutions (12, 24, 48 filters,
 * SAME, ReLU) each followed by a 2x2 max pool. Bands of the pools' output rows need no halo. */
static void cnn28(void)
{
    tt_chain ch;
    memset(&ch, 0, sizeof ch);
    ch.h = ch.w = 28;
    ch.c = 1;
    static const int32_t filters[] = {12, 24, 48};
    int32_t c = ch.c;
    for (size_t b = 0; b < sizeof filters / sizeof filters[0]; b++) {
        spec *s = &ch.s[ch.n++];
        *s = (spec){.kind = K_CONV, .k = 3, .stride = 1, .dil = 1, .padding = NNOM_PADDING_SAME,
                    .units = filters[b], .activation = NNOM_ACT_RELU};
        c = tt_make_blobs(s, NNOM_DTYPE_S8, c);
        ch.s[ch.n++] = (spec){.kind = K_MAX_POOL, .k = 2, .stride = 2, .dil = 1, .padding = NNOM_PADDING_VALID};
    }
    nnom_model *tiled = tt_build_chain(&ch, NNOM_DTYPE_S8, 0), *plain = tt_build_chain(&ch, NNOM_DTYPE_S8, NNOM_TILING_OFF);
    nnom_tiling_info ti = NNOM_TILING_INFO_INIT;
    TU_OK(tiled, nnom_model_tiling(tiled, &ti));
    printf("test_tiling: 28x28 CNN (int8): arena %u B untiled, %u B tiled (layers %d..%d, %d tiles of %d rows, "
           "%u B of bands kept), %lu MACs added\n", (unsigned)nnom_model_arena_size(plain),
           (unsigned)nnom_model_arena_size(tiled), (int)ti.first_layer, (int)ti.cut_layer, (int)ti.tiles,
           (int)ti.rows_per_tile, (unsigned)ti.kept_band_bytes, (unsigned long)ti.extra_macs);
    TU_CHECK(ti.first_layer >= 0 && nnom_model_arena_size(tiled) < nnom_model_arena_size(plain), "28x28 CNN not tiled");
    TU_CHECK(tt_same_outputs(tiled, plain, NNOM_DTYPE_S8), "28x28 CNN: tiled output differs");
    nnom_model_destroy(tiled);
    nnom_model_destroy(plain);
    tt_free_chain(&ch);
}

static void check_api(void)
{
    nnom_tiling_info a = NNOM_TILING_INFO_INIT, b;
    nnom_tiling_info_init(&b);
    TU_CHECK(a.struct_size == sizeof a && memcmp(&a, &b, sizeof a) == 0, "NNOM_TILING_INFO_INIT and init()");
    tt_chain ch;
    tt_random_chain(&ch, NNOM_DTYPE_S8);
    nnom_model *m = tt_build_chain(&ch, NNOM_DTYPE_S8, 0);
    nnom_tiling_info bad = NNOM_TILING_INFO_INIT;
    bad.struct_size = 3;
    TU_CHECK(nnom_model_tiling(m, &bad) == NNOM_ERR_ARGUMENT &&
                 strstr(nnom_model_last_error(m), "nnom_tiling_info.struct_size") != NULL,
             "bad struct_size: '%s'", nnom_model_last_error(m));
    TU_CHECK(nnom_model_tiling(m, NULL) == NNOM_ERR_ARGUMENT, "NULL info");
    /* a caller compiled before kept_band_bytes was appended: read, the bytes past its struct untouched */
    nnom_tiling_info older = NNOM_TILING_INFO_INIT, full = NNOM_TILING_INFO_INIT;
    older.struct_size = (uint32_t)offsetof(nnom_tiling_info, kept_band_bytes);
    older.kept_band_bytes = 0xA5A5A5A5u;
    TU_OK(m, nnom_model_tiling(m, &older));
    TU_OK(m, nnom_model_tiling(m, &full));
    TU_CHECK(older.kept_band_bytes == 0xA5A5A5A5u && older.first_layer == full.first_layer &&
                 older.tiles == full.tiles && older.extra_macs == full.extra_macs,
             "older nnom_tiling_info: kept_band_bytes written or fields differ");
    nnom_model_destroy(m);
    tt_free_chain(&ch);
}

int main(void)
{
    tu_seed(0x711E5ULL);
    check_api();
    for (int t = 0; t < 300; t++) {
        const uint32_t next = tu_rand_u32();
        one_case(t % 2 ? NNOM_DTYPE_F32 : NNOM_DTYPE_S8, t);
        tu_seed(next);
    }
    mobilenet(NNOM_DTYPE_S8);
    mobilenet(NNOM_DTYPE_F32);
    cnn28();
    printf("test_tiling: %d random chains, %d tiled (%d keeping halo rows), %d keeping them in the fastest plan "
           "below the untiled arena, all equal to the untiled run\n", cases, tiled_cases, kept_cases, fastest_kept_cases);
    TU_CHECK(tiled_cases > cases / 3, "only %d of %d chains tiled", tiled_cases, cases);
    TU_CHECK(fastest_kept_cases > tiled_cases / 4, "only %d of %d tiled chains kept halo rows in the fastest plan",
             fastest_kept_cases, tiled_cases);
    return tu_finish("test_tiling");
}

