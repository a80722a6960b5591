"""The SEC's own CPL workbook read and written as values (CONTRACT.md section 4, cpl.core.sec_list).

The real list (version 2.051) is read twice: by the safe reader and ``parse_sec_list``, and, as the
independent witness, straight from python-calamine with the few conversions written out here. No value
of the file is copied into these tests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import python_calamine
from hypothesis import given, settings
from hypothesis import strategies as st

from cpl.core.domain import CpaKind
from cpl.core.findings import Code, Finding
from cpl.core.sec_list import (
    CPA_SECURITY_CHARACTERISTICS,
    CSV_HEADER,
    DLMS_VERSION,
    LIST_COLUMNS,
    LIST_HEADER_ROWS,
    LIST_SHEET,
    VERSION_GUIDANCE,
    VERSION_SHEET,
    VERSION_TABLE_HEADER,
    VERSION_TITLE,
    ZSE_VERSION,
    SecEntry,
    SecList,
    VersionRecord,
    csv_cells,
    describe_changes,
    history_cells,
    list_cells,
    next_version,
    parse_sec_list,
    sec_device_type,
    sec_version_text,
    version_label,
)
from cpl.core.sheets import CellValue, SheetData, WorkbookData
from cpl.core.specs import SpecKind, SpecRegistry, SpecVersion
from cpl.specs_file import default_registry
from cpl.workbook.reader import read_workbook
from formats.vocabulary import CPL_CONTROLLED_TYPES, PhysicalDeviceType

# --- the real file, and an independent read of it --------------------------------------------------

_REFERENCE = Path("shared") / "reference" / "central_products_list_v2.051.xlsm"


def _real_list_path() -> Path:
    """The SEC's published workbook (version 2.051): ``SEC_CPL_WORKBOOK`` names a copy; else the one in
    ``../shared/reference`` beside the repository, looked for upwards from here, so that a copy of the
    tests inside the repository (the mutation sandboxes under ``.mutation/``) finds it too."""
    named = os.environ.get("SEC_CPL_WORKBOOK")
    if named:
        return Path(named)
    here = Path(__file__).resolve()
    return next((p / _REFERENCE for p in here.parents if (p / _REFERENCE).is_file()), here.parents[4] / _REFERENCE)


REAL_LIST = _real_list_path()


@pytest.fixture(scope="session")
def sec_reference() -> Path:
    """The shared fixture (tests/conftest.py) for the file found above; modules that read it import this."""
    assert REAL_LIST.is_file(), f"the SEC's CPL workbook is expected at {REAL_LIST} (../shared/reference/)"
    return REAL_LIST


needs_real_list = pytest.mark.usefixtures("sec_reference")  # fails, never skips, when the file is missing


@cache
def real_bytes() -> bytes:
    return REAL_LIST.read_bytes()


@cache
def real_parsed() -> SecList:
    return parse_sec_list(read_workbook(real_bytes()), registry())


@cache
def registry() -> SpecRegistry:
    return default_registry()


@cache
def calamine_tab(name: str) -> tuple[tuple[Any, ...], ...]:
    """A tab as python-calamine gives it, row 1 first: the witness the parser is compared with."""
    book = python_calamine.CalamineWorkbook.from_path(str(REAL_LIST))
    return tuple(tuple(row) for row in book.get_sheet_by_name(name).to_python())


def plain(value: Any) -> str:
    """A calamine cell as text: stripped, a whole number without its '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@cache
def witness_columns() -> dict[str, int]:
    """'Group.attribute' -> column index, read from the real tab's first two rows."""
    rows = calamine_tab(LIST_SHEET)
    return {f"{plain(g)}.{plain(a)}": i for i, (g, a) in enumerate(zip(rows[0], rows[1], strict=True)) if i}


@cache
def witness_rows() -> tuple[tuple[int, dict[str, str], dict[str, Any]], ...]:
    """Every entry row below 'Valid values': (spreadsheet row, stripped text by label, raw cell by label)."""
    rows = calamine_tab(LIST_SHEET)
    start = next(i for i, row in enumerate(rows) if plain(row[0]) == "Valid values") + 1
    columns = witness_columns()
    out = []
    for index, row in enumerate(rows[start:], start=start + 1):
        if not any(plain(cell) for cell in row):
            continue
        out.append((index, {k: plain(row[i]) for k, i in columns.items()}, {k: row[i] for k, i in columns.items()}))
    return tuple(out)


def hex_of(text: str, width: int) -> str:
    return text.replace(":", "").upper().zfill(width)


def by_number() -> dict[int, SecEntry]:
    return {entry.number: entry for entry in real_parsed().entries}


# --- the real list read ----------------------------------------------------------------------------


@needs_real_list
def test_every_row_of_the_real_list_is_an_entry_and_reads_without_findings() -> None:
    parsed = real_parsed()
    assert parsed.findings == ()
    witness = witness_rows()
    assert [(e.row, e.number) for e in parsed.entries] == [(row, int(text["Entry.number"])) for row, text, _ in witness]
    # no header-like, blank-numbered or duplicate row hides among them (CONTRACT.md says 728 entries:
    # the file holds one more, every one a well-formed entry with its own number)
    assert all(re.fullmatch(r"[0-9]{6}", text["Entry.number"]) for _, text, _ in witness)
    assert len({e.number for e in parsed.entries}) == len(parsed.entries)


@needs_real_list
def test_the_real_list_keeps_every_status_as_written() -> None:
    statuses = Counter(text["Entry.status"] for _, text, _ in witness_rows())
    parsed = Counter("Current" if e.current else "Removed" for e in real_parsed().entries)
    assert parsed == statuses
    assert set(statuses) == {"Current", "Removed"}


@needs_real_list
def test_every_identifier_and_version_of_the_real_list_is_as_in_the_file() -> None:
    entries = by_number()
    for _, text, _ in witness_rows():
        entry = entries[int(text["Entry.number"])]
        assert sec_device_type(entry.physical_device_type) == text["Device_Type.name"]
        assert entry.manufacturer_id == hex_of(text["Device_Model.manufacturer_identifier"], 4)
        assert entry.model_id == hex_of(text["Device_Model.model_identifier"], 4)
        assert entry.hardware_version == hex_of(text["Device_Model.hardware_version.version"], 2) + hex_of(
            text["Device_Model.hardware_version.revision"], 2
        )
        assert entry.firmware_version == hex_of(text["Device_Model.firmware_version"], 8)
        specification = text["SMETS_CHTS Version.Version_number_and_effective_date"]
        assert (
            entry.technical_specification == registry().lookup(SpecKind.TECHNICAL_SPECIFICATION, specification).version
        )
        assert sec_version_text(SpecKind.TECHNICAL_SPECIFICATION, entry.technical_specification) == specification
        gbcs = text["GBCS Version.version_number"]
        assert sec_version_text(SpecKind.GBCS, entry.gbcs_version) == gbcs


