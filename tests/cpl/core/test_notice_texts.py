"""What each notice says (DOMAIN.md rules 2 and 8): subjects and bodies exactly as parties read them."""

from __future__ import annotations

import datetime as dt

import pytest

from cpl.core.notices import (
    CPL_PUBLISHED,
    DCC_LOADED,
    SUBMISSION_OUTCOME,
    Notice,
    cpa_expiry_kind,
    cpa_expiry_months,
    cpa_expiry_notice,
    cpa_expiry_ref,
    dcc_loaded_notice,
    message_id,
    published_notice,
    submission_outcome_notice,
)

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
NOON_UTC = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def footer(reference: str) -> str:
    return (
        "\n--\n"
        "The Central Products List service, run by SECAS for the SEC Panel.\n"
        f"This message was sent automatically; reference {reference}.\n"
    )


def text(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines)


# --- kinds ----------------------------------------------------------------------------------------


def test_the_notice_kinds_are_stable_names() -> None:
    assert (CPL_PUBLISHED, DCC_LOADED, SUBMISSION_OUTCOME) == ("cpl-published", "dcc-loaded", "submission-outcome")


def test_each_cpa_notice_window_is_its_own_kind() -> None:
    assert cpa_expiry_kind(12) == "cpa-expiry-12-months"
    assert cpa_expiry_kind(6) == "cpa-expiry-6-months"


@pytest.mark.parametrize(("kind", "months"), [("cpa-expiry-12-months", 12), ("cpa-expiry-6-months", 6)])
def test_a_cpa_expiry_kind_names_its_window(kind: str, months: int) -> None:
    assert cpa_expiry_months(kind) == months


@pytest.mark.parametrize(
    "kind",
    [
        "cpl-published",
        "dcc-loaded",
        "submission-outcome",
        "cpa-expiry-12",
        "12-months",
        "cpa-expiry--months",
        "cpa-expiry-six-months",
        "cpa-expiry-12-months-late",
        "x-cpa-expiry-12-months",
    ],
)
def test_any_other_kind_has_no_cpa_window(kind: str) -> None:
    assert cpa_expiry_months(kind) is None


def test_a_cpa_notice_is_one_per_entry_and_effective_end() -> None:
    assert cpa_expiry_ref("CPL-000001", dt.date(2027, 6, 30)) == "CPL-000001@2027-06-30"


# --- (a) a new version published ---------------------------------------------------------------------


def test_a_published_version_says_its_size_what_changed_and_that_the_dcc_has_not_yet_loaded_it() -> None:
    notice = published_notice(
        sequence=42,
        issued_at=dt.datetime(2026, 11, 22, 17, 30, tzinfo=IST),
        entries_by_status={"Active": 3, "Withdrawn": 1},
        changes={
            "added": ["CPL-000007"],
            "removed": [{"entry_id": "CPL-000002", "status": "Withdrawn", "panel_reference": "SECP_66_1503"}],
            "restored": [],
            "changed": ["CPL-000005"],
        },
        dcc_loaded_at=None,
    )
    assert (notice.kind, notice.subject_ref, notice.subject) == (
        "cpl-published",
        "extract:42",
        "CPL version 42 published",
    )
    assert notice.body == text(
        "Version 42 of the Central Products List was issued on 2026-11-22 12:00 UTC",
        "and is published.",
        "",
        "It lists 4 entries: 3 Active, 1 Withdrawn.",
        "",
        "What changed since the previous version:",
        "  added: CPL-000007",
        "  removed: CPL-000002 (Withdrawn, Panel decision SECP_66_1503)",
        "  restored: none",
        "  changed: CPL-000005",
        "",
        "The DCC has not yet confirmed that it has loaded this version; you will be",
        "told when it has.",
    ) + footer("cpl-published extract:42")


