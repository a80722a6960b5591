"""The SEC's New Entry form read as a submission (CONTRACT.md 4.3), on the SEC's own file.

Every workbook here is the real CPL 2.051 workbook (``../shared/reference``), its form filled in with
openpyxl, saved as .xlsx and read back with the project's safe reader, then judged by the ordinary
parser and rules. The values are real ones: entry 000099 of 2.051 (an EDMI single element meter) and
entry 000220 (an Itron SMETS1 gas meter). Expected rows are the real form's, written out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
from collections.abc import Callable, Mapping
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpl.core.domain import DeviceModelKey, PartyRole, SubmissionType
from cpl.core.findings import Code, Finding, sort_findings
from cpl.core.rules import CheckContext, SignatureState, canonical_identity, check_submission
from cpl.core.schema import ENTRY_COLUMNS
from cpl.core.sec_form import (
    DETAILS_COLUMN,
    FORM_ROWS,
    FORM_SHEET,
    FormSubmission,
    is_sec_form,
    place_findings,
    read_sec_form,
)
from cpl.core.sheets import CellValue, SheetData, WorkbookData
from cpl.core.submission import EntryRow, parse_submission
from cpl.specs_file import default_registry
from cpl.workbook.reader import read_workbook
from formats.vocabulary import PhysicalDeviceType
from tests.cpl.core.test_sec_list import REAL_LIST, sec_reference  # noqa: F401 (the fixture that finds the file)

pytestmark = pytest.mark.usefixtures("sec_reference")  # fails, never skips, when the file is missing

OTHER_TABS = ("Version Control", "Central Products List", "CPL - saveable in CSV")
AS_OF = dt.date(2022, 1, 10)  # 2.051's CPA expiry for entry 000099 (23 Jun 2023) is then more than 12 months off
HASH_000099 = "CF:0C:0D:D9:73:CC:37:D2:5D:D4:DB:68:88:98:DD:09:BF:15:EA:2C:E7:1D:A3:19:8E:5A:25:46:E3:60:FF:55"

#: Entry 000099 of CPL 2.051, as a manufacturer would write it on the form (the DLMS version from the
#: form's drop-down), with contacts and FIR details of its own.
VALID: Mapping[str, CellValue] = {
    "Device_Type.name": "Single Element Electricity Metering Equipment",
    "Device_Model.manufacturer_identifier": "10:6C",
    "Device_Model.model_identifier": "10:E1",
    "Device_Model.hardware_version.version": "A1",
    "Device_Model.hardware_version.revision": "00",
    "Device_Model.firmware_version": "01:05:72:00",
    "SMETS/CHTS Version.Version_number": "SMETS V2.0",
    "GBCS Version.version_number": "GBCS Version 1.1",
    "CPA_Certificate.identification_number": "[E] ESME68753061",
    "CPA_Certificate.security_characteristics_version": "Security Characteristics version 1.2",
    "CPA_Certificate.expiry_date": dt.date(2023, 6, 23),
    "DLMS_Certificate.identification_number": "1837",
    "DLMS_Certificate.DLMS_version": "CTT 3.1",
    "ZSE_Certificate.identification_number": "ZIG17037ZSE12536-24",
    "ZSE_Certificate.ZSE_version": "ZigBee Smart Energy Standard 1.2b",
    "Manufacturer_Image.creator": "EDMI Europe Limited",
    "Manufacturer_Image.hash": HASH_000099,
    "Manufacturer_Image.descriptor": "Complete Image",
    "Contact-CPA.Contact.contact name": "Alex Example; Sam Example",
    "Contact-CPA.Contact.contact telephone": "01234 567890",
    "Contact-CPA.Contact.contact email": "cpa-contact@meters.example",
    "Manufacturer Contact FIR.Company Name": "Example Meters Limited",
    "Manufacturer Contact FIR.House Number": "12",
    "Manufacturer Contact FIR.Street": "Meter Street",
    "Manufacturer Contact FIR.City": "Stafford",
    "Manufacturer Contact FIR.Post Code": "ST16 1AA",
    "Manufacturer Contact FIR.Country": "United Kingdom",
    "Manufacturer Contact FIR.Telephone Number": "01234 567891",
    "Manufacturer Contact FIR.Website": "https://meters.example",
    "Manufacturer Contact FIR.Email Address": "fir@meters.example",
    "FIR Release Notes.Description": "https://meters.example/firmware/01057200/release-notes",
}

#: Entry 000220 of CPL 2.051: a SMETS1 gas meter, which carries no certificates.
SMETS1: Mapping[str, CellValue] = {
    "Device_Type.name": "Gas Smart Meter",
    "Device_Model.manufacturer_identifier": "10:28",
    "Device_Model.model_identifier": "20:00",
    "Device_Model.hardware_version.version": "00",
    "Device_Model.hardware_version.revision": "00",
    "Device_Model.firmware_version": "02:92:10:D6",
    "SMETS/CHTS Version.Version_number": "SMETS V1.2",
    "GBCS Version.version_number": "GBCS Version 0.0",
    "FIR Release Notes.Description": "https://meters.example/smets1/029210D6",
}

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
#: What entry 000099's certificates cover.
CERTIFICATES: tuple[tuple[CellValue, ...], ...] = (
    ("ZigBee", "ZIG17037ZSE12536-24", "106C", "10E1", "A100", "01057200", dt.date(2017, 6, 1), None, None),
    ("DLMS", "1837", "106C", "10E1", "A100", "01057200", dt.date(2017, 6, 1), None, None),
    ("CPA", "ESME68753061", "106C", "10E1", "A100", "01057200", dt.date(2017, 6, 23), dt.date(2023, 6, 23), None),
)

#: Entry 000099's Device Model as the type decision sees it.
MODEL_000099 = DeviceModelKey(PhysicalDeviceType.SINGLE_ELEMENT_ELECTRICITY_METER, "106C", "10E1", "A100")


def nothing_listed(key: DeviceModelKey) -> bool:
    return False


@functools.cache
def real_bytes() -> bytes:
    return REAL_LIST.read_bytes()


@functools.cache
def form_tab_bytes() -> bytes:
    """The real workbook saved with its form tab alone ("save the tab as a new workbook"): openpyxl
    loads it in a fraction of the time the whole macro-enabled file takes."""
    book = openpyxl.load_workbook(io.BytesIO(real_bytes()), keep_vba=False)
    for name in OTHER_TABS:
        del book[name]
    saved = io.BytesIO()
    book.save(saved)
    return saved.getvalue()


@functools.cache
def real_form() -> SheetData:
    sheet = read_workbook(real_bytes()).sheet(FORM_SHEET)
    assert sheet is not None
    return sheet


def _form_places(sheet: openpyxl.worksheet.worksheet.Worksheet) -> tuple[dict[str, int], int]:
    """Each attribute's row and the details column, found on the sheet by their text."""
    rows: dict[str, int] = {}
    details = 0
    group = ""
    for row in sheet.iter_rows():
        cells = {cell.column: cell.value for cell in row}
        for column, value in cells.items():
            if value == DETAILS_COLUMN:
                details = column
        if cells.get(1):
            group = str(cells[1])
        if details and cells.get(2) and row[0].row > 6:
            rows[f"{group}.{cells[2]}"] = row[0].row
    return rows, details


