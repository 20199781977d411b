"""The emulator answers as real Podio does where real answers show it (the captures in
tests/fixtures/real_podio/): filter items are short, field settings come as Podio sends
them, Podio's 400s, and the routes real clients use."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from podio_component.emulator import Emulator, FilterReading
from tests.helpers import ROOT

REAL = ROOT / "tests" / "fixtures" / "real_podio"


def call(emulator: Emulator, method: str, path: str, **options: Any) -> requests.Response:
    token = emulator.issue_token()["access_token"]
    headers = {"Authorization": f"OAuth2 {token}"}
    return requests.request(
        method, emulator.podio_url + path, headers=headers, timeout=10, **options
    )


def test_filter_items_are_short_as_the_real_capture() -> None:
    real = json.loads((REAL / "filter-slacknpodio.json").read_text())["body"]["items"][0]
    with Emulator() as emulator:
        item = call(emulator, "POST", "/item/app/30/filter/", json={"limit": 1}).json()["items"][0]
    for key in ("app", "tags", "files", "comments"):
        assert key not in real and key not in item
    assert {"file_count", "comment_count", "fields", "current_revision"} <= set(item) & set(real)


@pytest.mark.parametrize("tags_bundled", [True, False])
def test_the_filter_adds_files_and_tags_where_asked_and_tags_where_honoured(
    tags_bundled: bool,
) -> None:
    with Emulator() as emulator:
        emulator.world.items.bundles_tags = tags_bundled
        found = call(
            emulator,
            "POST",
            "/item/app/30/filter/",
            params={"fields": "items.fields(files,tags)"},
            json={"limit": 3},
        ).json()["items"]
    assert all("files" in item for item in found)
    assert all(("tags" in item) is tags_bundled for item in found)


def test_field_settings_come_as_podio_sends_them() -> None:
    with Emulator() as emulator:
        fields = {f["field_id"]: f for f in call(emulator, "GET", "/app/40").json()["fields"]}
    assert fields[420]["config"]["settings"]["return_type"] == "number"
    assert fields[422]["config"]["settings"]["end"] == "disabled"
    assert fields[423]["config"]["settings"]["end"] == "required"
    assert all(o["status"] == "active" for o in fields[403]["config"]["settings"]["options"])
    assert fields[408]["config"]["settings"]["referenced_apps"][0]["app"]["app_id"] == 30
    assert fields[421]["external_id"] is None


@pytest.mark.parametrize(
    ("method", "path", "body", "description"),
    [
        ("DELETE", "/item/5001?silent=1?", None, 'Invalid value "1?" (string): must be {'),
        ("POST", "/item/app/40/", {"fields": {"count": 1e16}}, "Invalid value"),
        (
            "POST",
            "/item/app/40/filter/",
            {"filters": {"title": {"from": 1}}},
            'Invalid value {"from": 1} (object): not a filter of a text field',
        ),
        (
            "POST",
            "/item/app/40/",
            {"fields": {"208483992": 1}},
            'Invalid value "208483992" (string): No field found',
        ),
        (
            "POST",
            "/item/app/40/",
            {"fields": ["Test"]},
            'Invalid value ["Test"] (array): must be object',
        ),
    ],
)
def test_podios_400s(method: str, path: str, body: Any, description: str) -> None:
    with Emulator() as emulator:
        answer = call(emulator, method, path, json=body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_value"
    assert answer.json()["error_description"].startswith(description)


def test_the_routes_real_clients_use() -> None:
    with Emulator() as emulator:
        for item_id in emulator.world.items.add(30, [{"title": "a"}, {"title": "b"}]):
            emulator.world.items.stored[item_id]["external_id"] = "shared"
        every = call(emulator, "GET", "/item/app/30/v2/", params={"external_id": "shared"})
        assert [i["title"] for i in every.json()["items"]] == ["a", "b"]  # podio-py's lookup
        by_number = call(
            emulator, "POST", "/item/app/30/filter/", json={"sort_by": "app_item_id", "limit": 5}
        )
        assert by_number.status_code == 200


def test_the_filter_reading_is_importable_where_the_docs_say() -> None:
    assert FilterReading.parse("exclusive,user").user_clock


def test_a_comment_has_the_keys_of_the_captured_one() -> None:
    item = json.loads((REAL / "item-get-go-350017179.json").read_text())
    real = (item.get("body") or item)["comments"][0]
    with Emulator() as emulator:
        made = call(emulator, "POST", "/comment/item/5001/", json={"value": "hi"}).json()
        listed = call(emulator, "GET", "/comment/item/5001/").json()
    assert set(real) <= set(made) and listed == [made]
    assert len(made["created_on"]) == len(real["created_on"])  # "2016-06-21 15:38:38"
