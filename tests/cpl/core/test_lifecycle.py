"""The lifecycle's rules: submission states, supplier confirmation, Panel references, four eyes, sequences."""

from __future__ import annotations

import pytest

from cpl.core import errors
from cpl.core.domain import PartyRole, SubmissionType
from cpl.core.lifecycle import (
    ANY_SUPPLIER,
    may_confirm,
    next_sequence,
    panel_reference,
    require_confirmations,
    require_four_eyes,
    require_removal_status,
    require_undecided,
    state_after_check,
    suppliers_to_confirm,
)
from cpl.core.submission import EntryRow
from formats.vocabulary import EntryStatus, PhysicalDeviceType

FIRMWARE_UPDATE = SubmissionType.FIRMWARE_UPDATE


def row(number: int, submission_type: SubmissionType | None, confirming_supplier: str | None = None) -> EntryRow:
    return EntryRow(
        row=number,
        submission_type=submission_type,
        physical_device_type=PhysicalDeviceType.GAS_SMART_METER,
        manufacturer="Acme Meters",
        manufacturer_id="106C",
        model="G4",
        model_id="4331",
        hardware_version="00AC",
        firmware_version=f"{9000 + number}",
        release_notes="RN-1",
        technical_specification="SMETS2 v4.2",
        gbcs_version="v4.2",
        zigbee_certificate="ZB-1",
        dlms_certificate=None,
        cpa_certificate="CPA-1",
        cpa_expiry=None,
        cpa_conditional_date=None,
        manufacturer_image_hash=None,
        manufacturer_image_creator=None,
        firmware_mapping_evidence=None,
        confirming_supplier=confirming_supplier,
        compliance_statement=None,
    )


# --- submission states ---------------------------------------------------------------------------


def test_a_submission_checked_without_errors_is_open() -> None:
    assert state_after_check(0) == "open"


@pytest.mark.parametrize("error_count", [1, 2, 17])
def test_a_submission_with_any_error_has_errors(error_count: int) -> None:
    assert state_after_check(error_count) == "has_errors"


@pytest.mark.parametrize("state", ["open", "has_errors"])
def test_an_undecided_submission_may_still_be_decided(state: str) -> None:
    require_undecided(7, state, None)


@pytest.mark.parametrize("state", ["approved", "rejected"])
def test_a_decided_submission_cannot_be_decided_again(state: str) -> None:
    with pytest.raises(errors.SubmissionAlreadyDecidedError) as raised:
        require_undecided(7, state, "alice")
    assert str(raised.value) == f"Submission 7 was already {state} by alice."


# --- supplier confirmation (DOMAIN.md rule 3) ------------------------------------------------------


def test_firmware_update_from_manufacturer_needs_every_supplier_it_names() -> None:
    rows = [
        row(2, FIRMWARE_UPDATE, "SUPPLIER-B"),
        row(3, FIRMWARE_UPDATE, "SUPPLIER-A"),
        row(4, FIRMWARE_UPDATE, "SUPPLIER-B"),
    ]
    assert suppliers_to_confirm(PartyRole.MANUFACTURER, rows) == frozenset({"SUPPLIER-A", "SUPPLIER-B"})


def test_the_submitter_role_may_be_given_as_its_name() -> None:
    assert suppliers_to_confirm("manufacturer", [row(2, FIRMWARE_UPDATE, "SUPPLIER-A")]) == frozenset({"SUPPLIER-A"})


def test_only_firmware_update_rows_name_suppliers_to_confirm() -> None:
    rows = [
        row(2, SubmissionType.NEW, "SUPPLIER-A"),
        row(3, SubmissionType.SMETS1, "SUPPLIER-B"),
        row(4, None, "SUPPLIER-C"),
        row(5, FIRMWARE_UPDATE, "SUPPLIER-D"),
    ]
    assert suppliers_to_confirm(PartyRole.MANUFACTURER, rows) == frozenset({"SUPPLIER-D"})


def test_a_firmware_update_row_without_a_supplier_waits_for_any_supplier() -> None:
    # The SEC's New Entry form has no field for a supplier (CONTRACT.md 4.3): any supplier may confirm.
    rows = [row(2, FIRMWARE_UPDATE, None), row(3, FIRMWARE_UPDATE, "")]
    assert suppliers_to_confirm(PartyRole.MANUFACTURER, rows) == frozenset({ANY_SUPPLIER})
    assert may_confirm("bright-energy", {ANY_SUPPLIER}) and not may_confirm("bright-energy", {"other"})
    assert may_confirm("other", {"other"})