def test_a_published_version_the_dcc_has_loaded_says_when_and_one_entry_is_an_entry() -> None:
    notice = published_notice(
        sequence=43,
        issued_at=dt.datetime(2026, 11, 29, 12, 0),
        entries_by_status={"Active": 1},
        changes={},
        dcc_loaded_at=dt.datetime(2026, 11, 29, 18, 35, tzinfo=IST),
    )
    assert notice.subject == "CPL version 43 published"
    assert notice.body == text(
        "Version 43 of the Central Products List was issued on 2026-11-29 12:00 UTC",
        "and is published.",
        "",
        "It lists 1 entry: 1 Active.",
        "",
        "What changed since the previous version:",
        "  added: none",
        "  removed: none",
        "  restored: none",
        "  changed: none",
        "",
        "The DCC has loaded this version into the Smart Metering Inventory (applied",
        "2026-11-29 13:05 UTC).",
    ) + footer("cpl-published extract:43")


def test_long_change_lists_wrap_under_their_label_without_splitting_entry_numbers() -> None:
    notice = published_notice(
        sequence=44,
        issued_at=NOON_UTC,
        entries_by_status={"Active": 12, "Expired": 2},
        changes={
            "added": [f"CPL-{n:06d}" for n in range(1, 13)],
            "removed": [
                {"entry_id": "CPL-000020", "status": "Expired", "panel_reference": "SECP_66_1503"},
                {"entry_id": "CPL-000021", "status": "Expired", "panel_reference": "SECP_66_1504"},
            ],
            "restored": ["CPL-000030"],
            "changed": ["CPL-000031", "CPL-000032"],
        },
        dcc_loaded_at=None,
    )
    assert notice.body == text(
        "Version 44 of the Central Products List was issued on 2026-11-22 12:00 UTC",
        "and is published.",
        "",
        "It lists 14 entries: 12 Active, 2 Expired.",
        "",
        "What changed since the previous version:",
        "  added: CPL-000001, CPL-000002, CPL-000003, CPL-000004, CPL-000005,",
        "    CPL-000006, CPL-000007, CPL-000008, CPL-000009, CPL-000010, CPL-000011,",
        "    CPL-000012",
        "  removed: CPL-000020 (Expired, Panel decision SECP_66_1503), CPL-000021",
        "    (Expired, Panel decision SECP_66_1504)",
        "  restored: CPL-000030",
        "  changed: CPL-000031, CPL-000032",
        "",
        "The DCC has not yet confirmed that it has loaded this version; you will be",
        "told when it has.",
    ) + footer("cpl-published extract:44")


# --- (b) the DCC has loaded a version ------------------------------------------------------------


def test_the_dcc_loaded_notice_gives_receipt_application_and_device_counts() -> None:
    notice = dcc_loaded_notice(
        sequence=42,
        received_at=dt.datetime(2026, 11, 22, 17, 31, tzinfo=IST),
        applied_at=dt.datetime(2026, 11, 22, 13, 2),
        devices_suspended=3,
        devices_restored=0,
    )
    assert (notice.kind, notice.subject_ref, notice.subject) == (
        "dcc-loaded",
        "extract:42",
        "CPL version 42 loaded by the DCC",
    )
    assert notice.body == text(
        "The DCC has loaded version 42 of the Central Products List into the Smart",
        "Metering Inventory.",
        "  received: 2026-11-22 12:01 UTC",
        "  applied:  2026-11-22 13:02 UTC",
        "  devices suspended: 3",
        "  devices restored:  0",
    ) + footer("dcc-loaded extract:42")


def test_the_dcc_loaded_notice_without_a_receipt_time_leaves_it_out() -> None:
    notice = dcc_loaded_notice(
        sequence=7, received_at=None, applied_at=NOON_UTC, devices_suspended=0, devices_restored=12
    )
    assert notice.body == text(
        "The DCC has loaded version 7 of the Central Products List into the Smart",
        "Metering Inventory.",
        "  applied:  2026-11-22 12:00 UTC",
        "  devices suspended: 0",
        "  devices restored:  12",
    ) + footer("dcc-loaded extract:7")


# --- (c) a CPA certificate's end ahead -----------------------------------------------------------

CLOSING = (
    "An entry whose CPA certificate has ended is proposed to the SEC Panel for",
    "removal from the CPL; Devices of a removed model are suspended by the DCC.",
    "To keep the entry, submit a renewed CPA certificate before that date.",
)


