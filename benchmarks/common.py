"""What every benchmark script shares: where results, runs and the real data are.

Scripts run as ``python benchmarks/NAME.py``; each puts the repository on ``sys.path`` (one
line, before importing this module) and takes its paths from here.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent  # results (.md, .json, .png) are written here
REPO = HERE.parent
RUNS = HERE / ".runs"  # training runs and bundles the benchmarks reuse (not committed)
SHARED = REPO.parent / "shared" / "data"
DATA = {"dsa19": SHARED / "dsa19_p1-p6.tar.xz", "kws8": SHARED / "speech_commands_mini"}
