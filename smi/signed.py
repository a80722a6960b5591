"""Where the simulator meets the signing package: verifying extract files, signing receipts.

An extract must verify to a configured trust anchor and its signer must carry the CPL-extract
signing policy; a receipt is signed (CMS, attached) with the DCC's receipt key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from formats.receipt import Receipt
from signing.cms import sign_data, verify_signed_data
from signing.errors import SignerConfigurationError, TrustConfigurationError, VerificationError
from signing.profile import DEV_POLICY_CPL_EXTRACT_SIGNING
from signing.signers import Signer, load_signer
from signing.trust import TrustStore, load_trust
from smi.errors import ConfigurationError, ExtractSignatureError
from smi.files import write_atomically

#: The certificate policy an extract's signer must carry (the role: CPL extract signing).
EXTRACT_SIGNING_POLICY = DEV_POLICY_CPL_EXTRACT_SIGNING


@dataclass(frozen=True)
class VerifiedExtractFile:
    content: bytes
    signer: str
    signing_time: dt.datetime


def trust_anchors(paths: Sequence[Path], crl_paths: Sequence[Path] = ()) -> TrustStore:
    """The extract signers' trust anchors, and the CRLs their chains are checked against (if any)."""
    try:
        return load_trust(list(paths), crl_paths=list(crl_paths))
    except TrustConfigurationError as error:
        raise ConfigurationError(f"The SMI trust anchors cannot be used: {_clause(error)}.") from None


def verify_extract_file(file_bytes: bytes, trust: TrustStore, *, received_at: dt.datetime) -> VerifiedExtractFile:
    """The signed content of an extract file, or ExtractSignatureError naming what failed."""
    try:
        verified = verify_signed_data(file_bytes, trust, required_policy=EXTRACT_SIGNING_POLICY, now=received_at)
    except VerificationError as error:
        raise ExtractSignatureError(f"The extract's signature is refused: {_clause(error)}.") from None
    return VerifiedExtractFile(
        content=verified.content,
        signer=verified.signer_certificate.subject.rfc4514_string(),
        signing_time=verified.signing_time,
    )


class ReceiptSigner:
    """Signs receipts with the DCC's key and writes them as receipts_dir/receipt-<sequence>.p7m (0600)."""

    def __init__(self, signer: Signer, receipts_dir: Path) -> None:
        self.signer = signer
        self.receipts_dir = receipts_dir

    @classmethod
    def from_spec(cls, spec: str, receipts_dir: Path) -> ReceiptSigner:
        try:
            return cls(load_signer(spec), receipts_dir)
        except (SignerConfigurationError, OSError, ValueError) as error:
            raise ConfigurationError(f"The DCC receipt signer cannot be used: {_clause(error)}.") from None

    def __call__(self, receipt: Receipt, out: Path | None) -> Path:
        """Sign and write it whole (a reader never sees half a receipt); signed again, it says the same."""
        path = out if out is not None else self.receipts_dir / f"receipt-{receipt.sequence}.p7m"
        signed = sign_data(receipt.content(), self.signer)  # signing-time: the real clock, when it was signed
        write_atomically(path, signed)
        return path


def _clause(error: Exception) -> str:
    """An error's sentence as a clause to go after a colon: no capital, no full stop."""
    message = str(error).strip().rstrip(".") or type(error).__name__
    return message[0].lower() + message[1:] if message[:2] != message[:2].upper() else message
