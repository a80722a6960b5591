"""Sample submissions: valid rows for every Physical Device Type, keyed by schema field.

Used by the demo, the benchmarks and the tests; values are plausible, not real products.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from cpl.core.domain import SubmissionType, required_schemes
from cpl.core.schema import CERTIFICATE_COLUMNS, CERTIFICATE_SHEET, ENTRY_COLUMNS, ENTRY_SHEET
from cpl.core.sheets import CellValue, SheetData, WorkbookData
from formats.vocabulary import CPL_CONTROLLED_TYPES, AssuranceScheme, PhysicalDeviceType

Row = dict[str, object]

#: Technical specification family per type (Communications Hubs follow CHTS).
TECHNICAL_SPECIFICATION: Mapping[PhysicalDeviceType, str] = {
    t: ("CHTS v4.2" if t is PhysicalDeviceType.COMMUNICATIONS_HUB else "SMETS2 v4.2") for t in PhysicalDeviceType
}

#: A short code per type for generated model names and ids.
TYPE_CODE: Mapping[PhysicalDeviceType, str] = {
    PhysicalDeviceType.COMMUNICATIONS_HUB: "C",
    PhysicalDeviceType.SINGLE_ELEMENT_ELECTRICITY_METER: "E",
    PhysicalDeviceType.TWIN_ELEMENT_ELECTRICITY_METER: "D",
    PhysicalDeviceType.POLYPHASE_ELECTRICITY_METER: "F",
    PhysicalDeviceType.GAS_SMART_METER: "A",
    PhysicalDeviceType.PPMID: "B",
    PhysicalDeviceType.HCALCS: "9",
    PhysicalDeviceType.IHD: "8",
    PhysicalDeviceType.TYPE_2_DEVICE_OTHER: "7",
}


@dataclass(frozen=True)
class SampleManufacturer:
    party_id: str
    name: str
    manufacturer_id: str


ACME = SampleManufacturer("acme-meters", "Acme Meters", "106C")
NORTHWIND = SampleManufacturer("northwind", "Northwind Devices", "2B1D")


@dataclass
class SampleSubmission:
    entries: list[Row] = field(default_factory=list)
    certificates: list[Row] = field(default_factory=list)


def sample_row(
    device_type: PhysicalDeviceType,
    index: int = 0,
    *,
    maker: SampleManufacturer = ACME,
    submission_type: SubmissionType = SubmissionType.NEW,
    issued: dt.date = dt.date(2026, 1, 15),
    cpa_expiry: dt.date = dt.date(2031, 1, 31),
    firmware: str = "9001",
) -> tuple[Row, list[Row]]:
    """One valid entry row and the certificate rows it names. ``index`` makes the model unique."""
    code = TYPE_CODE[device_type]
    model_id = f"{code}{index % 0x1000:03X}"
    hardware = f"{(index // 0x1000) % 0x10000:04X}"
    entry: Row = {
        "submission_type": submission_type,
        "physical_device_type": device_type,
        "manufacturer": maker.name,
        "manufacturer_id": maker.manufacturer_id,
        "model": f"{code}-{index:05d}",
        "model_id": model_id,
        "hardware_version": hardware,
        "firmware_version": firmware,
        "release_notes": f"RN-{maker.manufacturer_id}-{model_id}-{firmware}.pdf",
        "technical_specification": "SMETS1 v1.2"
        if submission_type is SubmissionType.SMETS1
        else TECHNICAL_SPECIFICATION[device_type],
        "gbcs_version": None if submission_type is SubmissionType.SMETS1 else "v4.2",
    }
    certificates: list[Row] = []
    for scheme in sorted(required_schemes(device_type, submission_type)):
        number = f"{scheme.upper()}-{maker.manufacturer_id}-{model_id}-{hardware}"
        entry[f"{scheme.lower()}_certificate"] = number
        cert: Row = {
            "scheme": scheme,
            "certificate_number": number,
            "manufacturer_id": maker.manufacturer_id,
            "model_id": model_id,
            "hardware_version": hardware,
            "firmware_versions": firmware,
            "issued": issued,
        }
        if scheme is AssuranceScheme.CPA:
            cert["expiry"] = cpa_expiry
            entry["cpa_expiry"] = cpa_expiry
        certificates.append(cert)
    if submission_type is SubmissionType.SMETS1:
        entry["compliance_statement"] = f"CS-{maker.manufacturer_id}-{model_id}"
    return entry, certificates


def sample_submission(rows: int, *, maker: SampleManufacturer = ACME, start: int = 0) -> SampleSubmission:
    """``rows`` valid New entries cycling through the CPL-controlled types."""
    types = [t for t in PhysicalDeviceType if t in CPL_CONTROLLED_TYPES]
    submission = SampleSubmission()
    for i in range(start, start + rows):
        entry, certs = sample_row(types[i % len(types)], i, maker=maker)
        submission.entries.append(entry)
        submission.certificates.extend(certs)
    return submission


def _cell(value: object) -> CellValue:
    if value is None or isinstance(value, str | int | float | bool | dt.date):
        return value
    return str(value)


def as_workbook_data(
    entries: list[Row], certificates: list[Row], *, extra_headers: tuple[str, ...] = ()
) -> WorkbookData:
    """The cells a reader would hand over for these rows, without writing a file (for fast pure tests)."""

    def sheet(name: str, columns: tuple[str, ...], fields: tuple[str, ...], rows: list[Row]) -> SheetData:
        header = (*columns, *extra_headers)
        data = tuple(
            (n + 2, tuple(_cell(r.get(f)) for f in fields) + (None,) * len(extra_headers)) for n, r in enumerate(rows)
        )
        return SheetData(name=name, header=header, rows=data)

    return WorkbookData(
        sheets=(
            sheet(ENTRY_SHEET, tuple(c.header for c in ENTRY_COLUMNS), tuple(c.field for c in ENTRY_COLUMNS), entries),
            sheet(
                CERTIFICATE_SHEET,
                tuple(c.header for c in CERTIFICATE_COLUMNS),
                tuple(c.field for c in CERTIFICATE_COLUMNS),
                certificates,
            ),
        )
    )
