"""The training loop shared by teachers and students.

One :class:`Trainer` runs on CPU, one GPU, or N processes under ``torchrun`` (DDP, data sharded
with ``DistributedSampler``, only rank 0 writing). Each epoch ends with validation and an atomic
checkpoint; ``resume=True`` continues from the last one and reproduces the uninterrupted run
exactly on CPU, because every random choice (shuffle, augmentation) is drawn from a generator
seeded by (seed, epoch), not from state carried across epochs.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn

from edgekit.atomic import atomic_write_text
from edgekit.checkpoint import load_checkpoint, save_checkpoint
from edgekit.config import TrainConfig
from edgekit.data.dataset import Split
from edgekit.errors import EdgekitError
from edgekit.rundir import TrainerFiles, differing_keys
from edgekit.train.averaging import WeightAverage
from edgekit.train.distributed import Context, pick_device, setup, shard_batches
from edgekit.train.epoch_view import EpochView
from edgekit.train.faults import after_checkpoint
from edgekit.train.losses import LossFn, cross_entropy_loss
from edgekit.train.mixup import Blend, check_mixup
from edgekit.train.optim import lr_at, make_optimizer
from edgekit.train.predict import evaluate
from edgekit.train.result import TrainResult

log = logging.getLogger(__name__)

# validate(model) -> metrics of this epoch; must hold the trainer's score_key (higher is better)
ValidateFn = Callable[[nn.Module], dict[str, float]]
# features(batch indices [B], epoch generator) -> inputs [B, T, C]; for on-the-fly augmentation
FeatureFn = Callable[[Tensor, torch.Generator], Tensor]
StepHook = Callable[[int, int], None]  # (epoch, step) after each optimiser step


class Trainer:
    """Trains ``model`` on ``train``, validating on ``val`` after every epoch, into ``out_dir``."""

    def __init__(
        self,
        model: nn.Module,
        train: Split,
        val: Split,
        config: TrainConfig,
        out_dir: Path,
        *,
        device: str = "auto",
        loss: LossFn | None = None,
        features: FeatureFn | None = None,
        on_step: StepHook | None = None,
        label: str = "model",
        meta: dict[str, Any] | None = None,
        validate: ValidateFn | None = None,
        score_key: str = "val_accuracy",
        patience: int | None = None,
        alone: bool = False,
        keep_last: bool = False,
    ) -> None:
        # alone: this process trains the model by itself even under torchrun (FIND-WL's
        # candidates, one per rank); else every rank of the process group trains it with DDP
        self.ctx: Context = Context(0, 1, pick_device(device)) if alone else setup(device)
        self.quiet = alone and dist.is_initialized() and dist.get_rank() != 0
        self.model = model.to(self.ctx.device)
        self.train_x = torch.as_tensor(train.x)
        self.train_y = torch.as_tensor(train.y)
        self.val = val
        self.config = config
        self.out_dir = Path(out_dir)
        self.files = TrainerFiles(self.out_dir)
        check_mixup(config.mixup, loss is not None, label)
        self.loss = loss or cross_entropy_loss(config)
        self.features = features
        self.on_step = on_step
        self.label = label
        self.meta = meta or {}
        self.validate = validate
        self.score_key = score_key
        self.patience = patience
        self.keep_last = keep_last  # every epoch replaces the kept one (validation was trained on)
        self._best_weights: dict[str, Tensor] = {}
        # keep_last with average_last: the kept weights are the mean of the last epochs' (SWA)
        self.average = WeightAverage.kept_by(config) if keep_last else None
        if config.batch_size % self.ctx.world_size:
            raise EdgekitError(
                f"batch_size {config.batch_size} must divide evenly over {self.ctx.world_size} processes"
            )
        self._set_up_steps()

    def _set_up_steps(self) -> None:
        """What each step runs through: DDP (under torchrun), the optimiser, mixed precision."""
        self.ddp: nn.Module = self.model
        if self.ctx.distributed:
            self.ddp = nn.parallel.DistributedDataParallel(
                self.model,
                device_ids=[self.ctx.device.index] if self.ctx.device.type == "cuda" else None,
            )
        self.optimizer = make_optimizer(self.model, self.config)
        self.use_amp = self.ctx.device.type == "cuda"
        self.amp_dtype = (
            torch.bfloat16 if self.use_amp and torch.cuda.is_bf16_supported() else torch.float16
        )
        self.scaler = torch.amp.grad_scaler.GradScaler(
            "cuda", enabled=self.use_amp and self.amp_dtype == torch.float16
        )

    # ----------------------------------------------------------------------------- state
    def _state(
        self, epoch: int, history: list[dict[str, Any]], best: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "format": "edgekit-checkpoint/1",
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "epoch": epoch,
            "history": history,
            "best": best,
            "best_model": self._best_weights,
            "average": self.average.state() if self.average is not None else None,
            "config": self.config.to_dict(),
            "meta": self.meta,
        }

    def _restore(self) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
        payload = load_checkpoint(self.files.checkpoint, map_location=self.ctx.device)
        changed = differing_keys(payload.get("config", {}), self.config.to_dict(), ["epochs"])
        changed += [
            f"model {k}"
            for k in ("spec", "task")
            if payload.get("meta", {}).get(k) != self.meta.get(k)
        ]
        if changed:
            raise EdgekitError(
                f"{self.out_dir}: the checkpoint was trained with other settings ({', '.join(changed)}); "
                "resume with the same settings (only epochs may grow) or use a new --out"
            )
        try:
            self.model.load_state_dict(payload["model"])
            self.optimizer.load_state_dict(payload["optimizer"])
        except (RuntimeError, ValueError, KeyError) as exc:
            raise EdgekitError(f"{self.files.checkpoint}: does not fit this model ({exc})") from exc
        if self.scaler.is_enabled() and payload.get("scaler"):
            self.scaler.load_state_dict(payload["scaler"])
        best = dict(payload["best"])
        self._best_weights = payload.get("best_model") or {}
        if self.average is not None:
            self.average.load(payload.get("average"))
        if self.ctx.is_main and self._best_weights:
            # best.pt is written after the checkpoint: a kill in between left it behind; redo it
            best_file = self.files.best
            on_disk = load_checkpoint(best_file).get("epoch") if best_file.exists() else None
            if on_disk != best["epoch"]:
                save_checkpoint(
                    best_file,
                    {"model": self._best_weights, "epoch": best["epoch"], "meta": self.meta},
                )
        return int(payload["epoch"]) + 1, list(payload["history"]), best

    # ----------------------------------------------------------------------------- loop
    def _epoch(self, epoch: int, view: EpochView) -> dict[str, float]:
        self.ddp.train()
        for group in self.optimizer.param_groups:
            group["lr"] = self._lr(epoch)
        gen = torch.Generator().manual_seed(
            self.config.seed * 100_003 + epoch * 101 + self.ctx.rank
        )
        batches = shard_batches(len(self.train_y), self.config, self.ctx, epoch)
        view.begin(epoch, len(batches))
        total_loss, correct, seen = 0.0, 0, 0
        start = time.perf_counter()
        for step, idx in enumerate(batches):
            x = self.features(idx, gen) if self.features else self.train_x[idx]
            loss, hits = self._step(x, idx, epoch, step, gen)
            total_loss, correct, seen = (
                total_loss + loss * len(idx),
                correct + hits,
                seen + len(idx),
            )
            view.step(total_loss / seen, correct / seen, seen * self.ctx.world_size)
            if self.on_step is not None:
                self.on_step(epoch, step)
        seconds = time.perf_counter() - start
        view.end()
        if self.ctx.distributed:  # every rank saw its shard: report the whole epoch's numbers
            totals = torch.tensor(
                [total_loss, correct, seen], dtype=torch.float64, device=self.ctx.device
            )
            torch.distributed.all_reduce(totals)
            total_loss, correct, seen = float(totals[0]), int(totals[1]), int(totals[2])
        return {
            "train_loss": total_loss / max(seen, 1),
            "train_accuracy": correct / max(seen, 1),
            "epoch_seconds": seconds,
            "samples_per_second": seen / max(seconds, 1e-9),
        }

    def _step(
        self, x: Tensor, idx: Tensor, epoch: int, step: int, gen: torch.Generator | None = None
    ) -> tuple[float, int]:
        """One optimiser step on a batch: (mean loss, correct predictions)."""
        x, y = x.to(self.ctx.device, non_blocking=True), self.train_y[idx].to(self.ctx.device)
        blend = Blend(self.config.mixup, len(idx), gen)  # mixup (off: the batch as it is)
        with torch.autocast(self.ctx.device.type, dtype=self.amp_dtype, enabled=self.use_amp):
            out = self.ddp(blend.inputs(x))
            logits = out.logits
            loss = blend.loss(self.loss, out, idx, y).mean()
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()  # type: ignore[no-untyped-call]
        if self.config.grad_clip:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if not torch.isfinite(loss):
            raise EdgekitError(
                f"{self.label}: loss became {loss.item()} at epoch {epoch + 1} step {step}; "
                "lower lr (e.g. --set teacher_train.lr=0.01) or enable grad_clip"
            )
        return float(loss.item()), int((logits.argmax(-1) == y).sum().item())

    def _validate(self) -> dict[str, float]:
        if self.validate is not None:
            return self.validate(self.model)
        return evaluate(self.model, self.val, self.ctx.device, self.config.eval_batch_size)

    def fit(self, resume: bool = False) -> TrainResult:
        """Train for ``config.epochs``; keep the best epoch by validation (then loss), or the last."""
        start_epoch, history, best = self._start(resume)
        begin = time.perf_counter()
        shown = EpochView.wanted(self.ctx.is_main, self.quiet)
        with EpochView(self.label, self.config.epochs, shown) as view:
            # a resumed run that had stopped early stays stopped (same result as unkilled)
            stopped = start_epoch > 0 and self._patience_ran_out(start_epoch - 1, best)
            end = start_epoch if stopped else self.config.epochs
            for epoch in range(start_epoch, end):
                best = self._one_epoch(epoch, view, history, best)
                if self._patience_ran_out(epoch, best):
                    break
        best = self._keep_average(best)
        if self.ctx.distributed:
            torch.distributed.barrier()
        rates = [h["samples_per_second"] for h in history]
        return TrainResult(
            best_epoch=int(best["epoch"]),
            best_val_accuracy=float(best.get("val_accuracy", math.nan)),
            best_val_loss=float(best.get("val_loss", math.nan)),
            epochs_run=len(history) - start_epoch,
            seconds=time.perf_counter() - begin,
            total_seconds=sum(float(h.get("wall_seconds", h["epoch_seconds"])) for h in history),
            samples_per_second=float(np.median(rates)) if rates else 0.0,
            history=history,
            best=best,
        )

    def _start(self, resume: bool) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
        """(first epoch, history, best) of a fresh run, or of the checkpoint when resuming."""
        best: dict[str, Any] = {"epoch": -1, self.score_key: -math.inf, "val_loss": math.inf}
        if not self.files.checkpoint.exists():
            return 0, [], best
        if not resume:
            raise EdgekitError(
                f"{self.out_dir} already holds a training run; pass --resume to continue it "
                "or choose another --out (nothing was overwritten)"
            )
        start_epoch, history, best = self._restore()
        if self.ctx.is_main:
            log.info("%s: resuming after epoch %d", self.label, start_epoch)
        return start_epoch, history, best

    def _one_epoch(
        self, epoch: int, view: EpochView, history: list[dict[str, Any]], best: dict[str, Any]
    ) -> dict[str, Any]:
        """Train and validate one epoch, append its row to ``history``; returns the new best."""
        row: dict[str, Any] = {"epoch": epoch + 1, "lr": self._lr(epoch)}
        epoch_start = time.perf_counter()
        row.update(self._epoch(epoch, view))
        if self.average is not None:
            self.average.update(self.model, epoch)
        row.update(self._validate())
        row["wall_seconds"] = time.perf_counter() - epoch_start
        score = (row[self.score_key], -row.get("val_loss", 0.0))
        improved = self.keep_last or score > (best[self.score_key], -best.get("val_loss", 0.0))
        if improved:
            best = {k: v for k, v in row.items() if k.startswith("val_") or k == self.score_key}
            best["epoch"] = epoch + 1
        history.append(row)
        if self.ctx.is_main:
            self._write(epoch, history, best, improved)
            view.line(row, self.score_key, improved)
        return best

    def _lr(self, epoch: int) -> float:
        """The schedule's rate; held from the averaging window's start with average_hold_lr."""
        average = self.average if self.config.average_hold_lr else None
        return lr_at(self.config, epoch, average.start if average is not None else None)

    def _keep_average(self, best: dict[str, Any]) -> dict[str, Any]:
        """With weight averaging: the mean weights, validated, become the kept ones (best.pt).

        The model holds them afterwards; the checkpoint keeps the last epoch's, so a resumed run
        continues training from where it stopped."""
        if self.average is None or not self.average.count:
            return best
        self.average.apply(self.model, self.train_x, self.config.eval_batch_size)
        row = self._validate()
        best = {k: v for k, v in row.items() if k.startswith("val_") or k == self.score_key}
        best.update(epoch=self.config.epochs, averaged_epochs=self.average.count)
        self._best_weights = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        if self.ctx.is_main:
            payload = {"model": self._best_weights, "epoch": self.config.epochs, "meta": self.meta}
            save_checkpoint(self.files.best, payload)
        return best

    def _patience_ran_out(self, epoch: int, best: dict[str, Any]) -> bool:
        if self.patience is None or epoch + 1 - best["epoch"] < self.patience:
            return False
        if self.ctx.is_main:
            args = (self.label, self.score_key, self.patience)
            log.info("%s: no better %s for %d epochs; stopping", *args)
        return True

    def _write(
        self, epoch: int, history: list[dict[str, Any]], best: dict[str, Any], improved: bool
    ) -> None:
        # The checkpoint first: it alone decides where a resumed run continues, and it carries
        # the best weights, so best.pt and metrics.jsonl can always be rebuilt from it.
        if improved:
            self._best_weights = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        save_checkpoint(self.files.checkpoint, self._state(epoch, history, best))
        if improved:
            save_checkpoint(
                self.files.best,
                {"model": self._best_weights, "epoch": epoch + 1, "meta": self.meta},
            )
        atomic_write_text(self.files.metrics, "".join(json.dumps(h) + "\n" for h in history))
        after_checkpoint(self.label, epoch + 1)  # EDGEKIT_FAULT_AFTER: a kill at a known point
