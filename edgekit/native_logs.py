"""Keep native libraries' chatter (absl, oneDNN, XNNPACK, TFLite's converter) out of normal output.

TensorFlow Lite's converter and interpreter print lines such as "Created TensorFlow Lite XNNPACK
delegate for CPU" or "Estimated count of arithmetic ops" straight to file descriptor 2 from C++,
past Python's logging. The CLI silences them unless ``-v`` is given; real failures still surface
as Python exceptions, which carry their own message.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TensorFlow / LiteRT C++ logging: errors only via exceptions
    "GLOG_minloglevel": "3",  # glog-based libraries
    "ABSL_MIN_LOG_LEVEL": "3",  # absl logging (litert-torch's converter)
    "ONEDNN_VERBOSE": "0",
}

_quiet = False  # the library leaves stderr alone; the CLI asks for quiet unless -v


def set_verbose(verbose: bool) -> None:
    """Called once by the CLI: quiet (without -v) also sets the native libraries' log levels."""
    global _quiet
    _quiet = not verbose
    if not verbose:
        for key, value in QUIET_ENV.items():
            os.environ.setdefault(key, value)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send fd 2 to /dev/null for the block when the CLI asked for quiet; Python's exceptions
    still carry their messages."""
    if not _quiet:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters, some test runners)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
