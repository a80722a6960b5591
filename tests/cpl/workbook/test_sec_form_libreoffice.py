"""The SEC's New Entry form filled in and saved by LibreOffice Calc, as a manufacturer without Excel would.

The form is the real CPL 2.051 workbook's (``../shared/reference``), filled in with openpyxl, then opened
and saved again by Debian's LibreOffice (``soffice --headless --convert-to xlsx``): LibreOffice rewrites
every part of the file its own way (shared strings, styles, date cells, the data validations), so the
reader meets a file no Python library wrote. Valid values give no errors; a bad value is a finding on
its attribute's row of the form, as it is for the file openpyxl wrote; ``cpl check`` says the same
through the real command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from cpl.core.domain import PartyRole, SubmissionType
from cpl.core.findings import Code
from cpl.core.sec_form import DETAILS_COLUMN, FORM_SHEET, read_sec_form
from cpl.core.sheets import CellValue
from cpl.workbook.reader import read_workbook
from tests.cpl.conftest import CplRun
from tests.cpl.core.test_sec_form import (
    SMETS1,
    VALID,
    context,
    judge,
    nothing_listed,
    places,
    save_form,
)
from tests.cpl.core.test_sec_list import sec_reference  # noqa: F401 (the fixture that finds the file)

SOFFICE = shutil.which("soffice")

pytestmark = [
    pytest.mark.usefixtures("sec_reference"),
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (Debian's libreoffice-calc-nogui) is not installed"),
]


def _saved_by_libreoffice(tmp_path: Path, values: Mapping[str, CellValue], name: str = "form") -> Path:
    """The filled form opened and saved again by LibreOffice Calc, as Excel 2007-365 .xlsx."""
    source = tmp_path / "openpyxl" / f"{name}.xlsx"
    source.parent.mkdir(exist_ok=True)
    save_form(source, values)
    out = tmp_path / "libreoffice"
    profile = tmp_path / "lo-profile"  # a profile of its own: no clash with another LibreOffice running
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    saved = out / f"{name}.xlsx"
    assert saved.exists(), f"LibreOffice wrote no {saved.name}"
    assert saved.read_bytes() != source.read_bytes()  # LibreOffice's own file, not a copy of openpyxl's
    return saved


def test_the_form_saved_by_libreoffice_is_a_file_libreoffice_wrote(tmp_path: Path) -> None:
    saved = _saved_by_libreoffice(tmp_path, VALID)
    import zipfile

    with zipfile.ZipFile(saved) as parts:
        app = parts.read("docProps/app.xml").decode()
    assert "LibreOffice" in app  # the reader meets LibreOffice's writing, not openpyxl's


def test_a_valid_form_saved_by_libreoffice_gives_no_errors(tmp_path: Path) -> None:
    saved = _saved_by_libreoffice(tmp_path, VALID)
    form = read_sec_form(read_workbook(saved.read_bytes()), device_model_listed=nothing_listed)
    entries, findings = judge(form)
    assert [f for f in findings if f.is_error] == []
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.manufacturer_id, entry.model_id, entry.hardware_version, entry.firmware_version) == (
        "106C",
        "10E1",
        "A100",
        "01057200",
    )


def test_a_smets1_form_saved_by_libreoffice_reads_as_the_one_openpyxl_saved(tmp_path: Path) -> None:
    """Entry 000220's SMETS1 form, as the DCC would submit it: the same entry and the same findings."""
    saved = _saved_by_libreoffice(tmp_path, SMETS1, name="smets1")
    by_libreoffice = judge(
        read_sec_form(read_workbook(saved.read_bytes()), device_model_listed=nothing_listed),
        context(submitter=PartyRole.DCC),
    )
    by_openpyxl = judge(
        read_sec_form(
            read_workbook((tmp_path / "openpyxl" / "smets1.xlsx").read_bytes()), device_model_listed=nothing_listed
        ),
        context(submitter=PartyRole.DCC),
    )
    (entry,) = by_libreoffice[0]
    assert entry.submission_type is SubmissionType.SMETS1 and entry.gbcs_version is None
    assert (entry.manufacturer_id, entry.model_id, entry.firmware_version) == ("1028", "2000", "029210D6")
    assert by_libreoffice == by_openpyxl


@pytest.mark.parametrize(
    ("label", "value", "code", "row"),
    [  # rows as the real form has them (see test_sec_form's table)
        ("Device_Model.model_identifier", "10E", Code.F002, 11),
        ("Device_Model.hardware_version.revision", "G0", Code.F002, 13),
        ("GBCS Version.version_number", "GBCS Version 9.9", Code.V001, 16),
        ("CPA_Certificate.expiry_date", "31/02/2023", Code.F002, 19),
        ("CPA_Certificate.expiry_date", None, Code.F001, 19),
    ],
)
def test_an_error_on_a_form_saved_by_libreoffice_lands_on_its_attributes_row(
    tmp_path: Path, label: str, value: CellValue, code: Code, row: int
) -> None:
    saved = _saved_by_libreoffice(tmp_path, {**VALID, label: value})
    form = read_sec_form(read_workbook(saved.read_bytes()), device_model_listed=nothing_listed)
    _, findings = judge(form)
    assert places(findings) == {(code, FORM_SHEET, row, DETAILS_COLUMN)}


def test_cpl_check_of_a_form_saved_by_libreoffice(cpl: CplRun, tmp_path: Path) -> None:
    """Through the real command, unsigned: the clean form's one error is that its Manufacturer Image
    hash needs a signed submission (P003, on the hash's row); the broken one adds its own at its row."""
    (tmp_path / "clean").mkdir()
    (tmp_path / "broken").mkdir()
    clean = _saved_by_libreoffice(tmp_path / "clean", VALID)
    broken = _saved_by_libreoffice(tmp_path / "broken", {**VALID, "Device_Model.model_identifier": "10E"})

    def errors(report: dict[str, list[dict[str, object]]]) -> list[tuple[object, ...]]:
        return [(f["code"], f["sheet"], f["row"], f["column"]) for f in report["findings"] if f["severity"] == "error"]

    unsigned_hash = ("P003", FORM_SHEET, 25, DETAILS_COLUMN)
    assert errors(cpl.json("check", clean, "--as-of", "2022-01-10", expect=1)) == [unsigned_hash]
    assert errors(cpl.json("check", broken, "--as-of", "2022-01-10", expect=1)) == [
        ("F002", FORM_SHEET, 11, DETAILS_COLUMN),
        unsigned_hash,
    ]
