/*
 * edgekit firmware runtime (see include/edgekit.h). C99, no allocation, no writable globals.
 * The int8 kernels mirror TensorFlow Lite Micro's reference kernels: int32 accumulation of
 * (input - input zero point) x weight, bias added, then the per-channel fixed-point multiplier
 * (double rounding, as TFLite's MultiplyByQuantizedMultiplier), the output zero point, a clamp.
 */
#include "edgekit.h"

#include <math.h>
#include <string.h>

/* Float conversions at member boundaries equal the Python runtime's numpy arithmetic when the
 * compiler does not fuse multiply-adds: build with -ffp-contract=off (the Makefile does). */

#define EK_ALIGN(n) (((n) + 7u) & ~(size_t)7u)

static int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

static float clamp_f(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* a rounded float code to int8: clamped first (NaN to the lowest code), so the cast is defined */
static int8_t to_i8(float q) {
    return (int8_t)(q >= -128.0f ? (q <= 127.0f ? q : 127.0f) : -128.0f);
}

/* ------------------------------------------------------------------ fixed-point arithmetic */

static int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static int32_t rounding_divide_by_pot(int32_t x, int exponent) {
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t ek_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
    const int left = shift > 0 ? (int)shift : 0;
    const int right = shift > 0 ? 0 : (int)-shift;
    const int32_t shifted = (int32_t)((int64_t)x * ((int64_t)1 << left));
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right);
}

/* ------------------------------------------------------------------ tensors */

static size_t numel(const ek_tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; ++i) {
        n *= (size_t)t->dims[i];
    }
    return n;
}

static size_t elem_bytes(const ek_tensor *t) {
    return t->dtype == EK_I8 ? 1u : 4u;
}

static const void *tensor_in(const ek_tensor *t, const uint8_t *work) {
    return t->data != NULL ? t->data : (const void *)(work + t->offset);
}

static void *tensor_out(const ek_tensor *t, uint8_t *work) {
    return (void *)(work + t->offset);
}

/* dims of a 4-D NHWC tensor (lower ranks are right-aligned: [.., H, W, C]) */
static void nhwc(const ek_tensor *t, int32_t *n, int32_t *h, int32_t *w, int32_t *c) {
    int32_t d[4] = {1, 1, 1, 1};
    const int nd = t->ndim < 4 ? t->ndim : 4; /* ek_validate_member refuses 5-D operands here */
    for (int i = 0; i < nd; ++i) {
        d[4 - nd + i] = t->dims[t->ndim - nd + i];
    }
    *n = d[0];
    *h = d[1];
    *w = d[2];
    *c = d[3];
}

/* ------------------------------------------------------------------ convolutions */

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

typedef struct {
    int32_t ih, iw, ic, oh, ow, oc, kh, kw;
} conv_dims;

static int32_t requant(int32_t acc, const ek_op *op, int32_t o, int32_t zp) {
    const int j = op->num_mult == 1 ? 0 : o;
    acc = ek_multiply_by_quantized_multiplier(acc, op->mult[j], op->shift[j]) + zp;
    return clamp_i32(acc, op->act_min, op->act_max);
}

static void conv_i8(const ek_op *op, const conv_dims *d, const int8_t *in, int32_t in_off,
                    const int8_t *f, const int32_t *bias, int8_t *out, int32_t out_zp) {
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
                op_out[o] = (int8_t)requant(acc, op, o, out_zp);
            }
        }
    }
}

static void conv_f32(const ek_op *op, const conv_dims *d, const float *in, const float *f,
                     const float *bias, float *out) {
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
                op_out[o] = clamp_f(acc, op->fact_min, op->fact_max);
            }
        }
    }
}

/* Depthwise: channel o reads input channel o / depth_mult; taps outer, channels inner, so the
 * innermost loop runs over contiguous channels of one input pixel and one filter tap. */
