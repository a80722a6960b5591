"""DEVELOPMENT ONLY: what the keys-dev/ credentials are, as plain values (no cryptography is loaded).

Settings name these as their defaults, so reading the settings costs no cryptography; `signing.profile`,
`signing.signers` and `signing.trust` give the same names with the rest of their rules.

The certificate policy OIDs are DEVELOPMENT policies under the UUID arc 2.25 (ITU-T X.667), so they
can never collide with a real IKI policy. A production deployment names the real IKI policy OIDs at
its verifiers instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

#: Development certificate policy: may sign CPL extracts (SECAS).
DEV_POLICY_CPL_EXTRACT_SIGNING: Final = "2.25.236102191722290038828756996308376863429"
#: Development certificate policy: may sign the DCC's receipts for applied extracts.
DEV_POLICY_DCC_RECEIPT_SIGNING: Final = "2.25.131237506292173984207620793112124891560"
#: Development certificate policy: may sign submission workbooks (manufacturers, suppliers, the DCC).
DEV_POLICY_SUBMISSION_SIGNING: Final = "2.25.201321010096305558179839901025874318248"

#: What each development policy lets its holder sign, for messages and the keys-dev README.
DEV_POLICY_PURPOSES: Final[Mapping[str, str]] = {
    DEV_POLICY_CPL_EXTRACT_SIGNING: "development CPL extract signing",
    DEV_POLICY_DCC_RECEIPT_SIGNING: "development DCC receipt signing",
    DEV_POLICY_SUBMISSION_SIGNING: "development submission signing",
}

#: The default CPL extract signer, relative to the working directory.
DEV_EXTRACT_SIGNER_SPEC: Final = (
    "pem:keys-dev/secas-signer-1.pem:keys-dev/secas-signer-1.key.pem:keys-dev/issuing-ca.pem"
)
#: The default trust anchor, relative to the working directory.
DEV_TRUST_ANCHOR_PATHS: Final = ("keys-dev/root-ca.pem",)
