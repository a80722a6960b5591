"""Signer revocation: CRLs configured at the verifier refuse a revoked signer or issuing CA.

The CRLs come from a real `openssl ca -revoke` / `-gencrl` over the development PKI or a
throwaway one, and from cryptography's builder (`signing.devpki.make_crl`) for what `openssl ca`
will not make (a forged, a future-dated or a partitioned CRL). `openssl cms -verify
-crl_check_all` is the independent judge of the same files.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st

from signing.cms import SIGNING_TIME_SKEW, sign_data, verify_signed_data
from signing.devpki import (
    Credential,
    Revocation,
    issue_certificate,
    make_crl,
    make_end_entity,
    make_issuing_ca,
    make_root,
    new_p256_key,
    subject_name,
)
from signing.errors import (
    CertificateRevokedError,
    CrlSignatureError,
    MissingCrlError,
    StaleCrlError,
    TrustConfigurationError,
    UntrustedSignerError,
)
from signing.profile import DEV_POLICY_CPL_EXTRACT_SIGNING, DEV_POLICY_DCC_RECEIPT_SIGNING, serial_text
from signing.trust import TrustStore, load_crls, load_trust
from tests.signing.helpers import KEYS, ROOT_CA, dev_credential, dev_signer, now, openssl_verify, signer_for
from tests.signing.openssl_ca import OpenSslCa

pytestmark = pytest.mark.usefixtures("openssl")

CONTENT = b'{"format":"cpl-extract","format_version":1,"sequence":9}'
WEEK = dt.timedelta(days=7)


def extract_by(name: str) -> bytes:
    return sign_data(CONTENT, dev_signer(name))


def verify(signed: bytes, trust: TrustStore, *, at: dt.datetime | None = None, policy: str | None = None) -> bytes:
    return verify_signed_data(
        signed, trust, required_policy=policy or DEV_POLICY_CPL_EXTRACT_SIGNING, now=at or now()
    ).content


# --- the development PKI under a real openssl CA ----------------------------------------------


@dataclass
class DevCas:
    """`openssl ca` over keys-dev's issuing CA and root (copies of their keys in a temporary directory)."""

    issuing: OpenSslCa
    root: OpenSslCa

    def crls(self) -> list[Path]:
        return [self.issuing.gencrl("issuing-ca.crl.pem"), self.root.gencrl("root-ca.crl", der=True)]


@pytest.fixture
def dev_cas(tmp_path: Path) -> DevCas:
    return DevCas(
        OpenSslCa(dev_credential("issuing-ca"), tmp_path / "issuing-ca"),
        OpenSslCa(dev_credential("root-ca"), tmp_path / "root-ca"),
    )


def test_a_signer_revoked_with_openssl_ca_is_refused_naming_its_serial_the_date_and_the_crl(dev_cas: DevCas) -> None:
    revoked = dev_credential("secas-signer-2").certificate
    dev_cas.issuing.revoke(revoked, "keyCompromise")
    trust = load_trust([ROOT_CA], crl_paths=dev_cas.crls())

    with pytest.raises(CertificateRevokedError) as refusal:
        verify(extract_by("secas-signer-2"), trust)

    message = str(refusal.value)
    assert message.startswith(f"the signer certificate serial {serial_text(revoked.serial_number)} (")
    assert f"was revoked on {now().date().isoformat()}" in message
    assert "(reason keyCompromise)" in message
    assert "by the CRL of 'CN=CPL Development Issuing CA,O=CPL Development PKI (DEVELOPMENT ONLY)' issued " in message
    assert verify(extract_by("secas-signer-1"), trust) == CONTENT


