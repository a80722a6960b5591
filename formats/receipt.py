"""The DCC's receipt for an applied extract: canonical JSON content, built and parsed.

The DCC simulator builds one after applying an extract and signs it (CMS, attached) with the DCC's
receipt key; the authority reads it back to learn that, when, and with what effect its extract was
applied. Shared by both sides, it knows the format and nothing of either side's tables.

    {"applied_at": "2026-11-22T13:00:00Z", "devices_restored": 0, "devices_suspended": 250000,
     "extract_sha256": "<hex SHA-256 of the extract's content bytes>", "format": "smi-receipt",
     "format_version": 1, "received_at": "2026-11-22T12:05:00Z", "sequence": 42}
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from formats.extract import ExtractFormatError, canonical_json, format_timestamp, parse_timestamp

FORMAT = "smi-receipt"
FORMAT_VERSION = 1

_HEX64 = re.compile(r"[0-9a-f]{64}")  # matched whole: "$" would let a final newline through


class ReceiptFormatError(ValueError):
    """The content is not a well-formed SMI receipt; the message says which part."""


@dataclass(frozen=True)
class Receipt:
    """That the DCC applied extract ``sequence`` (content ``extract_sha256``), when, and its effect."""

    sequence: int
    extract_sha256: str
    received_at: dt.datetime
    applied_at: dt.datetime
    devices_suspended: int
    devices_restored: int

    def __post_init__(self) -> None:
        if self.sequence < 1:
            raise ReceiptFormatError("the receipt sequence must be 1 or more")
        if not _HEX64.fullmatch(self.extract_sha256):
            raise ReceiptFormatError("extract_sha256 is not 64 lower-case hex digits")
        if self.devices_suspended < 0 or self.devices_restored < 0:
            raise ReceiptFormatError("device counts cannot be negative")
        if self.received_at.tzinfo is None or self.applied_at.tzinfo is None:
            raise ReceiptFormatError("receipt timestamps must be timezone-aware")
        if self.applied_at < self.received_at:
            raise ReceiptFormatError("a receipt cannot say the extract was applied before it was received")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "sequence": self.sequence,
            "extract_sha256": self.extract_sha256,
            "received_at": format_timestamp(self.received_at),
            "applied_at": format_timestamp(self.applied_at),
            "devices_suspended": self.devices_suspended,
            "devices_restored": self.devices_restored,
        }

    def content(self) -> bytes:
        """The canonical JSON bytes that the DCC signs."""
        return canonical_json(self.to_json())


def build_receipt(
    *,
    sequence: int,
    extract_sha256: str,
    received_at: dt.datetime,
    applied_at: dt.datetime,
    devices_suspended: int,
    devices_restored: int,
) -> bytes:
    """The receipt content for an applied extract (validated, canonical)."""
    return Receipt(
        sequence=sequence,
        extract_sha256=extract_sha256,
        received_at=received_at,
        applied_at=applied_at,
        devices_suspended=devices_suspended,
        devices_restored=devices_restored,
    ).content()


def _integer(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ReceiptFormatError(f"the receipt has no integer {key!r}")
    return value


def _timestamp(data: dict[str, Any], key: str) -> dt.datetime:
    value = data.get(key)
    if not isinstance(value, str):
        raise ReceiptFormatError(f"the receipt has no timestamp {key!r}")
    try:
        return parse_timestamp(value)
    except ExtractFormatError as error:
        raise ReceiptFormatError(str(error)) from None


def parse_receipt(content: bytes) -> Receipt:
    """Read receipt content, refusing anything that is not exactly this format in canonical form.

    Keys this version does not know are ignored, so a later version may add some.
    """
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReceiptFormatError(f"the receipt content is not UTF-8 JSON ({error})") from None
    if not isinstance(data, dict):
        raise ReceiptFormatError("the receipt content is not a JSON object")
    try:
        canonical = canonical_json(data)
    except ValueError as error:
        raise ReceiptFormatError(str(error)) from None
    if canonical != content:
        raise ReceiptFormatError("the receipt content is not in canonical JSON form (RFC 8785)")
    version = data.get("format_version")
    if data.get("format") != FORMAT or type(version) is not int or version != FORMAT_VERSION:  # true == 1 in Python
        raise ReceiptFormatError(f"the content is not a {FORMAT} version {FORMAT_VERSION} document")
    sha = data.get("extract_sha256")
    if not isinstance(sha, str):
        raise ReceiptFormatError("the receipt has no extract_sha256")
    return Receipt(
        sequence=_integer(data, "sequence"),
        extract_sha256=sha,
        received_at=_timestamp(data, "received_at"),
        applied_at=_timestamp(data, "applied_at"),
        devices_suspended=_integer(data, "devices_suspended"),
        devices_restored=_integer(data, "devices_restored"),
    )
