"""The DCC's rules as pure functions: acceptance of an extract, what a CPL change does to Devices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formats.extract import sha256_hex
from formats.vocabulary import CPL_CONTROLLED_TYPES, PhysicalDeviceType
from smi import rules
from smi.errors import (
    ExtractEquivocationError,
    ExtractOutOfOrderError,
    ExtractRollbackError,
    FutureDatedExtractError,
    UnexplainedRemovalError,
    UnusableInputError,
)
from smi.rules import (
    SUSPENDABLE_STATUSES,
    UNTOUCHED_STATUSES,
    AcceptedExtract,
    SmiStatus,
    Verdict,
)
from tests.smi.factories import ELECTRICITY, GAS, HUB, IHD, T0, Key, cpl, entry, extract, key

A, B, C = key(GAS, "0001"), key(HUB, "0002"), key(ELECTRICITY, "0003")


def accepted(sequence: int, active: Sequence[Key], removed: Sequence[Key] = ()) -> AcceptedExtract:
    made = cpl(sequence, active, removed)
    return AcceptedExtract(sequence=sequence, content_sha256=sha256_hex(made.content()), extract=made)


def judge(
    candidate_sequence: int,
    latest: AcceptedExtract | None,
    *,
    active: Sequence[Key],
    removed: Sequence[Key] = (),
    issued_at: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
    known: dict[int, str] | None = None,
    in_force: int | None = None,
) -> Verdict:
    candidate = cpl(candidate_sequence, active, removed, issued_at=issued_at)
    return rules.judge_extract(
        candidate,
        sha256_hex(candidate.content()),
        received_at=received_at or T0 + dt.timedelta(days=1),
        latest=latest,
        accepted_sha256=known
        if known is not None
        else ({} if latest is None else {latest.sequence: latest.content_sha256}),
        in_force_sequence=in_force,
    )


# --- acceptance -----------------------------------------------------------------------------


def test_first_extract_is_accepted() -> None:
    assert judge(1, None, active=[A, B]) is Verdict.NEW


def test_next_sequence_is_accepted() -> None:
    assert judge(2, accepted(1, [A]), active=[A, B]) is Verdict.NEW


def test_same_sequence_same_content_is_a_harmless_repeat() -> None:
    latest = accepted(3, [A, B])
    assert judge(3, latest, active=[A, B]) is Verdict.REPEAT


def test_same_sequence_other_content_is_equivocation() -> None:
    with pytest.raises(ExtractEquivocationError):
        judge(3, accepted(3, [A, B]), active=[A, B, C])


def test_lower_sequence_is_a_rollback() -> None:
    with pytest.raises(ExtractRollbackError):
        judge(2, accepted(3, [A]), active=[A])


def test_an_old_extract_replayed_after_a_newer_one_was_applied_is_a_rollback() -> None:
    old = cpl(2, [A])
    with pytest.raises(ExtractRollbackError):
        rules.judge_extract(
            old,
            sha256_hex(old.content()),
            received_at=T0 + dt.timedelta(days=1),
            latest=accepted(5, [A]),
            accepted_sha256={2: sha256_hex(old.content())},
            in_force_sequence=5,
        )


def test_the_extract_in_force_replayed_is_a_harmless_repeat() -> None:
    latest = accepted(5, [A])
    assert judge(5, latest, active=[A], in_force=5) is Verdict.REPEAT


def test_a_queued_extract_received_again_is_a_repeat_that_the_inventory_applies() -> None:
    queued = accepted(6, [A, B])
    assert judge(6, queued, active=[A, B], in_force=5) is Verdict.REPEAT


def test_removal_without_panel_reference_is_refused() -> None:
    candidate = extract(2, [entry(A), entry(B, status="Withdrawn", panel_reference="")])
    with pytest.raises(UnexplainedRemovalError, match="without a Panel reference"):
        rules.judge_extract(
            candidate,
            sha256_hex(candidate.content()),
            received_at=T0 + dt.timedelta(days=1),
            latest=accepted(1, [A, B]),
            accepted_sha256={},
            in_force_sequence=1,
        )


def test_entry_dropped_from_the_list_is_an_unexplained_removal() -> None:
    with pytest.raises(UnexplainedRemovalError):
        judge(2, accepted(1, [A, B]), active=[A])


def test_removal_with_panel_reference_is_accepted() -> None:
    assert judge(2, accepted(1, [A, B]), active=[A], removed=[B]) is Verdict.NEW


def test_future_dated_extract_is_refused() -> None:
    received = T0 + dt.timedelta(days=1)
    with pytest.raises(FutureDatedExtractError):
        judge(
            2,
            accepted(1, [A]),
            active=[A],
            issued_at=received + rules.CLOCK_SKEW + dt.timedelta(seconds=1),
            received_at=received,
        )


def test_issued_within_clock_skew_is_accepted() -> None:
    received = T0 + dt.timedelta(days=1)
    assert (
        judge(2, accepted(1, [A]), active=[A], issued_at=received + rules.CLOCK_SKEW, received_at=received)
        is Verdict.NEW
    )


def test_extract_issued_before_the_last_accepted_is_out_of_order() -> None:
    latest = accepted(4, [A])
    with pytest.raises(ExtractOutOfOrderError):
        judge(5, latest, active=[A], issued_at=latest.extract.issued_at - dt.timedelta(seconds=1))


# --- what a CPL change does -----------------------------------------------------------------


def test_cpl_change_suspends_models_that_leave_and_restores_those_that_return() -> None:
    change = rules.cpl_change({A, B}, {B, C})
    assert change.suspend == {A}
    assert change.restore == {C}


def test_uncontrolled_types_never_change() -> None:
    ihd = key(IHD, "0009")
    assert rules.cpl_change({ihd}, set()).is_empty
    assert rules.cpl_change(set(), {ihd}).is_empty


@given(
    st.sampled_from(list(PhysicalDeviceType)),
    st.sampled_from(list(SmiStatus)),
    st.one_of(st.none(), st.sampled_from(sorted(SUSPENDABLE_STATUSES))),
    st.booleans(),
)
def test_status_after_cpl_keeps_the_rules(
    kind: PhysicalDeviceType, status: SmiStatus, before: SmiStatus | None, active: bool
) -> None:
    if status is not SmiStatus.SUSPENDED:
        before = None
    after, remembered = rules.status_after_cpl(kind, status, before, active)
    if kind not in CPL_CONTROLLED_TYPES or status in UNTOUCHED_STATUSES:
        assert (after, remembered) == (status, before)
    if kind in CPL_CONTROLLED_TYPES and not active:
        assert after not in SUSPENDABLE_STATUSES
    if kind in CPL_CONTROLLED_TYPES and active and status is SmiStatus.SUSPENDED and before is not None:
        assert (after, remembered) == (before, None)
    # applying the same CPL twice changes nothing
    assert rules.status_after_cpl(kind, after, remembered, active) == (after, remembered)


def test_suspend_then_restore_gives_exactly_the_status_back() -> None:
    for status in SUSPENDABLE_STATUSES:
        suspended = rules.status_after_cpl(GAS, status, None, False)
        assert suspended == (SmiStatus.SUSPENDED, status)
        assert rules.status_after_cpl(GAS, *suspended, True) == (status, None)


def test_the_status_sets_partition_the_schema() -> None:
    assert SUSPENDABLE_STATUSES | UNTOUCHED_STATUSES | {SmiStatus.SUSPENDED} == set(SmiStatus)
    assert not SUSPENDABLE_STATUSES & UNTOUCHED_STATUSES
    assert {PhysicalDeviceType.IHD, PhysicalDeviceType.TYPE_2_DEVICE_OTHER}.isdisjoint(CPL_CONTROLLED_TYPES)
    assert len(CPL_CONTROLLED_TYPES) == 7


# --- the 24-hour window and inputs ----------------------------------------------------------


def test_deadline_is_24_hours_after_receipt() -> None:
    assert rules.deadline(T0) == T0 + dt.timedelta(hours=24)
    assert rules.applied_in_time(T0, T0 + dt.timedelta(hours=24))
    assert not rules.applied_in_time(T0, T0 + dt.timedelta(hours=24, seconds=1))
    assert rules.overdue(T0, None, T0 + dt.timedelta(hours=25))
    assert not rules.overdue(T0, None, T0 + dt.timedelta(hours=23))


def test_device_ids_are_eui64() -> None:
    assert rules.device_id("00-11-22-33-44-55-66-aa") == "00112233445566AA"
    with pytest.raises(UnusableInputError):
        rules.device_id("0011")
    with pytest.raises(UnusableInputError):
        rules.hex_field("firmware version", "123456789")
    assert rules.hex_field("manufacturer id", "106c") == "106C"


def test_counts_by_status_name_include_every_status() -> None:
    counts = rules.statuses_by_name([("Commissioned", 3)])
    assert list(counts) == [s.value for s in SmiStatus]
    assert counts["Commissioned"] == 3 and counts["Suspended"] == 0


# --- a Device's history, replayed from the applies' per-model records ---------------------------

_SUSPENDED, _RESTORED = rules.Alert.DEVICE_SUSPENDED, rules.Alert.DEVICE_RESTORED


def _at(hours: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def _steps(*alerts: rules.Alert | None) -> list[rules.CplStep]:
    """Applies of extracts 2, 3, ... at hours 2, 3, ..., each doing ``alert`` to the Device's model."""
    return [rules.CplStep(n + 2, _at(n + 2), alert) for n, alert in enumerate(alerts)]


