"""What a new extract changes since the last one, and the removal rule it must meet. Pure.

The authority refuses to draft an extract that drops an entry, or removes one, without the Panel's
decision reference; the DCC applies the same rule on its side (`smi.rules`), independently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from formats.extract import ExtractEntry


@dataclass(frozen=True)
class ExtractChanges:
    added: list[str]
    removed: list[dict[str, str | None]]
    restored: list[str]
    changed: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "removed": self.removed, "restored": self.restored, "changed": self.changed}

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.restored or self.changed)


def extract_changes(previous: Sequence[ExtractEntry], current: Sequence[ExtractEntry]) -> ExtractChanges:
    """What the DCC will see change: added, newly removed (with Panel references), restored, otherwise changed."""
    before = {e.entry_id: e for e in previous}
    added, removed, restored, changed = [], [], [], []
    for entry in current:
        old = before.get(entry.entry_id)
        if old is None:
            added.append(entry.entry_id)
        elif old.is_active and not entry.is_active:
            removed.append(
                {"entry_id": entry.entry_id, "status": entry.status, "panel_reference": entry.panel_reference}
            )
        elif not old.is_active and entry.is_active:
            restored.append(entry.entry_id)
        elif old != entry:
            changed.append(entry.entry_id)
    return ExtractChanges(added, removed, restored, changed)


def removed_without_panel_reference(previous: Sequence[ExtractEntry], current: Sequence[ExtractEntry]) -> list[str]:
    """Entries Active before that are gone, or no longer Active, without a Panel reference."""
    was_active = {e.entry_id for e in previous if e.is_active}
    now = {e.entry_id: e for e in current}
    missing = []
    for entry_id in sorted(was_active):
        entry = now.get(entry_id)
        if entry is None or (not entry.is_active and not entry.panel_reference):
            missing.append(entry_id)
    return missing
