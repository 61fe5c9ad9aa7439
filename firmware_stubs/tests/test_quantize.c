/* kernels/quantize.c: TFLite's fixed-point rounding, QUANTIZE (float and int8 in), NaN and
 * overflow defined, DEQUANTIZE. */
#include "check.h"
#include "internal.h"

static void test_fixed_point(void) {
    const int32_t half = 1 << 30; /* 0.5 in Q31 */
    CHECK(ek_multiply_by_quantized_multiplier(1000, half, 0) == 500);
    CHECK(ek_multiply_by_quantized_multiplier(1000, half, -2) == 125);
    CHECK(ek_multiply_by_quantized_multiplier(1001, half, -1) == 251); /* 250.25 -> 250.5 -> 251 */
    CHECK(ek_multiply_by_quantized_multiplier(3, half, 1) == 3);
    CHECK(ek_multiply_by_quantized_multiplier(-1000, half, -2) == -125);
    /* -1.5: TFLite nudges negatives by 1 - 2^30, so this exact tie goes toward zero */
    CHECK(ek_multiply_by_quantized_multiplier(-3, half, 0) == -1);
}

/* TFLite's code, literally (reference_ops / cppmath), to check the runtime's shorter form */
static int32_t tflite_srdhm(int32_t a, int32_t b) {
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static int32_t tflite_multiply(int32_t x, int32_t multiplier, int32_t shift) {
    const int left = shift > 0 ? (int)shift : 0, right = shift > 0 ? 0 : (int)-shift;
    const int32_t v = tflite_srdhm((int32_t)((int64_t)x * ((int64_t)1 << left)), multiplier);
    const int32_t mask = (int32_t)(((int64_t)1 << right) - 1);
    const int32_t threshold = (mask >> 1) + (v < 0 ? 1 : 0);
    return (v >> right) + ((v & mask) > threshold ? 1 : 0);
}

static void test_same_as_tflite_code(void) {
    int mismatches = 0;
    for (int i = 0; i < 200000; ++i) {
        const int32_t x = (int32_t)rng() >> (rng() % 24u); /* accumulators of every size */
        const int32_t m = (int32_t)((1u << 30) + rng() % (1u << 30)); /* [0.5, 1) in Q31 */
        const int32_t shift = -(int32_t)(rng() % 20u) + (i % 7 == 0 ? 2 : 0);
        if (shift > 0 && (x > (INT32_MAX >> shift) || x < (INT32_MIN >> shift))) {
            continue; /* TFLite's left shift would overflow: not a case it produces */
        }
        mismatches += ek_multiply_by_quantized_multiplier(x, m, shift) != tflite_multiply(x, m, shift);
    }
    for (int32_t x = -4096; x <= 4096; ++x) { /* exact ties of the high multiply */
        mismatches += ek_multiply_by_quantized_multiplier(x, 1 << 30, -1) != tflite_multiply(x, 1 << 30, -1);
        mismatches += ek_multiply_by_quantized_multiplier(x, 1 << 30, 0) != tflite_multiply(x, 1 << 30, 0);
    }
    CHECK(mismatches == 0);
    CHECK(ek_multiply_by_quantized_multiplier(INT32_MIN, INT32_MIN, 0) == INT32_MAX);
}

static void test_quantize(void) {
    const int32_t d[1] = {1};
    ek_tensor ts[3];
    ts[0] = make_tensor(EK_F32, 1, d, 0, NULL);
    ts[1] = make_tensor(EK_I8, 1, d, 8, NULL);
    ts[1].scale = 0.5f;
    ts[2] = make_tensor(EK_F32, 1, d, 16, NULL);
    ek_op q = make_op(EK_OP_QUANTIZE, 0, -1, -1, 1);
    union {
        double align;
        uint8_t bytes[24];
    } work;
    const float nan = (float)NAN, big = 1e30f, x = 1.25f;
    memcpy(work.bytes, &nan, sizeof nan); /* NaN to the lowest code, not an undefined cast */
    CHECK(ek_run_op(&q, ts, work.bytes) == EK_OK && (int8_t)work.bytes[8] == -128);
    memcpy(work.bytes, &big, sizeof big);
    CHECK(ek_run_op(&q, ts, work.bytes) == EK_OK && (int8_t)work.bytes[8] == 127);
    memcpy(work.bytes, &x, sizeof x); /* 2.5 rounds away from zero: 3 */
    CHECK(ek_run_op(&q, ts, work.bytes) == EK_OK && (int8_t)work.bytes[8] == 3);
    ek_op dq = make_op(EK_OP_DEQUANTIZE, 1, -1, -1, 2);
    float back;
    CHECK(ek_run_op(&dq, ts, work.bytes) == EK_OK);
    memcpy(&back, work.bytes + 16, sizeof back);
    CHECK(back == 1.5f);
    ek_op rq = make_op(EK_OP_QUANTIZE, 1, -1, -1, 1); /* int8 -> int8 needs one multiplier */
    CHECK(ek_check_op(&rq, ts) == EK_ERR_MODEL);
}

/* int8 -> int8 QUANTIZE, short (per element: the M4's four-a-pass loop and its tail, aligned
 * or not) and long (through its 256-entry table, n >= EK_MAP_MIN, 1024), right shifts, none
 * and a left one: each output is TFLite's requantisation of its input, every input value seen */
static void test_requantize_i8(void) {
    enum { N = 2051 };
    static union {
        double align;
        int8_t v[2 * N + 16];
    } work;
    const int32_t mult[1] = {(int32_t)(1u << 30) + 12345};
    for (int32_t k = 0; k < 12; ++k) { /* shifts: right 2, right 1, none, left 1 */
        const int32_t sizes[3] = {5, 203, N}, n = sizes[k % 3], shift[1] = {k / 3 - 2};
        const int32_t d[1] = {n}, odd = k % 3 == 1; /* 203 values, unaligned */
        ek_tensor ts[2];
        ts[0] = make_tensor(EK_I8, 1, d, odd, NULL);
        ts[0].zero_point = -7;
        ts[1] = make_tensor(EK_I8, 1, d, ((n + 7) & ~7) + 8 + 3 * odd, NULL);
        ts[1].zero_point = 3;
        ek_op op = make_op(EK_OP_QUANTIZE, 0, -1, -1, 1);
        op.mult = mult;
        op.shift = shift;
        op.num_mult = 1;
        for (int32_t i = 0; i < n; ++i) {
            work.v[odd + i] = (int8_t)(i % 256 - 128);
        }
        CHECK(ek_run_op(&op, ts, (uint8_t *)work.v) == EK_OK);
        int bad = 0;
        for (int32_t i = 0; i < n; ++i) {
            int32_t want = tflite_multiply(work.v[odd + i] + 7, mult[0], shift[0]) + 3;
            want = want < -128 ? -128 : (want > 127 ? 127 : want);
            bad += work.v[ts[1].offset + i] != want;
        }
        CHECK(bad == 0);
    }
}

/* ek_map_i8 (the M4's eight-a-pass loop and its tails): every length 0-40 and a long one, at
 * every alignment of source and destination, each output the table's value of its input */
static void test_map_i8(void) {
    static int8_t lut[256], src[1100], dst[1100];
    for (int i = 0; i < 256; ++i) {
        lut[i] = (int8_t)(rng() % 256u);
    }
    for (int i = 0; i < 1100; ++i) {
        src[i] = (int8_t)(i * 37 % 256 - 128);
    }
    int bad = 0;
    for (int n = 0; n <= 1030; n += n < 40 ? 1 : 990) {
        for (int a = 0; a < 4; ++a) {
            for (int b = 0; b < 4; b += 3) {
                memset(dst, 0x5A, sizeof dst);
                ek_map_i8(src + a, (size_t)n, lut, dst + b);
                for (int i = 0; i < n; ++i) {
                    bad += dst[b + i] != lut[src[a + i] + 128];
                }
                bad += dst[b + n] != 0x5A || (b > 0 && dst[b - 1] != 0x5A);
            }
        }
    }
    CHECK(bad == 0);
}

/* the member inputs' conversion (on the M4 four at a time in assembly, groups outside its
 * range in C) equals ek_quantize_value on every element: ties, both clamps, values beyond
 * 2^22, infinities and NaN in groups of their own and among in-range ones, a short tail */
static void test_quantize_features(void) {
    enum { N = 103 };
    float x[N];
    int8_t got[N];
    for (int i = 0; i < N; ++i) {
        x[i] = (float)((int32_t)(rng() % 4001u) - 2000) / 8.0f;
    }
    x[3] = 2.5f / 0.75f; /* rint ties once scaled: 2.5 -> 2, 3.5 -> 4 */
    x[4] = 3.5f / 0.75f;
    x[9] = (float)NAN;
    x[17] = INF;
    x[18] = -INF;
    x[19] = 1e30f;
    x[20] = -1e30f;
    x[33] = 5592405.0f; /* about 2^22 / 0.75: beyond the fast path */
    for (int i = 40; i < 44; ++i) {
        x[i] = (float)NAN; /* a whole group */
    }
    x[101] = (float)NAN; /* in the tail */
    ek_quantize_features(x, N, 0.75f, -5, got);
    int bad = 0;
    for (int i = 0; i < N; ++i) {
        bad += got[i] != ek_quantize_value(x[i], 0.75f, -5);
    }
    CHECK(bad == 0);
    CHECK(got[9] == -128 && got[17] == 127 && got[18] == -128);
}

int main(void) {
    test_quantize_features();
    test_requantize_i8();
    test_map_i8();
    test_fixed_point();
    test_same_as_tflite_code();
    test_quantize();
    return finish("test_quantize");
}
