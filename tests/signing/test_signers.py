"""PEM signers and signer specs: a misconfigured signer fails at set-up, in one clear sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signing.cms import sign_data, verify_signed_data
from signing.devpki import make_end_entity, private_key_pem
from signing.errors import SignerConfigurationError, SignerPassphraseError, UnsupportedSignerKeyError
from signing.profile import DEV_POLICY_CPL_EXTRACT_SIGNING
from signing.signers import DEV_EXTRACT_SIGNER_SPEC, PASSPHRASE_ENV, PemKeySigner, load_signer
from tests.signing.helpers import KEYS, REPO, dev_credential, dev_trust, now, write_pem

CERT = KEYS / "secas-signer-1.pem"
CHAIN = KEYS / "issuing-ca.pem"


@pytest.fixture
def encrypted_key(tmp_path: Path) -> Path:
    path = tmp_path / "secas-signer-1.encrypted.key.pem"
    path.write_bytes(private_key_pem(dev_credential("secas-signer-1").private_key, b"correct horse"))
    return path


def test_pem_signer_with_an_encrypted_key_takes_its_passphrase_from_the_environment(
    encrypted_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert b"ENCRYPTED PRIVATE KEY" in encrypted_key.read_bytes()
    monkeypatch.setenv(PASSPHRASE_ENV, "correct horse")

    signer = PemKeySigner.from_files(CERT, encrypted_key, chain=[CHAIN])

    verified = verify_signed_data(
        sign_data(b"encrypted", signer), dev_trust(), required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING
    )
    assert verified.content == b"encrypted"


def test_passphrase_may_come_from_another_named_variable(encrypted_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.setenv("SECAS_KEY_PASSPHRASE", "correct horse")
    signer = PemKeySigner.from_files(CERT, encrypted_key, passphrase_env="SECAS_KEY_PASSPHRASE")
    assert signer.certificate == dev_credential("secas-signer-1").certificate


def test_wrong_passphrase_is_a_clear_error(encrypted_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "battery staple")
    with pytest.raises(SignerPassphraseError, match=f"the passphrase in {PASSPHRASE_ENV} does not decrypt"):
        PemKeySigner.from_files(CERT, encrypted_key)


def test_missing_passphrase_is_a_clear_error(encrypted_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    with pytest.raises(SignerPassphraseError, match=f"encrypted and the environment variable {PASSPHRASE_ENV}"):
        PemKeySigner.from_files(CERT, encrypted_key)


def test_key_not_matching_the_certificate_is_refused() -> None:
    with pytest.raises(UnsupportedSignerKeyError, match="does not match"):
        PemKeySigner.from_files(KEYS / "secas-signer-2.pem", KEYS / "secas-signer-1.key.pem")


@pytest.mark.parametrize(
    "key", [ec.generate_private_key(ec.SECP384R1()), rsa.generate_private_key(65537, 2048)], ids=["p384", "rsa"]
)
def test_non_p256_keys_are_refused_at_construction(tmp_path: Path, key: object) -> None:
    credential = make_end_entity(
        "odd",
        "secas",
        "SECAS",
        dev_credential("issuing-ca"),
        policies=(DEV_POLICY_CPL_EXTRACT_SIGNING,),
        now=now(),
        key=key,  # type: ignore[arg-type]
    )
    cert, key_path = write_pem(credential, tmp_path)
    with pytest.raises(UnsupportedSignerKeyError, match="only NIST P-256"):
        PemKeySigner.from_files(cert, key_path)


def test_load_signer_reads_a_pem_spec_with_its_chain() -> None:
    signer = load_signer(f"pem:{CERT}:{KEYS / 'secas-signer-1.key.pem'}:{CHAIN}")
    assert signer.certificate == dev_credential("secas-signer-1").certificate
    assert list(signer.chain) == [dev_credential("issuing-ca").certificate]


def test_the_development_default_spec_loads_from_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    signer = load_signer(DEV_EXTRACT_SIGNER_SPEC)
    assert (
        verify_signed_data(sign_data(b"x", signer), dev_trust(), required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING).content
        == b"x"
    )


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "unknown signer kind"),
        ("file:a:b", "unknown signer kind 'file'"),
        ("pem:only-a-cert.pem", "pem:CERT.pem:KEY.pem"),
        ("pem:a:b:c:d", "pem:CERT.pem:KEY.pem"),
        ("pem:/no/such/cert.pem:/no/such/key.pem", "cannot read certificate file"),
        (f"pem:{CERT}:/no/such/key.pem", "cannot read key file"),
        (f"pem:{KEYS / 'README.md'}:{KEYS / 'secas-signer-1.key.pem'}", "holds no PEM certificate"),
        (f"pem:{CERT}:{CERT}", "holds no readable PEM private key"),
        (f"pem:{CHAIN}:{KEYS / 'secas-signer-1.key.pem'}", "does not match"),
        ("pkcs11:/usr/lib/x.so:token", "pkcs11:MODULE_PATH:TOKEN_LABEL:KEY_LABEL:CERT.pem"),
    ],
)
def test_bad_signer_specs_are_clear_errors(spec: str, message: str) -> None:
    with pytest.raises(SignerConfigurationError, match=message):
        load_signer(spec)


def test_pkcs11_spec_with_a_missing_module_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPL_PKCS11_PIN", "1234")
    with pytest.raises(SignerConfigurationError, match="does not exist"):
        load_signer(f"pkcs11:/no/such/module.so:token:key:{CERT}")
