"""The crontab in docs/operations.md works as written: its lines are taken from the document exactly
(between the `cron-recipe` markers), the checkout path substituted, and run with `sh -c` as cron runs
them, with cron's bare environment and the CPL_* variables of a test store, in a checkout-like
directory with no var/ yet. cron mails whatever a job prints, so success must print nothing, and a
failure exactly one line."""

from __future__ import annotations

import datetime as dt
import fcntl
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from cpl.core.domain import add_months
from tests.cpl.conftest import ROOT, CplRun
from tests.cpl.test_expiry import World, add_entry, build_world

OPERATIONS = ROOT / "docs" / "operations.md"
CHECKOUT_IN_DOCS = "/srv/cpl"


@dataclass(frozen=True)
class CronLine:
    schedule: str
    user: str
    command: str


def recipe() -> tuple[dict[str, str], list[CronLine]]:
    """The variables and job lines of the documented crontab, as cron reads /etc/cron.d."""
    text = OPERATIONS.read_text(encoding="utf-8")
    found = re.search(r"<!-- cron-recipe -->\n```\n(.*?)```\n<!-- /cron-recipe -->", text, re.DOTALL)
    assert found, "docs/operations.md has lost its cron-recipe block"
    variables: dict[str, str] = {}
    jobs: list[CronLine] = []
    for line in found.group(1).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assignment = re.fullmatch(r"([A-Z_]+)=(\S*)", line.strip())
        if assignment:
            variables[assignment.group(1)] = assignment.group(2)
            continue
        fields = line.split(maxsplit=6)
        jobs.append(CronLine(" ".join(fields[:5]), fields[5], fields[6]))
    return variables, jobs


def job(words: str) -> CronLine:
    (line,) = [j for j in recipe()[1] if words in j.command]
    return line


@dataclass
class Checkout:
    path: Path
    env: dict[str, str]

    @property
    def log_dir(self) -> Path:
        return self.path / "var" / "log"

    def run(self, line: CronLine) -> subprocess.CompletedProcess[str]:
        command = line.command.replace(CHECKOUT_IN_DOCS, str(self.path))
        return subprocess.run(["sh", "-c", command], env=self.env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def checkout(cpl: CplRun, monkeypatch: pytest.MonkeyPatch) -> Checkout:
    """A directory laid out as /srv/cpl is (its .venv the test's own), no var/ in it, and cron's
    environment: a bare PATH, HOME, SHELL, the crontab's variables, the test store's CPL_*."""
    monkeypatch.setenv("CPL_OUTBOX_DIR", cpl.env["CPL_OUTBOX_DIR"])
    path = cpl.tmp / "srv-cpl"
    path.mkdir()
    (path / ".venv").symlink_to(ROOT / ".venv")
    variables, _ = recipe()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cpl.tmp), "SHELL": "/bin/sh", "LOGNAME": "cpl", **variables}
    env.update({k: v for k, v in cpl.env.items() if k.startswith("CPL_")})
    return Checkout(path, env)


