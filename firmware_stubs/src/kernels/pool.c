/*
 * Reductions: MAX_POOL_2D (NHWC windows) and MEAN (over any axes; int8 as TFLM's
 * QuantizedMeanOrSum: the sum minus zero point x count, times a multiplier with 1/count folded).
 */
#include "../internal.h"
#include "dot.h"

static ek_status check_max_pool(const ek_op *op, const ek_tensor *ts) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    int32_t n, ih, iw, c, on, oh, ow, oc;
    ek_nhwc(in, &n, &ih, &iw, &c);
    ek_nhwc(out, &on, &oh, &ow, &oc);
    if (n != 1 || on != 1 || oc != c || in->dtype != out->dtype || in->dtype == EK_I32 ||
        op->filter_h < 1 || op->filter_w < 1 || op->stride_h < 1 || op->stride_w < 1) {
        return EK_ERR_MODEL;
    }
    return EK_OK;
}

/* int8 windows all inside the input (no padding): pointer steps, no bounds tests, the
 * channels of a pixel inner (the same values as the general loop below) */
static int max_pool_i8_inside(const ek_op *op, const int8_t *iv, int8_t *ov, int32_t ih,
                              int32_t iw, int32_t c, int32_t oh, int32_t ow) {
    const int32_t fh = op->filter_h, fw = op->filter_w;
    if (op->pad_h != 0 || op->pad_w != 0 || (oh - 1) * op->stride_h + fh > ih ||
        (ow - 1) * op->stride_w + fw > iw) {
        return 0;
    }
#ifdef EK_DSP
    if (c % 4 == 0) { /* four channels per word: SSUB8 sets a flag per byte, SEL keeps the max */
        const uint32_t lo4 = (uint32_t)(uint8_t)(int8_t)op->act_min * 0x01010101u;
        const uint32_t hi4 = (uint32_t)(uint8_t)(int8_t)op->act_max * 0x01010101u;
        for (int32_t y = 0; y < oh; ++y) {
            for (int32_t x = 0; x < ow; ++x, ov += c) {
                const int8_t *p = iv + ((size_t)y * op->stride_h * iw + (size_t)x * op->stride_w) * c;
                for (int32_t ch = 0; ch < c; ch += 4) {
                    uint32_t best = lo4; /* the clamp's floor: max(window, act_min) */
                    for (int32_t ky = 0; ky < fh; ++ky) {
                        const int8_t *q = p + (size_t)ky * iw * c + ch;
                        for (int32_t kx = 0; kx < fw; ++kx, q += c) {
                            const uint32_t v = ek_load4(q);
                            (void)__ssub8((int8x4_t)v, (int8x4_t)best);
                            best = (uint32_t)__sel((uint8x4_t)v, (uint8x4_t)best);
                        }
                    }
                    (void)__ssub8((int8x4_t)hi4, (int8x4_t)best);
                    best = (uint32_t)__sel((uint8x4_t)best, (uint8x4_t)hi4); /* min(., act_max) */
                    memcpy(ov + ch, &best, 4);
                }
            }
        }
        return 1;
    }
#endif
    for (int32_t y = 0; y < oh; ++y) {
        for (int32_t x = 0; x < ow; ++x, ov += c) {
            const int8_t *p = iv + ((size_t)y * op->stride_h * iw + (size_t)x * op->stride_w) * c;
            for (int32_t ch = 0; ch < c; ++ch) {
                int32_t best = -128;
                for (int32_t ky = 0; ky < fh; ++ky) {
                    const int8_t *q = p + (size_t)ky * iw * c + ch;
                    for (int32_t kx = 0; kx < fw; ++kx, q += c) {
                        best = *q > best ? *q : best;
                    }
                }
                ov[ch] = (int8_t)ek_clamp_i32(best, op->act_min, op->act_max);
            }
        }
    }
    return 1;
}

static void max_pool(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    int32_t n, ih, iw, c, on, oh, ow, oc;
    ek_nhwc(in, &n, &ih, &iw, &c);
    ek_nhwc(out, &on, &oh, &ow, &oc);
    const void *iv = ek_in(in, work);
    void *ov = ek_out(out, work);
    const int is_i8 = in->dtype == EK_I8;
    if (is_i8 && max_pool_i8_inside(op, (const int8_t *)iv, (int8_t *)ov, ih, iw, c, oh, ow)) {
        return;
    }
    for (int32_t y = 0; y < oh; ++y) {
        for (int32_t x = 0; x < ow; ++x) {
            for (int32_t ch = 0; ch < c; ++ch) {
                int32_t best = -128;
                float fbest = -3.402823466e38f;
                for (int32_t ky = 0; ky < op->filter_h; ++ky) {
                    const int32_t yy = y * op->stride_h - op->pad_h + ky;
                    for (int32_t kx = 0; kx < op->filter_w; ++kx) {
                        const int32_t xx = x * op->stride_w - op->pad_w + kx;
                        if (yy < 0 || yy >= ih || xx < 0 || xx >= iw) {
                            continue;
                        }
                        const size_t i = ((size_t)yy * iw + xx) * c + ch;
                        if (is_i8) {
                            const int32_t v = ((const int8_t *)iv)[i];
                            best = v > best ? v : best;
                        } else {
                            const float v = ((const float *)iv)[i];
                            fbest = v > fbest ? v : fbest;
                        }
                    }
                }
                const size_t o = ((size_t)y * ow + x) * c + ch;
                if (is_i8) {
                    ((int8_t *)ov)[o] = (int8_t)ek_clamp_i32(best, op->act_min, op->act_max);
                } else {
                    ((float *)ov)[o] = ek_clamp_f(fbest, op->fact_min, op->fact_max);
                }
            }
        }
    }
}

