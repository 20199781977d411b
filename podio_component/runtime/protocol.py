"""The runtime's wire protocol as pure functions: headers, passthrough, errors, rebounds.

Each function mirrors a step of the Node.js runtime (sailor-nodejs lib/sailor.js and
lib/amqp.js), so that messages interoperate with the platform and the other runtimes.
"""

from __future__ import annotations

import hashlib
import time
import traceback
import uuid
from collections.abc import Mapping
from typing import Any

from pika.spec import BasicProperties

from podio_component.redaction import redact
from podio_component.runtime.crypto import MessageCipher, to_json
from podio_component.runtime.sailor_settings import SailorSettings

META_PREFIX = "x-eio-meta-"
ROUTING_KEY_HEADER = "x-eio-routing-key"
ERROR_RESPONSE_HEADER = "x-eio-error-response"
OBJECT_STORAGE_HEADER = "x-ipaas-object-storage-id"
REBOUND_LIMIT_EXCEEDED = "Rebound limit exceeded"


def now_ms() -> int:
    return int(time.time() * 1000)


def protocol_version(headers: Mapping[str, Any]) -> int:
    try:
        return int(headers.get("protocolVersion") or 1)
    except (TypeError, ValueError):
        return 1


def incoming_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """What the runtime takes from an input's AMQP headers (readIncomingMessageHeaders)."""
    meta = {k.lower(): v for k, v in headers.items() if k.lower().startswith(META_PREFIX)}
    taken: dict[str, Any] = {
        "stepId": headers.get("stepId"),
        **meta,
        "threadId": headers.get("threadId") or meta.get(META_PREFIX + "trace-id"),
        "messageId": headers.get("messageId"),
        "parentMessageId": headers.get("parentMessageId"),
    }
    if not taken["threadId"]:
        taken["threadId"] = str(uuid.uuid4())
    if headers.get("reply_to"):
        taken["reply_to"] = headers["reply_to"]
    return taken


def outgoing_headers(incoming: Mapping[str, Any], settings: SailorSettings) -> dict[str, Any]:
    """The headers every message published for one input starts from."""
    return _present(
        {
            **incoming,
            **step_headers(settings),
            "parentMessageId": incoming.get("messageId"),
            "threadId": incoming.get("threadId"),
            "messageId": str(uuid.uuid4()),
            "start": now_ms(),
        }
    )


def step_headers(settings: SailorSettings) -> dict[str, Any]:
    """The step's own ids (and the additional headers its settings name), on every message
    the runtime publishes."""
    return {
        **settings.additional_headers,
        "execId": settings.exec_id,
        "taskId": settings.flow_id,
        "workspaceId": settings.workspace_id,
        "containerId": settings.container_id,
        "userId": settings.user_id,
        "stepId": settings.step_id,
        "compId": settings.comp_id,
        "function": settings.function,
    }


def _present(headers: Mapping[str, Any]) -> dict[str, Any]:
    # JavaScript leaves undefined values out of AMQP headers; so do we.
    return {k: v for k, v in headers.items() if v is not None}


def dedupe_key(headers: Mapping[str, Any], body: bytes) -> tuple[str, Any]:
    """Identifies a delivery and its redeliveries: the messageId header (a digest of the
    content when there is none) and the rebound iteration, since a returning rebound
    carries the same messageId and is a new delivery of its own."""
    message_id = headers.get("messageId") or hashlib.sha256(body).hexdigest()
    return str(message_id), headers.get("reboundIteration")


def properties(headers: Mapping[str, Any], persistent: bool) -> BasicProperties:
    """AMQP properties of every message the runtime publishes (the messageId is a header)."""
    return BasicProperties(
        content_type="application/json",
        content_encoding="utf8",
        delivery_mode=2 if persistent else 1,
        headers={**headers, "messageId": headers.get("messageId") or str(uuid.uuid4())},
    )