def test_the_six_month_notice_names_the_entry_model_certificate_and_end_date() -> None:
    notice = cpa_expiry_notice(
        entry_id="CPL-000001",
        device_model="Acme G4 (106C/4331/00AC/9001)",
        months_before=6,
        effective_end=dt.date(2027, 6, 30),
        certificate="CPA-1",
        expiry=dt.date(2027, 6, 30),
        conditional_date=None,
        conditions_met=False,
        renewal_date=None,
        as_of=dt.date(2026, 12, 30),
    )
    assert (notice.kind, notice.subject_ref, notice.subject) == (
        "cpa-expiry-6-months",
        "CPL-000001@2027-06-30",
        "CPL entry CPL-000001: CPA certificate ends 2027-06-30 (6-month notice)",
    )
    assert notice.body == text(
        "This is the 6-month notice for CPL entry CPL-000001: the CPA certificate it",
        "relies on stops counting on 2027-06-30 (182 days from 2026-12-30).",
        "",
        "  entry:            CPL-000001",
        "  device model:     Acme G4 (106C/4331/00AC/9001)",
        "  CPA certificate:  CPA-1",
        "  CPA expiry date:  2027-06-30",
        "",
        "The certificate expires on that date.",
        "",
        *CLOSING,
    ) + footer("cpa-expiry-6-months CPL-000001@2027-06-30")


def test_the_twelve_month_notice_of_a_conditional_certificate_says_the_conditional_date_counts() -> None:
    notice = cpa_expiry_notice(
        entry_id="CPL-000001",
        device_model="Acme G4 (106C/4331/00AC/9001)",
        months_before=12,
        effective_end=dt.date(2027, 1, 31),
        certificate="CPA-1",
        expiry=dt.date(2027, 6, 30),
        conditional_date=dt.date(2027, 1, 31),
        conditions_met=False,
        renewal_date=dt.date(2027, 3, 1),
        as_of=dt.date(2026, 1, 31),
    )
    assert (notice.kind, notice.subject_ref, notice.subject) == (
        "cpa-expiry-12-months",
        "CPL-000001@2027-01-31",
        "CPL entry CPL-000001: CPA certificate ends 2027-01-31 (12-month notice)",
    )
    assert notice.body == text(
        "This is the 12-month notice for CPL entry CPL-000001: the CPA certificate it",
        "relies on stops counting on 2027-01-31 (365 days from 2026-01-31).",
        "",
        "  entry:            CPL-000001",
        "  device model:     Acme G4 (106C/4331/00AC/9001)",
        "  CPA certificate:  CPA-1",
        "  CPA expiry date:  2027-06-30",
        "  conditional date: 2027-01-31 (conditions not yet recorded as met)",
        "  renewal date:     2027-03-01",
        "",
        "The certificate is conditional: unless its conditions are recorded as met by",
        "the conditional date, it is revoked on that date, so the conditional date is",
        "the end that counts. Once SECAS records the conditions as met (or an",
        "extension), the expiry date counts instead.",
        "",
        *CLOSING,
    ) + footer("cpa-expiry-12-months CPL-000001@2027-01-31")


def test_a_conditional_certificate_with_its_conditions_met_expires_on_its_date_one_day_ahead() -> None:
    notice = cpa_expiry_notice(
        entry_id="CPL-000002",
        device_model="Acme G4",
        months_before=6,
        effective_end=dt.date(2027, 6, 30),
        certificate="CPA-2",
        expiry=dt.date(2027, 6, 30),
        conditional_date=dt.date(2027, 1, 31),
        conditions_met=True,
        renewal_date=None,
        as_of=dt.date(2027, 6, 29),
    )
    assert notice.body == text(
        "This is the 6-month notice for CPL entry CPL-000002: the CPA certificate it",
        "relies on stops counting on 2027-06-30 (1 day from 2027-06-29).",
        "",
        "  entry:            CPL-000002",
        "  device model:     Acme G4",
        "  CPA certificate:  CPA-2",
        "  CPA expiry date:  2027-06-30",
        "  conditional date: 2027-01-31 (conditions recorded as met)",
        "",
        "The certificate expires on that date.",
        "",
        *CLOSING,
    ) + footer("cpa-expiry-6-months CPL-000002@2027-06-30")


