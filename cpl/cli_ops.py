"""`cpl expiry`, `cpl publish`, `cpl audit`: the operational commands, registered on the main `cpl` app."""

from __future__ import annotations

from cpl.cli import app

__all__ = ["app"]
