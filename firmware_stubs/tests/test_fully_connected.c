/* kernels/fully_connected.c: a hand-computed case (float and int8 with a weight zero point) and
 * the fast int8 kernel equal to the reference over random shapes. */
#include "check.h"
#include "internal.h"

static void test_by_hand(void) {
    /* 2 rows of 3 -> 2 units: y = W x + b */
    const int32_t dx[2] = {2, 3}, dw[2] = {2, 3}, db[1] = {2}, dy[2] = {2, 2};
    const float w[6] = {1, 0, -1, 2, 1, 0}, b[2] = {0.5f, -1.0f};
    ek_tensor ts[4];
    ts[0] = make_tensor(EK_F32, 2, dx, 0, NULL);
    ts[1] = make_tensor(EK_F32, 2, dw, -1, w);
    ts[2] = make_tensor(EK_F32, 1, db, -1, b);
    ts[3] = make_tensor(EK_F32, 2, dy, 32, NULL);
    float work[16] = {1, 2, 3, 4, 5, 6};
    ek_op op = make_op(EK_OP_FC, 0, 1, 2, 3);
    CHECK(ek_run_op(&op, ts, (uint8_t *)work) == EK_OK);
    CHECK(NEAR(work[8], -1.5f) && NEAR(work[9], 3.0f) && NEAR(work[10], -1.5f) && NEAR(work[11], 12.0f));
    /* int8 with weight zero point 1: (w - 1) . (x - (-2)), times 0.5 */
    const int32_t d1[2] = {1, 2}, dw8[2] = {1, 2}, dy8[2] = {1, 1};
    const int8_t w8[2] = {3, 0};
    const int32_t mult[1] = {1 << 30}, shift[1] = {0};
    ts[0] = make_tensor(EK_I8, 2, d1, 0, NULL);
    ts[0].zero_point = -2;
    ts[1] = make_tensor(EK_I8, 2, dw8, -1, w8);
    ts[1].zero_point = 1;
    ts[3] = make_tensor(EK_I8, 2, dy8, 8, NULL);
    op = make_op(EK_OP_FC, 0, 1, -1, 3);
    op.mult = mult;
    op.shift = shift;
    op.num_mult = 1;
    int8_t *x = (int8_t *)work;
    x[0] = 2; /* (3-1)(2+2) + (0-1)(1+2) = 5 -> 2.5 -> 3 */
    x[1] = 1;
    CHECK(ek_run_op(&op, ts, (uint8_t *)work) == EK_OK && ((int8_t *)work)[8] == 3);
    ts[1] = make_tensor(EK_I8, 2, dy, -1, w8); /* 2 x 2 weights for depth 2 -> 2 units */
    CHECK(ek_check_op(&op, ts) == EK_ERR_MODEL); /* output holds one unit */
}

static int8_t w8[64 * 70], x8[3 * 70];
static int32_t bias[64], mults[64], shifts[64];

static void test_fast_equals_reference(void) {
    for (int trial = 0; trial < 30; ++trial) {
        const int rows = 1 + (int)(rng() % 3u), depth = 1 + (int)(rng() % 70u);
        const int units = 1 + (int)(rng() % 64u), per_channel = trial % 2;
        const int32_t dx[2] = {rows, depth}, dw[2] = {units, depth}, db[1] = {units};
        const int32_t dy[2] = {rows, units};
        fill_i8(w8, (size_t)units * depth);
        fill_i8(x8, (size_t)rows * depth);
        for (int u = 0; u < units; ++u) {
            bias[u] = (int32_t)(rng() % 4001u) - 2000;
            mults[u] = (int32_t)(1u << 30) + (int32_t)(rng() % (1u << 29));
            shifts[u] = -(int32_t)(rng() % 10u);
        }
        ek_tensor ts[4];
        ts[0] = make_tensor(EK_I8, 2, dx, 0, NULL);
        ts[0].zero_point = (int32_t)(rng() % 256u) - 128;
        ts[1] = make_tensor(EK_I8, 2, dw, -1, w8);
        ts[2] = make_tensor(EK_I32, 1, db, -1, bias);
        ts[3] = make_tensor(EK_I8, 2, dy, 256, NULL);
        ek_op op = make_op(EK_OP_FC, 0, 1, trial % 3 ? 2 : -1, 3);
        op.mult = mults;
        op.shift = shifts;
        op.num_mult = per_channel ? units : 1;
        CHECK(ek_check_op(&op, ts) == EK_OK);
        uint8_t ref[512], fast[512];
        memset(ref, 0, sizeof ref);
        memcpy(ref, x8, (size_t)rows * depth);
        memcpy(fast, ref, sizeof ref);
        memset(fast + 256, 0x55, 256); /* outputs start different: both must write all */
        ek_fully_connected_ref(&op, ts, ref);
        ek_fully_connected_fast(&op, ts, fast);
        CHECK(memcmp(ref + 256, fast + 256, (size_t)rows * units) == 0);
    }
}

int main(void) {
    test_by_hand();
    test_fast_equals_reference();
    return finish("test_fully_connected");
}
