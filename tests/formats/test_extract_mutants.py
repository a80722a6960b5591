"""The extract reader's refusals of the keys added to format 1 say which part is wrong, in its words
(CONTRACT.md section 2: a refused extract changes nothing and says which rule failed)."""

from __future__ import annotations

import pytest

from tests.formats.test_extract_parser import _content, _entry, _refusal


@pytest.mark.parametrize("key", ["cpa_certificate_kind", "dlms_version", "manufacturer_image_descriptor"])
def test_an_optional_entry_key_of_the_wrong_type_names_its_entry_and_key(key: str) -> None:
    content = _content(entries=[_entry(entry_id="CPL-000001"), _entry(entry_id="CPL-000002", **{key: 7})])
    assert _refusal(content) == f"entry 2 has {key!r} of the wrong type"


@pytest.mark.parametrize("key", ["next_update_by", "audit_head_sha256"])
def test_an_optional_top_level_key_of_the_wrong_type_names_the_extract(key: str) -> None:
    assert _refusal(_content(**{key: 7})) == f"the extract has {key!r} of the wrong type"


def test_a_next_update_before_the_issue_says_the_extract_would_be_stale() -> None:
    assert _refusal(_content(next_update_by="2026-11-22T11:59:59Z")) == (
        "next_update_by is before issued_at: the extract would be stale when issued"
    )


@pytest.mark.parametrize("head", ["AB" * 32, "ab" * 31, "ab" * 33])
def test_an_audit_head_that_is_not_a_sha256_in_lower_case_hex_says_so(head: str) -> None:
    assert _refusal(_content(audit_head_sha256=head)) == "audit_head_sha256 is not 64 lower-case hex digits"
