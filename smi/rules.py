"""The DCC's rules for the Smart Metering Inventory, as data and pure functions.

Nothing here does I/O or reads a clock: every rule that depends on time takes the time it is
judged at. These are the DCC's own facts (it must not import `cpl/`): the SMI Statuses, which of
them a CPL removal suspends, how long the DCC has to apply an extract, how far an extract's clock
may run ahead of ours, and the acceptance rules it applies to every extract. The words it shares
with the authority (Physical Device Types, which of them the CPL controls) are `formats.vocabulary`'s.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from formats.extract import Extract, ExtractEntry
from formats.vocabulary import CPL_CONTROLLED_TYPES, PHYSICAL_DEVICE_TYPE_SPELLINGS, PhysicalDeviceType
from smi.errors import (
    ExtractEquivocationError,
    ExtractOutOfOrderError,
    ExtractRollbackError,
    FutureDatedExtractError,
    UnexplainedRemovalError,
    UnusableInputError,
)


class SmiStatus(StrEnum):
    """SMI Status values (DCC inventory schema, DUIS V5.4)."""

    PENDING = "Pending"
    WHITELISTED = "Whitelisted"
    INSTALLED_NOT_COMMISSIONED = "InstalledNotCommissioned"
    COMMISSIONED = "Commissioned"
    DECOMMISSIONED = "Decommissioned"
    WITHDRAWN = "Withdrawn"
    SUSPENDED = "Suspended"
    RECOVERY = "Recovery"
    RECOVERED = "Recovered"


class Alert(StrEnum):
    """The alerts the DCC raises: the CPL changed a Device's SMI Status, or the CPL in force is stale."""

    DEVICE_SUSPENDED = "DeviceSuspended"
    DEVICE_RESTORED = "DeviceRestored"
    CPL_STALE = "CplStale"


_S = SmiStatus

#: Statuses in which a Device whose model and firmware leave the CPL is Suspended.
SUSPENDABLE_STATUSES: frozenset[SmiStatus] = frozenset(
    {_S.PENDING, _S.WHITELISTED, _S.INSTALLED_NOT_COMMISSIONED, _S.COMMISSIONED}
)

#: Statuses the CPL never changes.
UNTOUCHED_STATUSES: frozenset[SmiStatus] = frozenset({_S.DECOMMISSIONED, _S.WITHDRAWN, _S.RECOVERY, _S.RECOVERED})

#: Statuses a Device may enter the inventory in (Suspended is only ever the CPL's doing).
ADMISSIBLE_STATUSES: frozenset[SmiStatus] = frozenset(SmiStatus) - {_S.SUSPENDED}

#: The DCC applies every extract within this long of receiving it.
APPLY_WINDOW = dt.timedelta(hours=24)

#: How far an extract's issued_at may run ahead of the time it was received.
CLOCK_SKEW = dt.timedelta(minutes=5)

#: What a Device is matched to a CPL entry on: type, manufacturer id, model id, hardware, firmware.
ModelKey = tuple[str, str, str, str, str]

_EUI64 = re.compile(r"^[0-9A-F]{16}$")
_HEX_FIELDS: Mapping[str, tuple[int, int]] = {
    "manufacturer id": (4, 4),
    "model id": (4, 4),
    "hardware version": (4, 4),
    "firmware version": (1, 8),
}
#: A value of each hex field as the inventory keeps it, for the sentence that refuses a malformed one.
_HEX_EXAMPLES: Mapping[str, str] = {
    "manufacturer id": "106C",
    "model id": "4331",
    "hardware version": "00AC",
    "firmware version": "9001 or 124074DA",
}
_HEX_DIGITS = frozenset("0123456789ABCDEF")


def one_of(values: Iterable[str]) -> str:
    """The valid values, for a refusal to end with: 'expected one of A, B or C'."""
    listed = list(values)
    if len(listed) < 2:
        return f"expected {''.join(listed)}"
    return f"expected one of {', '.join(listed[:-1])} or {listed[-1]}"


def is_cpl_controlled(physical_device_type: str) -> bool:
    return physical_device_type in CPL_CONTROLLED_TYPES


def device_id(text: str) -> str:
    """A Device ID as the inventory keeps it: an EUI-64 as 16 upper-case hex digits."""
    value = text.strip().replace("-", "").replace(":", "").upper()
    if not _EUI64.match(value):
        raise UnusableInputError(
            f"Device ID {text!r} is not an EUI-64 of 16 hex digits: expected 16 digits 0-9 and A-F, "
            f"with or without - or : between octets, e.g. 0011223344556677 or 00-11-22-33-44-55-66-77."
        )
    return value


