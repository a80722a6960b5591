"""Which modules a console script loads: run it as its shell would, and read `sys.modules` at exit.

The start-up tests of `cpl` and `smi` assert from this what a command never imports (no timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_REPORT_MODULES = """
import atexit, json, runpy, sys
report, script, *args = sys.argv[1:]
atexit.register(lambda: open(report, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = [script, *args]
runpy.run_path(script, run_name="__main__")
"""


def modules_loaded(
    script: Path, *args: str | Path, report: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the console script ``script`` as its shell would, and the modules loaded when it exited."""
    done = subprocess.run(
        [sys.executable, "-c", _REPORT_MODULES, str(report), str(script), *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, set(json.loads(report.read_text()))


def loaded_of(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (packages and modules) were loaded: a name or any module under it."""
    return sorted(name for name in names if any(m == name or m.startswith(name + ".") for m in modules))
