/*
 * Shared by the conv kernels (conv.c: checks, reference kernels, dispatch; conv_fast.c,
 * conv_pointwise.c, dwconv_fast.c: the fast kernels). Not part of the public API.
 */
#ifndef EDGEKIT_CONV_H
#define EDGEKIT_CONV_H

#include "../internal.h"

typedef struct {
    int32_t ih, iw, ic, oh, ow, oc, kh, kw;
} conv_dims;

static inline void ek_conv_dims(const ek_op *op, const ek_tensor *ts, conv_dims *d) {
    int32_t n, fo, fi;
    ek_nhwc(&ts[op->in[0]], &n, &d->ih, &d->iw, &d->ic);
    ek_nhwc(&ts[op->out], &n, &d->oh, &d->ow, &d->oc);
    ek_nhwc(&ts[op->in[1]], &fo, &d->kh, &d->kw, &fi);
}

/* Valid tap range [*lo, *hi) of a kernel axis at output position o (in-image taps only). */
static inline void ek_tap_range(int32_t o, int32_t stride, int32_t pad, int32_t dil, int32_t k,
                                int32_t in, int32_t *lo, int32_t *hi) {
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

/* an int8 conv's or depthwise conv's operands, as the fast kernels read them */
typedef struct {
    const int8_t *in, *f;
    const int32_t *bias; /* NULL without one */
    int8_t *out;
    int32_t in_off, zp; /* minus the input's zero point; the output's zero point */
} conv_i8_args;

static inline conv_i8_args ek_conv_i8_args(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *tin = &ts[op->in[0]], *tout = &ts[op->out];
    conv_i8_args a;
    a.in = (const int8_t *)ek_in(tin, work);
    a.f = (const int8_t *)ek_in(&ts[op->in[1]], work);
    a.bias = op->in[2] >= 0 ? (const int32_t *)ek_in(&ts[op->in[2]], work) : NULL;
    a.out = (int8_t *)ek_out(tout, work);
    a.in_off = -tin->zero_point;
    a.zp = tout->zero_point;
    return a;
}

/* the fast kernels (same bits as the reference ones) */
/* 1x1 int8 conv (conv_pointwise.c): 0 when the layer does not fit its fast path */
int ek_pointwise_i8(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d);
void ek_conv_i8_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d);
void ek_conv_f32_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d);
/* DS-CNN-like int8 depthwise layers (dwconv_wide.c): 0 when the layer does not fit */
int ek_dwconv_wide(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d);
/* float32 depthwise and 1x1 conv, eight channels per pass (conv_f32_wide.c): 0 when the
 * layer does not fit */
int ek_dwconv_f32_wide(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d);
int ek_pointwise_f32(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d);
void ek_dwconv_i8_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d);
void ek_dwconv_ref(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d);

#endif /* EDGEKIT_CONV_H */
