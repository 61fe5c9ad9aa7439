"""`edgekit listen` as users run it: detections, members per window, real-time factor."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from edgekit.cli import app
from edgekit.runtime import Policy, ProgressiveEnsemble, StreamConfig
from edgekit.runtime.detection import QUIET_GATE
from edgekit.runtime.listen import listen_file
from tests.runtime.conftest import stream_audio


def test_listen_prints_detections_members_and_speed(
    speech_bundles: dict[str, Path], tmp_path: Path
) -> None:
    wav = tmp_path / "stream.wav"
    sf.write(wav, stream_audio(), 16000, subtype="FLOAT")
    bundle = speech_bundles["tflite-int8"]
    args = ["listen", str(bundle), str(wav), "--threshold", "0.3", "--margin", "2"]
    result = CliRunner().invoke(app, [*args, "--json", "--windows"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    config = StreamConfig(threshold=0.3, policy=Policy(margin=2.0))
    want = listen_file(ProgressiveEnsemble.load(bundle), wav, config)
    assert out["detections"] == [d.to_dict() for d in want.detections] and out["detections"]
    assert out["windows"] == len(out["windows_detail"]) == 53 and out["realtime_factor"] > 1
    assert sum(out["members_histogram"].values()) == 53
    assert out["mean_members"] == np.mean([w["members"] for w in out["windows_detail"]])
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0, text.output
    assert f"{len(want.detections)} detection(s) in 6.0 s of audio" in text.output
    assert "faster than real time" in text.output and "members per window" in text.output


def test_listen_shortcut_flags(speech_bundles: dict[str, Path], tmp_path: Path) -> None:
    wav = tmp_path / "stream.wav"
    sf.write(wav, stream_audio(), 16000, subtype="FLOAT")
    base = ["listen", str(speech_bundles["onnx-float"]), str(wav), "--threshold", "0.3", "--json"]
    runs = {}
    for name, flags in (
        ("default", []),
        ("off", ["--quiet-gate", "0", "--run-suppressed"]),
        ("suppressed", ["--quiet-gate", "0"]),
    ):
        result = CliRunner().invoke(app, base + flags)
        assert result.exit_code == 0, result.output
        runs[name] = json.loads(result.output)
    assert runs["default"]["config"]["quiet_gate"] == QUIET_GATE
    assert runs["default"]["shortcuts"]["quiet"] > 0
    assert runs["off"]["config"]["quiet_gate"] is None and runs["off"]["shortcuts"] == {}
    assert runs["off"]["mean_members"] == runs["off"]["bundle_members"]  # every member, window
    assert set(runs["suppressed"]["shortcuts"]) == {"suppressed"}
    assert runs["suppressed"]["detections"] == runs["off"]["detections"]  # exact


def test_listen_refuses_a_bundle_without_front_end(onnx_bundle: Path, tmp_path: Path) -> None:
    wav = tmp_path / "stream.wav"
    sf.write(wav, stream_audio(1.0), 16000)
    result = CliRunner().invoke(app, ["listen", str(onnx_bundle), str(wav)])
    assert result.exit_code != 0 and "cannot listen" in str(result.exception)
