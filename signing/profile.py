"""The certificate and algorithm profile this package signs and verifies to (DOMAIN.md rule 7).

Modelled on GBCS / the SMKI and IKI certificate profiles: NIST P-256 keys only, ECDSA with
SHA-256 only, X.509 v3 per RFC 5280 with keyUsage and certificatePolicies critical and 8-octet
key identifiers (RFC 5280 section 4.2.1.2, method 2). One place for each of these facts.

The DEVELOPMENT certificate policy OIDs are `signing.development`'s, given here too.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from signing.development import DEV_POLICY_CPL_EXTRACT_SIGNING as DEV_POLICY_CPL_EXTRACT_SIGNING
from signing.development import DEV_POLICY_DCC_RECEIPT_SIGNING as DEV_POLICY_DCC_RECEIPT_SIGNING
from signing.development import DEV_POLICY_PURPOSES as DEV_POLICY_PURPOSES
from signing.development import DEV_POLICY_SUBMISSION_SIGNING as DEV_POLICY_SUBMISSION_SIGNING

#: How far a time another party wrote (a signing-time, a CRL's thisUpdate) may run ahead of the
#: verifier's clock: the other party's clock may run fast.
CLOCK_SKEW: Final = dt.timedelta(minutes=5)

#: The only curve: NIST P-256 (secp256r1).
CURVE_NAME: Final = "secp256r1"
#: Size in octets of one P-256 scalar (r and s of a signature are each this long when raw).
P256_SCALAR_OCTETS: Final = 32
#: RFC 5280 section 4.2.1.2 method 2: four-bit type 0100, then 60 bits of the SHA-1.
KEY_IDENTIFIER_OCTETS: Final = 8


def is_p256_key(key: object) -> bool:
    """True for a NIST P-256 public or private key, and for nothing else."""
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return key.curve.name == CURVE_NAME
    return False


def describe_key(key: object) -> str:
    """A short name for a key's algorithm and size, for refusal messages."""
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return f"an EC key on {key.curve.name}"
    size = getattr(key, "key_size", None)
    kind = type(key).__name__.removeprefix("_").replace("PublicKey", "").replace("PrivateKey", "")
    return f"a key of type {kind}" + (f" ({size} bits)" if size else "")


def key_identifier(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The 8-octet key identifier of RFC 5280 section 4.2.1.2 method 2.

    0100 followed by the 60 least significant bits of the SHA-1 of the subjectPublicKey BIT
    STRING's value. cryptography's method-1 identifier is exactly that SHA-1, so this takes its
    last 8 octets and overwrites the top four bits with the type 0100.
    """
    sha1 = x509.SubjectKeyIdentifier.from_public_key(public_key).digest
    tail = sha1[-KEY_IDENTIFIER_OCTETS:]
    return bytes([0x40 | (tail[0] & 0x0F)]) + tail[1:]


def party_id(certificate: x509.Certificate) -> str | None:
    """The party a certificate speaks for: its subject common name (None if it has none)."""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(names) != 1:
        return None
    value = names[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def certificate_policies(certificate: x509.Certificate) -> frozenset[str]:
    """The dotted OIDs in a certificate's certificatePolicies extension (empty when absent)."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.CertificatePolicies)
    except x509.ExtensionNotFound:
        return frozenset()
    return frozenset(info.policy_identifier.dotted_string for info in extension.value)


def has_digital_signature(certificate: x509.Certificate) -> bool:
    """True when the certificate carries keyUsage with digitalSignature set."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return bool(usage.digital_signature)


def subject_key_identifier_of(certificate: x509.Certificate) -> bytes | None:
    """The certificate's subjectKeyIdentifier (None when it has none, or it is malformed)."""
    try:
        return certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except (x509.ExtensionNotFound, ValueError):
        return None


def serial_text(serial_number: int) -> str:
    """How messages write a serial number: upper-case hex, as `openssl x509 -serial` and `openssl crl -text` do."""
    return f"{serial_number:X}"


def describe_certificate(certificate: x509.Certificate) -> str:
    """How refusal messages name a certificate: its subject and serial number."""
    return f"'{certificate.subject.rfc4514_string()}' (serial {serial_text(certificate.serial_number)})"


def names_match(encoded: bytes, other: bytes) -> bool:
    """DER names equal as encoded or, like OpenSSL's X509_NAME_cmp, after RFC 5280 normalisation."""
    if encoded == other:
        return True
    try:
        return bool(asn1_x509.Name.load(encoded) == asn1_x509.Name.load(other))
    except Exception:  # a name asn1crypto cannot normalise is no match
        return False
