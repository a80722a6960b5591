"""Signed submissions: a workbook with a Manufacturer Image Hash comes with a detached CMS signature.

The signature must verify over the workbook's exact bytes, chain to the submission trust anchors,
carry the submission-signing policy, and (when the submitter is known) name that submitter.
"""

from __future__ import annotations

import os
from pathlib import Path

from cpl.rules import SignatureState
from signing.cms import verify_signed_data
from signing.errors import SigningError
from signing.profile import DEV_POLICY_SUBMISSION_SIGNING, party_id
from signing.trust import TrustStore, load_trust

DEFAULT_SUBMISSION_TRUST = "keys-dev/root-ca.pem"


def submission_trust() -> TrustStore:
    """Anchors for submission signatures: ``CPL_SUBMISSION_TRUST`` (colon-separated PEM files)."""
    paths = os.environ.get("CPL_SUBMISSION_TRUST", DEFAULT_SUBMISSION_TRUST).split(os.pathsep)
    return load_trust([Path(p) for p in paths if p])


def submission_policy() -> str:
    return os.environ.get("CPL_SUBMISSION_POLICY", DEV_POLICY_SUBMISSION_SIGNING)


def check_submission_signature(
    workbook: bytes, signature: bytes, submitter_party_id: str | None
) -> tuple[SignatureState, str]:
    """Whether ``signature`` is a valid signature of ``workbook`` by the submitter, and if not, why."""
    try:
        verified = verify_signed_data(
            signature, submission_trust(), detached_content=workbook, required_policy=submission_policy()
        )
    except SigningError as refusal:
        return SignatureState.INVALID, str(refusal).rstrip(".")
    signer = party_id(verified.signer_certificate)
    if submitter_party_id is not None and signer != submitter_party_id:
        return SignatureState.INVALID, f"the workbook is signed by {signer}, not by {submitter_party_id}"
    return SignatureState.VALID, ""
