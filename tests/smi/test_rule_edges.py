"""The DCC's rules at their edges: exact boundaries, every table entry, every refusal's sentence."""

from __future__ import annotations

import datetime as dt

import pytest

from formats.extract import Extract, ExtractEntry, sha256_hex
from smi import rules
from smi.errors import (
    ExtractEquivocationError,
    ExtractOutOfOrderError,
    ExtractRollbackError,
    FutureDatedExtractError,
    UnexplainedRemovalError,
    UnusableInputError,
)
from smi.rules import AcceptedExtract, SmiStatus, Verdict
from tests.smi.factories import ELECTRICITY, GAS, HUB, IHD, PPMID, entry, extract, key

# Written from DOMAIN.md ("The Smart Metering Inventory"), in the schema's order (DUIS V5.4).
SMI_STATUS_NAMES = [
    "Pending",
    "Whitelisted",
    "InstalledNotCommissioned",
    "Commissioned",
    "Decommissioned",
    "Withdrawn",
    "Suspended",
    "Recovery",
    "Recovered",
]
SUSPENDED_WHEN_REMOVED = {"Pending", "Whitelisted", "InstalledNotCommissioned", "Commissioned"}
NEVER_TOUCHED = {"Decommissioned", "Withdrawn", "Recovery", "Recovered"}

# DOMAIN.md's table of Physical Device Types: "must be on the CPL".
CONTROLLED_TYPE_NAMES = [
    "Communications Hub",
    "Single Element Electricity Metering Equipment",
    "Twin Element Electricity Metering Equipment",
    "Polyphase Electricity Metering Equipment",
    "Gas Smart Meter",
    "Pre-Payment Meter Interface Device (PPMID)",
    "HAN Connected Auxiliary Load Control Switch (HCALCS)",
]
UNCONTROLLED_TYPE_NAMES = ["IHD", "Type 2 Device (Other)"]

RECEIVED = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
LAST_ISSUED = dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.UTC)


def _accepted(made: Extract) -> AcceptedExtract:
    return AcceptedExtract(sequence=made.sequence, content_sha256=sha256_hex(made.content()), extract=made)


def _judge(
    candidate: Extract,
    latest: AcceptedExtract | None,
    *,
    received_at: dt.datetime = RECEIVED,
    accepted_sha256: dict[int, str] | None = None,
    in_force_sequence: int | None = None,
) -> Verdict:
    known = (
        accepted_sha256
        if accepted_sha256 is not None
        else ({} if latest is None else {latest.sequence: latest.content_sha256})
    )
    return rules.judge_extract(
        candidate,
        sha256_hex(candidate.content()),
        received_at=received_at,
        latest=latest,
        accepted_sha256=known,
        in_force_sequence=in_force_sequence,
    )


def _message(error: pytest.ExceptionInfo[BaseException]) -> str:
    return str(error.value)


A, B = key(GAS, "0001"), key(HUB, "0002")
LATEST = _accepted(extract(4, [entry(A)], issued_at=LAST_ISSUED))


# --- the status tables ----------------------------------------------------------------------


def test_the_smi_statuses_are_the_nine_of_the_inventory_schema_in_order() -> None:
    assert [status.value for status in SmiStatus] == SMI_STATUS_NAMES


def test_the_statuses_a_cpl_removal_suspends_are_exactly_the_four_live_ones() -> None:
    assert {status.value for status in rules.SUSPENDABLE_STATUSES} == SUSPENDED_WHEN_REMOVED


def test_the_statuses_the_cpl_never_touches_are_exactly_the_four_final_ones() -> None:
    assert {status.value for status in rules.UNTOUCHED_STATUSES} == NEVER_TOUCHED


def test_a_device_may_enter_the_inventory_in_every_status_but_suspended() -> None:
    assert {status.value for status in rules.ADMISSIBLE_STATUSES} == set(SMI_STATUS_NAMES) - {"Suspended"}


