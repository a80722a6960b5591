"""What every route shares: its settings, one transaction per request, the clock, uploads."""

from __future__ import annotations

import datetime as dt
import email.message
import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request, UploadFile
from sqlmodel import Session

from api.config import Settings
from api.http import ApiError
from cpl.store import session_scope


def settings_of(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


@contextmanager
def transaction(request: Request) -> Iterator[Session]:
    """The request's one unit of work: committed if the route returns, rolled back whole if it raises."""
    with session_scope(settings_of(request).database_url) as session:
        yield session


def now() -> dt.datetime:
    """The time of a request, read once (microseconds dropped: extracts and receipts carry seconds)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def require_multipart(request: Request) -> None:
    """Upload routes take multipart/form-data; anything else is refused before the fields are judged."""
    header = request.headers.get("content-type", "")
    message = email.message.Message()
    message["content-type"] = header
    if not header or message.get_content_type() != "multipart/form-data":
        shown = header.split(";")[0].strip() or "none"
        raise ApiError(
            415,
            "unsupported_media_type",
            f"This address takes multipart/form-data (a file upload), not {shown[:80]}.",
        )


def read_upload(upload: UploadFile) -> bytes:
    """The uploaded file's bytes (already bounded by the route's body limit)."""
    upload.file.seek(0)
    return upload.file.read()


_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def upload_name(upload: UploadFile, default: str) -> str:
    """The file name the client gave, as a plain base name (no directories or control characters)."""
    name = _UNSAFE.sub("", (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:200] or default
