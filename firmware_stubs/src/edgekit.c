/* edgekit firmware runtime: kernels, one member, the progressive scheduler. C99, no malloc. */
#include "edgekit.h"

#include <string.h>

int ek_conv1d_out_steps(int steps, int kernel, int stride, int pad) {
    return (steps + 2 * pad - kernel) / stride + 1;
}

/* out[o][t] = relu(bias[o] + sum_i sum_k w[o][i][k] * in[i][t*stride + k - pad]) */
void ek_conv1d_relu(const ek_conv1d_block *b, const float *in, int in_steps, float *out) {
    const int out_steps = ek_conv1d_out_steps(in_steps, b->kernel, b->stride, b->pad);
    for (int o = 0; o < b->out_ch; ++o) {
        const float *wo = b->weight + (size_t)o * b->in_ch * b->kernel;
        float *row_out = out + (size_t)o * out_steps;
        for (int t = 0; t < out_steps; ++t) {
            row_out[t] = b->bias[o];
        }
        for (int i = 0; i < b->in_ch; ++i) {
            const float *row = in + (size_t)i * in_steps;
            const float *wk = wo + (size_t)i * b->kernel;
            for (int t = 0; t < out_steps; ++t) {
                const int start = t * b->stride - b->pad;
                /* the taps that fall inside the input: no branch in the inner loop */
                const int k_lo = start < 0 ? -start : 0;
                const int k_hi = start + b->kernel > in_steps ? in_steps - start : b->kernel;
                float acc = 0.0f;
                for (int k = k_lo; k < k_hi; ++k) {
                    acc += wk[k] * row[start + k];
                }
                row_out[t] += acc;
            }
        }
        for (int t = 0; t < out_steps; ++t) {
            row_out[t] = row_out[t] > 0.0f ? row_out[t] : 0.0f;
        }
    }
}

/* Max over non-overlapping windows of `pool` steps (floor), in place; returns the new length. */
int ek_maxpool1d(float *inout, int channels, int steps, int pool) {
    if (pool <= 1) {
        return steps;
    }
    const int out_steps = steps / pool;
    for (int c = 0; c < channels; ++c) {
        const float *src = inout + (size_t)c * steps;
        float *dst = inout + (size_t)c * out_steps;
        for (int t = 0; t < out_steps; ++t) {
            float m = src[t * pool];
            for (int p = 1; p < pool; ++p) {
                const float v = src[t * pool + p];
                m = v > m ? v : m;
            }
            dst[t] = m; /* dst index <= src index: safe in place, channel by channel */
        }
    }
    return out_steps;
}

/* out_add[j] += bias[j] + sum_i w[j][i] * in[i] */
void ek_dense(const float *w, const float *bias, const float *in, int in_dim, int out_dim,
              float *out_add) {
    for (int j = 0; j < out_dim; ++j) {
        float acc = bias[j];
        const float *wj = w + (size_t)j * in_dim;
        for (int i = 0; i < in_dim; ++i) {
            acc += wj[i] * in[i];
        }
        out_add[j] += acc;
    }
}

/* Largest [C][T] buffer a member touches (its input, each block's input and output). */
static size_t member_buffer_floats(const ek_member *m, int steps, int channels) {
    size_t need = (size_t)steps * channels;
    int ch = channels;
    for (int b = 0; b < m->num_blocks; ++b) {
        const ek_conv1d_block *blk = &m->blocks[b];
        if (b == 1 && m->connected) {
            ch += m->conn_channels;
        }
        const size_t in = (size_t)ch * steps;
        const int out_steps = ek_conv1d_out_steps(steps, blk->kernel, blk->stride, blk->pad);
        const size_t out = (size_t)blk->out_ch * (out_steps > 0 ? out_steps : 0);
        need = in > need ? in : need;
        need = out > need ? out : need;
        steps = blk->pool > 1 ? out_steps / blk->pool : out_steps;
        ch = blk->out_ch;
    }
    return need;
}

static size_t max_activation_floats(const ek_ensemble *e) {
    size_t need = 1;
    for (int k = 0; k < e->num_members; ++k) {
        const size_t a = (size_t)e->members[k].act_channels * e->members[k].act_steps;
        need = a > need ? a : need;
    }
    return need;
}

