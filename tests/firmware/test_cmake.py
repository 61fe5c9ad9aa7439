"""firmware_stubs as a CMake package: add_subdirectory-style build (the runtime library, the
generated tables as their own target, the C unit tests under ctest, the host example), the
installed package through find_package(edgekit), and the Cortex-M4 cross build."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.firmware.conftest import FIRMWARE, needs_cc
from tests.support import cortex_m
from tests.support.c_host import run_host

pytestmark = [
    needs_cc,
    pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake"),
]


def cmake(*args: str) -> str:
    result = subprocess.run(["cmake", *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_build_tree_runs_tests_and_host_example(host_int8: Path, tmp_path: Path) -> None:
    gen = host_int8.parent / "gen"
    build = tmp_path / "build"
    cmake("-S", str(FIRMWARE), "-B", str(build), f"-DEDGEKIT_MODEL_DIR={gen}")
    cmake("--build", str(build), "-j1")
    ctest = subprocess.run(["ctest", "--test-dir", str(build)], capture_output=True, text=True)
    assert ctest.returncode == 0 and "100% tests passed" in ctest.stdout, ctest.stdout
    steps, channels = json.loads((gen / "model.json").read_text())["input_shape"]
    x = np.random.default_rng(0).standard_normal((3, steps, channels)).astype(np.float32)
    made = run_host(host_int8, x, tmp_path)
    built = run_host(build / "edgekit_host", x, tmp_path)
    assert [r.logits.tolist() for r in built] == [r.logits.tolist() for r in made]


def test_installed_package_is_found_by_find_package(host_int8: Path, tmp_path: Path) -> None:
    build, prefix, app = tmp_path / "build", tmp_path / "prefix", tmp_path / "app"
    cmake("-S", str(FIRMWARE), "-B", str(build), "-DEDGEKIT_TESTS=OFF")
    cmake("--build", str(build), "-j1")
    cmake("--install", str(build), "--prefix", str(prefix))
    app.mkdir()
    (app / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.16)\nproject(app C)\nfind_package(edgekit REQUIRED)\n"
        f"add_executable(app {FIRMWARE}/examples/host/main.c {host_int8.parent}/gen/edgekit_model.c)\n"
        f"target_include_directories(app PRIVATE {host_int8.parent}/gen)\n"
        "target_link_libraries(app PRIVATE edgekit::edgekit)\n"
    )
    cmake("-S", str(app), "-B", str(app / "build"), f"-DCMAKE_PREFIX_PATH={prefix}")
    cmake("--build", str(app / "build"))
    assert (app / "build" / "app").exists()


@pytest.mark.skipif(bool(cortex_m.missing_tools()), reason="needs the Arm toolchain and QEMU")
def test_cortex_m_example_cross_builds_with_the_toolchain_file(
    host_int8: Path, tmp_path: Path
) -> None:
    gen = host_int8.parent / "gen"
    steps, channels = json.loads((gen / "model.json").read_text())["input_shape"]
    inputs = cortex_m.write_inputs(np.zeros((1, steps, channels)), 1.0, tmp_path / "inputs.c")
    build = tmp_path / "m4"
    out = cmake(
        "-S", str(FIRMWARE), "-B", str(build),
        f"-DCMAKE_TOOLCHAIN_FILE={FIRMWARE}/cmake/arm-none-eabi-cortex-m4.cmake",
        f"-DEDGEKIT_MODEL_DIR={gen}", f"-DEDGEKIT_CORTEX_M_INPUTS={inputs}",
    )  # fmt: skip
    assert "arm-none-eabi-gcc" in (build / "CMakeCache.txt").read_text(), out
    cmake("--build", str(build), "-j1")
    run = cortex_m.run(build / "examples" / "cortex-m" / "app.elf", timeout=120)
    assert len(run.runs) == 5 and run.text_bytes > 0
