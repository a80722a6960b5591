"""Every CPL rule of CONTRACT.md's finding table as a pure function over typed rows and a check date.

``check_submission`` runs them all. Nothing here reads a clock, a file or a database: what the
stored CPL knows arrives in a ``CheckContext``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from cpl.core.domain import (
    CpaDates,
    CpaKind,
    DeviceModelKey,
    EntryIdentity,
    PartyRole,
    SubmissionType,
    cpa_effective_expiry,
    expires_within_notice_horizon,
    required_schemes,
)
from cpl.core.findings import Code, Finding, finding, sort_findings
from cpl.core.schema import CERTIFICATE_FIELD, CERTIFICATE_SHEET, ENTRY_SHEET, column_for
from cpl.core.specs import SpecKind, SpecRegistry, UnknownVersion
from cpl.core.submission import CertificateRow, EntryRow, ParsedSubmission
from cpl.core.suggestions import close_matches, did_you_mean
from formats.vocabulary import CPL_CONTROLLED_TYPES, AssuranceScheme


class SignatureState(StrEnum):
    ABSENT = "absent"
    VALID = "valid"
    INVALID = "invalid"


@dataclass(frozen=True)
class KnownCertificate:
    """An assurance certificate the CPL already holds (from an earlier, approved submission)."""

    scheme: AssuranceScheme
    number: str
    manufacturer_id: str
    model_id: str
    hardware_version: str
    firmware_versions: tuple[str, ...]
    expiry: dt.date | None = None
    conditional_date: dt.date | None = None
    conditions_met: bool = False
    revoked: bool = False


@dataclass(frozen=True)
class CheckContext:
    as_of: dt.date
    submitter: PartyRole
    registry: SpecRegistry
    signature: SignatureState = SignatureState.ABSENT
    signature_problem: str = ""
    active_entries: frozenset[EntryIdentity] = frozenset()
    active_device_models: frozenset[DeviceModelKey] = frozenset()
    known_certificates: Mapping[tuple[AssuranceScheme, str], KnownCertificate] = field(default_factory=dict)
    supplier_ids: frozenset[str] | None = None  # None: not checked (no store at hand)
    #: The workbook is the SEC's New Entry form (CONTRACT.md 4.3): it has no field for a confirming
    #: supplier or a compliance statement, so their absence is no finding (a manufacturer's firmware
    #: update then waits for any supplier's confirmation).
    sec_form: bool = False
    #: Firmware mapping evidence SECAS records with the submission (the form cannot carry it).
    mapping_evidence: str | None = None


@dataclass(frozen=True)
class _Cert:
    """A certificate as the rules see it: from this workbook's sheet, or already on record."""

    manufacturer_id: str | None
    model_id: str | None
    hardware_version: str | None
    firmware_versions: tuple[str, ...] | None
    expiry: dt.date | None
    conditional_date: dt.date | None
    conditions_met: bool
    revoked: bool


def _at(row: EntryRow, field_name: str, code: Code, message: str) -> Finding:
    """A finding placed at this row's cell for ``field_name``."""
    return finding(code, message, sheet=ENTRY_SHEET, row=row.row, column=column_for(ENTRY_SHEET, field_name).header)


def _describe(row: EntryRow) -> str:
    return f"{row.physical_device_type} {row.manufacturer_id}/{row.model_id} hardware {row.hardware_version}"


def _versions(identity: EntryIdentity) -> str:
    return f"{identity.technical_specification}, GBCS {identity.gbcs_version or 'none'}"


def _earliest(*days: dt.date | None) -> dt.date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def _registry_spelling(registry: SpecRegistry, kind: SpecKind, text: str) -> str:
    try:
        return registry.lookup(kind, text).version
    except UnknownVersion:
        return text  # V001 reports it; two unknown spellings are the same only when written alike


