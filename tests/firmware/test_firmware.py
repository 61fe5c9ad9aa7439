"""firmware_stubs/: the C runtime under sanitizers, and the generated ensemble against the
Python runtime on recorded inputs (float: max |logit diff| <= 1e-4 x logit scale; int8 against
the TFLM backend: the same labels on >= 99 % of inputs, logits within one quantisation step of
each member)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgekit.cli import app
from edgekit.data import load_dataset
from edgekit.errors import EdgekitError
from edgekit.export.c import export_c, summary_text
from edgekit.runtime import Policy, ProgressiveEnsemble
from tests.firmware.conftest import FIRMWARE, build_from_run, bundle_of, needs_cc
from tests.support.c_host import run_host

pytestmark = needs_cc


def test_c_unit_tests_pass_under_sanitizers(tmp_path: Path) -> None:
    result = subprocess.run(
        ["make", "-C", str(FIRMWARE), "test", f"OUT={tmp_path}"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "firmware runtime tests passed" in result.stdout


def test_generated_ensemble_matches_the_python_runtime(
    host: Path, onnx_bundle: Path, tmp_path: Path
) -> None:
    x = load_dataset("synthetic").val.x[:100]
    rows = run_host(host, x, tmp_path)
    want = ProgressiveEnsemble.load(bundle_of(host)).predict(x).logits
    assert np.allclose(want, ProgressiveEnsemble.load(onnx_bundle).predict(x).logits, atol=1e-3)
    got = np.stack([r.logits for r in rows])
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()
    assert [r.label for r in rows] == want.argmax(1).tolist()
    assert {r.members for r in rows} == {3}


def test_raw_features_are_normalised_in_c(host: Path, tmp_path: Path) -> None:
    data = load_dataset("synthetic")
    assert data.normalization is not None
    x = data.val.x[:20]
    raw = x * data.normalization.std + data.normalization.mean
    got = np.stack([r.logits for r in run_host(host, raw, tmp_path, "--raw")])
    want = ProgressiveEnsemble.load(bundle_of(host)).predict(x).logits
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()


def test_policies_in_c_match_the_python_runtime(host: Path, tmp_path: Path) -> None:
    x = load_dataset("synthetic").val.x[:30]
    ens = ProgressiveEnsemble.load(bundle_of(host))
    one = run_host(host, x, tmp_path, "--max-members", "1")
    want = ens.predict(x, Policy(max_members=1)).logits
    assert np.abs(np.stack([r.logits for r in one]) - want).max() <= 1e-4 * np.abs(want).max()
    for t in (0.5, 3.0):
        c = [r.members for r in run_host(host, x, tmp_path, "--margin", str(t))]
        py = [ens.predict(xi, Policy(margin=t)).members_run for xi in x]
        assert c == py
    macs = [m.cumulative_macs for m in ens.manifest.members]
    budget = run_host(host, x[:3], tmp_path, "--budget-macs", str(macs[1]))
    pred = ens.predict(x[:3], Policy(budget_macs=macs[1]))
    assert [r.members for r in budget] == [2, 2, 2] == [pred.members_run] * 3
    assert {r.stopped for r in budget} == {pred.stopped_by} == {"budget_macs"}
    assert {r.macs for r in budget} == {macs[1]}
    # every member takes 10 us on the fake clock: the first input predicts member 2 from
    # member 1's time per MAC, later inputs from each member's measured 10 us
    own = [m.macs for m in ens.manifest.members]
    first = 2 if 10 + round(10 * own[1] / own[0]) <= 25 else 1
    deadline = run_host(host, x[:3], tmp_path, "--deadline-us", "25", "--fake-us", "10")
    assert [r.members for r in deadline] == [first, 2, 2]
    assert {r.stopped for r in deadline} == {"deadline_us"}


def test_generated_files_say_do_not_edit_and_cli_prints_sizes(
    tiny_run: Path, onnx_bundle: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["export", str(tiny_run), "--target", "c", "--out", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    assert "arena (RAM for ek_" in result.output and "flash" in result.output
    assert summary_text(tmp_path / "c").splitlines()[0].startswith("member 1 ")
    for name in ("edgekit_model.c", "edgekit_model.h"):
        assert "Do not edit" in (tmp_path / "c" / name).read_text()
    with pytest.raises(EdgekitError, match="onnx bundle; the C export translates TFLite"):
        export_c(onnx_bundle, tmp_path / "c-onnx")


def test_int8_ensemble_matches_tflm_within_one_step(host_int8: Path, tmp_path: Path) -> None:
    """Every member's int8 graph runs in C as TFLM runs it; the float boundaries (features in,
    logits out, connections) as the Python runtime computes them."""
    x = load_dataset("synthetic").val.x[:200]
    ens = ProgressiveEnsemble.load(bundle_of(host_int8), backend="tflm")
    assert ens.manifest.members[0].input("features").dtype == "int8"  # type: ignore[union-attr]
    steps = [m.output("logits").quantization.scale for m in ens.manifest.members]  # type: ignore[union-attr]
    for k in range(1, len(steps) + 1):
        rows = run_host(host_int8, x, tmp_path, "--max-members", str(k))
        got = np.stack([r.logits for r in rows])
        want = ens.predict(x, Policy(max_members=k)).logits
        assert np.abs(got - want).max() <= 1.001 * sum(steps[:k])
        assert (got.argmax(1) == want.argmax(1)).mean() >= 0.99


@pytest.fixture(scope="module")
def recurrent_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Two-member runs of each recurrent family (the second member connected) on a small .npz
    of 8-step windows (whole-window graphs convert in seconds at this length), one epoch each:
    parity, not accuracy, is under test. Returns spec -> (run, data)."""
    from edgekit.pipelines.distill import distill

    root = tmp_path_factory.mktemp("rnn")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((240, 8, 3)).astype(np.float32)
    y = (x[:, :, 0].sum(1) > 0).astype(np.int64) + 2 * (x[:, :, 1].mean(1) > 0)
    data = root / "windows.npz"
    np.savez(data, X_train=x[:160], y_train=y[:160], X_val=x[160:], y_val=y[160:])
    runs: dict[str, tuple[Path, Path]] = {}
    teacher = None
    for spec in ("gru-4", "lstm-4", "fastgrnn-4"):
        overrides = [
            "teacher=gru-16",
            "teacher_train.epochs=2",
            f"students={spec}",
            "student_train.epochs=1",
            "distill.max_members=2",
            "distill.gamma_min=0.0",
            "distill.objectives=independent",
        ]
        out = root / spec
        distill("arrays", out, data_dir=data, overrides=overrides, device="cpu", teacher=teacher)
        teacher = teacher or out
        runs[spec] = (out, data)
    return runs


