"""The one description of the C tables: the checked-in header is what layout.py renders, and
the generated initializers name their fields, fill defaults and refuse what C cannot hold."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from edgekit.export.c.layout import initializer, render_header

FIRMWARE = Path(__file__).resolve().parents[3] / "firmware_stubs"


def test_checked_in_header_is_what_layout_renders() -> None:
    header = (FIRMWARE / "include" / "edgekit_tables.h").read_text()
    assert header == render_header(), (
        "firmware_stubs/include/edgekit_tables.h is stale: run "
        "python -m edgekit.export.c.layout firmware_stubs/include/edgekit_tables.h"
    )
    assert "Do not edit" in header


def test_initializer_names_fields_and_fills_defaults() -> None:
    text = initializer("ek_op", {"kind": 1, "in": [0, 1], "stride_w": 2})
    assert text.startswith("{.kind = 1, .in = {0, 1}, ")
    assert ".stride_h = 1, .stride_w = 2, " in text  # the default, then the given value
    assert ".act_min = -128, .act_max = 127" in text
    assert ".pad_h" not in text  # zero defaults are left to C's zero fill


def test_initializer_refuses_unknown_fields_and_overflow() -> None:
    with pytest.raises(ValueError, match="ek_op has no field"):
        initializer("ek_op", {"stride": 2})
    with pytest.raises(ValueError, match=r"ek_op\.pad_h = 40000 does not fit int16_t"):
        initializer("ek_op", {"pad_h": 40000})
    with pytest.raises(ValueError, match=r"ek_op\.axes: 6 values for 5"):
        initializer("ek_op", {"axes": [0] * 6})


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_initializer_compiles_against_the_header(tmp_path: Path) -> None:
    """A packed ek_op reads back field by field in C as written in Python."""
    op = initializer("ek_op", {"kind": 3, "in": [0, 1, -1], "num_inputs": 2, "out": 2, "pad_w": 7})
    src = tmp_path / "t.c"
    src.write_text(
        '#include "edgekit.h"\n'
        f"static const ek_op op = {op};\n"
        "int main(void) { return !(op.kind == EK_OP_FC && op.in[2] == -1 && op.pad_w == 7 &&\n"
        "    op.stride_h == 1 && op.depth_mult == 1 && op.act_max == 127 && op.mult == 0); }\n"
    )
    exe = tmp_path / "t"
    subprocess.run(
        [
            "cc",
            "-std=c99",
            "-Wall",
            "-Werror",
            "-I",
            str(FIRMWARE / "include"),
            str(src),
            "-o",
            str(exe),
        ],
        check=True,
    )
    assert subprocess.run([str(exe)]).returncode == 0
