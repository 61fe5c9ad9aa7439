"""The progressive runtime: policies, anytime deadlines, refinement, threads, bad inputs."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from edgekit.bench import early_exit_table
from edgekit.data import load_dataset
from edgekit.errors import DataError, EdgekitError
from edgekit.runtime import Policy, ProgressiveEnsemble
from tests.runtime.conftest import FakeClock, Ticking


@pytest.fixture(scope="module")
def ens(onnx_bundle: Path) -> ProgressiveEnsemble:
    return ProgressiveEnsemble.load(onnx_bundle)


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return load_dataset("synthetic").val.x[:64]


class Counting:
    """Wraps a session and counts its calls."""

    def __init__(self, inner: object) -> None:
        self.inner, self.calls = inner, 0

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        raise AssertionError("the runtime calls run_list")

    def run_list(self, values: list[np.ndarray]) -> list[np.ndarray]:
        self.calls += 1
        return self.inner.run_list(values)  # type: ignore[attr-defined, no-any-return]


def test_full_run_sums_every_member(ens: ProgressiveEnsemble, x: np.ndarray) -> None:
    pred = ens.predict(x[0])
    member = ens.runner.member_logits(x[:1])
    assert pred.members_run == 3 and pred.stopped_by == "all"
    total = np.sum(member, axis=0)
    np.testing.assert_allclose(pred.logits, total, rtol=1e-6)
    assert pred.label == int(total.argmax()) and len(pred.member_ms) == 3
    assert pred.macs == ens.manifest.members[-1].cumulative_macs


def test_max_members_and_budget(ens: ProgressiveEnsemble, x: np.ndarray) -> None:
    assert ens.predict(x[0], Policy(max_members=2)).members_run == 2
    m = ens.manifest.members
    pred = ens.predict(x[0], {"budget_macs": m[1].cumulative_macs})
    assert (pred.members_run, pred.stopped_by) == (2, "budget_macs")
    assert pred.macs <= m[1].cumulative_macs
    with pytest.raises(EdgekitError, match="below member 1's cost"):
        ens.predict(x[0], Policy(budget_macs=m[0].macs - 1))


def test_early_exit_matches_the_offline_trade_off(ens: ProgressiveEnsemble, x: np.ndarray) -> None:
    """Per input, predict(margin=T) stops where the bench's offline table says it does."""
    logits = ens.runner.member_logits(x)
    labels = np.zeros(len(x), int)
    for t in (0.5, 2.0, 5.0):
        members = [ens.predict(xi, Policy(margin=t)).members_run for xi in x]
        table = early_exit_table(logits, labels, [1, 2, 3], (t,))[0]
        assert table["mean_members"] == pytest.approx(np.mean(members))
    assert any(ens.predict(xi, Policy(margin=0.5)).stopped_by == "margin" for xi in x)


def test_refine_continues_without_rerunning(onnx_bundle: Path, x: np.ndarray) -> None:
    ens = ProgressiveEnsemble.load(onnx_bundle)
    ens.runner.sessions = [Counting(s) for s in ens.runner.sessions]
    first = ens.predict(x[:4], Policy(max_members=1))
    more = ens.refine(first, Policy(max_members=2))
    full = ens.refine(more)
    assert [s.calls for s in ens.runner.sessions] == [1, 1, 1]  # type: ignore[attr-defined]
    assert (first.members_run, more.members_run, full.members_run) == (1, 2, 3)
    np.testing.assert_allclose(full.logits, ens.predict(x[:4]).logits, rtol=1e-6)
    assert len(full.member_ms) == 3


def test_deadline_overrun_is_at_most_one_member(onnx_bundle: Path, x: np.ndarray) -> None:
    """Over many deadlines, time spent <= deadline + one member: members take 4 ms each on a
    fake clock, so the rule is checked exactly (benchmarks/runtime.md measures real clocks)."""
    ens = ProgressiveEnsemble.load(onnx_bundle)
    clock = FakeClock()
    ens.clock = clock
    ens.runner.sessions = [Ticking(s, clock, 0.004) for s in ens.runner.sessions]
    assert ens.predict(x[0]).member_ms == pytest.approx([4.0, 4.0, 4.0])
    ens.member_seconds = [0.004] * 3
    seen = set()
    for deadline in np.linspace(0.5, 16, 32):
        pred = ens.predict(x[0], Policy(deadline_ms=float(deadline)))
        assert pred.elapsed_ms <= deadline + 4.0 + 1e-9, (deadline, pred.elapsed_ms)
        # and it never stops early: one more member would have ended after the deadline
        assert pred.members_run == 3 or pred.elapsed_ms + 4.0 > deadline
        seen.add(pred.members_run)
    assert seen == {1, 2, 3}  # the deadline really decides how far it gets


def test_batch_equals_one_by_one(ens: ProgressiveEnsemble, x: np.ndarray) -> None:
    batch = ens.predict(x[:16])
    single = np.concatenate([ens.predict(xi).logits for xi in x[:16]])
    np.testing.assert_allclose(batch.logits, single, rtol=1e-5, atol=1e-5)
    assert batch.to_dict()["members_run"] == 3 and len(batch.to_dict()["label"]) == 16  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["onnxruntime", "litert"])
