"""Cell values as the safe reader hands them over: the boundary between file I/O and the pure checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cpl.core.schema import normalise_header

CellValue = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None


@dataclass(frozen=True)
class SheetData:
    """One worksheet: its header row (row 1) and its data rows, each with its spreadsheet row number.

    Fully empty rows are left out. ``formula_cells`` names the (row number, column index) cells that
    held a formula: their values are never evaluated or trusted.
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[CellValue, ...]], ...]
    formula_cells: frozenset[tuple[int, int]] = field(default_factory=frozenset)


@dataclass(frozen=True)
class WorkbookData:
    sheets: tuple[SheetData, ...]
    #: The file holds a VBA project (macros): never read or run here; a submission refuses it.
    macros: bool = False

    def sheet(self, name: str) -> SheetData | None:
        """Sheets are found by name, case and surrounding spaces ignored."""
        wanted = normalise_header(name)
        for sheet in self.sheets:
            if normalise_header(sheet.name) == wanted:
                return sheet
        return None
