"""The teacher's window warping chosen by its affinity: the threshold decides, a series whose class
is where its features sit keeps warping off, the choice is kept in the run (retrained teacher,
plain one set aside, config and report saying so) and never made again on resume."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from edgekit.config import Recipe, TrainConfig, load_recipe
from edgekit.data.dataset import Split
from edgekit.errors import ConfigError, EdgekitError
from edgekit.models.base import MemberOutput
from edgekit.pipelines import choose_affinity
from edgekit.pipelines import teacher as teacher_pipeline
from edgekit.pipelines.choose_affinity import affinity_of, choose_warping, with_affinity
from edgekit.pipelines.distill import distill
from edgekit.rundir import RunDir
from edgekit.rundir.affinity_choice import (
    PLAIN_DIR,
    AffinityChoice,
    affinity_lines,
    read_affinity,
)
from edgekit.train.result import TrainResult
from edgekit.train.trainer import Trainer

CPU = torch.device("cpu")
T = 40


class SpikeAt(nn.Module):
    """Class 0 where a series' peak is at step 8 or before, class 1 after: a class that lives in
    *where* a feature sits, as ACSF1's period does."""

    def forward(self, x: Tensor) -> MemberOutput:
        late = (x[:, :, 0].argmax(dim=1) > 8).float()
        return MemberOutput(torch.stack([1 - late, late], dim=1), x)


class Level(nn.Module):
    """Class from the series' mean level: no warping of a flat series changes it."""

    def forward(self, x: Tensor) -> MemberOutput:
        m = x.mean(dim=(1, 2))
        return MemberOutput(torch.stack([-m, m], dim=1), x)


def _spikes(n: int = 40) -> Split:
    y = np.arange(n) % 2
    x = np.zeros((n, T, 1), np.float32)
    x[np.arange(n), 8 + y, 0] = 1.0  # one step apart: a warp before step 8 moves the peak
    return Split(x, y)


def _levels(n: int = 40) -> Split:
    y = np.arange(n) % 2
    return Split(np.repeat((2.0 * y - 1)[:, None, None], T, axis=1).astype(np.float32), y)


def _recipe(warp: float = 0.5, threshold: float = 0.9) -> Recipe:
    return replace(load_recipe("arrays"), affinity_warp=warp, affinity_min=threshold)


def test_affinity_is_low_where_the_class_is_where_a_feature_sits() -> None:
    clean, warped = affinity_of(SpikeAt(), _spikes(), 0.5, CPU)
    assert clean == 1.0 and 0.3 < warped < 0.8
    assert affinity_of(Level(), _levels(), 0.5, CPU) == (1.0, 1.0)
    assert affinity_of(SpikeAt(), _spikes(), 0.5, CPU) == (clean, warped)  # seeded draws


def test_warping_is_adopted_only_at_or_above_the_threshold() -> None:
    flat = choose_warping(_recipe(), Level(), _levels(), CPU)
    assert flat.series_warp == 0.5 and flat.affinity == 1.0
    spiky = choose_warping(_recipe(), SpikeAt(), _spikes(), CPU)
    assert spiky.series_warp == 0.0 and spiky.tried == 0.5 and spiky.n_series == 40
    at = choose_warping(_recipe(threshold=spiky.affinity), SpikeAt(), _spikes(), CPU)
    assert at.series_warp == 0.5  # exactly at the threshold: adopted
    above = min(1.0, spiky.affinity + 0.01)
    assert choose_warping(_recipe(threshold=above), SpikeAt(), _spikes(), CPU).series_warp == 0


