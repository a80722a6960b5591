"""The check route's annotated answer: ``POST /api/v1/checks?annotate=true`` hands the workbook back
with each finding on its cell and a Findings sheet, through the real app; JSON stays the default."""

from __future__ import annotations

import io
import urllib.parse
import zipfile
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from cpl.demo.samples import sample_row
from formats.vocabulary import PhysicalDeviceType
from tests.api.conftest import World, workbook_bytes
from tests.cpl.core.test_sec_list import REAL_LIST, needs_real_list

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
ENTRY = "CPL New Entry"


def post(world: World, workbook: bytes, *, filename: str = "w.xlsx", annotate: str | None = "true") -> Any:
    files = {"workbook": (filename, workbook, "application/octet-stream")}
    params = {"annotate": annotate} if annotate is not None else {}
    return world.client.post("/api/v1/checks", headers=world.headers("manufacturer"), files=files, params=params)


def faulty_workbook() -> bytes:
    """Row 2: a Manufacturer ID with a bad octet; row 3: GBCS v1.0, end-dated in 2018 (whatever today is)."""
    gas, gas_certificates = sample_row(PhysicalDeviceType.GAS_SMART_METER, 970)
    gas["manufacturer_id"] = "10:6G"
    ppmid, ppmid_certificates = sample_row(PhysicalDeviceType.PPMID, 971)
    ppmid["gbcs_version"] = "v1.0"
    return workbook_bytes([gas, ppmid], gas_certificates + ppmid_certificates)


def column_of(workbook: bytes, header: str) -> str:
    """The letter of ``header`` in the entry sheet's header row, as the workbook was built."""
    sheet = openpyxl.load_workbook(io.BytesIO(workbook))[ENTRY]
    return next(str(get_column_letter(cell.column)) for cell in sheet[1] if cell.value == header)


def test_annotate_true_answers_with_the_workbook_its_findings_on_their_cells(world: World) -> None:
    workbook = faulty_workbook()
    before = world.snapshot()
    answer = post(world, workbook)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"] == 'attachment; filename="w-findings.xlsx"'
    assert world.snapshot() == before
    findings = post(world, workbook, annotate=None).json()["findings"]
    assert {(f["code"], f["row"], f["column"]) for f in findings} == {
        ("F002", 2, "Manufacturer ID"),
        ("V002", 3, "GBCS Version"),
    }
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book[ENTRY]
    for finding in findings:
        cell = sheet[f"{column_of(workbook, str(finding['column']))}{finding['row']}"]
        assert cell.comment is not None and f"{finding['code']} (error): {finding['message']}" in cell.comment.text
        assert cell.fill.fill_type == "solid" and str(cell.fill.fgColor.rgb).endswith("FFC7CE")
    commented = {c.coordinate for row in sheet.iter_rows(min_row=2) for c in row if c.comment is not None}
    assert commented == {f"{column_of(workbook, str(f['column']))}{f['row']}" for f in findings}
    listed = list(book["Findings"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[6]) for row in listed] == [(f["code"], f["message"]) for f in findings]
    links = [c.hyperlink.location for row in book["Findings"].iter_rows(min_row=2) for c in row if c.hyperlink]
    assert links == [f"'{ENTRY}'!{column_of(workbook, str(f['column']))}{f['row']}" for f in findings]


def test_without_annotate_the_answer_stays_the_json_findings(world: World) -> None:
    for annotate in (None, "false"):
        answer = post(world, faulty_workbook(), annotate=annotate)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        body = answer.json()
        assert body["error_count"] == 2 and body["annotation_problem"] is None


def test_a_file_that_cannot_be_annotated_gets_its_findings_and_a_sentence_why(world: World) -> None:
    answer = post(world, b"PK\x03\x04 not really a zip")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert [f["code"] for f in body["findings"]] == ["WB001"]
    assert body["annotation_problem"].startswith("The workbook cannot be annotated: ")
    assert body["annotation_problem"].endswith(".")


@needs_real_list  # fails, never skips, when the file is missing
def test_a_macro_enabled_workbook_comes_back_macro_enabled_with_its_vba_project(world: World) -> None:
    original = REAL_LIST.read_bytes()
    answer = post(world, original, filename="central_products_list_v2.051.xlsm")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSM
    assert answer.headers["content-disposition"] == 'attachment; filename="central_products_list_v2.051-findings.xlsm"'
    returned = zipfile.ZipFile(io.BytesIO(answer.content))
    assert returned.read("xl/vbaProject.bin") == zipfile.ZipFile(io.BytesIO(original)).read("xl/vbaProject.bin")
    book = openpyxl.load_workbook(io.BytesIO(answer.content), keep_vba=True)
    assert [row[0] for row in book["Findings"].iter_rows(min_row=2, values_only=True)] == ["WB001"]


def test_a_file_name_beyond_ascii_is_given_plain_and_in_utf8(world: World) -> None:
    answer = post(world, faulty_workbook(), filename="Zähler neu.xlsx")
    assert answer.status_code == 200, answer.text
    disposition = answer.headers["content-disposition"]
    plain, _, encoded = disposition.partition("; filename*=UTF-8''")
    assert plain == 'attachment; filename="Z_hler neu-findings.xlsx"'
    assert urllib.parse.unquote(encoded) == "Zähler neu-findings.xlsx"


def test_the_annotated_answer_needs_a_token_like_the_json_one(world: World) -> None:
    files = {"workbook": ("w.xlsx", faulty_workbook(), "application/octet-stream")}
    assert world.client.post("/api/v1/checks", params={"annotate": "true"}, files=files).status_code == 401


def test_the_openapi_document_describes_the_annotated_answer(world: World) -> None:
    operation = world.client.get("/openapi.json").json()["paths"]["/api/v1/checks"]["post"]
    assert operation["summary"]
    (annotate,) = [p for p in operation["parameters"] if p["name"] == "annotate"]
    assert (
        annotate["in"] == "query" and annotate["schema"]["type"] == "boolean" and annotate["schema"]["default"] is False
    )
    content = operation["responses"]["200"]["content"]
    assert set(content) == {"application/json", XLSX, XLSM}
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/CheckOut"}
    assert content[XLSX]["schema"] == {"type": "string", "format": "binary"}
    assert "annotate=true" in operation["description"]
