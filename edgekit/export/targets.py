"""One member module -> one model file, per target and precision."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from edgekit.export.built import BuiltMember
from edgekit.runtime.manifest import Quantization

CALIB_BATCH = 32


def calib_batch_size(n: int) -> int:
    """The largest batch <= CALIB_BATCH that divides ``n``: onnxruntime's calibrator stacks the
    batches' outputs into one array and fails on a short last batch, and no sample is dropped."""
    return next(b for b in range(min(CALIB_BATCH, max(n, 1)), 0, -1) if n % b == 0)


def build_member(
    target: str,
    module: nn.Module,
    samples: tuple[torch.Tensor, ...],
    inputs: list[str],
    outputs: list[str],
    calibration: list[np.ndarray] | None,
    pins: dict[str, Quantization] | None = None,
) -> BuiltMember:
    """Export ``module``; with ``calibration`` (arrays in input order), quantise it to int8.

    ``pins``: input role -> int8 quantization that input must have (TFLite int8; ONNX int8
    members take and return float at their boundaries, so there is nothing to pin)."""
    if target == "onnx":
        from edgekit.export.onnx import export_onnx, quantize_onnx

        data = export_onnx(module, samples, inputs, outputs)
        if calibration is not None:
            n = len(calibration[0])
            size = calib_batch_size(n)
            batches = [
                {name: a[i : i + size] for name, a in zip(inputs, calibration, strict=True)}
                for i in range(0, n, size)
            ]
            data = quantize_onnx(data, batches)
        return BuiltMember(data, None)
    from edgekit.export.tflite import export_tflite

    return export_tflite(module, samples, inputs, outputs, calibration, pins)
