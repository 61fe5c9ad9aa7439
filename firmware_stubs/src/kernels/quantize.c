/*
 * Fixed-point arithmetic (TFLite's MultiplyByQuantizedMultiplier, double rounding), the
 * QUANTIZE / DEQUANTIZE operators, and the float features' conversion to a member's int8 input
 * (the Python runtime's: rint(x * (1/scale)) + zero point).
 */
#include "../internal.h"
#include "requant.h"

#include <math.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__ARM_FP) && (__ARM_FP & 4) && \
    defined(__thumb2__) && defined(__GNUC__)
/*
 * ek_quantize_value's fast path, four features per pass in assembly (Cortex-M4F): one VLDM,
 * VMUL and VADD per feature (the C expression's two roundings), two VMOV bring the four sums'
 * bits to core registers, one range check for all four (their offsets from 1 x 2^23 ORed: each
 * below 2^23 exactly when the OR is), then add, SSAT and store: 34 instructions per 4 features
 * (the C loop took 54). Stops before the first group of four with a value outside the fast
 * path's range (the C code converts it, then calls again). AAPCS: x, dst, end (x's end, 16
 * bytes a group), the bits of inv_scale in r0-r3, zero_point - 2^22 on the stack; returns the
 * floats converted.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* read by the assembly */
__attribute__((naked, noinline)) static size_t quantize4_loop(const float *x, int8_t *dst,
                                                            const float *end, uint32_t inv,
                                                            int32_t zp_adj) {
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "vmov s0, r3\n\t"
        "ldr r3, [sp, #36]\n\t"
        "movw r4, #0\n\t"
        "movt r4, #0x4B40\n\t"
        "vmov s1, r4\n\t"
        "mov r4, #0x4B000000\n\t"
        "mov r12, r0\n\t"
        "cmp r0, r2\n\t"
        "beq 3f\n\t"
        "1:\n\t"
        "vldmia r0!, {s4-s7}\n\t"
        "vmul.f32 s4, s4, s0\n\t"
        "vmul.f32 s5, s5, s0\n\t"
        "vmul.f32 s6, s6, s0\n\t"
        "vmul.f32 s7, s7, s0\n\t"
        "vadd.f32 s4, s4, s1\n\t"
        "vadd.f32 s5, s5, s1\n\t"
        "vadd.f32 s6, s6, s1\n\t"
        "vadd.f32 s7, s7, s1\n\t"
        "vmov r6, r7, s4, s5\n\t"
        "vmov r8, r9, s6, s7\n\t"
        "sub r6, r6, r4\n\t"
        "sub r7, r7, r4\n\t"
        "sub r8, r8, r4\n\t"
        "sub r9, r9, r4\n\t"
        "orr r10, r6, r7\n\t"
        "orr r11, r8, r9\n\t"
        "orr r10, r10, r11\n\t"
        "cmp r10, #0x800000\n\t"
        "bcs 2f\n\t"
        "add r6, r6, r3\n\t"
        "add r7, r7, r3\n\t"
        "add r8, r8, r3\n\t"
        "add r9, r9, r3\n\t"
        "ssat r6, #8, r6\n\t"
        "ssat r7, #8, r7\n\t"
        "ssat r8, #8, r8\n\t"
        "ssat r9, #8, r9\n\t"
        "strb r6, [r1], #1\n\t"
        "strb r7, [r1], #1\n\t"
        "strb r8, [r1], #1\n\t"
        "strb r9, [r1], #1\n\t"
        "cmp r0, r2\n\t"
        "bne 1b\n\t"
        "b 3f\n\t"
        "2:\n\t"
        "sub r0, r0, #16\n\t"
        "3:\n\t"
        "sub r0, r0, r12\n\t"
        "lsr r0, r0, #2\n\t"
        "pop {r4-r11, pc}\n\t");
}
#pragma GCC diagnostic pop
#define EK_QUANTIZE4 1
#endif

/* the member inputs (runtime.c): n features to int8 (ek_quantize_value), four per pass: the
 * loop's own instructions amortised */
