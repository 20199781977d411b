"""Item Events (instant) against the emulator over loopback HTTP, with Podio's deliveries
reaching the trigger through `listen`'s gateway: startup adopts before it creates, verify,
each event and its Podio calls, `changes` under both numberings, onlyFields, forged
deliveries (no call, no emit), once under repeats and swaps, the 5 KB snapshot, Retrieve
Sample, shutdown, and the secret kept out of every log and output."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from podio_component.emulator import Emulator, Fault
from podio_component.errors import PodioComponentError
from podio_component.triggers import item_events
from podio_component.triggers.item_events.state import SNAPSHOT_LIMIT
from podio_component.webhooks.address import SECRET_PARAM, derive_secret
from tests.helpers import PodioApi, SetEnv, cfg_for
from tests.triggers.hook_flow import HOOK_KEY, HookFlow


@pytest.fixture
def flow(emulator: Emulator, setenv: SetEnv) -> Iterator[HookFlow]:
    running = HookFlow(emulator, setenv, cfg_for(emulator, app="30"))
    yield running
    running.close()


@pytest.fixture
def started(flow: HookFlow) -> HookFlow:
    """The flow started, its hooks verified (the verify deliveries processed)."""
    flow.start()
    assert flow.run() == []
    return flow


class Podio(PodioApi):
    def create(self, **fields: Any) -> int:
        return int(self.call("POST", "/item/app/30/", json={"fields": fields})["item_id"])

    def edit(self, item_id: int, **fields: Any) -> None:
        self.call("PUT", f"/item/{item_id}", json={"fields": fields})


@pytest.fixture
def podio(emulator: Emulator) -> Podio:
    return Podio(emulator)


def calls_while(emulator: Emulator, flow: HookFlow) -> tuple[list[dict[str, Any]], list[str]]:
    """Process what was delivered: the bodies emitted, and the Podio calls it made."""
    delivered = flow.delivered()
    before = len(emulator.log.entries())
    emitted = [body for message in delivered for body in flow.process(message)]
    made = [f"{e.method} {e.path}" for e in emulator.log.entries()[before:] if e.side == "podio"]
    return emitted, made


def test_startup_registers_verified_hooks_for_the_chosen_events(
    started: HookFlow, podio: Podio
) -> None:
    hooks = podio.hooks()
    assert {(h["type"], h["status"]) for h in hooks} == {
        ("item.create", "active"),
        ("item.update", "active"),
    }
    secret = derive_secret(HOOK_KEY, "flow-1")
    assert all(h["url"] == f"{started.uri}?{SECRET_PARAM}={secret}" for h in hooks)
    assert started.record == {
        "app": 30,
        "webhookUri": started.uri,
        "hooks": [
            {"hook_id": h["hook_id"], "type": h["type"]}
            for h in sorted(hooks, key=lambda h: h["type"])
        ],
    }


def test_startup_run_again_adopts_replaces_and_removes_and_never_adds_a_second(
    flow: HookFlow, podio: Podio, emulator: Emulator
) -> None:
    first = flow.start()
    flow.run()
    assert flow.start() == first  # adopted: no second hook per type
    stale = podio.call(
        "POST",
        "/hook/app/30/",
        json={"url": f"{flow.uri}?{SECRET_PARAM}=old", "type": "item.delete"},
    )
    other = podio.call(
        "POST",
        "/hook/app/30/",
        json={"url": "http://127.0.0.1:9/hook/other", "type": "item.create"},
    )
    flow.cfg["events"] = ["created", "deleted"]  # updated no longer chosen
    record = flow.start()
    kinds = {h["type"]: h["hook_id"] for h in podio.hooks() if h["hook_id"] != other["hook_id"]}
    assert set(kinds) == {"item.create", "item.delete"}
    assert kinds["item.create"] == first["hooks"][0]["hook_id"]  # kept
    assert kinds["item.delete"] != stale["hook_id"]  # without the current secret: replaced
    assert {h["hook_id"] for h in record["hooks"]} == set(kinds.values())
    assert other["hook_id"] in {h["hook_id"] for h in podio.hooks()}  # never another flow's


def test_a_startup_that_fails_part_way_deletes_what_it_created(
    flow: HookFlow, podio: Podio, emulator: Emulator
) -> None:
    emulator.faults.add("POST", "/hook/app/30/", Fault(), Fault(status=500))
    with pytest.raises(PodioComponentError, match="registering the hooks on app 30 failed"):
        flow.start()
    assert podio.hooks() == []
    flow.start()  # the platform runs it again: one hook per type
    assert len(podio.hooks()) == 2


def test_podio_refusing_a_hook_at_its_cap_says_other_flows_hold_the_rest(
    flow: HookFlow, podio: Podio
) -> None:
    for n in range(10):
        podio.call(
            "POST", "/hook/app/30/", json={"url": f"http://127.0.0.1:9/o{n}", "type": "item.update"}
        )
    with pytest.raises(PodioComponentError) as refused:
        flow.start()
    assert "Podio refused the item.update hook on app 30" in refused.value.message
    assert "other flows or integrations on this app hold 10" in refused.value.message
    assert len([h for h in podio.hooks() if h["url"].startswith(flow.uri)]) == 0


def test_startup_without_the_flow_webhook_uri_says_what_is_missing(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, setenv: SetEnv
) -> None:
    setenv("ELASTICIO_FLOW_ID", "flow-1")
    with pytest.raises(PodioComponentError, match="ELASTICIO_FLOW_WEBHOOK_URI is not set"):
        item_events.startup(cfg_for(emulator, app="30"))


def test_startup_refuses_only_fields_the_app_does_not_have(flow: HookFlow, podio: Podio) -> None:
    flow.cfg["onlyFields"] = ["amount", "amuont"]
    with pytest.raises(PodioComponentError, match="Invalid onlyFields: got 'amuont'"):
        flow.start()
    assert podio.hooks() == []


def test_each_event_is_emitted_with_one_or_two_calls_and_a_delete_with_none(
    started: HookFlow, podio: Podio, emulator: Emulator
) -> None:
    item_id = podio.create(title="new")
    (created,), made = calls_while(emulator, started)
    assert made == [f"GET /item/{item_id}"]
    assert created["event"] == "created" and created["item_id"] == item_id
    assert created["revision"] == 0 and created["item"]["values"]["title"] == "new"

    podio.edit(item_id, title="edited", probability=10)
    (updated,), made = calls_while(emulator, started)
    assert made == [f"GET /item/{item_id}", f"GET /item/{item_id}/revision/0/1"]
    assert updated["event"] == "updated" and updated["revision"] == 1
    assert updated["item_revision_id"] > created["item_revision_id"]
    by_field = {c["field"]: c for c in updated["changes"]}
    assert by_field["title"] == {"field": "title", "label": "Title", "from": "new", "to": "edited"}
    assert by_field["probability"]["from"] is None and by_field["probability"]["to"] == 10
    assert "mark_as_viewed=0" in emulator.log.entries()[-2].query

    started.cfg["includeChanges"] = "no"
    podio.edit(item_id, title="again")
    (bare,), made = calls_while(emulator, started)
    assert made == [f"GET /item/{item_id}"] and "changes" not in bare

    started.cfg["events"] = ["created", "updated", "deleted"]
    started.start()  # the step edited: the delete hook added
    started.run()
    podio.call("DELETE", f"/item/{item_id}")
    (deleted,), made = calls_while(emulator, started)
    assert made == []
    assert deleted == {"event": "deleted", "item_id": item_id, "external_id": None}


@pytest.mark.parametrize("hook_numbering", ["global", "number"])
@pytest.mark.parametrize("diff_numbering", ["revision", "item_revision_id"])
def test_changes_are_right_under_every_reading_of_the_numbering(
    started: HookFlow, podio: Podio, emulator: Emulator, hook_numbering: str, diff_numbering: str
) -> None:
    emulator.world.hooks.readings.revision_numbering = hook_numbering
    emulator.world.items.revisions.diff_numbering = diff_numbering
    item_id = podio.create(title="a")
    for title in ("b", "c", "d"):
        podio.edit(item_id, title=title)
    emitted = started.run()
    updates = [(e["revision"], e["changes"]) for e in emitted if e["event"] == "updated"]
    assert updates == [
        (n, [{"field": "title", "label": "Title", "from": old, "to": new}])
        for n, (old, new) in enumerate([("a", "b"), ("b", "c"), ("c", "d")], start=1)
    ]
    ids = [e["item_revision_id"] for e in emitted]
    assert all(i > 10**9 for i in ids) and ids == sorted(ids)  # Podio's global ids


def test_an_old_revision_is_found_with_one_more_call(
    started: HookFlow, podio: Podio, emulator: Emulator
) -> None:
    item_id = podio.create(title="a")
    started.run()
    podio.edit(item_id, title="b")
    (late,) = started.delivered()
    for n in range(6):  # the item moves on before the delivery is processed
        podio.call("PUT", f"/item/{item_id}?hook=false", json={"fields": {"title": f"n{n}"}})
    before = len(emulator.log.entries())
    (updated,) = started.process(late)
    made = [e.path for e in emulator.log.entries()[before:]]
    assert made == [
        f"/item/{item_id}",
        f"/item/{item_id}/revision/",
        f"/item/{item_id}/revision/0/1",
    ]
    assert updated["revision"] == 1 and updated["changes"][0]["to"] == "b"
    assert updated["item"]["values"]["title"] == "n5"  # the item as it is now


def test_only_fields_emits_an_update_that_touched_one_of_them(
    started: HookFlow, podio: Podio, emulator: Emulator
) -> None:
    started.cfg.update(onlyFields=["probability"], includeChanges="no")
    item_id = podio.create(title="a")
    started.run()
    podio.edit(item_id, title="b")
    emitted, made = calls_while(emulator, started)
    assert emitted == [] and len(made) == 2  # the read and the difference
    podio.edit(item_id, probability=5)
    (updated,), _ = calls_while(emulator, started)
    assert updated["revision"] == 2 and "changes" not in updated


def forged(flow: HookFlow, **form: str) -> dict[str, Any]:
    """A delivery posted to the flow's URL by someone other than Podio."""
    requests.post(flow.uri, data=form, timeout=5).raise_for_status()
    return flow.gateway.messages.get(timeout=5)


