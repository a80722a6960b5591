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
| CPL_NEXT_UPDATE_DAYS | 8: each extract promises the next within 8 days; 0 for no promise |
| CPL_EXTRACT_CRL | none: no revocation check (colon-separated DER or PEM CRL files, one per CA in a chain) |
| CPL_RECEIPT_CRL | none (as CPL_EXTRACT_CRL, for the DCC's receipts) |
| CPL_SUBMISSION_CRL | none (as CPL_EXTRACT_CRL, for signed submission workbooks) |

The signer's secrets (CPL_SIGNER_PASSPHRASE, CPL_PKCS11_PIN) are read by `signing.signers` when the
signer is loaded, so they never sit in a settings object.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from signing.development import DEV_EXTRACT_SIGNER_SPEC, DEV_POLICY_SUBMISSION_SIGNING, DEV_TRUST_ANCHOR_PATHS

if TYPE_CHECKING:
    from signing.trust import TrustStore

# The trust anchors are loaded (with cryptography) when a verifier asks for them: reading the settings
# costs none, so a command that verifies nothing (`cpl check` of an unsigned workbook) never loads it.

DEFAULT_DATABASE_URL = "sqlite:///var/cpl.db"
DEFAULT_SPECS_FILE = "var/specifications.json"
DEFAULT_EXTRACT_DIR = "var/extracts"
DEFAULT_PUBLIC_DIR = "var/public"
DEFAULT_OUTBOX_DIR = "var/outbox"
DEFAULT_MAIL_FROM = "cpl@secas.example"
DEFAULT_NEXT_UPDATE_DAYS = 8


class ConfigurationError(ValueError):
    """A setting that cannot be used; the message names the variable, never a secret it holds."""


def _days(env: Mapping[str, str], variable: str, default: int) -> dt.timedelta | None:
    text = env.get(variable, "").strip()
    try:
        days = int(text) if text else default
    except ValueError:
        raise ConfigurationError(f"{variable} must be a whole number of days, not {text!r}.") from None
    if days < 0:
        raise ConfigurationError(f"{variable} must be 0 (no promise) or more days, not {days}.")
    return dt.timedelta(days=days) if days else None


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
    #: Whether a SQLite database that does not exist may be created (the CLI allows it only in the
    #: commands that set a store up; anything else refuses it rather than answer from an empty store).
    new_store_allowed: bool = True
    specs_file: Path = Path(DEFAULT_SPECS_FILE)
    signer_spec: str = DEV_EXTRACT_SIGNER_SPEC
    extract_trust_paths: tuple[Path, ...] = tuple(Path(p) for p in DEV_TRUST_ANCHOR_PATHS)
    receipt_trust_paths: tuple[Path, ...] = tuple(Path(p) for p in DEV_TRUST_ANCHOR_PATHS)
    submission_trust_paths: tuple[Path, ...] = tuple(Path(p) for p in DEV_TRUST_ANCHOR_PATHS)
    #: CRLs (DER or PEM files) the verifiers check every certificate of a signer's chain against.
    extract_crl_paths: tuple[Path, ...] = ()
    receipt_crl_paths: tuple[Path, ...] = ()
    submission_crl_paths: tuple[Path, ...] = ()
    submission_policy: str = DEV_POLICY_SUBMISSION_SIGNING
    extract_dir: Path = Path(DEFAULT_EXTRACT_DIR)
    public_dir: Path = Path(DEFAULT_PUBLIC_DIR)
    #: How soon after an extract the next is promised (its ``next_update_by``); None: no promise.
    next_update_within: dt.timedelta | None = dt.timedelta(days=DEFAULT_NEXT_UPDATE_DAYS)
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
            extract_crl_paths=_paths(env, "CPL_EXTRACT_CRL", ()),
            receipt_crl_paths=_paths(env, "CPL_RECEIPT_CRL", ()),
            submission_crl_paths=_paths(env, "CPL_SUBMISSION_CRL", ()),
            submission_policy=env.get("CPL_SUBMISSION_POLICY") or DEV_POLICY_SUBMISSION_SIGNING,
            extract_dir=Path(env.get("CPL_EXTRACT_DIR") or DEFAULT_EXTRACT_DIR),
            public_dir=Path(env.get("CPL_PUBLIC_DIR") or DEFAULT_PUBLIC_DIR),
            next_update_within=_days(env, "CPL_NEXT_UPDATE_DAYS", DEFAULT_NEXT_UPDATE_DAYS),
            mail=MailSettings.from_environment(env),
        )

    def extract_trust(self, override: Path | None = None) -> TrustStore:
        """Anchors for verifying extracts; ``override`` (a command's --trust) replaces the configured ones."""
        from signing.trust import load_trust

        anchors = [override] if override else list(self.extract_trust_paths)
        return load_trust(anchors, crl_paths=list(self.extract_crl_paths))

    def receipt_trust(self) -> TrustStore:
        from signing.trust import load_trust

        return load_trust(list(self.receipt_trust_paths), crl_paths=list(self.receipt_crl_paths))

    def submission_trust(self) -> TrustStore:
        from signing.trust import load_trust

        return load_trust(list(self.submission_trust_paths), crl_paths=list(self.submission_crl_paths))
