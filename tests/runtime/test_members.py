"""How a connected member takes its source's activation: as it is when the encodings agree (what
the int8 export now guarantees), through the 256-entry table when they differ (older bundles)."""

from __future__ import annotations

import numpy as np

from edgekit.runtime.manifest import MemberEntry, Quantization, TensorSpec
from edgekit.runtime.members import _MemberIO
from edgekit.runtime.quant import to_file_dtype, to_float


def _t(role: str, q: Quantization) -> TensorSpec:
    return TensorSpec(role, role, (4,) if role != "logits" else (2,), "int8", q)


def _pair(source: Quantization, connection: Quantization) -> tuple[MemberEntry, ...]:
    feats, logits = _t("features", Quantization(0.1, 0)), _t("logits", Quantization(0.2, 3))
    common = dict(format="tflite", dtype="int8", spec="s", sha256="0" * 64, bytes=1, batch=1)
    first = MemberEntry(
        index=1, file="a", inputs=(feats,), outputs=(logits, _t("activation", source)),
        connected_from=None, macs=1, params=1, cumulative_macs=1, **common,  # type: ignore[arg-type]
    )  # fmt: skip
    second = MemberEntry(
        index=2, file="b", inputs=(feats, _t("connection", connection)), outputs=(logits,),
        connected_from=1, macs=1, params=1, cumulative_macs=2, **common,  # type: ignore[arg-type]
    )  # fmt: skip
    return first, second


def test_equal_encodings_pass_the_bytes_unchanged() -> None:
    members = _pair(Quantization(0.05, -128), Quantization(0.05, -128))
    io = _MemberIO.of(members[1], members)
    assert io.passthrough and io.table is None
    codes = np.arange(-128, 128, dtype=np.int8).reshape(64, 4)
    assert io.connection_input(codes) is codes


def test_different_scales_take_the_table_and_equal_dequantise_requantise() -> None:
    source, connection = Quantization(0.05, -128), Quantization(0.037, -128)
    members = _pair(source, connection)
    io = _MemberIO.of(members[1], members)
    assert not io.passthrough and io.table is not None
    codes = np.arange(-128, 128, dtype=np.int8).reshape(64, 4)
    want = to_file_dtype(to_float(codes, _t("activation", source)), _t("connection", connection))
    np.testing.assert_array_equal(io.connection_input(codes), want)
