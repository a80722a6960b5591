"""CMS SignedData (RFC 5652) on the GBCS algorithm profile: made and verified strictly.

`sign_data` makes the signed CPL extract (CONTRACT.md section 2, encapsulated) and the detached
signature over a submission workbook (section 1). `verify_signed_data` accepts exactly one signer,
SHA-256, ecdsa-with-SHA256 and NIST P-256 and nothing else; it requires the content-type,
message-digest and signing-time signed attributes; it verifies the signature over the DER of the
signed attributes as a SET; and it builds the signer's chain from the file's certificates to an
anchor in the verifier's `TrustStore` only (never to a root found in the file), valid at the
signing time; when the `TrustStore` holds CRLs, no certificate of that chain may be revoked
(`signing.revocation`). Each refusal is its own `VerificationError` subclass.

ASN.1 is built and parsed with asn1crypto and every cryptographic operation is cryptography's;
the chain is built and checked by cryptography's X.509 verifier with an extension policy for
this profile.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from asn1crypto import algos, core
from asn1crypto import cms as asn1_cms
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as CryptographyUnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import SignatureAlgorithmOID
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder

from signing.errors import (
    BadSignatureError,
    ContentTypeAttributeMismatchError,
    ExtraContentError,
    KeyUsageError,
    MalformedCmsError,
    MessageDigestMismatchError,
    MissingContentError,
    MissingIssuerCertificateError,
    MissingSignedAttributeError,
    MultipleSignersError,
    NoSignerError,
    NotCmsError,
    SignerCertificateNotFoundError,
    SignerNotValidAtSigningTimeError,
    SignerRoleError,
    SigningOperationError,
    SigningTimeInFutureError,
    UnexpectedContentTypeError,
    UnsignedContentError,
    UnsupportedAlgorithmError,
    UnsupportedSignerKeyError,
    UntrustedSignerError,
    VerificationError,
)
from signing.profile import (
    CLOCK_SKEW,
    DEV_POLICY_PURPOSES,
    certificate_policies,
    describe_certificate,
    describe_key,
    is_p256_key,
    names_match,
    subject_key_identifier_of,
)
from signing.revocation import check_chain_revocation
from signing.signers import Signer
from signing.trust import TrustStore

#: How far ahead of the verifier's clock a signing-time may be (the signer's clock may run fast).
SIGNING_TIME_SKEW: Final = CLOCK_SKEW
#: Signer, issuing CA(s), root: a generous bound for this profile's two-level hierarchy.
MAX_CHAIN_DEPTH: Final = 4

_DIGEST: Final = "sha256"
_SIGNATURE: Final = "sha256_ecdsa"  # ecdsa-with-SHA256, 1.2.840.10045.4.3.2
_DATA: Final = "data"
_SIGNED_DATA: Final = "signed_data"
_CONTENT_TYPE: Final = "content_type"
_MESSAGE_DIGEST: Final = "message_digest"
_SIGNING_TIME: Final = "signing_time"
_ALGORITHM_PROTECTION: Final = "cms_algorithm_protection"
_ANY_POLICY: Final = "2.5.29.32.0"
_UTC_TIME_YEARS: Final = range(1950, 2050)  # RFC 5652 section 11.3: UTCTime in these years
_SIGNED_DATA_OID_DER: Final = bytes(asn1_cms.ContentType(_SIGNED_DATA).dump())
_OID_SEARCH_WINDOW: Final = 16  # a ContentInfo's type OID follows its (at most 6-octet) header


@dataclass(frozen=True)
class VerifiedData:
    """What a verified file says, and who said it.

    ``chain`` is the validated path above the signer: its issuing CA(s), then the trust anchor.
    """

    content: bytes
    signer_certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    signing_time: dt.datetime

    @property
    def trust_anchor(self) -> x509.Certificate:
        return self.chain[-1]


# --- signing ---------------------------------------------------------------------------------


def sign_data(
    content: bytes, signer: Signer, *, detached: bool = False, signing_time: dt.datetime | None = None
) -> bytes:
    """A DER ContentInfo / SignedData over ``content`` by ``signer``.

    eContentType id-data, digest SHA-256, signature ecdsa-with-SHA256 over the signed attributes
    content-type, message-digest and signing-time; ``certificates`` holds the signer's certificate
    and its chain; the signer is named by issuer and serial number (SignerInfo version 1).
    ``detached`` leaves the content out (a `.p7s` over a workbook).
    """
    certificate = signer.certificate
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not is_p256_key(public_key):
        raise UnsupportedSignerKeyError(
            f"the signer certificate holds {describe_key(public_key)}; only NIST P-256 is allowed."
        )
    moment = dt.datetime.now(dt.UTC) if signing_time is None else signing_time
    if moment.tzinfo is None:
        raise ValueError("signing_time must be timezone-aware")
    moment = moment.astimezone(dt.UTC).replace(microsecond=0)

    signed_attributes = asn1_cms.CMSAttributes(
        [
            asn1_cms.CMSAttribute({"type": _CONTENT_TYPE, "values": [_DATA]}),
            asn1_cms.CMSAttribute({"type": _MESSAGE_DIGEST, "values": [hashlib.sha256(content).digest()]}),
            asn1_cms.CMSAttribute({"type": _SIGNING_TIME, "values": [_cms_time(moment)]}),
        ]
    )
    to_be_signed = signed_attributes.dump()  # the SET OF, DER-sorted by asn1crypto
    signature = signer.sign(to_be_signed)
    try:  # never emit a file that does not verify (a token holding the wrong key, say)
        public_key.verify(signature, to_be_signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SigningOperationError(
            "the signer produced a signature that its own certificate does not verify."
        ) from None

    signer_certificate = _asn1_certificate(certificate)
    signer_info = asn1_cms.SignerInfo(
        {
            "version": "v1",
            "sid": asn1_cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": asn1_cms.IssuerAndSerialNumber(
                        {
                            "issuer": signer_certificate.issuer,
                            "serial_number": signer_certificate.serial_number,
                        }
                    ),
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": _DIGEST}),
            "signed_attrs": signed_attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": _SIGNATURE}),
            "signature": signature,
        }
    )
    # SignedData version 1 (RFC 5652 5.1): issuerAndSerialNumber, id-data, no other certificate
    # types. asn1crypto reads a version 1 encapContentInfo with the (identically encoded)
    # PKCS#7 ContentInfo structure, so that is what it is built with.
    # asn1crypto encodes a structure it has built afresh each time its encoding is asked for, a
    # few times per level (the length, the tag, the parent's), and around a 25 MB extract each is
    # a 25 MB copy; a copy() of it keeps the encoding once made. So each level that holds the
    # content is copied once built: the same bytes, each level encoded once.
    encapsulated = asn1_cms.ContentInfo(
        {"content_type": _DATA} if detached else {"content_type": _DATA, "content": core.OctetString(content)}
    ).copy()
    signed_data = asn1_cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": _DIGEST})],
            "encap_content_info": encapsulated,
            "certificates": [signer_certificate, *(_asn1_certificate(c) for c in signer.chain)],
            "signer_infos": [signer_info],
        }
    ).copy()
    return bytes(asn1_cms.ContentInfo({"content_type": _SIGNED_DATA, "content": signed_data}).copy().dump())


def _cms_time(moment: dt.datetime) -> asn1_cms.Time:
    choice = "utc_time" if moment.year in _UTC_TIME_YEARS else "generalized_time"
    return asn1_cms.Time({choice: moment})


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


# --- verifying -------------------------------------------------------------------------------


def verify_signed_data(
    der: bytes,
    trust: TrustStore,
    *,
    detached_content: bytes | None = None,
    required_policy: str | None = None,
    now: dt.datetime | None = None,
) -> VerifiedData:
    """Verify a DER CMS SignedData strictly, or raise the `VerificationError` naming the rule.

    ``detached_content`` is the content of a detached signature (and must be None for an
    encapsulated one). ``required_policy``, when given, is the certificate policy OID the signer
    must carry (the role: extract signing, receipt signing, submission signing). ``now``, when
    given, bounds the signing-time (plus `SIGNING_TIME_SKEW`); certificates are checked at the
    signing time. When ``trust`` holds CRLs, the signer and every issuing CA are checked against
    them as of ``now`` (the clock when None), whatever the signing-time (`signing.revocation`).
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    parsed = _parse(bytes(der))

    if parsed.content is not None and detached_content is not None:
        raise ExtraContentError("the file encapsulates its content, so no separate content may be given to verify it.")
    if parsed.content is None and detached_content is None:
        raise MissingContentError("the file is a detached signature and its content was not given.")
    content = parsed.content if parsed.content is not None else bytes(detached_content or b"")

    signer = parsed.signer
    _check_algorithms(parsed.digest_algorithms, signer)
    signing_time, signed_attributes_der = _check_signed_attributes(signer, content)

    signer_certificate = _find_signer_certificate(signer, parsed.certificates)
    public_key = _load_public_key(signer_certificate)
    try:
        public_key.verify(signer.signature, signed_attributes_der, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise BadSignatureError(
            "the signature does not verify over the signed attributes with the signer's key."
        ) from None

    if now is not None and signing_time > now + SIGNING_TIME_SKEW:
        raise SigningTimeInFutureError(
            f"the signing-time {signing_time.isoformat()} is later than the verifier's clock {now.isoformat()} allows."
        )
    _check_signer_valid_at(signer_certificate, signing_time)
    intermediates = [c for c in parsed.certificates if c != signer_certificate]
    path = _build_chain(signer_certificate, intermediates, trust, signing_time)
    if trust.checks_revocation:  # as of the verifier's time, not the signing-time (signing.revocation)
        revocation_time = now if now is not None else dt.datetime.now(dt.UTC)
        check_chain_revocation((signer_certificate, *path), trust.crls, revocation_time)
    _check_key_usage(signer_certificate)
    if required_policy is not None:
        _check_policy(signer_certificate, path, required_policy)
    return VerifiedData(
        content=content, signer_certificate=signer_certificate, chain=tuple(path), signing_time=signing_time
    )


@dataclass(frozen=True)
class _SignerInfo:
    """The fields of the one SignerInfo, read out of asn1crypto into plain values."""

    version: str
    issuer_der: bytes | None
    serial_number: int | None
    subject_key_identifier: bytes | None
    digest_algorithm: str
    digest_parameters_absent: bool
    signature_algorithm: str
    signature_parameters_absent: bool
    signed_attributes_der: bytes | None
    attributes: tuple[tuple[str, tuple[Any, ...]], ...]
    signature: bytes


@dataclass(frozen=True)
class _ParsedSignedData:
    digest_algorithms: tuple[tuple[str, bool], ...]
    content: bytes | None
    certificates: tuple[x509.Certificate, ...]
    signer: _SignerInfo


@contextmanager
def _reading(part: str) -> Iterator[None]:
    """Turn whatever the ASN.1 parser raises on hostile input into a named refusal."""
    try:
        yield
    except VerificationError:
        raise
    except Exception:  # asn1crypto signals bad encodings with many exception types
        raise MalformedCmsError(f"the {part} is not well-formed DER.") from None


def _parse(der: bytes) -> _ParsedSignedData:
    try:
        consumed = asn1_parser.peek(der)
        info = asn1_cms.ContentInfo.load(der if consumed == len(der) else der[:consumed], strict=True)
        content_type = info["content_type"].native
    except Exception:  # any parser failure here means "not CMS", or CMS cut short
        if _SIGNED_DATA_OID_DER in der[:_OID_SEARCH_WINDOW]:
            raise MalformedCmsError(
                "the file starts as a CMS SignedData but its structure is cut short or broken."
            ) from None
        raise NotCmsError("the data is not a CMS ContentInfo.") from None
    if consumed != len(der):
        raise UnsignedContentError(
            f"the file carries {len(der) - consumed} bytes after the signed structure that no signature covers."
        )
    if content_type != _SIGNED_DATA:
        raise UnexpectedContentTypeError(f"the CMS content is {content_type}, not SignedData.")

    with _reading("SignedData"):
        signed_data = info["content"]
        if not isinstance(signed_data, asn1_cms.SignedData):
            raise MalformedCmsError("the ContentInfo carries no SignedData.")
        version = signed_data["version"].native
        digest_algorithms = tuple(
            (algorithm["algorithm"].native, algorithm["parameters"].native is None)
            for algorithm in signed_data["digest_algorithms"]
        )
        encapsulated = signed_data["encap_content_info"]
        econtent_type = encapsulated["content_type"].native
    if econtent_type != _DATA:
        raise UnexpectedContentTypeError(f"the signed content type is {econtent_type}, not id-data.")
    # asn1crypto parses lazily and would never look past the fields it is asked for; parsing
    # the whole structure once refuses anything it does not define (extra elements, bad tags).
    try:
        info.native  # noqa: B018 - for its side effect: the full, strict parse
    except Exception:
        with _reading("encapsulated content"):
            elements = _count_elements(encapsulated.contents)
        if elements > 2:
            raise ExtraContentError("the encapsulated content info carries more than one content.") from None
        raise MalformedCmsError("the CMS structure is not well-formed DER.") from None
    with _reading("encapsulated content"):
        econtent = encapsulated["content"]
        content = None if isinstance(econtent, core.Void) else bytes(econtent)
    with _reading("SignerInfos"):
        signer_infos = list(signed_data["signer_infos"])
    if not signer_infos:
        raise NoSignerError("the SignedData carries no signer.")
    if len(signer_infos) > 1:
        raise MultipleSignersError(f"the SignedData carries {len(signer_infos)} signers; exactly one is allowed.")
    with _reading("SignerInfo"):
        signer = _read_signer_info(signer_infos[0])
    # RFC 5652 5.1 and 5.3: SignerInfo version 1 names its signer by issuer and serial number,
    # version 3 by subject key identifier; SignedData is version 3 when a SignerInfo is.
    if signer.version != ("v1" if signer.issuer_der is not None else "v3"):
        raise MalformedCmsError("the SignerInfo version does not match how it names its signer.")
    if version not in ("v1", "v3") or (signer.version == "v3" and version != "v3"):
        raise MalformedCmsError(f"the SignedData version {version} is not the one RFC 5652 requires.")
    with _reading("certificate set"):
        choices = signed_data["certificates"]
        certificate_ders = (
            []
            if isinstance(choices, core.Void)
            else [choice.chosen.dump() for choice in choices if choice.name == "certificate"]
        )
    certificates = []
    for certificate_der in certificate_ders:
        try:
            certificates.append(x509.load_der_x509_certificate(certificate_der))
        except (ValueError, x509.InvalidVersion):
            raise MalformedCmsError("a certificate in the file is not a well-formed X.509 certificate.") from None
    return _ParsedSignedData(digest_algorithms, content, tuple(certificates), signer)


def _count_elements(encoded: bytes | None) -> int:
    """How many DER elements follow one another in ``encoded``."""
    count, rest = 0, encoded or b""
    while rest:
        _, _, _, header, body, trailer = asn1_parser.parse(rest)
        rest = rest[len(header) + len(body) + len(trailer) :]
        count += 1
    return count


def _read_signer_info(signer_info: asn1_cms.SignerInfo) -> _SignerInfo:
    sid = signer_info["sid"]
    issuer_der = serial_number = subject_key_identifier = None
    if sid.name == "issuer_and_serial_number":
        issuer_der = sid.chosen["issuer"].dump()
        serial_number = int(sid.chosen["serial_number"].native)
    else:
        subject_key_identifier = bytes(sid.chosen.native)
    signed_attributes = signer_info["signed_attrs"]
    attributes: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    signed_der: bytes | None = None
    if not isinstance(signed_attributes, core.Void):
        # RFC 5652 5.4: the signature covers the attributes encoded as a SET OF, not as [0].
        signed_der = bytes(signed_attributes.untag().dump())
        attributes = tuple((attribute["type"].native, tuple(attribute["values"])) for attribute in signed_attributes)
    return _SignerInfo(
        version=signer_info["version"].native,
        issuer_der=issuer_der,
        serial_number=serial_number,
        subject_key_identifier=subject_key_identifier,
        digest_algorithm=signer_info["digest_algorithm"]["algorithm"].native,
        digest_parameters_absent=signer_info["digest_algorithm"]["parameters"].native is None,
        signature_algorithm=signer_info["signature_algorithm"]["algorithm"].native,
        signature_parameters_absent=signer_info["signature_algorithm"]["parameters"].native is None,
        signed_attributes_der=signed_der,
        attributes=attributes,
        signature=bytes(signer_info["signature"].native),
    )


def _check_algorithms(digest_algorithms: Sequence[tuple[str, bool]], signer: _SignerInfo) -> None:
    for name, parameters_absent in digest_algorithms:
        if name != _DIGEST or not parameters_absent:
            raise UnsupportedAlgorithmError(f"the SignedData lists digest algorithm {name}; only SHA-256 is allowed.")
    if signer.digest_algorithm != _DIGEST or not signer.digest_parameters_absent:
        raise UnsupportedAlgorithmError(
            f"the signer's digest algorithm is {signer.digest_algorithm}; only SHA-256 is allowed."
        )
    if signer.signature_algorithm != _SIGNATURE or not signer.signature_parameters_absent:
        raise UnsupportedAlgorithmError(
            f"the signature algorithm is {signer.signature_algorithm}; only ecdsa-with-SHA256 is allowed."
        )


def _single_value(signer: _SignerInfo, name: str, label: str) -> Any:
    found = [values for attribute, values in signer.attributes if attribute == name]
    if not found:
        raise MissingSignedAttributeError(f"the {label} signed attribute is missing.")
    if len(found) > 1 or len(found[0]) != 1:
        raise MalformedCmsError(f"the {label} signed attribute must appear once with one value.")
    return found[0][0]


def _check_signed_attributes(signer: _SignerInfo, content: bytes) -> tuple[dt.datetime, bytes]:
    """Check content-type and message-digest; return the signing-time and what the signature covers."""
    if signer.signed_attributes_der is None:
        raise MissingSignedAttributeError(
            "the signer carries no signed attributes; content-type, message-digest and signing-time are required."
        )
    with _reading("signed attributes"):
        content_type = _single_value(signer, _CONTENT_TYPE, "content-type").native
        message_digest = bytes(_single_value(signer, _MESSAGE_DIGEST, "message-digest").native)
        signing_time = _single_value(signer, _SIGNING_TIME, "signing-time").chosen.native
        protections = [values for name, values in signer.attributes if name == _ALGORITHM_PROTECTION]
        protected = [
            (
                p["digest_algorithm"]["algorithm"].native,
                p["signature_algorithm"]["algorithm"].native if p["signature_algorithm"].native else None,
            )
            for values in protections
            for p in values
        ]
    if content_type != _DATA:
        raise ContentTypeAttributeMismatchError(
            f"the content-type signed attribute is {content_type}, but the content is id-data."
        )
    if not hmac.compare_digest(message_digest, hashlib.sha256(content).digest()):
        raise MessageDigestMismatchError("the message-digest signed attribute is not the SHA-256 of the content.")
    for digest, signature in protected:  # RFC 6211: when present it must name our algorithms
        if digest != _DIGEST or signature not in (_SIGNATURE, None):
            raise UnsupportedAlgorithmError(
                "the CMS algorithm protection attribute names an algorithm other than SHA-256 and ecdsa-with-SHA256."
            )
    if not isinstance(signing_time, dt.datetime) or signing_time.tzinfo is None:
        raise MalformedCmsError("the signing-time signed attribute is not a UTC time.")
    return signing_time.astimezone(dt.UTC), signer.signed_attributes_der


def _find_signer_certificate(signer: _SignerInfo, certificates: Sequence[x509.Certificate]) -> x509.Certificate:
    matches: list[x509.Certificate] = []
    for certificate in certificates:
        if signer.issuer_der is not None:
            if certificate.serial_number == signer.serial_number and names_match(
                certificate.issuer.public_bytes(), signer.issuer_der
            ):
                matches.append(certificate)
        elif subject_key_identifier_of(certificate) == signer.subject_key_identifier:
            matches.append(certificate)
    distinct = {c.fingerprint(hashes.SHA256()): c for c in matches}
    if not distinct:
        raise SignerCertificateNotFoundError(
            "the certificate named by the signer identifier is not among the file's certificates."
        )
    if len(distinct) > 1:
        raise MalformedCmsError("more than one certificate in the file matches the signer identifier.")
    return next(iter(distinct.values()))


def _load_public_key(certificate: x509.Certificate) -> ec.EllipticCurvePublicKey:
    try:
        public_key = certificate.public_key()
    except (ValueError, CryptographyUnsupportedAlgorithm):
        raise UnsupportedAlgorithmError(
            "the signer certificate's key is of an unsupported type; only NIST P-256 is allowed."
        ) from None
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not is_p256_key(public_key):
        raise UnsupportedAlgorithmError(
            f"the signer certificate holds {describe_key(public_key)}; only NIST P-256 is allowed."
        )
    return public_key


def _check_signer_valid_at(certificate: x509.Certificate, moment: dt.datetime) -> None:
    if moment < certificate.not_valid_before_utc:
        raise SignerNotValidAtSigningTimeError(
            f"the signer certificate was not yet valid at the signing time {moment.isoformat()} "
            f"(valid from {certificate.not_valid_before_utc.isoformat()})."
        )
    if moment > certificate.not_valid_after_utc:
        raise SignerNotValidAtSigningTimeError(
            f"the signer certificate had expired at the signing time {moment.isoformat()} "
            f"(valid until {certificate.not_valid_after_utc.isoformat()})."
        )


def _chain_policies() -> tuple[ExtensionPolicy, ExtensionPolicy]:
    """Web PKI defaults, opened up for this profile's critical certificatePolicies and no SAN/EKU.

    keyUsage and the policy OIDs of the signer are checked afterwards, so that their refusals
    are named (KeyUsageError, SignerRoleError) rather than a generic chain failure.
    """
    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.CertificatePolicies, Criticality.AGNOSTIC, None
    )
    ee_policy = (
        ExtensionPolicy.webpki_defaults_ee()
        .may_be_present(x509.CertificatePolicies, Criticality.AGNOSTIC, None)
        .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
        .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
        .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, None)
    )
    return ca_policy, ee_policy


