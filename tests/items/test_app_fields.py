"""The app's fields, kept per credential and app: a name the kept fields do not know reads
them again before it is refused, at most once a minute of the context's clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from podio_component.actions import create_item, find_items
from podio_component.contract import events
from podio_component.emulator import Emulator
from podio_component.errors import InputError
from podio_component.items.app_fields import FRESH_FOR, forget_app_fields
from tests.helpers import cfg_for, run

ITEM_STEP = {"app": "40", "retries": "0"}
APP_READ = ("GET", "/app/40")


@pytest.fixture(autouse=True)
def fresh_fields() -> Iterator[None]:
    forget_app_fields()
    yield
    forget_app_fields()


def add_field(emulator: Emulator, **field: Any) -> None:
    """Change the app in Podio after the component read it (a person added a field)."""
    emulator.world.directory.apps[40]["fields"].append(field)


def test_each_credential_reads_the_fields_for_itself(emulator: Emulator) -> None:
    ada, grace = (
        cfg_for(emulator, **ITEM_STEP),
        {
            "oauth": {"access_token": emulator.issue_token("grace@example.com")["access_token"]},
            **ITEM_STEP,
        },
    )
    for cfg in (ada, ada, grace, grace):
        create_item.getMetaModel(cfg)
    assert emulator.log.count(*APP_READ) == 2


def test_a_field_added_since_is_found_by_reading_the_fields_again_once(
    emulator: Emulator, sleeps: list[float]
) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    run(create_item, cfg, {"title": "first"})  # reads the fields
    add_field(emulator, field_id=499, external_id="region", type="text", label="Region")
    with pytest.raises(InputError, match="region"):  # read just now: not read again
        run(create_item, cfg, {"title": "second", "region": "North"})
    assert emulator.log.count(*APP_READ) == 1
    sleeps.append(FRESH_FOR)  # a minute later
    made = run(create_item, cfg, {"title": "third", "region": "North"})
    assert made["values"]["region"] == "North"
    assert emulator.log.count(*APP_READ) == 2
    with pytest.raises(InputError, match="no such field"):  # the new read is fresh again
        run(create_item, cfg, {"title": "fourth", "nowhere": 1})
    assert emulator.log.count(*APP_READ) == 2


def test_an_option_added_since_is_found_for_a_filter_too(
    emulator: Emulator, sleeps: list[float]
) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP, allowZeroResults="true")
    with events.collect():
        find_items.process({"body": {"stage": "Lead"}}, cfg)
    stage = next(f for f in emulator.world.directory.apps[40]["fields"] if f["field_id"] == 403)
    stage["options"].append({"id": 4, "text": "Lost", "color": "DDDDDD"})
    sleeps.append(FRESH_FOR)
    with events.collect():
        find_items.process({"body": {"stage": "Lost"}}, cfg)
    assert emulator.log.count(*APP_READ) == 2
