"""From a workbook's cells to typed rows (CONTRACT.md section 1): the formats, the header layout and the
format findings WB002, F001, F002 and N002, on cells built here exactly as the reader hands them over.

Expected values and messages are written out from the contract, never taken from the schema tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from cpl.core.domain import DeviceModelKey, EntryIdentity, PartyRole, SubmissionType
from cpl.core.findings import Code
from cpl.core.rules import CheckContext, check_submission
from cpl.core.sheets import CellValue, SheetData, WorkbookData
from cpl.core.submission import CertificateRow, EntryRow, ParsedSubmission, parse_submission
from cpl.specs_file import default_registry
from formats.vocabulary import AssuranceScheme, PhysicalDeviceType

ENTRY = "CPL New Entry"
CERTIFICATES = "Assurance Certificates"

ENTRY_HEADER = (
    "Submission Type",
    "Physical Device Type",
    "Manufacturer",
    "Manufacturer ID",
    "Model",
    "Model ID",
    "Hardware Version",
    "Firmware Version",
    "Release Notes",
    "Technical Specification",
    "GBCS Version",
    "ZigBee Certificate",
    "DLMS Certificate",
    "CPA Certificate",
    "CPA Expiry Date",
    "CPA Conditional Date",
    "Manufacturer Image Hash",
    "Manufacturer Image Creator",
    "Firmware Mapping Evidence",
    "Confirming Supplier",
    "Compliance Statement",
)
CERTIFICATE_HEADER = (
    "Scheme",
    "Certificate Number",
    "Manufacturer ID",
    "Model ID",
    "Hardware Version",
    "Firmware Versions",
    "Issued",
    "Expiry",
    "Conditional Date",
)

#: A valid Gas Smart Meter row, keyed by header.
GAS_ENTRY: Mapping[str, CellValue] = {
    "Submission Type": "New",
    "Physical Device Type": "Gas Smart Meter",
    "Manufacturer": "Acme Meters",
    "Manufacturer ID": "106C",
    "Model": "G4",
    "Model ID": "4331",
    "Hardware Version": "00AC",
    "Firmware Version": "9001",
    "Release Notes": "RN-106C-4331-9001.pdf",
    "Technical Specification": "SMETS2 v4.2",
    "GBCS Version": "v4.2",
    "ZigBee Certificate": "ZB-1",
    "CPA Certificate": "CPA-1",
    "CPA Expiry Date": dt.date(2031, 1, 31),
}
ZIGBEE_CERTIFICATE: Mapping[str, CellValue] = {
    "Scheme": "ZigBee",
    "Certificate Number": "ZB-1",
    "Manufacturer ID": "106C",
    "Model ID": "4331",
    "Hardware Version": "00AC",
    "Firmware Versions": "9001",
    "Issued": dt.date(2026, 1, 15),
}
CPA_CERTIFICATE: Mapping[str, CellValue] = {
    **ZIGBEE_CERTIFICATE,
    "Scheme": "CPA",
    "Certificate Number": "CPA-1",
    "Expiry": dt.date(2031, 1, 31),
}

NUMBER_HINT = " (a number cell drops leading zeros: format the cell as text)"
TYPE_CHOICES = (
    "Communications Hub, Single Element Electricity Metering Equipment, Twin Element Electricity Metering Equipment, "
    "Polyphase Electricity Metering Equipment, Gas Smart Meter, Pre-Payment Meter Interface Device (PPMID), "
    "HAN Connected Auxiliary Load Control Switch (HCALCS), IHD, Type 2 Device (Other)"
)

Place = tuple[Code, str | None, int | None, str | None, str]


def _changed(
    base: Mapping[str, CellValue], header: tuple[str, ...], by_header: dict[str, CellValue]
) -> dict[str, CellValue]:
    changes = {name.replace("_", " "): value for name, value in by_header.items()}
    assert set(changes) <= set(header), f"not a header: {set(changes) - set(header)}"  # a typo would test nothing
    return {**base, **changes}


def entry(**by_header: CellValue) -> dict[str, CellValue]:
    """The valid gas row with some cells changed; keyword names are headers with '_' for spaces."""
    return _changed(GAS_ENTRY, ENTRY_HEADER, by_header)


def certificate(base: Mapping[str, CellValue] = ZIGBEE_CERTIFICATE, **by_header: CellValue) -> dict[str, CellValue]:
    return _changed(base, CERTIFICATE_HEADER, by_header)


def sheet(
    name: str,
    header: tuple[str, ...],
    *rows: Mapping[str, CellValue] | tuple[CellValue, ...],
    numbers: tuple[int, ...] | None = None,
    formula_cells: frozenset[tuple[int, int]] = frozenset(),
) -> SheetData:
    """Rows are dicts keyed by header (laid out under ``header``) or ready-made cell tuples."""
    row_numbers = numbers or tuple(range(2, len(rows) + 2))
    laid_out = tuple(row if isinstance(row, tuple) else tuple(row.get(h) for h in header) for row in rows)
    return SheetData(name, header, tuple(zip(row_numbers, laid_out, strict=True)), formula_cells)


def entry_sheet(*rows: Mapping[str, CellValue] | tuple[CellValue, ...], **options: object) -> SheetData:
    return sheet(ENTRY, ENTRY_HEADER, *rows, **options)  # type: ignore[arg-type]


def certificate_sheet(*rows: Mapping[str, CellValue] | tuple[CellValue, ...], **options: object) -> SheetData:
    return sheet(CERTIFICATES, CERTIFICATE_HEADER, *rows, **options)  # type: ignore[arg-type]


def parse(*sheets: SheetData) -> ParsedSubmission:
    return parse_submission(WorkbookData(sheets))


def parse_entries(*rows: Mapping[str, CellValue] | tuple[CellValue, ...], **options: object) -> ParsedSubmission:
    return parse(entry_sheet(*rows, **options), certificate_sheet(ZIGBEE_CERTIFICATE))


def parse_certificates(*rows: Mapping[str, CellValue] | tuple[CellValue, ...], **options: object) -> ParsedSubmission:
    return parse(entry_sheet(GAS_ENTRY), certificate_sheet(*rows, **options))


def places(parsed: ParsedSubmission) -> list[Place]:
    """The findings as (code, sheet, row, column, message), in a fixed order: code, sheet, row, column."""
    return sorted((f.code, f.sheet, f.row, f.column, f.message) for f in parsed.findings)


def entry_error(row: int, column: str, message: str) -> Place:
    return (Code.F002, ENTRY, row, column, message)


# --- typed rows ------------------------------------------------------------------------------------


def test_valid_entry_row_becomes_typed_values() -> None:
    parsed = parse_entries(
        entry(
            Submission_Type=" firmware UPDATE ",
            Physical_Device_Type="  gas smart   meter",
            Manufacturer="  Acme Meters  ",
            Manufacturer_ID="106c",
            Model_ID="43ab",
            Hardware_Version="00ac",
            Firmware_Version="9001abcd",
            DLMS_Certificate="DL-1",
            CPA_Expiry_Date=dt.datetime(2031, 1, 31, 17, 30),
            CPA_Conditional_Date=" 2027-06-30 ",
            Manufacturer_Image_Hash="ab" * 32,
            Manufacturer_Image_Creator="Acme Signing",
            Firmware_Mapping_Evidence="MAP-1.pdf",
            Confirming_Supplier="big-energy",
            Compliance_Statement="CS-1",
        )
    )
    assert places(parsed) == []
    assert parsed.entries == (
        EntryRow(
            row=2,
            submission_type=SubmissionType.FIRMWARE_UPDATE,
            physical_device_type=PhysicalDeviceType.GAS_SMART_METER,
            manufacturer="Acme Meters",
            manufacturer_id="106C",
            model="G4",
            model_id="43AB",
            hardware_version="00AC",
            firmware_version="9001ABCD",
            release_notes="RN-106C-4331-9001.pdf",
            technical_specification="SMETS2 v4.2",
            gbcs_version="v4.2",
            zigbee_certificate="ZB-1",
            dlms_certificate="DL-1",
            cpa_certificate="CPA-1",
            cpa_expiry=dt.date(2031, 1, 31),
            cpa_conditional_date=dt.date(2027, 6, 30),
            manufacturer_image_hash="AB" * 32,
            manufacturer_image_creator="Acme Signing",
            firmware_mapping_evidence="MAP-1.pdf",
            confirming_supplier="big-energy",
            compliance_statement="CS-1",
        ),
    )
    row = parsed.entries[0]
    assert row.submission_type is SubmissionType.FIRMWARE_UPDATE
    assert row.physical_device_type is PhysicalDeviceType.GAS_SMART_METER
    assert type(row.cpa_expiry) is dt.date
    assert row.problems == frozenset()
    assert parsed.unusable_sheets == frozenset()


def test_valid_certificate_row_becomes_typed_values() -> None:
    parsed = parse_certificates(
        certificate(
            CPA_CERTIFICATE,
            Scheme=" cpa ",
            Manufacturer_ID="106c",
            Firmware_Versions=" 9001, abc12 ,00000001",
            Issued=dt.datetime(2026, 1, 15, 9, 0),
            Expiry="2031-01-31",
            Conditional_Date=dt.date(2027, 6, 30),
        )
    )
    assert places(parsed) == []
    assert parsed.certificates == (
        CertificateRow(
            row=2,
            scheme=AssuranceScheme.CPA,
            certificate_number="CPA-1",
            manufacturer_id="106C",
            model_id="4331",
            hardware_version="00AC",
            firmware_versions=("9001", "ABC12", "00000001"),
            issued=dt.date(2026, 1, 15),
            expiry=dt.date(2031, 1, 31),
            conditional_date=dt.date(2027, 6, 30),
        ),
    )
    assert parsed.certificates[0].scheme is AssuranceScheme.CPA
    assert type(parsed.certificates[0].issued) is dt.date


def test_rows_keep_their_spreadsheet_row_numbers() -> None:
    parsed = parse_entries(entry(Model_ID="4331"), entry(Model_ID="4332"), entry(Model_ID="ZZZZ"), numbers=(2, 5, 9))
    assert [(r.row, r.model_id) for r in parsed.entries] == [(2, "4331"), (5, "4332"), (9, None)]
    assert places(parsed) == [
        entry_error(9, "Model ID", "Model ID 'ZZZZ' is not valid: Model ID takes 4 hex digits."),
    ]


def test_entry_identity_and_device_model_come_from_the_typed_row() -> None:
    row = parse_entries(GAS_ENTRY).entries[0]
    gas = PhysicalDeviceType.GAS_SMART_METER
    assert row.identity == EntryIdentity(gas, "106C", "4331", "00AC", "9001", "SMETS2 v4.2", "v4.2")
    assert row.device_model == DeviceModelKey(gas, "106C", "4331", "00AC")
    assert row.certificate_number(AssuranceScheme.ZIGBEE) == "ZB-1"
    assert row.certificate_number(AssuranceScheme.CPA) == "CPA-1"
    assert row.certificate_number(AssuranceScheme.DLMS) is None


@pytest.mark.parametrize(
    "broken",
    [
        {"Firmware Version": "XYZ"},
        {"Manufacturer ID": None},
        {"Model ID": "1"},
        {"Hardware Version": ""},
        {"Physical Device Type": "Gas Meter"},
    ],
)
def test_entry_with_an_identity_field_missing_has_no_identity(broken: dict[str, CellValue]) -> None:
    row = parse_entries({**GAS_ENTRY, **broken}).entries[0]
    assert row.identity is None
    assert row.device_model is None


# --- text ----------------------------------------------------------------------------------------


def test_whole_numbers_typed_into_text_columns_and_full_width_hex_columns_read_as_their_digits() -> None:
    # A 4-digit number in a 4-digit hex column lost no digit; firmware numbers are issue 12's (see
    # test_spreadsheet_values.py).
    parsed = parse_entries(entry(Model=4, Firmware_Version=12345678.0, Release_Notes=12, Model_ID=4331))
    assert places(parsed) == []
    row = parsed.entries[0]
    assert (row.model, row.firmware_version, row.release_notes, row.model_id) == ("4", "12345678", "12", "4331")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "is TRUE/FALSE, not text"),
        (False, "is TRUE/FALSE, not text"),
        (1.5, "is the number 1.5, not text"),
        (dt.date(2026, 1, 15), "is a date or time (2026-01-15), not text"),
        (dt.datetime(2026, 1, 15, 10, 30), "is a date or time (2026-01-15 10:30:00), not text"),
        (dt.time(10, 30), "is a date or time (10:30:00), not text"),
        (dt.timedelta(days=2), "is a date or time (2 days, 0:00:00), not text"),
    ],
)
def test_cell_that_is_not_text_is_f002_in_a_text_column(value: CellValue, reason: str) -> None:
    parsed = parse_entries(entry(Model=value))
    assert places(parsed) == [entry_error(2, "Model", f"Model {reason}.")]
    assert parsed.entries[0].model is None
    assert parsed.entries[0].problems == frozenset({"model"})


def test_true_one_and_one_point_zero_are_different_cells() -> None:
    # Equal in Python, not the same cell: TRUE is refused, the numbers read as their digits.
    parsed = parse_entries(entry(Model=1), entry(Model=True), entry(Model=1.0))
    assert [r.model for r in parsed.entries] == ["1", None, "1"]
    assert places(parsed) == [entry_error(3, "Model", "Model is TRUE/FALSE, not text.")]


@pytest.mark.parametrize(
    ("header", "field", "longest"),
    [
        ("Manufacturer", "manufacturer", 30),
        ("Model", "model", 30),
        ("GBCS Version", "gbcs_version", 20),
        ("Confirming Supplier", "confirming_supplier", 60),
        ("Release Notes", "release_notes", 200),
    ],
)
def test_text_length_limits(header: str, field: str, longest: int) -> None:
    fits = parse_entries({**GAS_ENTRY, header: "x"}, {**GAS_ENTRY, header: "y" * longest})
    assert places(fits) == []
    assert [getattr(r, field) for r in fits.entries] == ["x", "y" * longest]
    too_long = parse_entries({**GAS_ENTRY, header: "z" * (longest + 1)})
    assert places(too_long) == [
        entry_error(2, header, f"{header} has {longest + 1} characters; {header} takes 1 to {longest}."),
    ]
    assert getattr(too_long.entries[0], field) is None
    assert too_long.entries[0].problems == frozenset({field})


# --- enumerations --------------------------------------------------------------------------------


def test_unknown_submission_type_lists_the_three_choices() -> None:
    parsed = parse_entries(entry(Submission_Type="Renewal"))
    assert places(parsed) == [
        entry_error(2, "Submission Type", "Submission Type 'Renewal' is not one of: New, Firmware Update, SMETS1."),
    ]
    assert parsed.entries[0].submission_type is None


def test_unknown_physical_device_type_lists_the_nine_names() -> None:
    parsed = parse_entries(entry(Physical_Device_Type=" Pager "))
    assert places(parsed) == [
        entry_error(2, "Physical Device Type", f"Physical Device Type 'Pager' is not one of: {TYPE_CHOICES}."),
    ]


def test_a_physical_device_type_near_one_asks_whether_it_was_meant() -> None:
    parsed = parse_entries(entry(Physical_Device_Type=" Gas Meter "))
    assert places(parsed) == [
        entry_error(
            2,
            "Physical Device Type",
            "Physical Device Type 'Gas Meter' is not one of its values: did you mean 'Gas Smart Meter'?",
        ),
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("SMETS1", SubmissionType.SMETS1),
        ("smets1", SubmissionType.SMETS1),
        ("New", SubmissionType.NEW),
        ("  firmware   update ", SubmissionType.FIRMWARE_UPDATE),
    ],
)
def test_submission_type_matches_ignoring_case_and_spaces(cell: str, expected: SubmissionType) -> None:
    assert parse_entries(entry(Submission_Type=cell)).entries[0].submission_type is expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("ZigBee", AssuranceScheme.ZIGBEE), ("dlms", AssuranceScheme.DLMS), ("CPA", AssuranceScheme.CPA)],
)
def test_certificate_scheme_matches_ignoring_case(cell: str, expected: AssuranceScheme) -> None:
    assert parse_certificates(certificate(Scheme=cell)).certificates[0].scheme is expected


def test_unknown_certificate_scheme_is_f002_on_the_certificate_sheet() -> None:
    parsed = parse_certificates(certificate(Scheme="NFC"))
    assert places(parsed) == [(Code.F002, CERTIFICATES, 2, "Scheme", "Scheme 'NFC' is not one of: ZigBee, DLMS, CPA.")]
    assert parsed.certificates[0].problems == frozenset({"scheme"})


# --- hex -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field", "cell", "expected"),
    [
        ("Manufacturer ID", "manufacturer_id", "106c", "106C"),
        ("Manufacturer ID", "manufacturer_id", "ffFE", "FFFE"),
        ("Model ID", "model_id", "abcd", "ABCD"),
        ("Hardware Version", "hardware_version", "0000", "0000"),
        ("Firmware Version", "firmware_version", "9", "9"),
        ("Firmware Version", "firmware_version", "a", "A"),
        ("Firmware Version", "firmware_version", "12345678", "12345678"),
        ("Firmware Version", "firmware_version", "deadbeef", "DEADBEEF"),
        ("Manufacturer Image Hash", "manufacturer_image_hash", "0f" * 32, "0F" * 32),
    ],
)
def test_hex_fields_accept_their_sizes_in_either_case_and_store_upper_case(
    header: str, field: str, cell: str, expected: str
) -> None:
    parsed = parse_entries({**GAS_ENTRY, header: cell})
    assert places(parsed) == []
    assert getattr(parsed.entries[0], field) == expected


@pytest.mark.parametrize(
    ("header", "cell", "message"),
    [
        ("Manufacturer ID", "106CA", "Manufacturer ID '106CA' is not valid: Manufacturer ID takes 4 hex digits."),
        ("Manufacturer ID", "106CAB", "Manufacturer ID '106CAB' is not valid: Manufacturer ID takes 4 hex digits."),
        ("Manufacturer ID", "10C", "Manufacturer ID '10C' is not valid: Manufacturer ID takes 4 hex digits."),
        ("Manufacturer ID", "106G", "Manufacturer ID '106G' is not valid: Manufacturer ID takes 4 hex digits."),
        ("Manufacturer ID", "G106", "Manufacturer ID 'G106' is not valid: Manufacturer ID takes 4 hex digits."),
        ("Manufacturer ID", "10 6C", "Manufacturer ID '10 6C' is not valid: Manufacturer ID takes 4 hex digits."),
        (
            "Manufacturer ID",
            "10:6",
            "Manufacturer ID '10:6' is not valid: Manufacturer ID takes 4 hex digits, or octets like 10:6C.",
        ),
        ("Model ID", "43310", f"Model ID '43310' is not valid: Model ID takes 4 hex digits{NUMBER_HINT}."),
        ("Hardware Version", "AC", "Hardware Version 'AC' is not valid: Hardware Version takes 4 hex digits."),
        (
            "Firmware Version",
            "123456789",
            f"Firmware Version '123456789' is not valid: Firmware Version takes 1 to 8 hex digits{NUMBER_HINT}.",
        ),
        (
            "Firmware Version",
            "abcdef123",
            "Firmware Version 'abcdef123' is not valid: Firmware Version takes 1 to 8 hex digits.",
        ),
        (
            "Firmware Version",
            "90-01",
            "Firmware Version '90-01' is not valid: Firmware Version takes 1 to 8 hex digits.",
        ),
        (
            "Manufacturer Image Hash",
            "A" * 63,
            f"Manufacturer Image Hash '{'A' * 63}' is not valid: Manufacturer Image Hash takes 64 hex digits.",
        ),
        (
            "Manufacturer Image Hash",
            "A" * 65,
            f"Manufacturer Image Hash '{'A' * 65}' is not valid: Manufacturer Image Hash takes 64 hex digits.",
        ),
    ],
)
def test_malformed_hex_is_f002_naming_the_value_and_the_allowed_size(header: str, cell: str, message: str) -> None:
    parsed = parse_entries({**GAS_ENTRY, header: cell})
    assert places(parsed) == [entry_error(2, header, message)]


def test_number_cell_that_lost_its_leading_zeros_says_format_the_column_as_text() -> None:
    parsed = parse_entries(entry(Hardware_Version=12, Model_ID=331.0))
    retype = "format the column as Text and enter the value again."
    assert places(parsed) == [
        entry_error(
            2,
            "Hardware Version",
            f"Hardware Version was stored as the number 12, so any leading zeros were dropped: {retype}",
        ),
        entry_error(
            2, "Model ID", f"Model ID was stored as the number 331, so any leading zeros were dropped: {retype}"
        ),
    ]
    assert parsed.entries[0].problems == frozenset({"hardware_version", "model_id"})


# --- firmware lists on the certificate sheet ------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("9001", ("9001",)),
        (12345678, ("12345678",)),
        (12345678.0, ("12345678",)),
        ("9001,9002", ("9001", "9002")),
        (" 9001 ,  abcd1234,1 ", ("9001", "ABCD1234", "1")),
        ("a,b,c", ("A", "B", "C")),
    ],
)
def test_firmware_versions_are_a_comma_separated_hex_list(cell: CellValue, expected: tuple[str, ...]) -> None:
    parsed = parse_certificates(certificate(Firmware_Versions=cell))
    assert places(parsed) == []
    assert parsed.certificates[0].firmware_versions == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("9001,,9002", "Firmware Versions '9001,,9002' is not a comma separated list of hex firmware versions."),
        ("9001,", "Firmware Versions '9001,' is not a comma separated list of hex firmware versions."),
        (",9001", "Firmware Versions ',9001' is not a comma separated list of hex firmware versions."),
        ("9001, ,9002", "Firmware Versions '9001, ,9002' is not a comma separated list of hex firmware versions."),
        (
            "9001;9002",
            "Firmware Versions '9001;9002' is not valid: each firmware version takes 1 to 8 hex digits.",
        ),
        (
            "9001,123456789",
            f"Firmware Versions '123456789' is not valid: each firmware version takes 1 to 8 hex digits{NUMBER_HINT}.",
        ),
        (
            "ABCDEF123",
            "Firmware Versions 'ABCDEF123' is not valid: each firmware version takes 1 to 8 hex digits.",
        ),
        ("9001,90G1", "Firmware Versions '90G1' is not valid: each firmware version takes 1 to 8 hex digits."),
    ],
)
def test_malformed_firmware_list_is_f002_on_the_certificate_sheet(cell: str, message: str) -> None:
    parsed = parse_certificates(certificate(Firmware_Versions=cell))
    assert places(parsed) == [(Code.F002, CERTIFICATES, 2, "Firmware Versions", message)]
    assert parsed.certificates[0].firmware_versions is None
    assert parsed.certificates[0].problems == frozenset({"firmware_versions"})


def test_firmware_list_takes_eight_digit_versions() -> None:
    parsed = parse_certificates(certificate(Firmware_Versions="12345678,FFFFFFFF"))
    assert places(parsed) == []
    assert parsed.certificates[0].firmware_versions == ("12345678", "FFFFFFFF")


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("31/01/2031", "CPA Expiry Date '31/01/2031' is not a date: use a date cell or YYYY-MM-DD."),
        ("  Jan 2031 ", "CPA Expiry Date 'Jan 2031' is not a date: use a date cell or YYYY-MM-DD."),
        (46000, "CPA Expiry Date 46000 is not a date: use a date cell or YYYY-MM-DD."),
        (46000.5, "CPA Expiry Date 46000.5 is not a date: use a date cell or YYYY-MM-DD."),
        (True, "CPA Expiry Date True is not a date: use a date cell or YYYY-MM-DD."),
        (dt.time(10, 30), "CPA Expiry Date datetime.time(10, 30) is not a date: use a date cell or YYYY-MM-DD."),
    ],
)
def test_malformed_date_is_f002_and_says_how_to_write_one(cell: CellValue, message: str) -> None:
    parsed = parse_entries(entry(CPA_Expiry_Date=cell))
    assert places(parsed) == [entry_error(2, "CPA Expiry Date", message)]
    assert parsed.entries[0].cpa_expiry is None


@pytest.mark.parametrize(
    "cell", [dt.date(2031, 1, 31), dt.datetime(2031, 1, 31, 0, 0), dt.datetime(2031, 1, 31, 23, 59), "2031-01-31"]
)
def test_date_cells_datetimes_and_iso_text_all_read_as_a_date(cell: CellValue) -> None:
    parsed = parse_certificates(certificate(Issued=cell))
    assert places(parsed) == []
    issued = parsed.certificates[0].issued
    assert type(issued) is dt.date and issued == dt.date(2031, 1, 31)


# --- empty values --------------------------------------------------------------------------------


@pytest.mark.parametrize("blank", [None, "", "   ", "\t"])
def test_empty_required_value_is_f001_at_its_cell(blank: CellValue) -> None:
    parsed = parse_entries(entry(Manufacturer=blank))
    assert places(parsed) == [(Code.F001, ENTRY, 2, "Manufacturer", "Manufacturer is required.")]
    assert parsed.entries[0].manufacturer is None
    assert parsed.entries[0].problems == frozenset({"manufacturer"})


def test_empty_required_value_on_the_certificate_sheet_is_f001_there() -> None:
    parsed = parse_certificates(certificate(Issued=None), certificate(Certificate_Number="  "), numbers=(4, 7))
    assert places(parsed) == [
        (Code.F001, CERTIFICATES, 4, "Issued", "Issued is required."),
        (Code.F001, CERTIFICATES, 7, "Certificate Number", "Certificate Number is required."),
    ]
    assert [c.problems for c in parsed.certificates] == [frozenset({"issued"}), frozenset({"certificate_number"})]
    assert [c.issued for c in parsed.certificates] == [None, dt.date(2026, 1, 15)]


def test_empty_optional_values_are_none_without_findings() -> None:
    parsed = parse_entries(
        entry(ZigBee_Certificate="", CPA_Certificate="  ", CPA_Expiry_Date=None, Compliance_Statement="   "),
        entry(ZigBee_Certificate="ZB-2", CPA_Certificate=" ", CPA_Expiry_Date="", Compliance_Statement="CS-2"),
    )
    assert places(parsed) == []
    first, second = parsed.entries
    assert (first.zigbee_certificate, first.cpa_certificate, first.cpa_expiry, first.compliance_statement) == (
        None,
        None,
        None,
        None,
    )
    assert (second.zigbee_certificate, second.cpa_certificate, second.cpa_expiry, second.compliance_statement) == (
        "ZB-2",
        None,
        None,
        "CS-2",
    )
    assert first.problems == second.problems == frozenset()


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_empty_gbcs_version_is_left_to_the_rules(blank: CellValue) -> None:
    # Required except for SMETS1: the parser cannot tell yet, so it reports nothing and records no problem.
    parsed = parse_entries(entry(GBCS_Version=blank))
    assert places(parsed) == []
    assert parsed.entries[0].gbcs_version is None
    assert parsed.entries[0].problems == frozenset()


def test_required_column_empty_on_every_row_is_f001_on_every_row() -> None:
    parsed = parse_entries(entry(Model=None), entry(Model=""), numbers=(2, 3))
    assert places(parsed) == [
        (Code.F001, ENTRY, 2, "Model", "Model is required."),
        (Code.F001, ENTRY, 3, "Model", "Model is required."),
    ]
    assert [r.model for r in parsed.entries] == [None, None]


# --- one bad cell in a column ---------------------------------------------------------------------


def test_good_values_of_a_column_with_a_bad_cell_are_still_parsed() -> None:
    parsed = parse_entries(
        entry(Model_ID="4331", Manufacturer="Acme Meters", CPA_Expiry_Date=dt.date(2031, 1, 31)),
        entry(Model_ID="zzzz", Manufacturer=None, CPA_Expiry_Date="soon"),
        entry(Model_ID="4333", Manufacturer="Northwind", CPA_Expiry_Date="2030-12-31"),
        entry(Model_ID="4331", Manufacturer="Acme Meters", CPA_Expiry_Date=dt.date(2031, 1, 31)),
    )
    assert [(r.model_id, r.manufacturer, r.cpa_expiry) for r in parsed.entries] == [
        ("4331", "Acme Meters", dt.date(2031, 1, 31)),
        (None, None, None),
        ("4333", "Northwind", dt.date(2030, 12, 31)),
        ("4331", "Acme Meters", dt.date(2031, 1, 31)),
    ]
    assert places(parsed) == [
        (Code.F001, ENTRY, 3, "Manufacturer", "Manufacturer is required."),
        entry_error(3, "CPA Expiry Date", "CPA Expiry Date 'soon' is not a date: use a date cell or YYYY-MM-DD."),
        entry_error(3, "Model ID", "Model ID 'zzzz' is not valid: Model ID takes 4 hex digits."),
    ]
    assert [r.problems for r in parsed.entries] == [
        frozenset(),
        frozenset({"model_id", "manufacturer", "cpa_expiry"}),
        frozenset(),
        frozenset(),
    ]


def test_blank_cells_among_many_distinct_values_leave_every_value_parsed() -> None:
    # Each column holds twelve distinct values and one blank text cell, in whatever order they are visited.
    rows = [
        entry(
            Model=f"Model {n}",
            ZigBee_Certificate=f"ZB-{n}",
            DLMS_Certificate=f"DL-{n}",
            Firmware_Mapping_Evidence=f"MAP-{n}",
            Compliance_Statement=f"CS-{n}",
        )
        for n in range(12)
    ]
    rows.append(entry(Model=" ", ZigBee_Certificate="", DLMS_Certificate=" ", Firmware_Mapping_Evidence="\t"))
    parsed = parse_entries(*rows)
    assert places(parsed) == [(Code.F001, ENTRY, 14, "Model", "Model is required.")]
    got = [
        (r.model, r.zigbee_certificate, r.dlms_certificate, r.firmware_mapping_evidence, r.compliance_statement)
        for r in parsed.entries
    ]
    assert got == [(f"Model {n}", f"ZB-{n}", f"DL-{n}", f"MAP-{n}", f"CS-{n}") for n in range(12)] + [
        (None, None, None, None, None)
    ]


# --- problems: fields already reported, so the rules stay silent ---------------------------------

AS_OF = dt.date(2026, 11, 23)


def check(parsed: ParsedSubmission) -> list[Place]:
    found = check_submission(
        parsed, CheckContext(as_of=AS_OF, submitter=PartyRole.MANUFACTURER, registry=default_registry())
    )
    return sorted((f.code, f.sheet, f.row, f.column, f.message) for f in found)


def test_malformed_cpa_expiry_is_reported_once_not_again_as_missing() -> None:
    parsed = parse(
        entry_sheet(entry(CPA_Expiry_Date="31/01/2031")), certificate_sheet(ZIGBEE_CERTIFICATE, CPA_CERTIFICATE)
    )
    assert parsed.entries[0].problems == frozenset({"cpa_expiry"})
    assert check(parsed) == [
        entry_error(2, "CPA Expiry Date", "CPA Expiry Date '31/01/2031' is not a date: use a date cell or YYYY-MM-DD."),
    ]


def test_problems_name_each_reported_field_of_their_own_row_only() -> None:
    parsed = parse_entries(
        entry(),
        entry(Model_ID="QQQQ", Manufacturer="", Submission_Type="Renewal", Model=True),
        entry(Hardware_Version="1"),
    )
    assert [r.problems for r in parsed.entries] == [
        frozenset(),
        frozenset({"model_id", "manufacturer", "submission_type", "model"}),
        frozenset({"hardware_version"}),
    ]


# --- formula cells -------------------------------------------------------------------------------


def test_formula_cell_is_one_f002_at_its_cell_and_its_value_is_not_trusted() -> None:
    model_id = ENTRY_HEADER.index("Model ID")
    manufacturer = ENTRY_HEADER.index("Manufacturer")
    parsed = parse_entries(
        entry(Model_ID="4331", Manufacturer="x" * 31),  # row 2: a valid cached value, and a bad cell left of it
        entry(Model_ID="QQQQ", Manufacturer=None),  # row 3: a bad Model ID, and a formula over an empty cell
        entry(Model_ID="ZZZZ"),  # row 4: a formula whose cached value is also malformed
        entry(Model_ID="4334"),  # row 5: no formula
        formula_cells=frozenset({(2, model_id), (3, manufacturer), (4, model_id)}),
    )
    assert places(parsed) == [
        entry_error(2, "Manufacturer", "Manufacturer has 31 characters; Manufacturer takes 1 to 30."),
        entry_error(2, "Model ID", "Model ID holds a formula; enter the value itself."),
        entry_error(3, "Manufacturer", "Manufacturer holds a formula; enter the value itself."),
        entry_error(3, "Model ID", "Model ID 'QQQQ' is not valid: Model ID takes 4 hex digits."),
        entry_error(4, "Model ID", "Model ID holds a formula; enter the value itself."),
    ]
    assert [r.model_id for r in parsed.entries] == [None, None, None, "4334"]
    assert [r.problems for r in parsed.entries] == [
        frozenset({"manufacturer", "model_id"}),
        frozenset({"manufacturer", "model_id"}),
        frozenset({"model_id"}),
        frozenset(),
    ]


def test_formula_cell_in_an_optional_column_is_f002_and_none() -> None:
    zigbee = ENTRY_HEADER.index("ZigBee Certificate")
    parsed = parse_entries(entry(), entry(), numbers=(2, 6), formula_cells=frozenset({(6, zigbee)}))
    assert places(parsed) == [
        entry_error(6, "ZigBee Certificate", "ZigBee Certificate holds a formula; enter the value itself."),
    ]
    assert [r.zigbee_certificate for r in parsed.entries] == ["ZB-1", None]
    assert [r.problems for r in parsed.entries] == [frozenset(), frozenset({"zigbee_certificate"})]


def test_formula_cell_on_the_certificate_sheet_is_reported_there() -> None:
    firmware = CERTIFICATE_HEADER.index("Firmware Versions")
    parsed = parse_certificates(ZIGBEE_CERTIFICATE, formula_cells=frozenset({(2, firmware)}))
    assert places(parsed) == [
        (Code.F002, CERTIFICATES, 2, "Firmware Versions", "Firmware Versions holds a formula; enter the value itself."),
    ]
    assert parsed.certificates[0].firmware_versions is None


def test_formula_in_an_unknown_column_is_only_the_unknown_column_warning() -> None:
    header = (*ENTRY_HEADER, "Colour")
    cells = (*(GAS_ENTRY.get(h) for h in ENTRY_HEADER), "=A1")
    parsed = parse(
        sheet(ENTRY, header, cells, formula_cells=frozenset({(2, len(ENTRY_HEADER))})),
        certificate_sheet(ZIGBEE_CERTIFICATE),
    )
    assert places(parsed) == [
        (Code.N002, ENTRY, 1, "Colour", "Column 'Colour' is not part of the form and is ignored."),
    ]
    assert len(parsed.entries) == 1


# --- short rows and absent optional columns --------------------------------------------------------


def test_rows_shorter_than_the_header_read_the_missing_cells_as_empty() -> None:
    full = tuple(GAS_ENTRY.get(h) for h in ENTRY_HEADER)
    through_gbcs = full[: ENTRY_HEADER.index("GBCS Version") + 1]
    parsed = parse_entries(full, through_gbcs, full[: ENTRY_HEADER.index("ZigBee Certificate") + 1])
    assert places(parsed) == []
    assert [(r.gbcs_version, r.zigbee_certificate, r.cpa_certificate, r.cpa_expiry) for r in parsed.entries] == [
        ("v4.2", "ZB-1", "CPA-1", dt.date(2031, 1, 31)),
        ("v4.2", None, None, None),
        ("v4.2", "ZB-1", None, None),
    ]


def test_short_row_missing_required_cells_is_f001_for_each() -> None:
    full = tuple(GAS_ENTRY.get(h) for h in ENTRY_HEADER)
    parsed = parse_entries(full, full[:6])
    assert places(parsed) == [
        (Code.F001, ENTRY, 3, "Firmware Version", "Firmware Version is required."),
        (Code.F001, ENTRY, 3, "Hardware Version", "Hardware Version is required."),
        (Code.F001, ENTRY, 3, "Release Notes", "Release Notes is required."),
        (Code.F001, ENTRY, 3, "Technical Specification", "Technical Specification is required."),
    ]
    assert parsed.entries[1].model_id == "4331"
    assert parsed.entries[1].problems == frozenset(
        {"hardware_version", "firmware_version", "release_notes", "technical_specification"}
    )


def test_absent_optional_columns_read_as_empty() -> None:
    kept = tuple(
        h for h in ENTRY_HEADER if h not in ("Compliance Statement", "CPA Conditional Date", "DLMS Certificate")
    )
    parsed = parse(sheet(ENTRY, kept, GAS_ENTRY, GAS_ENTRY), certificate_sheet(ZIGBEE_CERTIFICATE))
    assert places(parsed) == []
    assert [(r.compliance_statement, r.cpa_conditional_date, r.dlms_certificate) for r in parsed.entries] == [
        (None, None, None)
    ] * 2
    assert [r.cpa_expiry for r in parsed.entries] == [dt.date(2031, 1, 31)] * 2


def test_sheet_with_a_header_and_no_rows_gives_no_rows_and_no_findings() -> None:
    parsed = parse(entry_sheet(), certificate_sheet())
    assert parsed == ParsedSubmission(entries=(), certificates=(), findings=())


# --- header layout -------------------------------------------------------------------------------


def test_headers_match_by_text_in_any_order_ignoring_case_and_spaces() -> None:
    header = tuple(f"  {h.upper()}  " for h in reversed(ENTRY_HEADER))
    parsed = parse(sheet(ENTRY, header, tuple(GAS_ENTRY.get(h) for h in reversed(ENTRY_HEADER))), certificate_sheet())
    assert places(parsed) == []
    row = parsed.entries[0]
    assert (row.manufacturer, row.manufacturer_id, row.cpa_expiry) == ("Acme Meters", "106C", dt.date(2031, 1, 31))


def test_blank_headers_are_skipped_without_warning() -> None:
    header = ("", *ENTRY_HEADER[:3], "   ", *ENTRY_HEADER[3:])
    values = tuple(GAS_ENTRY.get(h) for h in ENTRY_HEADER)
    parsed = parse(sheet(ENTRY, header, ("stray", *values[:3], "more", *values[3:])), certificate_sheet())
    assert places(parsed) == []
    row = parsed.entries[0]
    assert (row.submission_type, row.manufacturer, row.manufacturer_id) == (SubmissionType.NEW, "Acme Meters", "106C")


def test_duplicate_header_first_column_wins() -> None:
    header = (*ENTRY_HEADER, "manufacturer", "Model ID ")
    cells = (*(GAS_ENTRY.get(h) for h in ENTRY_HEADER), "Somebody Else", "not hex")
    parsed = parse(sheet(ENTRY, header, cells), certificate_sheet())
    assert places(parsed) == []
    assert (parsed.entries[0].manufacturer, parsed.entries[0].model_id) == ("Acme Meters", "4331")


def test_unknown_column_is_n002_with_its_header_text_and_rows_still_parse() -> None:
    header = (*ENTRY_HEADER[:2], "  Colour ", *ENTRY_HEADER[2:], "Notes  (internal)")
    values = tuple(GAS_ENTRY.get(h) for h in ENTRY_HEADER)
    parsed = parse(
        sheet(ENTRY, header, (*values[:2], "red", *values[2:], "n/a")),
        sheet(
            CERTIFICATES, (*CERTIFICATE_HEADER, "Lab"), (*(ZIGBEE_CERTIFICATE.get(h) for h in CERTIFICATE_HEADER), "X")
        ),
    )
    assert places(parsed) == [
        (Code.N002, CERTIFICATES, 1, "Lab", "Column 'Lab' is not part of the form and is ignored."),
        (Code.N002, ENTRY, 1, "Colour", "Column 'Colour' is not part of the form and is ignored."),
        (
            Code.N002,
            ENTRY,
            1,
            "Notes  (internal)",
            "Column 'Notes  (internal)' is not part of the form and is ignored.",
        ),
    ]
    assert all(f.severity == "warning" for f in parsed.findings)
    assert [(r.manufacturer, r.manufacturer_id) for r in parsed.entries] == [("Acme Meters", "106C")]
    assert [c.certificate_number for c in parsed.certificates] == ["ZB-1"]
    assert parsed.unusable_sheets == frozenset()


def test_missing_required_header_is_wb002_at_row_1_and_the_sheet_yields_no_rows() -> None:
    header = tuple(h for h in ENTRY_HEADER if h not in ("Manufacturer", "Firmware Version"))
    parsed = parse(sheet(ENTRY, header, GAS_ENTRY), certificate_sheet(ZIGBEE_CERTIFICATE, numbers=(3,)))
    assert places(parsed) == [
        (Code.WB002, ENTRY, 1, "Firmware Version", "The sheet has no 'Firmware Version' column."),
        (Code.WB002, ENTRY, 1, "Manufacturer", "The sheet has no 'Manufacturer' column."),
    ]
    assert parsed.entries == ()
    assert parsed.unusable_sheets == frozenset({ENTRY})
    assert [(c.row, c.certificate_number) for c in parsed.certificates] == [(3, "ZB-1")]


def test_missing_required_header_on_the_certificate_sheet_leaves_the_entry_sheet_parsed() -> None:
    header = tuple(h for h in CERTIFICATE_HEADER if h != "Issued")
    parsed = parse(entry_sheet(GAS_ENTRY), sheet(CERTIFICATES, header, ZIGBEE_CERTIFICATE))
    assert places(parsed) == [(Code.WB002, CERTIFICATES, 1, "Issued", "The sheet has no 'Issued' column.")]
    assert parsed.certificates == ()
    assert parsed.unusable_sheets == frozenset({CERTIFICATES})
    assert [r.manufacturer for r in parsed.entries] == ["Acme Meters"]


def test_unknown_column_beside_a_missing_header_gives_both_findings() -> None:
    header = (*(h for h in CERTIFICATE_HEADER if h != "Scheme"), "Scheme Name")
    parsed = parse(entry_sheet(GAS_ENTRY), sheet(CERTIFICATES, header, ZIGBEE_CERTIFICATE))
    assert places(parsed) == [
        (Code.N002, CERTIFICATES, 1, "Scheme Name", "Column 'Scheme Name' is not part of the form and is ignored."),
        (Code.WB002, CERTIFICATES, 1, "Scheme", "The sheet has no 'Scheme' column."),
    ]
    assert parsed.certificates == ()


def test_missing_entry_sheet_is_wb002_and_the_certificate_sheet_still_parses() -> None:
    parsed = parse(certificate_sheet(ZIGBEE_CERTIFICATE, CPA_CERTIFICATE))
    assert places(parsed) == [(Code.WB002, ENTRY, None, None, "The workbook has no 'CPL New Entry' sheet.")]
    assert parsed.entries == ()
    assert [c.certificate_number for c in parsed.certificates] == ["ZB-1", "CPA-1"]
    assert parsed.unusable_sheets == frozenset({ENTRY})


def test_missing_certificate_sheet_is_wb002_and_the_entry_sheet_still_parses() -> None:
    parsed = parse(entry_sheet(GAS_ENTRY), sheet("Guidance", ("Notes",), ("read me",)))
    assert places(parsed) == [
        (Code.WB002, CERTIFICATES, None, None, "The workbook has no 'Assurance Certificates' sheet.")
    ]
    assert [r.model_id for r in parsed.entries] == ["4331"]
    assert parsed.certificates == ()
    assert parsed.unusable_sheets == frozenset({CERTIFICATES})


def test_workbook_with_neither_sheet_is_two_wb002() -> None:
    parsed = parse(sheet("Sheet1", ("Anything",), ("x",)))
    assert places(parsed) == [
        (Code.WB002, CERTIFICATES, None, None, "The workbook has no 'Assurance Certificates' sheet."),
        (Code.WB002, ENTRY, None, None, "The workbook has no 'CPL New Entry' sheet."),
    ]
    assert parsed.unusable_sheets == frozenset({ENTRY, CERTIFICATES})
    assert (parsed.entries, parsed.certificates) == ((), ())


def test_sheets_are_found_by_name_ignoring_case_and_spaces() -> None:
    parsed = parse(
        sheet(" cpl new ENTRY ", ENTRY_HEADER, GAS_ENTRY),
        sheet("ASSURANCE CERTIFICATES", CERTIFICATE_HEADER, CPA_CERTIFICATE),
    )
    assert places(parsed) == []
    assert [r.model_id for r in parsed.entries] == ["4331"]
    assert [c.scheme for c in parsed.certificates] == [AssuranceScheme.CPA]


# --- the SEC's own spellings (CONTRACT.md 4.1) --------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field", "written", "stored"),
    [
        ("Manufacturer ID", "manufacturer_id", "10:6C", "106C"),
        ("Model ID", "model_id", "a0:01", "A001"),
        ("Hardware Version", "hardware_version", "00:AC", "00AC"),
        ("Firmware Version", "firmware_version", "12:40:74:DA", "124074DA"),
        ("Firmware Version", "firmware_version", "9A", "9A"),
        ("Manufacturer Image Hash", "manufacturer_image_hash", ":".join(["ab"] * 32), "AB" * 32),
    ],
)
def test_colon_separated_octets_read_as_the_hex_they_spell(header: str, field: str, written: str, stored: str) -> None:
    parsed = parse_entries(entry(**{header.replace(" ", "_"): written}))
    assert [f for f in parsed.findings if f.code is Code.F002] == []
    assert getattr(parsed.entries[0], field) == stored


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("1:06C", "Manufacturer ID '1:06C' is not valid: Manufacturer ID takes 4 hex digits, or octets like 10:6C."),
        ("10:6C:", "Manufacturer ID '10:6C:' is not valid: Manufacturer ID takes 4 hex digits, or octets like 10:6C."),
        ("10:6G", "Manufacturer ID '10:6G' is not valid: Manufacturer ID takes 4 hex digits, or octets like 10:6C."),
        ("10:6C:01", "Manufacturer ID '10:6C:01' is not valid: Manufacturer ID takes 4 hex digits."),
    ],
)
def test_colon_hex_with_a_broken_octet_or_the_wrong_width_is_f002(written: str, message: str) -> None:
    assert places(parse_entries(entry(Manufacturer_ID=written))) == [entry_error(2, "Manufacturer ID", message)]


def test_a_31_octet_hash_is_refused_naming_its_size() -> None:
    written = ":".join(["ab"] * 31)
    assert places(parse_entries(entry(Manufacturer_Image_Hash=written))) == [
        entry_error(
            2,
            "Manufacturer Image Hash",
            f"Manufacturer Image Hash {written!r} is not valid: Manufacturer Image Hash takes 64 hex digits.",
        )
    ]


@pytest.mark.parametrize(
    "written", ["Pre-Payment Interface Device", "pre-payment  interface device ", "Pre-Payment Meter Interface Device"]
)
def test_the_secs_spellings_of_the_ppmid_read_as_the_ppmid(written: str) -> None:
    parsed = parse_entries(entry(Physical_Device_Type=written))
    assert [f.code for f in parsed.findings if f.code is Code.F002] == []
    assert parsed.entries[0].physical_device_type is PhysicalDeviceType.PPMID


def test_a_spelling_that_is_no_type_is_still_refused_naming_the_nearest_spelling() -> None:
    found = places(parse_entries(entry(Physical_Device_Type="Pre-Payment Device")))
    assert [(code, column) for code, _, _, column, _ in found] == [(Code.F002, "Physical Device Type")]
    assert found[0][4] == (
        "Physical Device Type 'Pre-Payment Device' is not one of its values: "
        "did you mean 'Pre-Payment Interface Device'?"
    )
