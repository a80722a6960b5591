"""DEVELOPMENT ONLY credentials: a small PKI on the GBCS / IKI profile, written to keys-dev/.

    python -m signing.devpki [OUT_DIR]        (default keys-dev)

Writes two roots (the second for root-rollover tests), an issuing CA under each, and the end
entity signers the demo and the tests use, each as NAME.pem (certificate) and NAME.key.pem (PKCS#8
PEM, unencrypted, because these are development credentials), plus a README.md that lists them.
Every run makes new keys; the file names never change.

The certificate and CRL builders here are also what the tests use to make throwaway PKIs, so they
take any key and any validity: the profile is enforced where it matters, by the verifier.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
)
from cryptography.x509.oid import NameOID

from signing.profile import (
    DEV_POLICY_CPL_EXTRACT_SIGNING,
    DEV_POLICY_DCC_RECEIPT_SIGNING,
    DEV_POLICY_PURPOSES,
    DEV_POLICY_SUBMISSION_SIGNING,
    key_identifier,
)

ROOT_VALIDITY: Final = dt.timedelta(days=20 * 365)
CA_VALIDITY: Final = dt.timedelta(days=15 * 365)
END_ENTITY_VALIDITY: Final = dt.timedelta(days=10 * 365)
#: Certificates start a day in the past so that a clock a little behind still accepts them.
BACKDATE: Final = dt.timedelta(days=1)
ALL_DEV_POLICIES: Final = tuple(DEV_POLICY_PURPOSES)
DEV_ORGANISATION_SUFFIX: Final = " (DEVELOPMENT ONLY)"


@dataclass(frozen=True)
class Credential:
    """A certificate and its private key."""

    name: str
    certificate: x509.Certificate
    private_key: CertificateIssuerPrivateKeyTypes


def new_p256_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def subject_name(common_name: str, organisation: str, unit: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)]
    if unit is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _ec_identifier(public_key: CertificatePublicKeyTypes) -> bytes:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return key_identifier(public_key)
    # Outside the profile (tests only make these to see them refused): the same method-2 rule.
    sha1 = x509.SubjectKeyIdentifier.from_public_key(public_key).digest
    return bytes([0x40 | (sha1[-8] & 0x0F)]) + sha1[-7:]


def issue_certificate(
    *,
    subject: x509.Name,
    public_key: CertificatePublicKeyTypes,
    issuer: Credential | None,
    signing_key: CertificateIssuerPrivateKeyTypes,
    is_ca: bool,
    policies: Sequence[str],
    not_before: dt.datetime,
    not_after: dt.datetime,
    digital_signature: bool = True,
    path_length: int | None = None,
) -> x509.Certificate:
    """One certificate on the profile. ``issuer`` None makes it self-signed (a root).

    CAs get keyUsage keyCertSign + cRLSign, end entities digitalSignature (or, when
    ``digital_signature`` is False, which only tests want, nonRepudiation instead); keyUsage,
    basicConstraints and certificatePolicies are critical. Key identifiers are 8 octets, RFC 5280 method 2.
    """
    ski = _ec_identifier(public_key)
    issuer_name = subject if issuer is None else issuer.certificate.subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length if is_ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature and not is_ca,
                content_commitment=not digital_signature and not is_ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=is_ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(oid), None) for oid in policies]),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier(ski), critical=False)
    )
    if issuer is not None:
        issuer_ski = issuer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier(
                key_identifier=issuer_ski.value.digest, authority_cert_issuer=None, authority_cert_serial_number=None
            ),
            critical=False,
        )
    return builder.sign(signing_key, hashes.SHA256())


def make_root(
    name: str,
    common_name: str,
    organisation: str,
    *,
    now: dt.datetime,
    key: ec.EllipticCurvePrivateKey | None = None,
    validity: dt.timedelta = ROOT_VALIDITY,
) -> Credential:
    key = key if key is not None else new_p256_key()
    certificate = issue_certificate(
        subject=subject_name(common_name, organisation),
        public_key=key.public_key(),
        issuer=None,
        signing_key=key,
        is_ca=True,
        policies=ALL_DEV_POLICIES,
        not_before=now - BACKDATE,
        not_after=now - BACKDATE + validity,
        path_length=1,
    )
    return Credential(name, certificate, key)


def make_issuing_ca(
    name: str,
    common_name: str,
    organisation: str,
    issuer: Credential,
    *,
    now: dt.datetime,
    key: ec.EllipticCurvePrivateKey | None = None,
    validity: dt.timedelta = CA_VALIDITY,
) -> Credential:
    key = key if key is not None else new_p256_key()
    certificate = issue_certificate(
        subject=subject_name(common_name, organisation),
        public_key=key.public_key(),
        issuer=issuer,
        signing_key=issuer.private_key,
        is_ca=True,
        policies=ALL_DEV_POLICIES,
        not_before=now - BACKDATE,
        not_after=now - BACKDATE + validity,
        path_length=0,
    )
    return Credential(name, certificate, key)


def make_end_entity(
    name: str,
    party: str,
    organisation: str,
    issuer: Credential,
    *,
    policies: Sequence[str],
    now: dt.datetime,
    key: CertificateIssuerPrivateKeyTypes | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    digital_signature: bool = True,
) -> Credential:
    """A signer: CN = the party id, O = its organisation, OU = the credential's name."""
    key = key if key is not None else new_p256_key()
    start = not_before if not_before is not None else now - BACKDATE
    certificate = issue_certificate(
        subject=subject_name(party, organisation, unit=name),
        public_key=key.public_key(),
        issuer=issuer,
        signing_key=issuer.private_key,
        is_ca=False,
        policies=policies,
        not_before=start,
        not_after=not_after if not_after is not None else start + END_ENTITY_VALIDITY,
        digital_signature=digital_signature,
    )
    return Credential(name, certificate, key)


