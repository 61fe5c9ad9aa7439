/*
 * FULLY_CONNECTED: rows of K inputs -> N units, filter [N][K], float32 or int8 (TFLM's
 * reference arithmetic, weight zero point included). The fast kernel (ek_fully_connected_fast)
 * computes two units per pass over a row with the dot products of dot.h (symmetric weights,
 * the int8 export's); the reference (ek_fully_connected_ref) is the plain loop. Same bits;
 * EK_REFERENCE_KERNELS=1 at build time selects the reference.
 */
#include "../internal.h"
#include "dot.h"

#ifndef EK_REFERENCE_KERNELS
#define EK_REFERENCE_KERNELS 0
#endif

ek_status ek_check_fully_connected(const ek_op *op, const ek_tensor *ts) {
    if (op->num_inputs < 2) {
        return EK_ERR_MODEL;
    }
    const ek_tensor *in = &ts[op->in[0]], *f = &ts[op->in[1]], *out = &ts[op->out];
    const ek_tensor *b = op->in[2] >= 0 ? &ts[op->in[2]] : NULL;
    if (f->ndim != 2 || f->data == NULL) {
        return EK_ERR_MODEL;
    }
    const int32_t units = f->dims[0], depth = f->dims[1];
    const size_t rows = ek_numel(in) / (size_t)depth;
    if (rows * (size_t)depth != ek_numel(in) || rows * (size_t)units != ek_numel(out)) {
        return EK_ERR_MODEL;
    }
    const int is_i8 = in->dtype == EK_I8;
    if ((in->dtype != EK_I8 && in->dtype != EK_F32) || f->dtype != in->dtype ||
        out->dtype != in->dtype ||
        (b != NULL && (b->dtype != (is_i8 ? EK_I32 : EK_F32) || ek_numel(b) != (size_t)units)) ||
        (is_i8 && ((op->num_mult != 1 && op->num_mult != units) || op->num_mult < 1))) {
        return EK_ERR_MODEL;
    }
    return EK_OK;
}

typedef struct {
    const void *x, *w, *b;
    void *y;
    int32_t units, depth;
    size_t rows;
} fc_args;

static void fc_args_of(const ek_op *op, const ek_tensor *ts, uint8_t *work, fc_args *a) {
    const ek_tensor *f = &ts[op->in[1]];
    a->x = ek_in(&ts[op->in[0]], work);
    a->w = ek_in(f, work);
    a->b = op->in[2] >= 0 ? ek_in(&ts[op->in[2]], work) : NULL;
    a->y = ek_out(&ts[op->out], work);
    a->units = f->dims[0];
    a->depth = f->dims[1];
    a->rows = ek_numel(&ts[op->in[0]]) / (size_t)a->depth;
}

static void fc_f32(const ek_op *op, const fc_args *a, int32_t u0, int32_t u1, size_t r) {
    const float *x = (const float *)a->x + r * (size_t)a->depth;
    for (int32_t u = u0; u < u1; ++u) {
        const float *w = (const float *)a->w + (size_t)u * a->depth;
        float acc = 0.0f;
        for (int32_t d = 0; d < a->depth; ++d) {
            acc += w[d] * x[d];
        }
        if (a->b != NULL) {
            acc += ((const float *)a->b)[u];
        }
        ((float *)a->y)[r * (size_t)a->units + u] = ek_clamp_f(acc, op->fact_min, op->fact_max);
    }
}

void ek_fully_connected_ref(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *f = &ts[op->in[1]], *out = &ts[op->out];
    fc_args a;
    fc_args_of(op, ts, work, &a);
    for (size_t r = 0; r < a.rows; ++r) {
        if (in->dtype != EK_I8) {
            fc_f32(op, &a, 0, a.units, r);
            continue;
        }
        const int8_t *x = (const int8_t *)a.x + r * (size_t)a.depth;
        for (int32_t u = 0; u < a.units; ++u) {
            const int8_t *w = (const int8_t *)a.w + (size_t)u * a.depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < a.depth; ++d) {
                acc += ((int32_t)w[d] - f->zero_point) * ((int32_t)x[d] - in->zero_point);
            }
            if (a.b != NULL) {
                acc += ((const int32_t *)a.b)[u];
            }
            ((int8_t *)a.y)[r * (size_t)a.units + u] =
                (int8_t)ek_requant(acc, op, u, out->zero_point);
        }
    }
}

void ek_fully_connected_fast(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_op local = *op; /* not aliased by the int8 output stores (see conv.c) */
    op = &local;
    const ek_tensor *in = &ts[op->in[0]], *f = &ts[op->in[1]], *out = &ts[op->out];
    if (in->dtype != EK_I8 || f->zero_point != 0) {
        ek_fully_connected_ref(op, ts, work);
        return;
    }
    fc_args a;
    fc_args_of(op, ts, work, &a);
    const int32_t *bias = (const int32_t *)a.b;
    for (size_t r = 0; r < a.rows; ++r) {
        const int8_t *x = (const int8_t *)a.x + r * (size_t)a.depth;
        int8_t *y = (int8_t *)a.y + r * (size_t)a.units;
        for (int32_t u = 0; u < a.units; u += 2) {
            const int8_t *w = (const int8_t *)a.w + (size_t)u * a.depth;
            int32_t a0 = 0, a1 = 0;
            if (u + 1 < a.units) {
                ek_dot2_i8(x, w, w + a.depth, a.depth, -in->zero_point, &a0, &a1);
                a1 += bias != NULL ? bias[u + 1] : 0;
                y[u + 1] = (int8_t)ek_requant(a1, op, u + 1, out->zero_point);
            } else {
                ek_dot1_i8(x, w, a.depth, -in->zero_point, &a0);
            }
            a0 += bias != NULL ? bias[u] : 0;
            y[u] = (int8_t)ek_requant(a0, op, u, out->zero_point);
        }
    }
}

void ek_fully_connected(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
#if EK_REFERENCE_KERNELS
    ek_fully_connected_ref(op, ts, work);
#else
    ek_fully_connected_fast(op, ts, work);
#endif
}
