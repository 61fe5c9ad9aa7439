/* C unit tests: fixed-point arithmetic and kernels on hand-computed cases, the scheduler's
 * policies on a hand-built ensemble, error codes. The generated ensembles are checked against
 * the Python runtime by tests/firmware (pytest). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "edgekit.h"

static int failures = 0;
#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                    \
        }                                                                  \
    } while (0)
#define NEAR(a, b) (fabsf((a) - (b)) < 1e-5f)
#define INF 3.402823466e38f

static ek_op make_op(int kind, int in0, int in1, int in2, int out) {
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

static ek_tensor make_tensor(int dtype, int ndim, const int32_t *dims, int offset, const void *data) {
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

static void test_fixed_point(void) {
    const int32_t half = 1 << 30; /* 0.5 in Q31 */
    CHECK(ek_multiply_by_quantized_multiplier(1000, half, 0) == 500);
    CHECK(ek_multiply_by_quantized_multiplier(1000, half, -2) == 125);
    CHECK(ek_multiply_by_quantized_multiplier(1001, half, -1) == 251); /* 250.25 -> 250.5 -> 251 */
    CHECK(ek_multiply_by_quantized_multiplier(3, half, 1) == 3);
    CHECK(ek_multiply_by_quantized_multiplier(-1000, half, -2) == -125);
}

static void test_int8_conv(void) {
    /* 1x1 conv over 3 positions: acc = 2 * (x - zp_in) + bias, times 0.5, + zp_out, clamped */
    const int32_t in_dims[4] = {1, 1, 3, 1}, f_dims[4] = {1, 1, 1, 1}, b_dims[1] = {1};
    const int8_t w[1] = {2};
    const int32_t bias[1] = {1};
    const int32_t mult[1] = {1 << 30}, shift[1] = {0};
    ek_tensor ts[4];
    ts[0] = make_tensor(EK_I8, 4, in_dims, 0, NULL);
    ts[0].zero_point = -1;
    ts[1] = make_tensor(EK_I8, 4, f_dims, -1, w);
    ts[2] = make_tensor(EK_I32, 1, b_dims, -1, bias);
    ts[3] = make_tensor(EK_I8, 4, in_dims, 8, NULL);
    ts[3].zero_point = 5;
    ek_op op = make_op(EK_OP_CONV2D, 0, 1, 2, 3);
    op.mult = mult;
    op.shift = shift;
    op.num_mult = 1;
    uint8_t work[16] = {0};
    int8_t *x = (int8_t *)work, *y = (int8_t *)(work + 8);
    x[0] = 0; /* x - zp = 1, 2, 3: acc 3, 5, 7 -> 1.5, 2.5, 3.5 -> 2, 3, 4 (half away) -> +5 */
    x[1] = 1;
    x[2] = 2;
    CHECK(ek_run_op(&op, ts, work) == EK_OK);
    CHECK(y[0] == 7 && y[1] == 8 && y[2] == 9);
    op.act_max = 8; /* a fused ReLU6-style clamp */
    CHECK(ek_run_op(&op, ts, work) == EK_OK);
    CHECK(y[2] == 8);
}

static void test_float_shape_ops(void) {
    /* [1,2,3] -> transpose (0,2,1) -> [1,3,2]; pad 1 row on axis 1 -> [1,4,2]; mean over axis 1 */
    const int32_t d_in[3] = {1, 2, 3}, d_t[3] = {1, 3, 2}, d_p[3] = {1, 4, 2}, d_m[2] = {1, 2};
    const int32_t d_pads[2] = {3, 2};
    const int32_t pads[6] = {0, 0, 1, 0, 0, 0};
    ek_tensor ts[5];
    ts[0] = make_tensor(EK_F32, 3, d_in, 0, NULL);
    ts[1] = make_tensor(EK_F32, 3, d_t, 32, NULL);
    ts[2] = make_tensor(EK_I32, 2, d_pads, -1, pads);
    ts[3] = make_tensor(EK_F32, 3, d_p, 64, NULL);
    ts[4] = make_tensor(EK_F32, 2, d_m, 96, NULL);
    float work_f[32] = {0};
    uint8_t *work = (uint8_t *)work_f;
    const float x[6] = {1, 2, 3, 4, 5, 6};
    memcpy(work, x, sizeof x);
    ek_op tr = make_op(EK_OP_TRANSPOSE, 0, -1, -1, 1);
    tr.naxes = 3;
    tr.axes[0] = 0;
    tr.axes[1] = 2;
    tr.axes[2] = 1;
    CHECK(ek_run_op(&tr, ts, work) == EK_OK);
    const float *t = work_f + 8;
    CHECK(t[0] == 1 && t[1] == 4 && t[2] == 2 && t[3] == 5 && t[4] == 3 && t[5] == 6);
    ek_op pd = make_op(EK_OP_PAD, 1, 2, -1, 3);
    CHECK(ek_run_op(&pd, ts, work) == EK_OK);
    const float *p = work_f + 16;
    CHECK(p[0] == 0 && p[1] == 0 && p[2] == 1 && p[3] == 4 && p[7] == 6);
    ek_op mn = make_op(EK_OP_MEAN, 3, -1, -1, 4);
    mn.naxes = 1;
    mn.axes[0] = 1;
    CHECK(ek_run_op(&mn, ts, work) == EK_OK);
    CHECK(NEAR(work_f[24], 1.5f) && NEAR(work_f[25], 3.75f)); /* (0+1+2+3)/4, (0+4+5+6)/4 */
    ek_op unknown = make_op(99, 0, -1, -1, 1);
    CHECK(ek_run_op(&unknown, ts, work) == EK_ERR_UNSUPPORTED);
}

