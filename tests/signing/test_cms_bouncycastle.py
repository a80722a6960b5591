"""Our CMS files and BouncyCastle's agree, both ways, and so do our refusals where CMS itself refuses.

BouncyCastle (tests/signing/bc/CmsTool.java) is a second implementation written by other people
than OpenSSL's: our extracts verify with it, its SignedData verifies with us, and every file of
the attack corpus is refused by it too, except where the refusal is a rule of our profile that
RFC 5652 does not make (P-256 only, SHA-256 only, signing-time required, exactly one signer,
nothing after the structure, keyUsage, role policies, the verifier's clock). Those are listed
with what BouncyCastle saw, so each difference is a visible rule of ours and not an accident.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from asn1crypto import algos, core
from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from signing import errors
from signing.cms import SIGNING_TIME_SKEW, sign_data, verify_signed_data
from signing.devpki import Credential, make_end_entity, make_issuing_ca, make_root, new_p256_key
from signing.profile import (
    DEV_POLICY_CPL_EXTRACT_SIGNING,
    DEV_POLICY_SUBMISSION_SIGNING,
)
from signing.trust import load_trust
from tests.signing.bouncycastle import BcResult, BouncyCastle, SignJob
from tests.signing.helpers import (
    KEYS,
    ROOT_CA,
    dev_credential,
    dev_signer,
    dev_trust,
    flip_byte,
    now,
    openssl_sign,
    rebuild,
    resign_attributes,
    signer_for,
    signer_info,
    with_signer_info,
    without_attribute,
    write_pem,
)
from tests.signing.openssl_ca import OpenSslCa

pytestmark = pytest.mark.usefixtures("bouncycastle", "openssl")

CONTENT = b'{"entries":[],"format":"cpl-extract","format_version":1,"sequence":7}'
WORKBOOK = b"PK\x03\x04" + bytes(range(256)) * 40

OID_SHA256 = "2.16.840.1.101.3.4.2.1"
OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2"
OID_DATA = "1.2.840.113549.1.7.1"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_TIME = "1.2.840.113549.1.9.5"
OID_ALGORITHM_PROTECTION = "1.2.840.113549.1.9.52"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signer_files(name: str) -> tuple[Path, Path]:
    return KEYS / f"{name}.pem", KEYS / f"{name}.key.pem"


# --- our files, BouncyCastle's verdict ---------------------------------------------------------


def test_bouncycastle_verifies_our_extract_and_sees_exactly_our_profile(
    bouncycastle: BouncyCastle, tmp_path: Path
) -> None:
    binary = "Compteur à gaz — ü\r\n".encode() + bytes(range(256))
    results = bouncycastle.verify_all(
        {
            "extract": (sign_data(CONTENT, dev_signer()), None),
            "binary": (sign_data(binary, dev_signer()), None),
            "workbook": (sign_data(WORKBOOK, dev_signer("manufacturer-acme-meters"), detached=True), WORKBOOK),
            "other root": (sign_data(CONTENT, dev_signer("secas-signer-3-newroot", "issuing-ca-2")), None),
        },
        tmp_path,
        cas=[ROOT_CA],
    )

    extract = results["extract"]
    assert extract.accepted, extract.reason
    assert extract.content_sha256 == sha256(CONTENT)
    assert (extract.signers, extract.content_type, extract.digest, extract.signature, extract.key) == (
        1,
        OID_DATA,
        OID_SHA256,
        OID_ECDSA_SHA256,
        "EC-256",
    )
    assert set(extract.signed_attributes or ()) == {OID_CONTENT_TYPE, OID_MESSAGE_DIGEST, OID_SIGNING_TIME}
    assert results["binary"].accepted and results["binary"].content_sha256 == sha256(binary)
    assert results["workbook"].accepted and results["workbook"].content_sha256 == sha256(WORKBOOK)
    refused = results["other root"]
    assert not refused.accepted and "no valid certification path" in (refused.reason or "")


@pytest.fixture(scope="module")
def bouncycastle_signed(bouncycastle: BouncyCastle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Files BouncyCastle's CMSSignedDataGenerator made with the development signers, in one JVM."""
    cert, key = signer_files("secas-signer-1")
    cert2, key2 = signer_files("secas-signer-2")
    acme, acme_key = signer_files("manufacturer-acme-meters")
    chain = [KEYS / "issuing-ca.pem"]
    jobs = [
        SignJob("extract", CONTENT, cert, key, chain),
        SignJob("keyid", CONTENT, cert2, key2, chain, keyid=True),
        SignJob("workbook", WORKBOOK, acme, acme_key, chain, detached=True),
        SignJob("sha384", CONTENT, cert, key, chain, algorithm="SHA384withECDSA"),
        SignJob("sha512", CONTENT, cert, key, chain, algorithm="SHA512withECDSA"),
        SignJob("no chain", CONTENT, cert, key),
        SignJob("ber", CONTENT, cert, key, chain, ber=True),
    ]
    return bouncycastle.sign_all(jobs, tmp_path_factory.mktemp("bc-signed"))


