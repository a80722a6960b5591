"""The safe reader of submission workbooks: refuses what could hurt, hands over plain cell values.

Reading hands the cells to python-calamine only after the zip container and every part in it have
been judged with the standard library and byte scans: sizes and compression ratios, DTDs, text
encodings, and each sheet's extent (calamine lays a sheet out as a dense grid, and aborts the whole
process when that grid does not fit in memory). A file that fails is refused with one plain
sentence: ``WorkbookUnreadable``. Cells holding formulas are named, never evaluated.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import defusedxml.ElementTree as SafeElementTree
import python_calamine

from cpl.core.sheets import CellValue, SheetData, WorkbookData

# --- reading ---------------------------------------------------------------------------------------


class WorkbookUnreadable(Exception):
    """The file cannot be read as a submission workbook (WB001); ``reason`` is one plain sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_MIB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """What the reader accepts. Anything beyond is refused before calamine spends memory on it."""

    max_file_bytes: int = 20 * _MIB
    max_members: int = 1_000
    max_uncompressed_bytes: int = 200 * _MIB
    max_ratio: float = 100.0
    #: Rows below the header, counted to the last row that holds a value.
    max_rows: int = 100_000
    #: Excel's own limit (column XFD).
    max_columns: int = 16_384
    #: Rows x columns of a sheet as laid out in memory (calamine's grid is dense).
    max_cells: int = 5_000_000


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
#: A zip local file header: signature, 22 bytes taken from the central directory instead, name and extra lengths.
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_UTF8_NAME_FLAG = 0x800
_WORKBOOK_PART = "xl/workbook.xml"
_WORKBOOK_RELS_PART = "xl/_rels/workbook.xml.rels"
#: Parts smaller than this are not judged by their compression ratio: they cannot exhaust anything.
_RATIO_FLOOR_BYTES = _MIB
_INFLATE_INPUT_STEP = 256 * 1024
#: Files from this size have their sheets parsed on a worker thread, overlapping the checks.
_OVERLAP_FROM_BYTES = 256 * 1024
_INFLATE_OUTPUT_STEP = _MIB
_XML_SUFFIXES = (".xml", ".rels", ".vml")
#: A VBA project (the macros of an .xlsm): named, never read, run or kept.
_VBA_PART = re.compile(r"(?i)(?:^|/)vbaProject[^/]*\.bin$")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_XML_DECLARATION_ENCODING = re.compile(rb"""\A\s*<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
_UTF8_NAMES = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})
#: A cell written the way Excel, LibreOffice and openpyxl write them: reference first, plain attributes.
_CANONICAL_CELL = re.compile(
    rb'<c r="([A-Z]{1,4})([0-9]{1,9})"(?:\s+(?!r\s*=)[A-Za-z_][\w.:-]*="[^"<>]*")*\s*(/?)>(</c>)?'
)
#: A canonical cell whose first child is a formula.
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,4})([0-9]{1,9})"[^<>]*(?<!/)>\s*<(?:[A-Za-z_][\w.-]*:)?f[\s/>]')
#: Cells and formulas under a namespace prefix (calamine ignores prefixes, so must we).
_PREFIXED_CELL_OR_FORMULA = re.compile(rb":([cf])[\s/>]")
#: Columns A-Z: how far a cell the fast scan lets through can reach.
_SINGLE_LETTER_COLUMNS = 26
_SINGLE_QUOTES_AS_DOUBLE = bytes.maketrans(b"'", b'"')
_XML_WHITESPACE = b" \t\r\n"
_EMPTY_TO_NONE: dict[CellValue, CellValue] = {"": None}


def _part_name(info: zipfile.ZipInfo) -> str:
    """A zip part's name for a sentence: a damaged name may hold control characters, shown escaped so
    that the sentence stays one line."""
    return info.filename.encode("unicode_escape").decode("ascii")


def _sentence_size(size: int) -> str:
    return f"{size / _MIB:,.1f} MB" if size >= _MIB else f"{size:,} bytes"


def _check_file(data: bytes, limits: ReadLimits) -> None:
    if not data:
        raise WorkbookUnreadable("The file is empty.")
    if len(data) > limits.max_file_bytes:
        raise WorkbookUnreadable(
            f"The file is {_sentence_size(len(data))}; workbooks over "
            f"{_sentence_size(limits.max_file_bytes)} are not read."
        )
    if data.startswith(_OLE2_MAGIC):
        raise WorkbookUnreadable(
            "The file is an encrypted workbook or a legacy .xls file; save it as an .xlsx workbook without a password."
        )
    if not data.startswith(_ZIP_MAGIC):
        raise WorkbookUnreadable("The file is not an .xlsx workbook (it is not a zip container).")


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception as error:  # zipfile raises several kinds for damaged directories
        raise WorkbookUnreadable("The workbook's zip container is corrupt or truncated.") from error


def _check_members(archive: zipfile.ZipFile, limits: ReadLimits) -> list[zipfile.ZipInfo]:
    """Judge the zip directory before inflating anything: counts, names, declared sizes and ratios."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise WorkbookUnreadable(
            f"The workbook's zip container has {len(infos):,} parts; at most {limits.max_members:,} are read."
        )
    names: set[str] = set()
    total = 0
    for info in infos:
        # calamine finds parts ignoring case: two names that differ only in case could let it read
        # another part than the one checked
        if info.filename.lower() in names:
            raise WorkbookUnreadable(f"The workbook's zip container holds two parts named {_part_name(info)}.")
        names.add(info.filename.lower())
        if info.flag_bits & 0x1:
            raise WorkbookUnreadable("The workbook is encrypted; save it as an .xlsx workbook without a password.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookUnreadable(
                f"The workbook part {_part_name(info)} uses a compression method that .xlsx files do not use."
            )
        if info.file_size > _RATIO_FLOOR_BYTES and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise WorkbookUnreadable(
                f"The workbook part {_part_name(info)} expands {ratio:,.0f} times over (a decompression bomb); "
                f"at most {limits.max_ratio:,.0f} times is accepted."
            )
        total += info.file_size
    if total > limits.max_uncompressed_bytes:
        raise WorkbookUnreadable(
            f"The workbook expands to {_sentence_size(total)}; at most "
            f"{_sentence_size(limits.max_uncompressed_bytes)} are read."
        )
    if _WORKBOOK_PART not in names:
        raise WorkbookUnreadable(f"The file is a zip container but not an .xlsx workbook: it has no {_WORKBOOK_PART}.")
    return infos


