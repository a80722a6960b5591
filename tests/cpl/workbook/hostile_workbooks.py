"""Broken and hostile workbooks, built as bytes when a test asks for them (nothing hostile is stored).

Each builder returns the bytes of one file. ``workbook`` builds a small, valid one-sheet workbook
around a sheet part, so that a case differs from a readable file in one respect only; ``raw_zip``
writes zip members byte for byte, so that a case can lie in its directory.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAIN_NAMESPACE = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_PART = "xl/worksheets/sheet1.xml"
SHARED_STRINGS_PART = "xl/sharedStrings.xml"
SHEET_NAME = "Sheet"
_MIB = 1024 * 1024

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b"</Types>"
)
_PACKAGE_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    b'Target="sharedStrings.xml"/></Relationships>'
)
_EMPTY_SHARED_STRINGS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>'
)


def sheet_xml(rows: bytes, *, prolog: bytes = b"") -> bytes:
    """A worksheet part holding ``rows`` (the inside of sheetData), with an optional prolog (a DTD)."""
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + prolog
        + b'<worksheet xmlns="'
        + MAIN_NAMESPACE
        + b'"><sheetData>'
        + rows
        + b"</sheetData></worksheet>"
    )


def inline_cell(reference: str, text: str) -> bytes:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def workbook_parts(sheet: bytes | None = None, *, shared_strings: bytes = _EMPTY_SHARED_STRINGS) -> dict[str, bytes]:
    """The parts of a valid one-sheet workbook; the sheet defaults to a header and one row."""
    if sheet is None:
        sheet = sheet_xml(
            b'<row r="1">' + inline_cell("A1", "Manufacturer") + b"</row>"
            b'<row r="2">' + inline_cell("A2", "Acme") + b"</row>"
        )
    return {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _PACKAGE_RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        SHEET_PART: sheet,
        SHARED_STRINGS_PART: shared_strings,
    }


def zip_parts(parts: Mapping[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression, compresslevel=1) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def workbook(sheet: bytes | None = None, **kwargs: bytes) -> bytes:
    """A valid one-sheet workbook around ``sheet`` (see ``workbook_parts``)."""
    return zip_parts(workbook_parts(sheet, **kwargs))


# --- writing zip members byte for byte -------------------------------------------------------------


@dataclass(frozen=True)
class RawMember:
    """A zip member as stored: ``payload`` is already compressed when ``method`` is 8."""

    name: str
    payload: bytes
    method: int
    crc: int
    declared_size: int
    flags: int = 0


def deflated_member(name: str, content: bytes) -> RawMember:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    payload = compressor.compress(content) + compressor.flush()
    return RawMember(name, payload, zipfile.ZIP_DEFLATED, zlib.crc32(content), len(content))


def raw_zip(members: Iterable[RawMember]) -> bytes:
    """A zip file whose directory says exactly what each member says, true or not."""
    body = bytearray()
    directory = bytearray()
    count = 0
    for member in members:
        name = member.name.encode()
        offset = len(body)
        body += struct.pack(
            "<4sHHHHHIIIHH",
            b"PK\x03\x04",
            20,
            member.flags,
            member.method,
            0,
            0x21,
            member.crc,
            len(member.payload),
            member.declared_size,
            len(name),
            0,
        )
        body += name + member.payload
        directory += struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            20,
            member.flags,
            member.method,
            0,
            0x21,
            member.crc,
            len(member.payload),
            member.declared_size,
            len(name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        directory += name
        count += 1
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(body), 0)
    return bytes(body + directory + end)


def _zeros_deflated(mebibytes: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``mebibytes`` MiB of zeros, built without compressing them all.

    After a full flush the compressor starts afresh, so every 1 MiB block compresses to the same
    bytes: compress one, repeat it.
    """
    block = bytes(_MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(block, crc)
    return first + again * (mebibytes - 1) + compressor.flush(), crc


def _with_parts(*replaced: RawMember) -> list[RawMember]:
    """The members of the valid workbook, with ``replaced`` standing in for the parts of their names."""
    by_name = {m.name: m for m in replaced}
    members = [
        by_name.pop(name) if name in by_name else deflated_member(name, content)
        for name, content in workbook_parts().items()
    ]
    return members + list(by_name.values())


# --- the corpus ------------------------------------------------------------------------------------


def empty_file() -> bytes:
    return b""


def not_a_zip() -> bytes:
    """A CSV export saved with an .xlsx name."""
    return b"Submission Type,Manufacturer,Manufacturer ID\nNew,Acme Meters,106C\n"


def truncated_zip() -> bytes:
    """A valid workbook cut short, as an interrupted upload leaves it."""
    data = workbook()
    return data[: len(data) // 2]


def ole2_container() -> bytes:
    """What Excel writes for a password-protected workbook (and for legacy .xls): an OLE2/CFB file."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def zip_bomb(mebibytes: int = 300) -> bytes:
    """A sheet part of ``mebibytes`` MiB of zeros, compressed about a thousand times over."""
    payload, crc = _zeros_deflated(mebibytes)
    bomb = RawMember(SHEET_PART, payload, zipfile.ZIP_DEFLATED, crc, mebibytes * _MIB)
    return raw_zip(_with_parts(bomb))


def disguised_zip_bomb(mebibytes: int = 50) -> bytes:
    """A part whose directory entry declares 1 KiB (and its CRC) while its stream inflates to far more."""
    payload, _ = _zeros_deflated(mebibytes)
    declared = 1024
    bomb = RawMember(SHEET_PART, payload, zipfile.ZIP_DEFLATED, zlib.crc32(bytes(declared)), declared)
    return raw_zip(_with_parts(bomb))


def billion_laughs() -> bytes:
    """The classic entity expansion, in the shared strings every cell text goes through."""
    entities = b'<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (level, b"&lol%s;" % (b"" if level == 1 else b"%d" % (level - 1)) * 10)
        for level in range(1, 10)
    )
    shared = (
        b'<?xml version="1.0"?>\n<!DOCTYPE sst [' + entities + b"]>"
        b'<sst xmlns="' + MAIN_NAMESPACE + b'" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    sheet = sheet_xml(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    return workbook(sheet, shared_strings=shared)


def external_entity() -> bytes:
    """XXE: a sheet cell whose text is an external entity naming a local file."""
    prolog = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    sheet = sheet_xml(b'<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>', prolog=prolog)
    return workbook(sheet)


def million_row_sheet(rows: int = 1_000_000) -> bytes:
    """A genuinely long sheet: ``rows`` rows of one value each (about 50 MB of XML)."""
    body = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n) for n in range(1, rows + 1))
    return workbook(sheet_xml(body))


def far_apart_cells() -> bytes:
    """Two values, at A1 and XFD1048576: a few bytes that calamine would lay out as 17 billion cells."""
    return workbook(
        sheet_xml(
            b'<row r="1">' + inline_cell("A1", "x") + b'</row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
        )
    )


def very_wide_row() -> bytes:
    """A value in column ZZZZZ, beyond Excel's last column."""
    return workbook(sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c><c r="ZZZZZ1"><v>1</v></c></row>'))


def implicit_rows(rows: int = 200_000) -> bytes:
    """Rows and cells without references: each takes the place after the last, as calamine reads them."""
    return workbook(sheet_xml(b"".join(b"<row><c><v>%d</v></c></row>" % n for n in range(rows))))


def many_members(count: int = 5_000) -> bytes:
    parts = workbook_parts()
    parts.update({f"xl/media/image{n}.png": b"" for n in range(count)})
    return zip_parts(parts)


def missing_workbook_part() -> bytes:
    """A zip with sheets but no xl/workbook.xml (an .xlsb, an .ods or a hand-made zip looks like this)."""
    parts = workbook_parts()
    del parts["xl/workbook.xml"]
    return zip_parts(parts)


def utf16_sheet() -> bytes:
    """A sheet part in UTF-16, which byte scans for markup cannot see into."""
    text = sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row>').decode().replace("UTF-8", "UTF-16")
    return workbook(text.encode("utf-16"))


def encrypted_member() -> bytes:
    """A member flagged as encrypted with the zip's own (weak) encryption."""
    sheet = deflated_member(SHEET_PART, workbook_parts()[SHEET_PART])
    flagged = RawMember(sheet.name, sheet.payload, sheet.method, sheet.crc, sheet.declared_size, flags=0x1)
    return raw_zip(_with_parts(flagged))


def duplicate_part_names() -> bytes:
    """Two members named like the sheet: a reader may pick either, so the checks could see the wrong one."""
    second = deflated_member(SHEET_PART, sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row>'))
    return raw_zip([*_with_parts(deflated_member(SHEET_PART, sheet_xml(b""))), second])
