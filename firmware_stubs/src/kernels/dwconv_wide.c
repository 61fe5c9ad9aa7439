/*
 * The int8 depthwise layers of DS-CNN-like models, with the filter widened to 16 bits once per
 * call and the short requantisation (requant.h) fused: the reference's bits (see conv.c).
 *
 * - depth multiplier 1, channels a multiple of 4 (the 3x3 layers): per output pixel and group
 *   of four channels, each tap is one word load of four input channels, widened with the offset
 *   by two SXTAB16, against two pre-widened filter words (SMLABB / SMLATT); 3x3 windows fully
 *   inside the input are unrolled;
 * - one input channel, all output channels from it (a first layer on a spectrogram), filter
 *   width a multiple of 4, no padding: one word load brings four horizontal taps, SMLAD takes
 *   two taps at once against filter words pre-packed as (tap 0, tap 2), (tap 1, tap 3).
 *
 * Each returns 0 where the layer does not fit (the general kernel in dwconv_fast.c runs then).
 * The portable builds run the same loops on the int8 filter.
 */
#include "conv.h"
#include "requant.h"

#if defined(__GNUC__)
#define DW_FRAME __attribute__((noinline)) static /* one widened filter on the stack at a time */
#else
#define DW_FRAME static
#endif

#define EK_DW_MAXF 512 /* filter values widened on the stack (1 KB with the DSP extension) */

/* ---------------------------------------------------------------- depth multiplier 1 */

typedef struct {
    size_t in_row, in_col; /* input bytes between taps */
    int32_t f_row, f_col;  /* filter elements between taps (widened words or int8 values) */
    int32_t off;           /* input offset */
} dw_step;

#ifdef EK_DSP
typedef uint32_t dw_f; /* (f0, f2) then (f1, f3) of each group of four channels */
#define DW_PER 2       /* words per group of four channels and tap */
#else
typedef int8_t dw_f;
#define DW_PER 4
#endif

#ifdef EK_DSP
#define DW_ACC __attribute__((noinline)) static /* out of line: the four sums stay in registers */
#else
#define DW_ACC EK_ALWAYS_INLINE
#endif

/* a[0..3] += four channels over an ny x nx window from ip (input) and fp (filter) */
DW_ACC void dw_acc4(const int8_t *ip, const dw_f *fp, int32_t ny, int32_t nx,
                              const dw_step *s, int32_t *a) {
    int32_t s0 = a[0], s1 = a[1], s2 = a[2], s3 = a[3];
#ifdef EK_DSP
    const int16x2_t offp = ek_offset2(s->off);
#endif
    const size_t in_col = s->in_col, in_row = s->in_row - (size_t)nx * in_col;
    const int32_t f_col = s->f_col, f_row = s->f_row - nx * f_col;
    for (int32_t ky = 0; ky < ny; ++ky, ip += in_row, fp += f_row) {
        for (int32_t kx = 0; kx < nx; ++kx, ip += in_col, fp += f_col) {
            const int8_t *xp = ip;
            const dw_f *wp = fp;
#ifdef EK_DSP
            const uint32_t xw = ek_load4(xp);
            const int16x2_t x02 = __sxtab16(offp, (int8x4_t)xw), x13 = ek_sxtab16_ror8(offp, xw);
            s0 = __smlabb(x02, (int16x2_t)wp[0], s0);
            s2 = __smlatt(x02, (int16x2_t)wp[0], s2);
            s1 = __smlabb(x13, (int16x2_t)wp[1], s1);
            s3 = __smlatt(x13, (int16x2_t)wp[1], s3);
#else
            s0 += (int32_t)wp[0] * ((int32_t)xp[0] + s->off);
            s1 += (int32_t)wp[1] * ((int32_t)xp[1] + s->off);
            s2 += (int32_t)wp[2] * ((int32_t)xp[2] + s->off);
            s3 += (int32_t)wp[3] * ((int32_t)xp[3] + s->off);
#endif
        }
    }
    a[0] = s0;
    a[1] = s1;
    a[2] = s2;
    a[3] = s3;
}

#ifdef EK_DSP
#define DW_TAP(xp, wp)                                                                       \
    do {                                                                                     \
        const uint32_t xw = ek_load4(xp);                                                    \
        const int16x2_t x02 = __sxtab16(offp, (int8x4_t)xw), x13 = ek_sxtab16_ror8(offp, xw); \
        s0 = __smlabb(x02, (int16x2_t)(wp)[0], s0);                                          \
        s2 = __smlatt(x02, (int16x2_t)(wp)[0], s2);                                          \
        s1 = __smlabb(x13, (int16x2_t)(wp)[1], s1);                                          \
        s3 = __smlatt(x13, (int16x2_t)(wp)[1], s3);                                          \
    } while (0)

/* dw_acc4 for a whole 3x3 window, unrolled: strides in registers, no loop counters */
DW_ACC void dw_acc4_3x3(const int8_t *ip, const dw_f *fp, size_t in_col, size_t in_row,
                        int32_t f_col, int32_t f_row, int32_t off, int32_t *a) {
    int32_t s0 = a[0], s1 = a[1], s2 = a[2], s3 = a[3];
    const int16x2_t offp = ek_offset2(off);
    for (int ky = 0; ky < 3; ++ky, ip += in_row, fp += f_row) {
        DW_TAP(ip, fp);
        DW_TAP(ip + in_col, fp + f_col);
        DW_TAP(ip + 2 * in_col, fp + 2 * f_col);
    }
    a[0] = s0;
    a[1] = s1;
    a[2] = s2;
    a[3] = s3;
}
#endif

