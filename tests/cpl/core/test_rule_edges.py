"""The edges of each CPL rule: where its finding is placed, what it says, and the cases on either side of it.

Every expectation is the exact list of findings (code, sheet, row, column, sentence): users read the
sentence, and the place is how they find the cell.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from cpl.core.domain import CpaDates, EntryIdentity, PartyRole, SubmissionType
from cpl.core.findings import Code, Finding
from cpl.core.rules import CheckContext, KnownCertificate, SignatureState, check_submission, row_cpa_dates
from cpl.core.schema import CERTIFICATE_SHEET, ENTRY_SHEET
from cpl.core.specs import SpecKind, SpecVersion
from cpl.core.submission import parse_submission
from cpl.demo.samples import Row, as_workbook_data, sample_row
from cpl.specs_file import default_registry
from formats.vocabulary import AssuranceScheme, PhysicalDeviceType

AS_OF = dt.date(2026, 11, 23)
REGISTRY = default_registry()
GAS = PhysicalDeviceType.GAS_SMART_METER
ZB = "ZIGBEE-106C-A001-0000"  # the gas row's certificates, as sample_row(GAS, 1) names them
CPA = "CPA-106C-A001-0000"
CPA_NOT_ON_SHEET = f"CPA certificate {CPA} is not on the 'Assurance Certificates' sheet."


def context(**overrides: object) -> CheckContext:
    base = CheckContext(as_of=AS_OF, submitter=PartyRole.MANUFACTURER, registry=REGISTRY)
    return replace(base, **overrides)  # type: ignore[arg-type]


def check(entries: list[Row], certificates: list[Row], ctx: CheckContext | None = None) -> list[Finding]:
    return check_submission(parse_submission(as_workbook_data(entries, certificates)), ctx or context())


def gas(**changes: object) -> tuple[list[Row], list[Row]]:
    """One valid gas row (row 2) and its certificate rows: CPA on row 2, ZigBee on row 3 of the sheet."""
    entry, certs = sample_row(GAS, 1)
    entry.update(changes)
    return [entry], certs


def sheet_cert(certs: list[Row], scheme: AssuranceScheme) -> Row:
    return next(c for c in certs if c["scheme"] == scheme)


def without(certs: list[Row], *schemes: AssuranceScheme) -> list[Row]:
    return [c for c in certs if c["scheme"] not in schemes]


def at(code: Code, column: str, message: str, row: int = 2, sheet: str = ENTRY_SHEET) -> Finding:
    return Finding(code=code, sheet=sheet, row=row, column=column, message=message)


def places(found: list[Finding]) -> list[tuple[str, str | None, int | None, str | None]]:
    return [(f.code, f.sheet, f.row, f.column) for f in found]


def on_record(scheme: AssuranceScheme, number: str, **fields: object) -> CheckContext:
    """A context whose CPL already holds this certificate for the gas row's Device Model."""
    values: dict[str, object] = {
        "manufacturer_id": "106C",
        "model_id": "A001",
        "hardware_version": "0000",
        "firmware_versions": ("9001",),
    }
    values.update(fields)
    known = KnownCertificate(scheme, number, **values)  # type: ignore[arg-type]
    return context(known_certificates={(scheme, number.casefold()): known})


# --- C001: certificates the type needs -------------------------------------------------------------


def test_missing_certificate_is_c001_at_its_cell_naming_type_and_scheme() -> None:
    entries, certs = gas(zigbee_certificate=None)
    assert check(entries, certs) == [
        at(Code.C001, "ZigBee Certificate", "A Gas Smart Meter needs a ZigBee certificate.")
    ]


def test_row_with_unreadable_device_type_gets_only_its_format_finding() -> None:
    entries, certs = gas(physical_device_type="Gas Meter", zigbee_certificate=None)
    assert places(check(entries, certs)) == [(Code.F002, ENTRY_SHEET, 2, "Physical Device Type")]


def test_row_with_unreadable_submission_type_gets_only_its_format_finding() -> None:
    entries, certs = gas(submission_type="Renewal", zigbee_certificate=None, gbcs_version=None)
    assert places(check(entries, certs)) == [(Code.F002, ENTRY_SHEET, 2, "Submission Type")]