#define EK_DW_BLOCK 64
static void dwconv(const ek_op *op, const conv_dims *d, const void *in, int32_t in_off,
                   const void *f, const void *bias, void *out, int is_i8, int32_t out_zp) {
    const int32_t dm = op->depth_mult;
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        for (int32_t x = 0; x < d->ow; ++x) {
            int32_t x0, x1;
            tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
            for (int32_t ob = 0; ob < d->oc; ob += EK_DW_BLOCK) {
                const int32_t n = d->oc - ob < EK_DW_BLOCK ? d->oc - ob : EK_DW_BLOCK;
                int32_t acc[EK_DW_BLOCK];
                float facc[EK_DW_BLOCK];
                for (int32_t i = 0; i < n; ++i) {
                    acc[i] = 0;
                    facc[i] = 0.0f;
                }
                for (int32_t ky = y0; ky < y1; ++ky) {
                    const int32_t yy = y * op->stride_h - op->pad_h + ky * op->dil_h;
                    for (int32_t kx = x0; kx < x1; ++kx) {
                        const int32_t xx = x * op->stride_w - op->pad_w + kx * op->dil_w;
                        const size_t ibase = ((size_t)yy * d->iw + xx) * d->ic;
                        const size_t fbase = ((size_t)ky * d->kw + kx) * d->oc + ob;
                        if (is_i8) {
                            const int8_t *ip = (const int8_t *)in + ibase;
                            const int8_t *fp = (const int8_t *)f + fbase;
                            if (dm == 1) {
                                for (int32_t i = 0; i < n; ++i) {
                                    acc[i] += (int32_t)fp[i] * ((int32_t)ip[ob + i] + in_off);
                                }
                            } else { /* walk (input channel, multiplier) without dividing */
                                int32_t c = ob / dm, m = ob % dm;
                                int32_t v = (int32_t)ip[c] + in_off;
                                for (int32_t i = 0; i < n; ++i) {
                                    acc[i] += (int32_t)fp[i] * v;
                                    if (++m == dm && i + 1 < n) {
                                        m = 0;
                                        v = (int32_t)ip[++c] + in_off;
                                    }
                                }
                            }
                        } else {
                            const float *ip = (const float *)in + ibase;
                            const float *fp = (const float *)f + fbase;
                            if (dm == 1) {
                                for (int32_t i = 0; i < n; ++i) {
                                    facc[i] += fp[i] * ip[ob + i];
                                }
                            } else {
                                int32_t c = ob / dm, m = ob % dm;
                                float v = ip[c];
                                for (int32_t i = 0; i < n; ++i) {
                                    facc[i] += fp[i] * v;
                                    if (++m == dm && i + 1 < n) {
                                        m = 0;
                                        v = ip[++c];
                                    }
                                }
                            }
                        }
                    }
                }
                const size_t obase = ((size_t)y * d->ow + x) * d->oc + ob;
                for (int32_t i = 0; i < n; ++i) {
                    if (is_i8) {
                        const int32_t b = bias != NULL ? ((const int32_t *)bias)[ob + i] : 0;
                        ((int8_t *)out)[obase + i] = (int8_t)requant(acc[i] + b, op, ob + i, out_zp);
                    } else {
                        const float b = bias != NULL ? ((const float *)bias)[ob + i] : 0.0f;
                        ((float *)out)[obase + i] = clamp_f(facc[i] + b, op->fact_min, op->fact_max);
                    }
                }
            }
        }
    }
}

static ek_status conv(const ek_op *op, const ek_tensor *ts, uint8_t *work, int depthwise) {
    const ek_tensor *in = &ts[op->in[0]], *f = &ts[op->in[1]], *out = &ts[op->out];
    const ek_tensor *b = op->in[2] >= 0 ? &ts[op->in[2]] : NULL;
    int32_t n, on, fo, fi;
    conv_dims d;
    nhwc(in, &n, &d.ih, &d.iw, &d.ic);
    nhwc(out, &on, &d.oh, &d.ow, &d.oc);
    nhwc(f, &fo, &d.kh, &d.kw, &fi);
    if (n != 1 || on != 1 ||
        (depthwise ? fi != d.oc || d.ic * op->depth_mult != d.oc : fo != d.oc || fi != d.ic)) {
        return EK_ERR_MODEL;
    }
    const int is_i8 = in->dtype == EK_I8;
    if (f->dtype != in->dtype || out->dtype != in->dtype ||
        (b != NULL && b->dtype != (is_i8 ? EK_I32 : EK_F32)) ||
        (is_i8 && op->num_mult != 1 && op->num_mult != d.oc)) {
        return EK_ERR_MODEL;
    }
    const void *iv = tensor_in(in, work), *fv = tensor_in(f, work);
    const void *bv = b != NULL ? tensor_in(b, work) : NULL;
    void *ov = tensor_out(out, work);
    if (depthwise) {
        dwconv(op, &d, iv, -in->zero_point, fv, bv, ov, is_i8, out->zero_point);
    } else if (is_i8) {
        conv_i8(op, &d, (const int8_t *)iv, -in->zero_point, (const int8_t *)fv,
                (const int32_t *)bv, (int8_t *)ov, out->zero_point);
    } else {
        conv_f32(op, &d, (const float *)iv, (const float *)fv, (const float *)bv, (float *)ov);
    }
    return EK_OK;
}

static ek_status fully_connected(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *f = &ts[op->in[1]], *out = &ts[op->out];
    const ek_tensor *b = op->in[2] >= 0 ? &ts[op->in[2]] : NULL;
    if (f->ndim != 2) {
        return EK_ERR_MODEL;
    }
    const int32_t units = f->dims[0], depth = f->dims[1];
    const size_t rows = numel(in) / (size_t)depth;
    if (rows * (size_t)depth != numel(in) || rows * (size_t)units != numel(out)) {
        return EK_ERR_MODEL;
    }
    const int is_i8 = in->dtype == EK_I8;
    if (f->dtype != in->dtype || out->dtype != in->dtype ||
        (b != NULL && b->dtype != (is_i8 ? EK_I32 : EK_F32)) ||
        (is_i8 && op->num_mult != 1 && op->num_mult != units)) {
        return EK_ERR_MODEL;
    }
    const void *fv = tensor_in(f, work), *iv = tensor_in(in, work);
    const void *bv = b != NULL ? tensor_in(b, work) : NULL;
    void *ov = tensor_out(out, work);
    for (size_t r = 0; r < rows; ++r) {
        for (int32_t u = 0; u < units; ++u) {
            if (is_i8) {
                const int8_t *x = (const int8_t *)iv + r * (size_t)depth;
                const int8_t *w = (const int8_t *)fv + (size_t)u * depth;
                int32_t acc = 0;
                for (int32_t d = 0; d < depth; ++d) {
                    acc += ((int32_t)w[d] - f->zero_point) * ((int32_t)x[d] - in->zero_point);
                }
                if (bv != NULL) {
                    acc += ((const int32_t *)bv)[u];
                }
                const int j = op->num_mult == 1 ? 0 : u;
                acc = ek_multiply_by_quantized_multiplier(acc, op->mult[j], op->shift[j]);
                acc += out->zero_point;
                ((int8_t *)ov)[r * (size_t)units + u] = (int8_t)clamp_i32(acc, op->act_min, op->act_max);
            } else {
                const float *x = (const float *)iv + r * (size_t)depth;
                const float *w = (const float *)fv + (size_t)u * depth;
                float acc = 0.0f;
                for (int32_t d = 0; d < depth; ++d) {
                    acc += w[d] * x[d];
                }
                if (bv != NULL) {
                    acc += ((const float *)bv)[u];
                }
                ((float *)ov)[r * (size_t)units + u] = clamp_f(acc, op->fact_min, op->fact_max);
            }
        }
    }
    return EK_OK;
}

