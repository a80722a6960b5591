"""What the notices to parties say, composed from plain values. Pure: no mail, no database, no clock.

Four kinds (DOMAIN.md, rules 2 and 8): a new CPL version published, the DCC has loaded a version,
a CPA certificate's effective end 12 and 6 months ahead, and the outcome of a submission. The same
notice goes to every party it is for; `cpl.mailer` queues it with the change it reports and
delivers it after that change commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# --- kinds -----------------------------------------------------------------------------------------

CPL_PUBLISHED = "cpl-published"
DCC_LOADED = "dcc-loaded"
SUBMISSION_OUTCOME = "submission-outcome"
_CPA_EXPIRY_PREFIX = "cpa-expiry-"
_CPA_RENEWAL_PREFIX = "cpa-renewal-"


def cpa_expiry_kind(months_before: int) -> str:
    """``cpa-expiry-12-months``: one kind per notice window, so each is counted and kept apart."""
    return f"{_CPA_EXPIRY_PREFIX}{months_before}-months"


def cpa_expiry_months(kind: str) -> int | None:
    """The window of a CPA expiry kind, or None for any other kind."""
    if not (kind.startswith(_CPA_EXPIRY_PREFIX) and kind.endswith("-months")):
        return None
    number = kind.removeprefix(_CPA_EXPIRY_PREFIX).removesuffix("-months")
    return int(number) if number.isdigit() else None


def cpa_renewal_kind(months_before: int) -> str:
    """``cpa-renewal-12-months``: a lifetime certificate's renewal notice, kept apart from expiry notices."""
    return f"{_CPA_RENEWAL_PREFIX}{months_before}-months"


def cpa_renewal_months(kind: str) -> int | None:
    """The window of a CPA renewal kind, or None for any other kind."""
    if not (kind.startswith(_CPA_RENEWAL_PREFIX) and kind.endswith("-months")):
        return None
    number = kind.removeprefix(_CPA_RENEWAL_PREFIX).removesuffix("-months")
    return int(number) if number.isdigit() else None


# --- composing (pure) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """What a notice says, before it has a recipient: the same text goes to every party it is for."""

    kind: str
    subject_ref: str
    subject: str
    body: str


FOOTER = (
    "\n--\nThe Central Products List service, run by SECAS for the SEC Panel.\n"
    "This message was sent automatically; reference {kind} {ref}.\n"
)


def _stamp(moment: dt.datetime) -> str:
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _wrap(line: str) -> str:
    """Lines short enough for plain 7-bit mail (RFC 5322's 78), continuation lines indented under the text."""
    indent = len(line) - len(line.lstrip(" "))
    return (
        textwrap.fill(
            line,
            76,
            subsequent_indent=" " * (indent + 2 if indent else 0),
            break_long_words=False,
            break_on_hyphens=False,
        )
        if line.strip()
        else ""
    )


def _notice(kind: str, ref: str, subject: str, lines: Iterable[str]) -> Notice:
    text = "\n".join(_wrap(line) for line in lines) + "\n"
    return Notice(kind, ref, subject, text + FOOTER.format(kind=kind, ref=ref))


def _list(label: str, items: Sequence[str]) -> str:
    return f"  {label}: {', '.join(items) if items else 'none'}"


def published_notice(
    *,
    sequence: int,
    issued_at: dt.datetime,
    entries_by_status: Mapping[str, int],
    changes: Mapping[str, Any],
    dcc_loaded_at: dt.datetime | None,
    version: str | None = None,
) -> Notice:
    """(a) A new CPL version is published: its version (the SEC's numbering, when it has one, and the
    extract's sequence), size, what changed, whether the DCC has loaded it."""
    total = sum(entries_by_status.values())
    named = f"{version} (extract {sequence})" if version else str(sequence)
    removed = [
        f"{r.get('entry_id')} ({r.get('status')}, Panel decision {r.get('panel_reference')})"
        for r in changes.get("removed", [])
    ]
    loaded = (
        f"The DCC has loaded this version into the Smart Metering Inventory (applied {_stamp(dcc_loaded_at)})."
        if dcc_loaded_at
        else "The DCC has not yet confirmed that it has loaded this version; you will be told when it has."
    )
    return _notice(
        CPL_PUBLISHED,
        f"extract:{sequence}",
        f"CPL version {version or sequence} published",
        [
            f"Version {named} of the Central Products List was issued on {_stamp(issued_at)} and is published.",
            "",
            f"It lists {total} entr{'y' if total == 1 else 'ies'}: "
            + ", ".join(f"{count} {status}" for status, count in entries_by_status.items())
            + ".",
            "",
            "What changed since the previous version:",
            _list("added", list(changes.get("added", []))),
            _list("removed", removed),
            _list("restored", list(changes.get("restored", []))),
            _list("changed", list(changes.get("changed", []))),
            "",
            loaded,
        ],
    )


