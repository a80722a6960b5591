"""The CPL authority's HTTP service: `create_app()` builds it; `cpl serve` runs it with uvicorn.

Routes live in their own modules (submissions, entries and certificates, extracts and receipts,
the audit log, the public CPL); this module puts them together with the settings, the bearer
security scheme and the error handlers, so that every error is the one JSON shape.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api import audit_log, codes, entries, extracts, proposals, public, submissions
from api.config import Settings
from api.deps import RegistryFile
from api.http import BodyLimitMiddleware, install_error_handlers
from api.refusals import install_refusal_handlers
from cpl.store import get_engine

DESCRIPTION = """\
The Central Products List (CPL) of GB smart metering, kept by SECAS for the SEC Panel.

Parties (manufacturer, supplier, DCC, SECAS) call it with an API token issued by
`cpl parties add-token USER`, sent as `Authorization: Bearer <token>`. A manufacturer sees only its
own submissions; a supplier confirms firmware updates that name it; only the DCC uploads receipts;
only SECAS approves, removes, revokes and signs extracts (two different SECAS users per extract).
The published CPL and the assurance certificates are public.

Every error is `{"error": {"code": "...", "message": "one sentence"}}`. A protected route names who may
call it (`x-callers`: the roles, or none for any party's user) and refuses anyone else (401, 403) before
it reads the request. Lists that grow come a page at a time (`limit`, `offset`) with a `total`.
"""

#: Where the interactive docs' Swagger UI files are served from: the copy in the fastapi-offline
#: package, so `/docs` works with no network (no CDN).
DOCS_ASSETS = "/docs/assets"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service, with its settings read now (``CPL_DATABASE_URL``, ``CPL_MAX_UPLOAD_BYTES``)."""
    settings = settings or Settings.from_environment()
    app = FastAPIOffline(
        title="Central Products List",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        static_url=DOCS_ASSETS,
    )
    app.state.settings = settings
    app.state.registry_file = RegistryFile(settings.cpl.specs_file)
    get_engine(settings.database_url)  # fail at start-up, not at the first request, if the database is unusable
    app.add_middleware(BodyLimitMiddleware, max_body_size=settings.max_upload_bytes)
    install_error_handlers(app)
    install_refusal_handlers(app)
    app.include_router(public.router())
    app.include_router(codes.router())
    app.include_router(audit_log.router())
    app.include_router(submissions.router(settings))
    app.include_router(entries.router())
    app.include_router(proposals.router())
    app.include_router(extracts.router(settings))
    return app
