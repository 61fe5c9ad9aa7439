/*
 * The scheduler: ek_prepare (every table checked once, the arena laid out), ek_run_member
 * (features in, one member's operators, logits out, activation kept for later members) and
 * ek_run (members in order under the policy's stop rules, the Python runtime's).
 */
#include "internal.h"

#include <math.h>

#define EK_PREPARED 0x454B5250u /* "EKRP" */

/* EK_PROFILE=1 at build time: the application's ek_profile_op is called after each operator
 * (member, operator index, kind) and after the member's input conversion (operator -1), e.g.
 * to read a cycle counter. Off by default: no cost. */
#if defined(EK_PROFILE) && EK_PROFILE
void ek_profile_op(int member, int op, int kind);
#define EK_PROFILE_OP(m, i, kind) ek_profile_op((m), (i), (kind))
#else
#define EK_PROFILE_OP(m, i, kind) ((void)0)
#endif

static size_t estimates_bytes(const ek_ensemble *e) {
    return EK_ALIGN((size_t)e->num_members * sizeof(uint32_t));
}

/* member k's connection is int8 from an int8 activation: ek_prepare builds its boundary table
 * (256 bytes of arena) once. Safe on unchecked tables (ek_arena_bytes runs before checks). */
static int int8_connection(const ek_ensemble *e, int k) {
    const ek_member *m = &e->members[k];
    const int j = m->connected_from - 1;
    if (m->tensors == NULL || m->connection < 0 || m->connection >= m->num_tensors || j < 0 ||
        j >= k) {
        return 0;
    }
    const ek_member *from = &e->members[j];
    if (from->tensors == NULL || from->activation < 0 || from->activation >= from->num_tensors) {
        return 0;
    }
    return m->tensors[m->connection].dtype == EK_I8 && from->tensors[from->activation].dtype == EK_I8;
}

static size_t luts_bytes(const ek_ensemble *e) {
    size_t n = 0;
    for (int k = 0; k < e->num_members; ++k) {
        n += (size_t)int8_connection(e, k);
    }
    return EK_ALIGN(n * 256u);
}

static size_t work_bytes(const ek_ensemble *e) {
    size_t work = 0;
    for (int k = 0; k < e->num_members; ++k) {
        work = e->members[k].work_bytes > work ? e->members[k].work_bytes : work;
    }
    return work;
}

size_t ek_arena_bytes(const ek_ensemble *e) {
    if (e == NULL || e->members == NULL || e->num_members < 1) {
        return 0;
    }
    return EK_ALIGN(e->slots_bytes) + EK_ALIGN(work_bytes(e)) + estimates_bytes(e) + luts_bytes(e);
}

ek_status ek_normalize(const ek_ensemble *e, float *features) {
    if (e == NULL || features == NULL) {
        return EK_ERR_NULL;
    }
    if (e->norm_mean == NULL || e->norm_std == NULL) {
        return EK_OK;
    }
    for (int t = 0; t < e->input_steps; ++t) {
        for (int c = 0; c < e->input_channels; ++c) {
            float *v = &features[(size_t)t * e->input_channels + c];
            *v = (*v - e->norm_mean[c]) / e->norm_std[c];
        }
    }
    return EK_OK;
}

const char *ek_stop_reason_name(ek_stop_reason reason) {
    static const char *const names[] = {"all", "max_members", "budget_macs", "deadline_us",
                                        "margin"};
    return (unsigned)reason < sizeof names / sizeof names[0] ? names[reason] : NULL;
}

static int valid_tensor(const ek_member *m, int i) {
    return i >= 0 && i < m->num_tensors;
}

static size_t tensor_bytes(const ek_tensor *t) {
    return ek_numel(t) * ek_elem_bytes(t);
}