#ifndef EK_DSP
/* eight channels of one output pixel from c, requantised (clamp to [lo, hi]) */
static void dw_out8(const int8_t *ip, const int8_t *fp, int32_t ny, int32_t nx, size_t in_row,
                    size_t in_col, size_t f_row, size_t f_col, int32_t off, int one,
                    const ek_rq *rq, int32_t lo, int32_t hi, int8_t *po) {
    int32_t a[8];
    for (int j = 0; j < 8; ++j) {
        a[j] = rq[j].bias;
    }
    ek_acc8_i8(ip, fp, ny, nx, in_row, in_col, f_row, f_col, (int16_t)off, one, a);
    for (int j = 0; j < 8; ++j) {
        po[j] = ek_rq_clamp(ek_rq_apply(a[j], &rq[j]), lo, hi, 0);
    }
}
#endif

/* every channel of one output pixel (window ny x nx from ip / fp), requantised */
EK_ALWAYS_INLINE void dw_pixel(const int8_t *ip, const dw_f *fp, int32_t ny, int32_t nx,
                               int32_t oc, const dw_step *s, const ek_rq *rq, int8_t *po,
                               int32_t lo, int32_t hi, int full) {
#ifndef EK_DSP
    if (oc % 8 == 0) {
        for (int32_t c = 0; c < oc; c += 8) {
            dw_out8(ip + c, fp + c, ny, nx, s->in_row, s->in_col, (size_t)s->f_row,
                    (size_t)s->f_col, s->off, 0, rq + c, lo, hi, po + c);
        }
        return;
    }
#endif
    for (int32_t c = 0; c < oc; c += 4, ip += 4, fp += DW_PER, rq += 4, po += 4) {
        int32_t a[4] = {rq[0].bias, rq[1].bias, rq[2].bias, rq[3].bias};
#ifdef EK_DSP
        if (ny == 3 && nx == 3) {
            dw_acc4_3x3(ip, fp, s->in_col, s->in_row, s->f_col, s->f_row, s->off, a);
        } else {
            dw_acc4(ip, fp, ny, nx, s, a);
        }
#else
        dw_acc4(ip, fp, ny, nx, s, a);
#endif
        for (int i = 0; i < 4; ++i) {
            po[i] = ek_rq_clamp(ek_rq_apply(a[i], &rq[i]), lo, hi, full);
        }
    }
}

static void dw_same_run(const ek_op *op, const conv_dims *d, const int8_t *in, const dw_f *fw,
                        const dw_step *s, const ek_rq *rq, int8_t *out) {
    const int32_t lo = op->act_min, hi = op->act_max, full = ek_rq_full(op);
    const int unroll = d->kh == 3 && d->kw == 3 && full;
    for (int32_t y = 0; y < d->oh; ++y) {
        int32_t y0, y1;
        ek_tap_range(y, op->stride_h, op->pad_h, op->dil_h, d->kh, d->ih, &y0, &y1);
        for (int32_t x = 0; x < d->ow; ++x, out += d->oc) {
            int32_t x0, x1;
            ek_tap_range(x, op->stride_w, op->pad_w, op->dil_w, d->kw, d->iw, &x0, &x1);
            const int32_t yy = y * op->stride_h - op->pad_h + y0 * op->dil_h;
            const int32_t xx = x * op->stride_w - op->pad_w + x0 * op->dil_w;
            const int8_t *ip = in + ((size_t)yy * d->iw + xx) * d->ic;
            const dw_f *fp = fw + y0 * s->f_row + x0 * s->f_col;
            if (unroll && y1 - y0 == 3 && x1 - x0 == 3) {
                dw_pixel(ip, fp, 3, 3, d->oc, s, rq, out, lo, hi, 1);
            } else {
                dw_pixel(ip, fp, y1 - y0, x1 - x0, d->oc, s, rq, out, lo, hi, 0);
            }
        }
    }
}

/* depth multiplier 1, channels a multiple of 4 */
DW_FRAME int dw_same(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d,
                   const ek_rq *rq) {
    const int32_t taps = d->kh * d->kw, oc = d->oc;
    if (op->depth_mult != 1 || oc % 4 != 0 || taps * oc > EK_DW_MAXF) {
        return 0;
    }
    const int8_t *f = (const int8_t *)ek_in(&ts[op->in[1]], work);
    dw_step s;
    s.in_row = (size_t)op->dil_h * d->iw * d->ic;
    s.in_col = (size_t)op->dil_w * d->ic;
    s.off = -ts[op->in[0]].zero_point;
#ifdef EK_DSP
    uint32_t fw[EK_DW_MAXF / 2];
    for (int32_t i = 0; i < taps * oc; i += 4) {
        const uint32_t w = ek_load4(f + i);
        fw[i / 2] = (uint32_t)__sxtb16((int8x4_t)w);
        fw[i / 2 + 1] = (uint32_t)ek_sxtb16_ror8(w);
    }
#else
    const int8_t *fw = f;
#endif
    s.f_col = oc / 4 * DW_PER;
    s.f_row = d->kw * s.f_col;
    dw_same_run(op, d, (const int8_t *)ek_in(&ts[op->in[0]], work), fw, &s, rq,
                (int8_t *)ek_out(&ts[op->out], work));
    return 1;
}

#ifdef EK_DSP
/* ---------------------------------------------------------------- 3x3, stride 1, assembly */

/*
 * 3x3 depthwise, depth multiplier 1, stride 1, no dilation, padding 0 or 1, the whole int8
 * range as the activation: one assembly loop over a run of output pixels of one row and one
 * group of four channels, 9 taps x (one word load, two SXTB16, one LDM of the two filter words,
 * four SMLAxy) plus the short requantisation, every value in a register (106 instructions per
 * pixel and group, 26.5 per output, where GCC's schedule of dw_acc4_3x3 took 74).
 *
 * Borders without branches: a pixel whose window leaves the input reads the nearest 3x3 block
 * inside it instead, against a filter block shifted to match, with zeros at the taps outside
 * (ek_tap_range's skipped taps): each (row class, column class) pair of the 9 has its own block.
 * The input offset is folded into the block's bias as offset x the filter's sum over the taps
 * the block keeps (the same integers), so the loop widens with SXTB16 alone. Filter and bias
 * are doubled, so the sum is 2 x acc, what SMMLAR takes (requant.h; |2 acc| < 2^31 there).
 */
