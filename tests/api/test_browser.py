"""The public page in real headless Chromium (Debian's), served by uvicorn on a free local port."""

from __future__ import annotations

import datetime as dt
import socket
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
from tests.api.conftest import Template, app_settings, copy_template, publish, signed_receipt, workbook_bytes

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


@pytest.fixture
def site(template: Template, tmp_path: Path) -> Iterator[LiveSite]:
    """The template world plus a second, issued extract with Northwind entries (one CPA expiring soon)."""
    url = copy_template(template, tmp_path)
    soon = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=60)
    rows, certificates = [], []
    for index, device_type, expiry in (
        (10, PhysicalDeviceType.GAS_SMART_METER, soon),
        (11, PhysicalDeviceType.PPMID, dt.date(2031, 1, 31)),
        (12, PhysicalDeviceType.SINGLE_ELEMENT_ELECTRICITY_METER, dt.date(2031, 1, 31)),
    ):
        row, certs = sample_row(device_type, index, maker=NORTHWIND, cpa_expiry=expiry)
        rows.append(row)
        certificates.extend(certs)
    publish(url, workbook_bytes(rows, certificates), submitter="northwind")

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(app_settings(url)), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn-cpl", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield LiveSite(f"http://127.0.0.1:{port}", template)
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def browser_page(site: LiveSite) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
            yield context.new_page()
            context.close()
        finally:
            browser.close()


def visible_entry_ids(page: Any) -> list[str]:
    return [text.strip() for text in page.locator("#cpl-entries tbody tr th").all_inner_texts()]


def test_the_page_in_chromium_lists_filters_searches_and_downloads(site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    page.goto(site.base_url + "/")
    assert page.title() == "Central Products List — version 2"
    assert visible_entry_ids(page) == [f"CPL-00000{n}" for n in range(1, 7)]
    assert page.get_by_test_id("sequence").inner_text() == "2"
    assert "Not yet loaded by the DCC" in page.get_by_test_id("dcc-status").inner_text()
    expiring = page.locator("#cpa-expiries tbody tr")
    assert expiring.count() == 1 and "Northwind Devices" in expiring.first.inner_text()
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # filter by Physical Device Type, through the labelled control
    page.get_by_label("Physical Device Type").select_option("Pre-Payment Meter Interface Device (PPMID)")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert "device_type=Pre-Payment" in page.url
    assert visible_entry_ids(page) == ["CPL-000005"]
    assert page.get_by_test_id("count").inner_text() == "Showing 1 of 6 entries."

    # search, with the filter cleared
    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Search", exact=True).fill("northwind e-00012")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert visible_entry_ids(page) == ["CPL-000006"]

    # the downloads are files
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


def test_the_page_in_chromium_shows_when_the_dcc_has_loaded_the_cpl(site: LiveSite, browser_page: Any) -> None:
    browser_page.goto(site.base_url + "/")
    assert "Not yet loaded" in browser_page.get_by_test_id("dcc-status").inner_text()
    site.dcc_loads(1)  # an older version: the published one (2) is still not loaded
    browser_page.reload()
    assert "Not yet loaded" in browser_page.get_by_test_id("dcc-status").inner_text()
    site.dcc_loads(2)
    browser_page.reload()
    status = browser_page.get_by_test_id("dcc-status").inner_text()
    assert status.startswith("Loaded by the DCC on ") and status.endswith(" UTC")
