"""The finding codes as people read them: `cpl codes`, the page `docs/finding-codes.md`, the API's links.

Everything here is written from `cpl.core.findings.CODE_TABLE`, the one place each code's severity,
meaning and fix live: the page in the repository is this module's ``markdown()`` (a test fails when
they differ; `cpl codes --markdown > docs/finding-codes.md` writes it again), and the HTTP service
serves the same codes at ``CODES_PAGE``, each at the anchor ``help_link`` names.
"""

from __future__ import annotations

from dataclasses import dataclass

from cpl.core.findings import CODE_TABLE

#: Where the HTTP service serves the codes (HTML, one anchor per code); relative to the service.
CODES_PAGE = "/docs/finding-codes"


@dataclass(frozen=True)
class CodeDescription:
    code: str
    severity: str
    meaning: str
    how_to_fix: str

    @property
    def anchor(self) -> str:
        """The code's anchor on the page: its heading's, as GitHub makes it (``C007`` -> ``c007``)."""
        return self.code.lower()

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "meaning": self.meaning, "how_to_fix": self.how_to_fix}


def descriptions() -> list[CodeDescription]:
    """Every code, in code order (C001 ... WB002)."""
    return [
        CodeDescription(str(code), str(info.severity), info.meaning, info.how_to_fix)
        for code, info in sorted(CODE_TABLE.items())
    ]


def help_link(code: str) -> str:
    """The link a finding (or a refusal naming one) carries to its code's entry on the codes page."""
    return f"{CODES_PAGE}#{code.lower()}"


INTRODUCTION = (
    "`cpl check`, `cpl submit` and the HTTP API report each finding as `{code, severity, sheet, row, column, "
    "message}` (CONTRACT.md section 1): the code says what kind of problem it is, the place which cell, and "
    "the message what is wrong there. Codes are stable: they are only ever added, never renumbered or "
    "reused. An error stops a submission from being approved; a warning does not."
)

SOURCE_NOTE = (
    "This page is written from the code table (`cpl.core.findings.CODE_TABLE`) by "
    "`cpl codes --markdown > docs/finding-codes.md`, and a test fails when the two disagree. `cpl codes` "
    f"(`--json`) lists the same; the HTTP service serves it at `{CODES_PAGE}`, and each finding it returns "
    f"carries a `help` link to its code here (`{CODES_PAGE}#c007`)."
)


def markdown() -> str:
    """The page `docs/finding-codes.md`."""
    codes = descriptions()
    lines = ["# Finding codes", "", INTRODUCTION, "", SOURCE_NOTE, "", "| code | severity | meaning |", "|---|---|---|"]
    lines += [f"| [{d.code}](#{d.anchor}) | {d.severity} | {d.meaning} |" for d in codes]
    for d in codes:
        lines += ["", f"## {d.code}", "", f"**{d.severity}**: {d.meaning}.", "", f"How to fix: {d.how_to_fix}"]
    return "\n".join(lines) + "\n"