/* indices, dims, arena regions, roles: what keeps every kernel inside its buffers */
static ek_status check_tensors(const ek_ensemble *e, const ek_member *m) {
    if (m->tensors == NULL || m->ops == NULL || m->num_ops < 1 || !valid_tensor(m, m->features) ||
        !valid_tensor(m, m->logits) || (m->connection >= 0 && !valid_tensor(m, m->connection)) ||
        (m->activation >= 0 && !valid_tensor(m, m->activation))) {
        return EK_ERR_MODEL;
    }
    for (int i = 0; i < m->num_tensors; ++i) {
        const ek_tensor *t = &m->tensors[i];
        if (t->ndim > EK_MAX_DIMS || t->dtype > EK_I32) {
            return EK_ERR_MODEL;
        }
        for (int d = 0; d < t->ndim; ++d) {
            if (t->dims[d] < 1) {
                return EK_ERR_MODEL;
            }
        }
        if (t->data == NULL && (t->offset < 0 || (size_t)t->offset + tensor_bytes(t) > m->work_bytes)) {
            return EK_ERR_MODEL;
        }
    }
    const int16_t role[4] = {m->features, m->connection, m->logits, m->activation};
    for (int r = 0; r < 4; ++r) { /* roles live in working memory */
        if (role[r] >= 0 && m->tensors[role[r]].data != NULL) {
            return EK_ERR_MODEL;
        }
    }
    const ek_tensor *feat = &m->tensors[m->features], *logits = &m->tensors[m->logits];
    if (ek_numel(feat) != (size_t)e->input_steps * (size_t)e->input_channels ||
        feat->dtype == EK_I32 || logits->dtype == EK_I32 ||
        ek_numel(logits) != (size_t)e->num_classes) {
        return EK_ERR_MODEL;
    }
    if (m->activation >= 0 && m->slot_offset >= 0 &&
        (size_t)m->slot_offset + tensor_bytes(&m->tensors[m->activation]) > e->slots_bytes) {
        return EK_ERR_MODEL;
    }
    return EK_OK;
}

/* member k's connection: from an earlier member whose activation waits in a slot, same size */
static ek_status check_connection(const ek_ensemble *e, int k) {
    const ek_member *m = &e->members[k];
    if (m->connection < 0) {
        return EK_OK;
    }
    const int j = m->connected_from - 1;
    if (j < 0 || j >= k || e->members[j].activation < 0 || e->members[j].slot_offset < 0) {
        return EK_ERR_MODEL;
    }
    const ek_tensor *src = &e->members[j].tensors[e->members[j].activation];
    const ek_tensor *dst = &m->tensors[m->connection];
    if (m->connection_mult != 0 && !int8_connection(e, k)) {
        return EK_ERR_MODEL; /* a folded rescale needs the int8 -> int8 table */
    }
    return ek_numel(src) == ek_numel(dst) && src->dtype != EK_I32 && dst->dtype != EK_I32
               ? EK_OK
               : EK_ERR_MODEL;
}

static ek_status check_member(const ek_ensemble *e, int k) {
    const ek_member *m = &e->members[k];
    ek_status s = check_tensors(e, m);
    if (s == EK_OK) {
        s = check_connection(e, k);
    }
    for (int j = 0; s == EK_OK && j < m->num_ops; ++j) {
        const ek_op *op = &m->ops[j];
        for (int i = 0; i < 3; ++i) {
            if ((i < op->num_inputs || op->in[i] >= 0) && !valid_tensor(m, op->in[i])) {
                return EK_ERR_MODEL;
            }
        }
        if (!valid_tensor(m, op->out)) {
            return EK_ERR_MODEL;
        }
        s = ek_check_op(op, m->tensors);
    }
    return s;
}

/* member k's boundary table: each int8 source value's conversion to the connection (the
 * Python runtime's rint(real x (1/scale)) + zero point), then the rescale folded into it where
 * the generator dropped one (TFLite's fixed-point arithmetic, as the QUANTIZE kernel) */
static void build_lut(const ek_ensemble *e, int k, int8_t *lut) {
    const ek_member *m = &e->members[k], *from = &e->members[m->connected_from - 1];
    const ek_tensor *src = &from->tensors[from->activation], *dst = &m->tensors[m->connection];
    const int32_t zp = m->connection_mult != 0 ? m->connection_zero_point : dst->zero_point;
    for (int32_t q = -128; q < 128; ++q) {
        const float v = ((float)q - (float)src->zero_point) * src->scale; /* real_value */
        int8_t c = ek_quantize_value(v, m->connection_inv_scale, zp);
        if (m->connection_mult != 0) {
            const int32_t r = ek_multiply_by_quantized_multiplier(
                (int32_t)c - zp, m->connection_mult, m->connection_shift);
            c = (int8_t)ek_clamp_i32(r + dst->zero_point, -128, 127);
        }
        lut[q + 128] = c;
    }
}

