/*
 * TFLite's integer LSTM (kernels/lstm_tflite.h, an LSTM layer with
 * NNOM_RNN_TFLITE), against double maths:
 *  - TFLite's sigmoid table: every entry within one unit of sigmoid(k / 24)
 *    in Q16, nondecreasing;
 *  - the int16 sigmoid and tanh, on every int16 input, within a few Q15 units
 *    of the functions (interpolation between table entries spaced 1/24);
 *  - the kernel, one step at a time from its own state: the hidden state is
 *    the double LSTM step's, rounded (within 0.6 of a step), the cell state
 *    within a few of its steps; random sizes, zero points, scales and cell
 *    clips;
 *  - a layer made by hand: its output equals the kernel's, its state reads
 *    back in real units; and the layer's checks (bad constants, blobs, flags,
 *    activations, float32) refused with messages naming the problem.
 * The end-to-end check against TFLite Micro is test_tflite (lstm_last, lstm_seq).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/lstm_tflite.h"
#include "nnom/nnom.h"
#include "test_util.h"

#define Q15 32768.0
#define GATE_SCALE (1.0 / 4096.0)

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static void test_table(void)
{
    int worst = 0, monotone = 1;
    for (int k = 0; k < 256; k++) {
        const int d = abs((int)nnom_tflite_sigmoid_table[k] - (int)lround(65536.0 * sigmoid(k / 24.0)));
        if (d > worst) worst = d;
        if (k && nnom_tflite_sigmoid_table[k] < nnom_tflite_sigmoid_table[k - 1]) monotone = 0;
    }
    TU_CHECK(worst <= 1 && monotone, "sigmoid table: worst entry %d units off sigmoid(k/24) in Q16, monotone %d", worst,
             monotone);
}

/* Largest error (in Q15 units) of the int16 activations over every int16 input. */
static void test_activations(void)
{
    double worst_s = 0.0, worst_sym = 0.0;
    for (int32_t x = INT16_MIN; x <= INT16_MAX; x++) {
        const int32_t y = nnom_tflite_sigmoid_s16((int16_t)x);
        const double e = fabs(y - Q15 * sigmoid(x * GATE_SCALE));
        if (e > worst_s) worst_s = e;
        if (x > INT16_MIN) {
            const double sym = fabs(y + nnom_tflite_sigmoid_s16((int16_t)-x) - Q15);
            if (sym > worst_sym) worst_sym = sym;
        }
    }
    /* the table's own rounding (1 in Q16) and the linear interpolation (h^2/8 max|f''| with h = 1/24) */
    TU_CHECK(worst_s <= 2.0, "sigmoid: %g Q15 units off", worst_s);
    TU_CHECK(worst_sym <= 1.0, "sigmoid: s(x) + s(-x) is %g units off one", worst_sym);
    static const int32_t powers[] = {-12, -14, -11, -15, -8, 0};
    for (size_t n = 0; n < sizeof powers / sizeof powers[0]; n++) {
        double worst_t = 0.0;
        for (int32_t x = INT16_MIN; x <= INT16_MAX; x++) {
            const double e = fabs(nnom_tflite_tanh_s16((int16_t)x, powers[n]) - Q15 * tanh(ldexp(x, powers[n])));
            if (e > worst_t) worst_t = e;
        }
        /* tanh(x) = 2 sigmoid(2x) - 1 doubles the table's errors; saturation at 32767 adds one */
        TU_CHECK(worst_t <= 4.0, "tanh at scale 2^%d: %g Q15 units off", (int)powers[n], worst_t);
    }
}

typedef struct lstm_case {
    int32_t in, units;
    int8_t w[4 * 9 * 11], u[4 * 9 * 9];
    int32_t bias[4 * 9], requant[4 * 4 * 9];
    double sx, sh, sc;     /* input, hidden, cell scales */
    double sw[4], su[4];   /* per gate */
    int32_t p;             /* cell scale 2^p */
    nnom_lstm_tflite_s8_args a;
} lstm_case;