#define DW3_WORDS 34 /* a block: 4 biases, 9 taps x 2 filter words, 4 x (mult, add, shift) */

typedef struct {
    int32_t c;          /* bytes between pixels (the channels) */
    int32_t in_row;     /* bytes between input rows */
    const int8_t *end;  /* p's value after the last pixel */
} dw3_args;

#define DW3_TAP(addr)                  \
    "ldr r8, " addr "\n\t"              \
    "ldm r1!, {r10, r11}\n\t"           \
    "sxtb16 r9, r8\n\t"                 \
    "sxtb16 r8, r8, ror #8\n\t"         \
    "smlabb r4, r9, r10, r4\n\t"        \
    "smlatt r6, r9, r10, r6\n\t"        \
    "smlabb r5, r8, r11, r5\n\t"        \
    "smlatt r7, r8, r11, r7\n\t"
#define DW3_ROW DW3_TAP("[r12]") DW3_TAP("[r12, r2]") DW3_TAP("[r12, r2, lsl #1]")
/* sum r's requantisation (its constants next in the block at r1), stored at out + i */
#define DW_RQ(r, out, i)                               \
    "ldm r1!, {r8-r10}\n\t"                           \
    EK_RQ_ASM("r8", r, "r8", "r9", "r10")              \
    "strb r8, [" out ", #" i "]\n\t"
#define DW3_RQ(r, i) DW_RQ(r, "lr", i)

/* AAPCS: p (the first pixel's 3x3 block, its group's first channel), blk, out in r0-r2, the
 * arguments in r3; at least one pixel. Registers: r0 p, r1 the block, r2 c, r3 in_row, r4-r7
 * the four sums, r8-r11 input and filter words, r12 the tap row, lr out; end on the stack. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* read by the assembly, from r0-r3 */
__attribute__((naked, noinline)) static void dw3_loop(const int8_t *p, const uint32_t *blk,
                                                      int8_t *out, const dw3_args *a) {
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "mov lr, r2\n\t"
        "ldr r2, [r3, #8]\n\t"
        "push {r2}\n\t"
        "ldr r2, [r3]\n\t"
        "ldr r3, [r3, #4]\n\t"
        "1:\n\t"
        "mov r12, r0\n\t"
        "ldm r1!, {r4-r7}\n\t"
        DW3_ROW
        "add r12, r12, r3\n\t"
        DW3_ROW
        "add r12, r12, r3\n\t"
        DW3_ROW
        DW3_RQ("r4", "0")
        DW3_RQ("r5", "1")
        DW3_RQ("r6", "2")
        DW3_RQ("r7", "3")
        "sub r1, r1, #136\n\t"
        "add lr, lr, r2\n\t"
        "add r0, r0, r2\n\t"
        "ldr r8, [sp]\n\t"
        "cmp r0, r8\n\t"
        "bne 1b\n\t"
        "add sp, sp, #4\n\t"
        "pop {r4-r11, pc}\n\t");
}
#pragma GCC diagnostic pop

static uint32_t dw3_pair(int32_t lo, int32_t hi) {
    return (uint32_t)(uint16_t)(int16_t)lo | (uint32_t)(uint16_t)(int16_t)hi << 16;
}

/* the block of channels c..c+3 for windows shifted by (dy, dx) from the block they read */
static void dw3_block(const int8_t *f, int32_t oc, int32_t c, int32_t dy, int32_t dx,
                      int32_t off, const ek_rq *rq, uint32_t *blk) {
    int32_t sum[4] = {0, 0, 0, 0};
    uint32_t *w = blk + 4;
    for (int32_t sr = 0; sr < 3; ++sr) {
        for (int32_t sc = 0; sc < 3; ++sc, w += 2) {
            const int32_t ky = sr - dy, kx = sc - dx;
            int32_t v[4] = {0, 0, 0, 0};
            if (ky >= 0 && ky < 3 && kx >= 0 && kx < 3) {
                const int8_t *t = f + (ky * 3 + kx) * oc + c;
                for (int j = 0; j < 4; ++j) {
                    v[j] = t[j];
                    sum[j] += t[j];
                }
            }
            w[0] = dw3_pair(2 * v[0], 2 * v[2]);
            w[1] = dw3_pair(2 * v[1], 2 * v[3]);
        }
    }
    for (int j = 0; j < 4; ++j) {
        const ek_rq *q = &rq[c + j];
        blk[j] = (uint32_t)(2 * (q->bias + off * sum[j]));
        blk[22 + 3 * j] = (uint32_t)q->mult;
        blk[23 + 3 * j] = (uint32_t)q->add;
        blk[24 + 3 * j] = (uint32_t)q->shift;
    }
}

/* the positions u (output index - padding) of a class: its windows start at u - shift in the
 * input; -1: [-1, -1], 0: [0, n - 3], 1: [n - 2, n - 2], cut to the layer's [-pad, n - 3 + pad] */
static void dw3_range(int32_t shift, int32_t n, int32_t pad, int32_t *lo, int32_t *hi) {
    *lo = shift < 0 ? -1 : (shift == 0 ? 0 : n - 2);
    *hi = shift < 0 ? -1 : (shift == 0 ? n - 3 : n - 2);
    if (*lo < -pad) {
        *lo = -pad;
    }
    if (*hi > n - 3 + pad) {
        *hi = n - 3 + pad;
    }
}

