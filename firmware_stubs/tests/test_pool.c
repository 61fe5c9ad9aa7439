/* kernels/pool.c: float and int8 MEAN, max pool with padding, on hand-computed cases. */
#include "check.h"

static void test_mean(void) {
    /* [1,4,2] mean over axis 1 -> [1,2] */
    const int32_t d_in[3] = {1, 4, 2}, d_m[2] = {1, 2};
    ek_tensor ts[2];
    ts[0] = make_tensor(EK_F32, 3, d_in, 0, NULL);
    ts[1] = make_tensor(EK_F32, 2, d_m, 32, NULL);
    float work[16] = {0, 0, 1, 4, 2, 5, 3, 6};
    ek_op mn = make_op(EK_OP_MEAN, 0, -1, -1, 1);
    mn.naxes = 1;
    mn.axes[0] = 1;
    CHECK(ek_run_op(&mn, ts, (uint8_t *)work) == EK_OK);
    CHECK(NEAR(work[8], 1.5f) && NEAR(work[9], 3.75f));
    /* int8, multiplier 0.5 * 1/4 folded: (sum - zp * 4) / 8 */
    const int32_t mult[1] = {1 << 30}, shift[1] = {-2};
    ts[0] = make_tensor(EK_I8, 3, d_in, 0, NULL);
    ts[0].zero_point = 1;
    ts[1] = make_tensor(EK_I8, 2, d_m, 8, NULL);
    mn.mult = mult;
    mn.shift = shift;
    mn.num_mult = 1;
    int8_t w8[16] = {9, 1, 9, 1, 9, 1, 9, 1}; /* sums 36, 4 -> (36-4)/8 = 4, 0 */
    CHECK(ek_run_op(&mn, ts, (uint8_t *)w8) == EK_OK && w8[8] == 4 && w8[9] == 0);
    /* the reduced axis last (each output's elements contiguous: the 32-bit sum) */
    const int32_t d_t[3] = {1, 2, 4};
    ts[0] = make_tensor(EK_I8, 3, d_t, 0, NULL);
    ts[0].zero_point = 1;
    mn.axes[0] = 2;
    int8_t t8[16] = {9, 9, 9, 9, 1, 1, 1, 1, 7, 7}; /* sums 36, 4 -> 4, 0 */
    CHECK(ek_run_op(&mn, ts, (uint8_t *)t8) == EK_OK && t8[8] == 4 && t8[9] == 0);
    mn.axes[0] = 3; /* no such axis */
    CHECK(ek_check_op(&mn, ts) == EK_ERR_MODEL);
}

static void test_max_pool(void) {
    /* [1,1,5,1] window 2 stride 2 -> [1,1,3,1] with the last window half outside */
    const int32_t d_in[4] = {1, 1, 5, 1}, d_out[4] = {1, 1, 3, 1};
    ek_tensor ts[2];
    ts[0] = make_tensor(EK_I8, 4, d_in, 0, NULL);
    ts[1] = make_tensor(EK_I8, 4, d_out, 8, NULL);
    int8_t work[16] = {-5, 3, 7, -1, -9};
    ek_op mp = make_op(EK_OP_MAXPOOL, 0, -1, -1, 1);
    mp.filter_w = 2;
    mp.stride_w = 2;
    CHECK(ek_run_op(&mp, ts, (uint8_t *)work) == EK_OK);
    CHECK(work[8] == 3 && work[9] == 7 && work[10] == -9);
    mp.act_min = 0; /* fused ReLU */
    CHECK(ek_run_op(&mp, ts, (uint8_t *)work) == EK_OK && work[10] == 0);
    /* every window inside, two channels: [1,2,3,2] window 2x2 stride 1 -> [1,1,2,2] */
    const int32_t d_in2[4] = {1, 2, 3, 2}, d_out2[4] = {1, 1, 2, 2};
    ts[0] = make_tensor(EK_I8, 4, d_in2, 0, NULL);
    ts[1] = make_tensor(EK_I8, 4, d_out2, 12, NULL);
    int8_t w2[16] = {1, -1, 5, -7, 2, -3, /* row 0: pixels (c0, c1) */
                     -4, -2, 0, -6, 9, -8};
    mp.filter_h = 2;
    mp.stride_w = 1;
    mp.act_min = -128;
    CHECK(ek_run_op(&mp, ts, (uint8_t *)w2) == EK_OK);
    CHECK(w2[12] == 5 && w2[13] == -1 && w2[14] == 9 && w2[15] == -3);
}

/* int8 windows inside the input over 4, 8, 12 and 6 channels (whole words of four channels
 * on the M4 and not), with and without an activation clamp: each output is its window's
 * maximum, clamped */
