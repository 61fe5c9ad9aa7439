/*
 * The fast CONV_2D kernels, int8 and float32 (the reference's bits; see conv.c).
 */
#include "conv.h"
#include "dot.h"
#include "requant.h"

/* the short requantisation where ek_rq_prepare proved it exact (rq), else TFLite's */
static inline int8_t out_i8(int32_t acc, const ek_op *op, int32_t o, int32_t zp, const ek_rq *rq) {
    return rq != NULL ? ek_rq_clamp(ek_rq_apply(acc, &rq[o]), op->act_min, op->act_max, 0)
                      : (int8_t)ek_requant(acc, op, o, zp);
}

#ifdef EK_DSP
#define EK_TSUM_MAX 128 /* filter taps (channels x rows x columns) summed on the stack */

/* tsum[(o * kh + ky) * kw + kx] = the sum of output channel o's filter at tap (ky, kx): the
 * DSP pixel pairs add input offset x filter sum once instead of the offset to every input */
static void tap_sums(const int8_t *f, const conv_dims *d, int32_t *tsum) {
    for (int32_t t = 0; t < d->oc * d->kh * d->kw; ++t, f += d->ic) {
        int32_t s = 0;
        for (int32_t c = 0; c < d->ic; ++c) {
            s += f[c];
        }
        tsum[t] = s;
    }
}
#endif

/* Output pixels x and x + 1 of row y together (same in-image taps, dil_w 1): two pixels x
 * two channels per pass, each widened input and filter word used twice. */
static void conv_i8_pixel_pair(const ek_op *op, const conv_dims *d, const int8_t *in,
                               const int8_t *f, const int32_t *bias, int8_t *out, int32_t in_off,
                               int32_t zp, int32_t y, int32_t x, int32_t x0, int32_t x1,
                               const ek_rq *rq, const int32_t *tsum) {
    int32_t y0, y1;
    ek_tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
    const size_t fstride = (size_t)d->kh * d->kw * d->ic;
    const size_t step = (size_t)op->stride_w * d->ic; /* input offset of pixel x + 1 */
    const int32_t len = (x1 - x0) * d->ic;
    int8_t *po = out + ((size_t)y * d->ow + x) * d->oc;
    for (int32_t o = 0; o < d->oc; o += 2) {
        const int32_t o1 = o + 1 < d->oc ? o + 1 : o; /* an odd last channel: computed twice */
        int32_t a[4] = {0, 0, 0, 0};
        if (bias != NULL) {
            a[0] = a[2] = bias[o];
            a[1] = a[3] = bias[o1];
        }
        if (tsum != NULL) { /* the offset as in_off x the filter's sum over the taps */
            int32_t c0 = 0, c1 = 0;
            for (int32_t ky = y0; ky < y1; ++ky) {
                for (int32_t kx = x0; kx < x1; ++kx) {
                    c0 += tsum[((size_t)o * d->kh + ky) * d->kw + kx];
                    c1 += tsum[((size_t)o1 * d->kh + ky) * d->kw + kx];
                }
            }
            a[0] += in_off * c0;
            a[2] += in_off * c0;
            a[1] += in_off * c1;
            a[3] += in_off * c1;
        }
        for (int32_t ky = y0; ky < y1 && len > 0; ++ky) {
            const int32_t yy = y * op->stride_h - op->pad_h + ky * op->dil_h;
            const int32_t xx = x * op->stride_w - op->pad_w + x0;
            const int8_t *ip = in + ((size_t)yy * d->iw + xx) * d->ic;
            const size_t fo = ((size_t)ky * d->kw + x0) * d->ic;
            const int8_t *f0 = f + (size_t)o * fstride + fo, *f1 = f + (size_t)o1 * fstride + fo;
#ifdef EK_DSP
            if (tsum != NULL) {
                ek_dot2x2_raw(ip, ip + step, f0, f1, len, a);
                continue;
            }
#endif
            ek_dot2x2_i8(ip, ip + step, f0, f1, len, in_off, a);
        }
        po[o] = out_i8(a[0], op, o, zp, rq);
        po[o1] = out_i8(a[1], op, o1, zp, rq);
        po[d->oc + o] = out_i8(a[2], op, o, zp, rq);
        po[d->oc + o1] = out_i8(a[3], op, o1, zp, rq);
    }
}

