"""Where notices can go (a party's address, checked whenever one is given) and how a CPA notice is named
in the expiry job's log. Pure: `cpl.core.notices`."""

from __future__ import annotations

import pytest

from cpl.core.notices import (
    MAX_ADDRESS,
    MAX_LOCAL_PART,
    cpa_expiry_kind,
    cpa_notice_summary,
    cpa_renewal_kind,
    email_address_problem,
)

# --- addresses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "cpl@acme.example",
        "a@b.co",
        "first.last@sub.domain.example",
        "metering+cpl@bright-energy.example",
        "o'brien@x.example",
        "!#$%&'*+/=?^_`{|}~-@x.example",
        "UPPER@CASE.EXAMPLE",
        "1@2.3",
        "a@b-c.d",
        "a@" + "b" * 63 + ".example",
    ],
)
def test_a_plain_address_is_an_email_address(address: str) -> None:
    assert email_address_problem(address) is None


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("bob@", "nothing follows the '@'"),
        ("@acme.example", "nothing comes before the '@'"),
        ("", "it is empty"),
        ("acme.example", "it has no '@'"),
        ("bob@@acme.example", "it has more than one '@'"),
        ("bob@cpl@acme.example", "it has more than one '@'"),
        ("bob smith@acme.example", "it contains white space"),
        ("bob@acme.example ", "it contains white space"),
        ("bob@acme.example\nBcc: eve@evil.example", "it contains white space"),
        ("bob\t@acme.example", "it contains white space"),
        ("bob.@acme.example", "the part before the '@', 'bob.', is not a plain mailbox name"),
        (".bob@acme.example", "the part before the '@', '.bob', is not a plain mailbox name"),
        ("bo..b@acme.example", "the part before the '@', 'bo..b', is not a plain mailbox name"),
        ('"bob"@acme.example', "the part before the '@', '\"bob\"', is not a plain mailbox name"),
        ("bob,eve@acme.example", "the part before the '@', 'bob,eve', is not a plain mailbox name"),
        ("bøb@acme.example", "the part before the '@', 'bøb', is not a plain mailbox name"),
        ("<bob@acme.example>", "the part before the '@', '<bob', is not a plain mailbox name"),
        ("bob@localhost", "the domain 'localhost' is not a domain name like example.com"),
        ("bob@acme.", "the domain 'acme.' is not a domain name like example.com"),
        ("bob@.acme.example", "the domain '.acme.example' is not a domain name like example.com"),
        ("bob@acme..example", "the domain 'acme..example' is not a domain name like example.com"),
        ("bob@-acme.example", "the domain '-acme.example' is not a domain name like example.com"),
        ("bob@acme-.example", "the domain 'acme-.example' is not a domain name like example.com"),
        ("bob@acme_meters.example", "the domain 'acme_meters.example' is not a domain name like example.com"),
        ("bob@[192.0.2.1]", "the domain '[192.0.2.1]' is not a domain name like example.com"),
        ("bob@acme.example>", "the domain 'acme.example>' is not a domain name like example.com"),
        ("bob@ácme.example", "the domain 'ácme.example' is not a domain name like example.com"),
    ],
)
def test_anything_else_is_refused_in_one_sentence_saying_why(address: str, why: str) -> None:
    assert email_address_problem(address) == f"{address!r} is not an email address: {why}."


def test_the_sentence_for_a_missing_domain_is_the_one_users_read() -> None:
    assert email_address_problem("bob@") == "'bob@' is not an email address: nothing follows the '@'."


def test_a_local_part_of_64_characters_is_taken_and_one_of_65_is_not() -> None:
    assert MAX_LOCAL_PART == 64
    assert email_address_problem("b" * 64 + "@acme.example") is None
    longer = "b" * 65 + "@acme.example"
    assert email_address_problem(longer) == (
        f"{longer!r} is not an email address: the part before the '@' is longer than 64 characters."
    )


def test_a_domain_label_of_63_characters_is_taken_and_one_of_64_is_not() -> None:
    assert email_address_problem("bob@" + "a" * 63 + ".example") is None
    assert email_address_problem("bob@" + "a" * 64 + ".example") is not None
    assert email_address_problem("bob@" + "a-" * 31 + "a.example") is None  # 63, hyphens inside


def test_an_address_of_254_characters_is_taken_and_one_of_255_is_not() -> None:
    assert MAX_ADDRESS == 254
    domain = ".".join(["a" * 61] * 3) + ".example"  # 191 characters
    exact = "b" * (254 - 1 - len(domain)) + "@" + domain
    assert len(exact) == 254 and email_address_problem(exact) is None
    longer = "b" + exact
    assert email_address_problem(longer) == f"{longer!r} is not an email address: it is longer than 254 characters."


def test_a_single_label_is_refused_and_two_are_enough() -> None:
    assert email_address_problem("bob@example") is not None
    assert email_address_problem("bob@e.x") is None


# --- a CPA notice named in a log line ------------------------------------------------------------


def test_an_expiry_notice_is_named_by_entry_window_and_end_date() -> None:
    assert (
        cpa_notice_summary(cpa_expiry_kind(12), "CPL-000012@2027-12-01")
        == "CPL-000012, 12-month notice, CPA certificate ends 2027-12-01"
    )
    assert (
        cpa_notice_summary(cpa_expiry_kind(6), "CPL-000003@2028-01-31")
        == "CPL-000003, 6-month notice, CPA certificate ends 2028-01-31"
    )


def test_a_renewal_notice_is_named_as_a_renewal() -> None:
    assert (
        cpa_notice_summary(cpa_renewal_kind(6), "CPL-000707@2031-05-01")
        == "CPL-000707, 6-month notice, CPA certificate renewal due 2031-05-01"
    )


@pytest.mark.parametrize(
    ("kind", "ref"),
    [("cpl-published", "extract:3"), ("dcc-loaded", "extract:3"), ("submission-outcome", "submission:2")],
)
def test_another_kind_has_no_cpa_summary(kind: str, ref: str) -> None:
    assert cpa_notice_summary(kind, ref) is None