def _changes(kind: str, status: str, before: str | None, *alerts: rules.Alert | None) -> list[tuple[object, ...]]:
    found = rules.replay_changes(
        kind,
        rules.SmiStatus(status),
        None if before is None else rules.SmiStatus(before),
        _at(1),
        _steps(*alerts),
    )
    return [(c.status, c.since, c.until, c.new_status, c.extract_sequence, c.alert) for c in found]


def test_a_replayed_history_is_each_suspension_and_restoration_with_its_times() -> None:
    # suspended by 2, nothing by 3, restored by 4, suspended again by 5 (the DOMAIN rules, step by step)
    assert _changes(GAS, "Commissioned", None, _SUSPENDED, None, _RESTORED, _SUSPENDED) == [
        ("Commissioned", _at(1), _at(2), "Suspended", 2, "DeviceSuspended"),
        ("Suspended", _at(2), _at(4), "Commissioned", 4, "DeviceRestored"),
        ("Commissioned", _at(4), _at(5), "Suspended", 5, "DeviceSuspended"),
    ]


def test_a_replay_changes_nothing_the_rule_would_not() -> None:
    assert _changes(GAS, "Decommissioned", None, _SUSPENDED, _RESTORED) == []  # never changed by the CPL
    assert _changes(IHD, "Commissioned", None, _SUSPENDED) == []  # not CPL-controlled
    assert _changes(GAS, "Pending", None, _RESTORED) == []  # nothing to restore
    assert _changes(GAS, "Suspended", None, _RESTORED) == []  # suspended, but not by the CPL
    # suspended twice in a row is one suspension; the second restore finds nothing to give back
    assert [c[3:5] for c in _changes(HUB, "Whitelisted", None, _SUSPENDED, _SUSPENDED, _RESTORED, _RESTORED)] == [
        ("Suspended", 2),
        ("Whitelisted", 4),
    ]


