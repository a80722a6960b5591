"""Issue 12 over HTTP: a workbook whose values a spreadsheet changed, or that lists no entry, uploaded
to ``POST /api/v1/submissions`` as a spreadsheet program stores it."""

from __future__ import annotations

import io

import openpyxl
import pytest

from cpl.core.schema import ENTRY_COLUMNS, ENTRY_SHEET
from cpl.demo.samples import sample_submission
from cpl.workbook.template import write_submission, write_template
from tests.api.conftest import World

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [column.header for column in ENTRY_COLUMNS]
RETYPE = "format the column as Text and enter the value again."


def cell(header: str, row: int = 2) -> str:
    return f"{openpyxl.utils.get_column_letter(HEADERS.index(header) + 1)}{row}"


def as_stored(numbers: dict[str, object], errors: dict[str, str]) -> bytes:
    """One entry for a Device Model no other workbook here uses, with cells as a spreadsheet stores them."""
    sample = sample_submission(1, start=420)
    buffer = io.BytesIO()
    write_submission(buffer, sample.entries, sample.certificates)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = book[ENTRY_SHEET]
    for reference, value in numbers.items():
        sheet[reference] = value
    for reference, error in errors.items():
        sheet[reference] = error
        sheet[reference].data_type = "e"
    saved = io.BytesIO()
    book.save(saved)
    return saved.getvalue()


def submitted(world: World, data: bytes) -> dict[str, object]:
    response = world.client.post(
        "/api/v1/submissions", headers=world.headers("manufacturer"), files={"workbook": ("book.xlsx", data, XLSX)}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def places(body: dict[str, object]) -> list[tuple[object, ...]]:
    findings = body["findings"]
    assert isinstance(findings, list)
    return [(f["code"], f["sheet"], f["row"], f["column"], f["message"]) for f in findings]


def test_hex_stored_as_numbers_and_error_values_are_f002_at_their_cells(world: World) -> None:
    data = as_stored({cell("Firmware Version"): 10203, cell("Hardware Version"): 1000.0}, {cell("Model"): "#N/A"})
    body = submitted(world, data)
    assert body["state"] == "has_errors"
    assert places(body) == [
        (
            "F002",
            ENTRY_SHEET,
            2,
            "Firmware Version",
            f"Firmware Version was stored as the number 10203, so any leading zeros were dropped: {RETYPE}",
        ),
        (
            "F002",
            ENTRY_SHEET,
            2,
            "Hardware Version",
            "Hardware Version was stored as the number 1000: a spreadsheet reads hex such as 01E5 as scientific "
            f"notation (1.00E+05), so the digits typed are lost: {RETYPE}",
        ),
        ("F002", ENTRY_SHEET, 2, "Model", "Model holds the error value #N/A, not a value: enter the value itself."),
    ]


@pytest.mark.parametrize("resaved", [False, True], ids=["as written", "resaved"])
def test_the_template_sent_back_unfilled_is_f003_and_cannot_be_approved(world: World, resaved: bool) -> None:
    buffer = io.BytesIO()
    write_template(buffer)
    data = buffer.getvalue()
    if resaved:
        again = io.BytesIO()
        openpyxl.load_workbook(io.BytesIO(data)).save(again)
        data = again.getvalue()
    body = submitted(world, data)
    assert body["state"] == "has_errors"
    assert places(body) == [
        ("F003", ENTRY_SHEET, 2, None, "The workbook lists no entry: every row of the sheet is blank.")
    ]
    before = world.snapshot()
    response = world.client.post(f"/api/v1/submissions/{body['id']}/approval", headers=world.headers("secas"))
    assert response.status_code == 422 and "F003" in response.json()["error"]["message"]
    assert world.snapshot() == before