def save_form(
    path: Path,
    values: Mapping[str, CellValue],
    *,
    certificates: tuple[tuple[CellValue, ...], ...] | None = CERTIFICATES,
    whole_workbook: bool = False,
    edit: Callable[[openpyxl.Workbook], None] | None = None,
) -> None:
    """The real workbook, its form filled with ``values`` (by 'Group.attribute'), saved as .xlsx at ``path``.

    By default the form is saved on its own ("save the tab as a new workbook"), with an Assurance
    Certificates sheet added for the certificates it names.
    """
    book = openpyxl.load_workbook(io.BytesIO(real_bytes() if whole_workbook else form_tab_bytes()), keep_vba=False)
    sheet = book[FORM_SHEET]
    rows, details = _form_places(sheet)
    for label, value in values.items():
        sheet.cell(row=rows[label], column=details, value=value)
    if certificates is not None:
        certificate_sheet = book.create_sheet("Assurance Certificates")
        certificate_sheet.append(CERTIFICATE_HEADER)
        for certificate in certificates:
            certificate_sheet.append(certificate)
    if edit is not None:
        edit(book)
    book.save(path)


def fill_form(
    tmp_path: Path,
    values: Mapping[str, CellValue],
    *,
    certificates: tuple[tuple[CellValue, ...], ...] | None = CERTIFICATES,
    whole_workbook: bool = False,
    edit: Callable[[openpyxl.Workbook], None] | None = None,
) -> WorkbookData:
    """The form saved by :func:`save_form` and read back with the project's safe reader."""
    path = tmp_path / "form.xlsx"
    save_form(path, values, certificates=certificates, whole_workbook=whole_workbook, edit=edit)
    return read_workbook(path.read_bytes())