def test_any_supplier_means_one_confirmation_and_every_named_supplier_still_counts() -> None:
    with pytest.raises(errors.SupplierConfirmationMissingError, match="a supplier"):
        require_confirmations(9, {ANY_SUPPLIER}, set())
    require_confirmations(9, {ANY_SUPPLIER}, {"bright-energy"})
    with pytest.raises(errors.SupplierConfirmationMissingError, match="SUPPLIER-A"):
        require_confirmations(9, {ANY_SUPPLIER, "SUPPLIER-A"}, {"bright-energy"})
    require_confirmations(9, {ANY_SUPPLIER, "SUPPLIER-A"}, {"SUPPLIER-A"})


@pytest.mark.parametrize("submitter", [PartyRole.SUPPLIER, PartyRole.DCC, PartyRole.SECAS, "supplier"])
def test_a_firmware_update_submitted_by_anyone_but_a_manufacturer_needs_no_confirmation(
    submitter: PartyRole | str,
) -> None:
    assert suppliers_to_confirm(submitter, [row(2, FIRMWARE_UPDATE, "SUPPLIER-A")]) == frozenset()


def test_a_firmware_update_waits_for_the_suppliers_not_yet_confirmed_named_in_order() -> None:
    with pytest.raises(errors.SupplierConfirmationMissingError) as raised:
        require_confirmations(12, {"SUPPLIER-C", "SUPPLIER-A", "SUPPLIER-B"}, {"SUPPLIER-B"})
    assert str(raised.value) == (
        "Submission 12 is a manufacturer's firmware update awaiting confirmation by SUPPLIER-A, SUPPLIER-C."
    )


def test_a_firmware_update_confirmed_by_every_supplier_named_may_go_on() -> None:
    require_confirmations(12, ["SUPPLIER-A", "SUPPLIER-B"], ["SUPPLIER-B", "SUPPLIER-A", "SUPPLIER-X"])
    require_confirmations(12, [], [])


def test_one_missing_confirmation_is_enough_to_wait() -> None:
    with pytest.raises(errors.SupplierConfirmationMissingError) as raised:
        require_confirmations(3, ["SUPPLIER-A"], [])
    assert str(raised.value) == "Submission 3 is a manufacturer's firmware update awaiting confirmation by SUPPLIER-A."


# --- removals (DOMAIN.md rule 5) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "recorded"),
    [
        ("SECP_66_1503", "SECP_66_1503"),
        ("  SECP_66_1503\n", "SECP_66_1503"),
        ("SECP_1_2", "SECP_1_2"),
        ("SECP_66_1503_2", "SECP_66_1503_2"),
    ],
)
def test_a_removal_records_a_panel_reference_like_secp_66_1503(text: str, recorded: str) -> None:
    assert panel_reference(text) == recorded


@pytest.mark.parametrize(
    "text",
    [
        "SECP_66",
        "SECP66_1503",
        "secp_66_1503",
        "SECP_66_1503x",
        "xSECP_66_1503",
        "SECP_66_",
        "SECP__1503",
        "minutes",
        "",
        "SECP_\u0666\u0666_1503",  # Arabic-Indic digits: a minutes reference is written in ASCII
    ],
)
def test_a_removal_needs_a_panel_reference_like_secp_66_1503(text: str) -> None:
    with pytest.raises(errors.PanelReferenceError) as raised:
        panel_reference(text)
    assert str(raised.value) == (
        f"A removal needs the Panel decision's minutes reference, like SECP_66_1503 (got {text!r})."
    )


def test_a_removal_without_any_reference_is_refused() -> None:
    with pytest.raises(errors.PanelReferenceError) as raised:
        panel_reference(None)
    assert str(raised.value) == "A removal needs the Panel decision's minutes reference, like SECP_66_1503 (got None)."


@pytest.mark.parametrize("status", [EntryStatus.EXPIRED, EntryStatus.WITHDRAWN, EntryStatus.CANCELLED])
def test_expired_withdrawn_and_cancelled_are_removals(status: EntryStatus) -> None:
    require_removal_status(status)


def test_active_is_not_a_removal() -> None:
    with pytest.raises(errors.EntryStatusError) as raised:
        require_removal_status(EntryStatus.ACTIVE)
    assert str(raised.value) == "Active is not a removal; use Expired, Withdrawn or Cancelled."


# --- extracts --------------------------------------------------------------------------------------


def test_the_preparer_of_a_draft_cannot_approve_it() -> None:
    with pytest.raises(errors.FourEyesError) as raised:
        require_four_eyes(3, "alice", "alice")
    assert str(raised.value) == "alice prepared draft 3; another SECAS user must approve it."


def test_another_secas_user_may_approve_a_draft() -> None:
    require_four_eyes(3, "alice", "bob")


def test_the_first_extract_is_sequence_1() -> None:
    assert next_sequence(None) == 1


@pytest.mark.parametrize(("previous", "following"), [(0, 1), (1, 2), (41, 42)])
def test_extract_sequences_rise_by_one(previous: int, following: int) -> None:
    assert next_sequence(previous) == following