def test_openssl_cms_with_crl_check_all_refuses_and_accepts_the_same_files(dev_cas: DevCas, tmp_path: Path) -> None:
    dev_cas.issuing.revoke(dev_credential("secas-signer-2").certificate)
    crls = tmp_path / "crls.pem"
    crls.write_bytes(dev_cas.issuing.gencrl("issuing-ca.crl.pem").read_bytes() + dev_cas.root.gencrl().read_bytes())
    trust = load_trust([ROOT_CA], crl_paths=[crls])
    root_and_crls = tmp_path / "root-and-crls.pem"  # openssl cms reads CRLs from its -CAfile
    root_and_crls.write_bytes(ROOT_CA.read_bytes() + crls.read_bytes())
    revoked, good = tmp_path / "revoked.p7m", tmp_path / "good.p7m"
    revoked.write_bytes(extract_by("secas-signer-2"))
    good.write_bytes(extract_by("secas-signer-1"))

    refused = openssl_verify(revoked, root_and_crls, extra=["-crl_check_all"])
    accepted = openssl_verify(good, root_and_crls, extra=["-crl_check_all"])
    unchecked = openssl_verify(revoked, ROOT_CA, extra=["-crl_check_all"])

    assert refused.returncode != 0 and b"certificate revoked" in refused.stderr
    assert accepted.returncode == 0, accepted.stderr.decode()
    assert unchecked.returncode != 0 and b"unable to get certificate CRL" in unchecked.stderr  # as strict as ours
    with pytest.raises(CertificateRevokedError):
        verify(revoked.read_bytes(), trust)
    assert verify(good.read_bytes(), trust) == accepted.stdout == CONTENT


def test_a_revoked_receipt_signer_is_refused_for_receipts(dev_cas: DevCas) -> None:
    dev_cas.issuing.revoke(dev_credential("dcc-receipt-signer").certificate, "affiliationChanged")
    trust = load_trust([ROOT_CA], crl_paths=dev_cas.crls())

    with pytest.raises(CertificateRevokedError, match=r"\(reason affiliationChanged\)"):
        verify(extract_by("dcc-receipt-signer"), trust, policy=DEV_POLICY_DCC_RECEIPT_SIGNING)


def test_a_certificate_on_hold_is_refused_while_the_crl_lists_it(dev_cas: DevCas) -> None:
    dev_cas.issuing.revoke(dev_credential("secas-signer-2").certificate, "certificateHold")
    trust = load_trust([ROOT_CA], crl_paths=dev_cas.crls())
    with pytest.raises(CertificateRevokedError, match=r"\(reason certificateHold\)"):
        verify(extract_by("secas-signer-2"), trust)


def test_an_expired_crl_from_openssl_ca_is_refused_with_its_next_update(dev_cas: DevCas) -> None:
    expired = dev_cas.issuing.gencrl(
        "expired.crl.pem",
        last_update=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        next_update=dt.datetime(2025, 1, 8, tzinfo=dt.UTC),
    )
    trust = load_trust([ROOT_CA], crl_paths=[expired, dev_cas.root.gencrl("root-ca.crl.pem")])

    with pytest.raises(
        StaleCrlError, match=r"\)' issued 2025-01-01T00:00:00\+00:00 expired at 2025-01-08T00:00:00\+00:00"
    ):
        verify(extract_by("secas-signer-1"), trust)


def test_the_crl_must_be_current_at_the_verifiers_time_not_at_the_signing_time(dev_cas: DevCas) -> None:
    trust = load_trust([ROOT_CA], crl_paths=dev_cas.crls())  # nextUpdate: a week from now
    signed = extract_by("secas-signer-1")

    assert verify(signed, trust, at=now() + WEEK - dt.timedelta(hours=1)) == CONTENT
    with pytest.raises(StaleCrlError, match="expired at"):
        verify(signed, trust, at=now() + WEEK + dt.timedelta(hours=1))


def test_with_crls_configured_a_ca_in_the_chain_without_one_is_refused(dev_cas: DevCas) -> None:
    only_issuing = load_trust([ROOT_CA], crl_paths=[dev_cas.issuing.gencrl()])
    with pytest.raises(MissingCrlError) as refusal:
        verify(extract_by("secas-signer-1"), only_issuing)
    issuing_ca = dev_credential("issuing-ca").certificate
    assert str(refusal.value) == (
        "no CRL of 'CN=CPL Development Root CA,O=CPL Development PKI (DEVELOPMENT ONLY)' is configured, so the "
        f"revocation of the issuing CA certificate serial {serial_text(issuing_ca.serial_number)} cannot be "
        "checked (with CRLs configured, every CA in the chain needs one)."
    )


def test_a_signer_under_another_root_needs_that_hierarchys_crls_too(dev_cas: DevCas) -> None:
    both_roots = load_trust([ROOT_CA, KEYS / "root-ca-2.pem"], crl_paths=dev_cas.crls())
    assert verify(extract_by("secas-signer-1"), both_roots) == CONTENT
    with pytest.raises(MissingCrlError, match="CPL Development Issuing CA 2"):
        verify(sign_data(CONTENT, dev_signer("secas-signer-3-newroot", "issuing-ca-2")), both_roots)


