"""How Podio reads the filter's from/to, each way the emulator can play it: in UTC, on the
clock of the user the token acts for (daylight saving included), or in a zone the trigger
cannot learn. Each run is exact, and costs what a UTC reading costs wherever the zone can be
learnt."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from podio_component.emulator import Emulator, FilterReading
from podio_component.emulator.podio.model import Grant
from podio_component.triggers import new_and_updated_items as trigger
from tests.helpers import cfg_for, poll

FILTER = ("POST", "/item/app/30/filter/")


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def fresh_app(emulator: Emulator, reading: str, when: str) -> None:
    """App 30 emptied, its filter read as `reading`, the clock frozen at `when` (UTC)."""
    for item_id in (5001, 5002, 5003):
        emulator.world.items.delete(item_id)
    emulator.world.items.reading = FilterReading.parse(reading)
    emulator.world.clock.freeze(at(when))


def add(emulator: Emulator, count: int, every: float = 1) -> list[int]:
    added = []
    for n in range(count):
        emulator.world.clock.advance(every)
        added += emulator.world.items.add(30, [{"title": f"n{n}"}])
    emulator.world.clock.advance(1)
    return added


def runs(
    emulator: Emulator, cfg: dict[str, Any], snapshot: Any, rounds: int
) -> tuple[list[int], Any, list[int]]:
    """`rounds` runs, each after a batch of new items, each finding all of its batch (none
    left to a later run): what they emitted, the last snapshot, and what was added."""
    seen: list[int] = []
    added: list[int] = []
    for _ in range(rounds):
        added += add(emulator, 7, every=601)  # one every ten minutes, crossing hours
        data, snapshot = poll(trigger, cfg, snapshot)
        seen += [int(m["body"]["item_id"]) for m in data]
        assert seen == added
    return seen, snapshot, added


@pytest.mark.parametrize(
    ("reading", "measured"), [("inclusive,user", "local"), ("exclusive,user", "local-exclusive")]
)
def test_the_users_clock_is_learnt_once_and_kept_in_the_snapshot(
    emulator: Emulator, reading: str, measured: str
) -> None:
    fresh_app(emulator, reading, "2026-12-01 00:00:00")
    cfg = cfg_for(emulator, app="30", startTime="2026-11-30")
    seen, snapshot, added = runs(emulator, cfg, None, 3)
    assert seen == added
    assert (snapshot["reading"], snapshot["zone"]) == (measured, "Asia/Kolkata")
    assert emulator.log.count("GET", "/user/") == 1  # learnt once


def test_on_the_users_clock_a_run_costs_what_a_utc_one_costs(emulator: Emulator) -> None:
    fresh_app(emulator, "inclusive,user", "2026-12-01 00:00:00")
    cfg = cfg_for(emulator, app="30", pageSize="100", startTime="2026-11-30")
    snapshot = poll(trigger, cfg, None)[1]
    add(emulator, 1)
    _, snapshot = poll(trigger, cfg, snapshot)  # measures the reading
    before = emulator.log.count(*FILTER)
    assert poll(trigger, cfg, snapshot)[0] == []
    assert emulator.log.count(*FILTER) - before <= 2
    added = add(emulator, 1000)
    before = emulator.log.count(*FILTER)
    data, _ = poll(trigger, cfg, snapshot)
    assert [int(m["body"]["item_id"]) for m in data] == added
    assert emulator.log.count(*FILTER) - before <= 12


@pytest.mark.parametrize(
    "when", ["2026-11-01 03:00:00", "2026-03-08 05:00:00"], ids=["clocks back", "clocks forward"]
)
def test_exact_across_a_daylight_saving_change(emulator: Emulator, when: str) -> None:
    fresh_app(emulator, "inclusive,user", when)  # New York: 2 am local, either way
    grace = emulator.issue_token("grace@example.com")["access_token"]
    cfg = {"oauth": {"access_token": grace}, "retries": "0", "app": "30", "pageSize": "3"}
    cfg["startTime"] = when.replace(" ", "T") + "Z"
    seen, snapshot, added = runs(emulator, cfg, None, 4)  # four hours of items, every 10 min
    assert seen == added
    assert snapshot["zone"] == "America/New_York"


def test_an_app_token_has_no_user_zone_so_ranges_are_wide_with_a_warning(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    fresh_app(emulator, "inclusive,user", "2026-12-01 00:00:00")
    app = emulator.world.oauth.issue_tokens(Grant("app", 30, emulator.client_id, "app:all"))
    cfg = {"oauth": {"access_token": app["access_token"]}, "retries": "0", "app": "30"}
    cfg["startTime"] = "2026-11-30"
    caplog.set_level(logging.WARNING, logger="podio_component")
    seen, snapshot, added = runs(emulator, cfg, None, 2)
    assert seen == added
    assert (snapshot["reading"], snapshot["zone"]) == ("wide", None)
    assert any("14 hours" in r.getMessage() for r in caplog.records)


def test_a_zone_podios_answers_contradict_means_wide(emulator: Emulator) -> None:
    fresh_app(emulator, "inclusive,+2", "2026-12-01 00:00:00")  # not Kolkata's +5:30
    cfg = cfg_for(emulator, app="30", startTime="2026-11-30")
    seen, snapshot, added = runs(emulator, cfg, None, 2)
    assert seen == added
    assert (snapshot["reading"], snapshot["zone"]) == ("wide", None)


def test_a_wide_snapshot_kept_before_moves_to_the_users_clock(emulator: Emulator) -> None:
    fresh_app(emulator, "inclusive,user", "2026-12-01 00:00:00")
    cfg = cfg_for(emulator, app="30", startTime="2026-11-30")
    seen, snapshot, added = runs(emulator, cfg, None, 1)
    old = {k: v for k, v in snapshot.items() if k != "zone"} | {"reading": "wide"}
    more, snapshot, later = runs(emulator, cfg, old, 1)
    assert seen + more == added + later
    assert (snapshot["reading"], snapshot["zone"]) == ("local", "Asia/Kolkata")


def test_a_user_on_utc_in_winter_but_not_in_summer_is_read_both_ways(emulator: Emulator) -> None:
    emulator.world.directory.users[1001]["timezone"] = "Europe/London"
    for reading in ("inclusive", "inclusive,user"):  # the answers cannot tell these apart
        emulator.world.items.reading = FilterReading.parse(reading)
        cfg = cfg_for(emulator, app="30", startTime="2026-11-30")
        emulator.world.clock.freeze(at("2026-12-01 00:00:00"))
        for item_id in list(emulator.world.items.stored):
            emulator.world.items.delete(item_id)
        seen, snapshot, added = runs(emulator, cfg, None, 2)
        assert seen == added
        assert (snapshot["reading"], snapshot["zone"]) == ("wide", "Europe/London")
