"""The registry of Technical Specification and GBCS versions, with their effective and end dates.

The registry is data (a JSON file SECAS edits with `cpl specs`). Lookups are pure; only
``load_registry`` / ``save_registry`` touch the file.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any


class SpecKind(StrEnum):
    GBCS = "gbcs"
    TECHNICAL_SPECIFICATION = "technical_specification"


class UnknownVersion(LookupError):
    pass


@dataclass(frozen=True)
class SpecVersion:
    kind: SpecKind
    version: str
    effective_from: dt.date | None = None
    end_date: dt.date | None = None

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

    @functools.cached_property
    def _index(self) -> dict[tuple[SpecKind, str], SpecVersion]:
        return {(v.kind, version_key(v.kind, v.version)): v for v in self.versions}

    def lookup(self, kind: SpecKind, text: str) -> SpecVersion:
        spec = self._index.get((kind, version_key(kind, text)))
        if spec is None:
            raise UnknownVersion(text)
        return spec

    def of_kind(self, kind: SpecKind) -> list[SpecVersion]:
        return [v for v in self.versions if v.kind is kind]

    def with_version(self, spec: SpecVersion) -> SpecRegistry:
        """Add a version, or replace the one it matches."""
        key = version_key(spec.kind, spec.version)
        kept = tuple(v for v in self.versions if not (v.kind is spec.kind and version_key(v.kind, v.version) == key))
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
            }
            for v in sorted(registry.versions, key=lambda v: (v.kind, v.version))
        ],
    }


def default_registry_text() -> str:
    return resources.files("cpl").joinpath("data/specifications.json").read_text(encoding="utf-8")


def registry_path() -> Path:
    return Path(os.environ.get("CPL_SPECS_FILE", "var/specifications.json"))


def load_registry(path: Path | None = None) -> SpecRegistry:
    """The registry SECAS keeps; the packaged default until SECAS first changes it."""
    path = path or registry_path()
    text = path.read_text(encoding="utf-8") if path.exists() else default_registry_text()
    return registry_from_json(json.loads(text))


def save_registry(registry: SpecRegistry, path: Path | None = None) -> Path:
    path = path or registry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(registry_to_json(registry), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
