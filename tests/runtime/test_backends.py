"""Backend sessions: the hot path binds the interpreter's own calls, or the public ones."""

from __future__ import annotations

from typing import Any

from edgekit.runtime.backends import _interpreter_calls


class Public:
    def set_tensor(self, index: int, value: Any) -> None: ...
    def invoke(self) -> None: ...
    def get_tensor(self, index: int) -> Any: ...


class Raw:
    def SetTensor(self, index: int, value: Any) -> None: ...
    def Invoke(self) -> None: ...
    def GetTensor(self, index: int) -> Any: ...


def test_binds_the_cpp_calls_when_the_wrapper_has_them() -> None:
    wrapped = Public()
    wrapped._interpreter = raw = Raw()  # type: ignore[attr-defined]
    assert _interpreter_calls(wrapped) == (raw.SetTensor, raw.Invoke, raw.GetTensor)


def test_falls_back_to_the_public_methods() -> None:
    it = Public()
    assert _interpreter_calls(it) == (it.set_tensor, it.invoke, it.get_tensor)
    it._interpreter = object()  # type: ignore[attr-defined]  # something else: no SetTensor
    assert _interpreter_calls(it) == (it.set_tensor, it.invoke, it.get_tensor)