def hex_field(name: str, text: str) -> str:
    """One of a Device Model's hex fields, upper-cased, refused if it has the wrong length."""
    low, high = _HEX_FIELDS[name]
    value = text.strip().upper()
    if not (low <= len(value) <= high) or any(c not in _HEX_DIGITS for c in value):
        size = f"{low}" if low == high else f"{low} to {high}"
        raise UnusableInputError(f"The {name} {text!r} is not {size} hex digits: {_hex_form(name, value, size)}.")
    return value


def _hex_form(name: str, value: str, size: str) -> str:
    """What a hex field should have been: its form and an example, or the same digits without the SEC's colons."""
    low, high = _HEX_FIELDS[name]
    joined = value.replace(":", "")
    if ":" in value and low <= len(joined) <= high and set(joined) <= _HEX_DIGITS:
        return f"write it without colons, as {joined}"
    return f"expected {size} digits 0-9 and A-F with no separators, e.g. {_HEX_EXAMPLES[name]}"


def physical_device_type(text: str) -> PhysicalDeviceType:
    """A type as the extract spells it, or as the SEC's documents do ('Pre-Payment Interface Device')."""
    wanted = " ".join(text.split()).casefold()
    for member in PhysicalDeviceType:
        if member.value.casefold() == wanted:
            return member
    for spelling, member in PHYSICAL_DEVICE_TYPE_SPELLINGS.items():
        if spelling.casefold() == wanted:
            return member
    raise UnusableInputError(
        f"{text!r} is not a Physical Device Type: {one_of(member.value for member in PhysicalDeviceType)}."
    )


def smi_status(text: str) -> SmiStatus:
    """An SMI Status by its name, case and surrounding spaces ignored."""
    for member in SmiStatus:
        if member.value.casefold() == text.strip().casefold():
            return member
    raise UnusableInputError(f"{text!r} is not an SMI Status: {one_of(member.value for member in SmiStatus)}.")


def model_key(
    physical_device_type: str, manufacturer_id: str, model_id: str, hardware_version: str, firmware_version: str
) -> ModelKey:
    return (physical_device_type, manufacturer_id, model_id, hardware_version, firmware_version)


@dataclass(frozen=True)
class ModelPattern:
    """The Device Models a search names: manufacturer and model id, and perhaps hardware and firmware."""

    manufacturer_id: str
    model_id: str
    hardware_version: str | None = None
    firmware_version: str | None = None

    def __str__(self) -> str:
        parts = (self.manufacturer_id, self.model_id, self.hardware_version, self.firmware_version)
        return "/".join(part for part in parts if part is not None)


#: How a search names a Device Model: the fields of a model key after its type, "/" between them, as the
#: preview's and the report's tables print a model.
MODEL_PATTERN_FORM = "MANUFACTURER/MODEL[/HARDWARE[/FIRMWARE]] in hex, e.g. 106C/4331 or 106C/4331/00AC/9001"
_PATTERN_FIELDS = ("manufacturer id", "model id", "hardware version", "firmware version")


def model_pattern(text: str) -> ModelPattern:
    """A search's Device Model: 2 to 4 of its hex fields, in model-key order, separated by "/"."""
    parts = [part.strip() for part in text.strip().split("/")]
    if not 2 <= len(parts) <= 4 or not all(parts):
        raise UnusableInputError(f"{text!r} does not name a Device Model: expected {MODEL_PATTERN_FORM}.")
    fields = [hex_field(name, part) for name, part in zip(_PATTERN_FIELDS, parts, strict=False)]
    return ModelPattern(*fields)


# --- what a CPL change does to Devices ------------------------------------------------------


@dataclass(frozen=True)
class CplChange:
    """The Device Models whose Devices an extract suspends, and those whose Devices it restores."""

    suspend: frozenset[ModelKey]
    restore: frozenset[ModelKey]

    @property
    def is_empty(self) -> bool:
        return not self.suspend and not self.restore


def cpl_change(previously_active: Collection[ModelKey], now_active: Collection[ModelKey]) -> CplChange:
    """The difference between the CPL in force and the new one, as far as Devices are concerned.

    Models that leave the Active set suspend their Devices; models that join it restore the ones
    they suspended. Only CPL-controlled types count: an extract that lists an IHD changes nothing.
    """
    before = frozenset(k for k in previously_active if is_cpl_controlled(k[0]))
    after = frozenset(k for k in now_active if is_cpl_controlled(k[0]))
    return CplChange(suspend=before - after, restore=after - before)


