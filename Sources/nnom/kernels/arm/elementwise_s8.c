/*
 * int8 add, subtract and multiply for Cortex-M cores with the DSP extension:
 * the fast paths of kernels/elementwise_s8.c (which includes this file on
 * such cores), same results bit for bit.
 *
 * Multiply (nnom_mul_s8, the whole kernel): four elements at a time. Both
 * inputs' words are widened to int16 pairs with their zero points removed
 * (SXTAB16), the first input's doubled in both lanes (SADD16: |2 (x - zp)|
 * <= 510), so that one SMULBB / SMULTT gives 2 p, twice the exact product p
 * (|p| <= 65025). Then the output requantisation is nnom_requant32 of
 * kernels/requant.h, exact here since |p| < 2^30 (shift in [-22, -1]):
 *   u = SMMULR(2 p, m),  y = (u - [u < 0] + c) >> e
 * or, when m > 2^30 (then u < 0 exactly when p < 0, kernels/arm/arm_dsp.h),
 *   y = (SMMLAR(2 p, m, c) + (p >> 31)) >> e,   c = 2^(e-1) + zp_out 2^e,
 * SSAT to int8, four bytes packed into a word and clamped to the fused
 * activation by SSUB8 / SEL (two per bound for four lanes). Other shifts:
 * the portable kernel's general form, element by element.
 *
 * Add and subtract (nnom_ew_add_fast, used by the portable kernel when its
 * tables apply and the largest |x1'| + |x2'| is below 2^30): the tables hold
 * 2 x1' and +-2 x2' (the sign of a subtraction folded in; |2 x1' +- 2 x2'| <
 * 2^31), so each output is two byte loads, two table loads, an add and the
 * same requantisation as above with 2 p replaced by 2 (x1' +- x2'): four
 * elements per call of ew_add4 (assembly; -O2: 12.3 estimated Cortex-M4 cycles
 * an element with the tables, add_16x16x32; -Os 15.1). The tables' fill
 * (nnom_ew_fill) is here too.
 *
 * One input linear (nnom_ew_add_lin; x' = (x - zp) q, as the larger-scale
 * input is quantised: m = 2^30, s = 0, q = 2^19), the multiplier above 2^30
 * and no clamp: one table t[x] = +-2 x' of the other input with the linear
 * one's zero point folded in (+-2 q zp), and 2 (x1' +- x2') = t[a] + b k,
 * k = +-2 q, one MLA; ew_lin_run loops over the whole tensor in assembly
 * (-O2: 10.4 estimated Cortex-M4 cycles an element with the table's fill,
 * add_16x16x32; 14.5 on a band of 512, add_1x16x32_band, 14.9 before the fill's STM).
 */
#include "kernels/arm/arm_dsp.h"

/* Compiled only as part of kernels/elementwise_s8.c, which includes this file on cores with DSP. */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)
#include <stddef.h>

#include "kernels/conv.h"
#include "kernels/elementwise.h"
#include "kernels/requant.h"

/* The output requantisation of an element (see above): from twice the exact value @p v2, with
 * m the multiplier, e the right shift in [1, 22] and c = 2^(e-1) + zp 2^e; @p above: m > 2^30. */
#define EW_INLINE static inline __attribute__((always_inline))
EW_INLINE int32_t ew_out(int above, int32_t m, int32_t e, int32_t c, int32_t v2)
{
    if (above) return __ssat((nnom_arm_smmlar(v2, m, c) + (v2 >> 31)) >> e, 8);
    const int32_t u = nnom_arm_smmulr(v2, m);
    return __ssat((u + (u >> 31) + c) >> e, 8);
}

/* w with bits [lsb, lsb + 8) replaced by the low byte of v (BFI). */
EW_INLINE uint32_t ew_bfi8(uint32_t w, int32_t v, const int lsb)
{
    __asm__("bfi %0, %1, %2, #8" : "+r"(w) : "r"(v), "i"(lsb));
    return w;
}

/* With @p clamp, the four int8 lanes of w clamped to the bytes of lo4, hi4 lane by lane (SSUB8 sets
 * a GE flag per lane, SEL picks by them). */
EW_INLINE uint32_t ew_clamp4(int clamp, uint32_t lo4, uint32_t hi4, uint32_t w)
{
    if (clamp) {
        (void)__ssub8(w, lo4); /* GE set in the lanes where w >= lo */
        w = __sel(w, lo4);
        (void)__ssub8(hi4, w); /* GE set where hi >= w */
        w = __sel(w, hi4);
    }
    return w;
}

