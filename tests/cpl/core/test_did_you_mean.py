"""'Did you mean ...?': a value that is not one of its column's valid values names the one it is near.

An enumeration's value (Submission Type, Physical Device Type, a certificate's Scheme) that is none of
its values is F002; a version the registry does not know is V001 (CONTRACT.md section 1). When a valid
value is near what was written (a typing slip: 'Gas Smart Metre'), the sentence asks whether it was
meant; otherwise it lists the valid values. Case and surrounding spaces are not slips: such a value is
read as the value it spells, as before.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cpl.core.domain import PartyRole
from cpl.core.findings import Code, Finding
from cpl.core.rules import CheckContext, check_submission
from cpl.core.submission import parse_submission
from cpl.core.suggestions import close_matches, did_you_mean
from cpl.demo.samples import Row, as_workbook_data, sample_row
from cpl.specs_file import default_registry
from formats.vocabulary import PhysicalDeviceType

AS_OF = dt.date(2026, 11, 23)
ENTRY = "CPL New Entry"
CERTIFICATES = "Assurance Certificates"
GAS = PhysicalDeviceType.GAS_SMART_METER

#: CONTRACT.md section 1 and DOMAIN.md: the nine Physical Device Types, spelled exactly.
NINE_TYPES = (
    "Communications Hub, Single Element Electricity Metering Equipment, Twin Element Electricity Metering "
    "Equipment, Polyphase Electricity Metering Equipment, Gas Smart Meter, Pre-Payment Meter Interface Device "
    "(PPMID), HAN Connected Auxiliary Load Control Switch (HCALCS), IHD, Type 2 Device (Other)"
)


def check(entries: list[Row], certificates: list[Row]) -> list[Finding]:
    context = CheckContext(as_of=AS_OF, submitter=PartyRole.MANUFACTURER, registry=default_registry())
    return check_submission(parse_submission(as_workbook_data(entries, certificates)), context)


def gas(**changes: object) -> tuple[list[Row], list[Row]]:
    entry, certificates = sample_row(GAS, 1)
    entry.update(changes)
    return [entry], certificates


def at(code: Code, column: str, message: str, row: int = 2, sheet: str = ENTRY) -> Finding:
    return Finding(code, sheet, row, column, message)


# --- enumerations: F002 --------------------------------------------------------------------------


def test_a_misspelt_physical_device_type_asks_whether_the_type_near_it_was_meant() -> None:
    assert check(*gas(physical_device_type="Gas Smart Metre")) == [
        at(
            Code.F002,
            "Physical Device Type",
            "Physical Device Type 'Gas Smart Metre' is not one of its values: did you mean 'Gas Smart Meter'?",
        )
    ]


def test_a_physical_device_type_near_none_lists_the_nine() -> None:
    assert check(*gas(physical_device_type="Water Meter")) == [
        at(Code.F002, "Physical Device Type", f"Physical Device Type 'Water Meter' is not one of: {NINE_TYPES}.")
    ]


@pytest.mark.parametrize("written", ["gas smart meter", "GAS SMART METER", "  Gas  Smart Meter "])
def test_case_and_spaces_are_no_slip_the_value_reads_as_the_type(written: str) -> None:
    entries, certificates = gas(physical_device_type=written)
    assert check(entries, certificates) == []
    assert parse_submission(as_workbook_data(entries, certificates)).entries[0].physical_device_type is GAS


def test_a_misspelt_case_variant_is_still_near_its_type() -> None:
    assert check(*gas(physical_device_type="GAS SMART METRE")) == [
        at(
            Code.F002,
            "Physical Device Type",
            "Physical Device Type 'GAS SMART METRE' is not one of its values: did you mean 'Gas Smart Meter'?",
        )
    ]


def test_a_misspelt_sec_spelling_names_the_sec_spelling() -> None:
    # 'Pre-Payment Interface Device' is how the SEC's list writes the PPMID (CONTRACT.md 4.1).
    entry, certificates = sample_row(PhysicalDeviceType.PPMID, 1)
    entry["physical_device_type"] = "Pre-Payment Interfase Device"
    assert check([entry], certificates) == [
        at(
            Code.F002,
            "Physical Device Type",
            "Physical Device Type 'Pre-Payment Interfase Device' is not one of its values: "
            "did you mean 'Pre-Payment Interface Device'?",
        )
    ]


def test_a_misspelt_submission_type_asks_whether_firmware_update_was_meant() -> None:
    assert check(*gas(submission_type="Firmware Updat")) == [
        at(
            Code.F002,
            "Submission Type",
            "Submission Type 'Firmware Updat' is not one of its values: did you mean 'Firmware Update'?",
        )
    ]


def test_a_submission_type_near_none_lists_the_three() -> None:
    # 'Renewal' holds 'new', but is no slip for it.
    assert check(*gas(submission_type="Renewal")) == [
        at(Code.F002, "Submission Type", "Submission Type 'Renewal' is not one of: New, Firmware Update, SMETS1.")
    ]


def test_a_misspelt_scheme_on_the_certificate_sheet_asks_whether_zigbee_was_meant() -> None:
    entries, certificates = gas()
    next(c for c in certificates if c["scheme"] == "ZigBee")["scheme"] = "Zigbe"
    found = [f for f in check(entries, certificates) if f.code is Code.F002]
    assert found == [
        at(Code.F002, "Scheme", "Scheme 'Zigbe' is not one of its values: did you mean 'ZigBee'?", 3, CERTIFICATES)
    ]


# --- versions: V001 --------------------------------------------------------------------------------


def test_a_misspelt_technical_specification_names_the_version_near_it() -> None:
    assert check(*gas(technical_specification="SMTES2 v4.2")) == [
        at(
            Code.V001,
            "Technical Specification",
            "Technical Specification 'SMTES2 v4.2' is not a version the CPL recognises: did you mean 'SMETS2 v4.2'?",
        )
    ]


def test_a_misspelt_sec_spelling_of_a_version_names_the_sec_spelling() -> None:
    assert check(*gas(technical_specification="SMETS V4.22")) == [
        at(
            Code.V001,
            "Technical Specification",
            "Technical Specification 'SMETS V4.22' is not a version the CPL recognises: did you mean 'SMETS V4.2'?",
        )
    ]


def test_a_version_a_digit_from_several_names_the_three_nearest() -> None:
    # GBCS v4.3 does not exist; v4.2, v4.1 and v4.0 are each one digit from it.
    assert check(*gas(gbcs_version="v4.3")) == [
        at(
            Code.V001,
            "GBCS Version",
            "GBCS version 'v4.3' is not a version the CPL recognises: did you mean 'v4.2', 'v4.1' or 'v4.0'?",
        )
    ]


def test_a_version_near_none_lists_the_recognised_versions_of_its_kind() -> None:
    # cpl/data/specifications.json: the GBCS versions, in the registry's order.
    assert check(*gas(gbcs_version="release 7")) == [
        at(
            Code.V001,
            "GBCS Version",
            "GBCS version 'release 7' is not a version the CPL recognises: the recognised versions are v0.8.1, "
            "v0.8.2, v1.0, v1.1, v2.0, v2.1, v3.0, v3.1, v3.2, v4.0, v4.1, v4.2.",
        )
    ]


# --- the suggestions themselves --------------------------------------------------------------------


def test_a_slip_is_near_the_value_meant_and_another_word_is_not() -> None:
    values = {"New": "New", "Firmware Update": "Firmware Update", "SMETS1": "SMETS1"}
    assert close_matches("Firmwre Update", values) == ("Firmware Update",)
    assert close_matches("smets 1", values) == ("SMETS1",)
    assert close_matches("Renewal", values) == ()
    assert close_matches("", values) == ()


def test_gas_meter_is_near_enough_to_gas_smart_meter() -> None:
    # difflib's ratio is 0.75: at or above the cutoff of 0.7.
    assert close_matches("Gas Meter", {"Gas Smart Meter": "Gas Smart Meter", "IHD": "IHD"}) == ("Gas Smart Meter",)


def test_nearest_first_and_only_those_about_as_near_as_the_nearest() -> None:
    values = {v: v for v in ("SMETS2 v4.4", "SMETS2 v4.2", "SMETS2 v4.3", "CHTS v4.2")}
    assert close_matches("SMTES2 v4.2", values) == ("SMETS2 v4.2",)
    assert close_matches("SMETS2 v4.9", values) == ("SMETS2 v4.4", "SMETS2 v4.3", "SMETS2 v4.2")


def test_a_value_exactly_the_margin_less_near_than_the_nearest_is_still_suggested() -> None:
    # 'v4.3' is 0.8 from 'v4.3.1' (all of it matches) and 0.75 from 'v4.2': 0.05 apart, the margin.
    assert close_matches("v4.3", {"v4.3.1": "v4.3.1", "v4.2": "v4.2"}) == ("v4.3.1", "v4.2")


def test_a_value_with_many_near_spellings_leaves_room_for_the_next_value() -> None:
    # Three spellings of one value are nearer than the other value's one; the other is still named.
    spellings = {"GBCS 4.8": "v4.8", "GBCS 4.7": "v4.8", "GBCS 4.6": "v4.8", "GBCS 4.0": "v4.0"}
    assert close_matches("GBCS 4.9", spellings) == ("GBCS 4.8", "GBCS 4.0")


def test_at_most_three_are_suggested() -> None:
    values = {f"v4.{n}": f"v4.{n}" for n in range(6)}
    assert close_matches("v4.9", values) == ("v4.5", "v4.4", "v4.3")


def test_one_suggestion_per_value_its_nearest_spelling_standing_for_it() -> None:
    spellings = {
        "Pre-Payment Meter Interface Device (PPMID)": "PPMID",
        "Pre-Payment Interface Device": "PPMID",
        "Pre-Payment Meter Interface Device": "PPMID",
    }
    assert close_matches("Pre-Payment Meter Interface Devise", spellings) == ("Pre-Payment Meter Interface Device",)


def test_spellings_differing_only_in_case_are_one_candidate() -> None:
    assert close_matches("Gas Smart Metre", {"Gas Smart Meter": "A", "GAS SMART METER": "B"}) == ("Gas Smart Meter",)


def test_the_question_lists_one_two_or_three_values() -> None:
    assert did_you_mean(["Gas Smart Meter"]) == "did you mean 'Gas Smart Meter'?"
    assert did_you_mean(["v4.2", "v4.1"]) == "did you mean 'v4.2' or 'v4.1'?"
    assert did_you_mean(["v4.2", "v4.1", "v4.0"]) == "did you mean 'v4.2', 'v4.1' or 'v4.0'?"