def test_without_crls_revocation_is_not_checked(dev_cas: DevCas) -> None:
    dev_cas.issuing.revoke(dev_credential("secas-signer-2").certificate)
    dev_cas.crls()
    trust = load_trust([ROOT_CA])
    assert not trust.checks_revocation
    assert verify(extract_by("secas-signer-2"), trust) == CONTENT


def test_crls_only_refuse_what_still_chains_to_a_configured_anchor(dev_cas: DevCas) -> None:
    trust = load_trust([KEYS / "root-ca-2.pem"], crl_paths=dev_cas.crls())
    with pytest.raises(UntrustedSignerError):
        verify(extract_by("secas-signer-1"), trust)


# --- a throwaway PKI, CRLs from openssl ca and from cryptography's builder ---------------------


@dataclass(frozen=True)
class Pki:
    root: Credential
    ca: Credential
    signer: Credential
    colleague: Credential

    def trust(self, *crls: x509.CertificateRevocationList) -> TrustStore:
        return TrustStore.from_certificates([self.root.certificate], crls)

    def sign(self, credential: Credential | None = None, signing_time: dt.datetime | None = None) -> bytes:
        return sign_data(CONTENT, signer_for(credential or self.signer, self.ca), signing_time=signing_time)

    def root_crl(self, *revocations: Revocation) -> x509.CertificateRevocationList:
        return make_crl(self.root, revocations, this_update=now() - dt.timedelta(hours=1), next_update=now() + WEEK)

    def ca_crl(
        self, *revocations: Revocation, this_update: dt.datetime | None = None, next_update: dt.datetime | None = None
    ) -> x509.CertificateRevocationList:
        start = this_update or now() - dt.timedelta(hours=1)
        return make_crl(self.ca, revocations, this_update=start, next_update=next_update or start + WEEK)


@pytest.fixture(scope="module")
def pki() -> Pki:
    moment = now() - dt.timedelta(days=30)
    root = make_root("crl-root", "CRL Test Root", "CRL Tests", now=moment)
    ca = make_issuing_ca("crl-ca", "CRL Test Issuing CA", "CRL Tests", root, now=moment)
    policies = (DEV_POLICY_CPL_EXTRACT_SIGNING,)
    signer = make_end_entity("crl-signer", "secas", "SECAS", ca, policies=policies, now=moment)
    colleague = make_end_entity("crl-colleague", "secas", "SECAS", ca, policies=policies, now=moment)
    return Pki(root, ca, signer, colleague)


def revoked(
    credential: Credential, at: dt.datetime | None = None, reason: x509.ReasonFlags | None = None
) -> Revocation:
    return Revocation(credential.certificate.serial_number, at or now() - dt.timedelta(minutes=30), reason)


def test_a_revoked_issuing_ca_refuses_every_signer_under_it(pki: Pki, tmp_path: Path) -> None:
    root_ca = OpenSslCa(pki.root, tmp_path / "root")
    root_ca.revoke(pki.ca.certificate, "CACompromise")
    trust = pki.trust(*load_crls([root_ca.gencrl()]), pki.ca_crl())

    for credential in (pki.signer, pki.colleague):
        with pytest.raises(
            CertificateRevokedError, match=r"^the issuing CA certificate serial .*\(reason cACompromise\)"
        ):
            verify(pki.sign(credential), trust)


def test_a_revocation_refuses_even_the_files_signed_before_it(pki: Pki) -> None:
    """The signing-time is written by the revoked key itself, so it cannot vouch for the file."""
    before = now() - dt.timedelta(days=2)
    signed_before = pki.sign(signing_time=before)
    trust = pki.trust(pki.root_crl(), pki.ca_crl(revoked(pki.signer, at=now() - dt.timedelta(days=1))))

    assert verify(signed_before, pki.trust()) == CONTENT
    with pytest.raises(CertificateRevokedError, match="was revoked on"):
        verify(signed_before, trust)


def test_only_the_revoked_certificate_is_refused(pki: Pki) -> None:
    trust = pki.trust(pki.root_crl(), pki.ca_crl(revoked(pki.signer)))
    assert verify(pki.sign(pki.colleague), trust) == CONTENT
    with pytest.raises(CertificateRevokedError):
        verify(pki.sign(), trust)