/* which of the padded dims a MEAN reduces; the count reduced and the outputs */
static void mean_dims(const ek_op *op, const ek_tensor *in, int *reduced, size_t *count,
                      size_t *outer) {
    int32_t dims[EK_MAX_DIMS];
    size_t strides[EK_MAX_DIMS];
    ek_padded(in, dims, strides);
    const int lead = EK_MAX_DIMS - in->ndim;
    for (int i = 0; i < EK_MAX_DIMS; ++i) {
        reduced[i] = 0;
    }
    for (int a = 0; a < op->naxes; ++a) {
        reduced[lead + op->axes[a]] = 1;
    }
    *count = 1;
    *outer = 1;
    for (int i = 0; i < EK_MAX_DIMS; ++i) {
        *(reduced[i] ? count : outer) *= (size_t)dims[i];
    }
}

static ek_status check_mean(const ek_op *op, const ek_tensor *ts) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    for (int a = 0; a < op->naxes; ++a) {
        if (op->axes[a] < 0 || op->axes[a] >= in->ndim) {
            return EK_ERR_MODEL;
        }
    }
    int reduced[EK_MAX_DIMS];
    size_t count, outer;
    mean_dims(op, in, reduced, &count, &outer);
    if (outer != ek_numel(out) || in->dtype != out->dtype || in->dtype == EK_I32 ||
        (in->dtype == EK_I8 && op->num_mult != 1)) {
        return EK_ERR_MODEL;
    }
    return EK_OK;
}

/* int8, each output's elements contiguous: a plain 32-bit sum (no overflow below 2^23
 * elements), the same result as the general loop below */
static void mean_i8_trailing(const ek_op *op, const ek_tensor *in, const ek_tensor *out,
                             const int8_t *iv, int8_t *ov, size_t count, size_t outer) {
    for (size_t o = 0; o < outer; ++o, iv += count) {
        int32_t s0 = 0, s1 = 0;
        size_t r = 0;
#ifdef EK_DSP
        /* four values per word into four 16-bit lanes (SXTAB16 twice), at most 255 words a
         * run (|lane| <= 255 x 128 < 2^15), the lanes summed (SMLAD by ones) after each run */
        while (r + 4 <= count) {
            const size_t run = (count - r) / 4 < 255 ? (count - r) / 4 : 255;
            int16x2_t l02 = (int16x2_t)0, l13 = (int16x2_t)0;
            for (size_t k = 0; k < run; ++k, r += 4) {
                const uint32_t w = ek_load4(iv + r);
                l02 = __sxtab16(l02, (int8x4_t)w);
                l13 = ek_sxtab16_ror8(l13, w);
            }
            s0 = __smlad(l02, (int16x2_t)0x00010001u, s0);
            s1 = __smlad(l13, (int16x2_t)0x00010001u, s1);
        }
#endif
        for (; r + 2 <= count; r += 2) {
            s0 += iv[r];
            s1 += iv[r + 1];
        }
        if (r < count) {
            s0 += iv[r];
        }
        int32_t acc = s0 + s1 - in->zero_point * (int32_t)count;
        acc = ek_multiply_by_quantized_multiplier(acc, op->mult[0], op->shift[0]);
        ov[o] = (int8_t)ek_clamp_i32(acc + out->zero_point, -128, 127);
    }
}

static int8_t mean_i8_finish(const ek_op *op, const ek_tensor *in, const ek_tensor *out,
                             int32_t sum, size_t count) {
    int32_t acc = sum - in->zero_point * (int32_t)count;
    acc = ek_multiply_by_quantized_multiplier(acc, op->mult[0], op->shift[0]);
    return (int8_t)ek_clamp_i32(acc + out->zero_point, -128, 127);
}

/* int8, the reduced elements before the kept ones (the exporter's NHWC -> NCHW transpose
 * before a mean, folded into the mean's axes when the C tables are generated): `count` rows
 * of `outer` contiguous values, summed per column (integer sums: the same result in any order) */
