/*
 * The group-plane path of the Cortex-M DSP depthwise convolution: a part of
 * kernels/arm/depthwise_conv_s8.c, which includes it after its row helpers
 * (dw_k, dw_row_fn, row_fn(), quad3_form_of()) and its constants (DW_GP_BUF,
 * DW_GP_SLACK, DW_NARROW); not a header of its own. What it computes and when
 * the kernel takes it: see there (group_planes(), gp_wins()).
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_GROUP_PLANES_H
#define NNOM_KERNELS_ARM_DEPTHWISE_GROUP_PLANES_H

/* The group-plane path's view of the layer (transposed as the planar path would walk it), the
 * pitch of its images' rows, the output lines per strip (the input rows they read gathered at
 * once: as many as four images of DW_GP_BUF hold) and the image rows of a strip; 0 when not one
 * line fits. */
/* A 3x3 stride-1 plane five outputs wide, no clamp beyond int8 (DS-CNN's 25 x 5): its rows are
 * lines of five (depthwise_hex3.h), one loop pass each, so the group-plane path walks it as it is,
 * not transposed (measured 25 x 5 x 64: 2.14 -> 1.93 instructions per multiply-accumulate, 3.26 ->
 * 2.81 estimated cycles; its gather 0.33 -> 0.27 instructions per multiply-accumulate). */
static int gp_five(const nnom_conv_args *a)
{
    return a->out_w == PENT3_OUT && a->k_h == 3 && a->k_w == 3 && a->stride_h == 1 && a->stride_w == 1 &&
           a->dil_h == 1 && a->dil_w == 1 && a->act_min == -128 && a->act_max == 127;
}

static int gp_geom(const nnom_conv_args *layer, dw_geom *g, int32_t *pitch, int32_t *strip, int32_t *ph)
{
    *pitch = *strip = *ph = 0;
    if (layer->depth_mult != 1 || layer->out_c < 4 || layer->k_h * ((layer->k_w + 1) >> 1) > DW_GP_PAIRS) return 0;
    *g = geom_of(layer, layer->out_w < DW_NARROW && layer->out_h > layer->out_w && !gp_five(layer));
    const nnom_conv_args *a = &g->a;
    const int32_t reach = (a->k_h - 1) * a->dil_h + 1;
    *pitch = ((a->out_w - 1) * a->stride_w + (a->k_w - 1) * a->dil_w + 2) & ~1;
    const int32_t rows = (DW_GP_BUF - DW_GP_SLACK) / (4 * *pitch);
    if (rows < reach) return 0;
    *strip = (rows - reach) / a->stride_h + 1;
    if (*strip > a->out_h) *strip = a->out_h;
    *ph = (*strip - 1) * a->stride_h + reach;
    return 1;
}

/* Lines of three outputs (depthwise_tri3.h): a 3x3 kernel, the same stride (1 or 2) both ways, no
 * dilation, no clamp beyond int8, images of its pitch, at most TRI3_MAX_LINES lines (MobileNets' 3 x 3
 * planes; a plane three wide and taller is walked transposed). Not in the compact forms
 * (NNOM_COMPACT_KERNELS: about 4 KB of flash; those planes then take the channel groups). */
enum { TRI3_MAX_LINES = 3, TRI3_MAX_ROWS = (TRI3_MAX_LINES - 1) * 2 + 3 };
static int gp_tri(const nnom_conv_args *a, int32_t pitch)
{
    return !NNOM_COMPACT_KERNELS && a->out_w == TRI3_OUT && a->out_h <= TRI3_MAX_LINES && a->k_h == 3 && a->k_w == 3 && a->dil_h == 1 &&
           a->dil_w == 1 && a->stride_h == a->stride_w && a->act_min == -128 && a->act_max == 127 &&
           ((a->stride_w == 1 && pitch == TRI3_PITCH_S1) || (a->stride_w == 2 && pitch == TRI3_PITCH_S2));
}

/* Lines of three of a group's four channels (outputs from o, image j at img + j * plane) from the
 * blocks b (their weights packed, step and o_line set): the four in one call when they share a
 * form, else each channel not in DW_GEN in a call of its own; whether all four ran (else the
 * caller runs the DW_GEN ones). Every channel not in DW_GEN runs here: group_setup3() gave it a
 * form of the line loops (ZP, U, Z or L: DW_ALLOW_L, never DW_E), and a DW_L channel must not go
 * to the C rows (row_fn()'s choice for lines under four outputs computes the U form, whose sign
 * term L has not: off by one on every negative product). */
