"""The simulator's settings, from the environment, each defaulting to work with no configuration.

| variable | default |
|---|---|
| SMI_DATABASE_URL | sqlite:///var/smi.db |
| SMI_TRUST_ANCHORS | keys-dev/root-ca.pem (colon-separated PEM paths) |
| SMI_RECEIPT_SIGNER | pem:keys-dev/dcc-receipt-signer.pem:keys-dev/dcc-receipt-signer.key.pem:keys-dev/issuing-ca.pem |
| SMI_ALERTS_PATH | var/smi-alerts.jsonl |
| SMI_RECEIPTS_DIR | var/receipts |
| SMI_TRUST_CRL | none: no revocation check (colon-separated CRL files, DER or PEM, one per CA) |
| SMI_BUSY_TIMEOUT | 60 (seconds to wait for a locked database, or for another applier, before saying "try again") |
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from smi.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite:///var/smi.db"
DEFAULT_TRUST_ANCHORS = "keys-dev/root-ca.pem"
DEFAULT_RECEIPT_SIGNER = (
    "pem:keys-dev/dcc-receipt-signer.pem:keys-dev/dcc-receipt-signer.key.pem:keys-dev/issuing-ca.pem"
)
DEFAULT_ALERTS_PATH = "var/smi-alerts.jsonl"
DEFAULT_RECEIPTS_DIR = "var/receipts"
DEFAULT_BUSY_TIMEOUT = 60.0


@dataclass(frozen=True)
class Settings:
    database_url: str
    trust_anchors: tuple[Path, ...]
    receipt_signer: str
    alerts_path: Path
    receipts_dir: Path
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT
    #: CRLs the extract signer's chain is checked against (none: no revocation check).
    trust_crls: tuple[Path, ...] = ()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        anchors = env.get("SMI_TRUST_ANCHORS") or DEFAULT_TRUST_ANCHORS
        return cls(
            database_url=env.get("SMI_DATABASE_URL") or DEFAULT_DATABASE_URL,
            trust_anchors=tuple(Path(p) for p in anchors.split(":") if p),
            receipt_signer=env.get("SMI_RECEIPT_SIGNER") or DEFAULT_RECEIPT_SIGNER,
            alerts_path=Path(env.get("SMI_ALERTS_PATH") or DEFAULT_ALERTS_PATH),
            receipts_dir=Path(env.get("SMI_RECEIPTS_DIR") or DEFAULT_RECEIPTS_DIR),
            busy_timeout=_seconds(env.get("SMI_BUSY_TIMEOUT")),
            trust_crls=tuple(Path(p) for p in (env.get("SMI_TRUST_CRL") or "").split(":") if p),
        )


def _seconds(text: str | None) -> float:
    if not text:
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 86_400:
        raise ConfigurationError(f"SMI_BUSY_TIMEOUT {text!r} is not a number of seconds between 0 and 86400.")
    return value
