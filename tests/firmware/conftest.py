"""Fixtures of the firmware tests: the tiny synthetic run exported to C (float32 and int8) and
the sanitized host example built on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edgekit.export.c import export_c
from tests.support.c_host import build_host

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware_stubs"
needs_cc = pytest.mark.skipif(
    shutil.which("make") is None or shutil.which("cc") is None, reason="needs make and a C compiler"
)


def build_from_run(
    run: Path, root: Path, int8: bool, calib: int = 128, data_dir: Path | None = None
) -> Path:
    """Export ``run`` to C in root/gen (its TFLite bundle in root/gen/bundle) and build the
    sanitized host example in root."""
    gen = export_c(run, root / "gen", int8=int8, calib=calib, data_dir=data_dir)
    return build_host(FIRMWARE, gen, root)


@pytest.fixture(scope="session")
def host(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from_run(tiny_run, tmp_path_factory.mktemp("fw"), int8=False)


@pytest.fixture(scope="session")
def host_int8(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from_run(tiny_run, tmp_path_factory.mktemp("fw8"), int8=True)


def bundle_of(host: Path) -> Path:
    return host.parent / "gen" / "bundle"