def test_a_replay_from_a_cpl_suspension_gives_back_the_status_it_replaced() -> None:
    assert _changes(GAS, "Suspended", "InstalledNotCommissioned", None, _RESTORED) == [
        ("Suspended", _at(1), _at(3), "InstalledNotCommissioned", 3, "DeviceRestored"),
    ]


# --- the forms a refusal names (written from the sentences the DCC's operators read) -------------


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("manufacturer id", "10:6C", "write it without colons, as 106C"),  # the SEC's colon form, 4 digits
        ("firmware version", "0:1", "write it without colons, as 01"),  # 2 of 1 to 8 digits
        ("firmware version", "01:02:03:04:05", "expected 1 to 8 digits 0-9 and A-F"),  # 10 digits: too many
        ("manufacturer id", "10:6", "expected 4 digits 0-9 and A-F"),  # 3 digits without the colon
        ("manufacturer id", "10:6G", "expected 4 digits 0-9 and A-F"),  # not hex
        ("manufacturer id", "106", "expected 4 digits 0-9 and A-F"),  # no colon: the plain form
    ],
)
def test_a_malformed_hex_field_says_how_to_write_it(name: str, text: str, says: str) -> None:
    with pytest.raises(rules.UnusableInputError) as refused:
        rules.hex_field(name, text)
    assert says in str(refused.value), str(refused.value)
    if "without colons" not in says:
        assert "without colons" not in str(refused.value)


def test_a_model_pattern_names_two_to_four_fields() -> None:
    assert str(rules.model_pattern(" 106c / 4331 ")) == "106C/4331"
    assert rules.model_pattern("106C/4331") == rules.ModelPattern("106C", "4331")
    assert str(rules.model_pattern("106C/4331/00AC/9001")) == "106C/4331/00AC/9001"
    for text in ("106C", "106C/4331/00AC/9001/01", "106C//00AC", "106C/4331/"):
        with pytest.raises(rules.UnusableInputError, match="does not name a Device Model: expected MANUFACTURER/MODEL"):
            rules.model_pattern(text)


def test_consecutive_sequences_leave_no_gap_and_one_missing_is_one() -> None:
    assert rules.sequence_gaps([1, 2, 3], [1, 2, 3]) == []
    assert rules.sequence_gaps([1, 2, 4], [1, 2, 4]) == [rules.SequenceGap(3, 3, 2, 4, ())]
