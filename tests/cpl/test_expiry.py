"""The CPA expiry job: each rule as a test, the at-most-once / never-missed property, the real command line."""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from cpl import audit, mailer
from cpl.config import DEFAULT_MAIL_FROM
from cpl.core import expiry as expiry_rules
from cpl.core import notices
from cpl.core.domain import CpaDates, PartyRole, add_months, cpa_effective_expiry, notice_date
from cpl.services import entries as entry_service
from cpl.services import expiry as expiry_job
from cpl.services import parties as party_service
from cpl.store import AuditEvent, Certificate, Entry, RemovalProposal, SentNotice, Submission, get_engine
from formats.vocabulary import AssuranceScheme, EntryStatus
from tests.conftest import PostgresServer
from tests.cpl.conftest import CplRun, mail_settings, unit

NOW = dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC)
END = dt.date(2028, 1, 31)
TWELVE = notice_date(END, 12)  # 2027-01-31
SIX = notice_date(END, 6)  # 2027-07-31
ACME_MAIL = "cpl@acme.example"

# --- a stored CPL, built with the real tables and service ----------------------------------------


@dataclass
class World:
    url: str
    outbox: Path

    def session(self) -> Session:
        return Session(get_engine(self.url), expire_on_commit=False)

    def run(self, as_of: dt.date) -> tuple[expiry_job.ExpiryRun, mailer.DeliveryReport]:
        """What `cpl expiry run` does: one transaction to plan and queue, then delivery."""
        with unit(self.url) as session:
            mailer.deliver_myself(session)
            run = expiry_job.run_expiry(session, as_of, NOW)
        return run, mailer.deliver_queued(get_engine(self.url), mail_settings())

    def mails(self) -> list[EmailMessage]:
        parser = email.parser.BytesParser(policy=email.policy.default)
        found = sorted(self.outbox.glob("*.eml")) if self.outbox.exists() else []
        return [parser.parsebytes(p.read_bytes()) for p in found]  # type: ignore[misc,unused-ignore]

    def count(self, table: type[SentNotice] | type[RemovalProposal] | type[AuditEvent]) -> int:
        with self.session() as s:
            return int(s.exec(select(func.count()).select_from(table)).one())


def build_world(directory: Path, url: str | None = None) -> World:
    world = World(url or f"sqlite:///{directory / 'cpl.db'}", directory / "outbox")
    with unit(world.url) as s:
        for party, role, mail in (
            ("acme-meters", PartyRole.MANUFACTURER, ACME_MAIL),
            ("northwind", PartyRole.MANUFACTURER, None),
            ("secas", PartyRole.SECAS, "cpl@secas.example"),
        ):
            party_service.add_party(s, party, party, role, NOW, mail)
            s.flush()
            party_service.add_user(s, party, party, party, NOW)
        party_service.add_user(s, "alice", "secas", "Alice", NOW)
        s.flush()
        for party in ("acme-meters", "northwind"):
            s.add(
                Submission(
                    party_id=party,
                    submitted_by=party,
                    submitted_at=NOW,
                    filename=f"{party}.xlsx",
                    workbook=b"x",
                    workbook_sha256="0" * 64,
                    checked_as_of=NOW.date(),
                    findings_json="[]",
                    state="approved",
                )
            )
    return world


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.delenv("CPL_SMTP_URL", raising=False)
    monkeypatch.delenv("CPL_MAIL_FROM", raising=False)
    monkeypatch.setenv("CPL_OUTBOX_DIR", str(tmp_path / "outbox"))
    return build_world(tmp_path)


