/* kernels/elementwise.c: broadcasting float ADD / MUL, int8 ADD (TFLM's 20-bit headroom) and
 * MUL, LOGISTIC's cut-offs and TANH, on hand-computed cases. */
#include "check.h"

static void test_float(void) {
    const int32_t da[2] = {2, 2}, db[2] = {1, 2};
    ek_tensor ts[3];
    ts[0] = make_tensor(EK_F32, 2, da, 0, NULL);
    ts[1] = make_tensor(EK_F32, 2, db, 16, NULL);
    ts[2] = make_tensor(EK_F32, 2, da, 32, NULL);
    float w[16] = {1, 2, 3, 4, 10, 20};
    ek_op add = make_op(EK_OP_ADD, 0, 1, -1, 2);
    CHECK(ek_run_op(&add, ts, (uint8_t *)w) == EK_OK);
    CHECK(w[8] == 11 && w[9] == 22 && w[10] == 13 && w[11] == 24);
    add.kind = EK_OP_MUL;
    CHECK(ek_run_op(&add, ts, (uint8_t *)w) == EK_OK && w[11] == 80);
    add.kind = EK_OP_SUB;
    CHECK(ek_run_op(&add, ts, (uint8_t *)w) == EK_OK && w[10] == -7);
    ek_op lg = make_op(EK_OP_LOGISTIC, 0, -1, -1, 2);
    w[0] = 0.0f;
    w[1] = 20.0f; /* past the cut-off: exactly 1 */
    w[2] = -10.0f; /* below -9: exp(x) */
    CHECK(ek_run_op(&lg, ts, (uint8_t *)w) == EK_OK);
    CHECK(w[8] == 0.5f && w[9] == 1.0f && NEAR(w[10], expf(-10.0f)));
    lg.kind = EK_OP_TANH;
    CHECK(ek_run_op(&lg, ts, (uint8_t *)w) == EK_OK && w[8] == 0.0f && NEAR(w[10], -1.0f));
    ts[1].dims[1] = 3; /* 3 does not broadcast to 2 */
    CHECK(ek_check_op(&add, ts) == EK_ERR_MODEL);
}

static void test_int8(void) {
    /* same scales: ADD's multipliers 0.5, 0.5 on x * 2^20, then 2 / 2^20 back: a + b */
    const int32_t d[1] = {2};
    const int32_t mult[3] = {1 << 30, 1 << 30, 1 << 30}, shift[3] = {0, 0, -18};
    ek_tensor ts[3];
    ts[0] = make_tensor(EK_I8, 1, d, 0, NULL);
    ts[1] = make_tensor(EK_I8, 1, d, 8, NULL);
    ts[2] = make_tensor(EK_I8, 1, d, 16, NULL);
    ts[1].zero_point = 1;
    int8_t w[24] = {3, -4, 0, 0, 0, 0, 0, 0, 6, 2};
    ek_op add = make_op(EK_OP_ADD, 0, 1, -1, 2);
    add.mult = mult;
    add.shift = shift;
    add.num_mult = 3;
    CHECK(ek_run_op(&add, ts, (uint8_t *)w) == EK_OK && w[16] == 8 && w[17] == -3);
    ek_op mul = add; /* (3)(5) * 0.5 = 7.5 -> 8; (-4)(1) * 0.5 = -2 */
    mul.kind = EK_OP_MUL;
    mul.num_mult = 1;
    CHECK(ek_run_op(&mul, ts, (uint8_t *)w) == EK_OK && w[16] == 8 && w[17] == -2);
    mul.num_mult = 3;
    CHECK(ek_check_op(&mul, ts) == EK_ERR_MODEL);
}

int main(void) {
    test_float();
    test_int8();
    return finish("test_elementwise");
}
