"""Signed submissions: a workbook with a Manufacturer Image Hash comes with a detached CMS signature.

The signature must verify over the workbook's exact bytes, chain to the submission trust anchors,
carry the submission-signing policy, and (when the submitter is known) name that submitter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cpl.core.rules import SignatureState

if TYPE_CHECKING:
    from cpl.config import Settings
    from cpl.store import Submission  # a check of an unstored workbook (`cpl check`) loads no store


def check_submission_signature(
    workbook: bytes, signature: bytes | None, submitter_party_id: str | None, settings: Settings
) -> tuple[SignatureState, str]:
    """Whether ``signature`` is a valid signature of ``workbook`` by the submitter, and if not, why.

    The trust anchors and the signing policy are the configured ones (``CPL_SUBMISSION_TRUST``,
    ``CPL_SUBMISSION_POLICY``). No signature at all is ``ABSENT``, which only matters for a row
    carrying a Manufacturer Image Hash (P003).
    """
    if signature is None:
        return SignatureState.ABSENT, ""
    # Loaded only for a signature: a check of an unsigned workbook (`cpl check`) loads no cryptography.
    from signing.cms import verify_signed_data
    from signing.errors import MissingIssuerCertificateError, SigningError
    from signing.profile import party_id

    try:
        trust = settings.submission_trust()
        verified = verify_signed_data(
            signature, trust, detached_content=workbook, required_policy=settings.submission_policy
        )
    except MissingIssuerCertificateError as refusal:
        # A manufacturer makes the .p7s with openssl (docs/signing.md): say which option adds what is missing.
        return SignatureState.INVALID, (
            f"the signature does not include the issuing CA certificate ('{refusal.issuer}'): add it with "
            "openssl's -certfile, as docs/signing.md shows"
        )
    except SigningError as refusal:
        return SignatureState.INVALID, str(refusal).rstrip(".")
    signer = party_id(verified.signer_certificate)
    if submitter_party_id is not None and signer != submitter_party_id:
        return SignatureState.INVALID, f"the workbook is signed by {signer}, not by {submitter_party_id}"
    return SignatureState.VALID, ""


def stored_signature_state(record: Submission, settings: Settings) -> tuple[SignatureState, str]:
    """The state of a stored submission's signature, judged now (trust anchors may have rolled over)."""
    return check_submission_signature(record.workbook, record.signature, record.party_id, settings)
