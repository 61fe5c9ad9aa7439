/*
 * The fast 1x1 CONV_2D (pointwise: DS-CNN's layers after each depthwise), int8: the reference's
 * bits (see conv.c). The filter is widened to 16 bits once per call; per output pixel the
 * input pixel is widened once (input offset added) and every output channel is one short dot
 * product of halfword pairs (SMLAD with the DSP extension) followed by the short
 * requantisation of requant.h, in the same pass. Taken when the layer fits the buffers below
 * (input channels a multiple of 4), otherwise the general kernel runs.
 */
#include "conv.h"
#include "requant.h"

#define EK_PW_MAXC 64    /* input channels */
#define EK_PW_MAXF 512 /* filter values (1 KB of stack once widened) */

#ifdef EK_DSP
typedef uint32_t pw_word; /* two widened values: (v0, v2) then (v1, v3) of each 4 */
#define PW_PER 2
#else
typedef int16_t pw_word;
#define PW_PER 1
#endif

/* n int8 values (n a multiple of 4) plus off, widened */
static void widen(const int8_t *x, int32_t n, int32_t off, pw_word *w) {
#ifdef EK_DSP
    const int16x2_t offp = ek_offset2(off);
    for (int32_t i = 0; i < n; i += 4, w += 2) {
        const uint32_t v = ek_load4(x + i);
        w[0] = (uint32_t)__sxtab16(offp, (int8x4_t)v);
        w[1] = (uint32_t)ek_sxtab16_ror8(offp, v);
    }
#else
    for (int32_t i = 0; i < n; ++i) {
        w[i] = (int16_t)((int32_t)x[i] + off);
    }
#endif
}

/* acc + x . f over n values (n a multiple of 4; words of PW_PER values) */
EK_ALWAYS_INLINE int32_t pw_dot(const pw_word *x, const pw_word *f, int32_t n, int32_t acc) {
#ifdef EK_DSP
    for (int32_t i = 0; i < n / 2; i += 2) {
        acc = __smlad((int16x2_t)f[i], (int16x2_t)x[i], acc);
        acc = __smlad((int16x2_t)f[i + 1], (int16x2_t)x[i + 1], acc);
    }
#else
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) { /* fixed trip count: vectorised at -O2 */
        int32_t p = 0;
        for (int j = 0; j < 8; ++j) {
            p += (int32_t)f[i + j] * x[i + j];
        }
        acc += p;
    }
    for (; i < n; ++i) {
        acc += (int32_t)f[i] * x[i];
    }
#endif
    return acc;
}

/* every output channel of one pixel: the dot product, then the short requantisation. Always
 * inlined with ic and full as constants where they are (8 channels, the whole int8 range): the
 * dot product unrolled, no per-output clamp branches. */
EK_ALWAYS_INLINE void pw_pixel(const pw_word *xw, const pw_word *fw, int32_t ic, int32_t oc,
                               const ek_rq *rq, int8_t *po, int32_t lo, int32_t hi, int full) {
    const int32_t words = ic / PW_PER;
    for (int32_t o = 0; o < oc; ++o, fw += words) {
        const int32_t acc = pw_dot(xw, fw, ic, rq[o].bias);
        po[o] = ek_rq_clamp(ek_rq_apply(acc, &rq[o]), lo, hi, full);
    }
}

/* the output pixels (widened filter fw) */
static void pw_run(const ek_op *op, const conv_dims *d, const int8_t *in, int32_t in_off,
                   const pw_word *fw, const ek_rq *rq, int8_t *out) {
    const int32_t ic = d->ic, oc = d->oc, lo = op->act_min, hi = op->act_max;
    const int full = ek_rq_full(op);
    pw_word xw[EK_PW_MAXC / PW_PER];
    for (int32_t y = 0; y < d->oh; ++y) {
        const int8_t *ip = in + (size_t)y * op->stride_h * d->iw * ic;
        for (int32_t x = 0; x < d->ow; ++x, ip += (size_t)op->stride_w * ic, out += oc) {
            widen(ip, ic, in_off, xw);
            if (ic == 8 && full) {
                pw_pixel(xw, fw, 8, oc, rq, out, lo, hi, 1);
            } else if (full) {
                pw_pixel(xw, fw, ic, oc, rq, out, lo, hi, 1);
            } else {
                pw_pixel(xw, fw, ic, oc, rq, out, lo, hi, 0);
            }
        }
    }
}

#ifdef EK_DSP
/*
 * 8 input channels, stride 1, the whole int8 range as the activation (DS-CNN's 8 -> N layers):
 * one assembly loop over every pixel. Per pixel two word loads and four SXTAB16 (offset added)
 * hold the input in four registers; per output channel one LDM brings its bias and its four
 * filter words, four SMLAD, one LDM its (mult, add, shift), the short requantisation and the
 * store: 11 instructions for 8 MACs, two channels per loop pass (GCC's loop took 29.5). Filter
 * and bias doubled: the sum is 2 x acc, what SMMLAR takes (requant.h).
 */