/* ---------------------------------------------------------------- 3x3 on planar rows */

/*
 * The same layers when a row fits DW3P_ROW: each input row is widened once (offset added) into
 * 16-bit planar rows, one per channel, with a zero column either side and zero rows for the
 * padding, three rows per channel; then per channel and output row one assembly loop over
 * runs of four output pixels, every load aligned with the row: per filter row one LDM of the
 * row's three filter words (w0, w1), (w1, w2), (w0, w2), three word loads (x0, x1), (x2, x3),
 * (x4, x5) and eight multiplies for the 12 MACs (SMLAD takes (x0, x1) x (w0, w1) for output 0
 * and (x2, x3) x (w1, w2) for output 1; SMLATB / SMLABT the single taps), then the short
 * requantisation of the four: 63 instructions per four outputs (15.75 an output; 19.5 with
 * pixel pairs and unaligned loads, 26.5 above). The rows rotate through the three slots; the
 * filter rows follow them.
 */
#define DW3P_ROW 40   /* bytes of a planar row: 20 halfwords, the input width + 2 (the
                       * assembly's offsets 32-80 are this) */
#define DW3P_CH 4     /* channels per pass: 4 x 3 rows x 40 bytes on the stack */

typedef struct {
    int32_t bias2[4];  /* 2 x bias, once per sum (one LDM) */
    uint32_t w[9];     /* per slot 0, 1, 2: (w0, w1), (w1, w2), (w0, w2) of the filter row there */
    int32_t mult, add, shift, c; /* requant.h's constants; output bytes between pixels */
} dw3p_par;

/* the assembly's constants: sizeof (dw3p_par) 68, DW3P_ROW 40 */
typedef char dw3p_par_is_68_bytes[sizeof(dw3p_par) == 68 && DW3P_ROW == 40 ? 1 : -1];

typedef struct {
    int32_t pstep; /* bytes from p after a channel's last run of four to the next channel's first */
    int32_t ostep; /* the same for out */
    int32_t nch;   /* channels (consecutive dw3p_par, planar rows 3 x DW3P_ROW apart) */
} dw3p_ctl;

/* one filter row (its words in r10-r12) against one planar row at p + 8 + o (r0 is p + 8):
 * A = (x0, x1), B = (x2, x3), C = (x4, x5); sums r4-r7 of outputs 0-3 */
#define DW3P_ROWMAC(a, b, c)          \
    "ldm r3!, {r10-r12}\n\t"           \
    a                                  \
    "ldr r9, [r0, #" b "]\n\t"         \
    "smlad r4, r8, r10, r4\n\t"        \
    "smlatb r5, r8, r12, r5\n\t"       \
    "ldr r8, [r0, #" c "]\n\t"         \
    "smlabt r4, r9, r12, r4\n\t"       \
    "smlad r5, r9, r11, r5\n\t"        \
    "smlad r6, r9, r10, r6\n\t"        \
    "smlatb r7, r9, r12, r7\n\t"       \
    "smlabt r6, r8, r12, r6\n\t"       \
    "smlad r7, r8, r11, r7\n\t"
/* r11 = sum r requantised (mult, add, shift in r8-r10) */
#define DW3P_RQ(r) EK_RQ_ASM("r11", r, "r8", "r9", "r10")

/* AAPCS: p (slot 0 at the first run's first tap), end (p after the last run), out, par (of
 * the first channel) in r0-r3, ctl on the stack; every channel of the pass, at least one run
 * of four each. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* read by the assembly, from r0-r3 / stack */
__attribute__((naked, noinline)) static void dw3p_loop(const int16_t *p, const int16_t *end,
                                                       int8_t *out, const dw3p_par *par,
                                                       const dw3p_ctl *ctl) {
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "ldr r4, [sp, #36]\n\t"
        "ldr r5, [r4, #8]\n\t"
        "push {r4, r5}\n\t"
        "1:\n\t"
        "ldm r3!, {r4-r7}\n\t"
        DW3P_ROWMAC("ldr r8, [r0], #8\n\t", "-4", "0")
        DW3P_ROWMAC("ldr r8, [r0, #32]\n\t", "36", "40")
        DW3P_ROWMAC("ldr r8, [r0, #72]\n\t", "76", "80")
        "ldm r3!, {r8-r10, r12}\n\t"
        DW3P_RQ("r4") "strb r11, [r2]\n\t"
        DW3P_RQ("r5") "strb r11, [r2, r12]\n\t"
        DW3P_RQ("r6") "strb r11, [r2, r12, lsl #1]\n\t"
        "add r2, r2, r12, lsl #1\n\t"
        DW3P_RQ("r7") "strb r11, [r2, r12]\n\t"
        "add r2, r2, r12, lsl #1\n\t"
        "sub r3, r3, #68\n\t" /* sizeof (dw3p_par) */
        "cmp r0, r1\n\t"
        "bne 1b\n\t"
        "ldr r4, [sp]\n\t" /* the next channel */
        "ldr r5, [r4]\n\t"
        "add r0, r0, r5\n\t"
        "add r1, r1, #120\n\t" /* 3 x DW3P_ROW */
        "ldr r5, [r4, #4]\n\t"
        "add r2, r2, r5\n\t"
        "add r3, r3, #68\n\t"
        "ldr r5, [sp, #4]\n\t"
        "subs r5, r5, #1\n\t"
        "str r5, [sp, #4]\n\t"
        "bne 1b\n\t"
        "add sp, sp, #8\n\t"
        "pop {r4-r11, pc}\n\t");
}
#pragma GCC diagnostic pop

/* input row r (zeros outside [0, ih)) into slot s of the pass's planar rows (channels c0 ..
 * c0 + 3), offset added: per two pixels two word loads, four SXTAB16, four halfword packs */