def add_entry(
    world: World,
    model_id: str = "4331",
    *,
    expiry_date: dt.date = END,
    conditional: dt.date | None = None,
    party: str = "acme-meters",
) -> str:
    with unit(world.url) as s:
        submission = s.exec(select(Submission).where(Submission.party_id == party)).one()
        certificate = f"CPA-{model_id}"
        s.add(
            Certificate(
                scheme="CPA",
                number=certificate,
                manufacturer_id="106C",
                model_id=model_id,
                hardware_version="00AC",
                firmware_versions="9001",
                issued=dt.date(2025, 1, 1),
                expiry=expiry_date,
                conditional_date=conditional,
            )
        )
        entry = Entry(
            physical_device_type="Gas Smart Meter",
            manufacturer="Acme Meters",
            manufacturer_id="106C",
            model="G4",
            model_id=model_id,
            hardware_version="00AC",
            firmware_version="9001",
            release_notes="RN",
            technical_specification="SMETS2 v4.2",
            gbcs_version="v4.2",
            zigbee_certificate=f"ZB-{model_id}",
            cpa_certificate=certificate,
            cpa_expiry=expiry_date,
            cpa_conditional_date=conditional,
            submission_type="New",
            status=EntryStatus.ACTIVE,
            status_since=NOW.date(),
            submission_id=submission.id or 0,
            submitting_party_id=party,
        )
        s.add(entry)
        s.flush()
        return f"CPL-{entry.id:06d}"


def kinds(world: World) -> list[tuple[str, str]]:
    with world.session() as s:
        rows = s.exec(select(SentNotice).order_by(col(SentNotice.id))).all()
        return [(n.kind, n.subject_ref) for n in rows]


TWELVE_KIND, SIX_KIND = notices.cpa_expiry_kind(12), notices.cpa_expiry_kind(6)

# --- the rules, through the runner ---------------------------------------------------------------


def test_notice_is_not_sent_before_its_window_opens(world: World) -> None:
    add_entry(world)
    run, report = world.run(TWELVE - dt.timedelta(days=1))
    assert run.queued == [] and report.sent == [] and world.mails() == []


def test_twelve_month_notice_sent_once(world: World) -> None:
    entry_id = add_entry(world)
    _, report = world.run(TWELVE)
    assert [n.kind for n in report.sent] == [TWELVE_KIND]
    for later in (TWELVE, TWELVE + dt.timedelta(days=1), TWELVE + dt.timedelta(days=30)):
        run, again = world.run(later)
        assert run.queued == [] and again.sent == []
    assert kinds(world) == [(TWELVE_KIND, f"{entry_id}@{END.isoformat()}")]
    assert len(world.mails()) == 1


def test_six_month_notice_after_twelve(world: World) -> None:
    add_entry(world)
    _, first = world.run(TWELVE + dt.timedelta(days=3))
    _, between = world.run(SIX - dt.timedelta(days=1))
    _, second = world.run(SIX)
    assert [n.kind for n in first.sent] == [TWELVE_KIND]
    assert between.sent == []
    assert [n.kind for n in second.sent] == [SIX_KIND]


def test_late_run_still_sends_each_owed_notice_once(world: World) -> None:
    add_entry(world)
    eight_months_late = add_months(TWELVE, 8)  # four months before the end: both windows are open
    _, report = world.run(eight_months_late)
    assert sorted(n.kind for n in report.sent) == sorted([TWELVE_KIND, SIX_KIND])
    _, again = world.run(eight_months_late + dt.timedelta(days=1))
    assert again.sent == [] and len(world.mails()) == 2


def test_notice_goes_to_the_submitting_party_with_entry_model_and_end_date(world: World) -> None:
    entry_id = add_entry(world)
    world.run(TWELVE)
    (mail,) = world.mails()
    assert mail["To"] == ACME_MAIL and mail["From"] == DEFAULT_MAIL_FROM
    assert entry_id in mail["Subject"] and END.isoformat() in mail["Subject"]
    body = " ".join(mail.get_body().get_content().split())  # type: ignore[union-attr]
    assert entry_id in body and "Gas Smart Meter" in body and "Acme Meters G4" in body and "CPA-4331" in body
    assert f"stops counting on {END.isoformat()}" in body and "12-month notice" in body


def test_conditional_date_counts_until_conditions_met(world: World) -> None:
    conditional = dt.date(2027, 7, 31)
    entry_id = add_entry(world, expiry_date=dt.date(2031, 1, 31), conditional=conditional)
    _, report = world.run(notice_date(conditional, 12))
    (notice,) = report.sent
    assert notice.subject_ref == f"{entry_id}@{conditional.isoformat()}"
    body = " ".join(world.mails()[0].get_body().get_content().split())  # type: ignore[union-attr]
    assert "conditional" in body and "unless its conditions are recorded as met" in body
    with unit(world.url) as s:
        entry_service.record_conditions_met(s, "CPA-4331", "alice", NOW)
    # The expiry date counts now; its windows are years away, and the conditional date no longer ends it.
    run, again = world.run(conditional + dt.timedelta(days=1))
    assert run.queued == [] and run.proposals == [] and again.sent == []


