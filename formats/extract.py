"""The CPL extract's content (CONTRACT.md section 2): canonical JSON, built and parsed.

Shared by the authority, which builds extracts, and the DCC simulator, which reads them; it knows
the format and the shared vocabulary (`formats.vocabulary`), and no rule of either side.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from formats.vocabulary import CERTIFICATE_KEYS, EntryStatus

FORMAT = "cpl-extract"
FORMAT_VERSION = 1
EXTRACT_STATUSES: tuple[str, ...] = tuple(EntryStatus)
ACTIVE: str = EntryStatus.ACTIVE
CERTIFICATE_SCHEMES = CERTIFICATE_KEYS
_SORTED_SCHEMES: tuple[str, ...] = tuple(sorted(CERTIFICATE_KEYS))
#: Every scheme, in sorted order, with no certificate: what an entry's own numbers are merged over.
_NO_CERTIFICATES: dict[str, str | None] = dict.fromkeys(_SORTED_SCHEMES)

#: Keys an entry may carry beside the required ones (added with CPL 2.051's attributes, format 1 still):
#: written only when the entry has a value, so an entry without them is byte for byte as before, and
#: read when present. A reader that does not know a key ignores it; a new key is only ever added here.
OPTIONAL_ENTRY_KEYS: tuple[str, ...] = (
    "cpa_certificate_kind",  # "standard" or "lifetime" (the SEC's [E] / [R])
    "cpa_renewal_date",  # a lifetime certificate's renewal date (it has no expiry)
    "cpa_security_characteristics",
    "dlms_version",
    "zse_version",
    "manufacturer_image_creator",
    "manufacturer_image_descriptor",
)

#: How many entries `Extract.content` encodes at a time. The dictionaries of one slice are freed
#: before the next is built, so a 50,000-entry extract never holds 50,000 of them at once: they
#: reuse the same memory, and (two per entry, well under the collector's 700) never start a garbage
#: collection, whose full passes would walk every object alive (bench/bench_signing.py). Any size
#: gives the same bytes.
_ENTRIES_PER_SLICE = 100
_BY_ENTRY_ID = attrgetter("entry_id")

_HEX64 = re.compile(r"[0-9a-f]{64}")  # matched whole: "$" would let a final newline through
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")  # matched whole (no "$": it allows a final newline)


class ExtractFormatError(ValueError):
    """The content is not a well-formed CPL extract; the message says which part."""


def canonical_json(value: Any) -> bytes:
    """RFC 8785 form for this format's values (strings, integers, null, lists, objects).

    Keys sorted, no insignificant white space, UTF-8. Floats are refused: RFC 8785 number
    formatting differs from Python's, and the format has none.
    """
    _refuse_floats(value)
    return _dumps(value)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _dumps_ordered(value: Any) -> bytes:
    """As ``_dumps`` for a value whose every dictionary is already in sorted key order."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _object_pieces(members: Mapping[str, Iterable[bytes]]) -> Iterator[bytes]:
    """A JSON object as pieces to join, from each member's value already encoded (in pieces):
    keys in sorted order and no white space, as `_dumps` writes it."""
    yield b"{"
    for index, key in enumerate(sorted(members)):
        yield (b"," if index else b"") + _dumps_ordered(key) + b":"
        yield from members[key]
    yield b"}"


def _array_pieces(runs: Iterable[bytes]) -> Iterator[bytes]:
    """A JSON array as pieces to join, from runs of its items each already encoded and comma-separated."""
    yield b"["
    for index, run in enumerate(runs):
        yield (b"," if index else b"") + run
    yield b"]"


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise ValueError("canonical extract JSON carries no floating-point numbers")
    if isinstance(value, Mapping):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


def _no_float(literal: str) -> Any:
    raise ExtractFormatError(f"the extract carries the number {literal}; the format has integers only")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_timestamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("extract timestamps must be timezone-aware")
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> dt.datetime:
    if not _TIMESTAMP.fullmatch(text):
        raise ExtractFormatError(f"timestamp {text!r} is not of the form YYYY-MM-DDTHH:MM:SSZ")
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:  # the right shape, but no such moment: 30 February, hour 25
        raise ExtractFormatError(f"timestamp {text!r} is not a real date and time") from None


