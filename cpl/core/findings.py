"""Findings: what a check says about a workbook, with a stable code and a place (CONTRACT.md section 1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Code(StrEnum):
    WB001 = "WB001"
    WB002 = "WB002"
    F001 = "F001"
    F002 = "F002"
    C001 = "C001"
    C002 = "C002"
    C003 = "C003"
    C004 = "C004"
    C005 = "C005"
    V001 = "V001"
    V002 = "V002"
    D001 = "D001"
    D002 = "D002"
    P001 = "P001"
    P002 = "P002"
    P003 = "P003"
    P004 = "P004"
    P005 = "P005"
    N001 = "N001"
    N002 = "N002"
    C006 = "C006"
    F003 = "F003"
    N003 = "N003"
    C007 = "C007"
    C008 = "C008"


@dataclass(frozen=True)
class CodeInfo:
    """What a code is: its severity (part of the contract), what it means and how to put it right."""

    severity: Severity
    meaning: str
    how_to_fix: str


#: Every code, in the order they were added (codes are only ever added, never renumbered).
CODE_TABLE: dict[Code, CodeInfo] = {
    Code.WB001: CodeInfo(
        Severity.ERROR,
        "not a readable .xlsx workbook",
        "Save the file from the spreadsheet as an Excel workbook (.xlsx), without a password, and submit that file.",
    ),
    Code.WB002: CodeInfo(
        Severity.ERROR,
        "a required sheet or header is missing",
        "Start from `cpl template` (or the SEC's New Entry form) and keep its sheet names and header texts.",
    ),
    Code.F001: CodeInfo(
        Severity.ERROR,
        "a required value is empty",
        "Fill in the cell the finding names.",
    ),
    Code.F002: CodeInfo(
        Severity.ERROR,
        "a value has the wrong format",
        "Enter the value in the format the Guidance sheet gives for its column (hex digits, a date, one of the "
        "listed values); the sentence says what is wrong and, for a list of values, which one was probably meant.",
    ),
    Code.C001: CodeInfo(
        Severity.ERROR,
        "a certificate required for the Physical Device Type is missing",
        "Name the certificate the Physical Device Type needs (ZigBee, DLMS, CPA) in its column, and describe it "
        "on the 'Assurance Certificates' sheet.",
    ),
    Code.C002: CodeInfo(
        Severity.ERROR,
        "the CPA certificate has expired",
        "Submit the Device Model with its renewed CPA certificate and that certificate's expiry date.",
    ),
    Code.C003: CodeInfo(
        Severity.ERROR,
        "the CPA conditional date has passed with conditions not met",
        "Ask SECAS to record the certificate's conditions as met (or the extended conditional date), "
        "or submit a certificate without conditions.",
    ),
    Code.C004: CodeInfo(
        Severity.ERROR,
        "a named certificate is not listed or does not cover the Device Model",
        "Describe the certificate on the 'Assurance Certificates' sheet with the manufacturer, model and hardware "
        "version it covers, or name the certificate that covers this Device Model.",
    ),
    Code.C005: CodeInfo(
        Severity.ERROR,
        "a certificate does not list the firmware and no mapping evidence is given",
        "Give Firmware Mapping Evidence (release notes showing the certificate still maps to this firmware); on "
        "the SEC's form, SECAS records it with the approval.",
    ),
    Code.V001: CodeInfo(
        Severity.ERROR,
        "unknown Technical Specification or GBCS version",
        "Write a version the CPL recognises (`cpl specs list`), as the sentence suggests.",
    ),
    Code.V002: CodeInfo(
        Severity.ERROR,
        "the version was end-dated before the check date",
        "Have the Device Model certified against a version still in effect and submit that version.",
    ),
    Code.D001: CodeInfo(
        Severity.ERROR,
        "the entry is already on the CPL",
        "Leave the row out: the entry is listed already. A new firmware version is a new row.",
    ),
    Code.D002: CodeInfo(
        Severity.ERROR,
        "the entry appears twice in the workbook",
        "Delete one of the two rows.",
    ),
    Code.P001: CodeInfo(
        Severity.ERROR,
        "a manufacturer's firmware update has no confirming supplier",
        "Name a registered supplier in Confirming Supplier, or have the supplier submit the update.",
    ),
    Code.P002: CodeInfo(
        Severity.ERROR,
        "SMETS1 entries may only be submitted by the DCC",
        "Ask the DCC to submit the SMETS1 entry.",
    ),
    Code.P003: CodeInfo(
        Severity.ERROR,
        "a Manufacturer Image Hash needs a valid workbook signature",
        "Sign the workbook's bytes with your registered key (a detached CMS signature, WORKBOOK.xlsx.p7s) and "
        "submit the signature with it, or leave the hash out.",
    ),
    Code.P004: CodeInfo(
        Severity.ERROR,
        "a Manufacturer Image Hash needs its creator",
        "Fill in Manufacturer Image Creator.",
    ),
    Code.P005: CodeInfo(
        Severity.ERROR,
        "a firmware update's Device Model is not on the CPL",
        "Submit the row as New, with its certificates.",
    ),
    Code.N001: CodeInfo(
        Severity.WARNING,
        "the CPA certificate expires within 12 months",
        "Nothing blocks the submission; plan the CPA certificate's renewal before it expires.",
    ),
    Code.N002: CodeInfo(
        Severity.WARNING,
        "an unknown extra column",
        "Nothing is read from the column; delete it, or check its header's spelling if it was meant to be read.",
    ),
    Code.C006: CodeInfo(
        Severity.ERROR,
        "the Physical Device Type is not listed on the CPL",
        "Leave the row out: IHDs and other Type 2 Devices are never on the CPL.",
    ),
    Code.F003: CodeInfo(
        Severity.ERROR,
        "the workbook lists no entry",
        "Fill in at least one entry's row (on the SEC's form, its New Entry's Details cells).",
    ),
    Code.N003: CodeInfo(
        Severity.WARNING,
        "a lifetime CPA certificate's renewal date falls within 12 months",
        "Nothing blocks the submission; plan the lifetime certificate's renewal.",
    ),
    Code.C007: CodeInfo(
        Severity.ERROR,
        "the entry's CPA Expiry Date is not its certificate's Expiry",
        "Correct whichever date is wrong so that the entry and the 'Assurance Certificates' sheet both give the "
        "date printed on the CPA certificate.",
    ),
    Code.C008: CodeInfo(
        Severity.ERROR,
        "a certificate's Issued date is after the check date",
        "Enter the issue date printed on the certificate; a certificate not yet issued cannot be submitted.",
    ),
}


@dataclass(frozen=True, order=True)
class Finding:
    code: Code
    sheet: str | None
    row: int | None
    column: str | None
    message: str

    @property
    def severity(self) -> Severity:
        return CODE_TABLE[self.code].severity

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict[str, str | int | None]:
        data: dict[str, str | int | None] = asdict(self)
        data["code"] = str(self.code)
        data["severity"] = str(self.severity)
        return {k: data[k] for k in ("code", "severity", "sheet", "row", "column", "message")}


def finding(
    code: Code, message: str, *, sheet: str | None = None, row: int | None = None, column: str | None = None
) -> Finding:
    return Finding(code=code, sheet=sheet, row=row, column=column, message=message)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.is_error for f in findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Report order: by sheet, then row, then column, then code."""
    return sorted(findings, key=lambda f: (f.sheet or "", f.row or 0, f.column or "", f.code))
