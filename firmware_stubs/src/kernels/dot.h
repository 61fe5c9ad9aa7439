/*
 * int8 dot products for the fast kernels: sum of f[i] * (x[i] + off), int32 accumulation.
 * With the Cortex-M DSP extension (__ARM_FEATURE_DSP) four bytes are loaded at once, widened
 * to two 16-bit pairs with SXTAB16 (adding the input offset in the same instruction) and
 * multiplied-accumulated two at a time with SMLAD; elsewhere portable C with the same loop
 * order. Integer sums: the result is the reference kernels' bit for bit.
 */
#ifndef EDGEKIT_DOT_H
#define EDGEKIT_DOT_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define EK_DSP 1

static inline uint32_t ek_load4(const int8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4); /* one LDR: the Cortex-M4 loads unaligned words */
    return v;
}

static inline uint32_t ek_ror8(uint32_t v) {
    return (v >> 8) | (v << 24);
}

/* the input offset in both 16-bit halves, for SXTAB16 */
static inline int16x2_t ek_offset2(int32_t off) {
    return (int16x2_t)((uint32_t)(uint16_t)(int16_t)off * 0x10001u);
}
#endif

/* *a0 += f0 . (x + off); *a1 += f1 . (x + off), n elements */
static inline void ek_dot2_i8(const int8_t *x, const int8_t *f0, const int8_t *f1, int32_t n,
                              int32_t off, int32_t *a0, int32_t *a1) {
    int32_t s0 = *a0, s1 = *a1, i = 0;
#ifdef EK_DSP
    const int16x2_t offp = ek_offset2(off);
    for (; i + 4 <= n; i += 4) {
        const uint32_t xw = ek_load4(x + i);
        const int16x2_t x02 = __sxtab16(offp, (int8x4_t)xw);
        const int16x2_t x13 = __sxtab16(offp, (int8x4_t)ek_ror8(xw));
        const uint32_t w0 = ek_load4(f0 + i), w1 = ek_load4(f1 + i);
        s0 = __smlad(__sxtb16((int8x4_t)w0), x02, s0);
        s0 = __smlad(__sxtb16((int8x4_t)ek_ror8(w0)), x13, s0);
        s1 = __smlad(__sxtb16((int8x4_t)w1), x02, s1);
        s1 = __smlad(__sxtb16((int8x4_t)ek_ror8(w1)), x13, s1);
    }
#endif
    for (; i < n; ++i) {
        const int32_t v = (int32_t)x[i] + off;
        s0 += (int32_t)f0[i] * v;
        s1 += (int32_t)f1[i] * v;
    }
    *a0 = s0;
    *a1 = s1;
}

/* *a0 += f0 . (x + off), n elements */
static inline void ek_dot1_i8(const int8_t *x, const int8_t *f0, int32_t n, int32_t off,
                              int32_t *a0) {
    int32_t s0 = *a0, i = 0;
#ifdef EK_DSP
    const int16x2_t offp = ek_offset2(off);
    for (; i + 4 <= n; i += 4) {
        const uint32_t xw = ek_load4(x + i), w0 = ek_load4(f0 + i);
        s0 = __smlad(__sxtb16((int8x4_t)w0), __sxtab16(offp, (int8x4_t)xw), s0);
        s0 = __smlad(__sxtb16((int8x4_t)ek_ror8(w0)), __sxtab16(offp, (int8x4_t)ek_ror8(xw)), s0);
    }
#endif
    for (; i < n; ++i) {
        s0 += (int32_t)f0[i] * ((int32_t)x[i] + off);
    }
    *a0 = s0;
}

#endif /* EDGEKIT_DOT_H */