def dcc_loaded_notice(
    *,
    sequence: int,
    received_at: dt.datetime | None,
    applied_at: dt.datetime,
    devices_suspended: int,
    devices_restored: int,
) -> Notice:
    """(b) The DCC has loaded version N, from its signed receipt."""
    lines = [f"The DCC has loaded version {sequence} of the Central Products List into the Smart Metering Inventory."]
    if received_at is not None:
        lines.append(f"  received: {_stamp(received_at)}")
    lines += [
        f"  applied:  {_stamp(applied_at)}",
        f"  devices suspended: {devices_suspended}",
        f"  devices restored:  {devices_restored}",
    ]
    return _notice(DCC_LOADED, f"extract:{sequence}", f"CPL version {sequence} loaded by the DCC", lines)


def cpa_expiry_ref(entry_id: str, effective_end: dt.date) -> str:
    """One notice per entry and effective end: a moved end date owes its notices afresh."""
    return f"{entry_id}@{effective_end.isoformat()}"


def cpa_expiry_notice(
    *,
    entry_id: str,
    device_model: str,
    months_before: int,
    effective_end: dt.date,
    certificate: str,
    expiry: dt.date,
    conditional_date: dt.date | None,
    conditions_met: bool,
    renewal_date: dt.date | None,
    as_of: dt.date,
) -> Notice:
    """(c) A CPA certificate's effective end is 12 (or 6) months away, to the entry's submitting party."""
    days = (effective_end - as_of).days
    lines = [
        f"This is the {months_before}-month notice for CPL entry {entry_id}: the CPA certificate it relies on "
        f"stops counting on {effective_end.isoformat()} ({days} day{'' if days == 1 else 's'} from {as_of}).",
        "",
        f"  entry:            {entry_id}",
        f"  device model:     {device_model}",
        f"  CPA certificate:  {certificate}",
        f"  CPA expiry date:  {expiry.isoformat()}",
    ]
    if conditional_date is not None:
        lines.append(
            f"  conditional date: {conditional_date.isoformat()}"
            + (" (conditions recorded as met)" if conditions_met else " (conditions not yet recorded as met)")
        )
    if renewal_date is not None:
        lines.append(f"  renewal date:     {renewal_date.isoformat()}")
    lines.append("")
    if conditional_date is not None and not conditions_met and effective_end == conditional_date:
        lines.append(
            "The certificate is conditional: unless its conditions are recorded as met by the conditional date, "
            "it is revoked on that date, so the conditional date is the end that counts. Once SECAS records the "
            "conditions as met (or an extension), the expiry date counts instead."
        )
    else:
        lines.append("The certificate expires on that date.")
    lines += [
        "",
        "An entry whose CPA certificate has ended is proposed to the SEC Panel for removal from the CPL; "
        "Devices of a removed model are suspended by the DCC. To keep the entry, submit a renewed CPA certificate "
        "before that date.",
    ]
    return _notice(
        cpa_expiry_kind(months_before),
        cpa_expiry_ref(entry_id, effective_end),
        f"CPL entry {entry_id}: CPA certificate ends {effective_end.isoformat()} ({months_before}-month notice)",
        lines,
    )


def cpa_renewal_notice(
    *, entry_id: str, device_model: str, months_before: int, renewal_date: dt.date, certificate: str, as_of: dt.date
) -> Notice:
    """A lifetime CPA certificate's renewal date is 12 (or 6) months away. It removes nothing."""
    days = (renewal_date - as_of).days
    lines = [
        f"This is the {months_before}-month renewal notice for CPL entry {entry_id}: the lifetime CPA "
        f"certificate it relies on is due for renewal on {renewal_date.isoformat()} "
        f"({days} day{'' if days == 1 else 's'} from {as_of}).",
        "",
        f"  entry:            {entry_id}",
        f"  device model:     {device_model}",
        f"  CPA certificate:  {certificate} (lifetime)",
        f"  renewal date:     {renewal_date.isoformat()}",
        "",
        "A lifetime certificate (MP209) does not expire: reaching its renewal date does not remove the entry "
        "from the CPL. Arrange the renewal with NCSC and send SECAS the renewed date.",
    ]
    return _notice(
        cpa_renewal_kind(months_before),
        cpa_expiry_ref(entry_id, renewal_date),
        f"CPL entry {entry_id}: CPA certificate renewal due {renewal_date.isoformat()} ({months_before}-month notice)",
        lines,
    )


