"""Revocation: the CRLs a verifier is configured with, and the check of a validated chain against them.

CRLs are configured at the verifier beside its trust anchors (`TrustStore(..., crls=...)`,
`load_trust(paths, crl_paths=...)`), never taken from a signed file. When a `TrustStore` holds
none, nothing is checked (as before); when it holds any, `verify_signed_data` applies these rules
to the chain it has validated, signer first and trust anchor last:

- **As of the verifier's time, not the signing-time.** A certificate listed on a current CRL is
  refused whatever the file's signing-time says: the signing-time is written by the very key
  that was revoked, so a stolen key could otherwise date its forgeries before the revocation.
  The time is the verifier's ``now`` (the DCC's receipt time), or its clock when none is given.
  A consequence: once a signer is revoked, the files it signed earlier are refused too, so a
  key retired without compromise is simply not used again, not revoked (signing/ROTATION.md).
- **Every CA in the chain.** Each certificate below the anchor (the signer, each issuing CA) is
  looked up on the CRLs of the CA that issued it; a CA in the chain with no configured CRL is a
  refusal (`MissingCrlError`), like `openssl cms -verify -crl_check_all`: revocation that cannot
  be checked is never taken as "not revoked". The anchor itself is trusted by configuration and
  is retired by removing it, not by a CRL.
- **Whose CRL.** A CRL belongs to a CA when its issuer is the CA's subject and its
  authorityKeyIdentifier, when present, is the CA's subjectKeyIdentifier (another key of the
  same name, after a CA re-key, has CRLs of its own). Each must be signed by that CA, which must
  have keyUsage cRLSign (`CrlSignatureError`). The newest (latest thisUpdate) must be current:
  thisUpdate no later than the time plus `CLOCK_SKEW`, nextUpdate not before the time
  (`StaleCrlError`); older ones are superseded, but a certificate listed on any of them is
  refused (`CertificateRevokedError`), so keeping an old file never loses a revocation.
- **What may be configured.** Complete CRLs only, DER or PEM (several in one PEM file), signed
  with ecdsa-with-SHA256, each with a nextUpdate, with no critical extension (a delta CRL, an
  issuing distribution point: a partitioned or indirect CRL) and no critical entry extension
  (certificateIssuer); anything else is a `TrustConfigurationError` when it is loaded.

certificateHold counts as revoked for as long as the CRL lists it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from asn1crypto import pem
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import SignatureAlgorithmOID

from signing.errors import (
    CertificateRevokedError,
    CrlSignatureError,
    MissingCrlError,
    StaleCrlError,
    TrustConfigurationError,
)
from signing.profile import CLOCK_SKEW, describe_certificate, names_match, serial_text, subject_key_identifier_of

_PEM_CRL: Final = "X509 CRL"
#: Names for the refusal of a CRL signed with another algorithm than ecdsa-with-SHA256.
_SIGNATURE_NAMES: Final = {
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ecdsa-with-SHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ecdsa-with-SHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ecdsa-with-SHA512",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "sha256WithRSAEncryption",
    SignatureAlgorithmOID.ED25519: "Ed25519",
}


# --- loading ----------------------------------------------------------------------------------


def read_crl_file(path: str | Path) -> list[x509.CertificateRevocationList]:
    """Every CRL in one file: DER (one CRL) or PEM (one or more ``X509 CRL`` blocks), each checked."""
    location = Path(path)
    try:
        data = location.read_bytes()
    except OSError as error:
        raise TrustConfigurationError(f"cannot read CRL file {location} ({error.strerror}).") from None
    if pem.detect(data):
        crls = [_load(der, location, pem_block=True) for der in _pem_blocks(data, location)]
    else:
        crls = [_load(data, location, pem_block=False)]
    for crl in crls:
        require_supported_crl(crl, f"CRL file {location}")
    return crls


def _pem_blocks(data: bytes, location: Path) -> list[bytes]:
    try:
        blocks = list(pem.unarmor(data, multiple=True))
    except ValueError:
        raise TrustConfigurationError(f"CRL file {location} is not well-formed PEM.") from None
    for name, _, _ in blocks:
        if name != _PEM_CRL:
            raise TrustConfigurationError(f"CRL file {location} holds a PEM {name}, not an {_PEM_CRL}.")
    return [der for _, _, der in blocks]


def _load(der: bytes, location: Path, *, pem_block: bool) -> x509.CertificateRevocationList:
    try:
        return x509.load_der_x509_crl(der)
    except ValueError:
        what = "a PEM block that is not a well-formed CRL" if pem_block else "no CRL (neither PEM nor DER)"
        raise TrustConfigurationError(f"CRL file {location} holds {what}.") from None


def require_supported_crl(crl: x509.CertificateRevocationList, origin: str) -> None:
    """Refuse (TrustConfigurationError) a CRL this verifier cannot rely on as a complete list.

    ``origin`` names it in the sentence, e.g. ``CRL file issuing-ca.crl``.
    """
    issuer = crl.issuer.rfc4514_string()
    if crl.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA256:
        algorithm = _SIGNATURE_NAMES.get(crl.signature_algorithm_oid, crl.signature_algorithm_oid.dotted_string)
        raise TrustConfigurationError(
            f"{origin} (issuer '{issuer}') is signed with {algorithm}; only ecdsa-with-SHA256 is allowed."
        )
    if crl.next_update_utc is None:
        raise TrustConfigurationError(f"{origin} (issuer '{issuer}') has no nextUpdate, so it could never expire.")
    try:
        _require_complete(crl, origin, issuer)
    except ValueError:  # cryptography parses extensions when asked, and refuses malformed ones
        raise TrustConfigurationError(f"{origin} (issuer '{issuer}') has a malformed extension.") from None


def _require_complete(crl: x509.CertificateRevocationList, origin: str, issuer: str) -> None:
    for extension in crl.extensions:
        if isinstance(extension.value, x509.DeltaCRLIndicator):
            raise TrustConfigurationError(f"{origin} (issuer '{issuer}') is a delta CRL; only complete CRLs are used.")
        if isinstance(extension.value, x509.IssuingDistributionPoint):
            raise TrustConfigurationError(
                f"{origin} (issuer '{issuer}') has an issuing distribution point (a partitioned or indirect CRL); "
                "only complete CRLs are used."
            )
        if extension.critical:
            raise TrustConfigurationError(
                f"{origin} (issuer '{issuer}') carries critical extension {extension.oid.dotted_string}, "
                "which this verifier does not understand."
            )
    for entry in crl:
        for entry_extension in entry.extensions:
            if entry_extension.critical:
                serial = serial_text(entry.serial_number)
                raise TrustConfigurationError(
                    f"{origin} (issuer '{issuer}') lists serial {serial} with critical extension "
                    f"{entry_extension.oid.dotted_string} (an indirect CRL?), which this verifier does not understand."
                )


def unique_crls(crls: Sequence[x509.CertificateRevocationList]) -> tuple[x509.CertificateRevocationList, ...]:
    """The CRLs in order, each once (the same CRL configured twice counts once)."""
    unique: dict[bytes, x509.CertificateRevocationList] = {}
    for crl in crls:
        unique.setdefault(crl.fingerprint(hashes.SHA256()), crl)
    return tuple(unique.values())


# --- checking a validated chain ---------------------------------------------------------------


def check_chain_revocation(
    path: Sequence[x509.Certificate], crls: Sequence[x509.CertificateRevocationList], at: dt.datetime
) -> None:
    """Raise unless no certificate of the validated ``path`` (signer first, anchor last) is revoked at ``at``.

    Does nothing when ``crls`` is empty (revocation is not configured). See the module's rules.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if not crls:
        return
    for position, (certificate, issuer) in enumerate(itertools.pairwise(path)):
        role = "signer certificate" if position == 0 else "issuing CA certificate"
        named = f"{role} serial {serial_text(certificate.serial_number)}"
        issuer_crls = _crls_of(issuer, crls, named)
        for crl in issuer_crls:
            _check_crl_signature(crl, issuer)
        _check_current(max(issuer_crls, key=_freshness), at)
        for crl in issuer_crls:
            entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
            if entry is not None:
                raise CertificateRevokedError(
                    f"the {named} ('{certificate.subject.rfc4514_string()}') was revoked on "
                    f"{entry.revocation_date_utc.isoformat()} ({_reason(entry)}) by {_describe(crl)}."
                )


