"""The version registry's file: the packaged default, and the copy SECAS edits with `cpl specs`."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from cpl.core.specs import SpecRegistry, registry_from_json, registry_to_json


def default_registry_text() -> str:
    return resources.files("cpl").joinpath("data/specifications.json").read_text(encoding="utf-8")


def load_registry(path: Path) -> SpecRegistry:
    """The registry SECAS keeps (``CPL_SPECS_FILE``); the packaged default until SECAS first changes it."""
    if not path.exists():
        return default_registry()
    return registry_from_json(json.loads(path.read_text(encoding="utf-8")))


def save_registry(registry: SpecRegistry, path: Path) -> Path:
    """Write the registry atomically: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(registry_to_json(registry), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def default_registry() -> SpecRegistry:
    """The packaged registry, as shipped (what a fresh installation starts from)."""
    return registry_from_json(json.loads(default_registry_text()))