size_t ek_arena_floats(const ek_ensemble *e) {
    if (e == NULL) {
        return 0;
    }
    size_t scratch = 0;
    for (int k = 0; k < e->num_members; ++k) {
        const size_t s = 2 * member_buffer_floats(&e->members[k], e->input_steps, e->input_channels);
        scratch = s > scratch ? s : scratch;
    }
    return 2 * max_activation_floats(e) + scratch;
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

ek_status ek_run_member(const ek_member *m, int input_steps, int input_channels,
                        const float *features, const float *prev_activation,
                        float *activation_out, float *scratch, size_t scratch_floats,
                        int num_classes, float *logits_inout) {
    if (m == NULL || features == NULL || scratch == NULL || logits_inout == NULL) {
        return EK_ERR_NULL;
    }
    if (m->num_blocks < 1 || m->blocks[0].in_ch != input_channels ||
        (m->connected && (m->num_blocks < 2 || prev_activation == NULL))) {
        return EK_ERR_MODEL;
    }
    const size_t half = member_buffer_floats(m, input_steps, input_channels);
    if (scratch_floats < 2 * half) {
        return EK_ERR_ARENA;
    }
    float *cur = scratch;
    float *other = scratch + half;
    for (int t = 0; t < input_steps; ++t) { /* [T][C] -> [C][T] */
        for (int c = 0; c < input_channels; ++c) {
            cur[(size_t)c * input_steps + t] = features[(size_t)t * input_channels + c];
        }
    }
    int steps = input_steps;
    int ch = input_channels;
    for (int b = 0; b < m->num_blocks; ++b) {
        const ek_conv1d_block *blk = &m->blocks[b];
        if (b == 1 && m->connected) { /* channel-major: the connection appends channels */
            if (steps != m->act_steps) {
                return EK_ERR_MODEL;
            }
            memcpy(cur + (size_t)ch * steps, prev_activation,
                   sizeof(float) * (size_t)m->conn_channels * steps);
            ch += m->conn_channels;
        }
        if (blk->in_ch != ch) {
            return EK_ERR_MODEL;
        }
        const int out_steps = ek_conv1d_out_steps(steps, blk->kernel, blk->stride, blk->pad);
        if (out_steps < 1) {
            return EK_ERR_MODEL;
        }
        ek_conv1d_relu(blk, cur, steps, other);
        steps = ek_maxpool1d(other, blk->out_ch, out_steps, blk->pool);
        ch = blk->out_ch;
        float *swap = cur;
        cur = other;
        other = swap;
        if (b == 0 && activation_out != NULL) {
            if (ch != m->act_channels || steps != m->act_steps) {
                return EK_ERR_MODEL;
            }
            memcpy(activation_out, cur, sizeof(float) * (size_t)ch * steps);
        }
    }
    if (ch != m->width || steps < 1) {
        return EK_ERR_MODEL;
    }
    for (int c = 0; c < ch; ++c) { /* global average over time */
        float s = 0.0f;
        for (int t = 0; t < steps; ++t) {
            s += cur[(size_t)c * steps + t];
        }
        other[c] = s / (float)steps;
    }
    ek_dense(m->head_weight, m->head_bias, other, m->width, num_classes, logits_inout);
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

ek_status ek_run(const ek_ensemble *e, const float *features, const ek_policy *policy,
                 float *arena, size_t arena_floats, float *logits_out, ek_result *result) {
    if (e == NULL || features == NULL || policy == NULL || arena == NULL || logits_out == NULL ||
        result == NULL) {
        return EK_ERR_NULL;
    }
    if (policy->max_members < 0 || policy->margin < 0.0f ||
        (policy->budget_us > 0 && policy->clock == NULL)) {
        return EK_ERR_POLICY;
    }
    if (e->num_members < 1 || e->num_classes < 2 || e->members == NULL) {
        return EK_ERR_MODEL;
    }
    if (arena_floats < ek_arena_floats(e)) {
        return EK_ERR_ARENA;
    }
    const size_t act = max_activation_floats(e);
    float *act_prev = arena;
    float *act_cur = arena + act;
    float *scratch = arena + 2 * act;
    const size_t scratch_floats = arena_floats - 2 * act;
    const uint32_t t0 = policy->clock != NULL ? policy->clock(policy->clock_ctx) : 0u;
    for (int j = 0; j < e->num_classes; ++j) {
        logits_out[j] = 0.0f;
    }
    result->stopped_by = EK_STOP_ALL;
    int k = 0;
    for (; k < e->num_members; ++k) {
        if (k > 0) {
            if (policy->margin > 0.0f && top2_margin(logits_out, e->num_classes) >= policy->margin) {
                result->stopped_by = EK_STOP_MARGIN;
                break;
            }
            if (policy->max_members > 0 && k >= policy->max_members) {
                result->stopped_by = EK_STOP_MAX_MEMBERS;
                break;
            }
            if (policy->budget_us > 0 &&
                (uint32_t)(policy->clock(policy->clock_ctx) - t0) >= policy->budget_us) {
                result->stopped_by = EK_STOP_BUDGET;
                break;
            }
        }
        const ek_member *m = &e->members[k];
        const int hands_on = k + 1 < e->num_members && e->members[k + 1].connected;
        const ek_status s = ek_run_member(m, e->input_steps, e->input_channels, features,
                                          m->connected ? act_prev : NULL,
                                          hands_on ? act_cur : NULL, scratch, scratch_floats,
                                          e->num_classes, logits_out);
        if (s != EK_OK) {
            return s;
        }
        float *swap = act_prev;
        act_prev = act_cur;
        act_cur = swap;
    }
    result->members_run = k;
    result->elapsed_us = policy->clock != NULL ? (uint32_t)(policy->clock(policy->clock_ctx) - t0) : 0u;
    int best = 0;
    for (int j = 1; j < e->num_classes; ++j) {
        best = logits_out[j] > logits_out[best] ? j : best;
    }
    result->label = best;
    return EK_OK;
}
