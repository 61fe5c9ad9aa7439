"""The bad-input matrix: every category of the hardening probes, run as a user would run them.

Each probe is one CLI command against a deliberately bad input or a fault. Its outcome is one of
``clear error`` (non-zero exit, the expected words, no traceback), ``note`` (exit 0 and the
expected note), ``traceback``, ``silent`` (exit 0 without the expected word: a silent fix-up or a
silently wrong answer), ``unclear`` (non-zero exit without the expected words) or ``data loss``
(a file the probe protects changed). The target is zero tracebacks, silent answers and data loss.

Run: python benchmarks/bad_inputs.py [--keep DIR]
Writes benchmarks/bad_inputs.md and bad_inputs.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import machine_info, machine_line, save_results

HERE = Path(__file__).resolve().parent
TINY = [
    "teacher_train.epochs=3",
    "student_train.epochs=2",
    "students=cnn1d-8,cnn1d-16",
    "distill.max_members=2",
]


@dataclass
class Probe:
    category: str
    name: str
    args: Callable[[Path], list[str]]  # the edgekit arguments, given the probe's folder
    expect: str  # "error" or "note"
    pattern: str  # regex the output must contain
    setup: Callable[[Path], None] = lambda d: None
    keep: Callable[[Path], list[Path]] = lambda d: []  # files/folders that must not change
    result: dict[str, Any] = field(default_factory=dict)


def sets(overrides: list[str]) -> list[str]:
    return [arg for item in overrides for arg in ("--set", item)]


def append(path: Path, text: str) -> None:
    with path.open("a") as fh:
        fh.write(text)


def digest(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_file():
        h.update(path.read_bytes())
    elif path.is_dir():
        for p in sorted(path.rglob("*")):
            h.update(str(p.relative_to(path)).encode())
            if p.is_file():
                h.update(p.read_bytes())
    else:
        h.update(b"<absent>")
    return h.hexdigest()


def edgekit(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EDGEKIT_PROGRESS": "0", "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "edgekit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000, channels: int = 1) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def tone(seconds: float, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def edit_manifest(bundle: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = bundle / "manifest.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def copy_bundle(src: Path, dst: Path, change: Callable[[dict[str, Any]], None]) -> None:
    shutil.copytree(src, dst)
    edit_manifest(dst, change)


def arrays_npz(path: Path, y_train: list[int], y_val: list[int], dtype: str = "float32") -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((len(y_train), 32, 3)).astype(dtype)
    xv = rng.standard_normal((len(y_val), 32, 3)).astype(dtype)
    np.savez(path, X_train=x, y_train=np.array(y_train), X_val=xv, y_val=np.array(y_val, int))


def probes(run: Path, bundle: Path, speech: Path) -> list[Probe]:
    """Every category of the issue's probes; ``speech`` is a bundle manifest with a front end."""
    c = "1 data loss"
    out: list[Probe] = [
        Probe(
            c,
            "export --out a user's folder",
            lambda d: ["export", str(run), "--target", "onnx", "--out", str(d / "mydocs")],
            "error",
            r"edgekit did not write",
            setup=lambda d: ((d / "mydocs").mkdir(), (d / "mydocs" / "thesis.tex").write_text("x")),
            keep=lambda d: [d / "mydocs"],
        ),
        Probe(
            c,
            "export --out a user's file",
            lambda d: ["export", str(run), "--target", "onnx", "--out", str(d / "x.npy")],
            "error",
            r"edgekit did not write",
            setup=lambda d: (d / "x.npy").write_bytes(b"data"),
            keep=lambda d: [d / "x.npy"],
        ),
        Probe(
            c,
            "export --target c --out a user's folder",
            lambda d: ["export", str(bundle), "--target", "c", "--out", str(d / "src")],
            "error",
            r"edgekit did not write",
            setup=lambda d: ((d / "src").mkdir(), (d / "src" / "main.c").write_text("int main;")),
            keep=lambda d: [d / "src"],
        ),
        Probe(
            c,
            "bench --out a user's file",
            lambda d: ["bench", str(bundle), "--samples", "8", "--out", str(d / "notes.txt")],
            "error",
            r"edgekit did not write",
            setup=lambda d: (d / "notes.txt").write_text("mine"),
            keep=lambda d: [d / "notes.txt"],
        ),
        Probe(
            c,
            "distill --out a user's folder",
            lambda d: [
                "distill",
                "synthetic",
                "--out",
                str(d / "work"),
                *sets(TINY),
            ],
            "error",
            r"edgekit did not write",
            setup=lambda d: ((d / "work").mkdir(), (d / "work" / "a.txt").write_text("x")),
            keep=lambda d: [d / "work"],
        ),
        Probe(
            c,
            "demo --out a user's folder",
            lambda d: ["demo", "--out", str(d / "home")],
            "error",
            r"edgekit did not write",
            setup=lambda d: ((d / "home").mkdir(), (d / "home" / "a.txt").write_text("x")),
            keep=lambda d: [d / "home"],
        ),
    ]
    c = "2 markup"
    out += [
        Probe(
            c,
            "wrong shape names the expected shape",
            lambda d: ["run", str(bundle), str(d / "wrong.npy")],
            "error",
            r"expects \[\d+, \d+\] or \[batch",
            setup=lambda d: np.save(d / "wrong.npy", np.zeros((3, 3), np.float32)),
        ),
        Probe(
            c,
            "a path with brackets is printed whole",
            lambda d: ["run", str(bundle), str(d / "rec[left]1.npy")],
            "error",
            r"rec\[left\]1\.npy: no such file",
        ),
    ]
    c = "3 audio"
    out += [
        Probe(
            c,
            "10-minute WAV",
            lambda d: ["run", str(speech), str(d / "long.wav")],
            "error",
            r"600\.00 s of audio.*--long-audio",
            setup=lambda d: write_wav(d / "long.wav", np.zeros(600 * 16000, np.float32)),
        ),
        Probe(
            c,
            "stereo WAV",
            lambda d: ["run", str(speech), str(d / "st.wav")],
            "note",
            r"mixed 2 channels down to mono",
            setup=lambda d: write_wav(d / "st.wav", np.repeat(tone(0.9), 2), channels=2),
        ),
        Probe(
            c,
            "8 kHz WAV",
            lambda d: ["run", str(speech), str(d / "8k.wav")],
            "note",
            r"resampled from 8000 Hz to 16000 Hz",
            setup=lambda d: write_wav(d / "8k.wav", tone(0.9, 8000), rate=8000),
        ),
        Probe(
            c,
            "44.1 kHz WAV",
            lambda d: ["run", str(speech), str(d / "44k.wav")],
            "note",
            r"resampled from 44100 Hz",
            setup=lambda d: write_wav(d / "44k.wav", tone(0.9, 44100), rate=44100),
        ),
        Probe(
            c,
            "truncated WAV",
            lambda d: ["run", str(speech), str(d / "cut.wav")],
            "error",
            r"truncated",
            setup=lambda d: (
                write_wav(d / "cut.wav", tone(0.9)),
                (d / "cut.wav").write_bytes((d / "cut.wav").read_bytes()[:9000]),
            ),
        ),
        Probe(
            c,
            "--json carries the fix-ups",
            lambda d: ["run", str(speech), str(d / "st.wav"), "--json"],
            "note",
            r'"fixups": \["mixed 2 channels',
            setup=lambda d: write_wav(d / "st.wav", np.repeat(tone(0.9), 2), channels=2),
        ),
    ]
    c = "4 bad data"
    out += [
        Probe(
            c,
            "arrays: empty validation split",
            lambda d: ["data", "info", "arrays", "--data-dir", str(d / "e.npz")],
            "error",
            r"the val split is empty",
            setup=lambda d: arrays_npz(d / "e.npz", [0, 1] * 10, []),
        ),
        Probe(
            c,
            "arrays: labels with gaps",
            lambda d: ["data", "info", "arrays", "--data-dir", str(d / "g.npz")],
            "note",
            r"2 of 4 classes have no sample",
            setup=lambda d: arrays_npz(d / "g.npz", [0, 3] * 10, [0, 3]),
        ),
        Probe(
            c,
            "arrays: one sample per class",
            lambda d: ["data", "info", "arrays", "--data-dir", str(d / "o.npz")],
            "note",
            r"fewer than 5 samples",
            setup=lambda d: arrays_npz(d / "o.npz", [0, 1, 2], [0, 1, 2]),
        ),
        Probe(
            c,
            "arrays: validation missing classes",
            lambda d: ["data", "info", "arrays", "--data-dir", str(d / "v.npz")],
            "note",
            r"val split: 1 of 3 classes have no sample",
            setup=lambda d: arrays_npz(d / "v.npz", [0, 1, 2] * 6, [0, 1]),
        ),
        Probe(
            c,
            "complex .npy input",
            lambda d: ["run", str(bundle), str(d / "z.npy")],
            "error",
            r"complex",
            setup=lambda d: np.save(d / "z.npy", np.zeros((64, 8), np.complex64)),
        ),
        Probe(
            c,
            "arrays: complex features",
            lambda d: ["data", "info", "arrays", "--data-dir", str(d / "c.npz")],
            "error",
            r"complex64",
            setup=lambda d: arrays_npz(d / "c.npz", [0, 1] * 4, [0, 1], dtype="complex64"),
        ),
    ]
    c = "5 tracebacks"
    out += [
        Probe(
            c,
            "bench --samples 0",
            lambda d: ["bench", str(bundle), "--samples", "0", "--out", str(d / "r")],
            "error",
            r"--samples must be >= 1",
        ),
        Probe(
            c,
            "bench --samples -5",
            lambda d: ["bench", str(bundle), "--samples", "-5", "--out", str(d / "r")],
            "error",
            r"--samples must be >= 1",
        ),
        Probe(
            c,
            "bench --data that does not exist",
            lambda d: ["bench", str(bundle), "--data", str(d / "nope"), "--out", str(d / "r")],
            "error",
            r"nope.*(no such|does not exist)",
        ),
        Probe(
            c,
            "report on a damaged metrics.jsonl",
            lambda d: ["report", str(d / "run")],
            "note",
            r"metrics\.jsonl.*(damaged|incomplete|skipped)",
            setup=lambda d: (
                shutil.copytree(run, d / "run"),
                append(d / "run" / "metrics.jsonl", '{"round": 9, "val_acc'),
            ),
            keep=lambda d: [d / "run" / "members"],
        ),
        Probe(
            c,
            "normalization of the wrong length",
            lambda d: ["run", str(d / "b"), str(d / "x.npy")],
            "error",
            r"normalization\.mean: \d+ values, expected",
            setup=lambda d: (
                copy_bundle(
                    bundle,
                    d / "b",
                    lambda m: m.update(normalization={"mean": [0.0] * 3, "std": [1.0] * 3}),
                ),
                np.save(d / "x.npy", np.zeros((64, 8), np.float32)),
            ),
        ),
        Probe(
            c,
            "normalization std 0",
            lambda d: ["bench", str(d / "b"), "--samples", "4", "--out", str(d / "r")],
            "error",
            r"std <= 0",
            setup=lambda d: copy_bundle(
                bundle,
                d / "b",
                lambda m: m.update(
                    normalization={
                        "mean": [0.0] * m["input_shape"][-1],
                        "std": [0.0] * m["input_shape"][-1],
                    }
                ),
            ),
        ),
        Probe(
            c,
            "connected_from of the wrong type",
            lambda d: ["run", str(d / "b"), str(d / "x.npy")],
            "error",
            r"connected_from' must be null or an int",
            setup=lambda d: (
                copy_bundle(bundle, d / "b", lambda m: m["members"][1].update(connected_from="1")),
                np.save(d / "x.npy", np.zeros((64, 8), np.float32)),
            ),
        ),
        Probe(
            c,
            "member file ./m.onnx",
            lambda d: ["run", str(d / "b"), str(d / "x.npy")],
            "error",
            r"field 'file' must name the file as the bundle stores it",
            setup=lambda d: (
                copy_bundle(
                    bundle,
                    d / "b",
                    lambda m: m["members"][0].update(file="./" + m["members"][0]["file"]),
                ),
                np.save(d / "x.npy", np.zeros((64, 8), np.float32)),
            ),
        ),
    ]
    c = "6 zip limits"
    out += [
        Probe(
            c,
            "1 GiB zero entry in a small zip",
            lambda d: ["run", str(d / "bomb.zip"), str(d / "x.npy")],
            "error",
            r"over the 64 MiB|bytes but the manifest says",
            setup=lambda d: make_bomb(bundle, d),
        ),
    ]
    c = "8 paper cuts"
    out += [
        Probe(
            c,
            "data --help has an example",
            lambda d: ["data", "--help"],
            "note",
            r"Example: edgekit data info",
        ),
        Probe(
            c,
            "export --help sends nobody to ../shared",
            lambda d: ["export", "--help"],
            "note",
            r"^(?![\s\S]*\.\./shared)[\s\S]*Example",
        ),
    ]
    c = "9 export on users' data"
    out += [
        Probe(
            c,
            "ONNX int8 with 45 calibration samples",
            lambda d: [
                "export",
                str(run),
                "--target",
                "onnx",
                "--int8",
                "--calib",
                "45",
                "--out",
                str(d / "b"),
            ],
            "note",
            r"bundle: ",
        ),
    ]
    c = "10 threads"
    out += [
        Probe(
            c,
            "--threads 0",
            lambda d: ["train-teacher", "synthetic", "--out", str(d / "t"), "--threads", "0"],
            "error",
            r"--threads",
        ),
        Probe(
            c,
            "--threads 1 is recorded",
            lambda d: [
                "train-teacher",
                "synthetic",
                "--out",
                str(d / "t"),
                "--threads",
                "1",
                "--set",
                "teacher_train.epochs=1",
            ],
            "note",
            r"teacher",
            keep=lambda d: [],
        ),
    ]
    return out


