"""The command line as a user meets it: help, version, data info, and errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from edgekit import __version__
from edgekit.cli import app
from tests.conftest import DSA_TAR, KWS_MINI, make_speech_tree, need_shared

runner = CliRunner()


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edgekit", *args], capture_output=True, text=True, timeout=120
    )


def test_help_and_version() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "data" in result.output
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"edgekit {__version__}"
    for sub in (["data", "--help"], ["data", "info", "--help"], ["data", "download", "--help"]):
        result = runner.invoke(app, sub)
        assert result.exit_code == 0, result.output
    assert "Example" in runner.invoke(app, ["data", "info", "--help"]).output


def test_cli_import_stays_light() -> None:
    code = "import sys, edgekit.cli; print(sorted(m for m in ('torch', 'numpy', 'soundfile') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_data_info_synthetic() -> None:
    result = runner.invoke(app, ["data", "info", "synthetic"])
    assert result.exit_code == 0, result.output
    assert "synthetic: 8 classes" in result.output
    assert "2400" in result.output and "64x8" in result.output


def test_data_info_speech_tree(tmp_path: Path) -> None:
    root = make_speech_tree(tmp_path / "sc", words=("yes", "no", "up", "go"))
    result = runner.invoke(app, ["data", "info", "kws8", "--data-dir", str(root)])
    assert result.exit_code == 0, result.output
    assert "99x32" in result.output and "no clips found for: down" in result.output


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    cases = [
        (["data", "info", "nosuch"], "unknown task 'nosuch'"),
        (["data", "info", "kws8"], "kws8 needs --data-dir"),
        (["data", "info", "kws8", "--data-dir", str(tmp_path)], "found no clips"),
        (["data", "download", "dsa19"], "no download for 'dsa19'"),
    ]
    for args, message in cases:
        proc = run_module(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in " ".join(proc.stderr.split()), proc.stderr
        assert "Traceback" not in proc.stderr


def test_real_kws8_info() -> None:
    result = runner.invoke(app, ["data", "info", "kws8", "--data-dir", str(need_shared(KWS_MINI))])
    assert result.exit_code == 0, result.output
    assert "kws8: 8 classes" in result.output and "3600" in result.output
    assert "test split: absent" in result.output


def test_real_dsa19_info(shared_cache: Path) -> None:
    args = [
        "data",
        "info",
        "dsa19",
        "--data-dir",
        str(need_shared(DSA_TAR)),
        "--cache-dir",
        str(shared_cache),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "dsa19: 19 classes" in out and "4560" in out and "2280" in out and "125x45" in out
    assert "users p7-p8 not in dsa19_p1-p6.tar.xz" in out


def test_train_teacher_quick(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = [
        "train-teacher",
        "synthetic",
        "--out",
        str(out),
        "--set",
        "teacher_train.epochs=1",
        "--device",
        "cpu",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "val accuracy" in result.output and "MACs" in result.output
    assert (out / "config.json").is_file() and (out / "teacher" / "best.pt").is_file()
    help_text = runner.invoke(app, ["train-teacher", "--help"]).output
    assert "Example" in help_text and "torchrun" in help_text


def test_train_teacher_bad_set_is_one_line(tmp_path: Path) -> None:
    proc = run_module(
        "train-teacher", "synthetic", "--out", str(tmp_path / "r"), "--set", "teacher_train.epoch=2"
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "valid keys" in proc.stderr and "teacher_train.epochs" in proc.stderr
    assert not (tmp_path / "r").exists()  # nothing written for a refused command


def test_every_readme_command_exists_and_has_an_example() -> None:
    """Each `edgekit ...` command the README shows is a real command whose --help has an example."""
    import re

    from tests.conftest import REPO

    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)  # commands live in code blocks
    commands = set()
    for line in "\n".join(blocks).splitlines():
        m = re.match(r"^(?:\S*/)?edgekit ((?:data )?[a-z-]+)", line.strip().removeprefix("$ "))
        if m and not m.group(1).startswith("-"):
            commands.add(m.group(1))
    assert {"demo", "distill", "export", "run", "bench", "report"} <= commands
    for command in sorted(commands):
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Example:" in result.output, command