def test_we_verify_bouncycastle_signed_data_with_its_algorithm_protection(
    bouncycastle_signed: dict[str, bytes],
) -> None:
    signed = bouncycastle_signed["extract"]
    attributes = [a["type"].native for a in signer_info(signed)["signed_attrs"]]

    verified = verify_signed_data(signed, dev_trust(), required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING, now=now())

    assert "cms_algorithm_protection" in attributes and "signing_time" in attributes
    assert verified.content == CONTENT
    assert verified.signer_certificate == dev_signer().certificate
    assert abs(verified.signing_time - now()) < dt.timedelta(minutes=10)


def test_we_verify_bouncycastle_naming_the_signer_by_subject_key_identifier(
    bouncycastle_signed: dict[str, bytes],
) -> None:
    signed = bouncycastle_signed["keyid"]
    assert signer_info(signed)["sid"].name == "subject_key_identifier"
    verified = verify_signed_data(signed, dev_trust(), required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING)
    assert verified.signer_certificate == dev_signer("secas-signer-2").certificate


def test_we_verify_a_bouncycastle_detached_signature_with_its_workbook(bouncycastle_signed: dict[str, bytes]) -> None:
    signature = bouncycastle_signed["workbook"]
    verified = verify_signed_data(
        signature, dev_trust(), detached_content=WORKBOOK, required_policy=DEV_POLICY_SUBMISSION_SIGNING
    )
    assert verified.content == WORKBOOK
    with pytest.raises(errors.MessageDigestMismatchError):
        verify_signed_data(signature, dev_trust(), detached_content=flip_byte(WORKBOOK, 100))


@pytest.mark.parametrize("algorithm", ["sha384", "sha512"])
def test_we_refuse_bouncycastle_signing_with_another_digest(
    bouncycastle_signed: dict[str, bytes], algorithm: str
) -> None:
    with pytest.raises(errors.UnsupportedAlgorithmError, match=algorithm):
        verify_signed_data(bouncycastle_signed[algorithm], dev_trust())


def test_we_refuse_bouncycastle_signed_data_without_the_issuing_ca(bouncycastle_signed: dict[str, bytes]) -> None:
    with pytest.raises(errors.UntrustedSignerError):
        verify_signed_data(bouncycastle_signed["no chain"], dev_trust())


def test_bouncycastle_default_ber_output_verifies_with_the_same_content_as_its_der(
    bouncycastle_signed: dict[str, bytes],
) -> None:
    """BouncyCastle's getEncoded() is BER (indefinite lengths); what we write is DER (CONTRACT.md section 2).

    Our verifier, like `openssl cms`, reads the BER form too: the signature covers the DER of the
    signed attributes either way, so the content it yields is the same.
    """
    ber, der = bouncycastle_signed["ber"], bouncycastle_signed["extract"]
    assert ber[1] == 0x80 and der[1] != 0x80  # the outer ContentInfo: indefinite length, then definite
    assert verify_signed_data(ber, dev_trust()).content == verify_signed_data(der, dev_trust()).content == CONTENT


