"""Named points where a crash is tested: fault injection for the kill -9 tests, inert otherwise.

``CPL_FAULT_KILL_AT=STEP`` makes the process kill itself (SIGKILL: no clean-up, no atexit, no flush)
when it reaches ``STEP``. Nothing sets it outside the crash tests; the steps are named where the
code reaches them (``extract-approve:after-commit``, ``file:renaming``, ...).
"""

from __future__ import annotations

import os
import signal

VARIABLE = "CPL_FAULT_KILL_AT"


def checkpoint(step: str) -> None:
    if os.environ.get(VARIABLE) == step:
        os.kill(os.getpid(), signal.SIGKILL)