def test_the_alerts_are_device_suspended_device_restored_and_cpl_stale() -> None:
    assert [alert.value for alert in rules.Alert] == ["DeviceSuspended", "DeviceRestored", "CplStale"]


@pytest.mark.parametrize("name", CONTROLLED_TYPE_NAMES)
def test_every_type_that_must_be_on_the_cpl_is_cpl_controlled(name: str) -> None:
    assert rules.is_cpl_controlled(name) is True


@pytest.mark.parametrize("name", UNCONTROLLED_TYPE_NAMES)
def test_ihds_and_type_2_devices_are_not_cpl_controlled(name: str) -> None:
    assert rules.is_cpl_controlled(name) is False


# --- what a CPL change does to one Device ---------------------------------------------------


@pytest.mark.parametrize("name", SMI_STATUS_NAMES)
def test_a_removed_model_suspends_only_live_devices_and_remembers_their_status(name: str) -> None:
    status = SmiStatus(name)
    if name in SUSPENDED_WHEN_REMOVED:
        assert rules.status_after_cpl(GAS, status, None, False) == (SmiStatus.SUSPENDED, status)
    else:
        assert rules.status_after_cpl(GAS, status, None, False) == (status, None)


@pytest.mark.parametrize("name", SMI_STATUS_NAMES)
def test_an_active_model_leaves_every_unsuspended_device_as_it_is(name: str) -> None:
    status = SmiStatus(name)
    assert rules.status_after_cpl(ELECTRICITY, status, None, True) == (status, None)


@pytest.mark.parametrize("name", sorted(SUSPENDED_WHEN_REMOVED))
def test_a_returning_model_restores_the_status_a_device_had(name: str) -> None:
    assert rules.status_after_cpl(HUB, SmiStatus.SUSPENDED, SmiStatus(name), True) == (SmiStatus(name), None)


def test_a_suspended_device_stays_suspended_while_its_model_is_still_removed() -> None:
    assert rules.status_after_cpl(HUB, SmiStatus.SUSPENDED, SmiStatus.COMMISSIONED, False) == (
        SmiStatus.SUSPENDED,
        SmiStatus.COMMISSIONED,
    )


def test_a_suspended_device_with_no_remembered_status_is_not_restored() -> None:
    assert rules.status_after_cpl(GAS, SmiStatus.SUSPENDED, None, True) == (SmiStatus.SUSPENDED, None)


@pytest.mark.parametrize("name", UNCONTROLLED_TYPE_NAMES)
def test_a_removal_never_suspends_an_uncontrolled_device(name: str) -> None:
    assert rules.status_after_cpl(name, SmiStatus.COMMISSIONED, None, False) == (SmiStatus.COMMISSIONED, None)
    assert rules.status_after_cpl(name, SmiStatus.SUSPENDED, SmiStatus.PENDING, True) == (
        SmiStatus.SUSPENDED,
        SmiStatus.PENDING,
    )


def test_cpl_change_ignores_uncontrolled_types_but_counts_every_controlled_one() -> None:
    ihd, ppmid, hub = key(IHD, "0009"), key(PPMID, "0008"), key(HUB, "0007")
    change = rules.cpl_change([ihd, ppmid], [hub])
    assert change == rules.CplChange(suspend=frozenset({ppmid}), restore=frozenset({hub}))
    assert not change.is_empty
    assert rules.cpl_change([ppmid], [ppmid]).is_empty


def test_a_change_that_only_suspends_or_only_restores_is_not_empty() -> None:
    assert not rules.CplChange(suspend=frozenset({A}), restore=frozenset()).is_empty
    assert not rules.CplChange(suspend=frozenset(), restore=frozenset({A})).is_empty
    assert rules.CplChange(suspend=frozenset(), restore=frozenset()).is_empty


# --- the gate for entering the inventory ----------------------------------------------------