#define PW8_WORDS 8 /* per output channel: bias, 4 filter words, mult, add, shift */

typedef struct {
    const int8_t *end;     /* the input after the last pixel */
    uint32_t off;          /* the input offset in both halves */
    const uint32_t *stop;  /* the block after the last channel */
} pw8_args;

#define PW8_CH                         \
    "ldm r1!, {r8-r12}\n\t"             \
    "smlad r8, r4, r9, r8\n\t"          \
    "smlad r8, r5, r10, r8\n\t"         \
    "smlad r8, r6, r11, r8\n\t"         \
    "smlad r8, r7, r12, r8\n\t"         \
    "ldm r1!, {r9-r11}\n\t"             \
    EK_RQ_ASM("r9", "r8", "r9", "r10", "r11") \
    "strb r9, [r2], #1\n\t"

/* AAPCS: in, blk, out in r0-r2, the arguments in r3; at least one pixel, an even number of
 * channels. Registers: r0 in, r1 the block, r2 out, r3 end, r4-r7 the widened pixel, r8 the
 * sum, r9-r12 filter words then requantisation constants, lr the block's end; on the stack
 * the block, then the offset. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* read by the assembly, from r0-r3 */
__attribute__((naked, noinline)) static void pw8_loop(const int8_t *in, const uint32_t *blk,
                                                      int8_t *out, const pw8_args *a) {
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "ldr lr, [r3, #8]\n\t"
        "ldr r12, [r3, #4]\n\t"
        "push {r1, r12}\n\t"
        "ldr r3, [r3]\n\t"
        "1:\n\t"
        "ldr r6, [r0, #4]\n\t"
        "ldr r4, [r0], #8\n\t"
        "ldr r8, [sp, #4]\n\t"
        "sxtab16 r5, r8, r4, ror #8\n\t"
        "sxtab16 r4, r8, r4\n\t"
        "sxtab16 r7, r8, r6, ror #8\n\t"
        "sxtab16 r6, r8, r6\n\t"
        "ldr r1, [sp]\n\t"
        "2:\n\t"
        PW8_CH
        PW8_CH
        "cmp r1, lr\n\t"
        "bne 2b\n\t"
        "cmp r0, r3\n\t"
        "bne 1b\n\t"
        "add sp, sp, #8\n\t"
        "pop {r4-r11, pc}\n\t");
}
#pragma GCC diagnostic pop

/*
 * 16 input channels (a DS-CNN layer after a concatenation): the pixel widened into eight
 * registers, per output channel four LDM of two filter words (the first with the bias), eight
 * SMLAD, one LDM of the requantisation constants: 17 instructions for 16 MACs.
 */
#define PW16_WORDS 12 /* filter words 0-1, bias, filter words 2-7, mult, add, shift */

#define PW16_CH                        \
    "ldm r1!, {r0, r3, r12}\n\t"        \
    "smlad r12, r4, r0, r12\n\t"        \
    "smlad r12, r5, r3, r12\n\t"        \
    "ldm r1!, {r0, r3}\n\t"             \
    "smlad r12, r6, r0, r12\n\t"        \
    "smlad r12, r7, r3, r12\n\t"        \
    "ldm r1!, {r0, r3}\n\t"             \
    "smlad r12, r8, r0, r12\n\t"        \
    "smlad r12, r9, r3, r12\n\t"        \
    "ldm r1!, {r0, r3}\n\t"             \
    "smlad r12, r10, r0, r12\n\t"       \
    "smlad r12, r11, r3, r12\n\t"       \
    "ldm r1!, {r0, r3, lr}\n\t"         \
    EK_RQ_ASM("r0", "r12", "r0", "r3", "lr") \
    "strb r0, [r2], #1\n\t"

/* AAPCS as pw8_loop. Registers in the channel loop: r1 the block, r2 out, r4-r11 the widened
 * pixel, r12 the sum, r0, r3, lr filter words then constants; on the stack in, blk, end, stop,
 * the offset. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* read by the assembly, from r0-r3 */
__attribute__((naked, noinline)) static void pw16_loop(const int8_t *in, const uint32_t *blk,
                                                       int8_t *out, const pw8_args *a) {
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "ldr r12, [r3, #8]\n\t"
        "ldr lr, [r3, #4]\n\t"
        "ldr r3, [r3]\n\t"
        "push {r0, r1, r3, r12, lr}\n\t"
        "1:\n\t"
        "ldr r0, [sp]\n\t"
        "ldr lr, [sp, #16]\n\t"
        "ldr r4, [r0]\n\t"
        "ldr r6, [r0, #4]\n\t"
        "ldr r8, [r0, #8]\n\t"
        "ldr r10, [r0, #12]\n\t"
        "add r0, r0, #16\n\t"
        "str r0, [sp]\n\t"
        "sxtab16 r5, lr, r4, ror #8\n\t"
        "sxtab16 r4, lr, r4\n\t"
        "sxtab16 r7, lr, r6, ror #8\n\t"
        "sxtab16 r6, lr, r6\n\t"
        "sxtab16 r9, lr, r8, ror #8\n\t"
        "sxtab16 r8, lr, r8\n\t"
        "sxtab16 r11, lr, r10, ror #8\n\t"
        "sxtab16 r10, lr, r10\n\t"
        "ldr r1, [sp, #4]\n\t"
        "2:\n\t"
        PW16_CH
        PW16_CH
        "ldr r0, [sp, #12]\n\t"
        "cmp r1, r0\n\t"
        "bne 2b\n\t"
        "ldr r0, [sp]\n\t"
        "ldr r3, [sp, #8]\n\t"
        "cmp r0, r3\n\t"
        "bne 1b\n\t"
        "add sp, sp, #20\n\t"
        "pop {r4-r11, pc}\n\t");
}
#pragma GCC diagnostic pop

