"""Streaming keyword spotting on real audio: KWS-8 validation clips placed at known times over
the dataset's own background noise, at several noise levels; recall, false alarms per hour and
members per window for the full ensemble, the recognizer's shortcuts (suppressed and quiet
windows run member 1 alone) and member 1 alone.

Run: python benchmarks/streaming.py --bundle runs/kws8/bundle-tflite-int8 [--out STEM]
Writes benchmarks/STEM.md, STEM.json and STEM_timeline.png (STEM: streaming).

Only validation clips are used (the dataset's hash rule, as training used it). They are split by
speaker into a calibration quarter, which picks the quiet gate, and an evaluation rest, which
every number in the tables comes from.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import machine_line, save_results
from benchmarks.runtime import quiet_process
from benchmarks.streaming_replay import Recorded, record, replay
from benchmarks.streaming_replay import levels as gate_levels
from edgekit.data.speech_commands import KWS8_WORDS, NOISE_DIR, which_set
from edgekit.features import FrontEndParams, logmel, read_audio
from edgekit.features.incremental import IncrementalLogMel
from edgekit.runtime import Policy, ProgressiveEnsemble, StreamConfig, StreamingRecognizer
from edgekit.runtime.detection import Detection, Detector
from edgekit.runtime.listen import listen_array

HERE = Path(__file__).resolve().parent
KWS = HERE.parents[1] / "shared" / "data" / "speech_commands_mini"
RATE = 16000
SNR_DB = (20, 10, 5)  # speech (loudest 0.5 s of each clip, median) over noise RMS
# (SNR, seed) of the calibration streams: three per level (more keywords, other noise offsets)
CALIBRATION = tuple((snr, 100 + 3 * i + j) for i in range(3) for j, snr in enumerate((10, 20, 5)))
TIMELINE_SNR = 10
GATES = tuple(0.25 * i for i in range(2, 17))  # quiet gates tried, 0.5-4.0 nats above background
COST_TARGET = 0.45  # the gate: the smallest that runs <= this share of the members (calibration)
RECALL_BUDGET = 0.3  # points of calibration recall the chosen gate may lose (else: reported)
SELECTION = (  # declared before evaluation run 2 (EVALUATION_RUNS), from calibration alone
    "quiet windows run no member and count as a uniform posterior that cannot fire; the gate is "
    "the smallest on the grid whose calibration windows run at most 45 % of the members (at a "
    "fixed cost target, the fewest quiet windows, so the fewest keywords judged differently from "
    "the full ensemble); the safety budget: its pooled calibration recall within 0.3 points of "
    "the full ensemble's, reported either way"
)
# every rule run on the evaluation streams before this one (pooled recall %, false alarms,
# members per window: shortcuts vs full), so none is left out of the report
EVALUATION_RUNS = (
    "run 0 (before this calibration; the pre-pinning int8 bundle): quiet windows on member 1 "
    "alone, gate 2 (the smallest of 0.5-4.0 in steps of 0.5 within 45 % of the members on 3 "
    "calibration streams): recall 48.8 vs 49.9 (-1.1), false alarms 2130 vs 3037, 1.77 members",
    "run 1 (this bundle; 9 calibration streams, the same rule: gate 2, calibration recall +0.7): "
    "recall 48.5 vs 49.7 (-1.2; 20 dB 64.6 vs 65.6, 10 dB 47.5 vs 47.5, 5 dB 33.6 vs 35.9), false "
    "alarms 2131 vs 3033, 1.77 members",
)
MATCH_S = (0.0, 2.3)  # a detection this long after a clip's start belongs to it
CONFIG = StreamConfig()  # the defaults: 100 ms stride, 300 ms smoothing, 0.8, 1 s gap, shortcuts
FULL = replace(CONFIG, skip_suppressed=False, quiet_gate=None)  # every member on every window
MEMBER_1 = replace(FULL, policy=Policy(max_members=1))
THRESHOLDS = (0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
Stream = tuple[np.ndarray, list[tuple[float, str]]]  # audio, [(start_s, word)]


def speaker_quarter(name: str) -> bool:
    """True for the calibration quarter of speakers (a hash of the speaker prefix)."""
    speaker = name.split("_nohash_")[0]
    return int(hashlib.sha1(f"calib-{speaker}".encode()).hexdigest(), 16) % 4 == 0


def load_clips(root: Path) -> tuple[list[tuple[str, np.ndarray]], list[tuple[str, np.ndarray]]]:
    """Validation clips (label, audio) split into (calibration, evaluation) by speaker."""
    calib: list[tuple[str, np.ndarray]] = []
    evaluation: list[tuple[str, np.ndarray]] = []
    for word in KWS8_WORDS:
        for path in sorted((root / word).iterdir()):
            if which_set(path.name) != "val":
                continue  # training clips never enter a stream
            clip = (word, read_audio(path, RATE).audio)
            (calib if speaker_quarter(path.name) else evaluation).append(clip)
    return calib, evaluation


def load_noise(root: Path) -> np.ndarray:
    """Every background recording, each scaled to unit RMS, end to end."""
    parts = []
    for path in sorted((root / NOISE_DIR).iterdir()):
        audio = read_audio(path, RATE, max_samples=None).audio.astype(np.float64)
        parts.append(audio / np.sqrt(np.mean(audio**2)))
    return np.concatenate(parts)


def active_rms(audio: np.ndarray) -> float:
    """RMS of the loudest 0.5 s (the spoken word, not the silence around it)."""
    n = min(len(audio), RATE // 2)
    energy = np.convolve(audio.astype(np.float64) ** 2, np.ones(n), "valid")
    return float(np.sqrt(energy.max() / n))


def build_stream(
    clips: list[tuple[str, np.ndarray]], noise: np.ndarray, snr_db: float, seed: int
) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """Clips in random order, 2-3.5 s of noise between them; returns (audio, [(start_s, word)])."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(clips))
    starts, t = [], 1.5
    for _ in order:
        starts.append(t)
        t += 1.0 + rng.uniform(2.0, 3.5)
    total = int((t + 1.0) * RATE)
    offset = int(rng.integers(len(noise)))
    background = np.resize(np.roll(noise, -offset), total)
    speech = np.median([active_rms(a) for _, a in clips])
    audio = background * (speech / 10 ** (snr_db / 20))
    events = []
    for i, start in zip(order, starts, strict=True):
        word, clip = clips[i]
        at = int(start * RATE)
        audio[at : at + len(clip)] += clip
        events.append((start, word))
    return audio.astype(np.float32), events


