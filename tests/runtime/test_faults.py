"""The runtime against what a chaos probe does to it: a lost ack, a black-holed connection, a
lost publish confirm, a consumer the broker cancels, an error message past the size limit.
The tests play the platform on the real broker, with an AMQP-aware proxy in between."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from podio_component.emulator import Emulator, Fault
from podio_component.emulator.platform.flow import EmulatedStep
from tests.runtime.sailors import Start, running, runtime_env, secret_cfg
from tests.runtime.tcp_proxy import DOWN, UP, AmqpProxy, Then

BASIC_ACK = (60, 80)  # from the consumer: an ack; from the broker: a publish confirm
INPUTS: list[dict[str, Any]] = [
    {"method": "GET", "url": "/item/5001"},
    {"method": "POST", "url": "/item/app/30/", "data": {"fields": {"title": "Once"}}},
    {"method": "GET", "url": "/item/5002"},
]


ProxyTo = Callable[[str, tuple[int, int], Then], AmqpProxy]


@pytest.fixture
def proxy_to(amqp_url: str) -> Iterator[ProxyTo]:
    """Makes AMQP-aware proxies to the test broker; closes them afterwards."""
    made: list[AmqpProxy] = []
    broker = urlsplit(amqp_url)

    def make(direction: str, method: tuple[int, int], then: Then) -> AmqpProxy:
        proxy = AmqpProxy(
            broker.hostname or "127.0.0.1", broker.port or 5672, direction, method, then
        )
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()


def via(proxy: AmqpProxy) -> str:
    return f"amqp://guest:guest@127.0.0.1:{proxy.port}/?heartbeat=2"


def podio_requests(emulator: Emulator) -> list[tuple[str, str]]:
    return [(e.method, e.path) for e in emulator.log.entries() if e.side == "podio"]


@pytest.mark.parametrize("then", ["cut", "blackhole"])
def test_a_lost_ack_is_redelivered_and_acknowledged_without_running_again(
    emulator: Emulator,
    emulated_step: EmulatedStep,
    start_sailor: Start,
    proxy_to: ProxyTo,
    then: Then,
) -> None:
    proxy = proxy_to(UP, BASIC_ACK, then)  # the first ack never reaches the broker
    cfg = secret_cfg(emulator)
    sailor = running(
        start_sailor, runtime_env(emulator, emulated_step, cfg, ELASTICIO_AMQP_URI=via(proxy))
    )
    for body in INPUTS:
        emulated_step.publish(body)
    outputs = emulated_step.take("data", 3, timeout=60)
    assert proxy.triggered.is_set()
    assert len({o.headers["parentMessageId"] for o in outputs}) == 3  # one output per input
    sailor.wait_for("was delivered again (the ack was lost on the way)", timeout=60)
    time.sleep(1)
    assert (
        emulated_step.depth("data"),
        emulated_step.depth("input"),
        emulated_step.depth("dead"),
    ) == (0, 0, 0)
    seen = podio_requests(emulator)
    for body in INPUTS:  # Podio saw exactly one request per input: the POST written once
        assert seen.count((body["method"], body["url"])) == 1, seen
    assert sailor.stop() == 0


def test_a_lost_publish_confirm_republishes_that_output_once_and_no_more(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, proxy_to: ProxyTo
) -> None:
    proxy = proxy_to(DOWN, BASIC_ACK, "cut")  # the broker took the output; its confirm is lost
    env = runtime_env(emulator, emulated_step, secret_cfg(emulator), ELASTICIO_AMQP_URI=via(proxy))
    sailor = running(start_sailor, env)
    emulated_step.publish({"method": "GET", "url": "/item/5001"})
    copies = emulated_step.take("data", 2, timeout=60)
    assert proxy.triggered.is_set()
    assert copies[0].headers["messageId"] == copies[1].headers["messageId"]  # dedupe on it
    assert "retry" not in copies[0].headers and copies[1].headers["retry"] >= 1
    time.sleep(2)
    assert (
        emulated_step.depth("data"),
        emulated_step.depth("input"),
        emulated_step.depth("dead"),
    ) == (0, 0, 0)
    assert podio_requests(emulator).count(("GET", "/item/5001")) == 1
    assert sailor.stop() == 0


def test_a_consumer_the_broker_cancels_finishes_what_is_in_flight_and_exits_non_zero(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(
        emulator, emulated_step, secret_cfg(emulator), ELASTICIO_RABBITMQ_PREFETCH_SAILOR="10"
    )
    sailor = running(start_sailor, env)
    for _ in range(10):
        emulator.faults.add("GET", "/item/5001", Fault(delay=2))
        emulated_step.publish({"method": "GET", "url": "/item/5001"})
    emulator.log.wait_arrived("GET", "/item/5001", count=10)
    emulated_step.delete_input()  # the queue is gone: the broker cancels the consumer
    started = time.monotonic()
    code = sailor.exit_code(timeout=30)
    assert code != 0
    assert time.monotonic() - started < 10  # promptly: no idling, no 10 s SIGTERM wait
    outputs = emulated_step.take("data", 10, timeout=10)
    assert len({o.headers["parentMessageId"] for o in outputs}) == 10  # one outcome each
    assert emulated_step.depth("data") == 0
    errors = [line["msg"] for line in sailor.lines() if line.get("level") == 50]
    assert any("RabbitMQ cancelled the consumer" in msg for msg in errors), sailor.text()


def test_an_error_message_past_the_size_limit_carries_the_inputs_size_instead_of_it(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    limit = 4000
    env = runtime_env(
        emulator,
        emulated_step,
        secret_cfg(emulator),
        ELASTICIO_OUTGOING_MESSAGE_SIZE_LIMIT=str(limit),
    )
    running(start_sailor, env)
    emulated_step.publish({"method": "BREW", "url": "/x", "data": {"padding": "x" * 6000}})
    (error,) = emulated_step.take("error")
    assert len(error.body) <= limit
    payload = json.loads(error.body)
    assert payload["errorInputTruncated"] is True
    assert payload["errorInputSize"] > limit
    assert "errorInput" not in payload
    assert "Invalid method" in emulated_step.cipher.decrypt(payload["error"].encode(), 1)["message"]
