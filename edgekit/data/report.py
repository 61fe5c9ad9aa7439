"""Human-readable summaries of a dataset (what ``edgekit data info`` prints)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from edgekit.console import console as make_console
from edgekit.data.dataset import Dataset


def print_dataset_info(dataset: Dataset, seconds: float, console: Console | None = None) -> None:
    console = console or make_console()
    splits = dataset.splits()
    table = Table(title=f"{dataset.task}: {dataset.num_classes} classes", title_justify="left")
    table.add_column("class")
    for name in splits:
        table.add_column(name, justify="right")
    counts = {name: s.class_counts(dataset.num_classes) for name, s in splits.items()}
    for i, cls in enumerate(dataset.class_names):
        table.add_row(cls, *(str(int(counts[name][i])) for name in splits))
    table.add_section()
    table.add_row("total", *(str(len(s)) for s in splits.values()), style="bold")
    table.add_row("features", *("x".join(str(d) for d in s.x.shape[1:]) for s in splits.values()))
    console.print(table)
    console.print(f"source: {dataset.source}", highlight=False, markup=False)
    if dataset.frontend is not None:
        fe = dataset.frontend
        console.print(
            f"front end: {fe.n_mels} log-mel bands, {fe.window_ms:g} ms {fe.window} window, "
            f"{fe.hop_ms:g} ms hop, {fe.clip_samples / fe.sample_rate:g} s at {fe.sample_rate} Hz "
            f"-> {fe.feature_shape[0]} x {fe.feature_shape[1]}",
            highlight=False,
        )
    if dataset.normalization is not None:
        console.print("normalisation: per-channel z-score with training statistics")
    if "test" not in splits:
        console.print("[yellow]test split: absent[/]")
    for note in dataset.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    console.print(f"loaded in {seconds:.2f} s", highlight=False)