static uint32_t pw8_pair(int32_t lo, int32_t hi) {
    return (uint32_t)(uint16_t)(int16_t)(2 * lo) | (uint32_t)(uint16_t)(int16_t)(2 * hi) << 16;
}

/* 8 or 16 input channels through pw8_loop / pw16_loop; 0 where the layer does not fit. Out of
 * line: its block and the general path's widened filter are not on the stack together. */
__attribute__((noinline)) static int pw8(const ek_op *op, const conv_dims *d, const int8_t *in,
                                         int32_t in_off, const int8_t *f, const ek_rq *rq,
                                         int8_t *out) {
    const int32_t oc = d->oc, ic = d->ic;
    const int32_t words = ic == 8 ? PW8_WORDS : PW16_WORDS;
    uint32_t blk[EK_RQ_MAX * PW8_WORDS]; /* 1 KB: 32 channels of 8 inputs, 21 of 16 */
    if ((ic != 8 && ic != 16) || oc % 2 != 0 || oc * words > EK_RQ_MAX * PW8_WORDS ||
        op->stride_h != 1 || op->stride_w != 1 || !ek_rq_full(op) || d->oh * d->ow == 0) {
        return 0;
    }
    for (int32_t o = 0; o < oc; ++o, f += ic) {
        uint32_t *b = blk + o * words, *w = b + (ic == 8 ? 1 : 0);
        for (int32_t i = 0; i < ic; i += 4, w += 2) {
            if (ic == 16 && i == 4) {
                ++w; /* pw16's bias after the first two filter words */
            }
            w[0] = pw8_pair(f[i], f[i + 2]);
            w[1] = pw8_pair(f[i + 1], f[i + 3]);
        }
        b[ic == 8 ? 0 : 2] = (uint32_t)(2 * rq[o].bias);
        b[words - 3] = (uint32_t)rq[o].mult;
        b[words - 2] = (uint32_t)rq[o].add;
        b[words - 1] = (uint32_t)rq[o].shift;
    }
    pw8_args a;
    a.end = in + (size_t)d->oh * d->ow * ic;
    a.off = (uint32_t)ek_offset2(in_off);
    a.stop = blk + oc * words;
    if (ic == 8) {
        pw8_loop(in, blk, out, &a);
    } else {
        pw16_loop(in, blk, out, &a);
    }
    return 1;
}
#endif

/* the general path: the filter widened (on this function's own frame), then pw_run */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void pw_widened(const ek_op *op, const conv_dims *d, const int8_t *in, int32_t in_off,
                       const int8_t *f, const ek_rq *rq, int8_t *out) {
    pw_word fw[EK_PW_MAXF / PW_PER];
    for (int32_t o = 0; o < d->oc; ++o) {
        widen(f + (size_t)o * d->ic, d->ic, 0, fw + (size_t)o * (d->ic / PW_PER));
    }
    pw_run(op, d, in, in_off, fw, rq, out);
}

int ek_pointwise_i8(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const ek_tensor *tin = &ts[op->in[0]], *tout = &ts[op->out];
    const int32_t *bias = op->in[2] >= 0 ? (const int32_t *)ek_in(&ts[op->in[2]], work) : NULL;
    const int32_t ic = d->ic, oc = d->oc;
    ek_rq rq[EK_RQ_MAX];
    if (d->kh != 1 || d->kw != 1 || op->pad_h != 0 || op->pad_w != 0 || ic % 4 != 0 ||
        ic > EK_PW_MAXC || oc * ic > EK_PW_MAXF ||
        !ek_rq_prepare(op, oc, tout->zero_point, bias, ic, rq)) {
        return 0;
    }
    const int8_t *f = (const int8_t *)ek_in(&ts[op->in[1]], work);
#ifdef EK_DSP
    if (pw8(op, d, (const int8_t *)ek_in(tin, work), -tin->zero_point, f, rq,
            (int8_t *)ek_out(tout, work))) {
        return 1;
    }
#endif
    pw_widened(op, d, (const int8_t *)ek_in(tin, work), -tin->zero_point, f, rq,
               (int8_t *)ek_out(tout, work));
    return 1;
}
