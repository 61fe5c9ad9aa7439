"""Backends that execute one member file: onnxruntime, ai-edge-litert, tflite-runtime, TFLM.

Each gives a :class:`Session` whose ``run(inputs) -> outputs`` maps tensor names (the manifest's)
to numpy arrays with a leading batch axis, in the file's own dtypes. Quantising floats into an
int8 member and back is the runner's job (it has the manifest's scales); a backend only invokes.
Imports are lazy so that ``import edgekit.runtime`` needs numpy alone.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from edgekit.errors import BundleError, EdgekitError
from edgekit.native_logs import quiet_stderr
from edgekit.runtime.manifest import MemberEntry

ONNX_BACKENDS = ("onnxruntime",)
TFLITE_BACKENDS = ("litert", "tflite-runtime", "tflm", "litert-ref")
BACKENDS = ONNX_BACKENDS + TFLITE_BACKENDS
_MODULES = {
    "onnxruntime": "onnxruntime",
    "litert": "ai_edge_litert",
    "tflite-runtime": "tflite_runtime",
    "tflm": "tflite_micro",
    "litert-ref": "ai_edge_litert",
}
_INSTALL = {
    "onnxruntime": "pip install onnxruntime",
    "litert": "pip install ai-edge-litert",
    "tflite-runtime": "pip install tflite-runtime 'numpy<2'",
    "tflm": "pip install tflite-micro",
    "litert-ref": "pip install ai-edge-litert",
}


class Session(Protocol):
    """One loaded member: ``run({name: array [B, ...]}) -> {name: array [B, ...]}``.

    ``run_list`` is the same call on the hot path: input arrays in the manifest's input order,
    output arrays in its output order, no dictionaries built.
    """

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...

    def run_list(self, values: list[np.ndarray]) -> list[np.ndarray]: ...


class ByName:
    """``run`` (arrays by tensor name) for a session that implements ``run_list``."""

    input_names: list[str]
    output_names: list[str]

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        values = self.run_list([inputs[n] for n in self.input_names])
        return dict(zip(self.output_names, values, strict=True))

    def run_list(self, values: list[np.ndarray]) -> list[np.ndarray]:
        raise NotImplementedError


def available(name: str) -> bool:
    return importlib.util.find_spec(_MODULES[name]) is not None


def pick_backend(file_format: str, requested: str = "auto") -> str:
    """The backend to use for ``file_format``; a clear error listing what to install if none."""
    choices = ONNX_BACKENDS if file_format == "onnx" else TFLITE_BACKENDS
    if requested != "auto":
        if requested not in BACKENDS:
            raise EdgekitError(
                f"unknown backend {requested!r}: choose auto or one of {', '.join(BACKENDS)}"
            )
        if requested not in choices:
            raise EdgekitError(
                f"backend {requested!r} cannot run {file_format} members; use one of "
                f"{', '.join(choices)}"
            )
        if not available(requested):
            raise EdgekitError(f"backend {requested!r} is not installed: {_INSTALL[requested]}")
        return requested
    for name in choices[:2]:  # TFLM and reference kernels are opt-in: references, not fast
        if available(name):
            return name
    options = " or ".join(f"`{_INSTALL[n]}`" for n in choices[:2])
    raise EdgekitError(f"no backend installed for {file_format} members: {options}")


def _check_shapes(entry: MemberEntry, found: dict[str, tuple[int, ...]], backend: str) -> None:
    """The file's per-sample tensor shapes must be the manifest's."""
    for t in (*entry.inputs, *entry.outputs):
        if t.name not in found:
            raise BundleError(
                f"member {entry.index} ({entry.file}): the {backend} model has no tensor "
                f"{t.name!r} (it has {', '.join(sorted(found))})"
            )
        if found[t.name] != t.shape:
            raise BundleError(
                f"member {entry.index} ({entry.file}): tensor {t.name!r} has shape "
                f"{list(found[t.name])} in the file but {list(t.shape)} in the manifest"
            )


class OnnxSession(ByName):
    """onnxruntime session; ``session.run`` is thread-safe and takes any batch size."""

    def __init__(self, entry: MemberEntry, data: bytes, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # tiny members: threading costs more than it buys
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own Fail / InvalidGraph types
            raise BundleError(
                f"member {entry.index} ({entry.file}): onnxruntime cannot load it ({e})"
            ) from None
        found = {
            t.name: tuple(int(d) for d in t.shape[1:])
            for t in (*self.session.get_inputs(), *self.session.get_outputs())
        }
        _check_shapes(entry, found, "onnx")
        self.input_names = [t.name for t in entry.inputs]
        self.output_names = [t.name for t in entry.outputs]

    def run_list(self, values: list[np.ndarray]) -> list[np.ndarray]:
        outs: list[np.ndarray] = self.session.run(
            self.output_names, dict(zip(self.input_names, values, strict=True))
        )
        return outs


class _TfliteSession(ByName):
    """A TFLite interpreter (LiteRT or tflite-runtime): batch 1 files, one invoke per sample.

    An interpreter is not thread-safe, so each session serialises its invokes with a lock.
    """

    def __init__(self, entry: MemberEntry, interpreter: Any, backend: str) -> None:
        self.it = interpreter
        self.it.allocate_tensors()
        self.lock = threading.Lock()
        by_name = {
            d["name"]: d for d in (*self.it.get_input_details(), *self.it.get_output_details())
        }
        details = {t.name: _find_detail(by_name, t.name) for t in (*entry.inputs, *entry.outputs)}
        self.index = {name: d["index"] for name, d in details.items()}
        found = {name: tuple(int(n) for n in d["shape"][1:]) for name, d in details.items()}
        _check_shapes(entry, found, backend)
        self.input_names = [t.name for t in entry.inputs]
        self.output_names = [t.name for t in entry.outputs]
        self._in_index = [self.index[n] for n in self.input_names]
        self._out_index = [self.index[n] for n in self.output_names]
        self._set, self._invoke, self._get = _interpreter_calls(self.it)

    def _one(self, values: list[np.ndarray]) -> list[np.ndarray]:
        for index, value in zip(self._in_index, values, strict=True):
            self._set(index, value)
        self._invoke()
        return [self._get(index) for index in self._out_index]

    def run_list(self, values: list[np.ndarray]) -> list[np.ndarray]:
        with self.lock:
            if values[0].shape[0] != 1 or len(values) != len(self._in_index):
                return _per_sample(values, self._one)  # (a wrong count fails in there, clearly)
            # batch 1, the common case: straight through, unrolled for members' one or two inputs
            # and outputs (no zip, no comprehension: ~0.5 us a member less)
            set_tensor, get_tensor, ins, outs = (
                self._set,
                self._get,
                self._in_index,
                self._out_index,
            )
            set_tensor(ins[0], values[0])
            if len(ins) == 2:
                set_tensor(ins[1], values[1])
            elif len(ins) > 2:
                for index, value in zip(ins[2:], values[2:], strict=True):
                    set_tensor(index, value)
            self._invoke()
            if len(outs) == 1:
                return [get_tensor(outs[0])]
            if len(outs) == 2:
                return [get_tensor(outs[0]), get_tensor(outs[1])]
            return [get_tensor(index) for index in outs]


def _interpreter_calls(it: Any) -> tuple[Any, Any, Any]:
    """(set_tensor, invoke, get_tensor), bound once for the hot path.

    LiteRT and tflite-runtime wrap a C++ interpreter (``it._interpreter``) whose SetTensor,
    Invoke and GetTensor the public methods call after Python-level checks; ``invoke()``'s
    check guards numpy views from ``tensor()``, which this runtime never takes, so the C++
    calls are bound directly (about 1 us less per member). Anything else: the public methods.
    """
    raw = getattr(it, "_interpreter", None)
    calls = tuple(getattr(raw, name, None) for name in ("SetTensor", "Invoke", "GetTensor"))
    if all(callable(c) for c in calls):
        return calls  # type: ignore[return-value]
    return it.set_tensor, it.invoke, it.get_tensor


def _per_sample(
    values: list[np.ndarray], invoke_one: Callable[[list[np.ndarray]], list[np.ndarray]]
) -> list[np.ndarray]:
    """Run a batch-1 interpreter over a batch, one sample at a time, outputs stacked."""
    rows = [invoke_one([a[b : b + 1] for a in values]) for b in range(values[0].shape[0])]
    return [np.concatenate(column) for column in zip(*rows, strict=True)]


def _find_detail(by_name: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    """A tensor detail by the manifest's name; TFLite may decorate names (``serving_default_x:0``)."""
    if name in by_name:
        return by_name[name]
    hits = [d for n, d in by_name.items() if n.split(":")[0].endswith(name)]
    if len(hits) == 1:
        return hits[0]
    raise BundleError(f"tensor {name!r} not found in the tflite file (has {', '.join(by_name)})")


