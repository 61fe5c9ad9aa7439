"""How fast the CLI answers --help (heavy imports stay inside commands).

Run: python benchmarks/cli_startup.py  -> benchmarks/cli_startup.md
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import HERE
from benchmarks.machine import machine_info, machine_line


def timed(args: list[str], repeats: int = 10) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    py = sys.executable
    cases = {
        "`python -c pass` (interpreter alone)": [py, "-c", "pass"],
        "`edgekit --help`": [py, "-m", "edgekit", "--help"],
        "`edgekit data info --help`": [py, "-m", "edgekit", "data", "info", "--help"],
        "`python -c 'import torch'` (for scale)": [py, "-c", "import torch"],
    }
    rows = {name: timed(args) for name, args in cases.items()}
    lines = [
        "# CLI start-up",
        "",
        f"Machine: {machine_line(machine_info())}. Command: `python benchmarks/cli_startup.py` "
        "(10 runs each; wall time of the whole process).",
        "",
        "| command | median (s) | min (s) |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {statistics.median(t):.3f} | {min(t):.3f} |" for name, t in rows.items()]
    text = "\n".join(lines) + "\n"
    (HERE / "cli_startup.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
