"""Fixtures for driving the real `cpl` command line against a fresh database in a temp directory."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from cpl.config import MailSettings, Settings
from cpl.services import unit_of_work

ROOT = Path(__file__).resolve().parents[2]


def unit(url: str) -> contextlib.AbstractContextManager[Session]:
    """A unit of work as a command opens one: this test's database, the rest read from its environment."""
    return unit_of_work(dataclasses.replace(Settings.from_environment(os.environ), database_url=url))


def mail_settings() -> MailSettings:
    """The mail settings a command would read from this test's environment."""
    return MailSettings.from_environment(os.environ)


CPL = Path(sys.executable).with_name("cpl")


@dataclass
class CplRun:
    tmp: Path
    env: dict[str, str]

    def __call__(self, *args: str | Path, expect: int | None = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(CPL), *map(str, args)], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert "Traceback" not in result.stderr, result.stderr
        if expect is not None:
            assert result.returncode == expect, (result.returncode, result.stdout, result.stderr)
        return result

    def json(self, *args: str | Path, expect: int | None = 0) -> Any:
        return json.loads(self(*args, "--json", expect=expect).stdout)

    def parties(
        self,
        roles: Sequence[tuple[str, str]] = (
            ("acme-meters", "manufacturer"),
            ("northwind", "manufacturer"),
            ("bright-energy", "supplier"),
            ("dcc", "dcc"),
            ("secas", "secas"),
        ),
    ) -> None:
        for party, role in roles:
            self("parties", "add", party, "--role", role)
        self("parties", "add-user", "alice", "--party", "secas")
        self("parties", "add-user", "bob", "--party", "secas")


@pytest.fixture
def cpl(tmp_path: Path) -> Iterator[CplRun]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPL_")}
    env.update(
        {
            "CPL_DATABASE_URL": f"sqlite:///{tmp_path / 'cpl.db'}",
            "CPL_SPECS_FILE": str(tmp_path / "specifications.json"),
            "CPL_EXTRACT_DIR": str(tmp_path / "extracts"),
            "CPL_OUTBOX_DIR": str(tmp_path / "outbox"),
            "COLUMNS": "200",
        }
    )
    # The service is set up: its store exists (a command other than the set-up ones refuses a missing one).
    sqlite3.connect(tmp_path / "cpl.db").close()
    (tmp_path / "cpl.db").chmod(0o600)
    yield CplRun(tmp_path, env)
