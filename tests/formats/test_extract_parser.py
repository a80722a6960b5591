"""The extract reader refuses anything that is not exactly the format, and says which part is wrong.

Expected values are written from CONTRACT.md section 2 (the example extract) and DOMAIN.md, never
from the module's own constants.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
import rfc8785

from formats import vocabulary
from formats.extract import (
    Extract,
    ExtractEntry,
    ExtractFormatError,
    canonical_json,
    format_timestamp,
    parse_extract,
    parse_timestamp,
    sha256_hex,
)

PREVIOUS = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# CONTRACT.md section 2's example entry, with a Manufacturer Image hash.
CONTRACT_ENTRY: dict[str, Any] = {
    "entry_id": "CPL-000123",
    "physical_device_type": "Gas Smart Meter",
    "manufacturer": "Acme Meters",
    "manufacturer_id": "106C",
    "model": "G4",
    "model_id": "4331",
    "hardware_version": "00AC",
    "firmware_version": "9001",
    "technical_specification": "SMETS2 v4.2",
    "gbcs_version": "v4.2",
    "certificates": {"zigbee": "ZB-1", "dlms": None, "cpa": "CPA-1"},
    "cpa_expiry": "2030-01-31",
    "manufacturer_image_hash": "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
    "status": "Active",
    "status_since": "2026-11-01",
    "panel_reference": None,
}

TEXT_KEYS = [
    "entry_id",
    "physical_device_type",
    "manufacturer",
    "manufacturer_id",
    "model",
    "model_id",
    "hardware_version",
    "firmware_version",
    "technical_specification",
    "status_since",
]
NULLABLE_KEYS = ["gbcs_version", "cpa_expiry", "manufacturer_image_hash", "panel_reference"]


def _entry(**changes: Any) -> dict[str, Any]:
    made = copy.deepcopy(CONTRACT_ENTRY)
    made.update(changes)
    return made


def _document(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": "cpl-extract",
        "format_version": 1,
        "sequence": 42,
        "issued_at": "2026-11-22T12:00:00Z",
        "previous_sha256": None,
        "entries": [_entry()],
    }
    data.update(changes)
    return data


def _content(**changes: Any) -> bytes:
    return bytes(rfc8785.dumps(_document(**changes)))


def _refusal(content: bytes) -> str:
    with pytest.raises(ExtractFormatError) as error:
        parse_extract(content)
    return str(error.value)


def _without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


# --- the shared vocabulary ------------------------------------------------------------------
# (here because formats/vocabulary.py's table mutants run tests/formats, not tests/smi/test_rule_edges.py)


def test_the_cpl_controls_the_seven_types_that_must_be_on_it() -> None:
    # DOMAIN.md's table, column "must be on the CPL"
    assert {kind.value for kind in vocabulary.CPL_CONTROLLED_TYPES} == {
        "Communications Hub",
        "Single Element Electricity Metering Equipment",
        "Twin Element Electricity Metering Equipment",
        "Polyphase Electricity Metering Equipment",
        "Gas Smart Meter",
        "Pre-Payment Meter Interface Device (PPMID)",
        "HAN Connected Auxiliary Load Control Switch (HCALCS)",
    }


def test_every_entry_status_but_active_is_a_removal() -> None:
    # DOMAIN.md: "Removed" in the seeds means any status other than Active (DUIS CPLStatus)
    assert {status.value for status in vocabulary.REMOVED_STATUSES} == {"Expired", "Withdrawn", "Cancelled"}


def test_the_certificate_keys_are_zigbee_dlms_and_cpa_in_that_order() -> None:
    assert vocabulary.CERTIFICATE_KEYS == ("zigbee", "dlms", "cpa")


# --- canonical JSON -------------------------------------------------------------------------


def test_canonical_json_sorts_keys_drops_white_space_and_writes_utf8_as_is() -> None:
    value = {"b": [1, None, "é"], "a": {"d": True, "c": "x"}}
    assert canonical_json(value) == '{"a":{"c":"x","d":true},"b":[1,null,"é"]}'.encode()


@pytest.mark.parametrize("value", [1.5, {"a": {"b": 2.0}}, [1, [0.5]], ("x", 1e3)])
def test_canonical_json_refuses_floats_anywhere(value: Any) -> None:
    with pytest.raises(ValueError, match=r"^canonical extract JSON carries no floating-point numbers$"):
        canonical_json(value)


def test_content_refuses_a_float_hidden_in_an_extra_key() -> None:
    made = Extract(
        sequence=1,
        issued_at=dt.datetime(2026, 11, 22, tzinfo=dt.UTC),
        previous_sha256=None,
        entries=(),
        extra={"x": [{"y": 0.5}]},
    )
    with pytest.raises(ValueError, match="floating-point"):
        made.content()


def test_sha256_hex_is_lower_case_hex_of_the_digest() -> None:
    assert sha256_hex(b"") == PREVIOUS


# --- timestamps -----------------------------------------------------------------------------


def test_a_timestamp_is_written_in_utc_to_the_second() -> None:
    moment = dt.datetime(2026, 11, 22, 13, 30, 5, 999_999, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert format_timestamp(moment) == "2026-11-22T12:30:05Z"


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^extract timestamps must be timezone-aware$"):
        format_timestamp(dt.datetime(2026, 11, 22, 12))


def test_a_timestamp_is_read_as_utc() -> None:
    assert parse_timestamp("2026-11-22T12:00:01Z") == dt.datetime(2026, 11, 22, 12, 0, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "text",
    ["2026-11-22T12:00:00", "2026-11-22T12:00:00Zjunk", "2026-11-22 12:00:00Z", "x2026-11-22T12:00:00Z", "2026-11-22"],
)
def test_a_timestamp_not_of_the_exact_form_is_refused(text: str) -> None:
    with pytest.raises(ExtractFormatError) as error:
        parse_timestamp(text)
    assert str(error.value) == f"timestamp {text!r} is not of the form YYYY-MM-DDTHH:MM:SSZ"


def test_an_issued_at_without_its_z_is_refused_by_the_reader() -> None:
    assert _refusal(_content(issued_at="2026-11-22T12:00:00")) == (
        "timestamp '2026-11-22T12:00:00' is not of the form YYYY-MM-DDTHH:MM:SSZ"
    )


# --- reading the contract's example ---------------------------------------------------------


def test_the_contract_example_is_read_field_by_field() -> None:
    extract = parse_extract(_content())
    assert extract.sequence == 42
    assert extract.issued_at == dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
    assert extract.previous_sha256 is None
    assert extract.extra == {}
    assert extract.entries == (
        ExtractEntry(
            entry_id="CPL-000123",
            physical_device_type="Gas Smart Meter",
            manufacturer="Acme Meters",
            manufacturer_id="106C",
            model="G4",
            model_id="4331",
            hardware_version="00AC",
            firmware_version="9001",
            technical_specification="SMETS2 v4.2",
            gbcs_version="v4.2",
            certificates={"zigbee": "ZB-1", "dlms": None, "cpa": "CPA-1"},
            cpa_expiry="2030-01-31",
            manufacturer_image_hash="ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
            status="Active",
            status_since="2026-11-01",
            panel_reference=None,
        ),
    )


def test_the_contract_example_is_written_back_byte_for_byte() -> None:
    content = _content()
    assert parse_extract(content).content() == content


def test_null_optional_fields_are_read_as_none() -> None:
    nulls = dict.fromkeys(NULLABLE_KEYS) | {"certificates": {"zigbee": None, "dlms": None, "cpa": None}}
    (read,) = parse_extract(_content(entries=[_entry(**nulls)])).entries
    assert (read.gbcs_version, read.cpa_expiry, read.manufacturer_image_hash, read.panel_reference) == (None,) * 4
    assert dict(read.certificates) == {"zigbee": None, "dlms": None, "cpa": None}


def test_a_removed_entry_keeps_its_panel_reference() -> None:
    removed = _entry(status="Withdrawn", panel_reference="SECP_66_1503", status_since="2026-11-20")
    (read,) = parse_extract(_content(entries=[removed])).entries
    assert (read.status, read.panel_reference, read.status_since) == ("Withdrawn", "SECP_66_1503", "2026-11-20")
    assert read.is_active is False


@pytest.mark.parametrize("status", ["Active", "Expired", "Withdrawn", "Cancelled"])
def test_each_of_the_four_statuses_is_read(status: str) -> None:
    (read,) = parse_extract(_content(entries=[_entry(status=status, panel_reference="SECP_1_2")])).entries
    assert read.status == status
    assert read.is_active is (status == "Active")


def test_a_chained_extract_keeps_its_previous_sha256() -> None:
    assert parse_extract(_content(previous_sha256=PREVIOUS)).previous_sha256 == PREVIOUS


def test_sequence_one_is_the_first_accepted() -> None:
    assert parse_extract(_content(sequence=1)).sequence == 1


def test_an_empty_list_is_read() -> None:
    assert parse_extract(_content(entries=[])).entries == ()


def test_unknown_top_level_keys_are_kept_and_written_back() -> None:
    content = _content(note={"by": "SECAS", "items": [1, None, "two"]}, zz_version="2.052")
    extract = parse_extract(content)
    assert extract.extra == {"note": {"by": "SECAS", "items": [1, None, "two"]}, "zz_version": "2.052"}
    assert extract.content() == content


# --- the model an entry names ---------------------------------------------------------------


def test_the_model_key_is_type_manufacturer_model_hardware_firmware() -> None:
    (read,) = parse_extract(_content()).entries
    assert read.model_key == ("Gas Smart Meter", "106C", "4331", "00AC", "9001")


def test_active_model_keys_leave_removed_entries_out() -> None:
    active = _entry()
    other = _entry(entry_id="CPL-000124", model_id="4332", firmware_version="9002")
    removed = _entry(entry_id="CPL-000125", model_id="4333", status="Expired", panel_reference="SECP_66_1503")
    extract = parse_extract(_content(entries=[active, other, removed]))
    assert extract.active_model_keys() == {
        ("Gas Smart Meter", "106C", "4331", "00AC", "9001"),
        ("Gas Smart Meter", "106C", "4332", "00AC", "9002"),
    }


# --- writing --------------------------------------------------------------------------------


def _made(**changes: Any) -> ExtractEntry:
    values: dict[str, Any] = _entry()
    values.update(changes)
    return ExtractEntry(**values)


def test_an_entry_is_written_with_every_field_of_the_format() -> None:
    assert _made().to_json() == CONTRACT_ENTRY


def test_an_entry_writes_every_certificate_scheme_even_when_it_holds_fewer() -> None:
    written = _made(certificates={"zigbee": "ZB-9"}).to_json()
    assert written["certificates"] == {"zigbee": "ZB-9", "dlms": None, "cpa": None}


def test_an_extract_is_written_with_its_entries_sorted_and_its_format_named() -> None:
    later, earlier = _made(entry_id="CPL-000200"), _made(entry_id="CPL-000100")
    made = Extract(
        sequence=7,
        issued_at=dt.datetime(2026, 11, 22, 13, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        previous_sha256=PREVIOUS,
        entries=(later, earlier),
        extra={"format": "forged", "note": "kept"},
    )
    assert made.to_json() == {
        "note": "kept",
        "format": "cpl-extract",
        "format_version": 1,
        "sequence": 7,
        "issued_at": "2026-11-22T12:00:00Z",
        "previous_sha256": PREVIOUS,
        "entries": [earlier.to_json(), later.to_json()],
    }
    assert made.content() == rfc8785.dumps(made.to_json())


# --- refusals, each with its sentence -------------------------------------------------------


def test_content_that_is_not_utf8_is_refused() -> None:
    assert _refusal(b'{"a":"\xff"}').startswith("the extract content is not UTF-8 JSON (")


def test_content_that_is_not_json_is_refused() -> None:
    assert _refusal(b"{not json").startswith("the extract content is not UTF-8 JSON (")


@pytest.mark.parametrize("content", [b"[]", b'"cpl-extract"', b"42", b"null"])
def test_content_that_is_not_an_object_is_refused(content: bytes) -> None:
    assert _refusal(content) == "the extract content is not a JSON object"


def test_a_float_is_refused_while_reading() -> None:
    content = _content().replace(b'"sequence":42', b'"sequence":42.0')
    assert _refusal(content) == "the extract carries the number 42.0; the format has integers only"


def test_infinity_is_refused_while_reading() -> None:
    content = _content().replace(b'"sequence":42', b'"sequence":Infinity')
    assert _refusal(content) == "the extract carries the number Infinity; the format has integers only"


def test_content_not_in_canonical_form_is_refused() -> None:
    spaced = _content().replace(b'"sequence":42', b'"sequence": 42')
    assert _refusal(spaced) == "the extract content is not in canonical JSON form (RFC 8785)"


def test_content_with_unsorted_keys_is_refused() -> None:
    unsorted = json.dumps(_document(), separators=(",", ":"), ensure_ascii=False).encode()
    assert _refusal(unsorted) == "the extract content is not in canonical JSON form (RFC 8785)"


@pytest.mark.parametrize(
    "changes",
    [{"format": "cpl-list"}, {"format_version": 2}, {"format_version": 0}, {"format_version": "1"}],
)
def test_another_format_or_version_is_refused(changes: dict[str, Any]) -> None:
    assert _refusal(_content(**changes)) == "the content is not a cpl-extract version 1 document"


@pytest.mark.parametrize("missing", ["format", "format_version"])
def test_a_document_that_does_not_name_the_format_is_refused(missing: str) -> None:
    content = bytes(rfc8785.dumps(_without(_document(), missing)))
    assert _refusal(content) == "the content is not a cpl-extract version 1 document"


@pytest.mark.parametrize("missing", ["sequence", "issued_at", "previous_sha256", "entries"])
def test_a_missing_top_level_key_is_named(missing: str) -> None:
    content = bytes(rfc8785.dumps(_without(_document(), missing)))
    assert _refusal(content) == f"the extract has no {missing!r}"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sequence", True),
        ("sequence", "42"),
        ("sequence", None),
        ("issued_at", 20261122),
        ("issued_at", None),
        ("previous_sha256", 1),
        ("entries", {}),
        ("entries", None),
    ],
)
def test_a_top_level_key_of_the_wrong_type_is_named(key: str, value: Any) -> None:
    assert _refusal(_content(**{key: value})) == f"the extract has {key!r} of the wrong type"


@pytest.mark.parametrize("sequence", [0, -1])
def test_a_sequence_below_one_is_refused(sequence: int) -> None:
    assert _refusal(_content(sequence=sequence)) == "the extract sequence must be 1 or more"


@pytest.mark.parametrize("previous", [PREVIOUS.upper(), PREVIOUS[:-1], PREVIOUS + "0", "g" * 64, ""])
def test_a_previous_sha256_not_64_lower_case_hex_digits_is_refused(previous: str) -> None:
    assert _refusal(_content(previous_sha256=previous)) == "previous_sha256 is not 64 lower-case hex digits"


@pytest.mark.parametrize("item", [[], "CPL-000123", None, 1])
def test_an_entry_that_is_not_an_object_is_refused(item: Any) -> None:
    assert _refusal(_content(entries=[_entry(), item])) == "entry 2 is not an object"


@pytest.mark.parametrize("missing", [*TEXT_KEYS, *NULLABLE_KEYS, "certificates", "status"])
def test_a_missing_entry_key_is_named_with_the_entry(missing: str) -> None:
    second = _without(_entry(entry_id="CPL-000124"), missing)
    assert _refusal(_content(entries=[_entry(), second])) == f"entry 2 has no {missing!r}"


@pytest.mark.parametrize(
    ("key", "value"),
    [(k, None) for k in TEXT_KEYS]
    + [(k, 1) for k in TEXT_KEYS]
    + [(k, True) for k in NULLABLE_KEYS]
    + [(k, ["v4.2"]) for k in NULLABLE_KEYS]
    + [("certificates", None), ("certificates", ["ZB-1"]), ("status", None), ("status", 1)],
)
def test_an_entry_key_of_the_wrong_type_is_named_with_the_entry(key: str, value: Any) -> None:
    assert _refusal(_content(entries=[_entry(**{key: value})])) == f"entry 1 has {key!r} of the wrong type"


@pytest.mark.parametrize("scheme", ["zigbee", "dlms", "cpa"])
def test_a_missing_certificate_scheme_is_named(scheme: str) -> None:
    certificates = _without(_entry()["certificates"], scheme)
    content = _content(entries=[_entry(), _entry(entry_id="CPL-000124", certificates=certificates)])
    assert _refusal(content) == f"entry 2 certificates has no {scheme!r}"


@pytest.mark.parametrize("scheme", ["zigbee", "dlms", "cpa"])
def test_a_certificate_number_of_the_wrong_type_is_named(scheme: str) -> None:
    certificates = _entry()["certificates"] | {scheme: 7}
    assert _refusal(_content(entries=[_entry(certificates=certificates)])) == (
        f"entry 1 certificates has {scheme!r} of the wrong type"
    )


@pytest.mark.parametrize("status", ["Removed", "Current", "active", ""])
def test_an_unknown_status_is_refused(status: str) -> None:
    assert _refusal(_content(entries=[_entry(status=status)])) == f"entry 1 has unknown status {status!r}"


def test_entries_out_of_entry_id_order_are_refused() -> None:
    content = _content(entries=[_entry(entry_id="CPL-000124"), _entry(entry_id="CPL-000123")])
    assert _refusal(content) == "entries are not sorted by entry_id, or an entry_id repeats"


def test_a_repeated_entry_id_is_refused() -> None:
    content = _content(entries=[_entry(), _entry(model_id="4332")])
    assert _refusal(content) == "entries are not sorted by entry_id, or an entry_id repeats"


def test_a_misspelt_known_key_is_not_taken_for_it() -> None:
    content = bytes(rfc8785.dumps(_without(_document(), "issued_at") | {"issued": "2026-11-22T12:00:00Z"}))
    assert _refusal(content) == "the extract has no 'issued_at'"


# --- values of the right shape that are still not the format ----------------------------------


@pytest.mark.parametrize(
    ("issued_at", "why"),
    [
        ("2026-02-30T12:00:00Z", "is not a real date and time"),
        ("2026-11-22T25:00:00Z", "is not a real date and time"),
        ("2026-11-22T12:00:00Z\n", "is not of the form YYYY-MM-DDTHH:MM:SSZ"),
    ],
)
def test_an_issued_at_that_is_no_real_moment_is_a_format_refusal_not_a_crash(issued_at: str, why: str) -> None:
    assert _refusal(_content(issued_at=issued_at)) == f"timestamp {issued_at!r} {why}"


def test_a_previous_sha256_with_a_trailing_newline_is_refused() -> None:
    assert _refusal(_content(previous_sha256="ab" * 32 + "\n")) == "previous_sha256 is not 64 lower-case hex digits"


def test_format_version_true_is_not_version_1() -> None:
    """JSON true equals 1 in Python; the parsed extract would then re-encode to other bytes than were signed."""
    assert _refusal(_content(format_version=True)) == "the content is not a cpl-extract version 1 document"


# --- optional keys: the SEC list's attributes (added to format 1, never required) -----------------

SEC_ATTRIBUTES = {
    "cpa_certificate_kind": "lifetime",
    "cpa_renewal_date": "2023-08-30",
    "cpa_security_characteristics": "Security Characteristics version 1.2",
    "dlms_version": "CTT 3.1",
    "zse_version": "ZigBee Smart Energy Standard 1.4",
    "manufacturer_image_creator": "EDMI Europe Limited",
    "manufacturer_image_descriptor": "Complete image",
}


def test_an_extract_without_the_optional_keys_reads_as_before() -> None:
    entry = parse_extract(_content()).entries[0]
    assert entry.attributes == {}
    assert entry.to_json() == CONTRACT_ENTRY


def test_the_optional_keys_are_read_and_written_back_byte_for_byte() -> None:
    content = _content(entries=[_entry(**SEC_ATTRIBUTES)])
    extract = parse_extract(content)
    assert dict(extract.entries[0].attributes) == SEC_ATTRIBUTES
    assert extract.content() == content


def test_an_optional_key_set_to_null_is_the_same_as_absent() -> None:
    entry = parse_extract(_content(entries=[_entry(dlms_version=None)])).entries[0]
    assert entry.attributes == {}


@pytest.mark.parametrize("key", sorted(SEC_ATTRIBUTES))
def test_an_optional_key_of_the_wrong_type_is_refused(key: str) -> None:
    assert key in _refusal(_content(entries=[_entry(**{key: 7})]))


def test_an_entry_writes_only_the_optional_keys_it_has() -> None:
    entry = parse_extract(_content(entries=[_entry(zse_version="ZigBee Smart Energy Standard 1.2a")])).entries[0]
    written = entry.to_json()
    assert set(written) - set(CONTRACT_ENTRY) == {"zse_version"}


def test_a_key_no_reader_knows_is_ignored_by_todays_reader() -> None:
    # How the format evolves: a later optional key reaches a reader of today as an ignored key.
    entry = parse_extract(_content(entries=[_entry(some_later_key="x")])).entries[0]
    assert entry.to_json() == CONTRACT_ENTRY


# --- freshness and the audit head (optional top-level keys) ---------------------------------------


def test_next_update_by_and_the_audit_head_are_read_and_written_back() -> None:
    head = "ab" * 32
    content = _content(next_update_by="2026-11-29T12:00:00Z", audit_head_sha256=head)
    extract = parse_extract(content)
    assert extract.next_update_by == dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
    assert extract.audit_head_sha256 == head and extract.extra == {}
    assert extract.content() == content


def test_an_extract_without_them_has_neither() -> None:
    extract = parse_extract(_content())
    assert extract.next_update_by is None and extract.audit_head_sha256 is None
    assert "next_update_by" not in json.loads(extract.content())


def test_next_update_by_before_issued_at_is_refused() -> None:
    assert "before issued_at" in _refusal(_content(next_update_by="2026-11-22T11:59:59Z"))
    parse_extract(_content(next_update_by="2026-11-22T12:00:00Z"))  # the same moment is allowed


@pytest.mark.parametrize("value", ["2026-11-29", "tomorrow", 7])
def test_a_malformed_next_update_by_is_refused(value: Any) -> None:
    _refusal(_content(next_update_by=value))


@pytest.mark.parametrize("value", ["AB" * 32, "ab" * 31, 5])
def test_a_malformed_audit_head_is_refused(value: Any) -> None:
    _refusal(_content(audit_head_sha256=value))
