"""The authority's named refusals (``cpl.core.errors``) as HTTP statuses and stable error codes.

NotFound -> 404, NotPermitted (and four eyes) -> 403, a state that forbids the action -> 409,
input that is understood and refused -> 422. The code is the class name in snake case without
"Error" (``UnknownSubmissionError`` -> ``unknown_submission``); the message is the error's sentence.
A published extract whose stored content no longer matches its signed hash is a 503: the
service's own state is at fault, and it publishes nothing rather than something unsigned.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.http import error_code, error_response, sentence
from cpl import finding_codes, publication
from cpl.core import errors
from cpl.services import tokens

#: Most specific first: the first class an error is an instance of decides its status.
STATUS_BY_ERROR: tuple[tuple[type[errors.CplError], int], ...] = (
    (publication.PublicationIntegrityError, 503),  # our stored state is at fault, not the request
    (errors.StoreBusyError, 503),  # the database is busy: the same request may succeed in a moment
    (errors.ConcurrentChangeError, 409),  # another request changed the same thing first
    (errors.NotFoundError, 404),
    (errors.NotPermittedError, 403),
    (errors.FourEyesError, 403),
    (errors.SubmissionAlreadyDecidedError, 409),
    (errors.SupplierConfirmationMissingError, 409),
    (errors.DuplicateError, 409),
    (errors.EntryStatusError, 409),
    (errors.ProposalStateError, 409),
    (errors.ExtractError, 409),
    (tokens.TokenAlreadyRevokedError, 409),
    (errors.ReceiptReplayedError, 409),
    (errors.SubmissionHasErrorsError, 422),
    (errors.PanelReferenceError, 422),
    (errors.ReceiptError, 422),
)


def status_of(error: errors.CplError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 422


#: Seconds a client should wait before retrying when the store was busy.
RETRY_AFTER_SECONDS = 2


async def _cpl_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.CplError)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if isinstance(exc, errors.StoreBusyError) else None
    return error_response(status_of(exc), error_code(exc), sentence(exc), headers, help_link=_help(exc))


def _help(error: errors.CplError) -> str | None:
    """A refusal that names a finding code links to the code's entry on the codes page."""
    code = error.finding_code if isinstance(error, errors.SubmissionHasErrorsError) else None
    return finding_codes.help_link(code) if code is not None else None


def install_refusal_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.CplError, _cpl_error)