static void dw3p_row(const int8_t *in, const conv_dims *d, int32_t r, int32_t c0,
                     int16x2_t offp, int16_t *buf, int32_t s) {
    int16_t *row[4];
    for (int32_t c = 0; c < 4; ++c) {
        row[c] = buf + (c * 3 + s) * (DW3P_ROW / 2) + 1;
    }
    if (r < 0 || r >= d->ih) {
        for (int32_t c = 0; c < 4; ++c) {
            memset(row[c], 0, (size_t)d->iw * sizeof(int16_t));
        }
        return;
    }
    const int8_t *ip = in + (size_t)r * d->iw * d->ic + c0;
    const size_t ic = (size_t)d->ic;
    const int32_t iw = d->iw;
    int32_t x = 0;
    for (; x + 2 <= iw; x += 2, ip += 2 * ic) {
        const uint32_t v0 = ek_load4(ip), v1 = ek_load4(ip + ic);
        const uint32_t a02 = (uint32_t)__sxtab16(offp, (int8x4_t)v0);
        const uint32_t a13 = (uint32_t)ek_sxtab16_ror8(offp, v0);
        const uint32_t b02 = (uint32_t)__sxtab16(offp, (int8x4_t)v1);
        const uint32_t b13 = (uint32_t)ek_sxtab16_ror8(offp, v1);
        uint32_t w0, w1, w2, w3; /* PKHBT / PKHTB: GCC builds these from UXTH, AND and ORR */
        __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(w0) : "r"(a02), "r"(b02));
        __asm__("pkhtb %0, %2, %1, asr #16" : "=r"(w2) : "r"(a02), "r"(b02));
        __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(w1) : "r"(a13), "r"(b13));
        __asm__("pkhtb %0, %2, %1, asr #16" : "=r"(w3) : "r"(a13), "r"(b13));
        memcpy(row[0] + x, &w0, 4); /* STR: the M4 stores unaligned words */
        memcpy(row[1] + x, &w1, 4);
        memcpy(row[2] + x, &w2, 4);
        memcpy(row[3] + x, &w3, 4);
    }
    if (x < iw) { /* an odd width's last pixel */
        const int32_t o = (int16_t)(uint16_t)(uint32_t)offp;
        for (int32_t c = 0; c < 4; ++c) {
            row[c][x] = (int16_t)(ip[c] + o);
        }
    }
}

DW_FRAME int dw3p(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d,
                  const ek_rq *rq) {
    if (op->depth_mult != 1 || d->oc % 4 != 0 || d->kh != 3 || d->kw != 3 ||
        op->stride_h != 1 || op->stride_w != 1 || op->dil_h != 1 || op->dil_w != 1 ||
        op->pad_h > 1 || op->pad_w > 1 || d->iw + 2 > DW3P_ROW / 2 || d->ow < 4 || d->oh < 1 ||
        !ek_rq_full(op)) {
        return 0;
    }
    const int8_t *f = (const int8_t *)ek_in(&ts[op->in[1]], work);
    const int8_t *in = (const int8_t *)ek_in(&ts[op->in[0]], work);
    int8_t *out = (int8_t *)ek_out(&ts[op->out], work);
    const int32_t oc = d->oc, ph = op->pad_h, pw = op->pad_w;
    /* runs of four over the even part of the row; where it is not a multiple of four, one
     * more run ending with it, overlapping the last (the same values written twice) */
    const int32_t even = d->ow & ~1, runs = even / 4, last = even % 4 != 0 ? even - 4 : -1;
    const int16x2_t offp = ek_offset2(-ts[op->in[0]].zero_point);
    uint32_t words[DW3P_CH * 3 * DW3P_ROW / 4];
    int16_t *buf = (int16_t *)(void *)words;
    dw3p_par par[3][DW3P_CH]; /* per rotation of the slots, per channel */
    dw3p_ctl ctl, one;
    ctl.pstep = 3 * DW3P_ROW - 8 * runs;
    ctl.ostep = 1 - 4 * runs * oc;
    one.pstep = 3 * DW3P_ROW - 8;
    one.ostep = 1 - 4 * oc;
    ctl.nch = one.nch = DW3P_CH;
    for (int32_t c0 = 0; c0 < oc; c0 += DW3P_CH) {
        for (int32_t i = 0; i < DW3P_CH * 3 * DW3P_ROW / 4; ++i) {
            words[i] = 0; /* the zero columns */
        }
        for (int32_t c = 0; c < DW3P_CH; ++c) {
            const ek_rq *q = &rq[c0 + c];
            const int8_t *fc = f + c0 + c;
            for (int32_t t = 0; t < 3; ++t) { /* slot s holds filter row (s - t) mod 3 */
                dw3p_par *pc = &par[t][c];
                for (int32_t j = 0; j < 4; ++j) {
                    pc->bias2[j] = 2 * q->bias;
                }
                pc->mult = q->mult;
                pc->add = q->add;
                pc->shift = q->shift;
                pc->c = oc;
                for (int32_t sl = 0; sl < 3; ++sl) {
                    const int32_t k = (sl - t + 3) % 3;
                    const int32_t w0 = 2 * fc[k * 3 * oc], w1 = 2 * fc[(k * 3 + 1) * oc];
                    const int32_t w2 = 2 * fc[(k * 3 + 2) * oc];
                    pc->w[3 * sl] = dw3_pair(w0, w1);
                    pc->w[3 * sl + 1] = dw3_pair(w1, w2);
                    pc->w[3 * sl + 2] = dw3_pair(w0, w2);
                }
            }
        }
        for (int32_t k = 0; k < 2; ++k) { /* input rows -ph, 1 - ph in slots 0, 1 */
            dw3p_row(in, d, k - ph, c0, offp, buf, k);
        }
        for (int32_t y = 0; y < d->oh; ++y) {
            /* input row r in slot (r + ph) % 3: the new row y + 2 - ph in slot (y + 2) % 3 */
            dw3p_row(in, d, y + 2 - ph, c0, offp, buf, (y + 2) % 3);
            const int32_t t = y % 3;
            const int16_t *p = buf + (1 - pw);
            int8_t *po = out + (size_t)y * d->ow * oc + c0;
            dw3p_loop(p, p + 4 * runs, po, par[t], &ctl);
            if (last >= 0) {
                dw3p_loop(p + last, p + last + 4, po + (size_t)last * oc, par[t], &one);
            }
            for (int32_t c = 0; c < DW3P_CH && d->ow % 2 != 0; ++c) { /* an odd last pixel */
                const int32_t x = d->ow - 1;
                const int16_t *pc = p + c * 3 * (DW3P_ROW / 2);
                int32_t acc = 2 * rq[c0 + c].bias;
                for (int32_t sl = 0; sl < 3; ++sl) {
                    const int16_t *row = pc + sl * (DW3P_ROW / 2) + x;
                    const int8_t *fk = f + c0 + c + ((sl - t + 3) % 3) * 3 * oc;
                    acc += 2 * (fk[0] * row[0] + fk[oc] * row[1] + fk[2 * oc] * row[2]);
                }
                po[(size_t)x * oc + c] = (int8_t)__ssat(ek_rq_apply(acc / 2, &rq[c0 + c]), 8);
            }
        }
    }
    return 1;
}