def status_after_cpl(
    physical_device_type: str, status: SmiStatus, status_before_suspension: SmiStatus | None, model_active: bool
) -> tuple[SmiStatus, SmiStatus | None]:
    """One Device's (status, status before suspension) once a CPL is in force: the rule per Device.

    The store applies the same rule to millions of Devices at once with set-based SQL; this is
    the specification it is tested against.
    """
    if not is_cpl_controlled(physical_device_type):
        return status, status_before_suspension
    if not model_active and status in SUSPENDABLE_STATUSES:
        return SmiStatus.SUSPENDED, status
    if model_active and status is SmiStatus.SUSPENDED and status_before_suspension is not None:
        return status_before_suspension, None
    return status, status_before_suspension


@dataclass(frozen=True)
class StatusChange:
    """One status a Device left: ``status`` from ``since`` until ``until``, then ``new_status``, by the apply
    of extract ``extract_sequence``, raising ``alert``."""

    status: str
    since: dt.datetime
    until: dt.datetime
    new_status: str
    extract_sequence: int | None
    alert: str | None


@dataclass(frozen=True)
class CplStep:
    """One applied extract as a Device met it: what the apply did to the model the Device had then
    (``alert``: DeviceSuspended, its model left the Active set; DeviceRestored, it joined it again;
    None, neither)."""

    sequence: int
    applied_at: dt.datetime
    alert: Alert | None


def replay_changes(
    physical_device_type: str,
    status: SmiStatus,
    status_before_suspension: SmiStatus | None,
    since: dt.datetime,
    steps: Iterable[CplStep],
) -> list[StatusChange]:
    """The status changes the applies ``steps`` (in sequence order) made to a Device that had ``status``
    (and ``status_before_suspension``) since ``since`` before the first of them: `status_after_cpl` per step.

    The inventory keeps no history row per Device: an apply changes the Devices of the models it moves
    with one UPDATE and records each model, so a Device's history is this replay over its models' records.
    """
    changes: list[StatusChange] = []
    for step in steps:
        if step.alert is None:
            continue
        active = step.alert is Alert.DEVICE_RESTORED
        new, before = status_after_cpl(physical_device_type, status, status_before_suspension, active)
        if new is not status:
            alert = step.alert.value
            changes.append(StatusChange(status.value, since, step.applied_at, new.value, step.sequence, alert))
            status, since = new, step.applied_at
        status_before_suspension = before
    return changes


def may_enter(physical_device_type: str, key: ModelKey, active: Collection[ModelKey]) -> bool:
    """The gate for adding a Device or moving it to new firmware: its model must be Active."""
    return not is_cpl_controlled(physical_device_type) or key in active


# --- accepting an extract -------------------------------------------------------------------


class Verdict(enum.Enum):
    """What the acceptance rules make of an extract that passed them."""

    NEW = "new"
    REPEAT = "repeat"


@dataclass(frozen=True)
class AcceptedExtract:
    """An extract the inventory accepted before (applied, or queued to be)."""

    sequence: int
    content_sha256: str
    extract: Extract


def unexplained_removals(in_force: Iterable[ExtractEntry], candidate: Iterable[ExtractEntry]) -> list[str]:
    """Entries Active in the CPL in force that the candidate drops, or removes without a Panel reference.

    The DCC's own check (CONTRACT.md section 2): it applies no removal the Panel did not decide,
    whatever the authority's software says.
    """
    after = {e.entry_id: e for e in candidate}
    unexplained = []
    for entry_id in sorted(e.entry_id for e in in_force if e.is_active):
        entry = after.get(entry_id)
        if entry is None or (not entry.is_active and not entry.panel_reference):
            unexplained.append(entry_id)
    return unexplained


