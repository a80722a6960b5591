"""`/docs` renders with no network: Swagger UI's files come from the service itself (the fastapi-offline
package's copy), never a CDN. Checked in Debian's headless Chromium, with every request that leaves
the service's own address refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import DOCS_ASSETS, create_app
from tests.api.conftest import app_settings
from tests.api.test_browser import CHROMIUM, CHROMIUM_ARGS, serving


def test_the_docs_page_names_only_the_services_own_files(tmp_path: Path) -> None:
    with TestClient(create_app(app_settings(f"sqlite:///{tmp_path / 'cpl.db'}"))) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert "http://" not in page.text and "https://" not in page.text, page.text
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
            assert f"{DOCS_ASSETS}/{asset}" in page.text
            served = client.get(f"{DOCS_ASSETS}/{asset}")
            assert served.status_code == 200 and len(served.content) > 10_000


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with serving(create_app(app_settings(f"sqlite:///{tmp_path / 'cpl.db'}")), "uvicorn-docs") as base:
        yield base


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")
def test_the_docs_render_in_chromium_with_no_network(served: str) -> None:
    from playwright.sync_api import sync_playwright

    own = urlsplit(served).netloc
    elsewhere: list[str] = []

    def only_the_service(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page()
            page.route("**/*", only_the_service)
            page.goto(f"{served}/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
            assert "Central Products List" in page.inner_text(".swagger-ui .info .title")
            page.wait_for_selector(".opblock", timeout=20_000)
            assert page.locator(".opblock").count() >= 30
            assert page.locator(".errors-wrapper").count() == 0
        finally:
            chromium.close()
    assert elsewhere == []
