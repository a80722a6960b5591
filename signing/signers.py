"""Who signs: one small interface, a PEM-file signer and a PKCS#11 (HSM) signer.

A `Signer` knows its certificate, the intermediates that lead to a trust anchor, and how to make a
DER ECDSA-with-SHA-256 signature over some bytes. Both implementations refuse, when they are set
up, anything but a NIST P-256 key whose certificate matches it, so a misconfigured signer fails
at start-up and not at the first extract.

`load_signer` turns the one-line configuration the command line and services take into a signer:

    pem:CERT.pem:KEY.pem[:CHAIN.pem]
    pkcs11:MODULE_PATH:TOKEN_LABEL:KEY_LABEL:CERT.pem[:CHAIN.pem]      (PIN from CPL_PKCS11_PIN)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from signing.development import DEV_EXTRACT_SIGNER_SPEC as DEV_EXTRACT_SIGNER_SPEC
from signing.errors import (
    SignerConfigurationError,
    SignerPassphraseError,
    SigningOperationError,
    UnsupportedSignerKeyError,
)
from signing.profile import P256_SCALAR_OCTETS, describe_key, is_p256_key

if TYPE_CHECKING:
    from pkcs11 import Session, SignMixin

PASSPHRASE_ENV: Final = "CPL_SIGNER_PASSPHRASE"
PKCS11_PIN_ENV: Final = "CPL_PKCS11_PIN"


class Signer(Protocol):
    """Something that signs for one certificate."""

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        """Intermediate CA certificates from the signer's issuer up to (not including) the anchor."""
        ...

    def sign(self, data: bytes) -> bytes:
        """A DER-encoded ECDSA signature with SHA-256 over ``data``."""
        ...


def load_certificates(path: str | Path) -> list[x509.Certificate]:
    """Every certificate in a PEM file; a clear error when there is none or the file is unreadable."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise SignerConfigurationError(f"cannot read certificate file {path} ({error.strerror}).") from None
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise SignerConfigurationError(f"{path} holds no PEM certificate.") from None
    return certificates


def load_certificate(path: str | Path) -> x509.Certificate:
    certificates = load_certificates(path)
    if len(certificates) != 1:
        raise SignerConfigurationError(
            f"{path} must hold exactly one certificate, the signer's; it holds {len(certificates)}."
        )
    return certificates[0]


def _require_p256_certificate(certificate: x509.Certificate) -> ec.EllipticCurvePublicKey:
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not is_p256_key(public_key):
        raise UnsupportedSignerKeyError(
            f"the signer certificate holds {describe_key(public_key)}; only NIST P-256 is allowed."
        )
    return public_key


@dataclass(frozen=True)
class PemKeySigner:
    """A signer whose private key is in memory (loaded from a PKCS#8 or traditional PEM file)."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    chain: tuple[x509.Certificate, ...] = ()

    def __post_init__(self) -> None:
        if not is_p256_key(self.private_key):
            raise UnsupportedSignerKeyError(
                f"the signing key is {describe_key(self.private_key)}; only NIST P-256 is allowed."
            )
        public_key = _require_p256_certificate(self.certificate)
        if public_key != self.private_key.public_key():
            raise UnsupportedSignerKeyError("the signing key does not match the signer certificate.")

    @classmethod
    def from_files(
        cls,
        cert_pem: str | Path,
        key_pem: str | Path,
        chain: Sequence[str | Path] = (),
        passphrase_env: str = PASSPHRASE_ENV,
    ) -> PemKeySigner:
        """Load a signer from its certificate, key and chain files.

        An encrypted key takes its passphrase from the environment variable ``passphrase_env``.
        """
        certificate = load_certificate(cert_pem)
        intermediates = tuple(c for path in chain for c in load_certificates(path))
        key = _load_private_key(Path(key_pem), passphrase_env)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise UnsupportedSignerKeyError(
                f"the signing key in {key_pem} is {describe_key(key)}; only NIST P-256 is allowed."
            )
        return cls(certificate=certificate, private_key=key, chain=intermediates)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data, ec.ECDSA(hashes.SHA256()))