/* Four results (each in [-128, 127]) as the bytes of a word, clamped as ew_clamp4() does. */
EW_INLINE uint32_t ew_pack4(int clamp, uint32_t lo4, uint32_t hi4, int32_t y0, int32_t y1, int32_t y2, int32_t y3)
{
    return ew_clamp4(clamp, lo4, hi4, ew_bfi8(ew_bfi8(ew_bfi8((uint32_t)y0, y1, 8), y2, 16), y3, 24));
}

/* Two elements of ew_add4 at the addresses L0, L1 (of a pointer): their four loads, then each one's table sum
 * (twice x1' +- x2') and output before the clamp (ew_out(), RQ the form, on x into y); INS0, INS1
 * put them in w. */
#define EW_ADD_TWO(L0, L1, RQ, INS0, INS1)               \
    "ldrsb  %[x0], " L0("p1") "\n\t"                      \
    "ldrsb  %[y0], " L0("p2") "\n\t"                      \
    "ldrsb  %[x1], " L1("p1") "\n\t"                      \
    "ldrsb  %[y1], " L1("p2") "\n\t"                      \
    "ldr    %[x0], [%[t1], %[x0], lsl #2]\n\t"           \
    "ldr    %[y0], [%[t2], %[y0], lsl #2]\n\t"           \
    "ldr    %[x1], [%[t1], %[x1], lsl #2]\n\t"           \
    "ldr    %[y1], [%[t2], %[y1], lsl #2]\n\t"           \
    "add    %[x0], %[x0], %[y0]\n\t"                     \
    "add    %[x1], %[x1], %[y1]\n\t"                     \
    RQ("x0", "y0") RQ("x1", "y1")                        \
    INS0("y0") INS1("y1")
/* ew_out()'s two forms, on X into Y: the multiplier above 2^30, or not */
#define EW_RQ_ABOVE(X, Y)                                \
    "smmlar %[" Y "], %[" X "], %[m], %[c]\n\t"          \
    "add    %[" Y "], %[" Y "], %[" X "], asr #31\n\t"   \
    "asr    %[" Y "], %[" Y "], %[e]\n\t"
#define EW_RQ_BELOW(X, Y)                                \
    "smmulr %[" Y "], %[" X "], %[m]\n\t"                \
    "add    %[" Y "], %[" Y "], %[" Y "], asr #31\n\t"   \
    "add    %[" Y "], %[" Y "], %[c]\n\t"                \
    "asr    %[" Y "], %[" Y "], %[e]\n\t"
#define EW_INS_0(Y) "ssat   %[w], #8, %[" Y "]\n\t"
#define EW_INS_AT(Y, LSB)                                \
    "ssat   %[" Y "], #8, %[" Y "]\n\t"                  \
    "bfi    %[w], %[" Y "], #" LSB ", #8\n\t"
#define EW_INS_8(Y) EW_INS_AT(Y, "8")
#define EW_INS_16(Y) EW_INS_AT(Y, "16")
#define EW_INS_24(Y) EW_INS_AT(Y, "24")
/* the four elements' addresses: the first advances the pointer by 4 (post-index), the others
 * are below it */
#define EW_AT_0(P) "[%[" P "]], #4"
#define EW_AT_1(P) "[%[" P "], #-3]"
#define EW_AT_2(P) "[%[" P "], #-2]"
#define EW_AT_3(P) "[%[" P "], #-1]"
#define EW_ADD4(RQ)                                                                                   \
    __asm__(EW_ADD_TWO(EW_AT_0, EW_AT_1, RQ, EW_INS_0, EW_INS_8)                                       \
                EW_ADD_TWO(EW_AT_2, EW_AT_3, RQ, EW_INS_16, EW_INS_24)                                 \
            : [w] "=&r"(w), [x0] "=&r"(x0), [y0] "=&r"(y0), [x1] "=&r"(x1), [y1] "=&r"(y1),             \
              [p1] "+r"(*in1), [p2] "+r"(*in2)                                                          \
            : [t1] "r"(t1), [t2] "r"(t2), [m] "r"(m), [c] "r"(c), [e] "r"(e)                            \
            : "memory")
/* The outputs of elements (*in1)[0..3], (*in2)[0..3] before the clamp, as the bytes of a word
 * (ew_out() on t1[in1[j]] + t2[in2[j]]), both pointers advanced by 4, in assembly: eight loads in
 * a row per two elements (consecutive loads pipeline), and twelve registers, so that GCC at -Os
 * keeps the tables and constants in registers (its C form there reloaded them from the stack at
 * every element: 18.6 estimated Cortex-M4 cycles an element against 13.2 at -O2). */