static void make_case(lstm_case *c, int32_t in, int32_t units)
{
    memset(c, 0, sizeof *c);
    c->in = in;
    c->units = units;
    const int32_t rows = 4 * units;
    tu_fill_s8(c->w, (size_t)rows * in, -127, 127);
    tu_fill_s8(c->u, (size_t)rows * units, -127, 127);
    c->sx = ldexp(1.0 + tu_rand_int(0, 99) / 100.0, -7);
    c->sh = ldexp(1.0 + tu_rand_int(0, 99) / 100.0, -8);
    c->p = tu_rand_int(-13, -10);
    c->sc = ldexp(1.0, c->p);
    nnom_lstm_tflite_s8_args *a = &c->a;
    for (int g = 0; g < 4; g++) {
        /* pre-activations up to about +-6 */
        c->sw[g] = 2.0 / (127.0 * in * 2.0) * (0.5 + tu_rand_int(0, 99) / 100.0);
        c->su[g] = 2.0 / (127.0 * units * 2.0) * (0.5 + tu_rand_int(0, 99) / 100.0);
        int32_t mx, sx, mh, sh;
        tu_ref_multiplier(c->sx * c->sw[g] / GATE_SCALE, &mx, &sx);
        tu_ref_multiplier(c->sh * c->su[g] / GATE_SCALE, &mh, &sh);
        for (int32_t r = g * units; r < (g + 1) * units; r++) {
            c->requant[r] = mx;
            c->requant[rows + r] = sx;
            c->requant[2 * rows + r] = mh;
            c->requant[3 * rows + r] = sh;
            c->bias[r] = tu_rand_int(-(int32_t)(1.0 / (c->sx * c->sw[g])), (int32_t)(1.0 / (c->sx * c->sw[g])));
        }
    }
    a->steps = 1;
    a->in_features = in;
    a->units = units;
    a->return_sequences = 1;
    a->kernel = c->w;
    a->recurrent = c->u;
    a->bias = c->bias;
    a->requant = c->requant;
    tu_ref_multiplier(1.0 / Q15, &a->forget_mult, &a->forget_shift);
    tu_ref_multiplier(1.0 / (Q15 * Q15) / c->sc, &a->input_mult, &a->input_shift);
    tu_ref_multiplier(1.0 / (Q15 * Q15) / c->sh, &a->hidden_mult, &a->hidden_shift);
    a->cell_power = c->p;
    a->cell_clip = 0;
    a->in_zero_point = tu_rand_int(-20, 20);
    a->h_zero_point = tu_rand_int(-20, 20);
}

/* One double LSTM step from the integer state (v, c); h and c in real units. */
static void ref_step(const lstm_case *c, const int8_t *x, const int16_t *v, const int16_t *cq, double *h, double *cell)
{
    const int32_t units = c->units, in = c->in;
    for (int32_t k = 0; k < units; k++) {
        double gate[4];
        for (int g = 0; g < 4; g++) {
            const int32_t r = g * units + k;
            double s = c->bias[r] * c->sx * c->sw[g];
            for (int32_t i = 0; i < in; i++) s += c->w[r * in + i] * c->sw[g] * (x[i] - c->a.in_zero_point) * c->sx;
            for (int32_t j = 0; j < units; j++) s += c->u[r * units + j] * c->su[g] * v[j] * c->sh;
            gate[g] = g == 2 ? tanh(s) : sigmoid(s);
        }
        cell[k] = gate[1] * cq[k] * c->sc + gate[0] * gate[2];
        const double clip = c->a.cell_clip * c->sc;
        if (c->a.cell_clip > 0) cell[k] = cell[k] > clip ? clip : (cell[k] < -clip ? -clip : cell[k]);
        h[k] = gate[3] * tanh(cell[k]);
    }
}

