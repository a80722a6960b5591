"""What a new extract changes on the SMI, and the rule that every removal names the Panel's decision."""

from __future__ import annotations

from dataclasses import replace

from cpl.core.extracts import ExtractChanges, extract_changes, removed_without_panel_reference
from formats.extract import ExtractEntry


def entry(number: int, status: str = "Active", panel_reference: str | None = None, **changes: str) -> ExtractEntry:
    base = ExtractEntry(
        entry_id=f"CPL-{number:06d}",
        physical_device_type="Gas Smart Meter",
        manufacturer="Acme Meters",
        manufacturer_id="106C",
        model="G4",
        model_id="4331",
        hardware_version="00AC",
        firmware_version=f"{9000 + number}",
        technical_specification="SMETS2 v4.2",
        gbcs_version="v4.2",
        certificates={"zigbee": "ZB-1", "dlms": None, "cpa": "CPA-1"},
        cpa_expiry="2030-01-31",
        manufacturer_image_hash=None,
        status=status,
        status_since="2026-11-01",
        panel_reference=panel_reference,
    )
    return replace(base, **changes)


# --- extract_changes -------------------------------------------------------------------------------


def test_the_same_list_again_changes_nothing() -> None:
    entries = [entry(1), entry(2, "Withdrawn", "SECP_60_1200")]
    changes = extract_changes(entries, list(entries))
    assert changes == ExtractChanges(added=[], removed=[], restored=[], changed=[])
    assert changes.empty is True


def test_the_first_extract_adds_every_entry_in_its_order() -> None:
    changes = extract_changes([], [entry(3), entry(1), entry(2, "Withdrawn", "SECP_60_1200")])
    assert changes.added == ["CPL-000003", "CPL-000001", "CPL-000002"]
    assert (changes.removed, changes.restored, changes.changed) == ([], [], [])


def test_an_entry_no_longer_active_is_removed_with_its_status_and_panel_reference() -> None:
    previous = [entry(1), entry(2), entry(3)]
    current = [entry(1), entry(2, "Expired", "SECP_66_1503", status_since="2026-12-01"), entry(3, "Cancelled")]
    changes = extract_changes(previous, current)
    assert changes.removed == [
        {"entry_id": "CPL-000002", "status": "Expired", "panel_reference": "SECP_66_1503"},
        {"entry_id": "CPL-000003", "status": "Cancelled", "panel_reference": None},
    ]
    assert (changes.added, changes.restored, changes.changed) == ([], [], [])


def test_an_entry_active_again_is_restored() -> None:
    previous = [entry(1, "Withdrawn", "SECP_60_1200"), entry(2)]
    current = [entry(1, status_since="2026-12-01"), entry(2)]
    changes = extract_changes(previous, current)
    assert changes.restored == ["CPL-000001"]
    assert (changes.added, changes.removed, changes.changed) == ([], [], [])


def test_an_active_entry_with_a_corrected_value_is_changed() -> None:
    previous = [entry(1), entry(2), entry(3)]
    current = [entry(1), entry(2, manufacturer_image_hash="AB" * 32), entry(3)]
    changes = extract_changes(previous, current)
    assert changes.changed == ["CPL-000002"]
    assert (changes.added, changes.removed, changes.restored) == ([], [], [])


def test_a_removed_entry_that_moves_to_another_removed_status_is_changed_not_removed_again() -> None:
    previous = [entry(1, "Withdrawn", "SECP_60_1200")]
    current = [entry(1, "Cancelled", "SECP_61_1300")]
    assert extract_changes(previous, current) == ExtractChanges(
        added=[], removed=[], restored=[], changed=["CPL-000001"]
    )


def test_every_kind_of_change_in_one_extract_in_the_new_extracts_order() -> None:
    previous = [entry(1), entry(2), entry(3, "Expired", "SECP_50_1000"), entry(4), entry(5)]
    current = [
        entry(6),
        entry(5, cpa_expiry="2031-01-31"),
        entry(4, "Withdrawn", "SECP_66_1503"),
        entry(3),
        entry(2),
        entry(1, "Cancelled", "SECP_66_1504"),
        entry(7),
    ]
    changes = extract_changes(previous, current)
    assert changes.as_dict() == {
        "added": ["CPL-000006", "CPL-000007"],
        "removed": [
            {"entry_id": "CPL-000004", "status": "Withdrawn", "panel_reference": "SECP_66_1503"},
            {"entry_id": "CPL-000001", "status": "Cancelled", "panel_reference": "SECP_66_1504"},
        ],
        "restored": ["CPL-000003"],
        "changed": ["CPL-000005"],
    }
    assert list(changes.as_dict()) == ["added", "removed", "restored", "changed"]
    assert changes.empty is False


def test_changes_with_only_an_addition_or_a_removal_or_a_restoration_or_a_change_are_not_empty() -> None:
    removal = {"entry_id": "CPL-000001", "status": "Withdrawn", "panel_reference": "SECP_66_1503"}
    assert ExtractChanges(["CPL-000001"], [], [], []).empty is False
    assert ExtractChanges([], [removal], [], []).empty is False
    assert ExtractChanges([], [], ["CPL-000001"], []).empty is False
    assert ExtractChanges([], [], [], ["CPL-000001"]).empty is False
    assert ExtractChanges([], [], [], []).empty is True


# --- removed_without_panel_reference ---------------------------------------------------------------


def test_a_removal_with_its_panel_reference_is_allowed() -> None:
    previous = [entry(1), entry(2)]
    current = [entry(1, "Withdrawn", "SECP_66_1503"), entry(2, "Expired", "SECP_66_1504")]
    assert removed_without_panel_reference(previous, current) == []


def test_a_removal_without_a_panel_reference_is_refused() -> None:
    previous = [entry(1), entry(2), entry(3)]
    current = [entry(1, "Withdrawn", None), entry(2), entry(3, "Cancelled", "")]
    assert removed_without_panel_reference(previous, current) == ["CPL-000001", "CPL-000003"]


def test_an_active_entry_dropped_from_the_list_is_a_removal_without_a_panel_reference() -> None:
    previous = [entry(3), entry(1), entry(2)]
    current = [entry(2)]
    assert removed_without_panel_reference(previous, current) == ["CPL-000001", "CPL-000003"]


def test_an_entry_removed_before_needs_no_new_panel_reference() -> None:
    previous = [entry(1, "Withdrawn", None), entry(2, "Expired", None)]
    current = [entry(1, "Cancelled", None)]
    assert removed_without_panel_reference(previous, current) == []


def test_entries_still_active_or_new_need_no_panel_reference() -> None:
    previous = [entry(1)]
    current = [entry(1, cpa_expiry="2031-01-31"), entry(2), entry(3, "Withdrawn", None)]
    assert removed_without_panel_reference(previous, current) == []


def test_the_first_extract_removes_nothing() -> None:
    assert removed_without_panel_reference([], [entry(1, "Withdrawn", None)]) == []
