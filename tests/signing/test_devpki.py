"""The development credentials follow the GBCS / IKI profile (DOMAIN.md rule 7)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key

from signing.devpki import DEV_ISSUING_CAS, DEV_ROOTS, DEV_SIGNERS, main
from signing.profile import DEV_POLICY_PURPOSES, certificate_policies, key_identifier, party_id
from tests.signing.helpers import KEYS

ROOTS = [name for name, *_ in DEV_ROOTS]
CAS = [name for name, *_ in DEV_ISSUING_CAS]
SIGNERS = [signer.name for signer in DEV_SIGNERS]
EXPECTED = {
    "root-ca",
    "root-ca-2",
    "issuing-ca",
    "issuing-ca-2",
    "secas-signer-1",
    "secas-signer-2",
    "dcc-receipt-signer",
    "manufacturer-acme-meters",
    "manufacturer-northwind",
    "secas-signer-3-newroot",
}


def load(name: str, directory: Path = KEYS) -> x509.Certificate:
    return x509.load_pem_x509_certificate((directory / f"{name}.pem").read_bytes())


def test_keys_dev_holds_every_named_credential_and_its_readme() -> None:
    assert set(ROOTS + CAS + SIGNERS) == EXPECTED
    for name in EXPECTED:
        assert (KEYS / f"{name}.pem").is_file()
        assert (KEYS / f"{name}.key.pem").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    readme = (KEYS / "README.md").read_text()
    assert "DEVELOPMENT-ONLY" in readme and "NEVER USE IN PRODUCTION" in readme
    assert "python -m signing.devpki keys-dev" in readme
    for name in EXPECTED:
        assert f"`{name}.pem`" in readme


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_certificate_is_p256_ecdsa_sha256_x509_v3(name: str) -> None:
    certificate = load(name)
    key = certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    assert certificate.signature_algorithm_oid == x509.SignatureAlgorithmOID.ECDSA_WITH_SHA256
    assert certificate.version == x509.Version.v3
    private = load_pem_private_key((KEYS / f"{name}.key.pem").read_bytes(), password=None)
    assert private.public_key() == key


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_key_usage_basic_constraints_and_policies_are_critical(name: str) -> None:
    extensions = load(name).extensions
    for kind in (x509.KeyUsage, x509.BasicConstraints, x509.CertificatePolicies):
        assert extensions.get_extension_for_class(kind).critical
    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    is_ca = extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert is_ca == (name not in SIGNERS)
    if is_ca:
        assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    else:
        assert usage.digital_signature and not usage.key_cert_sign


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_key_identifiers_are_8_octets_by_rfc5280_method_2(name: str) -> None:
    certificate = load(name)
    key = certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    bit_string = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    sha1 = hashlib.sha1(bit_string).digest()
    expected = bytes([0x40 | (sha1[-8] & 0x0F)]) + sha1[-7:]
    ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert ski == expected == key_identifier(key)
    assert len(ski) == 8 and ski[0] >> 4 == 0b0100


@pytest.mark.parametrize("signer", DEV_SIGNERS, ids=lambda s: s.name)
def test_signers_name_their_party_and_carry_only_their_policy(signer: object) -> None:
    from signing.devpki import DevSigner

    assert isinstance(signer, DevSigner)
    certificate = load(signer.name)
    issuer = load(signer.issuer)
    assert party_id(certificate) == signer.party
    assert certificate_policies(certificate) == {signer.policy}
    assert certificate.issuer == issuer.subject
    aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    assert aki == issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    certificate.verify_directly_issued_by(issuer)
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime >= dt.timedelta(days=9 * 365)


def test_policy_oids_are_distinct_uuid_arc_oids() -> None:
    assert len(set(DEV_POLICY_PURPOSES)) == 3
    for oid in DEV_POLICY_PURPOSES:
        arc, _, number = oid.partition(".25.")
        assert arc == "2" and 0 < int(number) < 2**128


def test_generator_writes_the_same_file_names_anew(tmp_path: Path) -> None:
    assert main([str(tmp_path / "fresh")]) == 0
    written = {p.name for p in (tmp_path / "fresh").iterdir()}
    assert written == {p.name for p in KEYS.iterdir() if p.suffix in (".pem", ".md")}
    assert load("secas-signer-1", tmp_path / "fresh") != load("secas-signer-1")