def _inflate(data: memoryview, info: zipfile.ZipInfo) -> bytes:
    """A part's bytes, exactly as calamine will see them.

    zipfile's own reader stops at the declared size, while calamine's inflates the whole stream, so
    a part whose stream holds more than its directory entry declares would be checked short. This
    reads the same compressed bytes calamine reads and refuses any mismatch, stopping a lying bomb
    one output step past its declared size.
    """
    corrupt = WorkbookUnreadable(f"The workbook part {_part_name(info)} is corrupt or truncated.")
    start = info.header_offset
    header = bytes(data[start : start + _LOCAL_HEADER.size]) if start >= 0 else b""
    if len(header) < _LOCAL_HEADER.size:
        raise corrupt
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    name = bytes(data[start + _LOCAL_HEADER.size : start + _LOCAL_HEADER.size + name_length])
    encoding = "utf-8" if info.flag_bits & _UTF8_NAME_FLAG else "cp437"
    if signature != _ZIP_MAGIC or name.decode(encoding, "replace") != info.orig_filename:
        raise corrupt  # the directory points somewhere else than at this part
    begin = start + _LOCAL_HEADER.size + name_length + extra_length
    compressed = data[begin : begin + info.compress_size]
    if len(compressed) != info.compress_size:
        raise corrupt
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise corrupt
        content = bytes(compressed)
    else:
        content = _inflate_stream(compressed, info, corrupt)
    if zlib.crc32(content) != info.CRC:
        raise corrupt
    return content