def judge_extract(
    candidate: Extract,
    content_sha256: str,
    *,
    received_at: dt.datetime,
    latest: AcceptedExtract | None,
    accepted_sha256: Mapping[int, str],
    in_force_sequence: int | None,
) -> Verdict:
    """Apply the DCC's acceptance rules (CONTRACT.md section 2) to an extract whose signature verified.

    ``latest`` is the last extract accepted (the CPL in force, or the last one queued behind it);
    ``accepted_sha256`` gives the content SHA-256 of every accepted extract by sequence;
    ``in_force_sequence`` is the sequence of the last one applied. Raises the named error of the first
    rule that fails. Returns REPEAT for the same sequence with the same content, unless that sequence
    is below the one applied since: the CPL in force, or one still queued, sent again is harmless (and
    a queued one is the inventory's to apply); an older one replayed is a rollback like any other.
    """
    known = accepted_sha256.get(candidate.sequence)
    if known is not None:
        if known != content_sha256:
            raise ExtractEquivocationError(
                f"Extract sequence {candidate.sequence} was accepted before with other content."
            )
        if in_force_sequence is not None and candidate.sequence < in_force_sequence:
            raise ExtractRollbackError(
                f"Extract sequence {candidate.sequence} is below the last applied sequence {in_force_sequence}: "
                f"an old extract replayed."
            )
        return Verdict.REPEAT
    if latest is not None and candidate.sequence < latest.sequence:
        raise ExtractRollbackError(
            f"Extract sequence {candidate.sequence} is below the last accepted sequence {latest.sequence}."
        )
    if latest is not None:
        unexplained = unexplained_removals(latest.extract.entries, candidate.entries)
        if unexplained:
            shown = ", ".join(unexplained[:5]) + (f" and {len(unexplained) - 5} more" if len(unexplained) > 5 else "")
            raise UnexplainedRemovalError(
                f"Extract sequence {candidate.sequence} removes {shown} without a Panel reference."
            )
    if candidate.issued_at > received_at + CLOCK_SKEW:
        raise FutureDatedExtractError(
            f"Extract sequence {candidate.sequence} was issued at {_show(candidate.issued_at)}, "
            f"after it was received at {_show(received_at)}."
        )
    if latest is not None and candidate.issued_at < latest.extract.issued_at:
        raise ExtractOutOfOrderError(
            f"Extract sequence {candidate.sequence} was issued at {_show(candidate.issued_at)}, before "
            f"sequence {latest.sequence} ({_show(latest.extract.issued_at)})."
        )
    return Verdict.NEW


# --- the 24-hour window, and freshness -------------------------------------------------------


def deadline(received_at: dt.datetime) -> dt.datetime:
    return received_at + APPLY_WINDOW


def applied_in_time(received_at: dt.datetime, applied_at: dt.datetime) -> bool:
    return applied_at <= deadline(received_at)


def overdue(received_at: dt.datetime, applied_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Applied after its deadline, or not applied and its deadline has passed."""
    return (applied_at if applied_at is not None else now) > deadline(received_at)


def overdue_by(received_at: dt.datetime, applied_at: dt.datetime | None, now: dt.datetime) -> dt.timedelta | None:
    """How far past its deadline an overdue extract was applied, or is still unapplied at ``now``; None if
    it is not overdue."""
    late = (applied_at if applied_at is not None else now) - deadline(received_at)
    return late if late > dt.timedelta(0) else None


@dataclass(frozen=True)
class SequenceGap:
    """A run of sequences no extract was accepted with, between two sequences received.

    ``after`` and ``before`` are the received sequences either side; ``refused``, those of the run that
    were received and refused (the rest never arrived).
    """

    first: int
    last: int
    after: int
    before: int
    refused: tuple[int, ...] = ()

    @property
    def missing(self) -> int:
        return self.last - self.first + 1


def sequence_gaps(received: Iterable[int], accepted: Iterable[int]) -> list[SequenceGap]:
    """The runs of sequences missing from the accepted ones between the lowest and the highest received.

    The authority numbers its extracts one after another and the DCC applies them in sequence order, so
    a sequence that never arrived, or arrived and was refused, between two received ones is a gap to
    chase. Below the first sequence received is history before this inventory, not a gap; the highest,
    refused, is simply the latest refusal. Works on runs: a jump of a million sequences is one gap.
    """
    taken = set(accepted)
    seen = sorted(set(received) | taken)
    gaps: list[SequenceGap] = []
    opened: tuple[int, int] | None = None  # (first missing, the received sequence before it)
    refused: list[int] = []
    for index, sequence in enumerate(seen):
        interior = 0 < index < len(seen) - 1
        if interior and sequence not in taken:
            if opened is None:
                opened = (sequence, seen[index - 1])
            refused.append(sequence)
        elif opened is not None:
            gaps.append(SequenceGap(opened[0], sequence - 1, opened[1], sequence, tuple(refused)))
            opened, refused = None, []
        following = seen[index + 1] if index + 1 < len(seen) else None
        if following is not None and following - sequence > 1 and opened is None:
            opened = (sequence + 1, sequence)
    return gaps


def cpl_stale(next_update_by: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a CPL whose extract says ``next_update_by`` is stale at ``now``: strictly past it."""
    return next_update_by is not None and now > next_update_by


def statuses_by_name(counts: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Device counts keyed by every SMI Status name, zeros included, in the schema's order."""
    found = dict(counts)
    return {status.value: int(found.get(status.value, 0)) for status in SmiStatus}


def _show(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