static void test_kernel(void)
{
    static lstm_case c;
    double worst_h = 0.0, worst_c = 0.0;
    int32_t cases = 0, clipped = 0;
    for (int32_t n = 0; n < 40; n++) {
        make_case(&c, tu_rand_int(1, 11), tu_rand_int(1, 9));
        /* half the cases clip c, at about 0.25 to 1 (Keras' LSTM has no clip: not in the TFLite fixtures) */
        if (n % 2) c.a.cell_clip = (int32_t)ldexp(0.25 + tu_rand_int(0, 75) / 100.0, -c.p);
        int16_t state[2 * 9] = {0}, scratch[4 * 9];
        int16_t *v = state, *cq = state + c.units;
        TU_REQUIRE(nnom_lstm_tflite_s8_scratch_bytes(c.units) <= sizeof scratch, "scratch");
        for (int32_t t = 0; t < 12; t++, cases++) {
            int8_t x[11], y[9];
            int16_t v0[9], c0[9];
            double h[9], cell[9];
            tu_fill_s8(x, (size_t)c.in, -128, 127);
            memcpy(v0, v, sizeof v0);
            memcpy(c0, cq, sizeof c0);
            ref_step(&c, x, v0, c0, h, cell);
            nnom_lstm_tflite_s8(&c.a, x, y, state, scratch);
            for (int32_t k = 0; k < c.units; k++) {
                const double want = h[k] / c.sh + c.a.h_zero_point;
                const double eh = fabs(y[k] - (want > 127 ? 127 : (want < -128 ? -128 : want)));
                const double ec = fabs(cq[k] - cell[k] / c.sc);
                if (eh > worst_h) worst_h = eh;
                if (ec > worst_c) worst_c = ec;
                clipped += c.a.cell_clip > 0 && (cq[k] == c.a.cell_clip || cq[k] == -c.a.cell_clip);
                TU_CHECK(v[k] == y[k] - c.a.h_zero_point, "state v is h - zero point");
            }
        }
    }
    /* h: rounding (0.5) plus the Q15 gates' errors (about 1e-4 against a step of 1/256 or more) */
    TU_CHECK(worst_h <= 0.6, "kernel: h %g steps off the double LSTM (%d cases)", worst_h, (int)cases);
    /* c: f c and i g at Q15 with c up to about 2 (2^13 steps of 2^-13): a few steps */
    TU_CHECK(worst_c <= 4.0, "kernel: c %g steps off the double LSTM (%d cases)", worst_c, (int)cases);
    TU_CHECK(clipped > 0, "kernel: no cell value reached its clip");
    printf("kernel: %d steps, h within %.3f, c within %.3f steps of the double LSTM; %d cell values clipped\n",
           (int)cases, worst_h, worst_c, (int)clipped);
}