# --- C004: named certificates are listed, not revoked, and cover the Device Model --------------------


def test_certificate_named_after_an_unneeded_blank_one_is_still_looked_up() -> None:
    # A gas row names ZigBee and CPA; DLMS, between them, is blank.
    entries, certs = gas()
    assert check(entries, without(certs, AssuranceScheme.CPA)) == [at(Code.C004, "CPA Certificate", CPA_NOT_ON_SHEET)]


def test_every_certificate_missing_from_the_sheet_is_c004() -> None:
    entries, certs = gas()
    assert check(entries, without(certs, AssuranceScheme.CPA, AssuranceScheme.ZIGBEE)) == [
        at(Code.C004, "CPA Certificate", CPA_NOT_ON_SHEET),
        at(Code.C004, "ZigBee Certificate", f"ZigBee certificate {ZB} is not on the 'Assurance Certificates' sheet."),
    ]


def test_revoked_certificate_is_c004_and_the_next_certificate_is_still_checked() -> None:
    entries, certs = gas()
    found = check(entries, without(certs, AssuranceScheme.CPA), on_record(AssuranceScheme.ZIGBEE, ZB, revoked=True))
    assert found == [
        at(Code.C004, "CPA Certificate", CPA_NOT_ON_SHEET),
        at(Code.C004, "ZigBee Certificate", f"ZigBee certificate {ZB} has been revoked."),
    ]


def test_revoked_certificate_is_not_asked_for_mapping_evidence_but_the_next_one_is() -> None:
    entries, certs = gas(firmware_version="9002")
    found = check(entries, certs, on_record(AssuranceScheme.ZIGBEE, ZB, firmware_versions=("9000",), revoked=True))
    assert found == [
        at(
            Code.C005,
            "Firmware Mapping Evidence",
            f"CPA certificate {CPA} lists firmware 9001, not 9002; give Firmware Mapping Evidence.",
        ),
        at(Code.C004, "ZigBee Certificate", f"ZigBee certificate {ZB} has been revoked."),
    ]


def test_revoked_certificate_on_record_is_found_whatever_the_case_of_its_number() -> None:
    entries, certs = gas()
    found = check(entries, certs, on_record(AssuranceScheme.ZIGBEE, ZB.lower(), revoked=True))
    assert found == [at(Code.C004, "ZigBee Certificate", f"ZigBee certificate {ZB} has been revoked.")]


def test_certificate_numbers_match_whatever_their_case() -> None:
    entries, certs = gas(zigbee_certificate=ZB.lower(), cpa_certificate=CPA.title())
    assert check(entries, certs) == []


@pytest.mark.parametrize(
    ("field", "value", "covers"),
    [
        ("manufacturer_id", "2B1D", "2B1D/A001/0000"),
        ("model_id", "A002", "106C/A002/0000"),
        ("hardware_version", "0001", "106C/A001/0001"),
    ],
)
def test_certificate_on_the_sheet_for_another_device_model_is_c004(field: str, value: str, covers: str) -> None:
    entries, certs = gas()
    sheet_cert(certs, AssuranceScheme.ZIGBEE)[field] = value
    assert check(entries, certs) == [
        at(
            Code.C004,
            "ZigBee Certificate",
            f"ZigBee certificate {ZB} covers {covers}, not 106C/A001/0000 (manufacturer/model/hardware).",
        )
    ]


@pytest.mark.parametrize(
    ("field", "value", "covers"),
    [
        ("manufacturer_id", "2B1D", "2B1D/A001/0000"),
        ("model_id", "A002", "106C/A002/0000"),
        ("hardware_version", "0001", "106C/A001/0001"),
    ],
)
def test_certificate_on_record_for_another_device_model_is_c004(field: str, value: str, covers: str) -> None:
    entries, certs = gas()
    found = check(
        entries, without(certs, AssuranceScheme.ZIGBEE), on_record(AssuranceScheme.ZIGBEE, ZB, **{field: value})
    )
    assert found == [
        at(
            Code.C004,
            "ZigBee Certificate",
            f"ZigBee certificate {ZB} covers {covers}, not 106C/A001/0000 (manufacturer/model/hardware).",
        )
    ]