def context(**overrides: object) -> CheckContext:
    base = CheckContext(
        as_of=AS_OF,
        submitter=PartyRole.MANUFACTURER,
        registry=default_registry(),
        signature=SignatureState.VALID,  # the form names a Manufacturer Image hash
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


def judge(form: FormSubmission, check: CheckContext | None = None) -> tuple[tuple[EntryRow, ...], list[Finding]]:
    """What ``cpl check`` would say of the form: its own findings and the rules', placed on its rows."""
    parsed = parse_submission(form.workbook)
    found = check_submission(parsed, check or context())
    return parsed.entries, sort_findings([*form.findings, *place_findings(found, form)])


def places(findings: list[Finding]) -> set[tuple[Code, str | None, int | None, str | None]]:
    return {(f.code, f.sheet, f.row, f.column) for f in findings if f.is_error}


def form_cells(workbook: WorkbookData) -> tuple[CellValue, ...]:
    return tuple(cell for sheet in workbook.sheets for _, row in sheet.rows for cell in row)


# --- the form's rows, as the SEC wrote them ---------------------------------------------------------


def test_form_rows_are_the_real_forms_rows_and_texts() -> None:
    sheet = read_workbook(real_bytes()).sheet(FORM_SHEET)
    assert sheet is not None
    written = {number: cells for number, cells in sheet.rows}
    assert written[6] == (
        "Data Group",
        "Data Attribute",
        "Notes",
        "Conditionality rule",
        "Format",
        "Valid values",
        "New Entry's Details",
    )
    assert len(FORM_ROWS) == 33
    for number, form_row in zip(range(7, 40), FORM_ROWS, strict=True):
        texts = (
            form_row.group,
            form_row.attribute,
            form_row.notes,
            form_row.conditionality,
            form_row.format,
            form_row.valid_values,
        )
        assert texts == written[number][:6], number


def test_drop_downs_inputs_and_fills_follow_the_real_form() -> None:
    book = openpyxl.load_workbook(io.BytesIO(real_bytes()), keep_vba=False)
    sheet = book[FORM_SHEET]
    by_row = dict(zip(range(7, 40), FORM_ROWS, strict=True))
    drop_downs = {}
    for validation in sheet.data_validations.dataValidation:
        assert validation.type == "list"
        for cell_range in validation.sqref.ranges:
            drop_downs[cell_range.min_row] = tuple(validation.formula1.strip('"').split(","))
    assert sorted(drop_downs) == [9, 15, 16, 18, 21, 23]
    for number, choices in drop_downs.items():
        assert by_row[number].choices == choices, number
    # Entry.status lists its values in words but has no drop-down: SECAS fills it.
    assert by_row[8].choices == ("Current", "Removed")
    for number, form_row in by_row.items():
        fill = sheet.cell(row=number, column=7).fill
        assert form_row.input is (fill.fill_type == "solid"), number
        assert form_row.allocated_by_secas is (number in (7, 8)), number
        # Green (theme accent 6) for every input but the image's hash and descriptor: yellow (accent 4).
        if form_row.input:
            assert fill.fgColor.theme == (7 if form_row.image_input else 9), number
    assert [r.attribute for r in FORM_ROWS if r.image_input] == ["hash", "descriptor"]


def test_each_form_row_feeds_a_project_column_or_the_audit() -> None:
    fields = {c.field for c in ENTRY_COLUMNS}
    fed = [r.field for r in FORM_ROWS if r.field is not None]
    assert set(fed) <= fields
    assert [r.label for r in FORM_ROWS if r.field is None and not r.allocated_by_secas] == [
        "Contact-CPA.Contact.contact name",
        "Contact-CPA.Contact.contact telephone",
        "Contact-CPA.Contact.contact email",
        "Manufacturer Contact FIR.Company Name",
        "Manufacturer Contact FIR.House Number",
        "Manufacturer Contact FIR.Street",
        "Manufacturer Contact FIR.City",
        "Manufacturer Contact FIR.Post Code",
        "Manufacturer Contact FIR.Country",
        "Manufacturer Contact FIR.Telephone Number",
        "Manufacturer Contact FIR.Website",
        "Manufacturer Contact FIR.Email Address",
    ]


# --- recognising the form ---------------------------------------------------------------------------


def test_the_real_workbook_is_the_form_and_the_projects_layout_is_not() -> None:
    assert is_sec_form(read_workbook(real_bytes()))
    project = WorkbookData((SheetData("CPL New Entry", tuple(c.header for c in ENTRY_COLUMNS), ()),))
    assert not is_sec_form(project)
    # The list tab has a 'Data Group' header too; only the form's tab counts.
    not_a_form = WorkbookData((SheetData(FORM_SHEET, ("Submission Type", "Physical Device Type"), ()),))
    assert not is_sec_form(not_a_form)


def test_the_header_row_is_found_by_its_text_not_its_position(tmp_path: Path) -> None:
    def without_title(book: openpyxl.Workbook) -> None:
        sheet = book[FORM_SHEET]
        for merged in list(sheet.merged_cells.ranges):  # the title and instructions are merged cells
            sheet.unmerge_cells(str(merged))
        sheet.delete_rows(1, 5)  # the header becomes row 1

    workbook = fill_form(tmp_path, VALID, edit=without_title)
    assert is_sec_form(workbook)
    form = read_sec_form(workbook, device_model_listed=nothing_listed)
    entries, findings = judge(form)
    assert findings == []
    assert entries[0].firmware_version == "01057200"
    assert form.places["firmware_version"] == 14 - 5


def test_a_form_without_its_details_header_is_wb002() -> None:
    rows = tuple((number, cells[:6]) for number, cells in real_form().rows)
    workbook = WorkbookData((dataclasses.replace(real_form(), rows=rows),))
    assert is_sec_form(workbook)
    form = read_sec_form(workbook, device_model_listed=nothing_listed)
    assert [(f.code, f.sheet, f.row) for f in form.findings] == [(Code.WB002, FORM_SHEET, 6)]
    assert "New Entry's Details" in form.findings[0].message


def test_a_form_missing_a_required_attribute_row_is_wb002(tmp_path: Path) -> None:
    def without_firmware(book: openpyxl.Workbook) -> None:
        book[FORM_SHEET].delete_rows(14)

    form = read_sec_form(fill_form(tmp_path, VALID, edit=without_firmware), device_model_listed=nothing_listed)
    _, findings = judge(form)
    assert places(findings) == {(Code.WB002, FORM_SHEET, 6, None)}
    assert "'Device_Model' / 'firmware_version'" in findings[0].message


# --- a valid form -----------------------------------------------------------------------------------


def test_a_valid_form_gives_no_findings(tmp_path: Path) -> None:
    form = read_sec_form(fill_form(tmp_path, VALID), device_model_listed=nothing_listed)
    entries, findings = judge(form)
    assert findings == []
    (entry,) = entries
    assert entry.row == 2
    assert entry.submission_type is SubmissionType.NEW
    assert entry.physical_device_type is PhysicalDeviceType.SINGLE_ELEMENT_ELECTRICITY_METER
    assert (entry.manufacturer, entry.manufacturer_id) == ("106C", "106C")
    assert (entry.model, entry.model_id) == ("10E1", "10E1")
    assert entry.hardware_version == "A100"
    assert entry.firmware_version == "01057200"
    assert (entry.technical_specification, entry.gbcs_version) == ("SMETS V2.0", "GBCS Version 1.1")
    assert entry.cpa_certificate == "ESME68753061"
    assert entry.cpa_expiry == dt.date(2023, 6, 23)
    assert entry.cpa_security_characteristics == "Security Characteristics version 1.2"
    assert (entry.dlms_certificate, entry.dlms_version) == ("1837", "CTT 3.1")
    assert (entry.zigbee_certificate, entry.zse_version) == ("ZIG17037ZSE12536-24", "ZigBee Smart Energy Standard 1.2b")
    assert entry.manufacturer_image_hash == HASH_000099.replace(":", "")
    assert entry.manufacturer_image_creator == "EDMI Europe Limited"
    assert entry.manufacturer_image_descriptor == "Complete Image"
    assert entry.release_notes == "https://meters.example/firmware/01057200/release-notes"
    assert form.has_certificate_sheet


def test_a_lifetime_cpa_certificate_and_a_text_expiry_date(tmp_path: Path) -> None:
    values = {**VALID, "CPA_Certificate.identification_number": "[R] ESME68753061"}
    values["CPA_Certificate.expiry_date"] = "23/06/2023"
    form = read_sec_form(fill_form(tmp_path, values), device_model_listed=nothing_listed)
    entries, findings = judge(form)
    assert findings == []
    assert entries[0].cpa_expiry == dt.date(2023, 6, 23)
    assert str(entries[0].cpa_kind) == "lifetime"


def test_the_whole_sec_workbook_is_read_by_its_form_tab(tmp_path: Path) -> None:
    form = read_sec_form(fill_form(tmp_path, VALID, whole_workbook=True), device_model_listed=nothing_listed)
    assert [s.name for s in form.workbook.sheets] == ["CPL New Entry", "Assurance Certificates"]
    entries, findings = judge(form)
    assert findings == []
    assert entries[0].firmware_version == "01057200"


def test_without_a_certificate_sheet_the_certificates_come_from_secas_or_are_c004(tmp_path: Path) -> None:
    form = read_sec_form(fill_form(tmp_path, VALID, certificates=None), device_model_listed=nothing_listed)
    assert not form.has_certificate_sheet
    _, findings = judge(form)
    assert places(findings) == {
        (Code.C004, FORM_SHEET, 17, DETAILS_COLUMN),
        (Code.C004, FORM_SHEET, 20, DETAILS_COLUMN),
        (Code.C004, FORM_SHEET, 22, DETAILS_COLUMN),
    }


#: Entry 000114 of CPL 2.051 exactly as the list writes it: a PPMID, its hardware version a number cell
#: (12), its versions with trailing spaces, no CPA certificate and no FIR details.
PPMID_000114: Mapping[str, CellValue] = {
    "Device_Type.name": "Pre-Payment Interface Device",
    "Device_Model.manufacturer_identifier": "10:E0",
    "Device_Model.model_identifier": "00:05",
    "Device_Model.hardware_version.version": 12,
    "Device_Model.hardware_version.revision": "00",
    "Device_Model.firmware_version": "00:08:01:00",
    "SMETS/CHTS Version.Version_number": "SMETS V2.0 ",
    "GBCS Version.version_number": "GBCS Version 1.1 ",
    "CPA_Certificate.security_characteristics_version": "Not Relevant",
    "ZSE_Certificate.identification_number": "ZIG18071ZSE12694-24",
    "ZSE_Certificate.ZSE_version": "ZigBee Smart Energy Standard 1.2b",
}


def test_a_ppmid_as_the_sec_list_writes_it_needs_no_cpa_and_no_fir_details(tmp_path: Path) -> None:
    zigbee = (("ZigBee", "ZIG18071ZSE12694-24", "10E0", "0005", "1200", "00080100", dt.date(2018, 3, 1), None, None),)
    form = read_sec_form(fill_form(tmp_path, PPMID_000114, certificates=zigbee), device_model_listed=nothing_listed)
    entries, findings = judge(form)
    assert findings == []
    (entry,) = entries
    assert entry.physical_device_type is PhysicalDeviceType.PPMID
    assert entry.hardware_version == "1200"
    assert entry.cpa_certificate is None
    # The form says a PPMID's FIR release notes "must be empty"; the entry says why it has none.
    assert entry.release_notes is not None and "no FIR Release Notes" in entry.release_notes
    assert form.audit == {}


# --- each error on its attribute's row --------------------------------------------------------------

HASH_31_OCTETS = HASH_000099.rsplit(":", 1)[0]


@pytest.mark.parametrize(
    ("label", "value", "code", "row"),
    [
        ("Device_Type.name", None, Code.F001, 9),
        ("Device_Type.name", "Toaster", Code.F002, 9),
        ("Device_Model.manufacturer_identifier", "10:6G", Code.F002, 10),
        ("Device_Model.manufacturer_identifier", None, Code.F001, 10),
        ("Device_Model.model_identifier", "10E", Code.F002, 11),
        ("Device_Model.hardware_version.version", None, Code.F001, 12),
        ("Device_Model.hardware_version.version", "A", Code.F002, 12),
        ("Device_Model.hardware_version.revision", "G0", Code.F002, 13),
        ("Device_Model.hardware_version.revision", "000", Code.F002, 13),
        ("Device_Model.firmware_version", "01:05:72:0G", Code.F002, 14),
        ("SMETS/CHTS Version.Version_number", "SMETS V9.9", Code.V001, 15),
        ("SMETS/CHTS Version.Version_number", None, Code.F001, 15),
        ("GBCS Version.version_number", "GBCS Version 9.9", Code.V001, 16),
        ("GBCS Version.version_number", None, Code.F001, 16),
        ("GBCS Version.version_number", "GBCS Version 0.0", Code.F002, 16),
        ("CPA_Certificate.identification_number", "ESME00000000", Code.C004, 17),
        ("CPA_Certificate.identification_number", None, Code.C001, 17),
        ("CPA_Certificate.expiry_date", "31/02/2023", Code.F002, 19),
        ("CPA_Certificate.expiry_date", None, Code.F001, 19),
        ("CPA_Certificate.expiry_date", "01/01/2024", Code.C007, 19),  # not the sheet's 2023-06-23
        ("DLMS_Certificate.identification_number", None, Code.C001, 20),
        ("ZSE_Certificate.identification_number", None, Code.C001, 22),
        ("Manufacturer_Image.creator", None, Code.P004, 24),
        ("Manufacturer_Image.hash", HASH_31_OCTETS, Code.F002, 25),
        ("Manufacturer_Image.hash", HASH_000099.replace(":", "-"), Code.F002, 25),
        ("FIR Release Notes.Description", None, Code.F001, 39),
    ],
)
def test_an_error_lands_on_its_attributes_row(
    tmp_path: Path, label: str, value: CellValue, code: Code, row: int
) -> None:
    form = read_sec_form(fill_form(tmp_path, {**VALID, label: value}), device_model_listed=nothing_listed)
    _, findings = judge(form)
    assert places(findings) == {(code, FORM_SHEET, row, DETAILS_COLUMN)}


def test_an_unknown_cpa_prefix_lands_on_the_cpa_row(tmp_path: Path) -> None:
    values = {**VALID, "CPA_Certificate.identification_number": "[X] ESME68753061"}
    form = read_sec_form(fill_form(tmp_path, values), device_model_listed=nothing_listed)
    _, findings = judge(form)
    assert places(findings) == {(Code.F002, FORM_SHEET, 17, DETAILS_COLUMN)}


@pytest.mark.parametrize(("cell", "row"), [("G10", 10), ("G13", 13)])
def test_a_formula_is_never_read_and_lands_on_its_row(tmp_path: Path, cell: str, row: int) -> None:
    def formula(book: openpyxl.Workbook) -> None:
        book[FORM_SHEET][cell] = '="00"'

    form = read_sec_form(fill_form(tmp_path, VALID, edit=formula), device_model_listed=nothing_listed)
    _, findings = judge(form)
    assert [(f.code, f.row, f.column) for f in findings] == [(Code.F002, row, DETAILS_COLUMN)]
    assert "formula" in findings[0].message


def test_a_hardware_octet_typed_as_a_number_keeps_its_leading_zero(tmp_path: Path) -> None:
    values = {**VALID, "Device_Model.hardware_version.revision": 0}
    form = read_sec_form(fill_form(tmp_path, values), device_model_listed=nothing_listed)
    entries, findings = judge(form)
    assert findings == []
    assert entries[0].hardware_version == "A100"


# --- the submission type follows from the values ----------------------------------------------------


def test_a_listed_device_model_makes_a_firmware_update(tmp_path: Path) -> None:
    asked: list[DeviceModelKey] = []

    def listed(key: DeviceModelKey) -> bool:
        asked.append(key)
        return key == MODEL_000099

    form = read_sec_form(fill_form(tmp_path, VALID), device_model_listed=listed)
    entries, _ = judge(form, context(active_device_models=frozenset({MODEL_000099})))
    assert asked == [MODEL_000099]
    assert entries[0].submission_type is SubmissionType.FIRMWARE_UPDATE


def test_an_unlisted_device_model_is_new(tmp_path: Path) -> None:
    other_hardware = {**VALID, "Device_Model.hardware_version.revision": "01"}
    form = read_sec_form(fill_form(tmp_path, other_hardware), device_model_listed=lambda key: key == MODEL_000099)
    entries, _ = judge(form)
    assert entries[0].submission_type is SubmissionType.NEW


def test_smets_v1_2_is_smets1_with_no_gbcs_version(tmp_path: Path) -> None:
    form = read_sec_form(fill_form(tmp_path, SMETS1, certificates=()), device_model_listed=lambda key: True)
    entries, findings = judge(form, context(submitter=PartyRole.DCC))
    (entry,) = entries
    assert entry.submission_type is SubmissionType.SMETS1
    assert entry.gbcs_version is None
    assert entry.hardware_version == "0000"
    assert not any(f.row == 16 for f in findings)


def test_a_smets1_form_must_use_gbcs_version_0_0(tmp_path: Path) -> None:
    values = {**SMETS1, "GBCS Version.version_number": "GBCS Version 1.1"}
    form = read_sec_form(fill_form(tmp_path, values, certificates=()), device_model_listed=nothing_listed)
    assert [(f.code, f.row) for f in form.findings] == [(Code.F002, 16)]
    assert "GBCS Version 0.0" in form.findings[0].message


# --- what the form says beside the entry ------------------------------------------------------------


def test_contacts_and_fir_details_are_kept_for_audit_and_never_in_the_entry(tmp_path: Path) -> None:
    form = read_sec_form(fill_form(tmp_path, VALID), device_model_listed=nothing_listed)
    assert form.audit == {
        label: value
        for label, value in VALID.items()
        if label.startswith(("Contact-CPA.", "Manufacturer Contact FIR.", "FIR "))
    }
    cells = form_cells(WorkbookData(form.workbook.sheets[:1]))
    for label, value in form.audit.items():
        if not label.startswith("FIR Release Notes"):
            assert value not in cells, label
    assert {c.header for c in ENTRY_COLUMNS} == set(form.workbook.sheets[0].header)


def test_the_allocated_by_secas_rows_are_ignored_with_a_warning_when_filled(tmp_path: Path) -> None:
    quiet = read_sec_form(fill_form(tmp_path, VALID), device_model_listed=nothing_listed)
    assert quiet.findings == ()  # the blank form's "This value is allocated by SECAS"
    values = {**VALID, "Entry.number": "000733", "Entry.status": "Current"}
    form = read_sec_form(fill_form(tmp_path, values), device_model_listed=nothing_listed)
    _, findings = judge(form)
    assert [(f.code, f.severity.value, f.row, f.column) for f in findings] == [
        (Code.N002, "warning", 7, DETAILS_COLUMN),
        (Code.N002, "warning", 8, DETAILS_COLUMN),
    ]
    assert "allocated by SECAS" in findings[0].message and "000733" in findings[0].message


def test_findings_on_other_sheets_are_untouched(tmp_path: Path) -> None:
    broken = (("CPA", "ESME68753061", "106C", "10E1", "A100", "01057200", dt.date(2017, 6, 23), None, None),)
    form = read_sec_form(
        fill_form(tmp_path, VALID, certificates=CERTIFICATES[:2] + broken), device_model_listed=nothing_listed
    )
    _, findings = judge(form)
    assert places(findings) == {(Code.F001, "Assurance Certificates", 4, "Expiry")}


def test_a_field_the_form_has_no_row_for_names_the_form_without_a_row() -> None:
    form = FormSubmission(WorkbookData(()), {"firmware_version": 14}, {}, (), True)
    confirm = Finding(Code.P001, "CPL New Entry", 2, "Confirming Supplier", "needs a supplier")
    firmware = Finding(Code.D001, "CPL New Entry", 2, "Firmware Version", "already listed")
    assert place_findings([confirm, firmware], form) == [
        Finding(Code.P001, FORM_SHEET, None, None, "needs a supplier"),
        Finding(Code.D001, FORM_SHEET, 14, DETAILS_COLUMN, "already listed"),
    ]


# --- forms that are not one entry -------------------------------------------------------------------


def test_both_layouts_in_one_workbook_is_refused(tmp_path: Path) -> None:
    def add_project_sheet(book: openpyxl.Workbook) -> None:
        book.create_sheet("CPL New Entry").append([c.header for c in ENTRY_COLUMNS])

    form = read_sec_form(fill_form(tmp_path, VALID, edit=add_project_sheet), device_model_listed=nothing_listed)
    assert [(f.code, f.sheet) for f in form.findings] == [(Code.F002, FORM_SHEET)]
    assert "'CPL - New Entry'" in form.findings[0].message and "'CPL New Entry'" in form.findings[0].message


def test_two_entries_values_are_refused_at_their_rows(tmp_path: Path) -> None:
    def second_entry(book: openpyxl.Workbook) -> None:
        book[FORM_SHEET]["H10"] = "11:8F"
        book[FORM_SHEET]["H14"] = "00:04:08:00"

    form = read_sec_form(fill_form(tmp_path, VALID, edit=second_entry), device_model_listed=nothing_listed)
    assert [(f.code, f.row, f.column) for f in form.findings] == [
        (Code.F002, 10, DETAILS_COLUMN),
        (Code.F002, 14, DETAILS_COLUMN),
    ]
    assert "Column H" in form.findings[0].message


def test_an_empty_form_lists_no_entry(tmp_path: Path) -> None:
    for workbook in (read_workbook(real_bytes()), fill_form(tmp_path, {})):
        form = read_sec_form(workbook, device_model_listed=nothing_listed)
        entries, findings = judge(form)
        assert entries == ()
        assert places(findings) == {(Code.F003, FORM_SHEET, 6, DETAILS_COLUMN)}


def test_a_form_with_only_contacts_lists_no_entry(tmp_path: Path) -> None:
    contacts = {k: v for k, v in VALID.items() if k.startswith("Contact-CPA.")}
    form = read_sec_form(fill_form(tmp_path, contacts), device_model_listed=nothing_listed)
    assert [f.code for f in form.findings] == [Code.F003]
    assert form.audit == contacts


# --- white space and case never matter --------------------------------------------------------------


def pure_form(values: Mapping[str, CellValue], certificates: tuple[tuple[CellValue, ...], ...]) -> WorkbookData:
    """The real form's cells with ``values`` in the details column, without a file round trip."""
    by_row = {number: form_row.label for number, form_row in zip(range(7, 40), FORM_ROWS, strict=True)}
    rows = tuple(
        (number, (*cells[:6], values.get(by_row[number], cells[6])) if number in by_row else cells)
        for number, cells in real_form().rows
    )
    return WorkbookData(
        (
            dataclasses.replace(real_form(), rows=rows),
            SheetData("Assurance Certificates", CERTIFICATE_HEADER, tuple(enumerate(certificates, start=2))),
        )
    )


def variant(text: str) -> st.SearchStrategy[str]:
    """The same text with any case and any surrounding white space."""
    cases = st.tuples(*(st.sampled_from(sorted({c.lower(), c.upper()})) for c in text)).map("".join)
    space = st.sampled_from(["", " ", "  ", "\t"])
    return st.tuples(space, cases, space).map("".join)


CASE_FREE = (
    "Device_Type.name",
    "Device_Model.manufacturer_identifier",
    "Device_Model.model_identifier",
    "Device_Model.hardware_version.version",
    "Device_Model.hardware_version.revision",
    "Device_Model.firmware_version",
    "SMETS/CHTS Version.Version_number",
    "GBCS Version.version_number",
    "Manufacturer_Image.hash",
)


def entry_of(workbook: WorkbookData) -> tuple[EntryRow, list[Finding]]:
    """The form's entry, judged as a supplier's firmware update of entry 000099's Device Model."""
    form = read_sec_form(workbook, device_model_listed=lambda key: key == MODEL_000099)
    entries, findings = judge(
        form, context(submitter=PartyRole.SUPPLIER, active_device_models=frozenset({MODEL_000099}))
    )
    return entries[0], findings


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(*(variant(str(VALID[label])) for label in CASE_FREE)))
def test_any_case_or_surrounding_space_reads_the_same(written: tuple[str, ...]) -> None:
    expected, expected_findings = entry_of(pure_form(VALID, CERTIFICATES))
    assert expected_findings == []
    entry, findings = entry_of(pure_form({**VALID, **dict(zip(CASE_FREE, written, strict=True))}, CERTIFICATES))
    assert findings == []
    assert entry.submission_type is expected.submission_type is SubmissionType.FIRMWARE_UPDATE
    assert entry.identity is not None and expected.identity is not None
    registry = default_registry()
    assert canonical_identity(entry.identity, registry) == canonical_identity(expected.identity, registry)
    assert entry.firmware_version == expected.firmware_version
    assert entry.manufacturer_image_hash == expected.manufacturer_image_hash
    assert entry.physical_device_type is expected.physical_device_type


