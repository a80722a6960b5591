"""docs/signing.md's commands, exactly as written, with the real `openssl` and the real `cpl check`;
and a chain that lacks its issuing CA says so, and which option adds it.

The commands are taken from the page's marked code blocks; the development credentials are copied
under the names the page uses (`cert.pem`, `key.pem`, `chain.pem`, `root.pem`), so nothing in a
command is rewritten but the party id.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from cpl.demo.samples import sample_row
from cpl.workbook.template import write_submission
from formats.vocabulary import PhysicalDeviceType
from signing import errors
from signing.cms import sign_data, verify_signed_data
from signing.profile import DEV_POLICY_SUBMISSION_SIGNING
from tests.cpl.conftest import CplRun
from tests.signing.helpers import KEYS, REPO, dev_credential, dev_trust, signer_for

DOC = REPO / "docs" / "signing.md"
PARTY = "acme-meters"
#: What each name in the page's commands stands for, in keys-dev (the page's own table says the same).
DEV_FILES = {
    "cert.pem": "manufacturer-acme-meters.pem",
    "key.pem": "manufacturer-acme-meters.key.pem",
    "chain.pem": "issuing-ca.pem",
    "root.pem": "root-ca.pem",
}
IMAGE_HASH = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")


def doc_commands(name: str) -> list[list[str]]:
    """The commands of the code block marked ``<!-- signing-doc: NAME -->``, one per line, split as a shell would."""
    text = DOC.read_text("utf-8")
    match = re.search(rf"<!-- signing-doc: {name} -->\s*```sh\n(.*?)```", text, re.DOTALL)
    assert match is not None, f"docs/signing.md has no code block marked {name!r}"
    return [shlex.split(line) for line in match.group(1).splitlines() if line.strip()]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A workbook whose row has a Manufacturer Image Hash (so it must be signed), and the credentials."""
    entry, certificates = sample_row(PhysicalDeviceType.GAS_SMART_METER, 7)
    entry["manufacturer_image_hash"] = IMAGE_HASH
    entry["manufacturer_image_creator"] = "Acme build service"
    write_submission(tmp_path / "WB.xlsx", [entry], certificates)
    for name, dev in DEV_FILES.items():
        shutil.copyfile(KEYS / dev, tmp_path / name)
    return tmp_path


@pytest.fixture
def cpl(tmp_path: Path) -> CplRun:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPL_")}
    env.update(
        {
            "CPL_DATABASE_URL": f"sqlite:///{tmp_path / 'cpl.db'}",
            "CPL_SPECS_FILE": str(tmp_path / "specifications.json"),
            "CPL_SUBMISSION_TRUST": str(KEYS / "root-ca.pem"),
            "COLUMNS": "200",
        }
    )
    sqlite3.connect(tmp_path / "cpl.db").close()  # the service's store exists (an empty one)
    return CplRun(tmp_path, env)


def run_openssl(command: list[str], workdir: Path) -> subprocess.CompletedProcess[str]:
    assert command[0] == "openssl", command
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=60, check=False)


def check_as_the_doc_says(cpl: CplRun, workdir: Path) -> list[dict[str, object]]:
    """The page's `cpl check` command, its file names in ``workdir`` and PARTY the development party."""
    (command,) = doc_commands("check")
    assert command[0] == "cpl"
    arguments = [
        PARTY if word == "PARTY" else str(workdir / word) if (workdir / word).exists() else word for word in command[1:]
    ]
    report = cpl.json(*arguments, expect=None)
    findings: list[dict[str, object]] = report["findings"]
    return findings


def without_certfile(command: list[str]) -> list[str]:
    at = command.index("-certfile")
    return command[:at] + command[at + 2 :]


# --- the page's commands ------------------------------------------------------------------------------


def test_the_page_signs_verifies_and_checks_with_the_commands_it_shows(workdir: Path, cpl: CplRun) -> None:
    (sign,) = doc_commands("sign")
    signed = run_openssl(sign, workdir)
    assert signed.returncode == 0, signed.stderr
    assert (workdir / "WB.xlsx.p7s").is_file()
    (verify,) = doc_commands("verify")
    verified = run_openssl(verify, workdir)
    assert verified.returncode == 0, verified.stderr
    assert check_as_the_doc_says(cpl, workdir) == []


def test_the_workbook_of_the_page_test_needs_its_signature(workdir: Path, cpl: CplRun) -> None:
    report = cpl.json("check", workdir / "WB.xlsx", "--party", PARTY, expect=1)
    assert [(f["code"], f["message"]) for f in report["findings"]] == [
        ("P003", "A Manufacturer Image Hash needs the workbook signed by its submitter (no signature was supplied).")
    ]


