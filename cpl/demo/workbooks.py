"""Writes the demo's sample submission workbooks: good ones for every Physical Device Type, bad ones.

`python -m cpl.demo_workbooks OUT_DIR` (used by `make demo`). The signed workbook's detached
signature comes from a development manufacturer key in keys-dev/.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from cpl.core.domain import SubmissionType
from cpl.demo.samples import ACME, NORTHWIND, Row, sample_row
from cpl.workbook.template import write_submission
from formats.vocabulary import PhysicalDeviceType
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


def write_all(out: Path, keys: Path = Path("keys-dev")) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []

    # Acme: one good entry of every Physical Device Type but the Communications Hub (the DCC's own).
    acme = [sample_row(t, i, maker=ACME) for i, t in enumerate(PhysicalDeviceType) if t is not T.COMMUNICATIONS_HUB]
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
