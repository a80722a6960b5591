"""Each published entry has its own page at a stable address: its Device Model, status and Panel
reference, certificates, the published versions that changed it and whether the DCC has loaded them."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from cpl.config import Settings as CplSettings
from cpl.demo.samples import sample_row
from cpl.services import entries as entry_service
from cpl.services import extracts as extract_service
from cpl.store import get_engine
from formats.vocabulary import EntryStatus, PhysicalDeviceType
from tests.api.conftest import KEYS, World, extract_signer, publish, workbook_bytes
from tests.api.test_page import table_rows


def issue(url: str, change: str, entry_id: str, panel_reference: str) -> int:
    """SECAS records a Panel decision on ``entry_id`` (``remove`` or ``reinstate``) and issues the next extract."""
    at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with Session(get_engine(url), expire_on_commit=False) as session:
        if change == "remove":
            entry_service.remove(session, entry_id, EntryStatus.WITHDRAWN, panel_reference, "alice", at)
        else:
            entry_service.reinstate(session, entry_id, panel_reference, "alice", at)
        draft, _ = extract_service.prepare(session, "alice", at)
        assert draft.id is not None
        issued = extract_service.approve(
            session, draft.id, "bob", at, extract_signer(), CplSettings().extract_trust(KEYS / "root-ca.pem")
        )
        session.commit()
        return issued.sequence


def test_an_entry_has_a_page_with_its_model_certificates_and_first_version(world: World) -> None:
    response = world.client.get("/entries/CPL-000002")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<h1>CPL-000002: Acme Meters E-00001</h1>" in html
    assert "default-src 'none'" in response.headers["content-security-policy"]
    certificates = table_rows(html, "entry-certificates")
    assert [row[0] for row in certificates] == ["ZigBee", "DLMS", "CPA"]
    assert certificates[2][2:] == ["2026-01-15", "2031-01-31 (expiry)", "Not revoked"]
    assert certificates[0][3] == "does not expire"
    [first] = table_rows(html, "entry-history")
    assert first[0] == "1.0 (extract 1)" and first[2:] == ["Listed", "Active", "", "Not yet loaded"]
    assert 'href="/api/v1/cpl.json?q=CPL-000002"' in html


def test_the_list_links_each_entry_to_its_page(world: World) -> None:
    assert '<a href="/entries/CPL-000003"><code>CPL-000003</code></a>' in world.client.get("/").text


def test_other_spellings_of_the_id_are_sent_to_its_one_address(world: World) -> None:
    for spelling in ("cpl-2", "CPL-2", "2", "cpl-000002"):
        response = world.client.get(f"/entries/{spelling}", follow_redirects=False)
        assert response.status_code == 308 and response.headers["location"] == "/entries/CPL-000002"


def test_an_entry_no_published_version_lists_is_not_found_as_a_page(world: World) -> None:
    approved = world.client.post(
        f"/api/v1/submissions/{world.template.open_submission}/approval", headers=world.headers("secas")
    )
    assert approved.status_code == 200  # CPL-000004 is in the store, but no extract carries it yet
    for path in ("/entries/CPL-000004", "/entries/CPL-999999", "/entries/not-an-entry"):
        response = world.client.get(path)
        assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
        assert "<h1>No entry " in response.text


def test_the_history_shows_each_panel_decision_and_what_the_dcc_has_loaded(world: World) -> None:
    loaded = world.client.post(
        "/api/v1/receipts",
        headers=world.headers("dcc"),
        files={"receipt": ("receipt-1.p7m", world.template.receipt, "application/pkcs7-mime")},
    )
    assert loaded.status_code == 201, loaded.text
    assert issue(world.url, "remove", "CPL-000002", "SECP_66_1503") == 2
    removed = world.client.get("/entries/CPL-000002").text
    assert '<span class="status status-Withdrawn">Withdrawn</span> since' in removed
    assert '<dd data-testid="panel-reference">SECP_66_1503</dd>' in removed
    assert issue(world.url, "reinstate", "CPL-000002", "SECP_67_0101") == 3
    html = world.client.get("/entries/CPL-000002").text
    history = [(row[2], row[3], row[4], row[5].split(" ")[0]) for row in table_rows(html, "entry-history")]
    assert history == [
        ("Listed", "Active", "", "Loaded"),
        ("Removed", "Withdrawn", "SECP_66_1503", "Not"),
        ("Restored to the list", "Active", "SECP_67_0101", "Not"),
    ]
    assert '<dd data-testid="panel-reference">SECP_67_0101</dd>' in html
    assert [row[2] for row in table_rows(world.client.get("/entries/CPL-000001").text, "entry-history")] == ["Listed"]


def test_everything_on_an_entry_page_is_escaped(world: World) -> None:
    row, certificates = sample_row(PhysicalDeviceType.GAS_SMART_METER, 4100)
    row["manufacturer"] = "Evil <b>Meters</b>"
    row["model"] = "<script>x</script>"
    publish(world.url, workbook_bytes([row], certificates))
    html = world.client.get("/entries/CPL-000004").text
    assert "<script>x" not in html and "<b>Meters</b>" not in html
    assert "Evil &lt;b&gt;Meters&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;" in html
