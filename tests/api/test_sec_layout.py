"""The SEC's own workbook over HTTP: its New Entry form is a submission, the SEC-layout downloads.

The form is the demo's (`cpl.demo.workbooks.sec_form`): the SEC's form with its details filled in.
Findings name the form's sheet, the attribute's row and the column `New Entry's Details`.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

from python_calamine import CalamineWorkbook
from sqlmodel import Session

from cpl.demo.workbooks import ACME_FORM, ACME_FORM_CERTIFICATES, sec_form
from cpl.store import Submission, get_engine
from tests.api.conftest import World

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _form_row(data: bytes, label: str) -> int:
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("CPL - New Entry").to_python()
    return next(i for i, r in enumerate(rows, start=1) if f"{str(r[0]).strip()}.{str(r[1]).strip()}" == label)


def _submit(world: World, data: bytes, name: str = "form.xlsx") -> dict[str, object]:
    response = world.client.post(
        "/api/v1/submissions", headers=world.headers("manufacturer"), files={"workbook": (name, data, XLSX)}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_clean_new_entry_form_is_an_open_submission(world: World) -> None:
    body = _submit(world, sec_form(ACME_FORM, ACME_FORM_CERTIFICATES))
    assert body["state"] == "open" and body["findings"] == []


def test_a_bad_value_on_the_form_is_a_finding_at_its_attribute_row(world: World) -> None:
    data = sec_form({**ACME_FORM, "Device_Model.model_identifier": "7A:0G"}, ACME_FORM_CERTIFICATES)
    body = _submit(world, data)
    findings = body["findings"]
    assert isinstance(findings, list)
    row = _form_row(data, "Device_Model.model_identifier")
    assert [(f["code"], f["sheet"], f["row"], f["column"]) for f in findings if f["code"] == "F002"] == [
        ("F002", "CPL - New Entry", row, "New Entry's Details")
    ]
    assert body["state"] == "has_errors"


def test_a_certificate_no_one_describes_is_c004_on_the_form(world: World) -> None:
    body = _submit(world, sec_form(ACME_FORM, []))
    codes = {(f["code"], f["sheet"]) for f in body["findings"]}  # type: ignore[attr-defined]
    assert codes == {("C004", "CPL - New Entry")}


def test_a_macro_enabled_workbook_is_refused_and_its_macros_never_kept(world: World) -> None:
    source = io.BytesIO(sec_form(ACME_FORM, ACME_FORM_CERTIFICATES))
    with_macros = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(with_macros, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            copy.writestr(item, original.read(item))
        copy.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 a VBA project")
    before = world.snapshot()
    body = _submit(world, with_macros.getvalue(), "form.xlsm")
    assert [f["code"] for f in body["findings"]] == ["WB001"]  # type: ignore[attr-defined]
    assert "macros" in body["findings"][0]["message"]  # type: ignore[index]
    assert body["state"] == "has_errors"
    after = world.snapshot()
    assert len(after["submission"]) == len(before["submission"]) + 1  # the refusal is recorded, with its finding,
    with Session(get_engine(world.url)) as session:
        record = session.get(Submission, body["id"])
        assert record is not None and record.workbook == b""  # ... and without the macros
        assert record.workbook_sha256 == hashlib.sha256(with_macros.getvalue()).hexdigest()


def test_the_page_links_the_sec_workbook_as_its_main_download(world: World) -> None:
    page = world.client.get("/").text
    assert 'data-testid="sec-download"' in page and 'href="/api/v1/central_products_list.xlsx"' in page
    response = world.client.get("/api/v1/central_products_list.xlsx")
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert "central_products_list_v" in response.headers["content-disposition"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["Version Control", "CPL - New Entry", "Central Products List", "CPL - saveable in CSV"]
    csv = world.client.get("/api/v1/central_products_list.csv")
    assert csv.status_code == 200 and csv.text.startswith("Version,Entry.number,Entry.status,")
    # The published workbook is the form manufacturers download: submitted back, it is read by its form tab.
    body = _submit(world, response.content, "downloaded.xlsx")
    assert [f["code"] for f in body["findings"]] == ["F003"]  # type: ignore[attr-defined]
