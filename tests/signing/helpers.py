"""Shared test helpers: the development credentials, throwaway PKIs, openssl, and CMS forgery.

The forgeries rebuild CMS structures with asn1crypto and re-sign with cryptography, so that each
attack file is wrong in exactly one way and every other check would pass.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from asn1crypto import cms as asn1_cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing.devpki import Credential, certificate_pem, private_key_pem
from signing.signers import PemKeySigner
from signing.trust import TrustStore

REPO = Path(__file__).resolve().parents[2]
KEYS = REPO / "keys-dev"
ROOT_CA = KEYS / "root-ca.pem"
ROOT_CA_2 = KEYS / "root-ca-2.pem"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def dev_credential(name: str) -> Credential:
    certificate = x509.load_pem_x509_certificate((KEYS / f"{name}.pem").read_bytes())
    key = serialization.load_pem_private_key((KEYS / f"{name}.key.pem").read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return Credential(name, certificate, key)


def dev_signer(name: str = "secas-signer-1", issuer: str = "issuing-ca") -> PemKeySigner:
    return PemKeySigner.from_files(KEYS / f"{name}.pem", KEYS / f"{name}.key.pem", chain=[KEYS / f"{issuer}.pem"])


def signer_for(credential: Credential, *chain: Credential) -> PemKeySigner:
    assert isinstance(credential.private_key, ec.EllipticCurvePrivateKey)
    return PemKeySigner(credential.certificate, credential.private_key, tuple(c.certificate for c in chain))


def dev_trust(*roots: Path) -> TrustStore:
    return TrustStore.from_pem_files(roots or (ROOT_CA,))


def write_pem(credential: Credential, directory: Path) -> tuple[Path, Path]:
    cert = directory / f"{credential.name}.pem"
    key = directory / f"{credential.name}.key.pem"
    cert.write_bytes(certificate_pem(credential.certificate))
    key.write_bytes(private_key_pem(credential.private_key))
    return cert, key


# --- openssl, the independent implementation -------------------------------------------------


def openssl_verify(
    signed: Path, ca_file: Path, content: Path | None = None, *, extra: Sequence[str] = ()
) -> subprocess.CompletedProcess[bytes]:
    command = [
        "openssl",
        "cms",
        "-verify",
        "-inform",
        "DER",
        "-binary",
        "-CAfile",
        str(ca_file),
        "-purpose",
        "any",
        "-in",
        str(signed),
    ]
    if content is not None:
        command += ["-content", str(content)]
    return subprocess.run([*command, *extra], capture_output=True, check=False)


def openssl_sign(
    content: bytes,
    cert: Path,
    key: Path,
    directory: Path,
    *,
    certfile: Path | None = None,
    digest: str = "sha256",
    extra: Sequence[str] = (),
) -> bytes:
    source = directory / "content.bin"
    out = directory / "openssl-signed.p7m"
    source.write_bytes(content)
    command = [
        "openssl",
        "cms",
        "-sign",
        "-binary",
        "-nodetach",
        "-md",
        digest,
        "-outform",
        "DER",
        "-signer",
        str(cert),
        "-inkey",
        str(key),
        "-in",
        str(source),
        "-out",
        str(out),
        *extra,
    ]
    if certfile is not None:
        command += ["-certfile", str(certfile)]
    subprocess.run(command, capture_output=True, check=True)
    return out.read_bytes()


# --- forgery ----------------------------------------------------------------------------------


def _signed_data(der: bytes) -> asn1_cms.SignedData:
    signed_data = asn1_cms.ContentInfo.load(der)["content"]
    assert isinstance(signed_data, asn1_cms.SignedData)
    return signed_data


def rebuild(der: bytes, **changes: Any) -> bytes:
    """The same SignedData with some top-level fields replaced (None drops an optional field)."""
    signed_data = _signed_data(der)
    fields: dict[str, Any] = {}
    for name in ("version", "digest_algorithms", "encap_content_info", "certificates", "crls", "signer_infos"):
        value = changes[name] if name in changes else signed_data[name]
        if value is not None and value.__class__.__name__ != "Void":
            fields[name] = value
    return bytes(asn1_cms.ContentInfo({"content_type": "signed_data", "content": asn1_cms.SignedData(fields)}).dump())


def signer_info(der: bytes, index: int = 0) -> asn1_cms.SignerInfo:
    return _signed_data(der)["signer_infos"][index]


def with_signer_info(info: asn1_cms.SignerInfo, **changes: Any) -> asn1_cms.SignerInfo:
    fields: dict[str, Any] = {}
    for name in (
        "version",
        "sid",
        "digest_algorithm",
        "signed_attrs",
        "signature_algorithm",
        "signature",
        "unsigned_attrs",
    ):
        value = changes[name] if name in changes else info[name]
        if value is not None and value.__class__.__name__ != "Void":
            fields[name] = value
    return asn1_cms.SignerInfo(fields)


def resign_attributes(
    der: bytes,
    key: ec.EllipticCurvePrivateKey,
    edit: Callable[[list[asn1_cms.CMSAttribute]], list[asn1_cms.CMSAttribute]],
) -> bytes:
    """Replace the signed attributes by ``edit(attributes)`` and sign them again with ``key``.

    The signature stays valid, so only the attribute rule can refuse the result.
    """
    info = signer_info(der)
    attributes = asn1_cms.CMSAttributes(edit(list(info["signed_attrs"])))
    signature = key.sign(attributes.dump(), ec.ECDSA(hashes.SHA256()))
    return rebuild(der, signer_infos=[with_signer_info(info, signed_attrs=attributes, signature=signature)])


def without_attribute(name: str) -> Callable[[list[asn1_cms.CMSAttribute]], list[asn1_cms.CMSAttribute]]:
    return lambda attributes: [a for a in attributes if a["type"].native != name]


def flip_byte(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]