def score(
    detections: list[Detection], events: list[tuple[float, str]], seconds: float
) -> dict[str, Any]:
    """Greedy matching in time order: a detection of an event's word within MATCH_S of its
    start is a hit (once); anything else is a false alarm (wrong word, repeat, or noise)."""
    matched = [False] * len(events)
    hits = false_alarms = 0
    starts = np.array([s for s, _ in events])
    for d in detections:
        near = np.nonzero((starts + MATCH_S[0] <= d.time_s) & (d.time_s < starts + MATCH_S[1]))[0]
        hit = next((i for i in near if not matched[i] and events[i][1] == d.class_name), None)
        if hit is None:
            false_alarms += 1
        else:
            matched[hit] = True
            hits += 1
    return {
        "keywords": len(events),
        "hits": hits,
        "recall": hits / len(events),
        "false_alarms": false_alarms,
        "false_alarms_per_hour": false_alarms / (seconds / 3600),
    }


def run(
    ens: ProgressiveEnsemble,
    audio: np.ndarray,
    events: list[tuple[float, str]],
    config: StreamConfig,
) -> dict[str, Any]:
    """The stream through the recognizer, then the same windows replayed through the detector at
    other thresholds (with the members each window ran: shortcuts are not replayed)."""
    recognizer = StreamingRecognizer(ens, config, keep_windows=True)
    result = listen_array(recognizer, audio, chunk_ms=100)  # as a microphone delivers it
    seconds = len(audio) / RATE
    sweep = {}
    for threshold in THRESHOLDS:
        detector = Detector(replace(CONFIG, threshold=threshold), ens.manifest.class_names, RATE)
        found = []
        for w in recognizer.windows:
            quiet = w.stopped_by == "quiet"  # as the recognizer: a quiet window never fires
            _, _, d = detector.update(
                np.asarray(w.posterior), w.end_sample, w.members, may_fire=not quiet
            )
            if d is not None:
                found.append(d)
        sweep[str(threshold)] = score(found, events, seconds)
    starts = np.array([start for start, _ in events])
    near = [
        bool(np.any((starts <= w.time_s) & (w.time_s < starts + MATCH_S[1])))
        for w in recognizer.windows
    ]
    members = np.array([w.members for w in recognizer.windows])
    split = {
        "members_keyword_windows": float(members[np.array(near)].mean()),
        "members_noise_windows": float(members[~np.array(near)].mean()),
        "keyword_windows": int(sum(near)),
    }
    return {
        **score(result.detections, events, seconds),
        **result.stats,
        **split,
        "thresholds": sweep,
    }


