"""Writes the demo's sample submission workbooks: good ones for every Physical Device Type, bad ones.

`python -m cpl.demo_workbooks OUT_DIR` (used by `make demo`). The signed workbook's detached
signature comes from a development manufacturer key in keys-dev/.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import openpyxl

from cpl.core.domain import SubmissionType
from cpl.core.schema import CERTIFICATE_COLUMNS, CERTIFICATE_SHEET
from cpl.core.sec_form import DETAILS_COLUMN, FORM_ROWS, FORM_SHEET
from cpl.demo.samples import ACME, NORTHWIND, Row, sample_row
from cpl.workbook.sec_layout import write_sec_workbook
from cpl.workbook.template import write_submission
from formats.vocabulary import CPL_CONTROLLED_TYPES, PhysicalDeviceType
from signing.cms import sign_data
from signing.signers import PemKeySigner

T = PhysicalDeviceType


def _collect(rows: list[tuple[Row, list[Row]]]) -> tuple[list[Row], list[Row]]:
    entries = [e for e, _ in rows]
    certificates: list[Row] = []
    seen: set[object] = set()
    for _, certs in rows:
        for cert in certs:
            if cert["certificate_number"] not in seen:
                seen.add(cert["certificate_number"])
                certificates.append(cert)
    return entries, certificates


# --- the SEC's New Entry form --------------------------------------------------------------------

#: A new gas meter from Acme, in the SEC's spellings (colon hex, 'SMETS V5.0', '[E] ', dd/mm/yyyy).
ACME_FORM: dict[str, str] = {
    "Device_Type.name": "Gas Smart Meter",
    "Device_Model.manufacturer_identifier": "10:6C",
    "Device_Model.model_identifier": "7A:01",
    "Device_Model.hardware_version.version": "00",
    "Device_Model.hardware_version.revision": "01",
    "Device_Model.firmware_version": "00:00:90:01",
    "SMETS/CHTS Version.Version_number": "SMETS V5.0",
    "GBCS Version.version_number": "GBCS Version 4.1",
    "CPA_Certificate.identification_number": "[E] NCSC-DEMO-7A01",
    "CPA_Certificate.security_characteristics_version": "Security Characteristics version 1.3",
    "CPA_Certificate.expiry_date": "31/01/2031",
    "ZSE_Certificate.identification_number": "ZIG-DEMO-7A01",
    "ZSE_Certificate.ZSE_version": "ZigBee Smart Energy Standard 1.4",
    "Contact-CPA.Contact.contact name": "Acme Meters assurance team",
    "Contact-CPA.Contact.contact email": "assurance@acme.example",
    "FIR Release Notes.Description": "RN-106C-7A01-00009001.pdf",
}
ACME_FORM_CERTIFICATES: list[Row] = [
    {
        "scheme": "ZigBee",
        "certificate_number": "ZIG-DEMO-7A01",
        "manufacturer_id": "106C",
        "model_id": "7A01",
        "hardware_version": "0001",
        "firmware_versions": "00009001",
        "issued": dt.date(2026, 9, 1),
    },
    {
        "scheme": "CPA",
        "certificate_number": "NCSC-DEMO-7A01",
        "manufacturer_id": "106C",
        "model_id": "7A01",
        "hardware_version": "0001",
        "firmware_versions": "00009001",
        "issued": dt.date(2026, 9, 1),
        "expiry": dt.date(2031, 1, 31),
    },
]

#: New firmware for a gas meter already on the SEC's list (2.051 entry 000707): a Firmware Update,
#: because its Device Model is listed. Its certificates name the old firmware only, so SECAS records
#: mapping evidence with the approval (C005), and a supplier confirms it (the form names none).
FIRMWARE_UPDATE_FORM: dict[str, str] = {
    "Device_Type.name": "Gas Smart Meter",
    "Device_Model.manufacturer_identifier": "10:31",
    "Device_Model.model_identifier": "B0:A2",
    "Device_Model.hardware_version.version": "01",
    "Device_Model.hardware_version.revision": "72",
    "Device_Model.firmware_version": "08:00:01:00",
    "SMETS/CHTS Version.Version_number": "SMETS V4.2",
    "GBCS Version.version_number": "GBCS Version 3.2",
    "CPA_Certificate.identification_number": "[E] NCSC-1433053936-3846",
    "CPA_Certificate.security_characteristics_version": "Security Characteristics version 1.3",
    "CPA_Certificate.expiry_date": "25/04/2028",
    "ZSE_Certificate.identification_number": "ZIG22038ZSE13118-24",
    "ZSE_Certificate.ZSE_version": "ZigBee Smart Energy Standard 1.4",
    "FIR Release Notes.Description": "Firmware 08:00:01:00 release notes (demo)",
}
FIRMWARE_UPDATE_CERTIFICATES: list[Row] = [
    {
        "scheme": "ZigBee",
        "certificate_number": "ZIG22038ZSE13118-24",
        "manufacturer_id": "1031",
        "model_id": "B0A2",
        "hardware_version": "0172",
        "firmware_versions": "08000000",
        "issued": dt.date(2022, 6, 1),
    },
    {
        "scheme": "CPA",
        "certificate_number": "NCSC-1433053936-3846",
        "manufacturer_id": "1031",
        "model_id": "B0A2",
        "hardware_version": "0172",
        "firmware_versions": "08000000",
        "issued": dt.date(2022, 4, 25),
        "expiry": dt.date(2028, 4, 25),
    },
]


def sec_form(values: dict[str, str], certificates: list[Row], today: dt.date = dt.date(2026, 12, 1)) -> bytes:
    """The SEC's CPL workbook with its `CPL - New Entry` form filled in, and an `Assurance Certificates` sheet."""
    book = openpyxl.load_workbook(io.BytesIO(write_sec_workbook(version="2.051", issued=today, entries=(), history=())))
    form = book[FORM_SHEET]
    details = next(
        cell.column
        for row in form.iter_rows(max_row=20)
        for cell in row
        if isinstance(cell.value, str) and cell.value.strip() == DETAILS_COLUMN
    )
    labels = {f"{r.group}.{r.attribute}": r for r in FORM_ROWS}
    for row in form.iter_rows():
        label = f"{str(row[0].value or '').strip()}.{str(row[1].value or '').strip()}"
        if label in labels and label in values:
            form.cell(row=row[0].row, column=details, value=values[label])
    sheet = book.create_sheet(CERTIFICATE_SHEET)
    sheet.append([c.header for c in CERTIFICATE_COLUMNS])
    for cert in certificates:
        sheet.append([cert.get(c.field) for c in CERTIFICATE_COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_all(out: Path, keys: Path = Path("keys-dev")) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []

    # Acme: one good entry of every Physical Device Type but the Communications Hub (the DCC's own).
    acme = [
        sample_row(t, i, maker=ACME)
        for i, t in enumerate(PhysicalDeviceType)
        if t in CPL_CONTROLLED_TYPES and t is not T.COMMUNICATIONS_HUB
    ]
    path = out / "acme-new-models.xlsx"
    write_submission(path, *_collect(acme))
    written.append(path)

    # Northwind: a meter whose Manufacturer Image Hash makes a signed workbook necessary, and a hub.
    meter, meter_certs = sample_row(T.POLYPHASE_ELECTRICITY_METER, 40, maker=NORTHWIND)
    meter["manufacturer_image_hash"] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    meter["manufacturer_image_creator"] = "Northwind Devices firmware build service"
    hub = sample_row(T.COMMUNICATIONS_HUB, 41, maker=NORTHWIND)
    path = out / "northwind-signed.xlsx"
    write_submission(path, *_collect([(meter, meter_certs), hub]))
    signer = PemKeySigner.from_files(
        keys / "manufacturer-northwind.pem", keys / "manufacturer-northwind.key.pem", chain=[keys / "issuing-ca.pem"]
    )
    signature = path.with_name(path.name + ".p7s")
    signature.write_bytes(sign_data(path.read_bytes(), signer, detached=True))
    written += [path, signature]

    # The DCC: a SMETS1 gas meter (no CPA certificate; a compliance statement instead).
    path = out / "dcc-smets1.xlsx"
    write_submission(
        path, *_collect([sample_row(T.GAS_SMART_METER, 60, maker=ACME, submission_type=SubmissionType.SMETS1)])
    )
    written.append(path)

    # Acme: a firmware update of its gas meter, reusing its certificates with mapping evidence,
    # confirmed by a supplier.
    gas_index = list(PhysicalDeviceType).index(T.GAS_SMART_METER)
    update, certs = sample_row(
        T.GAS_SMART_METER, gas_index, maker=ACME, submission_type=SubmissionType.FIRMWARE_UPDATE, firmware="9002"
    )
    for cert in certs:
        cert["firmware_versions"] = "9001"
    update["firmware_mapping_evidence"] = "Release notes RN-106C-9002 section 3: no ZigBee or CPA change"
    update["confirming_supplier"] = "bright-energy"
    path = out / "acme-firmware-update.xlsx"
    write_submission(path, *_collect([(update, certs)]))
    written.append(path)

    # Acme: a workbook with many problems, to show the findings.
    bad = []
    expired, c = sample_row(T.GAS_SMART_METER, 70, maker=ACME, cpa_expiry=dt.date(2025, 3, 31))
    bad.append((expired, c))
    no_dlms, c = sample_row(T.SINGLE_ELEMENT_ELECTRICITY_METER, 71, maker=ACME)
    no_dlms["dlms_certificate"] = None
    bad.append((no_dlms, c))
    old_gbcs, c = sample_row(T.PPMID, 72, maker=ACME)
    old_gbcs["gbcs_version"] = "v1.0"
    bad.append((old_gbcs, c))
    bad_hex, c = sample_row(T.HCALCS, 73, maker=ACME)
    bad_hex["manufacturer_id"] = "10 6C"
    bad_hex["technical_specification"] = "SMETS3 v9.9"
    bad.append((bad_hex, c))
    unsigned, c = sample_row(T.TWIN_ELEMENT_ELECTRICITY_METER, 74, maker=ACME)
    unsigned["manufacturer_image_hash"] = "ab" * 32
    bad.append((unsigned, c))
    bad.append((dict(expired), []))  # the same entry twice
    orphan_update, c = sample_row(T.GAS_SMART_METER, 75, maker=ACME, submission_type=SubmissionType.FIRMWARE_UPDATE)
    bad.append((orphan_update, c))
    path = out / "acme-with-problems.xlsx"
    write_submission(path, *_collect(bad), extra_columns=["Colour"])
    written.append(path)

    # The SEC's own New Entry form, filled in as a manufacturer would (CONTRACT.md 4.3).
    path = out / "acme-sec-new-entry-form.xlsx"
    path.write_bytes(sec_form(ACME_FORM, ACME_FORM_CERTIFICATES))
    written.append(path)
    path = out / "mfr-1031-sec-firmware-update.xlsx"
    path.write_bytes(sec_form(FIRMWARE_UPDATE_FORM, FIRMWARE_UPDATE_CERTIFICATES))
    written.append(path)

    # Not a workbook at all.
    path = out / "not-a-workbook.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    written.append(path)
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("var/demo")
    for path in write_all(out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