def canonical_identity(identity: EntryIdentity, registry: SpecRegistry) -> EntryIdentity:
    """The identity with its versions spelled as the registry spells them ('SMETS V4.2' is 'SMETS2 v4.2')."""
    gbcs = identity.gbcs_version
    return identity._replace(
        technical_specification=_registry_spelling(
            registry, SpecKind.TECHNICAL_SPECIFICATION, identity.technical_specification
        ),
        gbcs_version=None if gbcs is None else _registry_spelling(registry, SpecKind.GBCS, gbcs),
    )


def _certificates_in(submission: ParsedSubmission, context: CheckContext) -> dict[tuple[AssuranceScheme, str], _Cert]:
    certs: dict[tuple[AssuranceScheme, str], _Cert] = {}
    for known in context.known_certificates.values():
        certs[(known.scheme, known.number.casefold())] = _Cert(
            known.manufacturer_id,
            known.model_id,
            known.hardware_version,
            known.firmware_versions,
            known.expiry,
            known.conditional_date,
            known.conditions_met,
            known.revoked,
        )
    for c in submission.certificates:
        if c.scheme is None or c.certificate_number is None:
            continue
        key = (c.scheme, c.certificate_number.casefold())
        on_record = certs.get(key)
        certs[key] = _Cert(
            c.manufacturer_id,
            c.model_id,
            c.hardware_version,
            c.firmware_versions,
            # A sheet may describe a certificate already on record, but never move its dates later.
            _earliest(c.expiry, on_record.expiry if on_record else None),
            _earliest(c.conditional_date, on_record.conditional_date if on_record else None),
            on_record.conditions_met if on_record else False,
            on_record.revoked if on_record else False,
        )
    return certs


# --- row rules -------------------------------------------------------------------------------------

RowRule = Callable[[EntryRow, CheckContext, Mapping[tuple[AssuranceScheme, str], _Cert]], Iterator[Finding]]


def type_is_on_the_cpl(
    row: EntryRow, context: CheckContext, certs: Mapping[tuple[AssuranceScheme, str], _Cert]
) -> Iterator[Finding]:
    """C006: IHDs and other Type 2 Devices are not identified in the CPL (SEC IEWP 2.9)."""
    if row.physical_device_type is not None and row.physical_device_type not in CPL_CONTROLLED_TYPES:
        yield _at(
            row,
            "physical_device_type",
            Code.C006,
            f"{row.physical_device_type!r} is a Type 2 Device, which the CPL does not list "
            "(SEC Inventory Enrolment and Withdrawal Procedures 2.9).",
        )


def required_certificates_present(
    row: EntryRow, context: CheckContext, certs: Mapping[tuple[AssuranceScheme, str], _Cert]
) -> Iterator[Finding]:
    """C001: every certificate the Physical Device Type needs is named (SMETS1 needs no CPA)."""
    if row.physical_device_type is None or row.submission_type is None:
        return
    for scheme in sorted(required_schemes(row.physical_device_type, row.submission_type)):
        if row.certificate_number(scheme) is None and CERTIFICATE_FIELD[scheme] not in row.problems:
            yield _at(
                row, CERTIFICATE_FIELD[scheme], Code.C001, f"A {row.physical_device_type} needs a {scheme} certificate."
            )


def named_certificates_cover_model(
    row: EntryRow, context: CheckContext, certs: Mapping[tuple[AssuranceScheme, str], _Cert]
) -> Iterator[Finding]:
    """C004: each named certificate is listed, not revoked, and covers this manufacturer/model/hardware."""
    for scheme in AssuranceScheme:
        number = row.certificate_number(scheme)
        if number is None:
            continue
        field_name = CERTIFICATE_FIELD[scheme]
        cert = certs.get((scheme, number.casefold()))
        if cert is None:
            yield _at(
                row, field_name, Code.C004, f"{scheme} certificate {number} is not on the '{CERTIFICATE_SHEET}' sheet."
            )
            continue
        if cert.revoked:
            yield _at(row, field_name, Code.C004, f"{scheme} certificate {number} has been revoked.")
            continue
        covered = (cert.manufacturer_id, cert.model_id, cert.hardware_version)
        wanted = (row.manufacturer_id, row.model_id, row.hardware_version)
        if None not in covered and None not in wanted and covered != wanted:
            yield _at(
                row,
                field_name,
                Code.C004,
                f"{scheme} certificate {number} covers {'/'.join(map(str, covered))}, "
                f"not {'/'.join(map(str, wanted))} (manufacturer/model/hardware).",
            )


