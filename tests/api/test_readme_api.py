"""README.md's endpoint table is the app's: one row per method and path of `/openapi.json`, no more, no less
(parameter names aside: the README may write `{id}` for `{submission_id}`)."""

from __future__ import annotations

import re
from pathlib import Path

from api.app import create_app
from tests.api.conftest import app_settings

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`")


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _readme_routes() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## HTTP API") :]
    section = section[: section.index("\n## ", 1)]
    return [(m.group(1), _shape(m.group(2))) for line in section.splitlines() if (m := ROW.match(line))]


def test_the_readme_lists_every_route_of_the_openapi_document_once() -> None:
    paths = create_app(app_settings("sqlite:///:memory:")).openapi()["paths"]
    documented = {(method.upper(), _shape(path)) for path, operations in paths.items() for method in operations}
    listed = _readme_routes()
    assert len(listed) == len(set(listed)), "a route has two rows"
    assert sorted(documented - set(listed)) == [], "routes without a README row"
    assert sorted(set(listed) - documented) == [], "README rows for routes the app does not have"
