"""PKCS#11: a real SoftHSM2 token, made by the test, signs exactly what the PEM signer would."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from signing.cms import sign_data, verify_signed_data
from signing.devpki import Credential, certificate_pem, issue_certificate, subject_name
from signing.errors import SignerConfigurationError, UnsupportedSignerKeyError
from signing.profile import DEV_POLICY_CPL_EXTRACT_SIGNING, key_identifier
from signing.signers import PKCS11_PIN_ENV, Pkcs11Signer, load_certificate, load_signer
from tests.signing.helpers import KEYS, ROOT_CA, dev_credential, dev_trust, now, openssl_verify

SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN = "cpl-test"
PIN = "1234"
SO_PIN = "5678"

pytestmark = [
    pytest.mark.softhsm,
    pytest.mark.skipif(not SOFTHSM.exists(), reason=f"SoftHSM2 is not installed ({SOFTHSM} is absent)"),
]


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh SoftHSM2 token holding the development secas-signer-1 key."""
    util = shutil.which("softhsm2-util")
    if util is None:
        pytest.skip("softhsm2-util is not installed")
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    config = directory / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\nslots.removable = false\n"
    )
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(config)
    try:
        run = [util, "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN]
        subprocess.run(run, check=True, capture_output=True)
        subprocess.run(
            [
                util,
                "--import",
                str(KEYS / "secas-signer-1.key.pem"),
                "--token",
                TOKEN,
                "--label",
                "secas-signer-1",
                "--id",
                "01",
                "--pin",
                PIN,
            ],
            check=True,
            capture_output=True,
        )
        # If this process loaded SoftHSM2 before (another token directory), make it read ours.
        import pkcs11

        pkcs11.lib(str(SOFTHSM)).reinitialize()
        yield config
    finally:
        if previous is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = previous


def imported_signer() -> Pkcs11Signer:
    return Pkcs11Signer(
        str(SOFTHSM),
        TOKEN,
        "secas-signer-1",
        PIN,
        load_certificate(KEYS / "secas-signer-1.pem"),
        [load_certificate(KEYS / "issuing-ca.pem")],
    )


def test_token_signer_file_verifies_with_us_and_openssl(token: Path, tmp_path: Path) -> None:
    content = b'{"format":"cpl-extract","signed":"on a token"}'
    with imported_signer() as signer:
        signed = sign_data(content, signer)

    verified = verify_signed_data(signed, dev_trust(), required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING, now=now())
    assert verified.content == content
    assert verified.signer_certificate == load_certificate(KEYS / "secas-signer-1.pem")
    (tmp_path / "token.p7m").write_bytes(signed)
    result = openssl_verify(tmp_path / "token.p7m", ROOT_CA)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == content


def test_key_generated_on_the_token_and_certified_by_the_issuing_ca_signs(token: Path, tmp_path: Path) -> None:
    import pkcs11
    from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

    library = pkcs11.lib(str(SOFTHSM))
    with library.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        parameters = session.create_domain_parameters(
            pkcs11.KeyType.EC, {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
        )
        public, _ = parameters.generate_keypair(store=True, label="generated-signer", id=b"\x02")
        public_key = load_der_public_key(encode_ec_public_key(public))
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    issuing_ca: Credential = dev_credential("issuing-ca")
    start = now() - dt.timedelta(days=1)
    certificate = issue_certificate(
        subject=subject_name("secas", "SECAS (DEVELOPMENT ONLY)", unit="generated-signer"),
        public_key=public_key,
        issuer=issuing_ca,
        signing_key=issuing_ca.private_key,
        is_ca=False,
        policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,),
        not_before=start,
        not_after=start + dt.timedelta(days=30),
    )
    cert_path = tmp_path / "generated-signer.pem"
    cert_path.write_bytes(certificate_pem(certificate))

    os.environ[PKCS11_PIN_ENV] = PIN
    try:
        signer = load_signer(f"pkcs11:{SOFTHSM}:{TOKEN}:generated-signer:{cert_path}:{KEYS / 'issuing-ca.pem'}")
    finally:
        del os.environ[PKCS11_PIN_ENV]
    assert isinstance(signer, Pkcs11Signer)
    with signer:
        signed = sign_data(b"generated on the token", signer)

    verified = verify_signed_data(signed, dev_trust(), required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING)
    assert verified.content == b"generated on the token"
    ski = verified.signer_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert ski.value.digest == key_identifier(public_key)
    (tmp_path / "generated.p7m").write_bytes(signed)
    assert openssl_verify(tmp_path / "generated.p7m", ROOT_CA).returncode == 0


def test_two_signers_on_one_token_share_its_login(token: Path) -> None:
    with imported_signer() as first:
        with imported_signer() as second:
            sign_data(b"second", second)
        signed = sign_data(b"first, after the second closed", first)
    assert verify_signed_data(signed, dev_trust()).content == b"first, after the second closed"


def test_wrong_pin_is_a_clear_error(token: Path) -> None:
    with pytest.raises(SignerConfigurationError, match="PIN"):
        Pkcs11Signer(str(SOFTHSM), TOKEN, "secas-signer-1", "0000", load_certificate(KEYS / "secas-signer-1.pem"))


def test_unknown_token_and_key_are_clear_errors(token: Path) -> None:
    with pytest.raises(SignerConfigurationError, match="no PKCS#11 token 'no-such-token'"):
        Pkcs11Signer(
            str(SOFTHSM), "no-such-token", "secas-signer-1", PIN, load_certificate(KEYS / "secas-signer-1.pem")
        )
    with pytest.raises(SignerConfigurationError, match="no EC private key labelled 'missing'"):
        Pkcs11Signer(str(SOFTHSM), TOKEN, "missing", PIN, load_certificate(KEYS / "secas-signer-1.pem"))


def test_token_key_not_matching_the_certificate_is_refused(token: Path) -> None:
    with pytest.raises(UnsupportedSignerKeyError, match="does not match"):
        Pkcs11Signer(str(SOFTHSM), TOKEN, "secas-signer-1", PIN, load_certificate(KEYS / "secas-signer-2.pem"))


def test_pkcs11_spec_needs_the_pin_in_the_environment(token: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PKCS11_PIN_ENV, raising=False)
    with pytest.raises(SignerConfigurationError, match=PKCS11_PIN_ENV):
        load_signer(f"pkcs11:{SOFTHSM}:{TOKEN}:secas-signer-1:{KEYS / 'secas-signer-1.pem'}")
