"""Checking a workbook: every rule, against what the stored CPL holds (Active entries, certificates, suppliers).

What the store contributes is three queries in plain SQL, read through a ``cpl.storage.Rows``
transport: a unit of work's session (``cpl.store.text_rows``: submissions, approvals, the API) or,
for `cpl check` on SQLite, a read-only connection without the ORM (``stored_context``), so a check
starts without loading SQLAlchemy. One set of queries and one conversion, whichever carries them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cpl import storage
from cpl.core.domain import DeviceModelKey, EntryIdentity, PartyRole
from cpl.core.findings import Code, Finding, finding, has_errors, sort_findings
from cpl.core.rules import CheckContext, KnownCertificate, SignatureState, check_submission
from cpl.core.sec_form import FormSubmission, is_sec_form, place_findings, read_sec_form
from cpl.core.sheets import WorkbookData
from cpl.core.specs import SpecRegistry
from cpl.core.submission import ParsedSubmission, parse_submission
from cpl.workbook.reader import WorkbookUnreadable, read_workbook
from formats.vocabulary import AssuranceScheme, EntryStatus, PhysicalDeviceType

if TYPE_CHECKING:
    from cpl.config import Settings


@dataclass(frozen=True)
class CheckResult:
    findings: list[Finding]
    parsed: ParsedSubmission | None
    #: The SEC's New Entry form, when that was the workbook's layout (CONTRACT.md 4.3).
    form: FormSubmission | None = None
    #: False for a file with macros: a submission keeps its workbook verbatim, and macros are never kept.
    keep_workbook: bool = True

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)


MACROS_REFUSED = (
    "The workbook holds macros (a VBA project), which are never kept or run: save it as a macro-free "
    "Excel Workbook (.xlsx) and submit that."
)


def read_submission(
    workbook: WorkbookData, active_device_models: frozenset[DeviceModelKey]
) -> tuple[ParsedSubmission, FormSubmission | None]:
    """Either layout as typed rows: the project's own sheet, or the SEC's vertical New Entry form (whose
    submission type follows from whether its Device Model is already on the CPL)."""
    if is_sec_form(workbook):
        form = read_sec_form(workbook, device_model_listed=active_device_models.__contains__)
        return parse_submission(form.workbook), form
    return parse_submission(workbook), None


def read_submission_file(data: bytes) -> WorkbookData | Finding:
    """The workbook's cells, or the WB001 finding that says why it cannot be used. Pure CPU and no
    store: callers do it before their transaction takes the write lock."""
    try:
        workbook = read_workbook(data)
    except WorkbookUnreadable as unreadable:
        return finding(Code.WB001, unreadable.reason)
    if workbook.macros:
        # A submission is kept verbatim, so a macro-enabled file would keep its macros: refused.
        return finding(Code.WB001, MACROS_REFUSED)
    return workbook


def check_read(read: WorkbookData | Finding, context: CheckContext) -> CheckResult:
    """Every rule, on a workbook already read (``read_submission_file``)."""
    if isinstance(read, Finding):
        return CheckResult([read], None, keep_workbook=read.message != MACROS_REFUSED)
    parsed, form = read_submission(read, context.active_device_models)
    if form is None:
        return CheckResult(check_submission(parsed, context), parsed)
    found = check_submission(parsed, replace(context, sec_form=True))
    return CheckResult(sort_findings([*form.findings, *place_findings(found, form)]), parsed, form)


def check_workbook(data: bytes, context: CheckContext) -> CheckResult:
    """Read a workbook safely and apply every rule; an unreadable file is a WB001 finding."""
    return check_read(read_submission_file(data), context)


# --- what the stored CPL contributes -----------------------------------------------------------------

# Columns by name from cpl.store's tables, in the order the conversions below take them.
_ACTIVE_IDENTITIES = (
    "SELECT physical_device_type, manufacturer_id, model_id, hardware_version, firmware_version, "
    "technical_specification, gbcs_version FROM entry WHERE status = :status"
)
_CERTIFICATES = (
    "SELECT scheme, number, manufacturer_id, model_id, hardware_version, firmware_versions, expiry, "
    "conditional_date, conditions_met, revoked_at FROM certificate"
)
_SUPPLIERS = "SELECT party_id FROM party WHERE role = :role"
#: The tables those read: a store without one of them is from an older version.
CHECKED_TABLES = ("entry", "certificate", "party")


def active_identities(rows: storage.Rows) -> frozenset[EntryIdentity]:
    """The identities of the stored Active entries."""
    return frozenset(
        EntryIdentity(PhysicalDeviceType(device_type), manufacturer, model, hardware, firmware, specification, gbcs)
        for device_type, manufacturer, model, hardware, firmware, specification, gbcs in rows(
            _ACTIVE_IDENTITIES, {"status": EntryStatus.ACTIVE.value}
        )
    )


def read_context(
    rows: storage.Rows,
    *,
    as_of: dt.date,
    submitter: PartyRole,
    registry: SpecRegistry,
    signature: SignatureState = SignatureState.ABSENT,
    signature_problem: str = "",
    mapping_evidence: str | None = None,
) -> CheckContext:
    """What the stored CPL contributes to a check, read through ``rows``: Active entries, certificates,
    suppliers.

    Columns, not records: a check reads the whole list and every certificate, and builds no objects
    it would only take values from.
    """
    identities = active_identities(rows)
    certificates = {
        (AssuranceScheme(scheme), number.casefold()): KnownCertificate(
            scheme=AssuranceScheme(scheme),
            number=number,
            manufacturer_id=manufacturer_id,
            model_id=model_id,
            hardware_version=hardware_version,
            firmware_versions=storage.firmware_tuple(firmware_versions),
            expiry=_date(expiry),
            conditional_date=_date(conditional_date),
            conditions_met=bool(conditions_met),
            revoked=revoked_at is not None,
        )
        for (
            scheme,
            number,
            manufacturer_id,
            model_id,
            hardware_version,
            firmware_versions,
            expiry,
            conditional_date,
            conditions_met,
            revoked_at,
        ) in rows(_CERTIFICATES, {})
    }
    suppliers = frozenset(party_id for (party_id,) in rows(_SUPPLIERS, {"role": PartyRole.SUPPLIER.value}))
    return CheckContext(
        as_of=as_of,
        submitter=submitter,
        registry=registry,
        signature=signature,
        signature_problem=signature_problem,
        active_entries=identities,
        active_device_models=frozenset(i.device_model for i in identities),
        known_certificates=certificates,
        supplier_ids=suppliers,
        mapping_evidence=mapping_evidence,
    )


def _date(stored: dt.date | str | None) -> dt.date | None:
    """A stored date: ISO text on SQLite, a date on PostgreSQL."""
    return dt.date.fromisoformat(stored) if isinstance(stored, str) else stored


def stored_context(
    settings: Settings,
    *,
    as_of: dt.date,
    submitter: PartyRole,
    registry: SpecRegistry,
    signature: SignatureState = SignatureState.ABSENT,
    signature_problem: str = "",
) -> CheckContext:
    """``read_context`` on the configured store: on a SQLite file in one read-only transaction without
    the ORM; anywhere else (PostgreSQL, an in-memory database, a store from an older version) in a unit
    of work, exactly as before. Either way the same queries, the same conversion and the same refusals."""

    def read(rows: storage.Rows) -> CheckContext:
        return read_context(
            rows,
            as_of=as_of,
            submitter=submitter,
            registry=registry,
            signature=signature,
            signature_problem=signature_problem,
        )

    context = storage.read_sqlite(settings.database_url, CHECKED_TABLES, read, create=settings.new_store_allowed)
    if context is not None:
        return context
    from cpl.services import unit_of_work
    from cpl.store import text_rows

    with unit_of_work(settings) as session:
        return read(text_rows(session))