def test_certificate_on_record_for_this_device_model_needs_no_sheet_row() -> None:
    entries, certs = gas()
    found = check(entries, without(certs, AssuranceScheme.ZIGBEE), on_record(AssuranceScheme.ZIGBEE, ZB))
    assert found == []


def test_row_with_unreadable_model_id_is_not_compared_with_its_certificates() -> None:
    entries, certs = gas(model_id="12345")
    assert places(check(entries, certs)) == [(Code.F002, ENTRY_SHEET, 2, "Model ID")]


def test_certificate_with_unreadable_hardware_is_not_compared_with_the_row() -> None:
    entries, certs = gas()
    sheet_cert(certs, AssuranceScheme.ZIGBEE)["hardware_version"] = "XYZ"
    assert places(check(entries, certs)) == [(Code.F002, CERTIFICATE_SHEET, 3, "Hardware Version")]


def test_certificate_row_without_a_scheme_does_not_hide_the_rows_after_it() -> None:
    entries, certs = gas()
    stray = {**sheet_cert(certs, AssuranceScheme.ZIGBEE), "scheme": None, "certificate_number": "X-1"}
    assert places(check(entries, [stray, *certs])) == [(Code.F001, CERTIFICATE_SHEET, 2, "Scheme")]


def test_certificate_row_without_a_number_does_not_hide_the_rows_after_it() -> None:
    entries, certs = gas()
    stray = {**sheet_cert(certs, AssuranceScheme.CPA), "certificate_number": None}
    assert places(check(entries, [stray, *certs])) == [(Code.F001, CERTIFICATE_SHEET, 2, "Certificate Number")]


# --- C005: certificates naming other firmware ------------------------------------------------------


def test_c005_lists_the_certificate_firmware_at_the_mapping_evidence_cell() -> None:
    entries, certs = gas(firmware_version="9002")
    sheet_cert(certs, AssuranceScheme.ZIGBEE)["firmware_versions"] = "8fff, 9001"
    evidence = "Firmware Mapping Evidence"
    assert check(entries, certs) == [
        at(Code.C005, evidence, f"ZigBee certificate {ZB} lists firmware 8FFF, 9001, not 9002; give {evidence}."),
        at(Code.C005, evidence, f"CPA certificate {CPA} lists firmware 9001, not 9002; give {evidence}."),
    ]


def test_certificate_on_record_naming_other_firmware_is_c005() -> None:
    entries, certs = gas()
    ctx = on_record(AssuranceScheme.ZIGBEE, ZB, firmware_versions=("9000",))
    assert check(entries, without(certs, AssuranceScheme.ZIGBEE), ctx) == [
        at(
            Code.C005,
            "Firmware Mapping Evidence",
            f"ZigBee certificate {ZB} lists firmware 9000, not 9001; give Firmware Mapping Evidence.",
        )
    ]


def test_row_with_unreadable_firmware_is_not_compared_with_its_certificates() -> None:
    entries, certs = gas(firmware_version="123456789")
    assert places(check(entries, certs)) == [(Code.F002, ENTRY_SHEET, 2, "Firmware Version")]


def test_certificate_with_unreadable_firmware_versions_is_not_compared_with_the_row() -> None:
    entries, certs = gas()
    sheet_cert(certs, AssuranceScheme.ZIGBEE)["firmware_versions"] = "9001,,9002"
    assert places(check(entries, certs)) == [(Code.F002, CERTIFICATE_SHEET, 3, "Firmware Versions")]


# --- F001 / C002 / C003 / N001: the CPA certificate in force -------------------------------------


def test_cpa_certificate_without_expiry_date_on_the_row_is_f001() -> None:
    entries, certs = gas(cpa_expiry=None)
    assert check(entries, certs) == [
        at(Code.F001, "CPA Expiry Date", "CPA Expiry Date is required with a CPA certificate.")
    ]


def test_unreadable_cpa_expiry_date_is_only_its_format_finding() -> None:
    entries, certs = gas(cpa_expiry="31/01/2031")
    assert places(check(entries, certs)) == [(Code.F002, ENTRY_SHEET, 2, "CPA Expiry Date")]


