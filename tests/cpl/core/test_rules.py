"""Every CPL rule, one test each, on cells as the reader hands them over (no file I/O)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpl.core.domain import REQUIRED_CERTIFICATES, EntryIdentity, PartyRole, SubmissionType
from cpl.core.findings import Code, Finding
from cpl.core.rules import CheckContext, KnownCertificate, SignatureState, check_submission
from cpl.core.schema import CERTIFICATE_SHEET, ENTRY_COLUMNS, ENTRY_SHEET
from cpl.core.specs import SpecKind, SpecVersion
from cpl.core.submission import parse_submission
from cpl.demo.samples import Row, as_workbook_data, sample_row
from cpl.specs_file import default_registry
from formats.vocabulary import CPL_CONTROLLED_TYPES, AssuranceScheme, PhysicalDeviceType

AS_OF = dt.date(2026, 11, 23)
REGISTRY = default_registry()
GAS = PhysicalDeviceType.GAS_SMART_METER
HUB = PhysicalDeviceType.COMMUNICATIONS_HUB


def context(**overrides: object) -> CheckContext:
    base = CheckContext(as_of=AS_OF, submitter=PartyRole.MANUFACTURER, registry=REGISTRY)
    return replace(base, **overrides)  # type: ignore[arg-type]


def findings_for(
    entries: list[Row], certificates: list[Row], ctx: CheckContext | None = None, extra_headers: tuple[str, ...] = ()
) -> list[Finding]:
    parsed = parse_submission(as_workbook_data(entries, certificates, extra_headers=extra_headers))
    return check_submission(parsed, ctx or context())


def one(device_type: PhysicalDeviceType = GAS, **changes: object) -> tuple[list[Row], list[Row]]:
    entry, certs = sample_row(device_type, 1)
    entry.update(changes)
    return [entry], certs


def codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]


@pytest.mark.parametrize("device_type", sorted(CPL_CONTROLLED_TYPES))
def test_valid_row_of_every_physical_device_type_has_no_findings(device_type: PhysicalDeviceType) -> None:
    entries, certs = one(device_type)
    assert findings_for(entries, certs) == []


@pytest.mark.parametrize("device_type", [PhysicalDeviceType.IHD, PhysicalDeviceType.TYPE_2_DEVICE_OTHER])
def test_a_type_2_device_is_c006_and_nothing_else(device_type: PhysicalDeviceType) -> None:
    # SEC Inventory Enrolment and Withdrawal Procedures 2.9: "a Type 2 Device shall not be identified in the CPL".
    entries, certs = one(device_type)
    found = findings_for(entries, certs)
    assert [(f.code, f.row, f.column) for f in found] == [(Code.C006, 2, "Physical Device Type")]
    assert "Type 2 Device" in found[0].message and "2.9" in found[0].message


def test_a_workbook_with_no_entry_is_f003() -> None:
    _, certs = one()
    found = findings_for([], certs)
    assert [(f.code, f.sheet) for f in found] == [(Code.F003, ENTRY_SHEET)]


def test_missing_sheet_is_wb002() -> None:
    data = as_workbook_data(*one())
    only_entries = replace(data, sheets=data.sheets[:1])
    found = check_submission(parse_submission(only_entries), context())
    assert [(f.code, f.sheet) for f in found] == [(Code.WB002, CERTIFICATE_SHEET)]


def test_missing_required_header_is_wb002_at_the_header_row() -> None:
    data = as_workbook_data(*one())
    sheet = data.sheets[0]
    header = tuple("Vendor" if h == "Manufacturer" else h for h in sheet.header)
    found = check_submission(
        parse_submission(replace(data, sheets=(replace(sheet, header=header), data.sheets[1]))), context()
    )
    assert (Code.WB002, 1, "Manufacturer") in [(f.code, f.row, f.column) for f in found]


def test_headers_match_by_text_ignoring_case_and_spaces() -> None:
    data = as_workbook_data(*one())
    sheet = data.sheets[0]
    header = tuple(f"  {h.upper()} " for h in sheet.header)
    found = check_submission(
        parse_submission(replace(data, sheets=(replace(sheet, header=header), data.sheets[1]))), context()
    )
    assert found == []


def test_unknown_extra_column_is_a_warning() -> None:
    found = findings_for(*one(), extra_headers=("Colour",))
    assert [(f.code, f.severity, f.column) for f in found] == [(Code.N002, "warning", "Colour")] * 2


def test_empty_required_value_is_f001() -> None:
    found = findings_for(*one(manufacturer=None))
    assert [(f.code, f.row, f.column) for f in found] == [(Code.F001, 2, "Manufacturer")]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("manufacturer_id", "106G"),
        ("manufacturer_id", "10 6C"),
        ("model_id", "12345"),
        ("firmware_version", "123456789"),
        ("hardware_version", ""),
        ("physical_device_type", "Gas Meter"),
        ("submission_type", "Renewal"),
        ("cpa_expiry", "31/01/2031"),
        ("manufacturer", "x" * 31),
    ],
)
def test_badly_formed_value_is_f002(field: str, value: str) -> None:
    found = findings_for(*one(**{field: value}))
    column = next(c.header for c in ENTRY_COLUMNS if c.field == field)
    expected = Code.F001 if value == "" else Code.F002
    assert (expected, 2, column) in [(f.code, f.row, f.column) for f in found]


def test_number_cell_losing_leading_zeros_says_format_as_text() -> None:
    found = findings_for(*one(hardware_version=12))
    assert found[0].code == Code.F002 and "format the column as Text" in found[0].message


def test_date_written_as_iso_text_is_accepted() -> None:
    entries, certs = one(cpa_expiry="2031-01-31")
    assert findings_for(entries, certs) == []


def test_formula_cell_is_f002_and_never_trusted() -> None:
    data = as_workbook_data(*one())
    sheet = data.sheets[0]
    column = sheet.header.index("Model ID")
    tampered = replace(sheet, formula_cells=frozenset({(2, column)}))
    found = check_submission(parse_submission(replace(data, sheets=(tampered, data.sheets[1]))), context())
    assert (Code.F002, "Model ID") in [(f.code, f.column) for f in found]


def test_missing_required_certificate_is_c001() -> None:
    entries, certs = one(PhysicalDeviceType.SINGLE_ELEMENT_ELECTRICITY_METER, dlms_certificate=None)
    found = findings_for(entries, certs)
    assert [(f.code, f.column) for f in found] == [(Code.C001, "DLMS Certificate")]


@pytest.mark.parametrize("device_type", list(PhysicalDeviceType))
def test_certificate_table_decides_what_each_type_needs(device_type: PhysicalDeviceType) -> None:
    entry, certs = sample_row(device_type, 3)
    for scheme in AssuranceScheme:
        entry[f"{scheme.lower()}_certificate"] = None
    entry["cpa_expiry"] = None
    found = findings_for([entry], certs)
    missing = {f.column for f in found if f.code == Code.C001}
    assert missing == {f"{s} Certificate" for s in REQUIRED_CERTIFICATES[device_type]}


def test_smets1_entry_needs_no_cpa_certificate() -> None:
    entry, certs = sample_row(GAS, 4, submission_type=SubmissionType.SMETS1)
    assert entry.get("cpa_certificate") is None
    assert findings_for([entry], certs, context(submitter=PartyRole.DCC)) == []


def test_expired_cpa_certificate_is_c002() -> None:
    entry, certs = sample_row(GAS, 1, cpa_expiry=dt.date(2026, 11, 23))
    found = findings_for([entry], certs)
    assert codes(found) == [Code.C002]


def test_cpa_conditional_date_passed_without_conditions_met_is_c003() -> None:
    entries, certs = one(cpa_conditional_date=dt.date(2026, 6, 1))
    assert codes(findings_for(entries, certs)) == [Code.C003]


def test_cpa_conditional_date_passed_with_conditions_met_is_fine() -> None:
    entries, certs = one(cpa_conditional_date=dt.date(2026, 6, 1))
    cpa = next(c for c in certs if c["scheme"] == AssuranceScheme.CPA)
    known = KnownCertificate(
        AssuranceScheme.CPA,
        str(cpa["certificate_number"]),
        "106C",
        str(cpa["model_id"]),
        str(cpa["hardware_version"]),
        ("9001",),
        conditions_met=True,
    )
    found = findings_for(entries, certs, context(known_certificates={(known.scheme, known.number.casefold()): known}))
    assert found == []


def test_certificate_not_on_the_sheet_is_c004() -> None:
    entries, certs = one()
    found = findings_for(entries, [c for c in certs if c["scheme"] != AssuranceScheme.ZIGBEE])
    assert [(f.code, f.column) for f in found] == [(Code.C004, "ZigBee Certificate")]


def test_certificate_for_other_hardware_is_c004() -> None:
    entries, certs = one()
    certs[0]["hardware_version"] = "FFFF"
    found = findings_for(entries, certs)
    assert codes(found) == [Code.C004] and "hardware" in found[0].message


def test_revoked_certificate_on_record_is_c004() -> None:
    entries, certs = one()
    zb = next(c for c in certs if c["scheme"] == AssuranceScheme.ZIGBEE)
    known = KnownCertificate(
        AssuranceScheme.ZIGBEE,
        str(zb["certificate_number"]),
        "106C",
        str(zb["model_id"]),
        str(zb["hardware_version"]),
        ("9001",),
        revoked=True,
    )
    found = findings_for(entries, certs, context(known_certificates={(known.scheme, known.number.casefold()): known}))
    assert codes(found) == [Code.C004] and "revoked" in found[0].message


def test_certificate_naming_other_firmware_without_mapping_evidence_is_c005() -> None:
    entries, certs = one(firmware_version="9002")
    found = findings_for(entries, certs)
    assert set(codes(found)) == {Code.C005} and len(found) == len(certs)


def test_certificate_naming_other_firmware_with_mapping_evidence_is_fine() -> None:
    entries, certs = one(firmware_version="9002", firmware_mapping_evidence="Release notes 9002 s.4")
    assert findings_for(entries, certs) == []


def test_unknown_gbcs_version_is_v001() -> None:
    found = findings_for(*one(gbcs_version="v9.9"))
    assert [(f.code, f.column) for f in found] == [(Code.V001, "GBCS Version")]


def test_unknown_technical_specification_is_v001() -> None:
    found = findings_for(*one(technical_specification="SMETS3 v1.0"))
    assert [(f.code, f.column) for f in found] == [(Code.V001, "Technical Specification")]


def test_gbcs_v1_1_is_recognised() -> None:
    assert findings_for(*one(gbcs_version="v1.1")) == []


def test_gbcs_v1_0_end_dated_in_2018_is_v002() -> None:
    found = findings_for(*one(gbcs_version="V1.0"))
    assert codes(found) == [Code.V002] and "2018-05-07" in found[0].message


def test_gbcs_v1_0_was_fine_before_its_end_date() -> None:
    entries, certs = sample_row(GAS, 1, issued=dt.date(2017, 1, 1), cpa_expiry=dt.date(2020, 1, 1))
    entries["gbcs_version"] = "v1.0"
    assert findings_for([entries], certs, context(as_of=dt.date(2018, 5, 6))) == []


def test_a_new_version_is_a_data_change() -> None:
    registry = REGISTRY.with_version(SpecVersion(SpecKind.GBCS, "v5.0"))
    assert findings_for(*one(gbcs_version="v5.0"), context(registry=registry)) == []


def test_entry_already_active_on_the_cpl_is_d001() -> None:
    entries, certs = one()
    e = entries[0]
    identity = EntryIdentity(
        GAS,
        str(e["manufacturer_id"]),
        str(e["model_id"]),
        str(e["hardware_version"]),
        str(e["firmware_version"]),
        str(e["technical_specification"]),
        str(e["gbcs_version"]),
    )
    found = findings_for(entries, certs, context(active_entries=frozenset({identity})))
    assert codes(found) == [Code.D001]


def test_same_entry_twice_in_the_workbook_is_d002() -> None:
    entries, certs = one()
    found = findings_for(entries * 2, certs)
    assert [(f.code, f.row) for f in found] == [(Code.D002, 3)]


def test_same_hardware_under_two_physical_device_types_is_not_a_duplicate() -> None:
    gas, gas_certs = sample_row(GAS, 7)
    ppmid, _ = sample_row(PhysicalDeviceType.PPMID, 7)
    ppmid.update({k: gas[k] for k in ("model_id", "hardware_version", "zigbee_certificate")})
    assert findings_for([gas, ppmid], gas_certs) == []


def test_firmware_update_from_manufacturer_needs_supplier() -> None:
    entries, certs = one(submission_type=SubmissionType.FIRMWARE_UPDATE)
    model = EntryIdentity(
        GAS, "106C", str(entries[0]["model_id"]), str(entries[0]["hardware_version"]), "0001", "SMETS2 v4.2", "v4.2"
    )
    found = findings_for(entries, certs, context(active_device_models=frozenset({model.device_model})))
    assert codes(found) == [Code.P001]


def test_firmware_update_from_supplier_needs_no_confirming_supplier() -> None:
    entries, certs = one(submission_type=SubmissionType.FIRMWARE_UPDATE)
    model = EntryIdentity(
        GAS, "106C", str(entries[0]["model_id"]), str(entries[0]["hardware_version"]), "0001", "SMETS2 v4.2", "v4.2"
    )
    ctx = context(submitter=PartyRole.SUPPLIER, active_device_models=frozenset({model.device_model}))
    assert findings_for(entries, certs, ctx) == []


def test_confirming_supplier_must_be_a_registered_supplier() -> None:
    entries, certs = one(submission_type=SubmissionType.FIRMWARE_UPDATE, confirming_supplier="nobody")
    model = EntryIdentity(
        GAS, "106C", str(entries[0]["model_id"]), str(entries[0]["hardware_version"]), "0001", "SMETS2 v4.2", "v4.2"
    )
    ctx = context(active_device_models=frozenset({model.device_model}), supplier_ids=frozenset({"bright-energy"}))
    found = findings_for(entries, certs, ctx)
    assert codes(found) == [Code.P001] and "not a registered supplier" in found[0].message


@pytest.mark.parametrize("submitter", [PartyRole.MANUFACTURER, PartyRole.SUPPLIER, PartyRole.SECAS])
def test_smets1_entry_from_anyone_but_the_dcc_is_p002(submitter: PartyRole) -> None:
    entry, certs = sample_row(GAS, 4, submission_type=SubmissionType.SMETS1)
    assert codes(findings_for([entry], certs, context(submitter=submitter))) == [Code.P002]


def test_manufacturer_image_hash_without_signature_is_p003() -> None:
    found = findings_for(*one(manufacturer_image_hash="ab" * 32, manufacturer_image_creator="Acme build"))
    assert codes(found) == [Code.P003] and "no signature" in found[0].message


def test_manufacturer_image_hash_with_invalid_signature_is_p003_with_the_reason() -> None:
    ctx = context(signature=SignatureState.INVALID, signature_problem="the message digest does not match")
    found = findings_for(*one(manufacturer_image_hash="ab" * 32, manufacturer_image_creator="x"), ctx)
    assert codes(found) == [Code.P003] and "message digest" in found[0].message


def test_manufacturer_image_hash_with_valid_signature_is_fine() -> None:
    ctx = context(signature=SignatureState.VALID)
    assert findings_for(*one(manufacturer_image_hash="AB" * 32, manufacturer_image_creator="x"), ctx) == []


def test_manufacturer_image_hash_without_creator_is_p004() -> None:
    ctx = context(signature=SignatureState.VALID)
    assert codes(findings_for(*one(manufacturer_image_hash="ab" * 32), ctx)) == [Code.P004]


def test_firmware_update_of_a_model_not_on_the_cpl_is_p005() -> None:
    entries, certs = one(submission_type=SubmissionType.FIRMWARE_UPDATE, confirming_supplier="bright-energy")
    assert codes(findings_for(entries, certs)) == [Code.P005]


def test_cpa_expiring_within_twelve_months_is_n001_warning() -> None:
    entry, certs = sample_row(GAS, 1, cpa_expiry=dt.date(2027, 11, 1))
    found = findings_for([entry], certs)
    assert [(f.code, f.severity) for f in found] == [(Code.N001, "warning")]


def test_cpa_expiring_in_thirteen_months_is_quiet() -> None:
    entry, certs = sample_row(GAS, 1, cpa_expiry=dt.date(2027, 12, 24))
    assert findings_for([entry], certs) == []


def test_cpa_certificate_on_the_sheet_without_expiry_is_f001() -> None:
    entries, certs = one()
    cpa = next(c for c in certs if c["scheme"] == AssuranceScheme.CPA)
    cpa["expiry"] = None
    found = findings_for(entries, certs)
    assert [(f.code, f.sheet, f.column) for f in found] == [(Code.F001, CERTIFICATE_SHEET, "Expiry")]


# --- properties ------------------------------------------------------------------------------------

CONTROLLED = sorted(CPL_CONTROLLED_TYPES)
hex_case = st.sampled_from([str.upper, str.lower, str.swapcase])


@settings(max_examples=60, deadline=None)
@given(
    device_type=st.sampled_from(CONTROLLED),
    index=st.integers(0, 0xFFFFF),
    firmware=st.text("0123456789ABCDEF", min_size=1, max_size=8),
)
def test_generated_valid_row_has_no_findings(device_type: PhysicalDeviceType, index: int, firmware: str) -> None:
    entry, certs = sample_row(device_type, index, firmware=firmware)
    assert findings_for([entry], certs) == []


REQUIRED_FIELDS = [c for c in ENTRY_COLUMNS if c.required and c.field != "gbcs_version"]


@settings(max_examples=60, deadline=None)
@given(device_type=st.sampled_from(CONTROLLED), rows=st.integers(1, 4), data=st.data())
def test_blanking_any_required_cell_gives_f001_at_that_row_and_column(
    device_type: PhysicalDeviceType, rows: int, data: st.DataObject
) -> None:
    samples = [sample_row(device_type, i) for i in range(rows)]
    entries = [e for e, _ in samples]
    certs = [c for _, cs in samples for c in cs]
    target = data.draw(st.integers(0, rows - 1))
    column = data.draw(st.sampled_from(REQUIRED_FIELDS))
    entries[target][column.field] = data.draw(st.sampled_from([None, "", "   "]))
    found = findings_for(entries, certs)
    f001 = [(f.sheet, f.row, f.column) for f in found if f.code == Code.F001]
    assert f001 == [(ENTRY_SHEET, target + 2, column.header)]


@settings(max_examples=60, deadline=None)
@given(device_type=st.sampled_from(CONTROLLED), case=hex_case, index=st.integers(0, 0xFFFF))
def test_hex_case_never_matters(device_type: PhysicalDeviceType, case: object, index: int) -> None:
    entry, certs = sample_row(device_type, index, firmware="ABC12")
    assert callable(case)
    for row in [entry, *certs]:
        for key in ("manufacturer_id", "model_id", "hardware_version", "firmware_version", "firmware_versions"):
            if isinstance(row.get(key), str):
                row[key] = case(row[key])
    parsed = parse_submission(as_workbook_data([entry], certs))
    assert check_submission(parsed, context()) == []
    assert parsed.entries[0].model_id == str(entry["model_id"]).upper()


@settings(max_examples=40, deadline=None)
@given(pair=st.lists(st.sampled_from(CONTROLLED), min_size=2, max_size=2, unique=True), index=st.integers(0, 4000))
def test_same_hardware_under_two_types_is_never_a_duplicate(pair: list[PhysicalDeviceType], index: int) -> None:
    first, first_certs = sample_row(pair[0], index)
    second, second_certs = sample_row(pair[1], index)
    for key in ("model_id", "hardware_version"):
        second[key] = first[key]
    for cert in second_certs:
        cert["model_id"], cert["hardware_version"] = first["model_id"], first["hardware_version"]
        cert["certificate_number"] = f"{cert['certificate_number']}-B"
    for scheme in AssuranceScheme:
        if second.get(f"{scheme.lower()}_certificate"):
            second[f"{scheme.lower()}_certificate"] = f"{second[f'{scheme.lower()}_certificate']}-B"
    found = findings_for([first, second], first_certs + second_certs)
    assert Code.D002 not in codes(found) and found == []