# --- the form read cell by cell (the real form's cells, no file round trip) --------------------------

ROW_OF = {form_row.label: number for number, form_row in zip(range(7, 40), FORM_ROWS, strict=True)}
Rows = tuple[tuple[int, tuple[CellValue, ...]], ...]
RowEdit = Callable[[Rows], Rows]


def edited_form(
    values: Mapping[str, CellValue],
    edit: RowEdit = lambda rows: rows,
    *,
    formulas: frozenset[tuple[int, int]] = frozenset(),
) -> WorkbookData:
    """``pure_form`` with its form sheet's rows changed by ``edit`` (and these cells formulas)."""
    workbook = pure_form(values, CERTIFICATES)
    form, certificates = workbook.sheets
    form = dataclasses.replace(form, rows=edit(form.rows), formula_cells=formulas)
    return WorkbookData((form, certificates))


def inserted(rows: Rows, before: int, *cells: tuple[CellValue, ...]) -> Rows:
    """The rows with ``cells`` as new rows before row ``before``, the rows from there on moved down."""
    moved = len(cells)
    return (
        *((n, c) for n, c in rows if n < before),
        *((before + i, c) for i, c in enumerate(cells)),
        *((n + moved, c) for n, c in rows if n >= before),
    )


def read(workbook: WorkbookData, listed: Callable[[DeviceModelKey], bool] = nothing_listed) -> FormSubmission:
    return read_sec_form(workbook, device_model_listed=listed)


