"""What `edgekit export` prints: per member file, size, parity; per prefix, accuracy."""

from __future__ import annotations

import json
from pathlib import Path

from rich.table import Table

from edgekit.console import console as make_console
from edgekit.console import escape


def print_bundle(bundle_dir: Path) -> None:
    manifest = json.loads((Path(bundle_dir) / "manifest.json").read_text())
    parity = manifest.get("parity", {})
    table = Table(title=escape(f"{manifest['task']}: {manifest['generated_by']}"))
    is_int8 = manifest["precision"] == "int8"
    # an int8 member is held to accuracy per prefix, not to float logit parity: no such column
    columns = ["k", "spec", "bytes", "cum. MACs", *([] if is_int8 else ["|dlogit|/scale"])]
    for col in (*columns, "F_k float %", "F_k export %"):
        table.add_column(col, justify="right", overflow="fold")
    float_acc = parity.get("float_prefix_accuracy", [])
    exp_acc = parity.get("exported_prefix_accuracy", [])
    for i, m in enumerate(manifest["members"]):
        p = m.get("parity", {})
        table.add_row(
            str(m["index"]),
            escape(m["spec"]),
            f"{m['bytes']:,}",
            f"{m['cumulative_macs']:,}",
            *([] if is_int8 else [f"{p.get('relative', float('nan')):.1e}"]),
            f"{100 * float_acc[i]:.2f}" if i < len(float_acc) else "",
            f"{100 * exp_acc[i]:.2f}" if i < len(exp_acc) else "",
        )
    console = make_console()
    console.print(table)
    if manifest["precision"] == "int8" and not parity.get("int8_within_allowed_drop", True):
        console.print(
            f"[yellow]warning: an int8 prefix lost {100 * parity['max_prefix_drop']:.2f} points "
            "against float (more than 1); try more --calib samples[/yellow]"
        )
    console.print(f"bundle: {bundle_dir}", markup=False, highlight=False)
