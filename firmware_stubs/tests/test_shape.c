/* kernels/shape.c: transpose, pad, concatenation, slice, reshape on hand-computed cases, and
 * the checks that refuse inconsistent tables. */
#include "check.h"

static void test_transpose_pad(void) {
    /* [1,2,3] -> transpose (0,2,1) -> [1,3,2]; pad 1 row on axis 1 -> [1,4,2] */
    const int32_t d_in[3] = {1, 2, 3}, d_t[3] = {1, 3, 2}, d_p[3] = {1, 4, 2}, d_pads[2] = {3, 2};
    const int32_t pads[6] = {0, 0, 1, 0, 0, 0};
    ek_tensor ts[4];
    ts[0] = make_tensor(EK_F32, 3, d_in, 0, NULL);
    ts[1] = make_tensor(EK_F32, 3, d_t, 32, NULL);
    ts[2] = make_tensor(EK_I32, 2, d_pads, -1, pads);
    ts[3] = make_tensor(EK_F32, 3, d_p, 64, NULL);
    float work_f[32] = {1, 2, 3, 4, 5, 6};
    uint8_t *work = (uint8_t *)work_f;
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
    tr.axes[2] = 2; /* a permutation that repeats an axis */
    CHECK(ek_check_op(&tr, ts) == EK_ERR_MODEL);
    ts[3].dims[1] = 5; /* padded size that does not add up */
    CHECK(ek_check_op(&pd, ts) == EK_ERR_MODEL);
}

/* int8 [2,2(,1)] padded (1, 1) rows and (1, 2) columns -> [4,5(,1)], pad value the zero point 7 */
static void check_pad_2x2(int rank, const int32_t *d_in, const int32_t *d_out, const int32_t *pads) {
    const int32_t d_pads[2] = {rank, 2};
    ek_tensor ts[3];
    ts[0] = make_tensor(EK_I8, rank, d_in, 0, NULL);
    ts[1] = make_tensor(EK_I32, 2, d_pads, -1, pads);
    ts[2] = make_tensor(EK_I8, rank, d_out, 8, NULL);
    ts[2].zero_point = 7;
    int8_t work[32] = {1, 2, 3, 4};
    ek_op pd = make_op(EK_OP_PAD, 0, 1, -1, 2);
    CHECK(ek_run_op(&pd, ts, (uint8_t *)work) == EK_OK);
    const int8_t want[20] = {7, 7, 7, 7, 7, 7, 1, 2, 7, 7, 7, 3, 4, 7, 7, 7, 7, 7, 7, 7};
    CHECK(memcmp(work + 8, want, sizeof want) == 0);
}

static void test_pad_both_dims(void) {
    const int32_t d_in[2] = {2, 2}, d_out[2] = {4, 5}, pads[4] = {1, 1, 1, 2};
    check_pad_2x2(2, d_in, d_out, pads);
}

/* the same padding with a trailing unit dim ([2,2,1] -> [4,5,1]: rows are the dim before) */
static void test_pad_trailing_unit_dim(void) {
    const int32_t d_in[3] = {2, 2, 1}, d_out[3] = {4, 5, 1}, pads[6] = {1, 1, 1, 2, 0, 0};
    check_pad_2x2(3, d_in, d_out, pads);
}

static void test_concat_slice_reshape(void) {
    /* int8 [2,1] ++ [2,2] along axis 1 -> [2,3]; slice [1:2, 1:3] -> [1,2]; reshape -> [2] */
    const int32_t da[2] = {2, 1}, db[2] = {2, 2}, dc[2] = {2, 3}, ds[2] = {1, 2}, dr[1] = {2};
    ek_tensor ts[5];
    ts[0] = make_tensor(EK_I8, 2, da, 0, NULL);
    ts[1] = make_tensor(EK_I8, 2, db, 8, NULL);
    ts[2] = make_tensor(EK_I8, 2, dc, 16, NULL);
    ts[3] = make_tensor(EK_I8, 2, ds, 24, NULL);
    ts[4] = make_tensor(EK_I8, 1, dr, 32, NULL);
    int8_t work[40] = {1, 2, 0, 0, 0, 0, 0, 0, 10, 11, 12, 13};
    ek_op cat = make_op(EK_OP_CONCAT, 0, 1, -1, 2);
    cat.naxes = 1;
    cat.axes[0] = 1;
    CHECK(ek_run_op(&cat, ts, (uint8_t *)work) == EK_OK);
    CHECK(work[16] == 1 && work[17] == 10 && work[18] == 11 && work[19] == 2 && work[21] == 13);
    ek_op sl = make_op(EK_OP_SLICE, 2, -1, -1, 3);
    sl.naxes = 2;
    sl.axes[0] = 1;
    sl.axes[1] = 1;
    CHECK(ek_run_op(&sl, ts, (uint8_t *)work) == EK_OK && work[24] == 12 && work[25] == 13);
    ek_op rs = make_op(EK_OP_RESHAPE, 3, -1, -1, 4);
    CHECK(ek_run_op(&rs, ts, (uint8_t *)work) == EK_OK && work[32] == 12 && work[33] == 13);
    sl.axes[1] = 2; /* 2 + 2 > 3 columns */
    CHECK(ek_check_op(&sl, ts) == EK_ERR_MODEL);
    ts[1].scale = 0.5f; /* int8 inputs of a concatenation must share the output's scale */
    CHECK(ek_check_op(&cat, ts) == EK_ERR_MODEL);
}

