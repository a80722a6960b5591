"""Start-up of the command line: `cpl --help`, `smi --help` and a one-row `cpl check`, against `python -c pass`.

Each command runs as its console script in a fresh process, alternated with the same interpreter
doing nothing, in the same run; the medians of the runs are compared. The aims are absolute: a help
within 0.3 s and a one-row check within 0.6 s (a check reads the stored CPL: on SQLite in a read-only
transaction of its own, without the ORM).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import ROOT, Measurement, median_alternated
from cpl.demo.samples import sample_submission
from cpl.store import get_engine
from cpl.workbook.template import write_submission

RUNS = 7
BIN = Path(sys.executable).parent
HELP_AIM_SECONDS = 0.3
CHECK_AIM_SECONDS = 0.6


def _runner(argv: Sequence[str | Path], env: dict[str, str], expect: int = 0) -> Callable[[], None]:
    command = [str(a) for a in argv]

    def run() -> None:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == expect, (command, done.returncode, done.stdout[-500:], done.stderr[-500:])

    return run


def _environment(tmp: Path) -> dict[str, str]:
    """The commands' settings, on a store of their own: started, with its tables, and empty."""
    # As a user's shell runs them: Python may cache the bytecode it compiles (the warm-up run writes it),
    # whatever this machine's PYTHONDONTWRITEBYTECODE says.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CPL_", "SMI_")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        {
            "CPL_DATABASE_URL": f"sqlite:///{tmp / 'cpl.db'}",
            "CPL_SPECS_FILE": str(tmp / "specifications.json"),
            "CPL_EXTRACT_DIR": str(tmp / "extracts"),
            "CPL_OUTBOX_DIR": str(tmp / "outbox"),
            "SMI_DATABASE_URL": f"sqlite:///{tmp / 'smi.db'}",
        }
    )
    get_engine(env["CPL_DATABASE_URL"]).dispose()
    return env


def run() -> list[Measurement]:
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        env = _environment(tmp)
        workbook = tmp / "one.xlsx"
        sample = sample_submission(1)
        write_submission(workbook, sample.entries, sample.certificates)
        nothing = _runner([sys.executable, "-c", "pass"], env)
        commands = [
            ("cpl --help", [BIN / "cpl", "--help"], HELP_AIM_SECONDS),
            ("smi --help", [BIN / "smi", "--help"], HELP_AIM_SECONDS),
            ("cpl check (one row)", [BIN / "cpl", "check", workbook, "--as-of", "2026-11-23"], CHECK_AIM_SECONDS),
        ]
        results = []
        for name, argv, limit in commands:
            ours, baseline = median_alternated(RUNS, _runner(argv, env), nothing)
            results.append(
                Measurement(
                    f"{name}, median of {RUNS}", ours, "python -c pass, same venv", baseline, seconds_limit=limit
                )
            )
    return results
