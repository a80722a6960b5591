"""A command run where no store exists says which database it looked for and refuses (exit 2), instead
of answering from a new, empty store; only the commands that set a store up create one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cpl.demo.samples import sample_submission
from cpl.workbook.template import write_submission
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


def test_a_check_where_there_is_no_store_refuses_with_the_same_sentence(tmp_path: Path) -> None:
    """A check reads the store without the ORM; its refusal is the store's own, word for word."""
    sample = sample_submission(1)
    write_submission(tmp_path / "one.xlsx", sample.entries, sample.certificates)
    checked = _cpl(tmp_path, "check", "one.xlsx", "--as-of", "2026-11-23")
    listed = _cpl(tmp_path, "list")
    assert checked.returncode == 2 and "Traceback" not in checked.stderr, checked.stderr
    assert checked.stderr.startswith("There is no CPL database at var/cpl.db ") and checked.stderr == listed.stderr
    assert not (tmp_path / "var").exists()