def test_a_controlled_device_may_enter_only_with_an_active_model() -> None:
    assert rules.may_enter(GAS, A, {A, B}) is True
    assert rules.may_enter(GAS, A, {B}) is False


def test_an_uncontrolled_device_may_enter_whatever_the_cpl_lists() -> None:
    ihd = key(IHD, "0009")
    assert rules.may_enter(IHD, ihd, set()) is True
    assert rules.may_enter("Type 2 Device (Other)", ihd, {A}) is True


def test_model_key_is_type_manufacturer_model_hardware_firmware() -> None:
    assert rules.model_key(GAS, "106C", "4331", "00AC", "9001") == (GAS, "106C", "4331", "00AC", "9001")


# --- reading a Device's values --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00112233445566AA", "00112233445566AA"),
        ("00112233445566aa", "00112233445566AA"),
        ("00:11:22:33:44:55:66:AA", "00112233445566AA"),
        ("00-11-22-33-44-55-66-aa", "00112233445566AA"),
        ("  0011223344556677 ", "0011223344556677"),
    ],
)
def test_a_device_id_is_16_hex_digits_with_separators_and_case_ignored(text: str, expected: str) -> None:
    assert rules.device_id(text) == expected


@pytest.mark.parametrize(
    "text", ["001122334455667", "00112233445566778", "00112233445566AX", "", "0011 2233 4455 6677"]
)
def test_a_device_id_that_is_not_16_hex_digits_is_refused(text: str) -> None:
    with pytest.raises(UnusableInputError) as error:
        rules.device_id(text)
    assert _message(error) == (
        f"Device ID {text!r} is not an EUI-64 of 16 hex digits: expected 16 digits 0-9 and A-F, with or without "
        f"- or : between octets, e.g. 0011223344556677 or 00-11-22-33-44-55-66-77."
    )


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("manufacturer id", "106c", "106C"),
        ("manufacturer id", " 106C ", "106C"),
        ("model id", "4331", "4331"),
        ("hardware version", "00ac", "00AC"),
        ("firmware version", "9", "9"),
        ("firmware version", "124074da", "124074DA"),
        ("firmware version", "01234567", "01234567"),
        ("firmware version", "89abcdef", "89ABCDEF"),
        ("manufacturer id", "89EF", "89EF"),
    ],
)
def test_a_hex_field_of_the_right_width_is_upper_cased(name: str, text: str, expected: str) -> None:
    assert rules.hex_field(name, text) == expected


@pytest.mark.parametrize(
    ("name", "text", "size"),
    [
        ("manufacturer id", "106", "4"),
        ("manufacturer id", "106C0", "4"),
        ("manufacturer id", "10X6", "4"),
        ("manufacturer id", "106G", "4"),
        ("model id", "433", "4"),
        ("model id", "43310", "4"),
        ("hardware version", "0AC", "4"),
        ("hardware version", "000AC", "4"),
        ("firmware version", "", "1 to 8"),
        ("firmware version", "123456789", "1 to 8"),
        ("firmware version", "900X", "1 to 8"),
    ],
)
def test_a_hex_field_of_the_wrong_width_or_alphabet_is_refused(name: str, text: str, size: str) -> None:
    with pytest.raises(UnusableInputError) as error:
        rules.hex_field(name, text)
    example = {"manufacturer id": "106C", "model id": "4331", "hardware version": "00AC"}.get(name, "9001 or 124074DA")
    assert _message(error) == (
        f"The {name} {text!r} is not {size} hex digits: expected {size} digits 0-9 and A-F with no separators, "
        f"e.g. {example}."
    )


@pytest.mark.parametrize("name", CONTROLLED_TYPE_NAMES + UNCONTROLLED_TYPE_NAMES)
def test_a_physical_device_type_is_read_by_its_exact_name(name: str) -> None:
    assert rules.physical_device_type(name).value == name