ek_status ek_prepare(ek_runtime *rt, const ek_ensemble *e, void *arena, size_t arena_bytes) {
    if (rt == NULL || e == NULL || arena == NULL) {
        return EK_ERR_NULL;
    }
    rt->prepared = 0u;
    if (e->num_members < 1 || e->num_classes < 2 || e->members == NULL ||
        e->input_steps < 1 || e->input_channels < 1) {
        return EK_ERR_MODEL;
    }
    if (arena_bytes < ek_arena_bytes(e) || ((uintptr_t)arena & 7u) != 0u) {
        return EK_ERR_ARENA; /* too small, or not 8-byte aligned */
    }
    for (int k = 0; k < e->num_members; ++k) {
        const ek_status s = check_member(e, k);
        if (s != EK_OK) {
            return s;
        }
    }
    rt->model = e;
    rt->slots = (uint8_t *)arena;
    rt->estimate_us = (uint32_t *)(void *)(rt->slots + EK_ALIGN(e->slots_bytes));
    rt->work = rt->slots + EK_ALIGN(e->slots_bytes) + estimates_bytes(e);
    for (int k = 0; k < e->num_members; ++k) {
        rt->estimate_us[k] = 0u;
    }
    rt->luts = (int8_t *)(void *)(rt->work + EK_ALIGN(work_bytes(e)));
    int8_t *lut = rt->luts;
    for (int k = 0; k < e->num_members; ++k) {
        if (int8_connection(e, k)) {
            build_lut(e, k, lut);
            lut += 256;
        }
    }
    rt->prepared = EK_PREPARED;
    return EK_OK;
}

static float real_value(const ek_tensor *t, const void *v, size_t i) {
    return t->dtype == EK_I8 ? ((float)((const int8_t *)v)[i] - (float)t->zero_point) * t->scale
                             : ((const float *)v)[i];
}

/* features (and the connection) into the member's input tensors */
static void member_inputs(const ek_runtime *rt, int k, const float *features) {
    const ek_member *m = &rt->model->members[k];
    const ek_tensor *feat = &m->tensors[m->features];
    const size_t nf = ek_numel(feat);
    if (feat->dtype == EK_I8) {
        ek_quantize_features(features, nf, m->features_inv_scale, feat->zero_point,
                             (int8_t *)ek_out(feat, rt->work));
    } else {
        memcpy(ek_out(feat, rt->work), features, nf * sizeof(float));
    }
    if (m->connection < 0) {
        return;
    }
    const ek_member *from = &rt->model->members[m->connected_from - 1];
    const ek_tensor *src = &from->tensors[from->activation], *dst = &m->tensors[m->connection];
    const uint8_t *sv = rt->slots + from->slot_offset;
    void *dv = ek_out(dst, rt->work);
    const size_t n = ek_numel(dst);
    if (src->dtype == EK_I8 && dst->dtype == EK_I8) { /* ek_prepare's table: look-ups */
        const int8_t *lut = rt->luts;
        for (int j = 0; j < k; ++j) {
            lut += int8_connection(rt->model, j) ? 256 : 0;
        }
        ek_map_i8((const int8_t *)(const void *)sv, n, lut, (int8_t *)dv);
        return;
    }
    for (size_t i = 0; i < n; ++i) {
        const float v = real_value(src, sv, i);
        if (dst->dtype == EK_I8) {
            ((int8_t *)dv)[i] = ek_quantize_value(v, m->connection_inv_scale, dst->zero_point);
        } else {
            ((float *)dv)[i] = v;
        }
    }
}

ek_status ek_run_member(ek_runtime *rt, int k, const float *features, float *logits_inout) {
    if (rt == NULL || features == NULL || logits_inout == NULL) {
        return EK_ERR_NULL;
    }
    if (rt->prepared != EK_PREPARED) {
        return EK_ERR_NOT_PREPARED;
    }
    const ek_ensemble *e = rt->model;
    if (k < 0 || k >= e->num_members) {
        return EK_ERR_MODEL;
    }
    const ek_member *m = &e->members[k];
    member_inputs(rt, k, features);
    EK_PROFILE_OP(k, -1, 0);
    for (int i = 0; i < m->num_ops; ++i) {
        ek_run_checked_op(&m->ops[i], m->tensors, rt->work);
        EK_PROFILE_OP(k, i, m->ops[i].kind);
    }
    const ek_tensor *logits = &m->tensors[m->logits];
    const void *lv = ek_in(logits, rt->work);
    for (int c = 0; c < e->num_classes; ++c) {
        logits_inout[c] += real_value(logits, lv, (size_t)c);
    }
    if (m->activation >= 0 && m->slot_offset >= 0) {
        const ek_tensor *a = &m->tensors[m->activation];
        memcpy(rt->slots + m->slot_offset, ek_in(a, rt->work), tensor_bytes(a));
    }
    return EK_OK;
}

