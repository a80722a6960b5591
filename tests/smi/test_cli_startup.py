"""`smi` starts quickly: its help loads no database layer, no service and no web stack.

The installed console script runs in a fresh interpreter and reports which modules were loaded when
it exited. No timings (they flake on a busy machine): `make bench` (bench/bench_startup.py) has them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.smi.commandline import SMI
from tests.startup import loaded_of
from tests.startup import modules_loaded as script_modules_loaded

#: Only `smi serve` needs the web stack; only the commands that read the inventory need the rest.
NOT_FOR_HELP = (
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "jinja2",
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "cryptography",
    "api.smi_app",
    "smi.store",
    "smi.service",
    "smi.views",
    "smi.preview",
    "smi.report_page",
    "smi.signed",
)


def modules_loaded(*args: str, report: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `smi ARGS` as its shell would, and the modules loaded when it exited."""
    return script_modules_loaded(SMI, *args, report=report)


def test_smi_help_loads_no_store_no_service_and_no_web_stack(tmp_path: Path) -> None:
    done, modules = modules_loaded("--help", report=tmp_path / "modules.json")
    assert done.returncode == 0 and "ingest" in done.stdout, done.stderr
    assert loaded_of(modules, NOT_FOR_HELP) == []


def test_a_command_s_own_help_loads_none_of_them_either(tmp_path: Path) -> None:
    """(But pydantic: typer checks a command's options with it.)"""
    for command in ("ingest", "report", "seed"):
        done, modules = modules_loaded(command, "--help", report=tmp_path / "modules.json")
        assert done.returncode == 0 and f"Example: smi {command}" in done.stdout, (command, done.stdout)
        assert loaded_of(modules, tuple(m for m in NOT_FOR_HELP if m != "pydantic")) == [], command
