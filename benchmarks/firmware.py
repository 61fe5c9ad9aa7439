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

Run: python benchmarks/firmware.py [--bundles NAME=DIR ...] [--inputs N]
(default bundles: benchmarks/.runs/export-{dsa19,kws8}-tflite-{int8,float}).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import machine_line, save_results
from edgekit.data.registry import load_dataset
from edgekit.export.c import export_c
from edgekit.runtime import ProgressiveEnsemble
from tests.support import cortex_m
from tests.support.c_host import build_host, run_host

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RUNS = HERE / ".runs"
SHARED = HERE.parents[1] / "shared" / "data"
DATA = {"dsa19": SHARED / "dsa19_p1-p6.tar.xz", "kws8": SHARED / "speech_commands_mini"}
FIRMWARE = REPO / "firmware_stubs"
BEFORE = "aee2581"  # the runtime before issue 15/16: src/edgekit.c, plain kernels
TIMED = 20
REPEAT = 20  # runs per input: the host clock has 1 us resolution
ROUNDS = 7  # passes over the builds, interleaved (medians over the rounds)


def build_before(gen: Path, out: Path) -> Path:
    """The previous runtime (one edgekit.c, tables checked on every call) on the same tables."""
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


def member_us(hosts: list[Path], x: np.ndarray, k: int, tmp: Path) -> dict[str, Any]:
    """Per-member time (us) of each host build: --max-members m for m = 1..k, differenced, and
    the speed-up of the whole ensemble. The machine is shared, so everything is measured in one
    run, interleaved: per round, per prefix, each build in turn times the same inputs (the mean
    of REPEAT runs each) and keeps their median; the figures are medians over ROUNDS rounds and
    the speed-up is the median of the per-round ratios of the full ensemble (builds timed
    seconds apart see the same load)."""
    prefix = np.zeros((ROUNDS, len(hosts), k))
    for r in range(ROUNDS):
        for m in range(1, k + 1):
            for h, host in enumerate(hosts):
                rows = run_host(host, x, tmp, "--max-members", str(m), "--repeat", str(REPEAT))
                prefix[r, h, m - 1] = float(np.median([row.mean_us for row in rows]))
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
    before = build_before(gen, tmp)
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
    # a profiling build's per-operator counts of the first call
    elf = cortex_m.build(FIRMWARE, gen, inputs, tmp / "m4-profile", "fast", profile=True)
    profiled = cortex_m.run(elf)
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


