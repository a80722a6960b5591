"""A real OpenSSL CA (`openssl ca`) over a credential of ours, for CRLs that OpenSSL itself makes.

The CA's directory holds an `openssl.cnf`, its certificate and key, and the `index.txt` database
that `openssl ca -revoke` writes and `openssl ca -gencrl` reads. CRLs carry a CRL number and the
authority key identifier (`crl_extensions`), signed ecdsa-with-SHA256 like everything else here.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from cryptography import x509

from signing.devpki import Credential, certificate_pem, private_key_pem

_CONFIG = """\
[ ca ]
default_ca = CA_default

[ CA_default ]
dir = {directory}
database = $dir/index.txt
crlnumber = $dir/crlnumber
serial = $dir/serial
new_certs_dir = $dir/newcerts
certificate = $dir/ca.pem
private_key = $dir/ca.key.pem
default_md = sha256
default_crl_days = 7
crl_extensions = crl_extensions
unique_subject = no
policy = policy_anything

[ crl_extensions ]
authorityKeyIdentifier = keyid:always

[ policy_anything ]
commonName = supplied
"""


def _openssl_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%SZ")


class OpenSslCa:
    """`openssl ca` over ``credential`` (a CA certificate and its key) in ``directory``."""

    def __init__(self, credential: Credential, directory: Path) -> None:
        self.credential = credential
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "newcerts").mkdir(exist_ok=True)
        (directory / "index.txt").write_text("")
        (directory / "crlnumber").write_text("01\n")
        (directory / "serial").write_text("01\n")
        (directory / "ca.pem").write_bytes(certificate_pem(credential.certificate))
        (directory / "ca.key.pem").write_bytes(private_key_pem(credential.private_key))
        self.config = directory / "openssl.cnf"
        self.config.write_text(_CONFIG.format(directory=directory))

    def _run(self, *arguments: str) -> None:
        result = subprocess.run(
            ["openssl", "ca", "-batch", "-config", str(self.config), *arguments], capture_output=True, check=False
        )
        if result.returncode != 0:
            raise AssertionError(f"openssl ca {' '.join(arguments)} failed: {result.stderr.decode()}")

    def revoke(self, certificate: x509.Certificate, reason: str = "keyCompromise") -> None:
        """`openssl ca -revoke` (revoked now, as openssl records it); ``reason`` as `-crl_reason` spells it."""
        path = self.directory / f"revoke-{certificate.serial_number:x}.pem"
        path.write_bytes(certificate_pem(certificate))
        if reason == "certificateHold":
            self._run("-revoke", str(path), "-crl_hold", "holdInstructionReject")
        else:
            self._run("-revoke", str(path), "-crl_reason", reason)

    def gencrl(
        self,
        name: str = "crl.pem",
        *,
        der: bool = False,
        last_update: dt.datetime | None = None,
        next_update: dt.datetime | None = None,
    ) -> Path:
        """`openssl ca -gencrl` into ``name`` (PEM, or DER through `openssl crl -outform DER`)."""
        pem_path = self.directory / (name if not der else f"{name}.pem")
        arguments = ["-gencrl", "-out", str(pem_path)]
        if last_update is not None:
            arguments += ["-crl_lastupdate", _openssl_time(last_update)]
        if next_update is not None:
            arguments += ["-crl_nextupdate", _openssl_time(next_update)]
        self._run(*arguments)
        if not der:
            return pem_path
        der_path = self.directory / name
        subprocess.run(
            ["openssl", "crl", "-in", str(pem_path), "-outform", "DER", "-out", str(der_path)],
            capture_output=True,
            check=True,
        )
        return der_path
