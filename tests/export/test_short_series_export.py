"""Issue 14 item 9: a connected cnn1d member on short multichannel series (29 steps x 12
channels, JapaneseVowels' shape) exported to TFLite int8 runs the same under TFLM as under
LiteRT's reference kernels. Its last block leaves one step; averaging that step became an int8
SUM that TFLM computed 33-209 logit steps away from the reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("litert_torch", reason="the TFLite exporter (pip install -e '.[export]')")
pytest.importorskip("tflite_micro", reason="TFLM (pip install -e '.[export]')")

from edgekit.export.tflite import export_tflite
from edgekit.export.wrap import exportable
from edgekit.models import build_model

SUM = 74  # tflite BuiltinOperator


def _members(x: np.ndarray) -> tuple[torch.nn.Module, np.ndarray]:
    torch.manual_seed(0)
    first = build_model("cnn1d-8", x.shape[1:], 9)
    second = build_model("cnn1d-16", x.shape[1:], 9, connection_shape=first.activation_shape)
    with torch.no_grad():  # a few train-mode passes give BatchNorm real statistics
        for _ in range(5):
            second(torch.as_tensor(x), first(torch.as_tensor(x)).activation)
    first.eval()
    second.eval()
    with torch.no_grad():
        act = first(torch.as_tensor(x)).activation.numpy()
    return exportable(second, True, False), act


def test_connected_member_on_29_steps_matches_tflm_to_one_step() -> None:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    from ai_edge_litert.tools import flatbuffer_utils
    from tflite_micro.python.tflite_micro import runtime

    x = np.random.default_rng(0).standard_normal((64, 29, 12)).astype(np.float32)
    module, act = _members(x)
    samples = (torch.as_tensor(x[:2]), torch.as_tensor(act[:2]))
    data = export_tflite(module, samples, ["features", "connection"], ["logits"], [x, act]).data
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(data))
    graph = model.subgraphs[0]
    codes = [model.operatorCodes[o.opcodeIndex].builtinCode for o in graph.operators]
    assert SUM not in codes
    ref = Interpreter(model_content=data, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    ref.allocate_tensors()
    by_shape = {tuple(d["shape"].tolist()): d for d in ref.get_input_details()}
    out = ref.get_output_details()[0]
    tflm = runtime.Interpreter.from_bytes(data, arena_size=1 << 20)
    worst = 0
    for i in range(16):
        feed = {}
        for a in (x[i : i + 1], act[i : i + 1]):
            scale, zero = by_shape[a.shape]["quantization"]
            feed[a.shape] = np.clip(np.round(a / scale) + zero, -128, 127).astype(np.int8)
            ref.set_tensor(by_shape[a.shape]["index"], feed[a.shape])
        ref.invoke()
        for j, t in enumerate(graph.inputs):
            tflm.set_input(feed[tuple(graph.tensors[t].shape)], j)
        tflm.invoke()
        got = np.array(tflm.get_output(0)).astype(int)
        worst = max(worst, int(np.abs(got - ref.get_tensor(out["index"]).astype(int)).max()))
    assert worst <= 1


def test_one_step_map_is_read_as_is_and_longer_maps_are_averaged() -> None:
    model = build_model("cnn1d-8", (29, 12), 9).eval()
    x = torch.randn(3, 29, 12)
    with torch.no_grad():
        h = model.blocks[0](x.transpose(1, 2))
        for block in model.blocks[1:]:
            h = block(h)
        assert h.shape[2] == 1
        assert torch.allclose(model(x).logits, model.head(h.mean(dim=2)))