enum { TRI3_BLOCK_WORDS = (int)(sizeof(tri3_args) / sizeof(uint32_t)) };
static int tri_group(const nnom_conv_args *a, const dw_chan q[4], int8_t *o, int32_t lines, tri3_args b[TRI3_GROUP],
                     const int16_t *img, int32_t plane, int32_t pitch)
{
    quad3_form f[TRI3_GROUP];
    int gen = 0, same = 1;
    for (int32_t j = 0; j < TRI3_GROUP; j++) {
        tri3_args *t = &b[j];
        t->r = img + j * plane;
        t->o = o + j;
        t->r_end = t->r + lines * a->stride_h * pitch;
        t->init = q[j].init;
        t->mult = q[j].mult;
        t->c = q[j].c;
        t->e = q[j].e;
        gen |= q[j].mode == DW_GEN;
        f[j] = q[j].mode == DW_GEN ? QUAD3_ZP : quad3_form_of(q[j].mode, q[j].e, a->out_zp);
        same &= f[j] == f[0];
    }
    if (!gen && same) {
        tri3_run(b, TRI3_GROUP, a->stride_w, f[0]);
        return 1;
    }
    for (int32_t j = 0; j < TRI3_GROUP; j++)
        if (q[j].mode != DW_GEN) tri3_run(&b[j], 1, a->stride_w, f[j]);
    return !gen;
}

/* The form of the lines of six that serve channel q (not DW_GEN): ZP as U (hex3_run()), and with
 * the output zero point -128, L as Z (whose shift, e = 0 for DW_L, then changes nothing). */
static quad3_form hex_form(const dw_chan *q, int32_t zp)
{
    const quad3_form form = quad3_form_of(q->mode, q->e, zp);
    return form == QUAD3_ZP ? QUAD3_U : (form == QUAD3_L && zp == -128 ? QUAD3_Z : form);
}

/* The blocks of hex_group() in what every group of a call shares: channel j's image plane int16
 * apart from img, the output step, the links of hex3_run_group(); each channel's weights go
 * straight into its block (group_setup3()'s w_step HEX3_BLOCK_WORDS). */
/* (a plane of lines of six is at most six lines: a narrower plane than DW_NARROW taller than wide
 * is walked transposed; so its channels never repay DW_E, dw_allow()) */
typedef char nnom_hex_no_e[(int)HEX3_OUT < (int)DW_NARROW && HEX3_OUT / 4 * HEX3_OUT < (int)DW_E_MIN_QUADS ? 1 : -1];
enum { HEX3_BLOCK_WORDS = (int)(sizeof(quad3_args) / sizeof(uint32_t)) };
typedef char nnom_hex3_block_words_ok[sizeof(quad3_args) % sizeof(uint32_t) == 0 ? 1 : -1];
static void hex_blocks(quad3_args qa[HEX3_GROUP], const int16_t *img, int32_t plane, int32_t step)
{
    for (int32_t j = 0; j < HEX3_GROUP; j++) {
        qa[j].r0 = img + j * plane;
        qa[j].step = step;
    }
    hex3_link_group(qa);
}

/* Lines of six of a group's four channels (outputs from o) in one call of the line loops, from
 * the blocks qa (hex_blocks(), their weights packed), when the four share a form of hex_form()
 * (hex3_run_group()); whether they did. */
static int hex_group(const nnom_conv_args *a, const dw_chan q[4], int8_t *o, int32_t lines,
                     quad3_args qa[HEX3_GROUP])
{
    if (q[0].mode == DW_GEN) return 0;
    const quad3_form form = hex_form(&q[0], a->out_zp);
    for (int32_t j = 1; j < HEX3_GROUP; j++)
        if (q[j].mode == DW_GEN || hex_form(&q[j], a->out_zp) != form) return 0;
    if (form >= QUAD3_E_LO_FORM) return 0;
    for (int32_t j = 0; j < HEX3_GROUP; j++) {
        quad3_args *b = &qa[j];
        b->o = o + j;
        b->r0_end = b->r0 + lines * HEX3_PITCH;
        b->init = q[j].init;
        b->mult = q[j].mult;
        b->c = q[j].c;
        b->e = q[j].e;
    }
    hex3_run_group(qa, form);
    return 1;
}