def test_cpa_certificate_with_no_expiry_anywhere_is_f001_and_c004() -> None:
    entries, certs = gas(cpa_expiry=None)
    assert check(entries, without(certs, AssuranceScheme.CPA)) == [
        at(Code.C004, "CPA Certificate", CPA_NOT_ON_SHEET),
        at(Code.F001, "CPA Expiry Date", "CPA Expiry Date is required with a CPA certificate."),
    ]


def test_cpa_certificate_is_expired_on_its_expiry_date() -> None:
    entry, certs = sample_row(GAS, 1, cpa_expiry=dt.date(2026, 11, 23))
    assert check([entry], certs) == [at(Code.C002, "CPA Expiry Date", f"CPA certificate {CPA} expired on 2026-11-23.")]


def test_cpa_expiry_on_the_certificate_sheet_earlier_than_the_row_counts() -> None:
    # The two dates disagree (C007); the earlier is the one C002 judges.
    entries, certs = gas()
    sheet_cert(certs, AssuranceScheme.CPA)["expiry"] = dt.date(2026, 11, 1)
    found = check(entries, certs)
    assert places(found) == [
        (Code.C002, ENTRY_SHEET, 2, "CPA Expiry Date"),
        (Code.C007, ENTRY_SHEET, 2, "CPA Expiry Date"),
    ]
    assert found[0].message == f"CPA certificate {CPA} expired on 2026-11-01."


def test_cpa_expiry_on_the_row_earlier_than_the_certificate_sheet_counts() -> None:
    entries, certs = gas(cpa_expiry=dt.date(2026, 10, 31))
    found = check(entries, certs)
    assert places(found) == [
        (Code.C002, ENTRY_SHEET, 2, "CPA Expiry Date"),
        (Code.C007, ENTRY_SHEET, 2, "CPA Expiry Date"),
    ]
    assert found[0].message == f"CPA certificate {CPA} expired on 2026-10-31."


def test_cpa_expiry_of_the_certificate_on_record_counts() -> None:
    entries, certs = gas()
    ctx = on_record(AssuranceScheme.CPA, CPA, expiry=dt.date(2026, 10, 1))
    assert check(entries, without(certs, AssuranceScheme.CPA), ctx) == [
        at(Code.C002, "CPA Expiry Date", f"CPA certificate {CPA} expired on 2026-10-01.")
    ]


def test_expired_cpa_certificate_is_only_c002_though_its_conditional_date_passed_too() -> None:
    entries, certs = gas(cpa_expiry=dt.date(2026, 11, 1), cpa_conditional_date=dt.date(2026, 6, 1))
    sheet_cert(certs, AssuranceScheme.CPA)["expiry"] = dt.date(2026, 11, 1)
    assert places(check(entries, certs)) == [(Code.C002, ENTRY_SHEET, 2, "CPA Expiry Date")]


def c003(conditional: str) -> Finding:
    return at(
        Code.C003,
        "CPA Conditional Date",
        f"CPA certificate {CPA} was conditional until {conditional} and its conditions are not recorded as met.",
    )


def test_conditional_cpa_is_refused_on_its_conditional_date() -> None:
    entries, certs = gas(cpa_conditional_date=dt.date(2026, 11, 23))
    assert check(entries, certs) == [c003("2026-11-23")]


def test_conditional_cpa_the_day_before_its_conditional_date_is_warned_of_its_end() -> None:
    entries, certs = gas(cpa_conditional_date=dt.date(2026, 11, 24))
    assert check(entries, certs) == [
        at(Code.N001, "CPA Expiry Date", f"CPA certificate {CPA} ends on 2026-11-24, within 12 months.")
    ]


def test_conditional_date_on_the_certificate_sheet_counts() -> None:
    entries, certs = gas()
    sheet_cert(certs, AssuranceScheme.CPA)["conditional_date"] = dt.date(2026, 6, 1)
    assert check(entries, certs) == [c003("2026-06-01")]


def test_conditional_date_of_the_certificate_on_record_counts() -> None:
    entries, certs = gas()
    ctx = on_record(AssuranceScheme.CPA, CPA, expiry=dt.date(2031, 1, 31), conditional_date=dt.date(2026, 6, 1))
    assert check(entries, without(certs, AssuranceScheme.CPA), ctx) == [c003("2026-06-01")]


