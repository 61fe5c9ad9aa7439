/*
 * Host example: read feature vectors from a file, run the generated ensemble under a policy,
 * print label, members run, why it stopped and the logits per input.
 *
 *   host FEATURES.f32 [--raw] [--max-members K] [--budget-macs M] [--deadline-us U]
 *        [--margin T] [--fake-us U] [--repeat N]
 *
 * FEATURES.f32: little-endian float32, inputs one after another, each [steps][channels] as in
 * edgekit_model.h (a file that is empty or not a whole number of inputs is refused). --raw:
 * apply the model's normalisation first (features as the data files hold them); otherwise they
 * are already normalised. The policy flags are the Python runtime's (edgekit run), with the
 * deadline in microseconds. --fake-us U: a clock that advances U us per reading
 * (deterministic deadlines for tests); otherwise CLOCK_MONOTONIC. --repeat N: run each input N
 * times and also print mean_us, the mean wall time of one run (for benchmarks).
 *
 * Exit codes: 0 ok, 1 the runtime failed, 2 bad arguments or input file.
 */
#define _POSIX_C_SOURCE 199309L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgekit.h"
#include "edgekit_model.h"

/* the only working memory the runtime uses (8-byte aligned through the union) */
static union {
    double align;
    uint8_t bytes[EK_MODEL_ARENA_BYTES];
} arena;
static float features[EK_MODEL_INPUT_STEPS * EK_MODEL_INPUT_CHANNELS];

static uint32_t monotonic_us(void *ctx) {
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

static uint32_t fake_us(void *ctx) {
    uint32_t *state = (uint32_t *)ctx; /* [now, step] */
    state[0] += state[1];
    return state[0];
}

/* a whole decimal integer in [lo, hi], or an error naming the flag */
static int parse_int(const char *flag, const char *text, long long lo, long long hi, long long *out) {
    char *end = NULL;
    errno = 0;
    const long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "%s: expected a whole number from %lld to %lld, got '%s'\n", flag, lo, hi, text);
        return 0;
    }
    *out = v;
    return 1;
}

static int parse_positive(const char *flag, const char *text, float *out) {
    char *end = NULL;
    errno = 0;
    const double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v > 0.0) || !isfinite(v) || v > 3.4e38) {
        fprintf(stderr, "%s: expected a positive number, got '%s'\n", flag, text);
        return 0;
    }
    *out = (float)v;
    return 1;
}

