"""``edgekit export --target c``: a run's members as C tables for firmware_stubs/.

The run is first exported to a TFLite bundle (float or int8, parity-checked like any bundle;
kept in ``OUT/bundle``), then each member file is translated into the operator list the C
runtime executes (:mod:`edgekit.export.c.graph`) and written as C
(:mod:`edgekit.export.c.codegen`): ``edgekit_model.h`` / ``edgekit_model.c`` and ``model.json``
with each member's flash and working memory and the arena the runtime needs. A TFLite bundle
directory may be given instead of a run: its files are translated as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

import edgekit
from edgekit.atomic import atomic_write_text
from edgekit.errors import EdgekitError
from edgekit.export.c import codegen
from edgekit.export.c.graph import RawMember, finish_member, read_member
from edgekit.export.c.links import link_layouts
from edgekit.export.c.memory import align8, plan_memory
from edgekit.export.c.tables import CGraph
from edgekit.runtime.bundle import Bundle, load_bundle
from edgekit.runtime.manifest import MemberEntry, TensorSpec


def _roles(entry: MemberEntry) -> dict[str, str]:
    specs: list[TensorSpec] = [*entry.inputs, *entry.outputs]
    return {t.role: t.name for t in specs}


def _check_quantization(entry: MemberEntry, graph: CGraph) -> None:
    """The C side converts at member boundaries with the file's quantisation, the Python runtime
    with the manifest's: they must be the same number."""
    for spec in (*entry.inputs, *entry.outputs):
        q = spec.quantization
        if q is None or spec.role not in graph.roles:
            continue
        t = graph.tensors[graph.roles[spec.role]]
        got = (np.float32(t.scale), t.zero_point)
        if spec.role == "connection" and graph.connection_rescale is not None:
            got = (np.float32(graph.connection_rescale[2]), graph.connection_rescale[3])
        if (np.float32(q.scale), q.zero_point) != got:
            raise EdgekitError(
                f"member {entry.index}: {spec.role} quantisation differs between file and manifest"
            )


def _int8_activation(raws: list[RawMember], j: int | None) -> bool:
    """Member j (0-based, None: no source) hands on an int8 activation."""
    if j is None or "activation" not in raws[j].roles:
        return False
    return raws[j].tensors[raws[j].roles["activation"]].dtype == "i8"


def _int8_connections(graphs: list[CGraph], sources: list[int | None]) -> int:
    """Members whose connection is int8 from an int8 activation: ek_prepare keeps a 256-value
    boundary table for each in the arena (ek_arena_bytes counts them the same way)."""
    count = 0
    for graph, j in zip(graphs, sources, strict=True):
        conn = graph.roles.get("connection", -1)
        if conn < 0 or j is None or graph.tensors[conn].dtype != "i8":
            continue
        src = graphs[j]
        count += src.tensors[src.roles["activation"]].dtype == "i8"
    return count


def _inv_scale(entry: MemberEntry, role: str) -> float | None:
    """1/scale exactly as the Python runtime computes it (from the manifest's scale)."""
    spec = entry.input(role)
    if spec is None or spec.quantization is None:
        return None
    return float(np.float32(1.0 / spec.quantization.scale))


def _plan_slots(
    entries: tuple[MemberEntry, ...], act_bytes: list[int]
) -> tuple[dict[int, int], int]:
    """Slot offsets (by 0-based member) for activations a later member reads: a slot lives from
    its member to its last reader, and slots not alive together share memory."""
    last_reader: dict[int, int] = {}
    for k, entry in enumerate(entries):
        if entry.connected_from:
            last_reader[entry.connected_from - 1] = k
    return plan_memory({j: (act_bytes[j], j, last) for j, last in last_reader.items()})


def _bundle_for(source: Path, out: Path, int8: bool, **kwargs: Any) -> Bundle:
    if (source / "manifest.json").exists():
        bundle = load_bundle(source)
        if bundle.manifest.members[0].format != "tflite":
            raise EdgekitError(
                f"{source}: a {bundle.manifest.members[0].format} bundle; the C "
                "export translates TFLite bundles (or give the run directory)"
            )
        return bundle
    from edgekit.export.exporter import ExportOptions, export_bundle

    options = ExportOptions("tflite", int8=int8, calib=kwargs.pop("calib", 256))
    return load_bundle(export_bundle(source, out / "bundle", options, **kwargs))