def test_a_conditional_date_after_the_expiry_leaves_the_expiry_as_the_end() -> None:
    notice = cpa_expiry_notice(
        entry_id="CPL-000003",
        device_model="Acme G4",
        months_before=12,
        effective_end=dt.date(2027, 6, 30),
        certificate="CPA-3",
        expiry=dt.date(2027, 6, 30),
        conditional_date=dt.date(2027, 9, 30),
        conditions_met=False,
        renewal_date=None,
        as_of=dt.date(2026, 7, 1),
    )
    lines = notice.body.splitlines()
    assert "  conditional date: 2027-09-30 (conditions not yet recorded as met)" in lines
    assert "The certificate expires on that date." in lines
    assert not any(line.startswith("The certificate is conditional") for line in lines)
    assert lines[1] == "relies on stops counting on 2027-06-30 (364 days from 2026-07-01)."


# --- (d) a submission's outcome ------------------------------------------------------------------


def test_an_approval_lists_the_entry_ids_now_active() -> None:
    notice = submission_outcome_notice(
        submission_id=5,
        filename="acme-g4.xlsx",
        approved=True,
        entry_ids=["CPL-000007", "CPL-000008"],
        note=None,
        decided_at=dt.datetime(2026, 11, 22, 17, 30, tzinfo=IST),
    )
    assert (notice.kind, notice.subject_ref, notice.subject) == (
        "submission-outcome",
        "submission:5",
        "CPL submission 5 approved",
    )
    assert notice.body == text(
        "Submission 5 (acme-g4.xlsx) was approved on 2026-11-22 12:00 UTC.",
        "",
        "Its 2 entries are Active on the CPL:",
        "  CPL-000007",
        "  CPL-000008",
        "",
        "They are published with the next CPL version SECAS issues.",
    ) + footer("submission-outcome submission:5")


def test_an_approval_of_one_entry_says_it_is_active() -> None:
    notice = submission_outcome_notice(
        submission_id=6, filename="g4.xlsx", approved=True, entry_ids=["CPL-000009"], note="ok", decided_at=NOON_UTC
    )
    assert notice.body.splitlines()[2:4] == ["Its 1 entry is Active on the CPL:", "  CPL-000009"]


def test_a_rejection_gives_secas_note() -> None:
    notice = submission_outcome_notice(
        submission_id=5,
        filename="acme-g4.xlsx",
        approved=False,
        entry_ids=[],
        note="The CPA certificate is not the one on the ZigBee certificate.",
        decided_at=NOON_UTC,
    )
    assert notice.subject == "CPL submission 5 rejected"
    assert notice.body == text(
        "Submission 5 (acme-g4.xlsx) was rejected on 2026-11-22 12:00 UTC.",
        "",
        "SECAS's note: The CPA certificate is not the one on the ZigBee certificate.",
    ) + footer("submission-outcome submission:5")


@pytest.mark.parametrize("note", [None, ""])
def test_a_rejection_without_a_note_says_to_ask_secas(note: str | None) -> None:
    notice = submission_outcome_notice(
        submission_id=8, filename="g4.xlsx", approved=False, entry_ids=[], note=note, decided_at=NOON_UTC
    )
    assert notice.body == text(
        "Submission 8 (g4.xlsx) was rejected on 2026-11-22 12:00 UTC.",
        "",
        "SECAS gave no note; contact SECAS for the reason.",
    ) + footer("submission-outcome submission:8")


# --- lines fit plain mail ----------------------------------------------------------------------------


def approval_first_lines(filename: str) -> list[str]:
    notice = submission_outcome_notice(
        submission_id=5, filename=filename, approved=True, entry_ids=[], note=None, decided_at=NOON_UTC
    )
    return notice.body.splitlines()[:3]


def test_a_line_of_76_characters_is_kept_whole() -> None:
    line = "Submission 5 (acme-g4-firmware-2.xlsx) was approved on 2026-11-22 12:00 UTC."
    assert len(line) == 76
    assert approval_first_lines("acme-g4-firmware-2.xlsx")[:2] == [line, ""]


