"""HTTP plumbing both services share: one JSON shape for every error, and the handlers that keep to it.

Every error is ``{"error": {"code": "...", "message": "one sentence"}}``, with a ``help`` link beside
them when there is a page that says more (a refusal naming a finding code). Validation problems,
unknown routes, oversized bodies and unexpected failures all take that shape; nothing returns a
traceback. This module knows nothing of either side's domain, so the DCC simulator may use it.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("api")


class ErrorBody(BaseModel):
    code: str
    message: str
    help: str | None = Field(
        default=None, description="Where to read more, when there is such a page (a finding code's entry)."
    )


class ErrorResponse(BaseModel):
    """What every refusal and failure looks like."""

    error: ErrorBody


class ApiError(Exception):
    """A refusal the HTTP layer makes itself (authentication, ownership, content type)."""

    def __init__(self, status_code: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_response(
    status_code: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    help_link: str | None = None,
) -> JSONResponse:
    body: dict[str, str] = {"code": code, "message": message}
    if help_link is not None:
        body["help"] = help_link
    return JSONResponse({"error": body}, status_code=status_code, headers=dict(headers or {}))


def error_code(error: Exception) -> str:
    """A named error's stable code: its class name in snake case without "Error" (``UnknownEntryError``
    -> ``unknown_entry``)."""
    name = type(error).__name__.removesuffix("Error") or "refused"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def sentence(error: Exception) -> str:
    """A named error's message as one sentence (they are written as sentences; this only makes sure)."""
    text = str(error).strip() or "The request was refused."
    return text if text.endswith((".", "?", "!")) else text + "."


#: Codes and sentences for the statuses the framework raises on its own (unknown route, wrong method...).
_STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be read."),
    401: ("unauthenticated", "This needs an API token sent as 'Authorization: Bearer <token>'."),
    403: ("forbidden", "Your token does not allow this."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("upload_too_large", "The request body is larger than this service accepts."),
    415: ("unsupported_media_type", "The request body is not of a type this address accepts."),
}


def _status_error(status_code: int) -> tuple[str, str]:
    if status_code in _STATUS_ERRORS:
        return _STATUS_ERRORS[status_code]
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        phrase = "Error"
    return phrase.lower().replace(" ", "_").replace("-", "_"), f"{phrase}."


#: How a request's parts are named in a problem's sentence.
_PARTS = {
    "body": "the request body field",
    "query": "the query parameter",
    "path": "the path parameter",
    "header": "the header",
    "cookie": "the cookie",
}
_WHOLE = {"body": "the request body", "query": "the query", "path": "the path", "header": "a header"}

#: An enumeration member as pydantic prints it (``<EntryStatus.EXPIRED: 'Expired'>``): its value is what a user types.
_ENUM_MEMBER = re.compile(r"<[A-Za-z_][\w.]*: ('[^']*'|\"[^\"]*\"|[^>]*)>")


def _location(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if not parts:
        return "the request"
    if not parts[1:]:
        return _WHOLE.get(parts[0], parts[0])
    return f"{_PARTS.get(parts[0], parts[0] + ' field')} {'.'.join(parts[1:])!r}"


def _problem(problem: Any) -> str:
    """One problem in a user's words: where, and what is wrong there."""
    if not isinstance(problem, Mapping):
        return str(problem).rstrip(".")
    loc = tuple(problem.get("loc", ()))
    kind = str(problem.get("type", ""))
    context = problem.get("ctx") or {}
    if kind == "json_invalid":  # its place is a character position, not a field
        reason = str(context.get("error", "")).strip()
        return "the request body is not valid JSON" + (f" ({reason})" if reason else "")
    if kind == "missing":
        return f"{_location(loc)} is missing"
    if kind in {"model_attributes_type", "dict_type", "model_type"} and loc[:1] == ("body",) and len(loc) == 1:
        return "the request body should be a JSON object"
    message = _ENUM_MEMBER.sub(r"\1", str(problem.get("msg", "is not valid"))).removeprefix("Value error, ")
    return f"{_location(loc)}: {message.rstrip('.')}"


def validation_message(problems: Sequence[Any]) -> str:
    """One sentence naming every problem of a request, each with where it is."""
    if not problems:
        return "The request is not valid."
    return f"The request is not valid: {'; '.join(_problem(p) for p in problems)}."


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.code, exc.message, exc.headers)


def _body_fields(request: Request) -> list[str]:
    """The required fields of the JSON object the request's route takes, to name when its body is missing."""
    route = request.scope.get("route")
    field = getattr(route, "body_field", None)
    model = getattr(getattr(field, "field_info", None), "annotation", None)
    fields = getattr(model, "model_fields", None)
    if not isinstance(fields, Mapping):
        return []
    return [name for name, info in fields.items() if getattr(info, "is_required", lambda: False)()]


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = list(exc.errors())
    message = validation_message(problems)
    if any(
        isinstance(p, Mapping) and tuple(p.get("loc", ())) == ("body",) and p.get("type") == "missing" for p in problems
    ):
        wanted = _body_fields(request)
        if wanted:
            named = ", ".join(repr(name) for name in wanted)
            message = message.removesuffix(".") + f" (it takes a JSON object with {named})."
    return error_response(422, "invalid_request", message)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, sentence = _status_error(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else ""
    message = detail if detail.endswith(".") and detail[:1].isupper() else sentence
    return error_response(exc.status_code, code, message, exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected failure on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "The service failed unexpectedly; the failure has been logged.")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error on ``app`` the one JSON shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` once a body passes the limit; the handlers turn it into a JSON 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the {limit} bytes this service accepts.")


class BodyLimitMiddleware:
    """Refuse request bodies above ``max_body_size`` bytes with a JSON 413, reading no more than that.

    A declared Content-Length above the limit is refused before a byte of the body is read; a body
    without one (chunked) is counted as it arrives and refused as soon as it passes the limit, so
    the route reading it stops there. (Starlette's own limiter answers in plain text.)
    """

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_size
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            error = BodyTooLarge(limit)
            response = error_response(413, "upload_too_large", str(error.detail), {"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, receive_within_limit, send)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the error shape for ``statuses``."""
    return {
        status: {"model": ErrorResponse, "description": _status_error(status)[1] if status != 422 else "Refused."}
        for status in statuses
    }


def attachment(filename: str) -> str:
    """A Content-Disposition for ``filename``: a plain ASCII name, and the UTF-8 one beside it when they differ."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    if plain == filename:
        return f'attachment; filename="{plain}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{urllib.parse.quote(filename, safe='')}"
