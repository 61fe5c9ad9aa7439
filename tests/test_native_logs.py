"""Native chatter on fd 2 disappears in quiet mode and shows with -v."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, sys
from edgekit import native_logs
native_logs.set_verbose({verbose})
with native_logs.quiet_stderr():
    os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
os.write(2, b"after\\n")
print(os.environ.get("TF_CPP_MIN_LOG_LEVEL"))
"""


def run(verbose: bool) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(verbose=verbose)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
    )


def test_quiet_mode_hides_native_lines_and_keeps_later_output() -> None:
    quiet = run(False)
    assert "XNNPACK" not in quiet.stderr and "after" in quiet.stderr
    assert quiet.stdout.strip() == "3"


def test_verbose_mode_shows_them() -> None:
    loud = run(True)
    assert "XNNPACK" in loud.stderr and loud.stdout.strip() == "None"
