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


#: What each code means; the severity is part of the contract.
CODE_TABLE: dict[Code, tuple[Severity, str]] = {
    Code.WB001: (Severity.ERROR, "not a readable .xlsx workbook"),
    Code.WB002: (Severity.ERROR, "a required sheet or header is missing"),
    Code.F001: (Severity.ERROR, "a required value is empty"),
    Code.F002: (Severity.ERROR, "a value has the wrong format"),
    Code.C001: (Severity.ERROR, "a certificate required for the Physical Device Type is missing"),
    Code.C002: (Severity.ERROR, "the CPA certificate has expired"),
    Code.C003: (Severity.ERROR, "the CPA conditional date has passed with conditions not met"),
    Code.C004: (Severity.ERROR, "a named certificate is not listed or does not cover the Device Model"),
    Code.C005: (Severity.ERROR, "a certificate does not list the firmware and no mapping evidence is given"),
    Code.V001: (Severity.ERROR, "unknown Technical Specification or GBCS version"),
    Code.V002: (Severity.ERROR, "the version was end-dated before the check date"),
    Code.D001: (Severity.ERROR, "the entry is already on the CPL"),
    Code.D002: (Severity.ERROR, "the entry appears twice in the workbook"),
    Code.P001: (Severity.ERROR, "a manufacturer's firmware update has no confirming supplier"),
    Code.P002: (Severity.ERROR, "SMETS1 entries may only be submitted by the DCC"),
    Code.P003: (Severity.ERROR, "a Manufacturer Image Hash needs a valid workbook signature"),
    Code.P004: (Severity.ERROR, "a Manufacturer Image Hash needs its creator"),
    Code.P005: (Severity.ERROR, "a firmware update's Device Model is not on the CPL"),
    Code.N001: (Severity.WARNING, "the CPA certificate expires within 12 months"),
    Code.N002: (Severity.WARNING, "an unknown extra column"),
    Code.C006: (Severity.ERROR, "the Physical Device Type is not listed on the CPL"),
    Code.F003: (Severity.ERROR, "the workbook lists no entry"),
    Code.N003: (Severity.WARNING, "a lifetime CPA certificate's renewal date falls within 12 months"),
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
        return CODE_TABLE[self.code][0]

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