def certificates_name_firmware(
    row: EntryRow, context: CheckContext, certs: Mapping[tuple[AssuranceScheme, str], _Cert]
) -> Iterator[Finding]:
    """C005: a certificate that names other firmware needs mapping evidence that it still maps."""
    if row.firmware_version is None or row.firmware_mapping_evidence is not None or context.mapping_evidence:
        return
    for scheme in AssuranceScheme:
        number = row.certificate_number(scheme)
        cert = certs.get((scheme, number.casefold())) if number else None
        if cert is None or cert.revoked or cert.firmware_versions is None:
            continue
        if row.firmware_version not in cert.firmware_versions:
            yield _at(
                row,
                "firmware_mapping_evidence",
                Code.C005,
                f"{scheme} certificate {number} lists firmware {', '.join(cert.firmware_versions)}, "
                f"not {row.firmware_version}; "
                + (
                    "SECAS records the firmware mapping evidence with the approval."
                    if context.sec_form
                    else "give Firmware Mapping Evidence."
                ),
            )


def row_cpa_dates(row: EntryRow, certs: Mapping[tuple[AssuranceScheme, str], _Cert]) -> CpaDates | None:
    """The CPA dates that count for a row: the earlier of what the row and the certificate say."""
    cert = certs.get((AssuranceScheme.CPA, row.cpa_certificate.casefold())) if row.cpa_certificate else None
    expiries = [d for d in (row.cpa_expiry, cert.expiry if cert else None) if d is not None]
    if not expiries:
        return None
    conditionals = [d for d in (row.cpa_conditional_date, cert.conditional_date if cert else None) if d]
    return CpaDates(
        expiry=min(expiries),
        conditional_date=min(conditionals) if conditionals else None,
        conditions_met=cert.conditions_met if cert else False,
    )


def cpa_certificate_in_force(
    row: EntryRow, context: CheckContext, certs: Mapping[tuple[AssuranceScheme, str], _Cert]
) -> Iterator[Finding]:
    """F001 (expiry missing), C002 (expired), C003 (conditional date passed), N001 (expires within 12 months)."""
    if row.cpa_certificate is None:
        return
    if row.cpa_expiry is None and "cpa_expiry" not in row.problems:
        lifetime = " (for a lifetime [R] certificate, its renewal date)" if row.cpa_kind is CpaKind.LIFETIME else ""
        yield _at(row, "cpa_expiry", Code.F001, f"CPA Expiry Date{lifetime} is required with a CPA certificate.")
    if row.cpa_kind is CpaKind.LIFETIME:
        yield from _lifetime_renewal(row, context)
        return
    dates = row_cpa_dates(row, certs)
    if dates is None:
        return
    as_of = context.as_of
    if as_of >= dates.expiry:
        yield _at(
            row,
            "cpa_expiry",
            Code.C002,
            f"CPA certificate {row.cpa_certificate} expired on {dates.expiry.isoformat()}.",
        )
        return
    if dates.conditional_date is not None and not dates.conditions_met and as_of >= dates.conditional_date:
        yield _at(
            row,
            "cpa_conditional_date",
            Code.C003,
            f"CPA certificate {row.cpa_certificate} was conditional until "
            f"{dates.conditional_date.isoformat()} and its conditions are not recorded as met.",
        )
        return
    effective = cpa_effective_expiry(dates)
    if expires_within_notice_horizon(effective, as_of):
        yield _at(
            row,
            "cpa_expiry",
            Code.N001,
            f"CPA certificate {row.cpa_certificate} ends on {effective.isoformat()}, within 12 months.",
        )


