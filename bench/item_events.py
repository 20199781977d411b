"""Item Events (instant): Podio calls per delivery of each kind, counted at the emulator,
and CPU per delivery under `podio-component sailor`, from the gateway's message to the
emitted message and the snapshot published, beside Make Raw Request making the same Podio
call (one GET /item/{id}), interleaved."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import requests

from bench.runtime import LIFTED, Run
from podio_component.emulator import Emulator
from podio_component.settings import reload_environment
from podio_component.webhooks.address import SECRET_PARAM, derive_secret
from tests.helpers import cfg_for
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
        token = emulator.issue_token()["access_token"]

        def podio(method: str, path: str, **kwargs: Any) -> Any:
            answer = requests.request(
                method,
                emulator.podio_url + path,
                headers={"Authorization": f"OAuth2 {token}"},
                timeout=10,
                **kwargs,
            )
            return answer.json() if answer.content else None

        def calls(act: Callable[[], object], deliveries: int = 1) -> int:
            act()
            delivered = flow.delivered()
            assert len(delivered) == deliveries, delivered
            before = emulator.log.count()
            for message in delivered:
                flow.process(message)
            return emulator.log.count() - before

        try:
            flow.cfg["events"] = ["created", "updated", "deleted"]
            flow.start()
            flow.run()
            item: dict[str, int] = {}
            figures = {
                "created": calls(
                    lambda: item.update(
                        podio("POST", "/item/app/30/", json={"fields": {"title": "a"}})
                    )
                ),
                "updated, with changes": calls(
                    lambda: podio(
                        "PUT", f"/item/{item['item_id']}", json={"fields": {"title": "b"}}
                    )
                ),
            }
            flow.cfg["includeChanges"] = "no"
            figures["updated, without changes"] = calls(
                lambda: podio("PUT", f"/item/{item['item_id']}", json={"fields": {"title": "c"}})
            )
            flow.cfg["onlyFields"] = ["probability"]
            figures["updated, onlyFields"] = calls(
                lambda: podio("PUT", f"/item/{item['item_id']}", json={"fields": {"title": "d"}})
            )
            flow.cfg.pop("onlyFields")
            emulator.world.hooks.faults.repeat = 1
            figures["updated, and again (repeated)"] = (
                calls(
                    lambda: podio(
                        "PUT", f"/item/{item['item_id']}", json={"fields": {"title": "e"}}
                    ),
                    deliveries=2,
                )
                - 1
            )  # the first of the two
            emulator.world.hooks.faults.swap = 1

            def two_edits() -> None:
                for title in ("f", "g"):
                    podio("PUT", f"/item/{item['item_id']}", json={"fields": {"title": title}})

            figures["two updates swapped (newer, then older)"] = calls(two_edits, deliveries=2) - 1
            secret = derive_secret(HOOK_KEY, "flow-1")
            forged = {"type": "item.update", "item_id": "5001", "item_revision_id": "1"}
            figures["forged (no or wrong secret)"] = calls(
                lambda: [
                    requests.post(flow.uri, data=form, timeout=5)
                    for form in (forged, {**forged, SECRET_PARAM: secret[::-1]})
                ],
                deliveries=2,
            )
            figures["deleted"] = calls(lambda: podio("DELETE", f"/item/{item['item_id']}"))
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
            fields={"app": "30"},
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


def bench_item_events(amqp_url: str, podio_url: str, quick: bool) -> dict[str, Any]:
    return {
        "calls": calls_per_delivery(),
        "cpu": cpu_per_delivery(amqp_url, podio_url, 40 if quick else 1000, 1 if quick else 5),
    }


def report(r: dict[str, Any]) -> list[str]:
    cpu = r["cpu"]
    return [
        "Item Events (instant): Podio calls per delivery, counted at the emulator",
        *[f"  {kind}: {count}" for kind, count in r["calls"].items()],
        f"  CPU per Created delivery under sailor (best of {cpu['rounds']} rounds of "
        f"{cpu['n']}, snapshot full at 5 KB) {cpu['created_cpu_us']:.0f} µs; Make Raw "
        f"Request with the same GET {cpu['raw_cpu_us']:.0f} µs: {cpu['created_vs_raw']:.2f}x "
        f"(target <= {TARGET}x)",
    ]