def test_extension_moves_notices(world: World) -> None:
    first_end = dt.date(2027, 7, 31)
    entry_id = add_entry(world, expiry_date=dt.date(2031, 1, 31), conditional=first_end)
    world.run(notice_date(first_end, 6))  # both windows of the first end date
    extended = add_months(first_end, 6)  # the conditional period extended by six months
    with unit(world.url) as s:
        entry_service.record_conditions_met(s, "CPA-4331", "alice", NOW, new_conditional_date=extended)
    _, report = world.run(notice_date(first_end, 6) + dt.timedelta(days=1))
    assert [(n.kind, n.subject_ref) for n in report.sent] == [(TWELVE_KIND, f"{entry_id}@{extended.isoformat()}")]
    _, later = world.run(notice_date(extended, 6))
    assert [(n.kind, n.subject_ref) for n in later.sent] == [(SIX_KIND, f"{entry_id}@{extended.isoformat()}")]
    assert len(world.mails()) == 4


def test_expired_cpa_becomes_a_removal_proposal_not_a_removal(world: World) -> None:
    entry_id = add_entry(world)
    run, _ = world.run(END)
    (proposal,) = run.proposals
    assert proposal.proposed_status == EntryStatus.EXPIRED and proposal.state == "open"
    assert proposal.reason == f"CPA certificate CPA-4331 expired on {END.isoformat()}"
    with world.session() as s:
        entry = entry_service.get_entry(s, entry_id)
        assert entry.status == EntryStatus.ACTIVE and entry.panel_reference is None
        assert [p.id for p in entry_service.open_proposals(s)] == [proposal.id]


def test_lapsed_conditional_date_becomes_a_removal_proposal_naming_it(world: World) -> None:
    conditional = dt.date(2027, 3, 1)
    add_entry(world, expiry_date=dt.date(2031, 1, 31), conditional=conditional)
    run, _ = world.run(conditional + dt.timedelta(days=10))
    (proposal,) = run.proposals
    assert "CPA-4331" in proposal.reason and "conditional date 2027-03-01" in proposal.reason
    assert "conditions recorded as met" in proposal.reason


def test_proposals_are_not_duplicated_across_runs_even_once_dismissed(world: World) -> None:
    add_entry(world)
    world.run(END)
    with unit(world.url) as s:
        for proposal in entry_service.open_proposals(s):
            proposal.state = "dismissed"  # the Panel let it stand for now
            s.add(proposal)
    run, _ = world.run(END + dt.timedelta(days=5))
    assert run.proposals == [] and world.count(RemovalProposal) == 1


def test_rerun_changes_nothing(world: World) -> None:
    add_entry(world, "4331")
    add_entry(world, "4332", expiry_date=dt.date(2027, 3, 31))
    add_entry(world, "4333", expiry_date=dt.date(2026, 12, 31))
    as_of = dt.date(2027, 4, 2)
    world.run(as_of)
    before = (world.count(SentNotice), world.count(RemovalProposal), world.count(AuditEvent), len(world.mails()))
    assert before[0] > 0 and before[1] == 2
    for _ in range(3):
        run, report = world.run(as_of)
        assert not run.did_something and report.sent == []
    after = (world.count(SentNotice), world.count(RemovalProposal), world.count(AuditEvent), len(world.mails()))
    assert after == before


def test_a_run_that_acts_is_in_the_audit_log(world: World) -> None:
    add_entry(world)
    world.run(END)
    world.run(END)
    with world.session() as s:
        events = audit.all_events(s)
        runs = [e for e in events if e.action == "expiry.run"]
        assert [e.subject for e in runs] == [f"as-of:{END.isoformat()}"] and runs[0].actor == expiry_job.ACTOR
        assert audit.verify_chain(events) is None


