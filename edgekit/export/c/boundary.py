"""The connection's int8 rescale folded into the member-boundary conversion.

A pinned bundle's member reads its connection at the manifest's scale and rescales it at once
(QUANTIZE int8 -> int8) to the scale its concatenation needs. The boundary conversion already
maps each of the 256 int8 source values through a table (ek_prepare builds it once); composing
the rescale into that table gives the same bytes as the two passes (both are functions of the
source value alone), so the rescale operator goes and the connection role names its output.
Applies only where the rescale is the connection's one reader; the C side composes it with the
rescale's own arithmetic (the table holds rescale(convert(q)) for each q, nothing re-derived).
"""

from __future__ import annotations

from dataclasses import dataclass

from edgekit.export.c.tables import COp, CTensor


@dataclass(frozen=True)
class ConnectionRescale:
    """The rescale folded away: its fixed-point multiplier and the connection's own
    quantisation (the boundary converts to this first, then rescales)."""

    mult: int
    shift: int
    scale: float
    zero_point: int


def fold_connection_rescale(
    ops: list[COp], ts: dict[int, CTensor], roles: dict[str, int]
) -> tuple[list[COp], dict[str, int], ConnectionRescale | None]:
    """``ops`` and ``roles`` with the connection's sole-reader int8 rescale folded, or as given."""
    conn = roles.get("connection", -1)
    if conn < 0 or ts[conn].dtype != "i8":
        return ops, roles, None
    readers = [k for k, op in enumerate(ops) if conn in op.inputs]
    others = {i for r, i in roles.items() if r != "connection"}
    if len(readers) != 1 or conn in others:
        return ops, roles, None
    op = ops[readers[0]]
    out = ts[op.output]
    if op.kind != "QUANTIZE" or out.dtype != "i8" or len(op.mult) != 1 or op.output in others:
        return ops, roles, None
    folded = ConnectionRescale(op.mult[0], op.shift[0], ts[conn].scale, ts[conn].zero_point)
    kept = [o for k, o in enumerate(ops) if k != readers[0]]
    return kept, {**roles, "connection": op.output}, folded
