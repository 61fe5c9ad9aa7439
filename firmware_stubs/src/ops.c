/*
 * One operator: the checks every operator shares (tensor indices in range, output in working
 * memory), then its family's check; and the dispatch to its family's kernel.
 */
#include "internal.h"

typedef struct {
    ek_status (*check)(const ek_op *op, const ek_tensor *ts);
    void (*run)(const ek_op *op, const ek_tensor *ts, uint8_t *work);
} family;

static const family *family_of(int kind) {
    static const family conv = {ek_check_conv, ek_conv};
    static const family fc = {ek_check_fully_connected, ek_fully_connected};
    static const family pool = {ek_check_pool, ek_pool};
    static const family shape = {ek_check_shape, ek_shape};
    static const family elementwise = {ek_check_elementwise, ek_elementwise};
    static const family quantize = {ek_check_quantize, ek_quantize};
    switch (kind) {
    case EK_OP_CONV2D:
    case EK_OP_DWCONV2D:
        return &conv;
    case EK_OP_FC:
        return &fc;
    case EK_OP_MAXPOOL:
    case EK_OP_MEAN:
        return &pool;
    case EK_OP_CONCAT:
    case EK_OP_PAD:
    case EK_OP_TRANSPOSE:
    case EK_OP_RESHAPE:
    case EK_OP_SLICE:
        return &shape;
    case EK_OP_ADD:
    case EK_OP_SUB:
    case EK_OP_MUL:
    case EK_OP_LOGISTIC:
    case EK_OP_TANH:
        return &elementwise;
    case EK_OP_QUANTIZE:
    case EK_OP_DEQUANTIZE:
        return &quantize;
    default:
        return NULL;
    }
}

static int tensor_ok(const ek_tensor *t) {
    if (t->ndim > EK_MAX_DIMS || t->dtype > EK_I32) {
        return 0;
    }
    for (int d = 0; d < t->ndim; ++d) {
        if (t->dims[d] < 1) {
            return 0;
        }
    }
    return 1;
}

ek_status ek_check_op(const ek_op *op, const ek_tensor *ts) {
    if (op == NULL || ts == NULL) {
        return EK_ERR_NULL;
    }
    const family *fam = family_of(op->kind);
    if (fam == NULL) {
        return EK_ERR_UNSUPPORTED;
    }
    if (op->num_inputs < 1 || op->num_inputs > 3 || op->in[0] < 0 || op->out < 0 ||
        ts[op->out].data != NULL || op->naxes < 0 || op->naxes > EK_MAX_DIMS ||
        (op->num_mult > 0 && (op->mult == NULL || op->shift == NULL)) ||
        !tensor_ok(&ts[op->out])) {
        return EK_ERR_MODEL;
    }
    for (int i = 0; i < 3; ++i) {
        if ((i < op->num_inputs && op->in[i] < 0) || (op->in[i] >= 0 && !tensor_ok(&ts[op->in[i]]))) {
            return EK_ERR_MODEL;
        }
    }
    return fam->check(op, ts);
}

ek_status ek_run_op(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    if (work == NULL) {
        return EK_ERR_NULL;
    }
    const ek_status s = ek_check_op(op, ts);
    if (s == EK_OK) {
        family_of(op->kind)->run(op, ts, work);
    }
    return s;
}

void ek_run_checked_op(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    family_of(op->kind)->run(op, ts, work);
}
