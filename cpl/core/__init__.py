"""The authority's pure core: the CPL's rules as functions over plain values and a date.

No database, no files, no environment, no clock, no network (an import-linter contract and
tests/test_architecture.py hold it to that). The shells around it (`cpl.services`, `cpl.workbook`,
`cpl.mailer`, `cpl.publication`, `cpl.cli`, `api/`) read and write; these modules decide.

- `domain`: Physical Device Type tables (the certificates each needs), CPA dates, notice windows.
- `schema`: the submission workbook's sheets and columns, as data.
- `sheets`: cell values as the safe reader hands them over.
- `submission`: from cells to typed rows, with the format findings.
- `rules`: every finding code as a named function; `check_submission` runs them all.
- `findings`: the finding model and the code table.
- `specs`: the registry of Technical Specification and GBCS versions.
- `lifecycle`: who must confirm, what a decided submission is, what a removal needs, four eyes.
- `extracts`: what a new extract changes, and the Panel-reference rule for removals.
- `expiry`: which CPA notices are owed and which removals to propose.
- `notices`: what each notice to a party says.
- `errors`: every refusal the authority makes, named.
"""