def test_a_physical_device_type_is_read_whatever_its_case_and_surrounding_spaces() -> None:
    assert rules.physical_device_type("  gas SMART meter ").value == "Gas Smart Meter"
    assert rules.physical_device_type("ihd").value == "IHD"
    assert rules.physical_device_type("Gas  Smart Meter").value == "Gas Smart Meter"


@pytest.mark.parametrize(
    "text", ["Pre-Payment Interface Device", " pre-payment  meter interface device", "PRE-PAYMENT INTERFACE DEVICE"]
)
def test_the_secs_spellings_of_the_ppmid_are_read_as_the_ppmid(text: str) -> None:
    assert rules.physical_device_type(text).value == "Pre-Payment Meter Interface Device (PPMID)"


@pytest.mark.parametrize("text", ["Gas Meter", "", "PPMID"])
def test_an_unknown_physical_device_type_is_refused(text: str) -> None:
    with pytest.raises(UnusableInputError) as error:
        rules.physical_device_type(text)
    assert _message(error) == (
        f"{text!r} is not a Physical Device Type: expected one of Communications Hub, Single Element Electricity "
        f"Metering Equipment, Twin Element Electricity Metering Equipment, Polyphase Electricity Metering Equipment, "
        f"Gas Smart Meter, Pre-Payment Meter Interface Device (PPMID), HAN Connected Auxiliary Load Control Switch "
        f"(HCALCS), IHD or Type 2 Device (Other)."
    )


@pytest.mark.parametrize("name", SMI_STATUS_NAMES)
def test_an_smi_status_is_read_by_its_exact_name(name: str) -> None:
    assert rules.smi_status(name).value == name


def test_an_smi_status_is_read_whatever_its_case_and_surrounding_spaces() -> None:
    assert rules.smi_status(" installednotcommissioned  ") is SmiStatus.INSTALLED_NOT_COMMISSIONED
    assert rules.smi_status("RECOVERED") is SmiStatus.RECOVERED


@pytest.mark.parametrize("text", ["Active", "", "Installed"])
def test_an_unknown_smi_status_is_refused(text: str) -> None:
    with pytest.raises(UnusableInputError) as error:
        rules.smi_status(text)
    assert _message(error) == (
        f"{text!r} is not an SMI Status: expected one of Pending, Whitelisted, InstalledNotCommissioned, "
        f"Commissioned, Decommissioned, Withdrawn, Suspended, Recovery or Recovered."
    )


# --- accepting an extract: the rules and their sentences ------------------------------------


def test_an_extract_with_the_same_sequence_and_other_content_says_so() -> None:
    other = extract(4, [entry(A), entry(B)], issued_at=LAST_ISSUED)
    with pytest.raises(ExtractEquivocationError) as error:
        _judge(other, LATEST)
    assert _message(error) == "Extract sequence 4 was accepted before with other content."


def test_an_extract_below_the_last_sequence_says_both_sequences() -> None:
    older = extract(3, [entry(A)], issued_at=LAST_ISSUED)
    with pytest.raises(ExtractRollbackError) as error:
        _judge(older, LATEST)
    assert _message(error) == "Extract sequence 3 is below the last accepted sequence 4."


def test_a_repeat_is_recognised_by_its_content_whatever_the_last_sequence() -> None:
    again = extract(4, [entry(A)], issued_at=LAST_ISSUED)
    assert _judge(again, LATEST) is Verdict.REPEAT
    assert _judge(again, None, accepted_sha256={4: sha256_hex(again.content())}) is Verdict.REPEAT


def test_an_old_extract_replayed_says_it_is_below_the_last_applied_sequence() -> None:
    older = extract(3, [entry(A)], issued_at=LAST_ISSUED)
    known = {3: sha256_hex(older.content()), 4: LATEST.content_sha256}
    with pytest.raises(ExtractRollbackError) as error:
        _judge(older, LATEST, accepted_sha256=known, in_force_sequence=4)
    assert _message(error) == "Extract sequence 3 is below the last applied sequence 4: an old extract replayed."


