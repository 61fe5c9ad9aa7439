/*
 * CONV_2D and DEPTHWISE_CONV_2D, float32 and int8 (TFLM's reference arithmetic: int32
 * accumulation of (input - input zero point) x weight, int32 bias, per-channel requantisation).
 *
 * Two implementations of each, the same bits: the plain reference loops (ek_conv_ref) and the
 * fast ones (ek_conv_fast: two output channels per pass over the input, the taps of one filter
 * row as one contiguous dot product, the DSP dot products of dot.h). EK_REFERENCE_KERNELS=1
 * at build time makes ek_conv run the reference.
 */
#include "../internal.h"
#include "dot.h"

#ifndef EK_REFERENCE_KERNELS
#define EK_REFERENCE_KERNELS 0
#endif

void ek_nhwc(const ek_tensor *t, int32_t *n, int32_t *h, int32_t *w, int32_t *c) {
    int32_t d[4] = {1, 1, 1, 1};
    const int nd = t->ndim < 4 ? t->ndim : 4; /* ek_prepare refuses 5-D operands here */
    for (int i = 0; i < nd; ++i) {
        d[4 - nd + i] = t->dims[t->ndim - nd + i];
    }
    *n = d[0];
    *h = d[1];
    *w = d[2];
    *c = d[3];
}

typedef struct {
    int32_t ih, iw, ic, oh, ow, oc, kh, kw;
} conv_dims;

static void dims_of(const ek_op *op, const ek_tensor *ts, conv_dims *d) {
    int32_t n, fo, fi;
    ek_nhwc(&ts[op->in[0]], &n, &d->ih, &d->iw, &d->ic);
    ek_nhwc(&ts[op->out], &n, &d->oh, &d->ow, &d->oc);
    ek_nhwc(&ts[op->in[1]], &fo, &d->kh, &d->kw, &fi);
}

ek_status ek_check_conv(const ek_op *op, const ek_tensor *ts) {
    if (op->num_inputs < 2) {
        return EK_ERR_MODEL;
    }
    const ek_tensor *in = &ts[op->in[0]], *f = &ts[op->in[1]], *out = &ts[op->out];
    const ek_tensor *b = op->in[2] >= 0 ? &ts[op->in[2]] : NULL;
    const int depthwise = op->kind == EK_OP_DWCONV2D;
    int32_t n, on, fo, fi;
    conv_dims d;
    ek_nhwc(in, &n, &d.ih, &d.iw, &d.ic);
    ek_nhwc(out, &on, &d.oh, &d.ow, &d.oc);
    ek_nhwc(f, &fo, &d.kh, &d.kw, &fi);
    if (n != 1 || on != 1 || in->ndim > 4 || out->ndim > 4 || f->ndim > 4 ||
        (depthwise ? fi != d.oc || d.ic * op->depth_mult != d.oc : fo != d.oc || fi != d.ic)) {
        return EK_ERR_MODEL;
    }
    if (op->stride_h < 1 || op->stride_w < 1 || op->dil_h < 1 || op->dil_w < 1 ||
        op->pad_h < 0 || op->pad_w < 0 || op->depth_mult < 1 || (depthwise && fo != 1)) {
        return EK_ERR_MODEL;
    }
    const int is_i8 = in->dtype == EK_I8;
    if ((in->dtype != EK_I8 && in->dtype != EK_F32) || f->dtype != in->dtype ||
        out->dtype != in->dtype || f->data == NULL ||
        (b != NULL && (b->dtype != (is_i8 ? EK_I32 : EK_F32) || ek_numel(b) != (size_t)d.oc)) ||
        (is_i8 && op->num_mult != 1 && op->num_mult != d.oc) || (is_i8 && op->num_mult < 1)) {
        return EK_ERR_MODEL;
    }
    /* every output position reads at least one tap inside the input (else TFLite would too) */
    const int32_t last_y = (d.oh - 1) * op->stride_h - op->pad_h;
    const int32_t last_x = (d.ow - 1) * op->stride_w - op->pad_w;
    if (last_y >= d.ih || last_x >= d.iw) {
        return EK_ERR_MODEL;
    }
    return EK_OK;
}

/* Valid tap range [*lo, *hi) of a kernel axis at output position o (in-image taps only). */
static void tap_range(int32_t o, int32_t stride, int32_t pad, int32_t dil, int32_t k, int32_t in,
                      int32_t *lo, int32_t *hi) {
    const int32_t start = o * stride - pad;
    int32_t a = 0, b = k;
    while (a < k && start + a * dil < 0) {
        ++a;
    }
    while (b > a && start + (b - 1) * dil >= in) {
        --b;
    }
    *lo = a;
    *hi = b;
}


