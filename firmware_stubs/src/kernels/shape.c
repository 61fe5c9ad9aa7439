/*
 * Data movement: CONCATENATION, PAD, TRANSPOSE, RESHAPE (a copy), SLICE. Byte copies, so one
 * kernel serves float32 and int8.
 */
#include "../internal.h"

void ek_padded(const ek_tensor *t, int32_t *dims, size_t *strides) {
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

static ek_status check_concat(const ek_op *op, const ek_tensor *ts) {
    const ek_tensor *out = &ts[op->out];
    const int axis = op->axes[0];
    if (axis < 0 || axis >= out->ndim) {
        return EK_ERR_MODEL;
    }
    size_t outer = 1, at = 0;
    for (int i = 0; i < axis; ++i) {
        outer *= (size_t)out->dims[i];
    }
    for (int j = 0; j < op->num_inputs; ++j) {
        const ek_tensor *in = &ts[op->in[j]];
        if (in->dtype != out->dtype ||
            (in->dtype == EK_I8 && (in->scale != out->scale || in->zero_point != out->zero_point)) ||
            ek_numel(in) % outer != 0) {
            return EK_ERR_MODEL;
        }
        at += ek_numel(in) / outer;
    }
    return at == ek_numel(out) / outer ? EK_OK : EK_ERR_MODEL;
}

static void concat(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *out = &ts[op->out];
    size_t outer = 1;
    for (int i = 0; i < op->axes[0]; ++i) {
        outer *= (size_t)out->dims[i];
    }
    const size_t eb = ek_elem_bytes(out), out_row = ek_numel(out) / outer * eb;
    uint8_t *ov = (uint8_t *)ek_out(out, work);
    size_t at = 0;
    for (int j = 0; j < op->num_inputs; ++j) {
        const ek_tensor *in = &ts[op->in[j]];
        const size_t row = ek_numel(in) / outer * eb;
        const uint8_t *iv = (const uint8_t *)ek_in(in, work);
        for (size_t r = 0; r < outer; ++r) {
            memmove(ov + r * out_row + at, iv + r * row, row);
        }
        at += row;
    }
}

static ek_status check_pad(const ek_op *op, const ek_tensor *ts) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    if (op->num_inputs < 2) {
        return EK_ERR_MODEL;
    }
    const ek_tensor *p = &ts[op->in[1]];
    if (p->dtype != EK_I32 || p->data == NULL || in->ndim != out->ndim ||
        ek_numel(p) != 2u * (size_t)in->ndim || in->dtype != out->dtype) {
        return EK_ERR_MODEL;
    }
    const int32_t *pads = (const int32_t *)p->data;
    for (int i = 0; i < in->ndim; ++i) {
        if (pads[2 * i] < 0 || pads[2 * i + 1] < 0 ||
            in->dims[i] + pads[2 * i] + pads[2 * i + 1] != out->dims[i]) {
            return EK_ERR_MODEL;
        }
    }
    return EK_OK;
}

/* rows of the last dim: padding before, the input row (one copy), padding after */
static void pad(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    const int32_t *pads = (const int32_t *)ts[op->in[1]].data;
    int32_t idims[EK_MAX_DIMS], odims[EK_MAX_DIMS], before[EK_MAX_DIMS] = {0};
    size_t istr[EK_MAX_DIMS], ostr[EK_MAX_DIMS];
    ek_padded(in, idims, istr);
    ek_padded(out, odims, ostr);
    const int lead = EK_MAX_DIMS - in->ndim;
    for (int i = 0; i < in->ndim; ++i) {
        before[lead + i] = pads[2 * i];
    }
    const size_t eb = ek_elem_bytes(out), width = (size_t)odims[EK_MAX_DIMS - 1];
    const size_t rows = ek_numel(out) / width, in_width = (size_t)idims[EK_MAX_DIMS - 1];
    const uint8_t *iv = (const uint8_t *)ek_in(in, work);
    uint8_t *ov = (uint8_t *)ek_out(out, work);
    /* the padding value's bytes: the int8 zero point, or float 0.0f (all bits 0) */
    const int fill = out->dtype == EK_I8 ? (int)(uint8_t)(int8_t)out->zero_point : 0;
    for (size_t r = 0; r < rows; ++r) {
        uint8_t *row = ov + r * width * eb;
        size_t src = 0, rem = r;
        int inside = 1;
        for (int i = EK_MAX_DIMS - 2; i >= 0; --i) { /* the row's input row, if any */
            const int32_t c = (int32_t)(rem % (size_t)odims[i]) - before[i];
            rem /= (size_t)odims[i];
            inside &= c >= 0 && c < idims[i];
            src += inside ? (size_t)c * istr[i] : 0u;
        }
        const size_t lo = inside ? (size_t)before[EK_MAX_DIMS - 1] : width;
        const size_t hi = inside ? lo + in_width : width;
        memset(row, fill, lo * eb);
        memset(row + hi * eb, fill, (width - hi) * eb);
        if (inside) {
            memcpy(row + lo * eb, iv + src * eb, in_width * eb);
        }
    }
}

