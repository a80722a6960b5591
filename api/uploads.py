"""Uploads, for both services: multipart only, the bytes of a file part, a safe file name.

Knows nothing of either side's domain (the DCC simulator uses it too).
"""

from __future__ import annotations

import email.message
import re

from fastapi import Request, UploadFile

from api.http import ApiError


async def require_multipart(request: Request) -> None:
    """Upload routes take multipart/form-data; anything else is refused before the fields are judged.

    ``async``, though it awaits nothing: FastAPI runs a plain function on its thread pool, a hand-over
    each upload would pay for a header check."""
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
