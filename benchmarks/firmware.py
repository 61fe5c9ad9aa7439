"""firmware_stubs/ on the host and on an emulated Cortex-M4: the DSA-19 and KWS-8 default runs
(seed 0) exported to C, float32 and int8 (from the TFLite bundles benchmarks/export.py writes).

Host (gcc -O2): parity of the fast kernels with the Python runtime over the whole validation
split (float: LiteRT; int8: the TFLM backend, whose arithmetic the C int8 path follows), fast ==
reference kernels bit for bit, and per-member time of three builds on the same tables: the
previous runtime (commit aee2581: plain kernels, every table re-checked on every call), the
reference kernels and the fast kernels.

Cortex-M4 (arm-none-eabi-gcc -O2, QEMU mps2-an386 under -icount shift=0): flash
(arm-none-eabi-size of the runtime code and of the tables), RAM (the arena plus the stack's
high-water mark, by painting), instructions per member and MACs per instruction, fast and
reference kernels side by side, logits bit for bit against the host C.

Run: python benchmarks/firmware.py [--bundles NAME=DIR ...] [--inputs N] [--out STEM]
(default bundles: benchmarks/.runs/export-{dsa19,kws8}-tflite-{int8,float}).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DATA, HERE, REPO, RUNS
from benchmarks.firmware_report import report
from benchmarks.machine import machine_line, save_results
from edgekit.data.registry import load_dataset
from edgekit.export.c import export_c
from edgekit.runtime import ProgressiveEnsemble
from tests.support import cortex_m
from tests.support.c_host import build_host, run_host

FIRMWARE = REPO / "firmware_stubs"
BEFORE = "aee2581"  # the runtime before issue 15/16: src/edgekit.c, plain kernels
TIMED = 5  # inputs timed (CPU time: a few suffice)
REPEAT = 100  # runs per input: the process start is about 1 % of each timed call
ROUNDS = 3  # passes over the builds, interleaved (medians over the rounds)


def build_before(bundle: Path, out: Path) -> Path:
    """The previous runtime (one edgekit.c, tables checked on every call) on the same tables,
    less the connection rescales folded into the boundary (it has no field for them)."""
    gen = export_c(bundle, out / "gen-before", fold_rescales=False)
    src = out / "before"
    (src / "include").mkdir(parents=True, exist_ok=True)
    for path in ("src/edgekit.c", "include/edgekit.h", "examples/host/main.c"):
        text = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{BEFORE}:firmware_stubs/{path}"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        (src / Path(path).name).write_text(text)
    (src / "include" / "edgekit.h").write_text((src / "edgekit.h").read_text())
    exe = out / "host-before"
    subprocess.run(
        ["gcc", "-std=c99", "-O2", "-ffp-contract=off", f"-I{src / 'include'}", f"-I{gen}",
         str(src / "edgekit.c"), str(src / "main.c"), str(gen / "edgekit_model.c"), "-o",
         str(exe), "-lm"],
        check=True,
    )  # fmt: skip
    return exe


def cpu_us_per_run(host: Path, x: np.ndarray, tmp: Path, m: int) -> float:
    """CPU time (user + system, us) of one ``--max-members m`` call of ``host`` per input and
    repeat: the process's own CPU time, which other jobs on the machine do not inflate (wall
    time does: a process waiting for a core keeps its clock running)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run_host(host, x, tmp, "--max-members", str(m), "--repeat", str(REPEAT))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return 1e6 * cpu / (len(x) * REPEAT)


def member_us(hosts: list[Path], x: np.ndarray, k: int, tmp: Path) -> dict[str, Any]:
    """Per-member time (us) of each host build: --max-members m for m = 1..k, differenced, and
    the speed-up of the whole ensemble. The machine is shared, so every figure is CPU time
    (cpu_us_per_run), measured in one run, interleaved: per round, per prefix, each build in
    turn; the figures are medians over ROUNDS rounds and the speed-up is the median of the
    per-round ratios of the full ensemble."""
    prefix = np.zeros((ROUNDS, len(hosts), k))
    for r in range(ROUNDS):
        for m in range(1, k + 1):
            for h, host in enumerate(hosts):
                prefix[r, h, m - 1] = cpu_us_per_run(host, x, tmp, m)
    per_member = np.diff(np.concatenate([np.zeros((ROUNDS, len(hosts), 1)), prefix], 2), axis=2)
    full = prefix[:, :, -1]  # [round, build]
    return {
        "us": [[float(v) for v in np.median(per_member[:, h], axis=0)] for h in range(len(hosts))],
        "ensemble_us": [float(v) for v in np.median(full, axis=0)],
        "ratio_rounds": [(full[r, 0] / full[r, -1]).item() for r in range(ROUNDS)],
    }


