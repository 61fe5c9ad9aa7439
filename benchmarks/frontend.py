"""Front-end throughput (numpy reference vs torch batch) and kws8 load time, cached vs uncached.

Run: python benchmarks/frontend.py [--data-dir ../shared/data/speech_commands_mini]
Writes benchmarks/frontend.md and benchmarks/frontend.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DATA, HERE
from benchmarks.machine import machine_line, save_results
from edgekit.data import load_dataset
from edgekit.features import fit_clip, logmel, read_audio
from edgekit.features.torch_frontend import LogMel


def best_of(fn, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=str(DATA["kws8"]))
    args = parser.parse_args()
    root = Path(args.data_dir)
    files = sorted(root.glob("*/*.flac"))
    files = [f for f in files if not f.parent.name.startswith("_")][:256]
    clips = np.stack([fit_clip(read_audio(f).audio, 16000) for f in files])
    n = len(clips)
    results: dict[str, float] = {}
    results["numpy_single_clip_per_s"] = n / best_of(lambda: [logmel(c) for c in clips], 3)
    results["numpy_batch_clips_per_s"] = n / best_of(lambda: logmel(clips))
    results["numpy_batch16_clips_per_s"] = n / best_of(
        lambda: [logmel(clips[i : i + 16]) for i in range(0, n, 16)]
    )
    audio = torch.from_numpy(clips)
    f64, f32 = LogMel(), LogMel(dtype=torch.float32)
    with torch.no_grad():
        results["torch_batch_f64_clips_per_s"] = n / best_of(lambda: f64(audio))
        results["torch_batch_f32_clips_per_s"] = n / best_of(lambda: f32(audio))
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        data = load_dataset("kws8", root, cache_dir=cache)
        results["kws8_clips"] = len(data.train) + len(data.val)
        results["kws8_uncached_load_s"] = time.perf_counter() - start
        start = time.perf_counter()
        load_dataset("kws8", root, cache_dir=cache)
        results["kws8_cached_load_s"] = time.perf_counter() - start
    info = save_results(HERE / "frontend.json", results)
    r = results
    md = f"""# Front-end benchmark

Machine: {machine_line(info)}. Command: `python benchmarks/frontend.py`. {n} real KWS-8 clips,
1 s at 16 kHz -> 99 x 32 log-mel; best of 5 repeats.

| implementation | clips/s | vs numpy batch |
|---|---:|---:|
| numpy, one clip at a time (what the runtime does per request) | {r["numpy_single_clip_per_s"]:,.0f} | {r["numpy_single_clip_per_s"] / r["numpy_batch_clips_per_s"]:.2f}x |
| numpy, batch of {n} (float64) | {r["numpy_batch_clips_per_s"]:,.0f} | 1.00x |
| numpy, batches of 16 (float64; the loaders' path: stays in cache) | {r["numpy_batch16_clips_per_s"]:,.0f} | {r["numpy_batch16_clips_per_s"] / r["numpy_batch_clips_per_s"]:.2f}x |
| torch batch, float64 (default; matches numpy to round-off) | {r["torch_batch_f64_clips_per_s"]:,.0f} | {r["torch_batch_f64_clips_per_s"] / r["numpy_batch_clips_per_s"]:.2f}x |
| torch batch, float32 (training augmentation) | {r["torch_batch_f32_clips_per_s"]:,.0f} | {r["torch_batch_f32_clips_per_s"] / r["numpy_batch_clips_per_s"]:.2f}x |

KWS-8 (`../shared/data/speech_commands_mini`, {r["kws8_clips"]:,.0f} clips) through `load_dataset`:

| load | seconds |
|---|---:|
| uncached (read FLAC, fix up, features, write cache) | {r["kws8_uncached_load_s"]:.2f} |
| cached (verify digest, normalise) | {r["kws8_cached_load_s"]:.2f} |
| speed-up | {r["kws8_uncached_load_s"] / r["kws8_cached_load_s"]:.1f}x |
"""
    (HERE / "frontend.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
