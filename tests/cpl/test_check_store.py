"""What a check reads from the stored CPL: the same, as the rules see it, whichever transport carries it.

`cpl check` on SQLite reads the store in a read-only transaction without the ORM (``cpl.storage.read_sqlite``);
submissions, approvals and the API read it in their unit of work (``cpl.store.text_rows``). The queries and
the conversion are ``cpl.services.checking``'s, once: these tests hold each transport, on each backend, to
the values the store was given, and a store that cannot be read without the ORM to the ORM.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpl import storage
from cpl.core import errors
from cpl.core.domain import EntryIdentity, PartyRole
from cpl.core.rules import CheckContext, KnownCertificate
from cpl.demo.samples import ACME, sample_row
from cpl.services import checking
from cpl.services import submissions as submission_service
from cpl.specs_file import default_registry
from cpl.store import Certificate, Entry, Party, Submission, User, session_scope
from cpl.workbook.template import write_submission
from formats.vocabulary import AssuranceScheme, EntryStatus, PhysicalDeviceType
from tests.conftest import PostgresServer
from tests.cpl.conftest import CPL, CplRun
from tests.startup import modules_loaded

GAS = PhysicalDeviceType.GAS_SMART_METER
ELECTRICITY = PhysicalDeviceType.SINGLE_ELEMENT_ELECTRICITY_METER
NOW = dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 11, 23)
REGISTRY = default_registry()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cpl.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database()


def _entry(device_type: PhysicalDeviceType, model_id: str, status: EntryStatus, gbcs: str | None) -> Entry:
    return Entry(
        physical_device_type=device_type,
        manufacturer="Acme Meters",
        manufacturer_id="ACME",
        model=f"Model {model_id}",
        model_id=model_id,
        hardware_version="0001",
        firmware_version="9001",
        release_notes="RN.pdf",
        technical_specification="SMETS2 v5.0",
        gbcs_version=gbcs,
        submission_type="New",
        status=status,
        status_since=dt.date(2026, 2, 1),
        submission_id=1,
        submitting_party_id="acme-meters",
    )


def _certificate(scheme: AssuranceScheme, number: str, firmware: str, **dates: object) -> Certificate:
    return Certificate(
        scheme=scheme,
        number=number,
        manufacturer_id="ACME",
        model_id="0A01",
        hardware_version="0001",
        firmware_versions=firmware,
        issued=dt.date(2026, 1, 15),
        **dates,
    )


def populate(url: str) -> None:
    """Entries Active and not, certificates with and without dates, revoked and not, and parties of every role."""
    with session_scope(url) as session:
        for party_id, role in (
            ("acme-meters", PartyRole.MANUFACTURER),
            ("bright-energy", PartyRole.SUPPLIER),
            ("volt-supply", PartyRole.SUPPLIER),
            ("dcc", PartyRole.DCC),
            ("secas", PartyRole.SECAS),
        ):
            session.add(Party(party_id=party_id, name=party_id, role=role, created_at=NOW))
        session.add(User(user_id="acme-meters", party_id="acme-meters", name="Acme", created_at=NOW))
        session.flush()
        session.add(
            Submission(
                id=1,
                party_id="acme-meters",
                submitted_by="acme-meters",
                submitted_at=NOW,
                filename="a.xlsx",
                workbook=b"PK",
                workbook_sha256="0" * 64,
                checked_as_of=NOW.date(),
                findings_json="[]",
                state="approved",
            )
        )
        session.flush()
        session.add_all(
            [
                _entry(GAS, "0A01", EntryStatus.ACTIVE, "v4.2"),
                _entry(ELECTRICITY, "0B02", EntryStatus.ACTIVE, None),
                _entry(GAS, "0A03", EntryStatus.WITHDRAWN, "v4.2"),
                _entry(GAS, "0A04", EntryStatus.EXPIRED, "v4.2"),
            ]
        )
        session.add_all(
            [
                _certificate(AssuranceScheme.ZIGBEE, "ZB-0001", "9001,9002"),
                _certificate(
                    AssuranceScheme.CPA,
                    "CPA-Mixed-Case",
                    "9001",
                    expiry=dt.date(2031, 1, 31),
                    conditional_date=dt.date(2026, 9, 30),
                    conditions_met=True,
                ),
                _certificate(
                    AssuranceScheme.DLMS,
                    "DL-0003",
                    "",
                    conditional_date=dt.date(2026, 6, 30),
                    revoked_at=NOW,
                    revoked_reason="withdrawn by the scheme",
                ),
            ]
        )


def expected_context() -> CheckContext:
    """What ``populate`` stored, as the rules are to see it."""
    active = frozenset(
        {
            EntryIdentity(GAS, "ACME", "0A01", "0001", "9001", "SMETS2 v5.0", "v4.2"),
            EntryIdentity(ELECTRICITY, "ACME", "0B02", "0001", "9001", "SMETS2 v5.0", None),
        }
    )
    certificates = [
        KnownCertificate(AssuranceScheme.ZIGBEE, "ZB-0001", "ACME", "0A01", "0001", ("9001", "9002")),
        KnownCertificate(
            AssuranceScheme.CPA,
            "CPA-Mixed-Case",
            "ACME",
            "0A01",
            "0001",
            ("9001",),
            expiry=dt.date(2031, 1, 31),
            conditional_date=dt.date(2026, 9, 30),
            conditions_met=True,
        ),
        KnownCertificate(
            AssuranceScheme.DLMS,
            "DL-0003",
            "ACME",
            "0A01",
            "0001",
            (),
            conditional_date=dt.date(2026, 6, 30),
            revoked=True,
        ),
    ]
    return CheckContext(
        as_of=AS_OF,
        submitter=PartyRole.MANUFACTURER,
        registry=REGISTRY,
        active_entries=active,
        active_device_models=frozenset(i.device_model for i in active),
        known_certificates={(c.scheme, c.number.casefold()): c for c in certificates},
        supplier_ids=frozenset({"bright-energy", "volt-supply"}),
    )


def assert_read_as_stored(read: CheckContext | None) -> None:
    assert read == expected_context()
    # equal is not enough for a flag: 1 == True, and a rule or a view may print it
    assert {type(c.conditions_met) for c in read.known_certificates.values()} == {bool}


def read_without_the_orm(url: str) -> CheckContext | None:
    return storage.read_sqlite(
        url,
        checking.CHECKED_TABLES,
        lambda rows: checking.read_context(rows, as_of=AS_OF, submitter=PartyRole.MANUFACTURER, registry=REGISTRY),
    )


def test_a_unit_of_work_reads_the_stored_cpl_as_the_rules_see_it(url: str) -> None:
    populate(url)
    with session_scope(url, write=False) as session:
        read = submission_service.cpl_context(session, as_of=AS_OF, submitter=PartyRole.MANUFACTURER, registry=REGISTRY)
    assert_read_as_stored(read)


def test_the_read_only_sqlite_reader_reads_what_a_unit_of_work_reads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cpl.db'}"
    populate(url)
    assert_read_as_stored(read_without_the_orm(url))


def test_the_reader_leaves_to_the_orm_what_it_cannot_read(tmp_path: Path) -> None:
    """Another backend, an in-memory database, a store not started yet (where one may be), and a store
    from an older version that lacks a table the check reads: None, and nothing is created."""
    assert read_without_the_orm("postgresql+psycopg://cpl@/cpl") is None
    assert read_without_the_orm("sqlite:///:memory:") is None
    assert read_without_the_orm(f"sqlite:///{tmp_path / 'new.db'}") is None
    assert not (tmp_path / "new.db").exists()
    older = tmp_path / "older.db"
    with sqlite3.connect(older) as connection:
        connection.execute("CREATE TABLE entry (id INTEGER PRIMARY KEY)")
        connection.execute("CREATE TABLE party (party_id TEXT PRIMARY KEY)")
    connection.close()
    assert read_without_the_orm(f"sqlite:///{older}") is None


def test_the_reader_refuses_a_missing_store_with_the_stores_own_sentence(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'cpl.db'}"
    with pytest.raises(errors.NoStoreError) as refused:
        storage.read_sqlite(url, checking.CHECKED_TABLES, checking.active_identities, create=False)
    assert str(refused.value).startswith(f"There is no CPL database at {tmp_path / 'var' / 'cpl.db'} ")
    with pytest.raises(errors.NoStoreError) as by_the_store, session_scope(url, create=False):
        pass
    assert str(by_the_store.value) == str(refused.value)
    assert not (tmp_path / "var").exists()


def test_a_locked_store_is_busy_for_the_reader_as_for_the_orm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a rollback-journal store can lock a reader out (a WAL reader waits for no writer): the wait is
    the store's timeout, and then the store's sentence."""
    path = tmp_path / "cpl.db"
    writer = sqlite3.connect(path, isolation_level=None)
    for table in checking.CHECKED_TABLES:
        writer.execute(f"CREATE TABLE {table} (id INTEGER)")
    writer.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(storage, "SQLITE_BUSY_TIMEOUT_MS", 50)
    try:
        with pytest.raises(errors.StoreBusyError) as busy:
            read_without_the_orm(f"sqlite:///{path}")
    finally:
        writer.close()
    assert str(busy.value) == str(storage.busy_error())