static ek_status max_pool(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    int32_t n, ih, iw, c, on, oh, ow, oc;
    nhwc(in, &n, &ih, &iw, &c);
    nhwc(out, &on, &oh, &ow, &oc);
    if (n != 1 || on != 1 || oc != c) {
        return EK_ERR_MODEL;
    }
    const void *iv = tensor_in(in, work);
    void *ov = tensor_out(out, work);
    const int is_i8 = in->dtype == EK_I8;
    for (int32_t y = 0; y < oh; ++y) {
        for (int32_t x = 0; x < ow; ++x) {
            for (int32_t ch = 0; ch < c; ++ch) {
                int32_t best = -128;
                float fbest = -3.402823466e38f;
                for (int32_t ky = 0; ky < op->filter_h; ++ky) {
                    const int32_t yy = y * op->stride_h - op->pad_h + ky;
                    for (int32_t kx = 0; kx < op->filter_w; ++kx) {
                        const int32_t xx = x * op->stride_w - op->pad_w + kx;
                        if (yy < 0 || yy >= ih || xx < 0 || xx >= iw) {
                            continue;
                        }
                        const size_t i = ((size_t)yy * iw + xx) * c + ch;
                        if (is_i8) {
                            const int32_t v = ((const int8_t *)iv)[i];
                            best = v > best ? v : best;
                        } else {
                            const float v = ((const float *)iv)[i];
                            fbest = v > fbest ? v : fbest;
                        }
                    }
                }
                const size_t o = ((size_t)y * ow + x) * c + ch;
                if (is_i8) {
                    ((int8_t *)ov)[o] = (int8_t)clamp_i32(best, op->act_min, op->act_max);
                } else {
                    ((float *)ov)[o] = clamp_f(fbest, op->fact_min, op->fact_max);
                }
            }
        }
    }
    return EK_OK;
}

/* ------------------------------------------------------------------ shape ops */

/* strides of a tensor's dims, padded on the left to EK_MAX_DIMS */
static void padded(const ek_tensor *t, int32_t *dims, size_t *strides) {
    const int lead = EK_MAX_DIMS - t->ndim;
    for (int i = 0; i < EK_MAX_DIMS; ++i) {
        dims[i] = i < lead ? 1 : t->dims[i - lead];
    }
    size_t s = 1;
    for (int i = EK_MAX_DIMS - 1; i >= 0; --i) {
        strides[i] = s;
        s *= (size_t)dims[i];
    }
}