def _crls_of(
    issuer: x509.Certificate, crls: Sequence[x509.CertificateRevocationList], checked: str
) -> list[x509.CertificateRevocationList]:
    """The configured CRLs of ``issuer``'s key; ``checked`` names the certificate to check, for the refusal."""
    by_name = [crl for crl in crls if names_match(crl.issuer.public_bytes(), issuer.subject.public_bytes())]
    issuer_key = subject_key_identifier_of(issuer)
    own = [crl for crl in by_name if issuer_key is None or _authority_key_identifier(crl) in (None, issuer_key)]
    if not own and by_name:
        raise CrlSignatureError(
            f"the configured CRLs of '{issuer.subject.rfc4514_string()}' were made by another key than the "
            f"issuing CA in the chain, {describe_certificate(issuer)} (their authority key identifier differs), "
            f"so the revocation of the {checked} cannot be checked."
        )
    if not own:
        raise MissingCrlError(
            f"no CRL of '{issuer.subject.rfc4514_string()}' is configured, so the revocation of the {checked} "
            "cannot be checked (with CRLs configured, every CA in the chain needs one)."
        )
    return own


def _check_crl_signature(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> None:
    try:
        usage: x509.KeyUsage | None = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None  # RFC 5280 4.2.1.3: no keyUsage restricts nothing
    if usage is not None and not usage.crl_sign:
        raise CrlSignatureError(
            f"{_describe(crl)} names the CA {describe_certificate(issuer)}, whose keyUsage does not allow "
            "signing CRLs (cRLSign)."
        )
    try:
        valid = crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except Exception:  # a key type the CRL cannot be checked with is no valid signature
        valid = False
    if not valid:
        raise CrlSignatureError(
            f"{_describe(crl)} is not signed by the issuing CA in the chain, {describe_certificate(issuer)}, "
            "so it is not used and revocation cannot be checked."
        )


def _check_current(crl: x509.CertificateRevocationList, at: dt.datetime) -> None:
    next_update = crl.next_update_utc
    moment = at.astimezone(dt.UTC).replace(microsecond=0).isoformat()
    if crl.last_update_utc > at + CLOCK_SKEW:
        raise StaleCrlError(f"{_describe(crl)} is not yet valid at {moment}, so revocation cannot be checked.")
    if next_update is None or next_update < at:
        due = next_update.isoformat() if next_update is not None else "never"
        raise StaleCrlError(
            f"{_describe(crl)} expired at {due} (its nextUpdate), before {moment}; "
            "a newer CRL is needed before revocation can be checked."
        )


def _freshness(crl: x509.CertificateRevocationList) -> tuple[dt.datetime, int]:
    try:
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        number = -1
    return crl.last_update_utc, number


def _describe(crl: x509.CertificateRevocationList) -> str:
    return f"the CRL of '{crl.issuer.rfc4514_string()}' issued {crl.last_update_utc.isoformat()}"


def _reason(entry: x509.RevokedCertificate) -> str:
    try:
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return "no reason given"
    return f"reason {reason.value}"


def _authority_key_identifier(crl: x509.CertificateRevocationList) -> bytes | None:
    try:
        return crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except (x509.ExtensionNotFound, ValueError):
        return None