@needs_real_list
def test_every_certificate_hash_and_free_text_of_the_real_list_is_as_in_the_file() -> None:
    entries = by_number()
    for _, text, raw in witness_rows():
        entry = entries[int(text["Entry.number"])]
        cpa = text["CPA_Certificate.identification_number"]
        prefix = {CpaKind.STANDARD: "[E] ", CpaKind.LIFETIME: "[R] ", None: ""}[entry.cpa_kind]
        assert (prefix + (entry.cpa_certificate or "")) == cpa
        date = raw["CPA_Certificate.expiry_date"]
        if isinstance(date, dt.date):
            assert entry.cpa_date == date
        elif plain(date):
            day = plain(date).replace("-", "/")
            assert entry.cpa_date == dt.datetime.strptime(day, "%d/%m/%Y").date()
        else:
            assert entry.cpa_date is None
        image_hash = text["Manufacturer_Image.hash"]
        assert entry.manufacturer_image_hash == (image_hash.replace(":", "").upper() or None)
        if entry.manufacturer_image_hash is not None:
            assert len(entry.manufacturer_image_hash) == 64 and image_hash.count(":") == 31
        for label, value in (
            ("DLMS_Certificate.identification_number", entry.dlms_certificate),
            ("ZSE_Certificate.identification_number", entry.zse_certificate),
            ("Manufacturer_Image.creator", entry.manufacturer_image_creator),
            ("Manufacturer_Image.descriptor", entry.manufacturer_image_descriptor),
        ):
            assert value == (text[label] or None), label
        for label, value in (
            ("CPA_Certificate.security_characteristics_version", entry.cpa_security_characteristics),
            ("DLMS_Certificate.DLMS_version", entry.dlms_version),
            ("ZSE_Certificate.ZSE_version", entry.zse_version),
        ):
            assert (value or "").casefold() == text[label].casefold(), label


@needs_real_list
def test_an_enumerated_value_in_another_case_reads_as_the_secs_spelling() -> None:
    """2.051 writes 'Zigbee Smart Energy Standard 1.4' on some rows; the valid value is 'ZigBee …'."""
    entries = by_number()
    spelled_otherwise = 0
    for column, attribute in (
        (ZSE_VERSION, "zse_version"),
        (CPA_SECURITY_CHARACTERISTICS, "cpa_security_characteristics"),
    ):
        valid = {c.casefold(): c for c in column.choices}
        for _, text, _ in witness_rows():
            written = text[column.label]
            if written.casefold() in valid:
                assert getattr(entries[int(text["Entry.number"])], attribute) == valid[written.casefold()]
                spelled_otherwise += written != valid[written.casefold()]
    assert spelled_otherwise > 0  # the file does hold such a value


@needs_real_list
def test_a_value_off_the_valid_values_is_kept_as_written() -> None:
    """'CTT 3.0' was taken off the DLMS valid values by version 2.009; older entries still cite it."""
    valid = {c.casefold() for c in DLMS_VERSION.choices}
    off_the_list = [
        (int(t["Entry.number"]), t[DLMS_VERSION.label]) for _, t, _ in witness_rows() if t[DLMS_VERSION.label]
    ]
    off_the_list = [(n, v) for n, v in off_the_list if v.casefold() not in valid]
    assert off_the_list
    entries = by_number()
    assert all(entries[number].dlms_version == written for number, written in off_the_list)


@needs_real_list
def test_one_device_model_under_two_versions_is_two_entries() -> None:
    """CONTRACT.md 4.1: pairs that differ only in SMETS/CHTS and GBCS version are each a real entry."""
    groups: dict[tuple[str, ...], list[tuple[int, str, str]]] = defaultdict(list)
    model_columns = (
        "Device_Type.name",
        "Device_Model.manufacturer_identifier",
        "Device_Model.model_identifier",
        "Device_Model.hardware_version.version",
        "Device_Model.hardware_version.revision",
        "Device_Model.firmware_version",
    )
    for _, text, _ in witness_rows():
        versions = (text["SMETS_CHTS Version.Version_number_and_effective_date"], text["GBCS Version.version_number"])
        groups[tuple(text[c].upper() for c in model_columns)].append((int(text["Entry.number"]), *versions))
    pairs = [group for group in groups.values() if len(group) > 1]
    assert len(pairs) >= 12
    entries = by_number()
    for group in pairs:
        assert len({(specification, gbcs) for _, specification, gbcs in group}) == len(
            group
        )  # versions tell them apart
        read = [entries[number] for number, _, _ in group]
        assert len({(e.technical_specification, e.gbcs_version) for e in read}) == len(group)
        assert (
            len(
                {
                    (e.physical_device_type, e.manufacturer_id, e.model_id, e.hardware_version, e.firmware_version)
                    for e in read
                }
            )
            == 1
        )


@needs_real_list
def test_smets1_entries_have_no_gbcs_version() -> None:
    entries = by_number()
    smets1 = [
        int(t["Entry.number"]) for _, t, _ in witness_rows() if t["GBCS Version.version_number"] == "GBCS Version 0.0"
    ]
    assert smets1
    for number in smets1:
        assert entries[number].gbcs_version is None
        assert entries[number].technical_specification.startswith("SMETS1")
    assert sum(e.gbcs_version is None for e in entries.values()) == len(smets1)


@needs_real_list
def test_current_entries_on_the_end_dated_gbcs_1_0_are_kept() -> None:
    """GBCS 1.0 was end-dated on 7 May 2018; an end date refuses new submissions, never a listed entry."""
    gbcs_1_0 = registry().lookup(SpecKind.GBCS, "GBCS Version 1.0")
    witness = sum(
        1
        for _, t, _ in witness_rows()
        if t["Entry.status"] == "Current" and re.fullmatch(r"GBCS Version 1\.0", t["GBCS Version.version_number"])
    )
    kept = [e for e in real_parsed().entries if e.current and e.gbcs_version == gbcs_1_0.version]
    assert witness > 0 and len(kept) == witness
    issued = real_parsed().issued
    assert issued is not None and gbcs_1_0.is_end_dated(issued)


@needs_real_list
def test_the_real_history_and_version_are_as_in_the_file() -> None:
    rows = calamine_tab(VERSION_SHEET)
    header = next(i for i, row in enumerate(rows) if plain(row[0]).startswith("Version Number"))
    witness = [
        VersionRecord(plain(row[0]), dt.datetime.strptime(plain(row[1]), "%d/%m/%Y").date(), str(row[2]).strip())
        for row in rows[header + 1 :]
        if plain(row[0])
    ]
    parsed = real_parsed()
    assert list(parsed.history) == witness
    label = next(plain(row[0]) for row in rows[:header] if plain(row[0]).startswith("Version "))
    assert version_label(parsed.version or "", parsed.issued or dt.date.min) == label
    assert (parsed.version, parsed.issued) == (witness[-1].version, witness[-1].issued)


@needs_real_list
def test_the_layout_texts_are_the_real_files() -> None:
    rows = calamine_tab(LIST_SHEET)
    assert [tuple(str(c) for c in row) for row in rows[: len(LIST_HEADER_ROWS)]] == list(LIST_HEADER_ROWS)
    assert tuple(calamine_tab("CPL - saveable in CSV")[0]) == CSV_HEADER
    version_rows = calamine_tab(VERSION_SHEET)
    first_cells = [str(row[0]) for row in version_rows]
    assert first_cells[0] == VERSION_TITLE
    assert all(sentence in first_cells for sentence in VERSION_GUIDANCE)
    assert tuple(str(c) for c in next(r for r in version_rows if str(r[0]).startswith("Version Number"))) == (
        VERSION_TABLE_HEADER
    )


