/* runtime.c: ek_prepare's checks (tables refused before any kernel runs), the scheduler's stop
 * rules (the Python runtime's: margin, max_members, budget_macs, deadline_us) on a hand-built
 * ensemble with a fake clock, error codes. The generated ensembles are checked against the
 * Python runtime by tests/firmware (pytest). */
#include "check.h"

/* A 3-member float ensemble on 4 x 1 inputs: member 1 gives [m, -m] (m = mean of the input)
 * and hands m on; member 2 (connected to 1) gives [2m, -2m] from the connection; member 3
 * gives [m, -m]. MACs 10, 20, 10. */
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
    const ek_member a = {"a", 4, t_mean, 2, o_mean, 0, -1, 3, 1, 0, 0.0f, 0.0f, 0, 0, 0, 32u, 0, 10};
    const ek_member b = {"b", 4, t_conn, 1, o_conn, 0, 1, 3, -1, 1, 0.0f, 0.0f, 0, 0, 0, 32u, -1, 20};
    const ek_member c = {"c", 4, t_mean, 2, o_mean, 0, -1, 3, 1, 0, 0.0f, 0.0f, 0, 0, 0, 32u, -1, 10};
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
    uint8_t bytes[512];
} arena;

static const float x[4] = {1, 2, 3, 4}; /* mean 2.5 */

static ek_policy policy(int max_members, int64_t budget_macs, uint32_t deadline_us, float margin,
                        uint32_t *clock_state) {
    ek_policy p;
    p.max_members = max_members;
    p.budget_macs = budget_macs;
    p.deadline_us = deadline_us;
    p.margin = margin;
    p.clock = clock_state != NULL ? fake_clock : NULL;
    p.clock_ctx = clock_state;
    return p;
}

static void test_policies(void) {
    float logits[2];
    ek_result r;
    ek_runtime rt;
    CHECK(ek_arena_bytes(&ens) == 8u + 32u + 16u); /* slot + working memory + 3 estimates */
    CHECK(ek_prepare(&rt, &ens, arena.bytes, sizeof arena.bytes) == EK_OK);
    ek_policy p = policy(0, 0, 0u, 0.0f, NULL);
    CHECK(ek_run(&rt, x, &p, logits, &r) == EK_OK);
    CHECK(r.members_run == 3 && r.stopped_by == EK_STOP_ALL && r.label == 0 && r.macs == 40);
    CHECK(NEAR(logits[0], 10.0f) && NEAR(logits[1], -10.0f) && r.elapsed_us == 0u);
    p = policy(2, 0, 0u, 0.0f, NULL);
    CHECK(ek_run(&rt, x, &p, logits, &r) == EK_OK);
    CHECK(r.members_run == 2 && r.stopped_by == EK_STOP_MAX_MEMBERS && NEAR(logits[0], 7.5f));
    p = policy(0, 0, 0u, 5.0f, NULL); /* member 1 alone has margin 5 */
    CHECK(ek_run(&rt, x, &p, logits, &r) == EK_OK);
    CHECK(r.members_run == 1 && r.stopped_by == EK_STOP_MARGIN);
    p = policy(0, 39, 0u, 0.0f, NULL); /* 10 + 20 fit, + 10 would pass 39 */
    CHECK(ek_run(&rt, x, &p, logits, &r) == EK_OK);
    CHECK(r.members_run == 2 && r.stopped_by == EK_STOP_BUDGET_MACS && r.macs == 30);
    p = policy(0, 9, 0u, 0.0f, NULL); /* below member 1's cost: nothing can run (Python raises) */
    CHECK(ek_run(&rt, x, &p, logits, &r) == EK_ERR_POLICY);
}

static void test_deadline(void) {
    float logits[2];
    ek_result r;
    ek_runtime rt;
    uint32_t now = 0u; /* 10 us per reading: every member takes 10 us */
    CHECK(ek_prepare(&rt, &ens, arena.bytes, sizeof arena.bytes) == EK_OK);
    /* first call: member 2 never ran; expected 10 us / 10 MACs x 20 MACs = 20: 10 + 20 > 25 */
    ek_policy p = policy(0, 0, 25u, 0.0f, &now);
    CHECK(ek_run(&rt, x, &p, logits, &r) == EK_OK);
    CHECK(r.members_run == 1 && r.stopped_by == EK_STOP_DEADLINE && r.elapsed_us == 10u);
    p.deadline_us = 35u; /* 10 + 20 <= 35 runs member 2; 20 + 7 <= 35 runs member 3 */
    CHECK(ek_run(&rt, x, &p, logits, &r) == EK_OK);
    CHECK(r.members_run == 3 && r.stopped_by == EK_STOP_ALL && r.elapsed_us == 30u);
    p.deadline_us = 25u; /* now measured: 10 + 10 <= 25 runs member 2, 20 + 10 > 25 stops */
    CHECK(ek_run(&rt, x, &p, logits, &r) == EK_OK);
    CHECK(r.members_run == 2 && r.stopped_by == EK_STOP_DEADLINE && r.elapsed_us == 20u);
    now = 0xFFFFFFF0u; /* the clock wraps around mid-run: elapsed still counts right */
    CHECK(ek_run(&rt, x, &p, logits, &r) == EK_OK);
    CHECK(r.members_run == 2 && r.elapsed_us == 20u);
}

