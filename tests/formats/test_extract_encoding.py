"""The extract content is the canonical encoding of its document, however it is written.

`Extract.content` writes each entry in sorted key order and the entries a slice at a time, so that
50,000 entries are written without sorting again or holding 50,000 dictionaries at once. None of
that may change a byte: the content must be exactly what the straightforward canonical encoding of
`to_json()` gives (keys sorted, no white space, UTF-8 as is), for any extract, with any number of
entries, any text (non-ASCII, control characters, U+2028 and U+2029, quotes and backslashes) and
any of the optional keys.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from formats.extract import Extract, ExtractEntry, parse_extract

# The characters a careless encoder gets wrong, beside any other Unicode scalar value.
AWKWARD = '"\\/\b\f\n\r\t\x00\x01\x1f\x7f\x80\u00e9\u2028\u2029\ufeff\uffff\U0001f600'
# CONTRACT.md section 2: the keys an entry may carry beside the required ones.
OPTIONAL_KEYS = (
    "cpa_certificate_kind",
    "cpa_renewal_date",
    "cpa_security_characteristics",
    "dlms_version",
    "zse_version",
    "manufacturer_image_creator",
    "manufacturer_image_descriptor",
)
SCHEMES = ("zigbee", "dlms", "cpa")
STATUSES = ("Active", "Expired", "Withdrawn", "Cancelled")

text = st.text(st.sampled_from(AWKWARD) | st.characters(codec="utf-8"), max_size=10)
maybe_text = st.none() | text


def straightforward_content(extract: Extract) -> bytes:
    """The canonical encoding of the extract's document, the plain way."""
    return json.dumps(
        extract.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


@st.composite
def entries(draw: st.DrawFn) -> ExtractEntry:
    schemes = draw(st.lists(st.sampled_from(SCHEMES), unique=True))  # an absent scheme is written as null
    return ExtractEntry(
        entry_id="CPL-000000",  # made unique by `extracts`
        physical_device_type=draw(text),
        manufacturer=draw(text),
        manufacturer_id=draw(text),
        model=draw(text),
        model_id=draw(text),
        hardware_version=draw(text),
        firmware_version=draw(text),
        technical_specification=draw(text),
        gbcs_version=draw(maybe_text),
        certificates={scheme: draw(maybe_text) for scheme in schemes},
        cpa_expiry=draw(maybe_text),
        manufacturer_image_hash=draw(maybe_text),
        status=draw(st.sampled_from(STATUSES)),
        status_since=draw(text),
        panel_reference=draw(maybe_text),
        attributes=draw(st.dictionaries(st.sampled_from(OPTIONAL_KEYS), text)),
    )


@st.composite
def extracts(draw: st.DrawFn) -> Extract:
    """An extract of up to 1,200 entries: a few drawn ones repeated under unique ids, in shuffled order."""
    kinds = draw(st.lists(entries(), min_size=1, max_size=8))
    count = draw(st.integers(0, 1_200))
    numbers = random.Random(draw(st.integers(0, 2**32))).sample(range(1_000_000), count)
    found = tuple(
        dataclasses.replace(kinds[i % len(kinds)], entry_id=f"CPL-{number:06d}") for i, number in enumerate(numbers)
    )
    moment = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
    return Extract(
        sequence=draw(st.integers(1, 2**53)),
        issued_at=moment,
        previous_sha256=draw(st.none() | st.text("0123456789abcdef", min_size=64, max_size=64)),
        entries=found,
        next_update_by=draw(st.none() | st.just(moment + dt.timedelta(days=7))),
        audit_head_sha256=draw(st.none() | st.text("0123456789abcdef", min_size=64, max_size=64)),
    )


@settings(max_examples=40, deadline=None)
@given(extract=extracts())
def test_content_is_the_straightforward_canonical_encoding_of_its_document(extract: Extract) -> None:
    assert extract.content() == straightforward_content(extract)


@settings(max_examples=10, deadline=None)
@given(extract=extracts())
def test_content_reads_back_and_is_written_again_byte_for_byte(extract: Extract) -> None:
    content = extract.content()
    again = parse_extract(content)

    assert again.content() == content
    assert [e.entry_id for e in again.entries] == sorted(e.entry_id for e in extract.entries)


@pytest.mark.parametrize("count", [0, 1, 2, 999, 1_000, 1_001, 5_003])
def test_content_of_any_number_of_entries_is_the_canonical_encoding(count: int) -> None:
    kinds = [
        ExtractEntry(
            entry_id="CPL-000000",
            physical_device_type="Gas Smart Meter",
            manufacturer=f'Fabricant \u00e9l\u00e9ctrique \u2028 {i}\n\t"\\',
            manufacturer_id="106C",
            model="G4",
            model_id="4331",
            hardware_version="00AC",
            firmware_version=f"{i:04X}",
            technical_specification="SMETS2 v4.2",
            gbcs_version=None if i % 2 else "v4.2",
            certificates={"zigbee": f"ZB-{i}", "dlms": None, "cpa": "CPA-1"},
            cpa_expiry="2030-01-31",
            manufacturer_image_hash=None,
            status=STATUSES[i % 4],
            status_since="2026-11-01",
            panel_reference=None if i % 4 == 0 else "SECP_66_1503",
            attributes={"dlms_version": "9"} if i % 3 == 0 else {},
        )
        for i in range(7)
    ]
    found = [dataclasses.replace(kinds[i % 7], entry_id=f"CPL-{count - i:06d}") for i in range(count)]
    extract = Extract(
        sequence=7, issued_at=dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC), previous_sha256=None, entries=tuple(found)
    )

    content = extract.content()

    assert content == straightforward_content(extract)
    assert content.count(b'"entry_id":') == count