def test_bouncycastle_refuses_a_signer_that_openssl_ca_revoked_as_we_do(
    bouncycastle: BouncyCastle, tmp_path: Path
) -> None:
    issuing = OpenSslCa(dev_credential("issuing-ca"), tmp_path / "issuing-ca")
    root = OpenSslCa(dev_credential("root-ca"), tmp_path / "root-ca")
    issuing.revoke(dev_credential("secas-signer-2").certificate, "keyCompromise")
    crls = [issuing.gencrl("issuing-ca.crl", der=True), root.gencrl("root-ca.crl.pem")]
    trust = load_trust([ROOT_CA], crl_paths=crls)
    revoked, good = sign_data(CONTENT, dev_signer("secas-signer-2")), sign_data(CONTENT, dev_signer())

    results = bouncycastle.verify_all(
        {"revoked": (revoked, None), "good": (good, None)}, tmp_path / "bc", cas=[ROOT_CA], crls=crls
    )

    assert not results["revoked"].accepted and "revocation" in (results["revoked"].reason or "")
    assert "reason: keyCompromise" in (results["revoked"].reason or "")
    assert results["good"].accepted, results["good"].reason
    with pytest.raises(errors.CertificateRevokedError):
        verify_signed_data(revoked, trust, now=now())
    assert verify_signed_data(good, trust, now=now()).content == CONTENT


# --- the attack corpus, judged by both ------------------------------------------------------------


class _TwoContents(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("content_type", asn1_cms.ContentType),
        ("content", core.OctetString, {"explicit": 0}),
        ("second_content", core.OctetString, {"explicit": 0}),
    ]


