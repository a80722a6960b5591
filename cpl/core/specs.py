"""The registry of Technical Specification and GBCS versions, with their effective and end dates.

The registry is data (a JSON file SECAS edits with `cpl specs`). Everything here is pure: the
file is read and written by `cpl.specs_file`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class SpecKind(StrEnum):
    GBCS = "gbcs"
    TECHNICAL_SPECIFICATION = "technical_specification"


class UnknownVersion(LookupError):
    pass


@dataclass(frozen=True)
class SpecVersion:
    """A recognised version, with other spellings that name it (the SEC list writes 'SMETS V4.2' for
    SMETS2 v4.2 and 'GBCS Version 3.2' for v3.2): aliases are data, kept in the registry file."""

    kind: SpecKind
    version: str
    effective_from: dt.date | None = None
    end_date: dt.date | None = None
    aliases: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.version, *self.aliases)

    def in_effect(self, as_of: dt.date) -> bool:
        started = self.effective_from is None or self.effective_from <= as_of
        return started and not self.is_end_dated(as_of)

    def is_end_dated(self, as_of: dt.date) -> bool:
        """A version stops being in effect on its end date (GBCS v1.0: 7 May 2018)."""
        return self.end_date is not None and as_of >= self.end_date


_SPACES = re.compile(r"\s+")
_LEADING_V = re.compile(r"^v(?=\d)")


@functools.lru_cache(maxsize=4096)
def version_key(kind: SpecKind, text: str) -> str:
    """How versions are matched: case-insensitive, white space collapsed, GBCS 'v' optional.

    'CHTS V1.4' (the DCC's spelling) and 'CHTS v1.4' are the same version; so are '4.2' and 'v4.2'.
    """
    key = _SPACES.sub(" ", text.strip()).casefold()
    key = _LEADING_V.sub("", key) if kind is SpecKind.GBCS else re.sub(r" v(?=\d)", " ", key)
    return key


@dataclass(frozen=True)
class SpecRegistry:
    versions: tuple[SpecVersion, ...]
    note: str = ""

    _index: dict[tuple[SpecKind, str], SpecVersion] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index every spelling once, refusing one that would name two versions."""
        index: dict[tuple[SpecKind, str], SpecVersion] = {}
        for v in self.versions:
            for spelling in v.spellings:
                key = (v.kind, version_key(v.kind, spelling))
                known = index.get(key)
                if known is not None and known.version != v.version:
                    raise ValueError(f"{v.kind} {spelling!r} would name both {known.version} and {v.version}")
                index[key] = v
        object.__setattr__(self, "_index", index)

    def lookup(self, kind: SpecKind, text: str) -> SpecVersion:
        spec = self._index.get((kind, version_key(kind, text)))
        if spec is None:
            raise UnknownVersion(text)
        return spec

    def of_kind(self, kind: SpecKind) -> list[SpecVersion]:
        return [v for v in self.versions if v.kind is kind]

    def with_version(self, spec: SpecVersion) -> SpecRegistry:
        """Add a version, or replace the one it matches (keeping that one's aliases unless it brings its own)."""
        key = version_key(spec.kind, spec.version)
        matched = [v for v in self.versions if v.kind is spec.kind and version_key(v.kind, v.version) == key]
        if matched and matched[0].aliases and not spec.aliases:
            spec = replace(spec, aliases=matched[0].aliases)
        kept = tuple(v for v in self.versions if v not in matched)
        return replace(self, versions=(*kept, spec))


def _date(value: Any) -> dt.date | None:
    return None if value in (None, "") else dt.date.fromisoformat(str(value))


def registry_from_json(data: dict[str, Any]) -> SpecRegistry:
    return SpecRegistry(
        versions=tuple(
            SpecVersion(
                kind=SpecKind(item["kind"]),
                version=str(item["version"]),
                effective_from=_date(item.get("effective_from")),
                end_date=_date(item.get("end_date")),
                aliases=tuple(str(a) for a in item.get("aliases", ())),
            )
            for item in data["versions"]
        ),
        note=str(data.get("note", "")),
    )


def registry_to_json(registry: SpecRegistry) -> dict[str, Any]:
    def iso(day: dt.date | None) -> str | None:
        return None if day is None else day.isoformat()

    return {
        "note": registry.note,
        "versions": [
            {
                "kind": str(v.kind),
                "version": v.version,
                "effective_from": iso(v.effective_from),
                "end_date": iso(v.end_date),
                **({"aliases": list(v.aliases)} if v.aliases else {}),
            }
            for v in sorted(registry.versions, key=lambda v: (v.kind, v.version))
        ],
    }