static int32_t f32_bits(float f)
{
    int32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

typedef void (*tweak_fn)(nnom_layer_desc *d, int32_t *k);

/* An int8 model: input (steps, in) -> LSTM (TFLite arithmetic) -> output. */
static nnom_status build(const lstm_case *c, int32_t steps, nnom_dtype dtype, tweak_fn tweak, nnom_model **out)
{
    static int32_t k[NNOM_RNN_CONSTS];
    memset(k, 0, sizeof k);
    k[NNOM_RNN_H_SCALE] = f32_bits((float)c->sh);
    k[NNOM_RNN_C_SCALE] = f32_bits((float)c->sc);
    k[NNOM_RNN_MIX_MULT] = c->a.input_mult;
    k[NNOM_RNN_MIX_SHIFT] = c->a.input_shift;
    k[NNOM_RNN_HID_MULT] = c->a.hidden_mult;
    k[NNOM_RNN_HID_SHIFT] = c->a.hidden_shift;
    k[NNOM_RNN_TFL_FORGET_MULT] = c->a.forget_mult;
    k[NNOM_RNN_TFL_FORGET_SHIFT] = c->a.forget_shift;
    k[NNOM_RNN_TFL_H_ZERO_POINT] = c->a.h_zero_point;
    nnom_model *m;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(dtype, NULL, &m, &err) == NNOM_OK, "%s", err.message);
    int32_t id;
    const nnom_quant qx = {(float)c->sx, c->a.in_zero_point}, qh = {(float)c->sh, c->a.h_zero_point};
    TU_OK(m, nnom_model_add_input(m, "seq", (nnom_shape){2, {steps, c->in, 0}}, qx, &id));
    const int32_t rows = 4 * c->units;
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = NNOM_LAYER_LSTM;
    d.name = "lstm";
    d.n_inputs = 1;
    d.inputs[0] = id;
    d.params.units = c->units;
    d.params.cell_flags = NNOM_RNN_RETURN_SEQUENCES | NNOM_RNN_TFLITE;
    d.params.activations = NNOM_RNN_ACTIVATIONS(NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID);
    d.blobs[0] = (nnom_blob){c->w, (uint32_t)(rows * c->in)};
    d.blobs[1] = (nnom_blob){c->u, (uint32_t)(rows * c->units)};
    d.blobs[2] = (nnom_blob){c->bias, (uint32_t)rows * 4u};
    d.blobs[3] = (nnom_blob){c->requant, (uint32_t)rows * 16u};
    d.blobs[5] = (nnom_blob){k, sizeof k};
    d.quant = qh;
    if (tweak) tweak(&d, k);
    nnom_status st = nnom_model_add_layer(m, &d, &id);
    if (st == NNOM_OK) {
        nnom_layer_desc_init(&d);
        d.type = NNOM_LAYER_OUTPUT;
        d.name = "y";
        d.n_inputs = 1;
        d.inputs[0] = id;
        st = nnom_model_add_layer(m, &d, NULL);
    }
    *out = m;
    return st == NNOM_OK ? nnom_model_compile(m) : st;
}

static void test_layer(void)
{
    static lstm_case c;
    make_case(&c, 5, 7);
    enum { STEPS = 6 };
    nnom_model *m;
    TU_REQUIRE(build(&c, STEPS, NNOM_DTYPE_S8, NULL, &m) == NNOM_OK, "%s", nnom_model_last_error(m));
    TU_OK(m, nnom_model_alloc_arena(m));
    int8_t x[STEPS * 5], y[STEPS * 7], want[STEPS * 7];
    tu_fill_s8(x, sizeof x, -128, 127);
    TU_OK(m, nnom_model_set_input_s8(m, 0, x, sizeof x));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_s8(m, 0, y, sizeof y));
    int16_t state[2 * 7] = {0}, scratch[4 * 7];
    c.a.steps = STEPS;
    nnom_lstm_tflite_s8(&c.a, x, want, state, scratch);
    TU_CHECK(memcmp(y, want, sizeof y) == 0, "layer: output differs from the kernel's");
    float h[7], cell[7];
    TU_OK(m, nnom_model_state(m, 1, 0, h, 7));
    TU_OK(m, nnom_model_state(m, 1, 1, cell, 7));
    for (int k = 0; k < 7; k++) {
        TU_CHECK(h[k] == (float)c.sh * (float)(want[(STEPS - 1) * 7 + k] - c.a.h_zero_point), "state h[%d] is %g", k,
                 h[k]);
        TU_CHECK(cell[k] == (float)c.sc * state[7 + k], "state c[%d] is %g", k, cell[k]);
    }
    /* a second run starts afresh (not stateful) */
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_s8(m, 0, y, sizeof y));
    TU_CHECK(memcmp(y, want, sizeof y) == 0, "layer: a second run differs");
    nnom_model_destroy(m);
}

