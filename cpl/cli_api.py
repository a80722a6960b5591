"""`cpl serve` and API tokens: commands of the HTTP service, registered on the main `cpl` app."""

from __future__ import annotations

from cpl.cli import app, parties_app

__all__ = ["app", "parties_app"]
