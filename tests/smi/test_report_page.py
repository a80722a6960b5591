"""`smi report --html OUT.html` (and `GET /report.html`): each extract's 24 hours as a timeline and the
inventory's SMI Statuses as bars, in one self-contained page (inline SVG and CSS, no script, nothing
fetched), with titles, descriptions and tables as its text alternative; written whole.

The browser test opens the file in Debian's Chromium through Playwright, started as tests/api/test_browser.py
starts it, and skips as those tests do when there is no browser.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.smi_app import create_smi_app
from smi import report_page
from smi.config import Settings
from smi.rules import SmiStatus
from smi.service import Report
from smi.store import ExtractRecord
from tests.smi.commandline import SmiRun, iso
from tests.smi.daily import a_week

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path("/tmp/smi-report.png")

#: The inventory `a_week` leaves: A's four suspendable Devices back (3 Commissioned, 1 Pending) and its
#: Decommissioned one untouched; B's two still Suspended (its entry stays Cancelled); C's two Commissioned.
STATUSES_AFTER_THE_WEEK = {
    **{s.value: 0 for s in SmiStatus},
    "Commissioned": 5,
    "Pending": 1,
    "Decommissioned": 1,
    "Suspended": 2,
}
ACCEPTED = [1, 2, 3, 5]  # extract 4 was refused: it has no 24 hours to keep
OVERDUE = {3: "OVERDUE by 3 h 00 min"}


@pytest.fixture
def page_file(smi: SmiRun) -> Path:
    week = a_week(smi)
    out = smi.tmp / "pages" / "report.html"
    out.parent.mkdir()
    said = smi("report", "--now", week.report_at, "--html", out).stdout
    assert f"The report page was written to {out}." in said
    return out


def test_the_page_is_one_self_contained_file_with_no_script_and_nothing_fetched(page_file: Path) -> None:
    page = page_file.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert not re.search(r"\b(src|href)\s*=", page)
    assert set(re.findall(r"url\(([^)]*)\)", page)) == {"#late-hatch"}  # the one pattern, defined in the page
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}  # a namespace, not fetched
    assert [p.name for p in page_file.parent.iterdir()] == ["report.html"]  # written whole: no temporary file left


def test_the_page_is_replaced_whole_when_written_again(smi: SmiRun) -> None:
    week = a_week(smi)
    out = smi.tmp / "report.html"
    out.write_text("an old report")
    smi("report", "--now", week.report_at, "--html", out)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in smi.tmp.iterdir() if p.name.startswith(".report.html")) == []


@pytest.mark.parametrize("where", ["a directory", "a missing directory"])
def test_a_page_that_cannot_be_written_there_is_refused_in_one_sentence(smi: SmiRun, where: str) -> None:
    target = smi.tmp if where == "a directory" else smi.tmp / "no-such" / "report.html"
    refused = smi("report", "--html", target, expect=2).stderr.strip()
    assert refused.startswith(f"--html {target}") and len(refused.splitlines()) == 1, refused
    assert ("is a directory" if where == "a directory" else "does not exist") in refused
    assert not (smi.tmp / "no-such").exists()


def test_text_in_the_page_is_escaped() -> None:
    now = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
    refused = ExtractRecord(
        id=1,
        sequence=None,
        content_sha256=None,
        file_sha256="0" * 64,
        issued_at=None,
        signer=None,
        received_at=now,
        deadline=now + dt.timedelta(hours=24),
        state="refused",
        applied_at=None,
        refusal_rule="signature",
        refusal_reason='The signer <script>alert("x")</script> & co is refused.',
        devices_suspended=None,
        devices_restored=None,
        receipt_path=None,
    )
    page = report_page.render(
        Report(now=now, extracts=(refused,), devices_by_status={"Commissioned": 1}, cpl_sequence=None, active_models=0)
    )
    assert "<script" not in page
    assert "The signer &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co is refused." in page
    assert "No extract accepted yet." in page


# --- from the server ------------------------------------------------------------------------------


@pytest.fixture
def server(smi: SmiRun) -> Iterator[tuple[TestClient, SmiRun]]:
    a_week(smi)
    with TestClient(create_smi_app(Settings.from_environment(smi.env)), raise_server_exceptions=False) as client:
        yield client, smi


def test_the_server_answers_the_same_page_with_a_policy_that_forbids_anything_fetched(
    server: tuple[TestClient, SmiRun],
) -> None:
    client, _smi = server
    response = client.get("/report.html")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    page = response.text
    assert page.count('<g class="extract') == len(ACCEPTED)
    assert '<g class="extract overdue" data-sequence="3"' in page
    for status, count in STATUSES_AFTER_THE_WEEK.items():
        assert f"<title>{status}: {count:,} Devices</title>" in page


def test_the_server_lists_alerts_and_searches_devices_as_the_command_does(server: tuple[TestClient, SmiRun]) -> None:
    client, smi = server
    alerts = client.get("/alerts", params={"limit": 4})
    assert alerts.status_code == 200 and alerts.json() == smi.json("alerts", "--limit", "4")
    since = client.get("/alerts", params={"since": iso(29)}).json()
    assert since == smi.json("alerts", "--since", iso(29))
    found = client.get("/devices", params={"model": "106C/0001", "limit": 2})
    assert found.status_code == 200 and found.json() == smi.json("devices", "--model", "106C/0001", "--limit", "2")
    refused = client.get("/devices", params={"model": "106C/0001", "status": "Installed"})
    assert refused.status_code == 422
    assert refused.json()["error"]["message"].startswith("'Installed' is not an SMI Status: expected one of Pending")
    assert client.get("/devices", params={"model": "106C"}).status_code == 422
    report = client.get("/report").json()
    assert report["sequence_gaps"][0]["refused"] == [4]
    assert [m["devices"] for e in report["extracts"] if e["sequence"] == 2 for m in e["models"]] != []


# --- in Chromium ----------------------------------------------------------------------------------


@pytest.fixture
def browser_page() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            yield context.new_page()
            context.close()
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")
def test_the_page_in_chromium_shows_each_extracts_window_and_the_inventory_by_status(
    page_file: Path, browser_page: Any
) -> None:
    page = browser_page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(page_file.as_uri())
    assert page.title().startswith("SMI report at ")
    assert requested == [page_file.as_uri()]  # the page alone: no style, font, image or script fetched

    timeline = page.locator("svg#timeline")
    assert timeline.get_attribute("role") == "img"
    title_id, desc_id = (timeline.get_attribute("aria-labelledby") or "").split()
    assert page.locator(f"#{title_id}").count() == 1 and "Extract 3:" in page.locator(f"#{desc_id}").text_content()
    bars = timeline.locator("g.extract")
    assert bars.count() == len(ACCEPTED)
    assert [bars.nth(i).get_attribute("data-sequence") for i in range(bars.count())] == [str(s) for s in ACCEPTED]
    assert [bars.nth(i).locator("text.label").text_content() for i in range(bars.count())] == [
        f"Extract {s}" for s in ACCEPTED
    ]
    for i in range(bars.count()):
        assert bars.nth(i).locator("rect.window").count() == 1
        assert bars.nth(i).locator("title").count() == 1
    overdue = timeline.locator("g.extract.overdue")
    assert [overdue.nth(i).get_attribute("data-sequence") for i in range(overdue.count())] == [str(s) for s in OVERDUE]
    assert (overdue.first.locator("text.state").text_content() or "").startswith(OVERDUE[3])
    assert overdue.first.locator("rect.late").count() == 1 and timeline.locator("rect.late").count() == 1
    window, late = (
        {name: float(overdue.first.locator(f"rect.{part}").get_attribute(name) or "nan") for name in ("x", "width")}
        for part in ("window", "late")
    )
    assert late["x"] == pytest.approx(window["x"] + window["width"])  # the late part starts at the deadline
    assert late["width"] == pytest.approx(window["width"] * 3 / 24, rel=0.01)  # and runs 3 hours past it
    on_time = timeline.locator('g.extract[data-sequence="2"]')
    assert (on_time.locator("text.state").text_content() or "").startswith("applied after")

    statuses = page.locator("svg#statuses g.status")
    shown = {
        statuses.nth(i).locator("text.label").text_content(): statuses.nth(i).locator("text.count").text_content()
        for i in range(statuses.count())
    }
    assert shown == {status: f"{count:,}" for status, count in STATUSES_AFTER_THE_WEEK.items()}
    widths = {
        statuses.nth(i).get_attribute("data-status"): float(statuses.nth(i).locator("rect.bar").get_attribute("width"))
        for i in range(statuses.count())
    }
    assert widths["Commissioned"] / widths["Suspended"] == pytest.approx(5 / 2, rel=0.01)
    assert widths["Recovery"] == 0

    table_rows = page.locator("#extracts tbody tr")
    assert table_rows.count() == len(ACCEPTED) + 1  # and the refused one
    assert page.locator("#extracts tbody tr.overdue").count() == 1
    assert "SECP_70_0701" in page.locator("#models-2").inner_text()
    assert "sequence 4 missing between 3 and 5" in page.locator("main").inner_text()

    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000
