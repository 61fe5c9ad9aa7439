"""A deliberate crash at a known point, so tests of kill-and-resume need no timing.

``EDGEKIT_FAULT_AFTER="<label text>@<epoch>"`` ends the process (as ``kill -9`` would: no
cleanup, exit status 75) right after the trainer whose label contains the text has written
that epoch's checkpoint. Unset, it costs one dictionary look-up per epoch.
"""

from __future__ import annotations

import os

FAULT_ENV = "EDGEKIT_FAULT_AFTER"
FAULT_EXIT = 75


def after_checkpoint(label: str, epoch: int) -> None:
    """Exit here if ``EDGEKIT_FAULT_AFTER`` names this trainer and (1-based) epoch."""
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    needle, _, at = spec.rpartition("@")
    if needle in label and at.strip().isdigit() and int(at) == epoch:
        os._exit(FAULT_EXIT)