def test_four_threads_match_sequential(
    onnx_bundle: Path,
    tiny_run: Path,
    tmp_path_factory: pytest.TempPathFactory,
    x: np.ndarray,
    backend: str,
) -> None:
    if backend == "litert":
        from edgekit.export.exporter import ExportOptions, export_bundle

        path = export_bundle(tiny_run, tmp_path_factory.mktemp("t") / "b", ExportOptions("tflite"))
    else:
        path = onnx_bundle
    ens = ProgressiveEnsemble.load(path)
    want = [ens.predict(xi).logits for xi in x]
    got: dict[int, np.ndarray] = {}

    def work(offset: int) -> None:
        for i in range(offset, len(x), 4):
            got[i] = ens.predict(x[i]).logits

    threads = [threading.Thread(target=work, args=(o,)) for o in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, w in enumerate(want):
        np.testing.assert_array_equal(got[i], w)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            np.zeros((64, 7)),
            r"features of shape \[64, 7\]: this synthetic bundle expects \[64, 8\]",
        ),
        (np.zeros((0, 64, 8)), r"features of shape \[0, 64, 8\]"),
        (np.full((64, 8), np.nan), "NaN or infinite"),
        (np.array([["a"] * 8] * 64), "must be numbers"),
    ],
)
def test_bad_features(ens: ProgressiveEnsemble, bad: np.ndarray, message: str) -> None:
    with pytest.raises(DataError, match=message):
        ens.predict(bad)


def test_bad_policies(ens: ProgressiveEnsemble, x: np.ndarray) -> None:
    with pytest.raises(EdgekitError, match=r"unknown policy field.*deadline"):
        ens.predict(x[0], {"deadline": 3})
    with pytest.raises(EdgekitError, match="unknown policy"):
        ens.predict(x[0], "fast")  # type: ignore[arg-type]
    with pytest.raises(EdgekitError, match="max_members must be >= 1"):
        Policy(max_members=0)
    with pytest.raises(EdgekitError, match="deadline_ms must be a positive number"):
        Policy(deadline_ms=float("nan"))


def test_unknown_backend_lists_the_choices(onnx_bundle: Path) -> None:
    with pytest.raises(EdgekitError, match="unknown backend 'tensorrt'"):
        ProgressiveEnsemble.load(onnx_bundle, "tensorrt")
    with pytest.raises(EdgekitError, match="cannot run onnx members"):
        ProgressiveEnsemble.load(onnx_bundle, "litert")


def test_runtime_import_loads_no_torch() -> None:
    code = (
        "import sys, edgekit.runtime, edgekit.runtime.inputs, edgekit.runtime.backends; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'torchaudio', 'litert_torch')"
        " or m.startswith(('edgekit.train', 'edgekit.distill', 'edgekit.models', 'edgekit.export'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_int8_chain_matches_float_conversions_between_members(
    bundles: dict[str, Path], x: np.ndarray
) -> None:
    """Activations stay int8 between int8 members (one table look-up when the encodings
    differ); the answers equal dequantising and requantising each activation in float."""
    from edgekit.runtime.quant import to_file_dtype, to_float

    ens = ProgressiveEnsemble.load(bundles["tflite-int8"], backend="litert-ref")
    runner = ens.runner
    assert any(io.connection is not None for io in runner._io)  # the tiny run connects
    for xi in x[:8]:
        feats = xi[None]
        want = np.zeros((1, ens.manifest.num_classes), np.float32)
        float_acts: dict[int, np.ndarray] = {}
        for m in ens.manifest.members:
            io = runner._io[m.index - 1]
            inputs = {io.features.name: to_file_dtype(feats, io.features)}
            if io.connection is not None:
                assert io.connected_from is not None
                inputs[io.connection.name] = to_file_dtype(
                    float_acts[io.connected_from], io.connection
                )
            out = runner.sessions[m.index - 1].run(inputs)
            want += to_float(out[io.logits.name], io.logits)
            if io.activation is not None:
                float_acts[m.index] = to_float(out[io.activation.name], io.activation)
        pred = ens.predict(xi)
        np.testing.assert_array_equal(pred.logits, want)
        assert all(a.dtype == np.int8 for a in pred.activations.values())
        first = ens.predict(xi, Policy(max_members=1))
        np.testing.assert_array_equal(ens.refine(first).logits, want)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("batch", [None, 2])
def test_one_non_finite_value_is_refused_on_either_check(
    ens: ProgressiveEnsemble, x: np.ndarray, value: float, batch: int | None
) -> None:
    """One input is checked in a per-thread buffer, a batch directly: both find a single value."""
    bad = np.ascontiguousarray(x[0] if batch is None else x[:batch], dtype=np.float32)
    bad.reshape(-1)[bad.size // 3] = value
    with pytest.raises(DataError, match="NaN or infinite"):
        ens.predict(bad)


def test_huge_finite_features_are_accepted(ens: ProgressiveEnsemble, x: np.ndarray) -> None:
    """Large but finite values are data, not an error (only NaN and inf are refused)."""
    pred = ens.predict(np.full_like(x[0], 1e30))
    assert pred.members_run == 3
    bad = x[0].copy()
    bad[3, 2] = np.inf
    with pytest.raises(DataError, match="NaN or infinite"):
        ens.predict(bad)
