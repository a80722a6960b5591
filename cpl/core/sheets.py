"""Cell values as the safe reader hands them over: the boundary between file I/O and the pure checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from cpl.core.schema import normalise_header

CellValue = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None


@dataclass(frozen=True)
class SheetData:
    """One worksheet: its header row (row 1) and its data rows, each with its spreadsheet row number.

    Rows holding nothing but empty cells and spaces are left out. ``formula_cells`` names the
    (row number, column index) cells that held a formula: their values are never evaluated or
    trusted. ``error_cells`` gives each data cell that held a spreadsheet error value (``#N/A``,
    ``#REF!``) that error's text, in rows left out too (one with nothing else in it): such a cell's
    value reads as None, and its error is reported, never taken for a blank.
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[CellValue, ...]], ...]
    formula_cells: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    error_cells: Mapping[tuple[int, int], str] = field(default_factory=dict, hash=False)


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
