"""Every value the simulator refuses is refused with what it would have taken: the valid values, or the form.

A refusal is one sentence on stderr (exit 2 for a value that cannot be used, 1 for a Device change the
CPL refuses), and it ends with what to type instead: the SMI Statuses, the Physical Device Types, the hex
form of a field (or the same digits without the SEC's colons), an ISO 8601 time, the Active firmware of
the model.
"""

from __future__ import annotations

import pytest

from smi import rules
from smi.errors import UnusableInputError
from tests.smi.commandline import SmiRun, iso, issued
from tests.smi.daily import A2, A, B
from tests.smi.factories import cpl

EVERY_STATUS = (
    "Pending, Whitelisted, InstalledNotCommissioned, Commissioned, Decommissioned, Withdrawn, Suspended, Recovery "
    "or Recovered"
)
EVERY_TYPE = (
    "Communications Hub, Single Element Electricity Metering Equipment, Twin Element Electricity Metering "
    "Equipment, Polyphase Electricity Metering Equipment, Gas Smart Meter, Pre-Payment Meter Interface Device "
    "(PPMID), HAN Connected Auxiliary Load Control Switch (HCALCS), IHD or Type 2 Device (Other)"
)


def _add(smi: SmiRun, *, device: str = "00112233445566AA", expect: int = 0, **changes: str) -> str:
    kind, manufacturer, model, hardware, firmware = A
    fields = {
        "--type": kind,
        "--manufacturer-id": manufacturer,
        "--model-id": model,
        "--hardware": hardware,
        "--firmware": firmware,
        **{f"--{name.replace('_', '-')}": value for name, value in changes.items()},
    }
    arguments = [part for pair in fields.items() for part in pair]
    result = smi("add-device", device, *arguments, expect=expect)
    if expect:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr.strip()


@pytest.fixture
def listed(smi: SmiRun) -> SmiRun:
    """Model A on firmware 0100 and 0200, and B, Active."""
    smi("ingest", smi.signed("e1.p7m", cpl(1, [A, A2, B], issued_at=issued(1))), "--received-at", iso(0))
    return smi


def test_an_unknown_smi_status_is_refused_listing_every_status(listed: SmiRun) -> None:
    assert (
        _add(listed, status="Installed", expect=2)
        == f"'Installed' is not an SMI Status: expected one of {EVERY_STATUS}."
    )


def test_a_device_entered_suspended_is_refused_listing_the_statuses_it_may_enter_in(listed: SmiRun) -> None:
    said = _add(listed, status="Suspended", expect=2)
    assert said == (
        "A Device cannot enter the inventory Suspended; only the CPL suspends: expected one of Pending, Whitelisted, "
        "InstalledNotCommissioned, Commissioned, Decommissioned, Withdrawn, Recovery or Recovered."
    )


def test_an_unknown_physical_device_type_is_refused_listing_the_types(listed: SmiRun) -> None:
    assert (
        _add(listed, type="Gas Meter", expect=2)
        == f"'Gas Meter' is not a Physical Device Type: expected one of {EVERY_TYPE}."
    )


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        (
            "firmware",
            "0100X",
            "The firmware version '0100X' is not 1 to 8 hex digits: expected 1 to 8 digits 0-9 and "
            "A-F with no separators, e.g. 9001 or 124074DA.",
        ),
        (
            "firmware",
            "123456789",
            "The firmware version '123456789' is not 1 to 8 hex digits: expected 1 to 8 digits "
            "0-9 and A-F with no separators, e.g. 9001 or 124074DA.",
        ),
        (
            "firmware",
            "12:40:74:DA",
            "The firmware version '12:40:74:DA' is not 1 to 8 hex digits: write it without colons, as 124074DA.",
        ),
        (
            "manufacturer_id",
            "10:6C",
            "The manufacturer id '10:6C' is not 4 hex digits: write it without colons, as 106C.",
        ),
        (
            "model_id",
            "01",
            "The model id '01' is not 4 hex digits: expected 4 digits 0-9 and A-F with no separators, e.g. 4331.",
        ),
        (
            "hardware",
            "AC",
            "The hardware version 'AC' is not 4 hex digits: expected 4 digits 0-9 and A-F with no "
            "separators, e.g. 00AC.",
        ),
    ],
)
def test_a_malformed_hex_field_is_refused_with_the_form_it_takes(
    listed: SmiRun, option: str, value: str, said: str
) -> None:
    assert _add(listed, expect=2, **{option: value}) == said


def test_a_malformed_device_id_is_refused_with_the_form(listed: SmiRun) -> None:
    said = _add(listed, device="0011-2233", expect=2)
    assert said == (
        "Device ID '0011-2233' is not an EUI-64 of 16 hex digits: expected 16 digits 0-9 and A-F, with or without "
        "- or : between octets, e.g. 0011223344556677 or 00-11-22-33-44-55-66-77."
    )


def test_a_firmware_not_active_is_refused_naming_the_active_firmware_of_the_model(listed: SmiRun) -> None:
    said = _add(listed, firmware="0300", expect=1)
    assert said.endswith("is not Active on the CPL in force; Active firmware of that model and hardware: 0100, 0200.")
    _add(listed)
    refused = listed("update-firmware", "00112233445566AA", "0300", expect=1).stderr.strip()
    assert refused.endswith("it keeps firmware 0100; Active firmware of that model and hardware: 0100, 0200."), refused
    other = _add(listed, device="00112233445566AB", hardware="00AD", expect=1)
    assert other.endswith("is not Active on the CPL in force; no firmware of that model and hardware is Active.")


def test_a_time_that_is_not_iso_8601_is_refused_with_an_example(listed: SmiRun) -> None:
    for command in (["report", "--now"], ["apply-due", "--now"], ["ingest", "x.p7m", "--received-at"]):
        refused = listed(*command, "tomorrow", expect=2).stderr.strip()
        assert refused == (
            f"{command[-1]} 'tomorrow' is not an ISO 8601 time: expected a date and time such as "
            f"2026-11-02T09:00:00Z (or with an offset, +01:00; one without is UTC)."
        )


def test_one_of_lists_the_values_in_order_and_one_value_alone() -> None:
    assert rules.one_of(["a", "b", "c"]) == "expected one of a, b or c"
    assert rules.one_of(["a", "b"]) == "expected one of a or b"
    assert rules.one_of(["a"]) == "expected a"


def test_a_single_active_firmware_is_named_alone(listed: SmiRun) -> None:
    said = _add(listed, model_id=B[2], type=B[0], firmware="0300", expect=1)
    assert said.endswith("is not Active on the CPL in force; firmware 0100 of that model and hardware is Active.")


def test_rules_refuse_a_status_with_the_statuses() -> None:
    with pytest.raises(UnusableInputError, match=r": expected one of Pending, .* or Recovered\.$"):
        rules.smi_status("Live")
