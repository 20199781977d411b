"""`fullItems` in Find Items and New and Updated Items: Podio's filter gives short items (no
files, tags or app); checked, the filter is asked to add files and tags, and an item it did
not complete is read whole, whichever way Podio treats the request for tags."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from podio_component.actions import find_items
from podio_component.contract import events
from podio_component.emulator import Emulator
from podio_component.items.app_fields import forget_app_fields
from podio_component.triggers import new_and_updated_items as trigger
from tests.helpers import cfg_for, poll

ITEM_READS = ("GET", "/item/*")


@pytest.fixture(autouse=True)
def fresh_fields() -> Iterator[None]:
    forget_app_fields()
    yield
    forget_app_fields()


def tagged(emulator: Emulator, count: int) -> list[int]:
    added = emulator.world.items.add(40, [{"title": f"t{n}"} for n in range(count)])
    for item_id in added:
        emulator.world.items.update(item_id, {"tags": ["vip"]})
    return added


def find(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    with events.collect() as collected:
        find_items.process({"body": {}}, cfg)
    return [m["body"] for m in collected.data]


def test_without_it_items_are_as_the_filter_gives_them(emulator: Emulator) -> None:
    tagged(emulator, 2)
    found = find(cfg_for(emulator, app="40", maxItems="2"))
    assert all("tags" not in i and "files" not in i and "app" not in i for i in found)
    assert all("file_count" in i and "values" in i for i in found)


@pytest.mark.parametrize("tags_bundled", [True, False], ids=["tags bundled", "tags ignored"])
def test_find_items_gives_full_items_either_way(emulator: Emulator, tags_bundled: bool) -> None:
    emulator.world.items.bundles_tags = tags_bundled
    tagged(emulator, 3)
    found = find(cfg_for(emulator, app="40", maxItems="3", fullItems="on"))
    assert all(i["tags"] == ["vip"] and "files" in i and "values" in i for i in found)
    assert emulator.log.count(*ITEM_READS) == (0 if tags_bundled else 3)  # the cost


@pytest.mark.parametrize("tags_bundled", [True, False], ids=["tags bundled", "tags ignored"])
def test_the_trigger_gives_full_items_either_way(emulator: Emulator, tags_bundled: bool) -> None:
    emulator.world.items.bundles_tags = tags_bundled
    emulator.world.clock.freeze()
    cfg = cfg_for(emulator, app="40", fullItems="on")
    _, snapshot = poll(trigger, cfg, None)
    emulator.world.clock.advance(1)
    tagged(emulator, 2)
    emulator.world.clock.advance(1)
    data, _ = poll(trigger, cfg, snapshot)
    assert [m["body"]["tags"] for m in data] == [["vip"], ["vip"]]
    assert all("files" in m["body"] for m in data)