class Forge:
    """What the forgeries start from: a good extract, its signer's key, throwaway credentials, openssl."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.good = sign_data(CONTENT, dev_signer())
        key = dev_credential("secas-signer-1").private_key
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        self.key = key
        self.info = signer_info(self.good)
        self.issuing_ca = dev_credential("issuing-ca")
        self.workbook_signature = sign_data(WORKBOOK, dev_signer("manufacturer-acme-meters"), detached=True)
        moment = now()
        self.mallory_root = make_root("mallory-root", "Throwaway Root", "Mallory", now=moment)
        self.mallory_ca = make_issuing_ca("mallory-ca", "Throwaway CA", "Mallory", self.mallory_root, now=moment)
        self.mallory = self.end_entity("mallory", issuer=self.mallory_ca)

    def end_entity(self, name: str, *, issuer: Credential | None = None, **options: Any) -> Credential:
        return make_end_entity(
            name,
            "secas",
            "SECAS",
            issuer or self.issuing_ca,
            policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,),
            now=now(),
            **options,
        )

    def signed_by(self, credential: Credential, *chain: Credential) -> bytes:
        return sign_data(CONTENT, signer_for(credential, *(chain or (self.issuing_ca,))))

    def flip(self, needle: bytes, offset: int) -> bytes:
        return flip_byte(self.good, self.good.index(needle) + offset)

    def with_info(self, **changes: Any) -> bytes:
        return rebuild(self.good, signer_infos=[with_signer_info(self.info, **changes)])

    def resigned(self, edit: Callable[[list[asn1_cms.CMSAttribute]], list[asn1_cms.CMSAttribute]]) -> bytes:
        return resign_attributes(self.good, self.key, edit)

    def by_openssl(self, name: str, *, key: Any = None, digest: str = "sha256") -> bytes:
        place = self.directory / name
        place.mkdir()
        if key is None:
            cert, key_file = signer_files("secas-signer-1")
        else:
            cert, key_file = write_pem(self.end_entity("odd-key", key=key), place)
        return openssl_sign(CONTENT, cert, key_file, place, certfile=KEYS / "issuing-ca.pem", digest=digest)

    def sid_serial(self, serial: int) -> asn1_cms.SignerIdentifier:
        issuer = self.info["sid"].chosen["issuer"]
        return asn1_cms.SignerIdentifier(
            {"issuer_and_serial_number": asn1_cms.IssuerAndSerialNumber({"issuer": issuer, "serial_number": serial})}
        )

    def only_the_issuing_ca(self) -> bytes:
        certificate = asn1_x509.Certificate.load(self.issuing_ca.certificate.public_bytes(Encoding.DER))
        return rebuild(
            self.good, certificates=asn1_cms.CertificateSet([asn1_cms.CertificateChoices({"certificate": certificate})])
        )

    def with_second_signer(self) -> bytes:
        """Two SignerInfos (secas-signer-1 and -2), each with its certificate in the file."""
        other = sign_data(CONTENT, dev_signer("secas-signer-2"))
        certificates = [*self.signed_data()["certificates"], *signed_data_of(other)["certificates"]]
        return rebuild(
            self.good,
            certificates=asn1_cms.CertificateSet(certificates),
            signer_infos=[self.info, signer_info(other)],
        )

    def signed_data(self) -> asn1_cms.SignedData:
        return signed_data_of(self.good)

    def without_signed_attributes(self) -> bytes:
        signature = self.key.sign(CONTENT, ec.ECDSA(hashes.SHA256()))  # RFC 5652 5.4: over the content itself
        return self.with_info(signed_attrs=None, signature=signature)


def signed_data_of(der: bytes) -> asn1_cms.SignedData:
    signed_data = asn1_cms.ContentInfo.load(der)["content"]
    assert isinstance(signed_data, asn1_cms.SignedData)
    return signed_data


def _content_type_signed_data(attributes: list[asn1_cms.CMSAttribute]) -> list[asn1_cms.CMSAttribute]:
    kept = without_attribute("content_type")(attributes)
    return [*kept, asn1_cms.CMSAttribute({"type": "content_type", "values": ["signed_data"]})]


def _signing_time_twice(attributes: list[asn1_cms.CMSAttribute]) -> list[asn1_cms.CMSAttribute]:
    later = asn1_cms.Time({"utc_time": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)})
    return [*attributes, asn1_cms.CMSAttribute({"type": "signing_time", "values": [later]})]


def _protection_naming_sha512(attributes: list[asn1_cms.CMSAttribute]) -> list[asn1_cms.CMSAttribute]:
    protection = asn1_cms.CMSAlgorithmProtection(
        {"digest_algorithm": {"algorithm": "sha512"}, "signature_algorithm": {"algorithm": "sha256_ecdsa"}}
    )
    return [*attributes, asn1_cms.CMSAttribute({"type": "cms_algorithm_protection", "values": [protection]})]


def _two_contents(forge: Forge) -> bytes:
    two = _TwoContents({"content_type": "data", "content": CONTENT, "second_content": b"smuggled"})
    return rebuild(forge.good, encap_content_info=asn1_cms.ContentInfo.load(two.dump()))


@dataclass(frozen=True)
class Attack:
    """One forged or out-of-profile file, the refusal it gets from us, and what BouncyCastle does.

    Either BouncyCastle refuses it too, saying ``bc_refuses`` (part of its reason), or only our
    profile forbids it (``only_ours``, the rule) and ``bc_sees`` checks that what BouncyCastle
    reports of the accepted file shows exactly that deviation.
    """

    name: str
    make: Callable[[Forge], bytes]
    our_refusal: type[errors.VerificationError]
    bc_refuses: str | None = None
    only_ours: str | None = None
    bc_sees: Callable[[BcResult], bool] | None = None
    content: bytes | None = None
    required_policy: str | None = None
    check_clock: bool = False


def both(
    name: str, make: Callable[[Forge], bytes], ours: type[errors.VerificationError], bc_says: str, **options: Any
) -> Attack:
    """Refused by us with ``ours`` and by BouncyCastle with a reason containing ``bc_says``."""
    return Attack(name, make, ours, bc_refuses=bc_says, **options)


def ours_only(
    name: str,
    make: Callable[[Forge], bytes],
    ours: type[errors.VerificationError],
    rule: str,
    bc_sees: Callable[[BcResult], bool],
    **options: Any,
) -> Attack:
    """Refused by us with ``ours`` under ``rule``; accepted by BouncyCastle, which reports what ``bc_sees``."""
    return Attack(name, make, ours, only_ours=rule, bc_sees=bc_sees, **options)


DIGEST_MISMATCH = "message-digest attribute value does not match calculated value"
BAD_SIGNATURE = "the signature does not verify"
NO_PATH = "no valid certification path to a given anchor"
NOT_IN_FILE = "the signer's certificate is not in the file"
NOT_VALID_AT_SIGNING_TIME = "verifier not valid at signingTime"
UNREADABLE = "CMSException: IOException reading content"
MALFORMED = "CMSException: Malformed content"
TRAILING = "nothing may follow the signed structure in our files; BouncyCastle reads one object and ignores the rest"

ATTACKS = [
    # the content and the signature
    both("flipped content byte", lambda f: f.flip(CONTENT, 10), errors.MessageDigestMismatchError, DIGEST_MISMATCH),
    both(
        "flipped signature byte",
        lambda f: f.flip(bytes(f.info["signature"].native), len(f.info["signature"].native) - 1),
        errors.BadSignatureError,
        BAD_SIGNATURE,
    ),
    both(
        "signed by another key",
        lambda f: resign_attributes(f.good, new_p256_key(), lambda a: a),
        errors.BadSignatureError,
        BAD_SIGNATURE,
    ),
    both(
        "modified workbook",
        lambda f: f.workbook_signature,
        errors.MessageDigestMismatchError,
        DIGEST_MISMATCH,
        content=flip_byte(WORKBOOK, 1000),
    ),
    both(
        "workbook with a byte added",
        lambda f: f.workbook_signature,
        errors.MessageDigestMismatchError,
        DIGEST_MISMATCH,
        content=WORKBOOK + b"\0",
    ),
    both(
        "detached signature without its content",
        lambda f: f.workbook_signature,
        errors.MissingContentError,
        "a detached signature was given without its content",
    ),
    # the signer's certificate and chain
    both(
        "signer from an untrusted root",
        lambda f: f.signed_by(f.mallory, f.mallory_ca),
        errors.UntrustedSignerError,
        NO_PATH,
    ),
    both(
        "root carried in the file",
        lambda f: f.signed_by(f.mallory, f.mallory_ca, f.mallory_root),
        errors.UntrustedSignerError,
        NO_PATH,
    ),
    both(
        "issuing CA missing from the file",
        lambda f: sign_data(CONTENT, signer_for(dev_credential("secas-signer-1"))),
        errors.UntrustedSignerError,
        NO_PATH,
    ),
    both(
        "signer certificate missing from the file",
        lambda f: f.only_the_issuing_ca(),
        errors.SignerCertificateNotFoundError,
        NOT_IN_FILE,
    ),
    both(
        "signer named by a wrong serial number",
        lambda f: f.with_info(sid=f.sid_serial(12345)),
        errors.SignerCertificateNotFoundError,
        NOT_IN_FILE,
    ),
    both(
        "signer expired at the signing time",
        lambda f: f.signed_by(
            f.end_entity(
                "expired",
                not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
                not_after=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
            )
        ),
        errors.SignerNotValidAtSigningTimeError,
        NOT_VALID_AT_SIGNING_TIME,
    ),
    both(
        "signer not yet valid at the signing time",
        lambda f: f.signed_by(f.end_entity("future", not_before=now() + dt.timedelta(days=30))),
        errors.SignerNotValidAtSigningTimeError,
        NOT_VALID_AT_SIGNING_TIME,
    ),
    ours_only(
        "signer without digitalSignature",
        lambda f: f.signed_by(f.end_entity("no-digital-signature", digital_signature=False)),
        errors.KeyUsageError,
        "keyUsage digitalSignature is our rule (CONTRACT.md section 2); CMS and PKIX leave a leaf's use to the caller",
        lambda bc: bc.digital_signature is False,
    ),
    ours_only(
        "signer without the role's policy",
        lambda f: sign_data(CONTENT, dev_signer("dcc-receipt-signer")),
        errors.SignerRoleError,
        "the role (one certificate policy per purpose) is our rule; BouncyCastle is not told which role to expect",
        lambda bc: bc.key == "EC-256",
        required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING,
    ),
    ours_only(
        "signing-time in the future",
        lambda f: sign_data(CONTENT, dev_signer(), signing_time=now() + SIGNING_TIME_SKEW + dt.timedelta(minutes=5)),
        errors.SigningTimeInFutureError,
        "bounding the signing-time by the receiver's clock is our rule; CMS has no clock",
        lambda bc: OID_SIGNING_TIME in (bc.signed_attributes or ()),
        check_clock=True,
    ),
    # algorithms
    ours_only(
        "P-384 signer",
        lambda f: f.by_openssl("p384", key=ec.generate_private_key(ec.SECP384R1())),
        errors.UnsupportedAlgorithmError,
        "NIST P-256 only is our profile (GBCS); CMS allows any curve",
        lambda bc: bc.key == "EC-384",
    ),
    ours_only(
        "RSA signer",
        lambda f: f.by_openssl("rsa", key=rsa.generate_private_key(65537, 2048)),
        errors.UnsupportedAlgorithmError,
        "ECDSA only is our profile; CMS allows RSA",
        lambda bc: bc.key == "RSA-2048",
    ),
    *(
        ours_only(
            f"{digest} digest",
            lambda f, digest=digest: f.by_openssl(digest, digest=digest),  # type: ignore[misc]
            errors.UnsupportedAlgorithmError,
            "SHA-256 only is our profile; CMS allows other digests",
            lambda bc: bc.digest not in (None, OID_SHA256),
        )
        for digest in ("sha1", "sha384", "sha512")
    ),
    both(
        "digest algorithm relabelled sha512",
        lambda f: f.with_info(digest_algorithm=algos.DigestAlgorithm({"algorithm": "sha512"})),
        errors.UnsupportedAlgorithmError,
        DIGEST_MISMATCH,
    ),
    both(
        "signature algorithm relabelled ecdsa-with-SHA384",
        lambda f: f.with_info(signature_algorithm=algos.SignedDigestAlgorithm({"algorithm": "sha384_ecdsa"})),
        errors.UnsupportedAlgorithmError,
        BAD_SIGNATURE,
    ),
    both(
        "algorithm protection naming sha512",
        lambda f: f.resigned(_protection_naming_sha512),
        errors.UnsupportedAlgorithmError,
        "CMS Algorithm Identifier Protection check failed for digestAlgorithm",
    ),
    # signed attributes
    ours_only(
        "no signing-time",
        lambda f: f.resigned(without_attribute("signing_time")),
        errors.MissingSignedAttributeError,
        "a signing-time is required by our profile (the certificates are checked at it); CMS makes it optional",
        lambda bc: bc.signed_attributes is not None and OID_SIGNING_TIME not in bc.signed_attributes,
    ),
    both(
        "no message-digest",
        lambda f: f.resigned(without_attribute("message_digest")),
        errors.MissingSignedAttributeError,
        "the message-digest signed attribute type MUST be present",
    ),
    both(
        "no content-type",
        lambda f: f.resigned(without_attribute("content_type")),
        errors.MissingSignedAttributeError,
        "The content-type attribute type MUST be present",
    ),
    ours_only(
        "no signed attributes at all",
        lambda f: f.without_signed_attributes(),
        errors.MissingSignedAttributeError,
        "signed attributes are required by our profile; RFC 5652 5.4 allows a signature over the content itself",
        lambda bc: bc.signed_attributes is None,
    ),
    both(
        "content-type attribute says signed-data",
        lambda f: f.resigned(_content_type_signed_data),
        errors.ContentTypeAttributeMismatchError,
        "content-type attribute value does not match eContentType",
    ),
    both(
        "signing-time given twice",
        lambda f: f.resigned(_signing_time_twice),
        errors.MalformedCmsError,
        "MUST NOT include multiple instances of the signing-time attribute",
    ),
    # content: extra, missing, twice
    ours_only(
        "unsigned bytes after the file",
        lambda f: f.good + b'{"entries":["smuggled"]}',
        errors.UnsignedContentError,
        TRAILING,
        lambda bc: bc.content_sha256 == sha256(CONTENT),
    ),
    ours_only(
        "a second signed file appended",
        lambda f: f.good + sign_data(b"another content", dev_signer()),
        errors.UnsignedContentError,
        TRAILING,
        lambda bc: bc.content_sha256 == sha256(CONTENT),
    ),
    both("a second encapsulated content", _two_contents, errors.ExtraContentError, MALFORMED),
    both(
        "signed content type digested-data",  # and, so, no id-data content for the signature to cover
        lambda f: rebuild(f.good, encap_content_info=asn1_cms.ContentInfo({"content_type": "digested_data"})),
        errors.UnexpectedContentTypeError,
        "without its content",
    ),
    both(
        "ContentInfo of data, not SignedData",
        lambda f: asn1_cms.ContentInfo({"content_type": "data", "content": core.OctetString(CONTENT)}).dump(),
        errors.UnexpectedContentTypeError,
        MALFORMED,
    ),
    # signers
    both("no signer", lambda f: rebuild(f.good, signer_infos=[]), errors.NoSignerError, "carries no signer"),
    ours_only(
        "two signers",
        lambda f: f.with_second_signer(),
        errors.MultipleSignersError,
        "exactly one signer is our profile; CMS allows several and BouncyCastle verifies each",
        lambda bc: bc.signers == 2,
    ),
    # not CMS at all
    *(
        both(f"truncated by {cut} bytes", lambda f, cut=cut: f.good[:-cut], errors.MalformedCmsError, UNREADABLE)  # type: ignore[misc]
        for cut in (1, 10, 100, 500)
    ),
    *(
        both(f"not CMS: {data!r}", lambda f, data=data: data, errors.NotCmsError, reason)  # type: ignore[misc]
        for data, reason in (
            (b"{}", UNREADABLE),
            (b"\x30\x00", MALFORMED),
            (b"-----BEGIN PKCS7-----\n", UNREADABLE),
            (b"\x04\x01a", MALFORMED),
        )
    ),
]


@dataclass(frozen=True)
class Judged:
    """Every attack file and BouncyCastle's verdict on it (one JVM for the corpus)."""

    files: dict[str, bytes]
    bouncycastle: dict[str, BcResult]


