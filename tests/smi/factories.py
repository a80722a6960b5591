"""Extracts, entries and signed files for the simulator's tests, made from plain values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from formats.extract import Extract, ExtractEntry

ROOT = Path(__file__).resolve().parents[2]
KEYS = ROOT / "keys-dev"

GAS = "Gas Smart Meter"
HUB = "Communications Hub"
ELECTRICITY = "Single Element Electricity Metering Equipment"
PPMID = "Pre-Payment Meter Interface Device (PPMID)"
IHD = "IHD"

Key = tuple[str, str, str, str, str]

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def key(
    kind: str = GAS,
    model_id: str = "0001",
    firmware: str = "0100",
    *,
    manufacturer_id: str = "106C",
    hardware: str = "00AC",
) -> Key:
    return (kind, manufacturer_id, model_id, hardware, firmware)


def entry(
    model_key: Key, *, entry_id: str | None = None, status: str = "Active", panel_reference: str | None = None
) -> ExtractEntry:
    kind, manufacturer_id, model_id, hardware, firmware = model_key
    if status != "Active" and panel_reference is None:
        panel_reference = f"SECP_{int(model_id, 16) % 100}_{firmware}"
    return ExtractEntry(
        entry_id=entry_id or entry_id_for(model_key),
        physical_device_type=kind,
        manufacturer="Acme Meters",
        manufacturer_id=manufacturer_id,
        model=f"Model {model_id}",
        model_id=model_id,
        hardware_version=hardware,
        firmware_version=firmware,
        technical_specification="SMETS2 v4.2",
        gbcs_version="v4.2",
        certificates={"zigbee": "ZB-1", "dlms": None, "cpa": "CPA-1"},
        cpa_expiry="2030-01-31",
        manufacturer_image_hash=None,
        status=status,
        status_since="2026-11-01",
        panel_reference=panel_reference,
    )


def entry_id_for(model_key: Key) -> str:
    """A stable entry id per model key, so that the same model keeps its entry across extracts."""
    return "CPL-" + "-".join(part.replace(" ", "")[:6] for part in model_key)


def extract(
    sequence: int,
    entries: Iterable[ExtractEntry],
    *,
    issued_at: dt.datetime | None = None,
    previous_sha256: str | None = None,
    next_update_by: dt.datetime | None = None,
) -> Extract:
    moment = issued_at if issued_at is not None else T0 + dt.timedelta(hours=sequence)
    return Extract(
        sequence=sequence,
        issued_at=moment,
        previous_sha256=previous_sha256,
        entries=tuple(sorted(entries, key=lambda e: e.entry_id)),
        next_update_by=next_update_by,
    )


def cpl(
    sequence: int,
    active: Iterable[Key],
    removed: Iterable[Key] = (),
    *,
    issued_at: dt.datetime | None = None,
    next_update_by: dt.datetime | None = None,
) -> Extract:
    """An extract listing ``active`` as Active and ``removed`` as Withdrawn (with a Panel reference)."""
    entries = [entry(k) for k in active] + [entry(k, status="Withdrawn") for k in removed]
    return extract(sequence, entries, issued_at=issued_at, next_update_by=next_update_by)


def sign(content: bytes, *, signer: str = "secas-signer-1", signing_time: dt.datetime | None = None) -> bytes:
    from signing.cms import sign_data
    from signing.signers import PemKeySigner

    pem = PemKeySigner.from_files(KEYS / f"{signer}.pem", KEYS / f"{signer}.key.pem", chain=[KEYS / "issuing-ca.pem"])
    return sign_data(content, pem, signing_time=signing_time)