def make_bomb(bundle: Path, d: Path) -> None:
    """A zip whose first member is replaced by 1 GiB of zeros (about 1 MB compressed)."""
    np.save(d / "x.npy", np.zeros((64, 8), np.float32))
    manifest = json.loads((bundle / "manifest.json").read_text())
    first = manifest["members"][0]["file"]
    with zipfile.ZipFile(d / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(bundle / "manifest.json", "manifest.json")
        for m in manifest["members"][1:]:
            zf.write(bundle / m["file"], m["file"])
        with zf.open(first, "w", force_zip64=True) as entry:
            block = bytes(1 << 24)
            for _ in range(64):
                entry.write(block)


def classify(probe: Probe, proc: subprocess.CompletedProcess[str], lost: bool) -> str:
    text = proc.stdout + proc.stderr
    if lost:
        return "data loss"
    if "Traceback (most recent call last)" in text:
        return "traceback"
    found = re.search(probe.pattern, text, re.S) is not None
    if proc.returncode != 0:
        return "clear error" if found and probe.expect == "error" else "unclear"
    if probe.expect == "note" and found:
        return "note"
    return "silent"


SPEECH = HERE.parents[1] / "shared" / "data" / "speech_commands_mini"
SPEECH_TINY = [
    "teacher=dscnn-8x4",
    "students=dscnn-8x4",
    "teacher_train.epochs=1",
    "teacher_train.augment=false",
    "student_train.epochs=1",
    "distill.max_members=1",
]


def speech_subset(root: Path, per_word: int = 12) -> Path:
    """A few real clips of each KWS-8 word (links, not copies) for a tiny speech bundle."""
    out = root / "kws8-mini"
    for word in sorted(p for p in SPEECH.iterdir() if p.is_dir() and not p.name.startswith("_")):
        (out / word.name).mkdir(parents=True)
        for clip in sorted(word.glob("*.flac"))[:per_word]:
            (out / word.name / clip.name).symlink_to(clip)
    return out


def build_fixtures(root: Path) -> tuple[Path, Path, Path]:
    """A tiny synthetic run and its float ONNX bundle; a tiny KWS-8 bundle (audio front end)."""
    tiny, speech_tiny = sets(TINY), sets(SPEECH_TINY)
    steps = [
        ["distill", "synthetic", "--out", str(root / "run"), *tiny],
        ["export", str(root / "run"), "--target", "onnx", "--out", str(root / "bundle")],
        ["distill", "kws8", "--data-dir", str(speech_subset(root)), "--out", str(root / "kws"),
         *speech_tiny],
        ["export", str(root / "kws"), "--target", "onnx", "--out", str(root / "speech")],
    ]  # fmt: skip
    for args in steps:
        proc = edgekit(args, root)
        if proc.returncode != 0:
            raise SystemExit(f"fixture failed: edgekit {' '.join(args)}\n{proc.stderr[-2000:]}")
    return root / "run", root / "bundle", root / "speech"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    ns = parser.parse_args()
    root = ns.keep or Path(tempfile.mkdtemp(prefix="bad-inputs-"))
    root.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    run, bundle, speech = build_fixtures(root)
    results = []
    for i, probe in enumerate(probes(run, bundle, speech)):
        d = root / f"probe{i:02d}"
        d.mkdir()
        probe.setup(d)
        kept = {p: digest(p) for p in probe.keep(d)}
        proc = edgekit(probe.args(d), d)
        lost = any(digest(p) != h for p, h in kept.items())
        outcome = classify(probe, proc, lost)
        text = (proc.stderr.strip() or proc.stdout.strip()).replace(str(root), "<work>")
        last = text.splitlines()[-1:] or [""]
        results.append({"category": probe.category, "probe": probe.name, "outcome": outcome,
                        "exit": proc.returncode, "message": last[0][:240]})  # fmt: skip
        print(f"{outcome:12s} {probe.category:14s} {probe.name}: {last[0][:120]}")
    counts = Counter(r["outcome"] for r in results)
    info = machine_info()
    save_results(HERE / "bad_inputs.json", {"machine": info, "counts": counts, "probes": results})
    lines = [
        "# The bad-input matrix",
        "",
        f"Machine: {machine_line(info)}. Command: `python benchmarks/bad_inputs.py` "
        f"({time.perf_counter() - start:.0f} s).",
        "",
        "Outcomes: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        + f" (of {len(results)}).",
        "Target: zero traceback, silent, unclear and data loss.",
        "",
        "| category | probe | outcome | exit | message (last line) |",
        "|---|---|---|---|---|",
        *(
            f"| {r['category']} | {r['probe']} | {r['outcome']} | {r['exit']} | "
            f"{r['message'].replace('|', '/')} |"
            for r in results
        ),
    ]
    (HERE / "bad_inputs.md").write_text("\n".join(lines) + "\n")
    if not ns.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