static float top2_margin(const float *logits, int n) {
    float a = logits[0];
    float b = -3.402823466e38f;
    for (int i = 1; i < n; ++i) {
        if (logits[i] > a) {
            b = a;
            a = logits[i];
        } else if (logits[i] > b) {
            b = logits[i];
        }
    }
    return a - b;
}

static uint32_t read_clock(const ek_policy *p) {
    return p->clock != NULL ? p->clock(p->clock_ctx) : 0u;
}

typedef struct {
    int64_t macs;     /* cumulative MACs of the members run */
    uint32_t elapsed; /* us since the call began, read after the last member */
} progress;

/* Member k's expected time: its running mean, or before it has run once, this call's time
 * per MAC so far times its MACs (0 when nothing was measured yet). */
static uint32_t expected_us(const ek_runtime *rt, int k, const progress *p) {
    if (rt->estimate_us[k] > 0u || p->macs <= 0) {
        return rt->estimate_us[k];
    }
    const double per_mac = (double)p->elapsed / (double)p->macs;
    return (uint32_t)(per_mac * (double)rt->model->members[k].macs + 0.5);
}

/* Python's stop rules, in its order: margin, max_members, budget_macs, deadline */
static ek_stop_reason stop_before(const ek_runtime *rt, int k, const ek_policy *policy,
                                  const float *logits, const progress *p) {
    const ek_ensemble *e = rt->model;
    if (k > 0 && policy->margin > 0.0f && top2_margin(logits, e->num_classes) >= policy->margin) {
        return EK_STOP_MARGIN;
    }
    if (policy->max_members > 0 && k >= policy->max_members) {
        return EK_STOP_MAX_MEMBERS;
    }
    if (policy->budget_macs > 0 && p->macs + e->members[k].macs > policy->budget_macs) {
        return EK_STOP_BUDGET_MACS;
    }
    if (k > 0 && policy->deadline_us > 0u &&
        (uint64_t)p->elapsed + expected_us(rt, k, p) > (uint64_t)policy->deadline_us) {
        return EK_STOP_DEADLINE;
    }
    return EK_STOP_ALL;
}

static ek_status check_policy(const ek_runtime *rt, const ek_policy *policy) {
    if (policy->max_members < 0 || policy->budget_macs < 0 || !(policy->margin >= 0.0f) ||
        (policy->deadline_us > 0u && policy->clock == NULL)) {
        return EK_ERR_POLICY;
    }
    /* as Python: a MAC budget below member 1's cost leaves nothing to run */
    return policy->budget_macs > 0 && rt->model->members[0].macs > policy->budget_macs
               ? EK_ERR_POLICY
               : EK_OK;
}

ek_status ek_run(ek_runtime *rt, const float *features, const ek_policy *policy,
                 float *logits_out, ek_result *result) {
    if (rt == NULL || features == NULL || policy == NULL || logits_out == NULL || result == NULL) {
        return EK_ERR_NULL;
    }
    if (rt->prepared != EK_PREPARED) {
        return EK_ERR_NOT_PREPARED;
    }
    const ek_status valid = check_policy(rt, policy);
    if (valid != EK_OK) {
        return valid;
    }
    const ek_ensemble *e = rt->model;
    const uint32_t t0 = read_clock(policy);
    progress p = {0, 0u};
    for (int j = 0; j < e->num_classes; ++j) {
        logits_out[j] = 0.0f;
    }
    result->stopped_by = EK_STOP_ALL;
    int k = 0;
    for (; k < e->num_members; ++k) {
        result->stopped_by = stop_before(rt, k, policy, logits_out, &p);
        if (result->stopped_by != EK_STOP_ALL) {
            break;
        }
        const uint32_t before = p.elapsed;
        ek_run_member(rt, k, features, logits_out);
        p.macs += e->members[k].macs;
        p.elapsed = (uint32_t)(read_clock(policy) - t0); /* unsigned: wrap-around is fine */
        const uint32_t took = p.elapsed - before, est = rt->estimate_us[k];
        rt->estimate_us[k] = est == 0u ? took : (uint32_t)((9u * (uint64_t)est + took + 5u) / 10u);
    }
    result->members_run = k;
    result->macs = p.macs;
    result->elapsed_us = p.elapsed;
    int best = 0;
    for (int j = 1; j < e->num_classes; ++j) {
        best = logits_out[j] > logits_out[best] ? j : best;
    }
    result->label = best;
    return EK_OK;
}
