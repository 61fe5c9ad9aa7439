"""Speech Commands loaders on trees made here and on the real shipped KWS-8 clips."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from edgekit.data import load_dataset
from edgekit.data.cache import ArrayCache
from edgekit.data.speech_commands import (
    GOOGLE13_LABELS,
    KWS8_LABELS,
    load_background_noise,
    load_speech_commands,
    scan_tree,
    which_set,
)
from edgekit.errors import DataError
from tests.conftest import KWS_MINI, make_speech_tree, need_shared, tone


def test_sha1_rule_is_per_speaker_and_near_ten_percent() -> None:
    names = [f"{i:08x}_nohash_{k}.wav" for i in range(3000) for k in range(2)]
    sets = [which_set(n) for n in names]
    assert all(sets[i] == sets[i + 1] for i in range(0, len(sets), 2))  # same speaker, same split
    share = {s: sets.count(s) / len(sets) for s in ("train", "val", "test")}
    assert 0.08 < share["val"] < 0.12 and 0.08 < share["test"] < 0.12


def test_sha1_rule_matches_the_shipped_buckets() -> None:
    # The shipped clips are the official training + validation buckets, chosen by this rule:
    # an implementation that disagreed would put some of them in the test bucket.
    clips = sorted(need_shared(KWS_MINI).glob("*/*.flac"))
    clips = [c for c in clips if not c.parent.name.startswith("_")]
    assert len(clips) > 4000
    assert {which_set(c.name) for c in clips} == {"train", "val"}


def test_google13_label_map() -> None:
    assert GOOGLE13_LABELS.class_names[-1] == "unknown"
    assert len(GOOGLE13_LABELS.class_names) == 13
    assert GOOGLE13_LABELS.index("yes") == 11
    assert GOOGLE13_LABELS.index("marvin") == 12
    assert KWS8_LABELS.index("marvin") is None


def test_official_lists_decide_the_split(tmp_path: Path) -> None:
    root = make_speech_tree(tmp_path / "sc", official_lists=True, suffix=".flac")
    entries, notes = scan_tree(root, GOOGLE13_LABELS)
    assert "official" in notes[0]
    val = {e.relpath for e in entries if e.split == "val"}
    assert "yes/00000001_nohash_0.flac" in val  # listed as .wav, stored as .flac
    assert sum(e.split == "test" for e in entries) == 4 * 3
    assert {e.label for e in entries if e.relpath.startswith("marvin/")} == {12}  # unknown


def test_loader_builds_features_then_reuses_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_speech_tree(tmp_path / "sc", official_lists=True)
    cache = ArrayCache(tmp_path / "cache")
    first = load_speech_commands(root, GOOGLE13_LABELS, "google13", cache)
    assert first.train.x.shape[1:] == (99, 32)
    assert len(first.train) + len(first.val) + len(first.test or []) == 4 * 30

    import edgekit.data.speech_commands as sc

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached load must not read clips")

    monkeypatch.setattr(sc, "read_audio", boom)
    second = load_speech_commands(root, GOOGLE13_LABELS, "google13", cache)
    assert "features loaded from cache" in second.notes
    np.testing.assert_array_equal(first.train.x, second.train.x)


def test_changed_clip_invalidates_the_cache(tmp_path: Path) -> None:
    root = make_speech_tree(tmp_path / "sc")
    cache = ArrayCache(tmp_path / "cache")
    load_speech_commands(root, KWS8_LABELS, "kws8", cache)
    clip = root / "yes" / "00000003_nohash_0.wav"
    sf.write(clip, tone(2000.0), 16000)
    os.utime(clip, ns=(1, 1))
    again = load_speech_commands(root, KWS8_LABELS, "kws8", cache)
    assert "features loaded from cache" not in again.notes


def test_corrupt_cache_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = make_speech_tree(tmp_path / "sc")
    cache = ArrayCache(tmp_path / "cache")
    good = load_speech_commands(root, KWS8_LABELS, "kws8", cache)
    (entry,) = (tmp_path / "cache").glob("kws8-features-*.npz")
    data = bytearray(entry.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = os.urandom(64)  # flip bytes inside the arrays
    entry.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        rebuilt = load_speech_commands(root, KWS8_LABELS, "kws8", cache)
    assert "rebuilding" in caplog.text
    assert "features loaded from cache" not in rebuilt.notes
    np.testing.assert_array_equal(good.train.x, rebuilt.train.x)
    assert (
        "features loaded from cache" in load_speech_commands(root, KWS8_LABELS, "kws8", cache).notes
    )


def test_truncated_cache_is_rebuilt(tmp_path: Path) -> None:
    root = make_speech_tree(tmp_path / "sc")
    cache = ArrayCache(tmp_path / "cache")
    load_speech_commands(root, KWS8_LABELS, "kws8", cache)
    (entry,) = (tmp_path / "cache").glob("kws8-features-*.npz")
    entry.write_bytes(entry.read_bytes()[:1000])
    again = load_speech_commands(root, KWS8_LABELS, "kws8", cache)
    assert "features loaded from cache" not in again.notes
    assert len(again.train) > 0


def test_folder_without_clips_shows_expected_layout(tmp_path: Path) -> None:
    (tmp_path / "empty" / "yes").mkdir(parents=True)
    with pytest.raises(DataError, match=r"found no clips.*expected a Speech Commands tree"):
        load_dataset("kws8", tmp_path / "empty")
    with pytest.raises(DataError, match="not a directory"):
        load_dataset("kws8", tmp_path / "nowhere")


def test_corrupt_clip_is_named(tmp_path: Path) -> None:
    root = make_speech_tree(tmp_path / "sc")
    (root / "no" / "deadbeef_nohash_0.wav").write_bytes(b"not audio at all" * 20)
    with pytest.raises(DataError, match=r"no/deadbeef_nohash_0\.wav: not a readable"):
        load_dataset("kws8", root)


def test_fixups_are_reported_in_notes(tmp_path: Path) -> None:
    root = make_speech_tree(tmp_path / "sc")
    sf.write(root / "up" / "0000aaaa_nohash_0.wav", tone(300.0, rate=8000), 8000)
    sf.write(root / "up" / "0000bbbb_nohash_0.wav", np.stack([tone(300.0)] * 2, axis=1), 16000)
    notes = " | ".join(load_dataset("kws8", root).notes)
    assert "resampled" in notes and "0000aaaa_nohash_0.wav" in notes
    assert "mixed 2 channels down to mono" in notes and "0000bbbb" in notes


def test_with_audio_keeps_waveforms(tmp_path: Path) -> None:
    root = make_speech_tree(tmp_path / "sc")
    data = load_dataset("kws8", root, with_audio=True)
    assert data.train.audio is not None
    assert data.train.audio.shape == (len(data.train), 16000)
    assert data.train.audio.dtype == np.int16


def test_background_noise_loads(tmp_path: Path) -> None:
    noise = load_background_noise(make_speech_tree(tmp_path / "sc"))
    assert list(noise) == ["white"] and len(noise["white"]) == 32000
    assert load_background_noise(tmp_path / "nothing") == {}


def test_real_kws8() -> None:
    data = load_dataset("kws8", need_shared(KWS_MINI))
    assert data.class_names == KWS8_LABELS.class_names
    assert data.feature_shape == (99, 32)
    assert data.test is None and any("test split absent" in n for n in data.notes)
    assert all(c == 450 for c in data.train.class_counts(8))
    assert all(90 <= c <= 120 for c in data.val.class_counts(8))
    assert abs(float(data.train.x.mean())) < 1e-3  # z-normalised with training statistics
    noise = load_background_noise(KWS_MINI)
    assert len(noise) == 6 and all(len(v) >= 60 * 16000 for v in noise.values())