def _lifetime_renewal(row: EntryRow, context: CheckContext) -> Iterator[Finding]:
    """N003: a lifetime certificate (MP209) never expires; its renewal date is only ever a notice."""
    renewal = row.cpa_expiry
    if renewal is None:
        return
    if context.as_of >= renewal:
        yield _at(
            row,
            "cpa_expiry",
            Code.N003,
            f"Lifetime CPA certificate {row.cpa_certificate} was due for renewal on {renewal.isoformat()}.",
        )
    elif expires_within_notice_horizon(renewal, context.as_of):
        yield _at(
            row,
            "cpa_expiry",
            Code.N003,
            f"Lifetime CPA certificate {row.cpa_certificate} is due for renewal on {renewal.isoformat()}, "
            "within 12 months.",
        )


def versions_known_and_in_effect(
    row: EntryRow, context: CheckContext, certs: Mapping[tuple[AssuranceScheme, str], _Cert]
) -> Iterator[Finding]:
    """V001 (unknown / not yet in effect) and V002 (end-dated) for the Technical Specification and GBCS."""
    checks: list[tuple[SpecKind, str | None, str]] = [
        (SpecKind.TECHNICAL_SPECIFICATION, row.technical_specification, "technical_specification"),
        (SpecKind.GBCS, row.gbcs_version, "gbcs_version"),
    ]
    for kind, text, field_name in checks:
        if text is None:
            continue
        label = "Technical Specification" if kind is SpecKind.TECHNICAL_SPECIFICATION else "GBCS version"
        try:
            spec = context.registry.lookup(kind, text)
        except UnknownVersion:
            yield _at(
                row,
                field_name,
                Code.V001,
                f"{label} {text!r} is not a version the CPL recognises: {_recognised(context.registry, kind, text)}",
            )
            continue
        if spec.is_end_dated(context.as_of):
            assert spec.end_date is not None
            yield _at(
                row, field_name, Code.V002, f"{label} {spec.version} was end-dated on {spec.end_date.isoformat()}."
            )
        elif not spec.in_effect(context.as_of):
            assert spec.effective_from is not None
            yield _at(
                row,
                field_name,
                Code.V001,
                f"{label} {spec.version} is not in effect until {spec.effective_from.isoformat()}.",
            )
    if (
        row.submission_type is not None
        and row.submission_type is not SubmissionType.SMETS1
        and row.gbcs_version is None
        and "gbcs_version" not in row.problems
    ):
        yield _at(row, "gbcs_version", Code.F001, "GBCS Version is required (except for SMETS1 entries).")


def _recognised(registry: SpecRegistry, kind: SpecKind, text: str) -> str:
    """The versions nearest an unknown one ("did you mean ...?"), or else every version of its kind."""
    versions = registry.of_kind(kind)
    matches = close_matches(text, {spelling: v.version for v in versions for spelling in v.spellings})
    if matches:
        return did_you_mean(matches)
    return f"the recognised versions are {', '.join(v.version for v in versions)}."


def submitter_may_submit(
    row: EntryRow, context: CheckContext, certs: Mapping[tuple[AssuranceScheme, str], _Cert]
) -> Iterator[Finding]:
    """P001 (a manufacturer's firmware update needs a confirming supplier), P002 (SMETS1 is DCC only)."""
    if row.submission_type is SubmissionType.SMETS1:
        if context.submitter is not PartyRole.DCC:
            yield _at(row, "submission_type", Code.P002, "Only the DCC may submit SMETS1 entries.")
        if row.compliance_statement is None and "compliance_statement" not in row.problems and not context.sec_form:
            yield _at(row, "compliance_statement", Code.F001, "SMETS1 entries need a Compliance Statement.")
    if row.submission_type is SubmissionType.FIRMWARE_UPDATE and context.submitter is PartyRole.MANUFACTURER:
        supplier = row.confirming_supplier
        if supplier is None and context.sec_form:
            return  # the form names no supplier: the update waits for a supplier's confirmation
        if supplier is None:
            yield _at(
                row,
                "confirming_supplier",
                Code.P001,
                "A firmware update submitted by a manufacturer needs a Confirming Supplier.",
            )
        elif context.supplier_ids is not None and supplier not in context.supplier_ids:
            yield _at(
                row, "confirming_supplier", Code.P001, f"Confirming Supplier {supplier!r} is not a registered supplier."
            )


