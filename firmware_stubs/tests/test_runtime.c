/* C unit tests: kernels on hand-computed cases, the scheduler's policies, error codes. */
#include <math.h>
#include <stdio.h>

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

static void test_conv1d_stride_pad(void) {
    /* one channel in, one out, kernel 3, stride 2, pad 1: out[t] = relu(b + sum_k w[k] x[2t+k-1]) */
    const float w[3] = {1.0f, 2.0f, -1.0f};
    const float b[1] = {0.5f};
    const ek_conv1d_block blk = {1, 1, 3, 2, 1, 1, w, b};
    const float x[5] = {1, 2, 3, 4, 5};
    float out[3];
    CHECK(ek_conv1d_out_steps(5, 3, 2, 1) == 3);
    ek_conv1d_relu(&blk, x, 5, out);
    CHECK(NEAR(out[0], 0.5f + 0 * 1 + 1 * 2 - 2 * 1)); /* x[-1]=0, x0, x1 */
    CHECK(NEAR(out[1], 0.5f + 2 * 1 + 3 * 2 - 4));      /* x1, x2, x3 */
    CHECK(NEAR(out[2], 0.5f + 4 * 1 + 5 * 2 - 0));      /* x3, x4, x5=0 */
    const float wn[3] = {-1.0f, -1.0f, -1.0f};
    const ek_conv1d_block neg = {1, 1, 3, 2, 1, 1, wn, b};
    ek_conv1d_relu(&neg, x, 5, out);
    CHECK(out[0] == 0.0f && out[1] == 0.0f && out[2] == 0.0f); /* ReLU */
}

static void test_maxpool_and_dense(void) {
    float x[2 * 5] = {1, 5, 2, 2, 9, /* channel 1 */ -1, -3, 4, 0, 7};
    CHECK(ek_maxpool1d(x, 2, 5, 2) == 2); /* floor: the last step is dropped */
    CHECK(x[0] == 5 && x[1] == 2 && x[2] == -1 && x[3] == 4);
    const float w[2 * 3] = {1, 2, 3, -1, 0, 1};
    const float bias[2] = {0.5f, -0.5f};
    const float in[3] = {1, 1, 2};
    float out[2] = {10, 20};
    ek_dense(w, bias, in, 3, 2, out);
    CHECK(NEAR(out[0], 10 + 0.5f + 1 + 2 + 6));
    CHECK(NEAR(out[1], 20 - 0.5f - 1 + 0 + 2));
}

/* A 3-member ensemble on 4 x 1 inputs: member 1 gives [m, -m] (m = mean of the input),
 * member 2 (connected) gives [2m, -2m], member 3 gives [m, -m]. */
static const float one[1] = {1.0f}, zero[2] = {0.0f, 0.0f}, two[2] = {1.0f, 1.0f};
static const float head_w[2] = {1.0f, -1.0f};
static const ek_conv1d_block ident[1] = {{1, 1, 1, 1, 0, 1, one, zero}};
static const ek_conv1d_block conn_blocks[2] = {{1, 1, 1, 1, 0, 1, one, zero},
                                               {2, 1, 1, 1, 0, 1, two, zero}};
static const ek_member members[3] = {
    {"a", 1, ident, 0, 0, 1, 4, 1, head_w, zero, 10},
    {"b", 2, conn_blocks, 1, 1, 1, 4, 1, head_w, zero, 20},
    {"c", 1, ident, 0, 0, 1, 4, 1, head_w, zero, 10},
};
static const ek_ensemble ens = {3, members, 2, 4, 1, NULL, NULL, 0};

static uint32_t fake_clock(void *ctx) {
    uint32_t *now = (uint32_t *)ctx;
    *now += 10u;
    return *now;
}

static void test_scheduler_policies(void) {
    float arena[64];
    const float x[4] = {1, 2, 3, 4}; /* mean 2.5 */
    float logits[2];
    ek_result r;
    CHECK(ek_arena_floats(&ens) <= 64);
    ek_policy all = {0, 0u, 0.0f, NULL, NULL};
    CHECK(ek_run(&ens, x, &all, arena, 64, logits, &r) == EK_OK);
    CHECK(r.members_run == 3 && r.stopped_by == EK_STOP_ALL && r.label == 0);
    CHECK(NEAR(logits[0], 10.0f) && NEAR(logits[1], -10.0f));
    ek_policy two_members = {2, 0u, 0.0f, NULL, NULL};
    CHECK(ek_run(&ens, x, &two_members, arena, 64, logits, &r) == EK_OK);
    CHECK(r.members_run == 2 && r.stopped_by == EK_STOP_MAX_MEMBERS && NEAR(logits[0], 7.5f));
    ek_policy margin = {0, 0u, 5.0f, NULL, NULL}; /* member 1 alone has margin 5 */
    CHECK(ek_run(&ens, x, &margin, arena, 64, logits, &r) == EK_OK);
    CHECK(r.members_run == 1 && r.stopped_by == EK_STOP_MARGIN);
    uint32_t now = 0u; /* 10 us per reading: start 10, before member 2: 20, before 3: 30 */
    ek_policy budget = {0, 15u, 0.0f, fake_clock, &now};
    CHECK(ek_run(&ens, x, &budget, arena, 64, logits, &r) == EK_OK);
    CHECK(r.members_run == 2 && r.stopped_by == EK_STOP_BUDGET && r.elapsed_us == 30u);
    now = 0xFFFFFFF0u; /* the clock wraps around mid-run: elapsed still counts right */
    CHECK(ek_run(&ens, x, &budget, arena, 64, logits, &r) == EK_OK);
    CHECK(r.members_run == 2 && r.elapsed_us == 30u);
}

static void test_errors(void) {
    float arena[64];
    const float x[4] = {1, 2, 3, 4};
    float logits[2];
    ek_result r;
    ek_policy all = {0, 0u, 0.0f, NULL, NULL};
    CHECK(ek_run(&ens, x, &all, arena, ek_arena_floats(&ens) - 1, logits, &r) == EK_ERR_ARENA);
    CHECK(ek_run(NULL, x, &all, arena, 64, logits, &r) == EK_ERR_NULL);
    ek_policy no_clock = {0, 100u, 0.0f, NULL, NULL};
    CHECK(ek_run(&ens, x, &no_clock, arena, 64, logits, &r) == EK_ERR_POLICY);
    ek_member bad[1] = {{"bad", 1, conn_blocks + 1, 0, 0, 1, 4, 1, head_w, zero, 10}};
    const ek_ensemble broken = {1, bad, 2, 4, 1, NULL, NULL, 0}; /* block expects 2 channels */
    CHECK(ek_run(&broken, x, &all, arena, 64, logits, &r) == EK_ERR_MODEL);
}

int main(void) {
    test_conv1d_stride_pad();
    test_maxpool_and_dense();
    test_scheduler_policies();
    test_errors();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("firmware runtime tests passed\n");
    return 0;
}
