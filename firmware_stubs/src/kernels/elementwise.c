/*
 * ADD, SUB, MUL with broadcasting; float LOGISTIC and TANH. int8 follows TFLM: ADD/SUB rescale
 * both inputs to a common scale with 20 bits of headroom (mult/shift [0], [1]) and the sum to
 * the output ([2]); MUL multiplies the offset inputs and rescales once ([0]).
 */
#include "../internal.h"

#include <math.h>

/* The input offset (in elements) of output position o, broadcasting input dims of 1. */
static size_t broadcast_index(size_t o, const int32_t *odims, const int32_t *idims,
                              const size_t *istr) {
    size_t src = 0;
    for (int i = EK_MAX_DIMS - 1; i >= 0; --i) {
        const size_t c = o % (size_t)odims[i];
        o /= (size_t)odims[i];
        src += (idims[i] == 1 ? 0u : c) * istr[i];
    }
    return src;
}

static int is_unary(const ek_op *op) {
    return op->kind == EK_OP_LOGISTIC || op->kind == EK_OP_TANH;
}

ek_status ek_check_elementwise(const ek_op *op, const ek_tensor *ts) {
    const ek_tensor *a = &ts[op->in[0]], *out = &ts[op->out];
    if (is_unary(op)) {
        return a->dtype == EK_F32 && out->dtype == EK_F32 && ek_numel(a) == ek_numel(out)
                   ? EK_OK
                   : EK_ERR_UNSUPPORTED;
    }
    if (op->num_inputs < 2) {
        return EK_ERR_MODEL;
    }
    const ek_tensor *b = &ts[op->in[1]];
    int32_t ad[EK_MAX_DIMS], bd[EK_MAX_DIMS], od[EK_MAX_DIMS];
    size_t s[EK_MAX_DIMS];
    ek_padded(a, ad, s);
    ek_padded(b, bd, s);
    ek_padded(out, od, s);
    for (int i = 0; i < EK_MAX_DIMS; ++i) {
        if ((ad[i] != od[i] && ad[i] != 1) || (bd[i] != od[i] && bd[i] != 1)) {
            return EK_ERR_MODEL;
        }
    }
    if (a->dtype != out->dtype || b->dtype != out->dtype || out->dtype == EK_I32) {
        return EK_ERR_MODEL;
    }
    if (out->dtype == EK_I8 && (op->kind == EK_OP_MUL ? op->num_mult != 1 : op->num_mult != 3)) {
        return EK_ERR_MODEL;
    }
    return EK_OK;
}

static int32_t binary_i8(const ek_op *op, int32_t x, int32_t y) {
    if (op->kind == EK_OP_MUL) {
        return ek_multiply_by_quantized_multiplier(x * y, op->mult[0], op->shift[0]);
    }
    const int32_t sx = ek_multiply_by_quantized_multiplier(x * INT32_C(1048576), op->mult[0], op->shift[0]);
    const int32_t sy = ek_multiply_by_quantized_multiplier(y * INT32_C(1048576), op->mult[1], op->shift[1]);
    return ek_multiply_by_quantized_multiplier(op->kind == EK_OP_ADD ? sx + sy : sx - sy,
                                              op->mult[2], op->shift[2]);
}

static void binary(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *a = &ts[op->in[0]], *b = &ts[op->in[1]], *out = &ts[op->out];
    int32_t ad[EK_MAX_DIMS], bd[EK_MAX_DIMS], od[EK_MAX_DIMS];
    size_t as[EK_MAX_DIMS], bs[EK_MAX_DIMS], os[EK_MAX_DIMS];
    ek_padded(a, ad, as);
    ek_padded(b, bd, bs);
    ek_padded(out, od, os);
    const void *av = ek_in(a, work), *bv = ek_in(b, work);
    void *ov = ek_out(out, work);
    for (size_t o = 0, n = ek_numel(out); o < n; ++o) {
        const size_t ia = broadcast_index(o, od, ad, as), ib = broadcast_index(o, od, bd, bs);
        if (out->dtype == EK_I8) {
            const int32_t x = (int32_t)((const int8_t *)av)[ia] - a->zero_point;
            const int32_t y = (int32_t)((const int8_t *)bv)[ib] - b->zero_point;
            const int32_t r = binary_i8(op, x, y) + out->zero_point;
            ((int8_t *)ov)[o] = (int8_t)ek_clamp_i32(r, op->act_min, op->act_max);
        } else {
            const float x = ((const float *)av)[ia], y = ((const float *)bv)[ib];
            const float r = op->kind == EK_OP_ADD ? x + y : (op->kind == EK_OP_SUB ? x - y : x * y);
            ((float *)ov)[o] = ek_clamp_f(r, op->fact_min, op->fact_max);
        }
    }
}

/* float LOGISTIC / TANH as TFLite's reference kernels (the logistic's cut-offs included) */
static void unary(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    const float *iv = (const float *)ek_in(in, work);
    float *ov = (float *)ek_out(out, work);
    for (size_t i = 0, n = ek_numel(in); i < n; ++i) {
        const float v = iv[i];
        if (op->kind == EK_OP_TANH) {
            ov[i] = tanhf(v);
        } else if (v > 16.619047164916992188f) {
            ov[i] = 1.0f;
        } else if (v < -9.0f) {
            ov[i] = expf(v);
        } else {
            ov[i] = 1.0f / (1.0f + expf(-v));
        }
    }
}

void ek_elementwise(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    if (is_unary(op)) {
        unary(op, ts, work);
    } else {
        binary(op, ts, work);
    }
}
