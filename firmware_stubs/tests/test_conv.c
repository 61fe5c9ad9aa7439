/* kernels/conv.c: a hand-computed int8 conv, and the fast kernels equal to the reference ones
 * (bit for bit, int8 and float32, conv and depthwise) over random shapes, strides, paddings. */
#include "check.h"
#include "internal.h"
#include "kernels/requant.h"

static void test_int8_conv_by_hand(void) {
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
    ts[2] = make_tensor(EK_F32, 1, b_dims, -1, bias); /* a float bias on an int8 conv */
    CHECK(ek_check_op(&op, ts) == EK_ERR_MODEL);
}

enum { MAXW = 4096 };
static int8_t filt8[MAXW];
static float filtf[MAXW];
static int32_t bias32[64], mults[64], shifts[64];
static float biasf[64];
static union {
    double align;
    uint8_t bytes[16 * MAXW];
} ref_work, fast_work;

/* the quantisation the next compare() draws: the whole int8 range as the activation clamp (the
 * fast kernels' SSAT path), the right shifts (0: 1..8; -1: none, +1: a left shift; both take
 * TFLite's arithmetic), biases beyond the short requantisation's bound, one multiplier */
static struct {
    int full, shift, big_bias, per_tensor, oc;
} q;

/* one random conv (depthwise when dm > 0) in both precisions; fast == reference */
static void compare(int dm, int ih, int iw, int ic, int kh, int kw, int stride, int dil, int same) {
    const int oc = dm > 0 ? ic * dm : (q.oc > 0 ? q.oc : 1 + (int)(rng() % 9u));
    const int pad_h = same ? ((kh - 1) * dil) / 2 : 0, pad_w = same ? ((kw - 1) * dil) / 2 : 0;
    const int oh = (ih + 2 * pad_h - (kh - 1) * dil - 1) / stride + 1;
    const int ow = (iw + 2 * pad_w - (kw - 1) * dil - 1) / stride + 1;
    const int32_t din[4] = {1, ih, iw, ic}, dout[4] = {1, oh, ow, oc}, db[1] = {oc};
    const int32_t df[4] = {dm > 0 ? 1 : oc, kh, kw, dm > 0 ? oc : ic};
    const size_t nf = (size_t)df[0] * kh * kw * df[3], nin = (size_t)ih * iw * ic;
    fill_i8(filt8, nf);
    for (size_t i = 0; i < nf; ++i) {
        filtf[i] = (float)filt8[i] / 64.0f;
    }
    for (int o = 0; o < oc; ++o) {
        bias32[o] = (int32_t)(rng() % 2001u) - 1000;
        if (q.big_bias && o == oc / 2) {
            bias32[o] = (int32_t)(rng() % 2u ? 1 : -1) * ((1 << 30) - 1000);
        }
        biasf[o] = (float)bias32[o] / 512.0f;
        mults[o] = (int32_t)(1u << 30) + (int32_t)(rng() % (1u << 29));
        shifts[o] = q.shift == 0 ? -(int32_t)(rng() % 8u) - 1 : (q.shift < 0 ? 0 : 1);
    }
    for (int prec = 0; prec < 2; ++prec) {
        const int i8 = prec == 0;
        const size_t eb = i8 ? 1u : 4u;
        ek_tensor ts[4];
        ts[0] = make_tensor(i8 ? EK_I8 : EK_F32, 4, din, 0, NULL);
        ts[0].zero_point = i8 ? (int32_t)(rng() % 256u) - 128 : 0;
        ts[1] = make_tensor(i8 ? EK_I8 : EK_F32, 4, df, -1, i8 ? (const void *)filt8 : (const void *)filtf);
        ts[2] = make_tensor(i8 ? EK_I32 : EK_F32, 1, db, -1, i8 ? (const void *)bias32 : (const void *)biasf);
        ts[3] = make_tensor(i8 ? EK_I8 : EK_F32, 4, dout, (int)EK_ALIGN(nin * eb), NULL);
        ts[3].zero_point = i8 ? 3 : 0;
        ek_op op = make_op(dm > 0 ? EK_OP_DWCONV2D : EK_OP_CONV2D, 0, 1, 2, 3);
        op.stride_h = op.stride_w = (int16_t)stride;
        op.dil_h = op.dil_w = (int16_t)dil;
        op.pad_h = (int16_t)pad_h;
        op.pad_w = (int16_t)pad_w;
        op.depth_mult = (int16_t)(dm > 0 ? dm : 1);
        op.mult = mults;
        op.shift = shifts;
        op.num_mult = i8 ? (q.per_tensor ? 1 : oc) : 0;
        op.act_min = i8 && !q.full ? -100 : -128; /* a clamp that bites, or none */
        op.fact_min = i8 ? -INF : -1.0f;
        CHECK(ek_check_op(&op, ts) == EK_OK);
        fill_i8((int8_t *)ref_work.bytes, sizeof ref_work.bytes);
        if (!i8) {
            for (size_t i = 0; i < nin; ++i) {
                ((float *)ref_work.bytes)[i] = (float)(int8_t)ref_work.bytes[i + 3 * nin] / 32.0f;
            }
        }
        memcpy(fast_work.bytes, ref_work.bytes, sizeof ref_work.bytes);
        const size_t nout = (size_t)oh * ow * oc * eb;
        for (size_t i = 0; i < nout; ++i) { /* outputs start different: both must write all */
            fast_work.bytes[ts[3].offset + (int)i] ^= 0xFFu;
        }
        ek_conv_ref(&op, ts, ref_work.bytes);
        ek_conv_fast(&op, ts, fast_work.bytes);
        CHECK(memcmp(ref_work.bytes + ts[3].offset, fast_work.bytes + ts[3].offset, nout) == 0);
    }
}