@pytest.mark.parametrize("spec", ["gru-4", "lstm-4", "fastgrnn-4"])
@pytest.mark.parametrize("int8", [False, True])
def test_recurrent_members_match_the_python_runtime(
    recurrent_runs: dict[str, tuple[Path, Path]], spec: str, int8: bool, tmp_path: Path
) -> None:
    """Recurrent members (whole-window graphs of slice, fully connected, add, mul, logistic,
    tanh; int8 graphs mix int8 and float ops) run in C as TFLM / LiteRT run them."""
    run, data = recurrent_runs[spec]
    host = build_from_run(run, tmp_path, int8, calib=64, data_dir=data)
    x = np.load(data)["X_val"]
    ens = ProgressiveEnsemble.load(bundle_of(host), backend="tflm" if int8 else "litert")
    assert [m.spec for m in ens.manifest.members] == [spec, spec]
    got = np.stack([r.logits for r in run_host(host, x, tmp_path)])
    want = ens.predict(x).logits
    if int8:
        steps = sum(m.output("logits").quantization.scale for m in ens.manifest.members)  # type: ignore[union-attr, misc]
        assert np.abs(got - want).max() <= 1.001 * steps
    else:
        assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()
    assert (got.argmax(1) == want.argmax(1)).mean() >= 0.99


def test_unfolded_connection_rescales_give_the_same_bytes(host_int8: Path, tmp_path: Path) -> None:
    """``fold_rescales=False`` (tables for runtimes without the connection_mult field) keeps the
    rescale operators and must give the same logits, bit for bit, as the folded tables."""
    from tests.support.c_host import build_host

    gen = export_c(bundle_of(host_int8), tmp_path / "gen", fold_rescales=False)
    folded_src = "\n".join(p.read_text() for p in (host_int8.parent / "gen").glob("*.c"))
    plain_src = "\n".join(p.read_text() for p in gen.glob("*.c"))
    assert ".connection_mult" in folded_src  # the tiny run has a foldable connection
    assert ".connection_mult" not in plain_src
    plain = build_host(FIRMWARE, gen, tmp_path / "plain")
    x = load_dataset("synthetic").val.x[:64]
    want = np.stack([r.logits for r in run_host(host_int8, x, tmp_path)])
    got = np.stack([r.logits for r in run_host(plain, x, tmp_path)])
    assert np.array_equal(got, want)