def converted(form: FormSubmission) -> dict[str, CellValue]:
    """The converted ``CPL New Entry`` row by field."""
    ((_, cells),) = form.workbook.sheets[0].rows
    return {column.field: cell for column, cell in zip(ENTRY_COLUMNS, cells, strict=True)}


def at_form(code: Code, row: int | None, message: str) -> Finding:
    return Finding(code, FORM_SHEET, row, DETAILS_COLUMN if row is not None else None, message)


def test_every_form_row_is_placed_and_the_fields_it_stands_in_for_land_on_its_row() -> None:
    """CONTRACT.md 4.3: the submission type follows from the specification, the names from the identifiers;
    mapping evidence concerns the firmware, a conditional date the CPA certificate."""
    places = read(pure_form(VALID, CERTIFICATES)).places
    assert {field: places[field] for field in ("submission_type", "manufacturer", "model")} == {
        "submission_type": 15,
        "manufacturer": 10,
        "model": 11,
    }
    assert (places["firmware_mapping_evidence"], places["cpa_conditional_date"]) == (14, 17)
    assert (places["hardware_version"], places["release_notes"], places["physical_device_type"]) == (12, 39, 9)


@pytest.mark.parametrize(("index", "letter"), [(7, "H"), (26, "AA"), (51, "AZ"), (52, "BA")])
def test_a_value_beside_the_details_column_names_its_column(index: int, letter: str) -> None:
    def second_entry(rows: Rows) -> Rows:
        return tuple((n, (*c[:7], *([None] * (index - 7)), "11:8F") if n == 10 else c) for n, c in rows)

    form = read(edited_form(VALID, second_entry))
    assert form.findings == (
        at_form(
            Code.F002,
            10,
            f"Column {letter} holds a value beside New Entry's Details: the form takes one entry's values; submit "
            "each entry on its own form.",
        ),
    )


