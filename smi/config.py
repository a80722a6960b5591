"""The simulator's settings, from the environment, each defaulting to work with no configuration.

| variable | default |
|---|---|
| SMI_DATABASE_URL | sqlite:///var/smi.db |
| SMI_TRUST_ANCHORS | keys-dev/root-ca.pem (colon-separated PEM paths) |
| SMI_RECEIPT_SIGNER | pem:keys-dev/dcc-receipt-signer.pem:keys-dev/dcc-receipt-signer.key.pem:keys-dev/issuing-ca.pem |
| SMI_ALERTS_PATH | var/smi-alerts.jsonl |
| SMI_RECEIPTS_DIR | var/receipts |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/smi.db"
DEFAULT_TRUST_ANCHORS = "keys-dev/root-ca.pem"
DEFAULT_RECEIPT_SIGNER = (
    "pem:keys-dev/dcc-receipt-signer.pem:keys-dev/dcc-receipt-signer.key.pem:keys-dev/issuing-ca.pem"
)
DEFAULT_ALERTS_PATH = "var/smi-alerts.jsonl"
DEFAULT_RECEIPTS_DIR = "var/receipts"


@dataclass(frozen=True)
class Settings:
    database_url: str
    trust_anchors: tuple[Path, ...]
    receipt_signer: str
    alerts_path: Path
    receipts_dir: Path

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
        )
