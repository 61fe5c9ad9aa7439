/*
 * Float32 depthwise and 1x1 conv with eight output channels per pass: eight independent sums,
 * each in the reference's order (taps, then input channels, then the bias; same bits, see
 * conv.c), in a loop of fixed length over contiguous output channels that compilers vectorise
 * (x86: two SSE registers per multiply and add) and that keeps the sums in FPU registers on a
 * Cortex-M4F. Each returns 0 where the layer does not fit (the general kernels run then).
 */
#include "conv.h"

#define EK_F32_BLOCK 8
#define EK_PW_F32_MAX 256 /* input channels x 8 of transposed filter on the stack (1 KB) */

/* out[0..8) = clamp(a + bias) */
static void store8(const float *a, const float *bias, const ek_op *op, float *out) {
    for (int j = 0; j < EK_F32_BLOCK; ++j) {
        const float v = bias != NULL ? a[j] + bias[j] : a[j];
        out[j] = ek_clamp_f(v, op->fact_min, op->fact_max);
    }
}

/* eight output channels of one depthwise output pixel: dm 1 (channel c reads input channel c)
 * or dm a multiple of 8 (all eight read input channel c / dm) */
static void dw8(const float *restrict ip, const float *restrict fp, int32_t ny, int32_t nx,
                size_t in_row, size_t in_col, size_t f_row, size_t f_col, int same, float *a) {
    for (int j = 0; j < EK_F32_BLOCK; ++j) {
        a[j] = 0.0f;
    }
    for (int32_t ky = 0; ky < ny; ++ky) {
        for (int32_t kx = 0; kx < nx; ++kx) {
            const float *restrict x = ip + ky * in_row + kx * in_col;
            const float *restrict w = fp + ky * f_row + kx * f_col;
            if (same) {
                for (int j = 0; j < EK_F32_BLOCK; ++j) {
                    a[j] += w[j] * x[j];
                }
            } else {
                const float v = x[0];
                for (int j = 0; j < EK_F32_BLOCK; ++j) {
                    a[j] += w[j] * v;
                }
            }
        }
    }
}

int ek_dwconv_f32_wide(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const int32_t dm = op->depth_mult, oc = d->oc;
    if (oc % EK_F32_BLOCK != 0 || (dm != 1 && dm % EK_F32_BLOCK != 0)) {
        return 0;
    }
    const float *in = (const float *)ek_in(&ts[op->in[0]], work);
    const float *f = (const float *)ek_in(&ts[op->in[1]], work);
    const float *bias = op->in[2] >= 0 ? (const float *)ek_in(&ts[op->in[2]], work) : NULL;
    float *out = (float *)ek_out(&ts[op->out], work);
    const size_t in_row = (size_t)op->dil_h * d->iw * d->ic, in_col = (size_t)op->dil_w * d->ic;
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        ek_tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        for (int32_t x = 0; x < d->ow; ++x, out += oc) {
            int32_t x0, x1;
            ek_tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
            const int32_t yy = y * op->stride_h - op->pad_h + y0 * op->dil_h;
            const int32_t xx = x * op->stride_w - op->pad_w + x0 * op->dil_w;
            const float *ip = in + ((size_t)yy * d->iw + xx) * d->ic;
            const float *fp = f + ((size_t)y0 * d->kw + x0) * oc;
            for (int32_t c = 0; c < oc; c += EK_F32_BLOCK) {
                float a[EK_F32_BLOCK];
                dw8(ip + c / dm, fp + c, y1 - y0, x1 - x0, in_row, in_col, (size_t)d->kw * oc,
                    (size_t)oc, dm == 1, a);
                store8(a, bias != NULL ? bias + c : NULL, op, out + c);
            }
        }
    }
    return 1;
}

/* eight output channels of one 1x1 output pixel: ft is the filter block transposed [ic][8] */
static void pw8(const float *restrict x, const float *restrict ft, int32_t ic, float *a) {
    for (int j = 0; j < EK_F32_BLOCK; ++j) {
        a[j] = 0.0f;
    }
    for (int32_t c = 0; c < ic; ++c, ft += EK_F32_BLOCK) {
        const float v = x[c];
        for (int j = 0; j < EK_F32_BLOCK; ++j) {
            a[j] += ft[j] * v;
        }
    }
}

int ek_pointwise_f32(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const int32_t ic = d->ic, oc = d->oc;
    if (d->kh != 1 || d->kw != 1 || op->pad_h != 0 || op->pad_w != 0 || oc % EK_F32_BLOCK != 0 ||
        ic * EK_F32_BLOCK > EK_PW_F32_MAX) {
        return 0;
    }
    const float *in = (const float *)ek_in(&ts[op->in[0]], work);
    const float *f = (const float *)ek_in(&ts[op->in[1]], work);
    const float *bias = op->in[2] >= 0 ? (const float *)ek_in(&ts[op->in[2]], work) : NULL;
    float *out = (float *)ek_out(&ts[op->out], work);
    float ft[EK_PW_F32_MAX];
    for (int32_t ob = 0; ob < oc; ob += EK_F32_BLOCK) {
        for (int32_t c = 0; c < ic; ++c) {
            for (int j = 0; j < EK_F32_BLOCK; ++j) {
                ft[c * EK_F32_BLOCK + j] = f[(size_t)(ob + j) * ic + c];
            }
        }
        for (int32_t y = 0; y < d->oh; ++y) {
            const float *row = in + (size_t)y * op->stride_h * d->iw * ic;
            for (int32_t x = 0; x < d->ow; ++x) {
                float a[EK_F32_BLOCK];
                pw8(row + (size_t)x * op->stride_w * ic, ft, ic, a);
                store8(a, bias != NULL ? bias + ob : NULL, op,
                       out + ((size_t)y * d->ow + x) * oc + ob);
            }
        }
    }
    return 1;
}
