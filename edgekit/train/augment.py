"""Speech augmentation on raw audio, then the torch front end: random time shift and background
noise from the dataset's own noise clips (as in the Speech Commands training recipe), then
SpecAugment masks (Park et al. 2019) on the log-mel features, with torchaudio's own masking."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from edgekit.config import TrainConfig
from edgekit.data.dataset import Dataset, Normalization, Split
from edgekit.errors import EdgekitError

if TYPE_CHECKING:
    from edgekit.train.sensor_augment import SensorAugmenter
    from edgekit.train.trainer import FeatureFn
from edgekit.features.params import FrontEndParams
from edgekit.features.torch_frontend import LogMel


class SpeechAugmenter(torch.nn.Module):
    """``augmenter(audio int16 [B, S], generator) -> normalised features [B, T, C]``."""

    noise: Tensor
    mean: Tensor
    std: Tensor

    def __init__(
        self,
        frontend: FrontEndParams,
        normalization: Normalization,
        noise_clips: list[Tensor],
        time_shift_ms: float,
        noise_prob: float,
        noise_max_volume: float,
        freq_mask: int = 0,
        time_mask: int = 0,
        masks: int = 2,
    ) -> None:
        super().__init__()
        self.logmel = LogMel(frontend, dtype=torch.float32)
        self.clip = frontend.clip_samples
        self.max_shift = int(frontend.sample_rate * time_shift_ms / 1000)
        long_enough = [c for c in noise_clips if len(c) >= self.clip]
        self.register_buffer("noise", torch.cat(long_enough) if long_enough else torch.zeros(0))
        self.noise_prob = noise_prob if long_enough else 0.0
        self.noise_max_volume = noise_max_volume
        self.freq_mask, self.time_mask, self.masks = freq_mask, time_mask, masks
        self.register_buffer("mean", torch.as_tensor(normalization.mean))
        self.register_buffer("std", torch.as_tensor(normalization.std))

    def forward(self, audio: Tensor, generator: torch.Generator) -> Tensor:
        batch = audio.shape[0]
        wave = audio.float() / 32768.0
        if self.max_shift:
            shifts = torch.randint(
                -self.max_shift, self.max_shift + 1, (batch,), generator=generator
            )
            index = torch.arange(self.clip)[None, :] - shifts[:, None]
            valid = (index >= 0) & (index < self.clip)
            wave = torch.where(
                valid.to(wave.device),
                wave.gather(1, index.clamp(0, self.clip - 1).to(wave.device)),
                0.0,
            )
        if self.noise_prob > 0:
            starts = torch.randint(
                0, len(self.noise) - self.clip + 1, (batch,), generator=generator
            )
            segments = self.noise[
                starts[:, None].to(self.noise.device)
                + torch.arange(self.clip, device=self.noise.device)
            ]
            volume = torch.rand(batch, generator=generator) * self.noise_max_volume
            use = (torch.rand(batch, generator=generator) < self.noise_prob).float()
            wave = (wave + (volume * use).to(wave.device)[:, None] * segments).clamp(-1.0, 1.0)
        feats = self.logmel(wave)
        out: Tensor = (feats - self.mean) / self.std
        return spec_augment(out, generator, self.freq_mask, self.time_mask, self.masks)


def spec_augment(
    feats: Tensor, generator: torch.Generator, freq_mask: int, time_mask: int, masks: int
) -> Tensor:
    """Zero (the training mean, after normalisation) ``masks`` random bands of up to
    ``freq_mask`` mel channels and spans of up to ``time_mask`` frames, per example.

    torchaudio draws from torch's global generator; a seed drawn from ``generator`` seeds a
    forked one, so the masks are as reproducible as the rest of the batch.
    """
    if not (freq_mask or time_mask) or masks <= 0:
        return feats
    import torchaudio.functional as F

    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    devices = [feats.device.index or 0] if feats.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        spec = feats.transpose(1, 2).unsqueeze(1)  # [B, 1, mels, frames]: torchaudio's layout
        for _ in range(masks):
            if freq_mask:
                spec = F.mask_along_axis_iid(spec, freq_mask, 0.0, axis=2)
            if time_mask:
                spec = F.mask_along_axis_iid(spec, time_mask, 0.0, axis=3)
    out: Tensor = spec.squeeze(1).transpose(1, 2)
    return out


def speech_augmenter(data: Dataset, config: TrainConfig, device: torch.device) -> FeatureFn | None:
    """The teacher's on-the-fly augmentation of the training split (see feature_augmenter)."""
    return feature_augmenter(data.train, data, config, device)