def _litert(entry: MemberEntry, data: bytes) -> Session:
    from ai_edge_litert.interpreter import Interpreter

    with quiet_stderr():  # "Created TensorFlow Lite XNNPACK delegate": shown with -v only
        return _TfliteSession(entry, Interpreter(model_content=data, num_threads=1), "litert")


def _litert_reference(entry: MemberEntry, data: bytes) -> Session:
    """LiteRT with its reference kernels (no XNNPACK): the closest host match to TFLM."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=data, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    return _TfliteSession(entry, it, "litert-ref")


def _tflite_runtime(entry: MemberEntry, data: bytes) -> Session:
    from tflite_runtime.interpreter import Interpreter

    with quiet_stderr():  # "Created TensorFlow Lite XNNPACK delegate": shown with -v only
        session = Interpreter(model_content=data, num_threads=1)
        return _TfliteSession(entry, session, "tflite-runtime")


class TflmSession(ByName):
    """The TensorFlow Lite Micro reference interpreter (tflite-micro's Python wrapper)."""

    def __init__(self, entry: MemberEntry, data: bytes, arena_bytes: int = 4 << 20) -> None:
        from tflite_micro.python.tflite_micro import runtime

        try:
            self.it = runtime.Interpreter.from_bytes(data, arena_size=arena_bytes)
        except Exception as e:  # TFLM raises RuntimeError for unsupported ops
            raise BundleError(
                f"member {entry.index} ({entry.file}): TFLM cannot load it ({e})"
            ) from None
        self.lock = threading.Lock()
        self.input_names = [t.name for t in entry.inputs]
        self.output_names = [t.name for t in entry.outputs]

    def _one(self, values: list[np.ndarray]) -> list[np.ndarray]:
        for i, value in enumerate(values):
            self.it.set_input(value, i)
        self.it.invoke()
        return [np.array(self.it.get_output(i)) for i in range(len(self.output_names))]

    def run_list(self, values: list[np.ndarray]) -> list[np.ndarray]:
        with self.lock:
            return _per_sample(values, self._one)


_FACTORIES: dict[str, Callable[[MemberEntry, bytes], Session]] = {
    "onnxruntime": OnnxSession,
    "litert": _litert,
    "tflite-runtime": _tflite_runtime,
    "tflm": TflmSession,
    "litert-ref": _litert_reference,
}


def open_session(entry: MemberEntry, data: bytes, backend: str = "auto") -> Session:
    """Load one member file with ``backend`` (``auto``: the first installed one for its format)."""
    return _FACTORIES[pick_backend(entry.format, backend)](entry, data)