@needs_real_list
def test_the_csv_cells_are_the_real_csv_tabs_rows() -> None:
    csv_rows = calamine_tab("CPL - saveable in CSV")[1:]
    entries = real_parsed().entries
    assert len(csv_rows) == len(entries)
    for row, entry in zip(csv_rows, entries, strict=True):
        label = plain(row[0])
        assert tuple(plain(c) for c in row) == csv_cells(entry, label)


@needs_real_list
def test_the_list_cells_are_the_real_lists_rows() -> None:
    """Every written cell is the file's, white space aside: colon hex, prefixes, the date cell."""
    rows = calamine_tab(LIST_SHEET)
    for entry in real_parsed().entries:
        real = rows[entry.row - 1]
        for column, (written, cell) in enumerate(zip(list_cells(entry), real, strict=True)):
            if isinstance(written, dt.date):
                assert (
                    written == cell or written == dt.datetime.strptime(plain(cell).replace("-", "/"), "%d/%m/%Y").date()
                )
            elif column in (witness_columns()[ZSE_VERSION.label],):
                assert str(written or "").casefold() == plain(cell).casefold()
            else:
                assert (written or "") == hex_or_text(cell, written), (entry.number, column)


def hex_or_text(cell: Any, written: Any) -> str:
    """The real cell as the writer spells it: a hardware octet stored as a number gets its two digits."""
    text = plain(cell)
    if isinstance(cell, float) and isinstance(written, str) and len(written) == 2:
        return text.zfill(2)
    return text


@needs_real_list
def test_the_secs_own_sentences_for_added_models_are_reproduced() -> None:
    """Every history entry of the form 'Two new SMETS2 device models added:' + lines, whose entries are
    still on the list, is written again word for word from the entries and their names."""
    entries = by_number()
    heading = re.compile(
        r"(?:One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten|[0-9]+) new SMETS[12] device models? added:"
    )
    reproduced = 0
    for record in real_parsed().history:
        lines = record.changes.split("\r\n")
        if not heading.fullmatch(lines[0]) or not all(re.fullmatch(r"[0-9]{6} - .+", line) for line in lines[1:]):
            continue
        numbers = [int(line[:6]) for line in lines[1:]]
        if not numbers or any(number not in entries for number in numbers):
            continue
        names = {}
        for number, line in zip(numbers, lines[1:], strict=True):
            firmware = ":".join(re.findall("..", entries[number].firmware_version))
            names[number] = line[9:].removesuffix(" " + firmware)  # the writer adds the firmware back
        assert describe_changes([entries[n] for n in numbers], names=names) == record.changes, record.version
        reproduced += 1
    assert reproduced > 0


# --- writing helpers -------------------------------------------------------------------------------


def test_versions_are_spelled_as_the_sec_spells_them() -> None:
    ts, gbcs = SpecKind.TECHNICAL_SPECIFICATION, SpecKind.GBCS
    assert sec_version_text(ts, "SMETS2 v4.2") == "SMETS V4.2"
    assert sec_version_text(ts, "SMETS1 v1.2") == "SMETS V1.2"
    assert sec_version_text(ts, "CHTS v1.0") == "CHTS V1.0"
    assert sec_version_text(gbcs, "v3.2") == "GBCS Version 3.2"
    assert sec_version_text(gbcs, None) == "GBCS Version 0.0"


def test_every_registry_version_reads_back_from_its_sec_spelling() -> None:
    for kind in SpecKind:
        for spec in registry().of_kind(kind):
            entry = dataclasses.replace(
                sample_entry(),
                technical_specification=spec.version if kind is SpecKind.TECHNICAL_SPECIFICATION else "SMETS2 v4.2",
                gbcs_version=spec.version if kind is SpecKind.GBCS else "v3.2",
            )
            assert parsed_entries([entry]) == [entry], spec.version


def test_the_ppmid_and_the_hcalcs_are_spelled_as_the_sec_spells_them() -> None:
    assert sec_device_type(PhysicalDeviceType.PPMID) == "Pre-Payment Interface Device"
    assert sec_device_type(PhysicalDeviceType.HCALCS) == "HAN Connected Auxiliary Load Control Switch"
    assert sec_device_type(PhysicalDeviceType.GAS_SMART_METER) == "Gas Smart Meter"


def test_the_version_label_and_the_next_version() -> None:
    assert version_label("2.051", dt.date(2022, 9, 21)) == "Version 2.051 Issued on 21-09-2022"
    assert next_version("2.051") == "2.052"
    assert next_version("2.099") == "2.100"
    # the SEC's counter is a count, not a decimal: 1.9 was followed by 1.10
    assert next_version("1.9") == "1.10"
    assert next_version("2.999") == "2.1000"
    with pytest.raises(ValueError):
        next_version("two")


def test_changes_are_described_in_the_secs_words() -> None:
    smets2 = sample_entry()
    smets1 = dataclasses.replace(sample_entry(), number=725, technical_specification="SMETS1 v1.2", gbcs_version=None)
    other = dataclasses.replace(smets2, number=124)
    assert describe_changes() == "-"
    assert describe_changes([smets2], names={123: "Maker GSME"}) == (
        "One new SMETS2 device model added:\r\n000123 - Maker GSME 12:40:74:DA"
    )
    assert describe_changes([other, smets1, smets2], names={123: "A", 124: "B 12:40:74:DA", 725: "C"}) == (
        "Two new SMETS2 device models added:\r\n000123 - A 12:40:74:DA\r\n000124 - B 12:40:74:DA\r\n"
        "One new SMETS1 device model added:\r\n000725 - C 12:40:74:DA"
    )
    assert describe_changes(removed=[smets2]) == (
        "One device model removed:\r\n000123 - Gas Smart Meter, manufacturer 10:6C, model 43:31, "
        "hardware 00:AC, firmware 12:40:74:DA"
    )
    restored = describe_changes(restored=[smets2, other], changed=[smets1], names={123: "A", 124: "B", 725: "C"})
    assert restored == (
        "Two device models, status changed to Current:\r\n000123 - A 12:40:74:DA\r\n000124 - B 12:40:74:DA\r\n"
        "One device model updated:\r\n000725 - C 12:40:74:DA"
    )
    many = [dataclasses.replace(smets2, number=n) for n in range(1, 13)]
    assert describe_changes(many).startswith("12 new SMETS2 device models added:\r\n000001 - ")


def test_gbcs_versions_are_spelled_the_secs_way_whatever_the_registry_writes() -> None:
    for version in ("v3.2", "V3.2", "3.2", " v3.2 "):
        assert sec_version_text(SpecKind.GBCS, version) == "GBCS Version 3.2", version


def test_a_technical_specification_is_never_none() -> None:
    with pytest.raises(ValueError, match=r"^a technical specification version is always given$"):
        sec_version_text(SpecKind.TECHNICAL_SPECIFICATION, None)
    with pytest.raises(ValueError, match=r"^'two' is not a version number like 2\.051$"):
        next_version("two")