def _inflate_stream(compressed: memoryview, info: zipfile.ZipInfo, corrupt: WorkbookUnreadable) -> bytes:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pieces: list[bytes] = []
    total = 0
    position = 0
    pending: bytes | memoryview = b""
    try:
        while not inflater.eof:
            if not pending:
                if position >= len(compressed):
                    # input used up: drain what zlib still holds, then stop
                    piece = inflater.decompress(b"", _INFLATE_OUTPUT_STEP)
                    if not piece:
                        break
                else:
                    pending = compressed[position : position + _INFLATE_INPUT_STEP]
                    position += _INFLATE_INPUT_STEP
                    continue
            else:
                piece = inflater.decompress(pending, _INFLATE_OUTPUT_STEP)
                pending = inflater.unconsumed_tail
            total += len(piece)
            if total > info.file_size:
                raise WorkbookUnreadable(
                    f"The workbook part {_part_name(info)} holds more data than its zip entry declares "
                    "(a disguised decompression bomb)."
                )
            pieces.append(piece)
    except zlib.error as error:
        raise corrupt from error
    if not inflater.eof or total != info.file_size:
        raise corrupt
    return b"".join(pieces)


def _check_xml_text(part: str, content: bytes) -> None:
    """Refuse DTDs (entity expansion, external entities) and encodings the byte scans cannot see through."""
    _check_encoding(part, content)
    if _DTD.search(content):
        raise _dtd_refusal(part)


def _check_encoding(part: str, content: bytes) -> None:
    if part.lower().endswith(_XML_SUFFIXES):
        head = content[:4]
        if head.startswith((b"\xfe\xff", b"\xff\xfe")) or b"\x00" in head:
            raise WorkbookUnreadable(f"The workbook part {part} is not UTF-8 text, as .xlsx parts must be.")
        declared = _XML_DECLARATION_ENCODING.match(content[:200])
        if declared and declared.group(1).strip().lower() not in _UTF8_NAMES:
            raise WorkbookUnreadable(f"The workbook part {part} is not UTF-8 text, as .xlsx parts must be.")


def _dtd_refusal(part: str) -> WorkbookUnreadable:
    return WorkbookUnreadable(
        f"The workbook part {part} declares a DTD or entities, which .xlsx files never need "
        "(entity expansion and external entities are refused)."
    )


# --- sheet extents and formulas --------------------------------------------------------------------