def test_an_entry_without_a_reason_says_so(pki: Pki) -> None:
    trust = pki.trust(pki.root_crl(), pki.ca_crl(revoked(pki.signer)))
    with pytest.raises(CertificateRevokedError, match=r"\(no reason given\)"):
        verify(pki.sign(), trust)


def test_a_crl_not_yet_valid_is_refused(pki: Pki) -> None:
    future = pki.ca_crl(this_update=now() + dt.timedelta(days=1))
    with pytest.raises(StaleCrlError, match="is not yet valid"):
        verify(pki.sign(), pki.trust(pki.root_crl(), future))


def test_a_crl_issued_within_the_clock_skew_is_current(pki: Pki) -> None:
    slightly_ahead = pki.ca_crl(this_update=now() + SIGNING_TIME_SKEW - dt.timedelta(minutes=1))
    assert verify(pki.sign(), pki.trust(pki.root_crl(), slightly_ahead)) == CONTENT


def test_a_crl_not_signed_by_the_issuing_ca_is_refused(pki: Pki) -> None:
    forged = make_crl(pki.ca, (), this_update=now(), next_update=now() + WEEK, signing_key=new_p256_key())
    with pytest.raises(CrlSignatureError) as refusal:
        verify(pki.sign(), pki.trust(pki.root_crl(), forged))
    assert str(refusal.value).startswith("the CRL of 'CN=CRL Test Issuing CA,O=CRL Tests' issued ")
    assert "is not signed by the issuing CA in the chain, 'CN=CRL Test Issuing CA,O=CRL Tests' (serial " in str(
        refusal.value
    )


def test_a_forged_crl_is_refused_even_beside_a_genuine_one(pki: Pki) -> None:
    forged = make_crl(pki.ca, (), this_update=now(), next_update=now() + WEEK, number=9, signing_key=new_p256_key())
    with pytest.raises(CrlSignatureError):
        verify(pki.sign(pki.colleague), pki.trust(pki.root_crl(), pki.ca_crl(), forged))


def test_a_crl_of_another_key_with_the_ca_name_is_refused(pki: Pki) -> None:
    impostor_key = new_p256_key()
    impostor = Credential(
        "impostor",
        make_issuing_ca(
            "impostor", "CRL Test Issuing CA", "CRL Tests", pki.root, now=now(), key=impostor_key
        ).certificate,
        impostor_key,
    )
    other_keys_crl = make_crl(impostor, (), this_update=now(), next_update=now() + WEEK)
    with pytest.raises(CrlSignatureError, match="made by another key"):
        verify(pki.sign(), pki.trust(pki.root_crl(), other_keys_crl))


def test_a_crl_by_a_ca_without_crl_sign_is_refused(pki: Pki) -> None:
    key = new_p256_key()
    start = now() - dt.timedelta(days=1)
    certificate = issue_certificate(
        subject=subject_name("No cRLSign CA", "CRL Tests"),
        public_key=key.public_key(),
        issuer=pki.root,
        signing_key=pki.root.private_key,
        is_ca=True,
        policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,),
        not_before=start,
        not_after=start + dt.timedelta(days=365),
        path_length=0,
    )
    without_crl_sign = _without_crl_sign(certificate, pki.root)
    ca = Credential("no-crl-sign", without_crl_sign, key)
    signer = make_end_entity("under-it", "secas", "SECAS", ca, policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,), now=now())
    signed = sign_data(CONTENT, signer_for(signer, ca))
    crl = make_crl(ca, (), this_update=now(), next_update=now() + WEEK)

    assert verify(signed, pki.trust()) == CONTENT
    with pytest.raises(CrlSignatureError, match=r"does not allow signing CRLs \(cRLSign\)"):
        verify(signed, pki.trust(pki.root_crl(), crl))


