"""Between the SEC list's entries and the CPL's own (CONTRACT.md 4.1, 4.2 and 4.4; cpl.core.sec_entries).

An imported SEC entry becomes a stored entry's fields; a stored entry is published in an extract
(CONTRACT.md section 2), and the SEC layout is written from the extract's entry. The extract entries
here are written out by hand from the extract format, not made by the services, and the real list
(version 2.051) is read independently with python-calamine: every imported entry, published and written
back, is the real file's row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings

from cpl.core.domain import CpaKind, SubmissionType
from cpl.core.sec_entries import entry_number, sec_entry, stored_fields
from cpl.core.sec_list import CSV_SHEET, SecEntry, csv_cells, list_cells
from formats.extract import ExtractEntry
from formats.vocabulary import EntryStatus, PhysicalDeviceType
from tests.cpl.core.test_sec_list import (
    calamine_tab,
    needs_real_list,
    plain,
    real_parsed,
    sample_entry,
    sec_entries,
    sec_reference,  # noqa: F401 (the fixture that finds the file)
)

IMPORTED_ON = dt.date(2022, 9, 21)  # 2.051's date of issue


def extract_entry(fields: Mapping[str, Any]) -> ExtractEntry:
    """A stored entry as an extract publishes it (CONTRACT.md section 2), the SEC's own attributes
    among the extract's optional keys, each only when the entry has a value for it."""

    def day(value: dt.date | None) -> str | None:
        return None if value is None else value.isoformat()

    optional = {
        "cpa_certificate_kind": None if fields["cpa_kind"] is None else str(fields["cpa_kind"]),
        "cpa_renewal_date": day(fields["cpa_renewal_date"]),
        "cpa_security_characteristics": fields["cpa_security_characteristics"],
        "dlms_version": fields["dlms_version"],
        "zse_version": fields["zse_version"],
        "manufacturer_image_creator": fields["manufacturer_image_creator"],
        "manufacturer_image_descriptor": fields["manufacturer_image_descriptor"],
    }
    return ExtractEntry(
        entry_id=f"CPL-{fields['id']:06d}",
        physical_device_type=str(fields["physical_device_type"]),
        manufacturer=fields["manufacturer"],
        manufacturer_id=fields["manufacturer_id"],
        model=fields["model"],
        model_id=fields["model_id"],
        hardware_version=fields["hardware_version"],
        firmware_version=fields["firmware_version"],
        technical_specification=fields["technical_specification"],
        gbcs_version=fields["gbcs_version"],
        certificates={
            "zigbee": fields["zigbee_certificate"],
            "dlms": fields["dlms_certificate"],
            "cpa": fields["cpa_certificate"],
        },
        cpa_expiry=day(fields["cpa_expiry"]),
        manufacturer_image_hash=fields["manufacturer_image_hash"],
        status=str(fields["status"]),
        status_since=fields["status_since"].isoformat(),
        panel_reference=fields["panel_reference"],
        attributes={key: value for key, value in optional.items() if value is not None},
    )


def published(entry: SecEntry, version: str = "2.051") -> SecEntry:
    """An imported entry, stored, issued in an extract and written in the SEC layout again."""
    return sec_entry(extract_entry(stored_fields(entry, version=version, since=IMPORTED_ON)))


# --- importing ------------------------------------------------------------------------------------


def test_an_imported_entry_keeps_its_number_and_its_identifiers_stand_in_for_its_names() -> None:
    assert stored_fields(sample_entry(), version="2.051", since=IMPORTED_ON) == {
        "id": 123,
        "physical_device_type": PhysicalDeviceType.GAS_SMART_METER,
        "manufacturer": "106C",
        "manufacturer_id": "106C",
        "model": "4331",
        "model_id": "4331",
        "hardware_version": "00AC",
        "firmware_version": "124074DA",
        "release_notes": "",  # the SEC list records none
        "technical_specification": "SMETS2 v4.2",
        "gbcs_version": "v3.2",
        "zigbee_certificate": "ZIG1",  # the ZSE certificate is the ZigBee certificate
        "dlms_certificate": None,
        "cpa_certificate": "NCSC-1",
        "cpa_kind": CpaKind.STANDARD,
        "cpa_expiry": dt.date(2027, 1, 31),
        "cpa_renewal_date": None,
        "cpa_security_characteristics": "Security Characteristics version 1.2",
        "dlms_version": None,
        "zse_version": "ZigBee Smart Energy Standard 1.4",
        "manufacturer_image_hash": "AB" * 32,
        "manufacturer_image_creator": "Maker",
        "manufacturer_image_descriptor": "Complete image",
        "submission_type": SubmissionType.NEW,
        "status": EntryStatus.ACTIVE,
        "status_since": IMPORTED_ON,
        "panel_reference": None,
    }


