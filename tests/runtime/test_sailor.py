"""`podio-component sailor` on a real RabbitMQ: the tests play the platform.

Each test declares a step's topology, registers the step with the emulated platform API,
starts the runtime as a subprocess, publishes encrypted inputs and reads what comes back.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from podio_component.emulator import Emulator, Fault
from podio_component.emulator.platform.flow import EmulatedStep
from tests.runtime.sailors import Start, running, runtime_env, secret_cfg

EVENTS_COMPONENT = "tests/components/events"
NODE_HEADERS = {
    "execId",
    "taskId",
    "workspaceId",
    "containerId",
    "userId",
    "stepId",
    "compId",
    "function",
    "threadId",
    "parentMessageId",
    "protocolVersion",
}


@pytest.mark.parametrize(("input_version", "output_version"), [(1, 1), (2, 1), (1, 2), (2, 2)])
def test_an_output_has_the_node_runtimes_headers_and_properties(
    emulator: Emulator,
    emulated_step: EmulatedStep,
    start_sailor: Start,
    input_version: int,
    output_version: int,
) -> None:
    env = runtime_env(
        emulator,
        emulated_step,
        secret_cfg(emulator),
        ELASTICIO_PROTOCOL_VERSION=str(output_version),
    )
    sailor = running(start_sailor, env)
    thread_id = str(uuid.uuid4())
    message_id = emulated_step.publish(
        {"method": "GET", "url": "/user/status"}, {"threadId": thread_id}, version=input_version
    )
    (output,) = emulated_step.take("data")
    headers = output.headers
    assert isinstance(headers.pop("messageId"), str)
    assert headers.pop("end") >= headers.pop("start") > 0
    assert set(headers) == NODE_HEADERS
    assert headers == {
        "execId": env["ELASTICIO_EXEC_ID"],
        "taskId": env["ELASTICIO_FLOW_ID"],
        "workspaceId": env["ELASTICIO_WORKSPACE_ID"],
        "containerId": env["ELASTICIO_CONTAINER_ID"],
        "userId": env["ELASTICIO_USER_ID"],
        "stepId": env["ELASTICIO_STEP_ID"],
        "compId": env["ELASTICIO_COMP_ID"],
        "function": env["ELASTICIO_FUNCTION"],
        "threadId": thread_id,
        "parentMessageId": message_id,
        "protocolVersion": output_version,
    }
    properties = output.properties
    assert (properties.content_type, properties.content_encoding) == ("application/json", "utf8")
    assert properties.delivery_mode == 1
    assert properties.message_id is None and properties.expiration is None
    assert properties.timestamp is None and properties.correlation_id is None
    message = emulated_step.decrypt(output)
    assert message["body"]["responseBody"]["user"]["mail"] == "ada@example.com"
    assert output.body.startswith(b"{") is False  # encrypted, not plain JSON
    assert (emulated_step.depth("input"), emulated_step.depth("dead")) == (0, 0)  # acknowledged
    assert sailor.stop() == 0


def test_meta_headers_additional_vars_and_passthrough_travel_on(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(
        emulator,
        emulated_step,
        secret_cfg(emulator),
        is_passthrough=True,
        ELASTICIO_ADDITIONAL_VARS_FOR_HEADERS="ELASTICIO_TASK_USER_EMAIL",
        ELASTICIO_TASK_USER_EMAIL="ada@example.com",
    )
    running(start_sailor, env)
    emulated_step.publish(
        {"method": "GET", "url": "/item/5001"},
        {"X-EIO-META-Trace-Id": "trace-1", "x-eio-meta-tenant": "t1", "threadId": ""},
    )
    (output,) = emulated_step.take("data")
    headers = output.headers
    assert headers["x-eio-meta-trace-id"] == "trace-1"
    assert headers["threadId"] == "trace-1"  # the trace id starts the thread
    assert headers["x-eio-meta-tenant"] == "t1"
    assert headers["taskUserEmail"] == "ada@example.com"
    message = emulated_step.decrypt(output)
    own = message["passthrough"]["step_1"]
    assert own["body"]["responseBody"]["item_id"] == 5001
    assert "passthrough" not in own


def test_a_failure_is_an_error_message_and_the_input_is_dead_lettered(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    running(start_sailor, runtime_env(emulator, emulated_step, secret_cfg(emulator)))
    emulated_step.publish(
        {"method": "GET", "url": "/item/424242"},
        {"reply_to": emulated_step.routing_keys["snapshot"]},
    )
    (error,) = emulated_step.take("error")
    payload = json.loads(error.body)
    details = emulated_step.cipher.decrypt(payload["error"].encode(), 1)
    assert details["name"] == "PodioHTTPError"
    assert details["message"].startswith("GET /item/424242 failed after 1 attempt: HTTP 404")
    original = emulated_step.cipher.decrypt(payload["errorInput"].encode(), 1)
    assert original["body"] == {"method": "GET", "url": "/item/424242"}
    assert "protocolVersion" not in error.headers
    (reply,) = emulated_step.take("snapshot")  # the reply_to copy went to the routing key it named
    assert reply.headers["x-eio-error-response"] is True
    assert reply.body.decode() == payload["error"]
    (dead,) = emulated_step.take(
        "dead"
    )  # rejected without requeue: the platform's dead-letter has it
    assert emulated_step.cipher.decrypt(dead.body, 1)["body"]["url"] == "/item/424242"


def test_undecryptable_input_is_rejected_and_the_runtime_keeps_going(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    sailor = running(start_sailor, runtime_env(emulator, emulated_step, secret_cfg(emulator)))
    emulated_step.publish({}, content=b"this is not an encrypted message")
    emulated_step.publish({"method": "GET", "url": "/user/status"})
    assert len(emulated_step.take("data")) == 1
    assert len(emulated_step.take("dead")) == 1
    assert (
        emulated_step.depth("error") == 0
    )  # nothing is published for it, as in the Node.js runtime
    assert "rejected a message that cannot be decrypted" in sailor.text()


def test_an_input_without_a_message_id_is_processed_and_acknowledged(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    running(start_sailor, runtime_env(emulator, emulated_step, secret_cfg(emulator)))
    emulated_step.publish({"method": "GET", "url": "/user/status"}, {"messageId": None})
    (output,) = emulated_step.take("data")
    assert "parentMessageId" not in output.headers
    assert (emulated_step.depth("input"), emulated_step.depth("dead")) == (0, 0)


def test_a_lightweight_input_is_a_clear_not_supported_error(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    running(start_sailor, runtime_env(emulator, emulated_step, secret_cfg(emulator)))
    message = {"body": {}, "headers": {"x-ipaas-object-storage-id": "obj-1"}}
    content = emulated_step.cipher.encrypt(message, 1)
    emulated_step.publish({}, content=content)
    (error,) = emulated_step.take("error")
    details = emulated_step.cipher.decrypt(json.loads(error.body)["error"].encode(), 1)
    assert "object storage" in details["message"] and "not support" in details["message"]
    assert [e for e in emulator.log.entries() if e.side == "podio"] == []


def test_an_output_over_the_size_limit_is_a_clear_error(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(
        emulator, emulated_step, secret_cfg(emulator), ELASTICIO_OUTGOING_MESSAGE_SIZE_LIMIT="500"
    )
    sailor = running(start_sailor, env)
    emulated_step.publish({"method": "GET", "url": "/user/status"})
    (error,) = emulated_step.take("error")
    details = emulated_step.cipher.decrypt(json.loads(error.body)["error"].encode(), 1)
    assert details["message"].startswith("Outgoing message size ")
    assert details["message"].endswith(" exceeds limit of 500.")
    assert emulated_step.depth("data") == 0
    assert sailor.process.poll() is None  # not a crash


def test_an_unroutable_output_is_logged_and_the_input_dead_lettered_not_retried(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(
        emulator,
        emulated_step,
        secret_cfg(emulator),
        ELASTICIO_DATA_ROUTING_KEY="no-queue-is-bound-here",
    )
    sailor = running(start_sailor, env)
    emulated_step.publish({"method": "GET", "url": "/user/status"})
    assert len(emulated_step.take("dead")) == 1
    assert "no queue is bound for routing key 'no-queue-is-bound-here'" in sailor.text()
    assert sailor.text().count("no queue is bound") == 1  # never retried


def test_a_snapshot_the_broker_cannot_route_dead_letters_the_input(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    """Snapshot events are published without the action waiting for their confirms; the
    input is still settled only once they are confirmed, and rejected when one is not."""
    env = runtime_env(
        emulator,
        emulated_step,
        {"_account": "account-1"},
        ELASTICIO_COMPONENT_PATH=EVENTS_COMPONENT,
        ELASTICIO_FUNCTION="emitEvents",
        ELASTICIO_SNAPSHOT_ROUTING_KEY="no-queue-is-bound-here",
    )
    sailor = running(start_sailor, env)
    emulated_step.publish({"n": 1})
    assert len(emulated_step.take("dead")) == 1
    assert emulated_step.depth("data") == 0  # the output waits for the snapshot's confirm
    assert "no queue is bound for routing key 'no-queue-is-bound-here'" in sailor.text()


def test_snapshots_and_update_keys_go_to_the_platform(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(
        emulator,
        emulated_step,
        {"_account": "account-1"},
        snapshot={"seen": 0},
        ELASTICIO_COMPONENT_PATH=EVENTS_COMPONENT,
        ELASTICIO_FUNCTION="emitEvents",
    )
    running(start_sailor, env)
    emulated_step.publish({"n": 1, "keys": {"access_token": "rotated-token-0123456789"}})
    emulated_step.publish({"n": 2})
    outputs = emulated_step.take("data", 2)
    snapshots = emulated_step.take("snapshot", 4)
    events = [(s.headers["snapshotEvent"], json.loads(s.body)) for s in snapshots]
    assert events == [
        ("snapshot", {"seen": 1}),
        ("updateSnapshot", {"cursor": "abc"}),
        ("snapshot", {"seen": 2}),
        ("updateSnapshot", {"cursor": "abc"}),
    ]
    given = [emulated_step.decrypt(o)["body"]["snapshot_given"] for o in outputs]
    assert given == [{"seen": 0}, {"seen": 1, "cursor": "abc"}]  # the step's, then the last
    assert emulator.platform.accounts["account-1"] == {
        "oauth": {"access_token": "rotated-token-0123456789"}
    }


def test_keys_the_platform_refuses_fail_the_message(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(
        emulator,
        emulated_step,
        {"_account": "account-1"},
        ELASTICIO_COMPONENT_PATH=EVENTS_COMPONENT,
        ELASTICIO_FUNCTION="emitEvents",
        ELASTICIO_API_REQUEST_RETRY_ATTEMPTS="0",
    )
    running(start_sailor, env)
    emulator.faults.add("PUT", "/v1/accounts/*", Fault(status=400))
    emulated_step.publish({"n": 1, "keys": {"access_token": "rotated-token-0123456789"}})
    (error,) = emulated_step.take("error")
    details = emulated_step.cipher.decrypt(json.loads(error.body)["error"].encode(), 1)
    assert details["message"] == (
        "the platform did not store the new keys: could not update keys: "
        "the platform API answered HTTP 400"
    )
    assert "account-1" not in emulator.platform.accounts


def legacy_step(
    emulator: Emulator, emulated_step: EmulatedStep, retry_attempts: str = "3"
) -> dict[str, str]:
    """A step with legacy inline credentials whose token Podio no longer accepts, and the
    API key's client id and secret in the component's environment."""
    token = emulator.issue_token()
    emulator.world.expire_all_tokens()
    oauth = {"access_token": token["access_token"], "refresh_token": token["refresh_token"]}
    return runtime_env(
        emulator,
        emulated_step,
        {"_account": "account-1", "oauth": oauth, "retries": "0"},
        PODIO_CLIENT_ID=emulator.client_id,
        PODIO_CLIENT_SECRET=emulator.platform.client_secret,
        ELASTICIO_API_REQUEST_RETRY_ATTEMPTS=retry_attempts,
    )


def test_a_rejected_inline_token_is_refreshed_and_persisted_with_update_keys(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    sailor = running(start_sailor, legacy_step(emulator, emulated_step))
    emulated_step.publish({"method": "GET", "url": "/user/status"})
    emulated_step.publish({"method": "GET", "url": "/user/status"})
    outputs = emulated_step.take("data", 2)
    assert [emulated_step.decrypt(o)["body"]["statusCode"] for o in outputs] == [200, 200]
    keys = emulator.platform.accounts["account-1"]["oauth"]
    assert set(keys) >= {"access_token", "refresh_token", "expires_in", "token_type"}
    assert emulator.log.count("POST", "/oauth/token") == 1  # the second used the new token
    assert emulator.log.count("GET", "/user/status") == 3
    for secret in (keys["access_token"], keys["refresh_token"], emulator.platform.client_secret):
        assert secret not in sailor.text()


def test_new_keys_the_platform_refuses_fail_the_message_and_the_token_is_kept(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    running(start_sailor, legacy_step(emulator, emulated_step, retry_attempts="0"))
    emulator.faults.add("PUT", "/v1/accounts/*", Fault(status=400))
    emulated_step.publish({"method": "GET", "url": "/user/status"})
    (error,) = emulated_step.take("error")
    details = emulated_step.cipher.decrypt(json.loads(error.body)["error"].encode(), 1)
    assert details["message"].startswith(
        "Podio issued a new token for cfg.oauth (its refresh token may have been replaced "
        "too), but the platform did not store it: the platform did not store the new keys: "
        "could not update keys: the platform API answered HTTP 400. This process keeps using "
        "the new token"
    )
    emulated_step.publish({"method": "GET", "url": "/user/status"})
    (output,) = emulated_step.take("data")
    assert emulated_step.decrypt(output)["body"]["statusCode"] == 200
    assert emulator.log.count("POST", "/oauth/token") == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ELASTICIO_FLOW_ID": ""}, "missing ELASTICIO_FLOW_ID"),
        (
            {"ELASTICIO_STEP_ID": "no-such-step"},
            "could not fetch the step: the platform API answered HTTP 404",
        ),
        (
            {"ELASTICIO_FUNCTION": "makeCoffee"},
            "ELASTICIO_FUNCTION='makeCoffee': no action 'makeCoffee'",
        ),
        ({"ELASTICIO_LISTEN_MESSAGES_ON": "no-such-queue"}, "cannot consume queue 'no-such-queue'"),
        ({"ELASTICIO_RABBITMQ_PREFETCH_SAILOR": "many"}, "must be a whole number of at least 1"),
        ({"ELASTICIO_AMQP_URI": "garbage"}, "ELASTICIO_AMQP_URI must be an address such as"),
        (
            {"ELASTICIO_AMQP_URI": "amqp://guest:guest@127.0.0.1:notaport/"},
            "ELASTICIO_AMQP_URI must be an address such as amqp://USER:PASSWORD@HOST:5672/VHOST "
            "(Port could not be cast to integer value as 'notaport')",
        ),
        ({"ELASTICIO_AMQP_URI": "amqp://[::1"}, "(Invalid IPv6 URL)"),
        (
            {"ELASTICIO_AMQP_URI": "garbage", "ELASTICIO_RABBITMQ_PREFETCH_SAILOR": "many"},
            "must be a whole number of at least 1, got 'many'; ELASTICIO_AMQP_URI must be",
        ),
        (
            {"ELASTICIO_AMQP_URI": "amqp://guest:guest@127.0.0.1:1/"},
            "cannot connect to RabbitMQ: ConnectionRefusedError: [Errno 111] Connection refused",
        ),
    ],
)
def test_a_runtime_that_cannot_start_says_why_exits_1_and_consumes_nothing(
    emulator: Emulator,
    emulated_step: EmulatedStep,
    start_sailor: Start,
    change: dict[str, str],
    expected: str,
) -> None:
    emulated_step.publish({"method": "GET", "url": "/user/status"})
    sailor = start_sailor({**runtime_env(emulator, emulated_step, secret_cfg(emulator)), **change})
    assert sailor.exit_code() == 1
    fatal = [line for line in sailor.lines() if line.get("level") == 60]
    assert len(fatal) == 1 and expected in fatal[0]["msg"], sailor.text()
    assert emulated_step.depth("input") == 1


@pytest.mark.parametrize(
    ("part", "value", "expected"),
    [
        ("config", [1, 2], "the step's config must be a JSON object, but it is an array"),
        ("config", "text", "the step's config must be a JSON object, but it is a string"),
        ("config", 7, "the step's config must be a JSON object, but it is a number"),
        ("snapshot", "text", "the step's snapshot must be a JSON object, but it is a string"),
    ],
)
def test_a_step_config_or_snapshot_that_is_not_an_object_stops_the_start(
    emulator: Emulator,
    emulated_step: EmulatedStep,
    start_sailor: Start,
    part: str,
    value: object,
    expected: str,
) -> None:
    emulated_step.publish({"method": "GET", "url": "/user/status"})
    env = runtime_env(emulator, emulated_step, secret_cfg(emulator))
    emulator.platform.steps[(env["ELASTICIO_FLOW_ID"], env["ELASTICIO_STEP_ID"])][part] = value
    sailor = start_sailor(env)
    assert sailor.exit_code() == 1
    fatal = [line for line in sailor.lines() if line.get("level") == 60]
    assert len(fatal) == 1 and expected in fatal[0]["msg"], sailor.text()
    assert "Traceback" not in sailor.text()
    assert emulated_step.depth("input") == 1


def test_the_log_is_bunyan_json_lines_with_the_message_ids_and_no_secrets(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(emulator, emulated_step, secret_cfg(emulator))
    sailor = running(start_sailor, env)
    emulator.world.expire_all_tokens()  # a refresh, so tokens pass through the runtime
    message_id = emulated_step.publish({"method": "GET", "url": "/user/status"})
    emulated_step.take("data")
    assert sailor.stop() == 0
    lines = sailor.lines()
    assert all(not line.get("raw") for line in lines), sailor.text()
    assert all(
        {"name", "hostname", "pid", "level", "msg", "time", "v"} <= set(line) for line in lines
    )
    assert {line["name"] for line in lines} == {"sailor", "component"}
    about_message = [line for line in lines if line.get("messageId") == message_id]
    assert any("refreshing the token" in line["msg"] for line in about_message)
    assert all(line["ELASTICIO_STEP_ID"] == "step_1" for line in lines)
    assert all(isinstance(line["level"], int) for line in lines)
    secrets = {
        *emulator.world.oauth.access_tokens,
        *emulator.world.oauth.refresh_tokens,
        emulator.platform.api_key,
        env["ELASTICIO_MESSAGE_CRYPTO_PASSWORD"],
    }
    text = sailor.text()
    assert [s[:6] for s in secrets if s in text] == []


def test_each_emitted_data_message_is_published_with_its_own_id_and_the_input_acked(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    env = runtime_env(
        emulator,
        emulated_step,
        {},
        ELASTICIO_COMPONENT_PATH=EVENTS_COMPONENT,
        ELASTICIO_FUNCTION="emitMany",
    )
    running(start_sailor, env)
    input_id = emulated_step.publish({"count": 3})
    outputs = emulated_step.take("data", 3)
    assert [emulated_step.decrypt(o)["body"]["n"] for o in outputs] == [0, 1, 2]  # in order
    assert len({o.headers["messageId"] for o in outputs}) == 3
    assert {o.headers["parentMessageId"] for o in outputs} == {input_id}
    time.sleep(0.5)
    assert (
        emulated_step.depth("data"),
        emulated_step.depth("input"),
        emulated_step.depth("dead"),
    ) == (0, 0, 0)