def test_a_line_of_77_characters_is_wrapped_at_76() -> None:
    assert approval_first_lines("acme-g4-firmware-v2.xlsx") == [
        "Submission 5 (acme-g4-firmware-v2.xlsx) was approved on 2026-11-22 12:00",
        "UTC.",
        "",
    ]


def test_a_hyphenated_word_is_never_split_across_lines() -> None:
    notice = submission_outcome_notice(
        submission_id=9,
        filename="g4.xlsx",
        approved=False,
        entry_ids=[],
        note="the CPA certificate number on row 2 does not match the self-certification statement.",
        decided_at=NOON_UTC,
    )
    assert notice.body.splitlines()[2:4] == [
        "SECAS's note: the CPA certificate number on row 2 does not match the",
        "self-certification statement.",
    ]


def test_a_word_longer_than_a_line_is_never_split() -> None:
    filename = "acme_g4_" + "0123456789" * 8 + ".xlsx"
    assert approval_first_lines(filename) == ["Submission 5", f"({filename})", "was approved on 2026-11-22 12:00 UTC."]


# --- message ids ---------------------------------------------------------------------------------


def test_the_same_notice_to_the_same_party_always_has_the_same_message_id() -> None:
    assert message_id("cpl-published", "extract:42", "ACME", "cpl@secas.example") == (
        "<880f08fcefdb1303ef17d854f1e5b470@secas.example>"
    )
    assert message_id("cpa-expiry-6-months", "CPL-000001@2027-06-30", "ACME", "noreply@cpl.secas.example") == (
        "<22bf5abb051e383ad22c11458b516ec3@cpl.secas.example>"
    )


def test_another_party_kind_or_subject_gets_another_message_id() -> None:
    ids = {
        message_id("cpl-published", "extract:42", "ACME", "cpl@secas.example"),
        message_id("cpl-published", "extract:42", "BETA", "cpl@secas.example"),
        message_id("dcc-loaded", "extract:42", "ACME", "cpl@secas.example"),
        message_id("cpl-published", "extract:43", "ACME", "cpl@secas.example"),
    }
    assert len(ids) == 4


@pytest.mark.parametrize("sender", ["cpl@secas example", "cpl@", "cpl@secas.example>", "x@y@bad_domain"])
def test_a_sender_domain_unfit_for_a_message_id_is_replaced_by_cpl_invalid(sender: str) -> None:
    assert message_id("cpl-published", "extract:42", "ACME", sender) == "<880f08fcefdb1303ef17d854f1e5b470@cpl.invalid>"


def test_the_message_id_keeps_the_sender_domain_as_written() -> None:
    assert message_id("cpl-published", "extract:42", "ACME", "CPL@SECAS.Example") == (
        "<880f08fcefdb1303ef17d854f1e5b470@SECAS.Example>"
    )


def test_the_message_id_takes_the_domain_after_the_last_at_sign() -> None:
    assert message_id("cpl-published", "extract:42", "ACME", '"a@b"@secas.example') == (
        "<880f08fcefdb1303ef17d854f1e5b470@secas.example>"
    )


def test_a_notice_is_a_plain_value() -> None:
    notice = Notice("dcc-loaded", "extract:1", "CPL version 1 loaded by the DCC", "body\n")
    assert notice == Notice(
        kind="dcc-loaded", subject_ref="extract:1", subject="CPL version 1 loaded by the DCC", body="body\n"
    )


def test_a_conditional_date_met_on_the_expiry_date_is_an_expiry_not_a_conditional_end() -> None:
    notice = cpa_expiry_notice(
        entry_id="CPL-000004",
        device_model="Acme G4",
        months_before=12,
        effective_end=dt.date(2027, 6, 30),
        certificate="CPA-4",
        expiry=dt.date(2027, 6, 30),
        conditional_date=dt.date(2027, 6, 30),
        conditions_met=True,
        renewal_date=None,
        as_of=dt.date(2026, 6, 30),
    )
    lines = notice.body.splitlines()
    assert lines[7:10] == [
        "  conditional date: 2027-06-30 (conditions recorded as met)",
        "",
        "The certificate expires on that date.",
    ]