def test_short_rows_blank_rows_and_rows_after_the_last_attribute_are_read_as_empty() -> None:
    """A reader drops a row's empty cells at its end, or the whole row: none of it is an error."""

    def loosened(rows: Rows) -> Rows:
        short = tuple((n, c[:6] if n == 27 else c) for n, c in rows)  # row 27 stops just before its details cell
        # a row with no cells before row 20, and two rows of almost nothing after the form
        return (*inserted(short, 20, ()), (45, ()), (46, ("Notes",)))

    values = {k: v for k, v in VALID.items() if k != "Contact-CPA.Contact.contact name"}
    form = read(edited_form(values, loosened))
    entries, findings = judge(form)
    assert findings == []
    assert entries[0].dlms_certificate == "1837"
    assert form.places["dlms_certificate"] == 21  # found by its text on the row it moved to


def test_an_attribute_not_on_the_form_is_ignored_with_a_warning_when_filled() -> None:
    def extra(rows: Rows) -> Rows:
        rows = inserted(rows, 7, (None, "Reference", None, None, None, None, "R-1"))  # under no group yet
        rows = inserted(rows, 8, ("Device_Model", "colour", None, None, None, None, None))  # left blank
        return inserted(rows, 12, (None, "weight", None, None, None, None, "2 kg"))  # under Device_Type's group

    form = read(edited_form(VALID, extra))
    assert form.findings == (
        at_form(Code.N002, 7, "Attribute '.Reference' is not part of the form and is ignored."),
        at_form(Code.N002, 12, "Attribute 'Device_Type.weight' is not part of the form and is ignored."),
    )
    entries, findings = judge(form)
    assert [f.code for f in findings] == [Code.N002, Code.N002]
    assert entries[0].firmware_version == "01057200"  # every row after them is read
    assert form.places["firmware_version"] == 14 + 3


def test_an_attribute_written_twice_is_refused_when_the_second_holds_a_value() -> None:
    def twice(rows: Rows) -> Rows:
        rows = inserted(rows, 12, ("Device_Model", "model_identifier", None, None, None, None, "10:E2"))
        return inserted(rows, 13, ("Device_Model", "manufacturer_identifier", None, None, None, None, None))

    form = read(edited_form(VALID, twice))
    assert form.findings == (
        at_form(Code.F002, 12, "Device_Model.model_identifier appears twice on the form (rows 11 and 12)."),
    )
    assert (converted(form)["model_id"], converted(form)["manufacturer_id"]) == ("10:E1", "10:6C")  # the first rows'
    entries, _ = judge(form)
    assert entries[0].firmware_version == "01057200"  # every row after them is read


