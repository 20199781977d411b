"""Lookup Object By ID and Delete Object By ID, against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from podio_component.actions import delete_object_by_id, lookup_object_by_id
from podio_component.emulator import Emulator, Fault
from podio_component.errors import InputError, PodioHTTPError


def lookup(cfg: dict[str, Any], object_type: str, object_id: Any, **options: Any) -> Any:
    return lookup_object_by_id.process(
        {"body": {"id": object_id}}, {**cfg, "objectType": object_type, **options}
    )["body"]


def delete(cfg: dict[str, Any], object_type: str, object_id: Any) -> Any:
    return delete_object_by_id.process(
        {"body": {"id": object_id}}, {**cfg, "objectType": object_type}
    )["body"]


@pytest.fixture
def cfg(emulator: Emulator) -> dict[str, Any]:
    return {"secretId": emulator.create_secret(fields={"retries": "0"})}


@pytest.mark.parametrize(
    ("object_type", "object_id", "key"),
    [
        ("item", 5001, "item_id"),
        ("app", 30, "app_id"),
        ("space", 20, "space_id"),
        ("organization", 10, "org_id"),
        ("file", 7001, "file_id"),
        ("item", "5002", "item_id"),
    ],
)
def test_lookup_returns_the_object(
    cfg: dict[str, Any], object_type: str, object_id: Any, key: str
) -> None:
    assert lookup(cfg, object_type, object_id)[key] == int(object_id)


def test_lookup_accepts_the_node_components_id_value(cfg: dict[str, Any]) -> None:
    output = lookup_object_by_id.process({"body": {"idValue": 5001}}, {**cfg, "objectType": "item"})
    assert output["body"]["title"] == "Analytical engine licence"


def test_lookup_of_a_missing_object_is_an_error_or_empty_as_chosen(cfg: dict[str, Any]) -> None:
    with pytest.raises(PodioHTTPError, match="GET /item/424242 failed after 1 attempt: HTTP 404"):
        lookup(cfg, "item", 424242)
    assert lookup(cfg, "item", 424242, allowZeroResults="on") == {}
    assert lookup(cfg, "item", 424242, allowZeroResults=" True ") == {}


@pytest.mark.parametrize("checkbox", ["yes", "1", 1, "banana"])
def test_allow_zero_results_follows_the_one_yes_no_rule(
    emulator: Emulator, cfg: dict[str, Any], checkbox: object
) -> None:
    with pytest.raises(InputError, match="Invalid allowZeroResults: got "):
        lookup(cfg, "item", 424242, allowZeroResults=checkbox)
    assert emulator.log.entries() == []


def test_id_and_id_value_may_both_be_given_when_they_agree(
    emulator: Emulator, cfg: dict[str, Any]
) -> None:
    output = lookup_object_by_id.process(
        {"body": {"id": 5001, "idValue": "5001"}}, {**cfg, "objectType": "item"}
    )
    assert output["body"]["item_id"] == 5001
    with pytest.raises(InputError, match=r"Invalid id: id and idValue disagree \(5001 and 5002\)"):
        lookup_object_by_id.process(
            {"body": {"id": 5001, "idValue": 5002}}, {**cfg, "objectType": "item"}
        )


def test_delete_after_a_rate_limit_reports_a_missing_object_as_missing(
    emulator: Emulator, cfg: dict[str, Any]
) -> None:
    retrying = {"secretId": emulator.create_secret(fields={"retries": "1", "retriesDelay": "0"})}
    emulator.faults.add("DELETE", "/item/424242", Fault(status=429))
    with pytest.raises(PodioHTTPError, match="HTTP 404"):
        delete(retrying, "item", 424242)


def test_delete_then_lookup(emulator: Emulator, cfg: dict[str, Any]) -> None:
    assert delete(cfg, "item", 5003) == {"id": 5003, "deleted": True}
    assert emulator.log.count("DELETE", "/item/5003") == 1
    assert lookup(cfg, "item", 5003, allowZeroResults=True) == {}
    with pytest.raises(PodioHTTPError, match="HTTP 410, error=gone"):
        lookup(cfg, "item", 5003)
    with pytest.raises(PodioHTTPError, match="HTTP 410"):
        delete(cfg, "item", 5003)


@pytest.mark.parametrize(
    "bad_id", [0, -1, "abc", "1/../x", "5001?x=1", 1.5, True, None, "", " ", "١٢", 2**64, [5001]]
)
def test_ids_are_validated_before_any_request(
    emulator: Emulator, cfg: dict[str, Any], bad_id: Any
) -> None:
    for action in (lookup, delete):
        with pytest.raises(InputError, match="Invalid id: ") as caught:
            action(cfg, "item", bad_id)
        assert "positive whole number" in str(caught.value) or "required" in str(caught.value)
    assert emulator.log.entries() == []


@pytest.mark.parametrize("object_type", [None, "", "items", "../item", 3])
def test_unknown_object_types_are_refused(
    emulator: Emulator, cfg: dict[str, Any], object_type: Any
) -> None:
    with pytest.raises(
        InputError, match=r"Invalid objectType: got .*; expected one of action, app"
    ):
        lookup(cfg, object_type, 5001)
    with pytest.raises(
        InputError, match=r"Invalid objectType: got .*; expected one of app, comment"
    ):
        delete(cfg, object_type, 5001)
    assert emulator.log.entries() == []
