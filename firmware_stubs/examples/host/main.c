/*
 * Host example: read feature vectors from a file, run the generated ensemble under a policy,
 * print label, members run and logits per input.
 *
 *   host FEATURES.f32 [--raw] [--max-members K] [--margin T] [--budget-us U] [--fake-us U]
 *        [--repeat N]
 *
 * FEATURES.f32: little-endian float32, inputs one after another, each [steps][channels] as in
 * edgekit_model.h. --raw: apply the model's normalisation first (features as the data files
 * hold them); otherwise they are already normalised. --fake-us U: a clock that advances U us
 * per reading (deterministic budgets for tests); otherwise CLOCK_MONOTONIC. --repeat N: run each
 * input N times and also print mean_us, the mean wall time of one run (for benchmarks).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgekit.h"
#include "edgekit_model.h"

/* the only working memory ek_run uses (8-byte aligned through the union) */
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

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FEATURES.f32 [--raw] [--max-members K] [--margin T] "
                        "[--budget-us U] [--fake-us U]\n", argv[0]);
        return 2;
    }
    ek_policy policy = {0, 0u, 0.0f, monotonic_us, NULL};
    uint32_t fake[2] = {0u, 0u};
    int raw = 0;
    long repeat = 1;
    for (int i = 2; i < argc; ++i) {
        if (strcmp(argv[i], "--raw") == 0) {
            raw = 1;
        } else if (i + 1 < argc && strcmp(argv[i], "--max-members") == 0) {
            policy.max_members = atoi(argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--margin") == 0) {
            policy.margin = (float)atof(argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--budget-us") == 0) {
            policy.budget_us = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (i + 1 < argc && strcmp(argv[i], "--repeat") == 0) {
            repeat = strtol(argv[++i], NULL, 10);
            if (repeat < 1) {
                fprintf(stderr, "--repeat must be >= 1\n");
                return 2;
            }
        } else if (i + 1 < argc && strcmp(argv[i], "--fake-us") == 0) {
            fake[1] = (uint32_t)strtoul(argv[++i], NULL, 10);
            policy.clock = fake_us;
            policy.clock_ctx = fake;
        } else {
            fprintf(stderr, "unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    FILE *fh = fopen(argv[1], "rb");
    if (fh == NULL) {
        fprintf(stderr, "%s: cannot open\n", argv[1]);
        return 2;
    }
    const size_t n = (size_t)EK_MODEL_INPUT_STEPS * EK_MODEL_INPUT_CHANNELS;
    float logits[EK_MODEL_NUM_CLASSES];
    int count = 0;
    while (fread(features, sizeof(float), n, fh) == n) {
        if (raw) {
            ek_normalize(&ek_model, features);
        }
        ek_result res;
        ek_status s = EK_OK;
        const uint32_t t0 = monotonic_us(NULL);
        for (long r = 0; r < repeat && s == EK_OK; ++r) {
            s = ek_run(&ek_model, features, &policy, arena.bytes, sizeof arena.bytes, logits, &res);
        }
        const double mean_us = (double)(uint32_t)(monotonic_us(NULL) - t0) / (double)repeat;
        if (s != EK_OK) {
            fprintf(stderr, "input %d: ek_run failed with status %d\n", count, (int)s);
            fclose(fh);
            return 1;
        }
        printf("label=%d members=%d stopped=%d elapsed_us=%u ", res.label, res.members_run,
               (int)res.stopped_by, (unsigned)res.elapsed_us);
        if (repeat > 1) {
            printf("mean_us=%.2f ", mean_us);
        }
        printf("logits=");
        for (int j = 0; j < EK_MODEL_NUM_CLASSES; ++j) {
            printf("%s%.9g", j ? "," : "", (double)logits[j]);
        }
        printf(" class=%s\n", ek_model_class_names[res.label]); /* last: names may have spaces */
        ++count;
    }
    fclose(fh);
    return count > 0 ? 0 : 1;
}
