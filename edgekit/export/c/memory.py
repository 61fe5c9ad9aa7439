"""Working memory planned like TFLite Micro's greedy planner: each buffer gets the lowest
offset that overlaps no buffer alive at the same time, largest first."""

from __future__ import annotations

from edgekit.export.c.tables import COp, CTensor


def align8(n: int) -> int:
    return (n + 7) // 8 * 8


def plan_memory(buffers: dict[int, tuple[int, int, int]]) -> tuple[dict[int, int], int]:
    """Offsets for buffers ``key -> (bytes, first use, last use)``: largest first, each at the
    lowest offset that overlaps no buffer alive at the same time (TFLM's greedy planner).
    Returns the offsets and the bytes needed in all."""
    offsets: dict[int, int] = {}
    placed: list[tuple[int, int, int, int]] = []  # (offset, end, first, last)
    for key in sorted(buffers, key=lambda k: -buffers[k][0]):
        size, first, last = buffers[key]
        offset = 0
        for off, end, f, lst in sorted(placed):
            if lst < first or f > last:
                continue  # never alive together
            if offset + size <= off:
                break
            offset = max(offset, end)
        offsets[key] = offset
        placed.append((offset, offset + size, first, last))
    return offsets, max((end for _, end, _, _ in placed), default=0)


def lifetimes(
    tensors: list[CTensor], ops: list[COp], roles: dict[str, int]
) -> dict[int, list[int]]:
    """[first op touching, last op touching] of every intermediate; graph inputs live from -1,
    graph outputs to the end."""
    life: dict[int, list[int]] = {}
    for k, op in enumerate(ops):
        for i in (*op.inputs, op.output):
            if i >= 0 and tensors[i].data is None:
                life.setdefault(i, [k, k])[1] = k
    for role in ("features", "connection"):
        if role in roles:
            life.setdefault(roles[role], [0, 0])[0] = -1
    for role in ("logits", "activation"):
        if role in roles:
            life.setdefault(roles[role], [len(ops), len(ops)])[1] = len(ops)
    return life


def place_tensors(tensors: list[CTensor], life: dict[int, list[int]]) -> int:
    """Set each intermediate's offset; returns the member's working memory in bytes."""
    offsets, work = plan_memory(
        {i: (align8(tensors[i].nbytes), first, last) for i, (first, last) in life.items()}
    )
    for i, offset in offsets.items():
        tensors[i].offset = offset
    return work