def host_part(bundle: Path, gen: Path, x: np.ndarray, y: np.ndarray, tmp: Path) -> dict[str, Any]:
    precision = json.loads((gen / "model.json").read_text())["precision"]
    fast = build_host(FIRMWARE, gen, tmp / "fast", "host-O2")
    reference = build_host(FIRMWARE, gen, tmp / "reference", "host-O2", kernels="reference")
    before = build_before(bundle, tmp)
    c_logits = np.stack([r.logits for r in run_host(fast, x, tmp)])
    ref_logits = np.stack([r.logits for r in run_host(reference, x, tmp)])
    before_logits = np.stack([r.logits for r in run_host(before, x, tmp)])
    python = ProgressiveEnsemble.load(bundle, backend="tflm" if precision == "int8" else "auto")
    py_logits = np.concatenate([python.predict(xi).logits for xi in x])
    steps = [
        m.output("logits").quantization.scale  # type: ignore[union-attr]
        for m in python.manifest.members
        if precision == "int8"
    ]
    k = len(python.manifest.members)
    diff = float(np.abs(c_logits - py_logits).max())
    timed = x[:TIMED]
    return {
        "reference_backend": python.runner.backend,
        "parity": {
            "samples": len(x),
            "max_abs_logit_diff": diff,
            "logit_scale": float(np.abs(py_logits).max()),
            "within_one_step_per_member": bool(diff <= 1.001 * sum(steps))
            if precision == "int8"
            else None,
            "label_agreement": float((c_logits.argmax(1) == py_logits.argmax(1)).mean()),
            "c_accuracy": float((c_logits.argmax(1) == y).mean()),
            "fast_equals_reference": bool(np.array_equal(c_logits, ref_logits)),
            "fast_equals_before": bool(np.array_equal(c_logits, before_logits)),
        },
        **timing_fields(member_us([before, reference, fast], timed, k, tmp)),
    }


def timing_fields(t: dict[str, Any]) -> dict[str, Any]:
    names = ("us_before", "us_reference", "us_fast")
    return {
        **dict(zip(names, t["us"], strict=True)),
        "ensemble_us": dict(zip(names, t["ensemble_us"], strict=True)),
        "speedup_rounds": t["ratio_rounds"],
        "speedup": float(np.median(t["ratio_rounds"])),
    }


def object_size(source: Path, gen: Path, out: Path) -> int:
    """Flash of one C file for the M4 (text + data of its object)."""
    obj = out / (source.stem + ".o")
    subprocess.run(
        ["arm-none-eabi-gcc", "-std=c99", "-O2", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
         "-mfpu=fpv4-sp-d16", f"-I{FIRMWARE / 'include'}", f"-I{gen}", "-c", str(source), "-o",
         str(obj)],
        check=True,
    )  # fmt: skip
    return sum(cortex_m.size(obj)[:2])


def library_size(lib: Path) -> int:
    out = subprocess.run(
        ["arm-none-eabi-size", "-t", str(lib)], check=True, capture_output=True, text=True
    ).stdout
    text, data = out.strip().splitlines()[-1].split()[:2]
    return int(text) + int(data)