/* A 3-member float ensemble on 4 x 1 inputs: member 1 gives [m, -m] (m = mean of the input)
 * and hands m on; member 2 (connected to 1) gives [2m, -2m] from the connection; member 3
 * gives [m, -m]. */
static const int32_t d_feat[2] = {4, 1}, d_one[1] = {1}, d_w[2] = {2, 1}, d_logits[2] = {1, 2};
static const float w1[2] = {1.0f, -1.0f}, w2[2] = {2.0f, -2.0f};
static ek_tensor t_mean[4], t_conn[4];
static ek_op o_mean[2], o_conn[1];
static ek_member members[3];
static ek_ensemble ens;

static void build_ensemble(void) {
    t_mean[0] = make_tensor(EK_F32, 2, d_feat, 0, NULL);
    t_mean[1] = make_tensor(EK_F32, 1, d_one, 16, NULL);
    t_mean[2] = make_tensor(EK_F32, 2, d_w, -1, w1);
    t_mean[3] = make_tensor(EK_F32, 2, d_logits, 24, NULL);
    o_mean[0] = make_op(EK_OP_MEAN, 0, -1, -1, 1);
    o_mean[0].naxes = 1;
    o_mean[1] = make_op(EK_OP_FC, 1, 2, -1, 3);
    t_conn[0] = make_tensor(EK_F32, 2, d_feat, 0, NULL);
    t_conn[1] = make_tensor(EK_F32, 1, d_one, 16, NULL);
    t_conn[2] = make_tensor(EK_F32, 2, d_w, -1, w2);
    t_conn[3] = make_tensor(EK_F32, 2, d_logits, 24, NULL);
    o_conn[0] = make_op(EK_OP_FC, 1, 2, -1, 3);
    const ek_member a = {"a", 4, t_mean, 2, o_mean, 0, -1, 3, 1, 0, 0.0f, 0.0f, 32u, 0, 10L};
    const ek_member b = {"b", 4, t_conn, 1, o_conn, 0, 1, 3, -1, 1, 0.0f, 0.0f, 32u, -1, 20L};
    const ek_member c = {"c", 4, t_mean, 2, o_mean, 0, -1, 3, 1, 0, 0.0f, 0.0f, 32u, -1, 10L};
    members[0] = a; /* its activation waits in slot 0 for member 2 */
    members[1] = b;
    members[2] = c; /* nobody reads its activation: no slot */
    const ek_ensemble e = {3, members, 2, 4, 1, NULL, NULL, 8u, 0u};
    ens = e;
}

static uint32_t fake_clock(void *ctx) {
    uint32_t *now = (uint32_t *)ctx;
    *now += 10u;
    return *now;
}

static union {
    double align;
    uint8_t bytes[256];
} arena;

static void test_scheduler_policies(void) {
    const float x[4] = {1, 2, 3, 4}; /* mean 2.5 */
    float logits[2];
    ek_result r;
    CHECK(ek_arena_bytes(&ens) == 8u + 32u); /* one activation slot + working memory */
    ek_policy all = {0, 0u, 0.0f, NULL, NULL};
    CHECK(ek_run(&ens, x, &all, arena.bytes, sizeof arena.bytes, logits, &r) == EK_OK);
    CHECK(r.members_run == 3 && r.stopped_by == EK_STOP_ALL && r.label == 0);
    CHECK(NEAR(logits[0], 10.0f) && NEAR(logits[1], -10.0f));
    ek_policy two_members = {2, 0u, 0.0f, NULL, NULL};
    CHECK(ek_run(&ens, x, &two_members, arena.bytes, sizeof arena.bytes, logits, &r) == EK_OK);
    CHECK(r.members_run == 2 && r.stopped_by == EK_STOP_MAX_MEMBERS && NEAR(logits[0], 7.5f));
    ek_policy margin = {0, 0u, 5.0f, NULL, NULL}; /* member 1 alone has margin 5 */
    CHECK(ek_run(&ens, x, &margin, arena.bytes, sizeof arena.bytes, logits, &r) == EK_OK);
    CHECK(r.members_run == 1 && r.stopped_by == EK_STOP_MARGIN);
    uint32_t now = 0u; /* 10 us per reading: start 10, before member 2: 20, before 3: 30 */
    ek_policy budget = {0, 15u, 0.0f, fake_clock, &now};
    CHECK(ek_run(&ens, x, &budget, arena.bytes, sizeof arena.bytes, logits, &r) == EK_OK);
    CHECK(r.members_run == 2 && r.stopped_by == EK_STOP_BUDGET && r.elapsed_us == 30u);
    now = 0xFFFFFFF0u; /* the clock wraps around mid-run: elapsed still counts right */
    CHECK(ek_run(&ens, x, &budget, arena.bytes, sizeof arena.bytes, logits, &r) == EK_OK);
    CHECK(r.members_run == 2 && r.elapsed_us == 30u);
}