static ek_status mean(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    int32_t dims[EK_MAX_DIMS];
    size_t strides[EK_MAX_DIMS];
    padded(in, dims, strides);
    int reduced[EK_MAX_DIMS] = {0};
    const int lead = EK_MAX_DIMS - in->ndim;
    for (int a = 0; a < op->naxes; ++a) {
        if (op->axes[a] < 0 || op->axes[a] >= in->ndim) {
            return EK_ERR_MODEL;
        }
        reduced[lead + op->axes[a]] = 1;
    }
    size_t count = 1, outer = 1;
    for (int i = 0; i < EK_MAX_DIMS; ++i) {
        if (reduced[i]) {
            count *= (size_t)dims[i];
        } else {
            outer *= (size_t)dims[i];
        }
    }
    if (outer != numel(out) || count == 0) {
        return EK_ERR_MODEL;
    }
    const void *iv = tensor_in(in, work);
    void *ov = tensor_out(out, work);
    /* walk output positions (kept dims, in order) and sum the reduced dims under each */
    int32_t kdims[EK_MAX_DIMS], rdims[EK_MAX_DIMS];
    size_t kstr[EK_MAX_DIMS], rstr[EK_MAX_DIMS];
    int nk = 0, nr = 0;
    for (int i = 0; i < EK_MAX_DIMS; ++i) {
        if (reduced[i]) {
            rdims[nr] = dims[i];
            rstr[nr++] = strides[i];
        } else {
            kdims[nk] = dims[i];
            kstr[nk++] = strides[i];
        }
    }
    int trailing = 1; /* reduced dims (of size > 1) all after the kept ones (of size > 1) */
    for (int i = 0, seen_reduced = 0; i < EK_MAX_DIMS; ++i) {
        if (reduced[i] && dims[i] > 1) {
            seen_reduced = 1;
        } else if (!reduced[i] && dims[i] > 1 && seen_reduced) {
            trailing = 0;
        }
    }
    for (size_t o = 0; o < outer; ++o) {
        size_t base = 0, rem = o;
        for (int i = nk - 1; i >= 0; --i) {
            base += (rem % (size_t)kdims[i]) * kstr[i];
            rem /= (size_t)kdims[i];
        }
        int64_t isum = 0;
        float fsum = 0.0f;
        if (trailing) { /* the reduced elements of one output are contiguous */
            for (size_t r = 0; r < count; ++r) {
                if (in->dtype == EK_I8) {
                    isum += ((const int8_t *)iv)[o * count + r];
                } else {
                    fsum += ((const float *)iv)[o * count + r];
                }
            }
        }
        for (size_t r = 0; !trailing && r < count; ++r) {
            size_t idx = base, rr = r;
            for (int i = nr - 1; i >= 0; --i) {
                idx += (rr % (size_t)rdims[i]) * rstr[i];
                rr /= (size_t)rdims[i];
            }
            if (in->dtype == EK_I8) {
                isum += ((const int8_t *)iv)[idx];
            } else {
                fsum += ((const float *)iv)[idx];
            }
        }
        if (in->dtype == EK_I8) {
            if (op->num_mult != 1) {
                return EK_ERR_MODEL;
            }
            /* TFLM: (sum - zero point x count) times a multiplier with 1/count folded in */
            int32_t acc = (int32_t)(isum - (int64_t)in->zero_point * (int64_t)count);
            acc = ek_multiply_by_quantized_multiplier(acc, op->mult[0], op->shift[0]);
            ((int8_t *)ov)[o] = (int8_t)clamp_i32(acc + out->zero_point, -128, 127);
        } else {
            ((float *)ov)[o] = fsum / (float)count;
        }
    }
    return EK_OK;
}

static ek_status transpose(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    if (op->naxes != in->ndim || out->ndim != in->ndim) {
        return EK_ERR_MODEL;
    }
    int32_t idims[EK_MAX_DIMS], odims[EK_MAX_DIMS];
    size_t istr[EK_MAX_DIMS], ostr[EK_MAX_DIMS];
    padded(in, idims, istr);
    padded(out, odims, ostr);
    const int lead = EK_MAX_DIMS - in->ndim;
    int used = 0;
    for (int i = 0; i < in->ndim; ++i) {
        const int a = op->axes[i];
        if (a < 0 || a >= in->ndim || (used & (1 << a)) || out->dims[i] != in->dims[a]) {
            return EK_ERR_MODEL;
        }
        used |= 1 << a;
    }
    size_t s[EK_MAX_DIMS]; /* input stride of each output dim */
    for (int i = 0; i < EK_MAX_DIMS; ++i) {
        s[i] = i < lead ? 0 : istr[lead + op->axes[i - lead]];
    }
    const size_t eb = elem_bytes(in);
    const uint8_t *iv = (const uint8_t *)tensor_in(in, work);
    uint8_t *ov = (uint8_t *)tensor_out(out, work);
    size_t o = 0;
    for (int32_t a = 0; a < odims[0]; ++a) {
        for (int32_t b = 0; b < odims[1]; ++b) {
            for (int32_t c = 0; c < odims[2]; ++c) {
                for (int32_t d = 0; d < odims[3]; ++d) {
                    const size_t base = a * s[0] + b * s[1] + c * s[2] + d * s[3];
                    if (eb == 1) {
                        for (int32_t e = 0; e < odims[4]; ++e) {
                            ov[o++] = iv[base + e * s[4]];
                        }
                    } else {
                        for (int32_t e = 0; e < odims[4]; ++e, ++o) {
                            memcpy(ov + o * 4u, iv + (base + e * s[4]) * 4u, 4u);
                        }
                    }
                }
            }
        }
    }
    return EK_OK;
}

static ek_status concat(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *out = &ts[op->out];
    const int axis = op->axes[0];
    if (axis < 0 || axis >= out->ndim) {
        return EK_ERR_MODEL;
    }
    size_t outer = 1;
    for (int i = 0; i < axis; ++i) {
        outer *= (size_t)out->dims[i];
    }
    const size_t eb = elem_bytes(out);
    uint8_t *ov = (uint8_t *)tensor_out(out, work);
    size_t out_row = numel(out) / outer * eb, at = 0;
    for (int j = 0; j < op->num_inputs; ++j) {
        const ek_tensor *in = &ts[op->in[j]];
        if (in->dtype != out->dtype ||
            (in->dtype == EK_I8 && (in->scale != out->scale || in->zero_point != out->zero_point))) {
            return EK_ERR_MODEL;
        }
        const size_t row = numel(in) / outer * eb;
        if (at + row > out_row) {
            return EK_ERR_MODEL;
        }
        const uint8_t *iv = (const uint8_t *)tensor_in(in, work);
        for (size_t r = 0; r < outer; ++r) {
            memcpy(ov + r * out_row + at, iv + r * row, row);
        }
        at += row;
    }
    return at == out_row ? EK_OK : EK_ERR_MODEL;
}