def _load_private_key(path: Path, passphrase_env: str) -> Any:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SignerConfigurationError(f"cannot read key file {path} ({error.strerror}).") from None
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        pass  # encrypted: needs the passphrase
    except ValueError:
        raise SignerConfigurationError(f"{path} holds no readable PEM private key.") from None
    passphrase = os.environ.get(passphrase_env)
    if not passphrase:
        raise SignerPassphraseError(
            f"the key {path} is encrypted and the environment variable {passphrase_env} "
            "that should hold its passphrase is not set."
        )
    try:
        return serialization.load_pem_private_key(data, password=passphrase.encode("utf-8"))
    except (TypeError, ValueError):
        raise SignerPassphraseError(f"the passphrase in {passphrase_env} does not decrypt the key {path}.") from None


@dataclass
class _TokenLogin:
    """One logged-in session per token and process, shared by every signer that uses the token.

    PKCS#11 login state belongs to the application, not the session: a second C_Login fails
    with CKR_USER_ALREADY_LOGGED_IN, and one C_Logout logs every session out. So signers share
    one session (and one lock, since sessions are not thread-safe) and the last to close it
    logs out.
    """

    session: Session
    pin_digest: bytes
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


_LOGINS: dict[tuple[str, str], _TokenLogin] = {}
_LOGINS_LOCK = threading.Lock()


def _pin_digest(module_path: str, token_label: str, pin: str) -> bytes:
    return hashlib.sha256(f"{module_path}\0{token_label}\0{pin}".encode()).digest()