static void mean_i8_leading(const ek_op *op, const ek_tensor *in, const ek_tensor *out,
                            const int8_t *iv, int8_t *ov, size_t count, size_t outer) {
    size_t c = 0;
#ifdef EK_DSP
    /* eight columns at a time in four registers of 16-bit lanes (SXTAB16), at most 255 rows
     * a run (|lane| <= 255 x 128 < 2^15), the lanes added to 32-bit sums after each run */
    for (; c + 8 <= outer; c += 8) {
        int32_t s[8] = {0};
        for (size_t r = 0; r < count;) {
            const size_t end = count - r < 255 ? count : r + 255;
            int16x2_t a0 = (int16x2_t)0, a1 = (int16x2_t)0, a2 = (int16x2_t)0, a3 = (int16x2_t)0;
            const int8_t *p = iv + r * outer + c;
            for (; r < end; ++r, p += outer) {
                const uint32_t w0 = ek_load4(p), w1 = ek_load4(p + 4);
                a0 = __sxtab16(a0, (int8x4_t)w0);
                a1 = ek_sxtab16_ror8(a1, w0);
                a2 = __sxtab16(a2, (int8x4_t)w1);
                a3 = ek_sxtab16_ror8(a3, w1);
            }
            const uint32_t lanes[4] = {(uint32_t)a0, (uint32_t)a1, (uint32_t)a2, (uint32_t)a3};
            for (int k = 0; k < 4; ++k) { /* lanes k: columns 4(k/2) + k%2 and that + 2 */
                const int col = 4 * (k / 2) + k % 2;
                s[col] += (int16_t)(lanes[k] & 0xFFFFu);
                s[col + 2] += (int16_t)(lanes[k] >> 16);
            }
        }
        for (int k = 0; k < 8; ++k) {
            ov[c + (size_t)k] = mean_i8_finish(op, in, out, s[k], count);
        }
    }
#endif
    for (; c < outer; ++c) {
        int32_t s = 0;
        for (size_t r = 0; r < count; ++r) {
            s += iv[r * outer + c];
        }
        ov[c] = mean_i8_finish(op, in, out, s, count);
    }
}

static void mean(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    const ek_tensor *in = &ts[op->in[0]], *out = &ts[op->out];
    int32_t dims[EK_MAX_DIMS], kdims[EK_MAX_DIMS], rdims[EK_MAX_DIMS];
    size_t strides[EK_MAX_DIMS], kstr[EK_MAX_DIMS], rstr[EK_MAX_DIMS], count, outer;
    int reduced[EK_MAX_DIMS], nk = 0, nr = 0, trailing = 1, seen_reduced = 0, leading = 1;
    int seen_kept = 0;
    ek_padded(in, dims, strides);
    mean_dims(op, in, reduced, &count, &outer);
    for (int i = 0; i < EK_MAX_DIMS; ++i) {
        if (reduced[i]) {
            rdims[nr] = dims[i];
            rstr[nr++] = strides[i];
            seen_reduced |= dims[i] > 1;
            leading &= !(dims[i] > 1 && seen_kept); /* kept dims all after reduced ones */
        } else {
            seen_kept |= dims[i] > 1;
            kdims[nk] = dims[i];
            kstr[nk++] = strides[i];
            trailing &= !(dims[i] > 1 && seen_reduced); /* reduced dims all after kept ones */
        }
    }
    const void *iv = ek_in(in, work);
    void *ov = ek_out(out, work);
    if (trailing && in->dtype == EK_I8 && count < ((size_t)1 << 23)) {
        mean_i8_trailing(op, in, out, (const int8_t *)iv, (int8_t *)ov, count, outer);
        return;
    }
    if (leading && in->dtype == EK_I8 && count < ((size_t)1 << 23)) {
        mean_i8_leading(op, in, out, (const int8_t *)iv, (int8_t *)ov, count, outer);
        return;
    }
    for (size_t o = 0; o < outer; ++o) {
        size_t base = 0, rem = o;
        for (int i = nk - 1; i >= 0; --i) {
            base += (rem % (size_t)kdims[i]) * kstr[i];
            rem /= (size_t)kdims[i];
        }
        int64_t isum = 0;
        float fsum = 0.0f;
        for (size_t r = 0; r < count; ++r) {
            size_t idx = o * count + r; /* trailing: one output's elements are contiguous */
            if (!trailing) {
                size_t rr = r;
                idx = base;
                for (int i = nr - 1; i >= 0; --i) {
                    idx += (rr % (size_t)rdims[i]) * rstr[i];
                    rr /= (size_t)rdims[i];
                }
            }
            if (in->dtype == EK_I8) {
                isum += ((const int8_t *)iv)[idx];
            } else {
                fsum += ((const float *)iv)[idx];
            }
        }
        if (in->dtype == EK_I8) {
            int32_t acc = (int32_t)(isum - (int64_t)in->zero_point * (int64_t)count);
            acc = ek_multiply_by_quantized_multiplier(acc, op->mult[0], op->shift[0]);
            ((int8_t *)ov)[o] = (int8_t)ek_clamp_i32(acc + out->zero_point, -128, 127);
        } else {
            ((float *)ov)[o] = fsum / (float)count;
        }
    }
}

ek_status ek_check_pool(const ek_op *op, const ek_tensor *ts) {
    return op->kind == EK_OP_MAXPOOL ? check_max_pool(op, ts) : check_mean(op, ts);
}

void ek_pool(const ek_op *op, const ek_tensor *ts, uint8_t *work) {
    if (op->kind == EK_OP_MAXPOOL) {
        max_pool(op, ts, work);
    } else {
        mean(op, ts, work);
    }
}