def test_ten_entries_are_counted_in_words_and_a_removal_is_one_paragraph_whatever_the_generation() -> None:
    """The SEC counts in words ('Two new SMETS2 device models added:', 'Twelve …', 'Sixteen …' in 2.051);
    only additions are told apart by generation."""
    ten = [dataclasses.replace(sample_entry(), number=n) for n in range(1, 11)]
    assert describe_changes(ten).startswith("Ten new SMETS2 device models added:\r\n000001 - ")
    smets1 = dataclasses.replace(sample_entry(), number=725, technical_specification="SMETS1 v1.2", gbcs_version=None)
    removed = describe_changes(removed=[smets1, sample_entry()], names={123: "A", 725: "C"})
    assert removed == "Two device models removed:\r\n000123 - A 12:40:74:DA\r\n000725 - C 12:40:74:DA"


# --- values written and read back (pure) -----------------------------------------------------------


def sample_entry(**changes: Any) -> SecEntry:
    entry = SecEntry(
        number=123,
        current=True,
        physical_device_type=PhysicalDeviceType.GAS_SMART_METER,
        manufacturer_id="106C",
        model_id="4331",
        hardware_version="00AC",
        firmware_version="124074DA",
        technical_specification="SMETS2 v4.2",
        gbcs_version="v3.2",
        cpa_certificate="NCSC-1",
        cpa_kind=CpaKind.STANDARD,
        cpa_security_characteristics="Security Characteristics version 1.2",
        cpa_date=dt.date(2027, 1, 31),
        dlms_certificate=None,
        dlms_version=None,
        zse_certificate="ZIG1",
        zse_version="ZigBee Smart Energy Standard 1.4",
        manufacturer_image_creator="Maker",
        manufacturer_image_hash="AB" * 32,
        manufacturer_image_descriptor="Complete image",
        row=8,
    )
    return dataclasses.replace(entry, **changes)


HISTORY_HEADER_ROW = 10


def version_control_sheet(history: Sequence[Sequence[CellValue]] = (("2.051", "21/09/2022", "Changes."),)) -> SheetData:
    label: tuple[CellValue, ...] = ("Version 2.051 Issued on 21-09-2022", None, None)
    rows: tuple[tuple[int, tuple[CellValue, ...]], ...] = ((3, label), (HISTORY_HEADER_ROW, VERSION_TABLE_HEADER))
    rows += tuple((HISTORY_HEADER_ROW + 1 + i, tuple(cells)) for i, cells in enumerate(history))
    return SheetData(VERSION_SHEET, (VERSION_TITLE,), rows)


def list_sheet(
    entry_rows: Sequence[Sequence[CellValue]],
    header_rows: Sequence[Sequence[CellValue]] = LIST_HEADER_ROWS,
    formula_cells: frozenset[tuple[int, int]] = frozenset(),
) -> SheetData:
    """The list tab as the safe reader hands it over: row 1 as the header, the rest numbered."""
    grid = [tuple(r) for r in header_rows] + [tuple(r) for r in entry_rows]
    return SheetData(
        LIST_SHEET,
        tuple(str(c) for c in grid[0]),
        tuple((number, row) for number, row in enumerate(grid[1:], start=2)),
        formula_cells,
    )


def workbook_of(list_tab: SheetData | None, version_tab: SheetData | None = None) -> WorkbookData:
    version_tab = version_tab if version_tab is not None else version_control_sheet()
    return WorkbookData(tuple(s for s in (version_tab, list_tab) if s is not None))


def parsed(entry_rows: Sequence[Sequence[CellValue]]) -> SecList:
    return parse_sec_list(workbook_of(list_sheet(entry_rows)), registry())


def parsed_entries(entries: Sequence[SecEntry]) -> list[SecEntry]:
    result = parsed([list_cells(e) for e in entries])
    assert result.findings == ()
    return list(result.entries)


_TEXT = st.text(
    st.characters(categories=("L", "N", "P", "S", "Zs"), include_characters="\n\r", exclude_characters="\ufffe\uffff"),
    min_size=1,
    max_size=24,
)
FREE_TEXT = _TEXT.map(str.strip).filter(bool)


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def enumerated(choices: Sequence[str]) -> st.SearchStrategy[str | None]:
    """A valid value, or text that is none of them in any spelling (kept as written)."""
    spelled = {_letters(c) for c in choices}
    others = FREE_TEXT.filter(lambda t: _letters(t) not in spelled)
    return st.none() | st.sampled_from(list(choices)) | others


def hex_digits(octets: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=octets, max_size=octets).map(lambda b: b.hex().upper())


_CPA_KINDS = st.sampled_from([CpaKind.STANDARD, CpaKind.LIFETIME, None])


@st.composite
def cpa_certificates(draw: st.DrawFn) -> tuple[str | None, CpaKind | None]:
    number = draw(st.none() | FREE_TEXT)
    if number is None:
        return None, None
    kind = draw(_CPA_KINDS)
    if kind is None and number.startswith("["):
        number = number.lstrip("[").strip() or "NCSC"
    return number, kind


# strategies made once: hypothesis validates a strategy the first time it draws from it
_MANUFACTURER_IDS = hex_digits(2).filter(lambda h: h != "FFFF")
_MODEL_IDS = hex_digits(2).filter(lambda h: int(h, 16) <= 0xFFBF)
_HARDWARE, _FIRMWARE, _HASHES = hex_digits(2), hex_digits(4), st.none() | hex_digits(32)
_SPECIFICATIONS = st.sampled_from([v.version for v in registry().of_kind(SpecKind.TECHNICAL_SPECIFICATION)])
_GBCS_VERSIONS = st.none() | st.sampled_from([v.version for v in registry().of_kind(SpecKind.GBCS)])
_TYPES = st.sampled_from(sorted(CPL_CONTROLLED_TYPES))
_SECURITY, _DLMS, _ZSE = (enumerated(c.choices) for c in (CPA_SECURITY_CHARACTERISTICS, DLMS_VERSION, ZSE_VERSION))
_OPTIONAL_TEXT = st.none() | FREE_TEXT
_DATES = st.none() | st.dates(dt.date(1901, 1, 1), dt.date(9999, 12, 31))
_NUMBERS = st.integers(1, 999_999)


@st.composite
def sec_entries(draw: st.DrawFn) -> SecEntry:
    cpa, kind = draw(cpa_certificates())
    return SecEntry(
        number=draw(_NUMBERS),
        current=draw(st.booleans()),
        physical_device_type=draw(_TYPES),
        manufacturer_id=draw(_MANUFACTURER_IDS),
        model_id=draw(_MODEL_IDS),
        hardware_version=draw(_HARDWARE),
        firmware_version=draw(_FIRMWARE),
        technical_specification=draw(_SPECIFICATIONS),
        gbcs_version=draw(_GBCS_VERSIONS),
        cpa_certificate=cpa,
        cpa_kind=kind,
        cpa_security_characteristics=draw(_SECURITY),
        cpa_date=draw(_DATES),
        dlms_certificate=draw(_OPTIONAL_TEXT),
        dlms_version=draw(_DLMS),
        zse_certificate=draw(_OPTIONAL_TEXT),
        zse_version=draw(_ZSE),
        manufacturer_image_creator=draw(_OPTIONAL_TEXT),
        manufacturer_image_hash=draw(_HASHES),
        manufacturer_image_descriptor=draw(_OPTIONAL_TEXT),
        row=0,
    )


