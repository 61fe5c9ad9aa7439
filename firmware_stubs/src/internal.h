/*
 * Shared by the runtime (runtime.c), the operator dispatch (ops.c) and the kernel families
 * (the kernel families in kernels/). Not part of the public API.
 *
 * Every family has a check (shapes, types, parameters: run once by ek_prepare) and a run
 * (no checks: it trusts what the check accepted).
 */
#ifndef EDGEKIT_INTERNAL_H
#define EDGEKIT_INTERNAL_H

#include "edgekit.h"

#include <math.h>
#include <string.h>
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
#include <arm_acle.h>
#endif

#define EK_ALIGN(n) (((n) + 7u) & ~(size_t)7u)

static inline int32_t ek_clamp_i32(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

static inline float ek_clamp_f(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* a rounded float code to int8: clamped first (NaN to the lowest code), so the cast is defined */
static inline int8_t ek_to_i8(float q) {
    return (int8_t)(q >= -128.0f ? (q <= 127.0f ? q : 127.0f) : -128.0f);
}

static inline size_t ek_numel(const ek_tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; ++i) {
        n *= (size_t)t->dims[i];
    }
    return n;
}

static inline size_t ek_elem_bytes(const ek_tensor *t) {
    return t->dtype == EK_I8 ? 1u : 4u;
}

static inline const void *ek_in(const ek_tensor *t, const uint8_t *work) {
    return t->data != NULL ? t->data : (const void *)(work + t->offset);
}

static inline void *ek_out(const ek_tensor *t, uint8_t *work) {
    return (void *)(work + t->offset);
}

/*
 * TFLite's MultiplyByQuantizedMultiplier, exactly, in a few instructions: x << left, then
 * SaturatingRoundingDoublingHighMul and RoundingDivideByPOT. TFLite's high multiply adds
 * 2^30 (or 1 - 2^30 below zero) and divides by 2^31 truncating toward zero; for a product p
 * below zero, trunc((p + 1 - 2^30) / 2^31) = floor((p + 2^30) / 2^31), the same expression as
 * for p >= 0, so one 64-bit add and an arithmetic shift give it (tests/test_quantize.c checks
 * this against TFLite's literal code on random and tie cases). The only saturating case,
 * INT32_MIN x INT32_MIN, is kept.
 */
static inline int32_t ek_requantize(int32_t x, int32_t multiplier, int32_t shift) {
    const int left = shift > 0 ? (int)shift : 0;
    const int right = shift > 0 ? 0 : (int)-shift;
    const int32_t a = (int32_t)((uint32_t)x << left); /* TFLite: x * (1 << left), wrapping */
    const int32_t high = a == INT32_MIN && multiplier == INT32_MIN
                             ? INT32_MAX
                             : (int32_t)(((int64_t)a * multiplier + ((int64_t)1 << 30)) >> 31);
    const int32_t mask = (int32_t)(((int64_t)1 << right) - 1);
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

/* int8 requantisation of an accumulator for output channel o (TFLite's arithmetic) */
static inline int32_t ek_requant(int32_t acc, const ek_op *op, int32_t o, int32_t zp) {
    const int j = op->num_mult == 1 ? 0 : o;
    acc = ek_requantize(acc, op->mult[j], op->shift[j]) + zp;
    return ek_clamp_i32(acc, op->act_min, op->act_max);
}

/* float -> int8 exactly as the Python runtime: rint(x * (1/scale)) + zero point, clamped.
 * Below 2^22 in magnitude, adding 1.5 x 2^23 rounds to the nearest integer, ties to even,
 * exactly as rintf does in the default rounding mode, and leaves that integer in the low bits
 * of the sum: no libm call, no float-to-int conversion (the Cortex-M4's FPU has no rounding
 * instruction), one integer range check. Larger values, infinities and NaN take rintf. */
static inline int8_t ek_quantize_value(float x, float inv_scale, int32_t zero_point) {
    const float q = x * inv_scale;
    const float t = q + 12582912.0f;
    uint32_t bits;
    memcpy(&bits, &t, sizeof bits);
    if (bits - 0x4B000000u < 0x800000u) { /* t in [2^23, 2^24): |q| < 2^22, t = 1.5 x 2^23 + rint(q) */
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
        return (int8_t)__ssat((int32_t)(bits - 0x4B400000u) + zero_point, 8); /* one SSAT */
#else
        return (int8_t)ek_clamp_i32((int32_t)(bits - 0x4B400000u) + zero_point, -128, 127);
#endif
    }
    return ek_to_i8(rintf(q) + (float)zero_point);
}

/* dims of a 4-D NHWC tensor (lower ranks right-aligned: [.., H, W, C]) */
void ek_nhwc(const ek_tensor *t, int32_t *n, int32_t *h, int32_t *w, int32_t *c);
/* dims and strides of a tensor, padded on the left to EK_MAX_DIMS */
void ek_padded(const ek_tensor *t, int32_t *dims, size_t *strides);

/* ops.c: run an operator ek_check_op accepted (no checks) */
void ek_run_checked_op(const ek_op *op, const ek_tensor *ts, uint8_t *work);

/* kernels/conv.c: CONV_2D and DEPTHWISE_CONV_2D */
ek_status ek_check_conv(const ek_op *op, const ek_tensor *ts);
void ek_conv(const ek_op *op, const ek_tensor *ts, uint8_t *work);
void ek_conv_ref(const ek_op *op, const ek_tensor *ts, uint8_t *work);
void ek_conv_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work);
/* kernels/fully_connected.c */
ek_status ek_check_fully_connected(const ek_op *op, const ek_tensor *ts);
void ek_fully_connected(const ek_op *op, const ek_tensor *ts, uint8_t *work);
void ek_fully_connected_ref(const ek_op *op, const ek_tensor *ts, uint8_t *work);
void ek_fully_connected_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work);
/* kernels/pool.c: MAX_POOL_2D and MEAN */
ek_status ek_check_pool(const ek_op *op, const ek_tensor *ts);
void ek_pool(const ek_op *op, const ek_tensor *ts, uint8_t *work);
/* kernels/shape.c: CONCATENATION, PAD, TRANSPOSE, RESHAPE, SLICE */
ek_status ek_check_shape(const ek_op *op, const ek_tensor *ts);
void ek_shape(const ek_op *op, const ek_tensor *ts, uint8_t *work);
/* kernels/elementwise.c: ADD, SUB, MUL, LOGISTIC, TANH */
ek_status ek_check_elementwise(const ek_op *op, const ek_tensor *ts);
void ek_elementwise(const ek_op *op, const ek_tensor *ts, uint8_t *work);
/* kernels/quantize.c: QUANTIZE, DEQUANTIZE; float -> int8 as the Python runtime (member inputs) */
void ek_quantize_features(const float *x, size_t n, float inv_scale, int32_t zero_point,
                          int8_t *dst);
/* int8 -> int8 maps over at least this many values go through a 256-entry table */
#define EK_MAP_MIN 1024
void ek_map_i8(const int8_t *src, size_t n, const int8_t *lut, int8_t *dst);
ek_status ek_check_quantize(const ek_op *op, const ek_tensor *ts);
void ek_quantize(const ek_op *op, const ek_tensor *ts, uint8_t *work);

#endif /* EDGEKIT_INTERNAL_H */