def manufacturer_image_is_signed(
    row: EntryRow, context: CheckContext, certs: Mapping[tuple[AssuranceScheme, str], _Cert]
) -> Iterator[Finding]:
    """P003 (a Manufacturer Image Hash needs a signed workbook), P004 (and its creator)."""
    if row.manufacturer_image_hash is None:
        return
    if context.signature is not SignatureState.VALID:
        why = (
            f" ({context.signature_problem})"
            if context.signature_problem
            else " (no signature was supplied)"
            if context.signature is SignatureState.ABSENT
            else ""
        )
        yield _at(
            row,
            "manufacturer_image_hash",
            Code.P003,
            f"A Manufacturer Image Hash needs the workbook signed by its submitter{why}.",
        )
    if row.manufacturer_image_creator is None:
        yield _at(
            row,
            "manufacturer_image_creator",
            Code.P004,
            "A Manufacturer Image Hash needs the Manufacturer Image Creator.",
        )


def not_already_listed(
    row: EntryRow, context: CheckContext, certs: Mapping[tuple[AssuranceScheme, str], _Cert]
) -> Iterator[Finding]:
    """D001 (already Active on the CPL) and P005 (a firmware update of a Device Model not on the CPL)."""
    if row.identity is None:
        return
    identity = canonical_identity(row.identity, context.registry)
    if identity in context.active_entries:
        yield _at(
            row,
            "firmware_version",
            Code.D001,
            f"{_describe(row)} firmware {row.firmware_version} ({_versions(identity)}) is already on the CPL.",
        )
    if (
        row.submission_type is SubmissionType.FIRMWARE_UPDATE
        and identity.device_model not in context.active_device_models
    ):
        yield _at(
            row,
            "submission_type",
            Code.P005,
            f"{_describe(row)} is not on the CPL, so it cannot have a firmware update; submit it as New.",
        )


ROW_RULES: tuple[RowRule, ...] = (
    type_is_on_the_cpl,
    required_certificates_present,
    named_certificates_cover_model,
    certificates_name_firmware,
    cpa_certificate_in_force,
    versions_known_and_in_effect,
    submitter_may_submit,
    manufacturer_image_is_signed,
    not_already_listed,
)


CERTIFICATE_SHEET_RULES: frozenset[RowRule] = frozenset({named_certificates_cover_model, certificates_name_firmware})


# --- workbook-wide rules ---------------------------------------------------------------------------


def no_duplicate_rows(entries: Iterable[EntryRow], registry: SpecRegistry) -> Iterator[Finding]:
    """D002: the same entry twice in one workbook. Type and versions are part of identity (CONTRACT.md 4.1)."""
    first_seen: dict[EntryIdentity, int] = {}
    for row in entries:
        if row.identity is None:
            continue
        identity = canonical_identity(row.identity, registry)
        if identity in first_seen:
            yield _at(
                row,
                "firmware_version",
                Code.D002,
                f"{_describe(row)} firmware {row.firmware_version} ({_versions(identity)}) "
                f"repeats row {first_seen[identity]}.",
            )
        else:
            first_seen[identity] = row.row


