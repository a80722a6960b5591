"""Between the SEC list's entries (`cpl.core.sec_list.SecEntry`) and the CPL's own: pure conversions.

An imported SEC entry becomes the fields of a stored entry; an issued extract's entry becomes the
SEC entry the SEC layout publishes. The SEC list names no manufacturer or model in words: an
imported entry's names are its identifiers until SECAS records names (CONTRACT.md 4.1).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cpl.core.domain import CpaKind, SubmissionType
from cpl.core.sec_list import SecEntry
from formats.extract import ExtractEntry
from formats.vocabulary import EntryStatus, PhysicalDeviceType

#: A Removed entry of an imported list: the file records no Panel reference, so the import names the
#: version it came from (CONTRACT.md 4.2).
IMPORTED_REMOVAL = "SEC CPL {version} (imported; the list records no Panel reference)"


def is_smets1(technical_specification: str) -> bool:
    return technical_specification.casefold().startswith("smets1")


def stored_fields(entry: SecEntry, *, version: str, since: dt.date) -> dict[str, Any]:
    """The columns of a stored entry for an imported SEC entry (its number is its id)."""
    lifetime = entry.cpa_kind is CpaKind.LIFETIME
    return {
        "id": entry.number,
        "physical_device_type": entry.physical_device_type,
        "manufacturer": entry.manufacturer_id,
        "manufacturer_id": entry.manufacturer_id,
        "model": entry.model_id,
        "model_id": entry.model_id,
        "hardware_version": entry.hardware_version,
        "firmware_version": entry.firmware_version,
        "release_notes": "",
        "technical_specification": entry.technical_specification,
        "gbcs_version": entry.gbcs_version,
        "zigbee_certificate": entry.zse_certificate,
        "dlms_certificate": entry.dlms_certificate,
        "cpa_certificate": entry.cpa_certificate,
        "cpa_kind": None if entry.cpa_certificate is None else (entry.cpa_kind or CpaKind.STANDARD),
        "cpa_expiry": None if lifetime else entry.cpa_date,
        "cpa_renewal_date": entry.cpa_date if lifetime else None,
        "cpa_security_characteristics": entry.cpa_security_characteristics,
        "dlms_version": entry.dlms_version,
        "zse_version": entry.zse_version,
        "manufacturer_image_hash": entry.manufacturer_image_hash,
        "manufacturer_image_creator": entry.manufacturer_image_creator,
        "manufacturer_image_descriptor": entry.manufacturer_image_descriptor,
        "submission_type": SubmissionType.SMETS1 if is_smets1(entry.technical_specification) else SubmissionType.NEW,
        "status": EntryStatus.ACTIVE if entry.current else EntryStatus.WITHDRAWN,
        "status_since": since,
        "panel_reference": None if entry.current else IMPORTED_REMOVAL.format(version=version),
    }


def entry_number(entry_id: str) -> int:
    """'CPL-000123' -> 123."""
    return int(entry_id.removeprefix("CPL-"))


def sec_entry(entry: ExtractEntry) -> SecEntry:
    """What the SEC layout publishes of an issued extract's entry."""
    attributes = entry.attributes
    kind_text = attributes.get("cpa_certificate_kind")
    kind = CpaKind(kind_text) if kind_text else None
    cpa_date = attributes.get("cpa_renewal_date") if kind is CpaKind.LIFETIME else entry.cpa_expiry
    cpa = entry.certificates.get("cpa")
    return SecEntry(
        number=entry_number(entry.entry_id),
        current=entry.is_active,
        physical_device_type=PhysicalDeviceType(entry.physical_device_type),
        manufacturer_id=entry.manufacturer_id,
        model_id=entry.model_id,
        hardware_version=entry.hardware_version,
        firmware_version=entry.firmware_version.rjust(8, "0"),
        technical_specification=entry.technical_specification,
        gbcs_version=entry.gbcs_version,
        cpa_certificate=cpa,
        cpa_kind=kind if cpa is not None else None,
        cpa_security_characteristics=attributes.get("cpa_security_characteristics"),
        cpa_date=dt.date.fromisoformat(cpa_date) if cpa_date else None,
        dlms_certificate=entry.certificates.get("dlms"),
        dlms_version=attributes.get("dlms_version"),
        zse_certificate=entry.certificates.get("zigbee"),
        zse_version=attributes.get("zse_version"),
        manufacturer_image_creator=attributes.get("manufacturer_image_creator"),
        manufacturer_image_hash=entry.manufacturer_image_hash,
        manufacturer_image_descriptor=attributes.get("manufacturer_image_descriptor"),
    )