def test_the_page_signs_a_detached_der_signature_with_sha256_and_the_issuing_ca(workdir: Path) -> None:
    (sign,) = doc_commands("sign")
    assert run_openssl(sign, workdir).returncode == 0
    signature = (workdir / "WB.xlsx.p7s").read_bytes()
    verified = verify_signed_data(
        signature,
        dev_trust(),
        detached_content=(workdir / "WB.xlsx").read_bytes(),
        required_policy=DEV_POLICY_SUBMISSION_SIGNING,
    )
    assert verified.signer_certificate == dev_credential("manufacturer-acme-meters").certificate
    assert verified.chain[0] == dev_credential("issuing-ca").certificate


def test_the_page_names_the_development_files_its_commands_stand_for() -> None:
    text = DOC.read_text("utf-8")
    for name, dev in DEV_FILES.items():
        assert f"| `{name}` | `keys-dev/{dev}`" in text, name
    assert f"| `PARTY` | `{PARTY}` |" in text


def test_the_readme_links_the_page() -> None:
    assert "(docs/signing.md)" in (REPO / "README.md").read_text("utf-8")


# --- a signature without its issuing CA -----------------------------------------------------------------


def test_without_certfile_the_finding_says_the_issuing_ca_is_missing_and_how_to_add_it(
    workdir: Path, cpl: CplRun
) -> None:
    (sign,) = doc_commands("sign")
    assert run_openssl(without_certfile(sign), workdir).returncode == 0
    (finding,) = check_as_the_doc_says(cpl, workdir)
    assert finding["code"] == "P003"
    assert finding["message"] == (
        "A Manufacturer Image Hash needs the workbook signed by its submitter (the signature does not include "
        f"the issuing CA certificate ('{dev_credential('issuing-ca').certificate.subject.rfc4514_string()}'): "
        "add it with openssl's -certfile, as docs/signing.md shows)."
    )


def test_openssl_without_certfile_is_refused_naming_the_missing_issuer(workdir: Path) -> None:
    (sign,) = doc_commands("sign")
    assert run_openssl(without_certfile(sign), workdir).returncode == 0
    with pytest.raises(errors.MissingIssuerCertificateError) as refused:
        verify_signed_data(
            (workdir / "WB.xlsx.p7s").read_bytes(), dev_trust(), detached_content=(workdir / "WB.xlsx").read_bytes()
        )
    issuer = dev_credential("issuing-ca").certificate.subject.rfc4514_string()
    assert refused.value.issuer == issuer
    assert str(refused.value).startswith(
        f"the signature does not include the issuing CA certificate '{issuer}' of the signer certificate "
        "'CN=acme-meters"
    )
    assert isinstance(refused.value, errors.UntrustedSignerError)  # still an untrusted signer to every caller


def test_a_chain_of_the_wrong_generation_names_the_issuing_ca_it_lacks() -> None:
    signed = sign_data(b"content", signer_for(dev_credential("secas-signer-3-newroot"), dev_credential("issuing-ca")))
    with pytest.raises(errors.MissingIssuerCertificateError) as refused:
        verify_signed_data(signed, dev_trust(KEYS / "root-ca.pem", KEYS / "root-ca-2.pem"))
    assert refused.value.issuer == dev_credential("issuing-ca-2").certificate.subject.rfc4514_string()


def test_a_signer_whose_chain_is_whole_but_untrusted_is_not_said_to_lack_a_certificate() -> None:
    # secas-signer-3 with its own issuing CA, under root-ca-2, which this verifier does not trust
    signed = sign_data(b"content", signer_for(dev_credential("secas-signer-3-newroot"), dev_credential("issuing-ca-2")))
    with pytest.raises(errors.UntrustedSignerError) as refused:
        verify_signed_data(signed, dev_trust(KEYS / "root-ca.pem"))
    assert not isinstance(refused.value, errors.MissingIssuerCertificateError)


def test_the_issuer_being_a_trust_anchor_is_no_gap(workdir: Path) -> None:
    # the issuing CA configured as the anchor itself: the file need carry nothing but the signer
    (sign,) = doc_commands("sign")
    assert run_openssl(without_certfile(sign), workdir).returncode == 0
    verified = verify_signed_data(
        (workdir / "WB.xlsx.p7s").read_bytes(),
        dev_trust(KEYS / "issuing-ca.pem"),
        detached_content=(workdir / "WB.xlsx").read_bytes(),
    )
    assert verified.trust_anchor == dev_credential("issuing-ca").certificate