static void test_errors(void) {
    float logits[2];
    ek_result r;
    ek_runtime rt;
    memset(&rt, 0, sizeof rt);
    ek_policy all = policy(0, 0, 0u, 0.0f, NULL);
    CHECK(ek_run(&rt, x, &all, logits, &r) == EK_ERR_NOT_PREPARED);
    CHECK(ek_prepare(&rt, &ens, arena.bytes, ek_arena_bytes(&ens) - 1) == EK_ERR_ARENA);
    CHECK(ek_prepare(&rt, &ens, arena.bytes + 4, sizeof arena.bytes - 4) == EK_ERR_ARENA);
    CHECK(ek_run(&rt, x, &all, logits, &r) == EK_ERR_NOT_PREPARED); /* a failed prepare */
    CHECK(ek_prepare(NULL, &ens, arena.bytes, sizeof arena.bytes) == EK_ERR_NULL);
    CHECK(ek_prepare(&rt, &ens, arena.bytes, sizeof arena.bytes) == EK_OK);
    CHECK(ek_run(&rt, NULL, &all, logits, &r) == EK_ERR_NULL);
    ek_policy bad = policy(0, 0, 100u, 0.0f, NULL); /* a deadline without a clock */
    CHECK(ek_run(&rt, x, &bad, logits, &r) == EK_ERR_POLICY);
    bad = policy(-1, 0, 0u, 0.0f, NULL);
    CHECK(ek_run(&rt, x, &bad, logits, &r) == EK_ERR_POLICY);
    bad = policy(0, -5, 0u, 0.0f, NULL);
    CHECK(ek_run(&rt, x, &bad, logits, &r) == EK_ERR_POLICY);
    bad = policy(0, 0, 0u, (float)NAN, NULL);
    CHECK(ek_run(&rt, x, &bad, logits, &r) == EK_ERR_POLICY);
    CHECK(strcmp(ek_stop_reason_name(EK_STOP_DEADLINE), "deadline_us") == 0);
    CHECK(strcmp(ek_stop_reason_name(EK_STOP_BUDGET_MACS), "budget_macs") == 0);
    CHECK(ek_stop_reason_name((ek_stop_reason)9) == NULL);
}

/* tables that would read or write outside a buffer are refused by ek_prepare */
static ek_status prepare_one(const ek_member *m, uint32_t slots_bytes) {
    ek_runtime rt;
    const ek_ensemble e = {1, m, 2, 4, 1, NULL, NULL, slots_bytes, 0u};
    return ek_prepare(&rt, &e, arena.bytes, sizeof arena.bytes);
}

static void test_tables_refused(void) {
    ek_tensor bad_t[4];
    memcpy(bad_t, t_mean, sizeof bad_t);
    const int32_t wrong[2] = {2, 3}; /* the head expects 3 inputs, the mean gives 1 */
    bad_t[2] = make_tensor(EK_F32, 2, wrong, -1, w1);
    ek_member m = members[0];
    m.tensors = bad_t;
    CHECK(prepare_one(&m, 8u) == EK_ERR_MODEL);
    m = members[0];
    m.logits = 7; /* no such tensor */
    CHECK(prepare_one(&m, 8u) == EK_ERR_MODEL);
    m = members[0];
    m.work_bytes = 16u; /* the logits live at 24..32 */
    CHECK(prepare_one(&m, 8u) == EK_ERR_MODEL);
    m = members[0];
    m.slot_offset = 4; /* 4 + 4 bytes of activation > 4 bytes of slots */
    CHECK(prepare_one(&m, 4u) == EK_ERR_MODEL);
    ek_op bad_op[2];
    memcpy(bad_op, o_mean, sizeof bad_op);
    bad_op[1].in[1] = 12; /* an operator input out of range */
    m = members[0];
    m.ops = bad_op;
    CHECK(prepare_one(&m, 8u) == EK_ERR_MODEL);
    bad_op[1].in[1] = 2;
    bad_op[1].kind = 99; /* an operator this build does not know */
    CHECK(prepare_one(&m, 8u) == EK_ERR_UNSUPPORTED);
    ek_member two[2] = {members[0], members[1]};
    two[1].connected_from = 2; /* a connection from itself */
    ek_runtime rt;
    const ek_ensemble e = {2, two, 2, 4, 1, NULL, NULL, 8u, 0u};
    CHECK(ek_prepare(&rt, &e, arena.bytes, sizeof arena.bytes) == EK_ERR_MODEL);
}

/* int8 features are quantised as the Python runtime does: rint(x / scale) (ties to even) + zero
 * point, clamped; NaN to the lowest code. Read back through a DEQUANTIZE member. */