static ek_status pad(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *p = &ts[op->in[1]], *out = &ts[op->out];
    if (p->dtype != EK_I32 || p->data == NULL || in->ndim != out->ndim) {
        return EK_ERR_MODEL;
    }
    const int32_t *pads = (const int32_t *)p->data;
    int32_t idims[EK_MAX_DIMS], odims[EK_MAX_DIMS], before[EK_MAX_DIMS] = {0};
    size_t istr[EK_MAX_DIMS], ostr[EK_MAX_DIMS];
    padded(in, idims, istr);
    padded(out, odims, ostr);
    const int lead = EK_MAX_DIMS - in->ndim;
    for (int i = 0; i < in->ndim; ++i) {
        before[lead + i] = pads[2 * i];
    }
    const size_t n = numel(out), eb = elem_bytes(out);
    const uint8_t *iv = (const uint8_t *)tensor_in(in, work);
    uint8_t *ov = (uint8_t *)tensor_out(out, work);
    const int8_t zero8 = (int8_t)out->zero_point;
    const float zerof = 0.0f;
    for (size_t o = 0; o < n; ++o) {
        size_t src = 0, rem = o;
        int inside = 1;
        for (int i = EK_MAX_DIMS - 1; i >= 0; --i) {
            const int32_t c = (int32_t)(rem % (size_t)odims[i]) - before[i];
            rem /= (size_t)odims[i];
            if (c < 0 || c >= idims[i]) {
                inside = 0;
                break;
            }
            src += (size_t)c * istr[i];
        }
        if (inside) {
            memcpy(ov + o * eb, iv + src * eb, eb);
        } else {
            memcpy(ov + o * eb, out->dtype == EK_I8 ? (const void *)&zero8 : (const void *)&zerof, eb);
        }
    }
    return EK_OK;
}

static ek_status requantize(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    if (out->dtype != EK_I8 || numel(in) != numel(out)) {
        return EK_ERR_UNSUPPORTED;
    }
    if (in->dtype == EK_F32) { /* TFLite AffineQuantize: round(x / scale) + zero point */
        const float *fv = (const float *)tensor_in(in, work);
        int8_t *qv = (int8_t *)tensor_out(out, work);
        for (size_t i = 0, n = numel(in); i < n; ++i) {
            qv[i] = to_i8(roundf(fv[i] / out->scale) + (float)out->zero_point);
        }
        return EK_OK;
    }
    if (in->dtype != EK_I8 || op->num_mult != 1) {
        return EK_ERR_UNSUPPORTED;
    }
    const int8_t *iv = (const int8_t *)tensor_in(in, work);
    int8_t *ov = (int8_t *)tensor_out(out, work);
    for (size_t i = 0, n = numel(in); i < n; ++i) {
        int32_t v = ek_multiply_by_quantized_multiplier((int32_t)iv[i] - in->zero_point,
                                                        op->mult[0], op->shift[0]);
        ov[i] = (int8_t)clamp_i32(v + out->zero_point, -128, 127);
    }
    return EK_OK;
}

static ek_status slice(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    if (op->naxes != in->ndim || out->ndim != in->ndim || in->dtype != out->dtype) {
        return EK_ERR_MODEL;
    }
    int32_t idims[EK_MAX_DIMS], odims[EK_MAX_DIMS], begin[EK_MAX_DIMS] = {0};
    size_t istr[EK_MAX_DIMS], ostr[EK_MAX_DIMS];
    padded(in, idims, istr);
    padded(out, odims, ostr);
    const int lead = EK_MAX_DIMS - in->ndim;
    for (int i = 0; i < in->ndim; ++i) {
        begin[lead + i] = op->axes[i];
        if (op->axes[i] < 0 || op->axes[i] + out->dims[i] > in->dims[i]) {
            return EK_ERR_MODEL;
        }
    }
    const size_t n = numel(out), eb = elem_bytes(out);
    const uint8_t *iv = (const uint8_t *)tensor_in(in, work);
    uint8_t *ov = (uint8_t *)tensor_out(out, work);
    for (size_t o = 0; o < n; ++o) {
        size_t src = 0, rem = o;
        for (int i = EK_MAX_DIMS - 1; i >= 0; --i) {
            src += ((rem % (size_t)odims[i]) + (size_t)begin[i]) * istr[i];
            rem /= (size_t)odims[i];
        }
        memcpy(ov + o * eb, iv + src * eb, eb);
    }
    return EK_OK;
}

/* The input offset (in elements) of output position o, broadcasting input dims of 1. */
static size_t broadcast_index(size_t o, const int32_t *odims, const int32_t *idims,
                              const size_t *istr) {
    size_t src = 0;
    for (int i = EK_MAX_DIMS - 1; i >= 0; --i) {
        const size_t c = o % (size_t)odims[i];
        o /= (size_t)odims[i];
        src += (idims[i] == 1 ? 0u : c) * istr[i];
    }
    return src;
}

/* ADD, SUB, MUL with broadcasting. int8 follows TFLM: ADD/SUB rescale both inputs to a common
 * scale with 20 bits of headroom (mult/shift [0], [1]) and the sum to the output ([2]); MUL
 * multiplies the offset inputs and rescales once ([0]). */
