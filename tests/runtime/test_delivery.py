"""Nothing lost, nothing doubled, on a real RabbitMQ: rebounds, the rate-limit cooldown,
shutdown, a killed worker, a dropped connection, refused publishes, and two processes."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from podio_component.emulator import Emulator, Fault
from podio_component.emulator.platform.flow import EmulatedStep
from tests.runtime.sailors import Start, running, runtime_env, secret_cfg
from tests.runtime.tcp_proxy import TcpProxy


def rate_limited(seconds: int) -> Fault:
    description = f"You have hit the rate limit. Please wait {seconds} seconds before trying again."
    return Fault(status=420, body={"error": "rate_limit", "error_description": description})


@pytest.fixture
def parked_step(amqp_url: str) -> Iterator[EmulatedStep]:
    """A step whose rebounds stay in the rebound queue, to be looked at."""
    step = EmulatedStep(amqp_url, return_rebounds=False).declare()
    yield step
    step.delete()


def podio_statuses(emulator: Emulator, pattern: str = "/item/*") -> list[int | None]:
    return [
        e.status
        for e in emulator.log.entries()
        if e.side == "podio" and e.path.startswith(pattern.rstrip("*"))
    ]


# ---- rebound ----------------------------------------------------------------------------


def test_a_rate_limited_message_is_rebounded_as_the_node_runtime_does(
    emulator: Emulator, parked_step: EmulatedStep, start_sailor: Start
) -> None:
    running(start_sailor, runtime_env(emulator, parked_step, secret_cfg(emulator)))
    emulator.faults.add("GET", "/item/5001", rate_limited(30))
    message_id = parked_step.publish({"method": "GET", "url": "/item/5001"}, {"x-eio-meta-a": "1"})
    (rebound,) = parked_step.take("rebound")
    headers = rebound.headers
    assert headers["reboundIteration"] == 1
    assert "rate limited, retry after 30 s" in headers["reboundReason"]
    assert headers["messageId"] == message_id and headers["x-eio-meta-a"] == "1"
    assert isinstance(headers["end"], int)
    assert rebound.properties.expiration == "100"
    assert parked_step.decrypt(rebound)["body"] == {"method": "GET", "url": "/item/5001"}
    assert (parked_step.depth("input"), parked_step.depth("dead"), parked_step.depth("error")) == (
        0,
        0,
        0,
    )


def test_a_request_that_never_reached_podio_is_rebounded(
    emulator: Emulator, parked_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(
        emulator, parked_step, secret_cfg(emulator), PODIO_API_URL="http://127.0.0.1:9"
    )
    running(start_sailor, env)
    parked_step.publish(
        {"method": "POST", "url": "/item/app/30/", "data": {"fields": {"title": "x"}}}
    )
    (rebound,) = parked_step.take("rebound")
    assert "could not connect to Podio" in rebound.headers["reboundReason"]


def test_a_write_podio_may_have_applied_is_never_rebounded(
    emulator: Emulator, parked_step: EmulatedStep, start_sailor: Start
) -> None:
    running(start_sailor, runtime_env(emulator, parked_step, secret_cfg(emulator, retries="3")))
    emulator.faults.add("POST", "/item/app/30/", Fault(status=503, apply=True))
    parked_step.publish(
        {"method": "POST", "url": "/item/app/30/", "data": {"fields": {"title": "x"}}}
    )
    (error,) = parked_step.take("error")
    details = parked_step.cipher.decrypt(json.loads(error.body)["error"].encode(), 1)
    assert "a POST is not replayed once it may have reached Podio" in details["message"]
    assert parked_step.depth("rebound") == 0
    assert emulator.log.count("POST", "/item/app/30/") == 1


def test_past_the_rebound_limit_the_message_is_an_error_and_still_acknowledged(
    emulator: Emulator, parked_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(emulator, parked_step, secret_cfg(emulator), ELASTICIO_REBOUND_LIMIT="0")
    running(start_sailor, env)
    emulator.faults.add("GET", "/item/5001", rate_limited(30))
    parked_step.publish({"method": "GET", "url": "/item/5001"})
    (error,) = parked_step.take("error")
    details = parked_step.cipher.decrypt(json.loads(error.body)["error"].encode(), 1)
    assert details["message"] == "Rebound limit exceeded"
    assert "errorInput" in json.loads(error.body)
    assert (parked_step.depth("dead"), parked_step.depth("rebound")) == (0, 0)


# ---- cooldown ---------------------------------------------------------------------------


def test_workers_and_returning_rebounds_on_a_rate_limited_credential_make_one_420(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(
        emulator, emulated_step, secret_cfg(emulator), ELASTICIO_RABBITMQ_PREFETCH_SAILOR="4"
    )
    sailor = running(start_sailor, env)
    emulator.faults.add_window("GET", "/item/*", rate_limited(2), seconds=2)  # all calls: 420
    emulated_step.publish({"method": "GET", "url": "/item/5001"})
    emulator.log.wait_arrived("GET", "/item/*")
    time.sleep(0.2)  # the 420 is back: the credential is cooling down
    for item in (5002, 5003, 5001):
        emulated_step.publish({"method": "GET", "url": f"/item/{item}"})
    outputs = emulated_step.take("data", 4, timeout=30)
    assert sorted(emulated_step.decrypt(o)["body"]["statusCode"] for o in outputs) == [200] * 4
    statuses = podio_statuses(emulator)
    assert statuses.count(420) == 1, statuses
    assert len(statuses) == 5  # the 420, then one call per message once it cooled down
    assert "cools down for" in sailor.text()  # they rebounded without calling Podio


# ---- shutdown ---------------------------------------------------------------------------


def test_sigterm_finishes_the_message_in_flight_and_leaves_the_rest_queued(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    sailor = running(start_sailor, runtime_env(emulator, emulated_step, secret_cfg(emulator)))
    emulator.faults.add("GET", "/item/5001", Fault(delay=1.5))
    for _ in range(3):
        emulated_step.publish({"method": "GET", "url": "/item/5001"})
    emulator.log.wait_arrived("GET", "/item/5001")
    assert sailor.stop(signal.SIGTERM) == 0
    assert len(emulated_step.take("data")) == 1
    assert (emulated_step.depth("input"), emulated_step.depth("dead")) == (2, 0)


def test_sigterm_rebounds_a_message_that_only_waits_to_retry_what_is_safe_later(
    emulator: Emulator, parked_step: EmulatedStep, start_sailor: Start
) -> None:
    cfg = secret_cfg(emulator, retries="3")
    # The rebound is looked at only after the sailor has exited, so it must outlive the
    # 100 ms the test environment gives a first rebound (an expired one is dropped).
    env = runtime_env(emulator, parked_step, cfg, ELASTICIO_REBOUND_INITIAL_EXPIRATION="60000")
    sailor = running(start_sailor, env)
    emulator.faults.add("GET", "/item/5001", rate_limited(40))
    parked_step.publish({"method": "GET", "url": "/item/5001"})
    emulator.log.wait_arrived("GET", "/item/5001")
    time.sleep(0.3)  # now waiting 40 s to retry
    started = time.monotonic()
    assert sailor.stop(signal.SIGINT) == 0
    assert time.monotonic() - started < 10
    (rebound,) = parked_step.take("rebound")
    assert "gave up waiting to retry: shutting down" in rebound.headers["reboundReason"]
    assert emulator.log.count("GET", "/item/5001") == 1


# ---- a killed worker, a dropped connection ------------------------------------------------


def test_a_worker_killed_mid_message_leaves_it_for_the_next_exactly_once(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(emulator, emulated_step, secret_cfg(emulator))
    first = running(start_sailor, env)
    emulator.faults.add("GET", "/item/5001", Fault(delay=3))
    emulated_step.publish({"method": "GET", "url": "/item/5001"})
    emulator.log.wait_arrived("GET", "/item/5001")
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    running(start_sailor, env)
    (output,) = emulated_step.take("data")
    assert emulated_step.decrypt(output)["body"]["statusCode"] == 200
    time.sleep(0.5)
    assert (
        emulated_step.depth("data"),
        emulated_step.depth("input"),
        emulated_step.depth("dead"),
    ) == (0, 0, 0)


def test_a_dropped_broker_connection_is_reconnected_without_a_duplicate(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, amqp_url: str
) -> None:
    broker = urlsplit(amqp_url)
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    try:
        via_proxy = f"amqp://guest:guest@127.0.0.1:{proxy.port}/?heartbeat=2"
        env = runtime_env(
            emulator, emulated_step, secret_cfg(emulator), ELASTICIO_AMQP_URI=via_proxy
        )
        sailor = running(start_sailor, env)
        emulator.faults.add("GET", "/item/5001", Fault(delay=2))
        emulated_step.publish({"method": "GET", "url": "/item/5001"})
        emulator.log.wait_arrived("GET", "/item/5001")
        assert proxy.cut() == 2  # the read and the write connection
        (output,) = emulated_step.take("data", timeout=30)
        assert emulated_step.decrypt(output)["body"]["statusCode"] == 200
        emulated_step.publish({"method": "GET", "url": "/user/status"})  # and it carries on
        assert len(emulated_step.take("data", timeout=30)) == 1
        time.sleep(1)
        assert (
            emulated_step.depth("data"),
            emulated_step.depth("input"),
            emulated_step.depth("dead"),
        ) == (0, 0, 0)
        assert emulator.log.count("GET", "/item/5001") == 1  # processed once
        assert "delivered again after a reconnect" in sailor.text()
        assert sailor.stop() == 0
    finally:
        proxy.close()


# ---- refused publishes --------------------------------------------------------------------


def test_a_publish_refused_by_a_full_queue_is_retried_until_it_fits(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    full = emulated_step.add_queue("full", {"x-max-length": 1, "x-overflow": "reject-publish"})
    emulated_step.put("full", b"taking the only place")
    env = runtime_env(
        emulator, emulated_step, secret_cfg(emulator), ELASTICIO_DATA_ROUTING_KEY=full
    )
    sailor = running(start_sailor, env)
    emulated_step.publish({"method": "GET", "url": "/user/status"})
    sailor.wait_for("RabbitMQ refused the message (nack)")
    (filler,) = emulated_step.take("full")
    assert filler.body == b"taking the only place"
    (output,) = emulated_step.take("full", timeout=30)
    assert output.headers["retry"] >= 1
    assert emulated_step.decrypt(output)["body"]["statusCode"] == 200


# ---- scale ------------------------------------------------------------------------------


def test_two_processes_on_one_queue_share_the_messages_each_processed_once(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(emulator, emulated_step, secret_cfg(emulator))
    for container in ("container-a", "container-b"):
        running(start_sailor, {**env, "ELASTICIO_CONTAINER_ID": container})
    for _ in range(12):
        emulator.faults.add("GET", "/user/status", Fault(delay=0.1))
        emulated_step.publish({"method": "GET", "url": "/user/status"})
    outputs = emulated_step.take("data", 12, timeout=30)
    parents = {o.headers["parentMessageId"] for o in outputs}
    assert len(parents) == 12  # every input once
    by_container = {o.headers["containerId"] for o in outputs}
    assert by_container == {"container-a", "container-b"}  # both did work
    assert emulator.log.count("GET", "/user/status") == 12