def test_members_warp_as_the_teacher_unless_the_recipe_sets_theirs() -> None:
    adopted = AffinityChoice(0.1, 0.1, 1.0, 0.95, 0.9, 36)
    recipe = with_affinity(_recipe(warp=0.1), adopted)
    assert recipe.teacher_train.series_warp == 0.1 and recipe.student_train.series_warp == 0.1
    own = replace(_recipe(warp=0.1), student_train=replace(TrainConfig(), series_warp=0.3))
    assert with_affinity(own, adopted).student_train.series_warp == 0.3
    refused = AffinityChoice(0.0, 0.1, 1.0, 0.5, 0.9, 36)
    assert with_affinity(_recipe(warp=0.1), refused).student_train.series_warp == 0.0
    assert with_affinity(_recipe(warp=0.1), None) == _recipe(warp=0.1)


def test_the_recipe_checks_its_fields() -> None:
    assert load_recipe("arrays").affinity_min == 0.9
    for bad in ({"affinity_warp": 1.5}, {"affinity_warp": -0.1}, {"affinity_min": 0.0}):
        with pytest.raises(ConfigError, match="affinity_warp must be in"):
            replace(_recipe(), **bad)


def _tiny(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    y = np.arange(36) % 3
    x = rng.standard_normal((36, 32, 2)).astype(np.float32) + y[:, None, None]
    np.savez(tmp_path / "d.npz", X_train=x[:24], y_train=y[:24], X_val=x[24:], y_val=y[24:])
    return tmp_path / "d.npz"


SETS = [
    "teacher=cnn1d-8", "students=cnn1d-4", "teacher_train.min_steps=10",
    "student_train.min_steps=10", "distill.max_members=1", "distill.gamma_min=0",
    "distill.budget=1.0", "affinity_warp=0.1",
]  # fmt: skip


class Killed(Exception):
    """A kill at a known point of train_teacher (what SIGKILL leaves behind, without the signal)."""


def _never(*args: Any) -> AffinityChoice:
    raise AssertionError("a saved choice is not made again")


def _count_epochs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Epochs each teacher fit trains from here on (0: a finished checkpoint, resumed)."""
    epochs: list[int] = []
    real = Trainer.fit

    def fit(self: Trainer, resume: bool = False) -> TrainResult:
        result = real(self, resume)
        epochs.append(result.epochs_run)
        return result

    monkeypatch.setattr(Trainer, "fit", fit)
    return epochs


def _assert_warped_teacher(out: Path) -> None:
    choice = read_affinity(out)
    assert choice is not None and choice.series_warp == 0.1
    saved = json.loads((out / "config.json").read_text())["recipe"]
    assert saved["teacher_train"]["series_warp"] == 0.1  # the config names the warped teacher
    assert saved["student_train"]["series_warp"] == 0.1  # and members trained like it
    assert (out / PLAIN_DIR / "best.pt").is_file() and (out / "teacher" / "best.pt").is_file()
    assert (out / "teacher" / "summary.json").is_file()


ADOPT = [*SETS, "affinity_min=0.01"]


def test_an_adopted_warping_retrains_the_teacher(tmp_path: Path) -> None:
    data, out = _tiny(tmp_path), tmp_path / "run"
    distill("arrays", out, overrides=ADOPT, data_dir=data, device="cpu")
    _assert_warped_teacher(out)
    choice = read_affinity(out)
    assert choice is not None and choice.n_series == 36  # train + the joined val
    assert "chosen by its affinity" in (out / "summary.md").read_text()


def test_a_run_killed_before_the_choice_makes_it_on_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between the plain teacher's last epoch and the choice: no teacher summary yet, so
    a resumed distill reaches train_teacher, resumes the plain teacher and chooses."""
    data, out = _tiny(tmp_path), tmp_path / "run"
    real_choose = teacher_pipeline.choose_warping

    def killed(*args: Any) -> AffinityChoice:
        raise Killed

    monkeypatch.setattr(teacher_pipeline, "choose_warping", killed)
    with pytest.raises(Killed):
        distill("arrays", out, overrides=ADOPT, data_dir=data, device="cpu")
    assert not (out / "teacher" / "summary.json").exists()  # the plain teacher is not done yet
    monkeypatch.setattr(teacher_pipeline, "choose_warping", real_choose)
    epochs = _count_epochs(monkeypatch)
    distill("arrays", out, overrides=ADOPT, data_dir=data, device="cpu")
    _assert_warped_teacher(out)
    assert epochs[0] == 0 and epochs[1] > 0  # the plain teacher resumed, the warped one trained


def test_a_run_killed_while_setting_the_plain_teacher_aside_resumes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the rename, before the choice is written: the plain teacher goes back and
    is measured again, not trained again."""
    data, out = _tiny(tmp_path), tmp_path / "run"

    def killed(path: Path, payload: Any) -> None:
        raise Killed

    monkeypatch.setattr(choose_affinity, "atomic_write_json", killed)
    with pytest.raises(Killed):
        teacher_pipeline.train_teacher("arrays", out, data, ADOPT, device="cpu")
    assert (out / PLAIN_DIR).is_dir() and not (out / "teacher").exists()
    monkeypatch.undo()
    epochs = _count_epochs(monkeypatch)
    teacher_pipeline.train_teacher("arrays", out, data, ADOPT, device="cpu", resume=True)
    _assert_warped_teacher(out)
    assert epochs[0] == 0 and epochs[1] > 0


def test_a_run_killed_in_the_warped_retrain_keeps_its_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, out = _tiny(tmp_path), tmp_path / "run"
    real_fit = teacher_pipeline._fit

    def killed_when_warped(recipe: Recipe, *args: Any, **kw: Any) -> Any:
        if recipe.teacher_train.series_warp:
            raise Killed
        return real_fit(recipe, *args, **kw)

    monkeypatch.setattr(teacher_pipeline, "_fit", killed_when_warped)
    with pytest.raises(Killed):
        teacher_pipeline.train_teacher("arrays", out, data, ADOPT, device="cpu")
    choice = read_affinity(out)
    assert choice is not None and choice.series_warp == 0.1
    monkeypatch.setattr(teacher_pipeline, "_fit", real_fit)
    monkeypatch.setattr(teacher_pipeline, "choose_warping", _never)
    for other in ("affinity_warp=0", "teacher_train.series_warp=0.3"):  # no config to catch it
        with pytest.raises(EdgekitError, match="the choice was made with"):
            teacher_pipeline.train_teacher(
                "arrays", out, data, [*ADOPT, other], device="cpu", resume=True
            )
    epochs = _count_epochs(monkeypatch)
    teacher_pipeline.train_teacher("arrays", out, data, ADOPT, device="cpu", resume=True)
    _assert_warped_teacher(out)
    assert read_affinity(out) == choice and len(epochs) == 1  # the warped teacher alone


def test_a_run_killed_after_a_rejected_choice_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, out = _tiny(tmp_path), tmp_path / "run"

    def rejected(recipe: Recipe, model: nn.Module, train: Split, device: Any) -> AffinityChoice:
        return AffinityChoice(0.0, recipe.affinity_warp, 1.0, 0.2, 0.9, len(train))

    def killed(self: RunDir, summary: Any) -> None:
        raise Killed

    monkeypatch.setattr(teacher_pipeline, "choose_warping", rejected)
    monkeypatch.setattr(RunDir, "write_teacher", killed)
    with pytest.raises(Killed):
        teacher_pipeline.train_teacher("arrays", out, data, SETS, device="cpu")
    assert read_affinity(out) is not None and not (out / "teacher" / "summary.json").exists()
    monkeypatch.undo()
    monkeypatch.setattr(teacher_pipeline, "choose_warping", _never)
    epochs = _count_epochs(monkeypatch)
    teacher_pipeline.train_teacher("arrays", out, data, SETS, device="cpu", resume=True)
    assert epochs == [0] and (out / "teacher" / "summary.json").is_file()
    assert not (out / PLAIN_DIR).exists()


def test_a_saved_choice_resumed_under_other_settings_is_refused(tmp_path: Path) -> None:
    data, out = _tiny(tmp_path), tmp_path / "run"
    teacher_pipeline.train_teacher("arrays", out, data, ADOPT, device="cpu")
    with pytest.raises(
        EdgekitError, match=r"affinity_min=0\.01 \(teacher warping 0\.1\); the recipe now asks"
    ):
        teacher_pipeline.train_teacher(
            "arrays", out, data, [*SETS, "affinity_min=0.5"], device="cpu", resume=True
        )
    _assert_warped_teacher(out)  # nothing was changed


def test_a_rejected_warping_keeps_the_plain_teacher_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fits: list[float] = []
    real_fit = teacher_pipeline._fit

    def counting_fit(recipe: Recipe, *args: Any, **kw: Any) -> Any:
        fits.append(recipe.teacher_train.series_warp)
        return real_fit(recipe, *args, **kw)

    def rejected(recipe: Recipe, model: nn.Module, train: Split, device: Any) -> AffinityChoice:
        return AffinityChoice(0.0, recipe.affinity_warp, 1.0, 0.2, 0.9, len(train))

    monkeypatch.setattr(teacher_pipeline, "_fit", counting_fit)
    monkeypatch.setattr(teacher_pipeline, "choose_warping", rejected)
    out = tmp_path / "run"
    teacher_pipeline.train_teacher("arrays", out, _tiny(tmp_path), SETS, device="cpu")
    assert fits == [0.0]  # trained once, plain
    assert not (out / PLAIN_DIR).exists()
    saved = json.loads((out / "config.json").read_text())["recipe"]
    assert saved["teacher_train"]["series_warp"] == 0.0
    assert saved["student_train"]["series_warp"] == 0.0
    (line,) = [x for x in affinity_lines(out) if x.startswith("- ")]
    assert "warping 0.1 not adopted" in line and "keeps 20 %" in line


def test_a_run_killed_after_setting_the_plain_teacher_aside_is_still_a_run(
    tmp_path: Path,
) -> None:
    from edgekit.outputs import identify

    (tmp_path / PLAIN_DIR).mkdir()
    assert identify(tmp_path) == "run"


@pytest.mark.slow
def test_under_torchrun_one_rank_sets_the_plain_teacher_aside(tmp_path: Path) -> None:
    """Two CPU ranks train the plain teacher, measure the same affinity, one rank moves it aside
    and writes the choice, both retrain the warped one (a race here fails the run)."""
    import os
    import subprocess
    import sys

    out = tmp_path / "multi"
    args = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "edgekit", "train-teacher", "synthetic", "--out", str(out), "--device", "cpu",
        "--set", "teacher=gru-8", "--set", "teacher_train.epochs=1",
        "--set", "affinity_warp=0.1", "--set", "affinity_min=0.01",
    ]  # fmt: skip
    env = {**os.environ, "EDGEKIT_PROGRESS": "0", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    choice = read_affinity(out)
    assert choice is not None and choice.series_warp == 0.1
    assert (out / PLAIN_DIR / "best.pt").is_file() and (out / "teacher" / "best.pt").is_file()
    saved = json.loads((out / "config.json").read_text())["recipe"]
    assert saved["teacher_train"]["series_warp"] == 0.1


def test_a_teacher_run_passed_to_distill_brings_its_choice(tmp_path: Path) -> None:
    data = _tiny(tmp_path)
    source, out = tmp_path / "teacher-run", tmp_path / "run"
    sets = [*SETS, "affinity_min=0.01"]
    teacher_pipeline.train_teacher("arrays", source, data, sets, device="cpu")
    choice = read_affinity(source)
    assert choice is not None and choice.series_warp == 0.1
    distill("arrays", out, overrides=sets, data_dir=data, device="cpu", teacher=source)
    assert read_affinity(out) == choice
    saved = json.loads((out / "config.json").read_text())["recipe"]
    assert saved["student_train"]["series_warp"] == 0.1  # members warp as that teacher did
    distill("arrays", out, overrides=sets, data_dir=data, device="cpu", teacher=source)  # resumes


def test_a_teacher_file_inside_a_run_brings_that_runs_choice(tmp_path: Path) -> None:
    """``--teacher RUN/teacher/best.pt`` is the teacher of RUN: its choice comes along; the plain
    teacher set aside (``RUN/affinity_plain_teacher/best.pt``) is no warped teacher's."""
    data = _tiny(tmp_path)
    source = tmp_path / "teacher-run"
    teacher_pipeline.train_teacher("arrays", source, data, ADOPT, device="cpu")
    choice = read_affinity(source)
    warped, plain = tmp_path / "warped", tmp_path / "plain"
    best = source / "teacher" / "best.pt"
    distill("arrays", warped, overrides=ADOPT, data_dir=data, device="cpu", teacher=best)
    assert read_affinity(warped) == choice
    saved = json.loads((warped / "config.json").read_text())["recipe"]
    assert saved["student_train"]["series_warp"] == 0.1
    aside = source / PLAIN_DIR / "best.pt"
    distill("arrays", plain, overrides=ADOPT, data_dir=data, device="cpu", teacher=aside)
    assert read_affinity(plain) is None


def test_a_teacher_whose_weights_do_not_fit_leaves_no_choice_behind(tmp_path: Path) -> None:
    data = _tiny(tmp_path)
    source, out = tmp_path / "teacher-run", tmp_path / "run"
    teacher_pipeline.train_teacher("arrays", source, data, ADOPT, device="cpu")
    with pytest.raises(EdgekitError, match="holds a cnn1d-8 teacher"):
        distill(
            "arrays", out, overrides=[*ADOPT, "teacher=cnn1d-16"], data_dir=data,
            device="cpu", teacher=source,
        )  # fmt: skip
    assert not (out / "affinity_choice.json").exists()


def test_an_import_killed_at_the_choice_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The imported choice is written before the config that applies it: a kill at the choice
    leaves a run that resumes (the other order left a config no resume check accepted)."""
    data = _tiny(tmp_path)
    source, out = tmp_path / "teacher-run", tmp_path / "run"
    teacher_pipeline.train_teacher("arrays", source, data, ADOPT, device="cpu")

    def killed(path: Path, payload: Any) -> None:  # at the choice's write
        raise Killed

    monkeypatch.setattr(teacher_pipeline, "atomic_write_json", killed)
    with pytest.raises(Killed):
        distill("arrays", out, overrides=ADOPT, data_dir=data, device="cpu", teacher=source)
    monkeypatch.undo()
    distill("arrays", out, overrides=ADOPT, data_dir=data, device="cpu", teacher=source)
    assert read_affinity(out) == read_affinity(source)
    saved = json.loads((out / "config.json").read_text())["recipe"]
    assert saved["student_train"]["series_warp"] == 0.1


def test_a_teacher_that_stopped_early_stays_stopped_on_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, out = _tiny(tmp_path), tmp_path / "run"
    sets = [*SETS, "affinity_warp=0", "join_val_below=0", "teacher_train.patience=1"]
    sets += ["teacher_train.epochs=30", "teacher_train.lr=0.3"]  # noisy: stops well before 30
    teacher_pipeline.train_teacher("arrays", out, data, sets, device="cpu")
    rows = (out / "teacher" / "metrics.jsonl").read_text().splitlines()
    assert len(rows) < 30  # it did stop early (else this test would say nothing)
    epochs = _count_epochs(monkeypatch)
    teacher_pipeline.train_teacher("arrays", out, data, sets, device="cpu", resume=True)
    assert epochs == [0]
    assert (out / "teacher" / "metrics.jsonl").read_text().splitlines() == rows