static void test_feature_quantisation(void) {
    const int32_t d8[1] = {8};
    ek_tensor ts[2];
    ts[0] = make_tensor(EK_I8, 1, d8, 0, NULL);
    ts[0].scale = 1.0f;
    ts[0].zero_point = 3;
    ts[1] = make_tensor(EK_F32, 1, d8, 8, NULL);
    ek_op dq = make_op(EK_OP_DEQUANTIZE, 0, -1, -1, 1);
    const ek_member m = {"q", 2, ts, 1, &dq, 0, -1, 1, -1, 0, 1.0f, 0.0f, 0, 0, 0, 40u, -1, 1};
    const ek_ensemble e = {1, &m, 8, 8, 1, NULL, NULL, 0u, 0u};
    ek_runtime rt;
    CHECK(ek_prepare(&rt, &e, arena.bytes, sizeof arena.bytes) == EK_OK);
    const float x[8] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 1e30f, (float)NAN, -3e9f};
    const float want[8] = {0, 2, 2, 0, -2, 124, -131, -131}; /* q - 3 after clamping to int8 */
    float logits[8];
    ek_result r;
    ek_policy all = policy(0, 0, 0u, 0.0f, NULL);
    CHECK(ek_run(&rt, x, &all, logits, &r) == EK_OK);
    for (int i = 0; i < 8; ++i) {
        CHECK(logits[i] == want[i]);
    }
}

/* An int8 connection converts through ek_prepare's 256-value table: member 1 hands on its int8
 * features (scale 1), member 2 reads them at scale 0.5 (values 2q, clamped) and, with a rescale
 * folded into the table (x 0.5 in TFLite's fixed point, to zero point 1), as if its QUANTIZE
 * ran after the conversion: halves rounded away from zero at the clamps. */
static float conn_logits[2][8];
static ek_status run_connection(int32_t mult, int source, float *out) {
    const int32_t d8[1] = {8};
    static ek_tensor t1[2], t2[3];
    t1[0] = make_tensor(source, 1, d8, 0, NULL);
    t1[0].scale = 1.0f;
    t1[1] = make_tensor(EK_F32, 1, d8, 32, NULL);
    t2[0] = make_tensor(EK_I8, 1, d8, 0, NULL);
    t2[0].scale = 1.0f;
    t2[1] = make_tensor(EK_I8, 1, d8, 8, NULL);
    t2[1].scale = mult != 0 ? 1.0f : 0.5f; /* the rescale's output, or the conversion's */
    t2[1].zero_point = mult != 0 ? 1 : 0;
    t2[2] = make_tensor(EK_F32, 1, d8, 32, NULL);
    static ek_op o1, o2;
    o1 = make_op(source == EK_I8 ? EK_OP_DEQUANTIZE : EK_OP_RESHAPE, 0, -1, -1, 1);
    o2 = make_op(EK_OP_DEQUANTIZE, 1, -1, -1, 2);
    static ek_member two[2];
    const ek_member a = {"a", 2, t1, 1, &o1, 0, -1, 1, 0, 0, 1.0f, 0.0f, 0, 0, 0, 64u, 0, 1};
    const ek_member b = {"b", 3, t2, 1, &o2, 0, 1, 2, -1, 1, 1.0f, 2.0f, mult, 0, 0, 64u, -1, 1};
    two[0] = a;
    two[1] = b;
    static ek_ensemble e;
    const ek_ensemble init = {2, two, 8, 8, 1, NULL, NULL, 32u, 0u};
    e = init;
    static ek_runtime rt;
    const ek_status s = ek_prepare(&rt, &e, arena.bytes, sizeof arena.bytes);
    if (s != EK_OK) {
        return s;
    }
    const float x[8] = {0.0f, 1.0f, -3.0f, 100.0f, -100.0f, 5.0f, 0.5f, -1.5f};
    float first[8];
    for (int i = 0; i < 8; ++i) {
        first[i] = out[i] = 0.0f;
    }
    CHECK(ek_run_member(&rt, 0, x, first) == EK_OK);
    return ek_run_member(&rt, 1, x, out);
}

static void test_int8_connection_table(void) {
    /* without a rescale: q (the source value), 63.5 and -64 where 2q leaves int8 */
    const float plain[8] = {0, 1, -3, 63.5f, -64, 5, 0, -2};
    CHECK(run_connection(0, EK_I8, conn_logits[0]) == EK_OK);
    /* folded x 0.5 (multiplier 2^30, shift 0) to zero point 1: 127 -> 64, -128 -> -64 */
    const float folded[8] = {0, 1, -3, 64, -64, 5, 0, -2};
    CHECK(run_connection(1 << 30, EK_I8, conn_logits[1]) == EK_OK);
    for (int i = 0; i < 8; ++i) {
        CHECK(conn_logits[0][i] == plain[i]);
        CHECK(conn_logits[1][i] == folded[i]);
    }
    /* a folded rescale with a float source (no table to fold it into) is refused */
    CHECK(run_connection(1 << 30, EK_F32, conn_logits[1]) == EK_ERR_MODEL);
}

int main(void) {
    build_ensemble();
    test_policies();
    test_deadline();
    test_errors();
    test_tables_refused();
    test_feature_quantisation();
    test_int8_connection_table();
    return finish("test_runtime");
}
