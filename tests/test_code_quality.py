"""ruff and mypy as tests, so the README's single test command enforces them too."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (REPO / ".venv/bin/ruff").exists(),
    reason="ruff not installed (dev extra)",
)
def test_ruff_clean() -> None:
    for cmd in (("check", "."), ("format", "--check", ".")):
        proc = _run(sys.executable, "-m", "ruff", *cmd)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_clean() -> None:
    pytest.importorskip("mypy", reason="mypy not installed (dev extra)")
    proc = _run(sys.executable, "-m", "mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
