"""`podio-component demo`: Make Raw Request through the real code path against the built-in
emulator; then, when a broker can be had, one message through the platform runtime on
RabbitMQ (AMQP_URL). Each step prints one summary line; --verbose adds its output message."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import requests

from podio_component.actions import make_raw_request
from podio_component.emulator.faults import Fault
from podio_component.emulator.platform import broker
from podio_component.emulator.podio.model import rate_limit_text
from podio_component.emulator.server import Emulator
from podio_component.extras import MissingExtra, require
from podio_component.printed_events import PrintedEvents
from podio_component.redaction import without_password
from podio_component.settings import reload_environment

RATE_LIMITED = {"error": "rate_limit", "error_description": rate_limit_text(1)}
BROKER_START_WAIT = 15.0  # seconds: the demo starts a local broker only if it is this quick


class Demo:
    def __init__(self, emulator: Emulator, cfg: dict[str, Any], verbose: bool) -> None:
        self.emulator = emulator
        self.cfg = cfg
        self.verbose = verbose

    def step(self, title: str, body: dict[str, Any], proves: str) -> dict[str, Any]:
        output = make_raw_request.process({"body": body}, self.cfg)
        result = output["body"]
        limit = result["rateLimit"]
        print(
            f"{title}: {body['method']} {body['url']} -> HTTP {result['statusCode']}, "
            f"{result['attempts']} attempt(s), rate limit {limit['remaining']}/{limit['limit']} "
            f"left. {proves}",
            flush=True,
        )
        if self.verbose:
            print(json.dumps(output, ensure_ascii=False, indent=2), flush=True)
        return output


def run_demo(verbose: bool = False) -> int:
    with Emulator() as emulator:
        os.environ.update(emulator.environment())
        reload_environment()
        cfg = {"secretId": emulator.create_secret(fields={"retries": "2", "retriesDelay": "500"})}
        print(
            f"Emulator: Podio API at {emulator.podio_url}, Secrets API at {emulator.platform_url}"
        )
        print(f"Step cfg: {json.dumps(cfg)} (the token comes from the Secrets API)\n")
        demo = Demo(emulator, cfg, verbose)
        item_id = _make_raw_request(demo)
        _instant_event(demo)
        _through_rabbitmq(demo, item_id)
    return 0


def _make_raw_request(demo: Demo) -> int:
    demo.step(
        "Who am I",
        {"method": "GET", "url": "/user/status"},
        "The stored token was fetched and sent only to Podio.",
    )
    deal = {"title": "Demo deal", "amount": {"value": 990, "currency": "EUR"}, "stage": 1}
    created = demo.step(
        "Create a deal",
        {"method": "POST", "url": "/item/app/30/", "data": {"fields": deal}},
        "A write, sent once.",
    )
    item_id: int = created["body"]["responseBody"]["item_id"]
    demo.step(
        "Read it back",
        {"method": "GET", "url": f"/item/{item_id}"},
        "The write took effect.",
    )
    demo.emulator.faults.add("GET", f"/item/{item_id}", Fault(status=420, body=RATE_LIMITED))
    demo.step(
        "Read through a rate limit",
        {"method": "GET", "url": f"/item/{item_id}"},
        "Podio's 420 'wait 1 seconds' was waited out, then the read was sent again.",
    )
    return item_id


def _instant_event(demo: Demo) -> None:
    """Item Events on this machine, as `podio-component listen` runs it: hooks registered
    and verified, an item written in Podio by someone else, its event out of the trigger."""
    from podio_component.listen import LocalFlow

    class Kept(PrintedEvents):  # the events kept for this summary, not printed
        def data(self, message: dict[str, Any]) -> None:
            self.collected.data.append(message)

    cfg = {**demo.cfg, "app": "30"}
    flow = LocalFlow("itemEvents", 0, None, None)
    events = Kept(flow.state.keep_snapshot)
    collected = events.collected
    quiet = logging.getLogger("podio_component")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # the hooks' verification is logged at info
    with flow.host(events):
        flow.start(cfg)
        demo.emulator.world.hooks.wait_idle()
        while flow.process_next(cfg, 0.2):  # the hooks' verifications
            pass
        colleague = demo.emulator.issue_token("grace@example.com")["access_token"]
        started = time.monotonic()
        item_id = _create(demo.emulator.podio_url, colleague, "Instant deal")
        while not collected.data and flow.process_next(cfg, 10):
            pass
        elapsed = time.monotonic() - started
        flow.stop(cfg)
    quiet.setLevel(level)
    (event,) = (message["body"] for message in collected.data)
    print(
        f"Instant event: item {item_id} created in Podio by another user -> Item Events "
        f"emitted {event['event']!r} {elapsed * 1000:.0f} ms after the write (Podio's hook, "
        "verified, through the flow's gateway on 127.0.0.1, as `podio-component listen` "
        "runs it). Its hooks are removed again.",
        flush=True,
    )
    if demo.verbose:
        print(json.dumps(event, ensure_ascii=False, indent=2), flush=True)


def _create(podio_url: str, token: str, title: str) -> int:
    """An item written straight to Podio's API, as a person's other tool would."""
    answer = requests.post(
        f"{podio_url}/item/app/30/",
        json={"fields": {"title": title}},
        headers={"Authorization": f"OAuth2 {token}"},
        timeout=10,
    )
    answer.raise_for_status()
    return int(answer.json()["item_id"])


def _through_rabbitmq(demo: Demo, item_id: int) -> None:
    """One message through `podio-component sailor`, the way the platform runs the step,
    when a broker answers (or, at the default local address, can be started quickly)."""
    url = os.environ.get("AMQP_URL", broker.DEFAULT_URL)
    not_shown = "\nNot shown: one message through the platform runtime on RabbitMQ"
    try:
        require("runtime", "the runtime part of the demo")
    except MissingExtra as exc:
        print(f"{not_shown}: {exc.message}")
        return
    available = broker.answers(url) or (
        url == broker.DEFAULT_URL and broker.start_installed(url, BROKER_START_WAIT)
    )
    if not available:
        print(
            f"{not_shown}, since no broker answers: {broker.how_to_start(url)}; "
            "then run the demo again."
        )
        return
    from podio_component.emulator.platform.flow import (
        EmulatedStep,  # needs pika: the [runtime] extra
    )

    flow = EmulatedStep(url).declare()
    env = {**os.environ, **flow.container_environment(demo.emulator, demo.cfg), "LOG_LEVEL": "warn"}
    try:
        with tempfile.TemporaryFile() as log:
            sailor = subprocess.Popen(
                [sys.executable, "-m", "podio_component", "sailor"], env=env, stdout=log, stderr=log
            )
            try:
                started = time.monotonic()
                flow.publish({"method": "GET", "url": f"/item/{item_id}"})
                (output,) = flow.take("data", timeout=30)
                message = flow.decrypt(output)
            finally:
                sailor.terminate()
                sailor.wait(30)
    finally:
        flow.delete()
    body = message["body"]
    print(
        f"\nThe platform runtime: an encrypted message on {flow.input} at "
        f"{without_password(url)} -> the runtime answered on {output.routing_key} in "
        f"{time.monotonic() - started:.2f} s with HTTP {body['statusCode']} for "
        f"{body['responseBody']['title']!r}. The step runs on the platform's engine as it is."
    )
    if demo.verbose:
        print(json.dumps({k: str(v) for k, v in output.headers.items()}, indent=2))
