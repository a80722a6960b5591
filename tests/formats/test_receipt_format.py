"""The DCC's receipt content (formats/receipt.py): canonical, validated both ways, readable without smi."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formats.receipt import Receipt, ReceiptFormatError, build_receipt, parse_receipt

RECEIVED = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
SHA = "ab" * 32


def content(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "sequence": 42,
        "extract_sha256": SHA,
        "received_at": RECEIVED,
        "applied_at": RECEIVED + dt.timedelta(hours=1),
        "devices_suspended": 250_000,
        "devices_restored": 0,
    }
    fields.update(changes)
    return build_receipt(**fields)  # type: ignore[arg-type]


def test_receipt_is_canonical_json_with_the_applied_extract_and_its_effect() -> None:
    made = content()
    assert made == json.dumps(json.loads(made), sort_keys=True, separators=(",", ":")).encode()
    assert json.loads(made) == {
        "format": "smi-receipt",
        "format_version": 1,
        "sequence": 42,
        "extract_sha256": SHA,
        "received_at": "2026-11-22T12:00:00Z",
        "applied_at": "2026-11-22T13:00:00Z",
        "devices_suspended": 250_000,
        "devices_restored": 0,
    }


@given(
    sequence=st.integers(min_value=1, max_value=2**40),
    suspended=st.integers(min_value=0, max_value=10**9),
    restored=st.integers(min_value=0, max_value=10**9),
    minutes=st.integers(min_value=0, max_value=10**6),
)
def test_parse_reads_back_what_build_wrote(sequence: int, suspended: int, restored: int, minutes: int) -> None:
    made = content(
        sequence=sequence,
        devices_suspended=suspended,
        devices_restored=restored,
        applied_at=RECEIVED + dt.timedelta(minutes=minutes),
    )
    parsed = parse_receipt(made)
    assert parsed.content() == made
    assert (parsed.sequence, parsed.devices_suspended, parsed.devices_restored) == (sequence, suspended, restored)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("sequence"),
        lambda d: d.update(sequence=0),
        lambda d: d.update(sequence="42"),
        lambda d: d.update(sequence=True),
        lambda d: d.update(extract_sha256="AB" * 32),
        lambda d: d.update(extract_sha256="ab"),
        lambda d: d.update(devices_suspended=-1),
        lambda d: d.update(applied_at="2026-11-22 13:00"),
        lambda d: d.update(applied_at="2026-11-22T11:00:00Z"),
        lambda d: d.update(format="cpl-extract"),
        lambda d: d.update(format_version=2),
    ],
    ids=[
        "no-sequence",
        "sequence-zero",
        "sequence-text",
        "sequence-bool",
        "upper-hex",
        "short-hash",
        "negative-count",
        "bad-time",
        "applied-before-received",
        "wrong-format",
        "wrong-version",
    ],
)
def test_malformed_receipts_are_refused_with_a_named_error(mutate: object) -> None:
    data = json.loads(content())
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ReceiptFormatError):
        parse_receipt(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())


def test_non_canonical_or_non_json_content_is_refused() -> None:
    with pytest.raises(ReceiptFormatError, match="canonical"):
        parse_receipt(json.dumps(json.loads(content()), indent=1).encode())
    with pytest.raises(ReceiptFormatError):
        parse_receipt(b"\xff")
    with pytest.raises(ReceiptFormatError):
        parse_receipt(b"[]")


def test_unknown_keys_are_ignored_so_the_format_can_grow() -> None:
    data = json.loads(content())
    data["inventory"] = {"Commissioned": 1}
    parsed = parse_receipt(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    assert parsed.sequence == 42


def test_a_receipt_cannot_be_built_with_naive_times() -> None:
    with pytest.raises(ReceiptFormatError):
        Receipt(
            sequence=1,
            extract_sha256=SHA,
            received_at=dt.datetime(2026, 1, 1),
            applied_at=dt.datetime(2026, 1, 1),
            devices_suspended=0,
            devices_restored=0,
        )


def _rewritten(**changes: object) -> bytes:
    data = json.loads(content())
    data.update(changes)
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def test_format_version_true_is_not_version_1() -> None:
    with pytest.raises(ReceiptFormatError, match="not a smi-receipt version 1 document"):
        parse_receipt(_rewritten(format_version=True))


@pytest.mark.parametrize("stamp", ["2026-02-30T12:00:00Z", "2026-11-22T12:00:00Z\n"])
def test_a_receipt_time_that_is_no_real_moment_is_refused_as_a_receipt_error(stamp: str) -> None:
    with pytest.raises(ReceiptFormatError, match="timestamp"):
        parse_receipt(_rewritten(received_at=stamp))


def test_an_extract_hash_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ReceiptFormatError, match="64 lower-case hex"):
        parse_receipt(_rewritten(extract_sha256=SHA + "\n"))


# --- every refusal says what is wrong, in its own words -----------------------------------------

AWARE = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
NAIVE = dt.datetime(2026, 11, 22, 13, 0)


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"sequence": 0}, "the receipt sequence must be 1 or more"),
        ({"extract_sha256": "AB" * 32}, "extract_sha256 is not 64 lower-case hex digits"),
        ({"devices_suspended": -1}, "device counts cannot be negative"),
        ({"devices_restored": -1}, "device counts cannot be negative"),
        ({"received_at": NAIVE.replace(hour=12)}, "receipt timestamps must be timezone-aware"),
        ({"applied_at": NAIVE}, "receipt timestamps must be timezone-aware"),
        (
            {"applied_at": AWARE - dt.timedelta(seconds=1)},
            "a receipt cannot say the extract was applied before it was received",
        ),
    ],
)
def test_a_receipt_that_cannot_be_true_is_refused_with_its_reason(fields: dict[str, object], sentence: str) -> None:
    values: dict[str, object] = {
        "sequence": 1,
        "extract_sha256": SHA,
        "received_at": AWARE,
        "applied_at": AWARE,
        "devices_suspended": 0,
        "devices_restored": 0,
        **fields,
    }
    with pytest.raises(ReceiptFormatError) as refused:
        Receipt(**values)  # type: ignore[arg-type]
    assert str(refused.value) == sentence


def _refused(content: bytes) -> str:
    with pytest.raises(ReceiptFormatError) as refused:
        parse_receipt(content)
    return str(refused.value)


def test_content_that_is_not_json_is_refused_as_such() -> None:
    assert _refused(b"\xff").startswith("the receipt content is not UTF-8 JSON (")
    assert _refused(b"{").startswith("the receipt content is not UTF-8 JSON (")


def test_a_json_list_is_not_a_receipt() -> None:
    assert _refused(b"[]") == "the receipt content is not a JSON object"


def test_receipt_json_with_white_space_is_not_canonical() -> None:
    assert _refused(content().replace(b",", b", ", 1)) == "the receipt content is not in canonical JSON form (RFC 8785)"


def test_a_float_in_a_receipt_is_refused_by_name() -> None:
    assert _refused(_rewritten(devices_restored=1.5)) == "canonical extract JSON carries no floating-point numbers"


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"extract_sha256": None}, "the receipt has no extract_sha256"),
        ({"sequence": "42"}, "the receipt has no integer 'sequence'"),
        ({"devices_suspended": True}, "the receipt has no integer 'devices_suspended'"),
        ({"applied_at": 0}, "the receipt has no timestamp 'applied_at'"),
        (
            {"received_at": "2026-11-22 12:00:00"},
            "timestamp '2026-11-22 12:00:00' is not of the form YYYY-MM-DDTHH:MM:SSZ",
        ),
    ],
)
def test_a_missing_or_mistyped_receipt_field_is_named(changes: dict[str, object], sentence: str) -> None:
    assert _refused(_rewritten(**changes)) == sentence