static void test_errors(void) {
    const float x[4] = {1, 2, 3, 4};
    float logits[2];
    ek_result r;
    ek_policy all = {0, 0u, 0.0f, NULL, NULL};
    CHECK(ek_run(&ens, x, &all, arena.bytes, ek_arena_bytes(&ens) - 1, logits, &r) == EK_ERR_ARENA);
    CHECK(ek_run(NULL, x, &all, arena.bytes, sizeof arena.bytes, logits, &r) == EK_ERR_NULL);
    ek_policy no_clock = {0, 100u, 0.0f, NULL, NULL};
    CHECK(ek_run(&ens, x, &no_clock, arena.bytes, sizeof arena.bytes, logits, &r) == EK_ERR_POLICY);
    ek_tensor bad_t[4];
    memcpy(bad_t, t_mean, sizeof bad_t);
    const int32_t wrong[2] = {2, 3}; /* the head expects 3 inputs, the mean gives 1 */
    bad_t[2] = make_tensor(EK_F32, 2, wrong, -1, w1);
    ek_member bad = members[0];
    bad.tensors = bad_t;
    const ek_ensemble broken = {1, &bad, 2, 4, 1, NULL, NULL, 8u, 0u};
    CHECK(ek_run(&broken, x, &all, arena.bytes, sizeof arena.bytes, logits, &r) == EK_ERR_MODEL);
    /* tables that would read or write outside a buffer are refused before any kernel runs */
    ek_member out_of_range = members[0];
    out_of_range.logits = 7; /* no such tensor */
    const ek_ensemble bad_index = {1, &out_of_range, 2, 4, 1, NULL, NULL, 8u, 0u};
    CHECK(ek_run(&bad_index, x, &all, arena.bytes, sizeof arena.bytes, logits, &r) == EK_ERR_MODEL);
    ek_member small_work = members[0];
    small_work.work_bytes = 16u; /* the logits live at 24..32 */
    const ek_ensemble bad_work = {1, &small_work, 2, 4, 1, NULL, NULL, 8u, 0u};
    CHECK(ek_run(&bad_work, x, &all, arena.bytes, sizeof arena.bytes, logits, &r) == EK_ERR_MODEL);
    ek_member big_slot = members[0];
    big_slot.slot_offset = 4; /* 4 + 4 bytes of activation > 4 bytes of slots */
    const ek_ensemble bad_slot = {1, &big_slot, 2, 4, 1, NULL, NULL, 4u, 0u};
    CHECK(ek_run(&bad_slot, x, &all, arena.bytes, sizeof arena.bytes, logits, &r) == EK_ERR_MODEL);
    /* the arena must be 8-byte aligned */
    CHECK(ek_run(&ens, x, &all, arena.bytes + 4, sizeof arena.bytes - 4, logits, &r) == EK_ERR_ARENA);
    /* a transpose whose permutation repeats an axis */
    const int32_t d2[2] = {2, 2};
    ek_tensor tt[2];
    tt[0] = make_tensor(EK_F32, 2, d2, 0, NULL);
    tt[1] = make_tensor(EK_F32, 2, d2, 16, NULL);
    ek_op tr = make_op(EK_OP_TRANSPOSE, 0, -1, -1, 1);
    tr.naxes = 2;
    tr.axes[0] = 1;
    tr.axes[1] = 1;
    CHECK(ek_run_op(&tr, tt, arena.bytes) == EK_ERR_MODEL);
}

static void test_nan_features_are_defined(void) {
    /* an int8 member quantises NaN to the lowest code instead of an undefined cast */
    const int32_t d_in[2] = {1, 1};
    ek_tensor ts[2];
    ts[0] = make_tensor(EK_F32, 2, d_in, 0, NULL);
    ts[1] = make_tensor(EK_I8, 2, d_in, 8, NULL);
    ts[1].scale = 0.5f;
    ek_op q = make_op(EK_OP_QUANTIZE, 0, -1, -1, 1);
    union {
        double align;
        uint8_t bytes[16];
    } work;
    const float nan = (float)NAN, big = 1e30f;
    memcpy(work.bytes, &nan, sizeof nan);
    CHECK(ek_run_op(&q, ts, work.bytes) == EK_OK && (int8_t)work.bytes[8] == -128);
    memcpy(work.bytes, &big, sizeof big);
    CHECK(ek_run_op(&q, ts, work.bytes) == EK_OK && (int8_t)work.bytes[8] == 127);
}

int main(void) {
    build_ensemble();
    test_fixed_point();
    test_int8_conv();
    test_float_shape_ops();
    test_scheduler_policies();
    test_errors();
    test_nan_features_are_defined();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("firmware runtime tests passed\n");
    return 0;
}