_CA_POLICY, _EE_POLICY = _chain_policies()


def _build_chain(
    signer: x509.Certificate, intermediates: list[x509.Certificate], trust: TrustStore, moment: dt.datetime
) -> list[x509.Certificate]:
    verifier = (
        PolicyBuilder()
        .store(trust.store)
        .time(moment)
        .max_chain_depth(MAX_CHAIN_DEPTH)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
        .build_client_verifier()
    )
    try:
        path = verifier.verify(signer, intermediates).chain
    except x509.verification.VerificationError as error:
        issuer = _missing_issuer(signer, intermediates, trust)
        if issuer is not None:
            raise MissingIssuerCertificateError(
                f"the signature does not include the issuing CA certificate '{issuer}' of the signer certificate "
                f"{describe_certificate(signer)}, and it is no configured trust anchor, so no chain to one can be "
                "built.",
                issuer,
            ) from None
        raise UntrustedSignerError(
            f"the signer certificate {describe_certificate(signer)} does not chain to a configured "
            f"trust anchor valid at the signing time ({_reason(error)})."
        ) from None
    above = list(path[1:])
    for certificate in path[:-1]:  # the anchor is configured, not checked against the profile
        if certificate.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA256:
            raise UnsupportedAlgorithmError(
                f"certificate {describe_certificate(certificate)} is not signed with ecdsa-with-SHA256."
            )
    for certificate in above[:-1]:
        if not is_p256_key(certificate.public_key()):
            raise UnsupportedAlgorithmError(
                f"CA certificate {describe_certificate(certificate)} does not hold a NIST P-256 key."
            )
    return above