static ek_status binary(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *a = &ts[op->in[0]], *b = &ts[op->in[1]], *out = &ts[op->out];
    int32_t ad[EK_MAX_DIMS], bd[EK_MAX_DIMS], od[EK_MAX_DIMS];
    size_t as[EK_MAX_DIMS], bs[EK_MAX_DIMS], os[EK_MAX_DIMS];
    padded(a, ad, as);
    padded(b, bd, bs);
    padded(out, od, os);
    for (int i = 0; i < EK_MAX_DIMS; ++i) {
        if ((ad[i] != od[i] && ad[i] != 1) || (bd[i] != od[i] && bd[i] != 1)) {
            return EK_ERR_MODEL;
        }
    }
    const int is_i8 = out->dtype == EK_I8;
    if (a->dtype != out->dtype || b->dtype != out->dtype) {
        return EK_ERR_MODEL;
    }
    if (is_i8 && (op->kind == EK_OP_MUL ? op->num_mult != 1 : op->num_mult != 3)) {
        return EK_ERR_MODEL;
    }
    const void *av = tensor_in(a, work), *bv = tensor_in(b, work);
    void *ov = tensor_out(out, work);
    for (size_t o = 0, n = numel(out); o < n; ++o) {
        const size_t ia = broadcast_index(o, od, ad, as), ib = broadcast_index(o, od, bd, bs);
        if (is_i8) {
            const int32_t x = (int32_t)((const int8_t *)av)[ia] - a->zero_point;
            const int32_t y = (int32_t)((const int8_t *)bv)[ib] - b->zero_point;
            int32_t r;
            if (op->kind == EK_OP_MUL) {
                r = ek_multiply_by_quantized_multiplier(x * y, op->mult[0], op->shift[0]);
            } else {
                const int32_t sx = ek_multiply_by_quantized_multiplier(x * INT32_C(1048576), op->mult[0], op->shift[0]);
                const int32_t sy = ek_multiply_by_quantized_multiplier(y * INT32_C(1048576), op->mult[1], op->shift[1]);
                r = ek_multiply_by_quantized_multiplier(op->kind == EK_OP_ADD ? sx + sy : sx - sy,
                                                        op->mult[2], op->shift[2]);
            }
            ((int8_t *)ov)[o] = (int8_t)clamp_i32(r + out->zero_point, op->act_min, op->act_max);
        } else {
            const float x = ((const float *)av)[ia], y = ((const float *)bv)[ib];
            const float r = op->kind == EK_OP_ADD ? x + y : (op->kind == EK_OP_SUB ? x - y : x * y);
            ((float *)ov)[o] = clamp_f(r, op->fact_min, op->fact_max);
        }
    }
    return EK_OK;
}

/* float LOGISTIC / TANH as TFLite's reference kernels (the logistic's cut-offs included) */
static ek_status unary(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    if (in->dtype != EK_F32 || out->dtype != EK_F32 || numel(in) != numel(out)) {
        return EK_ERR_UNSUPPORTED;
    }
    const float *iv = (const float *)tensor_in(in, work);
    float *ov = (float *)tensor_out(out, work);
    for (size_t i = 0, n = numel(in); i < n; ++i) {
        const float v = iv[i];
        if (op->kind == EK_OP_TANH) {
            ov[i] = tanhf(v);
        } else if (v > 16.619047164916992188f) {
            ov[i] = 1.0f;
        } else if (v < -9.0f) {
            ov[i] = expf(v);
        } else {
            ov[i] = 1.0f / (1.0f + expf(-v));
        }
    }
    return EK_OK;
}

static ek_status dequantize(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    if (in->dtype != EK_I8 || out->dtype != EK_F32 || numel(in) != numel(out)) {
        return EK_ERR_UNSUPPORTED;
    }
    const int8_t *iv = (const int8_t *)tensor_in(in, work);
    float *ov = (float *)tensor_out(out, work);
    for (size_t i = 0, n = numel(in); i < n; ++i) {
        /* TFLite computes float(double scale x (q - zp)); that product is exact in double, so
         * one float multiply rounds it identically, without soft-double on a Cortex-M4F */
        ov[i] = in->scale * (float)((int32_t)iv[i] - in->zero_point);
    }
    return EK_OK;
}

ek_status ek_run_op(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    if (op == NULL || ts == NULL || work == NULL) {
        return EK_ERR_NULL;
    }
    switch (op->kind) {
    case EK_OP_CONV2D:
        return conv(op, ts, work, 0);
    case EK_OP_DWCONV2D:
        return conv(op, ts, work, 1);
    case EK_OP_FC:
        return fully_connected(op, ts, work);
    case EK_OP_MAXPOOL:
        return max_pool(op, ts, work);
    case EK_OP_MEAN:
        return mean(op, ts, work);
    case EK_OP_CONCAT:
        return concat(op, ts, work);
    case EK_OP_PAD:
        return pad(op, ts, work);
    case EK_OP_TRANSPOSE:
        return transpose(op, ts, work);
    case EK_OP_RESHAPE: {
        const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
        if (numel(in) * elem_bytes(in) != numel(out) * elem_bytes(out)) {
            return EK_ERR_MODEL;
        }
        memmove(tensor_out(out, work), tensor_in(in, work), numel(in) * elem_bytes(in));
        return EK_OK;
    }
    case EK_OP_QUANTIZE:
        return requantize(op, ts, work);
    case EK_OP_SLICE:
        return slice(op, ts, work);
    case EK_OP_ADD:
    case EK_OP_SUB:
    case EK_OP_MUL:
        return binary(op, ts, work);
    case EK_OP_LOGISTIC:
    case EK_OP_TANH:
        return unary(op, ts, work);
    case EK_OP_DEQUANTIZE:
        return dequantize(op, ts, work);
    default:
        return EK_ERR_UNSUPPORTED;
    }
}

