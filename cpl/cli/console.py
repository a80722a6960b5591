"""What every `cpl` command shares: the consoles, refusals as sentences, inputs, JSON, the settings.

Exit codes: 0 success, 1 understood and refused (findings, refusals), 2 unusable input. Errors are
one sentence on stderr; tracebacks only for bugs.

Nothing heavy is imported here at module level: `cpl --help` and `cpl check` load this module, and the
store (SQLAlchemy), the mailer and rich's tables are imported by the functions that use them.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from cpl.core import errors

if TYPE_CHECKING:
    from pydantic import BaseModel

    from cpl import mailer
    from cpl.config import Settings
    from cpl.core.findings import Finding

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ByOpt = Annotated[str, typer.Option("--by", help="The acting user (a SECAS user id for SECAS actions).")]


def settings(ctx: typer.Context) -> Settings:
    """The settings the root command read from the environment, once, for this invocation."""
    from cpl.config import Settings

    found = ctx.find_root().obj
    assert isinstance(found, Settings), "the root callback sets the settings"
    return found


def fail(message: str, code: int) -> NoReturn:
    err.print(message, markup=False, soft_wrap=True)  # one sentence, one line (a log under cron, 80 columns)
    raise typer.Exit(code)


@contextmanager
def refusals() -> Iterator[None]:
    """Named refusals become a sentence and an exit code, never a traceback."""
    try:
        yield
    except errors.CplError as refusal:
        fail(str(refusal), refusal.exit_code)


@contextmanager
def concurrent_runs(what: str) -> Iterator[None]:
    """Two runs at the same moment queue the same notices; the later one keeps nothing and says so."""
    from sqlalchemy.exc import IntegrityError

    try:
        yield
    except (IntegrityError, errors.ConcurrentChangeError):
        fail(
            f"Another {what} recorded the same notices at the same time; nothing from this one was kept, run it again.",
            1,
        )


def read_input(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        fail(f"The {what} {path} does not exist.", 2)
    except IsADirectoryError:
        fail(f"The {what} {path} is a directory, not a file.", 2)
    except OSError as problem:
        fail(f"The {what} {path} cannot be read ({problem.strerror}).", 2)


def writable_output(path: Path, what: str) -> None:
    """Refuse (one sentence, exit 2) a file path the user gave that cannot be written: a directory, or
    one in a directory that does not exist (a mistyped path is never created)."""
    if path.is_dir():
        fail(f"Cannot write the {what} to {path}: it is a directory; give the file's name.", 2)
    parent = path.parent
    if not parent.exists():
        fail(f"Cannot write the {what} to {path}: the directory {parent} does not exist.", 2)
    if not parent.is_dir():
        fail(f"Cannot write the {what} to {path}: {parent} is not a directory.", 2)


def write_output(path: Path, data: bytes, what: str) -> None:
    """Write a file the user named, whole or not at all; any path that cannot be written is one sentence and exit 2."""
    from cpl.files import write_atomically

    writable_output(path, what)
    try:
        write_atomically(path, data)
    except OSError as problem:
        fail(f"Cannot write the {what} to {path} ({problem.strerror or problem}).", 2)


def parse_date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option} takes a date as YYYY-MM-DD, not {text!r}.", 2)


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def dumped(views: Sequence[BaseModel]) -> list[dict[str, Any]]:
    """Views (`cpl.views`) as the JSON the API returns for them."""
    return [view.model_dump(mode="json") for view in views]


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def print_findings(findings: Sequence[Finding]) -> None:
    from rich.table import Table

    if not findings:
        out.print("No findings: the workbook meets every CPL rule.")
        return
    table = Table("code", "severity", "sheet", "row", "column", "message", show_lines=False)
    for f in findings:
        table.add_row(f.code, f.severity, f.sheet or "", str(f.row or ""), f.column or "", f.message)
    out.print(table)
    errors_found = sum(f.is_error for f in findings)
    out.print(f"{errors_found} error(s), {len(findings) - errors_found} warning(s).")


# --- notices after a command's transaction ---------------------------------------------------------


def deliver(config: Settings) -> mailer.DeliveryReport:
    """Send what is queued, after the command's transaction committed."""
    from cpl import mailer
    from cpl.store import get_engine

    with refusals():
        return mailer.deliver_queued(get_engine(config.database_url, create=config.new_store_allowed), config.mail)


def counts(by_kind: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(by_kind.items())) or "none"


def report_failures(report: mailer.DeliveryReport) -> None:
    for failure in report.failures:
        err.print(f"{failure.rstrip('.')}; it stays queued for 'cpl notices send'.", markup=False)
