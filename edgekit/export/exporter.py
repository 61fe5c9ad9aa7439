"""``edgekit export``: a run's members as one file each plus ``manifest.json``, parity-checked.

The bundle is assembled in a temporary directory beside ``out``, checked by loading it back
through the torch-free runtime, and only then moved into place: a failed export never leaves a
half-written bundle, and never touches an existing one.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

import edgekit
from edgekit.atomic import atomic_write_text
from edgekit.errors import EdgekitError
from edgekit.export.built import BuiltMember
from edgekit.export.parity import INT8_MAX_DROP, check_parity
from edgekit.export.reference import torch_outputs
from edgekit.export.run_loader import ExportRun, load_run
from edgekit.export.targets import build_member
from edgekit.export.wrap import exportable, io_names
from edgekit.progress import track
from edgekit.runtime.bundle import MANIFEST, load_bundle, sha256_hex
from edgekit.runtime.manifest import Manifest, MemberEntry, Quantization, TensorSpec

TARGETS = ("onnx", "tflite")


@dataclass(frozen=True)
class ExportOptions:
    target: str = "onnx"
    int8: bool = False
    calib: int = 256  # calibration samples from the training split
    seed: int = 0
    parity_samples: int | None = None  # validation samples to check parity on (None: all)
    # int8: the most accuracy (a fraction; CLI --max-int8-drop in points) any prefix may lose
    # against float before the bundle is refused (issue 14 item 9)
    max_int8_drop: float = INT8_MAX_DROP

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise EdgekitError(
                f"export: --target must be one of {', '.join(TARGETS)} or c (got {self.target!r})"
            )
        if self.calib < 1:
            raise EdgekitError(f"export: --calib must be >= 1 (got {self.calib})")
        if not 0 <= self.max_int8_drop <= 1:
            raise EdgekitError(
                f"export: --max-int8-drop must be 0..100 points (got {100 * self.max_int8_drop:g})"
            )


def _load_data(run: ExportRun, data_dir: Path | None, cache_dir: Path | None) -> Any:
    from edgekit.data.registry import load_dataset

    task = run.data["task"]
    source = data_dir or run.data.get("source") or run.recipe.get("data_dir")
    users = run.data.get("users")  # a run trained on rotated users exports with them
    data = load_dataset(
        task, source, cache_dir, users={k: tuple(v) for k, v in users.items()} if users else None
    )
    if list(data.feature_shape) != list(run.data["feature_shape"]) or list(
        data.class_names
    ) != list(run.data["class_names"]):
        raise EdgekitError(
            f"{source}: this data does not match the run's (features {list(data.feature_shape)} "
            f"vs {run.data['feature_shape']}, classes differ?); pass the run's --data-dir"
        )
    return data


def _tensor(role: str, shape: tuple[int, ...], built: BuiltMember) -> TensorSpec:
    """A manifest tensor: the file's name, dtype and quantization for this role."""
    info = built.io.get(role, {})
    return TensorSpec(
        built.names.get(role, role),
        role,
        tuple(shape),
        info.get("dtype", "float32"),
        info.get("quantization"),
    )


def export_bundle(
    run_dir: Path,
    out: Path,
    options: ExportOptions,
    data_dir: Path | None = None,
    make_zip: bool = False,
    cache_dir: Path | None = None,
) -> Path:
    """Export every member of ``run_dir`` to ``out`` (a directory; plus ``out.zip`` if asked)."""
    run = load_run(run_dir)
    data = _load_data(run, data_dir, cache_dir)
    rng = np.random.default_rng(options.seed)
    train_x = data.train.x
    calib_x = train_x[
        rng.choice(len(train_x), size=min(options.calib, len(train_x)), replace=False)
    ]
    val_x, val_y = data.val.x, data.val.y
    if options.parity_samples is not None:
        val_x, val_y = val_x[: options.parity_samples], val_y[: options.parity_samples]
    calib_ref = torch_outputs(run, calib_x)
    val_ref = torch_outputs(run, val_x)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        manifest = _write_members(run, options, tmp, calib_x, calib_ref)
        atomic_write_text(tmp / MANIFEST, manifest.to_json())
        bundle = load_bundle(tmp)  # exactly what users will load: digests, shapes, backends
        report = check_parity(bundle, val_x, val_y, val_ref, options.max_int8_drop)
        manifest = replace(
            manifest,
            members=tuple(
                replace(m, parity=report.members[i]) for i, m in enumerate(manifest.members)
            ),
            parity=report.summary,
        )
        atomic_write_text(tmp / MANIFEST, manifest.to_json())
        if not report.passed:
            raise EdgekitError(f"export parity failed, bundle not written: {report.failure}")
        _replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if make_zip:
        write_zip(out, out.with_suffix(".zip"))
    return out


