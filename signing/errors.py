"""Everything the signing package refuses, named for what failed.

Verification raises; it never returns a flag a caller could forget to check. Every refusal of a
signed file is a `VerificationError`, so a caller that only needs "accepted or not" catches that
one class, and one that reports the rule catches the subclass. Each message is one plain sentence.
"""

from __future__ import annotations


class SigningError(Exception):
    """Base of every error this package raises on purpose."""


# --- setting up signers and trust -----------------------------------------------------------


class SignerConfigurationError(SigningError):
    """A signer could not be set up from its configuration (files, token, passphrase, PIN)."""


class SignerPassphraseError(SignerConfigurationError):
    """An encrypted signing key's passphrase is missing or does not decrypt it."""


class UnsupportedSignerKeyError(SignerConfigurationError):
    """The signing key or its certificate is not NIST P-256, or the two do not match."""


class SigningOperationError(SigningError):
    """A configured signer failed to produce a signature (for example the token refused)."""


class TrustConfigurationError(SigningError):
    """The trust anchors or CRLs could not be loaded, or are not what this verifier can rely on."""


# --- verifying ------------------------------------------------------------------------------


class VerificationError(SigningError):
    """Base of every refusal of a signed file."""


class NotCmsError(VerificationError):
    """The bytes are not a CMS ContentInfo at all."""


class MalformedCmsError(VerificationError):
    """The bytes start as CMS but a part of the structure is not well formed."""


class UnsignedContentError(VerificationError):
    """The file carries bytes that no signature covers (after the signed structure)."""


class ExtraContentError(VerificationError):
    """Content arrived twice: encapsulated in the file and given separately as well."""


class MissingContentError(VerificationError):
    """A detached signature was given without the content it signs."""


class UnexpectedContentTypeError(VerificationError):
    """The ContentInfo is not SignedData, or the signed content is not id-data."""


class NoSignerError(VerificationError):
    """The SignedData carries no SignerInfo."""


class MultipleSignersError(VerificationError):
    """The SignedData carries more than one SignerInfo; exactly one is allowed."""


class UnsupportedAlgorithmError(VerificationError):
    """A digest, signature algorithm or key is not SHA-256 / ecdsa-with-SHA256 / P-256."""


class MissingSignedAttributeError(VerificationError):
    """A required signed attribute (content-type, message-digest, signing-time) is absent."""


class MessageDigestMismatchError(VerificationError):
    """The message-digest attribute is not the SHA-256 of the content."""


class ContentTypeAttributeMismatchError(VerificationError):
    """The content-type attribute does not match the encapsulated content type."""


class SignerCertificateNotFoundError(VerificationError):
    """The certificate the SignerInfo names is not among the file's certificates."""


class BadSignatureError(VerificationError):
    """The signature does not verify over the signed attributes with the signer's key."""


class SigningTimeInFutureError(VerificationError):
    """The signing-time is later than the verifier's clock allows."""


class SignerNotValidAtSigningTimeError(VerificationError):
    """The signer certificate was expired, or not yet valid, at the signing time."""


class UntrustedSignerError(VerificationError):
    """The signer certificate does not chain to a configured trust anchor."""


class MissingIssuerCertificateError(UntrustedSignerError):
    """The chain cannot be built because the file lacks a CA certificate: the signer's issuing CA, or
    one above it, is neither among the file's certificates nor a configured trust anchor."""

    def __init__(self, message: str, issuer: str) -> None:
        super().__init__(message)
        #: The missing CA's name (RFC 4514), as the certificate below it names its issuer.
        self.issuer = issuer


class KeyUsageError(VerificationError):
    """The signer certificate's keyUsage does not include digitalSignature."""


class SignerRoleError(VerificationError):
    """The signer certificate lacks the certificate policy required for this purpose."""


# --- revocation (configured CRLs) ----------------------------------------------------------


class CertificateRevokedError(VerificationError):
    """The signer certificate, or a CA certificate in its chain, is listed on a configured CRL."""


class RevocationCheckError(VerificationError):
    """CRLs are configured but they cannot decide whether a certificate in the chain is revoked."""


class MissingCrlError(RevocationCheckError):
    """No configured CRL comes from one of the CAs in the chain, so its certificates cannot be checked."""


class StaleCrlError(RevocationCheckError):
    """The issuing CA's newest configured CRL has expired (past its nextUpdate) or is not yet valid."""


class CrlSignatureError(RevocationCheckError):
    """A configured CRL naming a CA in the chain is not signed by that CA (or the CA may not sign CRLs)."""