class Pkcs11Signer:
    """A signer whose EC P-256 private key stays on a PKCS#11 token (an HSM; SoftHSM2 in tests).

    The token computes raw ECDSA (CKM_ECDSA) over a SHA-256 digest made on the host, which every
    token supports, and the raw r||s it returns is re-encoded as DER. The token's logged-in
    session is opened once and shared (see `_TokenLogin`); `close` (or leaving a ``with`` block)
    gives it back.
    """

    def __init__(
        self,
        module_path: str,
        token_label: str,
        key_label: str,
        pin: str,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
    ) -> None:
        import pkcs11  # an optional, native dependency: only PKCS#11 users load it

        self._public_key = _require_p256_certificate(certificate)
        self._certificate = certificate
        self._chain = tuple(chain)
        self._login_key = (module_path, token_label)
        self._login: _TokenLogin | None = None
        self._key: SignMixin | None = None
        self._mechanism = pkcs11.Mechanism.ECDSA
        self._where = f"PKCS#11 token {token_label!r}"
        self._login = self._log_in(module_path, token_label, pin)
        try:
            with self._login.lock:
                key = self._login.session.get_key(
                    object_class=pkcs11.ObjectClass.PRIVATE_KEY, key_type=pkcs11.KeyType.EC, label=key_label
                )
        except pkcs11.NoSuchKey:
            self.close()
            raise SignerConfigurationError(
                f"the {self._where} holds no EC private key labelled {key_label!r}."
            ) from None
        except pkcs11.MultipleObjectsReturned:
            self.close()
            raise SignerConfigurationError(
                f"the {self._where} holds more than one EC private key labelled {key_label!r}."
            ) from None
        if not isinstance(key, pkcs11.SignMixin):
            self.close()
            raise SignerConfigurationError(f"the key {key_label!r} on the {self._where} cannot sign.")
        self._key = key
        self._check_key_matches_certificate()

    def _log_in(self, module_path: str, token_label: str, pin: str) -> _TokenLogin:
        import pkcs11

        digest = _pin_digest(module_path, token_label, pin)
        with _LOGINS_LOCK:
            login = _LOGINS.get(self._login_key)
            if login is not None:
                if not hmac.compare_digest(login.pin_digest, digest):
                    raise SignerConfigurationError(
                        f"the PIN for the {self._where} differs from the one this process logged in with."
                    )
                login.users += 1
                return login
            try:
                library = pkcs11.lib(module_path)
            except pkcs11.PKCS11Error as error:
                raise SignerConfigurationError(f"cannot load the PKCS#11 module {module_path} ({error}).") from None
            try:
                session = library.get_token(token_label=token_label).open(user_pin=pin)
            except pkcs11.NoSuchToken:
                raise SignerConfigurationError(f"no {self._where} is present in {module_path}.") from None
            except pkcs11.MultipleTokensReturned:
                raise SignerConfigurationError(f"more than one {self._where} is present in {module_path}.") from None
            except (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange):
                raise SignerConfigurationError(f"the PIN for the {self._where} is not accepted.") from None
            except pkcs11.PinLocked:
                raise SignerConfigurationError(f"the user PIN of the {self._where} is locked.") from None
            except pkcs11.UserAlreadyLoggedIn:
                raise SignerConfigurationError(
                    f"the {self._where} is already logged in by another part of this process."
                ) from None
            except pkcs11.PKCS11Error as error:
                raise SignerConfigurationError(f"cannot open a session on the {self._where} ({error!r}).") from None
            login = _LOGINS[self._login_key] = _TokenLogin(session, digest, users=1)
            return login

    def _check_key_matches_certificate(self) -> None:
        # The private key's public half may not be on the token: a test signature proves the pair.
        challenge = secrets.token_bytes(32)
        try:
            signature = self.sign(challenge)
            self._public_key.verify(signature, challenge, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, SigningOperationError):
            self.close()
            raise UnsupportedSignerKeyError(
                "the key on the PKCS#11 token does not match the signer certificate, or is not a NIST P-256 key."
            ) from None

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        return self._chain

    def sign(self, data: bytes) -> bytes:
        import pkcs11

        login, key = self._login, self._key
        if login is None or key is None:
            raise SigningOperationError("the PKCS#11 signer has been closed.")
        digest = hashlib.sha256(data).digest()
        try:
            with login.lock:
                raw = key.sign(digest, mechanism=self._mechanism)
        except pkcs11.PKCS11Error as error:
            raise SigningOperationError(f"the {self._where} refused to sign ({error!r}).") from None
        if len(raw) != 2 * P256_SCALAR_OCTETS:
            raise SigningOperationError(f"the {self._where} returned a {len(raw)}-octet signature; P-256 gives 64.")
        r = int.from_bytes(raw[:P256_SCALAR_OCTETS], "big")
        s = int.from_bytes(raw[P256_SCALAR_OCTETS:], "big")
        return encode_dss_signature(r, s)

    def close(self) -> None:
        """Give the token session back; the last signer using the token logs out."""
        login, self._login, self._key = self._login, None, None
        if login is None:
            return
        with _LOGINS_LOCK:
            login.users -= 1
            if login.users == 0:
                if _LOGINS.get(self._login_key) is login:
                    del _LOGINS[self._login_key]
                with login.lock:
                    login.session.close()

    def __enter__(self) -> Pkcs11Signer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def load_signer(spec: str) -> Signer:
    """A signer from its one-line configuration (see the module docstring)."""
    scheme, _, rest = spec.partition(":")
    parts = rest.split(":") if rest else []
    if scheme == "pem":
        if len(parts) not in (2, 3) or not all(parts):
            raise SignerConfigurationError("a PEM signer is configured as pem:CERT.pem:KEY.pem[:CHAIN.pem].")
        return PemKeySigner.from_files(parts[0], parts[1], chain=parts[2:])
    if scheme == "pkcs11":
        if len(parts) not in (4, 5) or not all(parts):
            raise SignerConfigurationError(
                "a PKCS#11 signer is configured as pkcs11:MODULE_PATH:TOKEN_LABEL:KEY_LABEL:CERT.pem[:CHAIN.pem]."
            )
        module_path, token_label, key_label, cert_path = parts[:4]
        pin = os.environ.get(PKCS11_PIN_ENV)
        if not pin:
            raise SignerConfigurationError(
                f"a PKCS#11 signer needs the token's user PIN in the environment variable {PKCS11_PIN_ENV}."
            )
        if not Path(module_path).is_file():
            raise SignerConfigurationError(f"the PKCS#11 module {module_path} does not exist.")
        chain = tuple(c for path in parts[4:] for c in load_certificates(path))
        return Pkcs11Signer(module_path, token_label, key_label, pin, load_certificate(cert_path), chain)
    raise SignerConfigurationError(f"unknown signer kind {scheme!r}: a signer spec starts with 'pem:' or 'pkcs11:'.")
