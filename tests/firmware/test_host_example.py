"""firmware_stubs/examples/host: bad input files and flags are refused with a message (the
probe as the test: command, exact error, exit code), the stop reason is printed by name, and
`make host GEN=DIR` takes a relative DIR from where make is run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.firmware.conftest import FIRMWARE, needs_cc

pytestmark = needs_cc


def probe(host: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(host), *args], capture_output=True, text=True)


def input_bytes(host: Path) -> int:
    model = json.loads((host.parent / "gen" / "model.json").read_text())
    steps, channels = model["input_shape"]
    return 4 * int(steps) * int(channels)


@pytest.mark.parametrize("inputs", [0.0, 0.5, 1.5])
def test_empty_short_or_trailing_partial_input_is_refused(
    host: Path, tmp_path: Path, inputs: float
) -> None:
    size = int(inputs * input_bytes(host))
    path = tmp_path / "features.f32"
    path.write_bytes(b"\0" * size)
    result = probe(host, str(path))
    steps_channels = json.loads((host.parent / "gen" / "model.json").read_text())["input_shape"]
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"{path}: {size} bytes is not a whole number of inputs ({steps_channels[0]} x "
        f"{steps_channels[1]} float32 = {input_bytes(host)} bytes each)\n"
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--max-members", "abc"], "--max-members: expected a whole number from 1 to 1000000, got 'abc'"),
        (["--max-members", "0"], "--max-members: expected a whole number from 1 to 1000000, got '0'"),
        (["--deadline-us", "-1"], "--deadline-us: expected a whole number from 1 to 4294967295, got '-1'"),
        (["--budget-macs", "12x"], "--budget-macs: expected a whole number from 1 to 9223372036854775807, got '12x'"),
        (["--margin", "-2"], "--margin: expected a positive number, got '-2'"),
        (["--margin", "nan"], "--margin: expected a positive number, got 'nan'"),
        (["--budget-us", "5"], "--budget-us: unknown argument"),
        (["--max-members"], "--max-members: unknown argument or missing value"),
    ],
)  # fmt: skip
def test_bad_flags_are_refused(host: Path, tmp_path: Path, args: list[str], error: str) -> None:
    path = tmp_path / "features.f32"
    path.write_bytes(b"\0" * input_bytes(host))
    result = probe(host, str(path), *args)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[0] == error
    assert result.stderr.splitlines()[1].startswith("usage: ")


def test_stop_reason_is_printed_by_name(host: Path, tmp_path: Path) -> None:
    path = tmp_path / "features.f32"
    np.zeros(input_bytes(host) // 4 * 2, dtype="<f4").tofile(path)
    result = probe(host, str(path), "--max-members", "1")
    assert result.returncode == 0, result.stderr
    assert [line.split()[2] for line in result.stdout.splitlines()] == ["stopped=max_members"] * 2


def test_make_host_takes_gen_relative_to_where_make_runs(host: Path, tmp_path: Path) -> None:
    """The README's `edgekit export RUN --target c --out fw/demo` then
    `make -C firmware_stubs host GEN=fw/demo`, run from the same directory."""
    work = tmp_path / "project"
    shutil.copytree(host.parent / "gen", work / "fw" / "demo")
    env = {**os.environ, "PWD": str(work)}  # what a shell sets in the directory it runs in
    cmd = ["make", "-C", str(FIRMWARE), "host", "GEN=fw/demo", f"OUT={tmp_path / 'out'}"]
    result = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / "host").exists()
    missing = subprocess.run(
        [*cmd[:4], "GEN=fw/nothing", cmd[5]], cwd=work, env=env, capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert f"make: fw/nothing: no edgekit_model.c there (looked in {FIRMWARE}/fw/nothing)" in (
        missing.stderr
    )
