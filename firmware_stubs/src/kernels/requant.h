/*
 * Short int8 requantisation for the fast kernels: TFLite's MultiplyByQuantizedMultiplier (two
 * roundings) plus the output zero point in four operations per output on the Cortex-M (five
 * in portable C), exact whenever the accumulator is bounded (ek_rq_prepare proves the bound
 * per operator, per call; otherwise the kernel keeps ek_requant).
 *
 * Why it is exact, for |acc| < 2^30, mult >= 0 and a right shift e >= 1 (no left shift):
 *   high = floor((acc * mult + 2^30) / 2^31) = floor((2 acc * mult + 2^31) / 2^32), which is
 *          SMMULR(2 acc, mult) on the Cortex-M DSP (one instruction);
 *   TFLite's RoundingDivideByPOT(high, e) (ties away from zero) =
 *          floor((high + 2^(e-1) - [high < 0]) / 2^e) = (high + (high >> 31) + 2^(e-1)) >> e,
 *   and adding the zero point after the shift is adding zp * 2^e before it. With |high| <=
 *   |acc| + 1 and the bound below, no sum overflows.
 *   On the Cortex-M, SMMLAR(2 acc, mult, add) gives add + high in one instruction (add =
 *   2^(e-1) + zp * 2^e), and [high < 0] may be read as [acc < 0]: acc >= 0 gives high >= 0;
 *   acc < 0 gives high <= 0, and where high = 0 both read floor((2^(e-1) - {0 or 1}) / 2^e) =
 *   0 (e >= 1). So SMMLAR, ADD (acc >> 31), ASR e, SSAT: the assembly kernels (dwconv_wide.c,
 *   conv_pointwise.c) use the same four.
 * tests/test_conv.c and tests/test_fully_connected.c compare every fast kernel with the
 * reference bit for bit.
 */
#ifndef EDGEKIT_REQUANT_H
#define EDGEKIT_REQUANT_H

#include "../internal.h"
#include "dot.h"

/* one output channel: its bias (0 without), mult, 2^(e-1) + zp * 2^e, e */
typedef struct {
    int32_t bias, mult, add, shift;
} ek_rq;

#if defined(__GNUC__)
#define EK_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define EK_ALWAYS_INLINE static inline
#endif

#define EK_RQ_MAX 32 /* channels (16 B each on the stack): more, and the kernels use ek_requant */

/*
 * rq[0..oc) for the operator's channels, or 0 where the short form might not be exact: more
 * than EK_RQ_MAX channels, a left shift or none to the right, a negative multiplier, or an
 * accumulator bound (depth x 128 x 255 + |bias|: depth = the int8 products summed per
 * output) too large.
 */
static inline int ek_rq_prepare(const ek_op *op, int32_t oc, int32_t zp, const int32_t *bias,
                                int32_t depth, ek_rq *rq) {
    const int64_t limit = (int64_t)1 << 30;
    if (oc > EK_RQ_MAX || depth < 0 || (int64_t)depth * 32640 >= limit) {
        return 0;
    }
    for (int32_t o = 0; o < oc; ++o) {
        const int j = op->num_mult == 1 ? 0 : (int)o;
        const int32_t e = -op->shift[j];
        const int64_t b = bias != NULL ? bias[o] : 0;
        const int64_t bound = (int64_t)depth * 32640 + (b < 0 ? -b : b);
        if (e < 1 || e > 30 || bound >= limit || op->mult[j] < 0) {
            return 0;
        }
        const int64_t add = ((int64_t)1 << (e - 1)) + (int64_t)zp * ((int64_t)1 << e);
        if (bound + 2 + (add < 0 ? -add : add) >= ((int64_t)1 << 31)) {
            return 0;
        }
        rq[o].bias = (int32_t)b;
        rq[o].mult = op->mult[j];
        rq[o].add = (int32_t)add;
        rq[o].shift = e;
    }
    return 1;
}

/* the requantised value (zero point included), before the activation clamp */
static inline int32_t ek_rq_apply(int32_t acc, const ek_rq *q) {
#ifdef EK_DSP
    int32_t h; /* add + high in one SMMLAR; then acc's sign for high's (see above) */
    __asm__("smmlar %0, %1, %2, %3" : "=r"(h) : "r"(acc * 2), "r"(q->mult), "r"(q->add));
    return (h + (acc >> 31)) >> q->shift;
#else
    const int32_t high = (int32_t)(((int64_t)acc * q->mult + ((int64_t)1 << 30)) >> 31);
    return (high + (high >> 31) + q->add) >> q->shift;
#endif
}

/* the same four operations in the assembly kernels' text: d = requantised 2 acc (acc's
 * doubled sum in register acc, constants in mult, add, shift), saturated to int8 */
#define EK_RQ_ASM(d, acc, mult, add, shift)              \
    "smmlar " d ", " acc ", " mult ", " add "\n\t"        \
    "add " d ", " d ", " acc ", asr #31\n\t"              \
    "asr " d ", " d ", " shift "\n\t"                     \
    "ssat " d ", #8, " d "\n\t"

/* clamp to the activation range [lo, hi] (inside [-128, 127]); full: the whole int8 range
 * (one SSAT with the DSP extension), a constant where the kernel is specialised on it */
EK_ALWAYS_INLINE int8_t ek_rq_clamp(int32_t v, int32_t lo, int32_t hi, int full) {
#ifdef EK_DSP
    if (full) {
        return (int8_t)__ssat(v, 8);
    }
#else
    if (full) {
        return (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
#endif
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

/* the operator's activation range is the whole int8 range */
static inline int ek_rq_full(const ek_op *op) {
    return op->act_min == -128 && op->act_max == 127;
}

#endif /* EDGEKIT_REQUANT_H */