@dataclass(frozen=True)
class ExtractEntry:
    entry_id: str
    physical_device_type: str
    manufacturer: str
    manufacturer_id: str
    model: str
    model_id: str
    hardware_version: str
    firmware_version: str
    technical_specification: str
    gbcs_version: str | None
    certificates: Mapping[str, str | None]
    cpa_expiry: str | None
    manufacturer_image_hash: str | None
    status: str
    status_since: str
    panel_reference: str | None
    #: The optional keys this entry has a value for (``OPTIONAL_ENTRY_KEYS``), nothing else.
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def model_key(self) -> tuple[str, str, str, str, str]:
        """What a Device is matched on: type, manufacturer id, model id, hardware and firmware."""
        return (
            self.physical_device_type,
            self.manufacturer_id,
            self.model_id,
            self.hardware_version,
            self.firmware_version,
        )

    def to_json(self) -> dict[str, Any]:
        """The entry as the extract writes it, keys already in sorted order (so the canonical encoding
        need not sort 50,000 dictionaries again)."""
        certificates = self.certificates
        # Every scheme, in sorted order, null where the entry has none. A dict holding schemes only
        # (as every entry read or built here does) is merged over the all-null map in one step; any
        # other mapping, or one with other keys, is read scheme by scheme.
        written = _NO_CERTIFICATES | certificates if type(certificates) is dict else {}
        if len(written) != len(_SORTED_SCHEMES):
            written = dict(zip(_SORTED_SCHEMES, map(certificates.get, _SORTED_SCHEMES), strict=True))
        document = {
            "certificates": written,
            "cpa_expiry": self.cpa_expiry,
            "entry_id": self.entry_id,
            "firmware_version": self.firmware_version,
            "gbcs_version": self.gbcs_version,
            "hardware_version": self.hardware_version,
            "manufacturer": self.manufacturer,
            "manufacturer_id": self.manufacturer_id,
            "manufacturer_image_hash": self.manufacturer_image_hash,
            "model": self.model,
            "model_id": self.model_id,
            "panel_reference": self.panel_reference,
            "physical_device_type": self.physical_device_type,
            "status": self.status,
            "status_since": self.status_since,
            "technical_specification": self.technical_specification,
        }
        if self.attributes:
            attributes = self.attributes
            document.update((key, attributes[key]) for key in OPTIONAL_ENTRY_KEYS if attributes.get(key) is not None)
            document = dict(sorted(document.items()))
        return document


