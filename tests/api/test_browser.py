"""The public page in real headless Chromium (Debian's), served by uvicorn on a free local port.

At 1400 px and at a phone's 390 px; the accessibility check is axe-core, installed from npm at test
set-up (never committed) and run inside the page.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import io
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from cpl.demo.samples import NORTHWIND, sample_row
from formats.vocabulary import PhysicalDeviceType
from tests.api.conftest import ROOT, Template, app_settings, copy_template, publish, signed_receipt, workbook_bytes

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
SCREENSHOT = Path("/tmp/cpl-public-page.png")
SCREENSHOT_PHONE = Path("/tmp/cpl-public-page-390.png")
SCREENSHOT_ENTRY = Path("/tmp/cpl-public-entry.png")
SCREENSHOT_ENTRY_PHONE = Path("/tmp/cpl-public-entry-390.png")
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}

#: axe-core from npm, installed once into the virtual environment (a cache, never committed).
AXE_VERSION = "axe-core@4"
AXE_DIR = ROOT / ".venv" / "npm-axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
#: The impacts that fail the check; moderate and minor ones are printed, not failed.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

#: The site's entries: the template's three Acme entries, then these Northwind ones, then fillers.
SOON_DAYS, RENEWAL_DAYS = 60, 100
FILLERS = 24
ENTRY_COUNT = 3 + 4 + FILLERS
SOON_ENTRY, PPMID_ENTRY, LIFETIME_ENTRY = "CPL-000004", "CPL-000005", "CPL-000007"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]


@dataclass
class LiveSite:
    base_url: str
    template: Template

    def dcc_loads(self, sequence: int) -> None:
        """The DCC reports, through the API, that it has loaded extract ``sequence``."""
        dcc = {"Authorization": f"Bearer {self.template.tokens['dcc']}"}
        extract = httpx.get(f"{self.base_url}/api/v1/extracts/{sequence}", headers=dcc).json()
        receipt = signed_receipt(sequence, extract["content_sha256"], dt.datetime.now(dt.UTC).replace(microsecond=0))
        response = httpx.post(
            f"{self.base_url}/api/v1/receipts",
            headers=dcc,
            files={"receipt": (f"receipt-{sequence}.p7m", receipt, "application/pkcs7-mime")},
        )
        assert response.status_code == 201, response.text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(app: Any, name: str = "uvicorn-cpl") -> Iterator[str]:
    """``app`` served by uvicorn on a free local port, in a thread, for as long as the block runs: its URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def site(template: Template, tmp_path: Path) -> Iterator[LiveSite]:
    """The template world plus a second, issued extract: Northwind entries (a CPA expiring soon, a PPMID,
    a meter, a lifetime [R] certificate due for renewal soon) and enough gas meters for two pages of 25."""
    url = copy_template(template, tmp_path)
    today = dt.datetime.now(dt.UTC).date()
    rows, certificates = [], []
    for index, device_type, expiry in (
        (10, PhysicalDeviceType.GAS_SMART_METER, today + dt.timedelta(days=SOON_DAYS)),
        (11, PhysicalDeviceType.PPMID, dt.date(2031, 1, 31)),
        (12, PhysicalDeviceType.SINGLE_ELEMENT_ELECTRICITY_METER, dt.date(2031, 1, 31)),
        (13, PhysicalDeviceType.GAS_SMART_METER, today + dt.timedelta(days=RENEWAL_DAYS)),
        *((100 + n, PhysicalDeviceType.GAS_SMART_METER, dt.date(2031, 1, 31)) for n in range(FILLERS)),
    ):
        row, certs = sample_row(device_type, index, maker=NORTHWIND, cpa_expiry=expiry)
        if index == 13:
            row["cpa_certificate"] = "[R] " + str(row["cpa_certificate"])  # lifetime: the date is its renewal
        rows.append(row)
        certificates.extend(certs)
    publish(url, workbook_bytes(rows, certificates), submitter="northwind")

    with serving(create_app(app_settings(url))) as base:
        yield LiveSite(base, template)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def _page(browser: Any, viewport: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, viewport=viewport)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def browser_page(site: LiveSite, browser: Any) -> Iterator[Any]:
    with _page(browser, DESKTOP) as page:
        yield page


