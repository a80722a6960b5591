"""Fixtures shared by every test package.

`postgres_server`: a real PostgreSQL server the tests start themselves (session-scoped, one per
pytest-xdist worker), in a temporary data directory, listening on a private unix socket directory
and on a free 127.0.0.1 port, with trust authentication. Tests that need it are skipped, saying
why, only when PostgreSQL's `initdb` is not installed. `postgres_server.create_database()` gives
each test (or each test module) a fresh database and returns its SQLAlchemy URL.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Settings for a throw-away test server: durability off, it only has to be fast.
_SERVER_SETTINGS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB"
)


def postgres_bindir() -> Path | None:
    """Where PostgreSQL's server programs are: on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


@dataclass(frozen=True)
class PostgresServer:
    """A running test server: connect over ``socket_dir`` (or 127.0.0.1:``port``) as ``user``."""

    socket_dir: Path
    port: int
    user: str = "postgres"

    def url(self, database: str = "postgres", *, driver: str = "postgresql+psycopg", tcp: bool = False) -> str:
        if tcp:
            return f"{driver}://{self.user}@127.0.0.1:{self.port}/{database}"
        return f"{driver}://{self.user}@/{database}?host={self.socket_dir}&port={self.port}"

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh, empty database and return its SQLAlchemy URL."""
        import psycopg

        database = name or f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host=str(self.socket_dir), port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')  # our own generated name, not user input
        return self.url(database)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.socket_dir), port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run the command as the `postgres` user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed here, or the server would not start."""


@contextmanager
def running_postgres(settings: str = _SERVER_SETTINGS) -> Iterator[PostgresServer]:
    """Start a throw-away PostgreSQL server in a temporary directory; stop and remove it afterwards.

    Plain context manager, so that benchmarks can use it too; the tests use `postgres_server`.
    """
    bindir = postgres_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "PostgreSQL is not installed (no initdb found on PATH or under "
            "/usr/lib/postgresql); run `make system-packages`."
        )
    base = Path(tempfile.mkdtemp(prefix="test-postgres-"))
    data, sockets, log = base / "data", base / "sockets", base / "server.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        port = 0
        for _attempt in range(5):  # another worker may take the free port first: try another
            port = _free_port()
            options = f"-k {sockets} -p {port} -c listen_addresses=127.0.0.1 {settings}"
            started = subprocess.run(
                _as_postgres(
                    [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"]
                ),
                capture_output=True,
                text=True,
                timeout=90,
            )
            if started.returncode == 0:
                break
        else:
            message = log.read_text(errors="replace")[-2000:] if log.exists() else started.stderr
            raise PostgresUnavailable(f"the test PostgreSQL server did not start: {message}")
        try:
            yield PostgresServer(socket_dir=sockets, port=port)
        finally:
            subprocess.run(
                _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                timeout=60,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if postgres_bindir() is None:
        pytest.skip(
            "PostgreSQL is not installed (no initdb found on PATH or under /usr/lib/postgresql); "
            "run `make system-packages` to run the PostgreSQL tests."
        )
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as error:
        pytest.fail(str(error))


#: The SEC's own CPL workbook (version 2.051, public) beside the repository, as CI has it: the
#: strongest specification the project has. Tests that read it fail, never skip, when it is missing.
SEC_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "central_products_list_v2.051.xlsm"


@pytest.fixture(scope="session")
def sec_reference() -> Path:
    assert SEC_REFERENCE.is_file(), f"the SEC's CPL workbook is expected at {SEC_REFERENCE} (../shared/reference/)"
    return SEC_REFERENCE