def entry_lists(max_size: int = 6) -> st.SearchStrategy[list[SecEntry]]:
    return st.lists(sec_entries(), min_size=1, max_size=max_size, unique_by=lambda e: e.number)


def at_rows(entries: Sequence[SecEntry], first: int = len(LIST_HEADER_ROWS) + 1) -> list[SecEntry]:
    return [dataclasses.replace(e, row=first + i) for i, e in enumerate(entries)]


@settings(max_examples=100, deadline=None)
@given(entry_lists())
def test_any_entry_written_as_list_cells_reads_back_the_same(entries: list[SecEntry]) -> None:
    assert parsed_entries(entries) == at_rows(entries)


#: The columns whose values read the same in any case (free text keeps its case).
CASE_BLIND = {c.label for c in LIST_COLUMNS[:10]} | {LIST_COLUMNS[18].label}
ENUMERATED = {CPA_SECURITY_CHARACTERISTICS, DLMS_VERSION, ZSE_VERSION}
SPACES = st.text(" \t\n", max_size=3)
_RECASE = st.sampled_from([str.lower, str.upper, str.swapcase, str.title])
_PREFIXES = st.sampled_from(["[{} ] ", "[ {}]", "[{}]  "])


@st.composite
def respelled(draw: st.DrawFn, cells: tuple[CellValue, ...]) -> tuple[CellValue, ...]:
    """The same cells with white space around every text, and case changed wherever case is no matter."""
    out: list[CellValue] = [cells[0]]
    for column, value in zip(LIST_COLUMNS, cells[1:], strict=True):
        if not isinstance(value, str):
            out.append(value)
            continue
        case_blind = column.label in CASE_BLIND or (column in ENUMERATED and value in column.choices)
        if case_blind:
            value = draw(_RECASE)(value)
        elif value.startswith(("[E] ", "[R] ")):
            value = draw(_PREFIXES).format(value[1].lower()) + value[4:]
        out.append(draw(SPACES) + value + draw(SPACES))
    return tuple(out)


@settings(max_examples=100, deadline=None)
@given(st.data(), sec_entries())
def test_white_space_and_case_never_matter(data: st.DataObject, entry: SecEntry) -> None:
    cells = list_cells(entry)
    assert (
        parsed([data.draw(respelled(cells))]).entries == parsed([cells]).entries == (dataclasses.replace(entry, row=8),)
    )


def test_columns_are_found_by_their_headings_not_their_place() -> None:
    entries = [sample_entry(), sample_entry(number=124, firmware_version="00000001")]
    order = [0, *reversed(range(1, len(LIST_COLUMNS) + 1))]

    def shuffle(row: Sequence[CellValue]) -> tuple[CellValue, ...]:
        return tuple(row[i] for i in order)

    result = parse_sec_list(
        workbook_of(list_sheet([shuffle(list_cells(e)) for e in entries], [shuffle(r) for r in LIST_HEADER_ROWS])),
        registry(),
    )
    assert result.findings == () and list(result.entries) == at_rows(entries)


def test_a_group_written_once_over_its_columns_carries_on() -> None:
    """A merged group cell reads as its first column only; the columns to its right belong to it."""
    groups = list(LIST_HEADER_ROWS[0])
    for index in range(len(groups) - 1, 1, -1):
        if groups[index] == groups[index - 1]:
            groups[index] = ""
    result = parse_sec_list(
        workbook_of(list_sheet([list_cells(sample_entry())], [tuple(groups), *LIST_HEADER_ROWS[1:]])), registry()
    )
    assert result.findings == () and list(result.entries) == [sample_entry()]


def test_number_cells_read_as_the_digits_they_show() -> None:
    """2.051 stores some hardware octets as numbers (12 for '12'); Excel drops a leading zero (5 for '05')."""
    cells = list(list_cells(sample_entry(hardware_version="1205")))
    cells[6], cells[7], cells[1] = 12.0, 5, 123.0
    assert parsed([cells]).entries == (sample_entry(hardware_version="1205"),)


def test_cpa_dates_read_from_date_cells_and_day_first_text() -> None:
    for written in (dt.date(2027, 1, 31), dt.datetime(2027, 1, 31), "31/01/2027", "31-01-2027", " 2027-01-31 "):
        cells = list(list_cells(sample_entry()))
        cells[13] = written
        assert parsed([cells]).entries == (sample_entry(),), written


def test_a_cpa_number_without_a_prefix_has_no_kind() -> None:
    entry = sample_entry(cpa_certificate="SMCH60812475", cpa_kind=None)
    assert parsed_entries([entry]) == [entry]


# --- bad input: one finding each, at its row and column --------------------------------------------


def only_finding(result: SecList) -> Finding:
    assert len(result.findings) == 1, result.findings
    return result.findings[0]


def with_cell(column_label: str, value: CellValue, entry: SecEntry | None = None) -> list[CellValue]:
    cells = list(list_cells(entry or sample_entry()))
    cells[1 + [c.label for c in LIST_COLUMNS].index(column_label)] = value
    return cells


HASH_31 = ":".join(["AB"] * 31)
HASH_GG = "AB:CD:" + ":".join(["GG"] * 30)
TYPES = (
    "Communications Hub, Gas Smart Meter, HAN Connected Auxiliary Load Control Switch, "
    "Polyphase Electricity Metering Equipment, Pre-Payment Interface Device, "
    "Single Element Electricity Metering Equipment, Twin Element Electricity Metering Equipment"
)
TYPE_2 = "is not a type on the CPL: Type 2 Devices, IHDs among them, are never listed."

