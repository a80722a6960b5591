"""The `smi` command with a fault injected at one of the store's named checkpoints (`Store.checkpoint`).

    python -m tests.smi.faults kill STEP[@N] -- SMI-ARGS...          SIGKILL at the Nth STEP (default 1st)
    python -m tests.smi.faults pause STEP[@N] DIR -- SMI-ARGS...     at the Nth STEP write DIR/paused.PID,
                                                                     then wait until DIR/resume exists

A killed process gets no clean-up at all (no rollback, no atexit, no flush of Python's buffers), which
is what a power cut or an OOM kill leaves. Whatever the mode, the process writes DIR/waiting.PID the
first time it waits for the inventory's applier lock (step ``lock-wait``), so a test can tell that a
second applier is queued behind the first. ``SMI_TEST_ALERT_BATCH`` makes the alerts be read (and
written) in batches that small, so a kill can fall between two batches of one extract's alerts.

Only the tests use this; nothing in `smi` reads these variables or arguments.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smi import cli
from smi.store import Store


def _hook(mode: str, step: str, nth: int, directory: Path | None) -> Callable[[str], None]:
    seen = 0
    announced_wait = False

    def checkpoint(reached: str) -> None:
        nonlocal seen, announced_wait
        if reached == "lock-wait" and directory is not None and not announced_wait:
            announced_wait = True
            (directory / f"waiting.{os.getpid()}").touch()
        if reached != step:
            return
        seen += 1
        if seen != nth:
            return
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        assert directory is not None
        (directory / f"paused.{os.getpid()}").touch()
        deadline = time.monotonic() + 120
        while not (directory / "resume").exists() and time.monotonic() < deadline:
            time.sleep(0.02)

    return checkpoint


def main(argv: list[str]) -> None:
    split = argv.index("--")
    head, smi_args = argv[:split], argv[split + 1 :]
    mode, target = head[0], head[1]
    directory = Path(head[2]) if len(head) > 2 else None
    step, _, count = target.partition("@")
    hook = _hook(mode, step, int(count or 1), directory)

    original_init = Store.__init__

    batch = os.environ.get("SMI_TEST_ALERT_BATCH")

    def init(self: Store, engine: Any, **kwargs: Any) -> None:
        original_init(self, engine, **kwargs)
        self.checkpoint = hook
        if batch:
            self.alert_batch = int(batch)

    Store.__init__ = init  # type: ignore[method-assign]
    sys.argv = ["smi", *smi_args]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