def _member_info(entry: MemberEntry, graph: CGraph) -> dict[str, Any]:
    act = graph.tensors[graph.roles["activation"]] if "activation" in graph.roles else None
    return {
        "index": entry.index,
        "spec": entry.spec,
        "connected_from": entry.connected_from,
        "macs": entry.macs,
        "params": graph.params,
        "ops": len(graph.ops),
        "flash_bytes": graph.flash_bytes,
        "work_bytes": graph.work_bytes,
        "activation_bytes": align8(act.nbytes) if act is not None else 0,
    }


def export_c(
    source: Path,
    out: Path,
    int8: bool = False,
    calib: int = 256,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    fold_rescales: bool = True,
) -> Path:
    """Generate the C model for a run (or a TFLite bundle) into ``out``; returns ``out``.
    ``fold_rescales=False`` keeps the connections' rescale operators (tables a runtime without
    the ek_member connection_mult field can run)."""
    out = Path(out)
    bundle = _bundle_for(
        Path(source), out, int8, calib=calib, data_dir=data_dir, cache_dir=cache_dir
    )
    manifest = bundle.manifest
    raws = [
        read_member(bundle.member_bytes(e), f"member {e.index} ({e.file})", _roles(e))
        for e in manifest.members
    ]
    position = {e.index: k for k, e in enumerate(manifest.members)}
    sources = [position.get(e.connected_from or -1) for e in manifest.members]
    link_layouts(raws, sources)
    graphs = [
        finish_member(raw, fold_rescales and _int8_activation(raws, j))
        for raw, j in zip(raws, sources, strict=True)
    ]
    for entry, graph in zip(manifest.members, graphs, strict=True):
        _check_quantization(entry, graph)
    infos = [_member_info(e, g) for e, g in zip(manifest.members, graphs, strict=True)]
    slots, slots_bytes = _plan_slots(manifest.members, [i["activation_bytes"] for i in infos])
    parts, members = [], []
    for k, (entry, graph) in enumerate(zip(manifest.members, graphs, strict=True)):
        info = codegen.MemberInfo(
            entry.spec, entry.connected_from or 0, _inv_scale(entry, "features"),
            _inv_scale(entry, "connection"), entry.macs,
        )  # fmt: skip
        code, member = codegen.member_code(k, info, graph, slots.get(k, -1))
        parts.append(code)
        members.append(member)
    n = len(members)
    arena = align8(slots_bytes) + align8(max(i["work_bytes"] for i in infos)) + align8(4 * n)
    arena += align8(256 * _int8_connections(graphs, sources))
    features = manifest.members[0].input("features")
    precision = "int8" if features is not None and features.dtype == "int8" else "float32"
    steps, channels = manifest.input_shape
    ens = codegen.EnsembleInfo(
        codegen.BANNER.format(version=edgekit.__version__, source=f"{manifest.task} {precision}"),
        list(manifest.class_names), steps, channels, manifest.normalization, slots_bytes, arena,
        manifest.frontend,
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "edgekit_model.c", codegen.source(ens, parts, members))
    atomic_write_text(out / "edgekit_model.h", codegen.header(ens, n))
    summary = _summary(bundle, precision, arena, slots_bytes, infos)
    atomic_write_text(out / "model.json", json.dumps(summary, indent=2) + "\n")
    return out


def _summary(
    bundle: Bundle, precision: str, arena: int, slots_bytes: int, infos: list[dict[str, Any]]
) -> dict[str, Any]:
    """model.json: what the export wrote, with each member's flash and working memory."""
    manifest = bundle.manifest
    return {
        "generated_by": f"edgekit {edgekit.__version__} export --target c",
        "task": manifest.task,
        "precision": precision,
        "class_names": list(manifest.class_names),
        "input_shape": list(manifest.input_shape),
        "frontend": manifest.frontend,
        "arena_bytes": arena,
        "slots_bytes": slots_bytes,
        "flash_bytes": sum(i["flash_bytes"] for i in infos),
        "bundle": bundle.source,
        "members": infos,
    }


def summary_text(out: Path) -> str:
    """What ``edgekit export --target c`` prints: each member's flash, working memory,
    operators and MACs, then the arena and where the files are (from ``out/model.json``)."""
    model = json.loads((Path(out) / "model.json").read_text())
    lines = [
        f"member {m['index']} {m['spec']}: flash {m['flash_bytes']:,} B, working memory "
        f"{m['work_bytes']:,} B, {m['ops']} ops, {m['macs']:,} MACs"
        for m in model["members"]
    ]
    lines.append(
        f"arena (RAM for ek_prepare / ek_run): {model['arena_bytes']:,} B; flash in all "
        f"{model['flash_bytes']:,} B; C files in {out} (build with firmware_stubs/); "
        f"the TFLite bundle they were generated from: {model['bundle']}"
    )
    return "\n".join(lines)
