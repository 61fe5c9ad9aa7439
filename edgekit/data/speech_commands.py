"""Speech Commands loaders: Google-13 (the EdgeML protocol) and KWS-8 (the shipped mini set).

The tree is ``<root>/<word>/<speaker>_nohash_<n>.(wav|flac)`` plus an optional
``_background_noise_/`` folder and the official ``validation_list.txt`` / ``testing_list.txt``.
Clips become 99 x 32 log-mel features (``edgekit.features``), cached on disk.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgekit.data.cache import ArrayCache, cache_key
from edgekit.data.dataset import Dataset, Split
from edgekit.errors import DataError
from edgekit.features import FrontEndParams, fit_clip, logmel, read_audio
from edgekit.progress import track

log = logging.getLogger(__name__)

LOADER_VERSION = 1
AUDIO_SUFFIXES = (".wav", ".flac")
NOISE_DIR = "_background_noise_"
_MAX_NUM_WAVS_PER_CLASS = 2**27 - 1  # from the dataset's README: fixes the split forever

GOOGLE13_KEYWORDS = ("go", "no", "on", "up", "bed", "cat", "dog", "off", "one", "six", "two", "yes")
GOOGLE13_UNKNOWN = "unknown"
KWS8_WORDS = ("down", "go", "left", "no", "right", "stop", "up", "yes")

EXPECTED_LAYOUT = """expected a Speech Commands tree:
  <data-dir>/yes/0a7c2a8d_nohash_0.wav   (one folder per word, WAV or FLAC clips)
  <data-dir>/no/...
  <data-dir>/_background_noise_/*.wav     (optional, for augmentation)
  <data-dir>/validation_list.txt, testing_list.txt   (optional official split lists)"""


def which_set(
    filename: str, validation_percentage: float = 10.0, testing_percentage: float = 10.0
) -> str:
    """The dataset's own split rule: a sha1 of the speaker prefix, so a speaker stays in one split."""
    base = Path(filename).name
    hash_name = re.sub(r"_nohash_.*$", "", base)
    digest = hashlib.sha1(hash_name.encode()).hexdigest()
    percentage = (int(digest, 16) % (_MAX_NUM_WAVS_PER_CLASS + 1)) * (
        100.0 / _MAX_NUM_WAVS_PER_CLASS
    )
    if percentage < validation_percentage:
        return "val"
    if percentage < validation_percentage + testing_percentage:
        return "test"
    return "train"


@dataclass(frozen=True)
class LabelMap:
    """Maps a word folder to a class; words outside ``words`` go to ``other`` or are dropped."""

    words: tuple[str, ...]
    other: str | None = None

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.words + ((self.other,) if self.other else ())

    def index(self, word: str) -> int | None:
        if word in self.words:
            return self.words.index(word)
        return len(self.words) if self.other else None


GOOGLE13_LABELS = LabelMap(GOOGLE13_KEYWORDS, GOOGLE13_UNKNOWN)
KWS8_LABELS = LabelMap(KWS8_WORDS)


@dataclass(frozen=True)
class ClipEntry:
    relpath: str  # "<word>/<file>"
    label: int
    split: str


def _read_list(path: Path) -> set[str]:
    """Official list entries as "<word>/<stem>" (extension-free, so FLAC trees match WAV lists)."""
    out = set()
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            p = Path(line)
            out.add(f"{p.parent.name}/{p.stem}")
    return out


def scan_tree(root: Path, labels: LabelMap) -> tuple[list[ClipEntry], list[str]]:
    """List the clips with their label and split; notes say which rule split them and what was skipped."""
    if not root.is_dir():
        raise DataError(f"{root}: not a directory; {EXPECTED_LAYOUT}")
    notes: list[str] = []
    val_list, test_list = root / "validation_list.txt", root / "testing_list.txt"
    official = val_list.is_file() and test_list.is_file()
    if official:
        val_set, test_set = _read_list(val_list), _read_list(test_list)
        notes.append("split by the official validation_list.txt / testing_list.txt")
    else:
        notes.append("split by the dataset's sha1-of-speaker rule (10 % val, 10 % test)")
    entries: list[ClipEntry] = []
    skipped_words: list[str] = []
    for word_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
        label = labels.index(word_dir.name)
        clips = sorted(p for p in word_dir.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        if label is None:
            if clips:
                skipped_words.append(word_dir.name)
            continue
        for clip in clips:
            key = f"{word_dir.name}/{clip.stem}"
            if official:
                split = "val" if key in val_set else "test" if key in test_set else "train"
            else:
                split = which_set(clip.name)
            entries.append(ClipEntry(f"{word_dir.name}/{clip.name}", label, split))
    if not entries:
        raise DataError(
            f"{root}: found no clips of the words {', '.join(labels.words)}; {EXPECTED_LAYOUT}"
        )
    if skipped_words:
        notes.append(f"ignored word folders outside the label map: {', '.join(skipped_words)}")
    missing = [
        w for w in labels.words if not any(e.label == labels.words.index(w) for e in entries)
    ]
    if missing:
        notes.append(f"no clips found for: {', '.join(missing)}")
    return entries, notes


def _summarise_fixups(fixups: dict[str, list[str]]) -> list[str]:
    """One note per kind of fix-up, with a count and a few of the files."""
    by_kind: dict[str, list[str]] = {}
    for relpath, items in fixups.items():
        for item in items:
            kind = re.sub(r"[\d.]+ s clip|from \d+ Hz", "…", item)
            by_kind.setdefault(kind, []).append(relpath)
    notes = []
    for kind, files in by_kind.items():
        shown = ", ".join(files[:3]) + (", …" if len(files) > 3 else "")
        notes.append(f"fix-up on {len(files)} clip(s): {kind} ({shown})")
    return notes


def _extract(
    root: Path, entries: list[ClipEntry], frontend: FrontEndParams, with_audio: bool, task: str
) -> tuple[np.ndarray, np.ndarray | None, dict[str, list[str]]]:
    """Read every clip and compute its features, in batches so numpy vectorises the FFTs."""
    n = len(entries)
    feats = np.empty((n, *frontend.feature_shape), dtype=np.float32)
    audio_out = np.empty((n, frontend.clip_samples), dtype=np.int16) if with_audio else None
    fixups: dict[str, list[str]] = {}
    batch = 16  # small batches keep the float64 FFT frames in cache (benchmarks/frontend.md)
    for start in track(range(0, n, batch), f"{task}: features", total=(n + batch - 1) // batch):
        chunk = entries[start : start + batch]
        clips = []
        for entry in chunk:
            clip = read_audio(root / entry.relpath, frontend.sample_rate, frontend.clip_samples)
            if clip.fixups:
                fixups[entry.relpath] = clip.fixups
                for item in clip.fixups:
                    log.debug("%s: %s", root / entry.relpath, item)
            clips.append(fit_clip(clip.audio, frontend.clip_samples))
        wave = np.stack(clips)
        feats[start : start + len(chunk)] = logmel(wave, frontend)
        if audio_out is not None:
            audio_out[start : start + len(chunk)] = np.round(np.clip(wave, -1, 1) * 32767)
    return feats, audio_out, fixups


def load_speech_commands(
    root: Path,
    labels: LabelMap,
    task: str,
    cache: ArrayCache,
    frontend: FrontEndParams | None = None,
    with_audio: bool = False,
) -> Dataset:
    """Features and labels for every clip under ``root``, from the cache when it is current.

    ``with_audio`` also keeps the fitted 1 s waveforms (int16 PCM) for augmentation.
    """
    frontend = frontend or FrontEndParams()
    root = Path(root)
    entries, notes = scan_tree(root, labels)
    feats, audio = _features(root, entries, labels, task, cache, frontend, with_audio, notes)
    y = np.array([e.label for e in entries], dtype=np.int64)
    split_of = np.array([e.split for e in entries])
    speakers = [Path(e.relpath).name.split("_nohash_")[0] for e in entries]
    speaker_ids = {name: i for i, name in enumerate(sorted(set(speakers)))}
    groups = np.array([speaker_ids[s] for s in speakers], dtype=np.int64)

    def take(name: str) -> Split | None:
        idx = np.flatnonzero(split_of == name)
        if len(idx) == 0:
            return None
        return Split(feats[idx], y[idx], None if audio is None else audio[idx], groups[idx])

    train, val, test = take("train"), take("val"), take("test")
    if train is None or val is None:
        raise DataError(
            f"{root}: the split rule left no {'training' if train is None else 'validation'} clips; "
            "a usable tree needs clips of many speakers"
        )
    if test is None:
        notes.append(
            "test split absent: no clip falls in the test bucket (reporting on validation)"
        )
    return Dataset(
        task=task,
        class_names=labels.class_names,
        train=train,
        val=val,
        test=test,
        source=str(root),
        frontend=frontend,
        notes=tuple(notes),
    )


def _features(
    root: Path,
    entries: list[ClipEntry],
    labels: LabelMap,
    task: str,
    cache: ArrayCache,
    frontend: FrontEndParams,
    with_audio: bool,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray | None]:
    """(features, waveforms or None) of every entry, from the cache when it is current; the
    fix-ups applied to clips are appended to ``notes``."""
    stats = [(e.relpath, *_stat(root / e.relpath)) for e in entries]
    key = cache_key(
        loader=f"speech_commands/{LOADER_VERSION}",
        labels=labels.class_names,
        frontend=frontend.to_dict(),
        files=stats,
        splits=[e.split for e in entries],
        with_audio=with_audio,
    )
    cached = cache.load(f"{task}-features", key)
    if cached is not None:
        feats, audio = cached["x"], cached.get("audio")
        fixup_notes = [str(s) for s in cached["fixup_notes"]]
        notes.append("features loaded from cache")
    else:
        feats, audio, fixups = _extract(root, entries, frontend, with_audio, task)
        fixup_notes = _summarise_fixups(fixups)
        arrays = {"x": feats, "fixup_notes": np.array(fixup_notes, dtype=str)}
        if audio is not None:
            arrays["audio"] = audio
        cache.save(f"{task}-features", key, arrays)
    notes.extend(fixup_notes)
    return feats, audio


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def load_background_noise(root: Path, sample_rate: int = 16000) -> dict[str, np.ndarray]:
    """The ``_background_noise_`` recordings as float32 mono arrays (empty if the folder is absent)."""
    folder = Path(root) / NOISE_DIR
    if not folder.is_dir():
        return {}
    out = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES):
        out[path.stem] = read_audio(path, sample_rate, max_samples=None).audio
    return out
