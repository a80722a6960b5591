"""The authority's settings, read once from an environment mapping and passed to what needs them.

Everything works with no configuration: the defaults are SQLite under ./var/ and the keys-dev/
development credentials.

| variable | default |
|---|---|
| CPL_DATABASE_URL | sqlite:///var/cpl.db |
| CPL_SPECS_FILE | var/specifications.json (starts as the packaged cpl/data/specifications.json) |
| CPL_SIGNER | pem:keys-dev/secas-signer-1.pem:keys-dev/secas-signer-1.key.pem:keys-dev/issuing-ca.pem |
| CPL_EXTRACT_TRUST | keys-dev/root-ca.pem (colon-separated PEM files, several during a rollover) |
| CPL_RECEIPT_TRUST | keys-dev/root-ca.pem |
| CPL_SUBMISSION_TRUST | keys-dev/root-ca.pem |
| CPL_SUBMISSION_POLICY | the development submission-signing policy OID |
| CPL_EXTRACT_DIR | var/extracts |
| CPL_PUBLIC_DIR | var/public |
| CPL_SMTP_URL | none: notices are written as .eml files to CPL_OUTBOX_DIR |
| CPL_OUTBOX_DIR | var/outbox |
| CPL_MAIL_FROM | cpl@secas.example |

The signer's secrets (CPL_SIGNER_PASSPHRASE, CPL_PKCS11_PIN) are read by `signing.signers` when the
signer is loaded, so they never sit in a settings object.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from signing.profile import DEV_POLICY_SUBMISSION_SIGNING
from signing.signers import DEV_EXTRACT_SIGNER_SPEC
from signing.trust import DEV_TRUST_ANCHOR_PATHS, TrustStore, load_trust

DEFAULT_DATABASE_URL = "sqlite:///var/cpl.db"
DEFAULT_SPECS_FILE = "var/specifications.json"
DEFAULT_EXTRACT_DIR = "var/extracts"
DEFAULT_PUBLIC_DIR = "var/public"
DEFAULT_OUTBOX_DIR = "var/outbox"
DEFAULT_MAIL_FROM = "cpl@secas.example"


def _paths(env: Mapping[str, str], variable: str, default: tuple[str, ...]) -> tuple[Path, ...]:
    value = env.get(variable)
    return tuple(Path(p) for p in (value.split(os.pathsep) if value else default) if p)


def _text(env: Mapping[str, str], variable: str, default: str) -> str:
    return env.get(variable, "").strip() or default


@dataclass(frozen=True)
class MailSettings:
    """How notices leave: SMTP when ``smtp_url`` is set, else ``.eml`` files in ``outbox_dir``."""

    smtp_url: str | None = None
    outbox_dir: Path = Path(DEFAULT_OUTBOX_DIR)
    mail_from: str = DEFAULT_MAIL_FROM

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> MailSettings:
        return cls(
            smtp_url=environ.get("CPL_SMTP_URL", "").strip() or None,
            outbox_dir=Path(_text(environ, "CPL_OUTBOX_DIR", DEFAULT_OUTBOX_DIR)),
            mail_from=_text(environ, "CPL_MAIL_FROM", DEFAULT_MAIL_FROM),
        )


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    specs_file: Path = Path(DEFAULT_SPECS_FILE)
    signer_spec: str = DEV_EXTRACT_SIGNER_SPEC
    extract_trust_paths: tuple[Path, ...] = tuple(Path(p) for p in DEV_TRUST_ANCHOR_PATHS)
    receipt_trust_paths: tuple[Path, ...] = tuple(Path(p) for p in DEV_TRUST_ANCHOR_PATHS)
    submission_trust_paths: tuple[Path, ...] = tuple(Path(p) for p in DEV_TRUST_ANCHOR_PATHS)
    submission_policy: str = DEV_POLICY_SUBMISSION_SIGNING
    extract_dir: Path = Path(DEFAULT_EXTRACT_DIR)
    public_dir: Path = Path(DEFAULT_PUBLIC_DIR)
    mail: MailSettings = field(default_factory=MailSettings)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("CPL_DATABASE_URL") or DEFAULT_DATABASE_URL,
            specs_file=Path(env.get("CPL_SPECS_FILE") or DEFAULT_SPECS_FILE),
            signer_spec=env.get("CPL_SIGNER") or DEV_EXTRACT_SIGNER_SPEC,
            extract_trust_paths=_paths(env, "CPL_EXTRACT_TRUST", DEV_TRUST_ANCHOR_PATHS),
            receipt_trust_paths=_paths(env, "CPL_RECEIPT_TRUST", DEV_TRUST_ANCHOR_PATHS),
            submission_trust_paths=_paths(env, "CPL_SUBMISSION_TRUST", DEV_TRUST_ANCHOR_PATHS),
            submission_policy=env.get("CPL_SUBMISSION_POLICY") or DEV_POLICY_SUBMISSION_SIGNING,
            extract_dir=Path(env.get("CPL_EXTRACT_DIR") or DEFAULT_EXTRACT_DIR),
            public_dir=Path(env.get("CPL_PUBLIC_DIR") or DEFAULT_PUBLIC_DIR),
            mail=MailSettings.from_environment(env),
        )

    def extract_trust(self, override: Path | None = None) -> TrustStore:
        """Anchors for verifying extracts; ``override`` (a command's --trust) replaces the configured ones."""
        return load_trust([override] if override else list(self.extract_trust_paths))

    def receipt_trust(self) -> TrustStore:
        return load_trust(list(self.receipt_trust_paths))

    def submission_trust(self) -> TrustStore:
        return load_trust(list(self.submission_trust_paths))
