/*
 * Fixed-point arithmetic (TFLite's MultiplyByQuantizedMultiplier, double rounding), the
 * QUANTIZE / DEQUANTIZE operators, and the float features' conversion to a member's int8 input
 * (the Python runtime's: rint(x * (1/scale)) + zero point).
 */
#include "../internal.h"

#include <math.h>

/* the member inputs (runtime.c): n features to int8 (ek_quantize_value), four per pass: the
 * loop's own instructions amortised */
void ek_quantize_features(const float *x, size_t n, float inv_scale, int32_t zero_point,
                          int8_t *dst) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        dst[i] = ek_quantize_value(x[i], inv_scale, zero_point);
        dst[i + 1] = ek_quantize_value(x[i + 1], inv_scale, zero_point);
        dst[i + 2] = ek_quantize_value(x[i + 2], inv_scale, zero_point);
        dst[i + 3] = ek_quantize_value(x[i + 3], inv_scale, zero_point);
    }
    for (; i < n; ++i) {
        dst[i] = ek_quantize_value(x[i], inv_scale, zero_point);
    }
}


/* dst[i] = lut[src[i] + 128]: an int8 -> int8 map through its 256 values, computed once per
 * call where n is large enough to repay them (the map's own bits, not an approximation) */
void ek_map_i8(const int8_t *src, size_t n, const int8_t *lut, int8_t *dst) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const int8_t a = lut[src[i] + 128], b = lut[src[i + 1] + 128];
        const int8_t c = lut[src[i + 2] + 128], d = lut[src[i + 3] + 128];
        dst[i] = a;
        dst[i + 1] = b;
        dst[i + 2] = c;
        dst[i + 3] = d;
    }
    for (; i < n; ++i) {
        dst[i] = lut[src[i] + 128];
    }
}

int32_t ek_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
    return ek_requantize(x, multiplier, shift);
}

ek_status ek_check_quantize(const ek_op *op, const ek_tensor *ts) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    if (ek_numel(in) != ek_numel(out)) {
        return EK_ERR_MODEL;
    }
    if (op->kind == EK_OP_DEQUANTIZE) {
        return in->dtype == EK_I8 && out->dtype == EK_F32 ? EK_OK : EK_ERR_UNSUPPORTED;
    }
    if (out->dtype != EK_I8 || (in->dtype != EK_F32 && in->dtype != EK_I8)) {
        return EK_ERR_UNSUPPORTED;
    }
    return in->dtype == EK_I8 && op->num_mult != 1 ? EK_ERR_MODEL : EK_OK;
}

void ek_quantize(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    const size_t n = ek_numel(in);
    if (op->kind == EK_OP_DEQUANTIZE) {
        const int8_t *iv = (const int8_t *)ek_in(in, work);
        float *ov = (float *)ek_out(out, work);
        for (size_t i = 0; i < n; ++i) {
            /* TFLite computes float(double scale x (q - zp)); that product is exact in double,
             * so one float multiply rounds it identically, without soft-double on a Cortex-M4F */
            ov[i] = in->scale * (float)((int32_t)iv[i] - in->zero_point);
        }
    } else if (in->dtype == EK_F32) { /* TFLite AffineQuantize: round(x / scale) + zero point */
        const float *fv = (const float *)ek_in(in, work);
        int8_t *qv = (int8_t *)ek_out(out, work);
        for (size_t i = 0; i < n; ++i) {
            qv[i] = ek_to_i8(roundf(fv[i] / out->scale) + (float)out->zero_point);
        }
    } else {
        const int8_t *iv = (const int8_t *)ek_in(in, work);
        int8_t *ov = (int8_t *)ek_out(out, work);
        if (n >= EK_MAP_MIN) { /* every one of the 256 inputs once, then a table look-up */
            int8_t lut[256];
            for (int32_t q = -128; q < 128; ++q) {
                const int32_t v = ek_multiply_by_quantized_multiplier(q - in->zero_point,
                                                                      op->mult[0], op->shift[0]);
                lut[q + 128] = (int8_t)ek_clamp_i32(v + out->zero_point, -128, 127);
            }
            ek_map_i8(iv, n, lut, ov);
            return;
        }
        for (size_t i = 0; i < n; ++i) {
            const int32_t v = ek_multiply_by_quantized_multiplier((int32_t)iv[i] - in->zero_point,
                                                                  op->mult[0], op->shift[0]);
            ov[i] = (int8_t)ek_clamp_i32(v + out->zero_point, -128, 127);
        }
    }
}