#: (row number, 0-based column) of the cells holding a formula.
_FormulaCells = frozenset[tuple[int, int]]
#: An attribute whose value is "e": perhaps a cell's type, an error value (calamine reads those as empty).
_MAYBE_ERROR_TYPE = (b'"e"', b"'e'")
#: The error values calamine reads; it refuses a whole workbook for any other (Excel 365's #SPILL!, #CALC!).
_READABLE_ERRORS = frozenset({"", "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})
#: An error value's text is short: anything longer is cut for the sentence.
_ERROR_TEXT_LIMIT = 20


class _SheetMarks(frozenset[tuple[int, int]]):
    """A sheet's formula cells (the set itself) with its error cells beside them, as the parse found them.

    It travels where the formula cells always have, so ``_sheet_data`` learns which cells held an error
    value (``#N/A``, ``#REF!``) that calamine hands over as empty text.
    """

    errors: Mapping[tuple[int, int], str]

    def __new__(cls, formulas: Iterable[tuple[int, int]], errors: Mapping[tuple[int, int], str]) -> _SheetMarks:
        marks = super().__new__(cls, formulas)
        marks.errors = errors
        return marks


def _small_row_digits(limits: ReadLimits) -> int:
    """The most digits a row number may have and still be within the row limit, whatever its value."""
    return len(str(limits.max_rows + 2)) - 1


@functools.lru_cache(maxsize=8)
def _tag_scan(small_row_digits: int) -> re.Pattern[bytes]:
    """Cells the fast scan must look at (any but a canonical A-Z cell with a small row), DTDs and comments
    (``<!``), and formulas. One pass with a literal prefix keeps this a C-speed scan."""
    small = rb' r="[A-Z][0-9]{1,%d}"' % small_row_digits if small_row_digits else rb"(?!)"
    return re.compile(rb"<c(?=[\s/>])(?!" + small + rb")|<!|<f[\s/>]")


def _column_number(letters: bytes | str) -> int:
    number = 0
    for letter in letters.upper() if isinstance(letters, str) else letters.upper().decode():
        number = number * 26 + (ord(letter) - 64)
    return number


class _Extent:
    """The furthest row and column holding a value, checked against the limits as it grows."""

    def __init__(self, label: str, limits: ReadLimits) -> None:
        self.label = label
        self.limits = limits
        self.rows = 0
        self.columns = 0

    def add(self, row: int, column: int) -> None:
        if row > self.rows:
            self.rows = row
            if row > self.limits.max_rows + 1:
                raise WorkbookUnreadable(
                    f"{self.label} has values down to row {row:,}; at most {self.limits.max_rows:,} rows "
                    "below the header are read."
                )
        if column > self.columns:
            self.columns = column
            if column > self.limits.max_columns:
                raise WorkbookUnreadable(
                    f"{self.label} has values out to column {column:,}; at most "
                    f"{self.limits.max_columns:,} columns are read."
                )
        self.check_cells(self.rows, self.columns)

    def check_cells(self, rows: int, columns: int) -> None:
        if rows * columns > self.limits.max_cells:
            raise WorkbookUnreadable(
                f"{self.label} spans {rows:,} rows by {columns:,} columns; at most "
                f"{self.limits.max_cells:,} cells are read."
            )


def _scan_sheet(part: str, content: bytes, label: str, limits: ReadLimits) -> _FormulaCells:
    """Bound a sheet's extent and find its formula cells with byte scans, or parse it when they cannot tell.

    calamine lays a sheet out as a dense grid from A1 to the furthest value, and aborts the whole
    process when that grid does not fit in memory, so the extent must be known before it reads the
    sheet. The scans assume nothing they have not checked: anything unusual sends the sheet to the
    exact (slower) parse.
    """
    small_digits = _small_row_digits(limits)
    extent = _Extent(label, limits)
    # only the parse places error cells: a sheet that may hold one is parsed
    needs_parse = _has_later_reference(content) or any(value in content for value in _MAYBE_ERROR_TYPE)
    formula_tags = 0
    for match in _tag_scan(small_digits).finditer(content):
        kind = content[match.start() + 1]
        if kind == 0x63:  # "c": a cell the fast scan cannot place from its first bytes
            cell = _CANONICAL_CELL.match(content, match.start())
            if cell is None:
                needs_parse = True
            elif not (cell.group(3) or cell.group(4)):  # an empty cell is not in calamine's grid
                extent.add(int(cell.group(2)), _column_number(cell.group(1)))
        elif kind == 0x66:  # "f"
            formula_tags += 1
        elif _DTD.match(content, match.start()):
            raise _dtd_refusal(part)
        else:  # a comment or CDATA: only a parser can say what it hides
            needs_parse = True
    for match in _PREFIXED_CELL_OR_FORMULA.finditer(content):
        if match.group(1) == b"c":
            needs_parse = True
        elif content[max(0, match.start() - 3) : match.start()] != b"<xm":  # x14 ranges, not cells
            formula_tags += 1
    if not needs_parse:
        # every cell the scan let through is in A-Z with a row under the limit: bound the grid so
        rows = max(extent.rows, 10**small_digits - 1)
        columns = max(extent.columns, _SINGLE_LETTER_COLUMNS)
        needs_parse = columns > limits.max_columns or rows * columns > limits.max_cells
    if needs_parse:
        return _parse_sheet(part, content, label, limits)
    if not formula_tags:
        return frozenset()
    formulas = frozenset(
        (int(cell.group(2)), _column_number(cell.group(1)) - 1) for cell in _FORMULA_CELL.finditer(content)
    )
    if len(formulas) != formula_tags:
        return _parse_sheet(part, content, label, limits)
    return formulas


def _has_later_reference(content: bytes) -> bool:
    """True when a tag has an ``r`` attribute after another attribute.

    calamine takes a tag's last ``r``, and tolerates attributes with no space between them, so the
    fast scan (which reads the first) would be misled. Without white space and with one kind of
    quote, such an attribute always reads ``"r=``.
    """
    return b'"r=' in content.translate(_SINGLE_QUOTES_AS_DOUBLE, _XML_WHITESPACE)


_REFERENCE = re.compile(r"([A-Za-z]*)([0-9]+)")


def _parse_sheet(part: str, content: bytes, label: str, limits: ReadLimits) -> _FormulaCells:
    """The exact extent, formula cells and error cells, placing cells as calamine does (defusedxml, streaming).

    calamine matches local names (any prefix), reads only the first sheetData, and takes a cell's
    position from its ``r``, or else from the row's ``r`` and the cells before it. An error cell is
    one of type ``e``; its value is the error's text.
    """
    extent = _Extent(label, limits)
    formulas: set[tuple[int, int]] = set()
    errors: dict[tuple[int, int], str] = {}
    error_cell = False
    row_index = 1  # row number of the current <row> (calamine counts on from the last reference)
    column_index = 0  # 0-based column the next cell without a reference takes
    cell: tuple[int, int] | None = None
    cell_has_value = False
    cells_seen = 0
    in_sheet_data = False
    open_elements: list[Any] = []
    try:
        for event, element in SafeElementTree.iterparse(io.BytesIO(content), events=("start", "end"), forbid_dtd=True):
            tag = element.tag
            local = tag[tag.rfind("}") + 1 :] if isinstance(tag, str) else ""
            if event == "end":
                # done with it: drop it from its parent, so memory stays flat however long the sheet.
                # Events come in batches, so later siblings may be in already; earlier ones are gone.
                open_elements.pop()
                if open_elements and len(open_elements[-1]) and open_elements[-1][0] is element:
                    del open_elements[-1][0]
            else:
                open_elements.append(element)
            if not in_sheet_data:
                in_sheet_data = event == "start" and local == "sheetData"
                continue
            if event == "start":
                if local == "row":
                    reference = element.get("r")
                    if reference is not None:
                        row_index = _parse_reference(reference, label, need_column=False)[0]
                elif local == "c":
                    cells_seen += 1
                    if cells_seen > limits.max_cells:  # even empty ones cost time to go through
                        raise WorkbookUnreadable(
                            f"{label} holds more than {limits.max_cells:,} cells; at most "
                            f"{limits.max_cells:,} cells are read."
                        )
                    reference = element.get("r")
                    if reference is None:
                        cell = (row_index, column_index)
                    else:
                        cell = _parse_reference(reference, label, need_column=True)
                        column_index = cell[1]
                    cell_has_value = False
                    error_cell = element.get("t") == "e"
                elif cell is not None and local in ("v", "is", "f"):
                    cell_has_value = True
                    if local == "f":
                        formulas.add(cell)
            elif local == "v" and error_cell and cell is not None:
                errors[cell] = _error_value(element.text or "", cell, label)
            elif local == "c" and cell is not None:
                if cell_has_value:
                    extent.add(cell[0], cell[1] + 1)
                cell = None
                column_index += 1
            elif local == "row":
                row_index += 1
                column_index = 0
            elif local == "sheetData":
                break
    except WorkbookUnreadable:
        raise
    except Exception as error:  # expat's errors, and defusedxml's refusals
        raise WorkbookUnreadable(f"The workbook part {part} is not well-formed XML.") from error
    return _SheetMarks(formulas, errors)


def _error_value(text: str, cell: tuple[int, int], label: str) -> str:
    """An error cell's error; one calamine cannot read is refused here, with its cell named."""
    if text not in _READABLE_ERRORS:
        shown = " ".join(text.split())[:_ERROR_TEXT_LIMIT]
        raise WorkbookUnreadable(
            f"{label} holds the error value {shown!r} in cell {_column_letters(cell[1] + 1)}{cell[0]}, which "
            "cannot be read; enter the value itself."
        )
    return text or "(unnamed)"


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _parse_reference(reference: str, label: str, *, need_column: bool) -> tuple[int, int]:
    """(row, 0-based column) of an A1 reference; calamine refuses anything but letters then digits."""
    match = _REFERENCE.fullmatch(reference)
    if match is None or (need_column and not match.group(1)):
        raise WorkbookUnreadable(f"{label} has a malformed cell reference {reference[:20]!r}.")
    return int(match.group(2)), _column_number(match.group(1)) - 1 if match.group(1) else 0


# --- which part is which sheet ---------------------------------------------------------------------

#: Where calamine's sheet parts live. It reads them only when a sheet is asked for, never on opening
#: the workbook (that reads the workbook, its relationships, shared strings and styles).
_SHEET_FOLDERS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")


@dataclass(frozen=True)
class _SheetEntry:
    """A ``<sheet>`` of xl/workbook.xml: its name and the part calamine reads for it (None if unknown)."""

    name: str
    path: str | None


def _local_name(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _sheet_entries(workbook_xml: bytes, relationships_xml: bytes | None) -> tuple[list[_SheetEntry], bool]:
    """The workbook's sheets in order, and whether calamine is sure to read each from the part named.

    Not sure when the XML says something this reading could take otherwise than calamine does:
    calamine takes relationship targets verbatim where expat unescapes them, and reads ``r:id`` only.
    """
    try:
        targets: dict[str, str] = {}
        if relationships_xml is not None:
            for element in SafeElementTree.fromstring(relationships_xml, forbid_dtd=True).iter():
                if _local_name(element.tag) == "Relationship":
                    targets[element.get("Id", "")] = element.get("Target", "")
        entries: list[_SheetEntry] = []
        sure = relationships_xml is not None and b"&" not in relationships_xml
        for element in SafeElementTree.fromstring(workbook_xml, forbid_dtd=True).iter():
            if _local_name(element.tag) != "sheet":
                continue
            ids = [value for key, value in element.attrib.items() if key.endswith("}id")]
            sure = sure and len(ids) == 1
            target = targets.get(ids[0]) if ids else None
            entries.append(_SheetEntry(element.get("name", ""), _calamine_sheet_path(target) if target else None))
        return entries, sure
    except Exception:  # the names improve messages and speed; the checks never depend on them
        return [], False


def _calamine_sheet_path(target: str) -> str:
    """The part calamine reads for a sheet's relationship target: it prefixes, it does not normalise."""
    if target.startswith("/xl/"):
        return target[1:]
    if target.startswith("xl/"):
        return target
    return "xl/" + target


def _base_name(part: str) -> str:
    return part.rsplit("/", 1)[-1].lower()


class _Parts:
    """Inflates and checks each part of the container once; sheet parts also get the sheet scan."""

    def __init__(self, data: memoryview, limits: ReadLimits) -> None:
        self._data = data
        self._limits = limits
        self._checked: set[str] = set()
        self.labels: dict[str, str] = {}
        self.formulas: dict[str, _FormulaCells] = {}

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """A small part's checked content (the workbook and its relationships)."""
        content = _inflate(self._data, info)
        _check_xml_text(info.filename, content)
        self._checked.add(info.filename)
        return content

    def check(self, info: zipfile.ZipInfo, *, sheet: bool = False) -> None:
        part = info.filename
        if part in self._checked:
            return
        self._checked.add(part)
        content = _inflate(self._data, info)
        if sheet or b"sheetData" in content:  # calamine reads cells only after a sheetData tag
            _check_encoding(part, content)
            label = self.labels.get(part, f"The workbook part {part}")
            self.formulas[part] = _scan_sheet(part, content, label, self._limits)
        else:
            _check_xml_text(part, content)


# --- the reader ------------------------------------------------------------------------------------


def read_workbook(data: bytes, limits: ReadLimits = ReadLimits()) -> WorkbookData:
    """Every sheet's cells, once the container and its XML have been judged safe to hand to calamine.

    Raises ``WorkbookUnreadable`` (never anything else) for a file that is not a readable .xlsx
    workbook, or one beyond ``limits``.
    """
    try:
        return _read(bytes(data), limits)
    except WorkbookUnreadable:
        raise
    except MemoryError as error:
        raise WorkbookUnreadable("The workbook is too large to read.") from error
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as error:  # calamine's Rust panics arrive as BaseException
        raise WorkbookUnreadable(_calamine_reason(error)) from error


def _calamine_reason(error: BaseException) -> str:
    detail = " ".join(str(error).split())[:120].rstrip(".")
    if detail:
        return f"The workbook's contents could not be read ({detail})."
    return "The workbook's contents could not be read."


def _read(data: bytes, limits: ReadLimits) -> WorkbookData:
    _check_file(data, limits)
    infos = _check_members(_open_zip(data), limits)
    parts = _Parts(memoryview(data), limits)
    by_name = {info.filename.lower(): info for info in infos}  # no two differ only in case
    workbook_xml = parts.read(by_name[_WORKBOOK_PART])
    relationships = by_name.get(_WORKBOOK_RELS_PART.lower())
    entries, sure = _sheet_entries(workbook_xml, parts.read(relationships) if relationships else None)
    sheet_parts = [info for info in infos if info.filename.lower().startswith(_SHEET_FOLDERS)]
    # calamine finds a sheet's part ignoring case, the first match in the zip
    part_of = {
        index: next((i.filename for i in sheet_parts if i.filename.lower() == entry.path.lower()), None)
        for index, entry in enumerate(entries)
        if entry.path is not None
    }
    for index, part in part_of.items():
        if part is not None:
            parts.labels.setdefault(part, f'The sheet "{entries[index].name}"')
    for info in infos:
        if not info.filename.lower().startswith(_SHEET_FOLDERS):
            parts.check(info)

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    names = book.sheet_names
    sure = sure and [entry.name for entry in entries] == names

    def parts_for(index: int) -> list[zipfile.ZipInfo]:
        """The sheet parts that must be checked before calamine reads sheet ``index``."""
        path = entries[index].path if sure else None
        if path is None:
            return sheet_parts
        return [info for info in sheet_parts if _base_name(info.filename) == _base_name(path)]

    def sheet_data(index: int, sheet: python_calamine.CalamineSheet) -> SheetData:
        name = names[index]
        end = sheet.end
        if end is not None:
            # the scans bounded this already; a second look costs nothing before the lists are built
            rows, columns = end[0] + 1, end[1] + 1
            if rows > limits.max_rows + 1 or rows * columns > limits.max_cells:
                raise WorkbookUnreadable(f'The sheet "{name}" is larger than the reader accepts.')
        part = part_of.get(index) if index < len(entries) and entries[index].name == name else None
        formulas = parts.formulas.get(part, frozenset()) if part else frozenset()
        return _sheet_data(name, sheet.to_python(skip_empty_area=False), formulas)

    sheets: list[SheetData] = []
    if len(data) < _OVERLAP_FROM_BYTES:
        # a small workbook: starting a worker thread would cost more than the overlap below saves
        for index in range(len(names)):
            for info in parts_for(index):
                parts.check(info, sheet=True)
            sheets.append(sheet_data(index, book.get_sheet_by_index(index)))
    else:
        # calamine parses a sheet without holding the GIL: while it parses one, this thread checks the
        # next sheet's part and turns the previous sheet into rows
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="calamine")
        try:
            parsed: list[Future[python_calamine.CalamineSheet]] = []
            for index in range(len(names)):
                for info in parts_for(index):
                    parts.check(info, sheet=True)
                parsed.append(worker.submit(book.get_sheet_by_index, index))
                if index:
                    sheets.append(sheet_data(index - 1, parsed[index - 1].result()))
            if parsed:
                sheets.append(sheet_data(len(parsed) - 1, parsed[-1].result()))
        finally:
            worker.shutdown(wait=True, cancel_futures=True)
    for info in sheet_parts:  # parts no sheet names are still checked: the file is judged whole
        parts.check(info, sheet=True)
    macros = any(_VBA_PART.search(info.filename) for info in infos)
    return WorkbookData(sheets=tuple(sheets), macros=macros)


def _header_text(value: CellValue) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet_data(name: str, grid: Sequence[Sequence[CellValue]], formula_cells: frozenset[tuple[int, int]]) -> SheetData:
    """Row 1 is the header (stripped text, trailing empty cells dropped); every other row keeps its
    spreadsheet row number, with a value for every column of the grid.

    A row of nothing but empty cells and spaces (a row "cleared" by typing spaces) is dropped. calamine
    hands an error value over as empty text: such a cell reads as None, and ``error_cells`` names it
    with its error, in a row dropped as well (a formula's cached error is the formula's).
    """
    errors: dict[tuple[int, int], str] = {}
    if isinstance(formula_cells, _SheetMarks):
        errors = {
            cell: text for cell, text in formula_cells.errors.items() if cell[0] > 1 and cell not in formula_cells
        }
        formula_cells = frozenset(formula_cells)
    if not grid:
        return SheetData(name=name, header=(), rows=(), formula_cells=formula_cells)
    header = [_header_text(value) for value in grid[0]]
    while header and not header[-1]:
        header.pop()
    width = len(grid[0])
    to_value = _EMPTY_TO_NONE.get
    rows = tuple(
        (number, tuple(map(to_value, row, row)))
        for number, row in enumerate(grid[1:], start=2)
        if row.count("") != width and not _only_spaces(row)
    )
    return SheetData(name=name, header=tuple(header), rows=rows, formula_cells=formula_cells, error_cells=errors)


def _only_spaces(row: Sequence[CellValue]) -> bool:
    """True for a row of empty text and spaces alone (it stops at the first value, usually the first cell)."""
    return all(type(value) is str and not value.strip() for value in row)
