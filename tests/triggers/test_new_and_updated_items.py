"""New and Updated Items against the emulator over loopback HTTP: exactly once across runs
(ties, edits during a run, every reading of the filter's bounds), Podio's budget, failures,
snapshots, Retrieve Sample, and the local --snapshot feed."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from podio_component.contract import events
from podio_component.emulator import Emulator, Fault
from podio_component.emulator.podio.model import FilterReading, rate_limit_text
from podio_component.errors import InputError, PodioComponentError
from podio_component.triggers import new_and_updated_items as trigger
from podio_component.triggers.new_and_updated_items import apps, process
from tests.helpers import ROOT, SetEnv, cfg_for, poll

FILTER = ("POST", "/item/app/30/filter/")
Feedback = tuple[list[dict[str, Any]], Any]  # the data messages, and the last snapshot


def add(emulator: Emulator, count: int, title: str = "item") -> list[int]:
    fields = [{"title": f"{title} {n}"} for n in range(count)]
    return emulator.world.items.add(30, fields)


def edit(emulator: Emulator, item_id: int, title: str) -> None:
    emulator.world.items.update(item_id, {"fields": {"title": title}})


def later(emulator: Emulator, seconds: float = 1) -> None:
    emulator.world.clock.advance(seconds)


def ids(data: list[dict[str, Any]]) -> list[int]:
    return [int(m["body"]["item_id"]) for m in data]


def started(emulator: Emulator, cfg: dict[str, Any]) -> Any:
    """A first run (no startTime): it records where the app stands and emits nothing."""
    data, snapshot = poll(trigger, cfg, None)
    assert data == [] and snapshot is not None
    return snapshot


def test_a_first_run_records_where_it_starts_then_changes_come_oldest_first(
    frozen_emulator: Emulator,
) -> None:
    cfg = cfg_for(frozen_emulator, app="30")
    snapshot = started(frozen_emulator, cfg)
    assert snapshot["version"] == 1 and snapshot["app"] == 30
    later(frozen_emulator)
    first = add(frozen_emulator, 1, "first")
    later(frozen_emulator)
    second = add(frozen_emulator, 1, "second")
    later(frozen_emulator)
    data, snapshot = poll(trigger, cfg, snapshot)
    assert ids(data) == first + second
    assert data[0]["body"]["values"]["title"] == "first 0"
    assert "fields" in data[0]["body"]
    assert len({m["id"] for m in data}) == 2
    assert poll(trigger, cfg, snapshot)[0] == []  # nothing changed: nothing again


def test_start_time_is_inclusive_and_comments_are_not_changes(frozen_emulator: Emulator) -> None:
    at = frozen_emulator.world.clock.now()
    added = add(frozen_emulator, 3)
    later(frozen_emulator)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
    data, snapshot = poll(trigger, cfg_for(frozen_emulator, app="30", startTime=stamp), None)
    assert ids(data) == added  # the items at startTime itself, the seed's older ones not
    frozen_emulator.world.comments.create(
        "item", added[0], {"value": "hi"}
    )  # moves last_event_on, not the last edit
    later(frozen_emulator)
    assert poll(trigger, cfg_for(frozen_emulator, app="30", startTime=stamp), snapshot)[0] == []


def test_1200_items_in_one_second_are_each_emitted_once_with_a_small_snapshot(
    frozen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = cfg_for(frozen_emulator, app="30", pageSize="100")
    snapshot = started(frozen_emulator, cfg)
    later(frozen_emulator)
    added = add(frozen_emulator, 1200)
    later(frozen_emulator)
    sizes: list[int] = []
    with events.collect() as collected:
        keep = collected.snapshot_event

        def measured(snap: dict[str, Any]) -> None:  # every snapshot the run emits
            sizes.append(len(json.dumps(snap)))
            keep(snap)

        monkeypatch.setattr(collected, "snapshot_event", measured)
        process({}, cfg, snapshot)
    assert sorted(ids(collected.data)) == added  # each once
    assert len(sizes) > 10 and max(sizes) < 5 * 1024  # one after each page, each small
    assert poll(trigger, cfg, collected.snapshot)[0] == []  # caught up: no loop, no stall


def test_an_item_edited_twice_between_runs_comes_once_and_again_after_a_new_edit(
    frozen_emulator: Emulator,
) -> None:
    cfg = cfg_for(frozen_emulator, app="30")
    snapshot = started(frozen_emulator, cfg)
    later(frozen_emulator)
    (item,) = add(frozen_emulator, 1)
    later(frozen_emulator)
    edit(frozen_emulator, item, "v2")
    later(frozen_emulator)
    edit(frozen_emulator, item, "v3")
    later(frozen_emulator)
    data, snapshot = poll(trigger, cfg, snapshot)
    assert ids(data) == [item]
    assert data[0]["body"]["values"]["title"] == "v3"  # its latest state
    edit(frozen_emulator, item, "v4")
    later(frozen_emulator)
    data, _ = poll(trigger, cfg, snapshot)
    assert [m["body"]["values"]["title"] for m in data] == ["v4"]


def test_the_created_event_ignores_edits(frozen_emulator: Emulator) -> None:
    cfg = cfg_for(frozen_emulator, app="30", event="created")
    snapshot = started(frozen_emulator, cfg)
    later(frozen_emulator)
    (item,) = add(frozen_emulator, 1)
    later(frozen_emulator)
    data, snapshot = poll(trigger, cfg, snapshot)
    assert ids(data) == [item]
    edit(frozen_emulator, item, "changed")
    later(frozen_emulator)
    assert poll(trigger, cfg, snapshot)[0] == []


@pytest.mark.parametrize(
    "reading",
    ["inclusive", "exclusive", "inclusive,-5", "inclusive,+2", "exclusive,-5", "exclusive,+2"],
)
def test_exactly_once_whatever_the_reading_of_from_and_to(
    frozen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, reading: str
) -> None:
    frozen_emulator.world.items.reading = FilterReading.parse(reading)
    cfg = cfg_for(frozen_emulator, app="30", pageSize="5")
    snapshot = started(frozen_emulator, cfg)
    seen: list[int] = []
    expected: list[int] = []
    for round_ in range(4):
        later(frozen_emulator)
        expected += add(frozen_emulator, 7, f"r{round_}")  # ties in one second, more than a page
        later(frozen_emulator)
        expected += add(frozen_emulator, 3, f"s{round_}")
        if round_:
            edit(frozen_emulator, expected[0], f"edited {round_}")
            expected.append(expected[0])
        later(frozen_emulator)
        data, snapshot = poll(trigger, cfg, snapshot)
        assert snapshot is not None
        seen += ids(data)
    assert sorted(seen) == sorted(expected)  # no gap, no double (an edit is a new change)


@pytest.mark.parametrize("at_call", [3, 5, 8], ids=["first page", "in a tie", "later page"])
def test_edits_during_a_run_are_neither_lost_nor_doubled_and_come_next_run(
    frozen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, at_call: int
) -> None:
    cfg = cfg_for(frozen_emulator, app="30", pageSize="10")
    snapshot = started(frozen_emulator, cfg)
    later(frozen_emulator)
    added = add(frozen_emulator, 25)
    for n in range(5):  # spread over seconds, ties included
        later(frozen_emulator)
        added += add(frozen_emulator, 5, f"t{n}")
    later(frozen_emulator)
    items = frozen_emulator.world.items
    real_filter = items.filter
    calls = [0]

    def filter_then_edit(app_id: int, body: dict[str, Any], *rest: Any) -> dict[str, Any]:
        calls[0] += 1
        if calls[0] == at_call:  # while the run pages through: edit items before and after
            for item_id in (added[0], added[3], added[30], added[-1]):
                edit(frozen_emulator, item_id, "edited during the run")
        return real_filter(app_id, body, *rest)

    monkeypatch.setattr(items, "filter", filter_then_edit)
    first, snapshot = poll(trigger, cfg, snapshot)
    assert len(ids(first)) == len(set(ids(first)))  # none twice in the run
    later(frozen_emulator)
    second, _ = poll(trigger, cfg, snapshot)
    assert set(ids(first)) | set(ids(second)) == set(added)  # none lost
    edited = {added[0], added[3], added[30], added[-1]}
    assert set(ids(second)) == edited  # the edits come with the next run
    assert all(m["body"]["values"]["title"] == "edited during the run" for m in second)


def test_podios_budget_two_calls_when_nothing_changed_twelve_for_1000_new(
    frozen_emulator: Emulator,
) -> None:
    cfg = cfg_for(frozen_emulator, app="30", pageSize="100")
    snapshot = started(frozen_emulator, cfg)
    later(frozen_emulator)
    add(frozen_emulator, 1)
    later(frozen_emulator)
    _, snapshot = poll(trigger, cfg, snapshot)  # measures the reading once (kept in the snapshot)
    before = frozen_emulator.log.count(*FILTER)
    assert poll(trigger, cfg, snapshot)[0] == []
    assert 1 <= frozen_emulator.log.count(*FILTER) - before <= 2
    for _ in range(1000):
        later(frozen_emulator)
        add(frozen_emulator, 1)
    later(frozen_emulator)
    before = frozen_emulator.log.count(*FILTER)
    data, _ = poll(trigger, cfg, snapshot)
    assert len(data) == 1000
    assert 10 <= frozen_emulator.log.count(*FILTER) - before <= 12


def test_a_rate_limit_mid_run_ends_it_quietly_and_the_next_run_resumes(
    frozen_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = cfg_for(frozen_emulator, app="30", pageSize="10", retriesDelay="0")
    snapshot = started(frozen_emulator, cfg)
    later(frozen_emulator)
    added = add(frozen_emulator, 35)
    for n in range(3):
        later(frozen_emulator)
        added += add(frozen_emulator, 2, f"x{n}")
    later(frozen_emulator)
    limited = {"error": "rate_limit", "error_description": rate_limit_text(1)}
    frozen_emulator.faults.add(
        FILTER[0],
        "/item/app/30/filter*",
        *[Fault()] * 5,  # the newest item, the reading, then pages
        Fault(status=420, body=limited),
    )
    first, snapshot = poll(trigger, cfg, snapshot)
    assert 0 < len(first) < len(added)
    assert any("rate-limited the poll" in r.getMessage() for r in caplog.records)
    time.sleep(1.1)  # the credential's cooldown
    second, _ = poll(trigger, cfg, snapshot)
    assert sorted(ids(first) + ids(second)) == sorted(added)


def test_podio_unreachable_is_an_error_the_platform_shows_not_a_rebound(
    frozen_emulator: Emulator, setenv: SetEnv
) -> None:
    cfg = cfg_for(frozen_emulator, app="30")
    setenv("PODIO_API_URL", "http://127.0.0.1:9")
    with pytest.raises(PodioComponentError) as caught:
        poll(trigger, cfg, None)
    assert not caught.value.retry_later
    assert "could not connect" in caught.value.message


def test_a_snapshot_for_another_app_starts_afresh_and_a_malformed_one_is_an_error(
    frozen_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="podio_component")
    cfg = cfg_for(frozen_emulator, app="30")
    snapshot = started(frozen_emulator, cfg)
    data, fresh = poll(trigger, cfg, {**snapshot, "app": 99})
    assert data == [] and fresh is not None and fresh["app"] == 30
    assert any("starts afresh" in r.getMessage() for r in caplog.records)
    for broken in ({**snapshot, "version": 7}, {**snapshot, "afterId": "x"}, ["not", "one"]):
        with pytest.raises(InputError, match="Invalid snapshot"):
            poll(trigger, cfg, broken)


def test_retrieve_sample_gives_at_most_ten_and_no_snapshot(
    frozen_emulator: Emulator, setenv: SetEnv
) -> None:
    setenv("ELASTICIO_FLOW_TYPE", "debug")  # read with the component's environment
    add(frozen_emulator, 15)
    data, snapshot = poll(trigger, cfg_for(frozen_emulator, app="30"), None)
    assert len(data) == 10 and snapshot is None
    for item_id in list(frozen_emulator.world.items.stored):
        frozen_emulator.world.items.delete(item_id)
    with pytest.raises(PodioComponentError, match="No items found in app 30"):
        poll(trigger, cfg_for(frozen_emulator, app="30"), None)


def test_emit_page_sends_one_message_per_page(frozen_emulator: Emulator) -> None:
    cfg = cfg_for(frozen_emulator, app="30", pageSize="10", emitBehavior="emitPage")
    snapshot = started(frozen_emulator, cfg)
    for n in range(25):
        later(frozen_emulator)
        add(frozen_emulator, 1, f"p{n}")
    later(frozen_emulator)
    data, _ = poll(trigger, cfg, snapshot)
    assert len(data) >= 3
    assert sum(len(m["body"]["items"]) for m in data) == 25
    assert "values" in data[0]["body"]["items"][0]


def test_the_app_list_is_labelled_and_cached(frozen_emulator: Emulator) -> None:
    cfg = cfg_for(frozen_emulator, app="30")
    assert apps(cfg) == {
        "30": "Example Co \u203a Sales \u203a Deals",
        "40": "Example Co \u203a Sales \u203a Everything",
    }
    before = len(frozen_emulator.log.entries())
    apps(cfg)
    assert len(frozen_emulator.log.entries()) == before  # cached


def test_run_with_snapshot_file_is_an_exact_local_feed(
    frozen_emulator: Emulator, tmp_path: Path
) -> None:
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(cfg_for(frozen_emulator, app="30")))
    kept = tmp_path / "snapshot.json"

    def run() -> list[dict[str, Any]]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "podio_component",
                "run",
                "newAndUpdatedItems",
                "--cfg",
                f"@{cfg}",
                "--snapshot",
                str(kept),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    assert run() == [] and json.loads(kept.read_text())["version"] == 1
    later(frozen_emulator)
    added = add(frozen_emulator, 3)
    later(frozen_emulator)
    assert ids(run()) == added
    assert run() == []


@pytest.mark.parametrize("blank", ["", " ", None])
def test_blank_selects_take_their_defaults(frozen_emulator: Emulator, blank: Any) -> None:
    cfg = cfg_for(frozen_emulator, app="30", event=blank, emitBehavior=blank, pageSize=blank)
    snapshot = started(frozen_emulator, cfg)
    assert snapshot["event"] == "updated"
    later(frozen_emulator)
    add(frozen_emulator, 2)
    later(frozen_emulator)
    data, _ = poll(trigger, cfg, snapshot)
    assert len(data) == 2 and "items" not in data[0]["body"]  # emitted individually


@pytest.mark.parametrize(
    ("field", "value", "choices"),
    [("event", "deleted", "created, updated"), ("emitBehavior", "all", "emitIndividually")],
)
def test_an_unknown_select_value_is_refused_naming_the_choices(
    frozen_emulator: Emulator, field: str, value: str, choices: str
) -> None:
    with pytest.raises(
        InputError, match=f"Invalid {field}: got '{value}'; expected one of {choices}"
    ):
        poll(trigger, cfg_for(frozen_emulator, app="30", **{field: value}), None)
    assert frozen_emulator.log.count(*FILTER) == 0


def test_the_snapshot_is_byte_for_byte_what_running_flows_hold(frozen_emulator: Emulator) -> None:
    snapshot = started(frozen_emulator, cfg_for(frozen_emulator, app="30"))
    keys = '"version": 1, "app": 30, "event": "updated", "startTime": null, "since": "'
    assert json.dumps(snapshot).startswith("{" + keys)
    assert json.dumps(snapshot).endswith(
        '", "afterId": 0, "done": true, "tieOffset": 0, "reading": "unknown"}'
    )
