"""Item Events (instant): Podio calls per delivery of each kind, counted at the emulator,
and CPU per delivery under `podio-component sailor`, from the gateway's message to the
emitted message and the snapshot published, beside Make Raw Request making the same Podio
call (one GET /item/{id}), interleaved."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from bench.runtime import LIFTED, Run
from podio_component.emulator import Emulator, Limits
from podio_component.emulator.platform.flow import EmulatedStep
from podio_component.settings import reload_environment
from podio_component.webhooks.address import SECRET_PARAM, derive_secret
from tests.helpers import PodioApi, cfg_for
from tests.runtime.sailors import Sailor, runtime_env, secret_cfg
from tests.triggers.hook_flow import HOOK_KEY, HookFlow

TARGET = 1.3  # CPU per Created delivery / Make Raw Request with the same Podio call
FIRST_ID = 1_448_700_000


def _setenv(name: str, value: str) -> None:
    os.environ[name] = value
    reload_environment()


def calls_per_delivery() -> dict[str, int]:
    """The Podio calls the trigger makes for one delivery of each kind."""
    with Emulator() as emulator:
        for name, value in emulator.environment().items():
            _setenv(name, value)
        flow = HookFlow(emulator, _setenv, cfg_for(emulator, app="30"))
        podio = PodioApi(emulator, "grace@example.com")  # someone at work in the app

        def calls(act: Callable[[], object], deliveries: int = 1) -> int:
            act()
            delivered = flow.delivered()
            assert len(delivered) == deliveries, delivered
            before = emulator.log.count()
            for message in delivered:
                flow.process(message)
            return emulator.log.count() - before

        def edit(title: str) -> Callable[[], object]:
            return lambda: podio.call("PUT", f"/item/{item_id}", json={"fields": {"title": title}})

        try:
            flow.cfg["events"] = ["created", "updated", "deleted", "comment", "file"]
            flow.start()
            flow.run()
            created: dict[str, int] = {}
            figures = {
                "created": calls(
                    lambda: created.update(
                        podio.call("POST", "/item/app/30/", json={"fields": {"title": "a"}})
                    )
                )
            }
            item_id = created["item_id"]
            figures["updated, with changes"] = calls(edit("b"))
            flow.cfg["includeChanges"] = "no"
            figures["updated, without changes"] = calls(edit("c"))
            flow.cfg["onlyFields"] = ["probability"]
            figures["updated, onlyFields"] = calls(edit("d"))
            flow.cfg.pop("onlyFields")
            emulator.world.hooks.faults.repeat = 1
            figures["updated, and again (repeated)"] = calls(edit("e"), deliveries=2) - 1
            emulator.world.hooks.faults.swap = 1
            figures["two updates swapped (newer, then older)"] = (
                calls(lambda: (edit("f")(), edit("g")()), deliveries=2) - 1
            )
            secret = derive_secret(HOOK_KEY, "flow-1")
            forged = {"type": "item.update", "item_id": "5001", "item_revision_id": "1"}
            figures["forged (no or wrong secret)"] = calls(
                lambda: [
                    requests.post(flow.uri, data=form, timeout=5)
                    for form in (forged, {**forged, SECRET_PARAM: secret[::-1]})
                ],
                deliveries=2,
            )
            comment = {"value": "noted"}
            figures["comment added"] = calls(
                lambda: podio.call("POST", f"/comment/item/{item_id}/", json=comment)
            )
            attach = {"ref_type": "item", "ref_id": item_id}
            figures["file changed"] = calls(
                lambda: podio.call("POST", "/file/7002/attach", json=attach)
            )
            time.sleep(1.1)  # the feed excludes Podio's current second
            flow.age(16)
            calls(lambda: podio.call("POST", f"/comment/item/{item_id}/", json=comment))
            flow.age(16)  # a catch-up again, with nothing new since the last
            with_catch_up = calls(
                lambda: podio.call("POST", f"/comment/item/{item_id}/", json=comment)
            )
            figures["a catch-up that finds nothing"] = with_catch_up - figures["comment added"]
            figures["deleted"] = calls(lambda: podio.call("DELETE", f"/item/{item_id}"))
            return figures
        finally:
            flow.shutdown()
            flow.close()


def cpu_per_delivery(amqp_url: str, podio_url: str, n: int, rounds: int) -> dict[str, Any]:
    """CPU per Created delivery under sailor and per Make Raw Request GET /item/{id}, best
    of interleaved rounds (both sailors idle while the other works)."""
    lifted = {**LIFTED, "ELASTICIO_SNAPSHOT_RATE_LIMIT": "100000"}
    with Emulator() as emulator:
        raw = Run(amqp_url, emulator, podio_url, lifted)
        events = Run(
            amqp_url,
            emulator,
            podio_url,
            {**lifted, "ELASTICIO_FUNCTION": "itemEvents"},
            fields={"app": "30", "catchUpMinutes": "0"},  # the delivery alone
        )
        secret = derive_secret(emulator.platform.api_key, events.flow.flow_id)
        next_item = iter(range(1, 10**9))
        try:

            def created(count: int) -> float:
                cpu = events.cpu()
                for _ in range(count):
                    number = next(next_item)
                    form = {
                        "type": "item.create",
                        "item_id": str(number),
                        "item_revision_id": str(FIRST_ID + number),
                        "external_id": "",
                        SECRET_PARAM: secret,
                    }
                    events.flow.publish(form)
                assert events.flow.drain("data", count, timeout=300) == count
                return (events.cpu() - cpu) / count

            def read(count: int) -> float:
                cpu = raw.cpu()
                for number in range(count):
                    raw.flow.publish({"method": "GET", "url": f"/item/{number + 1}"})
                assert raw.flow.drain("data", count, timeout=300) == count
                return (raw.cpu() - cpu) / count

            created(n // 5)  # warm up, and fill the snapshot to its 5 KB
            read(n // 5)
            best = {"created": float("inf"), "raw": float("inf")}
            for _ in range(rounds):
                best["created"] = min(best["created"], created(n))
                best["raw"] = min(best["raw"], read(n))
        finally:
            raw.close()
            events.close()
    return {
        "created_cpu_us": best["created"] * 1e6,
        "raw_cpu_us": best["raw"] * 1e6,
        "created_vs_raw": best["created"] / best["raw"],
        "n": n,
        "rounds": rounds,
    }


def write_to_emit(amqp_url: str, n: int) -> dict[str, Any]:
    """Seconds from an item written in the emulator to its event out of `sailor`: Podio's
    hook, the platform's gateway (its rate lifted), RabbitMQ, the trigger; one at a time.
    Beside: the emulator's own item read, and a New and Updated Items run finding one item."""
    with Emulator(limits=Limits(rate_limit=10**9, limited_rate_limit=10**9)) as emulator:
        emulator.platform.gateway.per_minute = 10**9
        step = EmulatedStep(amqp_url).declare()
        cfg = {**secret_cfg(emulator), "app": "30", "catchUpMinutes": "0"}
        env = runtime_env(
            emulator,
            step,
            cfg,
            ELASTICIO_FUNCTION="itemEvents",
            ELASTICIO_STARTUP_REQUIRED="1",
            LOG_LEVEL="info",
        )
        sailor = Sailor(env, Path(tempfile.mkdtemp()) / "sailor.log")
        podio = PodioApi(emulator, "grace@example.com")
        try:
            sailor.wait_consuming(60)
            while sum(h["status"] == "active" for h in podio.hooks()) < 2:
                time.sleep(0.05)
            arrivals = step.arrivals("data", timeout=30)
            seconds = []
            for number in range(n):
                started = time.perf_counter()
                podio.call("POST", "/item/app/30/", json={"fields": {"title": f"n{number}"}})
                next(arrivals)
                seconds.append(time.perf_counter() - started)
            arrivals.close()
            reads = []
            for _ in range(100):
                started = time.perf_counter()
                podio.call("GET", "/item/5001")
                reads.append(time.perf_counter() - started)
        finally:
            sailor.stop()
            step.delete()
    seconds.sort()
    read = statistics.median(reads)
    return {
        "n": n,
        "median_s": statistics.median(seconds),
        "p99_s": seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))],
        "emulator_read_s": read,
        "target_s": 1.5 * read + 0.05,
        "polling_median_s": 30 + _one_poll(),
    }