@pytest.mark.parametrize(
    ("on_row", "on_sheet"),
    [(dt.date(2027, 3, 1), dt.date(2026, 6, 1)), (dt.date(2026, 6, 1), dt.date(2027, 3, 1))],
)
def test_earlier_of_the_row_and_sheet_conditional_dates_counts(on_row: dt.date, on_sheet: dt.date) -> None:
    entries, certs = gas(cpa_conditional_date=on_row)
    sheet_cert(certs, AssuranceScheme.CPA)["conditional_date"] = on_sheet
    assert check(entries, certs) == [c003("2026-06-01")]


def test_conditional_cpa_not_on_the_sheet_has_no_conditions_met() -> None:
    entries, certs = gas(cpa_conditional_date=dt.date(2026, 6, 1))
    assert check(entries, without(certs, AssuranceScheme.CPA)) == [
        at(Code.C004, "CPA Certificate", CPA_NOT_ON_SHEET),
        c003("2026-06-01"),
    ]


def test_conditional_end_within_twelve_months_is_n001_until_conditions_are_met() -> None:
    entries, certs = gas(cpa_conditional_date=dt.date(2027, 1, 1))
    assert check(entries, certs) == [
        at(Code.N001, "CPA Expiry Date", f"CPA certificate {CPA} ends on 2027-01-01, within 12 months.")
    ]
    met = on_record(AssuranceScheme.CPA, CPA, expiry=dt.date(2031, 1, 31), conditions_met=True)
    assert check(entries, certs, met) == []


def test_cpa_ending_exactly_twelve_months_ahead_is_n001() -> None:
    entry, certs = sample_row(GAS, 1, cpa_expiry=dt.date(2027, 11, 23))
    assert check([entry], certs) == [
        at(Code.N001, "CPA Expiry Date", f"CPA certificate {CPA} ends on 2027-11-23, within 12 months.")
    ]


def test_cpa_ending_a_day_beyond_twelve_months_is_quiet() -> None:
    entry, certs = sample_row(GAS, 1, cpa_expiry=dt.date(2027, 11, 24))
    assert check([entry], certs) == []


def test_a_row_naming_no_cpa_certificate_has_no_cpa_dates() -> None:
    entry, certs = sample_row(PhysicalDeviceType.PPMID, 1)
    (row,) = parse_submission(as_workbook_data([entry], certs)).entries
    assert row_cpa_dates(row, {}) is None


def test_a_row_whose_cpa_certificate_is_unknown_has_the_row_dates() -> None:
    entries, certs = gas(cpa_conditional_date=dt.date(2027, 6, 1))
    (row,) = parse_submission(as_workbook_data(entries, certs)).entries
    assert row_cpa_dates(row, {}) == CpaDates(expiry=dt.date(2031, 1, 31), conditional_date=dt.date(2027, 6, 1))


# --- V001 / V002 / F001: versions ----------------------------------------------------------------


def test_gbcs_version_not_yet_in_effect_is_v001() -> None:
    registry = REGISTRY.with_version(SpecVersion(SpecKind.GBCS, "v5.0", effective_from=dt.date(2026, 11, 24)))
    assert check(*gas(gbcs_version="v5.0"), context(registry=registry)) == [
        at(Code.V001, "GBCS Version", "GBCS version v5.0 is not in effect until 2026-11-24.")
    ]


def test_gbcs_version_is_in_effect_from_its_effective_date() -> None:
    registry = REGISTRY.with_version(SpecVersion(SpecKind.GBCS, "v5.0", effective_from=dt.date(2026, 11, 23)))
    assert check(*gas(gbcs_version="v5.0"), context(registry=registry)) == []


def test_technical_specification_not_yet_in_effect_is_v001() -> None:
    spec = SpecVersion(SpecKind.TECHNICAL_SPECIFICATION, "SMETS2 v6.0", effective_from=dt.date(2027, 1, 1))
    assert check(*gas(technical_specification="SMETS2 v6.0"), context(registry=REGISTRY.with_version(spec))) == [
        at(
            Code.V001,
            "Technical Specification",
            "Technical Specification SMETS2 v6.0 is not in effect until 2027-01-01.",
        )
    ]