DW_FRAME int dw3(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d,
                 const ek_rq *rq) {
    const int32_t oc = d->oc;
    if (op->depth_mult != 1 || oc % 4 != 0 || d->kh != 3 || d->kw != 3 || op->stride_h != 1 ||
        op->stride_w != 1 || op->dil_h != 1 || op->dil_w != 1 || op->pad_h > 1 ||
        op->pad_w > 1 || d->ih < 3 || d->iw < 3 || !ek_rq_full(op)) {
        return 0;
    }
    const int8_t *f = (const int8_t *)ek_in(&ts[op->in[1]], work);
    const int8_t *in = (const int8_t *)ek_in(&ts[op->in[0]], work);
    int8_t *out = (int8_t *)ek_out(&ts[op->out], work);
    const int32_t off = -ts[op->in[0]].zero_point;
    uint32_t blk[DW3_WORDS];
    dw3_args a;
    a.c = oc;
    a.in_row = d->iw * oc;
    for (int32_t dy = -1; dy <= 1; ++dy) {
        int32_t ulo, uhi;
        dw3_range(dy, d->ih, op->pad_h, &ulo, &uhi);
        for (int32_t dx = -1; dx <= 1 && ulo <= uhi; ++dx) {
            int32_t vlo, vhi;
            dw3_range(dx, d->iw, op->pad_w, &vlo, &vhi);
            for (int32_t c = 0; c < oc && vlo <= vhi; c += 4) {
                dw3_block(f, oc, c, dy, dx, off, rq, blk);
                for (int32_t u = ulo; u <= uhi; ++u) {
                    const int8_t *p = in + ((size_t)(u - dy) * d->iw + (size_t)(vlo - dx)) * oc + c;
                    a.end = p + (size_t)(vhi - vlo + 1) * oc;
                    dw3_loop(p, blk, out + ((size_t)(u + op->pad_h) * d->ow + (size_t)(vlo + op->pad_w)) * oc + c, &a);
                }
            }
        }
    }
    return 1;
}
#endif

#ifdef EK_DSP
/* ---------------------------------------------------------------- one channel, 4 wide, asm */

/*
 * One input channel, filter 4 wide, no padding, the whole int8 range (DS-CNN's first layer):
 * one assembly loop over a run of output pixels of a row, four output channels at a time. Per
 * filter row one word load brings the 4 taps, two SXTB16 widen them, two LDM bring the four
 * channels' filter words and eight SMLAD take the 16 MACs (15 instructions, two rows a pass);
 * then the short requantisation. The input offset is folded into the bias (offset x the filter's sum: every
 * tap is inside), filter and bias doubled for SMMLAR (requant.h).
 */
typedef struct {
    int32_t in_row;    /* input bytes between rows */
    int32_t rows;      /* kh x in_row */
    int32_t step;      /* input bytes between output pixels (stride_w) */
    int32_t oc;        /* output bytes between pixels */
    const int8_t *end; /* p's value after the last pixel */
    int32_t odd;       /* kh is odd */
} dw1_args;

#define DW1_RQ(r, i) DW_RQ(r, "r11", i)

/* AAPCS: p (the first pixel's window), blk, out in r0-r2, the arguments in r3; at least one
 * pixel. Registers in the row loop: r0 the row, r1 the block, r2 in_row, r3 the window's end,
 * r4-r7 the four sums, r8-r9 the widened taps, r10-r12 and lr filter words; p, blk, out and
 * the arguments on the stack. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* read by the assembly, from r0-r3 */