def host_table(r: dict[str, Any]) -> list[str]:
    model, h = r["model"], r["host"]
    lines = [
        "| k | member | MACs | ops | flash B | working memory B | before us | reference us | "
        "fast us | fast vs before |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, m in enumerate(model["members"]):
        conn = f"+conn({m['connected_from']})" if m["connected_from"] else ""
        b, ref, f = h["us_before"][i], h["us_reference"][i], h["us_fast"][i]
        lines.append(
            f"| {m['index']} | {m['spec']}{conn} | {m['macs']:,} | {m['ops']} | "
            f"{m['flash_bytes']:,} | {m['work_bytes']:,} | {b:.1f} | {ref:.1f} | {f:.1f} | "
            f"{b / max(f, 1e-9):.2f}x |"
        )
    e = h["ensemble_us"]
    b, ref, f = e["us_before"], e["us_reference"], e["us_fast"]
    lines.append(
        f"| all (full `ek_run`) | | | | | | {b:.1f} | {ref:.1f} | {f:.1f} | {h['speedup']:.2f}x |"
    )
    return lines


def target_table(r: dict[str, Any]) -> list[str]:
    model, t = r["model"], r["target"]
    lines = [
        "| k | member | MACs | instructions (reference) | instructions (fast) | "
        "MACs/instr (reference) | MACs/instr (fast) | conv/dw/FC kernels alone (fast): "
        "instructions, MACs/instr |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    ref, fast = t["reference"], t["fast"]
    for i, m in enumerate(model["members"]):
        conn = f"+conn({m['connected_from']})" if m["connected_from"] else ""
        lines.append(
            f"| {m['index']} | {m['spec']}{conn} | {m['macs']:,} | "
            f"{ref['member_instructions'][i]:,.0f} | {fast['member_instructions'][i]:,.0f} | "
            f"{ref['macs_per_instruction'][i]:.3f} | {fast['macs_per_instruction'][i]:.3f} | "
            f"{fast['kernel_instructions'][i]:,}, {fast['kernel_macs_per_instruction'][i]:.3f} |"
        )
    macs = sum(m["macs"] for m in model["members"])
    lines.append(
        f"| all | `ek_run` | {macs:,} | {ref['ensemble_instructions']:,.0f} | "
        f"{fast['ensemble_instructions']:,.0f} | {macs / ref['ensemble_instructions']:.3f} | "
        f"{macs / fast['ensemble_instructions']:.3f} | |"
    )
    return lines


def section(name: str, r: dict[str, Any]) -> list[str]:
    model, h, t = r["model"], r["host"], r["target"]
    p, f = h["parity"], t["fast"]
    step = ""
    if p["within_one_step_per_member"] is not None:
        step = f"; within one logit step per member: {'yes' if p['within_one_step_per_member'] else 'NO'}"
    ram = t["arena_bytes"] + f["stack_bytes"]
    return [
        f"## {name}",
        "",
        f"Bundle `{Path(r['bundle']).name}`; arena {model['arena_bytes']:,} B, tables' "
        f"constants {model['flash_bytes']:,} B.",
        "",
        f"Host (x86, gcc -O2; us per member, medians over {TIMED} validation inputs and {ROUNDS} "
        f"interleaved rounds; speed-up: the median of the per-round ratios of the full ensemble, "
        f"rounds {', '.join(f'{v:.2f}' for v in h['speedup_rounds'])}):",
        "",
        *host_table(r),
        "",
        f"Host parity over the {p['samples']} validation inputs against the Python runtime "
        f"({h['reference_backend']}): max |logit difference| {p['max_abs_logit_diff']:.2e} (logit "
        f"scale {p['logit_scale']:.1f}){step}; labels agree on {100 * p['label_agreement']:.2f} %; "
        f"C accuracy {100 * p['c_accuracy']:.2f} %; fast == reference kernels bit for bit: "
        f"{'yes' if p['fast_equals_reference'] else 'NO'}; fast == the previous runtime bit for "
        f"bit: {'yes' if p.get('fast_equals_before') else 'NO'}.",
        "",
        f"Cortex-M4 (QEMU mps2-an386, median over {t['inputs']} embedded validation inputs; "
        "instructions, not cycles):",
        "",
        *target_table(r),
        "",
        f"Flash: runtime code {f['library_flash_bytes']:,} B (fast kernels; reference "
        f"{t['reference']['library_flash_bytes']:,} B) + tables {t['tables_flash_bytes']:,} B = "
        f"{f['library_flash_bytes'] + t['tables_flash_bytes']:,} B. RAM: arena {t['arena_bytes']:,} B "
        f"+ stack high-water mark {f['stack_bytes']:,} B = {ram:,} B. `ek_prepare` (every table "
        f"checked, once): {f['prepare_instructions']:,} instructions "
        f"({100 * f['prepare_instructions'] / f['ensemble_instructions']:.1f} % of a full `ek_run`).",
        f"Target vs host C on the same inputs: max |logit difference| "
        f"{t['target_vs_host_max_abs_diff']:.2e} (bit for bit: "
        f"{'yes' if t['target_equals_host_bitwise'] else 'no'}; logit scale {t['logit_scale']:.1f}); "
        f"fast == reference kernels on the target: {'yes' if t['fast_equals_reference'] else 'NO'}. "
        "Members run / stop reason per policy (all inputs): "
        + "; ".join(f"{k}: {sorted(set(map(tuple, v)))}" for k, v in t["runs"].items())
        + ".",
        "",
    ]


def budget_table(results: dict[str, Any]) -> list[str]:
    """Flash, RAM and instructions per bundle on the M4 (fast kernels): the budget table that
    docs/firmware.md and firmware_stubs/README.md quote."""
    lines = [
        "| bundle | members | flash: code + tables | RAM: arena + stack | instructions, all "
        "members (fast / reference) | MACs/instr | host: fast vs before |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        t, f, h = r["target"], r["target"]["fast"], r["host"]
        code, tables = f["library_flash_bytes"], t["tables_flash_bytes"]
        macs = sum(m["macs"] for m in r["model"]["members"])
        lines.append(
            f"| {name} | {len(r['model']['members'])} | {code:,} + {tables:,} = "
            f"{code + tables:,} B | {t['arena_bytes']:,} + {f['stack_bytes']:,} = "
            f"{t['arena_bytes'] + f['stack_bytes']:,} B | {f['ensemble_instructions']:,.0f} / "
            f"{t['reference']['ensemble_instructions']:,.0f} | "
            f"{macs / f['ensemble_instructions']:.3f} | "
            f"{h['speedup']:.2f}x |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    default = [
        f"{t}-{p}={RUNS / f'export-{t}-tflite-{p}'}" for t in DATA for p in ("int8", "float")
    ]
    parser.add_argument("--bundles", nargs="+", default=default)
    parser.add_argument("--inputs", type=int, default=4, help="inputs embedded in the M4 image")
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
    info = save_results(HERE / "firmware.json", results)
    lines = [
        "# firmware_stubs on the host and on an emulated Cortex-M4 (C99, float32 and int8)",
        "",
        f"Machine: {machine_line(info)}; gcc -O2 (host), arm-none-eabi-gcc -O2 "
        "-mcpu=cortex-m4 -mfloat-abi=hard (target), QEMU mps2-an386 with `-icount shift=0`. "
        "Command: `python benchmarks/firmware.py` (bundles named in each section).",
        "",
        "Three host builds on the same generated tables: *before* is the runtime before this "
        f"rework (commit {BEFORE}: plain kernels, every member's tables re-checked on every "
        "call), *reference* the plain kernels kept as a build option (`KERNELS=reference`), "
        "*fast* the default kernels. Host times: the machine is shared (2 cores, other jobs "
        "running), so the three builds are timed in one run, interleaved: per round, per "
        f"`--max-members k` prefix, each build in turn runs the same {TIMED} inputs (the mean of "
        f"{REPEAT} runs each); a build's time is the median over the inputs, then over {ROUNDS} "
        "rounds; per member the difference between k and k - 1; the speed-up is the median over "
        "the rounds of before / fast for the full ensemble (two builds timed seconds apart see "
        "the same load). Target instructions: SysTick ticks x 40 under `-icount shift=0` (1 "
        "instruction = 1 ns of virtual time, SysTick at 25 MHz), around each `ek_run_member` "
        "(input conversion included); instructions are not cycles (docs/firmware.md).",
        "",
    ]
    lines += [*budget_table(results), ""]
    for name, r in results.items():
        lines += section(name, r)
    (HERE / "firmware.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
