/* Small helpers shared by the runtime: messages, shapes, windows, bounds. */
#include <float.h>
#include <stdarg.h>
#include <string.h>

#include "core/model_internal.h"
#include "nnom/nnom.h"

#define NNOM_STR_(x) #x
#define NNOM_STR(x) NNOM_STR_(x)

uint32_t nnom_version(void) { return (uint32_t)NNOM_VERSION; }

const char *nnom_version_string(void)
{
    return NNOM_STR(NNOM_VERSION_MAJOR) "." NNOM_STR(NNOM_VERSION_MINOR) "." NNOM_STR(NNOM_VERSION_PATCH);
}

const char *nnom_status_name(nnom_status status)
{
    static const char *const names[NNOM_STATUS_COUNT] = {
        "NNOM_OK", "NNOM_ERR_ARGUMENT", "NNOM_ERR_NO_MEMORY", "NNOM_ERR_TRUNCATED",
        "NNOM_ERR_MAGIC", "NNOM_ERR_VERSION", "NNOM_ERR_CHECKSUM", "NNOM_ERR_FORMAT",
        "NNOM_ERR_SHAPE", "NNOM_ERR_UNSUPPORTED", "NNOM_ERR_ARENA_TOO_SMALL", "NNOM_ERR_STATE",
        "NNOM_ERR_IO", "NNOM_ERR_KERAS"};
    if ((unsigned)status >= NNOM_STATUS_COUNT) return "NNOM_ERR_UNKNOWN";
    return names[status];
}

typedef struct {
    char *buf;
    size_t cap, len;
} fmt_out;

static void put_char(fmt_out *o, char c)
{
    if (o->len + 1 < o->cap) o->buf[o->len] = c;
    o->len++;
}

static void put_str(fmt_out *o, const char *s)
{
    if (!s) s = "(null)";
    while (*s) put_char(o, *s++);
}

static void put_unsigned(fmt_out *o, unsigned long v, unsigned base)
{
    char digits[24];
    int n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (n) put_char(o, digits[--n]);
}

static void put_signed(fmt_out *o, long v)
{
    if (v < 0) {
        put_char(o, '-');
        put_unsigned(o, 0ul - (unsigned long)v, 10);
    } else {
        put_unsigned(o, (unsigned long)v, 10);
    }
}

static void vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    fmt_out o = {buf, cap, 0};
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') { put_char(&o, *p); continue; }
        p++;
        int is_long = 0;
        if (*p == 'l') { is_long = 1; p++; }
        switch (*p) {
        case 's': put_str(&o, va_arg(ap, const char *)); break;
        case 'c': put_char(&o, (char)va_arg(ap, int)); break;
        case 'd': put_signed(&o, is_long ? va_arg(ap, long) : (long)va_arg(ap, int)); break;
        case 'u': put_unsigned(&o, is_long ? va_arg(ap, unsigned long) : (unsigned long)va_arg(ap, unsigned), 10); break;
        case 'x': put_unsigned(&o, is_long ? va_arg(ap, unsigned long) : (unsigned long)va_arg(ap, unsigned), 16); break;
        case '%': put_char(&o, '%'); break;
        case '\0': p--; break;
        default: put_char(&o, '%'); put_char(&o, *p); break;
        }
    }
    if (cap) buf[o.len < cap ? o.len : cap - 1] = '\0';
}

/* (The functions that terse builds replace with macros, see core/layer.h, have their
 * names in parentheses, so that the macros leave their definitions alone.) */
void (nnom_format)(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(buf, cap, fmt, ap);
    va_end(ap);
}

#if defined(NNOM_TERSE_ERRORS) && NNOM_TERSE_ERRORS

/* "NNOM_ERR_SHAPE (NNOM_TERSE_ERRORS)": the status and why there is no more */
static void terse_text(char *buf, size_t cap, nnom_status status)
{
    const char *parts[2] = {nnom_status_name(status), " (NNOM_TERSE_ERRORS)"};
    size_t n = 0;
    for (int k = 0; k < 2; k++)
        for (const char *p = parts[k]; *p && n + 1 < cap; p++) buf[n++] = *p;
    if (cap) buf[n] = '\0';
}

nnom_status nnom_fail_terse(nnom_model *model, nnom_status status)
{
    if (model) {
        char *buf = nnom_model_message(model, status);
        if (buf) terse_text(buf, NNOM_MODEL_ERROR_BYTES, status);
        if (model->log) model->log(model->log_ctx, nnom_model_last_error(model));
    }
    return status;
}

void nnom_error_copy_terse(nnom_error *err, nnom_status status)
{
    if (!err) return;
    err->status = status;
    terse_text(err->message, sizeof err->message, status);
}
#endif

void (nnom_error_copy)(nnom_error *err, nnom_status status, const char *message)
{
    if (!err) return;
    err->status = status;
    size_t n = strlen(message);
    if (n >= sizeof err->message) n = sizeof err->message - 1;
    memcpy(err->message, message, n);
    err->message[n] = '\0';
}