/* the pixels the DSP path below wrote: rows [ya, yb), pixels [xa, xe) of each */
typedef struct {
    int32_t ya, yb, xa, xe;
} wide_done;

#ifdef EK_DSP
/*
 * Interior pixel pairs (every tap inside the input) with the filter of two output channels
 * widened to 16-bit pairs once, on the stack: per 4 input bytes of each pixel one word load
 * and two SXTB16, per channel one LDM of its two filter words, eight SMLAD for 16 MACs (17
 * instructions with the loop, two groups a pass; ek_dot2x2_loop widens the filter on every
 * pass: 23). The input
 * offset is added once as offset x the filter's sum, the channel pair is the outer loop so one
 * widened filter (at most 1 KB) serves every pixel. The border pixels take the general loop.
 */
#define EK_WIDE_WORDS 256 /* widened filter words of a channel pair (kh x kw x ic <= 512) */

/* one group of 4 input bytes of both pixels against both channels' widened filter words */
#define DOT2X2_GROUP                     \
    "ldr r8, [r0], #4\n\t"               \
    "ldr r10, [r1], #4\n\t"              \
    "sxtb16 r9, r8, ror #8\n\t"          \
    "sxtb16 r8, r8\n\t"                  \
    "sxtb16 r11, r10, ror #8\n\t"        \
    "sxtb16 r10, r10\n\t"                \
    "ldm r2!, {r12, lr}\n\t"             \
    "smlad r4, r8, r12, r4\n\t"          \
    "smlad r4, r9, lr, r4\n\t"           \
    "smlad r6, r10, r12, r6\n\t"         \
    "smlad r6, r11, lr, r6\n\t"          \
    "ldm r2!, {r12, lr}\n\t"             \
    "smlad r5, r8, r12, r5\n\t"          \
    "smlad r5, r9, lr, r5\n\t"           \
    "smlad r7, r10, r12, r7\n\t"         \
    "smlad r7, r11, lr, r7\n\t"

/* AAPCS: x0, x1, fw, end (x0 after its last group of 4) in r0-r3, a on the stack: a[0] +=
 * f0 . x0, a[1] += f1 . x0, a[2] += f0 . x1, a[3] += f1 . x1; fw per group (f0 02, f0 13,
 * f1 02, f1 13). At least one group. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* read by the assembly, from r0-r3 / stack */
__attribute__((naked, noinline)) static void dot2x2_wide(const int8_t *x0, const int8_t *x1,
                                                         const uint32_t *fw, const int8_t *end,
                                                         int32_t *a) {
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "ldr r12, [sp, #36]\n\t"
        "ldm r12, {r4-r7}\n\t"
        "sub r12, r3, r0\n\t" /* an odd number of groups: one first */
        "tst r12, #4\n\t"
        "beq 1f\n\t"
        DOT2X2_GROUP
        "cmp r0, r3\n\t"
        "beq 2f\n\t"
        "1:\n\t"
        DOT2X2_GROUP
        DOT2X2_GROUP
        "cmp r0, r3\n\t"
        "bne 1b\n\t"
        "2:\n\t"
        "ldr r12, [sp, #36]\n\t"
        "stm r12, {r4-r7}\n\t"
        "pop {r4-r11, pc}\n\t");
}
#pragma GCC diagnostic pop

/* the outputs [lo, hi) of an axis whose taps are all inside the input */
static void full_range(int32_t stride, int32_t pad, int32_t dil, int32_t k, int32_t in,
                       int32_t out, int32_t *lo, int32_t *hi) {
    const int32_t last = in - 1 + pad - (k - 1) * dil; /* o * stride may reach this */
    *lo = (pad + stride - 1) / stride;
    *hi = last < 0 ? 0 : last / stride + 1;
    if (*hi > out) {
        *hi = out;
    }
    if (*hi < *lo) {
        *hi = *lo;
    }
}