def test_party_without_email_is_reported_and_still_owed(world: World) -> None:
    entry_id = add_entry(world, party="northwind")
    run, _ = world.run(TWELVE)
    assert run.unaddressed == [(entry_id, "northwind", 12)] and world.count(SentNotice) == 0
    again, _ = world.run(TWELVE)
    assert again.unaddressed == [(entry_id, "northwind", 12)]


def test_revoked_certificate_gets_no_expiry_notices(world: World) -> None:
    add_entry(world)
    with unit(world.url) as s:
        entry_service.revoke_certificate(s, AssuranceScheme.CPA, "CPA-4331", "scheme withdrew it", "alice", NOW)
    run, _ = world.run(TWELVE)
    assert run.queued == [] and all(p.reason.startswith("CPA certificate CPA-4331 revoked") for p in run.proposals)


def test_a_failed_delivery_is_retried_by_the_next_run_not_replanned(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_entry(world)
    monkeypatch.setenv("CPL_SMTP_URL", "smtp://127.0.0.1:9")  # the discard port: nothing listens
    _, report = world.run(TWELVE)
    assert report.sent == [] and "cannot be reached" in report.failures[0]
    monkeypatch.delenv("CPL_SMTP_URL")
    run, retried = world.run(TWELVE + dt.timedelta(days=1))
    assert run.queued == [] and [n.kind for n in retried.sent] == [TWELVE_KIND]
    assert world.count(SentNotice) == 1 and len(world.mails()) == 1


@pytest.mark.postgres
def test_the_job_on_postgresql(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CPL_SMTP_URL", raising=False)
    monkeypatch.setenv("CPL_OUTBOX_DIR", str(tmp_path / "outbox"))
    world = build_world(tmp_path, postgres_server.create_database())
    entry_id = add_entry(world)
    add_entry(world, "4332", expiry_date=dt.date(2026, 12, 31))
    _, late = world.run(add_months(TWELVE, 8))
    assert sorted(n.kind for n in late.sent) == sorted([TWELVE_KIND, SIX_KIND])
    run, again = world.run(add_months(TWELVE, 8))
    assert run.queued == [] and run.proposals == [] and again.sent == []
    assert kinds(world) == [(TWELVE_KIND, f"{entry_id}@{END}"), (SIX_KIND, f"{entry_id}@{END}")]
    assert world.count(RemovalProposal) == 1 and len(world.mails()) == 2


# --- the rule, pure: at most once, never missed -------------------------------------------------


def facts(entry_id: str, end: dt.date, conditional: dt.date | None = None, met: bool = False) -> expiry_rules.CpaFacts:
    dates = CpaDates(end, conditional, met)
    return expiry_rules.CpaFacts(entry_id, "acme-meters", "Gas Smart Meter", f"CPA-{entry_id}", dates)


def simulate(entries: list[expiry_rules.CpaFacts], run_dates: list[dt.date]) -> list[expiry_rules.NoticeKey]:
    notified: list[expiry_rules.NoticeKey] = []
    proposed: set[tuple[str, str]] = set()
    for day in run_dates:
        plan = expiry_rules.plan_expiry(entries, already_notified=set(notified), already_proposed=proposed, as_of=day)
        notified.extend(n.key for n in plan.notices)
        proposed.update((p.entry_id, p.reason) for p in plan.proposals)
    return notified


def test_plan_is_pure_and_owes_nothing_twice_within_a_run() -> None:
    entries = [facts("CPL-000001", END)]
    plan = expiry_rules.plan_expiry(entries, already_notified=(), already_proposed=(), as_of=SIX)
    assert [n.months_before for n in plan.notices] == [12, 6]
    assert plan == expiry_rules.plan_expiry(entries, already_notified=(), already_proposed=(), as_of=SIX)


days = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2032, 12, 31))


@st.composite
def cpl_entries(draw: st.DrawFn) -> list[expiry_rules.CpaFacts]:
    count = draw(st.integers(min_value=1, max_value=4))
    result = []
    for n in range(count):
        end = draw(days)
        conditional = draw(st.none() | days)
        result.append(facts(f"CPL-{n + 1:06d}", end, conditional, draw(st.booleans())))
    return result


