"""`cpl` starts quickly: its help and a check load only what they use.

Each test runs the installed console script in a fresh interpreter and reads back which modules were
loaded when it exited. No timings (they flake on a busy machine): the modules are what a start-up
costs, and `make bench` (bench/bench_startup.py) measures the time.
"""

from __future__ import annotations

import json
from pathlib import Path

from cpl.cli import operations
from cpl.core.domain import SubmissionType
from cpl.demo.samples import ACME, Row, sample_row
from cpl.services import proposals
from cpl.workbook.template import write_submission
from formats.vocabulary import PhysicalDeviceType
from tests.cpl.conftest import CPL, CplRun
from tests.startup import loaded_of, modules_loaded

GAS = PhysicalDeviceType.GAS_SMART_METER

#: The web stack: only `cpl serve` needs it.
WEB_STACK = ("fastapi", "starlette", "uvicorn", "httpx", "jinja2", "api.app")

#: The database layer, the services, the views and the writers: only the commands that use them.
STORE_AND_SERVICES = (
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "cpl.store",
    "cpl.services",
    "cpl.views",
    "cpl.mailer",
    "cpl.publication",
    "smtplib",
    "openpyxl",
    "python_calamine",
    "cryptography",
)

#: What a check needs no part of: it reads the workbook and the stored CPL, and writes nothing. On a
#: SQLite store it reads in a read-only transaction of its own (`cpl.storage`), so no ORM, no store
#: module and no mailer either; and an unsigned workbook needs no cryptography.
NOT_FOR_A_CHECK = (
    *WEB_STACK,
    "openpyxl",
    "cpl.publication",
    "cpl.views",
    "cpl.workbook.template",
    "pygments",
    "sqlalchemy",
    "sqlmodel",
    "cpl.store",
    "cpl.mailer",
    "smtplib",
    "cryptography",
    "asn1crypto",
)


def test_cpl_help_loads_no_store_no_services_and_no_web_stack(cpl: CplRun) -> None:
    done, modules = modules_loaded(CPL, "--help", report=cpl.tmp / "modules.json", env=cpl.env)
    assert done.returncode == 0 and "check" in done.stdout, done.stderr
    assert loaded_of(modules, (*WEB_STACK, *STORE_AND_SERVICES)) == []


#: A command's own help runs the root first, which reads the settings (`cpl.config`: the trust anchors
#: are named there, and loaded, with cryptography, only by what verifies), and typer checks the options
#: with pydantic; no store, no service and no cryptography.
NOT_FOR_A_COMMAND_S_HELP = tuple(m for m in STORE_AND_SERVICES if m != "pydantic")


def test_a_command_s_own_help_loads_no_store_either(cpl: CplRun) -> None:
    for command in (("check",), ("extract", "approve"), ("submissions", "show")):
        done, modules = modules_loaded(CPL, *command, "--help", report=cpl.tmp / "modules.json", env=cpl.env)
        assert done.returncode == 0 and "Example: cpl " in done.stdout, (command, done.stderr)
        assert loaded_of(modules, (*WEB_STACK, *NOT_FOR_A_COMMAND_S_HELP)) == [], command


def _one_row(path: Path, entry: Row, certificates: list[Row]) -> Path:
    write_submission(path, [entry], certificates)
    return path


def test_a_one_row_check_reads_the_stored_cpl_without_the_orm(cpl: CplRun) -> None:
    """A check reads the stored CPL (D001, P001, P005) without SQLAlchemy on SQLite; it needs no HTTP, no
    views, no publication and no workbook writer. It does read the store: the entry approved here is
    already listed (D001), and of the parties only a supplier may confirm a firmware update (P001)."""
    cpl.parties()
    entry, certificates = sample_row(GAS, 1, maker=ACME)
    listed = _one_row(cpl.tmp / "listed.xlsx", entry, certificates)
    cpl("submit", listed, "--party", "acme-meters")
    cpl("approve", "1", "--by", "alice")

    def check(workbook: Path) -> list[str]:
        done, modules = modules_loaded(
            CPL, "check", workbook, "--as-of", "2026-11-23", "--json", report=cpl.tmp / "modules.json", env=cpl.env
        )
        assert done.returncode in (0, 1) and "Traceback" not in done.stderr, (done.stdout, done.stderr)
        assert loaded_of(modules, NOT_FOR_A_CHECK) == []
        return sorted(f["code"] for f in json.loads(done.stdout)["findings"])

    assert check(listed) == ["D001"]
    for supplier, findings in (("bright-energy", []), ("northwind", ["P001"])):  # northwind makes meters
        update, update_certificates = sample_row(
            GAS, 1, maker=ACME, submission_type=SubmissionType.FIRMWARE_UPDATE, firmware="9002"
        )
        update |= {"firmware_mapping_evidence": "RN 9002 s.3", "confirming_supplier": supplier}
        assert check(_one_row(cpl.tmp / f"update-{supplier}.xlsx", update, update_certificates)) == findings


def test_the_proposals_list_default_is_the_services_open_state() -> None:
    """`cpl proposals list --state` defaults to a literal (the services load only when a command runs)."""
    assert operations.OPEN_PROPOSALS == proposals.OPEN
