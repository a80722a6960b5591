"""Trust anchors and CRLs: what a verifier is configured with, never taken from a file.

Several anchors may be trusted at once, so that a new root can be added before the old one is
retired (signing/ROTATION.md). CRLs, when configured, refuse a signer or issuing CA that its CA
has revoked; the rules are `signing.revocation`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.verification import Store

from signing.development import DEV_TRUST_ANCHOR_PATHS as DEV_TRUST_ANCHOR_PATHS
from signing.errors import TrustConfigurationError
from signing.profile import describe_certificate
from signing.revocation import read_crl_file, require_supported_crl, unique_crls


@dataclass(frozen=True)
class TrustStore:
    """An immutable set of trust anchors (CA certificates) and the CRLs to check chains against.

    With no ``crls`` nothing is checked for revocation; with any, every CA in a chain needs a
    current one (`signing.revocation`).
    """

    anchors: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    _store: Store = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.anchors:
            raise TrustConfigurationError("at least one trust anchor must be configured.")
        unique: dict[bytes, x509.Certificate] = {}
        for anchor in self.anchors:
            _require_ca(anchor)
            unique.setdefault(anchor.fingerprint(hashes.SHA256()), anchor)
        crls = tuple(self.crls)
        for crl in crls:
            require_supported_crl(crl, "a configured CRL")
        object.__setattr__(self, "anchors", tuple(unique.values()))
        object.__setattr__(self, "crls", unique_crls(crls))
        object.__setattr__(self, "_store", Store(list(self.anchors)))

    @classmethod
    def from_certificates(
        cls, certificates: Iterable[x509.Certificate], crls: Iterable[x509.CertificateRevocationList] = ()
    ) -> TrustStore:
        return cls(tuple(certificates), tuple(crls))

    @classmethod
    def from_pem_files(cls, paths: Iterable[str | Path], crl_paths: Iterable[str | Path] = ()) -> TrustStore:
        """Anchors from PEM files; CRLs from DER or PEM files (each may hold several PEM CRLs)."""
        return cls(tuple(c for path in paths for c in _read_pem_certificates(Path(path))), load_crls(list(crl_paths)))

    def with_crls(self, crls: Iterable[x509.CertificateRevocationList]) -> TrustStore:
        """The same anchors, checking chains against ``crls`` (in place of any held before)."""
        return TrustStore(self.anchors, tuple(crls))

    @property
    def store(self) -> Store:
        """The anchors as a cryptography verification Store."""
        return self._store

    @property
    def checks_revocation(self) -> bool:
        """True when CRLs are configured, so every chain is checked against them."""
        return bool(self.crls)

    def __contains__(self, certificate: object) -> bool:
        return certificate in self.anchors


def load_trust(paths: Sequence[str | Path], crl_paths: Sequence[str | Path] = ()) -> TrustStore:
    """The trust anchors in these PEM files (each may hold several); chains checked against ``crl_paths``' CRLs."""
    return TrustStore.from_pem_files(paths, crl_paths)


def load_crls(paths: Sequence[str | Path]) -> tuple[x509.CertificateRevocationList, ...]:
    """The CRLs in these files, DER or PEM (several PEM CRLs to a file), each checked to be usable.

    No paths, no CRLs: revocation is then not checked. Raises TrustConfigurationError, naming the
    file, for one that cannot be read, holds no CRL, or a CRL this verifier cannot rely on.
    """
    return unique_crls([crl for path in paths for crl in read_crl_file(path)])


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
