"""Podio calls of one New and Updated Items run, counted at the emulator, beside a naive
poller that filters `last_edit_on` from the second after its cursor (`>` a timestamp)."""

from __future__ import annotations

import os
import time
from typing import Any

from podio_component.contract import events
from podio_component.emulator import Emulator
from podio_component.emulator.podio.model import FilterReading
from podio_component.podio.time import epoch, podio_time
from podio_component.settings import reload_environment
from podio_component.triggers.new_and_updated_items import process

FILTER = ("POST", "/item/app/30/filter/")
# how the emulator reads from/to; each is measured by the trigger and met as the docs say
READINGS = {
    "default": "inclusive",
    "exclusive": "exclusive",
    "the user's clock": "inclusive,user",
    "a zone it cannot learn": "inclusive,-5",
}


def _poll(cfg: dict[str, Any], snapshot: Any) -> tuple[int, Any]:
    with events.collect() as collected:
        process({}, cfg, snapshot)
    return len(collected.data), collected.snapshot


def _naive(emulator: Emulator, token: str, cursor: int) -> tuple[int, int]:
    """(items found, calls) of a poller that asks for last_edit_on > its cursor."""
    import requests

    found, calls, offset = 0, 0, 0
    while True:
        body = {
            "sort_by": "last_edit_on",
            "limit": 100,
            "offset": offset,
            "filters": {"last_edit_on": {"from": podio_time(cursor + 1)}},
        }
        response = requests.post(
            f"{emulator.podio_url}/item/app/30/filter/",
            json=body,
            headers={"Authorization": f"OAuth2 {token}"},
            timeout=30,
        )
        calls += 1
        items = response.json()["items"]
        found += len(items)
        if len(items) < 100:
            return found, calls
        offset += 100


def _scenario(reading: str, count: int, ties: bool) -> dict[str, Any]:
    with Emulator() as emulator:
        os.environ.update(emulator.environment())
        reload_environment()
        emulator.world.items.reading = FilterReading.parse(READINGS[reading])
        clock = emulator.world.clock
        clock.freeze(float(int(time.time()) + 10))
        token = emulator.issue_token()["access_token"]
        cfg = {"oauth": {"access_token": token}, "retries": "0", "app": "30", "pageSize": "100"}
        _, snapshot = _poll(cfg, None)  # records where it starts
        clock.advance(1)
        emulator.world.items.add(30, [{"title": "first"}])
        clock.advance(1)
        _, snapshot = _poll(cfg, snapshot)  # measures the reading once
        measured = snapshot["reading"]
        before = emulator.log.count(*FILTER)
        _poll(cfg, snapshot)
        idle = emulator.log.count(*FILTER) - before
        cursor = epoch(snapshot["since"])
        for n in range(count):
            if not ties or n == 0:
                clock.advance(1)
            emulator.world.items.add(30, [{"title": f"n{n}"}])
        clock.advance(1)
        before = emulator.log.count(*FILTER)
        emitted, _ = _poll(cfg, snapshot)
        calls = emulator.log.count(*FILTER) - before
        naive_found, naive_calls = _naive(emulator, token, cursor)
    return {
        "measured": measured,
        "calls_when_nothing_changed": idle,
        "items": count,
        "emitted": emitted,
        "calls": calls,
        "naive_found": naive_found,
        "naive_calls": naive_calls,
    }


def bench_trigger(quick: bool) -> dict[str, Any]:
    count = 100 if quick else 1000
    results: dict[str, Any] = {}
    for reading in READINGS if not quick else ("default",):
        results[reading] = {
            "distinct_seconds": _scenario(reading, count, ties=False),
            "one_second": _scenario(reading, count + count // 5, ties=True),
        }
    return results


def report(results: dict[str, Any]) -> list[str]:
    lines = [
        "New and Updated Items: Podio calls of one run (pageSize 100), counted at the emulator"
    ]
    for reading, scenarios in results.items():
        spread, tied = scenarios["distinct_seconds"], scenarios["one_second"]
        lines.append(
            f"  reading {reading} (measured {spread['measured']}): nothing changed "
            f"{spread['calls_when_nothing_changed']} calls; "
            f"{spread['items']} new items {spread['calls']} calls ({spread['emitted']} emitted; "
            f"naive '>' poller {spread['naive_calls']} calls, {spread['naive_found']} found); "
            f"{tied['items']} in one second {tied['calls']} calls ({tied['emitted']} emitted; "
            f"naive {tied['naive_calls']} calls, {tied['naive_found']} found)"
        )
    return lines