/* What dw_gather4 reads of the view g for images of @p pitch int16 and @p plane int16 each (the
 * caller sets top, ph and in; no padding written yet). */
static inline void gather_args(dw_gather4_args *ga, const dw_geom *g, int32_t pitch, int32_t plane)
{
    ga->rs = g->in_rs;
    ga->cs = g->in_cs;
    ga->h = g->a.in_h;
    ga->w = g->a.in_w;
    ga->left = g->a.pad_left;
    ga->pitch = pitch;
    ga->plane = plane / 2;
    ga->zp = g->a.in_zp;
    ga->pad_done = 0;
}

/* The group-plane path on planes of lines of three (gp_tri(): one strip), channels [c_start, n4):
 * each group's input plane gathered (the rows of padding for the first group only), its four
 * channels set up into the blocks of tri_group() and run in one call (channels in DW_GEN: the
 * planar path's C rows). The output may overwrite the input (each group reads its channels before
 * writing them). Measured
 * 3 x 3 x 256: 7.39 -> 6.17 estimated cycles per multiply-accumulate against the channel groups'
 * padded copy; 6 x 6 x 128 at stride 2: 8.24 -> 7.59. */
typedef char nnom_tri3_lines_ok[(int)TRI3_MAX_LINES < (int)DW_NARROW ? 1 : -1];
__attribute__((noinline)) static void group_tri(const dw_geom *g, const int8_t *in, int8_t *out, int32_t c_start,
                                                int32_t n4, int32_t pitch, int32_t ph)
{
    int16_t img[4 * TRI3_MAX_ROWS * TRI3_PITCH_S2 + DW_GP_SLACK] __attribute__((aligned(4)));
    tri3_args b[TRI3_GROUP];
    const nnom_conv_args *a = &g->a;
    const int32_t plane = ph * pitch, lines = a->out_h;
    img[4 * plane] = img[4 * plane + 1] = 0;
    dw_gather4_args ga;
    gather_args(&ga, g, pitch, plane);
    ga.top = a->pad_top;
    ga.ph = ph;
    for (int32_t j = 0; j < TRI3_GROUP; j++) {
        b[j].step = (int32_t)g->out_cs;
        b[j].o_line = (int32_t)g->out_rs;
    }
    for (int32_t c0 = c_start; c0 < n4; c0 += 4) {
        dw_chan q[4];
        ga.in = in + c0;
        dw_gather4(&ga, img);
        ga.pad_done = 1;
        group_setup3(g, c0, q, b[0].w, TRI3_BLOCK_WORDS, DW_ALLOW_L);
        if (tri_group(a, q, out + c0, lines, b, img, plane, pitch)) continue;
        for (int32_t j = 0; j < 4; j++) {
            if (q[j].mode != DW_GEN) continue;
            const int16_t *rows[3] = {img + j * plane, img + j * plane + pitch, img + j * plane + 2 * pitch};
            dw_k k;
            dw_k_set(&k, &q[j], a);
            row_fn(a->stride_w == 1 ? DW_SHAPE_S1 : DW_SHAPE_S2, DW_GEN, 1)(g, rows, b[j].w, TRI3_OUT, out + c0 + j, &k,
                                                                         lines, a->stride_h * pitch);
        }
    }
}

/* Channels [c_start, n4) (both multiples of 4, depth multiplier 1) of the view g, pitch, strip and ph
 * that gp_geom() gave (held: the caller's test made them, not made again), four at a time,
 * in strips of output lines: the input rows of a strip of the group gathered at once into four
 * images of int16 (depthwise_gather4.h), padding included, then each channel's lines of the
 * strip by the planar path's row loops. With one strip (the whole plane), each group reads its
 * own channels before it writes them: the output may overwrite the input. */