@dataclass(frozen=True)
class Revocation:
    """One CRL entry: a certificate's serial number, when it was revoked and why."""

    serial_number: int
    revoked_at: dt.datetime
    reason: x509.ReasonFlags | None = x509.ReasonFlags.key_compromise


def make_crl(
    issuer: Credential,
    revocations: Sequence[Revocation] = (),
    *,
    this_update: dt.datetime,
    next_update: dt.datetime,
    number: int = 1,
    signing_key: CertificateIssuerPrivateKeyTypes | None = None,
) -> x509.CertificateRevocationList:
    """A complete CRL by ``issuer`` (ecdsa-with-SHA256, CRL number, authority key identifier).

    ``signing_key``, which only tests want, signs it with another key than the issuer's.
    """
    issuer_ski = issuer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier(
                key_identifier=issuer_ski.value.digest, authority_cert_issuer=None, authority_cert_serial_number=None
            ),
            critical=False,
        )
    )
    for revocation in revocations:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(revocation.serial_number)
            .revocation_date(revocation.revoked_at)
        )
        if revocation.reason is not None:
            entry = entry.add_extension(x509.CRLReason(revocation.reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(signing_key if signing_key is not None else issuer.private_key, hashes.SHA256())


# --- the development set ---------------------------------------------------------------------


@dataclass(frozen=True)
class DevSigner:
    """One end-entity credential of the development set."""

    name: str
    party: str
    organisation: str
    policy: str
    issuer: str
    purpose: str


DEV_ROOTS: Final = (
    ("root-ca", "CPL Development Root CA", "development trust anchor; the verifiers' default"),
    ("root-ca-2", "CPL Development Root CA 2", "second trust anchor, for root-rollover tests"),
)
DEV_ISSUING_CAS: Final = (
    ("issuing-ca", "CPL Development Issuing CA", "root-ca", "issues every signer under root-ca"),
    ("issuing-ca-2", "CPL Development Issuing CA 2", "root-ca-2", "issues the signer under root-ca-2"),
)
DEV_SIGNERS: Final = (
    DevSigner(
        "secas-signer-1",
        "secas",
        "SECAS",
        DEV_POLICY_CPL_EXTRACT_SIGNING,
        "issuing-ca",
        "signs CPL extracts (the default signer)",
    ),
    DevSigner(
        "secas-signer-2",
        "secas",
        "SECAS",
        DEV_POLICY_CPL_EXTRACT_SIGNING,
        "issuing-ca",
        "signs CPL extracts (the next key, for key-rotation tests)",
    ),
    DevSigner(
        "dcc-receipt-signer",
        "dcc",
        "DCC",
        DEV_POLICY_DCC_RECEIPT_SIGNING,
        "issuing-ca",
        "signs the DCC's receipts for applied extracts",
    ),
    DevSigner(
        "manufacturer-acme-meters",
        "acme-meters",
        "Acme Meters",
        DEV_POLICY_SUBMISSION_SIGNING,
        "issuing-ca",
        "signs submission workbooks for manufacturer acme-meters",
    ),
    DevSigner(
        "manufacturer-northwind",
        "northwind",
        "Northwind",
        DEV_POLICY_SUBMISSION_SIGNING,
        "issuing-ca",
        "signs submission workbooks for manufacturer northwind",
    ),
    DevSigner(
        "secas-signer-3-newroot",
        "secas",
        "SECAS",
        DEV_POLICY_CPL_EXTRACT_SIGNING,
        "issuing-ca-2",
        "signs CPL extracts under root-ca-2 (root-rollover tests)",
    ),
)
PKI_ORGANISATION: Final = "CPL Development PKI" + DEV_ORGANISATION_SUFFIX


def generate_dev_pki(now: dt.datetime | None = None) -> dict[str, Credential]:
    """Every development credential by name, freshly keyed."""
    now = now if now is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
    credentials: dict[str, Credential] = {}
    for name, common_name, _ in DEV_ROOTS:
        credentials[name] = make_root(name, common_name, PKI_ORGANISATION, now=now)
    for name, common_name, root, _ in DEV_ISSUING_CAS:
        credentials[name] = make_issuing_ca(name, common_name, PKI_ORGANISATION, credentials[root], now=now)
    for signer in DEV_SIGNERS:
        credentials[signer.name] = make_end_entity(
            signer.name,
            signer.party,
            signer.organisation + DEV_ORGANISATION_SUFFIX,
            credentials[signer.issuer],
            policies=(signer.policy,),
            now=now,
        )
    return credentials


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def private_key_pem(key: CertificateIssuerPrivateKeyTypes, passphrase: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption() if passphrase is None else serialization.BestAvailableEncryption(passphrase)
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def write_credential(credential: Credential, directory: Path) -> tuple[Path, Path]:
    cert_path = directory / f"{credential.name}.pem"
    key_path = directory / f"{credential.name}.key.pem"
    cert_path.write_bytes(certificate_pem(credential.certificate))
    key_path.write_bytes(private_key_pem(credential.private_key))
    key_path.chmod(0o600)
    return cert_path, key_path


def readme_text() -> str:
    rows = [f"| `{name}.pem`, `{name}.key.pem` | root CA: {purpose} |" for name, _, purpose in DEV_ROOTS]
    rows += [
        f"| `{name}.pem`, `{name}.key.pem` | issuing CA under `{root}`: {purpose} |"
        for name, _, root, purpose in DEV_ISSUING_CAS
    ]
    rows += [
        f"| `{s.name}.pem`, `{s.name}.key.pem` | party `{s.party}`, issued by `{s.issuer}`, "
        f"policy {DEV_POLICY_PURPOSES[s.policy]}: {s.purpose} |"
        for s in DEV_SIGNERS
    ]
    policies = [f"| `{oid}` | {purpose} |" for oid, purpose in DEV_POLICY_PURPOSES.items()]
    return "\n".join(
        [
            "# DEVELOPMENT-ONLY CREDENTIALS — NEVER USE IN PRODUCTION",
            "",
            "**Every private key in this folder is public: it is committed to the repository, unencrypted.**",
            "These credentials exist so that the demo and the tests run with no configuration. Nothing",
            "signed with them proves anything. A real deployment uses IKI credentials issued to SECAS,",
            "held in an HSM (`pkcs11:` signer specs, see `signing/signers.py`), and real trust anchors.",
            "",
            "Generated by `python -m signing.devpki keys-dev` (or `make keys-dev`), which replaces every",
            "key and certificate here; the file names stay the same. Certificates are valid for 10 years",
            "(end entities), 15 (issuing CAs) and 20 (roots) from the day they were generated.",
            "",
            "Profile (GBCS / IKI style, DOMAIN.md rule 7): NIST P-256 keys, ecdsa-with-SHA256, X.509 v3;",
            "keyUsage critical (digitalSignature for signers, keyCertSign + cRLSign for CAs);",
            "basicConstraints critical; certificatePolicies critical; 8-octet subject and authority key",
            "identifiers (RFC 5280 section 4.2.1.2 method 2). Signers' subject: CN = the party id,",
            "O = the organisation, OU = the credential's name.",
            "",
            "| files | purpose |",
            "|---|---|",
            *rows,
            "",
            "Development certificate policies (UUID arc 2.25, constants in `signing/profile.py`; CAs carry",
            "all three, each signer only its own):",
            "",
            "| policy OID | meaning |",
            "|---|---|",
            *policies,
            "",
            "Signer specs for `signing.signers.load_signer`, e.g. the default extract signer:",
            "`pem:keys-dev/secas-signer-1.pem:keys-dev/secas-signer-1.key.pem:keys-dev/issuing-ca.pem`.",
            "Verifiers trust `keys-dev/root-ca.pem` by default.",
            "",
            "Key rotation and root rollover: see `signing/ROTATION.md`.",
            "",
        ]
    )


def write_dev_pki(directory: Path, now: dt.datetime | None = None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for credential in generate_dev_pki(now).values():
        written.extend(write_credential(credential, directory))
    readme = directory / "README.md"
    readme.write_text(readme_text(), encoding="utf-8")
    written.append(readme)
    return written


def main(argv: Sequence[str]) -> int:
    if len(argv) > 1:
        print("usage: python -m signing.devpki [OUT_DIR]", file=sys.stderr)
        return 2
    directory = Path(argv[0] if argv else "keys-dev")
    for path in write_dev_pki(directory):
        print(path)
    print("These are DEVELOPMENT-ONLY credentials: never use them in production.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