def _missing_issuer(
    signer: x509.Certificate, intermediates: Sequence[x509.Certificate], trust: TrustStore
) -> str | None:
    """Why a chain failed, when it is a certificate the file left out: the name of the signer's issuing
    CA when that CA is neither among the file's certificates nor a configured anchor.

    None when the file carries a certificate of that name: the chain then fails above it (a root this
    verifier does not trust, a bad signature, a date), and adding certificates would not help.
    """
    issuer = signer.issuer.public_bytes()
    if names_match(issuer, signer.subject.public_bytes()):
        return None  # self-issued: an untrusted root, not a gap
    if any(names_match(issuer, c.subject.public_bytes()) for c in (*trust.anchors, *intermediates)):
        return None
    return signer.issuer.rfc4514_string()


def _reason(error: Exception) -> str:
    text = str(error).removeprefix("validation failed: ")
    return text.split(" (encountered processing", 1)[0]


def _check_key_usage(certificate: x509.Certificate) -> None:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        raise KeyUsageError("the signer certificate has no keyUsage extension; digitalSignature is required.") from None
    if not extension.value.digital_signature:
        raise KeyUsageError("the signer certificate's keyUsage does not include digitalSignature.")
    if not extension.critical:
        raise KeyUsageError("the signer certificate's keyUsage extension is not marked critical.")


def _check_policy(signer: x509.Certificate, above: Sequence[x509.Certificate], policy: str) -> None:
    role = DEV_POLICY_PURPOSES.get(policy, f"policy {policy}")
    if policy not in certificate_policies(signer):
        raise SignerRoleError(f"the signer certificate does not carry the certificate policy for {role}.")
    for ca in above[:-1]:  # issuing CAs (not the anchor) must be allowed to issue for it
        if not certificate_policies(ca) & {policy, _ANY_POLICY}:
            raise SignerRoleError(f"the issuing CA {describe_certificate(ca)} is not authorised for {role}.")