/* ------------------------------------------------------------------ members */

size_t ek_arena_bytes(const ek_ensemble *e) {
    if (e == NULL) {
        return 0;
    }
    size_t work = 0;
    for (int k = 0; k < e->num_members; ++k) {
        work = e->members[k].work_bytes > work ? e->members[k].work_bytes : work;
    }
    return EK_ALIGN(e->slots_bytes) + EK_ALIGN(work);
}

ek_status ek_normalize(const ek_ensemble *e, float *features) {
    if (e == NULL || features == NULL) {
        return EK_ERR_NULL;
    }
    if (e->norm_mean == NULL || e->norm_std == NULL) {
        return EK_OK;
    }
    for (int t = 0; t < e->input_steps; ++t) {
        for (int c = 0; c < e->input_channels; ++c) {
            float *v = &features[(size_t)t * e->input_channels + c];
            *v = (*v - e->norm_mean[c]) / e->norm_std[c];
        }
    }
    return EK_OK;
}

/* float -> int8 exactly as the Python runtime: rint(x * (1/scale)) + zero point, clamped */
static int8_t quantize_value(float x, float inv_scale, int32_t zero_point) {
    float q = rintf(x * inv_scale);
    q += (float)zero_point;
    return to_i8(q);
}

static int valid_tensor(const ek_member *m, int i) {
    return i >= 0 && i < m->num_tensors;
}

/* Tables consistent enough that no kernel can read or write outside its buffers: every index
 * in range, at most 5 dims (4 for NHWC operators), arena regions inside the member's working
 * memory, the activation slot inside the ensemble's slots. */
static ek_status validate_member(const ek_ensemble *e, const ek_member *m) {
    if (m->tensors == NULL || m->ops == NULL || !valid_tensor(m, m->features) ||
        !valid_tensor(m, m->logits) || (m->connection >= 0 && !valid_tensor(m, m->connection)) ||
        (m->activation >= 0 && !valid_tensor(m, m->activation))) {
        return EK_ERR_MODEL;
    }
    for (int i = 0; i < m->num_tensors; ++i) {
        const ek_tensor *t = &m->tensors[i];
        if (t->ndim > EK_MAX_DIMS || t->dtype > EK_I32) {
            return EK_ERR_MODEL;
        }
        for (int d = 0; d < t->ndim; ++d) {
            if (t->dims[d] < 1) {
                return EK_ERR_MODEL;
            }
        }
        if (t->data == NULL &&
            (t->offset < 0 || (size_t)t->offset + numel(t) * elem_bytes(t) > m->work_bytes)) {
            return EK_ERR_MODEL;
        }
    }
    for (int r = 0; r < 4; ++r) { /* roles live in working memory */
        const int16_t role[4] = {m->features, m->connection, m->logits, m->activation};
        if (role[r] >= 0 && m->tensors[role[r]].data != NULL) {
            return EK_ERR_MODEL;
        }
    }
    if (m->activation >= 0 && m->slot_offset >= 0 &&
        (size_t)m->slot_offset + numel(&m->tensors[m->activation]) *
                                     elem_bytes(&m->tensors[m->activation]) > e->slots_bytes) {
        return EK_ERR_MODEL;
    }
    for (int j = 0; j < m->num_ops; ++j) {
        const ek_op *op = &m->ops[j];
        if (op->num_inputs < 1 || op->num_inputs > 3 || !valid_tensor(m, op->out) ||
            m->tensors[op->out].data != NULL || op->naxes < 0 || op->naxes > EK_MAX_DIMS ||
            (op->num_mult > 0 && (op->mult == NULL || op->shift == NULL))) {
            return EK_ERR_MODEL;
        }
        for (int i = 0; i < 3; ++i) {
            if ((i < op->num_inputs || op->in[i] >= 0) && !valid_tensor(m, op->in[i])) {
                return EK_ERR_MODEL;
            }
        }
        const int nhwc_op = op->kind == EK_OP_CONV2D || op->kind == EK_OP_DWCONV2D ||
                            op->kind == EK_OP_MAXPOOL;
        if (nhwc_op && (m->tensors[op->in[0]].ndim > 4 || m->tensors[op->out].ndim > 4 ||
                        (op->kind != EK_OP_MAXPOOL && m->tensors[op->in[1]].ndim > 4))) {
            return EK_ERR_MODEL;
        }
    }
    return EK_OK;
}

