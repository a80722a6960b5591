"""A national-scale signed extract (CONTRACT.md section 2): megabytes of content, still exact DER.

`sign_data` keeps each level of the SignedData around a large content encoded once (signing/cms.py);
the file must be the very DER asn1crypto writes for the same structure, and verify everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import algos, core
from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing.cms import sign_data, verify_signed_data
from signing.profile import DEV_POLICY_CPL_EXTRACT_SIGNING
from tests.signing.helpers import ROOT_CA, dev_signer, dev_trust, openssl_verify

SIGNED_AT = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
# Several megabytes, every byte value, not a multiple of anything asn1crypto might chunk by.
LARGE = (bytes(range(256)) * 12_289)[:3_145_739]


@dataclass(frozen=True)
class DeterministicSigner:
    """The development extract signer with RFC 6979 signatures, so two files over the same bytes agree."""

    certificate: x509.Certificate
    chain: Sequence[x509.Certificate]
    private_key: ec.EllipticCurvePrivateKey

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


def deterministic_signer() -> DeterministicSigner:
    signer = dev_signer()
    return DeterministicSigner(signer.certificate, signer.chain, signer.private_key)


def built_directly(content: bytes, signer: DeterministicSigner) -> bytes:
    """RFC 5652 SignedData over ``content`` built with asn1crypto in one go, as the profile describes it."""

    def certificate(c: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))

    attributes = asn1_cms.CMSAttributes(
        [
            asn1_cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            asn1_cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
            asn1_cms.CMSAttribute({"type": "signing_time", "values": [asn1_cms.Time({"utc_time": SIGNED_AT})]}),
        ]
    )
    signer_certificate = certificate(signer.certificate)
    info = asn1_cms.SignerInfo(
        {
            "version": "v1",
            "sid": asn1_cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": asn1_cms.IssuerAndSerialNumber(
                        {"issuer": signer_certificate.issuer, "serial_number": signer_certificate.serial_number}
                    )
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature": signer.sign(attributes.dump()),
        }
    )
    signed_data = asn1_cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": asn1_cms.ContentInfo({"content_type": "data", "content": core.OctetString(content)}),
            "certificates": [signer_certificate, *(certificate(c) for c in signer.chain)],
            "signer_infos": [info],
        }
    )
    return bytes(asn1_cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def test_a_large_signed_extract_is_the_der_asn1crypto_builds_for_it_in_one_go() -> None:
    signer = deterministic_signer()

    assert sign_data(LARGE, signer, signing_time=SIGNED_AT) == built_directly(LARGE, signer)


def test_a_large_signed_extract_is_der_that_re_encodes_to_itself() -> None:
    signed = sign_data(LARGE, dev_signer(), signing_time=SIGNED_AT)

    assert asn1_cms.ContentInfo.load(signed).dump(force=True) == signed


def test_a_large_signed_extract_carries_its_content_once_and_verifies() -> None:
    signed = sign_data(LARGE, dev_signer(), signing_time=SIGNED_AT)

    verified = verify_signed_data(signed, dev_trust(), required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING)

    assert verified.content == LARGE
    assert verified.signing_time == SIGNED_AT
    assert len(signed) < len(LARGE) + 4_000  # the content once, with the certificates and one signature


@pytest.mark.usefixtures("openssl")
def test_openssl_verifies_a_large_signed_extract_and_outputs_it_byte_for_byte(tmp_path: Path) -> None:
    signed = tmp_path / "extract.p7m"
    signed.write_bytes(sign_data(LARGE, dev_signer(), signing_time=SIGNED_AT))

    result = openssl_verify(signed, ROOT_CA)

    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == LARGE


def test_a_detached_signature_over_large_content_leaves_it_out_and_verifies_with_it() -> None:
    signature = sign_data(LARGE, dev_signer(), detached=True, signing_time=SIGNED_AT)

    verified = verify_signed_data(
        signature, dev_trust(), detached_content=LARGE, required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING
    )

    assert verified.content == LARGE
    assert len(signature) < 4_000