@pytest.fixture
def world(cpl: CplRun, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("CPL_OUTBOX_DIR", cpl.env["CPL_OUTBOX_DIR"])
    return build_world(cpl.tmp)


def due_today(world: World, model_id: str = "4331", party: str = "acme-meters") -> str:
    """An entry whose 12-month notice is owed today (its CPA ends in eleven months)."""
    return add_entry(world, model_id, expiry_date=add_months(dt.datetime.now(dt.UTC).date(), 11), party=party)


def failure_line(checkout: Checkout, status: int) -> str:
    return f"cpl expiry run failed with exit {status}; see {checkout.path}/var/log/expiry.log\n"


def log_events(path: Path) -> list[str]:
    return [line.split(" ", 1)[1] for line in path.read_text().splitlines()]


def test_the_recipe_runs_daily_at_six_utc_as_the_cpl_user_and_has_no_percent_sign() -> None:
    variables, jobs = recipe()
    assert variables == {"CRON_TZ": "UTC"}
    expiry = job("cpl expiry run")
    assert (expiry.schedule, expiry.user) == ("0 6 * * *", "cpl")
    assert all("%" not in j.command for j in jobs)  # cron reads % as a newline
    assert all(CHECKOUT_IN_DOCS in j.command for j in jobs)


def test_a_run_that_succeeds_prints_nothing_and_writes_its_log(checkout: Checkout, world: World) -> None:
    entry_id = due_today(world)
    assert not (checkout.path / "var").exists()
    first = checkout.run(job("cpl expiry run"))
    assert (first.returncode, first.stdout, first.stderr) == (0, "", "")
    log = checkout.log_dir / "expiry.log"
    events = log_events(log)
    assert len(events) == 2
    assert events[0].startswith("notice 1 sent to acme-meters <cpl@acme.example> (" + entry_id + ", 12-month notice")
    assert events[1].startswith("expiry run as of ") and "notices sent: 1 cpa-expiry-12-months" in events[1]
    assert len(list(world.outbox.glob("*.eml"))) == 1
    again = checkout.run(job("cpl expiry run"))
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert len(log_events(log)) == 3 and "notices sent: none" in log_events(log)[2]  # appended
    assert len(list(world.outbox.glob("*.eml"))) == 1


def test_a_run_that_fails_prints_one_line_naming_the_exit_and_the_log(checkout: Checkout, world: World) -> None:
    entry_id = due_today(world, party="northwind")  # no address: exit 1, said once
    first = checkout.run(job("cpl expiry run"))
    assert (first.returncode, first.stdout, first.stderr) == (0, failure_line(checkout, 1), "")
    assert any(
        e.startswith(f"{entry_id}: the 12-month CPA notice is owed to northwind")
        for e in log_events(checkout.log_dir / "expiry.log")
    )
    second = checkout.run(job("cpl expiry run"))  # reported once: the operator is mailed once
    assert (second.returncode, second.stdout, second.stderr) == (0, "", "")


def test_a_database_that_cannot_be_opened_prints_the_one_line(checkout: Checkout) -> None:
    (checkout.path / "not-a-directory").write_text("a file\n")
    checkout.env["CPL_DATABASE_URL"] = f"sqlite:///{checkout.path}/not-a-directory/cpl.db"
    result = checkout.run(job("cpl expiry run"))
    assert (result.returncode, result.stdout, result.stderr) == (0, failure_line(checkout, 2), "")
    (logged,) = (checkout.log_dir / "expiry.log").read_text().splitlines()
    assert logged.startswith(f"There is no CPL database at {checkout.path}/not-a-directory/cpl.db ")


def test_a_run_still_going_keeps_the_next_one_out_and_that_is_said(checkout: Checkout, world: World) -> None:
    due_today(world)
    (checkout.path / "var").mkdir()
    with (checkout.path / "var" / "expiry.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the slow run's flock holds it
        result = checkout.run(job("cpl expiry run"))
    assert (result.returncode, result.stdout, result.stderr) == (0, failure_line(checkout, 1), "")
    assert not world.outbox.exists()


def test_the_retry_line_runs_quietly_and_logs(checkout: Checkout, world: World) -> None:
    due_today(world)
    quiet = checkout.run(job("cpl notices send"))
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert log_events(checkout.log_dir / "notices.log") == ["Notices sent: none."]
    checkout.env["CPL_SMTP_URL"] = "smtp://127.0.0.1:9"  # the daily run queues, the server is down
    assert checkout.run(job("cpl expiry run")).stdout == failure_line(checkout, 1)
    down = checkout.run(job("cpl notices send"))
    assert (down.returncode, down.stdout, down.stderr) == (0, "", "")  # no mail every quarter hour
    assert "cannot be reached" in log_events(checkout.log_dir / "notices.log")[1]
