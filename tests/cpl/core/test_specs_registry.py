"""The version registry: how versions are matched, when they are in effect, and its JSON form."""

from __future__ import annotations

import datetime as dt

import pytest

from cpl.core.specs import (
    SpecKind,
    SpecRegistry,
    SpecVersion,
    UnknownVersion,
    registry_from_json,
    registry_to_json,
    version_key,
)

GBCS = SpecKind.GBCS
TS = SpecKind.TECHNICAL_SPECIFICATION

#: GBCS v1.0 stopped being in effect on 7 May 2018 (DOMAIN.md rule 4).
GBCS_1_0 = SpecVersion(GBCS, "v1.0", effective_from=dt.date(2014, 1, 1), end_date=dt.date(2018, 5, 7))
GBCS_1_1 = SpecVersion(GBCS, "v1.1", effective_from=dt.date(2016, 6, 1))
GBCS_4_2 = SpecVersion(GBCS, "v4.2")
CHTS_1_4 = SpecVersion(TS, "CHTS V1.4")
SMETS2_4_2 = SpecVersion(TS, "SMETS2 v4.2", effective_from=dt.date(2019, 3, 1))


def registry(*versions: SpecVersion, note: str = "") -> SpecRegistry:
    return SpecRegistry(versions=versions, note=note)


# --- matching ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text", "key"),
    [
        (TS, "CHTS V1.4", "chts 1.4"),
        (TS, "CHTS v1.4", "chts 1.4"),
        (TS, "CHTS 1.4", "chts 1.4"),
        (TS, "  SMETS2\t v4.2  ", "smets2 4.2"),
        (TS, "SMETS V1.2", "smets 1.2"),
        (TS, "SMETS2 version", "smets2 version"),
        (GBCS, "v4.2", "4.2"),
        (GBCS, "V4.2", "4.2"),
        (GBCS, "4.2", "4.2"),
        (GBCS, " v1.1 ", "1.1"),
        (GBCS, "vx", "vx"),
    ],
)
def test_version_key_ignores_case_white_space_and_the_v_before_the_number(kind: SpecKind, text: str, key: str) -> None:
    assert version_key(kind, text) == key


def test_gbcs_drops_only_a_leading_v_and_technical_specifications_only_a_v_after_a_space() -> None:
    assert version_key(GBCS, "SMETS2 v4.2") == "smets2 v4.2"
    assert version_key(TS, "v4.2") == "v4.2"


@pytest.mark.parametrize("text", ["CHTS v1.4", "CHTS V1.4", "chts 1.4", " CHTS  V1.4 "])
def test_the_dcc_spelling_chts_v1_4_is_the_same_version_as_chts_v1_4(text: str) -> None:
    assert registry(GBCS_4_2, CHTS_1_4).lookup(TS, text) is CHTS_1_4


@pytest.mark.parametrize("text", ["v4.2", "4.2", "V4.2"])
def test_the_gbcs_v_is_optional(text: str) -> None:
    assert registry(GBCS_1_1, GBCS_4_2).lookup(GBCS, text) is GBCS_4_2


def test_a_version_is_looked_up_within_its_kind() -> None:
    gbcs_style_spec = SpecVersion(TS, "4.2")
    reg = registry(GBCS_4_2, gbcs_style_spec)
    assert reg.lookup(GBCS, "4.2") is GBCS_4_2
    assert reg.lookup(TS, "4.2") is gbcs_style_spec
    with pytest.raises(UnknownVersion):
        registry(GBCS_4_2).lookup(TS, "4.2")


def test_an_unknown_version_is_refused_naming_the_text_as_given() -> None:
    with pytest.raises(UnknownVersion) as raised:
        registry(GBCS_1_1, CHTS_1_4).lookup(GBCS, " v9.9")
    assert raised.value.args == (" v9.9",)


def test_of_kind_lists_the_versions_of_that_kind_in_registry_order() -> None:
    reg = registry(GBCS_4_2, CHTS_1_4, GBCS_1_0, SMETS2_4_2)
    assert reg.of_kind(GBCS) == [GBCS_4_2, GBCS_1_0]
    assert reg.of_kind(TS) == [CHTS_1_4, SMETS2_4_2]


# --- effect and end dates -------------------------------------------------------------------------


def test_gbcs_1_0_is_end_dated_from_7_may_2018() -> None:
    assert GBCS_1_0.is_end_dated(dt.date(2018, 5, 6)) is False
    assert GBCS_1_0.is_end_dated(dt.date(2018, 5, 7)) is True
    assert GBCS_1_0.is_end_dated(dt.date(2026, 11, 23)) is True


def test_gbcs_1_0_was_in_effect_until_the_day_before_its_end_date() -> None:
    assert GBCS_1_0.in_effect(dt.date(2018, 5, 6)) is True
    assert GBCS_1_0.in_effect(dt.date(2018, 5, 7)) is False


def test_a_version_is_in_effect_from_its_effective_date() -> None:
    assert GBCS_1_1.in_effect(dt.date(2016, 5, 31)) is False
    assert GBCS_1_1.in_effect(dt.date(2016, 6, 1)) is True
    assert GBCS_1_1.in_effect(dt.date(2026, 11, 23)) is True


