"""Findings and refusals over HTTP link to the finding codes page, and the link resolves in the real app.

Each finding the API returns carries ``help``: ``/docs/finding-codes#<code in lower case>``; so does
the refusal to approve a submission with errors, for the code its sentence names. The page is served
by the service itself (no token, nothing from outside), one anchor per code.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urldefrag

from cpl.demo.samples import sample_row
from formats.vocabulary import PhysicalDeviceType
from tests.api.conftest import ROOT, World, workbook_bytes

#: CONTRACT.md section 1's codes, and the two issue 12 adds for CPA dates.
CONTRACT_CODES = [
    "WB001",
    "WB002",
    "F001",
    "F002",
    "C001",
    "C002",
    "C003",
    "C004",
    "C005",
    "V001",
    "V002",
    "D001",
    "D002",
    "P001",
    "P002",
    "P003",
    "P004",
    "P005",
    "N001",
    "N002",
    "C006",
    "F003",
    "N003",
    "C007",
    "C008",
]


def check(world: World, workbook: bytes) -> list[dict[str, object]]:
    files = {"workbook": ("w.xlsx", workbook, "application/octet-stream")}
    response = world.client.post("/api/v1/checks", headers=world.headers("manufacturer"), files=files)
    assert response.status_code == 200, response.text
    findings: list[dict[str, object]] = response.json()["findings"]
    return findings


def resolves(world: World, link: str) -> bool:
    """The link's page answers 200 without a token and holds the element its fragment names."""
    path, fragment = urldefrag(link)
    page = world.client.get(path)
    return page.status_code == 200 and f'id="{fragment}"' in page.text


def test_the_codes_page_is_public_and_has_an_anchor_for_every_code(world: World) -> None:
    page = world.client.get("/docs/finding-codes")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    anchors = re.findall(r'<section id="([a-z0-9]+)"', page.text)
    assert sorted(anchors) == sorted(code.lower() for code in CONTRACT_CODES)


def test_the_page_says_how_to_fix_each_code(world: World) -> None:
    page = world.client.get("/docs/finding-codes").text
    section = page[page.index('id="c007"') : page.index('id="c008"')]
    assert "C007" in section and "error" in section and "How to fix:" in section


def test_a_finding_links_to_its_code_and_the_link_resolves(world: World) -> None:
    entry, certificates = sample_row(PhysicalDeviceType.GAS_SMART_METER, 700, cpa_expiry=dt.date(2031, 1, 31))
    entry["cpa_expiry"] = dt.date(2031, 3, 31)  # not the certificate sheet's Expiry: C007
    findings = check(world, workbook_bytes([entry], certificates))
    assert [(f["code"], f["help"]) for f in findings] == [("C007", "/docs/finding-codes#c007")]
    assert resolves(world, str(findings[0]["help"]))


def test_every_finding_of_a_submission_carries_its_link(world: World) -> None:
    entry, certificates = sample_row(PhysicalDeviceType.GAS_SMART_METER, 701)
    entry["physical_device_type"] = "Gas Smart Metre"
    files = {"workbook": ("w.xlsx", workbook_bytes([entry], certificates), "application/octet-stream")}
    submitted = world.client.post("/api/v1/submissions", headers=world.headers("manufacturer"), files=files).json()
    read = world.client.get(f"/api/v1/submissions/{submitted['id']}/findings", headers=world.headers("manufacturer"))
    for findings in (submitted["findings"], read.json()):
        assert [f["help"] for f in findings] == [f"/docs/finding-codes#{str(f['code']).lower()}" for f in findings]
        assert findings and all(resolves(world, f["help"]) for f in findings)


def test_refusing_to_approve_a_submission_with_errors_links_to_the_code_it_names(world: World) -> None:
    files = {"workbook": ("w.xlsx", b"not a workbook", "application/octet-stream")}
    broken = world.client.post("/api/v1/submissions", headers=world.headers("manufacturer"), files=files).json()
    refused = world.client.post(f"/api/v1/submissions/{broken['id']}/approval", headers=world.headers("secas"))
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert (error["code"], error["help"]) == ("submission_has_errors", "/docs/finding-codes#wb001")
    assert "WB001" in error["message"]
    assert resolves(world, error["help"])


def test_a_refusal_naming_no_finding_code_has_no_link(world: World) -> None:
    missing = world.client.get("/api/v1/submissions/999999", headers=world.headers("secas"))
    assert missing.status_code == 404
    assert set(missing.json()["error"]) == {"code", "message"}


def test_the_markdown_page_is_the_repositorys_docs_page(world: World) -> None:
    served = world.client.get("/docs/finding-codes.md")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/markdown")
    assert served.text == Path(ROOT / "docs" / "finding-codes.md").read_text(encoding="utf-8")
