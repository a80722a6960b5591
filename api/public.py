"""What anyone may read without a token: the published CPL (page, JSON, CSV, XLSX)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader

from api import page
from api.deps import transaction
from api.http import ApiError, attachment, error_responses
from cpl import publication
from cpl.core.domain import CPA_NOTICE_MONTHS, add_months
from cpl.views import PublishedCplOut
from formats.vocabulary import AssuranceScheme

TEMPLATES = Path(__file__).parent / "templates"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCHEME_NAMES = {scheme.extract_key: str(scheme) for scheme in AssuranceScheme}

_environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)

PageText = Annotated[str | None, Query(max_length=200)]


def _iso(moment: dt.datetime) -> str:
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _shown(moment: dt.datetime) -> str:
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    return moment.strftime("%d %B %Y, %H:%M UTC").lstrip("0")


def _published(request: Request) -> publication.PublishedCpl:
    with transaction(request, write=False) as session:
        published = publication.published_cpl(session)
    if published is None:
        raise ApiError(404, "not_published", "No CPL has been published yet.")
    return published


def _download(
    published: publication.PublishedCpl, body: bytes, media_type: str, suffix: str, name: str | None = None
) -> Response:
    filename = name or f"cpl-{published.sequence:06d}.{suffix}"
    return Response(content=body, media_type=media_type, headers={"Content-Disposition": attachment(filename)})


def _sec_name(published: publication.PublishedCpl, suffix: str) -> str:
    """The SEC's own file name: central_products_list_v2.052.xlsx."""
    return f"central_products_list_v{published.version or published.sequence}.{suffix}"


def _binary(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}}, "description": description},
        **error_responses(404),
    }


def router() -> APIRouter:
    api = APIRouter(tags=["published CPL"])

    @api.get(
        "/",
        response_class=HTMLResponse,
        summary="The public CPL page",
        description=(
            "The published CPL with search (`q`: manufacturer, model, ids) and filters (`device_type`, "
            "`manufacturer`, `status`), its version, whether the DCC has loaded it, and the CPA expiries "
            "coming in the next 12 months. No token needed."
        ),
        responses={200: {"content": {"text/html": {}}, "description": "The page"}},
    )
    def home(
        request: Request,
        q: PageText = None,
        device_type: PageText = None,
        manufacturer: PageText = None,
        status: PageText = None,
    ) -> HTMLResponse:
        today = dt.datetime.now(dt.UTC).date()
        query = page.PageQuery.of(q, device_type, manufacturer, status)
        with transaction(request, write=False) as session:
            published = publication.published_cpl(session)
        context: dict[str, Any] = {
            "published": published,
            "query": query,
            "today": today.isoformat(),
            "horizon": add_months(today, max(CPA_NOTICE_MONTHS)).isoformat(),
            "device_types": page.DEVICE_TYPES,
            "statuses": page.STATUSES,
            "scheme_names": SCHEME_NAMES,
            "downloads": {
                "sec_xlsx": "/api/v1/central_products_list.xlsx",
                "sec_csv": "/api/v1/central_products_list.csv",
                "json": "/api/v1/cpl.json",
                "csv": "/api/v1/cpl.csv",
                "xlsx": "/api/v1/cpl.xlsx",
            },
        }
        if published is not None:
            entries = list(published.entries)
            context.update(
                total=len(entries),
                entries=page.select_entries(entries, query),
                manufacturers=page.manufacturers(entries),
                expiries=page.upcoming_expiries(entries, today),
                issued_iso=_iso(published.issued_at),
                issued_text=_shown(published.issued_at),
                loaded_text=_shown(published.dcc_loaded_at) if published.dcc_loaded_at else None,
            )
        html = _environment.get_template("index.html").render(context)
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    @api.get(
        "/api/v1/cpl.json",
        response_class=Response,
        summary="The published CPL as JSON (public)",
        description="The latest issued extract's entries with its version and whether the DCC has loaded it.",
        responses={200: {"model": PublishedCplOut, "description": "The published CPL"}, **error_responses(404)},
    )
    def cpl_json(request: Request) -> Response:
        published = _published(request)
        return _download(published, publication.to_json(published), "application/json", "json")

    @api.get(
        "/api/v1/cpl.csv",
        response_class=Response,
        summary="The published CPL as CSV (public)",
        responses=_binary("text/csv", "The published CPL, one row per entry"),
    )
    def cpl_csv(request: Request) -> Response:
        published = _published(request)
        return _download(published, publication.to_csv(published), "text/csv; charset=utf-8", "csv")

    @api.get(
        "/api/v1/cpl.xlsx",
        response_class=Response,
        summary="The published CPL as a spreadsheet (public)",
        responses=_binary(XLSX, "The published CPL as an .xlsx workbook"),
    )
    def cpl_xlsx(request: Request) -> Response:
        published = _published(request)
        return _download(published, publication.to_xlsx(published), XLSX, "xlsx")

    @api.get(
        "/api/v1/central_products_list.xlsx",
        response_class=Response,
        summary="The published CPL in the SEC's own layout (public)",
        description=(
            "The SEC's CPL workbook: Version Control, the blank New Entry form (light-green input cells, "
            "drop-downs of the valid values), Central Products List and CPL - saveable in CSV. It is also the "
            "form manufacturers download and fill in."
        ),
        responses=_binary(XLSX, "The published CPL as the SEC's .xlsx workbook"),
    )
    def sec_xlsx(request: Request) -> Response:
        published = _published(request)
        return _download(published, publication.to_sec_xlsx(published), XLSX, "xlsx", _sec_name(published, "xlsx"))

    @api.get(
        "/api/v1/central_products_list.csv",
        response_class=Response,
        summary="The published CPL as the SEC's CSV tab (public)",
        responses=_binary("text/csv", "The SEC workbook's CPL - saveable in CSV tab"),
    )
    def sec_csv(request: Request) -> Response:
        published = _published(request)
        body = publication.to_sec_csv(published)
        return _download(published, body, "text/csv; charset=utf-8", "csv", _sec_name(published, "csv"))

    return api
