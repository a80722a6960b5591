"""The extract content: canonical JSON (checked against an independent RFC 8785 implementation) and a strict reader."""

from __future__ import annotations

import datetime as dt

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from formats.extract import Extract, ExtractEntry, ExtractFormatError, parse_extract

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def entries(draw: st.DrawFn) -> ExtractEntry:
    status = draw(st.sampled_from(["Active", "Expired", "Withdrawn", "Cancelled"]))
    return ExtractEntry(
        entry_id=f"CPL-{draw(st.integers(1, 999_999)):06d}",
        physical_device_type=draw(text),
        manufacturer=draw(text),
        manufacturer_id="106C",
        model=draw(text),
        model_id="4331",
        hardware_version="00AC",
        firmware_version=draw(st.text("0123456789ABCDEF", min_size=1, max_size=8)),
        technical_specification="SMETS2 v4.2",
        gbcs_version=draw(st.none() | text),
        certificates={"zigbee": draw(st.none() | text), "dlms": None, "cpa": draw(st.none() | text)},
        cpa_expiry=None,
        manufacturer_image_hash=None,
        status=status,
        status_since="2026-11-01",
        panel_reference=None if status == "Active" else "SECP_66_1503",
    )


@settings(max_examples=80, deadline=None)
@given(found=st.lists(entries(), max_size=6, unique_by=lambda e: e.entry_id), sequence=st.integers(1, 10**9))
def test_content_is_rfc8785_and_reads_back_unchanged(found: list[ExtractEntry], sequence: int) -> None:
    extract = Extract(
        sequence=sequence,
        issued_at=dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC),
        previous_sha256=None,
        entries=tuple(found),
    )
    content = extract.content()
    assert content == rfc8785.dumps(extract.to_json())
    again = parse_extract(content)
    assert again.content() == content and again.sequence == sequence


def _minimal(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "entries": [],
        "format": "cpl-extract",
        "format_version": 1,
        "issued_at": "2026-11-22T12:00:00Z",
        "previous_sha256": None,
        "sequence": 1,
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (rfc8785.dumps(_minimal()).replace(b'"sequence":1', b'"sequence":1.5'), "integers only"),
        (
            b'{"entries":[],"format":"cpl-extract","format_version":1,"issued_at":"2026-11-22T12:00:00Z",'
            b'"previous_sha256":null,"sequence":NaN}',
            "integers only",
        ),
        (rfc8785.dumps(_minimal()).replace(b",", b", "), "canonical"),
        (rfc8785.dumps(_minimal(format="other")), "cpl-extract"),
        (rfc8785.dumps(_minimal(sequence=0)), "1 or more"),
        (rfc8785.dumps(_minimal(issued_at="22/11/2026")), "timestamp"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_malformed_content_is_refused_with_its_reason(content: bytes, says: str) -> None:
    with pytest.raises(ExtractFormatError, match=says):
        parse_extract(content)