def test_a_formula_is_refused_and_a_form_with_nothing_but_it_lists_no_entry() -> None:
    form = read(edited_form({"Device_Model.firmware_version": "00:00:00:01"}, formulas=frozenset({(14, 6)})))
    assert form.findings == (
        at_form(Code.F002, 14, "The cell holds a formula; enter the value itself."),
        at_form(Code.F003, 6, "The workbook lists no entry: every New Entry's Details cell of the form is blank."),
    )


@pytest.mark.parametrize(
    ("version", "revision", "expected"),
    [
        pytest.param(
            None,
            "00",
            [at_form(Code.F001, 12, "Device_Model.hardware_version.version is required.")],
            id="no version",
        ),
        pytest.param(
            100,
            "00",
            [
                at_form(
                    Code.F002,
                    12,
                    "Device_Model.hardware_version.version '100' is not valid: it takes 2 hex digits (one octet, 00 to "
                    "FF).",
                )
            ],
            id="number 100",
        ),
        pytest.param(
            1.5,
            "00",
            [
                at_form(
                    Code.F002,
                    12,
                    "Device_Model.hardware_version.version '1.5' is not valid: it takes 2 hex digits (one octet, 00 to "
                    "FF).",
                )
            ],
            id="number 1.5",
        ),
        pytest.param(
            None,
            None,
            [
                at_form(Code.F001, 12, "Device_Model.hardware_version.version is required."),
                at_form(Code.F001, 13, "Device_Model.hardware_version.revision is required."),
            ],
            id="neither",
        ),
        pytest.param(
            "G0",
            "000",
            [
                at_form(
                    Code.F002,
                    12,
                    "Device_Model.hardware_version.version 'G0' is not valid: it takes 2 hex digits (one octet, 00 to "
                    "FF).",
                ),
                at_form(
                    Code.F002,
                    13,
                    "Device_Model.hardware_version.revision '000' is not valid: it takes 2 hex digits (one octet, 00 "
                    "to FF).",
                ),
            ],
            id="both bad",
        ),
    ],
)
def test_each_hardware_octet_is_judged_on_its_own_row_once(
    version: CellValue, revision: CellValue, expected: list[Finding]
) -> None:
    values = {
        **VALID,
        "Device_Model.hardware_version.version": version,
        "Device_Model.hardware_version.revision": revision,
    }
    _, findings = judge(read(pure_form(values, CERTIFICATES)))
    assert [f for f in findings if f.row in (12, 13)] == expected


def test_a_formula_in_the_first_octet_still_leaves_the_second_judged() -> None:
    values = {**VALID, "Device_Model.hardware_version.revision": "GG"}
    form = read(edited_form(values, formulas=frozenset({(12, 6)})))
    assert [(f.code, f.row) for f in form.findings] == [(Code.F002, 12), (Code.F002, 13)]


def test_the_names_are_the_identifiers_or_as_written_when_they_cannot_be_read() -> None:
    """CONTRACT.md 4.1: the form names no manufacturer or model in words; the identifiers stand in."""
    assert (converted(read(pure_form(VALID, CERTIFICATES)))["manufacturer"]) == "106C"
    values = {**VALID, "Device_Model.manufacturer_identifier": "10:6G", "Device_Model.model_identifier": None}
    row = converted(read(pure_form(values, CERTIFICATES)))
    assert (row["manufacturer"], row["model"]) == ("10:6G", None)


def test_an_identifier_typed_as_a_number_is_its_digits() -> None:
    asked: list[DeviceModelKey] = []

    def listed(key: DeviceModelKey) -> bool:
        asked.append(key)
        return True

    form = read(pure_form({**VALID, "Device_Model.manufacturer_identifier": 1028.0}, CERTIFICATES), listed)
    assert asked == [MODEL_000099._replace(manufacturer_id="1028")]
    assert (converted(form)["submission_type"], converted(form)["manufacturer"]) == ("Firmware Update", "1028")


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("Device_Type.name", "Toaster"),
        ("Device_Type.name", 7.0),
        ("Device_Model.manufacturer_identifier", "10:6G"),
        ("Device_Model.manufacturer_identifier", "106"),
        ("Device_Model.manufacturer_identifier", 1028.5),
        ("Device_Model.manufacturer_identifier", -1028.0),
        ("Device_Model.manufacturer_identifier", True),
        ("Device_Model.manufacturer_identifier", dt.date(2020, 1, 1)),
        ("Device_Model.model_identifier", "10E"),
        ("Device_Model.model_identifier", "1:0E1"),
        ("Device_Model.hardware_version.version", None),
        ("Device_Model.hardware_version.revision", "G0"),
    ],
)
def test_a_device_model_that_cannot_be_read_is_new_and_never_looked_up(label: str, value: CellValue) -> None:
    asked: list[DeviceModelKey] = []

    def listed(key: DeviceModelKey) -> bool:
        asked.append(key)
        return True

    form = read(pure_form({**VALID, label: value}, CERTIFICATES), listed)
    assert asked == [] and converted(form)["submission_type"] == "New"


@pytest.mark.parametrize("spelling", ["SMETS V1.2", "SMETS1 v1.2", "smets1 V1.2"])
def test_the_registrys_smets1_spelling_is_smets1_too(spelling: str) -> None:
    form = read(pure_form({**SMETS1, "SMETS/CHTS Version.Version_number": spelling}, ()), lambda key: True)
    assert converted(form)["submission_type"] == "SMETS1"


def test_gbcs_version_0_0_is_only_for_smets1_and_a_smets1_form_may_leave_gbcs_blank() -> None:
    smets2 = read(pure_form({**VALID, "GBCS Version.version_number": "GBCS Version 0.0"}, CERTIFICATES))
    _, findings = judge(smets2)
    assert findings == [
        at_form(
            Code.F002,
            16,
            "'GBCS Version 0.0' is only for SMETS1 Device Models: give the GBCS version this SMETS/CHTS version "
            "relates to.",
        )
    ]
    other = read(pure_form({**SMETS1, "GBCS Version.version_number": "GBCS Version 1.1"}, ()))
    assert other.findings == (
        at_form(
            Code.F002,
            16,
            "GBCS Version 'GBCS Version 1.1' is not for a SMETS1 Device Model: it must use 'GBCS Version 0.0'.",
        ),
    )
    entries, _ = judge(other, context(submitter=PartyRole.DCC))
    assert entries[0].gbcs_version is None
    blank = read(pure_form({**SMETS1, "GBCS Version.version_number": None}, ()))
    assert blank.findings == ()


@pytest.mark.parametrize("written", ["2023-06-23", " 23/06/2023 ", dt.datetime(2023, 6, 23, 0, 0)])
def test_a_cpa_date_may_be_a_date_cell_dd_mm_yyyy_or_yyyy_mm_dd(written: CellValue) -> None:
    form = read(pure_form({**VALID, "CPA_Certificate.expiry_date": written}, CERTIFICATES))
    assert form.findings == () and converted(form)["cpa_expiry"] == dt.date(2023, 6, 23)


