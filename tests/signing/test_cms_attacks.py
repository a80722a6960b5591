"""The attack corpus: every way a signed file can be wrong is refused with its own named error.

Each forged file is wrong in exactly one way: where a structure is changed, the signature is
made again with the right key, so only the rule under test can refuse it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from asn1crypto import algos, core
from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st

from signing import errors
from signing.cms import SIGNING_TIME_SKEW, VerifiedData, sign_data, verify_signed_data
from signing.devpki import (
    Credential,
    issue_certificate,
    make_end_entity,
    make_issuing_ca,
    make_root,
    new_p256_key,
    subject_name,
)
from signing.profile import (
    DEV_POLICY_CPL_EXTRACT_SIGNING,
    DEV_POLICY_DCC_RECEIPT_SIGNING,
    DEV_POLICY_SUBMISSION_SIGNING,
)
from signing.trust import TrustStore
from tests.signing.helpers import (
    KEYS,
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

AttributeEdit = Callable[[list[asn1_cms.CMSAttribute]], list[asn1_cms.CMSAttribute]]
CONTENT = b'{"entries":[],"format":"cpl-extract","format_version":1,"sequence":7}'


@pytest.fixture(scope="module")
def good() -> bytes:
    return sign_data(CONTENT, dev_signer())


@pytest.fixture(scope="module")
def signer_key() -> ec.EllipticCurvePrivateKey:
    key = dev_credential("secas-signer-1").private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


@pytest.fixture(scope="module")
def issuing_ca() -> Credential:
    return dev_credential("issuing-ca")


def verify(
    der: bytes,
    *,
    detached_content: bytes | None = None,
    required_policy: str | None = None,
    now: dt.datetime | None = None,
) -> VerifiedData:
    return verify_signed_data(
        der, dev_trust(), detached_content=detached_content, required_policy=required_policy, now=now
    )


def test_the_untouched_file_verifies(good: bytes) -> None:
    verified = verify_signed_data(good, dev_trust(), required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING, now=now())
    assert verified.content == CONTENT


# --- the content and the signature ----------------------------------------------------------


def test_flipped_content_byte_is_refused_as_a_digest_mismatch(good: bytes) -> None:
    tampered = flip_byte(good, good.index(CONTENT) + 10)
    with pytest.raises(errors.MessageDigestMismatchError):
        verify(tampered)


def test_flipped_signature_byte_is_refused_as_a_bad_signature(good: bytes) -> None:
    signature = bytes(signer_info(good)["signature"].native)
    tampered = flip_byte(good, good.index(signature) + len(signature) - 1)
    with pytest.raises(errors.BadSignatureError):
        verify(tampered)


def test_signature_by_another_key_is_refused_as_a_bad_signature(good: bytes) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    forged = resign_attributes(good, other, lambda attributes: attributes)
    with pytest.raises(errors.BadSignatureError):
        verify(forged)


# --- the signer's certificate ---------------------------------------------------------------


def throwaway_pki(moment: dt.datetime) -> tuple[Credential, Credential, Credential]:
    root = make_root("throwaway-root", "Throwaway Root", "Mallory", now=moment)
    ca = make_issuing_ca("throwaway-ca", "Throwaway CA", "Mallory", root, now=moment)
    signer = make_end_entity(
        "throwaway-signer", "secas", "SECAS", ca, policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,), now=moment
    )
    return root, ca, signer


def test_signer_from_an_untrusted_root_is_refused() -> None:
    root, ca, signer = throwaway_pki(now())
    signed = sign_data(CONTENT, signer_for(signer, ca))

    assert verify_signed_data(signed, TrustStore.from_certificates([root.certificate])).content == CONTENT
    with pytest.raises(errors.UntrustedSignerError):
        verify(signed)


def test_a_root_carried_in_the_file_is_never_trusted() -> None:
    root, ca, signer = throwaway_pki(now())
    signed = sign_data(CONTENT, signer_for(signer, ca, root))
    with pytest.raises(errors.UntrustedSignerError):
        verify(signed)


def test_signer_without_its_issuing_ca_in_the_file_is_refused() -> None:
    signed = sign_data(CONTENT, signer_for(dev_credential("secas-signer-1")))
    with pytest.raises(errors.UntrustedSignerError):
        verify(signed)


def test_signer_certificate_missing_from_the_file_is_refused(good: bytes, issuing_ca: Credential) -> None:
    only_ca = asn1_cms.CertificateSet([asn1_cms.CertificateChoices({"certificate": _asn1(issuing_ca)})])
    with pytest.raises(errors.SignerCertificateNotFoundError):
        verify(rebuild(good, certificates=only_ca))


def test_signer_named_by_an_equivalently_encoded_issuer_name_is_found(good: bytes) -> None:
    info = signer_info(good)
    issuer = info["sid"].chosen["issuer"]
    printable = asn1_x509.Name.build(issuer.native, use_printable=True)
    assert printable.dump() != issuer.dump()
    sid = asn1_cms.SignerIdentifier(
        {
            "issuer_and_serial_number": asn1_cms.IssuerAndSerialNumber(
                {"issuer": printable, "serial_number": info["sid"].chosen["serial_number"]}
            )
        }
    )
    assert verify(rebuild(good, signer_infos=[with_signer_info(info, sid=sid)])).content == CONTENT


def test_signer_named_by_a_wrong_serial_number_is_not_found(good: bytes) -> None:
    info = signer_info(good)
    sid = asn1_cms.SignerIdentifier(
        {
            "issuer_and_serial_number": asn1_cms.IssuerAndSerialNumber(
                {"issuer": info["sid"].chosen["issuer"], "serial_number": 12345}
            )
        }
    )
    with pytest.raises(errors.SignerCertificateNotFoundError):
        verify(rebuild(good, signer_infos=[with_signer_info(info, sid=sid)]))


def _asn1(credential: Credential) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(credential.certificate.public_bytes(Encoding.DER))


def test_expired_signer_is_refused_as_not_valid_at_signing_time(issuing_ca: Credential) -> None:
    expired = make_end_entity(
        "expired",
        "secas",
        "SECAS",
        issuing_ca,
        policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,),
        now=now(),
        not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        not_after=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
    )
    signed = sign_data(CONTENT, signer_for(expired, issuing_ca))
    with pytest.raises(errors.SignerNotValidAtSigningTimeError):
        verify(signed)


def test_not_yet_valid_signer_is_refused_as_not_valid_at_signing_time(issuing_ca: Credential) -> None:
    future = make_end_entity(
        "future",
        "secas",
        "SECAS",
        issuing_ca,
        policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,),
        now=now(),
        not_before=now() + dt.timedelta(days=30),
    )
    signed = sign_data(CONTENT, signer_for(future, issuing_ca))
    with pytest.raises(errors.SignerNotValidAtSigningTimeError):
        verify(signed)


def test_a_signer_since_expired_still_verifies_for_what_it_signed_while_valid() -> None:
    past = dt.datetime(2020, 6, 1, tzinfo=dt.UTC)
    root, ca, _ = throwaway_pki(past)
    signer = make_end_entity(
        "short-lived",
        "secas",
        "SECAS",
        ca,
        policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,),
        now=past,
        not_before=past,
        not_after=past + dt.timedelta(days=90),
    )
    signed = sign_data(CONTENT, signer_for(signer, ca), signing_time=past + dt.timedelta(days=1))

    verified = verify_signed_data(signed, TrustStore.from_certificates([root.certificate]), now=now())

    assert verified.content == CONTENT


def test_signing_time_in_the_future_is_refused() -> None:
    signed = sign_data(CONTENT, dev_signer(), signing_time=now() + SIGNING_TIME_SKEW + dt.timedelta(minutes=5))
    assert verify(signed).content == CONTENT
    with pytest.raises(errors.SigningTimeInFutureError):
        verify(signed, now=now())


def test_signer_without_digital_signature_is_refused(issuing_ca: Credential) -> None:
    no_signing = make_end_entity(
        "no-digital-signature",
        "secas",
        "SECAS",
        issuing_ca,
        policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,),
        now=now(),
        digital_signature=False,
    )
    signed = sign_data(CONTENT, signer_for(no_signing, issuing_ca))
    with pytest.raises(errors.KeyUsageError):
        verify(signed)


def test_signer_without_the_required_policy_is_refused_for_that_role(good: bytes) -> None:
    receipt_signed = sign_data(CONTENT, dev_signer("dcc-receipt-signer"))
    assert verify(receipt_signed, required_policy=DEV_POLICY_DCC_RECEIPT_SIGNING)
    with pytest.raises(errors.SignerRoleError):
        verify(receipt_signed, required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING)
    with pytest.raises(errors.SignerRoleError):
        verify(good, required_policy=DEV_POLICY_SUBMISSION_SIGNING)


def test_issuing_ca_not_authorised_for_the_policy_is_refused_for_that_role() -> None:
    root = dev_credential("root-ca")
    ca_key = new_p256_key()
    start = now() - dt.timedelta(days=1)
    submissions_only = Credential(
        "submissions-ca",
        issue_certificate(
            subject=subject_name("Submissions CA", "CPL Development PKI"),
            public_key=ca_key.public_key(),
            issuer=root,
            signing_key=root.private_key,
            is_ca=True,
            policies=(DEV_POLICY_SUBMISSION_SIGNING,),
            not_before=start,
            not_after=start + dt.timedelta(days=365),
            path_length=0,
        ),
        ca_key,
    )
    signer = make_end_entity(
        "overreaching", "secas", "SECAS", submissions_only, policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,), now=now()
    )
    signed = sign_data(CONTENT, signer_for(signer, submissions_only))

    assert verify(signed).content == CONTENT
    with pytest.raises(errors.SignerRoleError):
        verify(signed, required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING)


# --- algorithms -------------------------------------------------------------------------------


def _issued_openssl_signer(tmp_path: Path, issuing_ca: Credential, key: object) -> tuple[Path, Path]:
    credential = make_end_entity(
        "odd-key",
        "secas",
        "SECAS",
        issuing_ca,
        policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,),
        now=now(),
        key=key,  # type: ignore[arg-type]
    )
    return write_pem(credential, tmp_path)


@pytest.mark.usefixtures("openssl")
def test_p384_signer_is_refused(tmp_path: Path, issuing_ca: Credential) -> None:
    cert, key = _issued_openssl_signer(tmp_path, issuing_ca, ec.generate_private_key(ec.SECP384R1()))
    signed = openssl_sign(CONTENT, cert, key, tmp_path, certfile=KEYS / "issuing-ca.pem")
    with pytest.raises(errors.UnsupportedAlgorithmError, match="P-256"):
        verify(signed)


@pytest.mark.usefixtures("openssl")
def test_rsa_signer_is_refused(tmp_path: Path, issuing_ca: Credential) -> None:
    cert, key = _issued_openssl_signer(tmp_path, issuing_ca, rsa.generate_private_key(65537, 2048))
    signed = openssl_sign(CONTENT, cert, key, tmp_path, certfile=KEYS / "issuing-ca.pem")
    with pytest.raises(errors.UnsupportedAlgorithmError):
        verify(signed)


@pytest.mark.usefixtures("openssl")
@pytest.mark.parametrize("digest", ["sha1", "sha512", "sha384"])
def test_digest_other_than_sha256_is_refused(tmp_path: Path, digest: str) -> None:
    signed = openssl_sign(
        CONTENT,
        KEYS / "secas-signer-1.pem",
        KEYS / "secas-signer-1.key.pem",
        tmp_path,
        certfile=KEYS / "issuing-ca.pem",
        digest=digest,
    )
    with pytest.raises(errors.UnsupportedAlgorithmError, match=digest):
        verify(signed)


def test_signer_digest_algorithm_other_than_sha256_is_refused(good: bytes) -> None:
    info = with_signer_info(signer_info(good), digest_algorithm=algos.DigestAlgorithm({"algorithm": "sha512"}))
    with pytest.raises(errors.UnsupportedAlgorithmError):
        verify(rebuild(good, signer_infos=[info]))


def test_signature_algorithm_other_than_ecdsa_with_sha256_is_refused(good: bytes) -> None:
    info = with_signer_info(
        signer_info(good), signature_algorithm=algos.SignedDigestAlgorithm({"algorithm": "sha384_ecdsa"})
    )
    with pytest.raises(errors.UnsupportedAlgorithmError):
        verify(rebuild(good, signer_infos=[info]))


# --- signed attributes ------------------------------------------------------------------------


@pytest.mark.parametrize("attribute", ["signing_time", "message_digest", "content_type"])
def test_missing_signed_attribute_is_refused(
    good: bytes, signer_key: ec.EllipticCurvePrivateKey, attribute: str
) -> None:
    forged = resign_attributes(good, signer_key, without_attribute(attribute))
    with pytest.raises(errors.MissingSignedAttributeError, match=attribute.replace("_", "-")):
        verify(forged)


def test_signer_without_signed_attributes_is_refused(good: bytes, signer_key: ec.EllipticCurvePrivateKey) -> None:
    signature = signer_key.sign(CONTENT, ec.ECDSA(hashes.SHA256()))  # the RFC 5652 no-attributes form
    info = with_signer_info(signer_info(good), signed_attrs=None, signature=signature)
    with pytest.raises(errors.MissingSignedAttributeError):
        verify(rebuild(good, signer_infos=[info]))


def test_content_type_attribute_other_than_id_data_is_refused(
    good: bytes, signer_key: ec.EllipticCurvePrivateKey
) -> None:
    def claim_signed_data(attributes: list[asn1_cms.CMSAttribute]) -> list[asn1_cms.CMSAttribute]:
        kept = without_attribute("content_type")(attributes)
        return [*kept, asn1_cms.CMSAttribute({"type": "content_type", "values": ["signed_data"]})]

    with pytest.raises(errors.ContentTypeAttributeMismatchError):
        verify(resign_attributes(good, signer_key, claim_signed_data))


def test_a_signed_attribute_given_twice_is_refused(good: bytes, signer_key: ec.EllipticCurvePrivateKey) -> None:
    def second_time(attributes: list[asn1_cms.CMSAttribute]) -> list[asn1_cms.CMSAttribute]:
        later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        return [
            *attributes,
            asn1_cms.CMSAttribute({"type": "signing_time", "values": [asn1_cms.Time({"utc_time": later})]}),
        ]

    with pytest.raises(errors.MalformedCmsError):
        verify(resign_attributes(good, signer_key, second_time))


def _with_algorithm_protection(digest: str) -> AttributeEdit:
    def edit(attributes: list[asn1_cms.CMSAttribute]) -> list[asn1_cms.CMSAttribute]:
        protection = asn1_cms.CMSAlgorithmProtection(
            {"digest_algorithm": {"algorithm": digest}, "signature_algorithm": {"algorithm": "sha256_ecdsa"}}
        )
        return [*attributes, asn1_cms.CMSAttribute({"type": "cms_algorithm_protection", "values": [protection]})]

    return edit


def test_algorithm_protection_naming_our_algorithms_is_accepted(
    good: bytes, signer_key: ec.EllipticCurvePrivateKey
) -> None:
    protected = resign_attributes(good, signer_key, _with_algorithm_protection("sha256"))
    assert verify(protected).content == CONTENT


def test_algorithm_protection_naming_another_digest_is_refused(
    good: bytes, signer_key: ec.EllipticCurvePrivateKey
) -> None:
    protected = resign_attributes(good, signer_key, _with_algorithm_protection("sha512"))
    with pytest.raises(errors.UnsupportedAlgorithmError, match="algorithm protection"):
        verify(protected)


# --- content: extra, missing, twice ---------------------------------------------------------


def test_extra_unsigned_bytes_after_the_file_are_refused(good: bytes) -> None:
    with pytest.raises(errors.UnsignedContentError):
        verify(good + b'{"entries":["smuggled"]}')


def test_a_second_signed_file_appended_is_refused(good: bytes) -> None:
    with pytest.raises(errors.UnsignedContentError):
        verify(good + sign_data(b"another content", dev_signer()))


class _TwoContents(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("content_type", asn1_cms.ContentType),
        ("content", core.OctetString, {"explicit": 0}),
        ("second_content", core.OctetString, {"explicit": 0}),
    ]


def test_a_second_encapsulated_content_is_refused(good: bytes) -> None:
    two = _TwoContents({"content_type": "data", "content": CONTENT, "second_content": b"smuggled"})
    forged = rebuild(good, encap_content_info=asn1_cms.ContentInfo.load(two.dump()))
    with pytest.raises(errors.ExtraContentError):
        verify(forged)


def test_an_encapsulated_file_given_separate_content_is_refused(good: bytes) -> None:
    with pytest.raises(errors.ExtraContentError):
        verify(good, detached_content=CONTENT)


def test_a_detached_signature_without_its_content_is_refused() -> None:
    with pytest.raises(errors.MissingContentError):
        verify(sign_data(CONTENT, dev_signer(), detached=True))


def test_a_modified_workbook_is_refused_by_its_detached_signature() -> None:
    workbook = b"PK\x03\x04" + bytes(range(256)) * 40
    signature = sign_data(workbook, dev_signer("manufacturer-acme-meters"), detached=True)
    with pytest.raises(errors.MessageDigestMismatchError):
        verify(signature, detached_content=flip_byte(workbook, 1000))
    with pytest.raises(errors.MessageDigestMismatchError):
        verify(signature, detached_content=workbook + b"\x00")


def test_signed_content_type_other_than_id_data_is_refused(good: bytes) -> None:
    other = asn1_cms.ContentInfo({"content_type": "digested_data"})
    with pytest.raises(errors.UnexpectedContentTypeError):
        verify(rebuild(good, encap_content_info=other))


def test_content_info_other_than_signed_data_is_refused() -> None:
    data = asn1_cms.ContentInfo({"content_type": "data", "content": core.OctetString(CONTENT)}).dump()
    with pytest.raises(errors.UnexpectedContentTypeError):
        verify(data)


# --- signers ------------------------------------------------------------------------------------


def test_empty_signer_list_is_refused(good: bytes) -> None:
    with pytest.raises(errors.NoSignerError):
        verify(rebuild(good, signer_infos=[]))


def test_two_signers_are_refused(good: bytes) -> None:
    other = sign_data(CONTENT, dev_signer("secas-signer-2"))
    with pytest.raises(errors.MultipleSignersError):
        verify(rebuild(good, signer_infos=[signer_info(good), signer_info(other)]))


# --- not CMS at all -----------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [1, 10, 100, 500])
def test_truncated_file_is_refused(good: bytes, cut: int) -> None:
    with pytest.raises(errors.MalformedCmsError):
        verify(good[:-cut])


@pytest.mark.parametrize("data", [b"", b"{}", b"\x30", b"\x30\x00", b"-----BEGIN PKCS7-----\n", b"\x04\x01a"])
def test_non_cms_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(errors.NotCmsError):
        verify(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_only_ever_raise_verification_errors(data: bytes) -> None:
    with pytest.raises(errors.VerificationError):
        verify(data)


_GOOD = sign_data(CONTENT, dev_signer())


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(_GOOD) - 1), st.integers(min_value=1, max_value=255))
def test_any_corrupted_byte_is_refused(index: int, mask: int) -> None:
    corrupted = _GOOD[:index] + bytes([_GOOD[index] ^ mask]) + _GOOD[index + 1 :]
    with pytest.raises(errors.VerificationError):
        verify(corrupted)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=len(_GOOD) - 1))
def test_every_truncation_is_refused(length: int) -> None:
    with pytest.raises(errors.VerificationError):
        verify(_GOOD[:length])