def test_a_removed_entry_is_withdrawn_by_a_reference_naming_the_imported_version() -> None:
    fields = stored_fields(sample_entry(current=False), version="2.051", since=IMPORTED_ON)
    assert fields["status"] is EntryStatus.WITHDRAWN
    assert fields["status_since"] == IMPORTED_ON
    reference = fields["panel_reference"]
    assert isinstance(reference, str) and "2.051" in reference
    assert "2.050" in stored_fields(sample_entry(current=False), version="2.050", since=IMPORTED_ON)["panel_reference"]


def test_a_lifetime_certificates_date_is_its_renewal_date_not_an_expiry() -> None:
    fields = stored_fields(sample_entry(cpa_kind=CpaKind.LIFETIME), version="2.051", since=IMPORTED_ON)
    assert (fields["cpa_kind"], fields["cpa_expiry"], fields["cpa_renewal_date"]) == (
        CpaKind.LIFETIME,
        None,
        dt.date(2027, 1, 31),
    )


def test_a_cpa_number_without_a_prefix_is_a_standard_certificate() -> None:
    fields = stored_fields(sample_entry(cpa_kind=None), version="2.051", since=IMPORTED_ON)
    assert (fields["cpa_kind"], fields["cpa_expiry"], fields["cpa_renewal_date"]) == (
        CpaKind.STANDARD,
        dt.date(2027, 1, 31),
        None,
    )


def test_an_entry_without_a_cpa_certificate_has_no_kind() -> None:
    entry = sample_entry(cpa_certificate=None, cpa_kind=None, cpa_date=None)
    fields = stored_fields(entry, version="2.051", since=IMPORTED_ON)
    assert (fields["cpa_certificate"], fields["cpa_kind"], fields["cpa_expiry"], fields["cpa_renewal_date"]) == (
        None,
        None,
        None,
        None,
    )


def test_a_smets1_entry_is_stored_as_a_smets1_submission() -> None:
    smets1 = sample_entry(technical_specification="SMETS1 v1.2", gbcs_version=None)
    assert stored_fields(smets1, version="2.051", since=IMPORTED_ON)["submission_type"] is SubmissionType.SMETS1
    for specification in ("SMETS2 v4.2", "CHTS v1.0"):
        other = sample_entry(technical_specification=specification)
        assert stored_fields(other, version="2.051", since=IMPORTED_ON)["submission_type"] is SubmissionType.NEW


def test_entry_numbers_are_the_digits_of_the_entry_id() -> None:
    assert entry_number("CPL-000123") == 123
    assert entry_number("CPL-999999") == 999_999


# --- publishing in the SEC layout ------------------------------------------------------------------


def extract(**changes: Any) -> ExtractEntry:
    """Entry 000123 as an extract publishes it: a gas meter with a standard CPA certificate."""
    entry = ExtractEntry(
        entry_id="CPL-000123",
        physical_device_type="Gas Smart Meter",
        manufacturer="Acme Meters",
        manufacturer_id="106C",
        model="G4",
        model_id="4331",
        hardware_version="00AC",
        firmware_version="124074DA",
        technical_specification="SMETS2 v4.2",
        gbcs_version="v3.2",
        certificates={"zigbee": "ZIG1", "dlms": None, "cpa": "NCSC-1"},
        cpa_expiry="2027-01-31",
        manufacturer_image_hash="AB" * 32,
        status="Active",
        status_since="2026-11-01",
        panel_reference=None,
        attributes={
            "cpa_certificate_kind": "standard",
            "cpa_security_characteristics": "Security Characteristics version 1.2",
            "zse_version": "ZigBee Smart Energy Standard 1.4",
            "manufacturer_image_creator": "Maker",
            "manufacturer_image_descriptor": "Complete image",
        },
    )
    return dataclasses.replace(entry, **changes)


def test_an_extract_entry_is_written_with_its_number_and_the_secs_attributes() -> None:
    assert sec_entry(extract()) == dataclasses.replace(sample_entry(), row=0)


def test_a_removed_extract_entry_is_not_current() -> None:
    for status in ("Expired", "Withdrawn", "Cancelled"):
        removed = extract(status=status, panel_reference="SECP_123")
        assert sec_entry(removed) == dataclasses.replace(sample_entry(), row=0, current=False), status