#: One bad cell, its code and the whole sentence the finding says: the attribute in words, the value as
#: written, what is wrong and (for hex) the SEC's own example of the format.
BAD_CELLS = [
    pytest.param(
        "Manufacturer_Image.hash",
        HASH_31,
        Code.F002,
        f"The Manufacturer Image hash {HASH_31!r} has 31 octets; it takes 32, like 13:7E:…:E9, 32 octets.",
        id="31-octet hash",
    ),
    pytest.param(
        "Manufacturer_Image.hash",
        HASH_GG,
        Code.F002,
        f"The Manufacturer Image hash {HASH_GG!r} is not hex octets written like 13:7E:…:E9, 32 octets.",
        id="bad hex hash",
    ),
    pytest.param(
        "CPA_Certificate.identification_number",
        "[X] NCSC-1",
        Code.F002,
        "The CPA certificate '[X] NCSC-1' has the prefix [X]: a CPA certificate is [E] (standard) or [R] (lifetime).",
        id="X prefix",
    ),
    pytest.param(
        "CPA_Certificate.identification_number",
        "[E] ",
        Code.F002,
        "The CPA certificate '[E]' has a prefix but no certificate number.",
        id="bare prefix",
    ),
    pytest.param(
        "SMETS_CHTS Version.Version_number_and_effective_date",
        "SMETS V9.9",
        Code.V001,
        "The SMETS/CHTS version 'SMETS V9.9' is not a known SMETS or CHTS version.",
        id="spec",
    ),
    pytest.param(
        "GBCS Version.version_number",
        "GBCS Version 9.9",
        Code.V001,
        "The GBCS version 'GBCS Version 9.9' is not a known GBCS version.",
        id="gbcs",
    ),
    pytest.param("Device_Type.name", "IHD", Code.C006, f"The Physical Device Type 'IHD' {TYPE_2}", id="IHD"),
    pytest.param(
        "Device_Type.name",
        "Type 2 Device",
        Code.C006,
        f"The Physical Device Type 'Type 2 Device' {TYPE_2}",
        id="Type 2 Device",
    ),
    pytest.param(
        "Device_Type.name",
        "Standalone Auxiliary Proportional Controller",
        Code.C006,
        "The Physical Device Type 'Standalone Auxiliary Proportional Controller' is not a type on the CPL: it is "
        "listed as Single Element Electricity Metering Equipment.",
        id="SAPC",
    ),
    pytest.param(
        "Device_Type.name",
        "Toaster",
        Code.F002,
        f"The Physical Device Type 'Toaster' is not one of the seven types: {TYPES}.",
        id="unknown type",
    ),
    pytest.param("Device_Model.firmware_version", "", Code.F001, "The firmware version is required.", id="no firmware"),
    pytest.param(
        "Device_Model.firmware_version",
        "12:40:74",
        Code.F002,
        "The firmware version '12:40:74' has 3 octets; it takes 4, like 12:40:74:DA.",
        id="short firmware",
    ),
    pytest.param(
        "Device_Model.firmware_version",
        "12:40:74:DG",
        Code.F002,
        "The firmware version '12:40:74:DG' is not hex octets written like 12:40:74:DA.",
        id="bad hex firmware",
    ),
    pytest.param(
        "Device_Model.manufacturer_identifier",
        "FF:FF",
        Code.F002,
        "The manufacturer identifier FF:FF is outside 00:00 to FF:FE (FF:FF has a special meaning).",
        id="manufacturer FFFF",
    ),
    pytest.param(
        "Device_Model.manufacturer_identifier",
        "10:6G",
        Code.F002,
        "The manufacturer identifier '10:6G' is not hex octets written like 10:6C.",
        id="bad hex manufacturer",
    ),
    pytest.param(
        "Device_Model.manufacturer_identifier",
        "10",
        Code.F002,
        "The manufacturer identifier '10' has 1 octet; it takes 2, like 10:6C.",
        id="one-octet manufacturer",
    ),
    pytest.param(
        "Device_Model.model_identifier",
        "FF:C0",
        Code.F002,
        "The model identifier FF:C0 is outside 00:00 to FF:BF (higher values have special meanings).",
        id="model FFC0",
    ),
    pytest.param(
        "Device_Model.model_identifier",
        "43:3G",
        Code.F002,
        "The model identifier '43:3G' is not hex octets written like 43:31.",
        id="bad hex model",
    ),
    pytest.param(
        "Device_Model.hardware_version.revision",
        "ACE",
        Code.F002,
        "The hardware revision 'ACE' is not hex written like AC.",
        id="odd digits",
    ),
    pytest.param(
        "Device_Model.hardware_version.version",
        "0A:0B",
        Code.F002,
        "The hardware version '0A:0B' has 2 octets; it takes 1, like AC.",
        id="two-octet hardware",
    ),
    pytest.param(
        "Entry.number",
        "123",
        Code.F002,
        "The entry number '123' is not six digits from 000001 to 999999.",
        id="number not 6 digits",
    ),
    pytest.param(
        "Entry.number",
        "000000",
        Code.F002,
        "The entry number '000000' is not six digits from 000001 to 999999.",
        id="number 0",
    ),
    pytest.param(
        "Entry.number",
        1_000_000,
        Code.F002,
        "The entry number '1000000' is not six digits from 000001 to 999999.",
        id="number cell over 999999",
    ),
    pytest.param(
        "Entry.number",
        0.0,
        Code.F002,
        "The entry number '0' is not six digits from 000001 to 999999.",
        id="number cell 0",
    ),
    pytest.param("Entry.number", None, Code.F001, "The entry number is required.", id="no number"),
    pytest.param(
        "Entry.status", "Withdrawn", Code.F002, "The entry status 'Withdrawn' is not Current or Removed.", id="status"
    ),
    pytest.param("Entry.status", "  ", Code.F001, "The entry status is required.", id="no status"),
    pytest.param(
        "CPA_Certificate.expiry_date",
        "31/02/2027",
        Code.F002,
        "The CPA expiry or renewal date '31/02/2027' is not a date.",
        id="31 February",
    ),
    pytest.param(
        "CPA_Certificate.expiry_date",
        "next year",
        Code.F002,
        "The CPA expiry or renewal date 'next year' is not a date written dd/mm/yyyy.",
        id="not a date",
    ),
    pytest.param("GBCS Version.version_number", None, Code.F001, "The GBCS version is required.", id="no gbcs"),
]


@pytest.mark.parametrize(("column", "value", "code", "message"), BAD_CELLS)
def test_a_bad_cell_is_one_finding_at_its_row_and_column(
    column: str, value: CellValue, code: Code, message: str
) -> None:
    good = list_cells(sample_entry(number=1))
    result = parsed([good, with_cell(column, value)])
    assert result.findings == (Finding(code, LIST_SHEET, 9, column, message),)
    assert [e.number for e in result.entries] == [1]  # the bad row is left out, the good one kept


@pytest.mark.parametrize(("column", "value", "code", "message"), BAD_CELLS[:3])
def test_a_bad_row_above_a_good_one_leaves_the_good_one_read(
    column: str, value: CellValue, code: Code, message: str
) -> None:
    result = parsed([with_cell(column, value), list_cells(sample_entry(number=2))])
    assert [(f.code, f.row) for f in result.findings] == [(code, 8)]
    assert [e.number for e in result.entries] == [2]


def test_a_number_used_twice_is_a_finding_on_its_second_row_and_the_rows_after_it_are_read() -> None:
    result = parsed(
        [
            list_cells(sample_entry()),
            list_cells(sample_entry(firmware_version="00000002")),
            list_cells(sample_entry(number=124)),
        ]
    )
    assert result.findings == (
        Finding(
            Code.D002,
            LIST_SHEET,
            9,
            "Entry.number",
            "Entry number 000123 is also on row 8; an entry number is never used twice.",
        ),
    )
    assert [(e.number, e.row) for e in result.entries] == [(123, 8), (124, 10)]


@pytest.mark.parametrize("missing", [c.label for c in LIST_COLUMNS])
def test_a_missing_column_is_one_finding(missing: str) -> None:
    index = 1 + [c.label for c in LIST_COLUMNS].index(missing)
    column = LIST_COLUMNS[index - 1]

    def drop(row: Sequence[CellValue]) -> tuple[CellValue, ...]:
        return tuple(c for i, c in enumerate(row) if i != index)

    result = parse_sec_list(
        workbook_of(list_sheet([drop(list_cells(sample_entry()))], [drop(r) for r in LIST_HEADER_ROWS])), registry()
    )
    # the groups are on row 1 and the attributes on row 2, as in version 2.051
    message = f"The tab has no column headed '{column.group}' (row 1) and '{column.attribute}' (row 2)."
    assert result.findings == (Finding(Code.WB002, LIST_SHEET, 2, missing, message),)
    assert result.entries == ()


