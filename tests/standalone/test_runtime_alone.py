"""The runtime on its own: edgekit's base install + tflite-runtime + numpy<2, no torch.

`.ci/run` builds the fixture with scripts/runtime_fixture.py in the full environment, then runs
these tests in a separate venv. Elsewhere they skip (the fixture variable is unset).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

FIXTURE = os.environ.get("EDGEKIT_RUNTIME_FIXTURE")
pytestmark = pytest.mark.skipif(
    not FIXTURE, reason="EDGEKIT_RUNTIME_FIXTURE unset: run by .ci/run in the runtime-only venv"
)


@pytest.fixture(scope="module")
def root() -> Path:
    assert FIXTURE
    return Path(FIXTURE)


def test_this_environment_has_no_torch_and_numpy_1() -> None:
    assert importlib.util.find_spec("torch") is None
    assert importlib.util.find_spec("tflite_runtime") is not None
    assert int(np.__version__.split(".")[0]) < 2


@pytest.mark.parametrize("name", ["tflite-float", "tflite-int8"])
def test_members_match_litert_through_tflite_runtime(root: Path, name: str) -> None:
    from edgekit.runtime import MemberRunner, ProgressiveEnsemble, load_bundle

    x = np.load(root / "inputs.npy")
    expected = json.loads((root / "expected.json").read_text())[name]
    bundle = load_bundle(root / name)
    runner = MemberRunner(bundle)
    assert runner.backend == "tflite-runtime"
    for entry, got, want in zip(
        bundle.manifest.members, runner.member_logits(x), expected, strict=True
    ):
        want = np.asarray(want, np.float32)
        logits = entry.output("logits")
        assert logits is not None
        limit = (
            2.001 * logits.quantization.scale if logits.quantization else 1e-5 * np.abs(want).max()
        )
        assert np.abs(got - want).max() <= limit
    ens = ProgressiveEnsemble.load(root / name)
    assert ens.predict(x[0], {"max_members": 2}).members_run == 2
    assert "torch" not in sys.modules


def test_onnx_bundle_says_what_to_install(root: Path) -> None:
    from edgekit.errors import EdgekitError
    from edgekit.runtime import ProgressiveEnsemble

    if importlib.util.find_spec("onnxruntime") is not None:
        pytest.skip("onnxruntime is installed here")
    with pytest.raises(EdgekitError, match="pip install onnxruntime"):
        ProgressiveEnsemble.load(root / "onnx-float")
