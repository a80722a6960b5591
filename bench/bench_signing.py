"""Signing and verifying a 50,000-entry CPL extract, against raw json+SHA-256+ECDSA and `openssl cms -verify`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from bench import Measurement, best_of
from formats.extract import Extract, ExtractEntry
from signing.cms import sign_data, verify_signed_data
from signing.profile import DEV_POLICY_CPL_EXTRACT_SIGNING
from signing.signers import PemKeySigner
from signing.trust import load_trust

ENTRIES = 50_000
KEYS = Path(__file__).resolve().parents[1] / "keys-dev"
ROOT = KEYS / "root-ca.pem"
ISSUED_AT = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
_TYPES = (
    ("Gas Smart Meter", {"zigbee": "ZB", "dlms": None, "cpa": "CPA"}),
    ("Single Element Electricity Metering Equipment", {"zigbee": "ZB", "dlms": "DL", "cpa": "CPA"}),
    ("Communications Hub", {"zigbee": "ZB", "dlms": None, "cpa": "CPA"}),
    ("Pre-Payment Meter Interface Device (PPMID)", {"zigbee": "ZB", "dlms": None, "cpa": None}),
)


def synthetic_extract(count: int = ENTRIES) -> Extract:
    entries = []
    for i in range(count):
        device_type, schemes = _TYPES[i % len(_TYPES)]
        removed = i % 17 == 0
        entries.append(
            ExtractEntry(
                entry_id=f"CPL-{i:06d}",
                physical_device_type=device_type,
                manufacturer=f"Manufacturer {i % 97}",
                manufacturer_id=f"{0x1000 + i % 97:04X}",
                model=f"Model {i % 1013}",
                model_id=f"{i % 0x10000:04X}",
                hardware_version=f"{i % 251:04X}",
                firmware_version=f"{i:08X}",
                technical_specification="SMETS2 v4.2",
                gbcs_version="v4.2",
                certificates={s: (f"{prefix}-{i}" if prefix else None) for s, prefix in schemes.items()},
                cpa_expiry="2030-01-31" if schemes["cpa"] else None,
                manufacturer_image_hash=hashlib.sha256(str(i).encode()).hexdigest() if i % 3 == 0 else None,
                status="Withdrawn" if removed else "Active",
                status_since="2026-11-01",
                panel_reference="SECP_66_1503" if removed else None,
            )
        )
    return Extract(sequence=42, issued_at=ISSUED_AT, previous_sha256="0" * 64, entries=tuple(entries))


def run() -> list[Measurement]:
    extract = synthetic_extract()
    signer = PemKeySigner.from_files(
        KEYS / "secas-signer-1.pem", KEYS / "secas-signer-1.key.pem", chain=[KEYS / "issuing-ca.pem"]
    )
    trust = load_trust([ROOT])
    document = extract.to_json()

    def ours_sign() -> bytes:
        return sign_data(extract.content(), signer, signing_time=ISSUED_AT)

    def raw_sign() -> bytes:
        content = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
        digest = hashlib.sha256(content).digest()
        return signer.private_key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))

    raw_sign_s, _ = best_of(3, raw_sign)
    ours_sign_s, signed = best_of(3, ours_sign)
    # The CMS layer alone, on content bytes already made: what signing adds to the extract.
    content_bytes = extract.content()
    hash_sign_s, _ = best_of(
        3, lambda: signer.private_key.sign(hashlib.sha256(content_bytes).digest(), ec.ECDSA(Prehashed(hashes.SHA256())))
    )
    cms_only_s, _ = best_of(3, lambda: sign_data(content_bytes, signer, signing_time=ISSUED_AT))

    def ours_verify() -> bytes:
        return verify_signed_data(signed, trust, required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING).content

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "extract.p7m"
        path.write_bytes(signed)
        command = [
            "openssl",
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-binary",
            "-CAfile",
            str(ROOT),
            "-purpose",
            "any",
            "-in",
            str(path),
            "-out",
            os.devnull,
        ]

        def openssl_verify() -> int:
            return subprocess.run(command, capture_output=True, check=True).returncode

        openssl_s, _ = best_of(3, openssl_verify)
        ours_verify_s, content = best_of(3, ours_verify)
    assert content == extract.content()
    megabytes = len(signed) / 1e6
    return [
        Measurement(
            f"build + canonical + sign_data ({ENTRIES:,} entries, {megabytes:.0f} MB)",
            ours_sign_s,
            "json.dumps + sha256 + one ECDSA sign",
            raw_sign_s,
            aim=1.5,
        ),
        Measurement(
            "sign_data alone, same content bytes", cms_only_s, "sha256 + one ECDSA sign, same bytes", hash_sign_s
        ),
        Measurement(
            "verify_signed_data, same file", ours_verify_s, "openssl cms -verify (subprocess)", openssl_s, aim=1.5
        ),
    ]