def test_unknown_technical_specification_and_gbcs_version_are_each_v001() -> None:
    # 'v9.9' is near no GBCS version: the sentence lists them (cpl/data/specifications.json);
    # 'SMETS3 v1.0' is one digit from three SMETS versions, as the SEC list spells them.
    assert check(*gas(technical_specification="SMETS3 v1.0", gbcs_version="v9.9")) == [
        at(
            Code.V001,
            "GBCS Version",
            "GBCS version 'v9.9' is not a version the CPL recognises: the recognised versions are v0.8.1, v0.8.2, "
            "v1.0, v1.1, v2.0, v2.1, v3.0, v3.1, v3.2, v4.0, v4.1, v4.2.",
        ),
        at(
            Code.V001,
            "Technical Specification",
            "Technical Specification 'SMETS3 v1.0' is not a version the CPL recognises: "
            "did you mean 'SMETS V5.0', 'SMETS V2.0' or 'SMETS V1.2'?",
        ),
    ]


def test_end_dated_versions_are_v002_naming_the_end_date() -> None:
    spec = SpecVersion(SpecKind.TECHNICAL_SPECIFICATION, "SMETS2 v4.2", end_date=dt.date(2026, 11, 23))
    found = check(*gas(gbcs_version="V1.0"), context(registry=REGISTRY.with_version(spec)))
    assert found == [
        at(Code.V002, "GBCS Version", "GBCS version v1.0 was end-dated on 2018-05-07."),
        at(Code.V002, "Technical Specification", "Technical Specification SMETS2 v4.2 was end-dated on 2026-11-23."),
    ]


def test_blank_technical_specification_does_not_stop_the_gbcs_check() -> None:
    assert places(check(*gas(technical_specification=None, gbcs_version="v9.9"))) == [
        (Code.V001, ENTRY_SHEET, 2, "GBCS Version"),
        (Code.F001, ENTRY_SHEET, 2, "Technical Specification"),
    ]


def test_missing_gbcs_version_on_a_non_smets1_row_is_f001() -> None:
    assert check(*gas(gbcs_version=None)) == [
        at(Code.F001, "GBCS Version", "GBCS Version is required (except for SMETS1 entries).")
    ]


def test_unreadable_gbcs_version_is_only_its_format_finding() -> None:
    assert places(check(*gas(gbcs_version="v" * 21))) == [(Code.F002, ENTRY_SHEET, 2, "GBCS Version")]


# --- P001 - P005 / D001 / D002: who may submit what -----------------------------------------------


def smets1(**changes: object) -> tuple[list[Row], list[Row]]:
    entry, certs = sample_row(GAS, 4, submission_type=SubmissionType.SMETS1)
    entry.update(changes)
    return [entry], certs


def test_smets1_entry_from_a_manufacturer_is_p002_at_the_submission_type() -> None:
    assert check(*smets1()) == [at(Code.P002, "Submission Type", "Only the DCC may submit SMETS1 entries.")]


def test_smets1_row_without_a_compliance_statement_is_f001() -> None:
    assert check(*smets1(compliance_statement=None), context(submitter=PartyRole.DCC)) == [
        at(Code.F001, "Compliance Statement", "SMETS1 entries need a Compliance Statement.")
    ]


def test_smets1_row_with_an_unreadable_compliance_statement_is_only_its_format_finding() -> None:
    found = check(*smets1(compliance_statement="x" * 201), context(submitter=PartyRole.DCC))
    assert places(found) == [(Code.F002, ENTRY_SHEET, 2, "Compliance Statement")]


def firmware_update(**changes: object) -> tuple[list[Row], list[Row], frozenset[object]]:
    entries, certs = gas(submission_type=SubmissionType.FIRMWARE_UPDATE, **changes)
    model = EntryIdentity(GAS, "106C", "A001", "0000", "0001", "SMETS2 v4.2", "v4.2").device_model
    return entries, certs, frozenset({model})