def calibrate(ens: ProgressiveEnsemble, streams: list[Stream]) -> dict[str, Any]:
    """The quiet gate, by the rule declared before the evaluation streams were run (SELECTION):
    one full-ensemble pass per calibration stream, every gate on the grid replayed exactly
    (benchmarks/streaming_replay.py, checked against a real run here), then the smallest gate
    whose windows run at most COST_TARGET of the members; else the largest tried."""
    recs = [record(ens, audio, CONFIG) for audio, _ in streams]
    gate = StreamingRecognizer(ens).gate
    levels = [gate_levels(rec, gate) for rec in recs]
    full_runs = [
        replay_score(rec, None, FULL, events, ens)
        for rec, (_, events) in zip(recs, streams, strict=True)
    ]
    rows: dict[str, Any] = {}
    earlier: dict[str, Any] = {}  # quiet windows on member 1 alone (evaluation runs 0 and 1)
    for g in GATES:
        for out, member_1 in ((rows, False), (earlier, True)):
            runs = [
                replay_score(rec, lv < g, CONFIG, events, ens, base, member_1)
                for rec, lv, (_, events), base in zip(recs, levels, streams, full_runs, strict=True)
            ]
            out[f"{g:g}"] = pool_replays(runs)
    cheap = [g for g in GATES if rows[f"{g:g}"]["mean_members"] <= COST_TARGET * len(ens)]
    chosen = min(cheap) if cheap else max(GATES)
    # the replay is exact: the first calibration stream through the recognizer itself
    audio, _ = streams[0]
    real = StreamingRecognizer(ens, replace(CONFIG, quiet_gate=chosen), keep_windows=True)
    found = listen_array(real, audio, chunk_ms=100).detections
    want, members = replay(recs[0], levels[0] < chosen, CONFIG, ens.manifest.class_names, RATE)
    exact = [d.to_dict() for d in found] == [d.to_dict() for d in want] and [
        w.members for w in real.windows
    ] == members.tolist()
    full = pool_replays(full_runs)
    return {
        "streams": [{"snr_db": snr, "seed": seed} for snr, seed in CALIBRATION],
        "full": full,
        "gates": rows,
        "gates_member_1": earlier,
        "chosen": chosen,
        "rule": "the smallest within the cost target" if cheap else "none within: the largest",
        "replay_exact": exact,
        "budget_points": RECALL_BUDGET,
        "within_budget": rows[f"{chosen:g}"]["recall"] >= full["recall"] - RECALL_BUDGET / 100,
    }


def replay_score(
    rec: Recorded,
    quiet: np.ndarray | None,
    config: StreamConfig,
    events: list[tuple[float, str]],
    ens: ProgressiveEnsemble,
    base: dict[str, Any] | None = None,
    quiet_member_1: bool = False,
) -> dict[str, Any]:
    """One calibration stream replayed under a gate: score, members, and (against ``base``, the
    full ensemble's run) the keywords it lost and gained."""
    found, members = replay(
        rec, quiet, config, ens.manifest.class_names, RATE, quiet_member_1=quiet_member_1
    )
    seconds = rec.audio_s
    out = score(found, events, seconds)
    out["hit_set"] = hit_set(found, events)
    out["members_sum"], out["windows"], out["seconds"] = int(members.sum()), len(members), seconds
    if base is not None:
        out["lost"] = len(base["hit_set"] - out["hit_set"])
        out["gained"] = len(out["hit_set"] - base["hit_set"])
    return out


def hit_set(detections: list[Detection], events: list[tuple[float, str]]) -> set[int]:
    """Indices of the events ``score`` counts as hits (the same greedy matching)."""
    matched: set[int] = set()
    starts = np.array([s for s, _ in events])
    for d in detections:
        near = np.nonzero((starts + MATCH_S[0] <= d.time_s) & (d.time_s < starts + MATCH_S[1]))[0]
        hit = next(
            (int(i) for i in near if i not in matched and events[i][1] == d.class_name), None
        )
        if hit is not None:
            matched.add(hit)
    return matched


