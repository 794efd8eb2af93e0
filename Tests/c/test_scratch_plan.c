/*
 * The scratch a plan reserves, per kernel set, and the room it gives beyond it.
 *
 * A model input (8x8 with in_c channels, never written over) feeds one 3x3
 * SAME convolution to out_c channels, then the output: the arena is exactly
 * input + output + the convolution's least scratch for the kernels the plan is
 * for, each part rounded to 4 bytes. The least scratch is computed here from
 * the kernels' documented layouts (kernels/conv.h): portable, the int16
 * columns of the patch padded to 16 elements of 4, 2 or 1 pixels within 512
 * bytes; Cortex-M DSP, its four pixels' columns while they take at most 512
 * bytes, else, in_c a multiple of 4, the four pixels' columns over half the
 * patch's groups of 4 (CMSIS-NN's two columns), or one column and the staged
 * int8 patch. Then: the host's
 * own plan equals nnom_model_arena_size_for() of its kernels, asking for the
 * other set leaves the model's plan and outputs as they were, and a
 * convolution whose arena has room takes its full-speed scratch.
 */
#include <string.h>

#include "core/model_internal.h"
#include "model_util.h"
#include "test_util.h"

static int8_t weights[3 * 3 * 64 * 64];
static int32_t bias[64], mult[64], shift[64];

static uint32_t r4(uint32_t v) { return (v + 3u) & ~3u; }

/* input (8, 8, in_c) -> conv 3x3 SAME out_c -> output */
static nnom_model *conv_model(int32_t in_c, int32_t out_c)
{
    nnom_model *m = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_S8, NULL, &m, &err) == NNOM_OK, "create: %s", err.message);
    nnom_shape sh = {3, {8, 8, in_c}};
    const nnom_quant q = {0.05f, -3};
    int32_t id = -1;
    TU_OK(m, nnom_model_add_input(m, "x", sh, q, &id));
    tu_fill_s8(weights, (size_t)(9 * in_c * out_c), -127, 127);
    tu_fill_s32(bias, (size_t)out_c, -1000, 1000);
    for (int32_t c = 0; c < out_c; c++) tu_ref_multiplier(0.003 * tu_rand_float(0.5f, 2.0f), &mult[c], &shift[c]);
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = NNOM_LAYER_CONV2D;
    d.name = "conv";
    d.n_inputs = 1;
    d.inputs[0] = id;
    d.params.kernel[0] = d.params.kernel[1] = 3;
    d.params.padding = NNOM_PADDING_SAME;
    d.params.units = out_c;
    d.blobs[0] = (nnom_blob){weights, (uint32_t)(9 * in_c * out_c)};
    d.blobs[1] = (nnom_blob){bias, (uint32_t)out_c * 4u};
    d.blobs[2] = (nnom_blob){mult, (uint32_t)out_c * 4u};
    d.blobs[3] = (nnom_blob){shift, (uint32_t)out_c * 4u};
    d.quant = (nnom_quant){0.1f, 5};
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    tu_add_output(m, id, "y");
    TU_OK(m, nnom_model_compile(m));
    return m;
}

