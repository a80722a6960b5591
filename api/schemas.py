"""What the API takes: request bodies, bounded (lengths, no control characters) so that hostile input
is refused with a 422 before it reaches the store, and the limits of path and query values.

What it returns is `cpl.views`: the same views the command line's ``--json`` prints.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from formats.vocabulary import AssuranceScheme, EntryStatus


def _printable(text: str) -> str:
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise ValueError("control characters are not allowed")
    return text


#: Free text from a request: bounded, and no control characters (PostgreSQL refuses NUL in text).
Note = Annotated[str, Field(max_length=2000), AfterValidator(_printable)]
Reason = Annotated[str, Field(max_length=500), AfterValidator(_printable)]
PanelReference = Annotated[
    str,
    Field(max_length=40, description="The Panel decision's minutes reference, e.g. SECP_66_1503"),
    AfterValidator(_printable),
]
CertificateNumber = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)]
#: Text a list is searched for (a query value).
SearchText = Annotated[str, Field(max_length=100), AfterValidator(_printable)]


#: The limits of path and query values that end up in SQL (SQLite integers are 64-bit).
MAX_ID = 2**31 - 1
MAX_OFFSET = 1_000_000_000


def _said(text: str) -> str:
    if not text.strip():
        raise ValueError("say why the submission is rejected: the submitting party is sent this note")
    return text


class RejectionIn(BaseModel):
    note: Annotated[Note, AfterValidator(_said)] = Field(
        description="Why the submission is rejected, for the submitting party (required, not blank)"
    )


class WithdrawalIn(BaseModel):
    note: Note = Field(default="", description="Why the party withdraws it (kept with the submission)")


class ApprovalIn(BaseModel):
    mapping_evidence: str | None = Field(
        default=None,
        max_length=500,
        description="Firmware mapping evidence SECAS records with the submission (answers C005; the SEC's "
        "New Entry form has no field for it).",
    )


class RemovalIn(BaseModel):
    status: Literal[EntryStatus.EXPIRED, EntryStatus.WITHDRAWN, EntryStatus.CANCELLED] = Field(
        description="Expired, Withdrawn or Cancelled"
    )
    panel_reference: PanelReference
    reason: Reason = ""


def _reason_given(text: str) -> str:
    if not text.strip():
        raise ValueError("say why the Panel will not remove the entry on this proposal")
    return text


class DismissalIn(BaseModel):
    reason: Annotated[Reason, AfterValidator(_reason_given)] = Field(
        description="Why the Panel will not remove the entry on this proposal (required, not blank)"
    )


class RevocationIn(BaseModel):
    scheme: AssuranceScheme
    number: CertificateNumber
    reason: Reason = "revoked by the scheme"
