"""The CPA expiry rule (DOMAIN.md rule 2): notices 12 and 6 months ahead, once each; removal proposals once."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from cpl.core.domain import CpaDates
from cpl.core.expiry import (
    CpaFacts,
    ExpiryPlan,
    NoticeKey,
    OwedNotice,
    RemovalToPropose,
    lapse_reason,
    plan_expiry,
)

END = dt.date(2027, 6, 30)
TWELVE_MONTHS_BEFORE = dt.date(2026, 6, 30)
SIX_MONTHS_BEFORE = dt.date(2026, 12, 30)


def facts(
    entry_id: str = "CPL-000001",
    expiry: dt.date = END,
    conditional_date: dt.date | None = None,
    conditions_met: bool = False,
    certificate: str = "CPA-1",
) -> CpaFacts:
    return CpaFacts(
        entry_id=entry_id,
        party_id="ACME",
        device_model="Acme G4 (106C/4331/00AC/9001)",
        certificate=certificate,
        dates=CpaDates(expiry=expiry, conditional_date=conditional_date, conditions_met=conditions_met),
    )


def plan(
    entries: list[CpaFacts],
    as_of: dt.date,
    notified: tuple[NoticeKey, ...] = (),
    proposed: tuple[tuple[str, str], ...] = (),
) -> ExpiryPlan:
    return plan_expiry(entries, already_notified=notified, already_proposed=proposed, as_of=as_of)


def windows(result: ExpiryPlan) -> list[tuple[str, int, dt.date]]:
    return [(n.facts.entry_id, n.months_before, n.facts.effective_end) for n in result.notices]


# --- the effective end -----------------------------------------------------------------------------


def test_the_effective_end_of_a_plain_certificate_is_its_expiry() -> None:
    f = facts(expiry=END)
    assert f.effective_end == dt.date(2027, 6, 30)
    assert f.ends_at_conditional_date is False


def test_a_conditional_certificate_ends_at_its_conditional_date_until_its_conditions_are_met() -> None:
    f = facts(expiry=END, conditional_date=dt.date(2027, 1, 31))
    assert f.effective_end == dt.date(2027, 1, 31)
    assert f.ends_at_conditional_date is True


def test_a_conditional_certificate_with_its_conditions_met_ends_at_its_expiry() -> None:
    f = facts(expiry=END, conditional_date=dt.date(2027, 1, 31), conditions_met=True)
    assert f.effective_end == dt.date(2027, 6, 30)
    assert f.ends_at_conditional_date is False


def test_a_conditional_date_after_the_expiry_does_not_end_the_certificate() -> None:
    f = facts(expiry=END, conditional_date=dt.date(2028, 1, 31))
    assert f.effective_end == dt.date(2027, 6, 30)
    assert f.ends_at_conditional_date is False


def test_a_notice_is_the_same_notice_for_the_same_entry_window_and_end_date() -> None:
    owed = OwedNotice(facts("CPL-000004", conditional_date=dt.date(2027, 1, 31)), 6)
    assert owed.key == NoticeKey("CPL-000004", 6, dt.date(2027, 1, 31))
    assert owed.key == ("CPL-000004", 6, dt.date(2027, 1, 31), False)


# --- why a removal is proposed -------------------------------------------------------------------


def test_an_expired_certificate_is_proposed_for_removal_naming_it_and_its_expiry() -> None:
    assert (
        lapse_reason(facts(certificate="NCSC-CPA-77", expiry=END))
        == "CPA certificate NCSC-CPA-77 expired on 2027-06-30"
    )


def test_a_conditional_date_reached_is_proposed_for_removal_naming_the_conditional_date() -> None:
    f = facts(certificate="NCSC-CPA-77", expiry=END, conditional_date=dt.date(2027, 1, 31))
    assert lapse_reason(f) == (
        "CPA certificate NCSC-CPA-77 reached its conditional date 2027-01-31 without its conditions recorded as met"
    )


def test_a_conditional_certificate_with_its_conditions_met_expires_at_its_expiry_date() -> None:
    f = facts(certificate="NCSC-CPA-77", expiry=END, conditional_date=dt.date(2027, 1, 31), conditions_met=True)
    assert lapse_reason(f) == "CPA certificate NCSC-CPA-77 expired on 2027-06-30"


# --- notices -------------------------------------------------------------------------------------


def test_no_notice_before_the_twelve_month_window_opens() -> None:
    assert plan([facts()], dt.date(2026, 6, 29)) == ExpiryPlan(notices=(), proposals=())


def test_the_twelve_month_notice_is_owed_from_twelve_months_before_the_end() -> None:
    result = plan([facts()], TWELVE_MONTHS_BEFORE)
    assert windows(result) == [("CPL-000001", 12, END)]
    assert result.notices == (OwedNotice(facts(), 12),)
    assert result.proposals == ()


def test_the_twelve_month_notice_is_owed_once() -> None:
    notified = (NoticeKey("CPL-000001", 12, END),)
    assert plan([facts()], dt.date(2026, 9, 1), notified) == ExpiryPlan(notices=(), proposals=())


def test_the_six_month_notice_is_owed_from_six_months_before_the_end() -> None:
    notified = (NoticeKey("CPL-000001", 12, END),)
    assert windows(plan([facts()], dt.date(2026, 12, 29), notified)) == []
    assert windows(plan([facts()], SIX_MONTHS_BEFORE, notified)) == [("CPL-000001", 6, END)]


def test_a_late_run_owes_every_window_that_has_opened_twelve_first() -> None:
    assert windows(plan([facts()], dt.date(2027, 6, 29))) == [("CPL-000001", 12, END), ("CPL-000001", 6, END)]


def test_a_run_after_both_notices_owes_nothing_more() -> None:
    notified = (NoticeKey("CPL-000001", 12, END), NoticeKey("CPL-000001", 6, END))
    assert plan([facts()], dt.date(2027, 3, 1), notified) == ExpiryPlan(notices=(), proposals=())


def test_an_end_date_that_moves_owes_its_notices_afresh() -> None:
    extended = facts(expiry=dt.date(2028, 6, 30))
    notified = (NoticeKey("CPL-000001", 12, END), NoticeKey("CPL-000001", 6, END))
    assert windows(plan([extended], dt.date(2027, 7, 1), notified)) == [("CPL-000001", 12, dt.date(2028, 6, 30))]


def test_a_notice_for_another_entry_does_not_count_for_this_one() -> None:
    notified = (NoticeKey("CPL-000002", 12, END),)
    assert windows(plan([facts("CPL-000001")], TWELVE_MONTHS_BEFORE, notified)) == [("CPL-000001", 12, END)]


def test_the_same_entry_given_twice_is_owed_each_notice_once() -> None:
    assert windows(plan([facts(), facts()], SIX_MONTHS_BEFORE)) == [("CPL-000001", 12, END), ("CPL-000001", 6, END)]


def test_a_conditional_certificate_is_noticed_against_its_conditional_date() -> None:
    conditional = facts(conditional_date=dt.date(2027, 1, 31))
    assert windows(plan([conditional], dt.date(2026, 1, 31))) == [("CPL-000001", 12, dt.date(2027, 1, 31))]


def test_notices_are_planned_in_entry_order() -> None:
    entries = [facts("CPL-000003"), facts("CPL-000001"), facts("CPL-000002", expiry=dt.date(2028, 1, 1))]
    assert windows(plan(entries, TWELVE_MONTHS_BEFORE)) == [("CPL-000001", 12, END), ("CPL-000003", 12, END)]


# --- removal proposals ---------------------------------------------------------------------------


def test_an_entry_whose_cpa_has_ended_is_proposed_for_removal_not_noticed() -> None:
    result = plan([facts(certificate="CPA-9")], END)
    assert result == ExpiryPlan(
        notices=(),
        proposals=(
            RemovalToPropose("CPL-000001", "CPA certificate CPA-9 expired on 2027-06-30", dt.date(2027, 6, 30)),
        ),
    )


def test_the_day_before_the_end_is_still_a_notice_not_a_proposal() -> None:
    result = plan([facts()], dt.date(2027, 6, 29), notified=(NoticeKey("CPL-000001", 12, END),))
    assert windows(result) == [("CPL-000001", 6, END)]
    assert result.proposals == ()


def test_a_lapsed_conditional_date_is_proposed_naming_it() -> None:
    result = plan([facts(certificate="CPA-9", conditional_date=dt.date(2027, 1, 31))], dt.date(2027, 2, 1))
    assert result.proposals == (
        RemovalToPropose(
            "CPL-000001",
            "CPA certificate CPA-9 reached its conditional date 2027-01-31 without its conditions recorded as met",
            dt.date(2027, 1, 31),
        ),
    )
    assert result.notices == ()


def test_a_removal_is_proposed_once_whatever_the_panel_did_with_it() -> None:
    proposed = (("CPL-000001", "CPA certificate CPA-9 expired on 2027-06-30"),)
    assert plan([facts(certificate="CPA-9")], dt.date(2027, 8, 1), proposed=proposed) == ExpiryPlan((), ())


def test_a_new_reason_is_proposed_afresh() -> None:
    proposed = (
        (
            "CPL-000001",
            "CPA certificate CPA-9 reached its conditional date 2027-01-31 without its conditions recorded as met",
        ),
    )
    result = plan([facts(certificate="CPA-9")], dt.date(2027, 8, 1), proposed=proposed)
    assert [(p.entry_id, p.reason) for p in result.proposals] == [
        ("CPL-000001", "CPA certificate CPA-9 expired on 2027-06-30")
    ]


def test_a_lapsed_entry_does_not_stop_the_plan_for_the_entries_after_it() -> None:
    entries = [facts("CPL-000002"), facts("CPL-000001", expiry=dt.date(2026, 6, 1)), facts("CPL-000003")]
    result = plan(entries, TWELVE_MONTHS_BEFORE)
    assert windows(result) == [("CPL-000002", 12, END), ("CPL-000003", 12, END)]
    assert [p.entry_id for p in result.proposals] == ["CPL-000001"]


def test_proposals_are_made_in_entry_order() -> None:
    entries = [facts("CPL-000002"), facts("CPL-000001")]
    assert [p.entry_id for p in plan(entries, dt.date(2028, 1, 1)).proposals] == ["CPL-000001", "CPL-000002"]


def test_a_conditional_date_met_on_the_expiry_date_is_an_expiry_not_a_conditional_end() -> None:
    f = facts(certificate="CPA-5", expiry=END, conditional_date=END, conditions_met=True)
    assert f.effective_end == dt.date(2027, 6, 30)
    assert f.ends_at_conditional_date is False
    assert lapse_reason(f) == "CPA certificate CPA-5 expired on 2027-06-30"


# --- lifetime certificates (the SEC's "[R] "): renewal notices, never a removal -------------------


def lifetime_facts(renewal: dt.date, entry_id: str = "CPL-000009") -> CpaFacts:
    return replace(facts(entry_id, expiry=renewal), lifetime=True)


def test_a_lifetime_certificate_past_its_renewal_date_is_never_proposed_for_removal() -> None:
    plan = plan_expiry(
        [lifetime_facts(dt.date(2026, 1, 1))], already_notified=(), already_proposed=(), as_of=dt.date(2027, 6, 1)
    )
    assert plan == ExpiryPlan((), ())


def test_a_lifetime_certificate_owes_12_and_6_month_renewal_notices_keyed_apart_from_expiry() -> None:
    renewal = dt.date(2027, 6, 30)
    plan = plan_expiry([lifetime_facts(renewal)], already_notified=(), already_proposed=(), as_of=dt.date(2027, 1, 1))
    assert [(n.months_before, n.key.renewal) for n in plan.notices] == [(12, True), (6, True)]
    assert plan.proposals == ()
    # An expiry notice for the same entry, window and date is not the renewal notice.
    expiry_keys = [NoticeKey("CPL-000009", 12, renewal), NoticeKey("CPL-000009", 6, renewal)]
    again = plan_expiry(
        [lifetime_facts(renewal)], already_notified=expiry_keys, already_proposed=(), as_of=dt.date(2027, 1, 1)
    )
    assert len(again.notices) == 2
    done = plan_expiry(
        [lifetime_facts(renewal)],
        already_notified=[n.key for n in plan.notices],
        already_proposed=(),
        as_of=dt.date(2027, 1, 1),
    )
    assert done.notices == ()
