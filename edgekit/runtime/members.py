"""Run a bundle's members on a batch of features: logits summed, connections passed in order.

This is the exact computation every policy of the progressive runtime builds on: member k gets
the features and (if connected) member ``connected_from``'s float activation; its float logits
are added to the running sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgekit.runtime.backends import Session, open_session, pick_backend
from edgekit.runtime.bundle import Bundle
from edgekit.runtime.manifest import MemberEntry, TensorSpec
from edgekit.runtime.quant import to_file_dtype, to_float


@dataclass(frozen=True)
class _MemberIO:
    """A member's tensors by role, looked up once."""

    features: TensorSpec
    connection: TensorSpec | None
    logits: TensorSpec
    activation: TensorSpec | None
    connected_from: int | None

    @property
    def features_key(self) -> tuple[str, float, int]:
        q = self.features.quantization
        return (self.features.dtype, q.scale if q else 0.0, q.zero_point if q else 0)

    @classmethod
    def of(cls, entry: MemberEntry) -> _MemberIO:
        features, logits = entry.input("features"), entry.output("logits")
        assert features is not None and logits is not None  # the manifest parser checks
        return cls(
            features,
            entry.input("connection"),
            logits,
            entry.output("activation"),
            entry.connected_from,
        )


class MemberRunner:
    """Loaded sessions for every member of a bundle."""

    def __init__(self, bundle: Bundle, backend: str = "auto") -> None:
        self.bundle = bundle
        self.manifest = bundle.manifest
        self.backend = pick_backend(self.manifest.members[0].format, backend)
        self.sessions: list[Session] = [
            open_session(m, bundle.member_bytes(m), self.backend) for m in self.manifest.members
        ]
        self._io = [_MemberIO.of(m) for m in self.manifest.members]

    def run_member(
        self,
        index: int,
        features: np.ndarray,
        activations: dict[int, np.ndarray],
        quantized: dict[tuple[str, float, int], np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Member ``index`` (1-based) on float features [B, ...]: (float logits, float activation).

        ``quantized`` caches the features in each (dtype, scale, zero point) across the members
        of one prediction: int8 members usually share the input quantisation.
        """
        io = self._io[index - 1]
        key = io.features_key
        if quantized is not None and key in quantized:
            feats = quantized[key]
        else:
            feats = to_file_dtype(features, io.features)
            if quantized is not None:
                quantized[key] = feats
        inputs = {io.features.name: feats}
        if io.connection is not None:
            assert io.connected_from is not None
            inputs[io.connection.name] = to_file_dtype(
                activations[io.connected_from], io.connection
            )
        out = self.sessions[index - 1].run(inputs)
        act = to_float(out[io.activation.name], io.activation) if io.activation else None
        return to_float(out[io.logits.name], io.logits), act

    def member_logits(self, features: np.ndarray, members: int | None = None) -> list[np.ndarray]:
        """Each member's float logits [B, L] on normalised features [B, T, C], in order."""
        activations: dict[int, np.ndarray] = {}
        out = []
        for entry in self.manifest.members[: members or len(self.manifest.members)]:
            logits, act = self.run_member(entry.index, features, activations)
            if act is not None:
                activations[entry.index] = act
            out.append(logits)
        return out


def prefix_accuracies(member_logits: list[np.ndarray], labels: np.ndarray) -> list[float]:
    """Accuracy of F_1, F_1 + f_2, ... on ``labels``."""
    total = np.zeros_like(member_logits[0])
    accs = []
    for logits in member_logits:
        total = total + logits
        accs.append(float((total.argmax(1) == labels).mean()))
    return accs