def test_a_version_without_dates_is_always_in_effect_and_never_end_dated() -> None:
    assert GBCS_4_2.in_effect(dt.date(2000, 1, 1)) is True
    assert GBCS_4_2.is_end_dated(dt.date(2099, 12, 31)) is False


def test_a_version_not_yet_in_effect_and_one_ended_are_both_out_of_effect() -> None:
    assert GBCS_1_0.in_effect(dt.date(2013, 12, 31)) is False
    assert GBCS_1_0.in_effect(dt.date(2019, 1, 1)) is False


# --- adding and replacing ------------------------------------------------------------------------


def test_with_version_adds_a_new_version_at_the_end() -> None:
    reg = registry(GBCS_1_1, CHTS_1_4, note="v2.051")
    added = reg.with_version(GBCS_4_2)
    assert added.versions == (GBCS_1_1, CHTS_1_4, GBCS_4_2)
    assert added.note == "v2.051"
    assert reg.versions == (GBCS_1_1, CHTS_1_4)


def test_with_version_replaces_the_version_it_matches_and_keeps_the_rest() -> None:
    end_dated = SpecVersion(GBCS, "V1.1", end_date=dt.date(2027, 1, 1))
    reg = registry(GBCS_1_0, GBCS_1_1, CHTS_1_4, SpecVersion(TS, "1.1"))
    replaced = reg.with_version(end_dated)
    assert replaced.versions == (GBCS_1_0, CHTS_1_4, SpecVersion(TS, "1.1"), end_dated)
    assert replaced.lookup(GBCS, "v1.1") is end_dated


def test_with_version_matches_a_technical_specification_by_its_key() -> None:
    renamed = SpecVersion(TS, "CHTS v1.4", end_date=dt.date(2030, 1, 1))
    replaced = registry(CHTS_1_4, SMETS2_4_2).with_version(renamed)
    assert replaced.versions == (SMETS2_4_2, renamed)


# --- JSON ----------------------------------------------------------------------------------------


def test_registry_from_json_reads_kinds_versions_dates_and_note() -> None:
    reg = registry_from_json(
        {
            "note": "CPL v2.051",
            "versions": [
                {"kind": "gbcs", "version": "v1.0", "effective_from": "2014-01-01", "end_date": "2018-05-07"},
                {"kind": "technical_specification", "version": "CHTS V1.4", "effective_from": None, "end_date": ""},
                {"kind": "gbcs", "version": "v4.2"},
            ],
        }
    )
    assert reg == registry(GBCS_1_0, CHTS_1_4, GBCS_4_2, note="CPL v2.051")


def test_registry_from_json_without_a_note_has_an_empty_note() -> None:
    assert registry_from_json({"versions": []}) == SpecRegistry(versions=(), note="")


def test_registry_from_json_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError):
        registry_from_json({"versions": [{"kind": "smets", "version": "v4.2"}]})


def test_registry_to_json_writes_iso_dates_sorted_by_kind_then_version() -> None:
    reg = registry(SMETS2_4_2, GBCS_4_2, CHTS_1_4, GBCS_1_0, note="edited")
    assert registry_to_json(reg) == {
        "note": "edited",
        "versions": [
            {"kind": "gbcs", "version": "v1.0", "effective_from": "2014-01-01", "end_date": "2018-05-07"},
            {"kind": "gbcs", "version": "v4.2", "effective_from": None, "end_date": None},
            {"kind": "technical_specification", "version": "CHTS V1.4", "effective_from": None, "end_date": None},
            {
                "kind": "technical_specification",
                "version": "SMETS2 v4.2",
                "effective_from": "2019-03-01",
                "end_date": None,
            },
        ],
    }


def test_registry_to_json_writes_plain_strings() -> None:
    written = registry_to_json(registry(GBCS_4_2))
    assert type(written["versions"][0]["kind"]) is str


def test_registry_json_round_trips() -> None:
    reg = registry(GBCS_1_0, GBCS_1_1, GBCS_4_2, CHTS_1_4, SMETS2_4_2, note="CPL v2.051")
    assert registry_from_json(registry_to_json(reg)) == reg


# --- other spellings of a version (aliases, as data) --------------------------------------------


def _registry_with_aliases() -> SpecRegistry:
    return SpecRegistry(
        versions=(
            SpecVersion(TS, "SMETS2 v4.2", aliases=("SMETS V4.2",)),
            SpecVersion(GBCS, "v3.2", aliases=("GBCS Version 3.2",)),
        )
    )


@pytest.mark.parametrize(
    ("kind", "spelling", "version"),
    [
        (TS, "SMETS V4.2", "SMETS2 v4.2"),
        (TS, "SMETS V4.2   ", "SMETS2 v4.2"),  # the real list has trailing spaces
        (TS, "smets v4.2", "SMETS2 v4.2"),
        (TS, "SMETS2 V4.2", "SMETS2 v4.2"),
        (GBCS, "GBCS Version 3.2", "v3.2"),
        (GBCS, "gbcs  version 3.2 ", "v3.2"),
        (GBCS, "3.2", "v3.2"),
    ],
)
def test_an_alias_names_the_version_whatever_its_case_and_white_space(
    kind: SpecKind, spelling: str, version: str
) -> None:
    assert _registry_with_aliases().lookup(kind, spelling).version == version


