"""Training settings: one typed record, stored with every run and overridable with ``--set``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Optimizer = Literal["sgd", "adamw"]
Schedule = Literal["constant", "cosine"]
SeriesInterp = Literal["linear", "nearest"]


@dataclass(frozen=True)
class TrainConfig:
    """How one model is trained. Defaults are the paper's time-series setting (SGD, lr 0.05,
    momentum 0.9, no weight decay, no schedule)."""

    epochs: int = 40
    batch_size: int = 64
    optimizer: Optimizer = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: Schedule = "constant"
    seed: int = 0
    label_smoothing: float = 0.0
    kd_temperature: float = 4.0  # distillation temperature T of KL(p_t^T || p_s^T) T^2
    kd_label_weight: float = 0.0  # weight of cross-entropy on labels added to the KD loss
    augment: bool = False  # speech only: random time shift and background noise
    time_shift_ms: float = 100.0
    noise_prob: float = 0.8
    noise_max_volume: float = 0.1
    grad_clip: float = 5.0
    eval_batch_size: int = 512
    spec_freq_mask: int = 0  # speech: SpecAugment, widest masked band in mel channels (0: off)
    spec_time_mask: int = 0  # speech: SpecAugment, widest masked span in frames (0: off)
    spec_masks: int = 2  # speech: SpecAugment masks of each kind per example
    sensor_rotation_deg: float = 0.0  # DSA-19: max random rotation of each sensor unit
    sensor_scale: float = 0.0  # sensors: std of a per-channel gain around 1
    sensor_jitter: float = 0.0  # sensors: std of additive noise (normalised units)
    sensor_shift: int = 0  # sensors: max circular time shift in steps
    # time series: window slicing / warping (Le Guennec et al. 2016; edgekit.train.series_augment)
    series_slice: float = 0.0  # share of each series cut away, the rest stretched back (0: off)
    series_warp: float = 0.0  # share of each series in a window sped up or slowed down x2 (0: off)
    series_share: float = 1.0  # share of each batch's series sliced/warped, the rest as they are
    series_interp: SeriesInterp = "linear"  # nearest: resampled series keep their values (spikes)
    series_roll: float = 0.0  # largest circular shift as a share of the length (0: off)
    # mixup (Zhang et al. 2018): each batch blended with itself in another order, lambda ~
    # Beta(mixup, mixup), the loss blended alike; cross-entropy training (teachers) only
    mixup: float = 0.0  # 0: off
    # --- sized to the data (issue 18; applied by edgekit.train.sizing.sized_train) ---
    min_steps: int = 0  # floor of optimizer steps: epochs (and smaller batches) grow to reach it
    patience: int = 0  # stop after this many epochs without a better validation score (0: off)
    # a validation split trained on (joined, so no epoch can be picked): keep the mean weights of
    # this last share of the epochs instead of the last epoch's (SWA; edgekit.train.averaging)
    average_last: float = 0.0
    average_hold_lr: bool = False  # with average_last: the rate stays where the window starts

    def __post_init__(self) -> None:
        from edgekit.errors import ConfigError

        checks = [
            (self.epochs >= 1, "epochs must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.optimizer in ("sgd", "adamw"), "optimizer must be sgd or adamw"),
            (self.schedule in ("constant", "cosine"), "schedule must be constant or cosine"),
            (0 < self.lr < float("inf"), "lr must be a finite number > 0"),
            (self.weight_decay >= 0, "weight_decay must be >= 0"),
            (self.eval_batch_size >= 1, "eval_batch_size must be >= 1"),
            (self.grad_clip >= 0, "grad_clip must be >= 0 (0: off)"),
            (0 <= self.label_smoothing < 1, "label_smoothing must be in [0, 1)"),
            (0 <= self.mixup < float("inf"), "mixup must be a finite number >= 0 (0: off)"),
            (self.kd_label_weight >= 0, "kd_label_weight must be >= 0"),
            (self.time_shift_ms >= 0, "time_shift_ms must be >= 0"),
            (self.noise_max_volume >= 0, "noise_max_volume must be >= 0"),
            (0 <= self.momentum < 1, "momentum must be in [0, 1)"),
            (self.kd_temperature > 0, "kd_temperature must be > 0"),
            (0 <= self.noise_prob <= 1, "noise_prob must be in [0, 1]"),
            (min(self.spec_freq_mask, self.spec_time_mask, self.spec_masks) >= 0,
             "spec_freq_mask, spec_time_mask and spec_masks must be >= 0"),
            (min(self.sensor_rotation_deg, self.sensor_scale, self.sensor_jitter) >= 0
             and self.sensor_shift >= 0, "sensor_* settings must be >= 0"),
            (0 <= self.series_slice < 1, f"series_slice must be in [0, 1) (share of each series "
             f"cut away; 0: off), got {self.series_slice}"),
            (0 <= self.series_warp <= 1, f"series_warp must be in [0, 1] (share of each series "
             f"warped; 0: off), got {self.series_warp}"),
            (0 < self.series_share <= 1, f"series_share must be in (0, 1] (share of each batch "
             f"sliced/warped), got {self.series_share}"),
            (0 <= self.series_roll <= 0.5, f"series_roll must be in [0, 0.5] (largest circular "
             f"shift as a share of the length; 0: off), got {self.series_roll}"),
            (self.series_interp in ("linear", "nearest"),
             f"series_interp must be linear or nearest, got {self.series_interp!r}"),
            (self.min_steps >= 0, "min_steps must be >= 0 (0: train for epochs)"),
            (self.patience >= 0, "patience must be >= 0 (0: off)"),
            (0 <= self.average_last <= 1, "average_last must be in [0, 1] (0: off)"),
        ]  # fmt: skip
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"training settings: {message} (got {self})")

    @property
    def spec_augmented(self) -> bool:
        return bool(self.spec_masks and (self.spec_freq_mask or self.spec_time_mask))

    @property
    def sensor_augmented(self) -> bool:
        return bool(
            self.sensor_rotation_deg or self.sensor_scale or self.sensor_jitter or self.sensor_shift
        )

    @property
    def series_augmented(self) -> bool:
        return bool(self.series_slice or self.series_warp or self.series_roll)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