static ek_status check_transpose(const ek_op *op, const ek_tensor *ts) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    if (op->naxes != in->ndim || out->ndim != in->ndim || in->dtype != out->dtype) {
        return EK_ERR_MODEL;
    }
    int used = 0;
    for (int i = 0; i < in->ndim; ++i) {
        const int a = op->axes[i];
        if (a < 0 || a >= in->ndim || (used & (1 << a)) || out->dims[i] != in->dims[a]) {
            return EK_ERR_MODEL;
        }
        used |= 1 << a;
    }
    return EK_OK;
}

static void transpose(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    int32_t idims[EK_MAX_DIMS], odims[EK_MAX_DIMS];
    size_t istr[EK_MAX_DIMS], ostr[EK_MAX_DIMS], s[EK_MAX_DIMS];
    ek_padded(in, idims, istr);
    ek_padded(out, odims, ostr);
    const int lead = EK_MAX_DIMS - in->ndim;
    for (int i = 0; i < EK_MAX_DIMS; ++i) { /* input stride of each output dim */
        s[i] = i < lead ? 0 : istr[lead + op->axes[i - lead]];
    }
    const size_t eb = ek_elem_bytes(in);
    const uint8_t *iv = (const uint8_t *)ek_in(in, work);
    uint8_t *ov = (uint8_t *)ek_out(out, work);
    size_t o = 0;
    for (int32_t a = 0; a < odims[0]; ++a) {
        for (int32_t b = 0; b < odims[1]; ++b) {
            for (int32_t c = 0; c < odims[2]; ++c) {
                for (int32_t d = 0; d < odims[3]; ++d) {
                    const size_t base = a * s[0] + b * s[1] + c * s[2] + d * s[3];
                    if (eb == 1) { /* four bytes per pass: the loop's own instructions shared */
                        const uint8_t *p = iv + base;
                        const size_t st = s[4];
                        int32_t e = 0;
                        for (; e + 4 <= odims[4]; e += 4, p += 4 * st, o += 4) {
                            const uint8_t b0 = p[0], b1 = p[st], b2 = p[2 * st], b3 = p[3 * st];
                            ov[o] = b0;
                            ov[o + 1] = b1;
                            ov[o + 2] = b2;
                            ov[o + 3] = b3;
                        }
                        for (; e < odims[4]; ++e, p += st) {
                            ov[o++] = *p;
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
}

static ek_status check_slice(const ek_op *op, const ek_tensor *ts) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    if (op->naxes != in->ndim || out->ndim != in->ndim || in->dtype != out->dtype) {
        return EK_ERR_MODEL;
    }
    for (int i = 0; i < in->ndim; ++i) {
        if (op->axes[i] < 0 || op->axes[i] + out->dims[i] > in->dims[i]) {
            return EK_ERR_MODEL;
        }
    }
    return EK_OK;
}

static void slice(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    int32_t idims[EK_MAX_DIMS], odims[EK_MAX_DIMS], begin[EK_MAX_DIMS] = {0};
    size_t istr[EK_MAX_DIMS], ostr[EK_MAX_DIMS];
    ek_padded(in, idims, istr);
    ek_padded(out, odims, ostr);
    const int lead = EK_MAX_DIMS - in->ndim;
    for (int i = 0; i < in->ndim; ++i) {
        begin[lead + i] = op->axes[i];
    }
    const size_t n = ek_numel(out), eb = ek_elem_bytes(out);
    const uint8_t *iv = (const uint8_t *)ek_in(in, work);
    uint8_t *ov = (uint8_t *)ek_out(out, work);
    for (size_t o = 0; o < n; ++o) {
        size_t src = 0, rem = o;
        for (int i = EK_MAX_DIMS - 1; i >= 0; --i) {
            src += ((rem % (size_t)odims[i]) + (size_t)begin[i]) * istr[i];
            rem /= (size_t)odims[i];
        }
        memcpy(ov + o * eb, iv + src * eb, eb);
    }
}

ek_status ek_check_shape(const ek_op *op, const ek_tensor *ts) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    switch (op->kind) {
    case EK_OP_CONCAT:
        return check_concat(op, ts);
    case EK_OP_PAD:
        return check_pad(op, ts);
    case EK_OP_TRANSPOSE:
        return check_transpose(op, ts);
    case EK_OP_SLICE:
        return check_slice(op, ts);
    default: /* RESHAPE */
        return ek_numel(in) * ek_elem_bytes(in) == ek_numel(out) * ek_elem_bytes(out)
                   ? EK_OK
                   : EK_ERR_MODEL;
    }
}

void ek_shape(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    switch (op->kind) {
    case EK_OP_CONCAT:
        concat(op, ts, work);
        break;
    case EK_OP_PAD:
        pad(op, ts, work);
        break;
    case EK_OP_TRANSPOSE:
        transpose(op, ts, work);
        break;
    case EK_OP_SLICE:
        slice(op, ts, work);
        break;
    default: { /* RESHAPE */
        const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
        memmove(ek_out(out, work), ek_in(in, work), ek_numel(in) * ek_elem_bytes(in));
    }
    }
}
