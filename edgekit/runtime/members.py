"""Run a bundle's members on a batch of features: logits summed, connections passed in order.

This is the exact computation every policy of the progressive runtime builds on: member k gets
the features and (if connected) member ``connected_from``'s activation; its float logits are
added to the running sum. Activations stay in the file's encoding between members (int8 codes
of an int8 bundle): the consumer converts them with a precomputed table, or not at all when the
encodings agree, which keeps the per-member Python work small next to a 5-10 us invoke.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgekit.runtime.backends import Session, open_session, pick_backend
from edgekit.runtime.bundle import Bundle
from edgekit.runtime.manifest import MemberEntry, TensorSpec
from edgekit.runtime.quant import (
    apply_table,
    dequantize_table,
    requantize_table,
    same_encoding,
    to_file_dtype,
    to_float,
    translation,
)

# features in each (dtype, scale, zero point) already converted during one prediction
QuantizedCache = dict[tuple[str, float, int], np.ndarray]


@dataclass(frozen=True)
class _MemberIO:
    """A member's tensors by role, and how a connected source's activation reaches it."""

    features: TensorSpec
    connection: TensorSpec | None
    logits: TensorSpec
    activation: TensorSpec | None
    connected_from: int | None
    source: TensorSpec | None  # the source member's activation output
    table: np.ndarray | None  # 8-bit source code -> 8-bit connection code
    translated: bytes | None  # the same table for bytes.translate
    passthrough: bool  # the source's encoding is the connection's: no conversion at all
    features_key: tuple[str, float, int]  # (dtype, scale, zero point): the QuantizedCache key
    connection_first: bool  # the file lists the connection input before the features
    logits_at: int  # position of the logits among the file's outputs (manifest order)
    activation_at: int | None
    logits_table: np.ndarray | None  # 8-bit logits: code -> float32 in one look-up

    @classmethod
    def of(cls, entry: MemberEntry, members: tuple[MemberEntry, ...]) -> _MemberIO:
        features, logits = entry.input("features"), entry.output("logits")
        assert features is not None and logits is not None  # the manifest parser checks
        connection, source, table, passthrough = entry.input("connection"), None, None, False
        if connection is not None and entry.connected_from is not None:
            source = members[entry.connected_from - 1].output("activation")
            assert source is not None  # the manifest parser checks connections
            passthrough = same_encoding(source, connection)
            table = None if passthrough else requantize_table(source, connection)
        q = features.quantization
        roles = [t.role for t in entry.outputs]
        return cls(
            features,
            connection,
            logits,
            entry.output("activation"),
            entry.connected_from,
            source,
            table,
            None if table is None else translation(table),
            passthrough,
            (features.dtype, q.scale if q else 0.0, q.zero_point if q else 0),
            entry.inputs[0].role == "connection",
            roles.index("logits"),
            roles.index("activation") if "activation" in roles else None,
            dequantize_table(logits),
        )

    def connection_input(self, activation: np.ndarray) -> np.ndarray:
        """The source's activation (in its file encoding) in this member's connection encoding."""
        assert self.connection is not None and self.source is not None
        if self.table is not None:
            return apply_table(self.table, activation, self.translated)
        if self.passthrough:
            return activation
        return to_file_dtype(to_float(activation, self.source), self.connection)


class MemberRunner:
    """Loaded sessions for every member of a bundle."""

    def __init__(self, bundle: Bundle, backend: str = "auto") -> None:
        self.bundle = bundle
        self.manifest = bundle.manifest
        self.backend = pick_backend(self.manifest.members[0].format, backend)
        self.sessions: list[Session] = [
            open_session(m, bundle.member_bytes(m), self.backend) for m in self.manifest.members
        ]
        self._io = [_MemberIO.of(m, self.manifest.members) for m in self.manifest.members]

    def run_member(
        self,
        index: int,
        features: np.ndarray,
        activations: dict[int, np.ndarray],
        quantized: QuantizedCache | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Member ``index`` (1-based) on float features [B, ...]: (float logits, activation).

        ``activations`` maps earlier members to their activation outputs as returned here (in
        the file's encoding: int8 codes for an int8 bundle; see :meth:`activation_float`).
        ``quantized`` caches the features in each (dtype, scale, zero point) across the members
        of one prediction: int8 members usually share the input quantisation.
        """
        io = self._io[index - 1]
        if quantized is None:
            feats = to_file_dtype(features, io.features)
        else:
            key = io.features_key
            feats = quantized.get(key)  # type: ignore[assignment]
            if feats is None:
                feats = quantized[key] = to_file_dtype(features, io.features)
        if io.connection is None:
            values = [feats]
        else:
            assert io.connected_from is not None
            connection = activations[io.connected_from]
            if not io.passthrough:  # an export pins the scales equal: the bytes pass as they are
                connection = io.connection_input(connection)
            values = [connection, feats] if io.connection_first else [feats, connection]
        out = self.sessions[index - 1].run_list(values)
        act = None if io.activation_at is None else out[io.activation_at]
        logits = out[io.logits_at]
        if io.logits_table is not None:  # int8 logits: one look-up, exactly to_float's values
            # indexed by bit pattern: "wrap" maps int8 code c to c mod 256 (no uint8 view needed)
            return io.logits_table.take(logits, mode="wrap"), act
        return to_float(logits, io.logits), act

    def activation_float(self, index: int, activation: np.ndarray) -> np.ndarray:
        """Member ``index``'s activation output (as :meth:`run_member` returns it) in float32."""
        spec = self._io[index - 1].activation
        if spec is None:
            raise ValueError(f"member {index} has no activation output")
        return to_float(activation, spec)

    def member_logits(self, features: np.ndarray, members: int | None = None) -> list[np.ndarray]:
        """Each member's float logits [B, L] on normalised features [B, T, C], in order."""
        activations: dict[int, np.ndarray] = {}
        quantized: QuantizedCache = {}
        out = []
        for entry in self.manifest.members[: members or len(self.manifest.members)]:
            logits, act = self.run_member(entry.index, features, activations, quantized)
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
