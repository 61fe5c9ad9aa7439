"""The C runtime cross-compiled for a Cortex-M4 (Arm GNU toolchain) and run under QEMU
(mps2-an386): the C unit tests pass there (the DSP kernels equal the reference ones), and the
generated ensemble prints on the emulated M4 what the host C prints (int8: bit for bit;
float32: within 1e-5 x the logit scale), under every policy, with fast and reference kernels."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from edgekit.data import load_dataset
from tests.firmware.conftest import FIRMWARE, needs_cc
from tests.support import cortex_m
from tests.support.c_host import run_host

pytestmark = [
    needs_cc,
    pytest.mark.skipif(
        bool(cortex_m.missing_tools()),
        reason=f"needs {' and '.join(cortex_m.missing_tools())} (apt-get install "
        "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)",
    ),
]
MARGIN = 3.0


def test_c_unit_tests_pass_on_the_m4(tmp_path: Path) -> None:
    result = subprocess.run(
        ["make", "-C", str(FIRMWARE / "examples" / "cortex-m"), "test", f"OUT={tmp_path}"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stderr  # QEMU writes the semihosting console to stderr
    assert "test_conv: passed" in out and "test_fully_connected: passed" in out


def on_target(
    host: Path, tmp_path: Path, kernels: str = "fast"
) -> tuple[cortex_m.TargetRun, np.ndarray]:
    x = load_dataset("synthetic").val.x[:6]
    inputs = cortex_m.write_inputs(x, MARGIN, tmp_path / "ek_inputs.c")
    elf = cortex_m.build(FIRMWARE, host.parent / "gen", inputs, tmp_path / kernels, kernels)
    return cortex_m.run(elf, timeout=120), x


@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
def test_the_m4_prints_what_the_host_prints(
    host: Path, host_int8: Path, tmp_path: Path, int8: bool
) -> None:
    binary = host_int8 if int8 else host
    target, x = on_target(binary, tmp_path)
    checks = {
        "all": [],
        "max_members=1": ["--max-members", "1"],
        "margin": ["--margin", str(MARGIN)],
    }
    for policy, args in checks.items():
        rows = run_host(binary, x, tmp_path, *args)
        want = np.stack([r.logits for r in rows]).astype(np.float32)
        got = target.logits(policy)
        if int8:
            assert np.array_equal(got, want), policy  # bit for bit
        else:
            assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max(), policy
        ran = [(int(r["members"]), r["stopped"]) for r in target.runs if r["policy"] == policy]
        assert ran == [(r.members, r.stopped) for r in rows], policy
    budget = [r for r in target.runs if r["policy"] == "budget_macs"]
    assert {(r["members"], r["stopped"]) for r in budget} == {("2", "budget_macs")}
    assert target.prepare_instructions > 0 and all(min(m) > 0 for m in target.member_instructions)


def test_reference_kernels_on_the_m4_give_the_same_bits(host_int8: Path, tmp_path: Path) -> None:
    fast, _ = on_target(host_int8, tmp_path, "fast")
    reference, _ = on_target(host_int8, tmp_path, "reference")
    for policy in ("all", "max_members=1", "margin"):
        assert np.array_equal(fast.logits(policy), reference.logits(policy)), policy
