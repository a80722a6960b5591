"""A command run where no store exists says which database it looked for and refuses (exit 2), instead
of answering from a new, empty store; only the commands that set a store up create one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.cpl.conftest import CPL


def _cpl(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPL_")}
    env["COLUMNS"] = "200"
    return subprocess.run([str(CPL), *args], cwd=directory, env=env, capture_output=True, text=True, timeout=120)


def test_a_command_in_a_directory_without_a_store_refuses_and_creates_nothing(tmp_path: Path) -> None:
    for args in (("list",), ("submissions", "list"), ("extract", "list"), ("audit", "verify")):
        done = _cpl(tmp_path, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "There is no CPL database at var/cpl.db" in done.stderr, done.stderr
        assert "cpl parties add" in done.stderr and "Traceback" not in done.stderr
        assert not (tmp_path / "var" / "cpl.db").exists()


def test_the_set_up_commands_start_a_store_and_the_others_then_use_it(tmp_path: Path) -> None:
    added = _cpl(tmp_path, "parties", "add", "secas", "--role", "secas")
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "var" / "cpl.db").exists()
    listed = _cpl(tmp_path, "list")
    assert listed.returncode == 0 and "0 entries" in listed.stdout


def test_a_command_that_needs_no_store_still_works_without_one(tmp_path: Path) -> None:
    assert _cpl(tmp_path, "codes", "--json").returncode == 0
    done = _cpl(tmp_path, "template", str(tmp_path / "t.xlsx"))
    assert done.returncode == 0 and (tmp_path / "t.xlsx").exists(), done.stderr
    assert not (tmp_path / "var" / "cpl.db").exists()