def test_a_cpa_date_that_is_no_date_says_how_to_write_it() -> None:
    form = read(pure_form({**VALID, "CPA_Certificate.expiry_date": "23.06.2023"}, CERTIFICATES))
    assert form.findings == (
        at_form(
            Code.F002,
            19,
            "CPA_Certificate.expiry_date '23.06.2023' is not a date: use a date cell or dd/mm/yyyy.",
        ),
    )


def test_a_value_typed_as_a_number_is_kept_for_audit_as_its_digits() -> None:
    form = read(pure_form({**VALID, "Manufacturer Contact FIR.House Number": 12.0}, CERTIFICATES))
    assert form.audit["Manufacturer Contact FIR.House Number"] == "12"


@pytest.mark.parametrize(
    ("number", "status", "warned"),
    [
        (None, "Current", [8]),
        ("This value is allocated by SECAS", "Current", [8]),
        ("000733", None, [7]),
    ],
)
def test_each_row_secas_allocates_is_judged_on_its_own(number: CellValue, status: CellValue, warned: list[int]) -> None:
    form = read(pure_form({**VALID, "Entry.number": number, "Entry.status": status}, CERTIFICATES))
    label = {7: "Entry.number", 8: "Entry.status"}
    assert form.findings == tuple(
        Finding(
            Code.N002,
            FORM_SHEET,
            row,
            DETAILS_COLUMN,
            f"{label[row]} is allocated by SECAS; the value {number if row == 7 else status!r} is ignored.",
        )
        for row in warned
    )


def test_a_workbook_without_the_form_sheet_is_wb002() -> None:
    form = read(WorkbookData((SheetData("Assurance Certificates", CERTIFICATE_HEADER, ()),)))
    assert form.findings == (
        Finding(Code.WB002, FORM_SHEET, None, None, "The workbook has no 'CPL - New Entry' sheet."),
    )
    assert form.places == {} and form.audit == {} and form.has_certificate_sheet


def test_both_layouts_in_one_workbook_is_refused_at_the_forms_header_row() -> None:
    project = SheetData("CPL New Entry", tuple(c.header for c in ENTRY_COLUMNS), ())
    both = WorkbookData((*pure_form(VALID, CERTIFICATES).sheets, project))
    message = (
        "The workbook holds both the SEC's New Entry form ('CPL - New Entry') and a 'CPL New Entry' sheet: "
        "submit one layout or the other, not both."
    )
    assert read(both).findings == (Finding(Code.F002, FORM_SHEET, 6, None, message),)
    no_header = WorkbookData((SheetData(FORM_SHEET, ("Submission Type",), ()), project))
    assert [(f.code, f.row) for f in read(no_header).findings] == [(Code.F002, None), (Code.WB002, None)]


def test_a_form_missing_the_gbcs_row_is_wb002_and_nothing_else_of_it() -> None:
    def without_gbcs(rows: Rows) -> Rows:
        return tuple(r for r in rows if r[0] != 16)

    form = read(edited_form(VALID, without_gbcs))
    assert form.findings == (
        Finding(Code.WB002, FORM_SHEET, 6, None, "The form has no 'GBCS Version' / 'version_number' row."),
    )


# --- findings placed back on the form --------------------------------------------------------------


def test_findings_on_the_converted_sheet_land_on_the_form_and_the_others_are_kept_in_order() -> None:
    form = FormSubmission(WorkbookData(()), {"firmware_version": 14}, {}, (), True)
    other = Finding(Code.C004, "Assurance Certificates", 3, "Expiry", "elsewhere")
    no_column = Finding(Code.F003, "CPL New Entry", 2, None, "no entry")
    firmware = Finding(Code.D001, "CPL New Entry", 2, "Firmware Version", "already listed")
    assert place_findings([other, no_column, firmware], form) == [
        other,
        Finding(Code.F003, FORM_SHEET, None, None, "no entry"),
        Finding(Code.D001, FORM_SHEET, 14, DETAILS_COLUMN, "already listed"),
    ]


def test_on_an_empty_form_only_its_own_f003_is_said() -> None:
    empty = FormSubmission(
        WorkbookData(()), {"firmware_version": 14}, {}, (at_form(Code.F003, 6, "The form is blank."),), True
    )
    f003 = Finding(Code.F003, "CPL New Entry", 2, None, "every row is blank")
    firmware = Finding(Code.D001, "CPL New Entry", 2, "Firmware Version", "already listed")
    assert place_findings([f003, firmware], empty) == [
        Finding(Code.D001, FORM_SHEET, 14, DETAILS_COLUMN, "already listed")
    ]


def test_the_header_row_is_the_one_with_both_data_group_and_data_attribute() -> None:
    def decoys(rows: Rows) -> Rows:
        return inserted(rows, 5, ("Data Group",), (None, "Data Attribute"))

    form = read(edited_form(VALID, decoys))
    assert form.findings == () and form.places["firmware_version"] == 14 + 2


def test_a_header_in_the_sheets_first_row_numbers_the_form_from_there() -> None:
    header = tuple(str(cell) for cell in dict(real_form().rows)[6])  # the real form's header row, first here
    rows = tuple((n - 5, c) for n, c in real_form().rows if n > 6)
    blank = WorkbookData((SheetData(FORM_SHEET, header, rows),))
    form = read(blank)
    assert form.findings == (
        at_form(Code.F003, 1, "The workbook lists no entry: every New Entry's Details cell of the form is blank."),
    )
    filled = tuple((n, (*c[:6], "000733") if n == 2 else c) for n, c in rows)  # Entry.number, on row 2 now
    assert [(f.code, f.row) for f in read(WorkbookData((SheetData(FORM_SHEET, header, filled),))).findings] == [
        (Code.N002, 2),
        (Code.F003, 1),
    ]


def test_a_form_without_a_header_row_or_its_details_header_is_wb002_at_what_it_has() -> None:
    message = (
        "The 'CPL - New Entry' sheet has no header row with 'Data Group', 'Data Attribute' and "
        '"New Entry\'s Details" cells.'
    )
    no_header = read(WorkbookData((SheetData(FORM_SHEET, ("Submission Type",), ()),)))
    assert no_header.findings == (Finding(Code.WB002, FORM_SHEET, None, None, message),)
    rows = tuple((number, cells[:6]) for number, cells in real_form().rows)
    no_details = read(WorkbookData((dataclasses.replace(real_form(), rows=rows),)))
    assert no_details.findings == (Finding(Code.WB002, FORM_SHEET, 6, DETAILS_COLUMN, message),)