__attribute__((naked, noinline)) static void dw1_loop(const int8_t *p, const uint32_t *blk,
                                                      int8_t *out, const dw1_args *a) {
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "push {r0-r3}\n\t"
        "1:\n\t"
        "ldr r3, [sp, #12]\n\t"
        "ldr r2, [r3]\n\t"
        "ldr r12, [r3, #20]\n\t"
        "ldr r0, [sp]\n\t"
        "ldr r1, [sp, #4]\n\t"
        "ldr r3, [r3, #4]\n\t"
        "add r3, r3, r0\n\t"
        "ldm r1!, {r4-r7}\n\t"
        "cmp r12, #0\n\t" /* an odd number of rows: the loop entered at its second row */
        "bne 3f\n\t"
        "2:\n\t"
        "ldr r8, [r0]\n\t"
        "add r0, r0, r2\n\t"
        "sxtb16 r9, r8\n\t"
        "sxtb16 r8, r8, ror #8\n\t"
        "ldm r1!, {r10-r12, lr}\n\t"
        "smlad r4, r9, r10, r4\n\t"
        "smlad r4, r8, r11, r4\n\t"
        "smlad r5, r9, r12, r5\n\t"
        "smlad r5, r8, lr, r5\n\t"
        "ldm r1!, {r10-r12, lr}\n\t"
        "smlad r6, r9, r10, r6\n\t"
        "smlad r6, r8, r11, r6\n\t"
        "smlad r7, r9, r12, r7\n\t"
        "smlad r7, r8, lr, r7\n\t"
        "3:\n\t"
        "ldr r8, [r0]\n\t"
        "add r0, r0, r2\n\t"
        "sxtb16 r9, r8\n\t"
        "sxtb16 r8, r8, ror #8\n\t"
        "ldm r1!, {r10-r12, lr}\n\t"
        "smlad r4, r9, r10, r4\n\t"
        "smlad r4, r8, r11, r4\n\t"
        "smlad r5, r9, r12, r5\n\t"
        "smlad r5, r8, lr, r5\n\t"
        "ldm r1!, {r10-r12, lr}\n\t"
        "smlad r6, r9, r10, r6\n\t"
        "smlad r6, r8, r11, r6\n\t"
        "smlad r7, r9, r12, r7\n\t"
        "smlad r7, r8, lr, r7\n\t"
        "cmp r0, r3\n\t"
        "bne 2b\n\t"
        "ldr r11, [sp, #8]\n\t"
        DW1_RQ("r4", "0")
        DW1_RQ("r5", "1")
        DW1_RQ("r6", "2")
        DW1_RQ("r7", "3")
        "ldr r3, [sp, #12]\n\t"
        "ldr r12, [r3, #12]\n\t"
        "add r11, r11, r12\n\t"
        "str r11, [sp, #8]\n\t"
        "ldr r12, [r3, #8]\n\t"
        "ldr r0, [sp]\n\t"
        "add r0, r0, r12\n\t"
        "str r0, [sp]\n\t"
        "ldr r12, [r3, #16]\n\t"
        "cmp r0, r12\n\t"
        "bne 1b\n\t"
        "add sp, sp, #16\n\t"
        "pop {r4-r11, pc}\n\t");
}
#pragma GCC diagnostic pop

#define DW1_MAXH 16 /* filter rows: a block is 4 biases, 8 words per row, 4 x 3 (576 B) */

DW_FRAME int dw1(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d,
                 const ek_rq *rq) {
    const int32_t oc = d->oc, kh = d->kh;
    if (d->ic != 1 || oc % 4 != 0 || d->kw != 4 || kh > DW1_MAXH || op->dil_h != 1 ||
        op->dil_w != 1 || op->pad_h != 0 || op->pad_w != 0 || !ek_rq_full(op) ||
        (d->oh - 1) * op->stride_h + kh > d->ih || (d->ow - 1) * op->stride_w + 4 > d->iw) {
        return 0;
    }
    const int8_t *f = (const int8_t *)ek_in(&ts[op->in[1]], work);
    const int8_t *in = (const int8_t *)ek_in(&ts[op->in[0]], work);
    int8_t *out = (int8_t *)ek_out(&ts[op->out], work);
    const int32_t off = -ts[op->in[0]].zero_point;
    uint32_t blk[4 + DW1_MAXH * 8 + 12];
    dw1_args a;
    a.in_row = d->iw;
    a.rows = kh * d->iw;
    a.step = op->stride_w;
    a.oc = oc;
    a.odd = kh % 2;
    for (int32_t c = 0; c < oc; c += 4) {
        uint32_t *w = blk + 4, *r = blk + 4 + kh * 8;
        for (int32_t j = 0; j < 4; ++j) {
            int32_t sum = 0;
            for (int32_t ky = 0; ky < kh; ++ky) {
                const int8_t *t = f + (size_t)ky * 4 * oc + c + j;
                sum += t[0] + t[oc] + t[2 * oc] + t[3 * oc];
                w[ky * 8 + 2 * j] = dw3_pair(2 * t[0], 2 * t[2 * oc]);
                w[ky * 8 + 2 * j + 1] = dw3_pair(2 * t[oc], 2 * t[3 * oc]);
            }
            blk[j] = (uint32_t)(2 * (rq[c + j].bias + off * sum));
            r[3 * j] = (uint32_t)rq[c + j].mult;
            r[3 * j + 1] = (uint32_t)rq[c + j].add;
            r[3 * j + 2] = (uint32_t)rq[c + j].shift;
        }
        for (int32_t y = 0; y < d->oh; ++y) {
            const int8_t *p = in + (size_t)y * op->stride_h * d->iw;
            a.end = p + (size_t)d->ow * op->stride_w;
            dw1_loop(p, blk, out + (size_t)y * d->ow * oc + c, &a);
        }
    }
    return 1;
}
#endif

/* ---------------------------------------------------------------- one input channel */

