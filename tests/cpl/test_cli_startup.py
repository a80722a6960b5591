"""`cpl` starts quickly: its help and a check load only what they use.

Each test runs the installed console script in a fresh interpreter and reads back which modules were
loaded when it exited. No timings (they flake on a busy machine): the modules are what a start-up
costs, and `make bench` (bench/bench_startup.py) measures the time.
"""

from __future__ import annotations

from cpl.cli import operations
from cpl.demo.samples import sample_submission
from cpl.services import proposals
from cpl.workbook.template import write_submission
from tests.cpl.conftest import CPL, CplRun
from tests.startup import loaded_of, modules_loaded

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

#: What a check needs no part of: it reads the workbook and the stored CPL, and writes nothing.
NOT_FOR_A_CHECK = (*WEB_STACK, "openpyxl", "cpl.publication", "cpl.views", "cpl.workbook.template", "pygments")


def test_cpl_help_loads_no_store_no_services_and_no_web_stack(cpl: CplRun) -> None:
    done, modules = modules_loaded(CPL, "--help", report=cpl.tmp / "modules.json", env=cpl.env)
    assert done.returncode == 0 and "check" in done.stdout, done.stderr
    assert loaded_of(modules, (*WEB_STACK, *STORE_AND_SERVICES)) == []


#: A command's own help runs the root first, which reads the settings (`cpl.config`, with its trust
#: anchors: cryptography), and typer checks the options with pydantic; no store and no service.
NOT_FOR_A_COMMAND_S_HELP = tuple(m for m in STORE_AND_SERVICES if m not in ("pydantic", "cryptography"))


def test_a_command_s_own_help_loads_no_store_either(cpl: CplRun) -> None:
    for command in (("check",), ("extract", "approve"), ("submissions", "show")):
        done, modules = modules_loaded(CPL, *command, "--help", report=cpl.tmp / "modules.json", env=cpl.env)
        assert done.returncode == 0 and "Example: cpl " in done.stdout, (command, done.stderr)
        assert loaded_of(modules, (*WEB_STACK, *NOT_FOR_A_COMMAND_S_HELP)) == [], command


def test_a_one_row_check_loads_no_web_stack_and_no_workbook_writer(cpl: CplRun) -> None:
    """A check reads the stored CPL (D001, P005), so it opens the store; it needs no HTTP, no views,
    no publication and no workbook writer."""
    sample = sample_submission(1)
    workbook = cpl.tmp / "one.xlsx"
    write_submission(workbook, sample.entries, sample.certificates)
    done, modules = modules_loaded(
        CPL, "check", workbook, "--as-of", "2026-11-23", report=cpl.tmp / "modules.json", env=cpl.env
    )
    assert done.returncode == 0 and "No findings" in done.stdout, (done.stdout, done.stderr)
    assert loaded_of(modules, NOT_FOR_A_CHECK) == []
    assert "cpl.store" in modules  # the check does read the store: the list above is not vacuous


def test_the_proposals_list_default_is_the_services_open_state() -> None:
    """`cpl proposals list --state` defaults to a literal (the services load only when a command runs)."""
    assert operations.OPEN_PROPOSALS == proposals.OPEN
