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

/* outer rows of row bytes (a multiple of 4, at most 32) from src (packed) to dst (out_row
 * apart): the row's length a constant in each case, so each copy is its word loads and stores
 * (two words, DS-CNN's channel halves: about 9 instructions a row on the M4, where a loop over
 * the words took 17) */
#define COPY_ROWS(n)                                      \
    case n:                                               \
        for (size_t r = 0; r < outer; ++r, src += 4 * n, dst += out_row) { \
            memcpy(dst, src, 4 * n);                      \
        }                                                 \
        break
static void copy_rows(const uint8_t *src, size_t row, uint8_t *dst, size_t out_row,
                      size_t outer) {
    switch (row / 4) {
        COPY_ROWS(1);
        COPY_ROWS(2);
        COPY_ROWS(3);
        COPY_ROWS(4);
        COPY_ROWS(5);
        COPY_ROWS(6);
        COPY_ROWS(7);
        COPY_ROWS(8);
    default:
        break;
    }
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
        const int apart = iv + outer * row <= ov || ov + outer * out_row <= iv;
        if (apart && row % 4 == 0 && row <= 32) { /* short rows (channels): words, no calls */
            copy_rows(iv, row, ov + at, out_row, outer);
        } else {
            for (size_t r = 0; r < outer; ++r) {
                memmove(ov + r * out_row + at, iv + r * row, row);
            }
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

/* rows of the last dim that is not 1 (trailing unit dims carry no padding: one pixel's channels
 * are its row, not one byte): padding before, the input row (one copy), padding after */
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
    int last = EK_MAX_DIMS - 1;
    while (last > 0 && odims[last] == 1) {
        --last;
    }
    const size_t eb = ek_elem_bytes(out), width = (size_t)odims[last];
    const size_t rows = ek_numel(out) / width, in_width = (size_t)idims[last];
    const uint8_t *iv = (const uint8_t *)ek_in(in, work);
    uint8_t *ov = (uint8_t *)ek_out(out, work);
    /* the padding value's bytes: the int8 zero point, or float 0.0f (all bits 0) */
    const int fill = out->dtype == EK_I8 ? (int)(uint8_t)(int8_t)out->zero_point : 0;
    for (size_t r = 0; r < rows; ++r) {
        uint8_t *row = ov + r * width * eb;
        size_t src = 0, rem = r;
        int inside = 1;
        for (int i = last - 1; i >= 0; --i) { /* the row's input row, if any */
            const int32_t c = (int32_t)(rem % (size_t)odims[i]) - before[i];
            rem /= (size_t)odims[i];
            inside &= c >= 0 && c < idims[i];
            src += inside ? (size_t)c * istr[i] : 0u;
        }
        const size_t lo = inside ? (size_t)before[last] : width;
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

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EK_LITTLE_ENDIAN 1 /* transpose_2d's byte positions in a word */
#else
#define EK_LITTLE_ENDIAN 0
#endif

/*
 * A transpose that only swaps two blocks of axes: with the axes of size 1 dropped and the runs
 * of axes that stay adjacent merged, the input is [R][C] and the output [C][R] (NHWC <-> NCHW
 * with N = 1 among them). 1: *r, *c set; 0: not such a transpose (or a plain copy: *r = 0).
 */
static int as_2d(const ek_tensor *in, const int16_t *axes, int32_t *r, int32_t *c) {
    int rank[EK_MAX_DIMS], kept = 0;
    for (int a = 0; a < in->ndim; ++a) { /* each input axis's place among those kept */
        rank[a] = in->dims[a] > 1 ? kept++ : -1;
    }
    int32_t size[EK_MAX_DIMS];
    int first[EK_MAX_DIMS], last = -2, n = 0;
    for (int i = 0; i < in->ndim; ++i) { /* the output's axes, merged where they stay adjacent */
        const int a = axes[i];
        if (rank[a] < 0) {
            continue;
        }
        if (n > 0 && rank[a] == last + 1) {
            size[n - 1] *= in->dims[a];
        } else {
            first[n] = rank[a];
            size[n++] = in->dims[a];
        }
        last = rank[a];
    }
    *r = 0;
    if (n != 2 || first[0] == 0) {
        return 0;
    }
    *r = size[1];
    *c = size[0];
    return 1;
}

/* out[j][i] = in[i][j] for the int8 [R][C] in: 4 x 4 blocks (four word loads, the bytes
 * regrouped in registers, four word stores), then the edges one byte at a time */
static void transpose_2d(const uint8_t *in, int32_t rows, int32_t cols, uint8_t *out) {
    const uint32_t m = 0x00FF00FFu;
    int32_t i = 0;
    for (; i + 4 <= rows; i += 4) {
        int32_t j = 0;
        for (; j + 4 <= cols; j += 4) {
            uint32_t a, b, c, d;
            const uint8_t *p = in + (size_t)i * cols + j;
            memcpy(&a, p, 4); /* little-endian words: byte k is column j + k */
            memcpy(&b, p + cols, 4);
            memcpy(&c, p + 2 * (size_t)cols, 4);
            memcpy(&d, p + 3 * (size_t)cols, 4);
            const uint32_t ab0 = (a & m) | ((b & m) << 8), ab1 = ((a >> 8) & m) | (b & ~m);
            const uint32_t cd0 = (c & m) | ((d & m) << 8), cd1 = ((c >> 8) & m) | (d & ~m);
            const uint32_t o0 = (ab0 & 0xFFFFu) | (cd0 << 16), o2 = (ab0 >> 16) | (cd0 & 0xFFFF0000u);
            const uint32_t o1 = (ab1 & 0xFFFFu) | (cd1 << 16), o3 = (ab1 >> 16) | (cd1 & 0xFFFF0000u);
            uint8_t *q = out + (size_t)j * rows + i;
            memcpy(q, &o0, 4);
            memcpy(q + rows, &o1, 4);
            memcpy(q + 2 * (size_t)rows, &o2, 4);
            memcpy(q + 3 * (size_t)rows, &o3, 4);
        }
        for (; j < cols; ++j) {
            for (int32_t k = 0; k < 4; ++k) {
                out[(size_t)j * rows + i + k] = in[(size_t)(i + k) * cols + j];
            }
        }
    }
    for (; i < rows; ++i) {
        for (int32_t j = 0; j < cols; ++j) {
            out[(size_t)j * rows + i] = in[(size_t)i * cols + j];
        }
    }
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
    int32_t rows, cols;
    if (eb == 1 && EK_LITTLE_ENDIAN && as_2d(in, op->axes, &rows, &cols)) {
        transpose_2d(iv, rows, cols, ov);
        return;
    }
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