@settings(max_examples=300, deadline=None)
@given(entries=cpl_entries(), run_dates=st.lists(days, min_size=1, max_size=12))
def test_each_notice_at_most_once_and_every_opened_window_sent(
    entries: list[expiry_rules.CpaFacts], run_dates: list[dt.date]
) -> None:
    notified = simulate(entries, run_dates)
    assert len(notified) == len(set(notified)), "a notice was sent twice"
    for f in entries:
        end = cpa_effective_expiry(f.dates)
        runs_before_end = [d for d in run_dates if d < end]
        for months in (12, 6):
            key = expiry_rules.NoticeKey(f.entry_id, months, end)
            opened = notice_date(end, months)
            if runs_before_end and max(runs_before_end) >= opened:
                assert key in notified, f"{key} was owed by a run on {max(runs_before_end)} but never sent"
            else:
                assert key not in notified, f"{key} was sent although no run fell in its window"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(run_dates=st.lists(st.dates(min_value=dt.date(2026, 6, 1), max_value=dt.date(2028, 3, 1)), max_size=6))
def test_runner_sends_each_notice_once_in_any_order_of_runs(
    run_dates: list[dt.date], monkeypatch: pytest.MonkeyPatch
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        monkeypatch.setenv("CPL_OUTBOX_DIR", str(Path(directory) / "outbox"))
        monkeypatch.delenv("CPL_SMTP_URL", raising=False)
        world = build_world(Path(directory))
        add_entry(world)
        for day in run_dates:
            world.run(day)
        sent = kinds(world)
        assert len(sent) == len(set(sent)) == len(world.mails())
        expected = {months for months in (12, 6) if any(notice_date(END, months) <= d < END for d in run_dates)}
        assert {notices.cpa_expiry_months(k) for k, _ in sent} == expected
        assert world.count(RemovalProposal) == (1 if any(d >= END for d in run_dates) else 0)


# --- the real command line ------------------------------------------------------------------------


@pytest.fixture
def cli_world(cpl: CplRun, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CplRun, World]]:
    monkeypatch.setenv("CPL_OUTBOX_DIR", cpl.env["CPL_OUTBOX_DIR"])
    world = build_world(cpl.tmp)
    assert world.url == cpl.env["CPL_DATABASE_URL"]
    yield cpl, world


def test_cli_expiry_run_summarises_and_is_safe_to_rerun(cli_world: tuple[CplRun, World]) -> None:
    cpl, world = cli_world
    add_entry(world, "4331")
    add_entry(world, "4332", expiry_date=dt.date(2026, 12, 31))
    first = cpl.json("expiry", "run", "--as-of", "2027-08-01", "--send")
    assert first["sent"] == {TWELVE_KIND: 1, SIX_KIND: 1}
    assert [p["entry_id"] for p in first["proposals"]] == ["CPL-000002"]
    assert "expired on 2026-12-31" in first["proposals"][0]["reason"] and first["failures"] == []
    second = cpl.json("expiry", "run", "--as-of", "2027-08-01", "--send")
    assert second["sent"] == {} and second["proposals"] == []
    text = cpl("expiry", "run", "--as-of", "2027-08-02", "--send").stdout
    assert "notices sent: none" in text and "removal proposals for the Panel: 0" in text
    listed = cpl.json("notices", "list")["notices"]
    assert [(n["kind"], n["state"], n["recipient"]) for n in listed] == [
        (TWELVE_KIND, "sent", ACME_MAIL),
        (SIX_KIND, "sent", ACME_MAIL),
    ]
    assert all(n["transport"].startswith("outbox:") for n in listed)


def test_cli_expiry_run_with_a_bad_date_exits_2(cpl: CplRun) -> None:
    assert "YYYY-MM-DD" in cpl("expiry", "run", "--as-of", "1/8/2027", expect=2).stderr


def test_cli_expiry_run_with_the_mail_server_down_exits_1_in_one_sentence(cli_world: tuple[CplRun, World]) -> None:
    cpl, world = cli_world
    add_entry(world)
    cpl.env["CPL_SMTP_URL"] = "smtp://127.0.0.1:9"
    result = cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send", expect=1)
    assert "cannot be reached" in result.stderr and result.stderr.strip().count("\n") == 0
    assert [n["state"] for n in cpl.json("notices", "list")["notices"]] == ["queued"]