static void one_case(int32_t in_c, int32_t out_c)
{
    const uint32_t k = (uint32_t)(9 * in_c), groups = (k + 3) / 4;
    const uint32_t col = (k + 15) / 16 * 16 * 2, portable = 4 * col <= 512 ? 4 * col : (2 * col <= 512 ? 2 * col : col);
    const uint32_t dsp_fast = 32 * groups + (in_c % 4 ? 4 * groups + 4 : 0);
    const uint32_t dsp = dsp_fast <= 512 ? dsp_fast
                                         : (in_c % 4 ? 8 * groups + 4 * groups + 4 : (groups + 1) / 2 * 32);
    const uint32_t io = r4((uint32_t)(64 * in_c)) + r4((uint32_t)(64 * out_c));
    nnom_model *m = conv_model(in_c, out_c);
    uint32_t least = 0, fast = 0;
    TU_OK(m, nnom_model_layer_scratch(m, 1, NNOM_KERNELS_PORTABLE, &least, &fast));
    TU_CHECK(least == portable, "in_c %d: portable least scratch %u, expected %u", (int)in_c, (unsigned)least,
             (unsigned)portable);
    TU_OK(m, nnom_model_layer_scratch(m, 1, NNOM_KERNELS_CORTEX_M_DSP, &least, &fast));
    TU_CHECK(least == dsp, "in_c %d: DSP least scratch %u, expected %u", (int)in_c, (unsigned)least, (unsigned)dsp);
    TU_CHECK(least <= (16 * groups + 16 > 512 ? 16 * groups + 16 : 512) || in_c % 4,
             "in_c %d: DSP least scratch %u above two int16 columns", (int)in_c, (unsigned)least);

    const size_t own = nnom_model_arena_size(m);
    const nnom_kernels build = nnom_build_kernels();
    TU_CHECK(own == io + (build == NNOM_KERNELS_CORTEX_M_DSP ? dsp : portable), "in_c %d: arena %zu, expected %u",
             (int)in_c, own, (unsigned)(io + (build == NNOM_KERNELS_CORTEX_M_DSP ? dsp : portable)));
    TU_CHECK(nnom_model_arena_size_for(m, build) == own, "in_c %d: arena for the build's kernels", (int)in_c);

    int8_t x[8 * 8 * 64], before[8 * 8 * 64];
    tu_fill_s8(x, (size_t)(64 * in_c), -128, 127);
    TU_OK(m, nnom_model_alloc_arena(m));
    TU_OK(m, nnom_model_set_input_s8(m, 0, x, (size_t)(64 * in_c)));
    TU_OK(m, nnom_model_run(m));
    memcpy(before, nnom_model_output_data(m, 0), (size_t)(64 * out_c));

    const size_t for_portable = nnom_model_arena_size_for(m, NNOM_KERNELS_PORTABLE);
    const size_t for_dsp = nnom_model_arena_size_for(m, NNOM_KERNELS_CORTEX_M_DSP);
    const size_t for_any = nnom_model_arena_size_for(m, NNOM_KERNELS_ANY);
    TU_CHECK(for_portable == io + portable && for_dsp == io + dsp &&
                 for_any == io + (portable > dsp ? portable : dsp),
             "in_c %d: arenas %zu / %zu / %zu, expected %u / %u / %u", (int)in_c, for_portable, for_dsp, for_any,
             (unsigned)(io + portable), (unsigned)(io + dsp), (unsigned)(io + (portable > dsp ? portable : dsp)));
    TU_CHECK(nnom_model_arena_size(m) == own, "in_c %d: the model's own arena changed", (int)in_c);
    TU_OK(m, nnom_model_run(m));
    TU_CHECK(memcmp(before, nnom_model_output_data(m, 0), (size_t)(64 * out_c)) == 0,
             "in_c %d: outputs differ after planning for other kernels", (int)in_c);
    TU_CHECK(nnom_model_arena_size_for(m, (nnom_kernels)7) == 0 && strstr(nnom_model_last_error(m), "kernels is 7"),
             "a bad kernel set: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);
}

/* Input 8x8x12 -> conv 3x3 to 4 channels -> conv 3x3 to 64 channels -> output, planned for the
 * Cortex-M DSP kernels (whose least scratch for the first conv, 448 bytes, is about half their
 * full-speed 864; the portable kernels' least is their full-speed size): at the first conv
 * only the input (768 bytes) and its 256-byte output are alive, below the 4 KiB the second
 * conv's output needs, so the first takes its full-speed scratch. (Planned only: not run here.) */
static void room_case(void)
{
    nnom_model *m = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_S8, NULL, &m, &err) == NNOM_OK, "create: %s", err.message);
    m->kernels = NNOM_KERNELS_CORTEX_M_DSP;
    nnom_shape sh = {3, {8, 8, 12}};
    int32_t id = -1;
    TU_OK(m, nnom_model_add_input(m, "x", sh, (nnom_quant){0.05f, -3}, &id));
    const int32_t outs[2] = {4, 64}, ins[2] = {12, 4};
    for (int i = 0; i < 2; i++) {
        nnom_layer_desc d;
        nnom_layer_desc_init(&d);
        d.type = NNOM_LAYER_CONV2D;
        d.n_inputs = 1;
        d.inputs[0] = id;
        d.params.kernel[0] = d.params.kernel[1] = 3;
        d.params.padding = NNOM_PADDING_SAME;
        d.params.units = outs[i];
        const uint32_t n_w = (uint32_t)(9 * ins[i] * outs[i]);
        d.blobs[0] = (nnom_blob){weights, n_w};
        d.blobs[1] = (nnom_blob){bias, (uint32_t)outs[i] * 4u};
        d.blobs[2] = (nnom_blob){mult, (uint32_t)outs[i] * 4u};
        d.blobs[3] = (nnom_blob){shift, (uint32_t)outs[i] * 4u};
        d.quant = (nnom_quant){0.1f, 5};
        TU_OK(m, nnom_model_add_layer(m, &d, &id));
    }
    tu_add_output(m, id, NULL);
    TU_OK(m, nnom_model_compile(m));
    uint32_t least = 0, fast = 0;
    TU_OK(m, nnom_model_layer_scratch(m, 1, NNOM_KERNELS_CORTEX_M_DSP, &least, &fast));
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    TU_OK(m, nnom_model_layer_info(m, 1, &info));
    TU_OK(m, nnom_plan_keep(m)); /* the plan behind the layers' offsets */
    const nnom_plan_data *p = m->plan;
    const nnom_buffer *given = &p->buffers[p->layers[1].scratch_buffer]; /* what the kernel gets */
    TU_CHECK(given->offset == m->layers[1].scratch_offset && given->bytes == m->layers[1].scratch_bytes,
             "the layer's scratch is not the plan's");
    TU_CHECK(fast > least && info.scratch_bytes == least && given->bytes >= fast &&
                 given->offset + given->bytes <= nnom_model_arena_size(m),
             "the first conv got %u bytes of scratch at %u (least %u, fast %u, arena %zu)", (unsigned)given->bytes,
             (unsigned)given->offset, (unsigned)least, (unsigned)fast, nnom_model_arena_size(m));
    /* and no buffer alive at that layer overlaps it */
    for (int32_t j = 0; j < p->n_buffers; j++) {
        const nnom_buffer *b = &p->buffers[j];
        if (b == given || b->first > 1 || b->last < 1) continue;
        TU_CHECK(b->offset + b->bytes <= given->offset || given->offset + given->bytes <= b->offset,
                 "buffer %d [%u, +%u) overlaps the grown scratch [%u, +%u)", (int)j, (unsigned)b->offset,
                 (unsigned)b->bytes, (unsigned)given->offset, (unsigned)given->bytes);
    }
    nnom_plan_end(m);
    nnom_model_destroy(m);
}

int main(void)
{
    tu_seed(0x5C4A7C11ULL);
    static const int32_t channels[] = {1, 3, 4, 8, 12, 16, 24, 32, 64};
    for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++)
        for (size_t j = 0; j < sizeof channels / sizeof channels[0]; j += 3) one_case(channels[i], channels[j]);
    room_case();
    return tu_finish("test_scratch_plan");
}
