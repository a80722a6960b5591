"""Trust anchors: the root certificates a verifier is configured with, never taken from a file.

Several anchors may be trusted at once, so that a new root can be added before the old one is
retired (signing/ROTATION.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.verification import Store

from signing.errors import TrustConfigurationError
from signing.profile import describe_certificate

#: DEVELOPMENT ONLY: the default trust anchor, relative to the working directory.
DEV_TRUST_ANCHOR_PATHS: Final = ("keys-dev/root-ca.pem",)


@dataclass(frozen=True)
class TrustStore:
    """An immutable set of trust anchors (CA certificates)."""

    anchors: tuple[x509.Certificate, ...]
    _store: Store = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.anchors:
            raise TrustConfigurationError("at least one trust anchor must be configured.")
        unique: dict[bytes, x509.Certificate] = {}
        for anchor in self.anchors:
            _require_ca(anchor)
            unique.setdefault(anchor.fingerprint(hashes.SHA256()), anchor)
        object.__setattr__(self, "anchors", tuple(unique.values()))
        object.__setattr__(self, "_store", Store(list(self.anchors)))

    @classmethod
    def from_certificates(cls, certificates: Iterable[x509.Certificate]) -> TrustStore:
        return cls(tuple(certificates))

    @classmethod
    def from_pem_files(cls, paths: Iterable[str | Path]) -> TrustStore:
        return cls(tuple(c for path in paths for c in _read_pem_certificates(Path(path))))

    @property
    def store(self) -> Store:
        """The anchors as a cryptography verification Store."""
        return self._store

    def __contains__(self, certificate: object) -> bool:
        return certificate in self.anchors


def load_trust(paths: Sequence[str | Path]) -> TrustStore:
    """The trust anchors in these PEM files (each may hold several certificates)."""
    return TrustStore.from_pem_files(paths)


def _read_pem_certificates(path: Path) -> list[x509.Certificate]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TrustConfigurationError(f"cannot read trust anchor file {path} ({error.strerror}).") from None
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise TrustConfigurationError(f"trust anchor file {path} holds no PEM certificate.") from None


def _require_ca(certificate: x509.Certificate) -> None:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise TrustConfigurationError(f"trust anchor {describe_certificate(certificate)} is not a CA certificate.")