static void bad_c_scale(nnom_layer_desc *d, int32_t *k) { (void)d; k[NNOM_RNN_C_SCALE] = f32_bits(0.0003f); }
static void bad_c_power(nnom_layer_desc *d, int32_t *k) { (void)d; k[NNOM_RNN_C_SCALE] = f32_bits(8.0f); }
static void bad_clip(nnom_layer_desc *d, int32_t *k) { (void)d; k[NNOM_RNN_TFL_CELL_CLIP] = -1; }
static void bad_zp(nnom_layer_desc *d, int32_t *k) { (void)d; k[NNOM_RNN_TFL_H_ZERO_POINT] = 200; }
static void bad_forget(nnom_layer_desc *d, int32_t *k) { (void)d; k[NNOM_RNN_TFL_FORGET_SHIFT] = 40; }
static void bad_hidden(nnom_layer_desc *d, int32_t *k) { (void)d; k[NNOM_RNN_HID_MULT] = -5; }
static int16_t table[3 * 513];
static void with_tables(nnom_layer_desc *d, int32_t *k) { (void)k; d->blobs[4] = (nnom_blob){table, sizeof table}; }
static void backwards(nnom_layer_desc *d, int32_t *k) { (void)k; d->params.cell_flags |= NNOM_RNN_GO_BACKWARDS; }
static void hard_sigmoid(nnom_layer_desc *d, int32_t *k)
{
    (void)k;
    d->params.activations = NNOM_RNN_ACTIVATIONS(NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_HARD_SIGMOID);
}
static void gru(nnom_layer_desc *d, int32_t *k) { (void)k; d->type = NNOM_LAYER_GRU; }
static void bad_requant(nnom_layer_desc *d, int32_t *k)
{
    (void)k;
    static int32_t q[4 * 4 * 7];
    memcpy(q, d->blobs[3].data, sizeof q);
    q[3 * 28 + 2] = 31;
    d->blobs[3].data = q;
}

static void test_bad_layers(void)
{
    static lstm_case c;
    make_case(&c, 5, 7);
    static const struct {
        tweak_fn tweak;
        nnom_status status;
        const char *needle;
    } bad[] = {
        {bad_c_scale, NNOM_ERR_ARGUMENT, "c scale, float bits 0x399d4952) must be a power of two from 2^-30 to 2^2"},
        {bad_c_power, NNOM_ERR_ARGUMENT, "must be a power of two"},
        {bad_clip, NNOM_ERR_ARGUMENT, "constants[10] (cell clip) is -1, expected 0 (none) to 32767"},
        {bad_zp, NNOM_ERR_ARGUMENT, "constants[11] (hidden zero point) is 200"},
        {bad_forget, NNOM_ERR_ARGUMENT, "constants[8, 9] (f c -> c multiplier, shift)"},
        {bad_hidden, NNOM_ERR_ARGUMENT, "(o tanh(c) -> h multiplier, shift) are -5"},
        {with_tables, NNOM_ERR_SHAPE, "none (TFLite's activation table is the kernel's)"},
        {backwards, NNOM_ERR_UNSUPPORTED, "runs forwards, with tanh and sigmoid (here: int8, backwards"},
        {hard_sigmoid, NNOM_ERR_UNSUPPORTED, "activations 0x200"},
        {gru, NNOM_ERR_UNSUPPORTED, "unknown bits 0x20"},
        {bad_requant, NNOM_ERR_ARGUMENT, "row 2: recurrent multiplier"},
    };
    for (size_t n = 0; n < sizeof bad / sizeof bad[0]; n++) {
        nnom_model *m;
        const nnom_status st = build(&c, 4, NNOM_DTYPE_S8, bad[n].tweak, &m);
        const char *msg = nnom_model_last_error(m);
        TU_CHECK(st == bad[n].status && strstr(msg, "layer 'lstm'") && strstr(msg, bad[n].needle),
                 "bad layer %d: status %d, message: %s", (int)n, (int)st, msg);
        if (n == 0) printf("refused: %s\n", msg);
        nnom_model_destroy(m);
    }
    nnom_model *m;
    const nnom_status st = build(&c, 4, NNOM_DTYPE_F32, NULL, &m);
    TU_CHECK(st == NNOM_ERR_UNSUPPORTED && strstr(nnom_model_last_error(m), "is int8 only"),
             "float32 model: status %d, %s", (int)st, nnom_model_last_error(m));
    nnom_model_destroy(m);
}

int main(void)
{
    tu_seed(20261205);
    test_table();
    test_activations();
    test_kernel();
    test_layer();
    test_bad_layers();
    return tu_finish("test_lstm_tflite");
}
