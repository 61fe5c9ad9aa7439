"""``edgekit train-teacher``: recipe + data -> a trained teacher in ``RUN_DIR/teacher``.

The run directory holds ``config.json`` (the resolved recipe and the data's class names,
front end and normalisation, everything export will need) and ``teacher/`` with the trainer's
checkpoints, ``metrics.jsonl`` and ``summary.json``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from edgekit.atomic import atomic_write_json
from edgekit.cost import model_cost
from edgekit.data import Dataset, load_dataset
from edgekit.data.fit_checks import run_warnings, write_warnings
from edgekit.errors import EdgekitError
from edgekit.models import EdgeModel, build_model
from edgekit.recipe import Recipe, apply_overrides, load_recipe
from edgekit.train.loop import FeatureFn, StepHook, Trainer, load_best, predict_logits
from edgekit.train.losses import accuracy
from edgekit.train.sizing import sized_recipe

log = logging.getLogger(__name__)

TEACHER_DIR = "teacher"
CONFIG = "config.json"


@dataclass
class TeacherSummary:
    task: str
    spec: str
    val_accuracy: float
    test_accuracy: float | None
    best_epoch: int
    params: int
    macs: int
    train_seconds: float
    samples_per_second: float
    device: str
    out_dir: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def dataset_record(data: Dataset) -> dict[str, Any]:
    """What a run must remember about its data to export and run members later."""
    return {
        "task": data.task,
        "source": data.source,
        "class_names": list(data.class_names),
        "feature_shape": list(data.feature_shape),
        "frontend": data.frontend.to_dict() if data.frontend else None,
        "normalization": None
        if data.normalization is None
        else {
            "mean": data.normalization.mean.tolist(),
            "std": data.normalization.std.tolist(),
        },
        "sizes": {name: len(split) for name, split in data.splits().items()},
    }


def speech_augmenter(data: Dataset, recipe_train: Any, device: torch.device) -> FeatureFn | None:
    """On-the-fly time shift + background noise for speech tasks whose recipe asks for it."""
    if not recipe_train.augment:
        return None
    if data.train.audio is None or data.frontend is None or data.normalization is None:
        raise EdgekitError(f"{data.task}: augment=true needs speech data with waveforms")
    from edgekit.data.speech_commands import load_background_noise
    from edgekit.train.augment import SpeechAugmenter

    noise = [torch.from_numpy(v) for v in load_background_noise(Path(data.source)).values()]
    augmenter = SpeechAugmenter(
        data.frontend,
        data.normalization,
        noise,
        recipe_train.time_shift_ms,
        recipe_train.noise_prob,
        recipe_train.noise_max_volume,
    ).to(device)
    audio = torch.from_numpy(data.train.audio)

    def features(idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        with torch.no_grad():
            out: torch.Tensor = augmenter(audio[idx].to(device), gen)
        return out

    return features


def train_teacher(
    task: str,
    out_dir: Path,
    data_dir: Path | None = None,
    overrides: list[str] | None = None,
    device: str = "auto",
    resume: bool = False,
    cache_dir: Path | None = None,
    on_step: StepHook | None = None,
    recipe: Recipe | None = None,
) -> TeacherSummary:
    """Train the recipe's teacher for ``task``; rerun with ``resume=True`` to continue a killed run."""
    recipe = apply_overrides(recipe or load_recipe(task), overrides or [])
    cfg = recipe.teacher_train
    speech = task in ("google13", "kws8")
    data = load_dataset(
        task,
        data_dir or recipe.data_dir,
        cache_dir,
        with_audio=speech and cfg.augment,
    )
    # issue 18: steps floor and member layout sized to the data (idempotent; see train/sizing.py)
    recipe = sized_recipe(recipe, len(data.train), data.feature_shape[0])
    cfg = recipe.teacher_train
    warnings = run_warnings(data, recipe)  # issue 18: logged now, repeated in summary.md
    out_dir = Path(out_dir)
    config = {"recipe": recipe.to_dict(), "data": dataset_record(data)}
    config_path = out_dir / CONFIG
    if config_path.exists():
        if not resume:
            raise EdgekitError(
                f"{out_dir} already holds a run; pass --resume to continue it or choose another --out"
            )
        _check_same_run(config_path, config)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    model: EdgeModel = build_model(recipe.teacher, data.feature_shape, data.num_classes)
    trainer = Trainer(
        model,
        data.train,
        data.val,
        cfg,
        out_dir / TEACHER_DIR,
        device=device,
        label=f"teacher {recipe.teacher}",
        on_step=on_step,
        meta={"spec": recipe.teacher, "task": task},
        patience=cfg.patience or None,  # issue 18: early stopping on validation
    )
    trainer.features = speech_augmenter(data, cfg, trainer.ctx.device)
    result = trainer.fit(resume=resume)
    if trainer.ctx.is_main and not config_path.exists():
        atomic_write_json(config_path, config)
    if trainer.ctx.is_main:
        write_warnings(out_dir, warnings)
    load_best(model, out_dir / TEACHER_DIR)
    val_acc = accuracy(
        predict_logits(model, data.val.x, trainer.ctx.device), torch.as_tensor(data.val.y)
    )
    test_acc = (
        accuracy(
            predict_logits(model, data.test.x, trainer.ctx.device), torch.as_tensor(data.test.y)
        )
        if data.test is not None
        else None
    )
    cost = model_cost(recipe.teacher, data.feature_shape, data.num_classes)
    summary = TeacherSummary(
        task=task,
        spec=recipe.teacher,
        val_accuracy=val_acc,
        test_accuracy=test_acc,
        best_epoch=result.best_epoch,
        params=cost.params,
        macs=cost.macs,
        train_seconds=result.total_seconds,
        samples_per_second=result.samples_per_second,
        device=str(trainer.ctx.device),
        out_dir=str(out_dir),
    )
    if trainer.ctx.is_main:
        atomic_write_json(out_dir / TEACHER_DIR / "summary.json", summary.to_dict())
    from edgekit.train.distributed import teardown

    teardown(trainer.ctx)
    return summary


def _check_same_run(path: Path, config: dict[str, Any]) -> None:
    """Refuse to resume a run on other data or with another recipe (nothing is overwritten)."""
    saved = json.loads(json.dumps(read_config(path.parent)))
    current = json.loads(json.dumps(config))
    differs = [
        f"recipe.{k}"
        for k in current["recipe"]
        if saved["recipe"].get(k) != current["recipe"][k] and k != "teacher_train"
    ]
    saved_train = {
        k: v for k, v in saved["recipe"].get("teacher_train", {}).items() if k != "epochs"
    }
    current_train = {k: v for k, v in current["recipe"]["teacher_train"].items() if k != "epochs"}
    differs += [
        f"teacher_train.{k}" for k in current_train if saved_train.get(k) != current_train[k]
    ]
    differs += [
        f"data.{k}"
        for k in ("task", "source", "class_names", "feature_shape", "sizes")
        if saved["data"].get(k) != current["data"].get(k)
    ]
    if differs:
        raise EdgekitError(
            f"{path.parent} holds a run with other settings or data ({', '.join(differs)}); "
            "resume with the same ones (only teacher_train.epochs may grow) or choose another --out"
        )


def read_config(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / CONFIG
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise EdgekitError(f"{run_dir}: no {CONFIG}; is this an edgekit run directory?") from None
    except json.JSONDecodeError as exc:
        raise EdgekitError(f"{path}: malformed JSON ({exc})") from exc
    return data
