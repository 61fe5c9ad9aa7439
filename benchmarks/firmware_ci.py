"""The C part of CI (.ci/run without the toolchain install), timed end to end: the C unit tests
with the reference kernels under ASan + UBSan, then tests/firmware (the fast kernels
sanitized, the Cortex-M4 build and unit tests under QEMU, the target-vs-host parity, the CMake
package). Writes benchmarks/firmware_ci.json; benchmarks/firmware.md quotes it.

Run: python benchmarks/firmware_ci.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import save_results

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def timed(cmd: list[str]) -> dict[str, float]:
    """Wall and CPU seconds (children's user + system) of one command, which must pass."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"wall_s": wall, "cpu_s": cpu, "load_after": os.getloadavg()[0]}


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        steps = {
            "make test KERNELS=reference (ASan + UBSan)": timed(
                ["make", "-s", "-C", "firmware_stubs", "test", f"OUT={out}", "KERNELS=reference"]
            ),
            "pytest tests/firmware": timed(
                [sys.executable, "-m", "pytest", "tests/firmware", "-q", "-p", "no:cacheprovider"]
            ),
        }
    total = {k: sum(s[k] for s in steps.values()) for k in ("wall_s", "cpu_s")}
    save_results(HERE / "firmware_ci.json", {"steps": steps, "total": total})
    print(f"C part of CI: {total['wall_s']:.0f} s wall, {total['cpu_s']:.0f} s CPU")


if __name__ == "__main__":
    main()