def test_an_extract_one_below_the_one_in_force_replayed_is_a_rollback_and_the_one_in_force_a_repeat() -> None:
    again = extract(4, [entry(A)], issued_at=LAST_ISSUED)
    known = {3: "0" * 64, 4: sha256_hex(again.content())}
    assert _judge(again, LATEST, accepted_sha256=known, in_force_sequence=4) is Verdict.REPEAT
    with pytest.raises(ExtractRollbackError):
        _judge(again, LATEST, accepted_sha256=known, in_force_sequence=5)


def test_a_queued_extract_received_again_is_a_repeat_above_the_one_in_force() -> None:
    again = extract(4, [entry(A)], issued_at=LAST_ISSUED)
    assert _judge(again, LATEST, in_force_sequence=3) is Verdict.REPEAT
    assert _judge(again, LATEST, in_force_sequence=None) is Verdict.REPEAT


def test_the_first_extract_needs_no_predecessor() -> None:
    assert _judge(extract(7, [entry(A)], issued_at=LAST_ISSUED), None) is Verdict.NEW


def test_the_next_sequence_with_the_same_list_is_new() -> None:
    assert _judge(extract(5, [entry(A)], issued_at=LAST_ISSUED), LATEST) is Verdict.NEW


def test_an_unexplained_removal_names_the_entry() -> None:
    dropped = extract(5, [entry(B)], issued_at=LAST_ISSUED)
    with pytest.raises(UnexplainedRemovalError) as error:
        _judge(dropped, LATEST)
    assert _message(error) == f"Extract sequence 5 removes {entry(A).entry_id} without a Panel reference."


def _numbered(count: int, *, status: str = "Active", panel_reference: str | None = None) -> list[ExtractEntry]:
    return [
        entry(key(GAS, f"{n:04X}"), entry_id=f"CPL-{n:06d}", status=status, panel_reference=panel_reference)
        for n in range(1, count + 1)
    ]


def test_five_unexplained_removals_are_all_named() -> None:
    latest = _accepted(extract(1, _numbered(5), issued_at=LAST_ISSUED))
    with pytest.raises(UnexplainedRemovalError) as error:
        _judge(extract(2, [], issued_at=LAST_ISSUED), latest)
    assert _message(error) == (
        "Extract sequence 2 removes CPL-000001, CPL-000002, CPL-000003, CPL-000004, CPL-000005"
        " without a Panel reference."
    )


def test_more_than_five_unexplained_removals_name_five_and_count_the_rest() -> None:
    latest = _accepted(extract(1, _numbered(8), issued_at=LAST_ISSUED))
    with pytest.raises(UnexplainedRemovalError) as error:
        _judge(extract(2, _numbered(8, status="Withdrawn", panel_reference=""), issued_at=LAST_ISSUED), latest)
    assert _message(error) == (
        "Extract sequence 2 removes CPL-000001, CPL-000002, CPL-000003, CPL-000004, CPL-000005 and 3 more"
        " without a Panel reference."
    )


def test_six_unexplained_removals_count_one_more() -> None:
    latest = _accepted(extract(1, _numbered(6), issued_at=LAST_ISSUED))
    with pytest.raises(UnexplainedRemovalError) as error:
        _judge(extract(2, [], issued_at=LAST_ISSUED), latest)
    assert _message(error).endswith("CPL-000005 and 1 more without a Panel reference.")


def test_unexplained_removals_are_listed_in_entry_id_order() -> None:
    before = [entry(key(GAS, "0003"), entry_id="CPL-000003"), entry(key(GAS, "0001"), entry_id="CPL-000001")]
    assert rules.unexplained_removals(before, []) == ["CPL-000001", "CPL-000003"]