def submission_outcome_notice(
    *,
    submission_id: int,
    filename: str,
    approved: bool,
    entry_ids: Sequence[str],
    note: str | None,
    decided_at: dt.datetime,
) -> Notice:
    """(d) A submission was approved (with its entry ids) or rejected (with SECAS's note)."""
    if approved:
        lines = [
            f"Submission {submission_id} ({filename}) was approved on {_stamp(decided_at)}.",
            "",
            f"Its {len(entry_ids)} entr{'y is' if len(entry_ids) == 1 else 'ies are'} Active on the CPL:",
            *(f"  {entry_id}" for entry_id in entry_ids),
            "",
            "They are published with the next CPL version SECAS issues.",
        ]
    else:
        lines = [
            f"Submission {submission_id} ({filename}) was rejected on {_stamp(decided_at)}.",
            "",
            f"SECAS's note: {note}" if note else "SECAS gave no note; contact SECAS for the reason.",
        ]
    outcome = "approved" if approved else "rejected"
    return _notice(
        SUBMISSION_OUTCOME, f"submission:{submission_id}", f"CPL submission {submission_id} {outcome}", lines
    )


def cpa_notice_summary(kind: str, subject_ref: str) -> str | None:
    """A CPA notice in a few words, for a log line: ``CPL-000012, 12-month notice, CPA certificate ends
    2027-12-01``; None for any other kind (its subject says what it is)."""
    entry_id, _, end = subject_ref.partition("@")
    expiry_months, renewal_months = cpa_expiry_months(kind), cpa_renewal_months(kind)
    if expiry_months is not None:
        return f"{entry_id}, {expiry_months}-month notice, CPA certificate ends {end}"
    if renewal_months is not None:
        return f"{entry_id}, {renewal_months}-month notice, CPA certificate renewal due {end}"
    return None


# --- addresses -------------------------------------------------------------------------------------

#: RFC 5322's dot-atom: atoms of these characters joined by single dots (a quoted local part is not
#: taken: no party needs one, and it is where header tricks hide).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
#: A DNS host name's label (RFC 1123): letters, digits and inner hyphens, at most 63 characters.
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
#: RFC 5321's limits: 64 octets for the local part, 254 for the whole address in a path.
MAX_LOCAL_PART = 64
MAX_ADDRESS = 254


def email_address_problem(address: str) -> str | None:
    """Why ``address`` is not an email address notices can go to, as a sentence; None when it is one.

    A plain ``name@example.com``: an RFC 5322 dot-atom before the one ``@``, a domain name of two or
    more labels after it, within RFC 5321's lengths, in ASCII.
    """
    why = _address_problem(address)
    return None if why is None else f"{address!r} is not an email address: {why}."


def _address_problem(address: str) -> str | None:
    if not address:
        return "it is empty"
    if any(c.isspace() for c in address):
        return "it contains white space"
    if "@" not in address:
        return "it has no '@'"
    local, _, domain = address.rpartition("@")
    if "@" in local:
        return "it has more than one '@'"
    if not local:
        return "nothing comes before the '@'"
    if not domain:
        return "nothing follows the '@'"
    if not _LOCAL_PART.fullmatch(local):
        return f"the part before the '@', {local!r}, is not a plain mailbox name"
    if len(local) > MAX_LOCAL_PART:
        return f"the part before the '@' is longer than {MAX_LOCAL_PART} characters"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return f"the domain {domain!r} is not a domain name like example.com"
    if len(address) > MAX_ADDRESS:
        return f"it is longer than {MAX_ADDRESS} characters"
    return None


def message_id(kind: str, subject_ref: str, party_id: str, sender: str) -> str:
    """The same notice always carries the same Message-ID, so a repeat after a crash can be recognised."""
    digest = hashlib.sha256(f"{kind}\n{subject_ref}\n{party_id}".encode()).hexdigest()[:32]
    domain = sender.rpartition("@")[2]
    return f"<{digest}@{domain if re.fullmatch(r'[A-Za-z0-9.-]+', domain) else 'cpl.invalid'}>"
