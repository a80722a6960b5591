"""Revocation on the DCC's side: with SMI_TRUST_CRL set, an extract whose signer is revoked is refused.

The CRLs are the configuration's, never taken from the extract; without any, revocation is not
checked (the development default). A CRL file that cannot be used is a setting error (exit 2).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from signing.devpki import Revocation, make_crl
from tests.signing.helpers import dev_credential
from tests.smi.commandline import MODELS, SmiRun, issued
from tests.smi.factories import KEYS, cpl


def _crls(directory: Path, revoked_serials: list[int]) -> str:
    now = dt.datetime.now(dt.UTC)
    paths = []
    for issuer, serials in (("issuing-ca", revoked_serials), ("root-ca", [])):
        crl = make_crl(
            dev_credential(issuer),
            [Revocation(serial, now - dt.timedelta(days=2)) for serial in serials],
            this_update=now - dt.timedelta(days=2),
            next_update=now + dt.timedelta(days=1),
        )
        path = directory / f"{issuer}.crl"
        path.write_bytes(crl.public_bytes(serialization.Encoding.DER))
        paths.append(str(path))
    return os.pathsep.join(paths)


def _signer_serial(name: str) -> int:
    return x509.load_pem_x509_certificate((KEYS / f"{name}.pem").read_bytes()).serial_number


def test_an_extract_from_a_revoked_signer_is_refused_and_nothing_is_applied(smi: SmiRun, tmp_path: Path) -> None:
    extract = smi.signed("cpl-1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    revoked = SmiRun(smi.tmp, {**smi.env, "SMI_TRUST_CRL": _crls(tmp_path, [_signer_serial("secas-signer-1")])})
    refused = revoked("ingest", extract, expect=1)
    assert "revoked" in refused.stderr
    assert format(_signer_serial("secas-signer-1"), "X") in refused.stderr.replace(":", "").upper()
    assert revoked.json("report")["cpl_in_force"] is None


def test_with_crls_that_revoke_someone_else_the_extract_is_accepted(smi: SmiRun, tmp_path: Path) -> None:
    extract = smi.signed("cpl-1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    checked = SmiRun(smi.tmp, {**smi.env, "SMI_TRUST_CRL": _crls(tmp_path, [_signer_serial("dcc-receipt-signer")])})
    checked("ingest", extract)
    assert checked.json("report")["cpl_in_force"] == 1


def test_an_unusable_crl_file_is_a_setting_error(smi: SmiRun, tmp_path: Path) -> None:
    extract = smi.signed("cpl-1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    broken = tmp_path / "broken.crl"
    broken.write_bytes(b"not a CRL")
    misconfigured = SmiRun(smi.tmp, {**smi.env, "SMI_TRUST_CRL": str(broken)})
    refused = misconfigured("ingest", extract, expect=2)
    assert "broken.crl" in refused.stderr