def test_content_with_open_ended_top_level_keys_is_the_canonical_encoding() -> None:
    extra: dict[str, Any] = {"zz_note": {"b": [1, None, "\u2028"], "a": "x"}, "aa_first": -5}
    entry = ExtractEntry(
        entry_id="CPL-000001",
        physical_device_type="Gas Smart Meter",
        manufacturer="M",
        manufacturer_id="106C",
        model="G4",
        model_id="4331",
        hardware_version="00AC",
        firmware_version="9001",
        technical_specification="SMETS2 v4.2",
        gbcs_version=None,
        certificates={},
        cpa_expiry=None,
        manufacturer_image_hash=None,
        status="Active",
        status_since="2026-11-01",
        panel_reference=None,
    )
    extract = Extract(
        sequence=1,
        issued_at=dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC),
        previous_sha256=None,
        entries=(entry,),
        extra=extra,
    )

    assert extract.content() == straightforward_content(extract)


@example(text="\ud800")
@example(text="a\udfffb")
@given(text=st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3))
def test_text_that_is_not_unicode_scalar_values_is_refused_not_written(text: str) -> None:
    entry = ExtractEntry(
        entry_id="CPL-000001",
        physical_device_type="Gas Smart Meter",
        manufacturer=text,
        manufacturer_id="106C",
        model="G4",
        model_id="4331",
        hardware_version="00AC",
        firmware_version="9001",
        technical_specification="SMETS2 v4.2",
        gbcs_version=None,
        certificates={},
        cpa_expiry=None,
        manufacturer_image_hash=None,
        status="Active",
        status_since="2026-11-01",
        panel_reference=None,
    )
    extract = Extract(
        sequence=1, issued_at=dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC), previous_sha256=None, entries=(entry,)
    )

    with pytest.raises(UnicodeEncodeError):
        extract.content()


class Certificates(Mapping[str, "str | None"]):
    """A read-only mapping that is not a dict (as a caller might hold the numbers)."""

    def __init__(self, numbers: dict[str, str | None]) -> None:
        self._numbers = numbers

    def __getitem__(self, key: str) -> str | None:
        return self._numbers[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._numbers)

    def __len__(self) -> int:
        return len(self._numbers)


def _holding(certificates: Mapping[str, str | None]) -> ExtractEntry:
    return ExtractEntry(
        entry_id="CPL-000001",
        physical_device_type="Gas Smart Meter",
        manufacturer="M",
        manufacturer_id="106C",
        model="G4",
        model_id="4331",
        hardware_version="00AC",
        firmware_version="9001",
        technical_specification="SMETS2 v4.2",
        gbcs_version=None,
        certificates=certificates,
        cpa_expiry=None,
        manufacturer_image_hash=None,
        status="Active",
        status_since="2026-11-01",
        panel_reference=None,
    )


@pytest.mark.parametrize(
    "numbers",
    [{}, {"zigbee": "ZB-1"}, {"cpa": "CPA-1", "zigbee": "ZB-1", "dlms": "DL-1"}, {"dlms": None, "cpa": "C"}],
)
def test_an_entry_writes_the_same_certificates_from_any_mapping(numbers: dict[str, str | None]) -> None:
    expected = {"cpa": numbers.get("cpa"), "dlms": numbers.get("dlms"), "zigbee": numbers.get("zigbee")}

    for held in (numbers, Certificates(numbers)):
        written = _holding(held).to_json()["certificates"]
        assert written == expected
        assert list(written) == ["cpa", "dlms", "zigbee"]  # sorted: the canonical order


@pytest.mark.parametrize("held", [{"zigbee": "ZB-1", "smets1": "S1"}, {"a": "x", "b": "y", "c": "z"}])
def test_a_certificate_key_that_names_no_scheme_is_not_written(held: dict[str, str | None]) -> None:
    for mapping in (held, Certificates(held)):
        written = _holding(mapping).to_json()["certificates"]
        assert written == {"cpa": None, "dlms": None, "zigbee": held.get("zigbee")}
        assert list(written) == ["cpa", "dlms", "zigbee"]