def _waveform_augmenter(
    split: Split, data: Dataset, config: TrainConfig, device: torch.device
) -> FeatureFn:
    """Time shift + background noise on the clip, the front end, then SpecAugment masks."""
    if split.audio is None or data.frontend is None or data.normalization is None:
        raise EdgekitError(f"{data.task}: augment=true needs speech data with waveforms")
    from edgekit.data.speech_commands import load_background_noise

    noise = [torch.from_numpy(v) for v in load_background_noise(Path(data.source)).values()]
    augmenter = SpeechAugmenter(
        data.frontend,
        data.normalization,
        noise,
        config.time_shift_ms,
        config.noise_prob,
        config.noise_max_volume,
        config.spec_freq_mask,
        config.spec_time_mask,
        config.spec_masks,
    ).to(device)
    audio = torch.from_numpy(split.audio)

    def features(idx: Tensor, gen: torch.Generator) -> Tensor:
        with torch.no_grad():
            out: Tensor = augmenter(audio[idx].to(device), gen)
        return out

    return features


def feature_augmenter(
    split: Split, data: Dataset, config: TrainConfig, device: torch.device
) -> FeatureFn | None:
    """``features(indices into split, generator) -> augmented inputs`` as ``config`` asks, or None.

    Speech: ``augment`` (waveform shift + noise, needs the split's audio) and/or SpecAugment
    masks on the features. Sensors: rotations (DSA-19's units), gain, jitter, time shift. Any
    series: window slicing and warping in time (before the sensor transforms).
    """
    from edgekit.train.series_augment import SeriesAugment, series_augment

    base: FeatureFn | None = None
    if config.augment:
        base = _waveform_augmenter(split, data, config, device)
    sensor = sensor_augmenter(data.task, data.normalization, config, device)
    series = None
    if config.series_augmented:
        series = SeriesAugment(
            config.series_slice,
            config.series_warp,
            config.series_share,
            config.series_interp,
            config.series_roll,
        )
    masks = not config.augment and config.spec_augmented  # else the waveform path masks
    if base is None and sensor is None and not masks and series is None:
        return None
    x_all = torch.from_numpy(split.x)

    def features(idx: Tensor, gen: torch.Generator) -> Tensor:
        with torch.no_grad():
            x = base(idx, gen) if base is not None else x_all[idx].to(device)
            if masks:
                x = spec_augment(
                    x, gen, config.spec_freq_mask, config.spec_time_mask, config.spec_masks
                )
            if series is not None:
                x = series_augment(x, series, gen)
            if sensor is not None:
                x = sensor(x, gen)
        return x

    return features


def sensor_augmenter(
    task: str, normalization: Normalization | None, config: TrainConfig, device: torch.device
) -> SensorAugmenter | None:
    """``config``'s sensor transforms (rotations of DSA-19's units, gain, jitter, time shift) for
    ``task``'s inputs normalised by ``normalization``, or None where it asks for none."""
    from edgekit.train.sensor_augment import SensorAugment, SensorAugmenter, dsa19_units

    if not config.sensor_augmented:
        return None
    settings = SensorAugment(
        config.sensor_rotation_deg, config.sensor_scale, config.sensor_jitter, config.sensor_shift
    )
    if settings.rotation_deg and task != "dsa19":
        raise EdgekitError(
            f"{task}: sensor_rotation_deg needs the sensors' 3-axis layout, known for "
            "dsa19 only; use sensor_scale / sensor_jitter / sensor_shift"
        )
    units = dsa19_units() if settings.rotation_deg else None
    return SensorAugmenter(settings, normalization, units).to(device)