def test_a_lifetime_certificate_is_written_with_its_renewal_date() -> None:
    lifetime = extract(
        cpa_expiry=None,
        attributes={**extract().attributes, "cpa_certificate_kind": "lifetime", "cpa_renewal_date": "2030-06-30"},
    )
    written = sec_entry(lifetime)
    assert (written.cpa_certificate, written.cpa_kind, written.cpa_date) == (
        "NCSC-1",
        CpaKind.LIFETIME,
        dt.date(2030, 6, 30),
    )
    assert list_cells(written)[11:14] == ("[R] NCSC-1", "Security Characteristics version 1.2", dt.date(2030, 6, 30))


def test_a_standard_certificates_date_is_its_expiry_even_beside_a_renewal_date() -> None:
    both = extract(attributes={**extract().attributes, "cpa_renewal_date": "2030-06-30"})
    assert sec_entry(both).cpa_date == dt.date(2027, 1, 31)


def test_a_certificate_of_no_recorded_kind_is_written_without_a_prefix() -> None:
    attributes = {k: v for k, v in extract().attributes.items() if k != "cpa_certificate_kind"}
    written = sec_entry(extract(attributes=attributes))
    assert (written.cpa_certificate, written.cpa_kind, written.cpa_date) == ("NCSC-1", None, dt.date(2027, 1, 31))
    assert list_cells(written)[11] == "NCSC-1"


def test_without_a_cpa_certificate_there_is_no_kind_and_no_date() -> None:
    written = sec_entry(extract(certificates={"zigbee": "ZIG1", "dlms": None, "cpa": None}, cpa_expiry=None))
    assert (written.cpa_certificate, written.cpa_kind, written.cpa_date) == (None, None, None)
    assert list_cells(written)[11:14] == (None, "Security Characteristics version 1.2", None)


def test_a_dlms_certificate_and_version_are_written() -> None:
    meter = extract(
        physical_device_type="Single Element Electricity Metering Equipment",
        certificates={"zigbee": "ZIG1", "dlms": "1837", "cpa": "NCSC-1"},
        attributes={**extract().attributes, "dlms_version": "CTT 3.1"},
    )
    written = sec_entry(meter)
    assert written.physical_device_type is PhysicalDeviceType.SINGLE_ELEMENT_ELECTRICITY_METER
    assert (written.dlms_certificate, written.dlms_version) == ("1837", "CTT 3.1")


def test_a_firmware_version_is_written_as_four_octets() -> None:
    """The SEC's File Version is 4 octets (XX:XX:XX:XX); the project keeps 1 to 8 hex digits."""
    written = sec_entry(extract(firmware_version="9001"))
    assert written.firmware_version == "00009001"
    assert list_cells(written)[8] == "00:00:90:01"


def test_a_smets1_entry_is_written_with_gbcs_version_0_0() -> None:
    smets1 = extract(
        technical_specification="SMETS1 v1.2",
        gbcs_version=None,
        certificates={"zigbee": None, "dlms": None, "cpa": None},
        cpa_expiry=None,
        manufacturer_image_hash=None,
        attributes={},
    )
    written = sec_entry(smets1)
    assert written.gbcs_version is None and written.manufacturer_image_hash is None
    assert list_cells(written)[9:11] == ("SMETS V1.2", "GBCS Version 0.0")


# --- the whole way round ---------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(sec_entries())
def test_any_imported_entry_is_published_as_it_was_read(entry: SecEntry) -> None:
    # A CPA number read without a prefix is stored as a standard certificate (CONTRACT.md 4.1: the
    # kind comes from the prefix, and only [R] is lifetime), so it is written back as [E].
    kind = None if entry.cpa_certificate is None else (entry.cpa_kind or CpaKind.STANDARD)
    assert published(entry) == dataclasses.replace(entry, row=0, cpa_kind=kind)


@needs_real_list
def test_every_real_entry_imported_and_published_is_the_real_files_csv_row() -> None:
    """CONTRACT.md 4.4: an entry imported from 2.051 and not changed since is the real CSV row, every
    column but Version."""
    csv_rows = calamine_tab(CSV_SHEET)[1:]
    entries = real_parsed().entries
    assert len(csv_rows) == len(entries) > 0
    for row, entry in zip(csv_rows, entries, strict=True):
        assert csv_cells(published(entry), "2.052")[1:] == tuple(plain(cell) for cell in row[1:]), entry.number
