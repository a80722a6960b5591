"""The HTTP service's settings, read once when the app is created; each works with no configuration.

| variable | default |
|---|---|
| every `CPL_` variable of `cpl.config` | the authority's settings, read once with the rest |
| CPL_MAX_UPLOAD_BYTES | 10485760 (10 MiB): the largest request body an upload route reads |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cpl.config import Settings as CplSettings

DEFAULT_MAX_UPLOAD_BYTES: Final = 10 * 1024 * 1024


class SettingsError(ValueError):
    """A setting cannot be used; the message is one sentence naming the variable."""


@dataclass(frozen=True)
class Settings:
    cpl: CplSettings
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES

    @property
    def database_url(self) -> str:
        return self.cpl.database_url

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        limit_text = env.get("CPL_MAX_UPLOAD_BYTES", "").strip()
        limit = DEFAULT_MAX_UPLOAD_BYTES
        if limit_text:
            try:
                limit = int(limit_text)
            except ValueError:
                raise SettingsError(
                    f"CPL_MAX_UPLOAD_BYTES must be a whole number of bytes, not {limit_text!r}."
                ) from None
            if limit < 1:
                raise SettingsError("CPL_MAX_UPLOAD_BYTES must be at least 1.")
        return cls(cpl=CplSettings.from_environment(env), max_upload_bytes=limit)