def data_message(
    output: Mapping[str, Any],
    incoming_message: Mapping[str, Any],
    incoming: Mapping[str, Any],
    base_headers: Mapping[str, Any],
    settings: SailorSettings,
    passthrough: bool,
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(routing key, message, headers) for an output: passthrough added when the step is a
    passthrough step; the x-eio-routing-key message header picks the routing key and is
    removed."""
    data = dict(output)
    data["headers"] = dict(data.get("headers") or {})
    routing_key = settings.data_routing_key
    for name in list(data["headers"]):
        if name.lower() == ROUTING_KEY_HEADER:
            routing_key = str(data["headers"].pop(name))
    if passthrough:
        original = dict(incoming_message.get("passthrough") or {})
        if not settings.no_self_passthrough:  # this step's own output joins the passthrough
            own = {k: v for k, v in data.items() if k != "passthrough"}
            data["passthrough"] = {**original, settings.step_id: own}
        elif incoming.get("stepId"):  # the input joins it, under the step that sent it
            own = {k: v for k, v in incoming_message.items() if k != "passthrough"}
            data["passthrough"] = {**original, str(incoming["stepId"]): own}
        else:
            data["passthrough"] = original
    headers = {
        **base_headers,
        "messageId": data.get("id") or base_headers["messageId"],
        "end": now_ms(),
        "protocolVersion": settings.protocol_version,
    }
    return routing_key, data, headers


def error_fields(error: BaseException) -> dict[str, str]:
    """{name, message, stack} of an error, redacted, as the platform shows it."""
    stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return {"name": type(error).__name__, "message": redact(str(error)), "stack": redact(stack)}


def error_body(
    cipher: MessageCipher,
    error: BaseException,
    input_content: bytes | None,
    input_version: int,
    limit: int,
) -> tuple[bytes, bytes]:
    """(the error message's content, the encrypted error alone for a reply_to).

    Both parts travel as base64 whatever the protocol version, as in the Node.js runtime.
    When the input would take the message past `limit` (OUTGOING_MESSAGE_SIZE_LIMIT), it is
    left out and `errorInputTruncated` says so with its size: a cut ciphertext could not be
    decrypted anyway.
    """
    encrypted_error = cipher.encrypt(error_fields(error), 1)
    payload: dict[str, Any] = {"error": encrypted_error.decode()}
    if input_content:
        if input_version >= 2:
            reencrypted = cipher.encrypt(cipher.decrypt(input_content, input_version), 1)
            payload["errorInput"] = reencrypted.decode()
        else:
            payload["errorInput"] = input_content.decode()
    content = to_json(payload)
    if len(content) > limit and input_content:
        del payload["errorInput"]
        payload.update(errorInputTruncated=True, errorInputSize=len(input_content))
        content = to_json(payload)
    return content, encrypted_error


def rebound_properties(
    original: BasicProperties, reason: str, settings: SailorSettings
) -> BasicProperties | None:
    """The properties for re-publishing an input to the rebound key, or None past the
    rebound limit. Expiration follows the protocol's schedule, 2^(n-1) x the initial."""
    headers = dict(original.headers or {})
    previous = headers.get("reboundIteration")
    iteration = previous + 1 if isinstance(previous, int) and not isinstance(previous, bool) else 1
    if iteration > settings.rebound_limit:
        return None
    headers.update({"end": now_ms(), "reboundReason": reason, "reboundIteration": iteration})
    expiration = 2 ** (iteration - 1) * settings.rebound_initial_expiration
    return BasicProperties(
        content_type=original.content_type,
        content_encoding=original.content_encoding,
        headers=headers,
        delivery_mode=original.delivery_mode,
        priority=original.priority,
        correlation_id=original.correlation_id,
        reply_to=original.reply_to,
        expiration=str(expiration),
        message_id=original.message_id,
        timestamp=original.timestamp,
        type=original.type,
        user_id=original.user_id,
        app_id=original.app_id,
        cluster_id=original.cluster_id,
    )


def snapshot_body(snapshot: Mapping[str, Any]) -> bytes:
    """Snapshots travel as plain JSON, not encrypted."""
    return to_json(snapshot)


def size_error(size: int, limit: int) -> str:
    return f"Outgoing message size {size} exceeds limit of {limit}."