static int known_flag(const char *flag) {
    static const char *const flags[] = {"--max-members", "--budget-macs", "--deadline-us",
                                        "--margin", "--repeat", "--fake-us"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; ++i) {
        if (strcmp(flag, flags[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    ek_policy policy;
    uint32_t fake[2];
    int raw;
    long long repeat;
} options;

static int parse_args(int argc, char **argv, options *o) {
    for (int i = 2; i < argc; ++i) {
        const char *flag = argv[i];
        long long v = 0;
        if (strcmp(flag, "--raw") == 0) {
            o->raw = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "%s: unknown argument or missing value\n", flag);
            return 0;
        }
        const char *val = argv[++i];
        if (strcmp(flag, "--max-members") == 0 && parse_int(flag, val, 1, 1000000, &v)) {
            o->policy.max_members = (int32_t)v;
        } else if (strcmp(flag, "--budget-macs") == 0 && parse_int(flag, val, 1, INT64_MAX, &v)) {
            o->policy.budget_macs = (int64_t)v;
        } else if (strcmp(flag, "--deadline-us") == 0 && parse_int(flag, val, 1, UINT32_MAX, &v)) {
            o->policy.deadline_us = (uint32_t)v;
        } else if (strcmp(flag, "--margin") == 0 && parse_positive(flag, val, &o->policy.margin)) {
            continue;
        } else if (strcmp(flag, "--repeat") == 0 && parse_int(flag, val, 1, 1000000, &v)) {
            o->repeat = v;
        } else if (strcmp(flag, "--fake-us") == 0 && parse_int(flag, val, 0, 1000000, &v)) {
            o->fake[1] = (uint32_t)v;
            o->policy.clock = fake_us;
            o->policy.clock_ctx = o->fake;
        } else {
            if (!known_flag(flag)) {
                fprintf(stderr, "%s: unknown argument\n", flag);
            }
            return 0; /* a known flag's parser has said what is wrong with its value */
        }
    }
    return 1;
}

/* the number of whole inputs in the file, or -1 (said why) when it is empty or has a tail */
static long count_inputs(FILE *fh, const char *path) {
    const long input_bytes = (long)sizeof features;
    if (fseek(fh, 0, SEEK_END) != 0) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    const long size = ftell(fh);
    rewind(fh);
    if (size <= 0 || size % input_bytes != 0) {
        fprintf(stderr, "%s: %ld bytes is not a whole number of inputs (%d x %d float32 = %ld bytes each)\n",
                path, size, EK_MODEL_INPUT_STEPS, EK_MODEL_INPUT_CHANNELS, input_bytes);
        return -1;
    }
    return size / input_bytes;
}

static void print_row(const ek_result *res, const float *logits, long long repeat, double mean_us) {
    printf("label=%d members=%d stopped=%s elapsed_us=%u macs=%lld ", (int)res->label,
           (int)res->members_run, ek_stop_reason_name(res->stopped_by), (unsigned)res->elapsed_us,
           (long long)res->macs);
    if (repeat > 1) {
        printf("mean_us=%.3f ", mean_us);
    }
    printf("logits=");
    for (int j = 0; j < EK_MODEL_NUM_CLASSES; ++j) {
        printf("%s%.9g", j ? "," : "", (double)logits[j]);
    }
    printf(" class=%s\n", ek_model_class_names[res->label]); /* last: names may have spaces */
}

int main(int argc, char **argv) {
    options o = {{0, 0, 0u, 0.0f, monotonic_us, NULL}, {0u, 0u}, 0, 1};
    if (argc < 2 || !parse_args(argc, argv, &o)) {
        fprintf(stderr, "usage: %s FEATURES.f32 [--raw] [--max-members K] [--budget-macs M] "
                        "[--deadline-us U] [--margin T] [--fake-us U] [--repeat N]\n", argv[0]);
        return 2;
    }
    ek_runtime rt;
    ek_status s = ek_prepare(&rt, &ek_model, arena.bytes, sizeof arena.bytes);
    if (s != EK_OK) {
        fprintf(stderr, "ek_prepare failed with status %d\n", (int)s);
        return 1;
    }
    FILE *fh = fopen(argv[1], "rb");
    if (fh == NULL) {
        fprintf(stderr, "%s: cannot open\n", argv[1]);
        return 2;
    }
    const long n = count_inputs(fh, argv[1]);
    float logits[EK_MODEL_NUM_CLASSES];
    for (long i = 0; i < n; ++i) {
        if (fread(features, sizeof features, 1, fh) != 1) {
            fprintf(stderr, "%s: read failed at input %ld\n", argv[1], i);
            fclose(fh);
            return 2;
        }
        if (o.raw) {
            ek_normalize(&ek_model, features);
        }
        ek_result res;
        const uint32_t t0 = monotonic_us(NULL);
        for (long long r = 0; r < o.repeat && s == EK_OK; ++r) {
            s = ek_run(&rt, features, &o.policy, logits, &res);
        }
        const double mean_us = (double)(uint32_t)(monotonic_us(NULL) - t0) / (double)o.repeat;
        if (s != EK_OK) {
            fprintf(stderr, "input %ld: ek_run failed with status %d\n", i, (int)s);
            fclose(fh);
            return 1;
        }
        print_row(&res, logits, o.repeat, mean_us);
    }
    fclose(fh);
    return n > 0 ? 0 : 2;
}
