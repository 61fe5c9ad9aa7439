/* Helpers of the C unit tests: CHECK, hand-built tensors and operators, a seeded generator. */
#ifndef EDGEKIT_TEST_CHECK_H
#define EDGEKIT_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "edgekit.h"

static int failures = 0;
#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                             \
        }                                                                           \
    } while (0)
#define NEAR(a, b) (fabsf((a) - (b)) < 1e-5f)
#define INF 3.402823466e38f

static inline int finish(const char *name) {
    if (failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, failures);
        return 1;
    }
    printf("%s: passed\n", name);
    return 0;
}

static inline ek_op make_op(int kind, int in0, int in1, int in2, int out) {
    ek_op op;
    memset(&op, 0, sizeof op);
    op.kind = (uint8_t)kind;
    op.in[0] = (int16_t)in0;
    op.in[1] = (int16_t)in1;
    op.in[2] = (int16_t)in2;
    op.num_inputs = (int16_t)((in0 >= 0) + (in1 >= 0) + (in2 >= 0));
    op.out = (int16_t)out;
    op.stride_h = op.stride_w = op.dil_h = op.dil_w = op.filter_h = op.filter_w = 1;
    op.depth_mult = 1;
    op.act_min = -128;
    op.act_max = 127;
    op.fact_min = -INF;
    op.fact_max = INF;
    return op;
}

static inline ek_tensor make_tensor(int dtype, int ndim, const int32_t *dims, int offset, const void *data) {
    ek_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = (uint8_t)dtype;
    t.ndim = (uint8_t)ndim;
    for (int i = 0; i < ndim; ++i) {
        t.dims[i] = dims[i];
    }
    t.offset = offset;
    t.data = data;
    return t;
}

static uint32_t rng_state = 12345u;
static inline uint32_t rng(void) { /* xorshift32: the same numbers on every platform */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static inline void fill_i8(int8_t *p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        p[i] = (int8_t)(int32_t)(rng() % 256u - 128u);
    }
}

#endif /* EDGEKIT_TEST_CHECK_H */