/* ------------------------------------------------------------------ reference kernels */

static void conv_i8_ref(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const ek_tensor *tin = &ts[op->in[0]], *tout = &ts[op->out];
    const int8_t *in = (const int8_t *)ek_in(tin, work), *f = (const int8_t *)ek_in(&ts[op->in[1]], work);
    const int32_t *bias = op->in[2] >= 0 ? (const int32_t *)ek_in(&ts[op->in[2]], work) : NULL;
    int8_t *out = (int8_t *)ek_out(tout, work);
    const int32_t in_off = -tin->zero_point;
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        for (int32_t x = 0; x < d->ow; ++x) {
            int32_t x0, x1;
            tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
            int8_t *op_out = out + ((size_t)y * d->ow + x) * d->oc;
            for (int32_t o = 0; o < d->oc; ++o) {
                int32_t acc = bias != NULL ? bias[o] : 0;
                for (int32_t ky = y0; ky < y1; ++ky) {
                    const int32_t yy = y * op->stride_h - op->pad_h + ky * op->dil_h;
                    for (int32_t kx = x0; kx < x1; ++kx) {
                        const int32_t xx = x * op->stride_w - op->pad_w + kx * op->dil_w;
                        const int8_t *ip = in + ((size_t)yy * d->iw + xx) * d->ic;
                        const int8_t *fp = f + (((size_t)o * d->kh + ky) * d->kw + kx) * d->ic;
                        for (int32_t c = 0; c < d->ic; ++c) {
                            acc += (int32_t)fp[c] * ((int32_t)ip[c] + in_off);
                        }
                    }
                }
                op_out[o] = (int8_t)ek_requant(acc, op, o, tout->zero_point);
            }
        }
    }
}

static void conv_f32_ref(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const float *in = (const float *)ek_in(&ts[op->in[0]], work);
    const float *f = (const float *)ek_in(&ts[op->in[1]], work);
    const float *bias = op->in[2] >= 0 ? (const float *)ek_in(&ts[op->in[2]], work) : NULL;
    float *out = (float *)ek_out(&ts[op->out], work);
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        for (int32_t x = 0; x < d->ow; ++x) {
            int32_t x0, x1;
            tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
            float *op_out = out + ((size_t)y * d->ow + x) * d->oc;
            for (int32_t o = 0; o < d->oc; ++o) {
                float acc = 0.0f;
                for (int32_t ky = y0; ky < y1; ++ky) {
                    const int32_t yy = y * op->stride_h - op->pad_h + ky * op->dil_h;
                    for (int32_t kx = x0; kx < x1; ++kx) {
                        const int32_t xx = x * op->stride_w - op->pad_w + kx * op->dil_w;
                        const float *ip = in + ((size_t)yy * d->iw + xx) * d->ic;
                        const float *fp = f + (((size_t)o * d->kh + ky) * d->kw + kx) * d->ic;
                        for (int32_t c = 0; c < d->ic; ++c) {
                            acc += fp[c] * ip[c];
                        }
                    }
                }
                if (bias != NULL) {
                    acc += bias[o];
                }
                op_out[o] = ek_clamp_f(acc, op->fact_min, op->fact_max);
            }
        }
    }
}

/* Depthwise: channel o reads input channel o / depth_mult; taps outer, channels inner, so the
 * innermost loop runs over contiguous channels of one input pixel and one filter tap. */
#define EK_DW_BLOCK 64
static void dw_block(const ek_op *op, const conv_dims *d, const void *in, int32_t in_off,
                     const void *f, int is_i8, int32_t y, int32_t x, int32_t ob, int32_t n,
                     int32_t *acc, float *facc) {
    const int32_t dm = op->depth_mult;
    int32_t y0, y1, x0, x1;
    tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
    tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
    for (int32_t ky = y0; ky < y1; ++ky) {
        const int32_t yy = y * op->stride_h - op->pad_h + ky * op->dil_h;
        for (int32_t kx = x0; kx < x1; ++kx) {
            const int32_t xx = x * op->stride_w - op->pad_w + kx * op->dil_w;
            const size_t ibase = ((size_t)yy * d->iw + xx) * d->ic;
            const size_t fbase = ((size_t)ky * d->kw + kx) * d->oc + ob;
            int32_t c = ob / dm, m = ob % dm; /* walk (input channel, multiplier) */
            if (is_i8) {
                const int8_t *ip = (const int8_t *)in + ibase, *fp = (const int8_t *)f + fbase;
                for (int32_t i = 0; i < n; ++i) {
                    acc[i] += (int32_t)fp[i] * ((int32_t)ip[c] + in_off);
                    if (++m == dm) {
                        m = 0;
                        ++c;
                    }
                }
            } else {
                const float *ip = (const float *)in + ibase, *fp = (const float *)f + fbase;
                for (int32_t i = 0; i < n; ++i) {
                    facc[i] += fp[i] * ip[c];
                    if (++m == dm) {
                        m = 0;
                        ++c;
                    }
                }
            }
        }
    }
}