# --- through the command line ----------------------------------------------------------------------


def _listed_entry(cpl: CplRun) -> Path:
    """A store with one Active entry (submitted and approved through the command line), and its workbook."""
    cpl.parties()
    entry, certificates = sample_row(GAS, 1, maker=ACME)
    path = cpl.tmp / "listed.xlsx"
    write_submission(path, [entry], certificates)
    cpl("submit", path, "--party", "acme-meters")
    cpl("approve", "1", "--by", "alice")
    return path


def test_a_store_from_an_older_version_is_checked_through_the_orm(cpl: CplRun) -> None:
    """A store that lacks a table a check reads is opened as before: the store adds the table, and the
    check still finds the entry already listed."""
    listed = _listed_entry(cpl)
    with sqlite3.connect(cpl.tmp / "cpl.db") as connection:
        connection.execute("DROP TABLE certificate")
    connection.close()
    done, modules = modules_loaded(CPL, "check", listed, "--json", report=cpl.tmp / "modules.json", env=cpl.env)
    assert done.returncode == 1 and '"D001"' in done.stdout, (done.stdout, done.stderr)
    assert "cpl.store" in modules  # the ORM read it
    with sqlite3.connect(cpl.tmp / "cpl.db") as connection:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    connection.close()
    assert "certificate" in tables
