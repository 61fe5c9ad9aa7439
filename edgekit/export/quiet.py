"""Exporter chatter control shared by the ONNX and TFLite paths."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator

from edgekit.native_logs import quiet_stderr


@contextlib.contextmanager
def quiet_exporter() -> Iterator[None]:
    """Exporter chatter (progress prints, optional-op registration logs, internal deprecation
    warnings) is not the user's business; parity checks catch anything that matters."""
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch._export", "torch.export")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            quiet_stderr(),  # absl / converter lines written by C++ to fd 2 (shown with -v)
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