static void dwconv_ref(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const ek_tensor *tin = &ts[op->in[0]], *tout = &ts[op->out];
    const ek_tensor *b = op->in[2] >= 0 ? &ts[op->in[2]] : NULL;
    const void *in = ek_in(tin, work), *f = ek_in(&ts[op->in[1]], work);
    const void *bias = b != NULL ? ek_in(b, work) : NULL;
    void *out = ek_out(tout, work);
    const int is_i8 = tin->dtype == EK_I8;
    for (int32_t y = 0; y < d->oh; ++y) {
        for (int32_t x = 0; x < d->ow; ++x) {
            for (int32_t ob = 0; ob < d->oc; ob += EK_DW_BLOCK) {
                const int32_t n = d->oc - ob < EK_DW_BLOCK ? d->oc - ob : EK_DW_BLOCK;
                int32_t acc[EK_DW_BLOCK];
                float facc[EK_DW_BLOCK];
                for (int32_t i = 0; i < n; ++i) {
                    acc[i] = 0;
                    facc[i] = 0.0f;
                }
                dw_block(op, d, in, -tin->zero_point, f, is_i8, y, x, ob, n, acc, facc);
                const size_t obase = ((size_t)y * d->ow + x) * d->oc + ob;
                for (int32_t i = 0; i < n; ++i) {
                    if (is_i8) {
                        const int32_t bv = bias != NULL ? ((const int32_t *)bias)[ob + i] : 0;
                        ((int8_t *)out)[obase + i] =
                            (int8_t)ek_requant(acc[i] + bv, op, ob + i, tout->zero_point);
                    } else {
                        const float bv = bias != NULL ? ((const float *)bias)[ob + i] : 0.0f;
                        ((float *)out)[obase + i] = ek_clamp_f(facc[i] + bv, op->fact_min, op->fact_max);
                    }
                }
            }
        }
    }
}

/* ------------------------------------------------------------------ fast kernels */

/* Output pixels x and x + 1 of row y together (same in-image taps, dil_w 1): two pixels x
 * two channels per pass, each widened input and filter word used twice. */
static void conv_i8_pixel_pair(const ek_op *op, const conv_dims *d, const int8_t *in,
                               const int8_t *f, const int32_t *bias, int8_t *out, int32_t in_off,
                               int32_t zp, int32_t y, int32_t x, int32_t x0, int32_t x1) {
    int32_t y0, y1;
    tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
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
        for (int32_t ky = y0; ky < y1 && len > 0; ++ky) {
            const int32_t yy = y * op->stride_h - op->pad_h + ky * op->dil_h;
            const int32_t xx = x * op->stride_w - op->pad_w + x0;
            const int8_t *ip = in + ((size_t)yy * d->iw + xx) * d->ic;
            const size_t fo = ((size_t)ky * d->kw + x0) * d->ic;
            ek_dot2x2_i8(ip, ip + step, f + (size_t)o * fstride + fo, f + (size_t)o1 * fstride + fo,
                         len, in_off, a);
        }
        po[o] = (int8_t)ek_requant(a[0], op, o, zp);
        po[o1] = (int8_t)ek_requant(a[1], op, o1, zp);
        po[d->oc + o] = (int8_t)ek_requant(a[2], op, o, zp);
        po[d->oc + o1] = (int8_t)ek_requant(a[3], op, o1, zp);
    }
}

/* int8 conv: per output pixel, output channels four (then two) at a time sharing each input
 * load; with
 * dil_w 1 the in-image taps of one filter row are one contiguous run of (kx, channel) values
 * in both the input and the filter, so each row is a single dot product. */