nnom_status (nnom_fail)(nnom_model *model, nnom_status status, const char *fmt, ...)
{
    if (model) {
        char *buf = nnom_model_message(model, status);
        if (buf) {
            va_list ap;
            va_start(ap, fmt);
            vformat(buf, NNOM_MODEL_ERROR_BYTES, fmt, ap);
            va_end(ap);
        }
        if (model->log) model->log(model->log_ctx, nnom_model_last_error(model));
    }
    return status;
}

nnom_status (nnom_layer_fail)(nnom_model *model, const nnom_layer *l, nnom_status status, const char *fmt, ...)
{
    if (model) {
        char *buf = nnom_model_message(model, status);
        if (buf) {
            (nnom_format)(buf, NNOM_MODEL_ERROR_BYTES, "layer '%s' (%s): ", l->def->name,
                          (nnom_layer_type_name)((nnom_layer_type)l->type));
            const size_t n = strlen(buf);
            va_list ap;
            va_start(ap, fmt);
            vformat(buf + n, NNOM_MODEL_ERROR_BYTES - n, fmt, ap);
            va_end(ap);
        }
        if (model->log) model->log(model->log_ctx, nnom_model_last_error(model));
    }
    return status;
}

int32_t nnom_shape_count(const nnom_shape *s)
{
    int64_t n = 1;
    for (int32_t i = 0; i < s->rank && i < NNOM_MAX_RANK; i++) n *= s->dims[i];
    return n > INT32_MAX ? INT32_MAX : (int32_t)n;
}

uint32_t nnom_layer_out_bytes(const nnom_layer *l, nnom_dtype dtype)
{
    return (uint32_t)nnom_shape_count(&l->def->shape) * nnom_dtype_size(dtype); /* at most 2^28 elements */
}

uint32_t nnom_dtype_size(nnom_dtype dtype) { return dtype == NNOM_DTYPE_F32 ? 4u : 1u; }

int32_t nnom_window_out(int32_t in, int32_t kernel, int32_t stride, int32_t dilation, int32_t padding)
{
    stride = nnom_one_if_zero(stride);
    dilation = nnom_one_if_zero(dilation);
    if (in <= 0 || kernel <= 0 || stride <= 0 || dilation <= 0) return 0;
    if (padding == NNOM_PADDING_SAME) return (int32_t)(((int64_t)in + stride - 1) / stride); /* ceil, no overflow */
    int64_t span = (int64_t)(kernel - 1) * dilation + 1;
    if (span > in) return 0;
    return (int32_t)(in - span) / stride + 1; /* 32-bit division: span <= in here */
}

int32_t nnom_window_pad_before(int32_t in, int32_t out, int32_t kernel, int32_t stride,
                               int32_t dilation, int32_t padding)
{
    if (padding != NNOM_PADDING_SAME) return 0;
    stride = nnom_one_if_zero(stride);
    dilation = nnom_one_if_zero(dilation);
    int64_t span = (int64_t)(kernel - 1) * dilation + 1;
    int64_t total = (int64_t)(out - 1) * stride + span - in;
    if (total < 0) total = 0;
    return (int32_t)(total / 2);
}

nnom_status nnom_expect_blob(nnom_model *model, const nnom_layer *l, int slot, const char *what,
                             uint32_t bytes)
{
    if (nnom_blob_size(l, slot) != bytes)
        return nnom_layer_fail(model, l, NNOM_ERR_SHAPE, "%s (blob %d) is %u bytes, expected %u", what, slot,
                               (unsigned)nnom_blob_size(l, slot), (unsigned)bytes);
    if (bytes && !nnom_blob_data(l, slot))
        return nnom_layer_fail(model, l, NNOM_ERR_ARGUMENT, "%s (blob %d) has no data", what, slot);
    if (((uintptr_t)nnom_blob_data(l, slot) & 3u) != 0)
        return nnom_layer_fail(model, l, NNOM_ERR_FORMAT, "%s (blob %d) is not 4-byte aligned", what, slot);
    return NNOM_OK;
}

void nnom_act_bounds_s8(int32_t activation, nnom_quant q, int32_t *lo, int32_t *hi)
{
    *lo = -128;
    *hi = 127;
    if (activation == NNOM_ACT_RELU || activation == NNOM_ACT_RELU6) {
        if (q.zero_point > *lo) *lo = q.zero_point;
    }
    if (activation == NNOM_ACT_RELU6 && q.scale > 0.0f) {
        /* 6 / scale rounded half away from zero, without libm */
        float r = 6.0f / q.scale;
        /* (int32 conversion: a float to int64 one pulls soft double-precision code into firmware) */
        const int32_t six = r > 1e9f ? 1000000000 : (int32_t)(r + 0.5f);
        const int64_t top = (int64_t)six + q.zero_point;
        if (top < *hi) *hi = (int32_t)top;
        if (*hi < *lo) *hi = *lo;
    }
}

