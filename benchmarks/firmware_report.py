"""The markdown report of benchmarks/firmware.py (benchmarks/firmware.md): the budget table,
then per bundle the host and Cortex-M4 tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CI = Path(__file__).resolve().parent / "firmware_ci.json"  # benchmarks/firmware_ci.py writes it


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


KINDS = {0: "input conversion", 1: "conv", 2: "depthwise conv", 3: "fully connected",
         4: "max pool", 5: "mean", 6: "concatenation", 7: "pad", 8: "transpose", 9: "reshape",
         10: "quantize", 11: "slice", 12: "add", 13: "sub", 14: "mul", 15: "logistic",
         16: "tanh", 17: "dequantize"}  # fmt: skip


def ops_table(r: dict[str, Any]) -> list[str]:
    """Member 1's operators on the M4, reference and fast kernels (PROFILE=1 builds, first
    input): where the instructions go."""
    ref, fast = r["target"]["reference"], r["target"]["fast"]
    if "member1_ops" not in fast:
        return []
    lines = [
        "| operator | kind | reference | fast | reference / fast |",
        "|---:|---|---:|---:|---:|",
    ]
    for (i, kind, nr), (_, _, nf) in zip(ref["member1_ops"], fast["member1_ops"], strict=True):
        label = "input" if i < 0 else str(i)
        lines.append(
            f"| {label} | {KINDS.get(kind, str(kind))} | {nr:,} | {nf:,} | {nr / max(nf, 1):.1f}x |"
        )
    tr = sum(n for _, _, n in ref["member1_ops"])
    tf = sum(n for _, _, n in fast["member1_ops"])
    lines.append(f"| all operators | | {tr:,} | {tf:,} | {tr / max(tf, 1):.1f}x |")
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
        f"Host (x86, gcc -O2; CPU us per member and input, {r['settings']['timed']} validation "
        f"inputs, medians over {r['settings']['rounds']} interleaved rounds; speed-up: the median "
        "of the per-round ratios of the full ensemble, "
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
        *(
            [
                "Member 1 operator by operator on the M4 (`PROFILE=1` builds, instructions "
                "between operators on the first input; the input conversion first):",
                "",
                *ops_table(r),
                "",
            ]
            if ops_table(r)
            else []
        ),
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


def report(results: dict[str, Any], machine: str, s: dict[str, Any]) -> str:
    """The whole page; s: the timing settings (timed, repeat, rounds) and the before commit."""
    lines = [
        "# firmware_stubs on the host and on an emulated Cortex-M4 (C99, float32 and int8)",
        "",
        f"Machine: {machine}; gcc -O2 (host), arm-none-eabi-gcc -O2 "
        "-mcpu=cortex-m4 -mfloat-abi=hard (target), QEMU mps2-an386 with `-icount shift=0`. "
        "Command: `python benchmarks/firmware.py` (bundles named in each section).",
        "",
        "Three host builds on the same generated tables (*before*'s without the connection "
        "rescales folded into the boundary tables: it has no field for them): *before* is the "
        "runtime before this "
        f"rework (commit {s['before']}: plain kernels, every member's tables re-checked on every "
        "call), *reference* the plain kernels kept as a build option (`KERNELS=reference`), "
        "*fast* the default kernels. Host times: the machine is shared (2 cores, other jobs "
        "running), so the figures are the processes' own CPU time (user + system, which waiting "
        "for a core does not inflate, unlike wall time), measured in one run, interleaved: per "
        f"round, per `--max-members k` prefix, each build in turn runs the same {s['timed']} "
        f"inputs {s['repeat']} times each (us per input and run, the process start included); "
        f"medians over {s['rounds']} rounds; per member the difference between k and k - 1; the "
        "speed-up is the median over the rounds of before / fast for the full ensemble (two "
        "builds timed seconds apart see the same load). Target instructions: SysTick ticks x 40 under `-icount shift=0` (1 "
        "instruction = 1 ns of virtual time, SysTick at 25 MHz), around each `ek_run_member` "
        "(input conversion included); instructions are not cycles (docs/firmware.md).",
        "",
    ]
    lines += [*budget_table(results), "", *ci_lines()]
    for name, r in results.items():
        lines += section(name, {**r, "settings": s})
    return "\n".join(lines)


def ci_lines() -> list[str]:
    """The C part of CI's time, from benchmarks/firmware_ci.json where it was measured."""
    if not CI.exists():
        return []
    ci = json.loads(CI.read_text())
    steps, total = ci["results"]["steps"], ci["results"]["total"]
    parts = "; ".join(
        f"{name}: {v['wall_s']:.0f} s wall, {v['cpu_s']:.0f} s CPU (load {v['load_after']:.1f} "
        "after)"
        for name, v in steps.items()
    )
    return [
        "## The C part of CI",
        "",
        f"`python benchmarks/firmware_ci.py` (the toolchain install excluded): "
        f"**{total['wall_s']:.0f} s wall, {total['cpu_s']:.0f} s of CPU** ({parts}). The machine "
        "is shared (the load average is over its 2 cores), so the wall time is an upper bound; "
        "the CPU time is what the steps cost.",
        "",
    ]
