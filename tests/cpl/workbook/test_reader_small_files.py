"""The reader parses a small file's sheets on the calling thread and a large one's on a worker thread
(overlapping the checks): both ways read the same cells and refuse the same files, in the same words."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from cpl.core.sheets import WorkbookData
from cpl.demo.samples import sample_submission
from cpl.workbook import reader
from cpl.workbook.reader import WorkbookUnreadable, read_workbook
from cpl.workbook.template import write_submission
from tests.cpl.workbook import hostile_workbooks as hostile
from tests.cpl.workbook.hostile_workbooks import inline_cell, sheet_xml, workbook


def submission(rows: int) -> bytes:
    buffer = io.BytesIO()
    sample = sample_submission(rows)
    write_submission(buffer, sample.entries, sample.certificates)
    return buffer.getvalue()


def formula_sheet() -> bytes:
    return workbook(sheet_xml(b'<row r="1">' + inline_cell("A1", "x") + b'<c r="B1"><f>1+1</f><v>2</v></c></row>'))


def read_both_ways(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[WorkbookData, WorkbookData]:
    monkeypatch.setattr(reader, "_OVERLAP_FROM_BYTES", len(data) + 1)
    inline = read_workbook(data)
    monkeypatch.setattr(reader, "_OVERLAP_FROM_BYTES", 0)
    overlapped = read_workbook(data)
    return inline, overlapped


@pytest.mark.parametrize("make", [lambda: submission(1), lambda: submission(40), formula_sheet])
def test_a_file_reads_the_same_on_one_thread_or_two(make: Callable[[], bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    inline, overlapped = read_both_ways(make(), monkeypatch)
    assert inline == overlapped
    assert inline.sheets  # something was read


@pytest.mark.parametrize("make", [hostile.far_apart_cells, hostile.utf16_sheet, hostile.duplicate_part_names])
def test_a_hostile_file_is_refused_alike_on_one_thread_or_two(
    make: Callable[[], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make()
    reasons = []
    for threshold in (len(data) + 1, 0):
        monkeypatch.setattr(reader, "_OVERLAP_FROM_BYTES", threshold)
        with pytest.raises(WorkbookUnreadable) as refused:
            read_workbook(data)
        reasons.append(refused.value.reason)
    assert reasons[0] == reasons[1]


def test_a_one_row_submission_is_a_small_file() -> None:
    assert len(submission(1)) < reader._OVERLAP_FROM_BYTES