void nnom_act_bounds_f32(int32_t activation, float *lo, float *hi)
{
    *lo = -FLT_MAX;
    *hi = FLT_MAX;
    if (activation == NNOM_ACT_RELU || activation == NNOM_ACT_RELU6) *lo = 0.0f;
    if (activation == NNOM_ACT_RELU6) *hi = 6.0f;
}

void (nnom_shape_text)(const nnom_shape *s, char *buf, size_t cap)
{
    switch (s->rank) {
    case 1: nnom_format(buf, cap, "(%d)", (int)s->dims[0]); break;
    case 2: nnom_format(buf, cap, "(%d, %d)", (int)s->dims[0], (int)s->dims[1]); break;
    case 3: nnom_format(buf, cap, "(%d, %d, %d)", (int)s->dims[0], (int)s->dims[1], (int)s->dims[2]); break;
    default: nnom_format(buf, cap, "(rank %d)", (int)s->rank); break;
    }
}

void (nnom_float_text)(float v, char *buf, size_t cap)
{
    /* single precision throughout: the Cortex-M4's FPU does it in hardware, where
     * double arithmetic would link the C library's soft double-precision helpers */
    const char *sign = v < 0.0f ? "-" : "";
    if (v != v) { nnom_format(buf, cap, "nan"); return; }
    if (v < 0.0f) v = -v;
    if (v > FLT_MAX) { nnom_format(buf, cap, "%sinf", sign); return; }
    if (v == 0.0f) { nnom_format(buf, cap, "0"); return; }
    int e = 0;
    while (v >= 10.0f) { v /= 10.0f; e++; }
    while (v < 1.0f) { v *= 10.0f; e--; }
    long digits = (long)(v * 100000.0f + 0.5f); /* 6 significant digits */
    if (digits >= 1000000) { digits /= 10; e++; }
    char mant[8]; /* "d.ddddd" without trailing zeros */
    for (int i = 6; i >= 0; i--) {
        if (i == 1) { mant[i] = '.'; continue; }
        mant[i] = (char)('0' + digits % 10);
        digits /= 10;
    }
    int len = 7;
    while (len > 2 && mant[len - 1] == '0') len--;
    if (len == 2) len = 1; /* "3." -> "3" */
    mant[len] = '\0';
    if (e != 0) nnom_format(buf, cap, "%s%se%d", sign, mant, e);
    else nnom_format(buf, cap, "%s%s", sign, mant);
}

void (nnom_bytes_text)(uint64_t bytes, char *buf, size_t cap)
{
    if (bytes <= (unsigned long)-1) nnom_format(buf, cap, "%lu bytes", (unsigned long)bytes);
    else nnom_format(buf, cap, "more than %lu MiB", (unsigned long)(bytes >> 20)); /* plans stay below 2^52 */
}

nnom_status nnom_expect_same_quant(const nnom_infer_ctx *ctx, const nnom_layer *l)
{
    if (ctx->dtype != NNOM_DTYPE_S8) return NNOM_OK;
    const nnom_quant q = ctx->in[0]->def->quant;
    if (q.scale == l->def->quant.scale && q.zero_point == l->def->quant.zero_point) return NNOM_OK;
    char given[32], want[32];
    nnom_float_text(l->def->quant.scale, given, sizeof given);
    nnom_float_text(q.scale, want, sizeof want);
    return nnom_layer_fail(ctx->model, l, NNOM_ERR_ARGUMENT,
                           "int8 output quantisation must equal the input's (scale %s, zero point %d), given scale %s "
                           "and zero point %d", want, (int)q.zero_point, given, (int)l->def->quant.zero_point);
}

nnom_status nnom_expect_no_blobs(const nnom_infer_ctx *ctx, const nnom_layer *l)
{
    for (int s = 0; s < NNOM_MAX_BLOBS; s++)
        if (nnom_blob_size(l, s) != 0)
            return nnom_layer_fail(ctx->model, l, NNOM_ERR_SHAPE, "takes no constant data, but blob %d holds %u bytes",
                                   s, (unsigned)nnom_blob_size(l, s));
    return NNOM_OK;
}

nnom_status nnom_expect_moved_values(const nnom_infer_ctx *ctx, const nnom_layer *l)
{
    nnom_status st = nnom_expect_no_blobs(ctx, l);
    return st == NNOM_OK ? nnom_expect_same_quant(ctx, l) : st;
}

void nnom_set_shape_hwc(nnom_layer *l, int32_t rank, int32_t h, int32_t w, int32_t c)
{
    l->def->shape.rank = rank;
    l->def->shape.dims[0] = rank == 3 ? h : (rank == 2 ? w : c);
    l->def->shape.dims[1] = rank == 3 ? w : (rank == 2 ? c : 0);
    l->def->shape.dims[2] = rank == 3 ? c : 0;
}
