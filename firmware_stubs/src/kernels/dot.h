/*
 * int8 dot products for the fast kernels: sum of f[i] * (x[i] + off), int32 accumulation.
 * With the Cortex-M DSP extension (__ARM_FEATURE_DSP) four bytes are loaded at once, widened
 * to two 16-bit pairs with SXTAB16 (adding the input offset in the same instruction) and
 * multiplied-accumulated two at a time with SMLAD; elsewhere portable C with the same loop
 * order. Integer sums: the result is the reference kernels' bit for bit.
 */
#ifndef EDGEKIT_DOT_H
#define EDGEKIT_DOT_H

#include <stddef.h>
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

/* bytes 1 and 3 sign-extended to halfwords (SXTB16 with its free rotation: GCC does not fold
 * the rotate into the intrinsic) */
static inline int16x2_t ek_sxtb16_ror8(uint32_t v) {
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

static inline int16x2_t ek_sxtab16_ror8(int16x2_t a, uint32_t v) {
    int16x2_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
    return r;
}

/* four MACs of one filter word against the widened input (x02, x13) */
static inline int32_t ek_mac4(uint32_t w, int16x2_t x02, int16x2_t x13, int32_t acc) {
    acc = __smlad(__sxtb16((int8x4_t)w), x02, acc);
    return __smlad(ek_sxtb16_ror8(w), x13, acc);
}
#endif

#ifdef EK_DSP
/* Out of line on purpose: inlined into a kernel the loop competes for registers with the
 * kernel's own state and GCC spills inside it (21 instructions per 8 MACs instead of 15). */
#define EK_DOT_FN __attribute__((noinline, unused)) static
#else
#define EK_DOT_FN static inline
#endif

/* *a0 += f0 . (x + off); *a1 += f1 . (x + off), n elements */
EK_DOT_FN void ek_dot2_i8(const int8_t *x, const int8_t *f0, const int8_t *f1, int32_t n,
                          int32_t off, int32_t *a0, int32_t *a1) {
    int32_t s0 = *a0, s1 = *a1, i = 0;
#ifdef EK_DSP
    const int16x2_t offp = ek_offset2(off);
    for (; i + 8 <= n; i += 8) { /* two words per pass: loop overhead over 16 MACs */
        uint32_t xw = ek_load4(x + i);
        int16x2_t x02 = __sxtab16(offp, (int8x4_t)xw), x13 = ek_sxtab16_ror8(offp, xw);
        s0 = ek_mac4(ek_load4(f0 + i), x02, x13, s0);
        s1 = ek_mac4(ek_load4(f1 + i), x02, x13, s1);
        xw = ek_load4(x + i + 4);
        x02 = __sxtab16(offp, (int8x4_t)xw);
        x13 = ek_sxtab16_ror8(offp, xw);
        s0 = ek_mac4(ek_load4(f0 + i + 4), x02, x13, s0);
        s1 = ek_mac4(ek_load4(f1 + i + 4), x02, x13, s1);
    }
    for (; i + 4 <= n; i += 4) {
        const uint32_t xw = ek_load4(x + i);
        const int16x2_t x02 = __sxtab16(offp, (int8x4_t)xw), x13 = ek_sxtab16_ror8(offp, xw);
        s0 = ek_mac4(ek_load4(f0 + i), x02, x13, s0);
        s1 = ek_mac4(ek_load4(f1 + i), x02, x13, s1);
    }
#else
    /* blocks of 16 with a fixed trip count: compilers vectorise this at -O2 (GCC's "very
     * cheap" model needs no epilogue), about 2.5x the plain loop on x86 */
    for (; i + 16 <= n; i += 16) {
        int32_t p0 = 0, p1 = 0;
        for (int j = 0; j < 16; ++j) {
            const int32_t v = (int32_t)x[i + j] + off;
            p0 += (int32_t)f0[i + j] * v;
            p1 += (int32_t)f1[i + j] * v;
        }
        s0 += p0;
        s1 += p1;
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
EK_DOT_FN void ek_dot1_i8(const int8_t *x, const int8_t *f0, int32_t n, int32_t off,
                          int32_t *a0) {
    int32_t s0 = *a0, i = 0;
#ifdef EK_DSP
    const int16x2_t offp = ek_offset2(off);
    for (; i + 4 <= n; i += 4) {
        const uint32_t xw = ek_load4(x + i);
        s0 = ek_mac4(ek_load4(f0 + i), __sxtab16(offp, (int8x4_t)xw), ek_sxtab16_ror8(offp, xw), s0);
    }
#else
    for (; i + 16 <= n; i += 16) { /* as in ek_dot2_i8 */
        int32_t p0 = 0;
        for (int j = 0; j < 16; ++j) {
            p0 += (int32_t)f0[i + j] * ((int32_t)x[i + j] + off);
        }
        s0 += p0;
    }
#endif
    for (; i < n; ++i) {
        s0 += (int32_t)f0[i] * ((int32_t)x[i] + off);
    }
    *a0 = s0;
}

/* a[c] += f[c * fstride ..] . (x + off), c = 0..3, n elements: four output channels share
 * each widened input (portable builds; the DSP build runs pairs: four accumulators, four
 * filter pointers and the widened input do not fit the M4's registers) */
EK_DOT_FN void ek_dot4_i8(const int8_t *x, const int8_t *f, size_t fstride, int32_t n,
                          int32_t off, int32_t *a) {
#ifdef EK_DSP
    ek_dot2_i8(x, f, f + fstride, n, off, &a[0], &a[1]);
    ek_dot2_i8(x, f + 2 * fstride, f + 3 * fstride, n, off, &a[2], &a[3]);
#else
    const int8_t *f0 = f, *f1 = f + fstride, *f2 = f + 2 * fstride, *f3 = f + 3 * fstride;
    int32_t s0 = a[0], s1 = a[1], s2 = a[2], s3 = a[3], i = 0;
    for (; i + 16 <= n; i += 16) { /* fixed trip count: vectorised at -O2 */
        int32_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;
        for (int j = 0; j < 16; ++j) {
            const int32_t v = (int32_t)x[i + j] + off;
            p0 += (int32_t)f0[i + j] * v;
            p1 += (int32_t)f1[i + j] * v;
            p2 += (int32_t)f2[i + j] * v;
            p3 += (int32_t)f3[i + j] * v;
        }
        s0 += p0;
        s1 += p1;
        s2 += p2;
        s3 += p3;
    }
    for (; i < n; ++i) {
        const int32_t v = (int32_t)x[i] + off;
        s0 += (int32_t)f0[i] * v;
        s1 += (int32_t)f1[i] * v;
        s2 += (int32_t)f2[i] * v;
        s3 += (int32_t)f3[i] * v;
    }
    a[0] = s0;
    a[1] = s1;
    a[2] = s2;
    a[3] = s3;
#endif
}

/* two input spans (two output pixels) x two filters (two output channels), n elements:
 * a[0] += f0 . (x0 + off), a[1] += f1 . (x0 + off), a[2] += f0 . (x1 + off),
 * a[3] += f1 . (x1 + off). Each widened word serves two MACs pairs: with the DSP extension
 * 20 instructions per 16 MACs instead of 26. */
EK_DOT_FN void ek_dot2x2_i8(const int8_t *x0, const int8_t *x1, const int8_t *f0,
                            const int8_t *f1, int32_t n, int32_t off, int32_t *a) {
    int32_t s00 = a[0], s01 = a[1], s10 = a[2], s11 = a[3], i = 0;
#ifdef EK_DSP
    const int16x2_t offp = ek_offset2(off);
    for (; i + 4 <= n; i += 4) {
        const uint32_t xw0 = ek_load4(x0 + i), xw1 = ek_load4(x1 + i);
        const int16x2_t a02 = __sxtab16(offp, (int8x4_t)xw0), a13 = ek_sxtab16_ror8(offp, xw0);
        const int16x2_t b02 = __sxtab16(offp, (int8x4_t)xw1), b13 = ek_sxtab16_ror8(offp, xw1);
        uint32_t w = ek_load4(f0 + i);
        int16x2_t w02 = __sxtb16((int8x4_t)w), w13 = ek_sxtb16_ror8(w);
        s00 = __smlad(w13, a13, __smlad(w02, a02, s00));
        s10 = __smlad(w13, b13, __smlad(w02, b02, s10));
        w = ek_load4(f1 + i);
        w02 = __sxtb16((int8x4_t)w);
        w13 = ek_sxtb16_ror8(w);
        s01 = __smlad(w13, a13, __smlad(w02, a02, s01));
        s11 = __smlad(w13, b13, __smlad(w02, b02, s11));
    }
#else
    for (; i + 16 <= n; i += 16) { /* fixed trip count: vectorised at -O2 */
        int32_t p00 = 0, p01 = 0, p10 = 0, p11 = 0;
        for (int j = 0; j < 16; ++j) {
            const int32_t u = (int32_t)x0[i + j] + off, v = (int32_t)x1[i + j] + off;
            p00 += (int32_t)f0[i + j] * u;
            p01 += (int32_t)f1[i + j] * u;
            p10 += (int32_t)f0[i + j] * v;
            p11 += (int32_t)f1[i + j] * v;
        }
        s00 += p00;
        s01 += p01;
        s10 += p10;
        s11 += p11;
    }
#endif
    for (; i < n; ++i) {
        const int32_t u = (int32_t)x0[i] + off, v = (int32_t)x1[i] + off;
        s00 += (int32_t)f0[i] * u;
        s01 += (int32_t)f1[i] * u;
        s10 += (int32_t)f0[i] * v;
        s11 += (int32_t)f1[i] * v;
    }
    a[0] = s00;
    a[1] = s01;
    a[2] = s10;
    a[3] = s11;
}

#ifndef EK_DSP
#if defined(__GNUC__)
#define EK_ACC8_FN __attribute__((noinline, unused)) static /* one copy, called per pixel */
#else
#define EK_ACC8_FN static
#endif
/* Portable builds: a[0..8) += eight output channels over an ny x nx window of taps (input
 * ip, steps in_row / in_col; filter fp, steps f_row / f_col), eight channels per pass. Each product fits 16 bits exactly (|w| <= 128,
 * |x + off| <= 255), so the loop is 16 x 16 -> 16-bit multiplies widened into 32-bit sums,
 * which GCC vectorises at -O2 (2x the four-sum loop on x86). one: all eight channels read the
 * same input value (one input channel), else channel j reads input channel j. */
EK_ACC8_FN void ek_acc8_i8(const int8_t *ip, const int8_t *fp,
                                                         int32_t ny, int32_t nx, size_t in_row,
                                                         size_t in_col, size_t f_row,
                                                         size_t f_col, int16_t off, int one,
                                                         int32_t *restrict a) {
    int32_t t[8];
    for (int j = 0; j < 8; ++j) {
        t[j] = a[j];
    }
    for (int32_t ky = 0; ky < ny; ++ky) {
        for (int32_t kx = 0; kx < nx; ++kx) {
            const int8_t *x = ip + ky * in_row + kx * in_col, *w = fp + ky * f_row + kx * f_col;
            if (one) {
                const int16_t v = (int16_t)((int16_t)x[0] + off);
                for (int j = 0; j < 8; ++j) {
                    t[j] += (int16_t)((int16_t)w[j] * v);
                }
            } else {
                for (int j = 0; j < 8; ++j) {
                    t[j] += (int16_t)((int16_t)w[j] * (int16_t)((int16_t)x[j] + off));
                }
            }
        }
    }
    for (int j = 0; j < 8; ++j) {
        a[j] = t[j];
    }
}

#endif

#ifdef EK_DSP
/*
 * The loop of ek_dot2x2_raw, in assembly: without the input offset's register its 14 values
 * (4 pointers, 4 sums, 6 widened words) fit r0-r12 and lr, where GCC's schedule of the C loop
 * spills 4 per pass: 23 instructions per 16 MACs (the end pointer read from the stack) instead
 * of 27. A naked function, so it needs no registers from the compiler and builds the same at
 * every optimisation level and frame-pointer setting. AAPCS: x0, x1, f0, f1 in r0-r3; end
 * (x0 + a multiple of 4, above x0) and a (s00, s01, s10, s11) on the stack.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* read by the assembly, from r0-r3 / stack */
__attribute__((naked, noinline, unused)) static void ek_dot2x2_loop(
    const int8_t *x0, const int8_t *x1, const int8_t *f0, const int8_t *f1, const int8_t *end,
    int32_t *a) {
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "ldr r12, [sp, #40]\n\t"
        "ldm r12, {r4-r7}\n\t"
        "1:\n\t"
        "ldr r8, [r0], #4\n\t"
        "ldr r9, [r2], #4\n\t"
        "sxtb16 r10, r8\n\t"
        "sxtb16 r8, r8, ror #8\n\t"
        "sxtb16 r11, r9\n\t"
        "sxtb16 r9, r9, ror #8\n\t"
        "smlad r4, r11, r10, r4\n\t"
        "smlad r4, r9, r8, r4\n\t"
        "ldr r12, [r1], #4\n\t"
        "sxtb16 lr, r12\n\t"
        "sxtb16 r12, r12, ror #8\n\t"
        "smlad r6, r11, lr, r6\n\t"
        "smlad r6, r9, r12, r6\n\t"
        "ldr r9, [r3], #4\n\t"
        "sxtb16 r11, r9\n\t"
        "sxtb16 r9, r9, ror #8\n\t"
        "smlad r5, r11, r10, r5\n\t"
        "smlad r5, r9, r8, r5\n\t"
        "smlad r7, r11, lr, r7\n\t"
        "smlad r7, r9, r12, r7\n\t"
        "ldr r8, [sp, #36]\n\t"
        "cmp r0, r8\n\t"
        "bne 1b\n\t"
        "ldr r12, [sp, #40]\n\t"
        "stm r12, {r4-r7}\n\t"
        "pop {r4-r11, pc}\n\t");
}
#pragma GCC diagnostic pop

/* ek_dot2x2_i8 without the input offset (the caller adds offset x the filter's sum): a[0] +=
 * f0 . x0, a[1] += f1 . x0, a[2] += f0 . x1, a[3] += f1 . x1, n elements */
__attribute__((unused)) static inline void ek_dot2x2_raw(const int8_t *x0, const int8_t *x1,
                                                         const int8_t *f0, const int8_t *f1,
                                                         int32_t n, int32_t *a) {
    const int32_t n4 = n & ~3;
    if (n4 > 0) {
        ek_dot2x2_loop(x0, x1, f0, f1, x0 + n4, a);
    }
    for (int32_t i = n4; i < n; ++i) {
        a[0] += (int32_t)f0[i] * x0[i];
        a[1] += (int32_t)f1[i] * x0[i];
        a[2] += (int32_t)f0[i] * x1[i];
        a[3] += (int32_t)f1[i] * x1[i];
    }
}
#endif

#endif /* EDGEKIT_DOT_H */