__attribute__((noinline)) static void group_planes(const dw_geom *g, int32_t pitch, int32_t strip, int32_t ph,
                                                   const int8_t *in, int8_t *out, int32_t c_start, int32_t n4)
{
    /* the four images; for lines of six, the blocks of hex_group() ahead of them where all fit */
    union {
        int16_t img[DW_GP_BUF];
        quad3_args hex[HEX3_GROUP];
    } buf;
    uint32_t wp4[4][DW_GP_PAIRS];
    if (gp_tri(&g->a, pitch)) {
        group_tri(g, in, out, c_start, n4, pitch, ph);
        return;
    }
    const nnom_conv_args *a = &g->a;
    const dw_shape shape = a->k_w == 3 && a->dil_w == 1 && a->stride_w <= 2
                               ? (a->stride_w == 1 ? DW_SHAPE_S1 : DW_SHAPE_S2)
                               : DW_SHAPE_ANY;
    const int no_clamp = a->act_min == -128 && a->act_max == 127;
    /* the assembly line loops, called directly: 3x3, stride 1, lines of 4 and more, no clamp */
    const int quads = no_clamp && shape == DW_SHAPE_S1 && a->k_h == 3 && a->stride_h == 1 && a->out_w >= 4;
    const int32_t plane = ph * pitch, reach = (a->k_h - 1) * a->dil_h + 1;
    /* lines of five or six outputs: one pass each (depthwise_hex3.h) */
    const int hex = quads && (a->out_w == HEX3_OUT || a->out_w == PENT3_OUT) && pitch == HEX3_PITCH &&
                    g->out_rs == a->out_w * g->out_cs;
    quad3_args qa;
    quad3_shape(&qa, a->out_w, (int32_t)g->out_cs, pitch, g->out_rs);
    dw_gather4_args ga;
    gather_args(&ga, g, pitch, plane);
    const int32_t blocks = (int32_t)(sizeof buf.hex / (sizeof(int16_t))); /* (int16 of the blocks) */
    const int hex_grouped = hex && a->out_w == HEX3_OUT && blocks + 4 * plane + DW_GP_SLACK <= DW_GP_BUF;
    int16_t *const img = buf.img + (hex_grouped ? blocks : 0);
    img[4 * plane] = img[4 * plane + 1] = 0;
    /* lines of six grouped: each channel's packed weights in its block of hex_group() */
    if (hex_grouped) hex_blocks(buf.hex, img, plane, (int32_t)g->out_cs);
    for (int32_t c0 = c_start; c0 < n4; c0 += 4) {
        ga.in = in + c0;
        dw_chan q[4];
        /* (lines of six: never DW_E, too few quads; the blocks' stride known at each call) */
        if (hex_grouped) group_setup3(g, c0, q, buf.hex[0].w, HEX3_BLOCK_WORDS, DW_ALLOW_L);
        else if (shape != DW_SHAPE_ANY)
            group_setup3(g, c0, q, wp4[0], DW_GP_PAIRS, quads ? dw_allow(a->out_w / 4 * a->out_h) : 0);
        else
            for (int32_t j = 0; j < 4; j++) channel_setup(g, shape, c0 + j, &q[j], wp4[j], 0);
        for (int32_t oy0 = 0; oy0 < a->out_h; oy0 += strip) {
            const int32_t lines = a->out_h - oy0 < strip ? a->out_h - oy0 : strip;
            ga.top = a->pad_top - oy0 * a->stride_h;
            ga.ph = (lines - 1) * a->stride_h + reach;
            dw_gather4(&ga, img);
            ga.pad_done = strip == a->out_h; /* (one strip: every group's padding rows are the same) */
            if (hex_grouped && hex_group(a, q, out + oy0 * g->out_rs + c0, lines, buf.hex)) continue;
            for (int32_t j = 0; j < 4; j++) {
                const uint32_t *const wj = hex_grouped ? buf.hex[j].w : wp4[j];
                const int16_t *rows[DW_MAX_ROWS];
                for (int32_t r = 0; r < a->k_h; r++) rows[r] = img + j * plane + r * a->dil_h * pitch;
                int8_t *o = out + oy0 * g->out_rs + c0 + j;
                if (quads && q[j].mode != DW_GEN) { /* (what row_fn's choice would call) */
                    const quad3_form form = quad3_form_of(q[j].mode, q[j].e, a->out_zp);
                    if (hex && hex3_form_ok(form, a->out_w)) {
                        hex3_run(&qa, a->out_w, form, rows[0], wj, o, (int32_t)g->out_cs, q[j].init, q[j].mult, q[j].c,
                                 q[j].e, lines);
                        continue;
                    }
                    quad3_run(&qa, 1, form, rows, wj, o, q[j].init, q[j].mult, q[j].c, q[j].e, lines,
                              a->out_w & ~3);
                    continue;
                }
                dw_k k;
                dw_k_set(&k, &q[j], a);
                row_fn(shape, q[j].mode, no_clamp)(g, rows, wj, a->out_w, o, &k, lines, a->stride_h * pitch);
            }
        }
    }
}

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_GROUP_PLANES_H */