def _one_poll() -> float:
    """Seconds of a New and Updated Items run that finds one new item."""
    from podio_component.contract import events
    from podio_component.triggers import new_and_updated_items

    with Emulator() as emulator:
        for name, value in emulator.environment().items():
            _setenv(name, value)
        cfg = {**cfg_for(emulator, app="30")}
        with events.collect() as first:
            new_and_updated_items.process({}, cfg, None)
        time.sleep(1.1)
        emulator.world.items.add(30, [{"title": "one"}])
        time.sleep(1.1)
        started = time.perf_counter()
        with events.collect():
            new_and_updated_items.process({}, cfg, first.snapshot)
        return time.perf_counter() - started


def bench_item_events(amqp_url: str, podio_url: str, quick: bool) -> dict[str, Any]:
    return {
        "calls": calls_per_delivery(),
        "cpu": cpu_per_delivery(amqp_url, podio_url, 40 if quick else 1000, 1 if quick else 5),
        "latency": write_to_emit(amqp_url, 30 if quick else 1000),
    }


def report(r: dict[str, Any]) -> list[str]:
    cpu, late = r["cpu"], r["latency"]
    return [
        "Item Events (instant): Podio calls per delivery, counted at the emulator",
        *[f"  {kind}: {count}" for kind, count in r["calls"].items()],
        f"  CPU per Created delivery under sailor (best of {cpu['rounds']} rounds of "
        f"{cpu['n']}, snapshot full at 5 KB) {cpu['created_cpu_us']:.0f} µs; Make Raw "
        f"Request with the same GET {cpu['raw_cpu_us']:.0f} µs: {cpu['created_vs_raw']:.2f}x "
        f"(target <= {TARGET}x)",
        f"  write to emit, {late['n']} events through the gateway and sailor: median "
        f"{late['median_s'] * 1000:.0f} ms, p99 {late['p99_s'] * 1000:.0f} ms (target: within "
        f"1.5x the emulator's item read, {late['emulator_read_s'] * 1000:.1f} ms, plus 50 ms = "
        f"{late['target_s'] * 1000:.0f} ms); New and Updated Items on a 1-minute schedule: "
        f"{late['polling_median_s']:.1f} s median",
    ]
