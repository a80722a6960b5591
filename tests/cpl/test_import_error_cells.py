"""`cpl import-cpl` and spreadsheet error values (#N/A, #REF!, #VALUE!...): each is F002 at its cell,
never an empty value, in a required column or an optional one, on the list tab and in the history.

End to end on copies of the SEC's real 2.051 workbook (openpyxl, macros kept, an error value typed into
a cell), through the safe reader and the importer; and on the parsed real list with an error placed
where the reader reports one (the reader hands an error value over as an empty cell beside its text).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string
from sqlmodel import Session, select

from cpl.core.domain import PartyRole
from cpl.core.findings import Code, Finding
from cpl.core.sec_list import LIST_SHEET, VERSION_SHEET, parse_sec_list
from cpl.core.sheets import WorkbookData
from cpl.services import imports as import_service
from cpl.services import parties as party_service
from cpl.specs_file import default_registry
from cpl.store import CplVersion, Entry, get_engine
from cpl.workbook.reader import read_workbook
from tests.cpl.conftest import CplRun
from tests.cpl.core.test_sec_list import REAL_LIST

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
REGISTRY = default_registry()


@pytest.fixture(scope="module")
def real_list() -> Path:
    """The SEC's 2.051 workbook (found as tests/cpl/core/test_sec_list.py finds it, mutation sandboxes too)."""
    assert REAL_LIST.is_file(), f"the SEC's CPL workbook is expected at {REAL_LIST} (../shared/reference/)"
    return REAL_LIST


pytestmark = pytest.mark.usefixtures("real_list")  # fails, never skips, when the file is missing

#: Columns of the list tab, by letter as the real file lays them out, and how findings name them.
FIRMWARE = ("I", "Device_Model.firmware_version", "firmware version")  # required
MODEL_ID = ("F", "Device_Model.model_identifier", "model identifier")  # required
IMAGE_HASH = ("T", "Manufacturer_Image.hash", "Manufacturer Image hash")  # optional
DLMS_CERTIFICATE = ("O", "DLMS_Certificate.identification_number", "DLMS certificate")  # optional
CPA_DATE = ("N", "CPA_Certificate.expiry_date", "CPA expiry or renewal date")  # optional (a date)


def error_message(what: str, error: str) -> str:
    return f"The {what} holds the error value {error}, not a value: enter the value itself."


@cache
def real_workbook() -> WorkbookData:
    return read_workbook(REAL_LIST.read_bytes())


@cache
def rows_by_number() -> dict[str, int]:
    """Entry number -> its spreadsheet row on the list tab."""
    sheet = real_workbook().sheet(LIST_SHEET)
    assert sheet is not None
    return {str(cells[1]).strip(): number for number, cells in sheet.rows if cells[1] is not None}


def row_of(entry_number: str) -> int:
    return rows_by_number()[entry_number]


def errors_of(
    findings: tuple[Finding, ...] | list[Finding],
) -> list[tuple[str, str | None, int | None, str | None, str]]:
    return [(f.code, f.sheet, f.row, f.column, f.message) for f in findings if f.is_error]


# --- the parsed real list, an error value placed as the reader reports one ------------------------------


def with_error_cells(
    sheet_name: str, errors: Mapping[tuple[int, int], str], *, drop_rows: bool = False
) -> WorkbookData:
    """The real workbook, with these (row, 0-based column) cells holding error values: read as empty,
    their text in ``error_cells`` (``drop_rows``: rows left with nothing else are left out, as the reader does)."""
    book = real_workbook()
    sheet = book.sheet(sheet_name)
    assert sheet is not None
    rows = []
    for number, cells in sheet.rows:
        values = tuple(None if (number, index) in errors else value for index, value in enumerate(cells))
        if drop_rows and all(value is None for value in values):
            continue
        rows.append((number, values))
    changed = dataclasses.replace(sheet, rows=tuple(rows), error_cells=dict(errors))
    return WorkbookData(tuple(changed if s is sheet else s for s in book.sheets), macros=book.macros)


def column(letter: str) -> int:
    return column_index_from_string(letter) - 1


