"""The rules the SEC's own list shows (CONTRACT.md 4.1, DOMAIN.md "What the SEC's real list shows").

Expected values come from the contract's text: the [E]/[R] prefixes, 'GBCS Version 0.0' meaning
none, identity including the SMETS/CHTS and GBCS versions, lifetime certificates' renewal dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpl.core.domain import CpaKind, EntryIdentity, PartyRole, SubmissionType
from cpl.core.findings import Code, Finding
from cpl.core.rules import CheckContext, canonical_identity, check_submission
from cpl.core.schema import ENTRY_SHEET, column_for
from cpl.core.submission import parse_submission
from cpl.demo.samples import Row, as_workbook_data, sample_row
from cpl.specs_file import default_registry
from formats.vocabulary import PhysicalDeviceType

AS_OF = dt.date(2026, 11, 23)
REGISTRY = default_registry()
GAS = PhysicalDeviceType.GAS_SMART_METER


def check(entries: list[Row], certs: list[Row], **overrides: object) -> list[Finding]:
    context = replace(CheckContext(as_of=AS_OF, submitter=PartyRole.MANUFACTURER, registry=REGISTRY), **overrides)  # type: ignore[arg-type]
    return check_submission(parse_submission(as_workbook_data(entries, certs)), context)


def gas(index: int = 1, **changes: object) -> tuple[Row, list[Row]]:
    entry, certs = sample_row(GAS, index)
    entry.update(changes)
    return entry, certs


# --- the CPA prefixes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("[E] {n}", CpaKind.STANDARD),
        ("[R] {n}", CpaKind.LIFETIME),
        ("[r]{n}", CpaKind.LIFETIME),
        (" [ E ]  {n} ", CpaKind.STANDARD),
        ("{n}", None),
    ],
)
def test_a_cpa_prefix_is_read_as_the_certificate_kind_and_the_number_matches_without_it(
    written: str, kind: CpaKind | None
) -> None:
    entry, certs = gas()
    number = str(entry["cpa_certificate"])
    entry["cpa_certificate"] = written.format(n=number)
    entry["cpa_expiry"] = dt.date(2031, 1, 31)
    parsed = parse_submission(as_workbook_data([entry], certs))
    row = parsed.entries[0]
    assert (row.cpa_certificate, row.cpa_kind) == (number, kind)
    assert check([entry], certs) == [], "the prefixed number is the certificate on the sheet (no C004)"


@pytest.mark.parametrize("prefix", ["[X] ", "[] ", "[ER] ", "[S] "])
def test_any_other_prefix_is_f002_at_the_cpa_cell(prefix: str) -> None:
    entry, certs = gas()
    entry["cpa_certificate"] = prefix + str(entry["cpa_certificate"])
    found = check([entry], certs)
    assert [(f.code, f.row, f.column) for f in found if f.code == Code.F002] == [(Code.F002, 2, "CPA Certificate")]
    assert "[E] (standard) or [R] (lifetime)" in found[0].message


def test_a_prefix_without_a_number_is_f002() -> None:
    entry, certs = gas(cpa_certificate="[E]   ")
    assert [f.code for f in check([entry], certs)][:1] == [Code.F002]


def test_the_certificate_sheet_may_write_the_cpa_number_with_its_prefix() -> None:
    entry, certs = gas()
    for cert in certs:
        if cert["scheme"] == "CPA":
            cert["certificate_number"] = "[E] " + str(cert["certificate_number"])
    assert check([entry], certs) == []


# --- GBCS Version 0.0 means none ---------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["GBCS Version 0.0", " gbcs version 0.0 ", "GBCS  VERSION 0.0"])
def test_gbcs_version_0_0_is_no_gbcs_version(spelling: str) -> None:
    entry, certs = sample_row(GAS, 3, submission_type=SubmissionType.SMETS1)
    entry["gbcs_version"] = spelling
    assert parse_submission(as_workbook_data([entry], certs)).entries[0].gbcs_version is None
    assert check([entry], certs, submitter=PartyRole.DCC) == []


def test_a_smets2_entry_with_gbcs_version_0_0_has_no_gbcs_version_and_is_f001() -> None:
    entry, certs = gas(gbcs_version="GBCS Version 0.0")
    assert [(f.code, f.column) for f in check([entry], certs)] == [(Code.F001, "GBCS Version")]


# --- identity: the versions are part of it -----------------------------------------------------------


def test_one_model_under_two_technical_specifications_is_two_entries_not_a_duplicate() -> None:
    first, certs = gas()
    second = {**first, "technical_specification": "SMETS2 v5.0", "gbcs_version": "v4.1"}
    assert check([first, second], certs) == []


def test_one_model_under_two_gbcs_versions_is_two_entries() -> None:
    first, certs = gas()
    second = {**first, "gbcs_version": "v3.2"}
    assert check([first, second], certs) == []


def test_the_same_versions_spelled_the_sec_way_are_the_same_entry() -> None:
    first, certs = gas()
    second = {**first, "technical_specification": "SMETS V4.2 ", "gbcs_version": "GBCS Version 4.2"}
    found = check([first, second], certs)
    assert [(f.code, f.row) for f in found] == [(Code.D002, 3)]


def test_d001_only_for_the_same_versions() -> None:
    entry, certs = gas()
    row = parse_submission(as_workbook_data([entry], certs)).entries[0]
    assert row.identity is not None
    listed = canonical_identity(row.identity, REGISTRY)
    assert [f.code for f in check([entry], certs, active_entries=frozenset({listed}))] == [Code.D001]
    other = listed._replace(gbcs_version="v3.2")
    assert check([entry], certs, active_entries=frozenset({other})) == []


def test_canonical_identity_spells_versions_as_the_registry_does() -> None:
    written = EntryIdentity(GAS, "106C", "4331", "00AC", "9001", "SMETS V4.2", "GBCS Version 3.2")
    assert canonical_identity(written, REGISTRY) == written._replace(
        technical_specification="SMETS2 v4.2", gbcs_version="v3.2"
    )
    unknown = written._replace(technical_specification="SMETS V9.9", gbcs_version=None)
    assert canonical_identity(unknown, REGISTRY) == unknown


# --- lifetime certificates: a renewal date, never an expiry ------------------------------------------


def lifetime(renewal: dt.date) -> tuple[Row, list[Row]]:
    entry, certs = gas()
    entry["cpa_certificate"] = "[R] " + str(entry["cpa_certificate"])
    entry["cpa_expiry"] = renewal
    return entry, certs


def test_a_lifetime_certificate_past_its_renewal_date_is_not_expired_only_n003() -> None:
    entry, certs = lifetime(AS_OF - dt.timedelta(days=400))
    found = check([entry], certs)
    assert [(f.code, f.column) for f in found] == [(Code.N003, "CPA Expiry Date")]
    assert "renewal" in found[0].message


def test_a_standard_certificate_past_the_same_date_is_c002() -> None:
    entry, certs = gas(cpa_certificate=None)
    entry, certs = lifetime(AS_OF - dt.timedelta(days=400))
    entry["cpa_certificate"] = str(entry["cpa_certificate"]).replace("[R] ", "[E] ")
    assert Code.C002 in [f.code for f in check([entry], certs)]


@pytest.mark.parametrize(
    ("renewal", "warned"),
    [
        (dt.date(2027, 11, 22), True),  # 12 months less a day ahead
        (dt.date(2027, 11, 23), True),  # exactly 12 months: the notice window opens on the day
        (dt.date(2027, 11, 24), False),
        (AS_OF, True),  # due today
    ],
)
def test_n003_when_the_renewal_date_falls_within_12_months(renewal: dt.date, warned: bool) -> None:
    entry, certs = lifetime(renewal)
    assert [f.code for f in check([entry], certs)] == ([Code.N003] if warned else [])


def test_a_lifetime_certificate_without_its_date_is_f001_naming_the_renewal_date() -> None:
    entry, certs = lifetime(AS_OF)
    entry["cpa_expiry"] = None
    found = [f for f in check([entry], certs) if f.code == Code.F001]
    assert [f.column for f in found] == ["CPA Expiry Date"] and "renewal date" in found[0].message


@settings(max_examples=50, deadline=None)
@given(
    pad=st.tuples(st.sampled_from(["", " ", "  ", "\t"]), st.sampled_from(["", " ", "   "])),
    upper=st.booleans(),
)
def test_white_space_and_case_around_a_sec_value_never_matter(pad: tuple[str, str], upper: bool) -> None:
    entry, certs = gas()
    plain = parse_submission(as_workbook_data([entry], certs)).entries[0]
    left, right = pad
    spelled = dict(entry)
    for key, sec in (
        ("technical_specification", "SMETS V4.2"),
        ("gbcs_version", "GBCS Version 4.2"),
        ("manufacturer_id", "10:6c"),
        ("cpa_certificate", "[e] " + str(entry["cpa_certificate"])),
    ):
        spelled[key] = left + (sec.upper() if upper else sec) + right
    row = parse_submission(as_workbook_data([spelled], certs)).entries[0]
    assert canonical_identity(row.identity, REGISTRY) == canonical_identity(plain.identity, REGISTRY)  # type: ignore[arg-type]
    assert row.cpa_kind is CpaKind.STANDARD
    assert check([spelled], certs) == []


# --- what the findings say ---------------------------------------------------------------------------


def test_a_lifetime_certificates_notices_say_when_it_is_due_for_renewal() -> None:
    entry, certs = lifetime(dt.date(2027, 5, 31))
    number = str(entry["cpa_certificate"]).removeprefix("[R] ")
    assert [f.message for f in check([entry], certs)] == [
        f"Lifetime CPA certificate {number} is due for renewal on 2027-05-31, within 12 months."
    ]
    entry, certs = lifetime(dt.date(2026, 5, 31))
    assert [f.message for f in check([entry], certs)] == [
        f"Lifetime CPA certificate {number} was due for renewal on 2026-05-31."
    ]


def test_a_missing_lifetime_renewal_date_is_asked_for_by_name() -> None:
    entry, certs = lifetime(AS_OF)
    entry["cpa_expiry"] = None
    assert [f.message for f in check([entry], certs) if f.code == Code.F001] == [
        "CPA Expiry Date (for a lifetime [R] certificate, its renewal date) is required with a CPA certificate."
    ]


def test_an_entry_already_listed_names_its_versions_and_smets1_has_no_gbcs_version() -> None:
    entry, certs = sample_row(GAS, 3, submission_type=SubmissionType.SMETS1)
    row = parse_submission(as_workbook_data([entry], certs)).entries[0]
    assert row.identity is not None
    listed = frozenset({canonical_identity(row.identity, REGISTRY)})
    found = check([entry], certs, submitter=PartyRole.DCC, active_entries=listed)
    assert [f.code for f in found] == [Code.D001]
    assert found[0].message.endswith(" firmware 9001 (SMETS1 v1.2, GBCS none) is already on the CPL.")


def test_a_type_2_device_is_c006_citing_the_procedures() -> None:
    entry, certs = gas(physical_device_type=PhysicalDeviceType.IHD)
    found = check([entry], certs)
    assert [(f.code, f.column) for f in found] == [(Code.C006, "Physical Device Type")]
    assert found[0].message.endswith(
        " is a Type 2 Device, which the CPL does not list (SEC Inventory Enrolment and Withdrawal Procedures 2.9)."
    )


def test_on_the_sec_form_secas_records_the_mapping_evidence() -> None:
    """CONTRACT.md 4.3: the form has no field for mapping evidence; SECAS records it with the submission."""
    entry, certs = gas(firmware_version="9002")  # its certificates list firmware 9001
    numbers = {str(c["scheme"]): str(c["certificate_number"]) for c in certs}
    found = check([entry], certs, sec_form=True)
    assert [(f.code, f.column, f.message) for f in found] == [
        (
            Code.C005,
            "Firmware Mapping Evidence",
            f"{scheme} certificate {numbers[scheme]} lists firmware 9001, not 9002; "
            "SECAS records the firmware mapping evidence with the approval.",
        )
        for scheme in ("ZigBee", "CPA")
    ]


def test_a_manufacturers_firmware_update_on_the_sec_form_waits_for_a_supplier() -> None:
    """CONTRACT.md 4.3: the form has no field for a confirming supplier, so its absence is no finding there."""
    entry, certs = gas(submission_type=SubmissionType.FIRMWARE_UPDATE)
    row = parse_submission(as_workbook_data([entry], certs)).entries[0]
    assert row.identity is not None and row.confirming_supplier is None
    listed = frozenset({row.identity.device_model})
    assert check([entry], certs, active_device_models=listed, sec_form=True) == []
    assert [f.code for f in check([entry], certs, active_device_models=listed)] == [Code.P001]


def test_a_workbook_with_no_entry_is_f003_on_the_first_entry_row() -> None:
    _, certs = gas()
    assert check([], certs) == [
        Finding(Code.F003, "CPL New Entry", 2, None, "The workbook lists no entry: every row of the sheet is blank.")
    ]


def test_an_unknown_or_bare_cpa_prefix_is_named_in_the_finding() -> None:
    entry, certs = gas(cpa_certificate="[X] NCSC-1")
    assert [f.message for f in check([entry], certs)] == [
        "CPA Certificate '[X] NCSC-1' has the prefix [X]: a CPA certificate is [E] (standard) or [R] (lifetime)."
    ]
    entry, certs = gas(cpa_certificate="[E]  ")
    assert [f.message for f in check([entry], certs)] == [
        "CPA Certificate '[E]' has a prefix but no certificate number."
    ]


def test_a_cpa_number_is_read_to_the_columns_length_limits_inclusive() -> None:
    column = column_for(ENTRY_SHEET, "cpa_certificate")
    for length in (column.min_length, column.max_length):
        entry, certs = gas()
        number = "N" * length
        entry["cpa_certificate"] = "[E] " + number
        for cert in certs:
            if cert["scheme"] == "CPA":
                cert["certificate_number"] = number
        assert check([entry], certs) == [], length
    entry, certs = gas(cpa_certificate="[E] " + "N" * (column.max_length + 1))
    assert [(f.code, f.column, f.message) for f in check([entry], certs)] == [
        (
            Code.F002,
            "CPA Certificate",
            f"CPA Certificate has {column.max_length + 1} characters; CPA Certificate takes "
            f"{column.min_length} to {column.max_length}.",
        )
    ]


def test_a_certificate_sheets_number_under_another_prefix_is_not_the_certificate() -> None:
    """Only [E] and [R] are prefixes (CONTRACT.md 4.1): '[X] CPA-1' on the sheet is not CPA-1."""
    entry, certs = gas()
    for cert in certs:
        if cert["scheme"] == "CPA":
            cert["certificate_number"] = "[X] " + str(cert["certificate_number"])
    assert [(f.code, f.column) for f in check([entry], certs)] == [(Code.C004, "CPA Certificate")]


def test_a_gbcs_version_in_a_number_cell_is_f002_not_a_crash() -> None:
    """'GBCS Version 0.0' is matched on text only; a number cell is the wrong format (Excel turns 4.2 into a number)."""
    entry, certs = gas(gbcs_version=4.2)
    assert [(f.code, f.column, f.message) for f in check([entry], certs)] == [
        (
            Code.F002,
            "GBCS Version",
            "GBCS Version was stored as the number 4.2, and a number cell loses a version's digits "
            "(4.0 becomes 4, 4.10 becomes 4.1): format the column as Text and enter the value again.",
        )
    ]
