/*
 * The generated ensemble on an emulated Cortex-M4: a few validation inputs embedded in flash
 * (ek_inputs.c, written by the test or benchmark), run under each policy. Prints, by
 * semihosting, one line per result with the logits as float32 bit patterns (hex) so that the
 * host can compare them bit for bit, and the instructions each step took (SysTick under
 * `-icount shift=0`: instructions, not cycles):
 *
 *   prepare instr=N stack=B               ek_prepare: every table checked, once
 *   members input=I instr=A,B,...  stack=S  each member alone (ek_run_member), in order
 *   run policy=P input=I label=L members=K stopped=R macs=M instr=N logits=HEX,...
 *   arena=B
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "edgekit.h"
#include "edgekit_model.h"
#include "ek_inputs.h"

static union {
    double align;
    uint8_t bytes[EK_MODEL_ARENA_BYTES];
} arena;

static char line[64 + 16 * EK_MODEL_NUM_CLASSES + 16 * EK_MODEL_NUM_MEMBERS];

static char *put_str(char *p, const char *s) {
    while (*s) {
        *p++ = *s++;
    }
    return p;
}

static char *put_u64(char *p, uint64_t v) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) {
        *p++ = digits[--n];
    }
    return p;
}

static char *put_i64(char *p, int64_t v) {
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, (uint64_t)(-(v + 1)) + 1u);
    }
    return put_u64(p, (uint64_t)v);
}

static char *put_hex(char *p, uint32_t v) {
    for (int i = 7; i >= 0; --i) {
        *p++ = "0123456789abcdef"[(v >> (4 * i)) & 0xFu];
    }
    return p;
}

static char *put_field(char *p, const char *name, int64_t v) {
    return put_i64(put_str(p, name), v);
}

static void emit(char *end) {
    *end++ = '\n';
    *end = '\0';
    board_print(line);
}

#if defined(EK_PROFILE) && EK_PROFILE
/* instructions per operator kind (index 0: the member's input conversion), all members */
static uint64_t by_kind[32], last_mark;
static int detail = 1; /* the first call's operators one by one */

void ek_profile_op(int member, int op, int kind) {
    const uint64_t now = board_instructions();
    by_kind[op < 0 ? 0 : kind & 31] += now - last_mark;
    if (detail) {
        char *p = put_field(line, "op member=", member);
        p = put_field(p, " index=", op);
        p = put_field(p, " kind=", kind);
        emit(put_field(p, " instr=", (int64_t)(now - last_mark)));
        detail = !(member == EK_MODEL_NUM_MEMBERS - 1 && op >= 0 && op == ek_model.members[member].num_ops - 1);
    }
    last_mark = board_instructions();
}

static void print_profile(void) {
    for (int kind = 0; kind < 32; ++kind) {
        if (by_kind[kind] > 0) {
            emit(put_field(put_field(line, "profile kind=", kind), " instr=", (int64_t)by_kind[kind]));
        }
    }
}
#else
static void print_profile(void) {
}
#endif

static ek_runtime rt;
static float logits[EK_MODEL_NUM_CLASSES];

static void run_members(int input) {
    uint64_t took[EK_MODEL_NUM_MEMBERS];
    memset(logits, 0, sizeof logits);
    board_paint_stack();
    for (int k = 0; k < EK_MODEL_NUM_MEMBERS; ++k) {
        const uint64_t t0 = board_instructions();
#if defined(EK_PROFILE) && EK_PROFILE
        last_mark = t0;
#endif
        ek_run_member(&rt, k, ek_inputs[input], logits);
        took[k] = board_instructions() - t0;
    }
    const uint32_t stack = board_stack_used();
    char *p = put_field(line, "members input=", input);
    p = put_str(p, " instr=");
    for (int k = 0; k < EK_MODEL_NUM_MEMBERS; ++k) {
        p = put_u64(k ? put_str(p, ",") : p, took[k]);
    }
    emit(put_field(p, " stack=", stack));
}

static int run_policy(const char *name, const ek_policy *policy, int input) {
    ek_result res;
    board_paint_stack();
    const uint64_t t0 = board_instructions();
    const ek_status s = ek_run(&rt, ek_inputs[input], policy, logits, &res);
    const uint64_t took = board_instructions() - t0;
    const uint32_t stack = board_stack_used();
    if (s != EK_OK) {
        emit(put_field(line, "error ek_run status=", s));
        return 1;
    }
    char *p = put_str(put_str(line, "run policy="), name);
    p = put_field(p, " input=", input);
    p = put_field(p, " label=", res.label);
    p = put_field(p, " members=", res.members_run);
    p = put_str(put_str(p, " stopped="), ek_stop_reason_name(res.stopped_by));
    p = put_field(p, " macs=", res.macs);
    p = put_field(p, " instr=", (int64_t)took);
    p = put_field(p, " stack=", stack);
    p = put_str(p, " logits=");
    for (int j = 0; j < EK_MODEL_NUM_CLASSES; ++j) {
        uint32_t bits;
        memcpy(&bits, &logits[j], sizeof bits);
        p = put_hex(j ? put_str(p, ",") : p, bits);
    }
    emit(p);
    return 0;
}

int main(void) {
    board_paint_stack();
    const uint64_t t0 = board_instructions();
    const ek_status s = ek_prepare(&rt, &ek_model, arena.bytes, sizeof arena.bytes);
    const uint64_t took = board_instructions() - t0;
    if (s != EK_OK) {
        emit(put_field(line, "error ek_prepare status=", s));
        return 1;
    }
    emit(put_field(put_field(line, "prepare instr=", (int64_t)took), " stack=", board_stack_used()));
    emit(put_field(line, "arena=", (int64_t)sizeof arena.bytes));
    /* the policies of edgekit.runtime.Policy: everything, one member, the first two members'
     * MACs, a deadline of 60 % of the first input's full run, an early-exit margin */
    ek_policy all = {0, 0, 0u, 0.0f, board_clock_us, NULL};
    ek_policy one = all, macs = all, deadline = all, margin = all;
    one.max_members = 1;
    macs.budget_macs = ek_model.members[0].macs +
                       (EK_MODEL_NUM_MEMBERS > 1 ? ek_model.members[1].macs : 0);
    margin.margin = EK_DEMO_MARGIN;
    int failed = 0;
    for (int i = 0; i < EK_NUM_INPUTS; ++i) {
        run_members(i);
        const uint32_t start = board_clock_us(NULL);
        failed |= run_policy("all", &all, i);
        if (i == 0) {
            deadline.deadline_us = (board_clock_us(NULL) - start) * 6u / 10u + 1u;
        }
        failed |= run_policy("max_members=1", &one, i);
        failed |= run_policy("budget_macs", &macs, i);
        failed |= run_policy("deadline_us", &deadline, i);
        failed |= run_policy("margin", &margin, i);
    }
    print_profile();
    board_print(failed ? "failed\n" : "done\n");
    return failed;
}