/* the interior pixel pairs of the layer; *done says which pixels (none where it does not fit) */
__attribute__((noinline)) static void conv_i8_wide(const ek_op *op, const conv_dims *d,
                                                   const int8_t *in, const int8_t *f,
                                                   const int32_t *bias, int8_t *out,
                                                   int32_t in_off, int32_t zp, const ek_rq *rq,
                                                   uint32_t *fw, wide_done *done) {
    const int32_t ic = d->ic, row = d->kw * ic, groups = row / 4, kh = d->kh;
    memset(done, 0, sizeof *done);
    if (op->dil_w != 1 || groups < 1 || kh * groups * 4 > EK_WIDE_WORDS) {
        return;
    }
    int32_t ya, yb, xa, xb;
    full_range(op->stride_h, op->pad_h, op->dil_h, kh, d->ih, d->oh, &ya, &yb);
    full_range(op->stride_w, op->pad_w, 1, d->kw, d->iw, d->ow, &xa, &xb);
    const int32_t xe = xa + (xb - xa) / 2 * 2;
    if (ya >= yb || xe <= xa) {
        return;
    }
    const size_t fstride = (size_t)kh * row, step = (size_t)op->stride_w * ic;
    const int16x2_t ones = (int16x2_t)0x00010001u;
    for (int32_t o = 0; o < d->oc; o += 2) {
        const int32_t o1 = o + 1 < d->oc ? o + 1 : o; /* an odd last channel: computed twice */
        const int8_t *f0 = f + (size_t)o * fstride, *f1 = f + (size_t)o1 * fstride;
        int32_t s0 = 0, s1 = 0; /* the filters' sums */
        for (int32_t ky = 0; ky < kh; ++ky) {
            const int8_t *g0 = f0 + (size_t)ky * row, *g1 = f1 + (size_t)ky * row;
            uint32_t *w = fw + ky * groups * 4;
            for (int32_t g = 0; g < groups; ++g, g0 += 4, g1 += 4, w += 4) {
                const uint32_t v0 = ek_load4(g0), v1 = ek_load4(g1);
                w[0] = (uint32_t)__sxtb16((int8x4_t)v0);
                w[1] = (uint32_t)ek_sxtb16_ror8(v0);
                w[2] = (uint32_t)__sxtb16((int8x4_t)v1);
                w[3] = (uint32_t)ek_sxtb16_ror8(v1);
                s0 = __smlad((int16x2_t)w[0], ones, __smlad((int16x2_t)w[1], ones, s0));
                s1 = __smlad((int16x2_t)w[2], ones, __smlad((int16x2_t)w[3], ones, s1));
            }
            for (int32_t i = 4 * groups; i < row; ++i) {
                s0 += g0[i - 4 * groups];
                s1 += g1[i - 4 * groups];
            }
        }
        const int32_t b0 = (bias != NULL ? bias[o] : 0) + in_off * s0;
        const int32_t b1 = (bias != NULL ? bias[o1] : 0) + in_off * s1;
        for (int32_t y = ya; y < yb; ++y) {
            for (int32_t x = xa; x < xe; x += 2) {
                int32_t a[4] = {b0, b1, b0, b1};
                for (int32_t ky = 0; ky < kh; ++ky) {
                    const int32_t yy = y * op->stride_h - op->pad_h + ky * op->dil_h;
                    const int8_t *ip = in + ((size_t)yy * d->iw + (size_t)(x * op->stride_w - op->pad_w)) * ic;
                    dot2x2_wide(ip, ip + step, fw + ky * groups * 4, ip + 4 * groups, a);
                    const int8_t *g0 = f0 + (size_t)ky * row, *g1 = f1 + (size_t)ky * row;
                    for (int32_t i = 4 * groups; i < row; ++i) { /* the last 1-3 values */
                        a[0] += (int32_t)g0[i] * ip[i];
                        a[1] += (int32_t)g1[i] * ip[i];
                        a[2] += (int32_t)g0[i] * ip[step + i];
                        a[3] += (int32_t)g1[i] * ip[step + i];
                    }
                }
                int8_t *po = out + ((size_t)y * d->ow + x) * d->oc;
                po[o] = out_i8(a[0], op, o, zp, rq);
                po[o1] = out_i8(a[1], op, o1, zp, rq);
                po[d->oc + o] = out_i8(a[2], op, o, zp, rq);
                po[d->oc + o1] = out_i8(a[3], op, o1, zp, rq);
            }
        }
    }
    done->ya = ya;
    done->yb = yb;
    done->xa = xa;
    done->xe = xe;
}
#endif

