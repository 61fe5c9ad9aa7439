"""The thread count follows the CPUs the process may use, not the machine's core count."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgekit.threads import _cgroup_quota, available_cpus, choose_threads


def test_cgroup_v2_quota(tmp_path: Path) -> None:
    v2 = tmp_path / "cpu.max"
    v2.write_text("150000 100000\n")
    assert _cgroup_quota(v2, (tmp_path / "a", tmp_path / "b")) == 1.5
    v2.write_text("max 100000\n")
    assert _cgroup_quota(v2, (tmp_path / "a", tmp_path / "b")) is None


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    quota, period = tmp_path / "q", tmp_path / "p"
    quota.write_text("200000\n")
    period.write_text("100000\n")
    assert _cgroup_quota(tmp_path / "none", (quota, period)) == 2.0
    quota.write_text("-1\n")
    assert _cgroup_quota(tmp_path / "none", (quota, period)) is None


def test_quota_caps_the_affinity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3})
    v2 = tmp_path / "cpu.max"
    v2.write_text("150000 100000\n")
    assert available_cpus(v2, (tmp_path / "a", tmp_path / "b")) == 1
    v2.write_text("max 100000\n")
    assert available_cpus(v2, (tmp_path / "a", tmp_path / "b")) == 4
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {3})
    assert available_cpus(v2, (tmp_path / "a", tmp_path / "b")) == 1


def test_requests_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert choose_threads() == 3
    assert choose_threads(2) == 2
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.setattr("edgekit.threads.available_cpus", lambda: 5)
    assert choose_threads() == 5
    with pytest.raises(ValueError, match="--threads must be >= 1, got 0"):
        choose_threads(0)
