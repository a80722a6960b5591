"""Reading a 10,000-row submission workbook safely (every check before calamine), against a raw calamine read;
and the slowest refusal of a hostile workbook (the test suite's collection of them), which must come
within 5 seconds, against the same raw read."""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from pathlib import Path

from python_calamine import CalamineWorkbook

from bench import Measurement, best_of
from cpl.demo.samples import sample_submission
from cpl.workbook.reader import WorkbookUnreadable, read_workbook
from cpl.workbook.template import write_submission

ROWS = 10_000
#: The most a hostile workbook may take to be refused.
REFUSED_WITHIN = 5.0


def _raw_read(data: bytes) -> int:
    """What calamine alone does for the same cells: every sheet, every row as a list."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    cells = 0
    for index in range(len(book.sheet_names)):
        for row in book.get_sheet_by_index(index).to_python():
            cells += len(row)
    return cells


def _safe_read(data: bytes) -> int:
    return sum(len(values) for sheet in read_workbook(data).sheets for _, values in sheet.rows)


def run() -> list[Measurement]:
    sample = sample_submission(ROWS)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "submission.xlsx"
        write_submission(path, sample.entries, sample.certificates)
        data = path.read_bytes()
    # best of 3 each, taken in turns, so that a busy machine slows both alike
    raw = ours = float("inf")
    for _ in range(3):
        seconds, raw_cells = best_of(1, lambda: _raw_read(data))
        raw = min(raw, seconds)
        seconds, our_cells = best_of(1, lambda: _safe_read(data))
        ours = min(ours, seconds)
    assert our_cells > 0 and raw_cells > 0
    slowest, case = _slowest_refusal()
    return [
        Measurement(f"read_workbook (safe read, {ROWS:,} rows)", ours, "raw python-calamine read, same file", raw),
        Measurement(
            f"slowest hostile workbook refused ({case})",
            slowest,
            f"raw python-calamine read of the {ROWS:,}-row workbook",
            raw,
            seconds_limit=REFUSED_WITHIN,
        ),
    ]


def _slowest_refusal() -> tuple[float, str]:
    """The longest any of the tests' hostile workbooks takes to be refused (median of 3), and which."""
    from tests.cpl.workbook.test_workbook import HOSTILE

    slowest, which = 0.0, ""
    for case, (build, _words) in HOSTILE.items():
        data = build()
        times = []
        for _ in range(3):
            start = time.perf_counter()
            try:
                read_workbook(data)
            except WorkbookUnreadable:
                pass
            else:
                raise AssertionError(f"the hostile workbook {case!r} was read")
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        if seconds > slowest:
            slowest, which = seconds, case
    return slowest, which