@pytest.fixture(scope="module")
def judged(bouncycastle: BouncyCastle, tmp_path_factory: pytest.TempPathFactory) -> Judged:
    forge = Forge(tmp_path_factory.mktemp("forge"))
    files = {attack.name: attack.make(forge) for attack in ATTACKS}
    results = bouncycastle.verify_all(
        {attack.name: (files[attack.name], attack.content) for attack in ATTACKS},
        tmp_path_factory.mktemp("bc-verify"),
        cas=[ROOT_CA],
    )
    return Judged(files, results)


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
def test_the_attack_is_refused_by_us_and_by_bouncycastle_unless_only_our_profile_forbids_it(
    judged: Judged, attack: Attack
) -> None:
    with pytest.raises(attack.our_refusal):
        verify_signed_data(
            judged.files[attack.name],
            dev_trust(),
            detached_content=attack.content,
            required_policy=attack.required_policy,
            now=now() if attack.check_clock else None,
        )
    bc = judged.bouncycastle[attack.name]
    if attack.bc_refuses is not None:
        assert not bc.accepted, f"BouncyCastle accepted it: {bc}"
        assert attack.bc_refuses in (bc.reason or ""), f"BouncyCastle refused it for another reason: {bc.reason}"
    else:
        assert bc.accepted, f"BouncyCastle refused it ({bc.reason}), though only our rule should: {attack.only_ours}"
        assert attack.bc_sees is not None and attack.bc_sees(bc), f"BouncyCastle did not see the deviation: {bc}"


def test_every_attack_has_its_own_name_and_exactly_one_expectation_of_bouncycastle() -> None:
    assert len({attack.name for attack in ATTACKS}) == len(ATTACKS)
    assert all((attack.bc_refuses is None) != (attack.only_ours is None) for attack in ATTACKS)
