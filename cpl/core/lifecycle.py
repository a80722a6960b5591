"""The lifecycle's rules, pure: who must confirm, who may approve, what a removal needs.

The services in `cpl.services` read the store, ask these functions, and write; each rule here takes
plain values and either answers or raises the named `CplError` a user can act on.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from cpl.core import errors
from cpl.core.domain import PartyRole, SubmissionType
from cpl.core.submission import EntryRow
from formats.vocabulary import REMOVED_STATUSES, EntryStatus

#: A Panel decision's minutes reference, e.g. SECP_66_1503 (meeting 66, item 1503).
PANEL_REFERENCE = re.compile(r"SECP_[0-9]+(_[0-9]+)+")  # matched whole, ASCII digits only


class SubmissionState:
    OPEN = "open"  # checked clean (warnings allowed), awaiting SECAS
    HAS_ERRORS = "has_errors"  # cannot be approved; kept with its findings
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # by the submitting party, before SECAS decided: never decided after


#: States no decision follows: SECAS's approval or rejection, or the submitting party's withdrawal.
DECIDED_STATES: frozenset[str] = frozenset(
    {SubmissionState.APPROVED, SubmissionState.REJECTED, SubmissionState.WITHDRAWN}
)


def state_after_check(error_count: int) -> str:
    """A submission with any error finding is kept, but cannot be approved."""
    return SubmissionState.HAS_ERRORS if error_count else SubmissionState.OPEN


def require_undecided(submission_id: int | None, state: str, decided_by: str | None) -> None:
    if state == SubmissionState.WITHDRAWN:
        raise errors.SubmissionWithdrawnError(
            f"Submission {submission_id} was withdrawn by {decided_by} of the submitting party, so it can no longer "
            "be approved, rejected or confirmed: the party submits the workbook again."
        )
    if state in DECIDED_STATES:
        raise errors.SubmissionAlreadyDecidedError(f"Submission {submission_id} was already {state} by {decided_by}.")


def require_own_submission(submission_id: int | None, submitting_party: str, acting_party: str, role: str) -> None:
    """Only the submitting party withdraws a submission: SECAS decides it (rejects it), it never
    withdraws one for the party, and no other party may."""
    if role == PartyRole.SECAS and acting_party != submitting_party:
        raise errors.NotPermittedError(
            f"Submission {submission_id} is {submitting_party}'s to withdraw; SECAS decides it instead "
            "(cpl reject, with a note)."
        )
    if acting_party != submitting_party:
        raise errors.NotPermittedError(
            f"Submission {submission_id} was submitted by {submitting_party}; only that party may withdraw it."
        )


#: Stands for "a supplier, any registered one": a manufacturer's firmware update that names no
#: supplier (the SEC's New Entry form has no field for one) waits for any supplier to confirm it.
ANY_SUPPLIER = "*"


def suppliers_to_confirm(submitter: PartyRole | str, rows: Iterable[EntryRow]) -> frozenset[str]:
    """Suppliers who must confirm a submission: those named on a manufacturer's firmware-update rows,
    or ``ANY_SUPPLIER`` for such a row that names none."""
    if submitter != PartyRole.MANUFACTURER:
        return frozenset()
    return frozenset(
        r.confirming_supplier or ANY_SUPPLIER for r in rows if r.submission_type is SubmissionType.FIRMWARE_UPDATE
    )


def may_confirm(supplier_id: str, needed: Collection[str]) -> bool:
    return supplier_id in needed or ANY_SUPPLIER in needed


def require_confirmations(submission_id: int, needed: Collection[str], confirmed: Collection[str]) -> None:
    """A manufacturer's firmware update waits for every supplier it names (and for one, if it names none)."""
    missing = set(needed) - set(confirmed) - {ANY_SUPPLIER}
    if ANY_SUPPLIER in needed and not confirmed:
        missing.add("a supplier (any registered supplier may confirm: cpl confirm)")
    if missing:
        raise errors.SupplierConfirmationMissingError(
            f"Submission {submission_id} is a manufacturer's firmware update awaiting confirmation by "
            f"{', '.join(sorted(missing))}."
        )


def panel_reference(text: str | None) -> str:
    """The Panel decision's reference a removal records, refused unless it has the minutes' form."""
    reference = (text or "").strip()
    if not PANEL_REFERENCE.fullmatch(reference):
        raise errors.PanelReferenceError(
            f"A removal needs the Panel decision's minutes reference, like SECP_66_1503 (got {text!r})."
        )
    return reference


def require_removal_status(status: EntryStatus) -> None:
    if status not in REMOVED_STATUSES:
        raise errors.EntryStatusError(f"{status} is not a removal; use Expired, Withdrawn or Cancelled.")


def require_four_eyes(draft_id: int, prepared_by: str, approver: str) -> None:
    """An extract is signed by a different SECAS user from the one who prepared it."""
    if prepared_by == approver:
        raise errors.FourEyesError(f"{approver} prepared draft {draft_id}; another SECAS user must approve it.")


def next_sequence(previous_sequence: int | None) -> int:
    """Extract sequences start at 1 and rise by one."""
    return 1 if previous_sequence is None else previous_sequence + 1
