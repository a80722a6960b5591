"""What anyone may read without a token: the published CPL (page, entry pages, JSON, CSV, XLSX).

The pages are server-rendered HTML with no script: searching, filtering, sorting and paging are plain
links and a GET form, so they work in any browser. Each page is sent with a Content Security Policy
that allows its own inline style (by a per-response nonce) and nothing else: no script, no frame, no
resource from elsewhere, forms only to this site.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import replace
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader

from api import page
from api.deps import transaction
from api.http import ApiError, attachment, error_responses
from cpl import publication
from cpl.core.domain import CPA_NOTICE_MONTHS, add_months, format_entry_id
from cpl.views import PublishedCplOut
from formats.vocabulary import AssuranceScheme

TEMPLATES = FilePath(__file__).parent / "templates"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCHEME_NAMES = {scheme.extract_key: str(scheme) for scheme in AssuranceScheme}

_environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)

PageText = Annotated[str | None, Query(max_length=200)]
SortText = Annotated[
    str | None,
    Query(max_length=30, description=f"Sort by one of: {', '.join(page.SORT_COLUMNS)} (default `entry`)."),
]
OrderText = Annotated[str | None, Query(max_length=10, description="`asc` (default) or `desc`.")]

#: The downloads' filters (a download is the whole filtered list, in the sort asked for, never a page).
FILTER_HELP = (
    " Filters, as the page's: `q` (words found in the entry id, manufacturer, model, identifiers or "
    "certificate numbers), `device_type`, `manufacturer`, `status` (any case), `sort` and `order`. "
    "With none, the whole list."
)

#: Where the downloads are: the whole list's URLs never change; a filtered download adds the query.
DOWNLOADS: dict[str, str] = {
    "sec_xlsx": "/api/v1/central_products_list.xlsx",
    "sec_csv": "/api/v1/central_products_list.csv",
    "json": "/api/v1/cpl.json",
    "csv": "/api/v1/cpl.csv",
    "xlsx": "/api/v1/cpl.xlsx",
}


def _list_filter(
    q: PageText = None,
    device_type: PageText = None,
    manufacturer: PageText = None,
    status: PageText = None,
    sort: SortText = None,
    order: OrderText = None,
) -> page.ListFilter:
    return page.ListFilter.of(q, device_type, manufacturer, status, sort, order)


Filters = Annotated[page.ListFilter, Depends(_list_filter)]


def _policy(nonce: str) -> str:
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


def _html(template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    html = _environment.get_template(template).render(context, nonce=nonce)
    headers = {"Cache-Control": "no-cache", "Content-Security-Policy": _policy(nonce)}
    return HTMLResponse(html, status_code=status_code, headers=headers)


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


def _filtered_name(name: str, selection: dict[str, str] | None) -> str:
    """A filtered download is named as one (cpl-000002-filtered.csv), so it is never taken for the list."""
    if not selection:
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}-filtered{dot}{suffix}"


def _binary(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}}, "description": description},
        **error_responses(404, 422),
    }


def _selected(request: Request, list_filter: page.ListFilter) -> tuple[publication.PublishedCpl, dict[str, str] | None]:
    """The published CPL with only the entries ``list_filter`` selects, in its order, and the filters
    themselves (None when they select the whole list in its own order)."""
    unknown = list_filter.unknown_choice()
    if unknown is not None:
        raise ApiError(422, "invalid_filter", unknown)
    published = _published(request)
    selection = list_filter.params()
    if not selection:
        return published, None
    return replace(published, entries=tuple(page.select_entries(published.entries, list_filter))), selection


def router() -> APIRouter:
    api = APIRouter(tags=["published CPL"])

    @api.get(
        "/",
        response_class=HTMLResponse,
        summary="The public CPL page",
        description=(
            "The published CPL with search (`q`: entry id, manufacturer, model, identifiers and certificate "
            "numbers) and filters (`device_type`, `manufacturer`, `status`), sorted by a column (`sort`, "
            "`order`), a page at a time (`page`, `per_page`: 25, 50, 100 or 200), with its version, whether "
            "the DCC has loaded it, downloads of the whole and of the filtered list, the entries whose CPA "
            "ends or falls due for renewal within 12 months marked, and those listed. No token needed."
        ),
        responses={200: {"content": {"text/html": {}}, "description": "The page"}},
    )
    def home(
        request: Request,
        list_filter: Filters,
        page_number: Annotated[int | None, Query(alias="page", ge=1, le=1_000_000)] = None,
        per_page: Annotated[int | None, Query(ge=1, le=1000)] = None,
    ) -> HTMLResponse:
        today = dt.datetime.now(dt.UTC).date()
        query = page.PageQuery.of_page(list_filter, page_number, per_page)
        with transaction(request, write=False) as session:
            published = publication.published_cpl(session)
        context: dict[str, Any] = {
            "published": published,
            "query": query,
            "today": today.isoformat(),
            "horizon": add_months(today, max(CPA_NOTICE_MONTHS)).isoformat(),
            "device_types": page.DEVICE_TYPES,
            "statuses": page.STATUSES,
            "per_page_choices": page.PER_PAGE_CHOICES,
            "sort_columns": page.SORT_COLUMNS,
            "scheme_names": SCHEME_NAMES,
            "downloads": DOWNLOADS,
        }
        if published is not None:
            entries = list(published.entries)
            paged = page.paginate(page.select_entries(entries, query), query.page, query.per_page)
            query = replace(query, page=paged.page)
            context.update(
                query=query,
                total=len(entries),
                paged=paged,
                entries=paged.entries,
                ending_soon={e.entry_id for e in paged.entries if page.ends_within_notice_horizon(e, today)},
                cpa_ends={e.entry_id: page.cpa_end(e) for e in paged.entries},
                filtered_downloads={key: page.download_link(DOWNLOADS[key], query) for key in ("json", "csv", "xlsx")},
                manufacturers=page.manufacturers(entries),
                expiries=page.upcoming_expiries(entries, today),
                issued_iso=_iso(published.issued_at),
                issued_text=_shown(published.issued_at),
                loaded_text=_shown(published.dcc_loaded_at) if published.dcc_loaded_at else None,
            )
        return _html("index.html", context)

    @api.get(
        "/entries/{entry_id}",
        response_class=HTMLResponse,
        summary="One published entry's page",
        description=(
            "One entry of the published CPL at a stable address (`/entries/CPL-000123`): its Device Model, "
            "status and Panel reference, certificates (with their records: issued, expiry, renewal, "
            "revocation), each published version that changed it and whether the DCC has loaded it. Another "
            "spelling of the id (`cpl-123`) is redirected to it; an entry no published version lists is 404."
        ),
        responses={
            200: {"content": {"text/html": {}}, "description": "The entry's page"},
            308: {"description": "The entry's own address"},
            404: {"content": {"text/html": {}}, "description": "No published entry has this id"},
        },
    )
    def entry_page(request: Request, entry_id: Annotated[str, Path(max_length=40)]) -> Response:
        canonical = _canonical_entry_id(entry_id)
        if canonical is not None and canonical != entry_id:
            return RedirectResponse(f"/entries/{canonical}", status_code=308)
        today = dt.datetime.now(dt.UTC).date()
        with transaction(request, write=False) as session:
            published = publication.published_cpl(session)
            entry = next((e for e in published.entries if e.entry_id == entry_id), None) if published else None
            if published is None or entry is None:
                return _html("entry_missing.html", {"entry_id": entry_id, "published": published}, 404)
            history = publication.entry_history(session, entry_id)
            records = publication.certificate_records(session, entry)
        context = {
            "published": published,
            "entry": entry,
            "history": history,
            "records": records,
            "scheme_names": SCHEME_NAMES,
            "cpa": page.cpa_end(entry),
            "ending_soon": page.ends_within_notice_horizon(entry, today),
            "horizon": add_months(today, max(CPA_NOTICE_MONTHS)).isoformat(),
            "issued_text": _shown(published.issued_at),
            "loaded_text": _shown(published.dcc_loaded_at) if published.dcc_loaded_at else None,
            "shown": _shown,
            "today": today.isoformat(),
        }
        return _html("entry.html", context)

    @api.get(
        "/api/v1/cpl.json",
        response_class=Response,
        summary="The published CPL as JSON (public)",
        description=(
            "The latest issued extract's entries with its version and whether the DCC has loaded it; a filtered "
            "download also carries `filters`, and its `entry_count` counts the entries chosen." + FILTER_HELP
        ),
        responses={200: {"model": PublishedCplOut, "description": "The published CPL"}, **error_responses(404, 422)},
    )
    def cpl_json(
        request: Request,
        list_filter: Filters,
    ) -> Response:
        chosen, selection = _selected(request, list_filter)
        name = _filtered_name(f"cpl-{chosen.sequence:06d}.json", selection)
        return _download(chosen, publication.to_json(chosen, selection), "application/json", "json", name)

    @api.get(
        "/api/v1/cpl.csv",
        response_class=Response,
        summary="The published CPL as CSV (public)",
        description="One row per entry." + FILTER_HELP,
        responses=_binary("text/csv", "The published CPL, one row per entry"),
    )
    def cpl_csv(
        request: Request,
        list_filter: Filters,
    ) -> Response:
        chosen, selection = _selected(request, list_filter)
        name = _filtered_name(f"cpl-{chosen.sequence:06d}.csv", selection)
        return _download(chosen, publication.to_csv(chosen), "text/csv; charset=utf-8", "csv", name)

    @api.get(
        "/api/v1/cpl.xlsx",
        response_class=Response,
        summary="The published CPL as a spreadsheet (public)",
        description="Sheets CPL and About (a filtered download's About names its filters)." + FILTER_HELP,
        responses=_binary(XLSX, "The published CPL as an .xlsx workbook"),
    )
    def cpl_xlsx(
        request: Request,
        list_filter: Filters,
    ) -> Response:
        chosen, selection = _selected(request, list_filter)
        name = _filtered_name(f"cpl-{chosen.sequence:06d}.xlsx", selection)
        return _download(chosen, publication.to_xlsx(chosen, selection), XLSX, "xlsx", name)

    @api.get(
        "/api/v1/central_products_list.xlsx",
        response_class=Response,
        summary="The published CPL in the SEC's own layout (public)",
        description=(
            "The SEC's CPL workbook: Version Control, the blank New Entry form (light-green input cells, "
            "drop-downs of the valid values), Central Products List and CPL - saveable in CSV. It is also the "
            "form manufacturers download and fill in. The filters choose the list's rows (the Version Control "
            "and the form are the same)." + FILTER_HELP
        ),
        responses=_binary(XLSX, "The published CPL as the SEC's .xlsx workbook"),
    )
    def sec_xlsx(
        request: Request,
        list_filter: Filters,
    ) -> Response:
        chosen, selection = _selected(request, list_filter)
        name = _filtered_name(_sec_name(chosen, "xlsx"), selection)
        return _download(chosen, publication.to_sec_xlsx(chosen), XLSX, "xlsx", name)

    @api.get(
        "/api/v1/central_products_list.csv",
        response_class=Response,
        summary="The published CPL as the SEC's CSV tab (public)",
        description="The SEC workbook's CPL - saveable in CSV tab." + FILTER_HELP,
        responses=_binary("text/csv", "The SEC workbook's CPL - saveable in CSV tab"),
    )
    def sec_csv(
        request: Request,
        list_filter: Filters,
    ) -> Response:
        chosen, selection = _selected(request, list_filter)
        body = publication.to_sec_csv(chosen)
        name = _filtered_name(_sec_name(chosen, "csv"), selection)
        return _download(chosen, body, "text/csv; charset=utf-8", "csv", name)

    return api


def _canonical_entry_id(text: str) -> str | None:
    """``CPL-000123`` for ``cpl-123``, ``123`` or ``CPL-000123``; None when the text is no entry id."""
    match = re.fullmatch(r"(?:CPL-?)?0*(\d{1,9})", text.strip(), flags=re.IGNORECASE)
    return format_entry_id(int(match.group(1))) if match is not None else None
