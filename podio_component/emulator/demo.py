"""`podio-component demo`: Make Raw Request through the real code path against the emulator,
then one message through the platform runtime on RabbitMQ (AMQP_URL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import pika
import pika.exceptions

from podio_component.actions import make_raw_request
from podio_component.emulator.faults import Fault
from podio_component.emulator.flow import FlowStep
from podio_component.emulator.model import rate_limit_text
from podio_component.emulator.server import Emulator
from podio_component.errors import PodioComponentError
from podio_component.redaction import without_password
from podio_component.settings import reload_environment

RATE_LIMITED = {"error": "rate_limit", "error_description": rate_limit_text(1)}


def _step(title: str, cfg: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    print(f"\n== {title}: {body['method']} {body['url']}", flush=True)
    output = make_raw_request.process({"body": body}, cfg)
    result = output["body"]
    print(
        f"-> HTTP {result['statusCode']} after {result['attempts']} attempt(s); "
        f"rate limit {result['rateLimit']['remaining']}/{result['rateLimit']['limit']} left",
    )
    print(json.dumps(output, ensure_ascii=False), flush=True)
    return output


def run_demo() -> int:
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    try:  # checked first: a demo that cannot finish should not start
        flow = FlowStep(amqp_url).declare()
    except pika.exceptions.AMQPError:
        raise PodioComponentError(
            "the demo ends by running the step on RabbitMQ, and none answers at "
            f"{without_password(amqp_url)}: "
            "start one with `sudo rabbitmq-server -detached` (install it first with "
            "`sudo apt-get install -y rabbitmq-server`), or set AMQP_URL"
        ) from None
    try:
        _run(flow)
    finally:
        flow.delete()
    return 0


def _run(flow: FlowStep) -> None:
    with Emulator() as emulator:
        os.environ.update(emulator.environment())
        reload_environment()
        cfg = {"secretId": emulator.create_secret(fields={"retries": "2", "retriesDelay": "500"})}
        print(
            f"Emulator: Podio API at {emulator.podio_url}, Secrets API at {emulator.platform_url}"
        )
        print(f"Step cfg: {json.dumps(cfg)}  (the token is fetched from the Secrets API)")

        _step("Who am I", cfg, {"method": "GET", "url": "/user/status"})
        created = _step(
            "Create a deal",
            cfg,
            {
                "method": "POST",
                "url": "/item/app/30/",
                "data": {
                    "fields": {
                        "title": "Demo deal",
                        "amount": {"value": 990, "currency": "EUR"},
                        "stage": 1,
                    }
                },
            },
        )
        item_id = created["body"]["responseBody"]["item_id"]
        _step("Read it back", cfg, {"method": "GET", "url": f"/item/{item_id}"})

        emulator.faults.add("GET", f"/item/{item_id}", Fault(status=420, body=RATE_LIMITED))
        print("\n(The emulator will answer the next read with 420 'Please wait 1 seconds'.)")
        recovered = _step(
            "Read it again through a rate limit", cfg, {"method": "GET", "url": f"/item/{item_id}"}
        )
        reads = emulator.log.count("GET", f"/item/{item_id}")
        print(
            f"\nRecovered after {recovered['body']['attempts']} attempts; "
            f"the emulator saw {reads} reads of /item/{item_id}, the first read included."
        )
        _through_rabbitmq(emulator, cfg, item_id, flow)


def _through_rabbitmq(
    emulator: Emulator, cfg: dict[str, Any], item_id: int, flow: FlowStep
) -> None:
    """One message through `podio-component sailor`, the way the platform runs the step."""
    shown = without_password(flow.amqp_url)
    print(f"\n== The platform runtime: one message through RabbitMQ at {shown}")
    env = {**os.environ, **flow.container_environment(emulator, cfg), "LOG_LEVEL": "warn"}
    with tempfile.TemporaryFile() as log:
        sailor = subprocess.Popen(
            [sys.executable, "-m", "podio_component", "sailor"], env=env, stdout=log, stderr=log
        )
        try:
            started = time.monotonic()
            flow.publish({"method": "GET", "url": f"/item/{item_id}"})
            (output,) = flow.take("data", timeout=30)
            message = flow.decrypt(output)
            print(
                f"Published an encrypted input to {flow.input}; the runtime answered on "
                f"{output.routing_key} in {time.monotonic() - started:.2f} s with HTTP "
                f"{message['body']['statusCode']} for {message['body']['responseBody']['title']!r}"
            )
            print("Its headers:", json.dumps({k: str(v) for k, v in output.headers.items()}))
        finally:
            sailor.terminate()
            sailor.wait(30)