def test_a_removal_with_a_panel_reference_is_explained() -> None:
    before = _numbered(2)
    after = [before[0], *_numbered(2, status="Cancelled", panel_reference="SECP_66_1503")[1:]]
    assert rules.unexplained_removals(before, after) == []


def test_a_removal_with_an_empty_or_missing_panel_reference_is_unexplained() -> None:
    before = _numbered(2)
    assert rules.unexplained_removals(before, _numbered(2, status="Expired", panel_reference="")) == [
        "CPL-000001",
        "CPL-000002",
    ]


def test_an_entry_already_removed_may_leave_the_list_unexplained() -> None:
    before = _numbered(1, status="Withdrawn", panel_reference="SECP_1_0100")
    assert rules.unexplained_removals(before, []) == []


def test_an_entry_still_active_is_no_removal() -> None:
    assert rules.unexplained_removals(_numbered(3), _numbered(3)) == []


def test_removals_are_judged_against_the_latest_extract_only_when_there_is_one() -> None:
    assert _judge(extract(1, [], issued_at=LAST_ISSUED), None) is Verdict.NEW


def test_an_extract_issued_exactly_five_minutes_ahead_is_accepted() -> None:
    ahead = extract(5, [entry(A)], issued_at=RECEIVED + dt.timedelta(minutes=5))
    assert _judge(ahead, LATEST) is Verdict.NEW


def test_an_extract_issued_five_minutes_and_a_second_ahead_is_future_dated() -> None:
    ahead = extract(5, [entry(A)], issued_at=RECEIVED + dt.timedelta(minutes=5, seconds=1))
    with pytest.raises(FutureDatedExtractError) as error:
        _judge(ahead, LATEST)
    assert _message(error) == (
        "Extract sequence 5 was issued at 2026-11-03T09:05:01Z, after it was received at 2026-11-03T09:00:00Z."
    )


def test_the_future_dated_sentence_gives_both_times_in_utc() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    received = dt.datetime(2026, 11, 3, 10, 0, tzinfo=paris)
    ahead = extract(5, [entry(A)], issued_at=dt.datetime(2026, 11, 3, 12, 30, 15, tzinfo=paris))
    with pytest.raises(FutureDatedExtractError) as error:
        _judge(ahead, LATEST, received_at=received)
    assert _message(error) == (
        "Extract sequence 5 was issued at 2026-11-03T11:30:15Z, after it was received at 2026-11-03T09:00:00Z."
    )


def test_the_clock_skew_is_five_minutes() -> None:
    assert dt.timedelta(minutes=5) == rules.CLOCK_SKEW


def test_an_extract_issued_at_the_same_moment_as_the_last_one_is_accepted() -> None:
    assert _judge(extract(5, [entry(A)], issued_at=LAST_ISSUED), LATEST) is Verdict.NEW


def test_an_extract_issued_a_second_before_the_last_one_is_out_of_order() -> None:
    early = extract(5, [entry(A)], issued_at=LAST_ISSUED - dt.timedelta(seconds=1))
    with pytest.raises(ExtractOutOfOrderError) as error:
        _judge(early, LATEST)
    assert _message(error) == (
        "Extract sequence 5 was issued at 2026-11-03T07:59:59Z, before sequence 4 (2026-11-03T08:00:00Z)."
    )


def test_the_out_of_order_sentence_gives_both_times_in_utc() -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    latest = _accepted(extract(4, [entry(A)], issued_at=dt.datetime(2026, 11, 3, 17, 0, tzinfo=tokyo)))
    early = extract(5, [entry(A)], issued_at=dt.datetime(2026, 11, 3, 16, 0, 5, tzinfo=tokyo))
    with pytest.raises(ExtractOutOfOrderError) as error:
        _judge(early, latest)
    assert _message(error) == (
        "Extract sequence 5 was issued at 2026-11-03T07:00:05Z, before sequence 4 (2026-11-03T08:00:00Z)."
    )


