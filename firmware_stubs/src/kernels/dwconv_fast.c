/*
 * The fast DEPTHWISE_CONV_2D kernels (the reference's bits; see conv.c).
 */
#include "conv.h"
#include "dot.h"


/* int8 depthwise: four output channels in registers, taps inner. Depth multiplier 1: one word
 * load brings four input channels (DSP: SXTAB16 widens them with the offset, SMLABB / SMLATT
 * accumulate each channel); a multiple of 4 (a first layer on one input channel): four outputs
 * of one input value (SMLABB / SMLATB); otherwise channel by channel. The tap loops are out of
 * line with plain pointer steps, so the four sums stay in registers. */
typedef struct {
    int32_t ny, nx;        /* in-image taps */
    size_t in_row, in_col; /* input bytes between taps (rows, columns) */
    size_t f_row, f_col;   /* filter bytes between taps */
    int32_t off;           /* input offset (- zero point) */
} dw_taps;

#ifdef EK_DSP
#define EK_NOINLINE __attribute__((noinline))
#else
#define EK_NOINLINE
#endif

/* depth multiplier 1: ip, fp at output channel c of the first tap */
EK_NOINLINE static void dw4_same(const int8_t *ip, const int8_t *fp, const dw_taps *t, int32_t *a) {
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#ifdef EK_DSP
    const int16x2_t offp = ek_offset2(t->off);
#endif
    for (int32_t ky = 0; ky < t->ny; ++ky, ip += t->in_row, fp += t->f_row) {
        const int8_t *xp = ip, *wp = fp;
        for (int32_t kx = 0; kx < t->nx; ++kx, xp += t->in_col, wp += t->f_col) {
#ifdef EK_DSP
            const uint32_t xw = ek_load4(xp), fw = ek_load4(wp);
            const int16x2_t x02 = __sxtab16(offp, (int8x4_t)xw), x13 = ek_sxtab16_ror8(offp, xw);
            const int16x2_t f02 = __sxtb16((int8x4_t)fw), f13 = ek_sxtb16_ror8(fw);
            s0 = __smlabb(x02, f02, s0);
            s2 = __smlatt(x02, f02, s2);
            s1 = __smlabb(x13, f13, s1);
            s3 = __smlatt(x13, f13, s3);
#else
            s0 += (int32_t)wp[0] * ((int32_t)xp[0] + t->off);
            s1 += (int32_t)wp[1] * ((int32_t)xp[1] + t->off);
            s2 += (int32_t)wp[2] * ((int32_t)xp[2] + t->off);
            s3 += (int32_t)wp[3] * ((int32_t)xp[3] + t->off);
#endif
        }
    }
    a[0] = s0;
    a[1] = s1;
    a[2] = s2;
    a[3] = s3;
}

/* four output channels of one input channel: ip at that input channel of the first tap */
EK_NOINLINE static void dw4_one(const int8_t *ip, const int8_t *fp, const dw_taps *t, int32_t *a) {
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int32_t ky = 0; ky < t->ny; ++ky, ip += t->in_row, fp += t->f_row) {
        const int8_t *xp = ip, *wp = fp;
        for (int32_t kx = 0; kx < t->nx; ++kx, xp += t->in_col, wp += t->f_col) {
            const int32_t v = (int32_t)*xp + t->off;
#ifdef EK_DSP
            const uint32_t fw = ek_load4(wp);
            const int16x2_t f02 = __sxtb16((int8x4_t)fw), f13 = ek_sxtb16_ror8(fw);
            s0 = __smlabb(f02, v, s0);
            s2 = __smlatb(f02, v, s2);
            s1 = __smlabb(f13, v, s1);
            s3 = __smlatb(f13, v, s3);
#else
            s0 += (int32_t)wp[0] * v;
            s1 += (int32_t)wp[1] * v;
            s2 += (int32_t)wp[2] * v;
            s3 += (int32_t)wp[3] * v;
#endif
        }
    }
    a[0] = s0;
    a[1] = s1;
    a[2] = s2;
    a[3] = s3;
}

void ek_dwconv_i8_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    if (ek_dwconv_wide(op, ts, work, d)) {
        return;
    }
    const ek_op local = *op; /* a copy the int8 output stores cannot alias: op's fields stay */
    op = &local;             /* in registers instead of being reloaded after every store */
    const conv_i8_args v = ek_conv_i8_args(op, ts, work);
    const int8_t *in = v.in, *f = v.f;
    const int32_t *bias = v.bias;
    int8_t *out = v.out;
    const int32_t zp = v.zp, dm = op->depth_mult;
    dw_taps t;
    t.in_row = (size_t)op->dil_h * d->iw * d->ic;
    t.in_col = (size_t)op->dil_w * d->ic;
    t.f_row = (size_t)d->kw * d->oc;
    t.f_col = (size_t)d->oc;
    t.off = v.in_off;
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        ek_tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        t.ny = y1 - y0;
        for (int32_t x = 0; x < d->ow; ++x) {
            int32_t x0, x1;
            ek_tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
            t.nx = x1 - x0;
            const int32_t yy = y * op->stride_h - op->pad_h + y0 * op->dil_h;
            const int32_t xx = x * op->stride_w - op->pad_w + x0 * op->dil_w;
            const int8_t *ip = in + ((size_t)yy * d->iw + xx) * d->ic; /* first tap's pixel */
            const int8_t *fp = f + ((size_t)y0 * d->kw + x0) * d->oc;   /* first tap's filter */
            int8_t *po = out + ((size_t)y * d->ow + x) * d->oc;
            for (int32_t c = 0; c < d->oc; c += 4) {
                const int32_t n = d->oc - c < 4 ? d->oc - c : 4;
                int32_t a[4] = {0, 0, 0, 0};
                if (n == 4 && dm == 1) {
                    dw4_same(ip + c, fp + c, &t, a);
                } else if (n == 4 && dm % 4 == 0) {
                    dw4_one(ip + c / dm, fp + c, &t, a);
                } else {
                    for (int32_t i = 0; i < n; ++i) {
                        const int8_t *xp = ip + (c + i) / dm, *wp = fp + c + i;
                        for (int32_t ky = 0; ky < t.ny; ++ky) {
                            for (int32_t kx = 0; kx < t.nx; ++kx) {
                                a[i] += (int32_t)wp[ky * t.f_row + kx * t.f_col] *
                                        ((int32_t)xp[ky * t.in_row + kx * t.in_col] + t.off);
                            }
                        }
                    }
                }
                for (int32_t i = 0; i < n; ++i) {
                    const int32_t bv = bias != NULL ? bias[c + i] : 0;
                    po[c + i] = (int8_t)ek_requant(a[i] + bv, op, c + i, zp);
                }
            }
        }
    }
}