ek_status ek_run_member(const ek_ensemble *e, int k, const float *features, uint8_t *slots,
                        uint8_t *work, float *logits_inout) {
    if (e == NULL || features == NULL || slots == NULL || work == NULL || logits_inout == NULL) {
        return EK_ERR_NULL;
    }
    if (k < 0 || k >= e->num_members) {
        return EK_ERR_MODEL;
    }
    const ek_member *m = &e->members[k];
    const ek_status valid = validate_member(e, m);
    if (valid != EK_OK) {
        return valid;
    }
    const ek_tensor *ts = m->tensors;
    const ek_tensor *feat = &ts[m->features], *logits = &ts[m->logits];
    const size_t nf = (size_t)e->input_steps * e->input_channels;
    if (numel(feat) != nf || numel(logits) != (size_t)e->num_classes) {
        return EK_ERR_MODEL;
    }
    if (feat->dtype == EK_I8) {
        int8_t *dst = (int8_t *)tensor_out(feat, work);
        for (size_t i = 0; i < nf; ++i) {
            dst[i] = quantize_value(features[i], m->features_inv_scale, feat->zero_point);
        }
    } else {
        memcpy(tensor_out(feat, work), features, nf * sizeof(float));
    }
    if (m->connection >= 0) {
        const int j = m->connected_from - 1;
        if (j < 0 || j >= k || e->members[j].activation < 0 || e->members[j].slot_offset < 0) {
            return EK_ERR_MODEL;
        }
        const ek_tensor *src = &e->members[j].tensors[e->members[j].activation];
        const ek_tensor *dst = &ts[m->connection];
        const size_t n = numel(dst);
        if (numel(src) != n) {
            return EK_ERR_MODEL;
        }
        const uint8_t *sv = slots + e->members[j].slot_offset;
        void *dv = tensor_out(dst, work);
        for (size_t i = 0; i < n; ++i) {
            const float v = src->dtype == EK_I8
                ? ((float)((const int8_t *)sv)[i] - (float)src->zero_point) * src->scale
                : ((const float *)sv)[i];
            if (dst->dtype == EK_I8) {
                ((int8_t *)dv)[i] = quantize_value(v, m->connection_inv_scale, dst->zero_point);
            } else {
                ((float *)dv)[i] = v;
            }
        }
    }
    for (int i = 0; i < m->num_ops; ++i) {
        const ek_status s = ek_run_op(&m->ops[i], ts, work);
        if (s != EK_OK) {
            return s;
        }
    }
    const void *lv = tensor_in(logits, work);
    for (int c = 0; c < e->num_classes; ++c) {
        const float v = logits->dtype == EK_I8
            ? ((float)((const int8_t *)lv)[c] - (float)logits->zero_point) * logits->scale
            : ((const float *)lv)[c];
        logits_inout[c] += v;
    }
    if (m->activation >= 0 && m->slot_offset >= 0) {
        const ek_tensor *a = &ts[m->activation];
        memcpy(slots + m->slot_offset, tensor_in(a, work), numel(a) * elem_bytes(a));
    }
    return EK_OK;
}

static float top2_margin(const float *logits, int n) {
    float a = logits[0];
    float b = -3.402823466e38f;
    for (int i = 1; i < n; ++i) {
        if (logits[i] > a) {
            b = a;
            a = logits[i];
        } else if (logits[i] > b) {
            b = logits[i];
        }
    }
    return a - b;
}

ek_status ek_run(const ek_ensemble *e, const float *features, const ek_policy *policy,
                 void *arena, size_t arena_bytes, float *logits_out, ek_result *result) {
    if (e == NULL || features == NULL || policy == NULL || arena == NULL || logits_out == NULL ||
        result == NULL) {
        return EK_ERR_NULL;
    }
    if (policy->max_members < 0 || policy->margin < 0.0f ||
        (policy->budget_us > 0 && policy->clock == NULL)) {
        return EK_ERR_POLICY;
    }
    if (e->num_members < 1 || e->num_classes < 2 || e->members == NULL) {
        return EK_ERR_MODEL;
    }
    if (arena_bytes < ek_arena_bytes(e) || ((uintptr_t)arena & 7u) != 0u) {
        return EK_ERR_ARENA; /* too small, or not 8-byte aligned */
    }
    uint8_t *slots = (uint8_t *)arena;
    uint8_t *work = slots + EK_ALIGN(e->slots_bytes);
    const uint32_t t0 = policy->clock != NULL ? policy->clock(policy->clock_ctx) : 0u;
    for (int j = 0; j < e->num_classes; ++j) {
        logits_out[j] = 0.0f;
    }
    result->stopped_by = EK_STOP_ALL;
    int k = 0;
    for (; k < e->num_members; ++k) {
        if (k > 0) {
            if (policy->margin > 0.0f && top2_margin(logits_out, e->num_classes) >= policy->margin) {
                result->stopped_by = EK_STOP_MARGIN;
                break;
            }
            if (policy->max_members > 0 && k >= policy->max_members) {
                result->stopped_by = EK_STOP_MAX_MEMBERS;
                break;
            }
            if (policy->budget_us > 0 &&
                (uint32_t)(policy->clock(policy->clock_ctx) - t0) >= policy->budget_us) {
                result->stopped_by = EK_STOP_BUDGET;
                break;
            }
        }
        const ek_status s = ek_run_member(e, k, features, slots, work, logits_out);
        if (s != EK_OK) {
            return s;
        }
    }
    result->members_run = k;
    result->elapsed_us = policy->clock != NULL ? (uint32_t)(policy->clock(policy->clock_ctx) - t0) : 0u;
    int best = 0;
    for (int j = 1; j < e->num_classes; ++j) {
        best = logits_out[j] > logits_out[best] ? j : best;
    }
    result->label = best;
    return EK_OK;
}