def _without_crl_sign(certificate: x509.Certificate, issuer: Credential) -> x509.Certificate:
    """The same CA certificate with keyUsage keyCertSign alone."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(certificate.subject)
        .issuer_name(certificate.issuer)
        .public_key(certificate.public_key())
        .serial_number(certificate.serial_number)
        .not_valid_before(certificate.not_valid_before_utc)
        .not_valid_after(certificate.not_valid_after_utc)
    )
    for extension in certificate.extensions:
        value = extension.value
        if isinstance(value, x509.KeyUsage):
            value = x509.KeyUsage(False, False, False, False, False, True, False, False, False)
        builder = builder.add_extension(value, critical=extension.critical)
    return builder.sign(issuer.private_key, hashes.SHA256())


def test_the_newest_crl_must_be_current_and_a_listing_on_any_refuses(pki: Pki) -> None:
    long_ago = now() - dt.timedelta(days=20)
    old = pki.ca_crl(revoked(pki.signer, at=long_ago), this_update=long_ago, next_update=long_ago + WEEK)
    current = pki.ca_crl()
    trust = pki.trust(pki.root_crl(), old, current)

    assert verify(pki.sign(pki.colleague), trust) == CONTENT  # the expired one is superseded
    with pytest.raises(CertificateRevokedError, match="issued " + long_ago.date().isoformat()):
        verify(pki.sign(), trust)  # ...but what it revoked stays revoked
    with pytest.raises(StaleCrlError):
        verify(pki.sign(pki.colleague), pki.trust(pki.root_crl(), old))


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(min_value=1, max_value=2**159 - 1), max_size=20), st.booleans())
def test_a_signer_is_refused_exactly_when_its_serial_is_listed(serials: set[int], listed: bool) -> None:
    pki = _PROPERTY_PKI
    serial = pki.signer.certificate.serial_number
    listing = (serials | {serial}) if listed else (serials - {serial})
    crl = pki.ca_crl(*(Revocation(number, now() - dt.timedelta(hours=1)) for number in sorted(listing)))
    trust = pki.trust(pki.root_crl(), crl)
    if listed:
        with pytest.raises(CertificateRevokedError):
            verify(_PROPERTY_SIGNED, trust)
    else:
        assert verify(_PROPERTY_SIGNED, trust) == CONTENT


def _property_pki() -> Pki:
    moment = now() - dt.timedelta(days=1)
    root = make_root("p-root", "Property Root", "CRL Tests", now=moment)
    ca = make_issuing_ca("p-ca", "Property CA", "CRL Tests", root, now=moment)
    signer = make_end_entity("p-signer", "secas", "SECAS", ca, policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,), now=moment)
    return Pki(root, ca, signer, signer)


_PROPERTY_PKI = _property_pki()
_PROPERTY_SIGNED = _PROPERTY_PKI.sign()


# --- what may be configured -------------------------------------------------------------------


def test_crls_are_read_from_der_and_from_pem_files_holding_several(pki: Pki, tmp_path: Path) -> None:
    root_crl, ca_crl = pki.root_crl(), pki.ca_crl(revoked(pki.signer))
    der = tmp_path / "root.crl"
    der.write_bytes(root_crl.public_bytes(Encoding.DER))
    several = tmp_path / "all.pem"
    several.write_bytes(ca_crl.public_bytes(Encoding.PEM) + root_crl.public_bytes(Encoding.PEM))

    crls = load_crls([der, several, der])

    assert crls == (root_crl, ca_crl)  # the same CRL twice counts once
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    trust = load_trust([root], crl_paths=[several])
    assert trust.checks_revocation and trust.crls == (ca_crl, root_crl)
    with pytest.raises(CertificateRevokedError):
        verify(pki.sign(), trust)


def test_no_crl_paths_means_no_crls() -> None:
    assert load_crls([]) == ()
    assert load_trust([ROOT_CA], crl_paths=[]).crls == ()


def test_the_trust_store_holds_its_crls_immutably_and_with_crls_replaces_them(pki: Pki) -> None:
    trust = pki.trust(pki.root_crl())
    with pytest.raises(AttributeError):
        trust.crls = ()  # type: ignore[misc]
    replaced = trust.with_crls([pki.ca_crl()])
    assert replaced.anchors == trust.anchors
    assert len(replaced.crls) == 1 and replaced.crls[0].issuer == pki.ca.certificate.subject


def _signed_crl(pki: Pki, builder: x509.CertificateRevocationListBuilder) -> x509.CertificateRevocationList:
    return builder.sign(pki.ca.private_key, hashes.SHA256())


def _builder(pki: Pki) -> x509.CertificateRevocationListBuilder:
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.ca.certificate.subject)
        .last_update(now())
        .next_update(now() + WEEK)
    )


def _without_next_update(pki: Pki) -> x509.CertificateRevocationList:
    """A CRL with no nextUpdate (which cryptography's builder will not make): re-signed with asn1crypto's help."""
    parsed = asn1_crl.CertificateList.load(pki.ca_crl().public_bytes(Encoding.DER))
    tbs = parsed["tbs_cert_list"]
    fields = {name: tbs[name] for name in ("version", "signature", "issuer", "this_update", "crl_extensions")}
    new_tbs = asn1_crl.TbsCertList(fields)
    key = pki.ca.private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signature = key.sign(new_tbs.dump(), ec.ECDSA(hashes.SHA256()))
    rebuilt = asn1_crl.CertificateList(
        {"tbs_cert_list": new_tbs, "signature_algorithm": parsed["signature_algorithm"], "signature": signature}
    )
    return x509.load_der_x509_crl(rebuilt.dump())


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("delta", "is a delta CRL; only complete CRLs are used"),
        ("partitioned", "has an issuing distribution point"),
        ("critical", "carries critical extension 1.2.3.4"),
        ("indirect entry", "with critical extension 2.5.29.29 (an indirect CRL?)"),
        ("no next update", "has no nextUpdate"),
        ("malformed", "has a malformed extension"),
        ("sha384", "is signed with ecdsa-with-SHA384; only ecdsa-with-SHA256 is allowed"),
    ],
)
def test_crls_this_verifier_cannot_rely_on_are_refused_when_loaded(
    pki: Pki, tmp_path: Path, kind: str, expected: str
) -> None:
    crl = _unusable_crl(pki, kind)
    path = tmp_path / "unusable.crl"
    path.write_bytes(crl.public_bytes(Encoding.DER))

    with pytest.raises(
        TrustConfigurationError, match=f"^CRL file {path} \\(issuer 'CN=CRL Test Issuing CA,O=CRL Tests'\\)"
    ):
        load_crls([path])
    with pytest.raises(TrustConfigurationError, match=re.escape(expected)):
        pki.trust(crl)


def _unusable_crl(pki: Pki, kind: str) -> x509.CertificateRevocationList:
    builder = _builder(pki)
    if kind == "delta":
        return _signed_crl(pki, builder.add_extension(x509.DeltaCRLIndicator(1), critical=True))
    if kind == "partitioned":
        point = x509.IssuingDistributionPoint(
            full_name=None,
            relative_name=None,
            only_contains_user_certs=True,
            only_contains_ca_certs=False,
            only_some_reasons=None,
            indirect_crl=False,
            only_contains_attribute_certs=False,
        )
        return _signed_crl(pki, builder.add_extension(point, critical=True))
    if kind == "critical":
        unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00")
        return _signed_crl(pki, builder.add_extension(unknown, critical=True))
    if kind == "indirect entry":
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(5)
            .revocation_date(now())
            .add_extension(x509.CertificateIssuer([x509.DNSName("other-ca.example")]), critical=True)
            .build()
        )
        return _signed_crl(pki, builder.add_revoked_certificate(entry))
    if kind == "no next update":
        return _without_next_update(pki)
    if kind == "malformed":
        not_a_number = x509.UnrecognizedExtension(x509.oid.ExtensionOID.CRL_NUMBER, b"\x04\x00")
        return _signed_crl(pki, builder.add_extension(not_a_number, critical=False))
    assert kind == "sha384"
    return builder.sign(pki.ca.private_key, hashes.SHA384())


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read CRL file"),
        (b"not a CRL at all", "holds no CRL (neither PEM nor DER)"),
        (
            b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
            "holds a PEM block that is not a well-formed CRL",
        ),
        ((KEYS / "root-ca.pem").read_bytes(), "holds a PEM CERTIFICATE, not an X509 CRL"),
    ],
    ids=["missing", "garbage", "bad-pem-crl", "a-certificate"],
)
def test_a_crl_file_that_holds_no_crl_is_refused_naming_the_file(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "configured.crl"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TrustConfigurationError, match=re.escape(expected)):
        load_crls([path])
    with pytest.raises(TrustConfigurationError, match=str(path)):
        load_trust([ROOT_CA], crl_paths=[path])


def test_openssl_ca_der_and_pem_crls_load_alike(dev_cas: DevCas) -> None:
    pem_crl = dev_cas.issuing.gencrl("a.crl.pem")
    der_crl = dev_cas.issuing.gencrl("b.crl", der=True)
    loaded = load_crls([pem_crl, der_crl])
    assert len(loaded) == 2
    assert {crl.issuer for crl in loaded} == {dev_credential("issuing-ca").certificate.subject}
    result = subprocess.run(["openssl", "crl", "-in", str(der_crl), "-inform", "DER", "-noout"], capture_output=True)
    assert result.returncode == 0
