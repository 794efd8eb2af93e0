/* float32 add, subtract and multiply (reference). */
#include "kernels/elementwise.h"

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

typedef enum { OP_ADD, OP_SUB, OP_MUL } op_kind;

static void binary(const nnom_elementwise_f32_args *a, op_kind op)
{
    const int32_t c = a->channels, step2 = a->broadcast ? 0 : c;
    const float lo = a->act_lo, hi = a->act_hi;
    const float *in1 = a->in1, *in2 = a->in2;
    float *out = a->out;
    for (int32_t r = 0; r < a->rows; r++) {
        for (int32_t i = 0; i < c; i++) {
            const float x1 = in1[i], x2 = in2[i];
            const float y = op == OP_ADD ? x1 + x2 : (op == OP_SUB ? x1 - x2 : x1 * x2);
            out[i] = clampf(y, lo, hi);
        }
        in1 += c;
        in2 += step2;
        out += c;
    }
}

void nnom_add_f32(const nnom_elementwise_f32_args *a) { binary(a, OP_ADD); }
void nnom_sub_f32(const nnom_elementwise_f32_args *a) { binary(a, OP_SUB); }
void nnom_mul_f32(const nnom_elementwise_f32_args *a) { binary(a, OP_MUL); }
