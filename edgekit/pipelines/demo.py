"""``edgekit demo``: the whole pipeline on the synthetic task, no download, minutes on a laptop.

teacher -> B-DISTIL rounds -> int8 TFLite bundle (parity-checked) -> the torch-free runtime under
a deadline and with early exit. What a new user runs first; each step is a real command too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Console


def run_demo(
    out: Path, device: str = "auto", overrides: list[str] | None = None
) -> dict[str, float]:
    """Run (or resume) the demo in ``out``; ``overrides`` (``--set`` items) shorten it in tests."""
    from edgekit.data import load_dataset
    from edgekit.distill.report import print_run
    from edgekit.export.exporter import ExportOptions, export_bundle
    from edgekit.pipelines.distill import distill
    from edgekit.runtime import Policy, ProgressiveEnsemble

    console = Console()
    console.rule("1/3  B-DISTIL on the synthetic task (edgekit distill synthetic)")
    distill("synthetic", out, overrides=overrides, device=device)
    console.rule("2/3  int8 TFLite bundle (edgekit export --target tflite --int8)")
    bundle = export_bundle(
        out, out / "bundle-tflite-int8", ExportOptions("tflite", int8=True), make_zip=True
    )
    console.rule("3/3  the torch-free runtime (edgekit run / edgekit.runtime)")
    ens = ProgressiveEnsemble.load(bundle)
    val = load_dataset("synthetic").val
    x, y = val.x[:300], val.y[:300]
    # a deadline with room for about half the members: 1.2x the typical time of the first half
    half = Policy(max_members=max(1, len(ens) // 2))
    deadline = 1.2 * float(np.median([ens.predict(xi, half).elapsed_ms for xi in x[:50]]))
    runs = [ens.predict(xi, Policy(deadline_ms=deadline)) for xi in x]
    full = [ens.predict(xi) for xi in x]
    exits = [ens.predict(xi, Policy(margin=4.0)) for xi in x]

    def acc(preds: list) -> float:  # type: ignore[type-arg]
        return float(np.mean([p.label == t for p, t in zip(preds, y, strict=True)]))

    result: dict[str, float] = {
        "deadline_ms": deadline,
        "deadline_accuracy": acc(runs),
        "deadline_mean_members": float(np.mean([p.members_run for p in runs])),
        "deadline_max_elapsed_ms": float(max(p.elapsed_ms for p in runs)),
        "full_accuracy": acc(full),
        "full_mean_ms": float(np.mean([p.elapsed_ms for p in full])),
        "early_exit_accuracy": acc(exits),
        "early_exit_mean_members": float(np.mean([p.members_run for p in exits])),
        "members": float(len(ens)),
    }
    print_run(out)
    console.print(
        f"runtime ({ens.runner.backend}, int8, {len(x)} validation inputs): all {len(ens)} members "
        f"{100 * result['full_accuracy']:.1f} % in {result['full_mean_ms']:.2f} ms on average; "
        f"under a {deadline:.3f} ms deadline {100 * result['deadline_accuracy']:.1f} % with "
        f"{result['deadline_mean_members']:.2f} members on average (slowest call "
        f"{result['deadline_max_elapsed_ms']:.3f} ms); early exit at margin 4: "
        f"{100 * result['early_exit_accuracy']:.1f} % with {result['early_exit_mean_members']:.2f} members."
    )
    console.print(f"bundle: {bundle} (and {bundle.with_suffix('.zip')})", markup=False)
    console.print(
        f"try: edgekit run {bundle} <features.npy> --deadline-ms {deadline:.3f}", markup=False
    )
    return result