/* int8 conv: per output pixel, output channels four (then two) at a time sharing each input
 * load; with
 * dil_w 1 the in-image taps of one filter row are one contiguous run of (kx, channel) values
 * in both the input and the filter, so each row is a single dot product. */
void ek_conv_i8_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const ek_op local = *op; /* a copy the int8 output stores cannot alias: op's fields stay */
    op = &local;             /* in registers instead of being reloaded after every store */
    const conv_i8_args v = ek_conv_i8_args(op, ts, work);
    const int8_t *in = v.in, *f = v.f;
    const int32_t *bias = v.bias;
    int8_t *out = v.out;
    const int32_t in_off = v.in_off, zp = v.zp;
    const size_t fstride = (size_t)d->kh * d->kw * d->ic; /* one output channel's filter */
    const int32_t runs = op->dil_w == 1 ? 1 : d->kw; /* dot products per filter row */
    ek_rq rq_all[EK_RQ_MAX];
    const ek_rq *rq = ek_rq_prepare(op, d->oc, zp, bias, (int32_t)fstride, rq_all) ? rq_all : NULL;
    const int32_t *tsum = NULL;
    wide_done done = {0, 0, 0, 0};
#ifdef EK_DSP
    uint32_t scratch[EK_WIDE_WORDS]; /* conv_i8_wide's filter, then the tap sums */
    conv_i8_wide(op, d, in, f, bias, out, in_off, zp, rq, scratch, &done);
    int32_t *tsum_all = (int32_t *)scratch; /* summed when a pixel pair first needs them */
    const int tsum_fits = runs == 1 && d->oc * d->kh * d->kw <= EK_TSUM_MAX;
#endif
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        ek_tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        const int skip = y >= done.ya && y < done.yb;
        for (int32_t x = 0; x < d->ow; ++x) {
            if (skip && x == done.xa) { /* the interior pairs conv_i8_wide wrote */
                x = done.xe - 1;
                continue;
            }
            int32_t x0, x1;
            ek_tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
            if (runs == 1 && x + 1 < d->ow) {
                int32_t n0, n1;
                ek_tap_range(x + 1, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &n0, &n1);
                if (n0 == x0 && n1 == x1) {
#ifdef EK_DSP
                    if (tsum == NULL && tsum_fits) {
                        tap_sums(f, d, tsum_all);
                        tsum = tsum_all;
                    }
#endif
                    conv_i8_pixel_pair(op, d, in, f, bias, out, in_off, zp, y, x, x0, x1, rq, tsum);
                    ++x;
                    continue;
                }
            }
            const int32_t len = runs == 1 ? (x1 - x0) * d->ic : d->ic;
            const int32_t nrun = runs == 1 ? (x1 > x0) : x1 - x0;
            int8_t *po = out + ((size_t)y * d->ow + x) * d->oc;
            int32_t o = 0;
            for (; o + 4 <= d->oc; o += 4) { /* four channels share each input load */
                int32_t a[4];
                for (int c = 0; c < 4; ++c) {
                    a[c] = bias != NULL ? bias[o + c] : 0;
                }
                for (int32_t ky = y0; ky < y1; ++ky) {
                    const int32_t yy = y * op->stride_h - op->pad_h + ky * op->dil_h;
                    for (int32_t r = 0; r < nrun; ++r) {
                        const int32_t kx = x0 + r;
                        const int32_t xx = x * op->stride_w - op->pad_w + kx * op->dil_w;
                        const int8_t *ip = in + ((size_t)yy * d->iw + xx) * d->ic;
                        const int8_t *fp = f + (size_t)o * fstride + ((size_t)ky * d->kw + kx) * d->ic;
                        ek_dot4_i8(ip, fp, fstride, len, in_off, a);
                    }
                }
                for (int c = 0; c < 4; ++c) {
                    po[o + c] = out_i8(a[c], op, o + c, zp, rq);
                }
            }
            for (; o < d->oc; o += 2) {
                const int pair = o + 1 < d->oc;
                int32_t a0 = bias != NULL ? bias[o] : 0;
                int32_t a1 = pair && bias != NULL ? bias[o + 1] : 0;
                const int8_t *f0 = f + (size_t)o * fstride;
                for (int32_t ky = y0; ky < y1; ++ky) {
                    const int32_t yy = y * op->stride_h - op->pad_h + ky * op->dil_h;
                    for (int32_t r = 0; r < nrun; ++r) {
                        const int32_t kx = x0 + r;
                        const int32_t xx = x * op->stride_w - op->pad_w + kx * op->dil_w;
                        const int8_t *ip = in + ((size_t)yy * d->iw + xx) * d->ic;
                        const int8_t *fp = f0 + ((size_t)ky * d->kw + kx) * d->ic;
                        if (pair) {
                            ek_dot2_i8(ip, fp, fp + fstride, len, in_off, &a0, &a1);
                        } else {
                            ek_dot1_i8(ip, fp, len, in_off, &a0);
                        }
                    }
                }
                po[o] = out_i8(a0, op, o, zp, rq);
                if (pair) {
                    po[o + 1] = out_i8(a1, op, o + 1, zp, rq);
                }
            }
        }
    }
}