def pool_replays(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Calibration runs pooled, and by noise level (CALIBRATION order)."""

    def pooled(rows: list[dict[str, Any]]) -> dict[str, Any]:
        keywords = sum(r["keywords"] for r in rows)
        return {
            "recall": sum(r["hits"] for r in rows) / keywords,
            "false_alarms": sum(r["false_alarms"] for r in rows),
            "false_alarms_per_hour": sum(r["false_alarms"] for r in rows)
            / (sum(r["seconds"] for r in rows) / 3600),
            "mean_members": sum(r["members_sum"] for r in rows) / sum(r["windows"] for r in rows),
            "lost": sum(r.get("lost", 0) for r in rows) / keywords,
            "gained": sum(r.get("gained", 0) for r in rows) / keywords,
            "keywords": keywords,
        }

    by_level = {
        str(snr): pooled([r for r, (s, _) in zip(runs, CALIBRATION, strict=True) if s == snr])
        for snr in SNR_DB
    }
    return {**pooled(runs), "levels": by_level}


def posterior_gate(ens: ProgressiveEnsemble, audio: np.ndarray) -> dict[str, Any]:
    """Why a gate on the running posterior does not work with this bundle: each window's top
    posterior after member 1 vs after all members (full ensemble, one calibration stream)."""
    prefix: list[np.ndarray] = []
    run_member = ens.runner.run_member

    def spy(index: int, *args: Any) -> tuple[np.ndarray, np.ndarray | None]:
        out = run_member(index, *args)
        prefix.append(out[0][0].copy())
        return out

    ens.runner.run_member = spy  # type: ignore[method-assign,assignment]
    try:
        listen_array(StreamingRecognizer(ens, FULL), audio)
    finally:
        del ens.runner.run_member
    logits = np.cumsum(np.array(prefix).reshape(-1, len(ens), ens.manifest.num_classes), axis=1)
    z = np.exp(logits - logits.max(axis=2, keepdims=True))
    top = (z / z.sum(axis=2, keepdims=True)).max(axis=2)  # [windows, members]
    windows = CONFIG.smooth_ms / CONFIG.stride_ms
    veto = windows * CONFIG.threshold - (windows - 1)  # below it, a window vetoes every average
    below = top[:, 0] < veto
    return {
        "veto_level": veto,
        "windows": len(top),
        "member_1_below": float(below.mean()),
        "crossing": float((top[below, -1] >= veto).mean()) if below.any() else 0.0,
        "member_1_top_quartiles": np.quantile(top[:, 0], [0.25, 0.5, 0.75]).tolist(),
    }


def frontend_check(audio: np.ndarray) -> float:
    """Max |incremental - one-shot| over 60 s of a stream pushed in 100 ms chunks, as a
    fraction of the feature scale."""
    x = audio[: 60 * RATE]
    params = FrontEndParams()
    want = logmel(x, replace(params, clip_samples=len(x)))
    inc = IncrementalLogMel(params, block=10)
    got = np.concatenate(
        [inc.push(x[i : i + 1600]) for i in range(0, len(x), 1600)] + [inc.flush()]
    )
    return float(np.abs(got - want[: len(got)]).max() / np.abs(want).max())


def timeline(
    ens: ProgressiveEnsemble,
    audio: np.ndarray,
    events: list[tuple[float, str]],
    gate: float,
    out: Path,
) -> None:
    """Plot 20 s of a stream: waveform with the keywords, smoothed score, members per window."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    excerpt = audio[: 20 * RATE]
    fig, axes = plt.subplots(3, 1, figsize=(11, 6.5), sharex=True)
    t = np.arange(len(excerpt)) / RATE
    axes[0].plot(t, excerpt, lw=0.3, color="0.4")
    for start, word in events:
        if start < 20:
            axes[0].axvspan(start, start + 1, color="tab:green", alpha=0.15)
            axes[0].text(start + 0.05, 0.9 * np.abs(excerpt).max(), word, fontsize=9)
    for name, config, color in (
        ("full ensemble", FULL, "tab:blue"),
        (f"shortcuts (quiet gate {gate:g})", replace(CONFIG, quiet_gate=gate), "tab:orange"),
    ):
        rec = StreamingRecognizer(ens, config, keep_windows=True)
        found = listen_array(rec, excerpt).detections
        wt = [w.time_s for w in rec.windows]
        axes[1].plot(wt, [w.score for w in rec.windows], color=color, lw=1, label=name)
        axes[1].plot([d.time_s for d in found], [d.score for d in found], "v", color=color, ms=8)
        for d in found:
            offset = 0.04 if color == "tab:blue" else -0.09
            axes[1].text(
                d.time_s, d.score + offset, d.class_name, color=color, fontsize=7, ha="center"
            )
        axes[2].step(
            wt, [w.members for w in rec.windows], where="post", color=color, lw=1, label=name
        )
    axes[1].axhline(CONFIG.threshold, color="k", ls="--", lw=0.8, label="threshold")
    axes[0].set_ylabel("audio")
    axes[1].set_ylabel("smoothed top score")
    axes[1].legend(loc="lower right", fontsize=8)
    axes[2].set_ylabel("members run")
    axes[2].set_xlabel("stream time (s): green spans are the keyword clips, triangles detections")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled over noise levels: recall over every keyword, false alarms over every hour."""
    keywords = sum(r["keywords"] for r in rows)
    hours = sum(r["audio_s"] for r in rows) / 3600
    windows = sum(r["windows"] for r in rows)
    sweep = {
        t: {
            "recall": sum(r["thresholds"][t]["hits"] for r in rows) / keywords,
            "false_alarms": sum(r["thresholds"][t]["false_alarms"] for r in rows),
            "false_alarms_per_hour": sum(r["thresholds"][t]["false_alarms"] for r in rows) / hours,
        }
        for t in rows[0]["thresholds"]
    }
    return {
        "thresholds": sweep,
        "recall": sum(r["hits"] for r in rows) / keywords,
        "false_alarms": sum(r["false_alarms"] for r in rows),
        "false_alarms_per_hour": sum(r["false_alarms"] for r in rows) / hours,
        "mean_members": sum(r["mean_members"] * r["windows"] for r in rows) / windows,
        "quiet_share": sum(r["shortcuts"].get("quiet", 0) for r in rows) / windows,
        "suppressed_share": sum(r["shortcuts"].get("suppressed", 0) for r in rows) / windows,
        "realtime_factor": sum(r["audio_s"] for r in rows) / sum(r["busy_s"] for r in rows),
        "hours": hours,
        "keywords": keywords,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", type=Path, default=HERE / ".runs" / "export-kws8-tflite-int8")
    parser.add_argument("--data-dir", type=Path, default=KWS)
    parser.add_argument("--report-only", action="store_true", help="rewrite the .md from the .json")
    parser.add_argument("--out", default="streaming", help="result files' stem in benchmarks/")
    args = parser.parse_args()
    out = HERE / args.out
    if args.report_only:
        saved = json.loads(out.with_suffix(".json").read_text())
        out.with_suffix(".md").write_text(report(saved["results"], saved["machine"], args))
        return
    calib_clips, eval_clips = load_clips(args.data_dir)
    noise = load_noise(args.data_dir)
    setup = quiet_process()
    ens = ProgressiveEnsemble.load(args.bundle)
    k = len(ens)
    calib = [build_stream(calib_clips, noise, snr, seed=seed) for snr, seed in CALIBRATION]
    calibration = calibrate(ens, calib)
    calibration["posterior_gate"] = posterior_gate(ens, calib[0][0])
    gate = calibration["chosen"]
    configs = {
        "full": FULL,
        "suppressed": replace(CONFIG, quiet_gate=None),
        "early_exit": replace(CONFIG, quiet_gate=gate),
        "member_1": MEMBER_1,
    }
    levels: dict[str, Any] = {}
    for snr in SNR_DB:
        audio, events = build_stream(eval_clips, noise, snr, seed=snr)
        levels[str(snr)] = {name: run(ens, audio, events, c) for name, c in configs.items()}
        if snr == TIMELINE_SNR:
            frontend_error = frontend_check(audio)
            timeline(ens, audio, events, gate, HERE / f"{args.out}_timeline.png")
        print(
            snr,
            {
                n: (round(r["recall"], 4), r["false_alarms"], round(r["mean_members"], 2))
                for n, r in levels[str(snr)].items()
            },
        )
    gc.enable()
    pooled = {name: totals([levels[str(s)][name] for s in SNR_DB]) for name in configs}
    results = {
        "bundle": str(args.bundle),
        "members": k,
        "backend": ens.runner.backend,
        "precision": ens.manifest.precision,
        "config": {
            "stride_ms": CONFIG.stride_ms,
            "smooth_ms": CONFIG.smooth_ms,
            "threshold": CONFIG.threshold,
            "min_gap_ms": CONFIG.min_gap_ms,
            "default_quiet_gate": CONFIG.quiet_gate,
        },
        "clips": {"calibration": len(calib_clips), "evaluation": len(eval_clips)},
        "calibration": calibration,
        "gate": gate,
        "levels": levels,
        "pooled": pooled,
        "frontend_max_abs_diff_of_scale": frontend_error,
        "checks": checks(pooled, levels, k, frontend_error),
        "setup": setup,
    }
    info = save_results(out.with_suffix(".json"), results)
    out.with_suffix(".md").write_text(report(results, info, args))
    print(out.with_suffix(".md").read_text())


def checks(
    pooled: dict[str, Any], levels: dict[str, Any], k: int, frontend_error: float
) -> dict[str, bool]:
    full, early = pooled["full"], pooled["early_exit"]
    return {
        "recall_within_1_point": early["recall"] >= full["recall"] - 0.01,
        "false_alarms_within_10_percent": early["false_alarms"] <= 1.1 * full["false_alarms"],
        "members_at_most_half": early["mean_members"] <= 0.5 * k,
        "realtime_50x_every_run": min(
            r["realtime_factor"] for lv in levels.values() for r in lv.values()
        )
        >= 50,
        "frontend_within_1e-5": frontend_error <= 1e-5,
    }


def reading(r: dict[str, Any]) -> list[str]:
    """What the numbers say (written from them, so a rerun keeps it true)."""
    k, pg = r["members"], r["calibration"]["posterior_gate"]
    early = [lv["early_exit"] for lv in r["levels"].values()]
    noise = np.mean([row["members_noise_windows"] for row in early])
    keyword = np.mean([row["members_keyword_windows"] for row in early])
    sup = r["pooled"]["suppressed"]
    q1, q2, q3 = pg["member_1_top_quartiles"]
    per_level = "; ".join(
        f"{snr} dB: recall {100 * (lv['early_exit']['recall'] - lv['full']['recall']):+.1f} points, "
        f"false alarms {lv['early_exit']['false_alarms'] / lv['full']['false_alarms'] - 1:+.0%}"
        for snr, lv in r["levels"].items()
    )
    return [
        f"Reading: suppression alone changes no detection (it only skips windows that cannot fire "
        f"or feed a score that can) and already runs {sup['mean_members']:.2f} of {k} members: this "
        "bundle fires often, and each detection leaves about 7 windows that cannot matter. The quiet "
        f"gate does the rest: windows near a keyword ran {keyword:.2f} members on average, the others "
        f"{noise:.2f}. What it costs, by level ({per_level}): a word that rises less than the gate above "
        "the background is not heard, and a quiet window's uniform posterior keeps the two windows after "
        "it from firing (a word's first windows wait); false alarms fall because noise that stays under "
        "the gate can no longer fire.",
        "",
        "Why not a gate on the running posterior (stop when the partial ensemble's top keyword posterior "
        f"is far below the threshold): with smoothing over {r['config']['smooth_ms'] / r['config']['stride_ms']:g} "
        f"windows, a window whose posterior is below {pg['veto_level']:.2f} vetoes every smoothed score "
        f"it enters, so stopping there would be nearly exact; but on the calibration stream "
        f"({pg['windows']} windows, full ensemble) member 1's top posterior was below it on only "
        f"{100 * pg['member_1_below']:.1f} % of windows (quartiles {q1:.2f} / {q2:.2f} / {q3:.2f}), and "
        f"{100 * pg['crossing']:.0f} % of those crossed it with all members. KWS-8 has no silence or "
        "unknown class: every window of noise must be called some word, and member 1 calls it "
        "confidently, so the posterior cannot tell noise from speech; the audio level can. The margin "
        "policy fails for the same reason (benchmarks/streaming.md before this change: margin 4 ran "
        "3.75 of 4 members).",
    ]


def report(r: dict[str, Any], info: dict[str, Any], args: argparse.Namespace) -> str:
    k, gate = r["members"], r["gate"]
    names = {
        "full": "full ensemble",
        "suppressed": "suppressed windows skipped (exact)",
        "early_exit": f"shortcuts: suppressed + quiet gate {gate:g}",
        "member_1": "member 1 alone",
    }
    c, cal = r["config"], r["calibration"]
    lines = [
        "# Streaming keyword spotting on real audio",
        "",
        f"Machine: {machine_line(info)}; {r['setup']}; the machine was shared with other jobs while this ran "
        "(speeds are conservative). Command: `python benchmarks/streaming.py --bundle BUNDLE"
        + ("" if getattr(args, "out", "streaming") == "streaming" else f" --out {args.out}")
        + "` with BUNDLE the "
        f"kws8 {r['precision']} {r['backend']} bundle ({k} members; `{Path(r['bundle']).name}`, "
        "exported by this version: int8 connection scales pinned, docs/bundle.md).",
        "",
        f"Streams: the {r['clips']['evaluation']} KWS-8 *validation* clips of the evaluation speakers (never a "
        "training clip; the dataset's hash rule), in random order, one every 3-4.5 s (2-3.5 s of noise between "
        "clips), over the dataset's six `_background_noise_` recordings (each scaled to unit RMS, end to end, "
        "from a random offset; note that training augmentation drew on the same recordings). Noise level: SNR of "
        "the median clip's loudest 0.5 s over the noise RMS. One stream per level, "
        f"{r['pooled']['full']['hours'] * 60 / len(SNR_DB):.0f} min each. Recognizer: a window every "
        f"{c['stride_ms']:g} ms, posteriors averaged over {c['smooth_ms']:g} ms, threshold {c['threshold']:g}, "
        f"{c['min_gap_ms']:g} ms between detections; audio pushed in 100 ms chunks. A detection of a clip's word "
        f"within {MATCH_S[1]:g} s of the clip's start is a hit (once); any other detection is a false alarm.",
        "",
        "Policies: *full ensemble* runs every member on every window (`skip_suppressed=False, quiet_gate=None`); "
        "*shortcuts* is the recognizer's default (`StreamConfig()`, `Policy()`): a window whose level above the "
        "background is under the quiet gate runs no member and counts as a uniform posterior that cannot fire "
        "(docs/runtime.md); one whose every smoothed score falls in the suppression gap of the last detection runs "
        "member 1 alone; every other window runs every member. Members per window below count a quiet window "
        "as 0. "
        f"Quiet gate {gate:g} nats ({4.343 * gate:.1f} dB; the runtime's default is {c['default_quiet_gate']}): "
        f"chosen on separate streams of the other {r['clips']['calibration']} validation clips (a quarter of "
        f"the speakers; {len(cal['streams'])} streams, three orders and noise offsets per level) by the rule "
        f"declared before the evaluation run: {SELECTION} ({cal['rule']}); the evaluation streams below were "
        "run once with it and never used to choose it (see Calibration below).",
        "",
        "| SNR | policy | recall % | false alarms (per hour) | members per window | on keyword / noise windows | real-time factor |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for snr, rows in r["levels"].items():
        for name, row in rows.items():
            lines.append(
                f"| {snr} dB | {names[name]} | {100 * row['recall']:.1f} | {row['false_alarms']} "
                f"({row['false_alarms_per_hour']:.1f}) | {row['mean_members']:.2f} of {k} | "
                f"{row['members_keyword_windows']:.2f} / {row['members_noise_windows']:.2f} | "
                f"{row['realtime_factor']:.0f}x |"
            )
    for name, row in r["pooled"].items():
        lines.append(
            f"| all | {names[name]} | {100 * row['recall']:.1f} | {row['false_alarms']} "
            f"({row['false_alarms_per_hour']:.1f}) | {row['mean_members']:.2f} of {k} | | "
            f"{row['realtime_factor']:.0f}x |"
        )
    lines += acceptance_lines(r, names)
    lines += calibration_lines(r)
    lines += [
        "",
        *reading(r),
        "",
        "Pooled over the noise levels at other thresholds (each run's windows replayed through the "
        "detector; recall % / false alarms per hour; for the shortcut rows the members per window stay "
        "those run at 0.8, whose suppression followed the 0.8 detections, so those columns are "
        "approximate):",
        "",
        "| threshold | " + " | ".join(names[n] for n in r["pooled"]) + " |",
        "|---:|" + "---:|" * len(r["pooled"]),
        *[
            f"| {t} | "
            + " | ".join(
                f"{100 * row['thresholds'][t]['recall']:.1f} / "
                f"{row['thresholds'][t]['false_alarms_per_hour']:.0f}"
                for row in r["pooled"].values()
            )
            + " |"
            for t in next(iter(r["pooled"].values()))["thresholds"]
        ],
        "",
        f"![timeline]({getattr(args, 'out', 'streaming')}_timeline.png)",
        "",
        f"The first 20 s of the {TIMELINE_SNR} dB stream: keyword clips (green), the smoothed top score of "
        "each window and the detections (triangles) for the full ensemble and the shortcuts, and the members "
        "each window ran.",
        "",
    ]
    return "\n".join(lines)


def calibration_lines(r: dict[str, Any]) -> list[str]:
    """The calibration table: every gate on the grid, pooled and by level."""
    cal, k = r["calibration"], r["members"]
    full = cal["full"]
    levels = list(full["levels"])
    head = " | ".join(f"recall {snr} dB" for snr in levels)

    def row(name: str, x: dict[str, Any]) -> str:
        return (
            f"| {name} | {100 * x['recall']:.1f} ({100 * (x['recall'] - full['recall']):+.1f}) | "
            f"{100 * x['lost']:.1f} / {100 * x['gained']:.1f} | {x['false_alarms']} | "
            f"{x['mean_members']:.2f} ({100 * x['mean_members'] / k:.0f} %) | "
            + " | ".join(f"{100 * x['levels'][snr]['recall']:.1f}" for snr in levels)
            + " |"
        )

    chosen = f"{cal['chosen']:g}"
    budget = "within" if cal["within_budget"] else "NOT within"
    return [
        "",
        f"Calibration ({len(cal['streams'])} streams of the calibration speakers, "
        f"{full['keywords']} keywords; every gate replayed exactly from one full-ensemble pass per "
        "stream, benchmarks/streaming_replay.py; replay = the recognizer on the first stream: "
        f"{'yes' if cal['replay_exact'] else 'NO'}). Lost / gained: keywords the full ensemble found "
        "and the gate missed / the other way round (% of keywords). Chosen: "
        f"{chosen}, {budget} the declared budget of {cal['budget_points']:g} points of recall.",
        "",
        f"| quiet gate: quiet windows run no member | recall % (vs full) | lost / gained % | false alarms | members per window | {head} |",
        "|---:|---:|---:|---:|---:|" + "---:|" * len(levels),
        row("full ensemble", full),
        *[row(g if g != chosen else f"**{g}**", x) for g, x in cal["gates"].items()],
        "",
        "The earlier rule on the same calibration streams (evaluation runs 0 and 1), for comparison:",
        "",
        f"| quiet gate: quiet windows on member 1 alone | recall % (vs full) | lost / gained % | false alarms | members per window | {head} |",
        "|---:|---:|---:|---:|---:|" + "---:|" * len(levels),
        *[row(g, x) for g, x in cal["gates_member_1"].items()],
        "",
        "Every rule run on the evaluation streams (shortcuts vs full ensemble, pooled):",
        "",
        *[f"- {line}" for line in EVALUATION_RUNS],
        f"- run {len(EVALUATION_RUNS)}: this report (the tables above): quiet windows run no "
        "member. This rule was tried because run 1 missed the bar: on the calibration streams the "
        "earlier rule moved about twice as many keywords each way (lost / gained above; "
        "benchmarks/streaming_rules.md), so its calibration gain rested on which false alarm lands before which word and "
        "need not carry over; its gate was then set by the declared rule on calibration alone. The script was "
        "run a second time unchanged but for a fix to the threshold table (a quiet window may not "
        "fire there either); the detections were identical.",
        "- after run 2, with the rule and gate frozen: five fresh draws of the evaluation streams "
        "(other orders, gaps and noise offsets; `benchmarks/streaming_draws.py`, "
        "benchmarks/streaming_draws.md), so that the thin margin above is not one draw's luck.",
    ]


def acceptance_lines(r: dict[str, Any], names: dict[str, str]) -> list[str]:
    k, ch = r["members"], r["checks"]
    full, early = r["pooled"]["full"], r["pooled"]["early_exit"]
    ok = {True: "met", False: "NOT met"}
    slowest = min(row["realtime_factor"] for lv in r["levels"].values() for row in lv.values())
    return [
        "",
        f"Acceptance (pooled over the noise levels; early exit = {names['early_exit']}):",
        "",
        f"- recall, early exit vs full: {100 * early['recall']:.1f} vs {100 * full['recall']:.1f} % "
        f"({ok[ch['recall_within_1_point']]}: within 1 point)",
        f"- false alarms, early exit vs full: {early['false_alarms']} vs {full['false_alarms']} "
        f"({ok[ch['false_alarms_within_10_percent']]}: at most 10 % more)",
        f"- members per window, early exit: {early['mean_members']:.2f} of {k} = "
        f"{100 * early['mean_members'] / k:.0f} % ({ok[ch['members_at_most_half']]}: <= 50 %; "
        f"{100 * early['quiet_share']:.0f} % of windows quiet (no member), "
        f"{100 * early['suppressed_share']:.0f} % suppressed (member 1))",
        f"- real-time factor (whole push: front end, quiet gate, ensemble, smoothing), slowest run: "
        f"{slowest:.0f}x ({ok[ch['realtime_50x_every_run']]}: >= 50x)",
        f"- incremental front end vs one-shot over 60 s of the {TIMELINE_SNR} dB stream in 100 ms chunks: "
        f"max |diff| {r['frontend_max_abs_diff_of_scale']:.1e} of the feature scale "
        f"({ok[ch['frontend_within_1e-5']]}: <= 1e-5)",
    ]


if __name__ == "__main__":
    main()