def test_forged_deliveries_get_no_call_and_no_emit(
    started: HookFlow, podio: Podio, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.world.hooks.readings.events_carry_hook_id = True
    secret = derive_secret(HOOK_KEY, "flow-1")
    event = {"type": "item.update", "item_id": "5001", "item_revision_id": "1448700000"}
    hook_id = str(podio.hooks()[0]["hook_id"])
    messages = [
        forged(started, **event),
        forged(started, **event, **{SECRET_PARAM: "guessed"}),
        forged(started, **event, hook_id="12345", **{SECRET_PARAM: secret}),
        forged(started, type="hook.verify", hook_id=hook_id, code="x"),
        {"body": "not a form"},
    ]
    before, snapshot = len(emulator.log.entries()), started.snapshot
    assert [started.process(m) for m in messages] == [[]] * 5
    assert emulator.log.entries()[before:] == []
    assert started.snapshot == snapshot
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 5 and all("dropped" in w for w in warnings)


def test_a_repeated_delivery_and_an_older_revision_after_a_newer_are_emitted_once(
    started: HookFlow, podio: Podio, emulator: Emulator
) -> None:
    item_id = podio.create(title="a")
    started.run()
    emulator.world.hooks.faults.repeat = 1
    podio.edit(item_id, title="b")
    repeated = started.delivered()
    assert len(repeated) == 2
    assert len(started.process(repeated[0])) == 1
    before = len(emulator.log.entries())
    assert started.process(repeated[1]) == []
    assert emulator.log.entries()[before:] == []  # dropped without a call

    emulator.world.hooks.faults.swap = 1
    podio.edit(item_id, title="c")
    podio.edit(item_id, title="d")
    (newer,) = started.run()  # the later revision came first; the older is dropped
    assert newer["revision"] == 3 and newer["changes"][0]["to"] == "d"


def test_the_snapshot_stays_within_5_kb_and_forgets_the_oldest_with_a_warning(
    started: HookFlow, podio: Podio, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    started.cfg.update(events=["created"], catchUpMinutes="0")  # the map alone
    first = podio.create(title="first")
    emulator.world.items.add(30, [{"title": f"n{n}"} for n in range(320)])
    delivered = started.delivered()
    for message in delivered:
        started.process(message)
    assert len(json.dumps(started.snapshot, separators=(",", ":"))) <= SNAPSHOT_LIMIT
    remembered = {entry.split(":")[0] for entry in started.snapshot["handled"].split()}
    assert str(first) not in remembered and len(remembered) > 150
    assert any("forgotten" in r.getMessage() for r in caplog.records)
    assert len(started.process(delivered[0])) == 1  # a duplicate is possible, never a loss
    assert started.process(delivered[-1]) == []  # a recent one is still remembered


def test_an_item_gone_when_read_is_skipped(started: HookFlow, podio: Podio) -> None:
    item_id = podio.create(title="short-lived")
    (message,) = started.delivered()
    podio.call("DELETE", f"/item/{item_id}")
    assert started.process(message) == []


def test_a_verify_for_an_active_hook_or_a_stale_code_is_a_log_line(
    started: HookFlow, podio: Podio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="podio_component")
    hook_id = podio.hooks()[0]["hook_id"]
    podio.call("POST", f"/hook/{hook_id}/verify/request")
    (verify,) = started.delivered()
    assert started.process(verify) == []
    assert any("active already" in r.getMessage() for r in caplog.records)


def test_retrieve_sample_emits_the_latest_item_without_a_hook(
    emulator: Emulator, setenv: SetEnv, podio: Podio
) -> None:
    setenv("ELASTICIO_FLOW_TYPE", "debug")
    item_id = podio.create(title="latest")
    from podio_component.contract import events

    with events.collect() as collected:
        item_events.process({}, cfg_for(emulator, app="30"), None)
    (sample,) = [m["body"] for m in collected.data]
    assert sample["event"] == "created" and sample["item_id"] == item_id
    assert podio.hooks() == [] and collected.snapshot is None


def test_shutdown_removes_the_flows_hooks_and_only_those(started: HookFlow, podio: Podio) -> None:
    other = podio.call(
        "POST", "/hook/app/30/", json={"url": "http://127.0.0.1:9/hook/x", "type": "item.create"}
    )
    lost = podio.call(  # one the record does not name, left by an earlier start
        "POST",
        "/hook/app/30/",
        json={"url": f"{started.uri}?{SECRET_PARAM}=old", "type": "item.delete"},
    )
    podio.call("DELETE", f"/hook/{started.record['hooks'][0]['hook_id']}")  # gone: 404 is done
    started.shutdown()
    assert [h["hook_id"] for h in podio.hooks()] == [other["hook_id"]]
    assert lost["hook_id"] not in {h["hook_id"] for h in podio.hooks()}


def test_shutdown_without_a_record_finds_the_app_in_cfg_and_the_address_in_the_environment(
    started: HookFlow, podio: Podio
) -> None:
    started.shutdown(None)
    assert podio.hooks() == []


def test_the_secret_never_appears_in_logs_errors_or_output(
    started: HookFlow, podio: Podio, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="podio_component")
    secret = derive_secret(HOOK_KEY, "flow-1")
    item_id = podio.create(title="a")
    podio.edit(item_id, title="b")
    emitted = started.run()
    emulator.faults.add("GET", "/hook/app/30*", Fault(status=500))
    with pytest.raises(PodioComponentError) as failed:
        started.shutdown()
    texts = [json.dumps(emitted), failed.value.message, json.dumps(started.record)]
    texts += [r.getMessage() for r in caplog.records]
    assert emitted and not any(secret in text for text in texts)
    assert not any(HOOK_KEY in text for text in texts)