static void conv_i8_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const ek_op local = *op; /* a copy the int8 output stores cannot alias: op's fields stay */
    op = &local;             /* in registers instead of being reloaded after every store */
    const ek_tensor *tin = &ts[op->in[0]], *tout = &ts[op->out];
    const int8_t *in = (const int8_t *)ek_in(tin, work), *f = (const int8_t *)ek_in(&ts[op->in[1]], work);
    const int32_t *bias = op->in[2] >= 0 ? (const int32_t *)ek_in(&ts[op->in[2]], work) : NULL;
    int8_t *out = (int8_t *)ek_out(tout, work);
    const int32_t in_off = -tin->zero_point, zp = tout->zero_point;
    const size_t fstride = (size_t)d->kh * d->kw * d->ic; /* one output channel's filter */
    const int32_t runs = op->dil_w == 1 ? 1 : d->kw; /* dot products per filter row */
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        for (int32_t x = 0; x < d->ow; ++x) {
            int32_t x0, x1;
            tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
            if (runs == 1 && x + 1 < d->ow) {
                int32_t n0, n1;
                tap_range(x + 1, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &n0, &n1);
                if (n0 == x0 && n1 == x1) {
                    conv_i8_pixel_pair(op, d, in, f, bias, out, in_off, zp, y, x, x0, x1);
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
                    po[o + c] = (int8_t)ek_requant(a[c], op, o + c, zp);
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
                po[o] = (int8_t)ek_requant(a0, op, o, zp);
                if (pair) {
                    po[o + 1] = (int8_t)ek_requant(a1, op, o + 1, zp);
                }
            }
        }
    }
}

/* float conv: two output channels (and two pixels where their taps agree) per pass: four
 * independent sums, each in the reference's order (same bits) */
static void conv_f32_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const float *in = (const float *)ek_in(&ts[op->in[0]], work);
    const float *f = (const float *)ek_in(&ts[op->in[1]], work);
    const float *bias = op->in[2] >= 0 ? (const float *)ek_in(&ts[op->in[2]], work) : NULL;
    float *out = (float *)ek_out(&ts[op->out], work);
    const size_t fstride = (size_t)d->kh * d->kw * d->ic, step = (size_t)op->stride_w * d->ic;
    const int contiguous = op->dil_w == 1;
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        for (int32_t x = 0, np = 1; x < d->ow; x += np) {
            int32_t x0, x1, n0 = -1, n1 = -1;
            tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
            if (contiguous && x + 1 < d->ow) {
                tap_range(x + 1, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &n0, &n1);
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

static void dwconv_i8_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const ek_op local = *op; /* a copy the int8 output stores cannot alias: op's fields stay */
    op = &local;             /* in registers instead of being reloaded after every store */
    const ek_tensor *tin = &ts[op->in[0]], *tout = &ts[op->out];
    const int8_t *in = (const int8_t *)ek_in(tin, work), *f = (const int8_t *)ek_in(&ts[op->in[1]], work);
    const int32_t *bias = op->in[2] >= 0 ? (const int32_t *)ek_in(&ts[op->in[2]], work) : NULL;
    int8_t *out = (int8_t *)ek_out(tout, work);
    const int32_t zp = tout->zero_point, dm = op->depth_mult;
    dw_taps t;
    t.in_row = (size_t)op->dil_h * d->iw * d->ic;
    t.in_col = (size_t)op->dil_w * d->ic;
    t.f_row = (size_t)d->kw * d->oc;
    t.f_col = (size_t)d->oc;
    t.off = -tin->zero_point;
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        t.ny = y1 - y0;
        for (int32_t x = 0; x < d->ow; ++x) {
            int32_t x0, x1;
            tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
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

void ek_conv_ref(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    conv_dims d;
    dims_of(op, ts, &d);
    if (op->kind == EK_OP_DWCONV2D) {
        dwconv_ref(op, ts, work, &d);
    } else if (ts[op->in[0]].dtype == EK_I8) {
        conv_i8_ref(op, ts, work, &d);
    } else {
        conv_f32_ref(op, ts, work, &d);
    }
}

void ek_conv_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    conv_dims d;
    dims_of(op, ts, &d);
    const int is_i8 = ts[op->in[0]].dtype == EK_I8;
    if (op->kind == EK_OP_DWCONV2D) {
        if (is_i8) {
            dwconv_i8_fast(op, ts, work, &d);
        } else {
            dwconv_ref(op, ts, work, &d);
        }
    } else if (is_i8) {
        conv_i8_fast(op, ts, work, &d);
    } else {
        conv_f32_fast(op, ts, work, &d);
    }
}

void ek_conv(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
#if EK_REFERENCE_KERNELS
    ek_conv_ref(op, ts, work);
#else
    ek_conv_fast(op, ts, work);
#endif
}