def test_manufacturer_firmware_update_without_confirming_supplier_is_p001() -> None:
    entries, certs, models = firmware_update()
    assert check(entries, certs, context(active_device_models=models)) == [
        at(
            Code.P001,
            "Confirming Supplier",
            "A firmware update submitted by a manufacturer needs a Confirming Supplier.",
        )
    ]


def test_unregistered_confirming_supplier_is_p001_naming_it() -> None:
    entries, certs, models = firmware_update(confirming_supplier="nobody")
    ctx = context(active_device_models=models, supplier_ids=frozenset({"bright-energy"}))
    assert check(entries, certs, ctx) == [
        at(Code.P001, "Confirming Supplier", "Confirming Supplier 'nobody' is not a registered supplier.")
    ]


def test_registered_confirming_supplier_is_fine() -> None:
    entries, certs, models = firmware_update(confirming_supplier="bright-energy")
    ctx = context(active_device_models=models, supplier_ids=frozenset({"bright-energy"}))
    assert check(entries, certs, ctx) == []


def test_confirming_supplier_is_not_checked_without_a_supplier_list() -> None:
    entries, certs, models = firmware_update(confirming_supplier="anyone")
    assert check(entries, certs, context(active_device_models=models)) == []


HASH = "AB" * 32


@pytest.mark.parametrize(
    ("signature", "problem", "why"),
    [
        (SignatureState.ABSENT, "", " (no signature was supplied)"),
        (SignatureState.INVALID, "the message digest does not match", " (the message digest does not match)"),
        (SignatureState.INVALID, "", ""),
    ],
)
def test_manufacturer_image_hash_without_a_valid_signature_is_p003_saying_why(
    signature: SignatureState, problem: str, why: str
) -> None:
    ctx = context(signature=signature, signature_problem=problem)
    assert check(*gas(manufacturer_image_hash=HASH, manufacturer_image_creator="Acme build"), ctx) == [
        at(
            Code.P003,
            "Manufacturer Image Hash",
            f"A Manufacturer Image Hash needs the workbook signed by its submitter{why}.",
        )
    ]


def test_manufacturer_image_hash_without_creator_is_p004_at_the_creator_cell() -> None:
    ctx = context(signature=SignatureState.VALID)
    assert check(*gas(manufacturer_image_hash=HASH), ctx) == [
        at(Code.P004, "Manufacturer Image Creator", "A Manufacturer Image Hash needs the Manufacturer Image Creator.")
    ]


def test_entry_already_active_is_d001_at_the_firmware_version() -> None:
    active = frozenset({EntryIdentity(GAS, "106C", "A001", "0000", "9001", "SMETS2 v4.2", "v4.2")})
    assert check(*gas(), context(active_entries=active)) == [
        at(
            Code.D001,
            "Firmware Version",
            "Gas Smart Meter 106C/A001 hardware 0000 firmware 9001 (SMETS2 v4.2, GBCS v4.2) is already on the CPL.",
        )
    ]


def test_firmware_update_of_a_model_not_on_the_cpl_is_p005_at_the_submission_type() -> None:
    entries, certs, _ = firmware_update(confirming_supplier="bright-energy")
    assert check(entries, certs) == [
        at(
            Code.P005,
            "Submission Type",
            "Gas Smart Meter 106C/A001 hardware 0000 is not on the CPL, so it cannot have a firmware update; "
            "submit it as New.",
        )
    ]


def test_firmware_update_with_unreadable_firmware_is_only_its_format_finding() -> None:
    entries, certs, _ = firmware_update(confirming_supplier="bright-energy", firmware_version="123456789")
    assert places(check(entries, certs)) == [(Code.F002, ENTRY_SHEET, 2, "Firmware Version")]


def repeats(row: int, of: int) -> Finding:
    return at(
        Code.D002,
        "Firmware Version",
        f"Gas Smart Meter 106C/A001 hardware 0000 firmware 9001 (SMETS2 v4.2, GBCS v4.2) repeats row {of}.",
        row=row,
    )


def test_every_repeat_of_an_entry_is_d002_naming_its_first_row() -> None:
    entries, certs = gas()
    assert check(entries * 3, certs) == [repeats(3, 2), repeats(4, 2)]