void ek_quantize_features(const float *x, size_t n, float inv_scale, int32_t zero_point,
                          int8_t *dst) {
    size_t i = 0;
#ifdef EK_QUANTIZE4
    uint32_t inv;
    memcpy(&inv, &inv_scale, sizeof inv);
    while (i + 4 <= n) {
        i += quantize4_loop(x + i, dst + i, x + (n & ~(size_t)3), inv, zero_point - (1 << 22));
        if (i + 4 <= n) { /* a group outside the fast path's range: the C conversion */
            for (size_t j = i; j < i + 4; ++j) {
                dst[j] = ek_quantize_value(x[j], inv_scale, zero_point);
            }
            i += 4;
        }
    }
#endif
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


#ifdef EK_DSP
/*
 * ek_map_i8's loop on the Cortex-M4, eight values a pass: two word loads, SXTB (with its free
 * rotation) for the signed indices into the table's middle, eight LDRB, the bytes packed back
 * with ORR and stored as two words: 28 instructions per 8 values (GCC's schedule of the C loop
 * took 6 a value). AAPCS: src, dst, the end of src (a multiple of 8 bytes from it), lut + 128.
 */
#define MAP_WORD                         \
    "ldr r4, [r0], #4\n\t"                \
    "sxtb r5, r4\n\t"                     \
    "sxtb r6, r4, ror #8\n\t"             \
    "sxtb r7, r4, ror #16\n\t"            \
    "asr r4, r4, #24\n\t"                 \
    "ldrb r5, [r3, r5]\n\t"               \
    "ldrb r6, [r3, r6]\n\t"               \
    "ldrb r7, [r3, r7]\n\t"               \
    "ldrb r4, [r3, r4]\n\t"               \
    "orr r5, r5, r6, lsl #8\n\t"          \
    "orr r5, r5, r7, lsl #16\n\t"         \
    "orr r5, r5, r4, lsl #24\n\t"         \
    "str r5, [r1], #4\n\t"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* read by the assembly, from r0-r3 */
__attribute__((naked, noinline)) static void map8_loop(const int8_t *src, int8_t *dst,
                                                       const int8_t *end, const int8_t *mid) {
    __asm__ volatile(
        "push {r4-r7}\n\t"
        "1:\n\t"
        MAP_WORD
        MAP_WORD
        "cmp r0, r2\n\t"
        "bne 1b\n\t"
        "pop {r4-r7}\n\t"
        "bx lr\n\t");
}
#pragma GCC diagnostic pop
#endif

/* dst[i] = lut[src[i] + 128]: an int8 -> int8 map through its 256 values (a boundary table,
 * or a QUANTIZE's computed once per call where n is large enough to repay them) */
void ek_map_i8(const int8_t *src, size_t n, const int8_t *lut, int8_t *dst) {
    size_t i = 0;
#ifdef EK_DSP
    if (n >= 8) {
        i = n & ~(size_t)7;
        map8_loop(src, dst, src + i, lut + 128);
    }
#endif
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

#ifdef EK_DSP
/*
 * The int8 -> int8 requantisation on the Cortex-M4, four values a pass, |q - zp| <= 255:
 * t = q x p2 + k (one MLA: 2 (q - zp) for a right shift, (q - zp) 2^(s+1) for a left one or
 * none), then requant.h's SMMLAR (a right shift: also acc's sign, ASR e), SSAT, STRB: 7
 * instructions a value (5 without the right shift), where the C loop took 19. AAPCS: src,
 * dst, the end of src (a multiple of 4 bytes from it), the constants {p2, k, mult, add, e}.
 */
#define QZ_VALUE(x, right)                     \
    "mla " x ", " x ", r4, r5\n\t"              \
    "smmlar lr, " x ", r6, r7\n\t"              \
    right                                      \
    "ssat lr, #8, lr\n\t"                       \
    "strb lr, [r1], #1\n\t"
#define QZ_RIGHT(x) "add lr, lr, " x ", asr #31\n\t" "asr lr, lr, r8\n\t"
#define QZ_LOOP(right)                          \
    "push {r4-r12, lr}\n\t"                     \
    "ldm r3, {r4-r8}\n\t"                       \
    "1:\n\t"                                    \
    "ldrsb r9, [r0], #1\n\t"                    \
    "ldrsb r10, [r0], #1\n\t"                   \
    "ldrsb r11, [r0], #1\n\t"                   \
    "ldrsb r12, [r0], #1\n\t"                   \
    QZ_VALUE("r9", right("r9"))                 \
    QZ_VALUE("r10", right("r10"))               \
    QZ_VALUE("r11", right("r11"))               \
    QZ_VALUE("r12", right("r12"))               \
    "cmp r0, r2\n\t"                            \
    "bne 1b\n\t"                                \
    "pop {r4-r12, pc}\n\t"
#define QZ_NONE(x) ""
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* read by the assembly, from r0-r3 */
__attribute__((naked, noinline)) static void qz_right_loop(const int8_t *src, int8_t *dst,
                                                           const int8_t *end, const int32_t *k) {
    __asm__ volatile(QZ_LOOP(QZ_RIGHT));
}
__attribute__((naked, noinline)) static void qz_left_loop(const int8_t *src, int8_t *dst,
                                                          const int8_t *end, const int32_t *k) {
    __asm__ volatile(QZ_LOOP(QZ_NONE));
}
#pragma GCC diagnostic pop

/* the requantisation of n values (src and dst apart, or the same) */
static void requantize_i8(const int8_t *src, size_t n, const int32_t *k, int right, int8_t *dst) {
    const size_t n4 = n & ~(size_t)3;
    if (n4 > 0) {
        (right ? qz_right_loop : qz_left_loop)(src, dst, src + n4, k);
    }
    for (size_t i = n4; i < n; ++i) {
        const int32_t t = src[i] * k[0] + k[1];
        int32_t v;
        __asm__("smmlar %0, %1, %2, %3" : "=r"(v) : "r"(t), "r"(k[2]), "r"(k[3]));
        if (right) {
            v = (v + (t >> 31)) >> k[4];
        }
        dst[i] = (int8_t)__ssat(v, 8);
    }
}
#endif

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
#ifdef EK_DSP
        /* |q - zp| <= 255: a right shift takes requant.h's short form; a left one (or none),
         * s, has no rounding division: SRDHM(x 2^s, mult) + zp = SMMLAR(x 2^(s+1), mult, zp)
         * (requant.h's SMMULR identity), exact while x 2^(s+1) fits (s <= 22) */
        ek_rq rq;
        const int32_t zp = in->zero_point, s = op->shift[0];
        const int right = ek_rq_prepare(op, 1, out->zero_point, NULL, 1, &rq);
        if (right || (s >= 0 && s <= 22 && op->mult[0] >= 0)) {
            const int32_t p2 = right ? 2 : (int32_t)1 << (s + 1);
            const int32_t k[5] = {p2, -zp * p2, op->mult[0], right ? rq.add : out->zero_point,
                                  right ? rq.shift : 0};
            if (n >= EK_MAP_MIN) { /* the 256 values, then look-ups */
                static const int8_t all[256] = {
#define QZ_ROW(v) v, v + 1, v + 2, v + 3, v + 4, v + 5, v + 6, v + 7
#define QZ_ROWS(v) QZ_ROW(v), QZ_ROW(v + 8), QZ_ROW(v + 16), QZ_ROW(v + 24)
                    QZ_ROWS(-128), QZ_ROWS(-96), QZ_ROWS(-64), QZ_ROWS(-32),
                    QZ_ROWS(0), QZ_ROWS(32), QZ_ROWS(64), QZ_ROWS(96)};
                int8_t lut[256];
                requantize_i8(all, 256, k, right, lut);
                ek_map_i8(iv, n, lut, ov);
            } else {
                requantize_i8(iv, n, k, right, ov);
            }
            return;
        }
#endif
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
