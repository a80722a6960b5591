"""Signing and verifying a 50,000-entry CPL extract, against raw json+SHA-256+ECDSA and `openssl cms -verify`.

The raw work is the least that makes the same bytes: the standard library's `json.dumps` of the same
plain dictionaries (built beforehand, already in sorted key order, so it need not sort), the SHA-256 of
those bytes and one ECDSA signature over the digest. Ours builds the content from the `Extract` and
wraps it in CMS SignedData. Each pair is timed by `median_alternated`: medians of `REPEAT` runs, ours
and the raw work taking turns, after a warm-up of each.
"""

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

from bench import Measurement, median_alternated
from formats.extract import Extract, ExtractEntry
from signing.cms import sign_data, verify_signed_data
from signing.profile import DEV_POLICY_CPL_EXTRACT_SIGNING
from signing.signers import PemKeySigner
from signing.trust import load_trust

ENTRIES = 50_000
REPEAT = 7
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
    # The same plain dictionaries, top level put in sorted key order once here (the entries already
    # are): json.dumps then writes the canonical form without sorting, the least it can do. (Ours
    # encodes the entries a slice at a time so as not to hold 50,000 fresh dictionaries at once;
    # dictionaries that already exist gain nothing from that, so one call is the raw work.)
    document = dict(sorted(extract.to_json().items()))

    def raw_content() -> bytes:
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")

    def raw_sign() -> bytes:
        digest = hashlib.sha256(raw_content()).digest()
        return signer.private_key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))

    def ours_sign() -> bytes:
        return sign_data(extract.content(), signer, signing_time=ISSUED_AT)

    content_bytes = extract.content()
    assert content_bytes == raw_content()  # the raw work makes the very same bytes
    ours_sign_s, raw_sign_s = median_alternated(REPEAT, ours_sign, raw_sign)
    # The CMS layer alone, on content bytes already made: what signing adds to the extract.
    cms_only_s, hash_sign_s = median_alternated(
        REPEAT,
        lambda: sign_data(content_bytes, signer, signing_time=ISSUED_AT),
        lambda: signer.private_key.sign(hashlib.sha256(content_bytes).digest(), ec.ECDSA(Prehashed(hashes.SHA256()))),
    )
    signed = ours_sign()

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

        ours_verify_s, openssl_s = median_alternated(REPEAT, ours_verify, openssl_verify)
    assert ours_verify() == content_bytes
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