@dataclass(frozen=True)
class Extract:
    sequence: int
    issued_at: dt.datetime
    previous_sha256: str | None
    entries: tuple[ExtractEntry, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Freshness (TUF's freeze attack, FIDO MDS3's nextUpdate): the authority issues the next extract
    #: by then; a DCC whose CPL in force is past it says the CPL is stale. Optional, written when set.
    next_update_by: dt.datetime | None = None
    #: The authority's audit-log head when the extract was issued: anyone holding a later extract can
    #: tell a cut-off tail of the log. Optional, written when set.
    audit_head_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self._document([entry.to_json() for entry in self._sorted_entries()])

    def _document(self, entries: Any) -> dict[str, Any]:
        document: dict[str, Any] = {
            **self.extra,
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "sequence": self.sequence,
            "issued_at": format_timestamp(self.issued_at),
            "previous_sha256": self.previous_sha256,
            "entries": entries,
        }
        if self.next_update_by is not None:
            document["next_update_by"] = format_timestamp(self.next_update_by)
        if self.audit_head_sha256 is not None:
            document["audit_head_sha256"] = self.audit_head_sha256
        return document

    def _sorted_entries(self) -> list[ExtractEntry]:
        return sorted(self.entries, key=_BY_ENTRY_ID)

    def content(self) -> bytes:
        # Entries hold only strings and null by construction; only the open-ended extra keys can
        # smuggle in a float, so only they are walked (a full walk costs as much as the encoding).
        _refuse_floats(self.extra)
        if self.extra:
            return _dumps(self.to_json())  # open-ended values: sort everything
        # The canonical form without sorting any entry's keys again: each entry's dictionary is
        # built in sorted key order (ExtractEntry.to_json) and the document is written member by
        # member in sorted key order, its entries a slice at a time (_ENTRIES_PER_SLICE), every
        # value by `_dumps_ordered`. Each piece is appended as soon as it is made, so no slice's
        # text outlives it (a join would hold them all, as much again as the content).
        members: dict[str, Iterable[bytes]] = {
            key: (_dumps_ordered(value),) for key, value in self._document(entries=None).items()
        }
        members["entries"] = _array_pieces(self._entry_runs())  # in place of the None above
        written = bytearray()
        for piece in _object_pieces(members):
            written += piece
        return bytes(written)

    def _entry_runs(self) -> Iterator[bytes]:
        """The entries in entry_id order, encoded a slice at a time, each slice as its items
        comma-separated (its array without the brackets)."""
        entries = self._sorted_entries()
        for start in range(0, len(entries), _ENTRIES_PER_SLICE):
            run = [entry.to_json() for entry in entries[start : start + _ENTRIES_PER_SLICE]]
            yield _dumps_ordered(run)[1:-1]

    def active_model_keys(self) -> frozenset[tuple[str, str, str, str, str]]:
        return frozenset(e.model_key for e in self.entries if e.is_active)


def _require(obj: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise ExtractFormatError(f"{where} has no {key!r}")
    value = obj[key]
    if not isinstance(value, kinds) or isinstance(value, bool):
        raise ExtractFormatError(f"{where} has {key!r} of the wrong type")
    return value


def _optional_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = _require(obj, key, (str, type(None)), where)
    return value if value is None else str(value)


def _entry(item: Any, index: int) -> ExtractEntry:
    where = f"entry {index + 1}"
    if not isinstance(item, dict):
        raise ExtractFormatError(f"{where} is not an object")
    certificates = _require(item, "certificates", dict, where)
    for scheme in CERTIFICATE_SCHEMES:
        _optional_str(certificates, scheme, f"{where} certificates")
    status = _require(item, "status", str, where)
    if status not in EXTRACT_STATUSES:
        raise ExtractFormatError(f"{where} has unknown status {status!r}")
    text = {
        key: _require(item, key, str, where)
        for key in (
            "entry_id",
            "physical_device_type",
            "manufacturer",
            "manufacturer_id",
            "model",
            "model_id",
            "hardware_version",
            "firmware_version",
            "technical_specification",
            "status_since",
        )
    }
    return ExtractEntry(
        **text,
        gbcs_version=_optional_str(item, "gbcs_version", where),
        certificates={s: certificates.get(s) for s in CERTIFICATE_SCHEMES},
        cpa_expiry=_optional_str(item, "cpa_expiry", where),
        manufacturer_image_hash=_optional_str(item, "manufacturer_image_hash", where),
        status=status,
        panel_reference=_optional_str(item, "panel_reference", where),
        attributes=_optional_attributes(item, where),
    )


def _optional_attributes(item: Mapping[str, Any], where: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for key in OPTIONAL_ENTRY_KEYS:
        if key in item:
            value = _optional_str(item, key, where)
            if value is not None:
                found[key] = value
    return found


def parse_extract(content: bytes) -> Extract:
    """Read extract content, refusing anything that is not exactly this format in canonical form."""
    try:
        # Floats and NaN are refused as they are read, so no second walk over the document.
        data = json.loads(content.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExtractFormatError(f"the extract content is not UTF-8 JSON ({error})") from None
    if not isinstance(data, dict):
        raise ExtractFormatError("the extract content is not a JSON object")
    if _dumps(data) != content:
        raise ExtractFormatError("the extract content is not in canonical JSON form (RFC 8785)")
    version = data.get("format_version")
    if data.get("format") != FORMAT or type(version) is not int or version != FORMAT_VERSION:  # true == 1 in Python
        raise ExtractFormatError(f"the content is not a {FORMAT} version {FORMAT_VERSION} document")
    sequence = _require(data, "sequence", int, "the extract")
    if sequence < 1:
        raise ExtractFormatError("the extract sequence must be 1 or more")
    previous = _optional_str(data, "previous_sha256", "the extract")
    if previous is not None and not _HEX64.fullmatch(previous):
        raise ExtractFormatError("previous_sha256 is not 64 lower-case hex digits")
    raw_entries = _require(data, "entries", list, "the extract")
    entries = tuple(_entry(item, i) for i, item in enumerate(raw_entries))
    ids = [e.entry_id for e in entries]
    if ids != sorted(ids) or len(set(ids)) != len(ids):
        raise ExtractFormatError("entries are not sorted by entry_id, or an entry_id repeats")
    issued_at = parse_timestamp(_require(data, "issued_at", str, "the extract"))
    next_update = _optional_str(data, "next_update_by", "the extract") if "next_update_by" in data else None
    next_update_by = parse_timestamp(next_update) if next_update is not None else None
    if next_update_by is not None and next_update_by < issued_at:
        raise ExtractFormatError("next_update_by is before issued_at: the extract would be stale when issued")
    head = _optional_str(data, "audit_head_sha256", "the extract") if "audit_head_sha256" in data else None
    if head is not None and not _HEX64.fullmatch(head):
        raise ExtractFormatError("audit_head_sha256 is not 64 lower-case hex digits")
    known = {
        "format",
        "format_version",
        "sequence",
        "issued_at",
        "previous_sha256",
        "entries",
        "next_update_by",
        "audit_head_sha256",
    }
    return Extract(
        sequence=sequence,
        issued_at=issued_at,
        previous_sha256=previous,
        entries=entries,
        extra={k: v for k, v in data.items() if k not in known},
        next_update_by=next_update_by,
        audit_head_sha256=head,
    )