def test_a_missing_tab_or_header_row_is_one_finding() -> None:
    no_list = parse_sec_list(workbook_of(None), registry())
    assert no_list.findings == (
        Finding(Code.WB002, LIST_SHEET, None, None, "The workbook has no 'Central Products List' tab."),
    )
    no_history = parse_sec_list(WorkbookData((list_sheet([list_cells(sample_entry())]),)), registry())
    assert no_history.findings == (
        Finding(Code.WB002, VERSION_SHEET, None, None, "The workbook has no 'Version Control' tab."),
    )
    assert no_history.entries == (sample_entry(),) and no_history.history == ()
    assert (no_history.version, no_history.issued) == (None, None)
    headers = [r for r in LIST_HEADER_ROWS if r[0] != "Valid values"]
    no_valid_values = parse_sec_list(workbook_of(list_sheet([], headers)), registry())
    assert no_valid_values.findings == (
        Finding(Code.WB002, LIST_SHEET, None, None, "The tab has no row headed 'Valid values' in column A."),
    )


def test_a_formula_is_never_trusted() -> None:
    result = parse_sec_list(
        workbook_of(list_sheet([list_cells(sample_entry())], formula_cells=frozenset({(8, 8)}))), registry()
    )
    assert result.findings == (
        Finding(
            Code.F002,
            LIST_SHEET,
            8,
            "Device_Model.firmware_version",
            "The firmware version holds a formula; enter the value itself.",
        ),
    )


def test_a_row_with_nothing_in_the_lists_columns_is_no_entry() -> None:
    assert parsed([list_cells(sample_entry()), (None,) * (len(LIST_COLUMNS) + 1)]).findings == ()
    # a reader may hand over an empty row as only a few empty cells
    assert parsed([list_cells(sample_entry()), (None, None, " ")]).entries == (sample_entry(),)


def test_rows_with_no_cells_at_all_are_passed_over() -> None:
    """A reader may hand over an empty row as no cells at all: above the headings, between entries, at the end."""
    header_rows = [(), *LIST_HEADER_ROWS[1:]]
    sheet = list_sheet([(), list_cells(sample_entry()), ()], [LIST_HEADER_ROWS[0], *header_rows])
    result = parse_sec_list(workbook_of(sheet), registry())
    assert result.findings == ()
    assert result.entries == (sample_entry(row=10),)


def test_a_row_cut_short_after_its_last_value_reads_the_rest_as_empty() -> None:
    """Readers drop a row's empty cells at its end: the columns beyond them are empty, not an error."""
    entry = sample_entry(
        manufacturer_image_creator=None, manufacturer_image_hash=None, manufacturer_image_descriptor=None
    )
    cells = list_cells(entry)
    assert cells[-3:] == (None, None, None)
    assert parsed([cells[:-3]]).entries == (entry,)


def test_header_rows_of_different_lengths_still_name_every_column() -> None:
    """The group row may stop where its last group starts (a merged cell), or run on past the attributes."""
    groups = list(LIST_HEADER_ROWS[0])
    for index in range(len(groups) - 1, 1, -1):
        if groups[index] == groups[index - 1]:
            groups[index] = ""
    while not groups[-1]:
        groups.pop()
    assert len(groups) < len(LIST_HEADER_ROWS[1])
    short_groups = parse_sec_list(
        workbook_of(list_sheet([list_cells(sample_entry())], [tuple(groups), *LIST_HEADER_ROWS[1:]])), registry()
    )
    assert short_groups.findings == () and short_groups.entries == (sample_entry(),)
    long_groups = (*LIST_HEADER_ROWS[0], "Notes for SECAS")
    result = parse_sec_list(
        workbook_of(list_sheet([list_cells(sample_entry())], [long_groups, *LIST_HEADER_ROWS[1:]])), registry()
    )
    assert result.findings == () and result.entries == (sample_entry(),)


@pytest.mark.parametrize("separator", [" ", "/"])
def test_headings_read_the_same_with_spaces_or_slashes_for_underscores(separator: str) -> None:
    """The New Entry form writes 'SMETS/CHTS Version' where the list writes 'SMETS_CHTS Version'."""
    respelled = [
        tuple(str(cell).replace("_", separator) for cell in row) if row[0] in ("Data Group", "Data Attribute") else row
        for row in LIST_HEADER_ROWS
    ]
    assert respelled[0][9] == f"SMETS{separator}CHTS Version"
    result = parse_sec_list(workbook_of(list_sheet([list_cells(sample_entry())], respelled)), registry())
    assert result.findings == () and result.entries == (sample_entry(),)


def test_the_highest_valid_identifiers_are_read() -> None:
    """The list tab's valid values: manufacturer identifiers 00:00 to FF:FE, model identifiers 00:00 to FF:BF."""
    entry = sample_entry(manufacturer_id="FFFE", model_id="FFBF")
    assert parsed_entries([entry]) == [entry]
    lowest = sample_entry(manufacturer_id="0000", model_id="0000")
    assert parsed_entries([lowest]) == [lowest]


def test_number_cells_for_entry_numbers_octets_and_certificates() -> None:
    """A number cell shows digits: entry number 1 is 000001, an octet typed 0 is 00, a DLMS certificate
    typed 1837 is '1837'."""
    cells = list(list_cells(sample_entry(number=1, hardware_version="0000", dlms_certificate="1837")))
    cells[1], cells[6], cells[7], cells[14] = 1, 0, 0.0, 1837.0
    assert parsed([cells]).entries == (sample_entry(number=1, hardware_version="0000", dlms_certificate="1837"),)
    cells[1] = 999_999.0
    assert [e.number for e in parsed([cells]).entries] == [999_999]


def test_a_version_the_registry_holds_under_no_sec_spelling_is_read_from_the_secs() -> None:
    """SECAS may add a version without the SEC's spelling (``cpl specs add`` without an alias): the list's
    'SMETS V6.0' is still SMETS2 v6.0 and 'GBCS Version 5.0' still v5.0."""
    added = (
        registry()
        .with_version(SpecVersion(SpecKind.TECHNICAL_SPECIFICATION, "SMETS2 v6.0"))
        .with_version(SpecVersion(SpecKind.GBCS, "v5.0"))
    )
    cells = list(list_cells(sample_entry()))
    cells[9], cells[10] = "SMETS V6.0", "GBCS Version 5.0"
    result = parse_sec_list(workbook_of(list_sheet([cells])), added)
    assert result.findings == ()
    assert [(e.technical_specification, e.gbcs_version) for e in result.entries] == [("SMETS2 v6.0", "v5.0")]


@pytest.mark.parametrize(
    ("specification", "gbcs", "read"),
    [
        ("CHTS V 1.0", "GBCS Version 1.1", ("CHTS v1.0", "v1.1")),
        ("SMETS V 4.2", "GBCS V3.2", ("SMETS2 v4.2", "v3.2")),
        ("SMETS2 v4.2", "v3.2", ("SMETS2 v4.2", "v3.2")),  # the registry's own spellings
        ("SMETS V4.2", "3.2", ("SMETS2 v4.2", "v3.2")),
    ],
)
def test_versions_read_with_white_space_after_the_v_or_in_the_registrys_spelling(
    specification: str, gbcs: str, read: tuple[str, str]
) -> None:
    cells = list(list_cells(sample_entry()))
    cells[9], cells[10] = specification, gbcs
    result = parsed([cells])
    assert result.findings == ()
    assert [(e.technical_specification, e.gbcs_version) for e in result.entries] == [read]


