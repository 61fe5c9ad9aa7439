"""Run a bundle's members on a batch of features: logits summed, connections passed in order.

This is the exact computation every policy of the progressive runtime builds on: member k gets
the features and (if connected) member ``connected_from``'s float activation; its float logits
are added to the running sum.
"""

from __future__ import annotations

import numpy as np

from edgekit.runtime.backends import Session, open_session, pick_backend
from edgekit.runtime.bundle import Bundle
from edgekit.runtime.manifest import MemberEntry
from edgekit.runtime.quant import to_file_dtype, to_float


class MemberRunner:
    """Loaded sessions for every member of a bundle."""

    def __init__(self, bundle: Bundle, backend: str = "auto") -> None:
        self.bundle = bundle
        self.manifest = bundle.manifest
        self.backend = pick_backend(self.manifest.members[0].format, backend)
        self.sessions: list[Session] = [
            open_session(m, bundle.member_bytes(m), self.backend) for m in self.manifest.members
        ]

    def run_member(
        self, index: int, features: np.ndarray, activations: dict[int, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Member ``index`` (1-based) on float features [B, ...]: (float logits, float activation)."""
        entry: MemberEntry = self.manifest.members[index - 1]
        feats = entry.input("features")
        assert feats is not None
        inputs = {feats.name: to_file_dtype(features, feats)}
        conn = entry.input("connection")
        if conn is not None:
            assert entry.connected_from is not None
            inputs[conn.name] = to_file_dtype(activations[entry.connected_from], conn)
        out = self.sessions[index - 1].run(inputs)
        logits_spec = entry.output("logits")
        assert logits_spec is not None
        act_spec = entry.output("activation")
        act = to_float(out[act_spec.name], act_spec) if act_spec is not None else None
        return to_float(out[logits_spec.name], logits_spec), act

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