def test_rows_without_an_identity_do_not_stop_the_duplicate_check() -> None:
    entries, certs = gas()
    unreadable = {**entries[0], "model_id": "12345"}
    found = check([unreadable, *entries * 2], certs)
    assert found[0].code == Code.F002 and found[1:] == [repeats(4, 3)]


# --- the certificate sheet ------------------------------------------------------------------------


def test_every_cpa_certificate_row_without_expiry_is_f001() -> None:
    first, first_certs = sample_row(GAS, 1)
    second, second_certs = sample_row(GAS, 2)
    certs = first_certs + second_certs  # CPA rows are 2 and 4
    for cert in certs:
        if cert["scheme"] == AssuranceScheme.CPA:
            cert["expiry"] = None
    expiry = "Expiry is required for a CPA certificate."
    assert check([first, second], certs) == [
        at(Code.F001, "Expiry", expiry, row=2, sheet=CERTIFICATE_SHEET),
        at(Code.F001, "Expiry", expiry, row=4, sheet=CERTIFICATE_SHEET),
    ]


def test_cpa_certificate_row_with_unreadable_expiry_is_only_its_format_finding() -> None:
    entries, certs = gas()
    sheet_cert(certs, AssuranceScheme.CPA)["expiry"] = "soon"
    assert places(check(entries, certs)) == [(Code.F002, CERTIFICATE_SHEET, 2, "Expiry")]


def test_without_the_certificate_sheet_no_certificate_is_judged_by_what_it_covers() -> None:
    # Even certificates on record: the row may have meant the sheet's, which WB002 says is missing.
    entries, certs = gas()
    data = as_workbook_data(entries, certs)
    only_entries = replace(data, sheets=data.sheets[:1])
    records = {
        (scheme, number.casefold()): KnownCertificate(
            scheme, number, "2B1D", "A001", "0000", ("9000",), expiry=dt.date(2031, 1, 31)
        )
        for scheme, number in ((AssuranceScheme.ZIGBEE, ZB), (AssuranceScheme.CPA, CPA))
    }
    found = check_submission(parse_submission(only_entries), context(known_certificates=records))
    assert places(found) == [(Code.WB002, CERTIFICATE_SHEET, None, None)]


# --- a certificate on record and on the sheet: the sheet never moves its dates later -------------


def test_a_sheet_cannot_hide_that_a_cpa_on_record_has_expired() -> None:
    entries, certs = gas(cpa_expiry=dt.date(2031, 1, 31))
    sheet_cert(certs, AssuranceScheme.CPA)["expiry"] = dt.date(2031, 1, 31)
    ctx = on_record(AssuranceScheme.CPA, CPA, expiry=dt.date(2026, 10, 1))
    assert check(entries, certs, ctx) == [
        at(Code.C002, "CPA Expiry Date", f"CPA certificate {CPA} expired on 2026-10-01.")
    ]


def test_a_sheet_cannot_hide_a_conditional_date_on_record_that_has_passed() -> None:
    entries, certs = gas(cpa_expiry=dt.date(2031, 1, 31))
    sheet_cert(certs, AssuranceScheme.CPA)["expiry"] = dt.date(2031, 1, 31)
    ctx = on_record(AssuranceScheme.CPA, CPA, expiry=dt.date(2031, 1, 31), conditional_date=dt.date(2026, 11, 1))
    assert check(entries, certs, ctx) == [
        at(
            Code.C003,
            "CPA Conditional Date",
            f"CPA certificate {CPA} was conditional until 2026-11-01 and its conditions are not recorded as met.",
        )
    ]


def test_an_earlier_expiry_on_the_sheet_than_on_record_still_counts() -> None:
    entries, certs = gas(cpa_expiry=dt.date(2031, 1, 31))
    sheet_cert(certs, AssuranceScheme.CPA)["expiry"] = dt.date(2026, 9, 30)
    ctx = on_record(AssuranceScheme.CPA, CPA, expiry=dt.date(2031, 1, 31))
    found = check(entries, certs, ctx)
    assert places(found) == [
        (Code.C002, ENTRY_SHEET, 2, "CPA Expiry Date"),
        (Code.C007, ENTRY_SHEET, 2, "CPA Expiry Date"),
    ]
    assert found[0].message == f"CPA certificate {CPA} expired on 2026-09-30."