# --- the history -----------------------------------------------------------------------------------


def history_of(*rows: Sequence[CellValue]) -> SecList:
    return parse_sec_list(workbook_of(list_sheet([]), version_control_sheet(rows)), registry())


def test_history_rows_read_with_text_and_date_cells() -> None:
    result = history_of(
        ("2.050", dt.date(2022, 9, 16), "Two new SMETS2 device models added:\r\n000729 - …\r\n\r\n"),
        ("2.051", "21/09/2022", "  Changes.  "),
    )
    assert result.findings == ()
    assert result.history == (
        VersionRecord("2.050", dt.date(2022, 9, 16), "Two new SMETS2 device models added:\r\n000729 - …"),
        VersionRecord("2.051", dt.date(2022, 9, 21), "Changes."),
    )
    assert (result.version, result.issued) == ("2.051", dt.date(2022, 9, 21))
    assert history_cells(result.history[0]) == ("2.050", "16/09/2022", result.history[0].changes)


def test_a_history_row_cut_short_has_no_changes_text() -> None:
    result = history_of(("2.050", "16/09/2022"), ("2.051", "21/09/2022", "Changes."))
    assert result.findings == ()
    assert result.history[0] == VersionRecord("2.050", dt.date(2022, 9, 16), "")


NUMBER, ISSUED = VERSION_TABLE_HEADER[0], VERSION_TABLE_HEADER[1]


@pytest.mark.parametrize(
    ("row", "code", "column", "message"),
    [
        pytest.param(
            (2.05, "21/09/2022", ""),
            Code.F002,
            NUMBER,
            "The version number 2.05 is a number cell; write the version as text, like 2.051.",
            id="number cell",
        ),
        pytest.param(
            ("two", "21/09/2022", ""),
            Code.F002,
            NUMBER,
            "The version number 'two' is not a version number like 2.051.",
            id="not a version",
        ),
        pytest.param(
            ("2.052", "32/09/2022", ""),
            Code.F002,
            ISSUED,
            "The date of issue '32/09/2022' is not a date.",
            id="bad date",
        ),
        pytest.param(("2.052", None, "x"), Code.F001, ISSUED, "The date of issue is required.", id="no date"),
        pytest.param((None, "21/09/2022", "x"), Code.F001, NUMBER, "The version number is required.", id="no version"),
        pytest.param(
            ("2.050", "16/09/2022", "again"),
            Code.D002,
            NUMBER,
            "Version 2.050 is also on row 11; each version is listed once.",
            id="twice",
        ),
    ],
)
def test_a_bad_history_row_is_one_finding_and_the_rows_after_it_are_read(
    row: tuple[CellValue, ...], code: Code, column: str, message: str
) -> None:
    result = history_of(("2.050", "16/09/2022", "Changes."), row, ("2.051", "21/09/2022", "More."))
    assert result.findings == (Finding(code, VERSION_SHEET, 12, column, message),)
    assert [r.version for r in result.history] == ["2.050", "2.051"]


def test_both_cells_of_a_history_row_are_judged() -> None:
    result = history_of(("2.051", "21/09/2022", "Changes."), (2.05, None, ""))
    assert {(f.code, f.row, f.column) for f in result.findings} == {(Code.F002, 12, NUMBER), (Code.F001, 12, ISSUED)}


def test_a_label_that_disagrees_with_the_history_is_a_finding_and_the_label_names_the_version() -> None:
    result = history_of(("2.050", "16/09/2022", "Changes."))
    assert result.findings == (
        Finding(
            Code.F002,
            VERSION_SHEET,
            3,
            None,
            "The label names version 2.051 issued on 21/09/2022, but the history's last row is version 2.050 "
            "issued on 16/09/2022.",
        ),
    )
    assert (result.version, result.issued) == ("2.051", dt.date(2022, 9, 21))


def test_a_label_over_an_empty_history_names_the_version() -> None:
    result = history_of()
    assert result.findings == () and result.history == ()
    assert (result.version, result.issued) == ("2.051", dt.date(2022, 9, 21))


@pytest.mark.parametrize(
    "label", ["Version 2.051", "Version two Issued on 21-09-2022", "Version 2.051 Issued on 31-02-2022"]
)
def test_a_label_not_written_as_the_sec_writes_it_is_a_finding(label: str) -> None:
    sheet = version_control_sheet()
    sheet = dataclasses.replace(sheet, rows=((2, ()), (3, (label, None, None)), *sheet.rows[1:]))
    result = parse_sec_list(workbook_of(list_sheet([]), sheet), registry())
    message = f"The version label {label!r} is not written like 'Version 2.051 Issued on 21-09-2022'."
    assert result.findings == (Finding(Code.F002, VERSION_SHEET, 3, None, message),)
    # without a label the history's last row names the version
    assert (result.version, result.issued) == ("2.051", dt.date(2022, 9, 21))


def test_without_a_label_the_last_history_row_names_the_version() -> None:
    sheet = version_control_sheet([("2.050", "16/09/2022", "x")])
    sheet = dataclasses.replace(sheet, rows=sheet.rows[1:])
    result = parse_sec_list(workbook_of(list_sheet([]), sheet), registry())
    assert result.findings == () and (result.version, result.issued) == ("2.050", dt.date(2022, 9, 16))


def test_a_version_control_tab_without_its_history_table_is_one_finding() -> None:
    sheet = version_control_sheet()
    sheet = dataclasses.replace(sheet, rows=sheet.rows[:1])  # the label, and no table
    result = parse_sec_list(workbook_of(list_sheet([]), sheet), registry())
    message = (
        "The tab has no history table headed 'Version Number (each issued version will increment this number by "
        "one)' in column A."
    )
    assert result.findings == (Finding(Code.WB002, VERSION_SHEET, None, None, message),)
    assert result.history == () and (result.version, result.issued) == (None, None)


@pytest.mark.parametrize("labelled", [True, False])
@pytest.mark.parametrize("title", VERSION_TABLE_HEADER[1:])
def test_a_history_table_without_one_of_its_columns_is_one_finding(title: str, labelled: bool) -> None:
    header = tuple(t for t in VERSION_TABLE_HEADER if t != title)
    sheet = version_control_sheet()
    rows = tuple((n, header if n == HISTORY_HEADER_ROW else cells) for n, cells in sheet.rows)
    sheet = dataclasses.replace(sheet, rows=rows if labelled else rows[1:])
    result = parse_sec_list(workbook_of(list_sheet([]), sheet), registry())
    message = f"The history table has no '{title}' column."
    assert result.findings == (Finding(Code.WB002, VERSION_SHEET, HISTORY_HEADER_ROW, title, message),)
    # nothing of the history is read; the label, if there is one, still names the version
    assert result.history == ()
    assert (result.version, result.issued) == (("2.051", dt.date(2022, 9, 21)) if labelled else (None, None))