EW_INLINE uint32_t ew_add4(const int above, const int8_t **in1, const int8_t **in2, const int32_t *t1,
                           const int32_t *t2, int32_t m, int32_t e, int32_t c)
{
    uint32_t w;
    int32_t x0, y0, x1, y1;
    if (above) EW_ADD4(EW_RQ_ABOVE);
    else EW_ADD4(EW_RQ_BELOW);
    return w;
}

static inline int8_t ew_clamp1(int32_t y, int32_t lo, int32_t hi)
{
    return (int8_t)(y < lo ? lo : (y > hi ? hi : y));
}

/* What a span of elements needs: the output requantisation and clamp. */
typedef struct {
    int32_t m, e, c;    /* multiplier, right shift in [1, 22], 2^(e-1) + zp 2^e */
    int32_t lo, hi;     /* the clamp */
} ew_requant;

static void ew_requant_init(ew_requant *q, int32_t m, int32_t e, int32_t zp, int32_t lo, int32_t hi)
{
    q->m = m;
    q->e = e;
    q->c = nnom_requant32_const(e, zp);
    q->lo = lo;
    q->hi = hi;
}

static inline void ew_store4(int8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* out[r C + i] = clamp(requant(t1[in1[r C + i]] + t2[in2[i]])), i < count = C, r < rows (in2 the same
 * row for every r: a per-channel vector when rows > 1); t1, t2 indexed by int8 values. */
EW_INLINE void ew_add_span_k(const int8_t *in1, const int8_t *in2, int8_t *out, int32_t count, int32_t rows,
                             const int32_t *t1, const int32_t *t2, const ew_requant *q, const int above,
                             const int clamp)
{
    const int32_t m = q->m, e = q->e, c = q->c, lo = q->lo, hi = q->hi;
    const uint32_t lo4 = (uint32_t)(uint8_t)lo * 0x01010101u, hi4 = (uint32_t)(uint8_t)hi * 0x01010101u;
    for (int32_t r = 0; r < rows; r++, in1 += count, out += count) {
        const int8_t *a1 = in1, *a2 = in2, *const end4 = in1 + (count & ~3);
        for (int8_t *o = out; a1 != end4; o += 4)
            ew_store4(o, ew_clamp4(clamp, lo4, hi4, ew_add4(above, &a1, &a2, t1, t2, m, e, c)));
        for (int32_t i = count & ~3; i < count; i++) out[i] = ew_clamp1(ew_out(above, m, e, c, t1[in1[i]] + t2[in2[i]]), lo, hi);
    }
}

/* The four forms of a span: the multiplier above 2^30 or not, a clamp or not. */
static void ew_add_span(const int8_t *in1, const int8_t *in2, int8_t *out, int32_t count, int32_t rows,
                        const int32_t *t1, const int32_t *t2, const ew_requant *q)
{
    const int above = q->m > (1 << 30), clamp = q->lo > INT8_MIN || q->hi < INT8_MAX;
    if (above && clamp) ew_add_span_k(in1, in2, out, count, rows, t1, t2, q, 1, 1);
    else if (above) ew_add_span_k(in1, in2, out, count, rows, t1, t2, q, 1, 0);
    else if (clamp) ew_add_span_k(in1, in2, out, count, rows, t1, t2, q, 0, 1);
    else ew_add_span_k(in1, in2, out, count, rows, t1, t2, q, 0, 0);
}

/*
 * The add / subtract fast path: @p t1, @p t2 are the portable kernel's tables of 2 x1' and +-2 x2'
 * (index: value + 128; the sign of a subtraction folded in), max |x1'| + max |x2'| <= 2^30 - 1,
 * output shift -e in [-22, -1].
 */
static inline void nnom_ew_add_fast(const nnom_elementwise_s8_args *a, const int32_t *t1, const int32_t *t2, int32_t e)
{
    ew_requant q;
    ew_requant_init(&q, a->params[4], e, a->out_zero_point, a->act_lo, a->act_hi);
    const int32_t c = a->channels;
    if (!a->broadcast) ew_add_span(a->in1, a->in2, a->out, a->rows * c, 1, t1 + 128, t2 + 128, &q);
    else ew_add_span(a->in1, a->in2, a->out, c, a->rows, t1 + 128, t2 + 128, &q);
}

/* One pair of ew_lin_run: its loads at the addresses A0, A1 of the two input pointers (STORE, the
 * previous pair's halfword, at the head of the loads), the outputs' bytes in b0. */
#define EW_LIN_PAIR(STORE, A0, A1)                           \
    STORE                                                    \
    "ldrsb  %[a0], " A0("pa") "\n\t"                         \
    "ldrsb  %[a1], " A1("pa") "\n\t"                         \
    "ldrsb  %[b0], " A0("pb") "\n\t"                         \
    "ldrsb  %[b1], " A1("pb") "\n\t"                         \
    "ldr    %[a0], [%[t], %[a0], lsl #2]\n\t"               \
    "ldr    %[a1], [%[t], %[a1], lsl #2]\n\t"               \
    "mla    %[a0], %[b0], %[k], %[a0]\n\t"                  \
    "mla    %[a1], %[b1], %[k], %[a1]\n\t"                  \
    "smmlar %[b0], %[a0], %[m], %[c]\n\t"                   \
    "smmlar %[b1], %[a1], %[m], %[c]\n\t"                   \
    "add    %[b0], %[b0], %[a0], asr #31\n\t"               \
    "add    %[b1], %[b1], %[a1], asr #31\n\t"               \
    "asr    %[b0], %[b0], %[ne]\n\t"                        \
    "asr    %[b1], %[b1], %[ne]\n\t"                        \
    "ssat   %[b0], #8, %[b0]\n\t"                           \
    "ssat   %[b1], #8, %[b1]\n\t"                           \
    "bfi    %[b0], %[b1], #8, #8\n\t"
/* the eight elements' addresses: the first pair's first advances the pointer by 8 (post-index) */
#define EW_LIN_AT0(P) "[%[" P "]], #8"
#define EW_LIN_AT(P, D) "[%[" P "], #-" D "]"
#define EW_LIN_AT1(P) EW_LIN_AT(P, "7")
#define EW_LIN_AT2(P) EW_LIN_AT(P, "6")
#define EW_LIN_AT3(P) EW_LIN_AT(P, "5")
#define EW_LIN_AT4(P) EW_LIN_AT(P, "4")
#define EW_LIN_AT5(P) EW_LIN_AT(P, "3")
#define EW_LIN_AT6(P) EW_LIN_AT(P, "2")
#define EW_LIN_AT7(P) EW_LIN_AT(P, "1")
#define EW_LIN_STORE(AT) "strh   %[b0], " AT "\n\t"

/* The add with one input linear (see above): out[i] = ssat8(requant(t[a[i]] + b[i] k)), i < n, as ew_out()
 * with the multiplier above 2^30 (m > 2^30), no clamp; t indexed by int8 values. Eight elements a pass,
 * two at a time: six loads in a row (consecutive loads pipeline) headed by the previous pair's halfword
 * store, MLA, SMMLAR, the sign, the shift, SSAT, BFI. The shift e (in [1, 22]) shares a register with the
 * passes left (bits 8 on: ASR reads the low byte only). Twelve registers. The last n % 8 in C.
 * -O2: 9.8 estimated Cortex-M4 cycles an element (add_16x16x32's loop). */
static void ew_lin_run(const int8_t *pa, const int8_t *pb, int8_t *out, int32_t n, const int32_t *t, int32_t k,
                       int32_t m, int32_t e, int32_t c)
{
    enum { EW_PASS = 8, EW_PASS_ONE = 1 << 8 }; /* elements a pass; the pass counter's unit in its register */
    int32_t a0, a1, b0, b1;
    const int8_t *const a_end = pa + n;
    int32_t ne = ((n / EW_PASS - 1) * EW_PASS_ONE) | e;
    if (n >= EW_PASS)
        __asm__ volatile("1:\n\t" EW_LIN_PAIR("", EW_LIN_AT0, EW_LIN_AT1)
                             EW_LIN_PAIR(EW_LIN_STORE("[%[po]], #8"), EW_LIN_AT2, EW_LIN_AT3)
                                 EW_LIN_PAIR(EW_LIN_STORE("[%[po], #-6]"), EW_LIN_AT4, EW_LIN_AT5)
                                     EW_LIN_PAIR(EW_LIN_STORE("[%[po], #-4]"), EW_LIN_AT6, EW_LIN_AT7)
                                         EW_LIN_STORE("[%[po], #-2]") "subs   %[ne], %[ne], #256\n\t" /* EW_PASS_ONE */
                                                                     "bpl    1b\n\t"
                         : [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [pa] "+r"(pa),
                           [pb] "+r"(pb), [po] "+r"(out), [ne] "+r"(ne)
                         : [t] "r"(t), [k] "r"(k), [m] "r"(m), [c] "r"(c)
                         : "cc", "memory");
    for (; pa != a_end; pa++, pb++, out++) *out = (int8_t)ew_out(1, m, e, c, t[*pa] + *pb * k);
}

/* out = requant(t[a] + b k) over the tensor (a, b: the table's input and the linear one; the second input
 * a per-channel vector when broadcast: then a row at a time). */
static inline void nnom_ew_add_lin(const nnom_elementwise_s8_args *a, int lin_first, const int32_t *t, int32_t k,
                                   int32_t e)
{
    const int32_t m = a->params[4], c = nnom_requant32_const(e, a->out_zero_point), ch = a->channels;
    const int8_t *pa = lin_first ? a->in2 : a->in1, *pb = lin_first ? a->in1 : a->in2;
    if (!a->broadcast) {
        ew_lin_run(pa, pb, a->out, a->rows * ch, t, k, m, e, c);
        return;
    }
    const int32_t sa = lin_first ? 0 : ch, sb = lin_first ? ch : 0;
    int8_t *o = a->out;
    for (int32_t r = 0; r < a->rows; r++, pa += sa, pb += sb, o += ch) ew_lin_run(pa, pb, o, ch, t, k, m, e, c);
}

/* lo:hi += ilo:ihi, a 64-bit add (ADDS, ADC). */
EW_INLINE void ew_step64(uint32_t *lo, uint32_t *hi, uint32_t ilo, uint32_t ihi)
{
    __asm__("adds %0, %0, %2\n\tadc %1, %1, %3" : "+r"(*lo), "+r"(*hi) : "r"(ilo), "r"(ihi) : "cc");
}

/* One value of nnom_ew_fill's step into R: k (hi >> e) + ko, then the accumulator's 64-bit step. */
#define EW_FILL_ONE(R)                                   \
    "asr    " R ", %[hi], %[e]\n\t"                     \
    "mla    " R ", " R ", %[k], %[ko]\n\t"              \
    "adds   %[lo], %[lo], %[ilo]\n\t"                   \
    "adc    %[hi], %[hi], %[ihi]\n\t"

/* The add tables' fill (kernels/elementwise_s8.c, prescale_table): t[i] = k (w_i >> e) + ko for i < n,
 * w_i the high word of *acc + i inc; *acc advanced by n inc. Four values a step into r4-r6 and r12,
 * stored by one STM (GCC's 64-bit loop kept its increments on the stack: 7.5 estimated Cortex-M4
 * cycles a value; its four-value C loop, each store after its value's multiply, 7.2; this about 6). */
static inline void nnom_ew_fill(int32_t *t, int32_t n, int64_t *acc, int64_t inc, int32_t e, int32_t k, int32_t ko)
{
    uint32_t lo = (uint32_t)(uint64_t)*acc, hi = (uint32_t)((uint64_t)*acc >> 32);
    const uint32_t ilo = (uint32_t)(uint64_t)inc, ihi = (uint32_t)((uint64_t)inc >> 32);
    for (; n >= 4; n -= 4)
        __asm__ volatile(EW_FILL_ONE("r4") EW_FILL_ONE("r5") EW_FILL_ONE("r6") EW_FILL_ONE("r12")
                         "stmia  %[t]!, {r4, r5, r6, r12}\n\t"
                         : [t] "+r"(t), [lo] "+r"(lo), [hi] "+r"(hi)
                         : [ilo] "r"(ilo), [ihi] "r"(ihi), [e] "r"(e), [k] "r"(k), [ko] "r"(ko)
                         : "r4", "r5", "r6", "r12", "cc", "memory");
    for (; n > 0; n--, t++) {
        t[0] = k * ((int32_t)hi >> e) + ko;
        ew_step64(&lo, &hi, ilo, ihi);
    }
    *acc = (int64_t)(((uint64_t)hi << 32) | lo);
}

/* The products of the bottom and of the top int16 lanes (SMULBB, SMULTT; GCC 12's ACLE lacks them). */
static inline int32_t ew_smulbb(uint32_t a, uint32_t b)
{
    int32_t r;
    __asm__("smulbb %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static inline int32_t ew_smultt(uint32_t a, uint32_t b)
{
    int32_t r;
    __asm__("smultt %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* out[r C + i] = clamp(requant((in1[r C + i] - zp1) * (in2[i] - zp2))), i < count = C, r < rows (in2 the
 * same row for every r: a per-channel vector when rows > 1), shift in [-22, -1]. */
EW_INLINE void ew_mul_span_k(const int8_t *in1, const int8_t *in2, int8_t *out, int32_t count, int32_t rows,
                             int32_t zp1, int32_t zp2, const ew_requant *q, const int above,
                             const int clamp)
{
    const int32_t m = q->m, e = q->e, c = q->c, lo = q->lo, hi = q->hi;
    const uint32_t lo4 = (uint32_t)(uint8_t)lo * 0x01010101u, hi4 = (uint32_t)(uint8_t)hi * 0x01010101u;
    const uint32_t n1 = (uint32_t)(uint16_t)(int16_t)(-zp1) * 0x00010001u;
    const uint32_t n2 = (uint32_t)(uint16_t)(int16_t)(-zp2) * 0x00010001u;
    for (int32_t r = 0; r < rows; r++, in1 += count, out += count) {
        int32_t i = 0;
        for (; i + 4 <= count; i += 4) {
            const uint32_t x = nnom_arm_load4(in1 + i), y = nnom_arm_load4(in2 + i);
            uint32_t x02 = nnom_arm_widen_lo(n1, x), x13 = nnom_arm_widen_hi(n1, x);
            const uint32_t y02 = nnom_arm_widen_lo(n2, y), y13 = nnom_arm_widen_hi(n2, y);
            x02 = __sadd16(x02, x02);
            x13 = __sadd16(x13, x13);
            const int32_t r0 = ew_out(above, m, e, c, ew_smulbb(x02, y02));
            const int32_t r2 = ew_out(above, m, e, c, ew_smultt(x02, y02));
            const int32_t r1 = ew_out(above, m, e, c, ew_smulbb(x13, y13));
            const int32_t r3 = ew_out(above, m, e, c, ew_smultt(x13, y13));
            ew_store4(out + i, ew_pack4(clamp, lo4, hi4, r0, r1, r2, r3));
        }
        for (; i < count; i++) out[i] = ew_clamp1(ew_out(above, m, e, c, 2 * (in1[i] - zp1) * (in2[i] - zp2)), lo, hi);
    }
}

static void ew_mul_span(const int8_t *in1, const int8_t *in2, int8_t *out, int32_t count, int32_t rows,
                        int32_t zp1, int32_t zp2, const ew_requant *q)
{
    const int above = q->m > (1 << 30), clamp = q->lo > INT8_MIN || q->hi < INT8_MAX;
    if (above && clamp) ew_mul_span_k(in1, in2, out, count, rows, zp1, zp2, q, 1, 1);
    else if (above) ew_mul_span_k(in1, in2, out, count, rows, zp1, zp2, q, 1, 0);
    else if (clamp) ew_mul_span_k(in1, in2, out, count, rows, zp1, zp2, q, 0, 1);
    else ew_mul_span_k(in1, in2, out, count, rows, zp1, zp2, q, 0, 0);
}

void nnom_mul_s8(const nnom_elementwise_s8_args *a)
{
    const int32_t zp1 = a->in1_zero_point, zp2 = a->in2_zero_point, zpo = a->out_zero_point;
    const int32_t lo = a->act_lo, hi = a->act_hi, c = a->channels;
    const int32_t e = -a->params[1], m = a->params[0];
    if (e >= 1 && e <= NNOM_REQUANT32_MAX_E) {
        ew_requant q;
        ew_requant_init(&q, m, e, zpo, lo, hi);
        if (!a->broadcast) ew_mul_span(a->in1, a->in2, a->out, a->rows * c, 1, zp1, zp2, &q);
        else ew_mul_span(a->in1, a->in2, a->out, c, a->rows, zp1, zp2, &q);
        return;
    }
    /* other shifts: the portable kernel's general form */
    const nnom_conv_quant g = nnom_conv_quant_init(0, m, a->params[1]);
    const int32_t step2 = a->broadcast ? 0 : c;
    const int8_t *in1 = a->in1, *in2 = a->in2;
    int8_t *out = a->out;
    for (int32_t r = 0; r < a->rows; r++, in1 += c, in2 += step2, out += c)
        for (int32_t i = 0; i < c; i++)
            out[i] = nnom_conv_quant_out(g, ((int32_t)in1[i] - zp1) * ((int32_t)in2[i] - zp2), zpo, lo, hi);
}

#else
typedef int nnom_arm_elementwise_s8_unused; /* compiled on its own: empty (see above) */
#endif
