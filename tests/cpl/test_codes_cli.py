"""`cpl codes [--json] [--markdown]` and the page docs/finding-codes.md: every finding code, its severity,
what it means and how to fix it, from the one code table.
"""

from __future__ import annotations

import re

from cpl import finding_codes
from cpl.core.findings import Code
from tests.cpl.conftest import ROOT, CplRun

#: CONTRACT.md section 1's finding table (code, severity), then the two codes issue 12 adds.
CONTRACT = {
    "WB001": "error",
    "WB002": "error",
    "F001": "error",
    "F002": "error",
    "C001": "error",
    "C002": "error",
    "C003": "error",
    "C004": "error",
    "C005": "error",
    "V001": "error",
    "V002": "error",
    "D001": "error",
    "D002": "error",
    "P001": "error",
    "P002": "error",
    "P003": "error",
    "P004": "error",
    "P005": "error",
    "N001": "warning",
    "N002": "warning",
    "C006": "error",
    "F003": "error",
    "N003": "warning",
    "C007": "error",
    "C008": "error",
}
PAGE = ROOT / "docs" / "finding-codes.md"


def test_codes_json_lists_every_code_with_its_contract_severity_meaning_and_fix(cpl: CplRun) -> None:
    listed = cpl.json("codes")["codes"]
    assert {c["code"]: c["severity"] for c in listed} == CONTRACT
    assert [c["code"] for c in listed] == sorted(CONTRACT), "in code order"
    assert all(set(c) == {"code", "severity", "meaning", "how_to_fix"} for c in listed)
    assert all(c["meaning"] and c["how_to_fix"].endswith(".") for c in listed)


def test_codes_json_says_what_the_new_cpa_codes_mean(cpl: CplRun) -> None:
    by_code = {c["code"]: c for c in cpl.json("codes")["codes"]}
    assert "Expiry" in by_code["C007"]["meaning"] and "Assurance Certificates" in by_code["C007"]["how_to_fix"]
    assert "Issued" in by_code["C008"]["meaning"] and "issue date" in by_code["C008"]["how_to_fix"]


def test_codes_prints_a_table_of_every_code(cpl: CplRun) -> None:
    printed = cpl("codes").stdout
    assert all(code in printed for code in CONTRACT)
    assert "how to fix" in printed


def test_codes_markdown_is_the_page_in_the_repository(cpl: CplRun) -> None:
    assert cpl("codes", "--markdown").stdout == PAGE.read_text(encoding="utf-8")


def test_the_page_is_what_the_code_table_writes() -> None:
    # Fails when a code, its severity, meaning or fix changes and the page is not written again
    # (`cpl codes --markdown > docs/finding-codes.md`).
    assert PAGE.read_text(encoding="utf-8") == finding_codes.markdown()


def test_the_page_has_a_section_and_a_table_row_for_every_code() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert re.findall(r"^## (\S+)$", page, flags=re.MULTILINE) == sorted(CONTRACT)
    for code, severity in CONTRACT.items():
        assert f"| [{code}](#{code.lower()}) | {severity} |" in page


def test_every_code_links_to_its_anchor() -> None:
    assert [finding_codes.help_link(code) for code in ("C007", "WB001")] == [
        "/docs/finding-codes#c007",
        "/docs/finding-codes#wb001",
    ]
    assert {d.anchor for d in finding_codes.descriptions()} == {str(code).lower() for code in Code}