/* int8 concatenation of rows of 8 and 4 bytes (the word copies) and of 3 (memmove) */
static void test_concat_words(void) {
    for (int32_t wb = 3; wb <= 4; ++wb) {
        const int32_t da[2] = {3, 8}, db[2] = {3, wb}, dc[2] = {3, 8 + wb};
        ek_tensor ts[3];
        ts[0] = make_tensor(EK_I8, 2, da, 0, NULL);
        ts[1] = make_tensor(EK_I8, 2, db, 24, NULL);
        ts[2] = make_tensor(EK_I8, 2, dc, 40, NULL);
        union {
            double align;
            int8_t v[80];
        } work;
        for (int i = 0; i < 80; ++i) {
            work.v[i] = (int8_t)(i < 40 ? i + 1 : 0);
        }
        ek_op cat = make_op(EK_OP_CONCAT, 0, 1, -1, 2);
        cat.naxes = 1;
        cat.axes[0] = 1;
        CHECK(ek_run_op(&cat, ts, (uint8_t *)work.v) == EK_OK);
        int bad = 0;
        for (int32_t r = 0; r < 3; ++r) {
            for (int32_t k = 0; k < 8 + wb; ++k) {
                const int8_t want = k < 8 ? work.v[r * 8 + k] : work.v[24 + r * wb + k - 8];
                bad += work.v[40 + r * (8 + wb) + k] != want;
            }
        }
        CHECK(bad == 0);
    }
}

/* int8 4-D transposes (DS-CNN's NHWC <-> NCHW among them) with rows long and short enough
 * for both of the kernel's loops (four bytes per pass, then one): every output element is its
 * input element */
static void test_transpose_perms(const int perms[4][4], int32_t n);

static void test_transpose_i8(void) {
    static const int perms[4][4] = {{0, 3, 1, 2}, {0, 2, 3, 1}, {3, 2, 1, 0}, {1, 0, 3, 2}};
    for (int32_t n = 1; n <= 2; ++n) { /* n = 1: NHWC <-> NCHW are [R][C] -> [C][R] (4 x 4 */
        test_transpose_perms(perms, n);  /* blocks, 1-3 left over each way) */
    }
}

static void test_transpose_perms(const int perms[4][4], int32_t n) {
    const int32_t d_in[4] = {n, 7, 5, 9};
    static union {
        double align;
        int8_t v[632 + 630];
    } work;
    for (int i = 0; i < 632 + 630; ++i) {
        work.v[i] = (int8_t)(i * 37 % 251 - 125);
    }
    for (int k = 0; k < 4; ++k) {
        int32_t d_out[4];
        for (int a = 0; a < 4; ++a) {
            d_out[a] = d_in[perms[k][a]];
        }
        ek_tensor ts[2];
        ts[0] = make_tensor(EK_I8, 4, d_in, 0, NULL);
        ts[1] = make_tensor(EK_I8, 4, d_out, 632, NULL);
        ek_op tr = make_op(EK_OP_TRANSPOSE, 0, -1, -1, 1);
        tr.naxes = 4;
        for (int a = 0; a < 4; ++a) {
            tr.axes[a] = (int8_t)perms[k][a];
        }
        for (int i = 0; i < 630; ++i) {
            work.v[632 + i] = 0; /* every output must be written */
        }
        CHECK(ek_run_op(&tr, ts, (uint8_t *)work.v) == EK_OK);
        const int32_t stride[4] = {7 * 5 * 9, 5 * 9, 9, 1};
        int bad = 0, o = 0;
        for (int32_t i0 = 0; i0 < d_out[0]; ++i0) {
            for (int32_t i1 = 0; i1 < d_out[1]; ++i1) {
                for (int32_t i2 = 0; i2 < d_out[2]; ++i2) {
                    for (int32_t i3 = 0; i3 < d_out[3]; ++i3, ++o) {
                        const int32_t src = i0 * stride[perms[k][0]] + i1 * stride[perms[k][1]] +
                                            i2 * stride[perms[k][2]] + i3 * stride[perms[k][3]];
                        bad += work.v[632 + o] != work.v[src];
                    }
                }
            }
        }
        CHECK(bad == 0);
    }
}

int main(void) {
    test_transpose_i8();
    test_transpose_pad();
    test_pad_both_dims();
    test_pad_trailing_unit_dim();
    test_concat_slice_reshape();
    test_concat_words();
    return finish("test_shape");
}
