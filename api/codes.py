"""The finding codes page: what each code a check reports means and how to fix it (no token needed).

Findings the API returns carry a ``help`` link here (``/docs/finding-codes#c007``), and so does a
refusal that names one (approving a submission with errors). The page is written from the code table
(`cpl.finding_codes`), as `docs/finding-codes.md` is, and needs nothing from outside the service.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse
from jinja2 import Environment, FileSystemLoader

from cpl import finding_codes

TEMPLATES = Path(__file__).parent / "templates"
MARKDOWN_PAGE = f"{finding_codes.CODES_PAGE}.md"

_environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)


def router() -> APIRouter:
    api = APIRouter(tags=["finding codes"])

    @api.get(
        finding_codes.CODES_PAGE,
        response_class=HTMLResponse,
        summary="The finding codes (public)",
        description="Every finding code with its severity, what it means and how to fix it; one anchor per code "
        "(`#c007`), which each finding's `help` link names.",
        responses={200: {"content": {"text/html": {}}, "description": "The page"}},
    )
    def codes_page() -> HTMLResponse:
        html = _environment.get_template("finding_codes.html").render(
            codes=finding_codes.descriptions(),
            introduction=finding_codes.INTRODUCTION,
            markdown_path=MARKDOWN_PAGE,
        )
        return HTMLResponse(html)

    @api.get(
        MARKDOWN_PAGE,
        response_class=PlainTextResponse,
        summary="The finding codes as Markdown (public)",
        description="The page `docs/finding-codes.md` of the repository, as the service's code table writes it.",
        responses={200: {"content": {"text/markdown": {}}, "description": "The page"}},
    )
    def codes_markdown() -> PlainTextResponse:
        return PlainTextResponse(finding_codes.markdown(), media_type="text/markdown; charset=utf-8")

    return api