def target_part(gen: Path, x: np.ndarray, margin: float, tmp: Path) -> dict[str, Any]:
    model = json.loads((gen / "model.json").read_text())
    inputs = cortex_m.write_inputs(x, margin, tmp / "ek_inputs.c")
    out: dict[str, Any] = {"inputs": len(x)}
    runs = {}
    for kernels in ("reference", "fast"):
        elf = cortex_m.build(FIRMWARE, gen, inputs, tmp / f"m4-{kernels}", kernels)
        run = cortex_m.run(elf)
        runs[kernels] = run
        per_member = np.median(np.array(run.member_instructions), axis=0)
        macs = [m["macs"] for m in model["members"]]
        out[kernels] = {
            "member_instructions": per_member.tolist(),
            "macs_per_instruction": (np.array(macs) / per_member).tolist(),
            "ensemble_instructions": float(
                np.median([int(r["instr"]) for r in run.runs if r["policy"] == "all"])
            ),
            "prepare_instructions": run.prepare_instructions,
            "stack_bytes": max([*run.member_stack, *(int(r["stack"]) for r in run.runs)]),
            "library_flash_bytes": library_size(tmp / f"m4-{kernels}" / "libedgekit.a"),
        }
    # the weighted kernels alone (conv, depthwise, fully connected: where the MACs are), from
    # a profiling build's per-operator counts of the first call; member 1's operators one by
    # one with both kernel builds
    for kernels in ("reference", "fast"):
        elf = cortex_m.build(
            FIRMWARE, gen, inputs, tmp / f"m4-profile-{kernels}", kernels, profile=True
        )
        profiled = cortex_m.run(elf)
        out[kernels]["member1_ops"] = [(i, kind, n) for m, i, kind, n in profiled.ops if m == 0]
    kernel = [
        sum(n for m, i, kind, n in profiled.ops if m == k and i >= 0 and kind in (1, 2, 3))
        for k in range(len(model["members"]))
    ]
    out["fast"]["kernel_instructions"] = kernel
    out["fast"]["kernel_macs_per_instruction"] = [
        m["macs"] / max(n, 1) for m, n in zip(model["members"], kernel, strict=True)
    ]
    out["tables_flash_bytes"] = object_size(gen / "edgekit_model.c", gen, tmp)
    out["arena_bytes"] = runs["fast"].arena_bytes
    out["runs"] = {p: [(r["members"], r["stopped"]) for r in runs["fast"].runs if r["policy"] == p]
                   for p in ("all", "max_members=1", "budget_macs", "deadline_us", "margin")}  # fmt: skip
    out["fast_equals_reference"] = all(
        np.array_equal(runs["fast"].logits(p), runs["reference"].logits(p)) for p in out["runs"]
    )
    out["logits_all"] = runs["fast"].logits("all").tolist()
    return out


def measure(name: str, bundle: Path, n_inputs: int, tmp: Path) -> dict[str, Any]:
    task = name.split("-")[0]
    data = load_dataset(task, DATA[task])
    gen = export_c(bundle, tmp / f"gen-{name}")
    model = json.loads((gen / "model.json").read_text())
    x, y = data.val.x, data.val.y
    result = {"bundle": str(bundle), "model": model}
    result["host"] = host_part(bundle, gen, x, y, tmp)
    sample = x[:n_inputs]
    target = target_part(gen, sample, 2.0, tmp)
    host_rows = run_host(build_host(FIRMWARE, gen, tmp / "fast", "host-O2"), sample, tmp)
    host_logits = np.stack([r.logits for r in host_rows]).astype(np.float32)
    got = np.array(target.pop("logits_all"), dtype=np.float32)
    target["target_vs_host_max_abs_diff"] = float(np.abs(got - host_logits).max())
    target["target_equals_host_bitwise"] = bool(np.array_equal(got, host_logits))
    target["logit_scale"] = float(np.abs(host_logits).max())
    result["target"] = target
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    default = [
        f"{t}-{p}={RUNS / f'export-{t}-tflite-{p}'}" for t in DATA for p in ("int8", "float")
    ]
    parser.add_argument("--bundles", nargs="+", default=default)
    parser.add_argument("--inputs", type=int, default=4, help="inputs embedded in the M4 image")
    parser.add_argument("--out", default="firmware", help="result files' stem in benchmarks/")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        for spec in args.bundles:
            name, path = spec.split("=", 1)
            if not Path(path).exists():
                print(f"skip {name}: {path} does not exist (run benchmarks/export.py first)")
                continue
            tmp = Path(tmp_name) / name
            tmp.mkdir()
            results[name] = measure(name, Path(path), args.inputs, tmp)
            print(f"{name}: done", flush=True)
    info = save_results(HERE / f"{args.out}.json", results)
    text = report(
        results, machine_line(info), dict(timed=TIMED, repeat=REPEAT, rounds=ROUNDS, before=BEFORE)
    )
    (HERE / f"{args.out}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
