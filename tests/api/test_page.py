"""The public page: the published CPL, search and filters, its version, the coming CPA expiries, escaping."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient

from api import page
from api.app import create_app
from cpl.demo.samples import NORTHWIND, sample_row
from formats.extract import ExtractEntry
from formats.vocabulary import PhysicalDeviceType
from tests.api.conftest import World, app_settings, publish, workbook_bytes

TODAY = dt.date(2026, 11, 23)


class _Tables(HTMLParser):
    """The text of each body row of each table, by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.rows.setdefault(self._table, [])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table is not None:
            self.rows[self._table].append([])
        elif tag in ("td", "th") and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.rows[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    return parser.rows.get(table_id, [])


def entry_ids(html: str) -> list[str]:
    return [row[0] for row in table_rows(html, "cpl-entries")]


# --- over HTTP -------------------------------------------------------------------------------


def test_before_anything_is_published_the_page_says_so(tmp_path: Path) -> None:
    with TestClient(create_app(app_settings(f"sqlite:///{tmp_path / 'empty.db'}"))) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "No CPL has been published yet" in response.text
    assert 'id="cpl-entries"' not in response.text


def test_the_page_lists_the_published_entries_with_version_and_downloads(world: World) -> None:
    html = world.client.get("/").text
    assert entry_ids(html) == ["CPL-000001", "CPL-000002", "CPL-000003"]
    assert '<dd data-testid="sequence">1</dd>' in html
    assert "Not yet loaded by the DCC" in html
    for link in ("/api/v1/cpl.json", "/api/v1/cpl.csv", "/api/v1/cpl.xlsx"):
        assert f'href="{link}"' in html
    assert '<label for="q">Search</label>' in html
    assert '<th scope="col"><a href="/?sort=type">Physical Device Type</a></th>' in html
    assert '<th scope="col" aria-sort="ascending"><a href="/?order=desc">Entry' in html


def test_the_sec_workbook_is_the_first_download_and_the_whole_lists_addresses_stay(world: World) -> None:
    html = world.client.get("/", params={"status": "Active"}).text
    hrefs = re.findall(r'<a (?:class="[^"]*" )?href="(/api/v1/[^"]*)"', html)
    assert hrefs[:5] == [
        "/api/v1/central_products_list.xlsx",
        "/api/v1/central_products_list.csv",
        "/api/v1/cpl.json",
        "/api/v1/cpl.csv",
        "/api/v1/cpl.xlsx",
    ]
    assert hrefs[5:] == [
        "/api/v1/cpl.json?status=Active",
        "/api/v1/cpl.csv?status=Active",
        "/api/v1/cpl.xlsx?status=Active",
    ]
    assert 'data-testid="filtered-downloads"' not in world.client.get("/").text


def test_search_finds_certificate_numbers(world: World) -> None:
    listed = world.client.get("/api/v1/cpl.json").json()["entries"]
    second = listed[1]
    for number in (second["certificates"]["zigbee"], second["certificates"]["cpa"].lower()):
        assert entry_ids(world.client.get("/", params={"q": number}).text) == ["CPL-000002"]


def test_the_list_is_sorted_by_the_column_asked_for_either_way(world: World) -> None:
    def ids(**params: str) -> list[str]:
        return entry_ids(world.client.get("/", params=params).text)

    assert ids(sort="entry", order="desc") == ["CPL-000003", "CPL-000002", "CPL-000001"]
    assert ids(sort="type") == ["CPL-000001", "CPL-000002", "CPL-000003"]  # Communications Hub, Single, Twin
    assert ids(sort="type", order="DESC") == ["CPL-000003", "CPL-000002", "CPL-000001"]
    assert ids(sort="no-such-column") == ["CPL-000001", "CPL-000002", "CPL-000003"]
    html = world.client.get("/", params={"sort": "type", "status": "Active"}).text
    assert 'aria-sort="ascending"><a href="/?status=Active&amp;sort=type&amp;order=desc">' in html
    assert '<input type="hidden" name="sort" value="type">' in html  # the form keeps the sort


def test_the_list_is_shown_a_page_at_a_time_with_the_total(world: World) -> None:
    rows, certificates = [], []
    for index in range(6000, 6030):
        row, certs = sample_row(PhysicalDeviceType.GAS_SMART_METER, index, maker=NORTHWIND)
        rows.append(row)
        certificates.extend(certs)
    publish(world.url, workbook_bytes(rows, certificates), submitter="northwind")
    first = world.client.get("/", params={"per_page": "25"}).text
    assert entry_ids(first) == [f"CPL-{n:06d}" for n in range(1, 26)]
    assert "Showing 1–25 of 33 entries. Page 1 of 2." in first
    assert 'href="/?per_page=25&amp;page=2" rel="next"' in first
    second = world.client.get("/", params={"per_page": "25", "page": "2"}).text
    assert entry_ids(second) == [f"CPL-{n:06d}" for n in range(26, 34)]
    assert 'aria-current="page"' in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert entry_ids(world.client.get("/", params={"per_page": "25", "page": "99"}).text) == entry_ids(second)
    filtered = world.client.get("/", params={"per_page": "25", "manufacturer": "Northwind Devices"}).text
    assert "Showing 1–25 of 30 entries matching, of 33 in the list. Page 1 of 2." in filtered
    assert "Showing 33 of 33 entries." in world.client.get("/").text  # 50 a page unless asked


def test_the_page_explains_the_statuses_and_offers_a_skip_link_and_focusable_regions(world: World) -> None:
    response = world.client.get("/")
    html = response.text
    assert '<a class="skip-link" href="#main">Skip to the main content</a>' in html
    assert '<main id="main" tabindex="-1">' in html
    assert '<div class="table-wrap" role="region" aria-labelledby="cpl-caption" tabindex="0">' in html
    assert "removed by a decision of the SEC Panel" in " ".join(html.split())
    policy = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None and f'<style nonce="{nonce.group(1)}">' in html
    assert "script-src" not in policy and "default-src 'none'" in policy and "<script" not in html


def test_entries_whose_cpa_ends_within_twelve_months_are_marked_in_the_list(world: World) -> None:
    today = dt.datetime.now(dt.UTC).date()
    rows, certificates = [], []
    for index, expiry, lifetime in (
        (7000, today + dt.timedelta(days=30), False),
        (7001, today + dt.timedelta(days=200), True),
        (7002, today + dt.timedelta(days=400), True),
    ):
        row, certs = sample_row(PhysicalDeviceType.GAS_SMART_METER, index, maker=NORTHWIND, cpa_expiry=expiry)
        if lifetime:
            row["cpa_certificate"] = "[R] " + str(row["cpa_certificate"])
        rows.append(row)
        certificates.extend(certs)
    publish(world.url, workbook_bytes(rows, certificates), submitter="northwind")
    listed = {row[0]: row for row in table_rows(world.client.get("/").text, "cpl-entries")}
    cpa = 9  # the CPA expiry column
    assert listed["CPL-000004"][cpa].endswith("CPA ends within 12 months")
    assert listed["CPL-000005"][cpa].endswith("(renewal)CPA renewal within 12 months")  # a line break between
    assert listed["CPL-000006"][cpa] == f"{(today + dt.timedelta(days=400)).isoformat()} (renewal)"
    assert listed["CPL-000001"][cpa] == "2031-01-31"
    expiring = table_rows(world.client.get("/").text, "cpa-expiries")
    assert [(r[2], r[1]) for r in expiring] == [("CPL-000004", "30"), ("CPL-000005", "200")]


def test_the_page_shows_only_what_was_issued_not_the_live_store(world: World) -> None:
    approved = world.client.post(
        f"/api/v1/submissions/{world.template.open_submission}/approval", headers=world.headers("secas")
    )
    assert approved.status_code == 200
    assert entry_ids(world.client.get("/").text) == ["CPL-000001", "CPL-000002", "CPL-000003"]


def test_filters_and_search_narrow_the_list(world: World) -> None:
    def ids(**params: str) -> list[str]:
        return entry_ids(world.client.get("/", params=params).text)

    assert ids(device_type="Communications Hub") == ["CPL-000001"]
    assert ids(device_type="Gas Smart Meter") == []
    assert ids(q="e-00001") == ["CPL-000002"]
    assert ids(q="acme 106c") == ["CPL-000001", "CPL-000002", "CPL-000003"]
    assert ids(manufacturer="Acme Meters", status="Active") == ["CPL-000001", "CPL-000002", "CPL-000003"]
    assert ids(status="Withdrawn") == []
    assert ids(device_type="no such type") == []
    assert ids(status="active", device_type="communications hub") == ["CPL-000001"]  # any case
    html = world.client.get("/", params={"q": "zzz"}).text
    assert "No entries match" in html and "Showing 0 of 3 entries." in html


def test_the_page_marks_the_chosen_filters(world: World) -> None:
    html = world.client.get("/", params={"device_type": "Communications Hub", "q": "C-0"}).text
    assert '<option value="Communications Hub" selected>' in html
    assert 'value="C-0"' in html and 'href="/">Clear</a>' in html


def test_everything_shown_is_escaped(world: World) -> None:
    hostile = '<script>alert("x")</script>'
    row, certificates = sample_row(PhysicalDeviceType.GAS_SMART_METER, 4000)
    row["manufacturer"] = "Evil <b>Meters</b>"
    row["model"] = hostile[:30]
    publish(world.url, workbook_bytes([row], certificates))
    html = world.client.get("/", params={"q": hostile}).text
    assert "<script>alert" not in html and "<b>Meters</b>" not in html
    assert "Evil &lt;b&gt;Meters&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # the search echoed back, escaped


def test_cpa_expiries_in_the_next_twelve_months_are_listed_soonest_first(world: World) -> None:
    today = dt.datetime.now(dt.UTC).date()
    soon, later, far = today + dt.timedelta(days=40), today + dt.timedelta(days=300), today + dt.timedelta(days=800)
    rows, certificates = [], []
    for index, expiry in ((5000, later), (5001, soon), (5002, far)):
        row, certs = sample_row(PhysicalDeviceType.GAS_SMART_METER, index, maker=NORTHWIND, cpa_expiry=expiry)
        rows.append(row)
        certificates.extend(certs)
    publish(world.url, workbook_bytes(rows, certificates), submitter="northwind")
    html = world.client.get("/").text
    expiring = table_rows(html, "cpa-expiries")
    assert [(r[0], r[1], r[3]) for r in expiring] == [
        (soon.isoformat(), "40", "Northwind Devices"),
        (later.isoformat(), "300", "Northwind Devices"),
    ]
    assert '<dd data-testid="sequence">2</dd>' in html
    assert entry_ids(world.client.get("/", params={"manufacturer": "Northwind Devices"}).text) == [
        "CPL-000004",
        "CPL-000005",
        "CPL-000006",
    ]


def test_overlong_query_values_are_refused_in_the_error_shape(world: World) -> None:
    response = world.client.get("/", params={"q": "x" * 500})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"


# --- the pure part ---------------------------------------------------------------------------


def entry(entry_id: str, **changes: str | None) -> ExtractEntry:
    fields: dict[str, object] = {
        "entry_id": entry_id,
        "physical_device_type": "Gas Smart Meter",
        "manufacturer": "Acme Meters",
        "manufacturer_id": "106C",
        "model": "G4",
        "model_id": "4331",
        "hardware_version": "00AC",
        "firmware_version": "9001",
        "technical_specification": "SMETS2 v4.2",
        "gbcs_version": "v4.2",
        "certificates": {"zigbee": "ZB-1", "dlms": None, "cpa": "CPA-1"},
        "cpa_expiry": "2027-06-30",
        "manufacturer_image_hash": None,
        "status": "Active",
        "status_since": "2026-11-01",
        "panel_reference": None,
    }
    fields.update(changes)
    return ExtractEntry(**fields)  # type: ignore[arg-type]


def test_search_matches_every_word_anywhere_in_the_identity() -> None:
    one = entry("CPL-000001")
    assert page.matches(one, page.PageQuery(q="acme 4331"))
    assert page.matches(one, page.PageQuery(q="  G4  00ac "))
    assert page.matches(one, page.PageQuery(q="cpl-000001"))
    assert not page.matches(one, page.PageQuery(q="acme northwind"))


def test_filters_are_exact_choices() -> None:
    one = entry("CPL-000001")
    assert page.matches(one, page.PageQuery(device_type="Gas Smart Meter", manufacturer="Acme Meters"))
    assert not page.matches(one, page.PageQuery(device_type="Gas"))
    assert not page.matches(one, page.PageQuery(status="Expired"))


def test_only_active_entries_expiring_within_twelve_months_are_upcoming() -> None:
    entries = [
        entry("CPL-000001", cpa_expiry="2027-11-23"),  # a year to the day: the 12-month notice is due today
        entry("CPL-000002", cpa_expiry="2027-11-24"),  # a day beyond the horizon
        entry("CPL-000003", cpa_expiry="2026-11-23"),  # expires today: already lapsed
        entry("CPL-000004", cpa_expiry="2027-01-01", status="Withdrawn", panel_reference="SECP_1_1"),
        entry("CPL-000005", cpa_expiry=None),
        entry("CPL-000006", cpa_expiry="2026-12-01"),
    ]
    upcoming = page.upcoming_expiries(entries, TODAY)
    assert [(u.entry.entry_id, u.days_left) for u in upcoming] == [("CPL-000006", 8), ("CPL-000001", 365)]


def test_page_query_trims_and_knows_when_it_filters() -> None:
    assert page.PageQuery.of(None, " ", None, None) == page.PageQuery()
    assert not page.PageQuery().is_filtered
    assert page.PageQuery.of(" x ", None, None, None) == page.PageQuery(q="x")
    assert page.manufacturers([entry("1", manufacturer="b"), entry("2", manufacturer="A"), entry("3")]) == [
        "A",
        "Acme Meters",
        "b",
    ]


def test_search_finds_certificate_numbers_in_any_case() -> None:
    one = entry("CPL-000001", certificates={"zigbee": "ZB-0A1F-00B2", "dlms": None, "cpa": "CPA-1"})
    assert page.matches(one, page.PageQuery(q="zb-0a1f-00b2"))
    assert not page.matches(one, page.PageQuery(q="ZB-0A1F-00B3"))


def test_a_lifetime_certificates_end_is_its_renewal_date() -> None:
    lifetime = entry(
        "CPL-000001",
        cpa_expiry=None,
        attributes={"cpa_certificate_kind": "lifetime", "cpa_renewal_date": "2027-06-30"},  # type: ignore[arg-type]
    )
    assert page.cpa_end(lifetime) == page.CpaEnd(dt.date(2027, 6, 30), lifetime=True)
    assert page.cpa_end(entry("CPL-000002")) == page.CpaEnd(dt.date(2027, 6, 30), lifetime=False)
    assert page.cpa_end(entry("CPL-000003", cpa_expiry=None)) is None
    assert page.ends_within_notice_horizon(lifetime, TODAY)
    assert not page.ends_within_notice_horizon(lifetime, dt.date(2025, 6, 29))  # more than 12 months ahead
    assert [u.lifetime for u in page.upcoming_expiries([lifetime], TODAY)] == [True]


def test_a_removed_entry_is_never_marked_as_ending_soon() -> None:
    removed = entry("CPL-000001", status="Withdrawn", panel_reference="SECP_1_1")
    assert not page.ends_within_notice_horizon(removed, TODAY)


def test_sorting_is_stable_and_entries_with_no_cpa_date_sort_last() -> None:
    entries = [
        entry("CPL-000003", cpa_expiry="2027-01-01"),
        entry("CPL-000001", cpa_expiry=None),
        entry("CPL-000002", cpa_expiry="2027-01-01"),
        entry("CPL-000004", cpa_expiry="2026-12-01"),
    ]
    ids = [e.entry_id for e in page.select_entries(entries, page.ListFilter.of(sort="cpa"))]
    assert ids == ["CPL-000004", "CPL-000002", "CPL-000003", "CPL-000001"]
    down = [e.entry_id for e in page.select_entries(entries, page.ListFilter.of(sort="cpa", order="desc"))]
    assert down == ["CPL-000001", "CPL-000002", "CPL-000003", "CPL-000004"]  # ties stay by entry id


def test_a_page_past_the_end_is_the_last_and_the_window_links_both_ends() -> None:
    entries = [entry(f"CPL-{n:06d}") for n in range(1, 101)]
    paged = page.paginate(entries, page=9, per_page=25)
    assert (paged.page, paged.pages, paged.first, paged.last, paged.matching) == (4, 4, 76, 100, 100)
    assert page.paginate(entries[:0], page=1, per_page=25) == page.Paged([], 1, 1, 0, 0, 0)
    assert page.paginate(entries * 3, page=6, per_page=25).window() == [1, 4, 5, 6, 7, 8, 12]


def test_links_carry_only_what_differs_from_the_defaults() -> None:
    query = page.PageQuery.of_page(page.ListFilter.of(q=" zb ", status="withdrawn", sort="CPA"), page=3, per_page=25)
    assert query.link() == "/?q=zb&status=Withdrawn&sort=cpa&per_page=25&page=3"
    assert query.sort_link("cpa") == "/?q=zb&status=Withdrawn&sort=cpa&order=desc&per_page=25"
    assert query.sort_link("model") == "/?q=zb&status=Withdrawn&sort=model&per_page=25"
    assert page.download_link("/api/v1/cpl.csv", query) == "/api/v1/cpl.csv?q=zb&status=Withdrawn&sort=cpa"
    assert page.PageQuery.of_page(page.ListFilter(), per_page=33).per_page == page.DEFAULT_PER_PAGE
    assert page.ListFilter.of(status="bogus").unknown_choice() == (
        "'bogus' is not a CPL entry status: expected one of Active, Expired, Withdrawn, Cancelled."
    )
