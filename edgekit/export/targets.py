"""One member module -> one model file, per target and precision."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from edgekit.export.built import BuiltMember

CALIB_BATCH = 32


def build_member(
    target: str,
    module: nn.Module,
    samples: tuple[torch.Tensor, ...],
    inputs: list[str],
    outputs: list[str],
    calibration: list[np.ndarray] | None,
) -> BuiltMember:
    """Export ``module``; with ``calibration`` (arrays in input order), quantise it to int8."""
    if target == "onnx":
        from edgekit.export.onnx import export_onnx, quantize_onnx

        data = export_onnx(module, samples, inputs, outputs)
        if calibration is not None:
            n = len(calibration[0])
            batches = [
                {name: a[i : i + CALIB_BATCH] for name, a in zip(inputs, calibration, strict=True)}
                for i in range(0, n, CALIB_BATCH)
            ]
            data = quantize_onnx(data, batches)
        return BuiltMember(data, None)
    from edgekit.export.tflite import export_tflite

    return export_tflite(module, samples, inputs, outputs, calibration)