def certificate_rows_complete(certificates: Iterable[CertificateRow]) -> Iterator[Finding]:
    """F001: a CPA certificate on the certificate sheet must carry its expiry date."""
    for cert in certificates:
        if cert.scheme is AssuranceScheme.CPA and cert.expiry is None and "expiry" not in cert.problems:
            yield finding(
                Code.F001,
                "Expiry is required for a CPA certificate.",
                sheet=CERTIFICATE_SHEET,
                row=cert.row,
                column=column_for(CERTIFICATE_SHEET, "expiry").header,
            )


def cpa_expiry_matches_certificate(
    entries: Iterable[EntryRow], certificates: Iterable[CertificateRow]
) -> Iterator[Finding]:
    """C007: an entry's CPA Expiry Date is the Expiry its certificate's row on the certificate sheet gives.

    The rules count the earlier of the two (``row_cpa_dates``), but a workbook that gives a certificate
    two dates has one of them wrong, and only the submitter knows which. A lifetime [R] certificate's
    date on the entry is its renewal date, not an expiry: there is nothing to compare it with.
    """
    on_sheet: dict[str, list[CertificateRow]] = {}
    for cert in certificates:
        if cert.scheme is AssuranceScheme.CPA and cert.certificate_number is not None and cert.expiry is not None:
            on_sheet.setdefault(cert.certificate_number.casefold(), []).append(cert)
    for row in entries:
        if row.cpa_certificate is None or row.cpa_expiry is None or row.cpa_kind is CpaKind.LIFETIME:
            continue
        for cert in on_sheet.get(row.cpa_certificate.casefold(), ()):
            if cert.expiry != row.cpa_expiry:
                assert cert.expiry is not None
                yield _at(
                    row,
                    "cpa_expiry",
                    Code.C007,
                    f"The entry's CPA expiry date {row.cpa_expiry.isoformat()} is not the Expiry "
                    f"{cert.expiry.isoformat()} that row {cert.row} of the '{CERTIFICATE_SHEET}' sheet gives for "
                    f"CPA certificate {row.cpa_certificate}: correct whichever is wrong so both give the date "
                    "printed on the certificate.",
                )


def certificates_already_issued(certificates: Iterable[CertificateRow], as_of: dt.date) -> Iterator[Finding]:
    """C008: a certificate cannot have been issued after the day the workbook is checked."""
    for cert in certificates:
        if cert.issued is not None and cert.issued > as_of:
            what = f"{cert.scheme} certificate" if cert.scheme is not None else "The certificate"
            number = f" {cert.certificate_number}" if cert.certificate_number is not None else ""
            yield finding(
                Code.C008,
                f"{what}{number} has the Issued date {cert.issued.isoformat()}, after the check date "
                f"{as_of.isoformat()}: a certificate cannot be issued in the future; enter the issue date printed "
                "on the certificate.",
                sheet=CERTIFICATE_SHEET,
                row=cert.row,
                column=column_for(CERTIFICATE_SHEET, "issued").header,
            )


def check_submission(submission: ParsedSubmission, context: CheckContext) -> list[Finding]:
    """All findings for a parsed workbook, in report order."""
    certs = _certificates_in(submission, context)
    found: list[Finding] = list(submission.findings)
    rules = ROW_RULES
    if CERTIFICATE_SHEET in submission.unusable_sheets:
        # Without the certificate sheet, what each certificate covers is unknown: WB002 says enough.
        rules = tuple(r for r in ROW_RULES if r not in CERTIFICATE_SHEET_RULES)
    for row in submission.entries:
        for rule in rules:
            found.extend(rule(row, context, certs))
    found.extend(no_duplicate_rows(submission.entries, context.registry))
    if not submission.entries and ENTRY_SHEET not in submission.unusable_sheets:
        found.append(
            finding(
                Code.F003, "The workbook lists no entry: every row of the sheet is blank.", sheet=ENTRY_SHEET, row=2
            )
        )
    found.extend(certificate_rows_complete(submission.certificates))
    found.extend(cpa_expiry_matches_certificate(submission.entries, submission.certificates))
    found.extend(certificates_already_issued(submission.certificates, context.as_of))
    return sort_findings(found)
