"""The public list's downloads honour the page's filters and sort; without any, they are the whole list
at the addresses they always had."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.api.conftest import World

ALL = ["CPL-000001", "CPL-000002", "CPL-000003"]


def json_ids(world: World, **params: str) -> list[str]:
    response = world.client.get("/api/v1/cpl.json", params=params)
    assert response.status_code == 200, response.text
    return [e["entry_id"] for e in response.json()["entries"]]


def test_the_json_download_honours_status_type_manufacturer_search_and_sort(world: World) -> None:
    assert json_ids(world, status="Active") == ALL
    assert json_ids(world, status="Withdrawn") == []
    assert json_ids(world, status="active", device_type="communications hub") == ["CPL-000001"]
    assert json_ids(world, manufacturer="Northwind Devices") == []
    zigbee = world.client.get("/api/v1/cpl.json").json()["entries"][2]["certificates"]["zigbee"]
    assert json_ids(world, q=zigbee) == ["CPL-000003"]
    assert json_ids(world, sort="entry", order="desc") == ALL[::-1]


def test_a_filtered_json_download_says_it_is_one(world: World) -> None:
    whole = world.client.get("/api/v1/cpl.json")
    assert "filters" not in whole.json() and whole.json()["entry_count"] == 3
    assert whole.headers["content-disposition"] == 'attachment; filename="cpl-000001.json"'
    filtered = world.client.get("/api/v1/cpl.json", params={"status": "active", "q": "E001"})
    assert filtered.json()["filters"] == {"q": "E001", "status": "Active"}
    assert filtered.json()["entry_count"] == 1
    assert filtered.headers["content-disposition"] == 'attachment; filename="cpl-000001-filtered.json"'


def test_an_unknown_status_or_type_is_refused_naming_the_choices(world: World) -> None:
    for path in ("/api/v1/cpl.json", "/api/v1/cpl.csv", "/api/v1/central_products_list.xlsx"):
        response = world.client.get(path, params={"status": "Removed"})
        assert response.status_code == 422
        assert response.json()["error"] == {
            "code": "invalid_filter",
            "message": "'Removed' is not a CPL entry status: expected one of Active, Expired, Withdrawn, Cancelled.",
        }
    response = world.client.get("/api/v1/cpl.csv", params={"device_type": "Gas Meter"})
    assert response.status_code == 422 and "is not a Physical Device Type" in response.json()["error"]["message"]


def test_the_csv_and_spreadsheet_downloads_are_filtered_too(world: World) -> None:
    rows = list(csv.reader(io.StringIO(world.client.get("/api/v1/cpl.csv", params={"q": "D002"}).text)))
    assert [row[0] for row in rows] == ["Entry ID", "CPL-000003"]
    book = load_workbook(
        io.BytesIO(world.client.get("/api/v1/cpl.xlsx", params={"device_type": "Communications Hub"}).content)
    )
    assert [row[0] for row in book["CPL"].iter_rows(values_only=True)] == ["Entry ID", "CPL-000001"]
    about = dict(book["About"].iter_rows(values_only=True))
    assert about["Selected by"] == "device_type=Communications Hub" and about["Entries"] == "1"
    whole = load_workbook(io.BytesIO(world.client.get("/api/v1/cpl.xlsx").content))
    assert "Selected by" not in dict(whole["About"].iter_rows(values_only=True))


def test_the_sec_layout_downloads_take_the_filters_for_their_list(world: World) -> None:
    whole = world.client.get("/api/v1/central_products_list.csv")
    filtered = world.client.get("/api/v1/central_products_list.csv", params={"q": "CPL-000002"})
    assert len(whole.text.splitlines()) == 4 and len(filtered.text.splitlines()) == 2
    assert filtered.text.splitlines()[0] == whole.text.splitlines()[0]
    assert filtered.headers["content-disposition"].endswith('-filtered.csv"')
    workbook = world.client.get("/api/v1/central_products_list.xlsx", params={"status": "Active"})
    assert workbook.status_code == 200 and workbook.content.startswith(b"PK")
    assert workbook.headers["content-disposition"].endswith('-filtered.xlsx"')
    assert (
        not world.client.get("/api/v1/central_products_list.xlsx")
        .headers["content-disposition"]
        .endswith('-filtered.xlsx"')
    )