static void test_fast_equals_reference(void) {
    for (int trial = 0; trial < 40; ++trial) {
        const int ic = 1 + (int)(rng() % 13u), kh = 1 + (int)(rng() % 3u), kw = 1 + (int)(rng() % 5u);
        const int stride = 1 + (int)(rng() % 2u), dil = 1 + (int)(rng() % 2u) * (trial % 3 == 0);
        const int same = (int)(rng() % 2u);
        const int ih = kh * dil + (int)(rng() % 6u), iw = kw * dil + (int)(rng() % 9u);
        compare(0, ih, iw, ic, kh, kw, stride, dil, same);
        const int dm = 1 << (trial % 4); /* 1, 2, 4, 8: a multiple of 4 has its own fast path */
        compare(dm, ih, iw, dm == 8 ? 1 + ic % 8 : ic, kh, kw, stride, dil, same);
    }
}

/* the shapes of the DS-CNN / cnn1d fast paths (1x1 on multiples of 4 channels, 3x3 depthwise
 * on multiples of 4 or 8, one input channel to 8 outputs with 4-wide filters, no padding), each
 * with every requantisation case: short form (full range or a clamp), and the fallbacks */
static void test_fast_paths(void) {
    for (int mode = 0; mode < 6; ++mode) {
        q.full = mode % 2 == 0;
        q.shift = mode == 2 ? -1 : (mode == 3 ? 1 : 0);
        q.big_bias = mode == 4;
        q.per_tensor = mode == 5;
        for (int ic = 4; ic <= 16; ic += 4) {
            q.oc = ic == 12 ? 3 : 2 * ic;
            compare(0, 5, 7, ic, 1, 1, 1 + mode % 2, 1, 0); /* pointwise */
            q.oc = 8;
            compare(0, 3, 17, ic + 1, 1, 5, 2, 1, 1); /* a cnn1d row: pixel pairs */
            compare(1, 6, 7, ic, 3, 3, 1 + (ic == 8), 1, 1); /* 3x3 depthwise, padded */
            compare(1, 6, 7, 2 * ic, 3, 3, 1, 1, 0);
            /* the 3x3 assembly loop's border classes: every pixel a border, one interior row
             * or column, up to 32 channels */
            compare(1, 3, 3, ic, 3, 3, 1, 1, 1);
            compare(1, 3, 3, ic, 3, 3, 1, 1, 0);
            compare(1, 4, 3, 2 * ic, 3, 3, 1, 1, 1);
            compare(1, 3, 5, ic + 16, 3, 3, 1, 1, 1);
            compare(1, 9, 11, ic, 3, 3, 1, 1, 1);
            /* planar rows (width <= 18): one or two rows, widths 2 to 18, odd and even, in
             * runs of four (a multiple of four, or a last run overlapping) */
            compare(1, 1, 5, ic, 3, 3, 1, 1, 1);
            compare(1, 2, 2, 2 * ic, 3, 3, 1, 1, 1);
            compare(1, 5, 18, ic, 3, 3, 1, 1, 1);
            compare(1, 4, 17, ic, 3, 3, 1, 1, 0);
            compare(1, 3, 16, ic, 3, 3, 1, 1, 1);
            compare(1, 2, 4, 2 * ic, 3, 3, 1, 1, 1);
            compare(1, 3, 6, ic, 3, 3, 1, 1, 0);
            compare(1, 2, 9, ic, 3, 3, 1, 1, 1);
            compare(1, 4, 21, ic, 3, 3, 1, 1, 1); /* wider: the shifted blocks */
            compare(1, 4, 23, ic, 3, 3, 1, 1, 0);
        }
        for (int oc = 1; oc <= 32; oc += oc < 4 ? 1 : 14) { /* 8 and 16 -> oc pointwise */
            q.oc = oc; /* (assembly: oc even; 16 inputs: oc <= 21), one pixel too */
            compare(0, 1, 1, 8, 1, 1, 1, 1, 0);
            compare(0, 7, 9, 8, 1, 1, 1, 1, 0);
            compare(0, 1, 1, 16, 1, 1, 1, 1, 0);
            compare(0, 5, 3, 16, 1, 1, 1, 1, 0);
        }
        q.oc = 0;
        compare(8, 12, 9, 1, 4, 4, 2, 1, 0);  /* one input channel, 4-wide filter */
        compare(8, 13, 10, 1, 10, 4, 2, 1, 0); /* DS-CNN's first layer */
        compare(4, 12, 9, 1, 3, 8, 1, 1, 0);
        compare(4, 5, 4, 1, 1, 4, 1, 1, 0);   /* 4-wide one-channel assembly: one pixel a row */
        compare(8, 7, 9, 1, 3, 4, 1, 1, 0);   /* an odd number of filter rows */
        compare(12, 18, 9, 1, 16, 4, 2, 1, 0); /* its most rows, three channel groups */
        compare(8, 17, 9, 1, 17, 4, 1, 1, 0);  /* over its rows: the C loop */
        compare(8, 12, 9, 1, 4, 4, 2, 1, 1);  /* padded: the general kernel */
    }
    memset(&q, 0, sizeof q);
}

/* the short requantisation (SMMLAR and acc's sign on the M4) equals TFLite's arithmetic on
 * small accumulators (high = 0 with acc < 0, exact ties), large ones, mult 2^30 and near 2^31 */
static void test_short_requant(void) {
    int bad = 0;
    for (int trial = 0; trial < 4000; ++trial) {
        const int32_t e = 1 + trial % 12, zp = (int32_t)(rng() % 256u) - 128;
        const int32_t mult = trial % 3 == 0 ? (1 << 30)
                                            : (int32_t)(1u << 30) + (int32_t)(rng() % (1u << 30));
        const int32_t acc = trial % 2 == 0 ? (int32_t)(rng() % 4001u) - 2000
                                           : (int32_t)(rng() % (1u << 30)) - (1 << 29);
        const ek_rq q = {0, mult, (1 << (e - 1)) + zp * (1 << e), e};
        bad += ek_rq_apply(acc, &q) != ek_requantize(acc, mult, -e) + zp;
    }
    CHECK(bad == 0);
}

int main(void) {
    test_short_requant();
    test_int8_conv_by_hand();
    test_fast_equals_reference();
    test_fast_paths();
    return finish("test_conv");
}
