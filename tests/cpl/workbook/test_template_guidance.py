"""The template's Guidance sheet says how enumerated values are matched (issue 12): case and surrounding
spaces ignored, anything else F002 with the nearest valid value."""

from __future__ import annotations

import io

import openpyxl

from cpl.core.schema import GUIDANCE_SHEET
from cpl.workbook.template import write_template


def guidance_notes() -> str:
    buffer = io.BytesIO()
    write_template(buffer)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))[GUIDANCE_SHEET]
    notes = [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "Notes"]
    assert len(notes) == 1
    return str(notes[0][4])


def test_the_guidance_says_case_is_ignored_in_the_drop_down_columns() -> None:
    notes = guidance_notes()
    assert (
        "(Submission Type, Physical Device Type, Scheme) are matched with case and surrounding spaces ignored" in notes
    )
    assert "'gas smart meter' reads as Gas Smart Meter" in notes


def test_the_guidance_says_a_value_near_a_valid_one_is_named() -> None:
    notes = guidance_notes()
    assert "any other value is F002, which names the valid value nearest it ('did you mean ...?')" in notes
    assert "`cpl codes`" in notes