def test_an_alias_of_one_kind_does_not_name_the_other_kind() -> None:
    with pytest.raises(UnknownVersion):
        _registry_with_aliases().lookup(GBCS, "SMETS V4.2")


def test_a_spelling_that_would_name_two_versions_is_refused() -> None:
    with pytest.raises(ValueError) as clash:
        SpecRegistry(
            versions=(SpecVersion(TS, "SMETS2 v4.2"), SpecVersion(TS, "SMETS2 v4.3", aliases=("SMETS2 V4.2",)))
        )
    assert str(clash.value) == "technical_specification 'SMETS2 V4.2' would name both SMETS2 v4.2 and SMETS2 v4.3"


def test_a_version_may_repeat_its_own_spelling_as_an_alias() -> None:
    registry = SpecRegistry(versions=(SpecVersion(TS, "CHTS v1.4", aliases=("CHTS V1.4",)),))
    assert registry.lookup(TS, "chts v1.4").version == "CHTS v1.4"


def test_replacing_a_versions_dates_keeps_its_aliases() -> None:
    ended = _registry_with_aliases().with_version(SpecVersion(TS, "smets2 v4.2", end_date=dt.date(2030, 1, 1)))
    spec = ended.lookup(TS, "SMETS V4.2")
    assert (spec.version, spec.end_date, spec.aliases) == ("smets2 v4.2", dt.date(2030, 1, 1), ("SMETS V4.2",))
    assert len(ended.versions) == 2


def test_replacing_a_version_with_its_own_aliases_takes_them() -> None:
    replaced = _registry_with_aliases().with_version(SpecVersion(TS, "SMETS2 v4.2", aliases=("SMETS-4.2",)))
    assert replaced.lookup(TS, "SMETS-4.2").aliases == ("SMETS-4.2",)
    with pytest.raises(UnknownVersion):
        replaced.lookup(TS, "SMETS V4.2")


def test_aliases_are_read_and_written_with_the_registry_file() -> None:
    data = {
        "note": "",
        "versions": [
            {
                "kind": "gbcs",
                "version": "v3.2",
                "effective_from": None,
                "end_date": None,
                "aliases": ["GBCS Version 3.2"],
            },
            {"kind": "gbcs", "version": "v4.0", "effective_from": None, "end_date": None},
        ],
    }
    registry = registry_from_json(data)
    assert registry.lookup(GBCS, "GBCS Version 3.2").version == "v3.2"
    assert registry_to_json(registry) == data


def test_the_packaged_registry_reads_the_spellings_of_the_secs_own_list() -> None:
    """CPL 2.051's valid versions (DOMAIN.md, 'What the SEC's real list shows'), as that file spells them."""
    from cpl.specs_file import default_registry

    registry = default_registry()
    expected = {
        "CHTS V1.0": "CHTS v1.0",
        "CHTS V1.1": "CHTS v1.1",
        "CHTS V1.3": "CHTS v1.3",
        "CHTS V1.4": "CHTS v1.4",
        "CHTS V1.5": "CHTS v1.5",
        "SMETS V1.2": "SMETS1 v1.2",
        "SMETS V2.0": "SMETS2 v2.0",
        "SMETS V3.1": "SMETS2 v3.1",
        "SMETS V4.2": "SMETS2 v4.2",
        "SMETS V4.3": "SMETS2 v4.3",
        "SMETS V4.4": "SMETS2 v4.4",
        "SMETS V5.0": "SMETS2 v5.0",
        "SMETS V5.1": "SMETS2 v5.1",
    }
    assert {text: registry.lookup(TS, text).version for text in expected} == expected
    gbcs = {f"GBCS Version {n}": f"v{n}" for n in ("1.0", "1.1", "2.0", "2.1", "3.2", "4.0", "4.1")}
    assert {text: registry.lookup(GBCS, text).version for text in gbcs} == gbcs
    assert registry.lookup(GBCS, "GBCS Version 1.0").end_date == dt.date(2018, 5, 7)


def test_a_gbcs_alias_without_its_v_still_clashes_with_the_version_it_spells() -> None:
    with pytest.raises(ValueError) as clash:
        SpecRegistry(versions=(SpecVersion(GBCS, "v1.1"), SpecVersion(GBCS, "v9.9", aliases=("1.1",))))
    assert str(clash.value) == "gbcs '1.1' would name both v1.1 and v9.9"


def test_the_same_spelling_may_name_a_gbcs_version_and_a_technical_specification() -> None:
    registry = SpecRegistry(versions=(SpecVersion(GBCS, "v1.1"), SpecVersion(TS, "1.1", aliases=("v1.1",))))
    assert (registry.lookup(GBCS, "1.1").kind, registry.lookup(TS, "v1.1").kind) == (GBCS, TS)