def test_equivocation_is_found_before_any_other_rule() -> None:
    # other content, below the latest sequence, dropping A, future-dated and out of order at once
    bad = extract(2, [entry(B)], issued_at=RECEIVED + dt.timedelta(hours=1))
    with pytest.raises(ExtractEquivocationError):
        _judge(bad, LATEST, accepted_sha256={2: "0" * 64, 4: LATEST.content_sha256})


def test_rollback_is_found_before_an_unexplained_removal() -> None:
    with pytest.raises(ExtractRollbackError):
        _judge(extract(3, [entry(B)], issued_at=LAST_ISSUED), LATEST)


def test_an_unexplained_removal_is_found_before_the_dates() -> None:
    with pytest.raises(UnexplainedRemovalError):
        _judge(extract(5, [entry(B)], issued_at=RECEIVED + dt.timedelta(hours=1)), LATEST)


def test_a_future_date_is_found_before_the_order_of_issue() -> None:
    latest = _accepted(extract(4, [entry(A)], issued_at=RECEIVED + dt.timedelta(hours=2)))
    with pytest.raises(FutureDatedExtractError):
        _judge(extract(5, [entry(A)], issued_at=RECEIVED + dt.timedelta(hours=1)), latest)


# --- the 24-hour window ---------------------------------------------------------------------


def test_the_deadline_is_exactly_24_hours_after_receipt() -> None:
    assert rules.deadline(RECEIVED) == dt.datetime(2026, 11, 4, 9, 0, tzinfo=dt.UTC)
    assert dt.timedelta(hours=24) == rules.APPLY_WINDOW


def test_an_extract_applied_exactly_at_the_deadline_is_in_time() -> None:
    assert rules.applied_in_time(RECEIVED, dt.datetime(2026, 11, 4, 9, 0, tzinfo=dt.UTC)) is True
    assert rules.applied_in_time(RECEIVED, dt.datetime(2026, 11, 4, 9, 0, 1, tzinfo=dt.UTC)) is False


def test_an_extract_applied_in_time_is_never_overdue_later() -> None:
    applied = dt.datetime(2026, 11, 3, 10, 0, tzinfo=dt.UTC)
    assert rules.overdue(RECEIVED, applied, dt.datetime(2026, 12, 1, tzinfo=dt.UTC)) is False


def test_an_extract_applied_late_stays_overdue() -> None:
    applied = dt.datetime(2026, 11, 4, 9, 0, 1, tzinfo=dt.UTC)
    assert rules.overdue(RECEIVED, applied, applied) is True


def test_an_unapplied_extract_is_overdue_only_after_its_deadline() -> None:
    assert rules.overdue(RECEIVED, None, dt.datetime(2026, 11, 4, 9, 0, tzinfo=dt.UTC)) is False
    assert rules.overdue(RECEIVED, None, dt.datetime(2026, 11, 4, 9, 0, 1, tzinfo=dt.UTC)) is True


# --- freshness --------------------------------------------------------------------------------


def test_a_cpl_is_stale_only_once_strictly_past_its_next_update_by() -> None:
    due = RECEIVED + dt.timedelta(hours=2)
    assert rules.cpl_stale(due, due) is False
    assert rules.cpl_stale(due, due + dt.timedelta(seconds=1)) is True
    assert rules.cpl_stale(due, due - dt.timedelta(seconds=1)) is False


def test_a_cpl_without_next_update_by_is_never_stale() -> None:
    assert rules.cpl_stale(None, RECEIVED + dt.timedelta(days=10_000)) is False


def test_counts_by_status_name_keep_every_count_and_ignore_unknown_names() -> None:
    counts = rules.statuses_by_name([("Suspended", 2), ("Pending", 7), ("Active", 5)])
    assert counts == dict.fromkeys(SMI_STATUS_NAMES, 0) | {"Suspended": 2, "Pending": 7}
