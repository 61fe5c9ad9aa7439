/*
 * CONV_2D and DEPTHWISE_CONV_2D, float32 and int8 (TFLM's reference arithmetic: int32
 * accumulation of (input - input zero point) x weight, int32 bias, per-channel requantisation):
 * the checks, the plain reference loops (ek_conv_ref) and the dispatch. The fast kernels (same
 * bits) are in conv_fast.c, conv_pointwise.c and dwconv_fast.c; EK_REFERENCE_KERNELS=1 at build
 * time makes ek_conv run the reference.
 */
#include "conv.h"

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


/* ------------------------------------------------------------------ reference kernels */

static void conv_i8_ref(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const ek_tensor *tin = &ts[op->in[0]], *tout = &ts[op->out];
    const int8_t *in = (const int8_t *)ek_in(tin, work), *f = (const int8_t *)ek_in(&ts[op->in[1]], work);
    const int32_t *bias = op->in[2] >= 0 ? (const int32_t *)ek_in(&ts[op->in[2]], work) : NULL;
    int8_t *out = (int8_t *)ek_out(tout, work);
    const int32_t in_off = -tin->zero_point;
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        ek_tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        for (int32_t x = 0; x < d->ow; ++x) {
            int32_t x0, x1;
            ek_tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
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
        ek_tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        for (int32_t x = 0; x < d->ow; ++x) {
            int32_t x0, x1;
            ek_tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
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
    ek_tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
    ek_tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
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

void ek_dwconv_ref(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
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

void ek_conv_ref(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    conv_dims d;
    ek_conv_dims(op, ts, &d);
    if (op->kind == EK_OP_DWCONV2D) {
        ek_dwconv_ref(op, ts, work, &d);
    } else if (ts[op->in[0]].dtype == EK_I8) {
        conv_i8_ref(op, ts, work, &d);
    } else {
        conv_f32_ref(op, ts, work, &d);
    }
}

void ek_conv_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    conv_dims d;
    ek_conv_dims(op, ts, &d);
    const int is_i8 = ts[op->in[0]].dtype == EK_I8;
    if (op->kind == EK_OP_DWCONV2D) {
        if (is_i8) {
            ek_dwconv_i8_fast(op, ts, work, &d);
        } else if (!ek_dwconv_f32_wide(op, ts, work, &d)) {
            ek_dwconv_ref(op, ts, work, &d);
        }
    } else if (is_i8) {
        if (!ek_pointwise_i8(op, ts, work, &d)) { /* its stack buffers, then the general one's */
            ek_conv_i8_fast(op, ts, work, &d);
        }
    } else if (!ek_pointwise_f32(op, ts, work, &d)) {
        ek_conv_f32_fast(op, ts, work, &d);
    }
}

void ek_conv(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
#if EK_REFERENCE_KERNELS
    ek_conv_ref(op, ts, work);
#else
    ek_conv_fast(op, ts, work);
#endif
}