def test_the_real_list_holds_no_error_value_and_imports_clean() -> None:
    assert all(not s.error_cells for s in real_workbook().sheets)
    assert errors_of(parse_sec_list(real_workbook(), REGISTRY).findings) == []


@pytest.mark.parametrize("error", ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!"])
def test_an_error_value_in_a_required_cell_is_f002_at_the_cell_not_f001(error: str) -> None:
    row = row_of("000100")
    parsed = parse_sec_list(with_error_cells(LIST_SHEET, {(row, column(FIRMWARE[0])): error}), REGISTRY)
    assert errors_of(parsed.findings) == [(Code.F002, LIST_SHEET, row, FIRMWARE[1], error_message(FIRMWARE[2], error))]
    assert 100 not in {e.number for e in parsed.entries}


@pytest.mark.parametrize("where", [IMAGE_HASH, DLMS_CERTIFICATE, CPA_DATE])
def test_an_error_value_in_an_optional_cell_is_f002_never_an_empty_value(where: tuple[str, str, str]) -> None:
    row = row_of("000100")
    parsed = parse_sec_list(with_error_cells(LIST_SHEET, {(row, column(where[0])): "#REF!"}), REGISTRY)
    assert errors_of(parsed.findings) == [(Code.F002, LIST_SHEET, row, where[1], error_message(where[2], "#REF!"))]


def test_a_row_of_nothing_but_error_values_lists_no_entry_and_each_error_is_f002() -> None:
    sheet = real_workbook().sheet(LIST_SHEET)
    assert sheet is not None
    row = row_of("000100")
    width = len(dict(sheet.rows)[row])
    errors = {(row, index): "#N/A" for index in range(1, width)}  # column A is the tab's row labels
    parsed = parse_sec_list(with_error_cells(LIST_SHEET, errors, drop_rows=True), REGISTRY)
    found = errors_of(parsed.findings)
    assert {code for code, *_ in found} == {Code.F002}  # no F001 for the cells an error value stands in
    assert {(r, c) for _, _, r, c, _ in found} >= {(row, FIRMWARE[1]), (row, MODEL_ID[1]), (row, IMAGE_HASH[1])}
    assert all(
        message.endswith("holds the error value #N/A, not a value: enter the value itself.") for *_, message in found
    )
    assert 100 not in {e.number for e in parsed.entries}


def test_an_error_value_in_a_row_below_the_list_is_still_reported() -> None:
    sheet = real_workbook().sheet(LIST_SHEET)
    assert sheet is not None
    below = max(number for number, _ in sheet.rows) + 3
    parsed = parse_sec_list(with_error_cells(LIST_SHEET, {(below, column(MODEL_ID[0])): "#N/A"}), REGISTRY)
    assert errors_of(parsed.findings) == [
        (Code.F002, LIST_SHEET, below, MODEL_ID[1], error_message(MODEL_ID[2], "#N/A"))
    ]


def test_an_error_value_in_the_header_rows_is_not_an_entry() -> None:
    parsed = parse_sec_list(with_error_cells(LIST_SHEET, {(4, column("C")): "#N/A"}), REGISTRY)
    assert errors_of(parsed.findings) == []


@pytest.mark.parametrize(
    ("index", "header", "what"),
    [
        (0, "Version Number (each issued version will increment this number by one)", "version number"),
        (1, "Date Of Issue", "date of issue"),
        (2, "Changes incorporated", "list of changes"),
    ],
)
def test_an_error_value_in_the_version_history_is_f002_at_its_cell(index: int, header: str, what: str) -> None:
    row = 13  # version 1.2
    parsed = parse_sec_list(with_error_cells(VERSION_SHEET, {(row, index): "#VALUE!"}), REGISTRY)
    assert errors_of(parsed.findings) == [(Code.F002, VERSION_SHEET, row, header, error_message(what, "#VALUE!"))]
    assert "1.2" not in {r.version for r in parsed.history}


# --- end to end: a copy of the real file with an error value typed in ------------------------------------


def real_copy(tmp_path: Path, sheet: str, cells: Mapping[str, str]) -> bytes:
    """The real .xlsm, macros kept (and never run), with these cells set (an error value typed into a
    cell is stored as one: openpyxl writes it with type ``e``)."""
    book = openpyxl.load_workbook(REAL_LIST, keep_vba=True)
    for cell, value in cells.items():
        book[sheet][cell] = value
    path = tmp_path / "with-errors.xlsm"
    book.save(path)
    return path.read_bytes()


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    with Session(get_engine(f"sqlite:///{tmp_path / 'cpl.db'}"), expire_on_commit=False) as s:
        party_service.add_party(s, "secas", "SECAS", PartyRole.SECAS, NOW)
        s.flush()
        party_service.add_user(s, "alice", "secas", "Alice", NOW)
        s.flush()
        yield s


def do_import(session: Session, data: bytes) -> import_service.ImportResult:
    return import_service.import_cpl(
        session, workbook=data, filename="with-errors.xlsm", user_id="alice", registry=REGISTRY, now=NOW
    )


def test_a_copy_with_an_error_in_a_required_and_an_optional_cell_imports_nothing(
    session: Session, tmp_path: Path
) -> None:
    required, optional = row_of("000100"), row_of("000200")
    data = real_copy(tmp_path, LIST_SHEET, {f"{FIRMWARE[0]}{required}": "#N/A", f"{IMAGE_HASH[0]}{optional}": "#REF!"})
    result = do_import(session, data)
    assert not result.imported and result.entries == 0
    assert errors_of(result.findings) == [
        (Code.F002, LIST_SHEET, required, FIRMWARE[1], error_message(FIRMWARE[2], "#N/A")),
        (Code.F002, LIST_SHEET, optional, IMAGE_HASH[1], error_message(IMAGE_HASH[2], "#REF!")),
    ]
    assert session.exec(select(Entry)).first() is None and session.exec(select(CplVersion)).first() is None


def test_a_copy_with_an_error_in_an_optional_cell_alone_is_refused_too(session: Session, tmp_path: Path) -> None:
    row = row_of("000300")
    result = do_import(session, real_copy(tmp_path, LIST_SHEET, {f"{DLMS_CERTIFICATE[0]}{row}": "#DIV/0!"}))
    assert errors_of(result.findings) == [
        (Code.F002, LIST_SHEET, row, DLMS_CERTIFICATE[1], error_message(DLMS_CERTIFICATE[2], "#DIV/0!"))
    ]
    assert session.exec(select(Entry)).first() is None


def test_a_copy_with_an_error_in_its_history_imports_nothing(session: Session, tmp_path: Path) -> None:
    result = do_import(session, real_copy(tmp_path, VERSION_SHEET, {"B13": "#VALUE!"}))
    assert errors_of(result.findings) == [
        (Code.F002, VERSION_SHEET, 13, "Date Of Issue", error_message("date of issue", "#VALUE!"))
    ]
    assert session.exec(select(Entry)).first() is None


def test_an_error_formula_is_a_formula_finding_at_its_cell(session: Session, tmp_path: Path) -> None:
    row = row_of("000100")
    result = do_import(session, real_copy(tmp_path, LIST_SHEET, {f"{MODEL_ID[0]}{row}": "=NA()"}))
    assert errors_of(result.findings) == [
        (Code.F002, LIST_SHEET, row, MODEL_ID[1], "The model identifier holds a formula; enter the value itself.")
    ]


def test_import_cpl_on_the_command_line_names_the_error_cell(cpl: CplRun, tmp_path: Path) -> None:
    cpl.parties()
    row = row_of("000100")
    bad = tmp_path / "bad.xlsm"
    bad.write_bytes(real_copy(tmp_path, LIST_SHEET, {f"{IMAGE_HASH[0]}{row}": "#N/A"}))
    report = cpl.json("import-cpl", bad, "--by", "alice", expect=1)
    assert report["imported"] is False and report["entries"] == 0
    assert [(f["code"], f["sheet"], f["row"], f["column"], f["message"]) for f in report["findings"]] == [
        ("F002", LIST_SHEET, row, IMAGE_HASH[1], error_message(IMAGE_HASH[2], "#N/A"))
    ]
    assert cpl.json("list")["entries"] == []