@pytest.fixture
def phone_page(site: LiveSite, browser: Any) -> Iterator[Any]:
    with _page(browser, PHONE) as page:
        yield page


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's axe.min.js, from npm: installed once under .venv/ when missing (``npm install --no-save``)."""
    if not AXE_SCRIPT.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed, so axe-core cannot be fetched: the accessibility check did not run")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        with (AXE_DIR / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two test workers install it once
            if not AXE_SCRIPT.exists():
                done = subprocess.run(
                    [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR), AXE_VERSION],
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                )
                assert done.returncode == 0 and AXE_SCRIPT.exists(), f"npm install {AXE_VERSION} failed: {done.stderr}"
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page: Any, axe_source: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA and best practices)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)  # evaluated by the DevTools protocol: the page's CSP does not apply
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return list(result["violations"])


def summarise(violations: list[dict[str, Any]]) -> list[str]:
    return [f"{v['impact']}: {v['id']} ({len(v['nodes'])} nodes) {v['help']}" for v in violations]


def visible_entry_ids(page: Any) -> list[str]:
    return [text.strip() for text in page.locator("#cpl-entries tbody tr th").all_inner_texts()]


def row_of(page: Any, entry_id: str) -> Any:
    return page.locator("#cpl-entries tbody tr").filter(has=page.locator("th", has_text=entry_id))


def apply_filters(page: Any) -> None:
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()


