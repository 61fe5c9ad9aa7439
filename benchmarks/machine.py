"""Describe the machine a benchmark ran on (written next to every result)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except ImportError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        pass
    return info


def machine_line(info: dict[str, Any]) -> str:
    return (
        f"{info['cpu']}, {info['cores']} cores, Python {info['python']}, numpy {info.get('numpy')}, "
        f"torch {info.get('torch')} ({info.get('torch_threads')} threads), GPU: {info.get('cuda') or 'none'}"
    )


def save_results(path: Path, results: Any) -> dict[str, Any]:
    """Write ``results`` with the machine they were measured on to ``path`` (JSON); returns
    the machine description for the Markdown beside it."""
    info = machine_info()
    path.write_text(json.dumps({"machine": info, "results": results}, indent=2) + "\n")
    return info
