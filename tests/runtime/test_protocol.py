"""The runtime's wire protocol as pure functions: no broker needed."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any, cast

import pytest
from pika.spec import BasicProperties

from podio_component.contract import events
from podio_component.runtime import protocol, sailor_settings
from podio_component.runtime.amqp import Broker, BrokerError, Delivery, connection_parameters
from podio_component.runtime.crypto import MessageCipher, UndecryptableError
from podio_component.runtime.ledger import Disposition, Ledger, Publication, Settled
from podio_component.runtime.sailor_settings import SettingsError
from podio_component.runtime.throttle import Throttle

# The encryption test vector, made with Node.js crypto exactly as the Node.js runtime does.
VECTOR_PLAINTEXT = (
    '{"id":"7d8e6a2c-0f3b-4a53-9c1e-5b2f3d4e6f70","body":{"method":"GET","url":"/user/status"},'
    '"headers":{},"attachments":{}}'
)
VECTOR_V1 = (
    b"PxhpK1IsVfo7XC1Rql6dTb9D40X59uxW2tTGYhRbXNvpqs1XzgkTQgICSJffpwc5QV72eaqs+o3iZCr6UykaCg7Y"
    b"Nm4URG49aN5kVmk5CPzV4javFY0m7BWswpHAWhF/5GlFWz15kQWThNByCYfrmjLj5xtiiGtJCEn/JmMOtF4="
)
VECTOR_V2 = bytes.fromhex(
    "3f18692b522c55fa3b5c2d51aa5e9d4dbf43e345f9f6ec56dad4c662145b5cdbe9aacd57ce09134202024897"
    "dfa70739415ef679aaacfa8de2642afa53291a0a0ed8366e14446e3d68de6456693908fcd5e236af158d26ec"
    "15acc291c05a117fe469455b3d7991059384d0720987eb9a32e3e71b62886b490849ff26630eb45e"
)
CIPHER = MessageCipher("testCryptoPassword", "iv=any16_symbols")
ENV = {
    **{
        f"ELASTICIO_{name}": f"{name.lower()}-value"
        for name in sailor_settings.MANDATORY + sailor_settings.MESSAGING
    },
    "ELASTICIO_MESSAGE_CRYPTO_IV": "iv=any16_symbols",
    "ELASTICIO_AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/",
    "ELASTICIO_API_URI": "https://platform.example",
}
SETTINGS = sailor_settings.read(ENV)


@pytest.mark.parametrize(("version", "content"), [(1, VECTOR_V1), (2, VECTOR_V2)])
def test_the_node_vector_decrypts_and_encrypting_its_plaintext_gives_the_vector(
    version: int, content: bytes
) -> None:
    message = CIPHER.decrypt(content, version)
    assert json.dumps(message, separators=(",", ":")) == VECTOR_PLAINTEXT
    assert CIPHER.encrypt(message, version) == content


def test_non_ascii_is_encrypted_as_utf8_like_json_stringify() -> None:
    message = {"title": "Café €"}
    plain = CIPHER.decrypt(CIPHER.encrypt(message, 2), 2)
    assert plain == message
    assert len(CIPHER.encrypt(message, 2)) == 32  # '{"title":"Café €"}' is 21 UTF-8 bytes


@pytest.mark.parametrize(
    "content", [b"not base64 at all!", base64.b64encode(b"sixteen bytes..."), b"\x00" * 7]
)
def test_content_that_is_not_ours_is_undecryptable(content: bytes) -> None:
    with pytest.raises(UndecryptableError):
        CIPHER.decrypt(content, 1)


def test_an_empty_body_decrypts_to_none() -> None:
    assert CIPHER.decrypt(b"", 1) is None


# ---- settings ---------------------------------------------------------------------------


def test_every_missing_mandatory_variable_is_named_at_once() -> None:
    partial = {k: v for k, v in ENV.items() if "ROUTING" not in k and "FLOW_ID" not in k}
    with pytest.raises(SettingsError) as caught:
        sailor_settings.read(partial)
    message = str(caught.value)
    for name in (
        "ELASTICIO_FLOW_ID",
        "ELASTICIO_DATA_ROUTING_KEY",
        "ELASTICIO_ERROR_ROUTING_KEY",
        "ELASTICIO_REBOUND_ROUTING_KEY",
        "ELASTICIO_SNAPSHOT_ROUTING_KEY",
    ):
        assert name in message


def test_a_failure_inside_the_io_thread_at_start_ends_the_start_at_once() -> None:
    # pika refuses the heartbeat value inside the I/O thread's connect task
    broker = Broker("amqp://127.0.0.1/?heartbeat=abc", 1, 0, 1, lambda d: None, lambda r: None)
    started = time.monotonic()
    with pytest.raises(BrokerError, match="Invalid heartbeat value 'abc'"):
        broker.start(timeout=30)
    assert time.monotonic() - started < 5
    broker.close()


def test_optional_settings_take_the_node_runtimes_defaults() -> None:
    assert (SETTINGS.prefetch, SETTINGS.worker_threads) == (1, 1)
    assert (SETTINGS.rebound_initial_expiration, SETTINGS.rebound_limit) == (15_000, 20)
    assert (SETTINGS.data_rate_limit, SETTINGS.rate_interval) == (10, 100)
    assert SETTINGS.amqp_publish_retry_attempts == float("inf")
    assert SETTINGS.outgoing_message_size_limit == 10_485_760
    assert SETTINGS.protocol_version == 1
    assert SETTINGS.shutdown_timeout == 30


def test_the_thread_pool_follows_the_prefetch_unless_set() -> None:
    read = sailor_settings.read
    assert read({**ENV, "ELASTICIO_RABBITMQ_PREFETCH_SAILOR": "10"}).worker_threads == 10
    env = {**ENV, "ELASTICIO_RABBITMQ_PREFETCH_SAILOR": "10"}
    assert read({**env, "ELASTICIO_CONSUMER_THREAD_POOL_SIZE": "4"}).worker_threads == 4


def test_an_api_uri_of_another_scheme_is_named_with_every_other_problem() -> None:
    broken = {**ENV, "ELASTICIO_API_URI": "ftp://platform.example", "ELASTICIO_REBOUND_LIMIT": "x"}
    with pytest.raises(SettingsError) as caught:
        sailor_settings.read(broken)
    assert "ELASTICIO_API_URI must be an http(s) URL, got 'ftp://platform.example'" in str(
        caught.value
    )
    assert "ELASTICIO_REBOUND_LIMIT" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("ELASTICIO_RABBITMQ_PREFETCH_SAILOR", "ten", "must be a whole number of at least 1"),
        ("ELASTICIO_RABBITMQ_PREFETCH_SAILOR", "0", "must be a whole number of at least 1"),
        ("ELASTICIO_MESSAGE_CRYPTO_IV", "short", "must be 16 bytes"),
        ("ELASTICIO_EMIT_LIGHTWEIGHT_MESSAGE", "yes", "does not support"),
        ("ELASTICIO_INPUT_FORMAT", "error", "is not supported"),
        ("PODIO_SHUTDOWN_TIMEOUT", "soon", "must be a number of seconds"),
    ],
)
def test_malformed_or_unsupported_settings_are_one_clear_error(
    name: str, value: str, problem: str
) -> None:
    with pytest.raises(SettingsError, match=problem):
        sailor_settings.read({**ENV, name: value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("false", False), ("0", True), ("yes", True)],
)
def test_booleans_follow_the_platforms_rule(value: str | None, expected: bool) -> None:
    assert sailor_settings.flag(value, default=False) is expected


def test_additional_vars_become_camel_cased_headers_and_absent_ones_are_left_out() -> None:
    env = {
        **ENV,
        "ELASTICIO_ADDITIONAL_VARS_FOR_HEADERS": " ELASTICIO_TASK_USER_EMAIL , CUSTOM_VAR,ABSENT",
        "ELASTICIO_TASK_USER_EMAIL": "ada@example.com",
        "CUSTOM_VAR": "x",
    }
    headers = sailor_settings.read(env).additional_headers
    assert headers == {"taskUserEmail": "ada@example.com", "customVar": "x"}


# ---- headers ----------------------------------------------------------------------------


def test_incoming_headers_take_meta_headers_lower_cased_and_the_thread() -> None:
    incoming = protocol.incoming_headers(
        {
            "messageId": "m1",
            "parentMessageId": "p0",
            "stepId": "step_0",
            "X-EIO-META-Trace-Id": "trace-9",
            "x-eio-meta-tenant": "t1",
            "other": "dropped",
        }
    )
    assert incoming == {
        "stepId": "step_0",
        "x-eio-meta-trace-id": "trace-9",
        "x-eio-meta-tenant": "t1",
        "threadId": "trace-9",
        "messageId": "m1",
        "parentMessageId": "p0",
    }


def test_a_message_without_a_thread_starts_one() -> None:
    assert protocol.incoming_headers({})["threadId"]


def test_outgoing_headers_are_the_node_runtimes_set() -> None:
    incoming = protocol.incoming_headers({"messageId": "m1", "threadId": "t1", "stepId": "s0"})
    headers = protocol.outgoing_headers(incoming, SETTINGS)
    start = headers.pop("start")
    message_id = headers.pop("messageId")
    assert isinstance(start, int) and abs(start - time.time() * 1000) < 5000
    assert message_id != "m1"
    assert headers == {
        "stepId": "step_id-value",
        "threadId": "t1",
        "parentMessageId": "m1",
        "execId": "exec_id-value",
        "taskId": "flow_id-value",
        "workspaceId": "workspace_id-value",
        "containerId": "container_id-value",
        "userId": "user_id-value",
        "compId": "comp_id-value",
        "function": "function-value",
    }


def data(
    output: dict[str, Any], incoming_message: dict[str, Any], passthrough: bool, **settings: Any
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    step = SETTINGS._replace(**settings)
    incoming = protocol.incoming_headers({"messageId": "m1", "stepId": "step_0"})
    base = protocol.outgoing_headers(incoming, step)
    return protocol.data_message(output, incoming_message, incoming, base, step, passthrough)


OUTPUT = {"id": "out-1", "body": {"a": 1}, "headers": {}, "attachments": {}}
INPUT = {
    "id": "m1",
    "body": {"in": 1},
    "headers": {"h": "1"},
    "passthrough": {"step_x": {"body": {}}},
}


def test_data_headers_carry_the_output_id_the_end_and_the_protocol_version() -> None:
    routing_key, message, headers = data(OUTPUT, INPUT, False, protocol_version=2)
    assert routing_key == "data_routing_key-value"
    assert (headers["messageId"], headers["protocolVersion"]) == ("out-1", 2)
    assert headers["end"] >= headers["start"]
    assert "passthrough" not in message


def test_a_passthrough_step_adds_its_own_output() -> None:
    _, message, _ = data(OUTPUT, INPUT, True)
    own = {k: v for k, v in OUTPUT.items()}
    assert message["passthrough"] == {"step_x": {"body": {}}, "step_id-value": own}


def test_no_self_passthrough_keeps_the_input_under_the_step_that_sent_it() -> None:
    _, message, _ = data(OUTPUT, INPUT, True, no_self_passthrough=True)
    assert message["passthrough"] == {
        "step_x": {"body": {}},
        "step_0": {"id": "m1", "body": {"in": 1}, "headers": {"h": "1"}},
    }


def test_the_routing_key_header_picks_the_routing_key_and_is_removed() -> None:
    output = {**OUTPUT, "headers": {"X-EIO-Routing-Key": "elsewhere", "keep": "1"}}
    routing_key, message, _ = data(output, INPUT, False)
    assert routing_key == "elsewhere"
    assert message["headers"] == {"keep": "1"}


@pytest.mark.parametrize("version", [1, 2])
def test_an_error_message_carries_the_encrypted_error_and_input(version: int) -> None:
    original = CIPHER.encrypt({"body": {"x": 1}}, version)
    try:
        raise ValueError("boom")
    except ValueError as exc:
        content, encrypted_error = protocol.error_body(CIPHER, exc, original, version, 10**7)
    payload = json.loads(content)
    error = CIPHER.decrypt(payload["error"].encode(), 1)
    assert (error["name"], error["message"]) == ("ValueError", "boom")
    assert "Traceback" in error["stack"]
    assert payload["error"].encode() == encrypted_error
    if version == 1:
        assert payload["errorInput"] == original.decode()
    else:  # re-encrypted as base64, whatever the input's protocol
        assert CIPHER.decrypt(payload["errorInput"].encode(), 1) == {"body": {"x": 1}}


def test_rebound_expiration_doubles_from_the_initial_one_and_stops_at_the_limit() -> None:
    step = SETTINGS._replace(rebound_initial_expiration=100, rebound_limit=3)
    properties = BasicProperties(content_type="x", headers={"messageId": "m1"})
    expirations = []
    while next_properties := protocol.rebound_properties(properties, "rate limited", step):
        expirations.append(next_properties.expiration)
        assert dict(next_properties.headers or {})["reboundReason"] == "rate limited"
        properties = next_properties
    headers = dict(properties.headers or {})
    assert expirations == ["100", "200", "400"]
    assert (headers["reboundIteration"], headers["messageId"]) == (3, "m1")


def test_the_dedupe_key_tells_a_returning_rebound_from_a_redelivery() -> None:
    first = protocol.dedupe_key({"messageId": "m1"}, b"x")
    assert first == protocol.dedupe_key({"messageId": "m1"}, b"other")
    assert first != protocol.dedupe_key({"messageId": "m1", "reboundIteration": 1}, b"x")
    assert protocol.dedupe_key({}, b"x") == protocol.dedupe_key({}, b"x")  # content digest


def test_an_error_message_past_the_size_limit_leaves_the_input_out_and_says_so() -> None:
    original = CIPHER.encrypt({"body": {"x": "y" * 20_000}}, 1)
    limit = 10_000
    content, _ = protocol.error_body(CIPHER, ValueError("boom"), original, 1, limit)
    assert len(content) <= limit
    payload = json.loads(content)
    assert "errorInput" not in payload
    assert payload["errorInputTruncated"] is True
    assert payload["errorInputSize"] == len(original)
    assert CIPHER.decrypt(payload["error"].encode(), 1)["message"] == "boom"
    small, _ = protocol.error_body(CIPHER, ValueError("boom"), b"abc", 1, limit)
    assert json.loads(small)["errorInput"] == "abc"  # under the limit: the input travels


def test_without_a_heartbeat_in_the_uri_the_runtime_asks_for_10_seconds() -> None:
    assert connection_parameters("amqp://guest:guest@127.0.0.1:5672/").heartbeat == 10
    assert connection_parameters("amqp://127.0.0.1/?heartbeat=3").heartbeat == 3
    assert connection_parameters("amqp://127.0.0.1/?heartbeat=0").heartbeat == 0


# ---- the ledger: publications, settlement, redeliveries ------------------------------------


class FakeBroker:
    """The loop-side broker calls the ledger makes, recorded; confirms are given by hand."""

    def __init__(self) -> None:
        self.generation = 1
        self.settled: list[tuple[int, bool, bool]] = []
        self.published: list[tuple[str, Any]] = []
        self.confirms: list[Callable[[BaseException | None], None]] = []
        self.timers: list[tuple[float, Callable[..., object], tuple[object, ...]]] = []

    def publish_async(
        self, exchange: str, routing_key: str, body: bytes, properties: Any, on_done: Any
    ) -> None:
        self.published.append((routing_key, dict(properties.headers or {})))
        self.confirms.append(on_done)

    def settle_now(self, delivery: Delivery, ack: bool, requeue: bool = False) -> bool:
        if delivery.generation != self.generation:
            return False
        self.settled.append((delivery.delivery_tag, ack, requeue))
        return True

    def call_later(self, seconds: float, function: Callable[..., object], *args: object) -> Any:
        self.timers.append((seconds, function, args))
        return type("Timer", (), {"cancel": lambda self: None})()


def delivery(
    generation: int, tag: int, redelivered: bool = False, message_id: str = "m1"
) -> Delivery:
    return Delivery(
        generation, tag, BasicProperties(headers={"messageId": message_id}), b"x", redelivered
    )


def ledger(broker: FakeBroker, dispatched: list[Delivery]) -> Ledger:
    settings = SETTINGS._replace(amqp_publish_retry_attempts=3)
    return Ledger(settings, cast(Broker, broker), dispatched.append, threading.Event())


def output() -> Disposition:
    return Disposition(
        (Publication("data", b"out", BasicProperties(headers={"messageId": "o1"})),), ack=True
    )


def test_an_input_is_acknowledged_only_once_its_output_is_confirmed() -> None:
    broker, dispatched = FakeBroker(), list[Delivery]()
    books = ledger(broker, dispatched)
    first = delivery(1, 5)
    books.on_delivery(first)
    assert dispatched == [first] and not books.idle.is_set()
    books.complete(first, output())
    assert broker.settled == []  # published, not yet confirmed
    broker.confirms.pop()(None)
    assert broker.settled == [(5, True, False)]
    assert books.idle.is_set()


def test_a_redelivery_after_a_reconnect_is_not_processed_again_and_is_the_one_settled() -> None:
    broker, dispatched = FakeBroker(), list[Delivery]()
    books = ledger(broker, dispatched)
    first = delivery(1, 5)
    books.on_delivery(first)
    broker.generation = 2  # the connection dropped and came back
    books.complete(first, output())
    broker.confirms.pop()(None)
    assert broker.settled == []  # the first delivery's channel is gone: wait for it again
    assert broker.timers  # not forever
    books.on_delivery(delivery(2, 1, redelivered=True))
    assert dispatched == [first]  # not processed twice
    assert broker.settled == [(1, True, False)]
    assert books.idle.is_set()


def test_a_redelivery_after_a_lost_ack_is_acknowledged_without_running_again() -> None:
    broker, dispatched = FakeBroker(), list[Delivery]()
    books = ledger(broker, dispatched)
    books.on_delivery(delivery(1, 5))
    books.complete(delivery(1, 5), output())
    broker.confirms.pop()(None)
    assert broker.settled == [(5, True, False)]  # written, then lost with the connection
    broker.generation = 2
    books.on_delivery(delivery(2, 1, redelivered=True))
    assert dispatched == [delivery(1, 5)]  # not processed again
    assert broker.settled[-1] == (1, True, False)
    assert len(broker.published) == 1
    assert books.idle.is_set()


def test_a_redelivery_after_a_lost_reject_is_rejected_again_without_running() -> None:
    broker, dispatched = FakeBroker(), list[Delivery]()
    books = ledger(broker, dispatched)
    books.on_delivery(delivery(1, 5))
    books.complete(delivery(1, 5), Disposition((), ack=False))
    broker.generation = 2
    books.on_delivery(delivery(2, 1, redelivered=True))
    assert len(dispatched) == 1
    assert broker.settled == [(5, False, False), (1, False, False)]


def test_a_requeued_delivery_is_never_remembered_and_runs_again() -> None:
    broker, dispatched = FakeBroker(), list[Delivery]()
    books = ledger(broker, dispatched)
    books.on_delivery(delivery(1, 5))
    books.complete(delivery(1, 5), Disposition((), ack=False, requeue=True))
    books.on_delivery(delivery(1, 6, redelivered=True))
    assert [d.delivery_tag for d in dispatched] == [5, 6]


def test_a_fresh_delivery_of_a_settled_message_id_is_a_new_input() -> None:
    broker, dispatched = FakeBroker(), list[Delivery]()
    books = ledger(broker, dispatched)
    books.on_delivery(delivery(1, 5))
    books.complete(delivery(1, 5), Disposition((), ack=True))
    books.on_delivery(delivery(1, 6))  # not redelivered: the platform sent it again
    assert [d.delivery_tag for d in dispatched] == [5, 6]


def test_settlements_are_kept_ten_minutes_and_at_least_ten_times_the_prefetch() -> None:
    now = [0.0]
    settled = Settled(prefetch=2, clock=lambda: now[0])
    for n in range(30):
        settled.remember(("m", n), ack=True)
    now[0] = 599.0
    assert len(settled) == 30 and settled.settled_as(("m", 0)) is True  # within 10 minutes
    now[0] = 601.0
    assert settled.settled_as(("m", 0)) is None  # older than 10 minutes: forgotten ...
    assert len(settled) == 20  # ... down to the last 10 x prefetch, whatever their age
    assert settled.settled_as(("m", 29)) is True


def test_a_redelivery_that_arrives_while_in_flight_takes_its_place() -> None:
    broker, dispatched = FakeBroker(), list[Delivery]()
    books = ledger(broker, dispatched)
    books.on_delivery(delivery(1, 5))
    broker.generation = 2
    books.on_delivery(delivery(2, 9, redelivered=True))
    books.complete(delivery(1, 5), output())
    broker.confirms.pop()(None)
    assert broker.settled == [(9, True, False)]
    assert len(broker.published) == 1


def test_the_same_message_id_twice_on_one_channel_is_two_inputs() -> None:
    broker, dispatched = FakeBroker(), list[Delivery]()
    books = ledger(broker, dispatched)
    one, two = delivery(1, 5), delivery(1, 6)
    books.on_delivery(one)
    books.on_delivery(two)
    assert dispatched == [one, two]
    books.complete(two, Disposition((), ack=True))
    books.complete(one, Disposition((), ack=False))
    assert sorted(broker.settled) == [(5, False, False), (6, True, False)]
    assert books.idle.is_set()


def test_a_refused_publish_is_retried_with_a_retry_header_then_settled() -> None:
    from podio_component.runtime.amqp import PublishRefused, Unroutable

    broker, dispatched = FakeBroker(), list[Delivery]()
    books = ledger(broker, dispatched)
    books.on_delivery(delivery(1, 5))
    books.complete(delivery(1, 5), output())
    broker.confirms.pop()(PublishRefused("nack"))
    ((seconds, retry, args),) = broker.timers
    assert seconds == 0.1
    retry(*args)
    assert broker.published[-1][1]["retry"] == 1
    broker.confirms.pop()(None)
    assert broker.settled == [(5, True, False)]

    books.on_delivery(delivery(1, 7, message_id="m2"))
    books.complete(delivery(1, 7, message_id="m2"), output())
    broker.confirms.pop()(Unroutable("no queue"))  # never retried: rejected
    assert broker.settled[-1] == (7, False, False)
    assert len(broker.timers) == 1


def test_the_throttle_lets_limit_calls_through_per_interval() -> None:
    throttle = Throttle(limit=3, interval_ms=200)
    started = time.monotonic()
    for _ in range(7):
        throttle.wait()
    assert 0.35 <= time.monotonic() - started < 0.6  # 3 now, 3 after 200 ms, 1 after 400 ms


# ---- events outside the runtime -----------------------------------------------------------


def test_outside_the_runtime_snapshots_are_ignored_and_update_keys_refuses() -> None:
    events.emit_snapshot({"a": 1})
    events.update_snapshot({"b": 2})
    assert not events.in_runtime()
    with pytest.raises(events.UpdateKeysError, match="needs the platform runtime"):
        events.update_keys({"oauth": {"access_token": "rotated-token-value"}})


def test_emit_data_with_nothing_to_take_it_raises_rather_than_drop_the_message() -> None:
    with pytest.raises(events.EmitError, match="would be lost"):
        events.emit_data({"body": {}})


def test_collect_gathers_the_data_with_fresh_ids_and_the_last_snapshot() -> None:
    with events.collect() as collected:
        events.emit_data({"body": {"n": 1}})
        events.emit_data({"id": "kept", "body": {"n": 2}})
        events.emit_snapshot({"since": "a", "seen": [1]})
        events.update_snapshot({"seen": [2]})
        with pytest.raises(events.UpdateKeysError):
            events.update_keys({"oauth": {"access_token": "rotated-token-value"}})
    first, second = collected.data
    assert first["body"] == {"n": 1} and len(first["id"]) == 36  # a uuid
    assert second["id"] == "kept"
    assert collected.snapshot == {"since": "a", "seen": [2]}
    assert not events.in_runtime()  # the block is over