def test_the_page_in_chromium_lists_filters_searches_and_downloads(site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    page.goto(site.base_url + "/")
    assert page.title() == "Central Products List — version 2"
    assert visible_entry_ids(page) == [f"CPL-{n:06d}" for n in range(1, ENTRY_COUNT + 1)]
    assert page.get_by_test_id("sequence").inner_text() == "2"
    assert "Not yet loaded by the DCC" in page.get_by_test_id("dcc-status").inner_text()
    expiring = page.locator("#cpa-expiries tbody tr")
    assert expiring.count() == 2 and "Northwind Devices" in expiring.first.inner_text()
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert set(_overflow(page, ".table-wrap")) == {0}  # at 1400 px every column, status too, is on screen
    # the SEC workbook is the first download; the whole list's downloads keep their addresses
    first = page.get_by_test_id("downloads").get_by_role("link").first
    assert first.get_attribute("href") == "/api/v1/central_products_list.xlsx"
    assert page.get_by_test_id("filtered-downloads").count() == 0

    # filter by Physical Device Type, through the labelled control
    page.get_by_label("Physical Device Type").select_option("Pre-Payment Meter Interface Device (PPMID)")
    apply_filters(page)
    assert "device_type=Pre-Payment" in page.url
    assert visible_entry_ids(page) == [PPMID_ENTRY]
    assert page.get_by_test_id("count").inner_text() == f"Showing 1 of {ENTRY_COUNT} entries."
    # the filtered list's own download carries the filter; the whole list's does not
    filtered = page.get_by_test_id("filtered-downloads")
    with page.expect_download() as download_info:
        filtered.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "cpl-000002-filtered.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [row[0] for row in rows[1:]] == [PPMID_ENTRY]
    assert page.get_by_role("link", name="Download CSV", exact=True).get_attribute("href") == "/api/v1/cpl.csv"

    # search a certificate number, with the filter cleared
    page.get_by_role("link", name="Clear").click()
    meter, _ = sample_row(PhysicalDeviceType.SINGLE_ELEMENT_ELECTRICITY_METER, 12, maker=NORTHWIND)
    page.get_by_label("Search", exact=True).fill(str(meter["zigbee_certificate"]))
    apply_filters(page)
    assert visible_entry_ids(page) == ["CPL-000006"]

    # the whole list's downloads are files
    page.goto(site.base_url + "/")
    for name, suffix, starts in (
        ("Download JSON", "json", b"{"),
        ("Download CSV", "csv", b"Entry ID,"),
        ("Download spreadsheet (XLSX)", "xlsx", b"PK\x03\x04"),
    ):
        with page.expect_download() as download_info:
            page.get_by_role("link", name=name).click()
        download = download_info.value
        assert download.suggested_filename == f"cpl-000002.{suffix}"
        assert Path(download.path()).read_bytes().startswith(starts)
    with page.expect_download() as download_info:
        page.get_by_test_id("sec-download").click()
    assert download_info.value.suggested_filename == "central_products_list_v1.1.xlsx"


def test_sorting_and_paging_are_links_that_keep_the_filters(site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    page.goto(site.base_url + "/?manufacturer=Northwind+Devices")
    header = page.locator("#cpl-entries thead th", has_text="CPA expiry")
    header.get_by_role("link").click()
    page.wait_for_load_state()
    assert "sort=cpa" in page.url and "manufacturer=Northwind" in page.url
    assert header.get_attribute("aria-sort") == "ascending"
    assert visible_entry_ids(page)[:2] == [SOON_ENTRY, LIFETIME_ENTRY]  # the soonest CPA end first
    header.get_by_role("link").click()
    page.wait_for_load_state()
    assert header.get_attribute("aria-sort") == "descending" and "order=desc" in page.url
    assert visible_entry_ids(page)[-2:] == [LIFETIME_ENTRY, SOON_ENTRY]

    # 25 a page: the sort and the filter are kept by the form and by the page links
    page.get_by_label("Entries per page").select_option("25")
    apply_filters(page)
    northwind = ENTRY_COUNT - 3
    assert len(visible_entry_ids(page)) == 25
    assert page.get_by_test_id("count").inner_text() == (
        f"Showing 1–25 of {northwind} entries matching, of {ENTRY_COUNT} in the list. Page 1 of 2."
    )
    pages = page.get_by_role("navigation", name="Pages of the list")
    pages.get_by_role("link", name="Next page").click()
    page.wait_for_load_state()
    assert "page=2" in page.url and "sort=cpa" in page.url and "per_page=25" in page.url
    assert visible_entry_ids(page)[-2:] == [LIFETIME_ENTRY, SOON_ENTRY]
    assert len(visible_entry_ids(page)) == northwind - 25
    assert pages.locator("a[aria-current=page]").inner_text().strip().endswith("2")


def test_entries_whose_cpa_ends_or_renews_within_twelve_months_are_marked(site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    page.goto(site.base_url + "/")
    assert row_of(page, SOON_ENTRY).get_by_test_id("ending-soon").inner_text() == "CPA ends within 12 months"
    assert row_of(page, LIFETIME_ENTRY).get_by_test_id("ending-soon").inner_text() == "CPA renewal within 12 months"
    assert "(renewal)" in row_of(page, LIFETIME_ENTRY).get_by_test_id("cpa").inner_text()
    assert page.get_by_test_id("ending-soon").count() == 2
    assert "removed by a decision of the SEC Panel" in page.locator("#statuses").inner_text()


def _overflow(page: Any, selector: str) -> list[int]:
    """How far each element matching ``selector`` scrolls sideways (0: it does not)."""
    widths: list[int] = page.eval_on_selector_all(selector, "els => els.map(e => e.scrollWidth - e.clientWidth)")
    return widths


def test_at_phone_width_each_entry_is_a_card_with_status_and_cpa_expiry_on_screen(
    site: LiveSite, phone_page: Any
) -> None:
    page = phone_page
    page.goto(site.base_url + "/?per_page=25")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert set(_overflow(page, ".table-wrap")) == {0}
    cards = page.locator("#cpl-entries tbody tr")
    assert cards.count() == 25
    for index in range(cards.count()):
        card = cards.nth(index)
        if card.get_by_text(PPMID_ENTRY).count():  # a PPMID has no CPA certificate: no empty CPA line
            assert card.locator("td.cpa").is_hidden()
            continue
        box = card.bounding_box()
        status = card.locator(".entry-status").bounding_box()
        cpa = card.locator("td.cpa").bounding_box()
        entry = card.locator("th").bounding_box()
        assert box is not None and status is not None and cpa is not None and entry is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        for part in (status, cpa, entry):
            assert part["x"] >= 0 and part["x"] + part["width"] <= PHONE["width"], (index, part)
        assert status["y"] < entry["y"] < cpa["y"]  # status first, then the entry, the expiry further down
    assert "Status" in card.locator(".entry-status").evaluate("e => getComputedStyle(e, '::before').content")
    expiry_cards = page.locator("#cpa-expiries tbody tr")
    for index in range(expiry_cards.count()):
        date = expiry_cards.nth(index).locator("td").first.bounding_box()
        assert date is not None and date["x"] + date["width"] <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOT_PHONE), full_page=True, clip={"x": 0, "y": 0, "width": 390, "height": 2200})

    page.goto(f"{site.base_url}/entries/{LIFETIME_ENTRY}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(
        path=str(SCREENSHOT_ENTRY_PHONE), full_page=True, clip={"x": 0, "y": 0, "width": 390, "height": 2200}
    )


def test_each_entry_has_a_page_with_its_history_certificates_and_dcc_state(site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    page.goto(site.base_url + "/")
    row_of(page, SOON_ENTRY).get_by_role("link", name=SOON_ENTRY).click()
    page.wait_for_load_state()
    assert page.url == f"{site.base_url}/entries/{SOON_ENTRY}"
    assert page.title().startswith(f"{SOON_ENTRY}: Northwind Devices")
    assert page.get_by_test_id("entry-status").inner_text().startswith("Active since ")
    assert "CPA ends within 12 months" in page.get_by_test_id("entry-cpa").inner_text()
    certificates = page.locator("#entry-certificates tbody tr")
    assert [c.split("\t")[0] for c in certificates.all_inner_texts()] == ["ZigBee", "CPA"]
    history = page.locator("#entry-history tbody tr")
    assert history.count() == 1 and "Listed" in history.first.inner_text()
    assert "Not yet loaded" in history.first.inner_text()
    page.screenshot(path=str(SCREENSHOT_ENTRY), full_page=True)
    site.dcc_loads(2)
    page.reload()
    assert page.get_by_test_id("entry-dcc").inner_text().startswith("Loaded by the DCC on ")
    assert "Loaded" in page.locator("#entry-history tbody tr").first.inner_text()
    page.get_by_role("link", name="Central Products List").click()
    page.wait_for_load_state()
    assert page.url == site.base_url + "/"


def test_the_skip_link_and_the_scroll_regions_take_the_keyboard(site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    page.goto(site.base_url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the main content")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    region = page.get_by_role("region", name="CPL version")
    assert region.get_attribute("tabindex") == "0"
    region.focus()
    assert page.evaluate("() => document.activeElement.getAttribute('role')") == "region"


def test_the_style_is_allowed_by_the_pages_own_policy(site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    response = page.goto(site.base_url + "/")
    assert response is not None and "default-src 'none'" in response.headers["content-security-policy"]
    # the nonce'd inline style applied: the skip link sits above the page until focused
    assert page.get_by_role("link", name="Skip to the main content").bounding_box()["y"] < 0  # type: ignore[index]
    assert refused == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1400px", "390px"])
def test_axe_finds_no_serious_or_critical_violations(
    site: LiveSite, browser: Any, axe_script: str, viewport: dict[str, int]
) -> None:
    found: dict[str, list[str]] = {}
    with _page(browser, viewport) as page:
        for path in (
            "/",
            "/?manufacturer=Northwind+Devices&sort=cpa&order=desc&per_page=25&page=2",
            "/?q=no-such-model",
            f"/entries/{LIFETIME_ENTRY}",
            "/entries/CPL-999999",
        ):
            page.goto(site.base_url + path)
            found[path] = summarise(axe_violations(page, axe_script))
        # the check itself finds a violation when there is one: an image with no text alternative
        page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
        assert any(line.startswith("critical: image-alt") for line in summarise(axe_violations(page, axe_script)))
    print(json.dumps(found, indent=1))  # every violation, by impact, for the record (pytest -s shows it)
    blocking = {path: [v for v in lines if v.split(":")[0] in BLOCKING_IMPACTS] for path, lines in found.items()}
    assert blocking == {path: [] for path in found}