/* a[0..3] += four output channels over the kh x kw window at ip (all taps inside) */
DW_ACC void dw_one_acc4(const int8_t *ip, const dw_f *fp, int32_t kh, int32_t groups,
                                  int32_t iw, int32_t oc, int32_t off, int32_t *a) {
    int32_t s0 = a[0], s1 = a[1], s2 = a[2], s3 = a[3];
#ifdef EK_DSP
    const int16x2_t offp = ek_offset2(off);
    const int32_t row = iw - 4 * groups; /* input bytes from a row's last group to the next row */
    (void)oc;
    for (int32_t u = 0, g = 0, n = kh * groups; u < n; ++u, fp += 8) {
        const uint32_t xw = ek_load4(ip);
        const int16x2_t x02 = __sxtab16(offp, (int8x4_t)xw), x13 = ek_sxtab16_ror8(offp, xw);
        s0 = __smlad((int16x2_t)fp[1], x13, __smlad((int16x2_t)fp[0], x02, s0));
        s1 = __smlad((int16x2_t)fp[3], x13, __smlad((int16x2_t)fp[2], x02, s1));
        s2 = __smlad((int16x2_t)fp[5], x13, __smlad((int16x2_t)fp[4], x02, s2));
        s3 = __smlad((int16x2_t)fp[7], x13, __smlad((int16x2_t)fp[6], x02, s3));
        ip += 4;
        if (++g == groups) { /* next row */
            g = 0;
            ip += row;
        }
    }
#else
    for (int32_t ky = 0; ky < kh; ++ky, ip += iw) {
        for (int32_t kx = 0; kx < 4 * groups; ++kx, fp += oc) {
            const int32_t v = (int32_t)ip[kx] + off;
            s0 += (int32_t)fp[0] * v;
            s1 += (int32_t)fp[1] * v;
            s2 += (int32_t)fp[2] * v;
            s3 += (int32_t)fp[3] * v;
        }
    }
#endif
    a[0] = s0;
    a[1] = s1;
    a[2] = s2;
    a[3] = s3;
}

static void dw_one_run(const ek_op *op, const conv_dims *d, const int8_t *in, int32_t off,
                       const dw_f *fw, const ek_rq *rq, int8_t *out) {
    const int32_t lo = op->act_min, hi = op->act_max, full = ek_rq_full(op), oc = d->oc;
    const int32_t groups = d->kw / 4;
#ifdef EK_DSP
    const int32_t f_group = d->kh * groups * 8; /* words per group of four channels */
#else
    const int32_t f_group = 4;
#endif
    for (int32_t y = 0; y < d->oh; ++y) {
        const int8_t *row = in + (size_t)y * op->stride_h * d->iw;
        for (int32_t x = 0; x < d->ow; ++x, out += oc) {
            const int8_t *ip = row + (size_t)x * op->stride_w;
#ifndef EK_DSP
            if (oc % 8 == 0) {
                for (int32_t c = 0; c < oc; c += 8) {
                    dw_out8(ip, fw + c, d->kh, d->kw, (size_t)d->iw, 1, (size_t)d->kw * oc,
                            (size_t)oc, off, 1, rq + c, lo, hi, out + c);
                }
                continue;
            }
#endif
            for (int32_t c = 0; c < oc; c += 4) {
                const ek_rq *q = rq + c;
                int32_t a[4] = {q[0].bias, q[1].bias, q[2].bias, q[3].bias};
                dw_one_acc4(ip, fw + c / 4 * f_group, d->kh, groups, d->iw, oc, off, a);
                for (int i = 0; i < 4; ++i) {
                    out[c + i] = full ? ek_rq_clamp(ek_rq_apply(a[i], &q[i]), lo, hi, 1)
                                      : ek_rq_clamp(ek_rq_apply(a[i], &q[i]), lo, hi, 0);
                }
            }
        }
    }
}

/* one input channel, all taps inside the input, filter width a multiple of 4 */
DW_FRAME int dw_one(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d,
                  const ek_rq *rq) {
    const int32_t oc = d->oc;
    if (d->ic != 1 || oc % 4 != 0 || d->kw % 4 != 0 || op->dil_h != 1 || op->dil_w != 1 ||
        op->pad_h != 0 || op->pad_w != 0 || d->kh * d->kw * oc > EK_DW_MAXF ||
        (d->oh - 1) * op->stride_h + d->kh > d->ih || (d->ow - 1) * op->stride_w + d->kw > d->iw) {
        return 0;
    }
    const int8_t *f = (const int8_t *)ek_in(&ts[op->in[1]], work);
#ifdef EK_DSP
    /* per group of four channels c..c+3, per row, per four taps: for each channel the words
     * (tap 0, tap 2), (tap 1, tap 3), the order SXTAB16 gives the input */
    uint32_t fw[EK_DW_MAXF / 2];
    uint32_t *w = fw;
    for (int32_t c = 0; c < oc; c += 4) {
        for (int32_t ky = 0; ky < d->kh; ++ky) {
            for (int32_t kx = 0; kx < d->kw; kx += 4) {
                const int8_t *t = f + ((size_t)ky * d->kw + kx) * oc + c;
                for (int32_t j = 0; j < 4; ++j, w += 2) {
                    w[0] = (uint16_t)t[j] | (uint32_t)(uint16_t)t[2 * oc + j] << 16;
                    w[1] = (uint16_t)t[oc + j] | (uint32_t)(uint16_t)t[3 * oc + j] << 16;
                }
            }
        }
    }
#else
    const int8_t *fw = f;
#endif
    dw_one_run(op, d, (const int8_t *)ek_in(&ts[op->in[0]], work), -ts[op->in[0]].zero_point, fw,
               rq, (int8_t *)ek_out(&ts[op->out], work));
    return 1;
}

int ek_dwconv_wide(const ek_op *op, const ek_tensor *ts, uint8_t *work, const conv_dims *d) {
    const int32_t *bias = op->in[2] >= 0 ? (const int32_t *)ek_in(&ts[op->in[2]], work) : NULL;
    ek_rq rq[EK_RQ_MAX];
    if (!ek_rq_prepare(op, d->oc, ts[op->out].zero_point, bias, d->kh * d->kw, rq)) {
        return 0;
    }
#ifdef EK_DSP
    if (dw3p(op, ts, work, d, rq) || dw3(op, ts, work, d, rq) || dw1(op, ts, work, d, rq)) {
        return 1;
    }
#endif
    return dw_same(op, ts, work, d, rq) || dw_one(op, ts, work, d, rq);
}