/* float conv: two output channels (and two pixels where their taps agree) per pass: four
 * independent sums, each in the reference's order (same bits) */
void ek_conv_f32_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const float *in = (const float *)ek_in(&ts[op->in[0]], work);
    const float *f = (const float *)ek_in(&ts[op->in[1]], work);
    const float *bias = op->in[2] >= 0 ? (const float *)ek_in(&ts[op->in[2]], work) : NULL;
    float *out = (float *)ek_out(&ts[op->out], work);
    const size_t fstride = (size_t)d->kh * d->kw * d->ic, step = (size_t)op->stride_w * d->ic;
    const int contiguous = op->dil_w == 1;
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        ek_tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        for (int32_t x = 0, np = 1; x < d->ow; x += np) {
            int32_t x0, x1, n0 = -1, n1 = -1;
            ek_tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
            if (contiguous && x + 1 < d->ow) {
                ek_tap_range(x + 1, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &n0, &n1);
            }
            np = n0 == x0 && n1 == x1 ? 2 : 1; /* pixels x and x + 1 with the same taps */
            const int32_t len = contiguous ? (x1 - x0) * d->ic : d->ic;
            const int32_t nrun = contiguous ? (x1 > x0) : x1 - x0;
            float *po = out + ((size_t)y * d->ow + x) * d->oc;
            for (int32_t o = 0; o < d->oc; o += 2) {
                const int32_t o1 = o + 1 < d->oc ? o + 1 : o; /* odd count: o twice */
                float a0 = 0.0f, a1 = 0.0f, b0 = 0.0f, b1 = 0.0f; /* b: pixel x + 1 */
                for (int32_t ky = y0; ky < y1; ++ky) {
                    const int32_t yy = y * op->stride_h - op->pad_h + ky * op->dil_h;
                    for (int32_t r = 0; r < nrun; ++r) {
                        const int32_t kx = x0 + r;
                        const int32_t xx = x * op->stride_w - op->pad_w + kx * op->dil_w;
                        const float *ip = in + ((size_t)yy * d->iw + xx) * d->ic, *jp = ip + step;
                        const size_t fo = ((size_t)ky * d->kw + kx) * d->ic;
                        const float *f0 = f + (size_t)o * fstride + fo, *f1 = f + (size_t)o1 * fstride + fo;
                        if (np == 2) { /* four independent sums, each in the reference's order */
                            for (int32_t c = 0; c < len; ++c) {
                                a0 += f0[c] * ip[c];
                                a1 += f1[c] * ip[c];
                                b0 += f0[c] * jp[c];
                                b1 += f1[c] * jp[c];
                            }
                        } else {
                            for (int32_t c = 0; c < len; ++c) {
                                a0 += f0[c] * ip[c];
                                a1 += f1[c] * ip[c];
                            }
                        }
                    }
                }
                if (bias != NULL) {
                    a0 += bias[o];
                    a1 += bias[o1];
                    b0 += bias[o];
                    b1 += bias[o1];
                }
                po[o] = ek_clamp_f(a0, op->fact_min, op->fact_max);
                po[o1] = ek_clamp_f(a1, op->fact_min, op->fact_max);
                if (np == 2) {
                    po[d->oc + o] = ek_clamp_f(b0, op->fact_min, op->fact_max);
                    po[d->oc + o1] = ek_clamp_f(b1, op->fact_min, op->fact_max);
                }
            }
        }
    }
}