static void test_max_pool_words(void) {
    static union {
        double align;
        int8_t v[2 * 512];
    } work;
    static const int32_t channels[4] = {4, 8, 12, 6};
    for (int k = 0; k < 4; ++k) {
        const int32_t cc = channels[k], ih = 5, iw = 7, fh = 2, fw = 3, sh = 1, sw = 2;
        const int32_t oh = (ih - fh) / sh + 1, ow = (iw - fw) / sw + 1;
        const int32_t d_in[4] = {1, ih, iw, cc}, d_out[4] = {1, oh, ow, cc};
        ek_tensor ts[2];
        ts[0] = make_tensor(EK_I8, 4, d_in, 0, NULL);
        ts[1] = make_tensor(EK_I8, 4, d_out, 512, NULL);
        for (int i = 0; i < ih * iw * cc; ++i) {
            work.v[i] = (int8_t)(rng() % 256u);
        }
        for (int clamp = 0; clamp < 2; ++clamp) {
            ek_op mp = make_op(EK_OP_MAXPOOL, 0, -1, -1, 1);
            mp.filter_h = (int16_t)fh;
            mp.filter_w = (int16_t)fw;
            mp.stride_h = (int16_t)sh;
            mp.stride_w = (int16_t)sw;
            mp.act_min = clamp ? -20 : -128;
            mp.act_max = clamp ? 50 : 127;
            CHECK(ek_run_op(&mp, ts, (uint8_t *)work.v) == EK_OK);
            int bad = 0;
            for (int32_t y = 0; y < oh; ++y) {
                for (int32_t x = 0; x < ow; ++x) {
                    for (int32_t ch = 0; ch < cc; ++ch) {
                        int32_t best = -128;
                        for (int32_t ky = 0; ky < fh; ++ky) {
                            for (int32_t kx = 0; kx < fw; ++kx) {
                                const int32_t v = work.v[((y * sh + ky) * iw + x * sw + kx) * cc + ch];
                                best = v > best ? v : best;
                            }
                        }
                        best = best < mp.act_min ? mp.act_min : (best > mp.act_max ? mp.act_max : best);
                        bad += work.v[512 + (y * ow + x) * cc + ch] != best;
                    }
                }
            }
            CHECK(bad == 0);
        }
    }
}

/* int8 mean over a long trailing axis (more than 255 words: the 16-bit lanes summed in runs)
 * of extreme values (-128, 127: the lanes' bound) and random ones, with a 1-3 value tail:
 * the exact sum, then the requantisation (mult 2^30, shift -10: sum / 2048, rounded) */
static void test_mean_long(void) {
    enum { N = 1027 };
    static union {
        double align;
        int8_t v[3 * N + 16];
    } work;
    const int32_t d_in[2] = {3, N}, d_out[1] = {3};
    const int32_t mult[1] = {1 << 30}, shift[1] = {-10};
    ek_tensor ts[2];
    ts[0] = make_tensor(EK_I8, 2, d_in, 0, NULL);
    ts[0].zero_point = 5;
    ts[1] = make_tensor(EK_I8, 1, d_out, 3 * N + 5, NULL);
    ts[1].zero_point = -3;
    ek_op mn = make_op(EK_OP_MEAN, 0, -1, -1, 1);
    mn.naxes = 1;
    mn.axes[0] = 1;
    mn.mult = mult;
    mn.shift = shift;
    mn.num_mult = 1;
    for (int i = 0; i < N; ++i) {
        work.v[i] = -128;
        work.v[N + i] = 127;
        work.v[2 * N + i] = (int8_t)(rng() % 256u);
    }
    CHECK(ek_run_op(&mn, ts, (uint8_t *)work.v) == EK_OK);
    for (int o = 0; o < 3; ++o) {
        int32_t sum = 0;
        for (int i = 0; i < N; ++i) {
            sum += work.v[o * N + i];
        }
        int32_t want = ek_multiply_by_quantized_multiplier(sum - 5 * N, mult[0], shift[0]) - 3;
        want = want < -128 ? -128 : (want > 127 ? 127 : want);
        CHECK(work.v[3 * N + 5 + o] == want);
    }
}

/* int8 mean over leading axes (a transposed mean folded into its axes): 20 x 31 rows (more
 * than 255: the 16-bit lanes summed in runs) of C columns, C = 8 and 16 (the DSP path), 12
 * (eight on it, four not) and 3; columns of -128 and 127 (the lanes' bound) and random ones */
static void test_mean_leading(void) {
    enum { R = 20 * 31, CMAX = 16 };
    static union {
        double align;
        int8_t v[R * CMAX + CMAX + 8];
    } work;
    const int32_t cols[4] = {8, 16, 12, 3};
    const int32_t mult[1] = {1 << 30}, shift[1] = {-9};
    for (int t = 0; t < 4; ++t) {
        const int32_t c = cols[t];
        const int32_t d_in[3] = {20, 31, c}, d_out[1] = {c};
        ek_tensor ts[2];
        ts[0] = make_tensor(EK_I8, 3, d_in, 0, NULL);
        ts[0].zero_point = -7;
        ts[1] = make_tensor(EK_I8, 1, d_out, R * CMAX + 8, NULL);
        ts[1].zero_point = 4;
        ek_op mn = make_op(EK_OP_MEAN, 0, -1, -1, 1);
        mn.naxes = 2;
        mn.axes[0] = 0;
        mn.axes[1] = 1;
        mn.mult = mult;
        mn.shift = shift;
        mn.num_mult = 1;
        for (int r = 0; r < R; ++r) {
            for (int k = 0; k < c; ++k) {
                work.v[r * c + k] = k == 0 ? -128 : (k == 1 ? 127 : (int8_t)(rng() % 256u));
            }
        }
        CHECK(ek_run_op(&mn, ts, (uint8_t *)work.v) == EK_OK);
        for (int k = 0; k < c; ++k) {
            int32_t sum = 0;
            for (int r = 0; r < R; ++r) {
                sum += work.v[r * c + k];
            }
            int32_t want = ek_multiply_by_quantized_multiplier(sum + 7 * R, mult[0], shift[0]) + 4;
            want = want < -128 ? -128 : (want > 127 ? 127 : want);
            CHECK(work.v[R * CMAX + 8 + k] == want);
        }
    }
}

int main(void) {
    test_mean_leading();
    test_mean_long();
    test_max_pool_words();
    test_mean();
    test_max_pool();
    return finish("test_pool");
}
