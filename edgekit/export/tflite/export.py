"""TFLite members through litert-torch: float, and int8 by PT2E static quantization.

- BatchNorm is folded into its conv first: litert-torch lowers Conv1d through reshapes to
  CONV_2D and would otherwise leave BatchNorm as separate MUL/ADD ops.
- int8 is PT2E (symmetric, per-channel weights, static int8 activations, calibrated one sample at
  a time because the exported graph has batch 1): every tensor in the graph is int8 (int32
  biases), including inputs and outputs, whose scale / zero point go into the manifest. We tried
  ai-edge-quantizer's static recipe as well: it was less accurate on our members and, when a
  member's activation is both an output and an input of a later op, its signature pointed at an
  intermediate tensor (wrong outputs through the signature runner).
- A connected int8 member's connection input is pinned to its source's activation quantization
  (pinned.py), so the int8 bytes pass between members unchanged; if a converter ever left them
  different, the manifest would say so and the runtimes would requantise (correct, slower).
- Files run at batch 1: that is what microcontrollers run, and TFLM has no dynamic shapes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from edgekit.export.built import BuiltMember
from edgekit.export.quiet import quiet_exporter
from edgekit.export.wrap import fold_batchnorm
from edgekit.runtime.manifest import Quantization


def _convert(
    module: nn.Module, samples: tuple[torch.Tensor, ...], quant_config: object = None
) -> bytes:
    import litert_torch

    litert_torch.config.show_progress = False
    with quiet_exporter(), tempfile.TemporaryDirectory() as tmp:
        model = litert_torch.convert(module, samples, quant_config=quant_config)
        path = Path(tmp) / "member.tflite"
        model.export(str(path))
        return path.read_bytes()


def strip_internal_names(data: bytes) -> bytes:
    """Drop the names of internal tensors (litert-torch writes each one's full module path,
    which was most of a small member's file); input/output names and signatures stay."""
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(data))
    model.description = None
    for graph in model.subgraphs:
        keep = set(graph.inputs) | set(graph.outputs)
        for i, tensor in enumerate(graph.tensors):
            if i not in keep:
                tensor.name = None
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _pt2e_int8(
    module: nn.Module,
    samples: tuple[torch.Tensor, ...],
    calibration: list[np.ndarray],
    pins: dict[int, Quantization],
) -> bytes:
    """``pins``: graph input position -> the int8 quantization it must have (see pinned.py)."""
    from litert_torch.quantize import pt2e_quantizer
    from litert_torch.quantize.quant_config import QuantConfig
    from torchao.quantization.pt2e import move_exported_model_to_eval, quantize_pt2e

    from edgekit.export.tflite.pinned import PinnedInputsQuantizer

    with quiet_exporter():
        graph = torch.export.export(module, samples).module()
        quantizer = PinnedInputsQuantizer(pins).set_global(
            pt2e_quantizer.get_symmetric_quantization_config(is_per_channel=True, is_dynamic=False)
        )
        prepared = quantize_pt2e.prepare_pt2e(graph, quantizer)
        with torch.no_grad():
            for i in range(len(calibration[0])):
                prepared(*(torch.as_tensor(a[i : i + 1]) for a in calibration))
        converted = quantize_pt2e.convert_pt2e(prepared, fold_quantize=False)
        move_exported_model_to_eval(converted)
        converted.training = False  # litert-torch checks the flag, not the mode
    return _convert(converted, samples, QuantConfig(pt2e_quantizer=quantizer))


def _io(
    data: bytes, inputs: list[str], outputs: list[str]
) -> tuple[dict[str, dict[str, object]], dict[str, str]]:
    """Each tensor's dtype and quantization in the file, and the file's name for each role."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=data)
    ins, outs = it.get_input_details(), it.get_output_details()
    names: dict[str, str] = {}
    info: dict[str, dict[str, object]] = {}
    for role, details in ((inputs, ins), (outputs, outs)):
        for i, name in enumerate(role):
            detail = details[i]
            names[name] = str(detail["name"])
            dtype = np.dtype(detail["dtype"]).name
            scale, zero = detail["quantization"]
            info[name] = {"dtype": dtype}
            if dtype != "float32":
                info[name]["quantization"] = Quantization(float(scale), int(zero))
    return info, names


def export_tflite(
    module: nn.Module,
    samples: tuple[torch.Tensor, ...],
    inputs: list[str],
    outputs: list[str],
    calibration: list[np.ndarray] | None,
    pins: dict[str, Quantization] | None = None,
) -> BuiltMember:
    """``pins`` (int8 only): input role -> the quantization that input must have, e.g. the
    connection pinned to its source's activation output (a requantisation-free hand-over)."""
    folded = fold_batchnorm(module)
    one = tuple(s[:1] for s in samples)
    if calibration is None:
        data = _convert(folded, one)
    else:
        at = {inputs.index(role): q for role, q in (pins or {}).items()}
        data = _pt2e_int8(folded, one, calibration, at)
    data = strip_internal_names(data)
    info, names = _io(data, inputs, outputs)
    return BuiltMember(data, 1, info, names)
