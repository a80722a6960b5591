"""Property-based: schemathesis generates requests from the app's own OpenAPI document and sends them
with a SECAS token (the role that may call the most); no response may be a server error, and every
documented response must match its schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from api.app import create_app
from cpl.store import get_engine
from tests.api.conftest import Template, app_settings, copy_template

#: The document is the same whatever the database: generate cases from an app over an empty one.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(app_settings("sqlite:///:memory:")))


@pytest.fixture(scope="module")
def fuzzed_app(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """One app over a copy of the world for every operation (state accumulates; that is fine here)."""
    url = copy_template(template, tmp_path_factory.mktemp("schemathesis"))
    yield create_app(app_settings(url, max_upload_bytes=256 * 1024))
    get_engine(url).dispose()


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_generated_request_is_a_server_error(case: Any, fuzzed_app: FastAPI, template: Template) -> None:
    case.call_and_validate(
        app=fuzzed_app,
        headers={"Authorization": f"Bearer {template.tokens['secas']}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