def _replace_dir(new: Path, out: Path) -> None:
    """Move ``new`` to ``out``, replacing what was there only once ``new`` is in place."""
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        new.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(out)


def _write_members(
    run: ExportRun,
    options: ExportOptions,
    tmp: Path,
    calib_x: np.ndarray,
    calib_ref: list[tuple[np.ndarray, np.ndarray]],
) -> Manifest:
    """Write one file per member into ``tmp``; the manifest describing them (no parity yet)."""
    precision = "int8" if options.int8 else "float32"
    entries: list[MemberEntry] = []
    for k in track(range(len(run.members)), f"export {options.target} {precision}"):
        pin = _connection_pin(run, options, k, entries)
        entries.append(_export_member(run, options, tmp, k, calib_x, calib_ref, pin))
    return Manifest(
        task=run.data["task"],
        class_names=tuple(run.data["class_names"]),
        input_shape=run.feature_shape,
        target=options.target,
        precision=precision,
        members=tuple(entries),
        teacher={k: run.teacher.get(k) for k in ("spec", "macs", "params", "val_accuracy")},
        frontend=run.data.get("frontend"),
        normalization=run.data.get("normalization"),
        generated_by=f"edgekit {edgekit.__version__} export --target {options.target}"
        + (" --int8" if options.int8 else ""),
    )


def _connection_pin(
    run: ExportRun, options: ExportOptions, k: int, exported: list[MemberEntry]
) -> Quantization | None:
    """The quantization member ``k``'s (0-based) connection input must have: its source's
    activation output's, so that the int8 bytes pass between the two unchanged (TFLite int8;
    the source, member k - 1, is already exported)."""
    if not (options.int8 and options.target == "tflite" and run.records[k].connected):
        return None
    source = exported[k - 1].output("activation")
    return None if source is None else source.quantization


def _export_member(
    run: ExportRun,
    options: ExportOptions,
    tmp: Path,
    k: int,
    calib_x: np.ndarray,
    calib_ref: list[tuple[np.ndarray, np.ndarray]],
    pin: Quantization | None = None,
) -> MemberEntry:
    """Member ``k`` (0-based) as a file in ``tmp`` and its manifest entry; ``pin``: the int8
    quantization its connection input must have."""
    record, member = run.records[k], run.members[k]
    index = k + 1
    with_act = run.exports_activation(index)
    inputs, outputs = io_names(record.connected, with_act)
    calib = [calib_x] + ([calib_ref[k - 1][1]] if record.connected else [])
    built = build_member(
        options.target,
        exportable(member, record.connected, with_act),
        tuple(torch.as_tensor(a[:2]) for a in calib),
        inputs,
        outputs,
        calib if options.int8 else None,
        None if pin is None else {"connection": pin},
    )
    name = f"member{index:02d}.{options.target}"
    (tmp / name).write_bytes(built.data)
    shapes = {
        "features": run.feature_shape,
        "connection": tuple(member.connection_shape or ()),
        "logits": (run.num_classes,),
        "activation": tuple(member.activation_shape),
    }
    return MemberEntry(
        index=index,
        file=name,
        format=options.target,
        dtype="int8" if options.int8 else "float32",
        spec=record.spec,
        sha256=sha256_hex(built.data),
        bytes=len(built.data),
        batch=built.batch,
        inputs=tuple(_tensor(n, shapes[n], built) for n in inputs),
        outputs=tuple(_tensor(n, shapes[n], built) for n in outputs),
        connected_from=index - 1 if record.connected else None,
        macs=record.macs,
        params=record.params,
        cumulative_macs=sum(r.macs for r in run.records[:index]),
    )


def write_zip(bundle_dir: Path, path: Path) -> Path:
    """The bundle as one zip (entries at the top level), written atomically."""
    part = path.with_name(f".{path.name}.part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(bundle_dir.iterdir()):
            zf.write(file, file.name)
    part.replace(path)
    return path
